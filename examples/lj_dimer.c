/* lj_dimer.c - the thesis tutorial's Lennard-Jones dimer (Bloore 2021, T2.1.9, eq. 2.3):
   a network fitted to E(r) from uniformly spread samples gets the minimum slightly wrong;
   emphasising the samples near equilibrium makes it more accurate.

       bin/lj_dimer [--seed N] [--epochs N] [--out DIR]

   E(r) = 4 eps [(s/r)^12 - (s/r)^6] in reduced units, eps = s = 1 (for argon multiply
   energies by eps = k_B 119.8 K = 10.3 meV and lengths by s = 3.405 A). Exact minimum:
   r_min = 2^(1/6) s = 1.122462 s, E_min = -eps.

   Training set: N_SAMPLES distances spread uniformly over [0.9, 3] s (one uniform draw in
   each of N_SAMPLES equal bins, seeded) with exact energies: the thesis's "highly-sampled,
   low-noise regime". Network: 1-16-16-1, tanh hidden layers, linear output in eps. Its
   input is 1/r mapped linearly onto [-1, 1]: the repulsive wall, where E climbs from 0 to
   6.6 eps between r = 1 and 0.9, then spans a quarter of the input range instead of a
   twentieth, so the tanh units need no extreme weights to follow it.
   All cases start from the same Glorot weights and train by full-batch Adam on a weighted
   mean squared error L = sum_i w_i (NN(x_i) - E_i)^2 / sum_i w_i, with gradients from
   analytic backpropagation (sannip_network_backward):
       uniform      w_i = 1                                      (thesis Fig. 2.9)
       wide         w_i = 1, hidden layers twice as wide         (Fig. 2.10, "more neurons")
       emphasised   w_i = 1 + A exp(-(E_i - E_low)/kT)           (Fig. 2.11)
   with A = 20, kT = 0.3 eps. The emphasised weights are Boltzmann factors: they favour the
   samples where a dimer at temperature kT spends its time (T2.1.9: "low error in the
   regions atoms are most likely to be found"), need only the sampled energies (E_low is
   the lowest sample, not the exact E_min), and leave every sample a weight >= 1 so the wall
   and the tail are still fitted. They are the expectation of the thesis's re-sampling
   (presenting near-equilibrium samples more often) without its noise.

   Tuning (seeds 1-20): with the first settings (input r itself, 8 neurons per layer,
   kT = 0.2 eps) the emphasised minimum was better only on average; per seed it lost about
   half the time, because the wall, now fitted less well, left ripples in the well. A larger
   A (50, 100) or a narrower kT (0.1) took still more weight off the wall and did no better.
   With the 1/r input and 16 neurons there is capacity to spare: at the default 4000 epochs
   the emphasised min_err (below) is smaller than the uniform one for 18 of the 20 seeds
   (mean 0.0025 -> 0.0009), position and depth both better for 17; at 1000-3000 epochs
   min_err is smaller for 16-19 of 20. The uniform fit is already close here (errors of a
   few 1e-3); the emphasis shrinks them about threefold and costs some accuracy on the wall.

   Prints, per case, the fitted minimum (position and depth, found on a 0.0005 s grid and
   refined by a parabola), its errors dr_min = |r_fit - r_min|, dE_min = |E_fit - E_min| and
   min_err = sqrt(dr_min^2 + dE_min^2) (the distance between the fitted and the exact minimum
   in the (r/s, E/eps) plane), and the RMSE of E over [0.9, 3] and in the well (where the
   exact E < -eps/2). Writes to DIR (default examples_out):
       lj_dimer_curves.csv   r, exact, pred_uniform, pred_wide, pred_emphasised,
                             force_exact, force_uniform, force_wide, force_emphasised
                             (forces -dE/dr; the network's through sannip_network_backward_input)
       lj_dimer_samples.csv  r, E, weight_emphasised
       lj_dimer.png          with python3 + matplotlib (examples/plot_tutorial.py) or gnuplot
   Deterministic for a given seed: sannip_rng only, and the network kernels sum in a fixed
   order. */
#define _POSIX_C_SOURCE 200809L   /* mkdir() under -std=c99 */
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#define TUTORIAL_PROG "lj_dimer"
#define TUTORIAL_EPOCHS 4000
#include "tutorial.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define R_LO 0.9
#define R_HI 3.0
#define N_SAMPLES 100
#define N_GRID 4201           /* r_k = R_LO + (R_HI - R_LO) k/(N_GRID - 1): step 0.0005 */
#define N_CASES 3
#define HIDDEN 16             /* neurons per hidden layer (the wide case has 2 HIDDEN) */
#define EMPH_A 20.0           /* emphasis: w = 1 + EMPH_A exp(-(E - E_low)/EMPH_KT) */
#define EMPH_KT 0.3

typedef struct fit_case {
    const char *name;
    int hidden;                   /* neurons per hidden layer */
    int emphasised;               /* Boltzmann weights (1) or uniform (0) */
    sannip_real E[N_GRID], F[N_GRID]; /* network energy and force -dE/dr on the grid */
    double r_min, E_min;          /* fitted minimum */
    double rmse, rmse_well;
} fit_case;


static double lj_energy(double r) { double s6 = pow(r, -6.0); return 4 * (s6 * s6 - s6); }
static double lj_force(double r) { double s6 = pow(r, -6.0); return 4 * (12 * s6 * s6 - 6 * s6) / r; }
static double grid_r(int k) { return R_LO + (R_HI - R_LO) * k / (N_GRID - 1); }

/* Network input x = (2/r - 1/R_HI - 1/R_LO)/(1/R_LO - 1/R_HI): 1/r onto [-1, 1] (x = 1 at
   R_LO), and dx/dr for the forces. */
static sannip_real net_input(double r)
{
    return (sannip_real)((2 / r - 1 / R_HI - 1 / R_LO) / (1 / R_LO - 1 / R_HI));
}
static double input_deriv(double r) { return -2 / (r * r * (1 / R_LO - 1 / R_HI)); }

static void usage(FILE *f)
{
    fprintf(f,
        "usage: lj_dimer [--seed N] [--epochs N] [--out DIR] [--help]\n"
        "Fits the Lennard-Jones dimer E(r) = 4[(1/r)^12 - (1/r)^6] (eps = sigma = 1) on\n"
        "r in [0.9, 3] with uniform sampling and with Boltzmann-emphasised sample weights,\n"
        "and prints the error of each fitted minimum (thesis T2.1.9).\n"
        "  --seed N     seed of the sample distances and initial weights (default 1)\n"
        "  --epochs N   full-batch Adam steps per case, 1..10000000 (default 4000)\n"
        "  --out DIR    directory for the CSV files and lj_dimer.png, created if missing\n"
        "               (default examples_out)\n"
        "  --help       this text\n");
}

/* Full-batch Adam on the weighted mean squared error sum_i w_i (NN(X_i) - E_i)^2 / sum_i w_i,
   gradients by analytic backpropagation (sannip_network_backward). Returns 0 on success. */
static int train(sannip_network *net, int n, const sannip_real *X, const sannip_real *E,
                 const sannip_real *w, long epochs)
{
    const double lr0 = 2e-2, lr1 = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    size_t np = net->n_params;
    sannip_real *work = (sannip_real *)malloc(sizeof(sannip_real) * sannip_network_work_size(net, n));
    sannip_real *buf = (sannip_real *)malloc(sizeof(sannip_real) * (3 * np + 2 * (size_t)n));
    sannip_real *grad, *mv, *Y, *dY;
    double wsum = 0;
    long t;
    int i;
    if (!work || !buf) { free(work); free(buf); return -1; }
    grad = buf; mv = grad + np; Y = mv + 2 * np; dY = Y + n;
    memset(mv, 0, sizeof(sannip_real) * 2 * np);
    for (i = 0; i < n; i++) wsum += w[i];
    for (t = 1; t <= epochs; t++) {
        double lr = lr0 * pow(lr1 / lr0, epochs > 1 ? (double)(t - 1) / (double)(epochs - 1) : 0.0);
        sannip_network_forward(net, n, X, Y, work);
        for (i = 0; i < n; i++) dY[i] = (sannip_real)(2.0 * w[i] * (Y[i] - E[i]) / wsum);
        memset(grad, 0, sizeof(sannip_real) * np);
        sannip_network_backward(net, n, X, dY, NULL, grad, work);
        sannip_adam_step(net->params, grad, mv, np, t, lr, b1, b2, eps);
    }
    free(work); free(buf);
    return 0;
}

/* The network's energies and forces (F = -dNN/dx dx/dr, from sannip_network_backward_input)
   on the grid into c->E, c->F. Returns 0, -1 when out of memory. */
static int predict(const sannip_network *net, fit_case *c)
{
    static sannip_real X[N_GRID], ones[N_GRID], dX[N_GRID];
    sannip_real *work = (sannip_real *)malloc(sizeof(sannip_real) * sannip_network_work_size(net, N_GRID));
    int k;
    if (!work) return -1;
    for (k = 0; k < N_GRID; k++) { X[k] = net_input(grid_r(k)); ones[k] = 1; }
    sannip_network_forward(net, N_GRID, X, c->E, work);
    sannip_network_backward_input(net, N_GRID, ones, dX, work);
    free(work);
    for (k = 0; k < N_GRID; k++) c->F[k] = (sannip_real)(-dX[k] * input_deriv(grid_r(k)));
    return 0;
}

/* The minimum of c->E (lowest grid point, refined by the parabola through it and its
   neighbours) and the RMSE against the exact energy, overall and in the well. */
static void score(fit_case *c)
{
    double s = 0, sw = 0;
    int k, kmin = 0, nw = 0;
    for (k = 0; k < N_GRID; k++) {
        double e = c->E[k] - lj_energy(grid_r(k));
        s += e * e;
        if (lj_energy(grid_r(k)) < -0.5) { sw += e * e; nw++; }
        if (c->E[k] < c->E[kmin]) kmin = k;
    }
    c->rmse = sqrt(s / N_GRID);
    c->rmse_well = sqrt(sw / nw);
    c->r_min = grid_r(kmin); c->E_min = c->E[kmin];
    if (kmin > 0 && kmin < N_GRID - 1) {
        double em = c->E[kmin - 1], e0 = c->E[kmin], ep = c->E[kmin + 1], h = grid_r(1) - grid_r(0);
        double d2 = em - 2 * e0 + ep;
        if (d2 > 0) {
            double u = 0.5 * (em - ep) / d2;
            c->r_min += u * h;
            c->E_min = e0 - 0.25 * (em - ep) * u;
        }
    }
}

/* ---- output ------------------------------------------------------------------------------ */
static int write_csv(const char *dir, const fit_case *c, const sannip_real *r, const sannip_real *E,
                     const sannip_real *w)
{
    char path[4200];
    FILE *f;
    int k, i;
    if (!(f = open_out(dir, "lj_dimer_curves.csv", path, sizeof path))) return -1;
    fprintf(f, "r,exact");
    for (i = 0; i < N_CASES; i++) fprintf(f, ",pred_%s", c[i].name);
    fprintf(f, ",force_exact");
    for (i = 0; i < N_CASES; i++) fprintf(f, ",force_%s", c[i].name);
    fprintf(f, "\n");
    for (k = 0; k < N_GRID; k++) {
        fprintf(f, "%.9g,%.9g", grid_r(k), lj_energy(grid_r(k)));
        for (i = 0; i < N_CASES; i++) fprintf(f, ",%.9g", (double)c[i].E[k]);
        fprintf(f, ",%.9g", lj_force(grid_r(k)));
        for (i = 0; i < N_CASES; i++) fprintf(f, ",%.9g", (double)c[i].F[k]);
        fprintf(f, "\n");
    }
    if (close_out(f, path)) return -1;

    if (!(f = open_out(dir, "lj_dimer_samples.csv", path, sizeof path))) return -1;
    fprintf(f, "r,E,weight_emphasised\n");
    for (k = 0; k < N_SAMPLES; k++) fprintf(f, "%.9g,%.9g,%.6g\n", (double)r[k], (double)E[k], (double)w[k]);
    return close_out(f, path);
}

/* s as one single-quoted shell word into buf (' becomes '\''). Returns 0, -1 if too long. */
/* The gnuplot fallback: the whole curve, and a zoom on the well. */
static int write_gnuplot(const char *dir, const fit_case *c)
{
    static const char *const colour[N_CASES] = { "#d62728", "#ff7f0e", "#1f77b4" };
    char path[4200];
    FILE *f;
    int p, i;
    if (!(f = open_out(dir, "lj_dimer.gp", path, sizeof path))) return -1;
    fprintf(f, "set terminal png size 1400,600\nset output 'lj_dimer.png'\n"
               "set datafile separator ','\nset key autotitle columnhead\n"
               "set multiplot layout 1,2 title 'NN fit of the Lennard-Jones dimer (Bloore T2.1.9)'\n"
               "set xlabel 'r / sigma'\nset ylabel 'E / eps'\n");
    for (p = 0; p < 2; p++) {
        fprintf(f, p == 0 ? "set title 'E(r)'\nset xrange [0.9:3]\nset yrange [-1.5:3]\nset key top right\n"
                          : "set title 'near the minimum (+: exact minimum)'\nset xrange [1.0:1.4]\nset yrange [-1.08:-0.6]\nset key bottom right\n"
                            "set label 1 '' at 1.122462048,-1 point pt 1 ps 3 lc rgb 'black'\n");
        fprintf(f, "plot 'lj_dimer_samples.csv' using 1:2 with points pt 7 ps 0.6 lc rgb '#2ca02c' title 'samples', \\\n"
                   "     'lj_dimer_curves.csv' using 1:2 with lines lw 2 lc rgb 'black' title 'exact'");
        for (i = 0; i < N_CASES; i++)
            fprintf(f, ", \\\n     '' using 1:%d with lines lw 2 lc rgb '%s' title '%s'", 3 + i, colour[i], c[i].name);
        fprintf(f, "\n");
    }
    fprintf(f, "unset multiplot\n");
    return close_out(f, path);
}

static int gnuplot_cb(const char *dir, const void *c) { return write_gnuplot(dir, (const fit_case *)c); }

int main(int argc, char **argv)
{
    options opt;
    fit_case *c = NULL;
    sannip_rng master, init_rng, data_rng;
    sannip_real r[N_SAMPLES], X[N_SAMPLES], E[N_SAMPLES], w_emph[N_SAMPLES], w_one[N_SAMPLES];
    const double r_exact = pow(2.0, 1.0 / 6.0), E_exact = -1.0;
    double E_low;
    int i, k, rc = 1;
    int p = parse_options(argc, argv, &opt);
    if (p) return p > 0 ? 0 : 2;
    if (!(c = (fit_case *)calloc(N_CASES, sizeof *c))) { fprintf(stderr, "lj_dimer: out of memory\n"); return 1; }
    c[0].name = "uniform";    c[0].hidden = HIDDEN;     c[0].emphasised = 0;
    c[1].name = "wide";       c[1].hidden = 2 * HIDDEN; c[1].emphasised = 0;
    c[2].name = "emphasised"; c[2].hidden = HIDDEN;     c[2].emphasised = 1;

    /* one stream for the samples, one for the initial weights */
    sannip_rng_seed(&master, (uint64_t)opt.seed);
    sannip_rng_split(&master, &data_rng);
    sannip_rng_split(&master, &init_rng);
    E_low = 0;
    for (k = 0; k < N_SAMPLES; k++) {
        r[k] = (sannip_real)(R_LO + (R_HI - R_LO) * (k + sannip_rng_uniform(&data_rng)) / N_SAMPLES);
        X[k] = net_input(r[k]);
        E[k] = (sannip_real)lj_energy(r[k]);
        if (E[k] < E_low) E_low = E[k];
    }
    for (k = 0; k < N_SAMPLES; k++) {
        w_one[k] = 1;
        w_emph[k] = (sannip_real)(1 + EMPH_A * exp(-(E[k] - E_low) / EMPH_KT));
    }

    for (i = 0; i < N_CASES; i++) {
        const int sizes[4] = { 1, c[i].hidden, c[i].hidden, 1 };
        const int acts[3] = { SANNIP_ACT_TANH, SANNIP_ACT_TANH, SANNIP_ACT_LINEAR };
        sannip_network net;
        sannip_error err;
        sannip_rng rng = init_rng;   /* uniform and emphasised start from the same weights */
        if (sannip_network_init(&net, 3, sizes, acts, NULL, &err) != SANNIP_SUCCESS) {
            fprintf(stderr, "lj_dimer: %s\n", err.message); goto done;
        }
        sannip_network_init_weights(&net, &rng);
        if (train(&net, N_SAMPLES, X, E, c[i].emphasised ? w_emph : w_one, opt.epochs) || predict(&net, &c[i])) {
            fprintf(stderr, "lj_dimer: out of memory\n"); sannip_network_uninit(&net); goto done;
        }
        sannip_network_uninit(&net);
        score(&c[i]);
    }

    printf("lj_dimer: E(r) = 4[(1/r)^12 - (1/r)^6] on r in [%.1f, %.1f] (eps = sigma = 1), %d samples,\n"
           "          1-H-H-1 tanh MLP on 1/r, full-batch Adam, %ld epochs, seed %lu\n",
           R_LO, R_HI, N_SAMPLES, opt.epochs, opt.seed);
    printf("          emphasised: w = 1 + %g exp(-(E - E_low)/%g), E_low = %.5f (lowest sample)\n",
           EMPH_A, EMPH_KT, E_low);
    printf("%-11s %3s %9s %9s %9s %9s %9s %9s %9s\n", "case", "H", "r_min", "dr_min", "E_min", "dE_min",
           "min_err", "rmse", "rmse_well");
    printf("%-11s %3s %9.5f %9s %9.5f %9s %9s %9s %9s\n", "exact", "-", r_exact, "0", E_exact, "0", "0", "0", "0");
    for (i = 0; i < N_CASES; i++) {
        double dr = fabs(c[i].r_min - r_exact), dE = fabs(c[i].E_min - E_exact);
        printf("%-11s %3d %9.5f %9.5f %9.5f %9.5f %9.5f %9.5f %9.5f\n", c[i].name, c[i].hidden, c[i].r_min, dr,
               c[i].E_min, dE, sqrt(dr * dr + dE * dE), c[i].rmse, c[i].rmse_well);
    }
    printf("(dr_min, dE_min: |fitted - exact| minimum; min_err = sqrt(dr_min^2 + dE_min^2);\n"
           " rmse: E over %d points in [%.1f, %.1f]; rmse_well: where the exact E < -0.5)\n", N_GRID, R_LO, R_HI);

    if (make_dirs(opt.out) != 0) { fprintf(stderr, "lj_dimer: cannot create %s: %s\n", opt.out, strerror(errno)); goto done; }
    if (write_csv(opt.out, c, r, E, w_emph)) goto done;
    printf("csv: %s/lj_dimer_curves.csv, lj_dimer_samples.csv\n", opt.out);
    tutorial_draw_png(argv[0], opt.out, gnuplot_cb, c);
    rc = 0;
done:
    free(c);
    return rc;
}
