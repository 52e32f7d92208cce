/* sannip_train.h - v0.1.0 - training for sannip models: data sets, descriptor caches,
   analytic loss gradients, optimisers, committees. MIT-0 or public domain (see sannip.h).

   In exactly one C or C++ file:
       #define SANNIP_IMPLEMENTATION
       #include "sannip_train.h"      // includes sannip.h

   SANNIP_IMPLEMENTATION is the umbrella for the implementations of every sannip header
   included after it. SANNIP_TRAIN_IMPLEMENTATION (sokol-style guard) switches on this
   header's alone; it needs sannip.h's implementation in the same file (it calls sannip.h's
   static helpers of the "for sibling headers" section), else #error. This header does not
   need sannip_spin.h; spin-aware models train here like any other (their spin bases are
   sannip.h descriptor kinds).

   EQUATION TAGS (as in sannip.h)
   T4.5 = equation (4.5) of D. Bloore's thesis (SANNIP, 2021); T F.28 = its appendix
   equation (F.28); T sec. 3.2.2 = its section 3.2.2; T table 3.1 = its table 3.1.

   OPTIONS (define before including the implementation; sannip.h's table has the details)
   | macro                          | effect here                                          |
   |--------------------------------|------------------------------------------------------|
   | SANNIP_IMPLEMENTATION          | emit this implementation (and sannip.h's, ...)       |
   | SANNIP_TRAIN_IMPLEMENTATION    | emit this implementation only (sannip.h's in the     |
   |                                | same file)                                           |
   | SANNIP_FLOAT                   | parameters, features and gradients in float          |
   | SANNIP_STATIC, SANNIP_API      | linkage, as in sannip.h                              |
   | SANNIP_MALLOC/REALLOC/FREE     | default allocator (models, caches, committees)       |
   | SANNIP_NO_STDIO                | removes sannip_committee_save_file / _load_file      |
   | SANNIP_NO_OPENMP               | caches, training and committees run serially (same  |
   |                                | results: every sum has a fixed order)                |
   | SANNIP_MAX_ELEMENTS/_LAYERS    | limits of the models trained                         |
   | SANNIP_EKF_MAX_PARAMS          | largest model SANNIP_OPT_EKF trains (default 8192)   |

   QUICK START (train a BP model for bcc Fe and save it)
       sannip_dataset d; sannip_model m; sannip_error err;
       sannip_train_report rep = {0};
       int hidden[2] = {25, 25}, act[2] = {SANNIP_ACT_TANH, SANNIP_ACT_TANH};
       sannip_dataset_init(&d, NULL); sannip_model_init(&m, NULL);
       if (sannip_dataset_read_file(&d, "fe.xyz", &err) != SANNIP_SUCCESS)
           { fprintf(stderr, "%s\n", err.message); return 1; }
       sannip_descriptors_preset_bp_fe(&m.desc, 26, &err);     // bases first, then elements
       sannip_model_add_element(&m, 26, 2, hidden, act, &err);
       sannip_train_config cfg = sannip_train_config_init();   // Adam, 300 epochs; or = {0}
       if (sannip_train(&m, &d, &cfg, &rep, &err) == SANNIP_SUCCESS && rep.epochs_run > 0)
           sannip_model_save_file(&m, "fe.sannip", &err);
       sannip_train_report_uninit(&rep); sannip_model_uninit(&m); sannip_dataset_uninit(&d);

   Sections: 1. DATA SETS  2. FEATURE CACHES  3. TRAINING  4. COMMITTEES

   FUNCTION INDEX (by the section that declares them)
   1. DATA SETS (the data set type and its readers are in sannip.h, 11. FILES)
     sannip_dataset_check            every structure has the references training needs
     sannip_model_fit_scaling        feature statistics and scalers from structures
     sannip_model_floor_spreads      the spread floor of training's scalers (gradient-aware)
     sannip_model_fit_energy         per-element energy offsets and scale (T F.24-F.28)
   2. FEATURE CACHES
     sannip_feature_cache_init       empty cache (uninit: sannip_feature_cache_uninit)
     sannip_feature_cache_uninit     free a cache
     sannip_feature_cache_build      descriptors (and derivatives) of a whole data set
     sannip_feature_cache_estimate   bytes a cache with derivatives would take at most
   3. TRAINING
     sannip_train_config_init        default training configuration
     sannip_train                    train a model on a data set
     sannip_train_report_uninit        free what a report owns
     sannip_loss_weights             effective loss weights (the balancing rule)
     sannip_loss_weights_ex          the same with the field and virial weights
     sannip_structure_gradient       loss and its parameter gradient for one structure
     sannip_structure_gradient_ex    the same with the field and virial terms
     sannip_structure_jacobian       d(energy or one force component)/dparams (EKF rows)
     sannip_model_get_params         all parameters of a model as one vector
     sannip_model_set_params         load them back
     sannip_model_init_weights       fresh Glorot weights for every network of a model
     sannip_network_init_weights     fresh Glorot weights for one network
   4. COMMITTEES
     sannip_committee_init           empty committee (uninit: sannip_committee_uninit)
     sannip_committee_uninit         free a committee
     sannip_committee_create         n copies of a template model
     sannip_committee_train          train every member, aggregate errors (T4.5-4.7)
     sannip_committee_predict        mean and spread of energy, atomic energies, forces
     sannip_committee_rank           structures by decreasing spread (query by committee)
     sannip_committee_save_mem       committee -> text
     sannip_committee_load_mem       text (committee or single model) -> committee
     sannip_committee_save_file      committee -> file (atomic replace)
     sannip_committee_load_file      file -> committee
     sannip_model_copy               exact copy of a model
     sannip_model_pca_init           PCA initialisation of the first layer (T sec. 3.2.2)
     sannip_symmetric_eigen          eigenvalues/vectors of a symmetric matrix (Jacobi)
     sannip_adam_step                one Adam step
     sannip_sgd_step                 one plain gradient step
     sannip_ekf_update               one extended Kalman filter update

   Loss per structure s (weight w_s from the data set, default 1):
       L_s = w_s [ w_E ((E_s - E_ref)/N_s)^2 + w_F sum_k |F_k - F_ref,k|^2 / (3 N_s)
                   + w_H sum_k |H_k - H_ref,k|^2 / (3 N_s) + w_W sum_ab ((W_ab - W_ref,ab)/N_s)^2 / 9 ]
   averaged over a batch (divided by the sum of w_s), plus l2 |W|^2 on weights. The field
   term (H = -dE/dS against s->fields, energy per spin unit) applies to structures with fields
   and spins when the model is spin-aware, the virial term (W as sannip_model_compute's) to
   structures with has_virial; their weights are balanced like w_E (sannip_loss_weights_ex).
   They reuse the force term's tangent pass: V_i gains dG_i/dS . dL/dH (spin derivative rows
   of the cache) and, per pair, dG_i/dd_ij . (dL/dW)^T d_ij. By default
   (raw_loss = 0) sannip_train multiplies w_E by <F_ref,k^2> / var(E_ref/N) of the training
   split when it trains on forces (sannip_loss_weights), so both terms score the same for the
   trivial predictors and w_E = w_F = 1 balances them (NiO: E/N varies by 0.45 meV, forces
   by 17 meV/A; with the raw loss the force term swamps the energy term 1500-fold). The energy
   term backpropagates through the networks; the force term differentiates the input
   gradient: with R_k = dL/dF_k and v_i = sum_k (dG_i/dr_k) R_k, dL/dtheta gets
   -d/dtheta (dE_i/dG_i . v_i), computed by a tangent forward pass along a v_i and one
   combined backward pass (second derivatives of the activations), never by differences.
   (The thesis gives no loss equation; the weights w_s play the part of its emphasised
   sampling near equilibrium, T sec. 2.1.9.)
   Architectures: per-element MLPs (BP), the multi-task network (T sec. 3.2.1), the
   class-convolution network with or without raw inputs (T sec. 3.2.3), PCA initialisation
   (T sec. 3.2.2). Same seed, same data -> bit-identical models whatever the number of
   threads (per-structure gradients are summed in a fixed order).

   UNITS AND CONVENTIONS
   Energies, lengths and forces are those of the data (sannip's examples: eV, Angstrom,
   eV/A). Reported errors: energy RMSE/MAE per atom (energy units), force RMSE/MAE per
   component (energy/length); times in seconds; the figure of merit T4.7 in
   1/(s x energy unit). Parameters are ordered element by element, each network's as in
   sannip_network (layer by layer, W then b).

   THREAD SAFETY: one model, data set, cache or committee per call that changes it; the
   functions parallelise internally with OpenMP (never setting the thread count) and give
   the same results for any number of threads. Const arguments may be shared.

   DOES NOT: print (progress goes to the caller's callback), exit, abort, keep global
   state, call rand(), or install signal handlers (a caller's handler can set cfg.stop).
*/
#ifndef SANNIP_TRAIN_H
#define SANNIP_TRAIN_H
#include "sannip.h"
#include <signal.h>    /* sig_atomic_t: sannip_train_config.stop */
#ifdef __cplusplus
extern "C" {
#endif

/* ==== 1. DATA SETS ===================================================================== */
/* sannip_dataset (an owned list of structures with reference energies/forces, spins and
   weights) and its readers, sannip_dataset_read_mem/_read_file/_append, are in sannip.h
   (11. FILES). */
/* Checks that every structure has a finite reference energy (and forces if need_forces)
   and a finite weight >= 0. [in] d, need_forces. SANNIP_INVALID_ARGS (empty), then
   SANNIP_PARSE_ERROR / SANNIP_NONFINITE / SANNIP_BAD_PARAMETER naming the structure. */
SANNIP_API sannip_result sannip_dataset_check(const sannip_dataset *d, int need_forces, sannip_error *err);

/* Fits every element's feature statistics (min, max, mean, sigma, max|G-mean|) over the
   atoms of n structures, then the scalers (sannip_model_finalize). Sums run in structure
   and atom order, so the result does not depend on threads. [in, out] m (bases and
   elements in place), [in] s[0..n). The statistics feed T2.36-2.39 (min, max), T F.20-F.21
   (mean, sigma) and T3.22-3.23 (mean, max|G - mean|). A spin-aware model also gets each
   element's |S_i| range (sannip_model_moment_range_add), for the extrapolation warnings. */
SANNIP_API sannip_result sannip_model_fit_scaling(sannip_model *m, const sannip_structure *s, int n,
                                                  sannip_error *err);
/* The spread floor that training applies after sannip_model_fit_scaling: every feature's
   spreads (stats dev and sigma, the divisors of the modified, standard and scalesigma
   scalings, T3.21-3.24 and T F.20-F.23) are raised to at least kappa x g_f, where g_f is the
   RMS over the atoms of s[0..n) of |dG_f/dR|, the norm of the feature's gradient with respect
   to all atomic positions; then sannip_model_finalize. A displacement of kappa then moves no
   scaled feature by much more than one: a feature whose spread over the data is far below
   what its gradient allows (a geometry that hardly varies, as NiO's, whose features spread
   by 1e-3 relative) is not amplified by 1/spread into huge forces that training must undo.
   Features without position gradients (on-site spin terms) and constant ones (a = 0) keep
   their spreads; min and max keep the data's range (min-max scalings, extrapolation
   warnings). [in, out] m (statistics fitted), [in] s[0..n), kappa (length units, > 0);
   [out, optional] floored: the number of features raised (all elements). Sums run in
   structure and atom order: the result does not depend on threads. */
SANNIP_API sannip_result sannip_model_floor_spreads(sannip_model *m, const sannip_structure *s, int n, double kappa,
                                                    int *floored, sannip_error *err);
/* Per-element energy offsets by least squares, E_s ~ sum_e N_e,s mu_e (T F.28), and the
   energy scale as the spread of the per-atom residual (T F.24-F.27): energy_offset = mu_e,
   energy_scale = sigma. idx selects the structures (NULL: all).
   [in, out] m, [in] d, [in, optional] idx (n indices). One sigma for all elements (the
   standard deviation of (E_s - sum_e N_e,s mu_e)/N_s), not the per-element proxies of
   T F.29-F.30. Energy units of the data. SANNIP_UNKNOWN_ELEMENT for an atom m lacks. */
SANNIP_API sannip_result sannip_model_fit_energy(sannip_model *m, const sannip_dataset *d, const int *idx,
                                                 int n, sannip_error *err);

/* ==== 2. FEATURE CACHES ================================================================ */
/* Descriptors (and optionally their derivatives) of every atom of every structure, computed
   once (OpenMP over structures). Per structure: G (n x (fmax + 1)) and, per atom i and
   feature f, the derivative row dG_if/dr over the neighbour slots lo..hi-1 that can be
   non-zero (neighbours are ordered by element, so element-restricted features touch one
   run of slots), followed by the self slot, at row_off[frow[i] + f]: 3 (hi - lo) + 3 reals,
   or, for a radial basis (sannip_basis_is_radial: dG/dr_j = s_j u_ij), hi - lo + 3 reals,
   the s_j then the self slot. Radial rows are most rows of the usual descriptor sets, so
   this brings the cache to about 60% of its three-component size (training reads it twice
   per epoch, so its size is its speed).
   Slot s < n_i is neighbour nb[nb_start[i] + s], with unit vector U[3 (nb_start[i] + s)].
   Field training adds the spin derivatives dG_if/dS in dGs, rows compacted the same way
   (three reals a slot, never radial) at srow_off[frow[i] + f]; virial training adds the
   neighbour distances r_ij in Rn (one real a slot, d_ij = Rn u_ij). */
typedef struct sannip_cache_entry {
    int n;
    sannip_real *G;
    sannip_real *dG;          /* NULL when derivatives are not stored */
    size_t *frow;             /* n + 1: first row of atom i */
    size_t *row_off;          /* rows + 1 offsets into dG */
    int *row_lo, *row_hi;     /* slot range of each row */
    unsigned char *row_rad;   /* 1: a radial row (one real per slot) */
    sannip_real *U;           /* unit vector u_ij of every slot (with dG) */
    size_t *nb_start;         /* n + 1 offsets into nb */
    int *nb;                  /* neighbour atom of each slot */
    sannip_real *dGs;         /* spin derivative rows, or NULL (no field training) */
    size_t *srow_off;         /* rows + 1 offsets into dGs */
    int *srow_lo, *srow_hi;   /* slot range of each spin row */
    sannip_real *Rn;          /* distance of every slot, or NULL (no virial training) */
} sannip_cache_entry;

/* A cache of n entries (e[k] for structure k of the data set), owned by the cache. */
typedef struct sannip_feature_cache {
    int n, fmax;
    int with_derivatives;
    sannip_cache_entry *e;
    size_t bytes;             /* memory held */
    sannip_allocator alloc;
} sannip_feature_cache;

/* [out] c (empty), [in, optional] alloc; uninit frees every entry. */
SANNIP_API void sannip_feature_cache_init(sannip_feature_cache *c, const sannip_allocator *alloc);
SANNIP_API void sannip_feature_cache_uninit(sannip_feature_cache *c);
/* Builds the cache of every structure of d for model m's bases. with_derivatives = 0 keeps
   only G (derivatives are then recomputed per structure when needed); 1 the position
   derivatives; SANNIP_CACHE_SPIN (field training) and SANNIP_CACHE_DIST (virial training)
   or'ed in also the spin derivative rows and the pair distances.
   [in, out] c (its previous entries are freed), [in] m, d. Raw features in the bases'
   units, derivatives per length unit. Parallel over structures (OpenMP). */
enum { SANNIP_CACHE_SPIN = 2, SANNIP_CACHE_DIST = 4 };
SANNIP_API sannip_result sannip_feature_cache_build(sannip_feature_cache *c, const sannip_model *m,
        const sannip_dataset *d, int with_derivatives, sannip_error *err);
/* Bytes the cache with derivatives would take at most (before the runs of non-zero slots are
   cut out), without building it. [in] m, d. */
SANNIP_API size_t sannip_feature_cache_estimate(const sannip_model *m, const sannip_dataset *d);

/* ==== 3. TRAINING ====================================================================== */
/* Adam (Kingma & Ba 2015), plain mini-batch gradient descent (T sec. 2.1.12), or a global
   extended Kalman filter over all parameters (Blank & Brown 1994; the fading-memory filter of
   n2p2, Singraber et al., JCTC 15, 1827 (2019)): one update per structure's energy per atom and
   per randomly drawn force component, rows of the Jacobian from the analytic backward pass
   (sannip_structure_jacobian), covariance P (np x np) updated in symmetric form
   (sannip_ekf_update). It trains energies and forces (not the field or virial terms) and
   needs np <= SANNIP_EKF_MAX_PARAMS (SANNIP_TOO_BIG beyond): P takes 8 np^2 bytes and every
   update ~3 np^2 flops. batch_size, learning_rate, lr_decay and the Adam settings do not apply. */
typedef enum sannip_optimizer { SANNIP_OPT_ADAM = 0, SANNIP_OPT_SGD = 1, SANNIP_OPT_EKF = 2 } sannip_optimizer;
#ifndef SANNIP_EKF_MAX_PARAMS
#define SANNIP_EKF_MAX_PARAMS 8192    /* the EKF's largest model: P takes 512 MiB there */
#endif
#define SANNIP_EKF_MAX_ROWS 16        /* measurements of one sannip_ekf_update */

/* Passed to the progress callback after every epoch (energy units of the data; seconds). */
typedef struct sannip_train_progress {
    int epoch, epochs, best_epoch;
    double loss, train_rmse_e, train_rmse_f;  /* energy RMSE per atom, force RMSE per component */
    double val_rmse_e, val_rmse_f;            /* -1 without a validation set */
    double seconds_epoch, eta_seconds;
    double loss_weight_e, loss_weight_f;      /* the effective weights (sannip_loss_weights) */
    double train_rmse_h, val_rmse_h;          /* field RMSE per component (-1: no field term) */
    double train_rmse_w, val_rmse_w;          /* virial RMSE per atom and component (-1: none) */
    double loss_weight_h, loss_weight_w;      /* effective field and virial weights (0: none) */
    int spread_floored;                       /* features the spread floor raised (sannip_model_floor_spreads) */
    double spread_floor;                      /* its kappa (0: none) */
} sannip_train_progress;

/* Returning non-zero from the callback stops training (the best model so far is kept).
   Called from the calling thread, between epochs; user is cfg->user. */
typedef int (*sannip_progress_fn)(const sannip_train_progress *p, void *user);

typedef struct sannip_train_config {
    /* Zero-means-default (see sannip.h, PER-FUNCTION NOTES): every field's zero stands for the
       default named in its comment; SANNIP_OFF, where allowed, asks for none. */
    int optimizer;            /* sannip_optimizer; 0 = SANNIP_OPT_ADAM */
    int epochs;               /* 0: 300; SANNIP_OFF: none (only the scalers are fitted) */
    int batch_size;           /* structures per update; 0: 2 */
    double learning_rate;     /* 0: 1e-3 (Adam); the thesis used 1e-4 with SGD */
    double lr_decay;          /* learning rate multiplied by this every epoch; 0: 1 */
    double beta1, beta2, eps; /* Adam; 0: 0.9, 0.999, 1e-8 */
    double energy_weight;     /* w_E; 0: 1; SANNIP_OFF: no energy term */
    double force_weight;      /* w_F; 0: 1; SANNIP_OFF: energies only */
    double field_weight;      /* w_H, the effective-field term (structures with fields and spins,
                                 spin-aware models); 0: 1; SANNIP_OFF: none */
    double stress_weight;     /* w_W, the virial term (structures with a virial or stress);
                                 0: 1; SANNIP_OFF: none */
    int raw_loss;             /* 0: when training on forces, w_E is multiplied by
                                 <F^2> / var(E/N) of the training split (sannip_loss_weights),
                                 so w_E = w_F = 1 balances energies and forces;
                                 1: w_E and w_F multiply the raw squared errors */
    double l2;                /* weight decay on weights (not biases); 0: none */
    double validation_fraction;  /* 0: 0.2 (T sec. 4.2); SANNIP_OFF: no validation set */
    int patience;             /* epochs without validation improvement before stopping; 0: never */
    uint64_t seed;            /* initialisation, split and batch order; 0 is a seed like any other */
    int keep_weights;         /* 1: start from the model's parameters instead of a fresh init */
    int keep_scaling;         /* 1: keep the model's feature scalers and energy map; 0: fit them
                                 on the training split */
    double spread_floor;      /* kappa of sannip_model_floor_spreads (length units of the data),
                                 applied when the scalers are fitted; 0: 0.1 with Adam and SGD,
                                 none with the EKF (its measurement noise lambda/eta is in the
                                 data's units: with the floor, test_ekf's NiO model stayed at the
                                 zero-force predictor for 6 epochs); SANNIP_OFF: none */
    int recompute_derivatives;/* 1: recompute dG per structure (less memory); 0: store them */
    size_t cache_limit;       /* bytes: when the stored derivatives would take more (estimate),
                                 they are recomputed instead; 0 = no limit */
    int pca;                  /* k > 0: PCA initialisation (T sec. 3.2.2) of the first k neurons */
    /* SANNIP_OPT_EKF, as n2p2's keywords kalman_epsilon, _q0, _qtau, _qmin, _eta, _etatau,
       _etamax, _lambda_short, _nue_short, short_force_fraction. With t = epoch - 1 + (updates
       done this epoch) / (updates per epoch): P starts as I / ekf_epsilon (0: 0.01); the
       process noise q = max(ekf_q0 exp(-ekf_qtau t), ekf_qmin) joins P's diagonal after every
       update (0: 0.01, 2.302, 1e-6; SANNIP_OFF: none); the measurement noise is lambda / eta,
       eta = min(ekf_eta exp(ekf_etatau t), ekf_etamax) (0: 0.01, 2.302, 1); the forgetting
       factor lambda starts at ekf_lambda and moves towards 1 after every update, lambda <- nu
       lambda + 1 - nu (0: 1, 1: no forgetting; the fading-memory filter of the literature uses
       0.96, 0.9987 with eta = 1). An epoch updates on every training structure's energy per atom
       and on ekf_force_fraction x (the training split's force components) force components
       drawn at random (0: 0.02), ekf_rows measurements an update (energies of consecutive
       structures, or components of one structure; 0: 1, at most SANNIP_EKF_MAX_ROWS). */
    double ekf_epsilon, ekf_q0, ekf_qtau, ekf_qmin, ekf_eta, ekf_etatau, ekf_etamax, ekf_lambda, ekf_nu, ekf_force_fraction;
    int ekf_rows;
    int validation_last;      /* k > 0: the last k structures of the data set validate, the others
                                 train (a split given from outside, e.g. n2p2's test.data; no
                                 shuffle, validation_fraction unused); 0: the seeded split */
    sannip_progress_fn progress;
    void *user;
    /* [optional] a flag (e.g. set by a SIGINT handler): once non-zero, training stops before
       the next batch and keeps the best model of the completed epochs. Set before the first
       epoch completes, it leaves no trained model: report epochs_run 0 (committee: any
       member's), the parameters as initialised. NULL (default): never. */
    const volatile sig_atomic_t *stop;
} sannip_train_config;

/* What a training run did; errors in the units of the data (energy per atom, force per
   component), times in seconds. */
typedef struct sannip_train_report {
    int epochs_run, best_epoch, n_train, n_val;
    double train_rmse_e, train_rmse_f, val_rmse_e, val_rmse_f;   /* of the best model */
    double train_mae_e, train_mae_f, val_mae_e, val_mae_f;
    double seconds, seconds_per_epoch;
    size_t cache_bytes;
    int derivatives_cached;   /* 1: descriptor derivatives were stored, 0: recomputed per use */
    double loss_weight_e, loss_weight_f;   /* the effective weights (sannip_loss_weights) */
    double train_rmse_h, val_rmse_h, train_rmse_w, val_rmse_w;   /* field per component, virial per
                                              atom and component; -1 without the term */
    double loss_weight_h, loss_weight_w;   /* effective field and virial weights (0: none) */
    int spread_floored;       /* features the spread floor raised (sannip_model_floor_spreads) */
    int *val_index;           /* validation structures (owned, allocated with alloc;
                                 sannip_train_report_uninit) */
    sannip_allocator alloc;   /* the model's allocator (zero: the default) */
} sannip_train_report;

/* The defaults documented in sannip_train_config, written out (Adam, 300 epochs, batch 2,
   lr 1e-3, seed 0, validation 0.2, scalers fitted, derivatives cached); a zeroed
   sannip_train_config trains the same way. */
SANNIP_API sannip_train_config sannip_train_config_init(void);
/* Trains m on d. The model must have its descriptor set and elements (networks) in place.
   On return m holds the parameters with the best validation error (training error without a
   validation set). A non-finite loss stops training with SANNIP_NONFINITE and m keeps the
   last good model. report->epochs_run 0 (on success or failure) means that no epoch was
   completed: m is not trained and should not replace a trained model. Same seed, same data
   -> bit-identical model, whatever the threads.
   [in, out] m, [in] d, [in, optional] cfg (NULL: defaults), [out, optional] report
   (zero-initialise it: a failure before training leaves it untouched; free its val_index
   with sannip_train_report_uninit), [out, optional] err. Returns SANNIP_SUCCESS,
   SANNIP_BAD_PARAMETER (cfg out of range), a sannip_dataset_check code, SANNIP_NONFINITE or
   SANNIP_OUT_OF_MEMORY. Parallel inside (OpenMP); one training per model at a time. */
SANNIP_API sannip_result sannip_train(sannip_model *m, const sannip_dataset *d, const sannip_train_config *cfg,
                                      sannip_train_report *report, sannip_error *err);
SANNIP_API void sannip_train_report_uninit(sannip_train_report *r);
/* The effective loss weights of training on structures idx[0..n) of d (the training split):
   with cfg->raw_loss = 0 and force training (w_F > 0), *we = w_E <F^2> / var(E/N), where
   var(E/N) is the variance of the reference energies per atom about their mean and <F^2>
   the mean square reference force component (the variance of forces about zero); *wf = w_F.
   The trivial predictors (training-mean energy, zero forces) then score w_E <F^2> and
   w_F <F^2>: default weights balance energies and forces whatever their units and spreads,
   and the loss keeps the scale of the raw force term (learning rates carry over). Energy-only
   training, a zero spread (one structure, equal energies, no forces) and raw_loss = 1 keep
   w_E and w_F as they are. [in] d, idx, n, cfg (NULL: defaults); [out] we, wf. Thread-safe. */
SANNIP_API void sannip_loss_weights(const sannip_dataset *d, const int *idx, int n, const sannip_train_config *cfg,
                                    double *we, double *wf);
/* All four effective weights, w = {w_E, w_F, w_H, w_W}: w_E and w_F as above; with
   raw_loss = 0, w_H = field_weight x ref / <H^2> and w_W = stress_weight x ref / <(W/N)^2>
   (mean squares of the reference field components and of the virial components per atom, over
   the structures that have them), ref = <F^2> when training on forces, else var(E/N): every
   term scores its weight times ref for its trivial (zero) predictor. Thread-safe. */
SANNIP_API void sannip_loss_weights_ex(const sannip_dataset *d, const int *idx, int n, const sannip_train_config *cfg,
                                       double w[4]);

/* Loss gradient of one structure for tests and custom loops: adds dL/dparams (all element
   networks concatenated in element order) to grad and returns the structure's loss terms.
   [in] m, s (with reference energy, and forces when force_weight > 0), energy_weight,
   force_weight; [out, optional] loss; [in, out] grad (sannip_model_n_params reals). */
SANNIP_API sannip_result sannip_structure_gradient(const sannip_model *m, const sannip_structure *s,
        double energy_weight, double force_weight, double *loss, sannip_real *grad, sannip_error *err);
/* The same with all four terms, weights = {w_E, w_F, w_H, w_W} (raw weights of the loss in
   the header comment); w_H > 0 needs s->spins and s->fields, w_W > 0 s->has_virial, else
   SANNIP_INVALID_ARGS. The field term differentiates H = -dE/dS through the spin derivatives
   of the features as the force term does F (second derivatives, no differences). */
SANNIP_API sannip_result sannip_structure_gradient_ex(const sannip_model *m, const sannip_structure *s,
        const double weights[4], double *loss, sannip_real *grad, sannip_error *err);
/* A row of the Jacobian of the predictions with respect to the parameters (the EKF's): row -1
   the energy E, row k = 3 a + x (0 <= k < 3n) the force component F_k, by the backward pass
   of the loss gradient with the adjoints of that output alone (dF_k/dparams by the tangent pass;
   no differences). [in] m, s (no references needed), row; [out, optional] value (E or F_k);
   [out] jac (sannip_model_n_params reals, overwritten). SANNIP_INVALID_ARGS for another row. */
SANNIP_API sannip_result sannip_structure_jacobian(const sannip_model *m, const sannip_structure *s, int row,
        double *value, sannip_real *jac, sannip_error *err);
/* All parameters of m as one vector (copy in/out) and their count. get: [out, optional]
   out (NULL: only the count); set: [in] in (sannip_model_n_params reals). */
SANNIP_API size_t sannip_model_get_params(const sannip_model *m, sannip_real *out);
SANNIP_API void sannip_model_set_params(sannip_model *m, const sannip_real *in);
/* Fresh weights: uniform in +-sqrt(6/(fan_in + fan_out)) (Glorot), zero biases; for every
   network of a model, or one network (class layers: per class). [in, out] m / net, rng
   (the draws follow network and layer order, so a seed gives the same weights). */
SANNIP_API void sannip_model_init_weights(sannip_model *m, sannip_rng *rng);
SANNIP_API void sannip_network_init_weights(sannip_network *net, sannip_rng *rng);

/* ==== 4. COMMITTEES ==================================================================== */
/* A bag of M models (T sec. 4.2.1-4.2.2): same architecture, each with its own initialisation
   and validation split. Caller-owned; init/uninit. */
typedef struct sannip_committee {
    int n;
    sannip_model *m;          /* n models (owned) */
    sannip_allocator alloc;
} sannip_committee;

/* Committee errors (energy per atom and force per component, units of the data) of the
   aggregate prediction (T4.5, T sec. 4.2.1) and of the concatenated validation predictions
   (T4.6, T sec. 4.2.2), and the figure of merit (T4.7, T sec. 4.2.3; 1/(s x error unit)). */
typedef struct sannip_committee_report {
    double agg_rmse_e, agg_mae_e, agg_rmse_f, agg_mae_f;   /* T4.5: mean prediction vs reference, all data */
    double val_rmse_e, val_mae_e, val_rmse_f, val_mae_f;   /* T4.6: concatenated validation predictions */
    double seconds_per_epoch;                               /* mean over members */
    double fom_e, fom_f;                                    /* T4.7: 1 / (s/epoch x validation RMSE) */
    double seconds;
    size_t cache_bytes;       /* descriptor cache(s) held: one shared, else the members' sum */
    int derivatives_cached;   /* 1: descriptor derivatives were stored */
    int epochs_run;           /* fewest epochs a member completed, also when training failed:
                                 0 = no trained committee (do not save it over a trained one) */
} sannip_committee_report;

/* [out] c (empty), [in, optional] alloc; uninit frees the members (c stays reusable). */
SANNIP_API void sannip_committee_init(sannip_committee *c, const sannip_allocator *alloc);
SANNIP_API void sannip_committee_uninit(sannip_committee *c);
/* Makes n copies of the template model (descriptors, elements, architecture).
   [in, out] c (previous members freed), [in] tmpl, n (1..100000). */
SANNIP_API sannip_result sannip_committee_create(sannip_committee *c, const sannip_model *tmpl, int n, sannip_error *err);
/* Trains every member with seed cfg->seed + k (its own split and initialisation), then fills
   the report (on failure only rep->epochs_run). Results do not depend on the number of
   threads. [in, out] c, [in] d, [in, optional] cfg, [out, optional] rep, err. */
SANNIP_API sannip_result sannip_committee_train(sannip_committee *c, const sannip_dataset *d, const sannip_train_config *cfg,
        sannip_committee_report *rep, sannip_error *err);
/* Committee mean and spread (standard deviation over members) of the energy, per-atom
   energies and forces of one system. Optional outputs may be NULL. ws: one workspace.
   [in] c, sys; [in, out] ws; [out, optional] energy, energy_spread (energy units),
   atom_spread (n), forces, force_spread (n x 3, energy/length). The mean and spread are the
   committee's aggregate prediction (T4.5) and its uncertainty. One ws per thread. With
   ws->extrapolation set, every member is tested against its own training ranges (members
   train on different splits) and the member with the most atoms outside (then the largest
   excess) is reported: the committee extrapolates where any member does. */
SANNIP_API sannip_result sannip_committee_predict(const sannip_committee *c, sannip_workspace *ws, const sannip_system *sys,
        sannip_real *energy, sannip_real *energy_spread, sannip_real *atom_spread,
        sannip_real *forces, sannip_real *force_spread, sannip_error *err);
/* Query by committee: indices of the structures of d sorted by decreasing energy spread per
   atom (spread[k] receives the spread of order[k]). [in] c, d; [out] order (d->n ints);
   [out, optional] spread (d->n, energy per atom). Ties keep the data order. */
SANNIP_API sannip_result sannip_committee_rank(const sannip_committee *c, const sannip_dataset *d, int *order,
        sannip_real *spread, sannip_error *err);
/* Committee files: "sannip-committee 1 M" followed by the M model texts. A plain model
   file loads as a committee of one. save_mem: [out] *out owned by the caller (sannip_free
   with c's allocator), [out, optional] len. load: [in, out] c (previous members freed; empty
   on failure; err names the member). save_file writes atomically (sannip_write_file_atomic). */
SANNIP_API sannip_result sannip_committee_save_mem(const sannip_committee *c, char **out, size_t *len, sannip_error *err);
SANNIP_API sannip_result sannip_committee_load_mem(sannip_committee *c, const char *text, size_t len, sannip_error *err);
/* Committee files through user callbacks (sannip.h's sannip_io_callbacks and sannip_write_fn;
   they exist under SANNIP_NO_STDIO too).
   load: sannip_committee_load_mem on the text io delivers (read with sannip_read_callbacks
   through c->alloc, limit SANNIP_MAX_READ_BYTES; the buffer is freed before returning).
   [in, out] c (initialised; replaced on success, emptied when the text is bad, unchanged when
   reading fails); [in] io; [in, optional] user (passed to the callbacks); [out, optional] err
   Returns sannip_read_callbacks's or sannip_committee_load_mem's result and message.
   save: the text of sannip_committee_save_mem through writer, in consecutive pieces of at
   most 64 KiB (sannip_write_callbacks). [in] c, writer; [in, optional] user; [out, optional]
   err. Returns SANNIP_SUCCESS, SANNIP_INVALID_ARGS, save_mem's errors or SANNIP_IO_ERROR
   (writer failed; the message gives the byte range). */
SANNIP_API sannip_result sannip_committee_load_callbacks(sannip_committee *c, const sannip_io_callbacks *io,
                                                         void *user, sannip_error *err);
SANNIP_API sannip_result sannip_committee_save_callbacks(const sannip_committee *c, sannip_write_fn writer,
                                                         void *user, sannip_error *err);
#ifndef SANNIP_NO_STDIO
SANNIP_API sannip_result sannip_committee_save_file(const sannip_committee *c, const char *path, sannip_error *err);
SANNIP_API sannip_result sannip_committee_load_file(sannip_committee *c, const char *path, sannip_error *err);
#endif

/* PCA initialisation (T sec. 3.2.2): for every element whose first layer is dense, the first k
   neurons become the top-k principal components of the scaled features of the cached
   atoms (rows = unit eigenvectors of the covariance, bias = -v.mean); the rest stay as they
   are. Structures idx[0..n) of the cache. Deterministic (cyclic Jacobi, fixed signs).
   [in, out] m (scalers fitted), [in] c (built for m), d, idx, n, k. */
SANNIP_API sannip_result sannip_model_pca_init(sannip_model *m, const sannip_feature_cache *c, const sannip_dataset *d,
                                               const int *idx, int n, int k, sannip_error *err);
/* Eigen-decomposition of a symmetric n x n matrix A (destroyed): eigenvalues in w
   (descending) and unit eigenvectors in the rows of V. [in, out] A; [out] w (n), V (n x n). */
SANNIP_API void sannip_symmetric_eigen(double *A, int n, double *w, double *V);

/* One optimiser step on n parameters. Adam keeps m, v (2n reals, zero at start) and t.
   [in, out] p, mv; [in] g (dL/dp), t = 1, 2, ... (the step number, for the bias correction
   of Kingma & Ba 2015), lr, b1, b2, eps. SGD: p -= lr g (T sec. 2.1.12). Never allocate. */
SANNIP_API void sannip_adam_step(sannip_real *p, const sannip_real *g, sannip_real *mv, size_t n, long t,
                                 double lr, double b1, double b2, double eps);
SANNIP_API void sannip_sgd_step(sannip_real *p, const sannip_real *g, size_t n, double lr);
/* One extended Kalman filter update of n parameters w with k measurements (1..SANNIP_EKF_MAX_ROWS)
   of noise r I and forgetting factor lambda: with X = P H^T, A = H X + r I = L L^T (Cholesky)
   and Y = X L^-T,
       w += Y L^-1 xi,   P = (P - Y Y^T) / lambda + q I
   (K = X A^-1 is the Kalman gain and Y Y^T = K X^T; Y Y^T is symmetric to the last bit, so P
   stays exactly symmetric). n2p2's standard filter is r = 1/eta, lambda = 1; its fading-memory
   filter (Blank & Brown 1994) r = lambda. [in, out] P (n x n, symmetric positive definite,
   row-major), w (n); [in] H (k x n: row j = d prediction_j / dw), xi (k: reference -
   prediction), r > 0, lambda > 0, q >= 0; work (n k doubles). Rows of P in parallel (OpenMP),
   each entry one fixed-order sum: the same bits for any threads. Returns SANNIP_SUCCESS,
   SANNIP_INVALID_ARGS (k out of range, r or lambda <= 0, q < 0) or SANNIP_NONFINITE (A not
   positive definite or a non-finite step: w and P unchanged). Never allocates. */
SANNIP_API sannip_result sannip_ekf_update(double *P, sannip_real *w, const double *H, const double *xi, size_t n, int k,
                                           double r, double lambda, double q, double *work);

#ifdef __cplusplus
}
#endif
#endif /* SANNIP_TRAIN_H */

/* Implementation guard (sokol-style): SANNIP_IMPLEMENTATION switches on every header's
   implementation; SANNIP_TRAIN_IMPLEMENTATION this one's alone. It uses sannip.h's public API and
   its "for sibling headers" section (static functions), so sannip.h's implementation must be
   in the same file. */
#if defined(SANNIP_IMPLEMENTATION) && !defined(SANNIP_TRAIN_IMPLEMENTATION)
#define SANNIP_TRAIN_IMPLEMENTATION
#endif
#if defined(SANNIP_TRAIN_IMPLEMENTATION) && !defined(SANNIP_TRAIN_IMPLEMENTATION_DONE)
#define SANNIP_TRAIN_IMPLEMENTATION_DONE
#ifndef SANNIP_IMPLEMENTATION_DONE
#error "SANNIP_TRAIN_IMPLEMENTATION needs sannip.h's implementation in the same file: #define SANNIP_IMPLEMENTATION before including sannip.h"
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __cplusplus
extern "C" {
#endif

/* ---- 1. DATA SETS -------------------------------------------------------------------- */
SANNIP_API sannip_result sannip_dataset_check(const sannip_dataset *d, int need_forces, sannip_error *err)
{
    int i;
    if (!d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if (d->n == 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "empty data set");
    for (i = 0; i < d->n; i++) {
        const sannip_structure *s = &d->s[i];
        if (!s->has_energy) return sannip__fail(err, SANNIP_PARSE_ERROR, 0, 0, "structure %d has no reference energy", i + 1);
        if (!isfinite(s->energy)) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "structure %d: energy is not finite", i + 1);
        if (!(s->weight >= 0) || !isfinite(s->weight)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "structure %d: weight %g", i + 1, (double)s->weight);
        if (need_forces && !s->forces) return sannip__fail(err, SANNIP_PARSE_ERROR, 0, 0, "structure %d has no reference forces (use force weight 0 to train on energies only)", i + 1);
    }
    return SANNIP_SUCCESS;
}

/* The |S_i| range per element over n structures, for the moment test of the extrapolation
   warnings: spin-aware models only (the energy of other models does not see the moments). */
static sannip_result sannip__fit_moment_ranges(sannip_model *m, const sannip_structure *s, int n, sannip_error *err)
{
    sannip_result r = SANNIP_SUCCESS;
    int e, i;
    for (e = 0; e < m->n_elements; e++) m->el[e].has_moment_range = 0;
    if (!sannip_descriptors_need_spins(&m->desc)) return r;
    for (i = 0; i < n && r == SANNIP_SUCCESS; i++)
        if (s[i].spins) r = sannip_model_moment_range_add(m, s[i].n, s[i].Z, s[i].spins, err);
    return r;
}

/* sannip_model_fit_scaling; once *stop (may be NULL) is set it returns at the next structure
   without fitting anything (the caller, seeing *stop, discards the model). */
static sannip_result sannip__fit_scaling(sannip_model *m, const sannip_structure *s, int n, const volatile sig_atomic_t *stop, sannip_error *err)
{
    sannip_workspace ws;
    sannip_result r = SANNIP_SUCCESS;
    int e, i, a, f, fm = 0, nmax = 0, stopped = 0;
    double *sum, *sum2;
    long *count;
    sannip_real *G;
    if (!m || (n > 0 && !s)) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL model or structures");
    for (e = 0; e < m->n_elements; e++) if (m->el[e].n_features > fm) fm = m->el[e].n_features;
    for (i = 0; i < n; i++) if (s[i].n > nmax) nmax = s[i].n;
    sum = (double *)sannip__calloc(&m->alloc, (size_t)m->n_elements * (fm + 1) * 2, sizeof(double));
    count = (long *)sannip__calloc(&m->alloc, (size_t)m->n_elements + 1, sizeof(long));
    G = (sannip_real *)sannip__calloc(&m->alloc, (size_t)nmax * (fm + 1) + 1, sizeof(sannip_real));
    if (!sum || !count || !G) { sannip_free(&m->alloc, sum); sannip_free(&m->alloc, count); sannip_free(&m->alloc, G); return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "feature statistics of %d elements", m->n_elements); }
    sum2 = sum + (size_t)m->n_elements * (fm + 1);
    sannip_workspace_init(&ws, &m->alloc);
    for (i = 0; i < n && r == SANNIP_SUCCESS; i++) {
        sannip_system sys = sannip_structure_view(&s[i]);
        if (stop && *stop) { stopped = 1; break; }
        if ((r = sannip_model_features(m, &ws, &sys, G, fm + 1, err)) != SANNIP_SUCCESS) break;
        for (a = 0; a < sys.n; a++) {
            sannip_element_model *el;
            e = sannip_model_element_index(m, sys.Z[a]);
            el = &m->el[e];
            for (f = 0; f < el->n_features; f++) {
                sannip_real g = G[(size_t)a * (fm + 1) + f];
                sannip_feature_stats *st = &el->stats[f];
                if (count[e] == 0 || g < st->min) st->min = g;
                if (count[e] == 0 || g > st->max) st->max = g;
                sum[(size_t)e * (fm + 1) + f] += g;
                sum2[(size_t)e * (fm + 1) + f] += (double)g * g;
            }
            count[e]++;
        }
    }
    if (r == SANNIP_SUCCESS && !stopped)
        for (e = 0; e < m->n_elements; e++) {
            sannip_element_model *el = &m->el[e];
            for (f = 0; f < el->n_features && count[e] > 0; f++) {
                double mu = sum[(size_t)e * (fm + 1) + f] / count[e];
                double var = sum2[(size_t)e * (fm + 1) + f] / count[e] - mu * mu;
                el->stats[f].mean = (sannip_real)mu;
                el->stats[f].sigma = (sannip_real)sqrt(var > 0 ? var : 0);
                el->stats[f].dev = (sannip_real)(el->stats[f].max - mu > mu - el->stats[f].min ? el->stats[f].max - mu : mu - el->stats[f].min);
            }
        }
    sannip_workspace_uninit(&ws);
    sannip_free(&m->alloc, sum); sannip_free(&m->alloc, count); sannip_free(&m->alloc, G);
    if (r == SANNIP_SUCCESS && !stopped) r = sannip__fit_moment_ranges(m, s, n, err);
    if (r == SANNIP_SUCCESS && !stopped) r = sannip_model_finalize(m, err);
    return r;
}
SANNIP_API sannip_result sannip_model_fit_scaling(sannip_model *m, const sannip_structure *s, int n, sannip_error *err)
{
    return sannip__fit_scaling(m, s, n, NULL, err);
}

/* Per-element energy offsets by least squares (T F.28) and the per-atom residual spread. */
SANNIP_API sannip_result sannip_model_fit_energy(sannip_model *m, const sannip_dataset *d, const int *idx,
                                                 int n, sannip_error *err)
{
    double A[SANNIP_MAX_ELEMENTS * SANNIP_MAX_ELEMENTS], b[SANNIP_MAX_ELEMENTS], mu[SANNIP_MAX_ELEMENTS];
    double cnt[SANNIP_MAX_ELEMENTS], s1 = 0, s2 = 0, tot = 0;
    int ne, i, e, k, a, piv;
    if (!m || !d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    ne = m->n_elements;
    for (e = 0; e < ne * ne; e++) A[e] = 0;
    for (e = 0; e < ne; e++) b[e] = 0;
    /* normal equations sum_s N_s N_s^T mu = sum_s N_s E_s, with a tiny ridge for elements
       that always appear in the same ratio */
    for (i = 0; i < n; i++) {
        const sannip_structure *s = &d->s[idx ? idx[i] : i];
        for (e = 0; e < ne; e++) cnt[e] = 0;
        for (a = 0; a < s->n; a++) { int q = sannip_model_element_index(m, s->Z[a]); if (q < 0) return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "structure %d atom %d: element %s is not in the model", (idx ? idx[i] : i) + 1, a + 1, sannip_element_symbol(s->Z[a])); cnt[q] += 1; }
        for (e = 0; e < ne; e++) { for (k = 0; k < ne; k++) A[e * ne + k] += cnt[e] * cnt[k]; b[e] += cnt[e] * s->energy; }
    }
    for (e = 0; e < ne; e++) A[e * ne + e] += 1e-9 * (A[e * ne + e] + 1);
    /* Gaussian elimination with partial pivoting */
    for (e = 0; e < ne; e++) {
        double best = fabs(A[e * ne + e]);
        piv = e;
        for (k = e + 1; k < ne; k++) if (fabs(A[k * ne + e]) > best) { best = fabs(A[k * ne + e]); piv = k; }
        if (piv != e) { for (k = 0; k < ne; k++) { double t = A[e * ne + k]; A[e * ne + k] = A[piv * ne + k]; A[piv * ne + k] = t; } { double t = b[e]; b[e] = b[piv]; b[piv] = t; } }
        if (A[e * ne + e] == 0) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "energy offsets: singular system");
        for (k = e + 1; k < ne; k++) {
            double f = A[k * ne + e] / A[e * ne + e];
            int c;
            for (c = e; c < ne; c++) A[k * ne + c] -= f * A[e * ne + c];
            b[k] -= f * b[e];
        }
    }
    for (e = ne - 1; e >= 0; e--) { double t = b[e]; for (k = e + 1; k < ne; k++) t -= A[e * ne + k] * mu[k]; mu[e] = t / A[e * ne + e]; }
    for (i = 0; i < n; i++) {
        const sannip_structure *s = &d->s[idx ? idx[i] : i];
        double r = s->energy;
        for (a = 0; a < s->n; a++) r -= mu[sannip_model_element_index(m, s->Z[a])];
        r /= s->n; s1 += r; s2 += r * r; tot += 1;
    }
    for (e = 0; e < ne; e++) {
        double var = tot > 0 ? s2 / tot - (s1 / tot) * (s1 / tot) : 0;
        m->el[e].energy_offset = (sannip_real)mu[e];
        m->el[e].energy_scale = (sannip_real)(var > 1e-24 ? sqrt(var) : 1);
    }
    return SANNIP_SUCCESS;
}

/* ---- 2. FEATURE CACHES ---------------------------------------------------------------- */
SANNIP_API void sannip_feature_cache_init(sannip_feature_cache *c, const sannip_allocator *alloc)
{
    memset(c, 0, sizeof *c);
    c->alloc = sannip__alloc_copy(alloc);
}
static void sannip__entry_free(const sannip_allocator *a, sannip_cache_entry *e)
{
    sannip_free(a, e->G); sannip_free(a, e->dG); sannip_free(a, e->frow); sannip_free(a, e->row_off);
    sannip_free(a, e->row_lo); sannip_free(a, e->row_hi); sannip_free(a, e->nb_start); sannip_free(a, e->nb);
    sannip_free(a, e->row_rad); sannip_free(a, e->U);
    sannip_free(a, e->dGs); sannip_free(a, e->srow_off); sannip_free(a, e->srow_lo); sannip_free(a, e->srow_hi); sannip_free(a, e->Rn);
    memset(e, 0, sizeof *e);
}
SANNIP_API void sannip_feature_cache_uninit(sannip_feature_cache *c)
{
    int i;
    for (i = 0; i < c->n; i++) sannip__entry_free(&c->alloc, &c->e[i]);
    sannip_free(&c->alloc, c->e);
    c->e = NULL; c->n = 0; c->bytes = 0;
}
static int sannip__model_fmax(const sannip_model *m)
{
    int e, f = 0;
    for (e = 0; e < m->n_elements; e++) if (m->el[e].n_features > f) f = m->el[e].n_features;
    return f;
}
/* Sizes of one structure's cache entry: derivative reals at most (before compaction), rows,
   the largest neighbour count, and the reals of the dense derivative rows and of the
   descriptor work of one atom. */
typedef struct sannip__entry_dims { size_t tot, rows, dense_n, work_n; int nmax; } sannip__entry_dims;
static sannip_result sannip__entry_dims_of(const sannip_model *m, const sannip_system *sys, const sannip_neighbors *nl,
                                           sannip__entry_dims *dm, sannip_error *err)
{
    int i, fmax = sannip__model_fmax(m);
    memset(dm, 0, sizeof *dm);
    for (i = 0; i < sys->n; i++) {
        int q = sannip_model_element_index(m, sys->Z[i]), c = (int)(nl->start[i + 1] - nl->start[i]);
        if (q < 0) return sannip__fail(err, SANNIP_UNKNOWN_ELEMENT, 0, 0, "atom %d: element %s is not in the model", i + 1, sannip_element_symbol(sys->Z[i]));
        if (c > dm->nmax) dm->nmax = c;
        dm->tot += (size_t)m->el[q].n_features * ((size_t)c + 1) * 3;
        dm->rows += (size_t)m->el[q].n_features;
    }
    dm->dense_n = (size_t)fmax * ((size_t)dm->nmax + 1) * 3;
    for (i = 0; i < m->n_elements; i++) {
        size_t w = sannip_env_work_size(&m->desc, m->el[i].feature, m->el[i].n_features, dm->nmax);
        if (w > dm->work_n) dm->work_n = w;
    }
    return SANNIP_SUCCESS;
}
/* Allocates every array of entry e (derivatives and unit vectors only with with_dg); 0 when
   any allocation failed (the caller frees the rest). */
static int sannip__entry_alloc(sannip_cache_entry *e, int n, int fmax, const sannip__entry_dims *dm, size_t n_pairs, int with_dg,
                               const sannip_allocator *a)
{
    e->n = n;
    e->G = (sannip_real *)sannip__calloc(a, (size_t)n * (fmax + 1) + 1, sizeof(sannip_real));
    e->frow = (size_t *)sannip__calloc(a, (size_t)n + 1, sizeof(size_t));
    e->row_off = (size_t *)sannip__calloc(a, dm->rows + 1, sizeof(size_t));
    e->row_lo = (int *)sannip__calloc(a, dm->rows + 1, sizeof(int));
    e->row_hi = (int *)sannip__calloc(a, dm->rows + 1, sizeof(int));
    e->nb_start = (size_t *)sannip__calloc(a, (size_t)n + 1, sizeof(size_t));
    e->nb = (int *)sannip__calloc(a, n_pairs + 1, sizeof(int));
    e->row_rad = (unsigned char *)sannip__calloc(a, dm->rows + 1, 1);
    e->U = with_dg ? (sannip_real *)sannip__calloc(a, 3 * n_pairs + 1, sizeof(sannip_real)) : NULL;
    e->dG = with_dg ? (sannip_real *)sannip__calloc(a, dm->tot + 1, sizeof(sannip_real)) : NULL;
    if (with_dg & SANNIP_CACHE_SPIN) {
        e->dGs = (sannip_real *)sannip__calloc(a, dm->tot + 1, sizeof(sannip_real));
        e->srow_off = (size_t *)sannip__calloc(a, dm->rows + 1, sizeof(size_t));
        e->srow_lo = (int *)sannip__calloc(a, dm->rows + 1, sizeof(int));
        e->srow_hi = (int *)sannip__calloc(a, dm->rows + 1, sizeof(int));
        if (!e->dGs || !e->srow_off || !e->srow_lo || !e->srow_hi) return 0;
    }
    if ((with_dg & SANNIP_CACHE_DIST) && !(e->Rn = (sannip_real *)sannip__calloc(a, n_pairs + 1, sizeof(sannip_real)))) return 0;
    return e->G && e->frow && e->row_off && e->row_lo && e->row_hi && e->nb_start && e->nb && e->row_rad && (!with_dg || (e->dG && e->U));
}
/* The neighbour slots of the entry: the neighbour atoms and, with derivatives, the unit
   vectors u_ij. */
static void sannip__entry_neighbors(sannip_cache_entry *e, const sannip_neighbors *nl, int n, int with_dg)
{
    int i, x;
    memcpy(e->nb_start, nl->start, sizeof(size_t) * ((size_t)n + 1));
    memcpy(e->nb, nl->j, sizeof(int) * nl->n_pairs);
    if (with_dg) for (i = 0; (size_t)i < nl->n_pairs; i++)
        for (x = 0; x < 3; x++) e->U[3 * (size_t)i + x] = nl->d[3 * (size_t)i + x] / nl->r[i];
    if (e->Rn) for (i = 0; (size_t)i < nl->n_pairs; i++) e->Rn[i] = nl->r[i];
}
/* Derivative row k of an atom with n neighbours (row: 3 (n + 1) dense reals, the self slot
   last) compacted into e->dG at *tot: the run of neighbour slots lo..hi-1 that can be
   non-zero (a radial row as s_j = dG/dr_j . u_ij, one real a slot), then the self slot. */
static void sannip__entry_row(sannip_real *dst, int *lo_k, int *hi_k, const sannip_real *row, int n, const sannip_real *u, int rad, size_t *tot)
{
    int lo, hi, q;
    for (lo = 0; lo < n && !row[3 * lo] && !row[3 * lo + 1] && !row[3 * lo + 2]; lo++) {}
    for (hi = n; hi > lo && !row[3 * hi - 3] && !row[3 * hi - 2] && !row[3 * hi - 1]; hi--) {}
    *lo_k = lo; *hi_k = hi;
    if (rad) {   /* s_j = dG/dr_j . u_ij */
        for (q = lo; q < hi; q++) dst[(*tot)++] = row[3 * q] * u[3 * q] + row[3 * q + 1] * u[3 * q + 1] + row[3 * q + 2] * u[3 * q + 2];
    } else {
        memcpy(dst + *tot, row + 3 * (size_t)lo, sizeof(sannip_real) * 3 * (size_t)(hi - lo));
        *tot += 3 * (size_t)(hi - lo);
    }
    memcpy(dst + *tot, row + 3 * (size_t)n, sizeof(sannip_real) * 3);
    *tot += 3;
}
/* Atom i (element el, environment env) into the entry: its descriptors into its row of G
   and, when dense != NULL (derivatives kept), its derivative rows from row *rows and real
   tot[0] of dG on (with e->dGs, its spin rows, the dense ones at sdense, from tot[1] of dGs). */
static void sannip__entry_atom(const sannip_model *m, const sannip_element_model *el, const sannip_env *env, int i, int fmax,
                               sannip_cache_entry *e, sannip_real *dense, sannip_real *sdense, sannip_real *work, size_t *rows, size_t *tot)
{
    const sannip_real *u = dense ? e->U + 3 * e->nb_start[i] : NULL;
    size_t n3 = 3 * ((size_t)env->n + 1);
    int f;
    e->frow[i] = *rows;
    sannip__env_eval(&m->desc, el->feature, el->n_features, env, e->G + (size_t)i * (fmax + 1), dense, NULL, NULL, e->dGs ? sdense : NULL, NULL, work);
    for (f = 0; f < el->n_features; f++, (*rows)++) {
        int rad = sannip_basis_is_radial(&m->desc.b[el->feature[f]]);
        e->row_off[*rows] = tot[0];
        e->row_rad[*rows] = (unsigned char)rad;
        if (dense) sannip__entry_row(e->dG, &e->row_lo[*rows], &e->row_hi[*rows], dense + (size_t)f * n3, env->n, u, rad, &tot[0]);
        if (!e->dGs) continue;
        e->srow_off[*rows] = tot[1];
        sannip__entry_row(e->dGs, &e->srow_lo[*rows], &e->srow_hi[*rows], sdense + (size_t)f * n3, env->n, u, 0, &tot[1]);
    }
}
/* Descriptors (and derivatives) of one structure into e (allocated with a). */
static sannip_result sannip__entry_build(const sannip_model *m, const sannip_structure *s, int with_dg,
                                         sannip_cache_entry *e, sannip_workspace *ws, const sannip_allocator *a,
                                         sannip_error *err)
{
    sannip_system sys = sannip_structure_view(s);
    sannip__entry_dims dm;
    sannip_result r;
    int i, ok, *Zn, fmax = sannip__model_fmax(m);
    size_t tot[2] = {0, 0}, rows = 0;
    sannip_real *work, *dense, *Sn;
    memset(e, 0, sizeof *e);
    if ((r = sannip__spin_ready(&m->desc, &sys, err)) != SANNIP_SUCCESS) return r;
    if ((r = sannip_neighbors_build(&ws->nl, &sys, m->cutoff > 0 ? m->cutoff : 1, err)) != SANNIP_SUCCESS) return r;
    if ((r = sannip__entry_dims_of(m, &sys, &ws->nl, &dm, err)) != SANNIP_SUCCESS) return r;
    ok = sannip__entry_alloc(e, sys.n, fmax, &dm, ws->nl.n_pairs, with_dg, a);
    /* work: descriptor work, then Zn (nmax ints), Sn (3 nmax reals), the dense rows */
    work = (sannip_real *)sannip__calloc(a, dm.work_n + 4 * (size_t)dm.nmax + 12 + (with_dg ? dm.dense_n : 0) * (e->dGs ? 2 : 1), sizeof(sannip_real));
    if (!ok || !work) {
        sannip_free(a, work); sannip__entry_free(a, e);
        return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "feature cache of a %d-atom structure", sys.n);
    }
    Sn = work + dm.work_n + (size_t)dm.nmax + 8;
    dense = Sn + 3 * (size_t)dm.nmax + 4;
    Zn = (int *)(void *)(work + dm.work_n);
    sannip__entry_neighbors(e, &ws->nl, sys.n, with_dg);
    for (i = 0; i < sys.n; i++) {
        sannip_env env = sannip__env_of(&ws->nl, &sys, i, Zn, Sn);
        sannip__entry_atom(m, &m->el[sannip_model_element_index(m, sys.Z[i])], &env, i, fmax, e, with_dg ? dense : NULL, e->dGs ? dense + dm.dense_n : NULL, work, &rows, tot);
    }
    e->frow[sys.n] = rows;
    e->row_off[rows] = tot[0];
    if (e->dGs) e->srow_off[rows] = tot[1];
    if (with_dg) {   /* give back what the compaction saved */
        void *p = sannip__realloc(a, e->dG, sizeof(sannip_real) * (tot[0] + 1));
        if (p) e->dG = (sannip_real *)p;
    }
    if (e->dGs) {
        void *p = sannip__realloc(a, e->dGs, sizeof(sannip_real) * (tot[1] + 1));
        if (p) e->dGs = (sannip_real *)p;
    }
    sannip_free(a, work);
    return SANNIP_SUCCESS;
}
static size_t sannip__entry_bytes(const sannip_cache_entry *e, int fmax)
{
    size_t rows = e->frow ? e->frow[e->n] : 0;
    size_t b = ((size_t)e->n * (fmax + 1)) * sizeof(sannip_real) + 2 * ((size_t)e->n + 1) * sizeof(size_t)
             + rows * (sizeof(size_t) + 2 * sizeof(int) + 1);
    b += e->nb_start ? e->nb_start[e->n] * sizeof(int) : 0;
    if (e->dG) b += (e->row_off[rows] + 3 * e->nb_start[e->n]) * sizeof(sannip_real);
    if (e->dGs) b += e->srow_off[rows] * sizeof(sannip_real) + rows * (sizeof(size_t) + 2 * sizeof(int));
    if (e->Rn) b += e->nb_start[e->n] * sizeof(sannip_real);
    return b;
}
SANNIP_API size_t sannip_feature_cache_estimate(const sannip_model *m, const sannip_dataset *d)
{
    /* neighbour counts from a cheap neighbour pass per structure */
    sannip_neighbors nl;
    size_t b = 0;
    int i, a, fmax = sannip__model_fmax(m);
    sannip_neighbors_init(&nl, &m->alloc);
    for (i = 0; i < d->n; i++) {
        sannip_system sys = sannip_structure_view(&d->s[i]);
        if (sannip_neighbors_build(&nl, &sys, m->cutoff > 0 ? m->cutoff : 1, NULL) != SANNIP_SUCCESS) continue;
        for (a = 0; a < sys.n; a++) {
            int q = sannip_model_element_index(m, sys.Z[a]), f;
            if (q < 0) continue;
            for (f = 0; f < m->el[q].n_features; f++)   /* radial rows hold one real per slot */
                b += ((sannip_basis_is_radial(&m->desc.b[m->el[q].feature[f]]) ? 1 : 3) * (nl.start[a + 1] - nl.start[a]) + 3) * sizeof(sannip_real);
        }
        b += (size_t)sys.n * (fmax + 1) * sizeof(sannip_real) + nl.n_pairs * (sizeof(int) + 3 * sizeof(sannip_real));
    }
    sannip_neighbors_uninit(&nl);
    return b;
}
/* Runs fn(ctx, i, ws, err) for i in [0, n) over the threads, each thread with its own
   workspace (from alloc). Returns the result of the lowest failing i, its message in *err
   prefixed with "WHAT structure i: " (1-based), else SANNIP_SUCCESS: the same error whatever
   the threads. */
typedef sannip_result (*sannip__structure_fn)(void *ctx, int i, sannip_workspace *ws, sannip_error *err);
static sannip_result sannip__each_structure(int n, sannip__structure_fn fn, void *ctx, const sannip_allocator *alloc,
                                            const char *what, sannip_error *err)
{
    sannip_result r = SANNIP_SUCCESS;
    int i, bad = -1;
    sannip_error e1;
    memset(&e1, 0, sizeof e1);
#ifdef SANNIP__OMP
#pragma omp parallel
#endif
    {
        sannip_workspace ws;
        sannip_error le;
        sannip_workspace_init(&ws, alloc);
#ifdef SANNIP__OMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (i = 0; i < n; i++) {
            sannip_result rr = fn(ctx, i, &ws, &le);
            if (rr != SANNIP_SUCCESS) {
#ifdef SANNIP__OMP
#pragma omp critical(sannip_each_err)
#endif
                if (bad < 0 || i < bad) { bad = i; r = rr; e1 = le; }
            }
        }
        sannip_workspace_uninit(&ws);
    }
    if (bad >= 0 && err) {
        char pre[80];
        *err = e1; snprintf(pre, sizeof pre, "%sstructure %d: ", what, bad + 1); sannip__err_prefix(err, pre);
    }
    return r;
}
/* One cache entry per structure (the context of sannip__each_structure). */
typedef struct sannip__cache_job {
    sannip_feature_cache *c; const sannip_model *m; const sannip_dataset *d;
    int with_derivatives, skipped; const volatile sig_atomic_t *stop;
} sannip__cache_job;
static sannip_result sannip__cache_entry_job(void *ctx, int i, sannip_workspace *ws, sannip_error *err)
{
    sannip__cache_job *J = (sannip__cache_job *)ctx;
    if (J->stop && *J->stop) { J->skipped = 1; return SANNIP_SUCCESS; }   /* (a shared flag: a benign race) */
    return sannip__entry_build(J->m, &J->d->s[i], J->with_derivatives, &J->c->e[i], ws, &J->c->alloc, err);
}
/* sannip_feature_cache_build; once *stop (may be NULL) is set the remaining structures are
   skipped and the cache is left empty (the caller, seeing *stop, does not use it). */
static sannip_result sannip__cache_build(sannip_feature_cache *c, const sannip_model *m, const sannip_dataset *d,
                                         int with_derivatives, const volatile sig_atomic_t *stop, sannip_error *err)
{
    sannip_result r;
    sannip__cache_job J;
    int i;
    if (!c || !m || !d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    sannip_feature_cache_uninit(c);
    c->e = (sannip_cache_entry *)sannip__calloc(&c->alloc, (size_t)d->n + 1, sizeof(sannip_cache_entry));
    if (!c->e) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "feature cache");
    c->n = d->n; c->fmax = sannip__model_fmax(m); c->with_derivatives = with_derivatives;
    J.c = c; J.m = m; J.d = d; J.with_derivatives = with_derivatives; J.skipped = 0; J.stop = stop;
    if ((r = sannip__each_structure(d->n, sannip__cache_entry_job, &J, &c->alloc, "", err)) != SANNIP_SUCCESS) {
        sannip_feature_cache_uninit(c);
        return r;
    }
    if (J.skipped) { sannip_feature_cache_uninit(c); return SANNIP_SUCCESS; }
    c->bytes = 0;
    for (i = 0; i < c->n; i++) c->bytes += sannip__entry_bytes(&c->e[i], c->fmax);
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_feature_cache_build(sannip_feature_cache *c, const sannip_model *m,
        const sannip_dataset *d, int with_derivatives, sannip_error *err)
{
    return sannip__cache_build(c, m, d, with_derivatives, NULL, err);
}

/* ---- spread floor of the scalers (sannip_model_floor_spreads) ---- */
/* Structure s's sums of |dG_f/dR|^2 over its atoms into g2[e fm + f] (fm: the largest
   feature count). A row of the entry holds dG/dd_j for its neighbour slots (radial rows as
   dG/dr_j . u_ij) and dG/dr_i; the slots of periodic images of one atom add up in acc (3 n
   reals, zero on entry and on return) before the squares: the gradient with respect to the
   atoms' positions, as forces see it. */
static sannip_result sannip__gradient_sums(const sannip_model *m, const sannip_structure *s, int fm, double *g2,
                                           double *acc, sannip_workspace *ws, sannip_error *err)
{
    sannip_cache_entry e;
    sannip_result r = sannip__entry_build(m, s, 1, &e, ws, &m->alloc, err);
    int a, f, x;
    if (r != SANNIP_SUCCESS) return r;
    for (a = 0; a < e.n; a++) {
        int q = sannip_model_element_index(m, s->Z[a]);
        for (f = 0; f < m->el[q].n_features; f++) {
            size_t row = e.frow[a] + (size_t)f, k = e.row_off[row], p;
            double t = 0;
            for (p = e.nb_start[a] + (size_t)e.row_lo[row]; p < e.nb_start[a] + (size_t)e.row_hi[row]; p++) {
                double *c = acc + 3 * (size_t)e.nb[p];
                if (e.row_rad[row]) { for (x = 0; x < 3; x++) c[x] += (double)e.dG[k] * e.U[3 * p + x]; k++; }
                else for (x = 0; x < 3; x++) c[x] += e.dG[k++];
            }
            for (x = 0; x < 3; x++) acc[3 * (size_t)a + x] += e.dG[k + x];
            for (p = e.nb_start[a] + (size_t)e.row_lo[row]; p < e.nb_start[a] + (size_t)e.row_hi[row] + 1; p++) {
                double *c = acc + 3 * (size_t)(p < e.nb_start[a] + (size_t)e.row_hi[row] ? e.nb[p] : a);
                t += c[0] * c[0] + c[1] * c[1] + c[2] * c[2];   /* each atom once: zeroed as read */
                c[0] = c[1] = c[2] = 0;
            }
            g2[(size_t)q * fm + f] += t;
        }
    }
    sannip__entry_free(&m->alloc, &e);
    return SANNIP_SUCCESS;
}
/* Raises el's spreads to kappa x sqrt(g2[f] / atoms); returns how many dev were raised. */
static int sannip__floor_element(sannip_element_model *el, const double *g2, long atoms, double kappa)
{
    int f, raised = 0;
    for (f = 0; f < el->n_features && atoms > 0; f++) {
        sannip_feature_stats *st = &el->stats[f];
        sannip_real a, c, d, fl = (sannip_real)(kappa * sqrt(g2[f] / (double)atoms));
        sannip_scaling_affine(SANNIP_SCALE_MODIFIED, st, 0, 0, &a, &c, &d);
        if (a == 0) continue;                   /* constant: stays constant */
        if (st->dev < fl) { st->dev = fl; raised++; }
        if (st->sigma < fl) st->sigma = fl;
    }
    return raised;
}
/* The gradient sums of one structure (the context of sannip__each_structure). */
typedef struct sannip__floor_job { const sannip_model *m; const sannip_structure *s; int fm; double *part; } sannip__floor_job;
static sannip_result sannip__floor_job_run(void *ctx, int i, sannip_workspace *ws, sannip_error *err)
{
    sannip__floor_job *J = (sannip__floor_job *)ctx;
    sannip_result r = SANNIP_OUT_OF_MEMORY;
    double *acc = (double *)sannip__calloc(&J->m->alloc, 3 * (size_t)J->s[i].n + 3, sizeof(double));
    if (acc) r = sannip__gradient_sums(J->m, &J->s[i], J->fm, J->part + ((size_t)i + 1) * J->m->n_elements * J->fm, acc, ws, err);
    else sannip__fail(err, r, 0, 0, "%d atoms", J->s[i].n);
    sannip_free(&J->m->alloc, acc);
    return r;
}
SANNIP_API sannip_result sannip_model_floor_spreads(sannip_model *m, const sannip_structure *s, int n, double kappa,
                                                    int *floored, sannip_error *err)
{
    sannip_result r;
    int e, i, fm, raised = 0;
    long count[SANNIP_MAX_ELEMENTS] = { 0 };
    double *part, *g2;
    sannip__floor_job J;
    if (!m || (n > 0 && !s)) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "spread floor: NULL model or structures");
    if (!(kappa > 0 && kappa < 1e30)) return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "spread floor: kappa %g must be a length > 0", kappa);
    fm = sannip__model_fmax(m) + 1;
    /* one row of sums per structure, added in structure order: the same bits for any threads */
    part = (double *)sannip__calloc(&m->alloc, ((size_t)n + 1) * m->n_elements * fm, sizeof(double));
    if (!part) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "spread floor: gradient sums of %d structures", n);
    J.m = m; J.s = s; J.fm = fm; J.part = part;
    if ((r = sannip__each_structure(n, sannip__floor_job_run, &J, &m->alloc, "spread floor: ", err)) != SANNIP_SUCCESS) {
        sannip_free(&m->alloc, part);
        return r;
    }
    g2 = part;   /* row 0: the total */
    for (i = 0; i < n; i++) {
        size_t k, len = (size_t)m->n_elements * fm;
        for (k = 0; k < len; k++) g2[k] += part[((size_t)i + 1) * len + k];
        for (k = 0; k < (size_t)s[i].n; k++) count[sannip_model_element_index(m, s[i].Z[k])]++;
    }
    for (e = 0; e < m->n_elements; e++) raised += sannip__floor_element(&m->el[e], g2 + (size_t)e * fm, count[e], kappa);
    sannip_free(&m->alloc, part);
    if (floored) *floored = raised;
    return sannip_model_finalize(m, err);
}

/* ---- 3. TRAINING ---------------------------------------------------------------------- */
SANNIP_API size_t sannip_model_get_params(const sannip_model *m, sannip_real *out)
{
    size_t n = 0;
    int e;
    for (e = 0; e < m->n_elements; e++) {
        if (m->el[e].shared) continue;      /* the multi-task network counts once */
        if (out) memcpy(out + n, m->el[e].net.params, sizeof(sannip_real) * m->el[e].net.n_params);
        n += m->el[e].net.n_params;
    }
    return n;
}
SANNIP_API void sannip_model_set_params(sannip_model *m, const sannip_real *in)
{
    size_t n = 0;
    int e;
    for (e = 0; e < m->n_elements; e++) {
        if (m->el[e].shared) continue;
        memcpy(m->el[e].net.params, in + n, sizeof(sannip_real) * m->el[e].net.n_params);
        n += m->el[e].net.n_params;
    }
}
SANNIP_API void sannip_network_init_weights(sannip_network *net, sannip_rng *rng)
{
    int l, c;
    size_t k;
    for (l = 0; l < net->n_layers; l++)
        for (c = 0; c < sannip_network_layer_blocks(net, l); c++) {
            sannip_param_block b = sannip_network_block(net, l, c);
            sannip_real *W = net->params + b.offset;
            double lim = sqrt(6.0 / (b.n_in + b.n_out));    /* Glorot uniform */
            for (k = 0; k < (size_t)b.n_in * b.n_out; k++) W[k] = (sannip_real)((2 * sannip_rng_uniform(rng) - 1) * lim);
            for (k = 0; k < (size_t)b.n_out; k++) W[(size_t)b.n_in * b.n_out + k] = 0;
        }
}
SANNIP_API void sannip_model_init_weights(sannip_model *m, sannip_rng *rng)
{
    int e;
    for (e = 0; e < m->n_elements; e++) if (!m->el[e].shared) sannip_network_init_weights(&m->el[e].net, rng);
}
SANNIP_API void sannip_adam_step(sannip_real *p, const sannip_real *g, sannip_real *mv, size_t n, long t,
                                 double lr, double b1, double b2, double eps)
{
    size_t i;
    double c1 = 1 - sannip__pow(b1, (double)t), c2 = 1 - sannip__pow(b2, (double)t);
    sannip_real *m = mv, *v = mv + n;
    for (i = 0; i < n; i++) {
        m[i] = (sannip_real)(b1 * m[i] + (1 - b1) * g[i]);
        v[i] = (sannip_real)(b2 * v[i] + (1 - b2) * (double)g[i] * g[i]);
        p[i] -= (sannip_real)(lr * (m[i] / c1) / (sqrt(v[i] / c2) + eps));
    }
}
SANNIP_API void sannip_sgd_step(sannip_real *p, const sannip_real *g, size_t n, double lr)
{
    size_t i;
    for (i = 0; i < n; i++) p[i] -= (sannip_real)(lr * g[i]);
}
/* The Cholesky factor L of the k x k matrix A (row-major, lower triangle in place); 0 when A is
   not positive definite (or not finite). */
static int sannip__cholesky(double *A, int k)
{
    int i, j, l;
    for (j = 0; j < k; j++) {
        double d = A[j * k + j];
        for (l = 0; l < j; l++) d -= A[j * k + l] * A[j * k + l];
        if (!(d > 0) || !isfinite(d)) return 0;
        A[j * k + j] = sqrt(d);
        for (i = j + 1; i < k; i++) {
            double v = A[i * k + j];
            for (l = 0; l < j; l++) v -= A[i * k + l] * A[j * k + l];
            A[i * k + j] = v / A[j * k + j];
        }
    }
    return 1;
}
/* x = L^-1 x in place (forward substitution, L from sannip__cholesky). */
static void sannip__lower_solve(const double *L, int k, double *x)
{
    int i, l;
    for (i = 0; i < k; i++) {
        double v = x[i];
        for (l = 0; l < i; l++) v -= L[i * k + l] * x[l];
        x[i] = v / L[i * k + i];
    }
}
/* X = P H^T (n x k), row by row; the rows in parallel, each entry one fixed-order dot. */
static void sannip__ekf_project(const double *P, const double *H, size_t n, int k, double *X)
{
    long long i;
#ifdef SANNIP__OMP
#pragma omp parallel for schedule(static)
#endif
    for (i = 0; i < (long long)n; i++) {
        const double *Pi = P + (size_t)i * n;
        int r;
        for (r = 0; r < k; r++) {
            const double *h = H + (size_t)r * n;
            double v = 0;
            size_t j;
            for (j = 0; j < n; j++) v += Pi[j] * h[j];
            X[(size_t)i * k + r] = v;
        }
    }
}
/* P = (P - Y Y^T) / lambda + q I, rows in parallel: entry (i, j) subtracts y_ir y_jr in the
   order r = 0, 1, ..., so (j, i) gets the same bits and P stays symmetric. */
static void sannip__ekf_covariance(double *P, const double *Y, size_t n, int k, double lambda, double q)
{
    long long i;
    double il = 1 / lambda;
#ifdef SANNIP__OMP
#pragma omp parallel for schedule(static)
#endif
    for (i = 0; i < (long long)n; i++) {
        double *Pi = P + (size_t)i * n;
        const double *yi = Y + (size_t)i * k;
        size_t j;
        int r;
        for (r = 0; r < k; r++) { double a = yi[r]; for (j = 0; j < n; j++) Pi[j] -= a * Y[j * k + r]; }
        for (j = 0; j < n; j++) Pi[j] *= il;
        Pi[i] += q;
    }
}
SANNIP_API sannip_result sannip_ekf_update(double *P, sannip_real *w, const double *H, const double *xi, size_t n, int k,
                                           double rn, double lambda, double q, double *work)
{
    double A[SANNIP_EKF_MAX_ROWS * SANNIP_EKF_MAX_ROWS], z[SANNIP_EKF_MAX_ROWS];
    double *X = work;   /* P H^T, then Y = X L^-T (row i: L^-1 x_i) */
    size_t i;
    int r, c, finite = 1;
    if (!P || !w || !H || !xi || !work || n == 0 || k < 1 || k > SANNIP_EKF_MAX_ROWS || !(rn > 0) || !(lambda > 0) || !(q >= 0))
        return SANNIP_INVALID_ARGS;
    sannip__ekf_project(P, H, n, k, X);
    for (r = 0; r < k; r++) for (c = 0; c <= r; c++) {   /* A = H X + R, the measurement noise R = r I */
        double v = 0;
        for (i = 0; i < n; i++) v += H[(size_t)r * n + i] * X[i * k + c];
        A[r * k + c] = A[c * k + r] = v + (r == c ? rn : 0);
    }
    if (!sannip__cholesky(A, k)) return SANNIP_NONFINITE;
    for (r = 0; r < k; r++) z[r] = xi[r];
    sannip__lower_solve(A, k, z);
    for (i = 0; i < n; i++) {
        double dw = 0;
        sannip__lower_solve(A, k, X + i * k);
        for (r = 0; r < k; r++) dw += X[i * k + r] * z[r];
        if (!isfinite(dw)) finite = 0;
    }
    if (!finite) return SANNIP_NONFINITE;
    for (i = 0; i < n; i++) {   /* w += Y z = K xi */
        double dw = 0;
        for (r = 0; r < k; r++) dw += X[i * k + r] * z[r];
        w[i] = (sannip_real)(w[i] + dw);
    }
    sannip__ekf_covariance(P, X, n, k, lambda, q);
    return SANNIP_SUCCESS;
}

/* Training keeps each block's forward pass for the backward passes (the stash): the scaled
   features X (B x sizes[0]), then per layer y, y', y'' (B x sizes[l+1] each). */
static size_t sannip__stash_size(const sannip_network *net, int B)
{
    size_t t = (size_t)net->sizes[0];
    int l;
    for (l = 1; l <= net->n_layers; l++) t += 3 * (size_t)net->sizes[l];
    return (size_t)B * t;
}
/* The forward pass of a block whose X is at st, with y, y', y'' kept after it for the
   backward passes; returns the outputs (B x n_out). */
static const sannip_real *sannip__stash_forward(const sannip_network *net, int B, sannip_real *st)
{
    return sannip_network_pass(net, B, 0, 0, st, 3, NULL, 0, st + (size_t)B * net->sizes[0]);
}

/* Tangent forward and combined backward of a network on a stashed block (force training).
   With s_row = qL . NN(x_row) + pL . D_u NN(x_row) (u = U_row, the derivative of the
   outputs along u; qL, pL: batch x n_out), adds sum_rows ds/dparams to grad. */
/* n reals from an arena (sannip.h's scratch arena). */
static sannip_real *sannip__take_reals(sannip__arena *a, size_t n) { return (sannip_real *)sannip__arena_take(a, n, sizeof(sannip_real)); }
/* The tangent pass's scratch (measured and carved by this one function): per layer zdot and
   ydot (B x sizes[l+1] each, zd[l] and zd[l] + B sizes[l+1]), then P, Q, P2, Q2 (B x wmax). */
static void sannip__tangent_layout(sannip__arena *a, const sannip_network *net, int B, sannip_real **zd, sannip_real **pq)
{
    int l, k, wmax = net->sizes[0];
    for (l = 1; l <= net->n_layers; l++) if (net->sizes[l] > wmax) wmax = net->sizes[l];
    for (l = 0; l < net->n_layers; l++) zd[l] = sannip__take_reals(a, 2 * (size_t)B * net->sizes[l + 1]);
    for (k = 0; k < 4; k++) pq[k] = sannip__take_reals(a, (size_t)B * wmax);
}
static size_t sannip__tangent_work(const sannip_network *net, int B)
{
    sannip__arena a = sannip__arena_begin(NULL, 0);
    sannip_real *zd[SANNIP_MAX_LAYERS], *pq[4];
    sannip__tangent_layout(&a, net, B, zd, pq);
    return sannip__arena_reals(&a);
}
static void sannip__tangent_grad(const sannip_network *net, int B, const sannip_real *st, const sannip_real *U,
                                 const sannip_real *qL, const sannip_real *pL, sannip_real *grad, sannip_real *work)
{
    int L = net->n_layers, l, i, k;
    size_t off[SANNIP_MAX_LAYERS], o = (size_t)B * net->sizes[0], gofs[SANNIP_MAX_LAYERS], go = 0, q;
    const sannip_real *X = st;
    sannip_real *P, *Q, *P2, *Q2, *zdl[SANNIP_MAX_LAYERS], *pq[4];
    sannip__arena a = sannip__arena_begin(work, sannip__tangent_work(net, B) * sizeof(sannip_real));
    sannip__tangent_layout(&a, net, B, zdl, pq);
    for (l = 0; l < L; l++) {
        off[l] = o; o += 3 * (size_t)B * net->sizes[l + 1];   /* the stash: y, y', y'' per layer */
        gofs[l] = go; go += sannip_network_layer_params(net, l);
    }
    P = pq[0]; Q = pq[1]; P2 = pq[2]; Q2 = pq[3];
    /* tangent forward: zdot = W ydot_prev, ydot = y' zdot per layer */
    for (l = 0; l < L; l++) {
        int no = net->sizes[l + 1];
        const sannip_real *ind = l ? zdl[l - 1] + (size_t)B * net->sizes[l] : U, *d1 = st + off[l] + (size_t)B * no;
        sannip_real *zd = zdl[l], *yd = zd + (size_t)B * no;
        if (ind) sannip__layer_lin(net, l, B, ind, zd, 0); else memset(zd, 0, sizeof(sannip_real) * (size_t)B * no);
        for (q = 0; q < (size_t)B * no; q++) yd[q] = d1[q] * zd[q];
    }
    /* backward: P = ds/dydot, Q = ds/dy */
    {
        int no = net->sizes[L];
        for (i = 0; i < B; i++) for (k = 0; k < no; k++) { P[(size_t)i * no + k] = pL ? pL[(size_t)i * no + k] : 0; Q[(size_t)i * no + k] = qL[(size_t)i * no + k]; }
    }
    for (l = L - 1; l >= 0; l--) {
        int ni = net->sizes[l], no = net->sizes[l + 1];
        const sannip_real *d1 = st + off[l] + (size_t)B * no, *d2 = d1 + (size_t)B * no, *zd = zdl[l];
        const sannip_real *in = l ? st + off[l - 1] : X, *ind = l ? zdl[l - 1] + (size_t)B * ni : U;
        sannip_real *t;
        for (q = 0; q < (size_t)B * no; q++) {
            sannip_real a = P[q] * d1[q], bz = Q[q] * d1[q] + P[q] * d2[q] * zd[q];
            P[q] = a; Q[q] = bz;                     /* ds/dzdot, ds/dz */
        }
        sannip__layer_bw(net, l, B, Q, in, grad + gofs[l], 1);
        if (ind) sannip__layer_bw(net, l, B, P, ind, grad + gofs[l], 0);
        if (l == 0) break;
        memset(P2, 0, sizeof(sannip_real) * (size_t)B * ni);
        memset(Q2, 0, sizeof(sannip_real) * (size_t)B * ni);
        if (ind) sannip_network_layer_back_input(net, l, B, P, P2);
        sannip_network_layer_back_input(net, l, B, Q, Q2);
        t = P; P = P2; P2 = t; t = Q; Q = Q2; Q2 = t;
    }
}

/* Scratch of one structure evaluation (grown as needed, per thread). */
typedef struct sannip__tscratch {
    sannip_real *buf; size_t cap;
    sannip_workspace ws;
    sannip_cache_entry own;      /* recompute mode */
    sannip_allocator alloc;
} sannip__tscratch;

#define SANNIP__TB 64   /* atoms per network batch in training */

/* A region of memory asked for a slice at a time (sannip__prefetch_some). */
typedef struct sannip__pf { const char *p, *end; size_t step; } sannip__pf;
/* No region (p NULL: the last structure of an epoch has no next one) gives p = end = NULL
   and no pointer arithmetic on NULL at all. */
static sannip__pf sannip__pf_make(const void *p, size_t bytes, int slices)
{
    sannip__pf pf;
    pf.p = (const char *)p; pf.end = p ? pf.p + bytes : NULL;
    pf.step = slices > 0 ? bytes / (size_t)slices + 1 : bytes;
    return pf;
}
static void sannip__prefetch_some(sannip__pf *pf)
{
#if defined(__GNUC__) || defined(__clang__)
    const char *stop;
    if (!pf->p || pf->p >= pf->end) return;
    stop = pf->step < (size_t)(pf->end - pf->p) ? pf->p + pf->step : pf->end;
    for (; pf->p < stop; pf->p += (size_t)(stop - pf->p) < 64 ? (size_t)(stop - pf->p) : 64)
        __builtin_prefetch(pf->p);   /* p rests on the line not yet asked for, never past end */
#else
    (void)pf;
#endif
}

/* One structure pass (sannip__structure_pass): its inputs, the loss weights and the scratch
   carved by sannip__pass_carve. */
typedef struct sannip__pass {
    const sannip_model *m;
    const sannip_structure *s;
    const sannip_cache_entry *ce;
    int n, fmax;
    double ew, fw, hw, ww;   /* loss weights; hw, ww: 0 when s or the entry lack the term */
    int want_h;              /* the field is computed (Hf) */
    sannip_real *Eat;        /* n: per-atom energies */
    sannip_real *stash;      /* every block's forward pass, in pass-1 order (sw reals per atom) */
    sannip_real *Y, *dX;     /* TB x (fmax + 1 + SANNIP_MAX_ELEMENTS) each: adjoints of a block */
    sannip_real *work;       /* the largest network pass of TB rows */
    sannip_real *gall;       /* n x (fmax + 1): dE_i/dG_i */
    sannip_real *R;          /* 3n: force residual adjoints dL/dF */
    sannip_real *RH;         /* 3n: field residual adjoints dL/dH */
    sannip_real RW[9];       /* virial residual adjoints dL/dW */
    sannip_real *Hf;         /* 3n: the field -dE/dS (when computed) */
    sannip_real *V;          /* TB x (fmax + 1): tangents a (dG_i . R) */
    sannip_real *qv, *pv;    /* TB x SANNIP_MAX_ELEMENTS each: output adjoints */
    sannip_real *Cs, *Cr;    /* one atom's slab: 3 (slots + 1) vector, slots + 1 radial reals */
    sannip__pf pf_dg, pf_u;  /* the next entry's rows, asked for while pass 2 computes */
} sannip__pass;

/* Work reals of the largest network pass (forward/backward or tangent, TB rows), stash reals
   per atom of the largest network, and each element's offset in the gradient. */
static void sannip__pass_sizes(const sannip_model *m, size_t *tw, size_t *sw, size_t *pofs)
{
    int e;
    *tw = 0; *sw = 0;
    pofs[0] = 0;
    for (e = 0; e < m->n_elements; e++) {
        const sannip_network *net = sannip_model_network(m, e);
        size_t w1 = sannip_network_work_size(net, SANNIP__TB), w2 = sannip__tangent_work(net, SANNIP__TB);
        if (w1 > *tw) *tw = w1;
        if (w2 > *tw) *tw = w2;
        if (sannip__stash_size(net, 1) > *sw) *sw = sannip__stash_size(net, 1);
        pofs[e + 1] = pofs[e] + (m->el[e].shared ? 0 : m->el[e].net.n_params);
        if (m->el[e].shared) pofs[e] = 0;   /* the multi-task network's gradient is element 1's */
    }
}
/* The pass's arrays on an arena (measured and carved by this one function): Eat n, stash
   (n atoms), Y/dX blocks, work, per-atom g (n x fmax), R (3n), V (TB x fmax), q, p, Cs, Cr. */
static void sannip__pass_layout(sannip__arena *a, sannip__pass *P, size_t tw, size_t sw)
{
    size_t n = (size_t)P->n, fmax = (size_t)P->fmax, slots = P->ce->nb_start[P->n];
    size_t blk = (size_t)SANNIP__TB * (fmax + 1 + SANNIP_MAX_ELEMENTS);   /* multi-task outputs fit too */
    P->Eat = sannip__take_reals(a, n); P->stash = sannip__take_reals(a, sw * n);
    P->Y = sannip__take_reals(a, blk); P->dX = sannip__take_reals(a, blk);
    P->work = sannip__take_reals(a, tw); P->gall = sannip__take_reals(a, n * (fmax + 1)); P->R = sannip__take_reals(a, 3 * n);
    P->RH = sannip__take_reals(a, P->hw > 0 ? 3 * n : 0); P->Hf = sannip__take_reals(a, P->want_h ? 3 * n : 0);
    P->V = sannip__take_reals(a, (size_t)SANNIP__TB * (fmax + 1));
    P->qv = sannip__take_reals(a, (size_t)SANNIP__TB * SANNIP_MAX_ELEMENTS); P->pv = sannip__take_reals(a, (size_t)SANNIP__TB * SANNIP_MAX_ELEMENTS);
    P->Cs = sannip__take_reals(a, 3 * (slots + 1)); P->Cr = sannip__take_reals(a, slots + 1);
}
/* The pass's arrays carved from ts's buffer (grown as needed). */
static sannip_result sannip__pass_carve(sannip__pass *P, sannip__tscratch *ts, size_t tw, size_t sw)
{
    sannip__arena a = sannip__arena_begin(NULL, 0);
    void *p = ts->buf;
    sannip__pass_layout(&a, P, tw, sw);
    if (sannip__grow(&ts->alloc, &p, &ts->cap, sannip__arena_reals(&a), sizeof(sannip_real)) != SANNIP_SUCCESS) return SANNIP_OUT_OF_MEMORY;
    ts->buf = (sannip_real *)p;
    a = sannip__arena_begin(ts->buf, ts->cap * sizeof(sannip_real));
    sannip__pass_layout(&a, P, tw, sw);
    return SANNIP_SUCCESS;
}
/* The next block of up to TB atoms of element Z from atom *first on (rows: their indices);
   *first moves past the block. Returns the block's size (0 at the end). */
static int sannip__element_block(const sannip_structure *s, int Z, int *first, int *rows)
{
    int a, nb = 0;
    for (a = *first; a < s->n && nb < SANNIP__TB; a++) if (s->Z[a] == Z) rows[nb++] = a;
    *first = a;
    return nb;
}
/* dE_i/dG_i of a block (st: its stash) through the energy map, the network's input gradient
   and the scaler (dX_f a_f), into the atoms' rows of gall. */
static void sannip__block_dEdG(const sannip__pass *P, const sannip_element_model *el, const sannip_network *net,
                               int nb, const int *rows, const sannip_real *st)
{
    int r, f, nf = el->n_features, no = net->sizes[net->n_layers];
    for (r = 0; r < nb * no; r++) P->Y[r] = (r % no == el->output) ? el->energy_scale : 0;
    sannip__network_backprop(net, nb, NULL, P->Y, P->dX, NULL, st + (size_t)nb * nf, 3, P->work);
    for (r = 0; r < nb; r++) for (f = 0; f < nf; f++) P->gall[(size_t)rows[r] * (P->fmax + 1) + f] = P->dX[(size_t)r * nf + f] * el->scale_a[f];
}
/* Pass 1 for element e: the energies of its atoms in blocks, each block's forward pass kept
   in the stash at *stp for pass 2, and with forces dE_i/dG_i. */
static void sannip__pass1_element(sannip__pass *P, int e, int forces, sannip_real **stp)
{
    const sannip_element_model *el = &P->m->el[e];
    const sannip_network *net = sannip_model_network(P->m, e);
    int first = 0, nb, rows[SANNIP__TB], no = net->sizes[net->n_layers];
    while (first < P->n) {
        const sannip_real *out;
        if (!(nb = sannip__element_block(P->s, el->Z, &first, rows))) continue;
        sannip_element_scale(el, nb, P->ce->G, (size_t)P->fmax + 1, rows, *stp);
        out = sannip__stash_forward(net, nb, *stp);
        sannip_element_energies(el, nb, out, no, rows, P->Eat);
        if (forces) sannip__block_dEdG(P, el, net, nb, rows, *stp);
        *stp += sannip__stash_size(net, nb);
    }
}
/* The derivative rows of a cache entry a contraction reads: the position derivatives (radial
   rows one real a slot) or, spin = 1, the spin derivatives (three reals a slot). */
typedef struct sannip__rowset { const sannip_real *d; const size_t *off; const int *lo, *hi; const unsigned char *rad; } sannip__rowset;
static sannip__rowset sannip__rows_of(const sannip_cache_entry *ce, int spin)
{
    sannip__rowset rs;
    rs.d = spin ? ce->dGs : ce->dG; rs.off = spin ? ce->srow_off : ce->row_off;
    rs.lo = spin ? ce->srow_lo : ce->row_lo; rs.hi = spin ? ce->srow_hi : ce->row_hi;
    rs.rad = spin ? NULL : ce->row_rad;
    return rs;
}
/* c = sum_f g_f dG_f over the slab of atom a (contiguous rows rs; radial rows summed as
   scalars into Cr, vector rows into Cs, the self slot last in Cs). */
static void sannip__slab_contract(const sannip__pass *P, int a, const sannip_element_model *el, const sannip__rowset *rs)
{
    const sannip_cache_entry *ce = P->ce;
    size_t nsl = ce->nb_start[a + 1] - ce->nb_start[a] + 1, q, n3 = 3 * nsl, r0 = ce->frow[a];
    const sannip_real *g = P->gall + (size_t)a * (P->fmax + 1);
    sannip_real *self = P->Cs + n3 - 3;
    int f;
    memset(P->Cs, 0, sizeof(sannip_real) * n3);
    memset(P->Cr, 0, sizeof(sannip_real) * nsl);
    for (f = 0; f < el->n_features; f++) {
        const sannip_real gf = g[f], *row = rs->d + rs->off[r0 + f];
        int rad = rs->rad ? rs->rad[r0 + f] : 0;
        size_t len = (size_t)(rs->hi[r0 + f] - rs->lo[r0 + f]) * (rad ? 1 : 3);
        sannip_real *c0 = rad ? P->Cr + rs->lo[r0 + f] : P->Cs + 3 * (size_t)rs->lo[r0 + f];
        if (gf == 0) continue;
        for (q = 0; q < len; q++) c0[q] += gf * row[q];
        self[0] += gf * row[len]; self[1] += gf * row[len + 1]; self[2] += gf * row[len + 2];
    }
}
/* The contracted slab of atom a scattered by slot (c = Cs + Cr u per neighbour) into F. */
static void sannip__slab_scatter(const sannip__pass *P, int a, sannip_real *F)
{
    const sannip_cache_entry *ce = P->ce;
    size_t nsl = ce->nb_start[a + 1] - ce->nb_start[a] + 1, sl;
    const sannip_real *u = ce->U + 3 * ce->nb_start[a], *Cs = P->Cs, *Cr = P->Cr, *self = Cs + 3 * nsl - 3;
    const int *nbk = ce->nb + ce->nb_start[a];
    for (sl = 0; sl + 1 < nsl; sl++) {
        int k = nbk[sl];
        F[3 * k] -= Cs[3 * sl] + Cr[sl] * u[3 * sl];
        F[3 * k + 1] -= Cs[3 * sl + 1] + Cr[sl] * u[3 * sl + 1];
        F[3 * k + 2] -= Cs[3 * sl + 2] + Cr[sl] * u[3 * sl + 2];
    }
    F[3 * a] -= self[0]; F[3 * a + 1] -= self[1]; F[3 * a + 2] -= self[2];
}
/* The virial of atom a's contracted slab, W_xy -= d_x c_y over its pairs (d = r u,
   c = Cs + Cr u = dE_a/dd), as sannip_model_compute sums it. */
static void sannip__slab_virial(const sannip__pass *P, int a, double *W)
{
    const sannip_cache_entry *ce = P->ce;
    size_t nsl = ce->nb_start[a + 1] - ce->nb_start[a] + 1, sl;
    const sannip_real *u = ce->U + 3 * ce->nb_start[a], *rn = ce->Rn + ce->nb_start[a];
    int x, y;
    for (sl = 0; sl + 1 < nsl; sl++)
        for (y = 0; y < 3; y++) {
            double c = P->Cs[3 * sl + y] + P->Cr[sl] * u[3 * sl + y];
            for (x = 0; x < 3; x++) W[3 * x + y] -= rn[sl] * u[3 * sl + x] * c;
        }
}
/* F_k = -sum_i sum_f g_if dG_if/dr_k over the slots of each atom's slab (F may be NULL), and
   the virial into W (when not NULL); with spin = 1 the field H_k = -sum_i g_i . dG_i/dS_k
   into F the same way. */
static void sannip__pass_derivs(const sannip__pass *P, int spin, sannip_real *F, double *W)
{
    sannip__rowset rs = sannip__rows_of(P->ce, spin);
    int a;
    if (F) memset(F, 0, sizeof(sannip_real) * 3 * (size_t)P->n);
    if (W) memset(W, 0, sizeof(double) * 9);
    for (a = 0; a < P->n; a++) {
        sannip__slab_contract(P, a, &P->m->el[sannip_model_element_index(P->m, P->s->Z[a])], &rs);
        if (F) sannip__slab_scatter(P, a, F);
        if (W) sannip__slab_virial(P, a, W);
    }
}
/* What a pass computes: energy E, forces F (3n, the caller's), the field H (3n, in the pass's
   scratch) and the virial W when has_h / has_w say so. */
typedef struct sannip__pass_out { double E; sannip_real *F; const sannip_real *H; double W[9]; int has_h, has_w; } sannip__pass_out;
/* The residuals of a pass's outputs: the structure's loss (see the header comment) into *loss
   (if not NULL), the adjoints R = dL/dF, RH = dL/dH, RW = dL/dW; returns E - E_ref. */
static double sannip__pass_residuals(sannip__pass *P, const sannip__pass_out *o, double *loss)
{
    const sannip_structure *s = P->s;
    double dE = o->E - s->energy, N = P->n, lf = 0, lh = 0, lw = 0;
    int a;
    if (P->fw > 0) for (a = 0; a < 3 * P->n; a++) { double d = o->F[a] - s->forces[a]; lf += d * d; P->R[a] = (sannip_real)(s->weight * P->fw * 2 * d / (3 * N)); }
    else memset(P->R, 0, sizeof(sannip_real) * 3 * (size_t)P->n);   /* (read by the virial's tangent) */
    if (P->hw > 0) for (a = 0; a < 3 * P->n; a++) { double d = o->H[a] - s->fields[a]; lh += d * d; P->RH[a] = (sannip_real)(s->weight * P->hw * 2 * d / (3 * N)); }
    if (P->ww > 0) for (a = 0; a < 9; a++) { double d = (o->W[a] - s->virial[a]) / N; lw += d * d; P->RW[a] = (sannip_real)(s->weight * P->ww * 2 * d / (9 * N)); }
    if (loss) {
        *loss = s->weight * (P->ew * (dE / N) * (dE / N) + P->fw * lf / (3 * N));
        if (P->hw > 0) *loss += s->weight * P->hw * lh / (3 * N);
        if (P->ww > 0) *loss += s->weight * P->ww * lw / 9;
    }
    return dE;
}
/* Adjoints of a block on this element's output column only (multi-task: one column per
   element): q for the energy term (qE = dL/dE), p for the force (field, virial) terms. */
static void sannip__block_adjoints(const sannip__pass *P, const sannip_element_model *el, int no, int nb, double qE)
{
    int r, q2;
    for (r = 0; r < nb; r++) for (q2 = 0; q2 < no; q2++) {
        P->qv[(size_t)r * no + q2] = q2 == el->output ? (sannip_real)(qE * el->energy_scale) : 0;
        P->pv[(size_t)r * no + q2] = q2 == el->output ? -el->energy_scale : 0;
    }
}
/* The adjoints of atom i's neighbour slots gathered once: Cs = adj of the neighbour (with
   vir, plus the virial's rho_y = sum_x RW_xy d_x of the pair), Cr = Cs . u. */
static void sannip__slab_gather(sannip__pass *P, int i, const sannip_real *adj, int vir)
{
    const sannip_cache_entry *ce = P->ce;
    size_t nsl = ce->nb_start[i + 1] - ce->nb_start[i] + 1, sl;
    const sannip_real *u = ce->U + 3 * ce->nb_start[i];
    const int *nbk = ce->nb + ce->nb_start[i];
    sannip_real *Cs = P->Cs, *Cr = P->Cr;
    int y;
    for (sl = 0; sl + 1 < nsl; sl++) {
        const sannip_real *rk = adj + 3 * (size_t)nbk[sl], *us = u + 3 * sl;
        Cs[3 * sl] = rk[0]; Cs[3 * sl + 1] = rk[1]; Cs[3 * sl + 2] = rk[2];
        if (vir) for (y = 0; y < 3; y++) Cs[3 * sl + y] += ce->Rn[ce->nb_start[i] + sl] * (P->RW[y] * us[0] + P->RW[3 + y] * us[1] + P->RW[6 + y] * us[2]);
        Cr[sl] = Cs[3 * sl] * us[0] + Cs[3 * sl + 1] * us[1] + Cs[3 * sl + 2] * us[2];
    }
}
/* V_r = a (dG_i . C) (add: V_r +=) for atom i over rows rs: one dot per feature against the
   gathered slab, the self slot against self. */
static void sannip__tangent_rows(sannip__pass *P, const sannip_element_model *el, int r, int i, const sannip__rowset *rs,
                                 const sannip_real *self, int add)
{
    size_t r0 = P->ce->frow[i];
    int f, nf = el->n_features;
    for (f = 0; f < nf; f++) {
        const sannip_real *row = rs->d + rs->off[r0 + f];
        int lo = rs->lo[r0 + f], len = rs->hi[r0 + f] - lo;
        sannip_real d = rs->rad && rs->rad[r0 + f] ? sannip__dot(row, P->Cr + lo, len) : sannip__dot(row, P->Cs + 3 * (size_t)lo, (len *= 3));
        sannip_real v = el->scale_a[f] * (d + row[len] * self[0] + row[len + 1] * self[1] + row[len + 2] * self[2]);
        if (add) P->V[(size_t)r * nf + f] += v; else P->V[(size_t)r * nf + f] = v;
        sannip__prefetch_some(&P->pf_dg);
    }
}
/* The tangent of row r, V_r = a (dG_i/dr . R + dG_i/dS . RH) for atom i (R carrying the
   virial's pair adjoints too): the position rows, then the spin rows. */
static void sannip__block_tangent(sannip__pass *P, const sannip_element_model *el, int r, int i)
{
    sannip__rowset rs = sannip__rows_of(P->ce, 0);
    if (P->fw > 0 || P->ww > 0) {
        sannip__slab_gather(P, i, P->R, P->ww > 0);
        sannip__tangent_rows(P, el, r, i, &rs, P->R + 3 * (size_t)i, 0);
    } else memset(P->V + (size_t)r * el->n_features, 0, sizeof(sannip_real) * (size_t)el->n_features);
    if (!(P->hw > 0)) return;
    rs = sannip__rows_of(P->ce, 1);
    sannip__slab_gather(P, i, P->RH, 0);
    sannip__tangent_rows(P, el, r, i, &rs, P->RH + 3 * (size_t)i, 1);
}
/* Pass 2 for element e: the weight gradient of its blocks (stashed at *stp) into ge, qE =
   dL/dE; the force (field, virial) terms by a tangent pass along V_i (sannip__block_tangent). */
static void sannip__pass2_element(sannip__pass *P, int e, double qE, sannip_real *ge, sannip_real **stp)
{
    const sannip_element_model *el = &P->m->el[e];
    const sannip_network *net = sannip_model_network(P->m, e);
    int first = 0, nb, r, rows[SANNIP__TB], nf = el->n_features, no = net->sizes[net->n_layers];
    while (first < P->n) {
        if (!(nb = sannip__element_block(P->s, el->Z, &first, rows))) continue;
        sannip__block_adjoints(P, el, no, nb, qE);
        if (P->fw > 0 || P->hw > 0 || P->ww > 0) {
            for (r = 0; r < nb; r++) { sannip__block_tangent(P, el, r, rows[r]); sannip__prefetch_some(&P->pf_u); }
            sannip__tangent_grad(net, nb, *stp, P->V, P->qv, P->pv, ge, P->work);
        } else {
            sannip__network_backprop(net, nb, *stp, P->qv, NULL, ge, *stp + (size_t)nb * nf, 3, P->work);
        }
        *stp += sannip__stash_size(net, nb);
    }
}

/* The terms of a pass: loss weights (the gradient's) and the outputs wanted without a
   gradient (evaluation). jac = 1 (a Jacobian row, the EKF's): the gradient is instead that
   of jE E + jF . F (jF: 3n reals or NULL), the loss still the weights'. */
typedef struct sannip__terms { double ew, fw, hw, ww; int forces, fields, virial, jac; double jE; const sannip_real *jF; } sannip__terms;
/* A Jacobian row's adjoints in place of the loss's: R = jF (the tangent pass only with jF),
   no field or virial adjoints; returns dL/dE = jE. */
static double sannip__pass_jacobian(sannip__pass *P, const sannip__terms *t)
{
    if (t->jF) memcpy(P->R, t->jF, sizeof(sannip_real) * 3 * (size_t)P->n);
    P->fw = t->jF ? 1 : 0; P->hw = P->ww = 0;
    return t->jE;
}

/* Energy (forces, field, virial) of structure s from its cache entry into o (o->F: 3n reals
   of the caller's); if grad != NULL also the loss gradient with t's weights (loss = ew (dE/N)^2
   + fw mean |dF|^2 + hw mean |dH|^2 + ww mean (dW/N)^2, times s->weight; the field and virial
   terms only where s has the labels and ce the rows). next (may be NULL): the entry evaluated
   after this one, whose derivative rows are asked for while pass 2 computes, so that its pass 1
   finds them in cache instead of waiting on memory (the first pass over the derivatives is
   otherwise bound by memory bandwidth). */
static sannip_result sannip__structure_pass(const sannip_model *m, const sannip_structure *s, const sannip_cache_entry *ce,
                                            const sannip__terms *t, sannip__pass_out *o, double *loss, sannip_real *grad,
                                            sannip__tscratch *ts, const sannip_cache_entry *next)
{
    sannip__pass P;
    size_t tw, sw, pofs[SANNIP_MAX_ELEMENTS + 1];
    sannip_real *stp;
    double E = 0, qE;
    int e, a, forces = t->forces || (grad && t->fw > 0);
    memset(&P, 0, sizeof P);
    P.m = m; P.s = s; P.ce = ce; P.n = s->n; P.fmax = sannip__model_fmax(m); P.ew = t->ew; P.fw = t->fw;
    o->has_h = (t->fields || (grad && t->hw > 0)) && s->fields && ce->dGs;
    o->has_w = (t->virial || (grad && t->ww > 0)) && s->has_virial && ce->Rn;
    P.hw = grad && o->has_h ? t->hw : 0; P.ww = grad && o->has_w ? t->ww : 0; P.want_h = o->has_h;
    sannip__pass_sizes(m, &tw, &sw, pofs);
    if (sannip__pass_carve(&P, ts, tw, sw) != SANNIP_SUCCESS) return SANNIP_OUT_OF_MEMORY;
    /* pass 1: energies and dE_i/dG_i, element by element in blocks of atoms */
    stp = P.stash;
    for (e = 0; e < m->n_elements; e++) sannip__pass1_element(&P, e, forces || o->has_h || o->has_w, &stp);
    for (a = 0; a < P.n; a++) E += P.Eat[a];
    o->E = E;
    if (forces || o->has_w) sannip__pass_derivs(&P, 0, forces ? o->F : NULL, o->has_w ? o->W : NULL);
    if (o->has_h) sannip__pass_derivs(&P, 1, P.Hf, NULL);
    o->H = o->has_h ? P.Hf : NULL;
    if (!grad) return SANNIP_SUCCESS;
    qE = s->weight * P.ew * 2 * sannip__pass_residuals(&P, o, loss) / ((double)P.n * P.n);   /* dL/dE */
    if (t->jac) qE = sannip__pass_jacobian(&P, t);
    /* pass 2: weight gradients, the blocks in pass 1's order */
    P.pf_dg = sannip__pf_make(next ? next->dG : NULL, next && next->dG ? sizeof(sannip_real) * next->row_off[next->frow[next->n]] : 0, P.n * (P.fmax + 1));
    P.pf_u = sannip__pf_make(next ? next->U : NULL, next && next->U ? 3 * sizeof(sannip_real) * next->nb_start[next->n] : 0, P.n);
    stp = P.stash;
    for (e = 0; e < m->n_elements; e++) sannip__pass2_element(&P, e, qE, grad + pofs[e], &stp);
    return SANNIP_SUCCESS;
}

/* The derivative rows training needs (sannip_feature_cache_build's flags): position rows for
   the force, field and virial terms, spin rows for the field term of a spin-aware model on
   data with fields, distances for the virial term on data with virials; 0: none. */
static int sannip__derivative_flags(const sannip_model *m, const sannip_dataset *d, double fw, double hw, double ww)
{
    int f = fw > 0, i, any_h = 0, any_w = 0;
    for (i = 0; i < d->n; i++) { any_h |= d->s[i].fields != NULL && d->s[i].spins != NULL; any_w |= d->s[i].has_virial; }
    if (hw > 0 && any_h && sannip_descriptors_need_spins(&m->desc)) f |= 1 | SANNIP_CACHE_SPIN;
    if (ww > 0 && any_w) f |= 1 | SANNIP_CACHE_DIST;
    return f;
}

/* One pass of structure s on a cache entry built for it (derivative rows: flags): the energy
   into *E, the forces into F (3n; both optional), the loss and grad as sannip__structure_pass. */
static sannip_result sannip__structure_once(const sannip_model *m, const sannip_structure *s, const sannip__terms *t, int flags,
                                            double *E, sannip_real *F, double *loss, sannip_real *grad, sannip_error *err)
{
    sannip__tscratch ts;
    sannip_cache_entry ce;
    sannip_result r;
    sannip__pass_out o;
    memset(&ts, 0, sizeof ts);
    ts.alloc = m->alloc;
    sannip_workspace_init(&ts.ws, &m->alloc);
    if ((r = sannip__entry_build(m, s, flags, &ce, &ts.ws, &m->alloc, err)) != SANNIP_SUCCESS) { sannip_workspace_uninit(&ts.ws); return r; }
    o.F = (sannip_real *)sannip__calloc(&m->alloc, 3 * (size_t)s->n + 1, sizeof(sannip_real));
    r = o.F ? sannip__structure_pass(m, s, &ce, t, &o, loss, grad, &ts, NULL) : SANNIP_OUT_OF_MEMORY;
    if (r == SANNIP_OUT_OF_MEMORY)   /* (the pass fails only there, and leaves the message to its caller) */
        sannip__fail(err, r, 0, 0, "loss gradient scratch of a %d-atom structure", s->n);
    if (r == SANNIP_SUCCESS && E) *E = o.E;
    if (r == SANNIP_SUCCESS && F) memcpy(F, o.F, sizeof(sannip_real) * 3 * (size_t)s->n);
    sannip_free(&m->alloc, o.F);
    sannip__entry_free(&m->alloc, &ce);
    sannip_free(&ts.alloc, ts.buf);
    sannip_workspace_uninit(&ts.ws);
    return r;
}
SANNIP_API sannip_result sannip_structure_gradient_ex(const sannip_model *m, const sannip_structure *s,
        const double weights[4], double *loss, sannip_real *grad, sannip_error *err)
{
    sannip__terms t;
    int flags;
    if (!m || !s || !grad || !weights) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    memset(&t, 0, sizeof t);
    t.ew = weights[0]; t.fw = weights[1]; t.hw = weights[2]; t.ww = weights[3];
    if (!s->has_energy || (t.fw > 0 && !s->forces)) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "structure lacks reference energy or forces");
    if (t.hw > 0 && (!s->fields || !s->spins)) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "field weight %g: the structure lacks spins or reference fields", t.hw);
    if (t.ww > 0 && !s->has_virial) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "virial weight %g: the structure lacks a reference virial", t.ww);
    flags = (t.fw > 0 || t.hw > 0 || t.ww > 0) | (t.hw > 0 ? SANNIP_CACHE_SPIN : 0) | (t.ww > 0 ? SANNIP_CACHE_DIST : 0);
    return sannip__structure_once(m, s, &t, flags, NULL, NULL, loss, grad, err);
}
SANNIP_API sannip_result sannip_structure_jacobian(const sannip_model *m, const sannip_structure *s, int row,
        double *value, sannip_real *jac, sannip_error *err)
{
    sannip__terms t;
    sannip_real *jF = NULL, *F = NULL;
    double E = 0;
    sannip_result r;
    if (!m || !s || !jac) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if (row < -1 || row >= 3 * s->n) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "Jacobian row %d: -1 (energy) or a force component 0..%d", row, 3 * s->n - 1);
    memset(&t, 0, sizeof t);
    t.jac = 1; t.jE = row < 0; t.forces = row >= 0;
    if (row >= 0) {
        jF = (sannip_real *)sannip__calloc(&m->alloc, 6 * (size_t)s->n, sizeof(sannip_real));
        if (!jF) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "Jacobian row of a %d-atom structure", s->n);
        jF[row] = 1; t.jF = jF; F = jF + 3 * s->n;
    }
    memset(jac, 0, sizeof(sannip_real) * sannip_model_get_params(m, NULL));
    r = sannip__structure_once(m, s, &t, row >= 0, &E, F, NULL, jac, err);
    if (r == SANNIP_SUCCESS && value) *value = row < 0 ? E : (double)F[row];
    sannip_free(&m->alloc, jF);
    return r;
}
SANNIP_API sannip_result sannip_structure_gradient(const sannip_model *m, const sannip_structure *s,
        double energy_weight, double force_weight, double *loss, sannip_real *grad, sannip_error *err)
{
    double w[4];
    w[0] = energy_weight; w[1] = force_weight; w[2] = w[3] = 0;
    return sannip_structure_gradient_ex(m, s, w, loss, grad, err);
}

SANNIP_API sannip_train_config sannip_train_config_init(void)
{
    sannip_train_config c;
    memset(&c, 0, sizeof c);
    /* 300 epochs of batch 2 (12x the Adam steps of the former 100 of batch 8): on NiO the
       held-out energy error of a spin-aware model still fell 2x beyond 100 epochs of batch 8
       (README, "Training: a session on the bundled NiO data") */
    c.optimizer = SANNIP_OPT_ADAM; c.epochs = 300; c.batch_size = 2; c.learning_rate = 1e-3; c.lr_decay = 1;
    c.beta1 = 0.9; c.beta2 = 0.999; c.eps = 1e-8; c.energy_weight = 1; c.force_weight = 1;
    c.field_weight = 1; c.stress_weight = 1;
    c.validation_fraction = 0.2;
    c.ekf_epsilon = 0.01; c.ekf_q0 = 0.01; c.ekf_qtau = 2.302; c.ekf_qmin = 1e-6;
    c.ekf_eta = 0.01; c.ekf_etatau = 2.302; c.ekf_etamax = 1;
    c.ekf_lambda = 1; c.ekf_nu = 1; c.ekf_force_fraction = 0.02; c.ekf_rows = 1;
    c.spread_floor = 0;       /* by the optimizer: 0.1, or none with the EKF */
    return c;
}
/* The configuration a run uses: zero fields take the defaults of sannip_train_config_init,
   SANNIP_OFF fields become 0; other values pass unchanged (sannip__train_check judges them). */
static sannip_train_config sannip__train_resolve(const sannip_train_config *cfg)
{
    sannip_train_config c = sannip_train_config_init(), d = c;
    if (!cfg) return c;
    c = *cfg;
    c.epochs = (int)sannip__or_default(c.epochs, d.epochs);
    c.batch_size = (int)sannip__or_default(c.batch_size, d.batch_size);
    c.learning_rate = sannip__or_default(c.learning_rate, d.learning_rate);
    c.lr_decay = sannip__or_default(c.lr_decay, d.lr_decay);
    c.beta1 = sannip__or_default(c.beta1, d.beta1);
    c.beta2 = sannip__or_default(c.beta2, d.beta2);
    c.eps = sannip__or_default(c.eps, d.eps);
    c.energy_weight = sannip__or_default(c.energy_weight, d.energy_weight);
    c.force_weight = sannip__or_default(c.force_weight, d.force_weight);
    c.field_weight = sannip__or_default(c.field_weight, d.field_weight);
    c.stress_weight = sannip__or_default(c.stress_weight, d.stress_weight);
    c.validation_fraction = sannip__or_default(c.validation_fraction, d.validation_fraction);
    c.spread_floor = sannip__or_default(c.spread_floor, c.optimizer == SANNIP_OPT_EKF ? 0 : 0.1);
    c.ekf_epsilon = sannip__or_default(c.ekf_epsilon, d.ekf_epsilon);
    c.ekf_q0 = sannip__or_default(c.ekf_q0, d.ekf_q0);
    c.ekf_qtau = sannip__or_default(c.ekf_qtau, d.ekf_qtau);
    c.ekf_qmin = sannip__or_default(c.ekf_qmin, d.ekf_qmin);
    c.ekf_eta = sannip__or_default(c.ekf_eta, d.ekf_eta);
    c.ekf_etatau = sannip__or_default(c.ekf_etatau, d.ekf_etatau);
    c.ekf_etamax = sannip__or_default(c.ekf_etamax, d.ekf_etamax);
    c.ekf_rows = (int)sannip__or_default(c.ekf_rows, d.ekf_rows);
    c.ekf_lambda = sannip__or_default(c.ekf_lambda, d.ekf_lambda);
    c.ekf_nu = sannip__or_default(c.ekf_nu, d.ekf_nu);
    c.ekf_force_fraction = sannip__or_default(c.ekf_force_fraction, d.ekf_force_fraction);
    return c;
}
SANNIP_API void sannip_train_report_uninit(sannip_train_report *r)
{
    if (r) { sannip_free(&r->alloc, r->val_index); r->val_index = NULL; }
}

/* sannip_loss_weights for a resolved configuration c (sannip__train_resolve); wh, ww may be
   NULL. */
static void sannip__loss_weights(const sannip_dataset *d, const int *idx, int n, const sannip_train_config *cfg,
                                 double *we, double *wf, double *wh, double *ww)
{
    const sannip_train_config c = *cfg;
    double me = 0, ve = 0, vf = 0, nf = 0, vh = 0, nh = 0, vw = 0, nw = 0, ref;
    int i, a;
    *we = c.energy_weight; *wf = c.force_weight;
    if (wh) *wh = c.field_weight;
    if (ww) *ww = c.stress_weight;
    if (c.raw_loss || n < 1) return;
    for (i = 0; i < n; i++) me += (double)d->s[idx[i]].energy / d->s[idx[i]].n;
    me /= n;
    for (i = 0; i < n; i++) {
        const sannip_structure *s = &d->s[idx[i]];
        ve += ((double)s->energy / s->n - me) * ((double)s->energy / s->n - me);
        if (s->forces) for (a = 0; a < 3 * s->n; a++) { vf += (double)s->forces[a] * s->forces[a]; nf++; }
        if (s->fields) for (a = 0; a < 3 * s->n; a++) { vh += (double)s->fields[a] * s->fields[a]; nh++; }
        if (s->has_virial) for (a = 0; a < 9; a++) { vw += ((double)s->virial[a] / s->n) * ((double)s->virial[a] / s->n); nw++; }
    }
    ve /= n;
    if (c.force_weight > 0 && ve > 0 && vf > 0) *we *= vf / nf / ve;
    /* the field and virial terms scaled like the energy term: by the reference scale (<F^2>
       with forces, else var(E/N)) over their own mean square */
    ref = c.force_weight > 0 && vf > 0 ? vf / nf : ve;
    if (wh && vh > 0 && ref > 0) *wh *= ref / (vh / nh);
    if (ww && vw > 0 && ref > 0) *ww *= ref / (vw / nw);
}
SANNIP_API void sannip_loss_weights(const sannip_dataset *d, const int *idx, int n, const sannip_train_config *cfg,
                                    double *we, double *wf)
{
    sannip_train_config c = sannip__train_resolve(cfg);
    sannip__loss_weights(d, idx, n, &c, we, wf, NULL, NULL);
}
SANNIP_API void sannip_loss_weights_ex(const sannip_dataset *d, const int *idx, int n, const sannip_train_config *cfg,
                                       double w[4])
{
    sannip_train_config c = sannip__train_resolve(cfg);
    sannip__loss_weights(d, idx, n, &c, &w[0], &w[1], &w[2], &w[3]);
}

/* Errors of the current model on the structures idx (energy per atom, force components). */
typedef struct sannip__errs { double se, ae, sf, af, ne, nf, sh, ah, nh, sw, aw, nw; } sannip__errs;
#define SANNIP__NPE 10   /* per-structure error sums (sannip__structure_errors) */
/* The errors of one structure's pass o into pe[0..SANNIP__NPE): energy error per atom; the
   squared and absolute force errors and their count (when forces); the same for the field and
   for the virial per atom (when o has them). */
static void sannip__structure_errors(const sannip_structure *s, int forces, const sannip__pass_out *o, double *pe)
{
    int k;
    memset(pe, 0, sizeof(double) * SANNIP__NPE);
    pe[0] = (o->E - s->energy) / s->n;
    if (forces && s->forces) {
        for (k = 0; k < 3 * s->n; k++) { double df = o->F[k] - s->forces[k]; pe[1] += df * df; pe[2] += fabs(df); }
        pe[3] = 3 * s->n;
    }
    if (o->has_h) {
        for (k = 0; k < 3 * s->n; k++) { double dh = o->H[k] - s->fields[k]; pe[4] += dh * dh; pe[5] += fabs(dh); }
        pe[6] = 3 * s->n;
    }
    if (o->has_w) {
        for (k = 0; k < 9; k++) { double dw = (o->W[k] - s->virial[k]) / s->n; pe[7] += dw * dw; pe[8] += fabs(dw); }
        pe[9] = 9;
    }
}
/* e += the per-structure sums pe (fixed order). */
static void sannip__errs_add(sannip__errs *e, const double *pe)
{
    e->se += pe[0] * pe[0]; e->ae += fabs(pe[0]); e->ne += 1;
    e->sf += pe[1]; e->af += pe[2]; e->nf += pe[3];
    e->sh += pe[4]; e->ah += pe[5]; e->nh += pe[6];
    e->sw += pe[7]; e->aw += pe[8]; e->nw += pe[9];
}
/* sqrt(sum / count), -1 when there is nothing to count. */
static double sannip__rms_or(double sum, double count) { return count > 0 ? sqrt(sum / count) : -1; }

#ifdef SANNIP__OMP
static double sannip__now(void) { return omp_get_wtime(); }
#else
#include <time.h>
static double sannip__now(void) { return (double)clock() / CLOCKS_PER_SEC; }
#endif

/* Per-thread scratch array for the parallel loops. */
typedef struct sannip__trainer {
    const sannip_model *m;
    const sannip_dataset *d;
    const sannip_feature_cache *cache;
    int nthreads;
    int dg;                /* derivative rows the run needs (sannip__derivative_flags) */
    sannip__terms eval;    /* what evaluation computes: forces, fields, virials */
    sannip__tscratch *ts;
    sannip_real **F;       /* per thread: 3 nmax forces */
} sannip__trainer;

static sannip_result sannip__entry_for(sannip__trainer *T, int si, int need_dg, sannip__tscratch *ts, const sannip_cache_entry **ce, sannip_error *err)
{
    if (T->cache->e[si].dG || !need_dg) { *ce = &T->cache->e[si]; return SANNIP_SUCCESS; }
    sannip__entry_free(&ts->alloc, &ts->own);
    *ce = &ts->own;
    return sannip__entry_build(T->m, &T->d->s[si], T->dg ? T->dg : 1, &ts->own, &ts->ws, &ts->alloc, err);
}

static sannip_result sannip__evaluate(sannip__trainer *T, const int *idx, int n, int forces, sannip__errs *out, sannip_error *err)
{
    int i;
    sannip_result r = SANNIP_SUCCESS;
    double *pe = (double *)sannip__calloc(&T->m->alloc, (size_t)n * SANNIP__NPE + 1, sizeof(double));
    sannip__terms t = T->eval;
    if (!pe) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "evaluation");
    memset(out, 0, sizeof *out);
    t.forces = forces;
#ifdef SANNIP__OMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
    for (i = 0; i < n; i++) {
        int th = 0;
        const sannip_structure *s = &T->d->s[idx[i]];
        const sannip_cache_entry *ce;
        sannip__pass_out o;
        sannip_result rr;
#ifdef SANNIP__OMP
        th = omp_get_thread_num();
#endif
        rr = sannip__entry_for(T, idx[i], forces || t.fields || t.virial, &T->ts[th], &ce, NULL);
        o.F = T->F[th];
        if (rr == SANNIP_SUCCESS) rr = sannip__structure_pass(T->m, s, ce, &t, &o, NULL, NULL, &T->ts[th], NULL);
        if (rr != SANNIP_SUCCESS) { r = rr; continue; }
        sannip__structure_errors(s, forces, &o, pe + SANNIP__NPE * (size_t)i);
    }
    for (i = 0; i < n; i++) sannip__errs_add(out, pe + SANNIP__NPE * (size_t)i);   /* fixed-order reduction */
    sannip_free(&T->m->alloc, pe);
    if (r) return sannip__fail(err, r, 0, 0, "evaluation failed");
    return SANNIP_SUCCESS;
}

/* 1 when a and b compute the same features per element (same bases, element lists, feature
   indices and cutoff), so that one feature cache serves both. */
static int sannip__same_features(const sannip_model *a, const sannip_model *b)
{
    char x[1024], y[1024];
    int f, e;
    if (a->desc.n != b->desc.n || a->cutoff != b->cutoff || a->n_elements != b->n_elements) return 0;
    for (f = 0; f < a->desc.n; f++) {
        if (sannip_basis_format(&a->desc.b[f], x, sizeof x) < 0 || sannip_basis_format(&b->desc.b[f], y, sizeof y) < 0) return 0;
        if (strcmp(x, y) != 0) return 0;
    }
    for (e = 0; e < a->n_elements; e++) {
        if (a->el[e].Z != b->el[e].Z || a->el[e].n_features != b->el[e].n_features) return 0;
        if (memcmp(a->el[e].feature, b->el[e].feature, sizeof(int) * (size_t)a->el[e].n_features) != 0) return 0;
    }
    return 1;
}

/* The descriptor derivatives training stores (sannip__derivative_flags; 0: none): when the
   loss needs them, storing is asked for, and they fit the configured memory limit (the
   estimate counts the position rows only). */
static int sannip__store_derivatives(const sannip_model *m, const sannip_dataset *d, const sannip_train_config *c)
{
    int f = sannip__derivative_flags(m, d, c->force_weight, c->field_weight, c->stress_weight);
    if (!f || c->recompute_derivatives) return 0;
    return c->cache_limit == 0 || sannip_feature_cache_estimate(m, d) <= c->cache_limit ? f : 0;
}

/* The extended Kalman filter's state (SANNIP_OPT_EKF; sannip__ekf_alloc). */
typedef struct sannip__ekf {
    double *P, *H, *work;         /* np x np covariance; SANNIP_EKF_MAX_ROWS x np Jacobian rows; the update's work */
    double xi[SANNIP_EKF_MAX_ROWS];   /* the rows' errors (reference - prediction) */
    sannip_real *row, *jF;        /* a pass's gradient (np); one-hot force adjoint (3 nmax) */
    double lambda, q, eta;        /* forgetting factor, process noise, measurement noise's 1/eta */
    int nF, u, U;                 /* force measurements per epoch; updates done this epoch, per epoch */
} sannip__ekf;
/* State of one training run, shared by the phases of sannip__train. */
typedef struct sannip__train_state {
    sannip_model *m;
    const sannip_dataset *d;
    sannip_train_config c;
    sannip__trainer T;
    sannip_feature_cache own;     /* the run's cache, unless a committee shares one */
    const sannip_feature_cache *cache;
    sannip_rng rng;               /* draws the split, the initialisation, then each epoch's order */
    int *perm, *va, *tr;          /* perm: the nva validation structures (va), then the ntr training ones (tr) */
    int ntr, nva, nmax, bs, use_forces, use_fields, use_virial, best_epoch, since;
    size_t np;
    sannip_real *best, *params, *g, *mv, *grads;   /* np, np, np, 2 np (Adam), bs x np */
    double *losses, *perr;        /* per batch member: its loss; SANNIP__NPE error sums (sannip__batch_member) */
    double best_metric, lr, t0, te;
    long step;
    int stopped;                  /* the stop flag was seen (sannip__train_stopped) */
    sannip_train_report rep;
    sannip__ekf ekf;              /* SANNIP_OPT_EKF only */
} sannip__train_state;
/* Whether training must stop now: the caller's flag (e.g. Ctrl-C) was raised. */
static int sannip__train_stopped(sannip__train_state *S)
{
    if (S->c.stop && *S->c.stop) S->stopped = 1;
    return S->stopped;
}

/* The EKF's settings and the model's size (P holds np^2 doubles). */
static sannip_result sannip__ekf_check(const sannip_model *m, const sannip_train_config *c, sannip_error *err)
{
    size_t np = sannip_model_get_params(m, NULL);
    if (np > SANNIP_EKF_MAX_PARAMS)
        return sannip__fail(err, SANNIP_TOO_BIG, 0, 0, "Kalman filter: %zu parameters, more than SANNIP_EKF_MAX_PARAMS (%d; its covariance would take %.3g GB)",
                            np, SANNIP_EKF_MAX_PARAMS, 8e-9 * (double)np * np);
    if (!(c->ekf_epsilon > 0) || !(c->ekf_q0 >= 0) || !(c->ekf_qtau >= 0) || !(c->ekf_qmin >= 0) || !(c->ekf_eta > 0) || !(c->ekf_etatau >= 0)
        || !(c->ekf_etamax >= c->ekf_eta) || !(c->ekf_lambda > 0 && c->ekf_lambda <= 1) || !(c->ekf_nu > 0 && c->ekf_nu <= 1)
        || !(c->ekf_force_fraction >= 0 && c->ekf_force_fraction <= 100) || c->ekf_rows < 1 || c->ekf_rows > SANNIP_EKF_MAX_ROWS)
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "Kalman filter settings out of range (epsilon %g, q0 %g, qtau %g, qmin %g, eta %g, etatau %g, etamax %g, "
                            "lambda %g, nu %g, force fraction %g, rows %d)", c->ekf_epsilon, c->ekf_q0, c->ekf_qtau, c->ekf_qmin, c->ekf_eta, c->ekf_etatau,
                            c->ekf_etamax, c->ekf_lambda, c->ekf_nu, c->ekf_force_fraction, c->ekf_rows);
    return SANNIP_SUCCESS;
}
/* Checks sannip_train's arguments and configuration, and the data set. */
static sannip_result sannip__train_check(const sannip_model *m, const sannip_dataset *d, const sannip_train_config *c,
                                         sannip_error *err)
{
    sannip_result r;
    if (!m || !d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if (m->n_elements == 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "model has no elements");
    if (c->epochs < 0 || c->batch_size < 1 || !(c->learning_rate > 0) || !(c->validation_fraction >= 0 && c->validation_fraction < 1)
        || !(c->energy_weight >= 0) || !(c->force_weight >= 0) || !(c->field_weight >= 0) || !(c->stress_weight >= 0) || !(c->l2 >= 0))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "training configuration out of range");
    if (!(c->spread_floor >= 0 && c->spread_floor < 1e30))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "spread_floor %g: a length >= 0 (0: the default 0.1, SANNIP_OFF: none)", c->spread_floor);
    if (c->validation_last < 0 || (c->validation_last > 0 && c->validation_last >= d->n))
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "validation_last %d: the data set has %d structures (at least one must train)", c->validation_last, d->n);
    if (c->optimizer < SANNIP_OPT_ADAM || c->optimizer > SANNIP_OPT_EKF)
        return sannip__fail(err, SANNIP_BAD_PARAMETER, 0, 0, "optimizer %d: SANNIP_OPT_ADAM, _SGD or _EKF", c->optimizer);
    if (c->optimizer == SANNIP_OPT_EKF && (r = sannip__ekf_check(m, c, err)) != SANNIP_SUCCESS) return r;
    return sannip_dataset_check(d, c->force_weight > 0, err);
}
static void sannip__train_begin(sannip__train_state *S, sannip_model *m, const sannip_dataset *d, const sannip_train_config *c,
                                const sannip_feature_cache *shared)
{
    memset(S, 0, sizeof *S);
    S->t0 = sannip__now();
    S->te = S->t0;                /* the epochs' start, set again before them */
    S->m = m; S->d = d; S->c = *c;
    S->use_forces = c->force_weight > 0;
    S->best_epoch = -1;
    S->best_metric = HUGE_VAL;
    sannip_feature_cache_init(&S->own, &m->alloc);
    S->cache = shared ? shared : &S->own;
    sannip_rng_seed(&S->rng, c->seed);
}
/* Fisher-Yates shuffle of a[0..n) with one draw per position, from the last down. */
static void sannip__shuffle(int *a, int n, sannip_rng *rng)
{
    int i;
    for (i = n - 1; i > 0; i--) { int j = (int)(sannip_rng_next(rng) % (uint64_t)(i + 1)), tt = a[i]; a[i] = a[j]; a[j] = tt; }
}
/* Seeded validation split (T4.2): a fraction of the shuffled structures (at least one when
   the fraction is positive, never all) validates, the rest trains. */
static sannip_result sannip__train_split(sannip__train_state *S, sannip_error *err)
{
    const sannip_dataset *d = S->d;
    int i;
    S->perm = (int *)sannip__calloc(&S->m->alloc, (size_t)d->n + 1, sizeof(int));
    if (!S->perm) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "split");
    if (S->c.validation_last > 0) {   /* a given split: the last ones first (va), then the rest (tr) */
        S->nva = S->c.validation_last;
        for (i = 0; i < d->n; i++) S->perm[i] = (i + d->n - S->nva) % d->n;
    } else {
        for (i = 0; i < d->n; i++) S->perm[i] = i;
        sannip__shuffle(S->perm, d->n, &S->rng);
        S->nva = (int)floor(S->c.validation_fraction * d->n + 0.5);
        if (S->c.validation_fraction > 0 && S->nva == 0 && d->n >= 2) S->nva = 1;
        if (S->nva >= d->n) S->nva = d->n - 1;
    }
    S->ntr = d->n - S->nva;
    S->va = S->perm; S->tr = S->perm + S->nva;
    for (i = 0; i < d->n; i++) if (d->s[i].n > S->nmax) S->nmax = d->s[i].n;
    return SANNIP_SUCCESS;
}
/* Feature scalers (unscaled elements get the modified scaling, T3.21) and the energy map,
   fitted on the training split only. */
static sannip_result sannip__train_fit_scaling(sannip__train_state *S, sannip_error *err)
{
    sannip_model *m = S->m;
    sannip_result r;
    int i, k;
    sannip_structure *trs = (sannip_structure *)sannip__calloc(&m->alloc, (size_t)S->ntr + 1, sizeof(sannip_structure));
    if (!trs) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "scaling");
    for (i = 0; i < S->ntr; i++) trs[i] = S->d->s[S->tr[i]];    /* shallow views */
    for (k = 0; k < m->n_elements; k++) if (m->el[k].scaling == SANNIP_SCALE_NONE) { m->el[k].scaling = SANNIP_SCALE_MODIFIED; }
    r = sannip__fit_scaling(m, trs, S->ntr, S->c.stop, err);
    if (r == SANNIP_SUCCESS && S->c.spread_floor > 0 && !sannip__train_stopped(S))
        r = sannip_model_floor_spreads(m, trs, S->ntr, S->c.spread_floor, &S->rep.spread_floored, err);
    sannip_free(&m->alloc, trs);
    if (r) return r;
    return sannip_model_fit_energy(m, S->d, S->tr, S->ntr, err);
}
/* The model before the first epoch: fresh weights, scaling, the feature cache (unless shared),
   then PCA initialisation, which reads the cached features through the fitted scalers. The
   stop flag ends it early with success and S->stopped set (nothing trained). */
static sannip_result sannip__train_prepare(sannip__train_state *S, int own_cache, sannip_error *err)
{
    sannip_model *m = S->m;
    sannip_result r;
    if (!S->c.keep_weights) sannip_model_init_weights(m, &S->rng);
    if (sannip__train_stopped(S)) return SANNIP_SUCCESS;
    if (!S->c.keep_scaling && (r = sannip__train_fit_scaling(S, err)) != SANNIP_SUCCESS) return r;
    if (sannip__train_stopped(S)) return SANNIP_SUCCESS;
    if (own_cache && (r = sannip__cache_build(&S->own, m, S->d, sannip__store_derivatives(m, S->d, &S->c), S->c.stop, err)) != SANNIP_SUCCESS) return r;
    if (sannip__train_stopped(S)) return SANNIP_SUCCESS;
    S->rep.cache_bytes = S->cache->bytes;
    S->rep.derivatives_cached = S->cache->with_derivatives != 0;
    if (S->c.pca > 0 && !S->c.keep_weights) return sannip_model_pca_init(m, S->cache, S->d, S->tr, S->ntr, S->c.pca, err);
    return SANNIP_SUCCESS;
}
/* Per-thread scratch and the buffers of the batches and the optimiser. */
static sannip_result sannip__train_alloc(sannip__train_state *S, sannip_error *err)
{
    const sannip_allocator *a = &S->m->alloc;
    sannip__trainer *T = &S->T;
    size_t np;
    int t;
    T->m = S->m; T->d = S->d; T->cache = S->cache; T->nthreads = 1;
    T->dg = sannip__derivative_flags(S->m, S->d, S->c.force_weight, S->c.field_weight, S->c.stress_weight);
    memset(&T->eval, 0, sizeof T->eval);
    T->eval.fields = S->use_fields = (T->dg & SANNIP_CACHE_SPIN) != 0;
    T->eval.virial = S->use_virial = (T->dg & SANNIP_CACHE_DIST) != 0;
#ifdef SANNIP__OMP
    T->nthreads = omp_get_max_threads();
#endif
    T->ts = (sannip__tscratch *)sannip__calloc(a, (size_t)T->nthreads, sizeof(sannip__tscratch));
    T->F = (sannip_real **)sannip__calloc(a, (size_t)T->nthreads, sizeof(sannip_real *));
    S->np = np = sannip_model_get_params(S->m, NULL);
    S->bs = S->c.batch_size < S->ntr ? S->c.batch_size : S->ntr;
    S->best = (sannip_real *)sannip__calloc(a, np + 1, sizeof(sannip_real));
    S->params = (sannip_real *)sannip__calloc(a, np + 1, sizeof(sannip_real));
    S->g = (sannip_real *)sannip__calloc(a, np + 1, sizeof(sannip_real));
    S->mv = (sannip_real *)sannip__calloc(a, 2 * np + 1, sizeof(sannip_real));
    S->grads = (sannip_real *)sannip__calloc(a, (size_t)S->bs * np + 1, sizeof(sannip_real));
    S->losses = (double *)sannip__calloc(a, (size_t)S->bs + 1, sizeof(double));
    S->perr = (double *)sannip__calloc(a, SANNIP__NPE * (size_t)S->bs + 1, sizeof(double));
    if (!T->ts || !T->F || !S->best || !S->params || !S->g || !S->mv || !S->grads || !S->losses || !S->perr)
        return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "training buffers (%zu parameters)", np);
    for (t = 0; t < T->nthreads; t++) {
        T->ts[t].alloc = *a;
        sannip_workspace_init(&T->ts[t].ws, a);
        T->F[t] = (sannip_real *)sannip__calloc(a, 3 * (size_t)S->nmax + 1, sizeof(sannip_real));
        if (!T->F[t]) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "training buffers");
    }
    return SANNIP_SUCCESS;
}
static void sannip__ekf_free(sannip__train_state *S);
static void sannip__train_end(sannip__train_state *S)
{
    const sannip_allocator *a = &S->m->alloc;
    sannip__trainer *T = &S->T;
    int t;
    if (T->ts) for (t = 0; t < T->nthreads; t++) { sannip_workspace_uninit(&T->ts[t].ws); sannip_free(&T->ts[t].alloc, T->ts[t].buf); sannip__entry_free(&T->ts[t].alloc, &T->ts[t].own); }
    if (T->F) for (t = 0; t < T->nthreads; t++) sannip_free(a, T->F[t]);
    sannip_free(a, T->ts); sannip_free(a, T->F);
    sannip_feature_cache_uninit(&S->own);
    sannip_free(a, S->perm); sannip_free(a, S->best); sannip_free(a, S->params); sannip_free(a, S->g); sannip_free(a, S->mv);
    sannip_free(a, S->grads); sannip_free(a, S->losses); sannip_free(a, S->perr);
    sannip__ekf_free(S);
}

/* Member i of the batch starting at b0 of the training order: its loss gradient into row i
   of grads, its loss, and its errors under the parameters before this batch's update (the
   running training errors) into row i of perr: energy error per atom, sum of squared and of
   absolute force errors, number of force components. Runs on any thread. */
static sannip_result sannip__batch_member(sannip__train_state *S, int b0, int i)
{
    int th = 0, nx, si = S->tr[b0 + i];
    const sannip_structure *s = &S->d->s[si];
    const sannip_cache_entry *ce;
    sannip__terms t;
    sannip__pass_out o;
    sannip_result rr;
#ifdef SANNIP__OMP
    th = omp_get_thread_num();
#endif
    memset(&t, 0, sizeof t);
    t.ew = S->c.energy_weight; t.fw = S->c.force_weight;
    t.hw = S->use_fields ? S->c.field_weight : 0; t.ww = S->use_virial ? S->c.stress_weight : 0;
    rr = sannip__entry_for(&S->T, si, S->T.dg != 0, &S->T.ts[th], &ce, NULL);
    /* the structure after this one (this batch's or the next's first), for prefetching */
    nx = b0 + i + 1 < S->ntr ? S->tr[b0 + i + 1] : -1;
    o.F = S->T.F[th];
    if (rr == SANNIP_SUCCESS) rr = sannip__structure_pass(S->m, s, ce, &t, &o, &S->losses[i], S->grads + (size_t)i * S->np,
                                                          &S->T.ts[th], nx >= 0 ? &S->cache->e[nx] : NULL);
    if (rr != SANNIP_SUCCESS) return rr;
    sannip__structure_errors(s, S->use_forces, &o, S->perr + SANNIP__NPE * (size_t)i);
    return SANNIP_SUCCESS;
}
/* The nb members of a batch, in parallel (each writes its own rows); 1 if any failed. */
static int sannip__batch_gradients(sannip__train_state *S, int b0, int nb)
{
    int i, bad = 0;
    memset(S->grads, 0, sizeof(sannip_real) * (size_t)nb * S->np);
#ifdef SANNIP__OMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
    for (i = 0; i < nb; i++) if (sannip__batch_member(S, b0, i) != SANNIP_SUCCESS) bad = 1;
    return bad;
}
/* Fixed-order reduction over the batch, so that the update does not depend on threads: the
   summed gradient into g, the losses and running errors into the epoch's sums. Returns the
   batch's summed structure weight. */
static double sannip__batch_reduce(sannip__train_state *S, int b0, int nb, sannip__errs *etr, double *ep_loss)
{
    double wsum = 0;
    int i;
    memset(S->g, 0, sizeof(sannip_real) * S->np);
    for (i = 0; i < nb; i++) {
        const sannip_real *gi = S->grads + (size_t)i * S->np;
        const double *pe = S->perr + SANNIP__NPE * (size_t)i;
        size_t q;
        for (q = 0; q < S->np; q++) S->g[q] += gi[q];
        *ep_loss += S->losses[i];
        wsum += S->d->s[S->tr[b0 + i]].weight;
        sannip__errs_add(etr, pe);
    }
    return wsum;
}
/* Weight decay of one network, g += 2 l2 W on its weights (not its biases), p and g in its
   parameter layout (class layers: per class). Returns the parameters it covered. */
static size_t sannip__network_weight_decay(const sannip_network *net, const sannip_real *p, sannip_real *g, double l2)
{
    int l, cc;
    for (l = 0; l < net->n_layers; l++)
        for (cc = 0; cc < sannip_network_layer_blocks(net, l); cc++) {   /* weights only, not biases */
            sannip_param_block b = sannip_network_block(net, l, cc);
            size_t q;
            for (q = 0; q < (size_t)b.n_in * b.n_out; q++) g[b.offset + q] += (sannip_real)(2 * l2 * p[b.offset + q]);
        }
    return net->n_params;
}
/* The optimiser step on the batch gradient g / wsum (plus weight decay); a non-finite
   gradient stops training with SANNIP_NONFINITE before anything changes. */
static sannip_result sannip__train_step(sannip__train_state *S, double wsum, int epoch, sannip_error *err)
{
    sannip_model *m = S->m;
    size_t q, off = 0;
    int e;
    sannip_model_get_params(m, S->params);
    for (q = 0; q < S->np; q++) {
        S->g[q] /= (sannip_real)wsum;
        if (!isfinite(S->g[q])) return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "epoch %d: non-finite gradient; the last good model is kept", epoch);
    }
    if (S->c.l2 > 0)   /* in the order of sannip_model_get_params */
        for (e = 0; e < m->n_elements; e++) if (!m->el[e].shared) off += sannip__network_weight_decay(&m->el[e].net, S->params + off, S->g + off, S->c.l2);
    S->step++;
    if (S->c.optimizer == SANNIP_OPT_SGD) sannip_sgd_step(S->params, S->g, S->np, S->lr);
    else sannip_adam_step(S->params, S->g, S->mv, S->np, S->step, S->lr, S->c.beta1, S->c.beta2, S->c.eps);
    sannip_model_set_params(m, S->params);
    return SANNIP_SUCCESS;
}
/* One batch from b0: gradients, their reduction, then the update (none when the batch's
   structures weigh nothing). */
static sannip_result sannip__train_batch(sannip__train_state *S, int b0, int epoch, sannip__errs *etr, double *ep_loss, sannip_error *err)
{
    int nb = S->ntr - b0 < S->bs ? S->ntr - b0 : S->bs;
    double wsum;
    if (sannip__batch_gradients(S, b0, nb)) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "epoch %d: structure evaluation failed", epoch);
    wsum = sannip__batch_reduce(S, b0, nb, etr, ep_loss);
    if (!(wsum > 0)) return SANNIP_SUCCESS;
    return sannip__train_step(S, wsum, epoch, err);
}
/* One epoch: the training split shuffled (seeded), its batches in that order, then the
   learning-rate decay. etr and ep_loss receive the running training errors and the loss sum. */
static sannip_result sannip__train_epoch(sannip__train_state *S, int epoch, sannip__errs *etr, double *ep_loss, sannip_error *err)
{
    sannip_result r;
    int b0;
    memset(etr, 0, sizeof *etr);
    *ep_loss = 0;
    sannip__shuffle(S->tr, S->ntr, &S->rng);
    for (b0 = 0; b0 < S->ntr; b0 += S->bs) {
        if (sannip__train_stopped(S)) return SANNIP_SUCCESS;   /* keeps the completed epochs' best */
        if ((r = sannip__train_batch(S, b0, epoch, etr, ep_loss, err)) != SANNIP_SUCCESS) return r;
    }
    S->lr *= S->c.lr_decay;
    return SANNIP_SUCCESS;
}
/* ---- extended Kalman filter training (SANNIP_OPT_EKF) ----------------------------------- */
/* The filter's covariance (I / epsilon), at most SANNIP_EKF_MAX_ROWS Jacobian rows H with their
   errors, the update's work, one pass's gradient row, the one-hot force adjoint jF (3 nmax),
   and the force measurements of an epoch. */
static sannip_result sannip__ekf_alloc(sannip__train_state *S, sannip_error *err)
{
    const sannip_allocator *a = &S->m->alloc;
    sannip__ekf *K = &S->ekf;
    size_t np = S->np, i;
    int t;
    long long comps = 0;
    K->P = (double *)sannip__calloc(a, np * np, sizeof(double));
    K->H = (double *)sannip__calloc(a, (size_t)SANNIP_EKF_MAX_ROWS * np, sizeof(double));
    K->work = (double *)sannip__calloc(a, (size_t)SANNIP_EKF_MAX_ROWS * np, sizeof(double));
    K->row = (sannip_real *)sannip__calloc(a, np, sizeof(sannip_real));
    K->jF = (sannip_real *)sannip__calloc(a, 3 * (size_t)S->nmax + 1, sizeof(sannip_real));
    if (!K->P || !K->H || !K->work || !K->row || !K->jF)
        return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "Kalman filter: covariance of %zu x %zu parameters (%.3g MB)", np, np, 8e-6 * (double)np * np);
    for (i = 0; i < np; i++) K->P[i * np + i] = 1 / S->c.ekf_epsilon;
    K->lambda = S->c.ekf_lambda;
    for (t = 0; t < S->ntr && S->use_forces; t++) comps += 3 * (long long)S->d->s[S->tr[t]].n;
    K->nF = (int)floor(S->c.ekf_force_fraction * (double)comps + 0.5);
    if (K->nF == 0 && comps > 0 && S->c.ekf_force_fraction > 0) K->nF = 1;
    return SANNIP_SUCCESS;
}
static void sannip__ekf_free(sannip__train_state *S)
{
    const sannip_allocator *a = &S->m->alloc;
    sannip_free(a, S->ekf.P); sannip_free(a, S->ekf.H); sannip_free(a, S->ekf.work); sannip_free(a, S->ekf.row); sannip_free(a, S->ekf.jF);
}
/* Row j of H: structure si's prediction (row -1 its energy, else force component row) and its
   Jacobian, both times c, and xi_j = c (reference - prediction). An energy row's pass also
   gives the structure's errors (before the update) to the epoch's running errors, its loss to
   *ep_loss. */
static sannip_result sannip__ekf_row(sannip__train_state *S, int si, int row, double c, int j,
                                     sannip__errs *etr, double *ep_loss, sannip_error *err)
{
    const sannip_structure *s = &S->d->s[si];
    const sannip_cache_entry *ce;
    sannip__terms t;
    sannip__pass_out o;
    sannip_result rr;
    double pe[SANNIP__NPE], loss = 0, *h = S->ekf.H + (size_t)j * S->np;
    size_t q;
    memset(&t, 0, sizeof t);
    t.ew = S->c.energy_weight; t.fw = S->use_forces ? S->c.force_weight : 0; t.forces = S->use_forces;
    t.jac = 1; t.jE = row < 0;
    if (row >= 0) { memset(S->ekf.jF, 0, sizeof(sannip_real) * 3 * (size_t)s->n); S->ekf.jF[row] = 1; t.jF = S->ekf.jF; }
    if ((rr = sannip__entry_for(&S->T, si, S->T.dg != 0, &S->T.ts[0], &ce, err)) != SANNIP_SUCCESS) return rr;
    memset(S->ekf.row, 0, sizeof(sannip_real) * S->np);
    o.F = S->T.F[0];
    if ((rr = sannip__structure_pass(S->m, s, ce, &t, &o, &loss, S->ekf.row, &S->T.ts[0], NULL)) != SANNIP_SUCCESS)
        return sannip__fail(err, rr, 0, 0, "Kalman filter: pass of structure %d", si + 1);
    for (q = 0; q < S->np; q++) h[q] = c * S->ekf.row[q];
    S->ekf.xi[j] = c * (row < 0 ? s->energy - o.E : (double)s->forces[row] - (double)o.F[row]);
    if (row < 0) { sannip__structure_errors(s, S->use_forces, &o, pe); sannip__errs_add(etr, pe); *ep_loss += loss; }
    return SANNIP_SUCCESS;
}
/* The update on the k rows of H with this point's schedules (t = epoch - 1 + u / U: q falls,
   eta rises as n2p2's), then the forgetting factor's step towards 1 (Blank & Brown 1994). */
static sannip_result sannip__ekf_apply(sannip__train_state *S, int k, int epoch, sannip_error *err)
{
    sannip__ekf *K = &S->ekf;
    const sannip_train_config *c = &S->c;
    double t = epoch - 1 + (double)K->u / K->U, q = c->ekf_q0 * sannip__exp(-c->ekf_qtau * t), eta = c->ekf_eta * sannip__exp(c->ekf_etatau * t);
    sannip_result r;
    K->q = q > c->ekf_qmin ? q : c->ekf_qmin;
    K->eta = eta < c->ekf_etamax ? eta : c->ekf_etamax;
    r = sannip_ekf_update(K->P, S->params, K->H, K->xi, S->np, k, K->lambda / K->eta, K->lambda, K->q, K->work);
    if (r != SANNIP_SUCCESS)
        return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "epoch %d: the Kalman filter's update is not finite; the last good model is kept", epoch);
    sannip_model_set_params(S->m, S->params);
    K->lambda = c->ekf_nu * K->lambda + 1 - c->ekf_nu;
    K->u++;
    return SANNIP_SUCCESS;
}
/* One update on k measurements: the energies per atom of training structures tr[ie..ie+k)
   (c = sqrt(w_E w_s) / N, the loss's weighting), or, ie < 0, k force components of one random
   training structure (c = sqrt(w_F w_s)). Weightless structures give empty rows. */
static sannip_result sannip__ekf_measure(sannip__train_state *S, int ie, int k, int epoch, sannip__errs *etr, double *ep_loss, sannip_error *err)
{
    int j, si = ie < 0 ? S->tr[sannip_rng_next(&S->rng) % (uint64_t)S->ntr] : 0;
    sannip_result r = SANNIP_SUCCESS;
    for (j = 0; j < k && r == SANNIP_SUCCESS; j++) {
        const sannip_structure *s = &S->d->s[ie < 0 ? si : S->tr[ie + j]];
        if (ie >= 0) r = sannip__ekf_row(S, S->tr[ie + j], -1, sqrt(S->c.energy_weight * s->weight) / s->n, j, etr, ep_loss, err);
        else r = sannip__ekf_row(S, si, (int)(sannip_rng_next(&S->rng) % (uint64_t)(3 * s->n)), sqrt(S->c.force_weight * s->weight), j, etr, ep_loss, err);
    }
    return r == SANNIP_SUCCESS ? sannip__ekf_apply(S, k, epoch, err) : r;
}
/* One EKF epoch: the training split shuffled, its energy updates and the force updates (ekf_rows
   measurements each) in a random interleaving: each next update is an energy one with the
   energy updates' share of those left. */
static sannip_result sannip__ekf_epoch(sannip__train_state *S, int epoch, sannip__errs *etr, double *ep_loss, sannip_error *err)
{
    int k = S->c.ekf_rows, ie = 0, jf = 0, nE = S->ntr, nF = S->ekf.nF, uE = (nE + k - 1) / k, uF = (nF + k - 1) / k;
    sannip_result r;
    memset(etr, 0, sizeof *etr);
    *ep_loss = 0;
    S->ekf.u = 0; S->ekf.U = uE + uF;
    sannip__shuffle(S->tr, S->ntr, &S->rng);
    sannip_model_get_params(S->m, S->params);
    while (uE + uF > 0) {
        int energy = sannip_rng_next(&S->rng) % (uint64_t)(uE + uF) < (uint64_t)uE, kk;
        if (sannip__train_stopped(S)) return SANNIP_SUCCESS;
        if (energy) { kk = nE - ie < k ? nE - ie : k; r = sannip__ekf_measure(S, ie, kk, epoch, etr, ep_loss, err); ie += kk; uE--; }
        else { kk = nF - jf < k ? nF - jf : k; r = sannip__ekf_measure(S, -1, kk, epoch, etr, ep_loss, err); jf += kk; uF--; }
        if (r != SANNIP_SUCCESS) return r;
    }
    return SANNIP_SUCCESS;
}
/* The loss that early stopping watches: w_E RMSE_E^2 (+ w_F RMSE_F^2 when training on forces,
   + w_H RMSE_H^2, + w_W RMSE_W^2 with those terms), with the run's effective weights. */
static double sannip__stop_metric(const sannip__train_state *S, double rmse_e, double rmse_f, double rmse_h, double rmse_w)
{
    const sannip_train_config *c = &S->c;
    double m = c->energy_weight * rmse_e * rmse_e + (S->use_forces ? c->force_weight * rmse_f * rmse_f : 0);
    if (S->use_fields && rmse_h >= 0) m += c->field_weight * rmse_h * rmse_h;
    if (S->use_virial && rmse_w >= 0) m += c->stress_weight * rmse_w * rmse_w;
    return m;
}
/* The progress record of an epoch from its running training errors and the validation errors
   (eva is read only with a validation set). */
static void sannip__train_progress(const sannip__train_state *S, int epoch, const sannip__errs *etr, const sannip__errs *eva,
                                   double ep_loss, sannip_train_progress *pr)
{
    memset(pr, 0, sizeof *pr);
    pr->epoch = epoch; pr->epochs = S->c.epochs;
    pr->loss = ep_loss / (S->ntr > 0 ? S->ntr : 1);
    pr->train_rmse_e = sqrt(etr->se / (etr->ne > 0 ? etr->ne : 1));
    pr->train_rmse_f = etr->nf > 0 ? sqrt(etr->sf / etr->nf) : -1;
    pr->val_rmse_e = S->nva ? sqrt(eva->se / eva->ne) : -1;
    pr->val_rmse_f = S->nva && eva->nf > 0 ? sqrt(eva->sf / eva->nf) : -1;
    pr->loss_weight_e = S->rep.loss_weight_e; pr->loss_weight_f = S->rep.loss_weight_f;
    pr->train_rmse_h = sannip__rms_or(etr->sh, etr->nh); pr->val_rmse_h = S->nva ? sannip__rms_or(eva->sh, eva->nh) : -1;
    pr->train_rmse_w = sannip__rms_or(etr->sw, etr->nw); pr->val_rmse_w = S->nva ? sannip__rms_or(eva->sw, eva->nw) : -1;
    pr->loss_weight_h = S->rep.loss_weight_h; pr->loss_weight_w = S->rep.loss_weight_w;
    pr->spread_floored = S->rep.spread_floored; pr->spread_floor = S->c.keep_scaling ? 0 : S->c.spread_floor;
}
/* After an epoch: validation errors (the training errors ran along with the updates), the
   progress callback, and the best model so far, judged on the validation loss (the training
   loss without a validation set). *stop = 1 when the callback or the patience ends training. */
static sannip_result sannip__train_judge(sannip__train_state *S, int epoch, const sannip__errs *etr, double ep_loss, int *stop,
                                         sannip_error *err)
{
    sannip__errs eva;
    sannip_train_progress pr;
    sannip_result r;
    double metric;
    memset(&eva, 0, sizeof eva);
    if (S->nva && (r = sannip__evaluate(&S->T, S->va, S->nva, S->use_forces, &eva, err)) != SANNIP_SUCCESS) return r;
    sannip__train_progress(S, epoch, etr, &eva, ep_loss, &pr);
    if (!isfinite(pr.loss) || !isfinite(pr.train_rmse_e) || (S->use_forces && !isfinite(pr.train_rmse_f)))
        return sannip__fail(err, SANNIP_NONFINITE, 0, 0, "epoch %d: the loss is not finite; the last good model is kept", epoch);
    metric = S->nva ? sannip__stop_metric(S, pr.val_rmse_e, pr.val_rmse_f, pr.val_rmse_h, pr.val_rmse_w)
                    : sannip__stop_metric(S, pr.train_rmse_e, pr.train_rmse_f, pr.train_rmse_h, pr.train_rmse_w);
    if (metric < S->best_metric) { S->best_metric = metric; S->best_epoch = epoch; S->since = 0; sannip_model_get_params(S->m, S->best); }
    else S->since++;
    pr.best_epoch = S->best_epoch;
    pr.seconds_epoch = (sannip__now() - S->te) / epoch;
    pr.eta_seconds = pr.seconds_epoch * (S->c.epochs - epoch);
    S->rep.epochs_run = epoch;
    *stop = (S->c.progress && S->c.progress(&pr, S->c.user)) || (S->c.patience > 0 && S->since >= S->c.patience);
    return SANNIP_SUCCESS;
}
/* The epochs, until the last one, an error (a non-finite loss), the callback or the patience. */
static sannip_result sannip__train_epochs(sannip__train_state *S, sannip_error *err)
{
    sannip_result r = SANNIP_SUCCESS;
    int epoch, stop = 0;
    sannip_model_get_params(S->m, S->best);
    S->lr = S->c.learning_rate;
    S->te = sannip__now();
    for (epoch = 1; epoch <= S->c.epochs && !stop && !S->stopped && r == SANNIP_SUCCESS; epoch++) {
        sannip__errs etr;
        double ep_loss;
        r = S->c.optimizer == SANNIP_OPT_EKF ? sannip__ekf_epoch(S, epoch, &etr, &ep_loss, err) : sannip__train_epoch(S, epoch, &etr, &ep_loss, err);
        if (r == SANNIP_SUCCESS && !S->stopped)
            r = sannip__train_judge(S, epoch, &etr, ep_loss, &stop, err);
    }
    return r;
}
/* Errors of the restored model on both splits, for the report. */
static sannip_result sannip__train_final_errors(sannip__train_state *S, sannip_error *err)
{
    sannip_train_report *rep = &S->rep;
    sannip__errs etr, eva;
    sannip_result r;
    if ((r = sannip__evaluate(&S->T, S->tr, S->ntr, S->use_forces, &etr, err)) == SANNIP_SUCCESS) {
        rep->train_rmse_e = sqrt(etr.se / etr.ne); rep->train_mae_e = etr.ae / etr.ne;
        rep->train_rmse_f = etr.nf > 0 ? sqrt(etr.sf / etr.nf) : -1; rep->train_mae_f = etr.nf > 0 ? etr.af / etr.nf : -1;
        rep->train_rmse_h = sannip__rms_or(etr.sh, etr.nh); rep->train_rmse_w = sannip__rms_or(etr.sw, etr.nw);
    }
    rep->val_rmse_h = rep->val_rmse_w = -1;
    if (r == SANNIP_SUCCESS && S->nva && (r = sannip__evaluate(&S->T, S->va, S->nva, S->use_forces, &eva, err)) == SANNIP_SUCCESS) {
        rep->val_rmse_e = sqrt(eva.se / eva.ne); rep->val_mae_e = eva.ae / eva.ne;
        rep->val_rmse_f = eva.nf > 0 ? sqrt(eva.sf / eva.nf) : -1; rep->val_mae_f = eva.nf > 0 ? eva.af / eva.nf : -1;
        rep->val_rmse_h = sannip__rms_or(eva.sh, eva.nh); rep->val_rmse_w = sannip__rms_or(eva.sw, eva.nw);
    } else if (!S->nva) rep->val_rmse_e = rep->val_rmse_f = rep->val_mae_e = rep->val_mae_f = -1;
    return r;
}
/* After the epochs (r: how they ended): the best (or last good) model back into m, its
   errors when training succeeded, and the report, which the caller gets even after an error
   in the epochs (with the validation indices, owned by the caller). */
static sannip_result sannip__train_finish(sannip__train_state *S, sannip_result r, sannip_train_report *report, sannip_error *err)
{
    sannip_train_report *rep = &S->rep;
    if (S->best) sannip_model_set_params(S->m, S->best);   /* none when stopped before the buffers */
    if (r == SANNIP_SUCCESS && !(S->stopped && rep->epochs_run == 0)) r = sannip__train_final_errors(S, err);   /* (stopped untrained: nothing to report) */
    rep->best_epoch = S->best_epoch; rep->n_train = S->ntr; rep->n_val = S->nva;
    rep->seconds = sannip__now() - S->t0;
    rep->seconds_per_epoch = rep->epochs_run > 0 ? (sannip__now() - S->te) / rep->epochs_run : 0;
    if (report) {
        rep->alloc = S->m->alloc;
        rep->val_index = (int *)sannip__calloc(&rep->alloc, (size_t)S->nva + 1, sizeof(int));
        if (rep->val_index) memcpy(rep->val_index, S->va, sizeof(int) * (size_t)S->nva);
        else if (r == SANNIP_SUCCESS) r = sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "training report: %d validation indices", S->nva);
        *report = *rep;
    }
    return r;
}

/* sannip_train with, when shared != NULL, a feature cache already built for m's descriptors
   (a committee's members share one: same descriptors, so the same cache). The RNG draws the
   split, then the initialisation, then each epoch's order: keep that order (same seed, same
   model). */
static sannip_result sannip__train(sannip_model *m, const sannip_dataset *d, const sannip_train_config *cfg,
                                   const sannip_feature_cache *shared, sannip_train_report *report, sannip_error *err)
{
    sannip_train_config c = *cfg;      /* resolved by the caller (sannip__train_resolve) */
    sannip__train_state S;
    sannip_result r;
    if ((r = sannip__train_check(m, d, &c, err)) != SANNIP_SUCCESS) return r;
    sannip__train_begin(&S, m, d, &c, shared);
    if ((r = sannip__train_split(&S, err)) == SANNIP_SUCCESS) {
        sannip__loss_weights(d, S.tr, S.ntr, &c, &S.c.energy_weight, &S.c.force_weight, &S.c.field_weight, &S.c.stress_weight);   /* the loss the run minimises */
        S.rep.loss_weight_e = S.c.energy_weight; S.rep.loss_weight_f = S.use_forces ? S.c.force_weight : 0;
        {
            int dg = sannip__derivative_flags(m, d, c.force_weight, c.field_weight, c.stress_weight);
            S.rep.loss_weight_h = dg & SANNIP_CACHE_SPIN ? S.c.field_weight : 0;
            S.rep.loss_weight_w = dg & SANNIP_CACHE_DIST ? S.c.stress_weight : 0;
        }
        r = sannip__train_prepare(&S, shared == NULL, err);
    }
    if (r == SANNIP_SUCCESS && !S.stopped) r = sannip__train_alloc(&S, err);
    if (r == SANNIP_SUCCESS && !S.stopped && c.optimizer == SANNIP_OPT_EKF) r = sannip__ekf_alloc(&S, err);
    if (r == SANNIP_SUCCESS) r = sannip__train_finish(&S, S.stopped ? SANNIP_SUCCESS : sannip__train_epochs(&S, err), report, err);
    sannip__train_end(&S);
    return r;
}

SANNIP_API sannip_result sannip_train(sannip_model *m, const sannip_dataset *d, const sannip_train_config *cfg,
                                      sannip_train_report *report, sannip_error *err)
{
    sannip_train_config c = sannip__train_resolve(cfg);   /* once: resolving is not idempotent */
    return sannip__train(m, d, &c, NULL, report, err);
}

/* ---- PCA ------------------------------------------------------------------------------ */
SANNIP_API void sannip_symmetric_eigen(double *A, int n, double *w, double *V)
{
    int i, j, p, q, sweep;
    for (i = 0; i < n; i++) for (j = 0; j < n; j++) V[i * n + j] = i == j;
    for (sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (p = 0; p < n; p++) for (q = p + 1; q < n; q++) off += A[p * n + q] * A[p * n + q];
        if (off < 1e-30) break;
        for (p = 0; p < n; p++) for (q = p + 1; q < n; q++) {
            double apq = A[p * n + q], th, t, c, s;
            if (fabs(apq) < 1e-300) continue;
            th = (A[q * n + q] - A[p * n + p]) / (2 * apq);
            t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1));
            c = 1 / sqrt(t * t + 1); s = t * c;
            for (i = 0; i < n; i++) {     /* A <- J^T A J */
                double aip = A[i * n + p], aiq = A[i * n + q];
                A[i * n + p] = c * aip - s * aiq; A[i * n + q] = s * aip + c * aiq;
            }
            for (i = 0; i < n; i++) {
                double api = A[p * n + i], aqi = A[q * n + i];
                A[p * n + i] = c * api - s * aqi; A[q * n + i] = s * api + c * aqi;
            }
            for (i = 0; i < n; i++) {     /* eigenvectors as rows of V */
                double vp = V[p * n + i], vq = V[q * n + i];
                V[p * n + i] = c * vp - s * vq; V[q * n + i] = s * vp + c * vq;
            }
        }
    }
    for (i = 0; i < n; i++) w[i] = A[i * n + i];
    /* descending order (selection sort, stable), sign: largest component positive */
    for (i = 0; i < n; i++) {
        int b = i;
        for (j = i + 1; j < n; j++) if (w[j] > w[b]) b = j;
        if (b != i) { double t = w[i]; w[i] = w[b]; w[b] = t; for (j = 0; j < n; j++) { t = V[i * n + j]; V[i * n + j] = V[b * n + j]; V[b * n + j] = t; } }
    }
    for (i = 0; i < n; i++) {
        int b = 0;
        for (j = 1; j < n; j++) if (fabs(V[i * n + j]) > fabs(V[i * n + b]) + 1e-12) b = j;
        if (V[i * n + b] < 0) for (j = 0; j < n; j++) V[i * n + j] = -V[i * n + j];
    }
}

SANNIP_API sannip_result sannip_model_pca_init(sannip_model *m, const sannip_feature_cache *c, const sannip_dataset *d,
                                               const int *idx, int n, int k, sannip_error *err)
{
    int e, i, a, f, g, nf;
    if (!m || !c || !d || k < 0) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    for (e = 0; e < m->n_elements; e++) {
        sannip_element_model *el = &m->el[e];
        sannip_network *net = &el->net;
        double *C, *mu, *w, *V, cnt = 0;
        if (el->shared) continue;   /* a multi-task network is seeded from element 1's atoms */
        int kk;
        sannip_real *W, *b, *X;
        nf = el->n_features;
        if (net->nblk[0] > 0 || nf == 0) continue;        /* PCA seeds a dense first layer only */
        kk = k < net->sizes[1] ? k : net->sizes[1];
        if (kk > nf) kk = nf;
        C = (double *)sannip__calloc(&m->alloc, (size_t)nf * nf * 2 + 2 * (size_t)nf + 1, sizeof(double));
        X = (sannip_real *)sannip__calloc(&m->alloc, (size_t)nf, sizeof(sannip_real));
        if (!C || !X) { sannip_free(&m->alloc, C); sannip_free(&m->alloc, X); return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "PCA"); }
        mu = C + (size_t)nf * nf; w = mu + nf; V = w + nf;
        for (i = 0; i < n; i++) {
            const sannip_structure *s = &d->s[idx ? idx[i] : i];
            const sannip_cache_entry *ce = &c->e[idx ? idx[i] : i];
            for (a = 0; a < s->n; a++) if (s->Z[a] == el->Z) {
                sannip_element_scale(el, 1, ce->G + (size_t)a * (c->fmax + 1), 0, NULL, X);
                for (f = 0; f < nf; f++) mu[f] += X[f];
                cnt++;
            }
        }
        if (cnt < 2) { sannip_free(&m->alloc, C); sannip_free(&m->alloc, X); continue; }
        for (f = 0; f < nf; f++) mu[f] /= cnt;
        for (i = 0; i < n; i++) {
            const sannip_structure *s = &d->s[idx ? idx[i] : i];
            const sannip_cache_entry *ce = &c->e[idx ? idx[i] : i];
            for (a = 0; a < s->n; a++) if (s->Z[a] == el->Z) {
                sannip_element_scale(el, 1, ce->G + (size_t)a * (c->fmax + 1), 0, NULL, X);
                for (f = 0; f < nf; f++) {
                    double xf = X[f] - mu[f];
                    for (g = 0; g <= f; g++) C[(size_t)f * nf + g] += xf * (X[g] - mu[g]);
                }
            }
        }
        for (f = 0; f < nf; f++) for (g = 0; g <= f; g++) { C[(size_t)f * nf + g] /= cnt; C[(size_t)g * nf + f] = C[(size_t)f * nf + g]; }
        sannip_symmetric_eigen(C, nf, w, V);
        W = sannip_network_weights_rw(net, 0); b = W + (size_t)net->sizes[1] * nf;
        for (g = 0; g < kk; g++) {
            double bias = 0;
            for (f = 0; f < nf; f++) { W[(size_t)g * nf + f] = (sannip_real)V[(size_t)g * nf + f]; bias -= V[(size_t)g * nf + f] * mu[f]; }
            b[g] = (sannip_real)bias;
        }
        sannip_free(&m->alloc, C); sannip_free(&m->alloc, X);
    }
    return SANNIP_SUCCESS;
}

/* ---- 4. COMMITTEES ------------------------------------------------------------------- */
SANNIP_API void sannip_committee_init(sannip_committee *c, const sannip_allocator *alloc)
{
    memset(c, 0, sizeof *c);
    c->alloc = sannip__alloc_copy(alloc);
}
SANNIP_API void sannip_committee_uninit(sannip_committee *c)
{
    int k;
    for (k = 0; k < c->n; k++) sannip_model_uninit(&c->m[k]);
    sannip_free(&c->alloc, c->m);
    c->m = NULL; c->n = 0;
}
SANNIP_API sannip_result sannip_committee_create(sannip_committee *c, const sannip_model *tmpl, int n, sannip_error *err)
{
    int k;
    sannip_result r;
    if (!c || !tmpl || n < 1 || n > 100000) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "committee of %d members", n);
    sannip_committee_uninit(c);
    c->m = (sannip_model *)sannip__calloc(&c->alloc, (size_t)n, sizeof(sannip_model));
    if (!c->m) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "committee of %d", n);
    for (k = 0; k < n; k++) {
        if ((r = sannip_model_copy(&c->m[k], tmpl, err)) != SANNIP_SUCCESS) { c->n = k; sannip_committee_uninit(c); return r; }
        c->n = k + 1;
    }
    return SANNIP_SUCCESS;
}

SANNIP_API sannip_result sannip_committee_predict(const sannip_committee *c, sannip_workspace *ws, const sannip_system *sys,
        sannip_real *energy, sannip_real *energy_spread, sannip_real *atom_spread,
        sannip_real *forces, sannip_real *force_spread, sannip_error *err)
{
    int k, i, n = sys ? sys->n : 0;
    sannip_result r;
    double e1 = 0, e2 = 0;
    double *a1 = NULL, *a2 = NULL, *f1 = NULL, *f2 = NULL;
    sannip_real *ea = NULL, *F = NULL, E;
    sannip_extrapolation *xo = ws ? ws->extrapolation : NULL, xk, xw;
    if (!c || c->n < 1 || !ws || !sys) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "empty committee or NULL argument");
    if (xo) ws->extrapolation = &xk;   /* each member's test, the most extrapolating kept in xw */
    a1 = (double *)sannip__calloc(&c->alloc, 4 * (size_t)n + 1, sizeof(double));
    f1 = (double *)sannip__calloc(&c->alloc, 6 * (size_t)n + 1, sizeof(double));
    ea = (sannip_real *)sannip__calloc(&c->alloc, (size_t)n + 1, sizeof(sannip_real));
    F = (sannip_real *)sannip__calloc(&c->alloc, 3 * (size_t)n + 1, sizeof(sannip_real));
    if (!a1 || !f1 || !ea || !F) { r = sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "committee prediction"); goto done; }
    a2 = a1 + n; f2 = f1 + 3 * (size_t)n;
    for (k = 0; k < c->n; k++) {
        if ((r = sannip_model_compute(&c->m[k], ws, sys, &E, ea, (forces || force_spread) ? F : NULL, NULL, err)) != SANNIP_SUCCESS) goto done;
        if (xo && (k == 0 || xk.n_atoms > xw.n_atoms || (xk.n_atoms == xw.n_atoms && xk.excess > xw.excess))) xw = xk;
        e1 += E; e2 += (double)E * E;
        for (i = 0; i < n; i++) { a1[i] += ea[i]; a2[i] += (double)ea[i] * ea[i]; }
        if (forces || force_spread) for (i = 0; i < 3 * n; i++) { f1[i] += F[i]; f2[i] += (double)F[i] * F[i]; }
    }
    /* spread = population standard deviation over members */
#define SANNIP__SD(s1, s2) sqrt(fmax((s2) / c->n - ((s1) / c->n) * ((s1) / c->n), 0))
    if (energy) *energy = (sannip_real)(e1 / c->n);
    if (energy_spread) *energy_spread = (sannip_real)SANNIP__SD(e1, e2);
    if (atom_spread) for (i = 0; i < n; i++) atom_spread[i] = (sannip_real)SANNIP__SD(a1[i], a2[i]);
    if (forces) for (i = 0; i < 3 * n; i++) forces[i] = (sannip_real)(f1[i] / c->n);
    if (force_spread) for (i = 0; i < 3 * n; i++) force_spread[i] = (sannip_real)SANNIP__SD(f1[i], f2[i]);
#undef SANNIP__SD
    if (xo) *xo = xw;
    r = SANNIP_SUCCESS;
done:
    if (xo) ws->extrapolation = xo;
    sannip_free(&c->alloc, a1); sannip_free(&c->alloc, f1); sannip_free(&c->alloc, ea); sannip_free(&c->alloc, F);
    return r;
}

/* One feature cache for every member when they compute the same descriptors (the usual
   case: copies of one model), instead of one per member in memory at once. *share = 1 when
   cache was built. */
static sannip_result sannip__committee_cache(const sannip_committee *c, const sannip_dataset *d, const sannip_train_config *base,
                                             sannip_feature_cache *cache, int *share, sannip_error *err)
{
    sannip_result r;
    int k;
    *share = 1;
    for (k = 1; k < c->n; k++) *share = *share && sannip__same_features(&c->m[0], &c->m[k]);
    if (!(*share && c->n > 1 && c->m[0].n_elements > 0 && base->batch_size >= 1)) { *share = 0; return SANNIP_SUCCESS; }
    if ((r = sannip_dataset_check(d, base->force_weight > 0, err)) != SANNIP_SUCCESS) return r;
    return sannip__cache_build(cache, &c->m[0], d, sannip__store_derivatives(&c->m[0], d, base), base->stop, err);
}
/* T4.5: errors of the committee's mean prediction against every reference of d. */
static sannip_result sannip__committee_aggregate(const sannip_committee *c, const sannip_dataset *d, sannip_workspace *ws,
                                                 sannip_real *F, sannip__errs *x, sannip_error *err)
{
    sannip_result r;
    int i, a;
    for (i = 0; i < d->n; i++) {
        const sannip_structure *s = &d->s[i];
        sannip_system sys = sannip_structure_view(s);
        sannip_real E = 0;
        if ((r = sannip_committee_predict(c, ws, &sys, &E, NULL, NULL, s->forces ? F : NULL, NULL, err)) != SANNIP_SUCCESS) return r;
        x->se += ((E - s->energy) / s->n) * ((E - s->energy) / s->n); x->ae += fabs((E - s->energy) / s->n); x->ne++;
        if (s->forces) for (a = 0; a < 3 * s->n; a++) { double df = F[a] - s->forces[a]; x->sf += df * df; x->af += fabs(df); x->nf++; }
    }
    return SANNIP_SUCCESS;
}
/* T4.6: errors of every member on its own validation structures, concatenated; *spe sums the
   members' seconds per epoch. */
static sannip_result sannip__committee_validation(const sannip_committee *c, const sannip_dataset *d, const sannip_train_report *reps,
                                                  sannip_workspace *ws, sannip_real *Fk, sannip__errs *x, double *spe, sannip_error *err)
{
    sannip_result r;
    int k, i, a;
    for (k = 0; k < c->n; k++) {
        for (i = 0; i < reps[k].n_val; i++) {
            const sannip_structure *s = &d->s[reps[k].val_index[i]];
            sannip_system sys = sannip_structure_view(s);
            sannip_real E;
            if ((r = sannip_model_compute(&c->m[k], ws, &sys, &E, NULL, s->forces ? Fk : NULL, NULL, err)) != SANNIP_SUCCESS) return r;
            x->se += ((E - s->energy) / s->n) * ((E - s->energy) / s->n); x->ae += fabs((E - s->energy) / s->n); x->ne++;
            if (s->forces) for (a = 0; a < 3 * s->n; a++) { double df = Fk[a] - s->forces[a]; x->sf += df * df; x->af += fabs(df); x->nf++; }
        }
        *spe += reps[k].seconds_per_epoch;
    }
    return SANNIP_SUCCESS;
}
/* The committee report after training: aggregate and validation errors, speed, memory and
   the figures of merit (T4.7). cache: the shared cache (NULL: the members had their own). */
static sannip_result sannip__committee_report(const sannip_committee *c, const sannip_dataset *d, const sannip_train_report *reps,
                                              const sannip_feature_cache *cache, double t0, sannip_committee_report *rep, sannip_error *err)
{
    sannip_workspace ws;
    sannip__errs g, v;
    sannip_result r;
    sannip_real *F, *Fk;
    double spe = 0;
    int i, k, nmax = 0;
    memset(rep, 0, sizeof *rep);
    memset(&g, 0, sizeof g); memset(&v, 0, sizeof v);
    for (i = 0; i < d->n; i++) if (d->s[i].n > nmax) nmax = d->s[i].n;
    F = (sannip_real *)sannip__calloc(&c->alloc, 3 * (size_t)nmax + 1, sizeof(sannip_real));
    Fk = (sannip_real *)sannip__calloc(&c->alloc, 3 * (size_t)nmax + 1, sizeof(sannip_real));
    if (!F || !Fk) { sannip_free(&c->alloc, F); sannip_free(&c->alloc, Fk); return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "committee report"); }
    sannip_workspace_init(&ws, &c->alloc);
    r = sannip__committee_aggregate(c, d, &ws, F, &g, err);
    if (r == SANNIP_SUCCESS) r = sannip__committee_validation(c, d, reps, &ws, Fk, &v, &spe, err);
    sannip_workspace_uninit(&ws);
    sannip_free(&c->alloc, F); sannip_free(&c->alloc, Fk);
    if (r) return r;
    rep->agg_rmse_e = sqrt(g.se / g.ne); rep->agg_mae_e = g.ae / g.ne;
    rep->agg_rmse_f = g.nf > 0 ? sqrt(g.sf / g.nf) : -1; rep->agg_mae_f = g.nf > 0 ? g.af / g.nf : -1;
    rep->val_rmse_e = v.ne > 0 ? sqrt(v.se / v.ne) : -1; rep->val_mae_e = v.ne > 0 ? v.ae / v.ne : -1;
    rep->val_rmse_f = v.nf > 0 ? sqrt(v.sf / v.nf) : -1; rep->val_mae_f = v.nf > 0 ? v.af / v.nf : -1;
    rep->seconds_per_epoch = spe / c->n;
    rep->cache_bytes = cache ? cache->bytes : 0;
    if (!cache) for (k = 0; k < c->n; k++) rep->cache_bytes += reps[k].cache_bytes;
    rep->derivatives_cached = reps[0].derivatives_cached;
    rep->fom_e = rep->val_rmse_e > 0 && rep->seconds_per_epoch > 0 ? 1 / (rep->seconds_per_epoch * rep->val_rmse_e) : 0;
    rep->fom_f = rep->val_rmse_f > 0 && rep->seconds_per_epoch > 0 ? 1 / (rep->seconds_per_epoch * rep->val_rmse_f) : 0;
    rep->seconds = sannip__now() - t0;
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_committee_train(sannip_committee *c, const sannip_dataset *d, const sannip_train_config *cfg,
        sannip_committee_report *rep, sannip_error *err)
{
    sannip_train_config base = sannip__train_resolve(cfg);
    sannip_train_report *reps = NULL;
    sannip_result r = SANNIP_SUCCESS, *codes = NULL;
    sannip_error *errs = NULL;
    sannip_feature_cache cache;
    int k, share, min_epochs;
    double t0 = sannip__now();
    if (rep) memset(rep, 0, sizeof *rep);   /* epochs_run 0 until members have trained */
    if (!c || c->n < 1 || !d) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "empty committee or NULL argument");
    sannip_feature_cache_init(&cache, &c->alloc);
    if ((r = sannip__committee_cache(c, d, &base, &cache, &share, err)) != SANNIP_SUCCESS) return r;
    reps = (sannip_train_report *)sannip__calloc(&c->alloc, (size_t)c->n, sizeof *reps);
    codes = (sannip_result *)sannip__calloc(&c->alloc, (size_t)c->n, sizeof *codes);
    errs = (sannip_error *)sannip__calloc(&c->alloc, (size_t)c->n, sizeof *errs);
    if (!reps || !codes || !errs) { r = sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "committee"); goto done; }
    /* members in parallel (each trains serially inside: nested regions are inactive) */
#ifdef SANNIP__OMP
#pragma omp parallel for schedule(dynamic, 1) if (c->n > 1)
#endif
    for (k = 0; k < c->n; k++) {
        sannip_train_config mc = base;
        mc.seed = base.seed + (uint64_t)k;
        mc.progress = k == 0 ? base.progress : NULL;     /* one member reports progress */
        codes[k] = sannip__train(&c->m[k], d, &mc, share ? &cache : NULL, &reps[k], &errs[k]);
    }
    /* (a member that failed before training left its report zeroed: 0 epochs) */
    for (min_epochs = reps[0].epochs_run, k = 1; k < c->n; k++) if (reps[k].epochs_run < min_epochs) min_epochs = reps[k].epochs_run;
    for (k = 0; k < c->n; k++) if (codes[k] != SANNIP_SUCCESS) {   /* the first failure, named */
        char pre[48];
        if (err) { *err = errs[k]; snprintf(pre, sizeof pre, "member %d: ", k + 1); sannip__err_prefix(err, pre); }
        if (rep) rep->epochs_run = min_epochs;
        r = codes[k]; goto done;
    }
    if (rep && min_epochs == 0 && base.stop && *base.stop) { rep->epochs_run = 0; goto done; }   /* stopped untrained */
    if (rep) { r = sannip__committee_report(c, d, reps, share ? &cache : NULL, t0, rep, err); rep->epochs_run = min_epochs; }
done:
    if (reps) for (k = 0; k < c->n; k++) sannip_train_report_uninit(&reps[k]);
    sannip_free(&c->alloc, reps); sannip_free(&c->alloc, codes); sannip_free(&c->alloc, errs);
    sannip_feature_cache_uninit(&cache);
    return r;
}

SANNIP_API sannip_result sannip_committee_rank(const sannip_committee *c, const sannip_dataset *d, int *order,
        sannip_real *spread, sannip_error *err)
{
    sannip_workspace ws;
    sannip_real *sp;
    int i, j;
    sannip_result r = SANNIP_SUCCESS;
    if (!c || !d || !order) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    sp = (sannip_real *)sannip__calloc(&c->alloc, (size_t)d->n + 1, sizeof(sannip_real));
    if (!sp) return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "ranking");
    sannip_workspace_init(&ws, &c->alloc);
    for (i = 0; i < d->n && r == SANNIP_SUCCESS; i++) {
        sannip_system sys = sannip_structure_view(&d->s[i]);
        sannip_real E = 0, s = 0;
        r = sannip_committee_predict(c, &ws, &sys, &E, &s, NULL, NULL, NULL, err);
        sp[i] = s / d->s[i].n;
        order[i] = i;
    }
    sannip_workspace_uninit(&ws);
    /* stable insertion sort by decreasing spread (ties keep data order) */
    for (i = 1; i < d->n && r == SANNIP_SUCCESS; i++) {
        int o = order[i];
        for (j = i; j > 0 && sp[order[j - 1]] < sp[o]; j--) order[j] = order[j - 1];
        order[j] = o;
    }
    if (spread && r == SANNIP_SUCCESS) for (i = 0; i < d->n; i++) spread[i] = sp[order[i]];
    sannip_free(&c->alloc, sp);
    return r;
}

SANNIP_API sannip_result sannip_committee_save_mem(const sannip_committee *c, char **out, size_t *len, sannip_error *err)
{
    sannip_text t;
    int k;
    if (!c || !out || c->n < 1) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "empty committee");
    sannip_text_init(&t, &c->alloc);
    sannip_text_printf(&t, "sannip-committee 1 %d\n", c->n);
    for (k = 0; k < c->n; k++) {
        char *m; size_t ml;
        sannip_result r = sannip_model_save_mem(&c->m[k], &m, &ml, err);
        if (r) { sannip_text_uninit(&t); return r; }
        sannip_text_printf(&t, "%s", m);
        sannip_free(&c->m[k].alloc, m);
    }
    if (t.failed) { sannip_text_uninit(&t); return sannip__fail(err, SANNIP_OUT_OF_MEMORY, 0, 0, "committee text"); }
    *out = t.s; if (len) *len = t.len;
    return SANNIP_SUCCESS;
}
/* Every model text holds these keywords, each followed by a separator except perhaps the
   last (sannip_model_load_mem requires them all): a lower bound on the bytes of one member. */
static const size_t sannip__model_min_text = sizeof("sannip-model bases elements element features scaling scale_range "
                                                    "energy_map feature_indices network sizes activations params end_element end") - 1;

/* The optional header 'sannip-committee 1 M' at text + *pos: *n receives M (1 without a
   header) and *pos the start of the first member. M is refused when the rest of the text
   cannot hold M model texts. */
static sannip_result sannip__committee_header(const char *text, size_t len, size_t *pos, int *n, sannip_error *err)
{
    char head[64];
    size_t e, left;
    int version = 0;
    *n = 1;
    while (*pos < len && (text[*pos] == ' ' || text[*pos] == '\n' || text[*pos] == '\r' || text[*pos] == '\t')) (*pos)++;
    if (!(len - *pos >= 16 && strncmp(text + *pos, "sannip-committee", 16) == 0)) return SANNIP_SUCCESS;
    e = *pos;
    while (e < len && text[e] != '\n') e++;
    if (e - *pos >= sizeof head) return sannip__fail(err, SANNIP_PARSE_ERROR, 1, 0, "bad committee header");
    memcpy(head, text + *pos, e - *pos); head[e - *pos] = 0;
    if (sscanf(head, "sannip-committee %d %d", &version, n) != 2) return sannip__fail(err, SANNIP_PARSE_ERROR, 1, 0, "expected 'sannip-committee 1 M'");
    if (version != 1) return sannip__fail(err, SANNIP_BAD_VERSION, 1, 2, "committee format version %d; this build reads 1", version);
    if (*n < 1) return sannip__fail(err, SANNIP_PARSE_ERROR, 1, 3, "committee of %d members", *n);
    *pos = e < len ? e + 1 : e;
    left = len - *pos;
    if ((size_t)*n > left / sannip__model_min_text)
        return sannip__fail(err, SANNIP_TRUNCATED, 1, 3, "committee of %d members, but the %zu bytes after the header hold at most %zu (a model text has at least %zu)",
                            *n, left, left / sannip__model_min_text, sannip__model_min_text);
    return SANNIP_SUCCESS;
}
/* End of the member text starting at pos: the next line that starts with "sannip-model", or
   the end of the text. */
static size_t sannip__committee_member_end(const char *text, size_t len, size_t pos)
{
    size_t e = pos;
    for (;;) {
        while (e < len && text[e] != '\n') e++;
        if (e >= len) return e;
        e++;
        if (len - e >= 12 && strncmp(text + e, "sannip-model", 12) == 0) return e;
    }
}
/* Room for member k (of n) in c->m: the array grows (doubling, at most to n) only as members
   are read, so a header's count alone allocates nothing. Moves members with memcpy (a model
   holds no pointers into itself) and needs no realloc_fn. */
static sannip_result sannip__committee_room(sannip_committee *c, int k, int n, int *cap)
{
    size_t ncap, bytes;
    sannip_model *p;
    if (k < *cap) return SANNIP_SUCCESS;
    ncap = *cap ? 2 * (size_t)*cap : 1;
    if (ncap > (size_t)n) ncap = (size_t)n;
    if (!sannip__mul(ncap, sizeof(sannip_model), &bytes)) return SANNIP_TOO_BIG;
    p = (sannip_model *)sannip__malloc(&c->alloc, bytes);
    if (!p) return SANNIP_OUT_OF_MEMORY;
    if (k > 0) memcpy(p, c->m, (size_t)k * sizeof(sannip_model));
    sannip_free(&c->alloc, c->m);
    c->m = p;
    *cap = (int)ncap;
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_committee_load_mem(sannip_committee *c, const char *text, size_t len, sannip_error *err)
{
    int n = 1, k, cap = 0;
    size_t pos = 0, e;
    sannip_result r;
    char pre[48];
    if (!c || !text) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    sannip_committee_uninit(c);
    if ((r = sannip__committee_header(text, len, &pos, &n, err)) != SANNIP_SUCCESS) return r;
    for (k = 0; k < n; k++, pos = e) {
        e = sannip__committee_member_end(text, len, pos);
        if (pos >= len) r = sannip__fail(err, SANNIP_TRUNCATED, 0, 0, "committee ends after %d of %d members", k, n);
        else if ((r = sannip__committee_room(c, k, n, &cap)) != SANNIP_SUCCESS) sannip__fail(err, r, 0, 0, "committee member %d of %d", k + 1, n);
        else {
            sannip_model_init(&c->m[k], &c->alloc);
            c->n = k + 1;
            if ((r = sannip_model_load_mem(&c->m[k], text + pos, e - pos, err)) != SANNIP_SUCCESS) {
                snprintf(pre, sizeof pre, "member %d: ", k + 1);
                sannip__err_prefix(err, pre);
            }
        }
        if (r != SANNIP_SUCCESS) { sannip_committee_uninit(c); return r; }
    }
    return SANNIP_SUCCESS;
}
SANNIP_API sannip_result sannip_committee_load_callbacks(sannip_committee *c, const sannip_io_callbacks *io, void *user, sannip_error *err)
{
    char *text = NULL;
    size_t len = 0;
    sannip_result r;
    if (!c) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    if ((r = sannip_read_callbacks(io, user, &c->alloc, 0, &text, &len, err)) != SANNIP_SUCCESS) return r;
    r = sannip_committee_load_mem(c, text, len, err);
    sannip_free(&c->alloc, text);
    return r;
}
SANNIP_API sannip_result sannip_committee_save_callbacks(const sannip_committee *c, sannip_write_fn writer, void *user, sannip_error *err)
{
    char *text = NULL;
    size_t len = 0;
    sannip_result r;
    if (!c || !writer) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument (committee or write callback)");
    if ((r = sannip_committee_save_mem(c, &text, &len, err)) != SANNIP_SUCCESS) return r;
    r = sannip_write_callbacks(text, len, writer, user, err);
    sannip_free(&c->alloc, text);
    return r;
}
#ifndef SANNIP_NO_STDIO
SANNIP_API sannip_result sannip_committee_save_file(const sannip_committee *c, const char *path, sannip_error *err)
{
    char *text;
    size_t len;
    sannip_result r = sannip_committee_save_mem(c, &text, &len, err);
    if (r) return r;
    r = sannip_write_file_atomic(path, text, len, err);
    sannip_free(&c->alloc, text);
    return r;
}
static sannip_result sannip__parse_committee(void *c, const char *t, size_t n, sannip_error *err) { return sannip_committee_load_mem((sannip_committee *)c, t, n, err); }
SANNIP_API sannip_result sannip_committee_load_file(sannip_committee *c, const char *path, sannip_error *err)
{
    if (!c) return sannip__fail(err, SANNIP_INVALID_ARGS, 0, 0, "NULL argument");
    return sannip__load_text_file(path, &c->alloc, sannip__parse_committee, c, err);
}
#endif

#undef SANNIP__TB
#ifdef __cplusplus
}
#endif
#endif /* SANNIP_TRAIN_IMPLEMENTATION */
