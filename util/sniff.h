/* What a file is, from its bytes (magic numbers; for ODT and DOCX the ZIP container's `mimetype` and
 * `[Content_Types].xml`, read through libzip with bounded reads), never from its name or a declared type.
 * For attachments of cases (docs/api.md, "Case messages and attachments"). Nothing here allocates beyond
 * libzip's own handles, which it frees; hostile input gives SNIFF_UNKNOWN or SNIFF_HOSTILE, never a crash. */
#ifndef UTIL_SNIFF_H
#define UTIL_SNIFF_H
#include <stdbool.h>
#include <stddef.h>

enum sniff_type {
    SNIFF_UNKNOWN = 0, /* none of the types below */
    SNIFF_PDF,
    SNIFF_PNG,
    SNIFF_JPEG,
    SNIFF_TIFF,
    SNIFF_ODT,
    SNIFF_DOCX,
    SNIFF_TXT,     /* UTF-8 text without control characters (other than tab, CR, LF, FF) and not markup */
    SNIFF_HOSTILE, /* a ZIP (ODT/DOCX) over the limits: entries, expansion ratio, sizes, or unsafe names */
    SNIFF_NTYPES
};

/* The bit of type t in a set of types (config [cases] attachment_types). */
#define SNIFF_BIT(t) (1u << (t))

/* The type of len bytes at data. *why (may be NULL) gets a short English reason for SNIFF_UNKNOWN and
 * SNIFF_HOSTILE (static text). */
enum sniff_type sniff_detect(const void *data, size_t len, const char **why);

/* The short name ("pdf", "png", "jpeg", "tiff", "odt", "docx", "txt") and the media type of t; NULL for
 * SNIFF_UNKNOWN and SNIFF_HOSTILE. */
const char *sniff_name(enum sniff_type t);
const char *sniff_media_type(enum sniff_type t);

/* The type whose short name is name (case-insensitive), or SNIFF_UNKNOWN. */
enum sniff_type sniff_from_name(const char *name);

/* Whether a declared media type (a Content-Type value, parameters allowed) agrees with t: it is t's media
 * type (or an alias such as image/jpg, image/pjpeg), or says nothing (NULL, empty,
 * application/octet-stream). */
bool sniff_media_type_agrees(const char *declared, enum sniff_type t);

/* Whether a file name agrees with t: its extension (after the last '.') is one of t's (pdf; png; jpg, jpeg,
 * jpe; tif, tiff; odt; docx; txt, text), case-insensitive, or it has none. */
bool sniff_name_agrees(const char *filename, enum sniff_type t);

#endif
