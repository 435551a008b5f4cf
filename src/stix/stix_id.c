/* SPDX-License-Identifier: Apache-2.0 */
/* Deterministic SCO identifiers (STIX 2.1 section 2.9, notes 3.1). */
#include "stix/stix.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix_int.h"

/* The name of a UUIDv5 id may be large (artifact payload_bin). */
#define SCO_NAME_MAX ((size_t)64 << 20)

#define SCO_PROPS_MAX 8

/*
 * ID-contributing properties of each SCO, listed in RFC 8785 order (all
 * are ASCII, so byte order is code unit order) so that the canonical
 * name can be written without building a JSON object first.
 */
struct sco_contrib {
    const char *type;
    const char *props[SCO_PROPS_MAX];
};

static const struct sco_contrib sco_contribs[] = {
    { "artifact", { "hashes", "payload_bin" } },
    { "autonomous-system", { "number" } },
    { "directory", { "path" } },
    { "domain-name", { "value" } },
    { "email-addr", { "value" } },
    { "email-message", { "body", "from_ref", "subject" } },
    { "file", { "extensions", "hashes", "name", "parent_directory_ref" } },
    { "ipv4-addr", { "value" } },
    { "ipv6-addr", { "value" } },
    { "mac-addr", { "value" } },
    { "mutex", { "name" } },
    { "network-traffic",
      { "dst_port", "dst_ref", "end", "extensions", "protocols", "src_port",
        "src_ref", "start" } },
    { "process", { NULL } },
    { "software", { "cpe", "name", "swid", "vendor", "version" } },
    { "url", { "value" } },
    { "user-account", { "account_login", "account_type", "user_id" } },
    { "windows-registry-key", { "key", "values" } },
    { "x509-certificate", { "hashes", "serial_number" } },
};

static int
compare_contrib(const void *key, const void *elem)
{
    assert(key && elem);
    return strcmp(key, ((const struct sco_contrib *)elem)->type);
}

bool
fusion_stix_sco_contributes(const char *type, const char *prop)
{
    const struct sco_contrib *c;

    if (!type || !prop)
        return false;
    c = bsearch(type, sco_contribs, sizeof(sco_contribs) / sizeof(*c),
                sizeof(*c), compare_contrib);
    for (size_t i = 0; c && i < SCO_PROPS_MAX && c->props[i]; i++) {
        if (strcmp(prop, c->props[i]) == 0)
            return true;
    }
    return false;
}

/*
 * hashes contributes exactly one entry: the first present of MD5, SHA-1,
 * SHA-256 and SHA-512, else the first key as written (python-stix2).
 */
static enum fusion_err
put_one_hash(const json_t *hashes, struct fusion_buf *out)
{
    static const char *const preferred[] = { "MD5", "SHA-1", "SHA-256",
                                             "SHA-512" };
    const char *key = NULL;
    size_t key_len = 0;
    json_t *value = NULL;
    enum fusion_err rc;
    void *it;

    assert(json_is_object(hashes) && json_object_size(hashes) > 0);
    for (size_t i = 0; i < sizeof(preferred) / sizeof(preferred[0]); i++) {
        value = json_object_get(hashes, preferred[i]);
        if (value) {
            key = preferred[i];
            key_len = strlen(key);
            break;
        }
    }
    if (!value) {
        it = json_object_iter((json_t *)hashes);
        assert(it);
        key = json_object_iter_key(it);
        key_len = json_object_iter_key_len(it);
        value = json_object_iter_value(it);
    }
    rc = fusion_buf_putc(out, '{');
    if (!rc)
        rc = fusion_stix_jcs_string(out, key, key_len);
    if (!rc)
        rc = fusion_buf_putc(out, ':');
    if (!rc)
        rc = fusion_stix_canonical(value, out);
    if (!rc)
        rc = fusion_buf_putc(out, '}');
    return rc;
}

static bool
contributes(const json_t *v, const char *prop)
{
    assert(prop);
    if (!v || json_is_null(v))
        return false;
    /* an empty hashes dictionary has no hash to choose */
    if (strcmp(prop, "hashes") == 0)
        return json_is_object(v) && json_object_size(v) > 0;
    return true;
}

static enum fusion_err
put_name(const json_t *sco, const struct sco_contrib *c, struct fusion_buf *out,
         size_t *count_out)
{
    enum fusion_err rc;
    size_t count = 0;

    assert(c && c->props[0] && out && count_out);
    rc = fusion_buf_putc(out, '{');
    for (size_t i = 0; !rc && i < SCO_PROPS_MAX && c->props[i]; i++) {
        const char *prop = c->props[i];
        const json_t *v = json_object_get(sco, prop);

        if (!contributes(v, prop))
            continue;
        if (count++ > 0)
            rc = fusion_buf_putc(out, ',');
        if (!rc)
            rc = fusion_buf_printf(out, "\"%s\":", prop);
        if (rc)
            break;
        if (strcmp(prop, "hashes") == 0)
            rc = put_one_hash(v, out);
        else
            rc = fusion_stix_canonical(v, out);
    }
    if (!rc)
        rc = fusion_buf_putc(out, '}');
    *count_out = count;
    return rc;
}

enum fusion_err
fusion_stix_sco_id(const json_t *sco, char *out)
{
    const struct sco_contrib *c;
    const char *type;
    struct fusion_buf name;
    char uuid[FUSION_UUID_LEN + 1];
    enum fusion_err rc;
    size_t count;

    assert(out);
    type = fusion_stix_str(sco, "type");

    if (!type)
        return FUSION_ERR_INVALID;
    c = bsearch(type, sco_contribs, sizeof(sco_contribs) / sizeof(*c),
                sizeof(*c), compare_contrib);
    if (!c)
        return FUSION_ERR_UNSUPPORTED;
    if (!c->props[0])
        return FUSION_ERR_NOTFOUND;

    fusion_buf_init(&name, SCO_NAME_MAX);
    rc = put_name(sco, c, &name, &count);
    if (rc)
        goto out;
    if (count == 0) {
        rc = FUSION_ERR_NOTFOUND;
        goto out;
    }
    rc = fusion_uuid5(FUSION_STIX_SCO_NAMESPACE, name.data, name.len, uuid);
    if (rc)
        goto out;
    snprintf(out, FUSION_STIX_ID_MAX, "%s--%s", type, uuid);
out:
    fusion_buf_release(&name);
    return rc;
}
