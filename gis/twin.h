/* Twin replication of a tenant store (docs/twins.md): every committed write transaction of a primary
 * becomes a frame (an SQLite session changeset with its tenant, term, change id, schema version and
 * SHA-256), kept in the store's outbox (table twin_outbox, written in the same transaction as the data, so
 * a commit and its frame exist together or not at all) until the twin acknowledges it. The twin applies
 * frames in id order to its replica, conflicts being errors. A term number, raised by each promotion, is
 * carried by every frame; a store of an older term is fenced.
 *
 * The role of a store is kept in the store (table twin_state), so every writer honours it: a replica or a
 * fenced store refuses gis_store_begin (ERR_UNAVAILABLE), except the applier's own transactions. Tables
 * named twin_* and SpatiaLite's bookkeeping (R*Tree shadow tables, geometry_columns_time, statistics) are
 * not replicated: the twin's own SpatiaLite triggers maintain them. Schema migrations are not replicated
 * either: both sides run the same odra, which migrates both stores identically, and a frame whose schema
 * version differs from the replica's is refused. Frames' memory belongs to their caller. */
#ifndef GIS_TWIN_H
#define GIS_TWIN_H
#include <stdbool.h>
#include <stddef.h>

#include "gis/store.h"
#include "util/buf.h"
#include "util/err.h"

#define GIS_TWIN_MAGIC     "ODRATWN1"
#define GIS_TWIN_MAX_FRAME (64u << 20) /* a changeset larger than this is refused by the parser */

enum gis_twin_role { GIS_TWIN_NONE = 0, GIS_TWIN_PRIMARY, GIS_TWIN_REPLICA, GIS_TWIN_FENCED };

/* One frame. changeset points into the parsed buffer (or the caller's memory when encoding). */
struct gis_twin_frame {
    char tenant[32];
    long long term, id;
    int schema;
    const unsigned char *changeset;
    size_t len;
    unsigned char sha256[32]; /* of everything before it in the encoded frame */
};

/* Appends the encoding of f to out (f->sha256 is computed, not read):
 * "ODRATWN1", u64 term, u64 id, u32 schema, u8 tenant length, tenant, u32 changeset length, changeset,
 * SHA-256 (32 bytes) of all before it; integers big-endian. */
void gis_twin_frame_encode(const struct gis_twin_frame *f, struct buf *out);

/* Parses one frame from p[0..n): on success f points into p and *used is its encoded length. Checks the
 * magic, the lengths against n and GIS_TWIN_MAX_FRAME, the tenant's characters (a slug), positive id and
 * term, and the SHA-256. ERR_INVALID naming what is wrong otherwise. Never reads past p + n. */
enum err_code gis_twin_frame_parse(const unsigned char *p, size_t n, struct gis_twin_frame *f, size_t *used,
                                   struct err *e);

/* What a store's twin_state says, and its outbox. last_id: a primary's highest frame id captured (or, after
 * a promotion, applied), a replica's last applied; acked: the highest id the twin acknowledged (a primary's);
 * pending: outbox frames above acked. All 0 with GIS_TWIN_NONE. */
struct gis_twin_status {
    enum gis_twin_role role;
    long long term, last_id, acked, pending;
    bool solo; /* promoted, and no twin has acknowledged a frame of it since (gis_twin_ack clears it) */
};
const char *gis_twin_role_name(enum gis_twin_role r);
enum err_code gis_twin_status_read(struct gis_store *s, struct gis_twin_status *st, struct err *e);

/* Makes the writer w's store a primary of term (creating the twin tables if missing): from its next
 * transaction every commit writes a frame. A store already primary keeps its term and outbox. */
enum err_code gis_twin_make_primary(struct gis_store *w, long long term, struct err *e);

/* Makes the writer w's store (a fresh copy of a primary's, e.g. a snapshot) a replica of term that has
 * applied everything up to last_id; empties the outbox copied with it. */
enum err_code gis_twin_make_replica(struct gis_store *w, long long term, long long last_id, struct err *e);

/* Fences the writer w's store: it saw a newer term (term) elsewhere. Its writes are refused from now on. */
enum err_code gis_twin_fence(struct gis_store *w, long long term, struct err *e);

/* Takeover on a replica: raises the term by one and makes it the primary; its frames continue from its
 * last applied id. Returns the new term in *term. */
enum err_code gis_twin_promote(struct gis_store *w, long long *term, struct err *e);

/* Work done inside a takeover's transaction on the writer w; an error code (set in e) rolls it back. */
typedef enum err_code (*gis_twin_tx_fn)(struct gis_store *w, void *ctx, struct err *e);

/* gis_twin_promote, with fn(w, ctx) run in the same transaction after the new role and term (not captured as
 * a frame: a twin joins the promoted store from a snapshot). If fn fails, nothing changes: the store stays a
 * replica of its old term. */
enum err_code gis_twin_promote_with(struct gis_store *w, long long *term, gis_twin_tx_fn fn, void *ctx, struct err *e);

/* Applies frame f on the replica w in its own transaction (which also records the applied id). A frame
 * at or below the applied id is already there: ERR_OK, nothing done. ERR_CONFLICT for a term older than the
 * replica's (a stale primary: the caller tells it so) or an id past the next one (a gap); ERR_INVALID for
 * another tenant or schema version; ERR_UNPROCESSABLE when the changeset does not apply cleanly (nothing
 * is applied). ERR_UNAVAILABLE when w is not a replica. */
enum err_code gis_twin_apply(struct gis_store *w, const char *tenant, const struct gis_twin_frame *f, struct err *e);

/* The checks of gis_twin_apply that write nothing, on any connection s to a replica's store (a reader while
 * its writer applies): the tenant, the term (not older than term: ERR_CONFLICT), the id (after + 1; *dup and
 * ERR_OK at or below after; ERR_CONFLICT past it), the schema version, and the changeset's structure and
 * tables (ERR_UNPROCESSABLE). Whether the changes apply cleanly only gis_twin_apply finds. */
enum err_code gis_twin_check(struct gis_store *s, const char *tenant, long long term, long long after,
                             const struct gis_twin_frame *f, bool *dup, struct err *e);

/* Calls fn for each outbox frame of s with id > after, in id order, at most max of them (tenant copied
 * from tenant); stops at fn's first error and returns it. */
enum err_code gis_twin_outbox_each(struct gis_store *s, const char *tenant, long long after, int max,
                                   enum err_code (*fn)(const struct gis_twin_frame *f, void *ctx, struct err *e),
                                   void *ctx, struct err *e);

/* Records on the primary's writer w that the twin acknowledged up to id and drops those frames. */
enum err_code gis_twin_ack(struct gis_store *w, long long id, struct err *e);

/* The content hash of s for `odra twin verify`: SHA-256 over every replicated table's rows in primary-key
 * order (names, then values as SQLite quotes them), as 64 hex digits in hex[65], with the change id it is
 * taken at in *at. Read in one read transaction. */
enum err_code gis_twin_content_hash(struct gis_store *s, char hex[65], long long *at, struct err *e);

/* The hooks of gis/store.c on a writer: opened (reads the role), begin (refuses on a replica or a fenced
 * store unless gis_twin_applying; starts capture on a primary), commit (writes the frame, before COMMIT)
 * and end (after commit or rollback). */
void gis_twin_store_opened(struct gis_store *w);
enum err_code gis_twin_store_begin(struct gis_store *w, struct err *e);
enum err_code gis_twin_store_commit(struct gis_store *w, struct err *e);
void gis_twin_store_end(struct gis_store *w, bool committed);
void gis_twin_store_free(struct gis_store *w);

/* The role of the writer w's store as its connection knows it; thread-safe read. */
enum gis_twin_role gis_twin_store_role(struct gis_store *w);

/* The highest frame id w captured so far (0 when not a primary); thread-safe read. */
long long gis_twin_store_last_id(struct gis_store *w);

#endif
