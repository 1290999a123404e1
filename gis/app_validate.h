/* APP (Akt Planowania Przestrzennego) validation: the code lists, the rules on single values, the
 * requirements read from the APP XSD files at run time, and a streaming pre-pass over a GML file that
 * checks what GDAL's reading would lose (namespaces, required elements, the text of numbers) without
 * building a tree. Findings go to a struct gis_report. */
#ifndef GIS_APP_VALIDATE_H
#define GIS_APP_VALIDATE_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/report.h"
#include "util/err.h"

#define APP_NS_BASE        "https://www.gov.pl/static/zagospodarowanieprzestrzenne/schemas/app/"
#define APP_MAX_VERTICES   1000000L   /* per feature, as in the import */
#define APP_MAX_VALUE      4096       /* bytes of one element's text that the rules read */
#define APP_MAX_TEXT       (1L << 20) /* bytes of any text node other than coordinates */
#define APP_MAX_DEPTH      64         /* element nesting */
#define APP_PLACEHOLDER_ST "nieustalony"

/* ---- code lists (the TSV files of data/codelists, embedded) ---- */

struct app_zone_type {
    const char *symbol, *code, *name; /* "SJ", "strefaWielofunkcyjnaZZabudowaMieszkaniowaJednorodzinna", "strefa …" */
    const char *profile;              /* the basic profile: KPT codes separated by spaces, "MN U K ZP ZD I" */
    const char *profile_extra;        /* the classes a zone of the type may add (its profil dodatkowy), likewise */
};

/* Whether every word of the space-separated list `codes` is one of the words of `allowed`; an empty list is
 * a subset. *bad (may be NULL) gets the first word that is not (a pointer into codes, up to a space). */
bool app_words_subset(const char *codes, const char *allowed, const char **bad);

/* The name of a KPT land-use class ("MN" -> "teren zabudowy mieszkaniowej jednorodzinnej"), or NULL. */
const char *app_kpt_name(const char *code);

/* The odra plans.status of an APP status given as its code-list code, URI or title ("legalForce",
 * "…/ProcessStepGeneralValue/legalForce", "prawnie wiążący lub realizowany" -> "obowiązujący"); NULL when
 * it is none of them. */
const char *app_status_to_odra(const char *s);
/* The APP status code and title of an odra plans.status; false when there is none (then the caller picks). */
bool app_status_from_odra(const char *status, const char **code, const char **title);

/* The POG zone type with this symbol / code-list code / name; NULL when not in the list. */
const struct app_zone_type *app_zone_type_by_symbol(const char *symbol);
const struct app_zone_type *app_zone_type_by_code(const char *code);
const struct app_zone_type *app_zone_type_by_name(const char *name);
/* All of them, *n set to the count. */
const struct app_zone_type *app_zone_types(int *n);

struct app_param {
    const char *element; /* "maksNadziemnaIntensywnoscZabudowy" */
    const char *rule;    /* "INTENSYWNOSC": rule ids DWA-MIEJSCA-INTENSYWNOSC, ZAKRES-INTENSYWNOSC */
    int decimals;        /* at most this many digits after the point */
    double min, max;     /* NAN when open */
    bool min_exclusive;
    const char *uom; /* the fixed unit, or NULL */
    const char *name;
};

/* The zone parameter of this element name, or NULL; all of them through app_params. */
const struct app_param *app_param_find(const char *element);
const struct app_param *app_params(int *n);

/* One value of the gminne standardy dostępności infrastruktury społecznej (APP 2.0
 * ObszarStandardowDostepnosciInfrastrukturySpolecznej, art. 13f u.p.z.p.): its APP element, its column of
 * pog_standards (migration 013), its unit ("m" for a greatest distance, "m2" for an area) and how the wypis
 * names it. */
struct app_standard {
    const char *element, *column, *uom, *label;
    bool required; /* minOccurs 1 in the XSD */
};
/* All of them, in the XSD's order, *n set to the count. */
const struct app_standard *app_standards(int *n);

/* The APP version ("1.0", "2.0") of a namespace URI, or NULL when it is not a known APP namespace. */
const char *app_namespace_version(const char *uri);
/* The namespace URI of a version, or NULL. */
const char *app_namespace_uri(const char *version);
/* True when uri looks like an APP namespace of any version (the APP base, http or https). */
bool app_namespace_like(const char *uri);

/* The name of a województwo by the first two digits of a TERYT code, or NULL. */
const char *app_wojewodztwo(const char *teryt);

/* ---- rules on single values (pure; unit-tested) ---- */

/* Digits after the decimal point in text written as an xs:decimal ("15.5" -> 1, "30" -> 0); -1 when it
 * is not a decimal number (a comma, an exponent, letters, nothing). *value gets the number. */
int app_decimals(const char *text, double *value);

/* True when oznaczenie is a number followed by exactly the symbol: "1SJ" for SJ, not "1SP", "SJ1", "1BLAD". */
bool app_designation_ok(const char *oznaczenie, const char *symbol);

/* The TERYT code in an IIP namespace "PL.ZIPPZP.2388/0805022-POG": the 6 or 7 digits after the last '/'
 * and before '-'. Writes it (NUL-terminated) to out[8]; false when there is none. */
bool app_namespace_teryt(const char *przestrzen_nazw, char out[8]);

/* True when a TERYT from a namespace (6 or 7 digits) names the gmina of tenant_teryt (7 digits). */
bool app_teryt_matches(const char *ns_teryt, const char *tenant_teryt);

/* The act an APP reference or zone belongs to, as "przestrzenNazw/lokalnyId": from an xlink:href that
 * names AktPlanowaniaPrzestrzennego (".../AktPlanowaniaPrzestrzennego/NS1/NS2/LID[/VERSION]"), else from
 * the zone's own idIIP (przestrzenNazw + "/" + lokalnyId up to its first '-'). false when neither works. */
bool app_act_iip(const char *href, const char *przestrzen_nazw, const char *lokalny_id, char *out, size_t cap);

/* Compares two wersjaId: > 0 when a is newer than b. A missing version is older than any. Versions are
 * compared as text: the APP convention (YYYYMMDDThhmmss) sorts in time order. */
int app_version_cmp(const char *a, const char *b);

/* ---- the schema, read from the XSD at run time ---- */

struct app_schema;

/* The requirements of the APP schema with target namespace ns, read from the first *.xsd file in dir
 * (or dir/xsd) declaring it; cached per process. NULL with e set when no file declares ns or it cannot
 * be read. */
const struct app_schema *app_schema_get(const char *dir, const char *ns, struct err *e);

/* Whether type is a concrete feature type of the schema. */
bool app_schema_has_type(const struct app_schema *s, const char *type);
/* The i-th element the schema requires (minOccurs >= 1) of feature type, with its base types; NULL past
 * the end. */
const char *app_schema_required(const struct app_schema *s, const char *type, int i);
/* Whether element is declared for feature type (or its base types). */
bool app_schema_allows(const struct app_schema *s, const char *type, const char *element);
/* The directory APP schemas are read from: dir when set (the config key [import] app_schemas), else
 * $ODRA_SHARED/data/app, else ../../shared/data/app from the binary's directory (build/odra in a checkout
 * next to ../shared) when it holds planowaniePrzestrzenne_2_0.xsd, else ../shared/data/app. */
const char *app_schema_dir(const char *dir, char *buf, size_t cap);

/* ---- the streaming pre-pass ---- */

/* One APP feature of the file: what the rules across features and against the store need. */
struct app_object {
    char *type;       /* feature type, e.g. "StrefaPlanistyczna" */
    char *ns;         /* przestrzenNazw */
    char *lid;        /* lokalnyId */
    char *version;    /* wersjaId, may be NULL */
    char *oznaczenie; /* zones: their designation, may be NULL */
    char *act;        /* zones: the act they belong to ("ns/lid"), may be NULL */
    char *basic;      /* zones: profilPodstawowy as KPT codes, space-separated; NULL when none */
    char *extra;      /* zones: profilDodatkowy, likewise */
    char *uchwala;    /* DokumentFormalny: the xlink:hrefs of uchwala, zmienia and uchyla (newline-separated) */
    char *zmienia;
    char *uchyla;
    char *title;    /* tytul */
    char *in_force; /* DokumentFormalny: dataWejsciaWZycie, dataUchylenia */
    char *repealed;
    const char *file; /* the file's label (owned by the scan) */
};

struct app_scan {
    bool app;        /* the file is APP (an element in an APP namespace) */
    bool fatal;      /* the file must not be read further (not XML, DOCTYPE, limits) */
    char version[8]; /* "1.0", "2.0" */
    long features;   /* APP features read */
    long types[8];   /* per feature kind: see app_scan_count */
    struct app_object *o;
    size_t n, cap;
    char **labels;
    int nlabels;
};

/* A gmina known to odra (a configured tenant), to name the gmina of a file. */
struct app_gmina {
    char teryt[8];
    char name[64];
};

struct app_scan_opts {
    const char *schemas;      /* directory of the XSD files (app_schema_dir) */
    const char *tenant_teryt; /* 7 digits; NULL: the TERYT rule is not applied */
    const char *tenant_name;
    const struct app_gmina *gminas; /* may be NULL */
    int ngminas;
};

/* How a file's TERYT is named in messages: "Słubice (TERYT 0805053)" for a known gmina, else
 * "o kodzie TERYT 121201 (woj. małopolskie)". */
void app_gmina_describe(const char *teryt, const struct app_gmina *gminas, int n, char *out, size_t cap);

/* Streams path (label names it in findings) and adds its findings to rp; results accumulate in scan
 * (several files of one import share one scan, so identifiers are unique across them). Returns ERR_OK
 * (also when the file has errors: see rp), or ERR_IO when it cannot be read. A file that is not APP
 * leaves scan->app false and costs only its first elements. */
enum err_code app_scan_file(const char *path, const char *label, const struct app_scan_opts *o, struct app_scan *scan,
                            struct gis_report *rp, struct err *e);

/* Cross-feature rules of everything scanned: lokalnyId unique, oznaczenie unique per act. */
void app_scan_finish(struct app_scan *scan, struct gis_report *rp);

void app_scan_free(struct app_scan *scan);

#endif
