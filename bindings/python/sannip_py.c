/* sannip_py.c - flat entry points for ctypes (bindings/python/sannip_ase.py), built into
   build/libsannip.so by `make lib` beside bindings/libsannip.c (the headers' implementation).
   Only the public API of sannip.h and sannip_train.h: a handle owns a committee (a plain
   model file loads as a committee of one), a workspace and the last error, so Python passes
   plain pointers and reads the failure back as text. Arrays cross as double whatever
   sannip_real is (copied to and from sannip_real), so the shim builds with SANNIP_FLOAT too.

   Thread safety: one handle per thread (it owns its workspace and error). Units: the
   model's own (sannip_py_units names them); the Python side converts to eV and Angstrom. */
#include "../../sannip.h"
#include "../../sannip_train.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SANNIP_PY_API
#define SANNIP_PY_API SANNIP_API
#endif

typedef struct sannip_py {
    sannip_committee c;
    sannip_workspace ws;
    sannip_error err;                 /* the last failure (code 0: none) */
    sannip_real *buf; size_t cap;     /* sannip_real copies of the arrays of one call */
} sannip_py;

/* A new handle holding no model (sannip_py_load fills it); NULL when out of memory.
   Owned by the caller: sannip_py_free. */
SANNIP_PY_API sannip_py *sannip_py_new(void)
{
    sannip_py *h = (sannip_py *)calloc(1, sizeof *h);
    if (!h) return NULL;
    sannip_committee_init(&h->c, NULL);
    sannip_workspace_init(&h->ws, NULL);
    return h;
}

SANNIP_PY_API void sannip_py_free(sannip_py *h)
{
    if (!h) return;
    sannip_committee_uninit(&h->c);
    sannip_workspace_uninit(&h->ws);
    free(h->buf);
    free(h);
}

/* [in, out] h, [in] path: a model or committee file. Returns sannip_committee_load_file's
   result; its message stays in h (sannip_py_message). */
SANNIP_PY_API int sannip_py_load(sannip_py *h, const char *path)
{
    memset(&h->err, 0, sizeof h->err);
    return (int)sannip_committee_load_file(&h->c, path, &h->err);
}

/* The message of the last failure ("" after success; sannip_result_string names its code); owned by h. */
SANNIP_PY_API const char *sannip_py_message(const sannip_py *h) { return h->err.message; }
SANNIP_PY_API int sannip_py_members(const sannip_py *h) { return h->c.n; }
SANNIP_PY_API int sannip_py_needs_spins(const sannip_py *h)
{
    return h->c.n > 0 && sannip_descriptors_need_spins(&h->c.m[0].desc);
}
SANNIP_PY_API double sannip_py_cutoff(const sannip_py *h) { return h->c.n > 0 ? (double)h->c.m[0].cutoff : 0; }
/* The model's unit names: which 0 = length, 1 = energy. Until sannip.h has a units accessor
   this reads the labels of the model struct: the one place to switch to it. */
SANNIP_PY_API const char *sannip_py_units(const sannip_py *h, int which)
{
    if (h->c.n < 1) return "";
    return which == 0 ? h->c.m[0].units_length : h->c.m[0].units_energy;
}

static sannip_result sannip_py__fail(sannip_py *h, sannip_result r, const char *what)
{
    h->err.code = r;
    snprintf(h->err.message, sizeof h->err.message, "%s", what);
    return r;
}

/* Room for k sannip_real in h->buf (grown, never shrunk). */
static sannip_real *sannip_py__scratch(sannip_py *h, size_t k)
{
    if (k > h->cap) {
        sannip_real *p = (sannip_real *)realloc(h->buf, k * sizeof *p);
        if (!p) return NULL;
        h->buf = p; h->cap = k;
    }
    return h->buf;
}

static void sannip_py__in(sannip_real *dst, const double *src, size_t k) { size_t i; for (i = 0; i < k; i++) dst[i] = (sannip_real)src[i]; }
static void sannip_py__out(double *dst, const sannip_real *src, size_t k) { size_t i; if (dst) for (i = 0; i < k; i++) dst[i] = (double)src[i]; }

/* Committee means of the per-atom energies, virial and field, which sannip_committee_predict
   does not give: every member evaluated, summed in member order. [out, optional] ea (n),
   W (9), H (3n): the means; [in] scratch a (n), w (9), hf (3n). */
static sannip_result sannip_py__member_means(sannip_py *h, const sannip_system *sys, double *ea, double *W, double *H,
                                             sannip_real *a, sannip_real *w, sannip_real *hf)
{
    int k;
    size_t i, n = (size_t)sys->n;
    sannip_real E;
    sannip_result r;
    if (ea) memset(ea, 0, sizeof(double) * n);
    if (W) memset(W, 0, sizeof(double) * 9);
    if (H) memset(H, 0, sizeof(double) * 3 * n);
    for (k = 0; k < h->c.n; k++) {
        r = sannip_model_compute_field(&h->c.m[k], &h->ws, sys, &E, ea ? a : NULL, NULL, W ? w : NULL, H ? hf : NULL, &h->err);
        if (r != SANNIP_SUCCESS) return r;
        if (ea) for (i = 0; i < n; i++) ea[i] += a[i];
        if (W) for (i = 0; i < 9; i++) W[i] += w[i];
        if (H) for (i = 0; i < 3 * n; i++) H[i] += hf[i];
    }
    if (ea) for (i = 0; i < n; i++) ea[i] /= h->c.n;
    if (W) for (i = 0; i < 9; i++) W[i] /= h->c.n;
    if (H) for (i = 0; i < 3 * n; i++) H[i] /= h->c.n;
    return SANNIP_SUCCESS;
}

/* Energy and, when their pointers are not NULL, per-atom energies, forces, virial, field
   -dE/dS (spin-aware models), and a committee's energy and force spreads (0 for one model),
   all in the model's units (sannip_model_compute_field's conventions; virial W_ab =
   -sum_i r_i,a dE/dr_i,b). One model: sannip_model_compute_field; a committee:
   sannip_committee_predict (energy, forces, spreads) plus the members' mean of the rest.
   [in, out] h; [in] n, pos (3n), Z (n), cell (9, rows = lattice vectors), pbc (3),
   [in, optional] spins (3n; needed by spin-aware models); [out] energy; [out, optional]
   energies (n), forces (3n), virial (9), field (3n), energy_spread (1), forces_spread (3n).
   Returns the first failure's code (message in h). */
SANNIP_PY_API int sannip_py_compute(sannip_py *h, int n, const double *pos, const int *Z, const double *cell,
                                    const int *pbc, const double *spins, double *energy, double *energies,
                                    double *forces, double *virial, double *field, double *energy_spread,
                                    double *forces_spread)
{
    sannip_system sys;
    sannip_real *p, *s, *ea, *F, *Fs, *H, *W, E = 0, Es = 0;
    size_t k, m = (size_t)(n > 0 ? n : 0);
    sannip_result r;
    memset(&h->err, 0, sizeof h->err);
    if (h->c.n < 1) return sannip_py__fail(h, SANNIP_INVALID_ARGS, "sannip_py_compute: no model loaded");
    if (n < 0) return sannip_py__fail(h, SANNIP_INVALID_ARGS, "sannip_py_compute: negative atom count");
    if (n > SANNIP_MAX_ATOMS) return sannip_py__fail(h, SANNIP_TOO_BIG, "sannip_py_compute: more atoms than SANNIP_MAX_ATOMS");
    if (!pos || !Z || !cell || !pbc || !energy)
        return sannip_py__fail(h, SANNIP_INVALID_ARGS, "sannip_py_compute: NULL positions, Z, cell, pbc or energy");
    if (!(p = sannip_py__scratch(h, 16 * m + 9))) return sannip_py__fail(h, SANNIP_OUT_OF_MEMORY, "sannip_py_compute: arrays of one evaluation");
    s = p + 3 * m; ea = s + 3 * m; F = ea + m; Fs = F + 3 * m; H = Fs + 3 * m; W = H + 3 * m;
    memset(&sys, 0, sizeof sys);
    sys.n = n; sys.pos = p; sys.Z = Z;
    sannip_py__in(p, pos, 3 * m);
    if (spins) { sannip_py__in(s, spins, 3 * m); sys.spins = s; }
    for (k = 0; k < 9; k++) sys.cell[k] = (sannip_real)cell[k];
    for (k = 0; k < 3; k++) sys.pbc[k] = pbc[k];
    if (h->c.n == 1) {
        r = sannip_model_compute_field(&h->c.m[0], &h->ws, &sys, &E, energies ? ea : NULL, forces ? F : NULL,
                                       virial ? W : NULL, field ? H : NULL, &h->err);
        if (r != SANNIP_SUCCESS) return r;
        sannip_py__out(energies, ea, m); sannip_py__out(virial, W, 9); sannip_py__out(field, H, 3 * m);
        memset(Fs, 0, sizeof(sannip_real) * 3 * m);
    } else {
        r = sannip_committee_predict(&h->c, &h->ws, &sys, &E, &Es, NULL, forces ? F : NULL, forces_spread ? Fs : NULL, &h->err);
        if (r != SANNIP_SUCCESS) return r;
        if ((energies || virial || field) && (r = sannip_py__member_means(h, &sys, energies, virial, field, ea, W, H)) != SANNIP_SUCCESS) return r;
    }
    *energy = (double)E;
    if (energy_spread) *energy_spread = (double)Es;
    sannip_py__out(forces, F, 3 * m); sannip_py__out(forces_spread, Fs, 3 * m);
    return SANNIP_SUCCESS;
}
