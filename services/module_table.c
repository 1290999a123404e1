/* The module table: the e-services compiled into odra, one line each. M(<name>) stands for the folder
 * services/modules/<name>/, which defines `const struct svc_module svc_<name>_module` (docs/modules.md).
 * This file is all of it, so that a program can link another table instead (tests/modules/ does). */
#include "services/module.h"

#define SVC_MODULE_LIST(M) M(waste) M(business) M(permits)

SVC_MODULE_TABLE(SVC_MODULE_LIST)
