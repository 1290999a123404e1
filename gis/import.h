/* Import of OGR vector sources into a store: reprojection to EPSG:2180, field mapping, geometry
 * validation and repair, all in one transaction. */
#ifndef GIS_IMPORT_H
#define GIS_IMPORT_H
#include <stdbool.h>
#include <stdio.h>

#include "gis/app_validate.h"
#include "gis/report.h"
#include "gis/store.h"
#include "util/err.h"

/* Limits applied to untrusted sources (see CONVENTIONS.md, "Untrusted input"). */
#define GIS_IMPORT_MAX_VERTICES     1000000L    /* per feature */
#define GIS_IMPORT_ZIP_MAX_ENTRIES  10000L      /* entries in one archive */
#define GIS_IMPORT_ZIP_MAX_BYTES    (2LL << 30) /* total uncompressed size of one archive */
#define GIS_IMPORT_ZIP_MAX_RATIO    100         /* uncompressed:compressed, for entries above 1 MiB */
#define GIS_IMPORT_OVERLAP_MIN_M2   0.01        /* zone overlaps below this area are ignored */
#define GIS_IMPORT_GAP_TOLERANCE_M2 1.0         /* default: gaps/overlaps of POG zones above this are errors */
#define GIS_IMPORT_BOUNDARY_TOL_M   1.0         /* default: how far outside the gmina a geometry may reach */

struct gis_import_opts {
    /* target: "parcels", "addresses", "buildings", "plans", "plan-zones", "pog-zones"; NULL or "app" for APP
     * files: their acts (plans) and zones (pog-zones), in one transaction */
    const char *collection;
    const char *preset; /* field mapping preset name, e.g. "app-strefy", "app-akt"; NULL for none */
    const char *map;    /* explicit mapping "dst=src,dst=src"; overrides the preset per field; may be NULL */
    const char *s_srs;  /* source CRS override such as "EPSG:2176"; NULL to use the source's own */
    bool progress;      /* show a progress line on stderr (when it is a terminal) */

    /* Validation (docs/import.md, "Validation rules"). */
    bool check;                     /* validate only: roll back even when there is no error */
    const char *teryt;              /* the tenant's TERYT (7 digits); NULL: the INNA-GMINA rule is not applied */
    const char *gmina;              /* the tenant's gmina name, for messages */
    const struct app_gmina *gminas; /* the gminas odra knows, to name the gmina of a file; may be NULL */
    int ngminas;
    double gap_tolerance_m2;     /* LUKA above, LUKA-DROBNA below; 0: GIS_IMPORT_GAP_TOLERANCE_M2 */
    double boundary_tolerance_m; /* POZA-GMINA beyond; 0: GIS_IMPORT_BOUNDARY_TOL_M */
    const char *app_schemas;     /* directory of the APP XSD files; NULL: app_schema_dir's default */
    struct gis_report *findings; /* the findings go here; NULL: they are printed to the report FILE */
};

struct gis_import_stats {
    long read, imported, repaired, rejected, overlaps;
    long updated;    /* of imported: rows that replaced an existing row with the same key */
    long errors;     /* validation errors: when > 0 nothing was written */
    long warnings;   /* validation warnings (imported anyway) */
    bool written;    /* the store was changed (committed) */
    char format[16]; /* "APP 2.0", "APP 1.0", or "" for other sources */
};

/* Imports files (n of them) into the store w (the writer) as one transaction: if anything fails, or any
 * validation rule finds an error (docs/import.md, "Validation rules"; the findings go to o->findings, else
 * they are printed to report at the end), nothing is changed and ERR_UNPROCESSABLE is returned with
 * stats->errors > 0; warnings never block. With o->check the transaction is rolled back even when the data
 * is valid (stats->written stays false). XML files pass a streaming APP pre-pass (app_scan_file) before GDAL
 * opens them; an APP file needs no preset, and with no collection (NULL or "app") its acts and then its
 * zones are imported in the one transaction. Writes one line per repaired, rejected or overlapping feature to report
 * (may be NULL), naming the feature and the reason; notes (assumed CRS, swapped axes, placeholder plan) are lines
 * starting with "note:". Hostile input (DOCTYPE in XML, unsafe zip entries, bombs) is refused before the store is
 * touched: every file passes gis_import_check_file and every source is opened and its field mapping resolved before the
 * first write. GDAL never touches the network.
 *
 * Sources: any file GDAL reads as GeoJSON, GeoJSONSeq, GeoPackage, Shapefile, GML (APP 1.0/2.0), KML,
 * FlatGeobuf or CSV (geometry from a WKT/geom/geometry column or x/y, lon/lat columns), and zip archives
 * of those. Every layer with geometry of the collection's kind is read; a preset reads only its layer.
 *
 * Mapping: a target column takes the source field named like it, unless the preset or map says
 * otherwise. In map, "dst=src" names a field, "dst=a/b" joins fields a and b with '/', "dst='text'" is
 * a constant, "dst=" maps nothing. An unknown target or a missing source field is an error. Targets:
 *   parcels    parcel_id (required), number, obreb (name or number; the unit comes from parcel_id),
 *              land_use, area_m2 (default: the area of the geometry)
 *   addresses  locality (required), street, number (required), postal_code, simc, ulic, parcel_id
 *   buildings  building_id, function, storeys
 *   plans      kind (required; 'pog'/'mpzp' or an APP typPlanu), title (required), iip, resolution,
 *              resolution_date, publication, scale, status, valid_from, valid_to
 *   plan-zones plan, label (required), symbol, name, max_height_m, max_storeys, min_intensity,
 *              max_intensity, max_coverage_pct, min_bio_pct, min_parcel_area_m2, roof
 *   pog-zones  plan, label (required), symbol, name, max_intensity, max_coverage_pct, max_height_m,
 *              min_bio_pct
 * Rows with the key of an existing row (parcel_id, building_id, plan iip, zone plan+label, address
 * locality+street+number) replace it (stats->updated); a key repeated within one import is rejected.
 * A zone's plan is the plan of the zone's kind whose iip or title equals the mapped plan value (no match:
 * the zone is rejected); without a value, the act named by an APP zone's idIIP; otherwise the only plan of
 * the zone's kind in the store. When the act named by the idIIP is missing, or the store has no POG plan
 * at all, POG zones get a placeholder POG plan row (iip set, status 'nieustalony', reported as a note);
 * importing the act later with --preset app-akt fills in that same row, keeping the zones linked.
 *
 * Presets: "app-strefy" (APP 2.0 StrefaPlanistyczna -> pog-zones; the plan is the act identified by the
 * zone's idIIP: przestrzenNazw + "/" + the part of lokalnyId before '-'), "app-akt" (APP 1.0/2.0
 * AktPlanowaniaPrzestrzennego -> plans, with resolution and scale from a DokumentFormalny and a
 * RysunekAktuPlanowaniaPrzestrzennego in the same file when present).
 *
 * Geometry: coordinates must be finite, at most GIS_IMPORT_MAX_VERTICES per feature; curves are
 * linearised, Z/M dropped, unclosed rings closed, invalid geometries made valid (GEOS, structure method,
 * polygonal parts kept) and reported with GEOS's reason; what cannot be repaired is rejected. The source
 * CRS (or s_srs) is transformed to EPSG:2180 in traditional axis order; a source without a CRS is taken
 * as EPSG:2180 when its coordinates fit, else the import fails asking for s_srs; coordinates that fall
 * outside the CRS's area only when read easting-first are read northing-first (reported as a note).
 * Zones of one plan that overlap by more than GIS_IMPORT_OVERLAP_MIN_M2 are reported (stats->overlaps).
 *
 * An import in which no feature survives (all rejected, or none read) fails. One row is added to the
 * imports table per successful run. stats is filled as far as the run got; it may be NULL. */
enum err_code gis_import_run(struct gis_store *w, const char *const *files, int n, const struct gis_import_opts *o,
                             struct gis_import_stats *stats, FILE *report, struct err *e);

/* Checks a source file without touching any store or GDAL: DOCTYPE/ENTITY declarations in XML (any file
 * whose content starts with '<', whatever its name, and XML inside zips), zip entry names (absolute, "..",
 * backslashes), entry count, total size and compression ratio. Returns ERR_OK, or ERR_NOT_FOUND,
 * ERR_INVALID, ERR_TOO_LARGE, ERR_UNPROCESSABLE or ERR_IO with one line naming the file and the problem. */
enum err_code gis_import_check_file(const char *path, struct err *e);

#endif
