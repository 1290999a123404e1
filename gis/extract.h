/* Plan extracts (wypis i wyrys, art. 30 u.p.z.p.): the document model for a list of parcels, the fees,
 * the PDF (wypis pages in A4 portrait, then wyrys sheets at the plan's own scale), the wyrys as PNG, and
 * issuing: case number, verification code and the stored copy, in one transaction.
 *
 * Ownership: everything a gis_extract_* function returns lives in the arena passed in; buffers are the
 * caller's (buf_free). Rendering uses the calling thread's Pango font map, so threads may render at once,
 * each with its own store connection. Nothing here locks: the caller serialises use of the writer. */
#ifndef GIS_EXTRACT_H
#define GIS_EXTRACT_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/extract_store.h"
#include "gis/places.h"
#include "gis/receipt.h"
#include "gis/render.h"
#include "gis/seal.h"
#include "gis/store.h"
#include "gis/style.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"

/* Most parcels in one request. */
#define GIS_EXTRACT_MAX_PARCELS 100
/* Applicant name, address and purpose are cut to this many characters (code points). */
#define GIS_EXTRACT_MAX_TEXT 200
/* Length of a verification code: 24 base32 characters, 120 random bits. */
#define GIS_EXTRACT_CODE_LEN 24

/* Fee rates (opłata skarbowa) in złoty. gis_extract_fee_defaults holds the rates of DOMAIN.md; they are
 * the one table to change (a gmina does not set them, the statute does; they are data, not logic). */
struct gis_extract_rates {
    int wypis_pln;         /* wypis up to wypis_pages_limit pages */
    int wypis_pages_limit; /* 5 */
    int wypis_long_pln;    /* wypis above wypis_pages_limit pages */
    int wyrys_sheet_pln;   /* per started A4-sized part of the wyrys */
    int wyrys_cap_pln;     /* the wyrys fee never exceeds this */
};
extern const struct gis_extract_rates gis_extract_fee_defaults;

/* Exemptions from the opłata skarbowa (ustawa o opłacie skarbowej) that an extract request can claim. */
enum gis_extract_exemption {
    GIS_EXEMPT_NONE = 0,
    GIS_EXEMPT_HOUSING,          /* art. 2 ust. 1 pkt 1 lit. h: budownictwo mieszkaniowe, by the stated purpose */
    GIS_EXEMPT_POVERTY,          /* art. 2 ust. 1 pkt 2: a person on social assistance because of poverty */
    GIS_EXEMPT_BUDGET_UNIT,      /* art. 7 pkt 1: jednostki budżetowe */
    GIS_EXEMPT_LOCAL_GOVERNMENT, /* art. 7 pkt 2: jednostki samorządu terytorialnego */
    GIS_EXEMPT_PUBLIC_BENEFIT,   /* art. 7 pkt 3: organizacje pożytku publicznego (nieodpłatna działalność) */
};

/* What the API and the document say of an exemption: code ("housing"), the article ("art. 7 pkt 1";
 * NULL for none), the reason in Polish, and whether the act puts the case outside the fee (art. 2: "nie
 * podlega opłacie skarbowej", a wyłączenie) rather than exempting the applicant (art. 7: "zwalnia się", a
 * zwolnienie). */
struct gis_extract_exemption_text {
    const char *code, *article, *reason;
    bool not_subject;
};
const struct gis_extract_exemption_text *gis_extract_exemption_text(enum gis_extract_exemption ex);

/* A code of the request's `purpose`: the code, its Polish text, and the exemption it claims. */
struct gis_extract_purpose {
    const char *code, *text;
    enum gis_extract_exemption exemption;
};
/* The code list, ended by a NULL code. */
const struct gis_extract_purpose *gis_extract_purposes(void);
/* The entry of code, NULL when purpose is not one (free text). */
const struct gis_extract_purpose *gis_extract_purpose_find(const char *code);
/* Whether kind is an applicant kind: person, company, budget_unit, local_government, public_benefit_org,
 * social_assistance. */
bool gis_extract_applicant_kind_ok(const char *kind);
/* The exemption a request claims: by the applicant's kind first, then by its purpose code; either may be
 * NULL. */
enum gis_extract_exemption gis_extract_exemption_for(const char *purpose, const char *applicant_kind);

/* The plans a per-plan fee lists one by one (gis_extract_fee.plan_pages); the fee counts them all. */
#define GIS_EXTRACT_FEE_PLANS 64

struct gis_extract_fee {
    int wypis_pages, wyrys_sheets; /* the quantities the fee is computed from (wyrys: A4-sized parts) */
    int wypis_count;               /* wypisy charged: the plans cited where charged per plan, else 1 */
    /* charged per plan (wypis_count > 1): each plan's own wypis, its pages and fee, in the document's plan
     * order (the first GIS_EXTRACT_FEE_PLANS of them); nplan_fees 0 otherwise */
    struct {
        int pages, pln;
    } plan_fees[GIS_EXTRACT_FEE_PLANS];
    int nplan_fees;
    int wypis_pln, wyrys_pln, total_pln;
    enum gis_extract_exemption exemption;
    int due_pln; /* total_pln, or 0 when exempt */
};

/* What a fee is computed from. */
struct gis_extract_fee_in {
    int wypis_pages; /* 0: no wypis */
    int wyrys_parts; /* A4-sized parts of the wyrys; 0: none */
    int plans;       /* plans the wypis cites */
    bool per_plan;   /* the gmina charges one wypis per plan cited (extract_fee_per_plan) */
    /* with per_plan: the pages of each plan's own wypis (plans of them), each charged by its own count;
     * NULL: each plan charged by wypis_pages */
    const int *plan_pages;
    enum gis_extract_exemption exemption;
};
/* The fee of in; rates NULL means gis_extract_fee_defaults. */
struct gis_extract_fee gis_extract_fee_compute(const struct gis_extract_rates *rates,
                                               const struct gis_extract_fee_in *in);

/* The fee for a wypis of wypis_pages pages (0: no wypis) and a wyrys of wyrys_sheets A4-sized parts (0: none),
 * one fee per document, no exemption. rates NULL means gis_extract_fee_defaults. */
struct gis_extract_fee gis_extract_fees(const struct gis_extract_rates *rates, int wypis_pages, int wyrys_sheets);

/* What a parcel gets. */
enum gis_extract_status {
    GIS_EXTRACT_MPZP, /* at least partly inside an MPZP: its MPZP zones */
    GIS_EXTRACT_POG,  /* outside every MPZP: the POG zones and their parameters */
    GIS_EXTRACT_NONE, /* outside every plan: a statement saying so */
};

/* A zone row as printed: rounded area (whole m², largest-remainder so the rows of a parcel sum to its
 * rounded area) and share (0.01 %). */
struct gis_extract_row {
    const struct gis_zone_hit *hit; /* NULL for the "outside the plan" remainder row */
    long area_m2;
    double share_pct;
};

/* One parcel within one plan. */
struct gis_extract_parcel_plan {
    int parcel;                   /* index into doc->parcels */
    struct gis_extract_row *rows; /* zones of this plan (MPZP or POG zones), then overlays */
    int nrows;
    long outside_m2; /* part of the parcel outside this plan, rounded (0 when none) */
};

struct gis_extract_provision {
    const char *scope; /* "general", "zone", "overlay", "pog-zone" (a POG zone's provisions) */
    const char *owner; /* zone or overlay label ("1MN"), NULL for general provisions */
    const char *owner_name;
    const char *heading; /* may be NULL */
    const char *body;
};

/* A plan that applies to some requested parcel, with the provisions the wypis quotes. */
struct gis_extract_plan {
    struct gis_plan_ref ref; /* area_m2/share_pct are those of the first parcel; ignore them */
    struct gis_extract_parcel_plan *parcels;
    int nparcels;
    struct gis_extract_provision *provisions; /* general, then touched zones, then touched overlays */
    int nprovisions;
};

/* What the plan ogólny sets for a POG zone a parcel lies in (migration 013). */
struct gis_extract_pog_zone {
    long id;                  /* pog_zones row */
    const char *label, *name; /* "1SJ", "strefa wielofunkcyjna …" */
    const char *basic;        /* profil podstawowy: KPT codes, space-separated (the type's whole one if unset) */
    const char *extra;        /* profil dodatkowy: likewise; NULL or "" when the POG sets none */
    const char *provisions;   /* the zone-specific provisions; NULL when the store has none */
};

/* An area of gminne standardy dostępności infrastruktury społecznej that covers part of the parcel. */
struct gis_extract_pog_std {
    const char *label;
    bool exclude_farmsteads;
    double value[24]; /* by app_standards() index; NAN where the POG sets none */
};

/* The POG part of a parcel outside every MPZP. */
struct gis_extract_pog {
    struct gis_extract_pog_zone *zones; /* the POG zones the parcel touches, in the order of its zone rows */
    int nzones;
    bool has_ouz;   /* the POG delimits obszary uzupełnienia zabudowy at all */
    double ouz_m2;  /* area of parcel ∩ OUZ */
    double ouz_pct; /* its share of the parcel, % */
    struct gis_extract_pog_std *std;
    int nstd;
};

struct gis_extract_parcel {
    struct gis_parcel *p;
    struct gis_parcel_zones z;
    enum gis_extract_status status;
    long area_rounded_m2;        /* round(geom_area_m2): the total the rows sum to */
    struct gis_extract_pog *pog; /* status GIS_EXTRACT_POG only (gis/extract_pog.c), else NULL */
};

struct gis_extract_doc {
    const char *as_of; /* the date the plans are taken as in force on, ISO ("według stanu na dzień") */
    bool archival;     /* as_of is before today: a wypis z planu archiwalnego */
    struct gis_extract_parcel *parcels;
    int nparcels;
    struct gis_extract_plan *plans; /* MPZP plans in order of first use, then the POG if used */
    int nplans;
};

/* Builds the document for n parcel identifiers (duplicates are dropped) from the plans in force on as_of
 * (ISO "YYYY-MM-DD"; NULL: today, gis_cal_today), with amendments applied (gis_place_zones). An unknown or
 * malformed identifier is ERR_UNPROCESSABLE naming it (param "parcels"); more than
 * GIS_EXTRACT_MAX_PARCELS, or none, is ERR_UNPROCESSABLE stating the limit; a malformed as_of is
 * ERR_INVALID naming "as_of". */
enum err_code gis_extract_build(struct gis_store *s, struct arena *a, const char *const *ids, int n, const char *as_of,
                                struct gis_extract_doc **out, struct err *e);

/* The wyrys sheet format. A3 is allowed where the office's configuration says so (wyrys_allow_a3); the
 * fee counts an A3 sheet as two A4-sized parts. */
/* GIS_EXTRACT_A4_LANDSCAPE is for the planners' print only (gis/print.h): gis_extract_sheet_parse never gives it. */
enum gis_extract_sheet {
    GIS_EXTRACT_A4 = 0,
    GIS_EXTRACT_A3_LANDSCAPE,
    GIS_EXTRACT_A3_PORTRAIT,
    GIS_EXTRACT_A4_LANDSCAPE
};

/* Parses "A4", "A3" (landscape), "A3-landscape", "A3-portrait" (any case); false for anything else. */
bool gis_extract_sheet_parse(const char *s, enum gis_extract_sheet *out);
/* "A4", "A3-landscape" or "A3-portrait". */
const char *gis_extract_sheet_name(enum gis_extract_sheet f);
/* A4-sized parts of one sheet: 1 for A4, 2 for A3. */
int gis_extract_sheet_parts(enum gis_extract_sheet f);

/* Everything printed on the document besides the plan data. Strings may be NULL where noted. */
struct gis_extract_meta {
    const char *organ, *place, *council, *legal_basis, *signatory, *signatory_role;
    const char *gmina; /* "Słubice" */
    const char *case_number;
    const char *date;                                         /* YYYY-MM-DD, printed in Polish ("14 maja 2026 r.") */
    const char *applicant_name, *applicant_address, *purpose; /* already cleaned (gis_extract_clean) */
    const char *verification_code;                            /* NULL: no verification block */
    const char *verify_url;                                   /* printed and put in the QR code; may be NULL */
    bool wypis, wyrys;
    const struct gis_style *style;         /* the plan style for the wyrys */
    const struct gis_extract_rates *rates; /* NULL: defaults */
    enum gis_extract_sheet sheet;          /* wyrys sheet format (A4 by default) */
    const char *seal_signer;               /* the seal's CN, printed in the seal mark; NULL: not sealed */
    bool mark_on_wypis;                    /* set by gis_extract_pdf: the wypis ends the document */
    struct gis_extract_probe *probe;       /* tests: NULL, or what the last wyrys sheet drawn placed */
    /* Letterhead and signature (issue 13 §5); NULL or "" leaves them out. */
    const char *organ_address; /* the organ's seat and address ("ul. Akademicka 1, 69-100 Słubice") */
    const char *signatory_zup; /* the "z up." line ("z up. Burmistrza") above the official's name */
    const char *received_date; /* YYYY-MM-DD the application was made */
    const char *received_mode; /* how: "elektronicznie (formularz odra)", "na piśmie" */
    const char *purpose_text;  /* the purpose as printed (the code's text, or purpose) */
    /* The fee: its exemption, whether it is charged per plan, and what the payments core knows of it. */
    enum gis_extract_exemption exemption;
    bool fee_per_plan;
    const char *fee_status; /* due, paid, exempt, waived; NULL: due */
    const char *fee_method; /* paid how: "account" (to the case's account: transfer or online), "clerk" */
    bool compact_tail;      /* set by gis_extract_pdf: the closing part set compact to keep the page count */
    int tight_body;         /* set by gis_extract_pdf, same end: body in 9 pt (1), 8.5 pt and tables 7.5 pt (2) */
};

/* What a wyrys sheet's map placed, for tests that check the layout: the labels' boxes as the renderer
 * placed them (gis/render.h, in points of the map frame, origin at its top left; boxes.v is malloc'ed,
 * appended to by every sheet drawn: the caller frees it), and the last sheet's frame. */
struct gis_extract_probe {
    struct gis_render_boxes boxes;
    double bbox[4];  /* the last sheet's frame in EPSG:2180 */
    double frame[4]; /* the frame on its page in points: x, y (from the top), width, height */
};

struct gis_extract_result {
    int pages;        /* all pages */
    int wypis_pages;  /* 0 without a wypis */
    int wyrys_sheets; /* sheets (pages) of the wyrys; 0 without a wyrys */
    int wyrys_raster; /* of them, sheets drawn on the plan's raster drawing */
    struct gis_extract_fee fee;
    double seal_mark[4]; /* the seal mark's box on the last page (PDF user space), for the signature field */
    bool compact_tail;   /* the closing part was set compact to keep the wypis within the fee's page limit */
};

/* Renders the PDF into out (appended): a tagged PDF with title, language (pl-PL) and metadata. With out
 * NULL nothing is drawn: res gets the counts and the fee of the layout pass that the drawing pass repeats
 * and checks (a drawing pass that paginates differently is an error), so they are the issued ones. */
enum err_code gis_extract_pdf(struct gis_store *s, const struct gis_extract_doc *doc, const struct gis_extract_meta *m,
                              struct buf *out, struct gis_extract_result *res, struct err *e);

/* The number of wyrys sheets the document needs (A4). */
int gis_extract_sheet_count(const struct gis_extract_doc *doc);
/* The same in format f. */
int gis_extract_sheet_count_fmt(const struct gis_extract_doc *doc, enum gis_extract_sheet f);

/* Renders wyrys sheet `sheet` (0-based) as a PNG at dpi (36..600) into out. ERR_NOT_FOUND when the
 * document has no such sheet. */
enum err_code gis_extract_wyrys_png(struct gis_store *s, const struct gis_extract_doc *doc,
                                    const struct gis_extract_meta *m, int sheet, double dpi, struct buf *out,
                                    struct err *e);

/* Untrusted text made safe to print: invalid UTF-8 dropped, control and bidirectional-override
 * characters (U+202A..U+202E, U+2066..U+2069, U+200E/F, U+061C) dropped, whitespace runs collapsed to
 * one space, trimmed, and cut to max code points (an ellipsis marks a cut). Never NULL. */
char *gis_extract_clean(struct arena *a, const char *s, int max);

/* Fills out with n random bytes from the kernel (getrandom). */
enum err_code gis_extract_random(unsigned char *out, size_t n, struct err *e);

/* A new verification code: GIS_EXTRACT_CODE_LEN base32 characters (A-Z, 2-7) and a NUL. */
enum err_code gis_extract_new_code(char out[GIS_EXTRACT_CODE_LEN + 1], struct err *e);

/* The plan style (styles/plan.json, embedded), loaded once per process; NULL with a logged error when it
 * does not load. Shared read-only. */
const struct gis_style *gis_extract_style(void);

/* The document texts of gmina t (organ, seat and address, place, council, legal basis, signature block,
 * the fee per plan setting) as the issue template; the strings point into t. */
struct gis_extract_meta gis_extract_tmpl(const struct config_tenant *t);

/* An issue request: the cleaned inputs and the tenant's texts. */
struct gis_extract_issue {
    const char *const *parcels;
    int nparcels;
    const char *applicant_name, *applicant_address, *purpose; /* raw; cleaned here */
    const char *applicant_kind;                               /* NULL: person */
    bool wypis, wyrys;
    enum gis_extract_sheet sheet; /* checked against the tenant's configuration by the caller */
    const char *as_of;            /* ISO date the plans are taken as in force on; NULL: today */
    const char *case_format;
    const char *verify_base;      /* absolute, from public_url: "https://host/verify/"; the code is appended */
    struct gis_extract_meta tmpl; /* organ, place, ..., style; the rest is filled in here */
    /* A case registered before (gis/case_store.h): its number, sequence entry, verification code and id
     * are used instead of new ones. NULL case_number: drawn here. */
    const char *case_number, *code, *id;
    long seq;
    int year;
    /* The organ's electronic seal (gis/seal.h), NULL: issued without one, which the document states. */
    const struct gis_seal *seal;
    /* The document model of these parcels as of as_of, built before (gis_extract_build), or NULL: built here. */
    const struct gis_extract_doc *doc;
};

/* The request as a case keeps it until issued (cases.request), and as its receipt hashes it: canonical JSON
 * (parcels, applicant {name, address}, purpose, documents, sheet, and as_of when asked) in a, the shape
 * POST /{t}/extracts reads; NULL when out of memory. */
const char *gis_extract_request_json(struct arena *a, const struct gis_extract_issue *is);

/* The receipt (gis/receipt.h) of the extract request registered as case case_id, to be rendered
 * (gis_receipt_pdf) and stored (gis_receipt_store); strings point into the arguments and a. */
struct gis_receipt gis_extract_receipt_of(const struct gis_extract_issue *is, const char *case_id,
                                          const char *case_number, const char *received_at, const char *request_json,
                                          struct arena *a);

/* The receipt (gis/receipt.h) of the extract request registered as case case_id, sealed with is->seal, on
 * writer w inside the caller's transaction; request_json is what gis_extract_request_json gave. */
enum err_code gis_extract_receipt(struct gis_store *w, const struct gis_extract_issue *is, const char *case_id,
                                  const char *case_number, const char *received_at, const char *request_json,
                                  struct arena *a, struct err *e);

/* The record of an issued extract. */
struct gis_extract_record {
    const char *id, *case_number, *date, *created_at, *verification_code, *sha256;
    struct gis_extract_result res;
    const unsigned char *pdf;
    size_t pdf_len;
};

/* The fee of the extract req asks for, without issuing it: the document is built and rendered (without
 * case number or signature) to count its pages and sheets. */
enum err_code gis_extract_quote(struct gis_store *reader, struct arena *a, const struct gis_extract_issue *req,
                                struct gis_extract_fee *fee, struct err *e);
/* The same with every count of the rendered document (pages, wypis pages, sheets) in res. */
enum err_code gis_extract_quote_full(struct gis_store *reader, struct arena *a, const struct gis_extract_issue *req,
                                     struct gis_extract_result *res, struct err *e);
/* The fee items (wypis, wyrys) as a JSON array text (malloc'd), as stored with the extract and quoted. */
char *gis_extract_fee_items_json(const struct gis_extract_fee *f);

/* An extract rendered for a case but not yet stored: the row gis_extract_issue_store adds (strings and the
 * PDF in the arena given to gis_extract_issue_render) and the counts of the rendered document. */
struct gis_extract_rendered {
    struct gis_extract_stored row;
    struct gis_extract_result res;
};

/* Builds the document of req from reader and renders (and seals) it for the case req names (case_number,
 * seq, year, code and id all set: ERR_INVALID otherwise), without the writer: the slow part of an issue,
 * which needs no transaction. Strings and the PDF in a; req's strings must outlive out. A verify_base that
 * is not an absolute http(s) URL is ERR_INVALID. */
enum err_code gis_extract_issue_render(struct gis_store *reader, struct arena *a, const struct gis_extract_issue *req,
                                       struct gis_extract_rendered *out, struct err *e);

/* Stores what gis_extract_issue_render rendered, on writer inside the caller's open transaction; out
 * points into r. */
enum err_code gis_extract_issue_store(struct gis_store *writer, const struct gis_extract_rendered *r,
                                      struct gis_extract_record *out, struct err *e);

/* Issues an extract: builds the document from reader, takes the next case number of the year, renders
 * and stores the PDF on writer, inside the caller's open transaction on writer (svc_tenant_write's fn), so
 * that nothing is stored unless the caller commits. A verify_base that is not an absolute http(s) URL is
 * ERR_INVALID. */
enum err_code gis_extract_issue_write(struct gis_store *writer, struct gis_store *reader, struct arena *a,
                                      const struct gis_extract_issue *req, struct gis_extract_record *out,
                                      struct err *e);

/* gis_extract_issue_write in a transaction of its own that commits before this returns ERR_OK; on any
 * failure nothing is stored. For callers without svc_tenant_write (the CLI); they serialise use of the
 * writer. */
enum err_code gis_extract_issue(struct gis_store *writer, struct gis_store *reader, struct arena *a,
                                const struct gis_extract_issue *req, struct gis_extract_record *out, struct err *e);

#endif
