/* sannip_spin.h - v0.1.0 - spin bases, spin configurations, magnetic observables and spin
   Monte Carlo for sannip. MIT-0 or public domain (see the end of sannip.h).

   In exactly one C or C++ file:
       #define SANNIP_IMPLEMENTATION
       #include "sannip_spin.h"       // includes sannip.h

   Spin bases with position and spin derivatives (SPEC 5), the effective field of a model,
   local energy changes of single-spin moves, spin configurations (SPEC 10) and magnetic
   observables (T4.1-4.4). Spins are 3-vectors per atom (collinear moments as z
   components), in the units the caller uses.
*/
#ifndef SANNIP_SPIN_H
#define SANNIP_SPIN_H
#include "sannip.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ---- spin bases (SPEC 5, T3.1-3.20, T5.1-5.6) ------------------------------------------
   The kinds SANNIP_SPIN_* (sannip.h) written as definition lines:
     spin_s1  CENTER xi=X                          (S_i.S_i)^xi            000, 000a (xi = 1..4), 000b
     spin_s2  CENTER NBR cut=TYPE rc=R xi=K        sum_j (S_i.S_j)^K fc     (and s3, s4, s5)
     spin_s1g CENTER eta=E shift=A xi=X            exp(-E (|S_i|^X - A)^2)  001
     spin_s2g CENTER NBR cut=TYPE rc=R eta=E shift=A  (and s3g, s4g, s5g)
     spin_f1  CENTER NBR cut=TYPE rc=R eta=E shift=A  (and f2, f3)
     spin_f4  CENTER NBR cut=TYPE rc=R eps=EPS        (and f5, f6)
   Powers: the pair brackets S2-S5 can be negative, so their xi must be an integer (1..64);
   a non-integer power is rejected when the basis is added (SANNIP_BAD_PARAMETER), never a
   NaN at run time. S1 takes any real xi > 0 (its bracket is >= 0).
   F4-F6 (the thesis leaves them as ratios that are 0/0 for zero spins) use the smoothed norm
   |v|_e = sqrt(v.v + eps^2) and include the central spin with weight 1 (fc(0) = 1):
     M = S_i + sum_j S_j fc,  A = sum_{j incl. i} w_j (|S_j|_e - eps),  s_j = S_j/|S_j|_e,
     m = M/|M|_e,  c_j = s_j.m,  W = sum_{j incl. i} w_j
     F4 = (|M|_e - eps)/(A + eps)       local magnetisation ratio, 1 for FM, ~0 for PM/AFM
     F5 = sum_j w_j c_j / W             mean cosine to the local magnetisation
     F6 = sum_j w_j c_j^2 / W - F5^2    its variance
   All three are 0 (with finite derivatives) when every spin is zero. Derivatives of |S|^xi
   and of unit vectors at exactly zero are taken as 0. Collinear spins are z components. */

/* A descriptor set / model whose spin bases are evaluated by this header. Use these
   instead of sannip_descriptors_init / sannip_model_init for spin-aware work (loading a
   spin-aware model file into a model made with plain sannip_model_init fails with
   SANNIP_NEEDS_SPIN). sannip_spin_enable switches an existing set on. */
SANNIP_API void sannip_spin_descriptors_init(sannip_descriptors *d, const sannip_allocator *alloc);
SANNIP_API void sannip_spin_model_init(sannip_model *m, const sannip_allocator *alloc);
SANNIP_API void sannip_spin_enable(sannip_descriptors *d);
SANNIP_API const sannip_spin_ops *sannip_spin_ops_table(void);
/* Validates a spin basis (kinds, elements, cutoff, powers, widths). */
SANNIP_API sannip_result sannip_spin_basis_check(const sannip_basis *b, sannip_error *err);

/* As sannip_env_eval, plus spin derivatives: [out, optional] dGs nf x (n+1) x 3 with
   dGs[(f (n+1) + k) 3 + a] = dG_f/dS_k,a (slot n: the central spin). env->Sc and env->Sn
   must be set when idx holds spin bases. */
SANNIP_API sannip_result sannip_spin_env_eval(const sannip_descriptors *set, const int *idx, int nf,
        const sannip_env *env, sannip_real *G, sannip_real *dG, sannip_real *dGs, sannip_real *work);

/* Energy, per-atom energies, forces, virial (all optional, as sannip_model_compute) and the
   effective field H = -dE/dS (n x 3, optional) of a spin-aware model. sys->spins required
   when the model has spin bases. Bit-identical for any thread count. */
SANNIP_API sannip_result sannip_spin_model_compute(const sannip_model *m, sannip_workspace *ws,
        const sannip_system *sys, sannip_real *energy, sannip_real *atom_energy, sannip_real *forces,
        sannip_real *virial, sannip_real *field, sannip_error *err);

/* The thesis's SANNIP set for element Z (T A.2): the BP Fe bases (T A.1, 24 G2 + 18 G4) then
   8 S1G (eta 0.035711; (xi, shift) = (1,0) (2,0) (1,1) (2,1) (1,2) (2,4) (1,3) (2,9)) and
   12 S2G (eta {0.000357, 0.035711, 0.028569, 0.089277} x shift {0, 35, 70}, rc = 6 A, cosine
   cutoff). Units: the shifts assume moments in mu_B (|S| up to ~3, S_i.S_j up to ~9); the
   shifts 35 and 70 then sit beyond the data and act as broad monotone ramps. */
SANNIP_API sannip_result sannip_spin_preset_sannip(sannip_descriptors *d, int Z, sannip_error *err);
/* Only the 20 spin bases of T A.2, for central element Z (SANNIP_ANY: all) with neighbours of
   any element, at cutoff rc (6 in the thesis). */
SANNIP_API sannip_result sannip_spin_preset_thesis(sannip_descriptors *d, int Z, sannip_real rc, sannip_error *err);
/* Spin bases only, scaled to spins of typical magnitude smag (in the caller's units) at
   cutoff rc, neighbours of any element: 8 S1G whose centres span [0, 1.5 smag], 12 S2G whose
   centres span [-smag^2, smag^2], and the scale-free F4, F5 and F6. Appended to d (for element Z). */
SANNIP_API sannip_result sannip_spin_preset_scaled(sannip_descriptors *d, int Z, sannip_real rc, sannip_real smag,
                                                   sannip_error *err);

/* ---- local energy changes of a spin-aware model (SPEC 11) --------------------------------
   The state a Monte Carlo run needs to price the move of one spin without recomputing the
   system: positions are fixed, so the neighbour list, the geometric features and the
   first-layer pre-activations are cached. A move of spin k changes only the spin features of
   k and of the atoms that have k as a neighbour: pair-sum bases (S2-S5 and their Gaussians)
   are updated by the difference of k's pair terms, F1-F6 and atom k itself are re-evaluated,
   and only those atoms' networks run (a dense first layer is updated for the changed spin
   features only). The cost of a move does not grow with the number of atoms. */
typedef struct sannip_spin_local {
    const sannip_model *m;
    int n;
    sannip_real *pos, *spins, cell[9];
    int *Z, pbc[3], *el;          /* el: element index of each atom */
    sannip_neighbors nl;
    size_t *rev_start; size_t *rev;   /* pairs p with nl.j[p] == k: rev[rev_start[k]..] */
    int fmax, hmax, nmax;
    sannip_real spin_rc;          /* largest cutoff of the spin bases: farther atoms never change */
    sannip_real *G, *z1, *eat;    /* raw features (n x fmax), first-layer z (n x hmax), E_i */
    int *nspin, *spinf;           /* per element: spin feature positions spinf[e fmax ..] */
    int *dense1;                  /* per element: first layer dense (incremental update) */
    /* the pending move (delta's result, committed by accept) */
    int tk; sannip_real ts[3]; int tvalid;
    int naff, *aff, *mark, stamp;
    sannip_real *tG, *tz1, *te, *work, *Sn;
    sannip_allocator alloc;
} sannip_spin_local;

/* Builds the caches for system sys (its spins are copied; sys->spins required). */
SANNIP_API sannip_result sannip_spin_local_init(sannip_spin_local *L, const sannip_model *m, const sannip_system *sys,
                                                const sannip_allocator *alloc, sannip_error *err);
SANNIP_API void sannip_spin_local_uninit(sannip_spin_local *L);
/* Energy change if spin k became s_new (3 values). The state is unchanged. */
SANNIP_API sannip_result sannip_spin_local_delta(sannip_spin_local *L, int k, const sannip_real *s_new, double *dE);
/* Spin k becomes s_new (reuses the pending delta when it was for the same move). */
SANNIP_API sannip_result sannip_spin_local_accept(sannip_spin_local *L, int k, const sannip_real *s_new);
/* Total energy of the current state (fixed-order sum of the cached atom energies). */
SANNIP_API double sannip_spin_local_energy(const sannip_spin_local *L);
/* Loads all spins (n x 3) and rebuilds every cache from scratch (also clears rounding drift). */
SANNIP_API sannip_result sannip_spin_local_set_spins(sannip_spin_local *L, const sannip_real *spins, sannip_error *err);

/* ---- SPIN CONFIGURATIONS (SPEC 10) ----------------------------------------------------
   Every generator writes n x 3 spins (spins[3*i+a]) with magnitudes drawn as described by a
   sannip_spin_magnitude and directions drawn as the thesis describes. Draw order (part of
   the contract, so that a seed always gives the same spins): first the n magnitudes, in
   atom order, then the directions (or signs), in atom order. Consequently FM and perturbed
   FM with sigma = 0 give identical spins from identical generator states, even with random
   magnitudes. The generators are pure functions of their arguments (thread-safe for
   distinct rng and spins); they never allocate.
   Common arguments: [in] n >= 0 atoms; [in, optional] mag (NULL: |S| = 1);
   [in, out] rng, required when anything is random (it may be NULL only for sannip_spin_fm,
   sannip_spin_afm and sannip_spin_afm_pp with a fixed magnitude); [out] spins, n x 3;
   [out, optional] err.
   Returns SANNIP_SUCCESS, SANNIP_INVALID_ARGS (n < 0, NULL spins or rng), SANNIP_TOO_BIG
   (n > SANNIP_MAX_ATOMS), SANNIP_NONFINITE (NaN/Inf parameter) or SANNIP_BAD_PARAMETER
   (negative magnitude, sd or sigma; a sign other than +-1). On failure spins are untouched. */

/* Spin magnitudes |S_i|: mean >= 0; sd >= 0. sd == 0: every |S_i| = mean; otherwise
   |S_i| ~ N(mean, sd) truncated at 0 (negative draws are drawn again). Units are the
   caller's (the toy-iron examples use hbar units, |S| ~ 1.1). */
typedef struct sannip_spin_magnitude {
    sannip_real mean;
    sannip_real sd;
} sannip_spin_magnitude;

/* Ferromagnetic: every spin along +z (T3.3.3, T3.33 s_FM = (0,0,1)). */
SANNIP_API sannip_result sannip_spin_fm(int n, const sannip_spin_magnitude *mag, sannip_rng *rng,
                                        sannip_real *spins, sannip_error *err);
/* Perturbed FM (T3.29-3.31): azimuth phi ~ U[0, 2 pi), polar angle from +z with
   cos(Theta) = 1 - |N(0, sigma)| (clipped at -1). NOTE: T3.29 prints
   Theta = arccos(|N(0, sigma)|), which gives Theta = pi/2 (spins in the xy plane) at
   sigma = 0 and near it, contradicting the text ("perturbations from FM", sigma = 0 in the
   list T3.31). The "1 -" form used here follows the PM formula T3.32 and makes sigma = 0
   exactly FM; <1 - cos Theta> = sigma sqrt(2/pi) while sigma << 1. sigma >= 0. */
SANNIP_API sannip_result sannip_spin_perturbed_fm(int n, sannip_real sigma, const sannip_spin_magnitude *mag,
                                                  sannip_rng *rng, sannip_real *spins, sannip_error *err);
/* Paramagnetic (T3.32): Theta = arccos(1 - U[0, 2)), phi ~ U[0, 2 pi): uniform directions
   on the sphere (<cos Theta> = 0, <cos^2 Theta> = 1/3). */
SANNIP_API sannip_result sannip_spin_pm(int n, const sannip_spin_magnitude *mag, sannip_rng *rng,
                                        sannip_real *spins, sannip_error *err);
/* "111r" (T3.33): direction (U[0,1), U[0,1), U[0,1)) normalised: random directions in the
   first octant, net moment along (1,1,1), magnetisation ratio ~0.83. */
SANNIP_API sannip_result sannip_spin_111r(int n, const sannip_spin_magnitude *mag, sannip_rng *rng,
                                          sannip_real *spins, sannip_error *err);
/* "000r" (T3.33, the Low-T-Ramp "PM"): direction (U[0,1) - 1/2, ...) normalised: random
   directions about the origin with zero mean, but not uniform on the sphere (biased towards
   the cube diagonals); sannip_spin_pm is the uniform one. */
SANNIP_API sannip_result sannip_spin_000r(int n, const sannip_spin_magnitude *mag, sannip_rng *rng,
                                          sannip_real *spins, sannip_error *err);

/* Collinear antiferromagnets along +-z (T3.3.3: "different orders of opposite spin ... each
   system's magnetic moment initialization has a net value of zero"). In all three the k-th
   up spin (in atom order) and the k-th down spin share one magnitude (the up spin's draw),
   so the net moment is exactly zero whenever there are as many up as down spins, with
   random magnitudes too. An unpaired spin keeps its own magnitude.
   sannip_spin_afm: [in, optional] sign, n values +1 / -1 (e.g. from sannip_spin_sublattice);
   NULL: alternating by atom index, + - + - (the thesis's "AFM + -" in atom order). */
SANNIP_API sannip_result sannip_spin_afm(int n, const int *sign, const sannip_spin_magnitude *mag,
                                         sannip_rng *rng, sannip_real *spins, sannip_error *err);
/* "AFM + +": pairs of equal spins by atom index, + + - - + + - - ... (zero net moment when
   n is a multiple of 4). */
SANNIP_API sannip_result sannip_spin_afm_pp(int n, const sannip_spin_magnitude *mag, sannip_rng *rng,
                                            sannip_real *spins, sannip_error *err);
/* "AFM random": floor(n/2) atoms chosen uniformly at random point up, the others down,
   each up spin paired with a down spin (zero net moment for even n). */
SANNIP_API sannip_result sannip_spin_afm_random(int n, const sannip_spin_magnitude *mag, sannip_rng *rng,
                                                sannip_real *spins, sannip_error *err);

/* Two-sublattice orderings of a cubic crystal, for sannip_spin_afm. */
typedef enum sannip_sublattice {
    SANNIP_SUBLATTICE_BCC = 0,    /* bcc: corner sites +1, body centres -1 (B2 / AFM-bcc) */
    SANNIP_SUBLATTICE_FCC001      /* fcc: alternating (001) planes, z = 0 +1, z = a/2 -1 (AFM-I) */
} sannip_sublattice;
/* The sublattice sign of every atom of a supercell of the conventional cubic cell (lattice
   constant a) whose rows are integer multiples m_r of the conventional cell vectors, with a
   lattice site at the origin (a strained or sheared supercell qualifies: m_r =
   round(|cell row r| / a), the conventional vectors are cell row r / m_r). Each atom is
   assigned to the nearest site (rounding its coordinates in units of half conventional
   vectors; BCC takes the majority of the three parities, so a displacement of less than a/4
   in two of the three directions still finds the site).
   [in] pos n x 3, cell rows (treated as periodic), a > 0, lattice; [out] sign n values +-1.
   Returns SANNIP_INVALID_ARGS, SANNIP_NONFINITE, SANNIP_SINGULAR_CELL, or
   SANNIP_BAD_PARAMETER when a cell row is not within 0.4 a of a multiple of a (so m_r is
   unambiguous: strains up to 10% of a 4-cell row, 5% of an 8-cell row). */
SANNIP_API sannip_result sannip_spin_sublattice(int n, const sannip_real *pos, const sannip_real *cell,
                                                sannip_real a, int lattice, int *sign, sannip_error *err);

/* Magnetisation ratio |sum S| / sum |S| (T4.1): 1 for FM, ~0 for PM and AFM. 0 when all
   spins are zero. spins: n x 3. */
SANNIP_API double sannip_spin_magnetisation_ratio(int n, const sannip_real *spins);
/* Variance of the polar angle of each spin measured from the net spin direction (T4.2-4.4):
   0 for FM, pi^2/4 - 2 for PM, pi^2/4 for AFM. With zero net spin the angle is taken from +z;
   zero spins are skipped. */
SANNIP_API double sannip_spin_polar_variance(int n, const sannip_real *spins);

#ifdef __cplusplus
}
#endif
#endif /* SANNIP_SPIN_H */

#if defined(SANNIP_IMPLEMENTATION) && !defined(SANNIP_SPIN_IMPLEMENTATION_DONE)
#define SANNIP_SPIN_IMPLEMENTATION_DONE
#include <math.h>
#ifdef __cplusplus
extern "C" {
#endif

/* ---- spin bases ------------------------------------------------------------------------ */
static sannip_real sannip__dot3(const sannip_real *a, const sannip_real *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

/* The pair bracket of kind k (S2..S5 or their Gaussians) for central spin a, neighbour spin
   b and unit vector u = d/r, with its gradients with respect to a, b and u. */
static sannip_real sannip__spin_bracket(int k, const sannip_real *a, const sannip_real *b, const sannip_real *u,
                                        sannip_real *da, sannip_real *db, sannip_real *du)
{
    sannip_real p, q, v;
    int x;
    if (k >= SANNIP_SPIN_S1G) k -= SANNIP_SPIN_S1G - SANNIP_SPIN_S1;
    switch (k) {
    case SANNIP_SPIN_S2:    /* S_i.S_j */
        for (x = 0; x < 3; x++) { da[x] = b[x]; db[x] = a[x]; du[x] = 0; }
        return sannip__dot3(a, b);
    case SANNIP_SPIN_S3:    /* (S_i x S_j).u = S_i.(S_j x u) = S_j.(u x S_i) */
        sannip__cross(b, u, da); sannip__cross(u, a, db); sannip__cross(a, b, du);
        return sannip__dot3(du, u);
    case SANNIP_SPIN_S4:    /* (S_i.u)(S_j.u) */
        p = sannip__dot3(a, u); q = sannip__dot3(b, u);
        for (x = 0; x < 3; x++) { da[x] = q * u[x]; db[x] = p * u[x]; du[x] = q * a[x] + p * b[x]; }
        return p * q;
    default:                /* (S_i x u).(S_j x u) = S_i.S_j - (S_i.u)(S_j.u) */
        p = sannip__dot3(a, u); q = sannip__dot3(b, u);
        v = sannip__dot3(a, b) - p * q;
        for (x = 0; x < 3; x++) { da[x] = b[x] - q * u[x]; db[x] = a[x] - p * u[x]; du[x] = -(q * a[x] + p * b[x]); }
        return v;
    }
}
/* The transform of a bracket value v: a power (T3.12-3.16) or a Gaussian (T3.17-3.20). */
static sannip_real sannip__spin_transform(const sannip_basis *b, sannip_real v, sannip_real *dT)
{
    if (b->kind >= SANNIP_SPIN_S1G) {
        sannip_real x = v - b->rs, T = exp(-b->eta * x * x);
        *dT = -2 * b->eta * x * T;
        return T;
    }
    {
        sannip_real pm = sannip__ipow(v, (int)b->zeta - 1);   /* xi is an integer >= 1 */
        *dT = b->zeta * pm;
        return pm * v;
    }
}
/* The self bases S1 and S1G of central spin a: value and gradient g (3). */
static sannip_real sannip__spin_self(const sannip_basis *b, const sannip_real *a, sannip_real *g)
{
    sannip_real v = sannip__dot3(a, a), T, dv;
    int x;
    if (b->kind == SANNIP_SPIN_S1) {                     /* v^xi, dv = 2 xi v^(xi-1) a */
        T = b->zeta == 1 ? v : pow(v, b->zeta);
        dv = v > 0 ? 2 * b->zeta * (b->zeta == 1 ? 1 : pow(v, b->zeta - 1)) : 0;
    } else {                                             /* exp(-eta (v^(xi/2) - shift)^2) */
        sannip_real s = v > 0 ? pow(v, b->zeta / 2) : 0, e = s - b->rs;
        T = exp(-b->eta * e * e);
        dv = v > 0 ? -2 * b->eta * e * T * b->zeta * pow(v, b->zeta / 2 - 1) : 0;   /* d/da = dv a */
    }
    for (x = 0; x < 3; x++) g[x] = dv * a[x];
    return T;
}
static sannip_real sannip__snorm(const sannip_real *v, sannip_real eps) { return sqrt(sannip__dot3(v, v) + eps * eps); }

/* Accumulates one output f of one atom. pos (3 per neighbour) and spin (3 per neighbour +
   central) gradients go to the dense rows (dG, dGs) and/or the contractions (c, cs). */
typedef struct sannip__spin_out {
    int n;
    sannip_real gf;                 /* contraction weight g_f (0 when no contraction) */
    sannip_real *dG, *dGs, *c, *cs; /* rows of f (stride 3(n+1)), or NULL */
} sannip__spin_out;
static void sannip__spin_put_pos(const sannip__spin_out *o, int j, sannip_real s, const sannip_real *v)
{
    int x;
    if (o->dG) for (x = 0; x < 3; x++) o->dG[3 * j + x] += s * v[x];
    if (o->c) for (x = 0; x < 3; x++) o->c[3 * j + x] += o->gf * s * v[x];
}
static void sannip__spin_put_spin(const sannip__spin_out *o, int j, sannip_real s, const sannip_real *v)
{
    int x;
    if (o->dGs) for (x = 0; x < 3; x++) o->dGs[3 * j + x] += s * v[x];
    if (o->cs) for (x = 0; x < 3; x++) o->cs[3 * j + x] += o->gf * s * v[x];
}

/* Pair-sum kinds S2..S5, S2G..S5G: sum_j T(bracket) fc. */
static sannip_real sannip__spin_pairsum(const sannip_basis *b, const sannip_env *env, const sannip_real *u,
                                        const sannip__spin_out *o, int deriv)
{
    sannip_real G = 0, da[3], db[3], du[3], pd[3];
    int j, x;
    for (j = 0; j < env->n; j++) {
        const sannip_real *uj = u + 3 * j, *Sj = env->Sn + 3 * j;
        sannip_real dfc, fc, v, T, dT, ud;
        if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
        fc = sannip_cutoff_eval(&b->cut[0], env->r[j], &dfc);
        if (fc == 0 && dfc == 0) continue;
        v = sannip__spin_bracket(b->kind, env->Sc, Sj, uj, da, db, du);
        T = sannip__spin_transform(b, v, &dT);
        G += T * fc;
        if (!deriv) continue;
        /* d/dd_j: dT fc (I - u u^T) du / r + T fc' u */
        ud = sannip__dot3(uj, du);
        for (x = 0; x < 3; x++) pd[x] = dT * fc * (du[x] - ud * uj[x]) / env->r[j] + T * dfc * uj[x];
        sannip__spin_put_pos(o, j, 1, pd);
        sannip__spin_put_spin(o, j, dT * fc, db);
        sannip__spin_put_spin(o, env->n, dT * fc, da);
    }
    return G;
}

/* F1-F3 (T5.1-5.3): Gaussians of neighbour sums (the central atom excluded). */
static sannip_real sannip__spin_f123(const sannip_basis *b, const sannip_env *env, const sannip_real *u,
                                     const sannip__spin_out *o, int deriv)
{
    sannip_real M[3] = { 0, 0, 0 }, A = 0, x, T, dT, mn = 0, mh[3] = { 0, 0, 0 };
    int j, k;
    for (j = 0; j < env->n; j++) {
        sannip_real dfc, fc;
        if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
        fc = sannip_cutoff_eval(&b->cut[0], env->r[j], &dfc);
        for (k = 0; k < 3; k++) M[k] += fc * env->Sn[3 * j + k];
        A += fc * sqrt(sannip__dot3(env->Sn + 3 * j, env->Sn + 3 * j));
    }
    if (b->kind == SANNIP_SPIN_F1) x = A;
    else if (b->kind == SANNIP_SPIN_F2) {
        mn = sqrt(sannip__dot3(M, M)); x = mn;
        if (mn > 0) for (k = 0; k < 3; k++) mh[k] = M[k] / mn;
    } else x = sannip__dot3(env->Sc, M);
    x -= b->rs;
    T = exp(-b->eta * x * x);
    if (!deriv) return T;
    dT = -2 * b->eta * x * T;
    if (b->kind == SANNIP_SPIN_F3) sannip__spin_put_spin(o, env->n, dT, M);
    for (j = 0; j < env->n; j++) {
        const sannip_real *Sj = env->Sn + 3 * j;
        sannip_real dfc, fc, sj, w, s[3];
        if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
        fc = sannip_cutoff_eval(&b->cut[0], env->r[j], &dfc);
        if (fc == 0 && dfc == 0) continue;
        if (b->kind == SANNIP_SPIN_F1) {       /* dA/dS_j = fc S_j/|S_j|, dA/dd_j = |S_j| fc' u */
            sj = sqrt(sannip__dot3(Sj, Sj));
            w = sj; for (k = 0; k < 3; k++) s[k] = sj > 0 ? Sj[k] / sj : 0;
        } else if (b->kind == SANNIP_SPIN_F2) { /* d|M|/dS_j = fc M^, d|M|/dd_j = (M^.S_j) fc' u */
            w = sannip__dot3(mh, Sj); for (k = 0; k < 3; k++) s[k] = mh[k];
        } else {                               /* d(S_i.M)/dS_j = fc S_i, /dd_j = (S_i.S_j) fc' u */
            w = sannip__dot3(env->Sc, Sj); for (k = 0; k < 3; k++) s[k] = env->Sc[k];
        }
        sannip__spin_put_spin(o, j, dT * fc, s);
        sannip__spin_put_pos(o, j, dT * w * dfc, u + 3 * j);
    }
    return T;
}

/* F4-F6 (T5.4-5.6, smoothed as documented in the declarations). Slot n is the central atom
   with weight 1 and no position dependence. */
static sannip_real sannip__spin_f456(const sannip_basis *b, const sannip_env *env, const sannip_real *u,
                                     const sannip__spin_out *o, int deriv)
{
    const sannip_real eps = b->eps;
    sannip_real M[3], A = 0, W = 1, Me, mh[3], F = 0, F5 = 0, Q = 0, V[3] = { 0, 0, 0 }, gM[3], mv;
    int j, k, pass;
    for (k = 0; k < 3; k++) M[k] = env->Sc[k];
    A = sannip__snorm(env->Sc, eps) - eps;
    for (j = 0; j < env->n; j++) {
        sannip_real dfc, fc;
        if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
        fc = sannip_cutoff_eval(&b->cut[0], env->r[j], &dfc);
        for (k = 0; k < 3; k++) M[k] += fc * env->Sn[3 * j + k];
        A += fc * (sannip__snorm(env->Sn + 3 * j, eps) - eps);
        W += fc;
    }
    Me = sannip__snorm(M, eps);
    for (k = 0; k < 3; k++) mh[k] = M[k] / Me;
    if (b->kind == SANNIP_SPIN_F4) {
        F = (Me - eps) / (A + eps);
        if (!deriv) return F;
        /* dF/dM = m^/(A+eps); dF/dA = -F/(A+eps) */
        for (k = 0; k < 3; k++) gM[k] = mh[k] / (A + eps);
        for (j = 0; j <= env->n; j++) {
            const sannip_real *Sj = j < env->n ? env->Sn + 3 * j : env->Sc;
            sannip_real dfc = 0, fc = 1, sn = sannip__snorm(Sj, eps), gA = -F / (A + eps), s[3];
            if (j < env->n) {
                if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
                fc = sannip_cutoff_eval(&b->cut[0], env->r[j], &dfc);
                if (fc == 0 && dfc == 0) continue;
                sannip__spin_put_pos(o, j, dfc * (sannip__dot3(gM, Sj) + gA * (sn - eps)), u + 3 * j);
            }
            for (k = 0; k < 3; k++) s[k] = fc * (gM[k] + gA * Sj[k] / sn);
            sannip__spin_put_spin(o, j, 1, s);
        }
        return F;
    }
    /* F5, F6: first pass the mean and mean square of c_j = s_j.m^, second the gradients */
    for (pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            F5 /= W; Q /= W;
            F = b->kind == SANNIP_SPIN_F5 ? F5 : Q - F5 * F5;
            if (!deriv) return F;
        }
        for (j = 0; j <= env->n; j++) {
            const sannip_real *Sj = j < env->n ? env->Sn + 3 * j : env->Sc;
            sannip_real dfc = 0, fc = 1, sn = sannip__snorm(Sj, eps), cj, q, rw;
            if (j < env->n) {
                if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
                fc = sannip_cutoff_eval(&b->cut[0], env->r[j], &dfc);
            }
            cj = sannip__dot3(Sj, mh) / sn;
            if (pass == 0) { F5 += fc * cj; Q += fc * cj * cj; continue; }
            /* q = dF/dc_j, rw = dF/dw_j at fixed c */
            if (b->kind == SANNIP_SPIN_F5) { q = fc / W; rw = (cj - F5) / W; }
            else { q = 2 * fc * (cj - F5) / W; rw = ((cj * cj - Q) - 2 * F5 * (cj - F5)) / W; }
            /* through s_j: q (m^ - s_j (s_j.m^))/|S_j|_e */
            {
                sannip_real s[3];
                for (k = 0; k < 3; k++) s[k] = q * (mh[k] - Sj[k] / sn * cj) / sn;
                sannip__spin_put_spin(o, j, 1, s);
                for (k = 0; k < 3; k++) V[k] += q * Sj[k] / sn;
            }
            if (j < env->n && dfc != 0) sannip__spin_put_pos(o, j, rw * dfc, u + 3 * j);
        }
    }
    /* through m^ = M/|M|_e: gM = (V - m^ (m^.V))/|M|_e; dM/dS_j = w_j, dM/dd_j = S_j fc' u */
    mv = sannip__dot3(mh, V);
    for (k = 0; k < 3; k++) gM[k] = (V[k] - mh[k] * mv) / Me;
    for (j = 0; j <= env->n; j++) {
        const sannip_real *Sj = j < env->n ? env->Sn + 3 * j : env->Sc;
        sannip_real dfc = 0, fc = 1;
        if (j < env->n) {
            if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
            fc = sannip_cutoff_eval(&b->cut[0], env->r[j], &dfc);
            if (fc == 0 && dfc == 0) continue;
            sannip__spin_put_pos(o, j, dfc * sannip__dot3(gM, Sj), u + 3 * j);
        }
        sannip__spin_put_spin(o, j, fc, gM);
    }
    return F;
}

/* The evaluator plugged into sannip.h's engine (sannip_spin_ops.eval). */
static void sannip__spin_eval(const sannip_descriptors *set, const int *idx, int nf, const sannip_env *env,
                              sannip_real *G, sannip_real *dG, const sannip_real *g, sannip_real *c,
                              sannip_real *dGs, sannip_real *cs, sannip_real *work)
{
    size_t stride = 3 * ((size_t)env->n + 1);
    int f, j, deriv = dG || dGs || (g && (c || cs));
    sannip_real *u = work;
    for (j = 0; j < env->n; j++) {
        u[3 * j] = env->d[3 * j] / env->r[j]; u[3 * j + 1] = env->d[3 * j + 1] / env->r[j]; u[3 * j + 2] = env->d[3 * j + 2] / env->r[j];
    }
    for (f = 0; f < nf; f++) {
        const sannip_basis *b = &set->b[idx[f]];
        sannip__spin_out o;
        if (!sannip__is_spin_kind(b->kind)) continue;
        o.n = env->n;
        o.gf = g ? g[f] : 0;
        o.dG = dG ? dG + (size_t)f * stride : NULL;
        o.dGs = dGs ? dGs + (size_t)f * stride : NULL;
        o.c = g ? c : NULL;
        o.cs = g ? cs : NULL;
        if (!sannip__spin_has_nbr(b->kind)) {
            sannip_real gr[3];
            G[f] += sannip__spin_self(b, env->Sc, gr);
            if (deriv) sannip__spin_put_spin(&o, env->n, 1, gr);
        } else if (b->kind <= SANNIP_SPIN_S5 || (b->kind >= SANNIP_SPIN_S2G && b->kind <= SANNIP_SPIN_S5G))
            G[f] += sannip__spin_pairsum(b, env, u, &o, deriv);
        else if (b->kind <= SANNIP_SPIN_F3)
            G[f] += sannip__spin_f123(b, env, u, &o, deriv);
        else
            G[f] += sannip__spin_f456(b, env, u, &o, deriv);
    }
}

SANNIP_API sannip_result sannip_spin_basis_check(const sannip_basis *b, sannip_error *err)
{
    sannip_result r;
    if (!b) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "basis is NULL");
    if (!sannip__is_spin_kind(b->kind)) return sannip_basis_check(b, err);
    if (!(b->center == SANNIP_ANY || (b->center >= 1 && b->center <= SANNIP_MAX_Z)))
        return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "%s: central element Z = %d", sannip_basis_kind_name(b->kind), b->center);
    if (sannip__spin_has_nbr(b->kind)) {
        if (!(b->nbr[0] == SANNIP_ANY || (b->nbr[0] >= 1 && b->nbr[0] <= SANNIP_MAX_Z)))
            return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "%s: neighbour element Z = %d (spin bases take one element or any)", sannip_basis_kind_name(b->kind), b->nbr[0]);
        if ((r = sannip__cutoff_check(&b->cut[0], err)) != SANNIP_SUCCESS) return r;
        if (b->cut[0].type == SANNIP_CUT_FSPLINE) return sannip__fail(err, SANNIP_BAD_CUTOFF, 0, 0, "%s: spin bases take a radial cutoff, not a Fourier-spline window", sannip_basis_kind_name(b->kind));
    }
    if (b->kind == SANNIP_SPIN_S1 || b->kind == SANNIP_SPIN_S1G) {
        if (!(b->zeta > 0 && b->zeta <= 64))
            return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "%s: xi %g must be in (0, 64]", sannip_basis_kind_name(b->kind), (double)b->zeta);
    } else if (b->kind <= SANNIP_SPIN_S5) {
        if (!(b->zeta >= 1 && b->zeta <= 64 && b->zeta == floor(b->zeta)))
            return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "%s: xi %g must be an integer in 1..64 (the bracket can be negative, so a fractional power is undefined)", sannip_basis_kind_name(b->kind), (double)b->zeta);
    }
    if (b->kind >= SANNIP_SPIN_S1G && b->kind <= SANNIP_SPIN_F3 && (!(b->eta >= 0) || !isfinite(b->eta) || !isfinite(b->rs)))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "%s: eta %g must be finite and >= 0, shift finite (%g)", sannip_basis_kind_name(b->kind), (double)b->eta, (double)b->rs);
    if (b->kind >= SANNIP_SPIN_F4 && !(b->eps > 0 && isfinite(b->eps)))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "%s: eps %g must be finite and > 0", sannip_basis_kind_name(b->kind), (double)b->eps);
    return SANNIP_SUCCESS;
}

static const sannip_spin_ops sannip__spin_ops = { sannip_spin_basis_check, sannip__spin_eval };
SANNIP_API const sannip_spin_ops *sannip_spin_ops_table(void) { return &sannip__spin_ops; }
SANNIP_API void sannip_spin_enable(sannip_descriptors *d) { if (d) d->spin = &sannip__spin_ops; }
SANNIP_API void sannip_spin_descriptors_init(sannip_descriptors *d, const sannip_allocator *alloc)
{
    sannip_descriptors_init(d, alloc);
    d->spin = &sannip__spin_ops;
}
SANNIP_API void sannip_spin_model_init(sannip_model *m, const sannip_allocator *alloc)
{
    sannip_model_init(m, alloc);
    m->desc.spin = &sannip__spin_ops;
}

SANNIP_API sannip_result sannip_spin_env_eval(const sannip_descriptors *set, const int *idx, int nf,
        const sannip_env *env, sannip_real *G, sannip_real *dG, sannip_real *dGs, sannip_real *work)
{
    int f;
    if (!set || !env || !G || (nf > 0 && !idx) || !work) return SANNIP_INVALID_ARGS;
    for (f = 0; f < nf; f++) {
        if (idx[f] < 0 || idx[f] >= set->n) return SANNIP_INVALID_ARGS;
        if (sannip__is_spin_kind(set->b[idx[f]].kind) && (!set->spin || !env->Sc || (env->n > 0 && !env->Sn))) return SANNIP_NEEDS_SPIN;
    }
    sannip__env_eval(set, idx, nf, env, G, dG, NULL, NULL, dGs, NULL, work);
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_spin_model_compute(const sannip_model *m, sannip_workspace *ws,
        const sannip_system *sys, sannip_real *energy, sannip_real *atom_energy, sannip_real *forces,
        sannip_real *virial, sannip_real *field, sannip_error *err)
{
    if (field && sys && !sys->spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "the effective field needs spins");
    return sannip__model_compute(m, ws, sys, energy, atom_energy, forces, virial, field, err);
}

static sannip_result sannip__spin_add(sannip_descriptors *d, int kind, int Z, sannip_real rc, sannip_real eta,
                                      sannip_real shift, sannip_real xi, sannip_error *err)
{
    sannip_basis b;
    sannip_result r;
    memset(&b, 0, sizeof b);
    b.kind = kind; b.center = Z; b.nbr[0] = SANNIP_ANY;
    b.eta = eta; b.rs = shift; b.zeta = xi; b.eps = (sannip_real)1e-2;
    if (sannip__spin_has_nbr(kind) && (r = sannip_cutoff_make(&b.cut[0], SANNIP_CUT_COS, rc, 0, err)) != SANNIP_SUCCESS) return r;
    return sannip_descriptors_add(d, &b, err);
}
SANNIP_API sannip_result sannip_spin_preset_thesis(sannip_descriptors *d, int Z, sannip_real rc, sannip_error *err)
{
    /* T A.8-A.11 */
    static const double s1[8][2] = { { 1, 0 }, { 2, 0 }, { 1, 1 }, { 2, 1 }, { 1, 2 }, { 2, 4 }, { 1, 3 }, { 2, 9 } };
    static const double eta2[4] = { 0.000357, 0.035711, 0.028569, 0.089277 }, al2[3] = { 0, 35, 70 };
    sannip_result r = SANNIP_SUCCESS;
    int i, k, n0;
    if (!d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "descriptor set is NULL");
    if (!d->spin) sannip_spin_enable(d);
    n0 = d->n;
    for (i = 0; i < 8 && r == SANNIP_SUCCESS; i++)
        r = sannip__spin_add(d, SANNIP_SPIN_S1G, Z, 0, (sannip_real)0.035711, (sannip_real)s1[i][1], (sannip_real)s1[i][0], err);
    for (i = 0; i < 4; i++) for (k = 0; k < 3 && r == SANNIP_SUCCESS; k++)
        r = sannip__spin_add(d, SANNIP_SPIN_S2G, Z, rc, (sannip_real)eta2[i], (sannip_real)al2[k], 1, err);
    if (r != SANNIP_SUCCESS) d->n = n0;
    return r;
}
SANNIP_API sannip_result sannip_spin_preset_sannip(sannip_descriptors *d, int Z, sannip_error *err)
{
    sannip_result r;
    int i, n0;
    if (!d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "descriptor set is NULL");
    n0 = d->n;
    if ((r = sannip_descriptors_preset_bp_fe(d, Z, err)) != SANNIP_SUCCESS) return r;
    if ((r = sannip_spin_preset_thesis(d, Z, 6, err)) != SANNIP_SUCCESS) { d->n = n0; return r; }
    /* the neighbours of the thesis's S2 are the same element (a pure Fe set) */
    for (i = d->n - 12; i < d->n; i++) d->b[i].nbr[0] = Z;
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_spin_preset_scaled(sannip_descriptors *d, int Z, sannip_real rc, sannip_real smag,
                                                   sannip_error *err)
{
    sannip_result r = SANNIP_SUCCESS;
    int i, n0;
    sannip_real w1, w2, s2 = smag * smag;
    if (!d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "descriptor set is NULL");
    if (!(smag > 0) || !isfinite(smag)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "spin magnitude %g must be > 0", (double)smag);
    if (!d->spin) sannip_spin_enable(d);
    n0 = d->n;
    /* Gaussians one spacing wide, so neighbouring centres overlap at exp(-1) */
    w1 = 1 / ((sannip_real)(1.5 / 7) * smag * (sannip_real)(1.5 / 7) * smag);
    w2 = 1 / ((2 * s2 / 11) * (2 * s2 / 11));
    for (i = 0; i < 8 && r == SANNIP_SUCCESS; i++) r = sannip__spin_add(d, SANNIP_SPIN_S1G, Z, 0, w1, (sannip_real)1.5 * smag * i / 7, 1, err);
    for (i = 0; i < 12 && r == SANNIP_SUCCESS; i++) r = sannip__spin_add(d, SANNIP_SPIN_S2G, Z, rc, w2, -s2 + 2 * s2 * i / 11, 1, err);
    if (r == SANNIP_SUCCESS) r = sannip__spin_add(d, SANNIP_SPIN_F4, Z, rc, 0, 0, 1, err);
    if (r == SANNIP_SUCCESS) r = sannip__spin_add(d, SANNIP_SPIN_F5, Z, rc, 0, 0, 1, err);
    if (r == SANNIP_SUCCESS) r = sannip__spin_add(d, SANNIP_SPIN_F6, Z, rc, 0, 0, 1, err);
    if (r != SANNIP_SUCCESS) d->n = n0;
    return r;
}

/* ---- local energy changes ---------------------------------------------------------------- */
static int sannip__spin_pair_additive(int kind)
{
    return (kind >= SANNIP_SPIN_S2 && kind <= SANNIP_SPIN_S5) || (kind >= SANNIP_SPIN_S2G && kind <= SANNIP_SPIN_S5G);
}
SANNIP_API void sannip_spin_local_uninit(sannip_spin_local *L)
{
    const sannip_allocator *a = &L->alloc;
    sannip_neighbors_uninit(&L->nl);
    sannip_free(a, L->pos); sannip_free(a, L->spins); sannip_free(a, L->Z); sannip_free(a, L->el);
    sannip_free(a, L->rev_start); sannip_free(a, L->rev); sannip_free(a, L->G); sannip_free(a, L->z1); sannip_free(a, L->eat);
    sannip_free(a, L->nspin); sannip_free(a, L->spinf); sannip_free(a, L->dense1);
    sannip_free(a, L->aff); sannip_free(a, L->mark); sannip_free(a, L->tG); sannip_free(a, L->tz1); sannip_free(a, L->te);
    sannip_free(a, L->work); sannip_free(a, L->Sn);
    memset(L, 0, sizeof *L);
}
static sannip_system sannip__local_view(const sannip_spin_local *L)
{
    sannip_system s;
    memset(&s, 0, sizeof s);
    s.n = L->n; s.pos = L->pos; s.Z = L->Z; s.spins = L->spins;
    memcpy(s.cell, L->cell, sizeof s.cell); memcpy(s.pbc, L->pbc, sizeof s.pbc);
    return s;
}
/* Energies of the atoms list[0..cnt) (all of element e) from their raw features G (rows of
   fmax) into E; z1 (rows of hmax) holds their first-layer pre-activations when the layer is
   dense (written when fresh_z1, else taken as given). */
static void sannip__local_energies(const sannip_spin_local *L, int e, int cnt, const sannip_real *G, sannip_real *z1,
                                   int fresh_z1, sannip_real *E)
{
    const sannip_model *m = L->m;
    const sannip_element_model *el = &m->el[e];
    const sannip_network *net = sannip_model_network(m, e);
    int nf = el->n_features, i, f, l, no = net->sizes[net->n_layers], h1 = net->sizes[1];
    sannip_real *X = L->work, *w = X + (size_t)cnt * (nf > L->hmax ? nf : L->hmax), *in, *z;
    for (i = 0; i < cnt; i++) for (f = 0; f < nf; f++)
        X[(size_t)i * nf + f] = el->scale_a[f] * (G[(size_t)i * L->fmax + f] - el->scale_c[f]) + el->scale_d[f];
    if (!L->dense1[e]) {
        sannip_network_forward(net, cnt, X, NULL, w);
        in = w;   /* the output layer's values sit after the hidden layers' (y, y') pairs */
        for (l = 0; l < net->n_layers - 1; l++) in += 2 * (size_t)cnt * net->sizes[l + 1];
    } else {
        if (fresh_z1) {
            sannip_network_layer_affine(net, 0, cnt, X, w);
            for (i = 0; i < cnt; i++) memcpy(z1 + (size_t)i * L->hmax, w + (size_t)i * h1, sizeof(sannip_real) * (size_t)h1);
        } else for (i = 0; i < cnt; i++) memcpy(w + (size_t)i * h1, z1 + (size_t)i * L->hmax, sizeof(sannip_real) * (size_t)h1);
        z = w; in = z;
        sannip__layer_activate(net, 0, cnt, z, z + (size_t)cnt * h1);
        for (l = 1; l < net->n_layers; l++) {
            sannip_real *zo = in + 2 * (size_t)cnt * net->sizes[l];
            sannip_network_layer_affine(net, l, cnt, in, zo);
            sannip__layer_activate(net, l, cnt, zo, zo + (size_t)cnt * net->sizes[l + 1]);
            in = zo;
        }
    }
    for (i = 0; i < cnt; i++) E[i] = el->energy_scale * in[(size_t)i * no + el->output] + el->energy_offset;
}
/* Environment of atom i with spin k taken as sk (Sn: scratch for the neighbour spins). */
static sannip_env sannip__local_env(const sannip_spin_local *L, int i, int k, const sannip_real *sk, int *Zn)
{
    sannip_system s = sannip__local_view(L);
    sannip_env env = sannip__env_of(&L->nl, &s, i, Zn, L->Sn);
    size_t p, s0 = L->nl.start[i];
    for (p = 0; p < (size_t)env.n; p++) if (L->nl.j[s0 + p] == k) memcpy(L->Sn + 3 * p, sk, 3 * sizeof(sannip_real));
    if (i == k) env.Sc = sk;
    return env;
}
SANNIP_API sannip_result sannip_spin_local_set_spins(sannip_spin_local *L, const sannip_real *spins, sannip_error *err)
{
    sannip_workspace ws;
    sannip_system s;
    sannip_result r;
    int e, i, cnt;
    if (!L || !spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    for (i = 0; i < 3 * L->n; i++) if (!isfinite(spins[i])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "spin of atom %d is not finite", i / 3 + 1);
    memcpy(L->spins, spins, sizeof(sannip_real) * 3 * (size_t)L->n);
    s = sannip__local_view(L);
    sannip_workspace_init(&ws, &L->alloc);
    r = sannip_model_features(L->m, &ws, &s, L->G, L->fmax, err);
    sannip_workspace_uninit(&ws);
    if (r != SANNIP_SUCCESS) return r;
    /* energies element by element, in chunks that fit the work buffer */
    for (e = 0; e < L->m->n_elements; e++) {
        cnt = 0;
        for (i = 0; i <= L->n; i++) {
            if (i < L->n && L->el[i] == e) L->aff[cnt++] = i;
            if (cnt == L->nmax + 1 || (i == L->n && cnt > 0)) {
                int q;
                for (q = 0; q < cnt; q++) memcpy(L->tG + (size_t)q * L->fmax, L->G + (size_t)L->aff[q] * L->fmax, sizeof(sannip_real) * (size_t)L->fmax);
                sannip__local_energies(L, e, cnt, L->tG, L->tz1, 1, L->te);
                for (q = 0; q < cnt; q++) {
                    L->eat[L->aff[q]] = L->te[q];
                    memcpy(L->z1 + (size_t)L->aff[q] * L->hmax, L->tz1 + (size_t)q * L->hmax, sizeof(sannip_real) * (size_t)L->hmax);
                }
                cnt = 0;
            }
        }
    }
    L->tvalid = 0;
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_spin_local_init(sannip_spin_local *L, const sannip_model *m, const sannip_system *sys,
                                                const sannip_allocator *alloc, sannip_error *err)
{
    sannip_result r;
    const sannip_allocator *a;
    int i, e, f;
    size_t p, wsz;
    if (!L || !m || !sys) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    memset(L, 0, sizeof *L);
    L->alloc = sannip__alloc_copy(alloc);
    a = &L->alloc;
    if ((r = sannip_system_check(sys, err)) != SANNIP_SUCCESS) return r;
    if (!sys->spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "the system needs spins");
    if ((r = sannip__spin_ready(&m->desc, sys, err)) != SANNIP_SUCCESS) return r;
    if (m->n_elements < 1) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "model has no elements");
    L->m = m; L->n = sys->n;
    memcpy(L->cell, sys->cell, sizeof L->cell); memcpy(L->pbc, sys->pbc, sizeof L->pbc);
    sannip_neighbors_init(&L->nl, a);
    L->pos = (sannip_real *)sannip__calloc(a, 3 * (size_t)L->n + 3, sizeof(sannip_real));
    L->spins = (sannip_real *)sannip__calloc(a, 3 * (size_t)L->n + 3, sizeof(sannip_real));
    L->Z = (int *)sannip__calloc(a, (size_t)L->n + 1, sizeof(int));
    L->el = (int *)sannip__calloc(a, (size_t)L->n + 1, sizeof(int));
    L->mark = (int *)sannip__calloc(a, (size_t)L->n + 1, sizeof(int));
    L->rev_start = (size_t *)sannip__calloc(a, (size_t)L->n + 2, sizeof(size_t));
    L->nspin = (int *)sannip__calloc(a, SANNIP_MAX_ELEMENTS, sizeof(int));
    L->dense1 = (int *)sannip__calloc(a, SANNIP_MAX_ELEMENTS, sizeof(int));
    if (!L->pos || !L->spins || !L->Z || !L->el || !L->mark || !L->rev_start || !L->nspin || !L->dense1) goto oom;
    memcpy(L->pos, sys->pos, sizeof(sannip_real) * 3 * (size_t)L->n);
    memcpy(L->Z, sys->Z, sizeof(int) * (size_t)L->n);
    for (i = 0; i < L->n; i++) {
        L->el[i] = sannip_model_element_index(m, L->Z[i]);
        if (L->el[i] < 0) { sannip_spin_local_uninit(L); return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "atom %d: element %s is not in the model", i + 1, sannip_element_symbol(sys->Z[i])); }
    }
    {
        sannip_system s = sannip__local_view(L);
        if ((r = sannip_neighbors_build(&L->nl, &s, m->cutoff > 0 ? m->cutoff : 1, err)) != SANNIP_SUCCESS) { sannip_spin_local_uninit(L); return r; }
    }
    /* reverse pairs: for each atom k, the pairs in which k is the neighbour */
    L->rev = (size_t *)sannip__calloc(a, L->nl.n_pairs + 1, sizeof(size_t));
    if (!L->rev) goto oom;
    for (p = 0; p < L->nl.n_pairs; p++) L->rev_start[L->nl.j[p] + 1]++;
    for (i = 0; i < L->n; i++) L->rev_start[i + 1] += L->rev_start[i];
    {
        size_t *fill = (size_t *)sannip__calloc(a, (size_t)L->n + 1, sizeof(size_t));
        if (!fill) goto oom;
        for (i = 0; i < L->n; i++) for (p = L->nl.start[i]; p < L->nl.start[i + 1]; p++) {
            int k = L->nl.j[p];
            L->rev[L->rev_start[k] + fill[k]++] = p;
        }
        sannip_free(a, fill);
    }
    for (i = 0; i < L->n; i++) {
        int c = (int)(L->nl.start[i + 1] - L->nl.start[i]);
        if (c > L->nmax) L->nmax = c;
    }
    for (e = 0; e < m->n_elements; e++) {
        const sannip_network *net = sannip_model_network(m, e);
        int l;
        if (m->el[e].n_features > L->fmax) L->fmax = m->el[e].n_features;
        for (l = 0; l <= net->n_layers; l++) if (net->sizes[l] > L->hmax) L->hmax = net->sizes[l];
        L->dense1[e] = net->nblk[0] <= 0;
    }
    L->spinf = (int *)sannip__calloc(a, (size_t)m->n_elements * L->fmax + 1, sizeof(int));
    if (!L->spinf) goto oom;
    for (e = 0; e < m->n_elements; e++)
        for (f = 0; f < m->el[e].n_features; f++)
            if (sannip__is_spin_kind(m->desc.b[m->el[e].feature[f]].kind)) {
                L->spinf[e * L->fmax + L->nspin[e]++] = f;
                { sannip_real rc = sannip_basis_cutoff(&m->desc.b[m->el[e].feature[f]]); if (rc > L->spin_rc) L->spin_rc = rc; }
            }
    /* the atoms a move touches: k and every atom that has k as a neighbour (<= nmax + 1) */
    L->aff = (int *)sannip__calloc(a, (size_t)L->nmax + 2, sizeof(int));
    L->G = (sannip_real *)sannip__calloc(a, (size_t)L->n * L->fmax + 1, sizeof(sannip_real));
    L->z1 = (sannip_real *)sannip__calloc(a, (size_t)L->n * L->hmax + 1, sizeof(sannip_real));
    L->eat = (sannip_real *)sannip__calloc(a, (size_t)L->n + 1, sizeof(sannip_real));
    L->tG = (sannip_real *)sannip__calloc(a, ((size_t)L->nmax + 2) * L->fmax + 1, sizeof(sannip_real));
    L->tz1 = (sannip_real *)sannip__calloc(a, ((size_t)L->nmax + 2) * L->hmax + 1, sizeof(sannip_real));
    L->te = (sannip_real *)sannip__calloc(a, (size_t)L->nmax + 2, sizeof(sannip_real));
    L->Sn = (sannip_real *)sannip__calloc(a, 3 * (size_t)L->nmax + 3, sizeof(sannip_real));
    /* work: network (scaled X, 2 (y, y') per layer) and the spin evaluator's scratch */
    wsz = ((size_t)L->nmax + 2) * ((size_t)L->hmax + L->fmax + 1) * (2 * SANNIP_MAX_LAYERS + 4)
        + sannip_env_work_size(&m->desc, NULL, 0, L->nmax) + 16 * ((size_t)L->nmax + 1) + (size_t)L->nmax + 16;
    L->work = (sannip_real *)sannip__calloc(a, wsz, sizeof(sannip_real));
    if (!L->aff || !L->G || !L->z1 || !L->eat || !L->tG || !L->tz1 || !L->te || !L->Sn || !L->work) goto oom;
    return sannip_spin_local_set_spins(L, sys->spins, err);
oom:
    sannip_spin_local_uninit(L);
    return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "local spin model of %d atoms", sys->n);
}

/* New raw features of atom i (row out, starting from its cached row) when spin k becomes sk. */
static void sannip__local_features(sannip_spin_local *L, int i, int k, const sannip_real *sk, sannip_real *out)
{
    const sannip_model *m = L->m;
    const sannip_element_model *el = &m->el[L->el[i]];
    int e = L->el[i], q, *Zn = (int *)(void *)(L->work + 16 * ((size_t)L->nmax + 1));
    sannip_real *sw = L->work;   /* the spin evaluator's unit vectors (3 per neighbour) */
    sannip_env env;
    int have_env = 0;
    memcpy(out, L->G + (size_t)i * L->fmax, sizeof(sannip_real) * (size_t)L->fmax);
    for (q = 0; q < L->nspin[e]; q++) {
        int f = L->spinf[e * L->fmax + q], bi = el->feature[f];
        const sannip_basis *b = &m->desc.b[bi];
        if (i != k && !sannip__spin_has_nbr(b->kind)) continue;              /* self terms of others */
        if (i != k && sannip__spin_pair_additive(b->kind)) {
            /* the pairs (i, image of k): old and new terms */
            size_t p;
            const sannip_real *Si = L->spins + 3 * (size_t)i, *So = L->spins + 3 * (size_t)k;
            sannip_real d = 0;
            for (p = L->nl.start[i]; p < L->nl.start[i + 1]; p++) {
                sannip_real uu[3], da[3], db[3], du[3], fc, dfc, dT, vn, vo, r;
                if (L->nl.j[p] != k || (b->nbr[0] != SANNIP_ANY && L->Z[k] != b->nbr[0])) continue;
                r = L->nl.r[p];
                fc = sannip_cutoff_eval(&b->cut[0], r, &dfc);
                if (fc == 0) continue;
                uu[0] = L->nl.d[3 * p] / r; uu[1] = L->nl.d[3 * p + 1] / r; uu[2] = L->nl.d[3 * p + 2] / r;
                vn = sannip__spin_transform(b, sannip__spin_bracket(b->kind, Si, sk, uu, da, db, du), &dT);
                vo = sannip__spin_transform(b, sannip__spin_bracket(b->kind, Si, So, uu, da, db, du), &dT);
                d += (vn - vo) * fc;
            }
            out[f] += d;
            continue;
        }
        /* atom k itself, or a non-additive basis (F1-F6): evaluate anew */
        if (!have_env) { env = sannip__local_env(L, i, k, sk, Zn); have_env = 1; }
        out[f] = 0;
        sannip__spin_eval(&m->desc, el->feature + f, 1, &env, out + f, NULL, NULL, NULL, NULL, NULL, sw);
    }
}

SANNIP_API sannip_result sannip_spin_local_delta(sannip_spin_local *L, int k, const sannip_real *s_new, double *dE)
{
    size_t p;
    int q, e, cnt;
    double d = 0;
    if (!L || !s_new || !dE || k < 0 || k >= L->n) return SANNIP_INVALID_ARGS;
    if (!isfinite(s_new[0]) || !isfinite(s_new[1]) || !isfinite(s_new[2])) return SANNIP_NONFINITE;
    /* the affected atoms: k, then every distinct atom having k as a neighbour */
    if (++L->stamp == 0) { memset(L->mark, 0, sizeof(int) * (size_t)L->n); L->stamp = 1; }
    L->naff = 0;
    L->aff[L->naff++] = k; L->mark[k] = L->stamp;
    for (p = L->rev_start[k]; p < L->rev_start[k + 1]; p++) {
        int i = 0;
        size_t pp = L->rev[p];
        if (L->nl.r[pp] >= L->spin_rc) continue;   /* beyond every spin basis of i */
        /* the centre of pair pp: the atom whose range holds it */
        {
            int lo = 0, hi = L->n - 1;
            while (lo < hi) { int mid = (lo + hi + 1) / 2; if (L->nl.start[mid] <= pp) lo = mid; else hi = mid - 1; }
            i = lo;
        }
        if (L->mark[i] != L->stamp) { L->mark[i] = L->stamp; L->aff[L->naff++] = i; }
    }
    /* new features, then the networks of the affected atoms, one element at a time */
    for (q = 0; q < L->naff; q++) sannip__local_features(L, L->aff[q], k, s_new, L->tG + (size_t)q * L->fmax);
    for (e = 0; e < L->m->n_elements; e++) {
        const sannip_element_model *el = &L->m->el[e];
        const sannip_network *net = sannip_model_network(L->m, e);
        int nf = el->n_features, h1 = net->sizes[1];
        /* gathered rows sit after the network's scratch (at most (2 layers + 1) row sets) */
        sannip_real *Gb = L->work + (size_t)(L->nmax + 2) * (L->hmax + L->fmax + 1) * (2 * SANNIP_MAX_LAYERS + 1);
        cnt = 0;
        for (q = 0; q < L->naff; q++) if (L->el[L->aff[q]] == e) cnt++;
        if (!cnt) continue;
        /* gather this element's rows (features, z1) into the front of tz1/Gb, compute, scatter */
        {
            int c = 0, s;
            sannip_real *zb = Gb + (size_t)cnt * L->fmax, *eb = zb + (size_t)cnt * L->hmax;
            for (q = 0; q < L->naff; q++) {
                int i = L->aff[q];
                if (L->el[i] != e) continue;
                memcpy(Gb + (size_t)c * L->fmax, L->tG + (size_t)q * L->fmax, sizeof(sannip_real) * (size_t)L->fmax);
                if (L->dense1[e]) {
                    /* z1 + W1[:, spin] (X_new - X_old) over the spin features */
                    const sannip_real *W = sannip_network_weights(net, 0);
                    sannip_real *z = zb + (size_t)c * L->hmax;
                    memcpy(z, L->z1 + (size_t)i * L->hmax, sizeof(sannip_real) * (size_t)h1);
                    for (s = 0; s < L->nspin[e]; s++) {
                        int f = L->spinf[e * L->fmax + s], o;
                        sannip_real dx = el->scale_a[f] * (L->tG[(size_t)q * L->fmax + f] - L->G[(size_t)i * L->fmax + f]);
                        if (dx == 0) continue;
                        for (o = 0; o < h1; o++) z[o] += W[(size_t)o * nf + f] * dx;
                    }
                }
                c++;
            }
            sannip__local_energies(L, e, cnt, Gb, zb, 0, eb);
            c = 0;
            for (q = 0; q < L->naff; q++) {
                int i = L->aff[q];
                if (L->el[i] != e) continue;
                L->te[q] = eb[c];
                if (L->dense1[e]) memcpy(L->tz1 + (size_t)q * L->hmax, zb + (size_t)c * L->hmax, sizeof(sannip_real) * (size_t)h1);
                c++;
            }
        }
    }
    for (q = 0; q < L->naff; q++) d += (double)L->te[q] - (double)L->eat[L->aff[q]];
    *dE = d;
    L->tk = k; memcpy(L->ts, s_new, sizeof L->ts); L->tvalid = 1;
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_spin_local_accept(sannip_spin_local *L, int k, const sannip_real *s_new)
{
    int q;
    double dE;
    sannip_result r;
    if (!L || !s_new || k < 0 || k >= L->n) return SANNIP_INVALID_ARGS;
    if (!(L->tvalid && L->tk == k && memcmp(L->ts, s_new, sizeof L->ts) == 0))
        if ((r = sannip_spin_local_delta(L, k, s_new, &dE)) != SANNIP_SUCCESS) return r;
    for (q = 0; q < L->naff; q++) {
        int i = L->aff[q];
        memcpy(L->G + (size_t)i * L->fmax, L->tG + (size_t)q * L->fmax, sizeof(sannip_real) * (size_t)L->fmax);
        if (L->dense1[L->el[i]]) memcpy(L->z1 + (size_t)i * L->hmax, L->tz1 + (size_t)q * L->hmax, sizeof(sannip_real) * (size_t)L->hmax);
        L->eat[i] = L->te[q];
    }
    memcpy(L->spins + 3 * (size_t)k, s_new, 3 * sizeof(sannip_real));
    L->tvalid = 0;
    return SANNIP_SUCCESS;
}
SANNIP_API double sannip_spin_local_energy(const sannip_spin_local *L)
{
    double E = 0;
    int i;
    for (i = 0; i < L->n; i++) E += L->eat[i];
    return E;
}

/* ---- spin configurations ---------------------------------------------------------------- */
#define SANNIP__TWO_PI 6.28318530717958647692

/* Validates the arguments every generator shares; need_rng: the generator draws. */
static sannip_result sannip__spin_check(int n, const sannip_spin_magnitude *mag, int need_rng,
                                        const sannip_rng *rng, const sannip_real *spins, sannip_error *err)
{
    if (n < 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "negative atom count %d", n);
    if (n > SANNIP_MAX_ATOMS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "%d atoms exceed SANNIP_MAX_ATOMS", n);
    if (n > 0 && !spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "spins is NULL");
    if (mag) {
        if (!isfinite(mag->mean) || !isfinite(mag->sd)) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "spin magnitude mean %g / sd %g not finite", (double)mag->mean, (double)mag->sd);
        if (mag->mean < 0 || mag->sd < 0) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "spin magnitude mean %g and sd %g must be >= 0", (double)mag->mean, (double)mag->sd);
    }
    if (n > 0 && !rng && (need_rng || (mag && mag->sd > 0))) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "rng is NULL");
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

/* One magnitude: mean, or N(mean, sd) truncated at 0 by redrawing (mean >= 0, so each
   draw is accepted with probability >= 1/2). */
static double sannip__spin_magnitude_draw(const sannip_spin_magnitude *mag, sannip_rng *rng)
{
    double m;
    if (!mag) return 1;
    if (!(mag->sd > 0)) return mag->mean;
    do m = (double)mag->mean + (double)mag->sd * sannip_rng_normal(rng); while (m < 0);
    return m;
}

/* First stage of every generator: |S_i| parked in spins[3i+2]. */
static void sannip__spin_magnitudes(int n, const sannip_spin_magnitude *mag, sannip_rng *rng, sannip_real *spins)
{
    int i;
    for (i = 0; i < n; i++) {
        spins[3 * i] = spins[3 * i + 1] = 0;
        spins[3 * i + 2] = (sannip_real)sannip__spin_magnitude_draw(mag, rng);
    }
}

/* S = |S| (sin T cos phi, sin T sin phi, cos T) from cos T and phi. */
static void sannip__spin_polar(sannip_real *s, double m, double cost, double phi)
{
    double sint = sqrt(cost < 1 && cost > -1 ? 1 - cost * cost : 0);
    s[0] = (sannip_real)(m * sint * cos(phi));
    s[1] = (sannip_real)(m * sint * sin(phi));
    s[2] = (sannip_real)(m * cost);
}

/* S = |S| v/|v| for a direction v drawn in a cube: [0,1)^3 (shift 0, "111r") or
   [-1/2,1/2)^3 (shift 1/2, "000r"), T3.33. The null vector (probability ~2^-159) is
   drawn again. */
static void sannip__spin_cube(sannip_real *s, double m, double shift, sannip_rng *rng)
{
    double v[3], r2;
    int a;
    do {
        for (a = 0; a < 3; a++) v[a] = sannip_rng_uniform(rng) - shift;
        r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
    } while (!(r2 > 1e-300));
    r2 = sqrt(r2);
    for (a = 0; a < 3; a++) s[a] = (sannip_real)(m * v[a] / r2);
}

/* Last stage of the AFM generators: spins[3i+2] holds |S_i| and spins[3i] the sign +-1.
   The k-th up spin and the k-th down spin (atom order) share the up spin's magnitude, so
   equal counts give exactly zero net moment; then S_i = (0, 0, sign |S|). */
static void sannip__spin_collinear_paired(int n, sannip_real *spins)
{
    int up = 0, dn = 0;
    for (;;) {
        while (up < n && spins[3 * up] < 0) up++;
        while (dn < n && spins[3 * dn] > 0) dn++;
        if (up >= n || dn >= n) break;
        spins[3 * dn + 2] = spins[3 * up + 2];
        up++; dn++;
    }
    for (up = 0; up < n; up++) {
        if (spins[3 * up] < 0) spins[3 * up + 2] = -spins[3 * up + 2];
        spins[3 * up] = 0;
    }
}

/* The configurations, in the order of the public functions below. */
enum { SANNIP__SPINCFG_FM, SANNIP__SPINCFG_PFM, SANNIP__SPINCFG_PM, SANNIP__SPINCFG_111R, SANNIP__SPINCFG_000R,
       SANNIP__SPINCFG_AFM, SANNIP__SPINCFG_AFM_PP, SANNIP__SPINCFG_AFM_RANDOM };

/* Every generator: validate, draw the magnitudes, then each atom's direction (or, for the
   collinear AFMs, its sign, paired at the end). */
static sannip_result sannip__spin_generate(int kind, int n, sannip_real sigma, const int *sign,
                                           const sannip_spin_magnitude *mag, sannip_rng *rng,
                                           sannip_real *spins, sannip_error *err)
{
    int need_rng = kind != SANNIP__SPINCFG_FM && kind != SANNIP__SPINCFG_AFM && kind != SANNIP__SPINCFG_AFM_PP;
    int i, want = n / 2;
    sannip_result r;
    if (kind == SANNIP__SPINCFG_PFM) {
        if (!isfinite(sigma)) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "sigma %g is not finite", (double)sigma);
        if (sigma < 0) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "sigma %g must be >= 0", (double)sigma);
    }
    if ((r = sannip__spin_check(n, mag, need_rng, rng, spins, err)) != SANNIP_SUCCESS) return r;
    if (sign)
        for (i = 0; i < n; i++)
            if (sign[i] != 1 && sign[i] != -1) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "atom %d: sublattice sign %d is not +1 or -1", i + 1, sign[i]);
    sannip__spin_magnitudes(n, mag, rng, spins);
    for (i = 0; i < n; i++) {
        sannip_real *s = spins + 3 * i;
        double cost;
        switch (kind) {
        case SANNIP__SPINCFG_FM: break;                       /* (0, 0, |S|) is FM already */
        case SANNIP__SPINCFG_PFM:
            /* cos T = 1 - |N(0, sigma)| (T3.29 with the "1 -" of T3.32, see the declaration) */
            cost = 1 - fabs((double)sigma * sannip_rng_normal(rng));
            sannip__spin_polar(s, s[2], cost < -1 ? -1 : cost, SANNIP__TWO_PI * sannip_rng_uniform(rng));  /* T3.30 */
            break;
        case SANNIP__SPINCFG_PM:
            cost = 1 - 2 * sannip_rng_uniform(rng);               /* T3.32: 1 - U[0, 2) */
            sannip__spin_polar(s, s[2], cost, SANNIP__TWO_PI * sannip_rng_uniform(rng));
            break;
        case SANNIP__SPINCFG_111R: sannip__spin_cube(s, s[2], 0.0, rng); break;
        case SANNIP__SPINCFG_000R: sannip__spin_cube(s, s[2], 0.5, rng); break;
        case SANNIP__SPINCFG_AFM: s[0] = (sannip_real)(sign ? sign[i] : (i % 2 ? -1 : 1)); break;
        case SANNIP__SPINCFG_AFM_PP: s[0] = (sannip_real)((i / 2) % 2 ? -1 : 1); break;
        default: {
            /* selection sampling (Knuth, TAOCP 3.4.2 Algorithm S): exactly floor(n/2) of the
               n atoms point up, every such subset equally likely, without a buffer */
            int up = sannip_rng_uniform(rng) * (n - i) < want;
            s[0] = (sannip_real)(up ? 1 : -1);
            want -= up;
        }
        }
    }
    if (kind >= SANNIP__SPINCFG_AFM) sannip__spin_collinear_paired(n, spins);
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_spin_fm(int n, const sannip_spin_magnitude *mag, sannip_rng *rng,
                                        sannip_real *spins, sannip_error *err)
{
    return sannip__spin_generate(SANNIP__SPINCFG_FM, n, 0, NULL, mag, rng, spins, err);
}
SANNIP_API sannip_result sannip_spin_perturbed_fm(int n, sannip_real sigma, const sannip_spin_magnitude *mag,
                                                  sannip_rng *rng, sannip_real *spins, sannip_error *err)
{
    return sannip__spin_generate(SANNIP__SPINCFG_PFM, n, sigma, NULL, mag, rng, spins, err);
}
SANNIP_API sannip_result sannip_spin_pm(int n, const sannip_spin_magnitude *mag, sannip_rng *rng,
                                        sannip_real *spins, sannip_error *err)
{
    return sannip__spin_generate(SANNIP__SPINCFG_PM, n, 0, NULL, mag, rng, spins, err);
}
SANNIP_API sannip_result sannip_spin_111r(int n, const sannip_spin_magnitude *mag, sannip_rng *rng,
                                          sannip_real *spins, sannip_error *err)
{
    return sannip__spin_generate(SANNIP__SPINCFG_111R, n, 0, NULL, mag, rng, spins, err);
}
SANNIP_API sannip_result sannip_spin_000r(int n, const sannip_spin_magnitude *mag, sannip_rng *rng,
                                          sannip_real *spins, sannip_error *err)
{
    return sannip__spin_generate(SANNIP__SPINCFG_000R, n, 0, NULL, mag, rng, spins, err);
}
SANNIP_API sannip_result sannip_spin_afm(int n, const int *sign, const sannip_spin_magnitude *mag,
                                         sannip_rng *rng, sannip_real *spins, sannip_error *err)
{
    return sannip__spin_generate(SANNIP__SPINCFG_AFM, n, 0, sign, mag, rng, spins, err);
}
SANNIP_API sannip_result sannip_spin_afm_pp(int n, const sannip_spin_magnitude *mag, sannip_rng *rng,
                                            sannip_real *spins, sannip_error *err)
{
    return sannip__spin_generate(SANNIP__SPINCFG_AFM_PP, n, 0, NULL, mag, rng, spins, err);
}
SANNIP_API sannip_result sannip_spin_afm_random(int n, const sannip_spin_magnitude *mag, sannip_rng *rng,
                                                sannip_real *spins, sannip_error *err)
{
    return sannip__spin_generate(SANNIP__SPINCFG_AFM_RANDOM, n, 0, NULL, mag, rng, spins, err);
}

/* Nearest integer of x as an int, floor(x + 1/2). */
static long sannip__spin_round(double x) { return (long)floor(x + 0.5); }

SANNIP_API sannip_result sannip_spin_sublattice(int n, const sannip_real *pos, const sannip_real *cell,
                                                sannip_real a, int lattice, int *sign, sannip_error *err)
{
    double c[9], inv[9], det, m[3];
    int i, k;
    if (n < 0 || (n > 0 && (!pos || !sign)) || !cell) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "negative count or NULL argument");
    if (lattice != SANNIP_SUBLATTICE_BCC && lattice != SANNIP_SUBLATTICE_FCC001) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "unknown sublattice kind %d", lattice);
    if (!isfinite(a)) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "lattice constant is not finite");
    if (!(a > 0)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "lattice constant %g must be positive", (double)a);
    for (k = 0; k < 9; k++) {
        if (!isfinite(cell[k])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "cell component %d is not finite", k);
        c[k] = cell[k];
    }
    det = c[0] * (c[4] * c[8] - c[5] * c[7]) - c[1] * (c[3] * c[8] - c[5] * c[6]) + c[2] * (c[3] * c[7] - c[4] * c[6]);
    for (k = 0; k < 3; k++) {
        double len = sqrt(c[3 * k] * c[3 * k] + c[3 * k + 1] * c[3 * k + 1] + c[3 * k + 2] * c[3 * k + 2]);
        m[k] = (double)sannip__spin_round(len / a);
        if (m[k] < 1 || fabs(len / a - m[k]) > 0.4)
            return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "cell row %d (length %g) is not a multiple of the lattice constant %g", k + 1, len, (double)a);
    }
    if (!(fabs(det) > 1e-12 * m[0] * m[1] * m[2] * a * a * a)) return sannip__fail(err, SANNIP_SINGULAR_CELL, 0, 0, "cell is singular (volume %g)", det);
    inv[0] = (c[4] * c[8] - c[5] * c[7]) / det; inv[1] = (c[2] * c[7] - c[1] * c[8]) / det; inv[2] = (c[1] * c[5] - c[2] * c[4]) / det;
    inv[3] = (c[5] * c[6] - c[3] * c[8]) / det; inv[4] = (c[0] * c[8] - c[2] * c[6]) / det; inv[5] = (c[2] * c[3] - c[0] * c[5]) / det;
    inv[6] = (c[3] * c[7] - c[4] * c[6]) / det; inv[7] = (c[1] * c[6] - c[0] * c[7]) / det; inv[8] = (c[0] * c[4] - c[1] * c[3]) / det;
    for (i = 0; i < n; i++) {
        const sannip_real *x = pos + 3 * i;
        int odd = 0;
        for (k = 0; k < 3; k++)
            if (!isfinite(x[k])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "atom %d: coordinate %c is not finite", i + 1, 'x' + k);
        for (k = 0; k < 3; k++) {
            /* coordinate along conventional vector k in units of half a conventional vector:
               even at corner-like positions, odd at half-way positions */
            double u = 2 * m[k] * (x[0] * inv[k] + x[1] * inv[3 + k] + x[2] * inv[6 + k]);
            long h = sannip__spin_round(u);
            int parity = (int)(h % 2 != 0);
            if (lattice == SANNIP_SUBLATTICE_BCC) odd += parity;
            else if (k == 2) odd = 2 * parity;       /* FCC001: the z plane decides */
        }
        sign[i] = odd >= 2 ? -1 : 1;
    }
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

#undef SANNIP__TWO_PI

SANNIP_API double sannip_spin_magnetisation_ratio(int n, const sannip_real *spins)
{
    double m[3] = { 0, 0, 0 }, tot = 0;
    int i, a;
    for (i = 0; i < n; i++) {
        for (a = 0; a < 3; a++) m[a] += spins[3 * i + a];
        tot += sqrt((double)spins[3 * i] * spins[3 * i] + (double)spins[3 * i + 1] * spins[3 * i + 1] + (double)spins[3 * i + 2] * spins[3 * i + 2]);
    }
    return tot > 0 ? sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]) / tot : 0;
}

SANNIP_API double sannip_spin_polar_variance(int n, const sannip_real *spins)
{
    double m[3] = { 0, 0, 0 }, mn, s1 = 0, s2 = 0;
    int i, a, k = 0;
    for (i = 0; i < n; i++) for (a = 0; a < 3; a++) m[a] += spins[3 * i + a];
    mn = sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]);
    if (mn > 1e-12 * (n > 0 ? n : 1)) { m[0] /= mn; m[1] /= mn; m[2] /= mn; } else { m[0] = m[1] = 0; m[2] = 1; }
    for (i = 0; i < n; i++) {
        const sannip_real *s = spins + 3 * i;
        double sn = sqrt((double)s[0] * s[0] + (double)s[1] * s[1] + (double)s[2] * s[2]), c, th;
        if (sn == 0) continue;
        c = (s[0] * m[0] + s[1] * m[1] + s[2] * m[2]) / sn;
        th = acos(c > 1 ? 1 : c < -1 ? -1 : c);
        s1 += th; s2 += th * th; k++;
    }
    if (k == 0) return 0;
    s1 /= k;
    return s2 / k - s1 * s1;
}

#ifdef __cplusplus
}
#endif
#endif /* SANNIP_IMPLEMENTATION */
