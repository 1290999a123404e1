/* libFuzzer harness: whole HTTP requests against the real server, in this process: libmicrohttpd's
 * parsing, the router (paths, captures, query strings), access checks, and every handler with its query
 * parameters and JSON or form bodies (places, ULDK, WMS, OGC API, tiles, extracts, cases, log-in, the
 * waste module). The input is sent as it is over a loopback connection (then half-closed) and the answer
 * read to the end; a crash, a sanitizer report or a hang in any server thread is a finding.
 *
 * The server serves a private copy of the demo stores in $ODRA_FUZZ_DATA (made by `make fuzz`) with the
 * built-in configuration, on a free port. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "services/module.h"
#include "services/server.h"
#include "util/config.h"

static struct svc_server *srv;
static int port;

static void server_start(void)
{
    static struct config cfg;
    struct err e = {0};
    const char *data = getenv("ODRA_FUZZ_DATA");
    char dir[] = "/tmp/odra-fuzz-http-XXXXXX", cmd[512];
    if (!data || !mkdtemp(dir)) {
        fprintf(stderr, "fuzz_http: set ODRA_FUZZ_DATA to a directory of demo stores (make fuzz does)\n");
        abort();
    }
    snprintf(cmd, sizeof cmd, "cp %s/*.sqlite %s/", data, dir);
    if (system(cmd) != 0 || config_load(&cfg, NULL, &e) || svc_modules_check_config(&cfg, &e)) {
        fprintf(stderr, "fuzz_http: %s\n", e.msg[0] ? e.msg : "cannot copy the stores");
        abort();
    }
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", dir);
    snprintf(cfg.listen_host, sizeof cfg.listen_host, "127.0.0.1");
    cfg.port = 0;
    cfg.head_timeout_s = 2;
    cfg.timeout_s = 2;
    if (svc_server_new(&cfg, &srv, &e) || svc_server_start(srv, &e)) {
        fprintf(stderr, "fuzz_http: %s\n", e.msg);
        abort();
    }
    port = svc_server_port(srv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv)
        server_start();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("fuzz_http: connect");
        abort(); /* the server stopped accepting: a finding */
    }
    for (size_t off = 0; off < size;) {
        ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server may close early on a bad request */
        off += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    /* The first byte of the answer within 20 s (else a hang); then read until the server closes or pauses:
     * a kept-alive connection is not closed after the answer, and a crash aborts the process anyway. */
    char buf[1 << 16];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (int wait_ms = 20000;; wait_ms = 100) {
        int r = poll(&p, 1, wait_ms);
        if (r == 0 && wait_ms == 20000) {
            fprintf(stderr, "fuzz_http: no answer within 20 s\n");
            abort(); /* a hang */
        }
        if (r <= 0 || recv(fd, buf, sizeof buf, 0) <= 0)
            break;
    }
    close(fd);
    return 0;
}
