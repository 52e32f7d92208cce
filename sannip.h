/* sannip.h - v0.1.0 - spin-aware neural-network interatomic potentials, one header.
   MIT-0 or public domain (text at the end of the file).

   In exactly one C or C++ file:
       #define SANNIP_IMPLEMENTATION
       #include "sannip.h"         // and sannip_train.h / sannip_spin.h when used

   SANNIP_IMPLEMENTATION is the umbrella: it emits the implementation of every sannip header
   included after it in that file. sannip_train.h and sannip_spin.h also have their own
   sokol-style guards, SANNIP_TRAIN_IMPLEMENTATION and SANNIP_SPIN_IMPLEMENTATION, which need
   sannip.h's implementation in the same file (they call its static helpers). Every other file
   includes the headers without a define. A 3-line sannip.c (the define and the includes)
   builds the library as an ordinary object file; SANNIP_STATIC gives every translation unit
   a private copy instead.

   sannip.h evaluates atomistic neural-network potentials: periodic (triclinic) or open
   cells, an O(N) cell-list neighbour search, Behler-Parrinello and Gauss-Fourier
   descriptors with analytic derivatives, hand-written dense kernels, per-element MLPs,
   feature and energy scalers, and a model that returns the total energy, per-atom
   energies, forces and the virial. It reads and writes its own model files, imports n2p2
   potentials and reads/writes n2p2 `input.data` and extended XYZ structures.
   Spin bases (kinds SANNIP_SPIN_*, T3.1-3.20, T5.1-5.6) are descriptor kinds like any other:
   this header alone evaluates every model file, spin-aware or not (energy, forces, virial
   and the effective field -dE/dS).

   EQUATION TAGS
   T3.21 = equation (3.21) of D. Bloore's thesis (SANNIP, 2021); T C.2 = its appendix
   equation (C.2); T sec. 4.3.2 = its section 4.3.2 (T sec. A.2: appendix section A.2);
   T table 3.1 and T fig. 4.22 = its tables and figures. A range T3.17-3.20 means equations
   (3.17) to (3.20). Other sources are named in full (n2p2 = Singraber's n2p2 code and
   documentation; Behler 2011 = J. Chem. Phys. 134, 074106).

   OPTIONS (define before including the implementation)
   | macro                     | meaning                                                   |
   |---------------------------|-----------------------------------------------------------|
   | SANNIP_IMPLEMENTATION     | emit the implementation (of every sannip header included) |
   | SANNIP_FLOAT              | sannip_real is float (default double)                     |
   | SANNIP_STATIC             | all functions static (private copy per translation unit)  |
   | SANNIP_API                | linkage of public functions (default extern)              |
   | SANNIP_MALLOC/REALLOC/FREE| (sz,ctx)/(p,sz,ctx)/(p,ctx) default allocator: all or none|
   | SANNIP_ASSERT(x)          | internal invariants only (default assert)                 |
   | SANNIP_NO_STDIO           | remove FILE* functions; memory-buffer and callback        |
   |                           | variants remain                                           |
   | SANNIP_NO_OPENMP          | ignore OpenMP even when compiled with -fopenmp            |
   | SANNIP_NO_SIMD            | keep the scalar kernels only (no `omp simd` hints, no     |
   |                           | AVX intrinsics)                                           |
   | SANNIP_MAX_ATOMS          | largest structure accepted (default 50,000,000)           |
   | SANNIP_MAX_ELEMENTS       | elements per model (default 16)                           |
   | SANNIP_MAX_LAYERS         | layers per network (default 16)                           |
   | SANNIP_MAX_NEIGHBORS      | neighbours of one atom within the cutoff (default 2048);  |
   |                           | more gives SANNIP_TOO_MANY_NEIGHBORS (a too-thin cell or  |
   |                           | absurd cutoff) before the descriptors are computed        |
   | SANNIP_MAX_COORD          | largest |coordinate| and periodic |cell component| in     |
   |                           | length units (default 1e6); beyond it SANNIP_TOO_BIG      |
   | SANNIP_MAX_READ_BYTES     | largest input of the callback loaders (default 1 GiB)     |

   QUICK START (energy and forces of a structure with a saved model)
       sannip_model m; sannip_workspace ws; sannip_error err;
       sannip_model_init(&m, NULL);
       if (sannip_model_load_file(&m, "water.sannip", &err) != SANNIP_SUCCESS)
           { fprintf(stderr, "%s\n", err.message); return 1; }
       sannip_workspace_init(&ws, NULL);
       sannip_system sys = {0};
       sys.n = n; sys.pos = pos; sys.Z = Z;            // n x 3 positions (A), atomic numbers
       memcpy(sys.cell, cell, sizeof cell);            // rows = lattice vectors
       sys.pbc[0] = sys.pbc[1] = sys.pbc[2] = 1;
       sannip_real E, F[3 * MAXN], W[9];
       sannip_result r = sannip_model_compute(&m, &ws, &sys, &E, NULL, F, W, &err);
       sannip_workspace_uninit(&ws); sannip_model_uninit(&m);

   SECTIONS (grep for them): 1. RESULTS  2. MEMORY  3. RNG  4. GEOMETRY  5. CUTOFFS
   6. DESCRIPTORS  7. KERNELS  8. NETWORKS  9. SCALERS  10. MODEL  11. FILES  12. N2P2

   FUNCTION INDEX (by the section that declares them; the declarations give the details)
   1. RESULTS
     sannip_result_string            static name and meaning of a result code
   3. RNG
     sannip_rng_seed                 seed xoshiro256** through splitmix64
     sannip_rng_next                 next 64 random bits
     sannip_rng_uniform              uniform double in [0, 1) (53 bits)
     sannip_rng_normal               standard normal deviate (Box-Muller)
     sannip_rng_split                independent stream, 2^128 steps ahead
   4. GEOMETRY
     sannip_neighbors_init           empty neighbour list (uninit: sannip_neighbors_uninit)
     sannip_neighbors_uninit         free a neighbour list
     sannip_neighbors_build          every pair closer than a cutoff, O(N) cell lists
     sannip_system_check             validate a system's arrays (finite, in range, cell)
     sannip_element_z                element symbol -> atomic number
     sannip_element_symbol           atomic number -> element symbol
   5. CUTOFFS
     sannip_cutoff_make              a cos / tanh / exp / polynomial / hard cutoff
     sannip_cutoff_make_fspline      the Fourier-spline window f_B (T C.1-C.4)
     sannip_cutoff_eval              f_c(r) and df_c/dr
     sannip_cutoff_name              name of a cutoff type
   6. DESCRIPTORS
     sannip_descriptors_init         empty basis set (uninit: sannip_descriptors_uninit)
     sannip_descriptors_uninit       free a basis set
     sannip_descriptors_add          validate and append one basis
     sannip_basis_check              validate one basis
     sannip_basis_applies            does a basis belong to central element Z
     sannip_basis_kind_flags         properties of a kind (angular, radial, spin, ...)
     sannip_basis_is_angular         three-body basis
     sannip_basis_is_radial          depends on positions through distances only
     sannip_basis_is_spin            reads spins
     sannip_basis_class              radial / angular / spin class (T sec. 3.2.3)
     sannip_basis_class_name         name of a class
     sannip_descriptors_need_spins   does a set hold a spin basis
     sannip_basis_cutoff             largest radius a basis uses
     sannip_basis_kind_name          definition-file name of a kind
     sannip_basis_parse              one definition line -> basis
     sannip_basis_format             basis -> canonical definition line
     sannip_descriptors_parse        a whole definition text -> basis set
     sannip_descriptors_preset_bp_fe          the thesis's BP comparator for Fe (T sec. A.1)
     sannip_descriptors_preset_bp             that grid for several elements
     sannip_descriptors_preset_sannip         the thesis's SANNIP set for Fe (T sec. A.2)
     sannip_descriptors_preset_spin_thesis    only its 20 spin bases (T A.8-A.11)
     sannip_descriptors_preset_spin_scaled    spin bases scaled to a spin magnitude
     sannip_descriptors_preset_spin_shells    S2 pair sums on a ladder of cutoffs (radial resolution)
     sannip_env_work_size            scratch size of sannip_env_eval
     sannip_env_eval                 bases of one atom's environment, and d/dpositions
     sannip_env_eval_spin            the same plus d/dspins
   7. KERNELS
     sannip_gemm_nt, sannip_gemm_nn, sannip_gemm_tn    C += A B^T, A B, A^T B
   8. NETWORKS
     sannip_activation_name          name of an activation
     sannip_activation_parse         activation from its name
     sannip_activation_eval          y and dy/dx
     sannip_activation_eval2         y, dy/dx and d2y/dx2
     sannip_network_init             dense network of given sizes
     sannip_network_init_layers      network with class-convolution layers (T sec. 3.2.3)
     sannip_network_layer_params     parameters of one layer
     sannip_network_uninit           free a network
     sannip_network_weights          first parameter of a layer
     sannip_network_layer_blocks     parameter blocks of a layer (1, or one per class)
     sannip_network_block            one parameter block (where its W and b live)
     sannip_network_biases           biases of a dense layer
     sannip_network_layer_affine     z = W x + b of one layer for a batch
     sannip_network_layer_back_input     din += dz W of one layer
     sannip_network_layer_back_weights   grad += dz^T x of one layer
     sannip_network_layer_active     columns of a layer that go through the activation
     sannip_network_work_size        scratch size of the passes
     sannip_network_pass             forward pass from any layer, keeping y' (and y'')
     sannip_network_forward          forward pass of a batch
     sannip_network_backward_input   dL/dX after a forward pass
     sannip_network_backward         dL/dparams (and dL/dX) after a forward pass
   9. SCALERS
     sannip_scaling_name             name of a scaling mode
     sannip_scaling_parse            scaling mode from its name
     sannip_scaling_affine           the affine map of a scaling mode (T2.38, T3.24, T F.22)
   10. MODEL
     sannip_model_init               empty model (uninit: sannip_model_uninit)
     sannip_model_uninit             free a model
     sannip_model_add_element        element with its own MLP (BP)
     sannip_model_add_element_cnn    element with a class-convolution network (T sec. 3.2.3)
     sannip_model_make_multitask     one multi-task MLP for all elements (T sec. 3.2.1)
     sannip_model_network            the network that evaluates an element
     sannip_model_finalize           recompute derived state (scalers, cutoff)
     sannip_model_element_index      index of element Z in the model
     sannip_model_n_params           trainable parameters of the model
     sannip_model_tpi                trainable parameters per input (T3.25-3.28)
     sannip_unit_find                a unit's canonical name and size (A, eV; CODATA 2018)
     sannip_model_units              the model's length and energy units
     sannip_model_set_units          label the units a model computes in
     sannip_model_convert_units      rewrite a model to compute in other units
     sannip_element_scale            scaled features of an element's atoms (T2.38, T3.24)
     sannip_element_scale_feature    one scaled feature
     sannip_element_energies         network outputs -> atomic energies
     sannip_workspace_init           per-thread evaluation state (scratch, neighbour list)
     sannip_workspace_uninit         free a workspace
     sannip_model_compute            energy, atomic energies, forces, virial (T2.44, T2.45)
     sannip_model_compute_field      the same plus the effective field -dE/dS
     sannip_model_compute_domain     the same for a domain with ghost atoms (LAMMPS, KIM)
     sannip_model_features           raw descriptors of every atom for a model
     sannip_descriptors_compute      raw descriptors of every atom for a basis set
     sannip_model_extrapolation      atoms outside the training range (n2p2's warnings)
     sannip_model_check_range        the same test on features the caller holds
     sannip_model_moment_range_add   widen the per-element |S| range of the warnings
   11. FILES
     sannip_model_save_mem           model -> text (caller frees)
     sannip_model_load_mem           text -> model
     sannip_free                     free memory the library handed out
     sannip_structure_init           empty structure (uninit: sannip_structure_uninit)
     sannip_structure_uninit         free a structure
     sannip_structure_resize         (re)allocate a structure's arrays for n atoms
     sannip_structure_view           sannip_system view of a structure (no copy)
     sannip_read_n2p2                next structure of an n2p2 input.data text
     sannip_read_xyz                 next frame of an extended-XYZ text
     sannip_text_init                empty text buffer (uninit: sannip_text_uninit)
     sannip_text_uninit              free a text buffer
     sannip_text_printf              append formatted text
     sannip_text_real                append " %.17g", '.' always
     sannip_write_n2p2               append a structure in input.data format
     sannip_write_xyz                append an extended-XYZ frame
     sannip_write_xyz_ex             the same with extra columns and key=value entries
     sannip_parse_real               locale-independent number parsing
     sannip_format_real              locale-independent number formatting
     sannip_dataset_init             empty data set (uninit: sannip_dataset_uninit)
     sannip_dataset_uninit           free a data set
     sannip_dataset_read_mem         append every structure of a text
     sannip_dataset_append           append a deep copy of a structure
     sannip_dataset_read_file        append every structure of a file
     sannip_model_save_file          model -> file (atomic replace)
     sannip_model_load_file          file -> model
     sannip_read_file                whole file -> NUL-terminated buffer
     sannip_write_file_atomic        write a file so that it is either old or new
   12. N2P2
     sannip_n2p2_import_mem          n2p2 potential from its texts
     sannip_n2p2_import_dir          n2p2 potential from its directory
     sannip_n2p2_export_mem          model -> n2p2 potential texts
     sannip_n2p2_export_dir          model -> n2p2 potential directory
   (2. MEMORY declares the sannip_allocator type; its function, sannip_free, is in 11.)

   UNITS AND CONVENTIONS
   Lengths and energies are those of the model (sannip's own presets: Angstrom and eV;
   imported n2p2 potentials keep the units of their training data, e.g. bohr and Hartree,
   "unknown" unless told; sannip_model_convert_units converts a model, see 10. MODEL).
   Forces F = -dE/dr. Virial W_ab = -sum_i r_i,a dE/dr_i,b, accumulated from relative pair
   vectors so it is correct in periodic cells (stress = -W/V). Arrays are row-major:
   positions n x 3, cell rows are the lattice vectors a, b, c.
   Spins are n x 3 vectors (collinear moments as z components) in the units the caller uses;
   the spin presets assume mu_B. The effective field -dE/dS is in energy per spin unit.
   Three-body sums: G4/G5 (and n2p2 types 3, 9, 13) sum over unordered neighbour pairs
   {j,k} (n2p2's convention, half the thesis's ordered sum T2.21); the Gauss-Fourier
   three-body bases (T C.9, C.31, C.37) sum over ordered pairs (j,k), j != k, as written.
   Double builds sum G5 with an integer zeta <= 8, |lambda| <= 1 and named (or any)
   neighbours by moment tensors, O(neighbours) rather than O(pairs): the same function, with
   rounding of up to ~1e-13 of its value where the terms' expansion in powers of cos cancels
   (a few aligned neighbours fall back to the pair sum; see sannip__env_moments).

   PER-FUNCTION NOTES
   [in] / [out] / [in, out] / [in, optional] / [out, optional] mark parameters; a const
   pointer is [in] and an unmarked `err` is always [out, optional] (sannip_error, NULL: no
   detail), an unmarked `alloc` always [in, optional] (NULL: the default allocator, copied).
   Objects are caller-owned with init/uninit; a returned pointer says who owns it.
   Configuration structs (sannip_train_config, sannip_mc_config, sannip_rsc_config) are
   zero-means-default: `cfg = {0}` (or memset 0) is a valid configuration, every field's
   comment names the default its zero stands for, and their *_config_init functions return
   the same defaults written out. A field whose zero means a non-zero default takes
   SANNIP_OFF for "none" (e.g. force_weight = SANNIP_OFF trains on energies only).
   Thread safety, unless a declaration says otherwise: functions keep no global state, so
   they may run concurrently on different objects; an object that a call changes (a model
   being trained, a workspace, a text buffer, an rng) must not be shared between threads,
   while const objects (a loaded model, a basis set) may be shared read-only.

   DOES NOT: allocate in hot kernels, print, exit, abort, read environment variables, keep
   global state, call rand(), set the OpenMP thread count, or depend on the C locale.
   Results do not depend on the number of threads: every reduction has a fixed order.
*/
#ifndef SANNIP_H
#define SANNIP_H

#include <stddef.h>
#include <stdint.h>
#ifndef SANNIP_NO_STDIO
#include <stdio.h>
#endif

#define SANNIP_VERSION_MAJOR 0
#define SANNIP_VERSION_MINOR 1
#define SANNIP_VERSION_PATCH 0
#define SANNIP_MODEL_FORMAT_VERSION 1

/* In a configuration field whose zero means a non-zero default: "none" / "zero" / "off".
   SANNIP_EXACTLY(x) is x for such a field even when x is 0 (e.g. a weight read at run time). */
#define SANNIP_OFF (-1)
#define SANNIP_EXACTLY(x) ((x) == 0 ? (double)SANNIP_OFF : (double)(x))

#ifndef SANNIP_API
#  ifdef SANNIP_STATIC
#    define SANNIP_API static
#  else
#    define SANNIP_API extern
#  endif
#endif

#ifndef SANNIP_MAX_ATOMS
#define SANNIP_MAX_ATOMS 50000000
#endif
#ifndef SANNIP_MAX_ELEMENTS
#define SANNIP_MAX_ELEMENTS 16
#endif
#ifndef SANNIP_MAX_LAYERS
#define SANNIP_MAX_LAYERS 16
#endif
/* A dense solid has ~100 neighbours within 6 A and ~1000 within 12-15 A; thousands mean a
   mistyped cell or cutoff, whose three-body descriptors would run for minutes. */
#ifndef SANNIP_MAX_NEIGHBORS
#define SANNIP_MAX_NEIGHBORS 2048
#endif
/* Coordinates beyond this (1e6 A = 0.1 mm) describe no atomistic geometry; far beyond it the
   cell-list arithmetic overflows (atoms at +-1e308 give NaN fractional coordinates). */
#ifndef SANNIP_MAX_COORD
#define SANNIP_MAX_COORD 1e6
#endif
#define SANNIP_MAX_LAYER_WIDTH 100000
#define SANNIP_MAX_BASES 100000
#define SANNIP_MAX_Z 118

#ifdef SANNIP_FLOAT
typedef float sannip_real;
#define SANNIP_REAL_FMT "%.9g"
#else
typedef double sannip_real;
#define SANNIP_REAL_FMT "%.17g"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ==== 1. RESULTS ======================================================================= */
typedef enum sannip_result {
    SANNIP_END_OF_INPUT     =   1,  /* not an error: a reader found no further record (no
                                       structure left, no basis on a definition line) */
    SANNIP_SUCCESS          =   0,
    SANNIP_ERROR            =  -1,  /* generic failure (see the message) */
    SANNIP_INVALID_ARGS     =  -2,  /* NULL pointer, negative count, inconsistent sizes */
    SANNIP_OUT_OF_MEMORY    =  -3,
    SANNIP_TOO_BIG          =  -4,  /* a size beyond SANNIP_MAX_* or overflowing size_t */
    SANNIP_IO_ERROR         =  -5,  /* open, read, write or rename failed */
    SANNIP_PARSE_ERROR      =  -6,  /* malformed text: see error line/field */
    SANNIP_BAD_VERSION      =  -7,  /* model file of an unknown format version */
    SANNIP_UNKNOWN_ELEMENT  =  -8,  /* an element symbol or Z the model does not know */
    SANNIP_NONFINITE        =  -9,  /* NaN or Inf in an input */
    SANNIP_SINGULAR_CELL    = -10,  /* periodic cell with (near) zero volume */
    SANNIP_ATOMS_OVERLAP    = -11,  /* two atoms (or images) closer than 1e-8 A (float: 1e-4) */
    SANNIP_BAD_CUTOFF       = -12,  /* cutoff radius <= 0, inner >= outer, ... */
    SANNIP_BAD_PARAMETER    = -13,  /* a descriptor/network parameter outside its domain */
    SANNIP_UNSUPPORTED      = -14,  /* a feature this build or format does not provide */
    SANNIP_NEEDS_SPIN       = -15,  /* spin bases evaluated on an environment without spins */
    SANNIP_TRUNCATED        = -16,  /* input ended before it was complete */
    SANNIP_MISSING_FILE     = -17,  /* a file that must exist is missing */
    SANNIP_TOO_MANY_NEIGHBORS = -18 /* an atom with more than SANNIP_MAX_NEIGHBORS neighbours */
} sannip_result;

/* Where an operation failed: every function that takes `sannip_error *err` treats it as
   [out, optional] (NULL: no detail) and fills it on failure (some clear it on success).
   line/field are 1-based, 0 when they do not apply. message is always NUL-terminated.
   One error struct per thread. */
typedef struct sannip_error {
    sannip_result code;
    int line;
    int field;
    char message[320];
} sannip_error;

/* [in] r. Returns a static string naming the code (e.g. "SANNIP_PARSE_ERROR: ..."), never
   NULL; not to be freed. Thread-safe. */
SANNIP_API const char *sannip_result_string(sannip_result r);

/* ==== 2. MEMORY ======================================================================== */
/* A runtime allocator; NULL functions mean the compile-time default (malloc by default).
   Objects copy it at init and use it for everything they own; user_data is passed back to
   every call. The callbacks must be thread-safe when objects are used from several threads.
   Memory the library hands out is released with sannip_free (11. FILES). */
typedef struct sannip_allocator {
    void *(*alloc_fn)(size_t size, void *user_data);
    void *(*realloc_fn)(void *p, size_t size, void *user_data);
    void  (*free_fn)(void *p, void *user_data);
    void  *user_data;
} sannip_allocator;

/* ==== 3. RNG =========================================================================== */
/* xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64. Caller-owned state.
   [in, out] rng for every call (seed: [out]); next returns 64 random bits. No allocation.
   Thread safety: one generator per thread (sannip_rng_split makes more streams); the same
   seed gives the same numbers on every platform. */
typedef struct sannip_rng { uint64_t s[4]; } sannip_rng;
SANNIP_API void     sannip_rng_seed(sannip_rng *rng, uint64_t seed);
SANNIP_API uint64_t sannip_rng_next(sannip_rng *rng);
SANNIP_API double   sannip_rng_uniform(sannip_rng *rng);       /* [0, 1), 53 bits */
SANNIP_API double   sannip_rng_normal(sannip_rng *rng);        /* N(0,1), Box-Muller (2 draws) */
/* Advances by 2^128 steps: [in, out] rng keeps going, [out] *split receives an independent
   stream (the state rng had before the jump). */
SANNIP_API void     sannip_rng_split(sannip_rng *rng, sannip_rng *split);

/* ==== 4. GEOMETRY ====================================================================== */
/* A read-only view of the atoms to evaluate. The caller owns every array.
   pos: n x 3 (pos[3*i+a]); Z: atomic numbers; cell: rows a, b, c (cell[3*r+c]);
   pbc[a] != 0 makes direction a periodic (its cell row must then be non-degenerate).
   With no periodic direction the cell is ignored. spins: n x 3 or NULL (spin models).
   Units: positions and cell in the model's length unit (Angstrom for sannip's presets),
   spins in the spin bases' unit (mu_B for the presets). */
typedef struct sannip_system {
    int n;
    const sannip_real *pos;
    const int *Z;
    sannip_real cell[9];
    int pbc[3];
    const sannip_real *spins;
} sannip_system;

/* A full neighbour list (every atom lists all its neighbours, periodic images included).
   Pairs of atom i are [start[i], start[i+1]), ordered by the neighbour's atomic number
   (stable); for pair p: j[p] is the atom index, d[3p..3p+2] = r_j + image shift - r_i,
   r[p] = |d|. Caller-owned; init/uninit. */
typedef struct sannip_neighbors {
    int n_atoms;
    size_t n_pairs;
    size_t *start;
    int *j;
    sannip_real *d;
    sannip_real *r;
    sannip_real cutoff;
    size_t cap_pairs, cap_atoms;
    sannip_real *scratch; size_t cap_scratch;   /* cell-list storage (reals), reused between builds */
    sannip_real *sort; size_t cap_sort; /* per-thread buffers for ordering pairs by element */
    sannip_allocator alloc;
} sannip_neighbors;

/* [out] nl (empty), [in, optional] alloc. uninit frees what nl owns (init before reuse). */
SANNIP_API void sannip_neighbors_init(sannip_neighbors *nl, const sannip_allocator *alloc);
SANNIP_API void sannip_neighbors_uninit(sannip_neighbors *nl);
/* [in, out] nl (grown as needed, reused between builds), [in] sys, cutoff (length units).
   Builds the list of all pairs closer than cutoff with O(N) cell lists. Handles triclinic
   cells thinner than the cutoff by searching as many images as needed. Validates the
   system: NaN/Inf coordinates, singular periodic cell, overlapping atoms (< 1e-8 apart;
   1e-4 in float builds). An atom with more than SANNIP_MAX_NEIGHBORS neighbours gives
   SANNIP_TOO_MANY_NEIGHBORS (found while counting, before the list is filled).
   Returns SANNIP_SUCCESS or the code of the first problem. One nl per thread. */
SANNIP_API sannip_result sannip_neighbors_build(sannip_neighbors *nl, const sannip_system *sys,
                                                sannip_real cutoff, sannip_error *err);
/* [in] sys, [out, optional] err. Checks a system's arrays: n in range, finite positions/cell
   (and spins), Z in 1..118, a non-singular cell in periodic directions, |coordinates| and
   periodic |cell components| at most SANNIP_MAX_COORD (SANNIP_TOO_BIG beyond). Returns
   SANNIP_SUCCESS or the code of the first problem (err names the atom). Thread-safe. */
SANNIP_API sannip_result sannip_system_check(const sannip_system *sys, sannip_error *err);
/* Volume |det(cell)| of a cell (rows = lattice vectors; length units cubed). [in] cell: 9 reals. */
SANNIP_API double sannip_cell_volume(const sannip_real *cell);

/* Element symbols <-> atomic numbers (1..118). [in] symbol (case-sensitive, e.g. "Fe"):
   returns Z, 0 for an unknown symbol or NULL. The symbol returned is static (never free it).
   Thread-safe. */
SANNIP_API int sannip_element_z(const char *symbol);
SANNIP_API const char *sannip_element_symbol(int Z);  /* "X" when Z is out of range */

/* ==== 5. CUTOFFS ======================================================================= */
typedef enum sannip_cutoff_type {
    SANNIP_CUT_HARD = 0,    /* 1 inside rc (n2p2 type 0) */
    SANNIP_CUT_COS,         /* 1/2 [cos(pi x) + 1] (T2.16; n2p2 1) */
    SANNIP_CUT_TANHU,       /* tanh^3(1 - r/rc) (Behler 2011; n2p2 2) */
    SANNIP_CUT_TANH,        /* tanh^3(1 - r/rc) / tanh^3(1) (n2p2 3) */
    SANNIP_CUT_EXP,         /* exp(1 - 1/(1 - x^2)) (n2p2 4) */
    SANNIP_CUT_POLY1,       /* (2x - 3)x^2 + 1 (n2p2 5) */
    SANNIP_CUT_POLY2,       /* ((15 - 6x)x - 10)x^3 + 1 (n2p2 6) */
    SANNIP_CUT_POLY3,       /* x^4(x(x(20x - 70) + 84) - 35) + 1 (n2p2 7) */
    SANNIP_CUT_POLY4,       /* x^5(x(x(x(315 - 70x) - 540) + 420) - 126) + 1 (n2p2 8) */
    SANNIP_CUT_FSPLINE,     /* Fourier-spline window f_B (T C.2, corrected) */
    SANNIP_CUT_COUNT
} sannip_cutoff_type;

/* A cutoff f_c(r), zero for r >= rc. x = (r - alpha rc)/(rc - alpha rc) for the n2p2 types
   with an inner cutoff (cos, exp, poly*): f = 1 below alpha rc.
   FSPLINE: a C1 bump that is 0 below rs - eps_dn, rises as 1 - cos^xi_dn to 1 at rs and
   falls as 1 - sin^xi_up(pi (r - rs) / (2 eps_up)) to 0 at rs + eps_up (= rc) (T C.1-C.4,
   the falling branch as intended rather than as printed). Radii in length units. */
typedef struct sannip_cutoff {
    int type;
    sannip_real rc, alpha;
    sannip_real eps_dn, rs, eps_up;
    int xi_dn, xi_up;
} sannip_cutoff;

/* [out] c, [in] type (sannip_cutoff_type), rc and the inner-cutoff fraction alpha (n2p2
   types), or the f_B parameters eps_dn, rs, eps_up (length units) and the even exponents
   xi_dn, xi_up (T C.1, C.3). Fills a valid cutoff or returns SANNIP_BAD_CUTOFF (rc <= 0,
   alpha outside [0,1), odd or non-positive xi, eps <= 0, rs - eps_dn < 0). Thread-safe. */
SANNIP_API sannip_result sannip_cutoff_make(sannip_cutoff *c, int type, sannip_real rc,
                                            sannip_real alpha, sannip_error *err);
SANNIP_API sannip_result sannip_cutoff_make_fspline(sannip_cutoff *c, sannip_real eps_dn,
        sannip_real rs, sannip_real eps_up, int xi_dn, int xi_up, sannip_error *err);
/* [in] c, r (length units); returns f_c(r); [out, optional] df = df_c/dr (1/length).
   Thread-safe, never allocates. */
SANNIP_API sannip_real sannip_cutoff_eval(const sannip_cutoff *c, sannip_real r, sannip_real *df);
/* Static name of a cutoff type ("cos", "poly2", ...; never free it). */
SANNIP_API const char *sannip_cutoff_name(int type);

/* ==== 6. DESCRIPTORS =================================================================== */
typedef enum sannip_basis_kind {
    SANNIP_G2 = 1,          /* sum_j exp(-eta (r_ij - rs)^2) fc(r_ij)                 T2.18 */
    SANNIP_G4,              /* 2^(1-zeta) sum_{j<k} (1 + lambda cos)^zeta
                               exp(-eta [(r_ij-rs)^2 + (r_ik-rs)^2 + (r_jk-rs)^2]) fc fc fc T2.21 */
    SANNIP_G5,              /* G4 without the r_jk terms (n2p2 type 9, Behler 2011) */
    SANNIP_GF_RADIAL,       /* sum_j exp(-eta (r_ij - rs)^2) f_B(r_ij)                T C.5 */
    SANNIP_GF_BIRADIAL,     /* sum_{j!=k} e^{-eta (r_ij-rs)^2} e^{-eta2 (r_ik-rs2)^2} f_B f_B' T C.9 */
    SANNIP_GF_ANGULAR1,     /* sum_{j!=k} e^{-eta_t (1 - cos(theta - theta_s))} x C.9 terms T C.31 */
    SANNIP_GF_ANGULAR2,     /* sum_{j!=k} e^{-eta_t (1 - cos(theta - theta_s))} f_B f_B'  T C.37 */
    /* Spin bases (T3.1-3.20, T5.1-5.6). Brackets: S1 = S_i.S_i, S2 = S_i.S_j,
       S3 = (S_i x S_j).u_ij, S4 = (S_i.u_ij)(S_j.u_ij), S5 = (S_i x u_ij).(S_j x u_ij).
       The power kinds (thesis bases 000, T3.1-3.4; 000a, T sec. 3.1.2 with the Landau powers
       of T3.11; 000b, T3.12-3.16) sum bracket^xi fc; the Gaussian kinds (basis 001,
       T3.17-3.20) sum exp(-eta (bracket - shift)^2) fc, S1G using |S_i|^xi as its bracket;
       F1-F6 are the bases the thesis proposes (T sec. 5.2.3, T5.1-5.6). Every property of
       a kind (name, class, elements, keys, flags, checks and evaluator) is one row of the
       kind table in the implementation (sannip__kinds). */
    SANNIP_SPIN_S1,         /* (S_i.S_i)^xi                      T3.1 (000), T3.11 (000a), T3.12 */
    SANNIP_SPIN_S2,         /* sum_j (S_i.S_j)^xi fc                       T3.2, 3.13 */
    SANNIP_SPIN_S3,         /* sum_j ((S_i x S_j).u_ij)^xi fc              T3.3, 3.14 */
    SANNIP_SPIN_S4,         /* sum_j ((S_i.u_ij)(S_j.u_ij))^xi fc          T3.4, 3.15 */
    SANNIP_SPIN_S5,         /* sum_j ((S_i x u_ij).(S_j x u_ij))^xi fc     T3.16 */
    SANNIP_SPIN_S1G,        /* exp(-eta (|S_i|^xi - shift)^2)              T3.17 (001) */
    SANNIP_SPIN_S2G,        /* sum_j exp(-eta (S_i.S_j - shift)^2) fc      T3.18 (001) */
    SANNIP_SPIN_S3G,        /* S3 bracket, Gaussian                        T3.19 (001) */
    SANNIP_SPIN_S4G,        /* S4 bracket, Gaussian                        T3.20 (001) */
    SANNIP_SPIN_S5G,        /* S5 bracket, Gaussian (001 applied to T3.16)       */
    SANNIP_SPIN_F1,         /* exp(-eta (sum_j |S_j| fc - shift)^2)        T5.1 */
    SANNIP_SPIN_F2,         /* exp(-eta (|sum_j S_j fc| - shift)^2)        T5.2 */
    SANNIP_SPIN_F3,         /* exp(-eta (S_i . sum_j S_j fc - shift)^2)    T5.3 */
    SANNIP_SPIN_F4,         /* local magnetisation ratio                   T5.4 (smoothed, below) */
    SANNIP_SPIN_F5,         /* mean cosine to the local magnetisation      T5.5 */
    SANNIP_SPIN_F6,         /* variance of that cosine                     T5.6 */
    SANNIP_BASIS_KIND_COUNT /* number of kinds + 1 (kinds are 1..COUNT-1) */
} sannip_basis_kind;

#define SANNIP_ANY 0          /* element restriction: any element */
#define SANNIP_ZWEIGHT (-1)   /* element restriction: all elements, weighted by Z (n2p2 12/13) */

/* One basis function. center: Z of the central atom (SANNIP_ANY = all elements).
   nbr[0], nbr[1]: Z of neighbour j (and k), SANNIP_ANY or SANNIP_ZWEIGHT.
   cut[0] applies to r_ij (and r_ik, r_jk for G4/G5); cut[1] to r_ik of the Gauss-Fourier
   three-body bases. eta2/rs2 are the r_ik Gaussian of GF_BIRADIAL/GF_ANGULAR1;
   eta_t/theta_s the angular term of GF_ANGULAR1/2 (theta_s in radians).
   Spin kinds: eta = Gaussian width, rs = its centre ("shift", the thesis's alpha),
   zeta = the power xi, eps = the smoothing scale of F1, F2 and F4-F6 (spin units, > 0).
   Units: rs, rs2 and the cutoff radii in length units, eta and eta2 of the geometric kinds
   in 1/length^2, eta_t and lambda dimensionless; a spin kind's eta is 1/(bracket unit)^2
   and its shift is in the bracket's unit (spin^xi for S1G, spin^2 for S2G-S5G and F3, spin
   for F1 and F2). */
typedef struct sannip_basis {
    int kind;
    int center;
    int nbr[2];
    sannip_cutoff cut[2];
    sannip_real eta, rs, lambda, zeta;
    sannip_real eta2, rs2, eta_t, theta_s;
    sannip_real eps;
} sannip_basis;

/* An ordered set of bases (a caller-owned growable array; b[0..n) owned by the set).
   Shared read-only between threads once built. */
typedef struct sannip_descriptors {
    int n;
    sannip_basis *b;
    int cap;
    sannip_allocator alloc;
} sannip_descriptors;


/* [out] d (empty), [in, optional] alloc; uninit frees the bases (init before reuse). */
SANNIP_API void sannip_descriptors_init(sannip_descriptors *d, const sannip_allocator *alloc);
SANNIP_API void sannip_descriptors_uninit(sannip_descriptors *d);
/* [in, out] d, [in] b. Validates and appends a copy of *b (SANNIP_BAD_PARAMETER /
   SANNIP_BAD_CUTOFF; SANNIP_TOO_BIG beyond SANNIP_MAX_BASES; d unchanged on failure).
   sannip_basis_check: the validation alone ([in] b). */
SANNIP_API sannip_result sannip_descriptors_add(sannip_descriptors *d, const sannip_basis *b,
                                                sannip_error *err);
SANNIP_API sannip_result sannip_basis_check(const sannip_basis *b, sannip_error *err);
/* Queries of one basis or kind, [in] b / kind; pure functions (thread-safe).
   sannip_basis_applies: 1 when basis b belongs to central element Z. */
SANNIP_API int sannip_basis_applies(const sannip_basis *b, int Z);
/* Properties of a basis kind, the bits of sannip_basis_kind_flags (0 for an unknown kind). */
enum {
    SANNIP_BASIS_ANGULAR       = 1,   /* three-body: sums over pairs of neighbours */
    SANNIP_BASIS_RADIAL        = 2,   /* depends on the positions only through the distances
                                         r_ij, so dG/dd_j lies along u_ij = d_ij / r_ij (feature
                                         caches store one number per neighbour, not three) */
    SANNIP_BASIS_SPIN          = 4,   /* reads spins: the system must carry them */
    SANNIP_BASIS_PAIR_ADDITIVE = 8,   /* spin kinds sum_j T(bracket(S_i, S_j, u_ij)) fc(r_ij):
                                         moving S_j changes it by j's term alone */
    SANNIP_BASIS_GAUSSIAN      = 16,  /* spin kinds: T = exp(-eta (x - shift)^2) of the bracket x
                                         (else the power x^xi) */
    SANNIP_BASIS_NEIGHBORS     = 32   /* uses neighbours (all kinds but the self terms S1, S1G) */
};
/* [in] kind (sannip_basis_kind); the is_* helpers test one flag of b's kind. */
SANNIP_API unsigned sannip_basis_kind_flags(int kind);
SANNIP_API int sannip_basis_is_angular(const sannip_basis *b);   /* flag SANNIP_BASIS_ANGULAR */
SANNIP_API int sannip_basis_is_radial(const sannip_basis *b);    /* flag SANNIP_BASIS_RADIAL */
SANNIP_API int sannip_basis_is_spin(const sannip_basis *b);      /* flag SANNIP_BASIS_SPIN */
/* Class of a basis for class-convolution networks (T sec. 3.2.3); the class name is static. */
enum { SANNIP_CLASS_RADIAL = 0, SANNIP_CLASS_ANGULAR = 1, SANNIP_CLASS_SPIN = 2, SANNIP_CLASS_COUNT = 3 };
SANNIP_API int sannip_basis_class(const sannip_basis *b);
SANNIP_API const char *sannip_basis_class_name(int cls);   /* "radial", "angular", "spin" ("?") */
/* 1 when some basis of d reads spins (a model with such bases needs sys->spins).
   sannip_basis_cutoff: the largest radius b uses (length units). sannip_basis_kind_name: the
   static definition-file name of a kind ("g2", "spin_s2g", ...; "?" when unknown). */
SANNIP_API int sannip_descriptors_need_spins(const sannip_descriptors *d);
SANNIP_API sannip_real sannip_basis_cutoff(const sannip_basis *b);   /* largest radius used */
SANNIP_API const char *sannip_basis_kind_name(int kind);

/* The definition-file format, one basis per line ('#' starts a comment):
     g2   CENTER NBR             cut=TYPE rc=R [alpha=A] eta=E rs=S
     g4   CENTER NBR1 NBR2       cut=TYPE rc=R [alpha=A] eta=E lambda=L zeta=Z [rs=S]
     g5   (as g4)
     gf_radial    CENTER NBR      eta=E rs=S fb=EPSDN,RS,EPSUP,XIDN,XIUP
     gf_biradial  CENTER NBR1 NBR2 eta=E rs=S eta2=E2 rs2=S2 fb=... fb2=...
     gf_angular1  CENTER NBR1 NBR2 eta=E rs=S eta2=E2 rs2=S2 eta_t=ET theta_s=TS fb=... fb2=...
     gf_angular2  CENTER NBR1 NBR2 eta_t=ET theta_s=TS fb=... fb2=...
   Elements are symbols, "*" for any, "Zw" for Z-weighted. cut TYPE is a name (hard, cos,
   tanhu, tanh, exp, poly1..poly4) or an n2p2 number. n2p2 lines are accepted as they are:
     cutoff_type N [ALPHA]                 (applies to the n2p2 lines that follow)
     symfunction_short EC 2 E1 eta rs rc
     symfunction_short EC 3|9 E1 E2 eta lambda zeta rc [rs]
     symfunction_short EC 12 eta rs rc
     symfunction_short EC 13 eta rs lambda zeta rc
   Parses one line into *b. Returns SANNIP_SUCCESS, or SANNIP_END_OF_INPUT when the line holds no basis
   (blank, comment, cutoff_type), or an error. *cut_state carries cutoff_type between
   lines (initialise it to cos, rc 0).
   [out] b, [in] line (NUL-terminated), [in, out] cut_state, [out, optional] err (field =
   the 1-based word that broke). Numbers are read in any C locale. Thread-safe. */
SANNIP_API sannip_result sannip_basis_parse(sannip_basis *b, const char *line, sannip_cutoff *cut_state,
                                  sannip_error *err);
/* [in] b, [out] buf. Writes the canonical line of b into buf (at most size bytes,
   NUL-terminated; numbers "%.17g" with '.'). Returns the length, or -1 if it did not fit. */
SANNIP_API int sannip_basis_format(const sannip_basis *b, char *buf, size_t size);
/* [in, out] d (bases appended; those before a failing line stay), [in] text
   (NUL-terminated). Parses a whole definition text; errors name the line (err->line).
   n2p2 input.nn texts are accepted: their other keyword lines are skipped. */
SANNIP_API sannip_result sannip_descriptors_parse(sannip_descriptors *d, const char *text,
                                                  sannip_error *err);
/* Spin bases (T3.1-3.20, T5.1-5.6) as definition lines (spins in the units the caller uses;
   the presets assume mu_B):
     spin_s1  CENTER xi=X                          (S_i.S_i)^xi            000, 000a (xi = 1..4), 000b
     spin_s2  CENTER NBR cut=TYPE rc=R xi=K        sum_j (S_i.S_j)^K fc     (and s3, s4, s5)
     spin_s1g CENTER eta=E shift=A xi=X            exp(-E (|S_i|^X - A)^2)  001
     spin_s2g CENTER NBR cut=TYPE rc=R eta=E shift=A  (and s3g, s4g, s5g)
     spin_f1  CENTER NBR cut=TYPE rc=R eta=E shift=A [eps=EPS]  (and f2; f3 without eps)
     spin_f4  CENTER NBR cut=TYPE rc=R eps=EPS        (and f5, f6)
   Powers: the pair brackets S2-S5 can be negative, so their xi must be an integer (1..64);
   a non-integer power is rejected when the basis is added (SANNIP_BAD_PARAMETER), never a
   NaN at run time. S1 takes any real xi > 0 (its bracket is >= 0).
   F4-F6 (T5.4-5.6: the thesis leaves them as ratios, 0/0 for zero spins) use the smoothed norm
   |v|_e = sqrt(v.v + eps^2) and include the central spin with weight 1 (fc(0) = 1):
     M = S_i + sum_j S_j fc,  A = sum_{j incl. i} w_j (|S_j|_e - eps),  s_j = S_j/|S_j|_e,
     m = M/|M|_e,  c_j = s_j.m,  W = sum_{j incl. i} w_j
     F4 = (|M|_e - eps)/(A + eps)       local magnetisation ratio, 1 for FM, ~0 for PM/AFM
     F5 = sum_j w_j c_j / W             mean cosine to the local magnetisation
     F6 = sum_j w_j c_j^2 / W - F5^2    its variance
   All three are 0 (with finite derivatives) when every spin is zero. F1 and F2 use the same
   smoothed norm (eps= as above, default 0.01), so they are smooth at zero-moment neighbours
   and at vanishing neighbour sums (antiferromagnetic shells):
     F1 = exp(-E (sum_j w_j (|S_j|_e - eps) - A)^2),  F2 = exp(-E (|sum_j w_j S_j|_e - eps - A)^2). Derivatives of |S|^xi
   and of unit vectors at exactly zero are taken as 0. Collinear spins are z components. */

/* PRESETS: every ready-made descriptor set. Each appends to d ([in, out] d, [in] Z: the
   central element, [out, optional] err). Lengths in Angstrom, spins in mu_B. */
/* The thesis's BP comparator for Fe (T sec. A.1, T A.1-A.7): 24 G2 + 18 G4, cos cutoff,
   rc = 6 A, all restricted to central element Z and neighbour element Z. */
SANNIP_API sannip_result sannip_descriptors_preset_bp_fe(sannip_descriptors *d, int Z,
                                                         sannip_error *err);
/* The thesis's BP parameter grid (T sec. A.1: 24 G2 + 18 G4, cosine cutoff) for every
   element of Zs[0..n), with neighbours of any element, at cutoff rc (6 A in the thesis; the
   R_s grid scales with rc). */
SANNIP_API sannip_result sannip_descriptors_preset_bp(sannip_descriptors *d, const int *Zs, int n, sannip_real rc,
                                                      sannip_error *err);

/* The thesis's SANNIP set for element Z (T sec. A.2): the BP Fe bases (T sec. A.1) then
   8 S1G (eta 0.035711; (xi, shift) = (1,0) (2,0) (1,1) (2,1) (1,2) (2,4) (1,3) (2,9)) and
   12 S2G (eta {0.000357, 0.035711, 0.028569, 0.089277} x shift {0, 35, 70}, rc = 6 A, cosine
   cutoff), T A.8-A.11. Units: the shifts assume moments in mu_B (|S| up to ~3, S_i.S_j up to
   ~9); the shifts 35 and 70 then sit beyond the data and act as broad monotone ramps.
   The spin presets leave d as it was when they fail. */
SANNIP_API sannip_result sannip_descriptors_preset_sannip(sannip_descriptors *d, int Z, sannip_error *err);
/* Only the 20 spin bases of T sec. A.2 (T A.8-A.11), for central element Z (SANNIP_ANY: all)
   with neighbours of any element, at cutoff rc (6 in the thesis). */
SANNIP_API sannip_result sannip_descriptors_preset_spin_thesis(sannip_descriptors *d, int Z, sannip_real rc, sannip_error *err);
/* Spin bases only, scaled to spins of typical magnitude smag (in the caller's units) at
   cutoff rc, neighbours of any element: 8 S1G whose centres span [0, 1.5 smag], 12 S2G whose
   centres span [-smag^2, smag^2], and the scale-free F4, F5 and F6 (eps = 0.01 spin units).
   Appended to d (for element Z). SANNIP_BAD_PARAMETER unless smag > 0. */
SANNIP_API sannip_result sannip_descriptors_preset_spin_scaled(sannip_descriptors *d, int Z, sannip_real rc, sannip_real smag,
                                                               sannip_error *err);
/* Radial resolution for the spin pair terms: the plain S2 sums (T3.2, 3.13) with xi = 1
   (Heisenberg, S_i.S_j) and xi = 2 (biquadratic) at the 8 cosine cutoffs rc k/12,
   k = 5..12 (2.5, 3, ..., 6 A at rc = 6), neighbours of any element; 16 bases appended to d
   for element Z. The presets above give every spin pair basis one cutoff, so they see one
   fixed radial mix of the neighbour shells; differences of these nested sums separate the
   shells (exchange constants differ from shell to shell). No units assumed. */
SANNIP_API sannip_result sannip_descriptors_preset_spin_shells(sannip_descriptors *d, int Z, sannip_real rc, sannip_error *err);

/* The neighbourhood of one atom, as the descriptor engine sees it (exposed so that host
   codes and the sibling headers can drive it): n neighbours with element Zn[k], relative
   vectors d[3k..] and distances r[k] (length units of the bases), spins in the units of
   the spin bases (mu_B for the presets). */
typedef struct sannip_env {
    int n;
    int Zc;
    const int *Zn;
    const sannip_real *d;
    const sannip_real *r;
    const sannip_real *Sc;   /* spin of the central atom (3), NULL without spins */
    const sannip_real *Sn;   /* spins of the neighbours (n x 3), NULL without spins */
} sannip_env;

/* Evaluates the bases idx[0..nf-1] of set for one atom.
   [out] G: nf values. [out, optional] dG: nf x (n+1) x 3, dG[(f (n+1) + k) 3 + a] =
   dG_f/dd_k,a for neighbour k < n (d_k = r_k - r_i); slot n holds dG_f/dr_i,a.
   [in, optional] g, [out, optional] c: if g != NULL, c[3k+a] = sum_f g_f dG_f/dd_k,a for the
   n neighbours (the force contraction; G is still written).
   [in] work: sannip_env_work_size(set, idx, nf, env->n) reals of scratch. Never allocates.
   [in] set, idx (nf indices into set), env. Units: dG in 1/length times the bases' units.
   Returns SANNIP_SUCCESS, SANNIP_INVALID_ARGS (NULL, index out of range, g without c) or
   SANNIP_NEEDS_SPIN (no error detail). Thread-safe with one work buffer per thread. */
SANNIP_API size_t sannip_env_work_size(const sannip_descriptors *set, const int *idx, int nf,
                                       int n_neighbors);
SANNIP_API sannip_result sannip_env_eval(const sannip_descriptors *set, const int *idx, int nf,
        const sannip_env *env, sannip_real *G, sannip_real *dG,
        const sannip_real *g, sannip_real *c, sannip_real *work);
/* As sannip_env_eval, plus spin derivatives: [out, optional] dGs nf x (n+1) x 3 with
   dGs[(f (n+1) + k) 3 + a] = dG_f/dS_k,a (slot n: the central spin; per spin unit). env->Sc
   and env->Sn must be set when idx holds spin bases (else SANNIP_NEEDS_SPIN). */
SANNIP_API sannip_result sannip_env_eval_spin(const sannip_descriptors *set, const int *idx, int nf,
        const sannip_env *env, sannip_real *G, sannip_real *dG, sannip_real *dGs, sannip_real *work);

/* ==== 7. KERNELS ======================================================================= */
/* C (m x n, ldc) += A (m x k, lda) * B^T where B is n x k (ldb): dot-product form.
   C (m x n) += A (m x k) * B (k x n): axpy form. C (m x n) += A^T B with A k x m, B k x n.
   [in] A, B, [in, out] C (row-major, leading dimensions lda, ldb, ldc). Fixed summation
   order (results independent of threads); never allocate; thread-safe for distinct C. */
SANNIP_API void sannip_gemm_nt(int m, int n, int k, const sannip_real *A, int lda,
                               const sannip_real *B, int ldb, sannip_real *C, int ldc);
SANNIP_API void sannip_gemm_nn(int m, int n, int k, const sannip_real *A, int lda,
                               const sannip_real *B, int ldb, sannip_real *C, int ldc);
SANNIP_API void sannip_gemm_tn(int m, int n, int k, const sannip_real *A, int lda,
                               const sannip_real *B, int ldb, sannip_real *C, int ldc);

/* ==== 8. NETWORKS ====================================================================== */
typedef enum sannip_activation {
    SANNIP_ACT_LINEAR = 0,  /* x                                  T2.32  (n2p2 'l') */
    SANNIP_ACT_TANH,        /* tanh x                             T2.35  (n2p2 't') */
    SANNIP_ACT_SIGMOID,     /* 1/(1+e^-x)                                (n2p2 's') */
    SANNIP_ACT_SOFTPLUS,    /* ln(1+e^x)                          T2.34  (n2p2 'p') */
    SANNIP_ACT_RELU,        /* max(0,x) T2.33, piecewise-constant forces (T sec. 2.1.6; n2p2 'r') */
    SANNIP_ACT_SWISH,       /* x/(1+e^-x), SiLU (Madsen; beta = 1)       (not in n2p2) */
    SANNIP_ACT_SSP,         /* ln(1+e^x) - ln 2, shifted softplus (SchNet) */
    SANNIP_ACT_GAUSSIAN,    /* exp(-x^2/2)                               (n2p2 'g') */
    SANNIP_ACT_COS,         /* cos x                                     (n2p2 'c') */
    SANNIP_ACT_REVSIGMOID,  /* 1 - 1/(1+e^-x)                            (n2p2 'S') */
    SANNIP_ACT_EXP,         /* exp(-x)                                   (n2p2 'e') */
    SANNIP_ACT_HARMONIC,    /* x^2                                       (n2p2 'h') */
    SANNIP_ACT_COUNT
} sannip_activation;

/* Static name of an activation ("tanh", ...); parse accepts those names, "silu",
   "logistic" and n2p2's one-letter codes. */
SANNIP_API const char *sannip_activation_name(int act);
SANNIP_API int sannip_activation_parse(const char *name);   /* -1 when unknown */
/* y = act(x) and dy/dx. [in] act, x; [out, optional] dydx (eval2: d1, d2). Thread-safe. */
SANNIP_API sannip_real sannip_activation_eval(int act, sannip_real x, sannip_real *dydx);
/* y = act(x), dy/dx and d2y/dx2 (force training differentiates the input gradient). */
SANNIP_API sannip_real sannip_activation_eval2(int act, sannip_real x, sannip_real *d1, sannip_real *d2);

#define SANNIP_MAX_CLASSES 8

/* A feed-forward network. A dense layer l maps sizes[l] -> sizes[l+1]:
   y = act[l](W_l x + b_l), W_l row-major sizes[l+1] x sizes[l]. A class-convolution layer
   (nblk[l] > 0, T sec. 3.2.3) applies one dense i_c -> i_c map per input class c (columns
   blk[l][c] .. blk[l][c+1]); with pass[l] its raw inputs follow its outputs (the "raw inputs
   fed alongside" variant), so sizes[l+1] = 2 sizes[l]. All parameters live in one array:
   per layer [W_0, b_0, ...] (class layers: W_c, b_c per class), the order of gradients.
   params (n_params reals) is owned by the network. The passes below only read the network:
   one network serves many threads, each with its own work buffer. */
typedef struct sannip_network {
    int n_layers;
    int sizes[SANNIP_MAX_LAYERS + 1];
    int act[SANNIP_MAX_LAYERS];
    int nblk[SANNIP_MAX_LAYERS];
    int blk[SANNIP_MAX_LAYERS][SANNIP_MAX_CLASSES + 1];
    int pass[SANNIP_MAX_LAYERS];
    size_t n_params;
    sannip_real *params;
    sannip_allocator alloc;
} sannip_network;

/* [out] net, [in] sizes: n_layers + 1 entries (inputs, hidden..., outputs); act: n_layers
   entries, [in, optional] alloc. Parameters are zero until set. SANNIP_TOO_BIG beyond
   SANNIP_MAX_LAYERS or SANNIP_MAX_LAYER_WIDTH. sannip_network_uninit frees params. */
SANNIP_API sannip_result sannip_network_init(sannip_network *net, int n_layers, const int *sizes,
                                             const int *act, const sannip_allocator *alloc,
                                             sannip_error *err);
/* As sannip_network_init, with class-convolution layers: nblk[l] classes of sizes
   blk[l][0..nblk[l]-1] (nblk NULL or 0: dense), pass[l] (NULL: 0). sizes[l+1] must be
   sizes[l] (2 sizes[l] with pass) for class layers. */
SANNIP_API sannip_result sannip_network_init_layers(sannip_network *net, int n_layers, const int *sizes,
        const int *act, const int *nblk, const int (*blk)[SANNIP_MAX_CLASSES], const int *pass,
        const sannip_allocator *alloc, sannip_error *err);
/* Number of parameters (weights and biases) of one layer. */
SANNIP_API size_t sannip_network_layer_params(const sannip_network *net, int layer);
SANNIP_API void sannip_network_uninit(sannip_network *net);
/* First parameter of layer l (dense: W then b; class layer: W_c, b_c per class). The
   returned pointers point into net->params (owned by net; valid until uninit); the _rw form
   takes a network the caller may change and returns a writable pointer. */
SANNIP_API const sannip_real *sannip_network_weights(const sannip_network *net, int layer);
SANNIP_API sannip_real *sannip_network_weights_rw(sannip_network *net, int layer);
/* The parameter layout, one owner for initialisation, weight decay and the layer kernels:
   layer l holds sannip_network_layer_blocks(net, l) blocks (1 when dense, one per class of a
   class-convolution layer, T3.27-3.28), block c mapping inputs in0..in0+n_in-1 to outputs
   out0..out0+n_out-1 with W (n_out x n_in, row-major) at params[offset] followed by b (n_out). */
typedef struct sannip_param_block {
    int n_in, n_out, in0, out0;
    size_t offset;
} sannip_param_block;
SANNIP_API int sannip_network_layer_blocks(const sannip_network *net, int layer);
SANNIP_API sannip_param_block sannip_network_block(const sannip_network *net, int layer, int c);
SANNIP_API const sannip_real *sannip_network_biases(const sannip_network *net, int layer);   /* dense layers */
/* Layer-level kernels shared by every pass (forward, input gradient, weight gradient,
   force training): z (batch x sizes[l+1]) = W x + b (class layers: per class; pass: raw
   inputs appended); din += dz W (dz over the layer's outputs); grad_l += dz^T x.
   [in] net, in / dz (batch rows), [out] z, [in, out] din, grad_l (the layer's parameters,
   in their layout). Never allocate. */
SANNIP_API void sannip_network_layer_affine(const sannip_network *net, int l, int batch, const sannip_real *in, sannip_real *z);
SANNIP_API void sannip_network_layer_back_input(const sannip_network *net, int l, int batch, const sannip_real *dz, sannip_real *din);
SANNIP_API void sannip_network_layer_back_weights(const sannip_network *net, int l, int batch, const sannip_real *dz,
                                                  const sannip_real *in, sannip_real *grad_l);
/* Columns of layer l's output that go through the activation (the rest pass unchanged). */
SANNIP_API int sannip_network_layer_active(const sannip_network *net, int l);
/* Number of reals of workspace the forward/backward passes need for a batch. */
SANNIP_API size_t sannip_network_work_size(const sannip_network *net, int batch);
/* The forward pass, one owner for inference, training and the Monte Carlo model: layers
   from..n_layers-1 on the B rows of in. pre = 0: in holds layer from's inputs (B x
   sizes[from]); pre = 1: in holds its pre-activations z (B x sizes[from+1]) and its affine map
   is skipped. For each layer the work buffer receives y and y' (keep = 2) or y, y', y''
   (keep = 3), each B x sizes[l+1], in that order (pass-through columns: y' = 1, y'' = 0).
   [out, optional] z_first: layer from's pre-activations, rows of stride z_stride.
   Returns the outputs (B x n_out) inside work. Never allocates. */
SANNIP_API const sannip_real *sannip_network_pass(const sannip_network *net, int B, int from, int pre,
        const sannip_real *in, int keep, sannip_real *z_first, int z_stride, sannip_real *work);
/* Forward pass of batch rows X (batch x sizes[0]) into Y (batch x n_out). work keeps the
   activations and their derivatives for sannip_network_backward_input. Never allocates.
   [in] net, X; [out] Y; [in, out] work (sannip_network_work_size(net, batch) reals). */
SANNIP_API void sannip_network_forward(const sannip_network *net, int batch, const sannip_real *X,
                                       sannip_real *Y, sannip_real *work);
/* Given dL/dY (batch x n_out), writes dL/dX (batch x sizes[0]) after a forward pass with
   the same work. work is overwritten. */
SANNIP_API void sannip_network_backward_input(const sannip_network *net, int batch,
                                              const sannip_real *dY, sannip_real *dX,
                                              sannip_real *work);
/* Backpropagation after sannip_network_forward(net, batch, X, ., work): given dL/dY, adds
   dL/dparams to grad (n_params, the layout of params) and, if dX != NULL, writes dL/dX.
   Rows are summed in order, so the result does not depend on threads. work is overwritten. */
SANNIP_API void sannip_network_backward(const sannip_network *net, int batch, const sannip_real *X,
                                        const sannip_real *dY, sannip_real *dX, sannip_real *grad,
                                        sannip_real *work);

/* ==== 9. SCALERS ======================================================================= */
typedef enum sannip_scaling {
    SANNIP_SCALE_NONE = 0,      /* G                                                      */
    SANNIP_SCALE_MINMAX,        /* smin + (smax - smin)(G - min)/(max - min)   T2.36-2.39 */
    SANNIP_SCALE_CENTER,        /* G - mean                                     (n2p2)    */
    SANNIP_SCALE_SCALECENTER,   /* smin + (smax - smin)(G - mean)/(max - min)   (n2p2)    */
    SANNIP_SCALE_SCALESIGMA,    /* smin + (smax - smin)(G - mean)/sigma         (n2p2)    */
    SANNIP_SCALE_STANDARD,      /* (G - mean)/sigma                          T F.20-F.23  */
    SANNIP_SCALE_MODIFIED,      /* (G - mean)/max|G - mean|                     T3.21-3.24 */
    SANNIP_SCALE_COUNT
} sannip_scaling;

/* Statistics of one feature over a training set (in the feature's units); `dev` =
   max |G - mean| (G_d of T3.23). */
typedef struct sannip_feature_stats {
    sannip_real min, max, mean, sigma, dev;
} sannip_feature_stats;

/* Static name of a scaling mode; parse maps a name back to its mode. */
SANNIP_API const char *sannip_scaling_name(int mode);
SANNIP_API int sannip_scaling_parse(const char *name);     /* -1 when unknown */
/* The affine map y = a (G - c) + d that mode applies to a feature with statistics st
   (written as n2p2 evaluates it). A constant feature (a spread below 1e-8 of its magnitude:
   rounding noise) maps to d with a = 0: no division by zero, no blown-up forces.
   [in] mode, st, smin/smax (target range of the min-max modes); [out] a, c, d. Its inverse
   G = c + (y - d)/a is T2.39, T3.24 and T F.23; a is the Jacobian of T2.46. Thread-safe. */
SANNIP_API void sannip_scaling_affine(int mode, const sannip_feature_stats *st, sannip_real smin,
                                      sannip_real smax, sannip_real *a, sannip_real *c, sannip_real *d);

/* ==== 10. MODEL ======================================================================== */
/* Per-element part of a model: which bases feed the network, how they are scaled, the
   network, and the affine energy map E_i = energy_scale * NN(G_i) + energy_offset (the
   per-atom form of T2.43 / T F.27; energy_offset is the mu_e of T F.28). */
typedef struct sannip_element_model {
    int Z;
    int n_features;
    int *feature;                 /* indices into model->desc, n_features */
    int scaling;                  /* sannip_scaling */
    sannip_real smin, smax;
    sannip_feature_stats *stats;  /* n_features */
    sannip_real *scale_a, *scale_c, *scale_d;  /* y = a (G - c) + d, derived from scaling + stats */
    sannip_network net;           /* unused when shared */
    int shared;                   /* 1: the multi-task network of element 0 (T sec. 3.2.1) */
    int output;                   /* output column of the network giving this element's energy */
    sannip_real energy_scale, energy_offset;
    int has_moment_range;         /* 1: moment_min/max hold the range of |S_i| seen in training */
    sannip_real moment_min, moment_max;   /* (extrapolation warnings; see EXTRAPOLATION below) */
} sannip_element_model;

/* A model: descriptors + per-element scalers and networks. Caller-owned (init/uninit); it
   owns desc, the element arrays and description. Const after building or loading: one
   model may serve many threads, each with its own sannip_workspace. units_* name the units
   the model computes in ("eV", "Angstrom" by default; "unknown" for an n2p2 import not told
   its units); sannip_model_units reads them, sannip_model_set_units and
   sannip_model_convert_units change them (see UNITS below). */
typedef struct sannip_model {
    int n_elements;
    sannip_element_model el[SANNIP_MAX_ELEMENTS];
    sannip_descriptors desc;
    sannip_real cutoff;           /* largest basis cutoff (derived) */
    char units_energy[16], units_length[16];
    char *description;            /* free text (owned) */
    sannip_allocator alloc;
} sannip_model;

/* [out] m (empty), [in, optional] alloc. uninit frees everything m owns. */
SANNIP_API void sannip_model_init(sannip_model *m, const sannip_allocator *alloc);
SANNIP_API void sannip_model_uninit(sannip_model *m);
/* A deep copy of src: its descriptor set, elements (feature indices, scaling with its
   statistics and the derived scale_a/c/d, networks with their class blocks, energy maps,
   multi-task sharing), cutoff, units and description, allocated with src's allocator. The
   copy shares no memory with src, saves to the same text and predicts bit for bit the same.
   [in] src; [out] dst: overwritten as uninitialised memory (a model it holds leaks: uninit
   it first). Returns SANNIP_INVALID_ARGS (NULL, or dst == src) or SANNIP_OUT_OF_MEMORY
   (message in err); on failure dst is an initialised empty model that holds no memory.
   Reads src only: other threads may use src meanwhile. */
SANNIP_API sannip_result sannip_model_copy(sannip_model *dst, const sannip_model *src, sannip_error *err);
/* Adds element Z whose features are the bases of m->desc that apply to Z (in order), with
   a network of the given hidden layers and activations (output linear). Stats default to
   identity scaling until sannip_model_fit_scaling (sannip_train.h) fits them, or the
   caller sets them and calls sannip_model_finalize.
   [in, out] m (its bases in place), [in] Z, n_hidden, hidden[n_hidden] (widths),
   act[n_hidden] (sannip_activation). SANNIP_UNKNOWN_ELEMENT, SANNIP_INVALID_ARGS (Z already
   present), SANNIP_TOO_BIG (SANNIP_MAX_ELEMENTS, SANNIP_MAX_LAYERS). */
SANNIP_API sannip_result sannip_model_add_element(sannip_model *m, int Z, int n_hidden,
        const int *hidden, const int *act, sannip_error *err);
/* As sannip_model_add_element, with the class-convolution network of T sec. 3.2.3 (its
   parameter count is T3.27-3.28; without raw inputs it reproduces T table 3.1): the element's
   features are grouped by class (radial, angular, spin; order kept within a class), each
   class c gets its own i_c -> i_c layer (activation act[0]) feeding the hidden layers; with
   raw_inputs the features are also fed to the first hidden layer alongside. */
SANNIP_API sannip_result sannip_model_add_element_cnn(sannip_model *m, int Z, int raw_inputs, int n_hidden,
        const int *hidden, const int *act, sannip_error *err);
/* Turns the model into one multi-task network (T sec. 3.2.1): a single MLP with one output per
   element, an atom using its element's output. Every element must have the same features
   (bases for any central element). Hidden layers and activations as for add_element. */
SANNIP_API sannip_result sannip_model_make_multitask(sannip_model *m, int n_hidden, const int *hidden, const int *act,
                                                     sannip_error *err);
/* The network that evaluates element e (its own, or the shared multi-task network); owned
   by m (valid until m changes); the _rw form for a model the caller may change. */
SANNIP_API const sannip_network *sannip_model_network(const sannip_model *m, int e);
SANNIP_API sannip_network *sannip_model_network_rw(sannip_model *m, int e);
/* Recomputes derived state (scale_a/c/d, cutoff) after the caller edits stats or bases.
   [in, out] m. SANNIP_INVALID_ARGS when networks and features disagree. */
SANNIP_API sannip_result sannip_model_finalize(sannip_model *m, sannip_error *err);
/* Index e of element Z in m->el (-1 if absent); the number of trainable parameters of all
   networks (a shared multi-task network counted once). */
SANNIP_API int sannip_model_element_index(const sannip_model *m, int Z);  /* -1 if absent */
SANNIP_API size_t sannip_model_n_params(const sannip_model *m);
/* Trainable parameters per input, TPI (T3.25; for class-convolution networks T3.27-3.28),
   of element e's network: its parameters divided by its inputs (0 for a bad e). */
SANNIP_API double sannip_model_tpi(const sannip_model *m, int e);
/* UNITS. Length units: "Angstrom" (aliases "A", "Ang", "angstrom"), "bohr" ("Bohr", "a0"),
   "nm"; energy units: "eV", "meV", "Ha" ("Hartree"), "Ry" ("Rydberg"), "kcal/mol"
   ("kcal_mol"), "kJ/mol" ("kJ_mol"). Sizes in Angstrom and eV from CODATA 2018 (Tiesinga et
   al., Rev. Mod. Phys. 93, 025010 (2021)): a0 = 0.529177210903 A, E_h = 27.211386245988 eV,
   Ry = E_h/2; kcal/mol = 4184 J/mol and kJ/mol = 1000 J/mol divided by N_A e = 96485.33212...
   C/mol (exact in the 2019 SI).
   sannip_unit_find: [in] name, kind (SANNIP_UNIT_LENGTH or SANNIP_UNIT_ENERGY), [out,
   optional] size (in A or eV). Returns the canonical name (static), NULL when unknown.
   sannip_model_units: [in] m, [out, optional] length, energy: canonical names, or "unknown"
   (static strings; a label sannip does not know, such as "n2p2" in older files, reads as
   "unknown"). Returns 1 when both units are known, else 0. Thread-safe.
   sannip_model_set_units: labels the units the model already computes in (no arithmetic).
   [in, out] m, [in] length, energy: known names or "unknown" (NULL: leave as is).
   SANNIP_BAD_PARAMETER (err names it) for any other name.
   sannip_model_convert_units: rewrites m to compute the same physics in other units:
   descriptor radii, centres, widths and cutoffs are rescaled (r' = f_L r, rs' = f_L rs,
   eta' = eta / f_L^2), so every feature keeps its value and scalers and networks are
   untouched; the energy map is multiplied by f_E. Then E'(f_L r) = f_E E(r) and
   F' = (f_E / f_L) F, up to rounding. [in, out] m, [in] length, energy (known names, NULL:
   keep). SANNIP_UNSUPPORTED when m's own units are unknown, SANNIP_BAD_PARAMETER for an
   unknown target; m is unchanged on failure. */
typedef enum sannip_unit_kind { SANNIP_UNIT_LENGTH = 1, SANNIP_UNIT_ENERGY = 2 } sannip_unit_kind;
SANNIP_API const char *sannip_unit_find(const char *name, int kind, double *size);
SANNIP_API int sannip_model_units(const sannip_model *m, const char **length, const char **energy);
SANNIP_API sannip_result sannip_model_set_units(sannip_model *m, const char *length, const char *energy,
                                                sannip_error *err);
SANNIP_API sannip_result sannip_model_convert_units(sannip_model *m, const char *length, const char *energy,
                                                    sannip_error *err);
/* The element model, one owner for inference, training, PCA initialisation and the Monte
   Carlo model. Feature scaler (T2.38, T3.24, T F.22): for r < rows and f < nf = el->n_features,
   X[r nf + f] = scale_a[f] (G[q g_stride + f] - scale_c[f]) + scale_d[f] with q = idx[r]
   (idx NULL: q = r). [in] el, G, idx; [out] X (rows x nf). */
SANNIP_API void sannip_element_scale(const sannip_element_model *el, int rows, const sannip_real *G, size_t g_stride,
                                     const int *idx, sannip_real *X);
/* Feature f of raw value g, scaled (the same map for one value). Thread-safe. */
SANNIP_API sannip_real sannip_element_scale_feature(const sannip_element_model *el, int f, sannip_real g);
/* Energy map: E[q] = energy_scale Y[r n_out + output] + energy_offset for r < rows, q = idx[r]
   (idx NULL: q = r). [in] Y: network outputs (rows x n_out); [out] E (energy units). */
SANNIP_API void sannip_element_energies(const sannip_element_model *el, int rows, const sannip_real *Y, int n_out,
                                        const int *idx, sannip_real *E);

/* EXTRAPOLATION WARNINGS (as n2p2 warns when a symmetry function leaves its scaling range).
   The training range of a feature is [min, max] of its statistics (sannip_feature_stats,
   fitted by sannip_model_fit_scaling or read from n2p2's scaling.data); the range of the
   spin magnitude |S_i| of an element is [moment_min, moment_max] when has_moment_range (set
   for spin-aware models by sannip_model_fit_scaling; older files have none: no moment test).
   A value g is outside when its excess x = max(min - g, g - max, 0) / w exceeds tol, where
   w = max - min, floored at 1e-6 (|min| + |max|) (and at 1e-30 for a range of exactly zero) so
   that a feature constant in training (a perfect crystal, a fixed moment) is not flagged
   for rounding noise. tol 0 is n2p2's rule (any value outside [min, max]); the default
   SANNIP_EXTRAPOLATION_TOL (0.1, a tenth of the width) leaves room for held-out frames of
   the training distribution (NiO features spread over only ~1e-3 of their size, so tol is
   relative to the spread, not to the value). */
#define SANNIP_EXTRAPOLATION_TOL 0.1
#define SANNIP_FEATURE_MOMENT (-1)   /* sannip_extrapolation.feature of the spin magnitude */
/* Result of one structure: how many atoms lie outside, and the worst value (largest excess;
   the first atom, then the first feature, on ties). All zero and atom = -1 when none. */
typedef struct sannip_extrapolation {
    int n_atoms;                 /* atoms with some feature (or |S|) outside by more than tol */
    int n_values;                /* (atom, feature or moment) pairs outside */
    int atom;                    /* worst atom, 0-based (-1: none) */
    int Z;                       /* its element */
    int feature;                 /* its feature, 0-based in el->feature order, or SANNIP_FEATURE_MOMENT */
    int basis;                   /* that feature's basis in m->desc (-1 for the moment) */
    sannip_real value, min, max; /* the value and the training range */
    sannip_real excess;          /* distance outside [min, max] in units of w (see above) */
} sannip_extrapolation;

/* Per-thread evaluation state: neighbour list and scratch buffers, grown on demand (calls
   with forces hold 4 MB per OpenMP thread more, for the kept triplet blocks of the force pass).
   One model may be shared read-only by many threads, each with its own workspace.
   [out] ws, [in, optional] alloc; uninit frees the buffers.
   Extrapolation test, opt-in: with ws->extrapolation set (caller-owned), every compute call
   on ws (sannip_model_compute, _field, _domain; sannip_committee_predict reports its most
   extrapolating member) also fills *ws->extrapolation with the test of
   its centres at tolerance ws->extrapolation_tol (zero means the default; SANNIP_OFF or
   SANNIP_EXACTLY(t) for tol 0, n2p2's rule), from the features the call computes anyway (no
   extra descriptor pass; an n-entry buffer from ws->alloc). NULL (init): no test. A bad
   tolerance (negative other than SANNIP_OFF, not finite) gives SANNIP_BAD_PARAMETER. */
typedef struct sannip_workspace {
    sannip_neighbors nl;
    sannip_real *buf; size_t cap;
    sannip_allocator alloc;
    sannip_extrapolation *extrapolation;   /* [optional] NULL: no test */
    sannip_real extrapolation_tol;         /* 0: SANNIP_EXTRAPOLATION_TOL; SANNIP_OFF: tol 0 */
} sannip_workspace;
SANNIP_API void sannip_workspace_init(sannip_workspace *ws, const sannip_allocator *alloc);
SANNIP_API void sannip_workspace_uninit(sannip_workspace *ws);

/* Total energy E = sum_i E_i (T2.44), and optionally per-atom energies (n), forces
   F = -dE/dr (n x 3, chain rule through the scalers, T2.45-2.47) and the virial (3 x 3).
   Spin-aware models (spin bases) need sys->spins (else SANNIP_INVALID_ARGS).
   Parallel over atoms with OpenMP when enabled; bit-identical for any thread count.
   [in] m, sys; [in, out] ws (scratch, one per thread); [out] energy;
   [out, optional] atom_energy, forces, virial (energy, energy/length, energy units).
   Returns SANNIP_SUCCESS or the code of the first problem (the system is validated as by
   sannip_system_check; unknown elements give SANNIP_UNKNOWN_ELEMENT). */
SANNIP_API sannip_result sannip_model_compute(const sannip_model *m, sannip_workspace *ws,
        const sannip_system *sys, sannip_real *energy, sannip_real *atom_energy,
        sannip_real *forces, sannip_real *virial, sannip_error *err);
/* As sannip_model_compute, plus [out, optional] field: the effective field H = -dE/dS
   (n x 3, energy per spin unit) of a spin-aware model (zero for a model without spin bases;
   sys->spins required when field != NULL, else SANNIP_INVALID_ARGS). */
SANNIP_API sannip_result sannip_model_compute_field(const sannip_model *m, sannip_workspace *ws,
        const sannip_system *sys, sannip_real *energy, sannip_real *atom_energy, sannip_real *forces,
        sannip_real *virial, sannip_real *field, sannip_error *err);

/* As sannip_model_compute for one domain of a host code that decomposes space (LAMMPS via
   KIM): sys holds the domain's own atoms and the ghost atoms around them (open boundaries,
   or periodic as usual). Only atoms with contributing[i] != 0 are centres: E sums their
   energies, and forces, virial and atom_virial hold the derivatives of that sum alone, so
   ghosts get forces too (the host adds them to their owners) and ghost energies are not
   counted (atom_energy 0). contributing NULL: every atom (then this is sannip_model_compute).
   [out, optional] atom_virial: n x 9, atom i gets half of each pair term -d_ij (x) dE/dd_ij
   it takes part in (centre or neighbour); the rows sum to the virial. Same validation,
   threading and bit-identity as sannip_model_compute. */
SANNIP_API sannip_result sannip_model_compute_domain(const sannip_model *m, sannip_workspace *ws,
        const sannip_system *sys, const int *contributing, sannip_real *energy, sannip_real *atom_energy,
        sannip_real *forces, sannip_real *virial, sannip_real *atom_virial, sannip_error *err);

/* Raw (unscaled) descriptors of every atom: G is n x stride, row i holding the features of
   atom i's element in the model's order (unused columns 0). stride >= max n_features.
   [in] m, sys; [in, out] ws; [out] G. Same validation and threading as sannip_model_compute. */
SANNIP_API sannip_result sannip_model_features(const sannip_model *m, sannip_workspace *ws,
        const sannip_system *sys, sannip_real *G, int stride, sannip_error *err);
/* Raw descriptors of every atom for a whole descriptor set (n x set->n, all bases, 0 where
   a basis does not apply to the atom's element). [in] set, sys; [in, out] ws; [out] G. */
SANNIP_API sannip_result sannip_descriptors_compute(const sannip_descriptors *set,
        sannip_workspace *ws, const sannip_system *sys, sannip_real *G, sannip_error *err);

/* Checks the raw features of every atom of sys (and |S_i| when the model has moment ranges
   and sys->spins is set) against the training ranges, on its own: one descriptor pass
   without derivatives. Alongside a compute call, ws->extrapolation (sannip_workspace) gives
   the same result without that pass.
   [in] m, sys, tol (>= 0, finite); [in, out] ws; [out] x. Same validation and threading as
   sannip_model_compute, SANNIP_BAD_PARAMETER for a bad tol, SANNIP_OUT_OF_MEMORY (the
   feature buffer, from m's allocator). Thread-safe with one ws per thread. */
SANNIP_API sannip_result sannip_model_extrapolation(const sannip_model *m, sannip_workspace *ws,
        const sannip_system *sys, sannip_real tol, sannip_extrapolation *x, sannip_error *err);
/* The same test on features the caller already has (e.g. a Monte Carlo cache): atom i of n
   has element Z[i] and raw features G[i stride + f] in el->feature order, and spin
   spins[3i..3i+2] ([in, optional]: NULL skips the moment test). [out] x.
   SANNIP_UNKNOWN_ELEMENT, SANNIP_BAD_PARAMETER (tol), SANNIP_INVALID_ARGS (NULL, stride).
   Allocates nothing; thread-safe. */
SANNIP_API sannip_result sannip_model_check_range(const sannip_model *m, int n, const int *Z, const sannip_real *G,
        int stride, const sannip_real *spins, sannip_real tol, sannip_extrapolation *x, sannip_error *err);
/* Widens each element's moment range to take in |S_i| of n atoms (Z[i], spins[3i..3i+2]);
   an element without a range gets one (clear has_moment_range first to start afresh).
   sannip_model_fit_scaling calls it for the training structures of a spin-aware model.
   [in, out] m, [in] n, Z, spins. SANNIP_UNKNOWN_ELEMENT, SANNIP_NONFINITE, SANNIP_INVALID_ARGS. */
SANNIP_API sannip_result sannip_model_moment_range_add(sannip_model *m, int n, const int *Z, const sannip_real *spins,
                                                       sannip_error *err);

/* ==== 11. FILES ======================================================================== */
/* Model text format "sannip-model 1": self-describing, locale independent, round-trips
   exactly (%.17g). Saving to a path goes through sannip_write_file_atomic (a unique
   temporary renamed over PATH), so a failed save leaves an existing file intact.
   save_mem: [in] m, [out] *out (NUL-terminated text, owned by the caller: sannip_free with
   m's allocator), [out, optional] len. load_mem: [in, out] m (initialised; its previous
   content is replaced, and it is left empty on failure), [in] text, len (need not be
   NUL-terminated); err names the line; SANNIP_TRUNCATED for a text cut short.
   sannip_free: [in, optional] alloc (the allocator the memory came from), [in] p (NULL:
   nothing to do). */
SANNIP_API sannip_result sannip_model_save_mem(const sannip_model *m, char **out, size_t *len,
                                               sannip_error *err);  /* *out owned by caller:
                                               free with m's allocator (sannip_free) */
SANNIP_API sannip_result sannip_model_load_mem(sannip_model *m, const char *text, size_t len,
                                               sannip_error *err);
SANNIP_API void sannip_free(const sannip_allocator *alloc, void *p);

/* An owned structure with optional reference data (for I/O, tests and training). Arrays
   are owned by the structure (alloc). Units as read: positions/cell in length units,
   energy and virial in energy units, forces in energy/length, spins as stored. */
typedef struct sannip_structure {
    int n;
    sannip_real *pos;        /* n x 3 */
    int *Z;                  /* n */
    sannip_real cell[9];
    int pbc[3];
    sannip_real *forces;     /* n x 3 or NULL */
    sannip_real *spins;      /* n x 3 or NULL */
    sannip_real *fields;     /* n x 3 or NULL: reference effective field H = -dE/dS (energy per
                                spin unit, as sannip_model_compute_field; XYZ magnetic_forces/heff) */
    sannip_real *charges;    /* n or NULL */
    sannip_real energy;
    int has_energy;
    sannip_real virial[9];
    int has_virial;
    sannip_real weight;      /* per-structure training weight, default 1 */
    char comment[256];
    sannip_allocator alloc;
} sannip_structure;

/* [out] s (empty, weight 1), [in, optional] alloc; uninit frees the arrays and leaves s
   empty with the same allocator. resize: [in, out] s, [in] n (0..SANNIP_MAX_ATOMS),
   with_forces, with_spins: fresh zeroed arrays for n atoms (the old ones are freed, charges
   and fields dropped); SANNIP_OUT_OF_MEMORY leaves s empty. */
SANNIP_API void sannip_structure_init(sannip_structure *s, const sannip_allocator *alloc);
SANNIP_API void sannip_structure_uninit(sannip_structure *s);
SANNIP_API sannip_result sannip_structure_resize(sannip_structure *s, int n, int with_forces,
                                                 int with_spins, sannip_error *err);
/* A sannip_system view of s (no copy: it borrows s's arrays while s is unchanged). */
SANNIP_API sannip_system sannip_structure_view(const sannip_structure *s);

/* Streaming readers over a text buffer: *pos is advanced past the structure read.
   Return SANNIP_SUCCESS, SANNIP_END_OF_INPUT at the end of the text, or an error naming the line
   (line numbers count from *line, which is advanced too).
   [in, out] s (initialised; overwritten with the structure read), pos, line; [in] text, len.
   read_xyz reads Lattice, pbc, energy, virial (or ASE's stress, converted to the virial),
   weight, and the Properties columns species, pos, forces, magmoms (also
   initial_magmoms, spins, magnetic_moments; 1 column = a collinear z moment) and the
   effective field -dE/dS into s->fields: magnetic_forces (DeePMD/ASE spin data), heff
   (sannip's toy iron) or force_mag (3 columns each; energy per unit of the magmoms column,
   e.g. eV/muB, not converted).
   read_n2p2: begin ... end with lattice, atom (x y z element charge n fx fy fz), energy
   and comment lines. Numbers are read in any C locale. Thread-safe for distinct s. */
SANNIP_API sannip_result sannip_read_n2p2(sannip_structure *s, const char *text, size_t len, size_t *pos,
                                int *line, sannip_error *err);
SANNIP_API sannip_result sannip_read_xyz(sannip_structure *s, const char *text, size_t len, size_t *pos,
                               int *line, sannip_error *err);

/* A growable text buffer (used by the writers). s (NUL-terminated, len bytes) is owned by
   the buffer; failed is set when it could not grow (later appends are then dropped).
   init/uninit as usual ([in, optional] alloc); printf appends formatted text (C printf
   format, so "%g" follows the C locale: use sannip_text_real for numbers). */
typedef struct sannip_text { char *s; size_t len, cap; int failed; sannip_allocator alloc; } sannip_text;
SANNIP_API void sannip_text_init(sannip_text *t, const sannip_allocator *alloc);
SANNIP_API void sannip_text_uninit(sannip_text *t);
SANNIP_API void sannip_text_printf(sannip_text *t, const char *fmt, ...);
SANNIP_API void sannip_text_real(sannip_text *t, sannip_real x);  /* " %.17g", '.' always */

/* Writers append one structure; energy/forces/virial override s's own when not NULL.
   [in, out] t, [in] s, [in, optional] energy (1), forces (n x 3), virial (9), atom_energy
   (n); units are the caller's. Numbers exact (SANNIP_REAL_FMT) with '.' in any locale. A buffer
   that fails to grow sets t->failed. One text buffer per thread. */
SANNIP_API void sannip_write_n2p2(sannip_text *t, const sannip_structure *s,
        const sannip_real *energy, const sannip_real *forces);
/* Extended XYZ as ASE writes it: the thin form of sannip_write_xyz_ex below, with the
   per-atom energies (atom_energy, n, optional) as an "energies:R:1" column. */
SANNIP_API void sannip_write_xyz(sannip_text *t, const sannip_structure *s,
        const sannip_real *energy, const sannip_real *forces, const sannip_real *virial,
        const sannip_real *atom_energy);

/* An extra per-atom column of an extended-XYZ frame: Properties gains NAME:R:WIDTH and atom
   i's line the numbers values[width * i + k], k = 0..width-1. */
typedef struct sannip_xyz_column {
    const char *name;              /* non-empty; no blanks, '=', '"' or ':' */
    int width;                     /* components, 1..9 */
    const sannip_real *values;     /* n x width, in the caller's units */
} sannip_xyz_column;
/* A per-structure key=value entry of the comment line: a string (text; quoted when it is
   empty or holds blanks) or, when text is NULL, width numbers (quoted "a b c" when width > 1). */
typedef struct sannip_xyz_info {
    const char *key;               /* non-empty; no blanks, '=' or '"' */
    const char *text;              /* string value without '"' or line breaks, or NULL */
    int width;                     /* numbers when text is NULL: 1..9 */
    const sannip_real *values;     /* width numbers when text is NULL */
    int first;                     /* nonzero: at the start of the line, before Lattice= (a
                                      reader that keeps only the first 255 characters, as
                                      sannip_read_xyz does, still sees it); 0: after pbc= */
} sannip_xyz_info;
/* Appends one extended-XYZ frame of s to t:
       N
       [first entries] Lattice="9 numbers" Properties=species:S:1:pos:R:3[:forces:R:3]
           [:magmoms:R:3][:magnetic_forces:R:3][:NAME:R:WIDTH ...] [energy=E] [virial="9 numbers"]
           pbc="T T T" [entries]
       El x y z [fx fy fz] [sx sy sz] [hx hy hz] [column values ...]      (one line per atom)
   Lattice= only for a periodic s; numbers "%.17g" ("%.9g" in float builds), '.' always.
   Units are the caller's (sannip's presets: positions and cell A, energy eV, forces eV/A,
   virial eV, spins as stored).
   [in, out] t            text buffer the frame is appended to
   [in]      s            structure: n, Z, pos, cell, pbc, spins (a magmoms column when not
                          NULL), fields (magnetic_forces), and energy/forces/virial when the
                          arguments below are NULL
   [in, optional] energy  total energy (else s->energy when s->has_energy, else none)
   [in, optional] forces  n x 3 (else s->forces, else no column)
   [in, optional] virial  9 (else s->virial when s->has_virial, else none)
   [in, optional] cols    ncols extra columns, written in this order after the others
   [in, optional] info    ninfo key=value entries, written in this order
   [out, optional] err
   Returns SANNIP_SUCCESS; SANNIP_INVALID_ARGS (nothing appended) for a NULL t or s, a
   negative count, a bad name, key, text or width, or NULL values; SANNIP_OUT_OF_MEMORY when
   t failed to grow (t->failed is set). Thread safety: one buffer per thread. */
SANNIP_API sannip_result sannip_write_xyz_ex(sannip_text *t, const sannip_structure *s,
        const sannip_real *energy, const sannip_real *forces, const sannip_real *virial,
        const sannip_xyz_column *cols, int ncols, const sannip_xyz_info *info, int ninfo,
        sannip_error *err);

/* Locale-independent number parsing/formatting used by all readers and writers.
   parse_real: [in] s (leading blanks skipped), [out, optional] end (first character after
   the number), [out] out; returns 1, or 0 when s holds no number (Fortran 1.0D+00 is read).
   format_real: [out] buf (size bytes), [in] x; returns snprintf's length (SANNIP_REAL_FMT,
   '.' always).
   Thread-safe (they read the locale, never set it). */
SANNIP_API int sannip_parse_real(const char *s, const char **end, sannip_real *out);
SANNIP_API int sannip_format_real(char *buf, size_t size, sannip_real x);

/* Data sets: an owned list of structures, e.g. every frame of a file, with the reference
   energies, forces, virials, spins and weights the text holds (sannip_train.h trains on
   them; sannip_dataset_check there says whether they suffice). d->s[i], i < d->n, are
   owned by d and use d->alloc. Thread safety: one data set per thread while it changes. */
typedef struct sannip_dataset {
    int n, cap;
    sannip_structure *s;
    sannip_allocator alloc;
} sannip_dataset;
/* [out] d; [in, optional] alloc (NULL: the default allocator, copied into d). No allocation. */
SANNIP_API void sannip_dataset_init(sannip_dataset *d, const sannip_allocator *alloc);
/* Frees every structure and the list; d is empty (and reusable) afterwards. */
SANNIP_API void sannip_dataset_uninit(sannip_dataset *d);
/* Appends every structure of a text: n2p2 input.data when its first word is "begin", else
   extended XYZ.
   [in, out] d; [in] text, len (text need not be NUL-terminated); [out, optional] err
   Returns SANNIP_SUCCESS, or the reader's code with err->line (1-based line of the text)
   and a message "structure K: ..." (K counts from 1 in this text); SANNIP_PARSE_ERROR for a
   text without structures. The structures read before an error stay in d. */
SANNIP_API sannip_result sannip_dataset_read_mem(sannip_dataset *d, const char *text, size_t len,
                                                 sannip_error *err);
/* Appends a deep copy of s (atoms, optional forces, spins, fields and charges, cell, pbc, energy,
   virial, weight, comment), allocated with d->alloc.
   [in, out] d; [in] s (not changed, may be freed afterwards); [out, optional] err
   Returns SANNIP_SUCCESS, SANNIP_INVALID_ARGS (NULL argument, negative count, missing
   positions or elements), SANNIP_TOO_BIG or SANNIP_OUT_OF_MEMORY (d unchanged). */
SANNIP_API sannip_result sannip_dataset_append(sannip_dataset *d, const sannip_structure *s,
                                               sannip_error *err);
#ifndef SANNIP_NO_STDIO
/* sannip_dataset_read_mem on the contents of the file path; messages are prefixed
   "PATH:LINE: " (a missing file: SANNIP_MISSING_FILE, "cannot open 'PATH'"). */
SANNIP_API sannip_result sannip_dataset_read_file(sannip_dataset *d, const char *path,
                                                  sannip_error *err);
#endif

/* Files without a file system: user callbacks, as in stb_image. The loaders below drain the
   callbacks into one buffer and hand it to the memory loader (one parser for every source);
   the writers build the text with the *_save_mem function and pass it to a write callback.
   They exist under SANNIP_NO_STDIO too. */
typedef struct sannip_io_callbacks {
    /* Fills data with at most size bytes; returns how many it stored (0 at the end of the
       input, negative on a read error). Required. */
    int  (*read)(void *user, char *data, int size);
    /* Skips n bytes (negative: goes back). Optional (may be NULL): the readers here read
       every byte and never call it; it is kept for callbacks shared with stb-style code. */
    void (*skip)(void *user, int n);
    /* Nonzero at the end of the input. Optional (NULL: the end is the first read returning 0). */
    int  (*eof)(void *user);
} sannip_io_callbacks;
/* Largest input the callback loaders read (sannip_read_callbacks with max_bytes 0): 1 GiB by
   default; define it before including the implementation to change it. */
#ifndef SANNIP_MAX_READ_BYTES
#define SANNIP_MAX_READ_BYTES ((size_t)1 << 30)
#endif
/* Reads everything io delivers into one NUL-terminated buffer (the NUL not counted in *len).
   Reads until eof reports the end or read returns 0, in pieces of at most 64 KiB; the buffer
   grows (doubling) through alloc and never beyond max_bytes + 2 bytes.
   [in]  io         callbacks (read required; skip and eof may be NULL)
   [in, optional] user  passed unchanged to every callback
   [in, optional] alloc allocator of the buffer (NULL: the default)
   [in]  max_bytes  largest accepted input in bytes; 0 means SANNIP_MAX_READ_BYTES
   [out] out        the buffer, owned by the caller: free it with sannip_free(alloc, *out);
                    untouched on failure (nothing is left allocated)
   [out, optional] len  bytes read
   [out, optional] err
   Returns SANNIP_SUCCESS; SANNIP_INVALID_ARGS (NULL io, io->read or out); SANNIP_IO_ERROR
   when read returns a negative value or more than it was asked for (the message gives the
   value and the bytes read before it); SANNIP_TOO_BIG when the input holds more than
   max_bytes bytes; SANNIP_OUT_OF_MEMORY. Thread safety: as the callbacks. */
SANNIP_API sannip_result sannip_read_callbacks(const sannip_io_callbacks *io, void *user,
        const sannip_allocator *alloc, size_t max_bytes, char **out, size_t *len, sannip_error *err);
/* sannip_model_load_mem on the text io delivers (sannip_read_callbacks through m's allocator,
   limit SANNIP_MAX_READ_BYTES; the buffer is freed before returning).
   [in, out] m (initialised; replaced on success, emptied on failure as by load_mem)
   [in] io; [in, optional] user; [out, optional] err
   Returns sannip_read_callbacks's or sannip_model_load_mem's result and message. */
SANNIP_API sannip_result sannip_model_load_callbacks(sannip_model *m, const sannip_io_callbacks *io,
                                                     void *user, sannip_error *err);
/* sannip_descriptors_parse on the text io delivers (read through d's allocator, limit
   SANNIP_MAX_READ_BYTES). [in, out] d; [in] io; [in, optional] user; [out, optional] err
   Returns sannip_read_callbacks's or sannip_descriptors_parse's result; SANNIP_PARSE_ERROR
   for a text holding a NUL byte (the parser reads NUL-terminated text). */
SANNIP_API sannip_result sannip_descriptors_parse_callbacks(sannip_descriptors *d,
        const sannip_io_callbacks *io, void *user, sannip_error *err);
/* sannip_dataset_read_mem on the text io delivers (n2p2 input.data or extended XYZ, told by
   the content; read through d->alloc, limit SANNIP_MAX_READ_BYTES).
   [in, out] d (structures are appended); [in] io; [in, optional] user; [out, optional] err
   Returns sannip_read_callbacks's or sannip_dataset_read_mem's result and message. */
SANNIP_API sannip_result sannip_dataset_read_callbacks(sannip_dataset *d, const sannip_io_callbacks *io,
                                                       void *user, sannip_error *err);
/* Receives size bytes of output (size >= 1); returns 0 when it took them all, anything else
   on failure (the writer then stops). */
typedef int (*sannip_write_fn)(void *user, const char *data, size_t size);
/* Writes the text of sannip_model_save_mem through writer, in consecutive pieces of at most
   64 KiB (their concatenation is byte for byte the save_mem text).
   [in] m; [in] writer; [in, optional] user (passed to writer); [out, optional] err
   Returns SANNIP_SUCCESS; SANNIP_INVALID_ARGS (NULL m or writer); save_mem's errors;
   SANNIP_IO_ERROR when writer fails (the message gives the byte offset and its return value;
   the pieces before it were delivered). */
SANNIP_API sannip_result sannip_model_save_callbacks(const sannip_model *m, sannip_write_fn writer,
                                                     void *user, sannip_error *err);
/* The piecewise writer of sannip_model_save_callbacks on any buffer: writer(user, ...) gets
   data[0..len) in consecutive pieces of at most 64 KiB. [in] data (may be NULL when len is 0),
   len, writer; [in, optional] user; [out, optional] err. Returns SANNIP_SUCCESS,
   SANNIP_INVALID_ARGS or SANNIP_IO_ERROR (as above). */
SANNIP_API sannip_result sannip_write_callbacks(const char *data, size_t len, sannip_write_fn writer,
                                                void *user, sannip_error *err);

#ifndef SANNIP_NO_STDIO
/* sannip_model_save_mem / sannip_model_load_mem on a file: [in] path (save: written
   atomically, see sannip_write_file_atomic); load: [in, out] m as for load_mem, messages
   prefixed "PATH:LINE: ", a missing file gives SANNIP_MISSING_FILE. */
SANNIP_API sannip_result sannip_model_save_file(const sannip_model *m, const char *path,
                                                sannip_error *err);
SANNIP_API sannip_result sannip_model_load_file(sannip_model *m, const char *path,
                                                sannip_error *err);
/* Reads a whole file into a NUL-terminated buffer owned by the caller (sannip_free with
   the same alloc). [in] path, [in, optional] alloc, [out] out, [out, optional] len (bytes,
   without the NUL). SANNIP_MISSING_FILE, SANNIP_IO_ERROR (a directory, a read error). */
SANNIP_API sannip_result sannip_read_file(const char *path, const sannip_allocator *alloc,
                                          char **out, size_t *len, sannip_error *err);
/* Writes len bytes to a new, uniquely named temporary file next to PATH and renames it to
   PATH, so PATH holds either the old or the new content. POSIX: the temporary is created with
   O_CREAT|O_EXCL (never through a symlink planted there), gets the old file's permission
   bits (a new file: 0666 less the umask), is fsync'ed before the rename and the directory
   after it; every failure removes it and names the step and the path. Elsewhere: fopen of a
   unique name and rename. Thread-safe for different paths. */
SANNIP_API sannip_result sannip_write_file_atomic(const char *path, const char *data, size_t len,
                                                  sannip_error *err);
#endif

/* ==== 12. N2P2 ========================================================================= */
/* Imports an n2p2 potential from the texts of input.nn and scaling.data and the weight
   files (weights[e] for the e-th element in ascending atomic number, n2p2's order). Unit
   normalisation (mean_energy, conv_energy, conv_length) and atom_energy offsets become
   the elements' energy maps, so the model predicts in the units of the training data.
   [in, out] m (initialised; replaced, and left empty on failure), [in] input_nn,
   scaling_data (NUL-terminated texts), weights[0..n_weights). units_* become "unknown"
   (n2p2 files do not state them: sannip_model_set_units). */
SANNIP_API sannip_result sannip_n2p2_import_mem(sannip_model *m, const char *input_nn,
        const char *scaling_data, const char *const *weights, int n_weights, sannip_error *err);
#ifndef SANNIP_NO_STDIO
/* Reads DIR/input.nn, DIR/scaling.data and DIR/weights.%03d.data (Z) and imports them as
   sannip_n2p2_import_mem does. [in, out] m, [in] dir. */
SANNIP_API sannip_result sannip_n2p2_import_dir(sannip_model *m, const char *dir,
                                                sannip_error *err);
#endif
/* Writes m as an n2p2 potential: the texts of input.nn (settings and symmetry functions),
   scaling.data and weights[e] (weights.ZZZ.data of the e-th element in ascending atomic
   number, n2p2's order), so that sannip_n2p2_import_mem of them predicts what m predicts
   and n2p2 reads them. n2p2 can hold per-element dense networks with one shape and
   activations of its own (no swish, ssp), G2/G4/G5 bases over named elements or Z-weighted
   (n2p2 types 2, 3, 9, 12, 13) sharing one cutoff type and inner cutoff, one scaling for all
   elements (the standard and modified scalings are written as n2p2's scalesigma, the modified
   one's max|G - mean| in the sigma column, which n2p2 uses for nothing else) and one energy
   scale (conv_energy; offsets as mean_energy or atom_energy; conv_length 1). Anything else is
   SANNIP_UNSUPPORTED with the element, layer or basis (its definition line) n2p2 lacks;
   round trips are exact: import -> export -> import gives the same numbers. Numbers are
   written with %.17g. [in] m; [in, out] input_nn, scaling_data, weights[0..m->n_elements)
   (initialised texts, appended to; on failure they may hold part of the output).
   SANNIP_OUT_OF_MEMORY when a text could not grow. Reads m only. */
SANNIP_API sannip_result sannip_n2p2_export_mem(const sannip_model *m, sannip_text *input_nn,
        sannip_text *scaling_data, sannip_text *weights, sannip_error *err);
#ifndef SANNIP_NO_STDIO
/* sannip_n2p2_export_mem into DIR/input.nn, DIR/scaling.data, DIR/weights.%03d.data (Z),
   each written with sannip_write_file_atomic; DIR must exist. [in] m, dir. */
SANNIP_API sannip_result sannip_n2p2_export_dir(const sannip_model *m, const char *dir,
                                                sannip_error *err);
#endif

#ifdef __cplusplus
}
#endif
#endif /* SANNIP_H */

/* ======================================================================================= */
/*                                   IMPLEMENTATION                                        */
/* ======================================================================================= */
#if defined(SANNIP_IMPLEMENTATION) && !defined(SANNIP_IMPLEMENTATION_DONE)
#define SANNIP_IMPLEMENTATION_DONE

#include <math.h>
#include <string.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>     /* snprintf/vsnprintf only under SANNIP_NO_STDIO: no FILE* is used */
#include <locale.h>
#include <float.h>
#include <limits.h>
#if !defined(SANNIP_NO_STDIO) && (defined(__unix__) || defined(__APPLE__))
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/stat.h>
#define SANNIP__POSIX_FILES 1
#elif !defined(SANNIP_NO_STDIO)
#include <errno.h>
#include <time.h>
#endif

#if defined(_OPENMP) && !defined(SANNIP_NO_OPENMP)
#include <omp.h>
#define SANNIP__OMP 1
#endif
#if defined(__AVX__) && !defined(SANNIP_NO_SIMD)
#include <immintrin.h>   /* sannip__sqrt_array only */
#define SANNIP__AVX 1
#endif

#if defined(SANNIP_MALLOC) || defined(SANNIP_REALLOC) || defined(SANNIP_FREE)
#  if !defined(SANNIP_MALLOC) || !defined(SANNIP_REALLOC) || !defined(SANNIP_FREE)
#    error "Define all or none of SANNIP_MALLOC, SANNIP_REALLOC, SANNIP_FREE"
#  endif
#else
#  define SANNIP_MALLOC(sz, ctx) malloc(sz)
#  define SANNIP_REALLOC(p, sz, ctx) realloc(p, sz)
#  define SANNIP_FREE(p, ctx) free(p)
#endif
#ifndef SANNIP_ASSERT
#include <assert.h>
#define SANNIP_ASSERT(x) assert(x)
#endif

#define SANNIP__PI 3.14159265358979323846
#define SANNIP__MIN(a, b) ((a) < (b) ? (a) : (b))
#define SANNIP__MAX(a, b) ((a) > (b) ? (a) : (b))
/* Outputs of kernel loops that alias nothing else (so that they vectorise without run-time
   alias checks, of which GCC makes at most ten per loop). */
#if defined(__cplusplus) && (defined(__GNUC__) || defined(__clang__) || defined(_MSC_VER))
#define SANNIP__RESTRICT __restrict
#elif defined(__cplusplus)
#define SANNIP__RESTRICT
#else
#define SANNIP__RESTRICT restrict
#endif
/* Kernels' scalar cores, inlined so that the loops calling them vectorise. */
#if defined(__GNUC__) || defined(__clang__)
#define SANNIP__INLINE static inline __attribute__((always_inline))
/* kept out of line: the spin evaluator inlined into the geometric engine's hot loops costs
   the BP-only models about 2 % (code layout) */
#define SANNIP__COLD static __attribute__((noinline))
#else
#define SANNIP__INLINE static
#define SANNIP__COLD static
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- FOR SIBLING HEADERS ----------------------------------------------------------------
   Not an API. The only private functions of this header that the implementations of
   sannip_train.h and sannip_spin.h call (everything else they use is sannip.h's public API),
   each because speed or one shared implementation needs it; they stay static, so those
   implementations sit in the same file as this one (the SANNIP_IMPLEMENTATION umbrella).
   tests/test_seams.sh fails when a sibling header uses any other sannip__ name of this header.
   33 functions. */
#if defined(__GNUC__) || defined(__clang__)
#define SANNIP__SIBLING static __attribute__((unused))
#else
#define SANNIP__SIBLING static
#endif
/* Errors and memory: results with a message in err (sannip__fail formats it, sannip__ok clears
   it, sannip__err_prefix prepends context); allocation through a model's allocator (NULL: the
   default), sannip__calloc zeroed and overflow-checked, sannip__grow doubles *cap to at least n
   elements of sz bytes, sannip__mul returns 0 when a * b overflows size_t. Configuration:
   sannip__or_default(v, def) is a zero-means-default field's value (0 -> def, SANNIP_OFF ->
   0, anything else v). */
SANNIP__SIBLING sannip_result sannip__fail(sannip_error *err, sannip_result code, int line, int field, const char *fmt, ...);
SANNIP__SIBLING void sannip__ok(sannip_error *err);
SANNIP__SIBLING void sannip__err_prefix(sannip_error *err, const char *prefix);
SANNIP__SIBLING sannip_allocator sannip__alloc_copy(const sannip_allocator *a);
SANNIP__SIBLING void *sannip__malloc(const sannip_allocator *a, size_t n);
SANNIP__SIBLING void *sannip__calloc(const sannip_allocator *a, size_t n, size_t sz);
SANNIP__SIBLING void *sannip__realloc(const sannip_allocator *a, void *p, size_t n);
SANNIP__SIBLING sannip_result sannip__grow(const sannip_allocator *a, void **p, size_t *cap, size_t n, size_t sz);
SANNIP__SIBLING int sannip__mul(size_t a, size_t b, size_t *out);
SANNIP__SIBLING double sannip__or_default(double v, double def);
/* Text: the C locale's decimal point (formatters replace it by '.'); sannip__splitmix64 is the
   seeding mixer of sannip_rng_seed (streams derive from it). */
SANNIP__SIBLING char sannip__decimal_point(void);
SANNIP__SIBLING uint64_t sannip__splitmix64(uint64_t *x);
/* Descriptor engine. sannip__env_of: the environment of atom i from a neighbour list (Zn: n ints,
   Sn: 3n reals of caller scratch). sannip__env_eval: sannip_env_eval plus spin derivatives dGs
   (nf x (n+1) x 3) and their contraction cs (3(n+1)); work: sannip_env_work_size reals.
   sannip__spin_eval: the spin bases alone (8 n reals of work). sannip__spin_pair_value: the
   bracket of a pair-additive spin basis b (T3.2-3.4, 3.16) for spins Si, Sj and unit vector u.
   sannip__spin_ready: SANNIP_INVALID_ARGS with a message when d needs spins and sys has none. */
SANNIP__SIBLING sannip_env sannip__env_of(const sannip_neighbors *nl, const sannip_system *sys, int i, int *Zn, sannip_real *Sn);
SANNIP__SIBLING void sannip__env_eval(const sannip_descriptors *set, const int *idx, int nf, const sannip_env *env, sannip_real *G, sannip_real *dG, const sannip_real *g, sannip_real *c, sannip_real *dGs, sannip_real *cs, sannip_real *work);
SANNIP__SIBLING void sannip__spin_eval(const sannip_descriptors *set, const int *idx, int nf, const sannip_env *env, sannip_real *G, sannip_real *dG, const sannip_real *g, sannip_real *c, sannip_real *dGs, sannip_real *cs, sannip_real *work);
SANNIP__SIBLING sannip_real sannip__spin_pair_value(const sannip_basis *b, const sannip_real *Si, const sannip_real *Sj, const sannip_real *u);
SANNIP__SIBLING sannip_result sannip__spin_ready(const sannip_descriptors *d, const sannip_system *sys, sannip_error *err);
SANNIP__SIBLING int sannip__cutoff_equal(const sannip_cutoff *a, const sannip_cutoff *b);
/* Kernels: fixed-order dot product (16 lanes), x^n for integer n, in-place exp of an array,
   all vectorisable and deterministic; e^x, ln x, sin and cos of pi x and of x, x^y with the
   same bits on every platform (libm's differ in the last bit between platforms). */
SANNIP__SIBLING sannip_real sannip__dot(const sannip_real *x, const sannip_real *y, int n);
SANNIP__SIBLING sannip_real sannip__ipow(sannip_real x, int n);
SANNIP__SIBLING void sannip__exp_array(sannip_real *x, int n);
SANNIP__SIBLING double sannip__exp(double x);
SANNIP__SIBLING double sannip__log(double x);
SANNIP__SIBLING void sannip__sincospi(double x, double *s, double *c);
SANNIP__SIBLING void sannip__sincos(double x, double *s, double *c);
SANNIP__SIBLING double sannip__pow(double x, double y);
/* Network layers (row-major batches of B rows): sannip__layer_lin z = in W^T (+ b if bias);
   sannip__layer_bw accumulates the weight (and, if bias, bias) gradient g += dz^T in;
   sannip__network_backprop: the backward sweep of sannip_network_backward, with per-row loss
   weights fw (per = 1) and scratch tmp (sannip_network_work_size reals). */
SANNIP__SIBLING void sannip__layer_lin(const sannip_network *net, int l, int B, const sannip_real *in, sannip_real *z, int bias);
SANNIP__SIBLING void sannip__layer_bw(const sannip_network *net, int l, int B, const sannip_real *dz, const sannip_real *in, sannip_real *g, int bias);
SANNIP__SIBLING void sannip__network_backprop(const sannip_network *net, int batch, const sannip_real *X, const sannip_real *dY, sannip_real *dX, sannip_real *grad, const sannip_real *fw, int per, sannip_real *tmp);
/* The scratch arena (MEMORY): one layout function measures (buffer NULL) and carves. */
typedef struct sannip__arena sannip__arena;
SANNIP__SIBLING sannip__arena sannip__arena_begin(void *buf, size_t bytes);
SANNIP__SIBLING void *sannip__arena_take(sannip__arena *a, size_t n, size_t size);
SANNIP__SIBLING size_t sannip__arena_reals(const sannip__arena *a);
#ifndef SANNIP_NO_STDIO
/* Reads path and hands its text to parse(obj, text, len, err); errors get "path:line: ". */
typedef sannip_result (*sannip__text_parser)(void *obj, const char *text, size_t len, sannip_error *err);
SANNIP__SIBLING sannip_result sannip__load_text_file(const char *path, const sannip_allocator *alloc, sannip__text_parser parse, void *obj, sannip_error *err);
#endif


/* ---- 1. RESULTS ----------------------------------------------------------------------- */
SANNIP_API const char *sannip_result_string(sannip_result r)
{
    switch (r) {
    case SANNIP_SUCCESS: return "SANNIP_SUCCESS: no error";
    case SANNIP_END_OF_INPUT: return "SANNIP_END_OF_INPUT: no further record";
    case SANNIP_ERROR: return "SANNIP_ERROR: failure";
    case SANNIP_INVALID_ARGS: return "SANNIP_INVALID_ARGS: invalid arguments";
    case SANNIP_OUT_OF_MEMORY: return "SANNIP_OUT_OF_MEMORY: out of memory";
    case SANNIP_TOO_BIG: return "SANNIP_TOO_BIG: size beyond the limits";
    case SANNIP_IO_ERROR: return "SANNIP_IO_ERROR: input/output error";
    case SANNIP_PARSE_ERROR: return "SANNIP_PARSE_ERROR: malformed input";
    case SANNIP_BAD_VERSION: return "SANNIP_BAD_VERSION: unknown format version";
    case SANNIP_UNKNOWN_ELEMENT: return "SANNIP_UNKNOWN_ELEMENT: element not known";
    case SANNIP_NONFINITE: return "SANNIP_NONFINITE: NaN or Inf in input";
    case SANNIP_SINGULAR_CELL: return "SANNIP_SINGULAR_CELL: singular periodic cell";
    case SANNIP_ATOMS_OVERLAP: return "SANNIP_ATOMS_OVERLAP: atoms on top of each other";
    case SANNIP_BAD_CUTOFF: return "SANNIP_BAD_CUTOFF: invalid cutoff";
    case SANNIP_BAD_PARAMETER: return "SANNIP_BAD_PARAMETER: parameter outside its domain";
    case SANNIP_UNSUPPORTED: return "SANNIP_UNSUPPORTED: not supported";
    case SANNIP_NEEDS_SPIN: return "SANNIP_NEEDS_SPIN: spin bases need spins";
    case SANNIP_TRUNCATED: return "SANNIP_TRUNCATED: input ended early";
    case SANNIP_MISSING_FILE: return "SANNIP_MISSING_FILE: file not found";
    case SANNIP_TOO_MANY_NEIGHBORS: return "SANNIP_TOO_MANY_NEIGHBORS: more neighbours than SANNIP_MAX_NEIGHBORS";
    }
    return "SANNIP_?: unknown result code";
}

/* Records code, place and message in err (if any); returns code. */
static sannip_result sannip__fail(sannip_error *err, sannip_result code, int line, int field,
                                  const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code; err->line = line; err->field = field;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}
/* Prepends "prefix" to err's message (truncating the end if needed). */
static void sannip__err_prefix(sannip_error *err, const char *prefix)
{
    size_t p, m;
    if (!err) return;
    p = strlen(prefix); m = strlen(err->message);
    if (p >= sizeof err->message) p = sizeof err->message - 1;
    if (p + m >= sizeof err->message) m = sizeof err->message - 1 - p;
    memmove(err->message + p, err->message, m);
    memcpy(err->message, prefix, p);
    err->message[p + m] = 0;
}
static void sannip__ok(sannip_error *err)
{
    if (err) { err->code = SANNIP_SUCCESS; err->line = err->field = 0; err->message[0] = 0; }
}

/* ---- 2. MEMORY ------------------------------------------------------------------------ */
static sannip_allocator sannip__alloc_copy(const sannip_allocator *a)
{
    sannip_allocator r;
    if (a) r = *a; else memset(&r, 0, sizeof r);
    return r;
}
static void *sannip__malloc(const sannip_allocator *a, size_t n)
{
    if (n == 0) n = 1;
    if (a && a->alloc_fn) return a->alloc_fn(n, a->user_data);
    return SANNIP_MALLOC(n, a ? a->user_data : NULL);
}
static void *sannip__realloc(const sannip_allocator *a, void *p, size_t n)
{
    if (n == 0) n = 1;
    if (a && a->realloc_fn) return a->realloc_fn(p, n, a->user_data);
    if (a && a->alloc_fn) return NULL;   /* custom alloc without realloc: refuse */
    return SANNIP_REALLOC(p, n, a ? a->user_data : NULL);
}
SANNIP_API void sannip_free(const sannip_allocator *a, void *p)
{
    if (!p) return;
    if (a && a->free_fn) { a->free_fn(p, a->user_data); return; }
    SANNIP_FREE(p, a ? a->user_data : NULL);
}
/* a*b (+c) in size_t with overflow detection: returns 0 on overflow. */
static int sannip__mul(size_t a, size_t b, size_t *out)
{
    if (a && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}
static double sannip__or_default(double v, double def)
{
    return v == 0 ? def : v == SANNIP_OFF ? 0 : v;
}
/* Grows *p to hold n elements of size sz; keeps contents. */
static sannip_result sannip__grow(const sannip_allocator *a, void **p, size_t *cap, size_t n, size_t sz)
{
    size_t bytes, ncap;
    void *q;
    if (n <= *cap && *p) return SANNIP_SUCCESS;
    ncap = *cap ? *cap : 16;
    while (ncap < n) { if (ncap > SIZE_MAX / 2) return SANNIP_TOO_BIG; ncap *= 2; }
    if (!sannip__mul(ncap, sz, &bytes)) return SANNIP_TOO_BIG;
    q = *p ? sannip__realloc(a, *p, bytes) : sannip__malloc(a, bytes);
    if (!q) return SANNIP_OUT_OF_MEMORY;
    *p = q; *cap = ncap;
    return SANNIP_SUCCESS;
}
static void *sannip__calloc(const sannip_allocator *a, size_t n, size_t sz)
{
    size_t bytes;
    void *p;
    if (!sannip__mul(n, sz, &bytes)) return NULL;
    p = sannip__malloc(a, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

/* ---- scratch arena ----------------------------------------------------------------------
   Every per-call scratch layout is one function run twice over an arena: first without a
   buffer, to measure (sannip__arena_reals gives the size), then on a buffer of that size, to
   carve it; both passes run the same code, so sizes and offsets cannot disagree. Each take is
   aligned to SANNIP__ARENA_ALIGN bytes (pointers, SIMD rows); the size includes one
   alignment of slack, so any buffer start works. An overrun is an internal error. */
#define SANNIP__ARENA_ALIGN 16
struct sannip__arena { unsigned char *base; size_t used, cap; };
static sannip__arena sannip__arena_begin(void *buf, size_t bytes)
{
    sannip__arena a;
    size_t mis = buf ? (size_t)(0 - (uintptr_t)buf) & (SANNIP__ARENA_ALIGN - 1) : 0;
    a.base = buf ? (unsigned char *)buf + mis : NULL;
    a.cap = buf && bytes >= mis ? bytes - mis : 0;
    a.used = 0;
    return a;
}
static void *sannip__arena_take(sannip__arena *a, size_t n, size_t size)
{
    size_t at = (a->used + SANNIP__ARENA_ALIGN - 1) & ~(size_t)(SANNIP__ARENA_ALIGN - 1);
    a->used = at + n * size;
    if (!a->base) return NULL;
    SANNIP_ASSERT(a->used <= a->cap);
    return a->base + at;
}
/* Reals of buffer a measured layout needs. */
static size_t sannip__arena_reals(const sannip__arena *a)
{
    return (a->used + SANNIP__ARENA_ALIGN + sizeof(sannip_real) - 1) / sizeof(sannip_real);
}
#define SANNIP__TAKE(a, n, type) ((type *)sannip__arena_take((a), (size_t)(n), sizeof(type)))

/* ---- 3. RNG --------------------------------------------------------------------------- */
static uint64_t sannip__splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
SANNIP_API void sannip_rng_seed(sannip_rng *rng, uint64_t seed)
{
    int i;
    for (i = 0; i < 4; i++) rng->s[i] = sannip__splitmix64(&seed);
}
static uint64_t sannip__rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
SANNIP_API uint64_t sannip_rng_next(sannip_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = sannip__rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = sannip__rotl(s[3], 45);
    return result;
}
SANNIP_API double sannip_rng_uniform(sannip_rng *rng)
{
    return (double)(sannip_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}
SANNIP_API double sannip_rng_normal(sannip_rng *rng)
{
    double u1 = sannip_rng_uniform(rng), u2 = sannip_rng_uniform(rng), s, c;
    sannip__sincospi(2 * u2, &s, &c);
    return sqrt(-2.0 * sannip__log(1.0 - u1)) * c;
}
SANNIP_API void sannip_rng_split(sannip_rng *rng, sannip_rng *split)
{
    static const uint64_t JUMP[] = { 0x180ec6d33cfd0abaull, 0xd5a61266f0c9392cull,
                                     0xa9582618e03fc9aaull, 0x39abdc4529b1661cull };
    uint64_t s[4] = { 0, 0, 0, 0 };
    int i, b, k;
    *split = *rng;
    for (i = 0; i < 4; i++)
        for (b = 0; b < 64; b++) {
            if (JUMP[i] & ((uint64_t)1 << b))
                for (k = 0; k < 4; k++) s[k] ^= rng->s[k];
            sannip_rng_next(rng);
        }
    memcpy(rng->s, s, sizeof s);
}

/* ---- elements ------------------------------------------------------------------------- */
static const char *const sannip__symbols[SANNIP_MAX_Z + 1] = { "X",
 "H","He","Li","Be","B","C","N","O","F","Ne","Na","Mg","Al","Si","P","S","Cl","Ar","K","Ca",
 "Sc","Ti","V","Cr","Mn","Fe","Co","Ni","Cu","Zn","Ga","Ge","As","Se","Br","Kr","Rb","Sr","Y",
 "Zr","Nb","Mo","Tc","Ru","Rh","Pd","Ag","Cd","In","Sn","Sb","Te","I","Xe","Cs","Ba","La","Ce",
 "Pr","Nd","Pm","Sm","Eu","Gd","Tb","Dy","Ho","Er","Tm","Yb","Lu","Hf","Ta","W","Re","Os","Ir",
 "Pt","Au","Hg","Tl","Pb","Bi","Po","At","Rn","Fr","Ra","Ac","Th","Pa","U","Np","Pu","Am","Cm",
 "Bk","Cf","Es","Fm","Md","No","Lr","Rf","Db","Sg","Bh","Hs","Mt","Ds","Rg","Cn","Nh","Fl","Mc",
 "Lv","Ts","Og" };
SANNIP_API int sannip_element_z(const char *symbol)
{
    int z;
    if (!symbol) return 0;
    for (z = 1; z <= SANNIP_MAX_Z; z++)
        if (strcmp(symbol, sannip__symbols[z]) == 0) return z;
    return 0;
}
SANNIP_API const char *sannip_element_symbol(int Z)
{
    return (Z >= 1 && Z <= SANNIP_MAX_Z) ? sannip__symbols[Z] : "X";
}

/* ---- locale-independent numbers ------------------------------------------------------- */
/* Numbers are always written with '.'; the C library's strtod/snprintf use the locale's
   decimal point, so we swap it in and out. */
static char sannip__decimal_point(void)
{
    const struct lconv *lc = localeconv();
    return (lc && lc->decimal_point && lc->decimal_point[0]) ? lc->decimal_point[0] : '.';
}
SANNIP_API int sannip_parse_real(const char *s, const char **end, sannip_real *out)
{
    char buf[128];
    size_t n = 0;
    char dp = sannip__decimal_point(), *e;
    double v;
    while (*s == ' ' || *s == '\t') s++;
    while (s[n] && n < sizeof buf - 1 && (strchr("0123456789+-.eEdDxXpPaAbBcCfFiInNtTyY", s[n]))) n++;
    if (n == 0 || n >= sizeof buf - 1) return 0;
    memcpy(buf, s, n); buf[n] = 0;
    for (e = buf; *e; e++) {
        if (*e == '.') *e = dp;
        else if ((*e == 'd' || *e == 'D') && !(buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X'))) *e = 'e';  /* Fortran 1.0D+00 */
    }
    v = strtod(buf, &e);
    if (e == buf) return 0;
    if (end) *end = s + (e - buf);
    *out = (sannip_real)v;
    return 1;
}
SANNIP_API int sannip_format_real(char *buf, size_t size, sannip_real x)
{
    char dp = sannip__decimal_point(), *p;
    int n = snprintf(buf, size, SANNIP_REAL_FMT, (double)x);
    if (dp != '.') for (p = buf; *p; p++) if (*p == dp) *p = '.';
    return n;
}

/* ---- text buffer ---------------------------------------------------------------------- */
SANNIP_API void sannip_text_init(sannip_text *t, const sannip_allocator *alloc)
{
    memset(t, 0, sizeof *t);
    t->alloc = sannip__alloc_copy(alloc);
}
SANNIP_API void sannip_text_uninit(sannip_text *t)
{
    sannip_free(&t->alloc, t->s);
    t->s = NULL; t->len = t->cap = 0;
}
static void sannip__text_append(sannip_text *t, const char *s, size_t n)
{
    void *p = t->s;
    if (t->failed) return;
    if (sannip__grow(&t->alloc, &p, &t->cap, t->len + n + 1, 1) != SANNIP_SUCCESS) { t->failed = 1; return; }
    t->s = (char *)p;
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = 0;
}
SANNIP_API void sannip_text_printf(sannip_text *t, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) { t->failed = 1; return; }
    if ((size_t)n < sizeof small) { sannip__text_append(t, small, (size_t)n); return; }
    {
        char *big = (char *)sannip__malloc(&t->alloc, (size_t)n + 1);
        if (!big) { t->failed = 1; return; }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        sannip__text_append(t, big, (size_t)n);
        sannip_free(&t->alloc, big);
    }
}
SANNIP_API void sannip_text_real(sannip_text *t, sannip_real x)
{
    char buf[64];
    int n;
    buf[0] = ' ';
    n = sannip_format_real(buf + 1, sizeof buf - 1, x);
    sannip__text_append(t, buf, (size_t)n + 1);
}

/* ---- 4. GEOMETRY ---------------------------------------------------------------------- */
static sannip_real sannip__det3(const sannip_real *m)
{
    return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
         + m[2] * (m[3] * m[7] - m[4] * m[6]);
}
static void sannip__cross(const sannip_real *a, const sannip_real *b, sannip_real *c)
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}
static sannip_real sannip__norm3(const sannip_real *a) { return sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]); }

/* The cell used for binning: the periodic rows of sys->cell, completed with unit vectors
   orthogonal to them for open directions (fractional = Cartesian when all are open). */
static sannip_result sannip__search_cell(const sannip_system *sys, sannip_real *cell, sannip_error *err)
{
    int a, np = sys->pbc[0] + sys->pbc[1] + sys->pbc[2];
    sannip_real vol, scale = 0;
    for (a = 0; a < 9; a++) cell[a] = 0;
    if (np == 0) { cell[0] = cell[4] = cell[8] = 1; return SANNIP_SUCCESS; }
    for (a = 0; a < 3; a++) if (sys->pbc[a]) {
        memcpy(cell + 3 * a, sys->cell + 3 * a, 3 * sizeof(sannip_real));
        scale = SANNIP__MAX(scale, sannip__norm3(cell + 3 * a));
    }
    if (!(scale > 0)) return sannip__fail(err, SANNIP_SINGULAR_CELL, 0, 0, "periodic cell vector has zero length");
    if (np == 1) {
        /* complete one periodic vector v with two orthonormal vectors */
        int p = sys->pbc[0] ? 0 : sys->pbc[1] ? 1 : 2, q = (p + 1) % 3, s = (p + 2) % 3;
        sannip_real *v = cell + 3 * p, t[3] = { 0, 0, 0 }, u[3], w[3], n;
        int m = fabs(v[0]) <= fabs(v[1]) && fabs(v[0]) <= fabs(v[2]) ? 0 : fabs(v[1]) <= fabs(v[2]) ? 1 : 2;
        t[m] = 1;
        sannip__cross(v, t, u); n = sannip__norm3(u); u[0] /= n; u[1] /= n; u[2] /= n;
        sannip__cross(v, u, w); n = sannip__norm3(w); w[0] /= n; w[1] /= n; w[2] /= n;
        memcpy(cell + 3 * q, u, sizeof u); memcpy(cell + 3 * s, w, sizeof w);
    } else if (np == 2) {
        int o = !sys->pbc[0] ? 0 : !sys->pbc[1] ? 1 : 2;
        sannip_real u[3], n;
        sannip__cross(cell + 3 * ((o + 1) % 3), cell + 3 * ((o + 2) % 3), u);
        n = sannip__norm3(u);
        if (!(n > 0)) return sannip__fail(err, SANNIP_SINGULAR_CELL, 0, 0, "the two periodic cell vectors are parallel");
        cell[3 * o] = u[0] / n; cell[3 * o + 1] = u[1] / n; cell[3 * o + 2] = u[2] / n;
    }
    vol = sannip__det3(cell);
    if (!(fabs(vol) > 1e-10 * scale * scale * scale))
        return sannip__fail(err, SANNIP_SINGULAR_CELL, 0, 0, "periodic cell is singular (volume %g)", (double)vol);
    return SANNIP_SUCCESS;
}

SANNIP_API double sannip_cell_volume(const sannip_real *cell)
{
    return fabs((double)cell[0] * (cell[4] * cell[8] - cell[5] * cell[7]) - (double)cell[1] * (cell[3] * cell[8] - cell[5] * cell[6])
              + (double)cell[2] * (cell[3] * cell[7] - cell[4] * cell[6]));
}
SANNIP_API sannip_result sannip_system_check(const sannip_system *sys, sannip_error *err)
{
    int i, a;
    sannip_real cell[9];
    if (!sys) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "system is NULL");
    if (sys->n < 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "negative atom count %d", sys->n);
    if (sys->n > SANNIP_MAX_ATOMS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "%d atoms exceed SANNIP_MAX_ATOMS (%d)", sys->n, SANNIP_MAX_ATOMS);
    if (sys->n > 0 && (!sys->pos || !sys->Z)) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "positions or atomic numbers are NULL");
    for (a = 0; a < 9; a++)
        if (sys->pbc[a / 3] && !isfinite(sys->cell[a])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "cell component %d is not finite", a);
    for (a = 0; a < 9; a++)
        if (sys->pbc[a / 3] && !(fabs(sys->cell[a]) <= SANNIP_MAX_COORD))
            return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "cell component %d is %g: beyond SANNIP_MAX_COORD (%g)", a, (double)sys->cell[a], (double)SANNIP_MAX_COORD);
    for (i = 0; i < sys->n; i++) {
        for (a = 0; a < 3; a++)
            if (!isfinite(sys->pos[3 * i + a])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "atom %d: coordinate %c is %g", i + 1, 'x' + a, (double)sys->pos[3 * i + a]);
        for (a = 0; a < 3; a++)
            if (!(fabs(sys->pos[3 * i + a]) <= SANNIP_MAX_COORD))
                return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "atom %d: coordinate %c is %g: beyond SANNIP_MAX_COORD (%g), no atomistic geometry", i + 1, 'x' + a, (double)sys->pos[3 * i + a], (double)SANNIP_MAX_COORD);
        if (sys->Z[i] < 1 || sys->Z[i] > SANNIP_MAX_Z) return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "atom %d: atomic number %d", i + 1, sys->Z[i]);
        if (sys->spins) for (a = 0; a < 3; a++)
            if (!isfinite(sys->spins[3 * i + a])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "atom %d: spin component %d is not finite", i + 1, a);
    }
    return sannip__search_cell(sys, cell, err);
}

SANNIP_API void sannip_neighbors_init(sannip_neighbors *nl, const sannip_allocator *alloc)
{
    memset(nl, 0, sizeof *nl);
    nl->alloc = sannip__alloc_copy(alloc);
}
SANNIP_API void sannip_neighbors_uninit(sannip_neighbors *nl)
{
    sannip_free(&nl->alloc, nl->start); sannip_free(&nl->alloc, nl->j);
    sannip_free(&nl->alloc, nl->d); sannip_free(&nl->alloc, nl->r);
    sannip_free(&nl->alloc, nl->scratch);
    sannip_free(&nl->alloc, nl->sort);
    memset(nl, 0, sizeof *nl);
}

static void sannip__inverse3(const sannip_real *m, sannip_real *inv)
{
    sannip_real det = sannip__det3(m);
    inv[0] = (m[4] * m[8] - m[5] * m[7]) / det; inv[1] = (m[2] * m[7] - m[1] * m[8]) / det; inv[2] = (m[1] * m[5] - m[2] * m[4]) / det;
    inv[3] = (m[5] * m[6] - m[3] * m[8]) / det; inv[4] = (m[0] * m[8] - m[2] * m[6]) / det; inv[5] = (m[2] * m[3] - m[0] * m[5]) / det;
    inv[6] = (m[3] * m[7] - m[4] * m[6]) / det; inv[7] = (m[1] * m[6] - m[0] * m[7]) / det; inv[8] = (m[0] * m[4] - m[1] * m[3]) / det;
}

/* Cell-list geometry: for each direction a, nb[a] bins along fractional coordinate a over
   [lo[a], lo[a] + span[a]), and m[a] bins to search on either side (enough to cover the
   cutoff, several periodic images when the cell is thinner than the cutoff). */
typedef struct sannip__grid {
    sannip_real cell[9], inv[9];
    sannip_real lo[3], span[3];
    int nb[3], m[3], per[3];
} sannip__grid;

static void sannip__frac(const sannip__grid *g, const sannip_real *x, sannip_real *u)
{
    /* x = u cell  =>  u = x inv (row vector times matrix) */
    int a;
    for (a = 0; a < 3; a++) u[a] = x[0] * g->inv[a] + x[1] * g->inv[3 + a] + x[2] * g->inv[6 + a];
}

static sannip_result sannip__grid_setup(sannip__grid *g, const sannip_system *sys, sannip_real rc, sannip_error *err)
{
    int a, i;
    double total;
    sannip_result r = sannip__search_cell(sys, g->cell, err);
    if (r) return r;
    sannip__inverse3(g->cell, g->inv);
    for (a = 0; a < 3; a++) {
        sannip_real cr[3], h, umin = 0, umax = 0, w;
        /* distance between lattice planes a: V / |b x c| */
        sannip__cross(g->cell + 3 * ((a + 1) % 3), g->cell + 3 * ((a + 2) % 3), cr);
        h = fabs(sannip__det3(g->cell)) / sannip__norm3(cr);
        g->per[a] = sys->pbc[a] != 0;
        if (g->per[a]) { g->lo[a] = 0; g->span[a] = 1; }
        else {
            for (i = 0; i < sys->n; i++) {
                sannip_real u[3];
                sannip__frac(g, sys->pos + 3 * i, u);
                if (i == 0 || u[a] < umin) umin = u[a];
                if (i == 0 || u[a] > umax) umax = u[a];
            }
            g->lo[a] = umin;
            g->span[a] = (umax - umin) * (1 + 1e-9) + 1e-12;
        }
        if (g->per[a] && h < 1e-8 && sys->n > 0)
            return sannip__fail(err, SANNIP_ATOMS_OVERLAP, 0, 0, "atoms 1 and 1 (its periodic image) are on top of each other: cell thickness %g along lattice vector %d", (double)h, a + 1);
        w = g->span[a] * h;                       /* extent in Angstrom */
        {   /* bins of at least rc/2: a search of 5 x 5 x 5 bins covers 15.6 rc^3 instead of 3 x 3 x 3
               bins' 27 rc^3, and a small periodic cell (Cu2S, 144 atoms) is scanned about once
               instead of three times along each short vector (NaN fails both tests: one bin,
               never an int cast of NaN) */
            double q = (double)(2 * w / rc);
            g->nb[a] = q >= 1 ? (int)SANNIP__MIN(q, 1e6) : 1;
        }
        g->m[a] = 0;
        /* bins to search: ceil(rc / bin width) */
        {
            double binw = (double)w / g->nb[a];
            double mm = ceil((double)rc / binw - 1e-12);
            if (!g->per[a] && mm > g->nb[a]) mm = g->nb[a];
            if (!(mm <= 1e6)) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "cell is %g times thinner than the cutoff", mm);
            g->m[a] = (int)mm;
        }
    }
    {   /* bins visited per atom: refuse absurd image counts instead of running for hours */
        double visits = (2.0 * g->m[0] + 1) * (2.0 * g->m[1] + 1) * (2.0 * g->m[2] + 1);
        if (visits > 4e6) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "cell is too thin for cutoff %g: %.3g periodic image cells per atom", (double)rc, visits);
    }
    /* keep the number of bins O(N) */
    total = (double)g->nb[0] * g->nb[1] * g->nb[2];
    while (total > 2.0 * sys->n + 8) {
        int big = g->nb[0] >= g->nb[1] && g->nb[0] >= g->nb[2] ? 0 : g->nb[1] >= g->nb[2] ? 1 : 2;
        int nbnew = (g->nb[big] + 1) / 2;
        g->m[big] = (g->m[big] + 1) / 2 + 1;  /* wider bins: fewer needed (conservative) */
        if (!g->per[big] && g->m[big] > nbnew) g->m[big] = nbnew;
        g->nb[big] = nbnew;
        total = (double)g->nb[0] * g->nb[1] * g->nb[2];
    }
    return SANNIP_SUCCESS;
}

/* Squared distance below which two atoms (or images) overlap: 1e-8 A in double; in float
   the wrapping of coordinates alone moves atoms by ~1e-6 A, so 1e-4 A. */
#ifdef SANNIP_FLOAT
#define SANNIP__OVERLAP2 1e-8f
#else
#define SANNIP__OVERLAP2 1e-16
#endif
/* Bin of fractional coordinates u (wrapped into [0, 1] along periodic axes by the caller: the
   bin is never worked out again from a Cartesian position, whose fractional coordinate can
   round to just past the cell's edge and wrap to the other side, so that an atom's bin and
   its wrapped position always agree); b3 its three indices. */
static int sannip__bin_of(const sannip__grid *g, const sannip_real *u, int *b3)
{
    int a;
    for (a = 0; a < 3; a++) {
        sannip_real t = g->per[a] ? u[a] : (u[a] - g->lo[a]) / g->span[a], x = t * g->nb[a];
        int b;
        /* clamp before the cast: a NaN or out-of-range value never reaches (int) */
        if (!(x >= 0)) b = 0;
        else if (x >= g->nb[a]) b = g->nb[a] - 1;
        else b = (int)x;
        b3[a] = b;
    }
    return (b3[2] * g->nb[1] + b3[1]) * g->nb[0] + b3[0];
}

/* The first bin searched along axis a from bin b: index b - m, wrapped into the cell when
   periodic (c), and the image it lies in (s). */
static void sannip__bin_start(const sannip__grid *g, int a, int b, int *c, int *s)
{
    int x = b - g->m[a];
    *s = g->per[a] ? (int)floor((double)x / g->nb[a]) : 0;
    *c = x - *s * g->nb[a];
}
/* The next bin along axis a (c[a], s[a]): one up, into the next image past the cell's end. */
static void sannip__bin_step(const sannip__grid *g, int a, int *c, int *s)
{
    if (++c[a] == g->nb[a] && g->per[a]) { c[a] = 0; s[a]++; }
}
/* The atoms binned: per bin (index (c2 nb1 + c1) nb0 + c0) the range start[b]..start[b+1] of
   atom (their indices, ascending) and x (their wrapped positions, 3 each, contiguous so that
   a bin is scanned without chasing links); wrapped: every atom's wrapped position by index,
   bin: its bin. */
typedef struct sannip__bins { int *start, *atom, *bin; sannip_real *x, *wrapped; } sannip__bins;
/* Pairs of atom i: visits every atom in the bins around i's bin, with the periodic image
   shift implied by wrapping; with jout, the pairs' j, d (3 each) and r^2 into jout, dout, r2out
   (one slot beyond the count is written: room for count + 1). Positions are wrapped into the
   cell (wrapped = pos + shift_i) so bins and images agree. Counting (jout NULL) stops once
   the count exceeds SANNIP_MAX_NEIGHBORS: the caller refuses such an atom anyway. */
static size_t sannip__pairs_of(const sannip__grid *g, const sannip__bins *B, int i, sannip_real rc2,
                               int *jout, sannip_real *dout, sannip_real *r2out, int *overlap)
{
    int b3[3], c[3], s[3], d0, d1, d2;
    size_t cnt = 0;
    const sannip_real *xi = B->wrapped + 3 * i;
    b3[0] = B->bin[i] % g->nb[0]; b3[1] = B->bin[i] / g->nb[0] % g->nb[1]; b3[2] = B->bin[i] / g->nb[0] / g->nb[1];
    for (d0 = 0; d0 < 3; d0++) sannip__bin_start(g, d0, b3[d0], c + d0, s + d0);
    for (d2 = -g->m[2]; d2 <= g->m[2]; d2++, sannip__bin_step(g, 2, c, s)) {
        int c2 = c[2], s2 = s[2];
        if (!g->per[2] && (c2 < 0 || c2 >= g->nb[2])) continue;
        sannip__bin_start(g, 1, b3[1], c + 1, s + 1);
        for (d1 = -g->m[1]; d1 <= g->m[1]; d1++, sannip__bin_step(g, 1, c, s)) {
            int c1 = c[1], s1 = s[1];
            if (!g->per[1] && (c1 < 0 || c1 >= g->nb[1])) continue;
            sannip__bin_start(g, 0, b3[0], c, s);
            for (d0 = -g->m[0]; d0 <= g->m[0]; d0++, sannip__bin_step(g, 0, c, s)) {
                int c0 = c[0], s0 = s[0], bin, k;
                sannip_real sh[3];
                if (!g->per[0] && (c0 < 0 || c0 >= g->nb[0])) continue;
                sh[0] = s0 * g->cell[0] + s1 * g->cell[3] + s2 * g->cell[6];
                sh[1] = s0 * g->cell[1] + s1 * g->cell[4] + s2 * g->cell[7];
                sh[2] = s0 * g->cell[2] + s1 * g->cell[5] + s2 * g->cell[8];
                bin = (c2 * g->nb[1] + c1) * g->nb[0] + c0;
                for (k = B->start[bin]; k < B->start[bin + 1]; k++) {   /* branch-free: every candidate written, kept ones counted */
                    const sannip_real *xj = B->x + 3 * (size_t)k;
                    sannip_real dx = xj[0] + sh[0] - xi[0], dy = xj[1] + sh[1] - xi[1], dz = xj[2] + sh[2] - xi[2];
                    sannip_real r2 = dx * dx + dy * dy + dz * dz;
                    if (r2 < SANNIP__OVERLAP2) {   /* the atom itself, or an overlap: never a pair */
                        if (!(B->atom[k] == i && s0 == 0 && s1 == 0 && s2 == 0)) *overlap = B->atom[k];
                        r2 = rc2;
                    }
                    if (jout) { jout[cnt] = B->atom[k]; dout[3 * cnt] = dx; dout[3 * cnt + 1] = dy; dout[3 * cnt + 2] = dz; r2out[cnt] = r2; }
                    cnt += r2 < rc2;
                }
                if (!jout && cnt > (size_t)SANNIP_MAX_NEIGHBORS) return cnt;
            }
        }
    }
    return cnt;
}

/* One atom's pairs (tj, td: 3 each, tr2: r^2) into j, d, r (r = sqrt(r^2)), stably ordered by
   ascending neighbour Z so that each element's neighbours are contiguous (the descriptor
   engine runs its inner loops over such runs). */
static void sannip__order_by_element(const int *Z, const int *tj, const sannip_real *td, const sannip_real *tr2, size_t cnt,
                                     int *j, sannip_real *d, sannip_real *r)
{
    size_t p, o = 0;
    int zlast = 0;
    for (p = 1; p < cnt && Z[tj[p]] >= Z[tj[p - 1]]; p++) {}
    if (p >= cnt) {   /* already ordered */
        memcpy(j, tj, sizeof(int) * cnt);
        memcpy(d, td, sizeof(sannip_real) * 3 * cnt);
        for (p = 0; p < cnt; p++) r[p] = (sannip_real)sqrt(tr2[p]);
        return;
    }
    for (;;) {
        int zmin = SANNIP_MAX_Z + 1;
        for (p = 0; p < cnt; p++) { int z = Z[tj[p]]; if (z > zlast && z < zmin) zmin = z; }
        if (zmin > SANNIP_MAX_Z) break;
        for (p = 0; p < cnt; p++) if (Z[tj[p]] == zmin) {
            d[3 * o] = td[3 * p]; d[3 * o + 1] = td[3 * p + 1]; d[3 * o + 2] = td[3 * p + 2];
            r[o] = (sannip_real)sqrt(tr2[p]); j[o] = tj[p];
            o++;
        }
        zlast = zmin;
    }
}

/* Scratch of a neighbour-list build: the bins (sannip__bins; measured and carved by this one
   function). */
static void sannip__nl_layout(sannip__arena *a, int nbins, int n, sannip__bins *B)
{
    B->start = SANNIP__TAKE(a, (size_t)nbins + 1, int);
    B->atom = SANNIP__TAKE(a, n, int);
    B->bin = SANNIP__TAKE(a, n, int);
    B->x = SANNIP__TAKE(a, 3 * (size_t)n, sannip_real);
    B->wrapped = SANNIP__TAKE(a, 3 * (size_t)n, sannip_real);
}
/* Periodic coordinates wrapped into the cell, and the atoms sorted by bin (a counting sort:
   index order within a bin). */
static void sannip__nl_bin_atoms(const sannip__grid *g, const sannip_system *sys, int nbins, sannip__bins *B)
{
    int i, a, n = sys->n;
    sannip_real *wrapped = B->wrapped;
    for (i = 0; i <= nbins; i++) B->start[i] = 0;
    for (i = 0; i < n; i++) {
        sannip_real u[3];
        int b3[3];
        sannip__frac(g, sys->pos + 3 * i, u);
        for (a = 0; a < 3; a++) if (g->per[a]) u[a] -= floor(u[a]);
        for (a = 0; a < 3; a++) wrapped[3 * i + a] = u[0] * g->cell[a] + u[1] * g->cell[3 + a] + u[2] * g->cell[6 + a];
        for (a = 0; a < 3; a++) if (!g->per[0] && !g->per[1] && !g->per[2]) wrapped[3 * i + a] = sys->pos[3 * i + a];
        B->bin[i] = sannip__bin_of(g, u, b3);
        B->start[B->bin[i] + 1]++;
    }
    for (i = 0; i < nbins; i++) B->start[i + 1] += B->start[i];
    for (i = 0; i < n; i++) {   /* start[b] runs ahead as bin b fills ... */
        int k = B->start[B->bin[i]]++;
        B->atom[k] = i;
        for (a = 0; a < 3; a++) B->x[3 * k + a] = wrapped[3 * i + a];
    }
    for (i = nbins; i > 0; i--) B->start[i] = B->start[i - 1];   /* ... and is moved back */
    B->start[0] = 0;
}
/* Pass 1: the neighbour count of every atom into start[i + 1], refusing overlapping atoms
   and atoms with more than SANNIP_MAX_NEIGHBORS neighbours before any pair is stored. */
static sannip_result sannip__nl_count(sannip_neighbors *nl, const sannip__grid *g, const sannip_system *sys, const sannip__bins *B,
                                      sannip_real cutoff, const int *mask, sannip_error *err)
{
    int i, n = sys->n, bad = -1, badj = -1;
#ifdef SANNIP__OMP
#pragma omp parallel for schedule(static) if (n > 256)
#endif
    for (i = 0; i < n; i++) {
        int ov = -1;
        nl->start[i + 1] = (mask && !mask[i]) ? 0 : sannip__pairs_of(g, B, i, cutoff * cutoff, NULL, NULL, NULL, &ov);
        if (ov >= 0) {
#ifdef SANNIP__OMP
#pragma omp critical(sannip_overlap)
#endif
            if (bad < 0 || i < bad) { bad = i; badj = ov; }
        }
    }
    if (bad >= 0) return sannip__fail(err, SANNIP_ATOMS_OVERLAP, 0, 0, "atoms %d and %d (or its periodic image) are on top of each other", bad + 1, badj + 1);
    for (i = 0; i < n; i++)
        if (nl->start[i + 1] > (size_t)SANNIP_MAX_NEIGHBORS)
            return sannip__fail(err, SANNIP_TOO_MANY_NEIGHBORS, 0, 0, "atom %d has more than %d neighbours within %g (SANNIP_MAX_NEIGHBORS): "
                                "a cell far thinner than the cutoff, or a cutoff far too large?", i + 1, SANNIP_MAX_NEIGHBORS, (double)cutoff);
    nl->start[0] = 0;
    for (i = 0; i < n; i++) nl->start[i + 1] += nl->start[i];
    return SANNIP_SUCCESS;
}
/* Room for total pairs (j, r, d) and the per-thread buffers of the element ordering (5 reals
   per pair of the busiest atom); *maxc receives that atom's count. */
static sannip_result sannip__nl_reserve(sannip_neighbors *nl, int n, size_t total, size_t *maxc, sannip_error *err)
{
    size_t cap = nl->cap_pairs, c2 = nl->cap_pairs, c3 = nl->cap_pairs, need_sort;
    void *p = nl->j, *pr = nl->r, *pd = nl->d, *ps = nl->sort;
    sannip_result r;
    int i, nth = 1;
    if ((r = sannip__grow(&nl->alloc, &p, &cap, total, sizeof(int))) != SANNIP_SUCCESS) return sannip__fail(err, r, 0, 0, "%zu neighbour pairs", total);
    nl->j = (int *)p;
    if ((r = sannip__grow(&nl->alloc, &pr, &c2, total, sizeof(sannip_real))) != SANNIP_SUCCESS) return sannip__fail(err, r, 0, 0, "%zu neighbour pairs", total);
    nl->r = (sannip_real *)pr;
    if ((r = sannip__grow(&nl->alloc, &pd, &c3, total, 3 * sizeof(sannip_real))) != SANNIP_SUCCESS) return sannip__fail(err, r, 0, 0, "%zu neighbour pairs", total);
    nl->d = (sannip_real *)pd;
    nl->cap_pairs = SANNIP__MIN(cap, SANNIP__MIN(c2, c3));
#ifdef SANNIP__OMP
    nth = omp_get_max_threads();
#endif
    for (*maxc = 0, i = 0; i < n; i++) if (nl->start[i + 1] - nl->start[i] > *maxc) *maxc = nl->start[i + 1] - nl->start[i];
    need_sort = 5 * (*maxc + 1) * (size_t)nth;
    if ((r = sannip__grow(&nl->alloc, &ps, &nl->cap_sort, need_sort, sizeof(sannip_real))) != SANNIP_SUCCESS) return sannip__fail(err, r, 0, 0, "neighbour list buffers");
    nl->sort = (sannip_real *)ps;
    return SANNIP_SUCCESS;
}
/* Pass 2: every atom's pairs stored, ordered by neighbour element (one buffer per thread). */
static void sannip__nl_fill(sannip_neighbors *nl, const sannip__grid *g, const sannip_system *sys, const sannip__bins *B,
                            sannip_real cutoff, size_t maxc, const int *mask)
{
    int n = sys->n;
#ifdef SANNIP__OMP
#pragma omp parallel if (n > 256)
#endif
    {
        int t = 0, i, *tj;
        sannip_real *tmp;
#ifdef SANNIP__OMP
        t = omp_get_thread_num();
#endif
        tmp = nl->sort + 5 * (maxc + 1) * (size_t)t;   /* d (3), r^2 (1), j (1: an int in a real's room) per pair */
        tj = (int *)(void *)(tmp + 4 * (maxc + 1));
#ifdef SANNIP__OMP
#pragma omp for schedule(static)
#endif
        for (i = 0; i < n; i++) {
            int ov = -1;
            size_t s = nl->start[i], cnt;
            if (mask && !mask[i]) continue;
            cnt = sannip__pairs_of(g, B, i, cutoff * cutoff, tj, tmp, tmp + 3 * (maxc + 1), &ov);
            sannip__order_by_element(sys->Z, tj, tmp, tmp + 3 * (maxc + 1), cnt, nl->j + s, nl->d + 3 * s, nl->r + s);
        }
    }
}
/* sannip_neighbors_build; with a mask, only the atoms with mask[i] != 0 get their pairs
   (the others, ghosts of a domain, are neighbours only: an empty range). */
static sannip_result sannip__neighbors_build(sannip_neighbors *nl, const sannip_system *sys, sannip_real cutoff,
                                             const int *mask, sannip_error *err)
{
    sannip__grid g;
    sannip__arena a;
    sannip_result r;
    sannip__bins B;
    int n, nbins;
    size_t cap, maxc = 0;
    void *p;
    if (!nl || !sys) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if (!(cutoff > 0) || !isfinite(cutoff)) return sannip__fail(err, SANNIP_BAD_CUTOFF, 0, 0, "cutoff %g must be positive and finite", (double)cutoff);
    if ((r = sannip_system_check(sys, err)) != SANNIP_SUCCESS) return r;
    n = sys->n;
    if ((r = sannip__grid_setup(&g, sys, cutoff, err)) != SANNIP_SUCCESS) return r;
    nbins = g.nb[0] * g.nb[1] * g.nb[2];
    a = sannip__arena_begin(NULL, 0);
    sannip__nl_layout(&a, nbins, n, &B);
    p = nl->scratch; cap = nl->cap_scratch;
    if ((r = sannip__grow(&nl->alloc, &p, &cap, sannip__arena_reals(&a), sizeof(sannip_real))) != SANNIP_SUCCESS) return sannip__fail(err, r, 0, 0, "neighbour list scratch (%d atoms)", n);
    nl->scratch = (sannip_real *)p; nl->cap_scratch = cap;
    a = sannip__arena_begin(nl->scratch, cap * sizeof(sannip_real));
    sannip__nl_layout(&a, nbins, n, &B);
    sannip__nl_bin_atoms(&g, sys, nbins, &B);
    p = nl->start; cap = nl->cap_atoms;
    if ((r = sannip__grow(&nl->alloc, &p, &cap, (size_t)n + 1, sizeof(size_t))) != SANNIP_SUCCESS) return sannip__fail(err, r, 0, 0, "neighbour list offsets");
    nl->start = (size_t *)p; nl->cap_atoms = cap;
    if ((r = sannip__nl_count(nl, &g, sys, &B, cutoff, mask, err)) != SANNIP_SUCCESS) return r;
    if ((r = sannip__nl_reserve(nl, n, nl->start[n], &maxc, err)) != SANNIP_SUCCESS) return r;
    sannip__nl_fill(nl, &g, sys, &B, cutoff, maxc, mask);
    nl->n_atoms = n; nl->n_pairs = nl->start[n]; nl->cutoff = cutoff;
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_neighbors_build(sannip_neighbors *nl, const sannip_system *sys,
                                                sannip_real cutoff, sannip_error *err)
{
    return sannip__neighbors_build(nl, sys, cutoff, NULL, err);
}

/* ---- 5. CUTOFFS ----------------------------------------------------------------------- */
static const char *const sannip__cut_names[SANNIP_CUT_COUNT] = {
    "hard", "cos", "tanhu", "tanh", "exp", "poly1", "poly2", "poly3", "poly4", "fspline" };
SANNIP_API const char *sannip_cutoff_name(int type)
{
    return (type >= 0 && type < SANNIP_CUT_COUNT) ? sannip__cut_names[type] : "?";
}
SANNIP_API sannip_result sannip_cutoff_make(sannip_cutoff *c, int type, sannip_real rc,
                                            sannip_real alpha, sannip_error *err)
{
    if (!c) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "cutoff is NULL");
    memset(c, 0, sizeof *c);
    if (type < 0 || type >= SANNIP_CUT_COUNT || type == SANNIP_CUT_FSPLINE)
        return sannip__fail(err, SANNIP_BAD_CUTOFF, 0, 0, "unknown cutoff type %d", type);
    if (!(rc > 0) || !isfinite(rc)) return sannip__fail(err, SANNIP_BAD_CUTOFF, 0, 0, "cutoff radius %g must be > 0", (double)rc);
    if (!(alpha >= 0 && alpha < 1)) return sannip__fail(err, SANNIP_BAD_CUTOFF, 0, 0, "inner cutoff fraction %g must be in [0, 1)", (double)alpha);
    c->type = type; c->rc = rc; c->alpha = alpha;
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_cutoff_make_fspline(sannip_cutoff *c, sannip_real eps_dn,
        sannip_real rs, sannip_real eps_up, int xi_dn, int xi_up, sannip_error *err)
{
    if (!c) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "cutoff is NULL");
    memset(c, 0, sizeof *c);
    if (!(eps_dn > 0) || !(eps_up > 0) || !isfinite(eps_dn) || !isfinite(eps_up) || !isfinite(rs))
        return sannip__fail(err, SANNIP_BAD_CUTOFF, 0, 0, "Fourier-spline widths must be > 0 (eps_dn %g, eps_up %g)", (double)eps_dn, (double)eps_up);
    if (rs - eps_dn < 0) return sannip__fail(err, SANNIP_BAD_CUTOFF, 0, 0, "Fourier-spline window starts below 0 (rs %g - eps_dn %g)", (double)rs, (double)eps_dn);
    if (xi_dn < 2 || xi_up < 2 || (xi_dn & 1) || (xi_up & 1))
        return sannip__fail(err, SANNIP_BAD_CUTOFF, 0, 0, "Fourier-spline exponents must be even and >= 2 (T C.3), got %d, %d", xi_dn, xi_up);
    c->type = SANNIP_CUT_FSPLINE; c->eps_dn = eps_dn; c->rs = rs; c->eps_up = eps_up;
    c->xi_dn = xi_dn; c->xi_up = xi_up; c->rc = rs + eps_up; c->alpha = 0;
    return SANNIP_SUCCESS;
}
static sannip_real sannip__ipow(sannip_real x, int n)
{
    sannip_real r = 1;
    while (n > 0) { if (n & 1) r *= x; x *= x; n >>= 1; }
    return r;
}
/* exp(v) = (1 + q) 2^k: returns q and sets *sc = 2^k. Cody-Waite reduction v = k ln2 + t,
   |t| <= ln2/2, q = t + t^2/2 + ... a Taylor polynomial without its constant term (double:
   degree 13, relative error < 2e-16; float: degree 7, < 1e-8), so that exp - 1 keeps full
   relative accuracy near 0, and 2^k assembled in the exponent bits. Branch-free and in one
   precision so that the loops calling it vectorise; v below -708 (float: -87) gives ~0. */
#ifdef SANNIP_FLOAT
SANNIP__INLINE float sannip__exp_reduce(float v, float *sc)
{
    float kf, t, p, big;
    uint32_t bits;
    v = v < -87.0f ? -87.0f : v > 87.0f ? 87.0f : v;
    big = v * 1.44269504f + 12582912.0f;                  /* 1.5 * 2^23: round to int */
    kf = big - 12582912.0f;
    t = v - kf * 0.693145752f - kf * 1.42860677e-6f;
    p = 1.0f / 5040.0f;
    p = p * t + 1.0f / 720.0f; p = p * t + 1.0f / 120.0f; p = p * t + 1.0f / 24.0f;
    p = p * t + 1.0f / 6.0f;   p = p * t + 0.5f;          p = p * t + 1.0f;
    memcpy(&bits, &big, sizeof bits);
    bits = (bits + 127u) << 23;   /* the low 9 bits of big's pattern hold k (mod 2^9) */
    memcpy(sc, &bits, sizeof *sc);
    return p * t;
}
#endif
SANNIP__INLINE double sannip__exp_reduce_d(double v, double *sc)
{
    double kf, t, p, big;
    uint64_t bits;
    v = v < -708 ? -708 : v > 708 ? 708 : v;
    big = v * 1.4426950408889634 + 6755399441055744.0;     /* 1.5 * 2^52: round to int */
    kf = big - 6755399441055744.0;
    t = v - kf * 0.693147180559890330187 - kf * 5.4979230187083711552e-14;
    p = 1.0 / 6227020800.0;
    p = p * t + 1.0 / 479001600.0; p = p * t + 1.0 / 39916800.0; p = p * t + 1.0 / 3628800.0;
    p = p * t + 1.0 / 362880.0;    p = p * t + 1.0 / 40320.0;    p = p * t + 1.0 / 5040.0;
    p = p * t + 1.0 / 720.0;       p = p * t + 1.0 / 120.0;      p = p * t + 1.0 / 24.0;
    p = p * t + 1.0 / 6.0;         p = p * t + 0.5;              p = p * t + 1.0;
    memcpy(&bits, &big, sizeof bits);
    bits = (bits + 1023) << 52;   /* the low 12 bits of big's pattern hold k (mod 2^12) */
    memcpy(sc, &bits, sizeof *sc);
    return p * t;
}
#ifndef SANNIP_FLOAT
#define sannip__exp_reduce sannip__exp_reduce_d
#endif
/* exp(x) over an array, in place. */
static void sannip__exp_array(sannip_real *x, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        sannip_real sc, q = sannip__exp_reduce(x[i], &sc);
        x[i] = sc + q * sc;
    }
}
/* tanh(z) in place and its derivative 1 - tanh^2 over an array: with a = |z| and
   e = exp(-2a) - 1 = q 2^k + (2^k - 1) (exact at k = 0, a few ulp elsewhere),
   tanh a = -e / (2 + e), a few ulp everywhere. The one tanh of the library (activations,
   the tanh cutoffs); it vectorises, unlike libm's. */
static void sannip__tanh_array(sannip_real *z, sannip_real *dz, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        sannip_real a = z[i] < 0 ? -z[i] : z[i], sc, q = sannip__exp_reduce(-2 * a, &sc), e = q * sc + (sc - 1), y = (0 - e) / (2 + e);
        y = z[i] < 0 ? -y : y;
        z[i] = y; dz[i] = 1 - y * y;
    }
}
static sannip_real sannip__tanh(sannip_real x)
{
    sannip_real d;
    sannip__tanh_array(&x, &d, 1);
    return x;
}
/* ---- Portable transcendental functions. libm's exp, log, sin and cos differ in the last bit
   between platforms (glibc's x86-64 and s390x builds use fused multiply-adds, its i386 and
   armhf builds do not: cos of 2e6 arguments hashes differently on x86-64 and armhf), and one
   flipped bit in a descriptor or an initial weight changes a trained model. Everything the
   library computes from data, weights or random numbers goes through these instead: built
   from IEEE-754 +, -, *, / and sqrt, which round alike on every target, they give the same
   bits everywhere (tests/cross/run.sh compares model files byte for byte on s390x, i386 and
   armhf). Double precision in both builds, within 2 ulp of the exact values (test_descriptors
   checks them against libm over their ranges). */
/* e^x for any x: the array kernel's reduction, squared once or twice beyond its range. */
static double sannip__exp(double x)
{
    double sc, q;
    if (x != x) return x;
    if (x > 1500) return HUGE_VAL;
    if (x < -1500) return 0;
    if (x < -708 || x > 708) { q = sannip__exp(0.5 * x); return q * q; }
    q = sannip__exp_reduce_d(x, &sc);
    return sc + q * sc;
}
/* ln x for a positive normal finite x, times 2^-k0 (the scaling of a subnormal): x = 2^k m
   with m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact), s = f/(2 + f) and
   ln(1 + f) = 2 atanh(s) = f - s (f - R), R = sum_k 2 s^(2k)/(2k + 1) (ten terms, |s| < 0.172),
   so that the rounding of s enters only the small correction; k ln 2 in two parts (ln2_hi
   has 21 trailing zero bits: k ln2_hi is exact). Branch-free, so that a loop over it
   vectorises (sannip__softplus_array). */
SANNIP__INLINE double sannip__log_normal(double x, int k0)
{
    uint64_t bits;
    double m, f, s, z, R;
    int k, hi;
    memcpy(&bits, &x, sizeof bits);
    k = k0 + (int)((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    memcpy(&m, &bits, sizeof m);
    hi = m > 1.4142135623730951;
    m = hi ? m * 0.5 : m; k += hi;
    f = m - 1; s = f / (2 + f); z = s * s;
    R = 2.0 / 21;
    R = R * z + 2.0 / 19; R = R * z + 2.0 / 17; R = R * z + 2.0 / 15; R = R * z + 2.0 / 13; R = R * z + 2.0 / 11;
    R = R * z + 2.0 / 9;  R = R * z + 2.0 / 7;  R = R * z + 2.0 / 5;  R = R * z + 2.0 / 3;
    R *= z;
    return k * 0.6931471803691238 + ((f - s * (f - R)) + k * 1.9082149292705877e-10);
}
/* ln x for any x (sannip__log_normal after the special cases). */
static double sannip__log(double x)
{
    if (x != x || x < 0) return (double)NAN;
    if (x == 0) return -HUGE_VAL;
    if (x == HUGE_VAL) return x;
    if (x < 2.2250738585072014e-308) return sannip__log_normal(x * 18014398509481984.0, -54);   /* subnormal: x 2^54 */
    return sannip__log_normal(x, 0);
}
/* softplus ln(1 + e^z) in place and its derivative, the logistic e^z/(1 + e^z), over an array
   (shifted by -ln 2 when ssp); n2p2's limits (NeuralNetwork.cpp, EXP_LIMIT = 35): z itself
   above 35, 0 below -35. The one softplus of the library, with the bits of sannip__exp and
   sannip__log (double e^z in both builds); it vectorises (gcc 12 needs e^z and the log in two
   loops, and the limits as arithmetic: a select of the log becomes a branch). */
static void sannip__softplus_array(sannip_real *z, sannip_real *dz, size_t n, int ssp)
{
    size_t i0, i;
    for (i0 = 0; i0 < n; i0 += 64) {
        size_t m = n - i0 < 64 ? n - i0 : 64;
        sannip_real e[64], *SANNIP__RESTRICT x = z + i0, *SANNIP__RESTRICT d = dz + i0;
        for (i = 0; i < m; i++) {
            double sc, q = sannip__exp_reduce_d(x[i] < -35 ? -35 : x[i] > 35 ? 35 : x[i], &sc);
            e[i] = (sannip_real)(sc + q * sc);
        }
        for (i = 0; i < m; i++) {
            sannip_real y = (sannip_real)sannip__log_normal((double)(1 + e[i]), 0), g = e[i] / (1 + e[i]);
            sannip_real lo = x[i] < -35, hi = x[i] > 35, in = 1 - lo - hi, big = x[i] > 35 ? x[i] : 0;
            y = big + in * y + (e[i] - e[i]);   /* e - e: NaN in, NaN out (0 otherwise: e is finite) */
            g = hi + in * g;
            x[i] = ssp ? y - (sannip_real)0.6931471805599453 : y; d[i] = g;
        }
    }
}
/* sin(pi y) and cos(pi y) for |y| <= 1/4 by Taylor polynomials in t = pi y (to t^17 and t^18:
   the next terms are below 1e-19 relative), accurate relative to their values near 0. */
static void sannip__sincospi_quarter(double y, double *s, double *c)
{
    double t = 3.14159265358979323846 * y, t2 = t * t, p, q;
    p = 1.0 / 355687428096000.0;                   /* 1/17! */
    p = p * t2 - 1.0 / 1307674368000.0; p = p * t2 + 1.0 / 6227020800.0; p = p * t2 - 1.0 / 39916800.0;
    p = p * t2 + 1.0 / 362880.0;        p = p * t2 - 1.0 / 5040.0;       p = p * t2 + 1.0 / 120.0;
    p = p * t2 - 1.0 / 6.0;
    q = 1.0 / 6402373705728000.0;                  /* 1/18! */
    q = q * t2 - 1.0 / 20922789888000.0; q = q * t2 + 1.0 / 87178291200.0; q = q * t2 - 1.0 / 479001600.0;
    q = q * t2 + 1.0 / 3628800.0;        q = q * t2 - 1.0 / 40320.0;       q = q * t2 + 1.0 / 720.0;
    q = q * t2 - 1.0 / 24.0;             q = q * t2 + 0.5;
    *s = t + t * t2 * p;
    *c = 1 - t2 * q;
}
/* sin(pi x) and cos(pi x) for any finite x: r = |x| mod 2 (fmod is exact; the sign by
   symmetry, since r + 2 would round), then r = q/2 + y with |y| <= 1/4 (exact) and the
   quarter turn q applied by symmetry. */
static void sannip__sincospi(double x, double *s, double *c)
{
    double r = fmod(x < 0 ? -x : x, 2.0), sy, cy, sg = x < 0 ? -1 : 1;
    int q = (int)(2 * r + 0.5);
    sannip__sincospi_quarter(r - 0.5 * q, &sy, &cy);
    switch (q & 3) {
    case 0:  *s = sg * sy;  *c = cy;  break;
    case 1:  *s = sg * cy;  *c = -sy; break;
    case 2:  *s = -sg * sy; *c = -cy; break;
    default: *s = -sg * cy; *c = sy;  break;
    }
}
/* sin x and cos x through sannip__sincospi(x/pi): the phase carries x's rounding times
   |x| 1.2e-16 (a few ulp for the moderate angles the library turns by). */
static void sannip__sincos(double x, double *s, double *c)
{
    sannip__sincospi(x * 0.3183098861837907, s, c);
}
/* sannip__sincospi into sannip_real (the float build rounds the double results once). */
static void sannip__sincospi_real(double x, sannip_real *s, sannip_real *c)
{
    double sd, cd;
    sannip__sincospi(x, &sd, &cd);
    *s = (sannip_real)sd; *c = (sannip_real)cd;
}
/* x^y: integer y (|y| <= 64) by repeated squaring, so 2^-3 and (-2)^3 are exact; otherwise
   e^(y ln x) for x > 0 (relative error ~ |y ln x| 1.1e-16), 0 or inf at x = 0, NaN below. */
static double sannip__pow(double x, double y)
{
    double r = 1, b = x;
    int n;
    if (y >= -64 && y <= 64 && y == (double)(int)y) {
        for (n = y < 0 ? -(int)y : (int)y; n > 0; n >>= 1) { if (n & 1) r *= b; b *= b; }
        return y < 0 ? 1 / r : r;
    }
    if (x > 0) return sannip__exp(y * sannip__log(x));
    if (x == 0) return y > 0 ? 0 : HUGE_VAL;
    return (double)NAN;
}
/* The cutoff value and derivative; the hot path of every descriptor. */
/* n2p2's polynomial cutoffs (types POLY1-4) at x = (r - alpha rc)/(rc - alpha rc) in [0, 1],
   written as (1-x)^k q(x): the same functions, without the cancellation of 1 + x^k(...) near
   the cutoff; *df = df/dr (iw = 1/(rc - alpha rc)). */
SANNIP__INLINE sannip_real sannip__fc_poly(int type, sannip_real x, sannip_real iw, sannip_real *df)
{
    sannip_real y = 1 - x, xy = x * y, y2 = y * y;
    switch (type) {
    case SANNIP_CUT_POLY1: *df = -6 * x * y * iw; return y2 * (1 + 2 * x);
    case SANNIP_CUT_POLY2: *df = -30 * xy * xy * iw; return y2 * y * (1 + x * (3 + 6 * x));
    case SANNIP_CUT_POLY3: *df = -140 * xy * xy * xy * iw; return y2 * y * y * (1 + x * (4 + x * (10 + 20 * x)));
    default:               *df = -630 * xy * xy * xy * xy * iw; return y2 * y2 * y * (1 + x * (5 + x * (15 + x * (35 + 70 * x))));
    }
}
static sannip_real sannip__fc(const sannip_cutoff *c, sannip_real r, sannip_real *df)
{
    sannip_real x, iw, t, f;
    if (r >= c->rc) { *df = 0; return 0; }
    switch (c->type) {
    case SANNIP_CUT_HARD: *df = 0; return 1;
    case SANNIP_CUT_TANHU:
        t = sannip__tanh(1 - r / c->rc);
        *df = 3 * t * t * (t * t - 1) / c->rc;
        return t * t * t;
    case SANNIP_CUT_TANH: {
        const sannip_real pre = (sannip_real)2.2637537952253513;  /* 1/tanh^3(1) */
        t = sannip__tanh(1 - r / c->rc);
        *df = 3 * pre * t * t * (t * t - 1) / c->rc;
        return pre * t * t * t;
    }
    case SANNIP_CUT_FSPLINE: {
        sannip_real lo = c->rs - c->eps_dn, s, co, k;
        if (r < lo) { *df = 0; return 0; }
        if (r < c->rs) {   /* rising: 1 - cos^xi(pi (r - lo) / (2 eps_dn)), T C.2 */
            k = (sannip_real)SANNIP__PI / (2 * c->eps_dn);
            sannip__sincospi_real((r - lo) / (2 * c->eps_dn), &s, &co);
            t = sannip__ipow(co, c->xi_dn - 1);
            *df = c->xi_dn * t * s * k;
            return 1 - t * co;
        }
        /* falling: 1 - sin^xi(pi (r - rs) / (2 eps_up)), the evident intent of T C.2 */
        k = (sannip_real)SANNIP__PI / (2 * c->eps_up);
        sannip__sincospi_real((r - c->rs) / (2 * c->eps_up), &s, &co);
        t = sannip__ipow(s, c->xi_up - 1);
        *df = -c->xi_up * t * co * k;
        return 1 - t * s;
    }
    default: break;
    }
    /* types with an inner cutoff: f = 1 below alpha rc */
    if (r < c->alpha * c->rc) { *df = 0; return 1; }
    iw = 1 / (c->rc - c->alpha * c->rc);
    x = (r - c->alpha * c->rc) * iw;
    switch (c->type) {
    case SANNIP_CUT_COS: {
        double sn, cs;
        sannip__sincospi(x, &sn, &cs);
        *df = -(sannip_real)(SANNIP__PI / 2) * iw * (sannip_real)sn;
        return (sannip_real)0.5 * ((sannip_real)cs + 1);
    }
    case SANNIP_CUT_EXP: {
        sannip_real tmp = 1 / (x * x - 1), e = (sannip_real)(2.718281828459045 * sannip__exp(tmp));
        *df = -2 * x * tmp * tmp * e * iw;
        return e;
    }
    case SANNIP_CUT_POLY1: case SANNIP_CUT_POLY2: case SANNIP_CUT_POLY3: case SANNIP_CUT_POLY4:
        return sannip__fc_poly(c->type, x, iw, df);
    }
    f = 0; *df = 0;
    return f;
}
SANNIP_API sannip_real sannip_cutoff_eval(const sannip_cutoff *c, sannip_real r, sannip_real *df)
{
    sannip_real d;
    sannip_real f = sannip__fc(c, r, &d);
    if (df) *df = d;
    return f;
}
static int sannip__cutoff_equal(const sannip_cutoff *a, const sannip_cutoff *b)
{
    return a->type == b->type && a->rc == b->rc && a->alpha == b->alpha && a->eps_dn == b->eps_dn
        && a->rs == b->rs && a->eps_up == b->eps_up && a->xi_dn == b->xi_dn && a->xi_up == b->xi_up;
}
static sannip_result sannip__cutoff_check(const sannip_cutoff *c, sannip_error *err)
{
    sannip_cutoff t;
    if (c->type == SANNIP_CUT_FSPLINE) return sannip_cutoff_make_fspline(&t, c->eps_dn, c->rs, c->eps_up, c->xi_dn, c->xi_up, err);
    return sannip_cutoff_make(&t, c->type, c->rc, c->alpha, err);
}

/* ---- 6. DESCRIPTORS ------------------------------------------------------------------- */
/* The kind table: one row per basis kind holds everything the library knows about it:
   its name in definition files, element arity, class, flags, the keys it reads and writes,
   the check of its parameters and, for spin kinds, its evaluator (geometric kinds are
   evaluated by the engine's shared pair and triplet loops, chosen by the ANGULAR flag).
   A new kind is one row here plus, for a spin kind, its evaluator. */
struct sannip__spin_cache;
struct sannip__spin_out;
typedef sannip_real (*sannip__spin_term)(const sannip_basis *b, const sannip_env *env, const sannip_real *u,
                                         struct sannip__spin_cache *C, const struct sannip__spin_out *o, int deriv);
typedef sannip_result (*sannip__kind_check)(const sannip_basis *b, sannip_error *err);

/* Keys of a kind, written in this order by sannip_basis_format. */
#define SANNIP__P_CUT     0x001u  /* cut=TYPE rc=R [alpha=A] */
#define SANNIP__P_ETA_RS  0x002u  /* eta= rs= */
#define SANNIP__P_SHIFT   0x004u  /* eta= shift= (spin Gaussians) */
#define SANNIP__P_XI      0x008u  /* xi= (spin powers) */
#define SANNIP__P_EPS     0x010u  /* eps= (F1, F2, F4-F6 smoothing) */
#define SANNIP__P_LZ      0x020u  /* lambda= zeta= */
#define SANNIP__P_ETA2    0x040u  /* eta2= rs2= */
#define SANNIP__P_ANGLE   0x080u  /* eta_t= theta_s= */
#define SANNIP__P_FB      0x100u  /* fb= (Fourier-spline window of r_ij) */
#define SANNIP__P_FB2     0x200u  /* fb2= (second window, r_ik) */
#define SANNIP__K_ZW      0x1000u /* neighbours may be Z-weighted (n2p2 types 12, 13) */
#define SANNIP__K_ORDERED 0x2000u /* three-body sum over ordered pairs (j, k), j != k */

typedef struct sannip__kind_info {
    const char *name;
    int arity;                /* element fields: 1 centre, 2 centre + j, 3 centre + j + k */
    int cls;                  /* SANNIP_CLASS_* */
    unsigned flags;           /* SANNIP_BASIS_* | SANNIP__K_* */
    unsigned keys;            /* SANNIP__P_* */
    int bracket;              /* spin pair kinds: the bracket (SANNIP_SPIN_S2..S5), else 0 */
    sannip__kind_check check;
    sannip__spin_term eval;   /* spin kinds only */
} sannip__kind_info;

static sannip_result sannip__check_geometric(const sannip_basis *b, sannip_error *err);
static sannip_result sannip__check_spin(const sannip_basis *b, sannip_error *err);
static sannip_real sannip__spin_self(const sannip_basis *b, const sannip_env *env, const sannip_real *u,
                                     struct sannip__spin_cache *C, const struct sannip__spin_out *o, int deriv);
static sannip_real sannip__spin_pairsum(const sannip_basis *b, const sannip_env *env, const sannip_real *u,
                                        struct sannip__spin_cache *C, const struct sannip__spin_out *o, int deriv);
static sannip_real sannip__spin_f123(const sannip_basis *b, const sannip_env *env, const sannip_real *u,
                                     struct sannip__spin_cache *C, const struct sannip__spin_out *o, int deriv);
static sannip_real sannip__spin_f456(const sannip_basis *b, const sannip_env *env, const sannip_real *u,
                                     struct sannip__spin_cache *C, const struct sannip__spin_out *o, int deriv);

#define SANNIP__RAD   (SANNIP_BASIS_RADIAL | SANNIP_BASIS_NEIGHBORS)
#define SANNIP__ANG   (SANNIP_BASIS_ANGULAR | SANNIP_BASIS_NEIGHBORS)
#define SANNIP__SPIN0 (SANNIP_BASIS_SPIN | SANNIP_BASIS_RADIAL)
#define SANNIP__SPINP (SANNIP_BASIS_SPIN | SANNIP_BASIS_NEIGHBORS | SANNIP_BASIS_PAIR_ADDITIVE)
#define SANNIP__SPINF (SANNIP_BASIS_SPIN | SANNIP_BASIS_NEIGHBORS | SANNIP_BASIS_RADIAL | SANNIP_BASIS_GAUSSIAN)
#define SANNIP__GEO   sannip__check_geometric
#define SANNIP__SPN   sannip__check_spin
static const sannip__kind_info sannip__kinds[SANNIP_BASIS_KIND_COUNT] = {
    /* name           arity class                 flags                                        keys                                          bracket          check        eval */
    { "?",            0, 0,                    0,                                           0,                                            0,               0,           0 },
    { "g2",           2, SANNIP_CLASS_RADIAL,  SANNIP__RAD | SANNIP__K_ZW,                  SANNIP__P_CUT | SANNIP__P_ETA_RS,             0,               SANNIP__GEO, 0 }, /* T2.18 */
    { "g4",           3, SANNIP_CLASS_ANGULAR, SANNIP__ANG | SANNIP__K_ZW,                  SANNIP__P_CUT | SANNIP__P_ETA_RS | SANNIP__P_LZ, 0,            SANNIP__GEO, 0 }, /* T2.21 */
    { "g5",           3, SANNIP_CLASS_ANGULAR, SANNIP__ANG | SANNIP__K_ZW,                  SANNIP__P_CUT | SANNIP__P_ETA_RS | SANNIP__P_LZ, 0,            SANNIP__GEO, 0 }, /* n2p2 9 */
    { "gf_radial",    2, SANNIP_CLASS_RADIAL,  SANNIP__RAD,                                 SANNIP__P_ETA_RS | SANNIP__P_FB,              0,               SANNIP__GEO, 0 }, /* T C.5 */
    { "gf_biradial",  3, SANNIP_CLASS_ANGULAR, SANNIP__ANG | SANNIP__K_ORDERED,             SANNIP__P_ETA_RS | SANNIP__P_ETA2 | SANNIP__P_FB | SANNIP__P_FB2, 0, SANNIP__GEO, 0 }, /* T C.9 */
    { "gf_angular1",  3, SANNIP_CLASS_ANGULAR, SANNIP__ANG | SANNIP__K_ORDERED,             SANNIP__P_ETA_RS | SANNIP__P_ETA2 | SANNIP__P_ANGLE | SANNIP__P_FB | SANNIP__P_FB2, 0, SANNIP__GEO, 0 }, /* T C.31 */
    { "gf_angular2",  3, SANNIP_CLASS_ANGULAR, SANNIP__ANG | SANNIP__K_ORDERED,             SANNIP__P_ANGLE | SANNIP__P_FB | SANNIP__P_FB2, 0,             SANNIP__GEO, 0 }, /* T C.37 */
    { "spin_s1",      1, SANNIP_CLASS_SPIN,    SANNIP__SPIN0,                               SANNIP__P_XI,                                 0,               SANNIP__SPN, sannip__spin_self },    /* T3.1, 3.11, 3.12 */
    { "spin_s2",      2, SANNIP_CLASS_SPIN,    SANNIP__SPINP | SANNIP_BASIS_RADIAL,         SANNIP__P_CUT | SANNIP__P_XI,                 SANNIP_SPIN_S2,  SANNIP__SPN, sannip__spin_pairsum }, /* T3.2, 3.13 */
    { "spin_s3",      2, SANNIP_CLASS_SPIN,    SANNIP__SPINP,                               SANNIP__P_CUT | SANNIP__P_XI,                 SANNIP_SPIN_S3,  SANNIP__SPN, sannip__spin_pairsum }, /* T3.3, 3.14 */
    { "spin_s4",      2, SANNIP_CLASS_SPIN,    SANNIP__SPINP,                               SANNIP__P_CUT | SANNIP__P_XI,                 SANNIP_SPIN_S4,  SANNIP__SPN, sannip__spin_pairsum }, /* T3.4, 3.15 */
    { "spin_s5",      2, SANNIP_CLASS_SPIN,    SANNIP__SPINP,                               SANNIP__P_CUT | SANNIP__P_XI,                 SANNIP_SPIN_S5,  SANNIP__SPN, sannip__spin_pairsum }, /* T3.16 */
    { "spin_s1g",     1, SANNIP_CLASS_SPIN,    SANNIP__SPIN0 | SANNIP_BASIS_GAUSSIAN,       SANNIP__P_SHIFT | SANNIP__P_XI,               0,               SANNIP__SPN, sannip__spin_self },    /* T3.17 (001) */
    { "spin_s2g",     2, SANNIP_CLASS_SPIN,    SANNIP__SPINP | SANNIP_BASIS_RADIAL | SANNIP_BASIS_GAUSSIAN, SANNIP__P_CUT | SANNIP__P_SHIFT, SANNIP_SPIN_S2, SANNIP__SPN, sannip__spin_pairsum }, /* T3.18 (001) */
    { "spin_s3g",     2, SANNIP_CLASS_SPIN,    SANNIP__SPINP | SANNIP_BASIS_GAUSSIAN,       SANNIP__P_CUT | SANNIP__P_SHIFT,              SANNIP_SPIN_S3,  SANNIP__SPN, sannip__spin_pairsum }, /* T3.19 (001) */
    { "spin_s4g",     2, SANNIP_CLASS_SPIN,    SANNIP__SPINP | SANNIP_BASIS_GAUSSIAN,       SANNIP__P_CUT | SANNIP__P_SHIFT,              SANNIP_SPIN_S4,  SANNIP__SPN, sannip__spin_pairsum }, /* T3.20 (001) */
    { "spin_s5g",     2, SANNIP_CLASS_SPIN,    SANNIP__SPINP | SANNIP_BASIS_GAUSSIAN,       SANNIP__P_CUT | SANNIP__P_SHIFT,              SANNIP_SPIN_S5,  SANNIP__SPN, sannip__spin_pairsum }, /* 001 on T3.16 */
    { "spin_f1",      2, SANNIP_CLASS_SPIN,    SANNIP__SPINF,                               SANNIP__P_CUT | SANNIP__P_SHIFT | SANNIP__P_EPS, 0,               SANNIP__SPN, sannip__spin_f123 },    /* T5.1 */
    { "spin_f2",      2, SANNIP_CLASS_SPIN,    SANNIP__SPINF,                               SANNIP__P_CUT | SANNIP__P_SHIFT | SANNIP__P_EPS, 0,               SANNIP__SPN, sannip__spin_f123 },    /* T5.2 */
    { "spin_f3",      2, SANNIP_CLASS_SPIN,    SANNIP__SPINF,                               SANNIP__P_CUT | SANNIP__P_SHIFT,              0,               SANNIP__SPN, sannip__spin_f123 },    /* T5.3 */
    { "spin_f4",      2, SANNIP_CLASS_SPIN,    SANNIP__SPINF & ~(unsigned)SANNIP_BASIS_GAUSSIAN, SANNIP__P_CUT | SANNIP__P_EPS,           0,               SANNIP__SPN, sannip__spin_f456 },    /* T5.4 */
    { "spin_f5",      2, SANNIP_CLASS_SPIN,    SANNIP__SPINF & ~(unsigned)SANNIP_BASIS_GAUSSIAN, SANNIP__P_CUT | SANNIP__P_EPS,           0,               SANNIP__SPN, sannip__spin_f456 },    /* T5.5 */
    { "spin_f6",      2, SANNIP_CLASS_SPIN,    SANNIP__SPINF & ~(unsigned)SANNIP_BASIS_GAUSSIAN, SANNIP__P_CUT | SANNIP__P_EPS,           0,               SANNIP__SPN, sannip__spin_f456 }     /* T5.6 */
};
#undef SANNIP__RAD
#undef SANNIP__ANG
#undef SANNIP__SPIN0
#undef SANNIP__SPINP
#undef SANNIP__SPINF
#undef SANNIP__GEO
#undef SANNIP__SPN

/* The row of a kind (row 0, "?", for an unknown kind). */
static const sannip__kind_info *sannip__kind(int kind)
{
    return (kind > 0 && kind < SANNIP_BASIS_KIND_COUNT) ? &sannip__kinds[kind] : &sannip__kinds[0];
}
static int sannip__has(const sannip_basis *b, unsigned flag) { return (sannip__kind(b->kind)->flags & flag) != 0; }
static int sannip__keys(const sannip_basis *b, unsigned key) { return (sannip__kind(b->kind)->keys & key) != 0; }
SANNIP_API unsigned sannip_basis_kind_flags(int kind) { return sannip__kind(kind)->flags & 0xffu; }
SANNIP_API const char *sannip_basis_kind_name(int kind) { return sannip__kind(kind)->name; }
SANNIP_API int sannip_basis_is_angular(const sannip_basis *b) { return sannip__has(b, SANNIP_BASIS_ANGULAR); }
SANNIP_API int sannip_basis_is_radial(const sannip_basis *b) { return sannip__has(b, SANNIP_BASIS_RADIAL); }
SANNIP_API int sannip_basis_is_spin(const sannip_basis *b) { return sannip__has(b, SANNIP_BASIS_SPIN); }
SANNIP_API int sannip_basis_class(const sannip_basis *b) { return sannip__kind(b->kind)->cls; }
SANNIP_API const char *sannip_basis_class_name(int cls)
{
    static const char *const names[SANNIP_CLASS_COUNT] = { "radial", "angular", "spin" };
    return (cls >= 0 && cls < SANNIP_CLASS_COUNT) ? names[cls] : "?";
}
SANNIP_API sannip_real sannip_basis_cutoff(const sannip_basis *b)
{
    if (!sannip__has(b, SANNIP_BASIS_NEIGHBORS)) return 0;
    return sannip__keys(b, SANNIP__P_FB2) ? SANNIP__MAX(b->cut[0].rc, b->cut[1].rc) : b->cut[0].rc;
}
SANNIP_API int sannip_basis_applies(const sannip_basis *b, int Z)
{
    return b->center == SANNIP_ANY || b->center == Z;
}
static int sannip__elem_ok(int e, int allow_w)
{
    return e == SANNIP_ANY || (allow_w && e == SANNIP_ZWEIGHT) || (e >= 1 && e <= SANNIP_MAX_Z);
}
SANNIP_API sannip_result sannip_basis_check(const sannip_basis *b, sannip_error *err)
{
    if (!b) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "basis is NULL");
    if (!sannip__kind(b->kind)->check) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "unknown basis kind %d", b->kind);
    return sannip__kind(b->kind)->check(b, err);
}
/* The BP and Gauss-Fourier kinds (T2.18, T2.21, T C.5-C.37). */
static sannip_result sannip__check_geometric(const sannip_basis *b, sannip_error *err)
{
    sannip_result r;
    int three = sannip_basis_is_angular(b), zw = sannip__has(b, SANNIP__K_ZW);
    if (!(b->center == SANNIP_ANY || (b->center >= 1 && b->center <= SANNIP_MAX_Z)))
        return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "central element Z = %d", b->center);
    if (!sannip__elem_ok(b->nbr[0], zw) || (three && !sannip__elem_ok(b->nbr[1], zw)))
        return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "neighbour element Z = %d, %d", b->nbr[0], b->nbr[1]);
    if (three && ((b->nbr[0] == SANNIP_ZWEIGHT) != (b->nbr[1] == SANNIP_ZWEIGHT)))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "Z weighting must apply to both neighbours");
    if ((r = sannip__cutoff_check(&b->cut[0], err)) != SANNIP_SUCCESS) return r;
    if (sannip__keys(b, SANNIP__P_FB) && b->cut[0].type != SANNIP_CUT_FSPLINE)
        return sannip__fail(err, SANNIP_BAD_CUTOFF, 0, 0, "Gauss-Fourier bases need a Fourier-spline window (fb=...)");
    if (sannip__keys(b, SANNIP__P_FB2)) {
        if ((r = sannip__cutoff_check(&b->cut[1], err)) != SANNIP_SUCCESS) return r;
        if (b->cut[1].type != SANNIP_CUT_FSPLINE) return sannip__fail(err, SANNIP_BAD_CUTOFF, 0, 0, "Gauss-Fourier three-body bases need a second window (fb2=...)");
    }
    if (!(b->eta >= 0) || !isfinite(b->eta) || !isfinite(b->rs) || !(b->eta2 >= 0) || !isfinite(b->eta2) || !isfinite(b->rs2))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "eta must be finite and >= 0, rs finite (eta %g, rs %g)", (double)b->eta, (double)b->rs);
    if (sannip__keys(b, SANNIP__P_LZ)) {
        if (!(fabs(b->lambda) <= 1)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "lambda %g must be in [-1, 1]", (double)b->lambda);
        if (!(b->zeta >= 1) || !(b->zeta <= 1024)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "zeta %g must be in [1, 1024]", (double)b->zeta);
    }
    if (sannip__keys(b, SANNIP__P_ANGLE)) {
        if (!(b->eta_t >= 0) || !isfinite(b->eta_t)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "eta_t %g must be >= 0", (double)b->eta_t);
        if (!(b->theta_s >= 0 && b->theta_s <= (sannip_real)SANNIP__PI + 1e-12)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "theta_s %g must be in [0, pi]", (double)b->theta_s);
    }
    return SANNIP_SUCCESS;
}
/* The spin kinds (T3.1-3.20, T5.1-5.6). */
static sannip_result sannip__check_spin(const sannip_basis *b, sannip_error *err)
{
    sannip_result r;
    const char *name = sannip_basis_kind_name(b->kind);
    if (!(b->center == SANNIP_ANY || (b->center >= 1 && b->center <= SANNIP_MAX_Z)))
        return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "%s: central element Z = %d", name, b->center);
    if (sannip__has(b, SANNIP_BASIS_NEIGHBORS)) {
        if (!(b->nbr[0] == SANNIP_ANY || (b->nbr[0] >= 1 && b->nbr[0] <= SANNIP_MAX_Z)))
            return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "%s: neighbour element Z = %d (spin bases take one element or any)", name, b->nbr[0]);
        if ((r = sannip__cutoff_check(&b->cut[0], err)) != SANNIP_SUCCESS) return r;
        if (b->cut[0].type == SANNIP_CUT_FSPLINE) return sannip__fail(err, SANNIP_BAD_CUTOFF, 0, 0, "%s: spin bases take a radial cutoff, not a Fourier-spline window", name);
    }
    if (sannip__keys(b, SANNIP__P_XI) && !sannip__has(b, SANNIP_BASIS_NEIGHBORS)) {
        if (!(b->zeta > 0 && b->zeta <= 64))
            return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "%s: xi %g must be in (0, 64]", name, (double)b->zeta);
    } else if (sannip__keys(b, SANNIP__P_XI)) {
        if (!(b->zeta >= 1 && b->zeta <= 64 && b->zeta == floor(b->zeta)))
            return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "%s: xi %g must be an integer in 1..64 (the bracket can be negative, so a fractional power is undefined)", name, (double)b->zeta);
    }
    if (sannip__keys(b, SANNIP__P_SHIFT) && (!(b->eta >= 0) || !isfinite(b->eta) || !isfinite(b->rs)))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "%s: eta %g must be finite and >= 0, shift finite (%g)", name, (double)b->eta, (double)b->rs);
    if (sannip__keys(b, SANNIP__P_EPS) && !(b->eps > 0 && isfinite(b->eps)))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "%s: eps %g must be finite and > 0", name, (double)b->eps);
    return SANNIP_SUCCESS;
}

SANNIP_API void sannip_descriptors_init(sannip_descriptors *d, const sannip_allocator *alloc)
{
    memset(d, 0, sizeof *d);
    d->alloc = sannip__alloc_copy(alloc);
}
SANNIP_API void sannip_descriptors_uninit(sannip_descriptors *d)
{
    sannip_free(&d->alloc, d->b);
    d->b = NULL; d->n = d->cap = 0;
}
SANNIP_API sannip_result sannip_descriptors_add(sannip_descriptors *d, const sannip_basis *b, sannip_error *err)
{
    sannip_result r;
    size_t cap;
    void *p;
    if (!d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "descriptor set is NULL");
    if ((r = sannip_basis_check(b, err)) != SANNIP_SUCCESS) return r;
    if (d->n >= SANNIP_MAX_BASES) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "more than %d bases", SANNIP_MAX_BASES);
    cap = (size_t)d->cap; p = d->b;
    if ((r = sannip__grow(&d->alloc, &p, &cap, (size_t)d->n + 1, sizeof *b)) != SANNIP_SUCCESS)
        return sannip__fail(err, r, 0, 0, "growing the descriptor set");
    d->b = (sannip_basis *)p; d->cap = (int)cap;
    d->b[d->n++] = *b;
    return SANNIP_SUCCESS;
}

/* ---- descriptor engine ---------------------------------------------------------------- */
/* One atom's environment is evaluated in two loops shared by every basis kind: a pair loop
   (radial terms) and an unordered-pair loop over neighbours j < k (three-body terms), the
   latter over blocks of up to SANNIP__PAIRS pairs of one class pair (sannip__env_triplets),
   so that every basis's loop runs over the whole block. Each term reports its value and the
   scalar derivatives dT/dcos, dT/dr_ij, dT/dr_ik, dT/dr_jk; sannip__tri_chain turns them into
   vectors once. Cutoffs and Gaussians that depend on one neighbour only are cached per
   neighbour. */
typedef struct sannip__envplan {
    int nf, ncut, ngs, C;  /* C neighbour classes: elements named by the bases, + "other" */
    int nspin;             /* spin bases among the nf (evaluated by the kind table's spin evaluators) */
    int cls_of_z[SANNIP_MAX_Z + 1];
    int *rad_off, *rad;    /* radial positions per neighbour class: rad[rad_off[c]..rad_off[c+1]) */
    int *tri_off, *tri;    /* three-body entries (2 f + swap) per class pair (cj C + ck), j < k */
    int *cid, *cid2;       /* cutoff id of cut[0], cut[1] per position */
    int *gid, *gid2;       /* Gaussian id of (eta, rs), (eta2, rs2) per position (-1: none) */
    const sannip_cutoff **cuts;
    sannip_real *geta, *grs;
    sannip_real *pre;      /* 2^(1-zeta) per position (G4/G5) */
    sannip_real rtri;      /* largest three-body radius */
    sannip_real *jkr2;     /* per class pair: its list vanishes for r_jk^2 >= jkr2 (all G4), or 0 (no such radius) */
    struct sannip__tterm *tt;  /* packed parameters per position (three-body) */
    int *id_off[6], *ids[6];  /* per class pair and id set (SANNIP__IDS_*): the ids its list needs */
    int *cpzw;             /* per class pair: its list has Z-weighted entries */
    int *jkm, *jkb;        /* per r_jk Gaussian entry q: a power m > 1 of entry jkb[q] of its list, or 0 (an exp) */
    int *perm;             /* three-body positions, the members of each radial group adjacent */
    int naid;              /* distinct angular factors (lambda, zeta) of the G4/G5 positions */
    int *arep, *ra_off, *raid;  /* a position of each; per class pair the ids its list needs */
    /* G5 sums by moments (sannip__env_moments): nmom terms over nmid radial weights
       w = g(r) f_c(r) (Gaussian mgid, cutoff mcid), monomials of degree <= mdeg (mnc of them);
       per weight and class slot (the C classes, then "all") the moments S, sum w^2 D, and the
       derivative weights T, Dc they take */
    int nmom, nmid, mdeg, mnc;
    struct sannip__mterm *mt;
    int *mgid, *mcid, *mbad;   /* mbad: per term, summed pair by pair in this environment */
    int *mtt;                  /* per class and weight (class-major, as mT): its T, Dc hold weights (sannip__mom_weights) */
    sannip_real *mS, *mD, *mT, *mDc;
    /* the monomials x^a y^b z^c (sannip__mom_table): degree, multinomial n!/(a! b! c!), the
       monomial in each of its three derivatives and its factor, a x^(a-1) y^b z^c etc.
       (mdq[ax NC + q], mde; none: mnc) */
    int *mdg, *mdq, *mpar;     /* mpar: the monomial each is made from times coordinate mpar[NC + q] */
    sannip_real *mmul, *mde;
    sannip_real *mm;           /* the monomials of every neighbour, rows of sannip__mom_stride(n) (mm[q ns + j]; made by sannip__mom_sums) */
    sannip_real *mw, *mdw;     /* every neighbour's radial weights and their derivatives, per weight (mw[mid n + j]) */
    sannip_real *mo;           /* the chain rule's P, grad P per neighbour and weight */
    sannip_real *mkeep;        /* SANNIP__MOM_SLOTS atoms' S and mbad (mkeep_n reals each), kept from a values pass for its contraction pass */
    size_t mkeep_n;
    sannip_real *skeep;        /* as mkeep for the spin Gaussian pair sums' transforms (sannip__spin_pre.tkeep; skeep_n reals per atom) */
    size_t skeep_n;
} sannip__envplan;

/* Wide three-body sums (G5, n2p2 type 9) have no r_jk factor, so that with an integer zeta
   sum_{j<k} (1 + lambda cos)^zeta w_j w_k = 1/2 sum_n C(zeta, n) lambda^n <M_n, M_n> - diagonal,
   with the moment tensors M_n = sum_j w_j u_j^(x)n (u_j the unit vector to j; <., .> the full
   contraction, sum over the monomials x^a y^b z^c of degree n of n!/(a! b! c!) S_abc^2):
   O(neighbours) instead of O(neighbours^2). The binomial sum alternates for lambda < 0, so a
   result carries rounding of up to (1 + |lambda|)^zeta ulps of sum w_j w_k: zeta <= 8 and
   |lambda| <= 1 keep it below 1e-13 relative in double; float builds keep the triplet loop. */
#define SANNIP__MOM_ZMAX 8
#define SANNIP__MOM_SLOTS 8    /* atoms whose moments a values pass keeps: SANNIP__BLOCK, a network batch */
#define SANNIP__MOM_NC 165     /* monomials of degree <= 8 in three variables: C(11, 3) */
/* One G5 term by moments: basis position f, radial weight mid, class slots c1, c2 (C: all
   neighbours), zeta = deg; cn[n] = 2^(1-zeta) C(zeta, n) lambda^n (halved for one set),
   diag = 2^(1-zeta) (1 + lambda)^zeta / 2 for one set (the j = k terms), else 0. */
typedef struct sannip__mterm {
    int f, mid, c1, c2, deg;
    sannip_real cn[SANNIP__MOM_ZMAX + 1], diag;
} sannip__mterm;

/* Parameters of one three-body basis, packed for the triplet loop. */
typedef struct sannip__tterm {
    int kind, cid, cid2, gid, gid2, izeta, zw;   /* izeta: integer zeta or -1; zw: Z-weighted */
    int grp, nxt;          /* G4/G5 radial group (its first position) and its next member (-1: last) */
    int aid;               /* G4/G5: id of its angular factor (lambda, zeta), shared across groups */
    sannip_real lambda, zeta, pre, eta, rs, eta2, rs2, eta_t, cts, sts;
} sannip__tterm;

/* Elements named by the restrictions of the bases idx, in first-seen order. */
static int sannip__named_elements(const sannip_descriptors *set, const int *idx, int nf, int *named)
{
    int f, s, k, n = 0;
    for (f = 0; f < nf; f++)
        for (s = 0; s < 2; s++) {
            int z = set->b[idx[f]].nbr[s];
            if (z < 1 || z > SANNIP_MAX_Z) continue;
            for (k = 0; k < n && named[k] != z; k++) {}
            if (k == n) named[n++] = z;
        }
    return n;
}
static int sannip__restr_match(int e, int Z) { return e == SANNIP_ANY || e == SANNIP_ZWEIGHT || e == Z; }

/* Neighbour classes of the bases idx: the elements they name, plus "other". */
static int sannip__env_classes(const sannip_descriptors *set, const int *idx, int nf)
{
    int named[2 * SANNIP_MAX_Z + 2];
    return sannip__named_elements(set, idx, nf, named) + 1;
}
/* A G5 basis summed by moments: integer 1 <= zeta <= SANNIP__MOM_ZMAX, |lambda| <= 1 (so that
   1 + lambda cos >= 0 and no clamping differs from the polynomial), both neighbours of named
   elements or both of any element (not Z-weighted); double builds only. */
static int sannip__mom_ok(const sannip_basis *b)
{
#ifdef SANNIP_FLOAT
    (void)b;
    return 0;
#else
    int n0 = b->nbr[0] >= 1 && b->nbr[0] <= SANNIP_MAX_Z, n1 = b->nbr[1] >= 1 && b->nbr[1] <= SANNIP_MAX_Z;
    int a0 = b->nbr[0] == SANNIP_ANY, a1 = b->nbr[1] == SANNIP_ANY;
    return b->kind == SANNIP_G5 && b->zeta == floor(b->zeta) && b->zeta >= 1 && b->zeta <= SANNIP__MOM_ZMAX
        && b->lambda >= -1 && b->lambda <= 1 && ((n0 && n1) || (a0 && a1));
#endif
}
/* The sizes of the moment arrays of the bases idx: terms, distinct radial weights (eta, rs,
   cutoff) and monomials (up to the largest zeta). */
typedef struct sannip__momshape { int nm, nmid, nc, nsg; } sannip__momshape;   /* nsg: spin Gaussian pair sums (sannip__spin_pre.tkeep) */
static sannip__momshape sannip__mom_shape(const sannip_descriptors *set, const int *idx, int nf)
{
    sannip__momshape h;
    int f, g, deg = 0;
    h.nm = h.nmid = h.nc = h.nsg = 0;
    for (f = 0; f < nf; f++) {
        const sannip_basis *b = &set->b[idx[f]];
        h.nsg += sannip__kind(b->kind)->eval == sannip__spin_pairsum && sannip__has(b, SANNIP_BASIS_GAUSSIAN);
        if (!sannip__mom_ok(b)) continue;
        for (g = 0; g < f; g++) {
            const sannip_basis *o = &set->b[idx[g]];
            if (sannip__mom_ok(o) && o->eta == b->eta && o->rs == b->rs && sannip__cutoff_equal(&o->cut[0], &b->cut[0])) break;
        }
        h.nmid += g == f;
        h.nm++;
        deg = SANNIP__MAX(deg, (int)b->zeta);
    }
    h.nc = h.nm ? (deg + 1) * (deg + 2) * (deg + 3) / 6 : 0;
    return h;
}
/* Row length of the monomial table for n neighbours: whole blocks of 8 (sannip__mom_eval). */
static int sannip__mom_stride(int n) { return (n + 7) / 8 * 8; }
/* The plan's arrays for C neighbour classes and nf bases (h: its G5 moments), and the class,
   run starts and triplet partners of n neighbours. */
static void sannip__envplan_layout(sannip__arena *a, sannip__envplan *p, int nf, int C, int n, sannip__momshape h, int **cls, int **runs, int **kix)
{
    size_t cc = (size_t)C * C, f = (size_t)nf;
    int s;
    p->rad_off = SANNIP__TAKE(a, C + 1, int); p->rad = SANNIP__TAKE(a, (size_t)C * f, int);
    p->tri_off = SANNIP__TAKE(a, cc + 1, int); p->tri = SANNIP__TAKE(a, cc * 2 * f, int);
    p->cid = SANNIP__TAKE(a, f, int); p->cid2 = SANNIP__TAKE(a, f, int);
    p->gid = SANNIP__TAKE(a, f, int); p->gid2 = SANNIP__TAKE(a, f, int);
    for (s = 0; s < 6; s++) { p->id_off[s] = SANNIP__TAKE(a, cc + 1, int); p->ids[s] = SANNIP__TAKE(a, cc * 2 * f, int); }
    p->cpzw = SANNIP__TAKE(a, cc, int); p->jkr2 = SANNIP__TAKE(a, cc, sannip_real);
    p->jkm = SANNIP__TAKE(a, cc * 2 * f, int); p->jkb = SANNIP__TAKE(a, cc * 2 * f, int);
    p->cuts = SANNIP__TAKE(a, 2 * f, const sannip_cutoff *);
    p->geta = SANNIP__TAKE(a, 2 * f, sannip_real); p->grs = SANNIP__TAKE(a, 2 * f, sannip_real);
    p->pre = SANNIP__TAKE(a, f, sannip_real);
    p->tt = SANNIP__TAKE(a, f, sannip__tterm);
    p->perm = SANNIP__TAKE(a, f, int);
    p->arep = SANNIP__TAKE(a, f, int); p->ra_off = SANNIP__TAKE(a, cc + 1, int); p->raid = SANNIP__TAKE(a, cc * 2 * f, int);
    *cls = SANNIP__TAKE(a, n, int); *runs = SANNIP__TAKE(a, (size_t)n + 1, int); *kix = SANNIP__TAKE(a, n, int);
    {   /* moments (sannip__mom_shape); slots per weight C + 1; the tables have room for degree SANNIP__MOM_ZMAX */
        size_t m = (size_t)h.nm, w = (size_t)h.nmid, sl = w * (size_t)(C + 1), nc = (size_t)h.nc, tc = m ? SANNIP__MOM_NC : 0;
        p->mt = SANNIP__TAKE(a, m, sannip__mterm);
        p->mdg = SANNIP__TAKE(a, tc, int); p->mdq = SANNIP__TAKE(a, 3 * tc, int); p->mpar = SANNIP__TAKE(a, 2 * tc, int);
        p->mmul = SANNIP__TAKE(a, tc, sannip_real); p->mde = SANNIP__TAKE(a, 3 * tc, sannip_real);
        p->mgid = SANNIP__TAKE(a, m, int); p->mcid = SANNIP__TAKE(a, m, int); p->mbad = SANNIP__TAKE(a, m, int);
        p->mtt = SANNIP__TAKE(a, sl, int);
        p->mS = SANNIP__TAKE(a, sl * nc, sannip_real); p->mT = SANNIP__TAKE(a, 4 * sl * nc, sannip_real);
        p->mD = SANNIP__TAKE(a, sl, sannip_real); p->mDc = SANNIP__TAKE(a, sl, sannip_real);
        p->mm = SANNIP__TAKE(a, nc * (size_t)sannip__mom_stride(n), sannip_real);
        p->mw = SANNIP__TAKE(a, w * (size_t)n, sannip_real); p->mdw = SANNIP__TAKE(a, w * (size_t)n, sannip_real);
        p->mo = SANNIP__TAKE(a, 4 * w * (size_t)n, sannip_real);
        p->mkeep = SANNIP__TAKE(a, SANNIP__MOM_SLOTS * (sl * nc + m), sannip_real);
        p->mkeep_n = sl * nc + m;
        p->skeep_n = (size_t)h.nsg * (size_t)n;
        p->skeep = SANNIP__TAKE(a, SANNIP__MOM_SLOTS * p->skeep_n, sannip_real);
    }
}
/* Pairs (j, k) per block of the triplet loop: long enough that its loops run over hundreds of
   pairs rather than one j's run of 15-30 neighbours, short enough that a block's arrays stay
   in the core's caches. */
#define SANNIP__PAIRS 128
/* Buffers of the triplet loop: a block of up to SANNIP__PAIRS pairs (j, k), j < k, of one class
   pair, made of segments (one j against consecutive k). Arrays per pair p; those per cutoff or
   Gaussian id, and the x, y, z of vectors, in rows of SANNIP__PAIRS (x[id SANNIP__PAIRS + p]). */
typedef struct sannip__runbuf {
    int np, nseg;                                 /* pairs and segments in the block */
    int *sk, *sj, *s0;                            /* first k (-1: not consecutive), j and first pair of each segment */
    int *kx;                                      /* k of each pair */
    sannip_real *rij, *rik, *rjk, *cs, *wz, *one; /* distances, cos(theta_ijk), Z_j Z_k, ones */
    sannip_real *irij, *irik;                     /* 1/r_ij, 1/r_ik */
    sannip_real *ui, *uk, *ujk;                   /* unit vectors i->j, i->k, j->k */
    sannip_real *fj, *dfj, *fk, *dfk, *gj, *gk;   /* cutoffs and Gaussians of r_ij and r_ik per id */
    sannip_real *pf, *pfj, *pfk, *pg;             /* f_j f_k, f_j' f_k, f_j f_k' per cutoff id, g_j g_k per Gaussian id */
    sannip_real *tf, *tdf, *tg;                   /* those of r_jk (G4) */
    sannip_real *T, *dc, *dij, *dik, *djk;        /* a term's value and dT/d(cos, r_ij, r_ik, r_jk) */
    sannip_real *A, *B, *Cc, *D;                  /* contraction accumulators (g mode) */
    sannip_real *gq;                              /* a radial group's factor and its 3 derivatives */
    sannip_real *ang;                             /* angular factors A, dA/dcos per angular id */
    sannip_real *Sa, *Sd;                         /* a radial group's sum_f g_f A_f, sum_f g_f dA_f/dcos (g mode) */
    sannip_real *vj, *vk;                         /* the chain rule's vectors for j (x, y, z rows) and k (3 reals per pair) */
} sannip__runbuf;
/* Per-neighbour caches of sannip__env_eval for ncut cutoffs and ngs Gaussians, id-major
   (fc[q n + j]) so that runs of k are contiguous; spin: the spin evaluator's 5 n reals; pw: the
   pair loop's 2 n. */
typedef struct sannip__envcache { sannip_real *u, *ir, *fc, *dfc, *gs, *spin, *pw; } sannip__envcache;
static void sannip__envcache_layout(sannip__arena *a, sannip__envcache *k, int n, int ncut, int ngs)
{
    size_t nn = (size_t)n;
    k->u = SANNIP__TAKE(a, 3 * nn, sannip_real); k->ir = SANNIP__TAKE(a, nn, sannip_real);
    k->fc = SANNIP__TAKE(a, nn * ncut, sannip_real); k->dfc = SANNIP__TAKE(a, nn * ncut, sannip_real);
    k->gs = SANNIP__TAKE(a, nn * ngs, sannip_real);
    k->spin = SANNIP__TAKE(a, 5 * nn, sannip_real);
    k->pw = SANNIP__TAKE(a, 2 * nn, sannip_real);   /* sannip__env_pairs */
}
/* A block's per-pair inputs (segments, geometry, cutoffs and Gaussians of r_ij, r_ik, r_jk,
   angular factors): what a contraction pass reads back from a kept block. */
static void sannip__runbuf_inputs(sannip__arena *a, sannip__runbuf *R, int ncut, int ngs, int naid)
{
    size_t B = SANNIP__PAIRS, nc = B * (size_t)ncut, ng = B * (size_t)ngs;
    R->sk = SANNIP__TAKE(a, B, int); R->sj = SANNIP__TAKE(a, B, int); R->s0 = SANNIP__TAKE(a, B + 1, int);
    R->kx = SANNIP__TAKE(a, B, int);
    R->rij = SANNIP__TAKE(a, B, sannip_real); R->rik = SANNIP__TAKE(a, B, sannip_real); R->rjk = SANNIP__TAKE(a, B, sannip_real);
    R->irij = SANNIP__TAKE(a, B, sannip_real); R->irik = SANNIP__TAKE(a, B, sannip_real);
    R->cs = SANNIP__TAKE(a, B, sannip_real); R->wz = SANNIP__TAKE(a, B, sannip_real);
    R->ui = SANNIP__TAKE(a, 3 * B, sannip_real); R->uk = SANNIP__TAKE(a, 3 * B, sannip_real); R->ujk = SANNIP__TAKE(a, 3 * B, sannip_real);
    R->fj = SANNIP__TAKE(a, nc, sannip_real); R->dfj = SANNIP__TAKE(a, nc, sannip_real);
    R->fk = SANNIP__TAKE(a, nc, sannip_real); R->dfk = SANNIP__TAKE(a, nc, sannip_real);
    R->gj = SANNIP__TAKE(a, ng, sannip_real); R->gk = SANNIP__TAKE(a, ng, sannip_real);
    R->pf = SANNIP__TAKE(a, nc, sannip_real); R->pfj = SANNIP__TAKE(a, nc, sannip_real); R->pfk = SANNIP__TAKE(a, nc, sannip_real);
    R->pg = SANNIP__TAKE(a, ng, sannip_real);
    R->tf = SANNIP__TAKE(a, nc, sannip_real); R->tdf = SANNIP__TAKE(a, nc, sannip_real); R->tg = SANNIP__TAKE(a, ng, sannip_real);
    R->ang = SANNIP__TAKE(a, 2 * B * (size_t)naid, sannip_real);
}
/* The whole block buffer: its inputs, then the per-term scratch that kept blocks share. */
static void sannip__runbuf_layout(sannip__arena *a, sannip__runbuf *R, int ncut, int ngs, int naid)
{
    size_t B = SANNIP__PAIRS;
    sannip__runbuf_inputs(a, R, ncut, ngs, naid);
    R->one = SANNIP__TAKE(a, B, sannip_real);
    R->T = SANNIP__TAKE(a, B, sannip_real); R->dc = SANNIP__TAKE(a, B, sannip_real);
    R->dij = SANNIP__TAKE(a, B, sannip_real); R->dik = SANNIP__TAKE(a, B, sannip_real); R->djk = SANNIP__TAKE(a, B, sannip_real);
    R->A = SANNIP__TAKE(a, B, sannip_real); R->B = SANNIP__TAKE(a, B, sannip_real);
    R->Cc = SANNIP__TAKE(a, B, sannip_real); R->D = SANNIP__TAKE(a, B, sannip_real);
    R->gq = SANNIP__TAKE(a, 4 * B, sannip_real);
    R->Sa = SANNIP__TAKE(a, B, sannip_real); R->Sd = SANNIP__TAKE(a, B, sannip_real);
    R->vj = SANNIP__TAKE(a, 3 * B, sannip_real); R->vk = SANNIP__TAKE(a, 3 * B, sannip_real);
}

SANNIP_API size_t sannip_env_work_size(const sannip_descriptors *set, const int *idx, int nf, int n_neighbors)
{
    sannip__arena a = sannip__arena_begin(NULL, 0);
    sannip__envplan p;
    sannip__envcache k;
    sannip__runbuf R;
    int *cls, *runs, *kix;
    sannip__envplan_layout(&a, &p, nf, sannip__env_classes(set, idx, nf), n_neighbors, sannip__mom_shape(set, idx, nf),
                           &cls, &runs, &kix);
    sannip__runbuf_layout(&a, &R, 2 * nf, 2 * nf, nf);   /* at most two of each per basis */
    sannip__envcache_layout(&a, &k, n_neighbors, 2 * nf, 2 * nf);
    return sannip__arena_reals(&a);
}

static int sannip__gauss_id(sannip__envplan *p, sannip_real eta, sannip_real rs)
{
    int g;
    for (g = 0; g < p->ngs; g++) if (p->geta[g] == eta && p->grs[g] == rs) return g;
    p->geta[p->ngs] = eta; p->grs[p->ngs] = rs;
    return p->ngs++;
}
static int sannip__cut_id(sannip__envplan *p, const sannip_cutoff *c)
{
    int k;
    for (k = 0; k < p->ncut; k++) if (sannip__cutoff_equal(p->cuts[k], c)) return k;
    p->cuts[p->ncut] = c;
    return p->ncut++;
}
/* Radial groups of the three-body positions: G4/G5 bases that differ only in lambda and zeta
   (same kind, cutoffs, Gaussian and weighting) share their radial factor, computed once per
   triplet run (sannip__tri_radial). Fills tt[].grp/nxt and the positions in group order into
   p->perm; returns their count. */
static int sannip__envplan_groups(sannip__envplan *p, const sannip_descriptors *set, const int *idx, int nf)
{
    int f, g, n = 0;
    for (f = 0; f < nf; f++) {
        sannip__tterm *t = &p->tt[f];
        if (!sannip_basis_is_angular(&set->b[idx[f]])) continue;
        t->grp = f; t->nxt = -1;
        if (t->kind != SANNIP_G4 && t->kind != SANNIP_G5) continue;
        for (g = f - 1; g >= 0; g--) {   /* the nearest earlier member links to f */
            sannip__tterm *u = &p->tt[g];
            if (!sannip_basis_is_angular(&set->b[idx[g]]) || u->kind != t->kind || u->cid != t->cid
                || u->cid2 != t->cid2 || u->gid != t->gid || u->zw != t->zw) continue;
            t->grp = u->grp; u->nxt = f;
            break;
        }
    }
    for (f = 0; f < nf; f++)
        if (sannip_basis_is_angular(&set->b[idx[f]]) && p->tt[f].grp == f)
            for (g = f; g >= 0; g = p->tt[g].nxt) p->perm[n++] = g;
    return n;
}
/* Angular ids: G4/G5 positions with the same lambda and zeta share their angular factor
   (T2.21's (1 + lambda cos)^zeta), computed once per triplet run; per class pair cp the ids
   its list needs, raid[ra_off[cp]..ra_off[cp+1]). Runs after the lists are made. */
static void sannip__envplan_angular(sannip__envplan *p)
{
    int f, q, l, cp, k = 0, CC = p->C * p->C;
    p->naid = 0;
    for (f = 0; f < p->nf; f++) p->tt[f].aid = -1;
    for (cp = 0; cp < CC; cp++) {
        p->ra_off[cp] = k;
        for (q = p->tri_off[cp]; q < p->tri_off[cp + 1]; q++) {
            sannip__tterm *t = &p->tt[p->tri[q] >> 1];
            int seen = 0;
            if (t->kind != SANNIP_G4 && t->kind != SANNIP_G5) continue;
            if (t->aid < 0) {
                for (l = 0; l < p->naid && t->aid < 0; l++)
                    if (p->tt[p->arep[l]].lambda == t->lambda && p->tt[p->arep[l]].zeta == t->zeta) t->aid = l;
                if (t->aid < 0) { p->arep[p->naid] = p->tri[q] >> 1; t->aid = p->naid++; }
            }
            for (l = p->ra_off[cp]; l < k; l++) seen |= p->raid[l] == t->aid;
            if (!seen) p->raid[k++] = t->aid;
        }
    }
    p->ra_off[CC] = k;
}
/* Id sets of the per-class-pair lists (sannip__envplan_ids): the cutoffs and Gaussians of r_jk
   (G4 entries); the products f_c(r_ij) f_c(r_ik), g(r_ij) g(r_ik) of G4/G5 entries (one cutoff
   and one Gaussian each); the cutoffs and Gaussians of r_ij and r_ik apart (Gauss-Fourier
   entries: cut[0], cut[1], both Gaussians, in either orientation). */
enum { SANNIP__IDS_JKCUT, SANNIP__IDS_JKGAUSS, SANNIP__IDS_PCUT, SANNIP__IDS_PGAUSS, SANNIP__IDS_CUT, SANNIP__IDS_GAUSS, SANNIP__IDS };
static int sannip__tterm_ids(const sannip__tterm *t, int set, int *id)
{
    int g45 = t->kind == SANNIP_G4 || t->kind == SANNIP_G5;
    switch (set) {
    case SANNIP__IDS_JKCUT: id[0] = t->cid; return t->kind == SANNIP_G4;
    case SANNIP__IDS_JKGAUSS: id[0] = t->gid; return t->kind == SANNIP_G4;
    case SANNIP__IDS_PCUT: id[0] = t->cid; return g45;
    case SANNIP__IDS_PGAUSS: id[0] = t->gid; return g45;
    case SANNIP__IDS_CUT: id[0] = t->cid; id[1] = t->cid2; return g45 ? 0 : 2;
    default: id[0] = t->gid; id[1] = t->gid2; return g45 ? 0 : 2;
    }
}
/* Largest power m of exp(-eta (r - rs)^2) taken for exp(-m eta (r - rs)^2) (sannip__envplan_powers):
   t^m by squaring has m ulp of error at most (double); float builds keep their exps. */
#ifdef SANNIP_FLOAT
#define SANNIP__JK_POW_MAX 1
#else
#define SANNIP__JK_POW_MAX 32
#endif
/* The r_jk Gaussians of each class pair's list whose eta is an integer multiple m of another's
   (same rs; m eta to 4 ulp): water's 0.01, 0.03, 0.07, 0.2 are one exp and three powers. Sorts
   each list by (rs, eta) so that bases come first; sets jkm, jkb (sannip__tri_block). */
static void sannip__envplan_powers(sannip__envplan *p)
{
    int cp, q, l, CC = p->C * p->C, *ids = p->ids[SANNIP__IDS_JKGAUSS], *off = p->id_off[SANNIP__IDS_JKGAUSS];
    for (cp = 0; cp < CC; cp++)
        for (q = off[cp]; q < off[cp + 1]; q++) {
            int g = ids[q];
            for (l = q; l > off[cp] && (p->grs[ids[l - 1]] > p->grs[g] || (p->grs[ids[l - 1]] == p->grs[g] && p->geta[ids[l - 1]] > p->geta[g])); l--)
                ids[l] = ids[l - 1];
            ids[l] = g;
        }
    for (cp = 0; cp < CC; cp++)
        for (q = off[cp]; q < off[cp + 1]; q++) {
            sannip_real e = p->geta[ids[q]];
            p->jkm[q] = 0; p->jkb[q] = -1;
            for (l = off[cp]; l < q && !p->jkm[q]; l++) {
                sannip_real b = p->geta[ids[l]];
                double m = floor((double)(e / b) + 0.5);
                if (p->jkm[l] || p->grs[ids[l]] != p->grs[ids[q]] || !(b > 0) || m < 2 || m > SANNIP__JK_POW_MAX) continue;
                if (fabs((double)m * b - e) <= 4 * DBL_EPSILON * e) { p->jkm[q] = (int)m; p->jkb[q] = l; }
            }
        }
}
/* Per class pair, the r_jk beyond which its whole list vanishes: when every entry is a G4,
   whose f_c(r_jk) factor is exactly 0 from r_c on (sannip__fc_array), the triplet loop skips
   the pairs (j, k) farther apart (about half of them in a sphere of neighbours: the CDF of the
   distance of two uniform points in a ball at its radius is 15/32). jkr2 = r_c^2 widened by
   64 float ulps, so that every pair whose sqrt falls below r_c is kept; 0: no radius. */
static void sannip__envplan_jk_radius(sannip__envplan *p)
{
    int cp, q, CC = p->C * p->C;
    for (cp = 0; cp < CC; cp++) {
        sannip_real r = 0;
        for (q = p->tri_off[cp]; q < p->tri_off[cp + 1]; q++) {
            const sannip__tterm *t = &p->tt[p->tri[q] >> 1];
            if (t->kind != SANNIP_G4) { r = 0; break; }
            r = SANNIP__MAX(r, p->cuts[t->cid]->rc);
        }
        p->jkr2[cp] = r * r * (sannip_real)(1 + 64 * FLT_EPSILON);
    }
}
/* Per class pair cp and id set s, the distinct ids its list needs (negative: none),
   ids[s][id_off[s][cp]..id_off[s][cp+1]). Runs after the lists are made. */
static void sannip__envplan_ids(sannip__envplan *p)
{
    int s, cp, q, l, m, k, id[2], CC = p->C * p->C;
    for (s = 0; s < SANNIP__IDS; s++) {
        int *off = p->id_off[s], *ids = p->ids[s];
        for (cp = 0, k = 0; cp < CC; cp++) {
            off[cp] = k;
            for (q = p->tri_off[cp]; q < p->tri_off[cp + 1]; q++) {
                int c = sannip__tterm_ids(&p->tt[p->tri[q] >> 1], s, id);
                for (m = 0; m < c; m++) {
                    int seen = id[m] < 0;
                    for (l = off[cp]; l < k; l++) seen |= ids[l] == id[m];
                    if (!seen) ids[k++] = id[m];
                }
            }
        }
        off[CC] = k;
    }
    for (cp = 0; cp < CC; cp++)
        for (q = p->tri_off[cp], p->cpzw[cp] = 0; q < p->tri_off[cp + 1]; q++) p->cpzw[cp] |= p->tt[p->tri[q] >> 1].zw;
    sannip__envplan_jk_radius(p);
    sannip__envplan_powers(p);
}
static double sannip__factorial(int n) { double f = 1; while (n > 1) f *= n--; return f; }
/* Position of x^a y^b z^c among the monomials ordered by degree n, then a and b descending. */
static int sannip__mom_index(int a, int b, int c)
{
    int n = a + b + c, m = n - a;
    return n * (n + 1) * (n + 2) / 6 + m * (m + 1) / 2 + (m - b);
}
/* The plan's monomial tables up to degree deg (sannip__envplan: mdg ... mde), their count
   returned. */
static int sannip__mom_table(sannip__envplan *p, int deg)
{
    int n, a, b, ax, q, nc = (deg + 1) * (deg + 2) * (deg + 3) / 6, NC = SANNIP__MOM_NC;
    for (n = 0, q = 0; n <= deg; n++)
        for (a = n; a >= 0; a--)
            for (b = n - a; b >= 0; b--, q++) {
                int e[3], made = 0;
                e[0] = a; e[1] = b; e[2] = n - a - b;
                p->mdg[q] = n; p->mpar[q] = p->mpar[NC + q] = 0;
                p->mmul[q] = (sannip_real)(sannip__factorial(n) / (sannip__factorial(e[0]) * sannip__factorial(e[1]) * sannip__factorial(e[2])));
                for (ax = 0; ax < 3; ax++) {
                    p->mdq[ax * NC + q] = nc; p->mde[ax * NC + q] = (sannip_real)e[ax];
                    if (e[ax] == 0) continue;
                    e[ax]--;
                    p->mdq[ax * NC + q] = sannip__mom_index(e[0], e[1], e[2]);
                    e[ax]++;
                    if (!made) { p->mpar[q] = p->mdq[ax * NC + q]; p->mpar[NC + q] = ax; made = 1; }   /* x^a y^b z^c = (lower) x, y or z */
                }
            }
    return nc;
}
/* The G5 terms summed by moments (sannip__mom_ok): their radial weights and class slots. */
static void sannip__envplan_moments(sannip__envplan *p, const sannip_descriptors *set, const int *idx, int nf)
{
    int f, n, q, C = p->C;
    p->nmom = p->nmid = p->mdeg = p->mnc = 0;
    for (f = 0; f < nf; f++) {
        const sannip_basis *b = &set->b[idx[f]];
        sannip__mterm *t = &p->mt[p->nmom];
        sannip_real lp = 1, half;
        if (!sannip__mom_ok(b)) continue;
        for (q = 0; q < p->nmid && !(p->mgid[q] == p->gid[f] && p->mcid[q] == p->cid[f]); q++) {}
        if (q == p->nmid) { p->mgid[q] = p->gid[f]; p->mcid[q] = p->cid[f]; p->nmid++; }
        t->f = f; t->mid = q; t->deg = (int)b->zeta;
        t->c1 = b->nbr[0] == SANNIP_ANY ? C : p->cls_of_z[b->nbr[0]];
        t->c2 = b->nbr[1] == SANNIP_ANY ? C : p->cls_of_z[b->nbr[1]];
        half = t->c1 == t->c2 ? (sannip_real)0.5 : 1;
        for (n = 0; n <= t->deg; n++) {
            t->cn[n] = half * p->pre[f] * (sannip_real)(sannip__factorial(t->deg) / (sannip__factorial(n) * sannip__factorial(t->deg - n))) * lp;
            lp *= b->lambda;
        }
        t->diag = t->c1 == t->c2 ? half * p->pre[f] * (sannip_real)sannip__pow(1 + b->lambda, b->zeta) : 0;
        p->mdeg = SANNIP__MAX(p->mdeg, t->deg);
        p->nmom++;
    }
    if (p->nmom == 0) return;
    p->mnc = sannip__mom_table(p, p->mdeg);
    memset(p->mT, 0, sizeof(sannip_real) * 4 * (size_t)p->nmid * (size_t)(C + 1) * (size_t)p->mnc);   /* sannip__mom_chain leaves them zero */
    memset(p->mDc, 0, sizeof(sannip_real) * (size_t)p->nmid * (size_t)(C + 1));
    memset(p->mtt, 0, sizeof(int) * (size_t)p->nmid * (size_t)(C + 1));
}

/* Carves the plan out of the arena and fills it. */
static void sannip__envplan_make(sannip__envplan *p, const sannip_descriptors *set, const int *idx,
                                 int nf, int n_neighbors, sannip__arena *a, int **cls, int **runs, int **kix)
{
    int f, named[2 * SANNIP_MAX_Z + 2], nn, c, cj, ck, C, z, na, pq;
    C = sannip__env_classes(set, idx, nf);
    sannip__envplan_layout(a, p, nf, C, n_neighbors, sannip__mom_shape(set, idx, nf), cls, runs, kix);
    p->nf = nf; p->ncut = p->ngs = 0; p->C = C; p->rtri = 0; p->nspin = 0;
    nn = sannip__named_elements(set, idx, nf, named);
    for (z = 0; z <= SANNIP_MAX_Z; z++) p->cls_of_z[z] = nn;          /* "other" */
    for (c = 0; c < nn; c++) p->cls_of_z[named[c]] = c;
    for (f = 0; f < nf; f++) {
        const sannip_basis *b = &set->b[idx[f]];
        if (sannip__has(b, SANNIP_BASIS_SPIN)) {   /* spin bases read the same cached cutoffs */
            p->cid[f] = sannip__has(b, SANNIP_BASIS_NEIGHBORS) ? sannip__cut_id(p, &b->cut[0]) : -1;
            p->cid2[f] = p->gid[f] = p->gid2[f] = -1; p->pre[f] = 1; p->nspin++;
            continue;
        }
        p->cid[f] = sannip__cut_id(p, &b->cut[0]);
        p->cid2[f] = sannip__keys(b, SANNIP__P_FB2) ? sannip__cut_id(p, &b->cut[1]) : p->cid[f];
        p->gid[f] = b->kind == SANNIP_GF_ANGULAR2 ? -1 : sannip__gauss_id(p, b->eta, b->rs);
        p->gid2[f] = (b->kind == SANNIP_GF_BIRADIAL || b->kind == SANNIP_GF_ANGULAR1) ? sannip__gauss_id(p, b->eta2, b->rs2)
                   : b->kind == SANNIP_GF_ANGULAR2 ? -1 : p->gid[f];
        p->pre[f] = (b->kind == SANNIP_G4 || b->kind == SANNIP_G5) ? (sannip_real)sannip__pow(2, 1 - b->zeta) : 1;
        if (sannip_basis_is_angular(b)) {
            sannip__tterm *t = &p->tt[f];
            p->rtri = SANNIP__MAX(p->rtri, sannip_basis_cutoff(b));
            t->kind = b->kind; t->cid = p->cid[f]; t->cid2 = p->cid2[f]; t->gid = p->gid[f]; t->gid2 = p->gid2[f];
            t->izeta = (b->zeta == floor(b->zeta) && b->zeta <= 64) ? (int)b->zeta : -1;
            t->zw = b->nbr[0] == SANNIP_ZWEIGHT;
            t->lambda = b->lambda; t->zeta = b->zeta; t->pre = p->pre[f]; t->eta = b->eta; t->rs = b->rs;
            t->eta2 = b->eta2; t->rs2 = b->rs2; t->eta_t = b->eta_t;
            t->cts = 1; t->sts = 0;   /* cos, sin theta_s: only the Gauss-Fourier angular kinds have it */
            if (sannip__keys(b, SANNIP__P_ANGLE)) { double sn, cs; sannip__sincos(b->theta_s, &sn, &cs); t->cts = (sannip_real)cs; t->sts = (sannip_real)sn; }
        }
    }
    na = sannip__envplan_groups(p, set, idx, nf);
    sannip__envplan_moments(p, set, idx, nf);
    /* lists per neighbour class; a class stands for its element (or any other element) */
    {
        int k = 0;
        for (c = 0; c < C; c++) {
            int zc = c < nn ? named[c] : -1;
            p->rad_off[c] = k;
            for (f = 0; f < nf; f++) {
                const sannip_basis *b = &set->b[idx[f]];
                if (!sannip__has(b, SANNIP_BASIS_ANGULAR | SANNIP_BASIS_SPIN) && sannip__restr_match(b->nbr[0], zc)) p->rad[k++] = f;
            }
        }
        p->rad_off[C] = k;
        k = 0;
        for (cj = 0; cj < C; cj++) for (ck = 0; ck < C; ck++) {
            int zj = cj < nn ? named[cj] : -1, zk = ck < nn ? named[ck] : -1;
            p->tri_off[cj * C + ck] = k;
            for (pq = 0; pq < na; pq++) {   /* three-body positions, radial groups adjacent */
                const sannip_basis *b = &set->b[idx[f = p->perm[pq]]];
                int fw, bw;
                if (sannip__mom_ok(b)) continue;   /* summed by moments */
                fw = sannip__restr_match(b->nbr[0], zj) && sannip__restr_match(b->nbr[1], zk);
                bw = sannip__restr_match(b->nbr[0], zk) && sannip__restr_match(b->nbr[1], zj);
                if (sannip__has(b, SANNIP__K_ORDERED)) {   /* ordered: (j, k) and (k, j) */
                    if (fw) p->tri[k++] = 2 * f;
                    if (bw) p->tri[k++] = 2 * f + 1;
                } else if (fw || bw) p->tri[k++] = 2 * f;   /* unordered pair counted once */
            }
        }
        p->tri_off[C * C] = k;
    }
    sannip__envplan_angular(p);
    sannip__envplan_ids(p);
}


/* sin(pi x) and cos(pi x) for 0 <= x <= 1 over arrays (the cosine cutoff at every triplet):
   with t = pi (x - 1/2), cos(pi x) = -sin t and sin(pi x) = cos t, |t| <= pi/2, by Taylor
   polynomials accurate to rounding; vectorisable, unlike libm's sincos calls. */
static void sannip__sincospi_array(const sannip_real *x, int n, sannip_real *sn, sannip_real *cs)
{
    int i;
    for (i = 0; i < n; i++) {
        double t = 3.14159265358979323846 * ((double)x[i] - 0.5), t2 = t * t, s, c;
        s = -1.0 / 1.21645100408832e17;                      /* -1/19! */
        s = s * t2 + 1.0 / 355687428096000.0; s = s * t2 - 1.0 / 1307674368000.0;
        s = s * t2 + 1.0 / 6227020800.0;      s = s * t2 - 1.0 / 39916800.0;
        s = s * t2 + 1.0 / 362880.0;          s = s * t2 - 1.0 / 5040.0;
        s = s * t2 + 1.0 / 120.0;             s = s * t2 - 1.0 / 6.0;
        s = (s * t2 + 1.0) * t;
        c = 1.0 / 2.43290200817664e18;                       /* 1/20! */
        c = c * t2 - 1.0 / 6402373705728000.0; c = c * t2 + 1.0 / 20922789888000.0;
        c = c * t2 - 1.0 / 87178291200.0;      c = c * t2 + 1.0 / 479001600.0;
        c = c * t2 - 1.0 / 3628800.0;          c = c * t2 + 1.0 / 40320.0;
        c = c * t2 - 1.0 / 720.0;              c = c * t2 + 1.0 / 24.0;
        c = c * t2 - 0.5;                      c = c * t2 + 1.0;
        cs[i] = (sannip_real)-s; sn[i] = (sannip_real)c;
    }
}

/* A polynomial cutoff c of type t at n radii, as sannip__fc: 1 below alpha rc, 0 from rc on
   (branch-free). */
SANNIP__INLINE void sannip__fc_poly_array(const sannip_cutoff *c, int t, const sannip_real *r, int n,
                                          sannip_real *SANNIP__RESTRICT f, sannip_real *SANNIP__RESTRICT df)
{
    sannip_real ri = c->alpha * c->rc, iw = 1 / (c->rc - ri);
    int i;
    for (i = 0; i < n; i++) {
        sannip_real x = (r[i] - ri) * iw, d, v, in = r[i] < c->rc, inner = r[i] < ri;
        v = sannip__fc_poly(t, x < 0 ? 0 : x > 1 ? 1 : x, iw, &d);
        f[i] = inner + (1 - inner) * in * v;
        df[i] = (1 - inner) * in * d;
    }
}
/* f_c and df_c/dr of cutoff c at n radii r (out f, df). Types evaluated through exp go
   through sannip__exp_array; the rest are polynomial, so every loop vectorises. */
static void sannip__fc_array(const sannip_cutoff *c, const sannip_real *r, int n, sannip_real *f, sannip_real *df)
{
    int i;
    if (c->type == SANNIP_CUT_TANHU || c->type == SANNIP_CUT_TANH) {
        sannip_real pre = c->type == SANNIP_CUT_TANH ? (sannip_real)2.2637537952253513 : 1, irc = 1 / c->rc;
        for (i = 0; i < n; i++) { sannip_real x = 1 - r[i] * irc; f[i] = -2 * (x > 0 ? x : 0); }
        sannip__exp_array(f, n);
        for (i = 0; i < n; i++) {
            sannip_real e = f[i], t = (1 - e) / (1 + e), in = r[i] < c->rc;
            f[i] = in * pre * t * t * t;
            df[i] = in * 3 * pre * t * t * (t * t - 1) * irc;
        }
        return;
    }
    if (c->type == SANNIP_CUT_COS) {
        /* 1/2 [cos(pi x) + 1], x = (r - alpha rc)/(rc - alpha rc) clamped to [0, 1] (T2.16) */
        sannip_real ri = c->alpha * c->rc, iw = 1 / (c->rc - ri), pi2 = (sannip_real)(SANNIP__PI / 2);
        for (i = 0; i < n; i++) { sannip_real x = (r[i] - ri) * iw; df[i] = x < 0 ? 0 : x > 1 ? 1 : x; }
        sannip__sincospi_array(df, n, df, f);
        for (i = 0; i < n; i++) {
            sannip_real in = r[i] < c->rc, inner = r[i] < ri;
            df[i] = in * (1 - inner) * (-pi2 * iw * df[i]);
            f[i] = inner + (1 - inner) * in * (sannip_real)0.5 * (f[i] + 1);
        }
        return;
    }
    switch (c->type) {   /* a constant type per loop, so that it vectorises */
    case SANNIP_CUT_POLY1: sannip__fc_poly_array(c, SANNIP_CUT_POLY1, r, n, f, df); return;
    case SANNIP_CUT_POLY2: sannip__fc_poly_array(c, SANNIP_CUT_POLY2, r, n, f, df); return;
    case SANNIP_CUT_POLY3: sannip__fc_poly_array(c, SANNIP_CUT_POLY3, r, n, f, df); return;
    case SANNIP_CUT_POLY4: sannip__fc_poly_array(c, SANNIP_CUT_POLY4, r, n, f, df); return;
    default: break;
    }
    for (i = 0; i < n; i++) f[i] = sannip__fc(c, r[i], &df[i]);
}

/* x^m over n reals into y by squaring, m < 2^nb (nb a constant at each call, so that the loop
   vectorises); the same products in the same order as sannip__ipow. */
SANNIP__INLINE void sannip__pow_array_nb(const sannip_real *x, int m, int nb, int n, sannip_real *SANNIP__RESTRICT y)
{
    int i, l;
    for (i = 0; i < n; i++) {
        sannip_real r = 1, v = x[i];
        for (l = 0; l < nb; l++) { r *= ((m >> l) & 1) ? v : 1; v *= v; }
        y[i] = r;
    }
}
static void sannip__pow_array(const sannip_real *x, int m, int n, sannip_real *y)
{
    if (m < 8) sannip__pow_array_nb(x, m, 3, n, y);
    else if (m < 64) sannip__pow_array_nb(x, m, 6, n, y);
    else { int i; for (i = 0; i < n; i++) y[i] = sannip__ipow(x[i], m); }
}
/* sqrt over an array, in place: IEEE-754 square roots (correctly rounded, so the same bits on
   every target and in every lane), with AVX four (float: eight) at a time; GCC keeps sqrt
   loops scalar for libm's errno unless the whole program is built with -fno-math-errno. */
static void sannip__sqrt_array(sannip_real *x, int n)
{
    int i = 0;
#if defined(SANNIP__AVX) && defined(SANNIP_FLOAT)
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
#elif defined(SANNIP__AVX)
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(x + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
#endif
    for (; i < n; i++) x[i] = (sannip_real)sqrt(x[i]);
}

/* Sum of x[0..n) with four partial sums (a fixed order: results do not depend on SIMD). */
static sannip_real sannip__sum4(const sannip_real *x, int n)
{
    sannip_real a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int i;
    for (i = 0; i + 4 <= n; i += 4) { a0 += x[i]; a1 += x[i + 1]; a2 += x[i + 2]; a3 += x[i + 3]; }
    for (; i < n; i++) a0 += x[i];
    return (a0 + a1) + (a2 + a3);
}
/* Dot product of x and y in sannip__sum4's order (sannip__sum4 of the products x y). */
static sannip_real sannip__dot4(const sannip_real *x, const sannip_real *y, int n)
{
    sannip_real a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int i;
    for (i = 0; i + 4 <= n; i += 4) { a0 += x[i] * y[i]; a1 += x[i + 1] * y[i + 1]; a2 += x[i + 2] * y[i + 2]; a3 += x[i + 3] * y[i + 3]; }
    for (; i < n; i++) a0 += x[i] * y[i];
    return (a0 + a1) + (a2 + a3);
}
/* dots[m] += sannip__dot4(x[m], y, n) for m < M <= 4, the same bits: with GCC vector types
   (their products contract to FMAs exactly when the scalar loop's do) the M sums run as
   independent chains instead of one latency-bound chain per member. */
#if defined(__GNUC__) && !defined(SANNIP_NO_SIMD)
typedef sannip_real sannip__v4 __attribute__((vector_size(4 * sizeof(sannip_real)), aligned(sizeof(sannip_real)), may_alias));
SANNIP__INLINE void sannip__dot4_m(int M, const sannip_real *const *x, const sannip_real *y, int n, sannip_real *dots)
{
    sannip__v4 a[4] = { { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 } };
    int i, m, k;
    for (i = 0; i + 4 <= n; i += 4) {
        sannip__v4 yv = *(const sannip__v4 *)(y + i);
        for (m = 0; m < M; m++) a[m] += *(const sannip__v4 *)(x[m] + i) * yv;
    }
    for (m = 0; m < M; m++) {
        sannip_real a0 = a[m][0];
        for (k = i; k < n; k++) a0 += x[m][k] * y[k];
        dots[m] += (a0 + a[m][1]) + (a[m][2] + a[m][3]);
    }
}
#endif
static void sannip__dot4_multi(int M, const sannip_real *const *x, const sannip_real *y, int n, sannip_real *dots)
{
#if defined(__GNUC__) && !defined(SANNIP_NO_SIMD)
    switch (M) {
    case 1: dots[0] += sannip__dot4(x[0], y, n); break;
    case 2: sannip__dot4_m(2, x, y, n, dots); break;
    case 3: sannip__dot4_m(3, x, y, n, dots); break;
    default: sannip__dot4_m(4, x, y, n, dots); break;
    }
#else
    int m;
    for (m = 0; m < M; m++) dots[m] += sannip__dot4(x[m], y, n);
#endif
}
/* Dot product of x and y in sixteen partial sums, lane k taking the terms i = k mod 16 (a
   fixed order, so results do not depend on the SIMD width; sixteen independent sums keep
   the adds from waiting on each other on long rows). */
static sannip_real sannip__dot(const sannip_real *x, const sannip_real *y, int n)
{
    sannip_real a[16] = {0};
    int i, k;
    for (i = 0; i + 16 <= n; i += 16)
        for (k = 0; k < 16; k++) a[k] += x[i + k] * y[i + k];
    for (k = 0; i + k < n; k++) a[k] += x[i + k] * y[i + k];
    for (k = 0; k < 8; k++) a[k] += a[k + 8];
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

/* The angular factor of G4/G5 member b over a run with an integer zeta whose zeta - 1 has nb
   bits (nb a constant at each call, so the loop over k vectorises): see sannip__tri_angular. */
SANNIP__INLINE void sannip__tri_angular_nb(const sannip__tterm *b, int K, int nb, const sannip_real *cs,
        sannip_real *SANNIP__RESTRICT A, sannip_real *SANNIP__RESTRICT dA)
{
    sannip_real lam = b->lambda, pre = b->pre, zl = pre * b->zeta * lam;
    int kk, l;
    for (kk = 0; kk < K; kk++) {
        sannip_real p = 1 + lam * cs[kk], pb = p > 0 ? p : 0, x = pb, pz = 1;
        int e = b->izeta - 1;
        for (l = 0; l < nb; l++) { pz *= (e & 1) ? x : 1; x *= x; e >>= 1; }   /* pb^(zeta-1) by squaring */
        A[kk] = pre * pz * pb;
        dA[kk] = pb > 0 ? zl * pz : 0;
    }
}
/* The angular factor of G4/G5 basis b over a run (T2.21 / n2p2 SymFncExpAng{n,w}):
   A = 2^(1-zeta) (1 + lambda cos)^zeta and dA/dcos (a non-positive 1 + lambda cos gives 0,
   n2p2) at the K cosines cs, into A, dA. Bases with the same lambda and zeta share it. */
static void sannip__tri_angular(const sannip__tterm *b, int K, const sannip_real *cs, sannip_real *A, sannip_real *dA)
{
    int kk, nb = 0;
    while (b->izeta > 1 && nb < 6 && ((b->izeta - 1) >> nb)) nb++;
    switch (b->izeta < 1 ? -1 : nb) {
    case 0: sannip__tri_angular_nb(b, K, 0, cs, A, dA); break;
    case 1: sannip__tri_angular_nb(b, K, 1, cs, A, dA); break;
    case 2: sannip__tri_angular_nb(b, K, 2, cs, A, dA); break;
    case 3: sannip__tri_angular_nb(b, K, 3, cs, A, dA); break;
    case -1:   /* a non-integer zeta */
        for (kk = 0; kk < K; kk++) {
            sannip_real p = 1 + b->lambda * cs[kk], pb = p > 0 ? p : 0, pz = pb > 0 ? (sannip_real)sannip__pow(pb, b->zeta - 1) : 0;
            A[kk] = b->pre * pz * pb;
            dA[kk] = pb > 0 ? b->pre * b->zeta * b->lambda * pz : 0;
        }
        break;
    default: sannip__tri_angular_nb(b, K, 6, cs, A, dA); break;
    }
}
/* Members of a G4/G5 radial group whose g-weighted sums sannip__tri_group makes in one loop. */
#define SANNIP__MEMBERS 4
/* M members' part of their radial group's sums in g mode over np pairs (M a constant at each
   call, so that the loop vectorises): sum_m g_m A_m and sum_m g_m dA_m/dcos (A[m], A[m] + n2:
   member m's angular factor and its derivative) into Sa, Sd, or onto them (add: earlier
   members there), in member order. */
SANNIP__INLINE void sannip__tri_members_m(int M, int add, int np, const sannip_real *const *A, size_t n2, const sannip_real *g,
                                          sannip_real *SANNIP__RESTRICT Sa, sannip_real *SANNIP__RESTRICT Sd)
{
    int p, m;
    for (p = 0; p < np; p++) {
        sannip_real a = add ? Sa[p] + g[0] * A[0][p] : g[0] * A[0][p], d = add ? Sd[p] + g[0] * A[0][n2 + p] : g[0] * A[0][n2 + p];
        for (m = 1; m < M; m++) { a += g[m] * A[m][p]; d += g[m] * A[m][n2 + p]; }
        Sa[p] = a; Sd[p] = d;
    }
}
static void sannip__tri_members(int M, int add, int np, const sannip_real *const *A, size_t n2, const sannip_real *g, sannip__runbuf *R)
{
    switch (M) {
    case 1: sannip__tri_members_m(1, add, np, A, n2, g, R->Sa, R->Sd); break;
    case 2: sannip__tri_members_m(2, add, np, A, n2, g, R->Sa, R->Sd); break;
    case 3: sannip__tri_members_m(3, add, np, A, n2, g, R->Sa, R->Sd); break;
    default: sannip__tri_members_m(4, add, np, A, n2, g, R->Sa, R->Sd); break;
    }
}

/* Values and scalar derivatives (cos, r_ij, r_ik, r_jk) of Gauss-Fourier three-body term b
   over the block's pairs (j, k), into R->T, dc, dij, dik, djk. (These kinds are never
   Z-weighted.) */
static void sannip__tri_run(const sannip__tterm *b, int swap, sannip__runbuf *R, int deriv)
{
    size_t B = SANNIP__PAIRS, ca = (size_t)b->cid * B, cb = (size_t)b->cid2 * B;
    /* Gauss-Fourier three-body (T C.9, C.31, C.37): alpha(theta) R(r_a) Q(r_b) with (a, b) =
       (j, k), or (k, j) for the swapped orientation of the ordered sum */
    const sannip_real *fa = (swap ? R->fk : R->fj) + ca, *dfa = (swap ? R->dfk : R->dfj) + ca;
    const sannip_real *fb = (swap ? R->fj : R->fk) + cb, *dfb = (swap ? R->dfj : R->dfk) + cb;
    const sannip_real *ra = swap ? R->rik : R->rij, *rb = swap ? R->rij : R->rik;
    const sannip_real *ga = b->gid < 0 ? NULL : (swap ? R->gk : R->gj) + (size_t)b->gid * B;
    const sannip_real *gb = b->gid2 < 0 ? NULL : (swap ? R->gj : R->gk) + (size_t)b->gid2 * B;
    int p;
    for (p = 0; p < R->np; p++) {
        sannip_real Ra = fa[p], dRa = dfa[p], Qb = fb[p], dQb = dfb[p], al = 1, dal = 0, cs = R->cs[p];
        if (b->kind != SANNIP_GF_ANGULAR2) {
            dRa = ga[p] * (dfa[p] - 2 * b->eta * (ra[p] - b->rs) * fa[p]); Ra = ga[p] * fa[p];
            dQb = gb[p] * (dfb[p] - 2 * b->eta2 * (rb[p] - b->rs2) * fb[p]); Qb = gb[p] * fb[p];
        }
        if (b->kind != SANNIP_GF_BIRADIAL) {
            /* alpha = exp(-eta_t (1 - cos th cos ts - sin th sin ts)) (T C.32); sin th has a kink
               at collinear triplets: its derivative is taken as 0 there */
            sannip_real sn2 = 1 - cs * cs, sn = sn2 > 0 ? sqrt(sn2) : 0, dsn = sn > 1e-12 ? -cs / sn : 0;
            al = (sannip_real)sannip__exp(-b->eta_t * (1 - cs * b->cts - sn * b->sts));
            dal = al * b->eta_t * (b->cts + b->sts * dsn);
        }
        R->T[p] = al * Ra * Qb;
        if (!deriv) continue;
        R->dc[p] = dal * Ra * Qb;
        R->dij[p] = swap ? al * Ra * dQb : al * dRa * Qb;
        R->dik[p] = swap ? al * dRa * Qb : al * Ra * dQb;
        R->djk[p] = 0;
    }
}

/* ---- spin bases (T3.1-3.20, T5.1-5.6): the evaluators of the kind table's spin rows ---- */
static sannip_real sannip__dot3(const sannip_real *a, const sannip_real *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

/* The pair bracket k (SANNIP_SPIN_S2..S5, the kind table's `bracket`) for central spin a,
   neighbour spin b and unit vector u = d/r, with its gradients with respect to a, b and u
   (T3.2-3.4, 3.16). */
static sannip_real sannip__spin_bracket(int k, const sannip_real *a, const sannip_real *b, const sannip_real *u,
                                        sannip_real *da, sannip_real *db, sannip_real *du)
{
    sannip_real p, q, v;
    int x;
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
static sannip_real sannip__snorm(const sannip_real *v, sannip_real eps) { return sqrt(sannip__dot3(v, v) + eps * eps); }

/* Accumulates one output f of one atom. pos (3 per neighbour) and spin (3 per neighbour +
   central) gradients go to the dense rows (dG, dGs) and/or the contractions (c, cs). */
typedef struct sannip__spin_out {
    int n;
    sannip_real gf;                 /* contraction weight g_f (0 when no contraction) */
    sannip_real *dG, *dGs, *c, *cs; /* rows of f (stride 3(n+1)), or NULL */
    int fuse;                       /* contraction only: pair sums go through the cache's group sums */
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

/* Per-atom caches shared by the bases of one sannip__spin_eval call: the cutoff values of the
   current basis (the engine's per-neighbour cache, or those of the last cutoff used when the
   spin bases are evaluated alone), the bracket values of the last pair kind (bases that share
   them, like the 12 S2G of T sec. A.2, then cost one exp per neighbour each), the smoothed
   norms |S_j|_e of the last eps, and the neighbour sums of the last F1-F6 key (fs). */
typedef struct sannip__spin_cache {
    const sannip_real *fc, *dfc;  /* cutoff values of the current basis, per neighbour */
    const sannip_cutoff *cut;     /* cutoff of ofc/odfc (NULL: none yet) */
    sannip_real *ofc, *odfc;      /* own cutoff values (NULL: the engine's cache serves) */
    int bracket;                  /* kind (S2..S5) of v (0: none yet) */
    sannip_real *v, *x, *sn;      /* per neighbour: bracket, its transform (own scratch xs, or the kept slot), |S_j|_e */
    sannip_real *xs;
    sannip_real pw[8][2];         /* powers |S_i|^(2 y) of the central spin: (y, value), pw_n of them */
    int pw_n;
    int sn_ok, fs_nbr, fs_center, fs_a;
    sannip_real sn_eps, fs_eps;   /* eps of sn; of fs's A */
    const sannip_cutoff *fs_cut;  /* key of fs with fs_nbr, fs_center, fs_a, fs_eps (NULL: none) */
    sannip_real fs[5];            /* M (3), A, W of sannip__spin_fsums */
    /* contraction of pair sums that share bracket, cutoff and neighbour element (the group
       key): per neighbour ga = sum_f g_f dT_f, gb = sum_f g_f T_f (sannip__spin_pair_flush) */
    sannip_real *ga, *gb;
    const sannip_real *g_fc, *g_dfc;
    int g_open, g_bk, g_nbr;
    sannip_real *tkeep;           /* sannip__spin_pre's, and the next basis's place in it */
    int tload, tk, novals;
} sannip__spin_cache;

static sannip_real sannip__spin_pair_value(const sannip_basis *b, const sannip_real *Si, const sannip_real *Sj, const sannip_real *u)
{
    sannip_real da[3], db[3], du[3];
    return sannip__spin_bracket(sannip__kind(b->kind)->bracket, Si, Sj, u, da, db, du);
}
/* v^y of v = S_i.S_i, the central spin's squared length: the S1 and S1G bases of one atom
   share a few exponents (the thesis's 8 S1G take v^(1/2), v^(-1/2), v and 1), so each is
   computed once per atom (sannip__pow is exp(y log v) for fractional y). */
static sannip_real sannip__spin_vpow(sannip__spin_cache *C, sannip_real v, sannip_real y)
{
    sannip_real r;
    int k;
    for (k = 0; k < C->pw_n; k++) if (C->pw[k][0] == y) return C->pw[k][1];
    r = (sannip_real)sannip__pow(v, y);
    if (C->pw_n < 8) { C->pw[C->pw_n][0] = y; C->pw[C->pw_n][1] = r; C->pw_n++; }
    return r;
}
/* The self bases S1 (T3.1, 3.11, 3.12) and S1G (T3.17) of the central spin a = S_i. They have
   no position derivative: a contraction pass without spin outputs and whose values are known
   has nothing to do. */
static sannip_real sannip__spin_self(const sannip_basis *b, const sannip_env *env, const sannip_real *u,
                                     sannip__spin_cache *C, const sannip__spin_out *o, int deriv)
{
    const sannip_real *a = env->Sc;
    sannip_real v = sannip__dot3(a, a), T, dv, g[3];
    int x;
    (void)u;
    if (C->novals && !o->dGs && !o->cs) return 0;
    if (!sannip__has(b, SANNIP_BASIS_GAUSSIAN)) {        /* v^xi, dv = 2 xi v^(xi-1) a */
        T = b->zeta == 1 ? v : sannip__spin_vpow(C, v, b->zeta);
        dv = v > 0 ? 2 * b->zeta * (b->zeta == 1 ? 1 : sannip__spin_vpow(C, v, b->zeta - 1)) : 0;
    } else {                                             /* exp(-eta (v^(xi/2) - shift)^2) */
        sannip_real s = v > 0 ? sannip__spin_vpow(C, v, b->zeta / 2) : 0, e = s - b->rs;
        T = (sannip_real)sannip__exp(-b->eta * e * e);
        dv = v > 0 ? -2 * b->eta * e * T * b->zeta * sannip__spin_vpow(C, v, b->zeta / 2 - 1) : 0;   /* d/da = dv a */
    }
    for (x = 0; x < 3; x++) g[x] = dv * a[x];
    if (deriv) sannip__spin_put_spin(o, env->n, 1, g);
    return T;
}
/* dT/dv of a pair sum's transform T(v) of the bracket v: exp(-eta (v - shift)^2) or v^xi. */
static sannip_real sannip__spin_slope(const sannip_basis *b, int gauss, sannip_real v, sannip_real T)
{
    return gauss ? -2 * b->eta * (v - b->rs) * T : b->zeta * sannip__ipow(v, (int)b->zeta - 1);
}
/* The bracket values v[j] of kind bk for the n neighbours (S2's S_i.S_j as a loop that
   vectorises; the same sums as sannip__spin_bracket). */
static void sannip__spin_brackets(int bk, const sannip_real *a, const sannip_real *SANNIP__RESTRICT Sn, const sannip_real *u, int n,
                                  sannip_real *SANNIP__RESTRICT v)
{
    sannip_real da[3], db[3], du[3];
    int j;
    if (bk == SANNIP_SPIN_S2) {
        const sannip_real a0 = a[0], a1 = a[1], a2 = a[2];
        for (j = 0; j < n; j++) v[j] = a0 * Sn[3 * j] + a1 * Sn[3 * j + 1] + a2 * Sn[3 * j + 2];
        return;
    }
    for (j = 0; j < n; j++) v[j] = sannip__spin_bracket(bk, a, Sn + 3 * j, u + 3 * j, da, db, du);
}
/* The contraction of the open pair-sum group into c and cs: every member's derivative is
   g_f dT_f fc (bracket gradients) + g_f T_f fc' u, so the group needs one bracket gradient
   per neighbour (the sums ga, gb), not one per member and neighbour. */
static void sannip__spin_pair_flush(sannip__spin_cache *C, const sannip_env *env, const sannip_real *u, sannip_real *c, sannip_real *cs)
{
    sannip_real da[3], db[3], du[3], sa[3] = { 0, 0, 0 };
    int j, x;
    if (!C->g_open) return;
    C->g_open = 0;
    if (C->g_bk == SANNIP_SPIN_S2) {   /* S_i.S_j: du = 0 and da = S_j, db = S_i, in loops that vectorise */
        const sannip_real *SANNIP__RESTRICT ga = C->ga, *SANNIP__RESTRICT gb = C->gb, *SANNIP__RESTRICT fc = C->g_fc, *SANNIP__RESTRICT dfc = C->g_dfc;
        const sannip_real *SANNIP__RESTRICT U = u, *SANNIP__RESTRICT Sn = env->Sn;
        if (c) {
            sannip_real *SANNIP__RESTRICT cc = c;
            for (j = 0; j < env->n; j++) {
                sannip_real B = gb[j] * dfc[j];
                cc[3 * j] += B * U[3 * j]; cc[3 * j + 1] += B * U[3 * j + 1]; cc[3 * j + 2] += B * U[3 * j + 2];
            }
        }
        if (cs) {
            sannip_real *SANNIP__RESTRICT cc = cs, s0 = 0, s1 = 0, s2 = 0, a0 = env->Sc[0], a1 = env->Sc[1], a2 = env->Sc[2];
            for (j = 0; j < env->n; j++) {
                sannip_real A = ga[j] * fc[j];
                cc[3 * j] += A * a0; cc[3 * j + 1] += A * a1; cc[3 * j + 2] += A * a2;
                s0 += A * Sn[3 * j]; s1 += A * Sn[3 * j + 1]; s2 += A * Sn[3 * j + 2];
            }
            cs[3 * env->n] += s0; cs[3 * env->n + 1] += s1; cs[3 * env->n + 2] += s2;
        }
        return;
    }
    for (j = 0; j < env->n; j++) {
        const sannip_real *uj = u + 3 * j;
        sannip_real A = C->ga[j] * C->g_fc[j], B = C->gb[j] * C->g_dfc[j], ud;
        if (A == 0 && B == 0) continue;
        sannip__spin_bracket(C->g_bk, env->Sc, env->Sn + 3 * j, uj, da, db, du);
        ud = sannip__dot3(uj, du);
        /* d/dd_j: A (I - u u^T) du / r + B u, as in sannip__spin_pairsum */
        if (c) for (x = 0; x < 3; x++) c[3 * j + x] += A * (du[x] - ud * uj[x]) / env->r[j] + B * uj[x];
        if (cs) for (x = 0; x < 3; x++) { cs[3 * j + x] += A * db[x]; sa[x] += A * da[x]; }
    }
    if (cs) for (x = 0; x < 3; x++) cs[3 * env->n + x] += sa[x];
}
/* Adds g_f T_j and g_f dT_j of one pair-sum basis (bracket bk, transform in C->x) to its
   group's sums, flushing the open group first when the key differs. */
static void sannip__spin_pair_gather(const sannip_basis *b, int bk, const sannip_env *env, const sannip_real *u,
                                     sannip__spin_cache *C, const sannip__spin_out *o)
{
    int j, n = env->n, gauss = sannip__has(b, SANNIP_BASIS_GAUSSIAN);
    if (C->g_open && (C->g_bk != bk || C->g_fc != C->fc || C->g_nbr != b->nbr[0])) sannip__spin_pair_flush(C, env, u, o->c, o->cs);
    if (!C->g_open) {
        C->g_open = 1; C->g_bk = bk; C->g_fc = C->fc; C->g_dfc = C->dfc; C->g_nbr = b->nbr[0];
        for (j = 0; j < n; j++) C->ga[j] = C->gb[j] = 0;
    }
    if (gauss) {   /* branch-free, so that it vectorises: neighbours of other elements add g = 0 */
        const sannip_real m2 = -2 * b->eta, rs = b->rs, gf = o->gf, *SANNIP__RESTRICT x = C->x, *SANNIP__RESTRICT v = C->v;
        sannip_real *SANNIP__RESTRICT ga = C->ga, *SANNIP__RESTRICT gb = C->gb;
        const int *SANNIP__RESTRICT Zn = env->Zn, nbr = b->nbr[0];
        for (j = 0; j < n; j++) {
            sannip_real w = (nbr == SANNIP_ANY || Zn[j] == nbr) ? gf : 0;
            ga[j] += w * (m2 * (v[j] - rs) * x[j]); gb[j] += w * x[j];
        }
        return;
    }
    for (j = 0; j < n; j++) {
        sannip_real T = C->x[j], dT = sannip__spin_slope(b, gauss, C->v[j], T);
        if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
        C->ga[j] += o->gf * dT; C->gb[j] += o->gf * T;
    }
}
/* Pair-sum kinds S2..S5, S2G..S5G: sum_j T(bracket) fc. */
static sannip_real sannip__spin_pairsum(const sannip_basis *b, const sannip_env *env, const sannip_real *u,
                                        sannip__spin_cache *C, const sannip__spin_out *o, int deriv)
{
    const sannip_real *fcv = C->fc, *dfcv = C->dfc;
    sannip_real G = 0, da[3], db[3], du[3], pd[3];
    int j, x, n = env->n, bk = sannip__kind(b->kind)->bracket, gauss = sannip__has(b, SANNIP_BASIS_GAUSSIAN);
    if (C->bracket != bk) {
        sannip__spin_brackets(bk, env->Sc, env->Sn, u, n, C->v);
        C->bracket = bk;
    }
    /* the transform of every bracket at once: one vectorised exp for the Gaussians, made in
       (or, by a contraction pass, read from) the slot a values pass keeps for its atom */
    C->x = gauss && C->tkeep ? C->tkeep + (size_t)C->tk++ * (size_t)n : C->xs;
    if (gauss && !(C->tkeep && C->tload)) {
        const sannip_real eta = b->eta, rs = b->rs, *SANNIP__RESTRICT v = C->v;
        sannip_real *SANNIP__RESTRICT x = C->x;
        for (j = 0; j < n; j++) { sannip_real e = v[j] - rs; x[j] = -eta * e * e; }
        sannip__exp_array(x, n);
    } else if (!gauss) for (j = 0; j < n; j++) C->x[j] = sannip__ipow(C->v[j], (int)b->zeta);
    if (deriv && o->fuse) {
        sannip__spin_pair_gather(b, bk, env, u, C, o);
        if (C->novals) return 0;
        deriv = 0;
    }
    {   /* the value: sum_j T fc over the neighbours of b's element, in sannip__sum4's order (a loop that vectorises) */
        sannip_real *SANNIP__RESTRICT t = C->sn;
        const sannip_real *SANNIP__RESTRICT x = C->x, *SANNIP__RESTRICT fc = fcv;
        for (j = 0; j < n; j++) t[j] = (b->nbr[0] == SANNIP_ANY || env->Zn[j] == b->nbr[0]) ? x[j] * fc[j] : 0;
        C->sn_ok = 0;   /* the scratch held the smoothed norms */
        G = sannip__sum4(t, n);
    }
    for (j = 0; deriv && j < n; j++) {
        const sannip_real *uj = u + 3 * j;
        sannip_real fc = fcv[j], dfc = dfcv[j], T = C->x[j], dT, ud;
        if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
        if (fc == 0 && dfc == 0) continue;
        sannip__spin_bracket(bk, env->Sc, env->Sn + 3 * j, uj, da, db, du);
        dT = sannip__spin_slope(b, gauss, C->v[j], T);
        /* d/dd_j: dT fc (I - u u^T) du / r + T fc' u */
        ud = sannip__dot3(uj, du);
        for (x = 0; x < 3; x++) pd[x] = dT * fc * (du[x] - ud * uj[x]) / env->r[j] + T * dfc * uj[x];
        sannip__spin_put_pos(o, j, 1, pd);
        sannip__spin_put_spin(o, j, dT * fc, db);
        sannip__spin_put_spin(o, env->n, dT * fc, da);
    }
    return G;
}

/* The smoothed norms |S_j|_e = sqrt(S_j.S_j + eps^2) of the neighbour spins (F1, F2, F4-F6),
   kept for the next basis with the same eps. */
static const sannip_real *sannip__spin_snorms(const sannip_env *env, sannip_real eps, sannip__spin_cache *C)
{
    int j;
    if (!C->sn_ok || C->sn_eps != eps) {
        for (j = 0; j < env->n; j++) C->sn[j] = sannip__snorm(env->Sn + 3 * j, eps);
        C->sn_ok = 1; C->sn_eps = eps;
    }
    return C->sn;
}
/* The neighbour sums of F1-F6 (T5.1-5.6) over the neighbours of b's element, with the cutoff
   values in C: M = sum_j fc S_j, A = sum_j fc (|S_j|_e - eps) (when need_a, else 0) and
   W = sum_j fc, each from the central atom's term (S_i, |S_i|_e - eps, 1) when center, else
   from 0; into C->fs (M, A, W). The bases that follow with the same cutoff, element and
   centre (and eps, for A) take them from there: one pass over the neighbours for all. */
static const sannip_real *sannip__spin_fsums(const sannip_basis *b, const sannip_env *env, sannip__spin_cache *C, int center, int need_a)
{
    const sannip_real eps = b->eps, *fc = C->fc, *sn;
    sannip_real *s = C->fs;
    int j, k;
    if (C->fs_cut && sannip__cutoff_equal(C->fs_cut, &b->cut[0]) && C->fs_nbr == b->nbr[0] && C->fs_center == center
        && (!need_a || (C->fs_a && C->fs_eps == eps))) return s;
    sn = need_a ? sannip__spin_snorms(env, eps, C) : NULL;
    for (k = 0; k < 3; k++) s[k] = center ? env->Sc[k] : 0;
    s[3] = center && need_a ? sannip__snorm(env->Sc, eps) - eps : 0;
    s[4] = center ? 1 : 0;
    for (j = 0; j < env->n; j++) {
        if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
        for (k = 0; k < 3; k++) s[k] += fc[j] * env->Sn[3 * j + k];
        if (need_a) s[3] += fc[j] * (sn[j] - eps);
        s[4] += fc[j];
    }
    C->fs_cut = &b->cut[0]; C->fs_nbr = b->nbr[0]; C->fs_center = center; C->fs_a = need_a; C->fs_eps = eps;
    return s;
}

/* F1-F3 (T5.1-5.3): Gaussians of neighbour sums (the central atom excluded). F1 and F2 take
   the smoothed norm of F4-F6, |v|_e - eps with |v|_e = sqrt(v.v + eps^2), so that they are
   smooth where a neighbour spin or the neighbour sum M vanishes (zero-moment atoms, AFM
   shells); F3's S_i.M is smooth as it stands. */
static sannip_real sannip__spin_f123(const sannip_basis *b, const sannip_env *env, const sannip_real *u,
                                     sannip__spin_cache *C, const sannip__spin_out *o, int deriv)
{
    const sannip_real eps = b->eps, *fc = C->fc, *dfc = C->dfc, *S = sannip__spin_fsums(b, env, C, 0, b->kind == SANNIP_SPIN_F1);
    const sannip_real *sn = b->kind == SANNIP_SPIN_F1 ? sannip__spin_snorms(env, eps, C) : NULL;
    sannip_real M[3], x, T, dT, mn = 0, mh[3] = { 0, 0, 0 };
    int j, k;
    for (k = 0; k < 3; k++) M[k] = S[k];
    if (b->kind == SANNIP_SPIN_F1) x = S[3];
    else if (b->kind == SANNIP_SPIN_F2) {
        mn = sannip__snorm(M, eps); x = mn - eps;
        for (k = 0; k < 3; k++) mh[k] = M[k] / mn;
    } else x = sannip__dot3(env->Sc, M);
    x -= b->rs;
    T = (sannip_real)sannip__exp(-b->eta * x * x);
    if (!deriv) return T;
    dT = -2 * b->eta * x * T;
    if (b->kind == SANNIP_SPIN_F3) sannip__spin_put_spin(o, env->n, dT, M);
    for (j = 0; j < env->n; j++) {
        const sannip_real *Sj = env->Sn + 3 * j;
        sannip_real sj, w, s[3];
        if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
        if (fc[j] == 0 && dfc[j] == 0) continue;
        if (b->kind == SANNIP_SPIN_F1) {       /* dA/dS_j = fc S_j/|S_j|_e, dA/dd_j = (|S_j|_e - eps) fc' u */
            sj = sn[j];
            w = sj - eps; for (k = 0; k < 3; k++) s[k] = Sj[k] / sj;
        } else if (b->kind == SANNIP_SPIN_F2) { /* d|M|_e/dS_j = fc m, m = M/|M|_e; d|M|_e/dd_j = (m.S_j) fc' u */
            w = sannip__dot3(mh, Sj); for (k = 0; k < 3; k++) s[k] = mh[k];
        } else {                               /* d(S_i.M)/dS_j = fc S_i, /dd_j = (S_i.S_j) fc' u */
            w = sannip__dot3(env->Sc, Sj); for (k = 0; k < 3; k++) s[k] = env->Sc[k];
        }
        sannip__spin_put_spin(o, j, dT * fc[j], s);
        sannip__spin_put_pos(o, j, dT * w * dfc[j], u + 3 * j);
    }
    return T;
}

/* F4-F6 (T5.4-5.6, smoothed as documented in the declarations). Slot n is the central atom
   with weight 1 and no position dependence. Long (73 lines) on purpose: the three share the
   local magnetisation M and its smoothed norm, and F5/F6 need two passes over the same
   neighbours (the mean of c_j, then the gradients); split, each part would recompute M. */
static sannip_real sannip__spin_f456(const sannip_basis *b, const sannip_env *env, const sannip_real *u,
                                     sannip__spin_cache *C, const sannip__spin_out *o, int deriv)
{
    const sannip_real eps = b->eps, *fc = C->fc, *dfc = C->dfc, *S = sannip__spin_fsums(b, env, C, 1, 1), *snv = sannip__spin_snorms(env, eps, C);
    sannip_real M[3], A = S[3], W = S[4], Me, mh[3], F = 0, F5 = 0, Q = 0, V[3] = { 0, 0, 0 }, gM[3], mv, sc = sannip__snorm(env->Sc, eps);
    int j, k, pass;
    for (k = 0; k < 3; k++) M[k] = S[k];
    Me = sannip__snorm(M, eps);
    for (k = 0; k < 3; k++) mh[k] = M[k] / Me;
    if (b->kind == SANNIP_SPIN_F4) {
        F = (Me - eps) / (A + eps);
        if (!deriv) return F;
        /* dF/dM = m^/(A+eps); dF/dA = -F/(A+eps) */
        for (k = 0; k < 3; k++) gM[k] = mh[k] / (A + eps);
        for (j = 0; j <= env->n; j++) {
            const sannip_real *Sj = j < env->n ? env->Sn + 3 * j : env->Sc;
            sannip_real fcj = 1, sn = j < env->n ? snv[j] : sc, gA = -F / (A + eps), s[3];
            if (j < env->n) {
                if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
                fcj = fc[j];
                if (fcj == 0 && dfc[j] == 0) continue;
                sannip__spin_put_pos(o, j, dfc[j] * (sannip__dot3(gM, Sj) + gA * (sn - eps)), u + 3 * j);
            }
            for (k = 0; k < 3; k++) s[k] = fcj * (gM[k] + gA * Sj[k] / sn);
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
            sannip_real dfcj = 0, fcj = 1, sn = j < env->n ? snv[j] : sc, cj, q, rw;
            if (j < env->n) {
                if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
                fcj = fc[j]; dfcj = dfc[j];
            }
            cj = sannip__dot3(Sj, mh) / sn;
            if (pass == 0) { F5 += fcj * cj; Q += fcj * cj * cj; continue; }
            /* q = dF/dc_j, rw = dF/dw_j at fixed c */
            if (b->kind == SANNIP_SPIN_F5) { q = fcj / W; rw = (cj - F5) / W; }
            else { q = 2 * fcj * (cj - F5) / W; rw = ((cj * cj - Q) - 2 * F5 * (cj - F5)) / W; }
            /* through s_j: q (m^ - s_j (s_j.m^))/|S_j|_e */
            {
                sannip_real s[3];
                for (k = 0; k < 3; k++) s[k] = q * (mh[k] - Sj[k] / sn * cj) / sn;
                sannip__spin_put_spin(o, j, 1, s);
                for (k = 0; k < 3; k++) V[k] += q * Sj[k] / sn;
            }
            if (j < env->n && dfcj != 0) sannip__spin_put_pos(o, j, rw * dfcj, u + 3 * j);
        }
    }
    /* through m^ = M/|M|_e: gM = (V - m^ (m^.V))/|M|_e; dM/dS_j = w_j, dM/dd_j = S_j fc' u */
    mv = sannip__dot3(mh, V);
    for (k = 0; k < 3; k++) gM[k] = (V[k] - mh[k] * mv) / Me;
    for (j = 0; j <= env->n; j++) {
        const sannip_real *Sj = j < env->n ? env->Sn + 3 * j : env->Sc;
        sannip_real fcj = 1;
        if (j < env->n) {
            if (b->nbr[0] != SANNIP_ANY && env->Zn[j] != b->nbr[0]) continue;
            fcj = fc[j];
            if (fcj == 0 && dfc[j] == 0) continue;
            sannip__spin_put_pos(o, j, dfc[j] * sannip__dot3(gM, Sj), u + 3 * j);
        }
        sannip__spin_put_spin(o, j, fcj, gM);
    }
    return F;
}

/* Unit vectors and cutoff values of the neighbours from the descriptor engine's caches: u
   (3 per neighbour) and fc, dfc (id-major, n per id) with cid, the plan's cutoff id of each
   basis, so that the spin bases share them with the geometric bases of the same cutoff;
   tkeep: room for the transforms of one atom's Gaussian pair sums (n per basis, in basis
   order), filled by a values pass and read back by its contraction pass when tload (NULL:
   none); novals: a contraction pass whose values are known (pair sums make no values). */
typedef struct sannip__spin_pre { const sannip_real *u, *fc, *dfc; const int *cid; sannip_real *tkeep; int tload, novals; } sannip__spin_pre;

/* The cutoff values of basis b (position f) into C->fc, dfc: the engine's cache (pre), or,
   when the spin bases are evaluated alone, computed as the engine does (sannip__fc_array)
   when the cutoff differs from the last one. */
static void sannip__spin_cutoffs(const sannip_basis *b, int f, const sannip_env *env, const sannip__spin_pre *pre, sannip__spin_cache *C)
{
    size_t nn = (size_t)env->n;
    if (pre) { C->fc = pre->fc + nn * (size_t)pre->cid[f]; C->dfc = pre->dfc + nn * (size_t)pre->cid[f]; return; }
    if (!C->cut || !sannip__cutoff_equal(C->cut, &b->cut[0])) { sannip__fc_array(&b->cut[0], env->r, env->n, C->ofc, C->odfc); C->cut = &b->cut[0]; }
    C->fc = C->ofc; C->dfc = C->odfc;
}
/* The spin bases among idx, with the outputs of sannip__env_eval plus the spin derivatives
   dGs and their contraction cs; work holds 5 n reals with pre, else 8 n. With pre, a pure
   contraction (g without dense rows) sums the pair bases by group (sannip__spin_pair_flush). */
static void sannip__spin_run(const sannip_descriptors *set, const int *idx, int nf, const sannip_env *env,
                             sannip_real *G, sannip_real *dG, const sannip_real *g, sannip_real *c,
                             sannip_real *dGs, sannip_real *cs, sannip_real *work, const sannip__spin_pre *pre)
{
    size_t stride = 3 * ((size_t)env->n + 1), nn = (size_t)env->n;
    int f, j, deriv = dG || dGs || (g && (c || cs)), fuse = pre && g && !dG && !dGs;
    const sannip_real *u;
    sannip__spin_cache C;
    memset(&C, 0, sizeof C);
    C.v = work; C.xs = C.x = C.v + nn; C.sn = C.xs + nn;
    if (pre) { u = pre->u; C.ga = C.sn + nn; C.gb = C.ga + nn; C.tkeep = pre->tkeep; C.tload = pre->tload; C.novals = pre->novals; }
    else {   /* the unit vectors and cutoff values of sannip__env_setup, here */
        sannip_real *w = C.sn + nn;
        C.ofc = w + 3 * nn; C.odfc = C.ofc + nn;
        for (j = 0; j < env->n; j++) {
            w[3 * j] = env->d[3 * j] / env->r[j]; w[3 * j + 1] = env->d[3 * j + 1] / env->r[j]; w[3 * j + 2] = env->d[3 * j + 2] / env->r[j];
        }
        u = w;
    }
    for (f = 0; f < nf; f++) {
        const sannip_basis *b = &set->b[idx[f]];
        sannip__spin_out o;
        if (!sannip__has(b, SANNIP_BASIS_SPIN)) continue;
        if (sannip__has(b, SANNIP_BASIS_NEIGHBORS)) sannip__spin_cutoffs(b, f, env, pre, &C);
        o.n = env->n;
        o.gf = g ? g[f] : 0;
        o.dG = dG ? dG + (size_t)f * stride : NULL;
        o.dGs = dGs ? dGs + (size_t)f * stride : NULL;
        o.c = g ? c : NULL;
        o.cs = g ? cs : NULL;
        o.fuse = fuse;
        G[f] += sannip__kind(b->kind)->eval(b, env, u, &C, &o, deriv);
    }
    if (fuse) sannip__spin_pair_flush(&C, env, u, c, cs);
}
SANNIP__COLD void sannip__spin_eval(const sannip_descriptors *set, const int *idx, int nf, const sannip_env *env,
                              sannip_real *G, sannip_real *dG, const sannip_real *g, sannip_real *c,
                              sannip_real *dGs, sannip_real *cs, sannip_real *work)
{
    sannip__spin_run(set, idx, nf, env, G, dG, g, c, dGs, cs, work, NULL);
}

/* The state of one sannip__env_eval call, shared by its phases. */
typedef struct sannip__envrun {
    const sannip_descriptors *set;
    const int *idx;
    const sannip_env *env;
    sannip_real *G, *dG, *c;
    const sannip_real *g;
    sannip__envplan P;
    sannip__runbuf R;
    sannip__envcache K;
    sannip__arena A;       /* the work buffer after the plan: each environment's caches follow it */
    int *cls, *runs, nrun, nf, n, deriv;
    int *kix;              /* the k of one j's run that the triplet loop visits */
    int mslot, mload;      /* moments: the atom's slot in P.mkeep (-1: none); mload: read it instead of summing */
    int vals;              /* three-body values wanted (0: a g-mode pass whose values are known) */
    size_t stride, nn;
    /* Kept blocks (sannip__env_keep_begin): a values pass with keep = 1 appends each triplet
       block's inputs to kb[..nkb) (class pair kcp[b]), and a contraction pass with replay = 1
       reads kb[kb0..kb1) back instead of recomputing geometry, cutoffs, Gaussians and angular
       factors. kfull: a values pass ran out of kept blocks (its atom was not kept whole). */
    sannip__runbuf Rs, *kb;    /* Rs: the block buffer of a pass that keeps nothing */
    int *kcp, nkb, capkb, kb0, kb1, kfull, keep, replay;
} sannip__envrun;

/* The plan of the bases idx for environments of up to nmax neighbours, carved at the start of
   work (sannip_env_work_size(set, idx, nf, nmax) reals): made once for any number of
   sannip__env_run calls (a block of atoms of one element). */
static void sannip__env_begin(sannip__envrun *E, const sannip_descriptors *set, const int *idx, int nf, int nmax, sannip_real *work)
{
    int j;
    E->set = set; E->idx = idx; E->nf = nf;
    /* work holds sannip_env_work_size reals (the contract): that measure uses the upper bounds
       of the plan's counts, this carve the actual ones, so it cannot overrun; not measuring
       again here saves a plan walk */
    E->A = sannip__arena_begin(work, (size_t)-1 / 2);
    sannip__envplan_make(&E->P, set, idx, nf, nmax, &E->A, &E->cls, &E->runs, &E->kix);
    sannip__runbuf_layout(&E->A, &E->R, E->P.ncut, E->P.ngs, E->P.naid);
    for (j = 0; j < SANNIP__PAIRS; j++) E->R.one[j] = 1;
    E->Rs = E->R;
    E->kb = NULL; E->kcp = NULL; E->nkb = E->capkb = E->kb0 = E->kb1 = E->kfull = E->keep = E->replay = 0;
    E->mslot = -1; E->mload = 0;
}
/* Reals of one kept block of the plan's triplet loop. */
static size_t sannip__env_keep_block(const sannip__envrun *E)
{
    sannip__arena a = sannip__arena_begin(NULL, 0);
    sannip__runbuf R;
    sannip__runbuf_inputs(&a, &R, E->P.ncut, E->P.ngs, E->P.naid);
    return sannip__arena_reals(&a) + 1 + (sizeof(sannip__runbuf) + sizeof(int)) / sizeof(sannip_real);
}
/* Room for kept blocks in buf (reals of it): as many as fit, each with the shared scratch of
   E->R; none when fewer than two fit. */
static void sannip__env_keep_begin(sannip__envrun *E, sannip_real *buf, size_t reals)
{
    size_t per = sannip__env_keep_block(E), n = buf ? reals / per : 0;
    sannip__arena a = sannip__arena_begin(buf, reals * sizeof(sannip_real));
    int b;
    E->capkb = n >= 2 ? (int)SANNIP__MIN(n - 1, 4096) : 0;
    if (E->capkb == 0) return;
    E->kb = SANNIP__TAKE(&a, (size_t)E->capkb, sannip__runbuf);
    E->kcp = SANNIP__TAKE(&a, (size_t)E->capkb, int);
    for (b = 0; b < E->capkb; b++) { E->kb[b] = E->R; sannip__runbuf_inputs(&a, &E->kb[b], E->P.ncut, E->P.ngs, E->P.naid); }
}
/* Triplet blocks of one environment (sannip__env_triplets fills each class pair's blocks to
   SANNIP__PAIRS pairs): per class pair with bases, the pairs j < k of its classes with
   r_ij < rtri; INT_MAX when the plan has more than 8 classes (not counted). */
static int sannip__env_keep_need(const sannip__envrun *E, const sannip_env *env)
{
    const sannip__envplan *P = &E->P;
    int after[8] = { 0 }, C = P->C, j, c, ck, need = 0;
    long pairs[64] = { 0 };
    if (C > 8) return INT_MAX;
    for (j = env->n - 1; j >= 0; j--) {
        int z = env->Zn[j];
        c = P->cls_of_z[(z >= 0 && z <= SANNIP_MAX_Z) ? z : 0];
        if (env->r[j] < P->rtri) for (ck = 0; ck < C; ck++) pairs[c * C + ck] += after[ck];
        after[c]++;
    }
    for (c = 0; c < C * C; c++)
        if (P->tri_off[c] < P->tri_off[c + 1]) need += (int)((pairs[c] + SANNIP__PAIRS - 1) / SANNIP__PAIRS);
    return need;
}

/* Setup of one environment: caches carved after the plan, outputs zeroed, and per neighbour
   its class, unit vector, cutoff values and Gaussians, then the runs of equal neighbour
   element (the neighbour list orders pairs by element). */
static void sannip__env_setup(sannip__envrun *E)
{
    const sannip_env *env = E->env;
    sannip__envplan *P = &E->P;
    int j, f, q, n = E->n;
    size_t nn = E->nn;
    sannip__arena A = E->A;
    sannip__envcache_layout(&A, &E->K, n, P->ncut, P->ngs);
    for (f = 0; f < E->nf; f++) E->G[f] = 0;
    if (E->dG) memset(E->dG, 0, sizeof(sannip_real) * E->stride * (size_t)E->nf);
    if (E->c) memset(E->c, 0, sizeof(sannip_real) * 3 * nn);
    for (j = 0; j < n; j++) {
        sannip_real r = env->r[j], *u = E->K.u + 3 * j;
        int z = env->Zn[j];
        E->cls[j] = P->cls_of_z[(z >= 0 && z <= SANNIP_MAX_Z) ? z : 0];
        u[0] = env->d[3 * j] / r; u[1] = env->d[3 * j + 1] / r; u[2] = env->d[3 * j + 2] / r;
        E->K.ir[j] = 1 / r;
    }
    for (q = 0; q < P->ncut; q++) sannip__fc_array(P->cuts[q], env->r, n, E->K.fc + nn * q, E->K.dfc + nn * q);
    for (q = 0; q < P->ngs; q++) {
        sannip_real *o = E->K.gs + nn * q;
        for (j = 0; j < n; j++) { sannip_real x = env->r[j] - P->grs[q]; o[j] = -P->geta[q] * x * x; }
        sannip__exp_array(o, n);
    }
    E->nrun = 0;
    for (j = 0; j < n; j++) if (j == 0 || env->Zn[j] != env->Zn[j - 1]) E->runs[E->nrun++] = j;
    E->runs[E->nrun] = n;
}

/* Pair loop: G2 and gf_radial (T2.18, T C.5/C.6), per run of one element and basis along the
   run's neighbours, so that the loops vectorise: G_f += Z sum_j g_j f_c(r_j) (Z the run's
   element when Z-weighted, else 1) and dT_j = Z g_j (f_c'(r_j) - 2 eta (r_j - rs) f_c(r_j));
   in g mode acc_j = sum_f g_f dT_j, then one chain rule per neighbour into c; dense rows
   dT_j u_j. */
static void sannip__env_pairs(sannip__envrun *E)
{
    const sannip_env *env = E->env;
    const sannip__envplan *P = &E->P;
    const sannip_real *u = E->K.u, *g = E->g;
    sannip_real *SANNIP__RESTRICT acc = E->K.pw, *SANNIP__RESTRICT dT = E->K.pw + E->nn;
    size_t nn = E->nn;
    int r, j, q;
    if (g && E->deriv) for (j = 0; j < E->n; j++) acc[j] = 0;
    for (r = 0; r < E->nrun; r++) {
        int j0 = E->runs[r], len = E->runs[r + 1] - j0, cl = E->cls[j0];
        const sannip_real *rr = env->r + j0;
        for (q = P->rad_off[cl]; q < P->rad_off[cl + 1]; q++) {
            int f = P->rad[q];
            const sannip_basis *b = &E->set->b[E->idx[f]];
            const sannip_real *fc = E->K.fc + nn * P->cid[f] + j0, *dfc = E->K.dfc + nn * P->cid[f] + j0, *gs = E->K.gs + nn * P->gid[f] + j0;
            sannip_real zw = b->nbr[0] == SANNIP_ZWEIGHT ? (sannip_real)env->Zn[j0] : 1, te = 2 * b->eta, rs = b->rs;
            E->G[f] += zw * sannip__dot4(gs, fc, len);
            if (!E->deriv) continue;
            for (j = 0; j < len; j++) dT[j] = zw * gs[j] * (dfc[j] - te * (rr[j] - rs) * fc[j]);
            if (g) { sannip_real gf = g[f]; sannip_real *SANNIP__RESTRICT a = acc + j0; for (j = 0; j < len; j++) a[j] += gf * dT[j]; }
            if (E->dG) {
                sannip_real *o = E->dG + (size_t)f * E->stride + 3 * (size_t)j0;
                const sannip_real *uj = u + 3 * (size_t)j0;
                for (j = 0; j < 3 * len; j++) o[j] += dT[j / 3] * uj[j];
            }
        }
    }
    if (g && E->deriv)
        for (j = 0; j < 3 * E->n; j++) E->c[j] += acc[j / 3] * u[j];
}

/* Geometry of a segment's pairs p0..p0+K-1 (one j against the K neighbours ks; dj, uj: j's
   3 reals, d, u, r, ir = 1/r: every neighbour's): r_ij, r_ik, r_jk, the unit vectors u_ij, u_ik and
   u_jk = (d_k - d_j)/r_jk, 1/r_ij, 1/r_ik (these five only with vectors: a pass with derivatives),
   cos(theta_ijk) = u_ij . u_ik. */
static void sannip__tri_geometry(sannip__runbuf *R, int p0, int K, const int *ks, const sannip_real *dj, const sannip_real *d,
                                 const sannip_real *uj, const sannip_real *u, sannip_real rj, const sannip_real *r,
                                 sannip_real irj, const sannip_real *ir, int vectors)
{
    size_t B = SANNIP__PAIRS;
    sannip_real *SANNIP__RESTRICT rjk = R->rjk + p0, *SANNIP__RESTRICT rij = R->rij + p0, *SANNIP__RESTRICT rik = R->rik + p0;
    sannip_real *SANNIP__RESTRICT cs = R->cs + p0, *SANNIP__RESTRICT ix = R->ui + p0, *SANNIP__RESTRICT iy = ix + B, *SANNIP__RESTRICT iz = iy + B;
    sannip_real *SANNIP__RESTRICT kx = R->uk + p0, *SANNIP__RESTRICT ky = kx + B, *SANNIP__RESTRICT kz = ky + B;
    sannip_real *SANNIP__RESTRICT ux = R->ujk + p0, *SANNIP__RESTRICT uy = ux + B, *SANNIP__RESTRICT uz = uy + B;
    sannip_real *SANNIP__RESTRICT irij = R->irij + p0, *SANNIP__RESTRICT irik = R->irik + p0;
    sannip_real x0 = dj[0], y0 = dj[1], z0 = dj[2], a = uj[0], b = uj[1], c = uj[2];
    int kk;
    for (kk = 0; kk < K; kk++) {
        int k = ks[kk];
        sannip_real x = d[3 * k] - x0, y = d[3 * k + 1] - y0, z = d[3 * k + 2] - z0;
        rjk[kk] = x * x + y * y + z * z;
        cs[kk] = a * u[3 * k] + b * u[3 * k + 1] + c * u[3 * k + 2];
        rij[kk] = rj; rik[kk] = r[k];
    }
    sannip__sqrt_array(rjk, K);
    if (!vectors) return;
    for (kk = 0; kk < K; kk++) {
        int k = ks[kk];
        sannip_real it = 1 / rjk[kk];
        ux[kk] = (d[3 * k] - x0) * it; uy[kk] = (d[3 * k + 1] - y0) * it; uz[kk] = (d[3 * k + 2] - z0) * it;
        kx[kk] = u[3 * k]; ky[kk] = u[3 * k + 1]; kz[kk] = u[3 * k + 2];
        ix[kk] = a; iy[kk] = b; iz[kk] = c;
        irij[kk] = irj; irik[kk] = ir[k];
    }
}
/* x[j] K times into xj, x[ks[0..K)] into xk. */
static void sannip__tri_gather(int K, const sannip_real *x, int j, const int *ks, sannip_real *SANNIP__RESTRICT xj, sannip_real *SANNIP__RESTRICT xk)
{
    sannip_real v = x[j];
    int kk;
    for (kk = 0; kk < K; kk++) { xj[kk] = v; xk[kk] = x[ks[kk]]; }
}
/* x_j x_k for k in ks[0..K) into xx, and with dx (derivatives) dx_j x_k, x_j dx_k into dj, dk. */
static void sannip__tri_products(int K, const sannip_real *x, const sannip_real *dx, int j, const int *ks,
        sannip_real *SANNIP__RESTRICT xx, sannip_real *SANNIP__RESTRICT dj, sannip_real *SANNIP__RESTRICT dk)
{
    sannip_real v = x[j];
    int kk;
    for (kk = 0; kk < K; kk++) xx[kk] = v * x[ks[kk]];
    if (dx) {
        sannip_real dv = dx[j];
        for (kk = 0; kk < K; kk++) { dj[kk] = dv * x[ks[kk]]; dk[kk] = v * dx[ks[kk]]; }
    }
}
/* Appends the pairs (j, k), k = k0..k0+K-1, to the block as one segment: their geometry,
   Z_j Z_k (when cp's list is Z-weighted), and the cutoffs and Gaussians of r_ij and r_ik that it needs. */
static void sannip__tri_segment(sannip__envrun *E, int cp, int j, const int *ks, int K)
{
    const sannip__envplan *P = &E->P;
    const sannip_env *env = E->env;
    sannip__runbuf *R = &E->R;
    size_t B = SANNIP__PAIRS, nn = E->nn;
    int p0 = R->np, kk, q, d = E->deriv || E->keep;   /* a kept block serves a pass with derivatives */
    sannip__tri_geometry(R, p0, K, ks, env->d + 3 * j, env->d, E->K.u + 3 * j, E->K.u, env->r[j], env->r,
                         E->K.ir[j], E->K.ir, d);
    if (P->cpzw[cp]) for (kk = 0; kk < K; kk++) R->wz[p0 + kk] = (sannip_real)env->Zn[j] * (sannip_real)env->Zn[ks[kk]];
    for (q = P->id_off[SANNIP__IDS_CUT][cp]; q < P->id_off[SANNIP__IDS_CUT][cp + 1]; q++) {
        size_t c = (size_t)P->ids[SANNIP__IDS_CUT][q];
        sannip__tri_gather(K, E->K.fc + c * nn, j, ks, R->fj + c * B + p0, R->fk + c * B + p0);
        if (d) sannip__tri_gather(K, E->K.dfc + c * nn, j, ks, R->dfj + c * B + p0, R->dfk + c * B + p0);
    }
    for (q = P->id_off[SANNIP__IDS_GAUSS][cp]; q < P->id_off[SANNIP__IDS_GAUSS][cp + 1]; q++) {
        size_t c = (size_t)P->ids[SANNIP__IDS_GAUSS][q];
        sannip__tri_gather(K, E->K.gs + c * nn, j, ks, R->gj + c * B + p0, R->gk + c * B + p0);
    }
    for (q = P->id_off[SANNIP__IDS_PCUT][cp]; q < P->id_off[SANNIP__IDS_PCUT][cp + 1]; q++) {
        size_t c = (size_t)P->ids[SANNIP__IDS_PCUT][q];
        sannip__tri_products(K, E->K.fc + c * nn, d ? E->K.dfc + c * nn : NULL, j, ks, R->pf + c * B + p0, R->pfj + c * B + p0, R->pfk + c * B + p0);
    }
    for (q = P->id_off[SANNIP__IDS_PGAUSS][cp]; q < P->id_off[SANNIP__IDS_PGAUSS][cp + 1]; q++) {
        size_t c = (size_t)P->ids[SANNIP__IDS_PGAUSS][q];
        sannip__tri_products(K, E->K.gs + c * nn, NULL, j, ks, R->pg + c * B + p0, NULL, NULL);
    }
    for (kk = 0; kk < K; kk++) R->kx[p0 + kk] = ks[kk];
    R->sj[R->nseg] = j; R->sk[R->nseg] = ks[K - 1] - ks[0] == K - 1 ? ks[0] : -1; R->s0[R->nseg++] = p0; R->np += K;
}

/* The chain rule's vectors of np pairs (sannip__tri_chain) from the block's geometry R into
   vj (three rows of SANNIP__PAIRS) and vk (3 per pair); the outputs are restrict parameters
   so that gcc vectorises without its ~27 run-time alias checks. */
static void sannip__tri_chain_vectors(const sannip__runbuf *R, const sannip_real *a, const sannip_real *bj, const sannip_real *bk,
                                      const sannip_real *dt, sannip_real *SANNIP__RESTRICT vj, sannip_real *SANNIP__RESTRICT vk)
{
    size_t B = SANNIP__PAIRS;
    const sannip_real *ui = R->ui, *uk = R->uk, *ujk = R->ujk, *irij = R->irij, *irik = R->irik, *cs = R->cs;
    int p, np = R->np;
    for (p = 0; p < np; p++) {
        sannip_real c = cs[p], aj = a[p] * irij[p], ak = a[p] * irik[p];
        sannip_real ix = ui[p], iy = ui[B + p], iz = ui[2 * B + p], qx = uk[p], qy = uk[B + p], qz = uk[2 * B + p];
        sannip_real tx = ujk[p], ty = ujk[B + p], tz = ujk[2 * B + p];
        vj[p] = aj * (qx - c * ix) + bj[p] * ix - dt[p] * tx;
        vj[B + p] = aj * (qy - c * iy) + bj[p] * iy - dt[p] * ty;
        vj[2 * B + p] = aj * (qz - c * iz) + bj[p] * iz - dt[p] * tz;
        vk[3 * p] = ak * (ix - c * qx) + bk[p] * qx + dt[p] * tx;
        vk[3 * p + 1] = ak * (iy - c * qy) + bk[p] * qy + dt[p] * ty;
        vk[3 * p + 2] = ak * (iz - c * qz) + bk[p] * qz + dt[p] * tz;
    }
}
/* The chain rule of the block's pairs from scalar derivatives a = dT/dcos, bj = dT/dr_ij,
   bk = dT/dr_ik, dt = dT/dr_jk, added to out (three reals per neighbour: one term's dense row,
   or the contraction c):
   dT/dd_ik = a (u_ij - cos u_ik)/r_ik + bk u_ik + dt u_jk,
   dT/dd_ij = a (u_ik - cos u_ij)/r_ij + bj u_ij - dt u_jk, summed over each segment in order. */
static void sannip__tri_chain(sannip__runbuf *R, const sannip_real *a, const sannip_real *bj, const sannip_real *bk,
                              const sannip_real *dt, sannip_real *out)
{
    size_t B = SANNIP__PAIRS;
    const sannip_real *vj = R->vj, *vk = R->vk;
    int s, p;
    sannip__tri_chain_vectors(R, a, bj, bk, dt, R->vj, R->vk);
    for (s = 0; s < R->nseg; s++) {   /* consecutive k: the k rows one contiguous range */
        int p0 = R->s0[s], n3 = 3 * (R->s0[s + 1] - p0);
        sannip_real sx = 0, sy = 0, sz = 0, *SANNIP__RESTRICT o;
        const sannip_real *v = vk + 3 * (size_t)p0;
        if (R->sk[s] >= 0) { o = out + 3 * (size_t)R->sk[s]; for (p = 0; p < n3; p++) o[p] += v[p]; }
        else
            for (p = p0; p < R->s0[s + 1]; p++) {
                sannip_real *ok = out + 3 * (size_t)R->kx[p];
                ok[0] += vk[3 * p]; ok[1] += vk[3 * p + 1]; ok[2] += vk[3 * p + 2];
            }
        for (p = p0; p < R->s0[s + 1]; p++) { sx += vj[p]; sy += vj[B + p]; sz += vj[2 * B + p]; }
        o = out + 3 * (size_t)R->sj[s];
        o[0] += sx; o[1] += sy; o[2] += sz;
    }
}

/* The radial factor of a G4/G5 triplet at one pair and its derivatives (sannip__tri_radial):
   with e = w g_j g_k [g_jk] (Gaussians, gg = g_j g_k; w the pair's Z weight, or 1) and
   F = f_j f_k [f_jk] (cutoffs, ff = f_j f_k, fj = f_j' f_k, fk = f_j f_k'; [] for G4 only),
   v = (Rg = e F, dRg/dr_ij, dRg/dr_ik, dRg/dr_jk); te = 2 eta. */
SANNIP__INLINE void sannip__tri_rad1(int g4, sannip_real w, sannip_real gg, sannip_real ff, sannip_real fj, sannip_real fk,
        sannip_real rj, sannip_real rk, sannip_real tg, sannip_real tf, sannip_real tdf, sannip_real rjk,
        sannip_real te, sannip_real rs, sannip_real *v)
{
    sannip_real e = (g4 ? gg * tg : gg) * w, F = g4 ? ff * tf : ff;
    v[0] = e * F;
    v[1] = e * ((g4 ? fj * tf : fj) - te * (rj - rs) * F);
    v[2] = e * ((g4 ? fk * tf : fk) - te * (rk - rs) * F);
    v[3] = g4 ? e * (ff * tdf - te * (rjk - rs) * F) : 0;
}
/* The per-pair inputs of sannip__tri_rad1. */
typedef struct sannip__radin { const sannip_real *w, *gg, *ff, *fj, *fk, *rj, *rk, *tg, *tf, *tdf, *rjk, *Sa, *Sd; } sannip__radin;
/* sannip__tri_rad1 over np pairs (g4, acc and deriv constants at each call, so the loop
   vectorises): with acc = 0 into Rg, dj, dk, dt (only Rg unless deriv); with acc = 1 straight
   into the contraction accumulators, Rg += Sd Rg, dj += Sa dRg/dr_ij, dk += Sa dRg/dr_ik,
   dt += Sa dRg/dr_jk. */
SANNIP__INLINE void sannip__tri_radial_loop(int g4, int acc, int deriv, int np, const sannip__radin *in, sannip_real te, sannip_real rs,
        sannip_real *SANNIP__RESTRICT Rg, sannip_real *SANNIP__RESTRICT dj, sannip_real *SANNIP__RESTRICT dk, sannip_real *SANNIP__RESTRICT dt)
{
    const sannip_real *w = in->w, *gg = in->gg, *ff = in->ff, *fj = in->fj, *fk = in->fk, *rj = in->rj, *rk = in->rk;
    const sannip_real *tg = in->tg, *tf = in->tf, *tdf = in->tdf, *rjk = in->rjk, *Sa = in->Sa, *Sd = in->Sd;
    int p;
    for (p = 0; p < np; p++) {
        sannip_real v[4];
        sannip__tri_rad1(g4, w[p], gg[p], ff[p], deriv ? fj[p] : 0, deriv ? fk[p] : 0, rj[p], rk[p],
                         g4 ? tg[p] : 1, g4 ? tf[p] : 1, g4 ? tdf[p] : 0, g4 ? rjk[p] : 0, te, rs, v);
        if (acc) { Rg[p] += Sd[p] * v[0]; dj[p] += Sa[p] * v[1]; dk[p] += Sa[p] * v[2]; dt[p] += Sa[p] * v[3]; }
        else if (!deriv) Rg[p] = v[0];
        else { Rg[p] = v[0]; dj[p] = v[1]; dk[p] = v[2]; dt[p] = v[3]; }
    }
}
/* The radial factor of the G4/G5 group of b over the block, shared by the group's members
   (they differ in lambda and zeta only): Rg = e^{-eta sum (r - rs)^2} f_c(r_ij) f_c(r_ik)
   [f_c(r_jk), G4] (T2.21 without its angular factor), times Z_j Z_k when Z-weighted; with
   acc = 0 into R->gq (Rg, then dRg/dr_ij, dr_ik, dr_jk when dense rows are wanted, rows of
   SANNIP__PAIRS), with acc = 1 (g mode, the group's sums done) into the accumulators. */
static void sannip__tri_radial(sannip__envrun *E, const sannip__tterm *b, int acc)
{
    sannip__runbuf *R = &E->R;
    size_t B = SANNIP__PAIRS, ci = (size_t)b->cid * B, gi = (size_t)b->gid * B;   /* cid2 = cid, gid2 = gid */
    sannip_real *Q = acc ? R->A : R->gq, *Q1 = acc ? R->B : Q + B, *Q2 = acc ? R->Cc : Q + 2 * B, *Q3 = acc ? R->D : Q + 3 * B;
    sannip__radin in;
    int g4 = b->kind == SANNIP_G4, d = E->dG != NULL;
    in.w = b->zw ? R->wz : R->one; in.gg = R->pg + gi; in.ff = R->pf + ci; in.fj = R->pfj + ci; in.fk = R->pfk + ci;
    in.rj = R->rij; in.rk = R->rik;
    in.tg = R->tg + gi; in.tf = R->tf + ci; in.tdf = R->tdf + ci; in.rjk = R->rjk; in.Sa = R->Sa; in.Sd = R->Sd;
#define SANNIP__RADIAL(g, a, dd) sannip__tri_radial_loop(g, a, dd, R->np, &in, 2 * b->eta, b->rs, Q, Q1, Q2, Q3)
    if (acc) { if (g4) SANNIP__RADIAL(1, 1, 1); else SANNIP__RADIAL(0, 1, 1); }
    else if (!d) { if (g4) SANNIP__RADIAL(1, 0, 0); else SANNIP__RADIAL(0, 0, 0); }
    else { if (g4) SANNIP__RADIAL(1, 0, 1); else SANNIP__RADIAL(0, 0, 1); }
#undef SANNIP__RADIAL
}

/* y = a b and y += alpha x over n pairs (restrict parameters: gcc vectorises these where the
   block's arrays, reached through R, would need too many run-time alias checks). */
static void sannip__tri_mul(int n, const sannip_real *a, const sannip_real *b, sannip_real *SANNIP__RESTRICT y)
{
    int p;
    for (p = 0; p < n; p++) y[p] = a[p] * b[p];
}
static void sannip__tri_axpy(int n, sannip_real alpha, const sannip_real *x, sannip_real *SANNIP__RESTRICT y)
{
    int p;
    for (p = 0; p < n; p++) y[p] += alpha * x[p];
}
/* Dense derivative row of G4/G5 member f (angular factor A, dA/dcos) from its group's
   radial arrays in R->gq. */
static void sannip__tri_member_rows(sannip__envrun *E, int f, const sannip_real *A, const sannip_real *dA)
{
    sannip__runbuf *R = &E->R;
    size_t B = SANNIP__PAIRS;
    const sannip_real *Q = R->gq;
    sannip__tri_mul(R->np, dA, Q, R->dc); sannip__tri_mul(R->np, A, Q + B, R->dij);
    sannip__tri_mul(R->np, A, Q + 2 * B, R->dik); sannip__tri_mul(R->np, A, Q + 3 * B, R->djk);
    sannip__tri_chain(R, R->dc, R->dij, R->dik, R->djk, E->dG + (size_t)f * E->stride);
}
/* The G4/G5 radial group whose members start at entry q of a list ending at l1, over the
   block: its radial factor (values, rows), the members' values and rows four at a time, and in
   g mode their g-weighted angular sums, then the group's radial factor straight into the
   contraction accumulators. Returns the entry after the group. */
static int sannip__tri_group(sannip__envrun *E, int q, int l1)
{
    const sannip__envplan *P = &E->P;
    sannip__runbuf *R = &E->R;
    const sannip__tterm *b = &P->tt[P->tri[q] >> 1];
    const sannip_real *A[SANNIP__MEMBERS];
    sannip_real gw[SANNIP__MEMBERS];
    size_t B = SANNIP__PAIRS;
    int e, m0, m, M, f[SANNIP__MEMBERS];
    for (e = q; e < l1 && P->tt[P->tri[e] >> 1].grp == b->grp; e++) {}
    if (E->vals || E->dG) sannip__tri_radial(E, b, 0);
    for (m0 = q; m0 < e; m0 += M) {
        M = SANNIP__MIN(SANNIP__MEMBERS, e - m0);
        for (m = 0; m < M; m++) {
            f[m] = P->tri[m0 + m] >> 1;
            A[m] = R->ang + 2 * (size_t)P->tt[f[m]].aid * B; gw[m] = E->g ? E->g[f[m]] : 0;
        }
        if (E->g) sannip__tri_members(M, m0 > q, R->np, A, B, gw, R);
        if (E->vals) {
            sannip_real d[SANNIP__MEMBERS] = { 0 };
            sannip__dot4_multi(M, A, R->gq, R->np, d);
            for (m = 0; m < M; m++) E->G[f[m]] += d[m];
        }
        if (E->dG) for (m = 0; m < M; m++) sannip__tri_member_rows(E, f[m], A[m], A[m] + B);
    }
    if (E->g) sannip__tri_radial(E, b, 1);
    return e;
}

/* The block's r_jk cutoffs and Gaussians and its angular factors (all pairs of class pair cp). */
static void sannip__tri_prep(sannip__envrun *E, int cp)
{
    const sannip__envplan *P = &E->P;
    sannip__runbuf *R = &E->R;
    size_t B = SANNIP__PAIRS;
    int np = R->np, q, p;
    R->s0[R->nseg] = np;
    for (q = P->id_off[SANNIP__IDS_JKCUT][cp]; q < P->id_off[SANNIP__IDS_JKCUT][cp + 1]; q++) {
        size_t ci = (size_t)P->ids[SANNIP__IDS_JKCUT][q];
        sannip__fc_array(P->cuts[ci], R->rjk, np, R->tf + ci * B, R->tdf + ci * B);
    }
    for (q = P->id_off[SANNIP__IDS_JKGAUSS][cp]; q < P->id_off[SANNIP__IDS_JKGAUSS][cp + 1]; q++) {
        int gi = P->ids[SANNIP__IDS_JKGAUSS][q];
        sannip_real *o = R->tg + (size_t)gi * B;
        if (P->jkm[q]) { sannip__pow_array(R->tg + (size_t)P->ids[SANNIP__IDS_JKGAUSS][P->jkb[q]] * B, P->jkm[q], np, o); continue; }
        for (p = 0; p < np; p++) { sannip_real x = R->rjk[p] - P->grs[gi]; o[p] = -P->geta[gi] * x * x; }
        sannip__exp_array(o, np);
    }
    for (q = P->ra_off[cp]; q < P->ra_off[cp + 1]; q++) {   /* the block's angular factors, once each */
        int a = P->raid[q];
        sannip__tri_angular(&P->tt[P->arep[a]], np, R->cs, R->ang + 2 * (size_t)a * B, R->ang + (2 * (size_t)a + 1) * B);
    }
}
/* Each basis of cp's list over the block (its inputs made by sannip__tri_prep), and in g mode
   one chain rule per pair for all of them. */
static void sannip__tri_terms(sannip__envrun *E, int cp)
{
    const sannip__envplan *P = &E->P;
    sannip__runbuf *R = &E->R;
    const sannip_real *g = E->g;
    int np = R->np, q, p;
    if (g) for (p = 0; p < np; p++) R->A[p] = R->B[p] = R->Cc[p] = R->D[p] = 0;
    for (q = P->tri_off[cp]; q < P->tri_off[cp + 1]; q++) {
        int f = P->tri[q] >> 1;
        const sannip__tterm *b = &P->tt[f];
        if (b->kind == SANNIP_G4 || b->kind == SANNIP_G5) { q = sannip__tri_group(E, q, P->tri_off[cp + 1]) - 1; continue; }
        sannip__tri_run(b, P->tri[q] & 1, R, E->deriv);
        E->G[f] += sannip__sum4(R->T, np);
        if (!E->deriv) continue;
        if (g)
            { sannip__tri_axpy(np, g[f], R->dc, R->A); sannip__tri_axpy(np, g[f], R->dij, R->B); sannip__tri_axpy(np, g[f], R->dik, R->Cc); sannip__tri_axpy(np, g[f], R->djk, R->D); }
        if (E->dG) sannip__tri_chain(R, R->dc, R->dij, R->dik, R->djk, E->dG + (size_t)f * E->stride);
    }
    if (g) sannip__tri_chain(R, R->A, R->B, R->Cc, R->D, E->c);
}
/* The block's three-body terms (sannip__tri_prep, sannip__tri_terms), then a fresh block: the
   next kept one while keeping (a block made with no room left ends keeping: kfull), else the
   same emptied. */
static void sannip__tri_block(sannip__envrun *E, int cp)
{
    if (E->R.np == 0) return;
    sannip__tri_prep(E, cp);
    sannip__tri_terms(E, cp);
    if (E->keep && E->nkb == E->capkb) { E->keep = 0; E->kfull = 1; }   /* made in Rs: no room left */
    else if (E->keep) {
        E->kb[E->nkb] = E->R; E->kcp[E->nkb++] = cp;
        E->R = E->nkb < E->capkb ? E->kb[E->nkb] : E->Rs;
    }
    E->R.np = E->R.nseg = 0;
}
/* The contraction of the kept blocks kb0..kb1 (a replay pass: their inputs are the values
   pass's). */
static void sannip__tri_replay(sannip__envrun *E)
{
    int b;
    for (b = E->kb0; b < E->kb1; b++) { E->R = E->kb[b]; sannip__tri_terms(E, E->kcp[b]); }
    E->R = E->Rs;
}

/* The k = k0..k0+K-1 that j pairs with into E->kix, their count returned: all of them, or
   with jkr2 > 0 those with r_jk^2 < jkr2 (sannip__envplan_jk_radius). */
static int sannip__tri_partners(sannip__envrun *E, int j, int k0, int K, sannip_real jkr2)
{
    const sannip_real *d = E->env->d, *dj = d + 3 * j;
    int kk, m = 0;
    if (jkr2 <= 0) { for (kk = 0; kk < K; kk++) E->kix[kk] = k0 + kk; return K; }
    for (kk = k0; kk < k0 + K; kk++) {
        sannip_real x = d[3 * kk] - dj[0], y = d[3 * kk + 1] - dj[1], z = d[3 * kk + 2] - dj[2];
        E->kix[m] = kk;
        m += x * x + y * y + z * z < jkr2;
    }
    return m;
}

/* Three-body loop: per class pair (cj, ck) with bases, every neighbour j of class cj within
   the largest three-body radius against each run of class-ck neighbours k > j, gathered into
   blocks of SANNIP__PAIRS pairs. G4/G5 sum over unordered pairs (n2p2); the Gauss-Fourier
   lists hold both orientations of their ordered sums (T2.21, T C.9, C.31, C.37). */
static void sannip__env_triplets(sannip__envrun *E)
{
    const sannip__envplan *P = &E->P;
    int cj, ck, j, ir, C = P->C;
    if (P->tri_off[C * C] == 0) return;
    if (E->replay) { sannip__tri_replay(E); return; }
    E->R = E->keep && E->nkb < E->capkb ? E->kb[E->nkb] : E->Rs;
    E->R.np = E->R.nseg = 0;
    for (cj = 0; cj < C; cj++)
        for (ck = 0; ck < C; ck++) {
            int cp = cj * C + ck;
            if (P->tri_off[cp] == P->tri_off[cp + 1]) continue;
            for (j = 0; j < E->n; j++) {
                if (E->cls[j] != cj || E->env->r[j] >= P->rtri) continue;
                for (ir = 0; ir < E->nrun; ir++) {
                    int k0 = E->runs[ir] > j + 1 ? E->runs[ir] : j + 1, K = E->runs[ir + 1] - k0;
                    const int *ks = E->kix;
                    if (K <= 0 || E->cls[E->runs[ir]] != ck) continue;
                    K = sannip__tri_partners(E, j, k0, K, P->jkr2[cp]);
                    while (K > 0) {   /* a run longer than the block's room continues in the next block */
                        int m = SANNIP__MIN(K, SANNIP__PAIRS - E->R.np);
                        sannip__tri_segment(E, cp, j, ks, m);
                        ks += m; K -= m;
                        if (E->R.np == SANNIP__PAIRS) sannip__tri_block(E, cp);
                    }
                }
            }
            sannip__tri_block(E, cp);
        }
}

/* The monomials of every neighbour's unit vector into P->mm (monomial-major: each a row over
   the neighbours, made from an earlier row times x, y or z, so that every loop runs along the
   neighbours; the rows' padding to whole blocks of 8 is the monomials of u = 0). */
static void sannip__mom_monomials(sannip__envrun *E)
{
    const sannip__envplan *P = &E->P;
    size_t ns = (size_t)sannip__mom_stride(E->n);
    int j, q;
    sannip_real *m = P->mm;
    for (j = 0; j < (int)ns; j++) {
        int in = j < E->n;
        m[j] = 1;
        m[ns + (size_t)j] = in ? E->K.u[3 * j] : 0; m[2 * ns + (size_t)j] = in ? E->K.u[3 * j + 1] : 0; m[3 * ns + (size_t)j] = in ? E->K.u[3 * j + 2] : 0;
    }
    for (q = 4; q < P->mnc; q++) {
        const sannip_real *a = m + (size_t)P->mpar[q] * ns, *b = m + (size_t)(1 + P->mpar[SANNIP__MOM_NC + q]) * ns;
        sannip_real *SANNIP__RESTRICT o = m + (size_t)q * ns;
        for (j = 0; j < (int)ns; j++) o[j] = a[j] * b[j];
    }
}
/* P and grad P of weight mid's four rows T (P's over nc monomials, the gradient's over the
   ng of lower degree) at neighbours j0..j0+len-1 of the monomial table m (rows of ns), into
   o[r len + j - j0], r = 0..3: blocks of 8 neighbours, each sum in q order (8 lanes, no
   reduction across them; with GCC vector types two of 4 per row, the same bits). */
static void sannip__mom_eval(const sannip_real *T, int nc, int ng, const sannip_real *m, size_t ns, int j0, int len, sannip_real *o)
{
    int jb, q, l, r;
    for (jb = j0; jb < j0 + len; jb += 8) {
        sannip_real acc[4][8];
        int L = SANNIP__MIN(8, j0 + len - jb);
#if defined(__GNUC__) && !defined(SANNIP_NO_SIMD)
        sannip__v4 a[4][2] = { { { 0, 0, 0, 0 }, { 0, 0, 0, 0 } }, { { 0, 0, 0, 0 }, { 0, 0, 0, 0 } },
                               { { 0, 0, 0, 0 }, { 0, 0, 0, 0 } }, { { 0, 0, 0, 0 }, { 0, 0, 0, 0 } } };
        for (q = 0; q < nc; q++) {   /* splats by initialiser: a scalar operand would be a double where float math runs in double (s390x) */
            const sannip_real *mq = m + (size_t)q * ns + (size_t)jb;
            sannip__v4 lo = *(const sannip__v4 *)mq, hi = *(const sannip__v4 *)(mq + 4);
            for (r = 0; r < (q < ng ? 4 : 1); r++) {
                sannip_real t = T[r * nc + q];
                sannip__v4 tv = { t, t, t, t };
                a[r][0] += tv * lo; a[r][1] += tv * hi;
            }
        }
        for (r = 0; r < 4; r++) for (l = 0; l < 4; l++) { acc[r][l] = a[r][0][l]; acc[r][4 + l] = a[r][1][l]; }
#else
        memset(acc, 0, sizeof acc);
        for (q = 0; q < nc; q++)
            for (r = 0; r < (q < ng ? 4 : 1); r++)
                for (l = 0; l < 8; l++) acc[r][l] += T[r * nc + q] * m[(size_t)q * ns + (size_t)(jb + l)];
#endif
        for (r = 0; r < 4; r++) for (l = 0; l < L; l++) o[(size_t)r * (size_t)len + (size_t)(jb - j0 + l)] = acc[r][l];
    }
}
/* S[mid ldS + q] += sannip__dot4(w + mid ww, m + q ns, len) for mid < M <= 4 and q < nc, the
   same bits: with GCC vector types four monomial rows and M weights at a time (16 chains of
   4 lanes), instead of one short dot product per pair. */
static void sannip__mom_sum_rows(const sannip_real *w, size_t ww, int M, const sannip_real *m, size_t ns, int nc, int len,
                                 sannip_real *S, size_t ldS)
{
    int q, mid;
#if defined(__GNUC__) && !defined(SANNIP_NO_SIMD)
    int q0, i, k, r;
    for (q0 = 0; q0 + 4 <= nc; q0 += 4) {
        sannip__v4 a[4][4];
        memset(a, 0, sizeof a);
        for (i = 0; i + 4 <= len; i += 4) {
            sannip__v4 mv[4], wv;
            for (r = 0; r < 4; r++) mv[r] = *(const sannip__v4 *)(m + (size_t)(q0 + r) * ns + (size_t)i);
            for (mid = 0; mid < M; mid++) {
                wv = *(const sannip__v4 *)(w + (size_t)mid * ww + (size_t)i);
                for (r = 0; r < 4; r++) a[mid][r] += wv * mv[r];
            }
        }
        for (mid = 0; mid < M; mid++)
            for (r = 0; r < 4; r++) {
                const sannip_real *x = w + (size_t)mid * ww, *y = m + (size_t)(q0 + r) * ns;
                sannip_real a0 = a[mid][r][0];
                for (k = i; k < len; k++) a0 += x[k] * y[k];
                S[(size_t)mid * ldS + (size_t)(q0 + r)] += (a0 + a[mid][r][1]) + (a[mid][r][2] + a[mid][r][3]);
            }
    }
    for (q = q0; q < nc; q++)
#else
    for (q = 0; q < nc; q++)
#endif
        for (mid = 0; mid < M; mid++) S[(size_t)mid * ldS + (size_t)q] += sannip__dot4(w + (size_t)mid * ww, m + (size_t)q * ns, len);
}
/* Radial weight mid of neighbour j, w = g(r) f_c(r), and dw/dr from the neighbour caches. */
static sannip_real sannip__mom_weight(const sannip__envrun *E, int mid, int j, sannip_real *dw)
{
    const sannip__envplan *P = &E->P;
    size_t g = (size_t)P->mgid[mid] * E->nn + (size_t)j, c = (size_t)P->mcid[mid] * E->nn + (size_t)j;
    sannip_real gs = E->K.gs[g], fc = E->K.fc[c], x = E->env->r[j] - P->grs[P->mgid[mid]];
    *dw = gs * (E->K.dfc[c] - 2 * P->geta[P->mgid[mid]] * x * fc);
    return gs * fc;
}
/* The environment's per-neighbour part of its moments: every neighbour's monomials and
   radial weights (P->mm, mw, mdw) and per radial weight and class slot D = sum_j w_j^2 (slot
   C: all neighbours, the sum of the class slots). */
static void sannip__mom_prepare(sannip__envrun *E)
{
    const sannip__envplan *P = &E->P;
    int C = P->C, n = E->n, j, mid, c;
    size_t sl = (size_t)P->nmid * (size_t)(C + 1), nn = (size_t)n;
    memset(P->mD, 0, sizeof(sannip_real) * sl);
    sannip__mom_monomials(E);
    for (j = 0; j < n; j++) {
        for (mid = 0; mid < P->nmid; mid++) {
            sannip_real w = P->mw[(size_t)mid * nn + (size_t)j] = sannip__mom_weight(E, mid, j, P->mdw + (size_t)mid * nn + (size_t)j);
            P->mD[(size_t)mid * (size_t)(C + 1) + (size_t)E->cls[j]] += w * w;
        }
    }
    for (mid = 0; mid < P->nmid; mid++) {
        size_t a = (size_t)mid * (size_t)(C + 1) + (size_t)C;
        for (c = 0; c < C; c++) P->mD[a] += P->mD[a - (size_t)(C - c)];
    }
}
/* The moments of the environment: sannip__mom_prepare, then per radial weight and class slot
   S = sum_j w_j u_j^abc, per run of one element a product (weights x neighbours) (neighbours x
   monomials). */
static void sannip__mom_sums(sannip__envrun *E)
{
    const sannip__envplan *P = &E->P;
    int C = P->C, nc = P->mnc, n = E->n, mid, c, q, r;
    size_t sl = (size_t)P->nmid * (size_t)(C + 1), nn = (size_t)n;
    memset(P->mS, 0, sizeof(sannip_real) * sl * (size_t)nc);
    sannip__mom_prepare(E);
    for (r = 0; r < E->nrun; r++) {
        int j0 = E->runs[r], len = E->runs[r + 1] - j0;
        size_t ns = (size_t)sannip__mom_stride(n), ldS = (size_t)(C + 1) * (size_t)nc;
        int m0;
        for (m0 = 0; m0 < P->nmid; m0 += 4)   /* up to four weights against four monomial rows at a time */
            sannip__mom_sum_rows(P->mw + (size_t)m0 * nn + (size_t)j0, nn, SANNIP__MIN(4, P->nmid - m0), P->mm + (size_t)j0, ns, nc, len,
                                 P->mS + ((size_t)m0 * (size_t)(C + 1) + (size_t)E->cls[j0]) * (size_t)nc, ldS);
    }
    for (mid = 0; mid < P->nmid; mid++) {
        size_t a = (size_t)mid * (size_t)(C + 1) + (size_t)C;
        for (c = 0; c < C; c++) {
            const sannip_real *S = P->mS + (a - (size_t)(C - c)) * (size_t)nc;
            for (q = 0; q < nc; q++) P->mS[a * (size_t)nc + (size_t)q] += S[q];
        }
    }
}
/* Slot of term t's class c (c1 or c2) in the moment arrays. */
static size_t sannip__mom_slot(const sannip__envplan *P, const sannip__mterm *t, int c)
{
    return (size_t)t->mid * (size_t)(P->C + 1) + (size_t)c;
}
/* Offset of degree n among the monomials (sannip__mom_index). */
static int sannip__mom_off(int n) { return n * (n + 1) * (n + 2) / 6; }
/* The contractions of slots k1, k2 per degree, A[n] = sum_{degree n} mul S1 S2 = <M_n, M_n'>,
   for n <= deg. */
static void sannip__mom_contract(const sannip__envplan *P, size_t k1, size_t k2, int deg, sannip_real *A)
{
    const sannip_real *S1 = P->mS + k1 * (size_t)P->mnc, *S2 = P->mS + k2 * (size_t)P->mnc;
    sannip_real t[SANNIP__MOM_NC];
    int n, q, nq = sannip__mom_off(deg + 1);
    for (q = 0; q < nq; q++) t[q] = P->mmul[q] * S1[q] * S2[q];
    for (n = 0; n <= deg; n++) A[n] = sannip__sum4(t + sannip__mom_off(n), (n + 1) * (n + 2) / 2);
}
/* Adds the derivative with respect to the moments of sum_n K[n] A[n] - Dk D (A of slots k1,
   k2 up to degree deg; D of k1) to the weights T (per slot and monomial) and Dc (per slot). */
static void sannip__mom_weights(const sannip__envplan *P, size_t k1, size_t k2, int deg, const sannip_real *K, sannip_real Dk)
{
    size_t nc = (size_t)P->mnc, C1 = (size_t)P->C + 1, nm = (size_t)P->nmid;
    const sannip_real *S1 = P->mS + k1 * nc, *S2 = P->mS + k2 * nc;
    size_t t1 = (k1 % C1) * nm + k1 / C1, t2 = (k2 % C1) * nm + k2 / C1;   /* class-major */
    sannip_real *T1 = P->mT + 4 * nc * t1, *T2 = P->mT + 4 * nc * t2;
    int n, q;
    P->mtt[t1] = P->mtt[t2] = 1;
    for (n = 0; n <= deg; n++) {
        int q0 = sannip__mom_off(n), q1 = sannip__mom_off(n + 1);
        sannip_real Kn = K[n], *SANNIP__RESTRICT U1 = T1, *SANNIP__RESTRICT U2 = T2;
        if (t1 == t2)   /* one slot (then S1 = S2): both terms onto it, in the same order */
            for (q = q0; q < q1; q++) { sannip_real k = Kn * P->mmul[q]; U1[q] = (U1[q] + k * S2[q]) + k * S1[q]; }
        else
            for (q = q0; q < q1; q++) { sannip_real k = Kn * P->mmul[q]; U1[q] += k * S2[q]; U2[q] += k * S1[q]; }
    }
    P->mDc[k1] -= Dk;
}
/* The chain rule of the weights T, Dc (zeroed afterwards) to every neighbour, added to out
   (three reals per neighbour): with P(u) = sum T u^abc of j's class (the "all" slot folded in),
   d/dd_j [w P(u) + Dc w^2] = (w' P + 2 Dc w w') u + w (grad P - (u . grad P) u) / r. T is kept
   per class, then weight (class-major), each followed by those of dP/dx, dP/dy, dP/dz
   (T_(a+1)bc (a+1) at x^a y^b z^c, etc.), so that per run of one element P and grad P of all
   weights are one product (neighbours x monomials) (monomials x 4 weights)^T. */
static void sannip__mom_chain(sannip__envrun *E, sannip_real *out)
{
    const sannip__envplan *P = &E->P;
    int C = P->C, nc = P->mnc, nm = P->nmid, n = E->n, j, mid, c, q, ax, r, any;
    size_t n4 = 4 * (size_t)nc, nn = (size_t)n;
    for (mid = 0; mid < nm; mid++) {
        size_t a = (size_t)mid * (size_t)(C + 1) + (size_t)C, ta = (size_t)C * (size_t)nm + (size_t)mid;
        for (c = 0; c < C; c++) {   /* fold the "all" slot into each class slot, then the gradient's */
            size_t tc = (size_t)c * (size_t)nm + (size_t)mid;
            sannip_real *T = P->mT + tc * n4;
            if (P->mtt[ta]) {
                for (q = 0; q < nc; q++) T[q] += P->mT[ta * n4 + (size_t)q];
                P->mDc[a - (size_t)(C - c)] += P->mDc[a];
                P->mtt[tc] = 1;
            }
            if (!P->mtt[tc]) continue;
            for (q = 0; q < nc; q++)
                for (ax = 0; ax < 3; ax++) {
                    int d = P->mdq[ax * SANNIP__MOM_NC + q];
                    if (d < nc) T[(size_t)(ax + 1) * (size_t)nc + (size_t)d] = T[q] * P->mde[ax * SANNIP__MOM_NC + q];
                }
        }
    }
    for (r = 0; r < E->nrun; r++) {
        int j0 = E->runs[r], len = E->runs[r + 1] - j0;
        c = E->cls[j0];
        for (mid = 0, any = 0; mid < nm; mid++) {
            size_t tc = (size_t)c * (size_t)nm + (size_t)mid;
            if (!P->mtt[tc]) continue;
            any = 1;
            sannip__mom_eval(P->mT + tc * n4, nc, sannip__mom_off(P->mdeg), P->mm, (size_t)sannip__mom_stride(n), j0, len,
                             P->mo + 4 * (size_t)mid * (size_t)len);
        }
        if (!any) continue;
        for (j = j0; j < j0 + len; j++) {
            const sannip_real *u = E->K.u + 3 * j;
            sannip_real vr = 0, vg[3] = { 0, 0, 0 }, ug, d[4];
            for (mid = 0; mid < nm; mid++) {
                sannip_real w = P->mw[(size_t)mid * nn + (size_t)j], dw = P->mdw[(size_t)mid * nn + (size_t)j];
                if (!P->mtt[(size_t)c * (size_t)nm + (size_t)mid]) continue;
                for (q = 0; q < 4; q++) d[q] = P->mo[(size_t)(4 * mid + q) * (size_t)len + (size_t)(j - j0)];   /* P, dP/dx, dP/dy, dP/dz */
                vr += dw * (d[0] + 2 * P->mDc[(size_t)mid * (size_t)(C + 1) + (size_t)c] * w);
                for (ax = 0; ax < 3; ax++) vg[ax] += w * d[ax + 1];
            }
            ug = u[0] * vg[0] + u[1] * vg[1] + u[2] * vg[2];
            for (ax = 0; ax < 3; ax++) out[3 * j + ax] += vr * u[ax] + (vg[ax] - ug * u[ax]) * E->K.ir[j];
        }
    }
    for (c = 0; c <= C; c++)   /* leave T, Dc zero */
        for (mid = 0; mid < nm; mid++) {
            size_t tc = (size_t)c * (size_t)nm + (size_t)mid;
            if (!P->mtt[tc]) continue;
            memset(P->mT + tc * n4, 0, sizeof(sannip_real) * n4);
            P->mDc[(size_t)mid * (size_t)(C + 1) + (size_t)c] = 0;
            P->mtt[tc] = 0;
        }
}
/* Is neighbour j in class slot c (C: all)? */
static int sannip__mom_in(const sannip__envrun *E, int c, int j) { return c == E->P.C || E->cls[j] == c; }
/* Term t summed pair by pair (T2.21 without r_jk), for an environment where its moments would
   cancel (sannip__env_moments); with out, gw times its derivatives added (three reals per
   neighbour). Returns the value. */
static sannip_real sannip__mom_direct(sannip__envrun *E, const sannip__mterm *t, sannip_real gw, sannip_real *out)
{
    const sannip_basis *b = &E->set->b[E->idx[t->f]];
    const sannip_real *u = E->K.u;
    sannip_real pre = E->P.pre[t->f], lam = b->lambda, v = 0;
    int j, k, ax;
    for (j = 0; j < E->n; j++) {
        sannip_real dwj, wj = sannip__mom_weight(E, t->mid, j, &dwj);
        if (wj == 0 && dwj == 0) continue;
        for (k = 0; k < E->n; k++) {
            sannip_real dwk, wk, cs, p, pz = 1, A, dA;
            int e;
            /* one set: pairs j < k in it; two (distinct elements): every j of the first with every k of the second */
            if (k == j || (t->c1 == t->c2 && k < j) || !sannip__mom_in(E, t->c1, j) || !sannip__mom_in(E, t->c2, k)) continue;
            wk = sannip__mom_weight(E, t->mid, k, &dwk);
            cs = u[3 * j] * u[3 * k] + u[3 * j + 1] * u[3 * k + 1] + u[3 * j + 2] * u[3 * k + 2];
            p = 1 + lam * cs; p = p > 0 ? p : 0;
            for (e = 1; e < t->deg; e++) pz *= p;
            A = pre * pz * p; dA = pre * t->deg * lam * pz;
            v += A * wj * wk;
            if (!out) continue;
            for (ax = 0; ax < 3; ax++) {
                sannip_real aj = dA * (u[3 * k + ax] - cs * u[3 * j + ax]) * E->K.ir[j], ak = dA * (u[3 * j + ax] - cs * u[3 * k + ax]) * E->K.ir[k];
                out[3 * j + ax] += gw * ((aj * wj + A * dwj * u[3 * j + ax]) * wk);
                out[3 * k + ax] += gw * ((ak * wk + A * dwk * u[3 * k + ax]) * wj);
            }
        }
    }
    return v;
}
/* Rounding of term t's moment sum, relative to its value v: the sum has terms up to
   (1 + |lambda|)^zeta 2^(1-zeta) W1 W2 (W = sum w over a slot: the degree-0 moment), while
   every pair adds (1 + lambda cos)^zeta >= 0; moments are used where v is at least 1e-2 of
   that scale (a sphere of neighbours: 0.1 for lambda = -1, zeta = 8), a handful of aligned
   neighbours go pair by pair. */
static int sannip__mom_sound(const sannip__envrun *E, const sannip__mterm *t, sannip_real v)
{
    const sannip__envplan *P = &E->P;
    const sannip_basis *b = &E->set->b[E->idx[t->f]];
    sannip_real W1 = P->mS[sannip__mom_slot(P, t, t->c1) * (size_t)P->mnc], W2 = P->mS[sannip__mom_slot(P, t, t->c2) * (size_t)P->mnc];
    return v >= (sannip_real)1e-3 * P->pre[t->f] * (sannip_real)sannip__pow(1 + fabs((double)b->lambda), b->zeta) * W1 * W2;
}
/* G5 terms by moments (sannip__mterm): values, the g-weighted contraction into c, dense rows;
   a term whose moments would cancel (sannip__mom_sound) pair by pair. Consecutive terms of one
   radial weight and class pair (n2p2 lists them so) share their contractions A[n] and, in g
   mode, one pass of weights with K[n] = sum_f g_f cn_f[n]. */
static void sannip__env_moments(sannip__envrun *E)
{
    const sannip__envplan *P = &E->P;
    sannip_real A[SANNIP__MOM_ZMAX + 1], K[SANNIP__MOM_ZMAX + 1], Dk = 0;
    sannip_real *keep = E->mslot >= 0 ? P->mkeep + (size_t)E->mslot * P->mkeep_n : NULL;
    size_t k1 = 0, k2 = 0, g1 = 0, g2 = 0, nS = P->mkeep_n - (size_t)P->nmom;
    int i, n, nd = 0, have = 0, gdeg = -1;
    if (P->nmom == 0) return;
    if (E->mload && keep) {   /* a contraction pass after a values pass that kept the atom's moments */
        sannip__mom_prepare(E);
        memcpy(P->mS, keep, sizeof(sannip_real) * nS);
        for (i = 0; i < P->nmom; i++) {
            P->mbad[i] = keep[nS + (size_t)i] != 0;
            if (P->mbad[i]) { sannip__mom_direct(E, &P->mt[i], E->g ? E->g[P->mt[i].f] : 0, E->g ? E->c : NULL); nd++; }
        }
    } else {
        sannip__mom_sums(E);
        for (i = 0; i < P->nmom; i++) {
            const sannip__mterm *t = &P->mt[i];
            sannip_real v = 0;
            size_t s1 = sannip__mom_slot(P, t, t->c1), s2 = sannip__mom_slot(P, t, t->c2);
            if (!have || s1 != k1 || s2 != k2) { k1 = s1; k2 = s2; sannip__mom_contract(P, k1, k2, P->mdeg, A); have = 1; }
            for (n = 0; n <= t->deg; n++) v += t->cn[n] * A[n];
            v -= t->diag * P->mD[k1];
            P->mbad[i] = !sannip__mom_sound(E, t, v);
            if (P->mbad[i]) {
                v = sannip__mom_direct(E, t, E->g ? E->g[t->f] : 0, E->g ? E->c : NULL);
                if (E->dG) sannip__mom_direct(E, t, 1, E->dG + (size_t)t->f * E->stride);
                nd++;
            }
            if (E->vals) E->G[t->f] += v;
        }
        if (keep) {
            memcpy(keep, P->mS, sizeof(sannip_real) * nS);
            for (i = 0; i < P->nmom; i++) keep[nS + (size_t)i] = (sannip_real)P->mbad[i];
        }
    }
    if (nd == P->nmom) return;
    if (E->g) {
        for (i = 0; i < P->nmom; i++) {
            const sannip__mterm *t = &P->mt[i];
            size_t s1 = sannip__mom_slot(P, t, t->c1), s2 = sannip__mom_slot(P, t, t->c2);
            if (P->mbad[i]) continue;
            if (gdeg >= 0 && (s1 != g1 || s2 != g2)) { sannip__mom_weights(P, g1, g2, gdeg, K, Dk); gdeg = -1; }
            if (gdeg < 0) { g1 = s1; g2 = s2; Dk = 0; for (n = 0; n <= SANNIP__MOM_ZMAX; n++) K[n] = 0; }
            for (n = 0; n <= t->deg; n++) K[n] += E->g[t->f] * t->cn[n];
            Dk += E->g[t->f] * t->diag;
            gdeg = SANNIP__MAX(gdeg, t->deg);
        }
        if (gdeg >= 0) sannip__mom_weights(P, g1, g2, gdeg, K, Dk);
        sannip__mom_chain(E, E->c);
    }
    if (E->dG)
        for (i = 0; i < P->nmom; i++) {
            const sannip__mterm *t = &P->mt[i];
            if (P->mbad[i]) continue;
            sannip__mom_weights(P, sannip__mom_slot(P, t, t->c1), sannip__mom_slot(P, t, t->c2), t->deg, t->cn, t->diag);
            sannip__mom_chain(E, E->dG + (size_t)t->f * E->stride);
        }
}

/* Derivative with respect to the central atom: minus the sum over neighbours (every basis
   depends on positions only through d_ij = r_j - r_i). */
static void sannip__env_center(sannip__envrun *E)
{
    int f, j, n = E->n;
    for (f = 0; f < E->nf; f++) {
        sannip_real *o = E->dG + (size_t)f * E->stride, sx = 0, sy = 0, sz = 0;
        for (j = 0; j < n; j++) { sx += o[3 * j]; sy += o[3 * j + 1]; sz += o[3 * j + 2]; }
        o[3 * n] = -sx; o[3 * n + 1] = -sy; o[3 * n + 2] = -sz;
    }
}

/* The engine proper for one environment of at most the plan's nmax neighbours (outputs as
   sannip__env_eval; vals = 0 with g: the G4/G5 values in G are left out, for a contraction
   pass whose values are known). */
static void sannip__env_run(sannip__envrun *E, const sannip_env *env, sannip_real *G, sannip_real *dG, const sannip_real *g,
                            sannip_real *c, sannip_real *dGs, sannip_real *cs, int vals)
{
    E->env = env; E->n = env->n; E->nn = (size_t)env->n; E->vals = vals || !g;
    E->G = G; E->dG = dG; E->g = g; E->c = c; E->deriv = dG != NULL || g != NULL;
    E->stride = (size_t)(env->n + 1) * 3;
    sannip__env_setup(E);
    sannip__env_pairs(E);
    sannip__env_triplets(E);
    sannip__env_moments(E);
    /* spin bases: the same outputs, plus spin derivatives */
    if (dGs) memset(dGs, 0, sizeof(sannip_real) * E->stride * (size_t)E->nf);
    if (cs) memset(cs, 0, sizeof(sannip_real) * 3 * (E->nn + 1));
    if (E->P.nspin > 0) {
        sannip__spin_pre pre;
        pre.u = E->K.u; pre.fc = E->K.fc; pre.dfc = E->K.dfc; pre.cid = E->P.cid;
        pre.tkeep = E->mslot >= 0 && E->P.skeep_n ? E->P.skeep + (size_t)E->mslot * E->P.skeep_n : NULL; pre.tload = E->mload; pre.novals = !E->vals;
        sannip__spin_run(E->set, E->idx, E->nf, env, G, dG, g, c, dGs, cs, E->K.spin, &pre);
    }
    if (dG) sannip__env_center(E);
}
/* One environment, plan included; work has sannip_env_work_size(set, idx, nf, env->n) reals. */
static void sannip__env_eval(const sannip_descriptors *set, const int *idx, int nf, const sannip_env *env,
                             sannip_real *G, sannip_real *dG, const sannip_real *g, sannip_real *c,
                             sannip_real *dGs, sannip_real *cs, sannip_real *work)
{
    sannip__envrun E;
    sannip__env_begin(&E, set, idx, nf, env->n, work);
    sannip__env_run(&E, env, G, dG, g, c, dGs, cs, 1);
}

SANNIP_API sannip_result sannip_env_eval(const sannip_descriptors *set, const int *idx, int nf,
        const sannip_env *env, sannip_real *G, sannip_real *dG, const sannip_real *g, sannip_real *c,
        sannip_real *work)
{
    int f;
    if (!set || !env || !G || (nf > 0 && !idx) || (g && !c) || !work) return SANNIP_INVALID_ARGS;
    for (f = 0; f < nf; f++) if (idx[f] < 0 || idx[f] >= set->n) return SANNIP_INVALID_ARGS;
    for (f = 0; f < nf; f++) if (sannip__has(&set->b[idx[f]], SANNIP_BASIS_SPIN) && (!env->Sc || (env->n > 0 && !env->Sn))) return SANNIP_NEEDS_SPIN;
    sannip__env_eval(set, idx, nf, env, G, dG, g, c, NULL, NULL, work);
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_env_eval_spin(const sannip_descriptors *set, const int *idx, int nf,
        const sannip_env *env, sannip_real *G, sannip_real *dG, sannip_real *dGs, sannip_real *work)
{
    int f;
    if (!set || !env || !G || (nf > 0 && !idx) || !work) return SANNIP_INVALID_ARGS;
    for (f = 0; f < nf; f++) {
        if (idx[f] < 0 || idx[f] >= set->n) return SANNIP_INVALID_ARGS;
        if (sannip__has(&set->b[idx[f]], SANNIP_BASIS_SPIN) && (!env->Sc || (env->n > 0 && !env->Sn))) return SANNIP_NEEDS_SPIN;
    }
    sannip__env_eval(set, idx, nf, env, G, dG, NULL, NULL, dGs, NULL, work);
    return SANNIP_SUCCESS;
}

/* ---- descriptor definition files ------------------------------------------------------ */
/* Splits s into at most max whitespace-separated tokens (s is modified). */
static int sannip__tokens(char *s, char **tok, int max)
{
    int n = 0;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') *s++ = 0;
        if (!*s || *s == '#') { *s = 0; break; }
        if (n == max) return max + 1;
        tok[n++] = s;
        while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') s++;
    }
    return n;
}
/* A whole token as a number. */
/* 1/x rounded to sannip_real, also where float expressions are evaluated in double
   (FLT_EVAL_METHOD 1: s390x under -std=c99; the cast removes the excess precision, C99
   5.2.4.2.2), so that callers can compare it exactly. */
static sannip_real sannip__recip(sannip_real x) { return (sannip_real)((sannip_real)1 / x); }
static int sannip__num(const char *tok, sannip_real *out)
{
    const char *end;
    if (!sannip_parse_real(tok, &end, out)) return 0;
    return *end == 0 && isfinite(*out);
}
/* As sannip__num, but tells a non-number (SANNIP_PARSE_ERROR) from NaN/Inf (SANNIP_NONFINITE). */
static sannip_result sannip__num_code(const char *tok, sannip_real *out)
{
    const char *end;
    if (!sannip_parse_real(tok, &end, out) || *end != 0) return SANNIP_PARSE_ERROR;
    return isfinite(*out) ? SANNIP_SUCCESS : SANNIP_NONFINITE;
}
static int sannip__int(const char *tok, int *out)
{
    char *end;
    long v = strtol(tok, &end, 10);
    if (end == tok || *end || v < -2147483647L || v > 2147483647L) return 0;
    *out = (int)v;
    return 1;
}
/* 1 when tok is an unsigned decimal integer ("+" allowed), whatever its size. */
static int sannip__is_count(const char *tok)
{
    if (*tok == '+') tok++;
    return *tok && tok[strspn(tok, "0123456789")] == 0;
}
/* Element token: symbol, '*' (any), 'Zw' (weighted); -2 when unknown. */
static int sannip__elem_token(const char *t)
{
    int z;
    if (strcmp(t, "*") == 0) return SANNIP_ANY;
    if (strcmp(t, "Zw") == 0) return SANNIP_ZWEIGHT;
    z = sannip_element_z(t);
    return z ? z : -2;
}
static const char *sannip__elem_str(int e)
{
    return e == SANNIP_ANY ? "*" : e == SANNIP_ZWEIGHT ? "Zw" : sannip_element_symbol(e);
}
static int sannip__cut_type_token(const char *t)
{
    int k, v;
    for (k = 0; k < SANNIP_CUT_COUNT; k++) if (strcmp(t, sannip__cut_names[k]) == 0) return k;
    if (sannip__int(t, &v) && v >= 0 && v <= 8) return v;   /* n2p2 numbering */
    return -1;
}
#define SANNIP__FB_XI_MAX 1000   /* largest Fourier-spline exponent read from text */
static int sannip__fb_token(const char *t, sannip_cutoff *c, sannip_error *err, int line, int field)
{
    sannip_real v[5];
    char buf[256], *p = buf, *q;
    int i;
    if (strlen(t) >= sizeof buf) return sannip__fail(err, SANNIP_PARSE_ERROR, line, field, "Fourier-spline parameters too long");
    strcpy(buf, t);
    for (i = 0; i < 5; i++) {
        q = strchr(p, ',');
        if (q) *q = 0;
        if ((i < 4 && !q) || (i == 4 && q) || !sannip__num(p, &v[i]))
            return sannip__fail(err, SANNIP_PARSE_ERROR, line, field, "fb= needs 5 numbers EPSDN,RS,EPSUP,XIDN,XIUP, got '%s'", t);
        if (q) p = q + 1;
    }
    if (v[3] != floor(v[3]) || v[4] != floor(v[4]))
        return sannip__fail(err, SANNIP_BAD_CUTOFF, line, field, "Fourier-spline exponents must be even integers: '%s'", t);
    for (i = 3; i < 5; i++)   /* range first: the int conversion of 1e10 would be undefined */
        if (!(fabs(v[i]) <= SANNIP__FB_XI_MAX))
            return sannip__fail(err, SANNIP_BAD_PARAMETER, line, field, "line %d, field %d: Fourier-spline exponent %s = %g is out of range (even, 2..%d): '%s'",
                                line, field, i == 3 ? "XIDN" : "XIUP", (double)v[i], SANNIP__FB_XI_MAX, t);
    if (sannip_cutoff_make_fspline(c, v[0], v[1], v[2], (int)v[3], (int)v[4], err)) { if (err) { err->line = line; err->field = field; } return err ? err->code : SANNIP_BAD_CUTOFF; }
    return SANNIP_SUCCESS;
}
#undef SANNIP__FB_XI_MAX

/* n2p2's symmetry-function types that sannip carries (n2p2 keywords.rst), one row each, read
   by the importer (sannip__parse_n2p2_sf) and the exporter (sannip__n2p2_type_of, the
   symfunction_short writer): neighbour element fields (0: all, weighted by Z) and the
   numeric fields in file order, e eta, r rs, l lambda, z zeta, c rc, R an optional rs. */
typedef struct sannip__n2p2_type { int type, kind, n_el; const char *fields; } sannip__n2p2_type;
static const sannip__n2p2_type sannip__n2p2_types[] = {
    { 2, SANNIP_G2, 1, "erc" }, { 3, SANNIP_G4, 2, "elzcR" }, { 9, SANNIP_G5, 2, "elzcR" },
    { 12, SANNIP_G2, 0, "erc" }, { 13, SANNIP_G4, 0, "erlzc" } };
#define SANNIP__N2P2_NTYPES ((int)(sizeof sannip__n2p2_types / sizeof sannip__n2p2_types[0]))
static const sannip__n2p2_type *sannip__n2p2_type_row(int type)
{
    int k;
    for (k = 0; k < SANNIP__N2P2_NTYPES; k++) if (sannip__n2p2_types[k].type == type) return &sannip__n2p2_types[k];
    return NULL;
}
/* The basis field a letter of sannip__n2p2_type.fields names. */
static sannip_real *sannip__n2p2_field(sannip_basis *b, char f)
{
    switch (f) {
    case 'e': return &b->eta;
    case 'l': return &b->lambda;
    case 'z': return &b->zeta;
    case 'c': return &b->cut[0].rc;
    default: return &b->rs;
    }
}

static int sannip__parse_n2p2_sf(sannip_basis *b, char **tok, int nt, const sannip_cutoff *cs, sannip_error *err, int line)
{
    /* symfunction_short EC TYPE [E1 [E2]] numbers (n2p2 keywords.rst) */
    const sannip__n2p2_type *row;
    int type, need, opt, i, k;
    sannip_result r;
    if (nt < 3 || !sannip__int(tok[2], &type)) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 3, "symfunction_short: missing type");
    b->center = sannip__elem_token(tok[1]);
    if (b->center <= 0) return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, line, 2, "unknown element '%s'", tok[1]);
    if (!(row = sannip__n2p2_type_row(type))) return sannip__fail(err, SANNIP_UNSUPPORTED, line, 3, "n2p2 symmetry function type %d is not supported (2, 3, 9, 12, 13 are)", type);
    opt = strchr(row->fields, 'R') != NULL;
    need = 3 + row->n_el + (int)strlen(row->fields) - opt;
    if (nt < need || nt > need + opt)
        return sannip__fail(err, SANNIP_PARSE_ERROR, line, nt < need ? nt + 1 : need + 1, "symfunction_short type %d: expected %d fields, found %d", type, need, nt);
    b->kind = row->kind;
    b->nbr[0] = b->nbr[1] = row->n_el ? 0 : SANNIP_ZWEIGHT;
    if (row->kind == SANNIP_G2) b->nbr[1] = 0;
    for (k = 0; k < row->n_el; k++) {
        b->nbr[k] = sannip__elem_token(tok[3 + k]);
        if (b->nbr[k] <= 0) return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, line, 4 + k, "unknown element '%s'", tok[3 + k]);
    }
    b->rs = 0;
    for (i = 3 + row->n_el, k = 0; i < nt; i++, k++)
        if (!sannip__num(tok[i], sannip__n2p2_field(b, row->fields[k])))
            return sannip__fail(err, SANNIP_PARSE_ERROR, line, i + 1, "'%s' is not a finite number", tok[i]);
    if (opt && b->rs < 0) b->rs = 0;   /* n2p2's symmetry-function groups ignore rs <= 0 */
    if ((r = sannip_cutoff_make(&b->cut[0], cs->type, b->cut[0].rc, cs->alpha, err)) != SANNIP_SUCCESS) { if (err) err->line = line; return r; }
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_basis_parse(sannip_basis *b, const char *line_text, sannip_cutoff *cut_state, sannip_error *err)
{
    char buf[1024], *tok[40];
    int nt, i, kind = 0, line = err && err->line ? err->line : 0, nel, ctype = -1, have_rc = 0, spin;
    sannip_real rc = 0, alpha = 0;
    sannip_result r;
    if (!b || !line_text || !cut_state) return sannip__fail(err, SANNIP_INVALID_ARGS, line, 0, "NULL argument");
    if (strlen(line_text) >= sizeof buf) return sannip__fail(err, SANNIP_TOO_BIG, line, 0, "line longer than %d characters", (int)sizeof buf - 1);
    strcpy(buf, line_text);
    nt = sannip__tokens(buf, tok, 39);
    if (nt == 0) return SANNIP_END_OF_INPUT;
    if (nt > 39) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 40, "too many fields");
    memset(b, 0, sizeof *b);
    if (strcmp(tok[0], "cutoff_type") == 0) {
        int t = nt >= 2 ? sannip__cut_type_token(tok[1]) : -1;
        if (t < 0 || t == SANNIP_CUT_FSPLINE) return sannip__fail(err, SANNIP_BAD_CUTOFF, line, 2, "cutoff_type: unknown type '%s'", nt >= 2 ? tok[1] : "");
        alpha = 0;
        if (nt >= 3 && !sannip__num(tok[2], &alpha)) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 3, "cutoff_type: '%s' is not a number", tok[2]);
        if (!(alpha >= 0 && alpha < 1)) return sannip__fail(err, SANNIP_BAD_CUTOFF, line, 3, "inner cutoff fraction %g must be in [0, 1)", (double)alpha);
        cut_state->type = t; cut_state->alpha = alpha;
        return SANNIP_END_OF_INPUT;
    }
    if (strcmp(tok[0], "symfunction_short") == 0) {
        r = (sannip_result)sannip__parse_n2p2_sf(b, tok, nt, cut_state, err, line);
        if (r) return r;
        return sannip_basis_check(b, err) ? (err ? (err->line = line, err->code) : SANNIP_BAD_PARAMETER) : SANNIP_SUCCESS;
    }
    for (i = 1; i < SANNIP_BASIS_KIND_COUNT; i++) if (strcmp(tok[0], sannip__kinds[i].name) == 0) kind = i;
    if (!kind) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 1, "unknown basis type '%s'", tok[0]);
    b->kind = kind;
    spin = sannip__has(b, SANNIP_BASIS_SPIN);
    if (spin) { b->zeta = 1; b->eps = (sannip_real)1e-2; }
    nel = sannip__kinds[kind].arity;
    if (nt < 1 + nel) return sannip__fail(err, SANNIP_PARSE_ERROR, line, nt + 1, "%s needs %d element fields", tok[0], nel);
    for (i = 0; i < nel; i++) {
        int e = sannip__elem_token(tok[1 + i]);
        if (e == -2) return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, line, 2 + i, "unknown element '%s'", tok[1 + i]);
        if (i == 0) b->center = e; else b->nbr[i - 1] = e;
    }
    if (b->center == SANNIP_ZWEIGHT) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 2, "the central element cannot be Z-weighted");
    for (i = 1 + nel; i < nt; i++) {
        char *eq = strchr(tok[i], '='), *key = tok[i], *val;
        sannip_real v = 0;
        if (!eq) return sannip__fail(err, SANNIP_PARSE_ERROR, line, i + 1, "expected key=value, got '%s'", tok[i]);
        *eq = 0; val = eq + 1;
        if (strcmp(key, "cut") == 0) {
            ctype = sannip__cut_type_token(val);
            if (ctype < 0 || ctype == SANNIP_CUT_FSPLINE) return sannip__fail(err, SANNIP_BAD_CUTOFF, line, i + 1, "unknown cutoff type '%s'", val);
            continue;
        }
        if (strcmp(key, "fb") == 0 || strcmp(key, "fb2") == 0) {
            r = (sannip_result)sannip__fb_token(val, &b->cut[key[2] == '2'], err, line, i + 1);
            if (r) return r;
            continue;
        }
        if (!sannip__num(val, &v)) return sannip__fail(err, SANNIP_PARSE_ERROR, line, i + 1, "%s: '%s' is not a finite number", key, val);
        if (strcmp(key, "rc") == 0) { rc = v; have_rc = 1; }
        else if (strcmp(key, "alpha") == 0) alpha = v;
        else if (strcmp(key, "eta") == 0) b->eta = v;
        else if (strcmp(key, "rs") == 0 || (strcmp(key, "shift") == 0 && spin)) b->rs = v;
        else if (strcmp(key, "xi") == 0 && spin) b->zeta = v;
        else if (strcmp(key, "eps") == 0 && spin) b->eps = v;
        else if (strcmp(key, "lambda") == 0) b->lambda = v;
        else if (strcmp(key, "zeta") == 0) b->zeta = v;
        else if (strcmp(key, "eta2") == 0) b->eta2 = v;
        else if (strcmp(key, "rs2") == 0) b->rs2 = v;
        else if (strcmp(key, "eta_t") == 0) b->eta_t = v;
        else if (strcmp(key, "theta_s") == 0) b->theta_s = v;
        else return sannip__fail(err, SANNIP_PARSE_ERROR, line, i + 1, "unknown key '%s'", key);
    }
    if (sannip__keys(b, SANNIP__P_CUT)) {
        if (!have_rc) return sannip__fail(err, SANNIP_BAD_CUTOFF, line, 0, "%s needs rc=", tok[0]);
        if ((r = sannip_cutoff_make(&b->cut[0], ctype < 0 ? SANNIP_CUT_COS : ctype, rc, alpha, err)) != SANNIP_SUCCESS) { if (err) err->line = line; return r; }
    }
    if ((r = sannip_basis_check(b, err)) != SANNIP_SUCCESS) { if (err) err->line = line; return r; }
    return SANNIP_SUCCESS;
}

/* A bounded writer into a caller's buffer (no allocation): over is set once a piece does not
   fit, and the buffer then holds a truncated, NUL-terminated prefix. */
typedef struct sannip__bufw { char *buf; size_t size, len; int over; } sannip__bufw;
static void sannip__bufw_printf(sannip__bufw *w, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (w->over) return;
    va_start(ap, fmt);
    n = vsnprintf(w->buf + w->len, w->size - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= w->size - w->len) { w->over = 1; return; }
    w->len += (size_t)n;
}
SANNIP_API int sannip_basis_format(const sannip_basis *b, char *buf, size_t size)
{
    sannip__bufw t;
    const sannip_cutoff *c = &b->cut[0];
    if (!buf || size == 0) return -1;
    t.buf = buf; t.size = size; t.len = 0; t.over = 0; buf[0] = 0;
    sannip__bufw_printf(&t, "%-11s %-2s", sannip_basis_kind_name(b->kind), sannip__elem_str(b->center));
    if (sannip__kind(b->kind)->arity >= 2) sannip__bufw_printf(&t, " %-2s", sannip__elem_str(b->nbr[0]));
    if (sannip__kind(b->kind)->arity >= 3) sannip__bufw_printf(&t, " %-2s", sannip__elem_str(b->nbr[1]));
#define SANNIP__KV(name, x) do { sannip__bufw_printf(&t, " " name "="); { char nb[64]; sannip_format_real(nb, sizeof nb, x); sannip__bufw_printf(&t, "%s", nb); } } while (0)
    if (sannip__keys(b, SANNIP__P_CUT)) {
        sannip__bufw_printf(&t, " cut=%s", sannip_cutoff_name(c->type));
        SANNIP__KV("rc", c->rc);
        if (c->alpha != 0) SANNIP__KV("alpha", c->alpha);
    }
    if (sannip__keys(b, SANNIP__P_ETA_RS)) { SANNIP__KV("eta", b->eta); SANNIP__KV("rs", b->rs); }
    if (sannip__keys(b, SANNIP__P_SHIFT)) { SANNIP__KV("eta", b->eta); SANNIP__KV("shift", b->rs); }
    if (sannip__keys(b, SANNIP__P_XI)) SANNIP__KV("xi", b->zeta);
    if (sannip__keys(b, SANNIP__P_EPS)) SANNIP__KV("eps", b->eps);
    if (sannip__keys(b, SANNIP__P_LZ)) { SANNIP__KV("lambda", b->lambda); SANNIP__KV("zeta", b->zeta); }
    if (sannip__keys(b, SANNIP__P_ETA2)) { SANNIP__KV("eta2", b->eta2); SANNIP__KV("rs2", b->rs2); }
    if (sannip__keys(b, SANNIP__P_ANGLE)) { SANNIP__KV("eta_t", b->eta_t); SANNIP__KV("theta_s", b->theta_s); }
    if (sannip__keys(b, SANNIP__P_FB)) {
        int w;
        for (w = 0; w < (sannip__keys(b, SANNIP__P_FB2) ? 2 : 1); w++) {
            char n1[64], n2[64], n3[64];
            sannip_format_real(n1, sizeof n1, b->cut[w].eps_dn); sannip_format_real(n2, sizeof n2, b->cut[w].rs);
            sannip_format_real(n3, sizeof n3, b->cut[w].eps_up);
            sannip__bufw_printf(&t, " %s=%s,%s,%s,%d,%d", w ? "fb2" : "fb", n1, n2, n3, b->cut[w].xi_dn, b->cut[w].xi_up);
        }
    }
#undef SANNIP__KV
    return t.over ? -1 : (int)t.len;
}

SANNIP_API sannip_result sannip_descriptors_parse(sannip_descriptors *d, const char *text, sannip_error *err)
{
    sannip_cutoff cs;
    int line = 0, n2p2;
    const char *p = text;
    if (!d || !text) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    n2p2 = strstr(text, "symfunction_short") != NULL;   /* an n2p2 settings file */
    memset(&cs, 0, sizeof cs); cs.type = SANNIP_CUT_COS;
    while (*p) {
        char buf[1024];
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        sannip_basis b;
        int r;
        line++;
        if (len >= sizeof buf) return sannip__fail(err, SANNIP_TOO_BIG, line, 0, "line longer than %d characters", (int)sizeof buf - 1);
        memcpy(buf, p, len); buf[len] = 0;
        p = e ? e + 1 : p + len;
        if (err) err->line = line;
        r = sannip_basis_parse(&b, buf, &cs, err);
        if (r == SANNIP_END_OF_INPUT) continue;
        if (r == SANNIP_SUCCESS) {
            /* n2p2 input.nn files carry many other keywords: only basis lines matter here */
            if ((r = sannip_descriptors_add(d, &b, err)) != SANNIP_SUCCESS) { if (err) err->line = line; return (sannip_result)r; }
            continue;
        }
        if (r == SANNIP_PARSE_ERROR && err && err->field == 1 && strncmp(buf, "symfunction", 11) != 0) {
            /* unknown first word: tolerated only in n2p2 settings files (keyword lines) */
            char *tok[2], tmp[1024];
            strcpy(tmp, buf);
            if (n2p2 && sannip__tokens(tmp, tok, 1) >= 1 && !strchr(tok[0], '=')) continue;
        }
        if (err) err->line = line;
        return (sannip_result)r;
    }
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_descriptors_preset_bp_fe(sannip_descriptors *d, int Z, sannip_error *err)
{
    /* T sec. A.1 (T A.1-A.7): radial eta x R_s, angular eta x lambda x xi, r_c = 6 A, cosine
       cutoff (T2.16) */
    static const double reta[3] = { 1.5, 6.25, 25.0 };
    static const double aeta[3] = { 0.000357, 0.028569, 0.089277 };
    static const double xi[3] = { 1, 2, 4 };
    int i, k, l;
    sannip_basis b;
    sannip_result r;
    for (i = 0; i < 3; i++) for (k = 0; k < 8; k++) {
        memset(&b, 0, sizeof b);
        b.kind = SANNIP_G2; b.center = Z; b.nbr[0] = Z;
        b.eta = (sannip_real)reta[i]; b.rs = (sannip_real)(1.5 + 0.5 * k);
        sannip_cutoff_make(&b.cut[0], SANNIP_CUT_COS, 6, 0, NULL);
        if ((r = sannip_descriptors_add(d, &b, err)) != SANNIP_SUCCESS) return r;
    }
    for (i = 0; i < 3; i++) for (k = 0; k < 2; k++) for (l = 0; l < 3; l++) {
        memset(&b, 0, sizeof b);
        b.kind = SANNIP_G4; b.center = Z; b.nbr[0] = Z; b.nbr[1] = Z;
        b.eta = (sannip_real)aeta[i]; b.lambda = k ? 1 : -1; b.zeta = (sannip_real)xi[l];
        sannip_cutoff_make(&b.cut[0], SANNIP_CUT_COS, 6, 0, NULL);
        if ((r = sannip_descriptors_add(d, &b, err)) != SANNIP_SUCCESS) return r;
    }
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_descriptors_preset_bp(sannip_descriptors *d, const int *Zs, int n, sannip_real rc, sannip_error *err)
{
    sannip_descriptors one;
    sannip_result r = SANNIP_SUCCESS;
    int e, f;
    if (!d || !Zs || n < 1) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "preset needs elements");
    if (!(rc > 0)) return sannip__fail(err, SANNIP_BAD_CUTOFF, 0, 0, "cutoff %g", (double)rc);
    sannip_descriptors_init(&one, &d->alloc);
    for (e = 0; e < n && r == SANNIP_SUCCESS; e++) {
        one.n = 0;
        if ((r = sannip_descriptors_preset_bp_fe(&one, Zs[e], err)) != SANNIP_SUCCESS) break;
        for (f = 0; f < one.n && r == SANNIP_SUCCESS; f++) {
            sannip_basis b = one.b[f];
            b.nbr[0] = SANNIP_ANY; if (b.kind == SANNIP_G4) b.nbr[1] = SANNIP_ANY;
            b.cut[0].rc = rc;
            if (b.kind == SANNIP_G2) b.rs = b.rs * rc / 6;     /* the R_s grid scales with the cutoff */
            r = sannip_descriptors_add(d, &b, err);
        }
    }
    sannip_descriptors_uninit(&one);
    return r;
}

static sannip_result sannip__spin_add(sannip_descriptors *d, int kind, int Z, sannip_real rc, sannip_real eta,
                                      sannip_real shift, sannip_real xi, sannip_error *err)
{
    sannip_basis b;
    sannip_result r;
    memset(&b, 0, sizeof b);
    b.kind = kind; b.center = Z; b.nbr[0] = SANNIP_ANY;
    b.eta = eta; b.rs = shift; b.zeta = xi; b.eps = (sannip_real)1e-2;
    if ((sannip_basis_kind_flags(kind) & SANNIP_BASIS_NEIGHBORS) && (r = sannip_cutoff_make(&b.cut[0], SANNIP_CUT_COS, rc, 0, err)) != SANNIP_SUCCESS) return r;
    return sannip_descriptors_add(d, &b, err);
}
SANNIP_API sannip_result sannip_descriptors_preset_spin_thesis(sannip_descriptors *d, int Z, sannip_real rc, sannip_error *err)
{
    /* T A.8-A.11 */
    static const double s1[8][2] = { { 1, 0 }, { 2, 0 }, { 1, 1 }, { 2, 1 }, { 1, 2 }, { 2, 4 }, { 1, 3 }, { 2, 9 } };
    static const double eta2[4] = { 0.000357, 0.035711, 0.028569, 0.089277 }, al2[3] = { 0, 35, 70 };
    sannip_result r = SANNIP_SUCCESS;
    int i, k, n0;
    if (!d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "descriptor set is NULL");
    n0 = d->n;
    for (i = 0; i < 8 && r == SANNIP_SUCCESS; i++)
        r = sannip__spin_add(d, SANNIP_SPIN_S1G, Z, 0, (sannip_real)0.035711, (sannip_real)s1[i][1], (sannip_real)s1[i][0], err);
    for (i = 0; i < 4; i++) for (k = 0; k < 3 && r == SANNIP_SUCCESS; k++)
        r = sannip__spin_add(d, SANNIP_SPIN_S2G, Z, rc, (sannip_real)eta2[i], (sannip_real)al2[k], 1, err);
    if (r != SANNIP_SUCCESS) d->n = n0;
    return r;
}
SANNIP_API sannip_result sannip_descriptors_preset_sannip(sannip_descriptors *d, int Z, sannip_error *err)
{
    sannip_result r;
    int i, n0;
    if (!d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "descriptor set is NULL");
    n0 = d->n;
    if ((r = sannip_descriptors_preset_bp_fe(d, Z, err)) != SANNIP_SUCCESS) return r;
    if ((r = sannip_descriptors_preset_spin_thesis(d, Z, 6, err)) != SANNIP_SUCCESS) { d->n = n0; return r; }
    /* the neighbours of the thesis's S2 are the same element (a pure Fe set) */
    for (i = d->n - 12; i < d->n; i++) d->b[i].nbr[0] = Z;
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_descriptors_preset_spin_scaled(sannip_descriptors *d, int Z, sannip_real rc, sannip_real smag,
                                                   sannip_error *err)
{
    sannip_result r = SANNIP_SUCCESS;
    int i, n0;
    sannip_real w1, w2, s2 = smag * smag;
    if (!d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "descriptor set is NULL");
    if (!(smag > 0) || !isfinite(smag)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "spin magnitude %g must be > 0", (double)smag);
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
SANNIP_API sannip_result sannip_descriptors_preset_spin_shells(sannip_descriptors *d, int Z, sannip_real rc, sannip_error *err)
{
    sannip_result r = SANNIP_SUCCESS;
    int k, xi, n0;
    if (!d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "descriptor set is NULL");
    if (!(rc > 0) || !isfinite(rc)) return sannip__fail(err, SANNIP_BAD_CUTOFF, 0, 0, "spin shell ladder: cutoff %g must be > 0", (double)rc);
    n0 = d->n;
    for (k = 5; k <= 12; k++) for (xi = 1; xi <= 2 && r == SANNIP_SUCCESS; xi++)
        r = sannip__spin_add(d, SANNIP_SPIN_S2, Z, rc * (sannip_real)k / 12, 0, 0, (sannip_real)xi, err);
    if (r != SANNIP_SUCCESS) d->n = n0;
    return r;
}


/* ---- 7. KERNELS ----------------------------------------------------------------------- */
/* Plain loops written so that compilers vectorise them without reassociating sums: every
   output element accumulates its terms in a fixed order, so results do not depend on the
   vector width, the blocking or the number of threads. */
/* C += A B^T. The rows of B are packed, 16 at a time, into a panel B^T[p][0..16) (zero
   padded), so the inner loop runs along contiguous memory: tiles of 4 rows x 16 columns sum
   their terms in p order in registers, then are added to C. k is taken in chunks of
   SANNIP__NT_KC (the panel lives on the stack); each chunk's sums are added to C in turn. */
#define SANNIP__NT_KC 128
SANNIP_API void sannip_gemm_nt(int m, int n, int k, const sannip_real *A, int lda,
                               const sannip_real *B, int ldb, sannip_real *C, int ldc)
{
    sannip_real panel[SANNIP__NT_KC * 16];
    int i, j0, p0, p, jj, r;
    for (j0 = 0; j0 < n; j0 += 16) {
        int w = n - j0 < 16 ? n - j0 : 16;
        for (p0 = 0; p0 < k; p0 += SANNIP__NT_KC) {
            int kc = k - p0 < SANNIP__NT_KC ? k - p0 : SANNIP__NT_KC;
            for (p = 0; p < kc; p++)
                for (jj = 0; jj < 16; jj++) panel[16 * p + jj] = jj < w ? B[(size_t)(j0 + jj) * ldb + p0 + p] : 0;
            for (i = 0; i < m; i += 4) {
                int h = m - i < 4 ? m - i : 4;
                sannip_real acc[4][16];
                const sannip_real *a[4];
                for (r = 0; r < 4; r++) a[r] = A + (size_t)(i + (r < h ? r : 0)) * lda + p0;
                memset(acc, 0, sizeof acc);
                for (p = 0; p < kc; p++) {
                    const sannip_real *pp = panel + 16 * p, x0 = a[0][p], x1 = a[1][p], x2 = a[2][p], x3 = a[3][p];
                    for (jj = 0; jj < 16; jj++) {
                        acc[0][jj] += x0 * pp[jj]; acc[1][jj] += x1 * pp[jj];
                        acc[2][jj] += x2 * pp[jj]; acc[3][jj] += x3 * pp[jj];
                    }
                }
                for (r = 0; r < h; r++)
                    for (jj = 0; jj < w; jj++) C[(size_t)(i + r) * ldc + j0 + jj] += acc[r][jj];
            }
        }
    }
}
/* c[j] += a_0 b_0[j] + ... + a_{q-1} b_{q-1}[j] (q <= 4, a_r = a[r as], b_r = b + r ldb), the
   terms added one after another in that order: four rows per pass keep c[j] in a register
   instead of loading and storing it once per row. */
static void sannip__axpy_rows(sannip_real *c, int n, const sannip_real *a, size_t as, const sannip_real *b, size_t ldb, int q)
{
    int j, r;
    if (q == 4) {
        const sannip_real a0 = a[0], a1 = a[as], a2 = a[2 * as], a3 = a[3 * as];
        const sannip_real *b0 = b, *b1 = b + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
#if !defined(SANNIP_NO_SIMD) && defined(_OPENMP)
#pragma omp simd
#endif
        for (j = 0; j < n; j++) {
            sannip_real t = c[j];
            t += a0 * b0[j]; t += a1 * b1[j]; t += a2 * b2[j]; t += a3 * b3[j];
            c[j] = t;
        }
        return;
    }
    for (r = 0; r < q; r++) {
        const sannip_real av = a[r * as], *br = b + r * ldb;
#if !defined(SANNIP_NO_SIMD) && defined(_OPENMP)
#pragma omp simd
#endif
        for (j = 0; j < n; j++) c[j] += av * br[j];
    }
}
SANNIP_API void sannip_gemm_nn(int m, int n, int k, const sannip_real *A, int lda,
                               const sannip_real *B, int ldb, sannip_real *C, int ldc)
{
    int i, p;
    for (i = 0; i < m; i++)
        for (p = 0; p < k; p += 4)
            sannip__axpy_rows(C + (size_t)i * ldc, n, A + (size_t)i * lda + p, 1, B + (size_t)p * ldb, (size_t)ldb, k - p < 4 ? k - p : 4);
}
SANNIP_API void sannip_gemm_tn(int m, int n, int k, const sannip_real *A, int lda,
                               const sannip_real *B, int ldb, sannip_real *C, int ldc)
{
    int i, p;
    for (p = 0; p < k; p += 4)
        for (i = 0; i < m; i++)
            sannip__axpy_rows(C + (size_t)i * ldc, n, A + (size_t)p * lda + i, (size_t)lda, B + (size_t)p * ldb, (size_t)ldb, k - p < 4 ? k - p : 4);
}

/* ---- 8. NETWORKS ---------------------------------------------------------------------- */
static const char *const sannip__act_names[SANNIP_ACT_COUNT] = {
    "linear", "tanh", "sigmoid", "softplus", "relu", "swish", "ssp", "gaussian", "cos",
    "revsigmoid", "exp", "harmonic" };
static const char sannip__act_letters[SANNIP_ACT_COUNT + 1] = "ltsprwPgcSeh";
SANNIP_API const char *sannip_activation_name(int act)
{
    return (act >= 0 && act < SANNIP_ACT_COUNT) ? sannip__act_names[act] : "?";
}
SANNIP_API int sannip_activation_parse(const char *name)
{
    int k;
    if (!name) return -1;
    for (k = 0; k < SANNIP_ACT_COUNT; k++) if (strcmp(name, sannip__act_names[k]) == 0) return k;
    if (strcmp(name, "silu") == 0) return SANNIP_ACT_SWISH;
    if (strcmp(name, "logistic") == 0) return SANNIP_ACT_SIGMOID;
    if (name[0] && !name[1]) {    /* n2p2 letters */
        const char *q = strchr(sannip__act_letters, name[0]);
        if (q && name[0] != 'w' && name[0] != 'P') return (int)(q - sannip__act_letters);
    }
    return -1;
}
/* The n2p2 conventions (NeuralNetwork.cpp, EXP_LIMIT = 35) for the logistic family. */
SANNIP_API sannip_real sannip_activation_eval(int act, sannip_real x, sannip_real *dydx)
{
    sannip_real y, d, e;
    switch (act) {
    case SANNIP_ACT_TANH: y = sannip__tanh(x); d = 1 - y * y; break;
    case SANNIP_ACT_SIGMOID:
        if (x > 35) { y = 1; d = 0; } else if (x < -35) { y = 0; d = 0; }
        else { y = 1 / (1 + (sannip_real)sannip__exp(-x)); d = y * (1 - y); }
        break;
    case SANNIP_ACT_SOFTPLUS: case SANNIP_ACT_SSP: y = x; sannip__softplus_array(&y, &d, 1, act == SANNIP_ACT_SSP); break;
    case SANNIP_ACT_RELU: y = x > 0 ? x : 0; d = x > 0 ? 1 : 0; break;
    case SANNIP_ACT_SWISH:
        if (x < -700) { y = 0; d = 0; break; }
        e = 1 / (1 + (sannip_real)sannip__exp(-x)); y = x * e; d = e + x * e * (1 - e); break;
    case SANNIP_ACT_GAUSSIAN: y = (sannip_real)sannip__exp(-0.5 * x * x); d = -x * y; break;
    case SANNIP_ACT_COS: { double sn, cs; sannip__sincos(x, &sn, &cs); y = (sannip_real)cs; d = (sannip_real)-sn; break; }
    case SANNIP_ACT_REVSIGMOID: e = 1 / (1 + (sannip_real)sannip__exp(-x)); y = 1 - e; d = -e * (1 - e); break;
    case SANNIP_ACT_EXP: y = (sannip_real)sannip__exp(-x); d = -y; break;
    case SANNIP_ACT_HARMONIC: y = x * x; d = 2 * x; break;
    default: y = x; d = 1; break;
    }
    if (dydx) *dydx = d;
    return y;
}
SANNIP_API sannip_real sannip_activation_eval2(int act, sannip_real x, sannip_real *d1, sannip_real *d2)
{
    sannip_real y = sannip_activation_eval(act, x, d1), dd = 0, e;
    switch (act) {
    case SANNIP_ACT_TANH: dd = -2 * y * *d1; break;
    case SANNIP_ACT_SIGMOID: dd = *d1 * (1 - 2 * y); break;
    case SANNIP_ACT_SOFTPLUS: case SANNIP_ACT_SSP: dd = *d1 * (1 - *d1); break;   /* d1 = sigmoid */
    case SANNIP_ACT_SWISH:
        if (x < -700) { dd = 0; break; }
        e = 1 / (1 + (sannip_real)sannip__exp(-x)); dd = e * (1 - e) * (2 + x * (1 - 2 * e)); break;
    case SANNIP_ACT_GAUSSIAN: dd = (x * x - 1) * y; break;
    case SANNIP_ACT_COS: dd = -y; break;
    case SANNIP_ACT_REVSIGMOID: e = 1 - y; dd = -(e * (1 - e)) * (1 - 2 * e); break;
    case SANNIP_ACT_EXP: dd = y; break;
    case SANNIP_ACT_HARMONIC: dd = 2; break;
    default: dd = 0; break;   /* linear, relu (almost everywhere) */
    }
    if (d2) *d2 = dd;
    return y;
}
static void sannip__activate(int act, size_t n, sannip_real *z, sannip_real *dz)
{
    size_t i;
    if (act == SANNIP_ACT_LINEAR) { for (i = 0; i < n; i++) dz[i] = 1; return; }
    if (act == SANNIP_ACT_TANH) { sannip__tanh_array(z, dz, n); return; }
    if (act == SANNIP_ACT_SOFTPLUS || act == SANNIP_ACT_SSP) { sannip__softplus_array(z, dz, n, act == SANNIP_ACT_SSP); return; }
    for (i = 0; i < n; i++) z[i] = sannip_activation_eval(act, z[i], &dz[i]);
}

SANNIP_API size_t sannip_network_layer_params(const sannip_network *net, int l)
{
    size_t n = 0;
    int c;
    if (net->nblk[l] <= 0) return (size_t)net->sizes[l + 1] * ((size_t)net->sizes[l] + 1);
    for (c = 0; c < net->nblk[l]; c++) {
        size_t w = (size_t)(net->blk[l][c + 1] - net->blk[l][c]);
        n += w * (w + 1);                 /* T3.27: (i_c + 1) i_c per class */
    }
    return n;
}
SANNIP_API int sannip_network_layer_active(const sannip_network *net, int l)
{
    return net->pass[l] ? net->sizes[l] : net->sizes[l + 1];
}
SANNIP_API sannip_result sannip_network_init_layers(sannip_network *net, int n_layers, const int *sizes,
        const int *act, const int *nblk, const int (*blk)[SANNIP_MAX_CLASSES], const int *pass,
        const sannip_allocator *alloc, sannip_error *err)
{
    int l, c;
    size_t np = 0;
    if (!net || !sizes || !act) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    memset(net, 0, sizeof *net);
    net->alloc = sannip__alloc_copy(alloc);
    if (n_layers < 1 || n_layers > SANNIP_MAX_LAYERS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "%d layers (1..%d allowed)", n_layers, SANNIP_MAX_LAYERS);
    for (l = 0; l <= n_layers; l++)
        if (sizes[l] < (l == 0 ? 0 : 1) || sizes[l] > SANNIP_MAX_LAYER_WIDTH) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "layer %d width %d (allowed 1..%d)", l, sizes[l], SANNIP_MAX_LAYER_WIDTH);
    net->n_layers = n_layers;
    for (l = 0; l <= n_layers; l++) net->sizes[l] = sizes[l];
    for (l = 0; l < n_layers; l++) {
        if (act[l] < 0 || act[l] >= SANNIP_ACT_COUNT) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "layer %d: unknown activation %d", l + 1, act[l]);
        net->act[l] = act[l];
        net->nblk[l] = nblk ? nblk[l] : 0;
        net->pass[l] = pass ? (pass[l] != 0) : 0;
        if (net->nblk[l] < 0 || net->nblk[l] > SANNIP_MAX_CLASSES) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "layer %d: %d classes (at most %d)", l + 1, net->nblk[l], SANNIP_MAX_CLASSES);
        if (net->pass[l] && net->nblk[l] == 0) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "layer %d: raw-input passing needs a class layer", l + 1);
        if (net->nblk[l] > 0) {
            int tot = 0;
            net->blk[l][0] = 0;
            for (c = 0; c < net->nblk[l]; c++) {
                if (blk[l][c] < 1) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "layer %d: class %d has %d inputs", l + 1, c + 1, blk[l][c]);
                tot += blk[l][c]; net->blk[l][c + 1] = tot;
            }
            if (tot != sizes[l] || sizes[l + 1] != sizes[l] * (1 + net->pass[l]))
                return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "layer %d: classes cover %d of %d inputs, or outputs %d != %d", l + 1, tot, sizes[l], sizes[l + 1], sizes[l] * (1 + net->pass[l]));
        }
        np += sannip_network_layer_params(net, l);
    }
    net->n_params = np;
    net->params = (sannip_real *)sannip__calloc(&net->alloc, np, sizeof(sannip_real));
    if (!net->params) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "%zu network parameters", np);
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_network_init(sannip_network *net, int n_layers, const int *sizes,
                                             const int *act, const sannip_allocator *alloc, sannip_error *err)
{
    return sannip_network_init_layers(net, n_layers, sizes, act, NULL, NULL, NULL, alloc, err);
}
SANNIP_API void sannip_network_uninit(sannip_network *net)
{
    if (!net) return;
    sannip_free(&net->alloc, net->params);
    net->params = NULL; net->n_params = 0; net->n_layers = 0;
}
SANNIP_API const sannip_real *sannip_network_weights(const sannip_network *net, int layer)
{
    return sannip_network_weights_rw((sannip_network *)net, layer);   /* read only: no write through it */
}
SANNIP_API sannip_real *sannip_network_weights_rw(sannip_network *net, int layer)
{
    size_t off = 0;
    int l;
    for (l = 0; l < layer; l++) off += sannip_network_layer_params(net, l);
    return net->params + off;
}
SANNIP_API const sannip_real *sannip_network_biases(const sannip_network *net, int layer)
{
    return sannip_network_weights(net, layer) + (size_t)net->sizes[layer + 1] * net->sizes[layer];
}
SANNIP_API int sannip_network_layer_blocks(const sannip_network *net, int l)
{
    return net->nblk[l] > 0 ? net->nblk[l] : 1;
}
SANNIP_API sannip_param_block sannip_network_block(const sannip_network *net, int l, int c)
{
    sannip_param_block b;
    int k;
    b.offset = (size_t)(sannip_network_weights(net, l) - net->params);
    if (net->nblk[l] <= 0) { b.n_in = net->sizes[l]; b.n_out = net->sizes[l + 1]; b.in0 = b.out0 = 0; return b; }
    for (k = 0; k < c; k++) { size_t w = (size_t)(net->blk[l][k + 1] - net->blk[l][k]); b.offset += w * (w + 1); }
    b.in0 = b.out0 = net->blk[l][c];
    b.n_in = b.n_out = net->blk[l][c + 1] - net->blk[l][c];
    return b;
}
SANNIP_API size_t sannip_network_work_size(const sannip_network *net, int batch)
{
    size_t s = 0;
    int l, wmax = net->sizes[0];
    for (l = 1; l <= net->n_layers; l++) { s += 2 * (size_t)net->sizes[l]; if (net->sizes[l] > wmax) wmax = net->sizes[l]; }
    return (size_t)batch * (s + 2 * (size_t)wmax);
}

/* z = W in (+ b when bias); the tangent pass of force training uses bias = 0. */
static void sannip__layer_lin(const sannip_network *net, int l, int B, const sannip_real *in, sannip_real *z, int bias)
{
    int ni = net->sizes[l], no = net->sizes[l + 1], i, c;
    for (c = 0; c < sannip_network_layer_blocks(net, l); c++) {   /* class layers: one i_c -> i_c map per class */
        sannip_param_block k = sannip_network_block(net, l, c);
        const sannip_real *W = net->params + k.offset, *b = W + (size_t)k.n_out * k.n_in;
        for (i = 0; i < B; i++) {
            sannip_real *zr = z + (size_t)i * no + k.out0;
            if (bias) memcpy(zr, b, sizeof(sannip_real) * (size_t)k.n_out); else memset(zr, 0, sizeof(sannip_real) * (size_t)k.n_out);
        }
        sannip_gemm_nt(B, k.n_out, k.n_in, in + k.in0, ni, W, k.n_in, z + k.out0, no);
    }
    if (net->pass[l]) for (i = 0; i < B; i++) memcpy(z + (size_t)i * no + ni, in + (size_t)i * ni, sizeof(sannip_real) * (size_t)ni);
}
SANNIP_API void sannip_network_layer_affine(const sannip_network *net, int l, int B, const sannip_real *in, sannip_real *z)
{
    sannip__layer_lin(net, l, B, in, z, 1);
}
SANNIP_API void sannip_network_layer_back_input(const sannip_network *net, int l, int B, const sannip_real *dz, sannip_real *din)
{
    int ni = net->sizes[l], no = net->sizes[l + 1], i, c, q;
    for (c = 0; c < sannip_network_layer_blocks(net, l); c++) {
        sannip_param_block k = sannip_network_block(net, l, c);
        sannip_gemm_nn(B, k.n_in, k.n_out, dz + k.out0, no, net->params + k.offset, k.n_in, din + k.in0, ni);
    }
    if (net->pass[l]) for (i = 0; i < B; i++) for (q = 0; q < ni; q++) din[(size_t)i * ni + q] += dz[(size_t)i * no + ni + q];
}
/* grad += dz^T in (and the bias gradient, sum of dz rows, when bias). */
static void sannip__layer_bw(const sannip_network *net, int l, int B, const sannip_real *dz, const sannip_real *in,
                             sannip_real *g, int bias)
{
    int ni = net->sizes[l], no = net->sizes[l + 1], i, q, c;
    size_t base = sannip_network_block(net, l, 0).offset;
    for (c = 0; c < sannip_network_layer_blocks(net, l); c++) {
        sannip_param_block k = sannip_network_block(net, l, c);
        sannip_real *gw = g + (k.offset - base), *gb = gw + (size_t)k.n_out * k.n_in;
        sannip_gemm_tn(k.n_out, k.n_in, B, dz + k.out0, no, in + k.in0, ni, gw, k.n_in);   /* dW += dz^T x */
        if (bias) for (i = 0; i < B; i++) for (q = 0; q < k.n_out; q++) gb[q] += dz[(size_t)i * no + k.out0 + q];
    }
}
SANNIP_API void sannip_network_layer_back_weights(const sannip_network *net, int l, int B, const sannip_real *dz,
                                                  const sannip_real *in, sannip_real *g)
{
    sannip__layer_bw(net, l, B, dz, in, g, 1);
}

/* Activation of the active columns of a batch of layer outputs (pass-through columns keep
   their value with derivative 1). */
static void sannip__layer_activate(const sannip_network *net, int l, int B, sannip_real *z, sannip_real *dz)
{
    int no = net->sizes[l + 1], na = sannip_network_layer_active(net, l), i, q;
    if (na == no) { sannip__activate(net->act[l], (size_t)B * no, z, dz); return; }
    for (i = 0; i < B; i++) {
        sannip__activate(net->act[l], (size_t)na, z + (size_t)i * no, dz + (size_t)i * no);
        for (q = na; q < no; q++) dz[(size_t)i * no + q] = 1;
    }
}

/* work layout: for each layer l: y_l (batch x sizes[l+1]), y'_l (batch x sizes[l+1]); then
   two batch x wmax buffers for the backward pass. */
/* sannip__activate with the second derivative d2 (force training). */
static void sannip__activate2(int act, size_t n, sannip_real *z, sannip_real *d1, sannip_real *d2)
{
    size_t i;
    if (act == SANNIP_ACT_TANH) {
        sannip__tanh_array(z, d1, n);
        for (i = 0; i < n; i++) d2[i] = -2 * z[i] * d1[i];
        return;
    }
    for (i = 0; i < n; i++) z[i] = sannip_activation_eval2(act, z[i], &d1[i], &d2[i]);
}
/* Activation with y', y'' of a batch, row by row (pass-through columns: 1, 0). */
static void sannip__layer_activate2(const sannip_network *net, int l, int B, sannip_real *y, sannip_real *d1, sannip_real *d2)
{
    int no = net->sizes[l + 1], na = sannip_network_layer_active(net, l), i, k;
    for (i = 0; i < B; i++) {
        size_t q = (size_t)i * no;
        sannip__activate2(net->act[l], (size_t)na, y + q, d1 + q, d2 + q);
        for (k = na; k < no; k++) { d1[q + k] = 1; d2[q + k] = 0; }
    }
}
SANNIP_API const sannip_real *sannip_network_pass(const sannip_network *net, int B, int from, int pre,
        const sannip_real *in, int keep, sannip_real *z_first, int z_stride, sannip_real *work)
{
    int l, i;
    sannip_real *w = work;
    for (l = from; l < net->n_layers; l++) {
        int no = net->sizes[l + 1];
        sannip_real *z = w, *d1 = w + (size_t)B * no;
        if (l == from && pre) memcpy(z, in, sizeof(sannip_real) * (size_t)B * no);
        else sannip__layer_lin(net, l, B, in, z, 1);
        if (l == from && z_first) for (i = 0; i < B; i++) memcpy(z_first + (size_t)i * z_stride, z + (size_t)i * no, sizeof(sannip_real) * (size_t)no);
        if (keep == 3) sannip__layer_activate2(net, l, B, z, d1, d1 + (size_t)B * no);
        else sannip__layer_activate(net, l, B, z, d1);
        in = z;
        w += (size_t)keep * B * no;
    }
    return in;
}
SANNIP_API void sannip_network_forward(const sannip_network *net, int batch, const sannip_real *X,
                                       sannip_real *Y, sannip_real *work)
{
    const sannip_real *out = sannip_network_pass(net, batch, 0, 0, X, 2, NULL, 0, work);
    if (Y) memcpy(Y, out, sizeof(sannip_real) * (size_t)batch * net->sizes[net->n_layers]);
}
/* The shared backward sweep: dL/dz per layer; weight gradients if grad, dL/dX if dX. fw holds
   the forward pass, per layer `per` blocks of batch x sizes[l+1]: y, y' (and y'' when per = 3,
   the force-training stash); tmp two batch x wmax buffers. */
static void sannip__network_backprop(const sannip_network *net, int batch, const sannip_real *X, const sannip_real *dY,
                                     sannip_real *dX, sannip_real *grad, const sannip_real *fw, int per, sannip_real *tmp)
{
    int l, wmax = net->sizes[0];
    size_t off[SANNIP_MAX_LAYERS + 1], o = 0, q, gofs[SANNIP_MAX_LAYERS + 1], go = 0;
    sannip_real *t0, *t1, *sw;
    for (l = 0; l < net->n_layers; l++) {
        off[l] = o; o += (size_t)per * batch * net->sizes[l + 1];
        gofs[l] = go; go += sannip_network_layer_params(net, l);
        if (net->sizes[l + 1] > wmax) wmax = net->sizes[l + 1];
    }
    t0 = tmp; t1 = t0 + (size_t)batch * wmax;
    memcpy(t0, dY, sizeof(sannip_real) * (size_t)batch * net->sizes[net->n_layers]);
    for (l = net->n_layers - 1; l >= 0; l--) {
        int ni = net->sizes[l], no = net->sizes[l + 1];
        const sannip_real *dz = fw + off[l] + (size_t)batch * no;
        for (q = 0; q < (size_t)batch * no; q++) t0[q] *= dz[q];      /* dL/dz = dL/dy * act'(z) */
        if (grad) sannip_network_layer_back_weights(net, l, batch, t0, l == 0 ? X : fw + off[l - 1], grad + gofs[l]);
        if (l == 0 && !dX) break;
        {
            sannip_real *out = l == 0 ? dX : t1;
            memset(out, 0, sizeof(sannip_real) * (size_t)batch * ni);
            sannip_network_layer_back_input(net, l, batch, t0, out);
        }
        sw = t0; t0 = t1; t1 = sw;
    }
}
/* The forward pass's share of work (y, y' per layer): the backward buffers follow it. */
static size_t sannip__forward_size(const sannip_network *net, int batch)
{
    size_t o = 0;
    int l;
    for (l = 0; l < net->n_layers; l++) o += 2 * (size_t)batch * net->sizes[l + 1];
    return o;
}
SANNIP_API void sannip_network_backward_input(const sannip_network *net, int batch, const sannip_real *dY,
                                              sannip_real *dX, sannip_real *work)
{
    sannip__network_backprop(net, batch, NULL, dY, dX, NULL, work, 2, work + sannip__forward_size(net, batch));
}
SANNIP_API void sannip_network_backward(const sannip_network *net, int batch, const sannip_real *X,
                                        const sannip_real *dY, sannip_real *dX, sannip_real *grad,
                                        sannip_real *work)
{
    sannip__network_backprop(net, batch, X, dY, dX, grad, work, 2, work + sannip__forward_size(net, batch));
}

/* ---- 9. SCALERS ----------------------------------------------------------------------- */
static const char *const sannip__scaling_names[SANNIP_SCALE_COUNT] = {
    "none", "minmax", "center", "scalecenter", "scalesigma", "standard", "modified" };
SANNIP_API const char *sannip_scaling_name(int mode)
{
    return (mode >= 0 && mode < SANNIP_SCALE_COUNT) ? sannip__scaling_names[mode] : "?";
}
SANNIP_API int sannip_scaling_parse(const char *name)
{
    int k;
    for (k = 0; k < SANNIP_SCALE_COUNT; k++) if (name && strcmp(name, sannip__scaling_names[k]) == 0) return k;
    return -1;
}
/* A spread below 1e-8 (float: 2e-5) of the feature's magnitude is rounding noise: such a
   feature is treated as constant (a = 0) instead of being blown up by 1/spread. */
static sannip_real sannip__spread(sannip_real x, const sannip_feature_stats *st)
{
    /* 1e-8 in double; float's rounding noise in feature sums is ~1e-6 relative */
    sannip_real mag = SANNIP__MAX(fabs(st->min), fabs(st->max)), rel = sizeof(sannip_real) < 8 ? (sannip_real)2e-5 : (sannip_real)1e-8;
    return x > rel * mag ? x : 0;
}
SANNIP_API void sannip_scaling_affine(int mode, const sannip_feature_stats *st, sannip_real smin,
                                      sannip_real smax, sannip_real *a, sannip_real *c, sannip_real *d)
{
    sannip_real range = sannip__spread(st->max - st->min, st), sigma = sannip__spread(st->sigma, st), dev = sannip__spread(st->dev, st);
    *a = 1; *c = 0; *d = 0;
    switch (mode) {
    case SANNIP_SCALE_MINMAX:       /* T2.36-2.39, n2p2 "scale" */
        *c = st->min; *d = smin; *a = range > 0 ? (smax - smin) / range : 0; break;
    case SANNIP_SCALE_CENTER: *c = st->mean; break;
    case SANNIP_SCALE_SCALECENTER:
        *c = st->mean; *d = smin; *a = range > 0 ? (smax - smin) / range : 0; break;
    case SANNIP_SCALE_SCALESIGMA:
        *c = st->mean; *d = smin; *a = sigma > 0 ? (smax - smin) / st->sigma : 0; break;
    case SANNIP_SCALE_STANDARD:     /* T F.20-F.23 */
        *c = st->mean; *a = sigma > 0 ? 1 / st->sigma : 0; break;
    case SANNIP_SCALE_MODIFIED:     /* T3.21-3.24: (G - mu)/max|G - mu| */
        *c = st->mean; *a = dev > 0 ? 1 / st->dev : 0; break;
    default: break;
    }
}

/* ---- 10. MODEL ------------------------------------------------------------------------ */
SANNIP_API void sannip_model_init(sannip_model *m, const sannip_allocator *alloc)
{
    memset(m, 0, sizeof *m);
    m->alloc = sannip__alloc_copy(alloc);
    sannip_descriptors_init(&m->desc, alloc);
    strcpy(m->units_energy, "eV"); strcpy(m->units_length, "Angstrom");
}
static void sannip__element_free(sannip_model *m, sannip_element_model *e)
{
    sannip_free(&m->alloc, e->feature); sannip_free(&m->alloc, e->stats);
    sannip_free(&m->alloc, e->scale_a);
    sannip_network_uninit(&e->net);
    memset(e, 0, sizeof *e);
}
SANNIP_API void sannip_model_uninit(sannip_model *m)
{
    int e;
    if (!m) return;
    for (e = 0; e < m->n_elements; e++) sannip__element_free(m, &m->el[e]);
    sannip_descriptors_uninit(&m->desc);
    sannip_free(&m->alloc, m->description);
    m->description = NULL; m->n_elements = 0;
}
SANNIP_API int sannip_model_element_index(const sannip_model *m, int Z)
{
    int e;
    for (e = 0; e < m->n_elements; e++) if (m->el[e].Z == Z) return e;
    return -1;
}
/* Allocates the per-feature arrays of element e for nf features. */
static sannip_result sannip__element_alloc(sannip_model *m, sannip_element_model *e, int nf)
{
    int f;
    e->n_features = nf;
    e->feature = (int *)sannip__calloc(&m->alloc, (size_t)nf + 1, sizeof(int));
    e->stats = (sannip_feature_stats *)sannip__calloc(&m->alloc, (size_t)nf + 1, sizeof(sannip_feature_stats));
    e->scale_a = (sannip_real *)sannip__calloc(&m->alloc, 3 * (size_t)nf + 3, sizeof(sannip_real));
    if (!e->feature || !e->stats || !e->scale_a) return SANNIP_OUT_OF_MEMORY;
    e->scale_c = e->scale_a + nf; e->scale_d = e->scale_c + nf;
    for (f = 0; f < nf; f++) { e->stats[f].max = 1; e->stats[f].sigma = 1; e->stats[f].dev = 1; }
    e->smin = 0; e->smax = 1;
    e->energy_scale = 1;
    return SANNIP_SUCCESS;
}
/* A deep copy of network src into dst, its parameters allocated with a. A multi-task
   model's sharing elements hold a network without parameters: copied as it is. */
static sannip_result sannip__network_copy(sannip_network *dst, const sannip_network *src, const sannip_allocator *a)
{
    *dst = *src;
    dst->alloc = sannip__alloc_copy(a);
    dst->params = NULL;
    if (!src->params) return SANNIP_SUCCESS;
    dst->params = (sannip_real *)sannip__calloc(a, src->n_params, sizeof(sannip_real));
    if (!dst->params) { dst->n_params = 0; dst->n_layers = 0; return SANNIP_OUT_OF_MEMORY; }
    memcpy(dst->params, src->params, sizeof(sannip_real) * src->n_params);
    return SANNIP_SUCCESS;
}
/* A deep copy of element src into e, with m's allocator. On failure e holds nothing. */
static sannip_result sannip__element_copy(sannip_model *m, sannip_element_model *e, const sannip_element_model *src)
{
    sannip_element_model own;
    size_t nf = (size_t)src->n_features;
    memset(&own, 0, sizeof own);
    if (sannip__element_alloc(m, &own, src->n_features) != SANNIP_SUCCESS) { sannip__element_free(m, &own); return SANNIP_OUT_OF_MEMORY; }
    *e = *src;
    e->feature = own.feature; e->stats = own.stats;
    e->scale_a = own.scale_a; e->scale_c = own.scale_c; e->scale_d = own.scale_d;
    if (nf > 0) {
        memcpy(e->feature, src->feature, sizeof(int) * nf);
        memcpy(e->stats, src->stats, sizeof(sannip_feature_stats) * nf);
        memcpy(e->scale_a, src->scale_a, sizeof(sannip_real) * nf);
        memcpy(e->scale_c, src->scale_c, sizeof(sannip_real) * nf);
        memcpy(e->scale_d, src->scale_d, sizeof(sannip_real) * nf);
    }
    if (sannip__network_copy(&e->net, &src->net, &m->alloc) != SANNIP_SUCCESS) { sannip__element_free(m, e); return SANNIP_OUT_OF_MEMORY; }
    return SANNIP_SUCCESS;
}
/* The parts of src that own memory (bases, description, elements) copied into dst, an
   initialised model; on failure dst holds what was copied so far (whole elements only). */
static sannip_result sannip__model_copy_parts(sannip_model *dst, const sannip_model *src)
{
    int e;
    if (src->desc.n > 0) {
        dst->desc.b = (sannip_basis *)sannip__calloc(&dst->desc.alloc, (size_t)src->desc.n, sizeof(sannip_basis));
        if (!dst->desc.b) return SANNIP_OUT_OF_MEMORY;
        memcpy(dst->desc.b, src->desc.b, sizeof(sannip_basis) * (size_t)src->desc.n);
        dst->desc.n = dst->desc.cap = src->desc.n;
    }
    if (src->description) {
        size_t n = strlen(src->description) + 1;
        dst->description = (char *)sannip__malloc(&dst->alloc, n);
        if (!dst->description) return SANNIP_OUT_OF_MEMORY;
        memcpy(dst->description, src->description, n);
    }
    for (e = 0; e < src->n_elements; e++) {
        if (sannip__element_copy(dst, &dst->el[e], &src->el[e]) != SANNIP_SUCCESS) return SANNIP_OUT_OF_MEMORY;
        dst->n_elements = e + 1;
    }
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_model_copy(sannip_model *dst, const sannip_model *src, sannip_error *err)
{
    if (!dst || !src) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if (dst == src) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "a model cannot be copied onto itself");
    sannip_model_init(dst, &src->alloc);
    dst->cutoff = src->cutoff;
    memcpy(dst->units_energy, src->units_energy, sizeof dst->units_energy);
    memcpy(dst->units_length, src->units_length, sizeof dst->units_length);
    if (sannip__model_copy_parts(dst, src) != SANNIP_SUCCESS) {
        sannip_model_uninit(dst);
        sannip_model_init(dst, &src->alloc);
        return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "copy of a model of %d bases and %d elements", src->desc.n, src->n_elements);
    }
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_model_add_element(sannip_model *m, int Z, int n_hidden, const int *hidden,
                                                  const int *act, sannip_error *err)
{
    sannip_element_model *e;
    int f, nf = 0, sizes[SANNIP_MAX_LAYERS + 1], acts[SANNIP_MAX_LAYERS], l;
    sannip_result r;
    if (!m || (n_hidden > 0 && (!hidden || !act))) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if (Z < 1 || Z > SANNIP_MAX_Z) return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "atomic number %d", Z);
    if (sannip_model_element_index(m, Z) >= 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "element %s is already in the model", sannip_element_symbol(Z));
    if (m->n_elements >= SANNIP_MAX_ELEMENTS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "more than %d elements", SANNIP_MAX_ELEMENTS);
    if (n_hidden < 0 || n_hidden + 1 > SANNIP_MAX_LAYERS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "%d hidden layers", n_hidden);
    for (f = 0; f < m->desc.n; f++) if (sannip_basis_applies(&m->desc.b[f], Z)) nf++;
    e = &m->el[m->n_elements];
    memset(e, 0, sizeof *e);
    e->Z = Z;
    if (sannip__element_alloc(m, e, nf) != SANNIP_SUCCESS) { sannip__element_free(m, e); return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "element %s", sannip_element_symbol(Z)); }
    nf = 0;
    for (f = 0; f < m->desc.n; f++) if (sannip_basis_applies(&m->desc.b[f], Z)) e->feature[nf++] = f;
    sizes[0] = nf;
    for (l = 0; l < n_hidden; l++) { sizes[l + 1] = hidden[l]; acts[l] = act[l]; }
    sizes[n_hidden + 1] = 1; acts[n_hidden] = SANNIP_ACT_LINEAR;
    if ((r = sannip_network_init(&e->net, n_hidden + 1, sizes, acts, &m->alloc, err)) != SANNIP_SUCCESS) { sannip__element_free(m, e); return r; }
    m->n_elements++;
    return sannip_model_finalize(m, err);
}
SANNIP_API const sannip_network *sannip_model_network(const sannip_model *m, int e)
{
    return m->el[e].shared ? &m->el[0].net : &m->el[e].net;
}
SANNIP_API sannip_network *sannip_model_network_rw(sannip_model *m, int e)
{
    return m->el[e].shared ? &m->el[0].net : &m->el[e].net;
}
SANNIP_API sannip_result sannip_model_make_multitask(sannip_model *m, int n_hidden, const int *hidden, const int *act,
                                                     sannip_error *err)
{
    int e, l, sizes[SANNIP_MAX_LAYERS + 1], acts[SANNIP_MAX_LAYERS];
    sannip_network net;
    sannip_result r;
    if (!m || m->n_elements < 1 || (n_hidden > 0 && (!hidden || !act))) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "model without elements or NULL argument");
    if (n_hidden < 0 || n_hidden + 1 > SANNIP_MAX_LAYERS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "%d hidden layers", n_hidden);
    for (e = 1; e < m->n_elements; e++)
        if (m->el[e].n_features != m->el[0].n_features || memcmp(m->el[e].feature, m->el[0].feature, sizeof(int) * (size_t)m->el[0].n_features) != 0)
            return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "multi-task networks need the same features for every element (%s differs from %s)",
                                sannip_element_symbol(m->el[e].Z), sannip_element_symbol(m->el[0].Z));
    sizes[0] = m->el[0].n_features;
    for (l = 0; l < n_hidden; l++) { sizes[l + 1] = hidden[l]; acts[l] = act[l]; }
    sizes[n_hidden + 1] = m->n_elements; acts[n_hidden] = SANNIP_ACT_LINEAR;
    if ((r = sannip_network_init(&net, n_hidden + 1, sizes, acts, &m->alloc, err)) != SANNIP_SUCCESS) return r;
    for (e = 0; e < m->n_elements; e++) { sannip_network_uninit(&m->el[e].net); m->el[e].shared = e > 0; m->el[e].output = e; }
    m->el[0].net = net;
    return sannip_model_finalize(m, err);
}
SANNIP_API sannip_result sannip_model_add_element_cnn(sannip_model *m, int Z, int raw_inputs, int n_hidden,
        const int *hidden, const int *act, sannip_error *err)
{
    sannip_result r;
    sannip_element_model *el;
    int sizes[SANNIP_MAX_LAYERS + 1], acts[SANNIP_MAX_LAYERS], nblk[SANNIP_MAX_LAYERS], pass[SANNIP_MAX_LAYERS];
    int blk[SANNIP_MAX_LAYERS][SANNIP_MAX_CLASSES], l, c, f, k = 0, nc = 0, nf;
    if (n_hidden < 1 || !hidden || !act) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "a class-convolution network needs hidden layers");
    if (n_hidden + 2 > SANNIP_MAX_LAYERS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "%d hidden layers", n_hidden);
    if ((r = sannip_model_add_element(m, Z, n_hidden, hidden, act, err)) != SANNIP_SUCCESS) return r;
    el = &m->el[m->n_elements - 1];
    nf = el->n_features;
    /* stable grouping of the features by class */
    {
        int *ord = (int *)sannip__calloc(&m->alloc, (size_t)nf + 1, sizeof(int));
        if (!ord) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "features");
        for (c = 0; c < 3; c++) {
            int cnt = 0;
            for (f = 0; f < nf; f++) if (sannip_basis_class(&m->desc.b[el->feature[f]]) == c) { ord[k++] = el->feature[f]; cnt++; }
            if (cnt) blk[0][nc++] = cnt;
        }
        memcpy(el->feature, ord, sizeof(int) * (size_t)nf);
        sannip_free(&m->alloc, ord);
    }
    /* layer 0: class convolution; then the hidden layers; linear output */
    memset(nblk, 0, sizeof nblk); memset(pass, 0, sizeof pass);
    sizes[0] = nf; nblk[0] = nc; pass[0] = raw_inputs != 0; acts[0] = act[0];
    sizes[1] = nf * (1 + pass[0]);
    for (l = 0; l < n_hidden; l++) { sizes[l + 2] = hidden[l]; acts[l + 1] = act[l]; }
    sizes[n_hidden + 2] = 1; acts[n_hidden + 1] = SANNIP_ACT_LINEAR;
    sannip_network_uninit(&el->net);
    if ((r = sannip_network_init_layers(&el->net, n_hidden + 2, sizes, acts, nblk, (const int (*)[SANNIP_MAX_CLASSES])blk, pass, &m->alloc, err)) != SANNIP_SUCCESS) {
        m->n_elements--; sannip__element_free(m, el); return r;
    }
    return sannip_model_finalize(m, err);
}
SANNIP_API sannip_result sannip_model_finalize(sannip_model *m, sannip_error *err)
{
    int e, f;
    if (!m) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "model is NULL");
    m->cutoff = 0;
    for (e = 0; e < m->n_elements; e++) {
        sannip_element_model *el = &m->el[e];
        const sannip_network *net = sannip_model_network(m, e);
        if (el->shared && e == 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "element 1 cannot share another network");
        if (net->sizes[0] != el->n_features)
            return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "element %s: network has %d inputs for %d features", sannip_element_symbol(el->Z), net->sizes[0], el->n_features);
        if (el->output < 0 || el->output >= net->sizes[net->n_layers] || (!el->shared && e > 0 && net->sizes[net->n_layers] != 1))
            return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "element %s: output %d of a network with %d outputs", sannip_element_symbol(el->Z), el->output + 1, net->sizes[net->n_layers]);
        for (f = 0; f < el->n_features; f++) {
            const sannip_basis *b;
            if (el->feature[f] < 0 || el->feature[f] >= m->desc.n) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "element %s: feature %d refers to basis %d of %d", sannip_element_symbol(el->Z), f + 1, el->feature[f] + 1, m->desc.n);
            b = &m->desc.b[el->feature[f]];
            if (!sannip_basis_applies(b, el->Z)) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "element %s: basis %d belongs to element %s", sannip_element_symbol(el->Z), el->feature[f] + 1, sannip_element_symbol(b->center));
            m->cutoff = SANNIP__MAX(m->cutoff, sannip_basis_cutoff(b));
            sannip_scaling_affine(el->scaling, &el->stats[f], el->smin, el->smax, &el->scale_a[f], &el->scale_c[f], &el->scale_d[f]);
        }
    }
    return SANNIP_SUCCESS;
}
SANNIP_API size_t sannip_model_n_params(const sannip_model *m)
{
    size_t n = 0;
    int e;
    for (e = 0; e < m->n_elements; e++) if (!m->el[e].shared) n += m->el[e].net.n_params;
    return n;
}
SANNIP_API void sannip_element_scale(const sannip_element_model *el, int rows, const sannip_real *G, size_t g_stride,
                                     const int *idx, sannip_real *X)
{
    int r, f, nf = el->n_features;
    for (r = 0; r < rows; r++) {
        const sannip_real *g = G + (size_t)(idx ? idx[r] : r) * g_stride;
        sannip_real *x = X + (size_t)r * nf;
        for (f = 0; f < nf; f++) x[f] = el->scale_a[f] * (g[f] - el->scale_c[f]) + el->scale_d[f];
    }
}
SANNIP_API sannip_real sannip_element_scale_feature(const sannip_element_model *el, int f, sannip_real g)
{
    return el->scale_a[f] * (g - el->scale_c[f]) + el->scale_d[f];
}
SANNIP_API void sannip_element_energies(const sannip_element_model *el, int rows, const sannip_real *Y, int n_out,
                                        const int *idx, sannip_real *E)
{
    int r;
    for (r = 0; r < rows; r++) E[idx ? idx[r] : r] = el->energy_scale * Y[(size_t)r * n_out + el->output] + el->energy_offset;
}
SANNIP_API double sannip_model_tpi(const sannip_model *m, int e)
{
    /* T3.25: trainable parameters of the network divided by its inputs */
    if (e < 0 || e >= m->n_elements || m->el[e].n_features == 0) return 0;
    return (double)sannip_model_network(m, e)->n_params / m->el[e].n_features;
}

/* Units: canonical name, aliases, size in Angstrom or eV (CODATA 2018; N_A e exact in the 2019 SI). */
typedef struct sannip__unit { int kind; const char *name, *alias[3]; double size; } sannip__unit;
#define SANNIP__NA_E 96485.33212331001   /* N_A e = 6.02214076e23 x 1.602176634e-19 C/mol */
static const sannip__unit sannip__units[] = {
    { SANNIP_UNIT_LENGTH, "Angstrom", { "A", "Ang", "angstrom" }, 1.0 },
    { SANNIP_UNIT_LENGTH, "bohr", { "Bohr", "a0", NULL }, 0.529177210903 },
    { SANNIP_UNIT_LENGTH, "nm", { NULL, NULL, NULL }, 10.0 },
    { SANNIP_UNIT_ENERGY, "eV", { NULL, NULL, NULL }, 1.0 },
    { SANNIP_UNIT_ENERGY, "meV", { NULL, NULL, NULL }, 1e-3 },
    { SANNIP_UNIT_ENERGY, "Ha", { "Hartree", NULL, NULL }, 27.211386245988 },
    { SANNIP_UNIT_ENERGY, "Ry", { "Rydberg", NULL, NULL }, 13.605693122994 },
    { SANNIP_UNIT_ENERGY, "kcal/mol", { "kcal_mol", NULL, NULL }, 4184.0 / SANNIP__NA_E },
    { SANNIP_UNIT_ENERGY, "kJ/mol", { "kJ_mol", NULL, NULL }, 1000.0 / SANNIP__NA_E }
};
SANNIP_API const char *sannip_unit_find(const char *name, int kind, double *size)
{
    size_t u;
    int a;
    for (u = 0; name && u < sizeof sannip__units / sizeof sannip__units[0]; u++) {
        const sannip__unit *U = &sannip__units[u];
        int hit = U->kind == kind && strcmp(name, U->name) == 0;
        for (a = 0; a < 3 && !hit; a++) hit = U->kind == kind && U->alias[a] && strcmp(name, U->alias[a]) == 0;
        if (hit) { if (size) *size = U->size; return U->name; }
    }
    return NULL;
}
SANNIP_API int sannip_model_units(const sannip_model *m, const char **length, const char **energy)
{
    const char *l = m ? sannip_unit_find(m->units_length, SANNIP_UNIT_LENGTH, NULL) : NULL;
    const char *e = m ? sannip_unit_find(m->units_energy, SANNIP_UNIT_ENERGY, NULL) : NULL;
    if (length) *length = l ? l : "unknown";
    if (energy) *energy = e ? e : "unknown";
    return l && e;
}
/* the canonical name of a known unit or "unknown"; NULL (with err) for anything else */
static const char *sannip__unit_label(const char *name, int kind, sannip_error *err)
{
    const char *c = strcmp(name, "unknown") == 0 ? "unknown" : sannip_unit_find(name, kind, NULL);
    if (!c) sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "unknown %s unit \"%s\" (%s)", kind == SANNIP_UNIT_LENGTH ? "length" : "energy",
                         name, kind == SANNIP_UNIT_LENGTH ? "Angstrom, bohr, nm" : "eV, meV, Ha, Ry, kcal/mol, kJ/mol");
    return c;
}
SANNIP_API sannip_result sannip_model_set_units(sannip_model *m, const char *length, const char *energy, sannip_error *err)
{
    const char *l = NULL, *e = NULL;
    if (!m) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL model");
    if (length && !(l = sannip__unit_label(length, SANNIP_UNIT_LENGTH, err))) return SANNIP_BAD_PARAMETER;
    if (energy && !(e = sannip__unit_label(energy, SANNIP_UNIT_ENERGY, err))) return SANNIP_BAD_PARAMETER;
    if (l) strcpy(m->units_length, l);
    if (e) strcpy(m->units_energy, e);
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
static void sannip__cutoff_scale(sannip_cutoff *c, sannip_real f) { c->rc *= f; c->rs *= f; c->eps_dn *= f; c->eps_up *= f; }
SANNIP_API sannip_result sannip_model_convert_units(sannip_model *m, const char *length, const char *energy, sannip_error *err)
{
    double from_l, from_e, to_l, to_e;
    sannip_real fl, fe;
    const char *l, *e;
    int f;
    if (!m) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL model");
    if (!sannip_model_units(m, &l, &e))
        return sannip__fail(err, SANNIP_UNSUPPORTED, 0, 0, "the model's units are unknown (length %s, energy %s): state them first", l, e);
    sannip_unit_find(l, SANNIP_UNIT_LENGTH, &from_l); sannip_unit_find(e, SANNIP_UNIT_ENERGY, &from_e);
    to_l = from_l; to_e = from_e;
    if (length && !(l = sannip_unit_find(length, SANNIP_UNIT_LENGTH, &to_l))) return sannip__unit_label(length, SANNIP_UNIT_LENGTH, err), SANNIP_BAD_PARAMETER;
    if (energy && !(e = sannip_unit_find(energy, SANNIP_UNIT_ENERGY, &to_e))) return sannip__unit_label(energy, SANNIP_UNIT_ENERGY, err), SANNIP_BAD_PARAMETER;
    fl = (sannip_real)(from_l / to_l); fe = (sannip_real)(from_e / to_e);
    for (f = 0; f < m->desc.n; f++) {
        sannip_basis *b = &m->desc.b[f];
        sannip__cutoff_scale(&b->cut[0], fl); sannip__cutoff_scale(&b->cut[1], fl);
        if (sannip__has(b, SANNIP_BASIS_SPIN)) continue;   /* spin widths and shifts are in spin units */
        b->rs *= fl; b->rs2 *= fl; b->eta /= fl * fl; b->eta2 /= fl * fl;
    }
    for (f = 0; f < m->n_elements; f++) { m->el[f].energy_scale *= fe; m->el[f].energy_offset *= fe; }
    strcpy(m->units_length, l); strcpy(m->units_energy, e);
    return sannip_model_finalize(m, err);
}

SANNIP_API void sannip_workspace_init(sannip_workspace *ws, const sannip_allocator *alloc)
{
    memset(ws, 0, sizeof *ws);
    ws->alloc = sannip__alloc_copy(alloc);
    sannip_neighbors_init(&ws->nl, alloc);
}
SANNIP_API void sannip_workspace_uninit(sannip_workspace *ws)
{
    sannip_neighbors_uninit(&ws->nl);
    sannip_free(&ws->alloc, ws->buf);
    ws->buf = NULL; ws->cap = 0;
}

#define SANNIP__BLOCK 8    /* atoms per network batch */
typedef char sannip__mom_slots_check[SANNIP__BLOCK == SANNIP__MOM_SLOTS ? 1 : -1];   /* a block's atoms keep their moments */
/* Reals per thread for kept triplet blocks (sannip__block_compute): 4 MB; a group of atoms
   fills at most half of it (a core's L2 on the machine measured: Cu2S 2 atoms of 15 blocks
   of 64 kB), one atom alone all of it (water: ~3 MB). */
#define SANNIP__KEEP ((size_t)4096 * 1024 / sizeof(sannip_real))

/* Per-thread scratch of the compute loop (gw, Gt, cs: one atom's weights dE/dG a, values
   and spin contractions in the contracted force pass). */
typedef struct sannip__scratch {
    sannip_real *env_work, *G, *X, *Y, *dX, *net_work, *Sn, *gw, *Gt, *cs;
    sannip_real *keep;     /* SANNIP__KEEP reals for kept triplet blocks (passes with derivatives) */
    int *Zn;
    sannip__envrun plan;   /* the descriptor plan in env_work as sannip__env_begin left it, for element plan_el (-1: none) */
    int plan_el;
} sannip__scratch;

/* One thread's scratch of a compute call (measured and carved by the same code);
   with_dg: 1 position derivatives, 2 position and spin derivatives (both contracted). */
static void sannip__scratch_layout(sannip__arena *a, sannip__scratch *s, size_t env_w, int fmax, size_t net_work,
                                   int nmax, int with_dg)
{
    size_t blk = (size_t)SANNIP__BLOCK * (fmax + 1 + SANNIP_MAX_ELEMENTS);   /* multi-task outputs fit too */
    s->gw = SANNIP__TAKE(a, (size_t)fmax, sannip_real); s->Gt = SANNIP__TAKE(a, (size_t)fmax, sannip_real);
    s->cs = with_dg > 1 ? SANNIP__TAKE(a, 3 * (size_t)nmax + 3, sannip_real) : NULL;
    s->keep = with_dg ? SANNIP__TAKE(a, SANNIP__KEEP, sannip_real) : NULL;
    s->env_work = SANNIP__TAKE(a, env_w, sannip_real);
    s->G = SANNIP__TAKE(a, blk, sannip_real); s->X = SANNIP__TAKE(a, blk, sannip_real);
    s->Y = SANNIP__TAKE(a, blk, sannip_real); s->dX = SANNIP__TAKE(a, blk, sannip_real);
    s->net_work = SANNIP__TAKE(a, net_work, sannip_real);
    s->Sn = SANNIP__TAKE(a, 3 * (size_t)nmax + 3, sannip_real);
    s->Zn = SANNIP__TAKE(a, (size_t)nmax + 1, int);
}
static size_t sannip__scratch_reals(size_t env_w, int fmax, size_t net_work, int nmax, int with_dg)
{
    sannip__arena a = sannip__arena_begin(NULL, 0);
    sannip__scratch s;
    sannip__scratch_layout(&a, &s, env_w, fmax, net_work, nmax, with_dg);
    return sannip__arena_reals(&a);
}
static void sannip__scratch_carve(sannip__scratch *s, sannip_real *p, size_t reals, size_t env_w, int fmax, size_t net_work,
                                  int nmax, int with_dg)
{
    sannip__arena a = sannip__arena_begin(p, reals * sizeof(sannip_real));
    sannip__scratch_layout(&a, s, env_w, fmax, net_work, nmax, with_dg);
    s->plan_el = -1;
}

/* The environment of atom i from the neighbour list (Zn filled into scratch). */
/* The environment of atom i from the neighbour list (Zn, and Sn when the system has spins,
   filled into scratch: Sn needs 3 x neighbours reals). */
static sannip_env sannip__env_of(const sannip_neighbors *nl, const sannip_system *sys, int i, int *Zn, sannip_real *Sn)
{
    sannip_env env;
    size_t s = nl->start[i], p;
    env.n = (int)(nl->start[i + 1] - s);
    env.Zc = sys->Z[i];
    for (p = 0; p < (size_t)env.n; p++) Zn[p] = sys->Z[nl->j[s + p]];
    env.Zn = Zn; env.d = nl->d + 3 * s; env.r = nl->r + s;
    env.Sc = env.Sn = NULL;
    if (sys->spins) {
        for (p = 0; p < (size_t)env.n; p++) memcpy(Sn + 3 * p, sys->spins + 3 * (size_t)nl->j[s + p], 3 * sizeof(sannip_real));
        env.Sc = sys->spins + 3 * (size_t)i; env.Sn = Sn;
    }
    return env;
}
SANNIP_API int sannip_descriptors_need_spins(const sannip_descriptors *d)
{
    int f;
    for (f = 0; d && f < d->n; f++) if (sannip__has(&d->b[f], SANNIP_BASIS_SPIN)) return 1;
    return 0;
}
static sannip_result sannip__spin_ready(const sannip_descriptors *d, const sannip_system *sys, sannip_error *err)
{
    if (!sannip_descriptors_need_spins(d)) return SANNIP_SUCCESS;
    if (!sys->spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "the model is spin-aware: the system needs spins");
    return SANNIP_SUCCESS;
}

/* ---- extrapolation warnings: the test of one atom, and of many ---- */
/* Excess of g over [lo, hi] in units of the range w (floored: see EXTRAPOLATION WARNINGS). */
static sannip_real sannip__range_excess(sannip_real g, sannip_real lo, sannip_real hi)
{
    sannip_real w = hi - lo, floor_rel = (sannip_real)(1e-6 * (fabs((double)lo) + fabs((double)hi)));
    sannip_real out = g < lo ? lo - g : g > hi ? g - hi : 0;
    if (w < floor_rel) w = floor_rel;
    if (w < (sannip_real)1e-30) w = (sannip_real)1e-30;   /* a range of exactly 0 */
    return out / w;
}
/* One atom's test: cnt values outside by more than tol, the worst f (feature index, or
   SANNIP_FEATURE_MOMENT), its excess ex and value v. */
typedef struct sannip__atom_x { int cnt, f; sannip_real ex, v; } sannip__atom_x;
static sannip__atom_x sannip__atom_range(const sannip_element_model *el, const sannip_real *g, const sannip_real *spin, sannip_real tol)
{
    sannip__atom_x a;
    int f, nf = el->n_features + (spin && el->has_moment_range);
    memset(&a, 0, sizeof a);
    for (f = 0; f < nf; f++) {
        int mom = f == el->n_features;
        sannip_real v = mom ? sannip__norm3(spin) : g[f];
        sannip_real ex = mom ? sannip__range_excess(v, el->moment_min, el->moment_max) : sannip__range_excess(v, el->stats[f].min, el->stats[f].max);
        if (!(ex > tol)) continue;
        if (a.cnt++ == 0 || ex > a.ex) { a.f = mom ? SANNIP_FEATURE_MOMENT : f; a.ex = ex; a.v = v; }
    }
    return a;
}
/* Adds atom i (element index e) to x; call in atom order, so ties go to the first atom. */
static void sannip__range_add(const sannip_model *m, sannip_extrapolation *x, int i, int e, const sannip__atom_x *a)
{
    const sannip_element_model *el = &m->el[e];
    if (a->cnt == 0) return;
    x->n_atoms++; x->n_values += a->cnt;
    if (x->atom >= 0 && !(a->ex > x->excess)) return;
    x->atom = i; x->Z = el->Z; x->feature = a->f; x->value = a->v; x->excess = a->ex;
    x->basis = a->f >= 0 ? el->feature[a->f] : -1;
    x->min = a->f >= 0 ? el->stats[a->f].min : el->moment_min;
    x->max = a->f >= 0 ? el->stats[a->f].max : el->moment_max;
}
static void sannip__range_clear(sannip_extrapolation *x)
{
    memset(x, 0, sizeof *x);
    x->atom = -1; x->basis = -1;
}

/* Shared set-up of compute/features: checks the atoms, builds neighbours, sizes buffers.
   Returns the block list in *blocks (pairs element, first-index-in-order) via order[]. */
typedef struct sannip__run {
    int n, nthreads, fmax, nmax, nblocks;
    size_t net_work, per_thread, env_w;
    int *order;       /* atoms sorted by element (stable) */
    int *bstart;      /* nblocks + 1 offsets into order; block b has one element */
    int *belem;
    sannip_real *pairc;  /* 3 x n_pairs force contractions */
    sannip_real *spinc;  /* 3 x (n_pairs + n) spin contractions: pairs, then self terms */
    sannip_real *eat;    /* n atom energies */
    sannip_real *thread; /* nthreads x per_thread */
    const int *mask;     /* contributing atoms (NULL: all): only they are centres */
    sannip__atom_x *ax;  /* per-atom extrapolation tests (NULL: none asked for) */
    sannip_real xtol;
} sannip__run;

/* need_pairs: 1 force contractions, 2 force and spin contractions */
static sannip_result sannip__run_setup(const sannip_model *m, sannip_workspace *ws, const sannip_system *sys,
                                       const int *mask, sannip__run *run, int need_pairs, sannip_error *err)
{
    sannip_result r;
    int i, e;
    size_t total, need, ints;
    void *p;
    memset(run, 0, sizeof *run);
    if (!m || !ws || !sys) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if (m->n_elements == 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "model has no elements");
    if ((r = sannip_system_check(sys, err)) != SANNIP_SUCCESS) return r;
    if ((r = sannip__spin_ready(&m->desc, sys, err)) != SANNIP_SUCCESS) return r;
    for (i = 0; i < sys->n; i++)
        if (sannip_model_element_index(m, sys->Z[i]) < 0)
            return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "atom %d: element %s is not in the model", i + 1, sannip_element_symbol(sys->Z[i]));
    if ((r = sannip__neighbors_build(&ws->nl, sys, m->cutoff > 0 ? m->cutoff : 1, mask, err)) != SANNIP_SUCCESS) return r;
    run->n = sys->n;
    run->nthreads = 1;
#ifdef SANNIP__OMP
    run->nthreads = omp_get_max_threads();
    if (run->nthreads < 1) run->nthreads = 1;
#endif
    for (e = 0; e < m->n_elements; e++) {
        size_t w = sannip_network_work_size(sannip_model_network(m, e), SANNIP__BLOCK);
        if (m->el[e].n_features > run->fmax) run->fmax = m->el[e].n_features;
        if (w > run->net_work) run->net_work = w;
    }
    for (i = 0; i < sys->n; i++) {
        int c = (int)(ws->nl.start[i + 1] - ws->nl.start[i]);
        if (c > run->nmax) run->nmax = c;
    }
    for (e = 0; e < m->n_elements; e++) {
        size_t w = sannip_env_work_size(&m->desc, m->el[e].feature, m->el[e].n_features, run->nmax);
        if (w > run->env_w) run->env_w = w;
    }
    run->per_thread = sannip__scratch_reals(run->env_w, run->fmax, run->net_work, run->nmax, need_pairs);
    /* ints: order n, bstart, belem (<= n/BLOCK + n_elements + 1 each) */
    ints = (size_t)sys->n + 2 * ((size_t)sys->n / SANNIP__BLOCK + SANNIP_MAX_ELEMENTS + 2);
    total = (ints * sizeof(int) + sizeof(sannip_real)) / sizeof(sannip_real) + 1;
    total += (need_pairs ? 3 * ws->nl.n_pairs : 0) + (need_pairs > 1 ? 3 * (ws->nl.n_pairs + (size_t)sys->n) : 0) + (size_t)sys->n;
    if (!sannip__mul(run->per_thread, (size_t)run->nthreads, &need) || need > SIZE_MAX - total)
        return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "workspace size overflows");
    need += total;
    p = ws->buf;
    if ((r = sannip__grow(&ws->alloc, &p, &ws->cap, need, sizeof(sannip_real))) != SANNIP_SUCCESS)
        return sannip__fail(err, r, 0, 0, "workspace of %zu reals", need);
    ws->buf = (sannip_real *)p;
    run->thread = ws->buf;
    run->eat = run->thread + run->per_thread * run->nthreads;
    run->pairc = run->eat + sys->n;
    run->spinc = need_pairs > 1 ? run->pairc + 3 * ws->nl.n_pairs : NULL;
    run->order = (int *)(void *)(run->pairc + (need_pairs ? 3 * ws->nl.n_pairs : 0) + (need_pairs > 1 ? 3 * (ws->nl.n_pairs + (size_t)sys->n) : 0));
    run->bstart = run->order + sys->n;
    run->belem = run->bstart + (sys->n / SANNIP__BLOCK + SANNIP_MAX_ELEMENTS + 2);
    run->mask = mask;
    memset(run->eat, 0, sizeof(sannip_real) * (size_t)sys->n);   /* atoms that are no centre */
    /* stable sort of the centres by element, then blocks of at most SANNIP__BLOCK atoms */
    {
        int pos = 0;
        for (e = 0; e < m->n_elements; e++) {
            int first = pos;
            for (i = 0; i < sys->n; i++) if (sys->Z[i] == m->el[e].Z && (!mask || mask[i])) run->order[pos++] = i;
            for (i = first; i < pos; i += SANNIP__BLOCK) { run->bstart[run->nblocks] = i; run->belem[run->nblocks] = e; run->nblocks++; }
        }
        run->bstart[run->nblocks] = pos;
    }
    return SANNIP_SUCCESS;
}

/* Raw descriptors of the atoms of block b into s->G (rows of ld); E gets the block's
   descriptor plan (in s->env_work). */
static void sannip__block_features(const sannip_model *m, const sannip_workspace *ws, const sannip_system *sys,
                                   const sannip__run *run, int b, sannip__scratch *s, int ld, sannip__envrun *E)
{
    const sannip_element_model *el = &m->el[run->belem[b]];
    int a;
    sannip__env_begin(E, &m->desc, el->feature, el->n_features, run->nmax, s->env_work);
    for (a = run->bstart[b]; a < run->bstart[b + 1]; a++) {
        int i = run->order[a], k = a - run->bstart[b];
        sannip_env env = sannip__env_of(&ws->nl, sys, i, s->Zn, s->Sn);
        sannip__env_run(E, &env, s->G + (size_t)k * ld, NULL, NULL, NULL, NULL, NULL, 1);
    }
}
/* The network part of nb atoms of block b from its a0-th (raw features in s->G from row a0):
   range check, scaling, forward, atomic energies, and with forces dE_i/dG = energy_scale
   dNN/dX a (the scaler's Jacobian, T2.45-2.47) in s->dX. Each row's sums do not depend on nb
   (the kernels), as long as nb is a run-time value: a literal 1 lets GCC clone the kernels
   and share the products of their tile rows, which are then one row (a mul and an add for an
   FMA). */
static void sannip__block_network(const sannip_model *m, const sannip_system *sys, const sannip__run *run, int b, int a0, int nb,
                                  sannip__scratch *s)
{
    const sannip_element_model *el = &m->el[run->belem[b]];
    const sannip_network *net = sannip_model_network(m, run->belem[b]);
    const int *order = run->order + run->bstart[b] + a0;
    int nf = el->n_features, a, no = net->sizes[net->n_layers];
    const sannip_real *G = s->G + (size_t)a0 * nf;
    for (a = 0; run->ax && a < nb; a++)
        run->ax[order[a]] = sannip__atom_range(el, G + (size_t)a * nf, sys->spins ? sys->spins + 3 * (size_t)order[a] : NULL, run->xtol);
    sannip_element_scale(el, nb, G, (size_t)nf, NULL, s->X);
    sannip_network_forward(net, nb, s->X, s->Y, s->net_work);
    sannip_element_energies(el, nb, s->Y, no, order, run->eat);
    if (!run->pairc) return;
    for (a = 0; a < nb * no; a++) s->Y[a] = (a % no == el->output) ? el->energy_scale : 0;
    sannip_network_backward_input(net, nb, s->Y, s->dX, s->net_work);
}
/* The contraction pass of atom i (row a of s->dX): c_ij = sum_f g_f dG_f/dd_ij into run->pairc
   (and the spin contractions into run->spinc); E->replay: from its kept triplet blocks. */
static void sannip__atom_contract(const sannip_model *m, const sannip_workspace *ws, const sannip_system *sys,
                                  const sannip__run *run, int b, int i, int a, sannip__scratch *s, sannip__envrun *E)
{
    const sannip_element_model *el = &m->el[run->belem[b]];
    size_t n3 = 3 * (ws->nl.start[i + 1] - ws->nl.start[i]);
    const sannip_real *g = s->dX + (size_t)a * el->n_features;
    sannip_env env = sannip__env_of(&ws->nl, sys, i, s->Zn, s->Sn);
    int f;
    for (f = 0; f < el->n_features; f++) s->gw[f] = g[f] * el->scale_a[f];
    sannip__env_run(E, &env, s->Gt, NULL, s->gw, run->pairc + 3 * ws->nl.start[i], NULL, s->cs, 0);
    if (run->spinc) {   /* spin contractions: the neighbour slots, then the self slot (n3..n3+2) */
        memcpy(run->spinc + 3 * ws->nl.start[i], s->cs, sizeof(sannip_real) * n3);
        memcpy(run->spinc + 3 * (ws->nl.n_pairs + (size_t)i), s->cs + n3, 3 * sizeof(sannip_real));
    }
}
/* The network of block b's atoms a0..a1-1 (values in s->G), then their contraction passes;
   those with kept[a] from their kept triplet blocks kb[start[a]..start[a + 1]). */
static void sannip__block_group(const sannip_model *m, const sannip_workspace *ws, const sannip_system *sys,
                                const sannip__run *run, int b, int a0, int a1, const int *kept, const int *start,
                                sannip__scratch *s, sannip__envrun *E)
{
    int a;
    sannip__block_network(m, sys, run, b, a0, a1 - a0, s);
    for (a = a0; run->pairc && a < a1; a++) {
        E->replay = kept[a]; E->kb0 = start[a]; E->kb1 = kept[a] ? start[a + 1] : 0;
        E->mslot = a; E->mload = 1;   /* the moments its values pass kept */
        sannip__atom_contract(m, ws, sys, run, b, run->order[run->bstart[b] + a], a - a0, s, E);
    }
    E->replay = 0; E->nkb = 0; E->kfull = 0; E->mslot = -1; E->mload = 0;
}
/* Energies of block b and, if run->pairc, the force contractions of its atoms' pairs
   c_ij = sum_f g_f dG_f/dd_ij (and, if run->spinc, the spin contractions): descriptor
   values, the network, then per atom a second descriptor pass that contracts each term's
   derivatives with g as it goes (no dense dG). With forces, the atoms go in groups whose
   triplet blocks fit in half of s->keep (a core's L2; Cu2S: 2 atoms of 15 blocks; an atom
   alone may fill all of it, as water's do): the values pass
   keeps the blocks and the contraction passes read them back (sannip__tri_replay), so
   geometry, cutoffs, Gaussians and angular factors are made once. The numbers do not depend
   on the grouping (the network's rows are independent; the same terms in the same order). */
static void sannip__block_compute(const sannip_model *m, const sannip_workspace *ws, const sannip_system *sys,
                                  const sannip__run *run, int b, sannip__scratch *s)
{
    const sannip_element_model *el = &m->el[run->belem[b]];
    int nb = run->bstart[b + 1] - run->bstart[b], a, a0 = 0, kept[SANNIP__BLOCK], start[SANNIP__BLOCK + 1];
    sannip__envrun E;
    if (s->plan_el == run->belem[b]) E = s->plan;   /* the plan of the thread's previous block: made once per element */
    else {
        sannip__env_begin(&E, &m->desc, el->feature, el->n_features, run->nmax, s->env_work);
        s->plan = E; s->plan_el = run->belem[b];
    }
    if (run->pairc) sannip__env_keep_begin(&E, s->keep, SANNIP__KEEP);
    for (a = 0; a < nb; a++) {
        sannip_env env = sannip__env_of(&ws->nl, sys, run->order[run->bstart[b] + a], s->Zn, s->Sn);
        int need = E.capkb > 0 ? sannip__env_keep_need(&E, &env) : INT_MAX;
        if (E.nkb > 0 && need > E.capkb / 2 - E.nkb) {   /* the group's passes reuse s->Zn, s->Sn: env again after them */
            sannip__block_group(m, ws, sys, run, b, a0, a, kept, start, s, &E);
            a0 = a;
            env = sannip__env_of(&ws->nl, sys, run->order[run->bstart[b] + a], s->Zn, s->Sn);
        }
        start[a] = E.nkb;
        E.keep = need <= E.capkb - E.nkb;
        E.mslot = run->pairc ? a : -1;
        sannip__env_run(&E, &env, s->G + (size_t)a * el->n_features, NULL, NULL, NULL, NULL, NULL, 1);
        kept[a] = E.keep && !E.kfull;
        E.keep = 0; E.mslot = -1;
        start[a + 1] = E.nkb;
    }
    sannip__block_group(m, ws, sys, run, b, a0, nb, kept, start, s, &E);
}

/* The fixed-order reductions of a compute call (results do not depend on threads): energy
   and atomic energies, the effective field, forces, the virial and its per-atom halves,
   summed over the pairs of the centres (the atoms of run->mask). */
static void sannip__model_reduce(const sannip__run *run, const sannip_neighbors *nl, sannip_real *energy,
        sannip_real *atom_energy, sannip_real *forces, sannip_real *virial, sannip_real *atom_virial, sannip_real *field)
{
    int i, a, bb;
    size_t p;
    if (field) {
        /* H_j = -sum_i dE_i/dS_j: self terms, then each pair's neighbour term (fixed order) */
        for (i = 0; i < 3 * run->n; i++) field[i] = (!run->mask || run->mask[i / 3]) ? -run->spinc[3 * nl->n_pairs + (size_t)i] : 0;
        for (i = 0; i < run->n; i++) if (!run->mask || run->mask[i])
            for (p = nl->start[i]; p < nl->start[i + 1]; p++)
                for (a = 0; a < 3; a++) field[3 * nl->j[p] + a] -= run->spinc[3 * p + a];
    }
    if (energy) { sannip_real E = 0; for (i = 0; i < run->n; i++) E += run->eat[i]; *energy = E; }
    if (atom_energy) memcpy(atom_energy, run->eat, sizeof(sannip_real) * (size_t)run->n);
    if (forces) memset(forces, 0, sizeof(sannip_real) * 3 * (size_t)run->n);
    if (virial) memset(virial, 0, sizeof(sannip_real) * 9);
    if (atom_virial) memset(atom_virial, 0, sizeof(sannip_real) * 9 * (size_t)run->n);
    if (run->pairc) for (i = 0; i < run->n; i++) {
        if (run->mask && !run->mask[i]) continue;
        for (p = nl->start[i]; p < nl->start[i + 1]; p++) {
            const sannip_real *c = run->pairc + 3 * p, *d = nl->d + 3 * p;
            int j = nl->j[p];
            /* c = dE_i/dd_ij: atom j feels -c, atom i feels +c */
            if (forces) for (a = 0; a < 3; a++) { forces[3 * j + a] -= c[a]; forces[3 * i + a] += c[a]; }
            if (virial) for (a = 0; a < 3; a++) for (bb = 0; bb < 3; bb++) virial[3 * a + bb] -= d[a] * c[bb];
            if (atom_virial) for (a = 0; a < 3; a++) for (bb = 0; bb < 3; bb++) {
                sannip_real h = (sannip_real)0.5 * d[a] * c[bb];
                atom_virial[9 * (size_t)i + 3 * a + bb] -= h; atom_virial[9 * (size_t)j + 3 * a + bb] -= h;
            }
        }
    }
}

/* The opt-in extrapolation test of a compute call (ws->extrapolation): per-atom results
   (zero for atoms that are no centre) in a buffer of ws->alloc, collected in atom order. */
static sannip_result sannip__range_setup(sannip_workspace *ws, sannip__run *run, sannip_error *err)
{
    sannip_real t = ws->extrapolation_tol;
    sannip__range_clear(ws->extrapolation);
    run->xtol = t == 0 ? (sannip_real)SANNIP_EXTRAPOLATION_TOL : t == (sannip_real)SANNIP_OFF ? 0 : t;
    if (!(run->xtol >= 0) || !isfinite(run->xtol))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "workspace extrapolation tolerance %g (0: default, SANNIP_OFF: none, else a finite number > 0)", (double)t);
    run->ax = (sannip__atom_x *)sannip__calloc(&ws->alloc, (size_t)run->n + 1, sizeof(sannip__atom_x));
    if (!run->ax) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "extrapolation test of %d atoms", run->n);
    return SANNIP_SUCCESS;
}
static void sannip__range_collect(const sannip_model *m, sannip_workspace *ws, const sannip_system *sys, sannip__run *run)
{
    int i;
    for (i = 0; i < run->n; i++) sannip__range_add(m, ws->extrapolation, i, sannip_model_element_index(m, sys->Z[i]), &run->ax[i]);
    sannip_free(&ws->alloc, run->ax);
    run->ax = NULL;
}

/* sannip_model_compute, the effective field -dE/dS (n x 3) when field != NULL (the
   spin-aware entry point of sannip_spin.h), and the domain form (mask, atom_virial). */
static sannip_result sannip__model_compute(const sannip_model *m, sannip_workspace *ws,
        const sannip_system *sys, const int *mask, sannip_real *energy, sannip_real *atom_energy,
        sannip_real *forces, sannip_real *virial, sannip_real *atom_virial, sannip_real *field, sannip_error *err)
{
    sannip__run run;
    sannip_result r;
    int b;
    int need_pairs = field ? 2 : forces != NULL || virial != NULL || atom_virial != NULL;
    if ((r = sannip__run_setup(m, ws, sys, mask, &run, need_pairs, err)) != SANNIP_SUCCESS) return r;
    if (!need_pairs) run.pairc = NULL;
    if (ws->extrapolation && (r = sannip__range_setup(ws, &run, err)) != SANNIP_SUCCESS) return r;
#ifdef SANNIP__OMP
#pragma omp parallel if (run.nblocks > 1 && run.nthreads > 1)
#endif
    {
        sannip__scratch s;
        int t = 0;
#ifdef SANNIP__OMP
        t = omp_get_thread_num();
#endif
        sannip__scratch_carve(&s, run.thread + run.per_thread * (size_t)t, run.per_thread, run.env_w, run.fmax, run.net_work, run.nmax, need_pairs);
#ifdef SANNIP__OMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (b = 0; b < run.nblocks; b++) sannip__block_compute(m, ws, sys, &run, b, &s);
    }
    sannip__model_reduce(&run, &ws->nl, energy, atom_energy, forces, virial, atom_virial, field);
    if (run.ax) sannip__range_collect(m, ws, sys, &run);
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_model_compute(const sannip_model *m, sannip_workspace *ws,
        const sannip_system *sys, sannip_real *energy, sannip_real *atom_energy,
        sannip_real *forces, sannip_real *virial, sannip_error *err)
{
    return sannip__model_compute(m, ws, sys, NULL, energy, atom_energy, forces, virial, NULL, NULL, err);
}
SANNIP_API sannip_result sannip_model_compute_field(const sannip_model *m, sannip_workspace *ws,
        const sannip_system *sys, sannip_real *energy, sannip_real *atom_energy, sannip_real *forces,
        sannip_real *virial, sannip_real *field, sannip_error *err)
{
    if (field && sys && !sys->spins) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "the effective field needs spins");
    return sannip__model_compute(m, ws, sys, NULL, energy, atom_energy, forces, virial, NULL, field, err);
}
SANNIP_API sannip_result sannip_model_compute_domain(const sannip_model *m, sannip_workspace *ws,
        const sannip_system *sys, const int *contributing, sannip_real *energy, sannip_real *atom_energy,
        sannip_real *forces, sannip_real *virial, sannip_real *atom_virial, sannip_error *err)
{
    return sannip__model_compute(m, ws, sys, contributing, energy, atom_energy, forces, virial, atom_virial, NULL, err);
}

SANNIP_API sannip_result sannip_model_features(const sannip_model *m, sannip_workspace *ws,
        const sannip_system *sys, sannip_real *G, int stride, sannip_error *err)
{
    sannip__run run;
    sannip_result r;
    int b;
    if ((r = sannip__run_setup(m, ws, sys, NULL, &run, 0, err)) != SANNIP_SUCCESS) return r;
    if (!G || stride < run.fmax) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "feature stride %d < %d", stride, run.fmax);
    memset(G, 0, sizeof(sannip_real) * (size_t)stride * run.n);
#ifdef SANNIP__OMP
#pragma omp parallel if (run.nblocks > 1 && run.nthreads > 1)
#endif
    {
        sannip__scratch s;
        int t = 0, a, bb;
        sannip__envrun E;
#ifdef SANNIP__OMP
        t = omp_get_thread_num();
#endif
        sannip__scratch_carve(&s, run.thread + run.per_thread * (size_t)t, run.per_thread, run.env_w, run.fmax, run.net_work, run.nmax, 0);
#ifdef SANNIP__OMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (bb = 0; bb < run.nblocks; bb++) {
            int nf = m->el[run.belem[bb]].n_features;
            sannip__block_features(m, ws, sys, &run, bb, &s, nf, &E);
            for (a = run.bstart[bb]; a < run.bstart[bb + 1]; a++)
                memcpy(G + (size_t)run.order[a] * stride, s.G + (size_t)(a - run.bstart[bb]) * nf, sizeof(sannip_real) * (size_t)nf);
        }
    }
    (void)b;
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_descriptors_compute(const sannip_descriptors *set, sannip_workspace *ws,
        const sannip_system *sys, sannip_real *G, sannip_error *err)
{
    sannip_result r;
    int i, f, nmax = 0, *idx = NULL, *Zn;
    sannip_real rc = 0, *work, *Sn;
    size_t wsz;
    void *p;
    if (!set || !ws || !sys || !G) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    for (f = 0; f < set->n; f++) rc = SANNIP__MAX(rc, sannip_basis_cutoff(&set->b[f]));
    if ((r = sannip__spin_ready(set, sys, err)) != SANNIP_SUCCESS) return r;
    if ((r = sannip_neighbors_build(&ws->nl, sys, rc > 0 ? rc : 1, err)) != SANNIP_SUCCESS) return r;
    for (i = 0; i < sys->n; i++) nmax = SANNIP__MAX(nmax, (int)(ws->nl.start[i + 1] - ws->nl.start[i]));
    /* idx holds 0..n-1 first: the plan of the whole set bounds that of any subset */
    {
        size_t ew;
        int *all = (int *)sannip__calloc(&ws->alloc, (size_t)set->n + 1, sizeof(int));
        if (!all) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "descriptor workspace");
        for (f = 0; f < set->n; f++) all[f] = f;
        ew = sannip_env_work_size(set, all, set->n, nmax);
        sannip_free(&ws->alloc, all);
        wsz = ew + 2 * (size_t)set->n + 4 * (size_t)nmax + 8;
        p = ws->buf;
        if ((r = sannip__grow(&ws->alloc, &p, &ws->cap, wsz, sizeof(sannip_real))) != SANNIP_SUCCESS) return sannip__fail(err, r, 0, 0, "descriptor workspace");
        ws->buf = (sannip_real *)p;
        work = ws->buf; Sn = work + ew; idx = (int *)(void *)(Sn + 3 * (size_t)nmax + 3); Zn = idx + set->n + 2;
    }
    for (i = 0; i < sys->n; i++) {
        int nf = 0;
        sannip_env env;
        sannip_real *row = G + (size_t)i * set->n;
        for (f = 0; f < set->n; f++) if (sannip_basis_applies(&set->b[f], sys->Z[i])) idx[nf++] = f;
        env = sannip__env_of(&ws->nl, sys, i, Zn, Sn);
        memset(row, 0, sizeof(sannip_real) * (size_t)set->n);
        /* evaluate into the front of the row, then spread to the basis columns (backwards) */
        sannip__env_eval(set, idx, nf, &env, row, NULL, NULL, NULL, NULL, NULL, work);
        for (f = nf - 1; f >= 0; f--) { sannip_real v = row[f]; row[f] = 0; row[idx[f]] = v; }
    }
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

/* ---- extrapolation warnings ---- */
SANNIP_API sannip_result sannip_model_check_range(const sannip_model *m, int n, const int *Z, const sannip_real *G,
        int stride, const sannip_real *spins, sannip_real tol, sannip_extrapolation *x, sannip_error *err)
{
    int i;
    if (!m || !x || (n > 0 && (!Z || !G)) || n < 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument or negative atom count");
    sannip__range_clear(x);
    if (!(tol >= 0) || !isfinite(tol)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "extrapolation tolerance %g (a finite number >= 0)", (double)tol);
    for (i = 0; i < n; i++) {
        int e = sannip_model_element_index(m, Z[i]);
        sannip__atom_x a;
        if (e < 0) return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "atom %d: element %s is not in the model", i + 1, sannip_element_symbol(Z[i]));
        if (stride < m->el[e].n_features) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "feature stride %d < %d", stride, m->el[e].n_features);
        a = sannip__atom_range(&m->el[e], G + (size_t)i * stride, spins ? spins + 3 * (size_t)i : NULL, tol);
        sannip__range_add(m, x, i, e, &a);
    }
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_model_moment_range_add(sannip_model *m, int n, const int *Z, const sannip_real *spins,
                                                       sannip_error *err)
{
    int i;
    if (!m || n < 0 || (n > 0 && (!Z || !spins))) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument or negative atom count");
    for (i = 0; i < n; i++) {
        int e = sannip_model_element_index(m, Z[i]);
        sannip_element_model *el;
        sannip_real mag = sannip__norm3(spins + 3 * (size_t)i);
        if (e < 0) return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "atom %d: element %s is not in the model", i + 1, sannip_element_symbol(Z[i]));
        if (!isfinite(mag)) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "spin of atom %d is not finite", i + 1);
        el = &m->el[e];
        if (!el->has_moment_range || mag < el->moment_min) el->moment_min = mag;
        if (!el->has_moment_range || mag > el->moment_max) el->moment_max = mag;
        el->has_moment_range = 1;
    }
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_model_extrapolation(const sannip_model *m, sannip_workspace *ws,
        const sannip_system *sys, sannip_real tol, sannip_extrapolation *x, sannip_error *err)
{
    sannip_result r;
    sannip_real *G;
    int e, fm = 1;
    if (!m || !ws || !sys || !x) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if (!(tol >= 0) || !isfinite(tol)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "extrapolation tolerance %g (a finite number >= 0)", (double)tol);
    for (e = 0; e < m->n_elements; e++) fm = SANNIP__MAX(fm, m->el[e].n_features);
    if (sys->n < 0 || sys->n > SANNIP_MAX_ATOMS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "%d atoms (at most %d)", sys->n, SANNIP_MAX_ATOMS);
    G = (sannip_real *)sannip__calloc(&m->alloc, (size_t)sys->n * fm + 1, sizeof(sannip_real));
    if (!G) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "features of %d atoms", sys->n);
    r = sannip_model_features(m, ws, sys, G, fm, err);
    if (r == SANNIP_SUCCESS) r = sannip_model_check_range(m, sys->n, sys->Z, G, fm, sys->spins, tol, x, err);
    sannip_free(&m->alloc, G);
    return r;
}

/* ---- 11. FILES ------------------------------------------------------------------------ */
/* A line cursor over a text buffer with line numbers for error messages. */
typedef struct sannip__cursor {
    const char *text;
    size_t len, pos;
    int line;
    int partial;      /* the last line read ended at the end of the text without a newline */
    char buf[4096];
} sannip__cursor;

/* Next line into c->buf (without the newline). 0 at the end, -1 if the line is too long. */
static int sannip__next_line(sannip__cursor *c)
{
    size_t s = c->pos, e = s, n;
    if (c->pos >= c->len) return 0;
    while (e < c->len && c->text[e] != '\n') e++;
    c->partial = e >= c->len;
    c->pos = e < c->len ? e + 1 : e;
    c->line++;
    n = e - s;
    if (n > 0 && c->text[s + n - 1] == '\r') n--;
    if (n >= sizeof c->buf) return -1;
    memcpy(c->buf, c->text + s, n);
    c->buf[n] = 0;
    if (memchr(c->buf, 0, n)) return -1;   /* binary data */
    return 1;
}
/* Next non-empty, non-comment line split into tokens. Returns the token count, 0 at end. */
static int sannip__next_tokens(sannip__cursor *c, char **tok, int max, sannip_error *err, int *bad)
{
    int r, n;
    *bad = 0;
    for (;;) {
        r = sannip__next_line(c);
        if (r == 0) return 0;
        if (r < 0) { *bad = 1; sannip__fail(err, SANNIP_PARSE_ERROR, c->line, 0, "line too long or contains binary data"); return 0; }
        n = sannip__tokens(c->buf, tok, max);
        if (n > 0) return n;
    }
}

/* model file ----------------------------------------------------------------------------- */
/* Length of the description line p[0..n) without trailing '\r's: the loader drops them (they
   end CRLF lines) and the saver too, so that save -> load -> save is byte-identical. */
static size_t sannip__description_len(const char *p, size_t n)
{
    while (n > 0 && p[n - 1] == '\r') n--;
    return n;
}

SANNIP_API sannip_result sannip_model_save_mem(const sannip_model *m, char **out, size_t *len, sannip_error *err)
{
    sannip_text t;
    int e, f, l;
    size_t k;
    char line[1024];
    if (!m || !out) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    sannip_text_init(&t, &m->alloc);
    sannip_text_printf(&t, "sannip-model %d\n", SANNIP_MODEL_FORMAT_VERSION);
    sannip_text_printf(&t, "# written by sannip %d.%d.%d; numbers are exact (%%.17g), '.' is the decimal point\n",
                       SANNIP_VERSION_MAJOR, SANNIP_VERSION_MINOR, SANNIP_VERSION_PATCH);
    sannip_text_printf(&t, "units %s %s\n", m->units_energy, m->units_length);
    if (m->description) {
        /* one line per '\n'-separated part, the empty last part of "a\n" included: the loader
           joins the lines back with '\n', so the description comes back as it was */
        const char *p = m->description, *q;
        do {
            size_t n;
            q = strchr(p, '\n');
            n = q ? (size_t)(q - p) : strlen(p);
            sannip_text_printf(&t, "description %.*s\n", (int)sannip__description_len(p, n), p);
            if (q) p = q + 1;
        } while (q);
    }
    sannip_text_printf(&t, "bases %d\n", m->desc.n);
    for (f = 0; f < m->desc.n; f++) {
        if (sannip_basis_format(&m->desc.b[f], line, sizeof line) < 0) { sannip_text_uninit(&t); return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "basis %d line too long", f + 1); }
        sannip_text_printf(&t, "%s\n", line);
    }
    sannip_text_printf(&t, "elements %d\n", m->n_elements);
    for (e = 0; e < m->n_elements; e++) {
        const sannip_element_model *el = &m->el[e];
        const sannip_network *net = &el->net;
        sannip_text_printf(&t, "element %s features %d scaling %s", sannip_element_symbol(el->Z), el->n_features, sannip_scaling_name(el->scaling));
        sannip_text_printf(&t, "\nscale_range"); sannip_text_real(&t, el->smin); sannip_text_real(&t, el->smax);
        sannip_text_printf(&t, "\nenergy_map"); sannip_text_real(&t, el->energy_scale); sannip_text_real(&t, el->energy_offset);
        sannip_text_printf(&t, "\nfeature_indices");
        for (f = 0; f < el->n_features; f++) sannip_text_printf(&t, (f % 16 == 15 && f + 1 < el->n_features) ? " %d\n" : " %d", el->feature[f] + 1);
        sannip_text_printf(&t, el->shared ? "\n" : "\n# feature statistics: min max mean sigma max|G-mean|\n");
        for (f = 0; f < el->n_features; f++) {
            sannip_text_printf(&t, "stats");
            sannip_text_real(&t, el->stats[f].min); sannip_text_real(&t, el->stats[f].max);
            sannip_text_real(&t, el->stats[f].mean); sannip_text_real(&t, el->stats[f].sigma);
            sannip_text_real(&t, el->stats[f].dev);
            sannip_text_printf(&t, "\n");
        }
        if (el->has_moment_range) {   /* optional: |S| range of the training data */
            sannip_text_printf(&t, "moment_range"); sannip_text_real(&t, el->moment_min); sannip_text_real(&t, el->moment_max);
            sannip_text_printf(&t, "\n");
        }
        if (el->shared) {   /* multi-task: element 1's network, output column of this element */
            sannip_text_printf(&t, "network shared %d\nend_element\n", el->output + 1);
            continue;
        }
        sannip_text_printf(&t, "network %d sizes", net->n_layers);
        for (l = 0; l <= net->n_layers; l++) sannip_text_printf(&t, " %d", net->sizes[l]);
        sannip_text_printf(&t, " activations");
        for (l = 0; l < net->n_layers; l++) sannip_text_printf(&t, " %s", sannip_activation_name(net->act[l]));
        for (l = 0; l < net->n_layers; l++) if (net->nblk[l] > 0) {
            int c;
            sannip_text_printf(&t, "\nclasses %d %d %d", l + 1, net->pass[l], net->nblk[l]);
            for (c = 0; c < net->nblk[l]; c++) sannip_text_printf(&t, " %d", net->blk[l][c + 1] - net->blk[l][c]);
        }
        sannip_text_printf(&t, "\n# parameters: per layer W (rows = outputs) then b\nparams %zu\n", net->n_params);
        for (k = 0; k < net->n_params; k++) {
            sannip_text_real(&t, net->params[k]);
            if (k % 4 == 3 || k + 1 == net->n_params) sannip_text_printf(&t, "\n");
        }
        sannip_text_printf(&t, "end_element\n");
    }
    sannip_text_printf(&t, "end\n");
    if (t.failed) { sannip_text_uninit(&t); return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "model text"); }
    *out = t.s;
    if (len) *len = t.len;
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

/* Reading state of a model text: the line cursor, the tokens of the current line and where
   errors go. */
typedef struct sannip__model_reader {
    sannip__cursor c;
    char *tok[64];
    int nt;
    sannip_error *err;
} sannip__model_reader;

#define SANNIP__EXPECT(cond, code, field, ...) do { if (!(cond)) return sannip__fail(rd->err, code, rd->c.line, field, __VA_ARGS__); } while (0)
#define SANNIP__TRY(expr) do { sannip_result r_ = (expr); if (r_ != SANNIP_SUCCESS) return r_; } while (0)

/* The next data line of a model text into rd->tok; no line means the text was cut short. */
static sannip_result sannip__model_next(sannip__model_reader *rd)
{
    int bad;
    rd->nt = sannip__next_tokens(&rd->c, rd->tok, 63, rd->err, &bad);
    if (bad) return SANNIP_PARSE_ERROR;
    SANNIP__EXPECT(rd->nt > 0, SANNIP_TRUNCATED, 0, "model file ends early (after line %d)", rd->c.line);
    SANNIP__EXPECT(rd->nt <= 63, SANNIP_PARSE_ERROR, 64, "too many fields");
    return SANNIP_SUCCESS;
}

/* Appends the raw text after "description " on the line just read to m->description (one
   '\n'-separated line per keyword). The line is found in the text itself and every read stays
   inside [text, text + len): the text need not end in a NUL. */
static sannip_result sannip__model_description(sannip__model_reader *rd, sannip_model *m)
{
    const sannip__cursor *c = &rd->c;
    const char *end = c->text + (c->pos - (c->partial ? 0 : 1)), *p = end;   /* end: the line's '\n' or the text's end */
    size_t old = m->description ? strlen(m->description) : 0, add;
    char *nd;
    while (p > c->text && p[-1] != '\n') p--;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
    p += 11;   /* the line's first token is "description" (checked by the caller) */
    if (p < end && *p == ' ') p++;
    add = sannip__description_len(p, (size_t)(end - p));
    nd = (char *)sannip__realloc(&m->alloc, m->description, old + add + 2);
    SANNIP__EXPECT(nd != NULL, SANNIP_OUT_OF_MEMORY, 0, "description");
    if (old) nd[old++] = '\n';
    memcpy(nd + old, p, add); nd[old + add] = 0;
    m->description = nd;
    return SANNIP_SUCCESS;
}

/* 'sannip-model VERSION', then any 'units' and 'description' lines; leaves the tokens of the
   first other line in rd. */
static sannip_result sannip__model_read_header(sannip__model_reader *rd, sannip_model *m)
{
    char **tok = rd->tok;
    int version;
    SANNIP__TRY(sannip__model_next(rd));
    SANNIP__EXPECT(strcmp(tok[0], "sannip-model") == 0 && rd->nt == 2, SANNIP_PARSE_ERROR, 1, "not a sannip model file (first line must be 'sannip-model VERSION')");
    SANNIP__EXPECT(sannip__int(tok[1], &version), SANNIP_PARSE_ERROR, 2, "version '%s' is not an integer", tok[1]);
    SANNIP__EXPECT(version == SANNIP_MODEL_FORMAT_VERSION, SANNIP_BAD_VERSION, 2, "model format version %d; this build reads version %d", version, SANNIP_MODEL_FORMAT_VERSION);
    for (;;) {
        SANNIP__TRY(sannip__model_next(rd));
        if (strcmp(tok[0], "units") == 0) {
            SANNIP__EXPECT(rd->nt == 3 && strlen(tok[1]) < sizeof m->units_energy && strlen(tok[2]) < sizeof m->units_length, SANNIP_PARSE_ERROR, 2, "units ENERGY LENGTH expected");
            strcpy(m->units_energy, tok[1]); strcpy(m->units_length, tok[2]);
        } else if (strcmp(tok[0], "description") == 0) {
            SANNIP__TRY(sannip__model_description(rd, m));
        } else return SANNIP_SUCCESS;
    }
}

/* 'bases N' (the tokens already in rd) and the N basis lines, into m->desc. */
static sannip_result sannip__model_read_bases(sannip__model_reader *rd, sannip_model *m, int *nb)
{
    char **tok = rd->tok;
    sannip_cutoff cs;
    sannip_error *err = rd->err;
    int f;
    memset(&cs, 0, sizeof cs); cs.type = SANNIP_CUT_COS;
    SANNIP__EXPECT(strcmp(tok[0], "bases") == 0 && rd->nt == 2 && sannip__int(tok[1], nb), SANNIP_PARSE_ERROR, 1, "expected 'bases N'");
    SANNIP__EXPECT(*nb >= 0 && *nb <= SANNIP_MAX_BASES, SANNIP_TOO_BIG, 2, "%d bases (at most %d)", *nb, SANNIP_MAX_BASES);
    for (f = 0; f < *nb; f++) {
        sannip_basis b;
        sannip_result r;
        int rr, line;
        rr = sannip__next_line(&rd->c);
        SANNIP__EXPECT(rr != 0, SANNIP_TRUNCATED, 0, "model file ends inside the basis list (%d of %d read)", f, *nb);
        SANNIP__EXPECT(rr > 0, SANNIP_PARSE_ERROR, 0, "line too long or binary");
        line = rd->c.line;
        if (err) err->line = line;
        rr = sannip_basis_parse(&b, rd->c.buf, &cs, err);
        if (rr == SANNIP_END_OF_INPUT) { f--; continue; }   /* a blank, comment or cutoff_type line */
        if (rr != SANNIP_SUCCESS) { if (err) err->line = line; return (sannip_result)rr; }
        if ((r = sannip_descriptors_add(&m->desc, &b, err)) != SANNIP_SUCCESS) { if (err) err->line = line; return r; }
    }
    return SANNIP_SUCCESS;
}

/* 'feature_indices i_1 .. i_nf' (1-based indices into the nb bases), continued over as many
   lines as needed (16 per line when written). */
static sannip_result sannip__model_read_feature_indices(sannip__model_reader *rd, sannip_element_model *el, int nb)
{
    char **tok = rd->tok;
    int got = 0, i, first = 1, nf = el->n_features;
    SANNIP__TRY(sannip__model_next(rd));
    SANNIP__EXPECT(strcmp(tok[0], "feature_indices") == 0, SANNIP_PARSE_ERROR, 1, "expected 'feature_indices'");
    for (;;) {
        for (i = first; i < rd->nt; i++) {
            int ix;
            SANNIP__EXPECT(got < nf, SANNIP_PARSE_ERROR, i + 1, "more than %d feature indices", nf);
            SANNIP__EXPECT(sannip__int(tok[i], &ix) && ix >= 1 && ix <= nb, SANNIP_PARSE_ERROR, i + 1, "feature index '%s' (1..%d)", tok[i], nb);
            el->feature[got++] = ix - 1;
        }
        if (got == nf) return SANNIP_SUCCESS;
        SANNIP__TRY(sannip__model_next(rd));
        first = 0;
    }
}

/* One 'stats MIN MAX MEAN SIGMA DEV' line per feature. */
static sannip_result sannip__model_read_stats(sannip__model_reader *rd, sannip_element_model *el)
{
    char **tok = rd->tok;
    sannip_real v[5];
    int f, i, nf = el->n_features;
    for (f = 0; f < nf; f++) {
        SANNIP__TRY(sannip__model_next(rd));
        SANNIP__EXPECT(strcmp(tok[0], "stats") == 0 && rd->nt == 6, SANNIP_PARSE_ERROR, 1, "expected 'stats MIN MAX MEAN SIGMA DEV' (%d of %d)", f + 1, nf);
        for (i = 0; i < 5; i++) SANNIP__EXPECT(sannip__num(tok[i + 1], &v[i]), SANNIP_PARSE_ERROR, i + 2, "'%s' is not a finite number", tok[i + 1]);
        el->stats[f].min = v[0]; el->stats[f].max = v[1]; el->stats[f].mean = v[2]; el->stats[f].sigma = v[3]; el->stats[f].dev = v[4];
    }
    return SANNIP_SUCCESS;
}

/* The layers of a network as declared in a model text (before any memory is allocated). */
typedef struct sannip__net_decl {
    int nl, sizes[SANNIP_MAX_LAYERS + 1], acts[SANNIP_MAX_LAYERS];
    int nblk[SANNIP_MAX_LAYERS], npass[SANNIP_MAX_LAYERS], blkv[SANNIP_MAX_LAYERS][SANNIP_MAX_CLASSES];
    int line;   /* of the 'network' line */
} sannip__net_decl;

/* 'network L sizes n_0 .. n_L activations a_1 .. a_L' (tokens in rd) for an element with nf
   features; max_out: the widest output allowed (the element count for element 1's multi-task
   network, else 1). */
static sannip_result sannip__model_read_layers(sannip__model_reader *rd, sannip__net_decl *d, int nf, int max_out)
{
    char **tok = rd->tok;
    int l, nl;
    SANNIP__EXPECT(strcmp(tok[0], "network") == 0 && rd->nt >= 2 && sannip__int(tok[1], &d->nl), SANNIP_PARSE_ERROR, 1, "expected 'network LAYERS sizes ... activations ...'");
    nl = d->nl;
    SANNIP__EXPECT(nl >= 1 && nl <= SANNIP_MAX_LAYERS, SANNIP_TOO_BIG, 2, "%d layers (1..%d)", nl, SANNIP_MAX_LAYERS);
    SANNIP__EXPECT(rd->nt == 4 + 2 * nl + 1 && strcmp(tok[2], "sizes") == 0 && strcmp(tok[4 + nl], "activations") == 0, SANNIP_PARSE_ERROR, 3, "network line needs %d sizes and %d activations", nl + 1, nl);
    for (l = 0; l <= nl; l++) SANNIP__EXPECT(sannip__int(tok[3 + l], &d->sizes[l]), SANNIP_PARSE_ERROR, 4 + l, "size '%s'", tok[3 + l]);
    for (l = 0; l < nl; l++) { d->acts[l] = sannip_activation_parse(tok[5 + nl + l]); SANNIP__EXPECT(d->acts[l] >= 0, SANNIP_PARSE_ERROR, 6 + nl + l, "unknown activation '%s'", tok[5 + nl + l]); }
    SANNIP__EXPECT(d->sizes[0] == nf, SANNIP_PARSE_ERROR, 4, "network has %d inputs but the element has %d features", d->sizes[0], nf);
    SANNIP__EXPECT(d->sizes[nl] == 1 || d->sizes[nl] == max_out, SANNIP_PARSE_ERROR, 4 + nl, "network must have one output (or one per element for element 1's multi-task network)");
    for (l = 0; l <= nl; l++) SANNIP__EXPECT(d->sizes[l] >= (l ? 1 : 0) && d->sizes[l] <= SANNIP_MAX_LAYER_WIDTH, SANNIP_TOO_BIG, 4 + l, "layer width %d (allowed %d..%d)", d->sizes[l], l ? 1 : 0, SANNIP_MAX_LAYER_WIDTH);
    d->line = rd->c.line;
    return SANNIP_SUCCESS;
}

/* Optional 'classes LAYER PASS N i_1 .. i_N' lines (class convolution); leaves the tokens of
   the first other line in rd. */
static sannip_result sannip__model_read_classes(sannip__model_reader *rd, sannip__net_decl *d)
{
    char **tok = rd->tok;
    int lay, cc;
    memset(d->nblk, 0, sizeof d->nblk); memset(d->npass, 0, sizeof d->npass);
    for (;;) {
        SANNIP__TRY(sannip__model_next(rd));
        if (strcmp(tok[0], "classes") != 0) return SANNIP_SUCCESS;
        SANNIP__EXPECT(rd->nt >= 4 && sannip__int(tok[1], &lay) && lay >= 1 && lay <= d->nl && sannip__int(tok[2], &d->npass[lay - 1])
                       && sannip__int(tok[3], &d->nblk[lay - 1]) && d->nblk[lay - 1] >= 1 && d->nblk[lay - 1] <= SANNIP_MAX_CLASSES && rd->nt == 4 + d->nblk[lay - 1],
                       SANNIP_PARSE_ERROR, 2, "expected 'classes LAYER PASS N i_1 .. i_N'");
        for (cc = 0; cc < d->nblk[lay - 1]; cc++)
            SANNIP__EXPECT(sannip__int(tok[4 + cc], &d->blkv[lay - 1][cc]) && d->blkv[lay - 1][cc] >= 1 && d->blkv[lay - 1][cc] <= SANNIP_MAX_LAYER_WIDTH,
                           SANNIP_PARSE_ERROR, 5 + cc, "class size '%s'", tok[4 + cc]);
    }
}

/* Each parameter needs at least 2 bytes of text: refuses a declared network that the rest of
   the text cannot hold, before anything is allocated for it. */
static sannip_result sannip__model_params_fit(const sannip__model_reader *rd, const sannip__net_decl *d)
{
    double need = 0;
    size_t left = rd->c.len - rd->c.pos;
    int l, cc;
    for (l = 0; l < d->nl; l++) {
        if (d->nblk[l] > 0) for (cc = 0; cc < d->nblk[l]; cc++) need += (double)d->blkv[l][cc] * (d->blkv[l][cc] + 1);
        else need += (double)d->sizes[l + 1] * ((double)d->sizes[l] + 1);
    }
    if (2 * need <= (double)left + 1) return SANNIP_SUCCESS;
    return sannip__fail(rd->err, SANNIP_TRUNCATED, d->line, 0, "network declares %.0f parameters but only %zu bytes remain", need, left);
}

/* 'params N' (tokens in rd) and the N parameters of net, over as many lines as needed. */
static sannip_result sannip__model_read_params(sannip__model_reader *rd, sannip_network *net)
{
    char **tok = rd->tok, *end;
    size_t np, k = 0;
    int i;
    SANNIP__EXPECT(strcmp(tok[0], "params") == 0 && rd->nt == 2, SANNIP_PARSE_ERROR, 1, "expected 'params N'");
    np = (size_t)strtoull(tok[1], &end, 10);
    SANNIP__EXPECT(*end == 0 && np == net->n_params, SANNIP_PARSE_ERROR, 2, "params %s, the network has %zu", tok[1], net->n_params);
    while (k < np) {
        SANNIP__TRY(sannip__model_next(rd));
        for (i = 0; i < rd->nt; i++) {
            SANNIP__EXPECT(k < np, SANNIP_PARSE_ERROR, i + 1, "more than %zu parameters", np);
            SANNIP__EXPECT(sannip__num(tok[i], &net->params[k]), SANNIP_PARSE_ERROR, i + 1, "parameter %zu: '%s' is not a finite number", k + 1, tok[i]);
            k++;
        }
    }
    return SANNIP_SUCCESS;
}

/* The network of element e (tokens of its 'network' line in rd): layers, classes, then the
   parameters, allocated only once the text is known to be long enough to hold them. */
static sannip_result sannip__model_read_network(sannip__model_reader *rd, sannip_model *m, sannip_element_model *el, int max_out)
{
    sannip__net_decl d;
    sannip_result r;
    SANNIP__TRY(sannip__model_read_layers(rd, &d, el->n_features, max_out));
    SANNIP__TRY(sannip__model_read_classes(rd, &d));
    SANNIP__TRY(sannip__model_params_fit(rd, &d));
    r = sannip_network_init_layers(&el->net, d.nl, d.sizes, d.acts, d.nblk, (const int (*)[SANNIP_MAX_CLASSES])d.blkv, d.npass, &m->alloc, rd->err);
    if (r != SANNIP_SUCCESS) { if (rd->err) rd->err->line = d.line; return r; }
    return sannip__model_read_params(rd, &el->net);
}

/* 'element SYMBOL features N scaling MODE' through 'end_element': element e of ne, with nb
   bases in the model. */
static sannip_result sannip__model_read_element(sannip__model_reader *rd, sannip_model *m, int e, int ne, int nb)
{
    sannip_element_model *el = &m->el[e];
    char **tok = rd->tok;
    int Z, nf, mode, out;
    SANNIP__TRY(sannip__model_next(rd));
    SANNIP__EXPECT(strcmp(tok[0], "element") == 0 && rd->nt == 6 && strcmp(tok[2], "features") == 0 && strcmp(tok[4], "scaling") == 0,
                   SANNIP_PARSE_ERROR, 1, "expected 'element SYMBOL features N scaling MODE'");
    Z = sannip_element_z(tok[1]);
    SANNIP__EXPECT(Z > 0, SANNIP_UNKNOWN_ELEMENT, 2, "unknown element '%s'", tok[1]);
    SANNIP__EXPECT(sannip_model_element_index(m, Z) < 0, SANNIP_PARSE_ERROR, 2, "element %s appears twice", tok[1]);
    SANNIP__EXPECT(sannip__int(tok[3], &nf) && nf >= 0 && nf <= nb, SANNIP_PARSE_ERROR, 4, "feature count '%s' (0..%d)", tok[3], nb);
    mode = sannip_scaling_parse(tok[5]);
    SANNIP__EXPECT(mode >= 0, SANNIP_PARSE_ERROR, 6, "unknown scaling '%s'", tok[5]);
    memset(el, 0, sizeof *el);
    el->Z = Z;
    m->n_elements = e + 1;   /* from here a failure frees this element too */
    SANNIP__EXPECT(sannip__element_alloc(m, el, nf) == SANNIP_SUCCESS, SANNIP_OUT_OF_MEMORY, 0, "element %s", tok[1]);
    el->scaling = mode;
    SANNIP__TRY(sannip__model_next(rd));
    SANNIP__EXPECT(strcmp(tok[0], "scale_range") == 0 && rd->nt == 3 && sannip__num(tok[1], &el->smin) && sannip__num(tok[2], &el->smax), SANNIP_PARSE_ERROR, 1, "expected 'scale_range MIN MAX'");
    SANNIP__TRY(sannip__model_next(rd));
    SANNIP__EXPECT(strcmp(tok[0], "energy_map") == 0 && rd->nt == 3 && sannip__num(tok[1], &el->energy_scale) && sannip__num(tok[2], &el->energy_offset), SANNIP_PARSE_ERROR, 1, "expected 'energy_map SCALE OFFSET'");
    SANNIP__TRY(sannip__model_read_feature_indices(rd, el, nb));
    SANNIP__TRY(sannip__model_read_stats(rd, el));
    SANNIP__TRY(sannip__model_next(rd));
    if (strcmp(tok[0], "moment_range") == 0) {   /* optional (files without it: no moment test) */
        SANNIP__EXPECT(rd->nt == 3 && sannip__num(tok[1], &el->moment_min) && sannip__num(tok[2], &el->moment_max)
                       && el->moment_min >= 0 && el->moment_min <= el->moment_max, SANNIP_PARSE_ERROR, 1, "expected 'moment_range MIN MAX' with 0 <= MIN <= MAX");
        el->has_moment_range = 1;
        SANNIP__TRY(sannip__model_next(rd));
    }
    if (rd->nt == 3 && strcmp(tok[0], "network") == 0 && strcmp(tok[1], "shared") == 0) {   /* element 1's multi-task network */
        SANNIP__EXPECT(e > 0 && sannip__int(tok[2], &out) && out >= 1 && out <= SANNIP_MAX_ELEMENTS, SANNIP_PARSE_ERROR, 3, "'network shared OUTPUT' needs element 1's network and an output 1..%d", SANNIP_MAX_ELEMENTS);
        el->shared = 1; el->output = out - 1;
    } else SANNIP__TRY(sannip__model_read_network(rd, m, el, e == 0 ? ne : 1));
    SANNIP__TRY(sannip__model_next(rd));
    SANNIP__EXPECT(strcmp(tok[0], "end_element") == 0 && rd->nt == 1, SANNIP_PARSE_ERROR, 1, "expected 'end_element', found '%s'", tok[0]);
    return SANNIP_SUCCESS;
}

/* 'elements N', the N elements and the closing 'end'. */
static sannip_result sannip__model_read_elements(sannip__model_reader *rd, sannip_model *m, int nb)
{
    char **tok = rd->tok;
    int ne, e;
    SANNIP__TRY(sannip__model_next(rd));
    SANNIP__EXPECT(strcmp(tok[0], "elements") == 0 && rd->nt == 2 && sannip__int(tok[1], &ne), SANNIP_PARSE_ERROR, 1, "expected 'elements N'");
    SANNIP__EXPECT(ne >= 1 && ne <= SANNIP_MAX_ELEMENTS, SANNIP_TOO_BIG, 2, "%d elements (1..%d allowed)", ne, SANNIP_MAX_ELEMENTS);
    for (e = 0; e < ne; e++) SANNIP__TRY(sannip__model_read_element(rd, m, e, ne, nb));
    SANNIP__TRY(sannip__model_next(rd));
    SANNIP__EXPECT(strcmp(tok[0], "end") == 0 && rd->nt == 1, SANNIP_PARSE_ERROR, 1, "expected 'end', found '%s'", tok[0]);
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_model_load_mem(sannip_model *m, const char *text, size_t len, sannip_error *err)
{
    sannip__model_reader rd;
    sannip_result r;
    sannip_allocator alloc;
    int nb = 0;
    if (!m || !text) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    alloc = m->alloc;
    sannip_model_uninit(m);
    sannip_model_init(m, &alloc);
    memset(&rd, 0, sizeof rd);
    rd.c.text = text; rd.c.len = len; rd.err = err;
    r = sannip__model_read_header(&rd, m);
    if (r == SANNIP_SUCCESS) r = sannip__model_read_bases(&rd, m, &nb);
    if (r == SANNIP_SUCCESS) r = sannip__model_read_elements(&rd, m, nb);
    if (r == SANNIP_SUCCESS) r = sannip_model_finalize(m, err);
    if (r == SANNIP_SUCCESS) { sannip__ok(err); return SANNIP_SUCCESS; }
    /* an error on a last line without its newline means the text was cut short */
    if (rd.c.partial && r != SANNIP_OUT_OF_MEMORY && r != SANNIP_TRUNCATED) {
        r = SANNIP_TRUNCATED;
        if (err) { err->code = r; sannip__err_prefix(err, "text ends inside this line: "); }
    }
    sannip_model_uninit(m);
    sannip_model_init(m, &alloc);
    return r;
}
#undef SANNIP__TRY

/* structures ----------------------------------------------------------------------------- */
SANNIP_API void sannip_structure_init(sannip_structure *s, const sannip_allocator *alloc)
{
    memset(s, 0, sizeof *s);
    s->alloc = sannip__alloc_copy(alloc);
    s->weight = 1;
}
SANNIP_API void sannip_structure_uninit(sannip_structure *s)
{
    sannip_allocator a = s->alloc;
    sannip_free(&a, s->pos); sannip_free(&a, s->Z); sannip_free(&a, s->forces);
    sannip_free(&a, s->spins); sannip_free(&a, s->charges); sannip_free(&a, s->fields);
    sannip_structure_init(s, &a);
}
SANNIP_API sannip_result sannip_structure_resize(sannip_structure *s, int n, int with_forces, int with_spins, sannip_error *err)
{
    sannip_allocator a = s->alloc;
    if (n < 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "negative atom count");
    if (n > SANNIP_MAX_ATOMS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "%d atoms exceed SANNIP_MAX_ATOMS", n);
    sannip_free(&a, s->pos); sannip_free(&a, s->Z); sannip_free(&a, s->forces); sannip_free(&a, s->spins); sannip_free(&a, s->charges);
    sannip_free(&a, s->fields); s->fields = NULL;
    s->pos = (sannip_real *)sannip__calloc(&a, 3 * (size_t)n, sizeof(sannip_real));
    s->Z = (int *)sannip__calloc(&a, (size_t)n, sizeof(int));
    s->forces = with_forces ? (sannip_real *)sannip__calloc(&a, 3 * (size_t)n, sizeof(sannip_real)) : NULL;
    s->spins = with_spins ? (sannip_real *)sannip__calloc(&a, 3 * (size_t)n, sizeof(sannip_real)) : NULL;
    s->charges = NULL;
    s->n = n;
    if (!s->pos || !s->Z || (with_forces && !s->forces) || (with_spins && !s->spins)) {
        sannip_structure_uninit(s);
        return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "structure of %d atoms", n);
    }
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_system sannip_structure_view(const sannip_structure *s)
{
    sannip_system v;
    memset(&v, 0, sizeof v);
    v.n = s->n; v.pos = s->pos; v.Z = s->Z;
    memcpy(v.cell, s->cell, sizeof v.cell);
    v.pbc[0] = s->pbc[0]; v.pbc[1] = s->pbc[1]; v.pbc[2] = s->pbc[2];
    v.spins = s->spins;
    return v;
}

/* Growable per-atom arrays used while a reader does not yet know the atom count. */
static sannip_result sannip__structure_push(sannip_structure *s, size_t *cap, int with_forces)
{
    sannip_allocator *a = &s->alloc;
    void *p;
    size_t c1, c2, c3;
    sannip_result r;
    if (s->n >= SANNIP_MAX_ATOMS) return SANNIP_TOO_BIG;
    c1 = c2 = c3 = *cap;
    p = s->pos; if ((r = sannip__grow(a, &p, &c1, (size_t)s->n + 1, 3 * sizeof(sannip_real))) != SANNIP_SUCCESS) return r; s->pos = (sannip_real *)p;
    p = s->Z; if ((r = sannip__grow(a, &p, &c2, (size_t)s->n + 1, sizeof(int))) != SANNIP_SUCCESS) return r; s->Z = (int *)p;
    if (with_forces) { size_t c4 = *cap; p = s->forces; if ((r = sannip__grow(a, &p, &c4, (size_t)s->n + 1, 3 * sizeof(sannip_real))) != SANNIP_SUCCESS) return r; s->forces = (sannip_real *)p; }
    { size_t c5 = *cap; p = s->charges; if ((r = sannip__grow(a, &p, &c5, (size_t)s->n + 1, sizeof(sannip_real))) != SANNIP_SUCCESS) return r; s->charges = (sannip_real *)p; }
    *cap = c1 < c2 ? c1 : c2;
    (void)c3;
    return SANNIP_SUCCESS;
}

#define SANNIP__RFAIL(code, field, ...) do { r = sannip__fail(err, code, c.line, field, __VA_ARGS__); goto fail; } while (0)

SANNIP_API sannip_result sannip_read_n2p2(sannip_structure *s, const char *text, size_t len, size_t *pos, int *line, sannip_error *err)
{
    /* n2p2 input.data: begin / comment / lattice x3 / atom x y z El q e fx fy fz / energy / charge / end */
    sannip__cursor c;
    char *tok[16];
    int nt, bad, nlat = 0, i, have_f = 1, have_energy = 0;
    size_t cap = 0;
    sannip_result r;
    if (!s || !text || !pos) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    memset(&c, 0, sizeof c);
    c.text = text; c.len = len; c.pos = *pos; c.line = line ? *line : 0;
    sannip_structure_uninit(s);
    nt = sannip__next_tokens(&c, tok, 15, err, &bad);
    if (bad) { r = SANNIP_PARSE_ERROR; goto fail; }
    if (nt == 0) { *pos = c.pos; if (line) *line = c.line; return SANNIP_END_OF_INPUT; }
    if (strcmp(tok[0], "begin") != 0) SANNIP__RFAIL(SANNIP_PARSE_ERROR, 1, "expected 'begin', found '%s'", tok[0]);
    for (;;) {
        nt = sannip__next_tokens(&c, tok, 15, err, &bad);
        if (bad) { r = SANNIP_PARSE_ERROR; goto fail; }
        if (nt == 0) SANNIP__RFAIL(SANNIP_TRUNCATED, 0, "structure without 'end' (file ends at line %d)", c.line);
        if (strcmp(tok[0], "end") == 0) break;
        if (strcmp(tok[0], "comment") == 0) {
            size_t o = 0;
            for (i = 1; i < nt && i < 15 && o + 1 < sizeof s->comment; i++)
                o += (size_t)snprintf(s->comment + o, sizeof s->comment - o, i > 1 ? " %s" : "%s", tok[i]);
            s->comment[sizeof s->comment - 1] = 0;
            /* a cut at the buffer's end can leave a trailing blank, which a re-read drops */
            for (o = strlen(s->comment); o > 0 && s->comment[o - 1] == ' '; o--) s->comment[o - 1] = 0;
            continue;
        }
        if (nt > 15) SANNIP__RFAIL(SANNIP_PARSE_ERROR, 16, "too many fields");
        if (strcmp(tok[0], "lattice") == 0) {
            if (nlat >= 3) SANNIP__RFAIL(SANNIP_PARSE_ERROR, 1, "more than 3 lattice lines");
            if (nt != 4) SANNIP__RFAIL(SANNIP_PARSE_ERROR, nt < 4 ? nt + 1 : 5, "lattice needs 3 numbers, found %d", nt - 1);
            for (i = 0; i < 3; i++) if (!sannip__num(tok[1 + i], &s->cell[3 * nlat + i])) SANNIP__RFAIL(SANNIP_PARSE_ERROR, 2 + i, "'%s' is not a finite number", tok[1 + i]);
            nlat++;
        } else if (strcmp(tok[0], "atom") == 0) {
            int Z;
            if (nt != 10) SANNIP__RFAIL(SANNIP_PARSE_ERROR, nt < 10 ? nt + 1 : 11, "atom line needs 9 fields (x y z element charge energy fx fy fz), found %d", nt - 1);
            if ((r = sannip__structure_push(s, &cap, 1)) != SANNIP_SUCCESS) SANNIP__RFAIL(r, 0, "cannot grow structure at atom %d", s->n + 1);
            for (i = 0; i < 3; i++) if ((r = sannip__num_code(tok[1 + i], &s->pos[3 * s->n + i])) != SANNIP_SUCCESS) SANNIP__RFAIL(r, 2 + i, "atom %d: coordinate '%s' is not a finite number", s->n + 1, tok[1 + i]);
            for (i = 0; i < 3; i++) if (!(fabs(s->pos[3 * s->n + i]) <= SANNIP_MAX_COORD)) SANNIP__RFAIL(SANNIP_TOO_BIG, 2 + i, "atom %d: coordinate '%s' is beyond SANNIP_MAX_COORD (%g)", s->n + 1, tok[1 + i], (double)SANNIP_MAX_COORD);
            Z = sannip_element_z(tok[4]);
            if (!Z) SANNIP__RFAIL(SANNIP_UNKNOWN_ELEMENT, 5, "atom %d: unknown element '%s'", s->n + 1, tok[4]);
            s->Z[s->n] = Z;
            if (!sannip__num(tok[5], &s->charges[s->n])) SANNIP__RFAIL(SANNIP_PARSE_ERROR, 6, "atom %d: charge '%s' is not a finite number", s->n + 1, tok[5]);
            {
                sannip_real dummy;
                if (!sannip__num(tok[6], &dummy)) SANNIP__RFAIL(SANNIP_PARSE_ERROR, 7, "atom %d: atomic energy '%s' is not a finite number", s->n + 1, tok[6]);
            }
            for (i = 0; i < 3; i++) if (!sannip__num(tok[7 + i], &s->forces[3 * s->n + i])) SANNIP__RFAIL(SANNIP_PARSE_ERROR, 8 + i, "atom %d: force '%s' is not a finite number", s->n + 1, tok[7 + i]);
            s->n++;
        } else if (strcmp(tok[0], "energy") == 0) {
            if (nt != 2) SANNIP__RFAIL(SANNIP_PARSE_ERROR, 2, "energy needs one number");
            if ((r = sannip__num_code(tok[1], &s->energy)) != SANNIP_SUCCESS) SANNIP__RFAIL(r, 2, "energy '%s' is not a finite number", tok[1]);
            have_energy = 1;
        } else if (strcmp(tok[0], "charge") == 0) {
            sannip_real q;
            if (nt != 2 || !sannip__num(tok[1], &q)) SANNIP__RFAIL(SANNIP_PARSE_ERROR, 2, "charge needs one finite number");
        } else if (strcmp(tok[0], "begin") == 0) {
            SANNIP__RFAIL(SANNIP_TRUNCATED, 1, "'begin' before the previous structure's 'end'");
        } else SANNIP__RFAIL(SANNIP_PARSE_ERROR, 1, "unknown keyword '%s'", tok[0]);
    }
    if (nlat != 0 && nlat != 3) SANNIP__RFAIL(SANNIP_PARSE_ERROR, 0, "%d lattice lines (0 or 3 expected)", nlat);
    if (s->n == 0) SANNIP__RFAIL(SANNIP_PARSE_ERROR, 0, "structure has no atoms");
    s->pbc[0] = s->pbc[1] = s->pbc[2] = nlat == 3;
    s->has_energy = have_energy;
    (void)have_f;
    *pos = c.pos; if (line) *line = c.line;
    return SANNIP_SUCCESS;
fail:
    sannip_structure_uninit(s);
    return r;
}

/* extended XYZ -------------------------------------------------------------------------- */
/* Finds key=value in an extended XYZ comment line (quotes "..." allowed). Case-insensitive
   key. Copies the value (without quotes) into out. */
static int sannip__xyz_value(const char *line, const char *key, char *out, size_t size)
{
    const char *p = line;
    size_t kl = strlen(key);
    while (*p) {
        const char *ks, *ke, *vs, *ve;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        ks = p;
        while (*p && *p != '=' && *p != ' ' && *p != '\t') p++;
        ke = p;
        if (*p != '=') { continue; }
        p++;
        if (*p == '"') { vs = ++p; while (*p && *p != '"') p++; ve = p; if (*p) p++; }
        else if (*p == '{') { vs = ++p; while (*p && *p != '}') p++; ve = p; if (*p) p++; }
        else { vs = p; while (*p && *p != ' ' && *p != '\t') p++; ve = p; }
        if ((size_t)(ke - ks) == kl) {
            size_t i;
            int same = 1;
            for (i = 0; i < kl; i++) { char a = ks[i], b = key[i]; if (a >= 'A' && a <= 'Z') a += 32; if (b >= 'A' && b <= 'Z') b += 32; if (a != b) same = 0; }
            if (same) {
                size_t n = (size_t)(ve - vs);
                if (n >= size) n = size - 1;
                memcpy(out, vs, n); out[n] = 0;
                return 1;
            }
        }
    }
    return 0;
}

/* Columns of an extended XYZ frame, from its Properties (name:type:count triples). */
typedef struct sannip__xyz_cols { int ncols, species, pos, forces, spin, spin_dim, field; } sannip__xyz_cols;
static sannip_result sannip__xyz_properties(const char *comment, sannip__xyz_cols *k, int line, sannip_error *err)
{
    char val[1024], *ptok[96], *p = val;
    int i, np = 0;
    k->ncols = 0; k->species = k->pos = k->forces = k->spin = k->field = -1; k->spin_dim = 0;
    if (!sannip__xyz_value(comment, "Properties", val, sizeof val)) strcpy(val, "species:S:1:pos:R:3");
    while (p && np < 93) { ptok[np++] = p; p = strchr(p, ':'); if (p) *p++ = 0; }
    if (np % 3) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "Properties must be name:type:count triples");
    for (i = 0; i < np; i += 3) {
        const char *nm = ptok[i];
        int cnt;
        if (!sannip__int(ptok[i + 2], &cnt) || cnt < 1 || cnt > 9) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "Properties: bad count '%s' for %s", ptok[i + 2], nm);
        if (strcmp(nm, "species") == 0) k->species = k->ncols;
        else if (strcmp(nm, "pos") == 0 && cnt == 3) k->pos = k->ncols;
        else if ((strcmp(nm, "forces") == 0 || strcmp(nm, "force") == 0) && cnt == 3) k->forces = k->ncols;
        else if (k->spin < 0 && (strcmp(nm, "magmoms") == 0 || strcmp(nm, "initial_magmoms") == 0 || strcmp(nm, "spins") == 0
                 || strcmp(nm, "spin") == 0 || strcmp(nm, "magnetic_moments") == 0) && (cnt == 1 || cnt == 3)) { k->spin = k->ncols; k->spin_dim = cnt; }
        else if (k->field < 0 && (strcmp(nm, "magnetic_forces") == 0 || strcmp(nm, "heff") == 0 || strcmp(nm, "force_mag") == 0) && cnt == 3) k->field = k->ncols;
        k->ncols += cnt;
    }
    if (k->species < 0 || k->pos < 0) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "Properties lacks species:S:1 or pos:R:3");
    if (k->ncols > 63) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "too many columns (%d)", k->ncols);
    return SANNIP_SUCCESS;
}
/* ASE's stress = -virial / volume (9 values, or Voigt xx yy zz yz xz xy) into s->virial. */
static sannip_result sannip__xyz_stress(char *val, sannip_structure *s, int line, sannip_error *err)
{
    char *vt[10];
    sannip_real st[9], v6[6], vol = fabs(sannip__det3(s->cell));
    int i, k = sannip__tokens(val, vt, 9);
    if (k != 9 && k != 6) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "stress needs 9 or 6 numbers, found %d", k);
    for (i = 0; i < k; i++) if (!sannip__num(vt[i], k == 9 ? &st[i] : &v6[i])) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "stress: '%s' is not a finite number", vt[i]);
    if (k == 6) { st[0] = v6[0]; st[4] = v6[1]; st[8] = v6[2]; st[5] = st[7] = v6[3]; st[2] = st[6] = v6[4]; st[1] = st[3] = v6[5]; }
    if (!(vol > 0)) return sannip__fail(err, SANNIP_SINGULAR_CELL, line, 0, "stress given without a periodic cell (no volume)");
    for (i = 0; i < 9; i++) s->virial[i] = -vol * st[i];
    s->has_virial = 1;
    return SANNIP_SUCCESS;
}
/* The per-frame entries of the comment line: Lattice, pbc, energy, virial (or stress), weight. */
static sannip_result sannip__xyz_entries(const char *comment, sannip_structure *s, int line, sannip_error *err)
{
    char val[1024], *vt[10];
    sannip_result r;
    int i, k;
    if (sannip__xyz_value(comment, "Lattice", val, sizeof val)) {
        if ((k = sannip__tokens(val, vt, 9)) != 9) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "Lattice needs 9 numbers, found %d", k);
        for (i = 0; i < 9; i++) if (!sannip__num(vt[i], &s->cell[i])) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "Lattice: '%s' is not a finite number", vt[i]);
        s->pbc[0] = s->pbc[1] = s->pbc[2] = 1;
    }
    if (sannip__xyz_value(comment, "pbc", val, sizeof val)) {
        if (sannip__tokens(val, vt, 3) != 3) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "pbc needs 3 values");
        for (i = 0; i < 3; i++) s->pbc[i] = (vt[i][0] == 'T' || vt[i][0] == 't' || vt[i][0] == '1');
    }
    if (sannip__xyz_value(comment, "energy", val, sizeof val)) {
        if ((r = sannip__num_code(val, &s->energy)) != SANNIP_SUCCESS) return sannip__fail(err, r, line, 0, "energy '%s' is not a finite number", val);
        s->has_energy = 1;
    }
    if (sannip__xyz_value(comment, "virial", val, sizeof val) && sannip__tokens(val, vt, 9) == 9) {
        for (i = 0; i < 9; i++) if (!sannip__num(vt[i], &s->virial[i])) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "virial: '%s' is not a finite number", vt[i]);
        s->has_virial = 1;
    }
    if (!s->has_virial && sannip__xyz_value(comment, "stress", val, sizeof val) && (r = sannip__xyz_stress(val, s, line, err)) != SANNIP_SUCCESS) return r;
    if (sannip__xyz_value(comment, "weight", val, sizeof val) && !sannip__num(val, &s->weight))
        return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "weight '%s' is not a finite number", val);
    return SANNIP_SUCCESS;
}
/* Atom i from its line's tokens (nt of them). */
static sannip_result sannip__xyz_atom(char **tok, int nt, const sannip__xyz_cols *k, int i, sannip_structure *s, int line, sannip_error *err)
{
    sannip_result r;
    int col;
    if (nt != k->ncols) return sannip__fail(err, SANNIP_PARSE_ERROR, line, nt < k->ncols ? nt + 1 : k->ncols + 1, "atom %d: %d columns, Properties declares %d", i + 1, nt, k->ncols);
    s->Z[i] = sannip_element_z(tok[k->species]);
    if (!s->Z[i]) return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, line, k->species + 1, "atom %d: unknown element '%s'", i + 1, tok[k->species]);
    for (col = 0; col < 3; col++) {
        const char *t = tok[k->pos + col];
        if ((r = sannip__num_code(t, &s->pos[3 * i + col])) != SANNIP_SUCCESS) return sannip__fail(err, r, line, k->pos + col + 1, "atom %d: coordinate '%s' is not a finite number", i + 1, t);
        if (!(fabs(s->pos[3 * i + col]) <= SANNIP_MAX_COORD)) return sannip__fail(err, SANNIP_TOO_BIG, line, k->pos + col + 1, "atom %d: coordinate '%s' is beyond SANNIP_MAX_COORD (%g)", i + 1, t, (double)SANNIP_MAX_COORD);
    }
    if (k->forces >= 0) for (col = 0; col < 3; col++) if (!sannip__num(tok[k->forces + col], &s->forces[3 * i + col])) return sannip__fail(err, SANNIP_PARSE_ERROR, line, k->forces + col + 1, "atom %d: force '%s' is not a finite number", i + 1, tok[k->forces + col]);
    if (k->field >= 0) for (col = 0; col < 3; col++) if (!sannip__num(tok[k->field + col], &s->fields[3 * i + col])) return sannip__fail(err, SANNIP_PARSE_ERROR, line, k->field + col + 1, "atom %d: effective field '%s' is not a finite number", i + 1, tok[k->field + col]);
    if (k->spin < 0) return SANNIP_SUCCESS;
    if (k->spin_dim == 1) {
        s->spins[3 * i] = s->spins[3 * i + 1] = 0;
        if (!sannip__num(tok[k->spin], &s->spins[3 * i + 2])) return sannip__fail(err, SANNIP_PARSE_ERROR, line, k->spin + 1, "atom %d: spin '%s' is not a finite number", i + 1, tok[k->spin]);
    } else for (col = 0; col < 3; col++) if (!sannip__num(tok[k->spin + col], &s->spins[3 * i + col])) return sannip__fail(err, SANNIP_PARSE_ERROR, line, k->spin + col + 1, "atom %d: spin '%s' is not a finite number", i + 1, tok[k->spin + col]);
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_read_xyz(sannip_structure *s, const char *text, size_t len, size_t *pos, int *line, sannip_error *err)
{
    /* ASE's extended XYZ: N / key=value comment (Lattice, Properties, energy, pbc, ...) /
       N lines of columns named by Properties (species:S:1:pos:R:3:forces:R:3:...) */
    sannip__cursor c;
    sannip__xyz_cols k;
    char *tok[64], comment[4096];
    int nt, bad, n, i;
    sannip_result r;
    if (!s || !text || !pos) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    memset(&c, 0, sizeof c);
    c.text = text; c.len = len; c.pos = *pos; c.line = line ? *line : 0;
    sannip_structure_uninit(s);
    nt = sannip__next_tokens(&c, tok, 63, err, &bad);
    if (bad) { r = SANNIP_PARSE_ERROR; goto fail; }
    if (nt == 0) { *pos = c.pos; if (line) *line = c.line; return SANNIP_END_OF_INPUT; }
    if (nt == 1 && !sannip__int(tok[0], &n) && sannip__is_count(tok[0]))   /* digits only, beyond int */
        SANNIP__RFAIL(SANNIP_TOO_BIG, 1, "atom count %.40s is too large (at most SANNIP_MAX_ATOMS = %d)", tok[0], SANNIP_MAX_ATOMS);
    if (nt != 1 || !sannip__int(tok[0], &n)) SANNIP__RFAIL(SANNIP_PARSE_ERROR, 1, "expected the atom count, found '%s'", tok[0]);
    if (n <= 0) SANNIP__RFAIL(SANNIP_PARSE_ERROR, 1, "atom count %d must be positive", n);
    if (n > SANNIP_MAX_ATOMS) SANNIP__RFAIL(SANNIP_TOO_BIG, 1, "atom count %d is too large (at most SANNIP_MAX_ATOMS = %d)", n, SANNIP_MAX_ATOMS);
    if ((i = sannip__next_line(&c)) <= 0) SANNIP__RFAIL(i == 0 ? SANNIP_TRUNCATED : SANNIP_PARSE_ERROR, 0, "missing comment line");
    strcpy(comment, c.buf);
    if ((r = sannip__xyz_properties(comment, &k, c.line, err)) != SANNIP_SUCCESS) goto fail;
    /* every atom line holds ncols tokens, so at least 2 ncols bytes: refuse a count the text
       cannot hold before allocating for it */
    if ((double)n * 2 * k.ncols > (double)(c.len - c.pos) + 1)
        SANNIP__RFAIL(SANNIP_TRUNCATED, 1, "%d atoms declared but only %zu bytes remain", n, (size_t)(c.len - c.pos));
    if ((r = sannip_structure_resize(s, n, k.forces >= 0, k.spin >= 0, err)) != SANNIP_SUCCESS) { if (err) err->line = c.line; goto fail; }
    if (k.field >= 0 && !(s->fields = (sannip_real *)sannip__calloc(&s->alloc, 3 * (size_t)n, sizeof(sannip_real))))
        SANNIP__RFAIL(SANNIP_OUT_OF_MEMORY, 0, "effective fields of %d atoms", n);
    if ((r = sannip__xyz_entries(comment, s, c.line, err)) != SANNIP_SUCCESS) goto fail;
    memcpy(s->comment, comment, sizeof s->comment - 1);
    s->comment[sizeof s->comment - 1] = 0;
    for (i = 0; i < n; i++) {
        nt = sannip__next_tokens(&c, tok, 63, err, &bad);
        if (bad) { r = SANNIP_PARSE_ERROR; goto fail; }
        if (nt == 0) SANNIP__RFAIL(SANNIP_TRUNCATED, 0, "file ends after %d of %d atoms", i, n);
        if ((r = sannip__xyz_atom(tok, nt, &k, i, s, c.line, err)) != SANNIP_SUCCESS) goto fail;
    }
    *pos = c.pos; if (line) *line = c.line;
    return SANNIP_SUCCESS;
fail:
    sannip_structure_uninit(s);
    return r;
}

SANNIP_API void sannip_write_n2p2(sannip_text *t, const sannip_structure *s, const sannip_real *energy, const sannip_real *forces)
{
    int i, a;
    const sannip_real *F = forces ? forces : s->forces;
    sannip_text_printf(t, "begin\ncomment %s\n", s->comment[0] ? s->comment : "written by sannip");
    if (s->pbc[0] || s->pbc[1] || s->pbc[2])
        for (i = 0; i < 3; i++) { sannip_text_printf(t, "lattice"); for (a = 0; a < 3; a++) sannip_text_real(t, s->cell[3 * i + a]); sannip_text_printf(t, "\n"); }
    for (i = 0; i < s->n; i++) {
        sannip_text_printf(t, "atom");
        for (a = 0; a < 3; a++) sannip_text_real(t, s->pos[3 * i + a]);
        sannip_text_printf(t, " %s", sannip_element_symbol(s->Z[i]));
        sannip_text_real(t, s->charges ? s->charges[i] : 0);
        sannip_text_real(t, 0);
        for (a = 0; a < 3; a++) sannip_text_real(t, F ? F[3 * i + a] : 0);
        sannip_text_printf(t, "\n");
    }
    sannip_text_printf(t, "energy"); sannip_text_real(t, energy ? *energy : s->energy);
    sannip_text_printf(t, "\ncharge 0\nend\n");
}

/* n reals separated by single spaces, as sannip_format_real writes them. */
static void sannip__text_reals(sannip_text *t, const sannip_real *v, int n)
{
    int a;
    for (a = 0; a < n; a++) { char nb[64]; sannip_format_real(nb, sizeof nb, v[a]); sannip_text_printf(t, a ? " %s" : "%s", nb); }
}
/* An extended-XYZ key or column name: non-empty, no blanks, '=', '"' (nor ':' if colon). */
static int sannip__xyz_name_ok(const char *s, int colon)
{
    if (!s || !*s) return 0;
    for (; *s; s++) if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '=' || *s == '"' || (colon && *s == ':')) return 0;
    return 1;
}
static sannip_result sannip__xyz_check(const sannip_structure *s, const sannip_xyz_column *cols, int ncols,
                                       const sannip_xyz_info *info, int ninfo, sannip_error *err)
{
    int k;
    if (!s || ncols < 0 || ninfo < 0 || (ncols && !cols) || (ninfo && !info))
        return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument or negative count");
    for (k = 0; k < ncols; k++) {
        if (!sannip__xyz_name_ok(cols[k].name, 1)) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "column %d: bad name", k + 1);
        if (cols[k].width < 1 || cols[k].width > 9) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "column %s: width %d (1..9)", cols[k].name, cols[k].width);
        if (s->n > 0 && !cols[k].values) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "column %s: no values", cols[k].name);
    }
    for (k = 0; k < ninfo; k++) {
        const sannip_xyz_info *e = &info[k];
        if (!sannip__xyz_name_ok(e->key, 0)) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "entry %d: bad key", k + 1);
        if (e->text ? strpbrk(e->text, "\"\n\r") != NULL : (e->width < 1 || e->width > 9 || !e->values))
            return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "entry %s: bad value (a text without '\"' or line breaks, or 1..9 numbers)", e->key);
    }
    return SANNIP_SUCCESS;
}
/* key=value of one comment-line entry (quoting as documented at sannip_xyz_info). */
static void sannip__xyz_info_write(sannip_text *t, const sannip_xyz_info *e)
{
    if (e->text) {
        int quote = !e->text[0] || strpbrk(e->text, " \t") != NULL;
        sannip_text_printf(t, quote ? "%s=\"%s\"" : "%s=%s", e->key, e->text);
        return;
    }
    sannip_text_printf(t, e->width > 1 ? "%s=\"" : "%s=", e->key);
    sannip__text_reals(t, e->values, e->width);
    if (e->width > 1) sannip_text_printf(t, "\"");
}

SANNIP_API sannip_result sannip_write_xyz_ex(sannip_text *t, const sannip_structure *s, const sannip_real *energy,
        const sannip_real *forces, const sannip_real *virial, const sannip_xyz_column *cols, int ncols,
        const sannip_xyz_info *info, int ninfo, sannip_error *err)
{
    int i, a, k;
    const sannip_real *F, *W;
    sannip_result r;
    if (!t) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL text buffer");
    if ((r = sannip__xyz_check(s, cols, ncols, info, ninfo, err)) != SANNIP_SUCCESS) return r;
    F = forces ? forces : s->forces;
    W = virial ? virial : (s->has_virial ? s->virial : NULL);
    sannip_text_printf(t, "%d\n", s->n);
    for (k = 0; k < ninfo; k++) if (info[k].first) { sannip__xyz_info_write(t, &info[k]); sannip_text_printf(t, " "); }
    if (s->pbc[0] || s->pbc[1] || s->pbc[2]) {
        sannip_text_printf(t, "Lattice=\"");
        sannip__text_reals(t, s->cell, 9);
        sannip_text_printf(t, "\" ");
    }
    sannip_text_printf(t, "Properties=species:S:1:pos:R:3%s%s%s", F ? ":forces:R:3" : "", s->spins ? ":magmoms:R:3" : "", s->fields ? ":magnetic_forces:R:3" : "");
    for (k = 0; k < ncols; k++) sannip_text_printf(t, ":%s:R:%d", cols[k].name, cols[k].width);
    if (energy || s->has_energy) { char nb[64]; sannip_format_real(nb, sizeof nb, energy ? *energy : s->energy); sannip_text_printf(t, " energy=%s", nb); }
    if (W) {
        sannip_text_printf(t, " virial=\"");
        sannip__text_reals(t, W, 9);
        sannip_text_printf(t, "\"");
    }
    sannip_text_printf(t, " pbc=\"%c %c %c\"", s->pbc[0] ? 'T' : 'F', s->pbc[1] ? 'T' : 'F', s->pbc[2] ? 'T' : 'F');
    for (k = 0; k < ninfo; k++) if (!info[k].first) { sannip_text_printf(t, " "); sannip__xyz_info_write(t, &info[k]); }
    sannip_text_printf(t, "\n");
    for (i = 0; i < s->n; i++) {
        sannip_text_printf(t, "%-2s", sannip_element_symbol(s->Z[i]));
        for (a = 0; a < 3; a++) sannip_text_real(t, s->pos[3 * i + a]);
        if (F) for (a = 0; a < 3; a++) sannip_text_real(t, F[3 * i + a]);
        if (s->spins) for (a = 0; a < 3; a++) sannip_text_real(t, s->spins[3 * i + a]);
        if (s->fields) for (a = 0; a < 3; a++) sannip_text_real(t, s->fields[3 * i + a]);
        for (k = 0; k < ncols; k++) for (a = 0; a < cols[k].width; a++) sannip_text_real(t, cols[k].values[(size_t)cols[k].width * i + a]);
        sannip_text_printf(t, "\n");
    }
    if (t->failed) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "extended XYZ text of %d atoms", s->n);
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
SANNIP_API void sannip_write_xyz(sannip_text *t, const sannip_structure *s, const sannip_real *energy,
        const sannip_real *forces, const sannip_real *virial, const sannip_real *atom_energy)
{
    sannip_xyz_column e;
    e.name = "energies"; e.width = 1; e.values = atom_energy;
    (void)sannip_write_xyz_ex(t, s, energy, forces, virial, &e, atom_energy ? 1 : 0, NULL, 0, NULL);
}

/* data sets ------------------------------------------------------------------------------ */
SANNIP_API void sannip_dataset_init(sannip_dataset *d, const sannip_allocator *alloc)
{
    memset(d, 0, sizeof *d);
    d->alloc = sannip__alloc_copy(alloc);
}
SANNIP_API void sannip_dataset_uninit(sannip_dataset *d)
{
    int i;
    for (i = 0; i < d->n; i++) sannip_structure_uninit(&d->s[i]);
    sannip_free(&d->alloc, d->s);
    d->s = NULL; d->n = d->cap = 0;
}
/* Room for one more structure; d->s[d->n] is then an empty structure with d's allocator. */
static sannip_result sannip__dataset_slot(sannip_dataset *d, int line, sannip_error *err)
{
    void *p = d->s;
    size_t cap = (size_t)d->cap;
    sannip_result r;
    if ((r = sannip__grow(&d->alloc, &p, &cap, (size_t)d->n + 1, sizeof(sannip_structure))) != SANNIP_SUCCESS)
        return sannip__fail(err, r, line, 0, "data set of %d structures", d->n + 1);
    d->s = (sannip_structure *)p; d->cap = (int)cap;
    sannip_structure_init(&d->s[d->n], &d->alloc);
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_dataset_read_mem(sannip_dataset *d, const char *text, size_t len, sannip_error *err)
{
    size_t pos = 0, k = 0;
    int line = 0, n2p2, r, first = d ? d->n : 0;
    if (!d || !text) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    while (k < len && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r' || text[k] == '\n')) k++;
    n2p2 = len - k >= 5 && strncmp(text + k, "begin", 5) == 0;
    for (;;) {
        if ((r = sannip__dataset_slot(d, line, err)) != SANNIP_SUCCESS) return (sannip_result)r;
        r = n2p2 ? sannip_read_n2p2(&d->s[d->n], text, len, &pos, &line, err) : sannip_read_xyz(&d->s[d->n], text, len, &pos, &line, err);
        if (r == SANNIP_END_OF_INPUT) break;
        if (r != SANNIP_SUCCESS) {
            char pre[64];
            snprintf(pre, sizeof pre, "structure %d: ", d->n - first + 1);
            sannip__err_prefix(err, pre);
            return (sannip_result)r;
        }
        d->n++;
    }
    if (d->n == first) return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "no structures");
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
/* Copies n items of size sz from src into a fresh block of a's (NULL src: NULL). */
static int sannip__copy_array(const sannip_allocator *a, void **dst, const void *src, size_t n, size_t sz)
{
    *dst = NULL;
    if (!src) return 1;
    if (!(*dst = sannip__calloc(a, n, sz))) return 0;
    memcpy(*dst, src, n * sz);
    return 1;
}
SANNIP_API sannip_result sannip_dataset_append(sannip_dataset *d, const sannip_structure *s, sannip_error *err)
{
    sannip_structure c;
    sannip_result r;
    void *pos = NULL, *Z = NULL, *F = NULL, *S = NULL, *Q = NULL, *H = NULL;
    size_t n;
    int ok;
    if (!d || !s || s->n < 0 || (s->n > 0 && (!s->pos || !s->Z)))
        return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument, negative atom count or missing positions/elements");
    if (s->n > SANNIP_MAX_ATOMS) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "%d atoms exceed SANNIP_MAX_ATOMS", s->n);
    n = (size_t)s->n;
    ok = sannip__copy_array(&d->alloc, &pos, s->pos, 3 * n, sizeof(sannip_real)) && sannip__copy_array(&d->alloc, &Z, s->Z, n, sizeof(int))
      && sannip__copy_array(&d->alloc, &F, s->forces, 3 * n, sizeof(sannip_real))
      && sannip__copy_array(&d->alloc, &S, s->spins, 3 * n, sizeof(sannip_real))
      && sannip__copy_array(&d->alloc, &Q, s->charges, n, sizeof(sannip_real))
      && sannip__copy_array(&d->alloc, &H, s->fields, 3 * n, sizeof(sannip_real));
    c = *s;                                   /* scalars, cell, pbc, comment */
    c.alloc = d->alloc;
    c.pos = (sannip_real *)pos; c.Z = (int *)Z; c.forces = (sannip_real *)F; c.spins = (sannip_real *)S; c.charges = (sannip_real *)Q;
    c.fields = (sannip_real *)H;
    if (!ok) {
        sannip_structure_uninit(&c);
        return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "copy of a structure of %d atoms", s->n);
    }
    if ((r = sannip__dataset_slot(d, 0, err)) != SANNIP_SUCCESS) { sannip_structure_uninit(&c); return r; }
    d->s[d->n++] = c;
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

/* callbacks (no file system) -------------------------------------------------------------- */
#define SANNIP__IO_PIECE 65536
/* Room for need bytes in *buf (capacity *cap): doubles, but never beyond most bytes. Without a
   realloc_fn in a custom allocator it copies into a fresh block (no realloc needed). */
static int sannip__io_room(const sannip_allocator *a, char **buf, size_t *cap, size_t n, size_t need, size_t most)
{
    size_t ncap;
    char *q;
    if (need <= *cap && *buf) return 1;
    ncap = *cap > most / 2 ? most : 2 * *cap;
    if (ncap < 4096) ncap = 4096 < most ? 4096 : most;
    if (ncap < need) ncap = need;
    if (*buf && !(a && a->alloc_fn && !a->realloc_fn)) q = (char *)sannip__realloc(a, *buf, ncap);
    else {
        if ((q = (char *)sannip__malloc(a, ncap)) != NULL && *buf) memcpy(q, *buf, n);
        if (q) sannip_free(a, *buf);
    }
    if (!q) return 0;
    *buf = q; *cap = ncap;
    return 1;
}
SANNIP_API sannip_result sannip_read_callbacks(const sannip_io_callbacks *io, void *user, const sannip_allocator *alloc,
                                               size_t max_bytes, char **out, size_t *len, sannip_error *err)
{
    char *buf = NULL;
    size_t n = 0, cap = 0, limit = max_bytes ? max_bytes : SANNIP_MAX_READ_BYTES;
    if (!io || !io->read || !out) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument (callbacks, their read function or the output)");
    if (limit > SIZE_MAX - 2) limit = SIZE_MAX - 2;
    for (;;) {
        /* ask for one byte beyond the limit, so that a longer input is told from one that fits */
        size_t want = limit + 1 - n;
        int got;
        if (want > SANNIP__IO_PIECE) want = SANNIP__IO_PIECE;
        if (io->eof && io->eof(user)) break;
        if (!sannip__io_room(alloc, &buf, &cap, n, n + want + 1, limit + 2)) {
            sannip_free(alloc, buf);
            return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "reading from callbacks: no memory for %zu bytes", n + want + 1);
        }
        got = io->read(user, buf + n, (int)want);
        if (got < 0 || (size_t)got > want) {
            sannip_free(alloc, buf);
            return sannip__fail(err, SANNIP_IO_ERROR, 0, 0, "read callback failed: it returned %d (asked for %zu bytes) after %zu bytes", got, want, n);
        }
        if (got == 0) break;
        n += (size_t)got;
        if (n > limit) {
            sannip_free(alloc, buf);
            return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "input from callbacks is longer than the limit of %zu bytes", limit);
        }
    }
    if (!sannip__io_room(alloc, &buf, &cap, n, n + 1, limit + 2)) {
        sannip_free(alloc, buf);
        return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "reading from callbacks: no memory for %zu bytes", n + 1);
    }
    buf[n] = 0;
    *out = buf;
    if (len) *len = n;
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_write_callbacks(const char *data, size_t len, sannip_write_fn writer, void *user, sannip_error *err)
{
    size_t done = 0;
    if (!writer || (!data && len)) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument (data or write callback)");
    while (done < len) {
        size_t piece = len - done < SANNIP__IO_PIECE ? len - done : SANNIP__IO_PIECE;
        int r = writer(user, data + done, piece);
        if (r != 0) return sannip__fail(err, SANNIP_IO_ERROR, 0, 0, "write callback failed: it returned %d for bytes %zu..%zu of %zu", r, done, done + piece, len);
        done += piece;
    }
    sannip__ok(err);
    return SANNIP_SUCCESS;
}
#undef SANNIP__IO_PIECE
/* The loaders' adapters: each parses a whole text with its memory function. */
static sannip_result sannip__parse_model(void *m, const char *t, size_t n, sannip_error *err) { return sannip_model_load_mem((sannip_model *)m, t, n, err); }
static sannip_result sannip__parse_dataset(void *d, const char *t, size_t n, sannip_error *err) { return sannip_dataset_read_mem((sannip_dataset *)d, t, n, err); }
static sannip_result sannip__parse_descriptors(void *d, const char *t, size_t n, sannip_error *err)
{
    const char *nul = (const char *)memchr(t, 0, n);
    if (nul) {   /* sannip_descriptors_parse would stop there without a word */
        int line = 1;
        const char *p;
        for (p = t; p < nul; p++) line += *p == '\n';
        return sannip__fail(err, SANNIP_PARSE_ERROR, line, 0, "NUL byte at offset %zu: binary data in a descriptor definition", (size_t)(nul - t));
    }
    return sannip_descriptors_parse((sannip_descriptors *)d, t, err);
}
/* Reads everything io delivers (sannip_read_callbacks, default limit) and hands the text to
   parse(obj, text, len, err). The one way every *_callbacks loader works. */
static sannip_result sannip__load_text_callbacks(const sannip_io_callbacks *io, void *user, const sannip_allocator *alloc,
        sannip_result (*parse)(void *, const char *, size_t, sannip_error *), void *obj, sannip_error *err)
{
    char *text = NULL;
    size_t len = 0;
    sannip_result r;
    if (!obj) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if ((r = sannip_read_callbacks(io, user, alloc, 0, &text, &len, err)) != SANNIP_SUCCESS) return r;
    r = parse(obj, text, len, err);
    sannip_free(alloc, text);
    return r;
}
SANNIP_API sannip_result sannip_model_load_callbacks(sannip_model *m, const sannip_io_callbacks *io, void *user, sannip_error *err)
{
    if (!m) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "model is NULL");
    return sannip__load_text_callbacks(io, user, &m->alloc, sannip__parse_model, m, err);
}
SANNIP_API sannip_result sannip_descriptors_parse_callbacks(sannip_descriptors *d, const sannip_io_callbacks *io, void *user, sannip_error *err)
{
    if (!d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    return sannip__load_text_callbacks(io, user, &d->alloc, sannip__parse_descriptors, d, err);
}
SANNIP_API sannip_result sannip_dataset_read_callbacks(sannip_dataset *d, const sannip_io_callbacks *io, void *user, sannip_error *err)
{
    if (!d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    return sannip__load_text_callbacks(io, user, &d->alloc, sannip__parse_dataset, d, err);
}
SANNIP_API sannip_result sannip_model_save_callbacks(const sannip_model *m, sannip_write_fn writer, void *user, sannip_error *err)
{
    char *text = NULL;
    size_t len = 0;
    sannip_result r;
    if (!m || !writer) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument (model or write callback)");
    if ((r = sannip_model_save_mem(m, &text, &len, err)) != SANNIP_SUCCESS) return r;
    r = sannip_write_callbacks(text, len, writer, user, err);
    sannip_free(&m->alloc, text);
    return r;
}

#ifndef SANNIP_NO_STDIO
SANNIP_API sannip_result sannip_read_file(const char *path, const sannip_allocator *alloc, char **out, size_t *len, sannip_error *err)
{
    FILE *f;
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    if (!path || !out) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
#ifdef SANNIP__POSIX_FILES
    {   /* fopen opens a directory and the first read fails: say what it is instead */
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return sannip__fail(err, SANNIP_IO_ERROR, 0, 0, "'%s' is a directory, not a file", path);
    }
#endif
    f = fopen(path, "rb");
    if (!f) return sannip__fail(err, SANNIP_MISSING_FILE, 0, 0, "cannot open '%s'", path);
    for (;;) {
        void *p = buf;
        if (sannip__grow(alloc, &p, &cap, n + 65536 + 1, 1) != SANNIP_SUCCESS) { sannip_free(alloc, buf); fclose(f); return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "reading '%s'", path); }
        buf = (char *)p;
        got = fread(buf + n, 1, 65536, f);
        n += got;
        if (got < 65536) break;
    }
    if (ferror(f)) {
        int e = errno;
        sannip_free(alloc, buf); fclose(f);
#ifdef EISDIR
        if (e == EISDIR) return sannip__fail(err, SANNIP_IO_ERROR, 0, 0, "'%s' is a directory, not a file", path);
#endif
        return sannip__fail(err, SANNIP_IO_ERROR, 0, 0, "read error on '%s': %s", path, strerror(e));
    }
    fclose(f);
    buf[n] = 0;
    *out = buf;
    if (len) *len = n;
    return SANNIP_SUCCESS;
}
/* A name for the temporary of path: "PATH.tmp" and 12 hex digits from the process, the
   time, an address on this thread's stack and the attempt k (no global state). */
static void sannip__tmp_name(char *out, size_t size, const char *path, int k)
{
    char here = 0;
    uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20) ^ ((uint64_t)(uintptr_t)&here << 7) ^ (uint64_t)k * 0x9E3779B97F4A7C15ull, h;
#ifdef SANNIP__POSIX_FILES
    x ^= (uint64_t)getpid() << 40;
#endif
    h = sannip__splitmix64(&x);
    snprintf(out, size, "%s.tmp%012llx", path, (unsigned long long)(h & 0xFFFFFFFFFFFFull));
}
#ifdef SANNIP__POSIX_FILES
/* fchmod is POSIX but hidden by glibc in strict ISO C builds without _POSIX_C_SOURCE: there
   the new file keeps the old mode less the umask (open's mode argument). */
#if !defined(__GLIBC__) || defined(__USE_POSIX199309) || defined(__USE_XOPEN_EXTENDED)
#define SANNIP__FCHMOD(fd, mode) fchmod(fd, mode)
#else
#define SANNIP__FCHMOD(fd, mode) 0
#endif
#ifdef O_NOFOLLOW
#define SANNIP__O_NOFOLLOW O_NOFOLLOW
#else
#define SANNIP__O_NOFOLLOW 0
#endif
#ifdef O_CLOEXEC
#define SANNIP__O_CLOEXEC O_CLOEXEC
#else
#define SANNIP__O_CLOEXEC 0
#endif
/* fsync of the directory holding path, so that the rename survives a crash; best effort
   (not every file system syncs directories). */
static void sannip__sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    int fd;
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (!slash) strcpy(dir, ".");
    else if (n == 0) strcpy(dir, "/");
    else { if (n >= sizeof dir) return; memcpy(dir, path, n); dir[n] = 0; }
    fd = open(dir, O_RDONLY | SANNIP__O_CLOEXEC);
    if (fd < 0) return;
    (void)fsync(fd);
    close(fd);
}
SANNIP_API sannip_result sannip_write_file_atomic(const char *path, const char *data, size_t len, sannip_error *err)
{
    char tmp[4096];
    struct stat st;
    const char *step;
    mode_t mode = 0666;
    int fd = -1, k, e, old = 0;
    size_t done = 0;
    if (!path || !data) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if (!*path) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "empty path");
    if (strlen(path) + 20 > sizeof tmp) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "path too long (%zu bytes): '%.100s...'", strlen(path), path);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) { old = 1; mode = st.st_mode & 0777; }
    /* O_CREAT | O_EXCL fails on any existing name, a symlink included (POSIX open()) */
    for (k = 0; ; k++) {
        sannip__tmp_name(tmp, sizeof tmp, path, k);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | SANNIP__O_NOFOLLOW | SANNIP__O_CLOEXEC, mode);
        if (fd >= 0) break;
        if ((errno != EEXIST && errno != EINTR) || k >= 99) {
            e = errno;
            return sannip__fail(err, SANNIP_IO_ERROR, 0, 0, "saving '%s': cannot create the temporary file '%s': %s", path, tmp, strerror(e));
        }
    }
    step = "set the permissions of";
    if (old && SANNIP__FCHMOD(fd, mode) != 0) goto fail;
    step = "write";
    while (done < len) {
        size_t chunk = len - done < ((size_t)1 << 30) ? len - done : ((size_t)1 << 30);
        ssize_t w = write(fd, data + done, chunk);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { if (w == 0) errno = EIO; goto fail; }
        done += (size_t)w;
    }
    step = "sync";
    if (fsync(fd) != 0 && errno != EINVAL) goto fail;   /* EINVAL: the file system cannot sync */
    step = "close";
    e = close(fd);
    fd = -1;
    if (e != 0) goto fail;
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return sannip__fail(err, SANNIP_IO_ERROR, 0, 0, "saving '%s': cannot rename the temporary file '%s' to it: %s", path, tmp, strerror(e));
    }
    sannip__sync_dir(path);
    return SANNIP_SUCCESS;
fail:
    e = errno;
    if (fd >= 0) close(fd);
    unlink(tmp);
    return sannip__fail(err, SANNIP_IO_ERROR, 0, 0, "saving '%s': cannot %s the temporary file '%s': %s", path, step, tmp, strerror(e));
}
#undef SANNIP__FCHMOD
#undef SANNIP__O_NOFOLLOW
#undef SANNIP__O_CLOEXEC
#else
/* Portable fallback: a unique name that does not exist yet (C11 "x" mode where available),
   then rename; where rename does not replace an existing file, the old one is removed first. */
SANNIP_API sannip_result sannip_write_file_atomic(const char *path, const char *data, size_t len, sannip_error *err)
{
    char tmp[4096];
    FILE *f = NULL;
    int k;
    if (!path || !data) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if (!*path) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "empty path");
    if (strlen(path) + 20 > sizeof tmp) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "path too long (%zu bytes): '%.100s...'", strlen(path), path);
    for (k = 0; k < 100 && !f; k++) {
        sannip__tmp_name(tmp, sizeof tmp, path, k);
        if ((f = fopen(tmp, "rb")) != NULL) { fclose(f); f = NULL; continue; }   /* taken */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
        f = fopen(tmp, "wbx");
#else
        f = fopen(tmp, "wb");
#endif
    }
    if (!f) return sannip__fail(err, SANNIP_IO_ERROR, 0, 0, "saving '%s': cannot create the temporary file '%s'", path, tmp);
    if (fwrite(data, 1, len, f) != len || fflush(f) != 0) { fclose(f); remove(tmp); return sannip__fail(err, SANNIP_IO_ERROR, 0, 0, "saving '%s': cannot write the temporary file '%s'", path, tmp); }
    if (fclose(f) != 0) { remove(tmp); return sannip__fail(err, SANNIP_IO_ERROR, 0, 0, "saving '%s': cannot close the temporary file '%s'", path, tmp); }
    if (rename(tmp, path) != 0 && (remove(path), rename(tmp, path) != 0)) {
        remove(tmp);
        return sannip__fail(err, SANNIP_IO_ERROR, 0, 0, "saving '%s': cannot rename the temporary file '%s' to it", path, tmp);
    }
    return SANNIP_SUCCESS;
}
#endif
#undef SANNIP__POSIX_FILES
SANNIP_API sannip_result sannip_model_save_file(const sannip_model *m, const char *path, sannip_error *err)
{
    char *text;
    size_t len;
    sannip_result r = sannip_model_save_mem(m, &text, &len, err);
    if (r) return r;
    r = sannip_write_file_atomic(path, text, len, err);
    sannip_free(&m->alloc, text);
    return r;
}
/* Reads path and hands its text to parse(obj, text, len, err); errors are prefixed with
   "path:line: ". The one way every *_load_file / *_read_file works. */
static sannip_result sannip__load_text_file(const char *path, const sannip_allocator *alloc, sannip__text_parser parse,
                                            void *obj, sannip_error *err)
{
    char *text;
    size_t len;
    sannip_result r;
    if (!obj) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if ((r = sannip_read_file(path, alloc, &text, &len, err)) != SANNIP_SUCCESS) return r;
    r = parse(obj, text, len, err);
    sannip_free(alloc, text);
    if (r && err) {
        char pre[300];
        snprintf(pre, sizeof pre, "%.200s:%d: ", path, err->line);
        sannip__err_prefix(err, pre);
    }
    return r;
}
SANNIP_API sannip_result sannip_model_load_file(sannip_model *m, const char *path, sannip_error *err)
{
    if (!m) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "model is NULL");
    return sannip__load_text_file(path, &m->alloc, sannip__parse_model, m, err);
}
SANNIP_API sannip_result sannip_dataset_read_file(sannip_dataset *d, const char *path, sannip_error *err)
{
    if (!d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    return sannip__load_text_file(path, &d->alloc, sannip__parse_dataset, d, err);
}
#endif

/* ---- 12. N2P2 ------------------------------------------------------------------------- */
/* n2p2's per-element order of symmetry functions (SymFnc*::operator<): type, cutoff, rc,
   eta, rs, then zeta, lambda (angular) and the neighbour element indices (by Z). */
typedef struct sannip__n2p2sf {
    sannip_basis b;
    int type;
    sannip_real rs_raw;
    int e1, e2;    /* element indices in ascending Z, e1 <= e2 */
} sannip__n2p2sf;

static int sannip__n2p2_less(const sannip__n2p2sf *x, const sannip__n2p2sf *y)
{
#define SANNIP__CMP(a, b) do { if ((a) < (b)) return 1; if ((a) > (b)) return 0; } while (0)
    int ang = x->type == 3 || x->type == 9 || x->type == 13;
    SANNIP__CMP(x->type, y->type);
    SANNIP__CMP(x->b.cut[0].rc, y->b.cut[0].rc);
    SANNIP__CMP(x->b.eta, y->b.eta);
    SANNIP__CMP(x->rs_raw, y->rs_raw);
    if (ang) { SANNIP__CMP(x->b.zeta, y->b.zeta); SANNIP__CMP(x->b.lambda, y->b.lambda); }
    if (x->type == 2 || x->type == 3 || x->type == 9) SANNIP__CMP(x->e1, y->e1);
    if (x->type == 3 || x->type == 9) SANNIP__CMP(x->e2, y->e2);
    return 0;
#undef SANNIP__CMP
}

/* The first of sf[0..nsf) for element Z in n2p2's order among those not yet taken (type > 0);
   nsf when none is left. */
static size_t sannip__n2p2_next(const sannip__n2p2sf *sf, size_t nsf, int Z)
{
    size_t a, best = nsf;
    for (a = 0; a < nsf; a++) if (sf[a].b.center == Z && sf[a].type > 0 && (best == nsf || sannip__n2p2_less(&sf[a], &sf[best]))) best = a;
    return best;
}

/* Next line of a settings text; returns tokens (0 at end). */
static int sannip__n2p2_line(sannip__cursor *c, char **tok, int max)
{
    int bad;
    return sannip__next_tokens(c, tok, max, NULL, &bad);
}

/* The input.nn settings the import uses. */
typedef struct sannip__n2p2_settings {
    int ne, Zs[SANNIP_MAX_ELEMENTS], nexp, line_elements;   /* Zs: ascending once checked */
    int nhid, nnodes, nodes[SANNIP_MAX_LAYERS], nacts, acts[SANNIP_MAX_LAYERS + 1];
    int scale, center, sigma, norm_nodes;
    int have_cut, have_mean, have_conv_e, have_conv_l;
    sannip_real smin, smax, mean_e, conv_e, conv_l, offs[SANNIP_MAX_ELEMENTS];
    sannip_cutoff cs;
} sannip__n2p2_settings;

#define SANNIP__NN_FAIL(line, code, field, ...) return sannip__fail(err, code, line, field, "input.nn:" __VA_ARGS__)
#define SANNIP__TRY(expr) do { sannip_result r_ = (expr); if (r_ != SANNIP_SUCCESS) return r_; } while (0)

/* 'elements S_1 .. S_n' */
static sannip_result sannip__n2p2_set_elements(sannip__n2p2_settings *s, char **tok, int nt, int line, sannip_error *err)
{
    int i;
    s->line_elements = line;
    s->ne = nt - 1;
    if (s->ne < 1 || s->ne > SANNIP_MAX_ELEMENTS) SANNIP__NN_FAIL(line, SANNIP_TOO_BIG, 2, "%d: %d elements (1..%d)", line, s->ne, SANNIP_MAX_ELEMENTS);
    for (i = 0; i < s->ne; i++) {
        s->Zs[i] = sannip_element_z(tok[1 + i]);
        if (!s->Zs[i]) SANNIP__NN_FAIL(line, SANNIP_UNKNOWN_ELEMENT, 2 + i, "%d: unknown element '%s'", line, tok[1 + i]);
    }
    return SANNIP_SUCCESS;
}
/* 'cutoff_type TYPE [ALPHA]', read by the descriptor-file parser into s->cs. */
static sannip_result sannip__n2p2_set_cutoff(sannip__n2p2_settings *s, char **tok, int nt, int line, sannip_error *err)
{
    sannip_basis dummy;
    char l2[256];
    snprintf(l2, sizeof l2, "cutoff_type %s %s", nt > 1 ? tok[1] : "", nt > 2 ? tok[2] : "");
    if (err) err->line = line;
    if (sannip_basis_parse(&dummy, l2, &s->cs, err) != SANNIP_END_OF_INPUT) return err ? err->code : SANNIP_BAD_CUTOFF;
    s->have_cut = 1;
    return SANNIP_SUCCESS;
}
/* 'global_nodes_short n_1 .. n_h': hidden-layer widths, each 1..SANNIP_MAX_LAYER_WIDTH. */
static sannip_result sannip__n2p2_set_nodes(sannip__n2p2_settings *s, char **tok, int nt, int line, sannip_error *err)
{
    int i;
    s->nnodes = nt - 1;
    if (s->nnodes > SANNIP_MAX_LAYERS) SANNIP__NN_FAIL(line, SANNIP_TOO_BIG, 2, "%d: too many layers", line);
    for (i = 0; i < s->nnodes; i++)
        if (!sannip__int(tok[1 + i], &s->nodes[i]) || s->nodes[i] < 1 || s->nodes[i] > SANNIP_MAX_LAYER_WIDTH)
            SANNIP__NN_FAIL(line, SANNIP_PARSE_ERROR, 2 + i, "%d: bad node count '%s'", line, tok[1 + i]);
    return SANNIP_SUCCESS;
}
/* 'global_activation_short a_1 .. a_h [a_out]': one letter each. */
static sannip_result sannip__n2p2_set_activations(sannip__n2p2_settings *s, char **tok, int nt, int line, sannip_error *err)
{
    int i;
    s->nacts = nt - 1;
    if (s->nacts > SANNIP_MAX_LAYERS + 1) SANNIP__NN_FAIL(line, SANNIP_TOO_BIG, 2, "%d: too many activations", line);
    for (i = 0; i < s->nacts; i++) {
        s->acts[i] = strlen(tok[1 + i]) == 1 ? sannip_activation_parse(tok[1 + i]) : -1;
        if (s->acts[i] < 0) SANNIP__NN_FAIL(line, SANNIP_UNSUPPORTED, 2 + i, "%d: unknown n2p2 activation '%s'", line, tok[1 + i]);
    }
    return SANNIP_SUCCESS;
}
/* 'mean_energy', 'conv_energy', 'conv_length', 'scale_min_short', 'scale_max_short' VALUE. */
static sannip_result sannip__n2p2_set_number(sannip__n2p2_settings *s, char **tok, int nt, int line, sannip_error *err)
{
    const char *key = tok[0];
    sannip_real v;
    if (nt < 2 || !sannip__num(tok[1], &v)) SANNIP__NN_FAIL(line, SANNIP_PARSE_ERROR, 2, "%d: %s needs a number", line, key);
    if (strcmp(key, "scale_min_short") == 0) s->smin = v;
    else if (strcmp(key, "scale_max_short") == 0) s->smax = v;
    else if (key[0] == 'm') { s->mean_e = v; s->have_mean = 1; }
    else if (key[5] == 'e') { s->conv_e = v; s->have_conv_e = 1; }
    else { s->conv_l = v; s->have_conv_l = 1; }
    return SANNIP_SUCCESS;
}
/* One input.nn keyword line (unknown keywords are n2p2 training settings: ignored). */
static sannip_result sannip__n2p2_keyword(sannip__n2p2_settings *s, char **tok, int nt, int line, sannip_error *err)
{
    const char *key = tok[0];
    if (nt > 63) SANNIP__NN_FAIL(line, SANNIP_PARSE_ERROR, 64, "%d: too many fields", line);
    if (strcmp(key, "number_of_elements") == 0) {
        if (nt < 2 || !sannip__int(tok[1], &s->nexp)) SANNIP__NN_FAIL(line, SANNIP_PARSE_ERROR, 2, "%d: number_of_elements needs an integer", line);
    } else if (strcmp(key, "elements") == 0) return sannip__n2p2_set_elements(s, tok, nt, line, err);
    else if (strcmp(key, "cutoff_type") == 0) return sannip__n2p2_set_cutoff(s, tok, nt, line, err);
    else if (strcmp(key, "scale_symmetry_functions") == 0) s->scale = 1;
    else if (strcmp(key, "center_symmetry_functions") == 0) s->center = 1;
    else if (strcmp(key, "scale_symmetry_functions_sigma") == 0) s->sigma = 1;
    else if (strcmp(key, "scale_min_short") == 0 || strcmp(key, "scale_max_short") == 0 || strcmp(key, "mean_energy") == 0
             || strcmp(key, "conv_energy") == 0 || strcmp(key, "conv_length") == 0) return sannip__n2p2_set_number(s, tok, nt, line, err);
    else if (strcmp(key, "global_hidden_layers_short") == 0) {
        if (nt < 2 || !sannip__int(tok[1], &s->nhid) || s->nhid < 0 || s->nhid >= SANNIP_MAX_LAYERS) SANNIP__NN_FAIL(line, SANNIP_PARSE_ERROR, 2, "%d: bad number of hidden layers", line);
    } else if (strcmp(key, "global_nodes_short") == 0) return sannip__n2p2_set_nodes(s, tok, nt, line, err);
    else if (strcmp(key, "global_activation_short") == 0) return sannip__n2p2_set_activations(s, tok, nt, line, err);
    else if (strcmp(key, "normalize_nodes") == 0) s->norm_nodes = 1;
    else if (strcmp(key, "nnp_type") == 0 || strcmp(key, "nnp_generation") == 0) {
        if (nt >= 2 && strcmp(tok[1], "0") != 0 && strcmp(tok[1], "2") != 0 && strcmp(tok[1], "2G-HDNNP") != 0)
            SANNIP__NN_FAIL(line, SANNIP_UNSUPPORTED, 2, "%d: nnp_type %s (only short-range 2G-HDNNP potentials are supported)", line, tok[1]);
    } else if (strncmp(key, "element_", 8) == 0 && strstr(key, "_short")) {
        SANNIP__NN_FAIL(line, SANNIP_UNSUPPORTED, 1, "%d: per-element network settings (%s) are not supported yet", line, key);
    }
    return SANNIP_SUCCESS;
}
/* Pass 1 over input.nn: every keyword (n2p2 reads them all before building symmetry
   functions). */
static sannip_result sannip__n2p2_read_settings(sannip__n2p2_settings *s, const char *input_nn, sannip_error *err)
{
    sannip__cursor c;
    char *tok[64];
    int nt;
    memset(s, 0, sizeof *s);
    s->nexp = s->nhid = s->nnodes = s->nacts = -1;
    s->smax = 1; s->conv_e = 1; s->conv_l = 1;
    memset(&c, 0, sizeof c); c.text = input_nn; c.len = strlen(input_nn);
    while ((nt = sannip__n2p2_line(&c, tok, 63)) > 0) SANNIP__TRY(sannip__n2p2_keyword(s, tok, nt, c.line, err));
    return SANNIP_SUCCESS;
}
/* The settings are complete and consistent; sorts the elements into n2p2's order (ascending Z). */
static sannip_result sannip__n2p2_check_settings(sannip__n2p2_settings *s, int n_weights, sannip_error *err)
{
    int i, k, ne = s->ne, *Zs = s->Zs;
    if (!ne) SANNIP__NN_FAIL(0, SANNIP_PARSE_ERROR, 0, "%d: no 'elements' keyword", 0);
    if (s->nexp >= 0 && s->nexp != ne) SANNIP__NN_FAIL(s->line_elements, SANNIP_PARSE_ERROR, 0, "%d: number_of_elements %d but %d elements listed", s->line_elements, s->nexp, ne);
    if (!s->have_cut) SANNIP__NN_FAIL(0, SANNIP_PARSE_ERROR, 0, "%d: no 'cutoff_type' keyword", 0);
    if (s->nhid < 0 || s->nnodes != s->nhid || s->nacts < s->nhid)
        SANNIP__NN_FAIL(0, SANNIP_PARSE_ERROR, 0, "%d: network keywords inconsistent (hidden layers %d, nodes %d, activations %d)", 0, s->nhid, s->nnodes, s->nacts);
    if ((s->have_mean || s->have_conv_e || s->have_conv_l) && !(s->have_mean && s->have_conv_e && s->have_conv_l))
        SANNIP__NN_FAIL(0, SANNIP_PARSE_ERROR, 0, "%d: mean_energy, conv_energy and conv_length must be given together", 0);
    if (!(s->conv_e > 0) || !(s->conv_l > 0)) SANNIP__NN_FAIL(0, SANNIP_BAD_PARAMETER, 0, "%d: conv_energy and conv_length must be > 0", 0);
    for (i = 1; i < ne; i++) for (k = i; k > 0 && Zs[k - 1] > Zs[k]; k--) { int t = Zs[k]; Zs[k] = Zs[k - 1]; Zs[k - 1] = t; }
    for (i = 1; i < ne; i++) if (Zs[i] == Zs[i - 1]) SANNIP__NN_FAIL(s->line_elements, SANNIP_PARSE_ERROR, 0, "%d: element %s listed twice", s->line_elements, sannip_element_symbol(Zs[i]));
    if (n_weights != ne) SANNIP__NN_FAIL(0, SANNIP_INVALID_ARGS, 0, "%d: %d weight files for %d elements", 0, n_weights, ne);
    return SANNIP_SUCCESS;
}
/* 'atom_energy SYMBOL E' lines: per-element energy offsets (the elements must be known). */
static sannip_result sannip__n2p2_read_atom_energies(sannip__n2p2_settings *s, const char *input_nn, sannip_error *err)
{
    sannip__cursor c;
    char *tok[64];
    int nt, e;
    memset(&c, 0, sizeof c); c.text = input_nn; c.len = strlen(input_nn);
    while ((nt = sannip__n2p2_line(&c, tok, 63)) > 0) {
        int z;
        if (strcmp(tok[0], "atom_energy") != 0) continue;
        z = nt >= 3 ? sannip_element_z(tok[1]) : 0;
        for (e = 0; e < s->ne && s->Zs[e] != z; e++) {}
        if (e == s->ne) SANNIP__NN_FAIL(c.line, SANNIP_UNKNOWN_ELEMENT, 2, "%d: atom_energy for unknown element '%s'", c.line, nt >= 2 ? tok[1] : "");
        if (!sannip__num(tok[2], &s->offs[e])) SANNIP__NN_FAIL(c.line, SANNIP_PARSE_ERROR, 3, "%d: atom_energy needs a number", c.line);
    }
    return SANNIP_SUCCESS;
}

/* n2p2's type and raw rs of a 'symfunction_short' line: keys of n2p2's order that the parsed
   basis does not keep as written. */
static void sannip__n2p2_sort_keys(const char *line, sannip__n2p2sf *x)
{
    char *t2[16], copy[4096];
    int n2;
    strcpy(copy, line);
    n2 = sannip__tokens(copy, t2, 15);
    if (n2 >= 3) sannip__int(t2[2], &x->type);
    if (n2 >= 7 && (x->type == 3 || x->type == 9)) {
        x->rs_raw = 0;
        if (n2 == 10 && !sannip__num(t2[9], &x->rs_raw)) x->rs_raw = 0;
    } else if (n2 >= 6 && (x->type == 2 || x->type == 12 || x->type == 13)) {
        sannip__num(t2[x->type == 2 ? 5 : 4], &x->rs_raw);
    }
}
/* One 'symfunction_short' line (input.nn line `line`) into x: basis, sort keys and the
   neighbour elements' indices (angular ones in ascending order). */
static sannip_result sannip__n2p2_symfunction(const sannip__n2p2_settings *s, const char *text, int line, sannip__n2p2sf *x, sannip_error *err)
{
    int e, k, rr, ne = s->ne, angular;
    sannip_cutoff cs = s->cs;
    memset(x, 0, sizeof *x);
    if (err) err->line = line;
    sannip__n2p2_sort_keys(text, x);
    rr = sannip_basis_parse(&x->b, text, &cs, err);
    if (rr != SANNIP_SUCCESS) {
        char pre[32];
        if (err) { snprintf(pre, sizeof pre, "input.nn:%d: ", line); sannip__err_prefix(err, pre); err->line = line; }
        return rr == SANNIP_END_OF_INPUT ? SANNIP_PARSE_ERROR : (sannip_result)rr;
    }
    for (e = 0; e < ne && s->Zs[e] != x->b.center; e++) {}
    if (e == ne) SANNIP__NN_FAIL(line, SANNIP_UNKNOWN_ELEMENT, 2, "%d: symmetry function for element %s, which is not in 'elements'", line, sannip_element_symbol(x->b.center));
    x->e1 = x->e2 = -1;
    for (k = 0; k < ne; k++) { if (s->Zs[k] == x->b.nbr[0]) x->e1 = k; if (s->Zs[k] == x->b.nbr[1]) x->e2 = k; }
    angular = x->type == 3 || x->type == 9;
    if ((x->type == 2 || angular) && x->e1 < 0) SANNIP__NN_FAIL(line, SANNIP_UNKNOWN_ELEMENT, 4, "%d: neighbour element %s is not in 'elements'", line, sannip_element_symbol(x->b.nbr[0]));
    if (angular && x->e2 < 0) SANNIP__NN_FAIL(line, SANNIP_UNKNOWN_ELEMENT, 5, "%d: neighbour element %s is not in 'elements'", line, sannip_element_symbol(x->b.nbr[1]));
    if (angular && x->e1 > x->e2) {
        int t = x->e1; x->e1 = x->e2; x->e2 = t;
        t = x->b.nbr[0]; x->b.nbr[0] = x->b.nbr[1]; x->b.nbr[1] = t;
    }
    return SANNIP_SUCCESS;
}
/* Pass 2 over input.nn: every symmetry function, in file order, into *sf (*nsf of them,
   allocated with a; the caller frees it). */
static sannip_result sannip__n2p2_read_symfunctions(const sannip__n2p2_settings *s, const char *input_nn, const sannip_allocator *a,
                                                    sannip__n2p2sf **sf, size_t *nsf, sannip_error *err)
{
    sannip__cursor c;
    size_t cap = 0;
    sannip__n2p2sf x;
    sannip_result r;
    int rr;
    memset(&c, 0, sizeof c); c.text = input_nn; c.len = strlen(input_nn);
    while ((rr = sannip__next_line(&c)) != 0) {
        void *p = *sf;
        if (rr < 0) SANNIP__NN_FAIL(c.line, SANNIP_PARSE_ERROR, 0, "%d: line too long", c.line);
        if (strncmp(c.buf + strspn(c.buf, " \t"), "symfunction_short", 17) != 0) continue;
        SANNIP__TRY(sannip__n2p2_symfunction(s, c.buf, c.line, &x, err));
        if ((r = sannip__grow(a, &p, &cap, *nsf + 1, sizeof x)) != SANNIP_SUCCESS) SANNIP__NN_FAIL(c.line, r, 0, "%d: out of memory", c.line);
        *sf = (sannip__n2p2sf *)p;
        (*sf)[(*nsf)++] = x;
    }
    return SANNIP_SUCCESS;
}
#undef SANNIP__NN_FAIL

/* Adds element Z's symmetry functions to m->desc in n2p2's order (independent of their order
   in input.nn); *nf receives their count. Marks the ones taken (type < 0). */
static sannip_result sannip__n2p2_add_bases(sannip_model *m, sannip__n2p2sf *sf, size_t nsf, int Z, int *nf, sannip_error *err)
{
    size_t best;
    *nf = 0;
    for (;;) {
        best = sannip__n2p2_next(sf, nsf, Z);
        if (best == nsf) return SANNIP_SUCCESS;
        SANNIP__TRY(sannip_descriptors_add(&m->desc, &sf[best].b, err));
        sf[best].type = -sf[best].type;
        (*nf)++;
    }
}
/* The next el->n_features lines of scaling.data (cursor sc): 'e_index sf_index min max mean
   [sigma]' for element e (0-based). */
static sannip_result sannip__n2p2_read_scaling(sannip__cursor *sc, sannip_element_model *el, int e, sannip_error *err)
{
    char *tok[64];
    int i, q, ei, si, nt, nf = el->n_features;
    for (i = 0; i < nf; i++) {
        sannip_real v[4] = { 0, 0, 0, 0 };
        nt = sannip__n2p2_line(sc, tok, 63);
        if (nt == 0) return sannip__fail(err, SANNIP_TRUNCATED, sc->line, 0, "scaling.data ends after %d lines; element %s needs %d", sc->line, sannip_element_symbol(el->Z), nf);
        if (nt < 5 || nt > 6) return sannip__fail(err, SANNIP_PARSE_ERROR, sc->line, 0, "scaling.data:%d: %d columns (5 or 6 expected)", sc->line, nt);
        if (!sannip__int(tok[0], &ei) || !sannip__int(tok[1], &si)) return sannip__fail(err, SANNIP_PARSE_ERROR, sc->line, 1, "scaling.data:%d: element/function index not an integer", sc->line);
        if (ei != e + 1 || si != i + 1) return sannip__fail(err, SANNIP_PARSE_ERROR, sc->line, 1, "scaling.data:%d: expected element %d function %d, found %d %d", sc->line, e + 1, i + 1, ei, si);
        for (q = 0; q < nt - 2; q++) if (!sannip__num(tok[2 + q], &v[q])) return sannip__fail(err, SANNIP_PARSE_ERROR, sc->line, 3 + q, "scaling.data:%d: '%s' is not a finite number", sc->line, tok[2 + q]);
        el->stats[i].min = v[0]; el->stats[i].max = v[1]; el->stats[i].mean = v[2]; el->stats[i].sigma = v[3];
        el->stats[i].dev = SANNIP__MAX(v[1] - v[2], v[2] - v[0]);
        if (el->scaling == SANNIP_SCALE_SCALESIGMA && nt == 5) return sannip__fail(err, SANNIP_PARSE_ERROR, sc->line, 6, "scaling.data:%d: sigma column needed for scale_symmetry_functions_sigma", sc->line);
    }
    return SANNIP_SUCCESS;
}
/* Parameters of a network with layer widths sizes[0..nl]: sum over layers of (n_in + 1) n_out.
   0 when a width is out of range or the count overflows size_t. */
static int sannip__n2p2_param_count(const int *sizes, int nl, size_t *np)
{
    size_t sum = 0, t;
    int l;
    for (l = 0; l < nl; l++) {
        if (sizes[l] < 0 || sizes[l] > SANNIP_MAX_LAYER_WIDTH || sizes[l + 1] < 1 || sizes[l + 1] > SANNIP_MAX_LAYER_WIDTH) return 0;
        if (!sannip__mul((size_t)sizes[l] + 1, (size_t)sizes[l + 1], &t) || t > SIZE_MAX - sum) return 0;
        sum += t;
    }
    *np = sum;
    return 1;
}
/* weights.ZZZ.data of length len can hold the network: each value takes at least 2 bytes of
   text (a digit and a separator; the last value may lack its newline). Checked before the
   network is allocated, so a short input cannot ask for gigabytes. */
static sannip_result sannip__n2p2_weights_fit(const int *sizes, int nl, int Z, size_t len, sannip_error *err)
{
    size_t np;
    if (!sannip__n2p2_param_count(sizes, nl, &np))
        return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "weights.%03d.data: the network of element %s is too large (layer widths up to %d)", Z, sannip_element_symbol(Z), SANNIP_MAX_LAYER_WIDTH);
    if (np > len / 2 + len % 2)
        return sannip__fail(err, SANNIP_TRUNCATED, 0, 0, "weights.%03d.data: element %s needs %zu values, but its %zu bytes hold at most %zu",
                            Z, sannip_element_symbol(Z), np, len, len / 2 + len % 2);
    return SANNIP_SUCCESS;
}
/* The values of weights.ZZZ.data (cursor wc) into net, in n2p2's order: per layer, for j
   (inputs) for k (outputs) w_kj, then the biases b_k; all divided by n_in under
   normalize_nodes. */
static sannip_result sannip__n2p2_read_weight_values(sannip_network *net, sannip__cursor *wc, int Z, int norm_nodes, sannip_error *err)
{
    char *tok[64];
    size_t got = 0;
    int l, jj, kk;
    for (l = 0; l < net->n_layers; l++) {
        int ni = net->sizes[l], no = net->sizes[l + 1];
        sannip_real *W = sannip_network_weights_rw(net, l), *bb = W + (size_t)no * ni;
        sannip_real div = norm_nodes ? (sannip_real)ni : 1;
        for (jj = 0; jj <= ni; jj++) for (kk = 0; kk < no; kk++) {
            sannip_real v;
            if (sannip__n2p2_line(wc, tok, 63) == 0) return sannip__fail(err, SANNIP_TRUNCATED, wc->line, 0, "weights.%03d.data: %zu of %zu values", Z, got, net->n_params);
            if (!sannip__num(tok[0], &v)) return sannip__fail(err, SANNIP_PARSE_ERROR, wc->line, 1, "weights.%03d.data:%d: '%s' is not a finite number", Z, wc->line, tok[0]);
            if (jj < ni) W[(size_t)kk * ni + jj] = v / div; else bb[kk] = v / div;
            got++;
        }
    }
    if (sannip__n2p2_line(wc, tok, 63) != 0) return sannip__fail(err, SANNIP_PARSE_ERROR, wc->line, 1, "weights.%03d.data:%d: more values than the %zu the network needs", Z, wc->line, net->n_params);
    return SANNIP_SUCCESS;
}
/* The network of el from the settings and its weights text: n2p2 layer l = f(W y + b), the
   output linear unless a last activation letter is given. */
static sannip_result sannip__n2p2_read_weights(sannip_model *m, sannip_element_model *el, const sannip__n2p2_settings *s,
                                               const char *weights, sannip_error *err)
{
    int sizes[SANNIP_MAX_LAYERS + 1], act[SANNIP_MAX_LAYERS], l, nhid = s->nhid;
    sannip__cursor wc;
    sizes[0] = el->n_features;
    for (l = 0; l < nhid; l++) { sizes[l + 1] = s->nodes[l]; act[l] = s->acts[l]; }
    sizes[nhid + 1] = 1;
    act[nhid] = s->nacts == nhid + 1 ? s->acts[nhid] : SANNIP_ACT_LINEAR;
    memset(&wc, 0, sizeof wc); wc.text = weights; wc.len = weights ? strlen(weights) : 0;
    SANNIP__TRY(sannip__n2p2_weights_fit(sizes, nhid + 1, el->Z, wc.len, err));
    SANNIP__TRY(sannip_network_init(&el->net, nhid + 1, sizes, act, &m->alloc, err));
    return sannip__n2p2_read_weight_values(&el->net, &wc, el->Z, s->norm_nodes, err);
}
/* Element e of the model: its bases, scaling (next lines of scaling.data at sc), network and
   energy map. */
static sannip_result sannip__n2p2_element(sannip_model *m, const sannip__n2p2_settings *s, sannip__n2p2sf *sf, size_t nsf,
                                          int e, sannip__cursor *sc, const char *weights, sannip_error *err)
{
    sannip_element_model *el = &m->el[e];
    int i, nf, first = m->desc.n, Z = s->Zs[e];
    SANNIP__TRY(sannip__n2p2_add_bases(m, sf, nsf, Z, &nf, err));
    memset(el, 0, sizeof *el);
    el->Z = Z;
    m->n_elements = e + 1;   /* from here a failure frees this element too */
    if (sannip__element_alloc(m, el, nf) != SANNIP_SUCCESS) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "element %s", sannip_element_symbol(Z));
    for (i = 0; i < nf; i++) el->feature[i] = first + i;
    el->scaling = s->scale && s->center ? SANNIP_SCALE_SCALECENTER : s->scale ? SANNIP_SCALE_MINMAX : s->center ? SANNIP_SCALE_CENTER
                : s->sigma ? SANNIP_SCALE_SCALESIGMA : SANNIP_SCALE_NONE;
    el->smin = s->smin; el->smax = s->smax;
    SANNIP__TRY(sannip__n2p2_read_scaling(sc, el, e, err));
    SANNIP__TRY(sannip__n2p2_read_weights(m, el, s, weights, err));
    /* E_phys = sum NN / conv_energy + N mean_energy + sum offsets (n2p2 Structure::toPhysicalUnits) */
    el->energy_scale = sannip__recip(s->conv_e);
    el->energy_offset = s->mean_e + s->offs[e];
    return SANNIP_SUCCESS;
}
/* Every element, in n2p2's order, then the check that scaling.data has no lines left. */
static sannip_result sannip__n2p2_elements(sannip_model *m, const sannip__n2p2_settings *s, sannip__n2p2sf *sf, size_t nsf,
                                           const char *scaling_data, const char *const *weights, sannip_error *err)
{
    sannip__cursor sc;
    char *tok[64];
    int e;
    memset(&sc, 0, sizeof sc); sc.text = scaling_data; sc.len = strlen(scaling_data);
    for (e = 0; e < s->ne; e++) SANNIP__TRY(sannip__n2p2_element(m, s, sf, nsf, e, &sc, weights[e], err));
    if (sannip__n2p2_line(&sc, tok, 63) != 0) return sannip__fail(err, SANNIP_PARSE_ERROR, sc.line, 0, "scaling.data:%d: more lines than symmetry functions", sc.line);
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_n2p2_import_mem(sannip_model *m, const char *input_nn, const char *scaling_data,
        const char *const *weights, int n_weights, sannip_error *err)
{
    sannip__n2p2_settings s;
    sannip__n2p2sf *sf = NULL;
    size_t nsf = 0;
    sannip_result r;
    sannip_allocator alloc;
    if (!m || !input_nn || !scaling_data || !weights) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    alloc = m->alloc;
    sannip_model_uninit(m);
    sannip_model_init(m, &alloc);
    r = sannip__n2p2_read_settings(&s, input_nn, err);
    if (r == SANNIP_SUCCESS) r = sannip__n2p2_check_settings(&s, n_weights, err);
    if (r == SANNIP_SUCCESS) r = sannip__n2p2_read_atom_energies(&s, input_nn, err);
    if (r == SANNIP_SUCCESS) r = sannip__n2p2_read_symfunctions(&s, input_nn, &m->alloc, &sf, &nsf, err);
    if (r == SANNIP_SUCCESS) r = sannip__n2p2_elements(m, &s, sf, nsf, scaling_data, weights, err);
    sannip_free(&m->alloc, sf);
    if (r == SANNIP_SUCCESS) {
        strcpy(m->units_energy, "unknown"); strcpy(m->units_length, "unknown");
        r = sannip_model_finalize(m, err);
    }
    if (r == SANNIP_SUCCESS) { sannip__ok(err); return SANNIP_SUCCESS; }
    sannip_model_uninit(m);
    sannip_model_init(m, &alloc);
    return r;
}

#ifndef SANNIP_NO_STDIO
SANNIP_API sannip_result sannip_n2p2_import_dir(sannip_model *m, const char *dir, sannip_error *err)
{
    char path[4096], *nn = NULL, *sc = NULL, *w[SANNIP_MAX_ELEMENTS];
    const char *wc[SANNIP_MAX_ELEMENTS];
    int Zs[SANNIP_MAX_ELEMENTS], ne = 0, i, k;
    sannip_result r;
    sannip__cursor c;
    char *tok[64];
    int nt;
    if (!m || !dir) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if (strlen(dir) > sizeof path - 32) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "path too long");
    snprintf(path, sizeof path, "%s/input.nn", dir);
    if ((r = sannip_read_file(path, &m->alloc, &nn, NULL, err)) != SANNIP_SUCCESS) return r;
    snprintf(path, sizeof path, "%s/scaling.data", dir);
    if ((r = sannip_read_file(path, &m->alloc, &sc, NULL, err)) != SANNIP_SUCCESS) { sannip_free(&m->alloc, nn); return r; }
    memset(&c, 0, sizeof c); c.text = nn; c.len = strlen(nn);
    while ((nt = sannip__n2p2_line(&c, tok, 63)) > 0)
        if (strcmp(tok[0], "elements") == 0) {
            for (i = 1; i < nt && ne < SANNIP_MAX_ELEMENTS; i++) { int z = sannip_element_z(tok[i]); if (z) Zs[ne++] = z; }
            break;
        }
    for (i = 1; i < ne; i++) for (k = i; k > 0 && Zs[k - 1] > Zs[k]; k--) { int t = Zs[k]; Zs[k] = Zs[k - 1]; Zs[k - 1] = t; }
    for (i = 0; i < ne; i++) w[i] = NULL;
    for (i = 0; i < ne; i++) {
        snprintf(path, sizeof path, "%s/weights.%03d.data", dir, Zs[i]);
        if ((r = sannip_read_file(path, &m->alloc, &w[i], NULL, err)) != SANNIP_SUCCESS) goto done;
        wc[i] = w[i];
    }
    r = sannip_n2p2_import_mem(m, nn, sc, wc, ne, err);
done:
    for (i = 0; i < ne; i++) sannip_free(&m->alloc, w[i]);
    sannip_free(&m->alloc, nn); sannip_free(&m->alloc, sc);
    return r;
}
#endif

/* ---- n2p2 export: the importer's tables read backwards ---- */
/* n2p2's type of basis b (0: none): the sannip__n2p2_types row of its kind whose neighbours
   are named elements (types 2, 3, 9) or all elements weighted by Z (12, 13). */
static int sannip__n2p2_type_of(const sannip_basis *b)
{
    int k, zw = b->nbr[0] == SANNIP_ZWEIGHT, two = b->kind != SANNIP_G2;
    if (b->center <= 0 || b->nbr[0] == SANNIP_ANY || (two && (b->nbr[1] == SANNIP_ANY || (b->nbr[1] == SANNIP_ZWEIGHT) != zw))) return 0;
    for (k = 0; k < SANNIP__N2P2_NTYPES; k++)
        if (sannip__n2p2_types[k].kind == b->kind && (sannip__n2p2_types[k].n_el == 0) == zw) return sannip__n2p2_types[k].type;
    return 0;
}
/* Some n2p2 type is of this basis kind. */
static int sannip__n2p2_has_kind(int kind)
{
    int k;
    for (k = 0; k < SANNIP__N2P2_NTYPES; k++) if (sannip__n2p2_types[k].kind == kind) return 1;
    return 0;
}
/* n2p2's letter for an activation (0 for the ones n2p2 lacks), from the parser's table. */
static char sannip__n2p2_act_letter(int act)
{
    char name[2] = { 0, 0 };
    if (act < 0 || act >= SANNIP_ACT_COUNT) return 0;
    name[0] = sannip__act_letters[act];
    return sannip_activation_parse(name) == act ? name[0] : 0;
}
/* The n2p2 scaling mode that reproduces a sannip one, and its scale_min/max_short: n2p2's
   scalesigma smin + (smax - smin)(G - mean)/sigma with smin 0, smax 1 is the standard
   scaling, and with the sigma column holding max|G - mean| the modified one (T3.21). */
static int sannip__n2p2_scaling(const sannip_element_model *el, sannip_real *smin, sannip_real *smax)
{
    *smin = el->smin; *smax = el->smax;
    if (el->scaling != SANNIP_SCALE_STANDARD && el->scaling != SANNIP_SCALE_MODIFIED) return el->scaling;
    *smin = 0; *smax = 1;
    return SANNIP_SCALE_SCALESIGMA;
}
#define SANNIP__NX_FAIL(code, ...) return sannip__fail(err, code, 0, 0, "export to n2p2: " __VA_ARGS__)
/* Basis f of m as n2p2 writes it, or the reason n2p2 cannot: a kind or neighbour set without
   an n2p2 type, or a cutoff other than the one cutoff_type all n2p2 functions share (cs). */
static sannip_result sannip__n2p2_export_basis(const sannip_model *m, int f, const sannip_cutoff *cs, sannip_error *err)
{
    const sannip_basis *b = &m->desc.b[f];
    char line[512];
    if (sannip_basis_format(b, line, sizeof line) < 0) strcpy(line, "?");
    if (!sannip__n2p2_type_of(b))
        SANNIP__NX_FAIL(SANNIP_UNSUPPORTED, "basis %d (%s): n2p2 has no symmetry function %s", f + 1, line,
                        sannip__has(b, SANNIP_BASIS_SPIN) ? "of a spin kind" : !sannip__n2p2_has_kind(b->kind) ? "of this kind"
                        : b->nbr[0] == SANNIP_ANY || b->nbr[1] == SANNIP_ANY ? "over neighbours of any element ('*': name the elements, or Zw)"
                        : "over these neighbours (Zw with named elements, or a Z-weighted G5)");
    if (b->cut[0].type == SANNIP_CUT_FSPLINE || b->cut[0].type != cs->type || b->cut[0].alpha != cs->alpha)
        SANNIP__NX_FAIL(SANNIP_UNSUPPORTED, "basis %d (%s): n2p2 uses one cutoff type and inner cutoff for all functions (%s, alpha %g here)",
                        f + 1, line, sannip__cut_names[cs->type], (double)cs->alpha);
    return SANNIP_SUCCESS;
}
/* Element el can be written with el0's global n2p2 settings: a dense per-element network of
   n2p2's activations with el0's hidden layers, scaling and energy scale. */
static sannip_result sannip__n2p2_export_element(const sannip_element_model *el, const sannip_element_model *el0, sannip_error *err)
{
    const sannip_network *n = &el->net, *n0 = &el0->net;
    const char *sym = sannip_element_symbol(el->Z);
    sannip_real a0, b0, a1, b1;
    int l;
    if (el->shared || el->output) SANNIP__NX_FAIL(SANNIP_UNSUPPORTED, "element %s: a multi-task network (n2p2 has one network per element)", sym);
    if (n->sizes[n->n_layers] != 1) SANNIP__NX_FAIL(SANNIP_UNSUPPORTED, "element %s: %d network outputs (n2p2: 1)", sym, n->sizes[n->n_layers]);
    for (l = 0; l < n->n_layers; l++) {
        if (n->nblk[l] || n->pass[l]) SANNIP__NX_FAIL(SANNIP_UNSUPPORTED, "element %s: layer %d is a class-convolution layer (n2p2 has dense layers only)", sym, l + 1);
        if (!sannip__n2p2_act_letter(n->act[l])) SANNIP__NX_FAIL(SANNIP_UNSUPPORTED, "element %s: layer %d's activation %s is not in n2p2", sym, l + 1, sannip_activation_name(n->act[l]));
        if (l + 1 < n->n_layers && n->sizes[l + 1] != n0->sizes[l + 1])
            SANNIP__NX_FAIL(SANNIP_UNSUPPORTED, "element %s: hidden layers differ from element %s's (n2p2's global_nodes_short is one for all)", sym, sannip_element_symbol(el0->Z));
        if (n->act[l] != n0->act[l]) SANNIP__NX_FAIL(SANNIP_UNSUPPORTED, "element %s: layer %d's activation differs from element %s's (n2p2's global_activation_short is one for all)", sym, l + 1, sannip_element_symbol(el0->Z));
    }
    if (sannip__n2p2_scaling(el, &a1, &b1) != sannip__n2p2_scaling(el0, &a0, &b0) || a1 != a0 || b1 != b0)
        SANNIP__NX_FAIL(SANNIP_UNSUPPORTED, "element %s: scaling %s differs from element %s's (n2p2 scales all elements alike)", sym, sannip__scaling_names[el->scaling], sannip_element_symbol(el0->Z));
    if (el->energy_scale != el0->energy_scale || !(el->energy_scale > 0))
        SANNIP__NX_FAIL(SANNIP_UNSUPPORTED, "element %s: energy scale %g (n2p2's conv_energy is one positive number for all elements)", sym, (double)el->energy_scale);
    return SANNIP_SUCCESS;
}
/* Every element and every basis they use can be written (cs: the shared cutoff). */
static sannip_result sannip__n2p2_export_check(const sannip_model *m, sannip_cutoff *cs, sannip_error *err)
{
    int e, i;
    if (m->n_elements < 1) SANNIP__NX_FAIL(SANNIP_INVALID_ARGS, "the model has no elements");
    for (e = 0; e < m->n_elements; e++) {
        const sannip_element_model *el = &m->el[e];
        if (el->n_features < 1) SANNIP__NX_FAIL(SANNIP_UNSUPPORTED, "element %s has no descriptors", sannip_element_symbol(el->Z));
        if (el->net.n_layers != m->el[0].net.n_layers)
            SANNIP__NX_FAIL(SANNIP_UNSUPPORTED, "element %s: %d layers, element %s %d (n2p2's global_hidden_layers_short is one for all)",
                            sannip_element_symbol(el->Z), el->net.n_layers, sannip_element_symbol(m->el[0].Z), m->el[0].net.n_layers);
        SANNIP__TRY(sannip__n2p2_export_element(el, &m->el[0], err));
        if (e == 0) *cs = m->desc.b[el->feature[0]].cut[0];
        for (i = 0; i < el->n_features; i++) SANNIP__TRY(sannip__n2p2_export_basis(m, el->feature[i], cs, err));
    }
    return SANNIP_SUCCESS;
}
/* Index in m of the element with atomic number Z (-1: none). */
static int sannip__n2p2_element_index(const sannip_model *m, int Z)
{
    int e;
    for (e = 0; e < m->n_elements; e++) if (m->el[e].Z == Z) return e;
    return -1;
}
/* Model elements in n2p2's order (ascending Z): order[0..n_elements) are indices into m->el. */
static void sannip__n2p2_element_order(const sannip_model *m, int *order)
{
    int i, k;
    for (i = 0; i < m->n_elements; i++) order[i] = i;
    for (i = 1; i < m->n_elements; i++)
        for (k = i; k > 0 && m->el[order[k - 1]].Z > m->el[order[k]].Z; k--) { int t = order[k]; order[k] = order[k - 1]; order[k - 1] = t; }
}
/* Element el's functions as n2p2 orders them: sf[k] is the k-th (its type restored) and
   slot[k] the element's feature it came from. Neighbour elements must be the model's. */
static sannip_result sannip__n2p2_export_order(const sannip_model *m, const sannip_element_model *el, const int *order,
                                               sannip__n2p2sf *tmp, sannip__n2p2sf *sf, int *slot, sannip_error *err)
{
    int i, k, nf = el->n_features, rank[SANNIP_MAX_ELEMENTS];
    for (k = 0; k < m->n_elements; k++) rank[order[k]] = k;
    for (i = 0; i < nf; i++) {
        sannip__n2p2sf *x = &tmp[i];
        memset(x, 0, sizeof *x);
        x->b = m->desc.b[el->feature[i]];
        x->b.center = el->Z;
        x->type = sannip__n2p2_type_of(&x->b);
        x->rs_raw = x->b.rs;
        x->e1 = x->e2 = -1;
        for (k = 0; k < 2; k++) {
            int Zn = x->b.nbr[k], e = Zn > 0 ? sannip__n2p2_element_index(m, Zn) : -1;
            if (Zn > 0 && e < 0) SANNIP__NX_FAIL(SANNIP_UNKNOWN_ELEMENT, "element %s's function %d: neighbour element %s is not one of the model's", sannip_element_symbol(el->Z), i + 1, sannip_element_symbol(Zn));
            if (k == 0) x->e1 = e >= 0 ? rank[e] : -1; else x->e2 = e >= 0 ? rank[e] : -1;
        }
        if (x->b.kind != SANNIP_G2 && x->e1 > x->e2) {
            int t = x->e1; x->e1 = x->e2; x->e2 = t;
            t = x->b.nbr[0]; x->b.nbr[0] = x->b.nbr[1]; x->b.nbr[1] = t;
        }
    }
    for (k = 0; k < nf; k++) {
        size_t best = sannip__n2p2_next(tmp, (size_t)nf, el->Z);
        slot[k] = (int)best;
        sf[k] = tmp[best];
        tmp[best].type = -tmp[best].type;
    }
    return SANNIP_SUCCESS;
}
/* 'symfunction_short EC TYPE [E1 [E2]] numbers' of x, its fields from the type's table row. */
static void sannip__n2p2_write_sf(sannip_text *t, const sannip__n2p2sf *x)
{
    const sannip__n2p2_type *row = sannip__n2p2_type_row(x->type);
    sannip_basis b = x->b;
    const char *f;
    int k;
    sannip_text_printf(t, "symfunction_short %-2s %2d", sannip_element_symbol(b.center), x->type);
    for (k = 0; k < row->n_el; k++) sannip_text_printf(t, " %-2s", sannip_element_symbol(b.nbr[k]));
    for (f = row->fields; *f; f++) if (*f != 'R' || b.rs != 0) sannip_text_real(t, *sannip__n2p2_field(&b, *f));
    sannip_text_printf(t, "\n");
}
/* conv_energy c with 1/c == s as the importer computes it (1/s, or the nearest neighbour of
   it that gives s back). The reciprocals are rounded to sannip_real (sannip__recip) before
   they are compared: where float arithmetic runs in double (FLT_EVAL_METHOD 1, s390x under
   -std=c99) an unrounded 1/lo never equals s. */
static sannip_real sannip__n2p2_conv_energy(sannip_real s)
{
    sannip_real c = sannip__recip(s), lo = c, hi = c;
    int k;
    for (k = 0; k < 64; k++) {
        if (sannip__recip(lo) == s) return lo;
        if (sannip__recip(hi) == s) return hi;
#ifdef SANNIP_FLOAT
        lo = nextafterf(lo, 0); hi = nextafterf(hi, 2 * hi);
#else
        lo = nextafter(lo, 0); hi = nextafter(hi, 2 * hi);
#endif
    }
    return c;
}
/* input.nn's keywords (the symmetry functions follow, per element). */
static void sannip__n2p2_write_settings(const sannip_model *m, const int *order, const sannip_cutoff *cs, sannip_text *t)
{
    const sannip_element_model *el0 = &m->el[0];
    const sannip_network *n = &el0->net;
    sannip_real smin, smax, s = el0->energy_scale, mean = el0->energy_offset;
    int e, l, same = 1, mode = sannip__n2p2_scaling(el0, &smin, &smax);
    for (e = 0; e < m->n_elements; e++) if (m->el[e].energy_offset != mean) same = 0;
    if (!same) mean = 0;
    sannip_text_printf(t, "# n2p2 settings of a sannip model (sannip_n2p2_export_mem), energies in %s, lengths in %s\n", m->units_energy, m->units_length);
    sannip_text_printf(t, "number_of_elements %d\nelements", m->n_elements);
    for (e = 0; e < m->n_elements; e++) sannip_text_printf(t, " %s", sannip_element_symbol(m->el[order[e]].Z));
    sannip_text_printf(t, "\n");
    if (s != 1 || mean != 0) {   /* E = sum NN / conv_energy + N mean_energy + sum atom_energy */
        sannip_text_printf(t, "mean_energy"); sannip_text_real(t, mean);
        sannip_text_printf(t, "\nconv_energy"); sannip_text_real(t, sannip__n2p2_conv_energy(s));
        sannip_text_printf(t, "\nconv_length 1\n");
    }
    for (e = 0; e < m->n_elements && !same; e++) {
        sannip_text_printf(t, "atom_energy %s", sannip_element_symbol(m->el[order[e]].Z));
        sannip_text_real(t, m->el[order[e]].energy_offset);
        sannip_text_printf(t, "\n");
    }
    sannip_text_printf(t, "cutoff_type %d", cs->type);
    if (cs->alpha != 0) sannip_text_real(t, cs->alpha);
    sannip_text_printf(t, "\n%s%s%s", mode == SANNIP_SCALE_MINMAX || mode == SANNIP_SCALE_SCALECENTER ? "scale_symmetry_functions\n" : "",
                       mode == SANNIP_SCALE_CENTER || mode == SANNIP_SCALE_SCALECENTER ? "center_symmetry_functions\n" : "",
                       mode == SANNIP_SCALE_SCALESIGMA ? "scale_symmetry_functions_sigma\n" : "");
    if (mode == SANNIP_SCALE_MINMAX || mode == SANNIP_SCALE_SCALECENTER || mode == SANNIP_SCALE_SCALESIGMA) {
        sannip_text_printf(t, "scale_min_short"); sannip_text_real(t, smin);
        sannip_text_printf(t, "\nscale_max_short"); sannip_text_real(t, smax);
        sannip_text_printf(t, "\n");
    }
    sannip_text_printf(t, "global_hidden_layers_short %d\nglobal_nodes_short", n->n_layers - 1);
    for (l = 1; l < n->n_layers; l++) sannip_text_printf(t, " %d", n->sizes[l]);
    sannip_text_printf(t, "\nglobal_activation_short");
    for (l = 0; l < n->n_layers; l++) sannip_text_printf(t, " %c", sannip__n2p2_act_letter(n->act[l]));
    sannip_text_printf(t, "\n");
}
/* weights.ZZZ.data: n2p2's order (per layer, for each input j for each output k w_kj, then
   the biases), the first layer's inputs permuted to n2p2's function order (slot), with
   n2p2's index columns. */
static void sannip__n2p2_write_weights(const sannip_network *net, const int *slot, sannip_text *t)
{
    size_t idx = 0;
    int l, jj, kk;
    sannip_text_printf(t, "# weights of a sannip model in n2p2's order (sannip_n2p2_export_mem)\n");
    for (l = 0; l < net->n_layers; l++) {
        int ni = net->sizes[l], no = net->sizes[l + 1];
        const sannip_real *W = sannip_network_weights(net, l), *bb = W + (size_t)no * ni;
        for (jj = 0; jj <= ni; jj++) for (kk = 0; kk < no; kk++) {
            int col = jj < ni && l == 0 ? slot[jj] : jj;
            sannip_text_real(t, jj < ni ? W[(size_t)kk * ni + col] : bb[kk]);
            if (jj < ni) sannip_text_printf(t, " a %zu %d %d %d %d\n", ++idx, l, jj + 1, l + 1, kk + 1);
            else sannip_text_printf(t, " b %zu %d %d\n", ++idx, l + 1, kk + 1);
        }
    }
}
/* Element el (n2p2 index e): its functions into input.nn, statistics into scaling.data
   ('e i min max mean sigma'; the modified scaling's max|G - mean| in the sigma column) and
   network into its weights text. */
static void sannip__n2p2_write_element(const sannip_element_model *el, int e, const sannip__n2p2sf *sf, const int *slot,
                                       sannip_text *nn, sannip_text *sc, sannip_text *w)
{
    int k;
    for (k = 0; k < el->n_features; k++) sannip__n2p2_write_sf(nn, &sf[k]);
    for (k = 0; k < el->n_features; k++) {
        const sannip_feature_stats *st = &el->stats[slot[k]];
        sannip_text_printf(sc, "%4d %5d", e + 1, k + 1);
        sannip_text_real(sc, st->min); sannip_text_real(sc, st->max); sannip_text_real(sc, st->mean);
        sannip_text_real(sc, el->scaling == SANNIP_SCALE_MODIFIED ? st->dev : st->sigma);
        sannip_text_printf(sc, "\n");
    }
    sannip__n2p2_write_weights(&el->net, slot, w);
}
#undef SANNIP__NX_FAIL

SANNIP_API sannip_result sannip_n2p2_export_mem(const sannip_model *m, sannip_text *input_nn, sannip_text *scaling_data,
                                                sannip_text *weights, sannip_error *err)
{
    sannip_cutoff cs;
    sannip__n2p2sf *tmp, *sf;
    int order[SANNIP_MAX_ELEMENTS], *slot, k, nmax = 1;
    sannip_result r = SANNIP_SUCCESS;
    if (!m || !input_nn || !scaling_data || !weights) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    memset(&cs, 0, sizeof cs);
    SANNIP__TRY(sannip__n2p2_export_check(m, &cs, err));
    sannip__n2p2_element_order(m, order);
    for (k = 0; k < m->n_elements; k++) nmax = SANNIP__MAX(nmax, m->el[k].n_features);
    tmp = (sannip__n2p2sf *)sannip__malloc(&m->alloc, (size_t)nmax * (2 * sizeof *tmp + sizeof *slot));
    if (!tmp) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "export to n2p2: out of memory");
    sf = tmp + nmax; slot = (int *)(sf + nmax);
    sannip__n2p2_write_settings(m, order, &cs, input_nn);
    sannip_text_printf(scaling_data, "# symmetry-function statistics of a sannip model (sannip_n2p2_export_mem): element, function, min, max, mean, sigma\n");
    for (k = 0; k < m->n_elements && r == SANNIP_SUCCESS; k++) {
        const sannip_element_model *el = &m->el[order[k]];
        r = sannip__n2p2_export_order(m, el, order, tmp, sf, slot, err);
        if (r == SANNIP_SUCCESS) sannip__n2p2_write_element(el, k, sf, slot, input_nn, scaling_data, &weights[k]);
    }
    sannip_free(&m->alloc, tmp);
    if (r != SANNIP_SUCCESS) return r;
    for (k = 0; k < m->n_elements; k++) if (weights[k].failed) r = SANNIP_OUT_OF_MEMORY;
    if (r || input_nn->failed || scaling_data->failed) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "export to n2p2: out of memory");
    sannip__ok(err);
    return SANNIP_SUCCESS;
}

#ifndef SANNIP_NO_STDIO
SANNIP_API sannip_result sannip_n2p2_export_dir(const sannip_model *m, const char *dir, sannip_error *err)
{
    sannip_text nn, sc, w[SANNIP_MAX_ELEMENTS];
    char path[4096];
    int order[SANNIP_MAX_ELEMENTS], k, ne;
    sannip_result r;
    if (!m || !dir) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if (strlen(dir) > sizeof path - 32) return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "path too long");
    ne = SANNIP__MIN(SANNIP__MAX(m->n_elements, 0), SANNIP_MAX_ELEMENTS);
    sannip_text_init(&nn, &m->alloc); sannip_text_init(&sc, &m->alloc);
    for (k = 0; k < ne; k++) sannip_text_init(&w[k], &m->alloc);
    r = sannip_n2p2_export_mem(m, &nn, &sc, w, err);
    sannip__n2p2_element_order(m, order);
    if (r == SANNIP_SUCCESS) { snprintf(path, sizeof path, "%s/input.nn", dir); r = sannip_write_file_atomic(path, nn.s, nn.len, err); }
    if (r == SANNIP_SUCCESS) { snprintf(path, sizeof path, "%s/scaling.data", dir); r = sannip_write_file_atomic(path, sc.s, sc.len, err); }
    for (k = 0; k < ne && r == SANNIP_SUCCESS; k++) {
        snprintf(path, sizeof path, "%s/weights.%03d.data", dir, m->el[order[k]].Z);
        r = sannip_write_file_atomic(path, w[k].s, w[k].len, err);
    }
    sannip_text_uninit(&nn); sannip_text_uninit(&sc);
    for (k = 0; k < ne; k++) sannip_text_uninit(&w[k]);
    return r;
}
#endif
#undef SANNIP__TRY

#ifdef __cplusplus
}
#endif

#undef SANNIP__MIN
#undef SANNIP__MAX
#undef SANNIP__RESTRICT
#undef SANNIP__N2P2_NTYPES
#undef SANNIP__PI
#undef SANNIP__EXPECT
#undef SANNIP__RFAIL
#undef SANNIP__BLOCK
#undef SANNIP__OVERLAP2
#undef SANNIP__NA_E
#endif /* SANNIP_IMPLEMENTATION */

/*
REVISION HISTORY
    0.1.0 (2026-11-21)  first release: geometry, descriptors, networks, models, n2p2 import.

LICENSE
    This software is available under MIT No Attribution (MIT-0) or as public domain
    (Unlicense), at your choice. See the LICENSE file.
*/
