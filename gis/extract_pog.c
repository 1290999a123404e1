/* Plan extracts: the POG part of the wypis for parcels outside every MPZP. What the plan ogólny sets for the
 * zone a parcel lies in (its profil funkcjonalny and its zone-specific provisions), whether the parcel lies
 * in an obszar uzupełnienia zabudowy, and the gminne standardy that apply there (migration 013); read from
 * the store and set with the PDF typesetter. */
#include "gis/extract_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gis/app_validate.h"
#include "gis/store_sql.h"

#define F_BODY "DejaVu Serif 10"

/* ---- the model ---- */

static const char *pog_col(struct arena *a, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t && *t ? arena_strdup(a, (const char *)t) : NULL;
}

/* The stored profile and provisions of every POG zone the parcel touches. */
static enum err_code pog_zones_load(struct gis_store *s, struct arena *a, const struct gis_extract_parcel *xp,
                                    struct gis_extract_pog *out, struct err *e)
{
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(s,
                                "SELECT label, name, symbol, profile_basic, profile_extra, provisions FROM pog_zones "
                                "WHERE id = ?",
                                e)))
        return e->code;
    out->zones = arena_alloc(a, sizeof *out->zones * (size_t)(xp->z.nzones + 1));
    for (int i = 0; out->zones && i < xp->z.nzones; i++) {
        const struct gis_zone_hit *h = &xp->z.zones[i];
        if (h->kind != GIS_ZONE_POG)
            continue;
        sqlite3_bind_int64(st, 1, h->id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            struct gis_extract_pog_zone *z = &out->zones[out->nzones++];
            const char *symbol = (const char *)sqlite3_column_text(st, 2);
            const struct app_zone_type *zt = symbol ? app_zone_type_by_symbol(symbol) : NULL;
            *z = (struct gis_extract_pog_zone){.id = h->id,
                                               .label = pog_col(a, st, 0),
                                               .name = pog_col(a, st, 1),
                                               .basic = pog_col(a, st, 3),
                                               .extra = pog_col(a, st, 4),
                                               .provisions = pog_col(a, st, 5)};
            if (!z->basic && zt)
                z->basic = zt->profile;
        }
        sqlite3_reset(st);
    }
    gis_store_release(st);
    return out->zones ? ERR_OK : err_set(e, ERR_INTERNAL, "out of memory");
}

/* The part of the parcel in the plan's obszary uzupełnienia zabudowy (their union, so overlaps count once). */
static enum err_code pog_ouz_load(struct gis_store *s, long plan, const struct gis_parcel *p,
                                  struct gis_extract_pog *out, struct err *e)
{
    sqlite3_stmt *st;
    if (!(st = gis_store_cached(s,
                                "SELECT (SELECT count(*) FROM pog_ouz WHERE plan_id = ?1), "
                                "(SELECT ST_Area(ST_Intersection(ST_Union(geom), GeomFromWKB(?2, 2180))) FROM pog_ouz "
                                "WHERE plan_id = ?1 AND id IN (SELECT pkid FROM idx_pog_ouz_geom WHERE xmax >= ?3 AND "
                                "xmin <= ?5 AND ymax >= ?4 AND ymin <= ?6))",
                                e)))
        return e->code;
    sqlite3_bind_int64(st, 1, plan);
    sqlite3_bind_blob(st, 2, p->wkb, (int)p->wkb_len, SQLITE_STATIC);
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(st, 3 + i, p->bbox[i]);
    enum err_code rc = ERR_OK;
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->has_ouz = sqlite3_column_int64(st, 0) > 0;
        out->ouz_m2 = sqlite3_column_type(st, 1) == SQLITE_NULL ? 0 : sqlite3_column_double(st, 1);
        if (out->ouz_m2 < GIS_ZONE_MIN_AREA_M2)
            out->ouz_m2 = 0;
        out->ouz_pct = p->geom_area_m2 > 0 ? 100.0 * out->ouz_m2 / p->geom_area_m2 : 0;
    } else
        rc = err_set(e, ERR_IO, "%s: pog_ouz: %s", gis_store_path(s), sqlite3_errmsg(gis_store_db(s)));
    gis_store_release(st);
    return rc;
}

/* The areas of gminne standardy that cover part of the parcel, with their values. */
static enum err_code pog_std_load(struct gis_store *s, struct arena *a, long plan, const struct gis_parcel *p,
                                  struct gis_extract_pog *out, struct err *e)
{
    int n;
    const struct app_standard *sd = app_standards(&n);
    struct buf sql = {0};
    buf_puts(&sql, "SELECT label, exclude_farmsteads");
    for (int i = 0; i < n; i++)
        buf_printf(&sql, ", %s", sd[i].column);
    buf_puts(&sql, " FROM pog_standards WHERE plan_id = ?1 AND id IN (SELECT pkid FROM idx_pog_standards_geom WHERE "
                   "xmax >= ?3 AND xmin <= ?5 AND ymax >= ?4 AND ymin <= ?6) AND "
                   "ST_Area(ST_Intersection(geom, GeomFromWKB(?2, 2180))) >= 0.01 ORDER BY label, id LIMIT 8");
    sqlite3_stmt *st = NULL;
    enum err_code rc = sql.failed ? err_set(e, ERR_INTERNAL, "out of memory") : gis_store_prepare(s, sql.data, &st, e);
    buf_free(&sql);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, plan);
    sqlite3_bind_blob(st, 2, p->wkb, (int)p->wkb_len, SQLITE_STATIC);
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(st, 3 + i, p->bbox[i]);
    out->std = arena_alloc(a, sizeof *out->std * 8);
    while (out->std && sqlite3_step(st) == SQLITE_ROW) {
        struct gis_extract_pog_std *g = &out->std[out->nstd++];
        g->label = pog_col(a, st, 0);
        g->exclude_farmsteads = sqlite3_column_int(st, 1) != 0;
        for (int i = 0; i < n && i < (int)(sizeof g->value / sizeof g->value[0]); i++)
            g->value[i] = sqlite3_column_type(st, 2 + i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2 + i);
    }
    sqlite3_finalize(st);
    return out->std ? ERR_OK : err_set(e, ERR_INTERNAL, "out of memory");
}

enum err_code gis_extract_pog_load(struct gis_store *s, struct arena *a, struct gis_extract_parcel *xp, struct err *e)
{
    xp->pog = NULL;
    long plan = 0;
    for (int i = 0; i < xp->z.nzones && !plan; i++)
        if (xp->z.zones[i].kind == GIS_ZONE_POG)
            plan = xp->z.plans[xp->z.zones[i].plan].id;
    if (!plan)
        return ERR_OK;
    struct gis_extract_pog *g = arena_alloc(a, sizeof *g);
    if (!g)
        return err_set(e, ERR_INTERNAL, "out of memory");
    memset(g, 0, sizeof *g);
    if (pog_zones_load(s, a, xp, g, e) || pog_ouz_load(s, plan, xp->p, g, e) || pog_std_load(s, a, plan, xp->p, g, e))
        return e->code;
    xp->pog = g;
    return ERR_OK;
}

enum err_code gis_extract_pog_provisions(struct arena *a, const struct gis_extract_doc *d, struct gis_extract_plan *pl,
                                         struct err *e)
{
    int extra = 0;
    for (int k = 0; k < pl->nparcels; k++) {
        const struct gis_extract_pog *g = d->parcels[pl->parcels[k].parcel].pog;
        extra += g ? g->nzones : 0;
    }
    if (!extra)
        return ERR_OK;
    struct gis_extract_provision *pv = arena_alloc(a, sizeof *pv * (size_t)(pl->nprovisions + extra));
    if (!pv)
        return err_set(e, ERR_INTERNAL, "out of memory");
    if (pl->nprovisions)
        memcpy(pv, pl->provisions, sizeof *pv * (size_t)pl->nprovisions);
    int n = pl->nprovisions;
    long seen[GIS_EXTRACT_MAX_PARCELS * 8];
    int nseen = 0;
    for (int k = 0; k < pl->nparcels; k++) {
        const struct gis_extract_pog *g = d->parcels[pl->parcels[k].parcel].pog;
        for (int i = 0; g && i < g->nzones; i++) {
            const struct gis_extract_pog_zone *z = &g->zones[i];
            bool dup = false;
            for (int j = 0; j < nseen && !dup; j++)
                dup = seen[j] == z->id;
            if (dup || !z->provisions || nseen == (int)(sizeof seen / sizeof seen[0]))
                continue;
            seen[nseen++] = z->id;
            pv[n++] = (struct gis_extract_provision){
                .scope = "pog-zone", .owner = z->label, .owner_name = z->name, .body = z->provisions};
        }
    }
    pl->provisions = pv;
    pl->nprovisions = n;
    return ERR_OK;
}

/* ---- the wypis ---- */

/* "1 234" with a no-break space, for metres and square metres. */
static const char *pog_int(struct arena *a, double v)
{
    char d[32], o[48];
    snprintf(d, sizeof d, "%ld", lround(fabs(v)));
    size_t n = strlen(d), k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            o[k++] = '\xC2', o[k++] = '\xA0';
        o[k++] = d[i];
    }
    o[k] = 0;
    return arena_strdup(a, o);
}

/* "MN (teren zabudowy mieszkaniowej jednorodzinnej), U (teren usług)" for KPT codes "MN U". */
static const char *pog_classes(struct arena *a, const char *codes)
{
    struct buf b = {0};
    for (const char *c = codes ? codes : ""; *c;) {
        while (*c == ' ')
            c++;
        size_t l = strcspn(c, " ");
        if (!l)
            break;
        char code[16];
        snprintf(code, sizeof code, "%.*s", (int)(l < 15 ? l : 15), c);
        const char *name = app_kpt_name(code);
        buf_printf(&b, "%s%s%s%s%s", b.len ? ", " : "", code, name ? " (" : "", name ? name : "", name ? ")" : "");
        c += l;
    }
    const char *r = b.data ? arena_strdup(a, b.data) : NULL;
    buf_free(&b);
    return r;
}

void gis_extract_wypis_pog_intro(struct gis_pdf *t)
{
    gis_pdf_para(t,
                 "Działki wymienione w tym punkcie nie są objęte miejscowym planem zagospodarowania przestrzennego. "
                 "Plan ogólny gminy nie ustala przeznaczenia terenu ani sposobu zagospodarowania działek: wyznacza "
                 "strefy planistyczne, w których działki leżą, i ustala dla nich profil funkcjonalny oraz parametry "
                 "zabudowy. Ustalenia planu ogólnego wiążą przy sporządzaniu miejscowego planu zagospodarowania "
                 "przestrzennego i przy wydawaniu decyzji o warunkach zabudowy.",
                 F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 4);
}

/* The profil funkcjonalny of each zone of the parcel. */
static void pog_profiles(struct gis_pdf *t, const struct gis_extract_pog *g)
{
    for (int i = 0; i < g->nzones; i++) {
        const struct gis_extract_pog_zone *z = &g->zones[i];
        const char *basic = pog_classes(t->a, z->basic), *extra = pog_classes(t->a, z->extra);
        gis_pdf_para(t,
                     gis_pdf_markup(t,
                                    "Profil funkcjonalny strefy %s — profil podstawowy (klasy przeznaczenia terenu): "
                                    "%s; profil dodatkowy: %s.",
                                    z->label ? z->label : "", basic ? basic : "nie ustalono",
                                    extra ? extra : "nie ustalono"),
                     F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 3);
    }
}

/* Whether the parcel lies in an obszar uzupełnienia zabudowy, and what follows for a WZ decision. */
static void pog_ouz(struct gis_pdf *t, const struct gis_extract_parcel *xp)
{
    const struct gis_extract_pog *g = xp->pog;
    const char *rule = "Decyzję o warunkach zabudowy można wydać, jeżeli teren leży w obszarze uzupełnienia "
                       "zabudowy (art. 61 ust. 1 pkt 1 ustawy o planowaniu i zagospodarowaniu przestrzennym w "
                       "brzmieniu nadanym ustawą z dnia 7 lipca 2023 r.), z wyjątkami przewidzianymi w ustawie; "
                       "spełnienie pozostałych warunków ocenia się w postępowaniu o wydanie decyzji.";
    const char *where;
    if (!g->has_ouz)
        where = "Plan ogólny nie wyznacza obszarów uzupełnienia zabudowy: działka nie leży w takim obszarze.";
    else if (g->ouz_m2 <= 0)
        where = "Działka nie leży w obszarze uzupełnienia zabudowy wyznaczonym w planie ogólnym.";
    else if (g->ouz_m2 >= xp->p->geom_area_m2 - 0.5)
        where = "Działka leży w całości w obszarze uzupełnienia zabudowy wyznaczonym w planie ogólnym.";
    else {
        char pct[32];
        snprintf(pct, sizeof pct, "%.2f", g->ouz_pct);
        char *dot = strchr(pct, '.');
        if (dot)
            *dot = ',';
        where = arena_printf(t->a,
                             "Działka leży częściowo (%s m², %s %%) w obszarze uzupełnienia zabudowy wyznaczonym w "
                             "planie ogólnym; warunek położenia w tym obszarze spełnia tylko ta część działki.",
                             pog_int(t->a, g->ouz_m2), pct);
    }
    gis_pdf_para(t, gis_pdf_markup(t, "<b>Obszar uzupełnienia zabudowy.</b> %s %s", where, rule), F_BODY,
                 PANGO_ALIGN_LEFT, true, 0, "P", 3);
}

/* The gminne standardy dostępności infrastruktury społecznej of the areas that cover the parcel. */
static void pog_standards(struct gis_pdf *t, const struct gis_extract_pog *g)
{
    if (!g->nstd) {
        gis_pdf_para(t,
                     "Plan ogólny nie ustala dla obszaru, w którym leży działka, gminnych standardów dostępności "
                     "infrastruktury społecznej.",
                     F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 3);
        return;
    }
    int n;
    const struct app_standard *sd = app_standards(&n);
    for (int k = 0; k < g->nstd; k++) {
        const struct gis_extract_pog_std *s = &g->std[k];
        struct buf b = {0};
        buf_puts(&b, gis_pdf_markup(t, "Gminne standardy dostępności infrastruktury społecznej (obszar %s): ",
                                    s->label ? s->label : "bez oznaczenia"));
        int shown = 0;
        for (int i = 0; i < n && i < (int)(sizeof s->value / sizeof s->value[0]); i++) {
            if (!isfinite(s->value[i]))
                continue;
            bool area = !strcmp(sd[i].uom, "m2");
            buf_printf(&b, "%s%s %s %s %s", shown++ ? "; " : "", sd[i].label,
                       area ? "nie mniejsza niż" : "nie większa niż", pog_int(t->a, s->value[i]), area ? "m²" : "m");
        }
        buf_puts(&b, shown ? "." : "plan nie podaje wartości.");
        if (s->exclude_farmsteads)
            buf_puts(&b, " Standardów nie stosuje się do terenów zabudowy zagrodowej.");
        gis_pdf_para(t, b.data ? b.data : "", F_BODY, PANGO_ALIGN_LEFT, true, 0, "P", 3);
        buf_free(&b);
    }
}

void gis_extract_wypis_pog(struct gis_pdf *t, const struct gis_extract_parcel *xp)
{
    if (!xp->pog)
        return;
    pog_profiles(t, xp->pog);
    pog_ouz(t, xp);
    pog_standards(t, xp->pog);
}
