/* SPDX-License-Identifier: Apache-2.0 */
/* fusion group: groups of users, to grant access to several at once. */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"

static void
group_usage(FILE *f)
{
    fputs("usage: fusion group add GROUP USER\n"
          "       fusion group remove GROUP USER\n"
          "\n"
          "Puts a user into a group, or takes it out. A group exists while\n"
          "it has members or grants ('fusion grant read @GROUP ...').\n",
          f);
}

int
cmd_group(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = { CLI_COMMON_OPTIONS,
                                             { NULL, 0, NULL, 0 } };
    struct fusion_store *store;
    struct fusion_error err;
    enum fusion_err frc;
    bool add;
    int opt, rc;

    if (argc < 2 || (strcmp(argv[1], "add") && strcmp(argv[1], "remove"))) {
        bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
                                  strcmp(argv[1], "-h") == 0);

        group_usage(help ? stdout : stderr);
        return help ? CLI_OK : CLI_USAGE;
    }
    add = strcmp(argv[1], "add") == 0;
    argc--;
    argv++;
    while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) !=
           -1) {
        if (!cli_common_option(cli, opt, optarg)) {
            group_usage(opt == 'h' ? stdout : stderr);
            return opt == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    if (optind + 2 != argc) {
        group_usage(stderr);
        return CLI_USAGE;
    }
    rc = cli_open_store(cli, 0, &store);
    if (rc)
        return rc;
    if (add)
        frc = fusion_store_group_add_member(store, argv[optind],
                                            argv[optind + 1], &err);
    else
        frc = fusion_store_group_remove_member(store, argv[optind],
                                               argv[optind + 1], &err);
    fusion_store_close(store);
    if (!frc)
        return CLI_OK;
    cli_error("%s", err.message);
    return frc == FUSION_ERR_NOTFOUND ? CLI_FAILURE : cli_exit_for(frc);
}
