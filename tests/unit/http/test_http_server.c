/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP server on loopback with an ephemeral port, driven by libcurl. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>
#include <curl/curl.h>

#include "http/http.h"

#define REPLY_MAX 8192

struct reply {
    long status;
    CURLcode curl_rc;
    char body[REPLY_MAX];
    size_t len;
    char request_id[64];
    char allow[128];
    char content_type[128];
};

struct call {
    const char *method;
    const char *path;
    const char *body;
    size_t body_len;
    bool chunked;
    const char *header;
    const char *https_ca;
};

static atomic_int counted;
static atomic_bool slow_started;
static uint16_t current_port;

static void
sleep_ms(long ms)
{
    struct timespec ts = { .tv_sec = ms / 1000,
                           .tv_nsec = (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

/*
 * Handlers
 */

static enum fusion_err
h_params(struct fusion_http_request *req, struct fusion_http_response *resp,
         void *ctx)
{
    (void)ctx;
    return fusion_buf_printf(fusion_http_response_body(resp), "%s|%s|%s|%s",
                             fusion_http_request_param(req, "api_root"),
                             fusion_http_request_param(req, "id"),
                             fusion_http_request_param(req, "object_id"),
                             fusion_http_request_method(req));
}

static enum fusion_err
h_query(struct fusion_http_request *req, struct fusion_http_response *resp,
        void *ctx)
{
    struct fusion_buf *b = fusion_http_response_body(resp);
    const char *keys[] = { "match[type]", "x", "flag", "sp", "none" };
    enum fusion_err rc = FUSION_OK;

    (void)ctx;
    for (size_t k = 0; k < 5 && !rc; k++) {
        const char *const *values;
        size_t n = fusion_http_request_query_all(req, keys[k], &values);

        rc = fusion_buf_printf(b, "%s=%zu:", keys[k], n);
        for (size_t i = 0; i < n && !rc; i++)
            rc = fusion_buf_printf(b, "[%s]", values[i]);
        if (!rc)
            rc = fusion_buf_putc(b, ';');
    }
    return rc;
}

static enum fusion_err
h_items(struct fusion_http_request *req, struct fusion_http_response *resp,
        void *ctx)
{
    size_t len;

    (void)ctx;
    fusion_http_request_body(req, &len);
    fusion_http_response_set_status(resp, 201);
    return fusion_buf_printf(fusion_http_response_body(resp), "%zu", len);
}

static enum fusion_err
h_info(struct fusion_http_request *req, struct fusion_http_response *resp,
       void *ctx)
{
    const char *custom = fusion_http_request_header(req, "x-custom-header");
    enum fusion_err rc;

    (void)ctx;
    rc = fusion_http_response_add_header(resp, "Content-Type", "text/plain");
    if (rc)
        return rc;
    return fusion_buf_printf(fusion_http_response_body(resp), "%s|%s|%s",
                             fusion_http_request_id(req),
                             fusion_http_request_peer(req),
                             custom ? custom : "(none)");
}

static enum fusion_err
h_fail(struct fusion_http_request *req, struct fusion_http_response *resp,
       void *ctx)
{
    (void)req;
    (void)ctx;
    if (fusion_buf_puts(fusion_http_response_body(resp), "partial"))
        return FUSION_ERR_NOMEM;
    return FUSION_ERR_DB;
}

static enum fusion_err
h_gone(struct fusion_http_request *req, struct fusion_http_response *resp,
       void *ctx)
{
    (void)req;
    (void)ctx;
    fusion_http_response_set_status(resp, 404);
    return FUSION_ERR_NOTFOUND;
}

static enum fusion_err
h_bad_header(struct fusion_http_request *req, struct fusion_http_response *resp,
             void *ctx)
{
    (void)req;
    (void)ctx;
    if (fusion_http_response_add_header(resp, "X-Evil", "a\r\nSet-Cookie: x") !=
        FUSION_ERR_INVALID)
        return FUSION_ERR_INTERNAL;
    if (fusion_http_response_add_header(resp, "Bad Name", "v") !=
        FUSION_ERR_INVALID)
        return FUSION_ERR_INTERNAL;
    return fusion_buf_puts(fusion_http_response_body(resp), "rejected");
}

static enum fusion_err
h_slow(struct fusion_http_request *req, struct fusion_http_response *resp,
       void *ctx)
{
    (void)req;
    (void)ctx;
    atomic_store(&slow_started, true);
    sleep_ms(400);
    return fusion_buf_puts(fusion_http_response_body(resp), "done");
}

static enum fusion_err
h_count(struct fusion_http_request *req, struct fusion_http_response *resp,
        void *ctx)
{
    (void)req;
    (void)ctx;
    atomic_fetch_add(&counted, 1);
    return fusion_buf_puts(fusion_http_response_body(resp), "ok");
}

static const struct {
    const char *method;
    const char *pattern;
    fusion_http_handler_fn fn;
} routes[] = {
    { "GET", "/taxii2/{api_root}/collections/{id}/objects/{object_id}/",
      h_params },
    { "DELETE", "/taxii2/{api_root}/collections/{id}/objects/{object_id}/",
      h_params },
    { "GET", "/query/", h_query },
    { "POST", "/items/", h_items },
    { "PUT", "/items/", h_items },
    { "GET", "/info/", h_info },
    { "GET", "/fail/", h_fail },
    { "GET", "/gone/", h_gone },
    { "GET", "/bad-header/", h_bad_header },
    { "GET", "/slow/", h_slow },
    { "GET", "/count/", h_count },
};

/*
 * Client side
 */

static size_t
on_body(char *data, size_t size, size_t n, void *userdata)
{
    struct reply *r = userdata;
    size_t len = size * n;
    size_t room = REPLY_MAX - 1 - r->len;

    memcpy(r->body + r->len, data, len < room ? len : room);
    r->len += len < room ? len : room;
    r->body[r->len] = '\0';
    return len;
}

static void
copy_header(char *dst, size_t cap, const char *line, size_t len,
            const char *name)
{
    size_t nlen = strlen(name);

    if (len <= nlen || strncasecmp(line, name, nlen) != 0)
        return;
    line += nlen;
    len -= nlen;
    while (len && (*line == ' '))
        line++, len--;
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        len--;
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, line, len);
    dst[len] = '\0';
}

static size_t
on_header(char *line, size_t size, size_t n, void *userdata)
{
    struct reply *r = userdata;
    size_t len = size * n;

    copy_header(r->request_id, sizeof(r->request_id), line, len,
                "X-Request-ID:");
    copy_header(r->allow, sizeof(r->allow), line, len, "Allow:");
    copy_header(r->content_type, sizeof(r->content_type), line, len,
                "Content-Type:");
    return len;
}

struct upload {
    const char *data;
    size_t len;
    size_t pos;
};

static size_t
on_read(char *buf, size_t size, size_t n, void *userdata)
{
    struct upload *u = userdata;
    size_t len = size * n;

    if (len > u->len - u->pos)
        len = u->len - u->pos;
    memcpy(buf, u->data + u->pos, len);
    u->pos += len;
    return len;
}

static void
perform(CURL *curl, const struct call *c, struct reply *r)
{
    char url[512];
    char resolve[64];
    struct curl_slist *headers = NULL;
    struct curl_slist *hosts = NULL;
    struct upload up = { .data = c->body, .len = c->body_len };

    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "%s://%s:%u%s", c->https_ca ? "https" : "http",
             c->https_ca ? "localhost" : "127.0.0.1", (unsigned)current_port,
             c->path);
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (c->method)
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, c->method);
    if (c->body && c->chunked) {
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(curl, CURLOPT_READDATA, &up);
        headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
    } else if (c->body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)c->body_len);
    }
    if (c->header)
        headers = curl_slist_append(headers, c->header);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (c->https_ca) {
        snprintf(resolve, sizeof(resolve), "localhost:%u:127.0.0.1",
                 (unsigned)current_port);
        hosts = curl_slist_append(hosts, resolve);
        curl_easy_setopt(curl, CURLOPT_RESOLVE, hosts);
        curl_easy_setopt(curl, CURLOPT_CAINFO, c->https_ca);
    }
    r->curl_rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(headers);
    curl_slist_free_all(hosts);
}

static void
request(const struct call *c, struct reply *r)
{
    CURL *curl = curl_easy_init();

    assert_non_null(curl);
    perform(curl, c, r);
    curl_easy_cleanup(curl);
}

static struct fusion_http_server *
start_with(struct fusion_http_config cfg)
{
    struct fusion_http_server *srv;
    struct fusion_error err;

    cfg.port = 0;
    if (!cfg.threads)
        cfg.threads = 4;
    assert_int_equal(fusion_http_server_new(&cfg, &srv, &err), FUSION_OK);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        assert_int_equal(fusion_http_server_route(srv, routes[i].method,
                                                  routes[i].pattern,
                                                  routes[i].fn, NULL, &err),
                         FUSION_OK);
    assert_int_equal(fusion_http_server_start(srv, &err), FUSION_OK);
    current_port = fusion_http_server_port(srv);
    assert_true(current_port != 0);
    return srv;
}

static struct fusion_http_server *
start_default(void)
{
    return start_with((struct fusion_http_config){ .max_body_bytes = 1024 });
}

/*
 * Tests
 */

static void
test_http_route_params_decoded(void **state)
{
    struct fusion_http_server *srv = start_default();
    struct reply r;

    (void)state;
    request(&(struct call){ .path = "/taxii2/api1/collections/c%2F1%20x/"
                                    "objects/indicator--9/" },
            &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "api1|c/1 x|indicator--9|GET");

    request(&(struct call){ .method = "DELETE",
                            .path = "/taxii2/a/collections/b/objects/c/" },
            &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "a|b|c|DELETE");
    fusion_http_server_stop(srv);
}

static void
test_http_not_found(void **state)
{
    struct fusion_http_server *srv = start_default();
    struct reply r;

    (void)state;
    request(&(struct call){ .path = "/nope/" }, &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body,
                        "{\"title\": \"not found\", \"http_status\": \"404\"}");
    assert_string_equal(r.content_type, "application/json");

    /* the trailing slash is part of the path; an empty segment is no id */
    request(&(struct call){ .path = "/query" }, &r);
    assert_int_equal(r.status, 404);
    request(&(struct call){ .path = "/taxii2/a/collections//objects/c/" }, &r);
    assert_int_equal(r.status, 404);
    fusion_http_server_stop(srv);
}

static void
test_http_method_not_allowed_lists_allow(void **state)
{
    struct fusion_http_server *srv = start_default();
    struct reply r;

    (void)state;
    request(&(struct call){ .path = "/items/" }, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "POST, PUT");
    assert_non_null(strstr(r.body, "\"http_status\": \"405\""));

    request(&(struct call){ .method = "POST",
                            .path = "/taxii2/a/collections/b/objects/c/",
                            .body = "",
                            .body_len = 0 },
            &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "GET, DELETE");
    fusion_http_server_stop(srv);
}

static void
test_http_query_repeated_and_decoded(void **state)
{
    struct fusion_http_server *srv = start_default();
    struct reply r;

    (void)state;
    request(&(struct call){ .path = "/query/?match[type]=indicator"
                                    "&x=a%2Cb%26c&match%5Btype%5D=malware"
                                    "&flag&sp=one+two%2B3" },
            &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "match[type]=2:[indicator][malware];"
                                "x=1:[a,b&c];flag=1:[];sp=1:[one two+3];"
                                "none=0:;");
    fusion_http_server_stop(srv);
}

static void
test_http_bad_percent_encoding(void **state)
{
    struct fusion_http_server *srv = start_default();
    struct reply r;

    (void)state;
    request(&(struct call){ .path = "/query/?x=%zz" }, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"http_status\": \"400\""));
    request(&(struct call){ .path = "/query/?x=%4" }, &r);
    assert_int_equal(r.status, 400);
    request(&(struct call){ .path = "/query/?x=a%00b" }, &r);
    assert_int_equal(r.status, 400);
    request(&(struct call){ .path = "/taxii2/a%G1/collections/b/objects/c/" },
            &r);
    assert_int_equal(r.status, 400);
    fusion_http_server_stop(srv);
}

static void
test_http_body_within_limit(void **state)
{
    struct fusion_http_server *srv = start_default();
    char body[1024];
    struct reply r;

    (void)state;
    memset(body, 'a', sizeof(body));
    request(&(struct call){ .method = "POST",
                            .path = "/items/",
                            .body = body,
                            .body_len = sizeof(body) },
            &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body, "1024");
    request(&(struct call){ .method = "PUT",
                            .path = "/items/",
                            .body = body,
                            .body_len = 1000,
                            .chunked = true },
            &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body, "1000");
    fusion_http_server_stop(srv);
}

static void
test_http_body_limit_413(void **state)
{
    struct fusion_http_server *srv = start_default();
    static char body[256 * 1024];
    struct reply r;

    (void)state;
    memset(body, 'b', sizeof(body));
    request(&(struct call){ .method = "POST",
                            .path = "/items/",
                            .body = body,
                            .body_len = 1025 },
            &r);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "\"http_status\": \"413\""));
    request(&(struct call){ .method = "POST",
                            .path = "/items/",
                            .body = body,
                            .body_len = sizeof(body) },
            &r);
    assert_int_equal(r.status, 413);

    /* no declared length: cut off once the limit is passed */
    request(&(struct call){ .method = "PUT",
                            .path = "/items/",
                            .body = body,
                            .body_len = sizeof(body),
                            .chunked = true },
            &r);
    assert_true(r.status == 413 || r.curl_rc != CURLE_OK);
    fusion_http_server_stop(srv);
}

static void
test_http_request_id_header(void **state)
{
    struct fusion_http_server *srv = start_default();
    struct reply a;
    struct reply b;
    char expect[128];

    (void)state;
    request(
        &(struct call){ .path = "/info/", .header = "X-Custom-Header: hello" },
        &a);
    request(&(struct call){ .path = "/nope/" }, &b);
    assert_int_equal(a.status, 200);
    assert_int_equal(strlen(a.request_id), FUSION_UUID_LEN);
    assert_int_equal(strlen(b.request_id), FUSION_UUID_LEN);
    assert_string_not_equal(a.request_id, b.request_id);
    /* the handler sees the same id, the peer and headers in any case */
    snprintf(expect, sizeof(expect), "%s|127.0.0.1|hello", a.request_id);
    assert_string_equal(a.body, expect);
    assert_string_equal(a.content_type, "text/plain");
    fusion_http_server_stop(srv);
}

static void
test_http_handler_error_500_json(void **state)
{
    struct fusion_http_server *srv = start_with((struct fusion_http_config){
        .error_content_type = "application/taxii+json;version=2.1" });
    struct reply r;

    (void)state;
    request(&(struct call){ .path = "/fail/" }, &r);
    assert_int_equal(r.status, 500);
    assert_string_equal(
        r.body,
        "{\"title\": \"internal server error\", \"http_status\": \"500\"}");
    assert_string_equal(r.content_type, "application/taxii+json;version=2.1");

    /* a status the handler chose is kept */
    request(&(struct call){ .path = "/gone/" }, &r);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "\"http_status\": \"404\""));
    fusion_http_server_stop(srv);
}

static void
test_http_response_header_injection_rejected(void **state)
{
    struct fusion_http_server *srv = start_default();
    struct reply r;

    (void)state;
    request(&(struct call){ .path = "/bad-header/" }, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "rejected");
    fusion_http_server_stop(srv);
}

static void
test_http_plain_refused_off_loopback(void **state)
{
    struct fusion_http_server *srv = NULL;
    struct fusion_error err;

    (void)state;
    assert_int_equal(
        fusion_http_server_new(
            &(struct fusion_http_config){ .bind_address = "0.0.0.0" }, &srv,
            &err),
        FUSION_ERR_INVALID);
    assert_null(srv);
    assert_non_null(strstr(err.message, "plain HTTP"));
    assert_int_equal(
        fusion_http_server_new(
            &(struct fusion_http_config){ .bind_address = "192.0.2.7" }, &srv,
            &err),
        FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_http_server_new(
            &(struct fusion_http_config){ .bind_address = "localhost" }, &srv,
            &err),
        FUSION_ERR_INVALID);

    /* loopback, or an explicit choice, is allowed */
    assert_int_equal(
        fusion_http_server_new(
            &(struct fusion_http_config){ .bind_address = "::1" }, &srv, &err),
        FUSION_OK);
    fusion_http_server_free(srv);
    assert_int_equal(
        fusion_http_server_new(
            &(struct fusion_http_config){ .bind_address = "0.0.0.0",
                                          .allow_plain_http = true },
            &srv, &err),
        FUSION_OK);
    fusion_http_server_free(srv);
}

static void
test_http_tls_config_errors(void **state)
{
    struct fusion_http_server *srv = NULL;
    struct fusion_error err;

    (void)state;
    assert_int_equal(
        fusion_http_server_new(
            &(struct fusion_http_config){ .tls_cert_file = "/nonexistent" },
            &srv, &err),
        FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_http_server_new(
            &(struct fusion_http_config){ .tls_cert_file = "/nonexistent/c",
                                          .tls_key_file = "/nonexistent/k" },
            &srv, &err),
        FUSION_ERR_IO);
    assert_null(srv);
}

static void
test_http_route_rejects_bad_patterns(void **state)
{
    struct fusion_http_server *srv;
    struct fusion_error err;

    (void)state;
    assert_int_equal(
        fusion_http_server_new(&(struct fusion_http_config){ 0 }, &srv, &err),
        FUSION_OK);
    assert_int_equal(
        fusion_http_server_route(srv, "GET", "no-slash/", h_count, NULL, &err),
        FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_http_server_route(srv, "GET", "/a{b}/", h_count, NULL, &err),
        FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_http_server_route(srv, "GET", "/{}/", h_count, NULL, &err),
        FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_http_server_route(srv, "GET", "/{a}/{a}/", h_count, NULL, &err),
        FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_http_server_route(srv, "get", "/a/", h_count, NULL, &err),
        FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_http_server_route(srv, "GET", "/a/?q", h_count, NULL, &err),
        FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_http_server_route(srv, "GET", "/{a}/", h_count, NULL, &err),
        FUSION_OK);
    fusion_http_server_free(srv);
}

static int
make_cert(char *dir, size_t cap)
{
    char cmd[1024];
    int n = snprintf(dir, cap, "/tmp/fusion-http-");

    /* mkdtemp replaces a suffix of six capital X */
    memset(dir + n, 'X', 6);
    dir[n + 6] = '\0';
    if (!mkdtemp(dir))
        return -1;
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost "
             "-addext subjectAltName=DNS:localhost -days 1 "
             "-keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
             dir, dir);
    return system(cmd);
}

static void
remove_cert(const char *dir)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/key.pem", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/cert.pem", dir);
    unlink(path);
    rmdir(dir);
}

static void
test_http_https_self_signed(void **state)
{
    char dir[64];
    char cert[128];
    char key[128];
    struct fusion_http_server *srv;
    struct fusion_error err;
    struct reply r;
    enum fusion_err rc;

    (void)state;
    if (make_cert(dir, sizeof(dir)) != 0)
        skip();
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    rc = fusion_http_server_new(
        &(struct fusion_http_config){ .bind_address = "0.0.0.0",
                                      .tls_cert_file = cert,
                                      .tls_key_file = key,
                                      .threads = 2 },
        &srv, &err);
    if (rc == FUSION_ERR_UNSUPPORTED) {
        remove_cert(dir);
        skip();
    }
    assert_int_equal(rc, FUSION_OK);
    assert_int_equal(
        fusion_http_server_route(srv, "GET", "/info/", h_info, NULL, &err),
        FUSION_OK);
    assert_int_equal(fusion_http_server_start(srv, &err), FUSION_OK);
    current_port = fusion_http_server_port(srv);

    request(&(struct call){ .path = "/info/", .https_ca = cert }, &r);
    assert_int_equal(r.curl_rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(strlen(r.request_id), FUSION_UUID_LEN);

    /* a client that does not trust the certificate is refused */
    request(&(struct call){ .path = "/info/", .https_ca = "/dev/null" }, &r);
    assert_true(r.curl_rc != CURLE_OK);
    fusion_http_server_stop(srv);
    remove_cert(dir);
}

#define CLIENT_THREADS 8
#define CLIENT_CALLS   50

static void *
client_loop(void *arg)
{
    atomic_int *ok = arg;
    CURL *curl = curl_easy_init();
    struct reply *r = malloc(sizeof(*r));

    for (int i = 0; curl && r && i < CLIENT_CALLS; i++) {
        perform(curl, &(struct call){ .path = "/count/" }, r);
        if (r->curl_rc == CURLE_OK && r->status == 200 &&
            !strcmp(r->body, "ok"))
            atomic_fetch_add(ok, 1);
    }
    free(r);
    curl_easy_cleanup(curl);
    return NULL;
}

static void
test_http_concurrent_clients(void **state)
{
    struct fusion_http_server *srv = start_default();
    pthread_t threads[CLIENT_THREADS];
    atomic_int ok = 0;

    (void)state;
    atomic_store(&counted, 0);
    for (int i = 0; i < CLIENT_THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, client_loop, &ok),
                         0);
    for (int i = 0; i < CLIENT_THREADS; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(atomic_load(&ok), CLIENT_THREADS * CLIENT_CALLS);
    assert_int_equal(atomic_load(&counted), CLIENT_THREADS * CLIENT_CALLS);
    fusion_http_server_stop(srv);
}

static void *
slow_client(void *arg)
{
    request(&(struct call){ .path = "/slow/" }, arg);
    return NULL;
}

static void
test_http_graceful_stop_finishes_request(void **state)
{
    struct fusion_http_server *srv = start_default();
    struct reply *r = calloc(1, sizeof(*r));
    pthread_t client;

    (void)state;
    assert_non_null(r);
    atomic_store(&slow_started, false);
    assert_int_equal(pthread_create(&client, NULL, slow_client, r), 0);
    for (int i = 0; i < 500 && !atomic_load(&slow_started); i++)
        sleep_ms(10);
    assert_true(atomic_load(&slow_started));
    fusion_http_server_stop(srv);
    pthread_join(client, NULL);
    assert_int_equal(r->curl_rc, CURLE_OK);
    assert_int_equal(r->status, 200);
    assert_string_equal(r->body, "done");
    free(r);
}

static void
test_http_stop_null_and_unstarted(void **state)
{
    struct fusion_http_server *srv;

    (void)state;
    fusion_http_server_stop(NULL);
    fusion_http_server_free(NULL);
    assert_int_equal(
        fusion_http_server_new(&(struct fusion_http_config){ 0 }, &srv, NULL),
        FUSION_OK);
    assert_int_equal(fusion_http_server_port(srv), 0);
    fusion_http_server_stop(srv);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_route_params_decoded),
        cmocka_unit_test(test_http_not_found),
        cmocka_unit_test(test_http_method_not_allowed_lists_allow),
        cmocka_unit_test(test_http_query_repeated_and_decoded),
        cmocka_unit_test(test_http_bad_percent_encoding),
        cmocka_unit_test(test_http_body_within_limit),
        cmocka_unit_test(test_http_body_limit_413),
        cmocka_unit_test(test_http_request_id_header),
        cmocka_unit_test(test_http_handler_error_500_json),
        cmocka_unit_test(test_http_response_header_injection_rejected),
        cmocka_unit_test(test_http_plain_refused_off_loopback),
        cmocka_unit_test(test_http_tls_config_errors),
        cmocka_unit_test(test_http_route_rejects_bad_patterns),
        cmocka_unit_test(test_http_https_self_signed),
        cmocka_unit_test(test_http_concurrent_clients),
        cmocka_unit_test(test_http_graceful_stop_finishes_request),
        cmocka_unit_test(test_http_stop_null_and_unstarted),
    };
    int failed;

    fusion_log_setup(FUSION_LOG_INFO, FUSION_LOG_LOGFMT);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
