/* SPDX-License-Identifier: Apache-2.0 */
/* fusion ingest: read files, directories or stdin into the store. */
/* realpath() is an XSI interface. */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ingest/ingest.h"

/* Notes printed per file, by default, before the rest are only counted. */
#define NOTES_SHOWN 50

struct ingest_run {
    struct cli *cli;
    struct fusion_store *store;
    struct fusion_ingest_options opt;
    struct fusion_ingest_counts total;
    const char *name;
    bool show_warnings;
    bool progress;
    bool progress_shown;
    unsigned notes_shown;
    unsigned notes_hidden;
    uint64_t max_notes; /* 0: all */
    const char *collections[FUSION_STORE_MAX_PUT_COLLECTIONS];
    struct fusion_buf notes; /* with --json: the notes as JSON array items */
    unsigned files;
    unsigned failed;
    int worst; /* exit code of the worst failure */
};

static void
ingest_usage(FILE *f)
{
    fputs("usage: fusion ingest [OPTIONS] FILE|DIR|- ...\n"
          "\n"
          "Reads STIX 2.0 and 2.1 JSON: bundles, TAXII envelopes, bare\n"
          "objects, arrays of objects and JSON lines. STIX 2.0 objects are\n"
          "upgraded to 2.1. Each file is stored in one transaction: a file\n"
          "that fails leaves nothing behind. Directories are read\n"
          "recursively (hidden entries are skipped); '-' reads standard\n"
          "input.\n"
          "\n"
          "Options:\n"
          "  --strict                   fail a file on any invalid object\n"
          "                             (default: reject invalid objects one\n"
          "                             by one and store the rest)\n"
          "  --warnings                 print warnings, not only rejections\n"
          "  --collection ID|ALIAS      also put every object into this TAXII\n"
          "                             collection (repeatable)\n"
          "  --max-notes N              rejections and warnings printed per\n"
          "                             file (default 50, 0: all)\n"
          "  --max-object-bytes N       largest object (default 16777216)\n"
          "  --max-depth N              deepest JSON nesting (default 64)\n"
          "  --max-objects N            most objects per file (default "
          "50000000)\n"
          "  --max-document-bytes N     largest document held whole (default\n"
          "                             536870912; only needed when a bundle\n"
          "                             lists its objects before its type)\n"
          "  --db PATH, --json, --help\n"
          "\n"
          "Prints one line per file: objects read, new objects, new versions,\n"
          "duplicates, conflicts and rejected. Exit status 3 when a file\n"
          "failed (or, with --strict, held an invalid object).\n",
          f);
}

static void
clear_progress(struct ingest_run *run)
{
    if (run->progress_shown) {
        fputs("\r\033[K", stderr);
        run->progress_shown = false;
    }
}

static void
on_progress(void *ctx, uint64_t bytes, uint64_t objects)
{
    struct ingest_run *run = ctx;

    fprintf(stderr, "\r\033[K%s: %llu objects, %.1f MB", run->name,
            (unsigned long long)objects, (double)bytes / 1e6);
    run->progress_shown = true;
}

/* Appends a JSON string literal of s to buf. */
static enum fusion_err
buf_json_string(struct fusion_buf *buf, const char *s)
{
    enum fusion_err rc = fusion_buf_putc(buf, '"');

    for (; *s && !rc; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            rc = fusion_buf_printf(buf, "\\%c", c);
        else if (c < 0x20)
            rc = fusion_buf_printf(buf, "\\u%04x", c);
        else
            rc = fusion_buf_putc(buf, (char)c);
    }
    return rc ? rc : fusion_buf_putc(buf, '"');
}

static void
json_note(struct ingest_run *run, const struct fusion_ingest_note *note,
          const char *word)
{
    struct fusion_buf *b = &run->notes;
    size_t start = b->len;
    enum fusion_err rc;

    rc = fusion_buf_printf(b,
                           "%s{\"event\":\"%s\",\"line\":%llu,"
                           "\"offset\":%llu,\"id\":",
                           start ? "," : "", word,
                           (unsigned long long)note->line,
                           (unsigned long long)note->offset);
    if (!rc && note->object_id)
        rc = buf_json_string(b, note->object_id);
    else if (!rc)
        rc = fusion_buf_puts(b, "null");
    if (!rc)
        rc = fusion_buf_puts(b, ",\"path\":");
    if (!rc)
        rc = buf_json_string(b, note->path);
    if (!rc)
        rc = fusion_buf_puts(b, ",\"message\":");
    if (!rc)
        rc = buf_json_string(b, note->message);
    if (!rc)
        rc = fusion_buf_putc(b, '}');
    if (rc) {
        /* a note that does not fit is dropped whole, and counted */
        b->len = start;
        if (b->data)
            b->data[start] = '\0';
        run->notes_hidden++;
    }
}

static void
on_note(void *ctx, const struct fusion_ingest_note *note)
{
    static const char *const words[] = { "warning", "rejected", "conflict" };
    struct ingest_run *run = ctx;

    if (note->event == FUSION_INGEST_WARNING && !run->show_warnings)
        return;
    if (run->max_notes && run->notes_shown >= run->max_notes) {
        run->notes_hidden++;
        return;
    }
    run->notes_shown++;
    if (run->cli->json) {
        json_note(run, note, words[note->event]);
        return;
    }
    clear_progress(run);
    fprintf(stderr, "%s:%llu: byte %llu: %s: %s", run->name,
            (unsigned long long)note->line, (unsigned long long)note->offset,
            words[note->event], note->object_id ? note->object_id : "(no id)");
    if (*note->path)
        fprintf(stderr, ": %s", note->path);
    fprintf(stderr, ": %s\n", note->message);
}

static const char *
plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

static void
print_counts(FILE *f, const char *name, const struct fusion_ingest_counts *c)
{
    fprintf(f,
            "%s: %llu object%s: %llu new, %llu new version%s, %llu "
            "duplicate%s, %llu conflict%s, %llu rejected (%llu upgraded from "
            "STIX 2.0, %llu with warnings)\n",
            name, (unsigned long long)c->objects, plural(c->objects),
            (unsigned long long)c->new_objects,
            (unsigned long long)c->new_versions, plural(c->new_versions),
            (unsigned long long)c->duplicates, plural(c->duplicates),
            (unsigned long long)c->conflicts, plural(c->conflicts),
            (unsigned long long)c->rejected, (unsigned long long)c->upgraded,
            (unsigned long long)c->warnings);
}

/* A file that failed stored nothing: only what was read counts. */
static void
print_failed(const char *name, const struct fusion_ingest_counts *c)
{
    printf("%s: FAILED after reading %llu object%s: nothing stored\n", name,
           (unsigned long long)c->objects, plural(c->objects));
}

static void
print_counts_json(const char *name, const struct fusion_ingest_counts *c,
                  const struct fusion_buf *notes,
                  const struct fusion_error *err)
{
    printf("{\"file\":");
    cli_json_string(stdout, name);
    printf(",\"ok\":%s,\"objects\":%llu,\"new_objects\":%llu,"
           "\"new_versions\":%llu,\"duplicates\":%llu,\"conflicts\":%llu,"
           "\"rejected\":%llu,\"upgraded\":%llu,\"warnings\":%llu,"
           "\"bytes\":%llu",
           err ? "false" : "true", (unsigned long long)c->objects,
           (unsigned long long)c->new_objects,
           (unsigned long long)c->new_versions,
           (unsigned long long)c->duplicates, (unsigned long long)c->conflicts,
           (unsigned long long)c->rejected, (unsigned long long)c->upgraded,
           (unsigned long long)c->warnings, (unsigned long long)c->bytes);
    printf(",\"notes\":[%s]", notes->data ? notes->data : "");
    if (err) {
        printf(",\"error\":");
        cli_json_string(stdout, err->message);
        if (err->has_offset)
            printf(",\"offset\":%llu,\"line\":%llu",
                   (unsigned long long)err->offset,
                   (unsigned long long)err->line);
    }
    printf("}\n");
}

static void
add_counts(struct fusion_ingest_counts *to,
           const struct fusion_ingest_counts *c)
{
    to->objects += c->objects;
    to->new_objects += c->new_objects;
    to->new_versions += c->new_versions;
    to->duplicates += c->duplicates;
    to->conflicts += c->conflicts;
    to->rejected += c->rejected;
    to->upgraded += c->upgraded;
    to->warnings += c->warnings;
    to->bytes += c->bytes;
}

static void
report_file(struct ingest_run *run, struct fusion_ingest_counts *c,
            enum fusion_err rc, struct fusion_error *err)
{
    char where[600];

    clear_progress(run);
    if (run->notes_hidden)
        fprintf(stderr, "%s: %u more notes not shown\n", run->name,
                run->notes_hidden);
    run->files++;
    if (rc) {
        run->failed++;
        if (rc == FUSION_ERR_IO || rc == FUSION_ERR_DB ||
            rc == FUSION_ERR_NOMEM)
            run->worst = CLI_FAILURE;
        else if (run->worst != CLI_FAILURE)
            run->worst = CLI_INVALID;
        /* nothing of a failed file is stored: only the objects read count */
        *c = (struct fusion_ingest_counts){ .objects = c->objects,
                                            .bytes = c->bytes };
        if (err->has_offset)
            snprintf(where, sizeof(where), "line %llu, byte %llu: %s",
                     (unsigned long long)err->line,
                     (unsigned long long)err->offset, err->message);
        else
            snprintf(where, sizeof(where), "%s", err->message);
        cli_error("%s: %s%s", run->name, where,
                  rc == FUSION_ERR_LIMIT
                      ? " (limits: --max-object-bytes, --max-depth, "
                        "--max-objects, --max-document-bytes)"
                      : "");
    } else {
        add_counts(&run->total, c);
    }
    if (run->cli->json)
        print_counts_json(run->name, c, &run->notes, rc ? err : NULL);
    else if (rc)
        print_failed(run->name, c);
    else
        print_counts(stdout, run->name, c);
}

/*
 * Reads one stream. Provenance names a file by its absolute path, so it
 * still says where the objects came from when read from elsewhere.
 */
static void
ingest_stream(struct ingest_run *run, FILE *f, const char *name,
              const char *kind)
{
    struct fusion_ingest_counts counts;
    struct fusion_error err;
    char *full = strcmp(kind, "file") == 0 ? realpath(name, NULL) : NULL;
    enum fusion_err rc;

    run->name = name;
    run->notes_shown = 0;
    run->notes_hidden = 0;
    fusion_buf_clear(&run->notes);
    run->opt.source.kind = kind;
    run->opt.source.name = full ? full : name;
    fusion_error_clear(&err);
    rc = fusion_ingest_file(run->store, f, &run->opt, &counts, &err);
    report_file(run, &counts, rc, &err);
    free(full);
}

/* A path that could not be read at all: reported like a failed file. */
static void
unreadable(struct ingest_run *run, const char *path, int e)
{
    struct fusion_ingest_counts counts = { 0 };
    struct fusion_error err;

    run->name = path;
    run->notes_shown = 0;
    run->notes_hidden = 0;
    fusion_buf_clear(&run->notes);
    fusion_error_set(&err, FUSION_ERR_IO, "%s", strerror(e));
    report_file(run, &counts, FUSION_ERR_IO, &err);
}

static void ingest_path(struct ingest_run *run, const char *path);

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Links to folders are not followed inside a folder walk: one pointing
 * up would make the walk endless.
 */
static bool
is_folder_link(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
           stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Directory entries in name order, so runs are repeatable. */
static void
ingest_dir(struct ingest_run *run, const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;

    if (!dir) {
        unreadable(run, path, errno);
        return;
    }
    while ((de = readdir(dir))) {
        size_t len = strlen(path) + strlen(de->d_name) + 2;
        char *full;

        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **grown;

            cap = cap ? cap * 2 : 64;
            grown = fusion_realloc(names, cap * sizeof(*names));
            if (!grown) {
                unreadable(run, path, ENOMEM);
                break;
            }
            names = grown;
        }
        full = fusion_malloc(len);
        if (!full) {
            unreadable(run, path, ENOMEM);
            break;
        }
        snprintf(full, len, "%s/%s", path, de->d_name);
        if (is_folder_link(full)) {
            fprintf(stderr, "%s: skipped: a link to a folder\n", full);
            fusion_free(full);
            continue;
        }
        names[n++] = full;
    }
    closedir(dir);
    qsort(names, n, sizeof(*names), compare_names);
    for (size_t i = 0; i < n; i++) {
        ingest_path(run, names[i]);
        fusion_free(names[i]);
    }
    fusion_free(names);
}

static void
ingest_path(struct ingest_run *run, const char *path)
{
    struct stat st;
    FILE *f;

    if (strcmp(path, "-") == 0) {
        ingest_stream(run, stdin, "-", "stdin");
        return;
    }
    if (stat(path, &st) != 0) {
        unreadable(run, path, errno);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        ingest_dir(run, path);
        return;
    }
    f = fopen(path, "rb");
    if (!f) {
        unreadable(run, path, errno);
        return;
    }
    ingest_stream(run, f, path, "file");
    fclose(f);
}

static bool
parse_size(const char *option, const char *value, uint64_t *out)
{
    int64_t v;

    if (fusion_parse_int64(value, strlen(value), &v) || v <= 0) {
        cli_error("%s: expected a positive whole number, got '%s'", option,
                  value);
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

static int
parse_ingest_options(struct ingest_run *run, int argc, char **argv)
{
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        { "strict", no_argument, NULL, 's' },
        { "warnings", no_argument, NULL, 'w' },
        { "max-object-bytes", required_argument, NULL, 'B' },
        { "max-depth", required_argument, NULL, 'D' },
        { "max-objects", required_argument, NULL, 'N' },
        { "max-document-bytes", required_argument, NULL, 'M' },
        { "max-notes", required_argument, NULL, 'n' },
        { "collection", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    struct fusion_ingest_limits *lim = &run->opt.limits;
    char option[40];
    uint64_t v;
    int c, index = 0;

    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, options, &index)) !=
           -1) {
        if (cli_common_option(run->cli, c, optarg))
            continue;
        switch (c) {
        case 'h':
            ingest_usage(stdout);
            return -1;
        case 's':
            run->opt.strict = true;
            break;
        case 'w':
            run->show_warnings = true;
            break;
        case 'c':
            if (run->opt.ncollections == FUSION_STORE_MAX_PUT_COLLECTIONS) {
                cli_error("--collection: at most %d collections",
                          FUSION_STORE_MAX_PUT_COLLECTIONS);
                return CLI_USAGE;
            }
            run->collections[run->opt.ncollections++] = optarg;
            break;
        case 'n':
            v = 0;
            if (strcmp(optarg, "0") != 0 &&
                !parse_size("--max-notes", optarg, &v))
                return CLI_USAGE;
            run->max_notes = v;
            break;
        case 'B':
        case 'D':
        case 'N':
        case 'M':
            snprintf(option, sizeof(option), "--%s", options[index].name);
            if (!parse_size(option, optarg, &v))
                return CLI_USAGE;
            if (c == 'B')
                lim->max_object_bytes = (size_t)v;
            else if (c == 'D')
                lim->max_depth = (size_t)v;
            else if (c == 'N')
                lim->max_objects = v;
            else
                lim->max_document_bytes = (size_t)v;
            break;
        default:
            ingest_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        ingest_usage(stderr);
        return CLI_USAGE;
    }
    return CLI_OK;
}

static int
found(void *ctx, const struct fusion_store_collection *c)
{
    (void)ctx;
    (void)c;
    return 0;
}

/* Unknown collections are refused before anything is read. */
static bool
collections_exist(struct ingest_run *run)
{
    struct fusion_error err;

    for (size_t i = 0; i < run->opt.ncollections; i++) {
        if (fusion_store_collection_get(run->store, run->collections[i], found,
                                        NULL, &err)) {
            cli_error("--collection '%s': %s (see 'fusion collection list')",
                      run->collections[i], err.message);
            return false;
        }
    }
    return true;
}

int
cmd_ingest(struct cli *cli, int argc, char **argv)
{
    struct ingest_run run = { .cli = cli, .max_notes = NOTES_SHOWN };
    int rc;

    fusion_ingest_limits_default(&run.opt.limits);
    fusion_buf_init(&run.notes, (size_t)64 << 20);
    run.opt.note = on_note;
    run.opt.ctx = &run;
    rc = parse_ingest_options(&run, argc, argv);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (isatty(STDERR_FILENO))
        run.opt.progress = on_progress;
    rc = cli_open_store(cli, 0, &run.store);
    if (rc)
        return rc;
    run.opt.collections = run.collections;
    if (!collections_exist(&run)) {
        fusion_store_close(run.store);
        return CLI_FAILURE;
    }
    for (int i = optind; i < argc; i++)
        ingest_path(&run, argv[i]);
    fusion_store_close(run.store);
    fusion_buf_release(&run.notes);
    if (run.files > 1 && !cli->json) {
        print_counts(stdout, "total", &run.total);
        if (run.failed)
            printf("%u of %u files FAILED, nothing stored from %s\n",
                   run.failed, run.files, run.failed == 1 ? "it" : "them");
    }
    return run.failed ? run.worst : CLI_OK;
}
