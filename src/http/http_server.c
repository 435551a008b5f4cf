/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server: configuration, libmicrohttpd callbacks, limits, error
 * responses, the access log and graceful shutdown.
 */
#include "http/http.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#if defined(__GLIBC__)
#    include <malloc.h>
#endif

#include "http/http_int.h"

/* PEM files are small; a larger one is a configuration mistake. */
#define TLS_FILE_MAX ((size_t)1 << 20)

/*
 * TLS 1.2 and 1.3 only (TAXII 2.1 section 1.6.6 requires 1.2 and
 * recommends 1.3), in GnuTLS priority syntax.
 */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

#define NS_PER_SEC 1000000000L

/*
 * Room libmicrohttpd gets for each connection: the request line and the
 * header fields must fit in it with the response headers, else it
 * answers 414 or 431 on its own, in HTML. Above the limits below and
 * within this room, the server answers them itself, in its own error
 * shape, with a request id and an access-log line.
 */
#define HTTP_CONN_MEMORY ((size_t)64 << 10)

/* The method, path and query of the request line; longer is 414. */
#define HTTP_MAX_TARGET ((size_t)16 << 10)

/* All header fields, names and values; more is 431. */
#define HTTP_MAX_HEADERS ((size_t)24 << 10)

/* Room for the error body written when memory runs out. */
#define OOM_BODY_MAX 256

/*
 * Configuration
 */

static void
apply_defaults(struct fusion_http_config *cfg)
{
    long cores;

    if (!cfg->threads) {
        cores = sysconf(_SC_NPROCESSORS_ONLN);
        cfg->threads = cores > 0 ? (unsigned)cores : 1;
    }
    if (!cfg->max_body_bytes)
        cfg->max_body_bytes = FUSION_HTTP_DEFAULT_MAX_BODY;
    if (!cfg->max_response_bytes)
        cfg->max_response_bytes = FUSION_HTTP_DEFAULT_MAX_RESPONSE;
    if (!cfg->max_arena_bytes)
        cfg->max_arena_bytes = FUSION_HTTP_DEFAULT_MAX_ARENA;
    if (!cfg->max_connections)
        cfg->max_connections = FUSION_HTTP_DEFAULT_CONNECTIONS;
    if (!cfg->timeout_s)
        cfg->timeout_s = FUSION_HTTP_DEFAULT_TIMEOUT_S;
    if (!cfg->drain_timeout_ms)
        cfg->drain_timeout_ms = FUSION_HTTP_DEFAULT_DRAIN_MS;
}

/* Parses the numeric bind address and tells whether it is loopback. */
static enum fusion_err
parse_bind(struct fusion_http_server *srv, bool *loopback,
           struct fusion_error *err)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)&srv->addr;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&srv->addr;

    memset(&srv->addr, 0, sizeof(srv->addr));
    if (inet_pton(AF_INET, srv->bind_address, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(srv->cfg.port);
        *loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
        return FUSION_OK;
    }
    if (inet_pton(AF_INET6, srv->bind_address, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(srv->cfg.port);
        *loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
        srv->ipv6 = true;
        return FUSION_OK;
    }
    return fusion_error_set(err, FUSION_ERR_INVALID,
                            "bind address '%s' is not a numeric IP address",
                            srv->bind_address);
}

static enum fusion_err
read_pem(const char *path, char **out, struct fusion_error *err)
{
    struct fusion_buf buf;
    char chunk[4096];
    enum fusion_err rc = FUSION_OK;
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f)
        return fusion_error_set(err, FUSION_ERR_IO, "cannot open '%s': %s",
                                path, strerror(errno));
    fusion_buf_init(&buf, TLS_FILE_MAX);
    while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = fusion_buf_append(&buf, chunk, n);
    if (!rc && ferror(f))
        rc = FUSION_ERR_IO;
    fclose(f);
    if (!rc)
        *out = fusion_buf_detach(&buf, NULL);
    fusion_buf_release(&buf);
    if (!rc && !*out)
        rc = FUSION_ERR_NOMEM;
    if (rc)
        return fusion_error_set(err, rc, "cannot read '%s': %s", path,
                                fusion_strerror(rc));
    return FUSION_OK;
}

static enum fusion_err
setup_tls(struct fusion_http_server *srv, bool loopback,
          struct fusion_error *err)
{
    const struct fusion_http_config *cfg = &srv->cfg;
    enum fusion_err rc;

    if (!cfg->tls_cert_file != !cfg->tls_key_file)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "TLS needs both a certificate and a key file");
    if (!cfg->tls_cert_file) {
        /* ARCHITECTURE.md: HTTPS by default, plain HTTP only by choice */
        if (!loopback && !cfg->allow_plain_http)
            return fusion_error_set(
                err, FUSION_ERR_INVALID,
                "refusing plain HTTP on non-loopback address '%s': configure a TLS certificate and key, or allow plain HTTP explicitly",
                srv->bind_address);
        return FUSION_OK;
    }
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return fusion_error_set(err, FUSION_ERR_UNSUPPORTED,
                                "libmicrohttpd was built without TLS support");
    rc = read_pem(cfg->tls_cert_file, &srv->tls_cert, err);
    if (!rc)
        rc = read_pem(cfg->tls_key_file, &srv->tls_key, err);
    return rc;
}

/*
 * glibc serves a block from the heap once a block that size has been
 * freed: it raises its mmap threshold to the size of each mmapped block
 * freed, up to 32 MiB. Request bodies and responses of hundreds of KiB
 * then end up in the per-thread arenas, which keep the memory after the
 * requests are gone. A fixed threshold gives such blocks pages of their
 * own, handed back when freed; smaller blocks are unaffected. A body at
 * least this large also marks a request whose handler is likely to have
 * left free memory behind in the arenas (an ingest), to be returned once
 * the server is idle.
 */
#define HTTP_MMAP_THRESHOLD (128 * 1024)

/* An operator's own setting in the environment wins over ours. */
static void
bound_malloc(void)
{
#if defined(__GLIBC__)
    const char *tunables = getenv("GLIBC_TUNABLES");

    if (getenv("MALLOC_MMAP_THRESHOLD_") ||
        (tunables && strstr(tunables, "glibc.malloc.mmap_threshold")))
        return;
    mallopt(M_MMAP_THRESHOLD, HTTP_MMAP_THRESHOLD);
#endif
}

/*
 * Requests: creation, responses, completion
 */

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    FUSION_PRINTF(2, 0);

/* libmicrohttpd's own diagnostics, mostly about misbehaving clients. */
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t len;

    (void)cls;
    if (!fusion_log_enabled(FUSION_LOG_DEBUG))
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
        msg[--len] = '\0';
    FUSION_LOG(FUSION_LOG_DEBUG, "http", "mhd", msg);
}

/* Durations come from the monotonic clock, which wall-clock steps miss. */
static int64_t
mono_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static void
set_peer(struct fusion_http_request *req)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    const void *addr = NULL;

    if (sa && sa->sa_family == AF_INET)
        addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6)
        addr = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!addr || !inet_ntop(sa->sa_family, addr, req->peer, sizeof(req->peer)))
        memcpy(req->peer, "-", 2);
}

static struct fusion_http_request *
new_request(struct fusion_http_server *srv, struct MHD_Connection *conn)
{
    struct fusion_http_request *req = fusion_calloc(1, sizeof(*req));

    if (!req)
        return NULL;
    req->server = srv;
    req->conn = conn;
    req->start_ns = mono_now_ns();
    fusion_arena_init(&req->arena, 0, srv->cfg.max_arena_bytes);
    fusion_buf_init(&req->body, srv->cfg.max_body_bytes);
    fusion_buf_init(&req->resp.body, srv->cfg.max_response_bytes);
    req->resp.arena = &req->arena;
    fusion_uuid4(req->id);
    set_peer(req);

    pthread_mutex_lock(&srv->lock);
    srv->active++;
    pthread_mutex_unlock(&srv->lock);
    return req;
}

/*
 * Hands the free memory of the allocator's arenas back to the system.
 * It walks every arena under its lock, so it runs only when no request
 * is in flight, and only after large requests: seldom under load, once
 * after a burst.
 */
static void
trim_memory(void)
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

static void
free_request(struct fusion_http_request *req)
{
    struct fusion_http_server *srv = req->server;
    bool large = req->body.len >= HTTP_MMAP_THRESHOLD;
    bool trim = false;

    fusion_buf_release(&req->body);
    fusion_buf_release(&req->resp.body);
    fusion_arena_release(&req->arena);
    fusion_free(req);

    pthread_mutex_lock(&srv->lock);
    srv->trim_due = srv->trim_due || large;
    if (--srv->active == 0) {
        pthread_cond_broadcast(&srv->idle);
        trim = srv->trim_due;
        srv->trim_due = false;
    }
    pthread_mutex_unlock(&srv->lock);
    if (trim)
        trim_memory();
}

/* Remembers what was queued for the access log and counts it. */
static void
note_queued(struct fusion_http_request *req, unsigned status, size_t bytes)
{
    req->sent_status = status;
    req->sent_bytes = bytes;
    http_metrics_record(req, status, bytes, mono_now_ns() - req->start_ns);
}

/*
 * The last resort when memory runs out; req is NULL if it never existed.
 * The body is built on the stack, in the shape of every error body.
 */
static enum MHD_Result
queue_oom(struct fusion_http_request *req, struct MHD_Connection *conn)
{
    char body[OOM_BODY_MAX];
    char id[FUSION_UUID_LEN + 1];
    struct MHD_Response *r;
    enum MHD_Result ok;
    int len;

    if (req)
        req->responded = true;
    if (req)
        memcpy(id, req->id, sizeof(id));
    else
        fusion_uuid4(id);
    len = snprintf(body, sizeof(body),
                   "{\"title\":\"out of memory\",\"description\":\"the "
                   "server ran out of memory\",\"error_id\":\"%s\","
                   "\"http_status\":\"500\"}",
                   id);
    assert(len > 0 && (size_t)len < sizeof(body));
    r = MHD_create_response_from_buffer((size_t)len, body,
                                        MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "X-Request-ID", id);
    MHD_add_response_header(r, "Content-Type", FUSION_HTTP_DEFAULT_ERROR_TYPE);
    ok = MHD_queue_response(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, r);
    MHD_destroy_response(r);
    if (ok == MHD_YES && req)
        note_queued(req, MHD_HTTP_INTERNAL_SERVER_ERROR, (size_t)len);
    return ok;
}

static void
add_headers(struct MHD_Response *r, const struct fusion_http_request *req)
{
    MHD_add_response_header(r, "X-Request-ID", req->id);
    for (const struct http_header *h = req->resp.headers; h; h = h->next) {
        if (MHD_add_response_header(r, h->name, h->value) != MHD_YES)
            FUSION_LOG(FUSION_LOG_WARN, "http", "header_rejected",
                       "response header rejected", "req_id", req->id, "header",
                       h->name);
    }
}

/* Hands the response to libmicrohttpd, which then owns the body bytes. */
static enum MHD_Result
send_response(struct fusion_http_request *req)
{
    struct fusion_http_response *resp = &req->resp;
    unsigned status = resp->status ? resp->status : MHD_HTTP_OK;
    struct MHD_Response *r;
    enum MHD_Result ok;
    size_t len;
    char *data;

    req->responded = true;
    data = fusion_buf_detach(&resp->body, &len);
    if (!data)
        return queue_oom(req, req->conn);
    r = MHD_create_response_from_buffer_with_free_callback(len, data,
                                                           fusion_free);
    if (!r) {
        fusion_free(data);
        return queue_oom(req, req->conn);
    }
    add_headers(r, req);
    ok = MHD_queue_response(req->conn, status, r);
    MHD_destroy_response(r);
    if (ok == MHD_YES)
        note_queued(req, status, len);
    return ok;
}

/*
 * Appends s as a JSON string, escaped as jansson escapes it, so that the
 * error bodies written here and those of the TAXII layer read the same.
 */
static enum fusion_err
put_json_string(struct fusion_buf *out, const char *s)
{
    enum fusion_err rc = fusion_buf_putc(out, '"');

    for (; !rc && *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            rc = fusion_buf_printf(out, "\\%c", c);
        else if (c == '\n')
            rc = fusion_buf_puts(out, "\\n");
        else if (c == '\r')
            rc = fusion_buf_puts(out, "\\r");
        else if (c == '\t')
            rc = fusion_buf_puts(out, "\\t");
        else if (c < 0x20)
            rc = fusion_buf_printf(out, "\\u%04x", c);
        else
            rc = fusion_buf_putc(out, (char)c);
    }
    return rc ? rc : fusion_buf_putc(out, '"');
}

/*
 * Writes the error resource of TAXII 2.1 section 3.6.1, the one shape of
 * every error body: title, description, error_id (the request id) and
 * http_status as a string, compact, in that order.
 */
static enum fusion_err
write_error_body(struct fusion_http_request *req, unsigned status,
                 const char *title, const char *description)
{
    struct fusion_buf *body = &req->resp.body;
    enum fusion_err rc;

    rc = fusion_http_response_add_header(&req->resp, "Content-Type",
                                         req->server->error_content_type);
    if (!rc)
        rc = fusion_buf_puts(body, "{\"title\":");
    if (!rc)
        rc = put_json_string(body, title);
    if (!rc)
        rc = fusion_buf_puts(body, ",\"description\":");
    if (!rc)
        rc = put_json_string(body, description);
    if (!rc)
        rc = fusion_buf_printf(body,
                               ",\"error_id\":\"%s\",\"http_status\":\"%u\"}",
                               req->id, status);
    return rc;
}

static enum MHD_Result
respond_error(struct fusion_http_request *req, unsigned status,
              const char *title, const char *description, const char *allow)
{
    struct fusion_http_response *resp = &req->resp;

    http_response_reset(resp);
    resp->status = status;
    if (write_error_body(req, status, title, description))
        return queue_oom(req, req->conn);
    if (allow && fusion_http_response_add_header(resp, "Allow", allow))
        return queue_oom(req, req->conn);
    return send_response(req);
}

static enum MHD_Result
respond_nomem(struct fusion_http_request *req)
{
    return respond_error(req, 500, "out of memory",
                         "the server ran out of memory", NULL);
}

/*
 * Collects the query arguments. libmicrohttpd has already turned "+"
 * into a space; the no-op unescape callback leaves the percent escapes
 * for http_decode, which rejects malformed ones.
 */
static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
            size_t key_size, const char *value, size_t value_size)
{
    struct fusion_http_request *req = cls;
    struct http_pair *pair = &req->query[req->nquery];
    char *k = fusion_arena_alloc(&req->arena, key_size + 1);
    char *v = fusion_arena_alloc(&req->arena, value_size + 1);

    (void)kind;
    if (!k || !v || http_decode(key, key_size, true, k))
        return MHD_NO;
    if (value ? http_decode(value, value_size, true, v) : (v[0] = '\0', 0))
        return MHD_NO;
    pair->name = k;
    pair->value = v;
    req->nquery++;
    return MHD_YES;
}

static bool
parse_query(struct fusion_http_request *req)
{
    int n = MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, NULL,
                                        NULL);

    if (n <= 0)
        return true;
    req->query =
        fusion_arena_calloc(&req->arena, (size_t)n, sizeof(*req->query));
    if (!req->query)
        return false;
    MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, collect_arg,
                                req);
    return req->nquery == (size_t)n;
}

static enum MHD_Result
respond_body_too_large(struct fusion_http_request *req)
{
    char msg[96];

    snprintf(msg, sizeof(msg), "the body may hold at most %zu bytes",
             req->server->cfg.max_body_bytes);
    return respond_error(req, 413, "request body too large", msg, NULL);
}

/*
 * A declared length over the limit is refused before any body is read;
 * one within it is kept to size the body buffer.
 */
static bool
declared_too_large(struct fusion_http_request *req)
{
    const char *cl = MHD_lookup_connection_value(
        req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int64_t n;

    if (!cl || fusion_parse_int64(cl, strlen(cl), &n) || n <= 0)
        return false;
    if ((uint64_t)n > req->server->cfg.max_body_bytes)
        return true;
    req->declared_len = (size_t)n;
    return false;
}

static const char *
reason(unsigned status)
{
    const char *r = MHD_get_reason_phrase_for(status);

    return r && *r ? r : "error";
}

/* Sends what a handler (or an early check) left, given what it returned. */
static enum MHD_Result
finish_handler(struct fusion_http_request *req, enum fusion_err rc)
{
    struct fusion_http_response *resp = &req->resp;

    if (!rc)
        return send_response(req);
    if (!resp->status) {
        FUSION_LOG(FUSION_LOG_ERROR, "http", "handler_failed",
                   "request handler failed", "req_id", req->id, "path",
                   req->path, "error", fusion_strerror(rc));
        return respond_error(req, 500, "internal server error",
                             "the server could not complete the request", NULL);
    }
    /* the handler chose the status; give a bare error a body to match */
    if (resp->status >= 400 && resp->body.len == 0 &&
        write_error_body(req, resp->status, reason(resp->status),
                         resp->status >= 500
                             ? "the server could not complete the request"
                             : "the request was refused"))
        return respond_nomem(req);
    return send_response(req);
}

/*
 * Header fields that carry one value (RFC 9110 section 5.3): a request
 * with two of them is refused, since which one a part of the server
 * reads would decide who the client is or what the body means.
 */
static const char *const single_fields[] = {
    "Authorization",
    "Content-Length",
    "Content-Type",
    "Host",
};

#define NSINGLE (sizeof(single_fields) / sizeof(single_fields[0]))

struct field_count {
    size_t bytes;
    unsigned seen[NSINGLE];
};

static enum MHD_Result
count_field(void *cls, enum MHD_ValueKind kind, const char *key,
            size_t key_size, const char *value, size_t value_size)
{
    struct field_count *fc = cls;

    (void)kind;
    (void)value;
    /* name, ": ", value and CRLF, as sent */
    fc->bytes += key_size + value_size + 4;
    for (size_t i = 0; i < NSINGLE; i++) {
        if (!strcasecmp(key, single_fields[i]))
            fc->seen[i]++;
    }
    return MHD_YES;
}

static enum MHD_Result
count_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
          const char *value, size_t value_size)
{
    size_t *bytes = cls;

    (void)kind;
    (void)key;
    (void)value;
    /* "&" or "?", the key, "=" and the value */
    *bytes += key_size + value_size + 2;
    return MHD_YES;
}

/*
 * Limits on the request line and the header fields, and single-valued
 * fields sent twice; an answer is queued when one is broken, and
 * *answered set.
 */
static enum MHD_Result
check_head(struct fusion_http_request *req, bool *answered)
{
    struct field_count fc = { 0 };
    size_t target = strlen(req->path);
    char msg[160];

    *answered = true;
    MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, count_arg,
                                &target);
    if (target > HTTP_MAX_TARGET) {
        snprintf(msg, sizeof(msg),
                 "the path and query may be at most %zu bytes",
                 (size_t)HTTP_MAX_TARGET);
        return respond_error(req, 414, "URI too long", msg, NULL);
    }
    MHD_get_connection_values_n(req->conn, MHD_HEADER_KIND, count_field, &fc);
    if (fc.bytes > HTTP_MAX_HEADERS) {
        snprintf(msg, sizeof(msg),
                 "the header fields may total at most %zu bytes",
                 (size_t)HTTP_MAX_HEADERS);
        return respond_error(req, 431, "request header fields too large", msg,
                             NULL);
    }
    for (size_t i = 0; i < NSINGLE; i++) {
        if (fc.seen[i] > 1) {
            snprintf(msg, sizeof(msg), "the %s header may appear only once",
                     single_fields[i]);
            return respond_error(req, 400, "bad request", msg, NULL);
        }
    }
    *answered = false;
    return MHD_YES;
}

/* Whether the path can be shown in a message as it is. */
static bool
is_plain_path(const char *path)
{
    size_t len = strlen(path);

    if (len > 256)
        return false;
    for (; *path; path++) {
        if (*path <= ' ' || *path >= 0x7f)
            return false;
    }
    return true;
}

/* The 404 of a path without a route; it names the path meant, if any. */
static enum MHD_Result
respond_not_found(struct fusion_http_request *req)
{
    const char *desc = "no resource at this path";
    size_t len = strlen(req->path);
    size_t size = len + 128;
    char *hint = NULL;

    if ((req->slash_added || req->slash_removed) && is_plain_path(req->path))
        hint = fusion_arena_alloc(&req->arena, size);
    if (hint && req->slash_added)
        snprintf(hint, size,
                 "no resource at this path: did you mean %s/ with a "
                 "trailing slash?",
                 req->path);
    else if (hint)
        snprintf(hint, size,
                 "no resource at this path: did you mean %.*s without the "
                 "trailing slash?",
                 (int)(len - 1), req->path);
    else if (req->slash_added)
        desc = "no resource at this path: it needs a trailing slash";
    else if (req->slash_removed)
        desc = "no resource at this path: drop its trailing slash";
    return respond_error(req, 404, "not found", hint ? hint : desc, NULL);
}

static enum MHD_Result
respond_route_error(struct fusion_http_request *req, enum http_match m,
                    const char *allow)
{
    char msg[160];

    switch (m) {
    case HTTP_MATCH_FOUND:
        break;
    case HTTP_MATCH_NO_PATH:
        return respond_not_found(req);
    case HTTP_MATCH_BAD_METHOD:
        snprintf(msg, sizeof(msg), "this resource accepts only %s", allow);
        return respond_error(req, 405, "method not allowed", msg, allow);
    case HTTP_MATCH_BAD_ENCODING:
        return respond_error(req, 400, "malformed request path",
                             "the path must start with / and hold only "
                             "valid percent escapes, none of them %00",
                             NULL);
    case HTTP_MATCH_NOMEM:
        break;
    }
    return respond_nomem(req);
}

/*
 * The route's early check, on the headers alone: an answer it sets is
 * sent at once, so the body is never read (nor 100 Continue sent).
 */
static enum MHD_Result
run_check(struct fusion_http_request *req, bool *answered)
{
    struct fusion_http_response *resp = &req->resp;
    enum fusion_err rc;

    *answered = false;
    if (!req->route->check)
        return MHD_YES;
    rc = req->route->check(req, resp, req->route->ctx);
    if (!rc && !resp->status)
        return MHD_YES;
    *answered = true;
    return finish_handler(req, rc);
}

/* A request that begins while the server stops; its connection closes. */
static enum MHD_Result
respond_stopping(struct fusion_http_request *req)
{
    struct fusion_http_response *resp = &req->resp;

    http_response_reset(resp);
    resp->status = 503;
    if (write_error_body(req, 503, "server stopping",
                         "the server is shutting down; try again shortly") ||
        fusion_http_response_add_header(resp, "Connection", "close") ||
        fusion_http_response_add_header(resp, "Retry-After", "5"))
        return queue_oom(req, req->conn);
    return send_response(req);
}

static enum MHD_Result
begin_request(struct fusion_http_server *srv, struct MHD_Connection *conn,
              const char *url, const char *method, void **con_cls)
{
    struct fusion_http_request *req = new_request(srv, conn);
    const char *allow;
    enum http_match m;
    enum MHD_Result ok;
    bool answered;

    if (!req)
        return queue_oom(NULL, conn);
    *con_cls = req;
    req->method = fusion_arena_strdup(&req->arena, method);
    req->path = fusion_arena_strdup(&req->arena, url);
    if (!req->method || !req->path)
        return respond_nomem(req);
    if (atomic_load(&srv->stopping))
        return respond_stopping(req);
    ok = check_head(req, &answered);
    if (answered)
        return ok;
    if (!parse_query(req))
        return respond_error(req, 400, "malformed query string",
                             "a query parameter holds a malformed percent "
                             "escape or %00",
                             NULL);
    m = http_route_find(req, &allow);
    if (m != HTTP_MATCH_FOUND)
        return respond_route_error(req, m, allow);
    ok = run_check(req, &answered);
    if (answered)
        return ok;
    if (declared_too_large(req))
        return respond_body_too_large(req);
    return MHD_YES;
}

/*
 * Past the limit, a body without Content-Length (chunked) is still read
 * to its end, up to this much more, so that the client can be told 413:
 * libmicrohttpd cannot answer in the middle of an upload.
 */
#define HTTP_MAX_DROPPED ((uint64_t)64 << 20)

/* Body bytes arrive in pieces. */
static enum MHD_Result
take_body(struct fusion_http_request *req, const char *data, size_t *size)
{
    enum fusion_err rc;

    if (req->body_overflow) {
        req->dropped_bytes += *size;
        *size = 0;
        /* closing the connection is the only answer left to a flood */
        return req->dropped_bytes > HTTP_MAX_DROPPED ? MHD_NO : MHD_YES;
    }
    /*
     * A declared body gets its buffer in one allocation when its first
     * bytes arrive (not before: headers alone cost nothing), instead of
     * doubling its way up as the pieces come in.
     */
    if (!req->body.cap && req->declared_len) {
        rc = fusion_buf_reserve(&req->body, req->declared_len);
        if (rc) {
            *size = 0;
            return respond_nomem(req);
        }
    }
    rc = fusion_buf_append(&req->body, data, *size);
    if (rc == FUSION_ERR_LIMIT) {
        req->body_overflow = true;
        req->dropped_bytes = *size;
        fusion_buf_release(&req->body);
        *size = 0;
        return MHD_YES;
    }
    *size = 0;
    if (rc)
        return respond_nomem(req);
    return MHD_YES;
}

static enum MHD_Result
run_handler(struct fusion_http_request *req)
{
    return finish_handler(req,
                          req->route->fn(req, &req->resp, req->route->ctx));
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *conn, const char *url,
          const char *method, const char *version, const char *upload_data,
          size_t *upload_data_size, void **con_cls)
{
    struct fusion_http_request *req = *con_cls;

    (void)version;
    if (!req)
        return begin_request(cls, conn, url, method, con_cls);
    if (req->responded) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size)
        return take_body(req, upload_data, upload_data_size);
    if (req->body_overflow)
        return respond_body_too_large(req);
    return run_handler(req);
}

static void
log_access(const struct fusion_http_request *req,
           enum MHD_RequestTerminationCode toe)
{
    char status[16];
    char bytes[32];
    char ms[32];
    int64_t elapsed = mono_now_ns() - req->start_ns;

    if (!fusion_log_enabled(FUSION_LOG_INFO))
        return;
    snprintf(status, sizeof(status), "%u", req->sent_status);
    snprintf(bytes, sizeof(bytes), "%zu", req->sent_bytes);
    snprintf(ms, sizeof(ms), "%.3f", (double)elapsed / 1e6);
    /*
     * The path only, never the query, headers or body: query values,
     * the Authorization header and payloads may carry secrets.
     */
    FUSION_LOG(FUSION_LOG_INFO, "http", "request",
               toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "request served"
                                                          : "request aborted",
               "req_id", req->id, "method", req->method ? req->method : "-",
               "path", req->path ? req->path : "-", "status", status, "bytes",
               bytes, "duration_ms", ms, "peer", req->peer, "user",
               req->user ? req->user : "-");
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct fusion_http_request *req = *con_cls;

    (void)cls;
    (void)conn;
    if (!req)
        return;
    *con_cls = NULL;
    log_access(req, toe);
    free_request(req);
}

/* Leaves the path and query undecoded, so routing sees segment bounds. */
static size_t
keep_escaped(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

/*
 * Lifecycle
 */

enum fusion_err
fusion_http_server_new(const struct fusion_http_config *cfg,
                       struct fusion_http_server **out,
                       struct fusion_error *err)
{
    struct fusion_http_server *srv = fusion_calloc(1, sizeof(*srv));
    const char *bind =
        cfg->bind_address ? cfg->bind_address : FUSION_HTTP_DEFAULT_BIND;
    const char *etype = cfg->error_content_type
                            ? cfg->error_content_type
                            : FUSION_HTTP_DEFAULT_ERROR_TYPE;
    enum fusion_err rc;
    bool loopback = false;

    *out = NULL;
    if (!srv)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    srv->cfg = *cfg;
    apply_defaults(&srv->cfg);
    bound_malloc();
    pthread_mutex_init(&srv->lock, NULL);
    pthread_cond_init(&srv->idle, NULL);
    srv->bind_address = fusion_strdup(bind);
    srv->error_content_type = fusion_strdup(etype);
    if (!srv->bind_address || !srv->error_content_type) {
        rc = fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* the caller's strings are only borrowed for this call */
    srv->cfg.bind_address = srv->bind_address;
    srv->cfg.error_content_type = srv->error_content_type;
    srv->cfg.tls_cert_file = NULL;
    srv->cfg.tls_key_file = NULL;
    rc = parse_bind(srv, &loopback, err);
    if (!rc) {
        srv->cfg.tls_cert_file = cfg->tls_cert_file;
        srv->cfg.tls_key_file = cfg->tls_key_file;
        rc = setup_tls(srv, loopback, err);
        srv->cfg.tls_cert_file = NULL;
        srv->cfg.tls_key_file = NULL;
    }
out:
    if (rc) {
        fusion_http_server_free(srv);
        return rc;
    }
    *out = srv;
    return FUSION_OK;
}

enum fusion_err
fusion_http_server_route(struct fusion_http_server *server, const char *method,
                         const char *pattern, fusion_http_handler_fn fn,
                         void *ctx, struct fusion_error *err)
{
    struct http_route route;
    struct http_route *grown;
    enum fusion_err rc;

    if (server->daemon)
        return fusion_error_set(
            err, FUSION_ERR_INVALID,
            "routes must be added before the server starts");
    if (!fn)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "route '%s' has no handler",
                                pattern ? pattern : "(null)");
    rc = http_route_parse(&route, method, pattern, err);
    if (rc)
        return rc;
    grown =
        fusion_realloc(server->routes, (server->nroutes + 1) * sizeof(*grown));
    if (!grown) {
        http_route_release(&route);
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    }
    route.fn = fn;
    route.ctx = ctx;
    grown[server->nroutes++] = route;
    server->routes = grown;
    return FUSION_OK;
}

enum fusion_err
fusion_http_server_route_check(struct fusion_http_server *server,
                               const char *method, const char *pattern,
                               fusion_http_handler_fn check,
                               struct fusion_error *err)
{
    if (server->daemon)
        return fusion_error_set(
            err, FUSION_ERR_INVALID,
            "routes must be added before the server starts");
    for (size_t i = 0; i < server->nroutes; i++) {
        struct http_route *route = &server->routes[i];

        if (!strcmp(route->method, method) &&
            !strcmp(route->pattern, pattern)) {
            route->check = check;
            return FUSION_OK;
        }
    }
    return fusion_error_set(err, FUSION_ERR_NOTFOUND,
                            "no route %s '%s' to check", method, pattern);
}

/*
 * A pool of cfg->threads workers, each running its own event loop on
 * epoll where the platform has it (every worker accepts on the shared
 * listening socket and serves its connections to the end), else on the
 * best poller libmicrohttpd finds. The ITC lets stop wake the workers.
 * MHD_USE_INSECURE_TLS_EARLY_DATA stays off: TLS 1.3 0-RTT data can be
 * replayed (RFC 8446 section 8).
 */
static unsigned
daemon_flags(const struct fusion_http_server *srv)
{
    unsigned flags = MHD_USE_ITC | MHD_USE_ERROR_LOG;

    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
        flags |= MHD_USE_EPOLL_INTERNAL_THREAD;
    else
        flags |= MHD_USE_AUTO_INTERNAL_THREAD;
    if (srv->tls_cert)
        flags |= MHD_USE_TLS;
    if (srv->ipv6)
        flags |= MHD_USE_IPv6;
    return flags;
}

static struct MHD_Daemon *
start_daemon(struct fusion_http_server *srv)
{
    const struct fusion_http_config *cfg = &srv->cfg;
    struct MHD_OptionItem tls[] = {
        { MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert },
        { MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key },
        { MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES },
        { MHD_OPTION_END, 0, NULL },
    };

    if (!srv->tls_cert)
        tls[0].option = MHD_OPTION_END;
    /*
     * The logger comes first so that it also gets the messages about the
     * options after it; one worker is the daemon's own thread, no pool.
     */
    return MHD_start_daemon(
        daemon_flags(srv), cfg->port, NULL, NULL, on_access, srv,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&srv->addr, MHD_OPTION_THREAD_POOL_SIZE,
        cfg->threads > 1 ? cfg->threads : 0u, MHD_OPTION_CONNECTION_LIMIT,
        cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONN_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, http_metrics_on_connection, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, srv, MHD_OPTION_ARRAY, tls,
        MHD_OPTION_END);
}

/*
 * Why the daemon did not start. libmicrohttpd does not hand back the
 * error of its socket calls, so the bind is tried again here to learn
 * it: the usual causes are a port in use or a foreign address.
 */
static const char *
bind_failure(const struct fusion_http_server *srv)
{
    socklen_t len =
        srv->ipv6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int fd = socket(srv->addr.ss_family, SOCK_STREAM, 0);
    int on = 1;
    int saved;

    if (fd < 0)
        return strerror(errno);
    /* libmicrohttpd reuses addresses too, so the retry fails alike */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, (const struct sockaddr *)&srv->addr, len) != 0 ||
        listen(fd, 1) != 0) {
        saved = errno;
        close(fd);
        return strerror(saved);
    }
    close(fd);
    return "the HTTP daemon did not start";
}

/* The event loop libmicrohttpd settled on, for the startup log line. */
static const char *
polling_name(struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_FLAGS);

    if (!info)
        return "unknown";
    if (info->flags & MHD_USE_EPOLL)
        return "epoll";
    if (info->flags & MHD_USE_POLL)
        return "poll";
    return "select";
}

enum fusion_err
fusion_http_server_start(struct fusion_http_server *server,
                         struct fusion_error *err)
{
    const union MHD_DaemonInfo *info;
    char port[8];
    char threads[16];

    if (server->daemon)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "server already started");
    if (http_metrics_start(server))
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    server->daemon = start_daemon(server);
    if (!server->daemon)
        return fusion_error_set(
            err, FUSION_ERR_IO, "cannot listen on '%s' port %u: %s",
            server->bind_address, (unsigned)server->cfg.port,
            bind_failure(server));
    info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    server->port = info ? info->port : server->cfg.port;
    snprintf(port, sizeof(port), "%u", (unsigned)server->port);
    snprintf(threads, sizeof(threads), "%u", server->cfg.threads);
    FUSION_LOG(FUSION_LOG_INFO, "http", "listening", "server listening",
               "address", server->bind_address, "port", port, "tls",
               server->tls_cert ? "on" : "off", "threads", threads, "polling",
               polling_name(server->daemon));
    return FUSION_OK;
}

uint16_t
fusion_http_server_port(const struct fusion_http_server *server)
{
    return server->port;
}

/* Waits until no request is in flight or the drain timeout passes. */
static bool
wait_drained(struct fusion_http_server *srv)
{
    struct timespec deadline;
    bool drained;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += srv->cfg.drain_timeout_ms / 1000;
    deadline.tv_nsec += (long)(srv->cfg.drain_timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&srv->lock);
    while (srv->active > 0) {
        if (pthread_cond_timedwait(&srv->idle, &srv->lock, &deadline) ==
            ETIMEDOUT)
            break;
    }
    drained = srv->active == 0;
    pthread_mutex_unlock(&srv->lock);
    return drained;
}

/*
 * Requests that begin from now on are answered 503 and their
 * connections closed, while those in flight run to their end; then the
 * daemon stops. libmicrohttpd 0.9's MHD_quiesce_daemon would stop
 * accepting instead, but with a pool of epoll threads it races a worker
 * that takes the listening socket out of its own epoll set first, and
 * aborts the process.
 */
static void
stop_daemon(struct fusion_http_server *srv)
{
    FUSION_LOG(FUSION_LOG_INFO, "http", "stopping",
               "server stopping, draining requests");
    atomic_store(&srv->stopping, true);
    if (!wait_drained(srv))
        FUSION_LOG(FUSION_LOG_WARN, "http", "drain_timeout",
                   "requests still running at drain timeout, closing them");
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    FUSION_LOG(FUSION_LOG_INFO, "http", "stopped", "server stopped");
}

void
fusion_http_server_stop(struct fusion_http_server *server)
{
    if (!server)
        return;
    if (server->daemon)
        stop_daemon(server);
    http_metrics_release(server);
    for (size_t i = 0; i < server->nroutes; i++)
        http_route_release(&server->routes[i]);
    fusion_free(server->routes);
    fusion_free(server->tls_cert);
    fusion_free(server->tls_key);
    fusion_free(server->bind_address);
    fusion_free(server->error_content_type);
    pthread_cond_destroy(&server->idle);
    pthread_mutex_destroy(&server->lock);
    fusion_free(server);
}

void
fusion_http_server_free(struct fusion_http_server *server)
{
    fusion_http_server_stop(server);
}
