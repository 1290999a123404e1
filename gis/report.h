/* The validation report of an import: findings of rules with stable ids and Polish descriptions, each
 * naming the feature (its lokalnyId, or the import's identifier), a point in EPSG:2180 and the area or
 * length concerned; printed for people and written as JSON for the office's tools.
 * The report owns every string added to it (copies); gis_report_free releases them all. */
#ifndef GIS_REPORT_H
#define GIS_REPORT_H
#include <stdbool.h>
#include <stdio.h>

#include "util/err.h"

enum gis_severity { GIS_SEV_ERROR, GIS_SEV_WARNING, GIS_SEV_NOTE };

/* What a rule's measure is. */
enum gis_measure { GIS_MEASURE_NONE, GIS_MEASURE_AREA, GIS_MEASURE_LENGTH };

struct gis_rule {
    const char *id;             /* stable id, e.g. "LUKA", "DWA-MIEJSCA-INTENSYWNOSC" */
    enum gis_severity severity; /* the default; a finding may say otherwise (documented per rule) */
    enum gis_measure measure;
    const char *description; /* Polish, one sentence without a full stop */
};

/* The rule with this id, or NULL. Parameter families (DWA-MIEJSCA-*, ZAKRES-*) are listed per parameter. */
const struct gis_rule *gis_rule_find(const char *id);
/* All rules, ended by an entry whose id is NULL. */
const struct gis_rule *gis_rules(void);

struct gis_report;

#define GIS_REPORT_MAX_FINDINGS 5000 /* kept in full; beyond, only counted per rule */

struct gis_report *gis_report_new(void);
void gis_report_free(struct gis_report *r);

/* Adds a finding of rule id (which must be in the table) with its default severity. file, feature and
 * pt (x, y in EPSG:2180) may be NULL; measure is the area in m² or length in m, NAN when not known.
 * The message says what is wrong, in Polish. */
void gis_report_add(struct gis_report *r, const char *id, const char *file, const char *feature, const double *pt,
                    double measure, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* The same with an explicit severity. */
void gis_report_add_sev(struct gis_report *r, enum gis_severity sev, const char *id, const char *file,
                        const char *feature, const double *pt, double measure, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

long gis_report_count(const struct gis_report *r, enum gis_severity sev);
/* How many findings of rule id there are (kept or only counted). */
long gis_report_rule_count(const struct gis_report *r, const char *id);

/* Facts about the run that go into the JSON and the text summary. Any field may be NULL/0. */
struct gis_report_meta {
    const char *tenant, *teryt, *collection, *format;
    const char *const *files;
    int nfiles;
    bool check;    /* a dry run (--check) */
    bool imported; /* the store was changed */
    long read, written, repaired, rejected;
    double seconds;
    const char *error; /* why the run failed, when it did (also without findings) */
};

/* Writes the findings for people: one line per finding ("BŁĄD LUKA: …"), grouped errors first, then a
 * summary line. Nothing when there are no findings and meta is NULL. */
void gis_report_print(const struct gis_report *r, const struct gis_report_meta *m, FILE *out);

/* Writes the report as one JSON object to path (replacing it atomically): meta, counts, the rules that
 * fired with their descriptions, and every kept finding. */
enum err_code gis_report_write_json(const struct gis_report *r, const struct gis_report_meta *m, const char *path,
                                    struct err *e);

#endif
