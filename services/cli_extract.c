/* `odra extract`: issue a wypis i wyrys from the command line, exactly as POST /{t}/extracts does, with the
 * same absolute verification address (the gmina's public_url) on the document. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/cli_extract.h"
#include "services/payments.h"

#include "gis/calendar.h"
#include "gis/case_store.h"
#include "gis/cases.h"
#include "gis/extract.h"
#include "gis/geos_ctx.h"
#include "gis/store.h"
#include "services/cli_audit.h"
#include "services/server.h"
#include "util/arena.h"
#include "util/config.h"

static int usage(const char *msg)
{
    fprintf(stderr,
            "odra: %s\nusage: odra extract --tenant T --parcel ID [--parcel ID...] [-o FILE.pdf] [--applicant NAME]\n"
            "                    [--address TEXT] [--purpose TEXT] [--wypis-only | --wyrys-only]\n"
            "                    [--sheet A4|A3|A3-portrait] [--as-of YYYY-MM-DD] [--email ADDRESS]\n"
            "                    [--fee paid|exempt] [--issue]\n"
            "                    [--config FILE] [--data DIR]\n",
            msg);
    return 2;
}

/* The command line of `odra extract`. */
struct extract_args {
    const char *tenant, *output, *config, *data, *applicant, *address, *purpose, *email;
    const char *fee;   /* NULL (due), "paid" or "exempt": settled at the desk */
    bool issue;        /* the operator's decision to issue now, as a clerk's POST /{t}/cases/{id}/decision */
    const char *as_of; /* the plans as in force on this date; NULL: today */
    const char *parcels[GIS_EXTRACT_MAX_PARCELS + 1];
    int nparcels;
    bool wypis, wyrys;
    enum gis_extract_sheet sheet;
};

/* Reads the options into x; -1 to go on, else the exit code (after the usage text). */
static int extract_parse(int argc, char **argv, struct extract_args *x)
{
    static const struct option opts[] = {
        {"tenant", required_argument, NULL, 't'},
        {"parcel", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {"config", required_argument, NULL, 'c'},
        {"data", required_argument, NULL, 'd'},
        {"applicant", required_argument, NULL, 'a'},
        {"address", required_argument, NULL, 'A'},
        {"purpose", required_argument, NULL, 'P'},
        {"wypis-only", no_argument, NULL, 'W'},
        {"wyrys-only", no_argument, NULL, 'R'},
        {"sheet", required_argument, NULL, 'S'},
        {"email", required_argument, NULL, 'e'},
        {"fee", required_argument, NULL, 'f'},
        {"issue", no_argument, NULL, 'I'},
        {"as-of", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *x = (struct extract_args){
        .applicant = "Wnioskodawca (wydruk z wiersza poleceń)", .wypis = true, .wyrys = true, .sheet = GIS_EXTRACT_A4};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 't': x->tenant = optarg; break;
        case 'p':
            if (x->nparcels > GIS_EXTRACT_MAX_PARCELS)
                return usage("too many --parcel options (at most 100)");
            x->parcels[x->nparcels++] = optarg;
            break;
        case 'o': x->output = optarg; break;
        case 'c': x->config = optarg; break;
        case 'd': x->data = optarg; break;
        case 'a': x->applicant = optarg; break;
        case 'A': x->address = optarg; break;
        case 'P': x->purpose = optarg; break;
        case 'W': x->wyrys = false; break;
        case 'R': x->wypis = false; break;
        case 'S':
            if (!gis_extract_sheet_parse(optarg, &x->sheet))
                return usage("--sheet must be A4, A3 (landscape), A3-landscape or A3-portrait");
            break;
        case 'e': x->email = optarg; break;
        case 'f':
            if (strcmp(optarg, "paid") != 0 && strcmp(optarg, "exempt") != 0)
                return usage("--fee must be paid or exempt");
            x->fee = optarg;
            break;
        case 'I': x->issue = true; break;
        case 'D': {
            int day;
            if (!gis_cal_parse_date(optarg, &day))
                return usage("--as-of must be a date YYYY-MM-DD");
            x->as_of = optarg;
            break;
        }
        case 'h': usage("extract: register (and issue) a plan extract request"); return 0;
        default: return usage("bad option");
        }
    }
    if (optind < argc)
        return usage("unexpected argument");
    if (!x->tenant)
        return usage("extract needs --tenant");
    if (!x->nparcels)
        return usage("extract needs at least one --parcel");
    if (!x->wypis && !x->wyrys)
        return usage("--wypis-only and --wyrys-only exclude each other");
    return -1;
}

/* The tenant, when it issues extracts on the sheet asked for; NULL after saying why not. */
static const struct config_tenant *extract_tenant(const struct config *cfg, const struct extract_args *x)
{
    const struct config_tenant *t = config_tenant_find(cfg, x->tenant);
    if (!t) {
        fprintf(stderr, "odra: unknown tenant '%s'\n", x->tenant);
        return NULL;
    }
    if (!t->extracts) {
        fprintf(stderr, "odra: gmina %s does not issue extracts (extracts = no in its configuration)\n", t->name);
        return NULL;
    }
    if (x->sheet != GIS_EXTRACT_A4 && !t->wyrys_allow_a3) {
        fprintf(stderr, "odra: gmina %s issues the wyrys on A4 sheets only (wyrys_allow_a3 in its configuration)\n",
                t->name);
        return NULL;
    }
    return t;
}

/* Who the case history names for what `odra extract` does: the operator at the server's command line. */
#define CLI_ACTOR "odra extract"

/* Whether `odra extract` issues the document now: where the gmina issues at once, where the operator
 * decides so (--issue, as a clerk's decision), or where it issues on payment and the fee is settled at the
 * desk (--fee). Otherwise the request waits, as one made to the server does, for the fee or a clerk. */
static bool issue_now(const struct config_tenant *t, const struct extract_args *x)
{
    return t->extract_issue == CONFIG_ISSUE_IMMEDIATE || x->issue ||
           (t->extract_issue == CONFIG_ISSUE_ON_PAYMENT && x->fee);
}

/* What one `odra extract` did, for its output and the audit log. */
struct extract_done {
    struct gis_case c;             /* the registered case as it ends */
    struct gis_extract_record rec; /* the issued document; rec.id NULL when none */
    const char *note;              /* the history note of the issue */
};

/* Issues the registered case c on w (inside the open transaction): the extract under its number, the case
 * done with the document and its history entry, the fee of the document as rendered. */
static enum err_code register_issue(struct gis_store *w, struct gis_store *r, struct arena *a,
                                    struct gis_extract_issue *is, struct extract_done *d, struct err *e)
{
    struct gis_case *c = &d->c;
    struct gis_extract_record *rec = &d->rec;
    is->case_number = c->case_number, is->seq = c->seq, is->year = c->year, is->code = c->verification_code;
    is->id = c->id;
    if (gis_extract_issue_write(w, r, a, is, rec, e))
        return e->code;
    c->documents_json = arena_printf(a,
                                     "[{\"kind\":\"wypis i wyrys\",\"id\":\"%s\",\"issued_at\":\"%s\","
                                     "\"verification_code\":\"%s\"}]",
                                     rec->id, rec->created_at, rec->verification_code);
    if (!c->documents_json)
        return err_set(e, ERR_INTERNAL, "out of memory");
    c->status = GIS_CASE_DONE;
    c->request_json = NULL;
    c->fee_pln = rec->res.fee.total_pln;
    if (gis_case_update(w, c, e) || gis_case_event_add(w, c->id, CLI_ACTOR, GIS_CASE_DONE, d->note, e))
        return e->code;
    return gis_case_fee_set(w, c->id, c->fee_pln, c->fee_status, e);
}

/* Registers the request as a case, as POST /{t}/extracts does, in one transaction on w: the case with its
 * number (drawn from the same sequence), applicant and 7-day deadline (art. 217 par. 3 KPA) and the fee
 * (quoted on r); the fee settled at the desk when --fee says so; and the extract issued where issue_now
 * says, else the request kept in the case until the fee or a clerk issues it. Nothing is stored unless all
 * of it is. */
static enum err_code extract_register(struct gis_store *w, struct gis_store *r, struct arena *a,
                                      const struct config_tenant *t, const struct extract_args *x,
                                      struct gis_extract_issue *is, struct extract_done *d, struct err *e)
{
    bool now = issue_now(t, x);
    struct gis_extract_fee fee = {0};
    if (!now && gis_extract_quote(r, a, is, &fee, e))
        return e->code;
    struct gis_case_stamp st;
    if (gis_store_begin(w, e))
        return e->code;
    if (gis_case_stamp_new(w, 7, &st, e))
        goto fail;
    d->c = (struct gis_case){
        .id = arena_strdup(a, st.id),
        .case_number = gis_case_number(a, is->case_format, st.seq, st.year),
        .module = "extracts",
        .seq = st.seq,
        .year = st.year,
        .applicant_email = x->email,
        .applicant_name = gis_extract_clean(a, is->applicant_name, GIS_EXTRACT_MAX_TEXT),
        .status = GIS_CASE_FILED,
        .created_at = arena_strdup(a, st.created),
        .deadline = arena_strdup(a, st.deadline),
        .fee_pln = fee.total_pln,
        .fee_status = "due",
        .verification_code = arena_strdup(a, st.code),
        .request_json = gis_extract_request_json(a, is),
        .documents_json = "[]",
    };
    struct gis_case *c = &d->c;
    if (!c->id || !c->case_number || !c->created_at || !c->deadline || !c->verification_code || !c->request_json) {
        err_set(e, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    if (gis_case_insert(w, c, CLI_ACTOR, e) ||
        gis_extract_receipt(w, is, c->id, c->case_number, c->created_at, c->request_json, a, e))
        goto fail;
    if (x->fee) {
        c->fee_status = x->fee;
        if (gis_case_event_add(w, c->id, CLI_ACTOR, c->status,
                               !strcmp(x->fee, "paid") ? "opłata uiszczona w kasie urzędu" : "zwolnienie z opłaty", e))
            goto fail;
    }
    d->note = t->extract_issue == CONFIG_ISSUE_IMMEDIATE ? "wydany z wiersza poleceń (extract_issue = immediate)"
              : x->issue                                 ? "wydany z wiersza poleceń decyzją operatora (--issue)"
                         : "wydany z wiersza poleceń po rozliczeniu opłaty (extract_issue = on_payment)";
    if (now ? register_issue(w, r, a, is, d, e) : gis_case_fee_set(w, c->id, c->fee_pln, c->fee_status, e))
        goto fail;
    if (svc_pay_case_account(t, w, a, c, e)) /* the fee's virtual account and transfer title */
        goto fail;
    if (gis_store_commit(w, e))
        goto fail;
    return ERR_OK;
fail:
    gis_store_rollback(w);
    memset(&d->rec, 0, sizeof d->rec);
    return e->code;
}

/* Records in the audit log what extract_register did. */
static void extract_audit(struct gis_identity *id, const struct config_tenant *t, const struct extract_done *d,
                          struct arena *a)
{
    const struct gis_case *c = &d->c;
    cli_audit(id, "case.register", c->case_number,
              arena_printf(a, "extracts, %s, %s", t->slug, d->rec.id ? "wydany od razu" : "czeka na wydanie"));
    if (strcmp(c->fee_status, "due") != 0)
        cli_audit(id, "case.action", c->case_number, arena_printf(a, "fee %s", c->fee_status));
    if (d->rec.id)
        cli_audit(id, "case.action", c->case_number, arena_printf(a, "extract issued: %s", d->note));
}

/* Writes the issued extract's PDF to output (default: the case number, "/" as "_", with .pdf) and prints
 * its record and links, the same as the server's record of it (links.verify, links.self, links.pdf). */
static enum err_code extract_save(const struct gis_extract_record *rec, const char *output,
                                  const struct config_tenant *t, const char *verify_base, struct err *e)
{
    char def[256];
    if (!output) {
        size_t o = 0;
        for (const char *p = rec->case_number; *p && o + 5 < sizeof def; p++)
            def[o++] = (*p == '/' || *p == '\\') ? '_' : *p;
        memcpy(def + o, ".pdf", 5);
        output = def;
    }
    FILE *f = fopen(output, "wb");
    bool written = f && fwrite(rec->pdf, 1, rec->pdf_len, f) == rec->pdf_len;
    if (f && fclose(f) != 0)
        written = false;
    if (!written)
        return err_set(e, ERR_IO, "%s: cannot write (the extract %s is issued and stored in the store)", output,
                       rec->case_number);
    printf("%s %s %d pages, fee %d zł, verification code %s, sha256 %s -> %s\n", rec->case_number, rec->id,
           rec->res.pages, rec->res.fee.total_pln, rec->verification_code, rec->sha256, output);
    printf("verify: %s%s\nrecord: %s/%s/extracts/%s\npdf:    %s/%s/extracts/%s.pdf\n", verify_base,
           rec->verification_code, t->public_url, t->slug, rec->id, t->public_url, t->slug, rec->id);
    return ERR_OK;
}

/* Prints the registered request that waits for its fee or a clerk: its case number, id, what it waits for,
 * the fee and where the server shows it. */
static void extract_pending(const struct gis_case *c, const struct config_tenant *t)
{
    printf("%s %s registered, waiting for %s, fee %d zł (%s), verification code %s (valid once issued)\n",
           c->case_number, c->id, t->extract_issue == CONFIG_ISSUE_CLERK ? "a clerk's decision" : "the fee", c->fee_pln,
           c->fee_status, c->verification_code);
    printf("record: %s/%s/extracts/%s\n", t->public_url, t->slug, c->id);
}

/* argv[0] is "extract". Opens the tenant's store as its writer (like import: do not run it against a
 * store a running server writes), issues the extract and writes the PDF to -o (default CASE.pdf). */
int cli_extract(int argc, char **argv)
{
    static struct extract_args x;
    int urc = extract_parse(argc, argv, &x);
    if (urc >= 0)
        return urc;
    static struct config cfg;
    struct err e = {0};
    if (config_load_cli(&cfg, x.config, x.data, &e)) {
        fprintf(stderr, "odra: %s\n", e.msg);
        return 1;
    }
    const struct config_tenant *t = extract_tenant(&cfg, &x);
    if (!t)
        return 2;
    char path[1100], verify_base[300];
    snprintf(path, sizeof path, "%s/%s.sqlite", cfg.data_dir, t->slug);
    snprintf(verify_base, sizeof verify_base, "%s/verify/", t->public_url); /* config_load made sure it is set */
    struct gis_store *writer = NULL, *reader = NULL;
    struct gis_identity *id = NULL;
    struct gis_seal *seal = NULL;
    struct arena *a = arena_new(1 << 16);
    int rc = 1;
    /* the audit log first: a change it could not record is not made */
    if (!a || cli_audit_open(cfg.data_dir, &id, &e) || gis_store_open(path, GIS_STORE_WRITE, &writer, &e) ||
        gis_store_open(path, GIS_STORE_READ, &reader, &e))
        goto out;
    struct gis_extract_issue is = {
        .parcels = x.parcels,
        .nparcels = x.nparcels,
        .applicant_name = x.applicant,
        .applicant_address = x.address,
        .purpose = x.purpose,
        .wypis = x.wypis,
        .wyrys = x.wyrys,
        .sheet = x.sheet,
        .as_of = x.as_of,
        .case_format = t->case_format,
        .verify_base = verify_base,
        .tmpl = gis_extract_tmpl(t),
    };
    /* the organ's seal as the server loads it; without one the document is issued unsealed and says so */
    struct err se = {0};
    if (svc_seal_open(&cfg, t, &seal, &se))
        fprintf(stderr, "odra: warning: issuing WITHOUT an electronic seal: %s\n", se.msg);
    is.seal = seal;
    static struct extract_done d;
    if (extract_register(writer, reader, a, t, &x, &is, &d, &e))
        goto out;
    extract_audit(id, t, &d, a);
    if (!d.rec.id)
        extract_pending(&d.c, t);
    else if (extract_save(&d.rec, x.output, t, verify_base, &e))
        goto out;
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "odra: %s\n", e.msg[0] ? e.msg : err_name(e.code));
    gis_store_close(reader);
    gis_store_close(writer);
    if (id)
        gis_identity_close(id);
    gis_geos_thread_cleanup();
    arena_free(a);
    gis_seal_free(seal);
    return rc;
}
