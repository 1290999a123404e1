/* Messages and attachments of cases in the tenant store (tables case_messages and case_attachments,
 * data/migrations/007_case_messages.sql): what the clerk and the resident write to each other on a case,
 * and the files attached to it, kept with their detected media type and SHA-256. SQL stays here; writes run
 * on the writer inside the caller's transaction (svc_tenant_write). Strings read back live in the arena. */
#ifndef GIS_CASE_MESSAGES_H
#define GIS_CASE_MESSAGES_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/store.h"
#include "util/arena.h"
#include "util/err.h"

/* A message. author_kind is "resident", "staff" or "system"; the read times are NULL until read. */
struct gis_case_message {
    long long id;
    const char *at, *author_kind, *author_login, *body;
    const char *read_by_resident_at, *read_by_staff_at;
};

/* An attachment: its metadata, and its bytes when read with data (else data NULL). message_id 0: none. */
struct gis_case_attachment {
    long long id, message_id;
    const char *case_id, *file_name, *media_type, *sha256, *uploaded_at, *uploader_kind, *uploader_login;
    size_t size;
    const void *data;
};

/* The longest message body, in code points. */
#define GIS_CASE_MESSAGE_MAX 5000
/* The longest stored file name, in bytes. */
#define GIS_CASE_FILE_NAME_MAX 200

/* A message body as stored: NULL when s is not valid UTF-8 or longer than GIS_CASE_MESSAGE_MAX code
 * points (the caller answers 422); else with CR, control characters other than LF and tab, and
 * bidirectional overrides dropped, and outer whitespace trimmed (may be ""). In a. */
char *gis_case_message_clean(struct arena *a, const char *s, size_t len);

/* A file name as given made safe to store and to send back: its last path component (after '/' or '\'),
 * invalid UTF-8, control characters and bidirectional overrides dropped, leading dots and outer spaces
 * trimmed, cut to GIS_CASE_FILE_NAME_MAX bytes at a character boundary keeping the extension; "zalacznik"
 * when nothing is left. Never NULL unless out of memory. In a. */
char *gis_case_file_name_clean(struct arena *a, const char *name);

/* Adds a message to case case_id (at is now); *id gets its id. */
enum err_code gis_case_message_add(struct gis_store *w, const char *case_id, const char *author_kind,
                                   const char *author_login, const char *body, long long *id, struct err *e);

/* Adds an attachment (its case_id, message_id, file_name, media_type, sha256, size, data, uploader_*;
 * uploaded_at is now); *id gets its id. */
enum err_code gis_case_attachment_add(struct gis_store *w, const struct gis_case_attachment *a, long long *id,
                                      struct err *e);

/* How many attachments case case_id holds. */
enum err_code gis_case_attachment_count(struct gis_store *s, const char *case_id, int *n, struct err *e);

/* The messages of case case_id, oldest first, in a. */
enum err_code gis_case_messages(struct gis_store *s, struct arena *a, const char *case_id,
                                struct gis_case_message **out, int *n, struct err *e);

/* The attachments of case case_id (metadata only), oldest first, in a. */
enum err_code gis_case_attachments(struct gis_store *s, struct arena *a, const char *case_id,
                                   struct gis_case_attachment **out, int *n, struct err *e);

/* Attachment id of case case_id, with its bytes in a. ERR_NOT_FOUND when the case has no such attachment
 * (another case's attachment is not found either). */
enum err_code gis_case_attachment_get(struct gis_store *s, struct arena *a, const char *case_id, long long id,
                                      struct gis_case_attachment *out, struct err *e);

/* Marks the messages of case case_id the reader has not read yet as read now: reader "resident" marks the
 * staff's and system's messages, "staff" the resident's. *marked (may be NULL) gets how many. */
enum err_code gis_case_messages_mark_read(struct gis_store *w, const char *case_id, const char *reader, int *marked,
                                          struct err *e);

/* How many messages of case case_id the reader ("resident" or "staff") has not read. */
enum err_code gis_case_messages_unread(struct gis_store *s, const char *case_id, const char *reader, int *n,
                                       struct err *e);

#endif
