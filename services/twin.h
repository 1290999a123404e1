/* Twin sites (docs/twins.md): the TLS listener that takes a partner's frames, the shipper that sends this
 * site's, the synchronous acknowledgement of submissions, takeover and the `odra twin` commands. The stores'
 * side (frames, roles, terms) is gis/twin.h. One twin state per process. */
#ifndef SERVICES_TWIN_H
#define SERVICES_TWIN_H
#include <jansson.h>
#include <stdbool.h>

#include "services/http.h"
#include "services/server.h"
#include "util/config.h"
#include "util/err.h"

/* At server start, for each tenant whose writer opened: makes a store named in [twin] primary that has no
 * role the primary of term 1, and hides a replica from public requests (svc_tenant_twin_hidden). */
enum err_code svc_twin_tenant_opened(const struct config *cfg, struct svc_tenant *t, struct err *e);

/* Whether t's store is a twin replica: nothing of it is served until a promotion. */
bool svc_tenant_twin_hidden(const struct svc_tenant *t);

/* Starts the TLS listener and the shipper when [twin] is configured; ERR_OK doing nothing otherwise. */
enum err_code svc_twin_start(struct svc_server *s, struct err *e);
void svc_twin_stop(void);

/* In the dispatcher, for a request of a twin primary's gmina that may write: before the handler, refuses
 * (ERR_UNAVAILABLE, in Polish) when the twin is known unreachable and the gmina's mode is refuse; after a
 * successful handler, waits until the twin acknowledged every frame written so far, and when it does not
 * within ack_timeout_ms refuses in refuse mode, or marks the answer "Odra-Replication: pending" in outbox
 * mode. */
enum err_code svc_twin_before_write(struct http_req *req, struct err *e);
enum err_code svc_twin_after_write(struct http_req *req, struct http_resp *resp, struct err *e);

/* The tenant's twin state for /health: role, term, last frame, acknowledged, pending, the twin's
 * reachability and mode; NULL when the tenant is not twinned. */
json_t *svc_twin_health(const struct svc_tenant *t);

/* The running server's shared hold of <data>/twin.lock (taken by svc_twin_start), and rejoin's exclusive one:
 * ERR_CONFLICT, naming the server, while a server of that data directory runs. *fd is closed at exit. */
enum err_code svc_twin_serve_lock(const struct config *c, struct err *e);
enum err_code svc_twin_rejoin_lock(const struct config *c, int *fd, struct err *e);

/* `odra twin status|promote|rejoin|verify ...` (argv[0] is "twin"). Returns the exit status. */
int cli_twin(int argc, char **argv);

#endif
