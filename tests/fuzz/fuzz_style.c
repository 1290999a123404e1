/* libFuzzer harness: a style document (MapLibre style JSON with its expressions) is parsed and validated,
 * and every property of every layer is evaluated at a few zooms on a feature with string, number and
 * boolean properties, as the renderer does. */
#include <stddef.h>
#include <stdint.h>

#include "gis/style.h"
#include "util/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gis_style *s = NULL;
    struct err e = {0};
    if (gis_style_load((const char *)data, size, &s, &e) != ERR_OK)
        return 0;
    struct arena *a = arena_new(1 << 14);
    static const char *const keys[] = {"symbol", "label", "max_height_m", "class", "active"};
    struct gis_style_value vals[5] = {{.type = GIS_STYLE_STRING, .s = "MN"},
                                      {.type = GIS_STYLE_STRING, .s = "1MN/U"},
                                      {.type = GIS_STYLE_NUMBER, .n = 12.5},
                                      {.type = GIS_STYLE_NULL},
                                      {.type = GIS_STYLE_BOOL, .b = true}};
    struct gis_style_feature f = {.keys = keys, .vals = vals, .n = 5, .geom_type = 3, .id = 7};
    for (double z = 0; z <= 22; z += 7.5) {
        struct gis_style_ctx ctx = {.zoom = z, .f = &f, .a = a};
        struct gis_style_color bg;
        gis_style_background(s, z, &bg);
        for (int i = 0; i < gis_style_layer_count(s); i++) {
            const struct gis_style_layer *l = gis_style_layer_at(s, i);
            gis_style_layer_active(l, z);
            gis_style_layer_filter(l, &ctx);
            for (int p = 0; p < GIS_P_COUNT; p++)
                gis_style_eval(l, (enum gis_style_prop)p, &ctx);
            gis_style_string(l, GIS_P_TEXT_FIELD, &ctx);
        }
    }
    arena_free(a);
    gis_style_free(s);
    return 0;
}
