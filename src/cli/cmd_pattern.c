/* SPDX-License-Identifier: Apache-2.0 */
/* fusion pattern check|explain: STIX patterns without a store. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pattern/pattern.h"

static void
pattern_usage(FILE *f)
{
    fputs("usage: fusion pattern check [--stix20] PATTERN|-\n"
          "       fusion pattern explain [--stix20] PATTERN|-\n"
          "\n"
          "check says whether PATTERN is a valid STIX 2.1 pattern: syntax\n"
          "errors with the byte where they are and what was expected there,\n"
          "then the semantic checks (operators and constants, qualifiers,\n"
          "hash lengths, known types and properties), and prints the\n"
          "canonical form. explain prints the parsed structure: observation\n"
          "expressions, their operators and qualifiers, and each\n"
          "comparison, after the errors and warnings check would report.\n"
          "- reads the pattern from standard input. --stix20 reads STIX\n"
          "2.0 pattern text and upgrades it first. With --json,\n"
          "both print one JSON object.\n"
          "Exit status 0 when valid (warnings allowed), 3 when not.\n",
          f);
}

/* The pattern text: the argument, or standard input for "-". */
static bool
pattern_text(const char *arg, struct fusion_buf *out)
{
    char chunk[4096];
    size_t n;

    if (strcmp(arg, "-") != 0)
        return fusion_buf_puts(out, arg) == FUSION_OK;
    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        if (fusion_buf_append(out, chunk, n)) {
            cli_error("the pattern on standard input is longer than %u "
                      "bytes",
                      FUSION_PATTERN_MAX_LEN);
            return false;
        }
    }
    if (ferror(stdin)) {
        cli_error("cannot read standard input");
        return false;
    }
    /* a trailing newline from echo or a file is not part of the pattern */
    while (out->len > 0 &&
           (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r'))
        out->data[--out->len] = '\0';
    return true;
}

/* Prints the pattern line and a caret under byte offset, on stderr. */
static void
show_offset(const char *text, size_t len, uint64_t offset)
{
    if (len > 200 || memchr(text, '\n', len))
        return;
    fprintf(stderr, "  %.*s\n  %*s^\n", (int)len, text, (int)offset, "");
}

/* The issues of rep on stderr, one a line. */
static void
print_issues(const struct fusion_stix_report *rep)
{
    for (size_t i = 0; i < rep->count; i++) {
        const struct fusion_stix_issue *is = &rep->items[i];

        fprintf(stderr, "%s: %s\n",
                is->severity == FUSION_STIX_ERROR ? "error" : "warning",
                is->message);
    }
}

/* The issues of rep as a JSON array, for --json. */
static json_t *
issues_json(const struct fusion_stix_report *rep)
{
    json_t *list = json_array();

    for (size_t i = 0; list && i < rep->count; i++) {
        const struct fusion_stix_issue *is = &rep->items[i];

        if (json_array_append_new(
                list, json_pack("{s:s, s:s}", "severity",
                                is->severity == FUSION_STIX_ERROR ? "error"
                                                                  : "warning",
                                "message", is->message))) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

/* check: parse, check, print the canonical form. */
static int
pattern_check(struct cli *cli, const char *text, size_t len)
{
    struct fusion_pattern *p = NULL;
    struct fusion_stix_report rep;
    struct fusion_error err;
    struct fusion_buf canon;
    enum fusion_err rc;
    bool valid;

    fusion_stix_report_init(&rep);
    fusion_buf_init(&canon, 0);
    rc = fusion_pattern_parse(text, len, &p, &err);
    if (rc == FUSION_OK) {
        rc = fusion_pattern_check(p, &rep);
        if (rc == FUSION_OK || rc == FUSION_ERR_INVALID) {
            if (fusion_pattern_print(p, &canon)) {
                fusion_pattern_free(p);
                fusion_stix_report_release(&rep);
                cli_error("out of memory");
                return CLI_FAILURE;
            }
        }
    }
    if (rc == FUSION_ERR_NOMEM) {
        fusion_pattern_free(p);
        fusion_stix_report_release(&rep);
        fusion_buf_release(&canon);
        cli_error("out of memory");
        return CLI_FAILURE;
    }
    valid = rc == FUSION_OK;
    if (cli->json) {
        json_t *out;

        if (!p)
            out = json_pack(
                "{s:b, s:[{s:s, s:o*}]}", "valid", 0, "errors", "message",
                err.message, "offset",
                err.has_offset ? json_integer((json_int_t)err.offset) : NULL);
        else
            out = json_pack("{s:b, s:o, s:s}", "valid", valid, "issues",
                            issues_json(&rep), "canonical",
                            canon.data ? canon.data : "");
        if (!out) {
            fusion_pattern_free(p);
            fusion_stix_report_release(&rep);
            fusion_buf_release(&canon);
            cli_error("out of memory");
            return CLI_FAILURE;
        }
        json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(out);
    } else if (!p) {
        fprintf(stderr, "invalid pattern: %s\n", err.message);
        if (err.has_offset)
            show_offset(text, len, err.offset);
    } else {
        print_issues(&rep);
        printf("%s: %s\n", valid ? "valid" : "invalid", canon.data);
    }
    fusion_pattern_free(p);
    fusion_stix_report_release(&rep);
    fusion_buf_release(&canon);
    return valid ? CLI_OK : CLI_INVALID;
}

/* Indented text of an explain tree, one node per line. */
static void
explain_print(const json_t *node, int depth)
{
    const char *kind = json_string_value(json_object_get(node, "kind"));
    const json_t *quals = json_object_get(node, "qualifiers");
    const json_t *kids = json_object_get(node, "operands");
    const json_t *v;
    size_t i;

    printf("%*s", depth * 2, "");
    if (strcmp(kind, "comparison") == 0) {
        printf("%s  (byte %lld)\n",
               json_string_value(json_object_get(node, "text")),
               (long long)json_integer_value(json_object_get(node, "offset")));
        return;
    }
    if (strcmp(kind, "observation") == 0)
        printf("[ ] observation %lld",
               (long long)json_integer_value(json_object_get(node, "leaf")));
    else
        printf("%s", kind);
    json_array_foreach(quals, i, v) printf("  %s", json_string_value(v));
    putchar('\n');
    v = json_object_get(node, "expression");
    if (v)
        explain_print(v, depth + 1);
    json_array_foreach(kids, i, v) explain_print(v, depth + 1);
}

static int
pattern_explain(struct cli *cli, const char *text, size_t len)
{
    struct fusion_pattern *p = NULL;
    struct fusion_stix_report rep;
    struct fusion_error err;
    json_t *tree = NULL;
    enum fusion_err rc;

    if (fusion_pattern_parse(text, len, &p, &err)) {
        cli_error("invalid pattern: %s", err.message);
        if (err.has_offset)
            show_offset(text, len, err.offset);
        return err.code == FUSION_ERR_NOMEM ? CLI_FAILURE : CLI_INVALID;
    }
    fusion_stix_report_init(&rep);
    rc = fusion_pattern_check(p, &rep);
    if ((rc && rc != FUSION_ERR_INVALID) || fusion_pattern_explain(p, &tree) ||
        (cli->json &&
         (json_object_set_new(tree, "valid", json_boolean(!rc)) ||
          json_object_set_new(tree, "issues", issues_json(&rep))))) {
        json_decref(tree);
        fusion_stix_report_release(&rep);
        fusion_pattern_free(p);
        cli_error("out of memory");
        return CLI_FAILURE;
    }
    if (!cli->json)
        print_issues(&rep);
    fusion_stix_report_release(&rep);
    if (cli->json) {
        json_dumpf(tree, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        putchar('\n');
    } else {
        explain_print(tree, 0);
    }
    json_decref(tree);
    fusion_pattern_free(p);
    return rc ? CLI_INVALID : CLI_OK;
}

int
cmd_pattern(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        { "stix20", no_argument, NULL, '2' },
        { NULL, 0, NULL, 0 },
    };
    struct fusion_buf text, upgraded;
    struct fusion_error err;
    bool stix20 = false, explain;
    const char *sub;
    int c, rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        pattern_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    sub = argv[1];
    if (strcmp(sub, "check") != 0 && strcmp(sub, "explain") != 0) {
        cli_error("unknown pattern command '%s' (check, explain)", sub);
        return CLI_USAGE;
    }
    explain = sub[0] == 'e';
    argc--;
    argv++;
    optind = 0;
    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) !=
           -1) {
        if (cli_common_option(cli, c, optarg))
            continue;
        if (c == 'h') {
            pattern_usage(stdout);
            return CLI_OK;
        } else if (c == '2') {
            stix20 = true;
        } else {
            pattern_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind + 1 != argc) {
        pattern_usage(stderr);
        return CLI_USAGE;
    }
    fusion_buf_init(&text, FUSION_PATTERN_MAX_LEN);
    fusion_buf_init(&upgraded, FUSION_PATTERN_MAX_LEN);
    if (!pattern_text(argv[optind], &text)) {
        rc = CLI_INVALID;
    } else if (stix20 && fusion_pattern_upgrade_20(text.data ? text.data : "",
                                                   text.len, &upgraded, &err)) {
        cli_error("invalid STIX 2.0 pattern: %s", err.message);
        rc = CLI_INVALID;
    } else {
        const struct fusion_buf *b = stix20 ? &upgraded : &text;
        const char *s = b->data ? b->data : "";

        rc = explain ? pattern_explain(cli, s, b->len)
                     : pattern_check(cli, s, b->len);
    }
    fusion_buf_release(&text);
    fusion_buf_release(&upgraded);
    return rc;
}
