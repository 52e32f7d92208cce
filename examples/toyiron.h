/* toyiron.h - "toy iron": an analytic spin-lattice Hamiltonian that stands in for DFT in
   sannip's examples, tests and benchmarks (SPEC 12). Not library API: include it after
   sannip.h (its implementation must be in the program: it uses sannip_neighbors_build).

   E(R, S) = E_lat(R) + sum_i [a(rho_i) |S_i|^2 + b |S_i|^4] - 1/2 sum_{i != j} J(r_ij) S_i.S_j

   in the spirit of Ma, Woo & Dudarev (PRB 78, 024434, 2008) and SPILADY:
     exchange   J(r) = J0 (1 - r/rJ)^3 for r < rJ (zero, with two vanishing derivatives, at rJ),
                J0 = 0.904 eV, rJ = 3.75 A (first and second bcc shells only);
     on-site    a(rho) = a0 + a1 (rho_i - rho0), a0 = -0.847 eV, b = 0.35 eV: the on-site
                minimum is |S| = sqrt(-a0 / 2b) = 1.100 at rho = rho0 (hbar units; spins are
                given in hbar, magnetic moments ~ 2 muB/hbar |S|). a1 > 0: compression weakens
                the moments (a1 = 0.02 eV, a little above the 0.016 eV at which the on-site
                and exchange pressures of FM bcc with |S| = 1.1 cancel: magnetism expands FM bcc
                by 0.008 A, the sign of iron's magnetovolume effect). In the FM bcc crystal the exchange
                field deepens the well: the relaxed moment is |S| = 1.21;
     lattice    E_lat = sum_i [ 1/2 sum_j phi(r_ij) - A sqrt(rho_i) ],
                phi(r) = D [e^{-2 alpha (r - rm)} - 2 e^{-alpha (r - rm)}] f(r)   (Morse),
                rho_i = sum_j e^{-beta (r_ij - r0)} f(r_ij),
                f(r) = 1 - 10 x^3 + 15 x^4 - 6 x^5, x = (r - r_in)/(r_c - r_in), a C2 taper
                from r_in = 3.1 A to r_c = 3.6 A (between the second and third bcc shells, and
                beyond the first two fcc shells only at fcc's own optimum: with the 14 bcc
                neighbours inside r_in and 12 fcc ones, bcc is the stable phase).
   D, alpha, rm, A, beta were fitted (random search, lattice part only) to a_bcc = 2.87 A,
   E_coh = 4.0 eV, B = 170 GPa and E_fcc - E_bcc >= 0.1 eV. The exchange sum at a = 2.87 A is
   8 J(2.485) + 6 J(2.87) = 0.348 eV, so the mean-field Curie temperature with |S| = 1.1 is
   k_B T_c = 0.348 * 1.21 / 3 eV, ~1630 K; a classical MC T_c of ~1000-1300 K is expected.
   Measured (tests/test_toyiron.c): bcc a = 2.869 A (E_lat), 2.877 A (FM, |S| = 1.1), E =
   -3.999 / -4.721 eV/atom; fcc a = 3.650 / 3.658 A, 264 / 255 meV/atom above bcc; bcc
   stable under tetragonal (Bain) and shear strain; at a = 2.87 A with |S| = 1.1:
   E_FM - E_PM = -211 meV/atom, E_FM - E_AFM(B2) = -336 meV/atom.

   All arithmetic is in double whatever sannip_real is: the neighbour search runs on a
   sannip_real copy of the positions with a small skin, then every pair vector is rebuilt in
   double from the double positions and its periodic image, so derivatives can be checked
   to ~1e-9 in float builds too. Cells smaller than twice the cutoff work (all images,
   including an atom's own images).

   The extended truth (toyiron_params_extended; every extra coefficient is 0 by default, so the
   plain toy above is unchanged) adds terms that no spin basis is built from, so that fits of
   it and its Curie temperature are results rather than identities (issue 14):
     biquadratic  -1/2 sum_{i != j} B(r_ij) (S_i.S_j)^2,  B(r) = B0 (1 - r/rB)^3 for r < rB;
     three-spin   K3/2 sum_i e_i^2,  e_i = sum_j w(r_ij) S_i.S_j,  w(r) = (1 - r/r3)^3 for r < r3:
                  the square of a local exchange "bond order", which couples S_i with the pairs
                  (S_j, S_k) of its neighbours (triplets i, j, k): not a sum of pair terms;
     and, with geometry-dependent J, B and w, the thermal vibrations of the training
   geometries move every coupling. toyiron_data.h adds optional Gaussian label noise.

   Use:
       toyiron t; sannip_error err;
       toyiron_init(&t, NULL);                        // default parameters
       toyiron_set_geometry(&t, n, pos, cell, pbc, &err);   // neighbour pairs, rho, J(r)
       E = toyiron_compute(&t, spins, Ei, F, H, W);   // any output may be NULL
       dE = toyiron_spin_delta(&t, spins, k, snew);  // O(neighbours) Monte Carlo update
       toyiron_uninit(&t);
   Units: eV, A, spins in hbar; forces eV/A; effective field H = -dE/dS in eV/hbar;
   virial W_ab = -sum_i r_i,a dE/dr_i,b (eV), from pair vectors (valid in periodic cells).
*/
#ifndef TOYIRON_H
#define TOYIRON_H
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct toyiron_params {
    double D, alpha, rm;       /* Morse pair: depth (eV), stiffness (1/A), minimum (A) */
    double A, beta, r0;        /* embedding -A sqrt(rho) (eV); density exp(-beta (r - r0)) */
    double r_in, r_c;          /* C2 taper of pair and density (A) */
    double J0, rJ;             /* exchange J(r) = J0 (1 - r/rJ)^3 (eV, A) */
    double a0, a1, rho0, b;    /* on-site [a0 + a1 (rho - rho0)] |S|^2 + b |S|^4 (eV) */
    double B0, rB;             /* biquadratic B(r) = B0 (1 - r/rB)^3 (eV, A); B0 = 0: none */
    double K3, r3;             /* three-spin K3/2 e_i^2 with weights (1 - r/r3)^3 (eV, A); K3 = 0: none */
} toyiron_params;

static void toyiron_params_default(toyiron_params *p)
{
    p->D = 0.3584; p->alpha = 1.4413; p->rm = 2.7660;
    p->A = 0.5929; p->beta = 2.7779; p->r0 = 2.48;
    p->r_in = 3.1; p->r_c = 3.6;
    p->J0 = 0.904; p->rJ = 3.75;
    p->a0 = -0.847; p->a1 = 0.02; p->rho0 = 9.9095;  /* rho of bcc at a = 2.87 A */
    p->b = 0.35;
    p->B0 = 0; p->rB = 3.75;
    p->K3 = 0; p->r3 = 3.3;
}

/* The extended truth: the defaults plus a biquadratic term favouring collinear pairs
   (B0 = 0.2 eV: -56 meV/atom in FM bcc at |S| = 1.1, against -211 meV/atom of bilinear
   exchange) and a three-spin term (K3 = 2.4 eV, first-shell weights w = 0.015: +31
   meV/atom in FM, ~1 meV/atom in PM) that makes the energy of a spin depend on how its
   neighbours' bonds are ordered among themselves. */
static void toyiron_params_extended(toyiron_params *p)
{
    toyiron_params_default(p);
    p->B0 = 0.2; p->rB = 3.75;
    p->K3 = 2.4; p->r3 = 3.3;
}

/* Whether p has any term beyond bilinear exchange and the on-site well. */
static int toyiron_is_extended(const toyiron_params *p) { return p->B0 != 0 || p->K3 != 0; }

/* The state of one geometry: directed pairs i -> j (both directions, every image within
   the cutoff) with double-precision vectors d = r_j + shift - r_i and the spin-independent
   pair functions, so toyiron_compute and toyiron_spin_delta only contract with spins. */
typedef struct toyiron {
    toyiron_params p;
    int n;
    size_t n_pairs;
    size_t *start;                  /* n + 1: pairs of atom i are [start[i], start[i+1]) */
    int *j;                         /* per pair */
    double *d, *r;                  /* 3 per pair, 1 per pair */
    double *J, *dJ, *dphi, *dg;     /* J(r), J'(r), phi'(r), density g'(r) per pair */
    double *B, *dB, *w, *dw;        /* extended truth per pair: B(r), B'(r), w(r), w'(r) */
    double *rho, *aon, *elat;       /* per atom: rho_i, a(rho_i), lattice energy */
    double *e;                      /* per atom: scratch for the bond orders e_i (so a toyiron
                                       serves one thread at a time) */
    size_t cap_pairs, cap_atoms;
    sannip_real *posr; int *Z;      /* the neighbour search's copy of the geometry */
    sannip_neighbors nl;
} toyiron;

static void toyiron_init(toyiron *t, const toyiron_params *p)
{
    memset(t, 0, sizeof *t);
    if (p) t->p = *p; else toyiron_params_default(&t->p);
    sannip_neighbors_init(&t->nl, NULL);
}

static void toyiron_uninit(toyiron *t)
{
    free(t->start); free(t->j); free(t->d); free(t->r); free(t->J); free(t->dJ); free(t->dphi); free(t->dg);
    free(t->B); free(t->dB); free(t->w); free(t->dw);
    free(t->rho); free(t->aon); free(t->elat); free(t->e); free(t->posr); free(t->Z);
    sannip_neighbors_uninit(&t->nl);
    memset(t, 0, sizeof *t);
}

/* Taper f(r) (C2: value, slope and curvature vanish at r_c) and df/dr. */
static double toyiron__taper(const toyiron_params *p, double r, double *df)
{
    double x, w = p->r_c - p->r_in;
    if (r <= p->r_in) { *df = 0; return 1; }
    if (r >= p->r_c) { *df = 0; return 0; }
    x = (r - p->r_in) / w;
    *df = -30 * x * x * (1 - x) * (1 - x) / w;
    return 1 - x * x * x * (10 - 15 * x + 6 * x * x);
}

/* Pair functions of one distance: Morse phi, density g, exchange J, and derivatives. */
/* c (1 - r/rc)^3 for r < rc, else 0 (value and two derivatives vanish at rc), and its slope. */
static void toyiron__cubic(double c, double rc, double r, double *v, double *dv)
{
    double u = 1 - r / rc;
    if (r < rc) { *v = c * u * u * u; *dv = -3 * c * u * u / rc; }
    else *v = *dv = 0;
}

static void toyiron__pair(const toyiron_params *p, double r, double *phi, double *dphi,
                          double *g, double *dg, double *J, double *dJ)
{
    double df, f = toyiron__taper(p, r, &df);
    double e1 = exp(-p->alpha * (r - p->rm)), m = p->D * (e1 * e1 - 2 * e1);
    double dm = p->D * (-2 * p->alpha * e1 * e1 + 2 * p->alpha * e1);
    double eg = exp(-p->beta * (r - p->r0));
    *phi = m * f; *dphi = dm * f + m * df;
    *g = eg * f; *dg = -p->beta * eg * f + eg * df;
    toyiron__cubic(p->J0, p->rJ, r, J, dJ);
}

static int toyiron__grow(void **ptr, size_t count, size_t size)
{
    void *q = realloc(*ptr, count ? count * size : 1);
    if (!q) return 0;
    *ptr = q;
    return 1;
}

static sannip_result toyiron__oom(sannip_error *err)
{
    if (err) { err->code = SANNIP_OUT_OF_MEMORY; strcpy(err->message, "toyiron: out of memory"); }
    return SANNIP_OUT_OF_MEMORY;
}

/* Integer image m (row vector, m_a = 0 for open directions) with shift = m cell: solves the
   normal equations of the periodic rows (Gram matrix, at most 3 x 3) and rounds. */
static void toyiron__image(const double *cell, const int *pbc, const double *shift, double *m)
{
    double G[3][4];
    int rows[3], k = 0, a, b, c;
    for (a = 0; a < 3; a++) { m[a] = 0; if (pbc[a]) rows[k++] = a; }
    for (a = 0; a < k; a++) {
        const double *ca = cell + 3 * rows[a];
        for (b = 0; b < k; b++) { const double *cb = cell + 3 * rows[b]; G[a][b] = ca[0] * cb[0] + ca[1] * cb[1] + ca[2] * cb[2]; }
        G[a][k] = ca[0] * shift[0] + ca[1] * shift[1] + ca[2] * shift[2];
    }
    for (a = 0; a < k; a++) {                 /* Gaussian elimination, partial pivoting */
        int piv = a;
        for (b = a + 1; b < k; b++) if (fabs(G[b][a]) > fabs(G[piv][a])) piv = b;
        for (c = 0; c <= k; c++) { double tmp = G[a][c]; G[a][c] = G[piv][c]; G[piv][c] = tmp; }
        for (b = a + 1; b < k; b++) { double f = G[b][a] / G[a][a]; for (c = a; c <= k; c++) G[b][c] -= f * G[a][c]; }
    }
    for (a = k - 1; a >= 0; a--) {
        double s = G[a][k];
        for (b = a + 1; b < k; b++) s -= G[a][b] * m[rows[b]];
        m[rows[a]] = s / G[a][a];
    }
    for (a = 0; a < k; a++) m[rows[a]] = floor(m[rows[a]] + 0.5);
}

/* The interaction range: the largest of the lattice taper's, the exchange's and, when they are
   on, the biquadratic and three-spin ranges (A). */
static double toyiron_range(const toyiron_params *p)
{
    double r = p->r_c > p->rJ ? p->r_c : p->rJ;
    if (p->B0 != 0 && p->rB > r) r = p->rB;
    if (p->K3 != 0 && p->r3 > r) r = p->r3;
    return r;
}

/* Takes a geometry: n atoms at pos (n x 3), cell rows, pbc flags. Builds the pair list
   within max(r_c, rJ) and the spin-independent terms. Returns sannip_neighbors_build's
   result codes (NaN positions, overlapping atoms, singular cell), SANNIP_INVALID_ARGS or
   SANNIP_OUT_OF_MEMORY. */
static sannip_result toyiron_set_geometry(toyiron *t, int n, const double *pos, const double *cell,
                                          const int *pbc, sannip_error *err)
{
    const toyiron_params *p = &t->p;
    double rcut = toyiron_range(p), cd[9];
    sannip_system sys;
    sannip_result res;
    size_t q, np = 0;
    int i, a;
    if (n < 0 || (n > 0 && !pos) || !cell || !pbc) {
        if (err) { err->code = SANNIP_INVALID_ARGS; strcpy(err->message, "toyiron: negative count or NULL argument"); }
        return SANNIP_INVALID_ARGS;
    }
    if ((size_t)n + 1 > t->cap_atoms) {
        size_t c = (size_t)n + 1;
        if (!toyiron__grow((void **)&t->start, c, sizeof(size_t)) || !toyiron__grow((void **)&t->rho, c, sizeof(double))
            || !toyiron__grow((void **)&t->aon, c, sizeof(double)) || !toyiron__grow((void **)&t->elat, c, sizeof(double))
            || !toyiron__grow((void **)&t->posr, 3 * c, sizeof(sannip_real)) || !toyiron__grow((void **)&t->Z, c, sizeof(int))
            || !toyiron__grow((void **)&t->e, c, sizeof(double)))
            return toyiron__oom(err);
        t->cap_atoms = c;
    }
    for (i = 0; i < 3 * n; i++) t->posr[i] = (sannip_real)pos[i];
    for (i = 0; i < n; i++) t->Z[i] = 26;
    memset(&sys, 0, sizeof sys);
    sys.n = n; sys.pos = t->posr; sys.Z = t->Z;
    for (a = 0; a < 9; a++) { sys.cell[a] = (sannip_real)cell[a]; cd[a] = cell[a]; }
    for (a = 0; a < 3; a++) sys.pbc[a] = pbc[a] != 0;
    /* skin: the search rounds positions to sannip_real; pairs are re-measured in double */
    res = sannip_neighbors_build(&t->nl, &sys, (sannip_real)(rcut + 1e-3), err);
    if (res != SANNIP_SUCCESS) return res;
    if (t->nl.n_pairs > t->cap_pairs) {
        size_t c = t->nl.n_pairs;
        if (!toyiron__grow((void **)&t->j, c, sizeof(int)) || !toyiron__grow((void **)&t->d, 3 * c, sizeof(double))
            || !toyiron__grow((void **)&t->r, c, sizeof(double)) || !toyiron__grow((void **)&t->J, c, sizeof(double))
            || !toyiron__grow((void **)&t->dJ, c, sizeof(double)) || !toyiron__grow((void **)&t->dphi, c, sizeof(double))
            || !toyiron__grow((void **)&t->dg, c, sizeof(double)) || !toyiron__grow((void **)&t->B, c, sizeof(double))
            || !toyiron__grow((void **)&t->dB, c, sizeof(double)) || !toyiron__grow((void **)&t->w, c, sizeof(double))
            || !toyiron__grow((void **)&t->dw, c, sizeof(double)))
            return toyiron__oom(err);
        t->cap_pairs = c;
    }
    t->n = n;
    for (i = 0; i < n; i++) {
        double pairsum = 0, rho = 0;
        t->start[i] = np;
        for (q = t->nl.start[i]; q < t->nl.start[i + 1]; q++) {
            int jj = t->nl.j[q];
            double shift[3], m[3], d[3], r, phi, g;
            for (a = 0; a < 3; a++) shift[a] = (double)t->nl.d[3 * q + a] - ((double)t->posr[3 * jj + a] - t->posr[3 * i + a]);
            toyiron__image(cd, sys.pbc, shift, m);
            for (a = 0; a < 3; a++) d[a] = pos[3 * jj + a] - pos[3 * i + a] + m[0] * cd[a] + m[1] * cd[3 + a] + m[2] * cd[6 + a];
            r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            if (r >= rcut) continue;
            t->j[np] = jj; t->r[np] = r;
            for (a = 0; a < 3; a++) t->d[3 * np + a] = d[a];
            toyiron__pair(p, r, &phi, &t->dphi[np], &g, &t->dg[np], &t->J[np], &t->dJ[np]);
            toyiron__cubic(p->B0, p->rB, r, &t->B[np], &t->dB[np]);
            toyiron__cubic(p->K3 != 0 ? 1.0 : 0.0, p->r3, r, &t->w[np], &t->dw[np]);
            pairsum += phi; rho += g;
            np++;
        }
        t->rho[i] = rho;
        t->aon[i] = p->a0 + p->a1 * (rho - p->rho0);
        t->elat[i] = 0.5 * pairsum - p->A * sqrt(rho);
    }
    t->start[n] = np;
    t->n_pairs = np;
    if (err) { err->code = SANNIP_SUCCESS; err->message[0] = 0; }
    return SANNIP_SUCCESS;
}

static double toyiron__dot(const double *u, const double *v) { return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]; }
/* d(on-site energy)/d|S|^2 times 2: the on-site field is -toyiron__onsite S_i. */
static double toyiron__onsite(const toyiron *t, int i, double s2) { return 2 * t->aon[i] + 4 * t->p.b * s2; }

/* Bond order e_i = sum_j w(r_ij) S_i.S_j (three-spin term), with spin k replaced by sk when
   k >= 0 (a trial move); spins NULL: all zero. */
static double toyiron__bond_order(const toyiron *t, const double *spins, int i, int k, const double *sk)
{
    const double *si;
    double e = 0;
    size_t q;
    if (!spins) return 0;
    si = i == k ? sk : spins + 3 * i;
    for (q = t->start[i]; q < t->start[i + 1]; q++)
        if (t->w[q] != 0) e += t->w[q] * toyiron__dot(si, t->j[q] == k ? sk : spins + 3 * t->j[q]);
    return e;
}

/* Energy of atom i from the extended terms (biquadratic half-pairs and K3 e_i^2 / 2), with
   spin k replaced by sk (k >= 0). */
static double toyiron__extra_energy(const toyiron *t, const double *spins, int i, int k, const double *sk)
{
    const double *si = i == k ? sk : spins + 3 * i;
    double bq = 0, e = toyiron__bond_order(t, spins, i, k, sk);
    size_t q;
    for (q = t->start[i]; q < t->start[i + 1]; q++)
        if (t->B[q] != 0) { double sij = toyiron__dot(si, t->j[q] == k ? sk : spins + 3 * t->j[q]); bq += t->B[q] * sij * sij; }
    return -0.5 * bq + 0.5 * t->p.K3 * e * e;
}

/* Change of the extended terms when spin k moves from spins[k] to snew: only k and its
   neighbours (each counted once, whatever its number of images) change their energy. */
static double toyiron__extra_delta(const toyiron *t, const double *spins, int k, const double *snew)
{
    double dE = toyiron__extra_energy(t, spins, k, k, snew) - toyiron__extra_energy(t, spins, k, -1, NULL);
    size_t q, q2;
    for (q = t->start[k]; q < t->start[k + 1]; q++) {
        int i = t->j[q], seen = i == k;
        for (q2 = t->start[k]; q2 < q && !seen; q2++) seen = t->j[q2] == i;
        if (!seen) dE += toyiron__extra_energy(t, spins, i, k, snew) - toyiron__extra_energy(t, spins, i, -1, NULL);
    }
    return dE;
}

/* Energy of the current geometry with spins (n x 3, hbar; NULL: all zero, the lattice
   energy). Optional outputs: atom_energy (n; they sum to E), forces (n x 3, -dE/dr),
   field (n x 3, -dE/dS), virial (9). Sums run in a fixed order. */
static double toyiron_compute(const toyiron *t, const double *spins, double *atom_energy,
                              double *forces, double *field, double *virial)
{
    const toyiron_params *p = &t->p;
    static const double zero[3] = { 0, 0, 0 };
    double E = 0;
    int i, a, b, ext = toyiron_is_extended(p);
    size_t q;
    if (forces) memset(forces, 0, 3 * (size_t)t->n * sizeof(double));
    if (virial) memset(virial, 0, 9 * sizeof(double));
    if (ext) for (i = 0; i < t->n; i++) t->e[i] = toyiron__bond_order(t, spins, i, -1, NULL);
    for (i = 0; i < t->n; i++) {
        const double *si = spins ? spins + 3 * i : zero;
        double s2 = toyiron__dot(si, si), ex = 0, bq = 0, h[3] = { 0, 0, 0 }, Ei;
        /* d(-A sqrt(rho) + a1 rho |S|^2)/d rho: the embedding and on-site forces */
        double psi = (t->rho[i] > 0 ? -0.5 * p->A / sqrt(t->rho[i]) : 0) + p->a1 * s2;
        for (q = t->start[i]; q < t->start[i + 1]; q++) {
            const double *sj = spins ? spins + 3 * t->j[q] : zero;
            double sij = toyiron__dot(si, sj);
            ex += t->J[q] * sij;
            for (a = 0; a < 3; a++) h[a] += t->J[q] * sj[a];
            if (ext) {
                /* biquadratic: -B (S_i.S_j)^2 / 2 per direction; three-spin: the field of
                   K3 e_i^2 / 2 and of the neighbour's K3 e_j^2 / 2 (w symmetric) */
                bq += t->B[q] * sij * sij;
                for (a = 0; a < 3; a++) h[a] += (2 * t->B[q] * sij - p->K3 * t->w[q] * (t->e[i] + t->e[t->j[q]])) * sj[a];
            }
            if (forces || virial) {
                /* dE/dd for d = r_j - r_i: half of phi and of the exchange pair (the
                   reverse pair gives the other half), all of i's density term; the
                   biquadratic half and all of e_i's weight w(r_ij) */
                double c = (0.5 * t->dphi[q] + psi * t->dg[q] - 0.5 * t->dJ[q] * sij) / t->r[q];
                if (ext) c += (-0.5 * t->dB[q] * sij * sij + p->K3 * t->e[i] * t->dw[q] * sij) / t->r[q];
                const double *d = t->d + 3 * q;
                if (forces) for (a = 0; a < 3; a++) { forces[3 * i + a] += c * d[a]; forces[3 * t->j[q] + a] -= c * d[a]; }
                if (virial) for (a = 0; a < 3; a++) for (b = 0; b < 3; b++) virial[3 * a + b] -= d[a] * c * d[b];
            }
        }
        Ei = t->elat[i] + t->aon[i] * s2 + p->b * s2 * s2 - 0.5 * ex;
        if (ext) Ei += -0.5 * bq + 0.5 * p->K3 * t->e[i] * t->e[i];
        if (atom_energy) atom_energy[i] = Ei;
        if (field) for (a = 0; a < 3; a++) field[3 * i + a] = h[a] - toyiron__onsite(t, i, s2) * si[a];
        E += Ei;
    }
    return E;
}

/* Energy change when spin k alone changes to snew (3 values), the others fixed: only k's
   on-site term and its exchange pairs change, so the cost is O(neighbours of k). Pairs of
   k with its own periodic images (cells thinner than rJ) count S_k.S_k. */
static double toyiron_spin_delta(const toyiron *t, const double *spins, int k, const double *snew)
{
    const toyiron_params *p = &t->p;
    const double *s = spins + 3 * k;
    double ds[3], o2 = toyiron__dot(s, s), n2 = toyiron__dot(snew, snew), dE, ex = 0, self = 0;
    size_t q;
    int a;
    for (a = 0; a < 3; a++) ds[a] = snew[a] - s[a];
    dE = t->aon[k] * (n2 - o2) + p->b * (n2 * n2 - o2 * o2);
    for (q = t->start[k]; q < t->start[k + 1]; q++) {
        if (t->j[q] == k) self += t->J[q];
        else ex += t->J[q] * toyiron__dot(ds, spins + 3 * t->j[q]);
    }
    /* pair k-j appears in k's and j's lists: -J S_k.S_j in total; a self pair only once */
    dE += -ex - 0.5 * self * (n2 - o2);
    return toyiron_is_extended(p) ? dE + toyiron__extra_delta(t, spins, k, snew) : dE;
}

/* The effective field -dE/dS_k on spin k alone (3 values, eV/hbar): O(neighbours of k). */
static void toyiron_field_at(const toyiron *t, const double *spins, int k, double *h)
{
    const double *s = spins + 3 * k;
    double c = toyiron__onsite(t, k, toyiron__dot(s, s));
    size_t q;
    int a;
    for (a = 0; a < 3; a++) h[a] = -c * s[a];
    for (q = t->start[k]; q < t->start[k + 1]; q++)
        for (a = 0; a < 3; a++) h[a] += t->J[q] * spins[3 * t->j[q] + a];
    if (toyiron_is_extended(&t->p)) {
        /* as in toyiron_compute, with the neighbours' bond orders computed here: O(nb^2) */
        double ek = toyiron__bond_order(t, spins, k, -1, NULL);
        for (q = t->start[k]; q < t->start[k + 1]; q++) {
            const double *sj = spins + 3 * t->j[q];
            double sij = toyiron__dot(s, sj), ej = t->w[q] != 0 ? toyiron__bond_order(t, spins, t->j[q], -1, NULL) : 0;
            for (a = 0; a < 3; a++) h[a] += (2 * t->B[q] * sij - t->p.K3 * t->w[q] * (ek + ej)) * sj[a];
        }
    }
}

/* sum_i |S_i|^2 tr_perp(d^2E/dS_i dS_i) (the curvature term of the spin temperature, see
   sannip_spin.h OBSERVABLES): the on-site Hessian 2 (a_i + 2 b s^2) I + 8 b S S^T gives
   2 (2 a_i + 4 b s^2) over the normal plane, a pair of i with its own image (-J/2 S_i.S_i
   per entry) -2 J; exchange with other atoms is linear in S_i and gives nothing. */
static double toyiron_spin_curvature(const toyiron *t, const double *spins)
{
    double C = 0;
    size_t q;
    int i;
    for (i = 0; i < t->n; i++) {
        double s2 = toyiron__dot(spins + 3 * i, spins + 3 * i), c = 2 * toyiron__onsite(t, i, s2);
        for (q = t->start[i]; q < t->start[i + 1]; q++) if (t->j[q] == i) c -= 2 * t->J[q];
        C += s2 * c;
    }
    return C;
}

/* Positions of an m[0] x m[1] x m[2] supercell of the conventional bcc (fcc = 0) or fcc
   cubic cell with lattice constant a, corner atom at the origin, atoms ordered cell by cell
   (basis fastest). pos: 3 * (2 or 4) * m0 m1 m2 doubles; cell: 9. Returns the atom count. */
static int toyiron_crystal(int fcc, const int *m, double a, double *pos, double *cell)
{
    static const double bb[2][3] = { { 0, 0, 0 }, { .5, .5, .5 } };
    static const double fb[4][3] = { { 0, 0, 0 }, { .5, .5, 0 }, { .5, 0, .5 }, { 0, .5, .5 } };
    int nb = fcc ? 4 : 2, x, y, z, b, n = 0, c;
    for (c = 0; c < 9; c++) cell[c] = 0;
    for (c = 0; c < 3; c++) cell[4 * c] = m[c] * a;
    for (x = 0; x < m[0]; x++) for (y = 0; y < m[1]; y++) for (z = 0; z < m[2]; z++) for (b = 0; b < nb; b++) {
        const double *f = fcc ? fb[b] : bb[b];
        pos[3 * n] = (x + f[0]) * a; pos[3 * n + 1] = (y + f[1]) * a; pos[3 * n + 2] = (z + f[2]) * a;
        n++;
    }
    return n;
}

/* Energy per atom of the perfect crystal (one conventional cell: its own images supply
   every neighbour) with all spins (0, 0, smag): FM, or |S| = 0 for the lattice part. */
static double toyiron_crystal_energy(const toyiron_params *p, int fcc, double a, double smag)
{
    static const int one[3] = { 1, 1, 1 }, pbc[3] = { 1, 1, 1 };
    double pos[12], cell[9], spins[12] = { 0 }, E;
    toyiron t;
    int n = toyiron_crystal(fcc, one, a, pos, cell), i;
    for (i = 0; i < n; i++) spins[3 * i + 2] = smag;
    toyiron_init(&t, p);
    E = toyiron_set_geometry(&t, n, pos, cell, pbc, NULL) == SANNIP_SUCCESS ? toyiron_compute(&t, spins, NULL, NULL, NULL, NULL) / n : NAN;
    toyiron_uninit(&t);
    return E;
}

/* The lattice constant in [lo, hi] minimising toyiron_crystal_energy (golden section, to
   ~1e-7 A; the energy must be unimodal in the bracket). *emin receives the energy. */
static double toyiron_crystal_optimum(const toyiron_params *p, int fcc, double smag, double lo, double hi, double *emin)
{
    const double g = 0.6180339887498949;
    double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
    double f1 = toyiron_crystal_energy(p, fcc, x1, smag), f2 = toyiron_crystal_energy(p, fcc, x2, smag);
    while (hi - lo > 1e-7) {
        if (f1 < f2) { hi = x2; x2 = x1; f2 = f1; x1 = hi - g * (hi - lo); f1 = toyiron_crystal_energy(p, fcc, x1, smag); }
        else { lo = x1; x1 = x2; f1 = f2; x2 = lo + g * (hi - lo); f2 = toyiron_crystal_energy(p, fcc, x2, smag); }
    }
    if (emin) *emin = toyiron_crystal_energy(p, fcc, 0.5 * (lo + hi), smag);
    return 0.5 * (lo + hi);
}

/* How far the field on a spin reaches: the exchange and biquadratic ranges, and twice the
   three-spin range (the field on S_i holds its neighbours' bond orders e_j). */
static double toyiron_field_range(const toyiron_params *p)
{
    double r = p->rJ;
    if (p->B0 != 0 && p->rB > r) r = p->rB;
    if (p->K3 != 0 && 2 * p->r3 > r) r = 2 * p->r3;
    return r;
}

#ifdef SANNIP_SPIN_H
/* Toy iron as a spin-lattice dynamics model (sannip_spin.h section 7): the geometry is
   rebuilt whenever the positions change, the field of one spin is local (range rJ: the
   exchange), so the integrator colours the atoms into sectors and a step costs O(N). */
typedef struct toyiron_sld {
    toyiron t;
    int n, have;
    double cell[9], *pos;
    int pbc[3];
    sannip_error err;
} toyiron_sld;
static sannip_result toyiron_sld_init(toyiron_sld *a, const toyiron_params *p, int n, const double *cell, const int *pbc)
{
    int k;
    memset(a, 0, sizeof *a);
    toyiron_init(&a->t, p);
    a->n = n;
    for (k = 0; k < 9; k++) a->cell[k] = cell[k];
    for (k = 0; k < 3; k++) a->pbc[k] = pbc[k];
    a->pos = (double *)malloc(3 * (size_t)n * sizeof(double) + 1);
    return a->pos ? SANNIP_SUCCESS : SANNIP_OUT_OF_MEMORY;
}
static void toyiron_sld_uninit(toyiron_sld *a) { toyiron_uninit(&a->t); free(a->pos); memset(a, 0, sizeof *a); }
static sannip_result toyiron__sld_geometry(toyiron_sld *a, const double *pos)
{
    sannip_result r;
    if (a->have && memcmp(a->pos, pos, 3 * (size_t)a->n * sizeof(double)) == 0) return SANNIP_SUCCESS;
    if ((r = toyiron_set_geometry(&a->t, a->n, pos, a->cell, a->pbc, &a->err)) != SANNIP_SUCCESS) return r;
    memcpy(a->pos, pos, 3 * (size_t)a->n * sizeof(double));
    a->have = 1;
    return SANNIP_SUCCESS;
}
static sannip_result toyiron__sld_compute(void *user, const double *pos, const double *spins, double *E, double *F, double *H)
{
    toyiron_sld *a = (toyiron_sld *)user;
    sannip_result r = toyiron__sld_geometry(a, pos);
    if (r == SANNIP_SUCCESS) *E = toyiron_compute(&a->t, spins, NULL, F, H, NULL);
    return r;
}
/* at the positions of the last set_positions (the integrator's contract): O(m) */
static sannip_result toyiron__sld_field(void *user, const double *pos, const double *spins, int m, const int *idx, double *H)
{
    toyiron_sld *a = (toyiron_sld *)user;
    int q;
    (void)pos;
    for (q = 0; q < m; q++) toyiron_field_at(&a->t, spins, idx[q], H + 3 * idx[q]);
    return SANNIP_SUCCESS;
}
static sannip_result toyiron__sld_positions(void *user, const double *pos) { return toyiron__sld_geometry((toyiron_sld *)user, pos); }
static sannip_result toyiron__sld_curvature(void *user, const double *pos, const double *spins, double *C)
{
    toyiron_sld *a = (toyiron_sld *)user;
    sannip_result r = toyiron__sld_geometry(a, pos);
    if (r == SANNIP_SUCCESS) *C = toyiron_spin_curvature(&a->t, spins);
    return r;
}
static sannip_sld_model toyiron_sld_model(toyiron_sld *a)
{
    sannip_sld_model m;
    memset(&m, 0, sizeof m);
    m.n = a->n; m.user = a; m.compute = toyiron__sld_compute; m.field = toyiron__sld_field; m.range = toyiron_field_range(&a->t.p);
    m.set_positions = toyiron__sld_positions;
    /* the curvature covers the plain toy's terms; the extended truth's biquadratic and
       three-spin curvatures are not written out, so it takes the callback-free formula */
    m.curvature = toyiron_is_extended(&a->t.p) ? NULL : toyiron__sld_curvature;
    return m;
}
/* A rattled bcc crystal of m^3 conventional cells (a = 2.87 A, positions +-0.03 A normal,
   draws from seed) with perturbed-FM spins (|S| = 1.1, sigma 0.4), iron masses and, for
   T0 > 0, Maxwell velocities at T0 K (stream seed + 1), run by d on the toy Hamiltonian a
   (both caller-owned; cfg NULL: defaults). *n_out: the atom count. */
static sannip_result toyiron_sld_start(toyiron_sld *a, sannip_sld *d, int m, const sannip_sld_config *cfg,
                                       double T0, uint64_t seed, int *n_out, sannip_error *err)
{
    static const int pbc[3] = { 1, 1, 1 };
    int mm[3] = { m, m, m }, n = 2 * m * m * m, i;
    double *pos = (double *)malloc(3 * (size_t)n * sizeof(double)), *S = (double *)malloc(3 * (size_t)n * sizeof(double));
    double *mass = (double *)malloc((size_t)n * sizeof(double)), cell[9];
    sannip_real *tmp = (sannip_real *)malloc(3 * (size_t)n * sizeof(sannip_real));
    sannip_spin_magnitude mag = { (sannip_real)1.1, 0 };
    sannip_rng rng;
    sannip_sld_model model;
    sannip_result r = SANNIP_OUT_OF_MEMORY;
    *n_out = n;
    if (pos && S && mass && tmp) {
        toyiron_crystal(0, mm, 2.87, pos, cell);
        sannip_rng_seed(&rng, seed);
        for (i = 0; i < 3 * n; i++) pos[i] += 0.03 * sannip_rng_normal(&rng);
        sannip_spin_perturbed_fm(n, (sannip_real)0.4, &mag, &rng, tmp, NULL);
        for (i = 0; i < 3 * n; i++) S[i] = tmp[i];
        for (i = 0; i < n; i++) mass[i] = sannip_element_mass(26);
        r = toyiron_sld_init(a, NULL, n, cell, pbc);
        model = toyiron_sld_model(a);
        if (r == SANNIP_SUCCESS) r = sannip_sld_init(d, &model, cfg, n, pos, NULL, S, mass, cell, pbc, NULL, err);
        if (r == SANNIP_SUCCESS && T0 > 0) { sannip_sld_maxwell(d, T0, seed + 1); r = sannip_sld_refresh(d, err); }
    }
    free(pos); free(S); free(mass); free(tmp);
    return r;
}
#endif
#endif /* TOYIRON_H */
