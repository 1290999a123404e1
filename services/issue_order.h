/* Writes that print their case number before they take the writer (extracts issued at once): the slow part
 * (rendering, sealing) runs outside the write transaction with a number foreseen, and the writes commit in the
 * order of the numbers, several in one transaction, so that one fsync acknowledges them all.
 *
 * svc_issue_reserve hands out a ticket and the number it foresees: the year's last committed number (read
 * on the writer when nothing is outstanding) plus the tickets before it. The caller renders, then calls
 * svc_issue_commit exactly once per ticket, with fn NULL to give it up. The commit waits for every earlier
 * ticket; the oldest waiting ticket leads and runs the ready tickets after it, in order, in one transaction
 * (svc_tenant_write), or, when that one fails, each in its own. fn draws the number on the writer and must
 * check it against the one it foresaw: another write (another module's case, a ticket given up) may have
 * taken it, and the document is then rendered again inside the transaction. A number is therefore drawn
 * only in the transaction that stores the document printing it: a crash loses at most the unacknowledged
 * tail, never leaves a gap or a repeat. fn may run twice (the batch rolled back, then alone): it must not
 * keep anything from a run that did not commit. fn runs on the leader's thread while the caller waits. */
#ifndef SERVICES_ISSUE_ORDER_H
#define SERVICES_ISSUE_ORDER_H
#include "services/server.h"

struct svc_issue_order *svc_issue_order_new(void);
void svc_issue_order_free(struct svc_issue_order *o);

/* A ticket of t (whose issue_order is set) for a number of year's sequence; *seq is the number foreseen. */
enum err_code svc_issue_reserve(struct svc_tenant *t, int year, unsigned long *ticket, long *seq, struct err *e);

/* Runs fn(ctx) on t's writer in ticket order (see above) and returns once it is committed: ERR_OK, or its
 * error or the commit's, recorded in e. fn NULL gives the ticket up (ERR_OK). */
enum err_code svc_issue_commit(struct svc_tenant *t, unsigned long ticket, svc_write_fn fn, void *ctx, struct err *e);

#endif
