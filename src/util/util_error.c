/* SPDX-License-Identifier: Apache-2.0 */
/* Error codes, their text, and the detail record parsers fill. */
#include "util/util.h"

#include <stdio.h>
#include <string.h>

const char *
fusion_strerror(enum fusion_err code)
{
    switch (code) {
    case FUSION_OK:
        return "ok";
    case FUSION_ERR_NOMEM:
        return "out of memory";
    case FUSION_ERR_INVALID:
        return "invalid input";
    case FUSION_ERR_NOTFOUND:
        return "not found";
    case FUSION_ERR_CONFLICT:
        return "conflict";
    case FUSION_ERR_LIMIT:
        return "limit exceeded";
    case FUSION_ERR_IO:
        return "input/output error";
    case FUSION_ERR_DB:
        return "database error";
    case FUSION_ERR_UNSUPPORTED:
        return "unsupported";
    case FUSION_ERR_INTERNAL:
        return "internal error";
    }
    return "unknown error";
}

static void FUSION_PRINTF(2, 0)
    set_message(struct fusion_error *err, const char *fmt, va_list ap)
{
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
}

enum fusion_err
fusion_error_set(struct fusion_error *err, enum fusion_err code,
                 const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    fusion_error_clear(err);
    err->code = code;
    va_start(ap, fmt);
    set_message(err, fmt, ap);
    va_end(ap);
    return code;
}

enum fusion_err
fusion_error_set_at(struct fusion_error *err, enum fusion_err code,
                    uint64_t offset, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    fusion_error_clear(err);
    err->code = code;
    err->offset = offset;
    err->has_offset = true;
    va_start(ap, fmt);
    set_message(err, fmt, ap);
    va_end(ap);
    return code;
}

void
fusion_error_prefix(struct fusion_error *err, const char *fmt, ...)
{
    char old[sizeof(err->message)];
    size_t n;
    va_list ap;

    if (!err)
        return;
    memcpy(old, err->message, sizeof(old));
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    n = strlen(err->message);
    if (n + 2 < sizeof(err->message)) {
        memcpy(err->message + n, ": ", 3);
        n += 2;
        memcpy(err->message + n, old, sizeof(err->message) - n - 1);
        err->message[sizeof(err->message) - 1] = '\0';
    }
}

void
fusion_error_clear(struct fusion_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
}
