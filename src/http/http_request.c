/* SPDX-License-Identifier: Apache-2.0 */
/* What a handler reads from a request and writes to a response. */
#include <string.h>

#include "http/http_int.h"

const char *
fusion_http_request_method(const struct fusion_http_request *req)
{
    return req->method;
}

const char *
fusion_http_request_path(const struct fusion_http_request *req)
{
    return req->path;
}

const char *
fusion_http_request_param(const struct fusion_http_request *req,
                          const char *name)
{
    for (size_t i = 0; i < req->nparams; i++) {
        if (!strcmp(req->params[i].name, name))
            return req->params[i].value;
    }
    return NULL;
}

/*
 * The values are collected into a fresh array on each call; query
 * strings are short, and the arena frees it with the request.
 */
size_t
fusion_http_request_query_all(const struct fusion_http_request *req,
                              const char *key, const char *const **values_out)
{
    struct fusion_http_request *mut = (struct fusion_http_request *)req;
    const char **values;
    size_t n = 0;

    *values_out = NULL;
    for (size_t i = 0; i < req->nquery; i++)
        n += !strcmp(req->query[i].name, key);
    if (!n)
        return 0;
    values = fusion_arena_calloc(&mut->arena, n, sizeof(*values));
    if (!values)
        return 0;
    n = 0;
    for (size_t i = 0; i < req->nquery; i++) {
        if (!strcmp(req->query[i].name, key))
            values[n++] = req->query[i].value;
    }
    *values_out = values;
    return n;
}

const char *
fusion_http_request_query(const struct fusion_http_request *req,
                          const char *key)
{
    for (size_t i = 0; i < req->nquery; i++) {
        if (!strcmp(req->query[i].name, key))
            return req->query[i].value;
    }
    return NULL;
}

const char *
fusion_http_request_header(const struct fusion_http_request *req,
                           const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
fusion_http_request_body(const struct fusion_http_request *req, size_t *len_out)
{
    if (len_out)
        *len_out = req->body.len;
    return req->body.data ? req->body.data : "";
}

const char *
fusion_http_request_peer(const struct fusion_http_request *req)
{
    return req->peer;
}

const char *
fusion_http_request_id(const struct fusion_http_request *req)
{
    return req->id;
}

struct fusion_arena *
fusion_http_request_arena(struct fusion_http_request *req)
{
    return &req->arena;
}

void
fusion_http_request_set_user(struct fusion_http_request *req, const char *name)
{
    req->user = name ? fusion_arena_strdup(&req->arena, name) : NULL;
}

void
fusion_http_response_set_status(struct fusion_http_response *resp,
                                unsigned status)
{
    if (status >= 100 && status <= 599)
        resp->status = status;
}

/* RFC 9110 section 5.6.2: a field name is a token. */
static bool
is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c <= ' ' || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
            return false;
    }
    return true;
}

enum fusion_err
fusion_http_response_add_header(struct fusion_http_response *resp,
                                const char *name, const char *value)
{
    struct http_header *h;
    struct http_header **tail = &resp->headers;

    /* CR or LF in a value would let it start a header of its own */
    if (!is_token(name) || strpbrk(value, "\r\n"))
        return FUSION_ERR_INVALID;
    h = fusion_arena_alloc(resp->arena, sizeof(*h));
    if (!h)
        return FUSION_ERR_NOMEM;
    h->name = fusion_arena_strdup(resp->arena, name);
    h->value = fusion_arena_strdup(resp->arena, value);
    if (!h->name || !h->value)
        return FUSION_ERR_NOMEM;
    while (*tail)
        tail = &(*tail)->next;
    h->next = NULL;
    *tail = h;
    return FUSION_OK;
}

struct fusion_buf *
fusion_http_response_body(struct fusion_http_response *resp)
{
    return &resp->body;
}

void
http_response_reset(struct fusion_http_response *resp)
{
    resp->status = 0;
    resp->headers = NULL;
    fusion_buf_clear(&resp->body);
}
