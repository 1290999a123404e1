/* The module table of the test server build/odra-toy (tests/integration/test_toy_module.py): odra's own
 * modules, the list of services/module_table.c itself, then the toy of tests/modules/toy/. Adding the toy
 * took this one line and its folder. */
#define SVC_MODULE_EXTRA(M) M(toy)
#include "services/module_table.c"
