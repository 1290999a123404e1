/* `odra seal`: the demo's TEST seals (demo), a PDF's seal checked (check), and what sealing costs (bench). */
#ifndef SERVICES_CLI_SEAL_H
#define SERVICES_CLI_SEAL_H
#include "util/config.h"
#include "util/err.h"

/* argv[0] is "seal", argv[1] the subcommand. Returns 0, 1 on failure (one line on stderr), 2 on usage. */
int cli_seal(int argc, char **argv);

/* Makes the TEST seal of gmina t (gis_seal_demo) where its configuration names one as DIR/NAME.p12 with
 * DIR/NAME.pass (relative to cfg's data directory unless absolute); keeps existing files; a seal named
 * otherwise is left alone with a note on stderr. */
int cli_seal_demo_one(const struct config *cfg, const struct config_tenant *t, struct err *e);

#endif
