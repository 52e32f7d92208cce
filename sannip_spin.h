/* sannip_spin.h - v0.1.0 - spin configurations, magnetic observables, spin Monte Carlo and
   the random spin committee for sannip. MIT-0 or public domain (see the end of sannip.h).

   In exactly one C or C++ file:
       #define SANNIP_IMPLEMENTATION
       #include "sannip_spin.h"       // includes sannip.h

   SANNIP_IMPLEMENTATION is the umbrella for the implementations of every sannip header
   included after it. SANNIP_SPIN_IMPLEMENTATION (sokol-style guard) switches on this
   header's alone; it needs sannip.h's implementation in the same file (it calls sannip.h's
   static helpers of the "for sibling headers" section), else #error. It does not need
   sannip_train.h.

   WHAT IS WHERE. The spin bases (descriptor kinds SANNIP_SPIN_*: thesis bases 000, 000a,
   000b and 001, T3.1-3.20, and the proposed F1-F6, T5.1-5.6) with their position and spin
   derivatives, and the effective field -dE/dS of a model (sannip_model_compute_field), are
   in sannip.h, so evaluating a spin-aware model needs sannip.h only. This header adds the
   physics of spins around such models: local energy changes of single-spin moves, spin
   configurations (T sec. 3.3.3, 3.3.6), magnetic observables (T4.1-4.4), Metropolis Monte
   Carlo with its protocols (T sec. 4.3) and the random spin committee of Carare, Deringer &
   Csanyi 2024. Spins are 3-vectors per atom (collinear moments as z components).

   EQUATION TAGS (as in sannip.h)
   T3.29 = equation (3.29) of D. Bloore's thesis (SANNIP, 2021); T sec. 4.3.1 = its section
   4.3.1; T fig. 4.22 = its figure 4.22. C = Carare, Deringer & Csanyi 2024, the random spin
   committee paper (C fig. 3 = its figure 3). Holm & Janke 1993 = Phys. Rev. B 48, 936.

   OPTIONS (define before including the implementation; sannip.h's table has the details)
   | macro                          | effect here                                          |
   |--------------------------------|------------------------------------------------------|
   | SANNIP_IMPLEMENTATION          | emit this implementation (and sannip.h's, ...)       |
   | SANNIP_SPIN_IMPLEMENTATION     | emit this implementation only (sannip.h's in the     |
   |                                | same file)                                           |
   | SANNIP_FLOAT                   | spins (sannip_real) in float; energies, temperatures |
   |                                | and observables of the Monte Carlo stay double       |
   | SANNIP_STATIC, SANNIP_API      | linkage, as in sannip.h                              |
   | SANNIP_MALLOC/REALLOC/FREE     | default allocator (where no sannip_allocator is      |
   |                                | given: walkers and scans use sannip_mc_config.alloc) |
   | SANNIP_NO_STDIO                | removes sannip_rsc_save_xyz                          |
   | SANNIP_NO_OPENMP               | walkers, scans, committee structures and SLD sectors |
   |                                | run serially                                         |
   |                                | (same results: bit-identical for any thread count)   |
   | SANNIP_MAX_ATOMS               | largest number of spins of a generator or chain      |
   Constants (not options): SANNIP_KB_EV_PER_K (Boltzmann constant, eV/K) and
   SANNIP_MC_MAX_BLOCKS (largest number of batches for error bars).

   QUICK START (a Curie scan of the built-in Heisenberg model; for a trained spin-aware
   model use sannip_spin_local_init and sannip_spin_local_mc_model instead of the first two
   calls, and T in K with cfg.kB = 0)
       sannip_mc_heisenberg h; sannip_mc_stats st[3]; sannip_error err;
       sannip_real init[3 * 512];
       double T[3] = { 1.3, 1.45, 1.6 };                         // k_B T in units of J
       sannip_mc_heisenberg_init(&h, 8, 1.0, NULL, &err);        // 8^3 sites, J = 1, unit spins
       sannip_mc_model model = sannip_mc_heisenberg_model(&h);
       sannip_mc_spins_start(SANNIP_MC_START_FM, h.n, 1.0, NULL, NULL, NULL, init, &err);
       sannip_mc_config cfg = sannip_mc_config_init(T[0]);
       cfg.kB = 1;                                               // temperatures in energy units
       if (sannip_mc_curie_scan(&model, 1, init, 3, T, 1, &cfg, 42, st, NULL, &err))
           { fprintf(stderr, "%s\n", err.message); return 1; }
       for (int i = 0; i < 3; i++) printf("%g %g %g\n", st[i].T, st[i].m.mean, st[i].u4.mean);
       sannip_mc_heisenberg_uninit(&h);

   SECTIONS (grep -i for them; the implementation uses the same names in lower case):
   1. LOCAL ENERGY CHANGES  2. SPIN CONFIGURATIONS  3. MAGNETIC OBSERVABLES
   4. SPIN MONTE CARLO  5. MONTE CARLO MODELS  6. RANDOM SPIN COMMITTEE
   7. SPIN-LATTICE DYNAMICS

   FUNCTION INDEX (by section)
   1. LOCAL ENERGY CHANGES (a spin-aware sannip_model, positions fixed)
     sannip_spin_local_init          caches for pricing single-spin moves of a system
     sannip_spin_local_uninit        free them
     sannip_spin_local_delta         energy change if spin k took a new value
     sannip_spin_local_accept        make that move (caches updated locally)
     sannip_spin_local_energy        total energy of the current spins
     sannip_spin_local_set_spins     load all spins, rebuild the caches
   2. SPIN CONFIGURATIONS
     sannip_spin_fm                  ferromagnetic, all +z (T3.33)
     sannip_spin_perturbed_fm        perturbed FM (T3.29-3.31, "1 -" corrected)
     sannip_spin_pm                  paramagnetic, uniform on the sphere (T3.32)
     sannip_spin_111r                random first-octant directions (T3.33)
     sannip_spin_000r                random cube directions about the origin (T3.33)
     sannip_spin_afm                 collinear AFM by given signs or alternating
     sannip_spin_afm_pp              collinear AFM + + - - ...
     sannip_spin_afm_random          collinear AFM with random up/down sites
     sannip_spin_sublattice          bcc / fcc(001) sublattice signs of a supercell
   3. MAGNETIC OBSERVABLES
     sannip_spin_magnetization_ratio |sum S| / sum |S| (T4.1)
     sannip_spin_polar_variance      variance of the polar angle from the net spin (T4.2-4.4)
     sannip_spin_mean_magnitude      mean |S| of the magnetic atoms of structures
   4. SPIN MONTE CARLO
     sannip_mc_config_init           default run parameters at temperature T
     sannip_mc_config_check          validate run parameters
     sannip_mc_rng_stream            the RNG stream of walker w
     sannip_mc_init                  a Markov chain on an energy model
     sannip_mc_uninit                free a chain
     sannip_mc_set_spins             load a configuration into chain and model
     sannip_mc_set_temperature       change the temperature
     sannip_mc_resync                recompute sums and energy (drop rounding drift)
     sannip_mc_attempt               one Metropolis move (T sec. 4.3.1)
     sannip_mc_sweep                 n attempted moves
     sannip_mc_run                   equilibration + production with error bars
     sannip_mc_advance               the same run in pieces
     sannip_mc_save                  the chain's full state (also mid-run) as text
     sannip_mc_restore               continue a chain from that text (bit-identical)
     sannip_mc_checkpoint            reload the model, then save
     sannip_mc_spins_start           FM / PM / AFM starting spins (T sec. 4.3.1 step 2)
     sannip_mc_walkers               independent walkers in parallel, pooled statistics
     sannip_mc_hysteresis            several starts at one temperature (T sec. 4.3.2)
     sannip_mc_curie_scan            temperature scan from one start (T sec. 4.3.3)
     sannip_mc_chi_peak              T_c from the susceptibility peak
     sannip_mc_binder_crossing       T_c from the crossing of two Binder curves
     sannip_mc_write_csv             scan statistics as a CSV table
   5. MONTE CARLO MODELS (sannip_mc_model implementations)
     sannip_mc_heisenberg_init       nearest-neighbour classical Heisenberg model, sc lattice
     sannip_mc_heisenberg_uninit     free it
     sannip_mc_heisenberg_model      its sannip_mc_model interface
     sannip_mc_heisenberg_energy     its full energy of any configuration
     sannip_mc_heisenberg_sublattice its AFM sublattice signs
     sannip_mc_full_init             adapter: a full-energy callback as a model
     sannip_mc_full_uninit           free the adapter
     sannip_mc_full_model            the adapter's sannip_mc_model interface
     sannip_spin_local_mc_model      a sannip_spin_local (trained model) as a sannip_mc_model
     sannip_mc_zeeman_init           an external field (Zeeman term) on any model
     sannip_mc_zeeman_uninit         free the wrapper
     sannip_mc_zeeman_model          its sannip_mc_model interface
   6. RANDOM SPIN COMMITTEE (C)
     sannip_rsc_config_init          default committee configuration (15 members, U[-1/2, 1/2])
     sannip_rsc_result_init          empty result (uninit: sannip_rsc_result_uninit)
     sannip_rsc_result_uninit        free a result
     sannip_rsc_run                  run every member of every structure through an oracle
     sannip_rsc_best                 lowest converged member among a set (meta-committee)
     sannip_rsc_best_first           best of the first k random members (C fig. 3a)
     sannip_rsc_draw                 a seeded draw of k random members
     sannip_rsc_select               a best-of-k choice for every structure
     sannip_rsc_write_xyz            the chosen members as extended XYZ text
     sannip_rsc_save_xyz             the same into a file (atomic)
   7. SPIN-LATTICE DYNAMICS (Tranchida et al. 2018 splitting, Langevin lattice and spins)
     sannip_sld_config_init          defaults (zero means default in every field)
     sannip_sld_config_check         validate run parameters
     sannip_sld_init                 a run from positions, velocities, spins and masses
     sannip_sld_uninit               free it
     sannip_sld_step                 one time step
     sannip_sld_run                  n steps with samples through config.on_sample
     sannip_sld_observe              energies, temperatures, magnetisation now
     sannip_sld_refresh              re-evaluate after the caller changed the state
     sannip_sld_maxwell              Maxwell-Boltzmann velocities
     sannip_sld_reverse              time reversal (v -> -v, S -> -S)
     sannip_sld_network_init         a spin-aware network as an SLD model
     sannip_sld_network_uninit       free the adapter
     sannip_sld_network_model        its sannip_sld_model interface
     sannip_sld_heisenberg_model     the built-in Heisenberg model as an SLD model
     sannip_element_mass             standard atomic mass of element Z

   UNITS AND CONVENTIONS
   Spins: n x 3, spins[3*i+a], in the units of the model or of the caller (mu_B for
   sannip.h's spin presets and for DFT moments; the toy-iron examples and the committee's
   default starts U[-1/2, 1/2] use hbar units). Energies: the model's (eV for sannip's
   presets; J units for the Heisenberg model). Temperatures: K with k_B =
   SANNIP_KB_EV_PER_K = 8.617333262e-5 eV/K (CODATA 2018) when config.kB = 0, or energy
   units when config.kB = 1 (any other kB: the caller's units). Susceptibility chi in
   spin^2 per energy per spin, specific heat in units of k_B per spin. Monte Carlo energies
   and observables are double whatever sannip_real is.

   THREAD SAFETY: objects (sannip_spin_local, sannip_mc, a model instance, sannip_rsc_result)
   are used by one thread at a time; the generators and observables are pure functions;
   sannip_mc_walkers, the scans and sannip_rsc_run parallelise internally (one model instance
   per walker) and give bit-identical results for any number of threads.

   DOES NOT: print, exit, abort, keep global state, call rand(), allocate per Monte Carlo
   move, set the OpenMP thread count, or call one model instance from two threads at once.
   It runs no DFT: the committee's oracle is the caller's.
*/
#ifndef SANNIP_SPIN_H
#define SANNIP_SPIN_H
#include "sannip.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ==== 1. LOCAL ENERGY CHANGES =========================================================
   Local energy changes of a spin-aware model (T sec. 4.3.1 moves, priced locally).
   The state a Monte Carlo run needs to price the move of one spin without recomputing the
   system: positions are fixed, so the neighbour list, the geometric features and the
   first-layer pre-activations are cached. A move of spin k changes only the spin features of
   k and of the atoms that have k as a neighbour: pair-sum bases (S2-S5 and their Gaussians)
   are updated by the difference of k's pair terms, F1-F6 (T5.1-5.6) are evaluated from
   neighbour sums per atom (M, A, W and the sums of S_j/|S_j|_e and of its outer square,
   updated by the difference of k's terms in double), atom k itself is re-evaluated, and only
   those atoms' networks run (a dense first layer is updated for the changed spin features
   only). The cost of a move does not grow with the number of atoms.
   Energies in the model's units (eV for sannip's presets), spins in the spin bases' units.
   Caller-owned (init/uninit); the fields are the caches, read-only for the caller. One
   sannip_spin_local per thread (delta stores the pending move); the model it points to must
   outlive it and may be shared read-only by several of them. */
typedef struct sannip_spin_local {
    const sannip_model *m;
    int n;
    sannip_real *pos, *spins, cell[9];
    int *Z, pbc[3], *el;          /* el: element index of each atom */
    sannip_neighbors nl;
    /* reverse pairs within the spin cutoff, entry q in rev_start[k]..rev_start[k+1] for the
       atoms that see k, by centre: the centre rctr[q], the unit vector ru[3q..] from it to k
       and the cutoff values rfc[q nsc + c] (contiguous per k: a move reads one block) */
    size_t *rev_start;
    int *rctr;
    sannip_real *ru, *rfc;
    int fmax, hmax, h1max, nmax, smax;
    sannip_real spin_rc;          /* largest cutoff of the spin bases: farther atoms never change */
    sannip_real *G, *z1, *eat;    /* raw features (n x fmax), first-layer z (n x hmax), E_i */
    int *nspin, *spinf;           /* per element: spin feature positions spinf[e fmax ..] */
    int *dense1;                  /* per element: first layer dense (incremental update) */
    /* the pending move (delta's result, committed by accept) */
    int tk; sannip_real ts[3]; int tvalid;
    int naff, *aff;
    size_t *grp;                  /* affected atom q: its reverse entries are grp[2q]..grp[2q+1] */
    int nsc, *scid;               /* distinct cutoffs of the neighbour spin bases (pair sums, F1-F6); id per spin feature */
    sannip_real *xb; int *xo;     /* batched Gaussian arguments of a delta, and their features */
    sannip_real *vb;              /* brackets of k's images (new, old) for the pair sums of a delta */
    const sannip_cutoff **scut;   /* the nsc distinct cutoffs (the model's) */
    /* F1-F6 neighbour sums: keys (cutoff id fkc, neighbour element fkn, eps fke), the key of
       each spin feature fkey[e fmax + s] (-1: none); per atom and key 14 sums over its
       neighbours (M 3, A, W, N = sum fc S_j/|S_j|_e 3, its outer square 6): fsum (n x nfk x
       14), the trial sums of a delta's affected atoms tfs ((nmax + 2) x nfk x 14) */
    int nfk, *fkey, *fkc, *fkn;
    sannip_real *fke;
    double *fsum, *tfs;
    sannip_real *tS, *tz1, *te, *work, *Sn;   /* trial spin features (naff x smax), z1, E_i */
    size_t work_size;             /* reals in work */
    sannip_allocator alloc;
} sannip_spin_local;

/* Builds the caches for system sys (its spins are copied; sys->spins required).
   [out] L, [in] m (kept by pointer), sys (copied), [in, optional] alloc, err. Returns the
   codes of sannip_system_check, SANNIP_INVALID_ARGS (no spins, no elements),
   SANNIP_UNKNOWN_ELEMENT or SANNIP_OUT_OF_MEMORY; L holds nothing to free on failure.
   uninit frees every cache. */
SANNIP_API sannip_result sannip_spin_local_init(sannip_spin_local *L, const sannip_model *m, const sannip_system *sys,
                                                const sannip_allocator *alloc, sannip_error *err);
SANNIP_API void sannip_spin_local_uninit(sannip_spin_local *L);
/* Energy change if spin k became s_new (3 values). The state is unchanged.
   [in, out] L (the pending move), [in] k (0..n-1), s_new; [out] dE (energy units).
   SANNIP_INVALID_ARGS (k out of range), SANNIP_NONFINITE (s_new). */
SANNIP_API sannip_result sannip_spin_local_delta(sannip_spin_local *L, int k, const sannip_real *s_new, double *dE);
/* Spin k becomes s_new (reuses the pending delta when it was for the same move).
   [in, out] L, [in] k, s_new. */
SANNIP_API sannip_result sannip_spin_local_accept(sannip_spin_local *L, int k, const sannip_real *s_new);
/* Total energy of the current state (fixed-order sum of the cached atom energies). */
SANNIP_API double sannip_spin_local_energy(const sannip_spin_local *L);
/* Loads all spins (n x 3) and rebuilds every cache from scratch (also clears rounding drift).
   [in, out] L, [in] spins (copied). */
SANNIP_API sannip_result sannip_spin_local_set_spins(sannip_spin_local *L, const sannip_real *spins, sannip_error *err);

/* ==== 2. SPIN CONFIGURATIONS ==========================================================
   The thesis's spin specifications (T sec. 3.3.3 and, for the Low T Ramp, T sec. 3.3.6).
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

/* Ferromagnetic: every spin along +z (T sec. 3.3.3, T3.33 s_FM = (0,0,1)). */
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

/* Collinear antiferromagnets along +-z (T sec. 3.3.3: "different orders of opposite
   spin ... each system's magnetic moment initialization has a net value of zero"). In all
   three the k-th up spin (in atom order) and the k-th down spin share one magnitude (the up
   spin's draw), so the net moment is exactly zero whenever there are as many up as down
   spins, with random magnitudes too. An unpaired spin keeps its own magnitude.
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

/* ==== 3. MAGNETIC OBSERVABLES =========================================================
   Pure functions of their [in] arguments (spins n x 3, any units): thread-safe, never
   allocate. */
/* Magnetisation ratio |sum S| / sum |S| (T4.1): 1 for FM, ~0 for PM and AFM. 0 when all
   spins are zero. spins: n x 3. */
SANNIP_API double sannip_spin_magnetization_ratio(int n, const sannip_real *spins);
/* Variance of the polar angle of each spin measured from the net spin direction (T4.2-4.4):
   0 for FM, pi^2/4 - 2 for PM, pi^2/4 for AFM. With zero net spin the angle is taken from +z;
   zero spins are skipped. In rad^2. */
SANNIP_API double sannip_spin_polar_variance(int n, const sannip_real *spins);
/* Mean |S| over the atoms of structures s[0..n) whose |S| exceeds 1e-3 (the magnetic atoms;
   non-magnetic ones carry ~0), 1 when there are none: the scale of
   sannip_descriptors_preset_spin_scaled. [in] s[0..n) (structures without spins count no
   atoms). In the structures' spin units. */
SANNIP_API double sannip_spin_mean_magnitude(const sannip_structure *s, int n);


/* ==== 4. SPIN MONTE CARLO (T sec. 4.3) ================================================

   Metropolis Monte Carlo over the spins of a fixed lattice (T sec. 4.3.1). The engine talks
   to the energy model only through sannip_mc_model: "energy change if spin k became s_new"
   (delta), "spin k is now s_new" (accept) and "total energy" (energy), so a neural-network
   model with incremental local updates, the built-in nearest-neighbour Heisenberg model and
   the naive "recompute E(spins) every move" adapter plug in the same way.

   Moves (site k uniform among the n spins; a zero spin, an atom without a moment such as
   oxygen in NiO, is skipped: it never moves and the pick is not counted as an attempt, so
   the acceptance rate and the step adaptation see the magnetic atoms only):
     zeroth order: a fresh paramagnetic draw, direction uniform on the sphere (T3.32),
                   magnitude kept or drawn from mu(|S|);
     first order:  the direction turned a little, S' ~ (S/|S| + step u)/|...|, u uniform on the
                   unit sphere, magnitude kept or drawn from mu (T sec. 4.3.1, "small angle
                   perturbation and a random draw for magnitude");
     collinear mode (spins along z): zeroth order draws the sign, first order flips it.
   Acceptance min(1, exp(-dE / kB T)) (T sec. 4.3.1, steps 3-4 of its algorithm). One
   uniform is drawn for every attempt, accepted or not, so two models whose dE agree to
   rounding follow the same chain.
   Stationary distribution: both proposals are symmetric in direction and draw magnitudes
   independently of the current one, so the chain samples
       P(S_1..S_n) ~ exp(-E / kB T) prod_i mu(|S_i|) dOmega_i,
   i.e. mu is the a-priori measure of the magnitudes (fixed magnitudes: mu = delta).
   Runs stop after a number of sweeps (n attempts each) or of accepted moves (T sec. 4.3.1,
   step 5), with an equilibration phase first (where, optionally, the first-order step adapts
   to a target acceptance; it is frozen in production, which keeps detailed balance).

   Observables (per sample, every measure_every sweeps of the production phase):
     m = |sum_i S_i| / n, the magnetisation ratio |sum S| / sum |S| (T4.1), the polar-angle
     variance (T4.2-4.4), e = E / n; estimates with error bars from batch means and a
     jackknife over the batches: <m>, ratio, polar variance, <e>,
       chi = n (<m^2> - <m>^2) / kB T        (spin^2 / energy, per spin),
       c   = n (<e^2> - <e>^2) / (kB T)^2    (specific heat per spin in units of kB),
       U4  = 1 - <m^4> / (3 <m^2>^2)         (Binder cumulant),
     and the acceptance rate. The net spin sum (and sum |S|) is kept incrementally, O(1) per
     move; the energy is the model's energy at the start plus the accepted dE.

   Protocols: independent walkers (OpenMP), hysteresis (several starts at one temperature,
   T sec. 4.3.2), Curie scans over a temperature grid (T sec. 4.3.3), T_c from the
   susceptibility peak and from Binder-cumulant crossings, and a CSV writer for the scans.

   UNITS: temperatures in K and energies in eV with kB = 8.617333262e-5 eV/K, or set
   config.kB = 1 to give temperatures in energy units (e.g. T in J/kB for the Heisenberg
   model). Spins in whatever unit the model uses.

   DETERMINISM: walker w uses the RNG stream sannip_mc_rng_stream(seed, w) and its own model
   instance; every result is bit-identical for any number of OpenMP threads.

   DOES NOT: print, allocate per move, keep global state, or call the model from two threads
   at once (one model instance per walker).
*/
#define SANNIP_KB_EV_PER_K 8.617333262e-5   /* Boltzmann constant, eV/K (CODATA 2018) */
#define SANNIP_MC_MAX_BLOCKS 64             /* largest config.n_blocks */

/* ---- energy-model interface ------------------------------------------------------------
   A model holds its own copy of the n spins (n x 3, sannip_real like sannip_system.spins, so
   in float builds the engine and the model see the same bits). Callbacks return
   SANNIP_SUCCESS or an error code that the engine passes on. The engine calls one model from
   one thread at a time. */
typedef struct sannip_mc_model {
    int n;          /* number of spins the model describes */
    void *user;     /* the model's state, passed to every callback */
    /* [out] *dE = E(spin k set to s_new[0..2]) - E(current). Must not change the state. */
    sannip_result (*delta)(void *user, int k, const sannip_real *s_new, double *dE);
    /* Commit: spin k becomes s_new (the model updates its caches). */
    sannip_result (*accept)(void *user, int k, const sannip_real *s_new);
    /* [out] *E = current total energy (called at start and on sannip_mc_resync; may be slow). */
    sannip_result (*energy)(void *user, double *E);
    /* Optional (NULL: the engine calls accept for every spin): load a whole configuration
       (n x 3) and rebuild the caches from scratch. */
    sannip_result (*set_spins)(void *user, const sannip_real *spins);
} sannip_mc_model;

/* The move kinds of T sec. 4.3.1 (set-up step 3) and the a-priori measure mu of the
   magnitudes (the thesis's mu_||s||; mag_a, mag_b in spin units). */
typedef enum sannip_mc_move { SANNIP_MC_FIRST = 0, SANNIP_MC_ZEROTH = 1 } sannip_mc_move;
typedef enum sannip_mc_magnitude {
    SANNIP_MC_MAG_KEEP = 0,     /* magnitudes fixed at their starting values */
    SANNIP_MC_MAG_UNIFORM = 1,  /* mu = U[mag_a, mag_b] */
    SANNIP_MC_MAG_NORMAL = 2    /* mu = |N(mag_a, mag_b^2)| (folded normal) */
} sannip_mc_magnitude;
typedef enum sannip_mc_unit {
    SANNIP_MC_SWEEPS = 0,       /* equil and length count sweeps (n attempts each) */
    SANNIP_MC_ACCEPTED = 1      /* equil and length count accepted moves (T sec. 4.3.1, step 5) */
} sannip_mc_unit;
/* Starting configurations (T sec. 4.3.1, set-up step 2) for sannip_mc_spins_start. */
typedef enum sannip_mc_start {
    SANNIP_MC_START_FM = 0,     /* all along +z */
    SANNIP_MC_START_PM = 1,     /* directions uniform on the sphere (T3.32); collinear: signs */
    SANNIP_MC_START_AFM = 2     /* +z / -z by sublattice */
} sannip_mc_start;

/* One measurement, passed to config.on_sample (equilibration and production) for
   equilibration checks and time series. */
typedef struct sannip_mc_sample {
    int walker, temp_index;     /* walker and temperature index (0 for sannip_mc_run) */
    int phase;                  /* 0 equilibration, 1 production */
    int64_t sweep;              /* attempts of this phase / n */
    int64_t attempted, accepted;/* counters of this phase */
    double T;                   /* temperature (config units) */
    double E, e, m, ratio;      /* energy, E/n, |sum S|/n, |sum S|/sum|S| */
    double polar;               /* polar-angle variance (NaN when config.skip_polar) */
    double step;                /* current first-order step */
} sannip_mc_sample;

/* Run parameters. Zero-means-default (see sannip.h, PER-FUNCTION NOTES): `cfg = {0}` with T
   set is a valid run; sannip_mc_config_init(T) writes the same defaults out. */
typedef struct sannip_mc_config {
    double T;                   /* temperature, > 0 (no default) */
    double kB;                  /* Boltzmann constant; 0: SANNIP_KB_EV_PER_K (T in K, energies
                                   in eV); 1: T in energy units */
    int move;                   /* sannip_mc_move; 0 = SANNIP_MC_FIRST */
    int collinear;              /* 1: spins are (0, 0, s_z) (collinear moments) */
    int magnitude;              /* sannip_mc_magnitude; 0 = SANNIP_MC_MAG_KEEP */
    double mag_a, mag_b;        /* parameters of mu (see sannip_mc_magnitude; unused by KEEP) */
    double step;                /* first-order step, > 0; 0: 0.5 (the largest turn is asin(step)
                                   for step < 1, any angle for step >= 1) */
    int no_adapt;               /* 0: tune step during equilibration only; 1: never */
    double target_acceptance;   /* of the step adaptation, in (0, 1); 0: 0.5 */
    int unit;                   /* sannip_mc_unit of equil and length; 0 = SANNIP_MC_SWEEPS */
    int64_t equil;              /* equilibration length; 0: 1000; SANNIP_OFF: none */
    int64_t length;             /* production length, > 0; 0: 10000 */
    int64_t max_sweeps;         /* SANNIP_MC_ACCEPTED: cap per phase, sweeps (0: 1000 x
                                   the sweeps the target would need at acceptance 1) */
    int measure_every;          /* sweeps between samples, >= 1; 0: 1 */
    int n_blocks;               /* batches for error bars, 2..SANNIP_MC_MAX_BLOCKS; 0: 32
                                   (between n_blocks and 2 n_blocks + 1 are used) */
    int skip_polar;             /* 1: skip the polar-angle variance (O(n) acos per sample) */
    /* [optional] called with every sample, from the walker's thread (so with several walkers
       it must be thread-safe, e.g. write to storage indexed by s->walker). */
    void (*on_sample)(void *user, const sannip_mc_sample *s);
    void *sample_user;
    /* [optional] memory of the walker protocols (sannip_mc_walkers, _hysteresis,
       _curie_scan: their chains and results); zero: the default allocator */
    sannip_allocator alloc;
} sannip_mc_config;

typedef struct sannip_mc_value { double mean, err; } sannip_mc_value;  /* err: 1 sigma */

/* Estimates of one production run (or pooled over walkers). err is NaN with < 2 batches.
   Units: m and ratio as the spins (ratio dimensionless), polar in rad^2, e energy per spin,
   chi spin^2 per energy per spin, cv in k_B per spin (kT in energy units). */
typedef struct sannip_mc_stats {
    double T, kT;               /* temperature (config units) and kB T */
    sannip_mc_value m;          /* <|sum S|> / n */
    sannip_mc_value ratio;      /* magnetisation ratio T4.1 */
    sannip_mc_value polar;      /* polar-angle variance T4.2-4.4 */
    sannip_mc_value e;          /* <E> / n */
    sannip_mc_value chi;        /* n (<m^2> - <m>^2) / kT */
    sannip_mc_value cv;         /* n (<e^2> - <e>^2) / kT^2 */
    sannip_mc_value u4;         /* 1 - <m^4> / (3 <m^2>^2) */
    double acceptance;          /* accepted / attempted in production */
    double step;                /* first-order step used in production (mean over walkers) */
    int64_t attempted, accepted, samples;
    int blocks;                 /* batches behind the error bars */
    int hit_limit;              /* 1: an accepted-moves phase stopped at max_sweeps */
} sannip_mc_stats;

/* Where the chain's current run stands (sannip_mc_run, sannip_mc_advance). */
typedef struct sannip_mc_progress {
    int phase;                  /* -1 no run yet, 0 equilibration, 1 production */
    int hit_limit;              /* an accepted-moves phase stopped at max_sweeps */
    int64_t att;                /* attempts made in this phase */
    int64_t acc0;               /* accepted moves of the chain at the start of the phase */
    int64_t win_att0, win_acc0; /* counters at the start of the step-adaptation window */
    int64_t prod_att0, prod_acc0;   /* counters at the start of production */
} sannip_mc_progress;

/* One Markov chain. Caller-owned; init/uninit. Fields are readable; change them only
   through the functions below. One chain (and its model instance) per thread. */
typedef struct sannip_mc {
    int n;
    sannip_real *spins;         /* n x 3, current configuration (owned) */
    double *mag;                /* n, current magnitudes (owned) */
    double M[3];                /* sum_i S_i, kept incrementally */
    double sum_mag;             /* sum_i |S_i|, kept incrementally */
    double E;                   /* model energy at the last (re)load + accepted dE */
    double beta;                /* 1 / (kB T) */
    double step;                /* current first-order step */
    int64_t attempted, accepted;/* since init */
    int walker, temp_index;     /* labels passed to on_sample */
    sannip_mc_model model;
    sannip_mc_config cfg;
    sannip_rng rng;
    sannip_allocator alloc;
    sannip_mc_progress run;     /* the current (or last) run */
    struct sannip__mc_acc *acc; /* its production batch sums (owned; NULL before the first run) */
} sannip_mc;

/* Defaults at temperature T (config units; kB = 0 means kelvin). [in] cfg for check. */
SANNIP_API sannip_mc_config sannip_mc_config_init(double T);
/* SANNIP_BAD_PARAMETER for T <= 0 or NaN, kB < 0, step <= 0, a bad mu, n_blocks out of range,
   ...; SANNIP_INVALID_ARGS for a NULL cfg. */
SANNIP_API sannip_result sannip_mc_config_check(const sannip_mc_config *cfg, sannip_error *err);
/* The RNG stream of walker w: seed splitmix64(seed), then w + 1 sannip_rng_split jumps
   (2^128 steps apart, never overlapping). Stream 0 is sannip_rng_seed(seed). [out] out.
   Thread-safe. */
SANNIP_API void sannip_mc_rng_stream(uint64_t seed, int w, sannip_rng *out);

/* [out] mc; [in] model (copied; its state is loaded with spins), spins (n x 3, copied),
   cfg (copied), rng (copied: the chain's stream), [in, optional] alloc.
   Collinear mode needs x = y = 0 in every spin. Calls model->set_spins (or accept for
   every spin) and model->energy. On failure mc holds nothing to free (uninit is safe).
   The model's state (model->user) must outlive mc and is used by mc alone while it runs.
   uninit frees the chain's arrays (not the model). */
SANNIP_API sannip_result sannip_mc_init(sannip_mc *mc, const sannip_mc_model *model,
        const sannip_real *spins, const sannip_mc_config *cfg, const sannip_rng *rng,
        const sannip_allocator *alloc, sannip_error *err);
SANNIP_API void sannip_mc_uninit(sannip_mc *mc);
/* The chain functions below take [in, out] mc and return SANNIP_SUCCESS or the code of
   the failing model callback (or of a bad argument).
   sannip_mc_set_spins: loads a new configuration ([in] spins, n x 3, copied) into the
   chain and the model (counters kept). */
SANNIP_API sannip_result sannip_mc_set_spins(sannip_mc *mc, const sannip_real *spins, sannip_error *err);
/* New temperature (config units, > 0; SANNIP_BAD_PARAMETER otherwise). */
SANNIP_API sannip_result sannip_mc_set_temperature(sannip_mc *mc, double T, sannip_error *err);
/* Recomputes M and sum |S| from the spins and E from model->energy (removes the rounding
   the incremental updates accumulate). */
SANNIP_API sannip_result sannip_mc_resync(sannip_mc *mc, sannip_error *err);
/* One attempted move; [out, optional] *accepted = 1 if it was accepted. */
SANNIP_API sannip_result sannip_mc_attempt(sannip_mc *mc, int *accepted, sannip_error *err);
/* n attempted moves (one sweep). */
SANNIP_API sannip_result sannip_mc_sweep(sannip_mc *mc, sannip_error *err);
/* Resync, equilibration, then production as mc->cfg says; [out] stats of the production
   phase. May be called again (the chain continues from its state, a new run). Calls
   cfg.on_sample from this thread. */
SANNIP_API sannip_result sannip_mc_run(sannip_mc *mc, sannip_mc_stats *stats, sannip_error *err);
/* The same run in pieces: continues the current run (starting one as sannip_mc_run does when
   the chain has none) for at most max_sweeps sweeps (n attempts each). [out] *finished = 1
   when the production holds cfg.length (a finished run whose cfg.length is larger, e.g. a
   restored chain initialised with a longer run, goes on), then [out, optional] stats are
   those of the whole production phase. Advancing in pieces of any size gives the bits of
   one sannip_mc_run. */
SANNIP_API sannip_result sannip_mc_advance(sannip_mc *mc, int64_t max_sweeps, int *finished,
        sannip_mc_stats *stats, sannip_error *err);

/* Save and restore the full state of a chain, also in the middle of a run: spins, RNG,
   step, counters, the running sums (E, M, sum |S|), the run's progress and its production
   batch sums. A chain restored from the text and advanced gives bits identical to the
   uninterrupted chain, provided the model's state is a function of the spins: a model that
   keeps sums updated by differences (sannip_spin_local) carries their rounding, which a
   restore rebuilds afresh; sannip_mc_checkpoint reloads the model first, so that the
   uninterrupted chain and the restored one continue from the same state.
   The text: "sannip-mc-state 2", n, the RNG words, step and counters, n lines of a spin and
   its magnitude (kept exactly by the moves), the progress (phase + 1, hit, and six counters,
   decimal), E, M and sum |S|, then the batch sums (present, B, full batches, batch size,
   samples in the open batch; the rows), every real as the 16 hex digits of its IEEE double
   (exact, locale- and endian-independent); version 1 texts (no run) are read too.
   save: [in] mc, [in, out] t (appended; SANNIP_OUT_OF_MEMORY if t failed to grow).
   restore: [in, out] mc, initialised on the same model (same n) and config; [in] text, len.
   SANNIP_PARSE_ERROR (with the line), SANNIP_INVALID_ARGS (n differs) or the model's code; on
   failure the chain is unchanged unless its spins were already loaded. */
SANNIP_API sannip_result sannip_mc_save(const sannip_mc *mc, sannip_text *t, sannip_error *err);
SANNIP_API sannip_result sannip_mc_restore(sannip_mc *mc, const char *text, size_t len, sannip_error *err);
/* Reloads the model from the chain's spins (fresh model state; E, M and sum |S|
   recomputed) and saves (sannip_mc_save). A run checkpointed at the same points gives the
   same bits whether or not it was stopped and restored there. */
SANNIP_API sannip_result sannip_mc_checkpoint(sannip_mc *mc, sannip_text *t, sannip_error *err);

/* Starting spins (n x 3): FM (+z), PM (T3.32 directions; collinear: random signs) or AFM
   (+z where sublattice[i] > 0, else -z; NULL sublattice: alternating by index). Magnitudes:
   `magnitude` when cfg is NULL or keeps magnitudes, else drawn from cfg's mu. rng is needed
   for PM or drawn magnitudes (may be NULL otherwise). [in] kind (sannip_mc_start), n,
   magnitude (spin units), [in, optional] sublattice (n), cfg, [in, out] rng, [out] spins. */
SANNIP_API sannip_result sannip_mc_spins_start(int kind, int n, double magnitude, const int *sublattice,
        const sannip_mc_config *cfg, sannip_rng *rng, sannip_real *spins, sannip_error *err);

/* Independent walkers at cfg->T, in parallel with OpenMP. Walker w runs on models[w] (its
   own instance, n = models[0].n spins) from init[w] (n x 3) with stream
   sannip_mc_rng_stream(seed, w). [out, optional] per_walker[n_walkers], pooled (batches of
   all walkers in walker order), final_spins (n_walkers x n x 3). Bit-identical for any
   thread count. Memory comes from cfg->alloc (zero: the default allocator).
   [in] models[n_walkers] (distinct instances: each is driven by one thread), init, cfg
   (its T in config units), seed. The scans below share this contract. */
SANNIP_API sannip_result sannip_mc_walkers(const sannip_mc_model *models, int n_walkers,
        const sannip_real *const *init, const sannip_mc_config *cfg, uint64_t seed,
        sannip_mc_stats *per_walker, sannip_mc_stats *pooled, sannip_real *final_spins,
        sannip_error *err);
/* Hysteresis protocol (T sec. 4.3.2): the same lattice and temperature from n_starts starting
   configurations (e.g. FM, PM, AFM), one model instance each; [in] starts[n_starts]
   (n x 3 each, e.g. from sannip_mc_spins_start); [out] stats[n_starts]. */
SANNIP_API sannip_result sannip_mc_hysteresis(const sannip_mc_model *models, int n_starts,
        const sannip_real *const *starts, const sannip_mc_config *cfg, uint64_t seed,
        sannip_mc_stats *stats, sannip_error *err);
/* Curie scan (T sec. 4.3.3): n_walkers walkers (models[w]) from init (n x 3, e.g. FM) over
   temps[n_T] in the given order. carry = 1: each walker continues from its state (and step)
   at the previous temperature; 0: restarts from init. Every temperature gets cfg->equil of
   equilibration. [out] stats[n_T] pooled over walkers; [out, optional] final_spins
   (n_walkers x n x 3, after the last temperature). Parallel over walkers. */
SANNIP_API sannip_result sannip_mc_curie_scan(const sannip_mc_model *models, int n_walkers,
        const sannip_real *init, int n_T, const double *temps, int carry,
        const sannip_mc_config *cfg, uint64_t seed, sannip_mc_stats *stats,
        sannip_real *final_spins, sannip_error *err);

/* T_c from the susceptibility peak: the vertex of the parabola through the largest chi[i]
   and its neighbours (T strictly increasing). [in] T[n], chi[n]; [out] Tc, Tc_err (T's
   units). [in, optional] chi_err gives *Tc_err by
   propagation (0 without). A maximum at an end of the grid returns SANNIP_ERROR with *Tc
   that end and *Tc_err the spacing to its neighbour. */
SANNIP_API sannip_result sannip_mc_chi_peak(int n, const double *T, const double *chi,
        const double *chi_err, double *Tc, double *Tc_err, sannip_error *err);
/* T_c from the crossing of two Binder curves U4_a(T), U4_b(T) (sizes L_a != L_b, same grid
   T, strictly increasing). d = U4_a - U4_b changes sign between T[i] and T[i+1]; a straight
   line is fitted to d over the points i - half_width .. i + 1 + half_width (clipped to the
   grid), weighted by 1/var(d) when errors are given, and T_c is its root. half_width = 0 is
   linear interpolation between the bracketing points; 1 or 2 average out noise on a fine
   grid. With several sign changes (noise), the span runs from the first bracket to the
   last. [in, optional] ea, eb: errors of U4 (independent runs), propagated to first order
   into *Tc_err (0 when both are NULL; scaled by sqrt(chi^2/dof) when a fit of more than two
   points scatters more than its errors). SANNIP_ERROR when the curves do not cross on the
   grid. */
SANNIP_API sannip_result sannip_mc_binder_crossing(int n, const double *T, const double *ua,
        const double *ea, const double *ub, const double *eb, int half_width, double *Tc,
        double *Tc_err, sannip_error *err);

/* Appends a CSV table (header + one row per temperature; '.' decimal point in any locale):
   T,kT,m,m_err,ratio,ratio_err,polar,polar_err,e,e_err,chi,chi_err,cv,cv_err,u4,u4_err,
   acceptance,step,samples,attempted,accepted. SANNIP_OUT_OF_MEMORY if t failed to grow.
   [in, out] t, [in] stats[n] (e.g. of sannip_mc_curie_scan). */
SANNIP_API sannip_result sannip_mc_write_csv(sannip_text *t, int n, const sannip_mc_stats *stats,
        sannip_error *err);

/* ==== 5. MONTE CARLO MODELS ===========================================================
   Ready-made sannip_mc_model implementations: the built-in Heisenberg model, an adapter for
   any full-energy callback, and a trained spin-aware model through sannip_spin_local. */

/* ---- built-in nearest-neighbour classical Heisenberg model -----------------------------
   E = -J sum_<ij> S_i . S_j (the spin Hamiltonian T3.7 with J_ij = J for nearest
   neighbours, each bond once) over the bonds of a simple cubic L x L x L periodic lattice
   (site i = x + L (y + L z), 3 bonds per site). k_B T_c = 1.443 J for unit spins (Holm &
   Janke 1993). L = 2 is allowed (each bond then counted twice, consistently). Energies in
   double whatever sannip_real is. Caller-owned; init/uninit. */
typedef struct sannip_mc_heisenberg {
    int L, n;
    double J;
    sannip_real *spins;         /* n x 3, the model's copy (owned; starts all +z) */
    int *nbr;                   /* n x 6: +x -x +y -y +z -z neighbours (owned) */
    sannip_allocator alloc;
} sannip_mc_heisenberg;

/* [out] h, [in] L >= 2 (L^3 <= SANNIP_MAX_ATOMS), J (energy units; J > 0 ferromagnetic),
   [in, optional] alloc. uninit frees the arrays. One h per walker (the model holds spins). */
SANNIP_API sannip_result sannip_mc_heisenberg_init(sannip_mc_heisenberg *h, int L, double J,
        const sannip_allocator *alloc, sannip_error *err);
SANNIP_API void sannip_mc_heisenberg_uninit(sannip_mc_heisenberg *h);
/* The interface for h (h must outlive it). */
SANNIP_API sannip_mc_model sannip_mc_heisenberg_model(sannip_mc_heisenberg *h);
/* Full energy of any configuration on h's lattice (user = the sannip_mc_heisenberg *, n must
   be h->n): a sannip_mc_energy_fn for the naive adapter. Reads h's lattice only. */
SANNIP_API sannip_result sannip_mc_heisenberg_energy(void *user, int n, const sannip_real *spins, double *E);
/* [out] sub[n]: +1 / -1 by the parity of x + y + z (the AFM sublattices). */
SANNIP_API void sannip_mc_heisenberg_sublattice(const sannip_mc_heisenberg *h, int *sub);

/* ---- naive adapter: a full-energy callback as a sannip_mc_model -------------------------
   delta recomputes E(spins with spin k replaced) from scratch, so a move costs one full
   energy (accept reuses it): the baseline that local models are measured against. */
typedef sannip_result (*sannip_mc_energy_fn)(void *user, int n, const sannip_real *spins, double *E);
typedef struct sannip_mc_full {
    int n;
    sannip_real *spins;         /* n x 3 (owned) */
    double E;                   /* energy of spins */
    sannip_mc_energy_fn fn;
    void *user;
    int trial_k;                /* the last delta, reused by accept (-1: none) */
    sannip_real trial_s[3];
    double trial_E;
    sannip_allocator alloc;
} sannip_mc_full;

/* [in] n, spins (n x 3, copied; NULL: all zero), fn and its user pointer (fn must be callable
   from the walker's thread). Evaluates fn once. [out] a, [in, optional] alloc. Returns
   SANNIP_SUCCESS or fn's code. uninit frees a's copy of the spins; sannip_mc_full_model
   gives the interface (a must outlive it). */
SANNIP_API sannip_result sannip_mc_full_init(sannip_mc_full *a, int n, const sannip_real *spins,
        sannip_mc_energy_fn fn, void *user, const sannip_allocator *alloc, sannip_error *err);
SANNIP_API void sannip_mc_full_uninit(sannip_mc_full *a);
SANNIP_API sannip_mc_model sannip_mc_full_model(sannip_mc_full *a);

/* ---- external field: a Zeeman term on any model ------------------------------------------
   E = E_inner - B . sum_i S_i (B in energy per spin unit, e.g. eV/mu_B for moments in mu_B).
   The wrapper keeps its own copy of the spins for the O(1) change of the Zeeman term; B may be
   changed between runs (sannip_mc_run resyncs the energy at its start), which is how a field
   sweep (hysteresis loop) is run on one chain. */
typedef struct sannip_mc_zeeman {
    sannip_mc_model inner;      /* the wrapped model (its user must outlive the wrapper) */
    double B[3];
    sannip_real *spins;         /* n x 3 (owned) */
    sannip_allocator alloc;
} sannip_mc_zeeman;
/* [out] z; [in] inner (copied), B (3 values; NULL: zero), [in, optional] alloc, err.
   SANNIP_INVALID_ARGS, SANNIP_NONFINITE (B), SANNIP_OUT_OF_MEMORY. The spins start at zero:
   sannip_mc_init loads the chain's start into the wrapper and the inner model. */
SANNIP_API sannip_result sannip_mc_zeeman_init(sannip_mc_zeeman *z, const sannip_mc_model *inner, const double *B,
        const sannip_allocator *alloc, sannip_error *err);
SANNIP_API void sannip_mc_zeeman_uninit(sannip_mc_zeeman *z);
SANNIP_API sannip_mc_model sannip_mc_zeeman_model(sannip_mc_zeeman *z);

/* A spin-aware model as a Monte Carlo energy model: the callbacks run on the local state L
   (sannip_spin_local_init), so a move costs the same whatever the number of atoms. One L per
   walker. L must outlive the interface; energies in the model's units (eV: use kB = 0
   and T in K). */
SANNIP_API sannip_mc_model sannip_spin_local_mc_model(sannip_spin_local *L);

/* ==== 6. RANDOM SPIN COMMITTEE (Carare, Deringer & Csanyi 2024, "C") =================

   For every structure, n "calculations" (in real use: a DFT code run by the host program,
   reached through a callback, the oracle) start from random initial spins, collinear
   s_z ~ U[-hbar/2, hbar/2] by default (C; spins in hbar units) or random vectors; optional
   deterministic members (e.g. anti-parallel dimers) start from given spins and form, with
   the random ones, a
   "meta-committee". Every member is recorded (status, energy, final spins, forces), so
   best-of-k for any k <= n and any subset of members can be formed afterwards; the lowest
   converged energy is the committee's ground-state estimate (best-of-n). Members that did
   not converge, returned a non-finite number or whose callback failed are counted and never
   chosen. Random members may stop early once one reaches a target energy (C stops its rigid
   dissociation once the hypothesised ground state is reached).

   Reproducibility: random member k of structure s (s = its index in the array given to
   sannip_rsc_run) draws its initial spins from its own xoshiro256** stream, seeded from
   (seed, s, k) through splitmix64; subset draws use streams seeded from (seed, draw, s).
   With a deterministic oracle the result is bit-identical whatever the number of OpenMP
   threads (tests/test_rsc.c checks 1 and 2 threads and serial = 1).

   Usage (an oracle wrapping the host's DFT code; see examples/rsc_fig3.c):
       sannip_rsc_config cfg = sannip_rsc_config_init();   // 15 random members, U[-1/2, 1/2]
       sannip_rsc_result res; sannip_error err; int choice[N];
       sannip_rsc_result_init(&res, NULL);
       if (sannip_rsc_run(&cfg, systems, N, my_dft, my_ctx, &res, &err)) { ... err.message ... }
       sannip_rsc_select(&res, 5, 1, 0, 0, choice, &err);  // a best-of-5 data set, draw 0
       sannip_rsc_save_xyz(&res, systems, choice, "best5.xyz", NULL, &err);
       sannip_rsc_result_uninit(&res);
*/
/* What became of one committee member. */
typedef enum sannip_rsc_status {
    SANNIP_RSC_CONVERGED = 0,       /* converged with finite energy, spins (and forces) */
    SANNIP_RSC_NOT_CONVERGED,       /* the oracle reported no convergence */
    SANNIP_RSC_NONFINITE,           /* reported converged, but energy/spins/forces not finite */
    SANNIP_RSC_ORACLE_ERROR,        /* the callback returned non-zero (code kept in code[]) */
    SANNIP_RSC_SKIPPED,             /* not run: the structure had reached its target */
    SANNIP_RSC_STATUS_COUNT
} sannip_rsc_status;

/* One oracle call. The driver fills the inputs and presets the outputs (converged = 0,
   energy = NaN, spins = initial spins, has_forces = 0); the oracle overwrites them. */
typedef struct sannip_rsc_call {
    int structure, member;            /* [in] indices; members 0..n_fixed-1 are the fixed ones */
    int fixed;                        /* [in] 1 for a deterministic member */
    const sannip_system *sys;         /* [in] the structure */
    const sannip_real *initial_spins; /* [in] n x 3 */
    int converged;                    /* [out] 1 when the calculation converged */
    double energy;                    /* [out] total energy */
    sannip_real *spins;               /* [out] n x 3 final spins */
    sannip_real *forces;              /* [out] n x 3, or NULL when the config asks for no forces */
    int has_forces;                   /* [out] 1 when forces were written */
} sannip_rsc_call;

/* The oracle: runs one calculation. Returns 0 after a calculation (converged or not) and any
   other value when it could not run (recorded as SANNIP_RSC_ORACLE_ERROR with that code).
   Called concurrently from several threads for different structures when cfg.serial is
   0; the members of one structure are called in order from one thread. */
typedef int (*sannip_rsc_oracle)(sannip_rsc_call *call, void *user);

typedef struct sannip_rsc_config {
    /* Zero-means-default (see sannip.h, PER-FUNCTION NOTES); sannip_rsc_config_init writes
       the same defaults out. */
    int n_random;             /* random members per structure; 0: 15 (C); SANNIP_OFF: none */
    int vector_spins;         /* 0: collinear starts (0, 0, U[spin_lo, spin_hi]);
                                 1: direction uniform on the sphere, |s| = U[0, spin_hi] */
    double spin_lo, spin_hi;  /* both 0: -0.5, 0.5 (hbar/2 in hbar units); else as given */
    int n_fixed;              /* deterministic members per structure, run before the random ones */
    const sannip_real *fixed_spins;  /* initial spins of the fixed members, structures in order,
                                 each with its n_fixed sets of n_s x 3: member f of structure s
                                 at fixed_spins[3 (n_fixed off_s + f n_s) ...], off_s = n_0 + ... + n_{s-1} */
    int early_stop;           /* 1: skip the remaining random members of a structure once one
                                 converges at E <= target + target_tol (0: never) */
    const double *target;     /* per-structure targets (NaN: none); NULL: the lowest converged
                                 fixed member of the structure */
    double target_tol;        /* energy units of the oracle; 0: 1e-6; SANNIP_OFF: 0 */
    int no_forces;            /* 1: give the oracle no force buffer; 0: give one */
    int serial;               /* 1: one thread; 0: structures in parallel (OpenMP) */
    uint64_t seed;            /* 0 is a seed like any other */
} sannip_rsc_config;

/* Every member of every structure. Member k of structure s (k < n_fixed: fixed members) is
   entry e = s * n_members + k of status/code/energy/has_forces; its atom arrays (n_s x 3)
   start at 3 * (off[s] + k * n_atoms[s]) in initial/spins/forces, off[s] = n_members *
   (n_0 + ... + n_{s-1}). Owned by the result; sannip_rsc_result_uninit frees them. */
typedef struct sannip_rsc_result {
    int n_structures, n_members, n_fixed, n_random;
    int *n_atoms;             /* n_structures */
    size_t *off;              /* n_structures */
    int *status;              /* sannip_rsc_status per member */
    int *code;                /* oracle return value (non-zero only for SANNIP_RSC_ORACLE_ERROR) */
    double *energy;           /* NaN unless SANNIP_RSC_CONVERGED */
    unsigned char *has_forces;
    sannip_real *initial, *spins, *forces;   /* forces NULL when no_forces was 1 */
    long count[SANNIP_RSC_STATUS_COUNT];     /* members per status over all structures */
    sannip_allocator alloc;
} sannip_rsc_result;

/* Defaults as documented in sannip_rsc_config. */
SANNIP_API sannip_rsc_config sannip_rsc_config_init(void);
/* [out] r (empty), [in, optional] alloc; uninit frees every array r owns. */
SANNIP_API void sannip_rsc_result_init(sannip_rsc_result *r, const sannip_allocator *alloc);
SANNIP_API void sannip_rsc_result_uninit(sannip_rsc_result *r);

/* Runs the committee on n structures sys[0..n) through oracle(call, user) and records every
   member in res, which must have been initialised (sannip_rsc_result_init; its previous
   content is freed). Memory: 3 arrays of (n_fixed + n_random) x atoms x 3 reals (initial,
   final spins, forces). Oracle failures are recorded, not returned: the result is
   SANNIP_SUCCESS unless the input is invalid (SANNIP_INVALID_ARGS, SANNIP_BAD_PARAMETER,
   SANNIP_NONFINITE for fixed spins), too large (SANNIP_TOO_BIG) or memory runs out.
   Thread safety: see sannip_rsc_oracle. [in] cfg (from sannip_rsc_config_init), sys[0..n)
   (kept by pointer in the calls only), oracle, [in, optional] user, [in, out] res. */
SANNIP_API sannip_result sannip_rsc_run(const sannip_rsc_config *cfg, const sannip_system *sys, int n,
        sannip_rsc_oracle oracle, void *user, sannip_rsc_result *res, sannip_error *err);

/* The lowest converged member of structure s among members[0..n_members) (member indices as
   in the result; NULL = all members, fixed and random: the meta-committee). Ties go to the
   first in the list. *best = -1 and *energy = NaN when none converged. energy may be NULL.
   The queries below read r only ([in] r, s; [out] best, [out, optional] energy, in the
   oracle's energy units): thread-safe on a shared r. SANNIP_INVALID_ARGS for a bad s or k. */
SANNIP_API sannip_result sannip_rsc_best(const sannip_rsc_result *r, int s, const int *members, int n_members,
        int *best, double *energy, sannip_error *err);
/* Best of the first k random members of structure s (k = 1..n_random): the committee as it
   grows, C fig. 3a. Same outputs as sannip_rsc_best. */
SANNIP_API sannip_result sannip_rsc_best_first(const sannip_rsc_result *r, int s, int k, int *best,
        double *energy, sannip_error *err);
/* Draw number `draw` of k distinct random members of structure s (member indices, ascending),
   from the stream seeded by (seed, draw, s): the same seed, draw and s always give the same
   members. k = n_random gives all of them. [out] members: k ints. */
SANNIP_API sannip_result sannip_rsc_draw(const sannip_rsc_result *r, int s, int k, uint64_t seed, int draw,
        int *members, sannip_error *err);
/* A best-of-k data set: choice[s] = the best member of draw `draw` of k random members of
   structure s (sannip_rsc_draw), plus the fixed members when with_fixed; -1 when none of
   them converged. [out] choice: n_structures ints. */
SANNIP_API sannip_result sannip_rsc_select(const sannip_rsc_result *r, int k, uint64_t seed, int draw,
        int with_fixed, int *choice, sannip_error *err);

/* Appends the chosen member of every structure to t as extended XYZ: positions, the
   member's energy, forces (when it has them) and final spins (magmoms). choice: one member
   per structure (-1: skip the structure), NULL: the best of all members. sys: the structures
   given to sannip_rsc_run. *n_written (may be NULL) gets the number of frames.
   [in] r, sys, [in, optional] choice, [in, out] t (one buffer per thread). Units as the
   oracle returned them. */
SANNIP_API sannip_result sannip_rsc_write_xyz(const sannip_rsc_result *r, const sannip_system *sys,
        const int *choice, sannip_text *t, int *n_written, sannip_error *err);
#ifndef SANNIP_NO_STDIO
/* As sannip_rsc_write_xyz into the file path (written atomically). */
SANNIP_API sannip_result sannip_rsc_save_xyz(const sannip_rsc_result *r, const sannip_system *sys,
        const int *choice, const char *path, int *n_written, sannip_error *err);
#endif

/* ==== 7. SPIN-LATTICE DYNAMICS ========================================================
   Coupled motion of atoms (positions r_i, velocities v_i, masses m_i) and of classical spins
   S_i of fixed length (angular momenta in units of hbar) under a potential E(r, S):
       m_i dv_i/dt = F_i = -dE/dr_i,      dr_i/dt = v_i,
       dS_i/dt = (1/hbar) S_i x H_i,      H_i = -dE/dS_i (the effective field, eV/hbar),
   i.e. each spin precesses about its field with angular velocity |H_i|/hbar (right-handed:
   dS/dt = w x S with w = -H/hbar). Units: eV, A, fs, amu, hbar = SANNIP_HBAR_EV_FS eV fs;
   temperatures in K with kB = SANNIP_KB_EV_PER_K (config.kB = 0) or the caller's kB.
   Spins given in mu_B (e.g. DFT moments) precess with the rates of S = mu/(g mu_B) only if
   the caller rescales them; the integrator takes the spins as angular momenta in hbar.

   INTEGRATOR. One step of dt is the symmetric Suzuki-Trotter splitting of Tranchida,
   Plimpton, Thibaudeau & Thompson, J. Comput. Phys. 372, 406 (2018) (LAMMPS SPIN): velocity
   Verlet for the lattice around two spin half-steps,
       O(dt/2) B(dt/2) S(dt/2) A(dt) S(dt/2) B(dt/2) O(dt/2),
   B: v += F dt/2m, A: r += v dt, O: the lattice Langevin thermostat (exact
   Ornstein-Uhlenbeck step, absent without one). A spin half-step S(tau) sweeps the spin
   sectors forward with tau/2 each and back with tau/2 each (the middle sector once with
   tau): a palindrome, so time-reversible. A sector is a set of spins whose fields do not
   depend on each other (a colouring of the atoms by distance: no two spins of a sector within
   the model's range); all spins of a sector turn at once, each by an exact rotation about
   its field taken at the midpoint of its own rotation (S + S')/|S + S'| |S|, solved by
   iteration (exact after one pass when H_i does not depend on S_i, as for Heisenberg pair
   models). Rotations keep every |S_i| to rounding; the midpoint makes each sector's map its
   own inverse under tau -> -tau, so the step is time-reversible (to the iteration tolerance).
   Sectors, by the model interface: its own colouring (sannip_sld_model.color); else, with a
   local field callback and a range, a greedy colouring over the pairs within range + skin
   (recoloured when an atom moved more than skin/2: cost O(N) per step for a local model);
   else one sector of all spins, which needs one full energy/force/field evaluation per
   iteration (a spin-aware network: every H_i depends on its own and its neighbours' spins;
   typically 3-8 evaluations per spin half-step, so an SLD step costs ~10-20 force calls).

   THERMOSTATS. Lattice: Langevin friction gamma (1/fs) at T_lattice (fluctuation-dissipation
   noise in the O steps). Spins: Landau-Lifshitz-Gilbert damping lambda (dimensionless,
   Landau-Lifshitz form: dS/dt = S x H/hbar + (lambda |S|/hbar) H_perp + noise) with
   the stochastic rotation of variance 2 lambda kB T_spin tau / (hbar |S|) per component
   (fluctuation-dissipation: the stationary state is exp(-E/kB T) on the spheres |S_i|).
   Noise comes from counter-based streams: the normal deviates of atom i in sub-step k of
   step t are a pure function of (seed, t, k, i), so results are bit-identical for any
   number of threads, and a run continued from a saved state (pos, vel, spins, step, t, and
   the sectors: recolouring depends on the positions at the last colouring) equals an
   uninterrupted one.

   OBSERVABLES (sannip_sld_observe, every config.sample_every steps through on_sample):
   time, potential, kinetic and total energy, lattice temperature 2 E_kin/(3 N kB), spin
   temperature, net spin sum S_i and m = |sum S_i| / n. The spin temperature is the
   configurational temperature of the spins on their spheres (Rugh; Nurdin et al., Phys. Rev.
   E 61, 3579 (2000) for spins): kB T_s = <|grad E|^2> / <laplacian E> over the directions,
       kB T_s = sum_i |S_i x H_i|^2 / (2 sum_i S_i.H_i + C),
       C = sum_i |S_i|^2 tr_perp(d^2E/dS_i dS_i)   (the trace over the two directions normal to S_i),
   taken from the model's optional curvature callback (C = 0 without one: Nurdin's form). C
   vanishes for exchange (E linear in each S_i) and Zeeman terms but not for on-site terms
   f(|S_i|): their field f'(|S_i|) S_i/|S_i| lies along S_i (it does not turn the spin) yet
   enters 2 S_i.H_i, and C removes it again. Without C, toy iron at 1200 K (both baths, 54
   atoms) reads T_s = 1365 K (its on-site a(rho_i)|S_i|^2 field shifts with the lattice's
   density; 1221 K on a frozen lattice); with C, 1192 K (1202 K frozen).

   DOES NOT: print, keep global state, allocate per step (after the first colouring),
   integrate longitudinal spin fluctuations (|S_i| fixed), or handle a changing cell. */
#define SANNIP_HBAR_EV_FS 0.6582119569      /* reduced Planck constant, eV fs (CODATA 2018) */
#define SANNIP_AMU_A2_FS2_EV 103.6426965   /* 1 amu A^2/fs^2 in eV (kinetic energy unit) */

/* The model interface of the dynamics: energy, forces and effective field of the atoms at
   (pos, spins), double arrays n x 3 in A and hbar. Callbacks return SANNIP_SUCCESS or a
   code that the integrator passes on (with "sld: step N" prefixed to err). */
typedef struct sannip_sld_model {
    int n;          /* number of atoms */
    void *user;     /* passed to the callbacks */
    /* [out] *E (eV), forces (n x 3, eV/A), field (n x 3, eV/hbar): the full evaluation. */
    sannip_result (*compute)(void *user, const double *pos, const double *spins, double *E,
                             double *forces, double *field);
    /* Optional: the field on atoms idx[0..m) only, written to rows idx[q] of field (n x 3);
       other rows untouched. NULL: compute is called (one sector of all spins). */
    sannip_result (*field)(void *user, const double *pos, const double *spins, int m,
                           const int *idx, double *field);
    /* Relative rounding of the model's field (0: double precision); the midpoint iteration
       stops at max(config.tol, precision). */
    double precision;
    /* Optional: called with the new positions after every drift (and at init), before any
       field call at them, so a model can rebuild its geometry once; field may then assume
       the positions of the last set_positions. */
    sannip_result (*set_positions)(void *user, const double *pos);
    /* Distance (A) beyond which spin j does not enter the field on spin i (2 r_c for a
       network, r_c for a pair model); used with field to colour the atoms into sectors. */
    double range;
    /* Optional: the sector (colour) of atom i, 0..; atoms of one colour must not enter each
       other's fields. Overrides range. */
    int (*color)(void *user, int i);
    /* Optional: [out] *C = sum_i |S_i|^2 tr_perp(d^2E/dS_i dS_i) at (pos, spins), the
       curvature term of the spin temperature (see OBSERVABLES); NULL: 0, exact for models
       linear in each S_i (Heisenberg, Zeeman). */
    sannip_result (*curvature)(void *user, const double *pos, const double *spins, double *C);
} sannip_sld_model;

/* One point of the time series (energies in eV, temperatures in config units). */
typedef struct sannip_sld_sample {
    long step;
    double t;               /* fs */
    double E_pot, E_kin, E_total, E_zeeman;  /* E_pot includes E_zeeman */
    double T_lattice, T_spin;
    double M[3], m;         /* sum_i S_i (hbar) and |sum S_i| / n */
    /* T_spin = spin_grad2 / (kB spin_lap) (eV^2, eV): average the two over samples for a
       mean T_s without the O(1/n) bias of a mean of ratios */
    double spin_grad2, spin_lap;
} sannip_sld_sample;

/* Run parameters; zero means default for every field. */
typedef struct sannip_sld_config {
    double dt;              /* time step, fs (0: 1 fs) */
    double gamma;           /* lattice Langevin friction, 1/fs (0: no lattice thermostat) */
    double T_lattice;       /* lattice bath temperature (config units, K by default) */
    double lambda;          /* spin damping (0: no spin thermostat, precession only) */
    double T_spin;          /* spin bath temperature */
    double kB;              /* Boltzmann constant (0: SANNIP_KB_EV_PER_K, temperatures in K) */
    double zeeman[3];       /* external field B (eV/hbar): E -= B . sum_i S_i */
    int frozen_lattice;     /* 1: positions and velocities never move (pure spin dynamics) */
    uint64_t seed;          /* noise streams (0 is a valid seed) */
    double tol;             /* midpoint iteration: largest change / |S| (0: 1e-14) */
    int max_iter;           /* midpoint iterations per sector (0: 50); beyond: SANNIP_ERROR */
    double skin;            /* colouring skin, A (0: 1); recolouring (an atom moved skin/2)
                               changes the sectors, so a reversed run crossing it is not
                               exactly reversible */
    int sample_every;       /* steps between on_sample calls (0: 1) */
    /* Optional: called at step 0 and every sample_every steps; non-zero stops the run. */
    int (*on_sample)(void *user, const sannip_sld_sample *s);
    void *sample_user;
} sannip_sld_config;

/* The state of a run: caller-owned struct, arrays owned (init/uninit). Read freely; the
   state arrays (pos, vel, spins) may be changed between steps followed by
   sannip_sld_refresh. */
typedef struct sannip_sld {
    sannip_sld_model model;
    sannip_sld_config cfg;
    int n;
    long step;
    double t;
    double *pos, *vel, *spins, *mass;   /* n x 3, n x 3, n x 3 (A, A/fs, hbar), n (amu) */
    double *forces, *field, E;          /* at the current state (H includes the Zeeman field) */
    double cell[9]; int pbc[3];
    double *smag;                       /* |S_i| at the start (kept by the rotations) */
    int n_sectors, *sec_start, *sec_atom;   /* sector k: atoms sec_atom[sec_start[k] ..] */
    long n_colorings;                   /* colourings so far (1 after init) */
    long n_field_calls, n_compute_calls;    /* model calls so far (cost accounting) */
    double *pos_colored;                /* positions at the last colouring */
    double *W, *Snew, *noise, *H2, *F2; /* scratch: midpoint spins, trial spins, noise, fields */
    int *mark;                          /* 3n: colours, Z of the colouring, stamps */
    sannip_real *posr;                  /* n x 3: positions for the colouring's neighbour list */
    sannip_neighbors nl;
    sannip_allocator alloc;
} sannip_sld;

/* Defaults of every field (the values zero stands for). */
SANNIP_API sannip_sld_config sannip_sld_config_init(void);
/* Validates cfg: SANNIP_BAD_PARAMETER with the field named (negative or non-finite dt,
   gamma, lambda, temperatures, tol, skin; max_iter or sample_every < 0). */
SANNIP_API sannip_result sannip_sld_config_check(const sannip_sld_config *cfg, sannip_error *err);
/* A run of model from the given state. [out] d; [in] model (copied; its user must outlive
   d), cfg (copied; NULL: defaults), n = model->n atoms, pos (A), spins (hbar; zero rows are
   atoms without a moment, they never move), mass (amu, > 0), cell rows and pbc (as
   sannip_system); [in, optional] vel (A/fs; NULL: at rest), alloc, err. Evaluates the model
   once. Returns SANNIP_INVALID_ARGS, SANNIP_BAD_PARAMETER, SANNIP_NONFINITE, SANNIP_TOO_BIG,
   SANNIP_OUT_OF_MEMORY or the model's code; d holds nothing to free on failure. */
SANNIP_API sannip_result sannip_sld_init(sannip_sld *d, const sannip_sld_model *model,
        const sannip_sld_config *cfg, int n, const double *pos, const double *vel,
        const double *spins, const double *mass, const double *cell, const int *pbc,
        const sannip_allocator *alloc, sannip_error *err);
SANNIP_API void sannip_sld_uninit(sannip_sld *d);
/* One step of cfg.dt. On failure (the model's code, or SANNIP_ERROR when a midpoint
   iteration does not converge: dt too large) the state is that of a partial step. */
SANNIP_API sannip_result sannip_sld_step(sannip_sld *d, sannip_error *err);
/* n_steps steps, calling cfg.on_sample at the start (step 0 of a fresh run) and every
   sample_every steps. Stops early (SANNIP_SUCCESS) when on_sample returns non-zero. */
SANNIP_API sannip_result sannip_sld_run(sannip_sld *d, long n_steps, sannip_error *err);
/* Observables of the current state. [in] d; [out] s. */
SANNIP_API void sannip_sld_observe(const sannip_sld *d, sannip_sld_sample *s);
/* Re-evaluates energy, forces and field after the caller changed pos, vel or spins (spin
   lengths are taken anew). */
SANNIP_API sannip_result sannip_sld_refresh(sannip_sld *d, sannip_error *err);
/* Maxwell-Boltzmann velocities at temperature T (config units) from stream seed, zero net
   momentum; atoms of a frozen lattice stay at rest. */
SANNIP_API void sannip_sld_maxwell(sannip_sld *d, double T, uint64_t seed);
/* Time reversal: v -> -v and S -> -S (E even in S). Running n steps, reversing, running n
   steps and reversing again returns to the start (to rounding and the iteration
   tolerance). */
SANNIP_API void sannip_sld_reverse(sannip_sld *d);

/* Adapters. A spin-aware network (sannip_model_compute_field) as an SLD model: its own
   sannip_real copies of the arrays and a workspace; range = 2 x the largest spin-basis
   cutoff; no local field (one sector: see the cost above). Z (n), cell and pbc are copied. */
typedef struct sannip_sld_network {
    const sannip_model *m;
    sannip_workspace ws;
    sannip_system sys;
    int *Z;
    sannip_real *pos, *spins, *F, *H;
    sannip_error err;       /* the last failure of the model */
    sannip_allocator alloc;
} sannip_sld_network;
/* [out] a; [in] m (kept by pointer), n, Z, cell, pbc; [in, optional] alloc, err. */
SANNIP_API sannip_result sannip_sld_network_init(sannip_sld_network *a, const sannip_model *m, int n,
        const int *Z, const double *cell, const int *pbc, const sannip_allocator *alloc, sannip_error *err);
SANNIP_API void sannip_sld_network_uninit(sannip_sld_network *a);
SANNIP_API sannip_sld_model sannip_sld_network_model(sannip_sld_network *a);
/* The built-in Heisenberg model (E = -J sum_<ij> S_i.S_j, no forces) as an SLD model with a
   local field and two sectors (the x + y + z parity) for even L; odd L: one sector per spin.
   Its spins are the integrator's (h's own copy is not used). Frozen lattice expected. */
SANNIP_API sannip_sld_model sannip_sld_heisenberg_model(sannip_mc_heisenberg *h);
/* Atomic mass (amu, IUPAC standard atomic weights, abridged) of element Z = 1..94; 0 outside. */
SANNIP_API double sannip_element_mass(int Z);

#ifdef __cplusplus
}
#endif
#endif /* SANNIP_SPIN_H */

/* Implementation guard (sokol-style): SANNIP_IMPLEMENTATION switches on every header's
   implementation; SANNIP_SPIN_IMPLEMENTATION this one's alone. It uses sannip.h's public API and
   its "for sibling headers" section (static functions), so sannip.h's implementation must be
   in the same file. */
#if defined(SANNIP_IMPLEMENTATION) && !defined(SANNIP_SPIN_IMPLEMENTATION)
#define SANNIP_SPIN_IMPLEMENTATION
#endif
#if defined(SANNIP_SPIN_IMPLEMENTATION) && !defined(SANNIP_SPIN_IMPLEMENTATION_DONE)
#define SANNIP_SPIN_IMPLEMENTATION_DONE
#ifndef SANNIP_IMPLEMENTATION_DONE
#error "SANNIP_SPIN_IMPLEMENTATION needs sannip.h's implementation in the same file: #define SANNIP_IMPLEMENTATION before including sannip.h"
#endif
#include <math.h>
#ifdef __cplusplus
extern "C" {
#endif

/* ---- local energy changes ---------------------------------------------------------------- */
static int sannip__kind_has(const sannip_basis *b, unsigned flag) { return (sannip_basis_kind_flags(b->kind) & flag) != 0; }
/* The work buffer while spin bases are evaluated anew: the spin evaluator's 8 reals per
   neighbour, the neighbours' elements and, for at most smax bases, their values, model
   indices and feature positions (measured and carved by this one function). */
typedef struct sannip__local_scratch { sannip_real *work, *val; int *Zn, *bi, *at; } sannip__local_scratch;
static void sannip__local_eval_layout(sannip__arena *a, int nmax, int smax, sannip__local_scratch *x)
{
    x->work = (sannip_real *)sannip__arena_take(a, 8 * ((size_t)nmax + 1), sizeof(sannip_real));
    x->val = (sannip_real *)sannip__arena_take(a, (size_t)smax + 1, sizeof(sannip_real));
    x->Zn = (int *)sannip__arena_take(a, (size_t)nmax + 1, sizeof(int));
    x->bi = (int *)sannip__arena_take(a, (size_t)smax + 1, sizeof(int));
    x->at = (int *)sannip__arena_take(a, (size_t)smax + 1, sizeof(int));
}
SANNIP_API void sannip_spin_local_uninit(sannip_spin_local *L)
{
    const sannip_allocator *a = &L->alloc;
    sannip_neighbors_uninit(&L->nl);
    sannip_free(a, L->pos); sannip_free(a, L->spins); sannip_free(a, L->Z); sannip_free(a, L->el); sannip_free(a, L->rctr);
    sannip_free(a, L->rev_start); sannip_free(a, L->ru); sannip_free(a, L->rfc); sannip_free(a, L->G); sannip_free(a, L->z1); sannip_free(a, L->eat);
    sannip_free(a, L->nspin); sannip_free(a, L->spinf); sannip_free(a, L->dense1); sannip_free(a, L->grp);
    sannip_free(a, L->aff); sannip_free(a, L->tS); sannip_free(a, L->tz1); sannip_free(a, L->te);
    sannip_free(a, L->work); sannip_free(a, L->Sn);
    sannip_free(a, L->scid); sannip_free(a, L->xb); sannip_free(a, L->xo); sannip_free(a, L->vb); sannip_free(a, (void *)L->scut);
    sannip_free(a, L->fkey); sannip_free(a, L->fkc); sannip_free(a, L->fkn); sannip_free(a, L->fke); sannip_free(a, L->fsum); sannip_free(a, L->tfs);
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
/* The network of element e on cnt atoms, from layer `from` (0: scaled features X, cnt x nf;
   1: first-layer pre-activations z, cnt x h1, both in the work buffer's first rows) to the
   atom energies E. With from = 0 and z1 != NULL, the first-layer z is copied out (rows of
   hmax). The work buffer holds the layers' (y, y') pairs after the input rows. */
static void sannip__local_network(const sannip_spin_local *L, int e, int cnt, int from, sannip_real *z1, sannip_real *E)
{
    const sannip_network *net = sannip_model_network(L->m, e);
    sannip_real *w = L->work + (size_t)cnt * (L->fmax > L->hmax ? L->fmax : L->hmax);
    const sannip_real *out = sannip_network_pass(net, cnt, 0, from, L->work, 2, z1, L->h1max, w);
    sannip_element_energies(&L->m->el[e], cnt, out, net->sizes[net->n_layers], NULL, E);
}
/* Scaled features of atom i into X (its cached raw row, spin features from S when given). */
static void sannip__local_scaled(const sannip_spin_local *L, int i, const sannip_real *S, sannip_real *X)
{
    const sannip_element_model *el = &L->m->el[L->el[i]];
    const sannip_real *g = L->G + (size_t)i * L->fmax;
    int f, s, e = L->el[i];
    sannip_element_scale(el, 1, g, 0, NULL, X);
    if (S) for (s = 0; s < L->nspin[e]; s++) {
        f = L->spinf[e * L->fmax + s];
        X[f] = sannip_element_scale_feature(el, f, S[s]);
    }
}
/* F1-F6 sums of a neighbour spin S with weight w into f (the 14 sums of fsum); the count W
   only when count (a difference of two terms of one neighbour leaves it as it is). */
static void sannip__local_fterm(double *f, const sannip_real *S, double w, double eps, int count)
{
    double x = S[0], y = S[1], z = S[2], sn = sqrt(x * x + y * y + z * z + eps * eps), h0 = x / sn, h1 = y / sn, h2 = z / sn;
    f[0] += w * x; f[1] += w * y; f[2] += w * z; f[3] += w * (sn - eps);
    if (count) f[4] += w;
    f[5] += w * h0; f[6] += w * h1; f[7] += w * h2;
    f[8] += w * h0 * h0; f[9] += w * h0 * h1; f[10] += w * h0 * h2;
    f[11] += w * h1 * h1; f[12] += w * h1 * h2; f[13] += w * h2 * h2;
}
/* The sums of atom i over all its neighbours (set_spins; the moved atom on accept), with the
   cutoff values of the reverse entries (the same calls), so that differences cancel them. */
static void sannip__local_fsums(sannip_spin_local *L, int i)
{
    double *f = L->fsum + (size_t)i * L->nfk * 14;
    size_t p;
    int t;
    memset(f, 0, sizeof(double) * 14 * (size_t)L->nfk);
    for (p = L->nl.start[i]; p < L->nl.start[i + 1]; p++) {
        int j = L->nl.j[p];
        sannip_real r = L->nl.r[p], df, fc;
        if (r >= L->spin_rc) continue;
        for (t = 0; t < L->nfk; t++) {
            if (L->fkn[t] != SANNIP_ANY && L->Z[j] != L->fkn[t]) continue;
            fc = sannip_cutoff_eval(L->scut[L->fkc[t]], r, &df);
            if (fc != 0) sannip__local_fterm(f + 14 * t, L->spins + 3 * (size_t)j, fc, L->fke[t], 1);
        }
    }
}
/* Trial sums f of atom i (not k) when spin k becomes sk: i's sums plus the difference of k's
   terms over the reverse entries p0..p1 (the images of k that i sees). */
static void sannip__local_ftrial(const sannip_spin_local *L, int i, int k, const sannip_real *sk, size_t p0, size_t p1, double *f)
{
    const sannip_real *So = L->spins + 3 * (size_t)k;
    size_t q;
    int t;
    memcpy(f, L->fsum + (size_t)i * L->nfk * 14, sizeof(double) * 14 * (size_t)L->nfk);
    for (t = 0; t < L->nfk; t++) {
        if (L->fkn[t] != SANNIP_ANY && L->Z[k] != L->fkn[t]) continue;
        for (q = p0; q < p1; q++) {
            sannip_real fc = L->rfc[q * L->nsc + L->fkc[t]];
            if (fc == 0) continue;
            sannip__local_fterm(f + 14 * t, sk, fc, L->fke[t], 0);
            sannip__local_fterm(f + 14 * t, So, -(double)fc, L->fke[t], 0);
        }
    }
}
/* F1-F6 (T5.1-5.6) of a centre with spin Si from its neighbour sums f: the values of
   sannip.h's evaluator, up to rounding, with the centre's terms added for F4-F6 (smoothed
   norms |v|_e = sqrt(v.v + eps^2); F5 = m.N/W and F6 = m^T T m/W - F5^2 with m = M/|M|_e,
   N = sum_j w_j s_j, T = sum_j w_j s_j s_j^T, s_j = S_j/|S_j|_e, the mean and variance of
   c_j = s_j.m that the evaluator sums neighbour by neighbour). */
static sannip_real sannip__local_fvalue(const sannip_basis *b, const sannip_real *Si, const double *f)
{
    double eps = b->eps, x, sc, h[3], M[3], Me, m[3], A, W, F5, Q;
    int c;
    if (b->kind == SANNIP_SPIN_F1 || b->kind == SANNIP_SPIN_F2 || b->kind == SANNIP_SPIN_F3) {
        if (b->kind == SANNIP_SPIN_F1) x = f[3];
        else if (b->kind == SANNIP_SPIN_F2) x = sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2] + eps * eps) - eps;
        else x = Si[0] * f[0] + Si[1] * f[1] + Si[2] * f[2];
        x -= b->rs;
        return (sannip_real)sannip__exp(-b->eta * x * x);
    }
    sc = sqrt((double)Si[0] * Si[0] + (double)Si[1] * Si[1] + (double)Si[2] * Si[2] + eps * eps);
    for (c = 0; c < 3; c++) { M[c] = Si[c] + f[c]; h[c] = Si[c] / sc; }
    Me = sqrt(M[0] * M[0] + M[1] * M[1] + M[2] * M[2] + eps * eps);
    for (c = 0; c < 3; c++) m[c] = M[c] / Me;
    A = (sc - eps) + f[3];
    if (b->kind == SANNIP_SPIN_F4) return (sannip_real)((Me - eps) / (A + eps));
    W = 1 + f[4];
    F5 = (m[0] * (h[0] + f[5]) + m[1] * (h[1] + f[6]) + m[2] * (h[2] + f[7])) / W;
    if (b->kind == SANNIP_SPIN_F5) return (sannip_real)F5;
    Q = m[0] * m[0] * (h[0] * h[0] + f[8]) + 2 * m[0] * m[1] * (h[0] * h[1] + f[9]) + 2 * m[0] * m[2] * (h[0] * h[2] + f[10])
      + m[1] * m[1] * (h[1] * h[1] + f[11]) + 2 * m[1] * m[2] * (h[1] * h[2] + f[12]) + m[2] * m[2] * (h[2] * h[2] + f[13]);
    return (sannip_real)(Q / W - F5 * F5);
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
    if (L->nfk) for (i = 0; i < L->n; i++) sannip__local_fsums(L, i);
    s = sannip__local_view(L);
    sannip_workspace_init(&ws, &L->alloc);
    r = sannip_model_features(L->m, &ws, &s, L->G, L->fmax, err);
    sannip_workspace_uninit(&ws);
    if (r != SANNIP_SUCCESS) return r;
    /* energies element by element, in chunks of at most nmax + 1 atoms */
    for (e = 0; e < L->m->n_elements; e++) {
        int nf = L->m->el[e].n_features;
        cnt = 0;
        for (i = 0; i <= L->n; i++) {
            if (i < L->n && L->el[i] == e) { sannip__local_scaled(L, i, NULL, L->work + (size_t)cnt * nf); L->aff[cnt++] = i; }
            if (cnt == L->nmax + 1 || (i == L->n && cnt > 0)) {
                int q;
                sannip__local_network(L, e, cnt, 0, L->dense1[e] ? L->tz1 : NULL, L->te);
                for (q = 0; q < cnt; q++) {
                    L->eat[L->aff[q]] = L->te[q];
                    if (L->dense1[e]) memcpy(L->z1 + (size_t)L->aff[q] * L->h1max, L->tz1 + (size_t)q * L->h1max, sizeof(sannip_real) * (size_t)L->h1max);
                }
                cnt = 0;
            }
        }
    }
    L->tvalid = 0;
    return SANNIP_SUCCESS;
}
/* The atoms (positions, spins, elements) and the neighbour list at the model's cutoff. */
static sannip_result sannip__local_atoms(sannip_spin_local *L, const sannip_system *sys, sannip_error *err)
{
    const sannip_allocator *a = &L->alloc;
    sannip_system s;
    int i;
    sannip_neighbors_init(&L->nl, a);
    L->pos = (sannip_real *)sannip__calloc(a, 3 * (size_t)L->n + 3, sizeof(sannip_real));
    L->spins = (sannip_real *)sannip__calloc(a, 3 * (size_t)L->n + 3, sizeof(sannip_real));
    L->Z = (int *)sannip__calloc(a, (size_t)L->n + 1, sizeof(int));
    L->el = (int *)sannip__calloc(a, (size_t)L->n + 1, sizeof(int));
    L->rev_start = (size_t *)sannip__calloc(a, (size_t)L->n + 2, sizeof(size_t));
    L->nspin = (int *)sannip__calloc(a, SANNIP_MAX_ELEMENTS, sizeof(int));
    L->dense1 = (int *)sannip__calloc(a, SANNIP_MAX_ELEMENTS, sizeof(int));
    if (!L->pos || !L->spins || !L->Z || !L->el || !L->rev_start || !L->nspin || !L->dense1) return SANNIP_OUT_OF_MEMORY;
    memcpy(L->pos, sys->pos, sizeof(sannip_real) * 3 * (size_t)L->n);
    memcpy(L->Z, sys->Z, sizeof(int) * (size_t)L->n);
    for (i = 0; i < L->n; i++) {
        L->el[i] = sannip_model_element_index(L->m, L->Z[i]);
        if (L->el[i] < 0) return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "atom %d: element %s is not in the model", i + 1, sannip_element_symbol(sys->Z[i]));
    }
    s = sannip__local_view(L);
    return sannip_neighbors_build(&L->nl, &s, L->m->cutoff > 0 ? L->m->cutoff : 1, err);
}
/* Sizes: most neighbours, features and layer widths; which first layers are dense. */
static void sannip__local_dims(sannip_spin_local *L)
{
    const sannip_model *m = L->m;
    int i, e, l;
    for (i = 0; i < L->n; i++) {
        int c = (int)(L->nl.start[i + 1] - L->nl.start[i]);
        if (c > L->nmax) L->nmax = c;
    }
    for (e = 0; e < m->n_elements; e++) {
        const sannip_network *net = sannip_model_network(m, e);
        if (m->el[e].n_features > L->fmax) L->fmax = m->el[e].n_features;
        for (l = 0; l <= net->n_layers; l++) if (net->sizes[l] > L->hmax) L->hmax = net->sizes[l];
        if (net->sizes[1] > L->h1max) L->h1max = net->sizes[1];
        L->dense1[e] = net->nblk[0] <= 0;
    }
}
/* The neighbour-sum bases F1-F6 (T5.1-5.6): their distinct keys (cutoff id, neighbour
   element, eps), one set of sums per key and atom. Other kinds are evaluated anew. */
static int sannip__local_is_fsum(const sannip_basis *b)
{
    return b->kind == SANNIP_SPIN_F1 || b->kind == SANNIP_SPIN_F2 || b->kind == SANNIP_SPIN_F3
        || b->kind == SANNIP_SPIN_F4 || b->kind == SANNIP_SPIN_F5 || b->kind == SANNIP_SPIN_F6;
}
static sannip_result sannip__local_fkeys(sannip_spin_local *L)
{
    const sannip_model *m = L->m;
    size_t nk = (size_t)m->n_elements * L->fmax + 1;
    int e, s, t;
    L->fkey = (int *)sannip__calloc(&L->alloc, nk, sizeof(int));
    L->fkc = (int *)sannip__calloc(&L->alloc, nk, sizeof(int));
    L->fkn = (int *)sannip__calloc(&L->alloc, nk, sizeof(int));
    L->fke = (sannip_real *)sannip__calloc(&L->alloc, nk, sizeof(sannip_real));
    if (!L->fkey || !L->fkc || !L->fkn || !L->fke) return SANNIP_OUT_OF_MEMORY;
    for (e = 0; e < m->n_elements; e++) for (s = 0; s < L->fmax; s++) {
        const sannip_basis *b;
        int c = L->scid[e * L->fmax + s];
        L->fkey[e * L->fmax + s] = -1;
        if (s >= L->nspin[e]) continue;
        b = &m->desc.b[m->el[e].feature[L->spinf[e * L->fmax + s]]];
        if (!sannip__local_is_fsum(b)) continue;
        for (t = 0; t < L->nfk && !(L->fkc[t] == c && L->fkn[t] == b->nbr[0] && L->fke[t] == b->eps); t++) {}
        if (t == L->nfk) { L->fkc[t] = c; L->fkn[t] = b->nbr[0]; L->fke[t] = b->eps; L->nfk++; }
        L->fkey[e * L->fmax + s] = t;
    }
    return SANNIP_SUCCESS;
}
/* The spin features of each element (their positions and the spin cutoff) and the distinct
   cutoffs of the pair-sum spin bases, whose values per pair are cached (positions never
   change) and of F1-F6 (their sums are updated by differences): cuts receives them, scid
   the id of each spin feature's. */
static sannip_result sannip__local_spin_features_of(sannip_spin_local *L, const sannip_cutoff **cuts)
{
    const sannip_model *m = L->m;
    int e, f, s, c;
    L->spinf = (int *)sannip__calloc(&L->alloc, (size_t)m->n_elements * L->fmax + 1, sizeof(int));
    L->scid = (int *)sannip__calloc(&L->alloc, (size_t)m->n_elements * L->fmax + 1, sizeof(int));
    if (!L->spinf || !L->scid) return SANNIP_OUT_OF_MEMORY;
    for (e = 0; e < m->n_elements; e++) {
        for (f = 0; f < m->el[e].n_features; f++) {
            const sannip_basis *b = &m->desc.b[m->el[e].feature[f]];
            if (!sannip__kind_has(b, SANNIP_BASIS_SPIN)) continue;
            L->spinf[e * L->fmax + L->nspin[e]++] = f;
            if (sannip_basis_cutoff(b) > L->spin_rc) L->spin_rc = sannip_basis_cutoff(b);
        }
        if (L->nspin[e] > L->smax) L->smax = L->nspin[e];
    }
    for (e = 0; e < m->n_elements; e++) for (s = 0; s < L->nspin[e]; s++) {
        const sannip_basis *b = &m->desc.b[m->el[e].feature[L->spinf[e * L->fmax + s]]];
        if (!sannip__kind_has(b, SANNIP_BASIS_NEIGHBORS)) continue;
        for (c = 0; c < L->nsc && !sannip__cutoff_equal(cuts[c], &b->cut[0]); c++) {}
        if (c == L->nsc) cuts[L->nsc++] = &b->cut[0];
        L->scid[e * L->fmax + s] = c;
    }
    return sannip__local_fkeys(L);
}
/* Reverse pairs within the spin cutoff, grouped by k and, within k, by centre, with the unit
   vector from the centre to k and the cached cutoff values. */
static sannip_result sannip__local_reverse_pairs(sannip_spin_local *L, const sannip_cutoff *const *cuts)
{
    const sannip_allocator *a = &L->alloc;
    size_t *fill, q, p;
    int i;
    for (p = 0; p < L->nl.n_pairs; p++) if (L->nl.r[p] < L->spin_rc) L->rev_start[L->nl.j[p] + 1]++;
    for (i = 0; i < L->n; i++) L->rev_start[i + 1] += L->rev_start[i];
    q = L->rev_start[L->n];
    L->rctr = (int *)sannip__calloc(a, q + 1, sizeof(int));
    L->ru = (sannip_real *)sannip__calloc(a, 3 * q + 3, sizeof(sannip_real));
    L->rfc = (sannip_real *)sannip__calloc(a, q * (size_t)L->nsc + 1, sizeof(sannip_real));
    fill = (size_t *)sannip__calloc(a, (size_t)L->n + 1, sizeof(size_t));
    if (!L->rctr || !L->ru || !L->rfc || !fill) { sannip_free(a, fill); return SANNIP_OUT_OF_MEMORY; }
    for (i = 0; i < L->n; i++) for (p = L->nl.start[i]; p < L->nl.start[i + 1]; p++) {
        int k = L->nl.j[p], c;
        sannip_real r = L->nl.r[p], df;
        if (r >= L->spin_rc) continue;
        q = L->rev_start[k] + fill[k]++;
        L->rctr[q] = i;
        for (c = 0; c < 3; c++) L->ru[3 * q + c] = L->nl.d[3 * p + c] / r;
        for (c = 0; c < L->nsc; c++) L->rfc[q * L->nsc + c] = sannip_cutoff_eval(cuts[c], r, &df);
    }
    sannip_free(a, fill);
    return SANNIP_SUCCESS;
}
/* Caches and the buffers of a move: the atoms a move touches are k and every atom that has k
   as a neighbour (<= nmax + 1). work: network input rows and (y, y') per layer for nmax + 2
   atoms, or the spin evaluator's scratch. */
static sannip_result sannip__local_buffers(sannip_spin_local *L)
{
    const sannip_allocator *a = &L->alloc;
    sannip__arena m = sannip__arena_begin(NULL, 0);
    sannip__local_scratch x;
    size_t wsz;
    L->aff = (int *)sannip__calloc(a, (size_t)L->nmax + 2, sizeof(int));
    L->grp = (size_t *)sannip__calloc(a, 2 * ((size_t)L->nmax + 2), sizeof(size_t));
    L->G = (sannip_real *)sannip__calloc(a, (size_t)L->n * L->fmax + 1, sizeof(sannip_real));
    L->z1 = (sannip_real *)sannip__calloc(a, (size_t)L->n * L->h1max + 1, sizeof(sannip_real));
    L->eat = (sannip_real *)sannip__calloc(a, (size_t)L->n + 1, sizeof(sannip_real));
    L->tS = (sannip_real *)sannip__calloc(a, ((size_t)L->nmax + 2) * ((size_t)L->smax + 1), sizeof(sannip_real));
    L->tz1 = (sannip_real *)sannip__calloc(a, ((size_t)L->nmax + 2) * L->h1max + 1, sizeof(sannip_real));
    L->te = (sannip_real *)sannip__calloc(a, 2 * ((size_t)L->nmax + 2), sizeof(sannip_real));   /* trial E_i, then network outputs */
    L->Sn = (sannip_real *)sannip__calloc(a, 3 * (size_t)L->nmax + 3, sizeof(sannip_real));
    L->xb = (sannip_real *)sannip__calloc(a, 3 * ((size_t)L->smax + 1) * ((size_t)L->nmax + 1), sizeof(sannip_real));
    L->xo = (int *)sannip__calloc(a, ((size_t)L->smax + 1) * ((size_t)L->nmax + 1), sizeof(int));
    sannip__local_eval_layout(&m, L->nmax, L->smax, &x);
    wsz = ((size_t)L->nmax + 2) * ((size_t)L->hmax + L->fmax) * (2 * SANNIP_MAX_LAYERS + 2);
    if (sannip__arena_reals(&m) > wsz) wsz = sannip__arena_reals(&m);
    L->work = (sannip_real *)sannip__calloc(a, wsz, sizeof(sannip_real));
    L->work_size = wsz;
    L->vb = (sannip_real *)sannip__calloc(a, 2 * ((size_t)L->nmax + 1), sizeof(sannip_real));
    L->fsum = (double *)sannip__calloc(a, (size_t)L->n * L->nfk * 14 + 1, sizeof(double));
    L->tfs = (double *)sannip__calloc(a, ((size_t)L->nmax + 2) * L->nfk * 14 + 1, sizeof(double));
    if (!L->aff || !L->grp || !L->G || !L->z1 || !L->eat || !L->tS || !L->tz1 || !L->te || !L->Sn || !L->work || !L->xb || !L->xo
        || !L->vb || !L->fsum || !L->tfs) return SANNIP_OUT_OF_MEMORY;
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_spin_local_init(sannip_spin_local *L, const sannip_model *m, const sannip_system *sys,
                                                const sannip_allocator *alloc, sannip_error *err)
{
    sannip_result r;
    const sannip_cutoff **cuts;
    if (!L || !m || !sys) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    memset(L, 0, sizeof *L);
    L->alloc = sannip__alloc_copy(alloc);
    if ((r = sannip_system_check(sys, err)) != SANNIP_SUCCESS) return r;
    if (!sys->spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "the system needs spins");
    if ((r = sannip__spin_ready(&m->desc, sys, err)) != SANNIP_SUCCESS) return r;
    if (m->n_elements < 1) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "model has no elements");
    L->m = m; L->n = sys->n;
    memcpy(L->cell, sys->cell, sizeof L->cell); memcpy(L->pbc, sys->pbc, sizeof L->pbc);
    L->scut = cuts = (const sannip_cutoff **)sannip__calloc(&L->alloc, (size_t)m->desc.n + 1, sizeof *cuts);
    r = cuts ? sannip__local_atoms(L, sys, err) : SANNIP_OUT_OF_MEMORY;
    if (r == SANNIP_SUCCESS) { sannip__local_dims(L); r = sannip__local_spin_features_of(L, cuts); }
    if (r == SANNIP_SUCCESS) r = sannip__local_reverse_pairs(L, cuts);
    if (r == SANNIP_SUCCESS) r = sannip__local_buffers(L);
    if (r == SANNIP_SUCCESS) r = sannip_spin_local_set_spins(L, sys->spins, err);
    if (r == SANNIP_SUCCESS) return r;
    sannip_spin_local_uninit(L);   /* every buffer, also when the last step failed */
    return r == SANNIP_OUT_OF_MEMORY ? sannip__fail(err, r, 0, 0, "local spin model of %d atoms", sys->n) : r;
}

/* The spin bases X->bi[0..nb) of atom i with spin k taken as sk, evaluated anew in one call
   (so that they share the evaluator's per-neighbour caches), into X->val. */
static void sannip__local_eval(sannip_spin_local *L, int i, int k, const sannip_real *sk, int nb, sannip__local_scratch *X)
{
    sannip_system s = sannip__local_view(L);
    size_t p, s0 = L->nl.start[i];
    sannip_env env = sannip__env_of(&L->nl, &s, i, X->Zn, L->Sn);
    int t;
    for (p = 0; p < (size_t)env.n; p++) if (L->nl.j[s0 + p] == k) memcpy(L->Sn + 3 * p, sk, 3 * sizeof(sannip_real));
    if (i == k) env.Sc = sk;
    for (t = 0; t < nb; t++) X->val[t] = 0;
    sannip__spin_eval(&L->m->desc, X->bi, nb, &env, X->val, NULL, NULL, NULL, NULL, NULL, X->work);
}
/* New spin features S (nspin of atom i's element) when spin k becomes sk. For i != k, the
   pair-sum bases change by their terms over the reverse entries p0..p1 (i, image of k), with
   cached cutoffs, the brackets computed once per kind and the Gaussians of all of them in one
   vectorised exp; F1-F6 come from the trial sums tf (NULL for k: evaluated anew). */
static void sannip__local_spin_features(sannip_spin_local *L, int i, int k, const sannip_real *sk, size_t p0, size_t p1,
                                        const double *tf, sannip_real *S)
{
    const sannip_model *m = L->m;
    const sannip_element_model *el = &m->el[L->el[i]];
    const sannip_real *Si = L->spins + 3 * (size_t)i, *So = L->spins + 3 * (size_t)k, *g = L->G + (size_t)i * L->fmax;
    int e = L->el[i], s, nx = 0, nb = 0, t, vkind = -1;
    sannip_real *ex;
    sannip__local_scratch X;
    sannip__arena a = sannip__arena_begin(L->work, L->work_size * sizeof(sannip_real));
    sannip__local_eval_layout(&a, L->nmax, L->smax, &X);
    for (s = 0; s < L->nspin[e]; s++) {
        int f = L->spinf[e * L->fmax + s], bi = el->feature[f];
        const sannip_basis *b = &m->desc.b[bi];
        size_t q;
        S[s] = g[f];
        if (tf && L->fkey[e * L->fmax + s] >= 0) { S[s] = sannip__local_fvalue(b, Si, tf + 14 * L->fkey[e * L->fmax + s]); continue; }
        if (i == k || !sannip__kind_has(b, SANNIP_BASIS_PAIR_ADDITIVE)) {   /* anew, all at once below */
            if (i == k || sannip__kind_has(b, SANNIP_BASIS_NEIGHBORS)) { X.bi[nb] = bi; X.at[nb++] = s; }
            continue;
        }
        if (b->nbr[0] != SANNIP_ANY && L->Z[k] != b->nbr[0]) continue;
        if (b->kind != vkind) {   /* the bracket depends on the kind alone */
            for (q = p0; q < p1; q++) {
                L->vb[2 * (q - p0)] = sannip__spin_pair_value(b, Si, sk, L->ru + 3 * q);
                L->vb[2 * (q - p0) + 1] = sannip__spin_pair_value(b, Si, So, L->ru + 3 * q);
            }
            vkind = b->kind;
        }
        for (q = p0; q < p1; q++) {
            sannip_real fc = L->rfc[q * L->nsc + L->scid[e * L->fmax + s]], vn = L->vb[2 * (q - p0)], vo = L->vb[2 * (q - p0) + 1];
            if (fc == 0) continue;
            if (sannip__kind_has(b, SANNIP_BASIS_GAUSSIAN)) {      /* Gaussian: batched below */
                L->xb[3 * nx] = -b->eta * (vn - b->rs) * (vn - b->rs);
                L->xb[3 * nx + 1] = -b->eta * (vo - b->rs) * (vo - b->rs);
                L->xb[3 * nx + 2] = fc; L->xo[nx++] = s;
            } else S[s] += (sannip__ipow(vn, (int)b->zeta) - sannip__ipow(vo, (int)b->zeta)) * fc;
        }
    }
    if (nb) {
        sannip__local_eval(L, i, k, sk, nb, &X);
        for (t = 0; t < nb; t++) S[X.at[t]] = X.val[t];
    }
    if (!nx) return;
    /* exp of the new and old arguments together (copied after the triples) */
    ex = L->xb + 3 * (size_t)nx;
    for (t = 0; t < nx; t++) { ex[2 * t] = L->xb[3 * t]; ex[2 * t + 1] = L->xb[3 * t + 1]; }
    sannip__exp_array(ex, 2 * nx);
    for (t = 0; t < nx; t++) S[L->xo[t]] += (ex[2 * t] - ex[2 * t + 1]) * L->xb[3 * t + 2];
}

SANNIP_API sannip_result sannip_spin_local_delta(sannip_spin_local *L, int k, const sannip_real *s_new, double *dE)
{
    size_t p;
    int q, e;
    double d = 0;
    if (!L || !s_new || !dE || k < 0 || k >= L->n) return SANNIP_INVALID_ARGS;
    if (!isfinite(s_new[0]) || !isfinite(s_new[1]) || !isfinite(s_new[2])) return SANNIP_NONFINITE;
    /* the affected atoms: k, then every other atom with k (or an image) within the spin
       cutoff, each with its run of reverse pairs */
    L->naff = 1; L->aff[0] = k; L->grp[0] = L->grp[1] = 0;
    for (p = L->rev_start[k]; p < L->rev_start[k + 1]; ) {
        size_t p1 = p;
        int i = L->rctr[p];
        while (p1 < L->rev_start[k + 1] && L->rctr[p1] == i) p1++;
        if (i != k) { L->aff[L->naff] = i; L->grp[2 * L->naff] = p; L->grp[2 * L->naff + 1] = p1; L->naff++; }
        p = p1;
    }
#if defined(__GNUC__) || defined(__clang__)
    /* the affected atoms are scattered over the arrays of a large system: ask for their rows
       at once, so the misses overlap instead of coming one after another */
    for (q = 1; q < L->naff; q++) {
        int i = L->aff[q], e = L->el[i], c;
        const sannip_real *g = L->G + (size_t)i * L->fmax, *z = L->z1 + (size_t)i * L->h1max;
        __builtin_prefetch(L->spins + 3 * (size_t)i);
        if (L->nspin[e] > 0)   /* the row's spin features and first-layer z, line by line */
            for (c = L->spinf[e * L->fmax]; c <= L->spinf[e * L->fmax + L->nspin[e] - 1]; c += 64 / (int)sizeof(sannip_real)) __builtin_prefetch(g + c);
        for (c = 0; c < L->h1max; c += 64 / (int)sizeof(sannip_real)) __builtin_prefetch(z + c);
        if (L->nfk) __builtin_prefetch(L->fsum + (size_t)i * L->nfk * 14);
        __builtin_prefetch(L->eat + i);
    }
#endif
    for (q = 0; q < L->naff; q++) {
        double *tf = q > 0 && L->nfk ? L->tfs + (size_t)q * L->nfk * 14 : NULL;
        if (tf) sannip__local_ftrial(L, L->aff[q], k, s_new, L->grp[2 * q], L->grp[2 * q + 1], tf);
        sannip__local_spin_features(L, L->aff[q], k, s_new, L->grp[2 * q], L->grp[2 * q + 1], tf, L->tS + (size_t)q * L->smax);
    }
    /* the networks of the affected atoms, one element at a time */
    for (e = 0; e < L->m->n_elements; e++) {
        const sannip_element_model *el = &L->m->el[e];
        const sannip_network *net = sannip_model_network(L->m, e);
        int nf = el->n_features, h1 = net->sizes[1], cnt = 0, s, c;
        for (q = 0; q < L->naff; q++) {
            int i = L->aff[q];
            const sannip_real *S = L->tS + (size_t)q * L->smax;
            if (L->el[i] != e) continue;
            if (L->dense1[e]) {
                /* z1 + W1[:, spin] (X_new - X_old) over the spin features (scaled, T3.24) */
                const sannip_real *W = sannip_network_weights(net, 0), *g = L->G + (size_t)i * L->fmax;
                sannip_real *z = L->work + (size_t)cnt * L->hmax;
                memcpy(z, L->z1 + (size_t)i * L->h1max, sizeof(sannip_real) * (size_t)h1);
                for (s = 0; s < L->nspin[e]; s++) {
                    int f = L->spinf[e * L->fmax + s], o;
                    sannip_real dx = el->scale_a[f] * (S[s] - g[f]);
                    if (dx == 0) continue;
                    for (o = 0; o < h1; o++) z[o] += W[(size_t)o * nf + f] * dx;
                }
                if (h1 != L->hmax) memmove(L->work + (size_t)cnt * h1, z, sizeof(sannip_real) * (size_t)h1);
                memcpy(L->tz1 + (size_t)q * L->h1max, L->work + (size_t)cnt * h1, sizeof(sannip_real) * (size_t)h1);
            } else sannip__local_scaled(L, i, S, L->work + (size_t)cnt * nf);
            cnt++;
        }
        if (!cnt) continue;
        sannip__local_network(L, e, cnt, L->dense1[e], NULL, L->te + L->naff);
        for (q = 0, c = 0; q < L->naff; q++) if (L->el[L->aff[q]] == e) L->te[q] = L->te[L->naff + c++];
    }
    for (q = 0; q < L->naff; q++) d += (double)L->te[q] - (double)L->eat[L->aff[q]];
    *dE = d;
    L->tk = k; memcpy(L->ts, s_new, sizeof L->ts); L->tvalid = 1;
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_spin_local_accept(sannip_spin_local *L, int k, const sannip_real *s_new)
{
    int q, s;
    double dE;
    sannip_result r;
    if (!L || !s_new || k < 0 || k >= L->n) return SANNIP_INVALID_ARGS;
    if (!(L->tvalid && L->tk == k && memcmp(L->ts, s_new, sizeof L->ts) == 0))
        if ((r = sannip_spin_local_delta(L, k, s_new, &dE)) != SANNIP_SUCCESS) return r;
    for (q = 0; q < L->naff; q++) {
        int i = L->aff[q], e = L->el[i];
        for (s = 0; s < L->nspin[e]; s++) L->G[(size_t)i * L->fmax + L->spinf[e * L->fmax + s]] = L->tS[(size_t)q * L->smax + s];
        if (L->dense1[e]) memcpy(L->z1 + (size_t)i * L->h1max, L->tz1 + (size_t)q * L->h1max, sizeof(sannip_real) * (size_t)sannip_model_network(L->m, e)->sizes[1]);
        L->eat[i] = L->te[q];
        if (q > 0 && L->nfk) memcpy(L->fsum + (size_t)i * L->nfk * 14, L->tfs + (size_t)q * L->nfk * 14, sizeof(double) * 14 * (size_t)L->nfk);
    }
    memcpy(L->spins + 3 * (size_t)k, s_new, 3 * sizeof(sannip_real));
    if (L->nfk) sannip__local_fsums(L, k);   /* k's own sums anew (its self images moved too) */
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
    double sint = sqrt(cost < 1 && cost > -1 ? 1 - cost * cost : 0), sp, cp;
    sannip__sincos(phi, &sp, &cp);
    s[0] = (sannip_real)(m * sint * cp);
    s[1] = (sannip_real)(m * sint * sp);
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

SANNIP_API double sannip_spin_magnetization_ratio(int n, const sannip_real *spins)
{
    double m[3] = { 0, 0, 0 }, tot = 0;
    int i, a;
    for (i = 0; i < n; i++) {
        for (a = 0; a < 3; a++) m[a] += spins[3 * i + a];
        tot += sqrt((double)spins[3 * i] * spins[3 * i] + (double)spins[3 * i + 1] * spins[3 * i + 1] + (double)spins[3 * i + 2] * spins[3 * i + 2]);
    }
    return tot > 0 ? sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]) / tot : 0;
}

SANNIP_API double sannip_spin_mean_magnitude(const sannip_structure *s, int n)
{
    double sum = 0;
    long cnt = 0;
    int i, a;
    for (i = 0; s && i < n; i++) if (s[i].spins) for (a = 0; a < s[i].n; a++) {
        const sannip_real *v = s[i].spins + 3 * a;
        double m = sqrt((double)v[0] * v[0] + (double)v[1] * v[1] + (double)v[2] * v[2]);
        if (m > 1e-3) { sum += m; cnt++; }
    }
    return cnt ? sum / cnt : 1;
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

/* ---- spin Monte Carlo ------------------------------------------------------------------- */
/* Sums kept per batch: count, m, m^2, m^4, e, e^2, ratio, polar variance. */
enum { SANNIP__MC_CNT, SANNIP__MC_M, SANNIP__MC_M2, SANNIP__MC_M4, SANNIP__MC_E, SANNIP__MC_E2,
       SANNIP__MC_R, SANNIP__MC_P, SANNIP__MC_NQ };
/* Estimates computed from batch sums: m, ratio, polar, e, chi, cv, u4. */
enum { SANNIP__MC_NEST = 7 };

/* Batch means with a doubling batch size: at most 2 B full batches are kept; when they
   fill up, neighbours merge and the batch size doubles, so memory is fixed and the batches
   stay of equal length whatever the run length. */
typedef struct sannip__mc_acc {
    int B, nb;                  /* target batches, full batches held */
    int64_t per_bin, fill;      /* samples per batch, samples in the open batch */
    double bin[2 * SANNIP_MC_MAX_BLOCKS + 1][SANNIP__MC_NQ];
} sannip__mc_acc;

static int sannip__mc_finite(double x) { return isfinite(x); }

static void sannip__mc_acc_init(sannip__mc_acc *a, int B)
{
    memset(a, 0, sizeof *a);
    a->B = B;
    a->per_bin = 1;
}
static void sannip__mc_acc_add(sannip__mc_acc *a, const double *q)
{
    int i, j;
    for (j = 0; j < SANNIP__MC_NQ; j++) a->bin[a->nb][j] += q[j];
    if (++a->fill < a->per_bin) return;
    a->fill = 0;
    if (++a->nb < 2 * a->B) return;
    for (i = 0; i < a->B; i++)
        for (j = 0; j < SANNIP__MC_NQ; j++) a->bin[i][j] = a->bin[2 * i][j] + a->bin[2 * i + 1][j];
    memset(a->bin[a->B], 0, sizeof(a->bin[0]) * (size_t)(a->B + 1));
    a->nb = a->B;
    a->per_bin *= 2;
}
/* Batches to use: the full ones plus the open one when it holds samples. */
static int sannip__mc_acc_batches(const sannip__mc_acc *a) { return a->nb + (a->fill > 0); }

/* m, ratio, polar, e, chi, cv, u4 from batch sums s (n spins, kT = kB T). */
static void sannip__mc_estimates(const double *s, int n, double kT, double *o)
{
    double c = s[SANNIP__MC_CNT], m = s[SANNIP__MC_M] / c, m2 = s[SANNIP__MC_M2] / c;
    double e = s[SANNIP__MC_E] / c, e2 = s[SANNIP__MC_E2] / c;
    o[0] = m;
    o[1] = s[SANNIP__MC_R] / c;
    o[2] = s[SANNIP__MC_P] / c;
    o[3] = e;
    o[4] = n * (m2 - m * m) / kT;
    o[5] = n * (e2 - e * e) / (kT * kT);
    o[6] = 1.0 - (s[SANNIP__MC_M4] / c) / (3.0 * m2 * m2);
}

/* Estimates and jackknife errors over nb batches (bins: nb x SANNIP__MC_NQ sums): leave
   one batch out, err^2 = (nb - 1)/nb sum_b (est_b - mean_b)^2 (exact batch-means error
   for linear observables; handles chi, cv and U4 too). */
static void sannip__mc_jackknife(const double *bins, int nb, int n, double kT,
                                 sannip_mc_value *out /* SANNIP__MC_NEST */)
{
    double tot[SANNIP__MC_NQ], loo[SANNIP__MC_NQ], est[SANNIP__MC_NEST];
    double s1[SANNIP__MC_NEST], s2[SANNIP__MC_NEST];
    int b, j;
    for (j = 0; j < SANNIP__MC_NQ; j++) tot[j] = 0;
    for (b = 0; b < nb; b++)
        for (j = 0; j < SANNIP__MC_NQ; j++) tot[j] += bins[b * SANNIP__MC_NQ + j];
    if (!(tot[SANNIP__MC_CNT] > 0)) {
        for (j = 0; j < SANNIP__MC_NEST; j++) out[j].mean = out[j].err = NAN;
        return;
    }
    sannip__mc_estimates(tot, n, kT, est);
    for (j = 0; j < SANNIP__MC_NEST; j++) { out[j].mean = est[j]; out[j].err = NAN; s1[j] = s2[j] = 0; }
    if (nb < 2) return;
    for (b = 0; b < nb; b++) {
        double e[SANNIP__MC_NEST];
        for (j = 0; j < SANNIP__MC_NQ; j++) loo[j] = tot[j] - bins[b * SANNIP__MC_NQ + j];
        sannip__mc_estimates(loo, n, kT, e);
        for (j = 0; j < SANNIP__MC_NEST; j++) s1[j] += e[j];
    }
    for (j = 0; j < SANNIP__MC_NEST; j++) s1[j] /= nb;
    for (b = 0; b < nb; b++) {   /* second pass: no cancellation in the variance */
        double e[SANNIP__MC_NEST];
        for (j = 0; j < SANNIP__MC_NQ; j++) loo[j] = tot[j] - bins[b * SANNIP__MC_NQ + j];
        sannip__mc_estimates(loo, n, kT, e);
        for (j = 0; j < SANNIP__MC_NEST; j++) s2[j] += (e[j] - s1[j]) * (e[j] - s1[j]);
    }
    for (j = 0; j < SANNIP__MC_NEST; j++) out[j].err = sqrt((nb - 1.0) / nb * s2[j]);
}

/* Fills the estimates of st from nb batches. */
static void sannip__mc_stats_set(sannip_mc_stats *st, const double *bins, int nb, int n)
{
    sannip_mc_value v[SANNIP__MC_NEST];
    int64_t samples = 0;
    int b;
    sannip__mc_jackknife(bins, nb, n, st->kT, v);
    for (b = 0; b < nb; b++) samples += (int64_t)bins[b * SANNIP__MC_NQ + SANNIP__MC_CNT];
    st->m = v[0]; st->ratio = v[1]; st->polar = v[2]; st->e = v[3];
    st->chi = v[4]; st->cv = v[5]; st->u4 = v[6];
    st->samples = samples;
    st->blocks = nb;
    st->acceptance = st->attempted > 0 ? (double)st->accepted / (double)st->attempted : 0;
}

static double sannip__mc_kB(const sannip_mc_config *c) { return c->kB == 0 ? SANNIP_KB_EV_PER_K : c->kB; }

SANNIP_API sannip_mc_config sannip_mc_config_init(double T)
{
    sannip_mc_config c;
    memset(&c, 0, sizeof c);
    c.T = T;
    c.move = SANNIP_MC_FIRST;
    c.magnitude = SANNIP_MC_MAG_KEEP;
    c.step = 0.5;
    c.target_acceptance = 0.5;
    c.unit = SANNIP_MC_SWEEPS;
    c.equil = 1000;
    c.length = 10000;
    c.measure_every = 1;
    c.n_blocks = 32;
    return c;
}
/* The configuration a chain uses: zero fields take sannip_mc_config_init's defaults,
   SANNIP_OFF fields become 0; other values pass to the checks unchanged. */
static sannip_mc_config sannip__mc_resolve(const sannip_mc_config *cfg)
{
    sannip_mc_config c = *cfg, d = sannip_mc_config_init(cfg->T);
    c.step = sannip__or_default(c.step, d.step);
    c.target_acceptance = sannip__or_default(c.target_acceptance, d.target_acceptance);
    c.equil = (int64_t)sannip__or_default((double)c.equil, (double)d.equil);
    c.length = (int64_t)sannip__or_default((double)c.length, (double)d.length);
    c.measure_every = (int)sannip__or_default(c.measure_every, d.measure_every);
    c.n_blocks = (int)sannip__or_default(c.n_blocks, d.n_blocks);
    return c;
}

static sannip_result sannip__mc_check_T(double T, sannip_error *err)
{
    if (!(T > 0) || !sannip__mc_finite(T))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "temperature %g must be finite and > 0", T);
    return SANNIP_SUCCESS;
}

static sannip_result sannip__mc_check_mu(const sannip_mc_config *c, sannip_error *err)
{
    double a = c->mag_a, b = c->mag_b;
    switch (c->magnitude) {
    case SANNIP_MC_MAG_KEEP: return SANNIP_SUCCESS;
    case SANNIP_MC_MAG_UNIFORM:
        if (sannip__mc_finite(a) && sannip__mc_finite(b) && a >= 0 && b >= a && b > 0) return SANNIP_SUCCESS;
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "uniform magnitudes need 0 <= mag_a <= mag_b, mag_b > 0 (got %g, %g)", a, b);
    case SANNIP_MC_MAG_NORMAL:
        if (sannip__mc_finite(a) && sannip__mc_finite(b) && a > 0 && b > 0) return SANNIP_SUCCESS;
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "normal magnitudes need mag_a > 0 and mag_b > 0 (got %g, %g)", a, b);
    }
    return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "unknown magnitude mode %d", c->magnitude);
}

SANNIP_API sannip_result sannip_mc_config_check(const sannip_mc_config *cfg, sannip_error *err)
{
    sannip_result r;
    sannip_mc_config rc;
    const sannip_mc_config *c = &rc;
    if (!cfg) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL config");
    rc = sannip__mc_resolve(cfg);
    if ((r = sannip__mc_check_T(c->T, err)) != SANNIP_SUCCESS) return r;
    if (!(c->kB >= 0) || !sannip__mc_finite(c->kB))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "kB %g must be >= 0 (0: eV/K)", c->kB);
    if (c->move != SANNIP_MC_ZEROTH && c->move != SANNIP_MC_FIRST)
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "unknown move %d", c->move);
    if (!(c->step > 0) || !sannip__mc_finite(c->step))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "step %g must be finite and > 0", c->step);
    if ((r = sannip__mc_check_mu(c, err)) != SANNIP_SUCCESS) return r;
    if (!c->no_adapt && !(c->target_acceptance > 0 && c->target_acceptance < 1))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "target acceptance %g must be in (0, 1)", c->target_acceptance);
    if (c->unit != SANNIP_MC_SWEEPS && c->unit != SANNIP_MC_ACCEPTED)
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "unknown run unit %d", c->unit);
    if (c->equil < 0 || c->length <= 0 || c->max_sweeps < 0)
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "run lengths: equil %lld >= 0, length %lld > 0, max_sweeps %lld >= 0",
                            (long long)c->equil, (long long)c->length, (long long)c->max_sweeps);
    if (c->measure_every < 1)
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "measure_every %d must be >= 1", c->measure_every);
    if (c->n_blocks < 2 || c->n_blocks > SANNIP_MC_MAX_BLOCKS)
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "n_blocks %d must be in 2..%d", c->n_blocks, SANNIP_MC_MAX_BLOCKS);
    return SANNIP_SUCCESS;
}

SANNIP_API void sannip_mc_rng_stream(uint64_t seed, int w, sannip_rng *out)
{
    sannip_rng base;
    int i;
    sannip_rng_seed(&base, seed);
    for (i = 0; i <= w; i++) sannip_rng_split(&base, out);
}

/* ---- moves ---------------------------------------------------------------------------- */
/* A direction uniform on the unit sphere: the paramagnetic draw of T3.32 (cos Theta uniform
   in [-1, 1], azimuth uniform), generated without trigonometry by Marsaglia's (1972)
   method: (x, y) uniform in the unit disc, d = (2x sqrt(1-r2), 2y sqrt(1-r2), 1 - 2 r2). */
static void sannip__mc_direction(sannip_rng *rng, double *d)
{
    double x, y, r2, f;
    do {
        x = 2.0 * sannip_rng_uniform(rng) - 1.0;
        y = 2.0 * sannip_rng_uniform(rng) - 1.0;
        r2 = x * x + y * y;
    } while (r2 >= 1.0);
    f = 2.0 * sqrt(1.0 - r2);
    d[0] = x * f; d[1] = y * f; d[2] = 1.0 - 2.0 * r2;
}

/* A magnitude from mu (or `keep` when magnitudes are fixed). */
static double sannip__mc_magnitude(const sannip_mc_config *c, sannip_rng *rng, double keep)
{
    switch (c->magnitude) {
    case SANNIP_MC_MAG_UNIFORM: return c->mag_a + (c->mag_b - c->mag_a) * sannip_rng_uniform(rng);
    case SANNIP_MC_MAG_NORMAL: return fabs(c->mag_a + c->mag_b * sannip_rng_normal(rng));
    default: return keep;
    }
}

/* Proposal for spin k: s_new (rounded to sannip_real, the bits the model sees) and its
   magnitude. Directions: zeroth order fresh (T3.32), first order turned by ~asin(step). */
static void sannip__mc_propose(sannip_mc *mc, int k, sannip_real *s_new, double *mag_new)
{
    const sannip_mc_config *c = &mc->cfg;
    const sannip_real *s = mc->spins + 3 * (size_t)k;
    double mag = sannip__mc_magnitude(c, &mc->rng, mc->mag[k]), scale = mag, d[3];
    int a;
    if (c->collinear) {
        double sign;
        if (c->move == SANNIP_MC_ZEROTH || s[2] == 0) sign = sannip_rng_uniform(&mc->rng) < 0.5 ? 1.0 : -1.0;
        else sign = s[2] > 0 ? -1.0 : 1.0;        /* first order on the axis: a flip */
        d[0] = d[1] = 0; d[2] = sign;
    } else if (c->move == SANNIP_MC_ZEROTH || mc->mag[k] == 0) {
        sannip__mc_direction(&mc->rng, d);
    } else {
        /* S/|S| + step u with u isotropic: the density of the new direction depends only on
           the angle turned, so the proposal is symmetric (detailed balance, T sec. 4.3.1).
           Computed as v = S + |S| step u (same direction), then scaled to the magnitude. */
        double u[3], len2, f = mc->mag[k] * mc->step;
        sannip__mc_direction(&mc->rng, u);
        for (a = 0; a < 3; a++) d[a] = s[a] + f * u[a];
        len2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        if (!(len2 > 1e-24 * mc->mag[k] * mc->mag[k])) { d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; len2 = mc->mag[k] * mc->mag[k]; }  /* measure zero: stay */
        scale = mag / sqrt(len2);
    }
    for (a = 0; a < 3; a++) s_new[a] = (sannip_real)(scale * d[a]);
    *mag_new = mag;
}

/* Makes spin k = s_new in the chain's own state, keeping M and sum |S| (O(1)). */
static void sannip__mc_commit(sannip_mc *mc, int k, const sannip_real *s_new, double mag_new)
{
    sannip_real *s = mc->spins + 3 * (size_t)k;
    int a;
    for (a = 0; a < 3; a++) { mc->M[a] += (double)s_new[a] - (double)s[a]; s[a] = s_new[a]; }
    mc->sum_mag += mag_new - mc->mag[k];
    mc->mag[k] = mag_new;
}

SANNIP_API sannip_result sannip_mc_attempt(sannip_mc *mc, int *accepted, sannip_error *err)
{
    sannip_real s_new[3];
    double mag_new, dE = 0, u;
    int k, acc;
    sannip_result r;
    if (accepted) *accepted = 0;
    if (!mc || !mc->spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL or uninitialised chain");
    k = (int)(sannip_rng_uniform(&mc->rng) * mc->n);
    if (k >= mc->n) k = mc->n - 1;
    if (mc->mag[k] == 0) return SANNIP_SUCCESS;   /* an atom without a moment never moves (not an attempt) */
    sannip__mc_propose(mc, k, s_new, &mag_new);
    if ((r = mc->model.delta(mc->model.user, k, s_new, &dE)) != SANNIP_SUCCESS)
        return sannip__fail(err, r, 0, 0, "model delta failed for spin %d (%s)", k, sannip_result_string(r));
    if (dE != dE || dE == -INFINITY)
        return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "model returned dE = %g for spin %d", dE, k);
    /* Metropolis (T sec. 4.3.1, steps 3-4): downhill always, uphill with probability e^{-dE/kT};
       u is drawn either way so the stream does not depend on the sign of dE. */
    u = sannip_rng_uniform(&mc->rng);
    acc = dE <= 0 || u < sannip__exp(-mc->beta * dE);
    mc->attempted++;
    if (!acc) return SANNIP_SUCCESS;
    if ((r = mc->model.accept(mc->model.user, k, s_new)) != SANNIP_SUCCESS)
        return sannip__fail(err, r, 0, 0, "model accept failed for spin %d (%s)", k, sannip_result_string(r));
    sannip__mc_commit(mc, k, s_new, mag_new);
    mc->E += dE;
    mc->accepted++;
    if (accepted) *accepted = 1;
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_mc_sweep(sannip_mc *mc, sannip_error *err)
{
    int i;
    sannip_result r;
    if (!mc || !mc->spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL or uninitialised chain");
    for (i = 0; i < mc->n; i++)
        if ((r = sannip_mc_attempt(mc, NULL, err)) != SANNIP_SUCCESS) return r;
    return SANNIP_SUCCESS;
}

/* ---- chain set-up --------------------------------------------------------------------- */
static sannip_result sannip__mc_model_check(const sannip_mc_model *m, sannip_error *err)
{
    if (!m) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL model");
    if (!m->delta || !m->accept || !m->energy)
        return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "model lacks delta, accept or energy");
    if (m->n <= 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "model has n = %d spins", m->n);
    if (m->n > SANNIP_MAX_ATOMS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "%d spins > SANNIP_MAX_ATOMS", m->n);
    return SANNIP_SUCCESS;
}

static sannip_result sannip__mc_spins_check(int n, const sannip_real *spins, int collinear, sannip_error *err)
{
    int i, a;
    if (!spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL spins");
    for (i = 0; i < n; i++) {
        for (a = 0; a < 3; a++)
            if (!sannip__mc_finite(spins[3 * i + a]))
                return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "spin %d component %d is not finite", i, a);
        if (collinear && (spins[3 * i] != 0 || spins[3 * i + 1] != 0))
            return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "collinear mode: spin %d has x or y != 0", i);
    }
    return SANNIP_SUCCESS;
}

/* M and sum |S| recomputed from the spins (in index order). */
static void sannip__mc_sums(sannip_mc *mc)
{
    int i, a;
    mc->M[0] = mc->M[1] = mc->M[2] = 0;
    mc->sum_mag = 0;
    for (i = 0; i < mc->n; i++) {
        for (a = 0; a < 3; a++) mc->M[a] += mc->spins[3 * i + a];
        mc->sum_mag += mc->mag[i];
    }
}

static double sannip__mc_norm(const sannip_real *s)
{
    return sqrt((double)s[0] * s[0] + (double)s[1] * s[1] + (double)s[2] * s[2]);
}

SANNIP_API sannip_result sannip_mc_resync(sannip_mc *mc, sannip_error *err)
{
    sannip_result r;
    if (!mc || !mc->spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL or uninitialised chain");
    sannip__mc_sums(mc);
    if ((r = mc->model.energy(mc->model.user, &mc->E)) != SANNIP_SUCCESS)
        return sannip__fail(err, r, 0, 0, "model energy failed (%s)", sannip_result_string(r));
    if (!sannip__mc_finite(mc->E)) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "model energy is %g", mc->E);
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_mc_set_spins(sannip_mc *mc, const sannip_real *spins, sannip_error *err)
{
    sannip_result r;
    int i;
    if (!mc || !mc->spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL or uninitialised chain");
    if ((r = sannip__mc_spins_check(mc->n, spins, mc->cfg.collinear, err)) != SANNIP_SUCCESS) return r;
    memcpy(mc->spins, spins, sizeof(sannip_real) * 3 * (size_t)mc->n);
    for (i = 0; i < mc->n; i++) mc->mag[i] = sannip__mc_norm(spins + 3 * i);
    if (mc->model.set_spins) r = mc->model.set_spins(mc->model.user, spins);
    else for (i = 0; i < mc->n && r == SANNIP_SUCCESS; i++) r = mc->model.accept(mc->model.user, i, spins + 3 * i);
    if (r != SANNIP_SUCCESS) return sannip__fail(err, r, 0, 0, "model could not load the spins (%s)", sannip_result_string(r));
    return sannip_mc_resync(mc, err);
}

SANNIP_API sannip_result sannip_mc_set_temperature(sannip_mc *mc, double T, sannip_error *err)
{
    sannip_result r;
    if (!mc || !mc->spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL or uninitialised chain");
    if ((r = sannip__mc_check_T(T, err)) != SANNIP_SUCCESS) return r;
    mc->cfg.T = T;
    mc->beta = 1.0 / (sannip__mc_kB(&mc->cfg) * T);
    return SANNIP_SUCCESS;
}

SANNIP_API void sannip_mc_uninit(sannip_mc *mc)
{
    if (!mc) return;
    sannip_free(&mc->alloc, mc->spins);
    sannip_free(&mc->alloc, mc->mag);
    sannip_free(&mc->alloc, mc->acc);
    mc->spins = NULL; mc->mag = NULL; mc->acc = NULL;
}

SANNIP_API sannip_result sannip_mc_init(sannip_mc *mc, const sannip_mc_model *model,
        const sannip_real *spins, const sannip_mc_config *cfg, const sannip_rng *rng,
        const sannip_allocator *alloc, sannip_error *err)
{
    sannip_result r;
    if (!mc) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL chain");
    memset(mc, 0, sizeof *mc);
    mc->run.phase = -1;
    if ((r = sannip__mc_model_check(model, err)) != SANNIP_SUCCESS) return r;
    if ((r = sannip_mc_config_check(cfg, err)) != SANNIP_SUCCESS) return r;
    if (!rng) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL rng");
    if ((r = sannip__mc_spins_check(model->n, spins, cfg->collinear, err)) != SANNIP_SUCCESS) return r;
    mc->cfg = sannip__mc_resolve(cfg);
    if ((int64_t)model->n > INT64_MAX / 1000 / mc->cfg.measure_every)
        return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "n x measure_every overflows");
    mc->alloc = sannip__alloc_copy(alloc);
    mc->n = model->n;
    mc->model = *model;
    mc->rng = *rng;
    mc->step = mc->cfg.step;
    mc->beta = 1.0 / (sannip__mc_kB(cfg) * cfg->T);
    mc->spins = (sannip_real *)sannip__calloc(&mc->alloc, 3 * (size_t)mc->n, sizeof(sannip_real));
    mc->mag = (double *)sannip__calloc(&mc->alloc, (size_t)mc->n, sizeof(double));
    if (!mc->spins || !mc->mag) {
        sannip_mc_uninit(mc);
        return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "chain of %d spins", model->n);
    }
    if ((r = sannip_mc_set_spins(mc, spins, err)) != SANNIP_SUCCESS) { sannip_mc_uninit(mc); return r; }
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

/* ---- runs ----------------------------------------------------------------------------- */
/* Takes one sample: into acc (production) and to the callback. */
static void sannip__mc_measure(sannip_mc *mc, int phase, int64_t att, int64_t acc_moves, sannip__mc_acc *acc)
{
    const sannip_mc_config *c = &mc->cfg;
    double Mn = sqrt(mc->M[0] * mc->M[0] + mc->M[1] * mc->M[1] + mc->M[2] * mc->M[2]);
    double m = Mn / mc->n, e = mc->E / mc->n, ratio = mc->sum_mag > 0 ? Mn / mc->sum_mag : 0;
    double polar = c->skip_polar ? NAN : sannip_spin_polar_variance(mc->n, mc->spins);
    if (acc) {
        double q[SANNIP__MC_NQ];
        q[SANNIP__MC_CNT] = 1; q[SANNIP__MC_M] = m; q[SANNIP__MC_M2] = m * m; q[SANNIP__MC_M4] = m * m * m * m;
        q[SANNIP__MC_E] = e; q[SANNIP__MC_E2] = e * e; q[SANNIP__MC_R] = ratio; q[SANNIP__MC_P] = polar;
        sannip__mc_acc_add(acc, q);
    }
    if (c->on_sample) {
        sannip_mc_sample s;
        s.walker = mc->walker; s.temp_index = mc->temp_index; s.phase = phase;
        s.sweep = att / mc->n; s.attempted = att; s.accepted = acc_moves;
        s.T = c->T; s.E = mc->E; s.e = e; s.m = m; s.ratio = ratio; s.polar = polar; s.step = mc->step;
        c->on_sample(c->sample_user, &s);
    }
}

/* Step adaptation (equilibration only): scale the step by the ratio of the acceptance of
   the last window to the target (within [1/2, 2]), keeping it in [1e-4, 10]; above ~10 the
   first-order move is already a fresh draw. */
static void sannip__mc_adapt(sannip_mc *mc, double acceptance)
{
    double f = acceptance / mc->cfg.target_acceptance;
    f = f < 0.5 ? 0.5 : f > 2.0 ? 2.0 : f;
    mc->step *= f;
    mc->step = mc->step < 1e-4 ? 1e-4 : mc->step > 10.0 ? 10.0 : mc->step;
}

/* A new phase (0 equilibration, 1 production) of the run: its counters from the chain's. */
static void sannip__mc_phase_start(sannip_mc *mc, int phase)
{
    sannip_mc_progress *p = &mc->run;
    p->phase = phase; p->att = 0;
    p->acc0 = p->win_acc0 = mc->accepted; p->win_att0 = mc->attempted;
    if (phase == 1) { p->prod_att0 = mc->attempted; p->prod_acc0 = mc->accepted; }
}

/* Continues the current phase (cfg.equil or cfg.length sweeps or accepted moves) for at
   most budget attempts; *complete = 1 when the phase is done. Sample and adaptation points
   are multiples of the phase's attempts, so pieces of any size give one run's bits. */
static sannip_result sannip__mc_phase(sannip_mc *mc, sannip__mc_acc *acc, int64_t budget, int *complete,
                                      sannip_error *err)
{
    const sannip_mc_config *c = &mc->cfg;
    sannip_mc_progress *p = &mc->run;
    int phase = p->phase;
    int64_t n = mc->n, len = phase == 0 ? c->equil : c->length, cap, spent = 0;
    int64_t per_sample = n * c->measure_every, window = n > 100 ? n : 100;
    int64_t next_sample = (p->att / per_sample + 1) * per_sample, next_window = (p->att / window + 1) * window;
    int adapt = phase == 0 && !c->no_adapt && c->move == SANNIP_MC_FIRST && !c->collinear;
    sannip__mc_acc *a = phase == 1 ? acc : NULL;
    int measure = a != NULL || c->on_sample != NULL;
    sannip_result r;
    *complete = 0;
    if (c->unit == SANNIP_MC_SWEEPS) {
        if (len > INT64_MAX / n) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "%lld sweeps of %d spins overflow", (long long)len, mc->n);
        cap = len * n;
    } else {
        int64_t sweeps = c->max_sweeps > 0 ? c->max_sweeps : (len / n + 1 > INT64_MAX / 1000 ? INT64_MAX / 1000 : 1000 * (len / n + 1));
        cap = sweeps > INT64_MAX / n ? INT64_MAX : sweeps * n;
    }
    while (c->unit == SANNIP_MC_SWEEPS || mc->accepted - p->acc0 < len) {
        if (p->att >= cap) { if (c->unit == SANNIP_MC_ACCEPTED) p->hit_limit = 1; break; }
        if (spent >= budget) return SANNIP_SUCCESS;
        if ((r = sannip_mc_attempt(mc, NULL, err)) != SANNIP_SUCCESS) return r;
        p->att++; spent++;
        if (adapt && p->att == next_window) {
            /* acceptance over real attempts (atoms without a moment are skipped) */
            if (mc->attempted > p->win_att0) sannip__mc_adapt(mc, (double)(mc->accepted - p->win_acc0) / (double)(mc->attempted - p->win_att0));
            p->win_acc0 = mc->accepted; p->win_att0 = mc->attempted;
            next_window += window;
        }
        if (p->att == next_sample) {
            if (measure) sannip__mc_measure(mc, phase, p->att, mc->accepted - p->acc0, a);
            next_sample += per_sample;
        }
    }
    *complete = 1;
    return SANNIP_SUCCESS;
}

/* Starts a run: fresh batch sums, resync (exact sums and energy at the start of every run:
   no rounding drift between runs), then equilibration, or production when equil is off. */
static sannip_result sannip__mc_begin(sannip_mc *mc, sannip__mc_acc *acc, sannip_error *err)
{
    sannip_result r;
    sannip__mc_acc_init(acc, mc->cfg.n_blocks);
    memset(&mc->run, 0, sizeof mc->run);
    mc->run.phase = -1;
    if ((r = sannip_mc_resync(mc, err)) != SANNIP_SUCCESS) return r;
    sannip__mc_phase_start(mc, mc->cfg.equil > 0 ? 0 : 1);
    return SANNIP_SUCCESS;
}

/* Advances the current run by at most budget attempts; *done = 1 when production is done. */
static sannip_result sannip__mc_continue(sannip_mc *mc, sannip__mc_acc *acc, int64_t budget, int *done, sannip_error *err)
{
    int complete;
    sannip_result r;
    *done = 0;
    for (;;) {
        int64_t a0 = mc->run.att;
        if ((r = sannip__mc_phase(mc, acc, budget, &complete, err)) != SANNIP_SUCCESS) return r;
        budget -= mc->run.att - a0;
        if (!complete) return SANNIP_SUCCESS;
        if (mc->run.phase == 1) { *done = 1; return SANNIP_SUCCESS; }
        sannip__mc_phase_start(mc, 1);
    }
}

/* Production counters and the limit flag of the current run into st (estimates: stats_set). */
static void sannip__mc_run_counters(const sannip_mc *mc, sannip_mc_stats *st)
{
    memset(st, 0, sizeof *st);
    st->T = mc->cfg.T;
    st->kT = sannip__mc_kB(&mc->cfg) * mc->cfg.T;
    st->attempted = mc->attempted - mc->run.prod_att0;
    st->accepted = mc->accepted - mc->run.prod_acc0;
    st->step = mc->step;
    st->hit_limit = mc->run.hit_limit;
}

/* Equilibration then production into acc; production counters and the limit flag in st. */
static sannip_result sannip__mc_run_acc(sannip_mc *mc, sannip__mc_acc *acc, sannip_mc_stats *st, sannip_error *err)
{
    int done;
    sannip_result r;
    memset(st, 0, sizeof *st);
    if ((r = sannip__mc_begin(mc, acc, err)) != SANNIP_SUCCESS || (r = sannip__mc_continue(mc, acc, INT64_MAX, &done, err)) != SANNIP_SUCCESS) return r;
    sannip__mc_run_counters(mc, st);
    return SANNIP_SUCCESS;
}

/* The chain's own batch sums (allocated at its first run). */
static sannip_result sannip__mc_own_acc(sannip_mc *mc, sannip_error *err)
{
    if (!mc->acc && !(mc->acc = (sannip__mc_acc *)sannip__calloc(&mc->alloc, 1, sizeof *mc->acc)))
        return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "batch accumulator");
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_mc_run(sannip_mc *mc, sannip_mc_stats *stats, sannip_error *err)
{
    sannip_result r;
    if (!mc || !mc->spins || !stats) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL chain or stats");
    if ((r = sannip__mc_own_acc(mc, err)) != SANNIP_SUCCESS) return r;
    r = sannip__mc_run_acc(mc, mc->acc, stats, err);
    if (r == SANNIP_SUCCESS) sannip__mc_stats_set(stats, &mc->acc->bin[0][0], sannip__mc_acc_batches(mc->acc), mc->n);
    return r;
}

SANNIP_API sannip_result sannip_mc_advance(sannip_mc *mc, int64_t max_sweeps, int *finished,
        sannip_mc_stats *stats, sannip_error *err)
{
    sannip_result r;
    int done = 0;
    if (!mc || !mc->spins || !finished || max_sweeps < 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "mc advance: NULL chain or flag, or %lld sweeps", (long long)max_sweeps);
    *finished = 0;
    if ((r = sannip__mc_own_acc(mc, err)) != SANNIP_SUCCESS) return r;
    if (mc->run.phase < 0 && (r = sannip__mc_begin(mc, mc->acc, err)) != SANNIP_SUCCESS) return r;
    r = sannip__mc_continue(mc, mc->acc, max_sweeps > INT64_MAX / mc->n ? INT64_MAX : max_sweeps * mc->n, &done, err);
    if (r != SANNIP_SUCCESS) return r;
    *finished = done;
    if (done && stats) {
        sannip__mc_run_counters(mc, stats);
        sannip__mc_stats_set(stats, &mc->acc->bin[0][0], sannip__mc_acc_batches(mc->acc), mc->n);
    }
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_mc_spins_start(int kind, int n, double magnitude, const int *sublattice,
        const sannip_mc_config *cfg, sannip_rng *rng, sannip_real *spins, sannip_error *err)
{
    int drawn = cfg && cfg->magnitude != SANNIP_MC_MAG_KEEP, collinear = cfg && cfg->collinear, i;
    sannip_result r;
    if (n <= 0 || !spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "n = %d spins into %p", n, (void *)spins);
    if (kind < SANNIP_MC_START_FM || kind > SANNIP_MC_START_AFM)
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "unknown start %d", kind);
    if (drawn && (r = sannip__mc_check_mu(cfg, err)) != SANNIP_SUCCESS) return r;
    if (!drawn && (!(magnitude >= 0) || !sannip__mc_finite(magnitude)))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "magnitude %g must be finite and >= 0", magnitude);
    if (!rng && (drawn || kind == SANNIP_MC_START_PM))
        return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "this start needs an rng");
    for (i = 0; i < n; i++) {
        double d[3] = { 0, 0, 1 }, mag;
        int a;
        if (kind == SANNIP_MC_START_AFM && (sublattice ? sublattice[i] <= 0 : (i & 1))) d[2] = -1;
        if (kind == SANNIP_MC_START_PM) {
            if (collinear) d[2] = sannip_rng_uniform(rng) < 0.5 ? 1 : -1;
            else sannip__mc_direction(rng, d);
        }
        mag = drawn ? sannip__mc_magnitude(cfg, rng, magnitude) : magnitude;
        for (a = 0; a < 3; a++) spins[3 * i + a] = (sannip_real)(mag * d[a]);
    }
    return SANNIP_SUCCESS;
}

/* ---- walkers, hysteresis, Curie scans ------------------------------------------------- */
/* One walker over the temperature grid: acc[t] and st[t] per temperature. */
static sannip_result sannip__mc_walker(const sannip_mc_model *model, const sannip_real *init, int w,
        int n_T, const double *temps, int carry, const sannip_mc_config *cfg, uint64_t seed,
        sannip__mc_acc *acc, sannip_mc_stats *st, sannip_real *final_spins, sannip_error *err)
{
    sannip_mc mc;
    sannip_rng rng;
    sannip_result r;
    int t;
    sannip_mc_rng_stream(seed, w, &rng);
    if ((r = sannip_mc_init(&mc, model, init, cfg, &rng, &cfg->alloc, err)) != SANNIP_SUCCESS) return r;
    mc.walker = w;
    for (t = 0; t < n_T && r == SANNIP_SUCCESS; t++) {
        mc.temp_index = t;
        if (t > 0 && !carry) {
            mc.step = mc.cfg.step;
            r = sannip_mc_set_spins(&mc, init, err);
        }
        if (r == SANNIP_SUCCESS) r = sannip_mc_set_temperature(&mc, temps[t], err);
        if (r == SANNIP_SUCCESS) r = sannip__mc_run_acc(&mc, &acc[t], &st[t], err);
    }
    if (r == SANNIP_SUCCESS && final_spins)
        memcpy(final_spins, mc.spins, sizeof(sannip_real) * 3 * (size_t)mc.n);
    sannip_mc_uninit(&mc);
    return r;
}

/* Walkers w = 0..nw-1 (models[w], init[w] or init_all) over temps[n_T], in parallel.
   Outputs: per[t * nw + w] and pooled[t] (both optional), final_spins (optional). */
static sannip_result sannip__mc_grid(const sannip_mc_model *models, int nw, const sannip_real *const *init,
        const sannip_real *init_all, int n_T, const double *temps, int carry, const sannip_mc_config *cfg,
        uint64_t seed, sannip_mc_stats *per, sannip_mc_stats *pooled, sannip_real *final_spins, sannip_error *err)
{
    sannip__mc_acc *acc = NULL;
    sannip_mc_stats *st = NULL;
    sannip_error *werr = NULL;
    sannip_result *wr = NULL, r = SANNIP_SUCCESS;
    double *bins = NULL;
    sannip_mc_config c;
    int w, t, n;
    size_t cells;
    if (!models || nw <= 0 || n_T <= 0 || !temps || (!init && !init_all))
        return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "need models, n_walkers > 0, temperatures and starting spins");
    if (!cfg) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL config");
    for (t = 0; t < n_T; t++)
        if ((r = sannip__mc_check_T(temps[t], err)) != SANNIP_SUCCESS) return r;
    c = sannip__mc_resolve(cfg);
    c.T = temps[0];   /* cfg->T is not used by a scan */
    if ((r = sannip_mc_config_check(&c, err)) != SANNIP_SUCCESS) return r;
    for (w = 0; w < nw; w++) {
        if ((r = sannip__mc_model_check(&models[w], err)) != SANNIP_SUCCESS) { sannip__err_prefix(err, "walker model: "); return r; }
        if (models[w].n != models[0].n) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "walker %d model has %d spins, walker 0 %d", w, models[w].n, models[0].n);
        if (init && !init[w]) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "walker %d: NULL starting spins", w);
    }
    n = models[0].n;
    if (nw > SANNIP_MAX_ATOMS || n_T > SANNIP_MAX_ATOMS || !sannip__mul((size_t)nw, (size_t)n_T, &cells))
        return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "%d walkers x %d temperatures", nw, n_T);
    acc = (sannip__mc_acc *)sannip__calloc(&c.alloc, cells, sizeof *acc);
    st = (sannip_mc_stats *)sannip__calloc(&c.alloc, cells, sizeof *st);
    werr = (sannip_error *)sannip__calloc(&c.alloc, (size_t)nw, sizeof *werr);
    wr = (sannip_result *)sannip__calloc(&c.alloc, (size_t)nw, sizeof *wr);
    bins = (double *)sannip__calloc(&c.alloc, (size_t)nw * (2 * SANNIP_MC_MAX_BLOCKS + 1) * SANNIP__MC_NQ, sizeof(double));
    if (!acc || !st || !werr || !wr || !bins) { r = sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "walker results"); goto done; }
#ifdef SANNIP__OMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
    for (w = 0; w < nw; w++)
        wr[w] = sannip__mc_walker(&models[w], init ? init[w] : init_all, w, n_T, temps, carry, &c, seed,
                                  acc + (size_t)w * n_T, st + (size_t)w * n_T,
                                  final_spins ? final_spins + (size_t)w * 3 * n : NULL, &werr[w]);
    for (w = 0; w < nw; w++)   /* the first failing walker, whatever the thread count */
        if (wr[w] != SANNIP_SUCCESS) {
            r = wr[w];
            if (err) { *err = werr[w]; sannip__err_prefix(err, "walker: "); }
            goto done;
        }
    for (t = 0; t < n_T; t++) {
        sannip_mc_stats sum;
        int nb = 0;
        memset(&sum, 0, sizeof sum);
        sum.T = temps[t];
        sum.kT = sannip__mc_kB(&c) * temps[t];
        for (w = 0; w < nw; w++) {
            const sannip__mc_acc *a = &acc[(size_t)w * n_T + t];
            sannip_mc_stats *s = &st[(size_t)w * n_T + t];
            int k = sannip__mc_acc_batches(a);
            sannip__mc_stats_set(s, &a->bin[0][0], k, n);
            if (per) per[(size_t)t * nw + w] = *s;
            memcpy(bins + (size_t)nb * SANNIP__MC_NQ, &a->bin[0][0], sizeof(double) * SANNIP__MC_NQ * (size_t)k);
            nb += k;
            sum.attempted += s->attempted;
            sum.accepted += s->accepted;
            sum.step += s->step / nw;
            sum.hit_limit |= s->hit_limit;
        }
        if (pooled) { pooled[t] = sum; sannip__mc_stats_set(&pooled[t], bins, nb, n); }
    }
    sannip__ok(err);
done:
    sannip_free(&c.alloc, acc); sannip_free(&c.alloc, st); sannip_free(&c.alloc, werr);
    sannip_free(&c.alloc, wr); sannip_free(&c.alloc, bins);
    return r;
}

SANNIP_API sannip_result sannip_mc_walkers(const sannip_mc_model *models, int n_walkers,
        const sannip_real *const *init, const sannip_mc_config *cfg, uint64_t seed,
        sannip_mc_stats *per_walker, sannip_mc_stats *pooled, sannip_real *final_spins,
        sannip_error *err)
{
    if (!init || !cfg) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL starting spins or config");
    return sannip__mc_grid(models, n_walkers, init, NULL, 1, &cfg->T, 0, cfg, seed, per_walker, pooled,
                           final_spins, err);
}

SANNIP_API sannip_result sannip_mc_hysteresis(const sannip_mc_model *models, int n_starts,
        const sannip_real *const *starts, const sannip_mc_config *cfg, uint64_t seed,
        sannip_mc_stats *stats, sannip_error *err)
{
    if (!stats) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL stats");
    return sannip_mc_walkers(models, n_starts, starts, cfg, seed, stats, NULL, NULL, err);
}

SANNIP_API sannip_result sannip_mc_curie_scan(const sannip_mc_model *models, int n_walkers,
        const sannip_real *init, int n_T, const double *temps, int carry,
        const sannip_mc_config *cfg, uint64_t seed, sannip_mc_stats *stats,
        sannip_real *final_spins, sannip_error *err)
{
    if (!init || !stats) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL starting spins or stats");
    return sannip__mc_grid(models, n_walkers, NULL, init, n_T, temps, carry, cfg, seed, NULL, stats,
                           final_spins, err);
}

/* ---- T_c estimates -------------------------------------------------------------------- */
static sannip_result sannip__mc_grid_check(int n, const double *T, sannip_error *err)
{
    int i;
    if (n < 2 || !T) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "need n >= 2 temperatures (got %d)", n);
    for (i = 0; i < n; i++) {
        if (!sannip__mc_finite(T[i])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "temperature %d is not finite", i);
        if (i > 0 && !(T[i] > T[i - 1])) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "temperatures must increase (T[%d] = %g)", i, T[i]);
    }
    return SANNIP_SUCCESS;
}

/* Abscissa of the vertex of the parabola through three points. */
static double sannip__mc_vertex(const double *x, const double *y)
{
    double a = (x[1] - x[0]) * (y[1] - y[2]), b = (x[1] - x[2]) * (y[1] - y[0]);
    double den = a - b;
    if (den == 0) return x[1];
    return x[1] - 0.5 * ((x[1] - x[0]) * a - (x[1] - x[2]) * b) / den;
}

SANNIP_API sannip_result sannip_mc_chi_peak(int n, const double *T, const double *chi,
        const double *chi_err, double *Tc, double *Tc_err, sannip_error *err)
{
    sannip_result r;
    double y[3], var = 0, v;
    int i, im = 0, j;
    if ((r = sannip__mc_grid_check(n, T, err)) != SANNIP_SUCCESS) return r;
    if (!chi || !Tc || !Tc_err) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL chi or output");
    for (i = 0; i < n; i++) {
        if (!sannip__mc_finite(chi[i])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "chi[%d] is not finite", i);
        if (chi[i] > chi[im]) im = i;
    }
    if (im == 0 || im == n - 1) {
        *Tc = T[im];
        *Tc_err = fabs(T[im == 0 ? 1 : n - 2] - T[im]);
        return sannip__fail(err, SANNIP_ERROR, 0, 0, "susceptibility is largest at the end of the grid (T = %g): widen it", T[im]);
    }
    for (j = 0; j < 3; j++) y[j] = chi[im - 1 + j];
    v = sannip__mc_vertex(T + im - 1, y);
    *Tc = v < T[im - 1] ? T[im - 1] : v > T[im + 1] ? T[im + 1] : v;
    /* error: first-order propagation of the three chi errors (central differences) */
    for (j = 0; chi_err && j < 3; j++) {
        double h = 1e-4 * (chi_err[im - 1 + j] > 0 ? chi_err[im - 1 + j] : 1.0), d, yp, ym;
        yp = y[j] + h; ym = y[j] - h;
        y[j] = yp; d = sannip__mc_vertex(T + im - 1, y);
        y[j] = ym; d -= sannip__mc_vertex(T + im - 1, y);
        y[j] = chi[im - 1 + j];
        d /= 2 * h;
        var += d * d * chi_err[im - 1 + j] * chi_err[im - 1 + j];
    }
    *Tc_err = sqrt(var);
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

/* Variance of U4_a[i] - U4_b[i] (independent runs; missing errors count as 0). */
static double sannip__mc_dvar(const double *ea, const double *eb, int i)
{
    return (ea ? ea[i] * ea[i] : 0) + (eb ? eb[i] * eb[i] : 0);
}

SANNIP_API sannip_result sannip_mc_binder_crossing(int n, const double *T, const double *ua,
        const double *ea, const double *ub, const double *eb, int half_width, double *Tc,
        double *Tc_err, sannip_error *err)
{
    sannip_result r;
    int i, first = -1, last = -1, lo, hi, weighted = ea || eb;
    double sw = 0, swt = 0, swd = 0, tbar, c, sxx = 0, sxd = 0, b, var = 0, chi2 = 0;
    if ((r = sannip__mc_grid_check(n, T, err)) != SANNIP_SUCCESS) return r;
    if (!ua || !ub || !Tc || !Tc_err) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL curve or output");
    if (half_width < 0) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "half_width %d must be >= 0", half_width);
    for (i = 0; i < n; i++)
        if (!sannip__mc_finite(ua[i]) || !sannip__mc_finite(ub[i]) ||
            (ea && !(ea[i] >= 0)) || (eb && !(eb[i] >= 0)))
            return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "point %d: U4 or its error is not finite or negative", i);
    for (i = 0; i + 1 < n; i++) {
        double d0 = ua[i] - ub[i], d1 = ua[i + 1] - ub[i + 1];
        if ((d0 <= 0 && d1 >= 0) || (d0 >= 0 && d1 <= 0)) { if (first < 0) first = i; last = i; }
    }
    if (first < 0) return sannip__fail(err, SANNIP_ERROR, 0, 0, "the Binder curves do not cross on the grid");
    /* Line d = c + b (T - tbar) through points lo..hi, weights 1/var(d_i) when every point
       has an error (var(d) = var(U4_a) + var(U4_b)), else 1; T* = tbar - c/b. */
    lo = first - half_width < 0 ? 0 : first - half_width;
    hi = last + 1 + half_width > n - 1 ? n - 1 : last + 1 + half_width;
    for (i = lo; i <= hi; i++) weighted = weighted && sannip__mc_dvar(ea, eb, i) > 0;
    for (i = lo; i <= hi; i++) {
        double w = weighted ? 1 / sannip__mc_dvar(ea, eb, i) : 1;
        sw += w; swt += w * T[i]; swd += w * (ua[i] - ub[i]);
    }
    tbar = swt / sw;
    c = swd / sw;
    for (i = lo; i <= hi; i++) {
        double w = weighted ? 1 / sannip__mc_dvar(ea, eb, i) : 1, x = T[i] - tbar;
        sxx += w * x * x; sxd += w * x * (ua[i] - ub[i]);
    }
    b = sxd / sxx;
    if (b == 0 || !sannip__mc_finite(b)) return sannip__fail(err, SANNIP_ERROR, 0, 0, "the Binder curves are parallel at the crossing");
    *Tc = tbar - c / b;
    /* first-order propagation, g_i = d(T*) / d(d_i) = -(w_i/sw)/b + (c/b^2) w_i x_i/sxx */
    for (i = lo; i <= hi; i++) {
        double w = weighted ? 1 / sannip__mc_dvar(ea, eb, i) : 1, x = T[i] - tbar;
        double g = -(w / sw) / b + c / (b * b) * w * x / sxx;
        var += g * g * sannip__mc_dvar(ea, eb, i);
        chi2 += w * (ua[i] - ub[i] - c - b * x) * (ua[i] - ub[i] - c - b * x);
    }
    /* more than two points whose scatter exceeds their errors: scale the error up by
       sqrt(chi^2 / dof) (the errors were too small, or the line too simple) */
    if (weighted && hi - lo + 1 > 2 && chi2 > hi - lo - 1) var *= chi2 / (hi - lo - 1);
    *Tc_err = sqrt(var);
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

/* ---- CSV ------------------------------------------------------------------------------ */
/* x in %.12g with '.' as decimal point whatever the C locale, then sep. */
static void sannip__mc_csv_num(sannip_text *t, double x, char sep)
{
    char buf[64], dp = sannip__decimal_point(), *p;
    snprintf(buf, sizeof buf, "%.12g", x);
    if (dp != '.') for (p = buf; *p; p++) if (*p == dp) *p = '.';
    sannip_text_printf(t, "%s%c", buf, sep);
}

SANNIP_API sannip_result sannip_mc_write_csv(sannip_text *t, int n, const sannip_mc_stats *stats, sannip_error *err)
{
    int i, j;
    if (!t || n < 0 || (n > 0 && !stats)) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL text or stats");
    sannip_text_printf(t, "T,kT,m,m_err,ratio,ratio_err,polar,polar_err,e,e_err,chi,chi_err,cv,cv_err,"
                          "u4,u4_err,acceptance,step,samples,attempted,accepted\n");
    for (i = 0; i < n; i++) {
        const sannip_mc_stats *s = &stats[i];
        const sannip_mc_value *v[7];
        v[0] = &s->m; v[1] = &s->ratio; v[2] = &s->polar; v[3] = &s->e;
        v[4] = &s->chi; v[5] = &s->cv; v[6] = &s->u4;
        sannip__mc_csv_num(t, s->T, ',');
        sannip__mc_csv_num(t, s->kT, ',');
        for (j = 0; j < 7; j++) { sannip__mc_csv_num(t, v[j]->mean, ','); sannip__mc_csv_num(t, v[j]->err, ','); }
        sannip__mc_csv_num(t, s->acceptance, ',');
        sannip__mc_csv_num(t, s->step, ',');
        sannip_text_printf(t, "%lld,%lld,%lld\n", (long long)s->samples, (long long)s->attempted, (long long)s->accepted);
    }
    if (t->failed) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "CSV text");
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

/* ---- Heisenberg model ----------------------------------------------------------------- */
SANNIP_API void sannip_mc_heisenberg_uninit(sannip_mc_heisenberg *h)
{
    if (!h) return;
    sannip_free(&h->alloc, h->spins);
    sannip_free(&h->alloc, h->nbr);
    h->spins = NULL; h->nbr = NULL;
}

SANNIP_API sannip_result sannip_mc_heisenberg_init(sannip_mc_heisenberg *h, int L, double J,
        const sannip_allocator *alloc, sannip_error *err)
{
    int x, y, z;
    if (!h) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL model");
    memset(h, 0, sizeof *h);
    if (L < 2) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "lattice size L = %d must be >= 2", L);
    if ((int64_t)L * L * L > SANNIP_MAX_ATOMS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "L = %d: L^3 > SANNIP_MAX_ATOMS", L);
    if (!sannip__mc_finite(J)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "J = %g is not finite", J);
    h->alloc = sannip__alloc_copy(alloc);
    h->L = L; h->n = L * L * L; h->J = J;
    h->spins = (sannip_real *)sannip__calloc(&h->alloc, 3 * (size_t)h->n, sizeof(sannip_real));
    h->nbr = (int *)sannip__calloc(&h->alloc, 6 * (size_t)h->n, sizeof(int));
    if (!h->spins || !h->nbr) { sannip_mc_heisenberg_uninit(h); return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "Heisenberg model L = %d", L); }
    for (z = 0; z < L; z++)
        for (y = 0; y < L; y++)
            for (x = 0; x < L; x++) {
                int i = x + L * (y + L * z), *nb = h->nbr + 6 * (size_t)i;
                nb[0] = (x + 1) % L + L * (y + L * z);
                nb[1] = (x + L - 1) % L + L * (y + L * z);
                nb[2] = x + L * ((y + 1) % L + L * z);
                nb[3] = x + L * ((y + L - 1) % L + L * z);
                nb[4] = x + L * (y + L * ((z + 1) % L));
                nb[5] = x + L * (y + L * ((z + L - 1) % L));
                h->spins[3 * (size_t)i + 2] = 1;
            }
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

/* E = -J sum_i sum_{d = +x,+y,+z} S_i . S_{i+d}, in site order. */
static double sannip__mc_heis_total(const sannip_mc_heisenberg *h, const sannip_real *s)
{
    double E = 0;
    int i, d, a;
    for (i = 0; i < h->n; i++)
        for (d = 0; d < 6; d += 2) {
            const sannip_real *t = s + 3 * (size_t)h->nbr[6 * (size_t)i + d];
            for (a = 0; a < 3; a++) E += (double)s[3 * i + a] * t[a];
        }
    return -h->J * E;
}

/* Local move: dE = -J (S'_k - S_k) . sum_{j nn k} S_j. */
static sannip_result sannip__mc_heis_delta(void *user, int k, const sannip_real *s_new, double *dE)
{
    const sannip_mc_heisenberg *h = (const sannip_mc_heisenberg *)user;
    const int *nb = h->nbr + 6 * (size_t)k;
    const sannip_real *s = h->spins + 3 * (size_t)k;
    double f[3] = { 0, 0, 0 };
    int d, a;
    for (d = 0; d < 6; d++)
        for (a = 0; a < 3; a++) f[a] += h->spins[3 * (size_t)nb[d] + a];
    *dE = -h->J * (((double)s_new[0] - s[0]) * f[0] + ((double)s_new[1] - s[1]) * f[1] + ((double)s_new[2] - s[2]) * f[2]);
    return SANNIP_SUCCESS;
}
static sannip_result sannip__mc_heis_accept(void *user, int k, const sannip_real *s_new)
{
    sannip_mc_heisenberg *h = (sannip_mc_heisenberg *)user;
    memcpy(h->spins + 3 * (size_t)k, s_new, 3 * sizeof(sannip_real));
    return SANNIP_SUCCESS;
}
static sannip_result sannip__mc_heis_energy(void *user, double *E)
{
    const sannip_mc_heisenberg *h = (const sannip_mc_heisenberg *)user;
    *E = sannip__mc_heis_total(h, h->spins);
    return SANNIP_SUCCESS;
}
static sannip_result sannip__mc_heis_set(void *user, const sannip_real *spins)
{
    sannip_mc_heisenberg *h = (sannip_mc_heisenberg *)user;
    memcpy(h->spins, spins, sizeof(sannip_real) * 3 * (size_t)h->n);
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_mc_heisenberg_energy(void *user, int n, const sannip_real *spins, double *E)
{
    const sannip_mc_heisenberg *h = (const sannip_mc_heisenberg *)user;
    if (!h || !h->nbr || !spins || !E || n != h->n) return SANNIP_INVALID_ARGS;
    *E = sannip__mc_heis_total(h, spins);
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_mc_model sannip_mc_heisenberg_model(sannip_mc_heisenberg *h)
{
    sannip_mc_model m;
    memset(&m, 0, sizeof m);
    if (!h || !h->nbr) return m;   /* n = 0: rejected by the engine */
    m.n = h->n;
    m.user = h;
    m.delta = sannip__mc_heis_delta;
    m.accept = sannip__mc_heis_accept;
    m.energy = sannip__mc_heis_energy;
    m.set_spins = sannip__mc_heis_set;
    return m;
}

SANNIP_API void sannip_mc_heisenberg_sublattice(const sannip_mc_heisenberg *h, int *sub)
{
    int i, L;
    if (!h || !sub) return;
    L = h->L;
    for (i = 0; i < h->n; i++) sub[i] = ((i % L + (i / L) % L + i / (L * L)) & 1) ? -1 : 1;
}

/* ---- naive full-energy adapter -------------------------------------------------------- */
SANNIP_API void sannip_mc_full_uninit(sannip_mc_full *a)
{
    if (!a) return;
    sannip_free(&a->alloc, a->spins);
    a->spins = NULL;
}

SANNIP_API sannip_result sannip_mc_full_init(sannip_mc_full *a, int n, const sannip_real *spins,
        sannip_mc_energy_fn fn, void *user, const sannip_allocator *alloc, sannip_error *err)
{
    sannip_result r;
    if (!a) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL adapter");
    memset(a, 0, sizeof *a);
    if (n <= 0 || !fn) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "need n > 0 (got %d) and an energy function", n);
    if (n > SANNIP_MAX_ATOMS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "%d spins > SANNIP_MAX_ATOMS", n);
    a->alloc = sannip__alloc_copy(alloc);
    a->n = n; a->fn = fn; a->user = user; a->trial_k = -1;
    a->spins = (sannip_real *)sannip__calloc(&a->alloc, 3 * (size_t)n, sizeof(sannip_real));
    if (!a->spins) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "adapter of %d spins", n);
    if (spins) memcpy(a->spins, spins, sizeof(sannip_real) * 3 * (size_t)n);
    if ((r = fn(user, n, a->spins, &a->E)) != SANNIP_SUCCESS) {
        sannip_mc_full_uninit(a);
        return sannip__fail(err, r, 0, 0, "energy function failed (%s)", sannip_result_string(r));
    }
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

/* E with spin k replaced by s_new: set, evaluate, restore. */
static sannip_result sannip__mc_full_trial(sannip_mc_full *a, int k, const sannip_real *s_new, double *E)
{
    sannip_real *s = a->spins + 3 * (size_t)k, old[3];
    sannip_result r;
    memcpy(old, s, sizeof old);
    memcpy(s, s_new, sizeof old);
    r = a->fn(a->user, a->n, a->spins, E);
    memcpy(s, old, sizeof old);
    return r;
}
static sannip_result sannip__mc_full_delta(void *user, int k, const sannip_real *s_new, double *dE)
{
    sannip_mc_full *a = (sannip_mc_full *)user;
    double E;
    sannip_result r = sannip__mc_full_trial(a, k, s_new, &E);
    if (r != SANNIP_SUCCESS) return r;
    a->trial_k = k;
    memcpy(a->trial_s, s_new, sizeof a->trial_s);
    a->trial_E = E;
    *dE = E - a->E;
    return SANNIP_SUCCESS;
}
static sannip_result sannip__mc_full_accept(void *user, int k, const sannip_real *s_new)
{
    sannip_mc_full *a = (sannip_mc_full *)user;
    double E = a->trial_E;
    if (a->trial_k != k || memcmp(a->trial_s, s_new, sizeof a->trial_s) != 0) {
        sannip_result r = sannip__mc_full_trial(a, k, s_new, &E);
        if (r != SANNIP_SUCCESS) return r;
    }
    memcpy(a->spins + 3 * (size_t)k, s_new, sizeof a->trial_s);
    a->E = E;
    a->trial_k = -1;
    return SANNIP_SUCCESS;
}
static sannip_result sannip__mc_full_energy(void *user, double *E)
{
    *E = ((const sannip_mc_full *)user)->E;
    return SANNIP_SUCCESS;
}
static sannip_result sannip__mc_full_set(void *user, const sannip_real *spins)
{
    sannip_mc_full *a = (sannip_mc_full *)user;
    double E;
    sannip_result r = a->fn(a->user, a->n, spins, &E);
    if (r != SANNIP_SUCCESS) return r;
    memcpy(a->spins, spins, sizeof(sannip_real) * 3 * (size_t)a->n);
    a->E = E;
    a->trial_k = -1;
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_mc_model sannip_mc_full_model(sannip_mc_full *a)
{
    sannip_mc_model m;
    memset(&m, 0, sizeof m);
    if (!a || !a->spins) return m;
    m.n = a->n;
    m.user = a;
    m.delta = sannip__mc_full_delta;
    m.accept = sannip__mc_full_accept;
    m.energy = sannip__mc_full_energy;
    m.set_spins = sannip__mc_full_set;
    return m;
}

static sannip_result sannip__local_delta_cb(void *u, int k, const sannip_real *s, double *dE) { return sannip_spin_local_delta((sannip_spin_local *)u, k, s, dE); }
static sannip_result sannip__local_accept_cb(void *u, int k, const sannip_real *s) { return sannip_spin_local_accept((sannip_spin_local *)u, k, s); }
static sannip_result sannip__local_energy_cb(void *u, double *E) { *E = sannip_spin_local_energy((const sannip_spin_local *)u); return SANNIP_SUCCESS; }
static sannip_result sannip__local_set_cb(void *u, const sannip_real *s) { return sannip_spin_local_set_spins((sannip_spin_local *)u, s, NULL); }
SANNIP_API sannip_mc_model sannip_spin_local_mc_model(sannip_spin_local *L)
{
    sannip_mc_model m;
    memset(&m, 0, sizeof m);
    m.n = L ? L->n : 0; m.user = L;
    m.delta = sannip__local_delta_cb; m.accept = sannip__local_accept_cb;
    m.energy = sannip__local_energy_cb; m.set_spins = sannip__local_set_cb;
    return m;
}

/* ---- random spin committee --------------------------------------------------------------- */
SANNIP_API sannip_rsc_config sannip_rsc_config_init(void)
{
    sannip_rsc_config c;
    memset(&c, 0, sizeof c);
    c.n_random = 15; c.spin_lo = -0.5; c.spin_hi = 0.5; c.target_tol = 1e-6;
    return c;
}
/* The configuration a run uses: zero fields take sannip_rsc_config_init's defaults,
   SANNIP_OFF fields become 0; other values pass to sannip__rsc_check unchanged. */
static sannip_rsc_config sannip__rsc_resolve(const sannip_rsc_config *cfg)
{
    sannip_rsc_config c = *cfg, d = sannip_rsc_config_init();
    c.n_random = (int)sannip__or_default(c.n_random, d.n_random);
    if (c.spin_lo == 0 && c.spin_hi == 0) { c.spin_lo = d.spin_lo; c.spin_hi = d.spin_hi; }
    c.target_tol = sannip__or_default(c.target_tol, d.target_tol);
    return c;
}

SANNIP_API void sannip_rsc_result_init(sannip_rsc_result *r, const sannip_allocator *alloc)
{
    if (!r) return;
    memset(r, 0, sizeof *r);
    r->alloc = sannip__alloc_copy(alloc);
}

SANNIP_API void sannip_rsc_result_uninit(sannip_rsc_result *r)
{
    sannip_allocator a;
    if (!r) return;
    a = r->alloc;
    sannip_free(&a, r->n_atoms); sannip_free(&a, r->off); sannip_free(&a, r->status);
    sannip_free(&a, r->code); sannip_free(&a, r->energy); sannip_free(&a, r->has_forces);
    sannip_free(&a, r->initial); sannip_free(&a, r->spins); sannip_free(&a, r->forces);
    sannip_rsc_result_init(r, &a);
}

/* A stream seed from (seed, domain, a, b): splitmix64 applied in turn to the seed and each
   index, so neighbouring indices give unrelated xoshiro256** states. */
static uint64_t sannip__rsc_stream(uint64_t seed, uint64_t domain, uint64_t a, uint64_t b)
{
    uint64_t x = seed, h = sannip__splitmix64(&x);
    x = h ^ domain; h = sannip__splitmix64(&x);
    x = h ^ a; h = sannip__splitmix64(&x);
    x = h ^ b;
    return sannip__splitmix64(&x);
}
#define SANNIP__RSC_MEMBER 0x6d656d62ull   /* stream domains: member starts, subset draws */
#define SANNIP__RSC_DRAW 0x64726177ull

static size_t sannip__rsc_atoms_at(const sannip_rsc_result *r, int s, int k)
{
    return 3 * (r->off[s] + (size_t)k * (size_t)r->n_atoms[s]);
}

/* Random initial spins of n atoms (n x 3) from rng, as cfg describes. */
static void sannip__rsc_random_spins(const sannip_rsc_config *cfg, sannip_rng *rng, int n, sannip_real *s)
{
    int i;
    for (i = 0; i < n; i++) {
        if (!cfg->vector_spins) {
            s[3 * i] = s[3 * i + 1] = 0;
            s[3 * i + 2] = (sannip_real)(cfg->spin_lo + (cfg->spin_hi - cfg->spin_lo) * sannip_rng_uniform(rng));
        } else {   /* uniform direction: cos(theta) = U[-1, 1], phi = U[0, 2 pi) */
            double ct = 2 * sannip_rng_uniform(rng) - 1, st = sqrt(1 - ct * ct), sp, cp;
            double ph = 2 * sannip_rng_uniform(rng), len = cfg->spin_hi * sannip_rng_uniform(rng);
            sannip__sincospi(ph, &sp, &cp);   /* phi = pi ph */
            s[3 * i] = (sannip_real)(len * st * cp);
            s[3 * i + 1] = (sannip_real)(len * st * sp);
            s[3 * i + 2] = (sannip_real)(len * ct);
        }
    }
}

static int sannip__rsc_finite(const sannip_real *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (!isfinite(x[i])) return 0;
    return 1;
}

/* One member: the oracle call and what became of it. */
static void sannip__rsc_member(const sannip_system *sys, int s, int k,
                               sannip_rsc_oracle oracle, void *user, sannip_rsc_result *r)
{
    size_t e = (size_t)s * (size_t)r->n_members + (size_t)k, at = sannip__rsc_atoms_at(r, s, k);
    size_t na3 = 3 * (size_t)sys->n;
    sannip_rsc_call call;
    int rc;
    memset(&call, 0, sizeof call);
    call.structure = s; call.member = k; call.fixed = k < r->n_fixed; call.sys = sys;
    call.initial_spins = r->initial + at;
    call.energy = NAN;
    call.spins = r->spins + at;
    memcpy(call.spins, call.initial_spins, na3 * sizeof(sannip_real));
    call.forces = r->forces ? r->forces + at : NULL;
    rc = oracle(&call, user);
    r->energy[e] = NAN;
    r->has_forces[e] = (unsigned char)(rc == 0 && call.forces && call.has_forces);
    if (rc != 0) { r->status[e] = SANNIP_RSC_ORACLE_ERROR; r->code[e] = rc; return; }
    if (!call.converged) { r->status[e] = SANNIP_RSC_NOT_CONVERGED; return; }
    if (!isfinite(call.energy) || !sannip__rsc_finite(call.spins, na3)
        || (r->has_forces[e] && !sannip__rsc_finite(call.forces, na3))) {
        r->status[e] = SANNIP_RSC_NONFINITE; return;
    }
    r->status[e] = SANNIP_RSC_CONVERGED;
    r->energy[e] = call.energy;
}

/* Every member of structure s, fixed ones first, in order (one thread). */
static void sannip__rsc_structure(const sannip_rsc_config *cfg, const sannip_system *sys, int s,
                                  sannip_rsc_oracle oracle, void *user, sannip_rsc_result *r)
{
    int k, stopped = 0;
    size_t e0 = (size_t)s * (size_t)r->n_members;
    double target = NAN;
    for (k = 0; k < r->n_fixed; k++) {
        sannip__rsc_member(sys, s, k, oracle, user, r);
        if (r->status[e0 + k] == SANNIP_RSC_CONVERGED && !(r->energy[e0 + k] >= target)) target = r->energy[e0 + k];
    }
    if (cfg->target) target = cfg->target[s];
    for (k = r->n_fixed; k < r->n_members; k++) {
        sannip_rng rng;
        if (stopped) { r->status[e0 + k] = SANNIP_RSC_SKIPPED; continue; }
        sannip_rng_seed(&rng, sannip__rsc_stream(cfg->seed, SANNIP__RSC_MEMBER, (uint64_t)s, (uint64_t)(k - r->n_fixed)));
        sannip__rsc_random_spins(cfg, &rng, sys->n, r->initial + sannip__rsc_atoms_at(r, s, k));
        sannip__rsc_member(sys, s, k, oracle, user, r);
        if (cfg->early_stop && r->status[e0 + k] == SANNIP_RSC_CONVERGED && r->energy[e0 + k] <= target + cfg->target_tol)
            stopped = 1;
    }
}

static sannip_result sannip__rsc_check(const sannip_rsc_config *c, const sannip_system *sys, int n,
                                       sannip_rsc_oracle oracle, sannip_rsc_result *res, sannip_error *err)
{
    int s;
    if (!c || !sys || !oracle || !res || n < 1) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: NULL argument or no structures");
    if (c->n_random < 0 || c->n_fixed < 0 || c->n_random + c->n_fixed < 1)
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "random spin committee: %d random and %d fixed members", c->n_random, c->n_fixed);
    if (c->n_random > 1000000 || c->n_fixed > 1000000) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "random spin committee: too many members");
    if (!isfinite(c->spin_lo) || !isfinite(c->spin_hi) || c->spin_lo > c->spin_hi || (c->vector_spins && c->spin_hi < 0))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "random spin committee: spin range [%g, %g]", c->spin_lo, c->spin_hi);
    if (c->n_fixed > 0 && !c->fixed_spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: %d fixed members but no fixed_spins", c->n_fixed);
    if (c->early_stop && !(c->target_tol >= 0)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "random spin committee: target_tol %g", c->target_tol);
    if (c->early_stop && !c->target && c->n_fixed == 0)
        return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: early stop needs targets or fixed members");
    for (s = 0; s < n; s++) {
        sannip_result r = sannip_system_check(&sys[s], err);
        if (r != SANNIP_SUCCESS) { sannip__err_prefix(err, "random spin committee structure: "); return r; }
        if (sys[s].n < 1) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: structure %d has no atoms", s + 1);
    }
    return SANNIP_SUCCESS;
}

/* Sizes and offsets of res for n structures; allocates its arrays. */
static sannip_result sannip__rsc_alloc(const sannip_rsc_config *c, const sannip_system *sys, int n,
                                       sannip_rsc_result *r, sannip_error *err)
{
    const sannip_allocator *a = &r->alloc;
    size_t atoms = 0, entries, reals;
    int s;
    r->n_structures = n; r->n_fixed = c->n_fixed; r->n_random = c->n_random;
    r->n_members = c->n_fixed + c->n_random;
    r->n_atoms = (int *)sannip__calloc(a, (size_t)n, sizeof(int));
    r->off = (size_t *)sannip__calloc(a, (size_t)n, sizeof(size_t));
    if (!r->n_atoms || !r->off) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "random spin committee: out of memory");
    for (s = 0; s < n; s++) {
        size_t block;
        r->n_atoms[s] = sys[s].n;
        if (!sannip__mul((size_t)r->n_members, (size_t)sys[s].n, &block) || atoms > SIZE_MAX / 4 - block)
            return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "random spin committee: too many atoms x members");
        r->off[s] = atoms;
        atoms += block;
    }
    if (!sannip__mul((size_t)n, (size_t)r->n_members, &entries) || !sannip__mul(atoms, 3, &reals))
        return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "random spin committee: too many members");
    r->status = (int *)sannip__calloc(a, entries, sizeof(int));
    r->code = (int *)sannip__calloc(a, entries, sizeof(int));
    r->energy = (double *)sannip__calloc(a, entries, sizeof(double));
    r->has_forces = (unsigned char *)sannip__calloc(a, entries, 1);
    r->initial = (sannip_real *)sannip__calloc(a, reals, sizeof(sannip_real));
    r->spins = (sannip_real *)sannip__calloc(a, reals, sizeof(sannip_real));
    if (!c->no_forces) r->forces = (sannip_real *)sannip__calloc(a, reals, sizeof(sannip_real));
    if (!r->status || !r->code || !r->energy || !r->has_forces || !r->initial || !r->spins || (!c->no_forces && !r->forces))
        return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "random spin committee: out of memory for %lu members", (unsigned long)entries);
    return SANNIP_SUCCESS;
}

/* Copies the fixed members' initial spins into the result (checked finite). */
static sannip_result sannip__rsc_fixed(const sannip_rsc_config *c, sannip_rsc_result *r, sannip_error *err)
{
    size_t src = 0;
    int s, f;
    for (s = 0; s < r->n_structures; s++)
        for (f = 0; f < r->n_fixed; f++) {
            size_t len = 3 * (size_t)r->n_atoms[s];
            if (!sannip__rsc_finite(c->fixed_spins + src, len))
                return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "random spin committee: fixed member %d of structure %d has non-finite spins", f + 1, s + 1);
            memcpy(r->initial + sannip__rsc_atoms_at(r, s, f), c->fixed_spins + src, len * sizeof(sannip_real));
            src += len;
        }
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_rsc_run(const sannip_rsc_config *cfg, const sannip_system *sys, int n,
        sannip_rsc_oracle oracle, void *user, sannip_rsc_result *res, sannip_error *err)
{
    sannip_result r;
    sannip_rsc_config rc;
    size_t e, total;
    int s;
    if (!cfg) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: NULL configuration");
    rc = sannip__rsc_resolve(cfg);
    cfg = &rc;
    if ((r = sannip__rsc_check(cfg, sys, n, oracle, res, err)) != SANNIP_SUCCESS) return r;
    sannip_rsc_result_uninit(res);
    if ((r = sannip__rsc_alloc(cfg, sys, n, res, err)) != SANNIP_SUCCESS
        || (r = sannip__rsc_fixed(cfg, res, err)) != SANNIP_SUCCESS) { sannip_rsc_result_uninit(res); return r; }
    /* structures are independent: each thread runs whole structures, members in order */
#ifdef SANNIP__OMP
#pragma omp parallel for schedule(dynamic, 1) if (!cfg->serial && n > 1)
#endif
    for (s = 0; s < n; s++) sannip__rsc_structure(cfg, &sys[s], s, oracle, user, res);
    total = (size_t)n * (size_t)res->n_members;
    for (e = 0; e < total; e++) res->count[res->status[e]]++;
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

static sannip_result sannip__rsc_check_structure(const sannip_rsc_result *r, int s, sannip_error *err)
{
    if (!r || !r->status) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: empty result");
    if (s < 0 || s >= r->n_structures) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: structure %d of %d", s + 1, r->n_structures);
    return SANNIP_SUCCESS;
}

/* Keeps member k of structure s as the best so far (*b, *emin) when it converged lower. */
static void sannip__rsc_consider(const sannip_rsc_result *r, int s, int k, int *b, double *emin)
{
    size_t e = (size_t)s * (size_t)r->n_members + (size_t)k;
    if (r->status[e] == SANNIP_RSC_CONVERGED && (*b < 0 || r->energy[e] < *emin)) { *b = k; *emin = r->energy[e]; }
}

SANNIP_API sannip_result sannip_rsc_best(const sannip_rsc_result *r, int s, const int *members, int n_members,
        int *best, double *energy, sannip_error *err)
{
    sannip_result rc;
    double emin = NAN;
    int i, b = -1, n;
    if ((rc = sannip__rsc_check_structure(r, s, err)) != SANNIP_SUCCESS) return rc;
    n = members ? n_members : r->n_members;
    if (!best || n < 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: best needs an output and a member count");
    for (i = 0; i < n; i++) {
        int k = members ? members[i] : i;
        if (k < 0 || k >= r->n_members) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: member %d of %d", k, r->n_members);
        sannip__rsc_consider(r, s, k, &b, &emin);
    }
    *best = b;
    if (energy) *energy = emin;
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_rsc_best_first(const sannip_rsc_result *r, int s, int k, int *best,
        double *energy, sannip_error *err)
{
    sannip_result rc;
    double emin = NAN;
    int i, b = -1;
    if ((rc = sannip__rsc_check_structure(r, s, err)) != SANNIP_SUCCESS) return rc;
    if (!best || k < 1 || k > r->n_random)
        return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: best of the first %d of %d random members", k, r->n_random);
    for (i = 0; i < k; i++) sannip__rsc_consider(r, s, r->n_fixed + i, &b, &emin);
    *best = b;
    if (energy) *energy = emin;
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_rsc_draw(const sannip_rsc_result *r, int s, int k, uint64_t seed, int draw,
        int *members, sannip_error *err)
{
    sannip_result rc;
    sannip_rng rng;
    int i, j;
    if ((rc = sannip__rsc_check_structure(r, s, err)) != SANNIP_SUCCESS) return rc;
    if (k < 1 || k > r->n_random || !members || draw < 0)
        return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: draw %d of %d from %d random members", draw, k, r->n_random);
    /* Floyd's algorithm: k distinct values of 0..n_random-1 with k draws, no scratch memory */
    sannip_rng_seed(&rng, sannip__rsc_stream(seed, SANNIP__RSC_DRAW, (uint64_t)draw, (uint64_t)s));
    for (i = 0, j = r->n_random - k; j < r->n_random; j++, i++) {
        int t = (int)(sannip_rng_next(&rng) % (uint64_t)(j + 1)), q, seen = 0;
        for (q = 0; q < i; q++) if (members[q] == t) { seen = 1; break; }
        members[i] = seen ? j : t;
    }
    /* ascending order (insertion sort), then member indices */
    for (i = 1; i < k; i++) {
        int v = members[i];
        for (j = i - 1; j >= 0 && members[j] > v; j--) members[j + 1] = members[j];
        members[j + 1] = v;
    }
    for (i = 0; i < k; i++) members[i] += r->n_fixed;
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_rsc_select(const sannip_rsc_result *r, int k, uint64_t seed, int draw,
        int with_fixed, int *choice, sannip_error *err)
{
    sannip_result rc = SANNIP_SUCCESS;
    int *members, s, f;
    if (!r || !r->status || !choice) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: select needs a result and an output");
    if (k < 1 || k > r->n_random) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: best of %d of %d random members", k, r->n_random);
    members = (int *)sannip__calloc(&r->alloc, (size_t)r->n_members, sizeof(int));
    if (!members) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "random spin committee: out of memory");
    for (s = 0; s < r->n_structures && rc == SANNIP_SUCCESS; s++) {
        int nf = with_fixed ? r->n_fixed : 0;
        for (f = 0; f < nf; f++) members[f] = f;
        if ((rc = sannip_rsc_draw(r, s, k, seed, draw, members + nf, err)) == SANNIP_SUCCESS)
            rc = sannip_rsc_best(r, s, members, nf + k, &choice[s], NULL, err);
    }
    sannip_free(&r->alloc, members);
    return rc;
}

SANNIP_API sannip_result sannip_rsc_write_xyz(const sannip_rsc_result *r, const sannip_system *sys,
        const int *choice, sannip_text *t, int *n_written, sannip_error *err)
{
    int s, written = 0;
    if (!r || !r->status || !sys || !t) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: write needs a result, structures and a text");
    for (s = 0; s < r->n_structures; s++) {
        sannip_structure st;
        size_t e, at;
        int k = -1;
        sannip_result rc;
        if (sys[s].n != r->n_atoms[s]) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: structure %d has %d atoms, the result %d", s + 1, sys[s].n, r->n_atoms[s]);
        if (choice) k = choice[s];
        else if ((rc = sannip_rsc_best(r, s, NULL, 0, &k, NULL, err)) != SANNIP_SUCCESS) return rc;
        if (k < 0) continue;
        if (k >= r->n_members) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: structure %d: member %d of %d", s + 1, k, r->n_members);
        e = (size_t)s * (size_t)r->n_members + (size_t)k;
        if (r->status[e] != SANNIP_RSC_CONVERGED)
            return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: structure %d: member %d did not converge", s + 1, k);
        at = sannip__rsc_atoms_at(r, s, k);
        /* a read-only view: the writer takes a sannip_structure, nothing here is freed */
        memset(&st, 0, sizeof st);
        st.n = sys[s].n;
        st.pos = (sannip_real *)sys[s].pos;
        st.Z = (int *)sys[s].Z;
        memcpy(st.cell, sys[s].cell, sizeof st.cell);
        memcpy(st.pbc, sys[s].pbc, sizeof st.pbc);
        st.forces = r->has_forces[e] ? r->forces + at : NULL;
        st.spins = r->spins + at;
        st.energy = (sannip_real)r->energy[e]; st.has_energy = 1;
        st.weight = 1;
        sannip_write_xyz(t, &st, NULL, NULL, NULL, NULL);
        written++;
    }
    if (t->failed) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "random spin committee: out of memory writing XYZ");
    if (n_written) *n_written = written;
    return SANNIP_SUCCESS;
}

#ifndef SANNIP_NO_STDIO
SANNIP_API sannip_result sannip_rsc_save_xyz(const sannip_rsc_result *r, const sannip_system *sys,
        const int *choice, const char *path, int *n_written, sannip_error *err)
{
    sannip_text t;
    sannip_result rc;
    if (!path) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "random spin committee: no path");
    sannip_text_init(&t, r ? &r->alloc : NULL);
    rc = sannip_rsc_write_xyz(r, sys, choice, &t, n_written, err);
    if (rc == SANNIP_SUCCESS) rc = sannip_write_file_atomic(path, t.s ? t.s : "", t.len, err);
    sannip_text_uninit(&t);
    return rc;
}
#endif

/* ---- chain state ------------------------------------------------------------------------- */
static uint64_t sannip__mc_bits(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }
static double sannip__mc_real(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }
static void sannip__mc_hex(sannip_text *t, double x, char end) { sannip_text_printf(t, "%016llx%c", (unsigned long long)sannip__mc_bits(x), end); }
SANNIP_API sannip_result sannip_mc_save(const sannip_mc *mc, sannip_text *t, sannip_error *err)
{
    const sannip_mc_progress *p;
    int i, a, b;
    if (!mc || !mc->spins || !t) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "mc save: NULL or uninitialised chain");
    p = &mc->run;
    sannip_text_printf(t, "sannip-mc-state 2\n%d\n", mc->n);
    for (a = 0; a < 4; a++) sannip_text_printf(t, "%016llx%c", (unsigned long long)mc->rng.s[a], a == 3 ? '\n' : ' ');
    sannip_text_printf(t, "%016llx %lld %lld\n", (unsigned long long)sannip__mc_bits(mc->step), (long long)mc->attempted, (long long)mc->accepted);
    for (i = 0; i < mc->n; i++) {   /* the spin and its magnitude (kept exactly by the moves) */
        for (a = 0; a < 3; a++) sannip__mc_hex(t, (double)mc->spins[3 * i + a], ' ');
        sannip__mc_hex(t, mc->mag[i], '\n');
    }
    sannip_text_printf(t, "%d %d %lld %lld %lld %lld %lld %lld\n", p->phase + 1, p->hit_limit, (long long)p->att, (long long)p->acc0,
                       (long long)p->win_att0, (long long)p->win_acc0, (long long)p->prod_att0, (long long)p->prod_acc0);
    for (a = 0; a < 3; a++) sannip__mc_hex(t, mc->M[a], ' ');
    sannip__mc_hex(t, mc->sum_mag, ' '); sannip__mc_hex(t, mc->E, '\n');
    if (!mc->acc) sannip_text_printf(t, "0 0 0 0 0\n");
    else {   /* the full batches and the open one */
        const sannip__mc_acc *q = mc->acc;
        sannip_text_printf(t, "1 %d %d %lld %lld\n", q->B, q->nb, (long long)q->per_bin, (long long)q->fill);
        for (b = 0; b <= q->nb; b++)
            for (a = 0; a < SANNIP__MC_NQ; a++) sannip__mc_hex(t, q->bin[b][a], a + 1 < SANNIP__MC_NQ ? ' ' : '\n');
    }
    if (t->failed) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "mc save: text of %d spins", mc->n);
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_mc_checkpoint(sannip_mc *mc, sannip_text *t, sannip_error *err)
{
    sannip_real *S;
    sannip_result r;
    if (!mc || !mc->spins || !t) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "mc checkpoint: NULL or uninitialised chain");
    if (!(S = (sannip_real *)sannip__malloc(&mc->alloc, sizeof(sannip_real) * 3 * (size_t)mc->n)))
        return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "mc checkpoint: %d spins", mc->n);
    memcpy(S, mc->spins, sizeof(sannip_real) * 3 * (size_t)mc->n);
    r = sannip_mc_set_spins(mc, S, err);
    sannip_free(&mc->alloc, S);
    return r != SANNIP_SUCCESS ? r : sannip_mc_save(mc, t, err);
}
/* The next whitespace-separated token of text as a hex word (hex = 1) or decimal integer. */
static int sannip__mc_token(const char *text, size_t len, size_t *p, int hex, uint64_t *out, int *line)
{
    char buf[32];
    size_t k = 0;
    while (*p < len && (text[*p] == ' ' || text[*p] == '\n' || text[*p] == '\r')) { if (text[*p] == '\n') (*line)++; (*p)++; }
    while (*p < len && k < sizeof buf - 1 && text[*p] != ' ' && text[*p] != '\n' && text[*p] != '\r') buf[k++] = text[(*p)++];
    buf[k] = 0;
    if (k == 0 || k == sizeof buf - 1) return 0;
    for (*out = 0, len = 0; len < k; len++) {
        char c = buf[len];
        int d = c >= '0' && c <= '9' ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return 0;
        *out = *out * (hex ? 16 : 10) + (uint64_t)d;
    }
    return 1;
}
/* n tokens (hex or decimal) into v; SANNIP_PARSE_ERROR naming what when one is missing. */
static sannip_result sannip__mc_tokens(const char *text, size_t len, size_t *p, int hex, int n, uint64_t *v, int *line,
                                       const char *what, sannip_error *err)
{
    int k;
    for (k = 0; k < n; k++)
        if (!sannip__mc_token(text, len, p, hex, &v[k], line))
            return sannip__fail(err, SANNIP_PARSE_ERROR, *line, 0, "mc restore: line %d: %s: number %d of %d missing or bad", *line, what, k + 1, n);
    return SANNIP_SUCCESS;
}
/* The run of a version-2 text (progress, sums, batch sums) into pr, sums[5] and q. */
static sannip_result sannip__mc_restore_run(const char *text, size_t len, size_t *p, int *line, sannip_mc_progress *pr,
                                            double *sums, sannip__mc_acc *q, int *have, sannip_error *err)
{
    uint64_t v[8];
    sannip_result r;
    int b, a;
    if ((r = sannip__mc_tokens(text, len, p, 0, 8, v, line, "run progress", err)) != SANNIP_SUCCESS) return r;
    if (v[0] > 2 || v[1] > 1) return sannip__fail(err, SANNIP_PARSE_ERROR, *line, 0, "mc restore: line %d: phase %llu or limit flag %llu out of range", *line, (unsigned long long)v[0], (unsigned long long)v[1]);
    pr->phase = (int)v[0] - 1; pr->hit_limit = (int)v[1]; pr->att = (int64_t)v[2]; pr->acc0 = (int64_t)v[3];
    pr->win_att0 = (int64_t)v[4]; pr->win_acc0 = (int64_t)v[5]; pr->prod_att0 = (int64_t)v[6]; pr->prod_acc0 = (int64_t)v[7];
    if ((r = sannip__mc_tokens(text, len, p, 1, 5, v, line, "sums", err)) != SANNIP_SUCCESS) return r;
    for (a = 0; a < 5; a++) sums[a] = sannip__mc_real(v[a]);
    if ((r = sannip__mc_tokens(text, len, p, 0, 5, v, line, "batch sums", err)) != SANNIP_SUCCESS) return r;
    *have = v[0] != 0;
    if (!*have) return SANNIP_SUCCESS;
    if (v[1] < 2 || v[1] > SANNIP_MC_MAX_BLOCKS || v[2] >= 2 * v[1] || v[3] < 1 || v[4] >= v[3])
        return sannip__fail(err, SANNIP_PARSE_ERROR, *line, 0, "mc restore: line %d: batch layout %llu %llu %llu %llu inconsistent", *line,
                            (unsigned long long)v[1], (unsigned long long)v[2], (unsigned long long)v[3], (unsigned long long)v[4]);
    memset(q, 0, sizeof *q);
    q->B = (int)v[1]; q->nb = (int)v[2]; q->per_bin = (int64_t)v[3]; q->fill = (int64_t)v[4];
    for (b = 0; b <= q->nb; b++) {
        uint64_t row[SANNIP__MC_NQ];
        if ((r = sannip__mc_tokens(text, len, p, 1, SANNIP__MC_NQ, row, line, "batch row", err)) != SANNIP_SUCCESS) return r;
        for (a = 0; a < SANNIP__MC_NQ; a++) q->bin[b][a] = sannip__mc_real(row[a]);
    }
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_mc_restore(sannip_mc *mc, const char *text, size_t len, sannip_error *err)
{
    static const char head[] = "sannip-mc-state ";
    uint64_t v[7], u;
    size_t p = sizeof head;
    int line = 1, i, k, version, have = 0;
    sannip_real *S;
    double *mag, sums[5];
    sannip__mc_acc *q;
    sannip_mc_progress pr;
    sannip_result r;
    if (!mc || !mc->spins || !text) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "mc restore: NULL or uninitialised chain");
    if (len < p || memcmp(text, head, p - 1) != 0 || (text[p - 1] != '1' && text[p - 1] != '2'))
        return sannip__fail(err, SANNIP_PARSE_ERROR, 1, 0, "mc restore: line 1: not a 'sannip-mc-state 1' or '2' text");
    version = text[p - 1] - '0';
    for (k = 0; k < 8; k++) {
        if (!sannip__mc_token(text, len, &p, k >= 1 && k <= 5, k == 0 ? &u : &v[k - 1], &line))
            return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "mc restore: line %d: bad or missing header number %d", line, k + 1);
        if (k == 0 && (int64_t)u != mc->n) return sannip__fail(err, SANNIP_INVALID_ARGS, 2, 0, "mc restore: the state has %lld spins, the chain %d", (long long)u, mc->n);
    }
    S = (sannip_real *)sannip__calloc(&mc->alloc, 3 * (size_t)mc->n, sizeof(sannip_real));
    mag = (double *)sannip__calloc(&mc->alloc, (size_t)mc->n, sizeof(double));
    q = (sannip__mc_acc *)sannip__calloc(&mc->alloc, 1, sizeof *q);
    if (!S || !mag || !q || sannip__mc_own_acc(mc, err) != SANNIP_SUCCESS) {
        sannip_free(&mc->alloc, S); sannip_free(&mc->alloc, mag); sannip_free(&mc->alloc, q);
        return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "mc restore: %d spins", mc->n);
    }
    for (i = 0, r = SANNIP_SUCCESS; i < 4 * mc->n && r == SANNIP_SUCCESS; i++) {   /* per line: S_x S_y S_z |S| */
        if (!sannip__mc_token(text, len, &p, 1, &u, &line)) r = sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "mc restore: line %d: spin %d of %d missing or bad", line, i / 4 + 1, mc->n);
        else if (i % 4 < 3) S[3 * (i / 4) + i % 4] = (sannip_real)sannip__mc_real(u);
        else mag[i / 4] = sannip__mc_real(u);
    }
    memset(&pr, 0, sizeof pr);
    pr.phase = -1;
    if (r == SANNIP_SUCCESS && version == 2) r = sannip__mc_restore_run(text, len, &p, &line, &pr, sums, q, &have, err);
    if (r == SANNIP_SUCCESS && (r = sannip_mc_set_spins(mc, S, err)) == SANNIP_SUCCESS) {
        memcpy(mc->mag, mag, sizeof(double) * (size_t)mc->n);   /* the exact magnitudes of the moves */
        mc->run = pr;
        if (version == 2) {   /* the running sums as the chain had them */
            for (k = 0; k < 3; k++) mc->M[k] = sums[k];
            mc->sum_mag = sums[3]; mc->E = sums[4];
        }
        if (have) *mc->acc = *q;
    }
    sannip_free(&mc->alloc, S); sannip_free(&mc->alloc, mag); sannip_free(&mc->alloc, q);
    if (r != SANNIP_SUCCESS) return r;
    for (k = 0; k < 4; k++) mc->rng.s[k] = v[k];
    mc->step = sannip__mc_real(v[4]); mc->attempted = (int64_t)v[5]; mc->accepted = (int64_t)v[6];
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

/* ---- Zeeman wrapper ---------------------------------------------------------------------- */
static double sannip__zee_dot(const double *B, const sannip_real *s) { return B[0] * s[0] + B[1] * s[1] + B[2] * s[2]; }
static sannip_result sannip__zee_delta(void *user, int k, const sannip_real *s_new, double *dE)
{
    sannip_mc_zeeman *z = (sannip_mc_zeeman *)user;
    sannip_result r = z->inner.delta(z->inner.user, k, s_new, dE);
    if (r == SANNIP_SUCCESS) *dE -= sannip__zee_dot(z->B, s_new) - sannip__zee_dot(z->B, z->spins + 3 * (size_t)k);
    return r;
}
static sannip_result sannip__zee_accept(void *user, int k, const sannip_real *s_new)
{
    sannip_mc_zeeman *z = (sannip_mc_zeeman *)user;
    sannip_result r = z->inner.accept(z->inner.user, k, s_new);
    if (r == SANNIP_SUCCESS) memcpy(z->spins + 3 * (size_t)k, s_new, 3 * sizeof(sannip_real));
    return r;
}
static sannip_result sannip__zee_energy(void *user, double *E)
{
    sannip_mc_zeeman *z = (sannip_mc_zeeman *)user;
    sannip_result r = z->inner.energy(z->inner.user, E);
    int i;
    for (i = 0; r == SANNIP_SUCCESS && i < z->inner.n; i++) *E -= sannip__zee_dot(z->B, z->spins + 3 * (size_t)i);
    return r;
}
static sannip_result sannip__zee_set_spins(void *user, const sannip_real *spins)
{
    sannip_mc_zeeman *z = (sannip_mc_zeeman *)user;
    sannip_result r = SANNIP_SUCCESS;
    int i;
    if (z->inner.set_spins) r = z->inner.set_spins(z->inner.user, spins);
    else for (i = 0; i < z->inner.n && r == SANNIP_SUCCESS; i++) r = z->inner.accept(z->inner.user, i, spins + 3 * (size_t)i);
    if (r == SANNIP_SUCCESS) memcpy(z->spins, spins, sizeof(sannip_real) * 3 * (size_t)z->inner.n);
    return r;
}
SANNIP_API sannip_result sannip_mc_zeeman_init(sannip_mc_zeeman *z, const sannip_mc_model *inner, const double *B,
        const sannip_allocator *alloc, sannip_error *err)
{
    int a;
    if (!z) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "zeeman: NULL wrapper");
    memset(z, 0, sizeof *z);
    if (!inner || !inner->delta || !inner->accept || !inner->energy || inner->n < 1) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "zeeman: NULL or incomplete inner model");
    for (a = 0; B && a < 3; a++) if (!isfinite(B[a])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "zeeman: field component %d is not finite", a);
    z->alloc = sannip__alloc_copy(alloc);
    if (!(z->spins = (sannip_real *)sannip__calloc(&z->alloc, 3 * (size_t)inner->n, sizeof(sannip_real))))
        return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "zeeman: %d spins", inner->n);
    z->inner = *inner;
    for (a = 0; a < 3; a++) z->B[a] = B ? B[a] : 0;
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
SANNIP_API void sannip_mc_zeeman_uninit(sannip_mc_zeeman *z)
{
    if (!z) return;
    sannip_free(&z->alloc, z->spins);
    memset(z, 0, sizeof *z);
}
SANNIP_API sannip_mc_model sannip_mc_zeeman_model(sannip_mc_zeeman *z)
{
    sannip_mc_model m;
    m.n = z->inner.n; m.user = z;
    m.delta = sannip__zee_delta; m.accept = sannip__zee_accept; m.energy = sannip__zee_energy; m.set_spins = sannip__zee_set_spins;
    return m;
}

/* ---- spin-lattice dynamics ---------------------------------------------------------------- */
#define SANNIP__SLD_ACC (1.0 / SANNIP_AMU_A2_FS2_EV)   /* (eV/A)/amu in A/fs^2 */
SANNIP_API sannip_sld_config sannip_sld_config_init(void)
{
    sannip_sld_config c;
    memset(&c, 0, sizeof c);
    c.dt = 1; c.kB = SANNIP_KB_EV_PER_K; c.tol = 1e-14; c.max_iter = 50; c.skin = 1; c.sample_every = 1;
    return c;
}
/* cfg with every zero replaced by its default */
static sannip_sld_config sannip__sld_resolve(const sannip_sld_config *cfg)
{
    sannip_sld_config c = cfg ? *cfg : sannip_sld_config_init(), z = sannip_sld_config_init();
    if (c.dt == 0) c.dt = z.dt;
    if (c.kB == 0) c.kB = z.kB;
    if (c.tol == 0) c.tol = z.tol;
    if (c.max_iter == 0) c.max_iter = z.max_iter;
    if (c.skin == 0) c.skin = z.skin;
    if (c.sample_every == 0) c.sample_every = z.sample_every;
    return c;
}
SANNIP_API sannip_result sannip_sld_config_check(const sannip_sld_config *cfg, sannip_error *err)
{
    const char *name[] = { "dt", "gamma", "T_lattice", "lambda", "T_spin", "kB", "tol", "skin" };
    double v[8];
    int k;
    if (!cfg) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "sld: NULL config");
    v[0] = cfg->dt; v[1] = cfg->gamma; v[2] = cfg->T_lattice; v[3] = cfg->lambda;
    v[4] = cfg->T_spin; v[5] = cfg->kB; v[6] = cfg->tol; v[7] = cfg->skin;
    for (k = 0; k < 8; k++)
        if (!(v[k] >= 0) || !isfinite(v[k])) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "sld config: %s = %g must be finite and >= 0", name[k], v[k]);
    for (k = 0; k < 3; k++)
        if (!isfinite(cfg->zeeman[k])) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "sld config: zeeman[%d] is not finite", k);
    if (cfg->max_iter < 0 || cfg->sample_every < 0)
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "sld config: max_iter = %d and sample_every = %d must be >= 0", cfg->max_iter, cfg->sample_every);
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
/* k <= 4 standard normal deviates of atom i in sub-step sub of step t: a pure function of
   (seed, t, sub, i) through splitmix64 (Box-Muller), so any thread may draw them. */
static void sannip__sld_gauss(uint64_t seed, long t, int sub, int i, int k, double *g)
{
    uint64_t st = seed, u[4];
    int j;
    st = sannip__splitmix64(&st) + (uint64_t)t;
    st = sannip__splitmix64(&st) + (((uint64_t)(unsigned)sub << 32) | (uint64_t)(unsigned)i);
    for (j = 0; j < 4; j++) u[j] = sannip__splitmix64(&st);
    for (j = 0; j < k; j += 2) {
        double u1 = ((double)(u[j] >> 11) + 1) * (1.0 / 9007199254740992.0);
        double u2 = (double)(u[j + 1] >> 11) * (1.0 / 9007199254740992.0), r = sqrt(-2 * sannip__log(u1)), sn, cs;
        sannip__sincospi(2 * u2, &sn, &cs);
        g[j] = r * cs;
        if (j + 1 < k) g[j + 1] = r * sn;
    }
}
/* out = s turned by the angle |w| tau about w (Rodrigues): the exact solution of ds/dt = w x s. */
static void sannip__sld_rotate(const double *s, const double *w, double tau, double *out)
{
    double wn = sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]), th = wn * tau, k[3], ks, c, sn, x[3];
    int a;
    if (th == 0) { for (a = 0; a < 3; a++) out[a] = s[a]; return; }
    for (a = 0; a < 3; a++) k[a] = w[a] / wn;
    ks = k[0] * s[0] + k[1] * s[1] + k[2] * s[2];
    x[0] = k[1] * s[2] - k[2] * s[1]; x[1] = k[2] * s[0] - k[0] * s[2]; x[2] = k[0] * s[1] - k[1] * s[0];
    sannip__sincos(th, &sn, &c);
    for (a = 0; a < 3; a++) out[a] = s[a] * c + x[a] * sn + k[a] * ks * (1 - c);
}
/* Greedy colouring of the atoms over the pairs within range + skin (atom order, smallest
   colour not taken by an earlier neighbour): no two atoms of one colour within range. */
static sannip_result sannip__sld_greedy(sannip_sld *d, int *color, sannip_error *err)
{
    sannip_system sys;
    sannip_real *posr = d->posr;
    int *Z = d->mark + d->n, *stamp = d->mark + 2 * d->n, i, a;
    size_t q;
    sannip_result r;
    memset(&sys, 0, sizeof sys);
    for (i = 0; i < 3 * d->n; i++) posr[i] = (sannip_real)d->pos[i];
    for (i = 0; i < d->n; i++) { Z[i] = 1; stamp[i] = -1; }
    sys.n = d->n; sys.pos = posr; sys.Z = Z;
    for (a = 0; a < 9; a++) sys.cell[a] = (sannip_real)d->cell[a];
    for (a = 0; a < 3; a++) sys.pbc[a] = d->pbc[a];
    r = sannip_neighbors_build(&d->nl, &sys, (sannip_real)(d->model.range + d->cfg.skin), err);
    if (r != SANNIP_SUCCESS) { sannip__err_prefix(err, "sld: sectors: "); return r; }
    for (i = 0; i < d->n; i++) {
        int c = 0;
        for (q = d->nl.start[i]; q < d->nl.start[i + 1]; q++)
            if (d->nl.j[q] < i) stamp[color[d->nl.j[q]]] = i;
        while (stamp[c] == i) c++;
        color[i] = c;
    }
    return SANNIP_SUCCESS;
}
/* The sectors: the model's colours, a greedy colouring by range, one per spin (a local field
   without a range) or one of all spins (no local field); atoms of a sector in atom order. */
static sannip_result sannip__sld_sectors(sannip_sld *d, sannip_error *err)
{
    int n = d->n, *color = d->mark, i, k, K = 0;
    sannip_result r;
    if (d->model.color) {
        for (i = 0; i < n; i++) {
            color[i] = d->model.color(d->model.user, i);
            if (color[i] < 0 || color[i] >= n) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "sld: colour %d of atom %d outside 0..%d", color[i], i + 1, n - 1);
        }
    } else if (d->model.field && d->model.range > 0) {
        if ((r = sannip__sld_greedy(d, color, err)) != SANNIP_SUCCESS) return r;
    } else for (i = 0; i < n; i++) color[i] = d->model.field ? i : 0;
    for (i = 0; i < n; i++) if (color[i] + 1 > K) K = color[i] + 1;
    memset(d->sec_start, 0, sizeof(int) * ((size_t)n + 2));
    for (i = 0; i < n; i++) d->sec_start[color[i] + 1]++;
    for (k = 0; k < K; k++) d->sec_start[k + 1] += d->sec_start[k];
    for (i = 0; i < n; i++) d->sec_atom[d->sec_start[color[i]]++] = i;
    for (k = K; k > 0; k--) d->sec_start[k] = d->sec_start[k - 1];
    d->sec_start[0] = 0;
    d->n_sectors = K;
    d->n_colorings++;
    memcpy(d->pos_colored, d->pos, sizeof(double) * 3 * (size_t)n);
    return SANNIP_SUCCESS;
}
/* Recolours (greedy colouring only) once an atom moved more than skin/2 since the last one. */
static sannip_result sannip__sld_recolor(sannip_sld *d, sannip_error *err)
{
    double lim = 0.25 * d->cfg.skin * d->cfg.skin;
    int i;
    if (d->model.color || !d->model.field || !(d->model.range > 0)) return SANNIP_SUCCESS;
    for (i = 0; i < d->n; i++) {
        const double *p = d->pos + 3 * i, *o = d->pos_colored + 3 * i;
        double dx = p[0] - o[0], dy = p[1] - o[1], dz = p[2] - o[2];
        if (dx * dx + dy * dy + dz * dz > lim) return sannip__sld_sectors(d, err);
    }
    return SANNIP_SUCCESS;
}
/* The field on the atoms idx[0..m) at the spins W (all of them through compute when the model
   has no local field), plus the Zeeman field, into d->H2. */
static sannip_result sannip__sld_field(sannip_sld *d, int m, const int *idx)
{
    double E;
    sannip_result r;
    int q, a;
    if (d->model.field) { r = d->model.field(d->model.user, d->pos, d->W, m, idx, d->H2); d->n_field_calls++; }
    else { r = d->model.compute(d->model.user, d->pos, d->W, &E, d->F2, d->H2); d->n_compute_calls++; }
    if (r != SANNIP_SUCCESS) return r;
    for (q = 0; q < m; q++) for (a = 0; a < 3; a++) d->H2[3 * idx[q] + a] += d->cfg.zeeman[a];
    return SANNIP_SUCCESS;
}
/* The spins of sector k turn for tau (sub-step sub, for the noise): each about its field at
   the midpoint of its own turn, S' = R(w(m), tau) S with m = |S| (S + S')/|S + S'|, by
   iteration from m = S (T: Tranchida et al. 2018, sec. 3, with the field refreshed). */
static sannip_result sannip__sld_sector(sannip_sld *d, int k, double tau, int sub, sannip_error *err)
{
    const int *idx = d->sec_atom + d->sec_start[k];
    int m = d->sec_start[k + 1] - d->sec_start[k], q, it;
    double lam = d->cfg.lambda, kT = d->cfg.kB * d->cfg.T_spin, hb = SANNIP_HBAR_EV_FS;
    sannip_result r;
    for (q = 0; q < m; q++) {
        int i = idx[q], a;
        double *nz = d->noise + 3 * i;
        for (a = 0; a < 3; a++) d->Snew[3 * i + a] = d->spins[3 * i + a];
        if (lam > 0 && kT > 0 && d->smag[i] > 0) {
            double sd = sqrt(2 * lam * kT / (hb * d->smag[i] * tau));   /* rotational diffusion */
            sannip__sld_gauss(d->cfg.seed, d->step, sub, i, 3, nz);
            for (a = 0; a < 3; a++) nz[a] *= sd;
        } else nz[0] = nz[1] = nz[2] = 0;
    }
    for (it = 0;; it++) {
        double change = 0;
        if ((r = sannip__sld_field(d, m, idx)) != SANNIP_SUCCESS)
            return sannip__fail(err, r, 0, 0, "sld: step %ld: the model's field failed (%s)", d->step, sannip_result_string(r));
#ifdef SANNIP__OMP
#pragma omp parallel for schedule(static) reduction(max : change) if (m > 512)
#endif
        for (q = 0; q < m; q++) {
            int i = idx[q], a;
            const double *H = d->H2 + 3 * i, *S = d->spins + 3 * i;
            double *W = d->W + 3 * i, *Sn = d->Snew + 3 * i, s = d->smag[i], w[3], sp[3], mh[3], c = 0, nm;
            if (s == 0) continue;
            for (a = 0; a < 3; a++) mh[a] = W[a] / s;
            /* w = (-H + lambda m x H) / hbar + noise: precession, damping towards H (LL form) */
            w[0] = (-H[0] + lam * (mh[1] * H[2] - mh[2] * H[1])) / hb + d->noise[3 * i];
            w[1] = (-H[1] + lam * (mh[2] * H[0] - mh[0] * H[2])) / hb + d->noise[3 * i + 1];
            w[2] = (-H[2] + lam * (mh[0] * H[1] - mh[1] * H[0])) / hb + d->noise[3 * i + 2];
            sannip__sld_rotate(S, w, tau, sp);
            for (a = 0; a < 3; a++) { double x = fabs(sp[a] - Sn[a]); if (x > c) c = x; Sn[a] = sp[a]; }
            if (c / s > change) change = c / s;
            for (a = 0; a < 3; a++) mh[a] = S[a] + sp[a];
            nm = sqrt(mh[0] * mh[0] + mh[1] * mh[1] + mh[2] * mh[2]);
            for (a = 0; a < 3; a++) W[a] = nm > 0 ? s * mh[a] / nm : S[a];
        }
        if (change <= d->cfg.tol || change <= d->model.precision) break;
        if (it + 1 >= d->cfg.max_iter)
            return sannip__fail(err, SANNIP_ERROR, 0, 0, "sld: step %ld: the spin midpoint iteration did not converge in %d iterations (change %.3g of |S|): reduce dt", d->step, d->cfg.max_iter, change);
    }
    for (q = 0; q < m; q++) {
        int i = idx[q];
        memcpy(d->spins + 3 * i, d->Snew + 3 * i, 3 * sizeof(double));
        memcpy(d->W + 3 * i, d->Snew + 3 * i, 3 * sizeof(double));
    }
    return SANNIP_SUCCESS;
}
/* Spin half-step S(tau): sectors 0..K-1 for tau/2 each, K-1..0 back (the last one once,
   for tau): a palindrome (symmetric Suzuki-Trotter sweep). half (0, 1) keys the noise. */
static sannip_result sannip__sld_spin_half(sannip_sld *d, double tau, int half, sannip_error *err)
{
    int K = d->n_sectors, k, sub = 4 + half * 2 * K;
    sannip_result r;
    for (k = 0; k < K - 1; k++)
        if ((r = sannip__sld_sector(d, k, 0.5 * tau, sub++, err)) != SANNIP_SUCCESS) return r;
    if (K > 0 && (r = sannip__sld_sector(d, K - 1, tau, sub++, err)) != SANNIP_SUCCESS) return r;
    for (k = K - 2; k >= 0; k--)
        if ((r = sannip__sld_sector(d, k, 0.5 * tau, sub++, err)) != SANNIP_SUCCESS) return r;
    return SANNIP_SUCCESS;
}
/* Lattice: B (kick by h), A (drift by h), O (Ornstein-Uhlenbeck for h at T_lattice, sub keys
   the noise). */
static void sannip__sld_kick(sannip_sld *d, double h)
{
    int i, a;
    for (i = 0; i < d->n; i++) for (a = 0; a < 3; a++) d->vel[3 * i + a] += h * SANNIP__SLD_ACC * d->forces[3 * i + a] / d->mass[i];
}
static void sannip__sld_drift(sannip_sld *d, double h)
{
    int i;
    for (i = 0; i < 3 * d->n; i++) d->pos[i] += h * d->vel[i];
}
static void sannip__sld_ou(sannip_sld *d, double h, int sub)
{
    double c = sannip__exp(-d->cfg.gamma * h), kT = d->cfg.kB * d->cfg.T_lattice, g[3];
    int i, a;
    if (!(d->cfg.gamma > 0)) return;
    for (i = 0; i < d->n; i++) {
        double sd = sqrt((1 - c * c) * kT * SANNIP__SLD_ACC / d->mass[i]);
        sannip__sld_gauss(d->cfg.seed, d->step, sub, i, 3, g);
        for (a = 0; a < 3; a++) d->vel[3 * i + a] = c * d->vel[3 * i + a] + sd * g[a];
    }
}
/* Energy, forces and field of the current state (Zeeman term included). */
static sannip_result sannip__sld_eval(sannip_sld *d, sannip_error *err)
{
    sannip_result r = d->model.compute(d->model.user, d->pos, d->spins, &d->E, d->forces, d->field);
    int i, a;
    d->n_compute_calls++;
    if (r != SANNIP_SUCCESS) return sannip__fail(err, r, 0, 0, "sld: step %ld: the model failed (%s)", d->step, sannip_result_string(r));
    for (i = 0; i < d->n; i++) for (a = 0; a < 3; a++) {
        d->field[3 * i + a] += d->cfg.zeeman[a];
        d->E -= d->cfg.zeeman[a] * d->spins[3 * i + a];
    }
    if (!isfinite(d->E)) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "sld: step %ld: the energy is not finite", d->step);
    return SANNIP_SUCCESS;
}
/* Tells the model that the positions changed (its optional set_positions). */
static sannip_result sannip__sld_moved(sannip_sld *d, sannip_error *err)
{
    sannip_result r;
    if (!d->model.set_positions || (r = d->model.set_positions(d->model.user, d->pos)) == SANNIP_SUCCESS) return SANNIP_SUCCESS;
    return sannip__fail(err, r, 0, 0, "sld: step %ld: the model rejected the positions (%s)", d->step, sannip_result_string(r));
}
SANNIP_API sannip_result sannip_sld_step(sannip_sld *d, sannip_error *err)
{
    double dt = d->cfg.dt;
    int moving = !d->cfg.frozen_lattice;
    sannip_result r;
    if (moving) { sannip__sld_ou(d, 0.5 * dt, 0); sannip__sld_kick(d, 0.5 * dt); }
    if ((r = sannip__sld_spin_half(d, 0.5 * dt, 0, err)) != SANNIP_SUCCESS) return r;
    if (moving) {
        sannip__sld_drift(d, dt);
        if ((r = sannip__sld_recolor(d, err)) != SANNIP_SUCCESS || (r = sannip__sld_moved(d, err)) != SANNIP_SUCCESS) return r;
    }
    if ((r = sannip__sld_spin_half(d, 0.5 * dt, 1, err)) != SANNIP_SUCCESS) return r;
    if ((r = sannip__sld_eval(d, err)) != SANNIP_SUCCESS) return r;
    if (moving) { sannip__sld_kick(d, 0.5 * dt); sannip__sld_ou(d, 0.5 * dt, 1); }
    d->step++;
    d->t += dt;
    return SANNIP_SUCCESS;
}
SANNIP_API void sannip_sld_observe(const sannip_sld *d, sannip_sld_sample *s)
{
    double ek = 0, num = 0, den = 0, ez = 0, curv = 0;
    int i, a, moving = 0;
    memset(s, 0, sizeof *s);
    for (i = 0; i < d->n; i++) {
        const double *v = d->vel + 3 * i, *S = d->spins + 3 * i, *H = d->field + 3 * i;
        double x[3];
        ek += 0.5 * d->mass[i] * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        for (a = 0; a < 3; a++) { s->M[a] += S[a]; ez -= d->cfg.zeeman[a] * S[a]; }
        x[0] = S[1] * H[2] - S[2] * H[1]; x[1] = S[2] * H[0] - S[0] * H[2]; x[2] = S[0] * H[1] - S[1] * H[0];
        num += x[0] * x[0] + x[1] * x[1] + x[2] * x[2];   /* |grad E|^2 on the spheres */
        den += S[0] * H[0] + S[1] * H[1] + S[2] * H[2];
        moving++;
    }
    s->step = d->step; s->t = d->t;
    s->E_kin = ek * SANNIP_AMU_A2_FS2_EV;
    s->E_pot = d->E; s->E_zeeman = ez;
    s->E_total = s->E_pot + s->E_kin;
    s->T_lattice = moving > 0 && !d->cfg.frozen_lattice ? 2 * s->E_kin / (3.0 * moving * d->cfg.kB) : 0;
    if (d->model.curvature && d->model.curvature(d->model.user, d->pos, d->spins, &curv) != SANNIP_SUCCESS) curv = NAN;
    s->spin_grad2 = num; s->spin_lap = 2 * den + curv;
    s->T_spin = s->spin_lap != 0 ? num / (d->cfg.kB * s->spin_lap) : 0;
    s->m = d->n > 0 ? sqrt(s->M[0] * s->M[0] + s->M[1] * s->M[1] + s->M[2] * s->M[2]) / d->n : 0;
}
SANNIP_API sannip_result sannip_sld_run(sannip_sld *d, long n_steps, sannip_error *err)
{
    sannip_sld_sample s;
    sannip_result r;
    long k;
    if (!d || n_steps < 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "sld: NULL run or negative step count %ld", n_steps);
    if (d->cfg.on_sample && d->step == 0) {
        sannip_sld_observe(d, &s);
        if (d->cfg.on_sample(d->cfg.sample_user, &s)) return SANNIP_SUCCESS;
    }
    for (k = 0; k < n_steps; k++) {
        if ((r = sannip_sld_step(d, err)) != SANNIP_SUCCESS) return r;
        if (d->cfg.on_sample && d->step % d->cfg.sample_every == 0) {
            sannip_sld_observe(d, &s);
            if (d->cfg.on_sample(d->cfg.sample_user, &s)) break;
        }
    }
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
SANNIP_API void sannip_sld_uninit(sannip_sld *d)
{
    const sannip_allocator *a;
    if (!d) return;
    a = &d->alloc;
    sannip_free(a, d->pos); sannip_free(a, d->vel); sannip_free(a, d->spins); sannip_free(a, d->mass);
    sannip_free(a, d->forces); sannip_free(a, d->field); sannip_free(a, d->smag); sannip_free(a, d->sec_start);
    sannip_free(a, d->sec_atom); sannip_free(a, d->pos_colored); sannip_free(a, d->W); sannip_free(a, d->Snew);
    sannip_free(a, d->noise); sannip_free(a, d->H2); sannip_free(a, d->F2); sannip_free(a, d->mark); sannip_free(a, d->posr);
    sannip_neighbors_uninit(&d->nl);
    memset(d, 0, sizeof *d);
}
/* Validates the initial state (finite arrays, positive masses). */
static sannip_result sannip__sld_check_state(int n, const double *pos, const double *vel, const double *spins,
                                             const double *mass, const double *cell, sannip_error *err)
{
    int i;
    for (i = 0; i < 3 * n; i++) {
        if (!isfinite(pos[i])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "sld: position of atom %d is not finite", i / 3 + 1);
        if (!isfinite(spins[i])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "sld: spin of atom %d is not finite", i / 3 + 1);
        if (vel && !isfinite(vel[i])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "sld: velocity of atom %d is not finite", i / 3 + 1);
    }
    for (i = 0; i < n; i++)
        if (!(mass[i] > 0) || !isfinite(mass[i])) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "sld: mass of atom %d is %g amu (must be positive)", i + 1, mass[i]);
    for (i = 0; i < 9; i++)
        if (!isfinite(cell[i])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "sld: cell component %d is not finite", i + 1);
    return SANNIP_SUCCESS;
}
/* Allocates every array of d (zeroed). */
static sannip_result sannip__sld_alloc(sannip_sld *d, int n)
{
    const sannip_allocator *a = &d->alloc;
    size_t n3 = 3 * (size_t)n + 1;
    d->pos = (double *)sannip__calloc(a, n3, sizeof(double)); d->vel = (double *)sannip__calloc(a, n3, sizeof(double));
    d->spins = (double *)sannip__calloc(a, n3, sizeof(double)); d->mass = (double *)sannip__calloc(a, n3, sizeof(double));
    d->forces = (double *)sannip__calloc(a, n3, sizeof(double)); d->field = (double *)sannip__calloc(a, n3, sizeof(double));
    d->smag = (double *)sannip__calloc(a, n3, sizeof(double)); d->pos_colored = (double *)sannip__calloc(a, n3, sizeof(double));
    d->W = (double *)sannip__calloc(a, n3, sizeof(double)); d->Snew = (double *)sannip__calloc(a, n3, sizeof(double));
    d->noise = (double *)sannip__calloc(a, n3, sizeof(double)); d->H2 = (double *)sannip__calloc(a, n3, sizeof(double));
    d->F2 = (double *)sannip__calloc(a, n3, sizeof(double)); d->posr = (sannip_real *)sannip__calloc(a, n3, sizeof(sannip_real));
    d->sec_start = (int *)sannip__calloc(a, (size_t)n + 2, sizeof(int)); d->sec_atom = (int *)sannip__calloc(a, (size_t)n + 1, sizeof(int));
    d->mark = (int *)sannip__calloc(a, n3, sizeof(int));
    if (!d->pos || !d->vel || !d->spins || !d->mass || !d->forces || !d->field || !d->smag || !d->pos_colored || !d->W
        || !d->Snew || !d->noise || !d->H2 || !d->F2 || !d->posr || !d->sec_start || !d->sec_atom || !d->mark)
        return SANNIP_OUT_OF_MEMORY;
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_sld_refresh(sannip_sld *d, sannip_error *err)
{
    sannip_result r;
    int i;
    for (i = 0; i < d->n; i++) {
        const double *S = d->spins + 3 * i;
        d->smag[i] = sqrt(S[0] * S[0] + S[1] * S[1] + S[2] * S[2]);
    }
    memcpy(d->W, d->spins, sizeof(double) * 3 * (size_t)d->n);
    if ((r = sannip__sld_moved(d, err)) != SANNIP_SUCCESS) return r;
    return sannip__sld_eval(d, err);
}
SANNIP_API sannip_result sannip_sld_init(sannip_sld *d, const sannip_sld_model *model,
        const sannip_sld_config *cfg, int n, const double *pos, const double *vel,
        const double *spins, const double *mass, const double *cell, const int *pbc,
        const sannip_allocator *alloc, sannip_error *err)
{
    sannip_result r;
    int a;
    if (!d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "sld: NULL state");
    memset(d, 0, sizeof *d);
    if (!model || !model->compute || (n > 0 && (!pos || !spins || !mass)) || !cell || !pbc)
        return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "sld: NULL model, compute callback, positions, spins, masses, cell or pbc");
    if (n < 1 || n != model->n) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "sld: %d atoms for a model of %d", n, model->n);
    if (n > SANNIP_MAX_ATOMS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "sld: %d atoms > SANNIP_MAX_ATOMS", n);
    if (cfg && (r = sannip_sld_config_check(cfg, err)) != SANNIP_SUCCESS) return r;
    if (!(model->range >= 0) || !isfinite(model->range)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "sld: model range %g must be finite and >= 0", model->range);
    if ((r = sannip__sld_check_state(n, pos, vel, spins, mass, cell, err)) != SANNIP_SUCCESS) return r;
    d->alloc = sannip__alloc_copy(alloc);
    sannip_neighbors_init(&d->nl, &d->alloc);
    d->model = *model; d->cfg = sannip__sld_resolve(cfg); d->n = n;
    if (sannip__sld_alloc(d, n) != SANNIP_SUCCESS) { sannip_sld_uninit(d); return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "sld: state of %d atoms", n); }
    memcpy(d->pos, pos, sizeof(double) * 3 * (size_t)n);
    memcpy(d->spins, spins, sizeof(double) * 3 * (size_t)n);
    memcpy(d->mass, mass, sizeof(double) * (size_t)n);
    if (vel) memcpy(d->vel, vel, sizeof(double) * 3 * (size_t)n);
    for (a = 0; a < 9; a++) d->cell[a] = cell[a];
    for (a = 0; a < 3; a++) d->pbc[a] = pbc[a] != 0;
    if ((r = sannip__sld_sectors(d, err)) != SANNIP_SUCCESS || (r = sannip_sld_refresh(d, err)) != SANNIP_SUCCESS) { sannip_sld_uninit(d); return r; }
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
SANNIP_API void sannip_sld_maxwell(sannip_sld *d, double T, uint64_t seed)
{
    double p[3] = { 0, 0, 0 }, mt = 0, g[3];
    int i, a;
    if (d->cfg.frozen_lattice) return;
    for (i = 0; i < d->n; i++) {
        double sd = sqrt(d->cfg.kB * T * SANNIP__SLD_ACC / d->mass[i]);
        sannip__sld_gauss(seed, -1, 0, i, 3, g);
        for (a = 0; a < 3; a++) { d->vel[3 * i + a] = sd * g[a]; p[a] += d->mass[i] * d->vel[3 * i + a]; }
        mt += d->mass[i];
    }
    for (i = 0; i < d->n; i++) for (a = 0; a < 3; a++) d->vel[3 * i + a] -= p[a] / mt;
}
SANNIP_API void sannip_sld_reverse(sannip_sld *d)
{
    int i;
    for (i = 0; i < 3 * d->n; i++) { d->vel[i] = -d->vel[i]; d->spins[i] = -d->spins[i]; d->W[i] = d->spins[i]; d->field[i] = -d->field[i]; }
}
/* ---- SLD models -------------------------------------------------------------------------- */
static sannip_result sannip__sld_net_compute(void *user, const double *pos, const double *spins, double *E,
                                             double *forces, double *field)
{
    sannip_sld_network *a = (sannip_sld_network *)user;
    sannip_real e;
    sannip_result r;
    int i, n3 = 3 * a->sys.n;
    for (i = 0; i < n3; i++) { a->pos[i] = (sannip_real)pos[i]; a->spins[i] = (sannip_real)spins[i]; }
    r = sannip_model_compute_field(a->m, &a->ws, &a->sys, &e, NULL, a->F, NULL, a->H, &a->err);
    if (r != SANNIP_SUCCESS) return r;
    *E = e;
    for (i = 0; i < n3; i++) { forces[i] = a->F[i]; field[i] = a->H[i]; }
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_sld_network_init(sannip_sld_network *a, const sannip_model *m, int n,
        const int *Z, const double *cell, const int *pbc, const sannip_allocator *alloc, sannip_error *err)
{
    size_t n3 = 3 * (size_t)n + 1;
    int k;
    if (!a) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "sld network: NULL adapter");
    memset(a, 0, sizeof *a);
    if (!m || !Z || !cell || !pbc || n < 1) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "sld network: NULL model, Z, cell or pbc, or %d atoms", n);
    if (n > SANNIP_MAX_ATOMS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "sld network: %d atoms > SANNIP_MAX_ATOMS", n);
    a->alloc = sannip__alloc_copy(alloc ? alloc : &m->alloc);
    a->m = m;
    a->Z = (int *)sannip__calloc(&a->alloc, (size_t)n, sizeof(int));
    a->pos = (sannip_real *)sannip__calloc(&a->alloc, n3, sizeof(sannip_real));
    a->spins = (sannip_real *)sannip__calloc(&a->alloc, n3, sizeof(sannip_real));
    a->F = (sannip_real *)sannip__calloc(&a->alloc, n3, sizeof(sannip_real));
    a->H = (sannip_real *)sannip__calloc(&a->alloc, n3, sizeof(sannip_real));
    if (!a->Z || !a->pos || !a->spins || !a->F || !a->H) { sannip_sld_network_uninit(a); return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "sld network: %d atoms", n); }
    memcpy(a->Z, Z, sizeof(int) * (size_t)n);
    sannip_workspace_init(&a->ws, &a->alloc);
    a->sys.n = n; a->sys.pos = a->pos; a->sys.Z = a->Z; a->sys.spins = a->spins;
    for (k = 0; k < 9; k++) a->sys.cell[k] = (sannip_real)cell[k];
    for (k = 0; k < 3; k++) a->sys.pbc[k] = pbc[k] != 0;
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
SANNIP_API void sannip_sld_network_uninit(sannip_sld_network *a)
{
    sannip_allocator al;
    if (!a) return;
    al = a->alloc;
    sannip_free(&al, a->Z); sannip_free(&al, a->pos); sannip_free(&al, a->spins); sannip_free(&al, a->F); sannip_free(&al, a->H);
    if (a->m) sannip_workspace_uninit(&a->ws);
    memset(a, 0, sizeof *a);
}
SANNIP_API sannip_sld_model sannip_sld_network_model(sannip_sld_network *a)
{
    sannip_sld_model s;
    double rc = 0;
    int b;
    memset(&s, 0, sizeof s);
    s.n = a->sys.n; s.user = a; s.compute = sannip__sld_net_compute;
    for (b = 0; b < a->m->desc.n; b++)
        if (sannip_basis_is_spin(&a->m->desc.b[b]) && sannip_basis_cutoff(&a->m->desc.b[b]) > rc) rc = sannip_basis_cutoff(&a->m->desc.b[b]);
    s.range = 2 * rc;
    s.precision = sizeof(sannip_real) < sizeof(double) ? 1e-5 : 0;
    return s;
}
/* Heisenberg: H_i = J sum of the six neighbours' spins; E = -J sum_i S_i.(S_+x + S_+y + S_+z). */
static void sannip__sld_heis_h(const sannip_mc_heisenberg *h, const double *spins, int i, double *H)
{
    const int *nb = h->nbr + 6 * i;
    int q, a;
    H[0] = H[1] = H[2] = 0;
    for (q = 0; q < 6; q++) for (a = 0; a < 3; a++) H[a] += spins[3 * nb[q] + a];
    for (a = 0; a < 3; a++) H[a] *= h->J;
}
static sannip_result sannip__sld_heis_compute(void *user, const double *pos, const double *spins, double *E,
                                              double *forces, double *field)
{
    const sannip_mc_heisenberg *h = (const sannip_mc_heisenberg *)user;
    double e = 0;
    int i, q, a;
    (void)pos;
    for (i = 0; i < h->n; i++) {
        const double *S = spins + 3 * i;
        for (q = 0; q < 6; q += 2) {
            const double *T = spins + 3 * h->nbr[6 * i + q];
            e -= h->J * (S[0] * T[0] + S[1] * T[1] + S[2] * T[2]);
        }
        sannip__sld_heis_h(h, spins, i, field + 3 * i);
        for (a = 0; a < 3; a++) forces[3 * i + a] = 0;
    }
    *E = e;
    return SANNIP_SUCCESS;
}
static sannip_result sannip__sld_heis_field(void *user, const double *pos, const double *spins, int m,
                                            const int *idx, double *field)
{
    const sannip_mc_heisenberg *h = (const sannip_mc_heisenberg *)user;
    int q;
    (void)pos;
    for (q = 0; q < m; q++) sannip__sld_heis_h(h, spins, idx[q], field + 3 * idx[q]);
    return SANNIP_SUCCESS;
}
static int sannip__sld_heis_color(void *user, int i)
{
    const sannip_mc_heisenberg *h = (const sannip_mc_heisenberg *)user;
    int L = h->L;
    return L % 2 ? i : (i % L + (i / L) % L + i / (L * L)) % 2;
}
SANNIP_API sannip_sld_model sannip_sld_heisenberg_model(sannip_mc_heisenberg *h)
{
    sannip_sld_model s;
    memset(&s, 0, sizeof s);
    s.n = h->n; s.user = h;
    s.compute = sannip__sld_heis_compute; s.field = sannip__sld_heis_field; s.color = sannip__sld_heis_color;
    s.range = 1;
    return s;
}
SANNIP_API double sannip_element_mass(int Z)
{
    static const double m[95] = { 0,
        1.008, 4.0026, 6.94, 9.0122, 10.81, 12.011, 14.007, 15.999, 18.998, 20.180,
        22.990, 24.305, 26.982, 28.085, 30.974, 32.06, 35.45, 39.95, 39.098, 40.078,
        44.956, 47.867, 50.942, 51.996, 54.938, 55.845, 58.933, 58.693, 63.546, 65.38,
        69.723, 72.630, 74.922, 78.971, 79.904, 83.798, 85.468, 87.62, 88.906, 91.224,
        92.906, 95.95, 97, 101.07, 102.91, 106.42, 107.87, 112.41, 114.82, 118.71,
        121.76, 127.60, 126.90, 131.29, 132.91, 137.33, 138.91, 140.12, 140.91, 144.24,
        145, 150.36, 151.96, 157.25, 158.93, 162.50, 164.93, 167.26, 168.93, 173.05,
        174.97, 178.49, 180.95, 183.84, 186.21, 190.23, 192.22, 195.08, 196.97, 200.59,
        204.38, 207.2, 208.98, 209, 210, 222, 223, 226, 227, 232.04,
        231.04, 238.03, 237, 244 };
    return Z >= 1 && Z <= 94 ? m[Z] : 0;
}
#undef SANNIP__SLD_ACC

#undef SANNIP__RSC_MEMBER
#undef SANNIP__RSC_DRAW

#ifdef __cplusplus
}
#endif
#endif /* SANNIP_SPIN_IMPLEMENTATION */
