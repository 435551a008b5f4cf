/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: pattern text through the parser, the checks, the
 * canonical printer (whose output must parse to the same text again),
 * the 2.0 upgrade, the key extraction, and evaluation against two
 * small fixed observations.
 */
#include <jansson.h>
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

/* Two observations, a minute apart: a file in a directory, and traffic. */
static const char *const fixture_json[] = {
    "[{\"type\": \"file\", \"id\": \"file--1\", \"name\": \"a.exe\", "
    "\"size\": 10, \"magic_number_hex\": \"ffd8\", "
    "\"hashes\": {\"MD5\": \"cead3f77f6cda6ec00f57d76c9a6879f\"}, "
    "\"parent_directory_ref\": \"directory--1\"}, "
    "{\"type\": \"directory\", \"id\": \"directory--1\", "
    "\"path\": \"/tmp\", \"contains_refs\": [\"file--1\"]}]",
    "[{\"type\": \"network-traffic\", \"id\": \"network-traffic--1\", "
    "\"dst_ref\": \"ipv4-addr--1\", \"protocols\": [\"ipv4\", \"tcp\"], "
    "\"is_active\": true, \"dst_port\": 443}, "
    "{\"type\": \"ipv4-addr\", \"id\": \"ipv4-addr--1\", "
    "\"value\": \"10.0.0.1\"}, "
    "{\"type\": \"artifact\", \"id\": \"artifact--1\", "
    "\"payload_bin\": \"dGhpcyBpcyBhIHRlc3Q=\"}]",
};

#define FIXTURE_OBS  2
#define FIXTURE_SCOS 4

struct fixture {
    json_t *roots[FIXTURE_OBS];
    const json_t *objects[FIXTURE_OBS][FIXTURE_SCOS];
    const char *refs[FIXTURE_OBS][FIXTURE_SCOS];
    struct fusion_observation obs[FIXTURE_OBS];
    const struct fusion_observation *list[FIXTURE_OBS];
};

/* Built once and kept for the life of the process. */
static const struct fixture *
fixture(void)
{
    static struct fixture fx;
    static bool built;

    if (built)
        return &fx;
    for (size_t i = 0; i < FIXTURE_OBS; i++) {
        struct fusion_observation *o = &fx.obs[i];
        json_t *sco;
        size_t k;

        fx.roots[i] = json_loads(fixture_json[i], 0, NULL);
        if (!fx.roots[i] || json_array_size(fx.roots[i]) > FIXTURE_SCOS)
            abort();
        json_array_foreach(fx.roots[i], k, sco)
        {
            fx.objects[i][k] = sco;
            fx.refs[i][k] = json_string_value(json_object_get(sco, "id"));
        }
        o->objects = fx.objects[i];
        o->refs = fx.refs[i];
        o->count = json_array_size(fx.roots[i]);
        fusion_ts_set(&o->first, 1700000000 + 60 * (int64_t)i, 0, 0);
        fusion_ts_set(&o->last, 1700000030 + 60 * (int64_t)i, 0, 0);
        fx.list[i] = o;
    }
    built = true;
    return &fx;
}

/* Compiles p (which it takes) and evaluates it against the fixture. */
static void
check_eval(struct fusion_pattern *p)
{
    const struct fixture *fx = fixture();
    struct fusion_pattern_prog *prog = NULL;
    struct fusion_pattern_result res;
    bool any = false;

    if (fusion_pattern_compile(p, &prog, NULL) != FUSION_OK)
        return;
    for (size_t l = 0; l < fusion_pattern_prog_leaves(prog); l++) {
        for (size_t i = 0; i < FIXTURE_OBS; i++)
            any = fusion_pattern_leaf_match(prog, l, &fx->obs[i]) || any;
    }
    for (size_t must = 0; must <= FIXTURE_OBS; must++) {
        if (fusion_pattern_eval(prog, fx->list, FIXTURE_OBS, must, &res,
                                NULL) != FUSION_OK)
            continue;
        /* a match uses observations some leaf holds for */
        if (res.matched && (!any || res.nused == 0 || res.nused > FIXTURE_OBS))
            abort();
    }
    fusion_pattern_prog_free(prog);
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
    check_eval(p);
    return 0;
}
