/* Case numbers (znak sprawy, JRWA) and their sequences, for every kind of case an office handles:
 * extracts today, permits and letters next. A case number is the office's pattern, e.g.
 * "GP.6727.{seq}.{year}" (its JRWA symbol, then the running number of the year and the year), filled
 * with a number drawn from the per-year sequence in the tenant store (table case_sequences, core
 * migration 003), which never repeats a number within a year. */
#ifndef GIS_CASES_H
#define GIS_CASES_H
#include "gis/store.h"
#include "util/arena.h"
#include "util/err.h"

/* The case number from a pattern with {seq} and {year} ("GP.6727.{seq}.{year}"); NULL or "" is
 * "{seq}/{year}". Other text is copied as it is. In the arena; NULL when out of memory. */
char *gis_case_number(struct arena *a, const char *format, long seq, int year);

/* The next number of year's sequence on the writer, in the caller's transaction (so a rollback gives it
 * back): 1 for the first case of a year. */
enum err_code gis_case_seq_next(struct gis_store *w, int year, long *seq, struct err *e);

#endif
