/* HTML templates as files (web/templates/NAME.html), escaping on by default. A template is text with tags:
 *
 *   {{path}}            the value at path, HTML-escaped (text and quoted-attribute safe)
 *   {{url path}}        the value percent-encoded for a URL query or path part (then safe in an attribute)
 *   {{raw path}}        the value as it is: explicit, and only for HTML the server made itself
 *   {{t key}}           message key of the catalogue, escaped; {{t key path}} puts the escaped value at
 *                       path where the message says {0}
 *   {{#if path}} … {{else}} … {{/if}}, {{#unless path}} … {{/unless}}
 *   {{#each path}} … {{else}} … {{/each}}   the items of an array (the else part when it is empty)
 *   {{> name}}          includes template name ([a-z0-9_-], from the same folder)
 *   {{! comment}}
 *
 * A path is dot-separated keys (`card.parcel.id`), or `.` for the current item; its first key is looked up
 * from the innermost #each item outwards to the data. Missing and null values print nothing. A value is
 * false when it is missing, null, false, "", 0 or an empty array or object.
 *
 * Escaping (tmpl_escape) also makes hostile text harmless to show: invalid UTF-8 becomes U+FFFD, control
 * characters other than tab and newline and the bidirectional overrides and isolates (U+202A..U+202E,
 * U+2066..U+2069, U+200E, U+200F, U+061C) are dropped.
 *
 * Ownership: the caller owns data, msgs and out; nothing is kept between calls. */
#ifndef SERVICES_TMPL_H
#define SERVICES_TMPL_H
#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Deepest nesting of blocks and includes. */
#define TMPL_MAX_DEPTH 16

/* Renders template file dir/name.html with data (any JSON value; usually an object) and the message
 * catalogue msgs (an object of strings; may be NULL) appended to out. ERR_NOT_FOUND for a missing
 * template, ERR_INTERNAL naming the template and line for a malformed one (an unknown or unclosed tag). */
enum err_code tmpl_render(const char *dir, const char *name, json_t *data, json_t *msgs, struct buf *out,
                          struct err *e);

/* The same for a template given as text (name is only for messages). */
enum err_code tmpl_render_text(const char *dir, const char *name, const char *text, json_t *data, json_t *msgs,
                               struct buf *out, struct err *e);

/* Appends n bytes of s, HTML-escaped and cleaned as described above. */
void tmpl_escape(struct buf *out, const char *s, size_t n);

/* Appends s percent-encoded (all but A-Z a-z 0-9 - . _ ~). */
void tmpl_url_encode(struct buf *out, const char *s);

#endif
