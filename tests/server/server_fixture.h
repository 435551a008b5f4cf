/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server tests' fixture: a store in a temporary folder, prepared with
 * the fusion command line, and fusion serve running on it on a loopback
 * port, driven over HTTP with libcurl. Shared by the server test programs.
 */
#ifndef FUSION_TEST_SERVER_FIXTURE_H
#define FUSION_TEST_SERVER_FIXTURE_H

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FIXTURE_TAXII "application/taxii+json;version=2.1"

/* A NULL-terminated argument list, as the command functions take. */
#define FIXTURE_ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct fixture {
    char dir[256];  /* the temporary folder, removed with the fixture */
    char db[300];   /* the store in it */
    char ca[320];   /* the certificate fusion init made, for https */
    bool tls;       /* the store has a certificate beside it */
    bool shared;    /* kept by fixture_teardown: a group's own */
    char base[128]; /* "http://127.0.0.1:PORT" of the running server */
    pid_t pid;      /* the server, 0 when none runs */
    unsigned nfiles;

    /* all the server wrote on stderr, read by a thread of its own */
    int log_fd;
    pthread_t log_reader;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    char *log;
    size_t log_len;
    size_t log_cap;
    bool log_eof;
};

/*
 * Takes the path of the fusion binary from argv[1] and readies libcurl;
 * exits with 77 (a skip for ctest) when no binary is given.
 */
void fixture_global_init(int argc, char **argv);

/* Frees every fixture still there, shared ones too; then libcurl. */
void fixture_global_cleanup(void);

/*
 * A cmocka teardown: frees the fixtures a test made and left behind, as
 * a failed assertion does, except shared ones.
 */
int fixture_teardown(void **state);
#define FIXTURE_TEST(f) cmocka_unit_test_teardown(f, fixture_teardown)

/* The fusion binary under test. */
const char *fixture_binary(void);

/*
 * A new store made by fusion init in a new temporary folder: with the
 * self-signed certificate when tls, else with --no-tls. Fails the test
 * on any error. fixture_free stops a server still running (showing its
 * log, since the test did not stop it) and removes the folder.
 */
struct fixture *fixture_new(bool tls);
void fixture_free(struct fixture *fx);

/* A path in the fixture's folder for a new file, into out (size bytes). */
void fixture_path(struct fixture *fx, const char *name, char *out, size_t size);

/* Writes len bytes of data (strlen when 0) to path; fails the test on error. */
void fixture_write_file(const char *path, const char *data, size_t len);

/*
 * Runs fusion --db DB ARGS... and returns its exit status (-1 when a
 * signal ended it). Its standard output goes into out (size bytes,
 * NUL-terminated, cut to fit) when out is not NULL; its standard error
 * into err likewise.
 */
int fixture_cli(struct fixture *fx, const char *const *args, char *out,
                size_t size, char *err, size_t err_size);

/* fixture_cli that fails the test, showing standard error, unless 0. */
void fixture_cli_ok(struct fixture *fx, const char *const *args, char *out,
                    size_t size);

/* Accounts and collections, through the command line. */
void fixture_user(struct fixture *fx, const char *name, const char *password);
void fixture_passwd(struct fixture *fx, const char *name, const char *password);
/* A new token of user (fusion_<id>_<secret>) into out (size bytes). */
void fixture_token(struct fixture *fx, const char *user,
                   const char *const *options, char *out, size_t size);
/* A new collection; its id into id (37 bytes) when id is not NULL. */
void fixture_collection(struct fixture *fx, const char *alias, char *id);
/* access is "read" or "write"; who a user or @GROUP. */
void fixture_grant(struct fixture *fx, const char *access, const char *who,
                   const char *collection);

/*
 * Starts fusion serve --db DB --listen 127.0.0.1:0 with the extra
 * arguments (NULL-terminated; NULL for none) and waits for its ready
 * line, which gives fx->base. Fails the test, showing the log, when the
 * server exits first.
 */
void fixture_start(struct fixture *fx, const char *const *args);

/*
 * Stops the server with SIGTERM and waits for it: it must exit with 0,
 * have logged that it stopped, and no sanitizer may have reported
 * anything; else the test fails, showing the whole log.
 */
void fixture_stop(struct fixture *fx);

/*
 * Runs fusion serve --db DB --listen 127.0.0.1:0 ARGS, expecting it to
 * refuse to start: returns its exit status, with its standard error in
 * err (size bytes). A server that starts after all is stopped, and -2
 * returned.
 */
int fixture_serve_refused(struct fixture *fx, const char *const *args,
                          char *err, size_t size);

/* Shows the end of the server's log and kills the server, if one runs. */
void fixture_kill(struct fixture *fx);

/* Sends SIGTERM to the server without waiting. */
void fixture_signal_stop(struct fixture *fx);

/* Waits for a server told to stop, with the checks of fixture_stop. */
void fixture_wait_stopped(struct fixture *fx);

/* Whether the server's log so far holds text. Thread-safe. */
bool fixture_log_has(struct fixture *fx, const char *text);

/* Where text first is in the server's log so far; -1 when it is not. */
long fixture_log_offset(struct fixture *fx, const char *text);

/* Writes the server's log so far, or its last lines (0: all), to stderr. */
void fixture_show_log(struct fixture *fx, size_t last_lines);

/*
 * HTTP
 */

struct fixture_request {
    const char *method;       /* NULL: GET, or POST when there is a body */
    const char *path;         /* from the server's root, with any query */
    const char *auth;         /* the Authorization value; NULL: none */
    const char *accept;       /* NULL: the TAXII 2.1 type; "": no header */
    const char *content_type; /* NULL: TAXII 2.1 with a body; "": none */
    const char *body;
    size_t body_len; /* 0: strlen(body) */
    bool chunked;    /* send the body with chunked transfer coding */
    bool no_user_agent;
    long tls_version; /* CURL_SSLVERSION_* bits; 0: any */
    CURLcode (*ssl_ctx_fn)(CURL *curl, void *ssl_ctx, void *userdata);
    /* called with the bytes sent so far as the body goes out */
    void (*on_upload)(void *ctx, curl_off_t sent, curl_off_t total);
    void *upload_ctx;
};

struct fixture_header {
    char *name;
    char *value;
};

struct fixture_reply {
    CURLcode curl_rc;
    long status;
    char *body; /* NUL-terminated; empty when there was none */
    size_t len;
    json_t *json; /* the body parsed, NULL when it is not JSON */
    struct fixture_header *headers;
    size_t nheaders;
    size_t headers_cap;
};

/*
 * Sends rq to the server of fx and fills out, which the caller releases
 * with fixture_reply_release. Makes no assertion, so threads may call it:
 * a transfer failure is left in out->curl_rc.
 */
CURLcode fixture_request(const struct fixture *fx,
                         const struct fixture_request *rq,
                         struct fixture_reply *out);

void fixture_reply_release(struct fixture_reply *r);

/* The value of the header name (any case) in r, NULL when absent. */
const char *fixture_header(const struct fixture_reply *r, const char *name);

/* fixture_request that fails the test when the transfer fails. */
void fixture_call(const struct fixture *fx, const struct fixture_request *rq,
                  struct fixture_reply *out);

/* GET, POST (TAXII media types) and DELETE of path, as auth. */
void fixture_get(const struct fixture *fx, const char *auth, const char *path,
                 struct fixture_reply *out);
void fixture_post(const struct fixture *fx, const char *auth, const char *path,
                  const char *body, struct fixture_reply *out);
void fixture_delete(const struct fixture *fx, const char *auth,
                    const char *path, struct fixture_reply *out);

/*
 * Fails the test unless r has the status: shows the request's reply and
 * the end of the server's log first.
 */
void fixture_expect_at(struct fixture *fx, const struct fixture_reply *r,
                       long status, const char *file, int line);
#define fixture_expect(fx, r, status) \
    fixture_expect_at((fx), (r), (status), __FILE__, __LINE__)

/* Authorization values, into out (size bytes); out is returned. */
char *fixture_basic(const char *user, const char *password, char *out,
                    size_t size);
char *fixture_bearer(const char *token, char *out, size_t size);

/*
 * STIX content
 */

/*
 * A STIX 2.1 indicator with an id made of group and n, so that tests
 * sharing a store use ids of their own, and the given modified time
 * (NULL: its created time, 2020-01-01T00:00:00.000Z).
 */
json_t *fixture_indicator(uint32_t group, uint32_t n, const char *modified);

/* The id fixture_indicator gives, into out (64 bytes). */
char *fixture_indicator_id(uint32_t group, uint32_t n, char *out);

/* The envelope of objects, whose reference it takes, as text to free. */
char *fixture_envelope(json_t *objects);

/* Sleeps for ms milliseconds. */
void fixture_sleep_ms(long ms);

/* TAXII timestamps, microseconds and Z (T-S-14), as nanoseconds. */
bool fixture_is_taxii_time(const char *s);
int64_t fixture_time_ns(const char *s);

#endif
