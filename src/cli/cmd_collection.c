/* SPDX-License-Identifier: Apache-2.0 */
/* fusion collection: the TAXII collections of a store. */
#include <ctype.h>
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"

static void
collection_usage(FILE *f)
{
    fputs("usage: fusion collection add [--id UUID] [--alias ALIAS]\n"
          "                             [--description TEXT]\n"
          "                             [--media-type TYPE]... TITLE\n"
          "       fusion collection list\n"
          "       fusion collection remove ID|ALIAS\n"
          "\n"
          "Manages the TAXII 2.1 collections of the store. 'add' prints the\n"
          "new collection's id (a random UUID unless --id is given);\n"
          "'fusion ingest --collection ID|ALIAS' puts objects into one.\n"
          "Removing a collection keeps its objects in the store.\n",
          f);
}

static int
print_collection(void *ctx, const struct fusion_store_collection *c)
{
    struct cli *cli = ctx;
    char created[FUSION_TS_MAX];

    fusion_ts_format(c->created, 3, created);
    if (!cli->json) {
        printf("%s\t%s\t%s\n", c->id, c->alias ? c->alias : "-", c->title);
        return 0;
    }
    printf("{\"id\":\"%s\",\"title\":", c->id);
    cli_json_string(stdout, c->title);
    if (c->alias) {
        printf(",\"alias\":");
        cli_json_string(stdout, c->alias);
    }
    if (c->description) {
        printf(",\"description\":");
        cli_json_string(stdout, c->description);
    }
    printf(",\"media_types\":[");
    for (size_t i = 0; i < c->nmedia_types; i++) {
        printf("%s", i ? "," : "");
        cli_json_string(stdout, c->media_types[i]);
    }
    printf("],\"created\":\"%s\"}\n", created);
    return 0;
}

static int
collection_add(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        { "id", required_argument, NULL, 'i' },
        { "alias", required_argument, NULL, 'a' },
        { "description", required_argument, NULL, 'D' },
        { "media-type", required_argument, NULL, 'm' },
        { NULL, 0, NULL, 0 },
    };
    const char *media[FUSION_STORE_MAX_MEDIA_TYPES];
    char uuid[FUSION_UUID_LEN + 1];
    struct fusion_store_collection c = { .media_types = media };
    struct fusion_store *store;
    struct fusion_error err;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) !=
           -1) {
        if (cli_common_option(cli, opt, optarg))
            continue;
        if (opt == 'i') {
            /* UUIDs are kept in lower case, however they are typed */
            for (char *p = optarg; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            c.id = optarg;
        } else if (opt == 'a') {
            c.alias = optarg;
        } else if (opt == 'D') {
            c.description = optarg;
        } else if (opt == 'm' &&
                   c.nmedia_types < FUSION_STORE_MAX_MEDIA_TYPES) {
            media[c.nmedia_types++] = optarg;
        } else {
            collection_usage(opt == 'h' ? stdout : stderr);
            return opt == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    if (optind + 1 != argc) {
        collection_usage(stderr);
        return CLI_USAGE;
    }
    c.title = argv[optind];
    if (!c.id) {
        fusion_uuid4(uuid);
        c.id = uuid;
    }
    rc = cli_open_store(cli, 0, &store);
    if (rc)
        return rc;
    rc = cli_store_done(store, fusion_store_collection_create(store, &c, &err),
                        &err);
    if (!rc)
        printf("%s\n", c.id);
    return rc;
}

static int
collection_list(struct cli *cli, int argc, char **argv)
{
    struct fusion_store *store;
    struct fusion_error err;
    int rc, first;

    first = cli_common_args(cli, argc, argv, collection_usage, &rc);
    if (first < 0)
        return rc;
    if (first != argc) {
        collection_usage(stderr);
        return CLI_USAGE;
    }
    rc = cli_open_store(cli, FUSION_STORE_READONLY, &store);
    if (rc)
        return rc;
    return cli_store_done(
        store, fusion_store_collection_list(store, print_collection, cli, &err),
        &err);
}

/* Removal takes the id; an alias is first looked up to its collection. */
static int
copy_id(void *ctx, const struct fusion_store_collection *c)
{
    snprintf(ctx, FUSION_UUID_LEN + 1, "%s", c->id);
    return 0;
}

static int
collection_remove(struct cli *cli, int argc, char **argv)
{
    char id[FUSION_UUID_LEN + 1] = "";
    struct fusion_store *store;
    struct fusion_error err;
    enum fusion_err frc;
    int rc, first;

    first = cli_common_args(cli, argc, argv, collection_usage, &rc);
    if (first < 0)
        return rc;
    if (first != argc - 1) {
        collection_usage(stderr);
        return CLI_USAGE;
    }
    rc = cli_open_store(cli, 0, &store);
    if (rc)
        return rc;
    frc = fusion_store_collection_get(store, argv[argc - 1], copy_id, id, &err);
    if (!frc)
        frc = fusion_store_collection_remove(store, id, &err);
    return cli_store_done(store, frc, &err);
}

int
cmd_collection(struct cli *cli, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "add") == 0)
        return collection_add(cli, argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
        return collection_list(cli, argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "remove") == 0)
        return collection_remove(cli, argc - 1, argv + 1);
    if (argc >= 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        collection_usage(stdout);
        return CLI_OK;
    }
    collection_usage(stderr);
    return CLI_USAGE;
}
