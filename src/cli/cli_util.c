/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the fusion commands. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("fusion: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int
cli_exit_for(enum fusion_err rc)
{
    switch (rc) {
    case FUSION_OK:
        return CLI_OK;
    case FUSION_ERR_INVALID:
    case FUSION_ERR_LIMIT:
    case FUSION_ERR_CONFLICT:
        return CLI_INVALID;
    case FUSION_ERR_NOTFOUND:
    case FUSION_ERR_UNSUPPORTED:
        return CLI_UNAVAILABLE;
    default:
        return CLI_FAILURE;
    }
}

static bool
folder_writable(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *folder;
    bool ok;

    if (!slash)
        return access(".", W_OK) == 0;
    if (slash == path)
        return access("/", W_OK) == 0;
    folder = fusion_strndup(path, (size_t)(slash - path));
    if (!folder)
        return true;
    ok = access(folder, W_OK) == 0;
    fusion_free(folder);
    return ok;
}

static bool
store_folder_exists(const char *path)
{
    const char *slash = strrchr(path, '/');
    struct stat st;
    char *folder;
    bool ok;

    if (!slash || slash == path)
        return true;
    folder = fusion_strndup(path, (size_t)(slash - path));
    if (!folder)
        return true;
    ok = stat(folder, &st) == 0 && S_ISDIR(st.st_mode);
    fusion_free(folder);
    return ok;
}

/*
 * What SQLite would only report as "readonly database" or "unable to
 * open", said plainly: an empty file, a store this user may not write,
 * a folder where the store cannot be created.
 */
static bool
store_usable(struct cli *cli, unsigned flags)
{
    struct stat st;

    if (stat(cli->db, &st) != 0) {
        if ((flags & FUSION_STORE_CREATE) && !folder_writable(cli->db)) {
            cli_error("cannot create store '%s': no write access to its "
                      "folder",
                      cli->db);
            return false;
        }
        return true;
    }
    if (st.st_size == 0 && !(flags & FUSION_STORE_CREATE)) {
        cli_error("'%s' is an empty file, not a store (create one with "
                  "'fusion init')",
                  cli->db);
        return false;
    }
    if (!(flags & FUSION_STORE_READONLY) && access(cli->db, W_OK) != 0) {
        cli_error("store '%s' is read-only for this user: it can be "
                  "searched and exported, not written",
                  cli->db);
        return false;
    }
    return true;
}

/*
 * A store of an older schema is migrated when it is opened for writing.
 * A reading command does that first when the user may write the store,
 * so that upgrading Fusion never leaves a store unreadable.
 */
static int
migrate_store(const char *path, struct fusion_error *err)
{
    struct fusion_store *store;

    if (fusion_store_open(path, 0, &store, err))
        return -1;
    fusion_store_close(store);
    return 0;
}

int
cli_open_store(struct cli *cli, unsigned flags, struct fusion_store **out)
{
    struct stat st;
    struct fusion_error err;
    enum fusion_err rc;

    if (stat(cli->db, &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_error("store '%s' is a directory; name a file, e.g. '%s/fusion.db'",
                  cli->db, cli->db);
        return CLI_UNAVAILABLE;
    }
    if (!store_folder_exists(cli->db)) {
        cli_error("cannot open store '%s': its folder does not exist", cli->db);
        return CLI_UNAVAILABLE;
    }
    if (!store_usable(cli, flags))
        return CLI_UNAVAILABLE;
    rc = fusion_store_open(cli->db, flags, out, &err);
    if (rc == FUSION_ERR_UNSUPPORTED && (flags & FUSION_STORE_READONLY) &&
        access(cli->db, W_OK) == 0 && migrate_store(cli->db, &err) == 0)
        rc = fusion_store_open(cli->db, flags, out, &err);
    if (rc == FUSION_ERR_NOTFOUND) {
        cli_error("no store at '%s' (create one with 'fusion init', or "
                  "point --db or FUSION_DB at one)",
                  cli->db);
        return CLI_UNAVAILABLE;
    }
    if (rc) {
        cli_error("cannot open store '%s': %s", cli->db, err.message);
        return rc == FUSION_ERR_DB ? CLI_UNAVAILABLE : cli_exit_for(rc);
    }
    return CLI_OK;
}

int
cli_common_args(struct cli *cli, int argc, char **argv, void (*usage)(FILE *f),
                int *rc_out)
{
    static const struct option options[] = { CLI_COMMON_OPTIONS,
                                             { NULL, 0, NULL, 0 } };
    int opt;

    while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) !=
           -1) {
        if (!cli_common_option(cli, opt, optarg)) {
            usage(opt == 'h' ? stdout : stderr);
            *rc_out = opt == 'h' ? CLI_OK : CLI_USAGE;
            return -1;
        }
    }
    return optind;
}

int
cli_store_done(struct fusion_store *store, enum fusion_err rc,
               const struct fusion_error *err)
{
    fusion_store_close(store);
    if (!rc)
        return CLI_OK;
    cli_error("%s", err->message);
    return rc == FUSION_ERR_NOTFOUND ? CLI_FAILURE : cli_exit_for(rc);
}

void
cli_version_text(const struct fusion_store_row *row, char *out, size_t size)
{
    json_t *obj = json_loadb(row->json, row->json_len, 0, NULL);
    const char *v = fusion_stix_str(obj, "modified");

    if (!v)
        v = fusion_stix_str(obj, "created");
    snprintf(out, size, "%s", v ? v : "");
    json_decref(obj);
}

void
cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

bool
cli_parse_time(const char *option, const char *value, int64_t *out)
{
    struct fusion_error err;
    struct fusion_ts ts;

    if (fusion_ts_parse(value, strlen(value), &ts, &err)) {
        cli_error("%s: %s", option, err.message);
        return false;
    }
    *out = ts.ns;
    return true;
}

bool
cli_common_option(struct cli *cli, int c, const char *arg)
{
    if (c == 'd')
        cli->db = arg;
    else if (c == 'j')
        cli->json = true;
    else
        return false;
    return true;
}
