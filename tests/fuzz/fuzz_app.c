/* libFuzzer harness: an APP (planowanie przestrzenne, GML 3.2) file through the whole import: the
 * streaming pre-pass (DOCTYPE refusal, identities), GDAL's GML driver and the validation rules. */
#include "tests/fuzz/fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_import(data, size, ".gml", NULL);
}
