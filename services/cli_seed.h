/* `odra seed`: pre-renders tiles into the MBTiles caches. */
#ifndef SERVICES_CLI_SEED_H
#define SERVICES_CLI_SEED_H

/* Runs the seed subcommand; argv[1] is "seed". Returns the exit status: 0 done (or stopped cleanly by
 * SIGINT/SIGTERM, resumable), 1 failure with one line on stderr, 2 usage error. */
int cli_seed(int argc, char **argv);

#endif
