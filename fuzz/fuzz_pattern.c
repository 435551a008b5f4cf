/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: pattern text through the parser, the checks, the
 * canonical printer (whose output must parse to the same text again),
 * the 2.0 upgrade and the key extraction.
 */
#include <stdlib.h>
#include <string.h>

#include "pattern/pattern.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Errors are expected answers here; only crashes and reports count. */
static void
ignore(enum fusion_err rc)
{
    (void)rc;
}

static enum fusion_err
ignore_key(void *ctx, const char *type, const char *value)
{
    (void)ctx;
    (void)type;
    (void)value;
    return FUSION_OK;
}

/* Printing a parsed pattern and parsing the print must round-trip. */
static void
check_round_trip(const struct fusion_pattern *p)
{
    struct fusion_buf a, b;
    struct fusion_pattern *again = NULL;

    fusion_buf_init(&a, 0);
    fusion_buf_init(&b, 0);
    if (fusion_pattern_print(p, &a) == FUSION_OK) {
        if (fusion_pattern_parse(a.data, a.len, &again, NULL) != FUSION_OK)
            abort();
        if (fusion_pattern_print(again, &b) != FUSION_OK || a.len != b.len ||
            memcmp(a.data, b.data, a.len) != 0)
            abort();
    }
    fusion_pattern_free(again);
    fusion_buf_release(&a);
    fusion_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct fusion_pattern *p = NULL;
    struct fusion_stix_report rep;
    struct fusion_buf up;

    fusion_buf_init(&up, 0);
    ignore(fusion_pattern_upgrade_20((const char *)data, size, &up, NULL));
    fusion_buf_release(&up);
    if (fusion_pattern_parse((const char *)data, size, &p, NULL) != FUSION_OK)
        return 0;
    fusion_stix_report_init(&rep);
    ignore(fusion_pattern_check(p, &rep));
    fusion_stix_report_release(&rep);
    ignore(fusion_pattern_keys(p, ignore_key, NULL));
    check_round_trip(p);
    fusion_pattern_free(p);
    return 0;
}
