/* SPDX-License-Identifier: Apache-2.0 */
/* fusion stats: what the store holds. */
#include <getopt.h>

#include "cli/cli.h"

struct stats_run {
    struct cli *cli;
    unsigned n;
    struct fusion_buf table; /* the per-type lines, printed after totals */
};

static int
print_type(void *ctx, const char *type, uint64_t count)
{
    struct stats_run *run = ctx;

    if (run->cli->json) {
        printf("%s", run->n++ ? "," : "");
        cli_json_string(stdout, type);
        printf(":%llu", (unsigned long long)count);
        return 0;
    }
    return fusion_buf_printf(&run->table, "  %-28s %llu\n", type,
                             (unsigned long long)count);
}

int
cmd_stats(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = { CLI_COMMON_OPTIONS,
                                             { NULL, 0, NULL, 0 } };
    struct stats_run run = { .cli = cli };
    struct fusion_store_stats st;
    struct fusion_store *store;
    struct fusion_error err;
    enum fusion_err frc;
    int c, rc;

    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) !=
           -1) {
        if (cli_common_option(cli, c, optarg))
            continue;
        fputs("usage: fusion stats [--db PATH] [--json]\n"
              "\n"
              "Counts objects, versions, sources, observable keys and bytes,\n"
              "and current objects per type.\n",
              c == 'h' ? stdout : stderr);
        return c == 'h' ? CLI_OK : CLI_USAGE;
    }
    rc = cli_open_store(cli, FUSION_STORE_READONLY, &store);
    if (rc)
        return rc;
    fusion_buf_init(&run.table, 0);
    if (cli->json)
        printf("{\"types\":{");
    frc = fusion_store_stats(store, &st, print_type, &run, &err);
    fusion_store_close(store);
    if (frc) {
        if (cli->json)
            printf("}}\n");
        cli_error("stats failed: %s", err.message);
        fusion_buf_release(&run.table);
        return cli_exit_for(frc);
    }
    if (cli->json)
        printf("},\"objects\":%llu,\"versions\":%llu,\"revoked\":%llu,"
               "\"sources\":%llu,\"keys\":%llu,\"bytes\":%llu,"
               "\"schema_version\":%d}\n",
               (unsigned long long)st.objects, (unsigned long long)st.versions,
               (unsigned long long)st.revoked, (unsigned long long)st.sources,
               (unsigned long long)st.keys, (unsigned long long)st.bytes,
               st.schema_version);
    else
        printf("objects %llu, versions %llu, revoked %llu, sources %llu, "
               "observable keys %llu, JSON bytes %llu, schema version %d\n"
               "current objects by type (revoked ones included):\n%s",
               (unsigned long long)st.objects, (unsigned long long)st.versions,
               (unsigned long long)st.revoked, (unsigned long long)st.sources,
               (unsigned long long)st.keys, (unsigned long long)st.bytes,
               st.schema_version, run.table.data ? run.table.data : "");
    fusion_buf_release(&run.table);
    return CLI_OK;
}
