/* tutorial.h - helpers shared by the thesis-tutorial examples (fit_sin, lj_dimer): command
   line, output directory and files. Include after sannip_train.h; define TUTORIAL_PROG (the
   program's name for messages) and TUTORIAL_EPOCHS (the default epoch count) first. */
#ifndef SANNIP_TUTORIAL_H
#define SANNIP_TUTORIAL_H
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "plotting.h"

typedef struct options { unsigned long seed; long epochs; const char *out; } options;
static void usage(FILE *f);   /* each program's own text */

/* Returns 0 and fills o, 1 after --help, -1 on a bad command line (message printed). */
static int parse_options(int argc, char **argv, options *o)
{
    int i;
    o->seed = 1; o->epochs = TUTORIAL_EPOCHS; o->out = "examples_out";
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { usage(stdout); return 1; }
        if (strcmp(a, "--seed") != 0 && strcmp(a, "--epochs") != 0 && strcmp(a, "--out") != 0) {
            fprintf(stderr, TUTORIAL_PROG ": unknown option '%s'\n", a); usage(stderr); return -1;
        }
        if (i + 1 >= argc) { fprintf(stderr, TUTORIAL_PROG ": %s needs a value\n", a); return -1; }
        i++;
        errno = 0;
        if (strcmp(a, "--out") == 0) {
            if (!argv[i][0]) { fprintf(stderr, TUTORIAL_PROG ": --out needs a directory\n"); return -1; }
            o->out = argv[i];
        } else if (strcmp(a, "--seed") == 0) {
            o->seed = strtoul(argv[i], &end, 10);
            if (errno || end == argv[i] || *end || argv[i][0] == '-') {
                fprintf(stderr, TUTORIAL_PROG ": --seed wants a non-negative integer, not '%s'\n", argv[i]); return -1;
            }
        } else {
            o->epochs = strtol(argv[i], &end, 10);
            if (errno || end == argv[i] || *end || o->epochs < 1 || o->epochs > 10000000) {
                fprintf(stderr, TUTORIAL_PROG ": --epochs wants an integer in 1..10000000, not '%s'\n", argv[i]); return -1;
            }
        }
    }
    return 0;
}

/* mkdir -p: creates every missing component of path. Returns 0 on success. */
static int make_dirs(const char *path)
{
    char buf[4096];
    size_t k, len = strlen(path);
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, path, len + 1);
    for (k = 1; k <= len; k++) {
        if (buf[k] == '/' || buf[k] == '\0') {
            char c = buf[k];
            buf[k] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            buf[k] = c;
        }
    }
    return 0;
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t cap)
{
    FILE *f;
    if ((size_t)snprintf(path, cap, "%s/%s", dir, name) >= cap) { fprintf(stderr, TUTORIAL_PROG ": path too long\n"); return NULL; }
    if (!(f = fopen(path, "w"))) fprintf(stderr, TUTORIAL_PROG ": cannot write %s: %s\n", path, strerror(errno));
    return f;
}
static int close_out(FILE *f, const char *path)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) { fprintf(stderr, TUTORIAL_PROG ": error writing %s\n", path); return -1; }
    return 0;
}

/* PROG.png through examples/plot_tutorial.py (plotting.h: a Python with matplotlib), else
   through the program's gnuplot script writer gp(dir, ctx); says which, or that neither is
   present. Never fails the program. */
typedef int (*tutorial_gnuplot_fn)(const char *dir, const void *ctx);
static void tutorial_draw_png(const char *argv0, const char *dir, tutorial_gnuplot_fn gp, const void *ctx)
{
    char qd[8500], args[8600], png[4200], cmd[8600];
    snprintf(png, sizeof png, "%s/" TUTORIAL_PROG ".png", dir);
    if (shell_quote(dir, qd, sizeof qd)) { printf("png: skipped (path too long)\n"); return; }
    snprintf(args, sizeof args, TUTORIAL_PROG " %s", qd);
    if (plot_run(argv0, "plot_tutorial.py", args, png, TUTORIAL_PROG " fits (matplotlib)") == 0) return;
    if (system("command -v gnuplot >/dev/null 2>&1") == 0) {
        if (gp(dir, ctx) == 0) {
            snprintf(cmd, sizeof cmd, "cd %s && gnuplot " TUTORIAL_PROG ".gp", qd);
            if (system(cmd) == 0) { printf("plot: " TUTORIAL_PROG " fits (gnuplot) -> %s\n", png); return; }
        }
        printf("png: gnuplot failed\n");
    }
}

#endif
