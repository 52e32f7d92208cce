/* bench_util.h - timing, machine-load and summary-table helpers shared by the benchmarks.
   Define BENCH_PROG (the program's name) and BUSY_SHARE before including it. */
#ifndef SANNIP_BENCH_UTIL_H
#define SANNIP_BENCH_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define MAX_ROWS 64
static struct { char name[64]; double value, share; char unit[16]; } rows[MAX_ROWS];
static int n_rows;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int n_procs(void)
{
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

static double cpu_now(void)       /* CPU time of the whole process (all threads) */
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void print_load(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double l1 = 0;
    int running = 0, total = 0;
    if (!f) return;
    if (fscanf(f, "%lf %*f %*f %d/%d", &l1, &running, &total) == 3)
        printf("load %s: 1-min average %.2f, %d task(s) running%s\n", when, l1, running,
               running > 1 ? " (other work on the machine: figures may be inflated)" : "");
    fclose(f);
}

static void die(const char *what, const sannip_error *err)
{
    fprintf(stderr, BENCH_PROG ": %s: %s\n", what, err ? err->message : "");
    exit(1);
}

/* " [CPU share 0.62: busy machine]" for a figure measured while others ran, else "". */
static const char *busy(double share)
{
    static char buf[4][64];
    static int k;
    k = (k + 1) & 3;
    buf[k][0] = 0;
    if (share < BUSY_SHARE) snprintf(buf[k], sizeof buf[k], " [CPU share %.2f: busy machine]", share);
    return buf[k];
}

/* Random parameters for element 0's network, uniform in +-1/sqrt(fan-in) (biases +-0.1):
   the numbers are arbitrary, the work is that of a trained model. */
static void random_weights(sannip_model *m, uint64_t seed)
{
    sannip_rng rng;
    int l;
    sannip_rng_seed(&rng, seed);
    for (l = 0; l < m->el[0].net.n_layers; l++) {
        int in = m->el[0].net.sizes[l], out = m->el[0].net.sizes[l + 1], k;
        sannip_real *W = sannip_network_weights_rw(&m->el[0].net, l), *b = W + (size_t)in * out;
        for (k = 0; k < in * out; k++) W[k] = (sannip_real)((2 * sannip_rng_uniform(&rng) - 1) / sqrt((double)in));
        for (k = 0; k < out; k++) b[k] = (sannip_real)(0.1 * (2 * sannip_rng_uniform(&rng) - 1));
    }
}

/* The recorded figures as "name: value unit" lines (* when measured on a busy machine),
   then a note when any was; returns how many were. */
static int print_figures(void)
{
    int i, flagged = 0;
    for (i = 0; i < n_rows; i++) {
        printf("%s: %.6g %s%s\n", rows[i].name, rows[i].value, rows[i].unit, rows[i].share < BUSY_SHARE ? " *" : "");
        flagged += rows[i].share < BUSY_SHARE;
    }
    if (flagged) printf("* measured while other processes used the processor(s) (CPU share < %.1f): inflated, rerun on a quiet machine\n", BUSY_SHARE);
    return flagged;
}

static void record(const char *name, double value, const char *unit, double share)
{
    if (n_rows >= MAX_ROWS) return;
    snprintf(rows[n_rows].name, sizeof rows[n_rows].name, "%s", name);
    rows[n_rows].value = value;
    rows[n_rows].share = share;
    snprintf(rows[n_rows].unit, sizeof rows[n_rows].unit, "%s", unit);
    n_rows++;
}

#endif
