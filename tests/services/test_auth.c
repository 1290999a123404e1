/* Unit tests of the identity primitives: Argon2id hashing and verification, tokens and their hashes, the
 * cookie and form parsers, the identity store's sessions and grants, the audit hash chain (and that an
 * edited row breaks it), and the route tables: every route declares its access, and no write is public
 * except the log-in itself. */
#include <sodium.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/audit.h"
#include "gis/identity.h"
#include "services/auth.h"
#include "services/module.h"
#include "services/routes.h"
#include "tests/test.h"

static char dir[] = "/tmp/odra-auth-XXXXXX";

static void password_hash_and_verify(void)
{
    char h[128];
    struct err e = {0};
    CHECK(auth_password_hash("correct horse battery", 1, 8u << 20, h, &e) == ERR_OK);
    CHECK(!strncmp(h, "$argon2id$", 10));
    CHECK(auth_password_verify(h, "correct horse battery"));
    CHECK(!auth_password_verify(h, "correct horse batterY"));
    CHECK(!auth_password_verify(h, ""));
    CHECK(!auth_password_verify("not a hash", "correct horse battery"));
    char h2[128];
    CHECK(auth_password_hash("correct horse battery", 1, 8u << 20, h2, &e) == ERR_OK);
    CHECK(strcmp(h, h2) != 0); /* salted */
}

static void tokens(void)
{
    char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1];
    auth_token_new(a);
    auth_token_new(b);
    CHECK(strlen(a) == AUTH_TOKEN_LEN && auth_token_valid(a) && auth_token_valid(b));
    CHECK(strcmp(a, b) != 0);
    CHECK(!auth_token_valid("short"));
    CHECK(!auth_token_valid(NULL));
    char bad[AUTH_TOKEN_LEN + 1];
    memcpy(bad, a, sizeof bad);
    bad[5] = '=';
    CHECK(!auth_token_valid(bad));
    unsigned char h1[32], h2[32], h3[32];
    auth_token_hash(a, h1);
    auth_token_hash(a, h2);
    auth_token_hash(b, h3);
    CHECK(!memcmp(h1, h2, 32) && memcmp(h1, h3, 32));
    /* the SHA-256 of "abc", the FIPS 180-2 example */
    unsigned char abc[32];
    auth_token_hash("abc", abc);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, abc, 32);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void cookie_and_form(void)
{
    char v[64];
    CHECK(auth_cookie_get("a=1; odra_session=xyz; b=2", "odra_session", v, sizeof v) && !strcmp(v, "xyz"));
    CHECK(auth_cookie_get("odra_session=q", "odra_session", v, sizeof v) && !strcmp(v, "q"));
    CHECK(!auth_cookie_get("xodra_session=q; odra_sessionx=r", "odra_session", v, sizeof v));
    CHECK(!auth_cookie_get("", "odra_session", v, sizeof v));
    CHECK(!auth_cookie_get("odra_session=0123456789012345678901234567890123456789012345678901234567890123456789",
                           "odra_session", v, sizeof v));
    const char *f = "login=j%C3%B3zef&password=a+b%26c&csrf=t";
    CHECK(auth_form_get(f, strlen(f), "login", v, sizeof v) && !strcmp(v, "józef"));
    CHECK(auth_form_get(f, strlen(f), "password", v, sizeof v) && !strcmp(v, "a b&c"));
    CHECK(auth_form_get(f, strlen(f), "csrf", v, sizeof v) && !strcmp(v, "t"));
    CHECK(!auth_form_get(f, strlen(f), "sword", v, sizeof v));
    CHECK(!auth_form_get("a=%zz", 5, "a", v, sizeof v));
    CHECK(!auth_form_get("a=%00", 5, "a", v, sizeof v));
}

static struct gis_identity *open_store(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct gis_identity *id = NULL;
    struct err e = {0};
    CHECK(gis_identity_open(path, &id, &e) == ERR_OK);
    return id;
}

static void accounts_grants_sessions(void)
{
    struct gis_identity *id = open_store("ident.sqlite");
    if (!id)
        return;
    struct err e = {0};
    long long anna = 0, jan = 0;
    CHECK(gis_account_add(id, "staff", "Anna", "$argon2id$x", NULL, NULL, &anna, &e) == ERR_OK);
    CHECK(gis_account_add(id, "resident", "jan", "$argon2id$y", NULL, NULL, &jan, &e) == ERR_OK);
    err_clear(&e);
    CHECK(gis_account_add(id, "resident", "ANNA", "$argon2id$z", NULL, NULL, NULL, &e) == ERR_CONFLICT);
    err_clear(&e);
    CHECK(gis_grant_add(id, anna, "slubice", "clerk", &e) == ERR_OK);
    CHECK(gis_grant_has(id, anna, "slubice", "clerk"));
    CHECK(!gis_grant_has(id, anna, "slubice", "planner"));
    CHECK(!gis_grant_has(id, anna, "cybinka", "clerk"));
    CHECK(gis_grant_add(id, anna, "cybinka", "gmina_admin", &e) == ERR_OK);
    CHECK(gis_grant_has(id, anna, "cybinka", "planner")); /* gmina_admin holds every role there */
    err_clear(&e);
    CHECK(gis_grant_add(id, anna, "slubice", "janitor", &e) != ERR_OK); /* not a role */
    struct gis_account a;
    char hash[128];
    err_clear(&e);
    CHECK(gis_account_find_login(id, "anna", &a, hash, sizeof hash, &e) == ERR_OK && a.id == anna);
    CHECK_STR(hash, "$argon2id$x");
    err_clear(&e);
    CHECK(gis_account_find_login(id, "nobody", &a, hash, sizeof hash, &e) == ERR_NOT_FOUND);

    unsigned char t1[32], t2[32], t3[32];
    auth_token_hash("one", t1), auth_token_hash("two", t2), auth_token_hash("three", t3);
    err_clear(&e);
    CHECK(gis_session_add(id, t1, anna, "c1", 1000, "127.0.0.1", &e) == ERR_OK);
    CHECK(gis_session_add(id, t2, anna, "c2", 2000, NULL, &e) == ERR_OK);
    CHECK(gis_session_add(id, t3, jan, "c3", 3000, NULL, &e) == ERR_OK);
    struct gis_session s;
    CHECK(gis_session_find(id, t2, &s, &e) == ERR_OK && s.account.id == anna && !strcmp(s.csrf, "c2") &&
          s.created == 2000 && !strcmp(s.account.kind, "staff"));
    CHECK(gis_session_touch(id, t2, 2500, &e) == ERR_OK);
    CHECK(gis_session_find(id, t2, &s, &e) == ERR_OK && s.last_seen == 2500 && s.created == 2000);
    long long n = 0;
    CHECK(gis_sessions_delete_account(id, anna, &n, &e) == ERR_OK && n == 2);
    err_clear(&e);
    CHECK(gis_session_find(id, t1, &s, &e) == ERR_NOT_FOUND);
    err_clear(&e);
    CHECK(gis_session_find(id, t3, &s, &e) == ERR_OK); /* another account's session stays */

    int failures;
    long long until;
    CHECK(gis_login_failures_set(id, "Ghost", 3, 10000, 0, &e) == ERR_OK);
    gis_login_failures_get(id, "ghost", 10500, 86400000, &failures, &until);
    CHECK(failures == 3 && until == 0);
    gis_login_failures_get(id, "ghost", 10000 + 86400001, 86400000, &failures, &until);
    CHECK(failures == 0); /* forgotten after a day */
    CHECK(gis_login_failures_clear(id, "GHOST", &e) == ERR_OK);
    gis_login_failures_get(id, "ghost", 10500, 86400000, &failures, &until);
    CHECK(failures == 0);
    gis_identity_close(id);
}

static void audit_chain(void)
{
    struct gis_identity *id = open_store("audit.sqlite");
    if (!id)
        return;
    struct err e = {0};
    long long rows = -1, bad = -1;
    CHECK(gis_audit_verify(id, &rows, &bad, &e) == ERR_OK && rows == 0 && bad == 0);
    for (int i = 0; i < 5; i++) {
        char rec[32];
        snprintf(rec, sizeof rec, "/slubice/waste/payers/%d", i);
        struct gis_audit_entry a = {"anna", "GET /{t}/waste/payers/{id}", "slubice", rec, "127.0.0.1", "status 200"};
        CHECK(gis_audit_append(id, &a, &e) == ERR_OK);
    }
    CHECK(gis_audit_verify(id, &rows, &bad, &e) == ERR_OK && rows == 5 && bad == 0);
    /* field boundaries are part of the hash: moving a character from one field to the next changes it */
    char h1[65], h2[65];
    struct gis_audit_entry x = {"ab", "c", NULL, NULL, NULL, NULL}, y = {"a", "bc", NULL, NULL, NULL, NULL};
    gis_audit_hash("0", 1, "t", &x, h1);
    gis_audit_hash("0", 1, "t", &y, h2);
    CHECK(strcmp(h1, h2) != 0);
    /* the log refuses an update; with the trigger dropped, the edit shows in the chain */
    sqlite3 *db = gis_identity_db(id);
    CHECK(sqlite3_exec(db, "UPDATE audit SET actor = 'eve' WHERE id = 3", NULL, NULL, NULL) != SQLITE_OK);
    CHECK(sqlite3_exec(db, "DELETE FROM audit WHERE id = 2", NULL, NULL, NULL) != SQLITE_OK);
    CHECK(sqlite3_exec(db, "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'eve' WHERE id = 3", NULL, NULL,
                       NULL) == SQLITE_OK);
    CHECK(gis_audit_verify(id, &rows, &bad, &e) == ERR_OK && rows == 5 && bad == 3);
    CHECK(sqlite3_exec(db, "UPDATE audit SET actor = 'anna' WHERE id = 3", NULL, NULL, NULL) == SQLITE_OK);
    CHECK(gis_audit_verify(id, &rows, &bad, &e) == ERR_OK && bad == 0);
    CHECK(sqlite3_exec(db, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 2", NULL, NULL, NULL) ==
          SQLITE_OK);
    CHECK(gis_audit_verify(id, &rows, &bad, &e) == ERR_OK && rows == 4 && bad == 3);
    gis_identity_close(id);
}

/* Appends from several threads into two stores at once are written in batches (gis/audit.c): every one is
 * there, each chain holds, and the ids run without a gap. */
struct append_arg {
    struct gis_identity *id;
    int thread, failed;
};

static void *append_many(void *p)
{
    struct append_arg *arg = p;
    for (int i = 0; i < 25; i++) {
        char rec[48];
        snprintf(rec, sizeof rec, "/slubice/extracts/%d-%d", arg->thread, i);
        struct gis_audit_entry a = {"anonim", "case.register", "slubice", rec, "127.0.0.1", "extracts"};
        struct err e = {0};
        arg->failed += gis_audit_append(arg->id, &a, &e) != ERR_OK;
    }
    return NULL;
}

static void audit_concurrent_appends(void)
{
    struct gis_identity *ids[2] = {open_store("audit-a.sqlite"), open_store("audit-b.sqlite")};
    if (!ids[0] || !ids[1])
        return;
    pthread_t th[6];
    struct append_arg args[6];
    for (int i = 0; i < 6; i++) {
        args[i] = (struct append_arg){.id = ids[i % 2], .thread = i};
        CHECK(pthread_create(&th[i], NULL, append_many, &args[i]) == 0);
    }
    int failed = 0;
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        failed += args[i].failed;
    }
    CHECK(failed == 0);
    for (int k = 0; k < 2; k++) {
        struct err e = {0};
        long long rows = -1, bad = -1;
        CHECK(gis_audit_verify(ids[k], &rows, &bad, &e) == ERR_OK && rows == 75 && bad == 0);
        sqlite3_stmt *st;
        CHECK(sqlite3_prepare_v2(gis_identity_db(ids[k]), "SELECT count(DISTINCT record), min(id), max(id) FROM audit",
                                 -1, &st, NULL) == SQLITE_OK);
        CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 75 && sqlite3_column_int(st, 1) == 1 &&
              sqlite3_column_int(st, 2) == 75);
        sqlite3_finalize(st);
        gis_identity_close(ids[k]);
    }
}

static void residents_by_pesel(void)
{
    char m[12];
    gis_pesel_mask("85031412345", m);
    CHECK(!strcmp(m, "850314*****"));
    gis_pesel_mask("8503141234", m);
    CHECK(!strcmp(m, ""));
    gis_pesel_mask("8503141234x", m);
    CHECK(!strcmp(m, ""));
    CHECK(gis_pesel_valid("00000000000") && !gis_pesel_valid("850314123456") && !gis_pesel_valid(NULL));
    struct gis_identity *id = open_store("residents.sqlite");
    if (!id)
        return;
    struct err e = {0};
    struct gis_resident z = {
        .pesel = "85031412345", .given_name = "Zofia", .surname = "Wiśniewska", .date_of_birth = "1985-03-14"};
    struct gis_account a, b, c;
    bool created = false;
    CHECK(gis_resident_login(id, &z, &a, &created, &e) == ERR_OK && created);
    CHECK(!strcmp(a.kind, "resident") && !strncmp(a.login, "wk-", 3) && !strstr(a.login, "850314"));
    snprintf(z.surname, sizeof z.surname, "Kowalczyk"); /* a new name, the same person */
    CHECK(gis_resident_login(id, &z, &b, &created, &e) == ERR_OK && !created && b.id == a.id);
    struct gis_resident got;
    CHECK(gis_resident_get(id, a.id, &got, &e) == ERR_OK && !strcmp(got.surname, "Kowalczyk") &&
          !strcmp(got.pesel, "85031412345"));
    struct gis_resident j = {.pesel = "90010154321", .given_name = "Jan", .surname = "Nowak"};
    CHECK(gis_resident_login(id, &j, &c, &created, &e) == ERR_OK && created && c.id != a.id);
    struct gis_resident bad = {.pesel = "9001015432"};
    CHECK(gis_resident_login(id, &bad, &c, &created, &e) == ERR_INVALID);
    err_clear(&e);
    long long staff = 0;
    CHECK(gis_account_add(id, "staff", "ola", "$argon2id$x", NULL, NULL, &staff, &e) == ERR_OK);
    CHECK(gis_resident_get(id, staff, &got, &e) == ERR_NOT_FOUND);
    gis_identity_close(id);
}

/* The cap on audit rows for refusals: one per key and minute, at most per_min a minute, every refusal
 * without a row counted once and reported in a later row. */
static void refusal_cap(void)
{
    static struct auth_refusal_cap c; /* large: not on the stack */
    memset(&c, 0, sizeof c);
    long long t0 = 1780000000000LL - 1780000000000LL % 60000, earlier = -1, over = -1;
    CHECK(auth_refusal_take(&c, 42, t0, 3, &earlier, &over) && earlier == 0 && over == 0);
    for (int i = 0; i < 999; i++) /* a flood of one key in one minute: no more rows */
        CHECK(!auth_refusal_take(&c, 42, t0 + 10 + i, 3, &earlier, &over));
    CHECK(auth_refusal_take(&c, 43, t0 + 2000, 3, &earlier, &over) && earlier == 0);
    CHECK(auth_refusal_take(&c, 44, t0 + 3000, 3, &earlier, &over));
    CHECK(!auth_refusal_take(&c, 45, t0 + 4000, 3, &earlier, &over)); /* over the minute's cap */
    CHECK(!auth_refusal_take(&c, 46, t0 + 5000, 3, &earlier, &over));
    /* the next minute: key 42's row reports its 999, and the two over the cap */
    CHECK(auth_refusal_take(&c, 42, t0 + 60000, 3, &earlier, &over) && earlier == 999 && over == 2);
    CHECK(auth_refusal_take(&c, 45, t0 + 60001, 3, &earlier, &over) && earlier == 0 && over == 0);
    CHECK(!auth_refusal_take(&c, 45, t0 + 60002, 3, &earlier, &over));
}

/* RODO erasure in the identity store: the resident row, sessions, password and log-in failures go; the
 * account stays, disabled, under a new login; the person may come back as a new account. */
static void account_erasure(void)
{
    struct gis_identity *id = open_store("erasure.sqlite");
    if (!id)
        return;
    struct err e = {0};
    struct gis_resident z = {.pesel = "85031412345", .given_name = "Zofia", .surname = "Wiśniewska"};
    struct gis_account a, again, got;
    CHECK(gis_resident_login(id, &z, &a, NULL, &e) == ERR_OK);
    unsigned char h1[32] = {1}, h2[32] = {2};
    CHECK(!gis_session_add(id, h1, a.id, "csrf", 1000, "10.0.0.1", &e) &&
          !gis_session_add(id, h2, a.id, "csrf", 2000, "10.0.0.2", &e));
    CHECK(!gis_login_failures_set(id, a.login, 2, 3000, 0, &e));
    char created[32];
    CHECK(!gis_account_by_id(id, a.id, &got, created, &e) && !strcmp(got.login, a.login) && created[0]);
    long long n = 0;
    CHECK(gis_account_erase(id, a.id, "usuniete-1", &n, &e) == ERR_OK && n == 2);
    CHECK(gis_resident_get(id, a.id, &z, &e) == ERR_NOT_FOUND);
    err_clear(&e);
    CHECK(!gis_account_by_id(id, a.id, &got, created, &e) && got.disabled && !strcmp(got.login, "usuniete-1"));
    struct gis_session s;
    CHECK(gis_session_find(id, h1, &s, &e) == ERR_NOT_FOUND);
    err_clear(&e);
    int failures = -1;
    long long until;
    gis_login_failures_get(id, a.login, 3000, 86400000, &failures, &until);
    CHECK(failures == 0);
    snprintf(z.pesel, sizeof z.pesel, "85031412345");
    bool created_again = false;
    CHECK(gis_resident_login(id, &z, &again, &created_again, &e) == ERR_OK && created_again && again.id != a.id);
    CHECK(gis_account_erase(id, 9999, "usuniete-9999", NULL, &e) == ERR_NOT_FOUND);
    err_clear(&e);
    gis_identity_close(id);
}

static int undeclared, public_writes;

static void route_check(const struct http_route *r)
{
    if (r->access.kind == HTTP_ACCESS_UNDECLARED) {
        undeclared++;
        printf("  undeclared access: %s %s\n", r->method, r->pattern);
    }
    /* Public writes by nature: the log-in form (and the log-in page's, which posts it to /auth/login with the
     * page's anonymous CSRF token checked first, docs/web.md), the SAML answer whose credential is the IdP's signed
     * message bound to the browser's pending request (docs/saml.md), and the payment provider's
     * notification, whose credential is its SHA-384 signature with the gmina's CRC key (docs/payments.md).
     * Single logout is an account route. */
    static const char *const public_writes_ok[] = {"/auth/login", "/{t}/signin", "/auth/saml/acs",
                                                   "/{t}/payments/online/p24/notify", NULL};
    bool allowed = false;
    for (int i = 0; public_writes_ok[i]; i++)
        allowed |= !strcmp(r->pattern, public_writes_ok[i]);
    if (strcmp(r->method, "GET") && r->access.kind == HTTP_ACCESS_PUBLIC && !allowed) {
        public_writes++;
        printf("  public write: %s %s\n", r->method, r->pattern);
    }
    if (r->access.kind == HTTP_ACCESS_STAFF)
        CHECK(r->access.role != NULL);
}

static void every_route_declares_access(void)
{
    int n = 0;
    for (const struct http_route *const *t = svc_route_tables; *t; t++)
        for (const struct http_route *r = *t; r->pattern; r++, n++)
            route_check(r);
    for (const struct svc_module *const *m = svc_modules; *m; m++)
        for (const struct http_route *r = (*m)->routes; r && r->pattern; r++, n++)
            route_check(r);
    CHECK(n > 50);
    CHECK(undeclared == 0);
    CHECK(public_writes == 0);
    struct err e = {0};
    CHECK(svc_auth_routes_check(&e) == ERR_OK);
    /* a table with a route that forgot its access is refused, naming it; so is a staff route without a role */
    const struct http_route forgot[] = {
        {"GET", "/{t}/ok", NULL, "x", "fine", NULL, NULL, HTTP_PUBLIC},
        {"POST", "/{t}/new", NULL, "x", "a new write", NULL, NULL, {0}},
        {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
    };
    CHECK(svc_auth_table_check(forgot, "test", &e) == ERR_INVALID && strstr(e.msg, "POST /{t}/new"));
    err_clear(&e);
    const struct http_route no_role[] = {
        {"POST", "/{t}/x", NULL, "x", "staff", NULL, NULL, HTTP_STAFF(NULL, "x:write")},
        {NULL, NULL, NULL, NULL, NULL, NULL, NULL, {0}},
    };
    CHECK(svc_auth_table_check(no_role, "test", &e) == ERR_INVALID);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(password_hash_and_verify);
    RUN(tokens);
    RUN(cookie_and_form);
    RUN(accounts_grants_sessions);
    RUN(audit_chain);
    RUN(audit_concurrent_appends);
    RUN(residents_by_pesel);
    RUN(refusal_cap);
    RUN(account_erasure);
    RUN(every_route_declares_access);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("warning: %s left behind\n", dir);
    return test_done();
}
