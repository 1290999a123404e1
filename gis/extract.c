/* Plan extracts (wypis i wyrys): document model, fees, the wypis set with the PDF typesetter (gis/pdf.h),
 * wyrys sheets drawn with the map renderer at the plan's own scale, and issuing with a case number and
 * verification code. */
#include "gis/extract.h"

#include <cairo-pdf.h>
#include <glib.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "gis/drawing.h"
#include "gis/pdf.h"
#include "gis/utf8.h"
#include "gis/render.h"
#include "gis/wkb.h"
#include "util/embed.h"
#include "util/log.h"

/* The fee rates of DOMAIN.md (opłata skarbowa). They are set by statute, not by the gmina, so they live
 * in this one table rather than in odra.ini; change them here when the statute changes. */
const struct gis_extract_rates gis_extract_fee_defaults = {
    .wypis_pln = 30,
    .wypis_pages_limit = 5,
    .wypis_long_pln = 50,
    .wyrys_sheet_pln = 20,
    .wyrys_cap_pln = 200,
};

struct gis_extract_fee gis_extract_fees(const struct gis_extract_rates *r, int wypis_pages, int wyrys_sheets)
{
    if (!r)
        r = &gis_extract_fee_defaults;
    struct gis_extract_fee f = {.wypis_pages = wypis_pages > 0 ? wypis_pages : 0,
                                .wyrys_sheets = wyrys_sheets > 0 ? wyrys_sheets : 0};
    if (f.wypis_pages > 0)
        f.wypis_pln = f.wypis_pages <= r->wypis_pages_limit ? r->wypis_pln : r->wypis_long_pln;
    if (f.wyrys_sheets > 0) {
        long w = (long)f.wyrys_sheets * r->wyrys_sheet_pln;
        f.wyrys_pln = (int)(w > r->wyrys_cap_pln ? r->wyrys_cap_pln : w);
    }
    f.total_pln = f.wypis_pln + f.wyrys_pln;
    return f;
}

/* ---- small text helpers ---- */

static bool cp_dropped(unsigned c)
{
    return c < 0x20 || (c >= 0x7F && c < 0xA0) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
           c == 0x200E || c == 0x200F || c == 0x061C || c == 0xFEFF || (c >= 0x200B && c <= 0x200D) || c == 0x2028 ||
           c == 0x2029 || (c >= 0xFFF9 && c <= 0xFFFB);
}

char *gis_extract_clean(struct arena *a, const char *s, int max)
{
    if (!s)
        return arena_strdup(a, "");
    size_t len = strlen(s);
    char *out = arena_alloc(a, len + 8);
    if (!out)
        return NULL;
    size_t o = 0;
    int count = 0;
    bool space = false, cut = false;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned c;
        int n = gis_utf8_decode(p + i, len - i, &c);
        if (!n) {
            i++;
            continue;
        }
        bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 || c == 0x3000;
        if (ws) {
            space = o > 0;
            i += (size_t)n;
            continue;
        }
        if (cp_dropped(c)) {
            i += (size_t)n;
            continue;
        }
        if (count + (space ? 1 : 0) + 1 > max) {
            cut = true;
            break;
        }
        if (space) {
            out[o++] = ' ';
            count++;
            space = false;
        }
        memcpy(out + o, p + i, (size_t)n);
        o += (size_t)n;
        count++;
        i += (size_t)n;
    }
    if (cut) {
        /* drop a trailing space, then mark the cut with an ellipsis (replacing the last character) */
        while (o > 0 && out[o - 1] == ' ')
            o--;
        while (o > 0 && (out[o - 1] & 0xC0) == 0x80)
            o--;
        if (o > 0)
            o--;
        memcpy(out + o, "\xE2\x80\xA6", 3);
        o += 3;
    }
    out[o] = 0;
    return out;
}

char *gis_extract_case_number(struct arena *a, const char *format, long seq, int year)
{
    struct buf b = {0};
    for (const char *f = format && *format ? format : "{seq}/{year}"; *f;) {
        if (!strncmp(f, "{seq}", 5)) {
            buf_printf(&b, "%ld", seq);
            f += 5;
        } else if (!strncmp(f, "{year}", 6)) {
            buf_printf(&b, "%d", year);
            f += 6;
        } else {
            buf_append(&b, f, 1);
            f++;
        }
    }
    char *r = b.failed || !b.data ? NULL : arena_strdup(a, b.data);
    buf_free(&b);
    return r;
}

enum err_code gis_extract_random(unsigned char *out, size_t n, struct err *e)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(out + got, n - got, 0);
        if (r < 0)
            return err_set(e, ERR_INTERNAL, "getrandom failed");
        got += (size_t)r;
    }
    return ERR_OK;
}

enum err_code gis_extract_new_code(char out[GIS_EXTRACT_CODE_LEN + 1], struct err *e)
{
    unsigned char r[15]; /* 120 bits = 24 base32 characters */
    if (gis_extract_random(r, sizeof r, e))
        return e->code;
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    for (int i = 0; i < GIS_EXTRACT_CODE_LEN; i++) {
        int bit = i * 5, byte = bit / 8, off = bit % 8;
        unsigned v = ((unsigned)r[byte] << 8) | (byte + 1 < (int)sizeof r ? r[byte + 1] : 0);
        out[i] = alphabet[(v >> (11 - off)) & 31];
    }
    out[GIS_EXTRACT_CODE_LEN] = 0;
    return ERR_OK;
}

void gis_extract_sha256(const void *data, size_t len, char out[65])
{
    gchar *h = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
    snprintf(out, 65, "%s", h ? h : "");
    g_free(h);
}

/* "1 234" with a no-break space as thousands separator. */
static char *fmt_int(struct arena *a, long v)
{
    char digits[32], out[64];
    snprintf(digits, sizeof digits, "%ld", v < 0 ? -v : v);
    size_t n = strlen(digits), o = 0;
    if (v < 0)
        out[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            memcpy(out + o, "\xC2\xA0", 2);
            o += 2;
        }
        out[o++] = digits[i];
    }
    out[o] = 0;
    return arena_strdup(a, out);
}

/* A decimal with a comma: "12,34". */
static char *fmt_dec(struct arena *a, double v, int decimals)
{
    char *s = arena_printf(a, "%.*f", decimals, v);
    for (char *c = s; c && *c; c++)
        if (*c == '.')
            *c = ',';
    return s;
}

static const char *const months_gen[] = {"stycznia", "lutego",   "marca",    "kwietnia",     "maja",      "czerwca",
                                         "lipca",    "sierpnia", "września", "października", "listopada", "grudnia"};

/* "14 maja 2026 r." from "2026-05-14"; the input itself when it is not such a date. */
static const char *fmt_date(struct arena *a, const char *iso)
{
    int y, mo, d;
    if (!iso || sscanf(iso, "%4d-%2d-%2d", &y, &mo, &d) != 3 || mo < 1 || mo > 12)
        return iso ? iso : "";
    return arena_printf(a, "%d %s %d r.", d, months_gen[mo - 1], y);
}

/* ---- the document model ---- */

static int plan_find(struct gis_extract_doc *d, long id)
{
    for (int i = 0; i < d->nplans; i++)
        if (d->plans[i].ref.id == id)
            return i;
    return -1;
}

/* Largest-remainder rounding of n values so that the results sum to total (units of 1). */
static void round_to_total(const double *v, long *out, int n, long total)
{
    long sum = 0;
    double frac[64];
    for (int i = 0; i < n; i++) {
        double x = v[i] > 0 ? v[i] : 0;
        out[i] = (long)floor(x);
        frac[i] = x - (double)out[i];
        sum += out[i];
    }
    while (sum < total) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (frac[i] >= 0 && (best < 0 || frac[i] > frac[best]))
                best = i;
        if (best < 0)
            break;
        out[best]++;
        frac[best] = -1;
        sum++;
    }
    while (sum > total) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (out[i] > 0 && (best < 0 || frac[i] < frac[best] || frac[best] < 0))
                best = i;
        if (best < 0)
            break;
        out[best]--;
        frac[best] = 2;
        sum--;
    }
}

/* The rows of parcel pi in plan pl: the plan's zones of the kind, rounded to sum to the parcel's area
 * together with the remainder outside the plan, then the plan's overlays. */
static enum err_code parcel_plan_rows(struct arena *a, struct gis_extract_parcel *xp, int pi, long plan_id,
                                      enum gis_zone_kind kind, struct gis_extract_parcel_plan *out, struct err *e)
{
    const struct gis_parcel_zones *z = &xp->z;
    int nz = 0, nov = 0;
    for (int i = 0; i < z->nzones; i++)
        if (z->plans[z->zones[i].plan].id == plan_id) {
            if (z->zones[i].kind == kind)
                nz++;
            else if (z->zones[i].kind == GIS_ZONE_OVERLAY)
                nov++;
        }
    if (nz > 62)
        nz = 62;
    out->parcel = pi;
    out->rows = arena_alloc(a, sizeof *out->rows * (size_t)(nz + nov + 1));
    if (!out->rows)
        return err_set(e, ERR_INTERNAL, "out of memory");
    double areas[64], shares[64];
    long ra[64], rs[64];
    int k = 0;
    double covered = 0, base = xp->p->geom_area_m2 > 0 ? xp->p->geom_area_m2 : 1;
    for (int i = 0; i < z->nzones && k < nz; i++) {
        const struct gis_zone_hit *h = &z->zones[i];
        if (h->kind != kind || z->plans[h->plan].id != plan_id)
            continue;
        out->rows[k].hit = h;
        areas[k] = h->area_m2;
        covered += h->area_m2;
        k++;
    }
    double rest = xp->p->geom_area_m2 - covered;
    bool has_rest = rest >= 0.5;
    areas[k] = has_rest ? rest : 0;
    round_to_total(areas, ra, k + 1, xp->area_rounded_m2);
    for (int i = 0; i <= k; i++)
        shares[i] = 10000.0 * areas[i] / base;
    round_to_total(shares, rs, k + 1, 10000);
    for (int i = 0; i < k; i++) {
        out->rows[i].area_m2 = ra[i];
        out->rows[i].share_pct = rs[i] / 100.0;
    }
    out->outside_m2 = has_rest ? ra[k] : 0;
    int n = k;
    for (int i = 0; i < z->nzones; i++) {
        const struct gis_zone_hit *h = &z->zones[i];
        if (h->kind != GIS_ZONE_OVERLAY || z->plans[h->plan].id != plan_id)
            continue;
        out->rows[n].hit = h;
        out->rows[n].area_m2 = lround(h->area_m2);
        out->rows[n].share_pct = round(h->share_pct * 100) / 100;
        n++;
    }
    out->nrows = n;
    return ERR_OK;
}

static bool id_in(const long *ids, int n, long id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

static const char *col_text(struct arena *a, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? arena_strdup(a, (const char *)t) : NULL;
}

static enum err_code plan_provisions(struct gis_store *s, struct arena *a, struct gis_extract_doc *d,
                                     struct gis_extract_plan *pl, struct err *e)
{
    /* the zones and overlays of this plan that touch a requested parcel */
    long zones[512], overlays[256];
    int nzones = 0, noverlays = 0;
    for (int i = 0; i < pl->nparcels; i++) {
        const struct gis_parcel_zones *z = &d->parcels[pl->parcels[i].parcel].z;
        for (int k = 0; k < z->nzones; k++) {
            const struct gis_zone_hit *h = &z->zones[k];
            if (z->plans[h->plan].id != pl->ref.id)
                continue;
            if (h->kind == GIS_ZONE_MPZP && nzones < 512 && !id_in(zones, nzones, h->id))
                zones[nzones++] = h->id;
            else if (h->kind == GIS_ZONE_OVERLAY && noverlays < 256 && !id_in(overlays, noverlays, h->id))
                overlays[noverlays++] = h->id;
        }
    }
    sqlite3_stmt *st;
    if (gis_store_prepare(
            s,
            "SELECT p.scope, p.zone_id, p.overlay_id, p.heading, p.body, z.label, z.name, o.label, o.name "
            "FROM provisions p LEFT JOIN plan_zones z ON z.id = p.zone_id "
            "LEFT JOIN overlays o ON o.id = p.overlay_id WHERE p.plan_id = ? "
            "ORDER BY CASE p.scope WHEN 'general' THEN 0 WHEN 'zone' THEN 1 ELSE 2 END, "
            "z.label, o.label, p.ord, p.id",
            &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, pl->ref.id);
    int cap = 64, n = 0;
    struct gis_extract_provision *pv = arena_alloc(a, sizeof *pv * (size_t)cap);
    int rc;
    while (pv && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *scope = (const char *)sqlite3_column_text(st, 0);
        bool zone = scope && !strcmp(scope, "zone"), ov = scope && !strcmp(scope, "overlay");
        if (zone && !id_in(zones, nzones, sqlite3_column_int64(st, 1)))
            continue;
        if (ov && !id_in(overlays, noverlays, sqlite3_column_int64(st, 2)))
            continue;
        if (n == cap) {
            struct gis_extract_provision *np = arena_alloc(a, sizeof *np * (size_t)cap * 2);
            if (!np) {
                pv = NULL;
                break;
            }
            memcpy(np, pv, sizeof *pv * (size_t)n);
            pv = np;
            cap *= 2;
        }
        pv[n] = (struct gis_extract_provision){
            .scope = zone ? "zone"
                     : ov ? "overlay"
                          : "general",
            .owner = zone ? col_text(a, st, 5)
                     : ov ? col_text(a, st, 7)
                          : NULL,
            .owner_name = zone ? col_text(a, st, 6)
                          : ov ? col_text(a, st, 8)
                               : NULL,
            .heading = col_text(a, st, 3),
            .body = col_text(a, st, 4),
        };
        if (!pv[n].body)
            pv[n].body = "";
        n++;
    }
    sqlite3_finalize(st);
    if (!pv)
        return err_set(e, ERR_INTERNAL, "out of memory");
    pl->provisions = pv;
    pl->nprovisions = n;
    return ERR_OK;
}

enum err_code gis_extract_build(struct gis_store *s, struct arena *a, const char *const *ids, int n,
                                struct gis_extract_doc **out, struct err *e)
{
    *out = NULL;
    if (n <= 0)
        return err_at(e, ERR_UNPROCESSABLE, "parcels", "give at least one parcel identifier (at most %d)",
                      GIS_EXTRACT_MAX_PARCELS);
    if (n > GIS_EXTRACT_MAX_PARCELS)
        return err_at(e, ERR_UNPROCESSABLE, "parcels", "%d parcels requested; one extract covers at most %d parcels", n,
                      GIS_EXTRACT_MAX_PARCELS);
    struct gis_extract_doc *d = arena_alloc(a, sizeof *d);
    if (!d || !(d->parcels = arena_alloc(a, sizeof *d->parcels * (size_t)n)) ||
        !(d->plans = arena_alloc(a, sizeof *d->plans * (size_t)(n * 4 + 2))))
        return err_set(e, ERR_INTERNAL, "out of memory");
    for (int i = 0; i < n; i++) {
        const char *id = ids[i];
        if (!id || !gis_place_parcel_id_valid(id))
            return err_at(e, ERR_UNPROCESSABLE, "parcels",
                          "parcels[%d] '%.64s' is not a parcel identifier like 080505_4.0001.123/4", i, id ? id : "");
        bool dup = false;
        for (int k = 0; k < d->nparcels && !dup; k++)
            dup = !strcmp(d->parcels[k].p->parcel_id, id);
        if (dup)
            continue;
        struct gis_extract_parcel *xp = &d->parcels[d->nparcels];
        struct err le = {0};
        enum err_code c = gis_place_parcel_by_id(s, a, id, &xp->p, &le);
        if (c == ERR_NOT_FOUND)
            return err_at(e, ERR_UNPROCESSABLE, "parcels", "parcel %.64s does not exist in this gmina", id);
        if (c) {
            *e = le;
            return c;
        }
        if (gis_place_zones(s, a, xp->p, &xp->z, e))
            return e->code;
        xp->area_rounded_m2 = lround(xp->p->geom_area_m2);
        xp->status = GIS_EXTRACT_NONE;
        for (int k = 0; k < xp->z.nzones; k++) {
            if (xp->z.zones[k].kind == GIS_ZONE_MPZP)
                xp->status = GIS_EXTRACT_MPZP;
            else if (xp->z.zones[k].kind == GIS_ZONE_POG && xp->status == GIS_EXTRACT_NONE)
                xp->status = GIS_EXTRACT_POG;
        }
        d->nparcels++;
    }
    /* plans: MPZP first (in order of use), then the POG */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < d->nparcels; i++) {
            struct gis_extract_parcel *xp = &d->parcels[i];
            if (xp->status != (pass == 0 ? GIS_EXTRACT_MPZP : GIS_EXTRACT_POG))
                continue;
            enum gis_zone_kind kind = pass == 0 ? GIS_ZONE_MPZP : GIS_ZONE_POG;
            for (int k = 0; k < xp->z.nplans; k++) {
                const struct gis_plan_ref *ref = &xp->z.plans[k];
                bool used = false;
                for (int j = 0; j < xp->z.nzones && !used; j++)
                    used = xp->z.zones[j].kind == kind && xp->z.zones[j].plan == k;
                if (!used)
                    continue;
                int pi = plan_find(d, ref->id);
                if (pi < 0) {
                    pi = d->nplans++;
                    d->plans[pi].ref = *ref;
                    d->plans[pi].parcels = arena_alloc(a, sizeof *d->plans[pi].parcels * (size_t)d->nparcels);
                    if (!d->plans[pi].parcels)
                        return err_set(e, ERR_INTERNAL, "out of memory");
                }
                struct gis_extract_plan *pl = &d->plans[pi];
                if (parcel_plan_rows(a, xp, i, ref->id, kind, &pl->parcels[pl->nparcels], e))
                    return e->code;
                pl->nparcels++;
            }
        }
    }
    for (int i = 0; i < d->nplans; i++)
        if (plan_provisions(s, a, d, &d->plans[i], e))
            return e->code;
    *out = d;
    return ERR_OK;
}

/* ---- typesetting (wypis) ---- */

#define F_BODY  "DejaVu Serif 10"
#define F_SMALL "DejaVu Serif 8"
#define F_HEAD  "DejaVu Sans Bold 11"
#define F_SUB   "DejaVu Sans Bold 9.5"
#define F_TABLE "DejaVu Sans 8"
#define F_TITLE "DejaVu Sans Bold 15"

/* Running header (pages after the first) and footer of the current page. */
static void page_furniture(struct gis_pdf *t)
{
    if (!t->cr)
        return;
    cairo_t *cr = t->cr;
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_set_line_width(cr, 0.4);
    const struct gis_extract_meta *m = ((const struct gis_extract_meta *)t->user);
    if (t->page > 1) {
        PangoLayout *l =
            gis_pdf_layout(t, gis_pdf_markup(t, "%s — wypis, znak sprawy %s", m->organ ? m->organ : "", m->case_number),
                           "DejaVu Sans 7.5", gis_pdf_text_width(t), PANGO_ALIGN_LEFT, false);
        gis_pdf_show(t, l, t->pg.left, t->pg.top - 22);
        g_object_unref(l);
        cairo_move_to(cr, t->pg.left, t->pg.top - 8);
        cairo_line_to(cr, t->pg.w - t->pg.right, t->pg.top - 8);
        cairo_stroke(cr);
    }
    cairo_move_to(cr, t->pg.left, gis_pdf_bottom(t) + 12);
    cairo_line_to(cr, t->pg.w - t->pg.right, gis_pdf_bottom(t) + 12);
    cairo_stroke(cr);
    PangoLayout *l = gis_pdf_layout(t, gis_pdf_markup(t, "Znak sprawy: %s", m->case_number), "DejaVu Sans 7.5",
                                    gis_pdf_text_width(t), PANGO_ALIGN_LEFT, false);
    gis_pdf_show(t, l, t->pg.left, gis_pdf_bottom(t) + 16);
    g_object_unref(l);
    l = gis_pdf_layout(t, gis_pdf_markup(t, "Strona %d z %d", t->page, t->total), "DejaVu Sans 7.5",
                       gis_pdf_text_width(t), PANGO_ALIGN_RIGHT, false);
    gis_pdf_show(t, l, t->pg.left, gis_pdf_bottom(t) + 16);
    g_object_unref(l);
    cairo_restore(cr);
}

static const char *param_label(const char *name)
{
    static const struct {
        const char *k, *v;
    } map[] = {
        {"max_height_m", "maks. wysokość zabudowy [m]"},
        {"max_storeys", "maks. liczba kondygnacji nadziemnych"},
        {"min_intensity", "min. intensywność zabudowy"},
        {"max_intensity", "maks. intensywność zabudowy"},
        {"max_coverage_pct", "maks. udział powierzchni zabudowy [%]"},
        {"min_bio_pct", "min. udział powierzchni biologicznie czynnej [%]"},
        {"min_parcel_area_m2", "min. powierzchnia nowo wydzielanej działki [m²]"},
        {"roof", "dachy"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i].k, name))
            return map[i].v;
    return name;
}

static const char *params_text(struct gis_pdf *t, const struct gis_zone_hit *h)
{
    struct buf b = {0};
    for (int i = 0; i < h->nparams; i++) {
        const struct gis_zone_param *p = &h->params[i];
        if (i)
            buf_puts(&b, "; ");
        if (p->text)
            buf_printf(&b, "%s: %s", param_label(p->name), p->text);
        else
            buf_printf(&b, "%s: %s", param_label(p->name),
                       fmt_dec(t->a, p->value, fabs(p->value - round(p->value)) < 1e-9 ? 0 : 2));
    }
    const char *r = b.data ? arena_strdup(t->a, b.data) : "";
    buf_free(&b);
    return r;
}

static const char *parcel_line(struct gis_pdf *t, const struct gis_parcel *p)
{
    return gis_pdf_markup(t, "Działka nr %s, obręb %s %s (identyfikator %s), powierzchnia %s m²", p->number,
                          p->obreb_number, p->obreb_name ? p->obreb_name : "", p->parcel_id,
                          fmt_int(t->a, lround(p->geom_area_m2)));
}

/* Polish plural of a counted noun: 1 strona, 2-4 strony (but 12-14 stron), 5 stron. */
static const char *pl_plural(int n, const char *one, const char *few, const char *many)
{
    if (n == 1)
        return one;
    return n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14) ? few : many;
}

/* The whole wypis; run once to count pages (t->cr NULL) and once to draw. */
static void wypis(struct gis_pdf *t, const struct gis_extract_doc *d, const struct gis_extract_fee *fee)
{
    const struct gis_extract_meta *m = ((const struct gis_extract_meta *)t->user);
    struct arena *a = t->a;
    gis_pdf_start(t);
    gis_pdf_tag_begin(t, "Document");

    /* letterhead: organ left, place and date right */
    PangoLayout *l = gis_pdf_layout(t, gis_pdf_markup(t, "<b>%s</b>", m->organ ? m->organ : ""), "DejaVu Sans 10",
                                    gis_pdf_text_width(t) * 0.55, PANGO_ALIGN_LEFT, false);
    PangoLayout *r = gis_pdf_layout(t, gis_pdf_markup(t, "%s, dnia %s", m->place ? m->place : "", fmt_date(a, m->date)),
                                    F_BODY, gis_pdf_text_width(t) * 0.45, PANGO_ALIGN_RIGHT, false);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, l, t->pg.left, t->y);
    gis_pdf_tag_end(t);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, r, t->pg.left + gis_pdf_text_width(t) * 0.55, t->y);
    gis_pdf_tag_end(t);
    t->y += fmax(gis_pdf_height(l), gis_pdf_height(r)) + 6;
    g_object_unref(l);
    g_object_unref(r);
    gis_pdf_para(t, gis_pdf_markup(t, "Znak sprawy: <b>%s</b>", m->case_number), F_BODY, PANGO_ALIGN_LEFT, false, 0,
                 "P", 18);

    bool any_mpzp = false, any_pog = false;
    for (int i = 0; i < d->nparcels; i++) {
        any_mpzp |= d->parcels[i].status == GIS_EXTRACT_MPZP;
        any_pog |= d->parcels[i].status == GIS_EXTRACT_POG;
    }
    const char *kind = any_mpzp && any_pog
                           ? "z miejscowego planu zagospodarowania przestrzennego i planu ogólnego gminy"
                       : any_mpzp ? "z miejscowego planu zagospodarowania przestrzennego"
                       : any_pog  ? "z planu ogólnego gminy"
                                  : "z planów zagospodarowania przestrzennego";
    /* no wyrys when no plan applies to any of the parcels (no sheet to draw) */
    bool with_wyrys = m->wyrys && fee->wyrys_sheets > 0;
    gis_pdf_para(t, gis_pdf_markup(t, "%s", with_wyrys ? "WYPIS I WYRYS" : "WYPIS"), F_TITLE, PANGO_ALIGN_CENTER, false,
                 0, "H1", 2);
    gis_pdf_para(t, gis_pdf_markup(t, "%s", kind), "DejaVu Sans 10.5", PANGO_ALIGN_CENTER, false, 0, "P", 16);

    struct buf b = {0};
    buf_printf(&b, "Na podstawie %s, na wniosek <b>%s</b>",
               gis_pdf_markup(t, "%s", m->legal_basis ? m->legal_basis : ""),
               gis_pdf_markup(t, "%s", m->applicant_name ? m->applicant_name : ""));
    if (m->applicant_address && *m->applicant_address)
        buf_printf(&b, " (adres: %s)", gis_pdf_markup(t, "%s", m->applicant_address));
    if (m->purpose && *m->purpose)
        buf_printf(&b, ", złożony w celu: %s,", gis_pdf_markup(t, "%s", m->purpose));
    buf_printf(&b, " wydaje się %s dla działek ewidencyjnych położonych w gminie %s, wymienionych poniżej.",
               with_wyrys ? "wypis i wyrys" : "wypis", gis_pdf_markup(t, "%s", m->gmina ? m->gmina : ""));
    gis_pdf_para(t, b.data ? b.data : "", F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 10);
    buf_free(&b);

    gis_pdf_heading(t, "1. Działki objęte wypisem", F_HEAD, "H2", 6);
    static const double w1[] = {0.07, 0.33, 0.30, 0.13, 0.17};
    static const PangoAlignment a1[] = {PANGO_ALIGN_RIGHT, PANGO_ALIGN_LEFT, PANGO_ALIGN_LEFT, PANGO_ALIGN_LEFT,
                                        PANGO_ALIGN_RIGHT};
    static const char *const h1[] = {"Lp.", "Identyfikator działki", "Obręb ewidencyjny", "Nr działki",
                                     "Powierzchnia [m²]"};
    gis_pdf_table_begin(t, 5, w1, a1, h1, F_TABLE);
    gis_pdf_table_header(t);
    for (int i = 0; i < d->nparcels; i++) {
        const struct gis_parcel *p = d->parcels[i].p;
        const char *c[] = {gis_pdf_markup(t, "%d.", i + 1), gis_pdf_markup(t, "%s", p->parcel_id),
                           gis_pdf_markup(t, "%s %s", p->obreb_number, p->obreb_name ? p->obreb_name : ""),
                           gis_pdf_markup(t, "%s", p->number),
                           gis_pdf_markup(t, "%s", fmt_int(a, d->parcels[i].area_rounded_m2))};
        gis_pdf_table_row(t, c, false);
    }
    gis_pdf_table_end(t, 4);
    gis_pdf_para(
        t,
        "Powierzchnie działek, terenów i stref obliczono z geometrii w układzie PL-1992 (EPSG:2180) i zaokrąglono do "
        "1 m² tak, że powierzchnie terenów sumują się do powierzchni działki; udziały podano z dokładnością do 0,01 %.",
        F_SMALL, PANGO_ALIGN_LEFT, true, 0, "P", 8);

    gis_pdf_heading(t, "2. Przeznaczenie działek w planach", F_HEAD, "H2", 8);
    for (int pi = 0; pi < d->nplans; pi++) {
        const struct gis_extract_plan *pl = &d->plans[pi];
        bool pog = pl->ref.kind && !strcmp(pl->ref.kind, "pog");
        gis_pdf_heading(t, gis_pdf_markup(t, "2.%d. %s", pi + 1, pl->ref.title ? pl->ref.title : ""), F_SUB, "H3", 4);
        struct buf rb = {0};
        buf_printf(&rb, "%s",
                   gis_pdf_markup(t, "%s", pl->ref.resolution ? pl->ref.resolution : "Uchwała (brak danych)"));
        if (pl->ref.publication)
            buf_printf(&rb, ", ogłoszona w %s", gis_pdf_markup(t, "%s", pl->ref.publication));
        buf_puts(&rb, ".");
        if (pl->ref.scale > 0)
            buf_printf(&rb, " Rysunek %s w skali 1:%ld.", pog ? "planu ogólnego" : "planu", pl->ref.scale);
        gis_pdf_para(t, rb.data ? rb.data : "", F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 4);
        buf_free(&rb);
        if (pog)
            gis_pdf_para(
                t,
                "Działki wymienione w tym punkcie nie są objęte miejscowym planem zagospodarowania przestrzennego; "
                "obowiązują dla nich ustalenia planu ogólnego gminy dotyczące stref planistycznych.",
                F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 4);
        for (int k = 0; k < pl->nparcels; k++) {
            const struct gis_extract_parcel_plan *pp = &pl->parcels[k];
            const struct gis_extract_parcel *xp = &d->parcels[pp->parcel];
            t->y += 2;
            gis_pdf_ensure(t, 60);
            gis_pdf_para(t, arena_printf(a, "<b>%s</b>", parcel_line(t, xp->p)), F_BODY, PANGO_ALIGN_LEFT, false, 0,
                         "P", 3);
            static const double w2[] = {0.16, 0.50, 0.18, 0.16};
            static const PangoAlignment a2[] = {PANGO_ALIGN_LEFT, PANGO_ALIGN_LEFT, PANGO_ALIGN_RIGHT,
                                                PANGO_ALIGN_RIGHT};
            const char *h2[] = {pog ? "Strefa" : "Teren", pog ? "Strefa planistyczna" : "Przeznaczenie terenu",
                                "Powierzchnia [m²]", "Udział [%]"};
            gis_pdf_table_begin(t, 4, w2, a2, h2, F_TABLE);
            gis_pdf_table_header(t);
            for (int j = 0; j < pp->nrows; j++) {
                const struct gis_extract_row *row = &pp->rows[j];
                if (row->hit->kind == GIS_ZONE_OVERLAY)
                    continue;
                const char *c[] = {gis_pdf_markup(t, "%s", row->hit->label),
                                   gis_pdf_markup(t, "%s", row->hit->name ? row->hit->name : ""),
                                   gis_pdf_markup(t, "%s", fmt_int(a, row->area_m2)),
                                   gis_pdf_markup(t, "%s", fmt_dec(a, row->share_pct, 2))};
                gis_pdf_table_row(t, c, false);
            }
            if (pp->outside_m2 > 0) {
                long in = 0;
                for (int j = 0; j < pp->nrows; j++)
                    if (pp->rows[j].hit->kind != GIS_ZONE_OVERLAY)
                        in += pp->rows[j].area_m2;
                const char *c[] = {
                    "—", pog ? "poza strefami planu ogólnego" : "poza granicami tego planu",
                    gis_pdf_markup(t, "%s", fmt_int(a, pp->outside_m2)),
                    gis_pdf_markup(
                        t, "%s",
                        fmt_dec(a, xp->area_rounded_m2 > 0 ? 100.0 * (double)pp->outside_m2 / xp->area_rounded_m2 : 0,
                                2))};
                (void)in;
                gis_pdf_table_row(t, c, false);
            }
            const char *tot[] = {"Razem", "", gis_pdf_markup(t, "%s", fmt_int(a, xp->area_rounded_m2)), "100,00"};
            gis_pdf_table_row(t, tot, true);
            gis_pdf_table_end(t, 4);
            for (int j = 0; j < pp->nrows; j++) {
                const struct gis_extract_row *row = &pp->rows[j];
                if (row->hit->kind == GIS_ZONE_OVERLAY)
                    gis_pdf_para(t,
                                 gis_pdf_markup(t, "Działka leży %s w obszarze %s — %s (%s m², %s %%).",
                                                row->area_m2 >= xp->area_rounded_m2 ? "w całości" : "częściowo",
                                                row->hit->label, row->hit->name ? row->hit->name : "",
                                                fmt_int(a, row->area_m2), fmt_dec(a, row->share_pct, 2)),
                                 F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 3);
                else if (pog && row->hit->nparams > 0)
                    gis_pdf_para(
                        t, gis_pdf_markup(t, "Parametry strefy %s: %s.", row->hit->label, params_text(t, row->hit)),
                        F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 3);
            }
        }
    }
    bool none_heading = false;
    for (int i = 0; i < d->nparcels; i++) {
        if (d->parcels[i].status != GIS_EXTRACT_NONE)
            continue;
        if (!none_heading) {
            gis_pdf_heading(t, gis_pdf_markup(t, "2.%d. Działki nieobjęte planami", d->nplans + 1), F_SUB, "H3", 4);
            none_heading = true;
        }
        gis_pdf_para(
            t,
            gis_pdf_markup(
                t,
                "%s: dla działki nie obowiązuje miejscowy plan zagospodarowania przestrzennego ani plan ogólny "
                "gminy; wypis nie zawiera ustaleń planistycznych.",
                parcel_line(t, d->parcels[i].p)),
            F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 4);
    }

    if (d->nplans > 0)
        gis_pdf_heading(t, "3. Treść ustaleń planów", F_HEAD, "H2", 10);
    for (int pi = 0; pi < d->nplans; pi++) {
        const struct gis_extract_plan *pl = &d->plans[pi];
        gis_pdf_heading(t, gis_pdf_markup(t, "3.%d. %s", pi + 1, pl->ref.title ? pl->ref.title : ""), F_SUB, "H3", 4);
        const char *last_scope = NULL, *last_owner = NULL;
        for (int k = 0; k < pl->nprovisions; k++) {
            const struct gis_extract_provision *pv = &pl->provisions[k];
            bool new_scope = !last_scope || strcmp(last_scope, pv->scope);
            bool new_owner = pv->owner && (!last_owner || strcmp(last_owner, pv->owner));
            if (new_scope && !strcmp(pv->scope, "general"))
                gis_pdf_heading(t, "Ustalenia ogólne", "DejaVu Sans Bold 9", "H4", 2);
            if (new_owner || (new_scope && pv->owner)) {
                if (!strcmp(pv->scope, "zone"))
                    gis_pdf_heading(t,
                                    gis_pdf_markup(t, "Ustalenia szczegółowe dla terenu %s — %s", pv->owner,
                                                   pv->owner_name ? pv->owner_name : ""),
                                    "DejaVu Sans Bold 9", "H4", 4);
                else
                    gis_pdf_heading(t,
                                    gis_pdf_markup(t, "Ustalenia dla obszaru %s — %s", pv->owner,
                                                   pv->owner_name ? pv->owner_name : ""),
                                    "DejaVu Sans Bold 9", "H4", 4);
            }
            last_scope = pv->scope;
            last_owner = pv->owner;
            if (pv->heading)
                gis_pdf_para(t, gis_pdf_markup(t, "<b>%s</b>", pv->heading), F_BODY, PANGO_ALIGN_LEFT, false, 0, "P",
                             2);
            gis_pdf_body(t, pv->body, F_BODY, 0);
        }
    }

    gis_pdf_heading(t, gis_pdf_markup(t, "%d. Opłata skarbowa", d->nplans > 0 ? 4 : 3), F_HEAD, "H2", 10);
    const struct gis_extract_rates *rt = m->rates ? m->rates : &gis_extract_fee_defaults;
    static const double w3[] = {0.30, 0.52, 0.18};
    static const PangoAlignment a3[] = {PANGO_ALIGN_LEFT, PANGO_ALIGN_LEFT, PANGO_ALIGN_RIGHT};
    static const char *const h3[] = {"Pozycja", "Stawka", "Kwota [zł]"};
    gis_pdf_table_begin(t, 3, w3, a3, h3, F_TABLE);
    gis_pdf_table_header(t);
    if (m->wypis) {
        const char *c[] = {gis_pdf_markup(t, "Wypis (%d %s)", fee->wypis_pages,
                                          pl_plural(fee->wypis_pages, "strona", "strony", "stron")),
                           gis_pdf_markup(t, "%d zł do %d stron, %d zł powyżej %d stron", rt->wypis_pln,
                                          rt->wypis_pages_limit, rt->wypis_long_pln, rt->wypis_pages_limit),
                           gis_pdf_markup(t, "%s", fmt_dec(a, fee->wypis_pln, 2))};
        gis_pdf_table_row(t, c, false);
    }
    if (m->wyrys && fee->wyrys_sheets > 0) {
        const char *c[] = {
            m->sheet == GIS_EXTRACT_A4
                ? gis_pdf_markup(t, "Wyrys (%d ark. A4)", fee->wyrys_sheets)
                : gis_pdf_markup(t, "Wyrys (%d ark. A3 = %d części A4)", fee->wyrys_sheets / 2, fee->wyrys_sheets),
            gis_pdf_markup(t, "%d zł za każdą rozpoczętą część odpowiadającą formatowi A4, nie więcej niż %d zł",
                           rt->wyrys_sheet_pln, rt->wyrys_cap_pln),
            gis_pdf_markup(t, "%s", fmt_dec(a, fee->wyrys_pln, 2))};
        gis_pdf_table_row(t, c, false);
    }
    const char *tot[] = {"Razem", "", gis_pdf_markup(t, "%s", fmt_dec(a, fee->total_pln, 2))};
    gis_pdf_table_row(t, tot, true);
    gis_pdf_table_end(t, 6);
    if (m->wyrys && fee->wyrys_sheets > 0)
        gis_pdf_para(t,
                     gis_pdf_markup(t, "Integralną częścią wypisu jest wyrys z rysunku planu (%d %s %s).",
                                    fee->wyrys_sheets / gis_extract_sheet_parts(m->sheet),
                                    pl_plural(fee->wyrys_sheets / gis_extract_sheet_parts(m->sheet), "arkusz",
                                              "arkusze", "arkuszy"),
                                    m->sheet == GIS_EXTRACT_A4 ? "A4" : "A3"),
                     F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 4);

    /* signature block */
    gis_pdf_ensure(t, 90);
    t->y += 18;
    gis_pdf_tag_begin(t, "P");
    PangoLayout *sg = gis_pdf_layout(t,
                                     gis_pdf_markup(t, "%s\n\n\n………………………………………\n%s", m->signatory ? m->signatory : "",
                                                    m->signatory_role ? m->signatory_role : ""),
                                     "DejaVu Serif 9", gis_pdf_text_width(t) * 0.45, PANGO_ALIGN_CENTER, false);
    gis_pdf_show(t, sg, t->pg.left + gis_pdf_text_width(t) * 0.55, t->y);
    gis_pdf_tag_end(t);
    PangoLayout *rcpt = gis_pdf_layout(
        t, gis_pdf_markup(t, "<b>Otrzymuje:</b>\n1. %s\n2. a/a", m->applicant_name ? m->applicant_name : ""),
        "DejaVu Serif 8.5", gis_pdf_text_width(t) * 0.5, PANGO_ALIGN_LEFT, false);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, rcpt, t->pg.left, t->y + 10);
    gis_pdf_tag_end(t);
    t->y += fmax(gis_pdf_height(sg), gis_pdf_height(rcpt) + 10) + 14;
    g_object_unref(sg);
    g_object_unref(rcpt);

    if (m->verification_code) {
        double qs = 74;
        gis_pdf_ensure(t, qs + 6);
        const char *url = m->verify_url ? m->verify_url : m->verification_code;
        gis_pdf_tag_begin(t, "Figure");
        gis_pdf_qr(t, url, t->pg.left, t->y, qs);
        gis_pdf_tag_end(t);
        char grouped[GIS_EXTRACT_CODE_LEN + 8];
        size_t o = 0;
        for (int i = 0; m->verification_code[i] && o + 2 < sizeof grouped; i++) {
            if (i && i % 4 == 0)
                grouped[o++] = '-';
            grouped[o++] = m->verification_code[i];
        }
        grouped[o] = 0;
        PangoLayout *v =
            gis_pdf_layout(t,
                           gis_pdf_markup(t,
                                          "<b>Kod weryfikacyjny: %s</b>\nZgodność dokumentu z wydanym oryginałem można "
                                          "sprawdzić pod adresem:\n%s",
                                          grouped, url),
                           "DejaVu Sans 8", gis_pdf_text_width(t) - qs - 8, PANGO_ALIGN_LEFT, false);
        gis_pdf_tag_begin(t, "P");
        gis_pdf_show(t, v, t->pg.left + qs + 8, t->y + 12);
        gis_pdf_tag_end(t);
        g_object_unref(v);
        t->y += qs + 4;
    }
    gis_pdf_finish(t);
}

/* ---- wyrys sheets ---- */

/* The page and the map frame of each sheet format, in points. Frame sizes are whole points so the
 * renderer's pixel grid and the terrain agree exactly: 1 m at 1:S is 1000/S mm = 72000 / (25.4 S) pt.
 * Below the frame: the legend (9 rows), the scale bar and the footer. */
struct layout {
    double pw, ph; /* page */
    double mx, my; /* frame origin */
    int mw, mh;    /* frame size */
};
static const struct layout layouts[] = {
    [GIS_EXTRACT_A4] = {595.276, 841.890, 42, 124, 511, 500},
    [GIS_EXTRACT_A3_LANDSCAPE] = {1190.551, 841.890, 42, 124, 1106, 520},
    [GIS_EXTRACT_A3_PORTRAIT] = {841.890, 1190.551, 42, 124, 757, 850},
};
#define NLAYOUTS ((int)(sizeof layouts / sizeof layouts[0]))
static const struct layout *layout_of(enum gis_extract_sheet f)
{
    return &layouts[(int)f >= 0 && (int)f < NLAYOUTS ? (int)f : 0];
}
#define MAP_X      (L->mx)
#define MAP_Y      (L->my)
#define MAP_W      (L->mw)
#define MAP_H      (L->mh)
#define MAX_SHEETS 256
/* Resolution a raster drawing is warped to for the PDF (dots per inch of the printed sheet). */
#define RASTER_DPI 200.0

bool gis_extract_sheet_parse(const char *s, enum gis_extract_sheet *out)
{
    if (!s)
        return false;
    if (!strcasecmp(s, "A4"))
        *out = GIS_EXTRACT_A4;
    else if (!strcasecmp(s, "A3") || !strcasecmp(s, "A3-landscape"))
        *out = GIS_EXTRACT_A3_LANDSCAPE;
    else if (!strcasecmp(s, "A3-portrait"))
        *out = GIS_EXTRACT_A3_PORTRAIT;
    else
        return false;
    return true;
}

const char *gis_extract_sheet_name(enum gis_extract_sheet f)
{
    return f == GIS_EXTRACT_A3_LANDSCAPE ? "A3-landscape" : f == GIS_EXTRACT_A3_PORTRAIT ? "A3-portrait" : "A4";
}

int gis_extract_sheet_parts(enum gis_extract_sheet f)
{
    return f == GIS_EXTRACT_A4 ? 1 : 2;
}
#define OUTLINE_PT (0.6 * GIS_PDF_MM) /* requested parcels: 0.6 mm, red */

struct sheet {
    double cx, cy; /* centre, EPSG:2180 */
    long scale;
    int plan; /* index into doc->plans */
};

static int parcel_plan(const struct gis_extract_doc *d, int pi)
{
    for (int k = 0; k < d->nplans; k++)
        for (int j = 0; j < d->plans[k].nparcels; j++)
            if (d->plans[k].parcels[j].parcel == pi)
                return k;
    return -1;
}

static double sheet_w_m(const struct layout *L, long scale)
{
    return MAP_W / GIS_PDF_MM / 1000.0 * (double)scale;
}

static double sheet_h_m(const struct layout *L, long scale)
{
    return MAP_H / GIS_PDF_MM / 1000.0 * (double)scale;
}

/* Groups parcels onto sheets: a parcel joins a sheet of the same plan if their common extent, with a
 * margin, still fits the map frame at the plan's scale; a parcel larger than a frame gets a grid. */
static int sheets_make(const struct gis_extract_doc *d, enum gis_extract_sheet f, struct sheet *out, int max)
{
    const struct layout *L = layout_of(f);
    struct cluster {
        double bb[4];
        long scale;
        int plan;
    } cl[MAX_SHEETS];
    int ncl = 0, n = 0;
    for (int i = 0; i < d->nparcels; i++) {
        int pl = parcel_plan(d, i);
        if (pl < 0)
            continue;
        long scale = d->plans[pl].ref.scale > 0 ? d->plans[pl].ref.scale : 1000;
        double w = sheet_w_m(L, scale), h = sheet_h_m(L, scale), margin = 0.08 * fmin(w, h);
        const double *bb = d->parcels[i].p->bbox;
        double bw = bb[2] - bb[0], bh = bb[3] - bb[1];
        if (bw + 2 * margin > w || bh + 2 * margin > h) {
            double sw = w - 2 * margin, shh = h - 2 * margin;
            int nx = (int)ceil(bw / sw), ny = (int)ceil(bh / shh);
            for (int yy = ny - 1; yy >= 0; yy--)
                for (int xx = 0; xx < nx && n < max; xx++)
                    out[n++] = (struct sheet){.cx = bb[0] + bw / 2 + (xx - (nx - 1) / 2.0) * sw,
                                              .cy = bb[1] + bh / 2 + (yy - (ny - 1) / 2.0) * shh,
                                              .scale = scale,
                                              .plan = pl};
            continue;
        }
        bool joined = false;
        for (int k = 0; k < ncl && !joined; k++) {
            if (cl[k].plan != pl)
                continue;
            double u[4] = {fmin(cl[k].bb[0], bb[0]), fmin(cl[k].bb[1], bb[1]), fmax(cl[k].bb[2], bb[2]),
                           fmax(cl[k].bb[3], bb[3])};
            if (u[2] - u[0] + 2 * margin <= w && u[3] - u[1] + 2 * margin <= h) {
                memcpy(cl[k].bb, u, sizeof u);
                joined = true;
            }
        }
        if (!joined && ncl < MAX_SHEETS)
            cl[ncl++] = (struct cluster){{bb[0], bb[1], bb[2], bb[3]}, scale, pl};
    }
    for (int k = 0; k < ncl && n < max; k++)
        out[n++] = (struct sheet){.cx = (cl[k].bb[0] + cl[k].bb[2]) / 2,
                                  .cy = (cl[k].bb[1] + cl[k].bb[3]) / 2,
                                  .scale = cl[k].scale,
                                  .plan = cl[k].plan};
    return n;
}

int gis_extract_sheet_count(const struct gis_extract_doc *doc)
{
    static __thread struct sheet sh[MAX_SHEETS];
    return sheets_make(doc, GIS_EXTRACT_A4, sh, MAX_SHEETS);
}

int gis_extract_sheet_count_fmt(const struct gis_extract_doc *doc, enum gis_extract_sheet f)
{
    static __thread struct sheet sh[MAX_SHEETS];
    return sheets_make(doc, f, sh, MAX_SHEETS);
}

/* Adds the rings of an ISO WKB (multi)polygon to the path, mapping EPSG:2180 to the frame: a walk over
 * the WKB (gis_wkb_walk) that moves to each ring's first point and closes it after its last. */
struct path_ctx {
    cairo_t *cr;
    const double *bbox;
    double sx, sy;
    uint32_t n, i; /* points of the current ring, and how many are drawn */
};

static bool path_part(void *ctx, int kind, uint32_t n, bool shell)
{
    struct path_ctx *pc = ctx;
    (void)shell;
    pc->n = n, pc->i = 0;
    return kind == 3; /* polygons only */
}

static bool path_point(void *ctx, double x, double y)
{
    struct path_ctx *pc = ctx;
    double px = (x - pc->bbox[0]) * pc->sx, py = (pc->bbox[3] - y) * pc->sy;
    if (pc->i++ == 0)
        cairo_move_to(pc->cr, px, py);
    else
        cairo_line_to(pc->cr, px, py);
    if (pc->i == pc->n)
        cairo_close_path(pc->cr);
    return true;
}

static bool wkb_path(cairo_t *cr, const unsigned char *wkb, size_t len, const double bbox[4], double sx, double sy)
{
    static const struct gis_wkb_visitor v = {path_part, path_point};
    struct path_ctx pc = {.cr = cr, .bbox = bbox, .sx = sx, .sy = sy};
    return gis_wkb_walk(wkb, len, &v, &pc);
}

static const struct gis_style_layer *style_layer(const struct gis_style *st, const char *id)
{
    for (int i = 0; st && i < gis_style_layer_count(st); i++)
        if (!strcmp(gis_style_layer_id(gis_style_layer_at(st, i)), id))
            return gis_style_layer_at(st, i);
    return NULL;
}

/* The fill colour a style layer gives a feature with these properties. */
static bool style_fill(const struct gis_style *st, const char *layer, const char *key, const char *val, double zoom,
                       struct arena *a, struct gis_style_color *out)
{
    const struct gis_style_layer *l = style_layer(st, layer);
    if (!l)
        return false;
    const char *keys[] = {key};
    struct gis_style_value vals[] = {{.type = GIS_STYLE_STRING, .s = val}};
    struct gis_style_feature f = {.keys = keys, .vals = vals, .n = 1, .geom_type = 3};
    struct gis_style_ctx ctx = {.zoom = zoom, .f = &f, .a = a};
    *out = gis_style_color(l, GIS_P_FILL_COLOR, &ctx);
    double op = gis_style_number(l, GIS_P_FILL_OPACITY, &ctx);
    if (op > 0 && op < 1)
        out->a *= op;
    return true;
}

struct legend_item {
    int kind; /* 0 fill, 1 requested outline, 2 thin line, 3 dashed boundary */
    struct gis_style_color c;
    const char *text;
};

static int legend_query(struct gis_store *s, struct arena *a, const struct gis_style *st, double zoom,
                        const double bb[4], const char *sql, const char *layer_prefix, bool per_kind,
                        struct legend_item *items, int n, int max)
{
    sqlite3_stmt *q;
    struct err le = {0};
    if (gis_store_prepare(s, sql, &q, &le))
        return n;
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(q, i + 1, bb[i]);
    while (n < max && sqlite3_step(q) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(q, 0);
        const char *name = (const char *)sqlite3_column_text(q, 1);
        const char *label = (const char *)sqlite3_column_text(q, 2);
        if (!key)
            continue;
        struct legend_item it = {.kind = 0};
        const char *layer = per_kind ? arena_printf(a, "%s%s", layer_prefix, key) : layer_prefix;
        if (!style_fill(st, layer, per_kind ? "kind" : "symbol", key, zoom, a, &it.c))
            it.c = (struct gis_style_color){0.8, 0.8, 0.8, 1};
        it.text = arena_printf(a, "%s — %s", per_kind ? (label ? label : key) : key, name ? name : "");
        items[n++] = it;
    }
    sqlite3_finalize(q);
    return n;
}

static void north_arrow(cairo_t *cr, double x, double y)
{
    cairo_save(cr);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_arc(cr, x, y, 15, 0, 2 * M_PI);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, x, y - 12);
    cairo_line_to(cr, x + 6, y + 9);
    cairo_line_to(cr, x, y + 5);
    cairo_close_path(cr);
    cairo_fill(cr);
    cairo_move_to(cr, x, y - 12);
    cairo_line_to(cr, x - 6, y + 9);
    cairo_line_to(cr, x, y + 5);
    cairo_close_path(cr);
    cairo_set_line_width(cr, 0.7);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* Draws wyrys sheet k of n into cr, whose user space is PDF points of the sheet format's page; *raster
 * (may be NULL) is set when the sheet is drawn on the plan's raster drawing. */
static enum err_code draw_sheet(struct gis_pdf *t, struct gis_store *s, const struct gis_extract_doc *d,
                                const struct sheet *sh, int k, int n, bool *raster, struct err *e)
{
    cairo_t *cr = t->cr;
    const struct gis_extract_meta *m = ((const struct gis_extract_meta *)t->user);
    const struct gis_extract_plan *pl = &d->plans[sh->plan];
    const struct layout *L = layout_of(m->sheet);
    bool pog = pl->ref.kind && !strcmp(pl->ref.kind, "pog");
    double wm = sheet_w_m(L, sh->scale), hm = sheet_h_m(L, sh->scale);
    double bbox[4] = {sh->cx - wm / 2, sh->cy - hm / 2, sh->cx + wm / 2, sh->cy + hm / 2};
    double sx = MAP_W / wm, sy = MAP_H / hm;

    gis_pdf_tag_begin(t, "Sect");
    /* title block */
    PangoLayout *l = gis_pdf_layout(t,
                                    gis_pdf_markup(t, "<b>WYRYS</b>\n%s",
                                                   pog ? "z rysunku planu ogólnego gminy"
                                                       : "z rysunku miejscowego planu zagospodarowania przestrzennego"),
                                    "DejaVu Sans 10", 330, PANGO_ALIGN_LEFT, false);
    gis_pdf_tag_begin(t, "H1");
    gis_pdf_show(t, l, MAP_X, 34);
    gis_pdf_tag_end(t);
    double y = 34 + gis_pdf_height(l) + 3;
    g_object_unref(l);
    l = gis_pdf_layout(t,
                       gis_pdf_markup(t, "<b>%s</b>\n%s%s%s", pl->ref.title ? pl->ref.title : "",
                                      pl->ref.resolution ? pl->ref.resolution : "", pl->ref.publication ? ", " : "",
                                      pl->ref.publication ? pl->ref.publication : ""),
                       "DejaVu Sans 7.5", 340, PANGO_ALIGN_LEFT, false);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, l, MAP_X, y);
    gis_pdf_tag_end(t);
    g_object_unref(l);
    l = gis_pdf_layout(t,
                       gis_pdf_markup(t, "%s\nZnak sprawy: <b>%s</b>\nData: %s\nArkusz %d z %d\nSkala <b>1:%ld</b>",
                                      m->organ ? m->organ : "", m->case_number, fmt_date(t->a, m->date), k + 1, n,
                                      sh->scale),
                       "DejaVu Sans 8", MAP_W - 350, PANGO_ALIGN_RIGHT, false);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, l, MAP_X + 350, 34);
    gis_pdf_tag_end(t);
    g_object_unref(l);

    /* the map */
    static const char *const g_mpzp[] = {"landcover", "mpzp",    "mpzp-lines", "overlays",
                                         "buildings", "parcels", "plans",      "streets"};
    static const char *const g_pog[] = {"landcover", "pog", "pog-labels", "buildings", "parcels", "streets"};
    struct gis_render_opts o = {.crs = GIS_CRS_2180,
                                .bbox = {bbox[0], bbox[1], bbox[2], bbox[3]},
                                .width = MAP_W,
                                .height = MAP_H,
                                .scale = 0.75, /* style pixels are 1/96 in, PDF units 1/72 in */
                                .groups = pog ? g_pog : g_mpzp,
                                .ngroups = pog ? 6 : 8,
                                .labels_inside = true};
    struct gis_render_stats stats = {0};
    /* A plan with a raster drawing: the drawing is the base, with the parcels (lines and numbers) drawn
     * over it; zone labels and symbols are those of the drawing itself. The base is the scan's own pixels
     * under the frame, placed by a matrix (warped only where that cannot be done): rw x rh is the frame's
     * raster at RASTER_DPI, and base_m maps it to the base's pixels. */
    cairo_surface_t *base = NULL;
    cairo_matrix_t base_m;
    int rw = (int)lround(MAP_W / 72.0 * RASTER_DPI), rh = (int)lround(MAP_H / 72.0 * RASTER_DPI);
    if (!pog) {
        struct gis_drawing dr;
        struct err de = {0};
        if (gis_drawing_get(s, pl->ref.id, &dr, &de) == ERR_OK) {
            enum err_code wr = gis_drawing_window(&dr, bbox, rw, rh, &base, &base_m, &de);
            if (wr == ERR_UNPROCESSABLE) {
                err_clear(&de);
                wr = gis_drawing_warp(&dr, bbox, rw, rh, &base, &de);
                if (!wr)
                    cairo_matrix_init_scale(&base_m, cairo_image_surface_get_width(base) / (double)rw,
                                            cairo_image_surface_get_height(base) / (double)rh);
            }
            if (!wr) {
                /* the PDF embeds it as JPEG: a scan compresses far better so than with Flate */
                struct buf jpg = {0};
                if (cairo_surface_get_type(cairo_get_target(cr)) == CAIRO_SURFACE_TYPE_PDF &&
                    gis_render_encode(base, GIS_RENDER_JPEG, 85, &jpg, &de) == ERR_OK && !jpg.failed) {
                    if (cairo_surface_set_mime_data(base, CAIRO_MIME_TYPE_JPEG, (unsigned char *)jpg.data, jpg.len,
                                                    free, jpg.data) == CAIRO_STATUS_SUCCESS)
                        jpg.data = NULL;
                }
                buf_free(&jpg);
            } else if (wr != ERR_NOT_FOUND)
                log_warn("plan %ld: raster drawing %ld not used: %s", pl->ref.id, dr.id, de.msg);
            gis_drawing_free(&dr);
        }
    }
    static const char *const g_over[] = {"parcels"};
    bool on_raster = base != NULL;
    if (base) {
        o.groups = g_over;
        o.ngroups = 1;
        o.transparent = true;
        if (raster)
            *raster = true;
    }
    gis_pdf_tag_begin(t, "Figure");
    cairo_save(cr);
    cairo_translate(cr, MAP_X, MAP_Y);
    cairo_rectangle(cr, 0, 0, MAP_W, MAP_H);
    cairo_clip(cr);
    if (base) {
        cairo_save(cr);
        cairo_set_source_rgb(cr, 1, 1, 1); /* paper where the drawing does not reach */
        cairo_paint(cr);
        cairo_scale(cr, MAP_W / (double)rw, MAP_H / (double)rh);
        cairo_set_source_surface(cr, base, 0, 0);
        cairo_pattern_set_matrix(cairo_get_source(cr), &base_m);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
        cairo_paint(cr);
        cairo_restore(cr);
        cairo_surface_destroy(base);
    }
    enum err_code rc = m->style ? gis_render_map(cr, s, m->style, &o, &stats, e) : ERR_OK;
    if (!rc) {
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        for (int i = 0; i < d->nparcels; i++) {
            const struct gis_parcel *p = d->parcels[i].p;
            if (p->bbox[2] < bbox[0] || p->bbox[0] > bbox[2] || p->bbox[3] < bbox[1] || p->bbox[1] > bbox[3])
                continue;
            cairo_new_path(cr);
            if (!wkb_path(cr, p->wkb, p->wkb_len, bbox, sx, sy))
                continue;
            cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
            cairo_set_line_width(cr, OUTLINE_PT + 1.6);
            cairo_stroke_preserve(cr);
            cairo_set_source_rgb(cr, 0.86, 0.0, 0.0);
            cairo_set_line_width(cr, OUTLINE_PT);
            cairo_stroke(cr);
        }
        north_arrow(cr, MAP_W - 22, 22);
    }
    cairo_restore(cr);
    gis_pdf_tag_end(t);
    if (rc)
        return rc;
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.8);
    cairo_rectangle(cr, MAP_X, MAP_Y, MAP_W, MAP_H);
    cairo_stroke(cr);
    cairo_restore(cr);

    /* legend: only what this sheet shows */
    struct legend_item items[40];
    int ni = 0;
    items[ni++] = (struct legend_item){.kind = 1, .text = "działki objęte wypisem i wyrysem"};
    items[ni++] = (struct legend_item){.kind = 2, .text = "granice działek ewidencyjnych"};
    if (!pog)
        items[ni++] = (struct legend_item){.kind = 3, .text = "granica obszaru objętego planem"};
    double zoom = stats.zoom;
    if (pog)
        ni = legend_query(s, t->a, m->style, zoom, bbox,
                          "SELECT symbol, min(name), NULL FROM pog_zones WHERE id IN (SELECT pkid FROM "
                          "idx_pog_zones_geom WHERE xmax >= ?1 AND xmin <= ?3 AND ymax >= ?2 AND ymin <= ?4) AND "
                          "ST_Intersects(geom, BuildMbr(?1, ?2, ?3, ?4, 2180)) GROUP BY symbol ORDER BY symbol",
                          "pog-fill", false, items, ni, 36);
    else {
        ni = legend_query(s, t->a, m->style, zoom, bbox,
                          "SELECT symbol, min(name), NULL FROM plan_zones WHERE id IN (SELECT pkid FROM "
                          "idx_plan_zones_geom WHERE xmax >= ?1 AND xmin <= ?3 AND ymax >= ?2 AND ymin <= ?4) AND "
                          "ST_Intersects(geom, BuildMbr(?1, ?2, ?3, ?4, 2180)) GROUP BY symbol ORDER BY symbol",
                          "mpzp-fill", false, items, ni, 36);
        ni = legend_query(s, t->a, m->style, zoom, bbox,
                          "SELECT kind, min(name), min(label) FROM overlays WHERE id IN (SELECT pkid FROM "
                          "idx_overlays_geom WHERE xmax >= ?1 AND xmin <= ?3 AND ymax >= ?2 AND ymin <= ?4) AND "
                          "ST_Intersects(geom, BuildMbr(?1, ?2, ?3, ?4, 2180)) GROUP BY kind ORDER BY kind",
                          "overlay-", true, items, ni, 36);
    }
    double ly = MAP_Y + MAP_H + 8;
    l = gis_pdf_layout(
        t,
        on_raster ? "<b>Legenda</b> (elementy widoczne na arkuszu; podkład: rysunek planu, raster georeferencyjny)"
                  : "<b>Legenda</b> (elementy widoczne na arkuszu)",
        "DejaVu Sans 7.5", MAP_W, PANGO_ALIGN_LEFT, false);
    gis_pdf_tag_begin(t, "H2");
    gis_pdf_show(t, l, MAP_X, ly);
    gis_pdf_tag_end(t);
    g_object_unref(l);
    ly += 13;
    const int per_col = 9, ncols = ni <= 2 * per_col ? 2 : 3;
    const double colw = MAP_W / (double)ncols, rowh = 11;
    gis_pdf_tag_begin(t, "L");
    for (int i = 0; i < ni && i < per_col * ncols; i++) {
        double x = MAP_X + (i / per_col) * colw, yy = ly + (i % per_col) * rowh;
        cairo_save(cr);
        cairo_rectangle(cr, x, yy + 1, 16, 7.5);
        if (items[i].kind == 0) {
            struct gis_style_color c = items[i].c;
            cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a > 0 ? c.a : 1);
            cairo_fill_preserve(cr);
            cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
            cairo_set_line_width(cr, 0.4);
            cairo_stroke(cr);
        } else {
            cairo_new_path(cr);
            if (items[i].kind == 1) {
                cairo_rectangle(cr, x + 1, yy + 1.5, 14, 6.5);
                cairo_set_source_rgb(cr, 0.86, 0, 0);
                cairo_set_line_width(cr, OUTLINE_PT);
            } else {
                cairo_move_to(cr, x, yy + 4.75);
                cairo_line_to(cr, x + 16, yy + 4.75);
                cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
                cairo_set_line_width(cr, items[i].kind == 2 ? 0.5 : 1.2);
                if (items[i].kind == 3) {
                    double dash[] = {4, 2};
                    cairo_set_dash(cr, dash, 2, 0);
                }
            }
            cairo_stroke(cr);
        }
        cairo_restore(cr);
        l = gis_pdf_layout(t, gis_pdf_markup(t, "%s", items[i].text), "DejaVu Sans 6.3", colw - 24, PANGO_ALIGN_LEFT,
                           false);
        pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
        gis_pdf_tag_begin(t, "LI");
        gis_pdf_show(t, l, x + 20, yy);
        gis_pdf_tag_end(t);
        g_object_unref(l);
    }
    gis_pdf_tag_end(t);

    /* numeric scale and scale bar: the longest round length not above 100 mm */
    static const double lens[] = {10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000};
    double bar_m = lens[0];
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        if (lens[i] * 1000.0 / (double)sh->scale <= 100.0 + 1e-9)
            bar_m = lens[i];
    double bar_pt = bar_m * 1000.0 / (double)sh->scale * GIS_PDF_MM, bx = MAP_X, by = ly + per_col * rowh + 14;
    gis_pdf_tag_begin(t, "Figure");
    cairo_save(cr);
    cairo_set_line_width(cr, 0.5);
    for (int i = 0; i < 5; i++) {
        cairo_rectangle(cr, bx + i * bar_pt / 5, by, bar_pt / 5, 4);
        cairo_set_source_rgb(cr, i % 2 ? 1 : 0, i % 2 ? 1 : 0, i % 2 ? 1 : 0);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    for (int i = 0; i <= 5; i += 5) {
        l = gis_pdf_layout(t, gis_pdf_markup(t, "%s", i ? arena_printf(t->a, "%g m", bar_m) : "0"), "DejaVu Sans 6.5",
                           60, PANGO_ALIGN_CENTER, false);
        gis_pdf_show(t, l, bx + i * bar_pt / 5 - 30, by - 10);
        g_object_unref(l);
    }
    gis_pdf_tag_end(t);
    l = gis_pdf_layout(t,
                       gis_pdf_markup(t, "Skala 1:%ld  (%g m w terenie = %g mm na wydruku A4 w skali 100%%)", sh->scale,
                                      bar_m, bar_m * 1000.0 / (double)sh->scale),
                       "DejaVu Sans 7", MAP_W - bar_pt - 20, PANGO_ALIGN_LEFT, false);
    gis_pdf_tag_begin(t, "P");
    gis_pdf_show(t, l, bx + bar_pt + 14, by - 3);
    gis_pdf_tag_end(t);
    g_object_unref(l);

    /* footer */
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_set_line_width(cr, 0.4);
    cairo_move_to(cr, MAP_X, L->ph - 32);
    cairo_line_to(cr, MAP_X + MAP_W, L->ph - 32);
    cairo_stroke(cr);
    l = gis_pdf_layout(t, gis_pdf_markup(t, "Wyrys stanowi załącznik do wypisu, znak sprawy %s", m->case_number),
                       "DejaVu Sans 7", MAP_W, PANGO_ALIGN_LEFT, false);
    gis_pdf_show(t, l, MAP_X, L->ph - 28);
    g_object_unref(l);
    l = gis_pdf_layout(t, gis_pdf_markup(t, "Arkusz %d z %d", k + 1, n), "DejaVu Sans 7", MAP_W, PANGO_ALIGN_RIGHT,
                       false);
    gis_pdf_show(t, l, MAP_X, L->ph - 28);
    g_object_unref(l);
    cairo_restore(cr);
    gis_pdf_tag_end(t);
    return cairo_status(cr) ? err_set(e, ERR_INTERNAL, "cairo: %s", cairo_status_to_string(cairo_status(cr))) : ERR_OK;
}

/* ---- PDF ---- */

enum err_code gis_extract_pdf(struct gis_store *s, const struct gis_extract_doc *doc, const struct gis_extract_meta *m,
                              struct buf *out, struct gis_extract_result *res, struct err *e)
{
    memset(res, 0, sizeof *res);
    struct arena *a = arena_new(1 << 16);
    struct sheet *sheets = a ? arena_alloc(a, sizeof *sheets * MAX_SHEETS) : NULL;
    if (!sheets) {
        arena_free(a);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    int nsheets = m->wyrys ? sheets_make(doc, m->sheet, sheets, MAX_SHEETS) : 0;
    int parts = nsheets * gis_extract_sheet_parts(m->sheet); /* A4-sized parts, for the fee */
    const struct layout *L = layout_of(m->sheet);
    if (!m->wypis && nsheets == 0) {
        arena_free(a);
        return err_at(e, ERR_UNPROCESSABLE, "documents",
                      "no plan applies to these parcels, so there is no drawing to extract");
    }
    PangoContext *pc = gis_pdf_context("pl-PL");
    enum err_code rc = gis_pdf_check_fonts(pc, e);
    struct gis_pdf t = {.pc = pc, .a = a, .pg = gis_pdf_a4, .furniture = page_furniture, .user = m};
    int wypis_pages = 0;
    if (!rc && m->wypis) {
        /* the fee depends on the page count, so a first layout with the one-page fee counts the pages;
         * the second pass fails if the page count then differs */
        struct gis_extract_fee provisional = gis_extract_fees(m->rates, 1, parts);
        wypis(&t, doc, &provisional);
        wypis_pages = t.page;
    }
    struct gis_extract_fee fee = gis_extract_fees(m->rates, wypis_pages, parts);
    int nraster = 0;
    size_t start = out->len;
    cairo_surface_t *surf = NULL;
    if (!rc) {
        const struct gis_pdf_info info = {.title = arena_printf(a, "%s z planu zagospodarowania przestrzennego — %s",
                                                                m->wypis && nsheets ? "Wypis i wyrys"
                                                                : m->wypis          ? "Wypis"
                                                                                    : "Wyrys",
                                                                m->case_number),
                                          .author = m->organ,
                                          .subject = "Wypis i wyrys (art. 30 u.p.z.p.)"};
        surf = gis_pdf_surface_create(out, gis_pdf_a4.w, gis_pdf_a4.h, &info);
        cairo_t *cr = cairo_create(surf);
        t.cr = cr;
        if (m->wypis) {
            t.total = wypis_pages;
            t.ntags = 0;
            wypis(&t, doc, &fee);
            if (t.page != wypis_pages)
                rc =
                    err_set(e, ERR_INTERNAL, "wypis pagination changed between passes (%d != %d)", t.page, wypis_pages);
        }
        for (int k = 0; k < nsheets && !rc; k++) {
            t.ntags = 0;
            bool raster = false;
            cairo_pdf_surface_set_size(surf, L->pw, L->ph);
            rc = draw_sheet(&t, s, doc, &sheets[k], k, nsheets, &raster, e);
            nraster += raster;
            cairo_show_page(cr);
        }
        if (!rc && cairo_status(cr))
            rc = err_set(e, ERR_INTERNAL, "cairo: %s", cairo_status_to_string(cairo_status(cr)));
        cairo_destroy(cr);
        cairo_surface_finish(surf);
        if (!rc && cairo_surface_status(surf))
            rc = err_set(e, ERR_IO, "writing the PDF: %s", cairo_status_to_string(cairo_surface_status(surf)));
        cairo_surface_destroy(surf);
    }
    g_object_unref(pc);
    arena_free(a);
    if (!rc && out->failed)
        rc = err_set(e, ERR_INTERNAL, "out of memory writing the PDF");
    if (rc)
        return rc;
    gis_pdf_set_lang(out, start, "pl-PL");
    res->wypis_pages = wypis_pages;
    res->wyrys_sheets = nsheets;
    res->wyrys_raster = nraster;
    res->pages = wypis_pages + nsheets;
    res->fee = fee;
    return ERR_OK;
}

enum err_code gis_extract_wyrys_png(struct gis_store *s, const struct gis_extract_doc *doc,
                                    const struct gis_extract_meta *m, int sheet, double dpi, struct buf *out,
                                    struct err *e)
{
    if (!(dpi >= 36 && dpi <= 600))
        return err_param(e, "dpi", "dpi must be between 36 and 600");
    struct arena *a = arena_new(1 << 16);
    struct sheet *sheets = a ? arena_alloc(a, sizeof *sheets * MAX_SHEETS) : NULL;
    if (!sheets) {
        arena_free(a);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    int n = sheets_make(doc, m->sheet, sheets, MAX_SHEETS);
    const struct layout *L = layout_of(m->sheet);
    if (sheet < 0 || sheet >= n) {
        arena_free(a);
        return err_param(e, "sheet", "the wyrys has %d sheet(s); sheet %d does not exist", n, sheet + 1);
    }
    int w = (int)ceil(L->pw * dpi / 72), h = (int)ceil(L->ph * dpi / 72);
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(img);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, dpi / 72, dpi / 72);
    PangoContext *pc = gis_pdf_context("pl-PL");
    struct gis_pdf t = {.pc = pc, .a = a, .pg = gis_pdf_a4, .user = m, .cr = cr};
    enum err_code rc = gis_pdf_check_fonts(pc, e);
    if (!rc)
        rc = draw_sheet(&t, s, doc, &sheets[sheet], sheet, n, NULL, e);
    cairo_destroy(cr);
    cairo_surface_flush(img);
    if (!rc)
        rc = gis_render_encode(img, GIS_RENDER_PNG, 6, out, e);
    cairo_surface_destroy(img);
    g_object_unref(pc);
    arena_free(a);
    return rc;
}

/* ---- style ---- */

static struct gis_style *plan_style;
static pthread_once_t plan_style_once = PTHREAD_ONCE_INIT;

static void plan_style_load(void)
{
    size_t len;
    const char *text = embed_find("styles/plan.json", &len);
    struct err e = {0};
    if (!text || gis_style_load(text, len, &plan_style, &e) != ERR_OK)
        log_error("extract: style styles/plan.json: %s", text ? e.msg : "not embedded");
}

const struct gis_style *gis_extract_style(void)
{
    pthread_once(&plan_style_once, plan_style_load);
    return plan_style;
}

/* ---- issuing ---- */

static char *fee_items_json(const struct gis_extract_fee *f)
{
    json_t *items = json_array();
    if (f->wypis_pages > 0)
        json_array_append_new(items, json_pack("{s:s, s:i, s:s, s:i}", "name", "wypis", "quantity", f->wypis_pages,
                                               "unit", "page", "amount_pln", f->wypis_pln));
    if (f->wyrys_sheets > 0)
        json_array_append_new(items, json_pack("{s:s, s:i, s:s, s:i}", "name", "wyrys", "quantity", f->wyrys_sheets,
                                               "unit", "A4 sheet", "amount_pln", f->wyrys_pln));
    char *s = json_dumps(items, JSON_COMPACT);
    json_decref(items);
    return s;
}

enum err_code gis_extract_issue(struct gis_store *writer, struct gis_store *reader, struct arena *a,
                                const struct gis_extract_issue *req, struct gis_extract_record *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    /* Printed and put in the QR code: only an absolute address can be opened from paper. */
    const char *vb = req->verify_base;
    if (!vb || (strncmp(vb, "https://", 8) != 0 && strncmp(vb, "http://", 7) != 0))
        return err_set(e, ERR_INVALID, "the verification address must be absolute (public_url), got '%.100s'",
                       vb ? vb : "");
    struct gis_extract_meta m = req->tmpl;
    m.applicant_name = gis_extract_clean(a, req->applicant_name, GIS_EXTRACT_MAX_TEXT);
    m.applicant_address = gis_extract_clean(a, req->applicant_address, GIS_EXTRACT_MAX_TEXT);
    m.purpose = gis_extract_clean(a, req->purpose, GIS_EXTRACT_MAX_TEXT);
    m.wypis = req->wypis;
    m.wyrys = req->wyrys;
    m.sheet = req->sheet;
    if (!m.style)
        m.style = gis_extract_style();
    if (!m.applicant_name || !*m.applicant_name)
        return err_at(e, ERR_UNPROCESSABLE, "applicant.name", "applicant.name is required");
    struct gis_extract_doc *doc;
    if (gis_extract_build(reader, a, req->parcels, req->nparcels, &doc, e))
        return e->code;

    time_t now = time(NULL);
    struct tm lt, ut;
    localtime_r(&now, &lt);
    gmtime_r(&now, &ut);
    int year = lt.tm_year + 1900;
    char date[16], created[32], code[GIS_EXTRACT_CODE_LEN + 1], id[33];
    strftime(date, sizeof date, "%Y-%m-%d", &lt);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &ut);
    unsigned char rnd[16];
    if (gis_extract_new_code(code, e) || gis_extract_random(rnd, sizeof rnd, e))
        return e->code;
    for (int i = 0; i < 16; i++)
        snprintf(id + 2 * i, 3, "%02x", rnd[i]);

    if (gis_store_begin(writer, e))
        return e->code;
    struct buf pdf = {0};
    char *fees = NULL, *parcels_json = NULL;
    sqlite3_stmt *st = NULL;
    long seq = 0;
    enum err_code rc = gis_store_prepare(writer,
                                         "INSERT INTO case_sequences (year, seq) VALUES (?1, 1) ON CONFLICT (year) "
                                         "DO UPDATE SET seq = seq + 1 RETURNING seq",
                                         &st, e);
    if (!rc) {
        sqlite3_bind_int(st, 1, year);
        if (sqlite3_step(st) == SQLITE_ROW)
            seq = sqlite3_column_int64(st, 0);
        else
            rc = err_set(e, ERR_IO, "case sequence: %s", sqlite3_errmsg(gis_store_db(writer)));
        sqlite3_finalize(st);
        st = NULL;
    }
    const char *case_number = NULL;
    if (!rc && !(case_number = gis_extract_case_number(a, req->case_format, seq, year)))
        rc = err_set(e, ERR_INTERNAL, "out of memory");
    m.case_number = case_number;
    m.date = date;
    m.verification_code = code;
    m.verify_url = arena_printf(a, "%s%s", vb, code);
    struct gis_extract_result res = {0};
    if (!rc)
        rc = gis_extract_pdf(reader, doc, &m, &pdf, &res, e);
    char sha[65] = "";
    if (!rc) {
        gis_extract_sha256(pdf.data, pdf.len, sha);
        fees = fee_items_json(&res.fee);
        json_t *pj = json_array();
        for (int i = 0; i < doc->nparcels; i++)
            json_array_append_new(pj, json_string(doc->parcels[i].p->parcel_id));
        parcels_json = json_dumps(pj, JSON_COMPACT);
        json_decref(pj);
        if (!fees || !parcels_json)
            rc = err_set(e, ERR_INTERNAL, "out of memory");
    }
    if (!rc)
        rc = gis_store_prepare(writer,
                               "INSERT INTO extracts (id, case_number, seq, year, created_at, issue_date, parcels, "
                               "documents, applicant_name, applicant_address, purpose, fee_total, fee_items, pages, "
                               "wypis_pages, wyrys_sheets, verification_code, sha256, pdf, sheet) "
                               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               &st, e);
    if (!rc) {
        const char *docs = m.wypis && m.wyrys ? "[\"wypis\",\"wyrys\"]" : m.wypis ? "[\"wypis\"]" : "[\"wyrys\"]";
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, case_number, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, seq);
        sqlite3_bind_int(st, 4, year);
        sqlite3_bind_text(st, 5, created, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, date, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, parcels_json, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, docs, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, m.applicant_name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 10, m.applicant_address, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 11, m.purpose, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 12, res.fee.total_pln);
        sqlite3_bind_text(st, 13, fees, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 14, res.pages);
        sqlite3_bind_int(st, 15, res.wypis_pages);
        sqlite3_bind_int(st, 16, res.wyrys_sheets);
        sqlite3_bind_text(st, 17, code, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 18, sha, -1, SQLITE_STATIC);
        sqlite3_bind_blob64(st, 19, pdf.data, pdf.len, SQLITE_STATIC);
        sqlite3_bind_text(st, 20, gis_extract_sheet_name(m.sheet), -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = err_set(e, ERR_IO, "storing the extract: %s", sqlite3_errmsg(gis_store_db(writer)));
        sqlite3_finalize(st);
    }
    if (!rc)
        rc = gis_store_commit(writer, e);
    if (rc)
        gis_store_rollback(writer);
    free(fees);
    free(parcels_json);
    if (!rc) {
        unsigned char *copy = arena_alloc(a, pdf.len ? pdf.len : 1);
        if (copy)
            memcpy(copy, pdf.data, pdf.len);
        *out = (struct gis_extract_record){.id = arena_strdup(a, id),
                                           .case_number = case_number,
                                           .date = arena_strdup(a, date),
                                           .created_at = arena_strdup(a, created),
                                           .verification_code = arena_strdup(a, code),
                                           .sha256 = arena_strdup(a, sha),
                                           .res = res,
                                           .pdf = copy,
                                           .pdf_len = copy ? pdf.len : 0};
    }
    buf_free(&pdf);
    return rc;
}
