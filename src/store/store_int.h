/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals shared by the SQLite store files: the schema steps and the
 * migration runner. Only src/store and its unit tests include this.
 */
#ifndef FUSION_STORE_INT_H
#define FUSION_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

/*
 * One schema step: the SQL that takes a store from version - 1 to
 * version. Steps are kept in an array ordered by version, starting at 1
 * with no gaps; the last one is the version this build writes.
 */
struct store_step {
    int version;
    const char *sql;
};

/* The steps of this build; *n_out receives their number. */
const struct store_step *store_schema_steps(size_t *n_out);

/* Reads PRAGMA user_version of db into *out. */
FUSION_NODISCARD enum fusion_err
store_schema_read_version(sqlite3 *db, int *out, struct fusion_error *err);

/*
 * Brings db up to the last of steps in one IMMEDIATE transaction: reads
 * user_version, runs every step above it in order and records the new
 * version. Nothing changes when a step fails (FUSION_ERR_DB). A store
 * newer than the last step is FUSION_ERR_UNSUPPORTED. *applied_out (may
 * be NULL) receives the number of steps run.
 */
FUSION_NODISCARD enum fusion_err
store_schema_migrate(sqlite3 *db, const struct store_step *steps, size_t nsteps,
                     size_t *applied_out, struct fusion_error *err);

#endif
