/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stopping fusion serve: a request in flight when SIGTERM comes (a large
 * POST) completes with its normal answer, one that begins meanwhile is
 * told the server is stopping, and the server exits cleanly.
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

#define OBJECTS     10000
#define GROUP       0xd0u
#define SENT_WAIT_S 60

struct upload {
    struct fixture *fx;
    const char *auth;
    char path[PATH_LEN];
    char *body;
    atomic_bool sent; /* the whole body has gone out */
    struct fixture_reply reply;
};

static void
on_upload(void *ctx, curl_off_t sent, curl_off_t total)
{
    struct upload *u = ctx;

    if (total > 0 && sent == total)
        atomic_store(&u->sent, true);
}

static void *
post_large(void *arg)
{
    struct upload *u = arg;

    fixture_request(u->fx,
                    &(struct fixture_request){ .path = u->path,
                                               .auth = u->auth,
                                               .body = u->body,
                                               .on_upload = on_upload,
                                               .upload_ctx = u },
                    &u->reply);
    return NULL;
}

static void
test_shutdown_finishes_request_in_flight(void **state)
{
    struct fixture *fx = fixture_new(false);
    static struct upload u;
    char token[256], auth[512], coll[COLL_LEN], id[64];
    json_t *objects = json_array();
    struct fixture_reply late;
    long stopping, served;
    pthread_t t;
    int waited = 0;

    (void)state;
    fixture_user(fx, "poster", "poster-password");
    fixture_token(fx, "poster", NULL, token, sizeof(token));
    fixture_bearer(token, auth, sizeof(auth));
    fixture_collection(fx, "large", coll);
    fixture_grant(fx, "write", "poster", "large");
    for (uint32_t i = 0; i < OBJECTS; i++)
        json_array_append_new(objects, fixture_indicator(GROUP, i, NULL));
    memset(&u, 0, sizeof(u));
    u.fx = fx;
    u.auth = auth;
    u.body = fixture_envelope(objects);
    srv_path(u.path, coll, "objects/");
    fixture_start(fx, NULL);

    assert_int_equal(pthread_create(&t, NULL, post_large, &u), 0);
    while (!atomic_load(&u.sent) && waited++ < SENT_WAIT_S * 1000)
        fixture_sleep_ms(1);
    /* the body is in; the server is storing it when the signal comes */
    fixture_sleep_ms(30);
    fixture_signal_stop(fx);
    /*
     * While the POST is stored, a new request is refused; if the POST
     * has ended already and the server with it, the connection is.
     */
    fixture_sleep_ms(10);
    fixture_request(fx, &(struct fixture_request){ .path = "/taxii2/" }, &late);
    if (late.curl_rc == CURLE_OK) {
        assert_int_equal(late.status, 503);
        assert_non_null(strstr(late.body, "server stopping"));
        assert_non_null(fixture_header(&late, "Retry-After"));
    }
    fixture_reply_release(&late);
    pthread_join(t, NULL);
    free(u.body);

    if (u.reply.curl_rc != CURLE_OK)
        fail_msg("the POST in flight failed: %s",
                 curl_easy_strerror(u.reply.curl_rc));
    fixture_expect(fx, &u.reply, 202);
    assert_int_equal(srv_int(u.reply.json, "success_count"), OBJECTS);
    assert_int_equal(srv_int(u.reply.json, "failure_count"), 0);
    fixture_reply_release(&u.reply);
    fixture_wait_stopped(fx);

    /* it was in flight: its access line comes after the stop began */
    stopping = fixture_log_offset(fx, "module=serve event=stopping");
    served = fixture_log_offset(fx, "method=POST");
    assert_true(stopping >= 0);
    assert_true(served > stopping);
    fixture_cli_ok(
        fx, FIXTURE_ARGS("get", fixture_indicator_id(GROUP, OBJECTS - 1, id)),
        NULL, 0);
    fixture_free(fx);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_shutdown_finishes_request_in_flight),
    };
    int failed;

    fixture_global_init(argc, argv);
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    fixture_global_cleanup();
    return failed;
}
