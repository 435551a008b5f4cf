/* SPDX-License-Identifier: Apache-2.0 */
/* fusion export: write a selection of the store as a STIX 2.1 bundle. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "export/export.h"

static void
export_usage(FILE *f)
{
    fputs("usage: fusion export [OPTIONS]\n"
          "\n"
          "Writes the selected objects (all current objects when nothing is\n"
          "selected) as one STIX 2.1 bundle on standard output or to FILE.\n"
          "\n"
          "Options:\n"
          "  --format stix          the output format (STIX 2.1 bundle)\n"
          "  --output FILE          write to FILE, replaced only once the\n"
          "                         export is complete\n" CLI_QUERY_HELP
          "  --db PATH, --json, --help\n",
          f);
}

/* Writes to FILE.tmp-PID and renames it over FILE when all went well. */
static int
export_to_file(struct fusion_store *store, const struct fusion_store_query *q,
               const char *path, size_t *count, struct fusion_error *err)
{
    size_t len = strlen(path) + 32;
    char *tmp = fusion_malloc(len);
    enum fusion_err rc;
    FILE *f;

    if (!tmp)
        return fusion_error_set(err, FUSION_ERR_NOMEM, "out of memory");
    snprintf(tmp, len, "%s.tmp-%ld", path, (long)getpid());
    f = fopen(tmp, "wb");
    if (!f) {
        rc = fusion_error_set(err, FUSION_ERR_IO, "cannot write '%s': %s", tmp,
                              strerror(errno));
        fusion_free(tmp);
        return rc;
    }
    rc = fusion_export_stix_bundle(store, q, f, count, err);
    if (fclose(f) != 0 && !rc)
        rc = fusion_error_set(err, FUSION_ERR_IO, "cannot write '%s': %s", tmp,
                              strerror(errno));
    if (!rc && rename(tmp, path) != 0)
        rc = fusion_error_set(err, FUSION_ERR_IO, "cannot rename to '%s': %s",
                              path, strerror(errno));
    if (rc)
        unlink(tmp);
    fusion_free(tmp);
    return rc;
}

int
cmd_export(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        CLI_QUERY_OPTIONS,
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 'o' },
        { NULL, 0, NULL, 0 },
    };
    struct cli_query cq = { 0 };
    const char *output = NULL;
    struct fusion_store *store;
    struct fusion_error err;
    size_t count = 0;
    enum fusion_err frc;
    int c, rc;

    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) !=
           -1) {
        rc = cli_selection_option(cli, &cq, c, optarg);
        if (rc < 0)
            return CLI_USAGE;
        if (rc)
            continue;
        if (c == 'f' && strcmp(optarg, "stix") == 0)
            continue;
        if (c == 'f') {
            cli_error("--format: unknown format '%s' (known: stix)", optarg);
            return CLI_USAGE;
        }
        if (c == 'o') {
            output = optarg;
            continue;
        }
        export_usage(c == 'h' ? stdout : stderr);
        return c == 'h' ? CLI_OK : CLI_USAGE;
    }
    if (optind != argc) {
        export_usage(stderr);
        return CLI_USAGE;
    }
    rc = cli_open_store(cli, FUSION_STORE_READONLY, &store);
    if (rc)
        return rc;
    if (output && strcmp(output, "-") != 0)
        frc = export_to_file(store, &cq.q, output, &count, &err);
    else
        frc = fusion_export_stix_bundle(store, &cq.q, stdout, &count, &err);
    fusion_store_close(store);
    if (frc) {
        cli_error("export failed: %s", err.message);
        return cli_exit_for(frc);
    }
    if (cli->json)
        fprintf(stderr, "{\"exported\":%zu}\n", count);
    else
        fprintf(stderr, "exported %zu object%s\n", count,
                count == 1 ? "" : "s");
    return CLI_OK;
}
