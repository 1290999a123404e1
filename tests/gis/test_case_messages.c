/* Unit tests for gis/case_messages: messages and attachments on a scratch store (an attachment is found only
 * through its own case, read marks per side, bytes back as stored), and the cleaning of message bodies and
 * file names from hostile input (invalid UTF-8, control and bidi characters, paths, overlong names). */
#include "gis/case_messages.h"

#include <string.h>
#include <unistd.h>

#include "gis/case_store.h"
#include "tests/store_fixture.h"
#include "tests/test.h"

static const char *const A = "0000000000000000000000000000000a", *const B = "0000000000000000000000000000000b";

static void add_case(struct gis_store *w, const char *id, const char *number, long seq)
{
    struct err e = {0};
    struct gis_case c = {.id = id,
                         .case_number = number,
                         .seq = seq,
                         .year = 2026,
                         .module = "extracts",
                         .status = GIS_CASE_OPEN,
                         .created_at = "2026-05-01T10:00:00Z",
                         .deadline = "2026-05-08"};
    CHECK(!gis_case_insert(w, &c, "jan", &e));
}

static void messages_and_attachments(void)
{
    char path[] = "/tmp/odra-test-case-messages-XXXXXX";
    struct err e = {0};
    struct gis_store *w = test_store_new(path);
    CHECK(w != NULL);
    if (!w)
        return;
    struct arena *a = arena_new(1 << 16);
    CHECK(!gis_store_begin(w, &e));
    add_case(w, A, "CA", 1);
    add_case(w, B, "CB", 2);
    long long m1, m2, m3, at1, at2;
    CHECK(!gis_case_message_add(w, A, "resident", "jan", "Pytanie\nw dwóch liniach", &m1, &e));
    CHECK(!gis_case_message_add(w, A, "staff", "rafal", "Odpowiedź", &m2, &e));
    CHECK(!gis_case_message_add(w, B, "resident", "bob", "Inna sprawa", &m3, &e));
    static const unsigned char bytes[] = {'%', 'P', 'D', 'F', '-', 0, 1, 2, 0xFF};
    struct gis_case_attachment in = {.case_id = A,
                                     .message_id = m1,
                                     .file_name = "skan.pdf",
                                     .media_type = "application/pdf",
                                     .sha256 = "ab",
                                     .size = sizeof bytes,
                                     .data = bytes,
                                     .uploader_kind = "resident",
                                     .uploader_login = "jan"};
    CHECK(!gis_case_attachment_add(w, &in, &at1, &e));
    in.case_id = B, in.message_id = 0;
    CHECK(!gis_case_attachment_add(w, &in, &at2, &e));
    in.uploader_kind = "robot";
    long long bad;
    CHECK(gis_case_attachment_add(w, &in, &bad, &e) == ERR_IO); /* the kind is checked by the schema */
    e = (struct err){0};
    CHECK(!gis_store_commit(w, &e));

    struct gis_case_message *m;
    int n;
    CHECK(!gis_case_messages(w, a, A, &m, &n, &e) && n == 2);
    if (n == 2) {
        CHECK(m[0].id == m1 && !strcmp(m[0].body, "Pytanie\nw dwóch liniach") && !strcmp(m[0].author_kind, "resident"));
        CHECK(!m[0].read_by_staff_at && !m[1].read_by_resident_at);
    }
    int unread;
    CHECK(!gis_case_messages_unread(w, A, "staff", &unread, &e) && unread == 1);
    CHECK(!gis_case_messages_unread(w, A, "resident", &unread, &e) && unread == 1);
    int marked;
    CHECK(!gis_case_messages_mark_read(w, A, "staff", &marked, &e) && marked == 1);
    CHECK(!gis_case_messages_mark_read(w, A, "staff", &marked, &e) && marked == 0);
    CHECK(!gis_case_messages_unread(w, A, "staff", &unread, &e) && unread == 0);
    CHECK(!gis_case_messages_unread(w, A, "resident", &unread, &e) && unread == 1); /* the other side's stay */
    CHECK(!gis_case_messages_unread(w, B, "staff", &unread, &e) && unread == 1);    /* another case untouched */
    CHECK(!gis_case_messages(w, a, A, &m, &n, &e) && n == 2 && m[0].read_by_staff_at && !m[1].read_by_staff_at);

    struct gis_case_attachment *l, g;
    CHECK(!gis_case_attachments(w, a, A, &l, &n, &e) && n == 1 && l[0].id == at1 && l[0].message_id == m1 &&
          l[0].size == sizeof bytes && !l[0].data);
    CHECK(!gis_case_attachment_count(w, B, &n, &e) && n == 1);
    CHECK(!gis_case_attachment_get(w, a, A, at1, &g, &e) && g.size == sizeof bytes &&
          !memcmp(g.data, bytes, sizeof bytes));
    CHECK(gis_case_attachment_get(w, a, A, at2, &g, &e) == ERR_NOT_FOUND); /* B's, asked through A */
    e = (struct err){0};
    CHECK(gis_case_attachment_get(w, a, B, at1, &g, &e) == ERR_NOT_FOUND);
    arena_free(a);
    gis_store_close(w);
    unlink(path);
}

static void bodies_are_cleaned(void)
{
    struct arena *a = arena_new(1 << 16);
    const char *s = "  \n Dzień dobry,\r\nproszę\t\x01o\x7f pismo\u202e.\n\n ";
    CHECK_STR(gis_case_message_clean(a, s, strlen(s)), "Dzień dobry,\nproszę\to pismo.");
    CHECK(!gis_case_message_clean(a, "\xC3\x28", 2));      /* invalid UTF-8 is refused */
    CHECK_STR(gis_case_message_clean(a, "a\0b", 3), "ab"); /* ...and dropped */
    CHECK_STR(gis_case_message_clean(a, " \n\t ", 4), "");
    char big[GIS_CASE_MESSAGE_MAX * 2 + 3];
    for (int i = 0; i < GIS_CASE_MESSAGE_MAX; i++)
        memcpy(big + 2 * i, "ą", 2); /* 5000 two-byte characters: just within */
    CHECK(gis_case_message_clean(a, big, 2 * GIS_CASE_MESSAGE_MAX) != NULL);
    memcpy(big + 2 * GIS_CASE_MESSAGE_MAX, "x", 1);
    CHECK(!gis_case_message_clean(a, big, 2 * GIS_CASE_MESSAGE_MAX + 1));
    arena_free(a);
}

static void file_names_are_cleaned(void)
{
    struct arena *a = arena_new(1 << 16);
    CHECK_STR(gis_case_file_name_clean(a, "skan żółć.pdf"), "skan żółć.pdf");
    CHECK_STR(gis_case_file_name_clean(a, "../../etc/passwd"), "passwd");
    CHECK_STR(gis_case_file_name_clean(a, "C:\\Users\\jan\\wniosek.docx"), "wniosek.docx");
    CHECK_STR(gis_case_file_name_clean(a, "..."), "zalacznik");
    CHECK_STR(gis_case_file_name_clean(a, "  .htaccess "), "htaccess");
    CHECK_STR(gis_case_file_name_clean(a, "a\r\nb\x01\u202egpj.exe"), "abgpj.exe");
    CHECK_STR(gis_case_file_name_clean(a, "\xff\xfe.pdf"), "pdf"); /* invalid bytes go, then the leading dot */
    CHECK_STR(gis_case_file_name_clean(a, NULL), "zalacznik");
    CHECK_STR(gis_case_file_name_clean(a, "dir/"), "zalacznik");
    char longname[600];
    for (int i = 0; i < 250; i++)
        memcpy(longname + 2 * i, "ż", 2);
    strcpy(longname + 500, ".pdf");
    const char *c = gis_case_file_name_clean(a, longname);
    size_t n = strlen(c);
    CHECK(n <= GIS_CASE_FILE_NAME_MAX && n >= GIS_CASE_FILE_NAME_MAX - 1);
    CHECK(!strcmp(c + n - 4, ".pdf"));
    CHECK(((unsigned char)c[n - 5] & 0xC0) == 0x80); /* cut after a whole 'ż', not inside it */
    arena_free(a);
}

int main(void)
{
    RUN(messages_and_attachments);
    RUN(bodies_are_cleaned);
    RUN(file_names_are_cleaned);
    return test_done();
}
