/* libFuzzer harness: a GeoJSON file imported as parcels: GDAL's GeoJSON driver, reprojection, geometry
 * repair and the validation rules. */
#include "tests/fuzz/fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_import(data, size, ".geojson", "parcels");
}
