/* SPDX-License-Identifier: Apache-2.0 */
/* Store accounts: users, passwords, tokens, groups, grants, migration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
#include <cmocka.h>
#include <openssl/evp.h>

#include "store/store.h"
#include "store/store_int.h"
#include "store_fixture.h"

#define COLL_A "4a3d1f3e-4c7e-4f0b-8d2a-1b2c3d4e5f60"
#define COLL_B "91b6a4b2-0c2d-4e4f-9a8b-7c6d5e4f3a21"

/* A low scrypt cost keeps the suite fast. */
static const struct fusion_secret_params cheap = { .log2_n = 4,
                                                   .r = 8,
                                                   .p = 1 };

static int
setup(void **state)
{
    struct fixture *f = fixture_open();
    struct fusion_store_collection a = { .id = COLL_A,
                                         .title = "A",
                                         .alias = "alpha" };
    struct fusion_store_collection b = { .id = COLL_B, .title = "B" };

    if (!f)
        return -1;
    if (fusion_store_collection_create(f->store, &a, NULL) ||
        fusion_store_collection_create(f->store, &b, NULL)) {
        fixture_close(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_close(*state);
    return 0;
}

static void
add_user(struct fusion_store *store, const char *name, const char *pw)
{
    assert_int_equal(fusion_store_user_add(store, name, pw, &cheap, NULL),
                     FUSION_OK);
}

static int64_t
user_id(struct fusion_store *store, const char *name)
{
    int64_t id = 0;

    assert_int_equal(fusion_store_user_id(store, name, &id, NULL), FUSION_OK);
    return id;
}

static void
exec_sql(const char *path, const char *sql)
{
    sqlite3 *db;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* Users and passwords */

static void
test_user_verify_right_password(void **state)
{
    struct fixture *f = *state;
    int64_t id = 0;

    add_user(f->store, "alice", "correct horse");
    assert_int_equal(
        fusion_store_user_verify(f->store, "alice", "correct horse", &id, NULL),
        FUSION_OK);
    assert_true(id == user_id(f->store, "alice"));
}

static void
test_user_verify_wrong_and_unknown_alike(void **state)
{
    struct fixture *f = *state;
    struct fusion_error wrong, unknown;
    int64_t id = -1;

    add_user(f->store, "alice", "correct horse");
    assert_int_equal(
        fusion_store_user_verify(f->store, "alice", "battery", &id, &wrong),
        FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_user_verify(f->store, "mallory",
                                              "correct horse", &id, &unknown),
                     FUSION_ERR_INVALID);
    assert_string_equal(wrong.message, unknown.message);
    assert_true(id == -1);
}

static void
test_user_verify_no_users(void **state)
{
    struct fixture *f = *state;
    int64_t id;

    assert_int_equal(fusion_store_user_verify(f->store, "x", "y", &id, NULL),
                     FUSION_ERR_INVALID);
}

static void
test_user_disabled_cannot_login(void **state)
{
    struct fixture *f = *state;
    int64_t id;

    add_user(f->store, "bob", "pw");
    assert_int_equal(
        fusion_store_user_set_disabled(f->store, "bob", true, NULL), FUSION_OK);
    assert_int_equal(fusion_store_user_verify(f->store, "bob", "pw", &id, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_store_user_set_disabled(f->store, "bob", false, NULL),
        FUSION_OK);
    assert_int_equal(fusion_store_user_verify(f->store, "bob", "pw", &id, NULL),
                     FUSION_OK);
}

static void
test_user_add_rules(void **state)
{
    struct fixture *f = *state;

    add_user(f->store, "alice", "pw");
    assert_int_equal(
        fusion_store_user_add(f->store, "alice", "pw2", &cheap, NULL),
        FUSION_ERR_CONFLICT);
    assert_int_equal(fusion_store_user_add(f->store, "", "pw", &cheap, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_user_add(f->store, "a:b", "pw", &cheap, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_user_add(f->store, "@g", "pw", &cheap, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_user_add(f->store, "carol", "", &cheap, NULL),
                     FUSION_ERR_INVALID);
}

static void
test_user_password_not_stored_in_clear(void **state)
{
    struct fixture *f = *state;
    FILE *fp;
    char buf[4096];
    size_t n;
    bool seen = false;

    add_user(f->store, "alice", "Unmistakable-Passw0rd");
    fusion_store_close(f->store);
    f->store = NULL;
    fp = fopen(f->path, "rb");
    assert_non_null(fp);
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
        for (size_t i = 0; i + 21 <= n; i++)
            seen = seen || memcmp(buf + i, "Unmistakable-Passw0rd", 21) == 0;
    }
    fclose(fp);
    assert_false(seen);
    assert_int_equal(fusion_store_open(f->path, 0, &f->store, NULL), FUSION_OK);
}

static void
test_user_set_password(void **state)
{
    struct fixture *f = *state;
    int64_t id;

    add_user(f->store, "alice", "old");
    assert_int_equal(
        fusion_store_user_set_password(f->store, "alice", "new", &cheap, NULL),
        FUSION_OK);
    assert_int_equal(
        fusion_store_user_verify(f->store, "alice", "old", &id, NULL),
        FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_store_user_verify(f->store, "alice", "new", &id, NULL),
        FUSION_OK);
    assert_int_equal(
        fusion_store_user_set_password(f->store, "nobody", "x", &cheap, NULL),
        FUSION_ERR_NOTFOUND);
}

static int
count_user(void *ctx, const struct fusion_store_user *user)
{
    (void)user;
    (*(int *)ctx)++;
    return 0;
}

static void
test_user_list_and_remove(void **state)
{
    struct fixture *f = *state;
    char token[FUSION_STORE_TOKEN_MAX];
    struct fusion_store_token_spec spec = { .user = "alice", .params = &cheap };
    int n = 0;
    int64_t id;

    add_user(f->store, "alice", "pw");
    add_user(f->store, "bob", "pw");
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, token, NULL, NULL),
        FUSION_OK);
    assert_int_equal(fusion_store_user_list(f->store, count_user, &n, NULL),
                     FUSION_OK);
    assert_int_equal(n, 2);
    assert_int_equal(fusion_store_user_remove(f->store, "alice", NULL),
                     FUSION_OK);
    assert_int_equal(fusion_store_user_remove(f->store, "alice", NULL),
                     FUSION_ERR_NOTFOUND);
    assert_int_equal(fusion_store_token_verify(f->store, token, &id, NULL),
                     FUSION_ERR_INVALID);
    n = 0;
    assert_int_equal(fusion_store_user_list(f->store, count_user, &n, NULL),
                     FUSION_OK);
    assert_int_equal(n, 1);
}

/* Tokens */

static void
test_token_create_verify(void **state)
{
    struct fixture *f = *state;
    char token[FUSION_STORE_TOKEN_MAX], id[FUSION_STORE_TOKEN_ID_LEN + 1];
    struct fusion_store_token_spec spec = { .user = "alice",
                                            .label = "ci",
                                            .params = &cheap };
    int64_t uid = 0;

    add_user(f->store, "alice", "pw");
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, token, id, NULL), FUSION_OK);
    assert_true(strncmp(token, "fusion_", 7) == 0);
    assert_true(strncmp(token + 7, id, FUSION_STORE_TOKEN_ID_LEN) == 0);
    assert_int_equal(strlen(token), 7 + 16 + 1 + 43);
    assert_int_equal(fusion_store_token_verify(f->store, token, &uid, NULL),
                     FUSION_OK);
    assert_true(uid == user_id(f->store, "alice"));
}

static void
test_token_wrong_secret(void **state)
{
    struct fixture *f = *state;
    char token[FUSION_STORE_TOKEN_MAX];
    struct fusion_store_token_spec spec = { .user = "alice", .params = &cheap };
    size_t len;
    int64_t uid;

    add_user(f->store, "alice", "pw");
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, token, NULL, NULL),
        FUSION_OK);
    len = strlen(token);
    token[len - 2] = token[len - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(fusion_store_token_verify(f->store, token, &uid, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_token_verify(f->store, "fusion_", &uid, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_token_verify(f->store, "", &uid, NULL),
                     FUSION_ERR_INVALID);
}

static void
test_token_revoke(void **state)
{
    struct fixture *f = *state;
    char token[FUSION_STORE_TOKEN_MAX], id[FUSION_STORE_TOKEN_ID_LEN + 1];
    struct fusion_store_token_spec spec = { .user = "alice", .params = &cheap };
    int64_t uid;

    add_user(f->store, "alice", "pw");
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, token, id, NULL), FUSION_OK);
    assert_int_equal(fusion_store_token_revoke(f->store, id, NULL), FUSION_OK);
    assert_int_equal(fusion_store_token_verify(f->store, token, &uid, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(
        fusion_store_token_revoke(f->store, "0000000000000000", NULL),
        FUSION_ERR_NOTFOUND);
}

static void
test_token_expired(void **state)
{
    struct fixture *f = *state;
    char old[FUSION_STORE_TOKEN_MAX], fresh[FUSION_STORE_TOKEN_MAX];
    struct fusion_store_token_spec spec = { .user = "alice", .params = &cheap };
    int64_t uid;

    add_user(f->store, "alice", "pw");
    spec.expires = fusion_time_now_ns() - INT64_C(1000000000);
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, old, NULL, NULL), FUSION_OK);
    spec.expires = fusion_time_now_ns() + INT64_C(3600000000000);
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, fresh, NULL, NULL),
        FUSION_OK);
    assert_int_equal(fusion_store_token_verify(f->store, old, &uid, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_token_verify(f->store, fresh, &uid, NULL),
                     FUSION_OK);
}

static void
test_token_disabled_user(void **state)
{
    struct fixture *f = *state;
    char token[FUSION_STORE_TOKEN_MAX];
    struct fusion_store_token_spec spec = { .user = "alice", .params = &cheap };
    int64_t uid;

    add_user(f->store, "alice", "pw");
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, token, NULL, NULL),
        FUSION_OK);
    assert_int_equal(
        fusion_store_user_set_disabled(f->store, "alice", true, NULL),
        FUSION_OK);
    assert_int_equal(fusion_store_token_verify(f->store, token, &uid, NULL),
                     FUSION_ERR_INVALID);
}

struct token_seen {
    int n;
    bool revoked;
    char label[32];
};

static int
see_token(void *ctx, const struct fusion_store_token *t)
{
    struct token_seen *seen = ctx;

    seen->n++;
    seen->revoked = t->revoked;
    snprintf(seen->label, sizeof(seen->label), "%s", t->label);
    return 0;
}

static void
test_token_list(void **state)
{
    struct fixture *f = *state;
    char token[FUSION_STORE_TOKEN_MAX], id[FUSION_STORE_TOKEN_ID_LEN + 1];
    struct fusion_store_token_spec spec = { .user = "alice",
                                            .label = "feed",
                                            .params = &cheap };
    struct token_seen seen = { 0 };

    add_user(f->store, "alice", "pw");
    add_user(f->store, "bob", "pw");
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, token, id, NULL), FUSION_OK);
    assert_int_equal(fusion_store_token_revoke(f->store, id, NULL), FUSION_OK);
    assert_int_equal(
        fusion_store_token_list(f->store, "alice", see_token, &seen, NULL),
        FUSION_OK);
    assert_int_equal(seen.n, 1);
    assert_true(seen.revoked);
    assert_string_equal(seen.label, "feed");
    seen.n = 0;
    assert_int_equal(
        fusion_store_token_list(f->store, "bob", see_token, &seen, NULL),
        FUSION_OK);
    assert_int_equal(seen.n, 0);
    assert_int_equal(
        fusion_store_token_list(f->store, "nobody", see_token, &seen, NULL),
        FUSION_ERR_NOTFOUND);
}

/* Cheap checks of cached credentials */

/* The one message of every failed check, as for a failed verify. */
static void
assert_active_fails(struct fusion_store *store, const char *id, int64_t now)
{
    struct fusion_error err;
    int64_t uid = 42;

    assert_int_equal(fusion_store_token_active(store, id, now, &uid, &err),
                     FUSION_ERR_INVALID);
    assert_string_equal(err.message, "authentication failed");
    assert_true(uid == 42);
}

static void
test_token_active(void **state)
{
    struct fixture *f = *state;
    char token[FUSION_STORE_TOKEN_MAX], id[FUSION_STORE_TOKEN_ID_LEN + 1];
    struct fusion_store_token_spec spec = { .user = "alice", .params = &cheap };
    int64_t now = fusion_time_now_ns(), uid = 0;

    add_user(f->store, "alice", "pw");
    add_user(f->store, "bob", "pw");
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, token, id, NULL), FUSION_OK);
    assert_int_equal(fusion_store_token_active(f->store, id, now, &uid, NULL),
                     FUSION_OK);
    assert_true(uid == user_id(f->store, "alice"));

    assert_active_fails(f->store, "0000000000000000", now);
    assert_active_fails(f->store, "", now);
    assert_active_fails(f->store, token, now);

    /* A revocation shows at once. */
    assert_int_equal(fusion_store_token_revoke(f->store, id, NULL), FUSION_OK);
    assert_active_fails(f->store, id, now);
}

static void
test_token_active_expiry(void **state)
{
    struct fixture *f = *state;
    char token[FUSION_STORE_TOKEN_MAX], id[FUSION_STORE_TOKEN_ID_LEN + 1];
    struct fusion_store_token_spec spec = { .user = "alice", .params = &cheap };
    int64_t uid = 0;

    add_user(f->store, "alice", "pw");
    spec.expires = INT64_C(2000000000000000000);
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, token, id, NULL), FUSION_OK);
    assert_int_equal(
        fusion_store_token_active(f->store, id, spec.expires - 1, &uid, NULL),
        FUSION_OK);
    /* It authenticates until the expiry, not at it. */
    assert_active_fails(f->store, id, spec.expires);
    assert_active_fails(f->store, id, spec.expires + 1);
}

static void
test_token_active_disabled_user(void **state)
{
    struct fixture *f = *state;
    char token[FUSION_STORE_TOKEN_MAX], id[FUSION_STORE_TOKEN_ID_LEN + 1];
    struct fusion_store_token_spec spec = { .user = "alice", .params = &cheap };
    int64_t now = fusion_time_now_ns(), uid = 0;

    add_user(f->store, "alice", "pw");
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, token, id, NULL), FUSION_OK);
    assert_int_equal(
        fusion_store_user_set_disabled(f->store, "alice", true, NULL),
        FUSION_OK);
    assert_active_fails(f->store, id, now);
    assert_int_equal(
        fusion_store_user_set_disabled(f->store, "alice", false, NULL),
        FUSION_OK);
    assert_int_equal(fusion_store_token_active(f->store, id, now, &uid, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_store_user_remove(f->store, "alice", NULL),
                     FUSION_OK);
    assert_active_fails(f->store, id, now);
}

static void
stamp_ok(struct fusion_store *store, int64_t id,
         char out[FUSION_STORE_STAMP_LEN + 1])
{
    memset(out, 'x', FUSION_STORE_STAMP_LEN + 1);
    assert_int_equal(fusion_store_user_stamp(store, id, out, NULL), FUSION_OK);
    assert_int_equal(strlen(out), FUSION_STORE_STAMP_LEN);
    assert_int_equal(strspn(out, "0123456789abcdef"), FUSION_STORE_STAMP_LEN);
}

/* The SHA-256 of the stored hash, worked out here from the row. */
static void
expected_stamp(const char *path, const char *name, char *out)
{
    unsigned char md[32];
    unsigned int len = 0;
    const char *hash;
    sqlite3_stmt *stmt;
    sqlite3 *db;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT password_hash FROM users"
                                        " WHERE name = ?1",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    hash = (const char *)sqlite3_column_text(stmt, 0);
    assert_true(strncmp(hash, "$scrypt$", 8) == 0);
    assert_int_equal(
        EVP_Digest(hash, strlen(hash), md, &len, EVP_sha256(), NULL), 1);
    assert_int_equal(len, 32);
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

static void
test_user_stamp_follows_password(void **state)
{
    struct fixture *f = *state;
    char first[FUSION_STORE_STAMP_LEN + 1], again[FUSION_STORE_STAMP_LEN + 1];
    char expect[FUSION_STORE_STAMP_LEN + 1], bob[FUSION_STORE_STAMP_LEN + 1];
    char token[FUSION_STORE_TOKEN_MAX];
    struct fusion_store_token_spec spec = { .user = "alice", .params = &cheap };
    int64_t alice;

    add_user(f->store, "alice", "pw");
    add_user(f->store, "bob", "pw");
    alice = user_id(f->store, "alice");
    stamp_ok(f->store, alice, first);
    expected_stamp(f->path, "alice", expect);
    assert_string_equal(first, expect);
    /* Same password, other salt: another stamp for bob. */
    stamp_ok(f->store, user_id(f->store, "bob"), bob);
    assert_string_not_equal(first, bob);

    /* Stable while the password stays; tokens play no part. */
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, token, NULL, NULL),
        FUSION_OK);
    stamp_ok(f->store, alice, again);
    assert_string_equal(first, again);

    /* A new password, even the same one again, makes a new stamp. */
    assert_int_equal(
        fusion_store_user_set_password(f->store, "alice", "pw", &cheap, NULL),
        FUSION_OK);
    stamp_ok(f->store, alice, again);
    assert_string_not_equal(first, again);
    expected_stamp(f->path, "alice", expect);
    assert_string_equal(again, expect);
}

static void
test_user_stamp_unknown_or_disabled(void **state)
{
    struct fixture *f = *state;
    char out[FUSION_STORE_STAMP_LEN + 1];
    struct fusion_error err;
    int64_t alice;

    add_user(f->store, "alice", "pw");
    alice = user_id(f->store, "alice");
    assert_int_equal(fusion_store_user_stamp(f->store, alice + 1, out, &err),
                     FUSION_ERR_INVALID);
    assert_string_equal(err.message, "authentication failed");
    assert_int_equal(
        fusion_store_user_set_disabled(f->store, "alice", true, NULL),
        FUSION_OK);
    assert_int_equal(fusion_store_user_stamp(f->store, alice, out, &err),
                     FUSION_ERR_INVALID);
    assert_string_equal(err.message, "authentication failed");
    assert_int_equal(
        fusion_store_user_set_disabled(f->store, "alice", false, NULL),
        FUSION_OK);
    stamp_ok(f->store, alice, out);
}

static void
test_user_name(void **state)
{
    struct fixture *f = *state;
    char name[FUSION_STORE_MAX_NAME + 1], small[5];
    int64_t alice;

    add_user(f->store, "alice", "pw");
    alice = user_id(f->store, "alice");
    assert_int_equal(
        fusion_store_user_name(f->store, alice, name, sizeof(name), NULL),
        FUSION_OK);
    assert_string_equal(name, "alice");

    /* The name and its NUL must fit. */
    assert_int_equal(
        fusion_store_user_name(f->store, alice, small, sizeof(small), NULL),
        FUSION_ERR_LIMIT);
    assert_int_equal(fusion_store_user_name(f->store, alice, small, 0, NULL),
                     FUSION_ERR_LIMIT);
    assert_int_equal(fusion_store_user_name(f->store, alice, name, 6, NULL),
                     FUSION_OK);
    assert_string_equal(name, "alice");

    /* Disabled users keep their names, for the logs. */
    assert_int_equal(
        fusion_store_user_set_disabled(f->store, "alice", true, NULL),
        FUSION_OK);
    assert_int_equal(
        fusion_store_user_name(f->store, alice, name, sizeof(name), NULL),
        FUSION_OK);
    assert_int_equal(
        fusion_store_user_name(f->store, alice + 1, name, sizeof(name), NULL),
        FUSION_ERR_NOTFOUND);
}

/* Grants and groups */

static int
count_coll(void *ctx, const struct fusion_store_collection *c)
{
    (void)c;
    (*(int *)ctx)++;
    return 0;
}

static void
grant(struct fusion_store *store, const char *user, const char *group,
      const char *coll, unsigned access)
{
    struct fusion_store_grant g = {
        .user = user, .group = group, .collection = coll, .access = access
    };

    assert_int_equal(fusion_store_grant_add(store, &g, NULL), FUSION_OK);
}

static void
test_grant_direct(void **state)
{
    struct fixture *f = *state;
    int64_t alice;

    add_user(f->store, "alice", "pw");
    alice = user_id(f->store, "alice");
    assert_false(fusion_store_can(f->store, alice, COLL_A, FUSION_STORE_READ));
    grant(f->store, "alice", NULL, COLL_A, FUSION_STORE_READ);
    assert_true(fusion_store_can(f->store, alice, COLL_A, FUSION_STORE_READ));
    assert_true(fusion_store_can(f->store, alice, "alpha", FUSION_STORE_READ));
    assert_false(fusion_store_can(f->store, alice, COLL_A, FUSION_STORE_WRITE));
    assert_false(fusion_store_can(f->store, alice, COLL_B, FUSION_STORE_READ));
}

static void
test_grant_via_group(void **state)
{
    struct fixture *f = *state;
    int64_t bob;

    struct fusion_store_grant typo = { .group = "analyts",
                                       .collection = COLL_B,
                                       .access = FUSION_STORE_WRITE };

    add_user(f->store, "bob", "pw");
    bob = user_id(f->store, "bob");
    /* a group comes with its first member; a grant names one that exists */
    assert_int_equal(fusion_store_grant_add(f->store, &typo, NULL),
                     FUSION_ERR_NOTFOUND);
    assert_int_equal(
        fusion_store_group_add_member(f->store, "analysts", "bob", NULL),
        FUSION_OK);
    assert_false(fusion_store_can(f->store, bob, COLL_B, FUSION_STORE_WRITE));
    grant(f->store, NULL, "analysts", COLL_B, FUSION_STORE_WRITE);
    assert_true(fusion_store_can(f->store, bob, COLL_B, FUSION_STORE_WRITE));
    assert_int_equal(
        fusion_store_group_remove_member(f->store, "analysts", "bob", NULL),
        FUSION_OK);
    assert_false(fusion_store_can(f->store, bob, COLL_B, FUSION_STORE_WRITE));
    assert_int_equal(
        fusion_store_group_remove_member(f->store, "analysts", "bob", NULL),
        FUSION_ERR_NOTFOUND);
}

/* Every combination of direct and group grants against every request. */
static void
test_can_matrix(void **state)
{
    static const unsigned want[] = { FUSION_STORE_READ, FUSION_STORE_WRITE,
                                     FUSION_STORE_READ | FUSION_STORE_WRITE };
    struct fixture *f = *state;
    char name[16];
    unsigned held;
    int64_t uid;

    for (unsigned direct = 0; direct < 4; direct++) {
        for (unsigned group = 0; group < 4; group++) {
            snprintf(name, sizeof(name), "u%u%u", direct, group);
            add_user(f->store, name, "pw");
            uid = user_id(f->store, name);
            if (direct)
                grant(f->store, name, NULL, COLL_A, direct);
            if (group) {
                char gname[16];

                snprintf(gname, sizeof(gname), "g%u%u", direct, group);
                assert_int_equal(
                    fusion_store_group_add_member(f->store, gname, name, NULL),
                    FUSION_OK);
                grant(f->store, NULL, gname, COLL_A, group);
            }
            assert_int_equal(
                fusion_store_access(f->store, uid, COLL_A, &held, NULL),
                FUSION_OK);
            assert_int_equal(held, direct | group);
            for (size_t i = 0; i < 3; i++) {
                bool expect = ((direct | group) & want[i]) == want[i];

                assert_true(fusion_store_can(f->store, uid, COLL_A, want[i]) ==
                            expect);
                assert_false(fusion_store_can(f->store, uid, COLL_B, want[i]));
            }
            assert_false(fusion_store_can(f->store, uid, COLL_A, 0));
            assert_false(fusion_store_can(f->store, uid, "nope", 1));
        }
    }
}

static void
test_grant_revoke(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_grant g = { .user = "alice",
                                    .collection = COLL_A,
                                    .access = FUSION_STORE_WRITE };
    int64_t alice;

    add_user(f->store, "alice", "pw");
    alice = user_id(f->store, "alice");
    grant(f->store, "alice", NULL, COLL_A,
          FUSION_STORE_READ | FUSION_STORE_WRITE);
    assert_int_equal(fusion_store_grant_revoke(f->store, &g, NULL), FUSION_OK);
    assert_true(fusion_store_can(f->store, alice, COLL_A, FUSION_STORE_READ));
    assert_false(fusion_store_can(f->store, alice, COLL_A, FUSION_STORE_WRITE));
    assert_int_equal(fusion_store_grant_revoke(f->store, &g, NULL),
                     FUSION_ERR_NOTFOUND);
    g.access = FUSION_STORE_READ;
    assert_int_equal(fusion_store_grant_revoke(f->store, &g, NULL), FUSION_OK);
    assert_false(fusion_store_can(f->store, alice, COLL_A, FUSION_STORE_READ));
}

static void
test_grant_errors(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_grant g = { .user = "nobody",
                                    .collection = COLL_A,
                                    .access = FUSION_STORE_READ };

    add_user(f->store, "alice", "pw");
    assert_int_equal(fusion_store_grant_add(f->store, &g, NULL),
                     FUSION_ERR_NOTFOUND);
    g.user = "alice";
    g.collection = "nope";
    assert_int_equal(fusion_store_grant_add(f->store, &g, NULL),
                     FUSION_ERR_NOTFOUND);
    g.collection = COLL_A;
    g.group = "both";
    assert_int_equal(fusion_store_grant_add(f->store, &g, NULL),
                     FUSION_ERR_INVALID);
    g.group = NULL;
    g.access = 4;
    assert_int_equal(fusion_store_grant_add(f->store, &g, NULL),
                     FUSION_ERR_INVALID);
}

static void
test_grant_disabled_user_cannot(void **state)
{
    struct fixture *f = *state;
    int64_t alice;

    add_user(f->store, "alice", "pw");
    alice = user_id(f->store, "alice");
    grant(f->store, "alice", NULL, COLL_A, FUSION_STORE_READ);
    assert_int_equal(
        fusion_store_user_set_disabled(f->store, "alice", true, NULL),
        FUSION_OK);
    assert_false(fusion_store_can(f->store, alice, COLL_A, FUSION_STORE_READ));
}

static void
test_grant_gone_with_collection(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_collection c = { .id = COLL_A, .title = "A again" };
    int64_t alice;

    add_user(f->store, "alice", "pw");
    alice = user_id(f->store, "alice");
    grant(f->store, "alice", NULL, COLL_A, FUSION_STORE_READ);
    assert_int_equal(fusion_store_collection_remove(f->store, COLL_A, NULL),
                     FUSION_OK);
    assert_int_equal(fusion_store_collection_create(f->store, &c, NULL),
                     FUSION_OK);
    assert_false(fusion_store_can(f->store, alice, COLL_A, FUSION_STORE_READ));
}

/* Access bits in one call */

/* The access of uid on coll, which must be a known collection. */
static unsigned
access_of(struct fusion_store *store, int64_t uid, const char *coll)
{
    struct fusion_error err;
    unsigned held = 99;

    if (fusion_store_access(store, uid, coll, &held, &err))
        fail_msg("access: %s", err.message);
    return held;
}

static void
test_access_user_and_group_bits(void **state)
{
    struct fixture *f = *state;
    int64_t alice, bob;

    add_user(f->store, "alice", "pw");
    add_user(f->store, "bob", "pw");
    alice = user_id(f->store, "alice");
    bob = user_id(f->store, "bob");
    assert_int_equal(access_of(f->store, alice, COLL_A), 0);

    grant(f->store, "alice", NULL, COLL_A, FUSION_STORE_READ);
    assert_int_equal(access_of(f->store, alice, COLL_A), FUSION_STORE_READ);
    assert_int_equal(
        fusion_store_group_add_member(f->store, "writers", "alice", NULL),
        FUSION_OK);
    grant(f->store, NULL, "writers", COLL_A, FUSION_STORE_WRITE);
    assert_int_equal(access_of(f->store, alice, COLL_A),
                     FUSION_STORE_READ | FUSION_STORE_WRITE);

    /* Grants are per collection and per principal. */
    assert_int_equal(access_of(f->store, alice, COLL_B), 0);
    assert_int_equal(access_of(f->store, bob, COLL_A), 0);
    assert_int_equal(
        fusion_store_group_add_member(f->store, "writers", "bob", NULL),
        FUSION_OK);
    assert_int_equal(access_of(f->store, bob, COLL_A), FUSION_STORE_WRITE);
}

static void
test_access_by_alias(void **state)
{
    struct fixture *f = *state;
    int64_t alice;

    add_user(f->store, "alice", "pw");
    alice = user_id(f->store, "alice");
    grant(f->store, "alice", NULL, "alpha", FUSION_STORE_WRITE);
    assert_int_equal(access_of(f->store, alice, "alpha"), FUSION_STORE_WRITE);
    assert_int_equal(access_of(f->store, alice, COLL_A), FUSION_STORE_WRITE);
    assert_true(fusion_store_can(f->store, alice, "alpha", FUSION_STORE_WRITE));
}

static void
test_access_disabled_or_unknown_user(void **state)
{
    struct fixture *f = *state;
    int64_t alice;

    add_user(f->store, "alice", "pw");
    alice = user_id(f->store, "alice");
    assert_int_equal(
        fusion_store_group_add_member(f->store, "readers", "alice", NULL),
        FUSION_OK);
    grant(f->store, "alice", NULL, COLL_A, FUSION_STORE_WRITE);
    grant(f->store, NULL, "readers", COLL_A, FUSION_STORE_READ);
    assert_int_equal(
        fusion_store_user_set_disabled(f->store, "alice", true, NULL),
        FUSION_OK);
    /* Neither the user's own grant nor its group's count. */
    assert_int_equal(access_of(f->store, alice, COLL_A), 0);
    assert_int_equal(access_of(f->store, alice + 1, COLL_A), 0);
    assert_int_equal(access_of(f->store, 0, COLL_A), 0);
    assert_int_equal(
        fusion_store_user_set_disabled(f->store, "alice", false, NULL),
        FUSION_OK);
    assert_int_equal(access_of(f->store, alice, COLL_A),
                     FUSION_STORE_READ | FUSION_STORE_WRITE);
}

static void
test_access_unknown_collection_notfound(void **state)
{
    struct fixture *f = *state;
    struct fusion_error err;
    unsigned held = 99;
    int64_t alice;

    add_user(f->store, "alice", "pw");
    alice = user_id(f->store, "alice");
    grant(f->store, "alice", NULL, COLL_A, FUSION_STORE_READ);
    assert_int_equal(fusion_store_access(f->store, alice, "nope", &held, &err),
                     FUSION_ERR_NOTFOUND);
    assert_string_equal(err.message, "collection 'nope': not found");
    assert_int_equal(held, 99);
    assert_int_equal(fusion_store_access(f->store, alice, "", &held, NULL),
                     FUSION_ERR_NOTFOUND);
    /* The UUID is compared as given. */
    assert_int_equal(fusion_store_access(f->store, alice,
                                         "4A3D1F3E-4C7E-4F0B-8D2A-1B2C3D4E5F60",
                                         &held, NULL),
                     FUSION_ERR_NOTFOUND);
    assert_false(fusion_store_can(f->store, alice, "nope", FUSION_STORE_READ));
}

static int
count_statements(struct fusion_store *store)
{
    int n = 0;

    for (sqlite3_stmt *s = sqlite3_next_stmt(store->db, NULL); s;
         s = sqlite3_next_stmt(store->db, s))
        n++;
    return n;
}

static int
stmt_runs(struct fusion_store *store, enum store_stmt which)
{
    return sqlite3_stmt_status(store->stmts[which], SQLITE_STMTSTATUS_RUN, 0);
}

static void
test_access_plan_uses_keys(void **state)
{
    struct fixture *f = *state;
    char sql[4096], plan[4096] = "";
    const char *scan;
    sqlite3_stmt *stmt;

    snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s",
             sqlite3_sql(f->store->stmts[STMT_ACCESS]));
    assert_int_equal(sqlite3_prepare_v2(f->store->db, sql, -1, &stmt, NULL),
                     SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        size_t len = strlen(plan);

        snprintf(plan + len, sizeof(plan) - len, "%s\n",
                 (const char *)sqlite3_column_text(stmt, 3));
    }
    sqlite3_finalize(stmt);
    /* The one-row subquery of the collection is the only scan. */
    scan = strstr(plan, "SCAN");
    assert_non_null(scan);
    assert_true(strncmp(scan, "SCAN c\n", 7) == 0);
    assert_null(strstr(scan + 1, "SCAN"));
    assert_non_null(strstr(plan, "(uuid=?)"));
    assert_non_null(strstr(plan, "(alias=?)"));
    assert_non_null(strstr(plan, "group_members_user (user_id=?)"));
    assert_non_null(strstr(strstr(plan, "group_members_user"),
                           "SEARCH g USING PRIMARY KEY (collection_id=? AND "
                           "principal_kind=? AND principal_id=?)"));
}

/* The checks of a request run on statements prepared at open. */
static void
test_request_checks_keep_statements(void **state)
{
    enum {
        CALLS = 500
    };

    static const enum store_stmt used[] = {
        STMT_ACCESS,    STMT_TOKEN_ACTIVE, STMT_USER_STAMP,
        STMT_USER_NAME, STMT_COLL_GET,
    };
    struct fixture *f = *state;
    char token[FUSION_STORE_TOKEN_MAX], id[FUSION_STORE_TOKEN_ID_LEN + 1];
    char stamp[FUSION_STORE_STAMP_LEN + 1], name[FUSION_STORE_MAX_NAME + 1];
    struct fusion_store_token_spec spec = { .user = "alice", .params = &cheap };
    sqlite3_stmt *before[sizeof(used) / sizeof(used[0])];
    int runs[sizeof(used) / sizeof(used[0])];
    int64_t alice, uid = 0;
    int n, count = 0;

    add_user(f->store, "alice", "pw");
    alice = user_id(f->store, "alice");
    grant(f->store, "alice", NULL, COLL_A, FUSION_STORE_READ);
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, token, id, NULL), FUSION_OK);
    for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
        before[i] = f->store->stmts[used[i]];
        runs[i] = stmt_runs(f->store, used[i]);
    }
    n = count_statements(f->store);

    for (int i = 0; i < CALLS; i++) {
        assert_int_equal(fusion_store_token_active(f->store, id, 1, &uid, NULL),
                         FUSION_OK);
        assert_true(uid == alice);
        assert_int_equal(access_of(f->store, alice, COLL_A), FUSION_STORE_READ);
        assert_true(fusion_store_can(f->store, alice, "alpha", 1));
        assert_int_equal(fusion_store_user_stamp(f->store, alice, stamp, NULL),
                         FUSION_OK);
        assert_int_equal(
            fusion_store_user_name(f->store, alice, name, sizeof(name), NULL),
            FUSION_OK);
        assert_int_equal(fusion_store_collection_get(f->store, "alpha",
                                                     count_coll, &count, NULL),
                         FUSION_OK);
    }
    assert_int_equal(count, CALLS);
    assert_int_equal(count_statements(f->store), n);
    for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
        assert_ptr_equal(f->store->stmts[used[i]], before[i]);
        assert_true(stmt_runs(f->store, used[i]) - runs[i] >= CALLS);
        assert_false(sqlite3_stmt_busy(f->store->stmts[used[i]]));
    }
}

/* What a collection listing does for each collection it shows. */
struct nested {
    struct fusion_store *store;
    int64_t uid;
    unsigned held[2];
    int inner;
    size_t n;
};

static int
check_listed(void *ctx, const struct fusion_store_collection *c)
{
    struct nested *nc = ctx;

    assert_true(nc->n < 2);
    assert_int_equal(
        fusion_store_access(nc->store, nc->uid, c->id, &nc->held[nc->n], NULL),
        FUSION_OK);
    /* The statement of the outer call is busy; this one gets a copy. */
    assert_int_equal(fusion_store_collection_get(nc->store, c->id, count_coll,
                                                 &nc->inner, NULL),
                     FUSION_OK);
    nc->n++;
    return 0;
}

static void
test_access_from_inside_callback(void **state)
{
    struct fixture *f = *state;
    struct nested nc = { .store = f->store };
    int n;

    add_user(f->store, "alice", "pw");
    nc.uid = user_id(f->store, "alice");
    grant(f->store, "alice", NULL, COLL_B, FUSION_STORE_WRITE);
    n = count_statements(f->store);
    assert_int_equal(
        fusion_store_collection_list(f->store, check_listed, &nc, NULL),
        FUSION_OK);
    assert_int_equal(nc.n, 2);
    assert_int_equal(nc.inner, 2);
    /* Listed by id: COLL_A sorts first. */
    assert_int_equal(nc.held[0], 0);
    assert_int_equal(nc.held[1], FUSION_STORE_WRITE);
    nc.n = 0;
    assert_int_equal(
        fusion_store_collection_get(f->store, "alpha", check_listed, &nc, NULL),
        FUSION_OK);
    assert_int_equal(nc.inner, 3);
    assert_int_equal(count_statements(f->store), n);
}

static void
test_access_in_read_transaction(void **state)
{
    struct fixture *f = *state;
    char token[FUSION_STORE_TOKEN_MAX], id[FUSION_STORE_TOKEN_ID_LEN + 1];
    struct fusion_store_token_spec spec = { .user = "alice", .params = &cheap };
    struct fusion_store_grant g = { .user = "alice",
                                    .collection = COLL_B,
                                    .access = FUSION_STORE_READ };
    int64_t alice, uid = 0;
    int count = 0;

    add_user(f->store, "alice", "pw");
    alice = user_id(f->store, "alice");
    grant(f->store, "alice", NULL, COLL_A, FUSION_STORE_READ);
    assert_int_equal(
        fusion_store_token_create(f->store, &spec, token, id, NULL), FUSION_OK);

    for (int round = 0; round < 3; round++) {
        assert_int_equal(fusion_store_read_begin(f->store, NULL), FUSION_OK);
        assert_int_equal(fusion_store_token_active(f->store, id, 1, &uid, NULL),
                         FUSION_OK);
        assert_int_equal(access_of(f->store, uid, COLL_A), FUSION_STORE_READ);
        assert_int_equal(fusion_store_collection_get(f->store, COLL_A,
                                                     count_coll, &count, NULL),
                         FUSION_OK);
        assert_int_equal(
            fusion_store_user_verify(f->store, "alice", "pw", &uid, NULL),
            FUSION_OK);
        /* Account writes wait for the end of the read. */
        assert_int_equal(fusion_store_grant_add(f->store, &g, NULL),
                         FUSION_ERR_INVALID);
        assert_int_equal(
            fusion_store_user_add(f->store, "bob", "pw", &cheap, NULL),
            FUSION_ERR_INVALID);
        fusion_store_read_end(f->store);
    }
    assert_int_equal(count, 3);
    assert_int_equal(fusion_store_grant_add(f->store, &g, NULL), FUSION_OK);
    assert_int_equal(access_of(f->store, alice, COLL_B), FUSION_STORE_READ);
}

/* Migration */

static void
test_migration_from_schema_2_keeps_data(void **state)
{
    struct fixture *f = *state;
    struct fusion_store_stats st;
    int n = 0;
    int64_t id;

    fusion_store_close(f->store);
    f->store = NULL;
    exec_sql(f->path, "DROP TABLE users; DROP TABLE tokens;"
                      " DROP TABLE user_groups; DROP TABLE group_members;"
                      " DROP TABLE grants; DROP TABLE taxii_status;"
                      " DROP TABLE totals; PRAGMA user_version = 2;");
    assert_int_equal(
        fusion_store_open(f->path, FUSION_STORE_READONLY, &f->store, NULL),
        FUSION_ERR_UNSUPPORTED);
    assert_int_equal(fusion_store_open(f->path, 0, &f->store, NULL), FUSION_OK);
    assert_int_equal(fusion_store_stats(f->store, &st, NULL, NULL, NULL),
                     FUSION_OK);
    assert_int_equal(st.schema_version, fusion_store_schema_version());
    assert_int_equal(
        fusion_store_collection_list(f->store, count_coll, &n, NULL),
        FUSION_OK);
    assert_int_equal(n, 2);
    add_user(f->store, "alice", "pw");
    assert_int_equal(
        fusion_store_user_verify(f->store, "alice", "pw", &id, NULL),
        FUSION_OK);
}

static void
test_readonly_store_refuses_writes(void **state)
{
    struct fixture *f = *state;
    struct fusion_store *ro;
    int64_t id;

    add_user(f->store, "alice", "pw");
    assert_int_equal(
        fusion_store_open(f->path, FUSION_STORE_READONLY, &ro, NULL),
        FUSION_OK);
    assert_int_equal(fusion_store_user_add(ro, "bob", "pw", &cheap, NULL),
                     FUSION_ERR_INVALID);
    assert_int_equal(fusion_store_user_verify(ro, "alice", "pw", &id, NULL),
                     FUSION_OK);
    fusion_store_close(ro);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_user_verify_right_password),
        T(test_user_verify_wrong_and_unknown_alike),
        T(test_user_verify_no_users),
        T(test_user_disabled_cannot_login),
        T(test_user_add_rules),
        T(test_user_password_not_stored_in_clear),
        T(test_user_set_password),
        T(test_user_list_and_remove),
        T(test_token_create_verify),
        T(test_token_wrong_secret),
        T(test_token_revoke),
        T(test_token_expired),
        T(test_token_disabled_user),
        T(test_token_list),
        T(test_token_active),
        T(test_token_active_expiry),
        T(test_token_active_disabled_user),
        T(test_user_stamp_follows_password),
        T(test_user_stamp_unknown_or_disabled),
        T(test_user_name),
        T(test_grant_direct),
        T(test_grant_via_group),
        T(test_can_matrix),
        T(test_grant_revoke),
        T(test_grant_errors),
        T(test_grant_disabled_user_cannot),
        T(test_grant_gone_with_collection),
        T(test_access_user_and_group_bits),
        T(test_access_by_alias),
        T(test_access_disabled_or_unknown_user),
        T(test_access_unknown_collection_notfound),
        T(test_access_plan_uses_keys),
        T(test_request_checks_keep_statements),
        T(test_access_from_inside_callback),
        T(test_access_in_read_transaction),
        T(test_migration_from_schema_2_keeps_data),
        T(test_readonly_store_refuses_writes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
