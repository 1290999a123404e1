/* WebMercatorQuad tile arithmetic. */
#include "tiles/matrix.h"

#include <math.h>
#include <string.h>

bool tile_parse_index(const char *s, long max, long *out)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 9 || strspn(s, "0123456789") != n)
        return false;
    long v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    if (v > max)
        return false;
    *out = v;
    return true;
}

enum err_code tile_check(int z, long x, long y, struct err *e)
{
    if (z < 0 || z > TILE_MAX_ZOOM)
        return err_param(e, "z", "zoom must be an integer from 0 to %d", TILE_MAX_ZOOM);
    long n = 1L << z;
    if (x < 0 || x >= n)
        return err_param(e, "x", "x must be an integer from 0 to %ld at zoom %d", n - 1, z);
    if (y < 0 || y >= n)
        return err_param(e, "y", "y must be an integer from 0 to %ld at zoom %d", n - 1, z);
    return ERR_OK;
}

double tile_size(int z)
{
    return 2 * TILE_ORIGIN / (double)(1L << z);
}

void tile_bounds(int z, long x, long y, double out[4])
{
    double s = tile_size(z);
    out[0] = -TILE_ORIGIN + (double)x * s;
    out[2] = -TILE_ORIGIN + (double)(x + 1) * s;
    out[3] = TILE_ORIGIN - (double)y * s;
    out[1] = TILE_ORIGIN - (double)(y + 1) * s;
}

bool tile_range(int z, const double b[4], double buf, long out[4])
{
    double s = tile_size(z);
    long n = 1L << z;
    /* tile i overlaps [lo, hi] when i*s < hi and (i+1)*s > lo, in coordinates from the origin */
    double lo_x = b[0] - buf + TILE_ORIGIN, hi_x = b[2] + buf + TILE_ORIGIN;
    double lo_y = TILE_ORIGIN - (b[3] + buf), hi_y = TILE_ORIGIN - (b[1] - buf);
    if (!(hi_x > lo_x) || !(hi_y > lo_y))
        return false;
    double x0 = floor(lo_x / s), x1 = ceil(hi_x / s) - 1, y0 = floor(lo_y / s), y1 = ceil(hi_y / s) - 1;
    x0 = fmax(x0, 0), y0 = fmax(y0, 0), x1 = fmin(x1, (double)(n - 1)), y1 = fmin(y1, (double)(n - 1));
    if (x1 < x0 || y1 < y0)
        return false;
    out[0] = (long)x0, out[1] = (long)y0, out[2] = (long)x1, out[3] = (long)y1;
    return true;
}

long tile_grid_cols(enum tile_grid g, int z)
{
    return g == TILE_GRID_CRS84 ? 2L << z : 1L << z;
}

double tile_grid_size(enum tile_grid g, int z)
{
    return g == TILE_GRID_CRS84 ? 180.0 / (double)(1L << z) : tile_size(z);
}

enum err_code tile_grid_check(enum tile_grid g, int z, long x, long y, struct err *e)
{
    if (g == TILE_GRID_WEBMERCATOR || z < 0 || z > TILE_MAX_ZOOM)
        return tile_check(z, x, y, e);
    if (x < 0 || x >= tile_grid_cols(g, z))
        return err_param(e, "x", "x must be an integer from 0 to %ld at zoom %d", tile_grid_cols(g, z) - 1, z);
    if (y < 0 || y >= 1L << z)
        return err_param(e, "y", "y must be an integer from 0 to %ld at zoom %d", (1L << z) - 1, z);
    return ERR_OK;
}

void tile_grid_bounds(enum tile_grid g, int z, long x, long y, double out[4])
{
    if (g == TILE_GRID_WEBMERCATOR) {
        tile_bounds(z, x, y, out);
        return;
    }
    double s = tile_grid_size(g, z);
    out[0] = -180 + (double)x * s;
    out[2] = -180 + (double)(x + 1) * s;
    out[3] = 90 - (double)y * s;
    out[1] = 90 - (double)(y + 1) * s;
}

bool tile_grid_range(enum tile_grid g, int z, const double b[4], double buf, long out[4])
{
    if (g == TILE_GRID_WEBMERCATOR)
        return tile_range(z, b, buf, out);
    double s = tile_grid_size(g, z);
    double lo_x = b[0] - buf + 180, hi_x = b[2] + buf + 180;
    double lo_y = 90 - (b[3] + buf), hi_y = 90 - (b[1] - buf);
    if (!(hi_x > lo_x) || !(hi_y > lo_y))
        return false;
    double x0 = floor(lo_x / s), x1 = ceil(hi_x / s) - 1, y0 = floor(lo_y / s), y1 = ceil(hi_y / s) - 1;
    x0 = fmax(x0, 0), y0 = fmax(y0, 0);
    x1 = fmin(x1, (double)(tile_grid_cols(g, z) - 1)), y1 = fmin(y1, (double)((1L << z) - 1));
    if (x1 < x0 || y1 < y0)
        return false;
    out[0] = (long)x0, out[1] = (long)y0, out[2] = (long)x1, out[3] = (long)y1;
    return true;
}
