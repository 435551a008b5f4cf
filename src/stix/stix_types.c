/* SPDX-License-Identifier: Apache-2.0 */
/* Object kinds, identifiers and the validation report. */
#include "stix/stix.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

struct type_kind {
    const char *type;
    enum fusion_stix_kind kind;
};

/* STIX 2.1 section 1 of the notes: the 19 SDOs, 2 SROs, 18 SCOs, 3 SMOs. */
static const struct type_kind type_kinds[] = {
    { "artifact", FUSION_STIX_KIND_SCO },
    { "attack-pattern", FUSION_STIX_KIND_SDO },
    { "autonomous-system", FUSION_STIX_KIND_SCO },
    { "bundle", FUSION_STIX_KIND_BUNDLE },
    { "campaign", FUSION_STIX_KIND_SDO },
    { "course-of-action", FUSION_STIX_KIND_SDO },
    { "directory", FUSION_STIX_KIND_SCO },
    { "domain-name", FUSION_STIX_KIND_SCO },
    { "email-addr", FUSION_STIX_KIND_SCO },
    { "email-message", FUSION_STIX_KIND_SCO },
    { "extension-definition", FUSION_STIX_KIND_META },
    { "file", FUSION_STIX_KIND_SCO },
    { "grouping", FUSION_STIX_KIND_SDO },
    { "identity", FUSION_STIX_KIND_SDO },
    { "incident", FUSION_STIX_KIND_SDO },
    { "indicator", FUSION_STIX_KIND_SDO },
    { "infrastructure", FUSION_STIX_KIND_SDO },
    { "intrusion-set", FUSION_STIX_KIND_SDO },
    { "ipv4-addr", FUSION_STIX_KIND_SCO },
    { "ipv6-addr", FUSION_STIX_KIND_SCO },
    { "language-content", FUSION_STIX_KIND_META },
    { "location", FUSION_STIX_KIND_SDO },
    { "mac-addr", FUSION_STIX_KIND_SCO },
    { "malware", FUSION_STIX_KIND_SDO },
    { "malware-analysis", FUSION_STIX_KIND_SDO },
    { "marking-definition", FUSION_STIX_KIND_META },
    { "mutex", FUSION_STIX_KIND_SCO },
    { "network-traffic", FUSION_STIX_KIND_SCO },
    { "note", FUSION_STIX_KIND_SDO },
    { "observed-data", FUSION_STIX_KIND_SDO },
    { "opinion", FUSION_STIX_KIND_SDO },
    { "process", FUSION_STIX_KIND_SCO },
    { "relationship", FUSION_STIX_KIND_SRO },
    { "report", FUSION_STIX_KIND_SDO },
    { "sighting", FUSION_STIX_KIND_SRO },
    { "software", FUSION_STIX_KIND_SCO },
    { "threat-actor", FUSION_STIX_KIND_SDO },
    { "tool", FUSION_STIX_KIND_SDO },
    { "url", FUSION_STIX_KIND_SCO },
    { "user-account", FUSION_STIX_KIND_SCO },
    { "vulnerability", FUSION_STIX_KIND_SDO },
    { "windows-registry-key", FUSION_STIX_KIND_SCO },
    { "x509-certificate", FUSION_STIX_KIND_SCO },
};

static int
compare_type(const void *key, const void *elem)
{
    assert(key && elem);
    return strcmp(key, ((const struct type_kind *)elem)->type);
}

enum fusion_stix_kind
fusion_stix_kind_of_type(const char *type)
{
    const struct type_kind *tk;

    if (!type)
        return FUSION_STIX_KIND_UNKNOWN;
    tk = bsearch(type, type_kinds, sizeof(type_kinds) / sizeof(type_kinds[0]),
                 sizeof(type_kinds[0]), compare_type);
    return tk ? tk->kind : FUSION_STIX_KIND_UNKNOWN;
}

enum fusion_stix_kind
fusion_stix_kind_of(const json_t *obj)
{
    enum fusion_stix_kind kind;

    kind = fusion_stix_kind_of_type(fusion_stix_str(obj, "type"));
    if (kind != FUSION_STIX_KIND_UNKNOWN)
        return kind;
    if (!json_is_object(obj) || !fusion_stix_str(obj, "type"))
        return FUSION_STIX_KIND_UNKNOWN;
    if (json_object_get(obj, "created") || json_object_get(obj, "modified"))
        return FUSION_STIX_KIND_SDO;
    return FUSION_STIX_KIND_SCO;
}

const char *
fusion_stix_str(const json_t *obj, const char *key)
{
    assert(key);
    return json_string_value(json_object_get(obj, key));
}

/*
 * Type names: ASCII a-z, 0-9 and '-', starting with a letter, 3 to 250
 * characters, no "--" (STIX 2.1 section 2.9 and 11.1).
 */
static bool
type_name_is_valid(const char *s, size_t len)
{
    if (len < 3 || len > 250 || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
        if (c == '-' && i + 1 < len && s[i + 1] == '-')
            return false;
    }
    return true;
}

bool
fusion_stix_id_is_valid(const char *id, const char *type)
{
    const char *sep;
    size_t tlen;

    if (!id)
        return false;
    sep = strstr(id, "--");
    if (!sep)
        return false;
    tlen = (size_t)(sep - id);
    if (!type_name_is_valid(id, tlen))
        return false;
    if (type && (strlen(type) != tlen || memcmp(type, id, tlen) != 0))
        return false;
    return fusion_uuid_is_valid(sep + 2, strlen(sep + 2), NULL);
}

void
fusion_stix_report_init(struct fusion_stix_report *rep)
{
    assert(rep);
    memset(rep, 0, sizeof(*rep));
}

void
fusion_stix_report_clear(struct fusion_stix_report *rep)
{
    assert(rep && rep->count <= rep->cap);
    for (size_t i = 0; i < rep->count; i++) {
        FUSION_FREE(rep->items[i].path);
        FUSION_FREE(rep->items[i].message);
    }
    rep->count = 0;
    rep->errors = 0;
    rep->warnings = 0;
}

void
fusion_stix_report_release(struct fusion_stix_report *rep)
{
    fusion_stix_report_clear(rep);
    FUSION_FREE(rep->items);
    rep->cap = 0;
}

enum fusion_err
fusion_stix_report_add(struct fusion_stix_report *rep,
                       enum fusion_stix_severity severity, const char *path,
                       const char *fmt, ...)
{
    struct fusion_stix_issue *issue;
    char message[512];
    va_list ap;

    assert(rep && fmt);
    assert(rep->count <= rep->cap);
    if (rep->count == rep->cap) {
        size_t cap = rep->cap ? rep->cap * 2 : 8;
        struct fusion_stix_issue *items;

        items = fusion_realloc(rep->items, cap * sizeof(*items));
        if (!items)
            return FUSION_ERR_NOMEM;
        rep->items = items;
        rep->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    assert(rep->count < rep->cap);
    issue = &rep->items[rep->count];

    issue->severity = severity;
    issue->path = fusion_strdup(path ? path : "");
    issue->message = fusion_strdup(message);
    if (!issue->path || !issue->message) {
        FUSION_FREE(issue->path);
        FUSION_FREE(issue->message);
        return FUSION_ERR_NOMEM;
    }
    rep->count++;
    if (severity == FUSION_STIX_ERROR)
        rep->errors++;
    else
        rep->warnings++;
    return FUSION_OK;
}
