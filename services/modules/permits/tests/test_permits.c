/* Unit tests for the permits module: the pedestrian-distance graph (crossings found, snapping, Dijkstra
 * against distances worked out by hand on small networks, disconnected parts, hostile geometry), the
 * categories, the fees of art. 11¹ and the expiry rules of art. 18 ust. 12 pkt 5. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gis/calendar.h"
#include "services/modules/permits/path.h"
#include "services/modules/permits/permits.h"
#include "tests/test.h"

static bool near(double a, double b)
{
    return fabs(a - b) < 1e-6;
}

static struct permits_graph *grid(void)
{
    /* a 3 x 3 grid of 100 m blocks drawn as four long horizontal and four long vertical lines that cross
     * without a shared vertex, as the demo's streets are */
    struct permits_graph *g = permits_graph_new();
    struct err e = {0};
    for (int i = 0; i <= 3; i++) {
        double h[] = {0, i * 100.0, 300, i * 100.0}, v[] = {i * 100.0, 0, i * 100.0, 300};
        CHECK(!permits_graph_add_line(g, h, 2, &e));
        CHECK(!permits_graph_add_line(g, v, 2, &e));
    }
    CHECK(!permits_graph_build(g, &e));
    return g;
}

static void graph_grid(void)
{
    struct permits_graph *g = grid();
    struct err e = {0};
    CHECK(permits_graph_nodes(g) == 16); /* every crossing is a node */
    CHECK(permits_graph_edges(g) == 24);
    /* from a corner to the opposite corner: the Manhattan distance */
    CHECK(!permits_graph_from(g, 0, 0, &e));
    CHECK(near(permits_graph_dist(g, 300, 300), 600));
    CHECK(near(permits_graph_dist(g, 0, 0), 0));
    /* points off the network: connectors count, and the nearest edge is taken */
    CHECK(!permits_graph_from(g, 50, -10, &e)); /* 10 m below the first street, mid-block */
    CHECK(near(permits_graph_dist(g, 250, 110), 10 + 50 + 100 + 100 + 50 + 10));
    /* both on one edge: straight along it, not round a block */
    CHECK(near(permits_graph_dist(g, 80, 5), 10 + 30 + 5));
    struct permits_snap s;
    permits_graph_snap(g, 130, 160, &s); /* 30 m from x = 100, 40 m from y = 200: the vertical street */
    CHECK(s.edge >= 0 && near(s.connect, 30) && near(s.x, 100) && near(s.y, 160));
    permits_graph_free(g);
}

static void graph_detour_and_parts(void)
{
    struct permits_graph *g = permits_graph_new();
    struct err e = {0};
    /* a U: two points 20 m apart in a straight line, 220 m apart along the path */
    double u[] = {0, 0, 0, 100, 20, 100, 20, 0};
    CHECK(!permits_graph_add_line(g, u, 4, &e));
    /* a separate street far away, and a T-junction onto the U's base (an end lying on another segment) */
    double far[] = {1000, 1000, 1100, 1000}, t[] = {10, 100, 10, 150};
    CHECK(!permits_graph_add_line(g, far, 2, &e));
    CHECK(!permits_graph_add_line(g, t, 2, &e));
    /* degenerate: a zero-length segment and a one-point line are dropped */
    double dot[] = {5, 5, 5, 5};
    CHECK(!permits_graph_add_line(g, dot, 2, &e));
    CHECK(!permits_graph_add_line(g, dot, 1, &e));
    CHECK(!permits_graph_build(g, &e));
    CHECK(!permits_graph_from(g, 0, 0, &e));
    CHECK(near(permits_graph_dist(g, 20, 0), 220));
    CHECK(near(permits_graph_dist(g, 10, 150), 100 + 10 + 50));
    CHECK(permits_graph_dist(g, 1050, 1000) < 0); /* another part: no path */
    permits_graph_free(g);
    /* one street drawn twice, the copy overlapping it from its middle: each stretch is one edge, so two
     * points on it are joined along it, not round through a node */
    g = permits_graph_new();
    double s1[] = {0, 0, 100, 0}, s2[] = {50, 0, 100, 0}, s3[] = {0, 0, 100, 0};
    CHECK(!permits_graph_add_line(g, s1, 2, &e) && !permits_graph_add_line(g, s2, 2, &e) &&
          !permits_graph_add_line(g, s3, 2, &e));
    CHECK(!permits_graph_build(g, &e));
    CHECK(permits_graph_edges(g) == 2 && permits_graph_nodes(g) == 3);
    CHECK(!permits_graph_from(g, 70, 5, &e));
    CHECK(near(permits_graph_dist(g, 90, 3), 5 + 20 + 3));
    permits_graph_free(g);
    /* an empty graph */
    g = permits_graph_new();
    CHECK(!permits_graph_build(g, &e));
    CHECK(permits_graph_from(g, 0, 0, &e) == ERR_NOT_FOUND);
    CHECK(permits_graph_dist(g, 1, 1) < 0);
    permits_graph_free(g);
}

/* Many random segments: the shortest path is never shorter than the straight line, and is symmetric. */
static void graph_random(void)
{
    struct permits_graph *g = permits_graph_new();
    struct err e = {0};
    srand(7);
    for (int i = 0; i < 300; i++) {
        double l[] = {rand() % 2000, rand() % 2000, rand() % 2000, rand() % 2000};
        CHECK(!permits_graph_add_line(g, l, 2, &e));
    }
    CHECK(!permits_graph_build(g, &e));
    CHECK(permits_graph_nodes(g) > 600);
    for (int k = 0; k < 20; k++) {
        double ax = rand() % 2000, ay = rand() % 2000, bx = rand() % 2000, by = rand() % 2000;
        CHECK(!permits_graph_from(g, ax, ay, &e));
        double ab = permits_graph_dist(g, bx, by);
        CHECK(!permits_graph_from(g, bx, by, &e));
        double ba = permits_graph_dist(g, ax, ay);
        CHECK((ab < 0) == (ba < 0));
        if (ab >= 0) {
            CHECK(fabs(ab - ba) < 1e-6);
            CHECK(ab + 1e-9 >= hypot(ax - bx, ay - by));
        }
    }
    permits_graph_free(g);
}

static void categories(void)
{
    const char *s;
    CHECK(permits_category_parse("A") == 'A' && permits_category_parse("c") == 'C');
    CHECK(!permits_category_parse("D") && !permits_category_parse("AB") && !permits_category_parse("") &&
          !permits_category_parse(NULL));
    CHECK(permits_sale_parse("on", &s) && !strcmp(s, "on"));
    CHECK(!permits_sale_parse("ON", &s) && !permits_sale_parse(NULL, &s) && !permits_sale_parse("", &s));
}

static void fees(void)
{
    CHECK(permits_fee_base_gr('A') == 52500 && permits_fee_base_gr('B') == 52500 && permits_fee_base_gr('C') == 210000);
    /* at or under the threshold: the base fee; above it: the percentage of the whole value */
    CHECK(permits_fee_annual_gr('A', 3750000) == 52500);
    CHECK(permits_fee_annual_gr('A', 5000000) == 70000); /* 1.4% of 50 000 zł */
    CHECK(permits_fee_annual_gr('C', 7700000) == 210000);
    CHECK(permits_fee_annual_gr('C', 10000000) == 270000); /* 2.7% of 100 000 zł */
    CHECK(permits_fee_annual_gr('B', 3750001) == 52500);   /* 1.4% of 37 500,01 zł rounds to 525 zł */
    /* the first year in proportion: a whole year, half of 2026 (184 of 365 days from 1 July) */
    CHECK(permits_fee_first_gr('A', gis_cal_day(2026, 1, 1), gis_cal_day(2030, 12, 31)) == 52500);
    CHECK(permits_fee_first_gr('C', gis_cal_day(2026, 7, 1), gis_cal_day(2028, 6, 30)) == (210000L * 184 + 182) / 365);
    CHECK(permits_fee_one_off_gr('A') == 4375);
    int due[3];
    long amt[3];
    permits_instalments(2027, 70000, due, amt);
    CHECK(due[0] == gis_cal_day(2027, 1, 31) && due[1] == gis_cal_day(2027, 5, 31) &&
          due[2] == gis_cal_day(2027, 9, 30));
    CHECK(amt[0] == 23334 && amt[1] == 23333 && amt[2] == 23333);
    CHECK(permits_surcharge_gr(70000) == 21000);
}

static void lapse(void)
{
    struct permits_lapse l;
    int y = 2027;
    int jan31 = gis_cal_day(y, 1, 31);
    /* no statement: within 30 days the surcharge is due, after them the permit expires */
    permits_lapse_eval(y, jan31 + 10, -1, 0, NULL, 0, &l);
    CHECK(!l.expired && l.surcharge);
    permits_lapse_eval(y, jan31 + 31, -1, 0, NULL, 0, &l);
    CHECK(l.expired && l.on == jan31 + 31 && !l.instalment);
    /* a statement in time and every instalment paid on its day */
    struct permits_payment pay[3] = {{jan31, 23334}, {gis_cal_day(y, 5, 31), 23333}, {gis_cal_day(y, 9, 30), 23333}};
    permits_lapse_eval(y, gis_cal_day(y, 12, 31), jan31 - 5, 70000, pay, 3, &l);
    CHECK(!l.expired && !l.surcharge);
    /* the second instalment missed: inside the grace the surcharge is due; after it, expiry */
    permits_lapse_eval(y, gis_cal_day(y, 6, 15), jan31 - 5, 70000, pay, 1, &l);
    CHECK(!l.expired && l.surcharge);
    permits_lapse_eval(y, gis_cal_day(y, 7, 1), jan31 - 5, 70000, pay, 1, &l);
    CHECK(l.expired && l.instalment == 2 && l.on == gis_cal_day(y, 7, 1));
    /* paid late within grace with the surcharge: no expiry */
    struct permits_payment late[3] = {
        {jan31, 23334}, {gis_cal_day(y, 6, 20), 23333 + 21000}, {gis_cal_day(y, 9, 1), 23333}};
    permits_lapse_eval(y, gis_cal_day(y, 12, 31), jan31 - 5, 70000, late, 3, &l);
    CHECK(!l.expired && l.surcharge);
    /* paid late without the surcharge: expiry */
    struct permits_payment nosur[2] = {{jan31, 23334}, {gis_cal_day(y, 6, 20), 23333}};
    permits_lapse_eval(y, gis_cal_day(y, 7, 2), jan31 - 5, 70000, nosur, 2, &l);
    CHECK(l.expired && l.instalment == 2);
}

/* art. 18 ust. 14: six months after the expiry, the month's last day when it is shorter */
static void six_month_bar(void)
{
    CHECK(permits_bar_until(gis_cal_day(2028, 7, 15)) == gis_cal_day(2029, 1, 15));
    CHECK(permits_bar_until(gis_cal_day(2028, 8, 31)) == gis_cal_day(2029, 2, 28));
    CHECK(permits_bar_until(gis_cal_day(2027, 8, 31)) == gis_cal_day(2028, 2, 29));
    CHECK(permits_bar_until(gis_cal_day(2028, 1, 1)) == gis_cal_day(2028, 7, 1));
}

static void hours_against_ban(void)
{
    int f = -1, t = -1;
    CHECK(permits_hours_overlap("6:00–22:00", "22:00", "06:00", &f, &t) == 0);
    CHECK(permits_hours_overlap("06:00-22:00", "22:00", "06:00", &f, &t) == 0);
    CHECK(permits_hours_overlap("6:00–22:01", "22:00", "06:00", &f, &t) == 1 && f == 22 * 60 && t == 22 * 60 + 1);
    CHECK(permits_hours_overlap("5:59–12:00", "22:00", "06:00", &f, &t) == 1 && f == 5 * 60 + 59 && t == 360);
    CHECK(permits_hours_overlap("20:00–2:00", "22:00", "06:00", &f, &t) == 1 && f == 22 * 60);
    CHECK(permits_hours_overlap("8:00–12:00; 13:00–21:00", "22:00", "06:00", &f, &t) == 0);
    CHECK(permits_hours_overlap("24h", "23:00", "05:00", &f, &t) == 1);
    CHECK(permits_hours_overlap("23:30–24:00", "22:00", "06:00", &f, &t) == 1 && t == 1440);
    CHECK(permits_hours_overlap("10:00–22:00", "23:00", "01:00", &f, &t) == 0);
    /* hostile or unreadable */
    CHECK(permits_hours_overlap("", "22:00", "06:00", &f, &t) == -1);
    CHECK(permits_hours_overlap("całą noc", "22:00", "06:00", &f, &t) == -1);
    CHECK(permits_hours_overlap("6:00", "22:00", "06:00", &f, &t) == -1);
    CHECK(permits_hours_overlap("6:00–22:00 x", "22:00", "06:00", &f, &t) == -1);
    CHECK(permits_hours_overlap("25:00–26:00", "22:00", "06:00", &f, &t) == -1);
    CHECK(permits_hours_overlap("6:60–7:00", "22:00", "06:00", &f, &t) == -1);
    CHECK(permits_hours_overlap("123:00–7:00", "22:00", "06:00", &f, &t) == -1);
    CHECK(permits_hours_overlap(NULL, "22:00", "06:00", &f, &t) == -1);
    CHECK(permits_hours_overlap("6:00–22:00", "x", "06:00", &f, &t) == -1);
}

int main(void)
{
    RUN(graph_grid);
    RUN(graph_detour_and_parts);
    RUN(graph_random);
    RUN(categories);
    RUN(fees);
    RUN(lapse);
    RUN(six_month_bar);
    RUN(hours_against_ban);
    return test_done();
}
