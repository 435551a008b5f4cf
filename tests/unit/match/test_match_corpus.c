/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The indicators of the shared corpus, ingested into a store and loaded
 * into the match index, each fire on an event made from their own values,
 * and none fires on events of unrelated values.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* cmocka after the headers it relies on */
#include <cmocka.h>

#include "ingest/ingest.h"
#include "match/match.h"
#include "pattern/pattern_int.h"
#include "unit/store/store_fixture.h"

static const char *const corpus_dirs[] = {
    "stix21",
    "stix20",
};

static char corpus[1024];

/* Ingests every .json file under dir (one transaction each). */
static void
ingest_tree(struct fusion_store *store, const char *dir, unsigned *files)
{
    struct fusion_ingest_options opt = { .source = { "file", "corpus" } };
    struct dirent *de;
    DIR *d = opendir(dir);

    assert_non_null(d);
    fusion_ingest_limits_default(&opt.limits);
    while ((de = readdir(d)) != NULL) {
        char path[2048];
        struct stat st;
        size_t n = strlen(de->d_name);

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            ingest_tree(store, path, files);
        } else if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0) {
            FILE *f = fopen(path, "r");

            assert_non_null(f);
            /* some corpus files are not STIX: they are only counted */
            if (fusion_ingest_file(store, f, &opt, NULL, NULL) == FUSION_OK)
                (*files)++;
            fclose(f);
        }
    }
    closedir(d);
}

/*
 * Synthesis of an observation that satisfies one observation expression:
 * a root SCO and the SCOs its references point to, in one JSON object
 * keyed by reference name as a STIX 2.0 style "objects" dictionary.
 */
struct synth {
    json_t *objects; /* "0" is the root */
    unsigned next_ref;
    bool impossible; /* a comparison no value can be made for */
};

static json_t *
lit_value(const struct fusion_pattern_lit *lit, const char *prop, int bump)
{
    size_t plen = strlen(prop);

    switch (lit->kind) {
    case FUSION_PATTERN_LIT_STRING:
        return json_stringn(lit->u.str.ptr, lit->u.str.len);
    case FUSION_PATTERN_LIT_INT:
        return json_integer(lit->u.i + bump);
    case FUSION_PATTERN_LIT_FLOAT:
        return json_real(lit->u.f + bump);
    case FUSION_PATTERN_LIT_BOOL:
        return json_boolean(lit->u.b);
    case FUSION_PATTERN_LIT_TIMESTAMP:
        return json_stringn(lit->u.ts.text, lit->u.ts.len);
    case FUSION_PATTERN_LIT_HEX:
    case FUSION_PATTERN_LIT_BINARY:
        if (plen > 4 && strcmp(prop + plen - 4, "_hex") == 0) {
            char hex[1024];
            size_t n = lit->u.str.len;

            if (n * 2 >= sizeof(hex))
                return NULL;
            for (size_t i = 0; i < n; i++)
                snprintf(hex + 2 * i, 3, "%02x",
                         (unsigned char)lit->u.str.ptr[i]);
            return json_string(hex);
        }
        return NULL;
    case FUSION_PATTERN_LIT_SET:
        break;
    }
    return NULL;
}

/* A new referenced SCO; its name goes into *name. */
static json_t *
new_ref(struct synth *s, char *name, size_t size)
{
    json_t *o = json_object();

    snprintf(name, size, "%u", s->next_ref++);
    json_object_set_new(s->objects, name, o);
    return o;
}

static bool
key_is(const struct fusion_pattern_step *st, const char *suffix)
{
    size_t n = strlen(suffix);

    return st->kind == FUSION_PATTERN_STEP_KEY && st->key_len >= n &&
           memcmp(st->key + st->key_len - n, suffix, n) == 0;
}

/* Sets the value at path below obj; false when the path cannot be made. */
static bool
set_path(struct synth *s, json_t *obj, const struct fusion_pattern_step *st,
         size_t n, json_t *value)
{
    char key[256], name[16];
    json_t *cur, *next;

    if (n == 0 || st[0].kind != FUSION_PATTERN_STEP_KEY ||
        st[0].key_len >= sizeof(key) || !json_is_object(obj))
        return false;
    snprintf(key, sizeof(key), "%.*s", (int)st[0].key_len, st[0].key);
    if (n == 1)
        return json_object_set(obj, key, value) == 0;
    cur = json_object_get(obj, key);
    if (key_is(&st[0], "_ref")) {
        if (!json_is_string(cur)) {
            next = new_ref(s, name, sizeof(name));
            json_object_set_new(obj, key, json_string(name));
        } else {
            next = json_object_get(s->objects, json_string_value(cur));
        }
        return set_path(s, next, st + 1, n - 1, value);
    }
    if (st[1].kind == FUSION_PATTERN_STEP_KEY) {
        if (!json_is_object(cur)) {
            cur = json_object();
            json_object_set_new(obj, key, cur);
        }
        return set_path(s, cur, st + 1, n - 1, value);
    }
    /* a list: [*] gets a new element, [i] is padded up to i */
    if (!json_is_array(cur)) {
        cur = json_array();
        json_object_set_new(obj, key, cur);
    }
    if (st[1].kind == FUSION_PATTERN_STEP_INDEX) {
        if (st[1].index < 0 || st[1].index > 64)
            return false;
        while (json_array_size(cur) <= (size_t)st[1].index)
            json_array_append_new(cur,
                                  n == 2 ? json_string("") : json_object());
        if (n == 2)
            return json_array_set(cur, (size_t)st[1].index, value) == 0;
        next = json_array_get(cur, (size_t)st[1].index);
    } else if (key_is(&st[0], "_refs")) {
        next = new_ref(s, name, sizeof(name));
        json_array_append_new(cur, json_string(name));
        if (n == 2)
            return false;
    } else if (n == 2) {
        return json_array_append(cur, value) == 0;
    } else {
        next = json_object();
        json_array_append_new(cur, next);
    }
    return set_path(s, next, st + 2, n - 2, value);
}

static void
synth_cmp(struct synth *s, const struct fusion_pattern_cmp *c)
{
    const struct fusion_pattern_path *p = &c->path;
    const struct fusion_pattern_lit *lit = &c->lit;
    json_t *root = json_object_get(s->objects, "0");
    char prop[256], like[1024];
    json_t *v = NULL;
    int bump = 0;

    snprintf(prop, sizeof(prop), "%.*s", (int)p->steps[p->nsteps - 1].key_len,
             p->steps[p->nsteps - 1].key ? p->steps[p->nsteps - 1].key : "");
    if (c->negated || c->op == FUSION_PATTERN_OP_MATCHES ||
        c->op == FUSION_PATTERN_OP_NE) {
        s->impossible = true;
        return;
    }
    if (!json_object_get(root, "type"))
        json_object_set_new(root, "type", json_stringn(p->type, p->type_len));
    else if (strncmp(json_string_value(json_object_get(root, "type")), p->type,
                     p->type_len) != 0)
        s->impossible = true;
    if (c->op == FUSION_PATTERN_OP_GT || c->op == FUSION_PATTERN_OP_LT)
        bump = c->op == FUSION_PATTERN_OP_GT ? 1 : -1;
    if (c->op == FUSION_PATTERN_OP_EXISTS) {
        v = json_string("x");
    } else if (c->op == FUSION_PATTERN_OP_IN) {
        if (lit->u.set.count > 0)
            v = lit_value(&lit->u.set.items[0], prop, 0);
    } else if (c->op == FUSION_PATTERN_OP_LIKE) {
        size_t j = 0;

        for (size_t i = 0; i < lit->u.str.len && j + 1 < sizeof(like); i++) {
            if (lit->u.str.ptr[i] != '%')
                like[j++] = lit->u.str.ptr[i] == '_' ? 'a' : lit->u.str.ptr[i];
        }
        v = json_stringn(like, j);
    } else {
        v = lit_value(lit, prop, bump);
    }
    if (!v || !set_path(s, root, p->steps, p->nsteps, v))
        s->impossible = true;
    json_decref(v);
}

static void
synth_cexpr(struct synth *s, const struct fusion_pattern_cexpr *e)
{
    if (e->kind == FUSION_PATTERN_CEXPR_CMP) {
        synth_cmp(s, e->cmp);
    } else if (e->kind == FUSION_PATTERN_CEXPR_AND) {
        for (size_t i = 0; i < e->nkids; i++)
            synth_cexpr(s, e->kids[i]);
    } else {
        /* the first operand that can be made, on a fresh root */
        for (size_t i = 0; i < e->nkids; i++) {
            json_t *saved = json_deep_copy(s->objects);
            unsigned saved_ref = s->next_ref;

            s->impossible = false;
            synth_cexpr(s, e->kids[i]);
            if (!s->impossible) {
                json_decref(saved);
                return;
            }
            json_decref(s->objects);
            s->objects = saved;
            s->next_ref = saved_ref;
        }
        s->impossible = true;
    }
}

/* Gives a type to referenced SCOs that got none from the pattern. */
static void
type_refs(json_t *objects)
{
    const char *name;
    json_t *o;

    json_object_foreach(objects, name, o)
    {
        const char *v = json_string_value(json_object_get(o, "value"));
        const char *type = "x-synthetic";

        if (json_object_get(o, "type"))
            continue;
        if (v && strchr(v, '@'))
            type = "email-addr";
        else if (v && strchr(v, ':'))
            type = "ipv6-addr";
        else if (v && strspn(v, "0123456789./") == strlen(v))
            type = "ipv4-addr";
        else if (v)
            type = "domain-name";
        else if (json_object_get(o, "path"))
            type = "directory";
        else if (json_object_get(o, "name"))
            type = "file";
        json_object_set_new(o, "type", json_string(type));
    }
}

/* One event line for a leaf, at time ts, unique by serial. */
static char *
event_line(const struct fusion_pattern_cexpr *leaf, const char *ts,
           unsigned serial)
{
    struct synth s = { .objects = json_object(), .next_ref = 1 };
    char id[80];
    json_t *od;
    char *text;

    json_object_set_new(s.objects, "0", json_object());
    synth_cexpr(&s, leaf);
    if (s.impossible) {
        json_decref(s.objects);
        return NULL;
    }
    type_refs(s.objects);
    snprintf(id, sizeof(id), "observed-data--00000000-0000-4000-8000-%012u",
             serial);
    od = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:o}", "type",
                   "observed-data", "spec_version", "2.1", "id", id, "created",
                   ts, "modified", ts, "first_observed", ts, "last_observed",
                   ts, "number_observed", 1, "objects", s.objects);
    text = json_dumps(od, JSON_COMPACT);
    json_decref(od);
    return text;
}

/* Observations each leaf needs: the REPEATS counts above it multiplied. */
static void
leaf_needs(const struct fusion_pattern_obs *o, int64_t mult, int64_t *needs,
           const struct fusion_pattern_cexpr **leaves, size_t *n)
{
    for (size_t i = 0; i < o->nquals; i++) {
        if (o->quals[i].kind == FUSION_PATTERN_QUAL_REPEATS)
            mult *= o->quals[i].repeats;
    }
    if (o->kind == FUSION_PATTERN_OBS_LEAF) {
        needs[*n] = mult;
        leaves[(*n)++] = o->cexpr;
        return;
    }
    for (size_t i = 0; i < o->nkids; i++)
        leaf_needs(o->kids[i], mult, needs, leaves, n);
}

/* The first START of the pattern, as the time its events happen. */
static const char *
start_time(const struct fusion_pattern_obs *o)
{
    for (size_t i = 0; i < o->nquals; i++) {
        if (o->quals[i].kind == FUSION_PATTERN_QUAL_STARTSTOP)
            return o->quals[i].start.u.ts.text;
    }
    for (size_t i = 0; i < o->nkids; i++) {
        const char *t = start_time(o->kids[i]);

        if (t)
            return t;
    }
    return NULL;
}

struct fired {
    const char *want;
    unsigned hits;
    unsigned target_hits;
};

static int
on_hit(void *ctx, const struct fusion_match_hit *hit)
{
    struct fired *f = ctx;

    f->hits++;
    if (f->want && strcmp(hit->indicator_id, f->want) == 0)
        f->target_hits++;
    return 0;
}

struct indicator {
    char *id;
    char *pattern;
    char *valid_from;
};

struct indicators {
    struct indicator *items;
    size_t count;
};

static int
collect(void *ctx, const struct fusion_store_row *row)
{
    struct indicators *all = ctx;
    json_t *o = json_loadb(row->json, row->json_len, 0, NULL);
    const char *pt = json_string_value(json_object_get(o, "pattern_type"));
    struct indicator *it;

    assert_non_null(o);
    if (!pt || strcmp(pt, "stix") == 0) {
        all->items = realloc(all->items, (all->count + 1) * sizeof(*it));
        assert_non_null(all->items);
        it = &all->items[all->count++];
        it->id = strdup(row->id);
        it->pattern = strdup(json_string_value(json_object_get(o, "pattern")));
        it->valid_from =
            strdup(json_string_value(json_object_get(o, "valid_from")));
    }
    json_decref(o);
    return 0;
}

static unsigned rejected;

static void
on_reject(void *ctx, const char *id, const struct fusion_error *err)
{
    (void)ctx;
    (void)id;
    (void)err;
    rejected++;
}

/* Feeds one line to the index; the line must read. */
static void
feed(struct fusion_match_index *idx, const char *line, struct fired *f)
{
    struct fusion_event *ev = NULL;
    struct fusion_error err;

    if (fusion_event_read(line, strlen(line), FUSION_EVENT_STIX, &ev, &err))
        fail_msg("event does not read: %s\n%s", err.message, line);
    assert_int_equal(fusion_match_index_match(idx, ev, on_hit, f, &err),
                     FUSION_OK);
    fusion_event_unref(ev);
}

static void
test_corpus_indicators_fire_on_their_values(void **state)
{
    const char *types[] = { "indicator" };
    struct fusion_store_query q = { .types = types,
                                    .ntypes = 1,
                                    .include_revoked = false };
    struct indicators all = { 0 };
    struct fusion_match_index *idx;
    struct fusion_match_stats st;
    struct fusion_error err;
    struct fixture *fx;
    unsigned files = 0, made = 0, unmade = 0, bad = 0, serial = 0;
    int64_t since = 0;

    (void)state;
    fx = fixture_open();
    assert_non_null(fx);
    for (size_t i = 0; i < sizeof(corpus_dirs) / sizeof(corpus_dirs[0]); i++) {
        char dir[1200];

        snprintf(dir, sizeof(dir), "%s/%s", corpus, corpus_dirs[i]);
        ingest_tree(fx->store, dir, &files);
    }
    assert_int_equal(
        fusion_store_search(fx->store, &q, collect, &all, NULL, &err),
        FUSION_OK);
    assert_true(all.count > 1000);
    assert_int_equal(fusion_match_index_new(&idx), FUSION_OK);
    assert_int_equal(fusion_match_index_follow(idx, fx->store, &since,
                                               on_reject, NULL, &err),
                     FUSION_OK);
    fusion_match_index_stats(idx, &st);

    for (size_t i = 0; i < all.count; i++) {
        const struct indicator *it = &all.items[i];
        const struct fusion_pattern_cexpr *leaves[64];
        struct fusion_pattern *p = NULL;
        struct fired f = { .want = it->id };
        int64_t needs[64];
        size_t nleaves = 0;
        char *lines[256];
        size_t nlines = 0;
        const char *ts;
        bool ok = true;

        if (fusion_pattern_parse(it->pattern, strlen(it->pattern), &p, &err)) {
            bad++;
            continue;
        }
        leaf_needs(p->root, 1, needs, leaves, &nleaves);
        ts = start_time(p->root);
        if (!ts)
            ts = it->valid_from;
        for (size_t l = 0; ok && l < nleaves; l++) {
            for (int64_t k = 0; ok && k < needs[l]; k++) {
                char *line =
                    nlines < 256 ? event_line(leaves[l], ts, ++serial) : NULL;

                ok = line != NULL;
                if (ok)
                    lines[nlines++] = line;
            }
        }
        if (ok) {
            made++;
            for (size_t k = 0; k < nlines; k++)
                feed(idx, lines[k], &f);
            if (f.target_hits == 0)
                fail_msg("%s did not fire on its own values\npattern: %s\n"
                         "event: %s",
                         it->id, it->pattern, lines[nlines - 1]);
        } else {
            unmade++;
        }
        for (size_t k = 0; k < nlines; k++)
            free(lines[k]);
        fusion_pattern_free(p);
    }

    /* unrelated values: nothing in the corpus looks for them */
    for (unsigned i = 0; i < 200; i++) {
        char line[600];
        struct fired f = { 0 };

        snprintf(line, sizeof(line),
                 "{\"type\":\"observed-data\",\"spec_version\":\"2.1\","
                 "\"id\":\"observed-data--00000000-0000-4000-9000-%012u\","
                 "\"created\":\"2024-05-01T00:00:00Z\","
                 "\"modified\":\"2024-05-01T00:00:00Z\","
                 "\"first_observed\":\"2024-05-01T00:00:00Z\","
                 "\"last_observed\":\"2024-05-01T00:00:00Z\","
                 "\"number_observed\":1,\"objects\":{"
                 "\"0\":{\"type\":\"%s\",\"value\":\"%s%u%s\"}}}",
                 i,
                 i % 4 == 0   ? "ipv4-addr"
                 : i % 4 == 1 ? "domain-name"
                 : i % 4 == 2 ? "url"
                              : "email-addr",
                 i % 4 == 0   ? "100.64.7."
                 : i % 4 == 1 ? "unrelated-"
                 : i % 4 == 2 ? "https://unrelated.invalid/"
                              : "nobody",
                 i % 4 == 0 ? i % 250 : i,
                 i % 4 == 1   ? ".invalid"
                 : i % 4 == 3 ? "@unrelated.invalid"
                              : "");
        feed(idx, line, &f);
        if (f.hits)
            fail_msg("an unrelated event hit %u indicators: %s", f.hits, line);
    }
    for (unsigned i = 0; i < 100; i++) {
        char line[600];
        struct fired f = { 0 };

        snprintf(line, sizeof(line),
                 "{\"type\":\"observed-data\",\"spec_version\":\"2.1\","
                 "\"id\":\"observed-data--00000000-0000-4000-a000-%012u\","
                 "\"created\":\"2024-05-01T00:00:00Z\","
                 "\"modified\":\"2024-05-01T00:00:00Z\","
                 "\"first_observed\":\"2024-05-01T00:00:00Z\","
                 "\"last_observed\":\"2024-05-01T00:00:00Z\","
                 "\"number_observed\":1,\"objects\":{"
                 "\"0\":{\"type\":\"file\",\"name\":\"unrelated-%u.bin\","
                 "\"hashes\":{\"SHA-256\":\"%064x\",\"MD5\":\"%032x\"}}}}",
                 i, i, i * 7919u + 1, i * 104729u + 3);
        feed(idx, line, &f);
        if (f.hits)
            fail_msg("an unrelated file hit %u indicators: %s", f.hits, line);
    }
    print_message("%u corpus files; %zu indicators in the store, %zu in "
                  "the index, %u left out by the index (%u do not parse); "
                  "%u fired on events made from their values; %u could "
                  "not be made into events (MATCHES, NOT, !=)\n",
                  files, all.count, st.indicators, rejected, bad, made, unmade);
    assert_true(made > 1900);
    assert_int_equal(st.indicators + rejected, all.count);

    for (size_t i = 0; i < all.count; i++) {
        free(all.items[i].id);
        free(all.items[i].pattern);
        free(all.items[i].valid_from);
    }
    free(all.items);
    fusion_match_index_free(idx);
    fixture_close(fx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_indicators_fire_on_their_values),
    };
    const char *root = getenv("FUSION_SOURCE_ROOT");
    struct stat st;

    snprintf(corpus, sizeof(corpus), "%s/../shared/corpus",
             root && *root ? root : FUSION_SOURCE_ROOT);
    if (stat(corpus, &st) != 0) {
        printf("skipped: the shared corpus is absent at %s\n", corpus);
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
