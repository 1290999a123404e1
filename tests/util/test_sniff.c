/* Tests for util/sniff: each type by its bytes whatever the name, ODT and DOCX through their ZIP container,
 * and hostile input: markup sent as text, truncated and damaged archives, a zip bomb, unsafe entry names,
 * lying declared types and extensions. ZIPs are written here with libzip, as an office suite would. */
#include "util/sniff.h"

#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "tests/test.h"

/* A ZIP of the given entries (name, text; stored when store is set for the first), in a malloc'd buffer. */
struct entry {
    const char *name;
    const char *data;
    size_t len; /* 0: strlen(data) */
};

static void *zip_make(const struct entry *ents, int n, bool store_first, size_t *len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *buf = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_source_keep(buf);
    zip_t *za = zip_open_from_source(buf, ZIP_TRUNCATE, &ze);
    for (int i = 0; i < n; i++) {
        size_t l = ents[i].len ? ents[i].len : strlen(ents[i].data);
        zip_source_t *s = zip_source_buffer(za, ents[i].data, l, 0);
        zip_int64_t idx = zip_file_add(za, ents[i].name, s, ZIP_FL_ENC_UTF_8);
        if (i == 0 && store_first)
            zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    }
    zip_close(za);
    zip_stat_t st;
    zip_source_stat(buf, &st);
    void *out = malloc(st.size);
    zip_source_open(buf);
    *len = (size_t)zip_source_read(buf, out, st.size);
    zip_source_close(buf);
    zip_source_free(buf);
    zip_error_fini(&ze);
    return out;
}

#define DOCX_TYPES                                                                                                     \
    "<?xml version=\"1.0\"?><Types><Override PartName=\"/word/document.xml\" ContentType=\"application/"               \
    "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>"

static enum sniff_type sniff_str(const char *s)
{
    return sniff_detect(s, strlen(s), NULL);
}

static void magic_numbers(void)
{
    CHECK(sniff_str("%PDF-1.7\n...") == SNIFF_PDF);
    static const unsigned char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1";
    CHECK(sniff_detect(png, sizeof png - 1, NULL) == SNIFF_PNG);
    CHECK(sniff_detect(png, 10, NULL) != SNIFF_PNG); /* cut short */
    static const unsigned char jpg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'};
    CHECK(sniff_detect(jpg, sizeof jpg, NULL) == SNIFF_JPEG);
    CHECK(sniff_detect("II*\0\x08\0\0\0", 8, NULL) == SNIFF_TIFF);
    CHECK(sniff_detect("MM\0*\0\0\0\x08", 8, NULL) == SNIFF_TIFF);
    CHECK(sniff_str("Zażółć gęślą jaźń\r\n\tlinia 2\n") == SNIFF_TXT);
    CHECK(sniff_str("\xEF\xBB\xBFz BOM") == SNIFF_TXT);
    const char *why = "x";
    CHECK(sniff_detect("", 0, &why) == SNIFF_UNKNOWN && why && !strcmp(why, "empty"));
    CHECK(sniff_str(" %PDF-1.4") == SNIFF_TXT); /* not at the start: not a PDF, merely text */
}

static void markup_and_binary_are_not_text(void)
{
    const char *why = NULL;
    CHECK(sniff_detect("<html><script>x</script>", 24, &why) == SNIFF_UNKNOWN && why);
    CHECK(sniff_str("  \n<!DOCTYPE html>") == SNIFF_UNKNOWN);
    CHECK(sniff_str("<svg onload=alert(1)>") == SNIFF_UNKNOWN);
    CHECK(sniff_str("<?xml version='1.0'?><a/>") == SNIFF_UNKNOWN);
    CHECK(sniff_str("Szanowni Państwo,\n<ScRiPt>alert(1)</script>") == SNIFF_UNKNOWN); /* hidden further on */
    CHECK(sniff_str("<b>bold</b>") == SNIFF_UNKNOWN);
    CHECK(sniff_str("a < b i b > c") == SNIFF_TXT);
    CHECK(sniff_detect("abc\0def", 7, NULL) == SNIFF_UNKNOWN);
    CHECK(sniff_str("abc\x1b[31m") == SNIFF_UNKNOWN);
    CHECK(sniff_str("\xC3\x28 invalid UTF-8") == SNIFF_UNKNOWN);
    CHECK(sniff_str("\xED\xA0\x80 surrogate") == SNIFF_UNKNOWN);
}

static void office_documents_by_their_container(void)
{
    size_t n;
    struct entry odt[] = {{"mimetype", "application/vnd.oasis.opendocument.text", 0}, {"content.xml", "<x/>", 0}};
    void *z = zip_make(odt, 2, true, &n);
    CHECK(sniff_detect(z, n, NULL) == SNIFF_ODT);
    CHECK(sniff_detect(z, n / 2, NULL) == SNIFF_UNKNOWN); /* truncated */
    free(z);
    struct entry ods[] = {{"mimetype", "application/vnd.oasis.opendocument.spreadsheet", 0},
                          {"content.xml", "<x/>", 0}};
    z = zip_make(ods, 2, true, &n);
    CHECK(sniff_detect(z, n, NULL) == SNIFF_UNKNOWN); /* a spreadsheet is no text document */
    free(z);
    struct entry late[] = {{"content.xml", "<x/>", 0}, {"mimetype", "application/vnd.oasis.opendocument.text", 0}};
    z = zip_make(late, 2, false, &n);
    CHECK(sniff_detect(z, n, NULL) == SNIFF_UNKNOWN); /* ODF puts mimetype first */
    free(z);
    struct entry docx[] = {{"[Content_Types].xml", DOCX_TYPES, 0}, {"word/document.xml", "<w:document/>", 0}};
    z = zip_make(docx, 2, false, &n);
    CHECK(sniff_detect(z, n, NULL) == SNIFF_DOCX);
    free(z);
    struct entry nodoc[] = {{"[Content_Types].xml", DOCX_TYPES, 0}, {"xl/workbook.xml", "<w/>", 0}};
    z = zip_make(nodoc, 2, false, &n);
    CHECK(sniff_detect(z, n, NULL) == SNIFF_UNKNOWN);
    free(z);
    struct entry dtd[] = {{"[Content_Types].xml", "<!DOCTYPE x [<!ENTITY a 'b'>]>" DOCX_TYPES, 0},
                          {"word/document.xml", "<w:document/>", 0}};
    z = zip_make(dtd, 2, false, &n);
    CHECK(sniff_detect(z, n, NULL) == SNIFF_UNKNOWN); /* no DOCTYPE in XML */
    free(z);
    struct entry plain[] = {{"a.txt", "hello", 0}};
    z = zip_make(plain, 1, false, &n);
    CHECK(sniff_detect(z, n, NULL) == SNIFF_UNKNOWN);
    free(z);
    CHECK(sniff_detect("PK\3\4garbage-garbage-garbage", 27, NULL) == SNIFF_UNKNOWN);
}

static void zip_bombs_and_unsafe_names_are_hostile(void)
{
    size_t n, big = 64u << 20;
    char *zeros = calloc(1, big);
    memset(zeros, ' ', big);
    struct entry bomb[] = {{"[Content_Types].xml", DOCX_TYPES, 0}, {"word/document.xml", zeros, big}};
    void *z = zip_make(bomb, 2, false, &n);
    const char *why = NULL;
    CHECK(n < (1u << 20));
    CHECK(sniff_detect(z, n, &why) == SNIFF_HOSTILE && why);
    free(z);
    free(zeros);
    struct entry up[] = {
        {"[Content_Types].xml", DOCX_TYPES, 0}, {"word/document.xml", "<w/>", 0}, {"../../etc/cron.d/x", "x", 0}};
    z = zip_make(up, 3, false, &n);
    CHECK(sniff_detect(z, n, NULL) == SNIFF_HOSTILE);
    free(z);
    struct entry abs[] = {{"mimetype", "application/vnd.oasis.opendocument.text", 0}, {"/etc/passwd", "x", 0}};
    z = zip_make(abs, 2, true, &n);
    CHECK(sniff_detect(z, n, NULL) == SNIFF_HOSTILE);
    free(z);
}

static void names_and_declared_types_must_agree(void)
{
    CHECK(sniff_name_agrees("skan.PDF", SNIFF_PDF));
    CHECK(sniff_name_agrees("bez-rozszerzenia", SNIFF_PDF));
    CHECK(sniff_name_agrees("foto.jpe", SNIFF_JPEG) && sniff_name_agrees("foto.JPEG", SNIFF_JPEG));
    CHECK(!sniff_name_agrees("foto.png", SNIFF_PDF));
    CHECK(!sniff_name_agrees("wniosek.pdf.html", SNIFF_PDF));
    CHECK(!sniff_name_agrees("a.pdf", SNIFF_UNKNOWN));
    CHECK(sniff_name_agrees(".pdf", SNIFF_TXT)); /* a leading dot is no extension */
    CHECK(sniff_media_type_agrees(NULL, SNIFF_PNG) && sniff_media_type_agrees("", SNIFF_PNG));
    CHECK(sniff_media_type_agrees("application/octet-stream", SNIFF_PNG));
    CHECK(sniff_media_type_agrees("IMAGE/PNG", SNIFF_PNG) && sniff_media_type_agrees("image/jpg", SNIFF_JPEG));
    CHECK(sniff_media_type_agrees("text/plain; charset=utf-8", SNIFF_TXT));
    CHECK(!sniff_media_type_agrees("text/html", SNIFF_TXT));
    CHECK(!sniff_media_type_agrees("image/pngx", SNIFF_PNG));
    CHECK(!sniff_media_type_agrees("application/pdf", SNIFF_PNG));
    CHECK(!sniff_media_type_agrees("application/pdf", SNIFF_HOSTILE));
    CHECK(sniff_from_name("DOCX") == SNIFF_DOCX && sniff_from_name("exe") == SNIFF_UNKNOWN);
    CHECK(sniff_from_name(NULL) == SNIFF_UNKNOWN);
    CHECK(!sniff_name(SNIFF_HOSTILE) && !sniff_media_type(SNIFF_UNKNOWN));
}

int main(void)
{
    RUN(magic_numbers);
    RUN(markup_and_binary_are_not_text);
    RUN(office_documents_by_their_container);
    RUN(zip_bombs_and_unsafe_names_are_hostile);
    RUN(names_and_declared_types_must_agree);
    return test_done();
}
