/* SPDX-License-Identifier: Apache-2.0 */
/* The selection options shared by search and export. */
#include "cli/cli.h"

#include <string.h>

static bool
push(const char **list, size_t *n, const char *value, const char *option)
{
    if (*n == CLI_QUERY_MAX_LIST) {
        cli_error("%s: at most %d values", option, CLI_QUERY_MAX_LIST);
        return false;
    }
    list[(*n)++] = value;
    return true;
}

static bool
parse_limit(const char *arg, size_t *out)
{
    int64_t v;

    if (fusion_parse_int64(arg, strlen(arg), &v) || v <= 0) {
        cli_error("--limit: expected a positive whole number, got '%s'", arg);
        return false;
    }
    *out = (size_t)v;
    return true;
}

int
cli_selection_option(struct cli *cli, struct cli_query *cq, int c,
                     const char *arg)
{
    struct fusion_store_query *q = &cq->q;
    bool ok = true;

    if (cli_common_option(cli, c, arg))
        return 1;
    switch (c) {
    case 1000:
        ok = push(cq->types, &q->ntypes, arg, "--type");
        q->types = cq->types;
        break;
    case 1001:
        ok = push(cq->ids, &q->nids, arg, "--id");
        q->ids = cq->ids;
        break;
    case 1002:
        q->label = arg;
        break;
    case 1003:
        q->text = arg;
        break;
    case 1004:
        ok = cli_parse_time("--modified-from", arg, &q->modified_from);
        break;
    case 1005:
        ok = cli_parse_time("--modified-to", arg, &q->modified_to);
        break;
    case 1006:
        ok = cli_parse_time("--added-after", arg, &q->added_after);
        break;
    case 1007:
        q->all_versions = true;
        break;
    case 1008:
        q->include_revoked = true;
        break;
    case 1009:
        ok = parse_limit(arg, &q->limit);
        break;
    default:
        return 0;
    }
    return ok ? 1 : -1;
}

/*
 * Undoes the usual defanging of indicators in reports, so that what an
 * analyst pastes is found: hxxp, [.], (.), {.}, [dot], [:], [@], [at].
 */
static bool
refang(const char *in, char *out, size_t cap)
{
    static const char *const from[] = { "hxxp",  "hXXp", "[.]", "(.)", "{.}",
                                        "[dot]", "[:]",  "[@]", "[at]" };
    static const char *const to[] = { "http", "http", ".", ".", ".",
                                      ".",    ":",    "@", "@" };
    size_t n = 0;

    while (*in) {
        size_t i, flen = 0;

        for (i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
            flen = strlen(from[i]);
            if (strncmp(in, from[i], flen) == 0)
                break;
        }
        if (i < sizeof(from) / sizeof(from[0])) {
            size_t tlen = strlen(to[i]);

            if (n + tlen >= cap)
                return false;
            memcpy(out + n, to[i], tlen);
            n += tlen;
            in += flen;
        } else {
            if (n + 1 >= cap)
                return false;
            out[n++] = *in++;
        }
    }
    out[n] = '\0';
    return true;
}

/*
 * A domain name of labels of letters, digits, '-' and '_' (or non-ASCII,
 * for internationalised names), separated by single dots, the last not
 * all digits (that would be a mistyped address).
 */
static bool
looks_like_domain(const char *s)
{
    const char *label = s;
    bool digits_only = true, has_dot = false;

    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;

        if (c == '.' || c == '\0') {
            if (p == label)
                return c == '\0' && has_dot && p > s && p[-1] == '.';
            if (c == '\0')
                return has_dot && !digits_only;
            has_dot = true;
            label = p + 1;
            digits_only = true;
            continue;
        }
        if (!(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
        if (!(c >= '0' && c <= '9'))
            digits_only = false;
    }
}

bool
cli_query_value(struct cli_query *cq, const char *value)
{
    char plain[FUSION_STIX_KEY_MAX];

    if (fusion_stix_id_is_valid(value, NULL)) {
        cq->q.ids = cq->ids;
        return push(cq->ids, &cq->q.nids, value, "ID");
    }
    if (!refang(value, plain, sizeof(plain))) {
        cli_error("'%.60s...' is too long to search for", value);
        return false;
    }
    /*
     * What is neither an address, a hash, a URL nor an e-mail address is
     * taken for a domain name, and must look like one.
     */
    if (fusion_stix_guess_key(plain, cq->key_type, cq->key_value) ||
        (strcmp(cq->key_type, "domain-name") == 0 &&
         !looks_like_domain(plain)) ||
        (strcmp(cq->key_type, "url") == 0 && strpbrk(plain, " \t"))) {
        cli_error("'%s' is not an observable value (an IP address, domain, "
                  "URL, hash or e-mail address); use --text to search names "
                  "and descriptions",
                  value);
        return false;
    }
    cq->key.type = cq->key_type;
    cq->key.value = cq->key_value;
    cq->q.keys = &cq->key;
    cq->q.nkeys = 1;
    return true;
}
