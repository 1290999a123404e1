/* Content sniffing of attachments (see util/sniff.h). */
#include "util/sniff.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "util/text.h"

/* Limits on a ZIP container (ODT, DOCX): a document has tens of entries, a few MB unpacked. */
#define ZIP_ENTRIES_MAX   2000
#define ZIP_TOTAL_MAX     (256u << 20) /* declared unpacked bytes of all entries */
#define ZIP_RATIO_MAX     200          /* declared unpacked / packed of an entry over 1 MiB */
#define ZIP_TYPES_XML_MAX (256u << 10) /* [Content_Types].xml */

static const struct {
    const char *name, *media_type;
    const char *exts[4];
    const char *aliases[3];
} types[SNIFF_NTYPES] = {
    [SNIFF_PDF] = {"pdf", "application/pdf", {"pdf"}, {"application/x-pdf"}},
    [SNIFF_PNG] = {"png", "image/png", {"png"}, {"image/x-png"}},
    [SNIFF_JPEG] = {"jpeg", "image/jpeg", {"jpg", "jpeg", "jpe"}, {"image/jpg", "image/pjpeg"}},
    [SNIFF_TIFF] = {"tiff", "image/tiff", {"tif", "tiff"}, {"image/x-tiff"}},
    [SNIFF_ODT] = {"odt", "application/vnd.oasis.opendocument.text", {"odt"}, {NULL}},
    [SNIFF_DOCX] = {"docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    {"docx"},
                    {NULL}},
    [SNIFF_TXT] = {"txt", "text/plain; charset=utf-8", {"txt", "text"}, {"text/plain"}},
};

const char *sniff_name(enum sniff_type t)
{
    return t > SNIFF_UNKNOWN && t < SNIFF_HOSTILE ? types[t].name : NULL;
}

const char *sniff_media_type(enum sniff_type t)
{
    return t > SNIFF_UNKNOWN && t < SNIFF_HOSTILE ? types[t].media_type : NULL;
}

enum sniff_type sniff_from_name(const char *name)
{
    for (int t = SNIFF_PDF; name && t < SNIFF_HOSTILE; t++)
        if (!strcasecmp(name, types[t].name))
            return (enum sniff_type)t;
    return SNIFF_UNKNOWN;
}

/* Whether the media type at s (up to ';' or whitespace) is exactly mt (which may carry parameters). */
static bool media_is(const char *s, const char *mt)
{
    size_t n = strcspn(mt, ";");
    return !strncasecmp(s, mt, n) && (s[n] == 0 || s[n] == ';' || s[n] == ' ' || s[n] == '\t');
}

bool sniff_media_type_agrees(const char *declared, enum sniff_type t)
{
    while (declared && (*declared == ' ' || *declared == '\t'))
        declared++;
    if (!declared || !*declared || media_is(declared, "application/octet-stream"))
        return true;
    if (!sniff_name(t))
        return false;
    if (media_is(declared, types[t].media_type))
        return true;
    for (int i = 0; i < 3 && types[t].aliases[i]; i++)
        if (media_is(declared, types[t].aliases[i]))
            return true;
    return false;
}

bool sniff_name_agrees(const char *filename, enum sniff_type t)
{
    const char *dot = filename ? strrchr(filename, '.') : NULL;
    if (!dot || dot == filename || strchr(dot, '/'))
        return true; /* no extension: nothing to contradict */
    if (!sniff_name(t))
        return false;
    for (int i = 0; i < 4 && types[t].exts[i]; i++)
        if (!strcasecmp(dot + 1, types[t].exts[i]))
            return true;
    return false;
}

/* Text: valid UTF-8 without control characters but tab, CR, LF and FF, and not markup (a browser told the
 * file is HTML or SVG would run it; nosniff and attachment disposition are the second line). */
static enum sniff_type sniff_text(const unsigned char *d, size_t len, const char **why)
{
    if (!text_utf8_valid((const char *)d, len)) {
        *why = "not a known file type (nor UTF-8 text)";
        return SNIFF_UNKNOWN;
    }
    for (size_t i = 0; i < len; i++)
        if ((d[i] < 0x20 && d[i] != '\t' && d[i] != '\n' && d[i] != '\r' && d[i] != '\f') || d[i] == 0x7f) {
            *why = "not a known file type (binary data)";
            return SNIFF_UNKNOWN;
        }
    size_t i = len >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3) ? 3 : 0;
    while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r' || d[i] == '\f'))
        i++;
    static const char *const markup[] = {"<!doctype", "<html", "<script", "<svg", "<?xml", "<body", "<iframe"};
    size_t head = len < 4096 ? len : 4096;
    for (size_t m = 0; m < sizeof markup / sizeof *markup; m++) {
        size_t ml = strlen(markup[m]);
        for (size_t k = 0; k + ml <= head; k++)
            if (!strncasecmp((const char *)d + k, markup[m], ml)) {
                *why = "HTML, XML or SVG markup is not accepted";
                return SNIFF_UNKNOWN;
            }
    }
    if (i < len && d[i] == '<') {
        *why = "HTML, XML or SVG markup is not accepted";
        return SNIFF_UNKNOWN;
    }
    return SNIFF_TXT;
}

/* Reads at most cap bytes of entry idx into a new buffer (NUL-terminated); *n its length. The read is
 * bounded whatever the entry declares, so a lying header cannot make it expand further. */
static char *zip_entry_read(zip_t *za, zip_int64_t idx, size_t cap, size_t *n)
{
    zip_file_t *f = zip_fopen_index(za, (zip_uint64_t)idx, 0);
    char *b = f ? malloc(cap + 1) : NULL;
    *n = 0;
    if (b) {
        while (*n < cap) {
            zip_int64_t r = zip_fread(f, b + *n, cap - *n);
            if (r <= 0) {
                if (r < 0) {
                    free(b);
                    b = NULL;
                }
                break;
            }
            *n += (size_t)r;
        }
        if (b)
            b[*n] = 0;
    }
    if (f)
        zip_fclose(f);
    return b;
}

/* The limits on a ZIP's entries: their count, names and declared sizes. NULL when within them. */
static const char *zip_limits(zip_t *za)
{
    zip_int64_t n = zip_get_num_entries(za, 0);
    if (n <= 0 || n > ZIP_ENTRIES_MAX)
        return "the archive has no entries or too many";
    unsigned long long total = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t st;
        if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
            !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE))
            return "an archive entry cannot be read";
        const char *nm = st.name;
        if (nm[0] == '/' || nm[0] == '\\' || strstr(nm, "..") || strchr(nm, ':'))
            return "an archive entry has an absolute path or '..'";
        total += st.size;
        if (total > ZIP_TOTAL_MAX)
            return "the archive expands to too many bytes";
        if (st.size > (1u << 20) && st.size / (st.comp_size ? st.comp_size : 1) > ZIP_RATIO_MAX)
            return "an archive entry expands too much (a zip bomb?)";
    }
    return NULL;
}

static enum sniff_type sniff_zip(const void *data, size_t len, const char **why)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
    zip_error_fini(&ze);
    if (!za) {
        zip_source_free(src);
        *why = "a damaged ZIP archive";
        return SNIFF_UNKNOWN;
    }
    enum sniff_type t = SNIFF_UNKNOWN;
    *why = "a ZIP archive that is no ODT or DOCX document";
    const char *bad = zip_limits(za);
    size_t n;
    zip_int64_t mi = zip_name_locate(za, "mimetype", 0), ci = zip_name_locate(za, "[Content_Types].xml", 0);
    if (bad) {
        t = SNIFF_HOSTILE, *why = bad;
    } else if (mi == 0) { /* ODF: the first entry, stored */
        char *m = zip_entry_read(za, mi, 128, &n);
        if (m && n < 128 && !strcmp(m, "application/vnd.oasis.opendocument.text"))
            t = SNIFF_ODT;
        free(m);
    } else if (ci >= 0 && zip_name_locate(za, "word/document.xml", 0) >= 0) {
        char *x = zip_entry_read(za, ci, ZIP_TYPES_XML_MAX, &n);
        if (x && n < ZIP_TYPES_XML_MAX && !strcasestr(x, "<!DOCTYPE") &&
            strstr(x, "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"))
            t = SNIFF_DOCX;
        free(x);
    }
    zip_discard(za);
    return t;
}

enum sniff_type sniff_detect(const void *data, size_t len, const char **why)
{
    const unsigned char *d = data;
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    if (!len) {
        *why = "empty";
        return SNIFF_UNKNOWN;
    }
    if (len >= 5 && !memcmp(d, "%PDF-", 5))
        return SNIFF_PDF;
    if (len >= 16 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8) && !memcmp(d + 12, "IHDR", 4))
        return SNIFF_PNG;
    if (len >= 4 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return SNIFF_JPEG;
    if (len >= 8 && (!memcmp(d, "II*\0", 4) || !memcmp(d, "MM\0*", 4)))
        return SNIFF_TIFF;
    if (len >= 4 && !memcmp(d, "PK\3\4", 4))
        return sniff_zip(data, len, why);
    return sniff_text(d, len, why);
}
