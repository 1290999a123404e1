/* e-Przedsiębiorca (module "business"): businesses that operate in the gmina and their places of business,
 * matched to address points. This header is the module's logic without SQL: identifier checks (NIP, REGON),
 * PKD codes (PKD 2025, sections, the PKD 2007 form), the readers of the import files (the CEIDG export and
 * a simple CSV) and the wording of the zoning check. The store is store.h; the HTTP side is routes.c.
 *
 * Ownership: every string a parser returns lives in the arena it was given. */
#ifndef SERVICES_MODULES_BUSINESS_BUSINESS_H
#define SERVICES_MODULES_BUSINESS_BUSINESS_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/store.h"
#include "util/arena.h"
#include "util/config.h"
#include "util/err.h"

#define BUSINESS_TITLE "Przedsiębiorcy"

/* Whether s is a NIP: ten digits, optionally written with hyphens or spaces ("123-456-32-18"), whose
 * weighted sum (6 5 7 2 3 4 5 6 7) mod 11 is the last digit (never 10). Writes the bare ten digits to out
 * (11 bytes) when it is. NULL is false. */
bool business_nip_valid(const char *s, char out[11]);

/* Whether s is a REGON of 9 or 14 digits with its check digit (weights 8 9 2 3 4 5 6 7, or 2 4 8 5 0 9 7 3
 * 6 1 2 4 8; a sum mod 11 of 10 gives 0). Writes the digits to out (15 bytes). NULL is false. */
bool business_regon_valid(const char *s, char out[15]);

/* A PKD subclass in the form "47.11.Z", read from "47.11.Z", "4711Z", "47.11Z" or "47 11 Z" (letter in
 * either case). Writes the canonical form to out (8 bytes). False for anything else. */
bool business_pkd_parse(const char *s, char out[8]);

/* The PKD 2025 section letter (A..V) of a canonical PKD 2025 code, from its division; 0 for a division
 * PKD 2025 does not have. */
char business_pkd2025_section(const char *code);

/* The PKD 2007 section letter (A..U) of a canonical PKD 2007 code; 0 when its division does not exist. */
char business_pkd2007_section(const char *code);

/* Polish name of a PKD 2025 section, or NULL. */
const char *business_pkd2025_section_name(char section);

/* Status of a place of business. */
enum business_status { BUSINESS_ACTIVE, BUSINESS_SUSPENDED, BUSINESS_CLOSED };
const char *business_status_name(enum business_status s); /* "active", "suspended", "closed" */
/* Reads "active"/"aktywny", "suspended"/"zawieszony", "closed"/"wykreślony"/"zakończony" (any case); false
 * otherwise. */
bool business_status_parse(const char *s, enum business_status *out);

/* One place of business as read from a file. */
struct business_place_in {
    bool main;                             /* the main place (stałe miejsce), else an additional one */
    const char *street, *building, *flat;  /* flat may be NULL; street NULL for a village without streets */
    const char *locality, *postal_code;    /* postal_code may be NULL */
    const char *address;                   /* the text given to the geocoder, made from the fields */
    const char *start, *end, *status_text; /* this place's own dates and status (CSV rows), else NULL */
};

#define BUSINESS_MAX_PKD    32
#define BUSINESS_MAX_PLACES 16

/* One business (one record of a file). Fields not given are NULL (or 0). */
struct business_record {
    int line;                                 /* 1-based record number in the file (CSV: the line of its first row) */
    const char *source_id;                    /* the record's id in the source (CEIDG "id"), or NULL */
    const char *name, *nip_text, *regon_text; /* as given */
    char nip[11], regon[15];                  /* checked digits, empty when the given text is not valid */
    const char *pkd_main_text;
    const char *pkd_text[BUSINESS_MAX_PKD];
    int npkd;
    bool pkd2007;                          /* the file says its codes are PKD 2007 */
    const char *start, *end, *status_text; /* dates as given (YYYY-MM-DD) and the status word */
    struct business_place_in places[BUSINESS_MAX_PLACES];
    int nplaces;
};

/* The records of a file and what could not be read as a record at all. */
struct business_file {
    struct business_record *recs;
    int n;
    const char *format; /* "ceidg" or "csv" */
};

/* Reads a CEIDG export: the JSON of the CEIDG API v2 (dane.biznes.gov.pl) answer for firms, an object with
 * an array "firmy" (or "firma") of objects with nazwa, wlasciciel {nip, regon}, adresDzialalnosci {ulica,
 * budynek, lokal, miasto, kod}, adresyDzialalnosciDodatkowe [...], pkdGlowny, pkd [...], dataRozpoczecia,
 * dataZakonczenia, status. Owner names, PESEL, the correspondence and home addresses are not read.
 * ERR_INVALID when the text is not such a file (naming where), ERR_TOO_LARGE over max records. */
enum err_code business_parse_ceidg(const char *text, size_t len, int max, struct arena *a, struct business_file *out,
                                   struct err *e);

/* Reads the simple CSV: a header line naming the columns (any order; separator ';' or ','; "quoted"
 * fields): nip, regon, nazwa, pkd_glowny, pkd (codes separated by spaces or '|'), rodzaj (glowne /
 * dodatkowe), ulica, budynek, lokal, miejscowosc, kod, data_od, data_do, status, and optionally
 * pkd_wersja (2007 or 2025). One row per place: consecutive rows with the same NIP are one business.
 * ERR_INVALID naming the line for a broken file (no header, a missing required column, bad quoting). */
enum err_code business_parse_csv(const char *text, size_t len, int max, struct arena *a, struct business_file *out,
                                 struct err *e);

/* The address text of a place for the geocoder: "ul. Długa 5, 69-100 Słubice" (no flat number). */
const char *business_place_address(struct arena *a, const struct business_place_in *p);

/* The zoning check's verdicts, from the mapping table (business_zone_rules). */
enum business_verdict { BUSINESS_ALLOWED, BUSINESS_CONDITIONAL, BUSINESS_FORBIDDEN, BUSINESS_UNKNOWN };
const char *business_verdict_name(enum business_verdict v); /* "allowed", "conditional", "forbidden", "unknown" */
bool business_verdict_parse(const char *s, enum business_verdict *out);
/* A short Polish answer for residents: "dopuszczalna", "dopuszczalna warunkowo", ... */
const char *business_verdict_text(enum business_verdict v);

/* Today (ODRA_TODAY when set, as the waste module reads it) as YYYY-MM-DD into out (11 bytes). */
void business_today(char out[11]);

/* The demo hook: a few hundred businesses at the demo address points of the gmina. */
enum err_code business_demo(struct gis_store *w, const struct config_tenant *t, struct err *e);

#endif
