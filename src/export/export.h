/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exports: a selection of the store written out in a format a consumer
 * reads. Each export streams; none holds the selection in memory.
 */
#ifndef FUSION_EXPORT_H
#define FUSION_EXPORT_H

#include <stdio.h>

#include "store/store.h"

/*
 * Writes the objects selected by q as one STIX 2.1 bundle to out: the
 * stored canonical text of each version, spliced without re-serialising,
 * under a fresh bundle id. A selection of no objects gives a bundle
 * without "objects" (STIX 2.1 section 8: the list is never empty).
 * count_out (may be NULL) gets the number of objects written. Returns
 * FUSION_ERR_IO when out fails, or the store's error.
 */
FUSION_NODISCARD enum fusion_err
fusion_export_stix_bundle(struct fusion_store *store,
                          const struct fusion_store_query *q, FILE *out,
                          size_t *count_out, struct fusion_error *err);

#endif
