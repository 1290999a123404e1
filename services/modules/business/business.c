/* e-Przedsiębiorca: identifier checks, PKD codes and the readers of the import files (business.h). */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gis/calendar.h"
#include "services/modules/business/business.h"
#include "util/text.h"

/* ---- NIP and REGON ---- */

/* Copies the digits of s to out (at most cap - 1 of them), skipping '-' and ' '; -1 for any other
 * character or too many digits, else their number. */
static int digits_of(const char *s, char *out, int cap)
{
    int n = 0;
    for (; *s; s++) {
        if (*s == '-' || *s == ' ')
            continue;
        if (*s < '0' || *s > '9' || n >= cap - 1)
            return -1;
        out[n++] = *s;
    }
    out[n] = 0;
    return n;
}

static int weighted_mod11(const char *d, const int *w, int n)
{
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += (d[i] - '0') * w[i];
    return sum % 11;
}

bool business_nip_valid(const char *s, char out[11])
{
    static const int w[9] = {6, 5, 7, 2, 3, 4, 5, 6, 7};
    char d[16];
    if (!s || digits_of(s, d, sizeof d) != 10)
        return false;
    int c = weighted_mod11(d, w, 9);
    if (c == 10 || c != d[9] - '0')
        return false;
    memcpy(out, d, 11);
    return true;
}

bool business_regon_valid(const char *s, char out[15])
{
    static const int w9[8] = {8, 9, 2, 3, 4, 5, 6, 7};
    static const int w14[13] = {2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8};
    char d[20];
    int n = s ? digits_of(s, d, sizeof d) : -1;
    if (n != 9 && n != 14)
        return false;
    int c = n == 9 ? weighted_mod11(d, w9, 8) : weighted_mod11(d, w14, 13);
    if (c == 10)
        c = 0;
    if (c != d[n - 1] - '0')
        return false;
    /* a 14-digit REGON (a local unit) begins with the 9-digit REGON of its business, itself valid */
    if (n == 14) {
        char head[10];
        memcpy(head, d, 9);
        head[9] = 0;
        char stem[15]; /* the 9-digit REGON a 14-digit one extends must be valid itself */
        if (!business_regon_valid(head, stem))
            return false;
    }
    memcpy(out, d, (size_t)n + 1);
    return true;
}

/* ---- PKD ---- */

bool business_pkd_parse(const char *s, char out[8])
{
    if (!s)
        return false;
    char d[4];
    int nd = 0;
    char letter = 0;
    for (; *s; s++) {
        if (*s == '.' || *s == ' ')
            continue;
        if (*s >= '0' && *s <= '9' && nd < 4 && !letter)
            d[nd++] = *s;
        else if (isalpha((unsigned char)*s) && nd == 4 && !letter)
            letter = (char)toupper((unsigned char)*s);
        else
            return false;
    }
    if (nd != 4 || !letter || letter > 'Z')
        return false;
    out[0] = d[0], out[1] = d[1], out[2] = '.', out[3] = d[2], out[4] = d[3], out[5] = '.', out[6] = letter;
    out[7] = 0;
    return true;
}

static int division_of(const char *code)
{
    if (!code || code[0] < '0' || code[0] > '9' || code[1] < '0' || code[1] > '9')
        return -1;
    return (code[0] - '0') * 10 + (code[1] - '0');
}

struct section_range {
    char section;
    int from, to;
};

static char section_in(const struct section_range *t, int div)
{
    for (; t->section; t++)
        if (div >= t->from && div <= t->to)
            return t->section;
    return 0;
}

/* PKD 2025 follows NACE Rev. 2.1: 22 sections; division 45 is gone (into 46, 47 and 95), information and
 * communication is split into J and K, and the letters after it move on by one. */
static const struct section_range pkd2025[] = {
    {'A', 1, 3},   {'B', 5, 9},   {'C', 10, 33}, {'D', 35, 35}, {'E', 36, 39}, {'F', 41, 43},
    {'G', 46, 47}, {'H', 49, 53}, {'I', 55, 56}, {'J', 58, 60}, {'K', 61, 63}, {'L', 64, 66},
    {'M', 68, 68}, {'N', 69, 75}, {'O', 77, 82}, {'P', 84, 84}, {'Q', 85, 85}, {'R', 86, 88},
    {'S', 90, 93}, {'T', 94, 96}, {'U', 97, 98}, {'V', 99, 99}, {0, 0, 0}};

static const struct section_range pkd2007[] = {
    {'A', 1, 3},   {'B', 5, 9},   {'C', 10, 33}, {'D', 35, 35}, {'E', 36, 39}, {'F', 41, 43},
    {'G', 45, 47}, {'H', 49, 53}, {'I', 55, 56}, {'J', 58, 63}, {'K', 64, 66}, {'L', 68, 68},
    {'M', 69, 75}, {'N', 77, 82}, {'O', 84, 84}, {'P', 85, 85}, {'Q', 86, 88}, {'R', 90, 93},
    {'S', 94, 96}, {'T', 97, 98}, {'U', 99, 99}, {0, 0, 0}};

/* Divisions that exist inside a section's range: 4, 34, 40, 44, 45 (2025), 48, 54, 57, 67, 76, 83, 89
 * do not. */
static bool division_exists(int div, bool y2025)
{
    static const int gaps[] = {4, 34, 40, 44, 48, 54, 57, 67, 76, 83, 89};
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++)
        if (div == gaps[i])
            return false;
    return !(y2025 && div == 45);
}

char business_pkd2025_section(const char *code)
{
    int div = division_of(code);
    return div > 0 && division_exists(div, true) ? section_in(pkd2025, div) : 0;
}

char business_pkd2007_section(const char *code)
{
    int div = division_of(code);
    return div > 0 && division_exists(div, false) ? section_in(pkd2007, div) : 0;
}

const char *business_pkd2025_section_name(char section)
{
    static const char *const names[] = {
        "Rolnictwo, leśnictwo, łowiectwo i rybactwo",
        "Górnictwo i wydobywanie",
        "Przetwórstwo przemysłowe",
        "Wytwarzanie i zaopatrywanie w energię elektryczną, gaz, parę wodną i powietrze do układów klimatyzacyjnych",
        "Dostawa wody; gospodarowanie ściekami i odpadami oraz działalność związana z rekultywacją",
        "Budownictwo",
        "Handel hurtowy i detaliczny",
        "Transport i gospodarka magazynowa",
        "Działalność związana z zakwaterowaniem i usługami gastronomicznymi",
        "Działalność wydawnicza, nadawcza oraz związana z produkcją i dystrybucją treści",
        "Telekomunikacja, programowanie komputerowe, doradztwo, infrastruktura obliczeniowa i pozostała "
        "działalność usługowa w zakresie informacji",
        "Działalność finansowa i ubezpieczeniowa",
        "Działalność związana z obsługą rynku nieruchomości",
        "Działalność profesjonalna, naukowa i techniczna",
        "Działalność w zakresie usług administrowania i działalność wspierająca",
        "Administracja publiczna i obrona narodowa; obowiązkowe zabezpieczenia społeczne",
        "Edukacja",
        "Opieka zdrowotna i pomoc społeczna",
        "Działalność związana z kulturą, sportem i rekreacją",
        "Pozostała działalność usługowa",
        "Gospodarstwa domowe zatrudniające pracowników oraz produkujące wyroby i świadczące usługi na własne "
        "potrzeby",
        "Organizacje i zespoły eksterytorialne",
    };
    return section >= 'A' && section <= 'V' ? names[section - 'A'] : NULL;
}

/* ---- statuses and verdicts ---- */

const char *business_status_name(enum business_status s)
{
    return s == BUSINESS_ACTIVE ? "active" : s == BUSINESS_SUSPENDED ? "suspended" : "closed";
}

bool business_status_parse(const char *s, enum business_status *out)
{
    static const struct {
        const char *word;
        enum business_status st;
    } words[] = {{"active", BUSINESS_ACTIVE},        {"aktywny", BUSINESS_ACTIVE},    {"suspended", BUSINESS_SUSPENDED},
                 {"zawieszony", BUSINESS_SUSPENDED}, {"closed", BUSINESS_CLOSED},     {"wykreslony", BUSINESS_CLOSED},
                 {"wykreślony", BUSINESS_CLOSED},    {"zakonczony", BUSINESS_CLOSED}, {"zakończony", BUSINESS_CLOSED}};
    if (!s)
        return false;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcasecmp(s, words[i].word)) {
            *out = words[i].st;
            return true;
        }
    /* CEIDG writes upper case with Polish letters (WYKREŚLONY), which strcasecmp does not fold */
    if (!strcmp(s, "WYKREŚLONY") || !strcmp(s, "ZAKOŃCZONY")) {
        *out = BUSINESS_CLOSED;
        return true;
    }
    return false;
}

static const char *const verdict_names[] = {"allowed", "conditional", "forbidden", "unknown"};

const char *business_verdict_name(enum business_verdict v)
{
    return verdict_names[v];
}

bool business_verdict_parse(const char *s, enum business_verdict *out)
{
    for (int i = 0; s && i < 4; i++)
        if (!strcmp(s, verdict_names[i])) {
            *out = (enum business_verdict)i;
            return true;
        }
    return false;
}

const char *business_verdict_text(enum business_verdict v)
{
    static const char *const t[] = {"dopuszczalna", "dopuszczalna warunkowo", "niedopuszczalna", "nie da się ustalić"};
    return t[v];
}

void business_today(char out[11])
{
    int d;
    const char *env = getenv("ODRA_TODAY");
    if (!env || !gis_cal_parse_date(env, &d)) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        d = gis_cal_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    }
    gis_cal_format_date(d, out);
}

/* ---- addresses ---- */

const char *business_place_address(struct arena *a, const struct business_place_in *p)
{
    const char *street = p->street && *p->street ? p->street : NULL;
    const char *pc = p->postal_code && *p->postal_code ? p->postal_code : NULL;
    const char *loc = p->locality ? p->locality : "";
    const char *b = p->building ? p->building : "";
    if (street)
        return pc ? arena_printf(a, "%s %s, %s %s", street, b, pc, loc) : arena_printf(a, "%s %s, %s", street, b, loc);
    return pc ? arena_printf(a, "%s %s, %s", loc, b, pc) : arena_printf(a, "%s %s", loc, b);
}

/* ---- the CEIDG export (JSON, CEIDG API v2 layout) ---- */

/* A string member of o copied to the arena, or NULL when absent, null, empty or not a string; a string
 * with a NUL inside is refused (NULL too). */
static const char *jtext(struct arena *a, json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_string(v) || !json_string_length(v) || strlen(json_string_value(v)) != json_string_length(v))
        return NULL;
    return arena_strdup(a, json_string_value(v));
}

static bool ceidg_place(struct arena *a, json_t *o, bool main, struct business_place_in *p)
{
    if (!json_is_object(o))
        return false;
    p->main = main;
    p->street = jtext(a, o, "ulica");
    p->building = jtext(a, o, "budynek");
    p->flat = jtext(a, o, "lokal");
    p->locality = jtext(a, o, "miasto");
    p->postal_code = jtext(a, o, "kod");
    p->address = business_place_address(a, p);
    return p->locality && p->building;
}

static void ceidg_record(struct arena *a, json_t *f, int k, struct business_record *r)
{
    memset(r, 0, sizeof *r);
    r->line = k + 1;
    r->source_id = jtext(a, f, "id");
    r->name = jtext(a, f, "nazwa");
    json_t *owner = json_object_get(f, "wlasciciel");
    r->nip_text = jtext(a, owner, "nip");
    r->regon_text = jtext(a, owner, "regon");
    if (!r->nip_text) /* some exports carry them at the top */
        r->nip_text = jtext(a, f, "nip");
    if (!r->regon_text)
        r->regon_text = jtext(a, f, "regon");
    r->pkd_main_text = jtext(a, f, "pkdGlowny");
    json_t *pkd = json_object_get(f, "pkd");
    for (size_t i = 0; json_is_array(pkd) && i < json_array_size(pkd) && r->npkd < BUSINESS_MAX_PKD; i++) {
        json_t *c = json_array_get(pkd, i);
        const char *code = json_is_string(c) ? json_string_value(c) : jtext(a, c, "kod");
        if (code)
            r->pkd_text[r->npkd++] = arena_strdup(a, code);
    }
    const char *ver = jtext(a, f, "pkdWersja");
    r->pkd2007 = ver && !strcmp(ver, "2007");
    r->start = jtext(a, f, "dataRozpoczecia");
    r->end = jtext(a, f, "dataZakonczenia");
    r->status_text = jtext(a, f, "status");
    if (ceidg_place(a, json_object_get(f, "adresDzialalnosci"), true, &r->places[0]))
        r->nplaces = 1;
    json_t *more = json_object_get(f, "adresyDzialalnosciDodatkowe");
    for (size_t i = 0; json_is_array(more) && i < json_array_size(more) && r->nplaces < BUSINESS_MAX_PLACES; i++)
        if (ceidg_place(a, json_array_get(more, i), false, &r->places[r->nplaces]))
            r->nplaces++;
}

enum err_code business_parse_ceidg(const char *text, size_t len, int max, struct arena *a, struct business_file *out,
                                   struct err *e)
{
    memset(out, 0, sizeof *out);
    out->format = "ceidg";
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return err_set(e, ERR_INVALID, "the CEIDG file is not JSON (line %d: %s)", je.line, je.text);
    json_t *list = json_object_get(root, "firmy");
    if (!list)
        list = json_object_get(root, "firma");
    if (!json_is_array(list)) {
        json_decref(root);
        return err_set(e, ERR_INVALID, "the CEIDG file has no array \"firmy\"");
    }
    size_t n = json_array_size(list);
    if (n > (size_t)max) {
        json_decref(root);
        return err_set(e, ERR_TOO_LARGE, "the file has %zu records; at most %d are read at once", n, max);
    }
    out->recs = arena_alloc(a, (n ? n : 1) * sizeof *out->recs);
    if (!out->recs) {
        json_decref(root);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(list, i);
        if (!json_is_object(f)) {
            json_decref(root);
            return err_set(e, ERR_INVALID, "record %zu of the CEIDG file is not an object", i + 1);
        }
        ceidg_record(a, f, (int)i, &out->recs[out->n++]);
    }
    json_decref(root);
    return ERR_OK;
}

/* ---- the simple CSV ---- */

enum csv_col {
    C_NIP,
    C_REGON,
    C_NAME,
    C_PKD_MAIN,
    C_PKD,
    C_KIND,
    C_STREET,
    C_BUILDING,
    C_FLAT,
    C_LOCALITY,
    C_POSTAL,
    C_FROM,
    C_TO,
    C_STATUS,
    C_PKD_VERSION,
    C_COUNT
};
static const char *const csv_names[C_COUNT] = {"nip",    "regon",   "nazwa",   "pkd_glowny", "pkd",
                                               "rodzaj", "ulica",   "budynek", "lokal",      "miejscowosc",
                                               "kod",    "data_od", "data_do", "status",     "pkd_wersja"};

#define CSV_MAX_FIELDS 32

/* Splits one CSV line (quotes may hold the separator and doubled quotes) into at most CSV_MAX_FIELDS
 * fields in the arena. *pos moves past the line's end. Returns the number of fields, -1 for broken
 * quoting or too many fields. */
static int csv_line(struct arena *a, const char *t, size_t len, size_t *pos, char sep, const char **f)
{
    int n = 0;
    size_t i = *pos;
    char *buf = arena_alloc(a, len - i + 1), *o = buf;
    if (!buf)
        return -1;
    for (;;) {
        if (n >= CSV_MAX_FIELDS)
            return -1;
        f[n++] = o;
        if (i < len && t[i] == '"') {
            for (i++;; i++) {
                if (i >= len)
                    return -1;
                if (t[i] == '"' && i + 1 < len && t[i + 1] == '"')
                    *o++ = t[i++];
                else if (t[i] == '"')
                    break;
                else
                    *o++ = t[i];
            }
            i++;
            if (i < len && t[i] != sep && t[i] != '\n' && t[i] != '\r')
                return -1;
        } else {
            for (; i < len && t[i] != sep && t[i] != '\n' && t[i] != '\r'; i++)
                *o++ = t[i];
        }
        *o++ = 0;
        if (i < len && t[i] == sep) {
            i++;
            continue;
        }
        break;
    }
    if (i < len && t[i] == '\r')
        i++;
    if (i < len && t[i] == '\n')
        i++;
    *pos = i;
    return n;
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

/* Fills the business part of r from one row (the first of its business). */
static void csv_business(struct arena *a, const int *col, const char **f, int nf, struct business_record *r)
{
#define F(c) (col[c] >= 0 && col[c] < nf ? nonempty(f[col[c]]) : NULL)
    r->nip_text = F(C_NIP);
    r->regon_text = F(C_REGON);
    r->name = F(C_NAME);
    r->pkd_main_text = F(C_PKD_MAIN);
    r->start = F(C_FROM);
    r->end = F(C_TO);
    r->status_text = F(C_STATUS);
    const char *ver = F(C_PKD_VERSION);
    r->pkd2007 = ver && !strcmp(ver, "2007");
    const char *list = F(C_PKD);
    char *copy = list ? arena_strdup(a, list) : NULL, *save = NULL;
    for (char *tok = copy ? strtok_r(copy, " |", &save) : NULL; tok && r->npkd < BUSINESS_MAX_PKD;
         tok = strtok_r(NULL, " |", &save))
        r->pkd_text[r->npkd++] = tok;
}

static void csv_place(struct arena *a, const int *col, const char **f, int nf, struct business_record *r)
{
    if (r->nplaces >= BUSINESS_MAX_PLACES)
        return;
    struct business_place_in *p = &r->places[r->nplaces++];
    const char *kind = F(C_KIND);
    p->main = !kind || !strcmp(kind, "glowne") || !strcmp(kind, "główne") || !strcmp(kind, "main");
    p->street = F(C_STREET);
    p->building = F(C_BUILDING);
    p->flat = F(C_FLAT);
    p->locality = F(C_LOCALITY);
    p->postal_code = F(C_POSTAL);
    p->address = business_place_address(a, p);
    p->start = F(C_FROM);
    p->end = F(C_TO);
    p->status_text = F(C_STATUS);
#undef F
}

/* The column of each known name in the header, -1 when absent. */
static enum err_code csv_header(const char **f, int nf, int *col, struct err *e)
{
    for (int c = 0; c < C_COUNT; c++) {
        col[c] = -1;
        for (int i = 0; i < nf; i++)
            if (!strcasecmp(f[i], csv_names[c]))
                col[c] = i;
    }
    static const enum csv_col required[] = {C_NIP, C_NAME, C_BUILDING, C_LOCALITY};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (col[required[i]] < 0)
            return err_set(e, ERR_INVALID, "the CSV header has no column \"%s\"", csv_names[required[i]]);
    return ERR_OK;
}

enum err_code business_parse_csv(const char *text, size_t len, int max, struct arena *a, struct business_file *out,
                                 struct err *e)
{
    memset(out, 0, sizeof *out);
    out->format = "csv";
    size_t pos = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) /* a BOM, as spreadsheets write */
        pos = 3;
    size_t eol = pos;
    while (eol < len && text[eol] != '\n')
        eol++;
    char sep = memchr(text + pos, ';', eol - pos) ? ';' : ',';
    const char *f[CSV_MAX_FIELDS];
    int col[C_COUNT];
    int nf = csv_line(a, text, len, &pos, sep, f);
    if (nf < 0)
        return err_set(e, ERR_INVALID, "line 1 of the CSV cannot be read");
    if (csv_header(f, nf, col, e))
        return e->code;
    size_t lines = 1; /* businesses are at most the lines after the header, so no more is allocated */
    for (size_t i = pos; i < len; i++)
        lines += text[i] == '\n' || text[i] == '\r'; /* a line may end in CR alone */
    out->recs = arena_alloc(a, (lines < (size_t)max ? lines : (size_t)(max > 0 ? max : 1)) * sizeof *out->recs);
    if (!out->recs)
        return err_set(e, ERR_INTERNAL, "out of memory");
    struct business_record *cur = NULL;
    for (int line = 2; pos < len; line++) {
        nf = csv_line(a, text, len, &pos, sep, f);
        if (nf < 0)
            return err_set(e, ERR_INVALID, "line %d of the CSV cannot be read (quoting or too many fields)", line);
        if (nf == 1 && !*f[0])
            continue; /* an empty line */
        const char *nip = col[C_NIP] < nf ? f[col[C_NIP]] : "";
        if (!cur || !cur->nip_text || strcmp(cur->nip_text, nip)) {
            if (out->n >= max)
                return err_set(e, ERR_TOO_LARGE, "the file has more than %d businesses", max);
            cur = &out->recs[out->n++];
            memset(cur, 0, sizeof *cur);
            cur->line = line;
            csv_business(a, col, f, nf, cur);
        }
        csv_place(a, col, f, nf, cur);
    }
    return ERR_OK;
}
