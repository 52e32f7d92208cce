/* sannip_spin.h - v0.1.0 - spin bases, spin configurations, magnetic observables and spin
   Monte Carlo for sannip. MIT-0 or public domain (see the end of sannip.h).

   In exactly one C or C++ file:
       #define SANNIP_IMPLEMENTATION
       #include "sannip_spin.h"       // includes sannip.h

   This release holds the magnetic observables of T4.1-4.4; spin bases (SPEC 5), spin
   configurations (SPEC 10) and Monte Carlo (SPEC 11) follow. Spins are 3-vectors per atom
   (collinear moments as z components), in the units the caller uses.
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
