/* The module table: the e-services compiled into odra, one line each. M(<name>) stands for the folder
 * services/modules/<name>/, which defines `const struct svc_module svc_<name>_module` (docs/modules.md).
 * This file is all of it, so that a program can link another table instead (tests/modules/ does). */
#include "services/module.h"

#define SVC_MODULE_LIST(M) M(waste)

#define SVC_MODULE_EXTERN(name) extern const struct svc_module svc_##name##_module;
#define SVC_MODULE_ENTRY(name)  &svc_##name##_module,
SVC_MODULE_LIST(SVC_MODULE_EXTERN)
const struct svc_module *const svc_modules[] = {SVC_MODULE_LIST(SVC_MODULE_ENTRY) NULL};
