/* Unit tests for gis/case_store: the KPA deadline (art. 57 par. 4: an end on a Saturday, Sunday or holiday
 * moves to the next working day), and cases on a scratch store: insert, find by id and by code, update,
 * history in order, and the queue order (open cases, nearest deadline first) with its filters. */
#include <string.h>
#include <unistd.h>

#include "gis/calendar.h"
#include "gis/case_store.h"
#include "tests/store_fixture.h"
#include "tests/test.h"

static const char *deadline(struct arena *a, const char *from, int days)
{
    int d = 0;
    CHECK(gis_cal_parse_date(from, &d));
    char *out = arena_alloc(a, 11);
    gis_cal_format_date(gis_case_deadline(d, days), out);
    return out;
}

static void kpa_deadlines(void)
{
    struct arena *a = arena_new(4096);
    CHECK_STR(deadline(a, "2026-04-29", 7), "2026-05-06");  /* Wednesday to Wednesday */
    CHECK_STR(deadline(a, "2026-04-24", 7), "2026-05-04");  /* 1 May (Friday), 2 May Saturday, 3 May Sunday */
    CHECK_STR(deadline(a, "2026-12-18", 7), "2026-12-28");  /* 25 December, then Saturday 26, Sunday 27 */
    CHECK_STR(deadline(a, "2026-12-17", 7), "2026-12-28");  /* 24 December is a day off from 2025 */
    CHECK_STR(deadline(a, "2026-03-07", 7), "2026-03-16");  /* Saturday + 7 is a Saturday */
    CHECK_STR(deadline(a, "2026-01-30", 30), "2026-03-02"); /* a month's term ending on Sunday 1 March */
    arena_free(a);
}

static struct gis_case a_case(const char *id, const char *number, long seq, const char *deadline_, const char *status)
{
    return (struct gis_case){.id = id,
                             .case_number = number,
                             .seq = seq,
                             .year = 2026,
                             .module = "extracts",
                             .applicant_account = seq == 2 ? 7 : 0,
                             .applicant_name = "Jan Kowalski",
                             .status = status,
                             .created_at = "2026-05-01T10:00:00Z",
                             .deadline = deadline_,
                             .fee_pln = 80,
                             .fee_status = "due",
                             .verification_code = number,
                             .request_json = "{}"};
}

static void store_round_trip(void)
{
    char path[] = "/tmp/odra-test-case-store-XXXXXX";
    struct err e = {0};
    struct gis_store *w = test_store_new(path);
    CHECK(w != NULL);
    if (!w)
        return;
    struct arena *a = arena_new(1 << 16);
    CHECK(!gis_store_begin(w, &e));
    struct gis_case c1 = a_case("00000000000000000000000000000001", "C1", 1, "2026-05-20", GIS_CASE_FILED);
    struct gis_case c2 = a_case("00000000000000000000000000000002", "C2", 2, "2026-05-10", GIS_CASE_FILED);
    struct gis_case c3 = a_case("00000000000000000000000000000003", "C3", 3, "2026-05-01", GIS_CASE_DONE);
    CHECK(!gis_case_insert(w, &c1, "jan", &e) && !gis_case_insert(w, &c2, NULL, &e) &&
          !gis_case_insert(w, &c3, "jan", &e));
    CHECK(gis_case_insert(w, &c1, "jan", &e) == ERR_IO); /* the id and number are unique */
    c2.status = GIS_CASE_OPEN;
    c2.assigned_account = 5, c2.assigned_login = "rafal";
    CHECK(!gis_case_update(w, &c2, &e) && !gis_case_event_add(w, c2.id, "rafal", GIS_CASE_OPEN, "przydzielona", &e));
    CHECK(!gis_store_commit(w, &e));

    struct gis_case f;
    CHECK(!gis_case_find(w, a, false, c2.id, &f, &e));
    CHECK_STR(f.status, GIS_CASE_OPEN);
    CHECK_STR(f.assigned_login, "rafal");
    CHECK(f.applicant_account == 7 && f.fee_pln == 80);
    CHECK(!gis_case_find(w, a, true, "C1", &f, &e) && !strcmp(f.id, c1.id));
    CHECK(gis_case_find(w, a, false, "nope", &f, &e) == ERR_NOT_FOUND);

    struct gis_case_event *ev;
    int n;
    CHECK(!gis_case_events(w, a, c2.id, &ev, &n, &e) && n == 2);
    if (n == 2) {
        CHECK_STR(ev[0].actor, "anonim");
        CHECK_STR(ev[0].status, GIS_CASE_FILED);
        CHECK_STR(ev[1].actor, "rafal");
    }

    struct gis_case *v;
    struct gis_case_filter q = {.queue_order = true};
    CHECK(!gis_case_list(w, a, &q, &v, &n, &e) && n == 3);
    if (n == 3) { /* open cases by deadline, then the closed one */
        CHECK_STR(v[0].case_number, "C2");
        CHECK_STR(v[1].case_number, "C1");
        CHECK_STR(v[2].case_number, "C3");
    }
    struct gis_case_filter open_due = {.open_only = true, .due_before = "2026-05-15", .queue_order = true};
    CHECK(!gis_case_list(w, a, &open_due, &v, &n, &e) && n == 1 && !strcmp(v[0].case_number, "C2"));
    struct gis_case_filter mine = {.applicant_account = 7};
    CHECK(!gis_case_list(w, a, &mine, &v, &n, &e) && n == 1 && !strcmp(v[0].case_number, "C2"));
    struct gis_case_filter other = {.module = "waste"};
    CHECK(!gis_case_list(w, a, &other, &v, &n, &e) && n == 0);
    /* by assignee: one clerk's, nobody's (the clerk's queue filters) */
    struct gis_case_filter rafal = {.assigned_login = "rafal"}, nobody = {.unassigned = true, .queue_order = true};
    CHECK(!gis_case_list(w, a, &rafal, &v, &n, &e) && n == 1 && !strcmp(v[0].case_number, "C2"));
    CHECK(!gis_case_list(w, a, &nobody, &v, &n, &e) && n == 2 && !strcmp(v[0].case_number, "C1"));
    struct gis_case_filter ewa = {.assigned_login = "ewa"};
    CHECK(!gis_case_list(w, a, &ewa, &v, &n, &e) && n == 0);
    /* more rows than the first allocation: the list grows and keeps its order */
    CHECK(!gis_store_begin(w, &e));
    for (int i = 0; i < 70; i++) {
        char *id = arena_printf(a, "%032x", 100 + i), *num = arena_printf(a, "N%d", i);
        char *dl = arena_printf(a, "2026-07-%02d", 1 + (i * 7) % 28);
        struct gis_case c = a_case(id, num, 100 + i, dl, GIS_CASE_FILED);
        CHECK(!gis_case_insert(w, &c, "jan", &e));
    }
    CHECK(!gis_store_commit(w, &e));
    struct gis_case_filter many = {.open_only = true, .queue_order = true, .due_before = "2026-12-31", .limit = 60};
    CHECK(!gis_case_list(w, a, &many, &v, &n, &e) && n == 60);
    for (int i = 1; i < n; i++)
        CHECK(strcmp(v[i - 1].deadline, v[i].deadline) <= 0);
    CHECK(gis_case_status_valid("do uzupełnienia") && !gis_case_status_valid("issued"));
    CHECK(gis_case_status_open(GIS_CASE_NEEDS) && !gis_case_status_open(GIS_CASE_WITHDRAWN));
    arena_free(a);
    gis_store_close(w);
    unlink(path);
}

/* RODO erasure of an applicant's cases: refused while one is open; then the cases keep their numbers and
 * documents while the applicant's name, login and e-mail, the request's name and address and the history's
 * login become the pseudonym; another applicant's case is untouched. */
static void erase_applicant(void)
{
    char path[] = "/tmp/odra-test-case-erase-XXXXXX";
    struct err e = {0};
    struct gis_store *w = test_store_new(path);
    CHECK(w != NULL);
    if (!w)
        return;
    struct arena *a = arena_new(1 << 16);
    struct gis_case mine = a_case("00000000000000000000000000000011", "M1", 2, "2026-05-20", GIS_CASE_OPEN);
    mine.applicant_login = "jan", mine.applicant_email = "jan@example.org", mine.documents_json = "[{\"id\":\"d\"}]";
    mine.request_json = "{\"applicant\":{\"name\":\"Jan Kowalski\",\"address\":\"ul. Długa 1\"},\"parcels\":[\"p\"]}";
    struct gis_case theirs = a_case("00000000000000000000000000000012", "T1", 3, "2026-05-20", GIS_CASE_DONE);
    theirs.applicant_account = 8;
    CHECK(!gis_store_begin(w, &e));
    CHECK(!gis_case_insert(w, &mine, "jan", &e) && !gis_case_insert(w, &theirs, "ola", &e));
    int n = -1;
    CHECK(gis_cases_erase_applicant(w, 7, "jan", "osoba usunięta #7", &n, &e) == ERR_CONFLICT && !strcmp(e.msg, "M1"));
    err_clear(&e);
    mine.status = GIS_CASE_DONE;
    CHECK(!gis_case_update(w, &mine, &e));
    CHECK(gis_cases_erase_applicant(w, 7, "jan", "osoba usunięta #7", &n, &e) == ERR_OK && n == 1);
    CHECK(!gis_store_commit(w, &e));
    struct gis_case f;
    CHECK(!gis_case_find(w, a, false, mine.id, &f, &e));
    CHECK_STR(f.case_number, "M1");
    CHECK_STR(f.applicant_name, "osoba usunięta #7");
    CHECK_STR(f.applicant_login, "osoba usunięta #7");
    CHECK(f.applicant_email == NULL && f.documents_json && strstr(f.documents_json, "\"d\""));
    CHECK(f.request_json && !strstr(f.request_json, "Kowalski") && !strstr(f.request_json, "Długa") &&
          strstr(f.request_json, "\"p\""));
    struct gis_case_event *ev;
    CHECK(!gis_case_events(w, a, mine.id, &ev, &n, &e) && n == 1 && !strcmp(ev[0].actor, "osoba usunięta #7"));
    CHECK(!gis_case_find(w, a, false, theirs.id, &f, &e));
    CHECK_STR(f.applicant_name, "Jan Kowalski"); /* a_case's name, of another applicant: kept */
    arena_free(a);
    gis_store_close(w);
    unlink(path);
}

int main(void)
{
    RUN(kpa_deadlines);
    RUN(store_round_trip);
    RUN(erase_applicant);
    return test_done();
}
