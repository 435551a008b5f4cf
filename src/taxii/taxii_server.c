/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TAXII server: settings, routes, the steps every request shares
 * (media type, login, API root), and the endpoints that describe the
 * server rather than its objects.
 */
#include "taxii/taxii.h"

#include <string.h>

#include "taxii/taxii_server_int.h"

/*
 * Store connections
 */

static enum fusion_err
store_acquire(struct fusion_taxii_server *srv, struct fusion_store **out,
              struct fusion_error *err)
{
    enum fusion_err rc;

    pthread_mutex_lock(&srv->pool_mu);
    if (srv->npool > 0) {
        *out = srv->pool[--srv->npool];
        pthread_mutex_unlock(&srv->pool_mu);
        return FUSION_OK;
    }
    pthread_mutex_unlock(&srv->pool_mu);
    rc = fusion_store_open(srv->db_path, 0, out, err);
    if (rc == FUSION_OK)
        fusion_store_set_cache_size(*out, srv->store_cache_bytes);
    return rc;
}

static void
store_release(struct fusion_taxii_server *srv, struct fusion_store *store)
{
    if (!store)
        return;
    pthread_mutex_lock(&srv->pool_mu);
    if (srv->npool < srv->pool_cap) {
        srv->pool[srv->npool++] = store;
        store = NULL;
    }
    pthread_mutex_unlock(&srv->pool_mu);
    fusion_store_close(store);
}

/*
 * Replies
 */

enum fusion_err
taxii_reply_body(struct taxii_call *c, unsigned status)
{
    fusion_http_response_set_status(c->resp, status);
    return fusion_http_response_add_header(c->resp, "Content-Type",
                                           FUSION_TAXII_MEDIA_TAXII21);
}

enum fusion_err
taxii_reply_error(struct taxii_call *c, unsigned status, const char *title,
                  const char *description)
{
    struct fusion_taxii_error_info info = {
        .title = title,
        .description = description,
        .error_id = fusion_http_request_id(c->req),
        .http_status = status,
    };
    struct fusion_buf *body = fusion_http_response_body(c->resp);
    struct fusion_error err;
    enum fusion_err rc;

    fusion_buf_clear(body);
    rc = fusion_taxii_error_json(&info, body, &err);
    if (rc == FUSION_OK)
        rc = taxii_reply_body(c, status);
    if (rc == FUSION_OK && status == 401)
        rc = fusion_http_response_add_header(
            c->resp, "WWW-Authenticate",
            "Basic realm=\"fusion\", Bearer realm=\"fusion\"");
    return rc;
}

/* Replies 500 for an unexpected failure, naming only the kind of it. */
static enum fusion_err
reply_internal(struct taxii_call *c, const struct fusion_error *err)
{
    FUSION_LOG(FUSION_LOG_ERROR, "taxii", "request_failed", err->message,
               "req_id", fusion_http_request_id(c->req));
    return taxii_reply_error(c, 500, "internal error",
                             "the server could not complete the request");
}

/*
 * Collections
 */

static bool
root_serves(const struct taxii_root *root,
            const struct fusion_store_collection *sc)
{
    if (root->ncollections == 0)
        return true;
    for (size_t i = 0; i < root->ncollections; i++) {
        if (strcmp(root->collections[i], sc->id) == 0 ||
            (sc->alias && strcmp(root->collections[i], sc->alias) == 0))
            return true;
    }
    return false;
}

struct find_ctx {
    struct taxii_call *call;
    struct taxii_coll *coll;
    bool served;
};

static int
on_found(void *ctx, const struct fusion_store_collection *sc)
{
    struct find_ctx *f = ctx;

    f->served = root_serves(f->call->root, sc);
    snprintf(f->coll->id, sizeof(f->coll->id), "%s", sc->id);
    return 0;
}

enum fusion_err
taxii_find_collection(struct taxii_call *c, struct taxii_coll *coll, bool *ok)
{
    const char *name = fusion_http_request_param(c->req, "id");
    struct find_ctx f = { .call = c, .coll = coll };
    struct fusion_error err;
    enum fusion_err rc;

    *ok = false;
    memset(coll, 0, sizeof(*coll));
    rc = fusion_store_collection_get(c->store, name ? name : "", on_found, &f,
                                     &err);
    if (rc != FUSION_OK && rc != FUSION_ERR_NOTFOUND)
        return reply_internal(c, &err);
    if (rc == FUSION_OK && f.served) {
        unsigned access = 0;

        rc = fusion_store_access(c->store, c->user_id, coll->id, &access, &err);
        if (rc != FUSION_OK && rc != FUSION_ERR_NOTFOUND)
            return reply_internal(c, &err);
        coll->can_read = (access & FUSION_STORE_READ) != 0;
        coll->can_write = (access & FUSION_STORE_WRITE) != 0;
    }
    /* one answer for "absent" and "not yours", so neither leaks */
    if (!coll->can_read && !coll->can_write)
        return taxii_reply_error(c, 404, "collection not found",
                                 "no such collection in this API root");
    *ok = true;
    return FUSION_OK;
}

static const char *const default_media_types[] = { FUSION_TAXII_MEDIA_STIX21 };

static void
to_taxii_collection(const struct fusion_store_collection *sc, bool can_read,
                    bool can_write, struct fusion_taxii_collection *out)
{
    *out = (struct fusion_taxii_collection){
        .id = sc->id,
        .title = sc->title,
        .description = sc->description,
        .alias = sc->alias,
        .can_read = can_read,
        .can_write = can_write,
        .media_types = sc->nmedia_types ? sc->media_types : default_media_types,
        .n_media_types = sc->nmedia_types ? sc->nmedia_types : 1,
    };
}

/* Collects the collections of a root that the account may see. */
struct list_ctx {
    struct taxii_call *call;
    struct fusion_buf *body;
    bool single; /* writing one collection resource */
    size_t n;
    enum fusion_err rc;
    struct fusion_error err;
};

static int
on_listed(void *ctx, const struct fusion_store_collection *sc)
{
    struct list_ctx *l = ctx;
    struct taxii_call *c = l->call;
    struct fusion_taxii_collection tc;
    unsigned access = 0;

    if (!root_serves(c->root, sc))
        return 0;
    l->rc = fusion_store_access(c->store, c->user_id, sc->id, &access, &l->err);
    if (l->rc)
        return 1;
    if (access == 0)
        return 0;
    to_taxii_collection(sc, access & FUSION_STORE_READ,
                        access & FUSION_STORE_WRITE, &tc);
    if (!l->single) {
        l->rc =
            fusion_buf_puts(l->body, l->n == 0 ? "{\"collections\":[" : ",");
        if (l->rc)
            return 1;
    }
    l->rc = fusion_taxii_collection_json(&tc, l->body, &l->err);
    l->n++;
    return l->rc ? 1 : 0;
}

static enum fusion_err
get_collections(struct taxii_call *c)
{
    struct list_ctx l = { .call = c,
                          .body = fusion_http_response_body(c->resp) };
    enum fusion_err rc;

    rc = fusion_store_collection_list(c->store, on_listed, &l, &l.err);
    if (rc == FUSION_OK)
        rc = l.rc;
    if (rc == FUSION_OK)
        rc = fusion_buf_puts(l.body, l.n ? "]}" : "{}");
    if (rc != FUSION_OK)
        return reply_internal(c, &l.err);
    return taxii_reply_body(c, 200);
}

static enum fusion_err
get_collection(struct taxii_call *c)
{
    struct list_ctx l = {
        .call = c,
        .body = fusion_http_response_body(c->resp),
        .single = true,
    };
    struct taxii_coll coll;
    enum fusion_err rc;
    bool ok;

    rc = taxii_find_collection(c, &coll, &ok);
    if (rc != FUSION_OK || !ok)
        return rc;
    rc = fusion_store_collection_get(c->store, coll.id, on_listed, &l, &l.err);
    if (rc == FUSION_OK)
        rc = l.rc;
    if (rc != FUSION_OK || l.n != 1)
        return reply_internal(c, &l.err);
    return taxii_reply_body(c, 200);
}

/*
 * Discovery and API roots
 */

static enum fusion_err
get_discovery(struct taxii_call *c)
{
    struct fusion_taxii_server *srv = c->srv;
    const char *urls[FUSION_TAXII_MAX_ROOTS];
    struct fusion_taxii_discovery d = {
        .title = srv->title,
        .description = srv->description,
        .contact = srv->contact,
        .default_root = srv->roots[srv->default_root].url,
        .api_roots = urls,
        .n_api_roots = srv->nroots,
    };
    struct fusion_error err;

    for (size_t i = 0; i < srv->nroots; i++)
        urls[i] = srv->roots[i].url;
    if (fusion_taxii_discovery_json(&d, fusion_http_response_body(c->resp),
                                    &err))
        return reply_internal(c, &err);
    return taxii_reply_body(c, 200);
}

static enum fusion_err
get_api_root(struct taxii_call *c)
{
    struct fusion_taxii_api_root r = {
        .title = c->root->title,
        .description = c->root->description,
        .max_content_length = c->srv->max_content_length,
    };
    struct fusion_error err;

    if (fusion_taxii_api_root_json(&r, fusion_http_response_body(c->resp),
                                   &err))
        return reply_internal(c, &err);
    return taxii_reply_body(c, 200);
}

/*
 * The steps every TAXII request takes: the Accept header (406), a store
 * connection, the account (401), the API root (404). Then the endpoint.
 */
typedef enum fusion_err (*endpoint_fn)(struct taxii_call *c);

static const struct taxii_root *
find_root(const struct fusion_taxii_server *srv, const char *name)
{
    for (size_t i = 0; name && i < srv->nroots; i++) {
        if (strcmp(srv->roots[i].name, name) == 0)
            return &srv->roots[i];
    }
    return NULL;
}

/* How an endpoint uses the store. */
enum {
    READS,  /* all its reads in one read transaction: one snapshot */
    WRITES, /* it writes, in transactions of its own */
};

static enum fusion_err
serve(struct fusion_http_request *req, struct fusion_http_response *resp,
      struct fusion_taxii_server *srv, unsigned media_flags, int use,
      endpoint_fn fn)
{
    struct taxii_call c = {
        .srv = srv,
        .req = req,
        .resp = resp,
        .started = fusion_time_now_ns(),
    };
    const char *root_name = fusion_http_request_param(req, "root");
    enum fusion_taxii_media media;
    enum taxii_auth_result auth;
    struct fusion_error err;
    enum fusion_err rc;

    if (fusion_taxii_media_accept(fusion_http_request_header(req, "Accept"),
                                  media_flags, &media, &err))
        return taxii_reply_error(&c, 406, "not acceptable", err.message);
    rc = store_acquire(srv, &c.store, &err);
    if (rc != FUSION_OK) {
        FUSION_LOG(FUSION_LOG_ERROR, "taxii", "store_unavailable", err.message,
                   "req_id", fusion_http_request_id(req));
        return taxii_reply_error(&c, 503, "store unavailable",
                                 "the store cannot be opened");
    }
    rc = fusion_store_read_begin(c.store, &err);
    if (rc == FUSION_OK)
        rc = taxii_authenticate(&c, &auth);
    if (rc != FUSION_OK) {
        rc = taxii_reply_error(&c, 500, "internal error",
                               "the server could not check the credentials");
    } else if (auth != TAXII_AUTH_OK) {
        if (auth == TAXII_AUTH_BAD)
            atomic_fetch_add(&srv->auth_failures, 1);
        rc = taxii_reply_error(&c, 401, "authentication required",
                               auth == TAXII_AUTH_NONE
                                   ? "send HTTP Basic or Bearer credentials"
                                   : "the credentials were not accepted");
    } else if (root_name && !(c.root = find_root(srv, root_name))) {
        rc = taxii_reply_error(&c, 404, "API root not found",
                               "no such API root on this server");
    } else {
        fusion_http_request_set_user(req, c.user);
        if (use == WRITES)
            fusion_store_read_end(c.store);
        rc = fn(&c);
    }
    fusion_store_read_end(c.store);
    store_release(srv, c.store);
    return rc;
}

#define TAXII_HANDLER(name, flags, use, fn)                                   \
    static enum fusion_err name(struct fusion_http_request *req,              \
                                struct fusion_http_response *resp, void *ctx) \
    {                                                                         \
        return serve(req, resp, ctx, flags, use, fn);                         \
    }

TAXII_HANDLER(h_discovery, 0, READS, get_discovery)
TAXII_HANDLER(h_api_root, 0, READS, get_api_root)
TAXII_HANDLER(h_status, 0, READS, taxii_get_status)
TAXII_HANDLER(h_collections, 0, READS, get_collections)
TAXII_HANDLER(h_collection, 0, READS, get_collection)
TAXII_HANDLER(h_manifest, FUSION_TAXII_MEDIA_ALLOW_STIX, READS,
              taxii_get_manifest)
TAXII_HANDLER(h_objects, 0, READS, taxii_get_objects)
TAXII_HANDLER(h_post, 0, WRITES, taxii_post_objects)
TAXII_HANDLER(h_post_check, 0, READS, taxii_check_post)
TAXII_HANDLER(h_object, 0, READS, taxii_get_object)
TAXII_HANDLER(h_delete, 0, WRITES, taxii_delete_object)
TAXII_HANDLER(h_versions, 0, READS, taxii_get_versions)

/*
 * Operations: liveness and metrics, without login
 */

static int
stop_at_first(void *ctx, const struct fusion_store_collection *c)
{
    (void)ctx;
    (void)c;
    return 1;
}

static enum fusion_err
h_healthz(struct fusion_http_request *req, struct fusion_http_response *resp,
          void *ctx)
{
    struct fusion_taxii_server *srv = ctx;
    struct fusion_store *store = NULL;
    struct fusion_error err;
    enum fusion_err rc;
    bool ok;

    (void)req;
    rc = store_acquire(srv, &store, &err);
    if (rc == FUSION_OK) {
        rc = fusion_store_collection_list(store, stop_at_first, NULL, &err);
        rc = rc == 1 ? FUSION_OK : rc;
    }
    ok = rc == FUSION_OK;
    store_release(srv, store);
    fusion_http_response_set_status(resp, ok ? 200 : 503);
    rc = fusion_http_response_add_header(resp, "Content-Type",
                                         "application/json");
    if (rc == FUSION_OK)
        rc = fusion_buf_puts(fusion_http_response_body(resp),
                             ok ? "{\"status\":\"ok\"}\n"
                                : "{\"status\":\"store unavailable\"}\n");
    return rc;
}

static enum fusion_err
counter(struct fusion_buf *out, const char *name, const char *help,
        const char *labels, uint64_t value, bool head)
{
    enum fusion_err rc = FUSION_OK;

    if (head)
        rc = fusion_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", name,
                               help, name);
    if (rc == FUSION_OK)
        rc = fusion_buf_printf(out, "%s%s %llu\n", name, labels,
                               (unsigned long long)value);
    return rc;
}

static enum fusion_err
store_metrics(struct fusion_taxii_server *srv, struct fusion_buf *out)
{
    struct fusion_store *store = NULL;
    uint64_t objects = 0, versions = 0;
    struct fusion_error err;
    enum fusion_err rc;

    rc = store_acquire(srv, &store, &err);
    if (rc == FUSION_OK)
        rc = fusion_store_totals(store, &objects, &versions, &err);
    store_release(srv, store);
    if (rc != FUSION_OK)
        return FUSION_OK; /* a scrape without the gauges beats none */
    return fusion_buf_printf(out,
                             "# HELP fusion_store_objects Distinct objects "
                             "in the store.\n"
                             "# TYPE fusion_store_objects gauge\n"
                             "fusion_store_objects %llu\n"
                             "# HELP fusion_store_versions Object versions "
                             "in the store.\n"
                             "# TYPE fusion_store_versions gauge\n"
                             "fusion_store_versions %llu\n",
                             (unsigned long long)objects,
                             (unsigned long long)versions);
}

static enum fusion_err
h_metrics(struct fusion_http_request *req, struct fusion_http_response *resp,
          void *ctx)
{
    struct fusion_taxii_server *srv = ctx;
    struct fusion_buf *out = fusion_http_response_body(resp);
    enum fusion_err rc;

    (void)req;
    rc = fusion_http_server_metrics(srv->http, out);
    if (rc == FUSION_OK)
        rc = counter(out, "fusion_taxii_posts_total",
                     "Envelopes received by POST objects.", "",
                     atomic_load(&srv->posts), true);
    if (rc == FUSION_OK)
        rc = counter(out, "fusion_ingest_objects_total",
                     "Objects received over TAXII, by outcome.",
                     "{result=\"stored\"}", atomic_load(&srv->objects_stored),
                     true);
    if (rc == FUSION_OK)
        rc = counter(out, "fusion_ingest_objects_total", NULL,
                     "{result=\"duplicate\"}",
                     atomic_load(&srv->objects_duplicate), false);
    if (rc == FUSION_OK)
        rc = counter(out, "fusion_ingest_objects_total", NULL,
                     "{result=\"failed\"}", atomic_load(&srv->objects_failed),
                     false);
    if (rc == FUSION_OK)
        rc = counter(out, "fusion_auth_failures_total",
                     "Requests refused for wrong credentials.", "",
                     atomic_load(&srv->auth_failures), true);
    if (rc == FUSION_OK)
        rc = store_metrics(srv, out);
    if (rc == FUSION_OK)
        rc = fusion_http_response_add_header(resp, "Content-Type",
                                             FUSION_HTTP_METRICS_CONTENT_TYPE);
    return rc;
}

/*
 * Settings and routes
 */

static bool
valid_root_name(const char *name)
{
    static const char *const reserved[] = { "taxii2", "healthz", "metrics" };
    size_t len = name ? strlen(name) : 0;

    if (len == 0 || len > 64 || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0)
        return false;
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (strcmp(name, reserved[i]) == 0)
            return false;
    }
    for (const char *p = name; *p; p++) {
        char ch = *p;

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

static char *
dup_or_null(const char *s, bool *failed)
{
    char *d;

    if (!s)
        return NULL;
    d = fusion_strdup(s);
    if (!d)
        *failed = true;
    return d;
}

static int
on_check(void *ctx, const struct fusion_store_collection *c)
{
    (void)ctx;
    (void)c;
    return 0;
}

static enum fusion_err
copy_root(struct taxii_root *to, const struct fusion_taxii_root_config *from,
          struct fusion_store *store, struct fusion_error *err)
{
    bool failed = false;
    size_t len;

    if (!valid_root_name(from->name))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "API root name '%s' is not one path segment "
                                "of letters, digits, '-', '_' and '.' (and "
                                "not taxii2, healthz or metrics)",
                                from->name ? from->name : "");
    to->name = dup_or_null(from->name, &failed);
    to->title = dup_or_null(from->title ? from->title : from->name, &failed);
    to->description = dup_or_null(from->description, &failed);
    len = strlen(from->name) + 3;
    to->url = fusion_malloc(len);
    if (to->url)
        snprintf(to->url, len, "/%s/", from->name);
    if (from->ncollections)
        to->collections = fusion_calloc(from->ncollections, sizeof(char *));
    if (failed || !to->url || (from->ncollections && !to->collections))
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < from->ncollections; i++) {
        enum fusion_err rc;

        rc = fusion_store_collection_get(store, from->collections[i], on_check,
                                         NULL, err);
        if (rc == FUSION_ERR_NOTFOUND)
            return fusion_error_set(err, FUSION_ERR_NOTFOUND,
                                    "API root '%s': the store has no "
                                    "collection '%s' (see fusion collection "
                                    "list)",
                                    from->name, from->collections[i]);
        if (rc != FUSION_OK)
            return rc;
        to->collections[i] = fusion_strdup(from->collections[i]);
        if (!to->collections[i])
            return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
        to->ncollections++;
    }
    return FUSION_OK;
}

static enum fusion_err
copy_config(struct fusion_taxii_server *srv,
            const struct fusion_taxii_server_config *cfg,
            struct fusion_store *store, struct fusion_error *err)
{
    static const struct fusion_taxii_root_config default_root = {
        .name = FUSION_TAXII_DEFAULT_ROOT,
        .title = FUSION_TAXII_DEFAULT_TITLE,
    };
    const struct fusion_taxii_root_config *roots = cfg->roots;
    size_t nroots = cfg->nroots;
    bool failed = false;
    enum fusion_err rc;

    if (nroots == 0) {
        roots = &default_root;
        nroots = 1;
    }
    if (nroots > FUSION_TAXII_MAX_ROOTS)
        return fusion_error_set(err, FUSION_ERR_INVALID, "at most %d API roots",
                                FUSION_TAXII_MAX_ROOTS);
    if (cfg->page_size < 0 || cfg->status_retention_s < 0)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "page size and status retention must not be "
                                "negative");
    srv->title = dup_or_null(
        cfg->title ? cfg->title : FUSION_TAXII_DEFAULT_TITLE, &failed);
    srv->description = dup_or_null(cfg->description, &failed);
    srv->contact = dup_or_null(cfg->contact, &failed);
    srv->roots = fusion_calloc(nroots, sizeof(*srv->roots));
    if (failed || !srv->roots)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < nroots; i++) {
        for (size_t j = 0; j < i; j++) {
            if (roots[i].name && roots[j].name &&
                strcmp(roots[i].name, roots[j].name) == 0)
                return fusion_error_set(err, FUSION_ERR_INVALID,
                                        "API root '%s' is named twice",
                                        roots[i].name);
        }
        rc = copy_root(&srv->roots[i], &roots[i], store, err);
        srv->nroots++;
        if (rc != FUSION_OK)
            return rc;
    }
    if (cfg->default_root) {
        const struct taxii_root *d = find_root(srv, cfg->default_root);

        if (!d)
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "the default API root '%s' is not one of "
                                    "the API roots",
                                    cfg->default_root);
        srv->default_root = (size_t)(d - srv->roots);
    }
    srv->page_size =
        cfg->page_size ? cfg->page_size : FUSION_TAXII_DEFAULT_PAGE;
    srv->max_content_length = cfg->max_content_length
                                  ? cfg->max_content_length
                                  : FUSION_HTTP_DEFAULT_MAX_BODY;
    srv->status_retention_ns =
        (cfg->status_retention_s ? cfg->status_retention_s
                                 : FUSION_TAXII_DEFAULT_RETENTION_S) *
        INT64_C(1000000000);
    srv->store_cache_bytes = cfg->store_cache_bytes
                                 ? cfg->store_cache_bytes
                                 : FUSION_TAXII_DEFAULT_STORE_CACHE;
    if (cfg->cursor_secret) {
        if (cfg->cursor_secret_len < FUSION_TAXII_SECRET_MIN ||
            cfg->cursor_secret_len > FUSION_TAXII_SECRET_MAX)
            return fusion_error_set(err, FUSION_ERR_INVALID,
                                    "the cursor secret needs %d to %d bytes",
                                    FUSION_TAXII_SECRET_MIN,
                                    FUSION_TAXII_SECRET_MAX);
        memcpy(srv->secret, cfg->cursor_secret, cfg->cursor_secret_len);
        srv->secret_len = cfg->cursor_secret_len;
        return FUSION_OK;
    }
    srv->secret_len = FUSION_TAXII_SECRET_MIN;
    return fusion_secret_random(srv->secret, srv->secret_len, err);
}

struct route {
    const char *method;
    const char *pattern;
    fusion_http_handler_fn fn;
};

static const struct route routes[] = {
    { "GET", "/taxii2/", h_discovery },
    { "GET", "/healthz", h_healthz },
    { "GET", "/metrics", h_metrics },
    { "GET", "/{root}/", h_api_root },
    { "GET", "/{root}/status/{status}/", h_status },
    { "GET", "/{root}/collections/", h_collections },
    { "GET", "/{root}/collections/{id}/", h_collection },
    { "GET", "/{root}/collections/{id}/manifest/", h_manifest },
    { "GET", "/{root}/collections/{id}/objects/", h_objects },
    { "POST", "/{root}/collections/{id}/objects/", h_post },
    { "GET", "/{root}/collections/{id}/objects/{object}/", h_object },
    { "DELETE", "/{root}/collections/{id}/objects/{object}/", h_delete },
    { "GET", "/{root}/collections/{id}/objects/{object}/versions/",
      h_versions },
};

enum fusion_err
fusion_taxii_server_new(const struct fusion_taxii_server_config *cfg,
                        struct fusion_http_server *http,
                        struct fusion_taxii_server **out,
                        struct fusion_error *err)
{
    struct fusion_taxii_server *srv;
    struct fusion_store *store = NULL;
    enum fusion_err rc;

    if (!cfg->db_path || !http)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "a store path and an HTTP server are needed");
    srv = fusion_calloc(1, sizeof(*srv));
    if (!srv)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&srv->pool_mu, NULL);
    srv->http = http;
    srv->pool_cap = 64;
    srv->db_path = fusion_strdup(cfg->db_path);
    srv->pool = fusion_calloc(srv->pool_cap, sizeof(*srv->pool));
    if (!srv->db_path || !srv->pool) {
        fusion_taxii_server_free(srv);
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    }
    rc = fusion_store_open(srv->db_path, 0, &store, err);
    if (rc == FUSION_OK)
        rc = copy_config(srv, cfg, store, err);
    if (rc == FUSION_OK)
        rc = taxii_auth_cache_new(&srv->auth);
    for (size_t i = 0; rc == FUSION_OK && i < sizeof(routes) / sizeof(*routes);
         i++)
        rc = fusion_http_server_route(http, routes[i].method, routes[i].pattern,
                                      routes[i].fn, srv, err);
    /*
     * An upload's credentials and grant are judged on its headers, so an
     * unauthorised one is answered before its body is read.
     */
    if (rc == FUSION_OK)
        rc = fusion_http_server_route_check(http, "POST",
                                            "/{root}/collections/{id}/objects/",
                                            h_post_check, err);
    if (rc != FUSION_OK) {
        fusion_store_close(store);
        fusion_taxii_server_free(srv);
        if (rc == FUSION_ERR_NOMEM)
            fusion_error_set(err, rc, "out of memory");
        return rc;
    }
    fusion_store_set_cache_size(store, srv->store_cache_bytes);
    store_release(srv, store);
    *out = srv;
    return FUSION_OK;
}

void
fusion_taxii_server_free(struct fusion_taxii_server *srv)
{
    if (!srv)
        return;
    for (size_t i = 0; i < srv->npool; i++)
        fusion_store_close(srv->pool[i]);
    fusion_free(srv->pool);
    for (size_t i = 0; i < srv->nroots; i++) {
        struct taxii_root *r = &srv->roots[i];

        fusion_free(r->name);
        fusion_free(r->title);
        fusion_free(r->description);
        fusion_free(r->url);
        for (size_t j = 0; j < r->ncollections; j++)
            fusion_free(r->collections[j]);
        fusion_free(r->collections);
    }
    fusion_free(srv->roots);
    fusion_free(srv->title);
    fusion_free(srv->description);
    fusion_free(srv->contact);
    fusion_free(srv->db_path);
    taxii_auth_cache_free(srv->auth);
    pthread_mutex_destroy(&srv->pool_mu);
    fusion_free(srv);
}
