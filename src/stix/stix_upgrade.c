/* SPDX-License-Identifier: Apache-2.0 */
/* STIX 2.0 to 2.1 upgrade of one object (notes section 13, U1-U8). */
#include "stix/stix.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stix/stix_int.h"

#define PATH_MAX_LEN 512

/* U2: the 2.0 labels that carried the type of these objects. */
struct label_move {
    const char *type;
    const char *prop;
};

static const struct label_move label_moves[] = {
    { "indicator", "indicator_types" },
    { "malware", "malware_types" },
    { "report", "report_types" },
    { "threat-actor", "threat_actor_types" },
    { "tool", "tool_types" },
};

/* U7: SCO properties renamed in 2.1. */
struct rename {
    const char *type;
    const char *from;
    const char *to;
};

static const struct rename renames[] = {
    { "file", "created", "ctime" },
    { "file", "modified", "mtime" },
    { "file", "accessed", "atime" },
    { "directory", "created", "ctime" },
    { "directory", "modified", "mtime" },
    { "directory", "accessed", "atime" },
    { "process", "created", "created_time" },
    { "process", "binary_ref", "image_ref" },
    { "user-account", "password_last_changed", "credential_last_changed" },
    { "windows-registry-key", "modified", "modified_time" },
};

/*
 * U8: properties 2.1 removed. ext is NULL for a top-level property, else
 * the extension that held it.
 */
struct removal {
    const char *type;
    const char *ext;
    const char *prop;
};

static const struct removal removals[] = {
    { "file", NULL, "is_encrypted" },
    { "file", NULL, "encryption_algorithm" },
    { "file", NULL, "decryption_key" },
    { "file", "archive-ext", "version" },
    { "file", "raster-image-ext", "image_compression_algorithm" },
    { "process", NULL, "name" },
    { "process", NULL, "arguments" },
    { "network-traffic", "socket-ext", "protocol_family" },
};

/* One SCO of an observed-data objects container while it is lifted. */
struct lifted {
    const char *key;
    json_t *sco;
    char id[FUSION_STIX_ID_MAX];
    bool done;
    bool duplicate;
};

struct lift {
    struct lifted *items;
    size_t count;
    struct fusion_stix_report *rep;
    const char *type;
};

/* Paths longer than PATH_MAX_LEN are cut: they only label warnings. */
static void FUSION_PRINTF(2, 3) path_printf(char *path, const char *fmt, ...)
{
    va_list ap;

    assert(path && fmt);
    va_start(ap, fmt);
    vsnprintf(path, PATH_MAX_LEN, fmt, ap);
    va_end(ap);
}

static enum fusion_err
warn(struct fusion_stix_report *rep, const char *path, const char *msg)
{
    if (!rep)
        return FUSION_OK;
    return fusion_stix_report_add(rep, FUSION_STIX_WARNING, path, "%s", msg);
}

static enum fusion_err
set_new(json_t *obj, const char *key, json_t *value)
{
    assert(obj && key);
    if (!value)
        return FUSION_ERR_NOMEM;
    return json_object_set_new(obj, key, value) ? FUSION_ERR_NOMEM : FUSION_OK;
}

static bool
spec_version_is_20(const json_t *obj)
{
    const json_t *sv = json_object_get(obj, "spec_version");
    const char *s = json_string_value(sv);

    return !sv || (s && strcmp(s, "2.0") == 0);
}

bool
fusion_stix_is_20(const json_t *obj)
{
    const char *type = fusion_stix_str(obj, "type");

    if (!json_is_object(obj) || !type)
        return false;
    if (strcmp(type, "observed-data") == 0 &&
        json_is_object(json_object_get(obj, "objects")))
        return true;
    switch (fusion_stix_kind_of(obj)) {
    case FUSION_STIX_KIND_SDO:
    case FUSION_STIX_KIND_SRO:
    case FUSION_STIX_KIND_META:
        return spec_version_is_20(obj);
    default:
        return false;
    }
}

/* U1: 2.1 content declares itself. */
static enum fusion_err
upgrade_spec_version(json_t *obj, struct fusion_stix_report *rep)
{
    enum fusion_err rc;

    if (!spec_version_is_20(obj))
        return FUSION_OK;
    rc = set_new(obj, "spec_version", json_string("2.1"));
    if (rc)
        return rc;
    return warn(rep, "spec_version",
                "spec_version set to 2.1 (STIX 2.0 object)");
}

/* U2: labels to <type>_types; the values are kept as they were. */
static enum fusion_err
upgrade_labels(json_t *obj, const char *type, struct fusion_stix_report *rep)
{
    json_t *labels = json_object_get(obj, "labels");
    char msg[128];

    assert(type);
    if (!json_is_array(labels))
        return FUSION_OK;
    for (size_t i = 0; i < sizeof(label_moves) / sizeof(label_moves[0]); i++) {
        const char *prop = label_moves[i].prop;

        if (strcmp(type, label_moves[i].type) != 0)
            continue;
        if (json_object_get(obj, prop))
            return FUSION_OK;
        if (json_object_set(obj, prop, labels))
            return FUSION_ERR_NOMEM;
        json_object_del(obj, "labels");
        snprintf(msg, sizeof(msg), "labels moved to %s", prop);
        return warn(rep, "labels", msg);
    }
    return FUSION_OK;
}

/*
 * STIX 2.0 TLP marking definitions carry no name; STIX 2.1 gives each of
 * the four fixed ids its name (section 7.2.1.4), "TLP:" and the level.
 */
static enum fusion_err
name_tlp_marking(json_t *obj, struct fusion_stix_report *rep)
{
    const char *level;
    char name[16];
    size_t len;

    if (json_object_get(obj, "name") ||
        !fusion_stix_tlp_of_marking(fusion_stix_str(obj, "id")))
        return FUSION_OK;
    level = fusion_stix_str(json_object_get(obj, "definition"), "tlp");
    len = level ? strlen(level) : 0;
    if (len == 0 || len > sizeof(name) - 5)
        return FUSION_OK;
    assert(4 + len + 1 <= sizeof(name));
    memcpy(name, "TLP:", 4);
    for (size_t i = 0; i <= len; i++)
        name[4 + i] = (char)toupper((unsigned char)level[i]);
    if (set_new(obj, "name", json_string(name)))
        return FUSION_ERR_NOMEM;
    return warn(rep, "name", "name of the TLP marking definition added");
}

/* U3, U4: defaults of properties 2.1 added. */
static enum fusion_err
upgrade_defaults(json_t *obj, const char *type, struct fusion_stix_report *rep)
{
    enum fusion_err rc;

    assert(type);
    if (strcmp(type, "indicator") == 0 &&
        !json_object_get(obj, "pattern_type")) {
        rc = set_new(obj, "pattern_type", json_string("stix"));
        if (!rc)
            rc = warn(rep, "pattern_type", "pattern_type set to stix");
        return rc;
    }
    if (strcmp(type, "malware") == 0 && !json_object_get(obj, "is_family")) {
        rc = set_new(obj, "is_family", json_false());
        if (!rc)
            rc = warn(rep, "is_family", "is_family set to false");
        return rc;
    }
    if (strcmp(type, "marking-definition") == 0)
        return name_tlp_marking(obj, rep);
    return FUSION_OK;
}

/*
 * created and modified need millisecond precision in 2.1 (section 3.2);
 * 2.0 allowed less. Zeros are appended to the fraction, which keeps the
 * instant (and a leap second) exactly as written.
 */
static enum fusion_err
pad_timestamp(json_t *obj, const char *key, struct fusion_stix_report *rep)
{
    json_t *v = json_object_get(obj, key);
    const char *s = json_string_value(v);
    char text[FUSION_TS_MAX + 8], msg[128];
    struct fusion_ts ts;
    size_t len;

    if (!s)
        return FUSION_OK;
    len = json_string_length(v);
    if (len >= FUSION_TS_MAX || fusion_ts_parse(s, len, &ts, NULL) ||
        ts.frac_digits >= 3)
        return FUSION_OK;
    assert(s[len - 1] == 'Z');
    snprintf(text, sizeof(text), "%.*s%s%.*sZ", (int)(len - 1), s,
             ts.frac_digits == 0 ? "." : "", 3 - ts.frac_digits, "000");
    if (json_string_set(v, text))
        return FUSION_ERR_NOMEM;
    snprintf(msg, sizeof(msg), "%s padded to millisecond precision", key);
    return warn(rep, key, msg);
}

const char *
fusion_stix_renamed_20(const char *type, size_t type_len, const char *prop,
                       size_t prop_len)
{
    for (size_t i = 0; i < sizeof(renames) / sizeof(renames[0]); i++) {
        const struct rename *r = &renames[i];

        if (strlen(r->type) == type_len &&
            memcmp(r->type, type, type_len) == 0 &&
            strlen(r->from) == prop_len && memcmp(r->from, prop, prop_len) == 0)
            return r->to;
    }
    return NULL;
}

static enum fusion_err
rename_props(json_t *sco, const char *type, const char *base,
             struct fusion_stix_report *rep)
{
    char path[PATH_MAX_LEN], msg[128];
    enum fusion_err rc;

    assert(sco && type && base);
    for (size_t i = 0; i < sizeof(renames) / sizeof(renames[0]); i++) {
        const struct rename *r = &renames[i];
        json_t *v;

        if (strcmp(type, r->type) != 0)
            continue;
        v = json_object_get(sco, r->from);
        if (!v)
            continue;
        if (!json_object_get(sco, r->to) && json_object_set(sco, r->to, v))
            return FUSION_ERR_NOMEM;
        json_object_del(sco, r->from);
        path_printf(path, "%s.%s", base, r->from);
        snprintf(msg, sizeof(msg), "%s renamed to %s", r->from, r->to);
        rc = warn(rep, path, msg);
        if (rc)
            return rc;
    }
    return FUSION_OK;
}

static enum fusion_err
remove_props(json_t *sco, const char *type, const char *base,
             struct fusion_stix_report *rep)
{
    char path[PATH_MAX_LEN], msg[160];
    enum fusion_err rc;

    assert(sco && type && base);
    for (size_t i = 0; i < sizeof(removals) / sizeof(removals[0]); i++) {
        const struct removal *r = &removals[i];
        json_t *holder = sco;

        if (strcmp(type, r->type) != 0)
            continue;
        if (r->ext)
            holder =
                json_object_get(json_object_get(sco, "extensions"), r->ext);
        if (!json_object_get(holder, r->prop))
            continue;
        json_object_del(holder, r->prop);
        if (r->ext)
            path_printf(path, "%s.extensions.%s.%s", base, r->ext, r->prop);
        else
            path_printf(path, "%s.%s", base, r->prop);
        snprintf(msg, sizeof(msg), "%s dropped (not in STIX 2.1)", r->prop);
        rc = warn(rep, path, msg);
        if (rc)
            return rc;
    }
    return FUSION_OK;
}

static bool
is_ref_name(const char *key, size_t len)
{
    assert(key);
    return (len >= 4 && memcmp(key + len - 4, "_ref", 4) == 0) ||
           (len >= 5 && memcmp(key + len - 5, "_refs", 5) == 0);
}

static struct lifted *
find_local(struct lift *lift, const char *key)
{
    assert(lift && key);
    for (size_t i = 0; i < lift->count; i++) {
        if (strcmp(lift->items[i].key, key) == 0)
            return &lift->items[i];
    }
    return NULL;
}

/*
 * Visits the reference strings in v: values of *_ref and *_refs members
 * at any depth, extensions and lists of dictionaries included.
 */
typedef enum fusion_err (*ref_fn)(struct lift *lift, json_t *ref,
                                  const char *path);

static enum fusion_err
walk_refs(struct lift *lift, json_t *v, bool is_ref, const char *path,
          ref_fn fn)
{
    char sub[PATH_MAX_LEN];
    enum fusion_err rc = FUSION_OK;
    const char *key;
    json_t *child;

    assert(lift && path && fn);
    if (json_is_string(v))
        return is_ref ? fn(lift, v, path) : FUSION_OK;
    if (json_is_array(v)) {
        for (size_t i = 0; !rc && i < json_array_size(v); i++) {
            path_printf(sub, "%s[%zu]", path, i);
            rc = walk_refs(lift, json_array_get(v, i), is_ref, sub, fn);
        }
        return rc;
    }
    json_object_foreach(v, key, child)
    {
        path_printf(sub, "%s.%s", path, key);
        rc = walk_refs(lift, child, is_ref_name(key, strlen(key)), sub, fn);
        if (rc)
            break;
    }
    return rc;
}

/* Stops the walk at a reference to a local SCO that has no id yet. */
static enum fusion_err
check_resolved(struct lift *lift, json_t *ref, const char *path)
{
    struct lifted *target = find_local(lift, json_string_value(ref));

    (void)path;
    return target && !target->done ? FUSION_ERR_CONFLICT : FUSION_OK;
}

static enum fusion_err
rewrite(struct lift *lift, json_t *ref, const char *path, bool quiet)
{
    struct lifted *target = find_local(lift, json_string_value(ref));

    if (!target) {
        if (quiet || fusion_stix_id_is_valid(json_string_value(ref), NULL))
            return FUSION_OK;
        return warn(lift->rep, path, "reference to no object of objects");
    }
    if (!target->done)
        return FUSION_OK;
    return json_string_set(ref, target->id) ? FUSION_ERR_NOMEM : FUSION_OK;
}

static enum fusion_err
rewrite_ref(struct lift *lift, json_t *ref, const char *path)
{
    return rewrite(lift, ref, path, false);
}

/* Like rewrite_ref, for the early pass that only needs ids in place. */
static enum fusion_err
rewrite_ref_quiet(struct lift *lift, json_t *ref, const char *path)
{
    return rewrite(lift, ref, path, true);
}

/*
 * True when the ID-contributing properties of it (parent_directory_ref,
 * src_ref, extensions, ...) refer only to SCOs whose ids are known.
 */
static bool
is_ready(struct lift *lift, struct lifted *it)
{
    const char *type = fusion_stix_str(it->sco, "type");
    const char *key;
    json_t *v;

    json_object_foreach(it->sco, key, v)
    {
        if (!fusion_stix_sco_contributes(type, key))
            continue;
        if (walk_refs(lift, v, is_ref_name(key, strlen(key)), "",
                      check_resolved))
            return false;
    }
    return true;
}

static enum fusion_err
assign_id(struct lift *lift, struct lifted *it, const char *base, bool cycle)
{
    const char *type = fusion_stix_str(it->sco, "type");
    char uuid[FUSION_UUID_LEN + 1];
    enum fusion_err rc = FUSION_ERR_NOTFOUND;

    assert(it && it->sco && !it->done && base);
    if (!cycle) {
        rc = walk_refs(lift, it->sco, false, base, rewrite_ref_quiet);
        if (rc)
            return rc;
        rc = fusion_stix_sco_id(it->sco, it->id);
    } else {
        rc = warn(lift->rep, base, "references form a cycle; random id used");
        if (rc)
            return rc;
        rc = FUSION_ERR_NOTFOUND;
    }
    if (rc == FUSION_ERR_NOTFOUND || rc == FUSION_ERR_UNSUPPORTED) {
        fusion_uuid4(uuid);
        snprintf(it->id, sizeof(it->id), "%s--%s", type, uuid);
        rc = FUSION_OK;
    }
    if (rc)
        return rc;
    if (!fusion_stix_id_is_valid(it->id, type)) {
        if (lift->rep)
            rc = fusion_stix_report_add(lift->rep, FUSION_STIX_ERROR, base,
                                        "type is not a valid type name");
        return rc ? rc : FUSION_ERR_INVALID;
    }
    it->done = true;
    return set_new(it->sco, "id", json_string(it->id));
}

/*
 * Ids in dependency order: an SCO whose contributing properties refer to
 * other SCOs (a file's parent_directory_ref, a network-traffic's src_ref)
 * gets its id once theirs are known, so the name holds their ids.
 */
static enum fusion_err
assign_ids(struct lift *lift)
{
    char base[PATH_MAX_LEN];
    size_t left = lift->count;
    enum fusion_err rc;

    while (left > 0) {
        bool progress = false;

        assert(left <= lift->count);
        for (size_t i = 0; i < lift->count; i++) {
            struct lifted *it = &lift->items[i];

            if (it->done || !is_ready(lift, it))
                continue;
            path_printf(base, "objects.%s", it->key);
            rc = assign_id(lift, it, base, false);
            if (rc)
                return rc;
            progress = true;
            left--;
        }
        if (progress)
            continue;
        for (size_t i = 0; i < lift->count; i++) {
            if (lift->items[i].done)
                continue;
            path_printf(base, "objects.%s", lift->items[i].key);
            rc = assign_id(lift, &lift->items[i], base, true);
            if (rc)
                return rc;
            left--;
            break;
        }
    }
    return FUSION_OK;
}

static enum fusion_err
prepare_sco(struct lift *lift, const char *key, json_t *value,
            struct lifted *it)
{
    char base[PATH_MAX_LEN];
    const char *type = fusion_stix_str(value, "type");
    enum fusion_err rc;

    assert(lift && key && it && !it->sco);
    path_printf(base, "objects.%s", key);
    if (!json_is_object(value) || !type) {
        if (!lift->rep)
            return FUSION_ERR_INVALID;
        rc = fusion_stix_report_add(lift->rep, FUSION_STIX_ERROR, base,
                                    "not an object with a type");
        return rc ? rc : FUSION_ERR_INVALID;
    }
    it->key = key;
    it->sco = json_deep_copy(value);
    if (!it->sco)
        return FUSION_ERR_NOMEM;
    json_object_del(it->sco, "id");
    rc = rename_props(it->sco, type, base, lift->rep);
    if (!rc)
        rc = remove_props(it->sco, type, base, lift->rep);
    if (!rc)
        rc = set_new(it->sco, "spec_version", json_string("2.1"));
    return rc;
}

/*
 * The markings of the observed-data covered its objects: they stay on
 * the lifted SCOs, so that sharing rules still hold for them. A granular
 * marking selecting "objects" or "objects.<key>..." marks the whole SCO.
 */
static bool
selects(const json_t *selectors, const char *key)
{
    size_t klen;

    assert(key);
    klen = strlen(key);
    for (size_t i = 0; i < json_array_size(selectors); i++) {
        const char *s = json_string_value(json_array_get(selectors, i));

        if (!s || strncmp(s, "objects", 7) != 0)
            continue;
        if (s[7] == '\0')
            return true;
        if (s[7] == '.' && strncmp(s + 8, key, klen) == 0 &&
            (s[8 + klen] == '\0' || s[8 + klen] == '.'))
            return true;
    }
    return false;
}

static enum fusion_err
add_marking(json_t *sco, const json_t *marking_ref)
{
    json_t *refs = json_object_get(sco, "object_marking_refs");

    assert(sco);
    if (!json_is_string(marking_ref))
        return FUSION_OK;
    if (!refs) {
        refs = json_array();
        if (!refs || json_object_set_new(sco, "object_marking_refs", refs))
            return FUSION_ERR_NOMEM;
    }
    for (size_t i = 0; i < json_array_size(refs); i++) {
        if (json_equal(json_array_get(refs, i), marking_ref))
            return FUSION_OK;
    }
    return json_array_append(refs, (json_t *)marking_ref) ? FUSION_ERR_NOMEM
                                                          : FUSION_OK;
}

static enum fusion_err
carry_markings(const json_t *od, struct lifted *it)
{
    const json_t *refs = json_object_get(od, "object_marking_refs");
    const json_t *granular = json_object_get(od, "granular_markings");
    enum fusion_err rc = FUSION_OK;

    assert(it && it->sco && it->key);
    for (size_t i = 0; !rc && i < json_array_size(refs); i++)
        rc = add_marking(it->sco, json_array_get(refs, i));
    for (size_t i = 0; !rc && i < json_array_size(granular); i++) {
        const json_t *gm = json_array_get(granular, i);

        if (selects(json_object_get(gm, "selectors"), it->key))
            rc = add_marking(it->sco, json_object_get(gm, "marking_ref"));
    }
    return rc;
}

/* Selectors into the removed objects container now select object_refs. */
static enum fusion_err
retarget_selectors(json_t *od, struct fusion_stix_report *rep)
{
    json_t *granular = json_object_get(od, "granular_markings");
    char path[PATH_MAX_LEN];
    enum fusion_err rc;

    for (size_t i = 0; i < json_array_size(granular); i++) {
        json_t *sel = json_object_get(json_array_get(granular, i), "selectors");

        for (size_t j = 0; j < json_array_size(sel); j++) {
            json_t *s = json_array_get(sel, j);
            const char *text = json_string_value(s);

            if (!text || strncmp(text, "objects", 7) != 0 ||
                (text[7] != '\0' && text[7] != '.'))
                continue;
            if (json_string_set(s, "object_refs"))
                return FUSION_ERR_NOMEM;
            path_printf(path, "granular_markings[%zu].selectors[%zu]", i, j);
            rc = warn(rep, path,
                      "selector into objects now selects object_refs");
            if (rc)
                return rc;
        }
    }
    return FUSION_OK;
}

static void
mark_duplicates(struct lift *lift)
{
    for (size_t i = 0; i < lift->count; i++) {
        for (size_t j = 0; j < i; j++) {
            if (!lift->items[j].duplicate &&
                strcmp(lift->items[i].id, lift->items[j].id) == 0) {
                lift->items[i].duplicate = true;
                break;
            }
        }
    }
}

/*
 * Moves the finished SCOs out: to new_objects and into object_refs. Until
 * objects is removed, a failure undoes the appends to new_objects.
 */
static enum fusion_err
commit_lift(struct lift *lift, json_t *od, json_t *new_objects)
{
    size_t first = json_array_size(new_objects);
    enum fusion_err rc = FUSION_ERR_NOMEM;
    json_t *refs;

    assert(json_is_array(new_objects));
    mark_duplicates(lift);
    refs = json_array();
    if (!refs)
        return FUSION_ERR_NOMEM;
    for (size_t i = 0; i < lift->count; i++) {
        if (!lift->items[i].duplicate &&
            json_array_append_new(refs, json_string(lift->items[i].id)))
            goto out;
    }
    rc = warn(lift->rep, "objects",
              "objects replaced by object_refs to top-level SCOs");
    if (rc)
        goto out;
    rc = FUSION_ERR_NOMEM;
    for (size_t i = 0; i < lift->count; i++) {
        if (!lift->items[i].duplicate &&
            json_array_append(new_objects, lift->items[i].sco))
            goto undo;
    }
    if (json_object_set(od, "object_refs", refs))
        goto undo;
    json_object_del(od, "objects");
    rc = retarget_selectors(od, lift->rep);
    goto out;
undo:
    while (json_array_size(new_objects) > first)
        json_array_remove(new_objects, json_array_size(new_objects) - 1);
out:
    json_decref(refs);
    return rc;
}

/* U6: the objects container becomes top-level SCOs and object_refs. */
static enum fusion_err
lift_objects(json_t *od, json_t *new_objects, struct fusion_stix_report *rep)
{
    json_t *objects = json_object_get(od, "objects");
    struct lift lift = { .rep = rep };
    char base[PATH_MAX_LEN];
    enum fusion_err rc = FUSION_OK;
    const char *key;
    json_t *value;

    if (!new_objects || !json_is_array(new_objects))
        return FUSION_ERR_INVALID;
    if (json_object_size(objects) == 0)
        return FUSION_OK;
    lift.items = fusion_calloc(json_object_size(objects), sizeof(*lift.items));
    if (!lift.items)
        return FUSION_ERR_NOMEM;
    json_object_foreach(objects, key, value)
    {
        assert(lift.count < json_object_size(objects));
        rc = prepare_sco(&lift, key, value, &lift.items[lift.count]);
        if (lift.items[lift.count].sco)
            lift.count++;
        if (rc)
            goto out;
    }

    rc = assign_ids(&lift);
    for (size_t i = 0; !rc && i < lift.count; i++) {
        path_printf(base, "objects.%s", lift.items[i].key);
        rc = walk_refs(&lift, lift.items[i].sco, false, base, rewrite_ref);
        if (!rc)
            rc = carry_markings(od, &lift.items[i]);
    }
    if (!rc)
        rc = commit_lift(&lift, od, new_objects);
out:
    for (size_t i = 0; i < lift.count; i++)
        json_decref(lift.items[i].sco);
    fusion_free(lift.items);
    return rc;
}

enum fusion_err
fusion_stix_upgrade(json_t *obj, json_t *new_objects,
                    struct fusion_stix_report *rep, bool *upgraded_out)
{
    const char *type = fusion_stix_str(obj, "type");
    enum fusion_err rc;

    if (upgraded_out)
        *upgraded_out = false;
    if (!json_is_object(obj) || !type)
        return FUSION_ERR_INVALID;
    if (!fusion_stix_is_20(obj))
        return FUSION_OK;

    rc = upgrade_spec_version(obj, rep);
    if (!rc)
        rc = upgrade_labels(obj, type, rep);
    if (!rc)
        rc = upgrade_defaults(obj, type, rep);
    if (!rc)
        rc = pad_timestamp(obj, "created", rep);
    if (!rc)
        rc = pad_timestamp(obj, "modified", rep);
    if (!rc && strcmp(type, "observed-data") == 0 &&
        json_is_object(json_object_get(obj, "objects")))
        rc = lift_objects(obj, new_objects, rep);
    if (rc)
        return rc;
    if (upgraded_out)
        *upgraded_out = true;
    return FUSION_OK;
}
