/* `odra payments import`: book a bank statement from the command line, as POST /{t}/payments/statements. */
#ifndef SERVICES_CLI_PAYMENTS_H
#define SERVICES_CLI_PAYMENTS_H

/* argv[0] is "payments"; parses its own options (import --tenant T [--bank NAME] [--config] [--data] FILE).
 * Opens the tenant's store as its writer, like import: do not run it against a store a running server
 * writes. Returns 0, 1 on failure (one line on stderr naming the line of the file), 2 on usage. */
int cli_payments(int argc, char **argv);

#endif
