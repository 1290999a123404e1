/* Plan extracts: the document model. For each requested parcel its zones in every plan (rounded so a
 * parcel's rows sum to its area), the plans in the order the wypis prints them, and their provisions. */
#include "gis/extract_int.h"
#include "gis/calendar.h"
#include "gis/store_sql.h"

#include <math.h>
#include <string.h>

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
    if (!(st = gis_store_cached(
              s,
              "SELECT p.scope, p.zone_id, p.overlay_id, p.heading, p.body, z.label, z.name, o.label, o.name "
              "FROM provisions p LEFT JOIN plan_zones z ON z.id = p.zone_id "
              "LEFT JOIN overlays o ON o.id = p.overlay_id WHERE p.plan_id = ? "
              "ORDER BY CASE p.scope WHEN 'general' THEN 0 WHEN 'zone' THEN 1 ELSE 2 END, "
              "z.label, o.label, p.ord, p.id",
              e)))
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
    gis_store_release(st);
    if (!pv)
        return err_set(e, ERR_INTERNAL, "out of memory");
    pl->provisions = pv;
    pl->nprovisions = n;
    return ERR_OK;
}

enum err_code gis_extract_build(struct gis_store *s, struct arena *a, const char *const *ids, int n, const char *as_of,
                                struct gis_extract_doc **out, struct err *e)
{
    *out = NULL;
    int today = gis_cal_today(), day = today;
    if (as_of && !gis_cal_parse_date(as_of, &day))
        return err_param(e, "as_of", "as_of must be a date YYYY-MM-DD (1900-2999), got '%.40s'", as_of);
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
    char *iso = arena_alloc(a, 11);
    if (!iso)
        return err_set(e, ERR_INTERNAL, "out of memory");
    gis_cal_format_date(day, iso);
    d->as_of = iso;
    d->archival = day < today;
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
            return err_recast(e, le.code, &le);
        }
        if (gis_place_zones(s, a, xp->p, d->as_of, &xp->z, e))
            return e->code;
        xp->area_rounded_m2 = lround(xp->p->geom_area_m2);
        xp->status = GIS_EXTRACT_NONE;
        for (int k = 0; k < xp->z.nzones; k++) {
            if (xp->z.zones[k].kind == GIS_ZONE_MPZP)
                xp->status = GIS_EXTRACT_MPZP;
            else if (xp->z.zones[k].kind == GIS_ZONE_POG && xp->status == GIS_EXTRACT_NONE)
                xp->status = GIS_EXTRACT_POG;
        }
        if (xp->status == GIS_EXTRACT_POG && gis_extract_pog_load(s, a, xp, e))
            return e->code;
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
        if (plan_provisions(s, a, d, &d->plans[i], e) || gis_extract_pog_provisions(a, d, &d->plans[i], e))
            return e->code;
    *out = d;
    return ERR_OK;
}
