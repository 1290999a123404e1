/* HTTPS with mutual TLS to a twin site (services/twin_client.h). */
#include "services/twin_client.h"
#include "util/cpu.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define TWIN_ANSWER_MAX (64u << 20)

static size_t fetch_write(char *p, size_t sz, size_t n, void *user)
{
    struct twin_fetch *f = user;
    if (f->to)
        return fwrite(p, sz, n, f->to);
    if (f->body.len + sz * n > TWIN_ANSWER_MAX)
        return 0;
    buf_append(&f->body, p, sz * n);
    return f->body.failed ? 0 : sz * n;
}

static size_t fetch_header(char *p, size_t sz, size_t n, void *user)
{
    struct twin_fetch *f = user;
    size_t len = sz * n;
    static const char name[] = "X-Odra-Sha256:";
    if (len > sizeof name && !strncasecmp(p, name, sizeof name - 1)) {
        size_t i = sizeof name - 1, k = 0;
        while (i < len && p[i] == ' ')
            i++;
        while (i < len && k < 64 && ((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            f->sha256[k++] = p[i++];
        f->sha256[k] = 0;
    }
    return len;
}

void twin_client_path(const struct config *c, const char *p, char *out, size_t cap)
{
    if (p[0] == '/')
        snprintf(out, cap, "%s", p);
    else
        snprintf(out, cap, "%s/%s", c->data_dir, p);
}

enum err_code twin_client_exchange(const struct config *c, CURL *h, const char *url, const void *body, size_t len,
                                   long timeout_ms, struct twin_fetch *f, struct err *e)
{
    char cert[1024], key[1024], ca[1024];
    twin_client_path(c, c->twin.cert, cert, sizeof cert);
    twin_client_path(c, c->twin.key, key, sizeof key);
    twin_client_path(c, c->twin.ca, ca, sizeof ca);
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_SSLCERT, cert);
    curl_easy_setopt(h, CURLOPT_SSLKEY, key);
    curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 2000 ? timeout_ms : 2000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, fetch_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, f);
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/vnd.odra.twin-frames");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    cpu_yield(); /* the twin's round trip */
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hdr);
    f->status = 0;
    if (rc != CURLE_OK)
        return err_set(e, ERR_UNAVAILABLE, "twin %s: %s", url, curl_easy_strerror(rc));
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &f->status);
    return ERR_OK;
}

enum err_code twin_client_http(const struct config *c, const char *url, const void *body, size_t len, long timeout_ms,
                               struct twin_fetch *f, struct err *e)
{
    CURL *h = curl_easy_init();
    if (!h)
        return err_set(e, ERR_INTERNAL, "curl_easy_init failed");
    enum err_code rc = twin_client_exchange(c, h, url, body, len, timeout_ms, f, e);
    curl_easy_cleanup(h);
    return rc;
}

enum err_code twin_client_download(const struct config *c, const char *url, const char *path, char sha256[65],
                                   struct err *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_set(e, ERR_IO, "%s: cannot create", path);
    struct twin_fetch f = {.to = fdopen(fd, "wb")};
    if (!f.to) {
        close(fd);
        unlink(path);
        return err_set(e, ERR_IO, "%s: cannot open", path);
    }
    enum err_code rc = twin_client_http(c, url, NULL, 0, 600000, &f, e);
    bool ok = fflush(f.to) == 0 && fsync(fileno(f.to)) == 0;
    fclose(f.to);
    if (!rc && f.status != 200)
        rc = err_set(e, ERR_UNAVAILABLE, "twin %s: HTTP %ld", url, f.status);
    if (!rc && (!ok || !f.sha256[0]))
        rc = err_set(e, ERR_IO, "%s: incomplete snapshot", path);
    if (rc) {
        unlink(path);
        return rc;
    }
    memcpy(sha256, f.sha256, 65);
    return ERR_OK;
}
