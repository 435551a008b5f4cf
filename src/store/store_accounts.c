/* SPDX-License-Identifier: Apache-2.0 */
/* Accounts of the SQLite store: users, tokens, groups and grants. */
#include "store/store.h"

#include <assert.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

/* Principal kinds in grants.principal_kind. */
#define KIND_USER  0
#define KIND_GROUP 1

#define TOKEN_PREFIX     "fusion_"
#define TOKEN_SECRET_LEN 32

#define ACCESS_ALL (FUSION_STORE_READ | FUSION_STORE_WRITE)

/* One message for every failed authentication, whatever the cause. */
#define AUTH_FAILED "authentication failed"

/* What account writes call themselves in messages. */
#define UPDATE_ACCOUNTS "update accounts"

/*
 * Groups that lost their last member and grant go, so a group exists
 * exactly while it means something.
 */
static const char prune_groups_sql[] =
    "DELETE FROM user_groups WHERE NOT EXISTS"
    " (SELECT 1 FROM group_members m WHERE m.group_id = user_groups.group_id)"
    " AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.principal_kind = 1"
    " AND g.principal_id = user_groups.group_id)";

static void
bind_params(sqlite3_stmt *stmt, const struct store_param *params, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int col = (int)i + 1;

        if (params[i].kind == STORE_PARAM_INT)
            sqlite3_bind_int64(stmt, col, params[i].num);
        else if (params[i].text)
            sqlite3_bind_text(stmt, col, params[i].text, -1, SQLITE_STATIC);
    }
}

/*
 * Runs one statement that returns no rows; *changes_out (may be NULL)
 * receives the rows it changed. A constraint failure is CONFLICT.
 */
static enum fusion_err
run_sql(struct fusion_store *store, const char *sql,
        const struct store_param *params, size_t n, int *changes_out,
        struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    int step;

    if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL))
        return store_db_fail(store->db, err, "prepare account statement");
    bind_params(stmt, params, n);
    step = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (step == SQLITE_CONSTRAINT)
        return fusion_error_set(err, FUSION_ERR_CONFLICT, "already exists");
    if (step != SQLITE_DONE)
        return store_db_fail(store->db, err, "update accounts");
    if (changes_out)
        *changes_out = sqlite3_changes(store->db);
    return FUSION_OK;
}

/*
 * Runs a query for one integer; *found_out tells whether a row came.
 */
static enum fusion_err
query_int(struct fusion_store *store, const char *sql,
          const struct store_param *params, size_t n, int64_t *out,
          bool *found_out, struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    int step;

    if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL))
        return store_db_fail(store->db, err, "prepare account query");
    bind_params(stmt, params, n);
    step = sqlite3_step(stmt);
    *found_out = step == SQLITE_ROW;
    if (step == SQLITE_ROW)
        *out = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return store_db_fail(store->db, err, "read accounts");
    return FUSION_OK;
}

static struct store_param
text_param(const char *text)
{
    return (struct store_param){ .kind = STORE_PARAM_TEXT, .text = text };
}

static struct store_param
int_param(int64_t num)
{
    return (struct store_param){ .kind = STORE_PARAM_INT, .num = num };
}

/*
 * A name must be usable as an HTTP Basic user-id (no ':', RFC 7617
 * section 2) and must not look like the CLI's @GROUP.
 */
static enum fusion_err
check_name(const char *name, const char *what, struct fusion_error *err)
{
    size_t len = name ? strlen(name) : 0;

    /*
     * A name is shown to people deciding who may read what: it must not
     * pass for another one (blank, padded) nor carry terminal controls.
     */
    if (len == 0 || len > FUSION_STORE_MAX_NAME || name[0] == '@' ||
        name[0] == ' ' || name[len - 1] == ' ' || strchr(name, ':') ||
        !fusion_text_is_printable(name, len))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "%s: malformed name (UTF-8 text without "
                                "control characters, ':' or a leading '@', "
                                "not starting or ending with a space)",
                                what);
    return FUSION_OK;
}

static enum fusion_err
check_password(const char *password, const char *what, struct fusion_error *err)
{
    size_t len = password ? strlen(password) : 0;

    if (len == 0)
        return fusion_error_set(err, FUSION_ERR_INVALID, "%s: empty password",
                                what);
    if (len > FUSION_STORE_MAX_PASSWORD)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "%s: password too long", what);
    return FUSION_OK;
}

static enum fusion_err
find_user(struct fusion_store *store, const char *name, int64_t *out,
          struct fusion_error *err)
{
    struct store_param p = text_param(name);
    enum fusion_err rc;
    bool found;

    rc = query_int(store, "SELECT user_id FROM users WHERE name = ?1", &p, 1,
                   out, &found, err);
    if (!rc && !found)
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND, "user '%s': not found",
                              name);
    return rc;
}

static enum fusion_err
find_group(struct fusion_store *store, const char *name, bool create,
           int64_t *out, struct fusion_error *err)
{
    struct store_param p = text_param(name);
    enum fusion_err rc = FUSION_OK;
    bool found;

    if (create)
        rc = run_sql(store,
                     "INSERT OR IGNORE INTO user_groups (name)"
                     " VALUES (?1)",
                     &p, 1, NULL, err);
    if (!rc)
        rc = query_int(store,
                       "SELECT group_id FROM user_groups"
                       " WHERE name = ?1",
                       &p, 1, out, &found, err);
    if (!rc && !found)
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND, "group '%s': not found",
                              name);
    return rc;
}

static enum fusion_err
find_collection_row(struct fusion_store *store, const char *id_or_alias,
                    int64_t *out, struct fusion_error *err)
{
    struct store_param p = text_param(id_or_alias);
    enum fusion_err rc;
    bool found;

    rc = query_int(store,
                   "SELECT collection_id FROM collections WHERE uuid = ?1"
                   " UNION ALL SELECT collection_id FROM collections"
                   " WHERE alias = ?1 LIMIT 1",
                   &p, 1, out, &found, err);
    if (!rc && !found)
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND,
                              "collection '%s': not found", id_or_alias);
    return rc;
}

enum fusion_err
fusion_store_user_add(struct fusion_store *store, const char *name,
                      const char *password,
                      const struct fusion_secret_params *params,
                      struct fusion_error *err)
{
    char hash[FUSION_SECRET_HASH_MAX];
    struct store_param p[3];
    enum fusion_err rc;

    assert(store);
    rc = store_check_write(store, "add user", err);
    if (!rc)
        rc = check_name(name, "add user", err);
    if (!rc)
        rc = check_password(password, "add user", err);
    if (!rc)
        rc = fusion_secret_hash(password, strlen(password), params, hash, err);
    if (rc)
        return rc;
    p[0] = text_param(name);
    p[1] = text_param(hash);
    p[2] = int_param(fusion_time_now_ns());
    rc = run_sql(store,
                 "INSERT INTO users (name, password_hash, created)"
                 " VALUES (?1, ?2, ?3)",
                 p, 3, NULL, err);
    if (rc == FUSION_ERR_CONFLICT)
        rc = fusion_error_set(err, rc, "add user '%s': name taken", name);
    return rc;
}

/*
 * Ends a listing: finalizes stmt, then passes back the callback's stop
 * value, or the database error that ended the steps early.
 */
static enum fusion_err
list_done(struct fusion_store *store, sqlite3_stmt *stmt, int step, int stop,
          const char *what, struct fusion_error *err)
{
    sqlite3_finalize(stmt);
    if (stop)
        return (enum fusion_err)stop;
    if (step != SQLITE_DONE)
        return store_db_fail(store->db, err, "%s", what);
    return FUSION_OK;
}

enum fusion_err
fusion_store_user_list(struct fusion_store *store, fusion_store_user_fn fn,
                       void *ctx, struct fusion_error *err)
{
    struct fusion_store_user user;
    sqlite3_stmt *stmt;
    int step, stop = 0;

    assert(store && fn);
    if (sqlite3_prepare_v2(store->db,
                           "SELECT user_id, name, created, disabled"
                           " FROM users ORDER BY name",
                           -1, &stmt, NULL))
        return store_db_fail(store->db, err, "list users");
    while (!stop && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
        user.id = sqlite3_column_int64(stmt, 0);
        user.name = (const char *)sqlite3_column_text(stmt, 1);
        user.created = sqlite3_column_int64(stmt, 2);
        user.disabled = sqlite3_column_int(stmt, 3) != 0;
        if (!user.name) {
            sqlite3_finalize(stmt);
            return fusion_error_set(err, FUSION_ERR_NOMEM,
                                    "list users: out of memory");
        }
        stop = fn(ctx, &user);
    }
    return list_done(store, stmt, step, stop, "list users", err);
}

enum fusion_err
fusion_store_user_id(struct fusion_store *store, const char *name,
                     int64_t *id_out, struct fusion_error *err)
{
    assert(store && name && id_out);
    return find_user(store, name, id_out, err);
}

enum fusion_err
fusion_store_user_name(struct fusion_store *store, int64_t user_id, char *out,
                       size_t outlen, struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    const char *name;
    enum fusion_err rc = FUSION_OK;
    size_t len;
    int step;

    assert(store && out);
    rc = store_stmt_borrow(store, STMT_USER_NAME, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, user_id);
    step = sqlite3_step(stmt);
    name =
        step == SQLITE_ROW ? (const char *)sqlite3_column_text(stmt, 0) : NULL;
    len = name ? strlen(name) : 0;
    if (step == SQLITE_DONE)
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND,
                              "user %" PRId64 ": not found", user_id);
    else if (step != SQLITE_ROW)
        rc = store_db_fail(store->db, err, "user name");
    else if (!name)
        rc =
            fusion_error_set(err, FUSION_ERR_NOMEM, "user name: out of memory");
    else if (len >= outlen)
        rc = fusion_error_set(err, FUSION_ERR_LIMIT,
                              "user %" PRId64 ": name longer than %zu bytes",
                              user_id, outlen ? outlen - 1 : 0);
    else
        memcpy(out, name, len + 1);
    store_stmt_return(store, STMT_USER_NAME, stmt);
    return rc;
}

static enum fusion_err
delete_user(struct fusion_store *store, int64_t user_id,
            struct fusion_error *err)
{
    static const char *const sql[] = {
        "DELETE FROM grants WHERE principal_kind = 0 AND principal_id = ?1",
        "DELETE FROM group_members WHERE user_id = ?1",
        "DELETE FROM tokens WHERE user_id = ?1",
        "DELETE FROM users WHERE user_id = ?1",
    };
    struct store_param p = int_param(user_id);
    enum fusion_err rc = FUSION_OK;

    for (size_t i = 0; !rc && i < sizeof(sql) / sizeof(sql[0]); i++)
        rc = run_sql(store, sql[i], &p, 1, NULL, err);
    if (!rc)
        rc = run_sql(store, prune_groups_sql, NULL, 0, NULL, err);
    return rc;
}

enum fusion_err
fusion_store_user_remove(struct fusion_store *store, const char *name,
                         struct fusion_error *err)
{
    enum fusion_err rc;
    int64_t user_id;
    bool own;

    assert(store && name);
    rc = store_check_write(store, "remove user", err);
    if (!rc)
        rc = store_own_begin(store, &own, UPDATE_ACCOUNTS, err);
    if (rc)
        return rc;
    rc = find_user(store, name, &user_id, err);
    if (!rc)
        rc = delete_user(store, user_id, err);
    return store_own_end(store, own, rc, UPDATE_ACCOUNTS, err);
}

/* Runs an UPDATE of one user's row; NOTFOUND when no row matched. */
static enum fusion_err
update_user(struct fusion_store *store, const char *sql,
            const struct store_param *params, size_t n, const char *name,
            struct fusion_error *err)
{
    enum fusion_err rc;
    int changes = 0;

    rc = run_sql(store, sql, params, n, &changes, err);
    if (!rc && changes == 0)
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND, "user '%s': not found",
                              name);
    return rc;
}

enum fusion_err
fusion_store_user_set_password(struct fusion_store *store, const char *name,
                               const char *password,
                               const struct fusion_secret_params *params,
                               struct fusion_error *err)
{
    char hash[FUSION_SECRET_HASH_MAX];
    struct store_param p[2];
    enum fusion_err rc;

    assert(store && name);
    rc = store_check_write(store, "set password", err);
    if (!rc)
        rc = check_password(password, "set password", err);
    if (!rc)
        rc = fusion_secret_hash(password, strlen(password), params, hash, err);
    if (rc)
        return rc;
    p[0] = text_param(name);
    p[1] = text_param(hash);
    return update_user(store,
                       "UPDATE users SET password_hash = ?2 WHERE name = ?1", p,
                       2, name, err);
}

enum fusion_err
fusion_store_user_set_disabled(struct fusion_store *store, const char *name,
                               bool disabled, struct fusion_error *err)
{
    struct store_param p[2];
    enum fusion_err rc;

    assert(store && name);
    rc = store_check_write(store, "disable user", err);
    if (rc)
        return rc;
    p[0] = text_param(name);
    p[1] = int_param(disabled);
    return update_user(store, "UPDATE users SET disabled = ?2 WHERE name = ?1",
                       p, 2, name, err);
}

/*
 * The row of user name: id, hash and disabled flag. For an unknown name
 * it is the hash of the newest user with found false, so that the
 * caller spends a hash computation of the same cost either way.
 */
struct login_row {
    int64_t id;
    char hash[FUSION_SECRET_HASH_MAX];
    bool disabled;
    bool found;
};

static enum fusion_err
read_login(struct fusion_store *store, const char *name, struct login_row *out,
           struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    const char *hash;
    int step;

    if (sqlite3_prepare_v2(store->db,
                           "SELECT user_id, password_hash, disabled, 1"
                           " FROM users WHERE name = ?1"
                           " UNION ALL SELECT * FROM (SELECT user_id,"
                           " password_hash, 1, 0 FROM users"
                           " ORDER BY user_id DESC LIMIT 1)"
                           " ORDER BY 4 DESC LIMIT 1",
                           -1, &stmt, NULL))
        return store_db_fail(store->db, err, "verify password");
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    step = sqlite3_step(stmt);
    memset(out, 0, sizeof(*out));
    if (step == SQLITE_ROW) {
        out->id = sqlite3_column_int64(stmt, 0);
        hash = (const char *)sqlite3_column_text(stmt, 1);
        snprintf(out->hash, sizeof(out->hash), "%s", hash ? hash : "");
        out->disabled = sqlite3_column_int(stmt, 2) != 0;
        out->found = sqlite3_column_int(stmt, 3) != 0;
    }
    sqlite3_finalize(stmt);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return store_db_fail(store->db, err, "verify password");
    return FUSION_OK;
}

enum fusion_err
fusion_store_user_verify(struct fusion_store *store, const char *name,
                         const char *password, int64_t *id_out,
                         struct fusion_error *err)
{
    struct login_row row;
    enum fusion_err rc;
    bool match = false;

    assert(store && name && password && id_out);
    rc = read_login(store, name, &row, err);
    if (rc)
        return rc;
    /* A store with no user at all has no name to give away. */
    if (row.hash[0] && strlen(password) <= FUSION_STORE_MAX_PASSWORD) {
        rc = fusion_secret_verify(password, strlen(password), row.hash, &match,
                                  err);
        if (rc && rc != FUSION_ERR_INVALID)
            return rc;
    }
    if (!match || !row.found || row.disabled)
        return fusion_error_set(err, FUSION_ERR_INVALID, AUTH_FAILED);
    *id_out = row.id;
    return FUSION_OK;
}

/* Writes the SHA-256 of text as 64 lowercase hex digits and a NUL. */
static enum fusion_err
sha256_hex(const char *text, char *out, struct fusion_error *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    if (!EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL) ||
        len * 2 != FUSION_STORE_STAMP_LEN)
        return fusion_error_set(err, FUSION_ERR_INTERNAL,
                                "user stamp: SHA-256 failed");
    for (unsigned int i = 0; i < len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[FUSION_STORE_STAMP_LEN] = '\0';
    return FUSION_OK;
}

enum fusion_err
fusion_store_user_stamp(struct fusion_store *store, int64_t user_id,
                        char out[FUSION_STORE_STAMP_LEN + 1],
                        struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    const char *hash;
    enum fusion_err rc;
    int step;

    assert(store && out);
    rc = store_stmt_borrow(store, STMT_USER_STAMP, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(stmt, 1, user_id);
    step = sqlite3_step(stmt);
    hash =
        step == SQLITE_ROW ? (const char *)sqlite3_column_text(stmt, 0) : NULL;
    if (step == SQLITE_DONE)
        rc = fusion_error_set(err, FUSION_ERR_INVALID, AUTH_FAILED);
    else if (step != SQLITE_ROW)
        rc = store_db_fail(store->db, err, "user stamp");
    else if (!hash)
        rc = fusion_error_set(err, FUSION_ERR_NOMEM,
                              "user stamp: out of memory");
    else
        rc = sha256_hex(hash, out, err);
    store_stmt_return(store, STMT_USER_STAMP, stmt);
    return rc;
}

static enum fusion_err
check_label(const char *label, struct fusion_error *err)
{
    size_t len = label ? strlen(label) : 0;

    if (len > FUSION_STORE_MAX_LABEL)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "create token: label too long");
    if (!fusion_text_is_printable(label ? label : "", len))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "create token: the label must be UTF-8 text "
                                "without control characters");
    return FUSION_OK;
}

/* A new token's id, text and hash; the secret itself is not kept. */
struct new_token {
    char id[FUSION_STORE_TOKEN_ID_LEN + 1];
    char text[FUSION_STORE_TOKEN_MAX];
    char hash[FUSION_SECRET_HASH_MAX];
};

static enum fusion_err
make_token(const struct fusion_secret_params *params, struct new_token *t,
           struct fusion_error *err)
{
    static const struct fusion_secret_params token_params = {
        .log2_n = FUSION_SECRET_TOKEN_LOG2_N, .r = 8, .p = 1
    };
    unsigned char id[FUSION_STORE_TOKEN_ID_LEN / 2], secret[TOKEN_SECRET_LEN];
    char secret_text[FUSION_BASE64URL_LEN(TOKEN_SECRET_LEN) + 1];
    enum fusion_err rc;

    rc = fusion_secret_random(id, sizeof(id), err);
    if (!rc)
        rc = fusion_secret_random(secret, sizeof(secret), err);
    if (!rc)
        rc = fusion_secret_hash(secret, sizeof(secret),
                                params ? params : &token_params, t->hash, err);
    if (!rc) {
        for (size_t i = 0; i < sizeof(id); i++)
            snprintf(t->id + 2 * i, 3, "%02x", id[i]);
        fusion_base64url_encode(secret, sizeof(secret), secret_text);
        snprintf(t->text, sizeof(t->text), TOKEN_PREFIX "%s_%s", t->id,
                 secret_text);
    }
    memset(secret, 0, sizeof(secret));
    memset(secret_text, 0, sizeof(secret_text));
    return rc;
}

enum fusion_err
fusion_store_token_create(struct fusion_store *store,
                          const struct fusion_store_token_spec *spec,
                          char *token_out, char *id_out,
                          struct fusion_error *err)
{
    struct new_token t;
    struct store_param p[6];
    enum fusion_err rc;
    int64_t user_id;

    assert(store && spec && token_out);
    rc = store_check_write(store, "create token", err);
    if (!rc)
        rc = check_label(spec->label, err);
    if (!rc && !spec->user)
        rc = fusion_error_set(err, FUSION_ERR_INVALID, "create token: no user");
    if (!rc)
        rc = find_user(store, spec->user, &user_id, err);
    if (!rc)
        rc = make_token(spec->params, &t, err);
    if (rc)
        return rc;
    p[0] = text_param(t.id);
    p[1] = int_param(user_id);
    p[2] = text_param(t.hash);
    p[3] = int_param(fusion_time_now_ns());
    p[4] = spec->expires ? int_param(spec->expires) : text_param(NULL);
    p[5] = text_param(spec->label ? spec->label : "");
    rc = run_sql(store,
                 "INSERT INTO tokens (token_id, user_id, secret_hash, created,"
                 " expires, label) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                 p, 6, NULL, err);
    if (!rc) {
        memcpy(token_out, t.text, sizeof(t.text));
        if (id_out)
            memcpy(id_out, t.id, sizeof(t.id));
    }
    memset(&t, 0, sizeof(t));
    return rc;
}

enum fusion_err
fusion_store_token_list(struct fusion_store *store, const char *user,
                        fusion_store_token_fn fn, void *ctx,
                        struct fusion_error *err)
{
    struct fusion_store_token tok;
    sqlite3_stmt *stmt;
    enum fusion_err rc;
    int64_t user_id;
    int step, stop = 0;

    assert(store && fn);
    if (user) {
        rc = find_user(store, user, &user_id, err);
        if (rc)
            return rc;
    }
    if (sqlite3_prepare_v2(store->db,
                           "SELECT t.token_id, u.name, t.label, t.created,"
                           " coalesce(t.expires, 0), t.revoked FROM tokens t"
                           " JOIN users u ON u.user_id = t.user_id"
                           " WHERE ?1 IS NULL OR u.name = ?1"
                           " ORDER BY u.name, t.created, t.token_id",
                           -1, &stmt, NULL))
        return store_db_fail(store->db, err, "list tokens");
    if (user)
        sqlite3_bind_text(stmt, 1, user, -1, SQLITE_STATIC);
    while (!stop && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
        tok.id = (const char *)sqlite3_column_text(stmt, 0);
        tok.user = (const char *)sqlite3_column_text(stmt, 1);
        tok.label = (const char *)sqlite3_column_text(stmt, 2);
        tok.created = sqlite3_column_int64(stmt, 3);
        tok.expires = sqlite3_column_int64(stmt, 4);
        tok.revoked = sqlite3_column_int(stmt, 5) != 0;
        if (!tok.id || !tok.user || !tok.label) {
            sqlite3_finalize(stmt);
            return fusion_error_set(err, FUSION_ERR_NOMEM,
                                    "list tokens: out of memory");
        }
        stop = fn(ctx, &tok);
    }
    return list_done(store, stmt, step, stop, "list tokens", err);
}

enum fusion_err
fusion_store_token_revoke(struct fusion_store *store, const char *id,
                          struct fusion_error *err)
{
    struct store_param p = text_param(id);
    enum fusion_err rc;
    int changes = 0;

    assert(store && id);
    rc = store_check_write(store, "revoke token", err);
    if (!rc)
        rc = run_sql(store, "UPDATE tokens SET revoked = 1 WHERE token_id = ?1",
                     &p, 1, &changes, err);
    if (!rc && changes == 0)
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND, "token '%s': not found",
                              id);
    return rc;
}

/*
 * Splits fusion_<id>_<secret> into the id (16 lowercase hex digits) and
 * the 32 secret bytes. The secret's alphabet has '_' too, so the id ends
 * at the first one after the prefix.
 */
static bool
parse_token(const char *token, char *id, unsigned char *secret)
{
    const char *p;
    size_t len;

    if (strncmp(token, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1) != 0)
        return false;
    p = token + sizeof(TOKEN_PREFIX) - 1;
    for (size_t i = 0; i < FUSION_STORE_TOKEN_ID_LEN; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return false;
    }
    if (p[FUSION_STORE_TOKEN_ID_LEN] != '_')
        return false;
    memcpy(id, p, FUSION_STORE_TOKEN_ID_LEN);
    id[FUSION_STORE_TOKEN_ID_LEN] = '\0';
    p += FUSION_STORE_TOKEN_ID_LEN + 1;
    return !fusion_base64url_decode(p, strlen(p), secret, TOKEN_SECRET_LEN,
                                    &len) &&
           len == TOKEN_SECRET_LEN;
}

enum fusion_err
fusion_store_token_verify(struct fusion_store *store, const char *token,
                          int64_t *user_id_out, struct fusion_error *err)
{
    char id[FUSION_STORE_TOKEN_ID_LEN + 1];
    unsigned char secret[TOKEN_SECRET_LEN];
    char hash[FUSION_SECRET_HASH_MAX] = "";
    sqlite3_stmt *stmt;
    enum fusion_err rc = FUSION_OK;
    int64_t user_id = 0;
    bool usable = false, match = false;
    int step;

    assert(store && token && user_id_out);
    if (!parse_token(token, id, secret))
        return fusion_error_set(err, FUSION_ERR_INVALID, AUTH_FAILED);
    rc = store_stmt_borrow(store, STMT_TOKEN_VERIFY, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, fusion_time_now_ns());
    step = sqlite3_step(stmt);
    if (step == SQLITE_ROW && sqlite3_column_text(stmt, 1)) {
        usable = true;
        user_id = sqlite3_column_int64(stmt, 0);
        snprintf(hash, sizeof(hash), "%s",
                 (const char *)sqlite3_column_text(stmt, 1));
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = store_db_fail(store->db, err, "verify token");
    store_stmt_return(store, STMT_TOKEN_VERIFY, stmt);
    if (!rc && usable)
        rc = fusion_secret_verify(secret, sizeof(secret), hash, &match, err);
    memset(secret, 0, sizeof(secret));
    if (rc && rc != FUSION_ERR_INVALID)
        return rc;
    if (!match)
        return fusion_error_set(err, FUSION_ERR_INVALID, AUTH_FAILED);
    *user_id_out = user_id;
    return FUSION_OK;
}

enum fusion_err
fusion_store_token_active(struct fusion_store *store, const char *token_id,
                          int64_t now, int64_t *user_id_out,
                          struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    enum fusion_err rc;
    int step;

    assert(store && token_id && user_id_out);
    rc = store_stmt_borrow(store, STMT_TOKEN_ACTIVE, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_text(stmt, 1, token_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, now);
    step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        *user_id_out = sqlite3_column_int64(stmt, 0);
    else if (step == SQLITE_DONE)
        rc = fusion_error_set(err, FUSION_ERR_INVALID, AUTH_FAILED);
    else
        rc = store_db_fail(store->db, err, "check token");
    store_stmt_return(store, STMT_TOKEN_ACTIVE, stmt);
    return rc;
}

static enum fusion_err
add_member(struct fusion_store *store, const char *group, const char *user,
           struct fusion_error *err)
{
    struct store_param p[2];
    int64_t user_id, group_id;
    enum fusion_err rc;

    rc = find_user(store, user, &user_id, err);
    if (!rc)
        rc = find_group(store, group, true, &group_id, err);
    if (rc)
        return rc;
    p[0] = int_param(group_id);
    p[1] = int_param(user_id);
    return run_sql(store,
                   "INSERT OR IGNORE INTO group_members (group_id, user_id)"
                   " VALUES (?1, ?2)",
                   p, 2, NULL, err);
}

enum fusion_err
fusion_store_group_add_member(struct fusion_store *store, const char *group,
                              const char *user, struct fusion_error *err)
{
    enum fusion_err rc;
    bool own;

    assert(store && user);
    rc = store_check_write(store, "add group member", err);
    if (!rc)
        rc = check_name(group, "add group member", err);
    if (!rc)
        rc = store_own_begin(store, &own, UPDATE_ACCOUNTS, err);
    if (rc)
        return rc;
    return store_own_end(store, own, add_member(store, group, user, err),
                         UPDATE_ACCOUNTS, err);
}

static enum fusion_err
remove_member(struct fusion_store *store, const char *group, const char *user,
              struct fusion_error *err)
{
    struct store_param p[2];
    int64_t user_id, group_id;
    enum fusion_err rc;
    int changes = 0;

    rc = find_user(store, user, &user_id, err);
    if (!rc)
        rc = find_group(store, group, false, &group_id, err);
    if (rc)
        return rc;
    p[0] = int_param(group_id);
    p[1] = int_param(user_id);
    rc = run_sql(store,
                 "DELETE FROM group_members WHERE group_id = ?1"
                 " AND user_id = ?2",
                 p, 2, &changes, err);
    if (!rc && changes == 0)
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND,
                              "user '%s' is not in group '%s'", user, group);
    if (!rc)
        rc = run_sql(store, prune_groups_sql, NULL, 0, NULL, err);
    return rc;
}

enum fusion_err
fusion_store_group_remove_member(struct fusion_store *store, const char *group,
                                 const char *user, struct fusion_error *err)
{
    enum fusion_err rc;
    bool own;

    assert(store && group && user);
    rc = store_check_write(store, "remove group member", err);
    if (!rc)
        rc = store_own_begin(store, &own, UPDATE_ACCOUNTS, err);
    if (rc)
        return rc;
    return store_own_end(store, own, remove_member(store, group, user, err),
                         UPDATE_ACCOUNTS, err);
}

static enum fusion_err
check_grant(const struct fusion_store_grant *g, struct fusion_error *err)
{
    if (!g->user == !g->group)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "grant: name a user or a group");
    if (!g->collection)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "grant: no collection");
    if (!g->access || (g->access & ~(unsigned)ACCESS_ALL))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "grant: unknown access");
    return FUSION_OK;
}

/*
 * The grant key of g: collection row id, principal kind and id. A
 * group is created when create is set.
 */
static enum fusion_err
grant_key(struct fusion_store *store, const struct fusion_store_grant *g,
          bool create, struct store_param *key, struct fusion_error *err)
{
    int64_t coll, principal;
    enum fusion_err rc;

    rc = find_collection_row(store, g->collection, &coll, err);
    if (!rc && g->user)
        rc = find_user(store, g->user, &principal, err);
    else if (!rc)
        rc = find_group(store, g->group, create, &principal, err);
    if (rc)
        return rc;
    key[0] = int_param(coll);
    key[1] = int_param(g->user ? KIND_USER : KIND_GROUP);
    key[2] = int_param(principal);
    key[3] = int_param(g->access);
    return FUSION_OK;
}

enum fusion_err
fusion_store_grant_add(struct fusion_store *store,
                       const struct fusion_store_grant *g,
                       struct fusion_error *err)
{
    struct store_param key[4];
    enum fusion_err rc;
    bool own;

    assert(store && g);
    rc = store_check_write(store, "grant", err);
    if (!rc)
        rc = check_grant(g, err);
    if (!rc && g->group)
        rc = check_name(g->group, "grant", err);
    if (!rc)
        rc = store_own_begin(store, &own, UPDATE_ACCOUNTS, err);
    if (rc)
        return rc;
    /*
     * A grant names an existing group: one made up by a typo would
     * silently grant nothing to anybody (groups come with members).
     */
    rc = grant_key(store, g, false, key, err);
    if (!rc)
        rc = run_sql(store,
                     "INSERT INTO grants (collection_id, principal_kind,"
                     " principal_id, access) VALUES (?1, ?2, ?3, ?4)"
                     " ON CONFLICT (collection_id, principal_kind,"
                     " principal_id) DO UPDATE SET access = access | ?4",
                     key, 4, NULL, err);
    return store_own_end(store, own, rc, UPDATE_ACCOUNTS, err);
}

static enum fusion_err
revoke_grant(struct fusion_store *store, const struct fusion_store_grant *g,
             struct fusion_error *err)
{
    struct store_param key[4];
    enum fusion_err rc;
    int changes = 0;

    rc = grant_key(store, g, false, key, err);
    if (!rc)
        rc = run_sql(store,
                     "UPDATE grants SET access = access & ~?4"
                     " WHERE collection_id = ?1 AND principal_kind = ?2"
                     " AND principal_id = ?3 AND (access & ?4) != 0",
                     key, 4, &changes, err);
    if (!rc && changes == 0)
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND,
                              "grant: nothing of it was granted");
    if (!rc)
        rc = run_sql(store, "DELETE FROM grants WHERE access = 0", NULL, 0,
                     NULL, err);
    if (!rc)
        rc = run_sql(store, prune_groups_sql, NULL, 0, NULL, err);
    return rc;
}

enum fusion_err
fusion_store_grant_revoke(struct fusion_store *store,
                          const struct fusion_store_grant *g,
                          struct fusion_error *err)
{
    enum fusion_err rc;
    bool own;

    assert(store && g);
    rc = store_check_write(store, "revoke grant", err);
    if (!rc)
        rc = check_grant(g, err);
    if (!rc)
        rc = store_own_begin(store, &own, UPDATE_ACCOUNTS, err);
    if (rc)
        return rc;
    return store_own_end(store, own, revoke_grant(store, g, err),
                         UPDATE_ACCOUNTS, err);
}

enum fusion_err
fusion_store_access(struct fusion_store *store, int64_t user_id,
                    const char *collection, unsigned *access_out,
                    struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    enum fusion_err rc;
    int step;

    assert(store && collection && access_out);
    rc = store_stmt_borrow(store, STMT_ACCESS, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_text(stmt, 1, collection, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, user_id);
    step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        *access_out = (unsigned)sqlite3_column_int64(stmt, 0) & ACCESS_ALL;
    else if (step == SQLITE_DONE)
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND,
                              "collection '%s': not found", collection);
    else
        rc = store_db_fail(store->db, err, "access to collection '%s'",
                           collection);
    store_stmt_return(store, STMT_ACCESS, stmt);
    return rc;
}

/*
 * Read through a group and write through the user's own grant together
 * allow both: the bits are combined before the test.
 */
bool
fusion_store_can(struct fusion_store *store, int64_t user_id,
                 const char *collection, unsigned access)
{
    unsigned held = 0;

    assert(store && collection);
    if (!access || (access & ~(unsigned)ACCESS_ALL))
        return false;
    if (fusion_store_access(store, user_id, collection, &held, NULL))
        return false;
    return (held & access) == access;
}
