/* SPDX-License-Identifier: Apache-2.0 */
/* The fusion command line: shared options, helpers and the commands. */
#ifndef FUSION_CLI_H
#define FUSION_CLI_H

#include <stdio.h>

#include "store/store.h"

/* Exit codes, documented in docs/cli.md. */
enum cli_exit {
    CLI_OK = 0,
    CLI_FAILURE = 1,
    CLI_USAGE = 2,
    CLI_INVALID = 3,
    CLI_UNAVAILABLE = 4,
};

/* What every command may use: the store path and output mode. */
struct cli {
    const char *db;
    bool json;
    const char *prog;
};

struct cli_command {
    const char *name;
    int (*run)(struct cli *cli, int argc, char **argv);
    const char *summary;
};

int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_ingest(struct cli *cli, int argc, char **argv);
int cmd_get(struct cli *cli, int argc, char **argv);
int cmd_search(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_collection(struct cli *cli, int argc, char **argv);
int cmd_user(struct cli *cli, int argc, char **argv);
int cmd_token(struct cli *cli, int argc, char **argv);
int cmd_group(struct cli *cli, int argc, char **argv);
int cmd_grant(struct cli *cli, int argc, char **argv);
int cmd_serve(struct cli *cli, int argc, char **argv);
int cmd_pattern(struct cli *cli, int argc, char **argv);
int cmd_match(struct cli *cli, int argc, char **argv);

/*
 * Options every command takes, for its getopt_long table, and the
 * handling of them: returns true when c was one of them.
 */
#define CLI_COMMON_OPTIONS                  \
    { "db", required_argument, NULL, 'd' }, \
        { "json", no_argument, NULL, 'j' }, \
    {                                       \
        "help", no_argument, NULL, 'h'      \
    }

#define CLI_COMMON_SHORT "d:jh"

bool cli_common_option(struct cli *cli, int c, const char *arg);

/*
 * Selection options shared by search and export (--type, --id, --label,
 * --text, --modified-from, --modified-to, --added-after, --all-versions,
 * --include-revoked, --limit), collected into a store query.
 */
#define CLI_QUERY_MAX_LIST 64

struct cli_query {
    struct fusion_store_query q;
    const char *types[CLI_QUERY_MAX_LIST];
    const char *ids[CLI_QUERY_MAX_LIST];
    struct fusion_store_key key;
    char key_type[64];
    char key_value[FUSION_STIX_KEY_MAX];
};

#define CLI_QUERY_OPTIONS                                   \
    { "type", required_argument, NULL, 1000 },              \
        { "id", required_argument, NULL, 1001 },            \
        { "label", required_argument, NULL, 1002 },         \
        { "text", required_argument, NULL, 1003 },          \
        { "modified-from", required_argument, NULL, 1004 }, \
        { "modified-to", required_argument, NULL, 1005 },   \
        { "added-after", required_argument, NULL, 1006 },   \
        { "all-versions", no_argument, NULL, 1007 },        \
        { "include-revoked", no_argument, NULL, 1008 },     \
    {                                                       \
        "limit", required_argument, NULL, 1009              \
    }

#define CLI_QUERY_HELP                                                   \
    "  --type TYPE            objects of this type (repeatable)\n"       \
    "  --id ID                this object (repeatable)\n"                \
    "  --label LABEL          objects carrying this label\n"             \
    "  --text TEXT            TEXT in name or description, any case\n"   \
    "  --modified-from TS     modified at or after TS (RFC 3339, UTC)\n" \
    "  --modified-to TS       modified at or before TS\n"                \
    "  --added-after TS       added to this store after TS\n"            \
    "  --all-versions         every version, not only the current one\n" \
    "  --include-revoked      revoked objects too\n"                     \
    "  --limit N              at most N objects\n"

/*
 * Handles an option common to all commands or a selection option:
 * returns 1 when c was one, 0 when it was not, and -1 (after printing
 * why) when its value is wrong.
 */
int cli_selection_option(struct cli *cli, struct cli_query *cq, int c,
                         const char *arg);

/*
 * Sets the observable value to look for (an address, domain, URL, hash,
 * e-mail address) or, for something of the form type--UUID, the id.
 */
bool cli_query_value(struct cli_query *cq, const char *value);

/* Prints "fusion: <message>" on stderr. */
void cli_error(const char *fmt, ...) FUSION_PRINTF(1, 2);

/* Maps a library error to an exit code. */
int cli_exit_for(enum fusion_err rc);

/*
 * Opens the store of cli->db for a command; prints why not and returns
 * the exit code on failure, 0 on success.
 */
int cli_open_store(struct cli *cli, unsigned flags, struct fusion_store **out);

/*
 * Writes the version of a stored row as written in it (its modified, else
 * created time) into out (size bytes), or "" for an unversioned object.
 * The stored instant is nanoseconds and saturates before 1678 and after
 * 2262; the text never does.
 */
void cli_version_text(const struct fusion_store_row *row, char *out,
                      size_t size);

/*
 * Parses the options every command takes and nothing else; returns the
 * index of the first argument, or -1 after printing usage (with
 * usage(stdout) for --help, when *rc_out becomes CLI_OK, else CLI_USAGE).
 */
int cli_common_args(struct cli *cli, int argc, char **argv,
                    void (*usage)(FILE *f), int *rc_out);

/*
 * Closes store and turns rc into an exit code, printing err's message
 * when rc is an error (an unknown name or id exits 1).
 */
int cli_store_done(struct fusion_store *store, enum fusion_err rc,
                   const struct fusion_error *err);

/* Writes s as a JSON string literal to f. */
void cli_json_string(FILE *f, const char *s);

/* Parses a STIX timestamp option value; prints the problem on failure. */
bool cli_parse_time(const char *option, const char *value, int64_t *out);

#endif
