/* Same-run inference baseline against n2p2 (issue 16): sannip and n2p2's libnnp evaluate the
   same potential on the same structures in one process, alternating, one thread; the ratio
   n2p2 / sannip is what counts (absolute times move 2x between days on shared machines).
   Built only when N2P2_DIR points to an n2p2 tree with libnnp built (`make bench-n2p2
   N2P2_DIR=...`; see bench/README.md); n2p2's code is linked, never copied.

   Cases: the RPBE-D3 water potential (../shared/peers, 1080-atom liquid and its 2x2x2
   supercell, 8640 atoms) and n2p2's Cu2S PBE potential (N2P2_DIR/examples/nnp-predict/Cu2S_PBE,
   symmetry-function types 2, 3 and 9; its 144-atom structure and the 4x4x4 supercell, 9216
   atoms). Timed, per call: n2p2 = calculateSymmetryFunctionGroups + calculateAtomicNeuralNetworks
   + calculateEnergy + calculateForces on a structure whose neighbour list was built before;
   sannip = sannip_model_compute (energy + forces) minus sannip_neighbors_build timed alone
   ("like for like"), and both totals with the neighbour list. CPU time of the process (one
   thread), median of BENCH_REPS alternating repetitions. Energies of the two are compared
   first (relative difference printed; the benchmark stops on a mismatch > 1e-10).
   Usage: bench_n2p2 SHARED N2P2_DIR [quick] [water|cu2s] [scaling] (scaling: sannip alone on
   supercells of about 1k to 70k atoms, per-atom cost and its ratio to the smallest). */
#define SANNIP_IMPLEMENTATION
#include "../sannip.h"
#include "Prediction.h"
#include "Structure.h"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int reps = 7;

static double cpu_now()
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what, const sannip_error *err)
{
    std::fprintf(stderr, "bench_n2p2: %s: %s\n", what, err ? err->message : "");
    std::exit(1);
}

/* The first structure of an n2p2 input.data file. */
static void read_first(const std::string &path, sannip_structure *s)
{
    char *text; size_t len, pos = 0; int line = 0; sannip_error err;
    if (sannip_read_file(path.c_str(), NULL, &text, &len, &err) != SANNIP_SUCCESS) die(path.c_str(), &err);
    sannip_structure_init(s, NULL);
    if (sannip_read_n2p2(s, text, len, &pos, &line, &err) != SANNIP_SUCCESS) die(path.c_str(), &err);
    sannip_free(NULL, text);
}

/* The k x k x k supercell of a periodic structure into t (initialised here). */
static void make_supercell(const sannip_structure *s, int k, sannip_structure &t)
{
    sannip_error err;
    int a, b, c, i, d, n = 0;
    sannip_structure_init(&t, NULL);
    if (sannip_structure_resize(&t, s->n * k * k * k, 0, 0, &err) != SANNIP_SUCCESS) die("supercell", &err);
    for (d = 0; d < 9; d++) t.cell[d] = s->cell[d] * k;
    for (d = 0; d < 3; d++) t.pbc[d] = s->pbc[d];
    for (a = 0; a < k; a++) for (b = 0; b < k; b++) for (c = 0; c < k; c++)
        for (i = 0; i < s->n; i++, n++) {
            t.Z[n] = s->Z[i];
            for (d = 0; d < 3; d++)
                t.pos[3 * n + d] = s->pos[3 * i + d] + a * s->cell[d] + b * s->cell[3 + d] + c * s->cell[6 + d];
        }
}
/* The k x k x k supercell of a periodic structure, written as n2p2 input.data to path. */
static void write_supercell(const sannip_structure *s, int k, const std::string &path)
{
    sannip_structure t; sannip_error err; sannip_text txt;
    make_supercell(s, k, t);
    sannip_text_init(&txt, NULL);
    sannip_write_n2p2(&txt, &t, NULL, NULL);
    if (txt.failed || sannip_write_file_atomic(path.c_str(), txt.s, txt.len, &err) != SANNIP_SUCCESS) die(path.c_str(), &err);
    sannip_text_uninit(&txt);
    sannip_structure_uninit(&t);
}

/* Floating-point work per atom of sannip_model_compute with forces, counted from the
   structure (the first 256 centres: a periodic supercell has the same per-atom counts) and
   the model, with the kernel's operation counts per term, both passes (values, then the
   contraction with dE/dG; bench/README.md): a radial basis per neighbour 10 flops; per
   neighbour pair j < k within the three-body radius that some basis of the triplet loop uses
   (G4 bases only where r_jk < r_c: lists of G4 alone skip the rest), 47 (geometry 17, made
   once: the values pass keeps each atom's triplet blocks for the contraction pass; the
   contraction's chain rule 30), 8 per distinct angular factor (lambda, zeta) of its G4/G5
   bases (made once, kept), 35 per G4/G5 radial group (bases differing only in lambda and
   zeta: value 5, derivatives and accumulation 30) and 6 per member (value 2, weighted angular
   sums 4), other three-body bases 90; G5 bases summed by moments (integer zeta <= 8,
   |lambda| <= 1, named or any neighbours) with nc monomials of degree <= zeta_max (ng of lower
   degree): per neighbour 2 nc (monomials, both passes) + 10, per neighbour and radial weight
   2 nc (the sums) + 2 (nc + 3 ng) (P and grad P) + 12, per radial weight, class and element
   pair 7 nc (contraction, weights) + 3 nc (gradient rows); the network 4 flops per weight
   (forward, backward). */
static bool restr(int e, int Z) { return e == SANNIP_ANY || e == SANNIP_ZWEIGHT || e == Z; }
static bool by_moments(const sannip_basis *b)
{
    bool n0 = b->nbr[0] >= 1 && b->nbr[0] <= SANNIP_MAX_Z, n1 = b->nbr[1] >= 1 && b->nbr[1] <= SANNIP_MAX_Z;
    return b->kind == SANNIP_G5 && b->zeta == std::floor(b->zeta) && b->zeta >= 1 && b->zeta <= 8 && b->lambda >= -1 && b->lambda <= 1
        && ((n0 && n1) || (b->nbr[0] == SANNIP_ANY && b->nbr[1] == SANNIP_ANY));
}
static bool same_weight(const sannip_basis *a, const sannip_basis *b)
{
    return a->eta == b->eta && a->rs == b->rs && a->cut[0].type == b->cut[0].type && a->cut[0].rc == b->cut[0].rc && a->cut[0].alpha == b->cut[0].alpha;
}
static double count_flops(const sannip_model *m, const sannip_system *sys, sannip_neighbors *nl)
{
    sannip_error err;
    if (sannip_neighbors_build(nl, sys, m->cutoff, &err) != SANNIP_SUCCESS) die("neighbours", &err);
    int nc = std::min(sys->n, 256);
    double fl = 0;
    for (int i = 0; i < nc; i++) {
        int e = sannip_model_element_index(m, sys->Z[i]);
        const sannip_element_model *el = &m->el[e];
        const sannip_network *net = sannip_model_network(m, e);
        size_t s0 = nl->start[i], n = nl->start[i + 1] - s0;
        std::vector<int> weights, groups;   /* moment terms: one per radial weight; one per weight and element pair */
        int deg = 0;
        for (int l = 0; l < net->n_layers; l++) fl += 4.0 * net->sizes[l] * net->sizes[l + 1];
        for (int f = 0; f < el->n_features; f++) {
            const sannip_basis *b = &m->desc.b[el->feature[f]];
            double rc = sannip_basis_cutoff(b);
            if (by_moments(b)) {
                bool w = false, g = false;
                for (size_t q = 0; q < weights.size(); q++) w = w || same_weight(&m->desc.b[el->feature[weights[q]]], b);
                for (size_t q = 0; q < groups.size(); q++) {
                    const sannip_basis *c = &m->desc.b[el->feature[groups[q]]];
                    g = g || (same_weight(c, b) && c->nbr[0] == b->nbr[0] && c->nbr[1] == b->nbr[1]);
                }
                if (!w) weights.push_back(f);
                if (!g) groups.push_back(f);
                deg = std::max(deg, (int)b->zeta);
            }
            if (sannip_basis_is_angular(b)) continue;
            for (size_t p = s0; p < s0 + n; p++) if (nl->r[p] < rc && restr(b->nbr[0], sys->Z[nl->j[p]])) fl += 10;
        }
        if (!weights.empty()) {
            double mc = (deg + 1.0) * (deg + 2) * (deg + 3) / 6, mg = deg * (deg + 1.0) * (deg + 2) / 6;
            fl += n * (2 * mc + 10) + n * weights.size() * (2 * mc + 2 * (mc + 3 * mg) + 12) + groups.size() * 10 * mc;
        }
        for (size_t pj = s0; pj < s0 + n; pj++)
            for (size_t pk = pj + 1; pk < s0 + n; pk++) {
                int zj = sys->Z[nl->j[pj]], zk = sys->Z[nl->j[pk]];
                double rjk = 0;
                for (int a = 0; a < 3; a++) rjk += (nl->d[3 * pk + a] - nl->d[3 * pj + a]) * (nl->d[3 * pk + a] - nl->d[3 * pj + a]);
                rjk = std::sqrt(rjk);
                std::vector<int> leaders, angular;   /* features heading a radial group, an angular factor */
                bool used = false;
                for (int f = 0; f < el->n_features; f++) {
                    const sannip_basis *b = &m->desc.b[el->feature[f]];
                    double rc = sannip_basis_cutoff(b);
                    if (!sannip_basis_is_angular(b) || by_moments(b) || nl->r[pj] >= rc || nl->r[pk] >= rc) continue;
                    if (b->kind == SANNIP_G4 && rjk >= rc) continue;
                    if (!((restr(b->nbr[0], zj) && restr(b->nbr[1], zk)) || (restr(b->nbr[0], zk) && restr(b->nbr[1], zj)))) continue;
                    used = true;
                    if (b->kind != SANNIP_G4 && b->kind != SANNIP_G5) { fl += 90; continue; }
                    fl += 6;
                    bool seen = false;
                    for (size_t q = 0; q < angular.size() && !seen; q++) {
                        const sannip_basis *c = &m->desc.b[el->feature[angular[q]]];
                        seen = c->lambda == b->lambda && c->zeta == b->zeta;
                    }
                    if (!seen) { angular.push_back(f); fl += 8; }
                    seen = false;
                    for (size_t q = 0; q < leaders.size() && !seen; q++) {
                        const sannip_basis *c = &m->desc.b[el->feature[leaders[q]]];
                        seen = c->kind == b->kind && c->eta == b->eta && c->rs == b->rs && c->cut[0].type == b->cut[0].type
                            && c->cut[0].rc == b->cut[0].rc && c->cut[0].alpha == b->cut[0].alpha && c->nbr[0] == b->nbr[0] && c->nbr[1] == b->nbr[1];
                    }
                    if (!seen) { leaders.push_back(f); fl += 35; }
                }
                if (used) fl += 47;
            }
    }
    return fl / nc;
}

/* Double-precision peak of one core in GFLOP/s from /proc/cpuinfo (Linux): clock x 2 FMA
   units x 2 flops x lanes (8 with AVX-512, 4 with AVX2); 0 when unknown. */
static double core_peak_gflops()
{
    FILE *f = std::fopen("/proc/cpuinfo", "r");
    char line[8192];
    double mhz = 0; int lanes = 0;
    if (!f) return 0;
    while (std::fgets(line, sizeof line, f)) {
        if (!mhz && std::strncmp(line, "cpu MHz", 7) == 0) { const char *c = std::strchr(line, ':'); if (c) mhz = std::atof(c + 1); }
        if (!lanes && std::strncmp(line, "flags", 5) == 0) lanes = std::strstr(line, " avx512f") ? 8 : std::strstr(line, " avx2") ? 4 : 2;
    }
    std::fclose(f);
    return mhz * 1e-3 * 2 * 2 * lanes;
}

static double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

/* One potential on one structure file: correctness, then alternating timings. */
static void bench_case(const char *name, const std::string &dir, const std::string &file)
{
    sannip_model m; sannip_workspace ws; sannip_neighbors nl; sannip_structure s; sannip_error err;
    nnp::Prediction p;
    sannip_model_init(&m, NULL);
    if (sannip_n2p2_import_dir(&m, dir.c_str(), &err) != SANNIP_SUCCESS) die(dir.c_str(), &err);
    read_first(file, &s);
    sannip_system sys = sannip_structure_view(&s);
    std::vector<sannip_real> F(3 * (size_t)s.n);
    sannip_real E = 0;
    sannip_workspace_init(&ws, NULL);
    sannip_neighbors_init(&nl, NULL);

    p.log.writeToStdout = false;
    p.fileNameSettings = dir + "/input.nn";
    p.fileNameScaling = dir + "/scaling.data";
    p.formatWeightsFilesShort = dir + "/weights.%03zu.data";
    p.setup();
    p.readStructureFromFile(file);     /* normalised units when the potential has them */
    nnp::Structure ref = p.structure;  /* kept for timing */
    p.predict();                       /* physical units, energy offsets added */
    if (sannip_model_compute(&m, &ws, &sys, &E, NULL, F.data(), NULL, &err) != SANNIP_SUCCESS) die("compute", &err);
    double rel = std::fabs((double)E - p.structure.energy) / std::fabs(p.structure.energy), maxf = 0;
    for (int i = 0; i < s.n; i++)
        for (int d = 0; d < 3; d++) {
            double fn = d == 0 ? p.structure.atoms[i].f[0] : d == 1 ? p.structure.atoms[i].f[1] : p.structure.atoms[i].f[2];
            maxf = std::max(maxf, std::fabs((double)F[3 * i + d] - fn));
        }
    std::printf("%-8s %6d atoms  E sannip %.12g  n2p2 %.12g  rel. diff %.1e  max |dF| %.1e\n", name, s.n, (double)E, p.structure.energy, rel, maxf);
    if (!(rel < 1e-10)) { std::fprintf(stderr, "bench_n2p2: %s: energies differ; not timing a wrong result\n", name); std::exit(1); }

    ref.calculateNeighborList(p.getMaxCutoffRadius());
    std::vector<double> tn, tnl_n, ts, tnl_s;
    for (int r = 0; r < reps; r++) {
        double t0 = cpu_now();
        p.calculateSymmetryFunctionGroups(ref, true);
        p.calculateAtomicNeuralNetworks(ref, true);
        p.calculateEnergy(ref);
        p.calculateForces(ref);
        double t1 = cpu_now();
        ref.calculateNeighborList(p.getMaxCutoffRadius());
        double t2 = cpu_now();
        if (sannip_model_compute(&m, &ws, &sys, &E, NULL, F.data(), NULL, &err) != SANNIP_SUCCESS) die("compute", &err);
        double t3 = cpu_now();
        if (sannip_neighbors_build(&nl, &sys, m.cutoff, &err) != SANNIP_SUCCESS) die("neighbours", &err);
        double t4 = cpu_now();
        tn.push_back(t1 - t0); tnl_n.push_back(t2 - t1); ts.push_back(t3 - t2); tnl_s.push_back(t4 - t3);
    }
    double us = 1e6 / s.n, n2 = median(tn) * us, n2nl = median(tnl_n) * us, sa = median(ts) * us, sanl = median(tnl_s) * us;
    std::printf("         n2p2 %8.1f us/atom (+ neighbour list %.1f)   sannip %8.1f us/atom (%.1f of it neighbour list)\n",
                n2, n2nl, sa, sanl);
    std::printf("         n2p2 / sannip: like for like (no neighbour lists) %.2f   totals %.2f\n", n2 / (sa - sanl), (n2 + n2nl) / sa);
    double fl = count_flops(&m, &sys, &nl), peak = core_peak_gflops(), rate = fl / (sa - sanl) * 1e-3;
    std::printf("         sannip %.2f Mflop/atom (counted), %.2f GFLOP/s without the neighbour list", fl * 1e-6, rate);
    if (peak > 0) std::printf(", %.1f%% of the core's peak (%.0f GFLOP/s)", 100 * rate / peak, peak);
    std::printf("\n");
    std::fflush(stdout);
    sannip_neighbors_uninit(&nl); sannip_workspace_uninit(&ws); sannip_structure_uninit(&s); sannip_model_uninit(&m);
}

/* sannip alone on k^3 supercells of a structure (issue 16: per-atom cost flat in N): E+F
   us/atom (CPU time, median of reps) and its ratio to the first size. */
static void scaling_case(const char *name, const std::string &dir, const std::string &file, const int *ks, int nk)
{
    sannip_model m; sannip_workspace ws; sannip_structure s, t; sannip_error err;
    double first = 0;
    sannip_model_init(&m, NULL);
    if (sannip_n2p2_import_dir(&m, dir.c_str(), &err) != SANNIP_SUCCESS) die(dir.c_str(), &err);
    read_first(file, &s);
    sannip_workspace_init(&ws, NULL);
    for (int q = 0; q < nk; q++) {
        make_supercell(&s, ks[q], t);
        sannip_system sys = sannip_structure_view(&t);
        std::vector<sannip_real> F(3 * (size_t)t.n);
        std::vector<double> ts;
        sannip_real E;
        if (sannip_model_compute(&m, &ws, &sys, &E, NULL, F.data(), NULL, &err) != SANNIP_SUCCESS) die("compute", &err);
        for (int r = 0; r < reps; r++) {
            double t0 = cpu_now();
            if (sannip_model_compute(&m, &ws, &sys, &E, NULL, F.data(), NULL, &err) != SANNIP_SUCCESS) die("compute", &err);
            ts.push_back(cpu_now() - t0);
        }
        double us = median(ts) * 1e6 / t.n;
        if (q == 0) first = us;
        std::printf("scaling  %-6s %6d atoms  sannip E+F %7.1f us/atom  (%.3f of the %d-atom figure)\n", name, t.n, us, us / first, s.n * ks[0] * ks[0] * ks[0]);
        std::fflush(stdout);
        sannip_structure_uninit(&t);
    }
    sannip_workspace_uninit(&ws); sannip_structure_uninit(&s); sannip_model_uninit(&m);
}

/* A potential on its structure and on the k x k x k supercell of it (written to big). */
static void bench_sizes(const char *name, const std::string &dir, const std::string &file, int k, const std::string &big)
{
    sannip_structure s;
    bench_case(name, dir, file);
    read_first(file, &s);
    write_supercell(&s, k, big);
    sannip_structure_uninit(&s);
    bench_case(name, dir, big);
}

int main(int argc, char **argv)
{
    if (argc < 3) { std::fprintf(stderr, "usage: bench_n2p2 SHARED N2P2_DIR [quick] [water|cu2s] [scaling]\n"); return 2; }
    std::string shared = argv[1], n2p2 = argv[2];
    int quick = 0, only_water = 0, only_cu2s = 0, scaling = 0;
    for (int a = 3; a < argc; a++) {
        quick |= std::strcmp(argv[a], "quick") == 0;
        only_water |= std::strcmp(argv[a], "water") == 0;
        only_cu2s |= std::strcmp(argv[a], "cu2s") == 0;
        scaling |= std::strcmp(argv[a], "scaling") == 0;
    }
    if (quick) reps = 3;
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    std::printf("bench_n2p2: n2p2 (libnnp of %s) and sannip in one run, one thread, CPU time, median of %d\n", n2p2.c_str(), reps);
    std::string water = shared + "/peers/n2p2/H2O_RPBE-D3", cu2s = n2p2 + "/examples/nnp-predict/Cu2S_PBE";
    std::string tmp = "build/bench_n2p2_";
    if (scaling) {   /* sannip alone, about 1k to 70k atoms */
        const int kw[4] = { 1, 2, 3, 4 }, kc[4] = { 2, 4, 6, 8 };
        if (!only_cu2s) scaling_case("water", water, water + "/liquid1080.data", kw, 4);
        if (!only_water) scaling_case("Cu2S", cu2s, cu2s + "/input.data", kc, 4);
        return 0;
    }
    if (!only_cu2s) bench_sizes("water", water, water + "/liquid1080.data", 2, tmp + "water8640.data");
    if (!only_water) bench_sizes("Cu2S", cu2s, cu2s + "/input.data", 4, tmp + "cu2s9216.data");
    return 0;
}
