/* SPDX-License-Identifier: Apache-2.0 */
/* TAXII status resources in the store: put, get, replace and purge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "store/store.h"
#include "store/store_int.h"
#include "store_fixture.h"

static int
setup(void **state)
{
    struct fixture *f = fixture_open();

    if (!f)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_close(*state);
    return 0;
}

#define STATUS_1 "2d086da7-4bdc-4f91-900e-d77486753710"
#define STATUS_2 "2d086da7-4bdc-4f91-900e-d77486753711"
#define STATUS_3 "2d086da7-4bdc-4f91-900e-d77486753712"

struct text {
    size_t calls;
    size_t len;
    char buf[256];
};

static int
collect_text(void *ctx, const char *json, size_t len)
{
    struct text *t = ctx;

    assert_int_equal(strlen(json), len);
    assert_true(len < sizeof(t->buf));
    memcpy(t->buf, json, len + 1);
    t->len = len;
    t->calls++;
    return 0;
}

static void
status_put_ok(struct fusion_store *store, const char *id, int64_t created,
              const char *json)
{
    struct fusion_error err;

    if (fusion_store_status_put(store, id, created, json, strlen(json), &err))
        fail_msg("status put: %s", err.message);
}

static enum fusion_err
status_get(struct fusion_store *store, const char *id, struct text *t)
{
    memset(t, 0, sizeof(*t));
    return fusion_store_status_get(store, id, collect_text, t, NULL);
}

static void
test_status_put_get_replace(void **state)
{
    struct fixture *f = *state;
    static const char pending[] = "{\"id\":\"" STATUS_1 "\","
                                  "\"status\":\"pending\",\"pending_count\":2}";
    static const char done[] = "{\"id\":\"" STATUS_1 "\","
                               "\"status\":\"complete\",\"success_count\":2}";
    struct fusion_error err;
    struct text t;

    status_put_ok(f->store, STATUS_1, 100, pending);
    assert_int_equal(status_get(f->store, STATUS_1, &t), FUSION_OK);
    assert_int_equal(t.calls, 1);
    assert_string_equal(t.buf, pending);

    /* A pending status is updated in place. */
    status_put_ok(f->store, STATUS_1, 100, done);
    assert_int_equal(status_get(f->store, STATUS_1, &t), FUSION_OK);
    assert_string_equal(t.buf, done);

    /* Only len bytes are kept. */
    assert_int_equal(
        fusion_store_status_put(f->store, STATUS_2, 100, "{}xyz", 2, NULL),
        FUSION_OK);
    assert_int_equal(status_get(f->store, STATUS_2, &t), FUSION_OK);
    assert_string_equal(t.buf, "{}");

    memset(&t, 0, sizeof(t));
    assert_int_equal(
        fusion_store_status_get(f->store, STATUS_3, collect_text, &t, &err),
        FUSION_ERR_NOTFOUND);
    assert_non_null(strstr(err.message, STATUS_3));
    assert_int_equal(t.calls, 0);
}

static int
stop_text(void *ctx, const char *json, size_t len)
{
    (void)json;
    (void)len;
    (*(int *)ctx)++;
    return FUSION_ERR_LIMIT;
}

static void
test_status_callback_value_returned(void **state)
{
    struct fixture *f = *state;
    int calls = 0;

    status_put_ok(f->store, STATUS_1, 1, "{}");
    assert_int_equal(
        fusion_store_status_get(f->store, STATUS_1, stop_text, &calls, NULL),
        FUSION_ERR_LIMIT);
    assert_int_equal(calls, 1);
}

static void
test_status_put_invalid(void **state)
{
    struct fixture *f = *state;
    static const char *const bad[] = {
        "",
        "not-a-uuid",
        "2D086DA7-4BDC-4F91-900E-D77486753710",
        "2d086da7-4bdc-4f91-900e-d7748675371",
        "2d086da7-4bdc-4f91-900e-d774867537100",
        "2d086da7x4bdc-4f91-900e-d77486753710",
    };
    struct fusion_store *ro = NULL;
    struct text t;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            fusion_store_status_put(f->store, bad[i], 1, "{}", 2, NULL),
            FUSION_ERR_INVALID);
        assert_int_equal(status_get(f->store, bad[i], &t), FUSION_ERR_NOTFOUND);
    }
    assert_int_equal(
        fusion_store_status_put(f->store, STATUS_1, 1, "", 0, NULL),
        FUSION_ERR_INVALID);
    assert_int_equal(status_get(f->store, STATUS_1, &t), FUSION_ERR_NOTFOUND);

    status_put_ok(f->store, STATUS_1, 1, "{}");
    assert_int_equal(
        fusion_store_open(f->path, FUSION_STORE_READONLY, &ro, NULL),
        FUSION_OK);
    assert_int_equal(fusion_store_status_put(ro, STATUS_2, 1, "{}", 2, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_status_purge(ro, INT64_MAX, NULL, NULL),
                     FUSION_ERR_INVALID);
    /* A read-only handle reads them. */
    assert_int_equal(status_get(ro, STATUS_1, &t), FUSION_OK);
    assert_string_equal(t.buf, "{}");
    fusion_store_close(ro);
}

static void
test_status_purge_by_age(void **state)
{
    struct fixture *f = *state;
    uint64_t removed = 99;
    struct text t;

    status_put_ok(f->store, STATUS_1, 100, "{\"n\":1}");
    status_put_ok(f->store, STATUS_2, 200, "{\"n\":2}");
    status_put_ok(f->store, STATUS_3, 300, "{\"n\":3}");
    assert_int_equal(fusion_store_status_purge(f->store, 100, &removed, NULL),
                     FUSION_OK);
    assert_int_equal(removed, 0);
    assert_int_equal(fusion_store_status_purge(f->store, 201, &removed, NULL),
                     FUSION_OK);
    assert_int_equal(removed, 2);
    assert_int_equal(status_get(f->store, STATUS_1, &t), FUSION_ERR_NOTFOUND);
    assert_int_equal(status_get(f->store, STATUS_2, &t), FUSION_ERR_NOTFOUND);
    assert_int_equal(status_get(f->store, STATUS_3, &t), FUSION_OK);
    assert_string_equal(t.buf, "{\"n\":3}");
    assert_int_equal(fusion_store_status_purge(f->store, INT64_MAX, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(status_get(f->store, STATUS_3, &t), FUSION_ERR_NOTFOUND);
}

static void
test_status_in_open_transaction(void **state)
{
    struct fixture *f = *state;
    uint64_t removed = 0;
    struct text t;

    assert_int_equal(fusion_store_begin(f->store, NULL, NULL), FUSION_OK);
    status_put_ok(f->store, STATUS_1, 100, "{}");
    assert_int_equal(status_get(f->store, STATUS_1, &t), FUSION_OK);
    fusion_store_rollback(f->store);
    assert_int_equal(status_get(f->store, STATUS_1, &t), FUSION_ERR_NOTFOUND);

    assert_int_equal(fusion_store_begin(f->store, NULL, NULL), FUSION_OK);
    status_put_ok(f->store, STATUS_1, 100, "{}");
    status_put_ok(f->store, STATUS_2, 100, "{}");
    assert_int_equal(fusion_store_status_purge(f->store, 101, &removed, NULL),
                     FUSION_OK);
    assert_int_equal(removed, 2);
    status_put_ok(f->store, STATUS_3, 200, "{}");
    assert_int_equal(fusion_store_commit(f->store, NULL), FUSION_OK);
    assert_int_equal(status_get(f->store, STATUS_1, &t), FUSION_ERR_NOTFOUND);
    assert_int_equal(status_get(f->store, STATUS_3, &t), FUSION_OK);
}

static int
count_statements(struct fusion_store *store)
{
    int n = 0;

    for (sqlite3_stmt *s = sqlite3_next_stmt(store->db, NULL); s;
         s = sqlite3_next_stmt(store->db, s))
        n++;
    return n;
}

/* A status read back from inside the callback of another read. */
static int
get_again(void *ctx, const char *json, size_t len)
{
    struct fusion_store *store = ctx;
    struct text t;

    (void)json;
    (void)len;
    assert_int_equal(status_get(store, STATUS_2, &t), FUSION_OK);
    assert_string_equal(t.buf, "{\"n\":2}");
    return 0;
}

static void
test_status_statements_kept(void **state)
{
    enum {
        CALLS = 300
    };
    struct fixture *f = *state;
    sqlite3_stmt *get = f->store->stmts[STMT_STATUS_GET];
    sqlite3_stmt *put = f->store->stmts[STMT_STATUS_PUT];
    int runs = sqlite3_stmt_status(get, SQLITE_STMTSTATUS_RUN, 0);
    char json[32];
    struct text t;
    int n;

    for (int i = 0; i < CALLS; i++) {
        snprintf(json, sizeof(json), "{\"n\":%d}", i);
        status_put_ok(f->store, STATUS_1, i, json);
        assert_int_equal(status_get(f->store, STATUS_1, &t), FUSION_OK);
        assert_string_equal(t.buf, json);
    }
    assert_ptr_equal(f->store->stmts[STMT_STATUS_GET], get);
    assert_ptr_equal(f->store->stmts[STMT_STATUS_PUT], put);
    assert_true(sqlite3_stmt_status(get, SQLITE_STMTSTATUS_RUN, 0) - runs >=
                CALLS);
    assert_false(sqlite3_stmt_busy(get) || sqlite3_stmt_busy(put));

    /* The copy lent while the statement is busy goes when returned. */
    status_put_ok(f->store, STATUS_2, 1, "{\"n\":2}");
    n = count_statements(f->store);
    assert_int_equal(
        fusion_store_status_get(f->store, STATUS_1, get_again, f->store, NULL),
        FUSION_OK);
    assert_int_equal(count_statements(f->store), n);
}

static void
test_status_in_read_transaction(void **state)
{
    struct fixture *f = *state;
    struct fusion_error err;
    struct text t;

    status_put_ok(f->store, STATUS_1, 100, "{}");
    assert_int_equal(fusion_store_read_begin(f->store, NULL), FUSION_OK);
    assert_int_equal(status_get(f->store, STATUS_1, &t), FUSION_OK);
    assert_int_equal(status_get(f->store, STATUS_2, &t), FUSION_ERR_NOTFOUND);
    assert_int_equal(
        fusion_store_status_put(f->store, STATUS_2, 1, "{}", 2, &err),
        FUSION_ERR_INVALID);
    assert_string_equal(err.message, "put status: a read transaction is open");
    fusion_store_read_end(f->store);
    status_put_ok(f->store, STATUS_2, 100, "{}");
    assert_int_equal(status_get(f->store, STATUS_2, &t), FUSION_OK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_status_put_get_replace),
        T(test_status_callback_value_returned),
        T(test_status_put_invalid),
        T(test_status_purge_by_age),
        T(test_status_in_open_transaction),
        T(test_status_statements_kept),
        T(test_status_in_read_transaction),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
