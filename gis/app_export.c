/* APP 2.0 GML export: acts, their documents and drawings, POG zones. */
#include "gis/app_export.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gis/app_validate.h"
#include "gis/store_sql.h"
#include "gis/wkb.h"

#define EXP_APP_ID  "https://www.gov.pl/zagospodarowanieprzestrzenne/app/"
#define EXP_CODES   "https://www.gov.pl/static/zagospodarowanieprzestrzenne/codelist/"
#define EXP_INSPIRE "http://inspire.ec.europa.eu/codelist/"
#define EXP_KPT     "https://www.gov.pl/static/zagospodarowanieprzestrzenne/ontology/KPT#KPT-MPZP-"

/* ---- text ---- */

static void exp_text(FILE *out, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n')
                fputc(*s, out);
        }
}

/* An NCName for gml:id: letters, digits, '.', '-', '_' (others become '_'), starting with a letter. */
static void exp_id(char *out, size_t cap, const char *a, const char *b, const char *c)
{
    char raw[700];
    snprintf(raw, sizeof raw, "%s_%s%s%s", a, b, c ? "_" : "", c ? c : "");
    size_t k = 0;
    if (!isalpha((unsigned char)raw[0]) && k + 1 < cap)
        out[k++] = 'x';
    for (const char *p = raw; *p && k + 1 < cap; p++)
        out[k++] = isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '_' ? *p : '_';
    out[k] = 0;
}

/* ---- geometry: the rings of a WKB (multi)polygon, transformed and written northing first ---- */

struct exp_ring {
    double *xy;
    size_t n;
    bool shell;
};

struct exp_geom {
    struct exp_ring *r;
    size_t n, cap;
    bool failed;
};

static bool exp_part(void *ctx, int kind, uint32_t n, bool shell)
{
    struct exp_geom *g = ctx;
    if (kind != 3)
        return true;
    if (g->n == g->cap) {
        size_t nc = g->cap ? 2 * g->cap : 8;
        struct exp_ring *p = realloc(g->r, nc * sizeof *p);
        if (!p)
            return g->failed = true, false;
        g->r = p, g->cap = nc;
    }
    struct exp_ring *r = &g->r[g->n++];
    r->xy = malloc((n ? n : 1) * 2 * sizeof *r->xy);
    r->n = 0;
    r->shell = shell;
    if (!r->xy)
        return g->failed = true, false;
    return true;
}

static bool exp_point(void *ctx, double x, double y)
{
    struct exp_geom *g = ctx;
    if (!g->n)
        return true;
    struct exp_ring *r = &g->r[g->n - 1];
    r->xy[2 * r->n] = x;
    r->xy[2 * r->n + 1] = y;
    r->n++;
    return true;
}

static void exp_geom_free(struct exp_geom *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->r[i].xy);
    free(g->r);
    memset(g, 0, sizeof *g);
}

static enum err_code exp_geom_read(const void *wkb, int len, enum gis_crs crs, struct exp_geom *g, struct err *e)
{
    memset(g, 0, sizeof *g);
    static const struct gis_wkb_visitor v = {exp_part, exp_point};
    if (!wkb || len <= 0 || !gis_wkb_walk(wkb, (size_t)len, &v, g) || g->failed || !g->n) {
        exp_geom_free(g);
        return err_set(e, ERR_UNPROCESSABLE, "a geometry cannot be read as polygons");
    }
    for (size_t i = 0; i < g->n; i++)
        if (gis_crs_transform(GIS_CRS_2180, crs, g->r[i].xy, g->r[i].n, e)) {
            exp_geom_free(g);
            return e->code;
        }
    return ERR_OK;
}

static size_t exp_polygons(const struct exp_geom *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++)
        n += g->r[i].shell;
    return n;
}

/* Coordinates to the micrometre: a vertex of one zone lying on a long edge of another (or of the act), a
 * T-junction, moves off that edge by the rounding, and the sliver it leaves grows with the edge's length:
 * at 1 mm a 14 km edge gives square metres of "gap" after a round trip, at 1 µm nothing. */
static void exp_poslist(FILE *out, const struct exp_ring *r, bool north_first)
{
    fputs("<gml:LinearRing><gml:posList>", out);
    for (size_t i = 0; i < r->n; i++) {
        double x = r->xy[2 * i], y = r->xy[2 * i + 1];
        fprintf(out, "%s%.6f %.6f", i ? " " : "", north_first ? y : x, north_first ? x : y);
    }
    fputs("</gml:posList></gml:LinearRing>", out);
}

/* The rings of polygon k (exterior and interiors). */
static void exp_polygon_rings(FILE *out, const struct exp_geom *g, size_t k, bool north_first)
{
    size_t p = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (g->r[i].shell && i > 0)
            p++;
        if (p != k)
            continue;
        fputs(g->r[i].shell ? "<gml:exterior>" : "<gml:interior>", out);
        exp_poslist(out, &g->r[i], north_first);
        fputs(g->r[i].shell ? "</gml:exterior>" : "</gml:interior>", out);
    }
}

/* A gml:MultiSurface (the act's zasięg). */
static void exp_multisurface(FILE *out, const struct exp_geom *g, const char *id, enum gis_crs crs)
{
    bool nf = gis_crs_north_first(crs);
    fprintf(out, "<gml:MultiSurface gml:id=\"%s-zasieg\" srsName=\"%s\" srsDimension=\"2\">", id, gis_crs_uri(crs));
    for (size_t k = 0; k < exp_polygons(g); k++) {
        fprintf(out, "<gml:surfaceMember><gml:Polygon gml:id=\"%s-zasieg-%zu\">", id, k + 1);
        exp_polygon_rings(out, g, k, nf);
        fputs("</gml:Polygon></gml:surfaceMember>", out);
    }
    fputs("</gml:MultiSurface>", out);
}

/* A surface (a zone's geometria): a gml:Polygon, or a gml:Surface of polygon patches for several parts. */
static void exp_surface(FILE *out, const struct exp_geom *g, const char *id, enum gis_crs crs)
{
    bool nf = gis_crs_north_first(crs);
    size_t np = exp_polygons(g);
    if (np == 1) {
        fprintf(out, "<gml:Polygon gml:id=\"%s-geom\" srsName=\"%s\" srsDimension=\"2\">", id, gis_crs_uri(crs));
        exp_polygon_rings(out, g, 0, nf);
        fputs("</gml:Polygon>", out);
        return;
    }
    fprintf(out, "<gml:Surface gml:id=\"%s-geom\" srsName=\"%s\" srsDimension=\"2\"><gml:patches>", id,
            gis_crs_uri(crs));
    for (size_t k = 0; k < np; k++) {
        fputs("<gml:PolygonPatch>", out);
        exp_polygon_rings(out, g, k, nf);
        fputs("</gml:PolygonPatch>", out);
    }
    fputs("</gml:patches></gml:Surface>", out);
}

/* ---- features ---- */

struct exp_act {
    char ns[300], lid[300], version[40], begin[40], id[700], href[1200];
    const char *kind, *title, *resolution, *res_date, *publication, *status, *valid_from, *valid_to, *drawing;
    long scale;
};

static const char *exp_col(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s && *s ? s : NULL;
}

/* wersjaId of a plan without one: its resolution's date (or the date it is in force from) at midnight. */
static void exp_version(struct exp_act *a, const char *version)
{
    const char *d = a->res_date ? a->res_date : a->valid_from;
    if (version)
        snprintf(a->version, sizeof a->version, "%s", version);
    else if (d && strlen(d) >= 10)
        snprintf(a->version, sizeof a->version, "%.4s%.2s%.2sT000000", d, d + 5, d + 8);
    else
        snprintf(a->version, sizeof a->version, "20000101T000000");
    const char *v = a->version;
    bool stamp = strlen(v) == 15 && v[8] == 'T';
    for (int i = 0; stamp && i < 15; i++)
        stamp = i == 8 || isdigit((unsigned char)v[i]);
    if (stamp)
        snprintf(a->begin, sizeof a->begin, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", v, v + 4, v + 6, v + 9, v + 11, v + 13);
    else if (d && strlen(d) >= 10)
        snprintf(a->begin, sizeof a->begin, "%.10sT00:00:00Z", d);
    else
        snprintf(a->begin, sizeof a->begin, "2000-01-01T00:00:00Z");
}

static void exp_ident(FILE *out, const char *ns, const char *lid, const char *version)
{
    fputs("<app:idIIP><app:Identyfikator><app:przestrzenNazw>", out);
    exp_text(out, ns);
    fputs("</app:przestrzenNazw><app:lokalnyId>", out);
    exp_text(out, lid);
    fputs("</app:lokalnyId><app:wersjaId>", out);
    exp_text(out, version);
    fputs("</app:wersjaId></app:Identyfikator></app:idIIP>", out);
}

static void exp_elem(FILE *out, const char *name, const char *value)
{
    if (!value)
        return;
    fprintf(out, "<app:%s>", name);
    exp_text(out, value);
    fprintf(out, "</app:%s>", name);
}

static void exp_ref(FILE *out, const char *name, const char *href, const char *title)
{
    fprintf(out, "<app:%s xlink:href=\"", name);
    exp_text(out, href);
    fputc('"', out);
    if (title) {
        fputs(" xlink:title=\"", out);
        exp_text(out, title);
        fputc('"', out);
    }
    /* with a space: GDAL 3.6's GML reader drops the attributes of "…\"/>" */
    fputs(" />", out);
}

static void exp_status(FILE *out, const char *status)
{
    const char *code = "legalForce", *title = "prawnie wiążący lub realizowany";
    if (status && !app_status_from_odra(status, &code, &title))
        code = "legalForce", title = "prawnie wiążący lub realizowany";
    char href[200];
    snprintf(href, sizeof href, EXP_INSPIRE "ProcessStepGeneralValue/%s", code);
    exp_ref(out, "status", href, title);
}

static void exp_write_act(FILE *out, const struct exp_act *a, const struct exp_geom *g, enum gis_crs crs)
{
    bool pog = !strcmp(a->kind, "pog");
    fprintf(out, "<wfs:member><app:AktPlanowaniaPrzestrzennego gml:id=\"%s\">", a->id);
    exp_ident(out, a->ns, a->lid, a->version);
    exp_elem(out, "poczatekWersjiObiektu", a->begin);
    exp_elem(out, "tytul", a->title);
    exp_ref(out, "typPlanu",
            pog ? EXP_CODES "TypAktuPlanowaniaPrzestrzennegoKod/planOgolnyGminy"
                : EXP_CODES "TypAktuPlanowaniaPrzestrzennegoKod/miejscowyPlanZagospodarowaniaPrzestrzennego",
            pog ? "plan ogólny gminy" : "miejscowy plan zagospodarowania przestrzennego");
    exp_ref(out, "poziomHierarchii",
            pog ? EXP_INSPIRE "LevelOfSpatialPlanValue/local" : EXP_INSPIRE "LevelOfSpatialPlanValue/infraLocal",
            pog ? "lokalny" : "sublokalny");
    exp_elem(out, "obowiazujeOd", a->valid_from);
    exp_elem(out, "obowiazujeDo", a->valid_to);
    exp_status(out, a->status);
    fputs("<app:zasiegPrzestrzenny>", out);
    exp_multisurface(out, g, a->id, crs);
    fputs("</app:zasiegPrzestrzenny>", out);
    char href[1400];
    if (a->resolution) {
        snprintf(href, sizeof href, EXP_APP_ID "DokumentFormalny/%s/%s-DOK/%s", a->ns, a->lid, a->version);
        exp_ref(out, "dokumentUchwalajacy", href, NULL);
    }
    if (a->scale > 0 || a->drawing) {
        snprintf(href, sizeof href, EXP_APP_ID "RysunekAktuPlanowaniaPrzestrzennego/%s/%s-RYS/%s", a->ns, a->lid,
                 a->version);
        exp_ref(out, "rysunek", href, NULL);
    }
    fputs("</app:AktPlanowaniaPrzestrzennego></wfs:member>\n", out);
}

/* Every plan's href and history, so that documents can name the acts they repeal or amend. */
struct exp_link {
    long long id, amends;
    char href[1200];
    char *resolution, *changed_by; /* malloc'd */
    bool ended;                    /* uchylony or wygasły */
};

struct exp_links {
    struct exp_link *l;
    size_t n;
};

static const char *exp_link_href(const struct exp_links *L, long long id)
{
    for (size_t i = 0; i < L->n; i++)
        if (L->l[i].id == id)
            return L->l[i].href;
    return NULL;
}

/* Whether some plan's resolution is text (so that plan's document repeals what text repealed). */
static bool exp_link_adopted(const struct exp_links *L, const char *text)
{
    for (size_t i = 0; text && i < L->n; i++)
        if (L->l[i].resolution && !strcmp(L->l[i].resolution, text))
            return true;
    return false;
}

/* The history links of a's document: zmienia (the plan a amends), uchyla (the ended plans whose changed_by
 * is a's resolution). */
static void exp_write_history(FILE *out, const struct exp_act *a, const struct exp_links *L, long long self)
{
    for (size_t i = 0; i < L->n; i++)
        if (L->l[i].id == self && L->l[i].amends && exp_link_href(L, L->l[i].amends))
            exp_ref(out, "zmienia", exp_link_href(L, L->l[i].amends), NULL);
    for (size_t i = 0; a->resolution && i < L->n; i++)
        if (L->l[i].ended && L->l[i].changed_by && !strcmp(L->l[i].changed_by, a->resolution))
            exp_ref(out, "uchyla", L->l[i].href, NULL);
}

static void exp_write_document(FILE *out, const struct exp_act *a, const struct exp_links *L, long long self)
{
    char lid[320], id[800];
    snprintf(lid, sizeof lid, "%s-DOK", a->lid);
    exp_id(id, sizeof id, a->ns, lid, a->version);
    fprintf(out, "<wfs:member><app:DokumentFormalny gml:id=\"%s\">", id);
    exp_ident(out, a->ns, lid, a->version);
    exp_elem(out, "tytul", a->resolution);
    exp_elem(out, "numerIdentyfikacyjny", a->publication);
    const char *d = a->res_date ? a->res_date : a->valid_from;
    fputs("<app:data><gmd:CI_Date><gmd:date><gco:Date>", out);
    exp_text(out, d ? d : "2000-01-01");
    fputs("</gco:Date></gmd:date><gmd:dateType><gmd:CI_DateTypeCode "
          "codeList=\"http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_DateTypeCode\" "
          "codeListValue=\"creation\">utworzenie</gmd:CI_DateTypeCode></gmd:dateType></gmd:CI_Date></app:data>",
          out);
    exp_elem(out, "dataWejsciaWZycie", a->valid_from);
    if (a->publication && strstr(a->publication, "Lubusk"))
        exp_ref(out, "dziennikUrzedowy", EXP_CODES "DziennikUrzedowyKod/dziennikUrzedowyWojLubuskiego",
                "Dziennik Urzędowy Woj. Lubuskiego");
    exp_ref(out, "uchwala", a->href, NULL);
    exp_write_history(out, a, L, self);
    fputs("</app:DokumentFormalny></wfs:member>\n", out);
}

/* A plan repealed by a resolution no plan of the store was adopted by: that resolution as a document of its
 * own ("<lokalnyId>-UCH"), in force from the day the plan ended, that repeals it. */
static void exp_write_repeal(FILE *out, const struct exp_act *a, const char *changed_by)
{
    char lid[320], id[800];
    snprintf(lid, sizeof lid, "%s-UCH", a->lid);
    exp_id(id, sizeof id, a->ns, lid, a->version);
    fprintf(out, "<wfs:member><app:DokumentFormalny gml:id=\"%s\">", id);
    exp_ident(out, a->ns, lid, a->version);
    exp_elem(out, "tytul", changed_by);
    fputs("<app:data><gmd:CI_Date><gmd:date><gco:Date>", out);
    exp_text(out, a->valid_to);
    fputs("</gco:Date></gmd:date><gmd:dateType><gmd:CI_DateTypeCode "
          "codeList=\"http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_DateTypeCode\" "
          "codeListValue=\"creation\">utworzenie</gmd:CI_DateTypeCode></gmd:dateType></gmd:CI_Date></app:data>",
          out);
    exp_elem(out, "dataWejsciaWZycie", a->valid_to);
    exp_ref(out, "uchyla", a->href, NULL);
    fputs("</app:DokumentFormalny></wfs:member>\n", out);
}

static void exp_write_drawing(FILE *out, const struct exp_act *a, enum gis_crs crs)
{
    char lid[320], id[800];
    snprintf(lid, sizeof lid, "%s-RYS", a->lid);
    exp_id(id, sizeof id, a->ns, lid, a->version);
    fprintf(out, "<wfs:member><app:RysunekAktuPlanowaniaPrzestrzennego gml:id=\"%s\">", id);
    exp_ident(out, a->ns, lid, a->version);
    exp_elem(out, "poczatekWersjiObiektu", a->begin);
    fputs("<app:tytul>Rysunek: ", out);
    exp_text(out, a->title);
    fputs("</app:tytul>", out);
    /* the raster itself is not in the file: its name in odra's store, where the office has it */
    fputs("<app:lacze>", out);
    exp_text(out, a->drawing ? a->drawing : "");
    fputs("</app:lacze>", out);
    exp_elem(out, "ukladOdniesieniaPrzestrzennego", gis_crs_uri(crs));
    fprintf(out, "<app:rozdzielczoscPrzestrzenna>%ld</app:rozdzielczoscPrzestrzenna>", a->scale > 0 ? a->scale : 1000);
    exp_elem(out, "obowiazujeOd", a->valid_from);
    exp_ref(out, "plan", a->href, NULL);
    fputs("</app:RysunekAktuPlanowaniaPrzestrzennego></wfs:member>\n", out);
}

static void exp_param(FILE *out, sqlite3_stmt *st, int col, const char *element)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return;
    const struct app_param *p = app_param_find(element);
    double v = sqlite3_column_double(st, col);
    fprintf(out, "<app:%s", element);
    if (p && p->uom)
        fprintf(out, " uom=\"%s\"", p->uom);
    fprintf(out, ">%.*f</app:%s>", p ? p->decimals : 1, v, element);
}

/* One reference per KPT class of a space-separated list (a zone's profile). */
static void exp_profile(FILE *out, const char *element, const char *codes)
{
    for (const char *p = codes ? codes : ""; *p;) {
        while (*p == ' ')
            p++;
        size_t l = strcspn(p, " ");
        if (!l)
            break;
        char code[16], kpt[160];
        snprintf(code, sizeof code, "%.*s", (int)(l < 15 ? l : 15), p);
        snprintf(kpt, sizeof kpt, EXP_KPT "%s", code);
        exp_ref(out, element, kpt, app_kpt_name(code));
        p += l;
    }
}

/* The identifier parts of a row with an iip ("przestrzenNazw/lokalnyId"), else the act's namespace and
 * "<act lokalnyId>-<suffix>". */
static void exp_row_ident(const char *iip, const struct exp_act *a, const char *suffix, char *ns, size_t ns_cap,
                          char *lid, size_t lid_cap)
{
    const char *slash = iip ? strrchr(iip, '/') : NULL;
    if (slash) {
        snprintf(ns, ns_cap, "%.*s", (int)(slash - iip), iip);
        snprintf(lid, lid_cap, "%s", slash + 1);
    } else {
        snprintf(ns, ns_cap, "%s", a->ns);
        snprintf(lid, lid_cap, "%s-%s", a->lid, suffix ? suffix : "?");
    }
}

/* The POG's regulations (APP Regulacja): its obszary uzupełnienia zabudowy (ObszarUzupelnieniaZabudowy) and
 * its areas of gminne standardy (ObszarStandardowDostepnosciInfrastrukturySpolecznej, with their values). */

/* What a POG object starts with, whichever its type. */
struct exp_head {
    const char *type, *id, *ns, *lid, *version, *label, *symbol;
};

/* Writes a POG object's common part, from the member's opening to the link to its plan: identifier,
 * designation and symbol, life and validity from the act, status, binding nature and geometry. */
static void exp_pog_head(FILE *out, const struct exp_head *h, const struct exp_act *a, const struct exp_geom *g,
                         enum gis_crs crs)
{
    fprintf(out, "<wfs:member><app:%s gml:id=\"%s\">", h->type, h->id);
    exp_ident(out, h->ns, h->lid, h->version);
    exp_elem(out, "oznaczenie", h->label);
    exp_elem(out, "symbol", h->symbol);
    exp_elem(out, "poczatekWersjiObiektu", a->begin);
    exp_elem(out, "obowiazujeOd", a->valid_from ? a->valid_from : a->res_date ? a->res_date : "2000-01-01");
    exp_elem(out, "obowiazujeDo", a->valid_to);
    exp_status(out, a->status);
    exp_ref(out, "charakterUstalenia", "https://inspire.ec.europa.eu/codelist/RegulationNatureValue/generallyBinding",
            "ogólnie wiążące");
    fputs("<app:geometria>", out);
    exp_surface(out, g, h->id, crs);
    fputs("</app:geometria>", out);
    exp_ref(out, "plan", a->href, NULL);
}

static enum err_code exp_write_regulations(struct gis_store *s, FILE *out, long long plan, const struct exp_act *a,
                                           enum gis_crs crs, bool standards, long *count, struct err *e)
{
    int nsd;
    const struct app_standard *sd = app_standards(&nsd);
    char sql[1400];
    size_t k = (size_t)snprintf(sql, sizeof sql, "SELECT iip, label, version, AsBinary(geom)%s",
                                standards ? ", exclude_farmsteads" : "");
    for (int i = 0; standards && i < nsd && k < sizeof sql; i++)
        k += (size_t)snprintf(sql + k, sizeof sql - k, ", %s", sd[i].column);
    if (k < sizeof sql)
        snprintf(sql + k, sizeof sql - k, " FROM %s WHERE plan_id = ? ORDER BY id",
                 standards ? "pog_standards" : "pog_ouz");
    sqlite3_stmt *st;
    if (gis_store_prepare(s, sql, &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, plan);
    const char *type = standards ? "ObszarStandardowDostepnosciInfrastrukturySpolecznej" : "ObszarUzupelnieniaZabudowy";
    enum err_code rc = ERR_OK;
    int step;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *label = exp_col(st, 1), *version = exp_col(st, 2) ? exp_col(st, 2) : a->version;
        char ns[300], lid[300], id[800], symbol[16];
        exp_row_ident(exp_col(st, 0), a, label, ns, sizeof ns, lid, sizeof lid);
        exp_id(id, sizeof id, ns, lid, version);
        /* the symbol is the designation's letters ("1OUZ" -> "OUZ") */
        const char *letters = label ? label + strspn(label, "0123456789") : "";
        snprintf(symbol, sizeof symbol, "%s", *letters ? letters : standards ? "GSU" : "OUZ");
        struct exp_geom g;
        if ((rc = exp_geom_read(sqlite3_column_blob(st, 3), sqlite3_column_bytes(st, 3), crs, &g, e)))
            break;
        struct exp_head h = {type, id, ns, lid, version, label ? label : lid, symbol};
        exp_pog_head(out, &h, a, &g, crs);
        exp_geom_free(&g);
        if (standards) {
            exp_elem(out, "wylaczenieZabudowyZagrodowej", sqlite3_column_int(st, 4) ? "true" : "false");
            for (int i = 0; i < nsd; i++) {
                bool none = sqlite3_column_type(st, 5 + i) == SQLITE_NULL;
                if (none && !sd[i].required)
                    continue;
                /* distances are whole metres, areas decimals (the XSD's documentation) */
                fprintf(out, "<app:%s uom=\"%s\">", sd[i].element, sd[i].uom);
                fprintf(out, strcmp(sd[i].uom, "m") ? "%.1f" : "%.0f", none ? 0.0 : sqlite3_column_double(st, 5 + i));
                fprintf(out, "</app:%s>", sd[i].element);
            }
        }
        fprintf(out, "</app:%s></wfs:member>\n", type);
        (*count)++;
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_IO, "%s: %s: %s", gis_store_path(s), standards ? "pog_standards" : "pog_ouz",
                     sqlite3_errmsg(gis_store_db(s)));
    sqlite3_finalize(st);
    return rc;
}

static enum err_code exp_write_zones(struct gis_store *s, FILE *out, long long plan, const struct exp_act *a,
                                     enum gis_crs crs, long *count, struct err *e)
{
    sqlite3_stmt *st;
    if (gis_store_prepare(
            s,
            "SELECT iip, label, symbol, name, max_intensity, max_coverage_pct, max_height_m, min_bio_pct, "
            "version, AsBinary(geom), profile_basic, profile_extra FROM pog_zones WHERE plan_id = ? ORDER BY id",
            &st, e))
        return e->code;
    sqlite3_bind_int64(st, 1, plan);
    enum err_code rc = ERR_OK;
    int step;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *label = exp_col(st, 1), *symbol = exp_col(st, 2), *name = exp_col(st, 3);
        const char *version = exp_col(st, 8) ? exp_col(st, 8) : a->version;
        char ns[300], lid[300], id[800];
        exp_row_ident(exp_col(st, 0), a, label, ns, sizeof ns, lid, sizeof lid);
        exp_id(id, sizeof id, ns, lid, version);
        struct exp_geom g;
        if ((rc = exp_geom_read(sqlite3_column_blob(st, 9), sqlite3_column_bytes(st, 9), crs, &g, e)))
            break;
        struct exp_head h = {"StrefaPlanistyczna", id, ns, lid, version, label, symbol};
        exp_pog_head(out, &h, a, &g, crs);
        exp_geom_free(&g);
        const struct app_zone_type *zt = app_zone_type_by_symbol(symbol);
        char href[400];
        snprintf(href, sizeof href, EXP_CODES "RodzajStrefyPlanistycznejKod/%s",
                 zt ? zt->code : (symbol ? symbol : ""));
        exp_ref(out, "nazwa", href, zt ? zt->name : name);
        /* the zone's profil funkcjonalny as stored; a zone without one has its type's whole basic profile
         * (profilPodstawowy is required) */
        exp_profile(out, "profilPodstawowy", exp_col(st, 10) ? exp_col(st, 10) : zt ? zt->profile : "");
        exp_profile(out, "profilDodatkowy", exp_col(st, 11));
        exp_param(out, st, 4, "maksNadziemnaIntensywnoscZabudowy");
        exp_param(out, st, 5, "maksUdzialPowierzchniZabudowy");
        exp_param(out, st, 6, "maksWysokoscZabudowy");
        exp_param(out, st, 7, "minUdzialPowierzchniBiologicznieCzynnej");
        fputs("</app:StrefaPlanistyczna></wfs:member>\n", out);
        (*count)++;
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_IO, "%s: pog_zones: %s", gis_store_path(s), sqlite3_errmsg(gis_store_db(s)));
    sqlite3_finalize(st);
    return rc;
}

/* The act's idIIP parts, wersjaId, gml:id and href (a->kind, res_date and valid_from set): its iip, or for a
 * plan without one the gmina's namespace (ZIPPZP number unknown) and odra's row id. */
static void exp_act_name(struct exp_act *a, long long id, const char *iip, const char *version, const char *teryt)
{
    const char *slash = iip ? strrchr(iip, '/') : NULL;
    if (slash) {
        snprintf(a->ns, sizeof a->ns, "%.*s", (int)(slash - iip), iip);
        snprintf(a->lid, sizeof a->lid, "%s", slash + 1);
    } else {
        snprintf(a->ns, sizeof a->ns, "PL.ZIPPZP.0000/%s-%s", teryt ? teryt : "0000000",
                 strcmp(a->kind, "pog") ? "MPZP" : "POG");
        snprintf(a->lid, sizeof a->lid, "odra%lld", id);
    }
    exp_version(a, version);
    exp_id(a->id, sizeof a->id, a->ns, a->lid, a->version);
    snprintf(a->href, sizeof a->href, EXP_APP_ID "AktPlanowaniaPrzestrzennego/%s/%s/%s", a->ns, a->lid, a->version);
}

static char *exp_dup(sqlite3_stmt *st, int i)
{
    const char *v = exp_col(st, i);
    return v ? strdup(v) : NULL;
}

static enum err_code exp_links_load(struct gis_store *s, const char *teryt, struct exp_links *L, struct err *e)
{
    memset(L, 0, sizeof *L);
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT id, kind, iip, version, resolution_date, valid_from, resolution, changed_by, "
                          "status IN ('uchylony', 'wygasły'), coalesce(amends_plan_id, 0) FROM plans ORDER BY id",
                          &st, e))
        return e->code;
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (L->n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            struct exp_link *p = realloc(L->l, nc * sizeof *p);
            if (!p)
                break;
            L->l = p, cap = nc;
        }
        struct exp_act a = {
            .kind = exp_col(st, 1) ? exp_col(st, 1) : "mpzp", .res_date = exp_col(st, 4), .valid_from = exp_col(st, 5)};
        exp_act_name(&a, sqlite3_column_int64(st, 0), exp_col(st, 2), exp_col(st, 3), teryt);
        struct exp_link *k = &L->l[L->n++];
        *k = (struct exp_link){.id = sqlite3_column_int64(st, 0),
                               .amends = sqlite3_column_int64(st, 9),
                               .resolution = exp_dup(st, 6),
                               .changed_by = exp_dup(st, 7),
                               .ended = sqlite3_column_int(st, 8) != 0};
        snprintf(k->href, sizeof k->href, "%s", a.href);
    }
    sqlite3_finalize(st);
    return ERR_OK;
}

static void exp_links_free(struct exp_links *L)
{
    for (size_t i = 0; i < L->n; i++)
        free(L->l[i].resolution), free(L->l[i].changed_by);
    free(L->l);
}

enum err_code gis_app_export(struct gis_store *s, const struct gis_app_export_opts *o, FILE *out,
                             struct gis_app_export_stats *stats, struct err *e)
{
    struct gis_app_export_stats dummy;
    if (!stats)
        stats = &dummy;
    memset(stats, 0, sizeof *stats);
    enum gis_crs crs = o && o->crs ? o->crs : GIS_CRS_2176;
    const char *plan = o ? o->plan : NULL;
    sqlite3_stmt *st;
    if (gis_store_prepare(s,
                          "SELECT p.id, p.kind, p.iip, p.title, p.resolution, p.resolution_date, p.publication, "
                          "p.scale, p.status, p.valid_from, p.valid_to, p.version, "
                          "AsBinary(coalesce(p.geom, (SELECT CastToMultiPolygon(ST_Union(z.geom)) FROM pog_zones z "
                          "WHERE z.plan_id = p.id))), "
                          "(SELECT name FROM plan_drawings d WHERE d.plan_id = p.id ORDER BY d.id DESC LIMIT 1), "
                          "p.changed_by, p.status IN ('uchylony', 'wygasły') "
                          "FROM plans p WHERE ?1 IS NULL OR p.iip = ?1 OR CAST(p.id AS TEXT) = ?1 ORDER BY p.id",
                          &st, e))
        return e->code;
    if (plan)
        sqlite3_bind_text(st, 1, plan, -1, SQLITE_TRANSIENT);
    struct exp_links links;
    if (exp_links_load(s, o ? o->teryt : NULL, &links, e)) {
        sqlite3_finalize(st);
        return e->code;
    }
    /* The members go to memory first: the collection's head says how many there are. */
    char *body = NULL;
    size_t body_len = 0;
    FILE *final = out;
    out = open_memstream(&body, &body_len);
    if (!out) {
        sqlite3_finalize(st);
        exp_links_free(&links);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    long members = 0;
    enum err_code rc = ERR_OK;
    int step;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct exp_act a = {0};
        long long id = sqlite3_column_int64(st, 0);
        a.kind = exp_col(st, 1) ? exp_col(st, 1) : "mpzp";
        const char *iip = exp_col(st, 2);
        a.title = exp_col(st, 3);
        a.resolution = exp_col(st, 4);
        a.res_date = exp_col(st, 5);
        a.publication = exp_col(st, 6);
        a.scale = (long)sqlite3_column_int64(st, 7);
        a.status = exp_col(st, 8);
        a.valid_from = exp_col(st, 9);
        a.valid_to = exp_col(st, 10);
        a.drawing = exp_col(st, 13);
        exp_act_name(&a, id, iip, exp_col(st, 11), o ? o->teryt : NULL);
        struct exp_geom g;
        if (sqlite3_column_type(st, 12) == SQLITE_NULL) {
            stats->skipped++;
            continue;
        }
        if ((rc = exp_geom_read(sqlite3_column_blob(st, 12), sqlite3_column_bytes(st, 12), crs, &g, e)))
            break;
        exp_write_act(out, &a, &g, crs);
        exp_geom_free(&g);
        members++;
        if (a.resolution)
            exp_write_document(out, &a, &links, id), members++;
        const char *changed_by = exp_col(st, 14);
        if (changed_by && a.valid_to && sqlite3_column_int(st, 15) && !exp_link_adopted(&links, changed_by))
            exp_write_repeal(out, &a, changed_by), members++;
        if (a.scale > 0 || a.drawing)
            exp_write_drawing(out, &a, crs), members++;
        long before = stats->zones;
        if (!strcmp(a.kind, "pog"))
            rc = exp_write_zones(s, out, id, &a, crs, &stats->zones, e);
        members += stats->zones - before;
        for (int k = 0; k < 2 && !rc && !strcmp(a.kind, "pog"); k++)
            rc = exp_write_regulations(s, out, id, &a, crs, k == 1, &members, e);
        stats->plans++;
    }
    if (!rc && step != SQLITE_DONE)
        rc = err_set(e, ERR_IO, "%s: plans: %s", gis_store_path(s), sqlite3_errmsg(gis_store_db(s)));
    sqlite3_finalize(st);
    exp_links_free(&links);
    fclose(out);
    out = final;
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<wfs:FeatureCollection xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" "
            "xmlns:gml=\"http://www.opengis.net/gml/3.2\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
            "xmlns:gmd=\"http://www.isotc211.org/2005/gmd\" xmlns:gco=\"http://www.isotc211.org/2005/gco\" "
            "xmlns:app=\"" APP_NS_BASE "2.0\" timeStamp=\"%s\" numberMatched=\"%ld\" numberReturned=\"%ld\">\n",
            stamp, members, members);
    if (body_len)
        fwrite(body, 1, body_len, out);
    free(body);
    fputs("</wfs:FeatureCollection>\n", out);
    if (!rc && plan && !stats->plans)
        rc = err_set(e, stats->skipped ? ERR_UNPROCESSABLE : ERR_NOT_FOUND,
                     stats->skipped ? "plan %s has no boundary and no zones to export" : "no plan with idIIP or id %s",
                     plan);
    if (!rc && ferror(out))
        rc = err_set(e, ERR_IO, "cannot write the export");
    return rc;
}
