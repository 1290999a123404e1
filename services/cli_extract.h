/* `odra extract`: issue a wypis i wyrys from the command line. */
#ifndef SERVICES_CLI_EXTRACT_H
#define SERVICES_CLI_EXTRACT_H

/* argv[0] is "extract"; parses its own options (--tenant, --parcel..., -o, --config, --data). Opens the
 * tenant's store as its writer, like import. Returns 0, 1 on failure (one line on stderr), 2 on usage. */
int cli_extract(int argc, char **argv);

#endif
