/* Demo data: provision texts, the general plan (POG) and the local plans (MPZP). */
#include "tools/demo/demo_int.h"

#include "gis/app_validate.h"

/* ---- texts: provision templates, Polish numbers and dates ---- */

struct sbuf {
    char *p;
    size_t n, cap;
};

static void sb_put(struct demo *d, struct sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            demo_oom(d);
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_printf(struct demo *d, struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void sb_printf(struct demo *d, struct sbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_put(d, b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void sb_reset(struct sbuf *b)
{
    b->n = 0;
    if (b->p)
        b->p[0] = 0;
}

struct var {
    const char *key, *value; /* value NULL: not set, the template line is left out */
};

/* Appends template t[0..n) to b with every {key} replaced by its value. Appends nothing and returns false
 * when a key has no value. */
static bool render(struct demo *d, struct sbuf *b, const char *t, size_t n, const struct var *v, int nv)
{
    size_t start = b->n;
    for (size_t k = 0; k < n;) {
        const char *close = t[k] == '{' ? memchr(t + k, '}', n - k) : NULL;
        if (close) {
            size_t kl = (size_t)(close - (t + k + 1));
            const char *val = NULL;
            for (int m = 0; m < nv; m++)
                if (strlen(v[m].key) == kl && !strncmp(v[m].key, t + k + 1, kl))
                    val = v[m].value;
            if (!val) {
                b->n = start;
                if (b->p)
                    b->p[start] = 0;
                return false;
            }
            sb_put(d, b, val, strlen(val));
            k = (size_t)(close - t) + 1;
            continue;
        }
        size_t run = k + 1;
        while (run < n && t[run] != '{')
            run++;
        sb_put(d, b, t + k, run - k);
        k = run;
    }
    return true;
}

/* The body of section [name] of data/demo/provisions.txt. */
static bool section(struct demo *d, const char *name, const char **text, size_t *len)
{
    size_t flen = 0;
    const char *f = embed_find("data/demo/provisions.txt", &flen), *p = f;
    char hdr[64];
    snprintf(hdr, sizeof hdr, "[%s]\n", name);
    while (p && (p = strstr(p, hdr)) && p != f && p[-1] != '\n')
        p++;
    if (!p)
        return demo_fail(d, ERR_INTERNAL, "data/demo/provisions.txt has no section [%s]", name);
    const char *start = p + strlen(hdr), *end = strstr(start, "\n[");
    *text = start;
    *len = end ? (size_t)(end - start) + 1 : (size_t)(f + flen - start);
    return true;
}

static void prov_insert(struct demo *d, sqlite3_int64 plan, const char *scope, sqlite3_int64 zone,
                        sqlite3_int64 overlay, int ord, const char *heading, const char *body)
{
    if (d->rc)
        return;
    sqlite3_stmt *st = d->ins_prov;
    sqlite3_bind_int64(st, 1, plan);
    sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC);
    if (zone)
        sqlite3_bind_int64(st, 3, zone);
    else
        sqlite3_bind_null(st, 3);
    if (overlay)
        sqlite3_bind_int64(st, 4, overlay);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int(st, 5, ord);
    sqlite3_bind_text(st, 6, heading, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, body ? body : "", -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        demo_sql_fail(d, "provision");
    sqlite3_reset(st);
    d->stats->provisions++;
}

/* Writes the paragraphs of a general section as provisions "§ 1.", "§ 2.", ...; *para counts them. */
static void prov_general(struct demo *d, sqlite3_int64 plan, const char *name, const struct var *v, int nv, int *ord,
                         int *para)
{
    const char *t;
    size_t len;
    if (!section(d, name, &t, &len))
        return;
    struct sbuf head = {0}, body = {0};
    int point = 0;
    for (const char *p = t, *end = t + len; p <= end && !d->rc;) {
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n == 0 && head.n) {
            char h[400];
            snprintf(h, sizeof h, "§ %d. %s", ++*para, head.p);
            prov_insert(d, plan, "general", 0, 0, ++*ord, h, body.p);
            sb_reset(&head);
            sb_reset(&body);
            point = 0;
        } else if (n && !head.n) {
            render(d, &head, p, n, v, nv);
        } else if (n) {
            bool numbered = n > 3 && !strncmp(p, "#. ", 3);
            struct sbuf line = {0};
            if (render(d, &line, p + (numbered ? 3 : 0), n - (numbered ? 3 : 0), v, nv)) {
                if (body.n)
                    sb_put(d, &body, "\n", 1);
                if (numbered)
                    sb_printf(d, &body, "%d. ", ++point);
                sb_put(d, &body, line.p, line.n);
            }
            free(line.p);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    if (head.n && !d->rc) {
        char h[400];
        snprintf(h, sizeof h, "§ %d. %s", ++*para, head.p);
        prov_insert(d, plan, "general", 0, 0, ++*ord, h, body.p);
    }
    free(head.p);
    free(body.p);
}

/* Renders section [name] as an introduction followed by the points "1) ...;" ... "n) ...." into out. */
static void prov_points(struct demo *d, struct sbuf *out, const char *name, const struct var *v, int nv)
{
    const char *t;
    size_t len;
    if (!section(d, name, &t, &len))
        return;
    struct sbuf pending = {0}, item = {0};
    bool intro = true;
    int count = 0;
    for (const char *p = t, *end = t + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n && intro) {
            render(d, out, p, n, v, nv);
            intro = false;
        } else if (n && render(d, &item, p, n, v, nv)) {
            if (pending.n)
                sb_printf(d, out, "\n%d) %s;", ++count, pending.p);
            sb_reset(&pending);
            sb_put(d, &pending, item.p, item.n);
            sb_reset(&item);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    if (pending.n)
        sb_printf(d, out, "\n%d) %s.", ++count, pending.p);
    free(pending.p);
    free(item.p);
}

/* A number the Polish way: "0,6", "12", "2,25"; NULL for a parameter that is not set. */
static const char *pl_num(double v, char *buf, size_t cap)
{
    if (!isfinite(v))
        return NULL;
    snprintf(buf, cap, "%.2f", v);
    char *dot = strchr(buf, '.');
    if (dot) {
        size_t n = strlen(buf);
        while (n > 0 && buf[n - 1] == '0')
            buf[--n] = 0;
        if (buf[n - 1] == '.')
            buf[--n] = 0;
        else
            *dot = ',';
    }
    return buf;
}

static long days_from_civil(int y, int m, int dd)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400, doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *dd)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* A plan's act: the council resolution, its publication and the date the plan came into force. */
struct act {
    char iip[96], resolution[256], date[16], publication[96], valid_from[16];
    /* plan history (migration 007): the status, the end of validity and the resolution that ended it
     * ("" for none), and the plan it amends (0: none) */
    const char *status;
    char valid_to[16], changed_by[256];
    sqlite3_int64 amends;
};

static void act_make(struct demo *d, struct act *a, const char *kind, int year, int month, int day, int seq)
{
    static const char *const months[] = {"stycznia", "lutego",   "marca",    "kwietnia",     "maja",      "czerwca",
                                         "lipca",    "sierpnia", "września", "października", "listopada", "grudnia"};
    /* Session numbers restart with each council term; a council meets about nine times a year. */
    static const int terms[][2] = {{1994, 6},  {1998, 10}, {2002, 11}, {2006, 11},
                                   {2010, 11}, {2014, 11}, {2018, 11}, {2024, 5}};
    int into_term = (year - 2002) * 12 + month - 11;
    for (int k = 0; k < 8; k++)
        if (year * 12 + month >= terms[k][0] * 12 + terms[k][1])
            into_term = (year - terms[k][0]) * 12 + month - terms[k][1];
    int session = 1 + into_term * 3 / 4 + (int)text_rng_below(&d->rng, 3);
    int number = session * 7 + 1 + (int)text_rng_below(&d->rng, 7);
    char rn[16];
    demo_roman(session, rn, sizeof rn);
    snprintf(a->resolution, sizeof a->resolution, "Uchwała nr %s/%d/%d %s z dnia %d %s %d r.", rn, number, year,
             d->g.council, day, months[month - 1], year);
    snprintf(a->date, sizeof a->date, "%04d-%02d-%02d", year, month, day);
    long pub = days_from_civil(year, month, day) + 12 + text_rng_below(&d->rng, 30);
    int py, pm, pd;
    civil_from_days(pub, &py, &pm, &pd);
    snprintf(a->publication, sizeof a->publication, "Dz. Urz. Woj. Lubuskiego z %d r. poz. %d", py,
             100 + (int)text_rng_below(&d->rng, 2900));
    civil_from_days(pub + 14, &py, &pm, &pd);
    snprintf(a->valid_from, sizeof a->valid_from, "%04d-%02d-%02d", py, pm, pd);
    snprintf(a->iip, sizeof a->iip, "PL.ZIPPZP.%d/%s-%s/%d_%d", d->g.zippzp, d->g.teryt, kind, year, seq);
}

static sqlite3_int64 plan_insert(struct demo *d, const char *kind, const struct act *a, const char *title, int scale,
                                 const GEOSGeometry *geom)
{
    sqlite3_stmt *st;
    if (d->rc || !demo_wkb_geos(d, geom)) {
        demo_fail(d, ERR_INTERNAL, "plan %s has no area", title);
        return 0;
    }
    if (gis_store_prepare(d->st,
                          "INSERT INTO plans (kind, iip, title, resolution, resolution_date, publication, "
                          "scale, status, valid_from, geom, valid_to, changed_by, amends_plan_id) VALUES (?1, ?2, ?3, "
                          "?4, ?5, ?6, ?7, coalesce(?11, 'obowiązujący'), ?8, GeomFromWKB(?9, 2180), nullif(?12, ''), "
                          "nullif(?13, ''), nullif(?14, 0))",
                          &st, d->e)) {
        demo_fail(d, ERR_IO, "prepare");
        return 0;
    }
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->iip, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, a->resolution, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, a->date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, a->publication, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, scale);
    sqlite3_bind_text(st, 8, a->valid_from, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
    if (a->status)
        sqlite3_bind_text(st, 11, a->status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 12, a->valid_to, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, a->changed_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 14, a->amends);
    sqlite3_int64 id = 0;
    if (sqlite3_step(st) != SQLITE_DONE)
        demo_sql_fail(d, "plan");
    else
        id = sqlite3_last_insert_rowid(gis_store_db(d->st));
    sqlite3_finalize(st);
    d->stats->plans++;
    return id;
}

/* ---- the general plan (POG): strefy planistyczne as unions of cells ---- */

static const char *pog_symbol(const struct cell *c)
{
    switch (c->kind) {
    case CK_CENTRE: return c->core ? "SU" : "SW";
    case CK_TOWN:
    case CK_ESTATE: return "SJ";
    case CK_INDUSTRY: return "SP";
    case CK_PARK: return "SN";
    case CK_INFRA: return "SI";
    case CK_VILLAGE: return "SZ";
    case CK_FARM: return "SR";
    default: return "SO";
    }
}

/* A POG zone's profil funkcjonalny: the whole basic profile of its type and, as a gmina would choose, the
 * first two classes its type may add; and the zone-specific provisions ([pogzone] of provisions.txt). */
struct pog_profile {
    const char *basic;
    char extra[64];
    struct sbuf text;
};

static void pog_profile_make(struct demo *d, const struct pog_def *p, const char *label, struct pog_profile *out)
{
    static const char *const rules[][2] = {
        {"SW", "nakaz lokalizacji usług w parterach budynków wielorodzinnych od strony przestrzeni publicznych"},
        {"SJ", "zakaz lokalizacji budynków mieszkalnych wielorodzinnych"},
        {"SZ", "zabudowa zagrodowa wyłącznie w powiązaniu z gospodarstwem rolnym"},
        {"SU", "zakaz lokalizacji obiektów handlu wielkopowierzchniowego"},
        {"SP", "zakaz lokalizacji zabudowy mieszkaniowej"},
        {"SR", "zakaz lokalizacji zabudowy niezwiązanej z produkcją rolniczą"},
        {"SI", "lokalizacja obiektów i urządzeń infrastruktury technicznej"},
        {"SN", "zakaz lokalizacji zabudowy innej niż związana z rekreacją i obsługą terenów zieleni"},
        {"SO", "zakaz lokalizacji nowej zabudowy, z wyjątkiem infrastruktury technicznej"},
    };
    memset(out, 0, sizeof *out);
    const struct app_zone_type *zt = app_zone_type_by_symbol(p->symbol);
    out->basic = zt ? zt->profile : NULL;
    const char *allowed = zt ? zt->profile_extra : "";
    size_t a = strcspn(allowed, " "), b = allowed[a] ? strcspn(allowed + a + 1, " ") : 0;
    snprintf(out->extra, sizeof out->extra, "%.*s", (int)(a + (b ? b + 1 : 0)), allowed);
    const char *rule = NULL;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (!strcmp(rules[i][0], p->symbol))
            rule = rules[i][1];
    char in[16], cov[16], h[16], bio[16], basic[160] = "", extra[160] = "";
    for (int k = 0; k < 2; k++) {
        const char *codes = k ? out->extra : out->basic ? out->basic : "";
        char *o = k ? extra : basic;
        for (const char *c = codes; *c;) {
            size_t l = strcspn(c, " ");
            size_t used = strlen(o);
            snprintf(o + used, 160 - used, "%s%.*s", used ? ", " : "", (int)l, c);
            c += l;
            while (*c == ' ')
                c++;
        }
    }
    struct var zv[] = {
        {"label", label},
        {"name", p->name},
        {"basic", basic[0] ? basic : NULL},
        {"extra", extra[0] ? extra : NULL},
        {"intensity", pl_num(p->intensity, in, sizeof in)},
        {"cov", pl_num(p->cov, cov, sizeof cov)},
        {"height", pl_num(p->h, h, sizeof h)},
        {"bio", pl_num(p->bio, bio, sizeof bio)},
        {"rule", rule},
    };
    prov_points(d, &out->text, "pogzone", zv, (int)(sizeof zv / sizeof *zv));
}

/* The POG's obszary uzupełnienia zabudowy (the multi-purpose housing zones, 15 m inside their edges) and its
 * one area of gminne standardy dostępności infrastruktury społecznej (the whole gmina), as [pog] says. */
static void pog_areas_make(struct demo *d, sqlite3_int64 plan)
{
    static const char *const sql[] = {
        "INSERT INTO pog_ouz (plan_id, iip, version, label, geom) "
        "SELECT plan_id, (SELECT iip FROM plans WHERE id = ?1) || '-' || n || 'OUZ', NULL, n || 'OUZ', g "
        "FROM (SELECT plan_id, row_number() OVER (ORDER BY id) AS n, g FROM (SELECT id, plan_id, "
        "CastToMultiPolygon(ST_Buffer(geom, -15)) AS g FROM pog_zones WHERE plan_id = ?1 AND symbol IN "
        "('SW', 'SJ', 'SZ')) WHERE g IS NOT NULL AND ST_Area(g) > 1000)",
        "INSERT INTO pog_standards (plan_id, iip, label, exclude_farmsteads, school_m, green_areas_m, "
        "green_areas_total_m2, green_area_m, green_area_m2, kindergarten_m, stop_m, geom) "
        "SELECT id, iip || '-1GSU', '1GSU', 1, 3000, 1500, 10000, 3000, 50000, 1500, 1000, geom "
        "FROM plans WHERE id = ?1"};
    for (size_t i = 0; i < sizeof sql / sizeof sql[0] && !d->rc; i++) {
        sqlite3_stmt *st = NULL;
        if (gis_store_prepare(d->st, sql[i], &st, d->e)) {
            demo_fail(d, ERR_IO, "prepare");
            return;
        }
        sqlite3_bind_int64(st, 1, plan);
        if (sqlite3_step(st) != SQLITE_DONE)
            demo_sql_fail(d, i ? "POG standards" : "POG OUZ");
        sqlite3_finalize(st);
    }
}

bool demo_pog_make(struct demo *d)
{
    struct act a = {0};
    char title[160];
    act_make(d, &a, "POG", 2026, 6, 10 + (int)text_rng_below(&d->rng, 18), 1);
    snprintf(title, sizeof title, "Plan ogólny gminy %s", d->g.name);
    sqlite3_int64 plan = plan_insert(d, "pog", &a, title, 5000, d->area);
    /* The POG covers the whole gmina: its area is the gmina's territory (what /locate and the import's
     * location rule see); d->wkb still holds it. */
    sqlite3_stmt *gb = NULL;
    if (plan && !gis_store_prepare(d->st,
                                   "INSERT INTO gmina_boundary (id, source, set_at, geom) VALUES (1, 'odra demo', "
                                   "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), GeomFromWKB(?, 2180))",
                                   &gb, d->e)) {
        sqlite3_bind_blob(gb, 1, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
        if (sqlite3_step(gb) != SQLITE_DONE)
            demo_sql_fail(d, "gmina boundary");
        sqlite3_finalize(gb);
    }
    int n = d->ncx * d->ncy;
    int *key = malloc((size_t)n * sizeof *key), *label = malloc((size_t)n * sizeof *label);
    int *stack = malloc((size_t)n * sizeof *stack), *idx = malloc((size_t)n * sizeof *idx);
    int *count = calloc((size_t)d->npdefs, sizeof *count);
    sqlite3_stmt *st = NULL;
    if (!key || !label || !stack || !idx || !count)
        demo_oom(d);
    else if (gis_store_prepare(d->st,
                               "INSERT INTO pog_zones (plan_id, label, symbol, name, max_intensity, "
                               "max_coverage_pct, max_height_m, min_bio_pct, geom, iip, profile_basic, "
                               "profile_extra, provisions) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, GeomFromWKB(?9, 2180), "
                               "(SELECT iip || '-' || ?2 FROM plans WHERE id = ?1), ?10, ?11, ?12)",
                               &st, d->e))
        demo_fail(d, ERR_IO, "prepare");
    for (int k = 0; k < n && !d->rc; k++) {
        const struct cell *c = &d->cells[k];
        const struct pog_def *p = c->land ? demo_pog_def(d, pog_symbol(c)) : NULL;
        key[k] = p ? (int)(p - d->pdefs) * 100000 + k / d->ncx / POG_SUPER * 1000 + k % d->ncx / POG_SUPER : -1;
    }
    int nc = d->rc ? 0 : demo_components(d, key, label, stack);
    for (int comp = 0; comp < nc && !d->rc; comp++) {
        int m = 0;
        for (int k = 0; k < n; k++)
            if (label[k] == comp)
                idx[m++] = k;
        const struct pog_def *p = &d->pdefs[key[idx[0]] / 100000];
        char lab[16];
        snprintf(lab, sizeof lab, "%d%s", ++count[p - d->pdefs], p->symbol);
        GEOSGeometry *u = demo_cells_union(d, idx, m);
        if (u && demo_wkb_geos(d, u)) {
            sqlite3_bind_int64(st, 1, plan);
            sqlite3_bind_text(st, 2, lab, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 3, p->symbol, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, p->name, -1, SQLITE_STATIC);
            sqlite3_bind_double(st, 5, p->intensity);
            sqlite3_bind_double(st, 6, p->cov);
            sqlite3_bind_double(st, 7, p->h);
            sqlite3_bind_double(st, 8, p->bio);
            sqlite3_bind_blob(st, 9, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
            struct pog_profile pr;
            pog_profile_make(d, p, lab, &pr);
            sqlite3_bind_text(st, 10, pr.basic, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 11, pr.extra, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 12, pr.text.p, -1, SQLITE_TRANSIENT);
            free(pr.text.p);
            if (sqlite3_step(st) != SQLITE_DONE)
                demo_sql_fail(d, "POG zone");
            sqlite3_reset(st);
            d->stats->pog_zones++;
        }
        GEOSGeom_destroy_r(d->gh, u);
    }
    struct sbuf sym = {0};
    int used = 0;
    for (int k = 0; k < d->npdefs; k++)
        used += count[k] > 0;
    for (int k = 0, m = 0; k < d->npdefs && count; k++)
        if (count[k]) {
            m++;
            sb_printf(d, &sym, "%s%d) %s, oznaczona symbolem %s%s", m > 1 ? "\n" : "", m, d->pdefs[k].name,
                      d->pdefs[k].symbol, m == used ? "." : ";");
        }
    char gm[80];
    demo_copy(gm, sizeof gm, d->g.name);
    struct var v[] = {{"gmina", gm}, {"scale", "5000"}, {"symbols", sym.p}};
    int ord = 0, para = 0;
    if (plan && sym.p)
        prov_general(d, plan, "pog", v, 3, &ord, &para);
    if (plan)
        pog_areas_make(d, plan);
    free(sym.p);
    sqlite3_finalize(st);
    free(key);
    free(label);
    free(stack);
    free(idx);
    free(count);
    return !d->rc;
}

/* ---- local plans (MPZP): zones as rectangles on the parcels' coordinates ---- */

struct zrect {
    double x0, y0, x1, y1;
};

struct pzone {
    const struct zone_def *def;
    struct zrect *r;
    int nr, cap;
    char label[16];
    double h, storeys, imin, imax, cov, bio, area;
    double top, left;
    sqlite3_int64 id;
};

struct poverlay {
    const struct overlay_def *def;
    struct zrect r;
};

enum plan_kind { PLAN_CENTRE, PLAN_ESTATE, PLAN_INDUSTRY, PLAN_VILLAGE };

struct pplan {
    int kind, set;
    sqlite3_int64 id; /* once stored */
    struct act act;   /* its act, once stored */
    char title[320];  /* once stored */
    int scale;        /* once stored */
    struct zrect b;   /* boundary */
    struct pzone *z;
    int nz, cap;
    struct poverlay ov[2];
    int nov;
};

static void pplan_free(struct pplan *p)
{
    for (int k = 0; k < p->nz; k++)
        free(p->z[k].r);
    free(p->z);
    memset(p, 0, sizeof *p);
}

/* A new zone with the defaults of its symbol, varied a little per zone. */
static int pz_new(struct demo *d, struct pplan *p, const char *symbol)
{
    const struct zone_def *def = demo_zone_def(d, symbol);
    if (!def || !(p->z = demo_grow(d, p->z, &p->cap, p->nz + 1, sizeof *p->z)))
        return -1;
    struct pzone *z = &p->z[p->nz];
    memset(z, 0, sizeof *z);
    z->def = def;
    z->h = def->h;
    z->storeys = def->storeys;
    z->imin = def->imin;
    z->imax = def->imax;
    z->cov = def->cov;
    z->bio = def->bio;
    z->area = def->area;
    if (!strcmp(def->category, "build")) {
        int v = (int)text_rng_below(&d->rng, 3) - 1;
        z->h += isfinite(z->h) ? v + 1 : 0;
        z->cov += isfinite(z->cov) ? 5 * v : 0;
        z->bio -= isfinite(z->bio) ? 5 * v : 0;
        z->imax += isfinite(z->imax) ? 0.1 * v : 0;
    }
    return p->nz++;
}

static void pz_rect(struct demo *d, struct pplan *p, int zi, double x0, double y0, double x1, double y1)
{
    if (zi < 0)
        return;
    struct pzone *z = &p->z[zi];
    if (!(z->r = demo_grow(d, z->r, &z->cap, z->nr + 1, sizeof *z->r)))
        return;
    z->r[z->nr++] = (struct zrect){x0, y0, x1, y1};
}

/* Gives the rectangle to zone zi, taking it out of every other zone (each rectangle minus it leaves at
 * most four rectangles), so zones never overlap. */
static void pz_paint(struct demo *d, struct pplan *p, int zi, double x0, double y0, double x1, double y1)
{
    for (int k = 0; k < p->nz && !d->rc; k++) {
        struct pzone *z = &p->z[k];
        if (k == zi)
            continue;
        int n = z->nr;
        for (int m = 0; m < n; m++) {
            struct zrect a = z->r[m];
            if (a.x1 <= x0 || a.x0 >= x1 || a.y1 <= y0 || a.y0 >= y1)
                continue;
            z->r[m] = (struct zrect){0, 0, 0, 0};
            double cx0 = fmax(a.x0, x0), cx1 = fmin(a.x1, x1);
            if (x0 > a.x0)
                pz_rect(d, p, k, a.x0, a.y0, x0, a.y1);
            if (x1 < a.x1)
                pz_rect(d, p, k, x1, a.y0, a.x1, a.y1);
            if (y0 > a.y0)
                pz_rect(d, p, k, cx0, a.y0, cx1, y0);
            if (y1 < a.y1)
                pz_rect(d, p, k, cx0, y1, cx1, a.y1);
            z = &p->z[k];
        }
        int w = 0;
        for (int m = 0; m < z->nr; m++)
            if (z->r[m].x1 > z->r[m].x0 && z->r[m].y1 > z->r[m].y0)
                z->r[w++] = z->r[m];
        z->nr = w;
    }
    pz_rect(d, p, zi, x0, y0, x1, y1);
}

static const char *block_symbol(int kind)
{
    static const char *const sym[] = {[BK_MN] = "MN",     [BK_MW] = "MW",    [BK_U] = "U", [BK_PARK] = "ZP",
                                      [BK_SCHOOL] = "UO", [BK_SPORT] = "US", [BK_P] = "P", [BK_INFRA] = "E"};
    return sym[kind];
}

/* A cut line through the plots of a block at about frac of a plot's width, kept 1 m off every plot
 * boundary so the plots it crosses really lie in two zones. */
static double block_cut_x(const struct block *b, double frac)
{
    int k = b->n[0] / 2;
    double x = b->xs[0][k] + frac * (b->xs[0][k + 1] - b->xs[0][k]);
    for (int tries = 0; tries < 8; tries++) {
        bool near = false;
        for (int row = 0; row < b->nrows; row++)
            for (int m = 0; m <= b->n[row]; m++) {
                double e = b->xs[row][m];
                near |= fabs(e - x) < 1;
                if (m < b->n[row] && b->split[row][m])
                    near |= fabs((b->xs[row][m] + b->xs[row][m + 1]) / 2 - x) < 1;
            }
        if (!near)
            break;
        x += 2.5;
    }
    return round(x * 100) / 100;
}

/* Zones of a plan over units [i0, i0 + w) x [j0, j0 + h) of a street grid: the streets, one zone per
 * block, and cut lines through some blocks so that plots lie in two or three zones. */
static void plan_grid(struct demo *d, struct pplan *p, int i0, int j0, int w, int h)
{
    const struct settlement *s = &d->sets[p->set];
    p->b = (struct zrect){demo_unit_x(d, i0), demo_unit_y(d, j0), demo_unit_x(d, i0 + w), demo_unit_y(d, j0 + h)};
    for (int j = j0 + h - 1; j >= j0; j--) {
        int z = pz_new(d, p, j == s->main_j ? "KDL" : "KDD");
        pz_rect(d, p, z, demo_unit_x(d, i0), demo_unit_y(d, j), demo_unit_x(d, i0 + w), demo_unit_y(d, j) + ROAD);
        for (int i = i0; i < i0 + w; i++) {
            z = pz_new(d, p, i == s->main_i ? "KDL" : "KDD");
            pz_rect(d, p, z, demo_unit_x(d, i), demo_unit_y(d, j) + ROAD, demo_unit_x(d, i) + ROAD,
                    demo_unit_y(d, j + 1));
            struct block b;
            demo_block_layout(d, p->set, i, j, &b);
            z = pz_new(d, p, block_symbol(b.kind));
            pz_rect(d, p, z, b.x0, b.y0, b.x1, b.y1);
        }
    }
    int cut = 0;
    for (int m = 0; m < w * h && cut < 3 && !d->rc; m++) {
        int i = i0 + (m * 3 + 1) % w, j = j0 + h - 1 - m / w;
        struct block b;
        demo_block_layout(d, p->set, i, j, &b);
        if (b.kind != BK_MN && b.kind != BK_U && b.kind != BK_MW && b.kind != BK_P)
            continue;
        const char *other = b.kind == BK_MN ? "U" : b.kind == BK_P ? "U" : "MN";
        double yc = b.nrows == 2 ? b.ymid + 8 : b.y0 + 30, xc = block_cut_x(&b, 0.37);
        if (cut == 0) /* the front of the plots for another use: the back rows' plots are cut */
            pz_paint(d, p, pz_new(d, p, other), b.x0, b.y0, b.x1, yc);
        else if (cut == 1) /* a west-east change of use in the middle of a plot */
            pz_paint(d, p, pz_new(d, p, other), xc, b.y0, b.x1, b.y1);
        else { /* both: the plot at the corner lies in three zones */
            pz_paint(d, p, pz_new(d, p, other), xc, b.y0, b.x1, yc);
            pz_paint(d, p, pz_new(d, p, "ZP"), xc, yc, b.x1, b.y1);
        }
        cut++;
    }
    if (p->kind == PLAN_INDUSTRY) {
        struct block b;
        demo_block_layout(d, p->set, i0, j0, &b);
        pz_paint(d, p, pz_new(d, p, "ZI"), p->b.x0, p->b.y1 - 15, p->b.x1, p->b.y1);
        pz_paint(d, p, pz_new(d, p, "E"), b.x1 - 14, b.y0, b.x1, b.y0 + 14);
    }
}

/* A village plan over cells [cx0, cx1] of the village street: the street, farmstead bands 40 m deep
 * (the 50 m plots are cut), fields behind, and a change to MN in the middle of a plot. */
static void plan_village(struct demo *d, struct pplan *p, int cx0, int cx1, int cy)
{
    double xa = demo_cell_x(d, cx0), xb = demo_cell_x(d, cx1 + 1), Y = demo_cell_y(d, cy), yr = Y + VROW * UNIT_H;
    p->b = (struct zrect){xa, Y, xb, Y + CELL};
    pz_rect(d, p, pz_new(d, p, "R"), xa, yr + ROAD + 40, xb, Y + CELL);
    pz_rect(d, p, pz_new(d, p, "RM"), xa, yr + ROAD, xb, yr + ROAD + 40);
    pz_rect(d, p, pz_new(d, p, "KDL"), xa, yr, xb, yr + ROAD);
    pz_rect(d, p, pz_new(d, p, "RM"), xa, yr - 40, xb, yr);
    pz_rect(d, p, pz_new(d, p, "R"), xa, Y, xb, yr - 40);
    struct vside vs[2];
    demo_village_layout(d, cx0, cy, vs);
    int k = vs[0].n / 3;
    double xc = round((vs[0].xs[k] + 0.4 * (vs[0].xs[k + 1] - vs[0].xs[k])) * 100) / 100;
    pz_paint(d, p, pz_new(d, p, "MN"), xc, yr + ROAD, xb, yr + ROAD + 40);
}

/* Units [i0, i0 + w) x [j0, j0 + h) are all on land, in the grid of p->set, of the allowed cell kinds, and
 * clear of the other plans. */
static bool plan_fits(struct demo *d, int set, int i0, int j0, int w, int h, unsigned kinds, const struct pplan *plans,
                      int nplans)
{
    for (int j = j0; j < j0 + h; j++)
        for (int i = i0; i < i0 + w; i++) {
            if (!demo_unit_grid(d, set, i, j))
                return false;
            const struct cell *c = demo_cell_at(d, i / UX, j / UY);
            if (c->land != LAND_FULL || !(kinds >> c->kind & 1))
                return false;
        }
    struct zrect r = {demo_unit_x(d, i0), demo_unit_y(d, j0), demo_unit_x(d, i0 + w), demo_unit_y(d, j0 + h)};
    for (int k = 0; k < nplans; k++) {
        const struct zrect *b = &plans[k].b;
        if (r.x0 < b->x1 + UNIT_W && r.x1 > b->x0 - UNIT_W && r.y0 < b->y1 + UNIT_H && r.y1 > b->y0 - UNIT_H)
            return false;
    }
    return true;
}

/* The fitting w x h unit window nearest to (x, y), trying the sizes in order. */
static bool plan_find(struct demo *d, int set, double x, double y, const int (*sizes)[2], int nsizes, unsigned kinds,
                      const struct pplan *plans, int nplans, int *oi, int *oj, int *ow, int *oh)
{
    for (int s = 0; s < nsizes; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        double best = INFINITY;
        for (int j = 0; j + h <= d->NJ; j++)
            for (int i = 0; i + w <= d->NI; i++) {
                double dd = demo_dist2(demo_unit_x(d, i) + w * UNIT_W / 2, demo_unit_y(d, j) + h * UNIT_H / 2, x, y);
                if (dd < best && plan_fits(d, set, i, j, w, h, kinds, plans, nplans)) {
                    best = dd;
                    *oi = i, *oj = j, *ow = w, *oh = h;
                }
            }
        if (isfinite(best))
            return true;
    }
    return false;
}

static int pzone_cmp(const void *a, const void *b)
{
    const struct pzone *x = a, *y = b;
    if (x->top != y->top)
        return x->top > y->top ? -1 : 1;
    if (x->left != y->left)
        return x->left < y->left ? -1 : 1;
    return strcmp(x->def->symbol, y->def->symbol);
}

static GEOSGeometry *rects_union(struct demo *d, const struct zrect *r, int n)
{
    GEOSGeometry **parts = malloc((size_t)(n ? n : 1) * sizeof *parts);
    if (!parts) {
        demo_oom(d);
        return NULL;
    }
    for (int k = 0; k < n; k++)
        parts[k] = demo_g_rect(d, r[k].x0, r[k].y0, r[k].x1, r[k].y1);
    GEOSGeometry *u = demo_g_union(d, parts, n);
    free(parts);
    return u;
}

static void plan_overlay(struct demo *d, struct pplan *p, const char *kind, double fx0, double fy0, double fx1,
                         double fy1)
{
    const struct overlay_def *o = demo_overlay_def(d, kind);
    if (!o || p->nov >= 2)
        return;
    double w = p->b.x1 - p->b.x0, h = p->b.y1 - p->b.y0;
    p->ov[p->nov++] = (struct poverlay){
        o, {round(p->b.x0 + fx0 * w), round(p->b.y0 + fy0 * h), round(p->b.x0 + fx1 * w), round(p->b.y0 + fy1 * h)}};
}

/* Stores a built plan: the act, its zones (labelled per symbol from the north-west), overlays and the
 * provisions: general, then one per zone, then one per overlay. */
/* Drops the zones that got no rectangle, orders the rest from the north-west and labels them "1MN", "2MN",
 * "1U", ... */
static void plan_zones_label(struct pplan *p)
{
    int w = 0;
    for (int k = 0; k < p->nz; k++) {
        struct pzone *z = &p->z[k];
        if (!z->nr) {
            free(z->r);
            continue;
        }
        z->top = -INFINITY, z->left = INFINITY;
        for (int m = 0; m < z->nr; m++) {
            z->top = fmax(z->top, z->r[m].y1);
            z->left = fmin(z->left, z->r[m].x0);
        }
        p->z[w++] = *z;
    }
    p->nz = w;
    if (p->nz)
        qsort(p->z, (size_t)p->nz, sizeof *p->z, pzone_cmp);
    for (int k = 0; k < p->nz; k++) {
        int n = 1;
        for (int m = 0; m < k; m++)
            n += !strcmp(p->z[m].def->symbol, p->z[k].def->symbol);
        snprintf(p->z[k].label, sizeof p->z[k].label, "%d%s", n, p->z[k].def->symbol);
    }
}

/* Writes the plan's zones, each the union of its rectangles, with their parameters (NULL where a zone has
 * none), and gives them their row ids. */
static void plan_zones_insert(struct demo *d, struct pplan *p, sqlite3_int64 plan, sqlite3_stmt *zs)
{
    for (int k = 0; k < p->nz && !d->rc; k++) {
        struct pzone *z = &p->z[k];
        GEOSGeometry *u = rects_union(d, z->r, z->nr);
        if (!u || !demo_wkb_geos(d, u)) {
            GEOSGeom_destroy_r(d->gh, u);
            demo_fail(d, ERR_INTERNAL, "zone %s has no area", z->label);
            break;
        }
        GEOSGeom_destroy_r(d->gh, u);
        double vals[] = {z->h, z->storeys, z->imin, z->imax, z->cov, z->bio, z->area};
        sqlite3_bind_int64(zs, 1, plan);
        sqlite3_bind_text(zs, 2, z->label, -1, SQLITE_STATIC);
        sqlite3_bind_text(zs, 3, z->def->symbol, -1, SQLITE_STATIC);
        sqlite3_bind_text(zs, 4, z->def->name, -1, SQLITE_STATIC);
        for (int m = 0; m < 7; m++) {
            if (!isfinite(vals[m]))
                sqlite3_bind_null(zs, 5 + m);
            else if (m == 1)
                sqlite3_bind_int(zs, 5 + m, (int)vals[m]);
            else
                sqlite3_bind_double(zs, 5 + m, vals[m]);
        }
        if (z->def->roof[0])
            sqlite3_bind_text(zs, 12, z->def->roof, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(zs, 12);
        sqlite3_bind_blob(zs, 13, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
        if (sqlite3_step(zs) != SQLITE_DONE)
            demo_sql_fail(d, "plan zone");
        sqlite3_reset(zs);
        z->id = sqlite3_last_insert_rowid(gis_store_db(d->st));
        d->stats->plan_zones++;
    }
}

/* Writes the plan's overlays, cut to its boundary, with their row ids to ov_id. */
static void plan_overlays_insert(struct demo *d, const struct pplan *p, sqlite3_int64 plan, sqlite3_stmt *os,
                                 sqlite3_int64 ov_id[2])
{
    for (int k = 0; k < p->nov && !d->rc; k++) {
        const struct zrect *r = &p->ov[k].r;
        demo_wkb_rect(d, fmax(r->x0, p->b.x0), fmax(r->y0, p->b.y0), fmin(r->x1, p->b.x1), fmin(r->y1, p->b.y1));
        sqlite3_bind_int64(os, 1, plan);
        sqlite3_bind_text(os, 2, p->ov[k].def->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(os, 3, p->ov[k].def->label, -1, SQLITE_STATIC);
        sqlite3_bind_text(os, 4, p->ov[k].def->name, -1, SQLITE_STATIC);
        sqlite3_bind_blob(os, 5, d->wkb, (int)d->wkb_len, SQLITE_STATIC);
        if (sqlite3_step(os) != SQLITE_DONE)
            demo_sql_fail(d, "overlay");
        sqlite3_reset(os);
        ov_id[k] = sqlite3_last_insert_rowid(gis_store_db(d->st));
        d->stats->overlays++;
    }
}

/* The general provisions, with the list of symbols and overlays used in this plan. */
static void plan_provisions_general(struct demo *d, const struct pplan *p, sqlite3_int64 plan, const char *title,
                                    int scale, int *ord, int *para)
{
    struct sbuf sym = {0}, ovl = {0};
    int nsym = 0;
    for (int k = 0; k < p->nz; k++) {
        bool seen = false;
        for (int m = 0; m < k; m++)
            seen |= p->z[m].def == p->z[k].def;
        nsym += !seen;
    }
    for (int k = 0, m = 0; k < p->nz; k++) {
        bool seen = false;
        for (int q = 0; q < k; q++)
            seen |= p->z[q].def == p->z[k].def;
        if (!seen) {
            m++;
            sb_printf(d, &sym, "%s%d) %s, oznaczony na rysunku planu symbolem %s%s", m > 1 ? "\n" : "", m,
                      p->z[k].def->name, p->z[k].def->symbol, m == nsym ? "." : ";");
        }
    }
    for (int k = 0; k < p->nov; k++)
        sb_printf(d, &ovl, "%s%s (%s)", k ? ", " : "", p->ov[k].def->name, p->ov[k].def->label);
    char sc[16];
    snprintf(sc, sizeof sc, "%d", scale);
    char lower[320];
    snprintf(lower, sizeof lower, "%s", title);
    if (!strncmp(lower, "Miejscowy", 9))
        lower[0] = 'm';
    struct var gv[] = {{"title", lower}, {"scale", sc}, {"symbols", sym.p}, {"overlays", ovl.p}, {"rate", "30"}};
    if (!d->rc)
        prov_general(d, plan, "mpzp", gv, 5, ord, para);
    free(sym.p);
    free(ovl.p);
}

/* Whether a building zone's line along the street is obowiązująca (the frontage of the centre's blocks:
 * MW and U there) rather than nieprzekraczalna. */
static bool zone_frontage(const struct pplan *p, const struct pzone *z)
{
    return p->kind == PLAN_CENTRE && (!strcmp(z->def->symbol, "MW") || !strcmp(z->def->symbol, "U"));
}

/* The setback of a zone's building line from the road's boundary, in metres (the provisions cite it). */
static double zone_setback(const struct pzone *z)
{
    return !strcmp(z->def->symbol, "MW") || !strcmp(z->def->symbol, "P") ? 8 : 6;
}

/* The detailed provisions of one zone: its section of the provision texts with the zone's parameters. */
static void plan_provisions_zone(struct demo *d, const struct pplan *p, const struct pzone *z, sqlite3_int64 plan,
                                 struct sbuf *body, int *ord, int *para)
{
    char h[16], st[16], imin[16], imax[16], cov[16], bio[16], area[16], width[16], sect[32], head[96];
    struct var zv[] = {
        {"label", z->label},
        {"name", z->def->name},
        {"extra", z->def->extra[0] ? z->def->extra : NULL},
        {"height", pl_num(z->h, h, sizeof h)},
        {"storeys", pl_num(z->storeys, st, sizeof st)},
        {"imin", pl_num(z->imin, imin, sizeof imin)},
        {"imax", pl_num(z->imax, imax, sizeof imax)},
        {"cov", pl_num(z->cov, cov, sizeof cov)},
        {"bio", pl_num(z->bio, bio, sizeof bio)},
        {"roof", z->def->roof[0] ? z->def->roof : NULL},
        {"area", pl_num(z->area, area, sizeof area)},
        {"setback", zone_setback(z) == 8 ? "8" : "6"},
        {"building_lines", zone_frontage(p, z) ? "obowiązujące linie zabudowy" : "nieprzekraczalne linie zabudowy"},
        {"width", pl_num(z->def->width, width, sizeof width)},
    };
    snprintf(sect, sizeof sect, "zone %s", z->def->category);
    snprintf(head, sizeof head, "§ %d. Ustalenia szczegółowe dla terenu %s", ++*para, z->label);
    sb_reset(body);
    prov_points(d, body, sect, zv, (int)(sizeof zv / sizeof *zv));
    prov_insert(d, plan, "zone", z->id, 0, ++*ord, head, body->p);
}

/* The plan's text: general provisions, then one paragraph per zone and per overlay. */
static void plan_provisions(struct demo *d, const struct pplan *p, sqlite3_int64 plan, const char *title, int scale,
                            const sqlite3_int64 ov_id[2])
{
    struct sbuf body = {0};
    int ord = 0, para = 0;
    plan_provisions_general(d, p, plan, title, scale, &ord, &para);
    for (int k = 0; k < p->nz && !d->rc; k++)
        plan_provisions_zone(d, p, &p->z[k], plan, &body, &ord, &para);
    for (int k = 0; k < p->nov && !d->rc; k++) {
        char sect[40], head[160];
        snprintf(sect, sizeof sect, "overlay %s", p->ov[k].def->kind);
        snprintf(head, sizeof head, "§ %d. Ustalenia dla obszaru %s", ++para, p->ov[k].def->label);
        struct var ov[] = {{"label", p->ov[k].def->label}};
        sb_reset(&body);
        prov_points(d, &body, sect, ov, 1);
        prov_insert(d, plan, "overlay", 0, ov_id[k], ++ord, head, body.p);
    }
    free(body.p);
}

static void plan_store_act(struct demo *d, struct pplan *p, const char *title, int scale);

/* ---- the plan drawing's lines: building lines along the roads and the protection zone ---- */

static void plan_line_put(struct demo *d, sqlite3_stmt *ls, sqlite3_int64 plan, const char *kind, const char *label,
                          const char *zone, const GEOSGeometry *g)
{
    if (!g || GEOSisEmpty_r(d->gh, g))
        return;
    /* lines and points too, so GEOS's own WKB (demo_wkb_geos writes polygons only) */
    GEOSWKBWriter *w = GEOSWKBWriter_create_r(d->gh);
    size_t len = 0;
    unsigned char *wkb = w ? GEOSWKBWriter_write_r(d->gh, w, g, &len) : NULL;
    if (w)
        GEOSWKBWriter_destroy_r(d->gh, w);
    if (!wkb) {
        demo_fail(d, ERR_INTERNAL, "plan line %s: no WKB", kind);
        return;
    }
    sqlite3_bind_int64(ls, 1, plan);
    sqlite3_bind_text(ls, 2, kind, -1, SQLITE_STATIC);
    if (label)
        sqlite3_bind_text(ls, 3, label, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(ls, 3);
    if (zone)
        sqlite3_bind_text(ls, 4, zone, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(ls, 4);
    sqlite3_bind_blob(ls, 5, wkb, (int)len, SQLITE_STATIC);
    if (sqlite3_step(ls) != SQLITE_DONE)
        demo_sql_fail(d, "plan line");
    GEOSFree_r(d->gh, wkb);
    sqlite3_reset(ls);
    sqlite3_clear_bindings(ls);
}

/* The building line of zone z: its boundary moved inwards by the setback, where that runs along a road
 * (within the setback of the roads' union). */
static GEOSGeometry *zone_building_line(struct demo *d, const struct pzone *z, const GEOSGeometry *roads)
{
    GEOSContextHandle_t h = d->gh;
    double sb = zone_setback(z);
    GEOSGeometry *zg = rects_union(d, z->r, z->nr), *inner = NULL, *ring = NULL, *near = NULL, *cut = NULL;
    if (zg)
        inner = GEOSBufferWithStyle_r(h, zg, -sb, 8, GEOSBUF_CAP_FLAT, GEOSBUF_JOIN_MITRE, 5);
    if (inner && !GEOSisEmpty_r(h, inner))
        ring = GEOSBoundary_r(h, inner);
    if (ring)
        near = GEOSBuffer_r(h, roads, sb + 0.05, 8);
    if (near)
        cut = GEOSIntersection_r(h, ring, near);
    GEOSGeometry *merged = cut && !GEOSisEmpty_r(h, cut) ? GEOSLineMerge_r(h, cut) : NULL;
    GEOSGeom_destroy_r(h, zg);
    GEOSGeom_destroy_r(h, inner);
    GEOSGeom_destroy_r(h, ring);
    GEOSGeom_destroy_r(h, near);
    GEOSGeom_destroy_r(h, cut);
    return merged;
}

/* Writes the plan's drawing lines: the building line of every building zone along its roads, and in the
 * centre plan its protection zone (strefa ochrony konserwatorskiej, as an area drawn by its outline) with
 * the protected building at its middle. Uses no random numbers, so the rest of the demo stays the same. */
static void plan_lines_insert(struct demo *d, const struct pplan *p, sqlite3_int64 plan)
{
    sqlite3_stmt *ls = NULL;
    if (gis_store_prepare(d->st,
                          "INSERT INTO plan_lines (plan_id, kind, label, zone_label, geom) "
                          "VALUES (?, ?, ?, ?, GeomFromWKB(?, 2180))",
                          &ls, d->e)) {
        demo_fail(d, ERR_IO, "prepare");
        return;
    }
    int nroad = 0;
    for (int k = 0; k < p->nz; k++)
        nroad += !strcmp(p->z[k].def->category, "road") ? p->z[k].nr : 0;
    struct zrect *rr = nroad ? malloc(sizeof *rr * (size_t)nroad) : NULL;
    int n = 0;
    for (int k = 0; rr && k < p->nz; k++)
        for (int m = 0; !strcmp(p->z[k].def->category, "road") && m < p->z[k].nr; m++)
            rr[n++] = p->z[k].r[m];
    GEOSGeometry *roads = rr ? rects_union(d, rr, n) : NULL;
    free(rr);
    for (int k = 0; roads && k < p->nz && !d->rc; k++) {
        const struct pzone *z = &p->z[k];
        if (strcmp(z->def->category, "build"))
            continue;
        GEOSGeometry *g = zone_building_line(d, z, roads);
        char mark[16];
        snprintf(mark, sizeof mark, "%g m", zone_setback(z));
        plan_line_put(d, ls, plan,
                      zone_frontage(p, z) ? "linia_zabudowy_obowiazujaca" : "linia_zabudowy_nieprzekraczalna", mark,
                      z->label, g);
        GEOSGeom_destroy_r(d->gh, g);
    }
    GEOSGeom_destroy_r(d->gh, roads);
    for (int k = 0; k < p->nov && !d->rc; k++) {
        if (strcmp(p->ov[k].def->kind, "konserwatorska"))
            continue;
        const struct zrect *r = &p->ov[k].r;
        double x0 = fmax(r->x0, p->b.x0), y0 = fmax(r->y0, p->b.y0), x1 = fmin(r->x1, p->b.x1),
               y1 = fmin(r->y1, p->b.y1);
        GEOSGeometry *g = demo_g_rect(d, x0, y0, x1, y1);
        plan_line_put(d, ls, plan, "granica_strefy_konserwatorskiej", p->ov[k].def->label, NULL, g);
        GEOSGeom_destroy_r(d->gh, g);
        GEOSCoordSequence *cs = GEOSCoordSeq_create_r(d->gh, 1, 2);
        if (cs) {
            GEOSCoordSeq_setXY_r(d->gh, cs, 0, round((x0 + x1) / 2), round((y0 + y1) / 2));
            GEOSGeometry *pt = GEOSGeom_createPoint_r(d->gh, cs);
            plan_line_put(d, ls, plan, "obiekt_zabytkowy", NULL, NULL, pt);
            GEOSGeom_destroy_r(d->gh, pt);
        }
    }
    sqlite3_finalize(ls);
}

/* One MPZP: the act, the plan row, its zones and overlays, and its text. */
static void plan_store(struct demo *d, struct pplan *p, int seq, const char *title, int scale)
{
    act_make(d, &p->act, "MPZP", 2005 + (int)text_rng_below(&d->rng, 19), 1 + (int)text_rng_below(&d->rng, 12),
             1 + (int)text_rng_below(&d->rng, 28), seq);
    plan_store_act(d, p, title, scale);
}

/* Stores plan p under its act p->act (made by the caller). */
static void plan_store_act(struct demo *d, struct pplan *p, const char *title, int scale)
{
    plan_zones_label(p);
    const struct act a = p->act;
    GEOSGeometry *all = rects_union(d, &(struct zrect){p->b.x0, p->b.y0, p->b.x1, p->b.y1}, 1);
    sqlite3_int64 plan = all ? plan_insert(d, "mpzp", &a, title, scale, all) : 0;
    p->id = plan;
    p->scale = scale;
    snprintf(p->title, sizeof p->title, "%s", title);
    GEOSGeom_destroy_r(d->gh, all);
    sqlite3_stmt *zs = NULL, *os = NULL;
    if (!plan ||
        gis_store_prepare(d->st,
                          "INSERT INTO plan_zones (plan_id, label, symbol, name, max_height_m, "
                          "max_storeys, min_intensity, max_intensity, max_coverage_pct, min_bio_pct, "
                          "min_parcel_area_m2, roof, geom) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, GeomFromWKB(?, 2180))",
                          &zs, d->e) ||
        gis_store_prepare(d->st,
                          "INSERT INTO overlays (plan_id, kind, label, name, geom) "
                          "VALUES (?, ?, ?, ?, GeomFromWKB(?, 2180))",
                          &os, d->e)) {
        demo_fail(d, ERR_IO, "prepare");
        sqlite3_finalize(zs);
        return;
    }
    sqlite3_int64 ov_id[2] = {0, 0};
    plan_zones_insert(d, p, plan, zs);
    plan_overlays_insert(d, p, plan, os, ov_id);
    plan_lines_insert(d, p, plan);
    sqlite3_finalize(zs);
    sqlite3_finalize(os);
    plan_provisions(d, p, plan, title, scale, ov_id);
}

/* ---- plan history: per gmina one repealed plan and two amendments (one in force, one from 2027) ---- */

/* The part of boundary b between fractions fx0 and fx1 of its width, on whole metres. */
static struct zrect plan_strip(const struct zrect *b, double fx0, double fx1)
{
    double w = b->x1 - b->x0;
    return (struct zrect){round(b->x0 + fx0 * w), b->y0, round(b->x0 + fx1 * w), b->y1};
}

/* A plan over r of two zones: symbol a in the north (vertical false) or west (true) half, b in the other. */
static void plan_halves(struct demo *d, struct pplan *p, int kind, struct zrect r, bool vertical, const char *a,
                        const char *b)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->b = r;
    double mx = round((r.x0 + r.x1) / 2), my = round((r.y0 + r.y1) / 2);
    int za = pz_new(d, p, a), zb = pz_new(d, p, b);
    if (vertical) {
        pz_rect(d, p, za, r.x0, r.y0, mx, r.y1);
        pz_rect(d, p, zb, mx, r.y0, r.x1, r.y1);
    } else {
        pz_rect(d, p, za, r.x0, my, r.x1, r.y1);
        pz_rect(d, p, zb, r.x0, r.y0, r.x1, my);
    }
}

/* The history of the plans, so that plans on a date can be seen and tested: the largest plan gets an
 * amendment in force since 2025 over its eastern part (U and ZP instead of its zones) and one adopted in
 * 2026 that comes into force on 1 June 2027 over its western part (MW and U); another plan replaced an
 * earlier one (MN and R, adopted about 1998), which its resolution repealed (uchylony) on the day it came
 * into force. Drawn from a random stream of its own, so the rest of the demo is the same without it. */
static void plan_history(struct demo *d, struct pplan *plans, int np)
{
    if (np == 0 || d->rc)
        return;
    struct text_rng saved = d->rng;
    d->rng = demo_rng_at(d, 2003, 7, 13);
    int t = 0;
    for (int k = 1; k < np; k++)
        if ((plans[k].b.x1 - plans[k].b.x0) * (plans[k].b.y1 - plans[k].b.y0) >
            (plans[t].b.x1 - plans[t].b.x0) * (plans[t].b.y1 - plans[t].b.y0))
            t = k;
    const struct pplan *tp = &plans[t];
    static const char prefix[] = "Miejscowy plan zagospodarowania przestrzennego ";
    const char *rest = strncmp(tp->title, prefix, sizeof prefix - 1) ? tp->title : tp->title + sizeof prefix - 1;
    char title[400];
    struct pplan h;
    /* in force: the eastern part */
    plan_halves(d, &h, tp->kind, plan_strip(&tp->b, 0.65, 1), false, "U", "ZP");
    act_make(d, &h.act, "MPZP", 2025, 2 + (int)text_rng_below(&d->rng, 3), 1 + (int)text_rng_below(&d->rng, 28), 91);
    h.act.amends = tp->id;
    snprintf(title, sizeof title, "Zmiana miejscowego planu zagospodarowania przestrzennego %s – część wschodnia",
             rest);
    plan_store_act(d, &h, title, tp->scale);
    pplan_free(&h);
    /* adopted, in force from 2027-06-01: the western part */
    plan_halves(d, &h, tp->kind, plan_strip(&tp->b, 0, 0.3), false, "MW", "U");
    act_make(d, &h.act, "MPZP", 2026, 10, 1 + (int)text_rng_below(&d->rng, 28), 92);
    snprintf(h.act.valid_from, sizeof h.act.valid_from, "2027-06-01");
    h.act.amends = tp->id;
    snprintf(title, sizeof title, "Zmiana miejscowego planu zagospodarowania przestrzennego %s – część zachodnia",
             rest);
    plan_store_act(d, &h, title, tp->scale);
    pplan_free(&h);
    /* repealed: the predecessor of another plan (of the same one when there is only one) */
    const struct pplan *sp = &plans[np > 1 ? (t == 0 ? 1 : 0) : t];
    rest = strncmp(sp->title, prefix, sizeof prefix - 1) ? sp->title : sp->title + sizeof prefix - 1;
    plan_halves(d, &h, sp->kind, sp->b, true, "MN", "R");
    act_make(d, &h.act, "MPZP", 1996 + (int)text_rng_below(&d->rng, 5), 1 + (int)text_rng_below(&d->rng, 12),
             1 + (int)text_rng_below(&d->rng, 28), 93);
    h.act.status = "uchylony";
    snprintf(h.act.valid_to, sizeof h.act.valid_to, "%s", sp->act.valid_from);
    snprintf(h.act.changed_by, sizeof h.act.changed_by, "%s", sp->act.resolution);
    snprintf(title, sizeof title,
             "Miejscowy plan zagospodarowania przestrzennego terenów zabudowy mieszkaniowej i rolniczej w rejonie %s",
             rest);
    plan_store_act(d, &h, title, sp->scale);
    pplan_free(&h);
    d->rng = saved;
}

bool demo_mpzp_make(struct demo *d)
{
    /* Plan sizes in units, largest first; each plan starts at a random one of the first three. */
    static const int centre_sizes[][2] = {{4, 4}, {5, 3}, {3, 4}, {3, 3}, {2, 2}};
    static const int estate_sizes[][2] = {{3, 4}, {4, 3}, {3, 3}, {2, 3}, {2, 2}};
    static const int industry_sizes[][2] = {{3, 3}, {4, 2}, {3, 2}, {2, 2}, {1, 2}};
    int first[3];
    for (int k = 0; k < 3; k++)
        first[k] = (int)text_rng_below(&d->rng, 3);
    const unsigned centre = 1u << CK_CENTRE | 1u << CK_TOWN | 1u << CK_PARK, estate = 1u << CK_TOWN | 1u << CK_ESTATE;
    struct pplan plans[MAX_PLANS];
    int np = 0;
    memset(plans, 0, sizeof plans);
    const struct settlement *town = &d->sets[0];
    int i0, j0, w, h;
    char title[320];
    const char *where = d->g.town ? "w mieście" : "we wsi";

    if (plan_find(d, 0, town->x, town->y, centre_sizes + first[0], 5 - first[0], centre, plans, np, &i0, &j0, &w, &h)) {
        struct pplan *p = &plans[np++];
        p->kind = PLAN_CENTRE;
        plan_grid(d, p, i0, j0, w, h);
        plan_overlay(d, p, "konserwatorska", 0.2, 0.3, 0.75, 0.92);
        double mx = (p->b.x0 + p->b.x1) / 2, my = (p->b.y0 + p->b.y1) / 2;
        if (demo_river_dist(d, mx, my) < 3000)
            plan_overlay(d, p, "powodziowa", 0, 0, 0.3, 1);
        else
            plan_overlay(d, p, "archeologiczna", 0.55, 0, 1, 0.4);
        snprintf(title, sizeof title, "Miejscowy plan zagospodarowania przestrzennego %s %s",
                 d->g.town ? "śródmieścia miasta" : "centrum wsi", town->name);
        plan_store(d, p, np, title, demo_chance(&d->rng, 0.4) ? 500 : 1000);
    }
    /* An estate at middle distance from the centre. */
    struct ranked *r = demo_rank_cells(d, 0, 0);
    int ntown = 0;
    for (int k = 0; r && k < d->ncx * d->ncy; k++)
        if (d->cells[r[k].idx].set == 0 && d->cells[r[k].idx].kind == CK_TOWN)
            r[ntown++] = r[k];
    if (ntown && !d->rc) {
        int t = r[ntown * 3 / 5].idx;
        double tx = demo_cell_x(d, t % d->ncx) + CELL / 2, ty = demo_cell_y(d, t / d->ncx) + CELL / 2;
        if (plan_find(d, 0, tx, ty, estate_sizes + first[1], 5 - first[1], estate, plans, np, &i0, &j0, &w, &h)) {
            struct pplan *p = &plans[np++];
            p->kind = PLAN_ESTATE;
            plan_grid(d, p, i0, j0, w, h);
            plan_overlay(d, p, "ujecie", 0, 0, 0.6, 0.55);
            snprintf(title, sizeof title, "Miejscowy plan zagospodarowania przestrzennego osiedla „%s” %s %s",
                     d->estates[text_rng_below(&d->rng, (unsigned)d->nestates)], where, town->name);
            plan_store(d, p, np, title, 1000);
        }
    }
    free(r);
    for (int k = 0; k < d->ncx * d->ncy && !d->rc; k++) {
        if (d->cells[k].kind != CK_INDUSTRY || d->cells[k].land != LAND_FULL)
            continue;
        double tx = demo_cell_x(d, k % d->ncx) + CELL / 2, ty = demo_cell_y(d, k / d->ncx) + CELL / 2;
        if (plan_find(d, 0, tx, ty, industry_sizes + first[2], 5 - first[2], 1u << CK_INDUSTRY, plans, np, &i0, &j0, &w,
                      &h)) {
            struct pplan *p = &plans[np++];
            p->kind = PLAN_INDUSTRY;
            plan_grid(d, p, i0, j0, w, h);
            plan_overlay(d, p, "archeologiczna", 0.3, 0, 1, 0.5);
            snprintf(title, sizeof title,
                     "Miejscowy plan zagospodarowania przestrzennego terenów aktywności gospodarczej „%s” %s %s",
                     d->estates[text_rng_below(&d->rng, (unsigned)d->nestates)], where, town->name);
            plan_store(d, p, np, title, 2000);
        }
        break;
    }
    /* The village with the longest street on full land gets a plan over one or two of its cells. */
    int best = -1, bcx = 0, bcy = 0, bn = 0;
    for (int s = 1; s < d->nsets; s++) {
        const struct settlement *v = &d->sets[s];
        if (!v->have)
            continue;
        for (int cx = 0; cx < d->ncx; cx++) {
            int n = 0;
            while (n < 2) {
                const struct cell *c = demo_cell_at(d, cx + n, v->ccy);
                if (!c || c->set != s || c->kind != CK_VILLAGE || c->land != LAND_FULL)
                    break;
                n++;
            }
            if (n > bn)
                best = s, bcx = cx, bcy = v->ccy, bn = n;
        }
    }
    if (best > 0 && np < MAX_PLANS && !d->rc) {
        struct pplan *p = &plans[np++];
        p->kind = PLAN_VILLAGE;
        p->set = best;
        plan_village(d, p, bcx, bcx + bn - 1, bcy);
        plan_overlay(d, p, "archeologiczna", 0.1, 0.3, 0.5, 0.7);
        snprintf(title, sizeof title, "Miejscowy plan zagospodarowania przestrzennego części obrębu %s",
                 d->sets[best].name);
        plan_store(d, p, np, title, 1000);
    }
    plan_history(d, plans, np);
    for (int k = 0; k < np; k++)
        pplan_free(&plans[k]);
    demo_progress(d, "plans", 1);
    return !d->rc;
}
