/* SPDX-License-Identifier: Apache-2.0 */
/* fusion user: the accounts the TAXII server authenticates. */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

/* Room for the longest password, its newline and a NUL. */
#define PASSWORD_BUF (FUSION_STORE_MAX_PASSWORD + 2)

static void
user_usage(FILE *f)
{
    fputs("usage: fusion user add [--password-file FILE] NAME\n"
          "       fusion user passwd [--password-file FILE] NAME\n"
          "       fusion user list\n"
          "       fusion user remove NAME\n"
          "       fusion user disable NAME\n"
          "       fusion user enable NAME\n"
          "\n"
          "Manages the users of the TAXII server. The password comes from\n"
          "--password-file (its first line), else from standard input (its\n"
          "first line), or is asked for without echo when standard input is\n"
          "a terminal. Only a salted scrypt hash of it is stored. A disabled\n"
          "user keeps its password, tokens and grants, but the server\n"
          "refuses its credentials (401) until it is enabled again.\n",
          f);
}

/* Clears a secret so it does not outlive its use in memory. */
static void
wipe(char *buf, size_t len)
{
    volatile char *p = buf;

    while (len--)
        *p++ = '\0';
}

/*
 * Reads the first line of f into buf (PASSWORD_BUF bytes) without its
 * line ending; false when there is none or it is too long.
 */
static bool
read_line(FILE *f, char *buf, const char *from)
{
    size_t len;

    if (!fgets(buf, PASSWORD_BUF, f)) {
        cli_error("no password on %s", from);
        return false;
    }
    len = strlen(buf);
    if (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
    else if (!feof(f)) {
        cli_error("password on %s is longer than %d bytes", from,
                  FUSION_STORE_MAX_PASSWORD);
        return false;
    }
    if (len > 0 && buf[len - 1] == '\r')
        buf[--len] = '\0';
    return true;
}

/* Asks on the terminal with echo off; the terminal is restored after. */
static bool
prompt(const char *question, char *buf)
{
    struct termios saved, quiet;
    bool ok;

    if (tcgetattr(STDIN_FILENO, &saved) != 0) {
        cli_error("cannot read the terminal: %s", strerror(errno));
        return false;
    }
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    fputs(question, stderr);
    fflush(stderr);
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
        cli_error("cannot turn echo off: %s", strerror(errno));
        return false;
    }
    ok = read_line(stdin, buf, "the terminal");
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    return ok;
}

/*
 * The new password into buf, from a file, the terminal or stdin; the
 * exit code of a failure, or CLI_OK.
 */
static int
get_password(const char *file, char *buf)
{
    char again[PASSWORD_BUF];
    FILE *f;
    bool ok;

    if (file) {
        f = fopen(file, "r");
        if (!f) {
            cli_error("cannot open '%s': %s", file, strerror(errno));
            return CLI_FAILURE;
        }
        ok = read_line(f, buf, file);
        fclose(f);
        return ok ? CLI_OK : CLI_INVALID;
    }
    if (!isatty(STDIN_FILENO))
        return read_line(stdin, buf, "standard input") ? CLI_OK : CLI_INVALID;
    if (!prompt("new password: ", buf))
        return CLI_INVALID;
    ok = prompt("again: ", again);
    if (ok && strcmp(buf, again) != 0) {
        cli_error("the passwords differ");
        ok = false;
    }
    wipe(again, sizeof(again));
    return ok ? CLI_OK : CLI_INVALID;
}

/*
 * Options of the subcommands: the common ones and --password-file.
 * Returns optind, or -1 after usage (*rc_out then holds the exit code).
 */
static int
parse_options(struct cli *cli, int argc, char **argv, const char **file_out,
              int *rc_out)
{
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        { "password-file", required_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 },
    };
    int opt;

    while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) !=
           -1) {
        if (cli_common_option(cli, opt, optarg))
            continue;
        if (opt == 'p' && file_out) {
            *file_out = optarg;
            continue;
        }
        user_usage(opt == 'h' ? stdout : stderr);
        *rc_out = opt == 'h' ? CLI_OK : CLI_USAGE;
        return -1;
    }
    return optind;
}

/* add and passwd: a name and a new password. */
static int
user_set(struct cli *cli, int argc, char **argv, bool add)
{
    char password[PASSWORD_BUF];
    const char *file = NULL;
    struct fusion_store *store;
    struct fusion_error err;
    enum fusion_err frc;
    int rc = CLI_USAGE;

    if (parse_options(cli, argc, argv, &file, &rc) != argc - 1) {
        if (rc == CLI_USAGE)
            user_usage(stderr);
        return rc;
    }
    rc = cli_open_store(cli, 0, &store);
    if (rc)
        return rc;
    rc = get_password(file, password);
    if (rc) {
        wipe(password, sizeof(password));
        fusion_store_close(store);
        return rc;
    }
    if (add)
        frc =
            fusion_store_user_add(store, argv[argc - 1], password, NULL, &err);
    else
        frc = fusion_store_user_set_password(store, argv[argc - 1], password,
                                             NULL, &err);
    wipe(password, sizeof(password));
    return cli_store_done(store, frc, &err);
}

static int
print_user(void *ctx, const struct fusion_store_user *user)
{
    struct cli *cli = ctx;
    char created[FUSION_TS_MAX];

    fusion_ts_format(user->created, 3, created);
    if (!cli->json) {
        printf("%s\t%s\t%s\n", user->name, created,
               user->disabled ? "disabled" : "enabled");
        return 0;
    }
    printf("{\"name\":");
    cli_json_string(stdout, user->name);
    printf(",\"created\":\"%s\",\"disabled\":%s}\n", created,
           user->disabled ? "true" : "false");
    return 0;
}

static int
user_list(struct cli *cli, int argc, char **argv)
{
    struct fusion_store *store;
    struct fusion_error err;
    int rc = CLI_USAGE;

    if (parse_options(cli, argc, argv, NULL, &rc) != argc) {
        if (rc == CLI_USAGE)
            user_usage(stderr);
        return rc;
    }
    rc = cli_open_store(cli, FUSION_STORE_READONLY, &store);
    if (rc)
        return rc;
    return cli_store_done(
        store, fusion_store_user_list(store, print_user, cli, &err), &err);
}

/* The subcommands that take a name and nothing else. */
enum user_action {
    USER_REMOVE,
    USER_DISABLE,
    USER_ENABLE,
};

static int
user_named(struct cli *cli, int argc, char **argv, enum user_action action)
{
    struct fusion_store *store;
    struct fusion_error err;
    enum fusion_err frc;
    const char *name;
    int rc = CLI_USAGE;

    if (parse_options(cli, argc, argv, NULL, &rc) != argc - 1) {
        if (rc == CLI_USAGE)
            user_usage(stderr);
        return rc;
    }
    name = argv[argc - 1];
    rc = cli_open_store(cli, 0, &store);
    if (rc)
        return rc;
    if (action == USER_REMOVE)
        frc = fusion_store_user_remove(store, name, &err);
    else
        frc = fusion_store_user_set_disabled(store, name,
                                             action == USER_DISABLE, &err);
    return cli_store_done(store, frc, &err);
}

int
cmd_user(struct cli *cli, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "add") == 0)
        return user_set(cli, argc - 1, argv + 1, true);
    if (argc >= 2 && strcmp(argv[1], "passwd") == 0)
        return user_set(cli, argc - 1, argv + 1, false);
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
        return user_list(cli, argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "remove") == 0)
        return user_named(cli, argc - 1, argv + 1, USER_REMOVE);
    if (argc >= 2 && strcmp(argv[1], "disable") == 0)
        return user_named(cli, argc - 1, argv + 1, USER_DISABLE);
    if (argc >= 2 && strcmp(argv[1], "enable") == 0)
        return user_named(cli, argc - 1, argv + 1, USER_ENABLE);
    if (argc >= 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        user_usage(stdout);
        return CLI_OK;
    }
    user_usage(stderr);
    return CLI_USAGE;
}
