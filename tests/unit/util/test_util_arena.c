/* SPDX-License-Identifier: Apache-2.0 */
/* The request arena: alignment, big blocks, caps, failure and reuse. */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "util/util.h"

static void
test_arena_alloc_aligned_and_distinct(void **state)
{
    struct fusion_arena arena;
    char *prev = NULL;

    (void)state;
    fusion_arena_init(&arena, 256, 0);
    for (size_t i = 1; i < 200; i++) {
        char *p = fusion_arena_alloc(&arena, i % 37);

        assert_non_null(p);
        assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
        assert_ptr_not_equal(p, prev);
        memset(p, 0xab, i % 37);
        prev = p;
    }
    fusion_arena_release(&arena);
    assert_int_equal(fusion_arena_used(&arena), 0);
}

static void
test_arena_strdup_copies(void **state)
{
    struct fusion_arena arena;
    char src[] = "indicator--1";
    char *a;
    char *b;

    (void)state;
    fusion_arena_init(&arena, 0, 0);
    a = fusion_arena_strdup(&arena, src);
    b = fusion_arena_strndup(&arena, src, 9);
    src[0] = 'X';
    assert_string_equal(a, "indicator--1");
    assert_string_equal(b, "indicator");
    fusion_arena_release(&arena);
}

static void
test_arena_big_allocation_keeps_head(void **state)
{
    struct fusion_arena arena;
    char *small1;
    char *big;
    char *small2;

    (void)state;
    fusion_arena_init(&arena, 1024, 0);
    small1 = fusion_arena_alloc(&arena, 16);
    big = fusion_arena_alloc(&arena, 100000);
    small2 = fusion_arena_alloc(&arena, 16);
    assert_non_null(small1);
    assert_non_null(big);
    assert_non_null(small2);
    memset(big, 1, 100000);
    /* the small ones share the first block */
    assert_true(small2 > small1 && small2 - small1 < 1024);
    fusion_arena_release(&arena);
}

static void
test_arena_cap_enforced(void **state)
{
    struct fusion_arena arena;

    (void)state;
    fusion_arena_init(&arena, 512, 4096);
    assert_null(fusion_arena_alloc(&arena, 8192));
    for (int i = 0; i < 100; i++) {
        if (!fusion_arena_alloc(&arena, 100))
            break;
    }
    assert_true(fusion_arena_used(&arena) <= 4096);
    assert_null(fusion_arena_alloc(&arena, 400));
    assert_null(fusion_arena_alloc(&arena, SIZE_MAX));
    assert_null(fusion_arena_calloc(&arena, SIZE_MAX / 2, 4));
    fusion_arena_release(&arena);
}

static void
test_arena_calloc_zeroes(void **state)
{
    struct fusion_arena arena;
    unsigned char *p;

    (void)state;
    fusion_arena_init(&arena, 0, 0);
    p = fusion_arena_alloc(&arena, 64);
    memset(p, 0xff, 64);
    fusion_arena_release(&arena);
    p = fusion_arena_calloc(&arena, 16, 4);
    assert_non_null(p);
    for (int i = 0; i < 64; i++)
        assert_int_equal(p[i], 0);
    fusion_arena_release(&arena);
}

static void
test_arena_nomem_then_usable(void **state)
{
    struct fusion_arena arena;

    (void)state;
    fusion_arena_init(&arena, 0, 0);
    fusion_alloc_fail_after(0);
    assert_null(fusion_arena_alloc(&arena, 10));
    fusion_alloc_fail_after(-1);
    assert_int_equal(fusion_arena_used(&arena), 0);
    assert_non_null(fusion_arena_strdup(&arena, "ok"));
    fusion_arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alloc_aligned_and_distinct),
        cmocka_unit_test(test_arena_strdup_copies),
        cmocka_unit_test(test_arena_big_allocation_keeps_head),
        cmocka_unit_test(test_arena_cap_enforced),
        cmocka_unit_test(test_arena_calloc_zeroes),
        cmocka_unit_test(test_arena_nomem_then_usable),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
