/* SPDX-License-Identifier: Apache-2.0 */
/* fusion token: API tokens of the users, for the TAXII server. */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"

static void
token_usage(FILE *f)
{
    fputs("usage: fusion token create [--label LABEL] [--expires TS] USER\n"
          "       fusion token list [USER]\n"
          "       fusion token revoke TOKEN_ID\n"
          "\n"
          "Manages API tokens. 'create' prints the new token, of the form\n"
          "fusion_<id>_<secret>, once: only a hash of its secret is kept, so\n"
          "it cannot be shown again. --expires takes an RFC 3339 UTC time\n"
          "after which the token no longer works. 'list' shows ids, never\n"
          "secrets; 'revoke' ends a token for good.\n",
          f);
}

static int
token_create(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        { "label", required_argument, NULL, 'l' },
        { "expires", required_argument, NULL, 'e' },
        { NULL, 0, NULL, 0 },
    };
    struct fusion_store_token_spec spec = { 0 };
    char token[FUSION_STORE_TOKEN_MAX];
    struct fusion_store *store;
    struct fusion_error err;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) !=
           -1) {
        if (cli_common_option(cli, opt, optarg))
            continue;
        if (opt == 'l') {
            spec.label = optarg;
        } else if (opt == 'e') {
            if (!cli_parse_time("--expires", optarg, &spec.expires))
                return CLI_USAGE;
            if (spec.expires <= fusion_time_now_ns()) {
                cli_error("--expires: %s is not in the future", optarg);
                return CLI_USAGE;
            }
        } else {
            token_usage(opt == 'h' ? stdout : stderr);
            return opt == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    if (optind + 1 != argc) {
        token_usage(stderr);
        return CLI_USAGE;
    }
    spec.user = argv[optind];
    rc = cli_open_store(cli, 0, &store);
    if (rc)
        return rc;
    rc = cli_store_done(
        store, fusion_store_token_create(store, &spec, token, NULL, &err),
        &err);
    if (!rc)
        printf("%s\n", token);
    memset(token, 0, sizeof(token));
    return rc;
}

static int
print_token(void *ctx, const struct fusion_store_token *t)
{
    struct cli *cli = ctx;
    char created[FUSION_TS_MAX], expires[FUSION_TS_MAX] = "-";
    bool expired = t->expires && t->expires <= fusion_time_now_ns();

    fusion_ts_format(t->created, 3, created);
    if (t->expires)
        fusion_ts_format(t->expires, 3, expires);
    if (!cli->json) {
        printf("%s\t%s\t%s\t%s\t%s\t%s\n", t->id, t->user, created, expires,
               t->revoked ? "revoked"
               : expired  ? "expired"
                          : "active",
               *t->label ? t->label : "-");
        return 0;
    }
    printf("{\"id\":\"%s\",\"user\":", t->id);
    cli_json_string(stdout, t->user);
    printf(",\"label\":");
    cli_json_string(stdout, t->label);
    printf(",\"created\":\"%s\"", created);
    if (t->expires)
        printf(",\"expires\":\"%s\"", expires);
    printf(",\"revoked\":%s,\"expired\":%s}\n", t->revoked ? "true" : "false",
           expired ? "true" : "false");
    return 0;
}

static int
token_list(struct cli *cli, int argc, char **argv)
{
    struct fusion_store *store;
    struct fusion_error err;
    int rc = CLI_USAGE, first;

    first = cli_common_args(cli, argc, argv, token_usage, &rc);
    if (first < 0 || first + 1 < argc) {
        if (first >= 0)
            token_usage(stderr);
        return rc;
    }
    rc = cli_open_store(cli, FUSION_STORE_READONLY, &store);
    if (rc)
        return rc;
    return cli_store_done(
        store,
        fusion_store_token_list(store, first < argc ? argv[first] : NULL,
                                print_token, cli, &err),
        &err);
}

/*
 * The id of a token, from the id itself or from a whole token
 * "fusion_<id>_<secret>" pasted by an administrator; in lower case.
 */
static bool
token_id(const char *arg, char out[17])
{
    const char *p = strncmp(arg, "fusion_", 7) == 0 ? arg + 7 : arg;
    size_t i;

    for (i = 0; i < 16; i++) {
        char c = p[i];

        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
        out[i] = c;
    }
    out[16] = '\0';
    return p[16] == '\0' || (p != arg && p[16] == '_');
}

static int
token_revoke(struct cli *cli, int argc, char **argv)
{
    char id[17];
    struct fusion_store *store;
    struct fusion_error err;
    int rc = CLI_USAGE, first;

    first = cli_common_args(cli, argc, argv, token_usage, &rc);
    if (first < 0 || first != argc - 1) {
        if (first >= 0)
            token_usage(stderr);
        return rc;
    }
    if (!token_id(argv[first], id)) {
        /* never echo what may be a secret */
        cli_error("not a token id (16 hex digits) nor a token");
        return CLI_USAGE;
    }
    rc = cli_open_store(cli, 0, &store);
    if (rc)
        return rc;
    return cli_store_done(store, fusion_store_token_revoke(store, id, &err),
                          &err);
}

int
cmd_token(struct cli *cli, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "create") == 0)
        return token_create(cli, argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
        return token_list(cli, argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "revoke") == 0)
        return token_revoke(cli, argc - 1, argv + 1);
    if (argc >= 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        token_usage(stdout);
        return CLI_OK;
    }
    token_usage(stderr);
    return CLI_USAGE;
}
