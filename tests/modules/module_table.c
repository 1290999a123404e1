/* The module table of the test server build/odra-toy (tests/integration/test_toy_module.py): odra's own
 * modules and the toy of tests/modules/toy/. Adding the toy took this one line and its folder. */
#include "services/module.h"

#define SVC_MODULE_LIST(M) M(waste) M(toy)

SVC_MODULE_TABLE(SVC_MODULE_LIST)
