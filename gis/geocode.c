/* The address index and the forgiving search over it.
 *
 * The index groups address points into places: one per street, and one per village for the addresses
 * without a street. Each place has name words (the street's, or the village's) and locality words, all
 * folded (lower case, no diacritics, no ul./al./pl./os.). A vocabulary of every distinct word lists the
 * places that use it. A query is folded the same way; each query word is compared with the whole
 * vocabulary (exact, prefix, or one edit for words of four or more letters), the places of matching words
 * become candidates, candidates are scored by how well their words and the query's cover each other, and
 * the best places' address points are ranked by house number and postal code. */
#include "gis/geocode.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/crs.h"
#include "gis/places.h"
#include "gis/store_sql.h"
#include "util/arena.h"
#include "util/text.h"

#define WORD_MAX 64

/* Match qualities of a query word against an index word; 0 is no match. A typo in the first letter
 * ranks below one further in ("pakowa" is nearer "parkowa" than "łąkowa"): people rarely mistype the
 * first letter. */
enum { Q_NONE = 0, Q_TYPO_FIRST = 1, Q_TYPO = 2, Q_PREFIX = 3, Q_EXACT = 4 };
static const double quality_score[] = {0, 0.7, 0.75, 0.8, 1.0};

struct place {
    int first, count;  /* address range in g->addrs, in natural house-number order */
    int word0, nwords; /* word ids in g->place_words: the name words first, then the locality's */
    int nname;
};

struct vocab_word {
    const char *w;
    unsigned len;
    int post0, npost; /* places in g->postings */
};

struct gis_geocoder {
    struct arena *arena; /* every string */
    struct gis_geocode_addr *addrs;
    const char **numkey; /* per address: the folded house number ("12a") */
    size_t naddrs;
    struct place *places;
    int nplaces;
    int *place_words;
    int nplace_words;
    struct vocab_word *vocab;
    int nvocab;
    int *postings;
    long long fingerprint[4];
    struct gis_geocoder *retired; /* an older index this one replaced, freed with it */
};

/* Words that carry no meaning for the search: street-type prefixes and "nr"/"m." (flat). */
static bool stop_word(const char *w)
{
    static const char *const stop[] = {"ul",    "ulica", "al",      "aleja",   "aleje", "alei", "pl", "plac",
                                       "placu", "os",    "osiedle", "osiedla", "nr",    "m",    NULL};
    for (int i = 0; stop[i]; i++)
        if (!strcmp(w, stop[i]))
            return true;
    return false;
}

static void geocoder_free_one(struct gis_geocoder *g);

/* ---- building ---- */

static const char *FINGERPRINT_SQL = "SELECT (SELECT max(id) FROM addresses), (SELECT max(id) FROM streets), "
                                     "(SELECT max(id) FROM localities), (SELECT max(id) FROM imports)";

static void fingerprint(struct gis_store *s, long long fp[4])
{
    sqlite3_stmt *st;
    struct err e = {0};
    memset(fp, 0, 4 * sizeof fp[0]);
    if (gis_store_prepare(s, FINGERPRINT_SQL, &st, &e))
        return;
    if (sqlite3_step(st) == SQLITE_ROW)
        for (int i = 0; i < 4; i++)
            fp[i] = sqlite3_column_int64(st, i);
    sqlite3_finalize(st);
}

bool gis_geocoder_stale(const struct gis_geocoder *g, struct gis_store *s)
{
    long long fp[4];
    fingerprint(s, fp);
    return memcmp(fp, g->fingerprint, sizeof fp) != 0;
}

/* A word occurrence while building: sorted by text to give vocabulary ids. */
struct occurrence {
    const char *w;
    int place, slot;
};

struct builder {
    struct gis_geocoder *g;
    size_t addr_cap;
    int place_cap, words_cap;
    struct occurrence *occ;
    int nocc, occ_cap;
};

static bool grow(void **arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *na = realloc(*arr, ncap * size);
    if (!na)
        return false;
    *arr = na;
    *cap = ncap;
    return true;
}

static bool grow_int(void **arr, int n, int *cap, size_t size)
{
    size_t c = (size_t)*cap;
    bool ok = grow(arr, (size_t)n, &c, size);
    *cap = (int)c;
    return ok;
}

/* Adds the folded words of text to place p (skipping stop words and repeats). Returns false on OOM. */
static bool place_add_words(struct builder *b, int p, const char *text)
{
    struct gis_geocoder *g = b->g;
    char folded[512];
    text_fold(text, folded, sizeof folded);
    struct place *pl = &g->places[p];
    for (char *save = NULL, *w = strtok_r(folded, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (stop_word(w) || strlen(w) >= WORD_MAX)
            continue;
        bool dup = false; /* this place's words are the tail of the occurrence list */
        for (int i = b->nocc - 1; i >= 0 && b->occ[i].place == p && !dup; i--)
            dup = !strcmp(b->occ[i].w, w);
        if (dup)
            continue;
        const char *copy = arena_strdup(g->arena, w);
        if (!copy || !grow_int((void **)&b->occ, b->nocc, &b->occ_cap, sizeof *b->occ) ||
            !grow_int((void **)&g->place_words, g->nplace_words, &b->words_cap, sizeof *g->place_words))
            return false;
        b->occ[b->nocc++] = (struct occurrence){copy, p, pl->nwords};
        g->place_words[g->nplace_words++] = -1; /* the vocabulary id, set once words are sorted */
        pl->nwords++;
    }
    return true;
}

static long leading_int(const char *s)
{
    long v = 0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9' && digits < 9; s++, digits++)
        v = v * 10 + (*s - '0');
    return digits ? v : -1;
}

static int addr_num_cmp(const void *pa, const void *pb)
{
    const struct gis_geocode_addr *a = pa, *b = pb;
    long na = leading_int(a->number), nb = leading_int(b->number);
    if (na != nb)
        return na < nb ? -1 : 1;
    int c = strcmp(a->number, b->number);
    return c ? c : (a->id < b->id ? -1 : a->id > b->id);
}

static int occ_cmp(const void *pa, const void *pb)
{
    const struct occurrence *a = pa, *b = pb;
    int c = strcmp(a->w, b->w);
    return c ? c : a->place - b->place;
}

/* Closes the current place: sorts its addresses and records its locality words. */
static bool place_close(struct builder *b, int p, const char *locality, bool village)
{
    struct gis_geocoder *g = b->g;
    struct place *pl = &g->places[p];
    qsort(g->addrs + pl->first, (size_t)pl->count, sizeof *g->addrs, addr_num_cmp);
    pl->nname = pl->nwords;
    if (!village && !place_add_words(b, p, locality))
        return false;
    return true;
}

static enum err_code build_vocabulary(struct builder *b, struct err *e)
{
    struct gis_geocoder *g = b->g;
    if (b->nocc)
        qsort(b->occ, (size_t)b->nocc, sizeof *b->occ, occ_cmp);
    g->vocab = calloc((size_t)b->nocc + 1, sizeof *g->vocab);
    g->postings = calloc((size_t)b->nocc + 1, sizeof *g->postings);
    if (!g->vocab || !g->postings)
        return err_set(e, ERR_INTERNAL, "out of memory");
    for (int i = 0; i < b->nocc; i++) {
        struct occurrence *o = &b->occ[i];
        if (!g->nvocab || strcmp(g->vocab[g->nvocab - 1].w, o->w)) {
            g->vocab[g->nvocab] = (struct vocab_word){o->w, (unsigned)strlen(o->w), i, 0};
            g->nvocab++;
        }
        struct vocab_word *v = &g->vocab[g->nvocab - 1];
        g->postings[v->post0 + v->npost++] = o->place;
        g->place_words[g->places[o->place].word0 + o->slot] = g->nvocab - 1;
    }
    return ERR_OK;
}

enum err_code gis_geocoder_new(struct gis_store *s, struct gis_geocoder **out, struct err *e)
{
    *out = NULL;
    struct gis_geocoder *g = calloc(1, sizeof *g);
    if (!g || !(g->arena = arena_new(1 << 16))) {
        free(g);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    fingerprint(s, g->fingerprint);
    struct builder b = {.g = g};
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT a.id, a.locality_id, coalesce(a.street_id, 0), l.name, s.prefix, s.name, a.number, "
                          "coalesce(a.postal_code, l.postal_code), a.parcel_id, X(a.geom), Y(a.geom) "
                          "FROM addresses a JOIN localities l ON l.id = a.locality_id "
                          "LEFT JOIN streets s ON s.id = a.street_id "
                          "WHERE a.geom IS NOT NULL ORDER BY a.locality_id, coalesce(a.street_id, 0), a.id",
                          &st, e)) {
        gis_geocoder_free(g);
        return e->code;
    }
    long cur_loc = -1, cur_street = -1;
    const char *cur_locality = NULL;
    enum err_code ec = ERR_OK;
    int rc;
    while (!ec && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        long loc = sqlite3_column_int64(st, 1), street = sqlite3_column_int64(st, 2);
        const char *locality = (const char *)sqlite3_column_text(st, 3);
        const char *prefix = (const char *)sqlite3_column_text(st, 4);
        const char *sname = (const char *)sqlite3_column_text(st, 5);
        const char *number = (const char *)sqlite3_column_text(st, 6);
        const char *postal = (const char *)sqlite3_column_text(st, 7);
        const char *parcel = (const char *)sqlite3_column_text(st, 8);
        if (!locality || !number || !*number)
            continue;
        if (street && !sname)
            street = 0; /* a dangling street reference: treat as a village address */
        if (loc != cur_loc || street != cur_street) {
            if (g->nplaces && !place_close(&b, g->nplaces - 1, cur_locality, cur_street == 0)) {
                ec = err_set(e, ERR_INTERNAL, "out of memory");
                break;
            }
            if (!grow_int((void **)&g->places, g->nplaces, &b.place_cap, sizeof *g->places)) {
                ec = err_set(e, ERR_INTERNAL, "out of memory");
                break;
            }
            struct place *pl = &g->places[g->nplaces++];
            *pl = (struct place){.first = (int)g->naddrs, .word0 = g->nplace_words};
            cur_loc = loc;
            cur_street = street;
            cur_locality = arena_strdup(g->arena, locality);
            if (!cur_locality || !place_add_words(&b, g->nplaces - 1, street ? sname : locality)) {
                ec = err_set(e, ERR_INTERNAL, "out of memory");
                break;
            }
        }
        if (!grow((void **)&g->addrs, g->naddrs, &b.addr_cap, sizeof *g->addrs)) {
            ec = err_set(e, ERR_INTERNAL, "out of memory");
            break;
        }
        struct gis_geocode_addr *ad = &g->addrs[g->naddrs++];
        memset(ad, 0, sizeof *ad);
        ad->id = sqlite3_column_int64(st, 0);
        ad->locality = cur_locality;
        ad->street_prefix = street && prefix && *prefix ? arena_strdup(g->arena, prefix) : NULL;
        ad->street = street ? arena_strdup(g->arena, sname) : NULL;
        ad->number = arena_strdup(g->arena, number);
        ad->postal_code = postal && *postal ? arena_strdup(g->arena, postal) : NULL;
        ad->parcel_id = parcel && *parcel ? arena_strdup(g->arena, parcel) : NULL;
        ad->x = sqlite3_column_double(st, 9);
        ad->y = sqlite3_column_double(st, 10);
        ad->label =
            gis_place_address_label(g->arena, ad->street_prefix, ad->street, ad->number, ad->postal_code, ad->locality);
        if (!ad->number || !ad->label)
            ec = err_set(e, ERR_INTERNAL, "out of memory");
        g->places[g->nplaces - 1].count++;
    }
    if (!ec && rc != SQLITE_DONE)
        ec = err_set(e, ERR_IO, "%s: %s", gis_store_path(s), sqlite3_errmsg(gis_store_db(s)));
    sqlite3_finalize(st);
    if (!ec && g->nplaces && !place_close(&b, g->nplaces - 1, cur_locality, cur_street == 0))
        ec = err_set(e, ERR_INTERNAL, "out of memory");
    if (!ec)
        ec = build_vocabulary(&b, e);
    free(b.occ);
    /* House-number keys and CRS84 positions. */
    if (!ec && g->naddrs) {
        g->numkey = calloc(g->naddrs, sizeof *g->numkey);
        double *xy = malloc(g->naddrs * 2 * sizeof *xy);
        if (!g->numkey || !xy)
            ec = err_set(e, ERR_INTERNAL, "out of memory");
        for (size_t i = 0; !ec && i < g->naddrs; i++) {
            char key[WORD_MAX];
            size_t k = 0;
            for (const char *c = g->addrs[i].number; *c && k + 1 < sizeof key; c++)
                if (*c != ' ')
                    key[k++] = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
            key[k] = 0;
            g->numkey[i] = arena_strdup(g->arena, key);
            xy[2 * i] = g->addrs[i].x;
            xy[2 * i + 1] = g->addrs[i].y;
        }
        if (!ec && gis_crs_transform(GIS_CRS_2180, GIS_CRS_CRS84, xy, g->naddrs, e) == ERR_OK) {
            for (size_t i = 0; i < g->naddrs; i++) {
                g->addrs[i].lon = xy[2 * i];
                g->addrs[i].lat = xy[2 * i + 1];
            }
        } else if (!ec) {
            ec = e->code;
        }
        free(xy);
    }
    if (ec) {
        gis_geocoder_free(g);
        return ec;
    }
    *out = g;
    return ERR_OK;
}

void gis_geocoder_retire(struct gis_geocoder *g, struct gis_geocoder *old)
{
    struct gis_geocoder **tail = &g->retired;
    while (*tail)
        tail = &(*tail)->retired;
    *tail = old;
}

void gis_geocoder_free(struct gis_geocoder *g)
{
    while (g) {
        struct gis_geocoder *next = g->retired;
        g->retired = NULL;
        geocoder_free_one(g);
        g = next;
    }
}

static void geocoder_free_one(struct gis_geocoder *g)
{
    arena_free(g->arena);
    free(g->addrs);
    free(g->numkey);
    free(g->places);
    free(g->place_words);
    free(g->vocab);
    free(g->postings);
    free(g);
}

size_t gis_geocoder_size(const struct gis_geocoder *g)
{
    return g ? g->naddrs : 0;
}

/* ---- searching ---- */

/* True when a and b (a != b) are one edit apart: a substitution, insertion, deletion or the swap of two
 * neighbours (optimal string alignment distance 1). */
static bool one_edit(const char *a, size_t la, const char *b, size_t lb)
{
    if (la > lb + 1 || lb > la + 1)
        return false;
    size_t i = 0;
    while (i < la && i < lb && a[i] == b[i])
        i++;
    if (la == lb) {
        if (i == la)
            return false; /* equal */
        if (!memcmp(a + i + 1, b + i + 1, la - i - 1))
            return true; /* substitution */
        return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] && !memcmp(a + i + 2, b + i + 2, la - i - 2);
    }
    if (la + 1 == lb)
        return !memcmp(a + i, b + i + 1, la - i); /* a lacks one letter */
    return !memcmp(a + i + 1, b + i, lb - i);     /* a has one extra */
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

struct qword {
    char w[WORD_MAX];
    unsigned len;
    bool numeric; /* starts with a digit: a house number or a numeric street word ("3 Maja") */
};

struct query {
    struct qword words[GIS_GEOCODE_MAX_WORDS];
    int n;
    char postal[8]; /* "69-100", or empty */
};

/* Finds a postal code NN-NNN in raw text, records it and blanks it out. */
static void take_postal(char *s, struct query *q)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + 6 <= n; i++) {
        if (is_digit(s[i]) && is_digit(s[i + 1]) && s[i + 2] == '-' && is_digit(s[i + 3]) && is_digit(s[i + 4]) &&
            is_digit(s[i + 5]) && (i == 0 || !is_digit(s[i - 1])) && (i + 6 == n || !is_digit(s[i + 6]))) {
            if (!q->postal[0]) {
                memcpy(q->postal, s + i, 6);
                q->postal[6] = 0;
            }
            memset(s + i, ' ', 6);
        }
    }
}

static enum err_code parse_query(const char *text, struct query *q, struct err *e)
{
    memset(q, 0, sizeof *q);
    size_t len = strlen(text);
    if (len > GIS_GEOCODE_MAX_QUERY)
        return err_param(e, "q", "q is longer than %d bytes", GIS_GEOCODE_MAX_QUERY);
    if (!text_utf8_valid(text, len))
        return err_param(e, "q", "q is not valid UTF-8 text");
    char raw[GIS_GEOCODE_MAX_QUERY + 1], folded[2 * GIS_GEOCODE_MAX_QUERY + 1];
    memcpy(raw, text, len + 1);
    take_postal(raw, q);
    text_fold(raw, folded, sizeof folded);
    if (!folded[0] && !q->postal[0])
        return err_param(e, "q", "q has no letters or digits");
    int total = 0;
    for (char *save = NULL, *w = strtok_r(folded, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (++total > 2 * GIS_GEOCODE_MAX_WORDS)
            return err_param(e, "q", "q has more than %d words", GIS_GEOCODE_MAX_WORDS);
        size_t wl = strlen(w);
        if (stop_word(w) || wl >= WORD_MAX)
            continue;
        bool all_digits = true;
        for (size_t i = 0; i < wl; i++)
            all_digits = all_digits && is_digit(w[i]);
        if (all_digits && wl == 5 && !q->postal[0]) { /* a postal code written without its dash */
            snprintf(q->postal, sizeof q->postal, "%.2s-%.3s", w, w + 2);
            continue;
        }
        /* "12 a" is the house number 12a. */
        if (q->n && wl == 1 && !is_digit(w[0])) {
            struct qword *prev = &q->words[q->n - 1];
            if (prev->numeric && is_digit(prev->w[prev->len - 1]) && prev->len + 1 < WORD_MAX) {
                prev->w[prev->len++] = w[0];
                prev->w[prev->len] = 0;
                continue;
            }
        }
        if (q->n == GIS_GEOCODE_MAX_WORDS)
            return err_param(e, "q", "q has more than %d words", GIS_GEOCODE_MAX_WORDS);
        struct qword *qw = &q->words[q->n++];
        memcpy(qw->w, w, wl + 1);
        qw->len = (unsigned)wl;
        qw->numeric = is_digit(w[0]);
    }
    return ERR_OK;
}

/* Quality of query word qw against vocabulary word v. */
static int match_quality(const struct qword *qw, const struct vocab_word *v)
{
    if (qw->len == v->len && !memcmp(qw->w, v->w, v->len))
        return Q_EXACT;
    if (qw->numeric)
        return Q_NONE;
    if (qw->len >= 3 && qw->len < v->len && !memcmp(qw->w, v->w, qw->len))
        return Q_PREFIX;
    if (qw->len >= 4 && v->len >= 4 && one_edit(qw->w, qw->len, v->w, v->len))
        return qw->w[0] == v->w[0] ? Q_TYPO : Q_TYPO_FIRST;
    return Q_NONE;
}

/* A candidate place and how the query covers it. */
struct cand {
    int place;
    double score;   /* of the words alone */
    double max;     /* the best score possible for this query and place */
    int house;      /* index of the query word used as the house number, or -1 */
    bool all_words; /* every query word matched */
    int extra;      /* numeric words neither in the name nor the house number */
};

static int cand_cmp(const void *pa, const void *pb)
{
    const struct cand *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->place - b->place;
}

/* Scores place p for query q, with qual[w * nvocab + v] the quality of query word w for vocabulary v. */
static bool score_place(const struct gis_geocoder *g, const struct query *q, const unsigned char *qual, int p,
                        struct cand *c)
{
    const struct place *pl = &g->places[p];
    const int *words = g->place_words + pl->word0;
    bool name_hit[WORD_MAX] = {0}, word_used[WORD_MAX] = {0};
    int nwords = pl->nwords < WORD_MAX ? pl->nwords : WORD_MAX;
    double sum = 0, max = 0;
    int unmatched = 0, prefix_only = 0;
    *c = (struct cand){.place = p, .house = -1};
    for (int i = 0; i < q->n; i++) {
        const unsigned char *qi = qual + (size_t)i * (size_t)g->nvocab;
        int best = Q_NONE, best_k = -1;
        for (int k = 0; k < nwords; k++) {
            if (q->words[i].numeric && word_used[k])
                continue;
            int qv = qi[words[k]];
            if (qv > best)
                best = qv, best_k = k;
        }
        if (q->words[i].numeric && best == Q_NONE) {
            if (c->house < 0)
                c->house = i;
            else
                c->extra++;
            continue;
        }
        max += 1;
        if (best == Q_NONE) {
            unmatched++;
            continue;
        }
        sum += quality_score[best];
        prefix_only += best == Q_PREFIX;
        word_used[best_k] = true;
        if (best_k < pl->nname)
            name_hit[best_k] = true;
    }
    int name_missed = 0, name_matched = 0;
    for (int k = 0; k < pl->nname && k < WORD_MAX; k++)
        name_hit[k] ? name_matched++ : name_missed++;
    if (!name_matched)
        return false; /* the town alone does not pick a street */
    c->score = sum - 1.0 * unmatched - 0.35 * name_missed - 0.1 * c->extra;
    c->max = max;
    /* One more number is tolerated: "12a/3" is house 12a, flat 3. */
    c->all_words = unmatched == 0 && c->extra <= 1 && prefix_only == 0;
    return true;
}

/* House-number score: exact 1, the same number with another letter 0.6, near numbers less. */
static double number_score(const char *want, const char *have, bool *exact)
{
    *exact = !strcmp(want, have);
    if (*exact)
        return 1.0;
    long a = leading_int(want), b = leading_int(have);
    if (a < 0 || b < 0)
        return 0;
    if (a == b)
        return 0.6;
    long d = labs(a - b);
    return 0.5 - 0.02 * (double)(d < 20 ? d : 20);
}

struct ranked {
    struct gis_geocode_hit hit;
    double total;
    int cand, addr;
};

static bool ranked_before(const struct ranked *a, const struct ranked *b)
{
    if (a->total != b->total)
        return a->total > b->total;
    if (a->cand != b->cand)
        return a->cand < b->cand;
    return a->addr < b->addr;
}

enum err_code gis_geocode_search(const struct gis_geocoder *g, const char *text, struct gis_geocode_hit *hits, int max,
                                 int *n, struct err *e)
{
    *n = 0;
    struct query q;
    if (parse_query(text ? text : "", &q, e))
        return e->code;
    if (!q.n || max <= 0 || !g->nvocab)
        return ERR_OK;
    unsigned char *qual = calloc((size_t)q.n * (size_t)g->nvocab, 1);
    int *seen = calloc((size_t)g->nplaces, sizeof *seen);
    struct cand *cands = NULL;
    struct ranked *top = calloc((size_t)max, sizeof *top);
    enum err_code ec = ERR_OK;
    int ncand = 0, cand_cap = 0, ntop = 0;
    if (!qual || !seen || !top) {
        ec = err_set(e, ERR_INTERNAL, "out of memory");
        goto done;
    }
    /* Every query word against the vocabulary; the places of matching words become candidates. */
    for (int i = 0; i < q.n; i++) {
        for (int v = 0; v < g->nvocab; v++) {
            int qv = match_quality(&q.words[i], &g->vocab[v]);
            if (!qv)
                continue;
            qual[(size_t)i * (size_t)g->nvocab + (size_t)v] = (unsigned char)qv;
            const struct vocab_word *vw = &g->vocab[v];
            for (int k = 0; k < vw->npost; k++) {
                int p = g->postings[vw->post0 + k];
                if (seen[p])
                    continue;
                seen[p] = 1;
                if (!grow_int((void **)&cands, ncand, &cand_cap, sizeof *cands)) {
                    ec = err_set(e, ERR_INTERNAL, "out of memory");
                    goto done;
                }
                cands[ncand++].place = p;
            }
        }
    }
    /* Score the candidates once every word's qualities are known; drop those whose name no word hit. */
    int kept = 0;
    for (int c = 0; c < ncand; c++)
        if (score_place(g, &q, qual, cands[c].place, &cands[kept]))
            kept++;
    ncand = kept;
    if (ncand > 1)
        qsort(cands, (size_t)ncand, sizeof *cands, cand_cmp);
    /* Addresses of the best places, ranked by house number and postal code. */
    for (int c = 0; c < ncand && c < 64 && cands[c].score >= cands[0].score - 2.0; c++) {
        const struct cand *cd = &cands[c];
        const struct place *pl = &g->places[cd->place];
        const char *want = cd->house >= 0 ? q.words[cd->house].w : NULL;
        double max_total = cd->max + (want ? 1.0 : 0) + (q.postal[0] ? 0.3 : 0);
        for (int k = 0; k < pl->count; k++) {
            int ai = pl->first + k;
            const struct gis_geocode_addr *ad = &g->addrs[ai];
            bool exact = false;
            double total = cd->score + (want ? number_score(want, g->numkey[ai], &exact) : 0);
            bool postal_ok = true;
            if (q.postal[0] && ad->postal_code) {
                postal_ok = !strcmp(q.postal, ad->postal_code);
                total += postal_ok ? 0.3 : -0.3;
            }
            struct ranked r = {.total = total, .cand = c, .addr = ai};
            r.hit.addr = ad;
            r.hit.score = max_total > 0 ? fmax(0, fmin(1, total / max_total)) : 0;
            r.hit.complete = cd->all_words && (!want || exact) && postal_ok;
            if (ntop == max && !ranked_before(&r, &top[ntop - 1]))
                continue;
            int pos = ntop < max ? ntop++ : max - 1;
            while (pos > 0 && ranked_before(&r, &top[pos - 1])) {
                top[pos] = top[pos - 1];
                pos--;
            }
            top[pos] = r;
        }
    }
    for (int i = 0; i < ntop; i++)
        hits[i] = top[i].hit;
    *n = ntop;
done:
    free(qual);
    free(seen);
    free(cands);
    free(top);
    return ec;
}
