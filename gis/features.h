/* Feature collections of a store as OGC API Features sees them: which tables, which properties,
 * and a query with bbox, equality filters, paging and output CRS that writes GeoJSON. */
#ifndef GIS_FEATURES_H
#define GIS_FEATURES_H
#include <stdbool.h>

#include "gis/crs.h"
#include "gis/layers.h"
#include "gis/store.h"
#include "util/buf.h"
#include "util/err.h"

/* The collections are the layers of the layer table (gis/layers.h) that have a collection id: the core's
 * and those of registered modules, in that order. gis_collection_find finds any of them; which tenant
 * serves which is the caller's business. */
const struct gis_collection *gis_collection_find(const char *id);
/* The collection i (0 ..) of the table, or NULL past the end. */
const struct gis_collection *gis_collection_at(int i);
const struct gis_prop *gis_collection_prop(const struct gis_collection *c, const char *name);

/* The queryables of c: the properties an equality filter ?name=value accepts, which are exactly those
 * /collections/{id}/queryables lists. gis_collection_queryable_at gives the i-th (0 ..), NULL past the
 * end; gis_collection_queryable the one called name, or NULL when name is not a queryable. Both read the
 * one list (the props marked queryable), so the filter and the document cannot differ. */
const struct gis_prop *gis_collection_queryable_at(const struct gis_collection *c, int i);
const struct gis_prop *gis_collection_queryable(const struct gis_collection *c, const char *name);

/* The JSON Schema type of a property: "string", "integer" or "number". */
const char *gis_prop_schema_type(const struct gis_prop *p);

#define GIS_MAX_FILTERS 8

struct gis_feature_query {
    const struct gis_collection *c;
    bool has_bbox;
    enum gis_crs bbox_crs;
    double bbox[4]; /* minx, miny, maxx, maxy in traditional (east, north) order of bbox_crs */
    enum gis_crs out_crs;
    long limit, offset;
    long fid; /* > 0: only this feature */
    const char *filter_name[GIS_MAX_FILTERS];
    const char *filter_value[GIS_MAX_FILTERS];
    int nfilter;
    /* ISO date: of a dated layer (plan data, gis_layer_map.dated) only the features of plans in force on
     * it, and with a bbox only those whose part that applies then (amendments cut away) meets it; NULL: all
     * rows, whatever their dates */
    const char *date;
    /* ISO date: with date, the interval from date to date_to (OGC API datetime "a/b"; open ends as
     * "0000-01-01" and "9999-12-31"): the features of plans in force on some day of it, and a bbox meets
     * their whole geometry (which amendment cuts them varies across the interval); NULL: the instant date */
    const char *date_to;
};

/* Runs q and appends to out a JSON array of GeoJSON features (coordinates in out_crs, in its authority
 * axis order except CRS84, which is lon, lat). Sets *matched (all features matching, ignoring paging)
 * unless matched is NULL, and *returned. A filter value of the wrong type is ERR_INVALID naming it. */
enum err_code gis_features_query(struct gis_store *s, const struct gis_feature_query *q, struct buf *out, long *matched,
                                 long *returned, struct err *e);

/* The extent of the collection in CRS84 (lon/lat); false when the collection is empty. */
bool gis_collection_extent(struct gis_store *s, const struct gis_collection *c, double out[4]);

#endif
