/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fusion match: read events as JSON lines, match them against the
 * store's active indicators, print each hit and keep it as a sighting.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli/cli.h"
#include "match/match.h"

/* Rejected indicators reported one by one; the rest only counted. */
#define REJECTS_SHOWN 20

struct match_run {
    struct cli *cli;
    struct fusion_store *store;
    struct fusion_match_index *idx;
    struct fusion_sightings *sightings;
    enum fusion_event_format format;
    bool store_sightings;
    int64_t follow_ns; /* re-read the store's indicators this often */
    int64_t since;     /* date_added of the last indicator read */
    int64_t last_follow;
    int64_t last_flush;
    const char *file; /* input being read, for messages */
    uint64_t line;
    uint64_t events, bad_lines, hits, rejected, stored, refused;
    uint64_t invalid_hits; /* hits of events that are not valid STIX */
    uint64_t unreadable;   /* inputs that could not be read */
    int lock_fd;           /* the store file, for turns of flushing */
    int failed;
};

static void
match_usage(FILE *f)
{
    fputs("usage: fusion match [--format F] [--no-store] [--follow SECS]\n"
          "                    [FILE|-]...\n"
          "\n"
          "Reads events as JSON lines (files, or standard input without FILE\n"
          "or with -) and matches each against the store's active\n"
          "indicators (not revoked, inside valid_from..valid_until at the\n"
          "event's time). Events: STIX observed-data, bare SCOs or bundles,\n"
          "Suricata EVE JSON (dns, http, tls, fileinfo, flow) and Zeek JSON\n"
          "logs (conn, dns, http, files, ssl), told apart line by line.\n"
          "\n"
          "Each hit is printed on stdout as a JSON line and counted in the\n"
          "indicator's sighting, which is stored with the events' observed\n"
          "data (a new version at least every second while events come, and\n"
          "at the end). A malformed line is reported with its number and\n"
          "skipped; an indicator whose pattern cannot be used is reported\n"
          "with its id and left out.\n"
          "\n"
          "  --format F      auto (default), stix, suricata or zeek\n"
          "  --no-store      print hits only, store no sightings\n"
          "  --follow SECS   take up new, changed and revoked indicators\n"
          "                  this often while reading (default 5, 0: never)\n"
          "Exit status 1 when an input could not be read (the others are\n"
          "still matched), else 3 when lines were skipped or hits not\n"
          "recorded, 0 otherwise.\n",
          f);
}

static void
on_reject(void *ctx, const char *id, const struct fusion_error *err)
{
    struct match_run *run = ctx;

    if (run->rejected++ < REJECTS_SHOWN)
        cli_error("%s: %s (left out)", id, err->message);
}

/* Brings the index up to date with the store. */
static bool
follow_store(struct match_run *run)
{
    struct fusion_error err;
    uint64_t before = run->rejected;

    if (fusion_match_index_follow(run->idx, run->store, &run->since, on_reject,
                                  run, &err)) {
        cli_error("reading indicators: %s", err.message);
        return false;
    }
    if (run->rejected > REJECTS_SHOWN && before < run->rejected)
        cli_error("%llu indicators left out in all",
                  (unsigned long long)run->rejected);
    run->last_follow = fusion_time_now_ns();
    return true;
}

/* Objects of the sightings that the store refuses are reported. */
static void
on_stored(void *ctx, const struct fusion_ingest_outcome *o)
{
    struct match_run *run = ctx;

    /*
     * A conflict leaves the stored object under the same id, so the
     * references to it still hold: an SCO whose id depends on some of
     * its properties only, stored before with others (a domain-name
     * with other resolutions).
     */
    if (o->kind != FUSION_INGEST_FAILED || o->conflict)
        return;
    run->refused++;
    cli_error("storing sightings: %s: %s (refused)",
              o->object_id ? o->object_id : "(no id)",
              o->message ? o->message : "invalid");
}

static bool
flush_sightings(struct match_run *run)
{
    struct fusion_ingest_counts counts = { 0 };
    struct fusion_error err;
    enum fusion_err rc;
    size_t pending;

    if (!run->sightings)
        return true;
    pending = fusion_sightings_pending(run->sightings);
    run->last_flush = fusion_time_now_ns();
    if (pending == 0)
        return true;
    /*
     * Runs matching into one store take turns: each merges what another
     * stored meanwhile (see fusion_sightings_flush), which holds only if
     * no other flush lands between its read and its write.
     */
    while (run->lock_fd >= 0 && flock(run->lock_fd, LOCK_EX) < 0 &&
           errno == EINTR)
        ;
    rc = fusion_sightings_flush(run->sightings, &counts, on_stored, run, &err);
    if (run->lock_fd >= 0)
        flock(run->lock_fd, LOCK_UN);
    if (rc) {
        cli_error("storing sightings: %s", err.message);
        return false;
    }
    run->stored += pending;
    return true;
}

/*
 * The periodic work, done between events and while the input is quiet:
 * store pending sightings every second (sooner when the sightings say a
 * flush is due), take up changes of the store every --follow seconds.
 * False when it fails.
 */
static bool
flush_if_due(struct match_run *run, int64_t now)
{
    if (!run->sightings || (now - run->last_flush < 1000000000 &&
                            !fusion_sightings_due(run->sightings)))
        return true;
    return flush_sightings(run);
}

static bool
follow_if_due(struct match_run *run, int64_t now)
{
    if (run->follow_ns <= 0 || now - run->last_follow < run->follow_ns)
        return true;
    return follow_store(run);
}

/* The record of a hit that no sighting records: the indicator and events. */
static json_t *
plain_record(const struct fusion_match_hit *hit)
{
    struct fusion_error err;
    json_t *refs = json_array();

    for (size_t i = 0; refs && i < hit->nevents; i++) {
        if (fusion_event_materialize(hit->events[i], &err)) {
            cli_error("%s", err.message);
            json_decref(refs);
            return NULL;
        }
        json_array_append(refs,
                          json_object_get(hit->events[i]->observed_data, "id"));
    }
    return json_pack("{s:s, s:o*}", "indicator_id", hit->indicator_id,
                     "observed_data_refs", refs);
}

static int
on_hit(void *ctx, const struct fusion_match_hit *hit)
{
    struct match_run *run = ctx;
    struct fusion_error err;
    json_t *rec = NULL;

    run->hits++;
    if (run->sightings) {
        enum fusion_err rc =
            fusion_sightings_record(run->sightings, hit, &rec, &err);

        if (rc == FUSION_ERR_INVALID) {
            run->invalid_hits++;
            cli_error("%s:%llu: %s (hit of %s not recorded)", run->file,
                      (unsigned long long)run->line, err.message,
                      hit->indicator_id);
            rec = plain_record(hit);
            if (rec && json_object_set_new(rec, "recorded", json_false()))
                return 1;
        } else if (rc) {
            cli_error("%s", err.message);
            return 1;
        }
    } else {
        rec = plain_record(hit);
    }
    if (!rec)
        return 1;
    json_object_set_new(rec, "source",
                        json_pack("{s:s, s:I}", "file", run->file, "line",
                                  (json_int_t)run->line));
    json_dumpf(rec, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(rec);
    return 0;
}

static void
match_line(struct match_run *run, const char *line, size_t len)
{
    struct fusion_event *ev = NULL;
    struct fusion_error err;
    int64_t now = fusion_time_now_ns();

    /* changes of the store first, so that this event meets them */
    if (!follow_if_due(run, now))
        run->failed = CLI_FAILURE;
    if (fusion_event_read(line, len, run->format, &ev, &err)) {
        run->bad_lines++;
        if (err.has_offset)
            cli_error("%s:%llu: byte %llu: %s (skipped)", run->file,
                      (unsigned long long)run->line,
                      (unsigned long long)err.offset, err.message);
        else
            cli_error("%s:%llu: %s (skipped)", run->file,
                      (unsigned long long)run->line, err.message);
        return;
    }
    run->events++;
    if (fusion_match_index_match(run->idx, ev, on_hit, run, &err)) {
        cli_error("%s:%llu: %s", run->file, (unsigned long long)run->line,
                  err.message);
        run->failed = CLI_FAILURE;
    }
    fusion_event_unref(ev);

    if (!flush_if_due(run, now))
        run->failed = CLI_FAILURE;
}

/*
 * Lines read with read(2) rather than stdio, so that a quiet stream (a
 * pipe from tail -F) can be waited on with poll: while waiting, pending
 * sightings are stored and the store followed, as they would be were
 * events arriving.
 */
struct line_reader {
    int fd;
    char *buf;
    size_t start, len, cap;
    bool eof;
    bool skipping; /* in a line too long to keep, until its newline */
    size_t skipped;
};

#define READ_CHUNK ((size_t)1 << 16)

/* Set by SIGINT or SIGTERM: stop reading, store what is pending, end. */
static volatile sig_atomic_t stop_signal;

static void
on_stop_signal(int sig)
{
    stop_signal = sig;
}

/*
 * SIGINT and SIGTERM end the run as the end of input would; without
 * SA_RESTART, so that a wait or read in progress returns.
 */
static void
catch_stop_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/*
 * Waits until fd has bytes, doing the periodic work every second; hits
 * printed so far go out before waiting. False when a signal stops the
 * run or the work fails.
 */
static bool
wait_readable(struct match_run *run, int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int timeout = 0;

    for (;;) {
        int n = poll(&p, 1, timeout);
        int64_t now = fusion_time_now_ns();

        if (stop_signal)
            return false;
        if (n < 0 && errno != EINTR)
            return true; /* read reports the fault */
        if (n > 0)
            return true;
        if (timeout == 0) {
            fflush(stdout);
            timeout = 1000;
            continue;
        }
        if (!flush_if_due(run, now) || !follow_if_due(run, now))
            return false;
    }
}

/*
 * The next line, without its newline, into *line and *len: 1, or 0 at
 * the end, -1 on a read error or a failure while waiting. A line longer
 * than FUSION_EVENT_MAX_LINE comes back with *line NULL and *len its
 * length, its bytes dropped as they come.
 */
static int
next_line(struct match_run *run, struct line_reader *r, char **line,
          size_t *len)
{
    for (;;) {
        char *from = r->buf + r->start;
        char *nl =
            r->len > r->start ? memchr(from, '\n', r->len - r->start) : NULL;
        ssize_t n;

        if (nl || (r->eof && (r->len > r->start || r->skipping))) {
            size_t n_line = nl ? (size_t)(nl - from) : r->len - r->start;

            r->start += n_line + (nl != NULL);
            *line = r->skipping ? NULL : from;
            *len = r->skipping ? r->skipped + n_line : n_line;
            r->skipping = false;
            return 1;
        }
        if (r->eof)
            return 0;
        memmove(r->buf, from, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
        if (r->len > FUSION_EVENT_MAX_LINE) {
            r->skipped = (r->skipping ? r->skipped : 0) + r->len;
            r->skipping = true;
            r->len = 0;
        }
        if (r->cap - r->len < READ_CHUNK) {
            char *grown = realloc(r->buf, r->len + READ_CHUNK + 1);

            if (!grown) {
                errno = ENOMEM;
                return -1;
            }
            r->buf = grown;
            r->cap = r->len + READ_CHUNK;
        }
        if (!wait_readable(run, r->fd))
            return stop_signal ? 0 : -1;
        n = read(r->fd, r->buf + r->len, READ_CHUNK);
        if (n < 0 && errno == EINTR && stop_signal)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            r->eof = true;
        r->len += (size_t)n;
    }
}

static bool
blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    }
    return true;
}

static void
match_stream(struct match_run *run, int fd)
{
    struct line_reader r = { .fd = fd, .cap = READ_CHUNK };
    char *line;
    size_t len;
    int got;

    r.buf = malloc(READ_CHUNK + 1);
    if (!r.buf) {
        cli_error("out of memory");
        run->failed = CLI_FAILURE;
        return;
    }

    while (!run->failed && (got = next_line(run, &r, &line, &len)) > 0) {
        run->line++;
        if (!line) {
            run->bad_lines++;
            cli_error("%s:%llu: line of %zu bytes, more than %u (skipped)",
                      run->file, (unsigned long long)run->line, len,
                      FUSION_EVENT_MAX_LINE);
            continue;
        }
        while (len > 0 && line[len - 1] == '\r')
            len--;
        /* a byte order mark some editors put first is no part of the JSON */
        if (run->line == 1 && len >= 3 &&
            memcmp(line, "\xef\xbb\xbf", 3) == 0) {
            line += 3;
            len -= 3;
        }
        if (blank(line, len))
            continue;
        match_line(run, line, len);
    }
    if (got < 0 && !run->failed) {
        cli_error("cannot read '%s': %s (the rest of it skipped)", run->file,
                  strerror(errno));
        run->unreadable++;
    }
    free(r.buf);
}

static void
match_path(struct match_run *run, const char *path)
{
    int fd;

    run->line = 0;
    if (strcmp(path, "-") == 0) {
        run->file = "-";
        match_stream(run, STDIN_FILENO);
        return;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cli_error("cannot open '%s': %s (skipped)", path, strerror(errno));
        run->unreadable++;
        return;
    }
    run->file = path;
    match_stream(run, fd);
    close(fd);
}

static int
parse_match_options(struct match_run *run, int argc, char **argv)
{
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        { "format", required_argument, NULL, 'f' },
        { "no-store", no_argument, NULL, 'n' },
        { "follow", required_argument, NULL, 'F' },
        { NULL, 0, NULL, 0 },
    };
    int64_t secs;
    int c;

    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) !=
           -1) {
        if (cli_common_option(run->cli, c, optarg))
            continue;
        if (c == 'h') {
            match_usage(stdout);
            return -1;
        } else if (c == 'f') {
            if (!fusion_event_format_parse(optarg, &run->format)) {
                cli_error("--format: '%s' is not auto, stix, suricata or "
                          "zeek",
                          optarg);
                return CLI_USAGE;
            }
        } else if (c == 'n') {
            run->store_sightings = false;
        } else if (c == 'F') {
            if (fusion_parse_int64(optarg, strlen(optarg), &secs) || secs < 0 ||
                secs > 86400) {
                cli_error("--follow: '%s' is not a number of seconds from 0 "
                          "to 86400",
                          optarg);
                return CLI_USAGE;
            }
            run->follow_ns = secs * 1000000000;
        } else {
            match_usage(stderr);
            return CLI_USAGE;
        }
    }
    return 0;
}

static void
print_summary(const struct match_run *run)
{
    struct fusion_match_stats st;

    fusion_match_index_stats(run->idx, &st);
    if (run->cli->json) {
        fprintf(stderr,
                "{\"indicators\":%zu,\"rejected\":%llu,\"events\":%llu,"
                "\"bad_lines\":%llu,\"hits\":%llu,\"sightings_stored\":"
                "%llu,\"objects_refused\":%llu,\"invalid_hits\":%llu}\n",
                st.indicators, (unsigned long long)run->rejected,
                (unsigned long long)run->events,
                (unsigned long long)run->bad_lines,
                (unsigned long long)run->hits, (unsigned long long)run->stored,
                (unsigned long long)run->refused,
                (unsigned long long)run->invalid_hits);
        return;
    }
    if (run->invalid_hits)
        fprintf(stderr,
                "%llu hits of events that are not valid STIX not recorded\n",
                (unsigned long long)run->invalid_hits);
    if (run->refused)
        fprintf(stderr, "%llu objects of sightings refused by the store\n",
                (unsigned long long)run->refused);
    fprintf(stderr,
            "%llu events matched against %zu indicators: %llu hits, "
            "%llu sighting versions stored, %llu lines skipped, "
            "%llu indicators left out\n",
            (unsigned long long)run->events, st.indicators,
            (unsigned long long)run->hits, (unsigned long long)run->stored,
            (unsigned long long)run->bad_lines,
            (unsigned long long)run->rejected);
}

int
cmd_match(struct cli *cli, int argc, char **argv)
{
    struct match_run run = {
        .cli = cli,
        .store_sightings = true,
        .follow_ns = 5 * (int64_t)1000000000,
        .lock_fd = -1,
    };
    struct fusion_store_source source = { .kind = "match" };
    struct fusion_error err;
    int rc;

    rc = parse_match_options(&run, argc, argv);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    rc = cli_open_store(cli, run.store_sightings ? 0 : FUSION_STORE_READONLY,
                        &run.store);
    if (rc)
        return rc;
    if (fusion_match_index_new(&run.idx)) {
        fusion_store_close(run.store);
        cli_error("out of memory");
        return CLI_FAILURE;
    }
    /* provenance names the first input that can be read */
    source.name = "-";
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0 || access(argv[i], R_OK) == 0) {
            source.name = argv[i];
            break;
        }
    }
    if (run.store_sightings &&
        fusion_sightings_new(run.store, &source, &run.sightings, &err)) {
        cli_error("%s", err.message);
        run.failed = CLI_FAILURE;
    }
    /*
     * The turns of flushing are an flock of the store file, which SQLite
     * leaves alone (it takes fcntl locks). Closing a descriptor of the
     * file drops the fcntl locks of the whole process, so this one is
     * closed only once the store is.
     */
    run.lock_fd =
        run.store_sightings ? open(cli->db, O_RDONLY | O_CLOEXEC) : -1;
    catch_stop_signals();
    if (!run.failed && follow_store(&run)) {
        run.last_flush = fusion_time_now_ns();
        if (optind == argc)
            match_path(&run, "-");
        for (int i = optind; i < argc && !run.failed && !stop_signal; i++)
            match_path(&run, argv[i]);
        if (!flush_sightings(&run))
            run.failed = CLI_FAILURE;
        print_summary(&run);
    } else {
        run.failed = CLI_FAILURE;
    }
    fusion_sightings_free(run.sightings);
    fusion_match_index_free(run.idx);
    fusion_store_close(run.store);
    if (run.lock_fd >= 0)
        close(run.lock_fd);
    if (run.failed)
        return run.failed;
    if (run.unreadable)
        return CLI_FAILURE;
    return run.bad_lines || run.refused || run.invalid_hits ? CLI_INVALID
                                                            : CLI_OK;
}
