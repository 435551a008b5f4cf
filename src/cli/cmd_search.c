/* SPDX-License-Identifier: Apache-2.0 */
/* fusion search: find objects by observable value, type, text, label. */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"

struct search_run {
    struct cli *cli;
};

static void
search_usage(FILE *f)
{
    fputs("usage: fusion search [OPTIONS] [VALUE]\n"
          "\n"
          "Lists current objects that match every given criterion. VALUE is\n"
          "an observable (IPv4 or IPv6 address, domain, URL, e-mail address,\n"
          "MD5/SHA-1/SHA-256/SHA-512 hash) and finds both the observables\n"
          "and the indicators whose patterns look for it; an id finds that\n"
          "object. One line per object: id, modified, and a summary (name,\n"
          "value or pattern);\n"
          "with --json, the objects as JSON lines.\n"
          "\n"
          "Options:\n" CLI_QUERY_HELP "  --db PATH, --json, --help\n",
          f);
}

/*
 * The most telling short text of an object for a one-line listing: its
 * name or value, what a relationship or sighting links, what an
 * observed-data saw. buf (size bytes) holds composed texts.
 */
static const char *
or_unknown(const char *s)
{
    return s ? s : "?";
}

static const char *
summary_of(const json_t *obj, char *buf, size_t size)
{
    static const char *const keys[] = {
        "name", "value",  "pattern", "path",
        "key",  "number", "subject", "content"
    };
    const char *s, *type = fusion_stix_str(obj, "type");
    json_t *refs = json_object_get(obj, "object_refs");

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if ((s = fusion_stix_str(obj, keys[i])))
            return s;
    }
    if (type && strcmp(type, "relationship") == 0) {
        snprintf(buf, size, "%s %s %s",
                 or_unknown(fusion_stix_str(obj, "source_ref")),
                 or_unknown(fusion_stix_str(obj, "relationship_type")),
                 or_unknown(fusion_stix_str(obj, "target_ref")));
        return buf;
    }
    if (type && strcmp(type, "sighting") == 0) {
        snprintf(buf, size, "sighting of %s",
                 or_unknown(fusion_stix_str(obj, "sighting_of_ref")));
        return buf;
    }
    if (json_array_size(refs) == 1)
        return or_unknown(json_string_value(json_array_get(refs, 0)));
    if (json_array_size(refs) > 1) {
        snprintf(buf, size, "%s and %zu more",
                 or_unknown(json_string_value(json_array_get(refs, 0))),
                 json_array_size(refs) - 1);
        return buf;
    }
    return "";
}

static int
print_row(void *ctx, const struct fusion_store_row *row)
{
    struct search_run *run = ctx;
    char version[64], summary[400];
    json_t *obj;

    if (run->cli->json) {
        fwrite(row->json, 1, row->json_len, stdout);
        fputc('\n', stdout);
        return 0;
    }
    cli_version_text(row, version, sizeof(version));
    obj = json_loadb(row->json, row->json_len, 0, NULL);
    printf("%s\t%s\t%s%s\n", row->id, *version ? version : "-",
           row->revoked ? "[revoked] " : "",
           obj ? summary_of(obj, summary, sizeof(summary)) : "");
    json_decref(obj);
    return 0;
}

int
cmd_search(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        CLI_QUERY_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    struct cli_query cq = { 0 };
    struct search_run run = { .cli = cli };
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
        search_usage(c == 'h' ? stdout : stderr);
        return c == 'h' ? CLI_OK : CLI_USAGE;
    }
    if (optind + 1 < argc) {
        search_usage(stderr);
        return CLI_USAGE;
    }
    if (optind < argc && !cli_query_value(&cq, argv[optind]))
        return CLI_USAGE;
    rc = cli_open_store(cli, FUSION_STORE_READONLY, &store);
    if (rc)
        return rc;
    frc = fusion_store_search(store, &cq.q, print_row, &run, &count, &err);
    fusion_store_close(store);
    if (frc) {
        cli_error("search failed: %s", err.message);
        return cli_exit_for(frc);
    }
    if (!cli->json)
        fprintf(stderr, "%zu object%s\n", count, count == 1 ? "" : "s");
    return CLI_OK;
}
