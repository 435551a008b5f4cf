/* SPDX-License-Identifier: Apache-2.0 */
/* Entry point of the fusion command: global options and dispatch. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_command commands[] = {
    { "init", cmd_init, "create a store" },
    { "ingest", cmd_ingest, "read STIX 2.0/2.1 files into the store" },
    { "get", cmd_get, "print an object by id" },
    { "search", cmd_search, "find objects by value, type, text, label" },
    { "export", cmd_export, "write a selection as a STIX 2.1 bundle" },
    { "stats", cmd_stats, "count what the store holds" },
    { "collection", cmd_collection, "add, list, remove TAXII collections" },
    { "user", cmd_user, "add, list, remove users, set passwords" },
    { "token", cmd_token, "create, list, revoke API tokens" },
    { "group", cmd_group, "add users to groups, remove them" },
    { "grant", cmd_grant, "grant or revoke access to a collection" },
    { "serve", cmd_serve, "run the TAXII 2.1 server" },
    { "pattern", cmd_pattern, "check or explain a STIX pattern" },
    { "match", cmd_match, "match events against the indicators" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s [--db PATH] [--json] COMMAND [ARGS]\n"
            "\n"
            "Fusion threat intelligence platform.\n"
            "\n"
            "Commands:\n",
            prog);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "Options:\n"
            "  --db PATH   the store (default: $FUSION_DB, else ./fusion.db)\n"
            "  --json      machine-readable output\n"
            "  --help      this text; '%s COMMAND --help' for a command\n"
            "  --version   print the version\n"
            "\n"
            "Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid input,\n"
            "4 store or resource unavailable.\n",
            prog);
}

static const struct cli_command *
find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    static const struct option options[] = {
        { "db", required_argument, NULL, 'd' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = { .prog = "fusion" };
    const struct cli_command *cmd;
    int c;

    cli.db = getenv("FUSION_DB");
    if (!cli.db || !*cli.db)
        cli.db = "fusion.db";
    while ((c = getopt_long(argc, argv, "+d:jhV", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            cli.db = optarg;
            break;
        case 'j':
            cli.json = true;
            break;
        case 'h':
            usage(stdout, cli.prog);
            return CLI_OK;
        case 'V':
            printf("fusion %s\n", FUSION_VERSION);
            return CLI_OK;
        default:
            usage(stderr, cli.prog);
            return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr, cli.prog);
        return CLI_USAGE;
    }
    if (strcmp(argv[optind], "help") == 0) {
        if (optind + 1 < argc && (cmd = find_command(argv[optind + 1]))) {
            static char help_opt[] = "--help";
            char *help_argv[] = { argv[optind + 1], help_opt, NULL };

            optind = 0;
            return cmd->run(&cli, 2, help_argv);
        }
        usage(stdout, cli.prog);
        return CLI_OK;
    }
    cmd = find_command(argv[optind]);
    if (!cmd) {
        cli_error("unknown command '%s' (see 'fusion --help')", argv[optind]);
        return CLI_USAGE;
    }
    argc -= optind;
    argv += optind;
    /*
     * 0, not 1: glibc then starts afresh, so a command's options may
     * follow its arguments ("fusion get ID --pretty").
     */
    optind = 0;
    return cmd->run(&cli, argc, argv);
}
