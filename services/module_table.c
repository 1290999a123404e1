/* The module table: the e-services compiled into odra, one line each. M(<name>) stands for the folder
 * services/modules/<name>/, which defines `const struct svc_module svc_<name>_module` (docs/modules.md).
 * This file is all of it. A program that adds modules of its own (the test server of tests/modules/)
 * defines SVC_MODULE_EXTRA(M) with them and includes this file, so that it serves this same list first. */
#include "services/module.h"

#define SVC_MODULE_LIST(M) M(waste) M(business) M(permits)

#ifdef SVC_MODULE_EXTRA
#define SVC_MODULE_ALL(M) SVC_MODULE_LIST(M) SVC_MODULE_EXTRA(M)
#else
#define SVC_MODULE_ALL(M) SVC_MODULE_LIST(M)
#endif

SVC_MODULE_TABLE(SVC_MODULE_ALL)
