/* SPDX-License-Identifier: Apache-2.0 */
/* The log writer: logfmt and JSON lines, escaping, truncation, threads. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "util/util.h"

/* The writer's cap on a line, newline included. */
#define LINE_CAP 4096

#define THREADS        4
#define LINES_PER      250
#define THREAD_VALUE   1500
#define THREAD_LINES   (THREADS * LINES_PER)
#define THREAD_LINE_SZ 1700

/* stderr goes to a pipe during each test; the read end is nonblocking. */
struct capture {
    int read_fd;
    int saved_fd;
};

static struct capture cap;

static char thread_log[THREAD_LINES * THREAD_LINE_SZ];

static int
capture_start(void **state)
{
    int fds[2];

    (void)state;
    fusion_log_setup(FUSION_LOG_INFO, FUSION_LOG_LOGFMT);
    if (pipe(fds))
        return -1;
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    fflush(stderr);
    cap.saved_fd = dup(STDERR_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[1]);
    cap.read_fd = fds[0];
    return 0;
}

static int
capture_stop(void **state)
{
    (void)state;
    dup2(cap.saved_fd, STDERR_FILENO);
    close(cap.saved_fd);
    close(cap.read_fd);
    fusion_log_setup(FUSION_LOG_INFO, FUSION_LOG_LOGFMT);
    return 0;
}

/* What has been logged since the last call, NUL-terminated. */
static size_t
drain(char *out, size_t size)
{
    size_t len = 0;
    ssize_t n;

    while (len < size - 1 &&
           (n = read(cap.read_fd, out + len, size - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    return len;
}

/* The line past its timestamp field, which is checked for its shape. */
static const char *
after_ts(const char *line)
{
    const char *end;

    assert_memory_equal(line, "ts=", 3);
    end = strchr(line, ' ');
    assert_non_null(end);
    assert_int_equal(end - line - 3, 24);
    assert_int_equal(end[-1], 'Z');
    return end + 1;
}

static const char *
after_json_ts(const char *line)
{
    assert_memory_equal(line, "{\"ts\":\"", 7);
    assert_memory_equal(line + 7 + 24, "\",", 2);
    return line + 7 + 24 + 2;
}

static void
test_log_logfmt_line(void **state)
{
    char out[LINE_CAP + 1];

    (void)state;
    fusion_log_write(FUSION_LOG_INFO, "http", "request", "request served",
                     "path", "/taxii2/", "status", "200", NULL);
    drain(out, sizeof(out));
    assert_string_equal(after_ts(out),
                        "level=info module=http event=request "
                        "msg=\"request served\" path=/taxii2/ status=200\n");
}

static void
test_log_logfmt_quotes_when_needed(void **state)
{
    char out[LINE_CAP + 1];

    (void)state;
    fusion_log_write(FUSION_LOG_WARN, "m", "e", "", "empty", "", "null", NULL,
                     "space", "a b", "eq", "a=b", "utf8", "caf\xc3\xa9",
                     "plain", "a-b_c.d/e:f", NULL);
    drain(out, sizeof(out));
    assert_string_equal(after_ts(out),
                        "level=warn module=m event=e msg=\"\" empty=\"\" "
                        "null=\"\" space=\"a b\" eq=\"a=b\" "
                        "utf8=\"caf\xc3\xa9\" plain=a-b_c.d/e:f\n");
}

static void
test_log_logfmt_escapes(void **state)
{
    char out[LINE_CAP + 1];

    (void)state;
    fusion_log_write(FUSION_LOG_ERROR, "m", "e", "say \"hi\"", "path",
                     "c:\\dir", "text", "one\ntwo\r\tend\x01\x1f", NULL);
    drain(out, sizeof(out));
    assert_string_equal(after_ts(out),
                        "level=error module=m event=e msg=\"say \\\"hi\\\"\" "
                        "path=\"c:\\\\dir\" "
                        "text=\"one\\u000atwo\\u000d\\u0009end\\u0001"
                        "\\u001f\"\n");
}

static void
test_log_json_line(void **state)
{
    char out[LINE_CAP + 1];

    (void)state;
    fusion_log_setup(FUSION_LOG_DEBUG, FUSION_LOG_JSON);
    fusion_log_write(FUSION_LOG_DEBUG, "http", "mhd", "quote \" slash \\",
                     "ctl", "a\nb\x7f", "empty", "", "utf8", "caf\xc3\xa9",
                     NULL);
    drain(out, sizeof(out));
    assert_string_equal(after_json_ts(out),
                        "\"level\":\"debug\",\"module\":\"http\","
                        "\"event\":\"mhd\",\"msg\":\"quote \\\" slash \\\\\","
                        "\"ctl\":\"a\\u000ab\x7f\",\"empty\":\"\","
                        "\"utf8\":\"caf\xc3\xa9\"}\n");
}

static void
test_log_level_checked_first(void **state)
{
    char out[LINE_CAP + 1];

    (void)state;
    fusion_log_setup(FUSION_LOG_WARN, FUSION_LOG_LOGFMT);
    assert_true(fusion_log_enabled(FUSION_LOG_ERROR));
    assert_true(fusion_log_enabled(FUSION_LOG_WARN));
    assert_false(fusion_log_enabled(FUSION_LOG_INFO));
    FUSION_LOG(FUSION_LOG_INFO, "m", "dropped", "not written");
    FUSION_LOG(FUSION_LOG_WARN, "m", "kept", "written");
    drain(out, sizeof(out));
    assert_null(strstr(out, "dropped"));
    assert_non_null(strstr(out, " event=kept msg=written\n"));
    assert_non_null(strchr(out, '\n'));
    assert_int_equal(strchr(out, '\n')[1], '\0');
}

static void
test_log_long_value_truncated(void **state)
{
    static char value[3 * LINE_CAP];
    char out[2 * LINE_CAP];
    size_t len;

    (void)state;
    memset(value, 'a', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    fusion_log_write(FUSION_LOG_INFO, "m", "e", "long", "v", value, "after",
                     "dropped", NULL);
    len = drain(out, sizeof(out));
    assert_true(len <= LINE_CAP);
    assert_true(len > LINE_CAP - 64);
    assert_non_null(strstr(out, " v=aaaa"));
    assert_null(strstr(out, "after"));
    assert_string_equal(out + len - 17, "a truncated=true\n");
    assert_ptr_equal(strchr(out, '\n'), out + len - 1);
}

static void
test_log_cut_keeps_escapes_whole(void **state)
{
    static char value[LINE_CAP];
    char out[2 * LINE_CAP];
    const char *v;
    const char *end;
    size_t len;

    (void)state;
    memset(value, '"', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    fusion_log_write(FUSION_LOG_INFO, "m", "e", "quotes", "v", value, NULL);
    len = drain(out, sizeof(out));
    assert_true(len <= LINE_CAP);
    v = strstr(out, " v=\"");
    assert_non_null(v);
    v += 4;
    end = out + len - strlen("\" truncated=true\n");
    assert_string_equal(end, "\" truncated=true\n");
    /* only whole \" pairs between the quotes */
    assert_int_equal((end - v) % 2, 0);
    for (const char *p = v; p < end; p += 2)
        assert_memory_equal(p, "\\\"", 2);
}

/*
 * Fills value with shift bytes of 'x', then copies of the UTF-8
 * character ch, and logs it in a line too long to keep whole: the cut
 * value holds whole characters only.
 */
static void
check_utf8_cut(const char *ch, size_t shift)
{
    static char value[2 * LINE_CAP + 1];
    char out[2 * LINE_CAP];
    size_t clen = strlen(ch);
    size_t n = shift;
    const char *v;
    const char *end;
    size_t len;

    memset(value, 'x', shift);
    for (; n + clen < sizeof(value); n += clen)
        memcpy(value + n, ch, clen);
    value[n] = '\0';
    fusion_log_write(FUSION_LOG_INFO, "m", "e", "utf8", "v", value, NULL);
    len = drain(out, sizeof(out));
    assert_true(len <= LINE_CAP);
    v = strstr(out, "\"v\":\"");
    assert_non_null(v);
    v += 5 + shift;
    end = out + len - strlen("\",\"truncated\":\"true\"}\n");
    assert_string_equal(end, "\",\"truncated\":\"true\"}\n");
    assert_true(end > v);
    assert_int_equal((size_t)(end - v) % clen, 0);
    for (const char *p = v; p < end; p += clen)
        assert_memory_equal(p, ch, clen);
}

static void
test_log_json_cut_keeps_utf8_whole(void **state)
{
    static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac",
                                         "\xf0\x9f\x98\x80" };

    (void)state;
    fusion_log_setup(FUSION_LOG_INFO, FUSION_LOG_JSON);
    /* each shift makes the cut land at another byte of a character */
    for (size_t i = 0; i < sizeof(chars) / sizeof(chars[0]); i++) {
        for (size_t shift = 0; shift < strlen(chars[i]); shift++)
            check_utf8_cut(chars[i], shift);
    }
}

/* Every line whole: many threads' long lines come out one after another. */
static void *
log_lines(void *arg)
{
    char tag[2] = { (char)('a' + (intptr_t)arg), '\0' };
    char value[THREAD_VALUE + 1];

    memset(value, tag[0], THREAD_VALUE);
    value[THREAD_VALUE] = '\0';
    for (int i = 0; i < LINES_PER; i++)
        fusion_log_write(FUSION_LOG_INFO, "m", "e", "line", "t", tag, "v",
                         value, NULL);
    return NULL;
}

static void *
read_lines(void *arg)
{
    size_t len = 0;
    size_t lines = 0;
    ssize_t n;

    (void)arg;
    while (lines < THREAD_LINES && len < sizeof(thread_log) - 1) {
        n = read(cap.read_fd, thread_log + len, sizeof(thread_log) - 1 - len);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            lines += thread_log[len + (size_t)i] == '\n';
        len += (size_t)n;
    }
    thread_log[len] = '\0';
    return NULL;
}

static void
check_thread_line(const char *line, size_t len)
{
    const char *rest = after_ts(line);
    const char *v;
    char tag;

    assert_memory_equal(rest, "level=info module=m event=e msg=line t=", 39);
    tag = rest[39];
    v = rest + 39 + 1;
    assert_memory_equal(v, " v=", 3);
    v += 3;
    assert_int_equal(line + len - v, THREAD_VALUE);
    for (int i = 0; i < THREAD_VALUE; i++)
        assert_int_equal(v[i], tag);
}

static void
test_log_threads_do_not_interleave(void **state)
{
    pthread_t writers[THREADS];
    pthread_t reader;
    size_t lines = 0;
    const char *p;

    (void)state;
    /* the reader blocks, so writers never find the pipe full for long */
    fcntl(cap.read_fd, F_SETFL, fcntl(cap.read_fd, F_GETFL) & ~O_NONBLOCK);
    assert_int_equal(pthread_create(&reader, NULL, read_lines, NULL), 0);
    for (intptr_t i = 0; i < THREADS; i++)
        assert_int_equal(
            pthread_create(&writers[i], NULL, log_lines, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(writers[i], NULL);
    pthread_join(reader, NULL);

    for (p = thread_log; *p; lines++) {
        const char *nl = strchr(p, '\n');

        assert_non_null(nl);
        check_thread_line(p, (size_t)(nl - p));
        p = nl + 1;
    }
    assert_int_equal(lines, THREAD_LINES);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log_logfmt_line, capture_start,
                                        capture_stop),
        cmocka_unit_test_setup_teardown(test_log_logfmt_quotes_when_needed,
                                        capture_start, capture_stop),
        cmocka_unit_test_setup_teardown(test_log_logfmt_escapes, capture_start,
                                        capture_stop),
        cmocka_unit_test_setup_teardown(test_log_json_line, capture_start,
                                        capture_stop),
        cmocka_unit_test_setup_teardown(test_log_level_checked_first,
                                        capture_start, capture_stop),
        cmocka_unit_test_setup_teardown(test_log_long_value_truncated,
                                        capture_start, capture_stop),
        cmocka_unit_test_setup_teardown(test_log_cut_keeps_escapes_whole,
                                        capture_start, capture_stop),
        cmocka_unit_test_setup_teardown(test_log_json_cut_keeps_utf8_whole,
                                        capture_start, capture_stop),
        cmocka_unit_test_setup_teardown(test_log_threads_do_not_interleave,
                                        capture_start, capture_stop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
