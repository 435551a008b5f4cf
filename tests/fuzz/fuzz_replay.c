/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replays files through a fuzz target without libFuzzer, for ctest: each
 * argument is a file or a folder of files (read recursively). A crash or
 * a sanitizer report fails the test.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/util.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static unsigned long replayed;

static int
replay_file(const char *path)
{
    struct fusion_buf buf;
    char chunk[65536];
    size_t n;
    FILE *f = fopen(path, "rb");

    if (!f) {
        perror(path);
        return 1;
    }
    fusion_buf_init(&buf, 0);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (fusion_buf_append(&buf, chunk, n)) {
            fclose(f);
            fusion_buf_release(&buf);
            fprintf(stderr, "%s: too large\n", path);
            return 1;
        }
    }
    fclose(f);
    LLVMFuzzerTestOneInput((const unsigned char *)(buf.data ? buf.data : ""),
                           buf.len);
    fusion_buf_release(&buf);
    replayed++;
    return 0;
}

static int
replay_path(const char *path)
{
    struct stat st;
    struct dirent *de;
    DIR *dir;
    int rc = 0;

    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode))
        return replay_file(path);
    dir = opendir(path);
    if (!dir) {
        perror(path);
        return 1;
    }
    while (!rc && (de = readdir(dir))) {
        char child[4096];

        if (de->d_name[0] == '.')
            continue;
        snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
        rc = replay_path(child);
    }
    closedir(dir);
    return rc;
}

int
main(int argc, char **argv)
{
    int rc = 0;

    for (int i = 1; i < argc && !rc; i++) {
        struct stat st;

        /* corpus folders are optional: skip those that are absent */
        if (strstr(argv[i], "/corpus/") && stat(argv[i], &st) != 0) {
            printf("skipped: %s is absent\n", argv[i]);
            continue;
        }
        rc = replay_path(argv[i]);
    }
    printf("%lu inputs replayed\n", replayed);
    return rc;
}
