/* SPDX-License-Identifier: Apache-2.0 */
/* Route patterns with named segments, matching and percent-decoding. */
#include <string.h>

#include "http/http_int.h"

enum fusion_err
http_decode(const char *s, size_t len, bool plus, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        int hi;
        int lo;

        if (s[i] == '+' && plus) {
            out[o++] = ' ';
            continue;
        }
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (len - i < 3)
            return FUSION_ERR_INVALID;
        hi = fusion_hex_digit(s[i + 1]);
        lo = fusion_hex_digit(s[i + 2]);
        /* an encoded NUL would silently cut the C string short */
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return FUSION_ERR_INVALID;
        out[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[o] = '\0';
    return FUSION_OK;
}

static size_t
count_segments(const char *path)
{
    size_t n = 1;

    for (const char *p = path + 1; *p; p++) {
        if (*p == '/')
            n++;
    }
    return n;
}

static bool
is_method(const char *m)
{
    if (!*m)
        return false;
    for (; *m; m++) {
        if (*m < 'A' || *m > 'Z')
            return false;
    }
    return true;
}

static enum fusion_err
check_segment(const struct http_route *route, size_t i, const char *s,
              size_t len, struct fusion_error *err)
{
    bool braced = len >= 2 && s[0] == '{' && s[len - 1] == '}';

    if (!braced && (memchr(s, '{', len) || memchr(s, '}', len)))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "braces must enclose a whole segment");
    if (braced && len == 2)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "empty parameter name in route");
    if (!braced)
        return FUSION_OK;
    for (size_t j = 0; j < i; j++) {
        const struct http_seg *seg = &route->segs[j];

        if (seg->is_param && strlen(seg->text) == len - 2 &&
            !memcmp(seg->text, s + 1, len - 2))
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "duplicate parameter '%.*s' in route",
                                    (int)(len - 2), s + 1);
    }
    return FUSION_OK;
}

static enum fusion_err
parse_segments(struct http_route *route, const char *pattern,
               struct fusion_error *err)
{
    const char *p = pattern + 1;

    for (size_t i = 0; i < route->nsegs; i++) {
        size_t len = strcspn(p, "/");
        struct http_seg *seg = &route->segs[i];
        enum fusion_err rc = check_segment(route, i, p, len, err);

        if (rc)
            return rc;
        seg->is_param = len >= 2 && p[0] == '{';
        seg->text = seg->is_param ? fusion_strndup(p + 1, len - 2)
                                  : fusion_strndup(p, len);
        if (!seg->text)
            return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
        p += len + (p[len] == '/');
    }
    return FUSION_OK;
}

enum fusion_err
http_route_parse(struct http_route *route, const char *method,
                 const char *pattern, struct fusion_error *err)
{
    enum fusion_err rc;

    memset(route, 0, sizeof(*route));
    if (!method || !is_method(method))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "route method must be an upper-case token");
    if (!pattern || pattern[0] != '/' || strpbrk(pattern, "?#%"))
        return fusion_error_set(
            err, FUSION_ERR_INVALID,
            "route pattern must be an absolute path without query or escapes: '%s'",
            pattern ? pattern : "(null)");
    route->nsegs = count_segments(pattern);
    route->method = fusion_strdup(method);
    route->pattern = fusion_strdup(pattern);
    route->segs = fusion_calloc(route->nsegs, sizeof(*route->segs));
    if (!route->method || !route->pattern || !route->segs) {
        rc = fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = parse_segments(route, pattern, err);
out:
    if (rc)
        http_route_release(route);
    return rc;
}

void
http_route_release(struct http_route *route)
{
    for (size_t i = 0; route->segs && i < route->nsegs; i++)
        fusion_free(route->segs[i].text);
    FUSION_FREE(route->segs);
    FUSION_FREE(route->pattern);
    FUSION_FREE(route->method);
    route->nsegs = 0;
}

/*
 * Splits the raw path on "/" and decodes each segment on its own, so an
 * encoded slash stays inside its parameter instead of adding a segment.
 * The array has room for one more segment, for the trailing-slash hint.
 */
static enum http_match
split_path(struct fusion_http_request *req, char ***segs_out, size_t *n_out)
{
    const char *p = req->path + 1;
    size_t n = count_segments(req->path);
    char **segs = fusion_arena_calloc(&req->arena, n + 1, sizeof(*segs));

    if (!segs)
        return HTTP_MATCH_NOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t len = strcspn(p, "/");

        segs[i] = fusion_arena_alloc(&req->arena, len + 1);
        if (!segs[i])
            return HTTP_MATCH_NOMEM;
        if (http_decode(p, len, false, segs[i]))
            return HTTP_MATCH_BAD_ENCODING;
        p += len + (p[len] == '/');
    }
    *segs_out = segs;
    *n_out = n;
    return HTTP_MATCH_FOUND;
}

static bool
path_matches(const struct http_route *route, char **segs, size_t n)
{
    if (route->nsegs != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const struct http_seg *seg = &route->segs[i];

        if (seg->is_param ? !segs[i][0] : strcmp(seg->text, segs[i]))
            return false;
    }
    return true;
}

static enum http_match
bind_params(struct fusion_http_request *req, const struct http_route *route,
            char **segs)
{
    size_t n = 0;

    for (size_t i = 0; i < route->nsegs; i++)
        n += route->segs[i].is_param;
    req->params = fusion_arena_calloc(&req->arena, n, sizeof(*req->params));
    if (!req->params)
        return HTTP_MATCH_NOMEM;
    for (size_t i = 0; i < route->nsegs; i++) {
        if (!route->segs[i].is_param)
            continue;
        req->params[req->nparams].name = route->segs[i].text;
        req->params[req->nparams++].value = segs[i];
    }
    req->route = route;
    return HTTP_MATCH_FOUND;
}

/* Appends method to the Allow list unless an earlier route put it there. */
static enum http_match
add_allowed(struct fusion_http_request *req, const char *method,
            const char **allow)
{
    size_t mlen = strlen(method);
    const char *old = *allow ? *allow : "";
    size_t olen = strlen(old);
    char *next;

    for (const char *p = old; *p;) {
        size_t len = strcspn(p, ",");

        if (len == mlen && !memcmp(p, method, mlen))
            return HTTP_MATCH_BAD_METHOD;
        p += len;
        if (*p)
            p += 2;
    }
    next = fusion_arena_alloc(&req->arena, olen + mlen + 3);
    if (!next)
        return HTTP_MATCH_NOMEM;
    memcpy(next, old, olen);
    if (olen) {
        memcpy(next + olen, ", ", 2);
        olen += 2;
    }
    memcpy(next + olen, method, mlen + 1);
    *allow = next;
    return HTTP_MATCH_BAD_METHOD;
}

/*
 * A path that only lacks (or only has one too many) trailing slash is a
 * common slip; the 404 then names the path that exists.
 */
static void
find_slash_hint(struct fusion_http_request *req, char **segs, size_t n)
{
    const struct fusion_http_server *srv = req->server;
    bool trailing = n > 1 && !segs[n - 1][0];
    char empty[1] = "";

    segs[n] = empty;
    for (size_t i = 0; i < srv->nroutes; i++) {
        if (path_matches(&srv->routes[i], segs, n + 1))
            req->slash_added = true;
        else if (trailing && path_matches(&srv->routes[i], segs, n - 1))
            req->slash_removed = true;
    }
    segs[n] = NULL;
}

static bool
method_serves(const struct http_route *route, const char *method)
{
    /* RFC 9110 section 9.3.2: HEAD is GET without the body */
    return !strcmp(route->method, method) ||
           (!strcmp(method, "HEAD") && !strcmp(route->method, "GET"));
}

enum http_match
http_route_find(struct fusion_http_request *req, const char **allow_out)
{
    const struct fusion_http_server *srv = req->server;
    enum http_match rc;
    char **segs;
    size_t n;

    *allow_out = NULL;
    if (req->path[0] != '/')
        return HTTP_MATCH_BAD_ENCODING;
    rc = split_path(req, &segs, &n);
    if (rc != HTTP_MATCH_FOUND)
        return rc;
    for (size_t i = 0; i < srv->nroutes; i++) {
        const struct http_route *route = &srv->routes[i];

        if (!path_matches(route, segs, n))
            continue;
        if (method_serves(route, req->method))
            return bind_params(req, route, segs);
        if (add_allowed(req, route->method, allow_out) == HTTP_MATCH_NOMEM)
            return HTTP_MATCH_NOMEM;
        if (!strcmp(route->method, "GET") &&
            add_allowed(req, "HEAD", allow_out) == HTTP_MATCH_NOMEM)
            return HTTP_MATCH_NOMEM;
    }
    if (*allow_out)
        return HTTP_MATCH_BAD_METHOD;
    find_slash_hint(req, segs, n);
    return HTTP_MATCH_NO_PATH;
}
