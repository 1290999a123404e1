/* `odra user add|grant|passwd|list`, `odra client add` and `odra audit verify` on the identity store. */
#ifndef SERVICES_CLI_USER_H
#define SERVICES_CLI_USER_H

/* Runs the command; argv[1] is "user", "client" or "audit", argv[2] the action. Returns the exit status:
 * 0 done, 1 failure (or a broken audit chain) with one line on stderr, 2 usage error. */
int cli_user(int argc, char **argv);

#endif
