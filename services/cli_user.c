/* `odra user`, `odra client` and `odra audit`: accounts, API clients and the audit log's check, on the
 * identity store <data>/identity.sqlite. Passwords are read from stdin, never from the command line. */
#include "services/cli_user.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "gis/audit.h"
#include "services/cli_audit.h"
#include "gis/identity.h"
#include "services/auth.h"
#include "services/module.h"
#include "services/routes.h"
#include "util/config.h"
#include "util/text.h"

#define MAX_SCOPES 16

static const char user_usage[] =
    "usage: odra user add [--admin] [--tenant T --role R[,R...]] LOGIN   (the password is read from stdin)\n"
    "       odra user grant --tenant T --role R[,R...] LOGIN\n"
    "       odra user passwd LOGIN                                      (the new password from stdin)\n"
    "       odra user disable LOGIN | enable LOGIN                      (a person or an API client)\n"
    "       odra user list\n"
    "       odra client add --tenant T --scope S [--scope S...] NAME    (prints the API key once)\n"
    "       odra audit verify\n"
    "roles: clerk, planner, module_admin, gmina_admin; scopes: those the routes name (e.g. waste:write, plans:read)\n"
    "every command takes --config FILE and --data DIR\n";

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "odra: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", user_usage);
    return 2;
}

static int fail(const struct err *e)
{
    fprintf(stderr, "odra: %s\n", e->msg[0] ? e->msg : err_name(e->code));
    return 1;
}

static bool role_valid(const char *r)
{
    return !strcmp(r, "clerk") || !strcmp(r, "planner") || !strcmp(r, "module_admin") || !strcmp(r, "gmina_admin");
}

static bool table_names_scope(const struct http_route *r, const char *s)
{
    for (; r && r->pattern; r++)
        if (r->access.scope && !strcmp(r->access.scope, s))
            return true;
    return false;
}

/* A scope is valid when some route of the core or of a compiled-in module admits it: the route tables are
 * the one list of scopes, so a module's scopes come with its routes. */
static bool scope_valid(const char *s)
{
    for (const struct http_route *const *t = svc_route_tables; *t; t++)
        if (table_names_scope(*t, s))
            return true;
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        if (table_names_scope((*m)->routes, s))
            return true;
    return false;
}

/* Reads one line (a password) from stdin into out; with a terminal, prompts without echo. */
static bool read_password(const char *prompt, char *out, size_t cap)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    bool ok = fgets(out, (int)cap, stdin) != NULL;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        fprintf(stderr, "\n");
    }
    if (!ok)
        return false;
    size_t n = strlen(out);
    if (n && out[n - 1] != '\n' && !feof(stdin))
        return false; /* longer than cap */
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = 0;
    return true;
}

static int new_password(const struct config *cfg, char hash[128])
{
    static char pw[AUTH_PASSWORD_MAX + 2];
    if (!read_password("Hasło: ", pw, sizeof pw)) {
        fprintf(stderr, "odra: no password on stdin (or longer than %d bytes)\n", AUTH_PASSWORD_MAX);
        return 1;
    }
    size_t n = strlen(pw);
    if (n < AUTH_PASSWORD_MIN || !text_utf8_valid(pw, n)) {
        fprintf(stderr, "odra: the password must have at least %d characters (UTF-8)\n", AUTH_PASSWORD_MIN);
        return 1;
    }
    if (isatty(STDIN_FILENO)) {
        static char again[AUTH_PASSWORD_MAX + 2];
        if (!read_password("Powtórz hasło: ", again, sizeof again) || strcmp(pw, again)) {
            fprintf(stderr, "odra: the passwords differ\n");
            return 1;
        }
        memset(again, 0, sizeof again);
    }
    struct err e = {0};
    enum err_code rc = auth_password_hash(pw, cfg->auth.opslimit, cfg->auth.memlimit, hash, &e);
    memset(pw, 0, sizeof pw);
    return rc ? fail(&e) : 0;
}

/* Grants each role of the comma-separated list. */
static int grant_roles(struct gis_identity *id, const struct config *cfg, long long account, const char *login,
                       const char *tenant, const char *roles)
{
    if (!config_tenant_find(cfg, tenant))
        return usage("unknown gmina '%s'", tenant);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", roles);
    for (char *save = NULL, *r = strtok_r(buf, ", ", &save); r; r = strtok_r(NULL, ", ", &save))
        if (!role_valid(r))
            return usage("unknown role '%s'", r);
    snprintf(buf, sizeof buf, "%s", roles);
    for (char *save = NULL, *r = strtok_r(buf, ", ", &save); r; r = strtok_r(NULL, ", ", &save)) {
        struct err e = {0};
        if (gis_grant_add(id, account, tenant, r, &e))
            return fail(&e);
        char detail[128];
        snprintf(detail, sizeof detail, "%s:%s", tenant, r);
        cli_audit(id, "user.grant", login, detail);
    }
    return 0;
}

struct list_ctx {
    struct gis_identity *id;
    int accounts, residents; /* listed; residents of the national login (names shown) */
};

static void list_one(const struct gis_account *a, void *user)
{
    struct list_ctx *lc = user;
    struct gis_identity *id = lc->id;
    lc->accounts++;
    char more[2048];
    if (!strcmp(a->kind, "client")) {
        char scopes[1024];
        gis_client_scopes_text(id, a->id, scopes, sizeof scopes);
        snprintf(more, sizeof more, "%s: %s", a->tenant, scopes);
    } else {
        gis_grants_text(id, a->id, more, sizeof more);
        struct gis_resident r;
        struct err e = {0};
        if (!strcmp(a->kind, "resident") && gis_resident_get(id, a->id, &r, &e) == ERR_OK) {
            /* a resident of the national login: who, with the PESEL masked */
            char masked[12];
            gis_pesel_mask(r.pesel, masked);
            snprintf(more, sizeof more, "%s %s, PESEL %s (login.gov.pl)", r.given_name, r.surname, masked);
            lc->residents++;
        }
    }
    printf("%-24s %-9s %s%s\n", a->login, a->kind, more, a->disabled ? " (disabled)" : "");
}

/* `odra user list`: every account; a read of personal data (residents' names), so it is audited. */
static int user_list(struct gis_identity *id)
{
    struct list_ctx lc = {.id = id};
    struct err e = {0};
    if (gis_accounts_each(id, list_one, &lc, &e))
        return fail(&e);
    char detail[96];
    snprintf(detail, sizeof detail, "%d accounts, %d with names (PESEL masked)", lc.accounts, lc.residents);
    cli_audit(id, "user.list", "", detail);
    return 0;
}

/* The command line of `odra user|client|audit`, parsed. */
struct cli_args {
    const char *cmd, *action, *config, *data, *tenant, *role, *name;
    const char *scopes[MAX_SCOPES];
    int nscopes, nrest;
    bool admin;
};

/* Reads the options after `odra CMD ACTION`; a usage error's exit status, or -1 when they parsed. */
static int args_parse(int argc, char **argv, struct cli_args *a)
{
    enum { O_CONFIG = 1, O_DATA, O_ADMIN, O_TENANT, O_ROLE, O_SCOPE, O_HELP };
    static const struct option opts[] = {
        {"config", required_argument, NULL, O_CONFIG}, {"data", required_argument, NULL, O_DATA},
        {"admin", no_argument, NULL, O_ADMIN},         {"tenant", required_argument, NULL, O_TENANT},
        {"role", required_argument, NULL, O_ROLE},     {"scope", required_argument, NULL, O_SCOPE},
        {"help", no_argument, NULL, O_HELP},           {NULL, 0, NULL, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc - 2, argv + 2, "", opts, NULL)) != -1) {
        switch (c) {
        case O_CONFIG: a->config = optarg; break;
        case O_DATA: a->data = optarg; break;
        case O_ADMIN: a->admin = true; break;
        case O_TENANT: a->tenant = optarg; break;
        case O_ROLE: a->role = optarg; break;
        case O_SCOPE:
            if (a->nscopes == MAX_SCOPES)
                return usage("too many scopes%s", "");
            a->scopes[a->nscopes++] = optarg;
            break;
        case O_HELP: fputs(user_usage, stdout); return 0;
        default: return usage("bad or incomplete option '%s'", argv[optind + 1] ? argv[optind + 1] : "");
        }
    }
    a->nrest = argc - 2 - optind;
    a->name = a->nrest == 1 ? argv[2 + optind] : NULL;
    return -1;
}

static bool is(const struct cli_args *a, const char *cmd, const char *action)
{
    return !strcmp(a->cmd, cmd) && !strcmp(a->action, action);
}

/* Checks the combination of action, options and arguments; a usage error's exit status, or -1. */
static int args_check(const struct cli_args *a)
{
    bool user_add = is(a, "user", "add"), user_grant = is(a, "user", "grant"), client_add = is(a, "client", "add");
    bool no_name = is(a, "user", "list") || is(a, "audit", "verify");
    if (!(user_add || user_grant || client_add || no_name || is(a, "user", "passwd") || is(a, "user", "disable") ||
          is(a, "user", "enable")))
        return usage("unknown action '%s'", a->action);
    if (no_name ? a->nrest != 0 : !a->name)
        return usage("%s", no_name ? "unexpected argument" : "give one LOGIN (or NAME)");
    const char *n = a->name;
    if (n && (strlen(n) > GIS_LOGIN_MAX || !*n || !text_utf8_valid(n, strlen(n)) || strpbrk(n, " \t\r\n:")))
        return usage("bad login '%s' (at most 128 bytes of UTF-8, no spaces or ':')", n);
    if ((a->tenant || a->role) && !(user_add || user_grant || client_add))
        return usage("--tenant and --role do not apply to '%s'", a->action);
    if ((user_add || user_grant) && (!a->tenant) != (!a->role))
        return usage("%s", "--tenant and --role go together");
    if (user_grant && !a->tenant)
        return usage("%s", "user grant needs --tenant and --role");
    if (a->admin && !user_add)
        return usage("%s", "--admin applies to user add");
    if (a->nscopes && !client_add)
        return usage("%s", "--scope applies to client add");
    if (client_add && (!a->tenant || !a->nscopes || a->role))
        return usage("%s", "client add needs --tenant and at least one --scope (and no --role)");
    for (int i = 0; i < a->nscopes; i++)
        if (!scope_valid(a->scopes[i]))
            return usage("unknown scope '%s'", a->scopes[i]);
    return -1;
}

static int user_add(struct gis_identity *id, const struct config *cfg, const struct cli_args *a)
{
    struct err e = {0};
    char hash[128];
    long long account = 0;
    const char *kind = a->admin ? "admin" : a->tenant ? "staff" : "resident";
    int rc = new_password(cfg, hash);
    if (!rc && gis_account_add(id, kind, a->name, hash, NULL, NULL, &account, &e))
        rc = fail(&e);
    if (!rc) {
        cli_audit(id, "user.add", a->name, kind);
        if (a->tenant)
            rc = grant_roles(id, cfg, account, a->name, a->tenant, a->role);
    }
    if (!rc)
        printf("added %s %s\n", kind, a->name);
    return rc;
}

static int user_grant(struct gis_identity *id, const struct config *cfg, const struct cli_args *a)
{
    struct err e = {0};
    struct gis_account acc;
    if (gis_account_get(id, a->name, &acc, &e))
        return fail(&e);
    if (!strcmp(acc.kind, "client") || !strcmp(acc.kind, "resident"))
        return usage("'%s' is not a staff account (roles are for staff)", a->name);
    return grant_roles(id, cfg, acc.id, a->name, a->tenant, a->role);
}

static int user_passwd(struct gis_identity *id, const struct config *cfg, const struct cli_args *a)
{
    struct err e = {0};
    struct gis_account acc;
    char hash[128];
    if (gis_account_get(id, a->name, &acc, &e))
        return fail(&e);
    if (!strcmp(acc.kind, "client"))
        return usage("'%s' is an API client: it has a key, not a password", a->name);
    int rc = new_password(cfg, hash);
    if (rc)
        return rc;
    long long n = 0;
    if (gis_account_set_password(id, acc.id, hash, &e) || gis_sessions_delete_account(id, acc.id, &n, &e))
        return fail(&e);
    cli_audit(id, "user.passwd", a->name, NULL);
    printf("password of %s changed; %lld sessions ended\n", a->name, n);
    return 0;
}

static int user_disable(struct gis_identity *id, const struct cli_args *a, bool disable)
{
    struct err e = {0};
    struct gis_account acc;
    long long n = 0;
    if (gis_account_get(id, a->name, &acc, &e) || gis_account_set_disabled(id, acc.id, disable, &e) ||
        (disable && gis_sessions_delete_account(id, acc.id, &n, &e)))
        return fail(&e);
    cli_audit(id, disable ? "user.disable" : "user.enable", a->name, NULL);
    printf("%s %s%s\n", a->name, disable ? "disabled" : "enabled", disable && n ? "; its sessions ended" : "");
    return 0;
}

static int client_add(struct gis_identity *id, const struct cli_args *a)
{
    struct err e = {0};
    char key[AUTH_KEY_LEN + 1], token[AUTH_TOKEN_LEN + 1];
    unsigned char kh[32];
    long long account = 0;
    auth_token_new(token);
    snprintf(key, sizeof key, "%s%s", AUTH_KEY_PREFIX, token);
    auth_token_hash(key, kh);
    if (gis_account_add(id, "client", a->name, NULL, kh, a->tenant, &account, &e))
        return fail(&e);
    for (int i = 0; i < a->nscopes; i++)
        if (gis_client_scope_add(id, account, a->scopes[i], &e))
            return fail(&e);
    char detail[512] = "";
    for (int i = 0; i < a->nscopes; i++)
        snprintf(detail + strlen(detail), sizeof detail - strlen(detail), "%s%s", i ? " " : "", a->scopes[i]);
    cli_audit(id, "client.add", a->name, detail);
    fprintf(stderr, "API client %s of gmina %s with %s; its key (shown only now):\n", a->name, a->tenant, detail);
    printf("%s\n", key);
    return 0;
}

static int audit_verify(struct gis_identity *id)
{
    struct err e = {0};
    long long rows = 0, bad = 0;
    if (gis_audit_verify(id, &rows, &bad, &e))
        return fail(&e);
    if (bad) {
        fprintf(stderr,
                "odra: audit log: row %lld does not match the hash chain (edited, inserted or removed); %lld rows\n",
                bad, rows);
        return 1;
    }
    printf("audit log: %lld rows, the hash chain is intact\n", rows);
    return 0;
}

int cli_user(int argc, char **argv)
{
    struct cli_args a = {.cmd = argv[1]};
    if (argc < 3)
        return usage("'%s' needs an action", a.cmd);
    a.action = argv[2];
    int rc = args_parse(argc, argv, &a);
    if (rc < 0)
        rc = args_check(&a);
    if (rc >= 0)
        return rc;

    static struct config cfg;
    struct err e = {0};
    if (config_load_cli(&cfg, a.config, a.data, &e))
        return fail(&e);
    if (a.tenant && !config_tenant_find(&cfg, a.tenant))
        return usage("unknown gmina '%s'", a.tenant);
    struct gis_identity *id;
    if (cli_audit_open(cfg.data_dir, &id, &e))
        return fail(&e);
    if (is(&a, "user", "add"))
        rc = user_add(id, &cfg, &a);
    else if (is(&a, "user", "grant"))
        rc = user_grant(id, &cfg, &a);
    else if (is(&a, "user", "passwd"))
        rc = user_passwd(id, &cfg, &a);
    else if (is(&a, "user", "disable") || is(&a, "user", "enable"))
        rc = user_disable(id, &a, is(&a, "user", "disable"));
    else if (is(&a, "user", "list"))
        rc = user_list(id);
    else if (is(&a, "client", "add"))
        rc = client_add(id, &a);
    else
        rc = audit_verify(id);
    gis_identity_close(id);
    return rc;
}
