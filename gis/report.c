/* The validation report: the rule table, findings, the text and JSON forms. */
#include "gis/report.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The rules. Ids are stable: tools of the office match on them. A family (DWA-MIEJSCA, ZAKRES) is
 * reported per parameter as FAMILY-SUFFIX, the suffix coming from data/codelists/app_parameters.tsv. */
/* clang-format off */
static const struct gis_rule report_rules[] = {
    /* the file */
    {"PLIK-ODRZUCONY", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "plik odrzucony przed odczytem: nieczytelny, pusty albo niebezpieczny (DOCTYPE, archiwum zip)"},
    {"XML-NIEPOPRAWNY", GIS_SEV_ERROR, GIS_MEASURE_NONE, "plik nie jest poprawnym dokumentem XML"},
    {"XML-DTD", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "deklaracje DOCTYPE i ENTITY są niedozwolone (ryzyko rozwinięcia encji lub odczytu plików)"},
    {"XML-LIMIT", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "plik przekracza limit (zagnieżdżenie elementów, długość wartości, liczba wierzchołków)"},
    /* the schema */
    {"NIEZNANA-WERSJA-APP", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "przestrzeń nazw APP o nieznanej wersji (znane: 1.0 i 2.0)"},
    {"MIESZANE-WERSJE-APP", GIS_SEV_ERROR, GIS_MEASURE_NONE, "plik łączy elementy różnych wersji APP"},
    {"NIEZNANY-TYP-OBIEKTU", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "typ obiektu nie występuje w schemacie APP zadeklarowanej wersji"},
    {"BRAK-ELEMENTU", GIS_SEV_ERROR, GIS_MEASURE_NONE, "brak elementu wymaganego przez schemat APP"},
    {"NIEZNANY-ELEMENT", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "element nie należy do typu obiektu w schemacie APP zadeklarowanej wersji"},
    {"BRAK-SCHEMATU", GIS_SEV_WARNING, GIS_MEASURE_NONE,
     "brak pliku XSD tej wersji APP: wymaganych elementów nie sprawdzono"},
    {"WARTOSC-ZA-DLUGA", GIS_SEV_ERROR, GIS_MEASURE_NONE, "wartość elementu dłuższa niż dopuszczalna"},
    /* geometry */
    {"SAMOPRZECIECIE-PIERSCIENIA", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "pierścień geometrii przecina sam siebie (w APP błąd; w innych danych naprawiane)"},
    {"GEOMETRIA-NIEPOPRAWNA", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "geometria niepoprawna (w APP błąd; w innych danych naprawiana)"},
    {"OBIEKT-ODRZUCONY", GIS_SEV_WARNING, GIS_MEASURE_NONE,
     "obiekt pominięty: atrybuty lub geometria, których nie da się przyjąć (w APP błąd)"},
    {"NAKLADANIE", GIS_SEV_ERROR, GIS_MEASURE_AREA,
     "strefy planistyczne nakładają się na siebie (strefy MPZP: ostrzeżenie)"},
    {"NAKLADANIE-DROBNE", GIS_SEV_WARNING, GIS_MEASURE_AREA, "nakładanie się stref mniejsze niż tolerancja"},
    {"LUKA", GIS_SEV_ERROR, GIS_MEASURE_AREA,
     "luka: część obszaru planu nie jest pokryta strefami planistycznymi"},
    {"LUKA-DROBNA", GIS_SEV_WARNING, GIS_MEASURE_AREA, "luka w pokryciu mniejsza niż tolerancja"},
    {"POZA-GRANICA-PLANU", GIS_SEV_ERROR, GIS_MEASURE_AREA, "strefa wychodzi poza granicę obszaru objętego aktem"},
    {"POKRYCIE-NIESPRAWDZONE", GIS_SEV_WARNING, GIS_MEASURE_NONE,
     "pokrycia obszaru planu nie sprawdzono: nie jest znana granica aktu ani gminy (dziury otoczone strefami i "
     "nakładanie się sprawdzono)"},
    /* code lists */
    {"BLEDNY-SYMBOL", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "symbol spoza listy kodowej rodzajów stref planistycznych"},
    {"NIEZGODNA-NAZWA", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "symbol strefy nie zgadza się z jej nazwą (rodzajem strefy z listy kodowej)"},
    {"BLEDNE-OZNACZENIE", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "oznaczenie nie jest numerem, po którym stoi symbol strefy (np. 1SJ dla SJ)"},
    {"POWIAZANIE-NIEZNANE", GIS_SEV_WARNING, GIS_MEASURE_NONE,
     "dokument formalny uchyla lub zmienia akt, którego nie ma w pliku ani w bazie: powiązania nie zapisano"},
    {"BLEDNY-PROFIL", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "klasa profilu funkcjonalnego strefy spoza listy kodowej albo spoza profilu podstawowego lub dodatkowego, "
     "który rozporządzenie dopuszcza dla rodzaju strefy"},
    {"BLEDNY-TYP-PLANU", GIS_SEV_ERROR, GIS_MEASURE_NONE, "typ aktu spoza listy kodowej (ani POG, ani MPZP)"},
    /* identifiers */
    {"DUPLIKAT-LOKALNYID", GIS_SEV_ERROR, GIS_MEASURE_NONE, "lokalnyId powtarza się w pliku"},
    {"LOKALNYID-W-BAZIE", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "lokalnyId jest już w bazie: dla innego obiektu albo w tej samej lub nowszej wersji"},
    {"NOWA-WERSJA", GIS_SEV_NOTE, GIS_MEASURE_NONE,
     "nowsza wersja obiektu (wersjaId) zastępuje poprzednią; poprzednia trafia do historii"},
    {"DUPLIKAT-OZNACZENIE", GIS_SEV_ERROR, GIS_MEASURE_NONE, "oznaczenie powtarza się w jednym planie"},
    {"BLEDNA-PRZESTRZEN-NAZW", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "przestrzeń nazw identyfikatora IIP bez kodu TERYT gminy (np. PL.ZIPPZP.2388/0805022-POG)"},
    {"INNA-GMINA", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "plik innej gminy: kod TERYT w przestrzeni nazw IIP nie jest kodem tej gminy"},
    /* where the data lies */
    {"POZA-GMINA", GIS_SEV_ERROR, GIS_MEASURE_AREA, "geometria wychodzi poza granicę gminy"},
    {"BRAK-GRANICY-GMINY", GIS_SEV_WARNING, GIS_MEASURE_NONE,
     "granica gminy nie jest ustawiona (odra boundary): położenia nie sprawdzono"},
    /* parameters */
    {"DWA-MIEJSCA", GIS_SEV_ERROR, GIS_MEASURE_NONE,
     "parametr podany z więcej niż jednym miejscem po przecinku (APP: dokładność do 0,1)"},
    {"ZAKRES", GIS_SEV_ERROR, GIS_MEASURE_NONE, "wartość parametru poza dopuszczalnym zakresem"},
    {"NIEPOPRAWNA-LICZBA", GIS_SEV_ERROR, GIS_MEASURE_NONE, "wartość parametru nie jest liczbą dziesiętną"},
    {"BLEDNA-JEDNOSTKA", GIS_SEV_ERROR, GIS_MEASURE_NONE, "jednostka (uom) inna niż ustalona w modelu APP"},
    /* references */
    {"BRAK-AKTU", GIS_SEV_WARNING, GIS_MEASURE_NONE,
     "strefa wskazuje akt nieobecny w pliku i w bazie: utworzono plan zastępczy"},
    {NULL, 0, 0, NULL},
};
/* clang-format on */

const struct gis_rule *gis_rules(void)
{
    return report_rules;
}

const struct gis_rule *gis_rule_find(const char *id)
{
    if (!id)
        return NULL;
    for (const struct gis_rule *r = report_rules; r->id; r++) {
        size_t n = strlen(r->id);
        if (!strncmp(id, r->id, n) &&
            (id[n] == 0 || (id[n] == '-' && id[n + 1] && (!strcmp(r->id, "DWA-MIEJSCA") || !strcmp(r->id, "ZAKRES")))))
            return r;
    }
    return NULL;
}

struct report_finding {
    const struct gis_rule *rule;
    char *id; /* the rule id as reported (a family member carries its suffix) */
    enum gis_severity sev;
    char *file, *feature, *msg;
    bool has_pt;
    double x, y, measure;
};

struct report_count {
    char *id;
    long n;
};

struct gis_report {
    struct report_finding *f;
    size_t n, cap;
    long count[3];
    struct report_count *per_rule;
    size_t nrules, caprules;
};

struct gis_report *gis_report_new(void)
{
    return calloc(1, sizeof(struct gis_report));
}

void gis_report_free(struct gis_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->f[i].id);
        free(r->f[i].file);
        free(r->f[i].feature);
        free(r->f[i].msg);
    }
    for (size_t i = 0; i < r->nrules; i++)
        free(r->per_rule[i].id);
    free(r->per_rule);
    free(r->f);
    free(r);
}

static char *report_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void report_count_rule(struct gis_report *r, const char *id)
{
    for (size_t i = 0; i < r->nrules; i++)
        if (!strcmp(r->per_rule[i].id, id)) {
            r->per_rule[i].n++;
            return;
        }
    if (r->nrules == r->caprules) {
        size_t nc = r->caprules ? 2 * r->caprules : 16;
        struct report_count *p = realloc(r->per_rule, nc * sizeof *p);
        if (!p)
            return;
        r->per_rule = p, r->caprules = nc;
    }
    char *d = strdup(id);
    if (d)
        r->per_rule[r->nrules++] = (struct report_count){d, 1};
}

static void report_vadd(struct gis_report *r, int sev, const char *id, const char *file, const char *feature,
                        const double *pt, double measure, const char *fmt, va_list ap)
{
    if (!r)
        return;
    const struct gis_rule *rule = gis_rule_find(id);
    if (!rule) {
        /* A programming error: keep it visible rather than lose the finding. */
        rule = gis_rule_find("XML-NIEPOPRAWNY");
    }
    enum gis_severity s = sev < 0 ? rule->severity : (enum gis_severity)sev;
    r->count[s]++;
    report_count_rule(r, id);
    if (r->n >= GIS_REPORT_MAX_FINDINGS)
        return;
    if (r->n == r->cap) {
        size_t nc = r->cap ? 2 * r->cap : 32;
        struct report_finding *p = realloc(r->f, nc * sizeof *p);
        if (!p)
            return;
        r->f = p, r->cap = nc;
    }
    char msg[1200];
    vsnprintf(msg, sizeof msg, fmt, ap);
    struct report_finding *f = &r->f[r->n++];
    *f = (struct report_finding){.rule = rule,
                                 .id = strdup(id),
                                 .sev = s,
                                 .file = report_dup(file),
                                 .feature = report_dup(feature && *feature ? feature : NULL),
                                 .msg = strdup(msg),
                                 .has_pt = pt && isfinite(pt[0]) && isfinite(pt[1]),
                                 .x = pt ? pt[0] : NAN,
                                 .y = pt ? pt[1] : NAN,
                                 .measure = measure};
}

void gis_report_add(struct gis_report *r, const char *id, const char *file, const char *feature, const double *pt,
                    double measure, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_vadd(r, -1, id, file, feature, pt, measure, fmt, ap);
    va_end(ap);
}

void gis_report_add_sev(struct gis_report *r, enum gis_severity sev, const char *id, const char *file,
                        const char *feature, const double *pt, double measure, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_vadd(r, (int)sev, id, file, feature, pt, measure, fmt, ap);
    va_end(ap);
}

long gis_report_count(const struct gis_report *r, enum gis_severity sev)
{
    return r ? r->count[sev] : 0;
}

long gis_report_rule_count(const struct gis_report *r, const char *id)
{
    for (size_t i = 0; r && i < r->nrules; i++)
        if (!strcmp(r->per_rule[i].id, id))
            return r->per_rule[i].n;
    return 0;
}

static const char *const report_sev_pl[] = {"BŁĄD", "OSTRZEŻENIE", "UWAGA"};
static const char *const report_sev_json[] = {"error", "warning", "note"};

/* "1 błąd", "2 błędy", "5 błędów" */
static const char *report_plural(long n, const char *one, const char *few, const char *many)
{
    if (n == 1)
        return one;
    long t = n % 100, u = n % 10;
    return (u >= 2 && u <= 4 && (t < 12 || t > 14)) ? few : many;
}

static void report_measure(const struct report_finding *f, char *out, size_t cap)
{
    out[0] = 0;
    if (!isfinite(f->measure))
        return;
    if (f->rule->measure == GIS_MEASURE_AREA)
        snprintf(out, cap, "; powierzchnia %.2f m²", f->measure);
    else if (f->rule->measure == GIS_MEASURE_LENGTH)
        snprintf(out, cap, "; długość %.2f m", f->measure);
}

void gis_report_print(const struct gis_report *r, const struct gis_report_meta *m, FILE *out)
{
    if (!out || (!m && (!r || !r->n)))
        return;
    for (int s = GIS_SEV_ERROR; r && s <= GIS_SEV_NOTE; s++)
        for (size_t i = 0; i < r->n; i++) {
            const struct report_finding *f = &r->f[i];
            if ((int)f->sev != s)
                continue;
            char meas[64], pt[96] = "";
            report_measure(f, meas, sizeof meas);
            if (f->has_pt)
                snprintf(pt, sizeof pt, "; punkt EPSG:2180 x=%.2f y=%.2f", f->x, f->y);
            fprintf(out, "%s %s: %s%s%s%s%s%s%s [%s]\n", report_sev_pl[s], f->id, f->feature ? f->feature : "",
                    f->feature ? ": " : "", f->msg, meas, pt, f->file ? "; plik " : "", f->file ? f->file : "",
                    f->rule->description);
        }
    long kept = r ? (long)r->n : 0, total = r ? r->count[0] + r->count[1] + r->count[2] : 0;
    if (total > kept)
        fprintf(out, "(pokazano %ld z %ld ustaleń; pozostałe policzono w podsumowaniu)\n", kept, total);
    if (!m)
        return;
    long ne = gis_report_count(r, GIS_SEV_ERROR), nw = gis_report_count(r, GIS_SEV_WARNING);
    const char *verdict =
        ne ? (m->check ? "plik odrzucony przez walidację (nic nie zapisano)" : "import odrzucony: baza bez zmian")
        : m->check ? "plik poprawny (sprawdzenie --check: nic nie zapisano)"
                   : "zaimportowano";
    fprintf(out, "walidacja: %ld %s, %ld %s: %s\n", ne, report_plural(ne, "błąd", "błędy", "błędów"), nw,
            report_plural(nw, "ostrzeżenie", "ostrzeżenia", "ostrzeżeń"), verdict);
}

static json_t *report_str(const char *s)
{
    return s ? json_string(s) : json_null();
}

enum err_code gis_report_write_json(const struct gis_report *r, const struct gis_report_meta *m, const char *path,
                                    struct err *e)
{
    json_t *j = json_object();
    json_t *files = json_array(), *findings = json_array(), *rules = json_object();
    for (int i = 0; m && i < m->nfiles; i++)
        json_array_append_new(files, json_string(m->files[i]));
    long ne = gis_report_count(r, GIS_SEV_ERROR), nw = gis_report_count(r, GIS_SEV_WARNING),
         nn = gis_report_count(r, GIS_SEV_NOTE);
    const char *result = ne ? "refused" : (m && m->check) ? "valid" : (m && m->imported) ? "imported" : "failed";
    json_object_set_new(j, "tenant", report_str(m ? m->tenant : NULL));
    json_object_set_new(j, "teryt", report_str(m ? m->teryt : NULL));
    json_object_set_new(j, "collection", report_str(m ? m->collection : NULL));
    json_object_set_new(j, "format", report_str(m ? m->format : NULL));
    json_object_set_new(j, "files", files);
    json_object_set_new(j, "check", json_boolean(m && m->check));
    json_object_set_new(j, "result", json_string(result));
    if (m && m->error)
        json_object_set_new(j, "error", json_string(m->error));
    json_object_set_new(j, "errors", json_integer(ne));
    json_object_set_new(j, "warnings", json_integer(nw));
    json_object_set_new(j, "notes", json_integer(nn));
    if (m)
        json_object_set_new(j, "features",
                            json_pack("{s:I, s:I, s:I, s:I}", "read", (json_int_t)m->read, "written",
                                      (json_int_t)m->written, "repaired", (json_int_t)m->repaired, "rejected",
                                      (json_int_t)m->rejected));
    json_t *by_rule = json_object();
    for (size_t i = 0; r && i < r->nrules; i++) {
        json_object_set_new(by_rule, r->per_rule[i].id, json_integer(r->per_rule[i].n));
        const struct gis_rule *rule = gis_rule_find(r->per_rule[i].id);
        if (rule)
            json_object_set_new(
                rules, r->per_rule[i].id,
                json_pack("{s:s, s:s}", "severity", report_sev_json[rule->severity], "description", rule->description));
    }
    json_object_set_new(j, "counts", by_rule);
    json_object_set_new(j, "rules", rules);
    for (size_t i = 0; r && i < r->n; i++) {
        const struct report_finding *f = &r->f[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "rule", f->id, "severity", report_sev_json[f->sev],
                              "description", f->rule->description, "feature", report_str(f->feature), "file",
                              report_str(f->file), "message", f->msg ? f->msg : "");
        if (f->has_pt)
            json_object_set_new(o, "point", json_pack("{s:s, s:f, s:f}", "crs", "EPSG:2180", "x", f->x, "y", f->y));
        if (isfinite(f->measure) && f->rule->measure == GIS_MEASURE_AREA)
            json_object_set_new(o, "area_m2", json_real(f->measure));
        else if (isfinite(f->measure) && f->rule->measure == GIS_MEASURE_LENGTH)
            json_object_set_new(o, "length_m", json_real(f->measure));
        json_array_append_new(findings, o);
    }
    json_object_set_new(j, "findings", findings);
    if (m && m->seconds > 0)
        json_object_set_new(j, "seconds", json_real(m->seconds));
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc = json_dump_file(j, tmp, JSON_INDENT(2));
    json_decref(j);
    if (rc != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return err_set(e, ERR_IO, "%s: cannot write the report", path);
    }
    return ERR_OK;
}
