/* Cases (sprawy) in the tenant store (tables cases and case_events, data/migrations/006_cases.sql): every
 * request a resident files, with its case number (gis/cases.h), applicant, status history, assigned
 * clerk, KPA deadline, fee and the documents issued. These functions are the cases' part of the store
 * interface (docs/design.md): SQL stays here. Writes run on the writer inside the caller's transaction
 * (svc_tenant_write). */
#ifndef GIS_CASE_STORE_H
#define GIS_CASE_STORE_H
#include <stdbool.h>

#include "gis/store.h"
#include "util/arena.h"
#include "util/err.h"

/* The statuses of a case, as stored and shown (Polish, as the office names them). */
#define GIS_CASE_FILED     "złożony"
#define GIS_CASE_OPEN      "w toku"
#define GIS_CASE_NEEDS     "do uzupełnienia"
#define GIS_CASE_DONE      "załatwiony"
#define GIS_CASE_REFUSED   "odmowa"
#define GIS_CASE_WITHDRAWN "wycofany"

/* Whether s is one of the six statuses; whether a case in it is still open (not załatwiony, odmowa,
 * wycofany). */
bool gis_case_status_valid(const char *s);
bool gis_case_status_open(const char *s);

/* A case. Strings may be NULL where the column allows it. */
struct gis_case {
    const char *id, *case_number, *module;
    long seq;
    int year;
    long long applicant_account; /* 0: anonymous */
    const char *applicant_login, *applicant_email, *applicant_name;
    const char *status;
    long long assigned_account; /* 0: nobody */
    const char *assigned_login;
    const char *created_at, *deadline; /* ISO 8601 UTC; local date YYYY-MM-DD */
    int fee_pln;
    const char *fee_status; /* due, paid, exempt */
    const char *verification_code, *request_json, *documents_json, *reason;
    /* Its virtual account (gis/pay.h), read with the case; pay_nrb NULL when it has none. gis_case_insert
     * and gis_case_update ignore these. */
    const char *pay_nrb, *pay_title;
    long pay_due_gr, pay_paid_gr;
};

/* One entry of a case's status history. */
struct gis_case_event {
    const char *at, *actor, *status, *note;
};

/* The deadline of a case registered on day (gis/calendar.h day number) with a term of `days` days,
 * counted as art. 57 KPA counts them: the day of registration not included, and an end falling on a
 * Saturday or a statutory holiday (or a Sunday) moved to the next working day. */
int gis_case_deadline(int day, int days);

/* What a new case is stamped with when it is registered. */
struct gis_case_stamp {
    char id[33];       /* 32 random hex digits */
    char code[25];     /* its verification code (GIS_EXTRACT_CODE_LEN base32 characters) */
    char created[32];  /* now, ISO 8601 UTC */
    char deadline[11]; /* YYYY-MM-DD: `days` days from today, as gis_case_deadline counts them */
    long seq;          /* its number in this year's sequence, drawn on w */
    int year;          /* this year (local time) */
};

/* The stamp of a case registered now, all but its number (seq 0): for a registration that foresees its
 * number before it takes the writer (services/extracts.c). */
enum err_code gis_case_stamp_init(int days, struct gis_case_stamp *s, struct err *e);

/* The last number drawn in year's sequence (0: none yet), as store w sees it. */
enum err_code gis_case_seq_peek(struct gis_store *w, int year, long *seq, struct err *e);

/* Stamps a case registered now with a term of `days` days; draws the sequence on the writer w, so call
 * it inside the registering transaction. */
enum err_code gis_case_stamp_new(struct gis_store *w, int days, struct gis_case_stamp *s, struct err *e);

/* Adds the case and the first entry of its history (its status, by actor). */
enum err_code gis_case_insert(struct gis_store *w, const struct gis_case *c, const char *actor, struct err *e);

/* Writes the changeable fields of c (status, assigned, fee, verification code, request, documents,
 * reason) to the case c->id. */
enum err_code gis_case_update(struct gis_store *w, const struct gis_case *c, struct err *e);

/* Sets the fee of case id: its amount (zł) and status (due, paid, exempt). */
enum err_code gis_case_fee_set(struct gis_store *w, const char *id, int fee_pln, const char *status, struct err *e);

/* Adds an entry to the history of case id (at is now). */
enum err_code gis_case_event_add(struct gis_store *w, const char *id, const char *actor, const char *status,
                                 const char *note, struct err *e);

/* The case by id (by_code false) or by verification code (true), strings in a. ERR_NOT_FOUND when none. */
enum err_code gis_case_find(struct gis_store *s, struct arena *a, bool by_code, const char *key, struct gis_case *out,
                            struct err *e);

/* The history of case id, oldest first, in a. */
enum err_code gis_case_events(struct gis_store *s, struct arena *a, const char *id, struct gis_case_event **out, int *n,
                              struct err *e);

/* The member of a case's request (JSON) naming the NIP of the business that is the case's party (a permit's
 * operator, the payer of a declaration for non-residential property), so that a business's cases can be
 * listed through the core without reading any module's tables. */
#define GIS_CASE_PARTY_NIP "party_nip"

/* Which cases gis_case_list returns: NULL / 0 fields do not filter. */
struct gis_case_filter {
    const char *status, *module, *due_before; /* due_before: deadline on or before this date */
    long long applicant_account;
    const char *assigned_login; /* only cases assigned to this login */
    bool unassigned;            /* only cases assigned to no one */
    bool open_only;             /* only cases still open */
    bool queue_order;           /* open cases by deadline first (the clerk's queue); else newest first */
    /* only cases whose party is the business with this NIP (10 digits): the module that registered the case
     * recorded it as the member party_nip of the case's request (GIS_CASE_PARTY_NIP) */
    const char *party_nip;
    int limit; /* at most this many (1..1000; 0 is 200) */
};

/* Cases matching f, in a (without their request). */
enum err_code gis_case_list(struct gis_store *s, struct arena *a, const struct gis_case_filter *f,
                            struct gis_case **out, int *n, struct err *e);

/* RODO erasure of the cases filed by account (art. 17(3)(b): case files and issued documents are kept
 * by the archival duty), on the writer w inside the caller's transaction: every such case keeps its
 * number, dates, status history, fee and documents (the issued PDF unchanged, so /verify still holds),
 * while its applicant login and name become pseudonym and its e-mail is removed; the applicant's name and
 * address in a kept request and in the issued extract's register row become pseudonym and nothing; history
 * entries made by login (the person's old login) are attributed to pseudonym. When any of the cases is still
 * open nothing is changed: ERR_CONFLICT, whose message is the open cases' numbers joined by ", ". *n (may be NULL) gets
 * the number of cases. */
enum err_code gis_cases_erase_applicant(struct gis_store *w, long long account, const char *login,
                                        const char *pseudonym, int *n, struct err *e);

#endif
