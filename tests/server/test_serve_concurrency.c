/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paging while others write: writers POST distinct objects to one
 * collection while readers page through it (objects and manifest) with a
 * small limit, following next and then polling with added_after. Every
 * object must be seen exactly once, in ascending date_added order.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server_checks.h"
#include "util/util.h"

#define WRITERS          4
#define ENVELOPES        20
#define PER_ENVELOPE     50
#define PER_WRITER       (ENVELOPES * PER_ENVELOPE)
#define TOTAL            (WRITERS * PER_WRITER)
#define PAGE             "37"
#define GROUP            0xc000u
#define READ_DEADLINE_NS (INT64_C(180) * 1000000000)

struct scene {
    struct fixture *fx;
    char auth[512];
    char coll[COLL_LEN];
    atomic_int writers_left;
};

/* A thread's outcome: the first problem it met, if any. */
struct outcome {
    bool failed;
    char problem[1024];
};

__attribute__((format(printf, 2, 3))) static void
failed(struct outcome *o, const char *fmt, ...)
{
    va_list ap;

    if (o->failed)
        return;
    o->failed = true;
    va_start(ap, fmt);
    vsnprintf(o->problem, sizeof(o->problem), fmt, ap);
    va_end(ap);
}

struct writer {
    struct scene *scene;
    unsigned index;
    struct outcome out;
};

static void *
write_objects(void *arg)
{
    struct writer *w = arg;
    struct scene *s = w->scene;
    char path[PATH_LEN];
    struct fixture_reply r;

    srv_path(path, s->coll, "objects/");
    for (uint32_t e = 0; e < ENVELOPES && !w->out.failed; e++) {
        json_t *objects = json_array();
        char *body;

        for (uint32_t i = 0; i < PER_ENVELOPE; i++)
            json_array_append_new(
                objects, fixture_indicator(GROUP + w->index,
                                           e * PER_ENVELOPE + i, NULL));
        body = fixture_envelope(objects);
        fixture_request(s->fx,
                        &(struct fixture_request){
                            .path = path, .auth = s->auth, .body = body },
                        &r);
        free(body);
        if (r.curl_rc != CURLE_OK || r.status != 202)
            failed(&w->out, "POST %u: %s, status %ld: %.300s", e,
                   curl_easy_strerror(r.curl_rc), r.status, r.body);
        else if (json_integer_value(json_object_get(r.json, "success_count")) !=
                     PER_ENVELOPE ||
                 json_integer_value(json_object_get(r.json, "failure_count")) !=
                     0)
            failed(&w->out, "POST %u: %.500s", e, r.body);
        fixture_reply_release(&r);
        /* paced, so that readers catch up and poll in between */
        fixture_sleep_ms(10);
    }
    atomic_fetch_sub(&s->writers_left, 1);
    return NULL;
}

struct reader {
    struct scene *scene;
    const char *endpoint; /* "objects" or "manifest" */
    unsigned char seen[TOTAL];
    size_t nseen;
    size_t pages;
    int64_t last_added; /* of the last item seen, to check the order */
    char last_header[64];
    struct outcome out;
};

/* The index of an object the writers posted, -1 for any other id. */
static long
index_of(const char *id)
{
    char hex[16];
    unsigned long group, n;

    if (!id || strlen(id) != 47 || strncmp(id, "indicator--", 11) != 0)
        return -1;
    memcpy(hex, id + 11, 8);
    hex[8] = '\0';
    group = strtoul(hex, NULL, 16);
    n = strtoul(id + 35, NULL, 16);
    if (group < GROUP || group >= GROUP + WRITERS || n >= PER_WRITER)
        return -1;
    return (long)((group - GROUP) * PER_WRITER + n);
}

/* A timestamp as nanoseconds; INT64_MAX when it is none (no assertion). */
static int64_t
time_of(const char *s)
{
    struct fusion_ts ts;

    if (!s || fusion_ts_parse(s, strlen(s), &ts, NULL) != FUSION_OK)
        return INT64_MAX;
    return ts.ns;
}

/* Takes in the items of one page; false once something is wrong. */
static bool
take_page(struct reader *rd, const struct fixture_reply *r)
{
    const char *first = fixture_header(r, "X-TAXII-Date-Added-First");
    const char *last = fixture_header(r, "X-TAXII-Date-Added-Last");
    json_t *list = json_object_get(r->json, "objects");
    size_t i;
    json_t *o;

    if (json_array_size(list) == 0)
        return true;
    if (time_of(first) == INT64_MAX || time_of(last) == INT64_MAX) {
        failed(&rd->out, "a page without date headers");
        return false;
    }
    /* the page starts after the one before */
    if (time_of(first) <= rd->last_added) {
        failed(&rd->out, "page %zu starts at %s, not after %s", rd->pages,
               first, rd->last_header);
        return false;
    }
    json_array_foreach(list, i, o)
    {
        long k = index_of(srv_id(o));

        if (k < 0 || rd->seen[k]) {
            failed(&rd->out, "%s seen %s", srv_id(o),
                   k < 0 ? "though never posted" : "twice");
            return false;
        }
        rd->seen[k] = 1;
        rd->nseen++;
        /* records carry their date_added: each after the one before */
        if (json_object_get(o, "date_added")) {
            int64_t t = time_of(srv_str(o, "date_added"));

            if (t <= rd->last_added || t == INT64_MAX) {
                failed(&rd->out, "date_added %s not after the previous one",
                       srv_str(o, "date_added"));
                return false;
            }
            rd->last_added = t;
        }
    }
    rd->last_added = time_of(last);
    snprintf(rd->last_header, sizeof(rd->last_header), "%s", last);
    return true;
}

static void *
read_objects(void *arg)
{
    struct reader *rd = arg;
    struct scene *s = rd->scene;
    char path[PATH_LEN], next[512] = "", after[128] = "";
    int64_t deadline = fusion_time_now_ns() + READ_DEADLINE_NS;
    struct fixture_reply r;
    bool more;

    for (;;) {
        srv_path(path, s->coll, "%s/?limit=" PAGE "%s%s%s%s", rd->endpoint,
                 *after ? "&added_after=" : "", after, *next ? "&next=" : "",
                 next);
        fixture_request(
            s->fx, &(struct fixture_request){ .path = path, .auth = s->auth },
            &r);
        rd->pages++;
        if (r.curl_rc != CURLE_OK || r.status != 200) {
            failed(&rd->out, "GET %s: %s, status %ld: %.300s", path,
                   curl_easy_strerror(r.curl_rc), r.status, r.body);
            fixture_reply_release(&r);
            break;
        }
        if (!take_page(rd, &r)) {
            fixture_reply_release(&r);
            break;
        }
        more = json_is_true(json_object_get(r.json, "more"));
        if (more) {
            /* the same query with next, as long as there is more */
            const char *n = srv_str(r.json, "next");
            char *esc = n ? curl_easy_escape(NULL, n, 0) : NULL;

            snprintf(next, sizeof(next), "%s", esc ? esc : "");
            curl_free(esc);
            if (!*next)
                snprintf(after, sizeof(after), "%s", rd->last_header);
        } else {
            /* then a new query from the last date_added seen */
            next[0] = '\0';
            if (*rd->last_header)
                snprintf(after, sizeof(after), "%s", rd->last_header);
        }
        fixture_reply_release(&r);
        if (!more && atomic_load(&s->writers_left) == 0 && rd->nseen == TOTAL)
            break;
        if (fusion_time_now_ns() > deadline) {
            failed(&rd->out, "%zu of %d objects after %zu pages", rd->nseen,
                   TOTAL, rd->pages);
            break;
        }
        if (!more)
            fixture_sleep_ms(5);
    }
    return NULL;
}

static void
test_paging_while_writing(void **state)
{
    static struct reader readers[2];
    struct writer writers[WRITERS];
    pthread_t wt[WRITERS], rt[2];
    struct scene s = { .writers_left = WRITERS };
    char token[256];

    (void)state;
    s.fx = fixture_new(false);
    fixture_user(s.fx, "writer", "writer-password");
    fixture_token(s.fx, "writer", NULL, token, sizeof(token));
    fixture_bearer(token, s.auth, sizeof(s.auth));
    fixture_collection(s.fx, "busy", s.coll);
    fixture_grant(s.fx, "read", "writer", "busy");
    fixture_grant(s.fx, "write", "writer", "busy");
    fixture_start(s.fx, FIXTURE_ARGS("--threads", "4"));

    for (size_t i = 0; i < 2; i++) {
        memset(&readers[i], 0, sizeof(readers[i]));
        readers[i].scene = &s;
        readers[i].endpoint = i ? "manifest" : "objects";
        readers[i].last_added = INT64_MIN;
        assert_int_equal(
            pthread_create(&rt[i], NULL, read_objects, &readers[i]), 0);
    }
    for (unsigned i = 0; i < WRITERS; i++) {
        writers[i] = (struct writer){ .scene = &s, .index = i };
        assert_int_equal(
            pthread_create(&wt[i], NULL, write_objects, &writers[i]), 0);
    }
    for (size_t i = 0; i < WRITERS; i++)
        pthread_join(wt[i], NULL);
    for (size_t i = 0; i < 2; i++)
        pthread_join(rt[i], NULL);

    for (size_t i = 0; i < WRITERS; i++) {
        if (writers[i].out.failed)
            fail_msg("writer %zu: %s", i, writers[i].out.problem);
    }
    for (size_t i = 0; i < 2; i++) {
        if (readers[i].out.failed)
            fail_msg("%s reader: %s", readers[i].endpoint,
                     readers[i].out.problem);
        assert_int_equal(readers[i].nseen, TOTAL);
        for (size_t k = 0; k < TOTAL; k++)
            assert_int_equal(readers[i].seen[k], 1);
    }
    fixture_stop(s.fx);
    fixture_free(s.fx);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_paging_while_writing),
    };
    int failed_tests;

    fixture_global_init(argc, argv);
    failed_tests = cmocka_run_group_tests(tests, NULL, NULL);
    fixture_global_cleanup();
    return failed_tests;
}
