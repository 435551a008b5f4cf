/* SPDX-License-Identifier: Apache-2.0 */
/* The one writer of log lines: logfmt or JSON lines on stderr. */
#include "util/util.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/*
 * Each line is built whole in a buffer on the stack and handed to one
 * write(2), so lines from different threads never interleave, and a line
 * reaches a pipe in one piece: the cap is PIPE_BUF on Linux, up to which
 * pipe writes are atomic. A longer line keeps what fits, its last value
 * cut short, and ends with truncated=true.
 */
#define LOG_LINE_CAP 4096

/* Room kept for closing a cut value, the truncated field and the end. */
#define LOG_LINE_TAIL 32

struct log_line {
    char data[LOG_LINE_CAP];
    size_t len;
    bool cut;
};

static enum fusion_log_level log_level = FUSION_LOG_INFO;
static enum fusion_log_format log_format = FUSION_LOG_LOGFMT;

static const char *const level_names[] = { "error", "warn", "info", "debug",
                                           "trace" };

static const char hex_digits[] = "0123456789abcdef";

void
fusion_log_setup(enum fusion_log_level level, enum fusion_log_format format)
{
    log_level = level;
    log_format = format;
}

bool
fusion_log_enabled(enum fusion_log_level level)
{
    return level <= log_level;
}

/*
 * Bytes that may still be added before the tail. A value's closing quote
 * may step into the tail; then there is no room for anything but the
 * end of the line.
 */
static size_t
room(const struct log_line *line)
{
    size_t limit = LOG_LINE_CAP - LOG_LINE_TAIL;

    return line->len < limit ? limit - line->len : 0;
}

/* Appends n bytes; callers check room() or stay within the tail. */
static void
put_raw(struct log_line *line, const char *s, size_t n)
{
    memcpy(line->data + line->len, s, n);
    line->len += n;
}

static void
put_str(struct log_line *line, const char *s)
{
    put_raw(line, s, strlen(s));
}

/*
 * Logfmt quotes a value that is empty, holds a space, a control byte or
 * one of '"', '=' and '\', or any byte past ASCII.
 */
static bool
needs_quotes(const char *v)
{
    if (!*v)
        return true;
    for (; *v; v++) {
        unsigned char c = (unsigned char)*v;

        if (c <= ' ' || c >= 0x80 || c == '"' || c == '=' || c == '\\')
            return true;
    }
    return false;
}

/* Bytes from v that go out as they are: up to a NUL or one to escape. */
static size_t
plain_span(const char *v)
{
    size_t n = 0;

    for (;; n++) {
        unsigned char c = (unsigned char)v[n];

        if (c < 0x20 || c == '"' || c == '\\')
            return n;
    }
}

static bool
is_continuation(char c)
{
    return ((unsigned char)c & 0xc0) == 0x80;
}

/*
 * Copies the first n bytes of a plain span whose byte v[n] is not
 * copied, dropping a UTF-8 character that would be split there (at most
 * a lead byte and two continuation bytes; anything longer is not UTF-8
 * and is cut where it is).
 */
static void
put_cut(struct log_line *line, const char *v, size_t n)
{
    size_t at = n;

    if (is_continuation(v[n])) {
        while (n > 0 && at - n < 2 && is_continuation(v[n - 1]))
            n--;
        if (n > 0 && (unsigned char)v[n - 1] >= 0xc0)
            n--;
        else
            n = at;
    }
    put_raw(line, v, n);
    line->cut = true;
}

/*
 * Escapes v for either format: '"' and '\' take a backslash, control
 * bytes become \u00XX. Stops where the line is full and marks it cut.
 */
static void
put_escaped(struct log_line *line, const char *v)
{
    char esc[6] = { '\\', 'u', '0', '0', 0, 0 };

    while (*v) {
        size_t n = plain_span(v);
        unsigned char c;

        if (n > room(line)) {
            put_cut(line, v, room(line));
            return;
        }
        put_raw(line, v, n);
        v += n;
        c = (unsigned char)*v;
        if (!c)
            return;
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            n = 2;
        } else {
            esc[1] = 'u';
            esc[4] = hex_digits[c >> 4];
            esc[5] = hex_digits[c & 0xf];
            n = 6;
        }
        if (n > room(line)) {
            line->cut = true;
            return;
        }
        put_raw(line, esc, n);
        v++;
    }
}

static void
put_field(struct log_line *line, bool first, const char *key, const char *value)
{
    bool json = log_format == FUSION_LOG_JSON;
    size_t klen = strlen(key);
    bool quoted;

    if (line->cut)
        return;
    quoted = json || needs_quotes(value);
    /* separator, key, '=' or '":', opening quote: all or nothing */
    if (klen + 5 > room(line)) {
        line->cut = true;
        return;
    }
    if (json) {
        put_str(line, first ? "{\"" : ",\"");
        put_raw(line, key, klen);
        put_str(line, "\":");
    } else {
        if (!first)
            put_str(line, " ");
        put_raw(line, key, klen);
        put_str(line, "=");
    }
    if (quoted)
        put_str(line, "\"");
    put_escaped(line, value);
    if (quoted)
        put_str(line, "\"");
}

/* Ends the line, marking a cut one, and writes it out. */
static void
finish_line(struct log_line *line)
{
    const char *p = line->data;
    size_t len;
    ssize_t n;

    if (log_format == FUSION_LOG_JSON) {
        if (line->cut)
            put_str(line, ",\"truncated\":\"true\"");
        put_str(line, "}\n");
    } else {
        if (line->cut)
            put_str(line, " truncated=true");
        put_str(line, "\n");
    }

    /* a short write (a full disk) or a signal may need another call */
    len = line->len;
    while (len > 0) {
        n = write(STDERR_FILENO, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

void
fusion_log_write(enum fusion_log_level level, const char *module,
                 const char *event, const char *msg, ...)
{
    struct log_line line;
    char ts[FUSION_TS_MAX];
    va_list ap;
    const char *key;

    line.len = 0;
    line.cut = false;
    fusion_ts_format(fusion_time_now_ns(), 3, ts);
    put_field(&line, true, "ts", ts);
    put_field(&line, false, "level", level_names[level]);
    put_field(&line, false, "module", module);
    put_field(&line, false, "event", event);
    put_field(&line, false, "msg", msg);
    va_start(ap, msg);
    while ((key = va_arg(ap, const char *))) {
        const char *value = va_arg(ap, const char *);

        put_field(&line, false, key, value ? value : "");
    }
    va_end(ap);
    finish_line(&line);
}
