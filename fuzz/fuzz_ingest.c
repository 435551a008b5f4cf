/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: arbitrary bytes through the whole ingest path (the
 * streaming reader, upgrade, validation, patterns, canonical JSON) into
 * a store on tmpfs. Every input must end in success or a clean error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ingest/ingest.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Errors are expected answers here; only crashes and reports count. */
static void
ignore(enum fusion_err rc)
{
    (void)rc;
}

static struct fusion_store *store;

static struct fusion_store *
open_store(void)
{
    char path[64];

    snprintf(path, sizeof(path), "/dev/shm/fusion-fuzz-%ld.db", (long)getpid());
    unlink(path);
    if (fusion_store_open(path, FUSION_STORE_CREATE, &store, NULL))
        abort();
    return store;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    struct fusion_ingest_options opt = {
        .source = { .kind = "fuzz", .name = "input" },
    };
    struct fusion_error err;

    if (!store)
        open_store();
    fusion_ingest_limits_default(&opt.limits);
    opt.limits.max_object_bytes = 1 << 20;
    opt.limits.max_document_bytes = 1 << 20;
    /* the first byte picks strict mode and the TAXII envelope rule */
    opt.strict = size > 0 && data[0] == ' ';
    opt.envelope = size > 0 && data[0] == '\n';
    ignore(fusion_ingest_buffer(store, (const char *)data, size, &opt, NULL,
                                &err));
    return 0;
}
