/* e-Odpady below HTTP: collection rules and the holiday shift (over gis/calendar.h), fee computation from
 * rate tables, and the module's data in a tenant store (zones, schedules, declarations, charges, payers,
 * balances; payments and statements through gis/payments.h). The logic is waste.c; the tables are reached
 * only through store.h (store.c holds all the module's SQL); the demo data is demo.c.
 *
 * Ownership: everything returned through an arena lives as long as that arena; nothing else is
 * allocated for the caller. Dates are day numbers (days since 1970-01-01, proleptic Gregorian); months
 * are month numbers (year * 12 + month - 1); money is in grosze (1/100 zł). Functions taking a writer
 * store expect the caller to hold the tenant's write lock and an open transaction. */
#ifndef SERVICES_MODULES_WASTE_WASTE_H
#define SERVICES_MODULES_WASTE_WASTE_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/calendar.h"
#include "gis/pay.h"
#include "gis/seal.h"
#include "gis/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"

/* Today as a day number: gis_cal_today (ODRA_TODAY=YYYY-MM-DD overrides it, for tests). */
int waste_today(void);

/* What happens to a collection that falls on a holiday (or a Sunday), set by each gmina as data. */
enum waste_shift {
    WASTE_SHIFT_NONE,         /* collected anyway */
    WASTE_SHIFT_NEXT_DAY,     /* the next day that is neither a holiday nor a Sunday (may be a Saturday) */
    WASTE_SHIFT_NEXT_WORKING, /* the next Monday-Friday that is not a holiday */
    WASTE_SHIFT_PREV_WORKING, /* the previous Monday-Friday that is not a holiday */
    WASTE_SHIFT_SKIP,         /* dropped */
};
/* "none", "next_day", "next_working_day", "previous_working_day", "skip"; -1 for anything else. */
int waste_shift_parse(const char *s);
const char *waste_shift_name(enum waste_shift s);

enum waste_rule_kind { WASTE_WEEKLY, WASTE_EVERY_N_WEEKS, WASTE_MONTHLY };

/* A collection rule: "weekly on Monday", "every 2nd Tuesday from 2026-01-06", "monthly, first Friday". */
struct waste_rule {
    const char *fraction;
    enum waste_rule_kind kind;
    int weekday;  /* 1 = Monday ... 7 = Sunday */
    int interval; /* EVERY_N_WEEKS: 1..52 */
    int anchor;   /* EVERY_N_WEEKS: one day of the series (on weekday) */
    int nth;      /* MONTHLY: 1..4, or -1 for the last such weekday of the month */
    int months;   /* bit (m - 1) set: the rule applies in month m; 0xFFF is all year */
    int building; /* 0: every building; 1 single-family, 2 multi-family only (enum waste_building) */
};

/* Writes the collection days of r in [from, to], after the holiday shift, ascending and without repeats,
 * into out: the first cap of them (the search stops there). Returns how many. */
int waste_rule_dates(const struct waste_rule *r, int from, int to, enum waste_shift shift, int *out, int cap);

/* ---- fees ---- */

/* The methods of art. 6j: per household, per resident, per m³ of water, per container (non-residential),
 * per m² of the dwelling (ust. 1 pkt 3) and the yearly lump sum of a summer house (ust. 3b). */
enum waste_method { WASTE_HOUSEHOLD, WASTE_RESIDENT, WASTE_WATER, WASTE_CONTAINER, WASTE_AREA, WASTE_SUMMER };
#define WASTE_METHODS 6
/* "household", "resident", "water_m3", "container", "area_m2", "summer_lump"; -1 for anything else. */
int waste_method_parse(const char *s);
const char *waste_method_name(enum waste_method m);

#define WASTE_MAX_ITEMS      16
#define WASTE_MAX_CONTAINERS 8
#define WASTE_MAX_RESIDENTS  200

/* A rate table for one method. Item keys: HOUSEHOLD the smallest household size the amount applies
 * to (1, 2, 3 = "3 and more"); RESIDENT, WATER, AREA and SUMMER key 0 (per resident, per m³ of water, per m² of
 * the dwelling, per summer house and year); CONTAINER litres. */
struct waste_rate {
    enum waste_method method;
    int valid_from;            /* month */
    double nonsort_multiplier; /* applied when the household does not sort (2..4 by law) */
    long compost_discount_gr;  /* taken off when composting; per resident when compost_per_resident */
    bool compost_per_resident;
    int nitems;
    struct {
        int key;
        long amount_gr;
    } items[WASTE_MAX_ITEMS];
};

/* What a declaration says that the fee depends on. */
struct waste_household {
    int residents; /* 0..WASTE_MAX_RESIDENTS; at least 1 for HOUSEHOLD and RESIDENT */
    bool composting, sorting;
    double water_m3; /* average monthly water use, WATER only */
    double area_m2;  /* floor area of the dwelling, AREA only */
    int ncontainers; /* CONTAINER only */
    struct {
        int litres;
        int per_month; /* emptyings a month, 1..31 */
    } containers[WASTE_MAX_CONTAINERS];
};

/* The statutory cap on a rate of method (art. 6k ust. 2a; the lump sum's, art. 6k ust. 2a pkt 5) for a disposable
 * income per person of income_gr: the largest amount an item may have, in grosze; -1 for a method without
 * one here (container). */
long waste_rate_cap(enum waste_method method, long income_gr);

/* Checks rate r before it is set: the higher rate 2 to 4 times (art. 6k ust. 3), every item within its cap for
 * income_gr (ERR_UNPROCESSABLE naming the item and the cap). */
enum err_code waste_rate_check(const struct waste_rate *r, long income_gr, struct err *e);

/* Sets rate table r on the writer (a new one for its method and valid_from; an existing one is ERR_CONFLICT),
 * after waste_rate_check with the gmina's disposable_income_gr setting. */
enum err_code waste_rate_set(struct gis_store *w, struct arena *a, const struct waste_rate *r, struct err *e);

/* The monthly fee (SUMMER: the yearly lump sum): the base amount of the method, times the multiplier when not sorting,
 * less the composting discount (never below 0), rounded to the grosz. ERR_UNPROCESSABLE naming what does not fit the
 * table (no rate for this container size, no residents for a household, ...). */
enum err_code waste_fee(const struct waste_rate *r, const struct waste_household *h, long *fee_gr, struct err *e);

/* ---- the store ---- */

/* A setting from waste_settings, copied into the arena, or def. */
const char *waste_setting(struct gis_store *s, struct arena *a, const char *key, const char *def);

struct waste_zone {
    long id;
    const char *code, *name;
};

/* The zone containing (x, y) (EPSG:2180). ERR_NOT_FOUND when none does. */
enum err_code waste_zone_at(struct gis_store *s, struct arena *a, double x, double y, struct waste_zone *out,
                            struct err *e);

/* Writes the demo zones: the obręby of the store dealt round-robin into nz zones R1..Rnz ("Rejon k: names
 * of its obręby"). Like every write of waste_zones, it adds to `changes` (core migration 002, through
 * gis_changes_track) one row with the bbox of every zone geometry it wrote (old and new), in the caller's transaction,
 * so the tile caches of the waste-zones tileset drop exactly the tiles it touched. */
enum err_code waste_zones_from_obreby(struct gis_store *w, int nz, struct err *e);

struct waste_fraction_dates {
    const char *code, *name;
    const char *rules; /* the rules in words, "co 2 tygodnie, wtorek; ..." */
    int *dates;
    int n;
};

/* The collection days of zone_id in [from, to] per fraction (every fraction, in their order, even those
 * without dates), after the gmina's holiday shift, with each fraction's rules in Polish words. first > 0
 * asks only for the earliest `first` days of each rule (the next collections) and leaves the words out
 * (rules is then "+" for a fraction with rules). building (enum waste_building) keeps the rules of every
 * building and of that type; 0 keeps all, the words then naming the type a rule is for. */
enum err_code waste_schedule(struct gis_store *s, struct arena *a, long zone_id, int from, int to, int first,
                             int building, struct waste_fraction_dates **out, int *n, struct err *e);

/* How far ahead /locate looks for each fraction's next collection day. */
#define WASTE_NEXT_SPAN 400

/* The next collection day of each fraction of zone_id within WASTE_NEXT_SPAN days from today (n 0 when none):
 * waste_schedule(from today, first 1) without the rules' words, worked out once per zone and day and kept
 * with the connection's rule book until the store changes. */
enum err_code waste_schedule_next(struct gis_store *s, struct arena *a, long zone_id, int today,
                                  struct waste_fraction_dates **out, int *n, struct err *e);

/* The rate table of method in force in month. ERR_UNAVAILABLE when the store has none. */
enum err_code waste_rate_load(struct gis_store *s, enum waste_method method, int month, struct waste_rate *out,
                              struct err *e);

/* A declaration (deklaracja o wysokości opłaty). */
struct waste_declaration {
    long id, payer_id;
    const char *payer_name;
    const char *account; /* the payer's NRB */
    bool nonresidential;
    bool summer; /* a summer house (kind summer_house): non-residential, the yearly lump sum (art. 6j ust. 3b) */
    long address_id;
    const char *address_label, *parcel_id;
    struct waste_household h;
    enum waste_method method;
    long fee_gr;
    int change_day;       /* the day the declared data changed (or first applied) */
    int valid_from;       /* month the fee applies from */
    const char *filed_at; /* ISO 8601 UTC: when it was filed (the case's registration) */
    /* The filing: the first declaration of a payer, a new one after a change of data (art. 6m ust. 2) or a
     * korekta of an earlier one (art. 81 Ordynacji podatkowej), which needs its reason. */
    enum waste_filing { WASTE_FILING_FIRST, WASTE_FILING_CHANGE, WASTE_FILING_CORRECTION } filing;
    const char *reason;
    const char *pesel, *nip; /* the payer's PESEL (a person) or NIP, checksums valid; NULL when absent */
    /* The PESEL came from login.gov.pl: taken as the national register has it (some PESELs were issued with
     * a wrong check digit), so only its form is checked. */
    bool pesel_verified;
    /* The legal title to the property (art. 2 ust. 1 pkt 4): własność, współwłasność, użytkowanie wieczyste,
     * najem lub dzierżawa, zarząd, inny; WASTE_TITLE_NONE only for declarations filed before it was asked. */
    enum waste_title {
        WASTE_TITLE_NONE,
        WASTE_TITLE_OWNERSHIP,
        WASTE_TITLE_CO_OWNERSHIP,
        WASTE_TITLE_PERPETUAL_USUFRUCT,
        WASTE_TITLE_LEASE,
        WASTE_TITLE_MANAGEMENT,
        WASTE_TITLE_OTHER,
    } title;
    /* The building of a residential property; NONE for a non-residential one (and older declarations). */
    enum waste_building { WASTE_BUILDING_NONE, WASTE_BUILDING_SINGLE, WASTE_BUILDING_MULTI } building;
    /* Why a change lowers the fee for past months: only a resident's death allows it (art. 6m ust. 2b). */
    enum waste_cause { WASTE_CAUSE_NONE, WASTE_CAUSE_DEATH } cause;
    int requested_from;  /* the month asked for when the law moved valid_from to the month of filing; else 0 */
    const char *case_id; /* the case it was filed as (cases.id), NULL for older ones */
    const char *case_number, *case_status; /* read from the case */
};

/* "ownership", "co_ownership", "perpetual_usufruct", "lease", "management", "other" (NONE is NULL); -1 for
 * anything else. The Polish name: "własność", ..., "" for NONE. */
int waste_title_parse(const char *s);
const char *waste_title_name(enum waste_title t);
const char *waste_title_polish(enum waste_title t);

/* "single_family", "multi_family" (NONE is NULL); -1 for anything else. */
int waste_building_parse(const char *s);
const char *waste_building_name(enum waste_building b);

/* Whether s is a PESEL: 11 digits, a real date of birth (the month carries the century) and the check digit
 * of weights 1 3 7 9 1 3 7 9 1 3. */
bool waste_pesel_valid(const char *s);

/* Whether s is a NIP: 10 digits whose weighted sum (6 5 7 2 3 4 5 6 7) modulo 11 is the last digit (10 is
 * never valid). */
bool waste_nip_valid(const char *s);

/* "first", "change", "correction"; -1 for anything else. */
int waste_filing_parse(const char *s);
const char *waste_filing_name(enum waste_filing f);

/* Files d on the writer: a payer_id of 0 creates the payer (its NRB from the bank_sort_code setting and
 * teryt). Computes the method (the gmina's residential or non-residential one), the fee from the rate
 * table and valid_from from change_day by the change_effective setting, and fills them and the ids into d.
 * today bounds change_day: at most two years back and not after the end of the next month. A first
 * filing needs a new payer (payer_id 0); a change or correction an existing one, and a correction its
 * reason. A first filing names the payer by a valid PESEL or NIP and the legal title (ERR_UNPROCESSABLE
 * naming pesel or legal_title); a change or correction without them repeats those of the payer's latest
 * declaration; so does a residential one's building (required for a first residential filing, naming
 * building_type). Composting is for single-family houses only (art. 6k ust. 4a; ERR_UNPROCESSABLE naming
 * composting). A change or correction filed late (after the 10th day of the month after the change, art. 6m
 * ust. 2) that lowers the fee below the one in force does not reach back (art. 6m ust. 2b): its valid_from
 * becomes the month of filing (d->requested_from keeps the month asked for), unless its cause is a resident's
 * death and it is filed within 6 months of it (change_day). d->case_id and d->filed_at are stored as given. account > 0
 * (a resident filing online) may only file for a payer linked to it (ERR_NOT_FOUND otherwise, as for a payer that does
 * not exist), and a payer it creates is linked to it. */
enum err_code waste_declare(struct gis_store *w, struct arena *a, const char *teryt, int today, long long account,
                            struct waste_declaration *d, struct err *e);

/* The payers linked to account (resident's own), ascending, at most cap of them into ids. */
enum err_code waste_account_payers(struct gis_store *s, long long account, long *ids, int cap, int *n, struct err *e);

/* The payer's name, in a; ERR_NOT_FOUND for an unknown payer. */
enum err_code waste_payer_get(struct gis_store *s, struct arena *a, long payer_id, const char **name, struct err *e);

/* The accounts linked to the payer (ascending, at most cap into ids). */
enum err_code waste_payer_accounts(struct gis_store *s, long payer_id, long long *ids, int cap, int *n, struct err *e);

/* Unlinks account from every payer (RODO erasure); *n counts the links removed. */
enum err_code waste_account_unlink(struct gis_store *w, long long account, int *n, struct err *e);

/* Among a payer's declarations ds (newest filing first, as waste_declarations gives them), the one in force in
 * month: the latest valid_from on or before it, the later filing winning; NULL when none is. */
const struct waste_declaration *waste_in_force(const struct waste_declaration *ds, int n, int month);

/* The declarations of payer_id, newest first (history). ERR_NOT_FOUND for an unknown payer. */
enum err_code waste_declarations(struct gis_store *s, struct arena *a, long payer_id, struct waste_declaration **out,
                                 int *n, struct err *e);

/* A decision of art. 6ka: the payer did not sort in months from..to, and pays the higher rate then. */
struct waste_nonsort {
    long id, payer_id;
    int from, to; /* months, to - from 0..11 */
    double multiplier;
    const char *case_id, *case_number, *reason, *decided_at;
};

/* Records the decision n (payer_id, from, to, case_id, reason) on the writer: 1 to 12 months (ERR_UNPROCESSABLE
 * naming months), none after this month (today's; naming from), not overlapping another decision of the payer
 * (ERR_CONFLICT), and a declaration in force in from (ERR_UNPROCESSABLE). Fills n->multiplier (the rate table's
 * in force in from) and n->id. An unknown payer is ERR_NOT_FOUND. */
enum err_code waste_nonsort_decide(struct gis_store *w, struct arena *a, int today, struct waste_nonsort *n,
                                   struct err *e);

/* What d makes the payer owe for month: its fee at the rate table in force then, at a decision's higher rate
 * where one covers the month (as waste_charges_generate charges it). */
long waste_month_fee(struct gis_store *s, const struct waste_declaration *d, int month);

/* The payer's decisions, oldest first, in a. */
enum err_code waste_nonsort_list(struct gis_store *s, struct arena *a, long payer_id, struct waste_nonsort **out,
                                 int *n, struct err *e);

/* Charges every payer for every month from their first declaration through `through`, with the amount of
 * the declaration in force in that month (the latest valid_from <= month; the later filing wins); in a month a
 * decision of art. 6ka covers, the fee of that declaration as if not sorting, at the decision's multiplier.
 * Idempotent: rows are inserted or corrected, never doubled. *changed counts rows written. */
enum err_code waste_charges_generate(struct gis_store *w, int through, long *changed, struct err *e);

/* ---- the payer's account (ledger.c): money on the payments core (gis/pay.h) ---- */

/* Opens the payer's virtual account on the core: its own number (the gmina's bank_sort_code, teryt, '0', the
 * payer's id, 26 digits into nrb), module "waste", record the payer's id. */
enum err_code waste_account_open(struct gis_store *w, struct arena *a, const char *teryt, long payer_id, char nrb[27],
                                 struct err *e);

/* One line of a payer's account as of a day: a month's charge (month > 0), the cost of an upomnienie
 * (cost, reminder_id), or a return beyond the credit reopened as a charge (returned). */
struct waste_period {
    int month, due_day;
    bool cost, returned;
    long reminder_id; /* of a cost */
    long amount_gr, paid_gr, interest_paid_gr;
    long rest_gr;     /* of the amount still owed */
    long interest_gr; /* interest due on the rest as of the day (0 for a cost, none yet due) */
    bool overdue;     /* due before the day and not paid up */
};

struct waste_balance {
    long payer_id;
    const char *name, *account;
    long charged_gr;      /* all charges generated so far */
    long due_gr;          /* charges whose due date has come (<= today) */
    long paid_gr;         /* the sum of the payer's booked transactions (returns and refunds negative) */
    long arrears_gr;      /* principal of the charges overdue and not paid (zaległość) */
    long balance_gr;      /* paid - charged: > 0 is an overpayment */
    long monthly_fee_gr;  /* of the declaration in force this month, 0 when none */
    long interest_gr;     /* odsetki za zwłokę on the arrears as of today (art. 53, 56, 63 § 1 Ordynacji) */
    long costs_gr;        /* koszty upomnienia not paid */
    long credit_gr;       /* nadpłata: paid beyond every obligation */
    long to_pay_gr;       /* arrears + interest + costs */
    long threshold_gr;    /* art. 54 § 1 pkt 5: interest not exceeding this is not charged */
    int rate_table_until; /* 0, or the last day of the rate table when interest is counted only to it */
    struct waste_period *periods;
    int n_periods;
};

/* The payer's account as of today: the transactions of its virtual account replayed over its charges and
 * the costs of its upomnienia (gis_ledger_replay: costs first, then arrears oldest first with interest split
 * in proportion, then the current charges; the rest is credit). ERR_NOT_FOUND for an unknown payer. */
enum err_code waste_balance_get(struct gis_store *s, struct arena *a, long payer_id, int today,
                                struct waste_balance *out, struct err *e);

/* Whether the payer is linked to the signed-in account (the resident acts for it). */
bool waste_payer_linked(struct gis_store *s, long payer_id, long long account);

/* Sets the due of the payer's virtual account (0: every payer's) to its charges and costs. */
enum err_code waste_accounts_due(struct gis_store *w, long payer_id, struct err *e);

/* The payers in arrears as of today (arrears or unpaid upomnienie costs), ascending by id, at most cap, their
 * balances (sums only, no periods) in a; of the first 20000 payers with charges due. */
enum err_code waste_arrears_list(struct gis_store *s, struct arena *a, int today, struct waste_balance *out, int cap,
                                 int *n, struct err *e);

/* ---- upomnienia (reminder.c) ---- */

/* An upomnienie (art. 15 § 1 ustawy o postępowaniu egzekucyjnym w administracji) issued to a payer. */
struct waste_reminder {
    long id, payer_id;
    const char *case_id, *case_number, *issued_by, *sha256;
    int issued_on, interest_to; /* interest counted to interest_to (the rate table's end when earlier) */
    long principal_gr, interest_gr, cost_gr, total_gr;
    bool sealed;
    const unsigned char *pdf;
    size_t pdf_len;
};

/* The payer's upomnienia, oldest first, without their PDFs, in a. */
enum err_code waste_reminders(struct gis_store *s, struct arena *a, long payer_id, struct waste_reminder **out, int *n,
                              struct err *e);

/* Upomnienie id (with its PDF when with_pdf). ERR_NOT_FOUND when there is none. */
enum err_code waste_reminder_get(struct gis_store *s, struct arena *a, long id, bool with_pdf,
                                 struct waste_reminder *out, struct err *e);

/* What an upomnienie issued to the payer on today (the balance bal as of today) asks and how it is set. */
struct waste_reminder_doc {
    const char *organ, *gmina, *case_number, *payer_name, *address, *account, *issued_by;
    int issued_on;
    const struct waste_balance *bal;
    long cost_gr;
};

/* The sealed PDF of an upomnienie appended to out (seal NULL: unsealed, and it says so); *sealed tells which. */
enum err_code waste_reminder_pdf(const struct waste_reminder_doc *d, const struct gis_seal *seal, struct buf *out,
                                 bool *sealed, struct err *e);

/* Issues an upomnienie to the payer on today, on the writer (the caller registers r->case_id / case_number as
 * a case in the same transaction): its sums from the balance, the cost of the upomnienie in force that day,
 * the sealed PDF, the row, and the cost added to the account's due. ERR_CONFLICT when the payer has no
 * arrears (nothing to remind of); ERR_UNPROCESSABLE when no cost is known for the day. d gives the organ,
 * the gmina, the issuer; r gets the upomnienie. */
enum err_code waste_reminder_issue(struct gis_store *w, struct arena *a, long payer_id, int today,
                                   struct waste_reminder_doc *d, const struct gis_seal *seal, struct waste_reminder *r,
                                   struct err *e);

/* ---- demo data (demo.c) ---- */

/* The module's demo data for `odra demo`, on the writer inside the demo's transaction: zones from the obręby,
 * collection rules that differ by zone, and a few declarations, charges and payments (svc_module.demo). */
enum err_code waste_demo(struct gis_store *w, const struct config_tenant *t, struct err *e);

#endif
