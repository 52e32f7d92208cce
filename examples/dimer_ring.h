/* dimer_ring.h - the frustrated dimer ring (SPEC 12): the stand-in for DFT in the random spin
   committee example (examples/rsc_fig3.c) and its tests (tests/test_rsc.c), after the S6 and
   S8 dissociations of Carare, Deringer & Csanyi 2024 ("C").

   n_d sulfur dimers sit on a ring of 2 n_d atoms (n_d = 3 stands for S6, n_d = 4 for S8) and
   move apart radially along a reaction coordinate RC. Atom i carries a collinear moment m_i
   (hbar units: an isolated triplet S2 has m = 1/2 on each atom, S = 1). Atoms 2k, 2k+1 form
   dimer k; atom 2k+1 and atom 2k+2 (mod 2 n_d) share a "ring bond". With r_d a dimer bond
   and r_i the ring bond of atom i, in eV:

     E(R, m) = sum_dimers V(r_d; D_d, a_d, r0_d) + sum_ring bonds V(r; D_b, a_b, r0_b)
             + sum_i [A(r_i) m_i^2 + B(r_i) m_i^4 + C m_i^6]
             - J_d sum_k m_2k m_2k+1 + sum_ring bonds (i,j) J_b(r) m_i m_j

   V(r; D, a, r0) = D [(1 - e^{-a (r - r0)})^2 - 1] (Morse), s(r; r0, w) = 1/(1 + e^{(r - r0)/w}),
       A(r) = A_far + (A_mid - A_far) s(r; r_A2, w_A2) + (A_near - A_mid) s(r; r_A1, w_A1),
       B(r) = B_far + (B_near - B_far) s(r; r_B, w_B),     J_b(r) = J_b0 s(r; r_J, w_J) > 0.
   J_b favours anti-parallel moments across a ring bond, so a ring of odd n_d is frustrated.
   J_d is large (20 eV/hbar^2): the two atoms of a dimer move together, and what decides
   whether a dimer is magnetic is alpha = A - J_d/2 per atom: 2.3 in the ring (moments
   quenched by the ring bonds), a plateau of 1.3 while the ring bonds stretch, 0.06 for
   separated dimers (an isolated S2 is a triplet, m = 0.5, 0.48 eV below its non-magnetic
   state, which stays a local minimum: random starts with small moments fall into it).

   Why SPEC 12's form was extended:
   - a sixth-order term C m^6. With m^4 alone, the n_d = 3 patterns "two anti-parallel
     dimers and one non-magnetic dimer" (x, -x, 0) and (2y, -y, -y) have the same energy to
     quartic order (equal sum mu^2 and sum mu^4 at sum mu = 0): there would be no clear
     ground state. With B < 0 and C > 0 moment formation is first order (a dimer is magnetic
     or not, as S2 is triplet or singlet), which breaks the tie and gives the kink of C;
   - B switches sign: B > 0 while the ring bonds are intact, so the n_d = 4 moments grow
     continuously and the anti-parallel start follows the ground state through the onset
     (C: "deterministically finds a smooth, continuous energy curve"); B < 0 once they break;
   - A has two steps (near -> mid -> far): the plateau keeps the third n_d = 3 dimer
     non-magnetic over a range of RC (0.6-1.0 A) before it turns triplet.
   Resulting ground states along the rigid paths (dimer_ring_geometry; tests/test_rsc.c):
     n_d = 4: non-magnetic for RC < 0.55 A, then anti-parallel dimers (++ -- ++ --), moments
              growing continuously to 0.5; the anti-parallel start finds it at every RC.
     n_d = 3: non-magnetic for RC < 0.55 A; two anti-parallel dimers and one non-magnetic
              dimer (|m| < 0.05) for RC 0.6-1.0 A; all three triplet (one frustrated bond)
              beyond, crossing at RC = 1.054 A with a kink in E(RC) (dE/dRC 1.05 -> 0.74 eV/A).

   The "SCF" oracle (dimer_ring_scf) relaxes the moments from a start by steps
   m <- m - mix (H + tau I)^-1 dE/dm capped at scf_max_step per component: the gradient
   preconditioned by the shifted moment Hessian (as quasi-Newton SCF mixers do), with a
   trust radius but no line search. It converges when max |dE/dm| < scf_tol and fails when
   it runs out of steps (cycling) or the moments run away (|m| > 10). With the default
   settings it fails for 10-20% of random starts in the frustrated n_d = 3 regime (RC
   0.6-1.1 A) and almost never elsewhere, as C reports for its SCF cycles near RC = 1 A.
   Forces are -dE/dR at the final moments (at a converged point dE/dm = 0, so they are the
   forces of that spin state).
   The exact ground state (dimer_ring_ground_state) is an exhaustive search: every pattern
   m_i in {-1/2, 0, +1/2} (3^(2 n_d), halved by the symmetry m -> -m) relaxed to its local
   minimum by damped Newton steps with a line search; the lowest is kept.

   Geometry (C, Fig. 2): the ring is a regular planar 2 n_d-gon of side b_ring (S8: 2.06 A,
   S6: 2.07 A), dimer bonds tangential. Along RC each dimer centre moves out radially by RC
   while the reference dimer bond shrinks linearly from b_ring to 1.90 A over a window (S8:
   1.90 A rigid, 3.20 A rattled; S6: 1.20 A), constant after it. The ring bond grows as
   r ~ b_ring + sqrt(2) RC (n_d = 4), b_ring + sqrt(3) RC (n_d = 3). Rattled structures
   stretch each dimer bond by U(-0.05, 0.05) A and rotate it about its centre by 1, 2, 3 or
   4 degrees about a random axis perpendicular to the bond: four structures per RC.

   Units: A, eV, hbar. Everything here is double precision, independent of sannip_real.
   Include after sannip.h and the random spin committee driver (sannip_rsc_*), which
   dimer_ring_oracle plugs into.
*/
#ifndef DIMER_RING_H
#define DIMER_RING_H
#include <math.h>
#include <string.h>

#define DR_MAX_DIMERS 8
#define DR_MAX_ATOMS (2 * DR_MAX_DIMERS)
#define DR_PI 3.14159265358979323846

typedef struct dimer_ring_params {
    double D_d, a_d, r0_d;        /* Morse of the dimer bond: eV, 1/A, A */
    double D_b, a_b, r0_b;        /* Morse of the ring bond between dimers */
    double A_near, A_mid, A_far;  /* on-site m^2 coefficient: ring-bonded, stretched, separated (eV/hbar^2) */
    double r_A1, w_A1, r_A2, w_A2;/* switches of A, near -> mid and mid -> far: midpoint, width (A) */
    double B_near, B_far;         /* on-site m^4 coefficient (eV/hbar^4) */
    double r_B, w_B;              /* switch of B */
    double C;                     /* on-site m^6 coefficient (eV/hbar^6) */
    double J_d;                   /* intra-dimer exchange, -J_d m_a m_b (eV/hbar^2) */
    double J_b0, r_J, w_J;        /* ring-bond exchange J_b(r) = J_b0 s(r; r_J, w_J) */
    double scf_mix;               /* fraction of the (capped) Newton step taken, (0, 1] */
    double scf_max_step;          /* largest change of a moment per SCF step (hbar) */
    double scf_tol;               /* SCF converged when max |dE/dm| < tol (eV/hbar) */
    int scf_max_iter;             /* SCF gives up after this many steps */
} dimer_ring_params;

/* The parameters of rsc_fig3 and the tests (see the top of the file for what they do). */
static dimer_ring_params dimer_ring_default(void)
{
    dimer_ring_params p;
    memset(&p, 0, sizeof p);
    p.D_d = 4.4;  p.a_d = 1.6; p.r0_d = 1.89;          /* S2: D_e ~ 4.4 eV, r_e ~ 1.89 A */
    p.D_b = 1.2;  p.a_b = 1.4; p.r0_b = 2.06;          /* the S-S bonds of the ring */
    p.J_d = 20;                                         /* rigid dimers: alpha = A - 10 */
    p.A_near = 10 + 2.3; p.A_mid = 10 + 1.3; p.A_far = 10 + 0.06;
    p.r_A1 = 2.45; p.w_A1 = 0.4; p.r_A2 = 4.4; p.w_A2 = 0.2;
    p.B_near = 1; p.B_far = -12; p.r_B = 3.05; p.w_B = 0.08;
    p.C = 31.7;                                         /* isolated triplet at m = 0.5 */
    p.J_b0 = 3.2; p.r_J = 4.0; p.w_J = 0.3;
    p.scf_mix = 1; p.scf_max_step = 0.3; p.scf_tol = 1e-6; p.scf_max_iter = 100;
    return p;
}

/* The two dissociations of C: ring bond, dimer bond at the end, windows (A). */
typedef struct dimer_ring_path {
    int nd;
    double b_ring, b_end, window_rigid, window_rattled;
} dimer_ring_path;
static dimer_ring_path dimer_ring_path_of(int nd)
{
    dimer_ring_path p;
    p.nd = nd; p.b_end = 1.90;
    if (nd == 3) { p.b_ring = 2.07; p.window_rigid = p.window_rattled = 1.20; }   /* S6 */
    else { p.b_ring = 2.06; p.window_rigid = 1.90; p.window_rattled = 3.20; }       /* S8 */
    return p;
}

/* ---- geometry ------------------------------------------------------------------------ */
/* Reference dimer bond at reaction coordinate rc: b_ring -> b_end linearly over window. */
static double dimer_ring_bond(double b_ring, double b_end, double window, double rc)
{
    double t = window > 0 ? rc / window : 1;
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    return b_ring + (b_end - b_ring) * t;
}

/* Positions (2 nd x 3) of the rigid ring at rc: dimer k centred at angle 2 pi k / nd, radius
   apothem(b_ring) + rc, bond length dimer_ring_bond(...), tangential. */
static void dimer_ring_geometry(int nd, double b_ring, double b_end, double window, double rc, double *pos)
{
    double apothem = b_ring / (2 * tan(DR_PI / (2 * nd))), rho = apothem + rc;
    double b = dimer_ring_bond(b_ring, b_end, window, rc);
    int k;
    for (k = 0; k < nd; k++) {
        double phi = 2 * DR_PI * k / nd, c[3], t[3];
        int a;
        c[0] = rho * cos(phi); c[1] = rho * sin(phi); c[2] = 0;
        t[0] = -sin(phi); t[1] = cos(phi); t[2] = 0;
        for (a = 0; a < 3; a++) {
            pos[3 * (2 * k) + a] = c[a] - 0.5 * b * t[a];
            pos[3 * (2 * k + 1) + a] = c[a] + 0.5 * b * t[a];
        }
    }
}

/* One rattled structure: the rigid ring at rc, then every dimer bond stretched by
   U(-stretch, stretch) and rotated about its centre by angle_deg around a uniformly random
   axis perpendicular to the bond (C: stretch 0.05 A, angles 1-4 degrees). */
static void dimer_ring_rattle(int nd, double b_ring, double b_end, double window, double rc,
                              double stretch, double angle_deg, sannip_rng *rng, double *pos)
{
    int k, a;
    dimer_ring_geometry(nd, b_ring, b_end, window, rc, pos);
    for (k = 0; k < nd; k++) {
        double *p0 = pos + 6 * k, *p1 = p0 + 3, c[3], u[3], e1[3], e2[3], ax[3], len = 0, n1 = 0;
        double ang = angle_deg * DR_PI / 180, psi, ca, sa, b, ux;
        for (a = 0; a < 3; a++) { c[a] = 0.5 * (p0[a] + p1[a]); u[a] = p1[a] - p0[a]; len += u[a] * u[a]; }
        len = sqrt(len);
        for (a = 0; a < 3; a++) u[a] /= len;
        b = len + stretch * (2 * sannip_rng_uniform(rng) - 1);
        /* e1, e2: an orthonormal pair perpendicular to u; the axis is a random direction in it */
        e1[0] = -u[1]; e1[1] = u[0]; e1[2] = 0;
        for (a = 0; a < 3; a++) n1 += e1[a] * e1[a];
        if (n1 < 1e-12) { e1[0] = 1; e1[1] = 0; e1[2] = 0; n1 = 1; }
        n1 = sqrt(n1);
        for (a = 0; a < 3; a++) e1[a] /= n1;
        e2[0] = u[1] * e1[2] - u[2] * e1[1]; e2[1] = u[2] * e1[0] - u[0] * e1[2]; e2[2] = u[0] * e1[1] - u[1] * e1[0];
        psi = 2 * DR_PI * sannip_rng_uniform(rng);
        for (a = 0; a < 3; a++) ax[a] = cos(psi) * e1[a] + sin(psi) * e2[a];
        /* rotating u about ax (ax perpendicular to u): u cos + (ax x u) sin */
        ca = cos(ang); sa = sin(ang);
        {
            double w[3];
            w[0] = ax[1] * u[2] - ax[2] * u[1]; w[1] = ax[2] * u[0] - ax[0] * u[2]; w[2] = ax[0] * u[1] - ax[1] * u[0];
            for (a = 0; a < 3; a++) {
                ux = ca * u[a] + sa * w[a];
                p0[a] = c[a] - 0.5 * b * ux;
                p1[a] = c[a] + 0.5 * b * ux;
            }
        }
    }
}

/* ---- energy --------------------------------------------------------------------------- */
/* Morse V(r) = D[(1 - e)^2 - 1], e = e^{-a(r - r0)}; *dV = dV/dr. */
static double dimer_ring_morse(double r, double D, double a, double r0, double *dV)
{
    double e = exp(-a * (r - r0));
    *dV = 2 * D * a * e * (1 - e);
    return D * ((1 - e) * (1 - e) - 1);
}
/* Fermi switch 1 / (1 + e^{(r - r0)/w}); *ds = ds/dr. */
static double dimer_ring_switch(double r, double r0, double w, double *ds)
{
    double x = (r - r0) / w, s;
    if (x > 700) { *ds = 0; return 0; }
    s = 1 / (1 + exp(x));
    *ds = -s * (1 - s) / w;
    return s;
}
/* A(r) = A_far + (A_mid - A_far) s(r; r_A2, w_A2) + (A_near - A_mid) s(r; r_A1, w_A1); *dA = dA/dr. */
static double dimer_ring_onsite_A(const dimer_ring_params *p, double r, double *dA)
{
    double d1, d2, s1 = dimer_ring_switch(r, p->r_A1, p->w_A1, &d1), s2 = dimer_ring_switch(r, p->r_A2, p->w_A2, &d2);
    *dA = (p->A_mid - p->A_far) * d2 + (p->A_near - p->A_mid) * d1;
    return p->A_far + (p->A_mid - p->A_far) * s2 + (p->A_near - p->A_mid) * s1;
}
static int dimer_ring_partner(int nd, int i) { return (i & 1) ? (i + 1) % (2 * nd) : (i + 2 * nd - 1) % (2 * nd); }

static double dimer_ring_dist(const double *pos, int i, int j, double *u)
{
    double r = 0;
    int a;
    for (a = 0; a < 3; a++) { u[a] = pos[3 * j + a] - pos[3 * i + a]; r += u[a] * u[a]; }
    r = sqrt(r);
    for (a = 0; a < 3; a++) u[a] /= r;
    return r;
}

/* The moment part of E at fixed geometry: E_m(m) = sum_i (A_i m_i^2 + B_i m_i^4 + C m_i^6)
   + sum_{i<j} K_ij m_i m_j, with K = -J_d within a dimer and J_b(r_b) across a ring bond. */
typedef struct dimer_ring_moments {
    int n;
    double A[DR_MAX_ATOMS], B[DR_MAX_ATOMS], C;
    double K[DR_MAX_ATOMS];       /* K[i]: coupling of i and i+1 (mod n): alternately dimer, ring bond */
} dimer_ring_moments;

static void dimer_ring_moment_model(const dimer_ring_params *p, int nd, const double *pos, dimer_ring_moments *mm)
{
    int i, n = 2 * nd;
    double u[3], ds;
    mm->n = n; mm->C = p->C;
    for (i = 0; i < n; i++) {
        double r = dimer_ring_dist(pos, i, dimer_ring_partner(nd, i), u);
        mm->A[i] = dimer_ring_onsite_A(p, r, &ds);
        mm->B[i] = p->B_far + (p->B_near - p->B_far) * dimer_ring_switch(r, p->r_B, p->w_B, &ds);
        if (i & 1) mm->K[i] = p->J_b0 * dimer_ring_switch(r, p->r_J, p->w_J, &ds);
        else mm->K[i] = -p->J_d;
    }
}

/* E_m, its gradient g (may be NULL) and Hessian H (n x n, may be NULL). */
static double dimer_ring_moment_energy(const dimer_ring_moments *mm, const double *m, double *g, double *H)
{
    int i, n = mm->n;
    double E = 0;
    if (H) memset(H, 0, sizeof(double) * (size_t)n * (size_t)n);
    for (i = 0; i < n; i++) {
        double x = m[i], x2 = x * x;
        E += x2 * (mm->A[i] + x2 * (mm->B[i] + x2 * mm->C)) + mm->K[i] * x * m[(i + 1) % n];
        if (g) g[i] = x * (2 * mm->A[i] + x2 * (4 * mm->B[i] + 6 * mm->C * x2))
                      + mm->K[i] * m[(i + 1) % n] + mm->K[(i + n - 1) % n] * m[(i + n - 1) % n];
        if (H) {
            H[i * n + i] = 2 * mm->A[i] + x2 * (12 * mm->B[i] + 30 * mm->C * x2);
            H[i * n + (i + 1) % n] += mm->K[i];
            H[((i + 1) % n) * n + i] += mm->K[i];
        }
    }
    return E;
}

/* Total energy at positions pos (2 nd x 3) and moments m (2 nd). forces (2 nd x 3, = -dE/dR
   at fixed m) and dEdm (2 nd) may be NULL. */
static double dimer_ring_energy(const dimer_ring_params *p, int nd, const double *pos, const double *m,
                                double *forces, double *dEdm)
{
    int i, a, n = 2 * nd;
    double E = 0, u[3];
    dimer_ring_moments mm;
    if (forces) memset(forces, 0, sizeof(double) * 3 * (size_t)n);
    for (i = 0; i < n; i++) {
        int j = (i + 1) % n;
        double r = dimer_ring_dist(pos, i, j, u), dV, dE;
        if (!(i & 1)) {     /* dimer bond (i, i+1) */
            E += dimer_ring_morse(r, p->D_d, p->a_d, p->r0_d, &dV);
            dE = dV;
        } else {            /* ring bond (i, i+1): Morse, exchange, and both atoms' A and B */
            double dA, dsB, dsJ, xi2 = m[i] * m[i], xj2 = m[j] * m[j];
            dimer_ring_onsite_A(p, r, &dA);
            dimer_ring_switch(r, p->r_B, p->w_B, &dsB);
            dimer_ring_switch(r, p->r_J, p->w_J, &dsJ);
            E += dimer_ring_morse(r, p->D_b, p->a_b, p->r0_b, &dV);
            dE = dV + p->J_b0 * dsJ * m[i] * m[j] + dA * (xi2 + xj2)
               + (p->B_near - p->B_far) * dsB * (xi2 * xi2 + xj2 * xj2);
        }
        if (forces) for (a = 0; a < 3; a++) { forces[3 * i + a] += dE * u[a]; forces[3 * j + a] -= dE * u[a]; }
    }
    dimer_ring_moment_model(p, nd, pos, &mm);
    return E + dimer_ring_moment_energy(&mm, m, dEdm, NULL);
}

/* ---- moment relaxation: Newton steps, the SCF, the exact ground state ------------------- */
/* Cholesky solve of H x = b (n x n, H destroyed). Returns 0 when H is not positive definite. */
static int dimer_ring_cholesky_solve(double *H, int n, const double *b, double *x)
{
    int i, j, k;
    for (j = 0; j < n; j++) {
        double d = H[j * n + j];
        for (k = 0; k < j; k++) d -= H[j * n + k] * H[j * n + k];
        if (!(d > 1e-12)) return 0;
        H[j * n + j] = sqrt(d);
        for (i = j + 1; i < n; i++) {
            double s = H[i * n + j];
            for (k = 0; k < j; k++) s -= H[i * n + k] * H[j * n + k];
            H[i * n + j] = s / H[j * n + j];
        }
    }
    for (i = 0; i < n; i++) {   /* L y = b */
        double s = b[i];
        for (k = 0; k < i; k++) s -= H[i * n + k] * x[k];
        x[i] = s / H[i * n + i];
    }
    for (i = n - 1; i >= 0; i--) {   /* L^T x = y */
        double s = x[i];
        for (k = i + 1; k < n; k++) s -= H[k * n + i] * x[k];
        x[i] = s / H[i * n + i];
    }
    return 1;
}

/* The shifted Newton direction d = (H + tau I)^-1 g with tau = 0 when H (n x n) is positive
   definite, else the first of 1e-4 (1 + max |H_ii|) x 2^k that makes it so. Returns tau. */
static double dimer_ring_newton_direction(const double *H, int n, const double *g, double *d)
{
    double Hs[DR_MAX_ATOMS * DR_MAX_ATOMS], tau = 0, hmax = 0;
    int i;
    for (i = 0; i < n; i++) if (fabs(H[i * n + i]) > hmax) hmax = fabs(H[i * n + i]);
    for (;;) {
        memcpy(Hs, H, sizeof(double) * (size_t)(n * n));
        for (i = 0; i < n; i++) Hs[i * n + i] += tau;
        if (dimer_ring_cholesky_solve(Hs, n, g, d)) return tau;
        tau = tau > 0 ? 2 * tau : 1e-4 * (1 + hmax);
    }
}

/* Relaxes m to a local minimum of E_m by damped Newton steps: d solves (H + tau I) d = g
   with tau = 0 when H is positive definite, else the smallest of a doubling sequence that
   makes it so; then a line search along -d (halving until the energy drops, Armijo; growing
   while it keeps dropping when tau > 0, i.e. along negative curvature). Close to a minimum
   (tau = 0, |d| < 1e-6) the full Newton step is taken without the energy test, which
   rounding would defeat. Returns the energy. */
static double dimer_ring_relax(const dimer_ring_moments *mm, double *m)
{
    double g[DR_MAX_ATOMS], H[DR_MAX_ATOMS * DR_MAX_ATOMS], d[DR_MAX_ATOMS], t[DR_MAX_ATOMS];
    int it, i, n = mm->n;
    double E = dimer_ring_moment_energy(mm, m, g, H);
    for (it = 0; it < 200; it++) {
        double gmax = 0, dmax = 0, slope = 0, step = 1, Et = 0, tau;
        for (i = 0; i < n; i++) if (fabs(g[i]) > gmax) gmax = fabs(g[i]);
        if (gmax < 1e-12) break;
        tau = dimer_ring_newton_direction(H, n, g, d);
        for (i = 0; i < n; i++) { slope += g[i] * d[i]; if (fabs(d[i]) > dmax) dmax = fabs(d[i]); }
        if (tau == 0 && dmax < 1e-6) {
            for (i = 0; i < n; i++) m[i] -= d[i];
            E = dimer_ring_moment_energy(mm, m, g, H);
            continue;
        }
        for (; step > 1e-12; step *= 0.5) {
            for (i = 0; i < n; i++) t[i] = m[i] - step * d[i];
            Et = dimer_ring_moment_energy(mm, t, NULL, NULL);
            if (Et <= E - 1e-4 * step * slope) break;
        }
        if (step <= 1e-12) break;    /* no descent left at machine precision */
        while (tau > 0 && step < 1e3) {
            double Eu, u[DR_MAX_ATOMS];
            for (i = 0; i < n; i++) u[i] = m[i] - 2 * step * d[i];
            Eu = dimer_ring_moment_energy(mm, u, NULL, NULL);
            if (!(Eu < Et)) break;
            step *= 2; Et = Eu; memcpy(t, u, sizeof(double) * (size_t)n);
        }
        memcpy(m, t, sizeof(double) * (size_t)n);
        E = dimer_ring_moment_energy(mm, m, g, H);
    }
    return E;
}

/* The "SCF": from the moments in m (overwritten with the final ones), damped steps
   m <- m - mix (H + tau I)^-1 dE/dm (the gradient preconditioned by the shifted moment
   Hessian, as quasi-Newton SCF mixers do; no line search, so it can overshoot and wander).
   Returns 1 when converged (max |dE/dm| < scf_tol), 0 when it ran out of steps or ran away
   (|m| > 10); *iters gets the steps taken (may be NULL). */
static int dimer_ring_scf(const dimer_ring_params *p, int nd, const double *pos, double *m, int *iters)
{
    dimer_ring_moments mm;
    double g[DR_MAX_ATOMS], H[DR_MAX_ATOMS * DR_MAX_ATOMS], d[DR_MAX_ATOMS];
    int it, i, n = 2 * nd;
    dimer_ring_moment_model(p, nd, pos, &mm);
    for (it = 0; it < p->scf_max_iter; it++) {
        double gmax = 0, dmax = 0, scale;
        dimer_ring_moment_energy(&mm, m, g, H);
        for (i = 0; i < n; i++) if (fabs(g[i]) > gmax) gmax = fabs(g[i]);
        if (gmax < p->scf_tol) { if (iters) *iters = it; return 1; }
        dimer_ring_newton_direction(H, n, g, d);
        for (i = 0; i < n; i++) if (fabs(d[i]) > dmax) dmax = fabs(d[i]);
        scale = p->scf_mix * (dmax > p->scf_max_step ? p->scf_max_step / dmax : 1);
        for (i = 0; i < n; i++) {
            m[i] -= scale * d[i];
            if (!(fabs(m[i]) < 10)) { if (iters) *iters = it + 1; return 0; }
        }
    }
    if (iters) *iters = it;
    return 0;
}

/* Exact ground state of the moments at positions pos: every pattern m_i in {-1/2, 0, 1/2}
   with the first non-zero moment positive (E is even in m) relaxed to its local minimum;
   writes the lowest moments to m (may be NULL) and returns the total energy. */
static double dimer_ring_ground_state(const dimer_ring_params *p, int nd, const double *pos, double *m)
{
    dimer_ring_moments mm;
    double best = HUGE_VAL, x[DR_MAX_ATOMS], bestm[DR_MAX_ATOMS], zero[DR_MAX_ATOMS];
    int n = 2 * nd, i;
    long code, total = 1;
    dimer_ring_moment_model(p, nd, pos, &mm);
    for (i = 0; i < n; i++) total *= 3;
    memset(bestm, 0, sizeof bestm);
    for (code = 0; code < total; code++) {
        long c = code;
        int sign = 0;
        double E;
        for (i = 0; i < n; i++) { int t = (int)(c % 3) - 1; c /= 3; x[i] = 0.5 * t; if (!sign) sign = t; }
        if (sign < 0) continue;          /* the mirror image of a pattern already relaxed */
        E = dimer_ring_relax(&mm, x);
        if (E < best - 1e-12) { best = E; memcpy(bestm, x, sizeof(double) * (size_t)n); }
    }
    if (m) memcpy(m, bestm, sizeof(double) * (size_t)n);
    memset(zero, 0, sizeof zero);
    return dimer_ring_energy(p, nd, pos, zero, NULL, NULL) + best;
}

/* Total energy, forces (2 nd x 3, may be NULL) and moments (may be NULL) of the exact
   ground state at positions pos. */
static double dimer_ring_exact(const dimer_ring_params *p, int nd, const double *pos, double *forces, double *m)
{
    double mg[DR_MAX_ATOMS], E;
    dimer_ring_ground_state(p, nd, pos, mg);
    E = dimer_ring_energy(p, nd, pos, mg, forces, NULL);
    if (m) memcpy(m, mg, sizeof(double) * 2 * (size_t)nd);
    return E;
}

/* ---- the oracle for the random spin committee ---------------------------------------- */
/* sannip_rsc_oracle for the dimer ring: user points to a dimer_ring_params. n_d is n/2 of
   the structure (atoms in ring order as dimer_ring_geometry makes them). The z components of
   the initial spins are the starting moments (vector starts are projected on z); the final
   moments come back as (0, 0, m_i). Returns -1 (a callback error) for an odd atom count or
   more than DR_MAX_ATOMS atoms. */
static int dimer_ring_oracle(sannip_rsc_call *call, void *user)
{
    const dimer_ring_params *p = (const dimer_ring_params *)user;
    double pos[3 * DR_MAX_ATOMS], m[DR_MAX_ATOMS], F[3 * DR_MAX_ATOMS];
    int i, a, n = call->sys->n, nd = n / 2;
    if (n % 2 || n < 4 || n > DR_MAX_ATOMS) return -1;
    for (i = 0; i < n; i++) {
        for (a = 0; a < 3; a++) pos[3 * i + a] = call->sys->pos[3 * i + a];
        m[i] = call->initial_spins[3 * i + 2];
    }
    call->converged = dimer_ring_scf(p, nd, pos, m, NULL);
    call->energy = dimer_ring_energy(p, nd, pos, m, F, NULL);
    for (i = 0; i < n; i++) {
        call->spins[3 * i] = call->spins[3 * i + 1] = 0;
        call->spins[3 * i + 2] = (sannip_real)m[i];
        if (call->forces) for (a = 0; a < 3; a++) call->forces[3 * i + a] = (sannip_real)F[3 * i + a];
    }
    call->has_forces = call->forces != NULL;
    return 0;
}

#endif /* DIMER_RING_H */
