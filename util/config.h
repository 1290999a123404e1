/* The configuration: server settings, limits and the tenants (gminas), read from an INI file.
 * Without a file, the embedded copy of odra.ini (the demo defaults) is used. */
#ifndef UTIL_CONFIG_H
#define UTIL_CONFIG_H
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define CONFIG_MAX_TENANTS 16
#define CONFIG_MAX_MODULES 16

struct config_tenant {
    char slug[32];          /* URL key: lower-case ASCII letters, digits and '-' */
    char name[64];          /* "Słubice" */
    char teryt[8];          /* 7-digit TERYT gmina code, "0805053" */
    char organ[128];        /* "Burmistrz Słubic" */
    char place[64];         /* place name printed on documents */
    char council[128];      /* "Rada Miejska w Słubicach" */
    char legal_basis[1024]; /* legal basis cited on plan extracts */
    char case_format[64];   /* case-number pattern: {seq} and {year}, e.g. "GP.6727.{seq}.{year}" */
    char signatory[128];    /* name printed in the signature block */
    char signatory_role[128];
    char organ_address[256]; /* the organ's seat and address on the letterhead (`organ_address`); "" for none */
    char signatory_zup[128]; /* the "z up." line of the signature block (`signatory_zup`, "z up. Burmistrza") */
    /* A wypis citing several plans is one fee per plan (`extract_fee_per_plan = yes`) or one fee for the
     * document; default no (one fee per document). */
    bool extract_fee_per_plan;
    bool wyrys_allow_a3; /* the office issues wyrys sheets in A3 on request (`wyrys_allow_a3 = yes`) */
    bool extracts;       /* the gmina issues extracts (`extracts = no` turns POST /{t}/extracts off); default yes */
    /* How an extract request becomes an issued document (`extract_issue`): at once (immediate, the fee left
     * due), when its fee is settled (on_payment), or on a clerk's decision (clerk); default immediate. */
    enum config_extract_issue { CONFIG_ISSUE_IMMEDIATE = 0, CONFIG_ISSUE_ON_PAYMENT, CONFIG_ISSUE_CLERK } extract_issue;
    bool verify_pdf; /* /verify/{code} offers the issued PDF for download (`verify_pdf = yes`); default no */
    /* The absolute address citizens reach the server at, e.g. "https://gis.slubice.pl" (no trailing '/'):
     * the only source of absolute URLs printed on documents. The tenant's own `public_url`, else the
     * server's; config_load refuses a tenant that issues extracts without one. May be empty otherwise. */
    char public_url[256];
    char modules[CONFIG_MAX_MODULES][32];
    int n_modules;
    /* The organ's electronic seal (docs/seal.md): a PKCS#12 file and the file holding its password (paths
     * relative to the data directory unless absolute), and an RFC 3161 timestamp authority ("" for none:
     * PAdES-B-B; else B-T). seal "" means documents are issued without a seal, and say so. */
    char seal[512];
    char seal_password_file[512];
    /* A seal whose key is on a PKCS#11 token: seal is then the key's "pkcs11:" URI, seal_password_file holds
     * the PIN, seal_certificate the certificate and chain (PEM), seal_pkcs11_module the token's library. */
    char seal_certificate[512];
    char seal_pkcs11_module[512];
    char tsa_url[512];
    /* Residents may submit without an account (extract requests today) (`anonymous_submissions`); default yes */
    bool anonymous_submissions;
    /* The payments core (gis/pay.h, docs/payments.md). `pay_account_prefix`: the first 10 to 16 digits of
     * the gmina's virtual accounts after the check digits (the bank's 8-digit sort code, then the gmina's
     * collection prefix the bank assigned); "" means no virtual accounts. */
    char pay_account_prefix[17];
    /* Online payment through a Przelewy24-style provider (services/pay_online.c); off while p24_url is
     * empty: the provider's base URL, merchant and POS ids, the CRC key (signatures) and the API key. */
    char p24_url[256];
    long p24_merchant_id, p24_pos_id;
    char p24_crc[65];
    char p24_api_key[65];
};

#define CONFIG_MAX_BANKS 8

/* [bank.NAME]: how one bank's CSV statement export reads (docs/payments.md). Column names are matched,
 * after conversion to UTF-8, against the header line; "" means the export has no such column. */
struct config_bank {
    char name[32];
    bool cp1250;     /* `encoding = windows-1250` (converted unless the file is valid UTF-8) or utf-8 */
    char sep;        /* `separator`: semicolon (default), comma or tab */
    char header[64]; /* `header`: the first column's name, which finds the header line (and the bank) */
    char date[64];   /* booking date column */
    int date_format; /* `date_format`: 0 YYYY-MM-DD (default), 1 DD.MM.YYYY, 2 DD-MM-YYYY */
    char amount[64]; /* signed amount; decimal comma or point, spaces as thousands separators */
    char title[64];  /* the transfer title */
    char counterparty[64];
    char cp_account[64];      /* the counterparty's account */
    char virtual_account[64]; /* the account credited (a virtual account), when the export has it */
    char id[64];              /* the bank's transaction id, when the export has it */
};

/* [auth]: passwords, sessions and log-in limits (docs/configuration.md). */
/* [backup]: the server's own snapshots of every store (docs/backup.md). */
struct config_backup {
    char dir[512]; /* where snapshots go; relative to the data directory; "" (default): no scheduled backups */
    int every_s;   /* seconds between snapshots (3600) */
    int keep_hourly, keep_daily, keep_monthly; /* rotation: newest of each of the last N hours/days/months */
};

/* [twin]: this site's twin, which keeps a replica of the gminas named in `primary` and may send its own
 * (docs/twins.md). Off while peer and listen are both empty. The roles of the stores themselves are kept in
 * the stores; `primary` only names the stores a site starts as the primary of. */
struct config_twin {
    char listen_host[64]; /* the TLS listener for the partner's frames (`listen = HOST:PORT`); "" for none */
    int port;
    char peer[256];                    /* the partner's twin listener, "https://host:port" */
    char cert[512], key[512], ca[512]; /* this site's certificate and key (PEM) and the CA of both sites */
    char primary[CONFIG_MAX_TENANTS][32];
    int n_primary;
    /* per tenant (by its index in the tenants): the twin cannot confirm a submission → 503 (refuse, the
     * default) or accept it into the outbox (true); `mode` sets the default, `mode.SLUG` one gmina's */
    bool outbox_mode_default;
    char outbox_mode[CONFIG_MAX_TENANTS][32];
    char refuse_mode[CONFIG_MAX_TENANTS][32];
    int n_outbox_mode, n_refuse_mode;
    int ack_timeout_ms; /* how long a submission waits for the twin's acknowledgement (3000) */
};

/* Whether gmina slug accepts submissions into its outbox when its twin cannot confirm them. */
bool config_twin_outbox_mode(const struct config_twin *t, const char *slug);

struct config_auth {
    unsigned long long opslimit; /* Argon2id passes (libsodium crypto_pwhash opslimit) */
    size_t memlimit;             /* Argon2id memory in bytes */
    int session_idle_s;          /* a session unused this long ends */
    int session_max_s;           /* a session ends this long after log-in, however used */
    int login_per_ip;            /* log-in attempts per minute from one address */
    int login_per_account;       /* log-in attempts per minute for one login */
    int lockout_after;           /* consecutive failures before a login is locked */
    int lockout_s;               /* the first lock's length; each further failure doubles it (to a day) */
    int submissions_per_ip;      /* anonymous submissions a minute from one address */
};

/* [saml]: the SAML 2.0 service provider for login.gov.pl (docs/saml.md); off while sp_entity_id is empty. */
struct config_saml {
    char sp_entity_id[256];    /* the SP's entityID, registered with the IdP */
    char sp_key[512];          /* PEM private key file: signs requests, decrypts assertions */
    char sp_cert[512];         /* PEM certificate file of that key, published in the SP metadata */
    char idp_metadata[512];    /* the IdP's SAML metadata file (Węzeł Krajowy's, or the test IdP's) */
    char binding[16];          /* the binding asked for the answer: "artifact" (default, as WK) or "post" */
    char authn_context[128];   /* RequestedAuthnContext class (eIDAS LoA); "" asks for none */
    char attr_given_name[256]; /* attribute names mapped to the identity; eIDAS URIs by default */
    char attr_surname[256];
    char attr_pesel[256];
    char attr_date_of_birth[256];
    char soap_ca[512];  /* CA file for TLS to the IdP's SOAP endpoints; "" for the system's */
    int clock_skew_s;   /* tolerance on NotBefore/NotOnOrAfter (60) */
    int replay_cache;   /* consumed assertion IDs kept until their NotOnOrAfter (10000) */
    int soap_timeout_s; /* artifact resolution and SOAP logout timeout (10) */
};

/* [cases]: messages and attachments of cases (docs/configuration.md). */
struct config_cases {
    size_t attachment_max_bytes; /* largest attachment (10 MiB); the upload routes take this plus 64 KiB */
    int attachments_per_case;    /* attachments one case may hold (20) */
    unsigned attachment_types;   /* SNIFF_BIT()s of the accepted types (util/sniff.h); default all seven */
};

struct config {
    char source[512]; /* the file it came from, or "(built-in)" */
    char listen_host[64];
    int port;
    char data_dir[512];
    int threads;
    /* [server] job_threads: threads that run the heavy requests (writes, rendering) off the network threads;
     * 0 runs them on the network threads, -1 (the default) is twice the processors, at least 4 */
    int job_threads;
    int max_connections;
    int max_connections_per_ip;
    int timeout_s;
    /* the access log ([server] access_log): a line per request (ACCESS_LOG_ALL), none for answers from the tile
     * cache, only counted (ACCESS_LOG_NO_HITS, the default), or none at all (ACCESS_LOG_OFF) */
    enum { ACCESS_LOG_NO_HITS, ACCESS_LOG_ALL, ACCESS_LOG_OFF } access_log;
    int head_timeout_s; /* seconds a client has for a whole request head; activity does not extend it */
    size_t max_body_bytes;
    size_t connection_memory;
    char public_url[256];     /* [server] public_url, the default of every tenant's; may be empty */
    char interest_rates[512]; /* [server] interest_rates: a newer table of odsetki za zwłokę (docs/payments.md) */
    struct config_tenant tenants[CONFIG_MAX_TENANTS];
    int n_tenants;
    /* [import]: validation of imported data (docs/import.md) */
    double import_gap_tolerance_m2;     /* gaps/overlaps of POG zones up to this are warnings (1.0) */
    double import_boundary_tolerance_m; /* how far beyond the gmina boundary a geometry may reach (1.0) */
    char import_app_schemas[512];       /* directory of the APP XSD files; "" for the default */
    struct config_saml saml;            /* [saml] */
    struct config_auth auth;
    struct config_backup backup;                /* [backup] */
    struct config_twin twin;                    /* [twin] */
    struct config_cases cases;                  /* [cases] */
    struct config_bank banks[CONFIG_MAX_BANKS]; /* [bank.NAME] sections */
    int n_banks;
};

/* Loads path (NULL for the built-in defaults) into c. On failure returns ERR_INVALID with one line
 * that names the file, line, key and problem. */
enum err_code config_load(struct config *c, const char *path, struct err *e);

/* What every command line does: loads path, else $ODRA_CONFIG, else the built-in defaults (config_load),
 * then takes data_dir (--data) over the file's when it is not NULL. */
enum err_code config_load_cli(struct config *c, const char *path, const char *data_dir, struct err *e);

/* Parses "HOST:PORT" ("[::1]:8080" for IPv6). Returns ERR_INVALID naming the problem. */
enum err_code config_parse_listen(const char *s, char *host, size_t host_cap, int *port, struct err *e);

/* The [bank.NAME] mapping with this name, or NULL. */
const struct config_bank *config_bank_find(const struct config *c, const char *name);

/* The tenant with this slug, or NULL. */
const struct config_tenant *config_tenant_find(const struct config *c, const char *slug);

#endif
