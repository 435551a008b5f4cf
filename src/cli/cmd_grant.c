/* SPDX-License-Identifier: Apache-2.0 */
/* fusion grant: read and write access to collections. */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"

static void
grant_usage(FILE *f)
{
    fputs("usage: fusion grant [--revoke] read|write USER|@GROUP COLLECTION\n"
          "\n"
          "Lets a user, or every member of a group (written @GROUP), read\n"
          "or write a TAXII collection (its id or alias). Grants add up:\n"
          "read and write are granted one at a time. --revoke takes the\n"
          "access away again; a group's members keep what they are\n"
          "granted themselves.\n",
          f);
}

static bool
parse_access(const char *word, unsigned *out)
{
    if (strcmp(word, "read") == 0)
        *out = FUSION_STORE_READ;
    else if (strcmp(word, "write") == 0)
        *out = FUSION_STORE_WRITE;
    else
        return false;
    return true;
}

int
cmd_grant(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        { "revoke", no_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 },
    };
    struct fusion_store_grant g = { 0 };
    struct fusion_store *store;
    struct fusion_error err;
    enum fusion_err frc;
    bool revoke = false;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) !=
           -1) {
        if (cli_common_option(cli, opt, optarg))
            continue;
        if (opt == 'r') {
            revoke = true;
            continue;
        }
        grant_usage(opt == 'h' ? stdout : stderr);
        return opt == 'h' ? CLI_OK : CLI_USAGE;
    }
    if (optind + 3 != argc || !parse_access(argv[optind], &g.access)) {
        grant_usage(stderr);
        return CLI_USAGE;
    }
    if (argv[optind + 1][0] == '@')
        g.group = argv[optind + 1] + 1;
    else
        g.user = argv[optind + 1];
    g.collection = argv[optind + 2];
    rc = cli_open_store(cli, 0, &store);
    if (rc)
        return rc;
    frc = revoke ? fusion_store_grant_revoke(store, &g, &err)
                 : fusion_store_grant_add(store, &g, &err);
    fusion_store_close(store);
    if (!frc)
        return CLI_OK;
    cli_error("%s", err.message);
    return frc == FUSION_ERR_NOTFOUND ? CLI_FAILURE : cli_exit_for(frc);
}
