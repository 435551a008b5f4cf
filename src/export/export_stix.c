/* SPDX-License-Identifier: Apache-2.0 */
/* STIX 2.1 bundle export, spliced from the stored canonical text. */
#include "export/export.h"

#include <errno.h>
#include <string.h>

struct bundle_writer {
    FILE *out;
    size_t count;
    int io_errno;
};

static int
write_row(void *ctx, const struct fusion_store_row *row)
{
    struct bundle_writer *w = ctx;
    const char *sep = w->count ? "," : ",\"objects\":[";

    if (fputs(sep, w->out) == EOF ||
        fwrite(row->json, 1, row->json_len, w->out) != row->json_len) {
        w->io_errno = errno ? errno : EIO;
        return 1;
    }
    w->count++;
    return 0;
}

enum fusion_err
fusion_export_stix_bundle(struct fusion_store *store,
                          const struct fusion_store_query *q, FILE *out,
                          size_t *count_out, struct fusion_error *err)
{
    struct bundle_writer w = { .out = out };
    char uuid[FUSION_UUID_LEN + 1];
    enum fusion_err rc;

    fusion_uuid4(uuid);
    if (fprintf(out, "{\"type\":\"bundle\",\"id\":\"bundle--%s\"", uuid) < 0)
        return fusion_error_set(err, FUSION_ERR_IO, "write failed: %s",
                                strerror(errno));
    rc = fusion_store_search(store, q, write_row, &w, NULL, err);
    if (w.io_errno)
        return fusion_error_set(err, FUSION_ERR_IO, "write failed: %s",
                                strerror(w.io_errno));
    if (rc)
        return rc;
    if (fputs(w.count ? "]}\n" : "}\n", out) == EOF || fflush(out) == EOF)
        return fusion_error_set(err, FUSION_ERR_IO, "write failed: %s",
                                strerror(errno));
    if (count_out)
        *count_out = w.count;
    return FUSION_OK;
}
