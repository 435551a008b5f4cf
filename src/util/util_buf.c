/* SPDX-License-Identifier: Apache-2.0 */
/* Growable byte buffers with a hard cap. */
#include "util/util.h"

#include <stdio.h>
#include <string.h>

#define BUF_DEFAULT_MAX ((size_t)1 << 30)

void
fusion_buf_init(struct fusion_buf *buf, size_t max)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->max = max ? max : BUF_DEFAULT_MAX;
}

void
fusion_buf_release(struct fusion_buf *buf)
{
    FUSION_FREE(buf->data);
    buf->len = 0;
    buf->cap = 0;
}

void
fusion_buf_clear(struct fusion_buf *buf)
{
    buf->len = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

enum fusion_err
fusion_buf_reserve(struct fusion_buf *buf, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > buf->max || buf->len > buf->max - extra)
        return FUSION_ERR_LIMIT;
    need = buf->len + extra + 1;
    if (need <= buf->cap)
        return FUSION_OK;
    cap = buf->cap ? buf->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = fusion_realloc(buf->data, cap);
    if (!p)
        return FUSION_ERR_NOMEM;
    buf->data = p;
    buf->cap = cap;
    return FUSION_OK;
}

enum fusion_err
fusion_buf_append(struct fusion_buf *buf, const void *data, size_t len)
{
    enum fusion_err rc = fusion_buf_reserve(buf, len);

    if (rc)
        return rc;
    if (len)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return FUSION_OK;
}

enum fusion_err
fusion_buf_puts(struct fusion_buf *buf, const char *s)
{
    return fusion_buf_append(buf, s, strlen(s));
}

enum fusion_err
fusion_buf_putc(struct fusion_buf *buf, char c)
{
    return fusion_buf_append(buf, &c, 1);
}

enum fusion_err
fusion_buf_printf(struct fusion_buf *buf, const char *fmt, ...)
{
    va_list ap;
    int n;
    enum fusion_err rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return FUSION_ERR_INVALID;
    rc = fusion_buf_reserve(buf, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return FUSION_OK;
}

char *
fusion_buf_detach(struct fusion_buf *buf, size_t *len_out)
{
    char *data = buf->data;

    if (!data)
        data = fusion_strdup("");
    if (len_out)
        *len_out = buf->len;
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    return data;
}
