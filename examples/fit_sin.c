/* fit_sin.c - the thesis tutorial on neural-network regression (Bloore 2021, T2.1.1-2.1.5):
   fit f(x) = sin(x) on [-pi, pi] from few or many noisy samples.

       bin/fit_sin [--seed N] [--epochs N] [--out DIR]

   Four cases: few (10) / many (200) samples  x  low (sigma 0.01) / high (sigma 0.3) noise,
   with samples x ~ U(-pi, pi), y = sin x + sigma z, z ~ N(0, 1). Each sample count has its
   own seeded draw of x and z, shared by its low- and high-noise cases, so those two differ
   only in sigma.
   Every case trains the same 1-16-16-1 tanh network (linear output, input x/pi), from the
   same Glorot initial weights, by full-batch Adam on the mean squared error; gradients come
   from analytic backpropagation (sannip_network_backward).

   Prints a table: per case the RMSE against its own noisy samples (train) and against the
   true sin(x) on 1001 evenly spaced points (test), and the largest error on that grid. A
   train RMSE well below sigma, with a large test RMSE, is the overfitting of T2.1.2.
   Writes to DIR (default examples_out):
       fit_sin_curves.csv   x, true, pred_few_low, pred_few_high, pred_many_low, pred_many_high
       fit_sin_samples.csv  case, x, y        (10 + 10 + 200 + 200 rows)
       fit_sin_history.csv  epoch, test RMSE of each case (every 20 epochs and the last)
       fit_sin.png          with python3 + matplotlib (examples/plot_tutorial.py) or gnuplot
   Deterministic for a given seed: sannip_rng only, and the network kernels sum in a fixed
   order. */
#define _POSIX_C_SOURCE 200809L   /* mkdir() under -std=c99 */
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#define TUTORIAL_PROG "fit_sin"
#define TUTORIAL_EPOCHS 3000
#include "tutorial.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define PI 3.14159265358979323846
#define N_CASES 4
#define N_GRID 1001           /* test grid: x_k = -pi + 2 pi k/(N_GRID - 1) */
#define HISTORY_EVERY 20

typedef struct fit_case {
    const char *name;
    int n;                    /* samples */
    double sigma;             /* noise standard deviation */
    sannip_real *x, *y;       /* samples (n), owned */
    sannip_real pred[N_GRID]; /* network on the test grid after training */
    double train_rmse, test_rmse, max_err;
} fit_case;


static void usage(FILE *f)
{
    fprintf(f,
        "usage: fit_sin [--seed N] [--epochs N] [--out DIR] [--help]\n"
        "Fits sin(x) on [-pi, pi] with a 1-16-16-1 tanh network (Adam, analytic backprop)\n"
        "from few (10) / many (200) samples with low (0.01) / high (0.3) Gaussian noise, and\n"
        "prints each case's RMSE against the true sin on 1001 points (thesis T2.1.1-2.1.5).\n"
        "  --seed N     seed of the samples, noise and initial weights (default 1)\n"
        "  --epochs N   full-batch Adam steps per case, 1..10000000 (default 3000)\n"
        "  --out DIR    directory for the CSV files and fit_sin.png, created if missing\n"
        "               (default examples_out)\n"
        "  --help       this text\n");
}

/* lo and hi (same n): x ~ U(-pi, pi), z ~ N(0, 1), y = sin x + sigma z, one x and z for both. */
static void draw_samples(fit_case *lo, fit_case *hi, sannip_rng *rng)
{
    int k;
    for (k = 0; k < lo->n; k++) {
        double x = -PI + 2 * PI * sannip_rng_uniform(rng), z = sannip_rng_normal(rng);
        lo->x[k] = hi->x[k] = (sannip_real)x;
        lo->y[k] = (sannip_real)(sin(x) + lo->sigma * z);
        hi->y[k] = (sannip_real)(sin(x) + hi->sigma * z);
    }
}

static sannip_real net_input(double x) { return (sannip_real)(x / PI); }   /* [-pi, pi] -> [-1, 1] */
static double grid_x(int k) { return -PI + 2 * PI * k / (N_GRID - 1); }

/* Network on the test grid into pred (N_GRID); returns the RMSE against sin and the
   largest error (*max_err, optional). work: sannip_network_work_size(net, N_GRID). */
static double test_error(const sannip_network *net, sannip_real *pred, sannip_real *work, double *max_err)
{
    sannip_real X[N_GRID];
    double s = 0, mx = 0;
    int k;
    for (k = 0; k < N_GRID; k++) X[k] = net_input(grid_x(k));
    sannip_network_forward(net, N_GRID, X, pred, work);
    for (k = 0; k < N_GRID; k++) {
        double e = pred[k] - sin(grid_x(k));
        s += e * e;
        if (fabs(e) > mx) mx = fabs(e);
    }
    if (max_err) *max_err = mx;
    return sqrt(s / N_GRID);
}

/* Full-batch Adam on L = (1/n) sum_i (NN(x_i) - y_i)^2, learning rate decaying
   exponentially from 2e-2 to 1e-3 over the epochs. The test RMSE of every HISTORY_EVERY-th
   epoch goes to history[] (the validation curve of the thesis's figures). Returns 0, or -1
   when out of memory. */
static int train(sannip_network *net, fit_case *c, long epochs, double *history, sannip_real *grid_work)
{
    const double lr0 = 2e-2, lr1 = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    size_t np = net->n_params;
    sannip_real *X = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)c->n * 3);
    sannip_real *work = (sannip_real *)malloc(sizeof(sannip_real) * sannip_network_work_size(net, c->n));
    sannip_real *grad = (sannip_real *)malloc(sizeof(sannip_real) * np * 3);
    sannip_real *Y, *dY, *mv, pred[N_GRID];
    long t;
    int i, h = 0;
    if (!X || !work || !grad) { free(X); free(work); free(grad); return -1; }
    Y = X + c->n; dY = Y + c->n; mv = grad + np;
    memset(mv, 0, sizeof(sannip_real) * 2 * np);
    for (i = 0; i < c->n; i++) X[i] = net_input(c->x[i]);
    for (t = 1; t <= epochs; t++) {
        double lr = lr0 * pow(lr1 / lr0, epochs > 1 ? (double)(t - 1) / (double)(epochs - 1) : 0.0);
        sannip_network_forward(net, c->n, X, Y, work);
        for (i = 0; i < c->n; i++) dY[i] = (sannip_real)(2.0 * (Y[i] - c->y[i]) / c->n);
        memset(grad, 0, sizeof(sannip_real) * np);
        sannip_network_backward(net, c->n, X, dY, NULL, grad, work);
        sannip_adam_step(net->params, grad, mv, np, t, lr, b1, b2, eps);
        if (t % HISTORY_EVERY == 0 || t == epochs) history[h++] = test_error(net, pred, grid_work, NULL);
    }
    {   /* final train RMSE, against the noisy samples */
        double s = 0;
        sannip_network_forward(net, c->n, X, Y, work);
        for (i = 0; i < c->n; i++) s += ((double)Y[i] - c->y[i]) * ((double)Y[i] - c->y[i]);
        c->train_rmse = sqrt(s / c->n);
    }
    free(X); free(work); free(grad);
    return 0;
}

/* ---- output ------------------------------------------------------------------------------ */
static int write_csv(const char *dir, const fit_case *c, const double *history, int n_hist, long epochs)
{
    char path[4200];
    FILE *f;
    int k, i;
    if (!(f = open_out(dir, "fit_sin_curves.csv", path, sizeof path))) return -1;
    fprintf(f, "x,true");
    for (i = 0; i < N_CASES; i++) fprintf(f, ",pred_%s", c[i].name);
    fprintf(f, "\n");
    for (k = 0; k < N_GRID; k++) {
        fprintf(f, "%.9g,%.9g", grid_x(k), sin(grid_x(k)));
        for (i = 0; i < N_CASES; i++) fprintf(f, ",%.9g", (double)c[i].pred[k]);
        fprintf(f, "\n");
    }
    if (close_out(f, path)) return -1;

    if (!(f = open_out(dir, "fit_sin_samples.csv", path, sizeof path))) return -1;
    fprintf(f, "case,x,y\n");
    for (i = 0; i < N_CASES; i++)
        for (k = 0; k < c[i].n; k++) fprintf(f, "%s,%.9g,%.9g\n", c[i].name, (double)c[i].x[k], (double)c[i].y[k]);
    if (close_out(f, path)) return -1;

    if (!(f = open_out(dir, "fit_sin_history.csv", path, sizeof path))) return -1;
    fprintf(f, "epoch");
    for (i = 0; i < N_CASES; i++) fprintf(f, ",rmse_%s", c[i].name);
    fprintf(f, "\n");
    for (k = 0; k < n_hist; k++) {
        long e = k + 1 < n_hist || epochs % HISTORY_EVERY == 0 ? (long)(k + 1) * HISTORY_EVERY : epochs;
        fprintf(f, "%ld", e);
        for (i = 0; i < N_CASES; i++) fprintf(f, ",%.6g", history[(size_t)i * n_hist + k]);
        fprintf(f, "\n");
    }
    return close_out(f, path);
}

/* s as one single-quoted shell word into buf (' becomes '\''). Returns 0, -1 if too long. */
/* The gnuplot fallback: a 2 x 2 panel figure like the thesis's left-hand plots. */
static int write_gnuplot(const char *dir, const fit_case *c)
{
    char path[4200];
    FILE *f;
    int i;
    if (!(f = open_out(dir, "fit_sin.gp", path, sizeof path))) return -1;
    fprintf(f, "set terminal png size 1200,900\nset output 'fit_sin.png'\n"
               "set datafile separator ','\nset key autotitle columnhead\nset key bottom right\n"
               "set multiplot layout 2,2 title 'NN fit of sin(x) (Bloore T2.1.1-2.1.5)'\n"
               "set xrange [-pi:pi]\nset yrange [-1.6:1.6]\n");
    for (i = 0; i < N_CASES; i++)
        fprintf(f, "set title '%s: %d samples, sigma %.2g, test RMSE %.3g'\n"
                   "plot 'fit_sin_samples.csv' using 2:(strcol(1) eq '%s' ? $3 : 1/0) with points pt 7 ps 0.8 lc rgb '#2ca02c' title 'samples', \\\n"
                   "     'fit_sin_curves.csv' using 1:2 with lines lw 2 lc rgb 'black' title 'sin(x)', \\\n"
                   "     '' using 1:%d with lines lw 2 lc rgb '#d62728' title 'NN'\n",
                c[i].name, c[i].n, c[i].sigma, c[i].test_rmse, c[i].name, 3 + i);
    fprintf(f, "unset multiplot\n");
    return close_out(f, path);
}

static int gnuplot_cb(const char *dir, const void *c) { return write_gnuplot(dir, (const fit_case *)c); }

int main(int argc, char **argv)
{
    static const struct { const char *name; int n; double sigma; } spec[N_CASES] = {
        { "few_low", 10, 0.01 }, { "few_high", 10, 0.3 }, { "many_low", 200, 0.01 }, { "many_high", 200, 0.3 } };
    const int sizes[4] = { 1, 16, 16, 1 };
    const int acts[3] = { SANNIP_ACT_TANH, SANNIP_ACT_TANH, SANNIP_ACT_LINEAR };
    options opt;
    fit_case c[N_CASES];
    sannip_network net;
    sannip_error err;
    sannip_rng master, init_rng, data_rng;
    sannip_real *init = NULL, *grid_work = NULL;
    double *history = NULL;
    int i, n_hist, rc = 1;
    int p = parse_options(argc, argv, &opt);
    if (p) return p > 0 ? 0 : 2;

    memset(c, 0, sizeof c);
    if (sannip_network_init(&net, 3, sizes, acts, NULL, &err) != SANNIP_SUCCESS) {
        fprintf(stderr, "fit_sin: %s\n", err.message); return 1;
    }
    n_hist = (int)((opt.epochs + HISTORY_EVERY - 1) / HISTORY_EVERY);
    init = (sannip_real *)malloc(sizeof(sannip_real) * net.n_params);
    grid_work = (sannip_real *)malloc(sizeof(sannip_real) * sannip_network_work_size(&net, N_GRID));
    history = (double *)malloc(sizeof(double) * (size_t)n_hist * N_CASES);
    if (!init || !grid_work || !history) { fprintf(stderr, "fit_sin: out of memory\n"); goto done; }

    /* one stream for the initial weights, then one per sample count (x and z) */
    sannip_rng_seed(&master, (uint64_t)opt.seed);
    sannip_rng_split(&master, &init_rng);
    sannip_network_init_weights(&net, &init_rng);
    memcpy(init, net.params, sizeof(sannip_real) * net.n_params);
    for (i = 0; i < N_CASES; i++) {
        c[i].name = spec[i].name; c[i].n = spec[i].n; c[i].sigma = spec[i].sigma;
        c[i].x = (sannip_real *)malloc(sizeof(sannip_real) * 2 * (size_t)c[i].n);
        if (!c[i].x) { fprintf(stderr, "fit_sin: out of memory\n"); goto done; }
        c[i].y = c[i].x + c[i].n;
    }
    for (i = 0; i < N_CASES; i += 2) {           /* one stream per sample count */
        sannip_rng_split(&master, &data_rng);
        draw_samples(&c[i], &c[i + 1], &data_rng);
    }

    for (i = 0; i < N_CASES; i++) {
        memcpy(net.params, init, sizeof(sannip_real) * net.n_params);
        if (train(&net, &c[i], opt.epochs, history + (size_t)i * n_hist, grid_work)) {
            fprintf(stderr, "fit_sin: out of memory\n"); goto done;
        }
        c[i].test_rmse = test_error(&net, c[i].pred, grid_work, &c[i].max_err);
    }

    printf("fit_sin: sin(x) on [-pi, pi], 1-16-16-1 tanh MLP, full-batch Adam, %ld epochs, seed %lu\n",
           opt.epochs, opt.seed);
    printf("%-10s %7s %6s %11s %10s %9s\n", "case", "samples", "sigma", "train_rmse", "test_rmse", "max_err");
    for (i = 0; i < N_CASES; i++)
        printf("%-10s %7d %6.2f %11.5f %10.5f %9.5f\n", c[i].name, c[i].n, c[i].sigma,
               c[i].train_rmse, c[i].test_rmse, c[i].max_err);
    printf("(train_rmse: against the noisy samples; test_rmse, max_err: against sin(x) on %d points)\n", N_GRID);

    if (make_dirs(opt.out) != 0) { fprintf(stderr, "fit_sin: cannot create %s: %s\n", opt.out, strerror(errno)); goto done; }
    if (write_csv(opt.out, c, history, n_hist, opt.epochs)) goto done;
    printf("csv: %s/fit_sin_curves.csv, fit_sin_samples.csv, fit_sin_history.csv\n", opt.out);
    tutorial_draw_png(argv[0], opt.out, gnuplot_cb, c);
    rc = 0;
done:
    for (i = 0; i < N_CASES; i++) free(c[i].x);
    free(init); free(grid_work); free(history);
    sannip_network_uninit(&net);
    return rc;
}
