/* SPDX-License-Identifier: Apache-2.0 */
/* fusion get: print an object, its versions and where they came from. */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"

struct get_run {
    struct cli *cli;
    struct fusion_store *store;
    bool provenance;
    bool pretty;
    int failed;
    unsigned sources; /* sources printed for the version at hand */
};

static void
get_usage(FILE *f)
{
    fputs("usage: fusion get [--versions] [--provenance] [--pretty] ID\n"
          "\n"
          "Prints the current version of the object ID as stored (canonical\n"
          "STIX 2.1 JSON). With --versions, every version, oldest first, one\n"
          "per line. With --provenance, each version's sources and when\n"
          "they brought it, on stderr (with --json, as JSON on stdout).\n"
          "Exit status 1 when there is no such object.\n",
          f);
}

static void
print_pretty(const struct fusion_store_row *row)
{
    json_t *v = json_loadb(row->json, row->json_len, 0, NULL);

    if (!v) {
        fwrite(row->json, 1, row->json_len, stdout);
        fputc('\n', stdout);
        return;
    }
    json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(v);
}

static int
print_source(void *ctx, const struct fusion_store_provenance *p)
{
    struct get_run *run = ctx;
    char ts[FUSION_TS_MAX];

    fusion_ts_format(p->seen_at, 3, ts);
    if (run->cli->json) {
        printf("%s{\"kind\":", run->sources++ ? "," : "");
        cli_json_string(stdout, p->kind);
        printf(",\"name\":");
        cli_json_string(stdout, p->name);
        printf(",\"seen_at\":\"%s\"}", ts);
    } else {
        fprintf(stderr, "  from %s%s%s at %s\n", p->kind,
                strcmp(p->name, "-") == 0 ? "" : " ",
                strcmp(p->name, "-") == 0 ? "" : p->name, ts);
    }
    return 0;
}

static void
print_provenance(struct get_run *run, const struct fusion_store_row *row)
{
    char version[64], added[FUSION_TS_MAX];
    struct fusion_error err;

    run->sources = 0;
    cli_version_text(row, version, sizeof(version));
    fusion_ts_format(row->date_added, 6, added);
    if (run->cli->json) {
        printf("{\"id\":");
        cli_json_string(stdout, row->id);
        printf(",\"version\":\"%s\",\"date_added\":\"%s\",\"current\":%s,"
               "\"sources\":[",
               version, added, row->current ? "true" : "false");
    } else {
        fprintf(stderr, "%s version %s%s, added %s\n", row->id,
                *version ? version : "(unversioned)",
                row->current ? " (current)" : "", added);
    }
    if (fusion_store_provenance(run->store, row->id, row->version, print_source,
                                run, &err)) {
        cli_error("provenance of '%s': %s", row->id, err.message);
        run->failed = CLI_FAILURE;
    }
    if (run->cli->json)
        printf("]}\n");
}

static int
print_version(void *ctx, const struct fusion_store_row *row)
{
    struct get_run *run = ctx;

    if (run->provenance) {
        print_provenance(run, row);
        if (run->cli->json)
            return 0;
    }
    if (run->pretty) {
        print_pretty(row);
    } else {
        fwrite(row->json, 1, row->json_len, stdout);
        fputc('\n', stdout);
    }
    return 0;
}

int
cmd_get(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        { "versions", no_argument, NULL, 'v' },
        { "provenance", no_argument, NULL, 'p' },
        { "pretty", no_argument, NULL, 'P' },
        { NULL, 0, NULL, 0 },
    };
    struct get_run run = { .cli = cli };
    struct fusion_error err;
    bool versions = false;
    enum fusion_err frc;
    int c, rc;

    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) !=
           -1) {
        if (cli_common_option(cli, c, optarg))
            continue;
        if (c == 'h') {
            get_usage(stdout);
            return CLI_OK;
        } else if (c == 'v') {
            versions = true;
        } else if (c == 'p') {
            run.provenance = true;
        } else if (c == 'P') {
            run.pretty = true;
        } else {
            get_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind + 1 != argc) {
        get_usage(stderr);
        return CLI_USAGE;
    }
    rc = cli_open_store(cli, FUSION_STORE_READONLY, &run.store);
    if (rc)
        return rc;
    frc = fusion_store_get(run.store, argv[optind], versions, print_version,
                           &run, &err);
    fusion_store_close(run.store);
    if (frc == FUSION_ERR_NOTFOUND) {
        cli_error("no object '%s' in '%s'", argv[optind], cli->db);
        return CLI_FAILURE;
    }
    if (frc) {
        cli_error("%s", err.message);
        return cli_exit_for(frc);
    }
    return run.failed;
}
