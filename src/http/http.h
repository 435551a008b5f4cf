/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generic HTTP(S) server on libmicrohttpd: a route table with named path
 * segments, request limits, per-request arenas and one access-log line
 * per request. Protocols such as TAXII sit on top of it.
 */
#ifndef FUSION_HTTP_H
#define FUSION_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Defaults applied to fields of struct fusion_http_config left at zero. */
#define FUSION_HTTP_DEFAULT_BIND         "127.0.0.1"
#define FUSION_HTTP_DEFAULT_MAX_BODY     ((size_t)10 << 20)
#define FUSION_HTTP_DEFAULT_MAX_RESPONSE ((size_t)64 << 20)
#define FUSION_HTTP_DEFAULT_MAX_ARENA    ((size_t)64 << 20)
#define FUSION_HTTP_DEFAULT_CONNECTIONS  1024u
#define FUSION_HTTP_DEFAULT_TIMEOUT_S    30u
#define FUSION_HTTP_DEFAULT_DRAIN_MS     30000u
#define FUSION_HTTP_DEFAULT_ERROR_TYPE   "application/json"

/*
 * Server settings, built with designated initializers; every field left
 * at zero or NULL takes the default named beside it. The strings are
 * borrowed and only read by fusion_http_server_new.
 */
struct fusion_http_config {
    /* numeric IPv4 or IPv6 address to listen on; "127.0.0.1" */
    const char *bind_address;
    /* TCP port; 0 asks the kernel for a free one (fusion_http_server_port) */
    uint16_t port;
    /*
     * PEM files with the certificate (chain) and its private key. Both
     * or neither: without them the server speaks plain HTTP, which is
     * refused unless bind_address is a loopback address or
     * allow_plain_http is set.
     */
    const char *tls_cert_file;
    const char *tls_key_file;
    bool allow_plain_http;
    /* worker threads; the number of online cores */
    unsigned threads;
    /* largest request body accepted, in bytes; larger gets 413; 10 MiB */
    size_t max_body_bytes;
    /* largest response body a handler may build; 64 MiB */
    size_t max_response_bytes;
    /* cap on a request's arena; 64 MiB */
    size_t max_arena_bytes;
    /* connections open at once; 1024 */
    unsigned max_connections;
    /* idle seconds before a connection is closed; 30 */
    unsigned timeout_s;
    /* how long fusion_http_server_stop waits for requests to finish; 30 s */
    unsigned drain_timeout_ms;
    /* Content-Type of the error bodies the server writes itself */
    const char *error_content_type;
};

struct fusion_http_server;
struct fusion_http_request;
struct fusion_http_response;

/*
 * A route's handler. It runs on a worker thread, possibly on several at
 * once, so ctx must be safe to share. It reads req and fills resp; both
 * and everything they hand out live until the response has been sent.
 * Returning an error answers 500 with a JSON error body, unless the
 * handler set a status of its own first (then that status is kept).
 */
typedef enum fusion_err (*fusion_http_handler_fn)(
    struct fusion_http_request *req, struct fusion_http_response *resp,
    void *ctx);

/*
 * Server lifecycle
 */

/*
 * Creates a stopped server from cfg (copied). TLS files are read here.
 * Requests the server answers itself, without a handler, get an error
 * body of the one shape the TAXII layer also writes (TAXII 2.1 section
 * 3.6.1), compact: {"title","description","error_id","http_status"},
 * error_id being the request id, with the error_content_type: 404 (no
 * route), 405 (with Allow), 400 (malformed path or query, or a header
 * that carries one value, such as Authorization, sent twice), 413 (body
 * over max_body_bytes), 414 (path and query past 16 KiB), 431 (header
 * fields past 24 KiB in all) and 500. A request line and header fields
 * beyond the 64 KiB libmicrohttpd keeps for each connection are refused
 * by libmicrohttpd itself, with a short HTML body and no access-log line.
 *
 * Errors: FUSION_ERR_INVALID for a bad address, a lone certificate or
 * key, or plain HTTP on a non-loopback address without allow_plain_http;
 * FUSION_ERR_IO when a TLS file cannot be read; FUSION_ERR_UNSUPPORTED
 * when libmicrohttpd was built without TLS; FUSION_ERR_NOMEM. *out is
 * set only on success and is owned by the caller, who ends it with
 * fusion_http_server_stop or fusion_http_server_free.
 *
 * Memory, with glibc: this fixes the allocator's mmap threshold at
 * 128 KiB for the whole process (unless MALLOC_MMAP_THRESHOLD_ or the
 * glibc.malloc.mmap_threshold tunable is set), so that request bodies
 * and responses that large get pages of their own, returned when freed,
 * instead of staying in the per-thread arenas. And when the last request
 * in flight completes after one with a body of 128 KiB or more, the
 * server returns the arenas' free memory to the system (malloc_trim).
 */
FUSION_NODISCARD enum fusion_err
fusion_http_server_new(const struct fusion_http_config *cfg,
                       struct fusion_http_server **out,
                       struct fusion_error *err);

/*
 * Adds a route; only before fusion_http_server_start. method is an HTTP
 * method ("GET"); pattern is an absolute path whose segments are either
 * literal or "{name}", which matches one non-empty segment and is read
 * back with fusion_http_request_param, as in "/taxii2/{api_root}/". A
 * trailing slash is significant; a 404 for a path that only lacks (or
 * only adds) one says so. Routes are tried in the order added. A GET
 * route also serves HEAD (RFC 9110 section 9.3.2): the same status and
 * headers, with Content-Length, and no body; Allow lists HEAD with GET.
 * Both strings are copied; ctx is borrowed and passed to fn. Errors:
 * FUSION_ERR_INVALID (bad pattern, server already started),
 * FUSION_ERR_NOMEM. Not thread-safe.
 */
FUSION_NODISCARD enum fusion_err
fusion_http_server_route(struct fusion_http_server *server, const char *method,
                         const char *pattern, fusion_http_handler_fn fn,
                         void *ctx, struct fusion_error *err);

/*
 * Gives the route added with method and pattern an early check: check
 * runs with the route's ctx as soon as a request's headers have arrived,
 * before any of its body is read and before "100 Continue" is sent, with
 * the path parameters, query and headers readable and an empty body. To
 * refuse the request, it sets a status (400 or above) and a body on resp:
 * that answer goes out at once, the body is never read and the connection
 * is closed after it. Returning FUSION_OK without a status lets the
 * request go on (its handler runs once the body is in); returning an
 * error is handled as for a handler. Meant for what the headers decide,
 * such as credentials and grants, so that no unauthorised upload is ever
 * buffered. Only before fusion_http_server_start. Errors:
 * FUSION_ERR_NOTFOUND when no such route was added, FUSION_ERR_INVALID
 * when the server has started. Not thread-safe.
 */
FUSION_NODISCARD enum fusion_err fusion_http_server_route_check(
    struct fusion_http_server *server, const char *method, const char *pattern,
    fusion_http_handler_fn check, struct fusion_error *err);

/*
 * Binds and starts serving on the worker threads: a pool of
 * cfg->threads workers, each with its own epoll event loop (the best
 * poller available where there is no epoll), accepting on the one
 * listening socket. Handlers run on these workers, so a handler that
 * blocks holds up the other connections of its worker. Errors:
 * FUSION_ERR_IO when the address cannot be bound or the daemon does not
 * start (the message gives the system's reason, such as "Address already
 * in use"), FUSION_ERR_INVALID when already started, FUSION_ERR_NOMEM.
 */
FUSION_NODISCARD enum fusion_err
fusion_http_server_start(struct fusion_http_server *server,
                         struct fusion_error *err);

/* The port the server listens on (the bound one when 0 was asked); 0
 * before start. */
uint16_t fusion_http_server_port(const struct fusion_http_server *server);

/*
 * Answers requests that begin from now on 503 (server stopping) and
 * closes their connections, lets requests in flight finish (up to the
 * drain timeout), closes the rest and frees the server and its routes.
 * NULL does nothing. Call it from any thread except a handler, e.g. the
 * one that waits for SIGTERM with sigwait; it is not async-signal-safe,
 * so never from a signal handler.
 */
void fusion_http_server_stop(struct fusion_http_server *server);

/* The same as fusion_http_server_stop, for servers never started. */
void fusion_http_server_free(struct fusion_http_server *server);

/*
 * Metrics
 */

/* The Content-Type of a response carrying fusion_http_server_metrics. */
#define FUSION_HTTP_METRICS_CONTENT_TYPE \
    "text/plain; version=0.0.4; charset=utf-8"

/*
 * Appends the server's metrics to out in the Prometheus text exposition
 * format, version 0.0.4 (serve it with FUSION_HTTP_METRICS_CONTENT_TYPE):
 *
 *   fusion_http_requests_total{route,method,code}         counter
 *   fusion_http_request_duration_seconds{route,method,le} histogram
 *   fusion_http_response_bytes_total{route,method}        counter
 *   fusion_http_requests_in_flight                        gauge
 *   fusion_http_connections_open                          gauge
 *   fusion_http_connections_total                         counter
 *
 * route is the pattern given to fusion_http_server_route, never the
 * path sent, and "none" for requests that matched no route (404, 405,
 * and 400 for a malformed query string, which is checked first); the
 * method of such a request is one of GET, HEAD, POST, PUT, DELETE,
 * PATCH, OPTIONS or "other", so clients cannot add series. A request
 * counts once its response is queued; its duration runs from the end of
 * its headers to then, and the bytes are those of the response body.
 * Counters start at zero with each start.
 *
 * Thread-safe: call it from a handler (pass the server as the route's
 * ctx) or any other thread while requests run. The counters are read
 * without a lock; only the in-flight count is taken under the short lock
 * requests hold on arrival and completion. Not during
 * fusion_http_server_start or _stop.
 * Errors: FUSION_ERR_LIMIT past out's cap, FUSION_ERR_NOMEM; then out
 * is left as it was.
 */
FUSION_NODISCARD enum fusion_err
fusion_http_server_metrics(struct fusion_http_server *server,
                           struct fusion_buf *out);

/*
 * Request, for handlers. Every returned pointer is borrowed from the
 * request and valid until the response has been sent. None of these
 * functions is thread-safe; a request belongs to one worker at a time.
 */

/* The method as sent, e.g. "POST". */
const char *fusion_http_request_method(const struct fusion_http_request *req);

/* The path as sent, without the query string and not decoded. */
const char *fusion_http_request_path(const struct fusion_http_request *req);

/* The percent-decoded value of path segment {name}; NULL if no such. */
const char *fusion_http_request_param(const struct fusion_http_request *req,
                                      const char *name);

/*
 * The percent-decoded values of query parameter key, in request order;
 * "+" reads as a space. Returns how many there are and stores an array
 * of them in *values_out (NULL when there are none). A key given without
 * "=" has the empty string as its value.
 */
size_t fusion_http_request_query_all(const struct fusion_http_request *req,
                                     const char *key,
                                     const char *const **values_out);

/* The first value of query parameter key, or NULL. */
const char *fusion_http_request_query(const struct fusion_http_request *req,
                                      const char *key);

/* The first request header called name (any case), or NULL. */
const char *fusion_http_request_header(const struct fusion_http_request *req,
                                       const char *name);

/*
 * The complete body, NUL-terminated for convenience (the NUL is not
 * counted in *len_out), never longer than max_body_bytes. An empty body
 * is "".
 */
const char *fusion_http_request_body(const struct fusion_http_request *req,
                                     size_t *len_out);

/* The client's numeric IP address. */
const char *fusion_http_request_peer(const struct fusion_http_request *req);

/* The request's unique id, also sent back as X-Request-ID. */
const char *fusion_http_request_id(const struct fusion_http_request *req);

/*
 * The request's arena, for memory that should live exactly as long as
 * the request; it is released when the response has been sent.
 */
struct fusion_arena *fusion_http_request_arena(struct fusion_http_request *req);

/*
 * Names the account req was authenticated as, for the user field of its
 * access-log line (otherwise "-"). name is copied into the request's
 * arena; NULL clears it. Pass an account name, never a secret: the line
 * is written at info level.
 */
void fusion_http_request_set_user(struct fusion_http_request *req,
                                  const char *name);

/*
 * Response, for handlers.
 */

/* Sets the status code (100 to 599; others are ignored). Default 200. */
void fusion_http_response_set_status(struct fusion_http_response *resp,
                                     unsigned status);

/*
 * Adds a response header; both strings are copied. Errors:
 * FUSION_ERR_INVALID for an empty or malformed name, or a value holding
 * CR, LF or NUL (header injection); FUSION_ERR_NOMEM.
 */
FUSION_NODISCARD enum fusion_err
fusion_http_response_add_header(struct fusion_http_response *resp,
                                const char *name, const char *value);

/*
 * The response body, to be filled with the fusion_buf functions; its cap
 * is max_response_bytes, so appends past it fail with FUSION_ERR_LIMIT.
 * Borrowed; the server frees it.
 */
struct fusion_buf *fusion_http_response_body(struct fusion_http_response *resp);

#endif
