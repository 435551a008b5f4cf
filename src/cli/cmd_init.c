/* SPDX-License-Identifier: Apache-2.0 */
/* fusion init: create a store, and a certificate for the server. */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define MAX_TLS_NAMES 16

static void
init_usage(FILE *f)
{
    fputs(
        "usage: fusion init [--tls-name NAME ...] [--no-tls] [--db PATH] "
        "[--json]\n"
        "\n"
        "Creates an empty store (default ./fusion.db, or $FUSION_DB).\n"
        "An existing store is left as it is, and upgraded to the current\n"
        "schema when it is older.\n"
        "\n"
        "Unless they exist or --no-tls is given, it also makes a self-signed\n"
        "certificate for 'fusion serve' beside the store: DB-cert.pem and\n"
        "DB-key.pem (mode 0600), valid for two years for localhost,\n"
        "127.0.0.1, ::1, this host's name and each --tls-name.\n",
        f);
}

/* Makes the certificate pair unless it is there; returns an exit code. */
static int
make_certificate(struct cli *cli, const char *const *extra, size_t nextra,
                 char *cert, char *key, size_t size, bool *made)
{
    const char *names[MAX_TLS_NAMES + 4] = { "localhost", "127.0.0.1", "::1" };
    size_t n = 3;
    char host[256];
    bool have_cert, have_key;
    struct fusion_error err;
    enum fusion_err rc;

    snprintf(cert, size, "%s-cert.pem", cli->db);
    snprintf(key, size, "%s-key.pem", cli->db);
    have_cert = access(cert, F_OK) == 0;
    have_key = access(key, F_OK) == 0;
    *made = false;
    if (have_cert && have_key)
        return CLI_OK;
    if (have_cert || have_key) {
        cli_error("%s exists without %s: remove it or supply both",
                  have_cert ? cert : key, have_cert ? key : cert);
        return CLI_FAILURE;
    }
    if (gethostname(host, sizeof(host)) == 0 && host[0] &&
        strcmp(host, "localhost") != 0) {
        host[sizeof(host) - 1] = '\0';
        names[n++] = host;
    }
    for (size_t i = 0; i < nextra; i++)
        names[n++] = extra[i];
    rc = fusion_tls_self_signed(cert, key, names, n, 730, &err);
    if (rc != FUSION_OK) {
        cli_error("%s", err.message);
        return cli_exit_for(rc);
    }
    *made = true;
    return CLI_OK;
}

int
cmd_init(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        CLI_COMMON_OPTIONS,
        { "tls-name", required_argument, NULL, 1100 },
        { "no-tls", no_argument, NULL, 1101 },
        { NULL, 0, NULL, 0 },
    };
    const char *names[MAX_TLS_NAMES];
    char cert[4096], key[4096];
    struct fusion_store *store;
    size_t nnames = 0;
    bool existed, tls = true, made = false;
    int c, rc;

    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, options, NULL)) !=
           -1) {
        if (c == 'h') {
            init_usage(stdout);
            return CLI_OK;
        }
        if (c == 1100 && nnames < MAX_TLS_NAMES) {
            names[nnames++] = optarg;
        } else if (c == 1100) {
            cli_error("--tls-name: at most %d names", MAX_TLS_NAMES);
            return CLI_USAGE;
        } else if (c == 1101) {
            tls = false;
        } else if (!cli_common_option(cli, c, optarg)) {
            init_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind != argc) {
        init_usage(stderr);
        return CLI_USAGE;
    }
    existed = access(cli->db, F_OK) == 0;
    rc = cli_open_store(cli, FUSION_STORE_CREATE, &store);
    if (rc)
        return rc;
    fusion_store_close(store);
    if (tls) {
        rc = make_certificate(cli, names, nnames, cert, key, sizeof(cert),
                              &made);
        if (rc)
            return rc;
    }
    if (cli->json) {
        printf("{\"db\":");
        cli_json_string(stdout, cli->db);
        printf(",\"created\":%s,\"schema_version\":%d",
               existed ? "false" : "true", fusion_store_schema_version());
        if (made) {
            printf(",\"tls_cert\":");
            cli_json_string(stdout, cert);
            printf(",\"tls_key\":");
            cli_json_string(stdout, key);
        }
        printf("}\n");
    } else {
        printf("%s store '%s' (schema version %d)\n",
               existed ? "opened existing" : "created", cli->db,
               fusion_store_schema_version());
        if (made)
            printf("made a self-signed certificate for fusion serve: %s "
                   "(key %s)\n",
                   cert, key);
    }
    return CLI_OK;
}
