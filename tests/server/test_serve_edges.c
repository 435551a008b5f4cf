/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Edges of fusion serve: uploads refused on their headers alone, HEAD,
 * request size limits, the one shape of error bodies, cursors that do
 * not depend on how the URL names a collection, repeated credentials,
 * failed objects in a status, dates before 1970, and the messages of
 * the command line around the server.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "server_fixture.h"

#define PATH_MAX_LEN 512
#define RAW_MAX      65536

static struct fixture *fx;
static char shared[37]; /* alias "shared": alice writes, bob reads */
static char alice[256];
static char bob[256];
static char dave[256];
static unsigned next_group = 0xe000;

static int
setup(void **state)
{
    (void)state;
    fx = fixture_new(false);
    fx->shared = true;
    fixture_user(fx, "alice", "alice-password");
    fixture_user(fx, "bob", "bob-password");
    fixture_user(fx, "dave", "dave-password");
    fixture_collection(fx, "shared", shared);
    fixture_grant(fx, "read", "alice", "shared");
    fixture_grant(fx, "write", "alice", "shared");
    fixture_grant(fx, "read", "bob", "shared");
    fixture_basic("alice", "alice-password", alice, sizeof(alice));
    fixture_basic("bob", "bob-password", bob, sizeof(bob));
    fixture_basic("dave", "dave-password", dave, sizeof(dave));
    fixture_start(fx, FIXTURE_ARGS("--max-body", "1048576"));
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    fixture_stop(fx);
    fixture_free(fx);
    fx = NULL;
    return 0;
}

/*
 * Raw HTTP, for what libcurl would smooth over: headers sent without
 * their body, headers sent twice, HEAD.
 */

static int
raw_connect(void)
{
    const char *port = strrchr(fx->base, ':');
    struct sockaddr_in sa = { .sin_family = AF_INET };
    int fd;

    assert_non_null(port);
    sa.sin_port = htons((uint16_t)strtoul(port + 1, NULL, 10));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/*
 * Sends head (the request line and header fields, without the blank line
 * that ends them) and reads what comes back until the server closes the
 * connection or is silent for 3 s, into out (RAW_MAX bytes). Returns the
 * length read.
 */
static size_t
raw_exchange(const char *head, char *out)
{
    size_t size = strlen(head) + 5;
    char *req = malloc(size);
    struct pollfd pfd;
    size_t len = 0;
    int fd = raw_connect();
    int n;

    assert_non_null(req);
    n = snprintf(req, size, "%s\r\n\r\n", head);
    assert_true(n > 0 && (size_t)n < size);
    assert_int_equal(send(fd, req, (size_t)n, 0), n);
    free(req);
    pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
    while (len < RAW_MAX - 1 && poll(&pfd, 1, 3000) == 1) {
        ssize_t got = recv(fd, out + len, RAW_MAX - 1 - len, 0);

        if (got <= 0)
            break;
        len += (size_t)got;
    }
    out[len] = '\0';
    close(fd);
    return len;
}

/* The status of the first response in a raw reply. */
static long
raw_status(const char *reply)
{
    if (strncmp(reply, "HTTP/1.1 ", 9) != 0)
        return -1;
    return strtol(reply + 9, NULL, 10);
}

/* The body of a raw reply: what follows the blank line. */
static const char *
raw_body(const char *reply)
{
    const char *end = strstr(reply, "\r\n\r\n");

    return end ? end + 4 : "";
}

/*
 * An upload of 9 MB announced with Expect: 100-continue, as auth (NULL:
 * none), its body never sent; the server must answer on the headers.
 */
static void
expect_refused_upload(const char *coll, const char *auth, long status)
{
    char head[2048], reply[RAW_MAX];

    snprintf(head, sizeof(head),
             "POST /api/collections/%s/objects/ HTTP/1.1\r\n"
             "Host: 127.0.0.1\r\n"
             "Accept: " FIXTURE_TAXII "\r\n"
             "Content-Type: " FIXTURE_TAXII "\r\n"
             "Content-Length: 9000000\r\n"
             "Expect: 100-continue%s%s",
             coll, auth ? "\r\nAuthorization: " : "", auth ? auth : "");
    raw_exchange(head, reply);
    if (raw_status(reply) != status)
        fail_msg("upload to %s as %.12s: wanted %ld before the body, got: "
                 "%.200s",
                 coll, auth ? auth : "nobody", status, reply);
    assert_null(strstr(reply, "100 Continue"));
    assert_non_null(strstr(reply, "X-Request-ID: "));
}

static void
test_upload_refused_on_headers(void **state)
{
    (void)state;
    expect_refused_upload(shared, NULL, 401);
    expect_refused_upload("shared", "Basic d3Jvbmc6d3Jvbmc=", 401);
    expect_refused_upload(shared, bob, 403);
    expect_refused_upload("no-such-collection", alice, 404);
    expect_refused_upload(shared, dave, 404);
    assert_true(fixture_log_has(fx, "status=403"));
}

/* An upload that may go on is told to send its body. */
static void
test_upload_allowed_gets_continue(void **state)
{
    char head[2048], reply[RAW_MAX];

    (void)state;
    snprintf(head, sizeof(head),
             "POST /api/collections/shared/objects/ HTTP/1.1\r\n"
             "Host: 127.0.0.1\r\n"
             "Accept: " FIXTURE_TAXII "\r\n"
             "Content-Type: " FIXTURE_TAXII "\r\n"
             "Content-Length: 16\r\n"
             "Expect: 100-continue\r\n"
             "Authorization: %s",
             alice);
    raw_exchange(head, reply);
    assert_int_equal(raw_status(reply), 100);
}

/*
 * HEAD
 */

static void
test_head_where_get(void **state)
{
    char head[1024], reply[RAW_MAX];
    struct fixture_reply get;

    (void)state;
    raw_exchange("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close",
                 reply);
    assert_int_equal(raw_status(reply), 200);
    assert_non_null(strstr(reply, "Content-Length: "));
    assert_string_equal(raw_body(reply), "");

    fixture_get(fx, alice, "/taxii2/", &get);
    fixture_expect(fx, &get, 200);
    snprintf(head, sizeof(head),
             "HEAD /taxii2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Accept: " FIXTURE_TAXII "\r\nAuthorization: %s",
             alice);
    raw_exchange(head, reply);
    assert_int_equal(raw_status(reply), 200);
    assert_non_null(strstr(reply, "Content-Type: " FIXTURE_TAXII));
    {
        char cl[64];

        snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", get.len);
        assert_non_null(strstr(reply, cl));
    }
    assert_string_equal(raw_body(reply), "");
    fixture_reply_release(&get);

    /* without credentials, the same 401 as GET */
    raw_exchange("HEAD /taxii2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 "Accept: " FIXTURE_TAXII,
                 reply);
    assert_int_equal(raw_status(reply), 401);
    assert_string_equal(raw_body(reply), "");

    /* and Allow names it */
    fixture_call(fx,
                 &(struct fixture_request){
                     .method = "DELETE", .path = "/taxii2/", .auth = alice },
                 &get);
    fixture_expect(fx, &get, 405);
    assert_string_equal(fixture_header(&get, "Allow"), "GET, HEAD");
    fixture_reply_release(&get);
}

/*
 * Error bodies
 */

/* The error resource, in the one shape and serialisation of them all. */
static void
expect_error_shape(const struct fixture_reply *r, long status)
{
    const char *keys[] = { "title", "description", "error_id", "http_status" };
    char want[16];
    char *dumped;

    fixture_expect(fx, r, status);
    if (!r->json || json_object_size(r->json) != 4)
        fail_msg("status %ld: not the error resource: %s", status, r->body);
    for (size_t i = 0; i < 4; i++) {
        if (!json_is_string(json_object_get(r->json, keys[i])))
            fail_msg("status %ld: no string %s in %s", status, keys[i],
                     r->body);
    }
    snprintf(want, sizeof(want), "%ld", status);
    assert_string_equal(
        json_string_value(json_object_get(r->json, "http_status")), want);
    assert_string_equal(json_string_value(json_object_get(r->json, "error_id")),
                        fixture_header(r, "X-Request-ID"));
    assert_string_equal(fixture_header(r, "Content-Type"), FIXTURE_TAXII);
    dumped = json_dumps(r->json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(dumped);
    assert_string_equal(dumped, r->body);
    free(dumped);
}

static void
test_error_bodies_one_shape(void **state)
{
    struct fixture_reply r;

    (void)state;
    fixture_get(fx, alice, "/nowhere/at/all", &r);
    expect_error_shape(&r, 404);
    fixture_reply_release(&r);

    fixture_delete(fx, alice, "/taxii2/", &r);
    expect_error_shape(&r, 405);
    fixture_reply_release(&r);

    fixture_get(fx, alice, "/api/collections/%zz/", &r);
    expect_error_shape(&r, 400);
    fixture_reply_release(&r);

    fixture_get(fx, NULL, "/api/collections/", &r);
    expect_error_shape(&r, 401);
    fixture_reply_release(&r);

    fixture_call(fx,
                 &(struct fixture_request){ .path = "/api/collections/",
                                            .auth = alice,
                                            .accept = "text/html" },
                 &r);
    expect_error_shape(&r, 406);
    fixture_reply_release(&r);

    fixture_call(
        fx,
        &(struct fixture_request){ .path = "/api/collections/shared/objects/",
                                   .auth = alice,
                                   .content_type = "text/plain",
                                   .body = "{}" },
        &r);
    expect_error_shape(&r, 415);
    fixture_reply_release(&r);

    /* a declared body over --max-body (1 MiB here) */
    {
        char *body = calloc(1, (size_t)(2 << 20) + 1);

        assert_non_null(body);
        memset(body, ' ', (size_t)(2 << 20));
        fixture_call(fx,
                     &(struct fixture_request){
                         .path = "/api/collections/shared/objects/",
                         .auth = alice,
                         .body = body },
                     &r);
        free(body);
    }
    expect_error_shape(&r, 413);
    fixture_reply_release(&r);
}

static void
test_missing_trailing_slash_explained(void **state)
{
    struct fixture_reply r;
    const char *desc;

    (void)state;
    fixture_get(fx, alice, "/api/collections/shared", &r);
    expect_error_shape(&r, 404);
    desc = json_string_value(json_object_get(r.json, "description"));
    if (!strstr(desc, "did you mean /api/collections/shared/ "))
        fail_msg("no hint: %s", desc);
    fixture_reply_release(&r);

    fixture_get(fx, NULL, "/taxii2", &r);
    expect_error_shape(&r, 404);
    desc = json_string_value(json_object_get(r.json, "description"));
    if (!strstr(desc, "did you mean /taxii2/ with a trailing slash"))
        fail_msg("no hint: %s", desc);
    fixture_reply_release(&r);
}

/*
 * Request size limits
 */

/* A request of head raw, answered with the error resource of status. */
static void
expect_raw_error(const char *head, long status)
{
    char *reply = malloc(RAW_MAX);
    char want[32];

    assert_non_null(reply);
    raw_exchange(head, reply);
    assert_int_equal(raw_status(reply), status);
    assert_non_null(strstr(reply, "X-Request-ID: "));
    assert_non_null(strstr(reply, "Content-Type: " FIXTURE_TAXII));
    snprintf(want, sizeof(want), "\"http_status\":\"%ld\"}", status);
    assert_non_null(strstr(raw_body(reply), want));
    assert_non_null(strstr(raw_body(reply), "{\"title\":"));
    free(reply);
}

static void
test_long_url_and_headers_json(void **state)
{
    static const char get[] =
        "GET /api/?x=HTTP/1.1\r\nHost: x\r\nConnection: close";
    static const char filler[] =
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Filler: ";
    size_t fill = 20000;
    char *head = malloc(fill + 200);

    (void)state;
    assert_non_null(head);
    assert_false(fixture_log_has(fx, "status=414"));
    memcpy(head, "GET /api/?x=", 12);
    memset(head + 12, 'a', fill);
    snprintf(head + 12 + fill, 100, " %s", get + 12);
    expect_raw_error(head, 414);
    for (int i = 0; i < 50 && !fixture_log_has(fx, "status=414"); i++)
        fixture_sleep_ms(20);
    assert_true(fixture_log_has(fx, "status=414"));

    fill = 30000;
    head = realloc(head, sizeof(filler) + fill);
    assert_non_null(head);
    memcpy(head, filler, sizeof(filler) - 1);
    memset(head + sizeof(filler) - 1, 'b', fill);
    head[sizeof(filler) - 1 + fill] = '\0';
    expect_raw_error(head, 431);
    free(head);
}

/*
 * Credentials
 */

static void
test_two_authorization_headers_400(void **state)
{
    char head[2048], reply[RAW_MAX];

    (void)state;
    snprintf(head, sizeof(head),
             "GET /taxii2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Accept: " FIXTURE_TAXII "\r\nAuthorization: %s\r\n"
             "Authorization: %s",
             alice, dave);
    raw_exchange(head, reply);
    assert_int_equal(raw_status(reply), 400);
    snprintf(head, sizeof(head),
             "GET /taxii2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Accept: " FIXTURE_TAXII "\r\nAuthorization: Basic eDp5\r\n"
             "Authorization: %s",
             alice);
    raw_exchange(head, reply);
    assert_int_equal(raw_status(reply), 400);
    assert_non_null(strstr(raw_body(reply), "Authorization"));
}

/*
 * Objects
 */

static void
post_ok(const char *auth, const char *path, json_t *objects)
{
    struct fixture_reply r;
    char *env = fixture_envelope(objects);

    fixture_post(fx, auth, path, env, &r);
    free(env);
    fixture_expect(fx, &r, 202);
    fixture_reply_release(&r);
}

static void
test_added_after_before_1970(void **state)
{
    static const char *const afters[] = { "1969-12-31T23:59:59Z",
                                          "1000-01-01T00:00:00Z",
                                          "1970-01-01T00:00:00Z" };
    char path[PATH_MAX_LEN], id[64];
    unsigned g = next_group++;
    struct fixture_reply r;

    (void)state;
    post_ok(alice, "/api/collections/shared/objects/",
            json_pack("[o]", fixture_indicator(g, 1, NULL)));
    fixture_indicator_id(g, 1, id);
    for (size_t i = 0; i < sizeof(afters) / sizeof(afters[0]); i++) {
        static const char *const ends[] = { "objects/", "manifest/", "" };

        for (size_t e = 0; e < 3; e++) {
            if (e < 2)
                snprintf(path, sizeof(path),
                         "/api/collections/shared/%s?added_after=%s", ends[e],
                         afters[i]);
            else
                snprintf(path, sizeof(path),
                         "/api/collections/shared/objects/%s/versions/"
                         "?added_after=%s",
                         id, afters[i]);
            fixture_get(fx, alice, path, &r);
            fixture_expect(fx, &r, 200);
            if (!strstr(r.body, e == 2 ? "2020-01-01" : id))
                fail_msg("%s: not everything: %s", path, r.body);
            fixture_reply_release(&r);
        }
    }
}

/* A failure listed in a status: the detail whose message holds text. */
static json_t *
failure_with(json_t *status, const char *text)
{
    size_t i;
    json_t *d;

    json_array_foreach(json_object_get(status, "failures"), i, d)
    {
        const char *m = json_string_value(json_object_get(d, "message"));

        if (m && strstr(m, text))
            return d;
    }
    fail_msg("no failure about '%s'", text);
    return NULL;
}

static void
test_failures_name_their_object(void **state)
{
    const char *body =
        "{\"objects\":["
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
        "\"id\":\"indicator--0b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a41\","
        "\"created\":\"2020-01-01T00:00:00.000Z\","
        "\"modified\":\"2021-05-05T00:00:00.000Z\",\"name\":\"a\\u0000b\","
        "\"pattern\":\"[ipv4-addr:value = '1.2.3.4']\","
        "\"pattern_type\":\"stix\","
        "\"valid_from\":\"2020-01-01T00:00:00Z\"},"
        "{\"type\":\"malware\",\"spec_version\":\"2.1\","
        "\"created\":\"2020-01-01T00:00:00.000Z\","
        "\"modified\":\"2020-02-02T00:00:00.000Z\",\"is_family\":true,"
        "\"name\":\"no-id\"},"
        "{\"type\":\"malware\",\"id\":7,\"spec_version\":\"2.1\","
        "\"created\":\"not a time\",\"is_family\":true}"
        "]}";
    struct fixture_reply r;
    const char *id;
    json_t *d;
    size_t i;

    (void)state;
    fixture_post(fx, alice, "/api/collections/shared/objects/", body, &r);
    fixture_expect(fx, &r, 202);
    assert_int_equal(
        json_integer_value(json_object_get(r.json, "failure_count")), 3);
    d = failure_with(r.json, "NUL");
    assert_string_equal(json_string_value(json_object_get(d, "id")),
                        "indicator--0b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a41");
    assert_string_equal(json_string_value(json_object_get(d, "version")),
                        "2021-05-05T00:00:00.000Z");
    json_array_foreach(json_object_get(r.json, "failures"), i, d)
    {
        id = json_string_value(json_object_get(d, "id"));
        assert_non_null(id);
        assert_true(strchr(id, '-') && strstr(id, "--"));
        assert_non_null(json_string_value(json_object_get(d, "version")));
        assert_int_equal(
            strlen(json_string_value(json_object_get(d, "version"))), 24);
    }
    d = failure_with(r.json, "line 1, byte");
    id = json_string_value(json_object_get(d, "id"));
    assert_memory_equal(id, "x-fusion-unidentified--", 23);
    fixture_reply_release(&r);
}

/*
 * Cursors
 */

/* The next cursor of a first page of one object, from path. */
static void
first_next(const char *path, char *out, size_t size)
{
    struct fixture_reply r;
    const char *next;

    fixture_get(fx, alice, path, &r);
    fixture_expect(fx, &r, 200);
    next = json_string_value(json_object_get(r.json, "next"));
    if (!next)
        fail_msg("%s: no next: %s", path, r.body);
    snprintf(out, size, "%s", next);
    fixture_reply_release(&r);
}

static void
test_cursor_bound_to_collection_not_spelling(void **state)
{
    char path[PATH_MAX_LEN], a[128], b[128], c[128];
    unsigned g = next_group++;
    struct fixture_reply r;

    (void)state;
    post_ok(alice, "/api/collections/shared/objects/",
            json_pack("[o,o,o]", fixture_indicator(g, 1, NULL),
                      fixture_indicator(g, 2, NULL),
                      fixture_indicator(g, 3, NULL)));
    first_next("/api/collections/shared/objects/?limit=1&match[type]="
               "indicator,malware",
               a, sizeof(a));
    first_next("/api/collections/%73hared/objects/?limit=1&match[type]="
               "malware,indicator",
               b, sizeof(b));
    snprintf(path, sizeof(path),
             "/api/collections/%s/objects/?limit=1&match%%5Btype%%5D="
             "indicator%%2Cmalware",
             shared);
    first_next(path, c, sizeof(c));
    assert_string_equal(a, b);
    assert_string_equal(a, c);

    /* a cursor got through the alias pages on through the id */
    snprintf(path, sizeof(path),
             "/api/collections/%s/objects/?limit=1&match[type]=indicator,"
             "malware&next=%s",
             shared, a);
    fixture_get(fx, alice, path, &r);
    fixture_expect(fx, &r, 200);
    fixture_reply_release(&r);

    /* but not with other filters */
    snprintf(path, sizeof(path),
             "/api/collections/shared/objects/?limit=1&next=%s", a);
    fixture_get(fx, alice, path, &r);
    fixture_expect(fx, &r, 400);
    fixture_reply_release(&r);
}

/*
 * Accounts and the command line
 */

static void
test_disabled_user_refused_until_enabled(void **state)
{
    struct fixture_reply r;

    (void)state;
    fixture_get(fx, bob, "/api/collections/", &r);
    fixture_expect(fx, &r, 200);
    fixture_reply_release(&r);
    fixture_cli_ok(fx, FIXTURE_ARGS("user", "disable", "bob"), NULL, 0);
    fixture_get(fx, bob, "/api/collections/", &r);
    fixture_expect(fx, &r, 401);
    fixture_reply_release(&r);
    fixture_cli_ok(fx, FIXTURE_ARGS("user", "enable", "bob"), NULL, 0);
    fixture_get(fx, bob, "/api/collections/", &r);
    fixture_expect(fx, &r, 200);
    fixture_reply_release(&r);
}

static size_t
count_lines(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void
test_listen_errors_say_why(void **state)
{
    char listen[64], err[4096];
    const char *port = strrchr(fx->base, ':') + 1;

    (void)state;
    snprintf(listen, sizeof(listen), "127.0.0.1:%s", port);
    assert_int_not_equal(fixture_serve_refused(fx,
                                               FIXTURE_ARGS("--listen", listen),
                                               err, sizeof(err)),
                         0);
    if (!strstr(err, "Address already in use"))
        fail_msg("no reason: %s", err);

    assert_int_equal(
        fixture_serve_refused(fx, FIXTURE_ARGS("--listen", "127.0.0.1:99999"),
                              err, sizeof(err)),
        2);
    if (count_lines(err) != 1 || !strstr(err, "65535"))
        fail_msg("not one line about the port: %s", err);

    assert_int_equal(
        fixture_serve_refused(fx, FIXTURE_ARGS("--listen", "localhost:8443"),
                              err, sizeof(err)),
        2);
    if (!strstr(err, "numeric"))
        fail_msg("host names: %s", err);
}

static void
test_collection_messages_name_what_was_given(void **state)
{
    char err[4096];

    (void)state;
    assert_int_not_equal(fixture_cli(fx,
                                     FIXTURE_ARGS("collection", "add",
                                                  "--alias", "shared", "dup"),
                                     NULL, 0, err, sizeof(err)),
                         0);
    if (!strstr(err, "the alias 'shared' is taken") || strstr(err, "id '"))
        fail_msg("conflict message: %s", err);

    assert_int_not_equal(fixture_cli(fx,
                                     FIXTURE_ARGS("collection", "add",
                                                  "--alias", "a/b", "slashed"),
                                     NULL, 0, err, sizeof(err)),
                         0);
    if (!strstr(err, "'a/b'") || !strstr(err, "letters, digits"))
        fail_msg("alias message: %s", err);
}

/* Listening on every address, the ready line gives a URL one can use. */
static void
test_ready_url_for_all_addresses(void **state)
{
    struct fixture *all = fixture_new(false);
    struct fixture_reply r;

    (void)state;
    fixture_start(all, FIXTURE_ARGS("--listen", "0.0.0.0:0", "--plain-http"));
    assert_true(fixture_log_has(all, "url=http://127.0.0.1:"));
    assert_false(fixture_log_has(all, "url=http://0.0.0.0"));
    fixture_get(all, NULL, "/healthz", &r);
    fixture_expect(all, &r, 200);
    fixture_reply_release(&r);
    fixture_stop(all);
    fixture_free(all);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_upload_refused_on_headers),
        FIXTURE_TEST(test_upload_allowed_gets_continue),
        FIXTURE_TEST(test_head_where_get),
        FIXTURE_TEST(test_error_bodies_one_shape),
        FIXTURE_TEST(test_missing_trailing_slash_explained),
        FIXTURE_TEST(test_long_url_and_headers_json),
        FIXTURE_TEST(test_two_authorization_headers_400),
        FIXTURE_TEST(test_added_after_before_1970),
        FIXTURE_TEST(test_failures_name_their_object),
        FIXTURE_TEST(test_cursor_bound_to_collection_not_spelling),
        FIXTURE_TEST(test_disabled_user_refused_until_enabled),
        FIXTURE_TEST(test_listen_errors_say_why),
        FIXTURE_TEST(test_collection_messages_name_what_was_given),
        FIXTURE_TEST(test_ready_url_for_all_addresses),
    };
    int rc;

    fixture_global_init(argc, argv);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    fixture_global_cleanup();
    return rc;
}
