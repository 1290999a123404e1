/* Audit entries of command-line changes (cli_audit.h). */
#include <stdio.h>
#include <stdlib.h>

#include "services/cli_audit.h"

#include "gis/audit.h"

void cli_audit(struct gis_identity *id, const char *action, const char *record, const char *detail)
{
    const char *who = getenv("USER");
    char actor[96];
    snprintf(actor, sizeof actor, "cli:%s", who && *who ? who : "?");
    struct gis_audit_entry a = {.actor = actor, .action = action, .record = record, .detail = detail};
    struct err e = {0};
    if (gis_audit_append(id, &a, &e))
        fprintf(stderr, "odra: warning: %s\n", e.msg);
}

enum err_code cli_audit_open(const char *data_dir, struct gis_identity **out, struct err *e)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/identity.sqlite", data_dir);
    return gis_identity_open(path, out, e);
}
