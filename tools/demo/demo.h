/* Demo data: a deterministic, realistic store for one of the five gminas of powiat słubicki. */
#ifndef TOOLS_DEMO_H
#define TOOLS_DEMO_H
#include "util/config.h"
#include "util/err.h"

struct gis_demo_stats {
    long obreby, parcels, localities, streets, addresses, buildings, plans, plan_zones, pog_zones, overlays, provisions;
};

/* Progress callback: done in [0, 1]. May be NULL. */
typedef void (*gis_demo_progress_fn)(void *user, const char *stage, double done);

/* Creates (or, when the file exists, replaces) the store at path with demo data for tenant t, whose
 * teryt must be one of the five demo gminas. scale >= 1 multiplies parcels and addresses (scale 25
 * gives about 1,000,000 parcels over the five gminas). The same seed gives the same store. The store is
 * written to path.tmp first and renamed into place, so a failure leaves no partial store. */
enum err_code gis_demo_create(const char *path, const struct config_tenant *t, int scale, unsigned long long seed,
                              gis_demo_progress_fn progress, void *user, struct gis_demo_stats *stats, struct err *e);

#endif
