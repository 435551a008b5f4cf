/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP server on loopback with an ephemeral port, driven by libcurl. */
#include <dlfcn.h>
#include <openssl/ssl.h>
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

#define REPLY_MAX 65536

/* A request body of the size TAXII envelopes of 1,000 objects reach. */
#define BIG_BODY (512 * 1024)

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
    /* CURL_SSLVERSION_* to pin the TLS version, 0 for any */
    long tls;
    /* connect to 127.0.0.1 by address rather than as localhost */
    bool by_address;
    CURLcode (*ssl_ctx_fn)(CURL *curl, void *ssl_ctx, void *userdata);
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

static enum fusion_err
h_whoami(struct fusion_http_request *req, struct fusion_http_response *resp,
         void *ctx)
{
    (void)ctx;
    fusion_http_request_set_user(req, "alice");
    return fusion_buf_puts(fusion_http_response_body(resp), "hello");
}

/* FNV-1a of data, with its length: "LEN:HASH". */
static void
digest(const char *data, size_t len, char *out, size_t cap)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)data[i]) * 16777619u;
    snprintf(out, cap, "%zu:%08x", len, (unsigned)h);
}

static enum fusion_err
h_digest(struct fusion_http_request *req, struct fusion_http_response *resp,
         void *ctx)
{
    char text[64];
    const char *body;
    size_t len;

    (void)ctx;
    body = fusion_http_request_body(req, &len);
    digest(body, len, text, sizeof(text));
    return fusion_buf_puts(fusion_http_response_body(resp), text);
}

/* ctx is the server itself. */
static enum fusion_err
h_metrics(struct fusion_http_request *req, struct fusion_http_response *resp,
          void *ctx)
{
    enum fusion_err rc;

    (void)req;
    rc = fusion_http_response_add_header(resp, "Content-Type",
                                         FUSION_HTTP_METRICS_CONTENT_TYPE);
    if (rc)
        return rc;
    return fusion_http_server_metrics(ctx, fusion_http_response_body(resp));
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
    { "POST", "/whoami/", h_whoami },
    { "POST", "/digest/", h_digest },
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
             c->https_ca && !c->by_address ? "localhost" : "127.0.0.1",
             (unsigned)current_port, c->path);
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
    if (c->tls)
        curl_easy_setopt(curl, CURLOPT_SSLVERSION, c->tls);
    if (c->ssl_ctx_fn)
        curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, c->ssl_ctx_fn);
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

/* A server with the routes above and GET /metrics, not yet started. */
static struct fusion_http_server *
new_with(struct fusion_http_config cfg)
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
    assert_int_equal(
        fusion_http_server_route(srv, "GET", "/metrics", h_metrics, srv, &err),
        FUSION_OK);
    return srv;
}

static void
start_server(struct fusion_http_server *srv)
{
    struct fusion_error err;

    assert_int_equal(fusion_http_server_start(srv, &err), FUSION_OK);
    current_port = fusion_http_server_port(srv);
    assert_true(current_port != 0);
}

static struct fusion_http_server *
start_with(struct fusion_http_config cfg)
{
    struct fusion_http_server *srv = new_with(cfg);

    start_server(srv);
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
    char expect[200];
    struct reply r;

    (void)state;
    request(&(struct call){ .path = "/nope/" }, &r);
    assert_int_equal(r.status, 404);
    /* the error names the request, as the X-Request-ID header does */
    snprintf(expect, sizeof(expect),
             "{\"title\":\"not found\",\"description\":\"no resource at "
             "this path\",\"error_id\":\"%s\",\"http_status\":\"404\"}",
             r.request_id);
    assert_string_equal(r.body, expect);
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
    assert_non_null(strstr(r.body, "\"http_status\":\"405\""));

    request(&(struct call){ .method = "POST",
                            .path = "/taxii2/a/collections/b/objects/c/",
                            .body = "",
                            .body_len = 0 },
            &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "GET, HEAD, DELETE");
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
    assert_non_null(strstr(r.body, "\"http_status\":\"400\""));
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
    assert_non_null(strstr(r.body, "\"http_status\":\"413\""));
    request(&(struct call){ .method = "POST",
                            .path = "/items/",
                            .body = body,
                            .body_len = sizeof(body) },
            &r);
    assert_int_equal(r.status, 413);

    /* no declared length: read to its end, dropped, and answered 413 */
    request(&(struct call){ .method = "PUT",
                            .path = "/items/",
                            .body = body,
                            .body_len = sizeof(body),
                            .chunked = true },
            &r);
    assert_int_equal(r.curl_rc, CURLE_OK);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "\"http_status\":\"413\""));
    /* and the connection serves the next request as usual */
    request(
        &(struct call){
            .method = "POST", .path = "/items/", .body = body, .body_len = 10 },
        &r);
    assert_int_not_equal(r.status, 413);
    fusion_http_server_stop(srv);
}

/* Bodies of hundreds of KiB, declared or chunked, arrive whole. */
static void
test_http_large_body_intact(void **state)
{
    struct fusion_http_server *srv =
        start_with((struct fusion_http_config){ .max_body_bytes = BIG_BODY });
    static char body[BIG_BODY + 1];
    char want[64];
    struct reply r;

    (void)state;
    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (char)('a' + (i * 7 + i / 251) % 26);

    /* declared at exactly the limit: the buffer is sized up front */
    request(&(struct call){ .method = "POST",
                            .path = "/digest/",
                            .body = body,
                            .body_len = BIG_BODY },
            &r);
    assert_int_equal(r.status, 200);
    digest(body, BIG_BODY, want, sizeof(want));
    assert_string_equal(r.body, want);

    /* no declared length: the buffer grows as the chunks come */
    request(&(struct call){ .method = "POST",
                            .path = "/digest/",
                            .body = body + 1,
                            .body_len = 300000,
                            .chunked = true },
            &r);
    assert_int_equal(r.status, 200);
    digest(body + 1, 300000, want, sizeof(want));
    assert_string_equal(r.body, want);

    request(&(struct call){ .method = "POST",
                            .path = "/digest/",
                            .body = body,
                            .body_len = BIG_BODY + 1 },
            &r);
    assert_int_equal(r.status, 413);
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
    assert_non_null(strstr(r.body, "{\"title\":\"internal server error\","
                                   "\"description\":"));
    assert_non_null(strstr(r.body, "\"http_status\":\"500\"}"));
    assert_string_equal(r.content_type, "application/taxii+json;version=2.1");

    /* a status the handler chose is kept */
    request(&(struct call){ .path = "/gone/" }, &r);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "\"http_status\":\"404\""));
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

/*
 * Metrics
 */

static char *
scrape(struct fusion_http_server *srv)
{
    struct fusion_buf b;
    char *text;

    fusion_buf_init(&b, 0);
    assert_int_equal(fusion_http_server_metrics(srv, &b), FUSION_OK);
    text = fusion_buf_detach(&b, NULL);
    assert_non_null(text);
    return text;
}

/* The value of the series written exactly as series; -1 when absent. */
static double
series_value(const char *text, const char *series)
{
    size_t len = strlen(series);

    for (const char *p = text; (p = strstr(p, series)); p += len) {
        if ((p == text || p[-1] == '\n') && p[len] == ' ')
            return strtod(p + len + 1, NULL);
    }
    return -1;
}

static double
requests_total(const char *text, const char *route, const char *method,
               unsigned code)
{
    char series[256];

    snprintf(series, sizeof(series),
             "fusion_http_requests_total{route=\"%s\",method=\"%s\","
             "code=\"%u\"}",
             route, method, code);
    return series_value(text, series);
}

static double
histogram_part(const char *text, const char *route, const char *method,
               const char *part)
{
    char series[256];

    snprintf(series, sizeof(series),
             "fusion_http_request_duration_seconds_%s{route=\"%s\","
             "method=\"%s\"}",
             part, route, method);
    return series_value(text, series);
}

static const char *const les[] = {
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
    "0.25",   "0.5",   "1",      "2.5",   "5",    "10",    "+Inf"
};

#define NLES (sizeof(les) / sizeof(les[0]))

static double
bucket(const char *text, const char *route, const char *method, size_t i)
{
    char series[256];

    snprintf(series, sizeof(series),
             "fusion_http_request_duration_seconds_bucket{route=\"%s\","
             "method=\"%s\",le=\"%s\"}",
             route, method, les[i]);
    return series_value(text, series);
}

/*
 * True when the histogram has every bucket, cumulative, with +Inf equal
 * to _count; its count goes to *count. No cmocka asserts: it also runs
 * off the main thread.
 */
static bool
histogram_consistent(const char *text, const char *route, const char *method,
                     double *count)
{
    double prev = 0;

    for (size_t i = 0; i < NLES; i++) {
        double v = bucket(text, route, method, i);

        if (v < prev)
            return false;
        prev = v;
    }
    *count = histogram_part(text, route, method, "count");
    return *count == prev && histogram_part(text, route, method, "sum") >= 0;
}

/* Waits until the server has completed every request and connection. */
static char *
scrape_idle(struct fusion_http_server *srv)
{
    char *text = scrape(srv);

    for (int i = 0; i < 200; i++) {
        if (series_value(text, "fusion_http_requests_in_flight") == 0 &&
            series_value(text, "fusion_http_connections_open") == 0)
            break;
        fusion_free(text);
        sleep_ms(10);
        text = scrape(srv);
    }
    return text;
}

static void
test_http_metrics_count_by_route_and_status(void **state)
{
    struct fusion_http_server *srv = start_default();
    struct reply r;
    char *text;

    (void)state;
    for (int i = 0; i < 3; i++)
        request(&(struct call){ .path = "/count/" }, &r);
    request(&(struct call){ .path = "/nope/?secret=1" }, &r);
    request(&(struct call){ .path = "/nope/" }, &r);
    request(&(struct call){ .method = "POST", .path = "/count/", .body = "" },
            &r);
    assert_int_equal(r.status, 405);
    request(&(struct call){ .method = "BREW", .path = "/pot/" }, &r);
    request(&(struct call){ .path = "/gone/" }, &r);
    request(&(struct call){ .path = "/fail/" }, &r);

    text = scrape_idle(srv);
    assert_true(requests_total(text, "/count/", "GET", 200) == 3);
    assert_true(requests_total(text, "none", "GET", 404) == 2);
    assert_true(requests_total(text, "none", "POST", 405) == 1);
    assert_true(requests_total(text, "none", "other", 404) == 1);
    assert_true(requests_total(text, "/gone/", "GET", 404) == 1);
    assert_true(requests_total(text, "/fail/", "GET", 500) == 1);
    assert_true(requests_total(text, "/count/", "GET", 404) == -1);
    /* what clients sent never becomes a label */
    assert_null(strstr(text, "/nope/"));
    assert_null(strstr(text, "BREW"));
    assert_null(strstr(text, "secret"));

    assert_true(series_value(text, "fusion_http_response_bytes_total"
                                   "{route=\"/count/\",method=\"GET\"}") == 6);
    assert_true(series_value(text, "fusion_http_requests_in_flight") == 0);
    assert_true(series_value(text, "fusion_http_connections_open") == 0);
    assert_true(series_value(text, "fusion_http_connections_total") == 9);
    assert_non_null(strstr(text, "# HELP fusion_http_requests_total "));
    assert_non_null(
        strstr(text, "# TYPE fusion_http_requests_total counter\n"));
    assert_non_null(strstr(
        text, "# TYPE fusion_http_request_duration_seconds histogram\n"));
    assert_non_null(
        strstr(text, "# TYPE fusion_http_response_bytes_total counter\n"));
    assert_non_null(
        strstr(text, "# TYPE fusion_http_requests_in_flight gauge\n"));
    assert_non_null(
        strstr(text, "# TYPE fusion_http_connections_open gauge\n"));
    fusion_free(text);
    fusion_http_server_stop(srv);
}

static void
test_http_metrics_histogram_cumulative(void **state)
{
    struct fusion_http_server *srv = start_default();
    struct reply r;
    double count;
    char *text;

    (void)state;
    for (int i = 0; i < 5; i++)
        request(&(struct call){ .path = "/count/" }, &r);
    request(&(struct call){ .path = "/slow/" }, &r);
    assert_int_equal(r.status, 200);

    text = scrape(srv);
    assert_true(histogram_consistent(text, "/count/", "GET", &count));
    assert_true(count == 5);
    assert_true(bucket(text, "/count/", "GET", NLES - 1) == 5);

    /* the handler sleeps 400 ms: above 0.25 s, well below 10 s */
    assert_true(histogram_consistent(text, "/slow/", "GET", &count));
    assert_true(count == 1);
    assert_true(bucket(text, "/slow/", "GET", 8) == 0);
    assert_true(bucket(text, "/slow/", "GET", 13) == 1);
    assert_true(histogram_part(text, "/slow/", "GET", "sum") >= 0.4);

    /* a route not yet requested is there with zeros */
    assert_true(histogram_consistent(text, "/info/", "GET", &count));
    assert_true(count == 0);
    /* an unrouted method appears once seen */
    assert_true(histogram_part(text, "none", "PUT", "count") == -1);
    fusion_free(text);
    fusion_http_server_stop(srv);
}

static void
test_http_metrics_label_escaping(void **state)
{
    struct fusion_http_server *srv = new_with((struct fusion_http_config){ 0 });
    struct fusion_error err;
    struct reply r;
    char *text;

    (void)state;
    assert_int_equal(fusion_http_server_route(srv, "GET", "/esc/a\"b\\c/",
                                              h_count, NULL, &err),
                     FUSION_OK);
    assert_int_equal(
        fusion_http_server_route(srv, "GET", "/nl/x\ny/", h_count, NULL, &err),
        FUSION_OK);
    start_server(srv);
    request(&(struct call){ .path = "/esc/a%22b%5Cc/" }, &r);
    assert_int_equal(r.status, 200);
    request(&(struct call){ .path = "/nl/x%0Ay/" }, &r);
    assert_int_equal(r.status, 200);

    text = scrape(srv);
    assert_true(requests_total(text, "/esc/a\\\"b\\\\c/", "GET", 200) == 1);
    assert_true(requests_total(text, "/nl/x\\ny/", "GET", 200) == 1);
    /* every line is a comment or a sample: no raw line feed in a label */
    for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
        assert_true(!strncmp(line, "# ", 2) ||
                    !strncmp(line, "fusion_http_", 12));
        assert_non_null(strchr(line, '\n'));
    }
    fusion_free(text);
    fusion_http_server_stop(srv);
}

static void
test_http_metrics_route_and_content_type(void **state)
{
    struct fusion_http_server *srv = start_default();
    struct reply r;

    (void)state;
    request(&(struct call){ .path = "/metrics" }, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/plain; version=0.0.4; "
                                        "charset=utf-8");
    /* the scrape itself is in flight while it is written */
    assert_true(series_value(r.body, "fusion_http_requests_in_flight") == 1);
    assert_true(series_value(r.body, "fusion_http_connections_open") == 1);
    fusion_http_server_stop(srv);
}

static void
test_http_metrics_unstarted_and_limit(void **state)
{
    struct fusion_http_server *srv;
    struct fusion_buf b;
    char *text;

    (void)state;
    assert_int_equal(
        fusion_http_server_new(&(struct fusion_http_config){ 0 }, &srv, NULL),
        FUSION_OK);
    text = scrape(srv);
    assert_true(series_value(text, "fusion_http_requests_in_flight") == 0);
    fusion_free(text);

    /* past the buffer's cap: an error, and the buffer as it was */
    fusion_buf_init(&b, 300);
    assert_int_equal(fusion_buf_puts(&b, "kept"), FUSION_OK);
    assert_int_equal(fusion_http_server_metrics(srv, &b), FUSION_ERR_LIMIT);
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "kept");
    fusion_buf_release(&b);
    fusion_http_server_free(srv);
}

#define SCRAPE_CLIENTS 4

struct scraper {
    struct fusion_http_server *srv;
    atomic_bool stop;
    atomic_int scrapes;
    atomic_int bad;
};

static void *
scrape_loop(void *arg)
{
    struct scraper *sc = arg;

    while (!atomic_load(&sc->stop)) {
        struct fusion_buf b;
        double count;

        fusion_buf_init(&b, 0);
        if (fusion_http_server_metrics(sc->srv, &b) ||
            !histogram_consistent(b.data, "/count/", "GET", &count))
            atomic_fetch_add(&sc->bad, 1);
        atomic_fetch_add(&sc->scrapes, 1);
        fusion_buf_release(&b);
    }
    return NULL;
}

static void *
metrics_client_loop(void *arg)
{
    atomic_int *ok = arg;
    CURL *curl = curl_easy_init();
    struct reply *r = malloc(sizeof(*r));

    for (int i = 0; curl && r && i < CLIENT_CALLS / 5; i++) {
        perform(curl, &(struct call){ .path = "/metrics" }, r);
        if (r->curl_rc == CURLE_OK && r->status == 200)
            atomic_fetch_add(ok, 1);
    }
    free(r);
    curl_easy_cleanup(curl);
    return NULL;
}

static void
test_http_metrics_concurrent_scrapes(void **state)
{
    struct fusion_http_server *srv = start_default();
    struct scraper sc = { .srv = srv };
    pthread_t clients[SCRAPE_CLIENTS];
    pthread_t scrapers[2];
    pthread_t via_http;
    atomic_int ok = 0;
    atomic_int metrics_ok = 0;
    double count;
    char *text;

    (void)state;
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&scrapers[i], NULL, scrape_loop, &sc),
                         0);
    assert_int_equal(
        pthread_create(&via_http, NULL, metrics_client_loop, &metrics_ok), 0);
    for (int i = 0; i < SCRAPE_CLIENTS; i++)
        assert_int_equal(pthread_create(&clients[i], NULL, client_loop, &ok),
                         0);
    for (int i = 0; i < SCRAPE_CLIENTS; i++)
        pthread_join(clients[i], NULL);
    pthread_join(via_http, NULL);
    atomic_store(&sc.stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(scrapers[i], NULL);

    assert_int_equal(atomic_load(&ok), SCRAPE_CLIENTS * CLIENT_CALLS);
    assert_int_equal(atomic_load(&metrics_ok), CLIENT_CALLS / 5);
    assert_true(atomic_load(&sc.scrapes) > 0);
    assert_int_equal(atomic_load(&sc.bad), 0);
    text = scrape_idle(srv);
    assert_true(histogram_consistent(text, "/count/", "GET", &count));
    assert_true(count == SCRAPE_CLIENTS * CLIENT_CALLS);
    assert_true(requests_total(text, "/count/", "GET", 200) ==
                SCRAPE_CLIENTS * CLIENT_CALLS);
    assert_true(requests_total(text, "/metrics", "GET", 200) ==
                CLIENT_CALLS / 5);
    fusion_free(text);
    fusion_http_server_stop(srv);
}

/*
 * Access log
 */

/* Copies the log line holding needle into out; false if there is none. */
static bool
log_line(const char *log, const char *needle, char *out, size_t cap)
{
    const char *hit = strstr(log, needle);
    const char *start;
    size_t len;

    if (!hit)
        return false;
    for (start = hit; start > log && start[-1] != '\n'; start--)
        ;
    len = strcspn(start, "\n");
    if (len >= cap)
        len = cap - 1;
    memcpy(out, start, len);
    out[len] = '\0';
    return true;
}

static void
test_http_access_log_names_user_not_secrets(void **state)
{
    char path[] = "/tmp/fusion-log-XXXXXX";
    struct fusion_http_server *srv = start_default();
    char log[8192];
    char line[1024];
    struct reply r;
    ssize_t n;
    int saved;
    int fd;

    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    saved = dup(2);
    dup2(fd, 2);
    request(&(struct call){ .method = "POST",
                            .path = "/whoami/?token=query-secret",
                            .body = "body-secret",
                            .body_len = 11,
                            .header = "Authorization: Bearer header-secret" },
            &r);
    request(&(struct call){ .path = "/count/" }, &r);
    /* stop waits for the requests to complete, so their lines are out */
    fusion_http_server_stop(srv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);

    n = pread(fd, log, sizeof(log) - 1, 0);
    close(fd);
    unlink(path);
    assert_true(n > 0);
    log[n] = '\0';
    assert_true(log_line(log, " path=/whoami/ ", line, sizeof(line)));
    assert_non_null(strstr(line, " event=request "));
    assert_non_null(strstr(line, " status=200 "));
    assert_non_null(strstr(line, " user=alice"));
    assert_true(log_line(log, " path=/count/ ", line, sizeof(line)));
    assert_non_null(strstr(line, " user=-"));
    assert_null(strstr(log, "secret"));
    assert_null(strstr(log, "Bearer"));
}

/*
 * TLS with a generated certificate
 */

struct tls_files {
    char dir[64];
    char cert[128];
    char key[128];
};

static void
make_pair(struct tls_files *t)
{
    const char *names[] = { "localhost", "127.0.0.1", "::1" };
    struct fusion_error err;
    int n = snprintf(t->dir, sizeof(t->dir), "/tmp/fusion-https-");

    memset(t->dir + n, 'X', 6);
    t->dir[n + 6] = '\0';
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->cert, sizeof(t->cert), "%s/cert.pem", t->dir);
    snprintf(t->key, sizeof(t->key), "%s/key.pem", t->dir);
    assert_int_equal(fusion_tls_self_signed(t->cert, t->key, names, 3, 1, &err),
                     FUSION_OK);
}

static void
remove_pair(const struct tls_files *t)
{
    unlink(t->cert);
    unlink(t->key);
    rmdir(t->dir);
}

/* NULL when libmicrohttpd has no TLS; the pair is removed then. */
static struct fusion_http_server *
start_tls(const struct tls_files *t)
{
    struct fusion_http_server *srv;
    struct fusion_error err;
    enum fusion_err rc;

    rc = fusion_http_server_new(
        &(struct fusion_http_config){
            .tls_cert_file = t->cert, .tls_key_file = t->key, .threads = 2 },
        &srv, &err);
    if (rc == FUSION_ERR_UNSUPPORTED) {
        remove_pair(t);
        return NULL;
    }
    assert_int_equal(rc, FUSION_OK);
    assert_int_equal(
        fusion_http_server_route(srv, "GET", "/info/", h_info, NULL, &err),
        FUSION_OK);
    start_server(srv);
    return srv;
}

static void
test_http_https_generated_pair(void **state)
{
    struct tls_files t;
    struct fusion_http_server *srv;
    struct reply r;

    (void)state;
    make_pair(&t);
    srv = start_tls(&t);
    if (!srv)
        skip();
    request(&(struct call){ .path = "/info/",
                            .https_ca = t.cert,
                            .tls = CURL_SSLVERSION_TLSv1_2 |
                                   CURL_SSLVERSION_MAX_TLSv1_2 },
            &r);
    assert_int_equal(r.curl_rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    request(&(struct call){ .path = "/info/",
                            .https_ca = t.cert,
                            .tls = CURL_SSLVERSION_TLSv1_3 |
                                   CURL_SSLVERSION_MAX_TLSv1_3 },
            &r);
    assert_int_equal(r.curl_rc, CURLE_OK);
    assert_int_equal(r.status, 200);

    /* the address is in subjectAltName too */
    request(&(struct call){ .path = "/info/",
                            .https_ca = t.cert,
                            .by_address = true },
            &r);
    assert_int_equal(r.curl_rc, CURLE_OK);
    assert_int_equal(r.status, 200);

    /* versions before 1.2 are refused by the server */
    request(&(struct call){ .path = "/info/",
                            .https_ca = t.cert,
                            .tls = CURL_SSLVERSION_TLSv1_1 |
                                   CURL_SSLVERSION_MAX_TLSv1_1 },
            &r);
    assert_true(r.curl_rc != CURLE_OK);
    fusion_http_server_stop(srv);
    remove_pair(&t);
}

/*
 * 0-RTT needs a session ticket that allows early data (RFC 8446 section
 * 4.6.1). libcurl hands over the OpenSSL context but not the functions,
 * which are looked up in the libssl libcurl has loaded.
 */
typedef int (*new_session_fn)(SSL *ssl, SSL_SESSION *session);

static struct {
    long (*ctx_ctrl)(SSL_CTX *ctx, int cmd, long larg, void *parg);
    void (*set_new_cb)(SSL_CTX *ctx, new_session_fn cb);
    uint32_t (*max_early_data)(const SSL_SESSION *session);
    int tickets;
    uint32_t max_early;
} ossl;

static bool
lookup(void *handle, const char *name, void *fn, size_t size)
{
    void *sym = dlsym(handle, name);

    if (!sym)
        return false;
    memcpy(fn, &sym, size);
    return true;
}

static bool
load_openssl(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    void *self;
    bool found;

    if (!v->ssl_version || strncmp(v->ssl_version, "OpenSSL/", 8))
        return false;
    self = dlopen(NULL, RTLD_NOW);
    if (!self)
        return false;
    found =
        lookup(self, "SSL_CTX_ctrl", &ossl.ctx_ctrl, sizeof(ossl.ctx_ctrl)) &&
        lookup(self, "SSL_CTX_sess_set_new_cb", &ossl.set_new_cb,
               sizeof(ossl.set_new_cb)) &&
        lookup(self, "SSL_SESSION_get_max_early_data", &ossl.max_early_data,
               sizeof(ossl.max_early_data));
    /* libcurl keeps libssl loaded, so the functions outlive the handle */
    dlclose(self);
    return found;
}

static int
on_new_session(SSL *ssl, SSL_SESSION *session)
{
    uint32_t max = ossl.max_early_data(session);

    (void)ssl;
    ossl.tickets++;
    if (max > ossl.max_early)
        ossl.max_early = max;
    return 0;
}

static CURLcode
watch_tickets(CURL *curl, void *ssl_ctx, void *userdata)
{
    (void)curl;
    (void)userdata;
    ossl.ctx_ctrl(ssl_ctx, SSL_CTRL_SET_SESS_CACHE_MODE, SSL_SESS_CACHE_CLIENT,
                  NULL);
    ossl.set_new_cb(ssl_ctx, on_new_session);
    return CURLE_OK;
}

static void
test_http_tls13_no_early_data(void **state)
{
    struct tls_files t;
    struct fusion_http_server *srv;
    struct reply r;

    (void)state;
    if (!load_openssl())
        skip();
    make_pair(&t);
    srv = start_tls(&t);
    if (!srv)
        skip();
    ossl.tickets = 0;
    ossl.max_early = 0;
    for (int i = 0; i < 2; i++) {
        request(&(struct call){ .path = "/info/",
                                .https_ca = t.cert,
                                .tls = CURL_SSLVERSION_TLSv1_3 |
                                       CURL_SSLVERSION_MAX_TLSv1_3,
                                .ssl_ctx_fn = watch_tickets },
                &r);
        assert_int_equal(r.curl_rc, CURLE_OK);
        assert_int_equal(r.status, 200);
    }
    assert_int_equal(ossl.max_early, 0);
    fusion_http_server_stop(srv);
    remove_pair(&t);
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
        cmocka_unit_test(test_http_large_body_intact),
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
        cmocka_unit_test(test_http_metrics_count_by_route_and_status),
        cmocka_unit_test(test_http_metrics_histogram_cumulative),
        cmocka_unit_test(test_http_metrics_label_escaping),
        cmocka_unit_test(test_http_metrics_route_and_content_type),
        cmocka_unit_test(test_http_metrics_unstarted_and_limit),
        cmocka_unit_test(test_http_metrics_concurrent_scrapes),
        cmocka_unit_test(test_http_access_log_names_user_not_secrets),
        cmocka_unit_test(test_http_https_generated_pair),
        cmocka_unit_test(test_http_tls13_no_early_data),
    };
    int failed;

    fusion_log_setup(FUSION_LOG_INFO, FUSION_LOG_LOGFMT);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
