/* SPDX-License-Identifier: Apache-2.0 */
/* A store in a temporary file, shared by the store test programs. */
#ifndef FUSION_TEST_STORE_FIXTURE_H
#define FUSION_TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/store.h"

struct fixture {
    char path[64];
    struct fusion_store *store;
};

/* Removes a store file and the -wal and -shm files beside it. */
static inline void
remove_store(const char *path)
{
    char side[128];

    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
}

/* A new, empty store in /tmp; NULL when that fails. */
static inline struct fixture *
fixture_open(void)
{
    struct fixture *f = calloc(1, sizeof(*f));
    int fd;

    if (!f)
        return NULL;
    snprintf(f->path, sizeof(f->path), "/tmp/fusion-store-XXXXXX");
    fd = mkstemp(f->path);
    if (fd < 0) {
        free(f);
        return NULL;
    }
    close(fd);
    if (fusion_store_open(f->path, FUSION_STORE_CREATE, &f->store, NULL)) {
        remove_store(f->path);
        free(f);
        return NULL;
    }
    return f;
}

static inline void
fixture_close(struct fixture *f)
{
    fusion_store_close(f->store);
    remove_store(f->path);
    free(f);
}

#endif
