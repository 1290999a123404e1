/* Tests for gis/app_validate and gis/report: the value rules, the code lists, the requirements read from
 * the APP XSD in $ODRA_SHARED/data/app, and the streaming pre-pass on the official samples and on copies
 * rewritten here (a symbol against its name, a duplicated lokalnyId, another gmina, a lying namespace). */
#include "gis/app_validate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/test.h"

static char shared[512], dir[] = "/tmp/odra-test-appv-XXXXXX";

static const char *app_path(const char *name)
{
    static char b[4][1024];
    static int k;
    char *p = b[k++ % 4];
    snprintf(p, sizeof b[0], "%s/data/app/%s", shared, name);
    return p;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = 0;
    fclose(f);
    return s;
}

/* A copy of sample name with every `from` replaced by `to` (the first `count`, 0 for all). */
static const char *rewritten(const char *name, const char *out, const char *from, const char *to, int count)
{
    static char path[1024];
    char *s = slurp(app_path(name));
    snprintf(path, sizeof path, "%s/%s", dir, out);
    FILE *f = fopen(path, "wb");
    if (!s || !f) {
        free(s);
        if (f)
            fclose(f);
        return path;
    }
    size_t fl = strlen(from);
    int done = 0;
    for (char *p = s, *q; *p; p = q + fl) {
        q = strstr(p, from);
        if (!q || (count && done == count)) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(q - p), f);
        fputs(to, f);
        done++;
    }
    fclose(f);
    free(s);
    return path;
}

static const struct app_gmina gminas[] = {{"0805053", "Słubice"}, {"0805022", "Górzyca"}, {"1212011", "Testowa"}};

/* Scans one file as a tenant with TERYT teryt; returns the report (caller frees). */
static struct gis_report *scan(const char *path, const char *teryt, struct app_scan *sc)
{
    struct gis_report *rp = gis_report_new();
    const char *name = NULL;
    for (int i = 0; teryt && i < 3; i++)
        if (!strcmp(gminas[i].teryt, teryt))
            name = gminas[i].name;
    struct app_scan_opts o = {.tenant_teryt = teryt, .tenant_name = name, .gminas = gminas, .ngminas = 3};
    struct err e = {0};
    memset(sc, 0, sizeof *sc);
    CHECK(app_scan_file(path, strrchr(path, '/') + 1, &o, sc, rp, &e) == ERR_OK);
    app_scan_finish(sc, rp);
    return rp;
}

static char *printed(struct gis_report *rp)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gis_report_print(rp, NULL, f);
    fclose(f);
    return buf;
}

static void values(void)
{
    double v;
    CHECK(app_decimals("15.5", &v) == 1 && v == 15.5);
    CHECK(app_decimals(" 30 ", &v) == 0 && v == 30);
    CHECK(app_decimals("0.95", NULL) == 2);
    CHECK(app_decimals("30.10", NULL) == 2);
    CHECK(app_decimals("-1.5", &v) == 1 && v == -1.5);
    CHECK(app_decimals(".5", &v) == 1 && v == 0.5);
    CHECK(app_decimals("30,1", NULL) == -1);
    CHECK(app_decimals("1e3", NULL) == -1);
    CHECK(app_decimals("", NULL) == -1);
    CHECK(app_decimals(".", NULL) == -1);
    CHECK(app_decimals("abc", NULL) == -1);

    CHECK(app_designation_ok("1SJ", "SJ"));
    CHECK(app_designation_ok("12SJ", "SJ"));
    CHECK(!app_designation_ok("1SP", "SZ"));
    CHECK(!app_designation_ok("1BLAD", "SP"));
    CHECK(!app_designation_ok("SJ1", "SJ"));
    CHECK(!app_designation_ok("SJ", "SJ"));
    CHECK(!app_designation_ok("01SJ", "SJ"));
    CHECK(!app_designation_ok("1 SJ", "SJ"));
    CHECK(!app_designation_ok("1SJW", "SJ"));

    char t[8];
    CHECK(app_namespace_teryt("PL.ZIPPZP.1234/121201-POG", t) && !strcmp(t, "121201"));
    CHECK(app_namespace_teryt("PL.ZIPPZP.2388/0805022-POG", t) && !strcmp(t, "0805022"));
    CHECK(!app_namespace_teryt("PL.ZIPPZP.2388/08050-POG", t));
    CHECK(!app_namespace_teryt("PL.ZIPPZP.2388", t));
    CHECK(app_teryt_matches("080502", "0805022"));
    CHECK(app_teryt_matches("0805022", "0805022"));
    CHECK(!app_teryt_matches("0805023", "0805022"));
    CHECK(!app_teryt_matches("080505", "0805022"));

    char act[200];
    CHECK(app_act_iip("", "PL.ZIPPZP.1234/121201-POG", "1POG-1SJ", act, sizeof act));
    CHECK_STR(act, "PL.ZIPPZP.1234/121201-POG/1POG");
    CHECK(app_act_iip("https://www.gov.pl/zagospodarowanieprzestrzenne/app/AktPlanowaniaPrzestrzennego/"
                      "PL.ZIPPZP.2388/0805022-POG/2026_1/20260622T000000",
                      "X/1-POG", "zzz", act, sizeof act));
    CHECK_STR(act, "PL.ZIPPZP.2388/0805022-POG/2026_1");
    CHECK(app_version_cmp("20250731T131916", "20250731T131852") > 0);
    CHECK(app_version_cmp("20250731T131916", NULL) > 0);
    CHECK(app_version_cmp(NULL, "1") < 0);
    CHECK(app_version_cmp("1", "1") == 0);
}

static void code_lists(void)
{
    int n = 0;
    app_zone_types(&n);
    CHECK(n == 13);
    const struct app_zone_type *sj = app_zone_type_by_symbol("SJ");
    CHECK(sj && !strcmp(sj->code, "strefaWielofunkcyjnaZZabudowaMieszkaniowaJednorodzinna"));
    CHECK(app_zone_type_by_name("strefa gospodarcza") == app_zone_type_by_symbol("SP"));
    CHECK(!app_zone_type_by_symbol("MN"));
    const struct app_param *h = app_param_find("maksWysokoscZabudowy");
    CHECK(h && h->uom && !strcmp(h->uom, "m") && h->decimals == 1 && h->min_exclusive);
    CHECK(app_param_find("minUdzialPowierzchniBiologicznieCzynnej")->max == 100);
    CHECK(app_namespace_version("https://www.gov.pl/static/zagospodarowanieprzestrzenne/schemas/app/2.0"));
    CHECK(!app_namespace_version("https://www.gov.pl/static/zagospodarowanieprzestrzenne/schemas/app/3.0"));
    CHECK(app_namespace_like("http://www.gov.pl/static/zagospodarowanieprzestrzenne/schemas/app/3.0"));
    CHECK_STR(app_wojewodztwo("121201"), "małopolskie");
    char d[200];
    app_gmina_describe("080505", gminas, 3, d, sizeof d);
    CHECK_STR(d, "Słubice (TERYT 0805053)");
    app_gmina_describe("121202", gminas, 3, d, sizeof d);
    CHECK_STR(d, "o kodzie TERYT 121202 (woj. małopolskie)");
    /* the profiles: every class of both profiles of every zone type is a KPT class of the code list */
    const struct app_zone_type *zt = app_zone_types(&n);
    for (int i = 0; i < n; i++) {
        const char *lists[2] = {zt[i].profile, zt[i].profile_extra};
        for (int k = 0; k < 2; k++) {
            CHECK(lists[k] && *lists[k]);
            for (const char *c = lists[k]; c && *c;) {
                char code[16];
                size_t l = strcspn(c, " ");
                snprintf(code, sizeof code, "%.*s", (int)l, c);
                CHECK(app_kpt_name(code) != NULL);
                c += l + (c[l] == ' ');
            }
        }
    }
    CHECK_STR(app_kpt_name("ML"), "teren zabudowy letniskowej lub rekreacji indywidualnej");
    CHECK_STR(sj->profile_extra, "ML ZN L W");
    const char *bad = NULL;
    CHECK(app_words_subset("MN U", sj->profile, &bad) && app_words_subset("", sj->profile, NULL));
    CHECK(!app_words_subset("MN MW", sj->profile, &bad) && bad && !strncmp(bad, "MW", 2));
    CHECK(!app_words_subset("M", sj->profile, NULL) && !app_words_subset("MNU", sj->profile, NULL));
    int ns = 0;
    const struct app_standard *sd = app_standards(&ns);
    CHECK(ns == 17 && !strcmp(sd[0].element, "odlegloscDoSzkolyPodstawowej") && sd[0].required && !sd[5].required);
}

/* What the XSD requires, read from the file: the test reads it independently (a plain text search for
 * minOccurs), so the C reader cannot drift from the schema. */
static void schema_from_xsd(void)
{
    char buf[600];
    struct err e = {0};
    const char *ns = app_namespace_uri("2.0");
    const struct app_schema *s = app_schema_get(app_schema_dir(NULL, buf, sizeof buf), ns, &e);
    CHECK(s != NULL);
    if (!s) {
        printf("  %s\n", e.msg);
        return;
    }
    CHECK(app_schema_has_type(s, "StrefaPlanistyczna"));
    CHECK(app_schema_has_type(s, "AktPlanowaniaPrzestrzennego"));
    CHECK(!app_schema_has_type(s, "WydzieleniePlanistyczne")); /* abstract */
    CHECK(!app_schema_has_type(s, "Identyfikator"));
    const char *req;
    int n = 0;
    bool geometria = false, nazwa = false, profil = false, oznaczenie = false, param = false;
    for (; (req = app_schema_required(s, "StrefaPlanistyczna", n)); n++) {
        geometria |= !strcmp(req, "geometria");
        nazwa |= !strcmp(req, "nazwa");
        profil |= !strcmp(req, "profilPodstawowy");
        oznaczenie |= !strcmp(req, "oznaczenie");
        param |= !strcmp(req, "maksWysokoscZabudowy");
    }
    CHECK(geometria && nazwa && profil && oznaczenie && !param);
    CHECK(n == 11); /* 9 of WydzieleniePlanistyczne + nazwa, profilPodstawowy */
    CHECK(app_schema_allows(s, "StrefaPlanistyczna", "maksWysokoscZabudowy"));
    CHECK(!app_schema_allows(s, "StrefaPlanistyczna", "zasiegPrzestrzenny"));
    for (n = 0; (req = app_schema_required(s, "AktPlanowaniaPrzestrzennego", n)); n++)
        ;
    CHECK(n == 7);
}

static void samples(void)
{
    struct app_scan sc;
    struct gis_report *rp = scan(app_path("2_strefy_StrefaPlanistyczna_OK.gml"), "1212011", &sc);
    CHECK(sc.app && !sc.fatal && !strcmp(sc.version, "2.0") && sc.n == 4);
    CHECK(gis_report_count(rp, GIS_SEV_ERROR) == 0 && gis_report_count(rp, GIS_SEV_WARNING) == 0);
    if (gis_report_count(rp, GIS_SEV_ERROR)) {
        char *t = printed(rp);
        printf("%s", t);
        free(t);
    }
    CHECK(sc.n == 4 && !strcmp(sc.o[0].lid, "1POG-1SJ") && !strcmp(sc.o[0].act, "PL.ZIPPZP.1234/121201-POG/1POG") &&
          !strcmp(sc.o[0].version, "20250731T131916") && !strcmp(sc.o[0].oznaczenie, "1SJ"));
    /* the profil funkcjonalny as KPT codes from the profile links; the sample sets no additional profile */
    CHECK(sc.n == 4 && sc.o[0].basic && !strcmp(sc.o[0].basic, "MN U K ZP ZD I") && !sc.o[0].extra);
    CHECK(sc.n == 4 && sc.o[3].basic && !strcmp(sc.o[3].basic, "RZM RZP RA K ZP ZD I"));
    gis_report_free(rp);
    app_scan_free(&sc);

    static const struct {
        const char *file, *rule;
    } bad[] = {
        {"BLEDNE-OZNACZENIE", "BLEDNE-OZNACZENIE"},
        {"DUPLIKAT-OZNACZENIE", "DUPLIKAT-OZNACZENIE"},
        {"DWA-MIEJSCA-INTENSYWNOSC", "DWA-MIEJSCA-INTENSYWNOSC"},
        {"DWA-MIEJSCA-UDZIAL-BIO", "DWA-MIEJSCA-UDZIAL-BIO"},
        {"DWA-MIEJSCA-UDZIAL-ZABUDOWY", "DWA-MIEJSCA-UDZIAL-ZABUDOWY"},
        {"DWA-MIEJSCA-WYS-ZABUDOWY", "DWA-MIEJSCA-WYS-ZABUDOWY"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[200];
        snprintf(name, sizeof name, "2_strefy_StrefaPlanistyczna_%s.gml", bad[i].file);
        rp = scan(app_path(name), "1212011", &sc);
        CHECK(gis_report_rule_count(rp, bad[i].rule) == 1);
        CHECK(gis_report_count(rp, GIS_SEV_ERROR) >= 1);
        gis_report_free(rp);
        app_scan_free(&sc);
    }
    /* The act of gmina Testowa, scanned as Górzyca's: another gmina, named. */
    rp = scan(app_path("2_pog_AktPlanowaniaPrzestrzennego.gml"), "0805022", &sc);
    CHECK(gis_report_rule_count(rp, "INNA-GMINA") == 1);
    char *t = printed(rp);
    CHECK(t && strstr(t, "Testowa (TERYT 1212011)") && strstr(t, "Górzyca") && strstr(t, "0805022"));
    free(t);
    gis_report_free(rp);
    app_scan_free(&sc);
}

/* BLEDNY-PROFIL: a basic class outside the zone type's basic profile, an additional class the type may not
 * add, a class outside the code list; one finding per profile. */
static void profiles(void)
{
    const char *kpt = "ontology/KPT#KPT-MPZP-";
    char from[200], to[400];
    snprintf(from, sizeof from,
             "<app:profilPodstawowy xlink:href=\"https://www.gov.pl/static/"
             "zagospodarowanieprzestrzenne/%sMN\"",
             kpt);
    snprintf(to, sizeof to,
             "<app:profilDodatkowy xlink:href=\"https://www.gov.pl/static/zagospodarowanieprzestrzenne/%sPEW\" />"
             "<app:profilPodstawowy xlink:href=\"https://www.gov.pl/static/zagospodarowanieprzestrzenne/%sMW\"",
             kpt, kpt);
    struct app_scan sc;
    struct gis_report *rp =
        scan(rewritten("2_strefy_StrefaPlanistyczna_OK.gml", "profil.gml", from, to, 1), "1212011", &sc);
    CHECK(gis_report_rule_count(rp, "BLEDNY-PROFIL") == 2);
    char *t = printed(rp);
    CHECK(t && strstr(t, "profil podstawowy strefy SJ: klasa „MW”") &&
          strstr(t, "profil dodatkowy strefy SJ: klasa „PEW”"));
    free(t);
    CHECK(sc.n == 4 && sc.o[0].extra && !strcmp(sc.o[0].extra, "PEW"));
    gis_report_free(rp);
    app_scan_free(&sc);
    snprintf(to, sizeof to,
             "<app:profilPodstawowy xlink:href=\"https://www.gov.pl/static/zagospodarowanieprzestrzenne/%sQQ\"", kpt);
    rp = scan(rewritten("2_strefy_StrefaPlanistyczna_OK.gml", "profil2.gml", from, to, 1), "1212011", &sc);
    t = printed(rp);
    CHECK(gis_report_rule_count(rp, "BLEDNY-PROFIL") == 1 && t && strstr(t, "„QQ” nie jest klasą przeznaczenia"));
    free(t);
    gis_report_free(rp);
    app_scan_free(&sc);
}

static void rewritten_copies(void)
{
    struct app_scan sc;
    const char *ok = "2_strefy_StrefaPlanistyczna_OK.gml";
    /* a symbol that contradicts the name: SU written for a zone named "strefa gospodarcza" */
    struct gis_report *rp =
        scan(rewritten(ok, "sym.gml", "<app:symbol>SP</app:symbol>", "<app:symbol>SU</app:symbol>", 1), "1212011", &sc);
    CHECK(gis_report_rule_count(rp, "NIEZGODNA-NAZWA") == 1);
    CHECK(gis_report_rule_count(rp, "BLEDNE-OZNACZENIE") == 1); /* 1SP is not SU's either */
    gis_report_free(rp);
    app_scan_free(&sc);
    /* a symbol outside the code list */
    rp = scan(rewritten(ok, "sym2.gml", "<app:symbol>SZ</app:symbol>", "<app:symbol>XX</app:symbol>", 1), "1212011",
              &sc);
    CHECK(gis_report_rule_count(rp, "BLEDNY-SYMBOL") == 1);
    gis_report_free(rp);
    app_scan_free(&sc);
    /* a duplicated lokalnyId */
    rp = scan(rewritten(ok, "dup.gml", "<app:lokalnyId>1POG-1SP</app:lokalnyId>",
                        "<app:lokalnyId>1POG-1SU</app:lokalnyId>", 1),
              "1212011", &sc);
    CHECK(gis_report_rule_count(rp, "DUPLIKAT-LOKALNYID") == 1);
    gis_report_free(rp);
    app_scan_free(&sc);
    /* another gmina: the 6-digit TERYT of Słubice, scanned as Górzyca */
    rp = scan(rewritten(ok, "other.gml", "121201-POG", "080505-POG", 0), "0805022", &sc);
    CHECK(gis_report_rule_count(rp, "INNA-GMINA") == 4);

    char *t = printed(rp);
    CHECK(t && strstr(t, "Słubice (TERYT 0805053)") && strstr(t, "Górzyca"));
    free(t);
    gis_report_free(rp);
    app_scan_free(&sc);
    /* a height in centimetres, and a share above 100 */
    rp = scan(rewritten(ok, "uom.gml", "uom=\"m\"", "uom=\"cm\"", 1), "1212011", &sc);
    CHECK(gis_report_rule_count(rp, "BLEDNA-JEDNOSTKA") == 1);
    gis_report_free(rp);
    app_scan_free(&sc);
    rp = scan(rewritten(ok, "range.gml", "<app:maksUdzialPowierzchniZabudowy>30.1<",
                        "<app:maksUdzialPowierzchniZabudowy>130.1<", 1),
              "1212011", &sc);
    CHECK(gis_report_rule_count(rp, "ZAKRES-UDZIAL-ZABUDOWY") == 1);
    gis_report_free(rp);
    app_scan_free(&sc);
    /* a required element missing (from the XSD) */
    rp = scan(rewritten(ok, "req.gml", "<app:obowiazujeOd>2025-08-15</app:obowiazujeOd>", "", 1), "1212011", &sc);
    CHECK(gis_report_rule_count(rp, "BRAK-ELEMENTU") == 1);
    gis_report_free(rp);
    app_scan_free(&sc);
    /* a namespace that lies about its version: 2.0 content declared as 1.0, and as 3.0 */
    rp = scan(rewritten(ok, "v1.gml", "schemas/app/2.0\"", "schemas/app/1.0\"", 1), "1212011", &sc);
    CHECK(gis_report_count(rp, GIS_SEV_ERROR) >= 4); /* StrefaPlanistyczna is no type of APP 1.0 */
    CHECK(gis_report_rule_count(rp, "NIEZNANY-TYP-OBIEKTU") == 4);
    gis_report_free(rp);
    app_scan_free(&sc);
    rp = scan(rewritten(ok, "v3.gml", "schemas/app/2.0\"", "schemas/app/3.0\"", 1), "1212011", &sc);
    CHECK(sc.fatal && gis_report_rule_count(rp, "NIEZNANA-WERSJA-APP") == 1);
    gis_report_free(rp);
    app_scan_free(&sc);
    /* the APP 1.0 example declared as 2.0: its 1.0 elements are unknown to the 2.0 XSD */
    char *s = slurp(app_path("app1_example_pzpw.xml"));
    rp = scan(rewritten("app1_example_pzpw.xml", "v2.gml", "schemas/app/1.0\"", "schemas/app/2.0\"", 1), NULL, &sc);
    CHECK(gis_report_rule_count(rp, "NIEZNANY-ELEMENT") >= 1 || gis_report_rule_count(rp, "NIEZNANY-TYP-OBIEKTU") >= 1);
    free(s);
    gis_report_free(rp);
    app_scan_free(&sc);
}

static void hostile(void)
{
    char path[1100];
    struct app_scan sc;
    snprintf(path, sizeof path, "%s/bomb.gml", dir);
    FILE *f = fopen(path, "w");
    fputs("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>\n"
          "<a xmlns:app=\"" APP_NS_BASE "2.0\">&lol2;</a>\n",
          f);
    fclose(f);
    struct gis_report *rp = scan(path, NULL, &sc);
    CHECK(sc.fatal && gis_report_rule_count(rp, "XML-DTD") == 1);
    gis_report_free(rp);
    app_scan_free(&sc);

    snprintf(path, sizeof path, "%s/broken.gml", dir);
    f = fopen(path, "w");
    fputs("<?xml version=\"1.0\"?>\n<wfs:FeatureCollection xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" "
          "xmlns:app=\"" APP_NS_BASE "2.0\"><wfs:member><app:StrefaPlanistyczna></wfs:member>",
          f);
    fclose(f);
    rp = scan(path, NULL, &sc);
    CHECK(sc.fatal && gis_report_rule_count(rp, "XML-NIEPOPRAWNY") >= 1);
    gis_report_free(rp);
    app_scan_free(&sc);

    /* deep nesting */
    snprintf(path, sizeof path, "%s/deep.gml", dir);
    f = fopen(path, "w");
    fputs("<r xmlns=\"" APP_NS_BASE "2.0\">", f);
    for (int i = 0; i < 5000; i++)
        fputs("<a>", f);
    fclose(f);
    rp = scan(path, NULL, &sc);
    CHECK(sc.fatal && gis_report_rule_count(rp, "XML-LIMIT") == 1);
    gis_report_free(rp);
    app_scan_free(&sc);

    /* A GML that is not APP: stops at its first feature. */
    snprintf(path, sizeof path, "%s/other.gml", dir);
    f = fopen(path, "w");
    fputs("<wfs:FeatureCollection xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:x=\"urn:x\"><wfs:member>"
          "<x:Parcel><x:id>1</x:id></x:Parcel></wfs:member></wfs:FeatureCollection>",
          f);
    fclose(f);
    rp = scan(path, NULL, &sc);
    CHECK(!sc.app && !sc.fatal && gis_report_count(rp, GIS_SEV_ERROR) == 0);
    gis_report_free(rp);
    app_scan_free(&sc);
    /* An APP feature name in a foreign namespace is not let through as "not APP". */
    snprintf(path, sizeof path, "%s/fake.gml", dir);
    f = fopen(path, "w");
    fputs("<wfs:FeatureCollection xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:x=\"urn:app:2.0\"><wfs:member>"
          "<x:StrefaPlanistyczna/></wfs:member></wfs:FeatureCollection>",
          f);
    fclose(f);
    rp = scan(path, NULL, &sc);
    CHECK(sc.fatal && gis_report_rule_count(rp, "NIEZNANA-WERSJA-APP") == 1);
    gis_report_free(rp);
    app_scan_free(&sc);
}

static void report_forms(void)
{
    struct gis_report *rp = gis_report_new();
    double pt[2] = {500000.123, 250000.5};
    gis_report_add(rp, "LUKA", "a.gml", "1POG-1SJ", pt, 12.345, "luka między strefami");
    gis_report_add(rp, "LUKA-DROBNA", "a.gml", NULL, pt, 0.2, "drobna luka");
    gis_report_add(rp, "DWA-MIEJSCA-INTENSYWNOSC", "a.gml", "1POG-1SU", NULL, NAN, "0.95");
    CHECK(gis_report_count(rp, GIS_SEV_ERROR) == 2 && gis_report_count(rp, GIS_SEV_WARNING) == 1);
    CHECK(gis_rule_find("DWA-MIEJSCA-INTENSYWNOSC") == gis_rule_find("DWA-MIEJSCA"));
    CHECK(gis_rule_find("LUKA") != gis_rule_find("LUKA-DROBNA"));
    CHECK(!gis_rule_find("LUKA-X"));
    char *t = printed(rp);
    CHECK(t && strstr(t, "BŁĄD LUKA: 1POG-1SJ: luka między strefami; powierzchnia 12.35 m²; punkt EPSG:2180 "
                         "x=500000.12 y=250000.50; plik a.gml"));
    CHECK(t && strstr(t, "OSTRZEŻENIE LUKA-DROBNA"));
    free(t);
    char path[1100];
    snprintf(path, sizeof path, "%s/r.json", dir);
    struct gis_report_meta m = {.tenant = "gorzyca", .check = true};
    struct err e = {0};
    CHECK(gis_report_write_json(rp, &m, path, &e) == ERR_OK);
    char *j = slurp(path);
    CHECK(j && strstr(j, "\"result\": \"refused\"") && strstr(j, "\"area_m2\": 12.345") &&
          strstr(j, "\"rule\": \"DWA-MIEJSCA-INTENSYWNOSC\"") && strstr(j, "\"crs\": \"EPSG:2180\""));
    free(j);
    gis_report_free(rp);
}

int main(void)
{
    const char *env = getenv("ODRA_SHARED");
    struct stat sb;
    snprintf(shared, sizeof shared, "%s",
             env                                    ? env
             : stat("../shared/data/app", &sb) == 0 ? "../shared"
                                                    : "/work/shared");
    setenv("ODRA_SHARED", shared, 0);
    if (!mkdtemp(dir))
        return 2;
    RUN(values);
    RUN(code_lists);
    RUN(schema_from_xsd);
    RUN(samples);
    RUN(profiles);
    RUN(rewritten_copies);
    RUN(hostile);
    RUN(report_forms);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 2;
    return test_done();
}
