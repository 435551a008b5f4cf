/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TAXII status resources in the SQLite store (TAXII 2.1 section 4.3),
 * kept as the server wrote them so that GET status/{id}/ hands them back
 * as they were.
 */
#include "store/store.h"

#include <assert.h>

#include "store/store_int.h"

enum fusion_err
fusion_store_status_put(struct fusion_store *store, const char *id,
                        int64_t created, const char *json, size_t len,
                        struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    enum fusion_err rc;
    bool own;

    assert(store && id && json);
    rc = store_check_write(store, "put status", err);
    if (rc)
        return rc;
    if (!store_is_lower_uuid(id))
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "put status: id is not a UUID in lower case");
    if (len == 0)
        return fusion_error_set(err, FUSION_ERR_INVALID,
                                "put status '%s': empty", id);
    if (len > INT32_MAX)
        return fusion_error_set(err, FUSION_ERR_LIMIT,
                                "put status '%s': %zu bytes is too large", id,
                                len);
    rc = store_own_begin(store, &own, "put status", err);
    if (rc)
        return rc;
    rc = store_stmt_borrow(store, STMT_STATUS_PUT, &stmt, err);
    if (rc)
        return store_own_end(store, own, rc, "put status", err);
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, created);
    sqlite3_bind_text(stmt, 3, json, (int)len, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        rc = store_db_fail(store->db, err, "put status '%s'", id);
    store_stmt_return(store, STMT_STATUS_PUT, stmt);
    return store_own_end(store, own, rc, "put status", err);
}

enum fusion_err
fusion_store_status_get(struct fusion_store *store, const char *id,
                        fusion_store_status_fn fn, void *ctx,
                        struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    const char *json;
    enum fusion_err rc = FUSION_OK;
    int step;

    assert(store && id && fn);
    rc = store_stmt_borrow(store, STMT_STATUS_GET, &stmt, err);
    if (rc)
        return rc;
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        json = (const char *)sqlite3_column_text(stmt, 0);
        if (json)
            rc = (enum fusion_err)fn(ctx, json,
                                     (size_t)sqlite3_column_bytes(stmt, 0));
        else
            rc = fusion_error_set(err, FUSION_ERR_NOMEM,
                                  "get status '%s': out of memory", id);
    } else if (step == SQLITE_DONE) {
        rc = fusion_error_set(err, FUSION_ERR_NOTFOUND,
                              "status '%s': not found", id);
    } else {
        rc = store_db_fail(store->db, err, "get status '%s'", id);
    }
    store_stmt_return(store, STMT_STATUS_GET, stmt);
    return rc;
}

enum fusion_err
fusion_store_status_purge(struct fusion_store *store, int64_t created_before,
                          uint64_t *removed, struct fusion_error *err)
{
    sqlite3_stmt *stmt;
    enum fusion_err rc;
    uint64_t count = 0;
    bool own;

    assert(store);
    rc = store_check_write(store, "purge statuses", err);
    if (!rc)
        rc = store_own_begin(store, &own, "purge statuses", err);
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(store->db,
                           "DELETE FROM taxii_status WHERE created < ?1", -1,
                           &stmt, NULL)) {
        rc = store_db_fail(store->db, err, "purge statuses");
        return store_own_end(store, own, rc, "purge statuses", err);
    }
    sqlite3_bind_int64(stmt, 1, created_before);
    if (sqlite3_step(stmt) == SQLITE_DONE)
        count = (uint64_t)sqlite3_changes(store->db);
    else
        rc = store_db_fail(store->db, err, "purge statuses");
    sqlite3_finalize(stmt);
    rc = store_own_end(store, own, rc, "purge statuses", err);
    if (!rc && removed)
        *removed = count;
    return rc;
}
