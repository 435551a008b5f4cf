/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: a JSON value through the STIX core: 2.0 upgrade,
 * validation, canonical JSON, deterministic ids, TLP and observable keys.
 */
#include <stdlib.h>

#include "stix/stix.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Errors are expected answers here; only crashes and reports count. */
static void
ignore(enum fusion_err rc)
{
    (void)rc;
}

static enum fusion_err
ignore_key(void *ctx, const char *type, const char *value)
{
    (void)ctx;
    (void)type;
    (void)value;
    return FUSION_OK;
}

static void
one_object(json_t *obj)
{
    struct fusion_stix_report rep;
    struct fusion_buf canon;
    char id[FUSION_STIX_ID_MAX];
    json_t *lifted = json_array();
    bool upgraded;

    fusion_stix_report_init(&rep);
    fusion_buf_init(&canon, 1 << 22);
    if (json_is_object(obj) &&
        fusion_stix_upgrade(obj, lifted, &rep, &upgraded) == FUSION_OK) {
        ignore(fusion_stix_validate(obj, &rep));
        ignore(fusion_stix_sco_id(obj, id));
        (void)fusion_stix_tlp_of(obj);
        ignore(fusion_stix_observable_keys(obj, ignore_key, NULL));
    }
    ignore(fusion_stix_canonical(obj, &canon));
    fusion_buf_release(&canon);
    fusion_stix_report_release(&rep);
    json_decref(lifted);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    json_t *doc, *objects, *obj;
    size_t i;

    doc = json_loadb((const char *)data, size,
                     JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
    if (!doc)
        return 0;
    /* a bundle or an array: each of its objects in turn */
    objects = json_is_array(doc) ? doc : json_object_get(doc, "objects");
    if (json_is_array(objects)) {
        json_array_foreach(objects, i, obj) one_object(obj);
    } else {
        one_object(doc);
    }
    json_decref(doc);
    return 0;
}
