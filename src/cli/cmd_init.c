/* SPDX-License-Identifier: Apache-2.0 */
/* fusion init: create a store. */
#include <getopt.h>
#include <unistd.h>

#include "cli/cli.h"

static void
init_usage(FILE *f)
{
    fputs("usage: fusion init [--db PATH] [--json]\n"
          "\n"
          "Creates an empty store (default ./fusion.db, or $FUSION_DB).\n"
          "An existing store is left as it is, and upgraded to the current\n"
          "schema when it is older.\n",
          f);
}

int
cmd_init(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = { CLI_COMMON_OPTIONS,
                                             { NULL, 0, NULL, 0 } };
    struct fusion_store *store;
    bool existed;
    int c, rc;

    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) !=
           -1) {
        if (c == 'h') {
            init_usage(stdout);
            return CLI_OK;
        }
        if (!cli_common_option(cli, c, optarg)) {
            init_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind != argc) {
        init_usage(stderr);
        return CLI_USAGE;
    }
    existed = access(cli->db, F_OK) == 0;
    rc = cli_open_store(cli, FUSION_STORE_CREATE, &store);
    if (rc)
        return rc;
    fusion_store_close(store);
    if (cli->json) {
        printf("{\"db\":");
        cli_json_string(stdout, cli->db);
        printf(",\"created\":%s,\"schema_version\":%d}\n",
               existed ? "false" : "true", fusion_store_schema_version());
    } else {
        printf("%s store '%s' (schema version %d)\n",
               existed ? "opened existing" : "created", cli->db,
               fusion_store_schema_version());
    }
    return CLI_OK;
}
