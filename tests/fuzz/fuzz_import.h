/* The body of the import harnesses (fuzz_app.c, fuzz_geojson.c): the input is written to a file with the
 * given suffix and imported, validation only (the transaction is always rolled back), into a store created
 * once per process, as `odra import --check` does with an untrusted file. */
#ifndef TESTS_FUZZ_IMPORT_H
#define TESTS_FUZZ_IMPORT_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gis/import.h"
#include "gis/store.h"

static struct gis_store *fuzz_store;
static char fuzz_dir[64];

static void fuzz_import_init(void)
{
    snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/odra-fuzz-import-XXXXXX");
    char path[128];
    struct err e = {0};
    if (!mkdtemp(fuzz_dir) || (snprintf(path, sizeof path, "%s/t.sqlite", fuzz_dir),
                               gis_store_open(path, GIS_STORE_CREATE, &fuzz_store, &e))) {
        fprintf(stderr, "fuzz: cannot create the store: %s\n", e.msg);
        abort();
    }
}

static int fuzz_import(const uint8_t *data, size_t size, const char *suffix, const char *collection)
{
    if (!fuzz_store)
        fuzz_import_init();
    char file[128];
    snprintf(file, sizeof file, "%s/in%s", fuzz_dir, suffix);
    FILE *f = fopen(file, "wb");
    if (!f || fwrite(data, 1, size, f) != size) {
        if (f)
            fclose(f);
        return 0;
    }
    fclose(f);
    const char *files[] = {file};
    struct gis_import_opts o = {.collection = collection, .check = true, .teryt = "0805053", .gmina = "Słubice"};
    struct gis_import_stats st = {0};
    struct err e = {0};
    FILE *devnull = fopen("/dev/null", "w");
    gis_import_run(fuzz_store, files, 1, &o, &st, devnull, &e);
    if (devnull)
        fclose(devnull);
    if (st.written)
        abort(); /* a check must never write */
    unlink(file);
    return 0;
}

#endif
