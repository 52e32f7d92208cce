/* Descriptors, forces and virial.
   - cutoffs: every type against a direct formula, df/dr against finite differences, and
     continuity of value and derivative at every knot (inner cutoff alpha rc, rc, and the
     four knots of the Fourier-spline window);
   - sannip_env_eval: G of every basis kind against a direct (double) reference sum, the
     per-atom dG (neighbour slots and the self slot n) against central finite differences,
     and the g/c force contraction against sum_f g_f dG_f; the engine's kept triplet
     blocks (values pass keeps, contraction pass reads back) bit for bit against plain passes;
   - sannip_model_compute: forces and virial against central finite differences of the
     energy (positions, and a homogeneous strain of positions and cell) for all basis kinds
     (G2, G4, G5 with element-restricted, any and Z-weighted neighbours; the four
     Gauss-Fourier kinds) and all continuous cutoffs (cos, tanhu, tanh, exp, poly1..4 with
     alpha 0 and 0.3; Fourier spline) in open, slab, orthorhombic, triclinic and small
     periodic cells (2x2x2 bcc Fe/Ni, a = 2.87, rc = 6 > half the cell);
   - invariance under translation, rotation (positions and cell) and permutation, and
     periodic replication (2x2x2 supercells). */
#define SANNIP_IMPLEMENTATION
#include "../sannip.h"
#include "test.h"
#include <stdlib.h>
#include <string.h>

#define FE 26
#define NI 28
#define PI 3.14159265358979323846
#define ZW SANNIP_ZWEIGHT
#define ANY SANNIP_ANY

/* ---- atoms ------------------------------------------------------------------------------ */
typedef struct atoms {
    int n;
    sannip_real *pos;   /* n x 3 */
    int *Z;
    sannip_real cell[9];
    int pbc[3];
} atoms;

static void atoms_alloc(atoms *a, int n)
{
    memset(a, 0, sizeof *a);
    a->n = n;
    a->pos = (sannip_real *)calloc(3 * (size_t)n + 3, sizeof(sannip_real));
    a->Z = (int *)calloc((size_t)n + 1, sizeof(int));
}
static void atoms_free(atoms *a) { free(a->pos); free(a->Z); memset(a, 0, sizeof *a); }
static void atoms_copy(atoms *dst, const atoms *src)
{
    atoms_alloc(dst, src->n);
    memcpy(dst->pos, src->pos, sizeof(sannip_real) * 3 * (size_t)src->n);
    memcpy(dst->Z, src->Z, sizeof(int) * (size_t)src->n);
    memcpy(dst->cell, src->cell, sizeof dst->cell);
    memcpy(dst->pbc, src->pbc, sizeof dst->pbc);
}
static sannip_system view(const atoms *a)
{
    sannip_system s;
    memset(&s, 0, sizeof s);
    s.n = a->n; s.pos = a->pos; s.Z = a->Z;
    memcpy(s.cell, a->cell, sizeof s.cell);
    memcpy(s.pbc, a->pbc, sizeof s.pbc);
    return s;
}

/* Smallest distance between x and atom j over the periodic images (shifts -2..2). */
static double image_dist(const atoms *a, const double *x, int j)
{
    double best = 1e300;
    int s0, s1, s2, k;
    for (s0 = -2; s0 <= 2; s0++) for (s1 = -2; s1 <= 2; s1++) for (s2 = -2; s2 <= 2; s2++) {
        double d2 = 0;
        if ((s0 && !a->pbc[0]) || (s1 && !a->pbc[1]) || (s2 && !a->pbc[2])) continue;
        for (k = 0; k < 3; k++) {
            double t = x[k] - a->pos[3 * j + k] - (s0 * a->cell[k] + s1 * a->cell[3 + k] + s2 * a->cell[6 + k]);
            d2 += t * t;
        }
        if (d2 < best) best = d2;
    }
    return sqrt(best);
}

/* n atoms at random fractional positions of cell (which also bounds open directions),
   never closer than dmin (over periodic images); Fe and Ni mixed, both present. */
static void random_atoms(atoms *a, int n, const double *cell, const int *pbc, double dmin, sannip_rng *rng)
{
    int i, j, k, tries = 0;
    atoms_alloc(a, n);
    for (k = 0; k < 9; k++) a->cell[k] = (sannip_real)cell[k];
    for (k = 0; k < 3; k++) a->pbc[k] = pbc[k];
    for (i = 0; i < n; ) {
        double u[3], x[3];
        int ok = 1;
        for (k = 0; k < 3; k++) u[k] = sannip_rng_uniform(rng);
        for (k = 0; k < 3; k++) x[k] = (double)(sannip_real)(u[0] * cell[k] + u[1] * cell[3 + k] + u[2] * cell[6 + k]);
        for (j = 0; j < i && ok; j++) if (image_dist(a, x, j) < dmin) ok = 0;
        if (++tries > 1000000) { CHECK(0, "could not place %d atoms", n); break; }
        if (!ok) continue;
        for (k = 0; k < 3; k++) a->pos[3 * i + k] = (sannip_real)x[k];
        a->Z[i] = i == 0 ? FE : i == 1 ? NI : (sannip_rng_uniform(rng) < 0.4 ? NI : FE);
        i++;
    }
}

/* 2x2x2 conventional cells of bcc Fe (a = 2.87 A, 16 atoms), a few Ni, jiggled. */
static void bcc_atoms(atoms *a, sannip_rng *rng)
{
    const double lat = 2.87;
    int i, j, k, b, n = 0, c;
    atoms_alloc(a, 16);
    a->cell[0] = a->cell[4] = a->cell[8] = (sannip_real)(2 * lat);
    a->pbc[0] = a->pbc[1] = a->pbc[2] = 1;
    for (i = 0; i < 2; i++) for (j = 0; j < 2; j++) for (k = 0; k < 2; k++) for (b = 0; b < 2; b++) {
        double x[3] = { (i + 0.5 * b) * lat, (j + 0.5 * b) * lat, (k + 0.5 * b) * lat };
        for (c = 0; c < 3; c++) a->pos[3 * n + c] = (sannip_real)(x[c] + 0.14 * (sannip_rng_uniform(rng) - 0.5));
        a->Z[n] = (n == 3 || n == 8 || n == 13) ? NI : FE;
        n++;
    }
}

/* 2x2x2 supercell: copy (i0,i1,i2) of atom k is atom ((i0*2 + i1)*2 + i2) * n + k. */
static void supercell(atoms *dst, const atoms *src)
{
    int i0, i1, i2, k, c, q = 0;
    atoms_alloc(dst, 8 * src->n);
    for (k = 0; k < 9; k++) dst->cell[k] = 2 * src->cell[k];
    memcpy(dst->pbc, src->pbc, sizeof dst->pbc);
    for (i0 = 0; i0 < 2; i0++) for (i1 = 0; i1 < 2; i1++) for (i2 = 0; i2 < 2; i2++)
        for (k = 0; k < src->n; k++, q++) {
            for (c = 0; c < 3; c++)
                dst->pos[3 * q + c] = src->pos[3 * k + c] + i0 * src->cell[c] + i1 * src->cell[3 + c] + i2 * src->cell[6 + c];
            dst->Z[q] = src->Z[k];
        }
}

/* ---- reference cutoffs and descriptors (double, written from the formulas) ---------------- */
static double ref_fc(const sannip_cutoff *c, double r)
{
    double rc = c->rc, ri, x, t;
    if (r >= rc) return 0;
    switch (c->type) {
    case SANNIP_CUT_HARD: return 1;
    case SANNIP_CUT_TANHU: t = tanh(1 - r / rc); return t * t * t;
    case SANNIP_CUT_TANH: t = tanh(1 - r / rc); return t * t * t / (tanh(1.0) * tanh(1.0) * tanh(1.0));
    case SANNIP_CUT_FSPLINE: {
        double lo = (double)c->rs - c->eps_dn;
        if (r < lo) return 0;
        if (r < c->rs) return 1 - pow(cos(PI * (r - lo) / (2 * c->eps_dn)), c->xi_dn);
        return 1 - pow(sin(PI * (r - c->rs) / (2 * c->eps_up)), c->xi_up);
    }
    default: break;
    }
    ri = (double)c->alpha * rc;
    if (r < ri) return 1;
    x = (r - ri) / (rc - ri);
    switch (c->type) {
    case SANNIP_CUT_COS: return 0.5 * (cos(PI * x) + 1);
    case SANNIP_CUT_EXP: return exp(1 - 1 / (1 - x * x));
    case SANNIP_CUT_POLY1: return (2 * x - 3) * x * x + 1;
    case SANNIP_CUT_POLY2: return ((15 - 6 * x) * x - 10) * x * x * x + 1;
    case SANNIP_CUT_POLY3: return x * x * x * x * (x * (x * (20 * x - 70) + 84) - 35) + 1;
    case SANNIP_CUT_POLY4: return x * x * x * x * x * (x * (x * (x * (315 - 70 * x) - 540) + 420) - 126) + 1;
    }
    return -1;
}
static int rmatch(int e, int Z) { return e == ANY || e == ZW || e == Z; }

/* G of one basis for an environment, summed directly from its definition: G4/G5 over
   unordered pairs {j,k}, the Gauss-Fourier three-body bases over ordered pairs j != k. */
static double ref_G(const sannip_basis *b, int n, const int *Zn, const double *d, const double *r)
{
    double G = 0;
    int j, k, a;
    if (b->kind == SANNIP_G2 || b->kind == SANNIP_GF_RADIAL) {
        for (j = 0; j < n; j++) {
            double w = b->nbr[0] == ZW ? Zn[j] : 1, x = (double)r[j] - b->rs;
            if (!rmatch(b->nbr[0], Zn[j])) continue;
            G += w * exp(-(double)b->eta * x * x) * ref_fc(&b->cut[0], r[j]);
        }
        return G;
    }
    for (j = 0; j < n; j++) for (k = 0; k < n; k++) {
        double rij = r[j], rik = r[k], cs = 0, djk[3], rjk;
        if (j == k) continue;
        for (a = 0; a < 3; a++) { cs += (double)d[3 * j + a] * d[3 * k + a]; djk[a] = (double)d[3 * k + a] - d[3 * j + a]; }
        cs /= rij * rik;
        rjk = sqrt(djk[0] * djk[0] + djk[1] * djk[1] + djk[2] * djk[2]);
        if (b->kind == SANNIP_G4 || b->kind == SANNIP_G5) {
            double p = 1 + (double)b->lambda * cs, w = b->nbr[0] == ZW ? (double)Zn[j] * Zn[k] : 1, ex, fc;
            if (k < j) continue;
            if (!((rmatch(b->nbr[0], Zn[j]) && rmatch(b->nbr[1], Zn[k])) || (rmatch(b->nbr[0], Zn[k]) && rmatch(b->nbr[1], Zn[j])))) continue;
            if (p <= 0) continue;
            ex = (rij - b->rs) * (rij - b->rs) + (rik - b->rs) * (rik - b->rs);
            fc = ref_fc(&b->cut[0], rij) * ref_fc(&b->cut[0], rik);
            if (b->kind == SANNIP_G4) { ex += (rjk - b->rs) * (rjk - b->rs); fc *= ref_fc(&b->cut[0], rjk); }
            G += w * pow(2.0, 1 - (double)b->zeta) * pow(p, (double)b->zeta) * exp(-(double)b->eta * ex) * fc;
        } else {
            double R, Q, al = 1;
            if (!(rmatch(b->nbr[0], Zn[j]) && rmatch(b->nbr[1], Zn[k]))) continue;
            R = ref_fc(&b->cut[0], rij); Q = ref_fc(&b->cut[1], rik);
            if (b->kind != SANNIP_GF_ANGULAR2) {
                R *= exp(-(double)b->eta * (rij - b->rs) * (rij - b->rs));
                Q *= exp(-(double)b->eta2 * (rik - b->rs2) * (rik - b->rs2));
            }
            if (b->kind != SANNIP_GF_BIRADIAL) {
                double th = acos(cs < -1 ? -1 : cs > 1 ? 1 : cs);
                al = exp(-(double)b->eta_t * (1 - cos(th - b->theta_s)));
            }
            G += al * R * Q;
        }
    }
    return G;
}

/* ---- descriptor sets ---------------------------------------------------------------------- */
static void add_basis(sannip_descriptors *d, const sannip_basis *b)
{
    sannip_error err;
    sannip_result r = sannip_descriptors_add(d, b, &err);
    if (r != SANNIP_SUCCESS) CHECK(r == SANNIP_SUCCESS, "sannip_descriptors_add (%s): %s", sannip_basis_kind_name(b->kind), err.message);
}
static sannip_cutoff cutoff(int type, double rc, double alpha)
{
    sannip_cutoff c;
    sannip_error err;
    sannip_result r = sannip_cutoff_make(&c, type, (sannip_real)rc, (sannip_real)alpha, &err);
    if (r != SANNIP_SUCCESS) CHECK(r == SANNIP_SUCCESS, "sannip_cutoff_make(%s, %g, %g): %s", sannip_cutoff_name(type), rc, alpha, err.message);
    return c;
}
static sannip_cutoff fspline(double eps_dn, double rs, double eps_up, int xi_dn, int xi_up)
{
    sannip_cutoff c;
    sannip_error err;
    sannip_result r = sannip_cutoff_make_fspline(&c, (sannip_real)eps_dn, (sannip_real)rs, (sannip_real)eps_up, xi_dn, xi_up, &err);
    if (r != SANNIP_SUCCESS) CHECK(r == SANNIP_SUCCESS, "sannip_cutoff_make_fspline: %s", err.message);
    return c;
}

static const int n2p2_cuts[8] = { SANNIP_CUT_COS, SANNIP_CUT_TANHU, SANNIP_CUT_TANH, SANNIP_CUT_EXP,
                                  SANNIP_CUT_POLY1, SANNIP_CUT_POLY2, SANNIP_CUT_POLY3, SANNIP_CUT_POLY4 };

/* Every kind with every continuous cutoff; s scales all lengths (radii up to 4.8 s). */
static void build_set(sannip_descriptors *d, double s)
{
    static const int g2n[4] = { FE, NI, ANY, ZW }, cen[3] = { ANY, FE, NI };
    static const int pair[5][2] = { { FE, NI }, { ANY, ANY }, { ZW, ZW }, { NI, NI }, { FE, ANY } };
    static const double zeta[5] = { 1, 2, 4, 2.5, 8 };
    sannip_basis b;
    sannip_cutoff W1, W2, W3, W4;
    int t, al, q = 0;
    for (t = 0; t < 8; t++) for (al = 0; al < 2; al++, q++) {
        sannip_cutoff c = cutoff(n2p2_cuts[t], s * (4.2 + 0.04 * q), al ? 0.3 : 0);
        memset(&b, 0, sizeof b);
        b.kind = SANNIP_G2; b.center = cen[q % 3]; b.nbr[0] = g2n[q % 4]; b.cut[0] = c;
        b.eta = (sannip_real)((0.3 + 0.2 * (q % 5)) / (s * s)); b.rs = (sannip_real)(s * 0.5 * (q % 4));
        add_basis(d, &b);
        b.center = ANY; b.nbr[0] = g2n[(q + 1) % 4];
        b.eta = (sannip_real)(1.0 / (s * s)); b.rs = (sannip_real)(s * (1.5 + 0.4 * (q % 3)));
        add_basis(d, &b);
        memset(&b, 0, sizeof b);
        b.kind = SANNIP_G4; b.center = cen[(q + 1) % 3]; b.nbr[0] = pair[q % 5][0]; b.nbr[1] = pair[q % 5][1];
        b.cut[0] = c; b.eta = (sannip_real)((0.02 + 0.03 * (q % 4)) / (s * s)); b.rs = (sannip_real)(q % 2 ? 0 : 0.8 * s);
        b.lambda = q % 2 ? 1 : -1; b.zeta = (sannip_real)zeta[q % 5];
        add_basis(d, &b);
        b.kind = SANNIP_G5; b.center = cen[(q + 2) % 3]; b.nbr[0] = pair[(q + 2) % 5][0]; b.nbr[1] = pair[(q + 2) % 5][1];
        b.lambda = q % 3 == 0 ? (sannip_real)0.5 : -b.lambda; b.zeta = (sannip_real)zeta[(q + 3) % 5];
        b.rs = (sannip_real)(q % 2 ? 0.6 * s : 0);
        add_basis(d, &b);
    }
    /* Gauss-Fourier bases with Fourier-spline windows (all windows end at 4.6 s) */
    W1 = fspline(1.2 * s, 2.6 * s, 2.0 * s, 2, 2); W2 = fspline(0.8 * s, 3.0 * s, 1.6 * s, 4, 2);
    W3 = fspline(2.0 * s, 2.2 * s, 2.4 * s, 2, 4); W4 = fspline(1.5 * s, 3.3 * s, 1.3 * s, 6, 4);
#define GF(K, C, N0, N1, WA, WB, ETA, RS, ETA2, RS2, ET, TS) do { memset(&b, 0, sizeof b); b.kind = K; b.center = C; \
    b.nbr[0] = N0; b.nbr[1] = N1; b.cut[0] = WA; b.cut[1] = WB; b.eta = (sannip_real)((ETA) / (s * s)); b.rs = (sannip_real)((RS) * s); \
    b.eta2 = (sannip_real)((ETA2) / (s * s)); b.rs2 = (sannip_real)((RS2) * s); b.eta_t = (sannip_real)(ET); b.theta_s = (sannip_real)(TS); add_basis(d, &b); } while (0)
    GF(SANNIP_GF_RADIAL, ANY, FE, 0, W1, W1, 0.5, 2.0, 0, 0, 0, 0);
    GF(SANNIP_GF_RADIAL, FE, NI, 0, W2, W2, 0.0, 0.0, 0, 0, 0, 0);
    GF(SANNIP_GF_RADIAL, NI, ANY, 0, W3, W3, 0.8, 3.0, 0, 0, 0, 0);
    GF(SANNIP_GF_RADIAL, ANY, ANY, 0, W4, W4, 0.3, 2.5, 0, 0, 0, 0);
    GF(SANNIP_GF_BIRADIAL, ANY, FE, NI, W1, W2, 0.4, 2.5, 0.6, 3.0, 0, 0);
    GF(SANNIP_GF_BIRADIAL, FE, ANY, ANY, W3, W4, 0.2, 2.0, 0.9, 3.5, 0, 0);
    GF(SANNIP_GF_BIRADIAL, NI, NI, FE, W2, W3, 0.7, 3.2, 0.1, 1.5, 0, 0);
    GF(SANNIP_GF_ANGULAR1, ANY, ANY, ANY, W1, W3, 0.3, 2.4, 0.5, 2.8, 1.5, 0);
    GF(SANNIP_GF_ANGULAR1, FE, NI, ANY, W2, W1, 0.6, 3.0, 0.2, 2.0, 0.7, 1.9);
    GF(SANNIP_GF_ANGULAR1, NI, FE, FE, W4, W2, 0.1, 3.5, 0.4, 3.1, 2.0, PI);
    GF(SANNIP_GF_ANGULAR2, ANY, FE, ANY, W2, W4, 0, 0, 0, 0, 1.0, 1.1);
    GF(SANNIP_GF_ANGULAR2, FE, ANY, NI, W1, W1, 0, 0, 0, 0, 3.0, 0.5);
    GF(SANNIP_GF_ANGULAR2, NI, ANY, ANY, W3, W2, 0, 0, 0, 0, 0.5, 2.6);
#undef GF
}

/* ---- model ---------------------------------------------------------------------------------- */
/* A two-element model over the bases of set: networks of two hidden layers of 8 with
   activations chosen by variant, random weights, scaling from the statistics of the
   features of data (slightly off, as if from another training set), an energy map. */
static void build_model(sannip_model *m, const sannip_descriptors *set, const atoms *data, int variant, sannip_rng *rng)
{
    static const int acts[4][2][2] = {
        { { SANNIP_ACT_TANH, SANNIP_ACT_TANH }, { SANNIP_ACT_SOFTPLUS, SANNIP_ACT_SWISH } },
        { { SANNIP_ACT_SIGMOID, SANNIP_ACT_TANH }, { SANNIP_ACT_TANH, SANNIP_ACT_SOFTPLUS } },
        { { SANNIP_ACT_SWISH, SANNIP_ACT_SIGMOID }, { SANNIP_ACT_TANH, SANNIP_ACT_TANH } },
        { { SANNIP_ACT_SOFTPLUS, SANNIP_ACT_TANH }, { SANNIP_ACT_SSP, SANNIP_ACT_SIGMOID } } };
    static const int modes[5] = { SANNIP_SCALE_STANDARD, SANNIP_SCALE_MINMAX, SANNIP_SCALE_SCALESIGMA,
                                  SANNIP_SCALE_MODIFIED, SANNIP_SCALE_SCALECENTER };
    static const int Zs[2] = { FE, NI };
    int hidden[2] = { 8, 8 }, e, f, i, nd;
    size_t k;
    sannip_error err;
    sannip_result r;
    sannip_workspace ws;
    sannip_system sys = view(data);
    sannip_real *G;
    sannip_model_init(m, NULL);
    for (f = 0; f < set->n; f++) add_basis(&m->desc, &set->b[f]);
    for (e = 0; e < 2; e++) {
        r = sannip_model_add_element(m, Zs[e], 2, hidden, acts[variant % 4][e], &err);
        CHECK(r == SANNIP_SUCCESS, "sannip_model_add_element: %s", err.message);
    }
    nd = m->desc.n;
    G = (sannip_real *)calloc((size_t)data->n * nd + 1, sizeof(sannip_real));
    sannip_workspace_init(&ws, NULL);
    r = sannip_descriptors_compute(&m->desc, &ws, &sys, G, &err);
    CHECK(r == SANNIP_SUCCESS, "sannip_descriptors_compute: %s", err.message);
    sannip_workspace_uninit(&ws);
    for (e = 0; e < m->n_elements; e++) {
        sannip_element_model *el = &m->el[e];
        sannip_network *net = &el->net;
        for (k = 0; k < net->n_params; k++) net->params[k] = (sannip_real)(0.8 * sannip_rng_normal(rng) / sqrt(8.0));
        {   /* first layer: fan-in = number of features */
            sannip_real *W = sannip_network_weights_rw(net, 0);
            for (k = 0; k < (size_t)net->sizes[0] * net->sizes[1]; k++) W[k] = (sannip_real)(1.5 * sannip_rng_normal(rng) / sqrt((double)net->sizes[0] + 1));
        }
        el->scaling = modes[(variant + 2 * e) % 5];
        el->smin = -1; el->smax = 1;
        for (f = 0; f < el->n_features; f++) {
            double mn = 1e300, mx = -1e300, s1 = 0, s2 = 0, cnt = 0, dev = 0, mean, sig, wide;
            for (i = 0; i < data->n; i++) if (data->Z[i] == el->Z) {
                double g = G[(size_t)i * nd + el->feature[f]];
                if (g < mn) mn = g;
                if (g > mx) mx = g;
                s1 += g; s2 += g * g; cnt++;
            }
            if (cnt == 0) continue;
            mean = s1 / cnt; sig = sqrt(fabs(s2 / cnt - mean * mean));
            for (i = 0; i < data->n; i++) if (data->Z[i] == el->Z) {
                double g = fabs(G[(size_t)i * nd + el->feature[f]] - mean);
                if (g > dev) dev = g;
            }
            /* made-up stats: shifted and widened, as if from a more varied training set (a
               near-perfect crystal alone has tiny spreads, and scaling by them would make
               the energy hypersensitive to strain) */
            wide = 0.1 * fabs(mean) + 0.01;
            el->stats[f].min = (sannip_real)(mn - 0.1 * (mx - mn) - wide);
            el->stats[f].max = (sannip_real)(mx + 0.05 * (mx - mn) + wide);
            el->stats[f].mean = (sannip_real)(mean + 0.03 * (mx - mn));
            el->stats[f].sigma = (sannip_real)(1.1 * sig + 0.5 * wide);
            el->stats[f].dev = (sannip_real)(1.05 * dev + wide);
        }
        el->energy_scale = (sannip_real)(0.8 + 0.3 * e);
        el->energy_offset = (sannip_real)(-2.5 - e);
    }
    r = sannip_model_finalize(m, &err);
    CHECK(r == SANNIP_SUCCESS, "sannip_model_finalize: %s", err.message);
    free(G);
}

static sannip_real energy_of(const sannip_model *m, sannip_workspace *ws, const atoms *a)
{
    sannip_system s = view(a);
    sannip_real E = 0;
    sannip_error err;
    sannip_result r = sannip_model_compute(m, ws, &s, &E, NULL, NULL, NULL, &err);
    if (r != SANNIP_SUCCESS) CHECK(r == SANNIP_SUCCESS, "sannip_model_compute: %s", err.message);
    return E;
}
static void compute_all(const sannip_model *m, sannip_workspace *ws, const atoms *a, sannip_real *E,
                        sannip_real *eat, sannip_real *F, sannip_real *W)
{
    sannip_system s = view(a);
    sannip_error err;
    sannip_result r = sannip_model_compute(m, ws, &s, E, eat, F, W, &err);
    CHECK(r == SANNIP_SUCCESS, "sannip_model_compute: %s", err.message);
}

/* Forces and virial of the model against central differences of the energy. */
static void fd_model(const char *name, const sannip_model *m, const atoms *a0)
{
    const double h = TOL(1e-5, 1e-2), hs = TOL(1e-5, 2e-3), rel = TOL(1e-6, 3e-2);
    sannip_workspace ws;
    atoms a;
    sannip_real E, *F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)a0->n), W[9];
    double fmax = 0, wmax = 0, worst = 0, worstw = 0;
    int i, k, b;
    sannip_workspace_init(&ws, NULL);
    atoms_copy(&a, a0);
    compute_all(m, &ws, &a, &E, NULL, F, W);
    CHECK(isfinite(E), "%s: energy %g", name, (double)E);
    for (k = 0; k < 3 * a.n; k++) if (fabs(F[k]) > fmax) fmax = fabs(F[k]);
    for (k = 0; k < 9; k++) if (fabs(W[k]) > wmax) wmax = fabs(W[k]);
    CHECK(fmax > 1e-3, "%s: forces are trivially small (%g)", name, fmax);
    for (i = 0; i < a.n; i++) for (k = 0; k < 3; k++) {
        sannip_real x = a.pos[3 * i + k], xp = (sannip_real)(x + h), xm = (sannip_real)(x - h), Ep, Em;
        double fd;
        if (test_quick() && (3 * i + k) % 4) continue;   /* quick mode: every 4th coordinate */
        a.pos[3 * i + k] = xp; Ep = energy_of(m, &ws, &a);
        a.pos[3 * i + k] = xm; Em = energy_of(m, &ws, &a);
        a.pos[3 * i + k] = x;
        fd = -((double)Ep - Em) / ((double)xp - xm);
        if (fabs(fd - F[3 * i + k]) / fmax > worst) worst = fabs(fd - F[3 * i + k]) / fmax;
        CHECK_NEAR(F[3 * i + k], fd, rel * fmax, "%s: force on atom %d (Z %d) component %c", name, i, a.Z[i], 'x' + k);
    }
    /* W_ab = -dE/d eps_ab with r_b -> r_b + eps_ab r_a for positions and cell rows */
    for (k = 0; k < 3; k++) for (b = 0; b < 3; b++) {
        sannip_real Ep = 0, Em = 0;
        double fd;
        int sg;
        for (sg = -1; sg <= 1; sg += 2) {
            double eps = sg * hs;
            atoms t;
            atoms_copy(&t, a0);
            for (i = 0; i < a.n; i++) t.pos[3 * i + b] = (sannip_real)(a0->pos[3 * i + b] + eps * a0->pos[3 * i + k]);
            for (i = 0; i < 3; i++) t.cell[3 * i + b] = (sannip_real)(a0->cell[3 * i + b] + eps * a0->cell[3 * i + k]);
            if (sg < 0) Em = energy_of(m, &ws, &t); else Ep = energy_of(m, &ws, &t);
            atoms_free(&t);
        }
        fd = -((double)Ep - Em) / (2 * hs);
        if (fabs(fd - W[3 * k + b]) / wmax > worstw) worstw = fabs(fd - W[3 * k + b]) / wmax;
        CHECK_NEAR(W[3 * k + b], fd, rel * wmax + TOL(1e-9, 1e-4), "%s: virial W[%d][%d]", name, k, b);
    }
    if (!a.pbc[0] && !a.pbc[1] && !a.pbc[2]) {
        /* open boundaries: W_ab = sum_i r_i,a F_i,b exactly (translation invariance) */
        double err = 0;
        for (k = 0; k < 3; k++) for (b = 0; b < 3; b++) {
            double s = 0;
            for (i = 0; i < a.n; i++) s += (double)a.pos[3 * i + k] * F[3 * i + b];
            if (fabs(s - W[3 * k + b]) > err) err = fabs(s - W[3 * k + b]);
        }
        CHECK(err <= TOL(1e-10, 1e-4) * (wmax + fmax), "%s: open-boundary virial differs from sum r F by %g", name, err);
    }
    printf("%-34s %3d atoms: max force %.3g, FD rel. err %.2g (forces) %.2g (virial)\n", name, a.n, fmax, worst, worstw);
    atoms_free(&a);
    free(F);
    sannip_workspace_uninit(&ws);
}

/* ---- sannip_env_eval against the reference sums and finite differences ----------------------- */
/* ---- neighbour list against brute force ------------------------------------------------ */
/* Distance between the lattice planes of axis a (V / |b x c|). */
static double plane_gap(const sannip_real *c, int a)
{
    const sannip_real *p = c + 3 * ((a + 1) % 3), *q = c + 3 * ((a + 2) % 3);
    double x[3] = { p[1] * q[2] - p[2] * q[1], p[2] * q[0] - p[0] * q[2], p[0] * q[1] - p[1] * q[0] };
    double V = fabs(c[0] * (c[4] * c[8] - c[5] * c[7]) - c[1] * (c[3] * c[8] - c[5] * c[6]) + c[2] * (c[3] * c[7] - c[4] * c[6]));
    return V / sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
}
/* Every pair (j, d = x_j + image - x_i) the list holds is one of the brute-force enumeration
   over all images within rc + tol, and every brute-force pair within rc - tol is in the list,
   once (tol: the rounding of the wrapped coordinates). */
static void nl_versus_brute(const char *name, const atoms *a, double rc)
{
    sannip_neighbors nl;
    sannip_system s = view(a);
    sannip_error err;
    double tol = sizeof(sannip_real) == 4 ? 1e-4 : 1e-9;
    int i, j, N[3], k, bad_missing = 0, bad_extra = 0, bad_twice = 0, bad_r = 0;
    for (k = 0; k < 3; k++) N[k] = a->pbc[k] ? (int)ceil(rc / plane_gap(a->cell, k)) + 1 : 0;
    sannip_neighbors_init(&nl, NULL);
    CHECK(sannip_neighbors_build(&nl, &s, (sannip_real)rc, &err) == SANNIP_SUCCESS, "%s: neighbours: %s", name, err.message);
    for (i = 0; i < a->n; i++) {
        size_t p0 = nl.start[i], np = nl.start[i + 1] - p0, p;
        char *used = (char *)calloc(np + 1, 1);
        int s0, s1, s2;
        for (j = 0; j < a->n; j++)
            for (s0 = -N[0]; s0 <= N[0]; s0++) for (s1 = -N[1]; s1 <= N[1]; s1++) for (s2 = -N[2]; s2 <= N[2]; s2++) {
                double d[3], r;
                int found = 0;
                for (k = 0; k < 3; k++)
                    d[k] = (double)a->pos[3 * j + k] - (double)a->pos[3 * i + k] + s0 * (double)a->cell[k] + s1 * (double)a->cell[3 + k] + s2 * (double)a->cell[6 + k];
                r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
                if (r >= rc + tol || (j == i && !s0 && !s1 && !s2)) continue;
                for (p = 0; p < np; p++) {
                    const sannip_real *q = nl.d + 3 * (p0 + p);
                    if (nl.j[p0 + p] != j || fabs(q[0] - d[0]) > 10 * tol || fabs(q[1] - d[1]) > 10 * tol || fabs(q[2] - d[2]) > 10 * tol) continue;
                    bad_twice += used[p]++ > 0;
                    found = 1;
                    bad_r += !(fabs((double)nl.r[p0 + p] - r) < 10 * tol);
                }
                bad_missing += !found && r < rc - tol;
            }
        for (p = 0; p < np; p++) bad_extra += !used[p];
        free(used);
    }
    CHECK(bad_missing == 0 && bad_extra == 0 && bad_twice == 0 && bad_r == 0,
          "%s (rc %g): %d pairs missing, %d not in the brute force, %d matched twice, %d distances off", name, rc, bad_missing, bad_extra, bad_twice, bad_r);
    sannip_neighbors_uninit(&nl);
}
static void test_neighbor_list(sannip_rng *rng)
{
    static const double tric[9] = { 9.1, 0, 0, 2.3, 8.2, 0, -1.7, 1.9, 7.4 };
    static const double thin[9] = { 2.9, 0, 0, 0.4, 9.5, 0, 0.3, -0.6, 10.2 };
    static const double cu2s[9] = { 15.246, 0, 0, 0, 11.884, 0, -5.989357159, 0, 12.091965796 };
    static const int all[3] = { 1, 1, 1 }, slab[3] = { 1, 0, 1 }, wire[3] = { 0, 0, 1 }, none[3] = { 0, 0, 0 };
    static const double rcs[4] = { 2.5, 4.1, 6.0, 9.3 };
    const double *cells[6] = { tric, tric, tric, tric, thin, cu2s };
    const int *pbcs[6] = { all, slab, wire, none, all, all };
    const char *names[6] = { "triclinic", "triclinic slab", "triclinic wire", "triclinic cluster", "thin cell", "Cu2S cell" };
    /* NiO's rhombohedral cell (../shared/data/nio_train.xyz) with atoms on a 4 x 4 x 4 grid of
       fractional coordinates, some nudged by +-1e-9 across the cell's faces: in a float build
       their fractional coordinates round onto the faces (a bin worked out again from the
       wrapped position put such an atom on the wrong side and lost pairs) */
    static const double nio[9] = { 10.2461409612, -0.0009798617, -0.0002685396, 8.5353847529, 5.6680804917, 0.0004170420,
                                   8.5352762557, 2.5740669493, 5.0502452935 };
    static const double nio_rc[3] = { 4.6, 3.1, 2.2 };
    int c, r, i, k;
    atoms a;
    for (c = 0; c < 6; c++) {
        random_atoms(&a, c == 5 ? 80 : 40, cells[c], pbcs[c], 1.2, rng);
        for (r = 0; r < 4; r++) nl_versus_brute(names[c], &a, rcs[r]);
        atoms_free(&a);
    }
    atoms_alloc(&a, 64);
    for (k = 0; k < 9; k++) a.cell[k] = (sannip_real)nio[k];
    a.pbc[0] = a.pbc[1] = a.pbc[2] = 1;
    for (i = 0; i < 64; i++) {
        double u[3] = { (i % 4) / 4.0, (i / 4 % 4) / 4.0, (i / 16) / 4.0 };
        if (i % 5 == 0) u[i % 3] -= 1e-9;
        if (i % 7 == 0) u[(i + 1) % 3] += 1e-9;
        for (k = 0; k < 3; k++) a.pos[3 * i + k] = (sannip_real)(u[0] * nio[k] + u[1] * nio[3 + k] + u[2] * nio[6 + k]);
        a.Z[i] = (i + i / 4 + i / 16) % 2 ? NI : FE;
    }
    for (r = 0; r < 3; r++) nl_versus_brute("NiO cell, atoms on its faces", &a, nio_rc[r]);
    atoms_free(&a);
}

typedef struct envbuf { int n, Zc; int *Zn; sannip_real *d, *r; } envbuf;

static void env_from(envbuf *e, const atoms *a, sannip_real rc, int i)
{
    sannip_neighbors nl;
    sannip_system s = view(a);
    sannip_error err;
    size_t st, k;
    sannip_neighbors_init(&nl, NULL);
    CHECK(sannip_neighbors_build(&nl, &s, rc, &err) == SANNIP_SUCCESS, "neighbours: %s", err.message);
    st = nl.start[i];
    e->n = (int)(nl.start[i + 1] - st); e->Zc = a->Z[i];
    e->Zn = (int *)malloc(sizeof(int) * (size_t)(e->n + 1));
    e->d = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)(e->n + 1));
    e->r = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)(e->n + 1));
    for (k = 0; k < (size_t)e->n; k++) {
        e->Zn[k] = a->Z[nl.j[st + k]];
        memcpy(e->d + 3 * k, nl.d + 3 * (st + k), 3 * sizeof(sannip_real));
        e->r[k] = nl.r[st + k];
    }
    sannip_neighbors_uninit(&nl);
}
static void env_free(envbuf *e) { free(e->Zn); free(e->d); free(e->r); }
static sannip_env env_view(const envbuf *e)
{
    sannip_env v;
    v.n = e->n; v.Zc = e->Zc; v.Zn = e->Zn; v.d = e->d; v.r = e->r;
    return v;
}
/* G of basis f with the environment displaced: slot k < n moves d_k,a by delta; slot n
   moves the centre by delta, i.e. every d_j,a by -delta. use_ref: the direct double sum
   (float builds take finite differences of it, free of float round-off), else the library. */
static double g_displaced(const sannip_descriptors *set, int f, const envbuf *e, int k, int a, double delta,
                          int use_ref, sannip_real *work)
{
    int n = e->n, j, c;
    double *dd = (double *)malloc(sizeof(double) * 3 * (size_t)(n + 1)), *rr = (double *)malloc(sizeof(double) * (size_t)(n + 1)), G;
    for (j = 0; j < 3 * n; j++) dd[j] = e->d[j];
    if (k < n) dd[3 * k + a] += delta;
    else for (j = 0; j < n; j++) dd[3 * j + a] -= delta;
    for (j = 0; j < n; j++) rr[j] = sqrt(dd[3 * j] * dd[3 * j] + dd[3 * j + 1] * dd[3 * j + 1] + dd[3 * j + 2] * dd[3 * j + 2]);
    if (use_ref) G = ref_G(&set->b[f], n, e->Zn, dd, rr);
    else {
        sannip_real *d = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)(n + 1)), *r = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)(n + 1)), g;
        sannip_env v;
        for (j = 0; j < n; j++) { for (c = 0; c < 3; c++) d[3 * j + c] = (sannip_real)dd[3 * j + c]; r[j] = (sannip_real)rr[j]; }
        v.n = n; v.Zc = e->Zc; v.Zn = e->Zn; v.d = d; v.r = r;
        sannip_env_eval(set, &f, 1, &v, &g, NULL, NULL, NULL, work);
        G = g;
        free(d); free(r);
    }
    free(dd); free(rr);
    return G;
}

/* One basis (idx = {f}) of set at one environment: value vs reference, dG vs FD. */
static int env_check_basis(const char *name, const sannip_descriptors *set, int f, const envbuf *e,
                           const sannip_real *Gall, const sannip_real *dGall, int fall)
{
    const double h = 1e-5, rel = TOL(1e-6, 1e-3);
    const int use_ref = sizeof(sannip_real) < sizeof(double);
    int n = e->n, k, a, q, worst_k = -1, worst_a = -1;
    size_t nw = sannip_env_work_size(set, &f, 1, n), st = 3 * (size_t)(n + 1);
    sannip_real *work = (sannip_real *)malloc(sizeof(sannip_real) * (nw + 1));
    sannip_real *dG = (sannip_real *)malloc(sizeof(sannip_real) * st), G;
    double ref, dmax = 0, err = 0, fdw = 0, anw = 0, rowdiff = 0, *dd, *rr;
    sannip_env v = env_view(e);
    const sannip_basis *b = &set->b[f];
    CHECK(sannip_env_eval(set, &f, 1, &v, &G, dG, NULL, NULL, work) == SANNIP_SUCCESS, "%s: env_eval", name);
    dd = (double *)malloc(sizeof(double) * 3 * (size_t)(n + 1)); rr = (double *)malloc(sizeof(double) * (size_t)(n + 1));
    for (q = 0; q < 3 * n; q++) dd[q] = e->d[q];
    for (q = 0; q < n; q++) rr[q] = e->r[q];
    ref = ref_G(b, n, e->Zn, dd, rr);
    free(dd); free(rr);
    /* float: the polynomial cutoffs carry ~2e-5 absolute round-off near rc (1 + x^5 (...)) */
    CHECK_NEAR(G, ref, TOL(1e-11, 1e-4) * (fabs(ref) + TOL(1e-3, 5e-2)), "%s: basis %d (%s, cut %s) value vs direct sum", name, f, sannip_basis_kind_name(b->kind), sannip_cutoff_name(b->cut[0].type));
    /* the same basis inside the whole set gives the same value and derivatives */
    CHECK_NEAR(G, Gall[fall], TOL(1e-12, 1e-4) * (fabs(G) + 1e-6), "%s: basis %d alone vs in the set (value)", name, f);
    for (q = 0; q < 3 * (n + 1); q++) {
        if (fabs(dG[q]) > dmax) dmax = fabs(dG[q]);
        if (fabs(dG[q] - dGall[(size_t)fall * st + q]) > rowdiff) rowdiff = fabs(dG[q] - dGall[(size_t)fall * st + q]);
    }
    CHECK(rowdiff <= TOL(1e-12, 1e-4) * (dmax + 1e-6), "%s: basis %d alone vs in the set: dG differs by %g (max |dG| %g)", name, f, rowdiff, dmax);
    /* the hard cutoff is discontinuous at rc: no finite differences */
    if (b->cut[0].type == SANNIP_CUT_HARD) { free(work); free(dG); return G != 0; }
    for (k = 0; k <= n; k++) for (a = 0; a < 3; a++) {
        double an = dG[3 * (size_t)k + a];
        double fd = (g_displaced(set, f, e, k, a, h, use_ref, work) - g_displaced(set, f, e, k, a, -h, use_ref, work)) / (2 * h);
        if (fabs(fd - an) > err) { err = fabs(fd - an); worst_k = k; worst_a = a; fdw = fd; anw = an; }
    }
    CHECK(err <= rel * dmax + TOL(1e-10, 1e-4) * (fabs(G) + 1e-3),
          "%s: basis %d (%s, cut %s, centre %d, nbr %d %d): dG vs FD differs by %g (max |dG| %g) at slot %d of %d, %c: analytic %.10g, FD %.10g",
          name, f, sannip_basis_kind_name(b->kind), sannip_cutoff_name(b->cut[0].type), b->center, b->nbr[0], b->nbr[1],
          err, dmax, worst_k, n, 'x' + worst_a, anw, fdw);
    free(work); free(dG);
    return G != 0;
}

/* All bases of set (applicable to the centre) at atom i of a: the whole-set evaluation,
   the g/c contraction, then each basis alone against the reference and FD. */
/* The engine's kept triplet blocks (what sannip_model_compute does with forces): a values pass
   that keeps its blocks and a contraction pass that reads them back give the same bits as the
   plain passes (G3: values only, c: the g contraction), with room for every block (counted
   beforehand by sannip__env_keep_need) and with room for one block only (keeping stops,
   the contraction recomputes). kept_need_max: the most blocks an environment needed. */
static int kept_need_max = 0;
static void kept_check(const char *name, const sannip_descriptors *set, const int *idx, int nf, const sannip_env *v,
                       const sannip_real *G3, const sannip_real *g, const sannip_real *c)
{
    size_t nw = sannip_env_work_size(set, idx, nf, v->n), st = 3 * (size_t)(v->n + 1), room[2];
    sannip_real *work = (sannip_real *)malloc(sizeof(sannip_real) * (nw + 1)), *keep;
    sannip_real *G = (sannip_real *)malloc(sizeof(sannip_real) * 2 * (size_t)nf), *ck = (sannip_real *)malloc(sizeof(sannip_real) * st);
    sannip__envrun E;
    int t, need, kept;
    sannip__env_begin(&E, set, idx, nf, v->n, work);
    need = sannip__env_keep_need(&E, v);
    if (need > kept_need_max) kept_need_max = need;
    room[0] = (size_t)(need + 2) * sannip__env_keep_block(&E);   /* all blocks; one block */
    room[1] = 2 * sannip__env_keep_block(&E);
    keep = (sannip_real *)malloc(sizeof(sannip_real) * room[0]);
    for (t = 0; t < 2; t++) {
        sannip__env_keep_begin(&E, keep, room[t]);
        CHECK(E.capkb >= 1 && (t == 0 || E.capkb == 1), "%s: room for %d kept blocks", name, E.capkb);
        E.keep = 1; E.nkb = 0; E.kfull = 0;
        sannip__env_run(&E, v, G, NULL, NULL, NULL, NULL, NULL, 1);
        kept = E.keep && !E.kfull;
        E.keep = 0;
        CHECK(kept == (need <= E.capkb), "%s: blocks kept %d with room for %d, needing %d", name, kept, E.capkb, need);
        CHECK(!kept || E.nkb == need, "%s: %d blocks kept, %d counted", name, E.nkb, need);
        CHECK(t == 1 || kept, "%s: %d blocks do not fit in room for %d", name, need, E.capkb);
        CHECK(memcmp(G, G3, sizeof(sannip_real) * (size_t)nf) == 0, "%s: values of the keeping pass differ from a plain pass", name);
        E.replay = kept; E.kb0 = 0; E.kb1 = kept ? E.nkb : 0;
        sannip__env_run(&E, v, G + nf, NULL, g, ck, NULL, NULL, 0);
        E.replay = 0;
        CHECK(memcmp(ck, c, sizeof(sannip_real) * 3 * (size_t)v->n) == 0, "%s: contraction from %s blocks differs from a plain pass",
              name, kept ? "kept" : "unkept");
    }
    free(work); free(keep); free(G); free(ck);
}

static void env_check(const char *name, const sannip_descriptors *set, const atoms *a, int i, sannip_rng *rng)
{
    envbuf e;
    int *idx = (int *)calloc((size_t)set->n + 1, sizeof(int)), nf = 0, f, q, nonzero = 0;
    sannip_real rc = 0;
    size_t nw, st;
    sannip_real *work, *G, *G2, *G3, *dG, *g, *c;
    sannip_env v;
    double cerr = 0, cscale = 0, gerr = 0;
    char label[160];
    for (f = 0; f < set->n; f++) if (sannip_basis_cutoff(&set->b[f]) > rc) rc = sannip_basis_cutoff(&set->b[f]);
    env_from(&e, a, rc, i);
    v = env_view(&e);
    for (f = 0; f < set->n; f++) if (sannip_basis_applies(&set->b[f], a->Z[i])) idx[nf++] = f;
    st = 3 * (size_t)(e.n + 1);
    nw = sannip_env_work_size(set, idx, nf, e.n);
    work = (sannip_real *)malloc(sizeof(sannip_real) * (nw + 1));
    G = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)nf * 3);
    G2 = G + nf; G3 = G2 + nf;
    dG = (sannip_real *)malloc(sizeof(sannip_real) * st * (size_t)nf);
    g = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)nf);
    c = (sannip_real *)malloc(sizeof(sannip_real) * st);
    for (f = 0; f < nf; f++) g[f] = (sannip_real)sannip_rng_normal(rng);
    CHECK(sannip_env_eval(set, idx, nf, &v, G, dG, NULL, NULL, work) == SANNIP_SUCCESS, "%s: env_eval with dG", name);
    CHECK(sannip_env_eval(set, idx, nf, &v, G2, NULL, g, c, work) == SANNIP_SUCCESS, "%s: env_eval with g/c", name);
    CHECK(sannip_env_eval(set, idx, nf, &v, G3, NULL, NULL, NULL, work) == SANNIP_SUCCESS, "%s: env_eval value only", name);
    for (f = 0; f < nf; f++) {
        double d2 = fabs(G2[f] - G[f]), d3 = fabs(G3[f] - G[f]), s = TOL(1e-13, 1e-6) * (fabs(G[f]) + 1e-6);
        if (d2 > s || d3 > s) gerr = d2 > d3 ? d2 : d3;
    }
    CHECK(gerr == 0, "%s: G differs between the value-only, dG and g/c passes (by %g)", name, gerr);
    for (q = 0; q < 3 * e.n; q++) {
        double s = 0, sa = 0;
        for (f = 0; f < nf; f++) { s += (double)g[f] * dG[(size_t)f * st + q]; sa += fabs((double)g[f] * dG[(size_t)f * st + q]); }
        if (fabs(s - c[q]) > cerr) cerr = fabs(s - c[q]);
        if (sa > cscale) cscale = sa;
    }
    CHECK(cerr <= TOL(1e-12, 1e-5) * (cscale + 1e-12), "%s: g/c contraction differs from sum_f g_f dG_f by %g (scale %g)", name, cerr, cscale);
    kept_check(name, set, idx, nf, &v, G3, g, c);
    /* the self slot is minus the sum of the neighbour slots (translation invariance) */
    {
        double serr = 0, sc = 0;
        int a2, k;
        for (f = 0; f < nf; f++) for (a2 = 0; a2 < 3; a2++) {
            double s = 0;
            for (k = 0; k < e.n; k++) { s += dG[(size_t)f * st + 3 * k + a2]; if (fabs(dG[(size_t)f * st + 3 * k + a2]) > sc) sc = fabs(dG[(size_t)f * st + 3 * k + a2]); }
            if (fabs(s + dG[(size_t)f * st + 3 * e.n + a2]) > serr) serr = fabs(s + dG[(size_t)f * st + 3 * e.n + a2]);
        }
        CHECK(serr <= TOL(1e-10, 1e-4) * (sc + 1e-12), "%s: self slot != -sum of neighbour slots (%g)", name, serr);
    }
    for (f = 0; f < nf; f++) {
        snprintf(label, sizeof label, "%s atom %d", name, i);
        nonzero += env_check_basis(label, set, idx[f], &e, G, dG, f);
    }
    CHECK(nonzero >= nf / 2, "%s atom %d: only %d of %d bases are non-zero (vacuous test)", name, i, nonzero, nf);
    printf("%-34s atom %d (Z %d): %d neighbours, %d bases (%d non-zero)\n", name, i, a->Z[i], e.n, nf, nonzero);
    free(work); free(G); free(dG); free(g); free(c); free(idx);
    env_free(&e);
}

/* G5 sums by moments (double builds; float builds keep the triplet loop): the bcc environment
   (~75 neighbours) takes the moments for every eligible term with no pair-by-pair fallback;
   three nearly aligned neighbours (Fe, Fe, Ni) make the lambda = -1, zeta = 8 terms (Fe-Fe,
   Fe-Ni, any-any: moment sums that would cancel to ~1e-3 relative) fall back to pairs; both
   agree with the direct double sum to 1e-12. */
static void test_moments(const atoms *bcc)
{
    static const double lam[4] = { -1, 1, 0.5, -1 }, zet[4] = { 8, 6, 3, 1 };
    sannip_descriptors set;
    sannip_basis b;
    envbuf e;
    sannip_env v;
    sannip__envrun E;
    sannip_real G[9], *work;
    int idx[9], f, q, bad, nf = 9;
    double *dd, *rr;
    sannip_descriptors_init(&set, NULL);
    for (f = 0; f < nf; f++) {   /* 0-3: Fe-Fe, Fe-Ni, Fe-Fe, Fe-Ni; 4-7: any-any; 8: Fe-Ni with lambda = -1, zeta = 8 */
        memset(&b, 0, sizeof b);
        b.kind = SANNIP_G5; b.center = ANY; b.nbr[0] = f < 4 || f == 8 ? FE : ANY; b.nbr[1] = f < 4 ? (f % 2 ? NI : FE) : f == 8 ? NI : ANY;
        b.cut[0] = cutoff(SANNIP_CUT_POLY2, 6.0, 0); b.eta = (sannip_real)(0.02 * (1 + f % 3)); b.rs = (sannip_real)(f % 2 ? 0.5 : 0);
        b.lambda = (sannip_real)lam[f % 4]; b.zeta = (sannip_real)zet[f % 4];
        add_basis(&set, &b); idx[f] = f;
    }
    for (q = 0; q < 2; q++) {
        if (q == 0) env_from(&e, bcc, 6, 0);
        else {   /* three neighbours within 0.07 rad of one another (grouped by element, as the engine expects) */
            e.n = 3; e.Zc = FE;
            e.Zn = (int *)malloc(sizeof(int) * 4); e.d = (sannip_real *)malloc(sizeof(sannip_real) * 12); e.r = (sannip_real *)malloc(sizeof(sannip_real) * 4);
            e.Zn[0] = FE; e.Zn[1] = FE; e.Zn[2] = NI;
            e.d[0] = 2.4; e.d[1] = 0; e.d[2] = 0; e.d[3] = 2.5; e.d[4] = 0.15; e.d[5] = 0.02; e.d[6] = 2.45; e.d[7] = 0.05; e.d[8] = 0.14;
            for (f = 0; f < 3; f++) e.r[f] = (sannip_real)sqrt((double)(e.d[3 * f] * e.d[3 * f] + e.d[3 * f + 1] * e.d[3 * f + 1] + e.d[3 * f + 2] * e.d[3 * f + 2]));
        }
        v = env_view(&e);
        work = (sannip_real *)malloc(sizeof(sannip_real) * (sannip_env_work_size(&set, idx, nf, e.n) + 1));
        sannip__env_begin(&E, &set, idx, nf, e.n, work);
        sannip__env_run(&E, &v, G, NULL, NULL, NULL, NULL, NULL, 1);
        for (f = 0, bad = 0; f < E.P.nmom; f++) bad += E.P.mbad[f];
        CHECK(E.P.nmom == (sizeof(sannip_real) == sizeof(double) ? nf : 0), "moments: %d of %d G5 terms by moments", E.P.nmom, nf);
        if (sizeof(sannip_real) == sizeof(double)) {
            if (q == 0) CHECK(bad == 0, "moments: %d terms fell back to pairs in a dense environment (%d neighbours)", bad, e.n);
            else CHECK(E.P.mbad[0] && E.P.mbad[4] && E.P.mbad[8], "moments: the aligned neighbours' lambda = -1, zeta = 8 terms did not all fall back (%d %d %d)",
                       E.P.mbad[0], E.P.mbad[4], E.P.mbad[8]);
        }
        dd = (double *)malloc(sizeof(double) * 3 * (size_t)e.n); rr = (double *)malloc(sizeof(double) * (size_t)e.n);
        for (f = 0; f < 3 * e.n; f++) dd[f] = e.d[f];
        for (f = 0; f < e.n; f++) rr[f] = e.r[f];
        for (f = 0; f < nf; f++) {
            double ref = ref_G(&set.b[f], e.n, e.Zn, dd, rr);
            /* float (triplets): 1 - cos ~ 1e-3 for the aligned pairs, so float's cosine carries
               ~8 x 6e-8 / 1e-3 = 5e-4 relative into (1 - cos)^8 */
            CHECK_NEAR(G[f], ref, TOL(1e-12, 1e-3) * fabs(ref) + 1e-300, "moments (%s): basis %d (lambda %g, zeta %g) value %.17g vs direct sum %.17g",
                       q ? "aligned neighbours" : "bcc", f, (double)set.b[f].lambda, (double)set.b[f].zeta, (double)G[f], ref);
        }
        free(dd); free(rr); free(work);
        env_free(&e);
    }
    sannip_descriptors_uninit(&set);
}

/* ---- cutoffs ---------------------------------------------------------------------------------- */
static void check_cutoff(const sannip_cutoff *c, const char *label)
{
    /* float: polynomial cutoffs lose ~1e-5 absolute to cancellation near rc */
    const double delta = TOL(1e-7, 1e-3), tolv = TOL(1e-12, 1e-4), hfd = TOL(1e-6, 1e-3);
    double lo = c->type == SANNIP_CUT_FSPLINE ? (double)c->rs - c->eps_dn : 0;
    double knots[4];
    int nk = 0, q, k;
    double err = 0, derr = 0, ferr = 0;
    /* values and derivatives over the whole range: f against the formula, df against the
       formula's derivative (central differences in double) and against differences of f */
    for (q = 1; q <= 60; q++) {
        double r = (sannip_real)(lo + (c->rc * 1.1 - lo) * q / 61.0), dref, fd, ref = ref_fc(c, r);
        sannip_real df, f = sannip_cutoff_eval(c, (sannip_real)r, &df);
        sannip_real fp = sannip_cutoff_eval(c, (sannip_real)(r + hfd), NULL), fm = sannip_cutoff_eval(c, (sannip_real)(r - hfd), NULL);
        if (fabs(f - ref) > err) err = fabs(f - ref);
        /* skip points next to a knot (the second derivative jumps there) */
        if (fabs(r - c->rc) < 5e-3 || fabs(r - (double)c->alpha * c->rc) < 5e-3 ||
            (c->type == SANNIP_CUT_FSPLINE && (fabs(r - c->rs) < 5e-3 || fabs(r - lo) < 5e-3))) continue;
        /* fourth-order differences of the double formula, h = 2e-4 */
        dref = (8 * (ref_fc(c, r + 2e-4) - ref_fc(c, r - 2e-4)) - (ref_fc(c, r + 4e-4) - ref_fc(c, r - 4e-4))) / 2.4e-3;
        fd = ((double)fp - fm) / ((double)(sannip_real)(r + hfd) - (double)(sannip_real)(r - hfd));
        if (fabs(dref - df) > derr) derr = fabs(dref - df);
        if (fabs(fd - df) > ferr) ferr = fabs(fd - df);
    }
    CHECK(err <= tolv, "%s: value differs from the formula by %g", label, err);
    CHECK(derr <= TOL(1e-9, 1e-4) * (1 + 2 / c->rc), "%s: df/dr differs from the formula's derivative by %g", label, derr);
    CHECK(ferr <= TOL(1e-7, 5e-2) * (1 + 2 / c->rc), "%s: df/dr differs from differences of f by %g", label, ferr);
    /* knots: value and first derivative continuous (left/right limits), f = 0 from rc on */
    knots[nk++] = c->rc;
    if (c->type == SANNIP_CUT_FSPLINE) { knots[nk++] = c->rs; knots[nk++] = lo; }
    else if (c->alpha > 0 && c->type != SANNIP_CUT_TANHU && c->type != SANNIP_CUT_TANH && c->type != SANNIP_CUT_HARD)
        knots[nk++] = (double)c->alpha * c->rc;
    for (k = 0; k < nk; k++) {
        double r0 = knots[k];
        sannip_real dl, dr, d0, fl = sannip_cutoff_eval(c, (sannip_real)(r0 - delta), &dl), fr = sannip_cutoff_eval(c, (sannip_real)(r0 + delta), &dr);
        sannip_real f0 = sannip_cutoff_eval(c, (sannip_real)r0, &d0);
        double ctol = 50 * delta * (1 + 1 / c->rc);
        if (c->type == SANNIP_CUT_HARD && k == 0) {
            CHECK(fl == 1 && dl == 0 && fr == 0 && dr == 0 && f0 == 0, "%s: hard cutoff at rc: %g | %g", label, (double)fl, (double)fr);
            continue;
        }
        CHECK(isfinite(fl) && isfinite(fr) && isfinite(dl) && isfinite(dr), "%s: non-finite near knot %g", label, r0);
        CHECK_NEAR(fl, fr, ctol, "%s: value jumps at knot r = %g", label, r0);
        CHECK_NEAR(dl, dr, ctol, "%s: derivative jumps at knot r = %g", label, r0);
        CHECK_NEAR(f0, fl, ctol, "%s: value at knot r = %g differs from its left limit", label, r0);
        CHECK_NEAR(d0, dl, ctol, "%s: derivative at knot r = %g differs from its left limit", label, r0);
        if (k == 0) {
            CHECK(f0 == 0 && d0 == 0, "%s: f(rc) = %g, f'(rc) = %g (must be 0)", label, (double)f0, (double)d0);
            CHECK(fabs(fl) <= ctol && fabs(dl) <= ctol, "%s: f(rc-) = %g, f'(rc-) = %g do not tend to 0", label, (double)fl, (double)dl);
            CHECK(sannip_cutoff_eval(c, (sannip_real)(r0 * 1.5), NULL) == 0, "%s: f != 0 beyond rc", label);
        } else if (c->type == SANNIP_CUT_FSPLINE && k == 1) {
            CHECK_NEAR(f0, 1, tolv, "%s: Fourier-spline window is not 1 at rs", label);
            CHECK_NEAR(d0, 0, tolv, "%s: Fourier-spline window has a slope at rs", label);
        } else if (c->type == SANNIP_CUT_FSPLINE) {
            CHECK(f0 == 0 || fabs(f0) <= tolv, "%s: window at rs - eps_dn = %g", label, (double)f0);
            CHECK(sannip_cutoff_eval(c, (sannip_real)(r0 * 0.5), NULL) == 0, "%s: window != 0 below rs - eps_dn", label);
        } else {
            CHECK_NEAR(fl, 1, tolv, "%s: f != 1 below the inner cutoff", label);
            CHECK_NEAR(f0, 1, tolv, "%s: f != 1 at the inner cutoff", label);
        }
    }
}

static void test_cutoffs(void)
{
    sannip_cutoff c;
    sannip_error err;
    char label[96];
    int t, al;
    static const double fs[5][5] = { { 1.2, 2.6, 2.0, 2, 2 }, { 0.8, 3.0, 1.6, 4, 2 }, { 2.0, 2.2, 2.4, 2, 4 },
                                     { 1.5, 3.3, 1.3, 6, 4 }, { 0.5, 0.5, 0.7, 8, 6 } };
    for (t = 0; t < 8; t++) for (al = 0; al < 3; al++) {
        double alpha = al == 0 ? 0 : al == 1 ? 0.3 : 0.75;
        c = cutoff(n2p2_cuts[t], 4.7, alpha);
        snprintf(label, sizeof label, "cutoff %s alpha %g", sannip_cutoff_name(n2p2_cuts[t]), alpha);
        check_cutoff(&c, label);
    }
    /* normalisation at r = 0: 1 for every type but tanhu (tanh^3(1), Behler 2011) */
    for (t = 0; t < 8; t++) {
        double want = n2p2_cuts[t] == SANNIP_CUT_TANHU ? tanh(1.0) * tanh(1.0) * tanh(1.0) : 1;
        c = cutoff(n2p2_cuts[t], 4.7, 0);
        CHECK_NEAR(sannip_cutoff_eval(&c, 0, NULL), want, TOL(1e-14, 1e-6), "cutoff %s at r = 0", sannip_cutoff_name(n2p2_cuts[t]));
    }
    c = cutoff(SANNIP_CUT_HARD, 3.3, 0);
    check_cutoff(&c, "cutoff hard");
    for (t = 0; t < 5; t++) {
        c = fspline(fs[t][0], fs[t][1], fs[t][2], (int)fs[t][3], (int)fs[t][4]);
        CHECK_NEAR(c.rc, fs[t][1] + fs[t][2], 1e-6, "fspline rc = rs + eps_up");
        snprintf(label, sizeof label, "fspline %g,%g,%g,%d,%d", fs[t][0], fs[t][1], fs[t][2], (int)fs[t][3], (int)fs[t][4]);
        check_cutoff(&c, label);
    }
    /* invalid parameters are rejected */
    CHECK(sannip_cutoff_make(&c, SANNIP_CUT_COS, 0, 0, &err) == SANNIP_BAD_CUTOFF, "rc = 0 accepted");
    CHECK(sannip_cutoff_make(&c, SANNIP_CUT_COS, 5, 1, &err) == SANNIP_BAD_CUTOFF, "alpha = 1 accepted");
    CHECK(sannip_cutoff_make(&c, SANNIP_CUT_POLY2, 5, -0.1, &err) == SANNIP_BAD_CUTOFF, "alpha < 0 accepted");
    CHECK(sannip_cutoff_make_fspline(&c, 1, 2, 1, 3, 2, &err) == SANNIP_BAD_CUTOFF, "odd xi accepted");
    CHECK(sannip_cutoff_make_fspline(&c, 3, 2, 1, 2, 2, &err) == SANNIP_BAD_CUTOFF, "rs - eps_dn < 0 accepted");
    CHECK(sannip_cutoff_make_fspline(&c, 1, 2, 0, 2, 2, &err) == SANNIP_BAD_CUTOFF, "eps_up = 0 accepted");
}

/* A hard-cutoff G2 evaluates (no FD: it is discontinuous at rc) and equals its direct sum;
   its forces are the Gaussian's alone. */
static void test_hard(const atoms *a, sannip_rng *rng)
{
    sannip_descriptors set;
    sannip_basis b;
    sannip_model m;
    sannip_workspace ws;
    sannip_real E, *F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)a->n), W[9];
    int k, ok = 1;
    sannip_descriptors_init(&set, NULL);
    memset(&b, 0, sizeof b);
    b.kind = SANNIP_G2; b.center = ANY; b.nbr[0] = ANY; b.eta = (sannip_real)0.4; b.rs = 2;
    b.cut[0] = cutoff(SANNIP_CUT_HARD, 4.1, 0);
    add_basis(&set, &b);
    b.kind = SANNIP_G4; b.nbr[0] = FE; b.nbr[1] = ANY; b.eta = (sannip_real)0.05; b.rs = 0; b.lambda = -1; b.zeta = 2;
    add_basis(&set, &b);
    env_check("hard cutoff", &set, a, 0, rng);
    build_model(&m, &set, a, 0, rng);
    sannip_workspace_init(&ws, NULL);
    compute_all(&m, &ws, a, &E, NULL, F, W);
    for (k = 0; k < 3 * a->n; k++) if (!isfinite(F[k])) ok = 0;
    CHECK(isfinite(E) && ok, "hard cutoff: E = %g", (double)E);
    sannip_workspace_uninit(&ws);
    sannip_model_uninit(&m);
    sannip_descriptors_uninit(&set);
    free(F);
}

/* ---- invariances ------------------------------------------------------------------------------ */
typedef struct result { sannip_real E, *eat, *F, W[9]; } result;
static void result_of(result *r, const sannip_model *m, sannip_workspace *ws, const atoms *a)
{
    r->eat = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)a->n);
    r->F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)a->n);
    compute_all(m, ws, a, &r->E, r->eat, r->F, r->W);
}
static void result_free(result *r) { free(r->eat); free(r->F); }
static double maxabs(const sannip_real *x, int n)
{
    double m = 0;
    int k;
    for (k = 0; k < n; k++) if (fabs(x[k]) > m) m = fabs(x[k]);
    return m;
}

static void test_invariance(const char *name, const sannip_model *m, const atoms *a, sannip_rng *rng)
{
    const double tE = TOL(1e-11, 2e-5), tF = TOL(1e-9, 1e-3);
    sannip_workspace ws;
    result r0, r1;
    atoms t;
    double fs, ws_, eerr, ferr, werr, q[4], R[9], nq;
    int i, k, b, c, *perm;
    sannip_workspace_init(&ws, NULL);
    result_of(&r0, m, &ws, a);
    fs = maxabs(r0.F, 3 * a->n) + 1e-3; ws_ = maxabs(r0.W, 9) + 1e-3;

    /* translation */
    atoms_copy(&t, a);
    for (i = 0; i < a->n; i++) for (k = 0; k < 3; k++) t.pos[3 * i + k] += (sannip_real)(k == 0 ? 0.37 : k == 1 ? -1.21 : 2.9);
    result_of(&r1, m, &ws, &t);
    eerr = 0; ferr = 0;
    for (i = 0; i < a->n; i++) if (fabs(r1.eat[i] - r0.eat[i]) > eerr) eerr = fabs(r1.eat[i] - r0.eat[i]);
    for (k = 0; k < 3 * a->n; k++) if (fabs(r1.F[k] - r0.F[k]) > ferr) ferr = fabs(r1.F[k] - r0.F[k]);
    werr = 0; for (k = 0; k < 9; k++) if (fabs(r1.W[k] - r0.W[k]) > werr) werr = fabs(r1.W[k] - r0.W[k]);
    CHECK_NEAR(r1.E, r0.E, tE * fabs(r0.E), "%s: energy changes under translation", name);
    CHECK(eerr <= tE * (fabs(r0.E) / a->n + 1), "%s: atom energies change under translation by %g", name, eerr);
    CHECK(ferr <= tF * fs, "%s: forces change under translation by %g", name, ferr);
    CHECK(werr <= tF * ws_, "%s: virial changes under translation by %g", name, werr);
    result_free(&r1); atoms_free(&t);

    /* rotation of positions and cell (random unit quaternion): F -> R F, W -> R W R^T */
    for (k = 0; k < 4; k++) q[k] = sannip_rng_normal(rng);
    nq = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    for (k = 0; k < 4; k++) q[k] /= nq;
    R[0] = 1 - 2 * (q[2] * q[2] + q[3] * q[3]); R[1] = 2 * (q[1] * q[2] - q[0] * q[3]); R[2] = 2 * (q[1] * q[3] + q[0] * q[2]);
    R[3] = 2 * (q[1] * q[2] + q[0] * q[3]); R[4] = 1 - 2 * (q[1] * q[1] + q[3] * q[3]); R[5] = 2 * (q[2] * q[3] - q[0] * q[1]);
    R[6] = 2 * (q[1] * q[3] - q[0] * q[2]); R[7] = 2 * (q[2] * q[3] + q[0] * q[1]); R[8] = 1 - 2 * (q[1] * q[1] + q[2] * q[2]);
    atoms_copy(&t, a);
    for (i = 0; i < a->n; i++) for (k = 0; k < 3; k++) {
        double s = 0;
        for (c = 0; c < 3; c++) s += R[3 * k + c] * a->pos[3 * i + c];
        t.pos[3 * i + k] = (sannip_real)s;
    }
    for (i = 0; i < 3; i++) for (k = 0; k < 3; k++) {
        double s = 0;
        for (c = 0; c < 3; c++) s += R[3 * k + c] * a->cell[3 * i + c];
        t.cell[3 * i + k] = (sannip_real)s;
    }
    result_of(&r1, m, &ws, &t);
    eerr = 0; ferr = 0; werr = 0;
    for (i = 0; i < a->n; i++) if (fabs(r1.eat[i] - r0.eat[i]) > eerr) eerr = fabs(r1.eat[i] - r0.eat[i]);
    for (i = 0; i < a->n; i++) for (k = 0; k < 3; k++) {
        double s = 0;
        for (c = 0; c < 3; c++) s += R[3 * k + c] * r0.F[3 * i + c];
        if (fabs(r1.F[3 * i + k] - s) > ferr) ferr = fabs(r1.F[3 * i + k] - s);
    }
    for (k = 0; k < 3; k++) for (b = 0; b < 3; b++) {
        double s = 0;
        int u, w;
        for (u = 0; u < 3; u++) for (w = 0; w < 3; w++) s += R[3 * k + u] * r0.W[3 * u + w] * R[3 * b + w];
        if (fabs(r1.W[3 * k + b] - s) > werr) werr = fabs(r1.W[3 * k + b] - s);
    }
    CHECK_NEAR(r1.E, r0.E, TOL(1e-10, 2e-5) * fabs(r0.E), "%s: energy changes under rotation", name);
    CHECK(eerr <= TOL(1e-10, 2e-5) * (fabs(r0.E) / a->n + 1), "%s: atom energies change under rotation by %g", name, eerr);
    CHECK(ferr <= TOL(1e-8, 2e-3) * fs, "%s: forces do not rotate with the atoms (error %g)", name, ferr);
    CHECK(werr <= TOL(1e-8, 2e-3) * ws_, "%s: virial does not rotate as R W R^T (error %g)", name, werr);
    result_free(&r1); atoms_free(&t);

    /* permutation of the atoms */
    perm = (int *)malloc(sizeof(int) * (size_t)a->n);
    for (i = 0; i < a->n; i++) perm[i] = i;
    for (i = a->n - 1; i > 0; i--) { int j = (int)(sannip_rng_uniform(rng) * (i + 1)), s = perm[i]; perm[i] = perm[j]; perm[j] = s; }
    atoms_copy(&t, a);
    for (i = 0; i < a->n; i++) {   /* new atom i is old atom perm[i] */
        memcpy(t.pos + 3 * i, a->pos + 3 * perm[i], 3 * sizeof(sannip_real));
        t.Z[i] = a->Z[perm[i]];
    }
    result_of(&r1, m, &ws, &t);
    eerr = 0; ferr = 0; werr = 0;
    for (i = 0; i < a->n; i++) {
        if (fabs(r1.eat[i] - r0.eat[perm[i]]) > eerr) eerr = fabs(r1.eat[i] - r0.eat[perm[i]]);
        for (k = 0; k < 3; k++) if (fabs(r1.F[3 * i + k] - r0.F[3 * perm[i] + k]) > ferr) ferr = fabs(r1.F[3 * i + k] - r0.F[3 * perm[i] + k]);
    }
    for (k = 0; k < 9; k++) if (fabs(r1.W[k] - r0.W[k]) > werr) werr = fabs(r1.W[k] - r0.W[k]);
    CHECK_NEAR(r1.E, r0.E, tE * fabs(r0.E), "%s: energy changes under permutation", name);
    CHECK(eerr <= tE * (fabs(r0.E) / a->n + 1), "%s: atom energies are not permuted with the atoms (error %g)", name, eerr);
    CHECK(ferr <= tF * fs, "%s: forces are not permuted with the atoms (error %g)", name, ferr);
    CHECK(werr <= tF * ws_, "%s: virial changes under permutation by %g", name, werr);
    result_free(&r1); atoms_free(&t); free(perm);

    /* periodic replication: E(2x2x2) = 8 E, copies feel the same forces */
    if (a->pbc[0] && a->pbc[1] && a->pbc[2]) {
        supercell(&t, a);
        result_of(&r1, m, &ws, &t);
        eerr = 0; ferr = 0; werr = 0;
        for (i = 0; i < t.n; i++) {
            int o = i % a->n;
            if (fabs(r1.eat[i] - r0.eat[o]) > eerr) eerr = fabs(r1.eat[i] - r0.eat[o]);
            for (k = 0; k < 3; k++) if (fabs(r1.F[3 * i + k] - r0.F[3 * o + k]) > ferr) ferr = fabs(r1.F[3 * i + k] - r0.F[3 * o + k]);
        }
        for (k = 0; k < 9; k++) if (fabs(r1.W[k] - 8 * r0.W[k]) > werr) werr = fabs(r1.W[k] - 8 * r0.W[k]);
        CHECK(fabs(r1.E - 8 * r0.E) <= TOL(1e-10, 2e-5) * fabs(8 * r0.E), "%s: E(2x2x2) = %.17g, 8 E = %.17g (rel. %.3g)", name,
              (double)r1.E, 8 * (double)r0.E, fabs(r1.E - 8 * r0.E) / fabs(8 * r0.E));
        CHECK(eerr <= TOL(1e-10, 2e-5) * (fabs(r0.E) / a->n + 1), "%s: supercell atom energies differ by %g", name, eerr);
        CHECK(ferr <= tF * fs, "%s: supercell copies feel different forces (error %g)", name, ferr);
        CHECK(werr <= TOL(1e-9, 1e-3) * 8 * ws_, "%s: supercell virial != 8 W (error %g)", name, werr);
        printf("%-34s supercell %d atoms: E rel. diff %.2g, force diff %.2g\n", name, t.n, fabs(r1.E - 8 * r0.E) / fabs(8 * r0.E), ferr);
        result_free(&r1); atoms_free(&t);
    }
    result_free(&r0);
    sannip_workspace_uninit(&ws);
}

/* ---- main --------------------------------------------------------------------------------------- */
int main(void)
{
    static const double open_cell[9] = { 6.5, 0, 0, 0, 6.2, 0, 0, 0, 5.9 };
    static const double slab_cell[9] = { 6.4, 0, 0, 0.3, 6.0, 0.2, 0, 0, 6.8 };
    static const double ortho_cell[9] = { 6.3, 0, 0, 0, 7.1, 0, 0, 0, 6.7 };
    static const double tric_cell[9] = { 6.2, 0, 0, 1.3, 6.6, 0, -0.8, 1.1, 6.9 };
    static const int none[3] = { 0, 0, 0 }, slab[3] = { 1, 0, 1 }, all[3] = { 1, 1, 1 };
    sannip_rng rng;
    sannip_descriptors set, set6;
    atoms sys[5];
    const char *names[5] = { "open cluster", "slab (pbc 1 0 1)", "orthorhombic cell", "triclinic cell", "bcc Fe/Ni 2x2x2, rc 6" };
    sannip_model m[5];
    int s, i;

    sannip_rng_seed(&rng, 20240917);
    test_cutoffs();
    test_neighbor_list(&rng);

    sannip_descriptors_init(&set, NULL);
    sannip_descriptors_init(&set6, NULL);
    build_set(&set, 1.0);
    build_set(&set6, 6.0 / 4.8);     /* radii up to 6 A for the small bcc cell */
    CHECK(set.n == 77 && set6.n == 77, "descriptor sets have %d, %d bases", set.n, set6.n);

    random_atoms(&sys[0], 12, open_cell, none, 1.7, &rng);
    random_atoms(&sys[1], 12, slab_cell, slab, 1.7, &rng);
    random_atoms(&sys[2], 14, ortho_cell, all, 1.7, &rng);
    random_atoms(&sys[3], 14, tric_cell, all, 1.7, &rng);
    bcc_atoms(&sys[4], &rng);

    test_hard(&sys[3], &rng);
    test_moments(&sys[4]);

    for (s = 0; s < 5; s++) {
        const sannip_descriptors *d = s == 4 ? &set6 : &set;
        int fe = -1, ni = -1;
        for (i = 0; i < sys[s].n; i++) { if (sys[s].Z[i] == FE && fe < 0) fe = i; if (sys[s].Z[i] == NI && ni < 0) ni = i; }
        env_check(names[s], d, &sys[s], fe, &rng);
        if (s != 4) env_check(names[s], d, &sys[s], ni, &rng);
        build_model(&m[s], d, &sys[s], s, &rng);
        fd_model(names[s], &m[s], &sys[s]);
    }
    CHECK(kept_need_max > 1, "kept blocks: at most %d triplet block per environment (vacuous)", kept_need_max);
    test_invariance(names[0], &m[0], &sys[0], &rng);
    test_invariance(names[3], &m[3], &sys[3], &rng);
    test_invariance(names[4], &m[4], &sys[4], &rng);

    for (s = 0; s < 5; s++) { sannip_model_uninit(&m[s]); atoms_free(&sys[s]); }
    sannip_descriptors_uninit(&set);
    sannip_descriptors_uninit(&set6);
    return test_report("test_descriptors");
}
