/* libFuzzer harness: the twin protocol's frames (gis/twin.c). The input is read as a body of frames, as the
 * twin listener reads it (every frame parsed, each one that parses applied to a scratch replica); and, with
 * its own valid header and hash around it, as a changeset applied to the replica, so that the changeset
 * reader and the conflict handling are reached past the SHA-256 check. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/store.h"
#include "gis/twin.h"

static struct gis_store *replica;
static char path[64];

static void replica_remove(void)
{
    char p[80];
    for (const char *const *sfx = (const char *const[]){"", "-wal", "-shm", NULL}; *sfx; sfx++) {
        snprintf(p, sizeof p, "%s%s", path, *sfx);
        unlink(p);
    }
}

static struct gis_store *replica_open(void)
{
    snprintf(path, sizeof path, "/tmp/odra-fuzz-twin-%d.sqlite", (int)getpid());
    unlink(path);
    struct err e = {0};
    struct gis_store *w = NULL;
    if (gis_store_open(path, GIS_STORE_CREATE, &w, &e) || gis_twin_make_replica(w, 1, 0, &e)) {
        fprintf(stderr, "fuzz_twin: %s\n", e.msg);
        abort();
    }
    atexit(replica_remove);
    return w;
}

static void apply_all(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        struct gis_twin_frame f;
        size_t used;
        struct err e = {0};
        if (gis_twin_frame_parse(data + off, size - off, &f, &used, &e))
            return;
        if (used == 0 || used > size - off || f.changeset < data || f.changeset + f.len > data + size)
            abort(); /* the parser must stay inside its input */
        struct err ae = {0};
        gis_twin_apply(replica, "slubice", &f, &ae);
        off += used;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!replica)
        replica = replica_open();
    apply_all(data, size);
    struct gis_twin_status st;
    struct err e = {0};
    gis_twin_status_read(replica, &st, &e);
    struct gis_twin_frame f = {.tenant = "slubice",
                               .term = 1,
                               .id = st.last_id + 1,
                               .schema = gis_store_version(replica),
                               .changeset = data,
                               .len = size};
    struct buf b = {0};
    gis_twin_frame_encode(&f, &b);
    if (!b.failed)
        apply_all((const uint8_t *)b.data, b.len);
    buf_free(&b);
    return 0;
}
