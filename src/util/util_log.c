/* SPDX-License-Identifier: Apache-2.0 */
/* The one writer of log lines: logfmt or JSON lines on stderr. */
#include "util/util.h"

#include <stdio.h>
#include <string.h>

static enum fusion_log_level log_level = FUSION_LOG_INFO;
static enum fusion_log_format log_format = FUSION_LOG_LOGFMT;

static const char *const level_names[] = { "error", "warn", "info", "debug",
                                           "trace" };

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

static bool
needs_quotes(const char *v)
{
    if (!*v)
        return true;
    for (; *v; v++) {
        if (*v <= ' ' || *v == '"' || *v == '=' || *v == '\\')
            return true;
    }
    return false;
}

/* Escapes v for either format; control bytes become \u00XX. */
static void
put_escaped(FILE *f, const char *v)
{
    for (; *v; v++) {
        unsigned char c = (unsigned char)*v;

        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

static void
put_field(FILE *f, bool first, const char *key, const char *value)
{
    if (log_format == FUSION_LOG_JSON) {
        fprintf(f, "%s\"%s\":\"", first ? "{" : ",", key);
        put_escaped(f, value);
        fputc('"', f);
        return;
    }
    fprintf(f, "%s%s=", first ? "" : " ", key);
    if (needs_quotes(value)) {
        fputc('"', f);
        put_escaped(f, value);
        fputc('"', f);
    } else {
        fputs(value, f);
    }
}

void
fusion_log_write(enum fusion_log_level level, const char *module,
                 const char *event, const char *msg, ...)
{
    char ts[FUSION_TS_MAX];
    va_list ap;
    const char *key;

    fusion_ts_format(fusion_time_now_ns(), 3, ts);
    flockfile(stderr);
    put_field(stderr, true, "ts", ts);
    put_field(stderr, false, "level", level_names[level]);
    put_field(stderr, false, "module", module);
    put_field(stderr, false, "event", event);
    put_field(stderr, false, "msg", msg);
    va_start(ap, msg);
    while ((key = va_arg(ap, const char *))) {
        const char *value = va_arg(ap, const char *);

        put_field(stderr, false, key, value ? value : "");
    }
    va_end(ap);
    fputs(log_format == FUSION_LOG_JSON ? "}\n" : "\n", stderr);
    funlockfile(stderr);
}
