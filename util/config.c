/* INI configuration with strict validation: unknown keys and bad values are errors, never ignored. */
#include "util/config.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/embed.h"
#include "util/sniff.h"
#include "util/text.h"

struct config_state {
    struct config *c;
    struct err *e;
    int lineno; /* set when the first error is recorded; filled in by config_load */
    char key[160];
};

static int config_fail(struct config_state *st, const char *section, const char *key, const char *fmt, const char *val)
{
    if (st->e->code == ERR_OK) {
        snprintf(st->key, sizeof st->key, "%s%s%s", section, *section ? "." : "", key);
        char msg[400];
        snprintf(msg, sizeof msg, fmt, val);
        err_set(st->e, ERR_INVALID, "%s", msg);
    }
    return 0;
}

static int copy_str(struct config_state *st, const char *sec, const char *key, const char *val, char *dst, size_t cap)
{
    if (strlen(val) >= cap)
        return config_fail(st, sec, key, "value too long: %s", val);
    if (!text_utf8_valid(val, strlen(val)))
        return config_fail(st, sec, key, "not valid UTF-8%s", "");
    memcpy(dst, val, strlen(val) + 1);
    return 1;
}

static int parse_int(struct config_state *st, const char *sec, const char *key, const char *val, long min, long max,
                     long *out)
{
    if (!text_parse_long(val, min, max, out)) {
        char fmt[96];
        snprintf(fmt, sizeof fmt, "must be an integer from %ld to %ld, got '%%s'", min, max);
        return config_fail(st, sec, key, fmt, val);
    }
    return 1;
}

static bool slug_valid(const char *s)
{
    if (!*s || strlen(s) >= 32)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

/* Slugs that would shadow a top-level path (/api, /verify/{code}, ...): a gmina cannot be called so. */
static const char *const reserved_slugs[] = {"api", "assets", "auth", "fonts", "health", "styles", "verify", NULL};

static bool yes_no(const char *val, bool *out)
{
    bool yes = !strcasecmp(val, "yes") || !strcasecmp(val, "true") || !strcmp(val, "1");
    bool no = !strcasecmp(val, "no") || !strcasecmp(val, "false") || !strcmp(val, "0");
    if (yes || no)
        *out = yes;
    return yes || no;
}

/* An absolute http(s) URL without query or fragment: scheme://host[:port][/path], host a DNS name, an IPv4
 * address or [IPv6]; the path of unreserved characters, '/' and %-escapes. It is printed on documents and
 * into HTML, so nothing else is let through. Trailing slashes are dropped. */
static int public_url_key(struct config_state *st, const char *sec, const char *key, const char *val, char *dst,
                          size_t cap)
{
    static const char why[] = "must be an absolute http:// or https:// URL without query, e.g. "
                              "https://gis.example.pl, got '%s'";
    size_t n = strlen(val);
    while (n > 0 && val[n - 1] == '/')
        n--;
    if (n >= cap || n >= 200)
        return config_fail(st, sec, key, "value too long: %s", val);
    const char *p = val;
    if (!strncmp(p, "https://", 8))
        p += 8;
    else if (!strncmp(p, "http://", 7))
        p += 7;
    else
        return config_fail(st, sec, key, why, val);
    const char *end = val + n;
    const char *host = p;
    if (*p == '[') {
        p++;
        while (p < end && (strchr("0123456789abcdefABCDEF:.", *p)))
            p++;
        if (p >= end || *p != ']' || p == host + 1)
            return config_fail(st, sec, key, why, val);
        p++;
    } else {
        while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                           *p == '.' || *p == '-'))
            p++;
        if (p == host || *host == '.' || *host == '-')
            return config_fail(st, sec, key, why, val);
    }
    if (p < end && *p == ':') {
        const char *digits = ++p;
        long port = 0;
        while (p < end && *p >= '0' && *p <= '9' && port <= 65535)
            port = port * 10 + (*p++ - '0');
        if (p == digits || port < 1 || port > 65535)
            return config_fail(st, sec, key, why, val);
    }
    if (p < end && *p != '/')
        return config_fail(st, sec, key, why, val);
    for (; p < end; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~/%", *p)))
            return config_fail(st, sec, key, why, val);
    memcpy(dst, val, n);
    dst[n] = 0;
    return 1;
}

static int server_key(struct config_state *st, const char *key, const char *val)
{
    struct config *c = st->c;
    long v;
    if (!strcmp(key, "listen")) {
        struct err e2 = {0};
        if (config_parse_listen(val, c->listen_host, sizeof c->listen_host, &c->port, &e2))
            return config_fail(st, "server", key, "%s", e2.msg);
        return 1;
    }
    if (!strcmp(key, "data"))
        return copy_str(st, "server", key, val, c->data_dir, sizeof c->data_dir);
    if (!strcmp(key, "threads"))
        return parse_int(st, "server", key, val, 1, 256, &v) ? (c->threads = (int)v, 1) : 0;
    if (!strcmp(key, "job_threads"))
        return parse_int(st, "server", key, val, -1, 256, &v) ? (c->job_threads = (int)v, 1) : 0;
    if (!strcmp(key, "max_connections"))
        return parse_int(st, "server", key, val, 1, 100000, &v) ? (c->max_connections = (int)v, 1) : 0;
    if (!strcmp(key, "max_connections_per_ip"))
        return parse_int(st, "server", key, val, 1, 100000, &v) ? (c->max_connections_per_ip = (int)v, 1) : 0;
    if (!strcmp(key, "timeout"))
        return parse_int(st, "server", key, val, 1, 3600, &v) ? (c->timeout_s = (int)v, 1) : 0;
    if (!strcmp(key, "head_timeout"))
        return parse_int(st, "server", key, val, 1, 3600, &v) ? (c->head_timeout_s = (int)v, 1) : 0;
    if (!strcmp(key, "access_log")) {
        static const char *const modes[] = {"no-hits", "all", "off"};
        for (int i = 0; i < 3; i++)
            if (!strcmp(val, modes[i]))
                return c->access_log = i, 1;
        return config_fail(st, "server", key, "must be no-hits, all or off, got '%s'", val);
    }
    if (!strcmp(key, "max_body"))
        return parse_int(st, "server", key, val, 1024, 1L << 30, &v) ? (c->max_body_bytes = (size_t)v, 1) : 0;
    if (!strcmp(key, "connection_memory"))
        return parse_int(st, "server", key, val, 8192, 1L << 26, &v) ? (c->connection_memory = (size_t)v, 1) : 0;
    if (!strcmp(key, "public_url"))
        return public_url_key(st, "server", key, val, c->public_url, sizeof c->public_url);
    if (!strcmp(key, "interest_rates"))
        return copy_str(st, "server", key, val, c->interest_rates, sizeof c->interest_rates);
    return config_fail(st, "server", key, "unknown key%s", "");
}

/* The payments keys of a tenant (docs/payments.md); -1 when key is not one of them. */
static int tenant_pay_key(struct config_state *st, const char *section, struct config_tenant *t, const char *key,
                          const char *val)
{
    long v;
    if (!strcmp(key, "pay_account_prefix")) {
        size_t n = strlen(val);
        if (n < 10 || n > 16 || strspn(val, "0123456789") != n)
            return config_fail(st, section, key, "must be 10 to 16 digits (sort code and collection prefix), got '%s'",
                               val);
        return copy_str(st, section, key, val, t->pay_account_prefix, sizeof t->pay_account_prefix);
    }
    if (!strcmp(key, "p24_url"))
        return public_url_key(st, section, key, val, t->p24_url, sizeof t->p24_url);
    if (!strcmp(key, "p24_merchant_id"))
        return parse_int(st, section, key, val, 1, 2147483647L, &v) ? (t->p24_merchant_id = v, 1) : 0;
    if (!strcmp(key, "p24_pos_id"))
        return parse_int(st, section, key, val, 1, 2147483647L, &v) ? (t->p24_pos_id = v, 1) : 0;
    if (!strcmp(key, "p24_crc"))
        return copy_str(st, section, key, val, t->p24_crc, sizeof t->p24_crc);
    if (!strcmp(key, "p24_api_key"))
        return copy_str(st, section, key, val, t->p24_api_key, sizeof t->p24_api_key);
    return -1;
}

/* A key of a [bank.NAME] section (struct config_bank). */
static int bank_key(struct config_state *st, const char *section, struct config_bank *b, const char *key,
                    const char *val)
{
    struct {
        const char *key;
        char *dst;
    } cols[] = {{"header", b->header},
                {"date", b->date},
                {"amount", b->amount},
                {"title", b->title},
                {"counterparty", b->counterparty},
                {"counterparty_account", b->cp_account},
                {"virtual_account", b->virtual_account},
                {"id", b->id}};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        if (!strcmp(key, cols[i].key))
            return copy_str(st, section, key, val, cols[i].dst, sizeof b->date);
    if (!strcmp(key, "encoding")) {
        if (strcasecmp(val, "windows-1250") && strcasecmp(val, "cp1250") && strcasecmp(val, "utf-8"))
            return config_fail(st, section, key, "must be windows-1250 or utf-8, got '%s'", val);
        b->cp1250 = strcasecmp(val, "utf-8") != 0;
        return 1;
    }
    if (!strcmp(key, "separator")) {
        /* ';' starts a comment in the INI file, so the separators have names */
        if (strcmp(val, "semicolon") && strcmp(val, "comma") && strcmp(val, "tab"))
            return config_fail(st, section, key, "must be semicolon, comma or tab, got '%s'", val);
        b->sep = val[0] == 's' ? ';' : val[0] == 'c' ? ',' : '\t';
        return 1;
    }
    if (!strcmp(key, "date_format")) {
        const char *f[] = {"YYYY-MM-DD", "DD.MM.YYYY", "DD-MM-YYYY"};
        for (int i = 0; i < 3; i++)
            if (!strcmp(val, f[i]))
                return b->date_format = i, 1;
        return config_fail(st, section, key, "must be YYYY-MM-DD, DD.MM.YYYY or DD-MM-YYYY, got '%s'", val);
    }
    return config_fail(st, section, key, "unknown key%s", "");
}

/* The [bank.NAME] section's bank, added on first sight; NULL after a failure. */
static struct config_bank *bank_of(struct config_state *st, const char *section, const char *key)
{
    const char *name = section + 5;
    struct config *c = st->c;
    if (!slug_valid(name)) {
        config_fail(st, section, key, "bad bank name '%s' (use a-z, 0-9 and -)", name);
        return NULL;
    }
    for (int i = 0; i < c->n_banks; i++)
        if (!strcmp(c->banks[i].name, name))
            return &c->banks[i];
    if (c->n_banks == CONFIG_MAX_BANKS) {
        config_fail(st, section, key, "too many banks (max 8)%s", "");
        return NULL;
    }
    struct config_bank *b = &c->banks[c->n_banks++];
    *b = (struct config_bank){.sep = ';'};
    strcpy(b->name, name);
    return b;
}

const struct config_bank *config_bank_find(const struct config *c, const char *name)
{
    for (int i = 0; name && i < c->n_banks; i++)
        if (!strcmp(c->banks[i].name, name))
            return &c->banks[i];
    return NULL;
}

static int tenant_key(struct config_state *st, const char *section, struct config_tenant *t, const char *key,
                      const char *val)
{
    int pr = tenant_pay_key(st, section, t, key, val);
    if (pr >= 0)
        return pr;
    if (!strcmp(key, "name"))
        return copy_str(st, section, key, val, t->name, sizeof t->name);
    if (!strcmp(key, "teryt")) {
        if (strlen(val) != 7 || strspn(val, "0123456789") != 7)
            return config_fail(st, section, key, "must be a 7-digit TERYT gmina code, got '%s'", val);
        return copy_str(st, section, key, val, t->teryt, sizeof t->teryt);
    }
    if (!strcmp(key, "organ"))
        return copy_str(st, section, key, val, t->organ, sizeof t->organ);
    if (!strcmp(key, "place"))
        return copy_str(st, section, key, val, t->place, sizeof t->place);
    if (!strcmp(key, "council"))
        return copy_str(st, section, key, val, t->council, sizeof t->council);
    if (!strcmp(key, "legal_basis"))
        return copy_str(st, section, key, val, t->legal_basis, sizeof t->legal_basis);
    if (!strcmp(key, "case_format")) {
        if (!strstr(val, "{seq}"))
            return config_fail(st, section, key, "must contain {seq}, got '%s'", val);
        return copy_str(st, section, key, val, t->case_format, sizeof t->case_format);
    }
    if (!strcmp(key, "signatory"))
        return copy_str(st, section, key, val, t->signatory, sizeof t->signatory);
    if (!strcmp(key, "signatory_role"))
        return copy_str(st, section, key, val, t->signatory_role, sizeof t->signatory_role);
    if (!strcmp(key, "organ_address"))
        return copy_str(st, section, key, val, t->organ_address, sizeof t->organ_address);
    if (!strcmp(key, "signatory_zup"))
        return copy_str(st, section, key, val, t->signatory_zup, sizeof t->signatory_zup);
    if (!strcmp(key, "extract_fee_per_plan"))
        return yes_no(val, &t->extract_fee_per_plan)
                   ? 1
                   : config_fail(st, section, key, "must be yes or no, got '%s'", val);
    if (!strcmp(key, "wyrys_allow_a3"))
        return yes_no(val, &t->wyrys_allow_a3) ? 1 : config_fail(st, section, key, "must be yes or no, got '%s'", val);
    if (!strcmp(key, "extracts"))
        return yes_no(val, &t->extracts) ? 1 : config_fail(st, section, key, "must be yes or no, got '%s'", val);
    if (!strcmp(key, "extract_issue")) {
        if (!strcmp(val, "immediate"))
            t->extract_issue = CONFIG_ISSUE_IMMEDIATE;
        else if (!strcmp(val, "on_payment"))
            t->extract_issue = CONFIG_ISSUE_ON_PAYMENT;
        else if (!strcmp(val, "clerk"))
            t->extract_issue = CONFIG_ISSUE_CLERK;
        else
            return config_fail(st, section, key, "must be immediate, on_payment or clerk, got '%s'", val);
        return 1;
    }
    if (!strcmp(key, "verify_pdf"))
        return yes_no(val, &t->verify_pdf) ? 1 : config_fail(st, section, key, "must be yes or no, got '%s'", val);
    if (!strcmp(key, "public_url"))
        return public_url_key(st, section, key, val, t->public_url, sizeof t->public_url);
    if (!strcmp(key, "seal"))
        return copy_str(st, section, key, val, t->seal, sizeof t->seal);
    if (!strcmp(key, "seal_password_file"))
        return copy_str(st, section, key, val, t->seal_password_file, sizeof t->seal_password_file);
    if (!strcmp(key, "seal_certificate"))
        return copy_str(st, section, key, val, t->seal_certificate, sizeof t->seal_certificate);
    if (!strcmp(key, "seal_pkcs11_module"))
        return copy_str(st, section, key, val, t->seal_pkcs11_module, sizeof t->seal_pkcs11_module);
    if (!strcmp(key, "tsa_url")) {
        if (*val && strncmp(val, "http://", 7) != 0 && strncmp(val, "https://", 8) != 0)
            return config_fail(st, section, key, "must be an http:// or https:// address, got '%s'", val);
        return copy_str(st, section, key, val, t->tsa_url, sizeof t->tsa_url);
    }
    if (!strcmp(key, "modules")) {
        t->n_modules = 0;
        char buf[1024];
        if (strlen(val) >= sizeof buf)
            return config_fail(st, section, key, "value too long%s", "");
        strcpy(buf, val);
        for (char *save = NULL, *tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
            if (t->n_modules == CONFIG_MAX_MODULES)
                return config_fail(st, section, key, "too many modules%s", "");
            if (!slug_valid(tok))
                return config_fail(st, section, key, "bad module name '%s'", tok);
            strcpy(t->modules[t->n_modules++], tok);
        }
        return 1;
    }
    if (!strcmp(key, "anonymous_submissions"))
        return yes_no(val, &t->anonymous_submissions)
                   ? 1
                   : config_fail(st, section, key, "must be yes or no, got '%s'", val);
    if (!strcmp(key, "staff_tokens"))
        return config_fail(st, section, key,
                           "shared staff tokens were replaced by staff accounts and API clients: remove it from "
                           "gmina %s and create them with `odra user add --tenant SLUG --role clerk LOGIN` or `odra "
                           "client add --tenant SLUG --scope waste:write NAME` (docs/configuration.md)",
                           t->slug);
    return config_fail(st, section, key, "unknown key%s", "");
}

static int parse_real(struct config_state *st, const char *sec, const char *key, const char *val, double min,
                      double max, double *out)
{
    if (!text_parse_double(val, out) || *out < min || *out > max) {
        char fmt[96];
        snprintf(fmt, sizeof fmt, "must be a number from %g to %g, got '%%s'", min, max);
        return config_fail(st, sec, key, fmt, val);
    }
    return 1;
}

static int import_key(struct config_state *st, const char *key, const char *val)
{
    struct config *c = st->c;
    if (!strcmp(key, "gap_tolerance_m2"))
        return parse_real(st, "import", key, val, 0.01, 1e6, &c->import_gap_tolerance_m2);
    if (!strcmp(key, "boundary_tolerance_m"))
        return parse_real(st, "import", key, val, 0.001, 1e4, &c->import_boundary_tolerance_m);
    if (!strcmp(key, "app_schemas"))
        return copy_str(st, "import", key, val, c->import_app_schemas, sizeof c->import_app_schemas);
    return config_fail(st, "import", key, "unknown key%s", "");
}

static int saml_key(struct config_state *st, const char *key, const char *val)
{
    struct config_saml *m = &st->c->saml;
    long n;
    static const struct {
        const char *key;
        size_t off, cap;
    } strs[] = {
#define SAML_STR(k) {#k, offsetof(struct config_saml, k), sizeof((struct config_saml *)0)->k}
        SAML_STR(sp_entity_id),       SAML_STR(sp_key),          SAML_STR(sp_cert),      SAML_STR(idp_metadata),
        SAML_STR(authn_context),      SAML_STR(attr_given_name), SAML_STR(attr_surname), SAML_STR(attr_pesel),
        SAML_STR(attr_date_of_birth), SAML_STR(soap_ca),
#undef SAML_STR
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (!strcmp(key, strs[i].key))
            return copy_str(st, "saml", key, val, (char *)m + strs[i].off, strs[i].cap);
    if (!strcmp(key, "binding")) {
        if (strcmp(val, "artifact") && strcmp(val, "post"))
            return config_fail(st, "saml", key, "must be artifact or post, got '%s'", val);
        return copy_str(st, "saml", key, val, m->binding, sizeof m->binding);
    }
    if (!strcmp(key, "clock_skew"))
        return parse_int(st, "saml", key, val, 0, 600, &n) ? (m->clock_skew_s = (int)n, 1) : 0;
    if (!strcmp(key, "replay_cache"))
        return parse_int(st, "saml", key, val, 16, 1000000, &n) ? (m->replay_cache = (int)n, 1) : 0;
    if (!strcmp(key, "soap_timeout"))
        return parse_int(st, "saml", key, val, 1, 120, &n) ? (m->soap_timeout_s = (int)n, 1) : 0;
    return config_fail(st, "saml", key, "unknown key%s", "");
}

static int auth_key(struct config_state *st, const char *key, const char *val)
{
    struct config_auth *a = &st->c->auth;
    long v;
    if (!strcmp(key, "opslimit"))
        return parse_int(st, "auth", key, val, 1, 100, &v) ? (a->opslimit = (unsigned long long)v, 1) : 0;
    if (!strcmp(key, "memlimit"))
        return parse_int(st, "auth", key, val, 8192, 1L << 32, &v) ? (a->memlimit = (size_t)v, 1) : 0;
    if (!strcmp(key, "session_idle"))
        return parse_int(st, "auth", key, val, 1, 30L * 86400, &v) ? (a->session_idle_s = (int)v, 1) : 0;
    if (!strcmp(key, "session_max"))
        return parse_int(st, "auth", key, val, 1, 365L * 86400, &v) ? (a->session_max_s = (int)v, 1) : 0;
    if (!strcmp(key, "login_per_ip"))
        return parse_int(st, "auth", key, val, 1, 100000, &v) ? (a->login_per_ip = (int)v, 1) : 0;
    if (!strcmp(key, "login_per_account"))
        return parse_int(st, "auth", key, val, 1, 100000, &v) ? (a->login_per_account = (int)v, 1) : 0;
    if (!strcmp(key, "lockout_after"))
        return parse_int(st, "auth", key, val, 1, 1000, &v) ? (a->lockout_after = (int)v, 1) : 0;
    if (!strcmp(key, "submissions_per_ip"))
        return parse_int(st, "auth", key, val, 1, 1000000, &v) ? (a->submissions_per_ip = (int)v, 1) : 0;
    if (!strcmp(key, "lockout_seconds"))
        return parse_int(st, "auth", key, val, 1, 86400, &v) ? (a->lockout_s = (int)v, 1) : 0;
    return config_fail(st, "auth", key, "unknown key%s", "");
}

static int backup_key(struct config_state *st, const char *key, const char *val)
{
    struct config_backup *b = &st->c->backup;
    long v;
    if (!strcmp(key, "dir"))
        return copy_str(st, "backup", key, val, b->dir, sizeof b->dir);
    if (!strcmp(key, "every"))
        return parse_int(st, "backup", key, val, 1, 31L * 86400, &v) ? (b->every_s = (int)v, 1) : 0;
    if (!strcmp(key, "keep_hourly"))
        return parse_int(st, "backup", key, val, 0, 10000, &v) ? (b->keep_hourly = (int)v, 1) : 0;
    if (!strcmp(key, "keep_daily"))
        return parse_int(st, "backup", key, val, 0, 10000, &v) ? (b->keep_daily = (int)v, 1) : 0;
    if (!strcmp(key, "keep_monthly"))
        return parse_int(st, "backup", key, val, 0, 10000, &v) ? (b->keep_monthly = (int)v, 1) : 0;
    return config_fail(st, "backup", key, "unknown key%s", "");
}

/* Adds a comma-separated list of slugs to list (of cap entries of 32). */
static int slug_list(struct config_state *st, const char *key, const char *val, char (*list)[32], int *n, int cap)
{
    char buf[1024];
    if (strlen(val) >= sizeof buf)
        return config_fail(st, "twin", key, "value too long%s", "");
    strcpy(buf, val);
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        if (!slug_valid(tok) || strlen(tok) >= 32)
            return config_fail(st, "twin", key, "bad tenant slug '%s'", tok);
        if (*n >= cap)
            return config_fail(st, "twin", key, "too many gminas%s", "");
        snprintf(list[(*n)++], 32, "%s", tok);
    }
    return 1;
}

static int twin_key(struct config_state *st, const char *key, const char *val)
{
    struct config_twin *t = &st->c->twin;
    long v;
    if (!strcmp(key, "listen")) {
        struct err e2 = {0};
        if (config_parse_listen(val, t->listen_host, sizeof t->listen_host, &t->port, &e2))
            return config_fail(st, "twin", key, "%s", e2.msg);
        return 1;
    }
    if (!strcmp(key, "peer")) {
        if (strncmp(val, "https://", 8))
            return config_fail(st, "twin", key, "must be an https:// address, got '%s'", val);
        return copy_str(st, "twin", key, val, t->peer, sizeof t->peer);
    }
    if (!strcmp(key, "cert"))
        return copy_str(st, "twin", key, val, t->cert, sizeof t->cert);
    if (!strcmp(key, "key"))
        return copy_str(st, "twin", key, val, t->key, sizeof t->key);
    if (!strcmp(key, "ca"))
        return copy_str(st, "twin", key, val, t->ca, sizeof t->ca);
    if (!strcmp(key, "primary"))
        return slug_list(st, key, val, t->primary, &t->n_primary, CONFIG_MAX_TENANTS);
    if (!strcmp(key, "ack_timeout_ms"))
        return parse_int(st, "twin", key, val, 10, 600000, &v) ? (t->ack_timeout_ms = (int)v, 1) : 0;
    if (!strcmp(key, "mode") || !strncmp(key, "mode.", 5)) {
        bool outbox = !strcmp(val, "outbox");
        if (!outbox && strcmp(val, "refuse"))
            return config_fail(st, "twin", key, "must be refuse or outbox, got '%s'", val);
        if (!key[4]) {
            t->outbox_mode_default = outbox;
            return 1;
        }
        return outbox ? slug_list(st, key, key + 5, t->outbox_mode, &t->n_outbox_mode, CONFIG_MAX_TENANTS)
                      : slug_list(st, key, key + 5, t->refuse_mode, &t->n_refuse_mode, CONFIG_MAX_TENANTS);
    }
    return config_fail(st, "twin", key, "unknown key%s", "");
}

bool config_twin_outbox_mode(const struct config_twin *t, const char *slug)
{
    for (int i = 0; i < t->n_outbox_mode; i++)
        if (!strcmp(t->outbox_mode[i], slug))
            return true;
    for (int i = 0; i < t->n_refuse_mode; i++)
        if (!strcmp(t->refuse_mode[i], slug))
            return false;
    return t->outbox_mode_default;
}

static int cases_key(struct config_state *st, const char *key, const char *val)
{
    struct config_cases *c = &st->c->cases;
    long v;
    if (!strcmp(key, "attachment_max_bytes"))
        return parse_int(st, "cases", key, val, 1024, 1L << 30, &v) ? (c->attachment_max_bytes = (size_t)v, 1) : 0;
    if (!strcmp(key, "attachments_per_case"))
        return parse_int(st, "cases", key, val, 0, 1000, &v) ? (c->attachments_per_case = (int)v, 1) : 0;
    if (!strcmp(key, "attachment_types")) {
        char list[256];
        if (strlen(val) >= sizeof list)
            return config_fail(st, "cases", key, "value too long%s", "");
        strcpy(list, val);
        unsigned set = 0;
        for (char *save = NULL, *tok = strtok_r(list, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
            enum sniff_type t = sniff_from_name(tok);
            if (t == SNIFF_UNKNOWN)
                return config_fail(st, "cases", key, "unknown type '%s' (pdf, png, jpeg, tiff, odt, docx, txt)", tok);
            set |= SNIFF_BIT(t);
        }
        c->attachment_types = set;
        return 1;
    }
    return config_fail(st, "cases", key, "unknown key%s", "");
}

static int config_handler(void *user, const char *section, const char *key, const char *val)
{
    struct config_state *st = user;
    if (st->e->code != ERR_OK)
        return 1; /* keep only the first error */
    if (!strcmp(section, "server"))
        return server_key(st, key, val);
    if (!strcmp(section, "import"))
        return import_key(st, key, val);
    if (!strcmp(section, "saml"))
        return saml_key(st, key, val);
    if (!strcmp(section, "auth"))
        return auth_key(st, key, val);
    if (!strcmp(section, "backup"))
        return backup_key(st, key, val);
    if (!strcmp(section, "cases"))
        return cases_key(st, key, val);
    if (!strcmp(section, "twin"))
        return twin_key(st, key, val);
    if (!strncmp(section, "bank.", 5)) {
        struct config_bank *b = bank_of(st, section, key);
        return b ? bank_key(st, section, b, key, val) : 0;
    }
    if (!strncmp(section, "tenant ", 7)) {
        const char *slug = section + 7;
        if (!slug_valid(slug))
            return config_fail(st, section, key, "bad tenant slug '%s' (use a-z, 0-9 and -)", slug);
        for (const char *const *r = reserved_slugs; *r; r++)
            if (!strcmp(slug, *r))
                return config_fail(st, section, key, "tenant slug '%s' is a top-level path of the server", slug);
        struct config *c = st->c;
        struct config_tenant *t = NULL;
        for (int i = 0; i < c->n_tenants; i++)
            if (!strcmp(c->tenants[i].slug, slug))
                t = &c->tenants[i];
        if (!t) {
            if (c->n_tenants == CONFIG_MAX_TENANTS)
                return config_fail(st, section, key, "too many tenants (max 16)%s", "");
            t = &c->tenants[c->n_tenants++];
            memset(t, 0, sizeof *t);
            strcpy(t->slug, slug);
            strcpy(t->case_format, "GP.6727.{seq}.{year}");
            t->extracts = true;
            t->anonymous_submissions = true;
        }
        return tenant_key(st, section, t, key, val);
    }
    return config_fail(st, section, key, "unknown section [%s]", section);
}

static void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->listen_host, "127.0.0.1");
    c->port = 8080;
    strcpy(c->data_dir, "./var");
    c->threads = 4;
    c->job_threads = -1; /* twice the processors, at least 4 (services/server.c) */
    c->max_connections = 512;
    c->max_connections_per_ip = 64;
    c->timeout_s = 30;
    c->head_timeout_s = 10;
    c->max_body_bytes = 1 << 20;
    c->connection_memory = 32 * 1024; /* libmicrohttpd zeroes it between requests: keep it small */
    c->import_gap_tolerance_m2 = 1.0;
    c->import_boundary_tolerance_m = 1.0;
    strcpy(c->saml.binding, "artifact");
    strcpy(c->saml.authn_context, "http://eidas.europa.eu/LoA/substantial");
    strcpy(c->saml.attr_given_name, "http://eidas.europa.eu/attributes/naturalperson/CurrentGivenName");
    strcpy(c->saml.attr_surname, "http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName");
    strcpy(c->saml.attr_pesel, "http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier");
    strcpy(c->saml.attr_date_of_birth, "http://eidas.europa.eu/attributes/naturalperson/DateOfBirth");
    c->saml.clock_skew_s = 60;
    c->saml.replay_cache = 10000;
    c->saml.soap_timeout_s = 10;
    c->cases.attachment_max_bytes = 10u << 20;
    c->cases.attachments_per_case = 20;
    for (int t = SNIFF_PDF; t <= SNIFF_TXT; t++)
        c->cases.attachment_types |= SNIFF_BIT(t);
    c->auth = (struct config_auth){.opslimit = 2,
                                   .memlimit = 64u << 20,
                                   .session_idle_s = 1800,
                                   .session_max_s = 12 * 3600,
                                   .login_per_ip = 30,
                                   .login_per_account = 10,
                                   .lockout_after = 5,
                                   .lockout_s = 60,
                                   .submissions_per_ip = 600};
    c->backup = (struct config_backup){.every_s = 3600, .keep_hourly = 24, .keep_daily = 7, .keep_monthly = 12};
    c->twin.ack_timeout_ms = 3000;
}

enum err_code config_load(struct config *c, const char *path, struct err *e)
{
    config_defaults(c);
    struct config_state st = {.c = c, .e = e};
    int rc;
    if (path) {
        snprintf(c->source, sizeof c->source, "%s", path);
        FILE *f = fopen(path, "r");
        if (!f)
            return err_set(e, ERR_INVALID, "config %s: cannot open", path);
        rc = ini_parse_file(f, config_handler, &st);
        fclose(f);
    } else {
        strcpy(c->source, "(built-in odra.ini)");
        const char *text = embed_find("odra.ini", NULL);
        if (!text)
            return err_set(e, ERR_INTERNAL, "built-in config missing");
        rc = ini_parse_string(text, config_handler, &st);
    }
    if (e->code != ERR_OK) {
        char msg[sizeof e->msg];
        snprintf(msg, sizeof msg, "config %s:%d: %s: %s", c->source, rc > 0 ? rc : 0, st.key, e->msg);
        snprintf(e->msg, sizeof e->msg, "%s", msg);
        return e->code;
    }
    if (rc > 0)
        return err_set(e, ERR_INVALID, "config %s:%d: syntax error", c->source, rc);
    if (rc < 0)
        return err_set(e, ERR_INVALID, "config %s: cannot read", c->source);
    if (c->n_tenants == 0)
        return err_set(e, ERR_INVALID, "config %s: tenant: no [tenant SLUG] section", c->source);
    if (c->saml.sp_entity_id[0]) {
        const char *missing = !c->saml.sp_key[0]         ? "saml.sp_key"
                              : !c->saml.sp_cert[0]      ? "saml.sp_cert"
                              : !c->saml.idp_metadata[0] ? "saml.idp_metadata"
                              : !c->public_url[0]        ? "server.public_url"
                                                         : NULL;
        if (missing)
            return err_set(e, ERR_INVALID, "config %s: %s: missing (needed when saml.sp_entity_id is set)", c->source,
                           missing);
    }
    for (int i = 0; i < c->n_tenants; i++) {
        struct config_tenant *t = &c->tenants[i];
        if (!t->name[0])
            return err_set(e, ERR_INVALID, "config %s: tenant %s.name: missing", c->source, t->slug);
        if (!t->teryt[0])
            return err_set(e, ERR_INVALID, "config %s: tenant %s.teryt: missing", c->source, t->slug);
        if (!t->organ[0])
            return err_set(e, ERR_INVALID, "config %s: tenant %s.organ: missing", c->source, t->slug);
        if (!t->place[0])
            strcpy(t->place, t->name);
        if (t->seal[0] && !t->seal_password_file[0])
            return err_set(e, ERR_INVALID, "config %s: tenant %s.seal_password_file: missing (needed when seal is set)",
                           c->source, t->slug);
        if (!strncmp(t->seal, "pkcs11:", 7) && (!t->seal_certificate[0] || !t->seal_pkcs11_module[0]))
            return err_set(e, ERR_INVALID,
                           "config %s: tenant %s.seal: a PKCS#11 key needs seal_certificate and seal_pkcs11_module",
                           c->source, t->slug);
        if (t->tsa_url[0] && !t->seal[0])
            return err_set(e, ERR_INVALID, "config %s: tenant %s.tsa_url: set, but the gmina has no seal", c->source,
                           t->slug);
        if (!t->public_url[0])
            strcpy(t->public_url, c->public_url);
        if (t->extracts && !t->public_url[0])
            return err_set(e, ERR_INVALID,
                           "config %s: tenant %s.public_url: extracts are on but no public_url is set; set "
                           "[server] public_url (or the gmina's) to the address citizens open, e.g. "
                           "https://gis.example.pl, or extracts = no",
                           c->source, t->slug);
    }
    return ERR_OK;
}

enum err_code config_load_cli(struct config *c, const char *path, const char *data_dir, struct err *e)
{
    if (config_load(c, path ? path : getenv("ODRA_CONFIG"), e))
        return e->code;
    if (data_dir)
        snprintf(c->data_dir, sizeof c->data_dir, "%s", data_dir);
    return ERR_OK;
}

enum err_code config_parse_listen(const char *s, char *host, size_t host_cap, int *port, struct err *e)
{
    const char *colon = strrchr(s, ':');
    if (!colon)
        return err_set(e, ERR_INVALID, "listen address must be HOST:PORT, got '%s'", s);
    size_t hl = (size_t)(colon - s);
    const char *h = s;
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
        h++, hl -= 2;
    if (hl == 0 || hl >= host_cap)
        return err_set(e, ERR_INVALID, "listen address has a bad host: '%s'", s);
    long p;
    if (!text_parse_long(colon + 1, 0, 65535, &p))
        return err_set(e, ERR_INVALID, "listen port must be 0-65535, got '%s'", colon + 1);
    memcpy(host, h, hl);
    host[hl] = 0;
    *port = (int)p;
    return ERR_OK;
}

const struct config_tenant *config_tenant_find(const struct config *c, const char *slug)
{
    for (int i = 0; i < c->n_tenants; i++)
        if (!strcmp(c->tenants[i].slug, slug))
            return &c->tenants[i];
    return NULL;
}
