/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes a synthetic STIX 2.1 bundle of N objects on stdout: half
 * indicators (IPv4, domain, URL and SHA-256 equality patterns), half the
 * matching observables. Values are derived from the index, so a run is
 * repeatable; ids are random.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static void
value_of(unsigned long i, int kind, char *out, size_t len)
{
    switch (kind) {
    case 0:
        snprintf(out, len, "10.%lu.%lu.%lu", (i >> 16) & 255, (i >> 8) & 255,
                 i & 255);
        break;
    case 1:
        snprintf(out, len, "host%lu.example%lu.com", i, i % 977);
        break;
    case 2:
        snprintf(out, len, "http://site%lu.example.net/path/%lu/index.php", i,
                 i * 7);
        break;
    default:
        snprintf(out, len, "%016lx%016lx%016lx%016lx", i * 0x9e3779b97f4a7c15ul,
                 i, ~i, i ^ 0xdeadbeefcafef00dul);
        break;
    }
}

static void
write_indicator(unsigned long i, int kind, const char *value, bool first)
{
    static const char *const paths[] = { "ipv4-addr:value", "domain-name:value",
                                         "url:value", "file:hashes.'SHA-256'" };
    char uuid[FUSION_UUID_LEN + 1];

    fusion_uuid4(uuid);
    printf("%s{\"type\":\"indicator\",\"spec_version\":\"2.1\","
           "\"id\":\"indicator--%s\",\"created\":\"2024-01-01T00:00:00.000Z\","
           "\"modified\":\"2024-01-01T00:00:00.000Z\",\"name\":\"synthetic "
           "indicator %lu\",\"indicator_types\":[\"malicious-activity\"],"
           "\"pattern\":\"[%s = '%s']\",\"pattern_type\":\"stix\","
           "\"valid_from\":\"2024-01-01T00:00:00Z\",\"labels\":[\"bench\"],"
           "\"confidence\":%lu}",
           first ? "" : ",\n", uuid, i, paths[kind], value, i % 101);
}

static void
write_observable(int kind, const char *value)
{
    static const char *const types[] = { "ipv4-addr", "domain-name", "url" };
    char uuid[FUSION_UUID_LEN + 1];

    fusion_uuid4(uuid);
    if (kind < 3)
        printf(",\n{\"type\":\"%s\",\"spec_version\":\"2.1\",\"id\":\"%s--%s\","
               "\"value\":\"%s\"}",
               types[kind], types[kind], uuid, value);
    else
        printf(",\n{\"type\":\"file\",\"spec_version\":\"2.1\",\"id\":\"file--"
               "%s\",\"hashes\":{\"SHA-256\":\"%s\"}}",
               uuid, value);
}

int
main(int argc, char **argv)
{
    char uuid[FUSION_UUID_LEN + 1], value[128];
    unsigned long n;

    if (argc != 2 || !(n = strtoul(argv[1], NULL, 10))) {
        fprintf(stderr, "usage: bench_gen_bundle OBJECTS > bundle.json\n");
        return 2;
    }
    fusion_uuid4(uuid);
    printf("{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[\n", uuid);
    for (unsigned long i = 0; i < n / 2; i++) {
        int kind = (int)(i % 4);

        value_of(i, kind, value, sizeof(value));
        write_indicator(i, kind, value, i == 0);
        write_observable(kind, value);
    }
    printf("\n]}\n");
    return 0;
}
