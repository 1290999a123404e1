/* The audit entry of a command-line change: every `odra` command that changes accounts or cases records
 * what it did in the identity store's audit log (gis/audit.h), with the actor "cli:<$USER>". */
#ifndef SERVICES_CLI_AUDIT_H
#define SERVICES_CLI_AUDIT_H
#include "gis/identity.h"

/* Appends action on record (with detail, may be NULL) to the audit log of id; a failure is a warning on
 * stderr, since the change it records is already made. */
void cli_audit(struct gis_identity *id, const char *action, const char *record, const char *detail);

/* Opens the identity store of data_dir (data_dir/identity.sqlite) for cli_audit; ERR_* in e when it cannot. */
enum err_code cli_audit_open(const char *data_dir, struct gis_identity **out, struct err *e);

#endif
