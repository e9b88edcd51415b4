/* SPDX-License-Identifier: Apache-2.0 */
/*
 * files.c - the few file-system chores of the benchmark: removing a scratch
 * directory, adding up what a store occupies on disk, joining paths, and
 * timing a tool that writes into a file.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

void remove_tree(const char *path) {
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static uint64_t sum_allocated, sum_apparent;

static int add_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)path;
    (void)ftw;
    if (type == FTW_F && S_ISREG(st->st_mode)) {
        sum_allocated += (uint64_t)st->st_blocks * 512;
        sum_apparent += (uint64_t)st->st_size;
    }
    return 0;
}

void tree_bytes(const char *path, uint64_t *allocated, uint64_t *apparent) {
    sum_allocated = sum_apparent = 0;
    nftw(path, add_entry, 16, FTW_PHYS);
    *allocated = sum_allocated;
    *apparent = sum_apparent;
}

const char *path_join(const char *dir, const char *name) {
    static char buffers[4][4096];
    static unsigned next;
    char *b = buffers[next++ % 4];
    snprintf(b, sizeof buffers[0], "%s/%s", dir, name);
    return b;
}

double run_tool(const char *const argv[], const char *out) {
    double start = now_seconds();
    pid_t pid = fork();
    if (pid < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) _exit(127);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) die("waitpid: %s", strerror(errno));
    double seconds = now_seconds() - start;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("%s %s %s failed (status %d)", argv[0], argv[1], argv[2] ? argv[2] : "", status);
    return seconds;
}
