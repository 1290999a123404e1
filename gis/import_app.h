/* The import's rules that need the store, run inside the import's transaction: APP identities and
 * versions (with the history of replaced versions), the coverage of POG plans by their zones as they
 * stand after the import, and the gmina's territory. Used by gis/import.c only. */
#ifndef GIS_IMPORT_APP_H
#define GIS_IMPORT_APP_H
#include <geos_c.h>

#include "gis/app_validate.h"
#include "gis/report.h"
#include "gis/store.h"
#include "util/err.h"

/* Checks every APP object of feature type `type` in scan against table ("plans" or "pog_zones") of the
 * store w: a lokalnyId held by an object of the other table, or by the same object in the same or a
 * newer version, is LOKALNYID-W-BAZIE; a newer wersjaId replaces the old version (NOWA-WERSJA), whose
 * row goes to app_history (zones are deleted, so the new version is inserted; plans are updated in place
 * by the import, so their zones stay linked); a designation another zone of the same plan holds in the
 * store is DUPLIKAT-OZNACZENIE. now is the import's start (ISO 8601). */
enum err_code import_app_identities(struct gis_store *w, const struct app_scan *scan, const char *type,
                                    const char *table, const char *now, struct gis_report *rp, struct err *e);

/* The gmina's territory (gmina_boundary), or NULL when the store has none. */
GEOSGeometry *import_app_boundary(struct gis_store *w, GEOSContextHandle_t h, struct err *e);

/* Checks the coverage of each POG plan in plans (row ids; n of them) by its zones as they are in the store
 * now: against the plan's boundary, or gmina (may be NULL) when the plan has none (a placeholder), with
 * gis_coverage_check. *overlaps (may be NULL) counts the overlapping pairs. */
enum err_code import_app_coverage(struct gis_store *w, GEOSContextHandle_t h, const long long *plans, size_t n,
                                  const GEOSGeometry *gmina, double tolerance_m2, const char *file,
                                  struct gis_report *rp, long *overlaps, struct err *e);

/* After an APP file's zones are written: each StrefaPlanistyczna of scan gets the profil funkcjonalny the
 * pre-pass read (pog_zones.profile_basic/profile_extra, migration 013; NULL where the file has none). */
enum err_code import_app_profiles(struct gis_store *w, const struct app_scan *scan, struct err *e);

/* After an APP file's acts are written: the links of its DokumentFormalny objects go to the plan history
 * (migration 009): an act a document `uchyla` (repeals) gets the document's title as changed_by, its
 * dataUchylenia or dataWejsciaWZycie as valid_to when it has none, and the status uchylony; the acts a
 * document that `zmienia` (amends) an act `uchwala` (adopts) are that act's amendments (amends_plan_id; the
 * amended act stays in force outside them, so its own history is unchanged). A link to an act neither in the file nor
 * in the store is POWIAZANIE-NIEZNANE. */
enum err_code import_app_links(struct gis_store *w, const struct app_scan *scan, struct gis_report *rp, struct err *e);

/* One APP regulation of a POG read from the file: an ObszarUzupelnieniaZabudowy (standards false) or an
 * ObszarStandardowDostepnosciInfrastrukturySpolecznej with its values (by app_standards() index, NAN where
 * absent). */
struct import_app_regulation {
    bool standards;
    const char *ns, *lid, *version, *label, *plan_href, *file;
    bool exclude_farmsteads;
    const double *values;
    const unsigned char *wkb; /* EPSG:2180 */
    size_t wkb_len;
};

/* Writes it to pog_ouz or pog_standards (migration 013), replacing the row of the same idIIP; its plan is
 * the act plan_href names (else the act of its lokalnyId, app_act_iip). An act not in the store is
 * OBIEKT-ODRZUCONY. */
enum err_code import_app_regulation_put(struct gis_store *w, const struct import_app_regulation *g,
                                        struct gis_report *rp, struct err *e);

#endif
