/* Tests for gis/crs: parsing, axis-order facts and transforms against known coordinates. */
#include "gis/crs.h"

#include <math.h>

#include "tests/test.h"

static void parse_forms(void)
{
    CHECK(gis_crs_parse("EPSG:2180") == GIS_CRS_2180);
    CHECK(gis_crs_parse("http://www.opengis.net/def/crs/EPSG/0/2176") == GIS_CRS_2176);
    CHECK(gis_crs_parse("http://www.opengis.net/def/crs/OGC/1.3/CRS84") == GIS_CRS_CRS84);
    CHECK(gis_crs_parse("CRS:84") == GIS_CRS_CRS84);
    CHECK(gis_crs_parse("urn:ogc:def:crs:EPSG::4326") == GIS_CRS_4326);
    CHECK(gis_crs_parse("EPSG:3857") == GIS_CRS_3857);
    CHECK(gis_crs_parse("EPSG:9999") == GIS_CRS_NONE);
    CHECK(gis_crs_parse("EPSG:2180x") == GIS_CRS_NONE);
    CHECK(gis_crs_parse("") == GIS_CRS_NONE);
    CHECK(gis_crs_parse(NULL) == GIS_CRS_NONE);
}

static void axis_order_facts(void)
{
    CHECK(gis_crs_north_first(GIS_CRS_2180));
    CHECK(gis_crs_north_first(GIS_CRS_2176));
    CHECK(gis_crs_north_first(GIS_CRS_4326));
    CHECK(!gis_crs_north_first(GIS_CRS_CRS84));
    CHECK(!gis_crs_north_first(GIS_CRS_3857));
}

static void slubice_to_2180_and_back(void)
{
    /* Słubice, lon 14.561 lat 52.350: PUWG 1992 easting 197810, northing 507503 (gdaltransform). */
    struct err e = {0};
    double xy[2] = {14.561, 52.350};
    CHECK(gis_crs_transform(GIS_CRS_CRS84, GIS_CRS_2180, xy, 1, &e) == ERR_OK);
    CHECK(xy[0] > 190000 && xy[0] < 205000);
    CHECK(xy[1] > 500000 && xy[1] < 515000);
    CHECK(gis_crs_transform(GIS_CRS_2180, GIS_CRS_CRS84, xy, 1, &e) == ERR_OK);
    CHECK(fabs(xy[0] - 14.561) < 1e-8 && fabs(xy[1] - 52.350) < 1e-8);
    double z5[2] = {14.561, 52.350};
    CHECK(gis_crs_transform(GIS_CRS_CRS84, GIS_CRS_2176, z5, 1, &e) == ERR_OK);
    CHECK(z5[0] > 5400000 && z5[0] < 5600000); /* PL-2000 zone 5 eastings carry the 5 prefix */
    CHECK(z5[1] > 5790000 && z5[1] < 5820000);
}

static void bbox_and_bad_points(void)
{
    struct err e = {0};
    double in[4] = {14.5, 52.3, 14.6, 52.4}, out[4];
    CHECK(gis_crs_transform_bbox(GIS_CRS_CRS84, GIS_CRS_3857, in, out, &e) == ERR_OK);
    CHECK(out[0] < out[2] && out[1] < out[3]);
    CHECK(fabs(out[0] - 1614000) < 5000);
    double nan_pt[2] = {NAN, 52};
    CHECK(gis_crs_transform(GIS_CRS_CRS84, GIS_CRS_2180, nan_pt, 1, &e) == ERR_INVALID);
    gis_crs_thread_cleanup();
}

int main(void)
{
    RUN(parse_forms);
    RUN(axis_order_facts);
    RUN(slubice_to_2180_and_back);
    RUN(bbox_and_bad_points);
    return test_done();
}
