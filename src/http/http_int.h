/* SPDX-License-Identifier: Apache-2.0 */
/* Shared internals of the HTTP server: routes, requests, responses. */
#ifndef FUSION_HTTP_INT_H
#define FUSION_HTTP_INT_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "http/http.h"

/* One segment of a route pattern: a literal or a "{name}" parameter. */
struct http_seg {
    char *text;
    bool is_param;
};

struct http_route {
    char *method;
    /* the pattern as given, the route label of the metrics */
    char *pattern;
    struct http_seg *segs;
    size_t nsegs;
    fusion_http_handler_fn fn;
    /* runs on the headers alone, before any body is read; may be NULL */
    fusion_http_handler_fn check;
    void *ctx;
};

struct http_pair {
    const char *name;
    const char *value;
};

struct http_header {
    struct http_header *next;
    const char *name;
    const char *value;
};

struct fusion_http_response {
    unsigned status;
    struct http_header *headers;
    struct fusion_buf body;
    struct fusion_arena *arena;
};

struct fusion_http_request {
    struct fusion_http_server *server;
    struct MHD_Connection *conn;
    struct fusion_arena arena;
    const struct http_route *route;
    const char *method;
    const char *path;
    struct http_pair *params;
    size_t nparams;
    struct http_pair *query;
    size_t nquery;
    struct fusion_buf body;
    /* Content-Length when declared and within the limit, else 0 */
    size_t declared_len;
    struct fusion_http_response resp;
    char id[FUSION_UUID_LEN + 1];
    char peer[INET6_ADDRSTRLEN];
    /* arrival on the monotonic clock */
    int64_t start_ns;
    /* the authenticated account, for the access log; NULL if none */
    const char *user;
    /* status and body length actually queued, for the access log */
    unsigned sent_status;
    size_t sent_bytes;
    bool responded;
    /*
     * No route has this path, but one has it with a trailing slash
     * added (or removed): the 404 says so.
     */
    bool slash_added;
    bool slash_removed;
    /* the body outgrew the limit: the rest is read and dropped, then 413 */
    bool body_overflow;
    uint64_t dropped_bytes;
};

/* Latency buckets, the last being +Inf; status codes counted, 100 to 599. */
#define HTTP_BUCKETS     15
#define HTTP_STATUS_MIN  100
#define HTTP_STATUS_SPAN 500

/*
 * Counters of one route, or of the requests with one method that matched
 * no route. Workers add to them and the metrics writer reads them with
 * relaxed atomics: no lock on the request path. Buckets are not
 * cumulative here; the writer sums them.
 */
struct http_stats {
    _Atomic uint64_t by_status[HTTP_STATUS_SPAN];
    _Atomic uint64_t buckets[HTTP_BUCKETS];
    _Atomic uint64_t sum_ns;
    _Atomic uint64_t bytes;
};

struct fusion_http_server {
    struct fusion_http_config cfg;
    char *bind_address;
    char *error_content_type;
    struct sockaddr_storage addr;
    bool ipv6;
    char *tls_cert;
    char *tls_key;
    struct http_route *routes;
    size_t nroutes;
    struct MHD_Daemon *daemon;
    uint16_t port;
    /* requests between their first callback and their completion */
    pthread_mutex_t lock;
    pthread_cond_t idle;
    size_t active;
    /* set when the server stops: new requests are answered 503 */
    _Atomic bool stopping;
    /* a request with a large body has finished since memory was trimmed */
    bool trim_due;
    /*
     * One entry per route, in route order, then one per method of
     * requests that matched no route; set before the daemon starts and
     * read-only while it runs.
     */
    struct http_stats *stats;
    size_t nstats;
    _Atomic uint64_t conns_open;
    _Atomic uint64_t conns_total;
};

/* Outcome of looking a request up in the route table. */
enum http_match {
    HTTP_MATCH_FOUND,
    HTTP_MATCH_NO_PATH,
    HTTP_MATCH_BAD_METHOD,
    HTTP_MATCH_BAD_ENCODING,
    HTTP_MATCH_NOMEM,
};

FUSION_NODISCARD enum fusion_err http_route_parse(struct http_route *route,
                                                  const char *method,
                                                  const char *pattern,
                                                  struct fusion_error *err);

void http_route_release(struct http_route *route);

/*
 * Finds the route for req->method and req->path and fills req->route and
 * req->params. HEAD takes the GET route of its path. For
 * HTTP_MATCH_BAD_METHOD, *allow_out gets the methods the path does
 * accept, comma-separated, from req's arena (HEAD beside each GET). For
 * HTTP_MATCH_NO_PATH, req->slash_added or slash_removed tells whether
 * the path with a trailing slash added or removed has a route.
 */
enum http_match http_route_find(struct fusion_http_request *req,
                                const char **allow_out);

/*
 * Percent-decodes s[0..len) into out (room for len + 1 bytes), with "+"
 * as a space when plus is set. FUSION_ERR_INVALID for a malformed escape
 * or an encoded NUL.
 */
FUSION_NODISCARD enum fusion_err http_decode(const char *s, size_t len,
                                             bool plus, char *out);

/* Empties a response's headers and body and forgets its status. */
void http_response_reset(struct fusion_http_response *resp);

/*
 * Allocates zeroed counters for the routes added so far, replacing any
 * from an earlier start. FUSION_ERR_NOMEM.
 */
FUSION_NODISCARD enum fusion_err
http_metrics_start(struct fusion_http_server *srv);

/* Frees the counters; only once the daemon has stopped. */
void http_metrics_release(struct fusion_http_server *srv);

/*
 * Counts a queued response of req: status, body bytes and the time from
 * arrival to queueing. Any worker thread; lock-free.
 */
void http_metrics_record(const struct fusion_http_request *req, unsigned status,
                         size_t bytes, int64_t elapsed_ns);

/* libmicrohttpd's connection callback: opened and closed connections. */
void http_metrics_on_connection(void *cls, struct MHD_Connection *conn,
                                void **socket_context,
                                enum MHD_ConnectionNotificationCode toe);

#endif
