/* plotting.h - how the examples and bin/sannip draw PNG figures: they run one of the
   matplotlib scripts in examples/ (plot_*.py) with a Python that can import matplotlib:
   $PYTHON when set and non-empty (make passes its PYTHON variable, see the Makefile), else
   the first of python3 and /usr/bin/python3 that imports it (a python3 first on PATH may be
   one without it, e.g. a pyenv or venv Python). When none does, the first plotting step of
   the program says so, once, with the command that installs it; the CSV files hold the data
   either way. Plotting never fails the program. Static functions, one per program. */
#ifndef SANNIP_EXAMPLES_PLOTTING_H
#define SANNIP_EXAMPLES_PLOTTING_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLOT_INSTALL_HINT "apt-get install python3-matplotlib"

/* s in single quotes for sh into buf (cap bytes); -1 when it does not fit. */
static int shell_quote(const char *s, char *buf, size_t cap)
{
    size_t o = 0;
    if (cap < 3) return -1;
    buf[o++] = '\'';
    for (; *s; s++) {
        if (o + 5 >= cap) return -1;
        if (*s == '\'') { memcpy(buf + o, "'\\''", 4); o += 4; } else buf[o++] = *s;
    }
    buf[o++] = '\''; buf[o] = '\0';
    return 0;
}

/* What the program found: state 0 not looked yet, 1 ready, -1 no plotter (said once). */
typedef struct plot_env { int state; char python[1100], scripts[4200]; } plot_env;
static plot_env plot_found;

static int plot_python_ok(const char *python)
{
    char q[1100], cmd[1300];
    if (!python[0] || shell_quote(python, q, sizeof q)) return 0;
    snprintf(cmd, sizeof cmd, "%s -c 'import matplotlib' >/dev/null 2>&1", q);
    return system(cmd) == 0;
}
/* The scripts' directory: <dir of argv0>/../examples (bin/ sits next to examples/), else
   ./examples. */
static int plot_find_scripts(const char *argv0, char *dir, size_t cap)
{
    const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
    char probe[4300];
    FILE *f;
    if (slash && (size_t)(slash - argv0) + 20 < cap) {
        snprintf(dir, cap, "%.*s/../examples", (int)(slash - argv0), argv0);
        snprintf(probe, sizeof probe, "%s/plot_mc.py", dir);
        if ((f = fopen(probe, "r")) != NULL) { fclose(f); return 1; }
    }
    snprintf(dir, cap, "examples");
    if ((f = fopen("examples/plot_mc.py", "r")) != NULL) { fclose(f); return 1; }
    return 0;
}
/* Finds the scripts and a Python once per program; says once why there are no plots. */
static int plot_ready(const char *argv0)
{
    static const char *const cands[] = { "python3", "/usr/bin/python3" };
    const char *env = getenv("PYTHON");
    size_t k;
    if (plot_found.state) return plot_found.state > 0;
    plot_found.state = -1;
    fflush(stdout);
    if (!plot_find_scripts(argv0, plot_found.scripts, sizeof plot_found.scripts)) {
        printf("plots: skipped: examples/plot_*.py not found (run from the project directory); the CSV files hold the data\n");
        return 0;
    }
    if (env && env[0]) {
        if (strlen(env) < sizeof plot_found.python && plot_python_ok(env)) { strcpy(plot_found.python, env); plot_found.state = 1; return 1; }
        printf("plots: skipped: PYTHON=%s cannot import matplotlib; install it with: " PLOT_INSTALL_HINT
               " (or give PYTHON=/usr/bin/python3); the CSV files hold the data\n", env);
        return 0;
    }
    for (k = 0; k < sizeof cands / sizeof cands[0]; k++)
        if (plot_python_ok(cands[k])) { strcpy(plot_found.python, cands[k]); plot_found.state = 1; return 1; }
    printf("plots: skipped: no Python with matplotlib (tried python3, /usr/bin/python3); install it with: " PLOT_INSTALL_HINT
           " (or give PYTHON=/path/to/python3); the CSV files hold the data\n");
    return 0;
}
/* Runs PYTHON examples/SCRIPT ARGS (ARGS quoted by the caller) and prints "plot: WHAT ->
   PNG". Returns 0 when the script succeeded. */
static int plot_run(const char *argv0, const char *script, const char *args, const char *png, const char *what)
{
    char qp[1300], qs[8700], path[4400], *cmd;
    size_t n;
    int r;
    if (!plot_ready(argv0)) return -1;
    snprintf(path, sizeof path, "%s/%s", plot_found.scripts, script);
    if (shell_quote(plot_found.python, qp, sizeof qp) || shell_quote(path, qs, sizeof qs)) { printf("plot: %s skipped (path too long)\n", what); return -1; }
    n = strlen(qp) + strlen(qs) + strlen(args) + 32;
    if (!(cmd = (char *)malloc(n))) return -1;
    snprintf(cmd, n, "%s %s %s >/dev/null", qp, qs, args);
    fflush(stdout);
    r = system(cmd);
    free(cmd);
    if (r == 0) printf("plot: %s -> %s\n", what, png);
    else printf("plot: %s failed (%s %s)\n", what, plot_found.python, path);
    fflush(stdout);
    return r == 0 ? 0 : -1;
}

#ifdef SANNIP_TRAIN_H
/* The learning-curve CSV that bin/sannip train and the examples write (after n2p2's
   learning-curve.out; examples/plot_accuracy.py curves draws it): a comment with the units,
   then one row per epoch. RMSEs of the energy per atom and of force components in the
   model's units; empty where there is no validation set or no force data. */
static void learning_curve_header(FILE *f, const char *energy_unit, const char *length_unit)
{
    fprintf(f, "# sannip learning curve: energy RMSE per atom in %s, force RMSE in %s/%s, time in s since training began\n",
            energy_unit, energy_unit, length_unit);
    /* the effective-field columns (train_field_rmse, val_field_rmse) go after val_force_rmse
       once sannip_train_progress carries field errors (field training, issue 14) */
    fprintf(f, "epoch,seconds,loss,train_energy_rmse,train_force_rmse,val_energy_rmse,val_force_rmse\n");
}
static void learning_curve_row(FILE *f, const sannip_train_progress *p, double seconds)
{
    const double v[4] = { p->train_rmse_e, p->train_rmse_f, p->val_rmse_e, p->val_rmse_f };
    int k;
    fprintf(f, "%d,%.3f,%.9g", p->epoch, seconds, p->loss);
    for (k = 0; k < 4; k++) { if (v[k] >= 0) fprintf(f, ",%.9g", v[k]); else fprintf(f, ","); }
    fprintf(f, "\n");
    fflush(f);
}
#endif

#endif
