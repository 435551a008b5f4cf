/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fusion serve: the TAXII 2.1 server. Settings come from a JSON
 * configuration file, and each can be given on the command line, which
 * wins over the file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "taxii/taxii.h"

#define DEFAULT_LISTEN       "127.0.0.1:8443"
#define MAX_ROOT_COLLECTIONS 256

struct serve_root {
    const char *name;
    const char *title;
    const char *description;
    const char *collections[MAX_ROOT_COLLECTIONS];
    size_t ncollections;
};

/* Settings; NULL strings and negative numbers are "not given". */
struct serve_opts {
    const char *db;
    const char *listen;
    const char *tls_cert;
    const char *tls_key;
    int plain_http;
    long long threads;
    long long max_body;
    long long page_size;
    long long status_retention;
    long long max_connections;
    const char *title;
    const char *description;
    const char *contact;
    const char *default_root;
    const char *cursor_secret_file;
    const char *log_format;
    const char *log_level;
    struct serve_root roots[FUSION_TAXII_MAX_ROOTS];
    size_t nroots;
};

static void
serve_usage(FILE *f)
{
    fputs("usage: fusion serve [OPTIONS]\n"
          "\n"
          "Serves the store over TAXII 2.1 until SIGTERM or SIGINT, which\n"
          "let requests in flight finish. Discovery is at /taxii2/; each API\n"
          "root at /NAME/ (default /api/, serving every collection).\n"
          "\n"
          "Options (each may also be set in the configuration file):\n"
          "  --config FILE              JSON settings (see docs/serve.md)\n"
          "  --listen ADDR:PORT         numeric address to listen on (default\n"
          "                             " DEFAULT_LISTEN "; [::1]:PORT for "
          "IPv6;\n"
          "                             0.0.0.0 or [::] for all addresses)\n"
          "  --tls-cert FILE            certificate chain, PEM (default: the\n"
          "                             pair fusion init made, DB-cert.pem)\n"
          "  --tls-key FILE             its private key, PEM (DB-key.pem)\n"
          "  --plain-http               serve HTTP without TLS; needed off\n"
          "                             loopback, implied on loopback when\n"
          "                             there is no certificate\n"
          "  --threads N                worker threads (default: cores)\n"
          "  --max-connections N        connections at once (default 1024)\n"
          "  --max-body BYTES           largest POST body (default 10485760)\n"
          "  --page-size N              largest page, and the default\n"
          "                             (default 1000)\n"
          "  --status-retention SECS    how long upload statuses stay\n"
          "                             readable (default 86400)\n"
          "  --title TEXT, --description TEXT, --contact TEXT\n"
          "                             the discovery resource\n"
          "  --api-root NAME[=COLL,...] an API root serving the collections\n"
          "                             named (ids or aliases; none: all);\n"
          "                             repeatable, replaces the default\n"
          "  --default-root NAME        the API root discovery names default\n"
          "  --cursor-secret-file FILE  key for paging cursors (32+ bytes),\n"
          "                             shared by servers on one store\n"
          "  --log-format logfmt|json   (default logfmt)\n"
          "  --log-level error|warn|info|debug (default info)\n"
          "  --db PATH, --help\n",
          f);
}

static void
opts_init(struct serve_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->plain_http = -1;
    o->threads = -1;
    o->max_body = -1;
    o->page_size = -1;
    o->status_retention = -1;
    o->max_connections = -1;
}

static bool
parse_count(const char *option, const char *value, long long min, long long max,
            long long *out)
{
    int64_t v;

    if (fusion_parse_int64(value, strlen(value), &v) || v < min || v > max) {
        cli_error("%s: '%s' is not a number from %lld to %lld", option, value,
                  min, max);
        return false;
    }
    *out = v;
    return true;
}

/* "NAME" or "NAME=COLL,COLL"; value is kept (it lives in argv). */
static bool
parse_root_arg(struct serve_opts *o, char *value)
{
    struct serve_root *r;
    char *eq, *tok, *save = NULL;

    if (o->nroots == FUSION_TAXII_MAX_ROOTS) {
        cli_error("--api-root: at most %d API roots", FUSION_TAXII_MAX_ROOTS);
        return false;
    }
    r = &o->roots[o->nroots++];
    memset(r, 0, sizeof(*r));
    eq = strchr(value, '=');
    if (eq)
        *eq = '\0';
    r->name = value;
    if (!eq)
        return true;
    for (tok = strtok_r(eq + 1, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (r->ncollections == MAX_ROOT_COLLECTIONS) {
            cli_error("--api-root %s: at most %d collections", value,
                      MAX_ROOT_COLLECTIONS);
            return false;
        }
        r->collections[r->ncollections++] = tok;
    }
    return true;
}

/*
 * The configuration file
 */

/* A JSON value held by the file's document, which stays loaded. */
static bool
conf_string(json_t *v, const char *path, const char *key, const char **out)
{
    if (!json_is_string(v)) {
        cli_error("%s: '%s' must be a string", path, key);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

static bool
conf_count(json_t *v, const char *path, const char *key, long long min,
           long long max, long long *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < min ||
        json_integer_value(v) > max) {
        cli_error("%s: '%s' must be an integer from %lld to %lld", path, key,
                  min, max);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

static bool
conf_root(json_t *v, const char *path, size_t i, struct serve_root *r)
{
    const char *key;
    json_t *val;

    memset(r, 0, sizeof(*r));
    if (!json_is_object(v)) {
        cli_error("%s: api_roots[%zu] must be an object", path, i);
        return false;
    }
    json_object_foreach(v, key, val)
    {
        bool ok = true;

        if (strcmp(key, "name") == 0) {
            ok = conf_string(val, path, "api_roots[].name", &r->name);
        } else if (strcmp(key, "title") == 0) {
            ok = conf_string(val, path, "api_roots[].title", &r->title);
        } else if (strcmp(key, "description") == 0) {
            ok = conf_string(val, path, "api_roots[].description",
                             &r->description);
        } else if (strcmp(key, "collections") == 0) {
            size_t j;
            json_t *c;

            if (!json_is_array(val) ||
                json_array_size(val) > MAX_ROOT_COLLECTIONS) {
                cli_error("%s: api_roots[%zu].collections must be an array "
                          "of at most %d strings",
                          path, i, MAX_ROOT_COLLECTIONS);
                return false;
            }
            json_array_foreach(val, j, c)
            {
                if (!conf_string(c, path, "api_roots[].collections[]",
                                 &r->collections[j]))
                    return false;
                r->ncollections = j + 1;
            }
        } else {
            cli_error("%s: api_roots[%zu]: unknown setting '%s'", path, i, key);
            return false;
        }
        if (!ok)
            return false;
    }
    if (!r->name) {
        cli_error("%s: api_roots[%zu] needs a name", path, i);
        return false;
    }
    return true;
}

static bool
conf_member(struct serve_opts *o, const char *path, const char *key, json_t *v)
{
    static const struct {
        const char *key;
        size_t offset;
    } strings[] = {
        { "db", offsetof(struct serve_opts, db) },
        { "listen", offsetof(struct serve_opts, listen) },
        { "tls_cert", offsetof(struct serve_opts, tls_cert) },
        { "tls_key", offsetof(struct serve_opts, tls_key) },
        { "title", offsetof(struct serve_opts, title) },
        { "description", offsetof(struct serve_opts, description) },
        { "contact", offsetof(struct serve_opts, contact) },
        { "default_root", offsetof(struct serve_opts, default_root) },
        { "cursor_secret_file",
          offsetof(struct serve_opts, cursor_secret_file) },
        { "log_format", offsetof(struct serve_opts, log_format) },
        { "log_level", offsetof(struct serve_opts, log_level) },
    };

    static const struct {
        const char *key;
        size_t offset;
        long long min, max;
    } counts[] = {
        { "threads", offsetof(struct serve_opts, threads), 1, 256 },
        { "max_connections", offsetof(struct serve_opts, max_connections), 1,
          100000 },
        { "max_body", offsetof(struct serve_opts, max_body), 1,
          (long long)1 << 40 },
        { "page_size", offsetof(struct serve_opts, page_size), 1, 100000 },
        { "status_retention", offsetof(struct serve_opts, status_retention), 1,
          (long long)1 << 40 },
    };

    size_t i;
    json_t *r;

    for (i = 0; i < sizeof(strings) / sizeof(*strings); i++) {
        if (strcmp(key, strings[i].key) == 0)
            return conf_string(v, path, key,
                               (const char **)((char *)o + strings[i].offset));
    }
    for (i = 0; i < sizeof(counts) / sizeof(*counts); i++) {
        if (strcmp(key, counts[i].key) == 0)
            return conf_count(v, path, key, counts[i].min, counts[i].max,
                              (long long *)((char *)o + counts[i].offset));
    }
    if (strcmp(key, "plain_http") == 0) {
        if (!json_is_boolean(v)) {
            cli_error("%s: 'plain_http' must be true or false", path);
            return false;
        }
        o->plain_http = json_is_true(v);
        return true;
    }
    if (strcmp(key, "api_roots") == 0) {
        if (!json_is_array(v) || json_array_size(v) == 0 ||
            json_array_size(v) > FUSION_TAXII_MAX_ROOTS) {
            cli_error("%s: 'api_roots' must be an array of 1 to %d roots", path,
                      FUSION_TAXII_MAX_ROOTS);
            return false;
        }
        json_array_foreach(v, i, r)
        {
            if (!conf_root(r, path, i, &o->roots[i]))
                return false;
            o->nroots = i + 1;
        }
        return true;
    }
    cli_error("%s: unknown setting '%s'", path, key);
    return false;
}

static bool
load_config(const char *path, struct serve_opts *o, json_t **doc_out)
{
    json_error_t jerr;
    const char *key;
    json_t *doc, *v;

    doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        cli_error("%s: line %d, column %d: %s", path, jerr.line, jerr.column,
                  jerr.text);
        return false;
    }
    *doc_out = doc;
    if (!json_is_object(doc)) {
        cli_error("%s: the configuration must be a JSON object", path);
        return false;
    }
    json_object_foreach(doc, key, v)
    {
        if (!conf_member(o, path, key, v))
            return false;
    }
    return true;
}

/* Settings given on the command line replace those of the file. */
static void
merge(struct serve_opts *to, const struct serve_opts *from)
{
    const char **to_s[] = {
        &to->db,         &to->listen,       &to->tls_cert,
        &to->tls_key,    &to->title,        &to->description,
        &to->contact,    &to->default_root, &to->cursor_secret_file,
        &to->log_format, &to->log_level
    };
    const char *const from_s[] = {
        from->db,         from->listen,       from->tls_cert,
        from->tls_key,    from->title,        from->description,
        from->contact,    from->default_root, from->cursor_secret_file,
        from->log_format, from->log_level
    };
    long long *to_n[] = { &to->threads, &to->max_body, &to->page_size,
                          &to->status_retention, &to->max_connections };
    const long long from_n[] = { from->threads, from->max_body, from->page_size,
                                 from->status_retention,
                                 from->max_connections };

    for (size_t i = 0; i < sizeof(to_s) / sizeof(*to_s); i++) {
        if (from_s[i])
            *to_s[i] = from_s[i];
    }
    for (size_t i = 0; i < sizeof(to_n) / sizeof(*to_n); i++) {
        if (from_n[i] >= 0)
            *to_n[i] = from_n[i];
    }
    if (from->plain_http >= 0)
        to->plain_http = from->plain_http;
    if (from->nroots) {
        memcpy(to->roots, from->roots, sizeof(from->roots));
        to->nroots = from->nroots;
    }
}

/*
 * Running
 */

/* Splits "ADDR:PORT" or "[V6]:PORT" into addr (size bytes) and port. */
static bool
parse_listen(const char *s, char *addr, size_t size, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    const char *host = s;
    unsigned char probe[sizeof(struct in6_addr)];
    size_t hlen;
    int64_t p;

    if (!colon)
        goto bad;
    hlen = (size_t)(colon - s);
    if (s[0] == '[') {
        if (hlen < 2 || s[hlen - 1] != ']')
            goto bad;
        host = s + 1;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= size)
        goto bad;
    memcpy(addr, host, hlen);
    addr[hlen] = '\0';
    if (inet_pton(AF_INET, addr, probe) != 1 &&
        inet_pton(AF_INET6, addr, probe) != 1) {
        cli_error("--listen: '%s' is not a numeric IPv4 or IPv6 address "
                  "(host names are not looked up)",
                  addr);
        return false;
    }
    if (fusion_parse_int64(colon + 1, strlen(colon + 1), &p) || p < 0 ||
        p > 65535) {
        cli_error("--listen: '%s': the port must be a number from 0 to 65535",
                  s);
        return false;
    }
    *port = (uint16_t)p;
    return true;
bad:
    cli_error("--listen: '%s' is not ADDR:PORT (such as 127.0.0.1:8443 or "
              "[::1]:8443)",
              s);
    return false;
}

static bool
is_loopback(const char *addr)
{
    struct in6_addr a6;
    struct in_addr a4;

    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, addr, &a6) == 1 &&
           memcmp(&a6, &in6addr_loopback, sizeof(a6)) == 0;
}

static bool
set_logging(const struct serve_opts *o)
{
    enum fusion_log_level level = FUSION_LOG_INFO;
    enum fusion_log_format format = FUSION_LOG_LOGFMT;
    static const char *const levels[] = { "error", "warn", "info", "debug" };
    bool found = !o->log_level;

    for (size_t i = 0; o->log_level && i < 4; i++) {
        if (strcmp(o->log_level, levels[i]) == 0) {
            level = (enum fusion_log_level)i;
            found = true;
        }
    }
    if (!found) {
        cli_error("--log-level: '%s' is not error, warn, info or debug",
                  o->log_level);
        return false;
    }
    if (o->log_format && strcmp(o->log_format, "json") == 0) {
        format = FUSION_LOG_JSON;
    } else if (o->log_format && strcmp(o->log_format, "logfmt") != 0) {
        cli_error("--log-format: '%s' is not logfmt or json", o->log_format);
        return false;
    }
    fusion_log_setup(level, format);
    return true;
}

/* Reads the cursor key from path into buf; *len_out its length. */
static bool
read_secret(const char *path, unsigned char *buf, size_t size, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return false;
    }
    n = fread(buf, 1, size, f);
    fclose(f);
    if (n < FUSION_TAXII_SECRET_MIN || n >= size) {
        cli_error("%s: a cursor secret needs %d to %d bytes", path,
                  FUSION_TAXII_SECRET_MIN, FUSION_TAXII_SECRET_MAX);
        return false;
    }
    *len_out = n;
    return true;
}

/* Whether addr is 0.0.0.0 or ::, every address of its family. */
static bool
is_wildcard(const char *addr)
{
    struct in6_addr a6;
    struct in_addr a4;

    if (inet_pton(AF_INET, addr, &a4) == 1)
        return a4.s_addr == htonl(INADDR_ANY);
    return inet_pton(AF_INET6, addr, &a6) == 1 &&
           memcmp(&a6, &in6addr_any, sizeof(a6)) == 0;
}

/*
 * The discovery URL for the ready line. A wildcard address cannot be
 * connected to, so the loopback address of its family stands in.
 */
static void
ready_url(const char *addr, bool tls, unsigned port, char *out, size_t size)
{
    bool v6 = strchr(addr, ':') != NULL;
    const char *host = addr;

    if (is_wildcard(addr))
        host = v6 ? "::1" : "127.0.0.1";
    snprintf(out, size, "%s://%s%s%s:%u/taxii2/", tls ? "https" : "http",
             v6 ? "[" : "", host, v6 ? "]" : "", port);
}

/* The certificate pair fusion init makes beside the store. */
static void
default_tls_paths(const char *db, char *cert, char *key, size_t size)
{
    snprintf(cert, size, "%s-cert.pem", db);
    snprintf(key, size, "%s-key.pem", db);
}

static int
run(struct cli *cli, const struct serve_opts *o)
{
    struct fusion_taxii_root_config roots[FUSION_TAXII_MAX_ROOTS];
    struct fusion_http_config hcfg = { 0 };
    struct fusion_taxii_server_config tcfg = { 0 };
    struct fusion_http_server *http = NULL;
    struct fusion_taxii_server *taxii = NULL;
    unsigned char secret[FUSION_TAXII_SECRET_MAX + 1];
    char addr[64], cert[4096], key[4096], url[128], port_s[16];
    struct fusion_error err;
    enum fusion_err rc;
    sigset_t stop;
    uint16_t port;
    int sig;

    if (!set_logging(o) || !parse_listen(o->listen ? o->listen : DEFAULT_LISTEN,
                                         addr, sizeof(addr), &port))
        return CLI_USAGE;
    hcfg.bind_address = addr;
    hcfg.port = port;
    hcfg.threads = o->threads > 0 ? (unsigned)o->threads : 0;
    hcfg.max_body_bytes = o->max_body > 0 ? (size_t)o->max_body : 0;
    hcfg.max_connections =
        o->max_connections > 0 ? (unsigned)o->max_connections : 0;
    hcfg.error_content_type = FUSION_TAXII_MEDIA_TAXII21;
    if (o->plain_http != 1) {
        default_tls_paths(cli->db, cert, key, sizeof(cert));
        hcfg.tls_cert_file = o->tls_cert ? o->tls_cert : cert;
        hcfg.tls_key_file = o->tls_key ? o->tls_key : key;
        if (!o->tls_cert && !o->tls_key &&
            (access(cert, R_OK) != 0 || access(key, R_OK) != 0)) {
            if (!is_loopback(addr)) {
                cli_error("no TLS certificate: run 'fusion init' to make a "
                          "self-signed one, give --tls-cert and --tls-key, "
                          "or choose --plain-http");
                return CLI_USAGE;
            }
            hcfg.tls_cert_file = NULL;
            hcfg.tls_key_file = NULL;
        }
    }
    hcfg.allow_plain_http = o->plain_http == 1;
    for (size_t i = 0; i < o->nroots; i++)
        roots[i] = (struct fusion_taxii_root_config){
            .name = o->roots[i].name,
            .title = o->roots[i].title,
            .description = o->roots[i].description,
            .collections = o->roots[i].collections,
            .ncollections = o->roots[i].ncollections,
        };
    tcfg.db_path = cli->db;
    tcfg.title = o->title;
    tcfg.description = o->description;
    tcfg.contact = o->contact;
    tcfg.roots = roots;
    tcfg.nroots = o->nroots;
    tcfg.default_root = o->default_root;
    tcfg.page_size = o->page_size > 0 ? o->page_size : 0;
    tcfg.status_retention_s = o->status_retention > 0 ? o->status_retention : 0;
    tcfg.max_content_length =
        o->max_body > 0 ? (uint64_t)o->max_body : FUSION_HTTP_DEFAULT_MAX_BODY;
    if (o->cursor_secret_file) {
        if (!read_secret(o->cursor_secret_file, secret, sizeof(secret),
                         &tcfg.cursor_secret_len))
            return CLI_USAGE;
        tcfg.cursor_secret = secret;
    }

    /* the signals are taken by sigwait below, in this thread only */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = fusion_http_server_new(&hcfg, &http, &err);
    if (rc == FUSION_OK)
        rc = fusion_taxii_server_new(&tcfg, http, &taxii, &err);
    if (rc == FUSION_OK)
        rc = fusion_http_server_start(http, &err);
    if (rc != FUSION_OK) {
        cli_error("%s", err.message);
        fusion_http_server_free(http);
        fusion_taxii_server_free(taxii);
        return cli_exit_for(rc);
    }
    ready_url(addr, hcfg.tls_cert_file != NULL, fusion_http_server_port(http),
              url, sizeof(url));
    snprintf(port_s, sizeof(port_s), "%u", fusion_http_server_port(http));
    FUSION_LOG(FUSION_LOG_INFO, "serve", "ready", "TAXII 2.1 server ready",
               "url", url, "db", cli->db, "port", port_s, "tls",
               hcfg.tls_cert_file ? "on" : "off", "listen",
               is_wildcard(addr) ? "all addresses" : addr);
    if (!hcfg.tls_cert_file)
        FUSION_LOG(FUSION_LOG_WARN, "serve", "plain_http",
                   "serving plain HTTP: credentials cross the network in "
                   "clear unless this address is only reachable locally",
                   "url", url);

    while (sigwait(&stop, &sig) != 0)
        ;
    FUSION_LOG(FUSION_LOG_INFO, "serve", "stopping",
               "stopping: requests in flight may finish", "signal",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
    fusion_http_server_stop(http);
    fusion_taxii_server_free(taxii);
    FUSION_LOG(FUSION_LOG_INFO, "serve", "stopped",
               "server stopped, store closed", "db", cli->db);
    return CLI_OK;
}

int
cmd_serve(struct cli *cli, int argc, char **argv)
{
    enum {
        OPT_CONFIG = 1100,
        OPT_LISTEN,
        OPT_TLS_CERT,
        OPT_TLS_KEY,
        OPT_PLAIN,
        OPT_THREADS,
        OPT_MAX_CONN,
        OPT_MAX_BODY,
        OPT_PAGE,
        OPT_RETENTION,
        OPT_TITLE,
        OPT_DESCRIPTION,
        OPT_CONTACT,
        OPT_ROOT,
        OPT_DEFAULT_ROOT,
        OPT_SECRET,
        OPT_LOG_FORMAT,
        OPT_LOG_LEVEL,
    };
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        { "config", required_argument, NULL, OPT_CONFIG },
        { "listen", required_argument, NULL, OPT_LISTEN },
        { "tls-cert", required_argument, NULL, OPT_TLS_CERT },
        { "tls-key", required_argument, NULL, OPT_TLS_KEY },
        { "plain-http", no_argument, NULL, OPT_PLAIN },
        { "threads", required_argument, NULL, OPT_THREADS },
        { "max-connections", required_argument, NULL, OPT_MAX_CONN },
        { "max-body", required_argument, NULL, OPT_MAX_BODY },
        { "page-size", required_argument, NULL, OPT_PAGE },
        { "status-retention", required_argument, NULL, OPT_RETENTION },
        { "title", required_argument, NULL, OPT_TITLE },
        { "description", required_argument, NULL, OPT_DESCRIPTION },
        { "contact", required_argument, NULL, OPT_CONTACT },
        { "api-root", required_argument, NULL, OPT_ROOT },
        { "default-root", required_argument, NULL, OPT_DEFAULT_ROOT },
        { "cursor-secret-file", required_argument, NULL, OPT_SECRET },
        { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
        { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
        { NULL, 0, NULL, 0 },
    };
    static struct serve_opts given, file;
    const char *config = NULL;
    const char *db_given = NULL;
    json_t *doc = NULL;
    bool ok = true;
    int c, rc;

    opts_init(&given);
    opts_init(&file);
    while (ok && (c = getopt_long(argc, argv, CLI_COMMON_SHORT, options,
                                  NULL)) != -1) {
        switch (c) {
        case 'h':
            serve_usage(stdout);
            return CLI_OK;
        case 'd':
            db_given = optarg;
            break;
        case OPT_CONFIG:
            config = optarg;
            break;
        case OPT_LISTEN:
            given.listen = optarg;
            break;
        case OPT_TLS_CERT:
            given.tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            given.tls_key = optarg;
            break;
        case OPT_PLAIN:
            given.plain_http = 1;
            break;
        case OPT_THREADS:
            ok = parse_count("--threads", optarg, 1, 256, &given.threads);
            break;
        case OPT_MAX_CONN:
            ok = parse_count("--max-connections", optarg, 1, 100000,
                             &given.max_connections);
            break;
        case OPT_MAX_BODY:
            ok = parse_count("--max-body", optarg, 1, (long long)1 << 40,
                             &given.max_body);
            break;
        case OPT_PAGE:
            ok =
                parse_count("--page-size", optarg, 1, 100000, &given.page_size);
            break;
        case OPT_RETENTION:
            ok = parse_count("--status-retention", optarg, 1,
                             (long long)1 << 40, &given.status_retention);
            break;
        case OPT_TITLE:
            given.title = optarg;
            break;
        case OPT_DESCRIPTION:
            given.description = optarg;
            break;
        case OPT_CONTACT:
            given.contact = optarg;
            break;
        case OPT_ROOT:
            ok = parse_root_arg(&given, optarg);
            break;
        case OPT_DEFAULT_ROOT:
            given.default_root = optarg;
            break;
        case OPT_SECRET:
            given.cursor_secret_file = optarg;
            break;
        case OPT_LOG_FORMAT:
            given.log_format = optarg;
            break;
        case OPT_LOG_LEVEL:
            given.log_level = optarg;
            break;
        default:
            if (!cli_common_option(cli, c, optarg))
                ok = false;
            break;
        }
    }
    if (!ok || optind != argc) {
        serve_usage(stderr);
        return CLI_USAGE;
    }
    if (config && !load_config(config, &file, &doc)) {
        json_decref(doc);
        return CLI_USAGE;
    }
    merge(&file, &given);
    /* --db, else the file's "db", else $FUSION_DB or ./fusion.db */
    if (db_given)
        cli->db = db_given;
    else if (file.db)
        cli->db = file.db;
    rc = run(cli, &file);
    json_decref(doc);
    return rc;
}
