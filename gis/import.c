/* Import of OGR vector sources into a store: hostile-input checks, field mapping and presets,
 * reprojection to EPSG:2180, GEOS validation and repair, zone overlaps, all in one transaction. */
#include "gis/import.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_http.h>
#include <cpl_string.h>
#include <ctype.h>
#include <gdal.h>
#include <geos_c.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "gis/app_validate.h"
#include "gis/changes.h"
#include "gis/coverage.h"
#include "gis/import_app.h"
#include "gis/layers.h"
#include "gis/report.h"
#include "gis/store_sql.h"
#include "util/text.h"

#define IMPORT_MAX_DEPTH         4       /* nesting of geometry collections */
#define IMPORT_MAX_PARTS         100000L /* polygons + rings per feature */
#define IMPORT_MAX_TEXT          10000   /* bytes in one attribute value */
#define IMPORT_SNIFF             4096    /* bytes looked at to tell XML from the rest */
#define IMPORT_MAX_TARGETS       12
#define IMPORT_MAX_PARTS_PER_SRC 4  /* fields joined or tried in one mapping */
#define IMPORT_CACHE             64 /* remembered obręby, localities, streets, plans */

/* EPSG:2180 coordinates that can be in Poland (x = easting, y = northing), with a margin. */
static const double import_2180_box[4] = {100000, 50000, 950000, 1000000};
/* Poland in lon/lat with a margin, for telling swapped axes. */
static const double import_pl_lonlat[4] = {13.0, 48.0, 25.0, 56.0};

/* ---- collections and presets ---- */

enum import_kind { V_TEXT, V_REAL, V_INT, V_DATE };

struct import_target {
    const char *name;
    enum import_kind kind;
    bool required;
};

enum import_coll { C_PARCELS, C_ADDRESSES, C_BUILDINGS, C_PLANS, C_PLAN_ZONES, C_POG_ZONES, C_PLAN_LINES };

/* What an import writes into one layer: the layer is the collection `name` of the layer table
 * (gis/layers.c), which says its table and geometry type; the targets are the import's own schema of it
 * (the source fields it reads, their types and which are required). */
struct import_collection {
    const char *name;
    enum import_coll id;
    struct import_target t[IMPORT_MAX_TARGETS];
};

/* Target indexes, in the order of each collection's table below. */
/* clang-format off */
enum { P_PARCEL_ID, P_NUMBER, P_OBREB, P_LAND_USE, P_AREA };
enum { A_LOCALITY, A_STREET, A_NUMBER, A_POSTAL, A_SIMC, A_ULIC, A_PARCEL_ID };
enum { B_ID, B_FUNCTION, B_STOREYS };
enum { L_KIND, L_TITLE, L_IIP, L_RESOLUTION, L_RES_DATE, L_PUBLICATION, L_SCALE, L_STATUS, L_VALID_FROM, L_VALID_TO,
       L_VERSION };
enum { Z_PLAN, Z_LABEL, Z_SYMBOL, Z_NAME, Z_MAX_HEIGHT, Z_MAX_STOREYS, Z_MIN_INT, Z_MAX_INT, Z_MAX_COV, Z_MIN_BIO,
       Z_MIN_PARCEL, Z_ROOF };
enum { G_PLAN, G_LABEL, G_SYMBOL, G_NAME, G_MAX_INT, G_MAX_COV, G_MAX_HEIGHT, G_MIN_BIO, G_IIP, G_VERSION };
enum { N_PLAN, N_KIND, N_LABEL, N_ZONE };

static const struct import_collection import_collections[] = {
    {"parcels", C_PARCELS,
     {{"parcel_id", V_TEXT, true}, {"number", V_TEXT, false}, {"obreb", V_TEXT, false}, {"land_use", V_TEXT, false},
      {"area_m2", V_REAL, false}}},
    {"addresses", C_ADDRESSES,
     {{"locality", V_TEXT, true}, {"street", V_TEXT, false}, {"number", V_TEXT, true}, {"postal_code", V_TEXT, false},
      {"simc", V_TEXT, false}, {"ulic", V_TEXT, false}, {"parcel_id", V_TEXT, false}}},
    {"buildings", C_BUILDINGS,
     {{"building_id", V_TEXT, false}, {"function", V_TEXT, false}, {"storeys", V_INT, false}}},
    {"plans", C_PLANS,
     {{"kind", V_TEXT, true}, {"title", V_TEXT, true}, {"iip", V_TEXT, false}, {"resolution", V_TEXT, false},
      {"resolution_date", V_DATE, false}, {"publication", V_TEXT, false}, {"scale", V_INT, false},
      {"status", V_TEXT, false}, {"valid_from", V_DATE, false}, {"valid_to", V_DATE, false},
      {"version", V_TEXT, false}}},
    {"plan-zones", C_PLAN_ZONES,
     {{"plan", V_TEXT, false}, {"label", V_TEXT, true}, {"symbol", V_TEXT, false}, {"name", V_TEXT, false},
      {"max_height_m", V_REAL, false}, {"max_storeys", V_INT, false}, {"min_intensity", V_REAL, false},
      {"max_intensity", V_REAL, false}, {"max_coverage_pct", V_REAL, false}, {"min_bio_pct", V_REAL, false},
      {"min_parcel_area_m2", V_REAL, false}, {"roof", V_TEXT, false}}},
    {"pog-zones", C_POG_ZONES,
     {{"plan", V_TEXT, false}, {"label", V_TEXT, true}, {"symbol", V_TEXT, false}, {"name", V_TEXT, false},
      {"max_intensity", V_REAL, false}, {"max_coverage_pct", V_REAL, false}, {"max_height_m", V_REAL, false},
      {"min_bio_pct", V_REAL, false}, {"iip", V_TEXT, false}, {"version", V_TEXT, false}}},
    {"plan-lines", C_PLAN_LINES,
     {{"plan", V_TEXT, false}, {"kind", V_TEXT, true}, {"label", V_TEXT, false}, {"zone_label", V_TEXT, false}}},
};
/* clang-format on */
#define IMPORT_NCOLL ((int)(sizeof import_collections / sizeof import_collections[0]))

/* The layer table's entry of a collection the import writes (every one of them is a core layer). */
static const struct gis_layer *import_layer(const struct import_collection *c)
{
    const struct gis_layer *L;
    for (int k = 0; (L = gis_layer_at(k)); k++)
        if (L->collection.id && !strcmp(L->collection.id, c->name))
            return L;
    return NULL;
}

/* The table a collection's layer lives in, and whether its geometry is points. */
static const char *import_table(const struct import_collection *c)
{
    return import_layer(c)->table;
}

static bool import_points(const struct import_collection *c)
{
    return !strcmp(import_layer(c)->collection.geometry_type, "Point");
}

/* A collection of any geometry: lines, points, or polygons drawn by their outline (plan-lines). */
static bool import_any(const struct import_collection *c)
{
    return !strcmp(import_layer(c)->collection.geometry_type, "Geometry");
}

static const char *import_geometry_need(const struct import_collection *c)
{
    return import_points(c) ? "point" : import_any(c) ? "line, point or polygon" : "polygon";
}

static int import_ntargets(const struct import_collection *c)
{
    int n = 0;
    while (n < IMPORT_MAX_TARGETS && c->t[n].name)
        n++;
    return n;
}

/* A preset maps targets to source fields: "a|b" tries a then b, "a/b" joins a and b with '/'. */
struct import_preset {
    const char *name;
    enum import_coll coll;
    const char *layer; /* the only layer read */
    const char *ident; /* field naming a feature in the report */
    struct {
        const char *target, *src;
    } f[IMPORT_MAX_TARGETS];
};

/* clang-format off */
static const struct import_preset import_presets[] = {
    {"app-strefy", C_POG_ZONES, "StrefaPlanistyczna", "lokalnyId",
     {{"label", "oznaczenie"},
      {"symbol", "symbol"},
      {"name", "nazwa_title|nazwa"},
      {"max_intensity", "maksNadziemnaIntensywnoscZabudowy|maksymalnaNadziemnaIntensywnoscZabudowy"},
      {"max_coverage_pct", "maksUdzialPowierzchniZabudowy|maksymalnyUdzialPowierzchniZabudowy"},
      {"max_height_m", "maksWysokoscZabudowy|maksymalnaWysokoscZabudowy"},
      {"min_bio_pct", "minUdzialPowierzchniBiologicznieCzynnej|minimalnyUdzialPowierzchniBiologicznieCzynnej"},
      {"iip", "przestrzenNazw/lokalnyId"},
      {"version", "wersjaId"}}},
    {"app-akt", C_PLANS, "AktPlanowaniaPrzestrzennego", "lokalnyId",
     {{"kind", "typPlanu_title|typPlanu_href|typPlanu"},
      {"title", "tytul"},
      {"iip", "przestrzenNazw/lokalnyId"},
      {"status", "status_title|status"},
      {"valid_from", "obowiazujeOd"},
      {"valid_to", "obowiazujeDo"},
      {"version", "wersjaId"}}},
};
/* clang-format on */
#define IMPORT_NPRESET ((int)(sizeof import_presets / sizeof import_presets[0]))

/* Names of POG zones (strefy planistyczne) and common MPZP symbols, for zones that come without one. */
/* clang-format off */
static const char *const import_zone_names[][2] = {
    {"SW", "strefa wielofunkcyjna z zabudową mieszkaniową wielorodzinną"},
    {"SJ", "strefa wielofunkcyjna z zabudową mieszkaniową jednorodzinną"},
    {"SZ", "strefa wielofunkcyjna z zabudową zagrodową"},
    {"SU", "strefa usługowa"},
    {"SH", "strefa handlu wielkopowierzchniowego"},
    {"SP", "strefa gospodarcza"},
    {"SR", "strefa produkcji rolniczej"},
    {"SI", "strefa infrastrukturalna"},
    {"SN", "strefa zieleni i rekreacji"},
    {"SC", "strefa cmentarzy"},
    {"SG", "strefa górnictwa"},
    {"SO", "strefa otwarta"},
    {"SK", "strefa komunikacyjna"},
    {"MN", "teren zabudowy mieszkaniowej jednorodzinnej"},
    {"MW", "teren zabudowy mieszkaniowej wielorodzinnej"},
    {"U", "teren zabudowy usługowej"},
    {"US", "teren sportu i rekreacji"},
    {"P", "teren zabudowy produkcyjnej, składów i magazynów"},
    {"R", "teren rolniczy"},
    {"RM", "teren zabudowy zagrodowej"},
    {"ZL", "teren lasu"},
    {"ZP", "teren zieleni urządzonej"},
    {"ZC", "teren cmentarza"},
    {"ZD", "teren ogrodów działkowych"},
    {"WS", "teren wód powierzchniowych"},
    {"KDG", "teren drogi publicznej klasy głównej"},
    {"KDZ", "teren drogi publicznej klasy zbiorczej"},
    {"KDL", "teren drogi publicznej klasy lokalnej"},
    {"KDD", "teren drogi publicznej klasy dojazdowej"},
    {"KDW", "teren drogi wewnętrznej"},
    {NULL, NULL},
};
/* clang-format on */

/* ---- small helpers ---- */

static char *import_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static const char *import_basename(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static const char *import_ext(const char *p)
{
    const char *b = import_basename(p), *d = strrchr(b, '.');
    return d ? d + 1 : "";
}

static bool import_ext_in(const char *p, const char *const *list)
{
    const char *x = import_ext(p);
    for (int i = 0; list[i]; i++)
        if (!strcasecmp(x, list[i]))
            return true;
    return false;
}

static const char *const import_xml_exts[] = {"xml", "gml", "kml", "gfs", "xsd", "svg", NULL};
static const char *const import_data_exts[] = {"geojson", "json", "geojsonl", "geojsons", "gpkg", "shp",
                                               "gml",     "xml",  "kml",      "csv",      "fgb",  NULL};

/* Copies s into out, turning control characters (GDAL messages have newlines) into spaces. */
static void import_oneline(char *out, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s && *s && i + 1 < cap; s++)
        out[i++] = (unsigned char)*s < 0x20 ? ' ' : *s;
    out[i] = 0;
}

/* ---- hostile input: DOCTYPE scan and zip checks ---- */

/* A streaming scan for markup declarations: "<!" followed by a letter (DOCTYPE, ENTITY, ELEMENT,
 * ATTLIST, NOTATION). Comments "<!--" and "<![CDATA[" are fine. */
struct import_dtd {
    int state; /* 0 text, 1 after '<', 2 after "<!", 3 in the keyword */
    char word[12];
    int nword;
};

static bool import_dtd_feed(struct import_dtd *s, const unsigned char *p, size_t n)
{
    const unsigned char *end = p + n;
    while (p < end) {
        if (s->state == 0) {
            const unsigned char *lt = memchr(p, '<', (size_t)(end - p));
            if (!lt)
                return false;
            p = lt + 1;
            s->state = 1;
            continue;
        }
        unsigned char c = *p++;
        if (s->state == 1)
            s->state = c == '!' ? 2 : c == '<' ? 1 : 0;
        else if (s->state == 2) {
            if (isalpha(c)) {
                s->word[0] = (char)toupper(c);
                s->nword = 1;
                s->state = 3;
            } else
                s->state = c == '<' ? 1 : 0;
        } else {
            if (isalpha(c) && s->nword < (int)sizeof s->word - 1) {
                s->word[s->nword++] = (char)toupper(c);
                continue;
            }
            s->word[s->nword] = 0;
            return true;
        }
    }
    return false;
}

/* At the end of the input: true when it ended inside a declaration keyword. */
static bool import_dtd_end(struct import_dtd *s)
{
    s->word[s->nword] = 0;
    return s->state == 3;
}

/* True when a file named name that starts with head (n bytes) may be parsed as XML by some driver: an XML
 * extension, or '<' first after a byte-order mark and white space (what GDAL's XML drivers look for). A
 * UTF-16 mark counts too. Binary formats are not scanned: "<!" and a letter occur by chance in them. */
static bool import_looks_xml(const char *name, const unsigned char *head, size_t n)
{
    if (import_ext_in(name, import_xml_exts))
        return true;
    size_t i = 0;
    if (n >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF)))
        return true;
    if (n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF)
        i = 3;
    while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    return i < n && (head[i] == '<' || (head[i] == 0 && i + 1 < n && head[i + 1] == '<'));
}

static enum err_code import_dtd_found(const char *what, const struct import_dtd *s, struct err *e)
{
    return err_set(e, ERR_UNPROCESSABLE,
                   "%s: XML with a <!%s declaration is refused (DOCTYPE/ENTITY: entity expansion risk)", what, s->word);
}

static bool import_utf16(const unsigned char *h, size_t n)
{
    return n >= 2 && ((h[0] == 0xFF && h[1] == 0xFE) || (h[0] == 0xFE && h[1] == 0xFF) || (h[0] == 0 && h[1] == '<') ||
                      (h[0] == '<' && h[1] == 0));
}

static bool import_entry_unsafe(const char *n)
{
    if (!*n || n[0] == '/' || strchr(n, '\\') || (isalpha((unsigned char)n[0]) && n[1] == ':'))
        return true;
    for (const char *p = n; *p; p++)
        if ((unsigned char)*p < 0x20)
            return true;
    for (const char *p = n; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += len;
        if (*p == '/')
            p++;
    }
    return false;
}

static enum err_code import_check_zip(const char *path, struct err *e)
{
    int zerr = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        err_set(e, ERR_UNPROCESSABLE, "%s: not a readable zip archive: %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return ERR_UNPROCESSABLE;
    }
    enum err_code rc = ERR_OK;
    zip_int64_t n = zip_get_num_entries(za, 0);
    if (n > GIS_IMPORT_ZIP_MAX_ENTRIES) {
        rc = err_set(e, ERR_TOO_LARGE, "%s: zip archive with %lld entries (at most %ld accepted)", path, (long long)n,
                     GIS_IMPORT_ZIP_MAX_ENTRIES);
        goto done;
    }
    unsigned long long total = 0, total_comp = 0;
    for (zip_int64_t i = 0; i < n && !rc; i++) {
        zip_stat_t st;
        if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME)) {
            rc = err_set(e, ERR_UNPROCESSABLE, "%s: zip entry %lld cannot be read: %s", path, (long long)i,
                         zip_strerror(za));
            break;
        }
        if (import_entry_unsafe(st.name)) {
            char name[200];
            import_oneline(name, sizeof name, st.name);
            rc = err_set(e, ERR_UNPROCESSABLE,
                         "%s: zip entry \"%s\" has an unsafe path (absolute, with .. or with backslashes)", path, name);
            break;
        }
        unsigned long long size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
        unsigned long long comp = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
        total += size;
        total_comp += comp;
        if (total > (unsigned long long)GIS_IMPORT_ZIP_MAX_BYTES)
            rc = err_set(e, ERR_TOO_LARGE, "%s: zip archive unpacks to more than %lld bytes", path,
                         (long long)GIS_IMPORT_ZIP_MAX_BYTES);
        else if (size > (1u << 20) && size > (unsigned long long)GIS_IMPORT_ZIP_MAX_RATIO * (comp ? comp : 1)) {
            char name[200];
            import_oneline(name, sizeof name, st.name);
            rc = err_set(e, ERR_TOO_LARGE, "%s: zip entry \"%s\" is compressed more than %d:1 (zip bomb?)", path, name,
                         GIS_IMPORT_ZIP_MAX_RATIO);
        }
    }
    if (!rc && total > (1u << 20) &&
        total > (unsigned long long)GIS_IMPORT_ZIP_MAX_RATIO * (total_comp ? total_comp : 1))
        rc = err_set(e, ERR_TOO_LARGE, "%s: zip archive is compressed more than %d:1 (zip bomb?)", path,
                     GIS_IMPORT_ZIP_MAX_RATIO);
    /* XML inside: read it (sizes are bounded above) and refuse any DOCTYPE. Every entry's first bytes are
     * sniffed, since drivers recognise XML by content whatever the name says. */
    for (zip_int64_t i = 0; i < n && !rc; i++) {
        zip_stat_t st;
        if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) || st.size == 0)
            continue;
        zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)i, 0);
        if (!zf) {
            rc = err_set(e, ERR_UNPROCESSABLE, "%s: zip entry \"%s\" cannot be read: %s", path, st.name,
                         zip_strerror(za));
            break;
        }
        unsigned char buf[65536];
        struct import_dtd dtd = {0};
        zip_int64_t got = zip_fread(zf, buf, sizeof buf);
        bool xml = got > 0 && import_looks_xml(st.name, buf, (size_t)(got < IMPORT_SNIFF ? got : IMPORT_SNIFF));
        unsigned long long seen = 0;
        char what[600];
        snprintf(what, sizeof what, "%s: zip entry \"%s\"", path, st.name);
        if (xml && import_utf16(buf, (size_t)got))
            rc = err_set(e, ERR_UNPROCESSABLE, "%s: UTF-16 XML is not accepted; convert it to UTF-8", what);
        while (xml && !rc && got > 0) {
            seen += (unsigned long long)got;
            if (seen > st.size) {
                rc = err_set(e, ERR_UNPROCESSABLE, "%s: more data than the archive declares", what);
                break;
            }
            if (import_dtd_feed(&dtd, buf, (size_t)got)) {
                rc = import_dtd_found(what, &dtd, e);
                break;
            }
            got = zip_fread(zf, buf, sizeof buf);
        }
        if (xml && !rc && got == 0 && import_dtd_end(&dtd))
            rc = import_dtd_found(what, &dtd, e);
        if (!rc && got < 0)
            rc = err_set(e, ERR_UNPROCESSABLE, "%s: cannot be unpacked: %s", what, zip_file_strerror(zf));
        zip_fclose(zf);
    }
done:
    zip_discard(za);
    return rc;
}

enum err_code gis_import_check_file(const char *path, struct err *e)
{
    struct stat sb;
    if (!path || !*path)
        return err_set(e, ERR_INVALID, "no file name given");
    if (!strncmp(path, "/vsi", 4))
        return err_set(e, ERR_INVALID, "%s: GDAL virtual file systems are not accepted; give a local file", path);
    if (stat(path, &sb) != 0)
        return err_set(e, ERR_NOT_FOUND, "%s: no such file", path);
    if (!S_ISREG(sb.st_mode))
        return err_set(e, ERR_INVALID, "%s: not a regular file", path);
    if (sb.st_size == 0)
        return err_set(e, ERR_UNPROCESSABLE, "%s: empty file", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(e, ERR_IO, "%s: cannot open for reading", path);
    unsigned char head[IMPORT_SNIFF];
    size_t n = fread(head, 1, sizeof head, f);
    enum err_code rc = ERR_OK;
    if (n >= 4 && head[0] == 'P' && head[1] == 'K' &&
        ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6))) {
        fclose(f);
        return import_check_zip(path, e);
    }
    if (import_looks_xml(path, head, n)) {
        if (import_utf16(head, n)) {
            fclose(f);
            return err_set(e, ERR_UNPROCESSABLE, "%s: UTF-16 XML is not accepted; convert it to UTF-8", path);
        }
        struct import_dtd dtd = {0};
        unsigned char buf[65536];
        bool found = import_dtd_feed(&dtd, head, n);
        size_t got;
        while (!found && (got = fread(buf, 1, sizeof buf, f)) > 0)
            found = import_dtd_feed(&dtd, buf, got);
        found = found || import_dtd_end(&dtd);
        if (found)
            rc = import_dtd_found(path, &dtd, e);
        else if (ferror(f))
            rc = err_set(e, ERR_IO, "%s: read error", path);
    }
    fclose(f);
    return rc;
}

/* ---- GDAL and GEOS plumbing ---- */

static pthread_once_t import_once = PTHREAD_ONCE_INIT;

static void import_global_init(void)
{
    GDALAllRegister();
}

/* GDAL messages go to the import, not to stderr: the first failure is kept for the error line. */
struct import_cpl {
    int failures;
    char msg[300];
};

static void import_cpl_handler(CPLErr cls, CPLErrorNum no, const char *msg)
{
    (void)no;
    struct import_cpl *c = CPLGetErrorHandlerUserData();
    if (!c || (cls != CE_Failure && cls != CE_Fatal))
        return;
    if (c->failures++ == 0)
        import_oneline(c->msg, sizeof c->msg, msg);
}

/* Every HTTP request GDAL would make (remote XSD, GeoJSON "crs" links, ...) is answered with an error. */
static CPLHTTPResult *import_no_network(const char *url, CSLConstList opts, GDALProgressFunc pf, void *pa,
                                        CPLHTTPFetchWriteFunc wf, void *wa, void *user)
{
    (void)opts, (void)pf, (void)pa, (void)wf, (void)wa, (void)user;
    CPLHTTPResult *r = CPLCalloc(1, sizeof *r);
    r->nStatus = 1;
    r->pszErrBuf = CPLStrdup("network access is disabled during odra import");
    CPLError(CE_Warning, CPLE_AppDefined, "odra import: refused to fetch %s", url);
    return r;
}

/* Thread-local GDAL settings for the duration of one import, restored afterwards. */
static const char *const import_config[][2] = {
    {"GML_SKIP_RESOLVE_ELEMS", "ALL"}, {"GML_ATTRIBUTES_TO_OGR_FIELDS", "YES"},
    {"GML_DOWNLOAD_WFS_SCHEMA", "NO"}, {"GDAL_HTTP_TIMEOUT", "1"},
    {"GDAL_HTTP_MAX_RETRY", "0"},      {"CPL_VSIL_CURL_ALLOWED_EXTENSIONS", ".odra-no-network"},
};
#define IMPORT_NCONFIG ((int)(sizeof import_config / sizeof import_config[0]))

struct import_geos {
    char msg[300];
};

static void import_geos_handler(const char *msg, void *user)
{
    struct import_geos *g = user;
    if (!g->msg[0])
        import_oneline(g->msg, sizeof g->msg, msg);
}

/* ---- the run ---- */

/* How one target is filled from one layer. */
enum import_src_kind { S_NONE, S_FIELD, S_JOIN, S_CONST };

struct import_map {
    const char *spec;  /* "a", "a|b", "a/b", "'text'", or NULL */
    bool explicit_map; /* from --map: a missing field is an error */
};

struct import_resolved {
    enum import_src_kind kind;
    int idx[IMPORT_MAX_PARTS_PER_SRC];
    int n;
    const char *literal;
};

struct import_layer {
    OGRLayerH h;
    char *name;
    struct import_resolved r[IMPORT_MAX_TARGETS];
    int ident;                             /* field naming features in the report, or -1 */
    int app_ns, app_lid;                   /* app-strefy: przestrzenNazw and lokalnyId */
    OGRSpatialReferenceH srs;              /* source CRS, traditional axis order; NULL for EPSG:2180 as is */
    OGRCoordinateTransformationH ct, back; /* to EPSG:2180 and back (for reporting places); NULL if none */
    char crs_name[64];
    bool swap; /* the source is northing-first: swap x and y before transforming */
    long count;
};

struct import_source {
    char *path;  /* GDAL path: the file, or /vsizip/file/entry */
    char *label; /* the name used in reports */
    GDALDatasetH ds;
    struct import_layer *layers;
    int nlayers;
};

/* app-akt: DokumentFormalny and RysunekAktuPlanowaniaPrzestrzennego records of the same file. */
struct import_app_extra {
    char *href; /* the act it points at */
    char *resolution, *date, *publication;
    long scale;
};

struct import_cache {
    char *key;
    long long id;
};

struct import_zone {
    GEOSGeometry *g;
    char *name;
    long long plan;
};

struct import_run {
    struct gis_store *w;
    sqlite3 *db;
    const struct gis_import_opts *o;
    const struct import_collection *c;
    const struct import_preset *p;
    int nt;
    struct import_map map[IMPORT_MAX_TARGETS];
    struct gis_import_stats *st;
    FILE *report;
    struct err *e;

    struct import_cpl cpl;
    OGRSpatialReferenceH s_srs, dst;
    struct import_source *src;
    int nsrc;
    struct import_app_extra *extra;
    int nextra;

    GEOSContextHandle_t gh;
    struct import_geos geos;
    GEOSWKBReader *rd;
    GEOSWKBWriter *wr;
    GEOSMakeValidParams *mvp;

    sqlite3_stmt *ins, *obreb_get, *obreb_add, *obreb_name, *loc_get, *loc_add, *street_get, *street_add, *addr_get,
        *addr_upd, *plan_get, *kind_get;
    long long max_id;       /* largest id in the target table before the import */
    char *index_trigger[2]; /* the spatial-index triggers set aside during the import (their SQL) */
    long long *moved;       /* ids of updated rows, whose index entries are renewed at the end */
    size_t nmoved, capmoved;
    long long default_plan; /* zones without a plan value: the plan they belong to, 0 if undecided */
    struct import_cache cache[4][IMPORT_CACHE];
    int ncache[4];
    struct import_zone *zones;
    size_t nzones, capzones;

    /* validation */
    struct gis_report *rp;           /* the findings */
    const struct app_scan *scan;     /* the APP pre-pass (NULL when no file is APP) */
    bool app;                        /* APP source: faults of features are errors, not repairs */
    GEOSGeometry *gmina;             /* the gmina's territory from the store, or NULL */
    struct gis_territory *territory; /* gmina, prepared and widened by the tolerance */
    double fault_pt[2];              /* where GEOS found the last feature's fault, EPSG:2180 */
    long long *plans;                /* POG plans whose zones this import wrote, for the coverage */
    size_t nplans, capplans;

    unsigned char *wkb;
    size_t wkbcap;
    double *xs, *ys;
    size_t xycap;

    long total; /* features expected, -1 when unknown */
    double last_progress;
    bool progress, progress_shown;
};

enum { CACHE_OBREB, CACHE_LOCALITY, CACHE_STREET, CACHE_PLAN };

static double import_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Writes one report line (fmt has no newline). A progress line on the terminal is wiped first, so the two
 * never share a line. */
static void import_say(struct import_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void import_say(struct import_run *r, const char *fmt, ...)
{
    if (!r->report)
        return;
    if (r->progress_shown) {
        fprintf(stderr, "\r%70s\r", "");
        r->progress_shown = false;
    }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->report, fmt, ap);
    va_end(ap);
    fputc('\n', r->report);
}

static enum err_code import_sqlite_err(struct import_run *r, const char *what)
{
    return err_set(r->e, ERR_IO, "%s: %s: %s", gis_store_path(r->w), what, sqlite3_errmsg(r->db));
}

static void import_cache_put(struct import_run *r, int which, const char *key, long long id)
{
    struct import_cache *c = r->cache[which];
    int slot = r->ncache[which] < IMPORT_CACHE ? r->ncache[which]++ : (int)(id % IMPORT_CACHE);
    char *k = import_strdup(key);
    if (!k)
        return;
    free(c[slot].key);
    c[slot].key = k;
    c[slot].id = id;
}

static long long import_cache_get(struct import_run *r, int which, const char *key)
{
    for (int i = 0; i < r->ncache[which]; i++)
        if (!strcmp(r->cache[which][i].key, key))
            return r->cache[which][i].id;
    return 0;
}

/* ---- options ---- */

static const struct import_collection *import_collection_find(const char *name)
{
    for (int i = 0; name && i < IMPORT_NCOLL; i++)
        if (!strcmp(import_collections[i].name, name))
            return &import_collections[i];
    return NULL;
}

static int import_target_find(const struct import_collection *c, const char *name, size_t len)
{
    for (int i = 0; i < import_ntargets(c); i++)
        if (strlen(c->t[i].name) == len && !strncmp(c->t[i].name, name, len))
            return i;
    return -1;
}

static void import_target_list(const struct import_collection *c, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < import_ntargets(c) && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", c->t[i].name);
}

/* Splits o->map into r->map; the strings live in mapbuf (a copy of o->map). */
static enum err_code import_parse_map(struct import_run *r, char *mapbuf)
{
    char *p = mapbuf;
    while (p && *p) {
        char *start = p;
        bool quoted = false;
        for (; *p && (quoted || *p != ','); p++)
            if (*p == '\'')
                quoted = !quoted;
        if (*p)
            *p++ = 0;
        while (isspace((unsigned char)*start))
            start++;
        if (!*start)
            continue;
        char *eq = strchr(start, '=');
        if (!eq)
            return err_param(r->e, "map", "--map: \"%s\" is not dst=src", start);
        size_t dl = (size_t)(eq - start);
        while (dl && isspace((unsigned char)start[dl - 1]))
            dl--;
        int t = import_target_find(r->c, start, dl);
        if (t < 0) {
            char list[400];
            import_target_list(r->c, list, sizeof list);
            return err_param(r->e, "map", "--map: unknown target '%.*s' for %s (targets: %s)", (int)dl, start,
                             r->c->name, list);
        }
        char *src = eq + 1;
        while (isspace((unsigned char)*src))
            src++;
        size_t sl = strlen(src);
        while (sl && isspace((unsigned char)src[sl - 1]))
            src[--sl] = 0;
        if (src[0] == '\'' && (sl < 2 || src[sl - 1] != '\''))
            return err_param(r->e, "map", "--map: unterminated quote in %s", start);
        r->map[t].spec = sl ? src : NULL;
        r->map[t].explicit_map = true;
    }
    return ERR_OK;
}

static enum err_code import_parse_srs(struct import_run *r)
{
    const char *s = r->o->s_srs;
    static const char *const prefixes[] = {"EPSG:", "urn:ogc:def:crs:EPSG::", "http://www.opengis.net/def/crs/EPSG/0/",
                                           "https://www.opengis.net/def/crs/EPSG/0/", NULL};
    const char *code = NULL;
    for (int i = 0; prefixes[i] && !code; i++)
        if (!strncasecmp(s, prefixes[i], strlen(prefixes[i])))
            code = s + strlen(prefixes[i]);
    long n;
    if (!code || !text_parse_long(code, 1, 999999, &n))
        return err_param(r->e, "s_srs", "--s-srs: '%s' is not an EPSG code (write it as EPSG:2176)", s);
    r->s_srs = OSRNewSpatialReference(NULL);
    if (!r->s_srs || OSRImportFromEPSG(r->s_srs, (int)n) != OGRERR_NONE)
        return err_param(r->e, "s_srs", "--s-srs: EPSG:%ld is not a CRS that PROJ knows", n);
    OSRSetAxisMappingStrategy(r->s_srs, OAMS_TRADITIONAL_GIS_ORDER);
    return ERR_OK;
}

/* ---- opening sources ---- */

static const char *const import_drivers[] = {
    "GeoJSON", "GeoJSONSeq", "ESRI Shapefile", "GPKG", "GML", "CSV", "FlatGeobuf", "KML", NULL};

/* The drivers allowed for a file name: those its extension belongs to, or all of the above. */
static void import_drivers_for(const char *name, const char **out)
{
    const char *x = import_ext(name);
    static const struct {
        const char *ext, *drivers[3];
    } by_ext[] = {
        {"geojson", {"GeoJSON", "GeoJSONSeq", NULL}},
        {"json", {"GeoJSON", "GeoJSONSeq", NULL}},
        {"geojsonl", {"GeoJSONSeq", NULL, NULL}},
        {"geojsons", {"GeoJSONSeq", NULL, NULL}},
        {"gpkg", {"GPKG", NULL, NULL}},
        {"shp", {"ESRI Shapefile", NULL, NULL}},
        {"dbf", {"ESRI Shapefile", NULL, NULL}},
        {"gml", {"GML", NULL, NULL}},
        {"xml", {"GML", NULL, NULL}},
        {"kml", {"KML", NULL, NULL}},
        {"csv", {"CSV", NULL, NULL}},
        {"fgb", {"FlatGeobuf", NULL, NULL}},
    };
    for (size_t i = 0; i < sizeof by_ext / sizeof by_ext[0]; i++)
        if (!strcasecmp(x, by_ext[i].ext)) {
            memcpy(out, by_ext[i].drivers, sizeof by_ext[i].drivers);
            out[3] = NULL;
            return;
        }
    memcpy(out, import_drivers, sizeof import_drivers);
}

static const char *const import_gml_oo[] = {"DOWNLOAD_SCHEMA=NO", "WRITE_GFS=NO", "GML_ATTRIBUTES_TO_OGR_FIELDS=YES",
                                            "EXPOSE_GML_ID=YES", NULL};
static const char *const import_csv_oo[] = {"GEOM_POSSIBLE_NAMES=wkt,WKT,geom,geometry,the_geom,Geometry",
                                            "X_POSSIBLE_NAMES=x,X,lon,Lon,lng,longitude,easting",
                                            "Y_POSSIBLE_NAMES=y,Y,lat,Lat,latitude,northing",
                                            "KEEP_GEOM_COLUMNS=NO",
                                            "EMPTY_STRING_AS_NULL=YES",
                                            NULL};

static GDALDatasetH import_open(struct import_run *r, const char *gdal_path, const char *name)
{
    const char *drivers[sizeof import_drivers / sizeof import_drivers[0] + 1] = {0};
    import_drivers_for(name, drivers);
    const char *const *oo = NULL;
    if (!strcasecmp(import_ext(name), "csv"))
        oo = import_csv_oo;
    else if (import_ext_in(name, (const char *const[]){"gml", "xml", NULL}))
        oo = import_gml_oo;
    r->cpl.failures = 0;
    r->cpl.msg[0] = 0;
    return GDALOpenEx(gdal_path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, oo, NULL);
}

static enum err_code import_add_source(struct import_run *r, const char *gdal_path, const char *label, GDALDatasetH ds)
{
    struct import_source *ns = realloc(r->src, (size_t)(r->nsrc + 1) * sizeof *ns);
    if (!ns) {
        GDALClose(ds);
        return err_set(r->e, ERR_INTERNAL, "out of memory");
    }
    r->src = ns;
    struct import_source *s = &r->src[r->nsrc++];
    memset(s, 0, sizeof *s);
    s->ds = ds;
    s->path = import_strdup(gdal_path);
    s->label = import_strdup(label);
    if (!s->path || !s->label)
        return err_set(r->e, ERR_INTERNAL, "out of memory");
    return ERR_OK;
}

static enum err_code import_open_file(struct import_run *r, const char *file)
{
    unsigned char magic[4] = {0};
    FILE *f = fopen(file, "rb");
    size_t got = f ? fread(magic, 1, 4, f) : 0;
    if (f)
        fclose(f);
    if (got == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) {
        /* A zip: each data entry is a source (entries were checked by gis_import_check_file). */
        int zerr = 0;
        zip_t *za = zip_open(file, ZIP_RDONLY, &zerr);
        if (!za)
            return err_set(r->e, ERR_UNPROCESSABLE, "%s: not a readable zip archive", file);
        zip_int64_t n = zip_get_num_entries(za, 0);
        int before = r->nsrc;
        enum err_code rc = ERR_OK;
        for (zip_int64_t i = 0; i < n && !rc; i++) {
            const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
            const char *base = name ? import_basename(name) : "";
            if (!name || import_entry_unsafe(name) || !strncmp(name, "__MACOSX/", 9) || base[0] == '.' ||
                !import_ext_in(name, import_data_exts))
                continue;
            size_t bl = strlen(base);
            if (bl > 8 && !strcasecmp(base + bl - 8, ".shp.xml"))
                continue; /* ArcGIS metadata next to a shapefile */
            char gp[2400], label[1200];
            snprintf(gp, sizeof gp, "/vsizip/%s/%s", file, name);
            snprintf(label, sizeof label, "%s!%s", import_basename(file), name);
            GDALDatasetH ds = import_open(r, gp, name);
            if (!ds) {
                /* .xml and .json in an archive are often metadata, not data: skip those, fail on the rest. */
                if (import_ext_in(name, (const char *const[]){"xml", "json", NULL})) {
                    import_say(r, "note: %s: not vector data, skipped", label);
                    continue;
                }
                rc = err_set(r->e, ERR_UNPROCESSABLE, "%s: cannot read%s%s", label, r->cpl.msg[0] ? ": " : "",
                             r->cpl.msg);
                break;
            }
            rc = import_add_source(r, gp, label, ds);
        }
        zip_discard(za);
        if (!rc && r->nsrc == before)
            rc = err_set(r->e, ERR_UNPROCESSABLE, "%s: no vector data in the zip archive", file);
        return rc;
    }
    GDALDatasetH ds = import_open(r, file, file);
    if (!ds)
        return err_set(r->e, ERR_UNPROCESSABLE, "%s: cannot read%s%s", file,
                       r->cpl.msg[0] ? ": "
                                     : ": not a vector format odra reads (GeoJSON, GeoPackage, Shapefile, GML, "
                                       "CSV, KML, FlatGeobuf, zip)",
                       r->cpl.msg);
    return import_add_source(r, file, import_basename(file), ds);
}

/* ---- resolving the mapping for a layer ---- */

static int import_field(OGRFeatureDefnH fd, const char *name, size_t len)
{
    char buf[256];
    if (len >= sizeof buf)
        return -1;
    memcpy(buf, name, len);
    buf[len] = 0;
    return OGR_FD_GetFieldIndex(fd, buf);
}

/* Resolves spec against the layer's fields. Returns false when a field it names is missing. */
static bool import_resolve(OGRFeatureDefnH fd, const char *spec, struct import_resolved *out)
{
    memset(out, 0, sizeof *out);
    out->kind = S_NONE;
    if (!spec)
        return true;
    size_t len = strlen(spec);
    if (spec[0] == '\'') {
        out->kind = S_CONST;
        out->literal = spec; /* quotes stripped when used */
        return true;
    }
    int i = import_field(fd, spec, len);
    if (i >= 0) {
        out->kind = S_FIELD;
        out->idx[0] = i;
        out->n = 1;
        return true;
    }
    char sep = strchr(spec, '|') ? '|' : strchr(spec, '/') ? '/' : 0;
    if (!sep)
        return false;
    for (const char *p = spec; *p && out->n < IMPORT_MAX_PARTS_PER_SRC;) {
        size_t l = strcspn(p, sep == '|' ? "|" : "/");
        int k = import_field(fd, p, l);
        if (sep == '|' && k >= 0) {
            out->kind = S_FIELD;
            out->idx[0] = k;
            out->n = 1;
            return true;
        }
        if (sep == '/') {
            if (k < 0)
                return false;
            out->idx[out->n++] = k;
        }
        p += l;
        if (*p)
            p++;
    }
    if (sep == '|')
        return false;
    out->kind = S_JOIN;
    return true;
}

static void import_field_list(OGRFeatureDefnH fd, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < OGR_FD_GetFieldCount(fd) && n + 1 < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i)));
}

static enum err_code import_map_layer(struct import_run *r, struct import_source *s, struct import_layer *L)
{
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(L->h);
    char fields[300];
    for (int t = 0; t < r->nt; t++) {
        const struct import_target *tg = &r->c->t[t];
        const char *spec = r->map[t].spec;
        if (!import_resolve(fd, spec, &L->r[t])) {
            if (r->map[t].explicit_map || tg->required) {
                import_field_list(fd, fields, sizeof fields);
                return err_set(r->e, ERR_INVALID, "%s: layer %s has no field '%s' for %s (fields: %s)", s->label,
                               L->name, spec, tg->name, fields);
            }
            L->r[t].kind = S_NONE;
        }
        /* No preset or map entry: the field named like the target, if there is one. */
        if (L->r[t].kind == S_NONE && !r->map[t].explicit_map && !spec) {
            int i = OGR_FD_GetFieldIndex(fd, tg->name);
            if (i >= 0) {
                L->r[t].kind = S_FIELD;
                L->r[t].idx[0] = i;
                L->r[t].n = 1;
            }
        }
        if (L->r[t].kind == S_NONE && tg->required) {
            import_field_list(fd, fields, sizeof fields);
            return err_set(r->e, ERR_INVALID,
                           "%s: layer %s: no field for %s (required for %s; name it with --map %s=FIELD; fields: %s)",
                           s->label, L->name, tg->name, r->c->name, tg->name, fields);
        }
    }
    L->ident = r->p ? OGR_FD_GetFieldIndex(fd, r->p->ident) : -1;
    L->app_ns = OGR_FD_GetFieldIndex(fd, "przestrzenNazw");
    L->app_lid = OGR_FD_GetFieldIndex(fd, "lokalnyId");
    return ERR_OK;
}

/* ---- CRS ---- */

static void import_crs_name(OGRSpatialReferenceH srs, char *out, size_t cap)
{
    const char *auth = OSRGetAuthorityName(srs, NULL), *code = OSRGetAuthorityCode(srs, NULL);
    if (auth && code)
        snprintf(out, cap, "%s:%s", auth, code);
    else
        snprintf(out, cap, "%s", OSRGetName(srs) ? OSRGetName(srs) : "the source CRS");
}

/* The first non-empty geometry's envelope centre; false if the layer has none in its first 1000 features. */
static bool import_sample(OGRLayerH h, double *x, double *y)
{
    bool found = false;
    OGR_L_ResetReading(h);
    for (int i = 0; i < 1000 && !found; i++) {
        OGRFeatureH f = OGR_L_GetNextFeature(h);
        if (!f)
            break;
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g && !OGR_G_IsEmpty(g)) {
            OGREnvelope env;
            OGR_G_GetEnvelope(g, &env);
            *x = (env.MinX + env.MaxX) / 2;
            *y = (env.MinY + env.MaxY) / 2;
            found = isfinite(*x) && isfinite(*y);
        }
        OGR_F_Destroy(f);
    }
    OGR_L_ResetReading(h);
    return found;
}

static bool import_in_box(const double b[4], double x, double y)
{
    return x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3];
}

/* True when (x, y) in srs lands where srs is used in Poland. */
static bool import_fits(OGRCoordinateTransformationH to_ll, const double box[4], double x, double y)
{
    double px = x, py = y;
    int ok = 0;
    if (!OCTTransformEx(to_ll, 1, &px, &py, NULL, &ok) || !ok)
        return false;
    return import_in_box(box, px, py);
}

static enum err_code import_layer_crs(struct import_run *r, struct import_source *s, struct import_layer *L)
{
    double sx = 0, sy = 0;
    bool sampled = import_sample(L->h, &sx, &sy);
    OGRSpatialReferenceH ls = OGR_L_GetSpatialRef(L->h);
    if (r->s_srs)
        L->srs = OSRClone(r->s_srs);
    else if (ls)
        L->srs = OSRClone(ls);
    else {
        /* No CRS: EPSG:2180 if the coordinates can be that (either axis order), else ask for --s-srs. */
        if (sampled && !import_in_box(import_2180_box, sx, sy) && !import_in_box(import_2180_box, sy, sx))
            return err_set(r->e, ERR_INVALID,
                           "%s: layer %s has no CRS and its coordinates (%.10g %.10g) are not EPSG:2180; name the "
                           "source CRS with --s-srs EPSG:n",
                           s->label, L->name, sx, sy);
        import_say(r, "note: %s: layer %s has no CRS; its coordinates fit EPSG:2180, taken as such", s->label, L->name);
        L->srs = OSRClone(r->dst);
    }
    if (!L->srs)
        return err_set(r->e, ERR_INTERNAL, "out of memory");
    OSRSetAxisMappingStrategy(L->srs, OAMS_TRADITIONAL_GIS_ORDER);
    import_crs_name(L->srs, L->crs_name, sizeof L->crs_name);
    if (!OSRIsSame(L->srs, r->dst)) {
        r->cpl.failures = 0;
        L->ct = OCTNewCoordinateTransformation(L->srs, r->dst);
        L->back = OCTNewCoordinateTransformation(r->dst, L->srs);
        if (!L->ct)
            return err_set(r->e, ERR_UNPROCESSABLE, "%s: layer %s: no transformation from %s to EPSG:2180%s%s",
                           s->label, L->name, L->crs_name, r->cpl.msg[0] ? ": " : "", r->cpl.msg);
    }
    /* Axis order: if the data lands outside the CRS's area read easting-first but inside read northing-first,
     * it was written northing-first (EGiB "X" is the northing). */
    if (!sampled)
        return ERR_OK;
    OGRSpatialReferenceH ll = OSRNewSpatialReference(NULL);
    OGRCoordinateTransformationH to_ll = NULL;
    if (ll && OSRImportFromEPSG(ll, 4326) == OGRERR_NONE) {
        OSRSetAxisMappingStrategy(ll, OAMS_TRADITIONAL_GIS_ORDER);
        to_ll = OCTNewCoordinateTransformation(L->srs, ll);
    }
    double box[4];
    memcpy(box, import_pl_lonlat, sizeof box);
    double w, so, ea, n;
    if (OSRGetAreaOfUse(L->srs, &w, &so, &ea, &n, NULL) && w < ea) {
        double a[4] = {fmax(box[0], w - 0.5), fmax(box[1], so - 0.5), fmin(box[2], ea + 0.5), fmin(box[3], n + 0.5)};
        if (a[0] < a[2] && a[1] < a[3])
            memcpy(box, a, sizeof box);
    }
    if (to_ll && !import_fits(to_ll, box, sx, sy) && import_fits(to_ll, box, sy, sx)) {
        L->swap = true;
        import_say(r,
                   "note: %s: layer %s: coordinates are northing-first (x %.10g, y %.10g is outside %s); x and y "
                   "swapped",
                   s->label, L->name, sx, sy, L->crs_name);
    }
    if (to_ll)
        OCTDestroyCoordinateTransformation(to_ll);
    if (ll)
        OSRDestroySpatialReference(ll);
    return ERR_OK;
}

/* ---- layers ---- */

static bool import_layer_kind_ok(const struct import_collection *c, OGRwkbGeometryType t)
{
    t = wkbFlatten(t);
    if (t == wkbUnknown || t == wkbGeometryCollection || import_any(c))
        return true;
    if (import_points(c))
        return t == wkbPoint || t == wkbMultiPoint;
    return t == wkbPolygon || t == wkbMultiPolygon || t == wkbCurvePolygon || t == wkbMultiSurface ||
           t == wkbPolyhedralSurface || t == wkbTIN || t == wkbTriangle;
}

static enum err_code import_app_extras(struct import_run *r, struct import_source *s);

static enum err_code import_prepare_source(struct import_run *r, struct import_source *s)
{
    int n = GDALDatasetGetLayerCount(s->ds);
    char names[300] = "";
    size_t nl = 0;
    s->layers = calloc((size_t)(n ? n : 1), sizeof *s->layers);
    if (!s->layers)
        return err_set(r->e, ERR_INTERNAL, "out of memory");
    for (int i = 0; i < n; i++) {
        OGRLayerH h = GDALDatasetGetLayer(s->ds, i);
        const char *name = OGR_L_GetName(h);
        if (nl + 1 < sizeof names)
            nl += (size_t)snprintf(names + nl, sizeof names - nl, "%s%s", nl ? ", " : "", name);
        if (r->p ? strcasecmp(name, r->p->layer) != 0
                 : (OGR_L_GetGeomType(h) == wkbNone || !import_layer_kind_ok(r->c, OGR_L_GetGeomType(h)))) {
            if (!r->p && OGR_L_GetGeomType(h) != wkbNone)
                import_say(r, "note: %s: layer %s skipped (%s geometry, %s needs %s geometry)", s->label, name,
                           OGRGeometryTypeToName(OGR_L_GetGeomType(h)), r->c->name, import_geometry_need(r->c));
            continue;
        }
        struct import_layer *L = &s->layers[s->nlayers++];
        L->h = h;
        L->name = import_strdup(name);
        if (!L->name)
            return err_set(r->e, ERR_INTERNAL, "out of memory");
        L->count = OGR_L_GetFeatureCount(h, 0);
        enum err_code rc = import_map_layer(r, s, L);
        if (!rc)
            rc = import_layer_crs(r, s, L);
        if (rc)
            return rc;
    }
    if (!s->nlayers) {
        if (r->p)
            return err_set(r->e, ERR_UNPROCESSABLE, "%s: no %s layer for preset %s (layers: %s)", s->label, r->p->layer,
                           r->p->name, n ? names : "none");
        return err_set(r->e, ERR_UNPROCESSABLE, "%s: no layer with %s geometry (layers: %s)", s->label,
                       import_geometry_need(r->c), n ? names : "none");
    }
    if (r->p && r->p->coll == C_PLANS)
        return import_app_extras(r, s);
    return ERR_OK;
}

/* ---- attribute values ---- */

struct import_val {
    bool set;    /* the feature has a value for this target */
    char *s;     /* the value as text (NULL for numbers read from numeric fields) */
    double d;    /* V_REAL, V_INT */
    long long i; /* V_INT */
};

static void import_vals_free(struct import_val *v, int n)
{
    for (int i = 0; i < n; i++) {
        free(v[i].s);
        v[i].s = NULL;
        v[i].set = false;
    }
}

static char *import_trimdup(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (!n)
        return NULL;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* The text of field idx (dates as ISO 8601), malloc'd, or NULL when unset, null or blank. */
static char *import_field_text(OGRFeatureH f, int idx)
{
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx))
        return NULL;
    OGRFieldType t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, idx));
    if (t == OFTDate || t == OFTDateTime) {
        int y, m, d, h, mi, tz;
        float sec;
        char buf[40];
        if (!OGR_F_GetFieldAsDateTimeEx(f, idx, &y, &m, &d, &h, &mi, &sec, &tz))
            return NULL;
        if (t == OFTDate)
            snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
        else
            snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, h, mi, (int)sec);
        return import_strdup(buf);
    }
    return import_trimdup(OGR_F_GetFieldAsString(f, idx));
}

static bool import_is_number_field(OGRFeatureH f, int idx)
{
    OGRFieldType t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, idx));
    return t == OFTReal || t == OFTInteger || t == OFTInteger64;
}

/* Fills v (nt values) from feature f. Returns NULL, or the reason the feature is rejected (in why). */
static const char *import_values(struct import_run *r, struct import_layer *L, OGRFeatureH f, struct import_val *v,
                                 char *why, size_t cap)
{
    for (int t = 0; t < r->nt; t++) {
        const struct import_resolved *res = &L->r[t];
        const struct import_target *tg = &r->c->t[t];
        struct import_val *x = &v[t];
        if (res->kind == S_NONE)
            continue;
        if (res->kind == S_CONST) {
            /* 'text': the quotes are checked by import_parse_map */
            size_t l = strlen(res->literal);
            x->s = l > 2 ? malloc(l - 1) : NULL;
            if (x->s) {
                memcpy(x->s, res->literal + 1, l - 2);
                x->s[l - 2] = 0;
            }
        } else if (res->kind == S_FIELD) {
            if ((tg->kind == V_REAL || tg->kind == V_INT) && OGR_F_IsFieldSetAndNotNull(f, res->idx[0]) &&
                import_is_number_field(f, res->idx[0])) {
                x->d = OGR_F_GetFieldAsDouble(f, res->idx[0]);
                x->set = true;
                if (!isfinite(x->d)) {
                    snprintf(why, cap, "%s: not a finite number", tg->name);
                    return why;
                }
                if (tg->kind == V_INT) {
                    if (x->d != floor(x->d) || fabs(x->d) > 1e15) {
                        snprintf(why, cap, "%s: %g is not a whole number", tg->name, x->d);
                        return why;
                    }
                    x->i = (long long)x->d;
                }
                continue;
            }
            x->s = import_field_text(f, res->idx[0]);
        } else {
            char buf[IMPORT_MAX_TEXT + 1];
            size_t n = 0;
            bool missing = false;
            for (int k = 0; k < res->n && !missing; k++) {
                char *part = import_field_text(f, res->idx[k]);
                if (!part)
                    missing = true;
                else
                    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", k ? "/" : "", part);
                free(part);
                if (n >= sizeof buf)
                    n = sizeof buf - 1;
            }
            if (!missing)
                x->s = import_strdup(buf);
        }
        if (!x->s || !x->s[0]) {
            free(x->s);
            x->s = NULL;
            continue;
        }
        x->set = true;
        size_t len = strlen(x->s);
        if (len > IMPORT_MAX_TEXT) {
            snprintf(why, cap, "%s: value longer than %d bytes", tg->name, IMPORT_MAX_TEXT);
            return why;
        }
        if (!text_utf8_valid(x->s, len)) {
            snprintf(why, cap, "%s: not valid UTF-8 text", tg->name);
            return why;
        }
        if (tg->kind == V_REAL || tg->kind == V_INT) {
            char num[64];
            if (len >= sizeof num) {
                snprintf(why, cap, "%s: '%.40s...' is not a number", tg->name, x->s);
                return why;
            }
            const char *s = x->s;
            /* "1:1000" for a scale; "30 %" and "0,9" as written in Polish documents. */
            if (tg->kind == V_INT && strchr(s, ':'))
                s = strchr(s, ':') + 1;
            size_t k = 0;
            for (; *s && k + 1 < sizeof num; s++)
                if (!isspace((unsigned char)*s) && *s != '%')
                    num[k++] = *s == ',' ? '.' : *s;
            num[k] = 0;
            if (!text_parse_double(num, &x->d)) {
                snprintf(why, cap, "%s: '%s' is not a number", tg->name, x->s);
                return why;
            }
            if (tg->kind == V_INT) {
                if (x->d != floor(x->d) || fabs(x->d) > 1e15) {
                    snprintf(why, cap, "%s: '%s' is not a whole number", tg->name, x->s);
                    return why;
                }
                x->i = (long long)x->d;
            }
        } else if (tg->kind == V_DATE) {
            const char *s = x->s;
            bool ok = len >= 10 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
                      isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) && (s[4] == '-' || s[4] == '/') &&
                      isdigit((unsigned char)s[5]) && isdigit((unsigned char)s[6]) && s[7] == s[4] &&
                      isdigit((unsigned char)s[8]) && isdigit((unsigned char)s[9]) &&
                      (len == 10 || s[10] == 'T' || s[10] == ' ');
            int mo = ok ? (s[5] - '0') * 10 + (s[6] - '0') : 0, d = ok ? (s[8] - '0') * 10 + (s[9] - '0') : 0;
            if (!ok || mo < 1 || mo > 12 || d < 1 || d > 31) {
                snprintf(why, cap, "%s: '%.40s' is not a date (YYYY-MM-DD)", tg->name, s);
                return why;
            }
            x->s[4] = x->s[7] = '-';
            x->s[10] = 0;
        }
    }
    return NULL;
}

/* ---- geometry ---- */

struct import_walk {
    long vertices, parts;
    bool unclosed;
};

static bool import_xy_room(struct import_run *r, size_t n)
{
    if (n <= r->xycap)
        return true;
    size_t cap = n + n / 2 + 64;
    double *xs = realloc(r->xs, cap * sizeof *xs);
    if (xs)
        r->xs = xs;
    double *ys = xs ? realloc(r->ys, cap * sizeof *ys) : NULL;
    if (ys)
        r->ys = ys;
    if (!xs || !ys)
        return false;
    r->xycap = cap;
    return true;
}

/* Checks coordinates, counts and nesting before GEOS sees the geometry. Returns the reason or NULL. */
static const char *import_walk(struct import_run *r, OGRGeometryH g, int depth, bool ring, struct import_walk *w)
{
    if (depth > IMPORT_MAX_DEPTH)
        return "geometry collections nested too deep";
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbPoint || t == wkbLineString || t == wkbLinearRing) {
        int n = OGR_G_GetPointCount(g);
        w->vertices += n;
        if (w->vertices > GIS_IMPORT_MAX_VERTICES)
            return "more than 1,000,000 vertices";
        if (n == 0)
            return NULL;
        if (!import_xy_room(r, (size_t)n))
            return "out of memory";
        OGR_G_GetPoints(g, r->xs, sizeof(double), r->ys, sizeof(double), NULL, 0);
        for (int i = 0; i < n; i++)
            if (!isfinite(r->xs[i]) || !isfinite(r->ys[i]))
                return "a coordinate is NaN or infinite";
        if (ring) {
            bool closed = r->xs[0] == r->xs[n - 1] && r->ys[0] == r->ys[n - 1];
            if (!closed)
                w->unclosed = true;
            if (n + !closed < 4)
                return "a ring has fewer than 4 points";
        }
        return NULL;
    }
    int n = OGR_G_GetGeometryCount(g);
    w->parts += n;
    if (w->parts > IMPORT_MAX_PARTS)
        return "more than 100,000 parts and rings";
    for (int i = 0; i < n; i++) {
        const char *why = import_walk(r, OGR_G_GetGeometryRef(g, i), depth + 1, t == wkbPolygon, w);
        if (why)
            return why;
    }
    return NULL;
}

/* Collects the polygons in g (any nesting) into parts; returns how many non-polygonal parts were left. */
static int import_polygons(GEOSContextHandle_t h, const GEOSGeometry *g, GEOSGeometry ***parts, int *n, int *cap)
{
    int type = GEOSGeomTypeId_r(h, g), dropped = 0;
    if (type == GEOS_POLYGON) {
        if (GEOSisEmpty_r(h, g))
            return 0;
        if (*n == *cap) {
            int nc = *cap ? *cap * 2 : 8;
            GEOSGeometry **np = realloc(*parts, (size_t)nc * sizeof *np);
            if (!np)
                return 1;
            *parts = np;
            *cap = nc;
        }
        (*parts)[(*n)++] = GEOSGeom_clone_r(h, g);
        return 0;
    }
    if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        for (int i = 0; i < GEOSGetNumGeometries_r(h, g); i++)
            dropped += import_polygons(h, GEOSGetGeometryN_r(h, g, i), parts, n, cap);
        return dropped;
    }
    return GEOSisEmpty_r(h, g) ? 0 : 1;
}

/* A MULTIPOLYGON of the polygonal parts of g (g is not consumed), or NULL when there are none. */
static GEOSGeometry *import_multipolygon(GEOSContextHandle_t h, const GEOSGeometry *g, int *dropped)
{
    GEOSGeometry **parts = NULL;
    int n = 0, cap = 0;
    *dropped = import_polygons(h, g, &parts, &n, &cap);
    GEOSGeometry *m = n ? GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, (unsigned)n) : NULL;
    free(parts);
    return m;
}

/* The source-CRS position of a 2180 point, for messages the user checks against their data. */
static void import_place(struct import_layer *L, const GEOSGeometry *pt, GEOSContextHandle_t h, char *out, size_t cap)
{
    double x, y;
    out[0] = 0;
    if (!pt || GEOSGeomGetX_r(h, pt, &x) != 1 || GEOSGeomGetY_r(h, pt, &y) != 1)
        return;
    int ok = 1;
    if (L->back && (!OCTTransformEx(L->back, 1, &x, &y, NULL, &ok) || !ok))
        return;
    if (L->swap) {
        double t = x;
        x = y;
        y = t;
    }
    snprintf(out, cap, " at or near point %.10g %.10g", x, y);
}

enum import_geom_result { GEOM_OK, GEOM_REPAIRED, GEOM_REJECTED };

/* The OGR stage: linearises curves, reads surfaces as polygons, checks the size, closes open rings, drops Z
 * and M, swaps the axes where the source wants it, transforms to EPSG:2180 and checks that the result lies
 * in Poland. False when the geometry is rejected (note says why; *g is destroyed); else *g (possibly
 * replaced) is ready and *nn counts what note says was repaired. */
static bool import_ogr_prepare(struct import_run *r, struct import_layer *L, OGRGeometryH *gp, char *note, size_t cap,
                               size_t *nn)
{
    OGRGeometryH g = *gp;
    if (OGR_G_IsEmpty(g)) {
        snprintf(note, cap, "empty geometry");
        OGR_G_DestroyGeometry(g);
        return false;
    }
    if (OGR_G_HasCurveGeometry(g, 1)) {
        OGRGeometryH lin = OGR_G_GetLinearGeometry(g, 0, NULL);
        OGR_G_DestroyGeometry(g);
        if (!lin) {
            snprintf(note, cap, "curved geometry cannot be linearised");
            return false;
        }
        g = lin;
    }
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (!import_points(r->c) && (t == wkbPolyhedralSurface || t == wkbTIN || t == wkbTriangle))
        g = OGR_G_ForceToMultiPolygon(g);
    *gp = g;
    struct import_walk w = {0};
    const char *why = import_walk(r, g, 0, false, &w);
    if (why) {
        snprintf(note, cap, "%s", why);
        OGR_G_DestroyGeometry(g);
        return false;
    }
    if (OGR_G_Is3D(g) || OGR_G_IsMeasured(g))
        OGR_G_FlattenTo2D(g);
    if (w.unclosed) {
        OGR_G_CloseRings(g);
        *nn += (size_t)snprintf(note + *nn, cap - *nn, "ring not closed → closed");
    }
    if (L->swap)
        OGR_G_SwapXY(g);
    if (L->ct && OGR_G_Transform(g, L->ct) != OGRERR_NONE) {
        snprintf(note, cap, "cannot be transformed from %s to EPSG:2180", L->crs_name);
        OGR_G_DestroyGeometry(g);
        return false;
    }
    OGREnvelope env;
    OGR_G_GetEnvelope(g, &env);
    if (!import_in_box(import_2180_box, env.MinX, env.MinY) || !import_in_box(import_2180_box, env.MaxX, env.MaxY)) {
        snprintf(note, cap, "outside Poland in EPSG:2180 (x %.1f..%.1f, y %.1f..%.1f): wrong source CRS? (%s)",
                 env.MinX, env.MaxX, env.MinY, env.MaxY, L->crs_name);
        OGR_G_DestroyGeometry(g);
        return false;
    }
    return true;
}

/* The OGR geometry (destroyed) as GEOS, through WKB; NULL when GEOS cannot read it (note says why). */
static GEOSGeometry *import_ogr_to_geos(struct import_run *r, OGRGeometryH g, char *note, size_t cap)
{
    size_t size = (size_t)OGR_G_WkbSize(g);
    if (size > r->wkbcap) {
        unsigned char *nw = realloc(r->wkb, size);
        if (!nw) {
            OGR_G_DestroyGeometry(g);
            snprintf(note, cap, "out of memory");
            return NULL;
        }
        r->wkb = nw;
        r->wkbcap = size;
    }
    OGR_G_ExportToWkb(g, wkbNDR, r->wkb);
    OGR_G_DestroyGeometry(g);
    r->geos.msg[0] = 0;
    GEOSGeometry *gg = GEOSWKBReader_read_r(r->gh, r->rd, r->wkb, size);
    if (!gg)
        snprintf(note, cap, "unreadable geometry: %s", r->geos.msg);
    return gg;
}

/* Rejects gg (destroyed) for being of the wrong type for the collection. */
static enum import_geom_result import_wrong_type(struct import_run *r, GEOSGeometry *gg, const char *need, char *note,
                                                 size_t cap)
{
    char *tn = GEOSGeomType_r(r->gh, gg);
    snprintf(note, cap, "wrong geometry type: %s (%s need %s)", tn ? tn : "?", r->c->name, need);
    GEOSFree_r(r->gh, tn);
    GEOSGeom_destroy_r(r->gh, gg);
    return GEOM_REJECTED;
}

/* A point collection's geometry: a point, or a multipoint of one. */
static enum import_geom_result import_point(struct import_run *r, GEOSGeometry *gg, GEOSGeometry **out, char *note,
                                            size_t cap, size_t nn)
{
    GEOSContextHandle_t h = r->gh;
    int type = GEOSGeomTypeId_r(h, gg);
    if (type == GEOS_MULTIPOINT && GEOSGetNumGeometries_r(h, gg) == 1) {
        GEOSGeometry *p = GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, gg, 0));
        GEOSGeom_destroy_r(h, gg);
        gg = p;
        type = GEOS_POINT;
    }
    if (type != GEOS_POINT)
        return import_wrong_type(r, gg, "a point", note, cap);
    *out = gg;
    return nn ? GEOM_REPAIRED : GEOM_OK;
}

static enum import_geom_result import_polygonal(struct import_run *r, struct import_layer *L, GEOSGeometry *gg,
                                                GEOSGeometry **out, char *note, size_t cap, size_t nn);

/* A plan-lines geometry: (multi)lines of some length and (multi)points as they are; (multi)polygons, a
 * protection zone given as an area, as a polygon collection's (made valid). A collection of mixed kinds,
 * an empty geometry or a line without length is rejected. */
static enum import_geom_result import_linear(struct import_run *r, struct import_layer *L, GEOSGeometry *gg,
                                             GEOSGeometry **out, char *note, size_t cap, size_t nn)
{
    GEOSContextHandle_t h = r->gh;
    int type = GEOSGeomTypeId_r(h, gg);
    if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON)
        return import_polygonal(r, L, gg, out, note, cap, nn);
    if (type != GEOS_POINT && type != GEOS_MULTIPOINT && type != GEOS_LINESTRING && type != GEOS_MULTILINESTRING)
        return import_wrong_type(r, gg, "lines, points or polygons", note, cap);
    double len = 0;
    if (GEOSisEmpty_r(h, gg) ||
        ((type == GEOS_LINESTRING || type == GEOS_MULTILINESTRING) && (GEOSLength_r(h, gg, &len) != 1 || !(len > 0)))) {
        snprintf(note + nn, cap - nn, "%sempty, or a line without length", nn ? "; " : "");
        GEOSGeom_destroy_r(h, gg);
        return GEOM_REJECTED;
    }
    *out = gg;
    return nn ? GEOM_REPAIRED : GEOM_OK;
}

/* A polygon collection's geometry: made valid when it is not (note names the fault and where it is, and
 * r->fault_pt holds it), as a MULTIPOLYGON of its polygonal parts (the others dropped and counted). */
static enum import_geom_result import_polygonal(struct import_run *r, struct import_layer *L, GEOSGeometry *gg,
                                                GEOSGeometry **out, char *note, size_t cap, size_t nn)
{
    GEOSContextHandle_t h = r->gh;
    int type = GEOSGeomTypeId_r(h, gg);
    if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON && type != GEOS_GEOMETRYCOLLECTION)
        return import_wrong_type(r, gg, "polygons", note, cap);
    char valid = GEOSisValid_r(h, gg);
    if (valid == 2) {
        snprintf(note, cap, "cannot be validated: %s", r->geos.msg);
        GEOSGeom_destroy_r(h, gg);
        return GEOM_REJECTED;
    }
    GEOSGeometry *fixed = gg;
    if (!valid) {
        char *reason = NULL, place[96];
        GEOSGeometry *loc = NULL;
        GEOSisValidDetail_r(h, gg, 0, &reason, &loc);
        if (loc && (GEOSGeomGetX_r(h, loc, &r->fault_pt[0]) != 1 || GEOSGeomGetY_r(h, loc, &r->fault_pt[1]) != 1))
            r->fault_pt[0] = r->fault_pt[1] = NAN;
        import_place(L, loc, h, place, sizeof place);
        nn += (size_t)snprintf(note + nn, cap - nn, "%s%s%s", nn ? "; " : "", reason ? reason : "invalid", place);
        if (reason)
            GEOSFree_r(h, reason);
        if (loc)
            GEOSGeom_destroy_r(h, loc);
        if (nn >= cap)
            nn = cap - 1;
        fixed = GEOSMakeValidWithParams_r(h, gg, r->mvp);
        GEOSGeom_destroy_r(h, gg);
        if (!fixed || GEOSisValid_r(h, fixed) != 1) {
            snprintf(note + nn, cap - nn, " → cannot be made valid%s%s", r->geos.msg[0] ? ": " : "", r->geos.msg);
            if (fixed)
                GEOSGeom_destroy_r(h, fixed);
            return GEOM_REJECTED;
        }
    }
    int dropped = 0;
    GEOSGeometry *m = import_multipolygon(h, fixed, &dropped);
    GEOSGeom_destroy_r(h, fixed);
    if (!m) {
        snprintf(note + nn, cap - nn, "%s", nn ? " → empty after repair" : "no polygon in the geometry");
        return GEOM_REJECTED;
    }
    if (!valid)
        nn += (size_t)snprintf(note + nn, cap - nn, " → made valid");
    if (dropped && nn < cap)
        nn += (size_t)snprintf(note + nn, cap - nn, "%sdropped %d non-polygonal part%s", nn ? "; " : "", dropped,
                               dropped == 1 ? "" : "s");
    *out = m;
    return nn ? GEOM_REPAIRED : GEOM_OK;
}

/* Turns the feature's OGR geometry into the GEOS geometry to store (in *out), checking and repairing it.
 * note gets what was repaired, or why the geometry is rejected. */
static enum import_geom_result import_geometry(struct import_run *r, struct import_layer *L, OGRGeometryH g,
                                               GEOSGeometry **out, char *note, size_t cap)
{
    size_t nn = 0;
    note[0] = 0;
    *out = NULL;
    r->fault_pt[0] = r->fault_pt[1] = NAN;
    if (!g) {
        snprintf(note, cap, "no geometry");
        return GEOM_REJECTED;
    }
    if (!import_ogr_prepare(r, L, &g, note, cap, &nn))
        return GEOM_REJECTED;
    GEOSGeometry *gg = import_ogr_to_geos(r, g, note, cap);
    if (!gg)
        return GEOM_REJECTED;
    if (import_any(r->c))
        return import_linear(r, L, gg, out, note, cap, nn);
    return import_points(r->c) ? import_point(r, gg, out, note, cap, nn)
                               : import_polygonal(r, L, gg, out, note, cap, nn);
}

/* ---- lookups and rows ---- */

/* Steps st once; the first column of its row into *id (0 without a row), unless id is NULL. */
static enum err_code import_step_id(struct import_run *r, sqlite3_stmt *st, long long *id, const char *what)
{
    int rc = sqlite3_step(st);
    if (id)
        *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return import_sqlite_err(r, what);
    return ERR_OK;
}

static void import_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void import_bind_real(sqlite3_stmt *st, int i, const struct import_val *v)
{
    if (v->set)
        sqlite3_bind_double(st, i, v->d);
    else
        sqlite3_bind_null(st, i);
}

static void import_bind_int(sqlite3_stmt *st, int i, const struct import_val *v)
{
    if (v->set)
        sqlite3_bind_int64(st, i, v->i);
    else
        sqlite3_bind_null(st, i);
}

static bool import_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return n > 0;
}

/* The obręb row of a parcel, created when missing. Returns 0 with why set when the values don't fit. */
static enum err_code import_obreb(struct import_run *r, const char *parcel_id, const char *obreb, long long *id,
                                  char *why, size_t cap)
{
    *id = 0;
    /* WWPPGG_R.OOOO[.AR_n].NR */
    const char *d1 = strchr(parcel_id, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || d1 - parcel_id != 8 || parcel_id[6] != '_' || !import_digits(parcel_id, 6) ||
        !isdigit((unsigned char)parcel_id[7]) || d2 - d1 - 1 != 4 || !import_digits(d1 + 1, 4) || !d2[1]) {
        snprintf(why, cap, "parcel_id '%.60s' is not an EGiB identifier (WWPPGG_R.OOOO.NR)", parcel_id);
        return ERR_OK;
    }
    char unit[9], number[5];
    memcpy(unit, parcel_id, 8);
    unit[8] = 0;
    memcpy(number, d1 + 1, 4);
    number[4] = 0;
    const char *name = NULL;
    if (obreb && import_digits(obreb, strlen(obreb))) {
        if (strlen(obreb) > 4 || atoi(obreb) != atoi(number)) {
            snprintf(why, cap, "obreb %s does not match parcel_id %.60s", obreb, parcel_id);
            return ERR_OK;
        }
    } else if (obreb && strlen(obreb) > 9 && !strncmp(obreb, unit, 8) && obreb[8] == '.') {
        if (strcmp(obreb + 9, number) != 0) {
            snprintf(why, cap, "obreb %s does not match parcel_id %.60s", obreb, parcel_id);
            return ERR_OK;
        }
    } else
        name = obreb;
    char key[300];
    snprintf(key, sizeof key, "%s.%s|%s", unit, number, name ? name : "");
    if ((*id = import_cache_get(r, CACHE_OBREB, key)))
        return ERR_OK;
    sqlite3_bind_text(r->obreb_get, 1, unit, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(r->obreb_get, 2, number, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(r->obreb_get);
    bool placeholder = false;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(r->obreb_get, 0);
        const char *have = (const char *)sqlite3_column_text(r->obreb_get, 1);
        placeholder = have && !strcmp(have, number);
    }
    sqlite3_reset(r->obreb_get);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return import_sqlite_err(r, "obreby");
    if (!*id) {
        sqlite3_bind_text(r->obreb_add, 1, unit, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(r->obreb_add, 2, number, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(r->obreb_add, 3, name ? name : number, -1, SQLITE_TRANSIENT);
        if (import_step_id(r, r->obreb_add, id, "obreby"))
            return r->e->code;
    } else if (placeholder && name) {
        /* The row was made from a number alone; now the obręb's name is known. */
        sqlite3_bind_text(r->obreb_name, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(r->obreb_name, 2, *id);
        long long same_id; /* the UPDATE names the row by *id; the step's id is not needed */
        if (import_step_id(r, r->obreb_name, &same_id, "obreby"))
            return r->e->code;
    }
    import_cache_put(r, CACHE_OBREB, key, *id);
    return ERR_OK;
}

static enum err_code import_locality(struct import_run *r, const char *name, const char *simc, const char *postal,
                                     long long *id)
{
    char key[600];
    snprintf(key, sizeof key, "%s|%s", name, simc ? simc : "");
    if ((*id = import_cache_get(r, CACHE_LOCALITY, key)))
        return ERR_OK;
    import_bind_text(r->loc_get, 1, name);
    import_bind_text(r->loc_get, 2, simc);
    if (import_step_id(r, r->loc_get, id, "localities"))
        return r->e->code;
    if (!*id) {
        import_bind_text(r->loc_add, 1, simc);
        import_bind_text(r->loc_add, 2, name);
        import_bind_text(r->loc_add, 3, postal);
        if (import_step_id(r, r->loc_add, id, "localities"))
            return r->e->code;
    }
    import_cache_put(r, CACHE_LOCALITY, key, *id);
    return ERR_OK;
}

static enum err_code import_street(struct import_run *r, long long locality, const char *street, const char *ulic,
                                   long long *id)
{
    static const char *const prefixes[] = {"ul.", "al.", "pl.", "os.", NULL};
    const char *prefix = "ul.", *name = street;
    for (int i = 0; prefixes[i]; i++)
        if (!strncasecmp(street, prefixes[i], 3) && street[3]) {
            prefix = prefixes[i];
            name = street + 3;
            while (isspace((unsigned char)*name))
                name++;
            break;
        }
    char key[600];
    snprintf(key, sizeof key, "%lld|%s", locality, name);
    if ((*id = import_cache_get(r, CACHE_STREET, key)))
        return ERR_OK;
    sqlite3_bind_int64(r->street_get, 1, locality);
    import_bind_text(r->street_get, 2, name);
    if (import_step_id(r, r->street_get, id, "streets"))
        return r->e->code;
    if (!*id) {
        import_bind_text(r->street_add, 1, ulic);
        sqlite3_bind_int64(r->street_add, 2, locality);
        import_bind_text(r->street_add, 3, prefix);
        import_bind_text(r->street_add, 4, name);
        if (import_step_id(r, r->street_add, id, "streets"))
            return r->e->code;
    }
    import_cache_put(r, CACHE_STREET, key, *id);
    return ERR_OK;
}

static const char *import_zone_kind(const struct import_run *r)
{
    return r->c->id == C_POG_ZONES ? "pog" : "mpzp";
}

static enum err_code import_placeholder_plan(struct import_run *r, const char *iip, long long *id)
{
    char title[400];
    if (iip)
        snprintf(title, sizeof title, "Plan ogólny %s (placeholder: import the act with --preset app-akt)", iip);
    else
        snprintf(title, sizeof title, "Plan ogólny gminy (placeholder created by import)");
    sqlite3_stmt *st;
    if (gis_store_prepare(r->w,
                          "INSERT INTO plans (kind, iip, title, status) VALUES ('pog', ?1, ?2, '" APP_PLACEHOLDER_ST
                          "') "
                          "RETURNING id",
                          &st, r->e))
        return r->e->code;
    import_bind_text(st, 1, iip);
    import_bind_text(st, 2, title);
    enum err_code rc = import_step_id(r, st, id, "plans");
    sqlite3_finalize(st);
    if (!rc)
        import_say(r, "note: no POG plan%s%s in the store: created placeholder plan %lld \"%s\"",
                   iip ? " with iip " : "", iip ? iip : "", *id, title);
    if (!rc && r->app)
        gis_report_add(r->rp, "BRAK-AKTU", NULL, iip, NULL, NAN,
                       "akt %s nie jest w pliku ani w bazie: strefy dołączono do planu zastępczego %lld",
                       iip ? iip : "?", *id);
    return rc;
}

/* The plan a zone belongs to: by the mapped value (iip or title), by the APP idIIP, or the store's only plan
 * of the zone's kind. Returns ERR_OK with *id == 0 and why set when the feature should be rejected. */
static enum err_code import_zone_plan(struct import_run *r, struct import_layer *L, OGRFeatureH f, const char *value,
                                      long long *id, char *why, size_t cap)
{
    *id = 0;
    char derived[600];
    bool app = false;
    if (!value && r->p && L->app_ns >= 0 && L->app_lid >= 0) {
        /* APP zone "PL.ZIPPZP.1234/121201-POG" + "1POG-1SJ" belongs to act "PL.ZIPPZP.1234/121201-POG/1POG". */
        char *ns = import_field_text(f, L->app_ns), *lid = import_field_text(f, L->app_lid);
        int hi = OGR_FD_GetFieldIndex(OGR_F_GetDefnRef(f), "plan_href");
        char *href = hi >= 0 ? import_field_text(f, hi) : NULL;
        /* the act its plan xlink:href names, else the one of its idIIP (as the pre-pass decides) */
        if (ns && lid && app_act_iip(href, ns, lid, derived, sizeof derived)) {
            value = derived;
            app = true;
        }
        free(ns);
        free(lid);
        free(href);
    }
    if (value) {
        if ((*id = import_cache_get(r, CACHE_PLAN, value)))
            return ERR_OK;
        sqlite3_bind_text(r->plan_get, 1, value, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(r->plan_get, 2, import_zone_kind(r), -1, SQLITE_STATIC);
        int n = 0, rc;
        while ((rc = sqlite3_step(r->plan_get)) == SQLITE_ROW)
            if (n++ == 0)
                *id = sqlite3_column_int64(r->plan_get, 0);
        sqlite3_reset(r->plan_get);
        if (rc != SQLITE_DONE)
            return import_sqlite_err(r, "plans");
        if (n > 1) {
            *id = 0;
            snprintf(why, cap, "plan '%.200s' names %d plans; use the iip", value, n);
            return ERR_OK;
        }
        if (!n && app && r->c->id == C_POG_ZONES) {
            if (import_placeholder_plan(r, value, id))
                return r->e->code;
        } else if (!n) {
            snprintf(why, cap, "no %s plan with iip or title '%.200s' in the store", import_zone_kind(r), value);
            return ERR_OK;
        }
        import_cache_put(r, CACHE_PLAN, value, *id);
        return ERR_OK;
    }
    if (!r->default_plan) {
        sqlite3_stmt *st;
        if (gis_store_prepare(r->w, "SELECT id FROM plans WHERE kind = ? ORDER BY id LIMIT 2", &st, r->e))
            return r->e->code;
        sqlite3_bind_text(st, 1, import_zone_kind(r), -1, SQLITE_STATIC);
        int n = 0, rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            if (n++ == 0)
                r->default_plan = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return import_sqlite_err(r, "plans");
        if (n > 1)
            return err_set(r->e, ERR_INVALID,
                           "the store has several %s plans: say which one the zones belong to with --map "
                           "plan=FIELD or --map plan='iip or title'",
                           import_zone_kind(r));
        if (!n && r->c->id == C_PLAN_ZONES)
            return err_set(r->e, ERR_INVALID,
                           "the store has no MPZP plan for these zones: import the plan first (--as plans)");
        if (!n && import_placeholder_plan(r, NULL, &r->default_plan))
            return r->e->code;
    }
    *id = r->default_plan;
    return ERR_OK;
}

static enum err_code import_prepare_statements(struct import_run *r)
{
    const char *ins = NULL;
    switch (r->c->id) {
    case C_PARCELS:
        ins = "INSERT INTO parcels (parcel_id, obreb_id, number, area_m2, land_use, geom) "
              "VALUES (?1, ?2, ?3, ?4, ?5, GeomFromWKB(?6, 2180)) "
              "ON CONFLICT (parcel_id) DO UPDATE SET obreb_id = excluded.obreb_id, number = excluded.number, "
              "area_m2 = excluded.area_m2, land_use = excluded.land_use, geom = excluded.geom "
              "WHERE parcels.id <= ?7 RETURNING id";
        break;
    case C_ADDRESSES:
        ins = "INSERT INTO addresses (locality_id, street_id, number, postal_code, parcel_id, geom) "
              "VALUES (?1, ?2, ?3, ?4, ?5, GeomFromWKB(?6, 2180)) RETURNING id";
        break;
    case C_BUILDINGS:
        ins = "INSERT INTO buildings (building_id, function, storeys, geom) VALUES (?1, ?2, ?3, GeomFromWKB(?4, 2180)) "
              "ON CONFLICT (building_id) DO UPDATE SET function = excluded.function, storeys = excluded.storeys, "
              "geom = excluded.geom WHERE buildings.id <= ?5 RETURNING id";
        break;
    case C_PLANS:
        ins = "INSERT INTO plans (kind, title, iip, resolution, resolution_date, publication, scale, status, "
              "valid_from, valid_to, geom, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, 'obowiązujący'), "
              "?9, ?10, GeomFromWKB(?11, 2180), ?13) "
              "ON CONFLICT (iip) DO UPDATE SET kind = excluded.kind, title = excluded.title, "
              "resolution = coalesce(excluded.resolution, plans.resolution), "
              "resolution_date = coalesce(excluded.resolution_date, plans.resolution_date), "
              "publication = coalesce(excluded.publication, plans.publication), "
              "scale = coalesce(excluded.scale, plans.scale), status = coalesce(?8, plans.status), "
              "valid_from = coalesce(excluded.valid_from, plans.valid_from), "
              "valid_to = coalesce(excluded.valid_to, plans.valid_to), geom = excluded.geom, "
              "version = coalesce(excluded.version, plans.version) "
              "WHERE plans.id <= ?12 RETURNING id";
        break;
    case C_PLAN_ZONES:
        ins = "INSERT INTO plan_zones (plan_id, label, symbol, name, max_height_m, max_storeys, min_intensity, "
              "max_intensity, max_coverage_pct, min_bio_pct, min_parcel_area_m2, roof, geom) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, GeomFromWKB(?13, 2180)) "
              "ON CONFLICT (plan_id, label) DO UPDATE SET symbol = excluded.symbol, name = excluded.name, "
              "max_height_m = excluded.max_height_m, max_storeys = excluded.max_storeys, "
              "min_intensity = excluded.min_intensity, max_intensity = excluded.max_intensity, "
              "max_coverage_pct = excluded.max_coverage_pct, min_bio_pct = excluded.min_bio_pct, "
              "min_parcel_area_m2 = excluded.min_parcel_area_m2, roof = excluded.roof, geom = excluded.geom "
              "WHERE plan_zones.id <= ?14 RETURNING id";
        break;
    case C_PLAN_LINES:
        ins = "INSERT INTO plan_lines (plan_id, kind, label, zone_label, geom) "
              "VALUES (?1, (SELECT code FROM plan_line_kinds WHERE code = ?2 OR label = ?2), ?3, ?4, "
              "GeomFromWKB(?5, 2180)) RETURNING id";
        break;
    case C_POG_ZONES:
        ins = "INSERT INTO pog_zones (plan_id, label, symbol, name, max_intensity, max_coverage_pct, max_height_m, "
              "min_bio_pct, geom, iip, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, GeomFromWKB(?9, 2180), "
              "coalesce(?11, (SELECT iip || '-' || ?2 FROM plans WHERE id = ?1)), ?12) "
              "ON CONFLICT (plan_id, label) DO UPDATE SET symbol = excluded.symbol, name = excluded.name, "
              "max_intensity = excluded.max_intensity, max_coverage_pct = excluded.max_coverage_pct, "
              "max_height_m = excluded.max_height_m, min_bio_pct = excluded.min_bio_pct, geom = excluded.geom, "
              "iip = excluded.iip, version = excluded.version "
              "WHERE pog_zones.id <= ?10 RETURNING id";
        break;
    }
    if (gis_store_prepare(r->w, ins, &r->ins, r->e))
        return r->e->code;
    if (r->c->id == C_PARCELS &&
        (gis_store_prepare(r->w, "SELECT id, name FROM obreby WHERE unit = ? AND number = ?", &r->obreb_get, r->e) ||
         gis_store_prepare(r->w, "INSERT INTO obreby (unit, number, name) VALUES (?, ?, ?) RETURNING id", &r->obreb_add,
                           r->e) ||
         gis_store_prepare(r->w, "UPDATE obreby SET name = ? WHERE id = ?", &r->obreb_name, r->e)))
        return r->e->code;
    if (r->c->id == C_ADDRESSES &&
        (gis_store_prepare(
             r->w,
             "SELECT id FROM localities WHERE (?2 IS NOT NULL AND simc = ?2) OR (?2 IS NULL AND name = ?1) "
             "ORDER BY id LIMIT 1",
             &r->loc_get, r->e) ||
         gis_store_prepare(r->w,
                           "INSERT INTO localities (simc, name, kind, postal_code) VALUES (?, ?, 'miejscowość', ?) "
                           "RETURNING id",
                           &r->loc_add, r->e) ||
         gis_store_prepare(r->w, "SELECT id FROM streets WHERE locality_id = ? AND name = ?", &r->street_get, r->e) ||
         gis_store_prepare(r->w,
                           "INSERT INTO streets (ulic, locality_id, prefix, name) VALUES (?, ?, ?, ?) RETURNING id",
                           &r->street_add, r->e) ||
         gis_store_prepare(r->w,
                           "SELECT id FROM addresses WHERE locality_id = ? AND street_id IS ? AND number = ? "
                           "ORDER BY id LIMIT 1",
                           &r->addr_get, r->e) ||
         gis_store_prepare(r->w,
                           "UPDATE addresses SET postal_code = ?1, parcel_id = coalesce(?2, parcel_id), "
                           "geom = GeomFromWKB(?3, 2180) WHERE id = ?4",
                           &r->addr_upd, r->e)))
        return r->e->code;
    if (r->c->id == C_PLAN_LINES &&
        gis_store_prepare(r->w, "SELECT 1 FROM plan_line_kinds WHERE code = ?1 OR label = ?1", &r->kind_get, r->e))
        return r->e->code;
    if ((r->c->id == C_PLAN_ZONES || r->c->id == C_POG_ZONES || r->c->id == C_PLAN_LINES) &&
        gis_store_prepare(r->w, "SELECT id FROM plans WHERE (iip = ?1 OR title = ?1) AND kind = ?2 ORDER BY id LIMIT 2",
                          &r->plan_get, r->e))
        return r->e->code;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT coalesce(max(id), 0) FROM %s", import_table(r->c));
    sqlite3_stmt *st;
    if (gis_store_prepare(r->w, sql, &st, r->e))
        return r->e->code;
    r->max_id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return ERR_OK;
}

/* SpatiaLite keeps a table's R*Tree in step with AFTER INSERT and AFTER UPDATE triggers that call
 * RTreeAlign(), which builds and prepares an SQL statement for every row: three quarters of the time of a
 * large import. So, inside the import's transaction, those two triggers are set aside, and at the end the
 * index gets the new rows in one statement and the updated rows (import_moved) through one prepared
 * statement; then the triggers' own SQL is run again. A rollback restores them with everything else, and
 * readers never see the store without them. */
static const char *const import_index_triggers[2] = {"gii", "giu"};

static enum err_code import_index_suspend(struct import_run *r)
{
    char sql[200], rtree[100];
    sqlite3_stmt *st;
    /* Only when the table has SpatiaLite's R*Tree and both triggers: otherwise leave everything alone. */
    snprintf(rtree, sizeof rtree, "idx_%s_geom", import_table(r->c));
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE name = '%s' AND sql LIKE '%%rtree%%'", rtree);
    if (gis_store_prepare(r->w, sql, &st, r->e))
        return r->e->code;
    bool has_rtree = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    for (int i = 0; has_rtree && i < 2; i++) {
        snprintf(sql, sizeof sql, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = '%s_%s_geom'",
                 import_index_triggers[i], import_table(r->c));
        if (gis_store_prepare(r->w, sql, &st, r->e))
            return r->e->code;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            r->index_trigger[i] = import_strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    if (!r->index_trigger[0] || !r->index_trigger[1]) {
        for (int i = 0; i < 2; i++) {
            free(r->index_trigger[i]);
            r->index_trigger[i] = NULL;
        }
        return ERR_OK;
    }
    for (int i = 0; i < 2; i++) {
        snprintf(sql, sizeof sql, "DROP TRIGGER \"%s_%s_geom\"", import_index_triggers[i], import_table(r->c));
        if (gis_store_exec(r->w, sql, r->e))
            return r->e->code;
    }
    return ERR_OK;
}

/* Notes that row id (already in the store before the import) got a new geometry. */
static enum err_code import_moved(struct import_run *r, long long id)
{
    if (!r->index_trigger[0])
        return ERR_OK;
    if (r->nmoved == r->capmoved) {
        size_t nc = r->capmoved ? r->capmoved * 2 : 256;
        long long *nm = realloc(r->moved, nc * sizeof *nm);
        if (!nm)
            return err_set(r->e, ERR_INTERNAL, "out of memory");
        r->moved = nm;
        r->capmoved = nc;
    }
    r->moved[r->nmoved++] = id;
    return ERR_OK;
}

static enum err_code import_index_resume(struct import_run *r)
{
    if (!r->index_trigger[0])
        return ERR_OK;
    char sql[400];
    const char *t = import_table(r->c);
    snprintf(sql, sizeof sql,
             "INSERT OR REPLACE INTO \"idx_%s_geom\" (pkid, xmin, xmax, ymin, ymax) "
             "SELECT id, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom) FROM \"%s\" "
             "WHERE id > %lld AND geom IS NOT NULL",
             t, t, r->max_id);
    if (gis_store_exec(r->w, sql, r->e))
        return r->e->code;
    if (r->nmoved) {
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql,
                 "INSERT OR REPLACE INTO \"idx_%s_geom\" (pkid, xmin, xmax, ymin, ymax) "
                 "SELECT id, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom) FROM \"%s\" "
                 "WHERE id = ? AND geom IS NOT NULL",
                 t, t);
        if (gis_store_prepare(r->w, sql, &st, r->e))
            return r->e->code;
        int rc = SQLITE_DONE;
        for (size_t i = 0; i < r->nmoved && rc == SQLITE_DONE; i++) {
            sqlite3_bind_int64(st, 1, r->moved[i]);
            rc = sqlite3_step(st);
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return import_sqlite_err(r, "spatial index");
    }
    for (int i = 0; i < 2; i++)
        if (gis_store_exec(r->w, r->index_trigger[i], r->e))
            return r->e->code;
    return ERR_OK;
}

/* plans.kind from a value such as 'pog', 'mpzp', an APP typPlanu title or its code-list URI. */
static const char *import_plan_kind(const char *v)
{
    char folded[256];
    text_fold(v, folded, sizeof folded);
    if (!strcmp(folded, "pog") || strstr(v, "planOgolny") || strstr(folded, "plan ogolny"))
        return "pog";
    if (!strcmp(folded, "mpzp") || strstr(v, "miejscowyPlan") || strstr(folded, "miejscowy plan"))
        return "mpzp";
    return NULL;
}

static const char *import_symbol_name(const char *symbol)
{
    for (int i = 0; import_zone_names[i][0]; i++)
        if (!strcmp(import_zone_names[i][0], symbol))
            return import_zone_names[i][1];
    return NULL;
}

/* The app-akt extras (resolution, publication, scale) for act iip, filling targets not already set. */
static void import_app_fill(struct import_run *r, struct import_val *v)
{
    if (!v[L_IIP].s)
        return;
    char needle[700];
    snprintf(needle, sizeof needle, "/%s/", v[L_IIP].s);
    int ndoc = 0, nrys = 0;
    for (int i = 0; i < r->nextra; i++)
        r->extra[i].scale ? nrys++ : ndoc++;
    for (int i = 0; i < r->nextra; i++) {
        struct import_app_extra *x = &r->extra[i];
        bool match = (x->href && strstr(x->href, needle)) || (x->scale ? nrys : ndoc) == 1;
        if (!match)
            continue;
        if (x->scale && !v[L_SCALE].set) {
            v[L_SCALE].set = true;
            v[L_SCALE].i = x->scale;
        }
        const char *const from[3] = {x->resolution, x->date, x->publication};
        const int to[3] = {L_RESOLUTION, L_RES_DATE, L_PUBLICATION};
        for (int k = 0; k < 3; k++)
            if (from[k] && !v[to[k]].set && (v[to[k]].s = import_strdup(from[k])))
                v[to[k]].set = true;
    }
}

static enum err_code import_app_extras(struct import_run *r, struct import_source *s)
{
    for (int i = 0; i < GDALDatasetGetLayerCount(s->ds); i++) {
        OGRLayerH h = GDALDatasetGetLayer(s->ds, i);
        const char *name = OGR_L_GetName(h);
        bool doc = !strcmp(name, "DokumentFormalny"), rys = !strncmp(name, "RysunekAktuPlan", 15);
        if (!doc && !rys)
            continue;
        OGRFeatureDefnH fd = OGR_L_GetLayerDefn(h);
        int href = OGR_FD_GetFieldIndex(fd, doc ? "uchwala_href" : "plan_href");
        int f_title = OGR_FD_GetFieldIndex(fd, "tytul"), f_date = OGR_FD_GetFieldIndex(fd, "Date");
        if (f_date < 0)
            f_date = OGR_FD_GetFieldIndex(fd, "data");
        int f_pub = OGR_FD_GetFieldIndex(fd, "numerIdentyfikacyjny");
        if (f_pub < 0)
            f_pub = OGR_FD_GetFieldIndex(fd, "dziennikUrzedowy_title");
        int f_scale = OGR_FD_GetFieldIndex(fd, "rozdzielczoscPrzestrzenna");
        OGRFeatureH f;
        OGR_L_ResetReading(h);
        while ((f = OGR_L_GetNextFeature(h))) {
            long scale = rys && f_scale >= 0 ? (long)OGR_F_GetFieldAsInteger64(f, f_scale) : 0;
            if (!doc && scale <= 0) {
                OGR_F_Destroy(f);
                continue;
            }
            struct import_app_extra *nx = realloc(r->extra, (size_t)(r->nextra + 1) * sizeof *nx);
            if (!nx) {
                OGR_F_Destroy(f);
                return err_set(r->e, ERR_INTERNAL, "out of memory");
            }
            r->extra = nx;
            struct import_app_extra *x = &r->extra[r->nextra++];
            memset(x, 0, sizeof *x);
            x->href = import_field_text(f, href);
            if (doc) {
                x->resolution = import_field_text(f, f_title);
                x->date = import_field_text(f, f_date);
                x->publication = import_field_text(f, f_pub);
            } else
                x->scale = scale;
            OGR_F_Destroy(f);
        }
        OGR_L_ResetReading(h);
    }
    return ERR_OK;
}

/* The name a feature goes by in the report. */
static void import_ident(struct import_run *r, struct import_layer *L, OGRFeatureH f, const struct import_val *v,
                         char *out, size_t cap)
{
    out[0] = 0;
    char *id = L->ident >= 0 ? import_field_text(f, L->ident) : NULL;
    const char *key = id;
    if (!key)
        switch (r->c->id) {
        case C_PARCELS: key = v[P_PARCEL_ID].s; break;
        case C_BUILDINGS: key = v[B_ID].s; break;
        case C_PLANS: key = v[L_IIP].s ? v[L_IIP].s : v[L_TITLE].s; break;
        case C_PLAN_ZONES:
        case C_POG_ZONES: key = v[Z_LABEL].s; break;
        case C_PLAN_LINES: key = v[N_KIND].s; break;
        case C_ADDRESSES:
            if (v[A_LOCALITY].s && v[A_NUMBER].s)
                snprintf(out, cap, "%s%s%s %s", v[A_LOCALITY].s, v[A_STREET].s ? ", " : "",
                         v[A_STREET].s ? v[A_STREET].s : "", v[A_NUMBER].s);
            break;
        }
    if (key)
        snprintf(out, cap, "%s", key);
    free(id);
}

static void import_event(struct import_run *r, const char *what, struct import_source *s, struct import_layer *L,
                         long n, const char *ident, const char *text)
{
    if (!r->report)
        return;
    import_say(r, "%s: %s%s%s: feature %ld%s%s%s: %s", what, s->label, s->nlayers > 1 ? ":" : "",
               s->nlayers > 1 ? L->name : "", n, ident[0] ? " (" : "", ident, ident[0] ? ")" : "", text);
}

/* Writes one feature's row. Returns an error only for store failures; rejects go through why. */
/* One feature on its way into the collection's table: its values, its geometry as WKB, and what the
 * write gives back (the row id, the plan of a zone, or why the feature was rejected). */
struct import_row {
    struct import_layer *L;
    OGRFeatureH f;
    struct import_val *v;
    const GEOSGeometry *g;
    const unsigned char *wkb;
    int wkblen;
    long long *id, *plan;
    char *why;
    size_t cap;
};

/* Each binder binds the row to r->ins and sets *bound; or leaves it unset with why (a rejected feature),
 * with *id (a row written otherwise), or with an error. */
static enum err_code import_bind_parcel(struct import_run *r, struct import_row *w, bool *bound)
{
    struct import_val *v = w->v;
    sqlite3_stmt *st = r->ins;
    long long obreb;
    enum err_code rc = import_obreb(r, v[P_PARCEL_ID].s, v[P_OBREB].s, &obreb, w->why, w->cap);
    if (rc || !obreb)
        return rc;
    const char *number = v[P_NUMBER].s ? v[P_NUMBER].s : strrchr(v[P_PARCEL_ID].s, '.') + 1;
    double area = v[P_AREA].d;
    if (!v[P_AREA].set)
        GEOSArea_r(r->gh, w->g, &area);
    sqlite3_bind_text(st, 1, v[P_PARCEL_ID].s, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, obreb);
    sqlite3_bind_text(st, 3, number, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 4, area);
    import_bind_text(st, 5, v[P_LAND_USE].s);
    sqlite3_bind_blob(st, 6, w->wkb, w->wkblen, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, r->max_id);
    *bound = true;
    return ERR_OK;
}

/* An address point: a new row, or the row of the same locality, street and number (which this import has
 * not written yet) updated in place. */
static enum err_code import_bind_address(struct import_run *r, struct import_row *w, bool *bound)
{
    struct import_val *v = w->v;
    long long loc, street = 0, have = 0;
    enum err_code rc;
    if ((rc = import_locality(r, v[A_LOCALITY].s, v[A_SIMC].s, v[A_POSTAL].s, &loc)))
        return rc;
    if (v[A_STREET].s && (rc = import_street(r, loc, v[A_STREET].s, v[A_ULIC].s, &street)))
        return rc;
    sqlite3_bind_int64(r->addr_get, 1, loc);
    if (street)
        sqlite3_bind_int64(r->addr_get, 2, street);
    else
        sqlite3_bind_null(r->addr_get, 2);
    sqlite3_bind_text(r->addr_get, 3, v[A_NUMBER].s, -1, SQLITE_TRANSIENT);
    if ((rc = import_step_id(r, r->addr_get, &have, "addresses")))
        return rc;
    if (have > r->max_id) {
        snprintf(w->why, w->cap, "duplicate address in this import");
        return ERR_OK;
    }
    if (have) {
        sqlite3_stmt *up = r->addr_upd;
        import_bind_text(up, 1, v[A_POSTAL].s);
        import_bind_text(up, 2, v[A_PARCEL_ID].s);
        sqlite3_bind_blob(up, 3, w->wkb, w->wkblen, SQLITE_STATIC);
        sqlite3_bind_int64(up, 4, have);
        if ((rc = import_step_id(r, up, NULL, "addresses")))
            return rc;
        *w->id = have;
        return ERR_OK;
    }
    sqlite3_stmt *st = r->ins;
    sqlite3_bind_int64(st, 1, loc);
    if (street)
        sqlite3_bind_int64(st, 2, street);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_text(st, 3, v[A_NUMBER].s, -1, SQLITE_TRANSIENT);
    import_bind_text(st, 4, v[A_POSTAL].s);
    import_bind_text(st, 5, v[A_PARCEL_ID].s);
    sqlite3_bind_blob(st, 6, w->wkb, w->wkblen, SQLITE_STATIC);
    *bound = true;
    return ERR_OK;
}

static enum err_code import_bind_building(struct import_run *r, struct import_row *w, bool *bound)
{
    sqlite3_stmt *st = r->ins;
    import_bind_text(st, 1, w->v[B_ID].s);
    import_bind_text(st, 2, w->v[B_FUNCTION].s);
    import_bind_int(st, 3, &w->v[B_STOREYS]);
    sqlite3_bind_blob(st, 4, w->wkb, w->wkblen, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, r->max_id);
    *bound = true;
    return ERR_OK;
}

static enum err_code import_bind_plan(struct import_run *r, struct import_row *w, bool *bound)
{
    struct import_val *v = w->v;
    sqlite3_stmt *st = r->ins;
    const char *kind = import_plan_kind(v[L_KIND].s);
    if (!kind) {
        snprintf(w->why, w->cap, "kind '%.100s' is neither a POG (plan ogólny) nor an MPZP", v[L_KIND].s);
        return ERR_OK;
    }
    import_app_fill(r, v);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    import_bind_text(st, 2, v[L_TITLE].s);
    import_bind_text(st, 3, v[L_IIP].s);
    import_bind_text(st, 4, v[L_RESOLUTION].s);
    import_bind_text(st, 5, v[L_RES_DATE].s);
    import_bind_text(st, 6, v[L_PUBLICATION].s);
    import_bind_int(st, 7, &v[L_SCALE]);
    /* an APP status (its code or title) is kept as odra's own word for it */
    const char *status =
        v[L_STATUS].s && app_status_to_odra(v[L_STATUS].s) ? app_status_to_odra(v[L_STATUS].s) : v[L_STATUS].s;
    import_bind_text(st, 8, status);
    import_bind_text(st, 9, v[L_VALID_FROM].s);
    import_bind_text(st, 10, v[L_VALID_TO].s);
    sqlite3_bind_blob(st, 11, w->wkb, w->wkblen, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, r->max_id);
    import_bind_text(st, 13, v[L_VERSION].s);
    *bound = true;
    return ERR_OK;
}

/* An MPZP or POG zone, in the plan its feature names; the symbol, when missing, from the label ("12MN"). */
static enum err_code import_bind_zone(struct import_run *r, struct import_row *w, bool *bound)
{
    /* Z_PLAN..Z_NAME and G_PLAN..G_NAME are the same indexes. */
    struct import_val *v = w->v;
    sqlite3_stmt *st = r->ins;
    long long plan;
    enum err_code rc = import_zone_plan(r, w->L, w->f, v[Z_PLAN].s, &plan, w->why, w->cap);
    if (rc || !plan)
        return rc;
    const char *label = v[Z_LABEL].s, *symbol = v[Z_SYMBOL].s, *name = v[Z_NAME].s;
    char derived[64];
    if (!symbol) {
        const char *p = label;
        while (isdigit((unsigned char)*p))
            p++;
        snprintf(derived, sizeof derived, "%.*s", (int)strcspn(p, " ./-"), p);
        symbol = derived;
    }
    if (!symbol[0]) {
        snprintf(w->why, w->cap, "no symbol, and none in label '%.60s'", label);
        return ERR_OK;
    }
    if (!name)
        name = import_symbol_name(symbol);
    if (!name)
        name = symbol;
    sqlite3_bind_int64(st, 1, plan);
    sqlite3_bind_text(st, 2, label, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, symbol, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, name, -1, SQLITE_TRANSIENT);
    if (r->c->id == C_PLAN_ZONES) {
        import_bind_real(st, 5, &v[Z_MAX_HEIGHT]);
        import_bind_int(st, 6, &v[Z_MAX_STOREYS]);
        import_bind_real(st, 7, &v[Z_MIN_INT]);
        import_bind_real(st, 8, &v[Z_MAX_INT]);
        import_bind_real(st, 9, &v[Z_MAX_COV]);
        import_bind_real(st, 10, &v[Z_MIN_BIO]);
        import_bind_real(st, 11, &v[Z_MIN_PARCEL]);
        import_bind_text(st, 12, v[Z_ROOF].s);
        sqlite3_bind_blob(st, 13, w->wkb, w->wkblen, SQLITE_STATIC);
        sqlite3_bind_int64(st, 14, r->max_id);
    } else {
        import_bind_real(st, 5, &v[G_MAX_INT]);
        import_bind_real(st, 6, &v[G_MAX_COV]);
        import_bind_real(st, 7, &v[G_MAX_HEIGHT]);
        import_bind_real(st, 8, &v[G_MIN_BIO]);
        sqlite3_bind_blob(st, 9, w->wkb, w->wkblen, SQLITE_STATIC);
        sqlite3_bind_int64(st, 10, r->max_id);
        import_bind_text(st, 11, v[G_IIP].s);
        import_bind_text(st, 12, v[G_VERSION].s);
    }
    *w->plan = plan;
    *bound = true;
    return ERR_OK;
}

/* A plan-lines row: its plan as a zone's (import_zone_plan), and its kind from the code list plan_line_kinds,
 * by code or by Polish name; another kind rejects the feature. */
static enum err_code import_bind_line(struct import_run *r, struct import_row *w, bool *bound)
{
    struct import_val *v = w->v;
    long long plan;
    enum err_code rc = import_zone_plan(r, w->L, w->f, v[N_PLAN].s, &plan, w->why, w->cap);
    if (rc || !plan)
        return rc;
    sqlite3_bind_text(r->kind_get, 1, v[N_KIND].s, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(r->kind_get);
    sqlite3_reset(r->kind_get);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return import_sqlite_err(r, "plan_line_kinds");
    if (src == SQLITE_DONE) {
        snprintf(w->why, w->cap,
                 "kind '%.80s' is not in the code list (plan_line_kinds: linia_zabudowy_obowiazujaca, "
                 "linia_zabudowy_nieprzekraczalna, granica_strefy_konserwatorskiej, ...; docs/import.md)",
                 v[N_KIND].s);
        return ERR_OK;
    }
    sqlite3_stmt *st = r->ins;
    sqlite3_bind_int64(st, 1, plan);
    sqlite3_bind_text(st, 2, v[N_KIND].s, -1, SQLITE_TRANSIENT);
    import_bind_text(st, 3, v[N_LABEL].s);
    import_bind_text(st, 4, v[N_ZONE].s);
    sqlite3_bind_blob(st, 5, w->wkb, w->wkblen, SQLITE_STATIC);
    *w->plan = plan;
    *bound = true;
    return ERR_OK;
}

/* Runs the bound insert (an upsert that returns the row id when it wrote a row): a row the schema refuses
 * is a rejected APP feature, or else fails the import; no id means the same key came earlier in this
 * import. */
static enum err_code import_insert(struct import_run *r, struct import_row *w)
{
    sqlite3_stmt *st = r->ins;
    int src = sqlite3_step(st);
    *w->id = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (src == SQLITE_ROW)
        src = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (src == SQLITE_CONSTRAINT && r->app) {
        /* An APP feature the schema refuses (its idIIP again, say): a finding, already named by the
         * pre-pass; the import goes on to report the rest and is refused. */
        snprintf(w->why, w->cap, "%s", sqlite3_errmsg(r->db));
        *w->id = 0;
        return ERR_OK;
    }
    if (src ==
        SQLITE_CONSTRAINT) /* A row the schema refuses (NOT NULL, CHECK, a foreign key): the whole import fails. */
        return err_set(r->e, ERR_UNPROCESSABLE, "%s: %s", import_table(r->c), sqlite3_errmsg(r->db));
    if (src != SQLITE_DONE)
        return import_sqlite_err(r, import_table(r->c));
    if (!*w->id)
        snprintf(w->why, w->cap, "the same key appears earlier in this import (%s)",
                 r->c->id == C_PARCELS     ? "parcel_id"
                 : r->c->id == C_BUILDINGS ? "building_id"
                 : r->c->id == C_PLANS     ? "iip"
                                           : "plan and label");
    return ERR_OK;
}

static enum err_code import_write(struct import_run *r, struct import_layer *L, OGRFeatureH f, struct import_val *v,
                                  const GEOSGeometry *g, long long *id, long long *plan_out, char *why, size_t cap)
{
    size_t wkblen = 0;
    unsigned char *wkb = GEOSWKBWriter_write_r(r->gh, r->wr, g, &wkblen);
    if (!wkb)
        return err_set(r->e, ERR_INTERNAL, "GEOS cannot write WKB: %s", r->geos.msg);
    struct import_row w = {L, f, v, g, wkb, (int)wkblen, id, plan_out, why, cap};
    enum err_code rc = ERR_OK;
    bool bound = false;
    *id = 0;
    switch (r->c->id) {
    case C_PARCELS: rc = import_bind_parcel(r, &w, &bound); break;
    case C_ADDRESSES: rc = import_bind_address(r, &w, &bound); break;
    case C_BUILDINGS: rc = import_bind_building(r, &w, &bound); break;
    case C_PLANS: rc = import_bind_plan(r, &w, &bound); break;
    case C_PLAN_ZONES:
    case C_POG_ZONES: rc = import_bind_zone(r, &w, &bound); break;
    case C_PLAN_LINES: rc = import_bind_line(r, &w, &bound); break;
    }
    if (!rc && bound)
        rc = import_insert(r, &w);
    GEOSFree_r(r->gh, wkb);
    return rc;
}

/* ---- overlaps ---- */

struct import_query {
    struct import_run *r;
    size_t self;
    size_t *hits;
    size_t n, cap;
};

static void import_query_cb(void *item, void *user)
{
    struct import_query *q = user;
    size_t j = (size_t)((struct import_zone *)item - q->r->zones);
    if (j <= q->self)
        return;
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 16;
        size_t *nh = realloc(q->hits, nc * sizeof *nh);
        if (!nh)
            return;
        q->hits = nh;
        q->cap = nc;
    }
    q->hits[q->n++] = j;
}

static enum err_code import_overlaps(struct import_run *r)
{
    if (r->nzones < 2)
        return ERR_OK;
    GEOSContextHandle_t h = r->gh;
    GEOSSTRtree *tree = GEOSSTRtree_create_r(h, 10);
    if (!tree)
        return err_set(r->e, ERR_INTERNAL, "GEOS: %s", r->geos.msg);
    for (size_t i = 0; i < r->nzones; i++)
        GEOSSTRtree_insert_r(h, tree, r->zones[i].g, &r->zones[i]);
    struct import_query q = {.r = r};
    for (size_t i = 0; i < r->nzones; i++) {
        struct import_zone *a = &r->zones[i];
        q.self = i;
        q.n = 0;
        GEOSSTRtree_query_r(h, tree, a->g, import_query_cb, &q);
        if (!q.n)
            continue;
        const GEOSPreparedGeometry *pa = GEOSPrepare_r(h, a->g);
        for (size_t k = 0; k < q.n; k++) {
            struct import_zone *b = &r->zones[q.hits[k]];
            if (b->plan != a->plan || !pa || GEOSPreparedIntersects_r(h, pa, b->g) != 1)
                continue;
            GEOSGeometry *x = GEOSIntersection_r(h, a->g, b->g);
            double area = 0;
            if (x) {
                GEOSArea_r(h, x, &area);
                GEOSGeom_destroy_r(h, x);
            }
            if (area > GIS_IMPORT_OVERLAP_MIN_M2) {
                r->st->overlaps++;
                import_say(r, "overlap: %s and %s overlap by %.1f m²", a->name, b->name, area);
                char who[420];
                snprintf(who, sizeof who, "%s, %s", a->name, b->name);
                double pt[2] = {NAN, NAN};
                GEOSGeometry *x2 = GEOSIntersection_r(h, a->g, b->g), *p = x2 ? GEOSPointOnSurface_r(h, x2) : NULL;
                if (p && (GEOSGeomGetX_r(h, p, &pt[0]) != 1 || GEOSGeomGetY_r(h, p, &pt[1]) != 1))
                    pt[0] = pt[1] = NAN;
                if (p)
                    GEOSGeom_destroy_r(h, p);
                if (x2)
                    GEOSGeom_destroy_r(h, x2);
                /* MPZP zones may overlap (a road over a zone, say): reported, imported. */
                gis_report_add_sev(r->rp, GIS_SEV_WARNING, "NAKLADANIE", NULL, who, pt, area,
                                   "strefy %s i %s nakładają się", a->name, b->name);
            }
        }
        if (pa)
            GEOSPreparedGeom_destroy_r(h, pa);
    }
    free(q.hits);
    GEOSSTRtree_destroy_r(h, tree);
    return ERR_OK;
}

/* ---- the main loop ---- */

static void import_progress(struct import_run *r, bool final)
{
    if (!r->progress)
        return;
    double now = import_now();
    if (!final && now - r->last_progress < 0.2)
        return;
    r->last_progress = now;
    if (final) {
        if (r->progress_shown)
            fprintf(stderr, "\r%70s\r", "");
        r->progress_shown = false;
        return;
    }
    r->progress_shown = true;
    if (r->total > 0)
        fprintf(stderr, "\rimport: %ld features read (%.0f%%)", r->st->read,
                fmin(100.0, 100.0 * (double)r->st->read / (double)r->total));
    else
        fprintf(stderr, "\rimport: %ld features read", r->st->read);
    fflush(stderr);
}

/* A feature's fault as a finding. In an APP file it is an error: the Rejestr Urbanistyczny refuses the
 * file, so odra does not repair it either. Elsewhere it is a warning: the feature was repaired, or skipped. */
static void import_fault(struct import_run *r, struct import_source *s, const char *ident, enum import_geom_result gr,
                         const char *text)
{
    bool self = strcasestr(text, "self-intersection") != NULL;
    const char *rule = gr == GEOM_OK         ? "OBIEKT-ODRZUCONY"
                       : self                ? "SAMOPRZECIECIE-PIERSCIENIA"
                       : gr == GEOM_REPAIRED ? "GEOMETRIA-NIEPOPRAWNA"
                                             : "OBIEKT-ODRZUCONY";
    const char *what = r->app ? (gr == GEOM_REPAIRED ? "odrzucono (GEOS umie to naprawić, ale plik APP musi mieć "
                                                       "poprawną geometrię)"
                                                     : "odrzucono")
                              : (gr == GEOM_REPAIRED ? "naprawiono" : "pominięto");
    gis_report_add_sev(r->rp, r->app ? GIS_SEV_ERROR : GIS_SEV_WARNING, rule, s->label, ident, r->fault_pt, NAN,
                       "%s: %s", what, text);
}

/* Where the data lies: every geometry within the gmina's territory (POZA-GMINA). */
static void import_where(struct import_run *r, struct import_source *s, const char *ident, const GEOSGeometry *g)
{
    double out = 0, pt[2];
    if (!r->territory || !g || gis_territory_holds(r->territory, g, &out, pt))
        return;
    if (out > 0)
        gis_report_add(r->rp, "POZA-GMINA", s->label, ident, pt, out,
                       "%.1f m² geometrii leży poza granicą gminy %s (tolerancja %.2f m)", out,
                       r->o->gmina ? r->o->gmina : "", r->o->boundary_tolerance_m);
    else
        gis_report_add(r->rp, "POZA-GMINA", s->label, ident, pt, NAN, "geometria leży poza granicą gminy %s",
                       r->o->gmina ? r->o->gmina : "");
}

static enum err_code import_plan_touched(struct import_run *r, long long plan)
{
    for (size_t i = 0; i < r->nplans; i++)
        if (r->plans[i] == plan)
            return ERR_OK;
    if (r->nplans == r->capplans) {
        size_t nc = r->capplans ? 2 * r->capplans : 8;
        long long *p = realloc(r->plans, nc * sizeof *p);
        if (!p)
            return err_set(r->e, ERR_INTERNAL, "out of memory");
        r->plans = p, r->capplans = nc;
    }
    r->plans[r->nplans++] = plan;
    return ERR_OK;
}

static enum err_code import_feature(struct import_run *r, struct import_source *s, struct import_layer *L,
                                    OGRFeatureH f, long n)
{
    struct import_val v[IMPORT_MAX_TARGETS] = {{0}};
    char why[600] = "", note[600] = "", ident[200];
    enum err_code rc = ERR_OK;
    GEOSGeometry *g = NULL;
    const char *bad = import_values(r, L, f, v, why, sizeof why);
    for (int t = 0; !bad && t < r->nt; t++)
        if (r->c->t[t].required && !v[t].set) {
            snprintf(why, sizeof why, "%s is empty", r->c->t[t].name);
            bad = why;
        }
    import_ident(r, L, f, v, ident, sizeof ident);
    if (bad) {
        r->st->rejected++;
        import_event(r, "rejected", s, L, n, ident, why);
        import_fault(r, s, ident, GEOM_OK, why);
        goto out;
    }
    enum import_geom_result gr = import_geometry(r, L, OGR_F_StealGeometry(f), &g, note, sizeof note);
    if (gr == GEOM_REJECTED) {
        r->st->rejected++;
        import_event(r, "rejected", s, L, n, ident, note);
        import_fault(r, s, ident, GEOM_REJECTED, note);
        goto out;
    }
    import_where(r, s, ident, g);
    bool zone = r->c->id == C_PLAN_ZONES;
    if (zone && r->nzones == r->capzones) {
        size_t nc = r->capzones ? r->capzones * 2 : 64;
        struct import_zone *nz = realloc(r->zones, nc * sizeof *nz);
        if (!nz) {
            rc = err_set(r->e, ERR_INTERNAL, "out of memory");
            goto out;
        }
        r->zones = nz;
        r->capzones = nc;
    }
    long long id = 0, plan = 0;
    if ((rc = import_write(r, L, f, v, g, &id, &plan, why, sizeof why)))
        goto out;
    if (!id) {
        r->st->rejected++;
        import_event(r, "rejected", s, L, n, ident, why);
        import_fault(r, s, ident, GEOM_OK, why);
        goto out;
    }
    r->st->imported++;
    if (r->c->id == C_POG_ZONES && (rc = import_plan_touched(r, plan)))
        goto out;
    if (r->c->id == C_PLANS && v[L_KIND].s && import_plan_kind(v[L_KIND].s) &&
        !strcmp(import_plan_kind(v[L_KIND].s), "pog") && (rc = import_plan_touched(r, id)))
        goto out;
    if (id <= r->max_id) {
        r->st->updated++;
        if ((rc = import_moved(r, id)))
            goto out;
    }
    if (gr == GEOM_REPAIRED) {
        r->st->repaired++;
        import_event(r, "repaired", s, L, n, ident, note);
        import_fault(r, s, ident, GEOM_REPAIRED, note);
    }
    if (zone) {
        struct import_zone *z = &r->zones[r->nzones];
        z->g = g;
        z->plan = plan;
        z->name = import_strdup(ident[0] ? ident : "?");
        if (!z->name) {
            rc = err_set(r->e, ERR_INTERNAL, "out of memory");
            goto out;
        }
        g = NULL;
        r->nzones++;
    }
out:
    if (g)
        GEOSGeom_destroy_r(r->gh, g);
    import_vals_free(v, r->nt);
    return rc;
}

static enum err_code import_layer_run(struct import_run *r, struct import_source *s, struct import_layer *L)
{
    OGR_L_ResetReading(L->h);
    r->cpl.failures = 0;
    r->cpl.msg[0] = 0;
    long n = 0;
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(L->h))) {
        r->st->read++;
        enum err_code rc = import_feature(r, s, L, f, ++n);
        OGR_F_Destroy(f);
        if (rc)
            return rc;
        if ((n & 255) == 0)
            import_progress(r, false);
    }
    if (r->cpl.failures)
        return err_set(r->e, ERR_UNPROCESSABLE, "%s: read error after %ld features: %s", s->label, n, r->cpl.msg);
    return ERR_OK;
}

static enum err_code import_record(struct import_run *r, const char *const *files, int n, const char *started)
{
    char source[2000];
    size_t k = 0;
    source[0] = 0;
    for (int i = 0; i < n && k + 1 < sizeof source; i++)
        k += (size_t)snprintf(source + k, sizeof source - k, "%s%s", i ? ", " : "", files[i]);
    sqlite3_stmt *st;
    if (gis_store_prepare(r->w,
                          "INSERT INTO imports (started_at, source, collection, read, imported, repaired, rejected) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)",
                          &st, r->e))
        return r->e->code;
    sqlite3_bind_text(st, 1, started, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, source, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, r->c->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, r->st->read);
    sqlite3_bind_int64(st, 5, r->st->imported);
    sqlite3_bind_int64(st, 6, r->st->repaired);
    sqlite3_bind_int64(st, 7, r->st->rejected);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ERR_OK : import_sqlite_err(r, "imports");
}

static void import_cleanup(struct import_run *r)
{
    sqlite3_stmt *sts[] = {r->ins,        r->obreb_get,  r->obreb_add, r->obreb_name, r->loc_get,  r->loc_add,
                           r->street_get, r->street_add, r->addr_get,  r->addr_upd,   r->plan_get, r->kind_get};
    for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++)
        sqlite3_finalize(sts[i]);
    for (int i = 0; i < r->nsrc; i++) {
        struct import_source *s = &r->src[i];
        for (int k = 0; k < s->nlayers; k++) {
            struct import_layer *L = &s->layers[k];
            if (L->ct)
                OCTDestroyCoordinateTransformation(L->ct);
            if (L->back)
                OCTDestroyCoordinateTransformation(L->back);
            if (L->srs)
                OSRDestroySpatialReference(L->srs);
            free(L->name);
        }
        free(s->layers);
        if (s->ds)
            GDALClose(s->ds);
        free(s->path);
        free(s->label);
    }
    free(r->src);
    for (int i = 0; i < r->nextra; i++) {
        free(r->extra[i].href);
        free(r->extra[i].resolution);
        free(r->extra[i].date);
        free(r->extra[i].publication);
    }
    free(r->extra);
    for (size_t i = 0; i < r->nzones; i++) {
        GEOSGeom_destroy_r(r->gh, r->zones[i].g);
        free(r->zones[i].name);
    }
    free(r->zones);
    for (int w = 0; w < 4; w++)
        for (int i = 0; i < r->ncache[w]; i++)
            free(r->cache[w][i].key);
    if (r->s_srs)
        OSRDestroySpatialReference(r->s_srs);
    if (r->dst)
        OSRDestroySpatialReference(r->dst);
    if (r->territory)
        gis_territory_free(r->territory);
    if (r->gmina && r->gh)
        GEOSGeom_destroy_r(r->gh, r->gmina);
    if (r->gh) {
        if (r->rd)
            GEOSWKBReader_destroy_r(r->gh, r->rd);
        if (r->wr)
            GEOSWKBWriter_destroy_r(r->gh, r->wr);
        if (r->mvp)
            GEOSMakeValidParams_destroy_r(r->gh, r->mvp);
        GEOS_finish_r(r->gh);
    }
    free(r->plans);
    free(r->index_trigger[0]);
    free(r->index_trigger[1]);
    free(r->moved);
    free(r->wkb);
    free(r->xs);
    free(r->ys);
}

/* Everything that can fail without writing: options, files, sources, mappings, CRSs. */
static enum err_code import_setup(struct import_run *r, const char *const *files, int n, char *mapbuf)
{
    const struct gis_import_opts *o = r->o;
    if (!o || !o->collection)
        return err_param(r->e, "collection",
                         "no collection given (parcels, addresses, buildings, plans, plan-zones, "
                         "pog-zones)");
    if (!(r->c = import_collection_find(o->collection)))
        return err_param(r->e, "collection",
                         "unknown collection '%s' (parcels, addresses, buildings, plans, plan-zones, pog-zones)",
                         o->collection);
    r->nt = import_ntargets(r->c);
    if (o->preset) {
        for (int i = 0; i < IMPORT_NPRESET && !r->p; i++)
            if (!strcmp(import_presets[i].name, o->preset))
                r->p = &import_presets[i];
        if (!r->p)
            return err_param(r->e, "preset", "unknown preset '%s' (app-strefy, app-akt)", o->preset);
        if (import_collections[r->p->coll].id != r->c->id)
            return err_param(r->e, "preset", "preset %s imports %s, not %s", r->p->name,
                             import_collections[r->p->coll].name, r->c->name);
        for (int i = 0; i < IMPORT_MAX_TARGETS && r->p->f[i].target; i++) {
            int t = import_target_find(r->c, r->p->f[i].target, strlen(r->p->f[i].target));
            if (t >= 0)
                r->map[t].spec = r->p->f[i].src;
        }
    }
    if (mapbuf && import_parse_map(r, mapbuf))
        return r->e->code;
    if (n <= 0 || !files)
        return err_set(r->e, ERR_INVALID, "no files to import");
    r->dst = OSRNewSpatialReference(NULL);
    if (!r->dst || OSRImportFromEPSG(r->dst, 2180) != OGRERR_NONE)
        return err_set(r->e, ERR_INTERNAL, "EPSG:2180 unknown to PROJ (is proj-data installed?)");
    OSRSetAxisMappingStrategy(r->dst, OAMS_TRADITIONAL_GIS_ORDER);
    if (o->s_srs && import_parse_srs(r))
        return r->e->code;
    for (int i = 0; i < n; i++) {
        int first = r->nsrc;
        if (import_open_file(r, files[i]))
            return r->e->code;
        for (int k = first; k < r->nsrc; k++)
            if (import_prepare_source(r, &r->src[k]))
                return r->e->code;
    }
    r->total = 0;
    for (int i = 0; i < r->nsrc && r->total >= 0; i++)
        for (int k = 0; k < r->src[i].nlayers; k++)
            r->total = r->src[i].layers[k].count < 0 ? -1 : r->total + r->src[i].layers[k].count;
    r->gh = GEOS_init_r();
    if (!r->gh)
        return err_set(r->e, ERR_INTERNAL, "GEOS cannot start");
    GEOSContext_setErrorMessageHandler_r(r->gh, import_geos_handler, &r->geos);
    GEOSContext_setNoticeMessageHandler_r(r->gh, NULL, NULL);
    r->rd = GEOSWKBReader_create_r(r->gh);
    r->wr = GEOSWKBWriter_create_r(r->gh);
    r->mvp = GEOSMakeValidParams_create_r(r->gh);
    if (!r->rd || !r->wr || !r->mvp)
        return err_set(r->e, ERR_INTERNAL, "GEOS: out of memory");
    GEOSWKBWriter_setOutputDimension_r(r->gh, r->wr, 2);
    GEOSMakeValidParams_setMethod_r(r->gh, r->mvp, GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(r->gh, r->mvp, 0);
    return ERR_OK;
}

/* The gmina's territory for the location rule, read once per collection. */
static enum err_code import_territory(struct import_run *r, bool *warned)
{
    struct err le = {0};
    r->gmina = import_app_boundary(r->w, r->gh, &le);
    if (!r->gmina) {
        if (!*warned)
            gis_report_add(r->rp, "BRAK-GRANICY-GMINY", NULL, NULL, NULL, NAN,
                           "baza gminy %s nie ma granicy gminy (ustaw ją: odra boundary)",
                           r->o->gmina ? r->o->gmina : "");
        *warned = true;
        return ERR_OK;
    }
    r->territory = gis_territory_new(r->gh, r->gmina, r->o->boundary_tolerance_m);
    if (!r->territory)
        return err_set(r->e, ERR_INTERNAL, "GEOS cannot prepare the gmina boundary: %s", r->geos.msg);
    return ERR_OK;
}

/* Imports one collection inside the caller's transaction. */
/* The POG plans an import touched (zones written, or the act itself), for the coverage at its end. */
struct import_touched {
    long long *ids;
    size_t n, cap;
    bool refused; /* zones were refused: the coverage of what got in would mislead */
};

static enum err_code import_touch(struct import_touched *t, const long long *ids, size_t n, struct err *e)
{
    for (size_t k = 0; k < n; k++) {
        bool seen = false;
        for (size_t i = 0; i < t->n && !seen; i++)
            seen = t->ids[i] == ids[k];
        if (seen)
            continue;
        if (t->n == t->cap) {
            size_t nc = t->cap ? 2 * t->cap : 8;
            long long *p = realloc(t->ids, nc * sizeof *p);
            if (!p)
                return err_set(e, ERR_INTERNAL, "out of memory");
            t->ids = p, t->cap = nc;
        }
        t->ids[t->n++] = ids[k];
    }
    return ERR_OK;
}

/* What one collection's import writes under change tracking (gis_changes_track_at). */
/* Reads the POG regulations of an APP source (its ObszarUzupelnieniaZabudowy and
 * ObszarStandardowDostepnosciInfrastrukturySpolecznej layers), with the same CRS, axis and geometry rules as
 * the zones, and writes them (import_app_regulation_put). */
static enum err_code import_app_regulations(struct import_run *r, struct import_source *s)
{
    int nsd;
    const struct app_standard *sd = app_standards(&nsd);
    enum err_code rc = ERR_OK;
    for (int li = 0; !rc && li < GDALDatasetGetLayerCount(s->ds); li++) {
        OGRLayerH h = GDALDatasetGetLayer(s->ds, li);
        const char *name = OGR_L_GetName(h);
        bool standards = !strcmp(name, "ObszarStandardowDostepnosciInfrastrukturySpolecznej");
        if (!standards && strcmp(name, "ObszarUzupelnieniaZabudowy") != 0)
            continue;
        struct import_layer L = {.h = h, .name = (char *)name, .ident = -1};
        rc = import_layer_crs(r, s, &L);
        OGRFeatureDefnH fd = OGR_L_GetLayerDefn(h);
        int f_ns = OGR_FD_GetFieldIndex(fd, "przestrzenNazw"), f_lid = OGR_FD_GetFieldIndex(fd, "lokalnyId");
        int f_ver = OGR_FD_GetFieldIndex(fd, "wersjaId"), f_lab = OGR_FD_GetFieldIndex(fd, "oznaczenie");
        int f_plan = OGR_FD_GetFieldIndex(fd, "plan_href"),
            f_farm = OGR_FD_GetFieldIndex(fd, "wylaczenieZabudowyZagrodowej");
        OGRFeatureH f;
        OGR_L_ResetReading(h);
        while (!rc && (f = OGR_L_GetNextFeature(h))) {
            char *ns = import_field_text(f, f_ns), *lid = import_field_text(f, f_lid),
                 *ver = import_field_text(f, f_ver);
            char *lab = import_field_text(f, f_lab), *plan = import_field_text(f, f_plan),
                 *farm = import_field_text(f, f_farm);
            double values[32];
            for (int i = 0; i < nsd && i < 32; i++) {
                int idx = OGR_FD_GetFieldIndex(fd, sd[i].element);
                values[i] = idx >= 0 && OGR_F_IsFieldSetAndNotNull(f, idx) ? OGR_F_GetFieldAsDouble(f, idx) : NAN;
            }
            GEOSGeometry *g = NULL;
            char note[300];
            enum import_geom_result gr = import_geometry(r, &L, OGR_F_StealGeometry(f), &g, note, sizeof note);
            if (gr == GEOM_REJECTED || gr == GEOM_REPAIRED) {
                gis_report_add(r->rp, gr == GEOM_REPAIRED ? "GEOMETRIA-NIEPOPRAWNA" : "OBIEKT-ODRZUCONY", s->label, lid,
                               NULL, NAN, "%s: %s", name, note);
            } else {
                size_t len = 0;
                unsigned char *wkb = GEOSWKBWriter_write_r(r->gh, r->wr, g, &len);
                struct import_app_regulation reg = {.standards = standards,
                                                    .ns = ns,
                                                    .lid = lid,
                                                    .version = ver,
                                                    .label = lab,
                                                    .plan_href = plan,
                                                    .file = s->label,
                                                    .exclude_farmsteads =
                                                        farm && (!strcmp(farm, "true") || !strcmp(farm, "1")),
                                                    .values = values,
                                                    .wkb = wkb,
                                                    .wkb_len = len};
                rc = wkb ? import_app_regulation_put(r->w, &reg, r->rp, r->e)
                         : err_set(r->e, ERR_INTERNAL, "GEOS cannot write WKB: %s", r->geos.msg);
                GEOSFree_r(r->gh, wkb);
            }
            if (g)
                GEOSGeom_destroy_r(r->gh, g);
            char *all[] = {ns, lid, ver, lab, plan, farm};
            for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
                free(all[i]);
            OGR_F_Destroy(f);
        }
        if (L.ct)
            OCTDestroyCoordinateTransformation(L.ct);
        if (L.back)
            OCTDestroyCoordinateTransformation(L.back);
        if (L.srs)
            OSRDestroySpatialReference(L.srs);
    }
    return rc;
}

/* What the pre-pass read of an APP file beyond the columns of the collection: after its acts, the links of
 * its formal documents (repeals, amendments); after its zones, their profiles and the POG's regulations. */
static enum err_code import_app_after(struct import_run *r)
{
    if (!r->app || !r->c)
        return ERR_OK;
    if (r->c->id == C_PLANS)
        return import_app_links(r->w, r->scan, r->rp, r->e);
    if (r->c->id != C_POG_ZONES)
        return ERR_OK;
    enum err_code rc = import_app_profiles(r->w, r->scan, r->e);
    for (int i = 0; !rc && i < r->nsrc; i++)
        rc = import_app_regulations(r, &r->src[i]);
    return rc;
}

struct import_job {
    struct import_run *r;
    const char *const *files;
    int n;
    const char *started;
    struct import_touched *touched;
};

/* After the layers ran: the final progress line, and whether the POG refused any zone. */
static void import_layers_done(struct import_run *r, struct import_touched *touched)
{
    import_progress(r, true);
    if (r->c && r->c->id == C_POG_ZONES && r->st->rejected)
        touched->refused = true;
}

/* The collection's features, the checks on what they wrote, the spatial index and the row of `imports`;
 * gis_changes_track_at records the bbox of every geometry written meanwhile in one row of `changes`, dated
 * by the import's start. */
static enum err_code import_job_write(struct gis_store *w, void *ctx, struct err *e)
{
    (void)w;
    struct import_job *j = ctx;
    struct import_run *r = j->r;
    enum err_code rc = ERR_OK;
    for (int i = 0; !rc && i < r->nsrc; i++)
        for (int k = 0; !rc && k < r->src[i].nlayers; k++)
            rc = import_layer_run(r, &r->src[i], &r->src[i].layers[k]);
    import_layers_done(r, j->touched);
    if (!rc)
        rc = import_app_after(r);
    /* POG coverage is checked once, at the end of the whole import (gis_import_run): an act and its zones
     * may come in the same transaction. */
    if (!rc && r->c && (r->c->id == C_POG_ZONES || r->c->id == C_PLANS))
        rc = import_touch(j->touched, r->plans, r->nplans, e);
    if (!rc && r->c && r->c->id != C_POG_ZONES)
        rc = import_overlaps(r);
    if (!rc && r->st->read == 0)
        rc = err_set(e, ERR_UNPROCESSABLE, "no features to import in %s%s", j->files[0],
                     j->n > 1 ? " and the other files" : "");
    else if (!rc && r->st->imported == 0 && !gis_report_count(r->rp, GIS_SEV_ERROR))
        rc = err_set(e, ERR_UNPROCESSABLE, "nothing imported: all %ld features were rejected (see the report)",
                     r->st->rejected);
    if (!rc)
        rc = import_index_resume(r);
    if (!rc)
        rc = import_record(r, j->files, j->n, j->started);
    return rc;
}

static enum err_code import_collection(struct gis_store *w, const char *const *files, int n,
                                       const struct gis_import_opts *o, struct gis_import_stats *stats, FILE *report,
                                       struct gis_report *rp, const struct app_scan *scan, const char *started,
                                       bool *boundary_warned, struct import_touched *touched, struct err *e)
{
    struct import_run *r = calloc(1, sizeof *r);
    char *mapbuf = o->map ? import_strdup(o->map) : NULL;
    if (!r || (o->map && !mapbuf)) {
        free(r);
        free(mapbuf);
        return err_set(e, ERR_INTERNAL, "out of memory");
    }
    r->w = w;
    r->db = gis_store_db(w);
    r->o = o;
    r->st = stats;
    r->report = report;
    r->e = e;
    r->rp = rp;
    r->scan = scan && scan->app ? scan : NULL;
    r->app = r->scan != NULL;
    r->progress = o->progress && isatty(STDERR_FILENO);
    CPLPushErrorHandlerEx(import_cpl_handler, &r->cpl);

    enum err_code rc = import_setup(r, files, n, mapbuf);
    if (!rc)
        rc = import_prepare_statements(r);
    if (!rc && r->scan && (r->c->id == C_POG_ZONES || r->c->id == C_PLANS))
        rc = import_app_identities(w, r->scan,
                                   r->c->id == C_PLANS ? "AktPlanowaniaPrzestrzennego" : "StrefaPlanistyczna",
                                   import_table(r->c), started, rp, e);
    if (!rc)
        rc = import_territory(r, boundary_warned);
    if (!rc)
        rc = import_index_suspend(r);
    struct import_job job = {r, files, n, started, touched};
    if (!rc)
        rc = gis_changes_track_at(w, import_table(r->c), started, import_job_write, &job, e);
    else
        import_layers_done(r, touched);
    import_cleanup(r);
    CPLPopErrorHandler();
    free(r);
    free(mapbuf);
    return rc;
}

/* Runs the APP pre-pass over every XML file (after the hostile-input checks of every file). */
static enum err_code import_prescan(const char *const *files, int n, const struct gis_import_opts *o,
                                    struct app_scan *scan, struct gis_report *rp, struct err *e)
{
    if (n <= 0 || !files)
        return err_set(e, ERR_INVALID, "no files to import");
    for (int i = 0; i < n; i++)
        if (gis_import_check_file(files[i], e))
            return e->code;
    struct app_scan_opts so = {.schemas = o->app_schemas,
                               .tenant_teryt = o->teryt,
                               .tenant_name = o->gmina,
                               .gminas = o->gminas,
                               .ngminas = o->ngminas};
    for (int i = 0; i < n; i++) {
        unsigned char head[IMPORT_SNIFF];
        FILE *f = fopen(files[i], "rb");
        size_t got = f ? fread(head, 1, sizeof head, f) : 0;
        if (f)
            fclose(f);
        bool zip = got >= 4 && head[0] == 'P' && head[1] == 'K';
        if (zip || !import_looks_xml(files[i], head, got))
            continue;
        bool was_app = scan->app;
        scan->app = false;
        if (app_scan_file(files[i], import_basename(files[i]), &so, scan, rp, e))
            return e->code;
        if (scan->fatal)
            return err_set(e, ERR_UNPROCESSABLE, "%s: refused by validation (see the report)",
                           import_basename(files[i]));
        if (!scan->app && was_app)
            return err_set(e, ERR_INVALID, "%s is not an APP file, the other files are: import them separately",
                           import_basename(files[i]));
        if (scan->app && !was_app && i > 0)
            return err_set(e, ERR_INVALID, "%s is an APP file, %s is not: import them separately",
                           import_basename(files[i]), import_basename(files[0]));
        scan->app = scan->app || was_app;
    }
    app_scan_finish(scan, rp);
    return ERR_OK;
}

static bool import_scan_has(const struct app_scan *scan, const char *type)
{
    for (size_t i = 0; i < scan->n; i++)
        if (!strcmp(scan->o[i].type, type))
            return true;
    return false;
}

/* The collections to import: as asked, or for an APP file without one, its acts and then its zones; an
 * APP file's preset follows from the collection. */
static enum err_code import_collections_plan(const struct gis_import_opts *opts, const struct app_scan *scan,
                                             struct gis_import_opts per[2], int *ncoll, struct err *e)
{
    *ncoll = 0;
    if (!opts->collection || !strcmp(opts->collection, "app")) {
        if (!scan->app)
            return err_param(e, "collection",
                             "no collection given and the file is not APP GML: say --as parcels, addresses, buildings, "
                             "plans, plan-zones or pog-zones");
        if (import_scan_has(scan, "AktPlanowaniaPrzestrzennego")) {
            per[*ncoll] = *opts;
            per[*ncoll].collection = "plans", per[(*ncoll)++].preset = "app-akt";
        }
        if (import_scan_has(scan, "StrefaPlanistyczna")) {
            per[*ncoll] = *opts;
            per[*ncoll].collection = "pog-zones", per[(*ncoll)++].preset = "app-strefy";
        }
        if (!*ncoll)
            return err_set(e, ERR_UNPROCESSABLE,
                           "the APP file has no act (AktPlanowaniaPrzestrzennego) and no zones "
                           "(StrefaPlanistyczna) to import");
        return ERR_OK;
    }
    per[0] = *opts;
    *ncoll = 1;
    if (!opts->preset && scan->app) {
        /* APP is recognised by its namespace: the preset follows from the collection. */
        if (!strcmp(opts->collection, "pog-zones"))
            per[0].preset = "app-strefy";
        else if (!strcmp(opts->collection, "plans"))
            per[0].preset = "app-akt";
        else
            return err_param(e, "collection", "an APP file holds plans and pog-zones, not %s", opts->collection);
    }
    return ERR_OK;
}

/* The coverage of every POG plan the import touched, as the plans and zones now stand; a note instead when
 * zones were refused, since the coverage of what got in would mislead. */
static enum err_code import_coverage(struct gis_store *w, const struct import_touched *touched,
                                     const struct gis_import_opts *opts, const char *const *files, int n,
                                     struct gis_report *rp, struct gis_import_stats *stats, struct err *e)
{
    if (touched->refused) {
        gis_report_add(rp, "POKRYCIE-NIESPRAWDZONE", NULL, NULL, NULL, NAN,
                       "pokrycia nie sprawdzono: części stref nie dało się przyjąć (patrz wyżej)");
        return ERR_OK;
    }
    if (!touched->n)
        return ERR_OK;
    GEOSContextHandle_t gh = GEOS_init_r();
    struct err le = {0};
    GEOSGeometry *gmina = gh ? import_app_boundary(w, gh, &le) : NULL;
    long ov = 0;
    enum err_code rc = gh ? import_app_coverage(w, gh, touched->ids, touched->n, gmina, opts->gap_tolerance_m2,
                                                n == 1 ? import_basename(files[0]) : NULL, rp, &ov, e)
                          : err_set(e, ERR_INTERNAL, "GEOS cannot start");
    stats->overlaps += ov;
    if (gmina)
        GEOSGeom_destroy_r(gh, gmina);
    if (gh)
        GEOS_finish_r(gh);
    return rc;
}

/* GDAL as the import runs it, on this thread: its configuration options (the old values kept), its errors
 * to the import, and no network. */
struct import_gdal_env {
    char *saved[IMPORT_NCONFIG];
    struct import_cpl cpl;
};

static void import_gdal_enter(struct import_gdal_env *env)
{
    for (int i = 0; i < IMPORT_NCONFIG; i++) {
        const char *old = CPLGetThreadLocalConfigOption(import_config[i][0], NULL);
        env->saved[i] = old ? import_strdup(old) : NULL;
        CPLSetThreadLocalConfigOption(import_config[i][0], import_config[i][1]);
    }
    memset(&env->cpl, 0, sizeof env->cpl);
    CPLPushErrorHandlerEx(import_cpl_handler, &env->cpl);
    CPLHTTPPushFetchCallback(import_no_network, NULL);
}

static void import_gdal_leave(struct import_gdal_env *env)
{
    CPLHTTPPopFetchCallback();
    CPLPopErrorHandler();
    for (int i = 0; i < IMPORT_NCONFIG; i++) {
        CPLSetThreadLocalConfigOption(import_config[i][0], env->saved[i]);
        free(env->saved[i]);
    }
}

/* Imports every collection, in the writer's open transaction, then checks the POG coverage. */
static enum err_code import_collections_run(struct gis_store *w, const char *const *files, int n,
                                            const struct gis_import_opts *opts, const struct gis_import_opts *per,
                                            int ncoll, struct app_scan *scan, const char *started,
                                            struct gis_import_stats *stats, FILE *report, struct gis_report *rp,
                                            struct err *e)
{
    bool boundary_warned = false;
    struct import_touched touched = {0};
    enum err_code rc = ERR_OK;
    for (int i = 0; !rc && i < ncoll; i++) {
        struct gis_import_stats one = {0};
        rc = import_collection(w, files, n, &per[i], &one, report, rp, scan, started, &boundary_warned, &touched, e);
        stats->read += one.read, stats->imported += one.imported, stats->repaired += one.repaired;
        stats->rejected += one.rejected, stats->overlaps += one.overlaps, stats->updated += one.updated;
    }
    if (!rc)
        rc = import_coverage(w, &touched, opts, files, n, rp, stats, e);
    free(touched.ids);
    return rc;
}

enum err_code gis_import_run(struct gis_store *w, const char *const *files, int n, const struct gis_import_opts *o,
                             struct gis_import_stats *stats, FILE *report, struct err *e)
{
    pthread_once(&import_once, import_global_init);
    struct gis_import_stats uncounted; /* where the caller wants no statistics */
    if (!stats)
        stats = &uncounted;
    memset(stats, 0, sizeof *stats);
    struct err local = {0};
    if (!e)
        e = &local;
    if (!w || !gis_store_writable(w))
        return err_set(e, ERR_INVALID, "import needs the store's writer connection");
    struct gis_import_opts opts = {0};
    if (o)
        opts = *o;
    if (opts.gap_tolerance_m2 <= 0)
        opts.gap_tolerance_m2 = GIS_IMPORT_GAP_TOLERANCE_M2;
    if (opts.boundary_tolerance_m <= 0)
        opts.boundary_tolerance_m = GIS_IMPORT_BOUNDARY_TOL_M;
    struct gis_report *rp = opts.findings ? opts.findings : gis_report_new();
    if (!rp)
        return err_set(e, ERR_INTERNAL, "out of memory");

    char started[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
    struct import_gdal_env env;
    import_gdal_enter(&env);

    /* The pre-pass: hostile input, and what GDAL cannot see of an APP file (namespaces, required
     * elements, numbers as written, identifiers), before anything is opened for writing. */
    struct app_scan scan = {0};
    enum err_code rc = import_prescan(files, n, &opts, &scan, rp, e);
    if (scan.app)
        snprintf(stats->format, sizeof stats->format, "APP %s", scan.version);
    struct gis_import_opts per[2];
    int ncoll = 0;
    if (!rc)
        rc = import_collections_plan(&opts, &scan, per, &ncoll, e);
    bool began = false;
    if (!rc && !(rc = gis_store_begin(w, e)))
        began = true;
    if (!rc)
        rc = import_collections_run(w, files, n, &opts, per, ncoll, &scan, started, stats, report, rp, e);
    stats->errors = gis_report_count(rp, GIS_SEV_ERROR);
    stats->warnings = gis_report_count(rp, GIS_SEV_WARNING);
    if (!rc && stats->errors)
        rc = err_set(e, ERR_UNPROCESSABLE,
                     "import refused: %ld validation error%s (see the report); the store is "
                     "unchanged",
                     stats->errors, stats->errors == 1 ? "" : "s");
    if (!rc && !opts.check && !(rc = gis_store_commit(w, e)))
        stats->written = true;
    if (began && !stats->written)
        gis_store_rollback(w);
    if (!rc) {
        /* The import went through the WAL: without this its whole size stays on disk as the -wal file
         * (a reader of a running server keeps SQLite from removing it on close). */
        struct err ce = {0};
        if (gis_store_checkpoint(w, &ce) && report)
            fprintf(report, "note: %s\n", ce.msg);
    }
    import_gdal_leave(&env);
    if (!opts.findings) {
        gis_report_print(rp, NULL, report);
        gis_report_free(rp);
    }
    app_scan_free(&scan);
    return rc;
}
