/* `odra backup` and `odra restore` (services/backup.h, docs/backup.md). */
#ifndef SERVICES_CLI_BACKUP_H
#define SERVICES_CLI_BACKUP_H

/* argv[0] is "backup" or "restore"; the exit code. */
int cli_backup(int argc, char **argv);

#endif
