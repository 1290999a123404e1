/* Places: parcel lookups, zone shares by GEOS intersection, point queries and geometry output. */
#define GEOS_USE_ONLY_R_API
#include "gis/places.h"

#include <geos_c.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/calendar.h"
#include "gis/geos_ctx.h"
#include "gis/store_sql.h"
#include "util/text.h"

/* ---- row helpers ---- */

static const char *col_text(struct arena *a, sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? arena_strdup(a, (const char *)s) : NULL;
}

static const unsigned char *col_blob(struct arena *a, sqlite3_stmt *st, int i, size_t *len)
{
    const void *b = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    *len = 0;
    if (!b || n <= 0)
        return NULL;
    unsigned char *copy = arena_alloc(a, (size_t)n);
    if (!copy)
        return NULL;
    memcpy(copy, b, (size_t)n);
    *len = (size_t)n;
    return copy;
}

static enum err_code step_err(struct gis_store *s, struct err *e)
{
    return err_set(e, ERR_IO, "%s: %s", gis_store_path(s), sqlite3_errmsg(gis_store_db(s)));
}

static void bind_bbox(sqlite3_stmt *st, const double b[4])
{
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(st, i + 1, b[i]);
}

/* ---- parcels ---- */

#define PARCEL_SELECT                                                                                                  \
    "SELECT p.id, p.parcel_id, o.unit, o.number, o.name, p.number, p.area_m2, p.land_use, AsBinary(p.geom) "           \
    "FROM parcels p JOIN obreby o ON o.id = p.obreb_id "

/* Fills p from a PARCEL_SELECT row, with the geometry's area, bbox and an inside point. */
static enum err_code parcel_from_row(struct arena *a, sqlite3_stmt *st, struct gis_parcel **out, struct err *e)
{
    struct gis_parcel *p = arena_alloc(a, sizeof *p);
    if (!p)
        return err_set(e, ERR_INTERNAL, "out of memory");
    p->id = sqlite3_column_int64(st, 0);
    p->parcel_id = col_text(a, st, 1);
    p->unit = col_text(a, st, 2);
    p->obreb_number = col_text(a, st, 3);
    p->obreb_name = col_text(a, st, 4);
    p->number = col_text(a, st, 5);
    p->land_use = col_text(a, st, 7);
    p->wkb = col_blob(a, st, 8, &p->wkb_len);
    if (!p->parcel_id || !p->unit || !p->obreb_number || !p->obreb_name || !p->number)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (p->wkb) {
        struct gis_geos *t = gis_geos_get(e);
        if (!t)
            return e->code;
        GEOSGeometry *g = gis_geos_read(t, p->wkb, p->wkb_len, e);
        if (!g)
            return e->code;
        GEOSArea_r(t->ctx, g, &p->geom_area_m2);
        GEOSGeom_getXMin_r(t->ctx, g, &p->bbox[0]);
        GEOSGeom_getYMin_r(t->ctx, g, &p->bbox[1]);
        GEOSGeom_getXMax_r(t->ctx, g, &p->bbox[2]);
        GEOSGeom_getYMax_r(t->ctx, g, &p->bbox[3]);
        GEOSGeometry *pt = GEOSPointOnSurface_r(t->ctx, g);
        if (pt) {
            GEOSGeomGetX_r(t->ctx, pt, &p->inside[0]);
            GEOSGeomGetY_r(t->ctx, pt, &p->inside[1]);
            GEOSGeom_destroy_r(t->ctx, pt);
        }
        GEOSGeom_destroy_r(t->ctx, g);
    }
    p->area_registered = sqlite3_column_type(st, 6) != SQLITE_NULL;
    p->area_m2 = p->area_registered ? sqlite3_column_double(st, 6) : p->geom_area_m2;
    *out = p;
    return ERR_OK;
}

bool gis_place_parcel_id_valid(const char *s)
{
    /* WWPPGG_R.OOOO[.AR_n].NR: 6 digits, '_', digit, '.', 4 digits, '.', optional sheet, then the number. */
    size_t n = s ? strlen(s) : 0;
    if (n < 15 || n > GIS_PARCEL_ID_MAX)
        return false;
    for (int i = 0; i < 6; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    if (s[6] != '_' || s[7] < '0' || s[7] > '9' || s[8] != '.')
        return false;
    for (int i = 9; i < 13; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    if (s[13] != '.')
        return false;
    const char *nr = s + 14;
    if (!strncmp(nr, "AR_", 3)) {
        const char *d = nr + 3;
        while (*d >= '0' && *d <= '9')
            d++;
        if (d == nr + 3 || *d != '.')
            return false;
        nr = d + 1;
    }
    if (*nr < '0' || *nr > '9')
        return false;
    for (const char *c = nr; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '/'))
            return false;
    return true;
}

enum err_code gis_place_parcel_by_id(struct gis_store *s, struct arena *a, const char *parcel_id,
                                     struct gis_parcel **out, struct err *e)
{
    *out = NULL;
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(s, PARCEL_SELECT "WHERE p.parcel_id = ?", e)))
        return e->code;
    sqlite3_bind_text(st, 1, parcel_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    enum err_code ec;
    if (rc == SQLITE_ROW)
        ec = parcel_from_row(a, st, out, e);
    else if (rc == SQLITE_DONE)
        ec = err_set(e, ERR_NOT_FOUND, "no parcel %s in this gmina", parcel_id);
    else
        ec = step_err(s, e);
    gis_store_release(st);
    return ec;
}

/* Whether obręb row (unit, number, name) is what the user called `want`. */
static bool obreb_matches(const char *want, const char *want_fold, const char *unit, const char *number,
                          const char *name)
{
    size_t n = strlen(want);
    bool digits = n > 0 && n <= 4;
    for (size_t i = 0; i < n && digits; i++)
        digits = want[i] >= '0' && want[i] <= '9';
    if (digits) {
        char padded[8];
        snprintf(padded, sizeof padded, "%04ld", strtol(want, NULL, 10));
        return !strcmp(padded, number);
    }
    const char *dot = strchr(want, '.');
    if (dot && (size_t)(dot - want) == strlen(unit) && !strncmp(want, unit, strlen(unit)))
        return !strcmp(dot + 1, number);
    char folded[256];
    text_fold(name, folded, sizeof folded);
    return want_fold[0] && !strcmp(folded, want_fold);
}

enum err_code gis_place_parcel_by_obreb(struct gis_store *s, struct arena *a, const char *obreb, const char *number,
                                        struct gis_parcel **out, struct err *e)
{
    *out = NULL;
    char want_fold[256];
    text_fold(obreb, want_fold, sizeof want_fold);
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(s, "SELECT id, unit, number, name FROM obreby ORDER BY unit, number", e)))
        return e->code;
    enum { MAX_OBREBY = 32 };
    long ids[MAX_OBREBY];
    int nids = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && nids < MAX_OBREBY) {
        const char *unit = (const char *)sqlite3_column_text(st, 1);
        const char *num = (const char *)sqlite3_column_text(st, 2);
        const char *name = (const char *)sqlite3_column_text(st, 3);
        if (unit && num && name && obreb_matches(obreb, want_fold, unit, num, name))
            ids[nids++] = sqlite3_column_int64(st, 0);
    }
    gis_store_release(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return step_err(s, e);
    if (nids == 0)
        return err_set(e, ERR_NOT_FOUND, "no obręb '%s' in this gmina", obreb);
    if (!(st = gis_store_cached(s, PARCEL_SELECT "WHERE p.obreb_id = ? AND p.number = ?", e)))
        return e->code;
    struct gis_parcel *found[4];
    int nfound = 0;
    enum err_code ec = ERR_OK;
    for (int i = 0; i < nids && !ec; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, ids[i]);
        sqlite3_bind_text(st, 2, number, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && nfound < 4)
            ec = parcel_from_row(a, st, &found[nfound++], e);
        else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            ec = step_err(s, e);
    }
    gis_store_release(st);
    if (ec)
        return ec;
    if (nfound == 0)
        return err_set(e, ERR_NOT_FOUND, "no parcel %s in obręb '%s'", number, obreb);
    if (nfound > 1)
        return err_set(e, ERR_CONFLICT, "obręb '%s' is ambiguous: parcel %s exists as %s and %s; give the parcel id",
                       obreb, number, found[0]->parcel_id, found[1]->parcel_id);
    *out = found[0];
    return ERR_OK;
}

/* ---- parcel search ---- */

/* Whether s is a parcel number as EGiB writes it: a digit, then digits, letters and '/', at most 32 bytes. */
static bool parcel_number_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32 || s[0] < '0' || s[0] > '9')
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '/'))
            return false;
    return true;
}

static bool all_digits(const char *s)
{
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Natural order of parcel numbers: runs of digits compare as numbers, so "2287/2" < "2287/10". */
static int parcel_number_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            while (*a == '0' && a[1] >= '0' && a[1] <= '9')
                a++;
            while (*b == '0' && b[1] >= '0' && b[1] <= '9')
                b++;
            size_t la = 0, lb = 0;
            while (a[la] >= '0' && a[la] <= '9')
                la++;
            while (b[lb] >= '0' && b[lb] <= '9')
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
        } else {
            if (*a != *b)
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return (*a != 0) - (*b != 0);
}

/* Words that say "parcel" and are dropped from a query: folded "dz.", "działka", "obręb", "nr", ...
 * Returns 3 for the words that stand before a parcel number ("dz.", "działka"), 2 for "obręb", 1 for
 * "nr"/"numer", 0 for other words. */
static int parcel_word(const char *word)
{
    static const char *const marks[] = {"dz", "dzialka", "dzialki", "dzialke", "dzialek", NULL};
    static const char *const obreb[] = {"obreb", "obr", NULL};
    static const char *const fillers[] = {"nr", "numer", NULL};
    char f[32];
    if (strlen(word) >= sizeof f)
        return 0;
    text_fold(word, f, sizeof f);
    for (int i = 0; marks[i]; i++)
        if (!strcmp(f, marks[i]))
            return 3;
    for (int i = 0; obreb[i]; i++)
        if (!strcmp(f, obreb[i]))
            return 2;
    for (int i = 0; fillers[i]; i++)
        if (!strcmp(f, fillers[i]))
            return 1;
    return 0;
}

/* A parcel candidate before its row is read: ordered by exactness, obręb, then number. */
struct parcel_cand {
    long rowid;
    int obreb; /* position of its obręb in unit, number order */
    bool exact;
    const char *number;
};

static int cand_cmp(const void *pa, const void *pb)
{
    const struct parcel_cand *a = pa, *b = pb;
    if (a->exact != b->exact)
        return a->exact ? -1 : 1;
    if (a->obreb != b->obreb)
        return a->obreb < b->obreb ? -1 : 1;
    int c = parcel_number_cmp(a->number, b->number);
    return c ? c : (a->rowid < b->rowid ? -1 : a->rowid > b->rowid);
}

enum { SEARCH_MAX_WORDS = 16, SEARCH_MAX_OBREBY = 1024, SEARCH_MAX_CANDS = 4096 };

/* The obręby that spec names (every one when spec is empty), as row ids with their position in unit,
 * number order: by name, number or unit.number (obreb_matches), or by number and name ("0001 Słubice 1",
 * as /search labels parcels). A spec that names none exactly may be the first whole words of names
 * ("Słubice"). */
static enum err_code search_obreby(struct gis_store *s, struct arena *a, const char *spec, long **ids, int **ord,
                                   int *n, struct err *e)
{
    char want_fold[256];
    text_fold(spec, want_fold, sizeof want_fold);
    size_t wl = strlen(want_fold);
    /* "0001 Słubice 1": the number, then the folded name */
    char lead[8] = "";
    const char *rest_fold = NULL;
    size_t nd = strspn(spec, "0123456789");
    if (nd >= 1 && nd <= 4 && spec[nd] == ' ' && strchr(want_fold, ' ')) {
        snprintf(lead, sizeof lead, "%04ld", strtol(spec, NULL, 10));
        rest_fold = strchr(want_fold, ' ') + 1;
    }
    *ids = arena_alloc(a, SEARCH_MAX_OBREBY * sizeof **ids);
    *ord = arena_alloc(a, SEARCH_MAX_OBREBY * sizeof **ord);
    long *pre_ids = arena_alloc(a, SEARCH_MAX_OBREBY * sizeof *pre_ids);
    int *pre_ord = arena_alloc(a, SEARCH_MAX_OBREBY * sizeof *pre_ord);
    if (!*ids || !*ord || !pre_ids || !pre_ord)
        return err_set(e, ERR_INTERNAL, "out of memory");
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(s, "SELECT id, unit, number, name FROM obreby ORDER BY unit, number", e)))
        return e->code;
    int nexact = 0, npre = 0, pos = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && pos < SEARCH_MAX_OBREBY) {
        const char *unit = (const char *)sqlite3_column_text(st, 1);
        const char *num = (const char *)sqlite3_column_text(st, 2);
        const char *name = (const char *)sqlite3_column_text(st, 3);
        long id = sqlite3_column_int64(st, 0);
        if (!unit || !num || !name) {
            pos++;
            continue;
        }
        char folded[256];
        text_fold(name, folded, sizeof folded);
        if (!*spec || obreb_matches(spec, want_fold, unit, num, name) ||
            (rest_fold && !strcmp(lead, num) && !strcmp(rest_fold, folded))) {
            (*ids)[nexact] = id;
            (*ord)[nexact++] = pos;
        } else if (wl) {
            if (!strncmp(folded, want_fold, wl) && folded[wl] == ' ') {
                pre_ids[npre] = id;
                pre_ord[npre++] = pos;
            }
        }
        pos++;
    }
    gis_store_release(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return step_err(s, e);
    if (nexact == 0) {
        *ids = pre_ids;
        *ord = pre_ord;
        nexact = npre;
    }
    *n = nexact;
    return ERR_OK;
}

/* The words of a parcel query, without the ones that only say "parcel", into words (up to
 * SEARCH_MAX_WORDS; false when there are more: not a parcel). *after_dz is the word right after "dz." or
 * "działka" (the number, wherever it stands), or -1; *expl tells whether a word says "parcel" for sure. */
static bool search_words(char *copy, const char **words, int *nw, int *after_dz, bool *expl)
{
    bool dz = false;
    *nw = 0, *after_dz = -1, *expl = false;
    for (char *save = NULL, *w = strtok_r(copy, " \t\r\n,;", &save); w; w = strtok_r(NULL, " \t\r\n,;", &save)) {
        if ((w[0] == 'd' || w[0] == 'D') && (w[1] == 'z' || w[1] == 'Z') && w[2] == '.' && w[3] >= '0' && w[3] <= '9') {
            w += 3; /* "dz.2287" */
            *expl = dz = true;
        }
        int kind = parcel_word(w);
        if (kind) {
            *expl = *expl || kind >= 2;
            dz = dz || kind == 3;
            continue;
        }
        if (*nw == SEARCH_MAX_WORDS)
            return false;
        if (dz && *after_dz < 0)
            *after_dz = *nw;
        dz = false;
        words[(*nw)++] = w;
    }
    return true;
}

/* A query that is a full EGiB identifier: that parcel, or no hit. */
static enum err_code search_by_id(struct gis_store *s, struct arena *a, const char *id, int max,
                                  struct gis_parcel_hit *hits, int *n, struct err *e)
{
    struct gis_parcel *p;
    struct err le = {0};
    if (gis_place_parcel_by_id(s, a, id, &p, &le)) {
        if (le.code == ERR_NOT_FOUND)
            return ERR_OK;
        return err_recast(e, le.code, &le);
    }
    if (max > 0) {
        hits[0] = (struct gis_parcel_hit){p, true};
        *n = 1;
    }
    return ERR_OK;
}

/* The parcels numbered number and its parts ("2287/1") in the obręby ids (ord: their rank), up to
 * SEARCH_MAX_CANDS, into cands, ordered. The range [number, number + "0") of the (obreb_id, number) index
 * holds exactly these, since '/' is the only byte of a parcel number below '0'. */
static enum err_code search_candidates(struct gis_store *s, struct arena *a, const char *number, const long *ids,
                                       const int *ord, int nids, struct parcel_cand *cands, int *nc, struct err *e)
{
    size_t nl = strlen(number);
    char *upper = arena_printf(a, "%s0", number);
    if (!upper)
        return err_set(e, ERR_INTERNAL, "out of memory");
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(s, "SELECT id, number FROM parcels WHERE obreb_id = ? AND number >= ? AND number < ?",
                                e)))
        return e->code;
    int rc = SQLITE_DONE;
    *nc = 0;
    for (int i = 0; i < nids && *nc < SEARCH_MAX_CANDS; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, ids[i]);
        sqlite3_bind_text(st, 2, number, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, upper, -1, SQLITE_STATIC);
        while (*nc < SEARCH_MAX_CANDS && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *num = (const char *)sqlite3_column_text(st, 1);
            if (!num || strncmp(num, number, nl) || (num[nl] && num[nl] != '/'))
                continue;
            cands[*nc] = (struct parcel_cand){sqlite3_column_int64(st, 0), ord[i], !num[nl], arena_strdup(a, num)};
            if (!cands[*nc].number) {
                gis_store_release(st);
                return err_set(e, ERR_INTERNAL, "out of memory");
            }
            (*nc)++;
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            gis_store_release(st);
            return step_err(s, e);
        }
    }
    gis_store_release(st);
    qsort(cands, (size_t)*nc, sizeof *cands, cand_cmp);
    return ERR_OK;
}

/* The candidates' parcels, up to max, as hits. */
static enum err_code search_hits(struct gis_store *s, struct arena *a, const struct parcel_cand *cands, int nc, int max,
                                 struct gis_parcel_hit *hits, int *n, struct err *e)
{
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(s, PARCEL_SELECT "WHERE p.id = ?", e)))
        return e->code;
    enum err_code ec = ERR_OK;
    for (int i = 0; i < nc && *n < max && !ec; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, cands[i].rowid);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            ec = parcel_from_row(a, st, &hits[*n].parcel, e);
            hits[(*n)++].exact = cands[i].exact;
        } else if (rc != SQLITE_DONE) {
            ec = step_err(s, e);
        }
    }
    gis_store_release(st);
    if (ec)
        *n = 0;
    return ec;
}

enum err_code gis_place_parcel_search(struct gis_store *s, struct arena *a, const char *q, int max,
                                      struct gis_parcel_hit *hits, int *n, bool *explicit_parcel, struct err *e)
{
    *n = 0;
    if (explicit_parcel)
        *explicit_parcel = false;
    size_t qlen = strlen(q);
    if (qlen > GIS_PARCEL_QUERY_MAX)
        return err_param(e, "q", "q is longer than %d bytes", GIS_PARCEL_QUERY_MAX);
    if (!text_utf8_valid(q, qlen))
        return err_param(e, "q", "q is not valid UTF-8 text");
    char *copy = arena_strdup(a, q);
    if (!copy)
        return err_set(e, ERR_INTERNAL, "out of memory");
    const char *words[SEARCH_MAX_WORDS];
    int nw, after_dz;
    bool expl;
    if (!search_words(copy, words, &nw, &after_dz, &expl) || nw == 0)
        return ERR_OK; /* not a parcel; the address search answers for such text */
    if (nw == 1 && gis_place_parcel_id_valid(words[0])) {
        if (explicit_parcel)
            *explicit_parcel = true;
        return search_by_id(s, a, words[0], max, hits, n, e);
    }
    /* "dz. 2287, obręb 0001 Słubice 1": the number first, then the obręb */
    int at = after_dz >= 0 && parcel_number_valid(words[after_dz]) ? after_dz : nw - 1;
    const char *number = words[at];
    if (!parcel_number_valid(number))
        return ERR_OK;
    bool digits = true;
    for (int i = 0; i < nw && digits; i++)
        digits = parcel_number_valid(words[i]) && (i == at || all_digits(words[i]));
    /* "080505_4.0001 2287": an obręb given as unit.number */
    const char *other = nw == 2 ? words[1 - at] : "";
    bool unit_form = strlen(other) == 13 && other[6] == '_' && other[8] == '.';
    if (explicit_parcel)
        *explicit_parcel = expl || digits || unit_form;
    /* The obręb: every other word. */
    char spec[GIS_PARCEL_QUERY_MAX + 1] = "";
    size_t sl = 0;
    for (int i = 0; i < nw; i++)
        if (i != at)
            sl += (size_t)snprintf(spec + sl, sizeof spec - sl, "%s%s", sl ? " " : "", words[i]);
    long *ids = NULL;
    int *ord = NULL, nids = 0, nc = 0;
    if (search_obreby(s, a, spec, &ids, &ord, &nids, e))
        return e->code;
    if (nids == 0 || max <= 0)
        return ERR_OK;
    struct parcel_cand *cands = arena_alloc(a, SEARCH_MAX_CANDS * sizeof *cands);
    if (!cands)
        return err_set(e, ERR_INTERNAL, "out of memory");
    enum err_code rc = search_candidates(s, a, number, ids, ord, nids, cands, &nc, e);
    return rc ? rc : search_hits(s, a, cands, nc, max, hits, n, e);
}

enum err_code gis_place_parcel_at(struct gis_store *s, struct arena *a, double x, double y, struct gis_parcel **out,
                                  struct err *e)
{
    *out = NULL;
    if (!isfinite(x) || !isfinite(y))
        return err_set(e, ERR_INVALID, "coordinates are not finite");
    struct gis_geos *t = gis_geos_get(e);
    if (!t)
        return e->code;
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(s,
                                PARCEL_SELECT "WHERE p.id IN (SELECT pkid FROM idx_parcels_geom WHERE xmin <= ?1 AND "
                                              "xmax >= ?1 AND ymin <= ?2 AND ymax >= ?2) ORDER BY p.id",
                                e)))
        return e->code;
    sqlite3_bind_double(st, 1, x);
    sqlite3_bind_double(st, 2, y);
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(t->ctx, x, y);
    long boundary_id = 0; /* first parcel whose boundary holds the point, used when none contains it */
    enum err_code ec = ERR_OK;
    int rc;
    while (pt && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const void *wkb = sqlite3_column_blob(st, 8);
        int n = sqlite3_column_bytes(st, 8);
        if (!wkb || n <= 0)
            continue;
        GEOSGeometry *g = GEOSWKBReader_read_r(t->ctx, t->reader, wkb, (size_t)n);
        if (!g)
            continue;
        char contains = GEOSContains_r(t->ctx, g, pt);
        char touches = contains == 1 ? 0 : GEOSIntersects_r(t->ctx, g, pt);
        GEOSGeom_destroy_r(t->ctx, g);
        if (contains == 1) {
            ec = parcel_from_row(a, st, out, e);
            break;
        }
        if (touches == 1 && !boundary_id)
            boundary_id = sqlite3_column_int64(st, 0);
    }
    if (pt)
        GEOSGeom_destroy_r(t->ctx, pt);
    else
        ec = err_set(e, ERR_INTERNAL, "GEOS: cannot create a point");
    gis_store_release(st);
    if (ec || *out)
        return ec;
    if (boundary_id) {
        if (!(st = gis_store_cached(s, PARCEL_SELECT "WHERE p.id = ?", e)))
            return e->code;
        sqlite3_bind_int64(st, 1, boundary_id);
        ec = sqlite3_step(st) == SQLITE_ROW ? parcel_from_row(a, st, out, e) : step_err(s, e);
        gis_store_release(st);
        return ec;
    }
    return err_set(e, ERR_NOT_FOUND, "no parcel at this point");
}

/* ---- zones ---- */

const char *gis_zone_kind_name(enum gis_zone_kind k)
{
    switch (k) {
    case GIS_ZONE_MPZP: return "mpzp";
    case GIS_ZONE_OVERLAY: return "overlay";
    case GIS_ZONE_POG: return "pog";
    }
    return "";
}

enum param_type { PT_REAL, PT_INT, PT_TEXT };

struct param_col {
    const char *name;
    enum param_type type;
};

/* Zones of plans in force on the date bound as ?5. */
#define ZONE_PLAN_IN_FORCE "AND z.plan_id IN (SELECT p.id FROM plans p WHERE " GIS_PLAN_IN_FORCE_SQL("p", "?5") ")"

/* The three zone tables. Columns 0-5 are the same in each: id, plan_id, label, symbol, name, geometry;
 * then overlay kind or the parameters. ?1..?4 are the parcel's bbox. */
static const struct zone_table {
    enum gis_zone_kind kind;
    const char *sql;
    struct param_col params[GIS_ZONE_MAX_PARAMS + 1];
} zone_tables[] = {
    {GIS_ZONE_MPZP,
     "SELECT z.id, z.plan_id, z.label, z.symbol, z.name, AsBinary(z.geom), z.max_height_m, z.max_storeys, "
     "z.min_intensity, z.max_intensity, z.max_coverage_pct, z.min_bio_pct, z.min_parcel_area_m2, z.roof "
     "FROM plan_zones z WHERE z.id IN (SELECT pkid FROM idx_plan_zones_geom "
     "WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2) " ZONE_PLAN_IN_FORCE,
     {{"max_height_m", PT_REAL},
      {"max_storeys", PT_INT},
      {"min_intensity", PT_REAL},
      {"max_intensity", PT_REAL},
      {"max_coverage_pct", PT_REAL},
      {"min_bio_pct", PT_REAL},
      {"min_parcel_area_m2", PT_REAL},
      {"roof", PT_TEXT},
      {NULL, PT_REAL}}},
    {GIS_ZONE_OVERLAY,
     "SELECT z.id, z.plan_id, z.label, NULL, z.name, AsBinary(z.geom), z.kind "
     "FROM overlays z WHERE z.id IN (SELECT pkid FROM idx_overlays_geom "
     "WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2) " ZONE_PLAN_IN_FORCE,
     {{NULL, PT_REAL}}},
    {GIS_ZONE_POG,
     "SELECT z.id, z.plan_id, z.label, z.symbol, z.name, AsBinary(z.geom), z.max_intensity, z.max_coverage_pct, "
     "z.max_height_m, z.min_bio_pct "
     "FROM pog_zones z WHERE z.id IN (SELECT pkid FROM idx_pog_zones_geom "
     "WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2) " ZONE_PLAN_IN_FORCE,
     {{"max_intensity", PT_REAL},
      {"max_coverage_pct", PT_REAL},
      {"max_height_m", PT_REAL},
      {"min_bio_pct", PT_REAL},
      {NULL, PT_REAL}}},
};

/* The parcel, ready for repeated intersection. */
struct parcel_geom {
    struct gis_geos *t;
    GEOSGeometry *g;
    const GEOSPreparedGeometry *prep;
    double area;
    double bbox[4];
};

/* Area of parcel ∩ geometry z. Falls back to repaired inputs, then to a 1 mm grid, when GEOS throws on
 * invalid stored geometries; *failed is set only when every attempt fails. */
static double overlap_area(struct parcel_geom *pg, const GEOSGeometry *z, bool *failed)
{
    GEOSContextHandle_t ctx = pg->t->ctx;
    char hit = GEOSPreparedIntersects_r(ctx, pg->prep, z);
    if (hit == 0)
        return 0;
    /* A big zone (a POG strefa, the gmina-wide POG boundary) is first cut to a box around the parcel:
     * that is linear, and the overlay then works on a few vertices instead of thousands. The parcel lies
     * strictly inside the box, so the intersection is the same. */
    GEOSGeometry *clipped = NULL;
    if (GEOSGetNumCoordinates_r(ctx, z) > 256) {
        const double *b = pg->bbox;
        clipped = GEOSClipByRect_r(ctx, z, b[0] - 1, b[1] - 1, b[2] + 1, b[3] + 1);
        if (clipped && GEOSisValid_r(ctx, clipped) == 1)
            z = clipped;
    }
    GEOSGeometry *i = GEOSIntersection_r(ctx, pg->g, z);
    if (!i) {
        GEOSGeometry *zv = GEOSMakeValid_r(ctx, z), *pv = GEOSMakeValid_r(ctx, pg->g);
        if (zv && pv)
            i = GEOSIntersection_r(ctx, pv, zv);
        if (!i && zv && pv)
            i = GEOSIntersectionPrec_r(ctx, pv, zv, 0.001);
        if (zv)
            GEOSGeom_destroy_r(ctx, zv);
        if (pv)
            GEOSGeom_destroy_r(ctx, pv);
    }
    if (clipped)
        GEOSGeom_destroy_r(ctx, clipped);
    if (!i) {
        *failed = true;
        return 0;
    }
    double area = 0;
    if (!GEOSArea_r(ctx, i, &area))
        area = 0;
    GEOSGeom_destroy_r(ctx, i);
    return area;
}

/* A growable array in an arena: doubles its capacity by copying. */
static void *grow(struct arena *a, void *arr, int n, int *cap, size_t size)
{
    if (n < *cap)
        return arr;
    int ncap = *cap ? *cap * 2 : 8;
    void *na = arena_alloc(a, (size_t)ncap * size);
    if (!na)
        return NULL;
    if (n)
        memcpy(na, arr, (size_t)n * size);
    *cap = ncap;
    return na;
}

struct zones_build {
    struct gis_store *s;
    struct arena *a;
    struct parcel_geom *pg;
    struct gis_parcel_zones *out;
    const char *date; /* ISO date the plans must be in force on */
    int plan_cap, zone_cap;
    /* per plan with amendments in force: the parcel without their boundaries (plan_parcel) */
    struct plan_cut {
        long plan;
        struct parcel_geom pg; /* pg.g NULL: the plan has none, use the whole parcel */
    } cuts[32];
    int ncuts;
};

/* The part of the parcel where plan's own zones apply: the whole parcel, or, when amendments of plan are
 * in force on the date, the parcel minus their boundaries (inside them the amendment replaces the plan). */
static struct parcel_geom *plan_parcel(struct zones_build *b, long plan, struct err *e)
{
    for (int i = 0; i < b->ncuts; i++)
        if (b->cuts[i].plan == plan)
            return b->cuts[i].pg.g ? &b->cuts[i].pg : b->pg;
    sqlite3_stmt *st = gis_store_cached(b->s, "SELECT AsBinary(" GIS_PLAN_AMENDED_SQL("?1", "?2") ")", e);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, plan);
    sqlite3_bind_text(st, 2, b->date, -1, SQLITE_STATIC);
    struct gis_geos *t = b->pg->t;
    GEOSGeometry *cut = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB)
        cut = GEOSWKBReader_read_r(t->ctx, t->reader, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    gis_store_release(st);
    if (!cut || b->ncuts == (int)(sizeof b->cuts / sizeof b->cuts[0])) {
        if (cut)
            GEOSGeom_destroy_r(t->ctx, cut);
        if (b->ncuts < (int)(sizeof b->cuts / sizeof b->cuts[0]))
            b->cuts[b->ncuts++] = (struct plan_cut){.plan = plan};
        return b->pg;
    }
    struct plan_cut *c = &b->cuts[b->ncuts];
    c->plan = plan;
    c->pg = *b->pg;
    c->pg.g = GEOSDifference_r(t->ctx, b->pg->g, cut);
    GEOSGeom_destroy_r(t->ctx, cut);
    c->pg.prep = c->pg.g ? GEOSPrepare_r(t->ctx, c->pg.g) : NULL;
    if (!c->pg.prep) {
        if (c->pg.g)
            GEOSGeom_destroy_r(t->ctx, c->pg.g);
        err_set(e, ERR_INTERNAL, "GEOS cannot cut the parcel by the amendments of plan %ld: %s", plan, t->msg);
        return NULL;
    }
    b->ncuts++;
    return &c->pg;
}

static void plan_cuts_free(struct zones_build *b)
{
    for (int i = 0; i < b->ncuts; i++)
        if (b->cuts[i].pg.g) {
            GEOSPreparedGeom_destroy_r(b->pg->t->ctx, b->cuts[i].pg.prep);
            GEOSGeom_destroy_r(b->pg->t->ctx, b->cuts[i].pg.g);
        }
    b->ncuts = 0;
}

#define PLAN_SELECT                                                                                                    \
    "SELECT id, kind, title, resolution, resolution_date, publication, status, valid_from, scale, AsBinary(geom), "    \
    "valid_to, changed_by, coalesce(amends_plan_id, 0), (SELECT b.title FROM plans b WHERE b.id = "                    \
    "plans.amends_plan_id), "                                                                                          \
    "(SELECT b.resolution FROM plans b WHERE b.id = plans.amends_plan_id) FROM plans "

static enum err_code plan_add_row(struct zones_build *b, sqlite3_stmt *st, struct err *e)
{
    struct gis_parcel_zones *o = b->out;
    o->plans = grow(b->a, o->plans, o->nplans, &b->plan_cap, sizeof *o->plans);
    if (!o->plans)
        return err_set(e, ERR_INTERNAL, "out of memory");
    struct gis_plan_ref *p = &o->plans[o->nplans];
    memset(p, 0, sizeof *p);
    p->id = sqlite3_column_int64(st, 0);
    p->kind = col_text(b->a, st, 1);
    p->title = col_text(b->a, st, 2);
    p->resolution = col_text(b->a, st, 3);
    p->resolution_date = col_text(b->a, st, 4);
    p->publication = col_text(b->a, st, 5);
    p->status = col_text(b->a, st, 6);
    p->valid_from = col_text(b->a, st, 7);
    p->scale = sqlite3_column_int64(st, 8);
    p->valid_to = col_text(b->a, st, 10);
    p->changed_by = col_text(b->a, st, 11);
    p->amends = sqlite3_column_int64(st, 12);
    p->amends_title = col_text(b->a, st, 13);
    p->amends_resolution = col_text(b->a, st, 14);
    const void *wkb = sqlite3_column_blob(st, 9);
    int n = sqlite3_column_bytes(st, 9);
    struct parcel_geom *pg = wkb && n > 0 ? plan_parcel(b, p->id, e) : NULL;
    if (wkb && n > 0 && !pg)
        return e->code;
    if (pg) {
        GEOSGeometry *g = GEOSWKBReader_read_r(pg->t->ctx, pg->t->reader, wkb, (size_t)n);
        if (g) {
            bool failed = false;
            p->area_m2 = overlap_area(pg, g, &failed);
            GEOSGeom_destroy_r(pg->t->ctx, g);
        }
    }
    p->share_pct = b->pg->area > 0 ? 100.0 * p->area_m2 / b->pg->area : 0;
    o->nplans++;
    return ERR_OK;
}

/* The index of plan id in out->plans, loading it when a zone names a plan the bbox search missed. */
static int plan_index(struct zones_build *b, long id, struct err *e)
{
    for (int i = 0; i < b->out->nplans; i++)
        if (b->out->plans[i].id == id)
            return i;
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(b->s, PLAN_SELECT "WHERE id = ?", e)))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int idx = -1;
    if (sqlite3_step(st) == SQLITE_ROW && plan_add_row(b, st, e) == ERR_OK)
        idx = b->out->nplans - 1;
    else
        err_set(e, ERR_IO, "zone refers to missing plan %ld", id);
    gis_store_release(st);
    return idx;
}

static enum err_code zones_from_table(struct zones_build *b, const struct zone_table *zt, const double bbox[4],
                                      struct err *e)
{
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(b->s, zt->sql, e)))
        return e->code;
    bind_bbox(st, bbox);
    sqlite3_bind_text(st, 5, b->date, -1, SQLITE_STATIC);
    struct gis_geos *t = b->pg->t;
    struct gis_parcel_zones *o = b->out;
    enum err_code ec = ERR_OK;
    int rc;
    while (!ec && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const void *wkb = sqlite3_column_blob(st, 5);
        int n = sqlite3_column_bytes(st, 5);
        if (!wkb || n <= 0)
            continue;
        /* an amended plan's zones count only outside its amendments in force */
        struct parcel_geom *pg = plan_parcel(b, sqlite3_column_int64(st, 1), e);
        if (!pg) {
            ec = e->code;
            break;
        }
        GEOSGeometry *g = GEOSWKBReader_read_r(t->ctx, t->reader, wkb, (size_t)n);
        if (!g)
            continue;
        bool failed = false;
        double area = overlap_area(pg, g, &failed);
        GEOSGeom_destroy_r(t->ctx, g);
        if (failed) {
            ec = err_set(e, ERR_INTERNAL, "GEOS cannot intersect the parcel with %s zone %lld: %s",
                         gis_zone_kind_name(zt->kind), (long long)sqlite3_column_int64(st, 0), t->msg);
            break;
        }
        if (area < GIS_ZONE_MIN_AREA_M2)
            continue;
        int plan = plan_index(b, sqlite3_column_int64(st, 1), e);
        if (plan < 0) {
            ec = e->code;
            break;
        }
        o->zones = grow(b->a, o->zones, o->nzones, &b->zone_cap, sizeof *o->zones);
        if (!o->zones) {
            ec = err_set(e, ERR_INTERNAL, "out of memory");
            break;
        }
        struct gis_zone_hit *z = &o->zones[o->nzones++];
        memset(z, 0, sizeof *z);
        z->kind = zt->kind;
        z->id = sqlite3_column_int64(st, 0);
        z->plan = plan;
        z->label = col_text(b->a, st, 2);
        z->symbol = col_text(b->a, st, 3);
        z->name = col_text(b->a, st, 4);
        z->area_m2 = area;
        z->share_pct = b->pg->area > 0 ? 100.0 * area / b->pg->area : 0;
        if (zt->kind == GIS_ZONE_OVERLAY)
            z->overlay_kind = col_text(b->a, st, 6);
        for (int k = 0; zt->params[k].name; k++) {
            int col = 6 + k;
            if (sqlite3_column_type(st, col) == SQLITE_NULL)
                continue;
            struct gis_zone_param *p = &z->params[z->nparams++];
            p->name = zt->params[k].name;
            if (zt->params[k].type == PT_TEXT)
                p->text = col_text(b->a, st, col);
            else
                p->value = sqlite3_column_double(st, col);
        }
    }
    if (!ec && rc != SQLITE_DONE)
        ec = step_err(b->s, e);
    gis_store_release(st);
    return ec;
}

static int zone_cmp(const void *pa, const void *pb)
{
    const struct gis_zone_hit *a = pa, *b = pb;
    if (a->kind != b->kind)
        return (int)a->kind - (int)b->kind;
    if (a->share_pct != b->share_pct)
        return a->share_pct > b->share_pct ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

enum err_code gis_place_zones(struct gis_store *s, struct arena *a, const struct gis_parcel *p, const char *date,
                              struct gis_parcel_zones *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    int day;
    char today[11];
    if (!date) {
        gis_cal_format_date(gis_cal_today(), today);
        date = today;
    } else if (!gis_cal_parse_date(date, &day)) {
        return err_param(e, "date", "not a date (YYYY-MM-DD): '%.40s'", date);
    }
    if (!p->wkb)
        return ERR_OK;
    struct gis_geos *t = gis_geos_get(e);
    if (!t)
        return e->code;
    struct parcel_geom pg = {.t = t, .bbox = {p->bbox[0], p->bbox[1], p->bbox[2], p->bbox[3]}};
    pg.g = gis_geos_read(t, p->wkb, p->wkb_len, e);
    if (!pg.g)
        return e->code;
    pg.prep = GEOSPrepare_r(t->ctx, pg.g);
    GEOSArea_r(t->ctx, pg.g, &pg.area);
    struct zones_build b = {.s = s, .a = a, .pg = &pg, .out = out, .date = date};
    enum err_code ec = ERR_OK;
    if (!pg.prep)
        ec = err_set(e, ERR_INTERNAL, "GEOS cannot prepare the parcel: %s", t->msg);
    /* Plans first, for their coverage; zones may add plans the bbox search did not return. */
    sqlite3_stmt *st = NULL;
    if (!ec &&
        (st = gis_store_cached(s,
                               PLAN_SELECT "WHERE id IN (SELECT pkid FROM idx_plans_geom WHERE xmin <= ?3 AND "
                                           "xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2) AND " GIS_PLAN_IN_FORCE_SQL(
                                               "plans", "?5") " ORDER BY id",
                               e))) {
        bind_bbox(st, p->bbox);
        sqlite3_bind_text(st, 5, date, -1, SQLITE_STATIC);
        int rc;
        while (!ec && (rc = sqlite3_step(st)) == SQLITE_ROW)
            ec = plan_add_row(&b, st, e);
        if (!ec && rc != SQLITE_DONE)
            ec = step_err(s, e);
        gis_store_release(st);
    } else if (!ec) {
        ec = e->code;
    }
    for (size_t k = 0; !ec && k < sizeof zone_tables / sizeof zone_tables[0]; k++)
        ec = zones_from_table(&b, &zone_tables[k], p->bbox, e);
    plan_cuts_free(&b);
    if (pg.prep)
        GEOSPreparedGeom_destroy_r(t->ctx, pg.prep);
    GEOSGeom_destroy_r(t->ctx, pg.g);
    if (ec)
        return ec;
    /* Keep plans that cover part of the parcel or own a zone on it, and renumber the zones' plan index. */
    int *map = arena_alloc(a, sizeof(int) * (size_t)(out->nplans + 1));
    if (!map)
        return err_set(e, ERR_INTERNAL, "out of memory");
    int kept = 0;
    for (int i = 0; i < out->nplans; i++) {
        bool used = out->plans[i].area_m2 >= GIS_ZONE_MIN_AREA_M2;
        for (int z = 0; z < out->nzones && !used; z++)
            used = out->zones[z].plan == i;
        map[i] = used ? kept : -1;
        if (used)
            out->plans[kept++] = out->plans[i];
    }
    out->nplans = kept;
    for (int z = 0; z < out->nzones; z++)
        out->zones[z].plan = map[out->zones[z].plan];
    if (out->nzones > 1)
        qsort(out->zones, (size_t)out->nzones, sizeof *out->zones, zone_cmp);
    return ERR_OK;
}

/* ---- addresses ---- */

char *gis_place_address_label(struct arena *a, const char *street_prefix, const char *street, const char *number,
                              const char *postal, const char *locality)
{
    bool has_postal = postal && *postal;
    if (street && *street) {
        const char *pre = street_prefix && *street_prefix ? street_prefix : "";
        return arena_printf(a, "%s%s%s %s, %s%s%s", pre, *pre ? " " : "", street, number, has_postal ? postal : "",
                            has_postal ? " " : "", locality);
    }
    return has_postal ? arena_printf(a, "%s %s, %s", locality, number, postal)
                      : arena_printf(a, "%s %s", locality, number);
}

#define ADDRESS_SELECT                                                                                                 \
    "SELECT a.id, l.name, s.prefix, s.name, a.number, coalesce(a.postal_code, l.postal_code), a.parcel_id, "           \
    "X(a.geom), Y(a.geom) FROM addresses a JOIN localities l ON l.id = a.locality_id "                                 \
    "LEFT JOIN streets s ON s.id = a.street_id "                                                                       \
    "WHERE a.id IN (SELECT pkid FROM idx_addresses_geom WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND "           \
    "ymax >= ?2)"

static struct gis_place_address *address_from_row(struct arena *a, sqlite3_stmt *st)
{
    struct gis_place_address *ad = arena_alloc(a, sizeof *ad);
    if (!ad)
        return NULL;
    ad->id = sqlite3_column_int64(st, 0);
    ad->locality = col_text(a, st, 1);
    ad->street_prefix = col_text(a, st, 2);
    ad->street = col_text(a, st, 3);
    if (!ad->street)
        ad->street_prefix = NULL;
    ad->number = col_text(a, st, 4);
    ad->postal_code = col_text(a, st, 5);
    ad->parcel_id = col_text(a, st, 6);
    ad->x = sqlite3_column_double(st, 7);
    ad->y = sqlite3_column_double(st, 8);
    if (!ad->locality || !ad->number)
        return NULL;
    ad->label = gis_place_address_label(a, ad->street_prefix, ad->street, ad->number, ad->postal_code, ad->locality);
    return ad->label ? ad : NULL;
}

enum err_code gis_place_nearest_address(struct gis_store *s, struct arena *a, double x, double y, double max_m,
                                        struct gis_place_address **out, struct err *e)
{
    *out = NULL;
    if (!isfinite(x) || !isfinite(y))
        return err_set(e, ERR_INVALID, "coordinates are not finite");
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(s, ADDRESS_SELECT, e)))
        return e->code;
    /* The R*Tree has no nearest-neighbour search: widen a window until it holds a point within its
     * half-width (anything outside the window is farther than that). */
    enum err_code ec = ERR_OK;
    for (double r = 100; !ec && !*out; r *= 4) {
        if (r > max_m)
            r = max_m;
        double box[4] = {x - r, y - r, x + r, y + r};
        sqlite3_reset(st);
        bind_bbox(st, box);
        long best_id = 0;
        double best = INFINITY;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            double d = hypot(sqlite3_column_double(st, 7) - x, sqlite3_column_double(st, 8) - y);
            long id = sqlite3_column_int64(st, 0);
            if (d < best || (d == best && id < best_id))
                best = d, best_id = id;
        }
        if (rc != SQLITE_DONE) {
            ec = step_err(s, e);
            break;
        }
        if (best <= r) {
            sqlite3_reset(st);
            double pt[4] = {x - best, y - best, x + best, y + best};
            bind_bbox(st, pt);
            while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                if (sqlite3_column_int64(st, 0) == best_id) {
                    *out = address_from_row(a, st);
                    if (!*out)
                        ec = err_set(e, ERR_INTERNAL, "out of memory");
                    else
                        (*out)->distance_m = best;
                    break;
                }
            if (!*out && !ec)
                ec = err_set(e, ERR_INTERNAL, "nearest address vanished");
        }
        if (r >= max_m)
            break;
    }
    gis_store_release(st);
    if (!ec && !*out)
        ec = err_set(e, ERR_NOT_FOUND, "no address within %.0f m", max_m);
    return ec;
}

/* Natural order of house numbers: "2" < "10" < "10a" < "10b". */
static int number_cmp(const char *a, const char *b)
{
    long na = strtol(a, NULL, 10), nb = strtol(b, NULL, 10);
    if (na != nb)
        return na < nb ? -1 : 1;
    return strcmp(a, b);
}

static int address_cmp(const void *pa, const void *pb)
{
    const struct gis_place_address *a = pa, *b = pb;
    int c = strcmp(a->street ? a->street : "", b->street ? b->street : "");
    if (c)
        return c;
    c = number_cmp(a->number, b->number);
    return c ? c : (a->id < b->id ? -1 : a->id > b->id);
}

enum err_code gis_place_parcel_addresses(struct gis_store *s, struct arena *a, const struct gis_parcel *p, int max,
                                         struct gis_place_address **out, int *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    if (!p->wkb || max <= 0)
        return ERR_OK;
    struct gis_geos *t = gis_geos_get(e);
    if (!t)
        return e->code;
    GEOSGeometry *g = gis_geos_read(t, p->wkb, p->wkb_len, e);
    if (!g)
        return e->code;
    const GEOSPreparedGeometry *prep = GEOSPrepare_r(t->ctx, g);
    sqlite3_stmt *st;
    enum err_code ec = prep ? ERR_OK : err_set(e, ERR_INTERNAL, "GEOS cannot prepare the parcel");
    if (!ec && (st = gis_store_cached(s, ADDRESS_SELECT, e))) {
        bind_bbox(st, p->bbox);
        int cap = 0, rc;
        while (!ec && *n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *pid = (const char *)sqlite3_column_text(st, 6);
            bool on = pid && !strcmp(pid, p->parcel_id);
            if (!on) {
                GEOSGeometry *pt =
                    GEOSGeom_createPointFromXY_r(t->ctx, sqlite3_column_double(st, 7), sqlite3_column_double(st, 8));
                on = pt && GEOSPreparedIntersects_r(t->ctx, prep, pt) == 1;
                if (pt)
                    GEOSGeom_destroy_r(t->ctx, pt);
                /* A point in the parcel that names another parcel belongs to that one. */
                on = on && !pid;
            }
            if (!on)
                continue;
            struct gis_place_address *ad = address_from_row(a, st);
            *out = grow(a, *out, *n, &cap, sizeof **out);
            if (!ad || !*out) {
                ec = err_set(e, ERR_INTERNAL, "out of memory");
                break;
            }
            (*out)[(*n)++] = *ad;
        }
        if (!ec && rc != SQLITE_DONE && rc != SQLITE_ROW)
            ec = step_err(s, e);
        gis_store_release(st);
    } else if (!ec) {
        ec = e->code;
    }
    if (prep)
        GEOSPreparedGeom_destroy_r(t->ctx, prep);
    GEOSGeom_destroy_r(t->ctx, g);
    if (!ec && *n > 1)
        qsort(*out, (size_t)*n, sizeof **out, address_cmp);
    return ec;
}

/* ---- the gmina's area ---- */

static enum err_code point_in_table(struct gis_store *s, struct gis_geos *t, const char *sql, double x, double y,
                                    bool *inside, struct err *e)
{
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(s, sql, e)))
        return e->code;
    sqlite3_bind_double(st, 1, x);
    sqlite3_bind_double(st, 2, y);
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(t->ctx, x, y);
    int rc;
    while (pt && !*inside && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const void *wkb = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        GEOSGeometry *g = wkb && n > 0 ? GEOSWKBReader_read_r(t->ctx, t->reader, wkb, (size_t)n) : NULL;
        if (g) {
            *inside = GEOSIntersects_r(t->ctx, g, pt) == 1;
            GEOSGeom_destroy_r(t->ctx, g);
        }
    }
    if (pt)
        GEOSGeom_destroy_r(t->ctx, pt);
    gis_store_release(st);
    return ERR_OK;
}

enum err_code gis_place_in_gmina(struct gis_store *s, double x, double y, bool *inside, struct err *e)
{
    *inside = false;
    if (!isfinite(x) || !isfinite(y))
        return ERR_OK;
    struct gis_geos *t = gis_geos_get(e);
    if (!t)
        return e->code;
    /* The territory is the store's gmina_boundary (set by `odra demo` or `odra boundary`, never by an
     * import), so importing a plan of another place cannot make that place part of the gmina. */
    return point_in_table(s, t,
                          "SELECT AsBinary(geom) FROM gmina_boundary WHERE MbrMinX(geom) <= ?1 AND MbrMaxX(geom) >= ?1 "
                          "AND MbrMinY(geom) <= ?2 AND MbrMaxY(geom) >= ?2",
                          x, y, inside, e);
}

/* ---- geometry output ---- */

struct xy_transform {
    enum gis_crs to;
    bool swap;
    struct err err;
};

static int xy_transform_cb(double *x, double *y, void *user)
{
    struct xy_transform *tr = user;
    if (tr->to != GIS_CRS_2180) {
        double xy[2] = {*x, *y};
        if (gis_crs_transform(GIS_CRS_2180, tr->to, xy, 1, &tr->err) != ERR_OK)
            return 0;
        *x = xy[0];
        *y = xy[1];
    }
    if (tr->swap) {
        double tmp = *x;
        *x = *y;
        *y = tmp;
    }
    return 1;
}

/* Reads wkb and returns it in crs, with the axes swapped when swap is set. */
static GEOSGeometry *geom_in_crs(struct gis_geos *t, const unsigned char *wkb, size_t len, enum gis_crs crs, bool swap,
                                 struct err *e)
{
    if (crs == GIS_CRS_NONE) {
        err_set(e, ERR_INVALID, "unsupported CRS");
        return NULL;
    }
    GEOSGeometry *g = gis_geos_read(t, wkb, len, e);
    if (!g || (crs == GIS_CRS_2180 && !swap))
        return g;
    struct xy_transform tr = {.to = crs, .swap = swap};
    GEOSGeometry *out = GEOSGeom_transformXY_r(t->ctx, g, xy_transform_cb, &tr);
    GEOSGeom_destroy_r(t->ctx, g);
    if (!out) {
        if (tr.err.code)
            err_set(e, tr.err.code, "%s", tr.err.msg);
        else
            err_set(e, ERR_INTERNAL, "GEOS cannot transform a geometry: %s", t->msg);
    }
    return out;
}

static bool crs_is_degrees(enum gis_crs c)
{
    return c == GIS_CRS_CRS84 || c == GIS_CRS_4326;
}

static json_t *coords_json(GEOSContextHandle_t ctx, const GEOSCoordSequence *cs, double scale, bool single)
{
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(ctx, cs, &n))
        return NULL;
    json_t *arr = json_array();
    for (unsigned i = 0; i < n; i++) {
        double x = 0, y = 0;
        GEOSCoordSeq_getXY_r(ctx, cs, i, &x, &y);
        json_t *pos = json_pack("[f,f]", round(x * scale) / scale, round(y * scale) / scale);
        if (single) {
            json_decref(arr);
            return pos;
        }
        json_array_append_new(arr, pos);
    }
    return arr;
}

static json_t *polygon_json(GEOSContextHandle_t ctx, const GEOSGeometry *g, double scale)
{
    json_t *rings = json_array();
    const GEOSGeometry *ext = GEOSGetExteriorRing_r(ctx, g);
    if (ext && !GEOSisEmpty_r(ctx, g))
        json_array_append_new(rings, coords_json(ctx, GEOSGeom_getCoordSeq_r(ctx, ext), scale, false));
    int nin = GEOSGetNumInteriorRings_r(ctx, g);
    for (int i = 0; i < nin; i++)
        json_array_append_new(
            rings, coords_json(ctx, GEOSGeom_getCoordSeq_r(ctx, GEOSGetInteriorRingN_r(ctx, g, i)), scale, false));
    return rings;
}

static json_t *geometry_json(GEOSContextHandle_t ctx, const GEOSGeometry *g, double scale)
{
    int type = GEOSGeomTypeId_r(ctx, g);
    switch (type) {
    case GEOS_POINT:
        return json_pack("{s:s, s:o}", "type", "Point", "coordinates",
                         GEOSisEmpty_r(ctx, g) ? json_array()
                                               : coords_json(ctx, GEOSGeom_getCoordSeq_r(ctx, g), scale, true));
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
        return json_pack("{s:s, s:o}", "type", "LineString", "coordinates",
                         coords_json(ctx, GEOSGeom_getCoordSeq_r(ctx, g), scale, false));
    case GEOS_POLYGON: return json_pack("{s:s, s:o}", "type", "Polygon", "coordinates", polygon_json(ctx, g, scale));
    case GEOS_MULTIPOINT:
    case GEOS_MULTILINESTRING:
    case GEOS_MULTIPOLYGON: {
        json_t *parts = json_array();
        int n = GEOSGetNumGeometries_r(ctx, g);
        for (int i = 0; i < n; i++) {
            const GEOSGeometry *part = GEOSGetGeometryN_r(ctx, g, i);
            json_t *pj = type == GEOS_MULTIPOLYGON
                             ? polygon_json(ctx, part, scale)
                             : coords_json(ctx, GEOSGeom_getCoordSeq_r(ctx, part), scale, type == GEOS_MULTIPOINT);
            json_array_append_new(parts, pj);
        }
        static const char *const names[] = {[GEOS_MULTIPOINT] = "MultiPoint",
                                            [GEOS_MULTILINESTRING] = "MultiLineString",
                                            [GEOS_MULTIPOLYGON] = "MultiPolygon"};
        return json_pack("{s:s, s:o}", "type", names[type], "coordinates", parts);
    }
    default: {
        json_t *geoms = json_array();
        int n = GEOSGetNumGeometries_r(ctx, g);
        for (int i = 0; i < n; i++)
            json_array_append_new(geoms, geometry_json(ctx, GEOSGetGeometryN_r(ctx, g, i), scale));
        return json_pack("{s:s, s:o}", "type", "GeometryCollection", "geometries", geoms);
    }
    }
}

json_t *gis_place_geojson(const unsigned char *wkb, size_t len, enum gis_crs crs, struct err *e)
{
    struct gis_geos *t = gis_geos_get(e);
    if (!t)
        return NULL;
    bool swap = crs != GIS_CRS_CRS84 && gis_crs_north_first(crs);
    GEOSGeometry *g = geom_in_crs(t, wkb, len, crs, swap, e);
    if (!g)
        return NULL;
    json_t *j = geometry_json(t->ctx, g, crs_is_degrees(crs) ? 1e8 : 1e3);
    GEOSGeom_destroy_r(t->ctx, g);
    if (!j)
        err_set(e, ERR_INTERNAL, "out of memory building GeoJSON");
    return j;
}

/* A one-part multipolygon as its polygon (ULDK writes POLYGON for an ordinary parcel); owned by g. */
static const GEOSGeometry *single_part(GEOSContextHandle_t ctx, const GEOSGeometry *g)
{
    if (GEOSGeomTypeId_r(ctx, g) == GEOS_MULTIPOLYGON && GEOSGetNumGeometries_r(ctx, g) == 1)
        return GEOSGetGeometryN_r(ctx, g, 0);
    return g;
}

/* The geometry in crs as ULDK writes it (CRS84 as EPSG:4326, which *crs becomes), on the thread's GEOS
 * context *t; NULL with the error. */
static GEOSGeometry *geom_for_uldk(const unsigned char *wkb, size_t len, enum gis_crs *crs, struct gis_geos **t,
                                   struct err *e)
{
    if (*crs == GIS_CRS_CRS84)
        *crs = GIS_CRS_4326;
    if (!(*t = gis_geos_get(e)))
        return NULL;
    return geom_in_crs(*t, wkb, len, *crs, false, e);
}

char *gis_place_ewkt(struct arena *a, const unsigned char *wkb, size_t len, enum gis_crs crs, struct err *e)
{
    struct gis_geos *t;
    GEOSGeometry *g = geom_for_uldk(wkb, len, &crs, &t, e);
    if (!g)
        return NULL;
    GEOSWKTWriter *w = GEOSWKTWriter_create_r(t->ctx);
    char *out = NULL;
    if (w) {
        GEOSWKTWriter_setTrim_r(t->ctx, w, 1);
        GEOSWKTWriter_setRoundingPrecision_r(t->ctx, w, crs_is_degrees(crs) ? 9 : 4);
        GEOSWKTWriter_setOutputDimension_r(t->ctx, w, 2);
        char *wkt = GEOSWKTWriter_write_r(t->ctx, w, single_part(t->ctx, g));
        if (wkt) {
            /* GEOS writes "POLYGON ((x y, ...))"; ULDK and PostGIS write "POLYGON((x y,...))". */
            size_t n = strlen(wkt);
            char *compact = arena_alloc(a, n + 16);
            if (compact) {
                int o = snprintf(compact, 16, "SRID=%d;", gis_crs_epsg(crs));
                for (size_t i = 0; i < n; i++) {
                    if (wkt[i] == ' ' && i + 1 < n && wkt[i + 1] == '(')
                        continue;
                    if (wkt[i] == ' ' && i > 0 && wkt[i - 1] == ',')
                        continue;
                    compact[o++] = wkt[i];
                }
                compact[o] = 0;
                out = compact;
            }
            GEOSFree_r(t->ctx, wkt);
        }
        GEOSWKTWriter_destroy_r(t->ctx, w);
    }
    GEOSGeom_destroy_r(t->ctx, g);
    if (!out)
        err_set(e, ERR_INTERNAL, "GEOS cannot write WKT: %s", t->msg);
    return out;
}

char *gis_place_ewkb_hex(struct arena *a, const unsigned char *wkb, size_t len, enum gis_crs crs, struct err *e)
{
    struct gis_geos *t;
    GEOSGeometry *g = geom_for_uldk(wkb, len, &crs, &t, e);
    if (!g)
        return NULL;
    char *out = NULL;
    GEOSWKBWriter *w = GEOSWKBWriter_create_r(t->ctx);
    if (w) {
        GEOSGeometry *part = GEOSGeom_clone_r(t->ctx, single_part(t->ctx, g));
        if (part) {
            GEOSSetSRID_r(t->ctx, part, gis_crs_epsg(crs));
            GEOSWKBWriter_setByteOrder_r(t->ctx, w, GEOS_WKB_NDR);
            GEOSWKBWriter_setIncludeSRID_r(t->ctx, w, 1);
            GEOSWKBWriter_setOutputDimension_r(t->ctx, w, 2);
            size_t n = 0;
            unsigned char *hex = GEOSWKBWriter_writeHEX_r(t->ctx, w, part, &n);
            if (hex) {
                out = arena_strndup(a, (const char *)hex, n);
                GEOSFree_r(t->ctx, hex);
            }
            GEOSGeom_destroy_r(t->ctx, part);
        }
        GEOSWKBWriter_destroy_r(t->ctx, w);
    }
    GEOSGeom_destroy_r(t->ctx, g);
    if (!out)
        err_set(e, ERR_INTERNAL, "GEOS cannot write WKB: %s", t->msg);
    return out;
}

enum err_code gis_place_extent(const unsigned char *wkb, size_t len, enum gis_crs crs, double out[4], struct err *e)
{
    struct gis_geos *t = gis_geos_get(e);
    if (!t)
        return e->code;
    GEOSGeometry *g = geom_in_crs(t, wkb, len, crs == GIS_CRS_CRS84 ? GIS_CRS_4326 : crs, false, e);
    if (!g)
        return e->code;
    GEOSGeom_getXMin_r(t->ctx, g, &out[0]);
    GEOSGeom_getYMin_r(t->ctx, g, &out[1]);
    GEOSGeom_getXMax_r(t->ctx, g, &out[2]);
    GEOSGeom_getYMax_r(t->ctx, g, &out[3]);
    GEOSGeom_destroy_r(t->ctx, g);
    return ERR_OK;
}
