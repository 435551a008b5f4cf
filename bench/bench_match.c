/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Matching benchmark: builds an index of synthetic indicators (directly
 * and through a store), then matches synthetic event lines against it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "match/match.h"

/* Distinct event lines; the timed loops cycle over them. */
#define POOL 2000

struct counts {
    size_t hits;
};

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n per second, or 0 when nothing was timed. */
static double
rate(double n, double secs)
{
    return secs > 0 ? n / secs : 0;
}

static long
peak_rss_kb(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static size_t
parse_count(const char *s, size_t dflt)
{
    int64_t v;

    if (!s)
        return dflt;
    if (fusion_parse_int64(s, strlen(s), &v) || v < 0) {
        fprintf(stderr, "bench_match: '%s' is not a count\n", s);
        exit(2);
    }
    return (size_t)v;
}

static uint64_t
mix64(uint64_t v)
{
    v ^= v >> 31;
    v *= 0x7fb5d329728ea185ULL;
    v ^= v >> 27;
    v *= 0x81dadef4bc2dd44dULL;
    return v ^ (v >> 33);
}

static void
make_id(char *out, size_t size, size_t i)
{
    snprintf(out, size, "indicator--%08x-0000-4000-8000-%012zx",
             (unsigned)(i >> 16), i & 0xffffffffffffu);
}

static void
ip_of(char *out, size_t size, size_t k)
{
    snprintf(out, size, "10.%zu.%zu.%zu", (k >> 16) & 255, (k >> 8) & 255,
             k & 255);
}

static void
sha_of(char *out, size_t size, size_t k)
{
    snprintf(out, size, "%016llx%016llx%016llx%016llx",
             (unsigned long long)mix64(k), (unsigned long long)mix64(k + 1),
             (unsigned long long)mix64(k + 2),
             (unsigned long long)mix64(k + 3));
}

/* Simple indicator i: a quarter each of four observable kinds. */
static void
simple_pattern(char *out, size_t size, size_t i)
{
    char v[80];
    size_t k = i / 4;

    switch (i % 4) {
    case 0:
        ip_of(v, sizeof(v), k);
        snprintf(out, size, "[ipv4-addr:value = '%s']", v);
        break;
    case 1:
        snprintf(out, size, "[domain-name:value = 'd%zu.example.com']", k);
        break;
    case 2:
        snprintf(out, size, "[url:value = 'http://u%zu.example.net/path']", k);
        break;
    default:
        sha_of(v, sizeof(v), k);
        snprintf(out, size, "[file:hashes.'SHA-256' = '%s']", v);
        break;
    }
}

/* Complex indicator j: LIKE, MATCHES, ISSUBSET, AND, FOLLOWEDBY. */
static void
complex_pattern(char *out, size_t size, size_t j)
{
    size_t k = j / 5;

    switch (j % 5) {
    case 0:
        snprintf(out, size, "[url:value LIKE 'http://c%zu.bad.example/%%']", k);
        break;
    case 1:
        snprintf(out, size,
                 "[domain-name:value MATCHES "
                 "'^m%zu\\\\.evil[0-9]*\\\\.example$']",
                 k);
        break;
    case 2:
        snprintf(out, size, "[ipv4-addr:value ISSUBSET '172.%zu.%zu.0/24']",
                 16 + (k >> 8) % 16, k & 255);
        break;
    case 3:
        snprintf(out, size,
                 "[network-traffic:dst_ref.value = '192.168.%zu.%zu' AND "
                 "network-traffic:dst_port = 443]",
                 (k >> 8) & 255, k & 255);
        break;
    default:
        snprintf(out, size,
                 "([domain-name:value = 'f%zu.example.org'] FOLLOWEDBY "
                 "[ipv4-addr:value = '100.64.%zu.%zu']) WITHIN 300 SECONDS",
                 k, (k >> 8) & 255, k & 255);
        break;
    }
}

static void
put_or_die(struct fusion_match_index *idx, size_t ord, const char *pattern)
{
    struct fusion_error err;
    char id[64];

    make_id(id, sizeof(id), ord);
    if (fusion_match_index_put(idx, id, 1, pattern, strlen(pattern), 0, 0,
                               &err)) {
        fprintf(stderr, "bench_match: '%s': %s\n", pattern, err.message);
        exit(1);
    }
}

static void
print_stats(const char *what, const struct fusion_match_index *idx)
{
    struct fusion_match_stats st;

    fusion_match_index_stats(idx, &st);
    printf("%s: %zu indicators (%zu simple, %zu complex, %zu scanned), "
           "%zu keys, %zu prefixes\n",
           what, st.indicators, st.simple, st.complex, st.scanned, st.keys,
           st.prefixes);
}

static struct fusion_match_index *
build_direct(size_t nsimple, size_t ncomplex)
{
    struct fusion_match_index *idx;
    char pattern[512];
    double t0, t1;

    if (fusion_match_index_new(&idx))
        exit(1);
    t0 = now_s();
    for (size_t i = 0; i < nsimple; i++) {
        simple_pattern(pattern, sizeof(pattern), i);
        put_or_die(idx, i, pattern);
    }
    for (size_t j = 0; j < ncomplex; j++) {
        complex_pattern(pattern, sizeof(pattern), j);
        put_or_die(idx, nsimple + j, pattern);
    }
    t1 = now_s();
    printf("index build: %zu simple + %zu complex indicators in %.2f s "
           "(%.0f indicators/s)\n",
           nsimple, ncomplex, t1 - t0,
           rate((double)(nsimple + ncomplex), t1 - t0));
    print_stats("index", idx);
    return idx;
}

static void
store_one(struct fusion_store *store, size_t i, const char *pattern)
{
    struct fusion_store_object o = {
        .type = "indicator",
        .spec_version = "2.1",
        .version = INT64_C(1672531200000000000),
    };
    enum fusion_store_put_result res;
    struct fusion_error err;
    json_t *obj;
    char id[64];
    char *text;

    make_id(id, sizeof(id), i);
    obj = json_pack(
        "{ss ss ss ss ss ss ss ss}", "type", "indicator", "spec_version", "2.1",
        "id", id, "created", "2023-01-01T00:00:00.000Z", "modified",
        "2023-01-01T00:00:00.000Z", "pattern", pattern, "pattern_type", "stix",
        "valid_from", "2023-01-01T00:00:00Z");
    text = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (!text) {
        fprintf(stderr, "bench_match: out of memory\n");
        exit(1);
    }
    o.id = id;
    o.json = text;
    o.json_len = strlen(text);
    if (fusion_store_put(store, &o, &res, &err)) {
        fprintf(stderr, "bench_match: store: %s\n", err.message);
        exit(1);
    }
    free(text);
    json_decref(obj);
}

/*
 * Loads n indicators (the same mix, up to millions: one transaction per
 * 100,000) into a new store, then builds an index by following it.
 */
static void
build_through_store(size_t n, size_t ncomplex)
{
    static const struct fusion_store_source src = { .kind = "bench",
                                                    .name = "match" };
    char path[64] = "/tmp/fusion-bench-match-XXXXXX", side[80];
    size_t nc = ncomplex ? n / 100 : 0;
    struct fusion_match_index *idx;
    struct fusion_store *store;
    struct fusion_error err;
    char pattern[512];
    int64_t since = 0;
    double t0, t1, t2;
    int fd = mkstemp(path);

    if (fd < 0 || close(fd) ||
        fusion_store_open(path, FUSION_STORE_CREATE, &store, &err)) {
        fprintf(stderr, "bench_match: cannot make a store in /tmp\n");
        exit(1);
    }
    t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        if (i % 100000 == 0 && fusion_store_begin(store, &src, &err))
            exit(1);
        if (i < nc)
            complex_pattern(pattern, sizeof(pattern), i);
        else
            simple_pattern(pattern, sizeof(pattern), i);
        store_one(store, i, pattern);
        if ((i % 100000 == 99999 || i + 1 == n) &&
            fusion_store_commit(store, &err)) {
            fprintf(stderr, "bench_match: store: %s\n", err.message);
            exit(1);
        }
    }
    t1 = now_s();
    if (fusion_match_index_new(&idx) ||
        fusion_match_index_follow(idx, store, &since, NULL, NULL, &err)) {
        fprintf(stderr, "bench_match: follow: %s\n", err.message);
        exit(1);
    }
    t2 = now_s();
    printf("store load: %zu indicators stored in %.2f s; index built from "
           "the store in %.2f s (%.0f indicators/s)\n",
           n, t1 - t0, t2 - t1, rate((double)n, t2 - t1));
    print_stats("index from store", idx);
    fusion_match_index_free(idx);
    fusion_store_close(store);
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
}

/*
 * Event line k of the pool: STIX SCOs and Suricata events. About a third
 * hit a simple indicator; a few percent hit or complete complex ones.
 */
static int
event_line(char *out, size_t size, size_t k, size_t nsimple)
{
    size_t q = nsimple / 4 ? (k * 7919) % (nsimple / 4) : 0;
    unsigned mm = (unsigned)(k / 60) % 60, ss = (unsigned)k % 60;
    size_t c = (k / 10) % 2000;
    bool rare = k % 50 < 10;
    char v[80];

    switch (k % 10) {
    case 0:
        ip_of(v, sizeof(v), q);
        return snprintf(out, size, "{\"type\":\"ipv4-addr\",\"value\":\"%s\"}",
                        v);
    case 1:
        return snprintf(out, size,
                        "{\"type\":\"ipv4-addr\",\"value\":\"11.%zu.%zu.%zu\"}",
                        (k >> 16) & 255, (k >> 8) & 255, k & 255);
    case 2:
        return snprintf(out, size,
                        "{\"type\":\"domain-name\",\"value\":"
                        "\"d%zu.example.com\"}",
                        q);
    case 3:
        return snprintf(out, size,
                        "{\"type\":\"url\",\"value\":\"http://miss%zu.example/"
                        "index.html\"}",
                        k);
    case 4:
        /* the two halves of a FOLLOWEDBY, or a simple hit and a miss */
        return snprintf(
            out, size,
            "{\"timestamp\":\"2023-01-01T10:%02u:%02u.000000+0000\","
            "\"event_type\":\"dns\",\"src_ip\":\"10.200.0.1\","
            "\"dest_ip\":\"10.200.0.53\",\"src_port\":40000,"
            "\"dest_port\":53,\"proto\":\"UDP\",\"dns\":{"
            "\"rrname\":\"%s%zu.example.%s\",\"answers\":[{"
            "\"rrtype\":\"A\",\"rdata\":\"100.%s.%zu.%zu\"}]}}",
            mm, ss, rare ? "f" : "d", rare ? c : q, rare ? "org" : "com",
            rare ? "64" : "65", c >> 8, c & 255);
    case 5:
        return snprintf(
            out, size,
            "{\"timestamp\":\"2023-01-01T10:%02u:%02u.000000+0000\","
            "\"event_type\":\"http\",\"src_ip\":\"10.200.0.1\","
            "\"dest_ip\":\"%s.%zu.%zu.9\",\"src_port\":40001,"
            "\"dest_port\":80,\"proto\":\"TCP\",\"http\":{"
            "\"hostname\":\"u%zu.example.net\",\"url\":\"/path\","
            "\"http_user_agent\":\"bench/1\",\"http_method\":"
            "\"GET\"}}",
            mm, ss, rare ? "172" : "198", 16 + (c >> 8) % 8, c & 255, q);
    case 6:
        sha_of(v, sizeof(v), q);
        return snprintf(
            out, size,
            "{\"timestamp\":\"2023-01-01T10:%02u:%02u.000000+0000\","
            "\"event_type\":\"fileinfo\",\"fileinfo\":{"
            "\"filename\":\"/f%zu.bin\",\"sha256\":\"%s\","
            "\"size\":1024}}",
            mm, ss, k, k % 20 < 10 ? v : "00");
    case 7:
        return snprintf(
            out, size,
            "{\"timestamp\":\"2023-01-01T10:%02u:%02u.000000+0000\","
            "\"event_type\":\"flow\",\"src_ip\":\"10.200.0.1\","
            "\"dest_ip\":\"%s.%zu.%zu\",\"src_port\":40002,"
            "\"dest_port\":443,\"proto\":\"TCP\"}",
            mm, ss, rare ? "192.168" : "198.19", c >> 8, c & 255);
    case 8:
        return snprintf(out, size,
                        "{\"type\":\"url\",\"value\":\"http://%s%zu.%s.example/"
                        "x\"}",
                        rare ? "c" : "ok", c, rare ? "bad" : "good");
    default:
        return snprintf(out, size,
                        "{\"type\":\"domain-name\",\"value\":"
                        "\"m%zu.%s7.example\"}",
                        c, rare ? "evil" : "fine");
    }
}

static int
count_hit(void *ctx, const struct fusion_match_hit *hit)
{
    struct counts *c = ctx;

    (void)hit;
    c->hits++;
    return 0;
}

/* Pool lines 4 to 7 of every ten are Suricata events, the rest SCOs. */
static bool
is_suricata(size_t k)
{
    return k % 10 >= 4 && k % 10 <= 7;
}

/* Match only, over the events of one kind. */
static void
match_kind(struct fusion_match_index *idx, struct fusion_event **pool,
           size_t nevents, bool suricata)
{
    struct counts c = { 0 };
    struct fusion_error err;
    size_t done = 0;
    double t0, t1;

    t0 = now_s();
    for (size_t i = 0; done < nevents; i++) {
        if (is_suricata(i % POOL) != suricata)
            continue;
        if (fusion_match_index_match(idx, pool[i % POOL], count_hit, &c,
                                     &err)) {
            fprintf(stderr, "bench_match: match: %s\n", err.message);
            exit(1);
        }
        done++;
    }
    t1 = now_s();
    printf("match only, %s: %zu events in %.2f s: %.0f events/s, %.2f hits "
           "per event\n",
           suricata ? "Suricata events (3 to 5 SCOs each)" : "single SCO lines",
           done, t1 - t0, rate((double)done, t1 - t0),
           done ? (double)c.hits / (double)done : 0);
}

static void
run_events(struct fusion_match_index *idx, size_t nsimple, size_t nevents,
           size_t ne2e)
{
    static char lines[POOL][512];
    static size_t lens[POOL];
    static struct fusion_event *pool[POOL];
    struct counts c = { 0 };
    struct fusion_error err;
    double t0, t1;

    for (size_t k = 0; k < POOL; k++) {
        lens[k] = (size_t)event_line(lines[k], sizeof(lines[k]), k, nsimple);
        if (fusion_event_read(lines[k], lens[k], FUSION_EVENT_AUTO, &pool[k],
                              &err)) {
            fprintf(stderr, "bench_match: event %zu: %s\n", k, err.message);
            exit(1);
        }
    }

    t0 = now_s();
    for (size_t i = 0; i < nevents; i++) {
        if (fusion_match_index_match(idx, pool[i % POOL], count_hit, &c,
                                     &err)) {
            fprintf(stderr, "bench_match: match: %s\n", err.message);
            exit(1);
        }
    }
    t1 = now_s();
    printf("match only, all: %zu events in %.2f s: %.0f events/s, %zu hits "
           "(%.2f per event)\n",
           nevents, t1 - t0, rate((double)nevents, t1 - t0), c.hits,
           nevents ? (double)c.hits / (double)nevents : 0);

    match_kind(idx, pool, nevents, false);
    match_kind(idx, pool, nevents, true);

    c.hits = 0;
    t0 = now_s();
    for (size_t i = 0; i < ne2e; i++) {
        struct fusion_event *ev;

        if (fusion_event_read(lines[i % POOL], lens[i % POOL],
                              FUSION_EVENT_AUTO, &ev, &err) ||
            fusion_match_index_match(idx, ev, count_hit, &c, &err)) {
            fprintf(stderr, "bench_match: %s\n", err.message);
            exit(1);
        }
        fusion_event_unref(ev);
    }
    t1 = now_s();
    printf("read and match: %zu lines in %.2f s: %.0f events/s, %zu hits\n",
           ne2e, t1 - t0, rate((double)ne2e, t1 - t0), c.hits);
    for (size_t k = 0; k < POOL; k++)
        fusion_event_unref(pool[k]);
}

int
main(int argc, char **argv)
{
    size_t nsimple = parse_count(argc > 1 ? argv[1] : NULL, 1000000);
    size_t ncomplex = parse_count(argc > 2 ? argv[2] : NULL, 10000);
    size_t nstore = parse_count(argc > 3 ? argv[3] : NULL, 100000);
    size_t nevents = parse_count(argc > 4 ? argv[4] : NULL, 2000000);
    size_t ne2e = parse_count(argc > 5 ? argv[5] : NULL, 500000);
    struct fusion_match_index *idx;

    if (argc > 6) {
        fprintf(stderr, "usage: bench_match [SIMPLE [COMPLEX [STORE "
                        "[EVENTS [LINES]]]]]\n");
        return 2;
    }
    idx = build_direct(nsimple, ncomplex);
    printf("peak RSS after the index: %.1f MB\n", peak_rss_kb() / 1024.0);
    run_events(idx, nsimple, nevents, ne2e);
    fusion_match_index_free(idx);
    if (nstore)
        build_through_store(nstore, ncomplex);
    printf("peak RSS: %.1f MB\n", peak_rss_kb() / 1024.0);
    return 0;
}
