/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request metrics kept by the server itself, written in the Prometheus
 * text exposition format, version 0.0.4.
 */
#include "http/http.h"

#include <inttypes.h>
#include <string.h>

#include "http/http_int.h"

#define NS_PER_SEC UINT64_C(1000000000)

/* Upper bounds of the finite latency buckets in microseconds; then +Inf. */
static const int64_t bucket_us[HTTP_BUCKETS - 1] = {
    500,    1000,   2500,   5000,    10000,   25000,   50000,
    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

static const char *const bucket_le[HTTP_BUCKETS] = {
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
    "0.25",   "0.5",   "1",      "2.5",   "5",    "10",    "+Inf",
};

/*
 * Methods told apart for requests that matched no route. Such a method
 * is whatever the client sent, so the rest count as "other" and no
 * client can add series.
 */
static const char *const unrouted_methods[] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other",
};

#define NUNROUTED (sizeof(unrouted_methods) / sizeof(unrouted_methods[0]))

static size_t
unrouted_index(const char *method)
{
    for (size_t i = 0; method && i < NUNROUTED - 1; i++) {
        if (!strcmp(unrouted_methods[i], method))
            return i;
    }
    return NUNROUTED - 1;
}

static struct http_stats *
stats_for(const struct fusion_http_request *req)
{
    const struct fusion_http_server *srv = req->server;

    if (!srv->stats)
        return NULL;
    if (req->route)
        return &srv->stats[req->route - srv->routes];
    return &srv->stats[srv->nroutes + unrouted_index(req->method)];
}

/*
 * Labels of entry i of the counters. False for a route that repeats the
 * method and pattern of an earlier one: it can never match, and writing
 * it would give two series the same labels.
 */
static bool
entry_labels(const struct fusion_http_server *srv, size_t i, const char **route,
             const char **method)
{
    if (i >= srv->nroutes) {
        *route = "none";
        *method = unrouted_methods[i - srv->nroutes];
        return true;
    }
    *route = srv->routes[i].pattern;
    *method = srv->routes[i].method;
    for (size_t j = 0; j < i; j++) {
        if (!strcmp(srv->routes[j].method, *method) &&
            !strcmp(srv->routes[j].pattern, *route))
            return false;
    }
    return true;
}

static uint64_t
load(_Atomic uint64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

static void
add(_Atomic uint64_t *v, uint64_t n)
{
    atomic_fetch_add_explicit(v, n, memory_order_relaxed);
}

/* Label values escape backslash, double quote and line feed (0.0.4). */
static enum fusion_err
put_label_value(struct fusion_buf *out, const char *s)
{
    enum fusion_err rc = FUSION_OK;

    while (!rc && *s) {
        size_t n = strcspn(s, "\\\"\n");

        rc = fusion_buf_append(out, s, n);
        s += n;
        if (rc || !*s)
            break;
        rc = fusion_buf_puts(out, *s == '\n'  ? "\\n"
                                  : *s == '"' ? "\\\""
                                              : "\\\\");
        s++;
    }
    return rc;
}

/* Writes name{route="...",method="..." and leaves the braces open. */
static enum fusion_err
open_series(struct fusion_buf *out, const char *name, const char *route,
            const char *method)
{
    enum fusion_err rc;

    rc = fusion_buf_printf(out, "%s{route=\"", name);
    if (!rc)
        rc = put_label_value(out, route);
    if (!rc)
        rc = fusion_buf_puts(out, "\",method=\"");
    if (!rc)
        rc = put_label_value(out, method);
    if (!rc)
        rc = fusion_buf_putc(out, '"');
    return rc;
}

static enum fusion_err
put_family(struct fusion_buf *out, const char *name, const char *type,
           const char *help)
{
    return fusion_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
                             name, type);
}

static enum fusion_err
put_status_counts(struct fusion_http_server *srv, size_t i,
                  struct fusion_buf *out)
{
    static const char name[] = "fusion_http_requests_total";
    struct http_stats *st = &srv->stats[i];
    const char *route;
    const char *method;
    enum fusion_err rc = FUSION_OK;

    if (!entry_labels(srv, i, &route, &method))
        return FUSION_OK;
    for (unsigned s = 0; s < HTTP_STATUS_SPAN && !rc; s++) {
        uint64_t n = load(&st->by_status[s]);

        if (!n)
            continue;
        rc = open_series(out, name, route, method);
        if (!rc)
            rc = fusion_buf_printf(out, ",code=\"%u\"} %" PRIu64 "\n",
                                   s + HTTP_STATUS_MIN, n);
    }
    return rc;
}

static enum fusion_err
put_requests(struct fusion_http_server *srv, struct fusion_buf *out)
{
    enum fusion_err rc;

    rc = put_family(out, "fusion_http_requests_total", "counter",
                    "HTTP requests answered, by route pattern, method and "
                    "status code.");
    for (size_t i = 0; i < srv->nstats && !rc; i++)
        rc = put_status_counts(srv, i, out);
    return rc;
}

/*
 * One histogram. The buckets are read once and summed here, and the
 * count is their total, so a scrape that races with requests still sees
 * cumulative buckets that agree with _count.
 */
static enum fusion_err
put_histogram(struct fusion_http_server *srv, size_t i, struct fusion_buf *out)
{
    struct http_stats *st = &srv->stats[i];
    uint64_t counts[HTTP_BUCKETS];
    uint64_t total = 0;
    uint64_t sum;
    const char *route;
    const char *method;
    enum fusion_err rc = FUSION_OK;

    for (size_t b = 0; b < HTTP_BUCKETS; b++)
        counts[b] = load(&st->buckets[b]);
    sum = load(&st->sum_ns);
    for (size_t b = 0; b < HTTP_BUCKETS; b++)
        total += counts[b];
    /* routes always appear; unrouted methods once they have been seen */
    if (!entry_labels(srv, i, &route, &method) || (i >= srv->nroutes && !total))
        return FUSION_OK;

    total = 0;
    for (size_t b = 0; b < HTTP_BUCKETS && !rc; b++) {
        total += counts[b];
        rc = open_series(out, "fusion_http_request_duration_seconds_bucket",
                         route, method);
        if (!rc)
            rc = fusion_buf_printf(out, ",le=\"%s\"} %" PRIu64 "\n",
                                   bucket_le[b], total);
    }
    if (!rc)
        rc = open_series(out, "fusion_http_request_duration_seconds_sum", route,
                         method);
    /* whole and fractional seconds printed apart: exact, no locale */
    if (!rc)
        rc = fusion_buf_printf(out, "} %" PRIu64 ".%09" PRIu64 "\n",
                               sum / NS_PER_SEC, sum % NS_PER_SEC);
    if (!rc)
        rc = open_series(out, "fusion_http_request_duration_seconds_count",
                         route, method);
    if (!rc)
        rc = fusion_buf_printf(out, "} %" PRIu64 "\n", total);
    return rc;
}

static enum fusion_err
put_durations(struct fusion_http_server *srv, struct fusion_buf *out)
{
    enum fusion_err rc;

    rc = put_family(out, "fusion_http_request_duration_seconds", "histogram",
                    "Time from a request's arrival to its response being "
                    "queued, by route pattern and method.");
    for (size_t i = 0; i < srv->nstats && !rc; i++)
        rc = put_histogram(srv, i, out);
    return rc;
}

static enum fusion_err
put_bytes(struct fusion_http_server *srv, struct fusion_buf *out)
{
    static const char name[] = "fusion_http_response_bytes_total";
    enum fusion_err rc;

    rc = put_family(out, name, "counter",
                    "Response body bytes queued for sending, by route "
                    "pattern and method.");
    for (size_t i = 0; i < srv->nstats && !rc; i++) {
        uint64_t n = load(&srv->stats[i].bytes);
        const char *route;
        const char *method;

        if (!entry_labels(srv, i, &route, &method) || (i >= srv->nroutes && !n))
            continue;
        rc = open_series(out, name, route, method);
        if (!rc)
            rc = fusion_buf_printf(out, "} %" PRIu64 "\n", n);
    }
    return rc;
}

static enum fusion_err
put_gauges(struct fusion_http_server *srv, struct fusion_buf *out)
{
    size_t active;
    enum fusion_err rc;

    pthread_mutex_lock(&srv->lock);
    active = srv->active;
    pthread_mutex_unlock(&srv->lock);

    rc = put_family(out, "fusion_http_requests_in_flight", "gauge",
                    "Requests received and not yet completed.");
    if (!rc)
        rc = fusion_buf_printf(out, "fusion_http_requests_in_flight %zu\n",
                               active);
    if (!rc)
        rc = put_family(out, "fusion_http_connections_open", "gauge",
                        "Client connections open.");
    if (!rc)
        rc =
            fusion_buf_printf(out, "fusion_http_connections_open %" PRIu64 "\n",
                              load(&srv->conns_open));
    if (!rc)
        rc = put_family(out, "fusion_http_connections_total", "counter",
                        "Client connections accepted.");
    if (!rc)
        rc = fusion_buf_printf(out,
                               "fusion_http_connections_total %" PRIu64 "\n",
                               load(&srv->conns_total));
    return rc;
}

enum fusion_err
http_metrics_start(struct fusion_http_server *srv)
{
    size_t n = srv->nroutes + NUNROUTED;
    struct http_stats *stats = fusion_calloc(n, sizeof(*stats));

    if (!stats)
        return FUSION_ERR_NOMEM;
    http_metrics_release(srv);
    srv->stats = stats;
    srv->nstats = n;
    return FUSION_OK;
}

void
http_metrics_release(struct fusion_http_server *srv)
{
    FUSION_FREE(srv->stats);
    srv->nstats = 0;
}

void
http_metrics_record(const struct fusion_http_request *req, unsigned status,
                    size_t bytes, int64_t elapsed_ns)
{
    struct http_stats *st = stats_for(req);
    size_t b = 0;

    if (!st)
        return;
    /* a bucket counts the observations at or below its bound */
    while (b < HTTP_BUCKETS - 1 && elapsed_ns > bucket_us[b] * 1000)
        b++;
    if (status >= HTTP_STATUS_MIN &&
        status - HTTP_STATUS_MIN < HTTP_STATUS_SPAN)
        add(&st->by_status[status - HTTP_STATUS_MIN], 1);
    add(&st->buckets[b], 1);
    add(&st->sum_ns, elapsed_ns > 0 ? (uint64_t)elapsed_ns : 0);
    add(&st->bytes, bytes);
}

void
http_metrics_on_connection(void *cls, struct MHD_Connection *conn,
                           void **socket_context,
                           enum MHD_ConnectionNotificationCode toe)
{
    struct fusion_http_server *srv = cls;

    (void)conn;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        add(&srv->conns_open, 1);
        add(&srv->conns_total, 1);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        atomic_fetch_sub_explicit(&srv->conns_open, 1, memory_order_relaxed);
    }
}

enum fusion_err
fusion_http_server_metrics(struct fusion_http_server *server,
                           struct fusion_buf *out)
{
    size_t mark = out->len;
    enum fusion_err rc;

    rc = put_requests(server, out);
    if (!rc)
        rc = put_durations(server, out);
    if (!rc)
        rc = put_bytes(server, out);
    if (!rc)
        rc = put_gauges(server, out);
    /* a failed call leaves out as it found it, not half a scrape */
    if (rc && out->data) {
        out->len = mark;
        out->data[mark] = '\0';
    }
    return rc;
}
