/* The layer table: the core's layers, the registered ones, and lookups. */
#include "gis/layers.h"

#include <pthread.h>
#include <string.h>

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- the core's layers ---- */

static const struct gis_prop parcel_props[] = {
    {"parcel_id", "t.parcel_id", GIS_PROP_TEXT, true, "EGiB parcel identifier, e.g. 080505_4.0001.123/4"},
    {"number", "t.number", GIS_PROP_TEXT, true, "parcel number within the obręb"},
    {"obreb_number", "o.number", GIS_PROP_TEXT, true, "4-digit obręb number"},
    {"obreb_name", "o.name", GIS_PROP_TEXT, true, "obręb name"},
    {"unit", "o.unit", GIS_PROP_TEXT, true, "jednostka ewidencyjna, e.g. 080505_4"},
    {"area_m2", "t.area_m2", GIS_PROP_REAL, false, "area in square metres"},
    {"land_use", "t.land_use", GIS_PROP_TEXT, true, "EGiB land-use class"},
    {NULL, NULL, 0, false, NULL},
};

static const struct gis_prop address_props[] = {
    {"locality", "l.name", GIS_PROP_TEXT, true, "locality (miejscowość)"},
    {"simc", "l.simc", GIS_PROP_TEXT, true, "TERYT SIMC of the locality"},
    {"street", "s.name", GIS_PROP_TEXT, true, "street name without its prefix; null in villages without streets"},
    {"street_prefix", "s.prefix", GIS_PROP_TEXT, false, "ul., al., pl. or os."},
    {"ulic", "s.ulic", GIS_PROP_TEXT, true, "TERYT ULIC of the street"},
    {"number", "t.number", GIS_PROP_TEXT, true, "house number, may carry a letter"},
    {"postal_code", "t.postal_code", GIS_PROP_TEXT, true, "postal code, e.g. 69-100"},
    {"parcel_id", "t.parcel_id", GIS_PROP_TEXT, true, "EGiB id of the parcel under the point"},
    {NULL, NULL, 0, false, NULL},
};

static const struct gis_prop building_props[] = {
    {"building_id", "t.building_id", GIS_PROP_TEXT, true, "building identifier"},
    {"function", "t.function", GIS_PROP_TEXT, true, "main function"},
    {"storeys", "t.storeys", GIS_PROP_INT, true, "above-ground storeys"},
    {NULL, NULL, 0, false, NULL},
};

static const struct gis_prop plan_props[] = {
    {"kind", "t.kind", GIS_PROP_TEXT, true, "mpzp or pog"},
    {"iip", "t.iip", GIS_PROP_TEXT, true, "APP idIIP"},
    {"title", "t.title", GIS_PROP_TEXT, false, "title of the plan"},
    {"resolution", "t.resolution", GIS_PROP_TEXT, false, "adopting resolution"},
    {"resolution_date", "t.resolution_date", GIS_PROP_TEXT, false, "date of the resolution"},
    {"publication", "t.publication", GIS_PROP_TEXT, false, "publication in the voivodeship official journal"},
    {"scale", "t.scale", GIS_PROP_INT, true, "scale denominator of the drawing"},
    {"status", "t.status", GIS_PROP_TEXT, true, "legal status"},
    {"valid_from", "t.valid_from", GIS_PROP_TEXT, false, "in force from"},
    {"valid_to", "t.valid_to", GIS_PROP_TEXT, false,
     "no longer in force from this day (repeal or expiry); null while in force"},
    {"changed_by", "t.changed_by", GIS_PROP_TEXT, false, "the resolution that repealed or replaced the plan"},
    {"amends_plan_id", "t.amends_plan_id", GIS_PROP_INT, false, "id of the plan this one amends (zmiana planu)"},
    {NULL, NULL, 0, false, NULL},
};

static const struct gis_prop zone_props[] = {
    {"plan_id", "t.plan_id", GIS_PROP_INT, true, "id of the plan (plans collection)"},
    {"plan_title", "p.title", GIS_PROP_TEXT, false, "title of the plan"},
    {"label", "t.label", GIS_PROP_TEXT, true, "zone label, e.g. 1MN"},
    {"symbol", "t.symbol", GIS_PROP_TEXT, true, "intended-use symbol, e.g. MN"},
    {"name", "t.name", GIS_PROP_TEXT, false, "intended use in words"},
    {"max_height_m", "t.max_height_m", GIS_PROP_REAL, false, "maximum building height, m"},
    {"max_storeys", "t.max_storeys", GIS_PROP_INT, false, "maximum above-ground storeys"},
    {"min_intensity", "t.min_intensity", GIS_PROP_REAL, false, "minimum building intensity"},
    {"max_intensity", "t.max_intensity", GIS_PROP_REAL, false, "maximum building intensity"},
    {"max_coverage_pct", "t.max_coverage_pct", GIS_PROP_REAL, false, "maximum built-up share, %"},
    {"min_bio_pct", "t.min_bio_pct", GIS_PROP_REAL, false, "minimum biologically active share, %"},
    {"min_parcel_area_m2", "t.min_parcel_area_m2", GIS_PROP_REAL, false, "minimum area of a new parcel, m²"},
    {NULL, NULL, 0, false, NULL},
};

static const struct gis_prop pog_zone_props[] = {
    {"plan_id", "t.plan_id", GIS_PROP_INT, true, "id of the general plan (plans collection)"},
    {"label", "t.label", GIS_PROP_TEXT, true, "zone label (oznaczenie), e.g. 1SJ"},
    {"symbol", "t.symbol", GIS_PROP_TEXT, true, "planning zone symbol, e.g. SJ"},
    {"name", "t.name", GIS_PROP_TEXT, false, "planning zone kind in words"},
    {"max_intensity", "t.max_intensity", GIS_PROP_REAL, false, "maximum above-ground building intensity"},
    {"max_coverage_pct", "t.max_coverage_pct", GIS_PROP_REAL, false, "maximum built-up share, %"},
    {"max_height_m", "t.max_height_m", GIS_PROP_REAL, false, "maximum building height, m"},
    {"min_bio_pct", "t.min_bio_pct", GIS_PROP_REAL, false, "minimum biologically active share, %"},
    {"profile_basic", "t.profile_basic", GIS_PROP_TEXT, false,
     "profil podstawowy: land-use classes (KPT codes), space-separated; null: the zone type's whole basic profile"},
    {"profile_extra", "t.profile_extra", GIS_PROP_TEXT, false, "profil dodatkowy: KPT codes, space-separated"},
    {NULL, NULL, 0, false, NULL},
};

static const struct gis_prop overlay_props[] = {
    {"plan_id", "t.plan_id", GIS_PROP_INT, true, "id of the plan"},
    {"kind", "t.kind", GIS_PROP_TEXT, true, "kind of overlay"},
    {"label", "t.label", GIS_PROP_TEXT, true, "label"},
    {"name", "t.name", GIS_PROP_TEXT, false, "name"},
    {NULL, NULL, 0, false, NULL},
};

static const struct gis_prop plan_line_props[] = {
    {"plan_id", "t.plan_id", GIS_PROP_INT, true, "id of the plan"},
    {"kind", "t.kind", GIS_PROP_TEXT, true,
     "kind of designation (code list plan_line_kinds), e.g. linia_zabudowy_nieprzekraczalna"},
    {"kind_label", "k.label", GIS_PROP_TEXT, false, "the kind in Polish, as the legend prints it"},
    {"label", "t.label", GIS_PROP_TEXT, false, "the drawing's own mark, e.g. 6 m"},
    {"zone_label", "t.zone_label", GIS_PROP_TEXT, true, "label of the zone it belongs to, e.g. 1MN"},
    {"plan_title", "p.title", GIS_PROP_TEXT, false, "title of the plan"},
    {"plan_resolution", "p.resolution", GIS_PROP_TEXT, false, "the plan's adopting resolution"},
    {NULL, NULL, 0, false, NULL},
};

static const struct gis_prop obreb_props[] = {
    {"unit", "t.unit", GIS_PROP_TEXT, true, "jednostka ewidencyjna"},
    {"number", "t.number", GIS_PROP_TEXT, true, "4-digit obręb number"},
    {"name", "t.name", GIS_PROP_TEXT, true, "obręb name"},
    {NULL, NULL, 0, false, NULL},
};

/* In the order OGC API Features lists the collections; the plan map's order is map.plan. */
const struct gis_layer gis_layers_core[] = {
    {.table = "parcels",
     .collection = {"parcels", "Działki ewidencyjne", "Cadastral parcels (EGiB) with their obręb",
                    "parcels t JOIN obreby o ON o.id = t.obreb_id", "MultiPolygon", parcel_props},
     .map = {"parcels", "parcels t", LIST("number", "parcel_id", "land_use"),
             LIST("t.number", "t.parcel_id", "t.land_use"), 13, 8},
     .tileset = {"Działki ewidencyjne", "Cadastral parcels with their numbers (a transparent overlay)", LIST("parcels"),
                 NULL, true},
     .extent = true},
    {.table = "addresses",
     .collection = {"addresses", "Punkty adresowe", "Address points (PRG/EMUiA)",
                    "addresses t JOIN localities l ON l.id = t.locality_id LEFT JOIN streets s ON s.id = t.street_id",
                    "Point", address_props},
     .map = {"addresses", "addresses t LEFT JOIN streets s ON s.id = t.street_id",
             LIST("number", "street", "postal_code"), LIST("t.number", "s.name", "t.postal_code"), 14, 10},
     .tileset = {"Punkty adresowe", "Address points with their numbers", LIST("addresses"), NULL, false}},
    {.table = "buildings",
     .collection = {"buildings", "Budynki", "Building footprints", "buildings t", "MultiPolygon", building_props},
     .map = {"buildings", "buildings t", LIST("function", "storeys", "building_id"),
             LIST("t.function", "t.storeys", "t.building_id"), 13, 7},
     .tileset = {"Budynki", "Building footprints", LIST("buildings"), NULL, false}},
    {.table = "plans",
     .collection = {"plans", "Akty planowania przestrzennego",
                    "Planning acts: local plans (MPZP) and the general plan (POG)", "plans t", "MultiPolygon",
                    plan_props},
     .map = {"plans", "plans t", LIST("kind", "title", "scale", "status"),
             LIST("t.kind", "t.title", "t.scale", "t.status"), 0, 6, GIS_LAYER_PLANS},
     .tileset = {"Granice planów", "Boundaries of the planning acts", LIST("plans"), NULL, false},
     .extent = true},
    {.table = "plan_zones",
     .collection = {"plan-zones", "Tereny MPZP", "Zones (tereny) of the local plans with their parameters",
                    "plan_zones t JOIN plans p ON p.id = t.plan_id", "MultiPolygon", zone_props},
     .map = {"plan-zones", "plan_zones t",
             LIST("label", "symbol", "name", "plan_id", "max_height_m", "max_coverage_pct", "min_bio_pct"),
             LIST("t.label", "t.symbol", "t.name", "t.plan_id", "t.max_height_m", "t.max_coverage_pct",
                  "t.min_bio_pct"),
             0, 3, GIS_LAYER_PLAN_PART},
     .tileset = {"Tereny MPZP", "Zones of the local plans with their labels", LIST("mpzp", "mpzp-lines"), NULL, false}},
    {.table = "pog_zones",
     .collection = {"pog-zones", "Strefy planistyczne POG", "Planning zones (strefy planistyczne) of the general plan",
                    "pog_zones t", "MultiPolygon", pog_zone_props},
     .map = {"pog-zones", "pog_zones t", LIST("label", "symbol", "name", "plan_id"),
             LIST("t.label", "t.symbol", "t.name", "t.plan_id"), 0, 2, GIS_LAYER_PLAN_PART},
     .tileset = {"Strefy planistyczne POG", "Planning zones of the general plan with their labels",
                 LIST("pog", "pog-labels"), NULL, false},
     .extent = true},
    /* the obszary uzupełnienia zabudowy of the POG (migration 012): drawn on the POG wyrys, not in the tilesets */
    {.table = "pog_ouz",
     .map = {"pog-ouz", "pog_ouz t", LIST("label", "plan_id"), LIST("t.label", "t.plan_id"), 0, 0,
             GIS_LAYER_PLAN_PART}},
    {.table = "overlays",
     .collection = {"overlays", "Obszary nakładające się", "Overlays of the plans: conservation, flood risk, ...",
                    "overlays t", "MultiPolygon", overlay_props},
     .map = {"overlays", "overlays t", LIST("kind", "label", "name", "plan_id"),
             LIST("t.kind", "t.label", "t.name", "t.plan_id"), 0, 4, GIS_LAYER_PLAN_PART},
     .tileset = {"Obszary nakładające się", "Overlays of the plans: conservation, flood risk, ...", LIST("overlays"),
                 NULL, false}},
    {.table = "plan_lines",
     .collection = {"plan-lines", "Linie i oznaczenia rysunku planu",
                    "Linear and point designations of the plan drawings: building lines, zone and protection-zone "
                    "boundaries, other overlay lines and symbols",
                    "plan_lines t JOIN plan_line_kinds k ON k.code = t.kind JOIN plans p ON p.id = t.plan_id",
                    "Geometry", plan_line_props},
     .map = {"plan-lines", "plan_lines t", LIST("kind", "label", "zone_label", "plan_id"),
             LIST("t.kind", "t.label", "t.zone_label", "t.plan_id"), 0, 5, GIS_LAYER_PLAN_PART},
     .tileset = {"Linie rysunku planu", "Building lines and other designations of the plan drawings",
                 LIST("plan-lines"), NULL, false}},
    {.table = "obreby",
     .collection = {"obreby", "Obręby ewidencyjne", "Cadastral districts", "obreby t", "MultiPolygon", obreb_props},
     .map = {"obreby", "obreby t", LIST("number", "name", "unit"), LIST("t.number", "t.name", "t.unit"), 0, 0},
     .extent = true},
    {.table = "landcover",
     .map = {"landcover", "landcover t", LIST("kind", "name"), LIST("t.kind", "t.name"), 0, 1},
     .extent = true},
    {.table = "streets", .map = {"streets", "streets t", LIST("name", "prefix"), LIST("t.name", "t.prefix"), 12, 9}},
    {.table = NULL},
};
#define NCORE ((int)(sizeof gis_layers_core / sizeof gis_layers_core[0]) - 1)

/* ---- the registered layers ---- */

/* Written only at startup (gis_layers_register), read by every thread afterwards. */
static const struct gis_layer *registered[GIS_LAYERS_MAX - NCORE];
static int nregistered;

const struct gis_layer *gis_layer_at(int i)
{
    return i < 0 ? NULL : i < NCORE ? &gis_layers_core[i] : i < NCORE + nregistered ? registered[i - NCORE] : NULL;
}

int gis_layer_index(const struct gis_layer *L)
{
    if (L >= gis_layers_core && L < gis_layers_core + NCORE)
        return (int)(L - gis_layers_core);
    for (int i = 0; L && i < nregistered; i++)
        if (registered[i] == L)
            return NCORE + i;
    return -1;
}

const struct gis_layer *gis_layer_find(const char *name)
{
    const struct gis_layer *L;
    for (int i = 0; name && (L = gis_layer_at(i)); i++)
        if (L->map.name && !strcmp(L->map.name, name))
            return L;
    return NULL;
}

int gis_layer_nkeys(const struct gis_layer *L)
{
    int n = 0;
    while (L->map.keys && L->map.keys[n])
        n++;
    return n;
}

const struct gis_layer *gis_collection_layer(const struct gis_collection *c)
{
    return (const struct gis_layer *)(const void *)((const char *)c - offsetof(struct gis_layer, collection));
}

static bool same(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* Why L cannot join the table, or NULL. */
static const char *clash(const struct gis_layer *L)
{
    if (L->map.plan)
        return "only the core's layers are part of the plan map";
    if (gis_layer_nkeys(L) > GIS_LAYER_MAX_KEYS)
        return "too many map attributes";
    const struct gis_layer *o;
    for (int i = 0; (o = gis_layer_at(i)); i++)
        if (same(o->table, L->table) || same(o->collection.id, L->collection.id) || same(o->map.name, L->map.name))
            return "a table, collection or source layer of that name is already declared";
    return NULL;
}

enum err_code gis_layers_register(const struct gis_layer *layers, struct err *e)
{
    for (const struct gis_layer *L = layers; L && L->table; L++) {
        if (gis_layer_index(L) >= 0)
            continue;
        const char *why = clash(L);
        if (why)
            return err_set(e, ERR_INVALID, "layer %s: %s", L->table, why);
        if (nregistered == GIS_LAYERS_MAX - NCORE)
            return err_set(e, ERR_INVALID, "layer %s: more than %d layers", L->table, GIS_LAYERS_MAX);
        registered[nregistered++] = L;
    }
    return ERR_OK;
}

/* ---- the plan map ---- */

static const char *plan_names[NCORE + 1];
static pthread_once_t plan_once = PTHREAD_ONCE_INIT;

static void plan_build(void)
{
    int n = 0;
    for (int place = 1; place <= NCORE; place++)
        for (int i = 0; i < NCORE; i++)
            if (gis_layers_core[i].map.plan == place)
                plan_names[n++] = gis_layers_core[i].map.name;
    plan_names[n] = NULL;
}

const char *const *gis_layers_plan(void)
{
    pthread_once(&plan_once, plan_build);
    return plan_names;
}
