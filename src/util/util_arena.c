/* SPDX-License-Identifier: Apache-2.0 */
/* Region allocator: bump allocation in blocks, all freed at once. */
#include "util/util.h"

#include <stdalign.h>
#include <string.h>

#define ARENA_DEFAULT_BLOCK ((size_t)4096)
#define ARENA_DEFAULT_MAX   ((size_t)1 << 30)
#define ARENA_ALIGN         alignof(max_align_t)

/*
 * The header is padded to ARENA_ALIGN so the bytes after it start
 * aligned for any type.
 */
struct fusion_arena_block {
    struct fusion_arena_block *next;
    size_t size;
    size_t pos;
    alignas(max_align_t) unsigned char data[];
};

static size_t
align_up(size_t n)
{
    return (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
}

void
fusion_arena_init(struct fusion_arena *arena, size_t block_size, size_t max)
{
    arena->head = NULL;
    arena->block_size = block_size ? block_size : ARENA_DEFAULT_BLOCK;
    arena->used = 0;
    arena->max = max ? max : ARENA_DEFAULT_MAX;
}

/*
 * A request bigger than a quarter block gets a block of its own, placed
 * behind the current head so the head's free space is not wasted.
 */
static struct fusion_arena_block *
new_block(struct fusion_arena *arena, size_t size)
{
    struct fusion_arena_block *b;
    size_t data = size > arena->block_size / 4 ? size : arena->block_size;
    size_t total = sizeof(*b) + data;

    if (data > arena->max || total > arena->max - arena->used)
        return NULL;
    b = fusion_malloc(total);
    if (!b)
        return NULL;
    b->size = data;
    b->pos = 0;
    arena->used += total;
    if (arena->head && data != arena->block_size) {
        b->next = arena->head->next;
        arena->head->next = b;
    } else {
        b->next = arena->head;
        arena->head = b;
    }
    return b;
}

void *
fusion_arena_alloc(struct fusion_arena *arena, size_t size)
{
    struct fusion_arena_block *b = arena->head;
    size_t need;

    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    need = align_up(size);
    if (!b || b->size - b->pos < need) {
        b = new_block(arena, need);
        if (!b)
            return NULL;
    }
    b->pos += need;
    return b->data + b->pos - need;
}

void *
fusion_arena_calloc(struct fusion_arena *arena, size_t n, size_t size)
{
    void *p;

    if (size && n > SIZE_MAX / size)
        return NULL;
    p = fusion_arena_alloc(arena, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *
fusion_arena_strndup(struct fusion_arena *arena, const char *s, size_t n)
{
    char *p;

    if (n == SIZE_MAX)
        return NULL;
    p = fusion_arena_alloc(arena, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
fusion_arena_strdup(struct fusion_arena *arena, const char *s)
{
    return fusion_arena_strndup(arena, s, strlen(s));
}

size_t
fusion_arena_used(const struct fusion_arena *arena)
{
    return arena->used;
}

void
fusion_arena_release(struct fusion_arena *arena)
{
    struct fusion_arena_block *b = arena->head;

    while (b) {
        struct fusion_arena_block *next = b->next;

        fusion_free(b);
        b = next;
    }
    arena->head = NULL;
    arena->used = 0;
}
