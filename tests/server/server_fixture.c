/* SPDX-License-Identifier: Apache-2.0 */
/* The server tests' fixture: a store, fusion serve on it, and a client. */
#include "server_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "util/util.h"

#define MAX_ARGS      64
#define READY_WAIT_S  60
#define REQUEST_WAIT  120L
#define LOG_LIMIT     ((size_t)256 << 20)
#define CAPTURE_LIMIT ((size_t)64 << 20)

extern char **environ;

#define MAX_LIVE 16

static const char *binary;

/* The fixtures not freed yet, so that a failed test leaves no server. */
static struct fixture *live[MAX_LIVE];

/* What sanitizers print when they find something. */
static const char *const sanitizer_marks[] = {
    "ERROR: AddressSanitizer",  "ERROR: LeakSanitizer",   "runtime error:",
    "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer",
};

void
fixture_global_init(int argc, char **argv)
{
    if (argc < 2 || access(argv[1], X_OK) != 0) {
        printf("skipped: give the fusion binary as the first argument\n");
        exit(77);
    }
    binary = argv[1];
    /* a server that died must fail a request, not the test program */
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
fixture_global_cleanup(void)
{
    for (size_t i = 0; i < MAX_LIVE; i++)
        fixture_free(live[i]);
    curl_global_cleanup();
}

int
fixture_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < MAX_LIVE; i++) {
        if (live[i] && !live[i]->shared)
            fixture_free(live[i]);
    }
    return 0;
}

const char *
fixture_binary(void)
{
    return binary;
}

/*
 * Folders and files
 */

static void
remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    char sub[1024];
    struct stat st;

    if (!d) {
        unlink(path);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(sub);
        else
            unlink(sub);
    }
    closedir(d);
    rmdir(path);
}

void
fixture_path(struct fixture *fx, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%u-%s", fx->dir, fx->nfiles++, name);
}

void
fixture_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (!f)
        fail_msg("cannot create %s: %s", path, strerror(errno));
    if (len == 0)
        len = strlen(data);
    if (fwrite(data, 1, len, f) != len || fclose(f) != 0)
        fail_msg("cannot write %s", path);
}

/* The whole of a file, cut to size - 1 bytes, NUL-terminated. */
static void
read_capture(const char *path, char *out, size_t size)
{
    FILE *f;
    size_t n;

    if (!out || size == 0)
        return;
    out[0] = '\0';
    f = fopen(path, "rb");
    if (!f)
        return;
    n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
}

struct fixture *
fixture_new(bool tls)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    size_t slot = 0;

    assert_non_null(fx);
    while (slot < MAX_LIVE && live[slot])
        slot++;
    assert_true(slot < MAX_LIVE);
    live[slot] = fx;
    snprintf(fx->dir, sizeof(fx->dir), "%s/fusion-server-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx->dir))
        fail_msg("cannot make a temporary folder: %s", strerror(errno));
    snprintf(fx->db, sizeof(fx->db), "%s/store.db", fx->dir);
    snprintf(fx->ca, sizeof(fx->ca), "%s-cert.pem", fx->db);
    fx->tls = tls;
    fx->log_fd = -1;
    pthread_mutex_init(&fx->mu, NULL);
    pthread_cond_init(&fx->cond, NULL);
    if (tls)
        fixture_cli_ok(fx, FIXTURE_ARGS("init"), NULL, 0);
    else
        fixture_cli_ok(fx, FIXTURE_ARGS("init", "--no-tls"), NULL, 0);
    return fx;
}

/*
 * Processes
 */

/*
 * Spawns fusion with argv, its standard input from /dev/null, its
 * output to out_path (NULL: /dev/null) and its errors to err_fd (or
 * err_path when err_fd is negative).
 */
static pid_t
spawn(const char *const *argv, const char *out_path, const char *err_path,
      int err_fd)
{
    posix_spawn_file_actions_t fa;
    pid_t pid = 0;
    int rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path ? out_path : "/dev/null",
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (err_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    else
        posix_spawn_file_actions_addopen(&fa, 2, err_path,
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
    rc = posix_spawn(&pid, binary, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        fail_msg("cannot run %s: %s", binary, strerror(rc));
    return pid;
}

/* fusion --db DB then args, into argv (MAX_ARGS entries). */
static void
command_line(const struct fixture *fx, const char *first,
             const char *const *args, const char **argv)
{
    size_t n = 0;

    argv[n++] = binary;
    argv[n++] = "--db";
    argv[n++] = fx->db;
    if (first)
        argv[n++] = first;
    for (size_t i = 0; args && args[i]; i++) {
        assert_true(n + 1 < MAX_ARGS);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
}

static int
wait_exit(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            fail_msg("waitpid: %s", strerror(errno));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
fixture_cli(struct fixture *fx, const char *const *args, char *out, size_t size,
            char *err, size_t err_size)
{
    const char *argv[MAX_ARGS];
    char out_path[512], err_path[512];
    int status;

    snprintf(out_path, sizeof(out_path), "%s/cli.out", fx->dir);
    snprintf(err_path, sizeof(err_path), "%s/cli.err", fx->dir);
    command_line(fx, NULL, args, argv);
    status = wait_exit(spawn(argv, out_path, err_path, -1));
    read_capture(out_path, out, size);
    read_capture(err_path, err, err_size);
    return status;
}

void
fixture_cli_ok(struct fixture *fx, const char *const *args, char *out,
               size_t size)
{
    char err[4096];
    int status = fixture_cli(fx, args, out, size, err, sizeof(err));

    if (status != 0) {
        fprintf(stderr, "fusion");
        for (size_t i = 0; args[i]; i++)
            fprintf(stderr, " %s", args[i]);
        fprintf(stderr, ": exit %d\n%s\n", status, err);
        fail();
    }
}

void
fixture_user(struct fixture *fx, const char *name, const char *password)
{
    char path[512];

    fixture_path(fx, "password", path, sizeof(path));
    fixture_write_file(path, password, 0);
    fixture_cli_ok(fx,
                   FIXTURE_ARGS("user", "add", "--password-file", path, name),
                   NULL, 0);
}

void
fixture_passwd(struct fixture *fx, const char *name, const char *password)
{
    char path[512];

    fixture_path(fx, "password", path, sizeof(path));
    fixture_write_file(path, password, 0);
    fixture_cli_ok(
        fx, FIXTURE_ARGS("user", "passwd", "--password-file", path, name), NULL,
        0);
}

/* The last non-empty line of text, into out. */
static void
last_line(const char *text, char *out, size_t size)
{
    const char *end = text + strlen(text);
    const char *start;

    while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    start = end;
    while (start > text && start[-1] != '\n')
        start--;
    snprintf(out, size, "%.*s", (int)(end - start), start);
}

void
fixture_token(struct fixture *fx, const char *user, const char *const *options,
              char *out, size_t size)
{
    const char *args[MAX_ARGS] = { "token", "create" };
    char text[1024];
    size_t n = 2;

    for (size_t i = 0; options && options[i]; i++)
        args[n++] = options[i];
    args[n++] = user;
    args[n] = NULL;
    fixture_cli_ok(fx, args, text, sizeof(text));
    last_line(text, out, size);
    assert_true(strncmp(out, "fusion_", 7) == 0);
}

void
fixture_collection(struct fixture *fx, const char *alias, char *id)
{
    char text[256], title[128];

    snprintf(title, sizeof(title), "Collection %s", alias);
    fixture_cli_ok(fx,
                   FIXTURE_ARGS("collection", "add", "--alias", alias, title),
                   text, sizeof(text));
    if (id) {
        last_line(text, id, FUSION_UUID_LEN + 1);
        assert_true(fusion_uuid_is_valid(id, strlen(id), NULL));
    }
}

void
fixture_grant(struct fixture *fx, const char *access, const char *who,
              const char *collection)
{
    fixture_cli_ok(fx, FIXTURE_ARGS("grant", access, who, collection), NULL, 0);
}

/*
 * The server and its log
 */

static void *
read_log(void *arg)
{
    struct fixture *fx = arg;
    char buf[8192];
    ssize_t n;

    for (;;) {
        n = read(fx->log_fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        pthread_mutex_lock(&fx->mu);
        if (n > 0 && fx->log_len + (size_t)n + 1 > fx->log_cap &&
            fx->log_cap < LOG_LIMIT) {
            size_t cap = fx->log_cap ? fx->log_cap * 2 : 65536;
            char *p;

            while (cap < fx->log_len + (size_t)n + 1)
                cap *= 2;
            p = realloc(fx->log, cap);
            if (p) {
                fx->log = p;
                fx->log_cap = cap;
            }
        }
        if (n > 0 && fx->log_len + (size_t)n + 1 <= fx->log_cap) {
            memcpy(fx->log + fx->log_len, buf, (size_t)n);
            fx->log_len += (size_t)n;
            fx->log[fx->log_len] = '\0';
        }
        if (n <= 0)
            fx->log_eof = true;
        pthread_cond_broadcast(&fx->cond);
        pthread_mutex_unlock(&fx->mu);
        if (n <= 0)
            return NULL;
    }
}

long
fixture_log_offset(struct fixture *fx, const char *text)
{
    const char *at;
    long offset;

    pthread_mutex_lock(&fx->mu);
    at = fx->log ? strstr(fx->log, text) : NULL;
    offset = at ? (long)(at - fx->log) : -1;
    pthread_mutex_unlock(&fx->mu);
    return offset;
}

bool
fixture_log_has(struct fixture *fx, const char *text)
{
    return fixture_log_offset(fx, text) >= 0;
}

void
fixture_show_log(struct fixture *fx, size_t last_lines)
{
    const char *start, *p;
    size_t lines = 0;

    pthread_mutex_lock(&fx->mu);
    start = fx->log ? fx->log : "";
    for (p = start + (fx->log ? fx->log_len : 0); last_lines && p > start;) {
        p--;
        if (*p == '\n' && ++lines > last_lines) {
            start = p + 1;
            break;
        }
    }
    /* cmocka's own printing cuts long text short */
    fprintf(stderr, "---- server log%s ----\n%s---- end of server log ----\n",
            last_lines ? " (end)" : "", start);
    pthread_mutex_unlock(&fx->mu);
}

/* The URL of the ready line, up to /taxii2/, into fx->base. */
static bool
parse_ready(struct fixture *fx)
{
    const char *line = strstr(fx->log, "event=ready");
    const char *url, *end;

    if (!line || !strchr(line, '\n'))
        return false;
    url = strstr(line, " url=");
    if (!url)
        return false;
    url += 5;
    end = strstr(url, "/taxii2/");
    if (!end || (size_t)(end - url) >= sizeof(fx->base))
        return false;
    snprintf(fx->base, sizeof(fx->base), "%.*s", (int)(end - url), url);
    return true;
}

/* Waits for the server and its log; its exit status, -1 for a signal. */
static int
reap(struct fixture *fx)
{
    int status = wait_exit(fx->pid);

    fx->pid = 0;
    pthread_join(fx->log_reader, NULL);
    close(fx->log_fd);
    fx->log_fd = -1;
    return status;
}

void
fixture_start(struct fixture *fx, const char *const *args)
{
    const char *const listen[] = { "--listen", "127.0.0.1:0", NULL };
    const char *all[MAX_ARGS];
    const char *argv[MAX_ARGS];
    struct timespec until;
    size_t n = 0;
    bool ready = false;
    int fds[2];

    assert_int_equal(fx->pid, 0);
    for (size_t i = 0; listen[i]; i++)
        all[n++] = listen[i];
    for (size_t i = 0; args && args[i]; i++)
        all[n++] = args[i];
    all[n] = NULL;
    command_line(fx, "serve", all, argv);

    assert_int_equal(pipe(fds), 0);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    pthread_mutex_lock(&fx->mu);
    fx->log_len = 0;
    fx->log_eof = false;
    if (fx->log)
        fx->log[0] = '\0';
    pthread_mutex_unlock(&fx->mu);
    fx->log_fd = fds[0];
    fx->pid = spawn(argv, NULL, NULL, fds[1]);
    close(fds[1]);
    assert_int_equal(pthread_create(&fx->log_reader, NULL, read_log, fx), 0);

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += READY_WAIT_S;
    pthread_mutex_lock(&fx->mu);
    while (!(ready = fx->log && parse_ready(fx)) && !fx->log_eof) {
        if (pthread_cond_timedwait(&fx->cond, &fx->mu, &until) != 0)
            break;
    }
    pthread_mutex_unlock(&fx->mu);
    if (!ready) {
        kill(fx->pid, SIGKILL);
        reap(fx);
        fixture_show_log(fx, 0);
        fail_msg("fusion serve did not get ready");
    }
}

int
fixture_serve_refused(struct fixture *fx, const char *const *args, char *err,
                      size_t size)
{
    const char *all[MAX_ARGS] = { "serve", "--listen", "127.0.0.1:0" };
    const char *argv[MAX_ARGS];
    char err_path[512];
    size_t n = 3;
    int ws;
    pid_t pid;

    assert_non_null(err);
    for (size_t i = 0; args && args[i]; i++)
        all[n++] = args[i];
    all[n] = NULL;
    snprintf(err_path, sizeof(err_path), "%s/serve.err", fx->dir);
    command_line(fx, NULL, all, argv);
    pid = spawn(argv, NULL, err_path, -1);
    for (int waited = 0; waited < READY_WAIT_S * 100; waited++) {
        if (waitpid(pid, &ws, WNOHANG) == pid) {
            read_capture(err_path, err, size);
            return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
        }
        read_capture(err_path, err, size);
        if (strstr(err, "event=ready"))
            break;
        fixture_sleep_ms(10);
    }
    kill(pid, SIGTERM);
    wait_exit(pid);
    read_capture(err_path, err, size);
    return -2;
}

void
fixture_signal_stop(struct fixture *fx)
{
    assert_true(fx->pid > 0);
    kill(fx->pid, SIGTERM);
}

void
fixture_wait_stopped(struct fixture *fx)
{
    const char *problem = NULL;
    int status;

    assert_true(fx->pid > 0);
    status = reap(fx);
    if (status != 0)
        problem = "fusion serve did not exit with 0 on SIGTERM";
    else if (!fixture_log_has(fx, "module=serve event=stopped"))
        problem = "fusion serve did not log that it stopped";
    for (size_t i = 0;
         !problem && i < sizeof(sanitizer_marks) / sizeof(sanitizer_marks[0]);
         i++) {
        if (fixture_log_has(fx, sanitizer_marks[i]))
            problem = "a sanitizer reported a finding in fusion serve";
    }
    if (problem) {
        fixture_show_log(fx, 0);
        fail_msg("%s (exit %d)", problem, status);
    }
}

void
fixture_stop(struct fixture *fx)
{
    fixture_signal_stop(fx);
    fixture_wait_stopped(fx);
}

void
fixture_kill(struct fixture *fx)
{
    if (fx->pid <= 0)
        return;
    fprintf(stderr, "the test left fusion serve running\n");
    fixture_show_log(fx, 60);
    kill(fx->pid, SIGKILL);
    reap(fx);
}

void
fixture_free(struct fixture *fx)
{
    if (!fx)
        return;
    for (size_t i = 0; i < MAX_LIVE; i++) {
        if (live[i] == fx)
            live[i] = NULL;
    }
    fixture_kill(fx);
    remove_tree(fx->dir);
    pthread_mutex_destroy(&fx->mu);
    pthread_cond_destroy(&fx->cond);
    free(fx->log);
    free(fx);
}

/*
 * HTTP
 */

struct transfer {
    struct fixture_reply *reply;
    size_t cap;
    const struct fixture_request *rq;
    bool overflow;
};

static size_t
on_body(char *data, size_t size, size_t n, void *userdata)
{
    struct transfer *t = userdata;
    struct fixture_reply *r = t->reply;
    size_t len = size * n;

    if (r->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 16384;
        char *p;

        while (cap < r->len + len + 1)
            cap *= 2;
        p = cap <= CAPTURE_LIMIT ? realloc(r->body, cap) : NULL;
        if (!p) {
            t->overflow = true;
            return 0;
        }
        r->body = p;
        t->cap = cap;
    }
    memcpy(r->body + r->len, data, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

static void
clear_headers(struct fixture_reply *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    r->nheaders = 0;
}

static size_t
on_header(char *line, size_t size, size_t n, void *userdata)
{
    struct transfer *t = userdata;
    struct fixture_reply *r = t->reply;
    size_t len = size * n;
    const char *colon = memchr(line, ':', len);
    size_t vstart, vend;

    /* a new status line: the headers of an interim response are dropped */
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        clear_headers(r);
        return len;
    }
    if (!colon)
        return len;
    if (r->nheaders == r->headers_cap) {
        size_t cap = r->headers_cap ? r->headers_cap * 2 : 16;
        struct fixture_header *h = realloc(r->headers, cap * sizeof(*h));

        if (!h)
            return 0;
        r->headers = h;
        r->headers_cap = cap;
    }
    vstart = (size_t)(colon - line) + 1;
    while (vstart < len && line[vstart] == ' ')
        vstart++;
    vend = len;
    while (vend > vstart && (line[vend - 1] == '\r' || line[vend - 1] == '\n'))
        vend--;
    r->headers[r->nheaders].name = strndup(line, (size_t)(colon - line));
    r->headers[r->nheaders].value = strndup(line + vstart, vend - vstart);
    if (!r->headers[r->nheaders].name || !r->headers[r->nheaders].value)
        return 0;
    r->nheaders++;
    return len;
}

static int
on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
            curl_off_t ultotal, curl_off_t ulnow)
{
    const struct fixture_request *rq = userdata;

    (void)dltotal;
    (void)dlnow;
    rq->on_upload(rq->upload_ctx, ulnow, ultotal);
    return 0;
}

struct upload {
    const char *data;
    size_t len;
    size_t pos;
};

static size_t
on_read(char *buf, size_t size, size_t n, void *userdata)
{
    struct upload *u = userdata;
    size_t len = size * n;

    if (len > u->len - u->pos)
        len = u->len - u->pos;
    memcpy(buf, u->data + u->pos, len);
    u->pos += len;
    return len;
}

/* Header lines of rq, to free with curl_slist_free_all. */
static struct curl_slist *
request_headers(const struct fixture_request *rq)
{
    struct curl_slist *h = NULL;
    char line[4096];

    if (!rq->accept)
        h = curl_slist_append(h, "Accept: " FIXTURE_TAXII);
    else if (!*rq->accept)
        h = curl_slist_append(h, "Accept:");
    else if (snprintf(line, sizeof(line), "Accept: %s", rq->accept) > 0)
        h = curl_slist_append(h, line);
    if (rq->body && !rq->content_type)
        h = curl_slist_append(h, "Content-Type: " FIXTURE_TAXII);
    else if (rq->content_type && !*rq->content_type)
        h = curl_slist_append(h, "Content-Type:");
    else if (rq->content_type &&
             snprintf(line, sizeof(line), "Content-Type: %s",
                      rq->content_type) > 0)
        h = curl_slist_append(h, line);
    if (rq->auth &&
        snprintf(line, sizeof(line), "Authorization: %s", rq->auth) > 0)
        h = curl_slist_append(h, line);
    if (rq->chunked)
        h = curl_slist_append(h, "Transfer-Encoding: chunked");
    /* no "Expect: 100-continue" pause before larger bodies */
    h = curl_slist_append(h, "Expect:");
    return h;
}

CURLcode
fixture_request(const struct fixture *fx, const struct fixture_request *rq,
                struct fixture_reply *out)
{
    struct transfer t = { .reply = out, .rq = rq };
    struct upload up = { .data = rq->body };
    struct curl_slist *headers;
    CURL *curl;
    char url[8192];

    memset(out, 0, sizeof(*out));
    curl = curl_easy_init();
    if (!curl)
        return out->curl_rc = CURLE_FAILED_INIT;
    snprintf(url, sizeof(url), "%s%s", fx->base, rq->path);
    headers = request_headers(rq);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, REQUEST_WAIT);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (!rq->no_user_agent)
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "fusion-server-tests/1.0");
    if (rq->body) {
        up.len = rq->body_len ? rq->body_len : strlen(rq->body);
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        if (rq->chunked) {
            curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(curl, CURLOPT_READDATA, &up);
        } else {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, rq->body);
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                             (curl_off_t)up.len);
        }
    }
    if (rq->method)
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, rq->method);
    if (fx->tls)
        curl_easy_setopt(curl, CURLOPT_CAINFO, fx->ca);
    if (rq->tls_version)
        curl_easy_setopt(curl, CURLOPT_SSLVERSION, rq->tls_version);
    if (rq->ssl_ctx_fn)
        curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, rq->ssl_ctx_fn);
    if (rq->on_upload) {
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, rq);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    }
    out->curl_rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (!out->body)
        out->body = calloc(1, 1);
    if (out->len)
        out->json = json_loadb(out->body, out->len, 0, NULL);
    if (t.overflow && out->curl_rc == CURLE_OK)
        out->curl_rc = CURLE_OUT_OF_MEMORY;
    return out->curl_rc;
}

void
fixture_reply_release(struct fixture_reply *r)
{
    clear_headers(r);
    free(r->headers);
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

const char *
fixture_header(const struct fixture_reply *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    }
    return NULL;
}

void
fixture_call(const struct fixture *fx, const struct fixture_request *rq,
             struct fixture_reply *out)
{
    if (fixture_request(fx, rq, out) != CURLE_OK)
        fail_msg("%s %s: %s",
                 rq->method ? rq->method
                 : rq->body ? "POST"
                            : "GET",
                 rq->path, curl_easy_strerror(out->curl_rc));
}

void
fixture_get(const struct fixture *fx, const char *auth, const char *path,
            struct fixture_reply *out)
{
    fixture_call(fx, &(struct fixture_request){ .path = path, .auth = auth },
                 out);
}

void
fixture_post(const struct fixture *fx, const char *auth, const char *path,
             const char *body, struct fixture_reply *out)
{
    fixture_call(
        fx,
        &(struct fixture_request){ .path = path, .auth = auth, .body = body },
        out);
}

void
fixture_delete(const struct fixture *fx, const char *auth, const char *path,
               struct fixture_reply *out)
{
    fixture_call(fx,
                 &(struct fixture_request){
                     .method = "DELETE", .path = path, .auth = auth },
                 out);
}

void
fixture_expect_at(struct fixture *fx, const struct fixture_reply *r,
                  long status, const char *file, int line)
{
    if (r->status == status)
        return;
    fprintf(stderr, "%s:%d: expected HTTP %ld, got %ld: %.2000s\n", file, line,
            status, r->status, r->body ? r->body : "");
    if (fx)
        fixture_show_log(fx, 20);
    _fail(file, line);
}

static char *
base64(const char *in, char *out, size_t size)
{
    size_t len = strlen(in);

    assert_true((len + 2) / 3 * 4 + 1 <= size);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)len);
    return out;
}

char *
fixture_basic(const char *user, const char *password, char *out, size_t size)
{
    char pair[1024], enc[1400];

    snprintf(pair, sizeof(pair), "%s:%s", user, password);
    snprintf(out, size, "Basic %s", base64(pair, enc, sizeof(enc)));
    return out;
}

char *
fixture_bearer(const char *token, char *out, size_t size)
{
    snprintf(out, size, "Bearer %s", token);
    return out;
}

/*
 * STIX content
 */

char *
fixture_indicator_id(uint32_t group, uint32_t n, char *out)
{
    snprintf(out, 64, "indicator--%08x-0000-4000-8000-%012x", (unsigned)group,
             (unsigned)n);
    return out;
}

json_t *
fixture_indicator(uint32_t group, uint32_t n, const char *modified)
{
    char id[64], pattern[128], name[64];

    fixture_indicator_id(group, n, id);
    snprintf(pattern, sizeof(pattern), "[ipv4-addr:value = '10.%u.%u.%u']",
             (unsigned)(n >> 16 & 255), (unsigned)(n >> 8 & 255),
             (unsigned)(n & 255));
    snprintf(name, sizeof(name), "indicator %u of %u", (unsigned)n,
             (unsigned)group);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type",
                     "indicator", "spec_version", "2.1", "id", id, "created",
                     "2020-01-01T00:00:00.000Z", "modified",
                     modified ? modified : "2020-01-01T00:00:00.000Z", "name",
                     name, "pattern", pattern, "pattern_type", "stix",
                     "valid_from", "2020-01-01T00:00:00Z");
}

char *
fixture_envelope(json_t *objects)
{
    json_t *env = json_pack("{s:o}", "objects", objects);
    char *text;

    assert_non_null(env);
    text = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    assert_non_null(text);
    return text;
}

bool
fixture_is_taxii_time(const char *s)
{
    /* YYYY-MM-DDTHH:MM:SS.ssssssZ */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
    size_t len = s ? strlen(s) : 0;

    if (len != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return false;
    }
    return true;
}

int64_t
fixture_time_ns(const char *s)
{
    struct fusion_ts ts;

    if (!s)
        fail_msg("no timestamp");
    if (fusion_ts_parse(s, strlen(s), &ts, NULL) != FUSION_OK)
        fail_msg("'%s' is not a timestamp", s);
    return ts.ns;
}

void
fixture_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0)
        ;
}
