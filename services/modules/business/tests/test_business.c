/* Unit tests for the business module: NIP and REGON checksums (with hostile strings), PKD codes and
 * sections, the CEIDG and CSV readers with hostile input, and the mapping tables and store on a scratch
 * store migrated by the module's own migration. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services/modules/business/business.h"
#include "services/modules/business/store.h"
#include "services/module.h"
#include "tests/store_fixture.h"
#include "tests/test.h"

static void nip_checksums(void)
{
    char d[11];
    CHECK(business_nip_valid("1234563218", d));
    CHECK_STR(d, "1234563218");
    CHECK(business_nip_valid("123-456-32-18", d));
    CHECK_STR(d, "1234563218");
    CHECK(business_nip_valid("123 456 32 18", d));
    CHECK(!business_nip_valid("1234563219", d)); /* wrong check digit */
    CHECK(!business_nip_valid("123456321", d));  /* nine digits */
    CHECK(!business_nip_valid("12345632180", d));
    CHECK(!business_nip_valid("123456321a", d));
    CHECK(!business_nip_valid("PL1234563218", d));
    CHECK(!business_nip_valid("", d));
    CHECK(!business_nip_valid(NULL, d));
    CHECK(!business_nip_valid("1234563218\n", d));
    CHECK(business_nip_valid("-1234563218", d)); /* hyphens anywhere are layout, the digits count */
    char big[4096];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(!business_nip_valid(big, d));
    /* a weighted sum whose rest is 10 is never a NIP, whatever the last digit: 3 * 7 = 21 */
    for (char last = '0'; last <= '9'; last++) {
        char s[11] = "000000003";
        s[9] = last, s[10] = 0;
        CHECK(!business_nip_valid(s, d));
    }
}

static void regon_checksums(void)
{
    char d[15];
    CHECK(business_regon_valid("123456785", d));
    CHECK_STR(d, "123456785");
    CHECK(!business_regon_valid("123456786", d));
    CHECK(business_regon_valid("12345678512347", d));
    CHECK_STR(d, "12345678512347");
    CHECK(!business_regon_valid("12345678512348", d));
    CHECK(!business_regon_valid("12345678612340", d)); /* the 9-digit head is not a REGON */
    CHECK(!business_regon_valid("1234567851", d));     /* ten digits */
    CHECK(!business_regon_valid("12345678x", d));
    CHECK(!business_regon_valid(NULL, d));
    CHECK(!business_regon_valid("", d));
}

static void pkd_codes(void)
{
    char c[8];
    CHECK(business_pkd_parse("4711Z", c));
    CHECK_STR(c, "47.11.Z");
    CHECK(business_pkd_parse("47.11.z", c));
    CHECK_STR(c, "47.11.Z");
    CHECK(business_pkd_parse("62.10.B", c));
    CHECK(!business_pkd_parse("47.11", c));
    CHECK(!business_pkd_parse("47.1.Z", c));
    CHECK(!business_pkd_parse("47.11.ZZ", c));
    CHECK(!business_pkd_parse("47.11.Z1", c));
    CHECK(!business_pkd_parse("Z47.11", c));
    CHECK(!business_pkd_parse("", c));
    CHECK(!business_pkd_parse(NULL, c));
    CHECK(!business_pkd_parse("47.11.\xC5\xBB", c)); /* Ż */
    CHECK(business_pkd2025_section("47.11.Z") == 'G');
    CHECK(business_pkd2025_section("45.20.Z") == 0); /* division 45 is gone in PKD 2025 */
    CHECK(business_pkd2007_section("45.20.Z") == 'G');
    CHECK(business_pkd2025_section("62.10.B") == 'K');
    CHECK(business_pkd2007_section("62.01.Z") == 'J');
    CHECK(business_pkd2025_section("68.20.Z") == 'M');
    CHECK(business_pkd2007_section("68.20.Z") == 'L');
    CHECK(business_pkd2025_section("01.13.Z") == 'A');
    CHECK(business_pkd2025_section("99.00.Z") == 'V');
    CHECK(business_pkd2025_section("00.00.Z") == 0);
    CHECK(business_pkd2025_section("04.00.Z") == 0);
    CHECK(business_pkd2025_section("x") == 0);
    CHECK(business_pkd2025_section_name('G') != NULL && business_pkd2025_section_name('W') == NULL);
    enum business_status st;
    CHECK(business_status_parse("AKTYWNY", &st) && st == BUSINESS_ACTIVE);
    CHECK(business_status_parse("WYKREŚLONY", &st) && st == BUSINESS_CLOSED);
    CHECK(business_status_parse("zawieszony", &st) && st == BUSINESS_SUSPENDED);
    CHECK(!business_status_parse("x", &st) && !business_status_parse(NULL, &st));
}

#define CEIDG_OK                                                                                                       \
    "{\"firmy\": [{\"id\": \"a1\", \"nazwa\": \"Piekarnia Jan Kowalski\", \"wlasciciel\": {\"imie\": \"Jan\", "        \
    "\"nazwisko\": \"Kowalski\", \"nip\": \"1234563218\", \"regon\": \"123456785\"}, \"adresDzialalnosci\": "          \
    "{\"ulica\": \"ul. Długa\", \"budynek\": \"5\", \"lokal\": \"2\", \"miasto\": \"Słubice\", \"kod\": "            \
    "\"69-100\"}, \"adresyDzialalnosciDodatkowe\": [{\"ulica\": \"ul. Krótka\", \"budynek\": \"1\", \"miasto\": "     \
    "\"Słubice\"}, {\"miasto\": \"Słubice\"}], \"pkdGlowny\": \"1071Z\", \"pkd\": [\"1071Z\", \"4724Z\"], "          \
    "\"dataRozpoczecia\": \"2015-03-01\", \"status\": \"AKTYWNY\"}]}"

static void ceidg_reader(void)
{
    struct arena *a = arena_new(4096);
    struct business_file f;
    struct err e = {0};
    CHECK(!business_parse_ceidg(CEIDG_OK, strlen(CEIDG_OK), 100, a, &f, &e));
    CHECK(f.n == 1);
    const struct business_record *r = &f.recs[0];
    CHECK_STR(r->name, "Piekarnia Jan Kowalski");
    CHECK_STR(r->nip_text, "1234563218");
    CHECK_STR(r->regon_text, "123456785");
    CHECK_STR(r->pkd_main_text, "1071Z");
    CHECK(r->npkd == 2);
    CHECK(r->nplaces == 2); /* the place without a building is dropped */
    CHECK(r->places[0].main && !r->places[1].main);
    CHECK_STR(r->places[0].address, "ul. Długa 5, 69-100 Słubice");
    CHECK_STR(r->places[0].flat, "2");
    CHECK_STR(r->places[1].address, "ul. Krótka 1, Słubice");
    CHECK_STR(r->status_text, "AKTYWNY");
    /* hostile input */
    const char *bad[] = {"",
                         "nie json",
                         "[]",
                         "{\"firmy\": 5}",
                         "{\"firmy\": [1]}",
                         "{\"firmy\": [{}], \"firmy\": []}",
                         "{\"firmy\": [{\"nazwa\": \"a\"}]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_clear(&e);
        CHECK(business_parse_ceidg(bad[i], strlen(bad[i]), 100, a, &f, &e) == ERR_INVALID);
    }
    err_clear(&e);
    const char *two = "{\"firmy\": [{}, {}]}";
    CHECK(business_parse_ceidg(two, strlen(two), 1, a, &f, &e) == ERR_TOO_LARGE);
    err_clear(&e);
    /* wrong types and an embedded NUL are not read as values */
    const char *nul = "{\"firmy\": [{\"nazwa\": \"x\\u0000y\"}]}"; /* jansson refuses NUL in strings */
    CHECK(business_parse_ceidg(nul, strlen(nul), 10, a, &f, &e) == ERR_INVALID);
    err_clear(&e);
    const char *odd = "{\"firma\": [{\"nazwa\": 7, \"wlasciciel\": {\"nip\": 1234563218}, \"pkd\": "
                      "[1, null, {\"kod\": \"4711Z\"}], \"adresDzialalnosci\": [\"x\"]}]}";
    CHECK(!business_parse_ceidg(odd, strlen(odd), 10, a, &f, &e));
    CHECK(f.n == 1 && !f.recs[0].name && !f.recs[0].nip_text && f.recs[0].npkd == 1 && !f.recs[0].nplaces);
    arena_free(a);
}

static void csv_reader(void)
{
    struct arena *a = arena_new(4096);
    struct business_file f;
    struct err e = {0};
    const char *csv = "\xEF\xBB\xBFnip;regon;nazwa;pkd_glowny;pkd;rodzaj;ulica;budynek;miejscowosc;kod;data_od\r\n"
                      "1234563218;123456785;\"Sklep \"\"Pod Lipą\"\"; s.c.\";4711Z;4711Z|4725Z;glowne;ul. Długa;5;"
                      "Słubice;69-100;2020-01-01\r\n"
                      "1234563218;;;;;dodatkowe;;7;Kunowice;;\r\n"
                      "\r\n"
                      "5260250274;;Inna firma;;;glowne;;1;Rzepin;;\n";
    CHECK(!business_parse_csv(csv, strlen(csv), 100, a, &f, &e));
    CHECK(f.n == 2);
    CHECK_STR(f.recs[0].name, "Sklep \"Pod Lipą\"; s.c.");
    CHECK(f.recs[0].nplaces == 2 && f.recs[0].npkd == 2);
    CHECK(!f.recs[0].places[1].main);
    CHECK_STR(f.recs[0].places[1].address, "Kunowice 7");
    CHECK(f.recs[1].line == 5);
    CHECK_STR(f.recs[1].nip_text, "5260250274");
    const char *bad[] = {"", "nazwa;budynek\nx;1\n", "nip;nazwa;budynek;miejscowosc\n1;\"open;1;x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_clear(&e);
        CHECK(business_parse_csv(bad[i], strlen(bad[i]), 100, a, &f, &e) == ERR_INVALID);
    }
    err_clear(&e);
    const char *cr = "nip;nazwa;budynek;miejscowosc\r1;a;1;x\r2;b;1;x\r3;c;1;x"; /* lines ended by CR alone */
    CHECK(!business_parse_csv(cr, strlen(cr), 100, a, &f, &e) && f.n == 3);
    CHECK_STR(f.recs[2].name, "c");
    const char *many = "nip,nazwa,budynek,miejscowosc\n1,a,1,x\n2,b,1,x\n";
    CHECK(business_parse_csv(many, strlen(many), 1, a, &f, &e) == ERR_TOO_LARGE);
    err_clear(&e);
    char wide[512] = "nip";
    for (int i = 0; i < 40; i++)
        strcat(wide, ";x");
    CHECK(business_parse_csv(wide, strlen(wide), 10, a, &f, &e) == ERR_INVALID);
    arena_free(a);
}

static bool count_one(void *ctx, long id, const char *name, const char *nip, const char *address, const char *reason)
{
    (void)id, (void)name, (void)nip, (void)address, (void)reason;
    ++*(int *)ctx;
    return true;
}

static int queued(struct gis_store *s)
{
    int n = 0;
    struct err e = {0};
    return business_store_unmatched_each(s, count_one, &n, &e) ? -1 : n;
}

static void mapping_and_store(void)
{
    char path[] = "/tmp/odra-business-XXXXXX";
    struct gis_store *w = test_store_new(path);
    CHECK(w != NULL);
    if (!w)
        return;
    struct err e = {0};
    const struct svc_module *m = svc_module_find("business");
    CHECK(m && !svc_module_migrate(m, w, &e));
    struct arena *a = arena_new(4096);
    char c[8];
    CHECK(business_store_pkd_2007(w, "62.01.Z", c, &e));
    CHECK_STR(c, "62.10.B");
    CHECK(business_store_pkd_2007(w, "45.20.Z", c, &e) && business_pkd2025_section(c) == 'T');
    CHECK(!business_store_pkd_2007(w, "47.11.Z", c, &e)); /* unchanged codes are not listed */
    struct business_category cat;
    CHECK(!business_store_pkd_category(w, a, "47.11.Z", &cat, &e));
    CHECK_STR(cat.category, "handel");
    CHECK_STR(cat.prefix, "47"); /* the division beats section G */
    CHECK(!business_store_pkd_category(w, a, "10.71.Z", &cat, &e));
    CHECK_STR(cat.category, "rzemioslo"); /* the class beats section C */
    CHECK(!business_store_pkd_category(w, a, "25.11.Z", &cat, &e));
    CHECK_STR(cat.category, "produkcja");
    struct business_rule rule;
    CHECK(!business_store_zone_rule(w, a, "mpzp", "MN", "produkcja", &rule, &e) && rule.verdict == BUSINESS_FORBIDDEN);
    CHECK(!business_store_zone_rule(w, a, "mpzp", "U", "handel", &rule, &e) && rule.verdict == BUSINESS_ALLOWED);
    CHECK(!business_store_zone_rule(w, a, "pog", "SP", "produkcja", &rule, &e) &&
          rule.verdict == BUSINESS_CONDITIONAL && !strcmp(rule.uncertainty, "high"));
    CHECK(business_store_zone_rule(w, a, "mpzp", "XYZ", "handel", &rule, &e) == ERR_NOT_FOUND);
    err_clear(&e);
    /* a business and a place, put twice: the second time nothing changes */
    struct business_row b = {.nip = "1234563218",
                             .name = "Firma",
                             .pkd_main = "47.11.Z",
                             .pkd_section = "G",
                             .pkd_other = "",
                             .source = "csv",
                             .imported_at = "2026-01-01"};
    enum business_change ch;
    CHECK(!business_store_business_put(w, &b, &ch, &e) && ch == BUSINESS_NEW && b.id > 0);
    CHECK(!business_store_business_put(w, &b, &ch, &e) && ch == BUSINESS_UNCHANGED);
    b.name = "Firma 2";
    CHECK(!business_store_business_put(w, &b, &ch, &e) && ch == BUSINESS_UPDATED);
    struct business_place_row p = {.business_id = b.id,
                                   .main = true,
                                   .address_text = "ul. Nowa 1, Słubice",
                                   .status = BUSINESS_ACTIVE,
                                   .reason = "no match",
                                   .queued_at = "2026-01-01"};
    CHECK(!business_store_place_put(w, &p, &ch, &e) && ch == BUSINESS_NEW);
    CHECK(queued(w) == 1);
    CHECK(!business_store_place_put(w, &p, &ch, &e) && ch == BUSINESS_UNCHANGED);
    CHECK(!business_store_place_match(w, p.id, 0, NULL, 500000, 500000, &e));
    CHECK(queued(w) == 0);
    CHECK(business_store_place_match(w, 999, 0, NULL, 1, 1, &e) == ERR_NOT_FOUND);
    arena_free(a);
    gis_store_close(w);
    unlink(path);
}

int main(void)
{
    RUN(nip_checksums);
    RUN(regon_checksums);
    RUN(pkd_codes);
    RUN(ceidg_reader);
    RUN(csv_reader);
    RUN(mapping_and_store);
    return test_done();
}
