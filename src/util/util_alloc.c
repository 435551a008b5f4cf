/* SPDX-License-Identifier: Apache-2.0 */
/* The one allocator of the project, with a fault-injection hook. */
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

/*
 * Remaining successful allocations before injected failures start;
 * negative means never. Only single-threaded tests set it.
 */
static long fail_countdown = -1;
static bool has_failed;

static bool
should_fail(void)
{
    if (fail_countdown < 0)
        return false;
    if (fail_countdown == 0) {
        has_failed = true;
        return true;
    }
    fail_countdown--;
    return false;
}

void
fusion_alloc_fail_after(long n)
{
    fail_countdown = n;
    has_failed = false;
}

bool
fusion_alloc_has_failed(void)
{
    return has_failed;
}

void *
fusion_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *
fusion_calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *
fusion_realloc(void *p, size_t size)
{
    if (should_fail())
        return NULL;
    return realloc(p, size ? size : 1);
}

char *
fusion_strndup(const char *s, size_t n)
{
    char *copy = fusion_malloc(n + 1);

    if (!copy)
        return NULL;
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

char *
fusion_strdup(const char *s)
{
    return fusion_strndup(s, strlen(s));
}

void
fusion_free(void *p)
{
    free(p);
}
