/* sannip - command-line tool: import n2p2 potentials, predict, inspect models and features.
   Build: make (bin/sannip). Every command documents its flags: sannip help CMD. */
#define _POSIX_C_SOURCE 200809L   /* fchmod, O_NOFOLLOW for sannip_write_file_atomic under -std=c99 */
#define SANNIP_IMPLEMENTATION
#include "../sannip_train.h"
#include "../sannip_spin.h"
#include "../examples/toyiron.h"   /* the toy-iron Hamiltonian for sannip sld toyiron */
#include "../examples/plotting.h"   /* PNG figures through examples/plot_*.py; the learning-curve CSV */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <signal.h>
#include <errno.h>
#include <sys/stat.h>

typedef struct help_entry { const char *name, *usage, *text; } help_entry;
/* the options of the extrapolation warnings (predict, evaluate) */
#define HELP_EXTRAPOLATION \
      "  --extrapolation-tol X        warn when an atom's feature (or |S|) lies outside its\n" \
      "                               training range by more than X of the range's width\n" \
      "                               (default 0.1; 0: n2p2's rule, any value outside)\n" \
      "  --no-extrapolation-warnings  no test, no warning\n"
/* the sequel of 'help train' (one literal would pass C99's 4095 characters) */
static const char HELP_TRAIN_EKF[] =
      "--optimizer ekf: a global extended Kalman filter over all parameters (as n2p2's; models\n"
      "of at most 8192 parameters), one update per training structure's energy per atom and per\n"
      "randomly drawn force component; --lr, --lr-decay and --batch do not apply.\n"
      "  --ekf-force-fraction X  force updates per epoch / training force components (0.02)\n"
      "  --ekf-rows K        measurements per update (default 1, at most 16): K energies, or\n"
      "                      K force components of one structure\n"
      "  --ekf-lambda X      forgetting factor at the start (default 1: none; the fading-memory\n"
      "                      filter's 0.96 with --ekf-nu 0.9987)\n"
      "  --ekf-nu X          its approach to 1 per update, lambda = nu lambda + 1 - nu (default 1)\n"
      "  --ekf-epsilon X     initial covariance I / X (default 0.01)\n";
static const help_entry HELP[] = {
    { "import-n2p2", "sannip import-n2p2 DIR -o MODEL [--units L,E] [--to L,E]",
      "Converts an n2p2 potential (DIR/input.nn, DIR/scaling.data, DIR/weights.NNN.data)\n"
      "into a sannip model file. Symmetry function types 2, 3, 9, 12, 13, every cutoff type\n"
      "with its inner cutoff, every scaling mode, unit normalisation and atom_energy offsets\n"
      "are carried over so the model predicts what n2p2 predicts, in the same units.\n"
      "n2p2 files do not state their units: the model's units are \"unknown\" unless given.\n"
      "  -o MODEL     output model file (written to a new temporary file next to it, then renamed)\n"
      "  --units L,E  the units of the potential's training data, e.g. bohr,Ha (lengths:\n"
      "               Angstrom|A, bohr, nm; energies: eV, meV, Ha|Hartree, Ry, kcal/mol, kJ/mol)\n"
      "  --to L,E     convert the model to these units (e.g. A,eV): radii, centres and widths\n"
      "               of the descriptors and the energy map are rescaled, the physics is kept\n" },
    { "export-n2p2", "sannip export-n2p2 MODEL DIR",
      "Writes MODEL as an n2p2 potential: DIR/input.nn, DIR/scaling.data and\n"
      "DIR/weights.NNN.data (DIR is created when missing), for n2p2's tools and its LAMMPS\n"
      "interface; 'import-n2p2 DIR' gives the same model back. n2p2 holds per-element dense\n"
      "networks of one shape with its activations, G2/G4/G5 bases over named or Z-weighted\n"
      "neighbours (types 2, 3, 9, 12, 13) with one cutoff type, one scaling and one energy\n"
      "scale; any other model is refused with the basis, layer or setting n2p2 lacks (train\n"
      "with '--descriptors FILE' naming neighbour elements, e.g. an n2p2 input.nn).\n" },
    { "train", "sannip train DATA -o MODEL [options]",
      "Trains a model (or a committee) on DATA (extended XYZ or n2p2 input.data with\n"
      "energies and, unless --force-weight 0, forces). Prints one progress line per epoch.\n"
      "  -o MODEL            output model (a committee file when --committee > 1)\n"
      "  --descriptors D     bp (T A.1 grid for every element, neighbours of any element;\n"
      "                      default), bp+spin (bp, the thesis's 8 S1G + 12 S2G, T A.2, mu_B,\n"
      "                      and 16 S2 on cutoffs rc*5/12..rc), bp+spin-scaled (bp, 8 S1G +\n"
      "                      12 S2G scaled to the data's mean |S|, F4-F6), bp-fe, or a file\n"
      "  --rc R              cutoff of the bp preset (default 6)\n"
      "  --hidden 25,25      hidden layer widths (default 25,25)\n"
      "  --architecture A    bp (per-element MLPs, default), cnn (class convolution, T3.2.3:\n"
      "                      one i_c -> i_c layer per descriptor class), cnn-raw (cnn with the\n"
      "                      raw inputs also fed to the first hidden layer), multitask (one\n"
      "                      MLP with an output per element, T3.2.1; needs bases for any element)\n"
      "  --pca K             start the first K neurons as the top-K principal components of\n"
      "                      the scaled training features (T3.2.2; dense first layers)\n"
      "  --activation A      tanh (default), sigmoid, softplus, relu, swish, ssp, ...\n"
      "  --scaling S         feature scaling: modified (default, T3.21), minmax, standard, none\n"
      "  --spread-floor K    scaler spreads >= K x RMS |dG/dR| (0.1; ekf, 0: none)\n"
      "  --optimizer O       adam (default), sgd, or ekf (options below)\n"
      "  --lr X              learning rate (default 1e-3)\n"
      "  --lr-decay X        learning rate factor per epoch (default 1)\n"
      "  --epochs N          default 300 (at least 1)\n"
      "  --batch N           structures per update (default 2)\n"
      "  --energy-weight X   w_E (default 1)\n"
      "  --force-weight X    w_F (default 1; 0 = energies only)\n"
      "                      With forces, w_E is multiplied by <F^2>/var(E/N) of the training\n"
      "                      split, so the defaults balance energies and forces; the line\n"
      "                      'loss weights' prints the effective weights\n"
      "  --field-weight X    w_H: field -dE/dS vs magnetic_forces/heff (default 1; 0 = none)\n"
      "  --stress-weight X   w_W: virial per atom vs virial=/stress= (default 1; 0 = none)\n"
      "  --raw-loss          the weights multiply the raw squared errors (no balancing)\n"
      "  --l2 X              weight decay (default 0)\n"
      "  --val F             validation fraction (default 0.2)\n"
      "  --val-file FILE     validate on FILE's structures instead (e.g. n2p2's test.data)\n"
      "  --patience N        stop after N epochs without validation improvement (0 = never)\n"
      "  --seed N            initialisation, split and batch order (default 1)\n"
      "  --committee M       train M members with seeds seed..seed+M-1 (default 1)\n"
      "  --no-cache          recompute descriptor derivatives instead of storing them\n"
      "  --cache-limit MB    store them only when they take at most MB megabytes (estimated\n"
      "                      first), else recompute them (default 0: no limit)\n"
      "  --parity FILE.csv   reference vs predicted energies and forces of every structure\n"
      "  --learning-curve F  CSV, a row per epoch: epoch, seconds, loss, training and validation\n"
      "                      energy (per atom) and force RMSE (default: MODEL minus its\n"
      "                      extension + .learning-curve.csv; 'none': no file); plot it:\n"
      "                      examples/plot_accuracy.py curves F -o F.png\n"
      "  --quiet             no progress lines\n"
      "The best model (lowest validation error) is written at the end, also when training\n"
      "stops early, a non-finite loss stops it or Ctrl-C interrupts it; while a single\n"
      "model trains, each new best is also written (the first at once, then at most every\n"
      "10 s; a failed write is reported and training goes on). MODEL is written only once an epoch has completed: a run that fails or is\n"
      "interrupted before that (bad data, a bad option) leaves an existing MODEL unchanged.\n"
      "All structures are checked (energies, forces, spins for spin bases, geometry) before\n"
      "the descriptors are computed; errors name the structure and file.\n" },
    { "evaluate", "sannip evaluate MODEL DATA [--parity FILE.csv] [--per-structure FILE.csv] [--plot FILE.png] [--extrapolation-tol X]",
      "Energy and force RMSE/MAE of MODEL (or a committee: its mean prediction) on DATA,\n"
      "(and of the field -dE/dS and the virial where DATA has magnetic_forces/heff, virial),\n"
      "overall and per element.\n"
      "  --parity FILE.csv         rows: kind,structure,atom,element,component,reference,predicted\n"
      "  --plot FILE.png           parity plot (predicted vs reference energies per atom and force\n"
      "                            components, per element) through examples/plot_accuracy.py;\n"
      "                            its data go to --parity, or FILE.csv next to it. Needs a Python\n"
      "                            with matplotlib: $PYTHON, else python3 or /usr/bin/python3\n"
      "  --per-structure FILE.csv  rows: structure,atoms,energy error per atom,force RMSE,spread\n"
      HELP_EXTRAPOLATION
      "A warning line (stderr) for each of the first 10 structures with atoms outside the\n"
      "training range names the worst value; the report counts them (a committee: its most\n"
      "extrapolating member, each with its own ranges).\n" },
    { "predict", "sannip predict MODEL STRUCTURES -o OUT [--format n2p2|xyz] [--atom-energies] [--extrapolation-tol X]",
      "Predicts energy, forces and virial of every structure in STRUCTURES (n2p2 input.data\n"
      "or extended XYZ, detected from the content) and writes them to OUT. With a committee\n"
      "file the committee mean is written, and its spread as energy_spread= and a\n"
      "forces_spread column (extended XYZ).\n"
      "  -o OUT           output file; format from --format, else from the extension\n"
      "                   (.xyz/.extxyz -> extended XYZ with energy=, forces, virial=; else n2p2)\n"
      "  --format F       n2p2 or xyz\n"
      "  --atom-energies  add per-atom energies (extended XYZ column 'energies')\n"
      "A spin-aware model (spin bases) reads the spins of each structure (magmoms etc.) and\n"
      "also writes the effective field -dE/dS per atom (extended XYZ column 'field').\n"
      "When the input carries reference energies/forces, RMSEs against them are printed.\n"
      HELP_EXTRAPOLATION
      "Extrapolation warnings as n2p2's: a line (stderr) for each of the first 10 structures\n"
      "with atoms outside the training range (atom, element, feature or |S|, value, range,\n"
      "excess in widths of the range), then a count on stdout (a committee: its most\n"
      "extrapolating member). The test reuses the features of the prediction: it costs no extra pass.\n" },
    { "info", "sannip info MODEL",
      "Prints the elements, descriptor counts per class (radial, angular, spin), network\n"
      "shapes and activations, parameter counts and trainable parameters per input (T3.25);\n"
      "of every member of a committee file.\n" },
    { "features", "sannip features MODEL|DESCRIPTORS STRUCTURES -o OUT.csv",
      "Writes the raw (unscaled) descriptors of every atom as CSV: columns structure, atom,\n"
      "element, then one column per basis whose header names its type, elements and\n"
      "parameters. With a model, the model's bases; with a descriptor definition file (see\n"
      "'sannip help descriptors'), that set. Bases that do not apply to an atom's element are 0.\n"
      "  -o OUT.csv   output file\n" },
    { "descriptors", "sannip descriptors MODEL|bp-fe -o FILE",
      "Writes a descriptor definition file: one basis per line,\n"
      "  g2 CENTER NBR cut=TYPE rc=R [alpha=A] eta=E rs=S\n"
      "  g4|g5 CENTER NBR1 NBR2 cut=TYPE rc=R eta=E rs=S lambda=L zeta=Z\n"
      "  gf_radial CENTER NBR eta=E rs=S fb=EPSDN,RS,EPSUP,XIDN,XIUP\n"
      "  gf_biradial|gf_angular1|gf_angular2 CENTER NBR1 NBR2 ... fb=... fb2=...\n"
      "  spin_s1 CENTER xi=X                 (S_i.S_i)^X                   T3.1, 3.11-3.12\n"
      "  spin_s2..s5 CENTER NBR cut=TYPE rc=R xi=K    sum_j bracket^K fc   T3.2-3.4, 3.13-3.16\n"
      "  spin_s1g CENTER eta=E shift=A xi=X  exp(-E (|S_i|^X - A)^2)       T3.17\n"
      "  spin_s2g..s5g CENTER NBR cut=TYPE rc=R eta=E shift=A              T3.18-3.20\n"
      "  spin_f1..f3 CENTER NBR cut=TYPE rc=R eta=E shift=A [eps=EPS]      T5.1-5.3 (eps: f1, f2)\n"
      "  spin_f4..f6 CENTER NBR cut=TYPE rc=R eps=EPS                      T5.4-5.6\n"
      "    brackets: s2 S_i.S_j, s3 (S_i x S_j).u_ij, s4 (S_i.u)(S_j.u), s5 (S_i x u).(S_j x u)\n"
      "Elements are symbols, '*' any, 'Zw' Z-weighted. n2p2 'symfunction_short' and\n"
      "'cutoff_type' lines are accepted when read. bp-fe is the thesis's BP set for Fe (T A.1).\n"
      "  -o FILE   output file\n" },
    { "mc", "sannip mc MODEL STRUCTURE -o OUT.csv --temperature T[,T...] [options]",
      "Spin Monte Carlo (Metropolis, T4.3) on the fixed lattice of STRUCTURE (the first frame of\n"
      "an extended XYZ or n2p2 file) with a spin-aware MODEL, the energy change of each move\n"
      "computed locally. One temperature and several --init starts: the hysteresis protocol\n"
      "(T4.3.2); several temperatures: a Curie scan from each start (T4.3.3), each walker\n"
      "carrying its state up the grid, with T_c from the susceptibility peak. OUT.csv: one row\n"
      "per start and temperature: init, T, kT, m, m_err, ratio, ratio_err, polar, polar_err,\n"
      "e, e_err, chi, chi_err, cv, cv_err, u4, u4_err, acceptance, step, samples, attempted,\n"
      "accepted (m = <|sum S|>/N, ratio = |sum S|/sum|S| T4.1, polar = polar-angle variance\n"
      "T4.2-4.4, e = <E>/N eV, chi per spin, cv per spin in k_B, u4 the Binder cumulant).\n"
      "  --temperature LIST   kelvin: 300 or 800,900,1000 or FROM:TO:STEP\n"
      "  --init LIST          starts from fm, pm, afm (two bcc sublattices), ordered (the\n"
      "                       structure's own magnetic order: each atom along +z or -z by the\n"
      "                       sign of its moment's z component, e.g. NiO's AFM-II planes) or\n"
      "                       file (the structure's spins as they are) (default fm)\n"
      "  --magnitude M[,SD]   |S| of generated starts on the magnetic elements; with SD, each\n"
      "                       move also draws |S| from N(M, SD) (default: per element, the\n"
      "                       mean |S| of that element's spins in the structure, kept).\n"
      "                       Elements without a moment (mean |S| < 1e-3, e.g. O in NiO)\n"
      "                       start at zero and never move\n"
      "  --series FILE.csv    every sample: init, walker, T index, phase (0 equilibration,\n"
      "                       1 production), sweep, T, E, e, m, ratio, polar, step\n"
      "  --field Bx,By,Bz     external field (Zeeman term -B.sum S), eV per spin unit\n"
      "  --field-sweep F:T:S  hysteresis loop at one temperature: B_z from F to T and back in\n"
      "                       steps S (eV per spin unit), one chain carried through the loop,\n"
      "                       --sweeps per field; OUT.csv then holds init, B, Mz (sum S_z / N\n"
      "                       at the end of the field step), m, m_err, e, e_err, acceptance\n"
      "  --sweeps N           production sweeps per temperature and walker (default 1000)\n"
      "  --equil N            equilibration sweeps (default 200; the step adapts only here)\n"
      "  --accepted N         count accepted moves instead of sweeps (T4.3.1): N per phase\n"
      "  --move first|zeroth  small rotation (default) or a fresh paramagnetic direction\n"
      "  --step X             first-order step (default 0.5)\n"
      "  --walkers W          independent walkers pooled per temperature (default 1; OpenMP)\n"
      "  --collinear          spins stay along z (Ising-like flips of collinear moments)\n"
      "  --no-carry           restart every temperature from the start configuration\n"
      "  --a A                lattice constant for the afm sublattices (default from the cell)\n"
      "  --seed N             seed of the chains (default 1)\n"
      "  --save FILE          write the full state of every start's chain (spins, RNG, step,\n"
      "                       the run's progress and its batch sums) to FILE at the end and\n"
      "                       every --save-every N sweeps (equilibration included); one\n"
      "                       temperature and one walker\n"
      "  --restart FILE       continue from FILE (a killed run goes on from its last save; a\n"
      "                       finished one with a larger --sweeps extends its production).\n"
      "                       The same options then give the output of the uninterrupted run\n"
      "                       bit for bit when FILE was saved at one of its save points\n"
      "  --extrapolation-tol X        as for predict: every production sample is tested\n"
      "                               against the training ranges (default 0.1)\n"
      "  --no-extrapolation-warnings  no test\n"
      "A warning is printed when the production acceptance is above 0.9 or below 0.1 (the\n"
      "step is then too small or too large to sample well), and, per start, how many samples\n"
      "left the model's training range (per temperature) with the worst value.\n"
      "Results are bit-identical for a seed, whatever the number of threads.\n" },
    { "sld", "sannip sld MODEL|toyiron STRUCTURE -o OUT.csv [options]",
      "Spin-lattice dynamics (sannip_spin.h section 7): atoms move by velocity Verlet, spins of\n"
      "fixed length precess about their effective field -dE/dS (dS/dt = S x H / hbar), in the\n"
      "symmetric splitting of Tranchida et al. (J. Comput. Phys. 372, 406, 2018), from the first\n"
      "frame of STRUCTURE (extended XYZ or n2p2). MODEL: a spin-aware model file, or 'toyiron'\n"
      "for the toy-iron Hamiltonian (examples/toyiron.h; spins in hbar, |S| ~ 1.1). Spins are\n"
      "taken as angular momenta in hbar. OUT.csv: step, t (fs), E_pot, E_kin, E_total (eV),\n"
      "T_lattice, T_spin (K), Mx, My, Mz (sum of spins), m (|sum S|/N), every --every steps.\n"
      "  --dt X                 time step, fs (default 1)\n"
      "  --steps N              number of steps (default 1000)\n"
      "  --every K              sample (CSV row, progress line) every K steps (default 10)\n"
      "  --temperature T        bath temperature of lattice and spins, K (default 0)\n"
      "  --spin-temperature T   a different spin bath temperature, K\n"
      "  --gamma G              lattice Langevin friction, 1/fs (default 0: NVE lattice)\n"
      "  --lambda L             spin damping (Gilbert, LL form; default 0: precession only)\n"
      "  --velocities T         initial Maxwell-Boltzmann velocities at T K (default:\n"
      "                         --temperature; 0: at rest)\n"
      "  --init data|fm|pm      initial spins: the structure's (default), all +z, random\n"
      "  --magnitude M          |S| of fm/pm starts (default: the structure's mean |S| or 1.1)\n"
      "  --field Bx,By,Bz       external (Zeeman) field, eV/hbar\n"
      "  --frozen               positions fixed (pure spin dynamics)\n"
      "  --traj FILE.xyz        extended XYZ trajectory readable by ASE: positions, velo\n"
      "                         (A/fs), momenta (ASE units), magmoms (the spins)\n"
      "  --traj-every K         frames every K steps (default: --every)\n"
      "  --seed N               noise and velocity seed (default 1)\n"
      "Results are bit-identical for a seed, whatever the number of threads.\n" },
    { "help", "sannip help [CMD]", "Lists the commands, or documents CMD's flags.\n" },
};
#define NHELP (int)(sizeof HELP / sizeof HELP[0])

static int usage_error(const char *cmd, const char *msg)
{
    int i;
    fprintf(stderr, "sannip %s: %s\n", cmd, msg);
    for (i = 0; i < NHELP; i++) if (strcmp(HELP[i].name, cmd) == 0) fprintf(stderr, "usage: %s\n", HELP[i].usage);
    return 2;
}
static int fail(const sannip_error *err, sannip_result r)
{
    fprintf(stderr, "sannip: %s: %s\n", sannip_result_string(r), err->message);
    return 1;
}

static void list_commands(FILE *f)
{
    int i;
    fprintf(f, "sannip %d.%d.%d - spin-aware neural-network interatomic potentials\n\ncommands:\n", SANNIP_VERSION_MAJOR, SANNIP_VERSION_MINOR, SANNIP_VERSION_PATCH);
    for (i = 0; i < NHELP; i++) fprintf(f, "  %s\n", HELP[i].usage);
    fprintf(f, "\n'sannip help CMD' documents CMD's flags.\n");
}
static int cmd_help(int argc, char **argv)
{
    int i;
    if (argc >= 3) {
        for (i = 0; i < NHELP; i++) if (strcmp(HELP[i].name, argv[2]) == 0) { printf("usage: %s\n\n%s%s", HELP[i].usage, HELP[i].text, strcmp(HELP[i].name, "train") == 0 ? HELP_TRAIN_EKF : ""); return 0; }
        fprintf(stderr, "sannip help: unknown command '%s'\n", argv[2]);
        return 2;
    }
    list_commands(stdout);
    return 0;
}

/* Options: positional arguments and -o/--format/--atom-energies. */
/* Options: positional arguments, -o, and --name [value] pairs checked against a list. */
typedef struct opts {
    const char *pos[4]; int npos; const char *out, *format; int atom_e;
    const char *key[32], *val[32]; int nkv;
} opts;
static const char *const VALUED[] = { "--descriptors", "--rc", "--hidden", "--activation", "--scaling", "--optimizer",
    "--lr", "--lr-decay", "--epochs", "--batch", "--energy-weight", "--force-weight", "--field-weight", "--stress-weight", "--l2", "--val", "--patience",
    "--seed", "--committee", "--parity", "--per-structure", "--plot", "--learning-curve", "--architecture", "--pca", "--cache-limit",
    "--temperature", "--units", "--to", "--init", "--sweeps", "--equil", "--accepted", "--move", "--step", "--magnitude", "--walkers", "--a",
    "--series", "--field-sweep", "--save", "--save-every", "--restart", "--dt", "--steps", "--every", "--gamma", "--lambda", "--spin-temperature", "--velocities", "--traj", "--traj-every", "--field",
    "--extrapolation-tol", "--spread-floor", "--ekf-force-fraction", "--ekf-lambda", "--ekf-nu", "--ekf-epsilon", "--ekf-rows", "--val-file", NULL };
static const char *const FLAGS[] = { "--no-cache", "--raw-loss", "--quiet", "--collinear", "--no-carry", "--frozen", "--no-extrapolation-warnings", NULL };
static int in_list(const char *const *l, const char *s) { for (; *l; l++) if (strcmp(*l, s) == 0) return 1; return 0; }
static int parse_opts(int argc, char **argv, opts *o, const char *cmd)
{
    int i;
    memset(o, 0, sizeof *o);
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) { if (++i >= argc) return usage_error(cmd, "-o needs a file"); o->out = argv[i]; }
        else if (strcmp(argv[i], "--format") == 0) { if (++i >= argc) return usage_error(cmd, "--format needs n2p2 or xyz"); o->format = argv[i]; }
        else if (strcmp(argv[i], "--atom-energies") == 0) o->atom_e = 1;
        else if (in_list(VALUED, argv[i]) || in_list(FLAGS, argv[i])) {
            if (o->nkv == 32) return usage_error(cmd, "too many options");
            o->key[o->nkv] = argv[i];
            if (in_list(VALUED, argv[i])) { if (++i >= argc) { char m[256]; snprintf(m, sizeof m, "%s needs a value", argv[i - 1]); return usage_error(cmd, m); } o->val[o->nkv] = argv[i]; }
            else o->val[o->nkv] = "1";
            o->nkv++;
        }
        else if (argv[i][0] == '-' && argv[i][1]) { char m[256]; snprintf(m, sizeof m, "unknown flag '%s'", argv[i]); return usage_error(cmd, m); }
        else { if (o->npos == 4) return usage_error(cmd, "too many arguments"); o->pos[o->npos++] = argv[i]; }
    }
    return 0;
}
static const char *opt(const opts *o, const char *key, const char *def)
{
    int i;
    for (i = o->nkv - 1; i >= 0; i--) if (strcmp(o->key[i], key) == 0) return o->val[i];
    return def;
}
/* A number option; returns 0 (and prints) when it does not parse or is out of range. */
static int opt_num(const opts *o, const char *cmd, const char *key, double def, double lo, double hi, double *out)
{
    const char *v = opt(o, key, NULL);
    char *end;
    if (!v) { *out = def; return 1; }
    *out = strtod(v, &end);
    if (end == v || *end || !(*out >= lo && *out <= hi)) {
        char m[256]; snprintf(m, sizeof m, "%s: '%s' must be a number in [%g, %g]", key, v, lo, hi);
        usage_error(cmd, m); return 0;
    }
    return 1;
}

/* Reads every structure of a file (n2p2 or extended XYZ, by content); nothing kept on failure. */
static sannip_result read_structures(const char *path, sannip_dataset *L, sannip_error *err)
{
    sannip_result r;
    sannip_dataset_init(L, NULL);
    if ((r = sannip_dataset_read_file(L, path, err)) != SANNIP_SUCCESS) sannip_dataset_uninit(L);
    return r;
}

static int load_descriptors(const char *path, sannip_descriptors *d, sannip_error *err);
static int load_model(const char *path, sannip_model *m, sannip_error *err)
{
    sannip_model_init(m, NULL);
    return sannip_model_load_file(m, path, err);
}

/* "L,E" -> the two unit names (in buf); 0 when the text is not of that form */
static int split_units(const char *v, char *buf, size_t size, const char **l, const char **e)
{
    char *c;
    if (!v || strlen(v) >= size || !(c = strchr(strcpy(buf, v), ',')) || c == buf || !c[1]) return 0;
    *c = 0; *l = buf; *e = c + 1;
    return 1;
}
/* The model's unit names for printing; a model that does not state its units says so. */
static const char *unit_l(const sannip_model *m) { const char *l; sannip_model_units(m, &l, NULL); return l; }
static const char *unit_e(const sannip_model *m) { const char *e; sannip_model_units(m, NULL, &e); return e; }
static void say_if_unknown(const sannip_model *m)
{
    if (!sannip_model_units(m, NULL, NULL))
        printf("  units unknown: the model does not state them (sannip import-n2p2 --units L,E)\n");
}

static int cmd_import(int argc, char **argv)
{
    opts o;
    sannip_model m;
    sannip_error err;
    int r;
    char ub[64], tb[64];
    const char *ul, *ue, *tl, *te, *uv, *tv;
    if ((r = parse_opts(argc, argv, &o, "import-n2p2")) != 0) return r;
    if (o.npos != 1 || !o.out) return usage_error("import-n2p2", "needs DIR and -o MODEL");
    uv = opt(&o, "--units", NULL); tv = opt(&o, "--to", NULL);
    if (uv && !split_units(uv, ub, sizeof ub, &ul, &ue)) return usage_error("import-n2p2", "--units needs LENGTH,ENERGY (e.g. bohr,Ha)");
    if (tv && !split_units(tv, tb, sizeof tb, &tl, &te)) return usage_error("import-n2p2", "--to needs LENGTH,ENERGY (e.g. A,eV)");
    if (tv && !uv) return usage_error("import-n2p2", "--to needs --units: n2p2 files do not state their units");
    sannip_model_init(&m, NULL);
    if ((r = sannip_n2p2_import_dir(&m, o.pos[0], &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    if ((uv && (r = sannip_model_set_units(&m, ul, ue, &err)) != SANNIP_SUCCESS)
        || (tv && (r = sannip_model_convert_units(&m, tl, te, &err)) != SANNIP_SUCCESS)) { sannip_model_uninit(&m); return fail(&err, (sannip_result)r); }
    if ((r = sannip_model_save_file(&m, o.out, &err)) != SANNIP_SUCCESS) { sannip_model_uninit(&m); return fail(&err, (sannip_result)r); }
    printf("imported %s: %d elements, %d bases, %zu parameters, units %s and %s%s -> %s\n", o.pos[0], m.n_elements, m.desc.n,
           sannip_model_n_params(&m), unit_l(&m), unit_e(&m), tv ? " (converted)" : "", o.out);
    say_if_unknown(&m);
    sannip_model_uninit(&m);
    return 0;
}

static int cmd_export(int argc, char **argv)
{
    opts o;
    sannip_model m;
    sannip_error err;
    int r;
    if ((r = parse_opts(argc, argv, &o, "export-n2p2")) != 0) return r;
    if (o.npos != 2 || o.out) return usage_error("export-n2p2", "needs MODEL and DIR");
    if ((r = load_model(o.pos[0], &m, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    if (mkdir(o.pos[1], 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "sannip export-n2p2: cannot create directory '%s': %s\n", o.pos[1], strerror(errno));
        sannip_model_uninit(&m);
        return 1;
    }
    if ((r = sannip_n2p2_export_dir(&m, o.pos[1], &err)) != SANNIP_SUCCESS) { sannip_model_uninit(&m); return fail(&err, (sannip_result)r); }
    printf("exported %s: %d elements, %d bases, %zu parameters -> %s/input.nn, scaling.data, weights.NNN.data\n",
           o.pos[0], m.n_elements, m.desc.n, sannip_model_n_params(&m), o.pos[1]);
    sannip_model_uninit(&m);
    return 0;
}

static int ends_with(const char *s, const char *t) { size_t a = strlen(s), b = strlen(t); return a >= b && strcmp(s + a - b, t) == 0; }

/* The extended-XYZ frame of one prediction: per-atom energies (single model, on request),
   the committee's force spread and energy spread, the effective field of a spin-aware model. */
static sannip_result write_prediction_xyz(sannip_text *out, const sannip_structure *s, int members, const sannip_real *E,
                                          const sannip_real *F, const sannip_real *W, const sannip_real *ea, const sannip_real *Es,
                                          const sannip_real *Fs, const sannip_real *H, const sannip_real *stress, sannip_error *err)
{
    sannip_xyz_column col[3];
    sannip_xyz_info info[3];
    char count[16];
    int nc = 0, ni = 0;
    memset(col, 0, sizeof col); memset(info, 0, sizeof info);
    if (ea) { col[nc].name = "energies"; col[nc].width = 1; col[nc].values = ea; nc++; }
    if (members > 1) {
        col[nc].name = "forces_spread"; col[nc].width = 3; col[nc].values = Fs; nc++;
        snprintf(count, sizeof count, "%d", members);
        info[ni].key = "energy_spread"; info[ni].width = 1; info[ni].values = Es; ni++;
        info[ni].key = "committee"; info[ni].text = count; ni++;
    }
    if (H) { col[nc].name = "field"; col[nc].width = 3; col[nc].values = H; nc++; }
    if (stress) { info[ni].key = "stress"; info[ni].width = 9; info[ni].values = stress; ni++; }
    {   /* predictions only: the reference fields of the input are not written */
        sannip_structure v = *s;
        v.fields = NULL;
        return sannip_write_xyz_ex(out, &v, E, F, W, col, nc, info, ni, err);
    }
}

/* ASE's conventions for an XYZ frame (Angstrom, eV, eV/A; stress = -virial/volume in eV/A^3,
   as the 9 numbers of the 3 x 3 matrix, the form ASE's extxyz reader takes): scales a prediction in place from the model's units
   (fl Angstrom and fe eV per model unit) and gives the stress of a cell periodic in 3-D. */
static void to_ase_units(sannip_structure *s, double fl, double fe, sannip_real *E, sannip_real *F, sannip_real *W,
                         sannip_real *ea, sannip_real *Es, sannip_real *Fs, sannip_real *H, sannip_real *stress, int *has_stress)
{
    int k;
    double V;
    for (k = 0; k < 3 * s->n; k++) { s->pos[k] *= fl; F[k] *= fe / fl; Fs[k] *= fe / fl; if (H) H[k] *= fe; }
    for (k = 0; k < s->n; k++) ea[k] *= fe;
    for (k = 0; k < 9; k++) { s->cell[k] *= fl; W[k] *= fe; }
    *E *= fe; *Es *= fe;
    V = sannip_cell_volume(s->cell);
    *has_stress = s->pbc[0] && s->pbc[1] && s->pbc[2] && V > 0;
    for (k = 0; k < 9 && *has_stress; k++) stress[k] = -W[k] / V;
}

/* ---- extrapolation warnings (predict, evaluate, mc) ---- */
/* The tolerance of --extrapolation-tol (off: tol < 0), the test of the last compute call (the
   workspace's opt-in test: a committee's most extrapolating member) and the tallies. */
typedef struct extrap_log { const char *cmd; double tol; int checked, structures, atoms; sannip_extrapolation x; } extrap_log;
#define EXTRAP_LINES 10   /* per-structure warning lines before the summary */
static int extrap_of(const opts *o, const char *cmd, extrap_log *L)
{
    memset(L, 0, sizeof *L);
    L->cmd = cmd;
    if (!opt_num(o, cmd, "--extrapolation-tol", SANNIP_EXTRAPOLATION_TOL, 0, 1e6, &L->tol)) return 0;
    if (opt(o, "--no-extrapolation-warnings", NULL)) L->tol = -1;
    return 1;
}
/* "atom 5 (Ni) |S| = 2.6 outside [1.6, 1.7] by 9.1 x its width", the basis line for a feature. */
static void extrap_worst(char *buf, size_t cap, const sannip_model *m, const sannip_extrapolation *x)
{
    char what[200] = "|S|";
    if (x->feature != SANNIP_FEATURE_MOMENT) {
        int k = snprintf(what, sizeof what, "feature %d (", x->feature + 1);
        if (sannip_basis_format(&m->desc.b[x->basis], what + k, sizeof what - k - 1) < 0) snprintf(what + k, sizeof what - k, "basis %d", x->basis + 1);
        strcat(what, ")");
        for (k = 0; what[k]; k++)   /* the basis line's column padding, squeezed */
            if (what[k] == ' ' && what[k + 1] == ' ') { memmove(what + k, what + k + 1, strlen(what + k)); k--; }
    }
    snprintf(buf, cap, "atom %d (%s) %s = %.6g outside [%.6g, %.6g] by %.3g x its width", x->atom + 1, sannip_element_symbol(x->Z),
             what, (double)x->value, (double)x->min, (double)x->max, (double)x->excess);
}
/* Asks the compute calls on ws for the test (L NULL or off: nothing). */
static void extrap_arm(extrap_log *L, sannip_workspace *ws)
{
    if (!L || L->tol < 0) return;
    ws->extrapolation = &L->x; ws->extrapolation_tol = (sannip_real)SANNIP_EXACTLY(L->tol);
}
/* Tallies the test of structure i (0-based, n atoms) that the last compute call made with
   model m; the first EXTRAP_LINES flagged structures get a warning line on stderr. */
static void extrap_note(extrap_log *L, const sannip_model *m, int i, int n)
{
    char line[512];
    if (!L || L->tol < 0) return;
    L->checked++;
    if (L->x.n_atoms == 0) return;
    if (L->structures < EXTRAP_LINES) {
        extrap_worst(line, sizeof line, m, &L->x);
        fprintf(stderr, "sannip %s: warning: structure %d: %d of %d atoms outside the training range; worst: %s\n", L->cmd, i + 1, L->x.n_atoms, n, line);
    }
    L->structures++; L->atoms += L->x.n_atoms;
}
static void extrap_summary(const extrap_log *L, const char *indent)
{
    if (!L || L->tol < 0) return;
    if (L->structures > EXTRAP_LINES) fprintf(stderr, "sannip %s: warning: %d more structures outside the training range\n", L->cmd, L->structures - EXTRAP_LINES);
    printf("%sextrapolation: %d of %d structures (%d atoms) outside the training range by more than %g of its width\n",
           indent, L->structures, L->checked, L->atoms, L->tol);
}

static int cmd_predict(int argc, char **argv)
{
    opts o;
    sannip_committee cm;
    sannip_workspace ws;
    sannip_error err;
    sannip_dataset L;
    sannip_text out;
    extrap_log xl;
    int r, i, xyz, nE = 0, nF = 0, nH = 0, nW = 0, ase;
    double se = 0, sf = 0, sh = 0, sw = 0, t0, fl = 1, fe = 1;
    if ((r = parse_opts(argc, argv, &o, "predict")) != 0) return r;
    if (!extrap_of(&o, "predict", &xl)) return 2;
    if (o.npos != 2 || !o.out) return usage_error("predict", "needs MODEL STRUCTURES -o OUT");
    if (o.format && strcmp(o.format, "n2p2") && strcmp(o.format, "xyz")) return usage_error("predict", "--format must be n2p2 or xyz");
    xyz = o.format ? strcmp(o.format, "xyz") == 0 : (ends_with(o.out, ".xyz") || ends_with(o.out, ".extxyz"));
    sannip_committee_init(&cm, NULL);
    if ((r = sannip_committee_load_file(&cm, o.pos[0], &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    if ((r = read_structures(o.pos[1], &L, &err)) != SANNIP_SUCCESS) { sannip_committee_uninit(&cm); return fail(&err, (sannip_result)r); }
    sannip_workspace_init(&ws, NULL);
    extrap_arm(&xl, &ws);
    sannip_text_init(&out, NULL);
    /* XYZ in ASE's units whenever the model states its own */
    ase = xyz && sannip_model_units(&cm.m[0], NULL, NULL);
    if (ase) { sannip_unit_find(unit_l(&cm.m[0]), SANNIP_UNIT_LENGTH, &fl); sannip_unit_find(unit_e(&cm.m[0]), SANNIP_UNIT_ENERGY, &fe); }
    t0 = (double)clock();
    for (i = 0; i < L.n; i++) {
        sannip_structure *s = &L.s[i];
        sannip_system sys = sannip_structure_view(s);
        sannip_real E, Es = 0, W[9], stress[9];
        int has_stress = 0;
        sannip_real *F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n), *ea = (sannip_real *)malloc(sizeof(sannip_real) * (size_t)s->n);
        sannip_real *Fs = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n);
        /* a spin-aware single model also gives the effective field -dE/dS */
        sannip_real *H = cm.n == 1 && sannip_descriptors_need_spins(&cm.m[0].desc) && s->spins ? (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n) : NULL;
        if (!F || !ea || !Fs) { fprintf(stderr, "sannip predict: out of memory\n"); return 1; }
        r = cm.n == 1 ? sannip_model_compute_field(&cm.m[0], &ws, &sys, &E, ea, F, W, H, &err)
                      : sannip_committee_predict(&cm, &ws, &sys, &E, &Es, NULL, F, Fs, &err);
        if (r == SANNIP_SUCCESS) extrap_note(&xl, &cm.m[cm.n - 1], i, s->n);
        if (r != SANNIP_SUCCESS) {
            fprintf(stderr, "sannip predict: structure %d of %s: %s: %s\n", i + 1, o.pos[1], sannip_result_string((sannip_result)r), err.message);
            free(F); free(ea); free(Fs); free(H); sannip_text_uninit(&out); sannip_dataset_uninit(&L); sannip_workspace_uninit(&ws); sannip_committee_uninit(&cm);
            return 1;
        }
        {
            /* n2p2 files carry zeros where there is no reference: such structures are not compared */
            int k, placeholder = s->has_energy && s->energy == 0;
            if (placeholder && s->forces) for (k = 0; k < 3 * s->n; k++) if (s->forces[k] != 0) placeholder = 0;
            if (s->has_energy && !placeholder) { double d = (E - s->energy) / s->n; se += d * d; nE++; }
            if (s->forces && !placeholder) for (k = 0; k < 3 * s->n; k++) { double d = F[k] - s->forces[k]; sf += d * d; nF++; }
            if (H && s->fields) for (k = 0; k < 3 * s->n; k++) { double d = H[k] - s->fields[k]; sh += d * d; nH++; }
            if (cm.n == 1 && s->has_virial) for (k = 0; k < 9; k++) { double d = (W[k] - s->virial[k]) / s->n; sw += d * d; nW++; }
        }
        if (ase) to_ase_units(s, fl, fe, &E, F, W, ea, &Es, Fs, H, stress, &has_stress);
        if (cm.n > 1) has_stress = 0;   /* no committee virial */
        if (xyz) write_prediction_xyz(&out, s, cm.n, &E, F, (cm.n == 1 && (s->pbc[0] || s->pbc[1] || s->pbc[2])) ? W : NULL,
                                      (o.atom_e && cm.n == 1) ? ea : NULL, &Es, Fs, H, has_stress ? stress : NULL, NULL);   /* only out.failed can go wrong */
        else sannip_write_n2p2(&out, s, &E, F);
        free(F); free(ea); free(Fs); free(H);
    }
    t0 = ((double)clock() - t0) / CLOCKS_PER_SEC;
    if (out.failed) { fprintf(stderr, "sannip predict: out of memory\n"); return 1; }
    if ((r = sannip_write_file_atomic(o.out, out.s, out.len, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    printf("predicted %d structures%s in %.3f s -> %s\n", L.n, cm.n > 1 ? " (committee mean and spread)" : "", t0, o.out);
    if (xyz) printf(ase ? "  XYZ in ASE's units: Angstrom, eV, eV/Angstrom, stress eV/Angstrom^3\n"
                        : "  XYZ in the model's units (unknown: not converted to ASE's, no stress)\n");
    else printf("  units: %s, %s\n", unit_l(&cm.m[0]), unit_e(&cm.m[0]));
    say_if_unknown(&cm.m[0]);
    if (nE) printf("vs reference: energy RMSE %.6g %s/atom", sqrt(se / nE), unit_e(&cm.m[0]));
    if (nF) printf(", force RMSE %.6g %s/%s", sqrt(sf / nF), unit_e(&cm.m[0]), unit_l(&cm.m[0]));
    if (nH) printf(", field RMSE %.6g %s per spin unit", sqrt(sh / nH), unit_e(&cm.m[0]));
    if (nW) printf(", virial RMSE %.6g %s/atom", sqrt(sw / nW), unit_e(&cm.m[0]));
    if (nE || nF || nH || nW) printf("\n");
    extrap_summary(&xl, "");
    sannip_text_uninit(&out); sannip_dataset_uninit(&L); sannip_workspace_uninit(&ws); sannip_committee_uninit(&cm);
    return 0;
}

/* ---- train and evaluate ---- */
static double energy_unit_scale(const sannip_model *m, const char **unit)
{
    static char buf[32];   /* the tool is single-threaded */
    if (strcmp(unit_e(m), "eV") == 0) { *unit = "meV/atom"; return 1000; }
    snprintf(buf, sizeof buf, "%s/atom", unit_e(m));
    *unit = buf; return 1;
}
/* Ctrl-C during training: stop before the next batch and keep the best model of the completed
   epochs (none completed: nothing is written). 2: the progress line has said so. */
static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) { (void)sig; interrupted = 1; }

/* Progress display and checkpoints: the best model so far is written to the output path
   (the first at once, then at most every 10 s), so even a killed run leaves it on disk. A
   failed write is reported and retried at the next new best 10 s later; training goes on. */
typedef struct progress_ctx { const sannip_model *m; const char *path; int quiet, checkpoint, weights_said; double last_save, t0; FILE *curve; } progress_ctx;
static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static int print_progress(const sannip_train_progress *p, void *user)
{
    progress_ctx *ctx = (progress_ctx *)user;
    const sannip_model *m = ctx->m;
    const char *u;
    double k = energy_unit_scale(m, &u), now = (double)time(NULL);
    if (ctx->curve) learning_curve_row(ctx->curve, p, wall_seconds() - ctx->t0);
    if (!ctx->quiet && !ctx->weights_said) {   /* the first member's; each member balances its own split */
        printf("loss weights: energy %.4g", p->loss_weight_e);
        if (p->loss_weight_f > 0) printf(", forces %.4g", p->loss_weight_f);
        if (p->loss_weight_h > 0) printf(", field %.4g", p->loss_weight_h);
        if (p->loss_weight_w > 0) printf(", virial %.4g", p->loss_weight_w);
        if (p->loss_weight_f > 0) printf(" (per (%s/atom)^2, per (%s/%s)^2", unit_e(m), unit_e(m), unit_l(m));
        else printf(" (per (%s/atom)^2", unit_e(m));
        if (p->loss_weight_h > 0) printf(", per (%s/spin unit)^2", unit_e(m));
        if (p->loss_weight_w > 0) printf(", per (%s/atom)^2", unit_e(m));
        printf(")\n");
        if (p->spread_floor > 0)
            printf("feature scaling: spreads floored at %g %s x RMS |dG/dR| (sannip_model_floor_spreads): %d features raised\n",
                   p->spread_floor, unit_l(m), p->spread_floored);
        ctx->weights_said = 1;
    }
    if (!ctx->quiet) {
        printf("epoch %4d/%d  loss %.4e  train E %.4g F %.4g", p->epoch, p->epochs, p->loss, p->train_rmse_e * k, p->train_rmse_f);
        if (p->train_rmse_h >= 0) printf(" H %.4g", p->train_rmse_h);
        if (p->train_rmse_w >= 0) printf(" W %.4g", p->train_rmse_w * k);
        if (p->val_rmse_e >= 0) printf("  val E %.4g F %.4g", p->val_rmse_e * k, p->val_rmse_f);
        if (p->val_rmse_h >= 0) printf(" H %.4g", p->val_rmse_h);
        if (p->val_rmse_w >= 0) printf(" W %.4g", p->val_rmse_w * k);
        printf("  (%s, %s/%s%s%s)  %.3g s/epoch  ETA %.0f s%s\n", u, unit_e(m), unit_l(m), p->train_rmse_h >= 0 ? ", H per spin unit" : "",
               p->train_rmse_w >= 0 ? ", W per atom" : "", p->seconds_epoch, p->eta_seconds, p->best_epoch == p->epoch ? "  *" : "");
        fflush(stdout);
    }
    if (ctx->checkpoint && p->best_epoch == p->epoch && now - ctx->last_save >= 10) {
        sannip_error err;
        sannip_result r = sannip_model_save_file(m, ctx->path, &err);
        if (r != SANNIP_SUCCESS)
            fprintf(stderr, "sannip train: checkpoint of epoch %d not written: %s: %s (training goes on)\n", p->epoch, sannip_result_string(r), err.message);
        ctx->last_save = now;
    }
    if (interrupted) { printf("interrupted at epoch %d: keeping the best model (epoch %d)\n", p->epoch, p->best_epoch); interrupted = 2; return 1; }
    return 0;
}

/* The effective-field (-dE/dS, spin-aware models) and virial-per-atom errors of a committee's
   mean prediction on s, added to sums: squared field errors, their count, squared reference
   fields, squared virial errors, their count. 0, or 1 after a message. */
static int field_virial_errors(const sannip_committee *cm, sannip_workspace *ws, const sannip_structure *s, double *sums)
{
    int want_h = s->fields && s->spins && sannip_descriptors_need_spins(&cm->m[0].desc), k, q;
    sannip_system sys = sannip_structure_view(s);
    sannip_error err;
    sannip_real E, W[9], *H;
    double Wm[9] = { 0 }, *Hm;
    if (!want_h && !s->has_virial) return 0;
    H = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n + 1);
    Hm = (double *)calloc(3 * (size_t)s->n + 1, sizeof(double));
    if (!H || !Hm) { free(H); free(Hm); fprintf(stderr, "sannip evaluate: out of memory\n"); return 1; }
    for (k = 0; k < cm->n; k++) {
        if (sannip_model_compute_field(&cm->m[k], ws, &sys, &E, NULL, NULL, W, want_h ? H : NULL, &err) != SANNIP_SUCCESS) {
            fprintf(stderr, "sannip evaluate: %s\n", err.message); free(H); free(Hm); return 1;
        }
        for (q = 0; want_h && q < 3 * s->n; q++) Hm[q] += (double)H[q] / cm->n;
        for (q = 0; q < 9; q++) Wm[q] += (double)W[q] / cm->n;
    }
    for (q = 0; want_h && q < 3 * s->n; q++) { sums[0] += (Hm[q] - s->fields[q]) * (Hm[q] - s->fields[q]); sums[1]++; sums[2] += (double)s->fields[q] * s->fields[q]; }
    for (q = 0; s->has_virial && q < 9; q++) { double d = (Wm[q] - s->virial[q]) / s->n; sums[3] += d * d; sums[4]++; }
    free(H); free(Hm);
    return 0;
}

/* Energy/force (field, virial) errors of a committee on a data set, overall and per element;
   optional CSVs. */
static int evaluate(const sannip_committee *cm, const sannip_dataset *d, const char *parity, const char *per_structure, extrap_log *xl)
{
    sannip_workspace ws;
    sannip_error err;
    sannip_text pt, st;
    double se = 0, ae = 0, ne = 0, sfe[SANNIP_MAX_Z + 1], afe[SANNIP_MAX_Z + 1], nfe[SANNIP_MAX_Z + 1], sf = 0, af = 0, nf = 0, k;
    double f0 = 0, e1 = 0, e2 = 0, st0 = 0;   /* trivial predictors: zero forces, the mean energy per atom */
    double hw[5] = { 0, 0, 0, 0, 0 };         /* field_virial_errors */
    int offsets = 0;   /* the model's energy offsets (fitted on its training split) are a training-mean predictor */
    int i, a, c, z, r;
    const char *u;
    memset(sfe, 0, sizeof sfe); memset(afe, 0, sizeof afe); memset(nfe, 0, sizeof nfe);
    sannip_workspace_init(&ws, NULL);
    extrap_arm(xl, &ws);
    sannip_text_init(&pt, NULL); sannip_text_init(&st, NULL);
    sannip_text_printf(&pt, "kind,structure,atom,element,component,reference,predicted\n");
    sannip_text_printf(&st, "structure,atoms,energy_error_per_atom,force_rmse,energy_spread_per_atom\n");
    for (i = 0; i < d->n; i++) {
        const sannip_structure *s = &d->s[i];
        sannip_system sys = sannip_structure_view(s);
        sannip_real E = 0, Es = 0, *F = (sannip_real *)malloc(sizeof(sannip_real) * 3 * (size_t)s->n + 1);
        double fse = 0;
        if (!F) return 1;
        r = sannip_committee_predict(cm, &ws, &sys, &E, &Es, NULL, F, NULL, &err);
        if (r == SANNIP_SUCCESS) extrap_note(xl, &cm->m[cm->n - 1], i, s->n);
        if (r) { fprintf(stderr, "sannip evaluate: structure %d: %s\n", i + 1, err.message); free(F); return 1; }
        if (field_virial_errors(cm, &ws, s, hw)) { free(F); return 1; }
        if (s->has_energy) {
            double de = (E - s->energy) / s->n, e0 = 0;
            for (a = 0; a < s->n; a++) {   /* sum_a mu_Z(a): the least-squares composition fit, T F.28 */
                int el = sannip_model_element_index(&cm->m[0], s->Z[a]);
                if (el >= 0) { e0 += cm->m[0].el[el].energy_offset; offsets |= cm->m[0].el[el].energy_offset != 0; }
            }
            st0 += ((e0 - s->energy) / s->n) * ((e0 - s->energy) / s->n);
            se += de * de; ae += fabs(de); ne++;
            e1 += s->energy / s->n; e2 += (s->energy / s->n) * (s->energy / s->n);
            sannip_text_printf(&pt, "energy_per_atom,%d,,,,", i + 1); sannip_text_real(&pt, s->energy / s->n); sannip_text_printf(&pt, ","); sannip_text_real(&pt, E / s->n); sannip_text_printf(&pt, "\n");
        }
        if (s->forces) for (a = 0; a < s->n; a++) for (c = 0; c < 3; c++) {
            double df = F[3 * a + c] - s->forces[3 * a + c];
            z = s->Z[a];
            sf += df * df; af += fabs(df); nf++; sfe[z] += df * df; afe[z] += fabs(df); nfe[z]++; fse += df * df;
            f0 += s->forces[3 * a + c] * s->forces[3 * a + c];
            sannip_text_printf(&pt, "force,%d,%d,%s,%c,", i + 1, a + 1, sannip_element_symbol(z), 'x' + c);
            sannip_text_real(&pt, s->forces[3 * a + c]); sannip_text_printf(&pt, ","); sannip_text_real(&pt, F[3 * a + c]); sannip_text_printf(&pt, "\n");
        }
        sannip_text_printf(&st, "%d,%d,", i + 1, s->n);
        sannip_text_real(&st, s->has_energy ? (E - s->energy) / s->n : 0); sannip_text_printf(&st, ",");
        sannip_text_real(&st, s->forces ? sqrt(fse / (3.0 * s->n)) : 0); sannip_text_printf(&st, ",");
        sannip_text_real(&st, Es / s->n); sannip_text_printf(&st, "\n");
        free(F);
    }
    k = energy_unit_scale(&cm->m[0], &u);
    printf("%d structures%s\n", d->n, cm->n > 1 ? " (committee mean)" : "");
    say_if_unknown(&cm->m[0]);
    /* the trivial energy predictor: the training split's mean (per-element offsets the training
       fitted); a model without offsets (imported) gets this data's own mean, and says so */
    if (ne && offsets) printf("  energy: RMSE %.5g  MAE %.5g  (%s); training-mean predictor: RMSE %.5g\n", sqrt(se / ne) * k, ae / ne * k, u, sqrt(st0 / ne) * k);
    else if (ne) printf("  energy: RMSE %.5g  MAE %.5g  (%s); mean-energy predictor (this data's mean): RMSE %.5g\n", sqrt(se / ne) * k, ae / ne * k, u,
                        sqrt(fmax(e2 / ne - (e1 / ne) * (e1 / ne), 0)) * k);
    if (nf) {
        printf("  forces: RMSE %.5g  MAE %.5g  (%s/%s); zero-force predictor: RMSE %.5g\n", sqrt(sf / nf), af / nf, unit_e(&cm->m[0]), unit_l(&cm->m[0]), sqrt(f0 / nf));
        for (z = 1; z <= SANNIP_MAX_Z; z++) if (nfe[z] > 0) printf("    %-2s: RMSE %.5g  MAE %.5g  (%d atoms)\n", sannip_element_symbol(z), sqrt(sfe[z] / nfe[z]), afe[z] / nfe[z], (int)(nfe[z] / 3));
    }
    if (hw[1] > 0) printf("  field -dE/dS: RMSE %.5g  (%s per spin unit); zero-field predictor: RMSE %.5g\n", sqrt(hw[0] / hw[1]), unit_e(&cm->m[0]), sqrt(hw[2] / hw[1]));
    if (hw[4] > 0) printf("  virial: RMSE %.5g  (%s/atom, per component)\n", sqrt(hw[3] / hw[4]) * k, u);
    if (parity && sannip_write_file_atomic(parity, pt.s, pt.len, &err)) { fprintf(stderr, "%s\n", err.message); return 1; }
    if (per_structure && sannip_write_file_atomic(per_structure, st.s, st.len, &err)) { fprintf(stderr, "%s\n", err.message); return 1; }
    extrap_summary(xl, "  ");
    if (parity) printf("  parity data -> %s\n", parity);
    if (per_structure) printf("  per-structure errors -> %s\n", per_structure);
    sannip_text_uninit(&pt); sannip_text_uninit(&st); sannip_workspace_uninit(&ws);
    return 0;
}

/* A single model is written as a model file (usable by every command), more as a committee. */
static sannip_result save_trained(const sannip_committee *cm, const char *path, sannip_error *err)
{
    return cm->n == 1 ? sannip_model_save_file(&cm->m[0], path, err) : sannip_committee_save_file(cm, path, err);
}

/* Checks every structure of the training data before any descriptor is computed: a reference
   energy, forces when they are trained on, spins for spin bases, a usable geometry at the
   model's cutoff (finite and in range, no overlaps, a sane neighbour count). Prints
   "structure K of FILE: ..." for the first problem and returns 1; 0 when all are fine. */
static int check_training_data(const sannip_dataset *d, const char *path, const sannip_model *m, int need_forces)
{
    sannip_neighbors nl;
    sannip_error err;
    int i, bad = 0, spins = sannip_descriptors_need_spins(&m->desc);
    sannip_neighbors_init(&nl, NULL);
    for (i = 0; i < d->n && !bad; i++) {
        const sannip_structure *s = &d->s[i];
        sannip_system sys = sannip_structure_view(s);
        sannip_result r;
        bad = 1;
        if (!s->has_energy)
            fprintf(stderr, "sannip train: structure %d of %s: no reference energy (energy= in the extended XYZ comment line, 'energy' in n2p2)\n", i + 1, path);
        else if (need_forces && !s->forces)
            fprintf(stderr, "sannip train: structure %d of %s: no reference forces (a forces column; --force-weight 0 trains on energies only)\n", i + 1, path);
        else if (spins && !s->spins)
            fprintf(stderr, "sannip train: structure %d of %s: no spins (a magmoms column), but the descriptors are spin-aware\n", i + 1, path);
        else if ((r = sannip_neighbors_build(&nl, &sys, m->cutoff > 0 ? m->cutoff : 1, &err)) != SANNIP_SUCCESS)
            fprintf(stderr, "sannip train: structure %d of %s: %s: %s\n", i + 1, path, sannip_result_string(r), err.message);
        else bad = 0;
    }
    sannip_neighbors_uninit(&nl);
    return bad;
}


/* The Kalman filter's options (--optimizer ekf); 0 on a bad one, after its message. */
static int ekf_config_of(opts *o, sannip_train_config *c)
{
    double v;
    return opt_num(o, "train", "--ekf-force-fraction", 0.02, 0, 100, &c->ekf_force_fraction)
        && opt_num(o, "train", "--ekf-lambda", 1, 1e-3, 1, &c->ekf_lambda) && opt_num(o, "train", "--ekf-nu", 1, 1e-3, 1, &c->ekf_nu)
        && opt_num(o, "train", "--ekf-epsilon", 0.01, 1e-12, 1e12, &c->ekf_epsilon)
        && opt_num(o, "train", "--ekf-rows", 1, 1, SANNIP_EKF_MAX_ROWS, &v) && (c->ekf_rows = (int)v, 1)
        && (c->ekf_force_fraction = SANNIP_EXACTLY(c->ekf_force_fraction), 1);
}
/* The training configuration from the command line (0 on a bad option, after its message). */
static int train_config_of(opts *o, sannip_train_config *c, double *rc, double *M)
{
    double v;
    if (!opt_num(o, "train", "--rc", 6, 1e-3, 1e3, rc) || !opt_num(o, "train", "--lr", sannip_train_config_init().learning_rate, 1e-12, 10, &c->learning_rate)
        || !opt_num(o, "train", "--lr-decay", 1, 0.01, 1, &c->lr_decay) || !opt_num(o, "train", "--energy-weight", 1, 0, 1e12, &c->energy_weight)
        || !opt_num(o, "train", "--force-weight", 1, 0, 1e12, &c->force_weight) || !opt_num(o, "train", "--l2", 0, 0, 1e6, &c->l2)
        || !opt_num(o, "train", "--field-weight", 1, 0, 1e12, &c->field_weight) || !opt_num(o, "train", "--stress-weight", 1, 0, 1e12, &c->stress_weight)
        || !opt_num(o, "train", "--val", 0.2, 0, 0.95, &c->validation_fraction) || !opt_num(o, "train", "--committee", 1, 1, 1000, M))
        return 0;
    if (!opt_num(o, "train", "--epochs", sannip_train_config_init().epochs, 0, 1e8, &v)) return 0;
    c->epochs = (int)v;
    if (c->epochs < 1) { usage_error("train", "--epochs must be at least 1: without a completed epoch there is no trained model to write"); return 0; }
    if (!opt_num(o, "train", "--batch", sannip_train_config_init().batch_size, 1, 1e6, &v)) return 0;
    c->batch_size = (int)v;
    if (!opt_num(o, "train", "--patience", 0, 0, 1e8, &v)) return 0;
    c->patience = (int)v;
    if (!opt_num(o, "train", "--seed", 1, 0, 1.8e19, &v)) return 0;
    c->seed = (uint64_t)v;
    if (!opt_num(o, "train", "--pca", 0, 0, 1e5, &v)) return 0;
    c->pca = (int)v;
    c->recompute_derivatives = opt(o, "--no-cache", NULL) != NULL;
    c->energy_weight = SANNIP_EXACTLY(c->energy_weight);   /* 0 in a flag means 0 */
    c->force_weight = SANNIP_EXACTLY(c->force_weight);
    c->field_weight = SANNIP_EXACTLY(c->field_weight);
    c->stress_weight = SANNIP_EXACTLY(c->stress_weight);
    c->validation_fraction = SANNIP_EXACTLY(c->validation_fraction);
    c->raw_loss = opt(o, "--raw-loss", NULL) != NULL;
    if (!opt_num(o, "train", "--cache-limit", 0, 0, 1e9, &v)) return 0;
    c->cache_limit = (size_t)(v * 1e6);
    if (!opt_num(o, "train", "--spread-floor", 0, 0, 1e6, &v)) return 0;
    if (opt(o, "--spread-floor", NULL)) c->spread_floor = SANNIP_EXACTLY(v);   /* 0: none; absent: the default */
    if (strcmp(opt(o, "--optimizer", "adam"), "adam") == 0) c->optimizer = SANNIP_OPT_ADAM;
    else if (strcmp(opt(o, "--optimizer", "adam"), "sgd") == 0) c->optimizer = SANNIP_OPT_SGD;
    else if (strcmp(opt(o, "--optimizer", "adam"), "ekf") == 0) c->optimizer = SANNIP_OPT_EKF;
    else { usage_error("train", "--optimizer must be adam, sgd or ekf"); return 0; }
    return ekf_config_of(o, c);
}
/* --hidden 25,25 with activation act on every hidden layer; returns the layer count (-1: bad). */
static int hidden_layers_of(const char *hs, int act, int *hidden, int *acts)
{
    int nh = 0;
    while (*hs) {
        char *end;
        long w = strtol(hs, &end, 10);
        if (end == hs || w < 1 || w > SANNIP_MAX_LAYER_WIDTH || nh >= SANNIP_MAX_LAYERS - 1 || (*end && *end != ',')) {
            usage_error("train", "--hidden needs widths like 25,25");
            return -1;
        }
        hidden[nh] = (int)w; acts[nh] = act; nh++;
        hs = *end == ',' ? end + 1 : end;
    }
    return nh;
}
/* The elements of a data set, sorted by Z; -1 when there are more than a model holds. */
static int data_elements(const sannip_dataset *d, int *Zs)
{
    int i, a, nz = 0;
    for (i = 0; i < d->n; i++) for (a = 0; a < d->s[i].n; a++) {
        int k, z = d->s[i].Z[a];
        for (k = 0; k < nz && Zs[k] != z; k++) {}
        if (k == nz) { if (nz == SANNIP_MAX_ELEMENTS) { fprintf(stderr, "sannip train: more than %d elements\n", SANNIP_MAX_ELEMENTS); return -1; } Zs[nz++] = z; }
    }
    for (i = 1; i < nz; i++) for (a = i; a > 0 && Zs[a - 1] > Zs[a]; a--) { int t = Zs[a]; Zs[a] = Zs[a - 1]; Zs[a - 1] = t; }
    return nz;
}
/* The descriptors of --descriptors (a preset or a definition file) into tmpl. */
static sannip_result train_descriptors(opts *o, sannip_model *tmpl, const sannip_dataset *d, const int *Zs, int nz, double rc, sannip_error *err)
{
    const char *desc = opt(o, "--descriptors", "bp");
    sannip_result r;
    int i;
    if (strncmp(desc, "bp", 2) == 0 && (desc[2] == 0 || strcmp(desc + 2, "+spin") == 0 || strcmp(desc + 2, "+spin-scaled") == 0)) {
        int mt = strcmp(opt(o, "--architecture", "bp"), "multitask") == 0, ne = mt ? 1 : nz;
        r = sannip_descriptors_preset_bp(&tmpl->desc, Zs, ne, (sannip_real)rc, err);
        for (i = 0; r == SANNIP_SUCCESS && desc[2] && i < ne; i++) {
            if (strcmp(desc + 2, "+spin") == 0) {
                r = sannip_descriptors_preset_spin_thesis(&tmpl->desc, Zs[i], (sannip_real)rc, err);
                if (r == SANNIP_SUCCESS) r = sannip_descriptors_preset_spin_shells(&tmpl->desc, Zs[i], (sannip_real)rc, err);
            }
            else r = sannip_descriptors_preset_spin_scaled(&tmpl->desc, Zs[i], (sannip_real)rc, (sannip_real)sannip_spin_mean_magnitude(d->s, d->n), err);
        }
        if (mt)   /* one featurisation for all elements */
            for (i = 0; i < tmpl->desc.n; i++) tmpl->desc.b[i].center = SANNIP_ANY;
        return r;
    }
    if (strcmp(desc, "bp-fe") == 0) return sannip_descriptors_preset_bp_fe(&tmpl->desc, 26, err);
    {
        sannip_descriptors tmp;
        r = (sannip_result)load_descriptors(desc, &tmp, err);
        for (i = 0; r == SANNIP_SUCCESS && i < tmp.n; i++) r = sannip_descriptors_add(&tmpl->desc, &tmp.b[i], err);
        sannip_descriptors_uninit(&tmp);
        return r;
    }
}
/* The networks of --architecture for every element, and the feature scaling. 1 on a bad option. */
static int train_networks(opts *o, sannip_model *tmpl, const int *Zs, int nz, int nh, const int *hidden, const int *acts, int scaling, sannip_error *err)
{
    const char *arch = opt(o, "--architecture", "bp");
    int cnn = strcmp(arch, "cnn") == 0, raw = strcmp(arch, "cnn-raw") == 0, mt = strcmp(arch, "multitask") == 0, i;
    sannip_result r;
    if (!cnn && !raw && !mt && strcmp(arch, "bp") != 0) return usage_error("train", "--architecture must be bp, cnn, cnn-raw or multitask");
    for (i = 0; i < nz; i++) {
        r = (cnn || raw) ? sannip_model_add_element_cnn(tmpl, Zs[i], raw, nh, hidden, acts, err)
                         : sannip_model_add_element(tmpl, Zs[i], nh, hidden, acts, err);
        if (r) return fail(err, r);
    }
    if (mt && (r = sannip_model_make_multitask(tmpl, nh, hidden, acts, err)) != SANNIP_SUCCESS) return fail(err, r);
    for (i = 0; i < nz; i++) tmpl->el[i].scaling = scaling;
    if (scaling == SANNIP_SCALE_MINMAX) for (i = 0; i < nz; i++) { tmpl->el[i].smin = -1; tmpl->el[i].smax = 1; }
    return 0;
}
/* Trains the committee and prints the report; the output is written only when an epoch was
   completed (never over OUT with an untrained model). 0 on success. */
static int train_and_report(sannip_committee *cm, const sannip_dataset *d, const sannip_train_config *c, const char *data, const char *out, sannip_error *err)
{
    sannip_committee_report rep;
    const char *u;
    double k;
    sannip_result r = sannip_committee_train(cm, d, c, &rep, err);
    if (r != SANNIP_SUCCESS) {
        /* keep what was learned: the members hold their best (last good) parameters, but
           only a model with a completed epoch may replace what OUT holds */
        fprintf(stderr, "sannip train: %s: %s: %s\n", data, sannip_result_string(r), err->message);
        if (rep.epochs_run < 1) fprintf(stderr, "sannip train: no epoch was completed: nothing written, %s is unchanged\n", out);
        else if (save_trained(cm, out, err) == SANNIP_SUCCESS) fprintf(stderr, "sannip train: the last good model was written to %s\n", out);
        else fprintf(stderr, "sannip train: the last good model could not be written: %s\n", err->message);
        return 1;
    }
    if (rep.epochs_run < 1) {
        fprintf(stderr, "sannip train: interrupted before the first epoch was completed: nothing written, %s is unchanged\n", out);
        return 1;
    }
    if (interrupted == 1) printf("interrupted: keeping the best model of the %d completed epochs\n", rep.epochs_run);
    k = energy_unit_scale(&cm->m[0], &u);
    printf("done in %.1f s (%.4g s/epoch per member); descriptor cache %.1f MB, derivatives %s\n", rep.seconds, rep.seconds_per_epoch,
           rep.cache_bytes / 1e6, rep.derivatives_cached ? "stored" : "recomputed per use");
    printf("  aggregate (T4.5):            energy RMSE %.4g MAE %.4g %s", rep.agg_rmse_e * k, rep.agg_mae_e * k, u);
    if (rep.agg_rmse_f >= 0) printf("; force RMSE %.4g MAE %.4g eV/A", rep.agg_rmse_f, rep.agg_mae_f);   /* none: energies only */
    printf("\n");
    if (rep.val_rmse_e >= 0) {
        printf("  validation, concatenated (T4.6): energy RMSE %.4g MAE %.4g %s", rep.val_rmse_e * k, rep.val_mae_e * k, u);
        if (rep.val_rmse_f >= 0) printf("; force RMSE %.4g MAE %.4g eV/A", rep.val_rmse_f, rep.val_mae_f);
        printf("\n");
    }
    if (rep.fom_f > 0) printf("  figure of merit (T4.7): 1/(s/epoch x val force RMSE) = %.4g\n", rep.fom_f);
    if ((r = save_trained(cm, out, err)) != SANNIP_SUCCESS) return fail(err, r);
    printf("model -> %s\n", out);
    return 0;
}
/* The learning-curve file of --learning-curve (default MODEL's name without extension +
   .learning-curve.csv, next to it; 'none': *f = NULL), its header written. 0 on success. */
static int open_learning_curve(const opts *o, const sannip_model *m, char *path, size_t cap, FILE **f)
{
    const char *v = opt(o, "--learning-curve", NULL), *slash, *dot;
    *f = NULL;
    if (v && strcmp(v, "none") == 0) return 0;
    if (v) snprintf(path, cap, "%s", v);
    else {
        slash = strrchr(o->out, '/'); dot = strrchr(o->out, '.');
        if (!dot || (slash && dot < slash) || dot == o->out || dot[-1] == '/') dot = o->out + strlen(o->out);
        snprintf(path, cap, "%.*s.learning-curve.csv", (int)(dot - o->out), o->out);
    }
    if (!(*f = fopen(path, "w"))) {   /* like a failed checkpoint: reported, training goes on */
        fprintf(stderr, "sannip train: cannot write the learning curve %s: %s; training goes on without it\n", path, strerror(errno));
        return 0;
    }
    learning_curve_header(*f, m->units_energy, m->units_length);
    return 0;
}
static int cmd_train(int argc, char **argv)
{
    opts o;
    sannip_dataset d;
    sannip_model tmpl;
    sannip_committee cm;
    sannip_error err;
    sannip_train_config c = sannip_train_config_init();
    progress_ctx pctx;
    char curve_path[4200];
    int r, i, Zs[SANNIP_MAX_ELEMENTS], nz, hidden[SANNIP_MAX_LAYERS], nh, acts[SANNIP_MAX_LAYERS], act, scaling;
    double rc, M;
    if ((r = parse_opts(argc, argv, &o, "train")) != 0) return r;
    if (o.npos != 1 || !o.out) return usage_error("train", "needs DATA and -o MODEL");
    if (!train_config_of(&o, &c, &rc, &M)) return 2;
    act = sannip_activation_parse(opt(&o, "--activation", "tanh"));
    if (act < 0) return usage_error("train", "unknown --activation");
    scaling = sannip_scaling_parse(opt(&o, "--scaling", "modified"));
    if (scaling < 0) return usage_error("train", "unknown --scaling");
    if ((nh = hidden_layers_of(opt(&o, "--hidden", "25,25"), act, hidden, acts)) < 0) return 2;
    sannip_dataset_init(&d, NULL);
    if ((r = sannip_dataset_read_file(&d, o.pos[0], &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    if (opt(&o, "--val-file", NULL)) {   /* a given validation set: appended, the last structures validate */
        int n0 = d.n;
        if ((r = sannip_dataset_read_file(&d, opt(&o, "--val-file", NULL), &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
        c.validation_last = d.n - n0;
    }
    if (d.n == 1 && c.validation_fraction > 0)
        fprintf(stderr, "sannip train: notice: %s holds a single structure: no validation set is possible, so the model "
                "kept is the one with the lowest training error (--val 0 silences this notice)\n", o.pos[0]);
    if ((nz = data_elements(&d, Zs)) < 0) return 1;
    sannip_model_init(&tmpl, NULL);
    if ((r = train_descriptors(&o, &tmpl, &d, Zs, nz, rc, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    if ((r = train_networks(&o, &tmpl, Zs, nz, nh, hidden, acts, scaling, &err)) != 0) return r;
    if (check_training_data(&d, o.pos[0], &tmpl, c.force_weight > 0)) return 1;
    pctx.quiet = opt(&o, "--quiet", NULL) != NULL; pctx.path = o.out; pctx.checkpoint = M == 1; pctx.last_save = 0; pctx.weights_said = 0;
    if (open_learning_curve(&o, &tmpl, curve_path, sizeof curve_path, &pctx.curve) != 0) return 1;
    c.progress = print_progress; c.user = &pctx; c.stop = &interrupted;
    signal(SIGINT, on_sigint);   /* from here on Ctrl-C stops training instead of the process */
    if (c.validation_last > 0)   /* the --val-file structures only validate */
        printf("training on %d structures of %s (validating on %d of %s): %d elements, %d bases, network", d.n - c.validation_last,
               o.pos[0], c.validation_last, opt(&o, "--val-file", NULL), nz, tmpl.desc.n);
    else printf("training on %d structures of %s: %d elements, %d bases, network", d.n, o.pos[0], nz, tmpl.desc.n);
    for (i = 0; i < nh; i++) printf(" %d", hidden[i]);
    printf(" %s, %zu parameters, %s, %d epochs, batch %d, committee %d\n", sannip_activation_name(act), sannip_model_n_params(&tmpl),
           c.optimizer == SANNIP_OPT_ADAM ? "Adam" : c.optimizer == SANNIP_OPT_EKF ? "EKF" : "SGD", c.epochs, c.batch_size, (int)M);
    fflush(stdout);
    sannip_committee_init(&cm, NULL);
    if ((r = sannip_committee_create(&cm, &tmpl, (int)M, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    pctx.m = &cm.m[0];
    pctx.t0 = wall_seconds();
    r = train_and_report(&cm, &d, &c, o.pos[0], o.out, &err);
    if (pctx.curve) {
        if (fclose(pctx.curve) != 0) fprintf(stderr, "sannip train: error writing %s\n", curve_path);
        else printf("learning curve -> %s\n", curve_path);
    }
    if (r != 0) return r;
    if (opt(&o, "--parity", NULL)) evaluate(&cm, &d, opt(&o, "--parity", NULL), NULL, NULL);   /* training data: no extrapolation test */
    sannip_committee_uninit(&cm); sannip_model_uninit(&tmpl); sannip_dataset_uninit(&d);
    return 0;
}

/* The parity CSV: --parity, else FILE.csv next to --plot FILE.png (NULL: neither given). */
static const char *parity_for_plot(const opts *o, char *buf, size_t cap)
{
    const char *png = opt(o, "--plot", NULL), *par = opt(o, "--parity", NULL);
    size_t n;
    if (par || !png) { snprintf(buf, cap, "%s", par ? par : ""); return par; }
    n = strlen(png);
    if (n > 4 && strcmp(png + n - 4, ".png") == 0) n -= 4;
    snprintf(buf, cap, "%.*s.csv", (int)n, png);
    return buf;
}
/* evaluate --plot: the parity PNG through examples/plot_accuracy.py. */
static void plot_parity(const char *argv0, const char *csv, const char *png, const sannip_model *m, const char *model_path)
{
    char qc[8500], qp[8500], qu[300], qt[8500], units[128], title[4200], args[26000];
    snprintf(units, sizeof units, "%s,%s", m->units_energy, m->units_length);
    snprintf(title, sizeof title, "%s", model_path);
    if (shell_quote(csv, qc, sizeof qc) || shell_quote(png, qp, sizeof qp) || shell_quote(units, qu, sizeof qu) || shell_quote(title, qt, sizeof qt)) {
        printf("plot: parity skipped (path too long)\n"); return;
    }
    snprintf(args, sizeof args, "parity %s -o %s --units %s --title %s", qc, qp, qu, qt);
    plot_run(argv0, "plot_accuracy.py", args, png, "parity (predicted vs reference)");
}
static int cmd_evaluate(int argc, char **argv)
{
    char parity[4200];
    opts o;
    sannip_dataset d;
    sannip_committee cm;
    sannip_error err;
    extrap_log xl;
    int r;
    if ((r = parse_opts(argc, argv, &o, "evaluate")) != 0) return r;
    if (o.npos != 2) return usage_error("evaluate", "needs MODEL DATA");
    if (!extrap_of(&o, "evaluate", &xl)) return 2;
    sannip_committee_init(&cm, NULL);
    if ((r = sannip_committee_load_file(&cm, o.pos[0], &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    sannip_dataset_init(&d, NULL);
    if ((r = sannip_dataset_read_file(&d, o.pos[1], &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    r = evaluate(&cm, &d, parity_for_plot(&o, parity, sizeof parity), opt(&o, "--per-structure", NULL), &xl);
    if (r == 0 && opt(&o, "--plot", NULL)) plot_parity(argv[0], parity, opt(&o, "--plot", NULL), &cm.m[0], o.pos[0]);
    sannip_committee_uninit(&cm); sannip_dataset_uninit(&d);
    return r;
}


/* sannip info: one model (WHAT says which member of a committee file). */
static void print_model_info(const char *path, const char *what, const sannip_model *m)
{
    int e, f, l;
    printf("model %s%s\n  units: energy %s, length %s\n", path, what, unit_e(m), unit_l(m));
    say_if_unknown(m);
    printf("  cutoff: %g %s\n  bases: %d\n  elements: %d\n", (double)m->cutoff, unit_l(m), m->desc.n, m->n_elements);
    for (e = 0; e < m->n_elements; e++) {
        const sannip_element_model *el = &m->el[e];
        int nr = 0, na = 0, ns = 0;
        for (f = 0; f < el->n_features; f++) {
            const char *c = sannip_basis_class_name(sannip_basis_class(&m->desc.b[el->feature[f]]));
            if (c[0] == 'r') nr++; else if (c[0] == 'a') na++; else ns++;
        }
        printf("  element %s: %d features (%d radial, %d angular, %d spin), scaling %s\n", sannip_element_symbol(el->Z), el->n_features, nr, na, ns, sannip_scaling_name(el->scaling));
        {
            const sannip_network *net = sannip_model_network(m, e);
            if (el->shared) printf("    network: the multi-task network of element %s, output %d\n", sannip_element_symbol(m->el[0].Z), el->output + 1);
            else {
                printf("    network:");
                for (l = 0; l <= net->n_layers; l++) printf(" %d", net->sizes[l]);
                printf("  activations:");
                for (l = 0; l < net->n_layers; l++) printf(" %s", sannip_activation_name(net->act[l]));
                for (l = 0; l < net->n_layers; l++) if (net->nblk[l] > 0) printf("  (layer %d: class convolution, %d classes%s)", l + 1, net->nblk[l], net->pass[l] ? ", raw inputs passed on" : "");
                printf("\n    parameters: %zu, per input (T3.25): %.1f\n", net->n_params, sannip_model_tpi(m, e));
            }
        }
        printf("    energy: %.17g * NN + %.17g\n", (double)el->energy_scale, (double)el->energy_offset);
        if (el->has_moment_range) printf("    |S| in training: %.6g to %.6g (extrapolation warnings)\n", (double)el->moment_min, (double)el->moment_max);
    }
    printf("  total parameters: %zu\n", sannip_model_n_params(m));
}

static int cmd_info(int argc, char **argv)
{
    opts o;
    sannip_committee cm;
    sannip_error err;
    char what[48] = "";
    int r, k;
    if ((r = parse_opts(argc, argv, &o, "info")) != 0) return r;
    if (o.npos != 1) return usage_error("info", "needs MODEL");
    sannip_committee_init(&cm, NULL);   /* a model file is a committee of one, as for predict */
    if ((r = sannip_committee_load_file(&cm, o.pos[0], &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    for (k = 0; k < cm.n; k++) {
        if (cm.n > 1) snprintf(what, sizeof what, ", committee member %d of %d", k + 1, cm.n);
        print_model_info(o.pos[0], what, &cm.m[k]);
    }
    sannip_committee_uninit(&cm);
    return 0;
}

/* A model file starts with "sannip-model"; anything else is a descriptor definition. */
static int load_descriptors(const char *path, sannip_descriptors *d, sannip_error *err)
{
    char *text;
    size_t len;
    int r;
    sannip_descriptors_init(d, NULL);
    if (strcmp(path, "bp-fe") == 0) return sannip_descriptors_preset_bp_fe(d, 26, err);
    if ((r = sannip_read_file(path, NULL, &text, &len, err)) != SANNIP_SUCCESS) return r;
    if (strncmp(text + strspn(text, " \t\r\n"), "sannip-model", 12) == 0) {
        sannip_model m;
        sannip_model_init(&m, NULL);
        r = sannip_model_load_mem(&m, text, len, err);
        if (r == SANNIP_SUCCESS) { int f; for (f = 0; f < m.desc.n && r == SANNIP_SUCCESS; f++) r = sannip_descriptors_add(d, &m.desc.b[f], err); }
        sannip_model_uninit(&m);
    } else r = sannip_descriptors_parse(d, text, err);
    free(text);
    return r;
}

static int cmd_features(int argc, char **argv)
{
    opts o;
    sannip_descriptors d;
    sannip_workspace ws;
    sannip_error err;
    sannip_dataset L;
    sannip_text out;
    int r, i, f, a;
    char line[1024];
    if ((r = parse_opts(argc, argv, &o, "features")) != 0) return r;
    if (o.npos != 2 || !o.out) return usage_error("features", "needs MODEL|DESCRIPTORS STRUCTURES -o OUT.csv");
    if ((r = load_descriptors(o.pos[0], &d, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    if ((r = read_structures(o.pos[1], &L, &err)) != SANNIP_SUCCESS) { sannip_descriptors_uninit(&d); return fail(&err, (sannip_result)r); }
    sannip_workspace_init(&ws, NULL);
    sannip_text_init(&out, NULL);
    sannip_text_printf(&out, "structure,atom,element");
    for (f = 0; f < d.n; f++) {
        char *p;
        sannip_basis_format(&d.b[f], line, sizeof line);
        for (p = line; *p; p++) if (*p == ',') *p = ';';   /* keep CSV columns intact */
        /* collapse runs of spaces */
        {
            char *w = line, *q = line;
            int sp = 0;
            for (; *q; q++) { if (*q == ' ') { if (!sp && w != line) *w++ = ' '; sp = 1; } else { *w++ = *q; sp = 0; } }
            *w = 0;
        }
        sannip_text_printf(&out, ",%s", line);
    }
    sannip_text_printf(&out, "\n");
    for (i = 0; i < L.n; i++) {
        sannip_system sys = sannip_structure_view(&L.s[i]);
        sannip_real *G = (sannip_real *)malloc(sizeof(sannip_real) * ((size_t)sys.n * d.n + 1));
        if (!G) { fprintf(stderr, "sannip features: out of memory\n"); return 1; }
        if ((r = sannip_descriptors_compute(&d, &ws, &sys, G, &err)) != SANNIP_SUCCESS) {
            fprintf(stderr, "sannip features: structure %d of %s: %s: %s\n", i + 1, o.pos[1], sannip_result_string((sannip_result)r), err.message);
            return 1;
        }
        for (a = 0; a < sys.n; a++) {
            sannip_text_printf(&out, "%d,%d,%s", i + 1, a + 1, sannip_element_symbol(sys.Z[a]));
            for (f = 0; f < d.n; f++) { char nb[64]; sannip_format_real(nb, sizeof nb, G[(size_t)a * d.n + f]); sannip_text_printf(&out, ",%s", nb); }
            sannip_text_printf(&out, "\n");
        }
        free(G);
    }
    if (out.failed) { fprintf(stderr, "sannip features: out of memory\n"); return 1; }
    if ((r = sannip_write_file_atomic(o.out, out.s, out.len, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    printf("wrote %d bases for %d structures -> %s\n", d.n, L.n, o.out);
    sannip_text_uninit(&out); sannip_dataset_uninit(&L); sannip_workspace_uninit(&ws); sannip_descriptors_uninit(&d);
    return 0;
}

static int cmd_descriptors(int argc, char **argv)
{
    opts o;
    sannip_descriptors d;
    sannip_error err;
    sannip_text out;
    int r, f;
    char line[1024];
    if ((r = parse_opts(argc, argv, &o, "descriptors")) != 0) return r;
    if (o.npos != 1 || !o.out) return usage_error("descriptors", "needs MODEL|bp-fe -o FILE");
    if ((r = load_descriptors(o.pos[0], &d, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    sannip_text_init(&out, NULL);
    sannip_text_printf(&out, "# sannip descriptor set: %d bases (one per line; see 'sannip help descriptors')\n", d.n);
    for (f = 0; f < d.n; f++) { sannip_basis_format(&d.b[f], line, sizeof line); sannip_text_printf(&out, "%s\n", line); }
    if ((r = sannip_write_file_atomic(o.out, out.s, out.len, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    printf("wrote %d bases -> %s\n", d.n, o.out);
    sannip_text_uninit(&out); sannip_descriptors_uninit(&d);
    return 0;
}

/* ---- spin Monte Carlo ---- */
/* Parses "300", "800,900" or "FROM:TO:STEP" into T (at most max values); count or -1. */
static int parse_temperatures(const char *v, double *T, int max)
{
    double a, b, st;
    int n = 0;
    char *end;
    if (sscanf(v, "%lf:%lf:%lf", &a, &b, &st) == 3) {
        if (!(a > 0) || !(b >= a) || !(st > 0)) return -1;
        for (; a <= b + 1e-9 * st && n < max; a += st) T[n++] = a;
        return n;
    }
    while (*v && n < max) {
        T[n] = strtod(v, &end);
        if (end == v || !(T[n] > 0) || (*end && *end != ',')) return -1;
        n++; v = *end ? end + 1 : end;
    }
    return *v ? -1 : n;
}
/* Options of 'sannip mc' that are not files: the configuration, the starts (--init), the
   walkers, the seed and the magnitude (0: from the structure). 0 on a bad option. */
typedef struct mc_opts { sannip_mc_config cfg; double T[256], mag, seed, magZ[119], B[3]; int nT, nw, ninit; char inits[8][8]; extrap_log xl; } mc_opts;
static int mc_opts_of(opts *o, mc_opts *q)
{
    const char *il;
    double v;
    q->cfg = sannip_mc_config_init(300); q->mag = 0; q->ninit = 0;
    q->nT = parse_temperatures(opt(o, "--temperature", ""), q->T, 256);
    if (q->nT < 1) { usage_error("mc", "--temperature: positive kelvin values, a list, or FROM:TO:STEP"); return 0; }
    for (il = opt(o, "--init", "fm"); *il && q->ninit < 8; ) {
        size_t len = strcspn(il, ",");
        char *s = q->inits[q->ninit];
        if (len == 0 || len >= sizeof q->inits[0]) { usage_error("mc", "--init: fm, pm, afm, ordered or file"); return 0; }
        memcpy(s, il, len); s[len] = 0;
        if (strcmp(s, "fm") && strcmp(s, "pm") && strcmp(s, "afm") && strcmp(s, "file") && strcmp(s, "ordered")) { usage_error("mc", "--init: fm, pm, afm, ordered or file"); return 0; }
        q->ninit++; il += len + (il[len] == ',');
    }
    if (!opt_num(o, "mc", "--sweeps", 1000, 1, 1e9, &v)) return 0;
    q->cfg.length = (int64_t)v;
    if (!opt_num(o, "mc", "--equil", 200, 0, 1e9, &v)) return 0;
    q->cfg.equil = v == 0 ? SANNIP_OFF : (int64_t)v;   /* 0 in a flag means none */
    if (opt(o, "--accepted", NULL)) {
        if (!opt_num(o, "mc", "--accepted", 0, 1, 1e12, &v)) return 0;
        q->cfg.unit = SANNIP_MC_ACCEPTED; q->cfg.length = (int64_t)v; q->cfg.equil = (int64_t)v;
    }
    if (!opt_num(o, "mc", "--step", 0.5, 1e-6, 2, &q->cfg.step) || !extrap_of(o, "mc", &q->xl)) return 0;
    if (!opt_num(o, "mc", "--walkers", 1, 1, 256, &v)) return 0;
    q->nw = (int)v;
    if (!opt_num(o, "mc", "--seed", 1, 0, 1.8e19, &q->seed)) return 0;
    if (strcmp(opt(o, "--move", "first"), "zeroth") == 0) q->cfg.move = SANNIP_MC_ZEROTH;
    else if (strcmp(opt(o, "--move", "first"), "first") != 0) { usage_error("mc", "--move must be first or zeroth"); return 0; }
    q->cfg.collinear = opt(o, "--collinear", NULL) != NULL;
    q->B[0] = q->B[1] = q->B[2] = 0;
    if (opt(o, "--field", NULL) && sscanf(opt(o, "--field", ""), "%lf,%lf,%lf", &q->B[0], &q->B[1], &q->B[2]) != 3) { usage_error("mc", "--field Bx,By,Bz"); return 0; }
    if (opt(o, "--field-sweep", NULL) && (q->nT != 1 || q->nw != 1)) { usage_error("mc", "--field-sweep needs one temperature and one walker"); return 0; }
    if (opt(o, "--magnitude", NULL)) {
        double sd = 0;
        int got = sscanf(opt(o, "--magnitude", ""), "%lf,%lf", &q->mag, &sd);
        if (got < 1 || !(q->mag > 0) || !(sd >= 0)) { usage_error("mc", "--magnitude M[,SD] with M > 0, SD >= 0"); return 0; }
        if (got == 2 && sd > 0) { q->cfg.magnitude = SANNIP_MC_MAG_NORMAL; q->cfg.mag_a = q->mag; q->cfg.mag_b = sd; }
    }
    return 1;
}
/* Per-element |S| (q->magZ[Z], -1 for absent elements): --magnitude for magnetic elements,
   else the mean |S| of the element's spins in s; 0 (no moment) when that mean is below 1e-3
   while other elements carry moments. */
static void mc_element_magnitudes(mc_opts *q, const sannip_structure *s)
{
    double sum[119] = { 0 }, all = 0;
    int cnt[119] = { 0 }, i, z;
    for (i = 0; i < s->n; i++) {
        const sannip_real *x = s->spins + 3 * i;
        double m = sqrt((double)x[0] * x[0] + (double)x[1] * x[1] + (double)x[2] * x[2]);
        z = s->Z[i] >= 1 && s->Z[i] <= 118 ? s->Z[i] : 0;
        sum[z] += m; cnt[z]++; all += m;
    }
    for (z = 0; z < 119; z++) {
        q->magZ[z] = -1;
        if (!cnt[z]) continue;
        if (all > 0 && sum[z] / cnt[z] < 1e-3) q->magZ[z] = 0;
        else q->magZ[z] = q->mag > 0 ? q->mag : all > 0 ? sum[z] / cnt[z] : 1;
    }
}
/* The structure's own collinear order: sign[i] = sign of S_z (+1 for S_z = 0); prints what
   it recognised. 0 when the structure has no moments. */
static int mc_ordered_signs(const sannip_structure *s, const mc_opts *q, int *sign)
{
    int i, up = 0, down = 0, none = 0;
    double mz = 0;
    for (i = 0; i < s->n; i++) {
        sign[i] = s->spins[3 * i + 2] < 0 ? -1 : 1;
        if (q->magZ[s->Z[i]] == 0) none++; else if (sign[i] > 0) up++; else down++;
        if (q->magZ[s->Z[i]] > 0) mz += sign[i] * q->magZ[s->Z[i]];
    }
    printf("  ordered start from the structure's moments: %d up, %d down, %d without a moment (net %.4g per atom: %s)\n",
           up, down, none, mz / s->n, up == down ? "antiferromagnetic" : down == 0 ? "ferromagnetic" : "ferrimagnetic");
    return up + down > 0;
}
/* The start spins of kind init ("fm", "pm", "afm" on two bcc sublattices, "file"). */
static sannip_result mc_start_spins(const char *init, const mc_opts *q, const sannip_structure *s, double a_lat, int k, sannip_real *spins, sannip_error *err)
{
    sannip_spin_magnitude sm;
    sannip_rng rng;
    sannip_result r;
    int n = s->n, *sub, i;
    sm.mean = 1; sm.sd = 0;
    sannip_rng_seed(&rng, (uint64_t)q->seed + 1000 * (uint64_t)k);
    if (!strcmp(init, "file")) {   /* as they are; atoms without a moment exactly zero */
        memcpy(spins, s->spins, sizeof(sannip_real) * 3 * (size_t)n);
        for (i = 0; i < 3 * n; i++) if (q->magZ[s->Z[i / 3]] == 0) spins[i] = 0;
        return SANNIP_SUCCESS;
    }
    if (!(sub = (int *)calloc((size_t)n, sizeof(int)))) return SANNIP_OUT_OF_MEMORY;
    if (!strcmp(init, "fm")) r = sannip_spin_fm(n, &sm, &rng, spins, err);
    else if (!strcmp(init, "pm")) r = q->cfg.collinear ? sannip_spin_afm_random(n, &sm, &rng, spins, err) : sannip_spin_pm(n, &sm, &rng, spins, err);
    else if (!strcmp(init, "ordered")) r = mc_ordered_signs(s, q, sub) ? sannip_spin_afm(n, sub, &sm, &rng, spins, err) : SANNIP_INVALID_ARGS;
    else {
        r = sannip_spin_sublattice(n, s->pos, s->cell, (sannip_real)a_lat, SANNIP_SUBLATTICE_BCC, sub, err);
        if (r == SANNIP_SUCCESS) r = sannip_spin_afm(n, sub, &sm, &rng, spins, err);
    }
    if (r == SANNIP_INVALID_ARGS && !strcmp(init, "ordered")) { if (err) snprintf(err->message, sizeof err->message, "--init ordered: the structure has no moments"); }
    for (i = 0; r == SANNIP_SUCCESS && i < 3 * n; i++) spins[i] *= (sannip_real)q->magZ[s->Z[i / 3]];   /* per element */
    free(sub);
    return r;
}
/* One start: its walkers through the temperatures, the printed summary, and its rows of the
   table (with an init column) appended to all. 0 on success. */
/* Hysteresis loop: one chain at q->T[0] through B_z = F..T..F (--field-sweep F:T:S), rows
   appended to all. 0 on success. */
static int mc_field_sweep(opts *o, const mc_opts *q, const char *init, const sannip_mc_model *mm, sannip_mc_zeeman *z,
                          const sannip_real *spins, sannip_text *all, int k)
{
    double f0, f1, st, B;
    sannip_mc mc;
    sannip_mc_stats s;
    sannip_mc_config cfg = q->cfg;
    sannip_rng rng;
    sannip_error err;
    sannip_result r;
    int i, nsteps, n = mm->n;
    if (sscanf(opt(o, "--field-sweep", ""), "%lf:%lf:%lf", &f0, &f1, &st) != 3 || !(st > 0) || !(f1 != f0)) { usage_error("mc", "--field-sweep FROM:TO:STEP with STEP > 0"); return 2; }
    nsteps = (int)floor(fabs(f1 - f0) / st + 1e-9);
    if (nsteps < 1 || nsteps > 100000) { usage_error("mc", "--field-sweep: 1 to 100000 steps"); return 2; }
    cfg.T = q->T[0];
    sannip_mc_rng_stream((uint64_t)q->seed + 7919 * (uint64_t)k, 0, &rng);
    if ((r = sannip_mc_init(&mc, mm, spins, &cfg, &rng, NULL, &err)) != SANNIP_SUCCESS) return fail(&err, r);
    if (k == 0) sannip_text_printf(all, "init,B,Mz,m,m_err,e,e_err,acceptance\n");
    for (i = 0; i <= 2 * nsteps; i++) {
        int j = i <= nsteps ? i : 2 * nsteps - i;
        B = f0 + (f1 > f0 ? 1 : -1) * j * st;
        z->B[0] = q->B[0]; z->B[1] = q->B[1]; z->B[2] = B;
        if ((r = sannip_mc_run(&mc, &s, &err)) != SANNIP_SUCCESS) { sannip_mc_uninit(&mc); return fail(&err, r); }
        sannip_text_printf(all, "%s,%.8g,%.8g,%.8g,%.8g,%.10g,%.10g,%.4f\n", init, B, mc.M[2] / n, s.m.mean, s.m.err, s.e.mean, s.e.err, s.acceptance);
        printf("  %-4s B_z %+.4f  M_z/N %+.4f  <|M|>/N %.4f  acceptance %.2f\n", init, B, mc.M[2] / n, s.m.mean, s.acceptance);
    }
    sannip_mc_uninit(&mc);
    return 0;
}
/* --save / --restart: the latest state text of each start, written together to the save
   file; the states read from the restart file (start k restores at[k] when k < n_at). */
typedef struct mc_states { sannip_text *state; int n, n_at; char *file; const char *at[8]; size_t len[8]; } mc_states;
static int mc_states_open(opts *o, const mc_opts *q, mc_states *ms)
{
    sannip_error err;
    sannip_result r;
    size_t len;
    char *p;
    int k;
    memset(ms, 0, sizeof *ms);
    if (!opt(o, "--save", NULL) && !opt(o, "--restart", NULL)) return 0;
    if (q->nT != 1 || q->nw != 1 || opt(o, "--field-sweep", NULL)) return usage_error("mc", "--save and --restart need one temperature and one walker (no --field-sweep)");
    if (!(ms->state = (sannip_text *)calloc((size_t)q->ninit, sizeof *ms->state))) { fprintf(stderr, "sannip mc: out of memory\n"); return 1; }
    ms->n = q->ninit;
    for (k = 0; k < ms->n; k++) sannip_text_init(&ms->state[k], NULL);
    if (!opt(o, "--restart", NULL)) return 0;
    if ((r = sannip_read_file(opt(o, "--restart", ""), NULL, &ms->file, &len, &err)) != SANNIP_SUCCESS) return fail(&err, r);
    for (p = strstr(ms->file, "sannip-mc-state "); p; p = strstr(p + 1, "sannip-mc-state ")) {
        if (ms->n_at == ms->n) { fprintf(stderr, "sannip mc: %s holds more states than the %d start(s) of --init\n", opt(o, "--restart", ""), ms->n); return 1; }
        ms->at[ms->n_at++] = p;
    }
    if (ms->n_at == 0) { fprintf(stderr, "sannip mc: %s holds no 'sannip-mc-state' text\n", opt(o, "--restart", "")); return 1; }
    for (k = 0; k < ms->n_at; k++) ms->len[k] = (size_t)((k + 1 < ms->n_at ? ms->at[k + 1] : ms->file + len) - ms->at[k]);
    return 0;
}
static void mc_states_close(mc_states *ms)
{
    int k;
    for (k = 0; k < ms->n; k++) sannip_text_uninit(&ms->state[k]);
    free(ms->state); free(ms->file);
}
/* Start k's state as it stands (a checkpoint: the model reloaded, then saved) into the
   save file with the other starts' latest states. 0 on success. */
static int mc_states_save(opts *o, mc_states *ms, int k, sannip_mc *mc)
{
    sannip_text all;
    sannip_error err;
    sannip_result r;
    int j;
    sannip_text_uninit(&ms->state[k]); sannip_text_init(&ms->state[k], NULL);
    if ((r = sannip_mc_checkpoint(mc, &ms->state[k], &err)) != SANNIP_SUCCESS) return fail(&err, r);
    sannip_text_init(&all, NULL);
    for (j = 0; j < ms->n; j++) if (ms->state[j].s) sannip_text_printf(&all, "%s", ms->state[j].s);
    r = all.failed ? SANNIP_OUT_OF_MEMORY : sannip_write_file_atomic(opt(o, "--save", ""), all.s, all.len, &err);
    sannip_text_uninit(&all);
    return r != SANNIP_SUCCESS ? fail(&err, r) : 0;
}
/* One start as one chain with saves and restarts: its production statistics in *st. */
static int mc_chain(opts *o, const mc_opts *q, int k, const sannip_mc_model *mm, const sannip_real *spins,
                    const sannip_mc_config *cfg0, mc_states *ms, sannip_mc_stats *st)
{
    sannip_mc_config cfg = *cfg0;
    sannip_mc mc;
    sannip_rng rng;
    sannip_error err;
    sannip_result r;
    double every;
    int fin = 0, rc = 0;
    if (!opt_num(o, "mc", "--save-every", 0, 0, 1e12, &every)) return 2;
    cfg.T = q->T[0];
    sannip_mc_rng_stream((uint64_t)q->seed + 7919 * (uint64_t)k, 0, &rng);
    if ((r = sannip_mc_init(&mc, mm, spins, &cfg, &rng, NULL, &err)) != SANNIP_SUCCESS) return fail(&err, r);
    if (k < ms->n_at && (r = sannip_mc_restore(&mc, ms->at[k], ms->len[k], &err)) != SANNIP_SUCCESS) { sannip_mc_uninit(&mc); return fail(&err, r); }
    if (k < ms->n_at) printf("  %-4s restarted from %s after %lld moves\n", q->inits[k], opt(o, "--restart", ""), (long long)mc.attempted);
    while (!fin && rc == 0) {
        if ((r = sannip_mc_advance(&mc, every > 0 ? (int64_t)every : INT64_MAX, &fin, st, &err)) != SANNIP_SUCCESS) rc = fail(&err, r);
        else if (opt(o, "--save", NULL)) rc = mc_states_save(o, ms, k, &mc);
    }
    sannip_mc_uninit(&mc);
    return rc;
}

/* Per-sample rows of one start, one text per walker (walkers run in threads). */
typedef struct mc_series { const char *init; sannip_text *t; } mc_series;
static void mc_series_sample(void *user, const sannip_mc_sample *s)
{
    mc_series *q = (mc_series *)user;
    sannip_text_printf(&q->t[s->walker], "%s,%d,%d,%d,%lld,%.6g,%.10g,%.10g,%.8g,%.8g,%.8g,%.6g\n", q->init, s->walker, s->temp_index, s->phase,
                       (long long)s->sweep, s->T, s->E, s->e, s->m, s->ratio, s->polar, s->step);
}
/* Extrapolation of the sampled configurations: every production sample of walker w is
   checked on its local-update cache (the current spins and their features); counts per
   walker and temperature (walkers run in threads), the worst value per walker. */
typedef struct mc_extrap {
    mc_series *ser; const sannip_spin_local *loc; double tol; int nT;
    long *samples, *flagged; sannip_extrapolation *worst;
} mc_extrap;
static void mc_sample(void *user, const sannip_mc_sample *s)
{
    mc_extrap *q = (mc_extrap *)user;
    const sannip_spin_local *L = &q->loc[s->walker];
    sannip_extrapolation x;
    size_t k = (size_t)s->walker * q->nT + s->temp_index;
    if (q->ser) mc_series_sample(q->ser, s);
    if (q->tol < 0 || s->phase != 1) return;
    if (sannip_model_check_range(L->m, L->n, L->Z, L->G, L->fmax, L->spins, (sannip_real)q->tol, &x, NULL) != SANNIP_SUCCESS) return;
    q->samples[k]++;
    if (x.n_atoms == 0) return;
    q->flagged[k]++;
    if (q->worst[s->walker].atom < 0 || x.excess > q->worst[s->walker].excess) q->worst[s->walker] = x;
}
/* The summary line of one start: flagged samples of all walkers, by temperature. */
static void mc_extrap_report(const mc_extrap *q, const mc_opts *o, const char *init, const sannip_model *m)
{
    long ns = 0, nf = 0, ft, st;
    int w, t, shown = 0, worst = -1;
    char line[512];
    if (q->tol < 0) return;
    for (w = 0; w < o->nw; w++) {
        for (t = 0; t < o->nT; t++) { ns += q->samples[(size_t)w * o->nT + t]; nf += q->flagged[(size_t)w * o->nT + t]; }
        if (q->worst[w].atom >= 0 && (worst < 0 || q->worst[w].excess > q->worst[worst].excess)) worst = w;
    }
    printf("  %-4s extrapolation: %ld of %ld production samples outside the training range by more than %g of its width", init, nf, ns, q->tol);
    for (t = 0; t < o->nT && nf > 0; t++) {
        for (w = 0, ft = 0, st = 0; w < o->nw; w++) { ft += q->flagged[(size_t)w * o->nT + t]; st += q->samples[(size_t)w * o->nT + t]; }
        if (ft > 0 && shown++ < 8) printf("%s %g K %ld/%ld", shown == 1 ? ":" : ",", o->T[t], ft, st);
    }
    printf("\n");
    if (worst >= 0) {
        extrap_worst(line, sizeof line, m, &q->worst[worst]);
        fprintf(stderr, "sannip mc: warning: %s start: %ld of %ld samples leave the training range; worst: %s\n", init, nf, ns, line);
    }
}
static int mc_run_start(opts *o, const mc_opts *q, int k, const sannip_model *m, const sannip_structure *s, double a_lat, sannip_text *all, sannip_text *series, mc_states *ms)
{
    sannip_mc_config cfg;
    mc_series ser;
    mc_extrap xq;
    const char *init = q->inits[k];
    int n = s->n, nT = q->nT, nw = q->nw, w, i;
    sannip_spin_local *loc = (sannip_spin_local *)calloc((size_t)nw, sizeof *loc);
    sannip_mc_model *mm = (sannip_mc_model *)calloc((size_t)nw, sizeof *mm);
    sannip_mc_zeeman *zee = (sannip_mc_zeeman *)calloc((size_t)nw, sizeof *zee);
    sannip_mc_stats *st = (sannip_mc_stats *)calloc((size_t)nT, sizeof *st);
    sannip_real *spins = (sannip_real *)calloc(3 * (size_t)n, sizeof(sannip_real));
    sannip_system sys = sannip_structure_view(s);
    sannip_text out;
    sannip_error err;
    sannip_result r;
    char *line, *nl;
    if (!loc || !mm || !st || !spins || !zee) { fprintf(stderr, "sannip mc: out of memory\n"); return 1; }
    if ((r = mc_start_spins(init, q, s, a_lat, k, spins, &err)) != SANNIP_SUCCESS) return fail(&err, r);
    sys.spins = spins;
    for (w = 0, r = SANNIP_SUCCESS; w < nw && r == SANNIP_SUCCESS; w++) {
        r = sannip_spin_local_init(&loc[w], m, &sys, NULL, &err);
        mm[w] = sannip_spin_local_mc_model(&loc[w]);
        if (r == SANNIP_SUCCESS && (r = sannip_mc_zeeman_init(&zee[w], &mm[w], q->B, NULL, &err)) == SANNIP_SUCCESS) mm[w] = sannip_mc_zeeman_model(&zee[w]);
    }
    if (r != SANNIP_SUCCESS) return fail(&err, r);
    if (opt(o, "--field-sweep", NULL)) {
        int rc = mc_field_sweep(o, q, init, &mm[0], &zee[0], spins, all, k);
        for (w = 0; w < nw; w++) { sannip_mc_zeeman_uninit(&zee[w]); sannip_spin_local_uninit(&loc[w]); }
        free(loc); free(mm); free(st); free(spins); free(zee);
        return rc;
    }
    cfg = q->cfg;
    ser.init = init; ser.t = series ? series + (size_t)k * nw : NULL;
    memset(&xq, 0, sizeof xq);
    xq.ser = series ? &ser : NULL; xq.loc = loc; xq.tol = q->xl.tol; xq.nT = nT;
    xq.samples = (long *)calloc((size_t)nw * nT, sizeof(long)); xq.flagged = (long *)calloc((size_t)nw * nT, sizeof(long));
    xq.worst = (sannip_extrapolation *)calloc((size_t)nw, sizeof *xq.worst);
    if (!xq.samples || !xq.flagged || !xq.worst) { fprintf(stderr, "sannip mc: out of memory\n"); return 1; }
    for (w = 0; w < nw; w++) xq.worst[w].atom = -1;
    if (series || xq.tol >= 0) { cfg.on_sample = mc_sample; cfg.sample_user = &xq; }
    if (ms->state) { int rc = mc_chain(o, q, k, &mm[0], spins, &cfg, ms, st); if (rc) return rc; }
    else if ((r = sannip_mc_curie_scan(mm, nw, spins, nT, q->T, opt(o, "--no-carry", NULL) == NULL, &cfg, (uint64_t)q->seed + 7919 * (uint64_t)k, st, NULL, &err)) != SANNIP_SUCCESS)
        return fail(&err, r);
    for (i = 0; i < nT; i++) {
        printf("  %-4s T %7.1f K  ratio %.4f +- %.4f  <|M|>/N %.4f  e %.6f eV  chi %.4g  U4 %.4f  acceptance %.2f\n", init, q->T[i],
               st[i].ratio.mean, st[i].ratio.err, st[i].m.mean, st[i].e.mean, st[i].chi.mean, st[i].u4.mean, st[i].acceptance);
        if (st[i].acceptance > 0.9 || st[i].acceptance < 0.1)
            fprintf(stderr, "sannip mc: warning: %s start at %g K: acceptance %.2f (step %.3g): moves are %s to sample well; try --step %s, --move zeroth or more --equil\n",
                    init, q->T[i], st[i].acceptance, st[i].step, st[i].acceptance > 0.9 ? "too small" : "too large", st[i].acceptance > 0.9 ? "larger" : "smaller");
    }
    mc_extrap_report(&xq, q, init, m);
    free(xq.samples); free(xq.flagged); free(xq.worst);
    if (nT >= 3) {
        double chi[256], ce[256], tc, tce;
        for (i = 0; i < nT; i++) { chi[i] = st[i].chi.mean; ce[i] = st[i].chi.err; }
        if (sannip_mc_chi_peak(nT, q->T, chi, ce, &tc, &tce, NULL) == SANNIP_SUCCESS) printf("  %-4s susceptibility peak: T_c ~ %.0f +- %.0f K (finite size: %d atoms)\n", init, tc, tce, n);
        else printf("  %-4s no susceptibility peak inside the temperature grid\n", init);
    }
    sannip_text_init(&out, NULL);
    if (sannip_mc_write_csv(&out, nT, st, &err) != SANNIP_SUCCESS) return fail(&err, (sannip_result)err.code);
    for (line = out.s; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (line == out.s) { if (k == 0) sannip_text_printf(all, "init,%.*s\n", (int)(nl ? nl - line : (long)strlen(line)), line); }
        else sannip_text_printf(all, "%s,%.*s\n", init, (int)(nl ? nl - line : (long)strlen(line)), line);
        if (!nl) break;
    }
    sannip_text_uninit(&out);
    for (w = 0; w < nw; w++) { sannip_mc_zeeman_uninit(&zee[w]); sannip_spin_local_uninit(&loc[w]); }
    free(loc); free(mm); free(st); free(spins); free(zee);
    return 0;
}
static int cmd_mc(int argc, char **argv)
{
    opts o;
    mc_opts q;
    sannip_model m;
    sannip_error err;
    sannip_dataset L;
    sannip_text all, *series = NULL;
    mc_states ms;
    double a_lat;
    int r, i, k, n;
    if ((r = parse_opts(argc, argv, &o, "mc")) != 0) return r;
    if (o.npos != 2 || !o.out || !opt(&o, "--temperature", NULL)) return usage_error("mc", "needs MODEL STRUCTURE -o OUT.csv --temperature T");
    if (!mc_opts_of(&o, &q)) return 2;
    if ((r = load_model(o.pos[0], &m, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    if (!sannip_descriptors_need_spins(&m.desc)) { fprintf(stderr, "sannip mc: %s has no spin bases: its energy does not depend on the spins\n", o.pos[0]); return 1; }
    if ((r = read_structures(o.pos[1], &L, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    n = L.s[0].n;
    if (!L.s[0].spins) {
        for (k = 0; k < q.ninit; k++) if (!strcmp(q.inits[k], "file")) { fprintf(stderr, "sannip mc: --init file, but %s has no spins\n", o.pos[1]); return 1; }
        if (sannip_structure_resize(&L.s[0], n, L.s[0].forces != NULL, 1, &err) != SANNIP_SUCCESS) return fail(&err, err.code);
    }
    mc_element_magnitudes(&q, &L.s[0]);
    if (!opt_num(&o, "mc", "--a", cbrt(2 * sannip_cell_volume(L.s[0].cell) / n), 0.1, 100, &a_lat)) return 2;
    sannip_text_init(&all, NULL);
    printf("spin Monte Carlo: %s on %s (%d atoms), %d temperature(s), start(s)", o.pos[0], o.pos[1], n, q.nT);
    for (k = 0; k < q.ninit; k++) printf(" %s", q.inits[k]);
    printf(", %d walker(s), %lld %s per temperature, |S|:", q.nw, (long long)q.cfg.length, q.cfg.unit == SANNIP_MC_ACCEPTED ? "accepted moves" : "sweeps");
    for (i = 1; i < 119; i++) if (q.magZ[i] >= 0) printf(" %s %.4g%s", sannip_element_symbol(i), q.magZ[i], q.magZ[i] == 0 ? " (no moment: never moves)" : "");
    printf("\n");
    if (opt(&o, "--series", NULL) && !(series = (sannip_text *)calloc((size_t)q.ninit * q.nw, sizeof *series))) { fprintf(stderr, "sannip mc: out of memory\n"); return 1; }
    for (k = 0; series && k < q.ninit * q.nw; k++) sannip_text_init(&series[k], NULL);
    if ((r = mc_states_open(&o, &q, &ms)) != 0) return r;
    for (k = 0; k < q.ninit; k++) if ((r = mc_run_start(&o, &q, k, &m, &L.s[0], a_lat, &all, series, &ms)) != 0) return r;
    if (opt(&o, "--save", NULL)) printf("chain state(s) -> %s\n", opt(&o, "--save", ""));
    mc_states_close(&ms);
    if (all.failed || (r = sannip_write_file_atomic(o.out, all.s, all.len, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    if (series) {   /* one table: starts and walkers in order */
        sannip_text t;
        sannip_text_init(&t, NULL);
        sannip_text_printf(&t, "init,walker,T_index,phase,sweep,T,E,e,m,ratio,polar,step\n");
        for (k = 0; k < q.ninit * q.nw; k++) { if (series[k].s) sannip_text_printf(&t, "%s", series[k].s); sannip_text_uninit(&series[k]); }
        if (t.failed || (r = sannip_write_file_atomic(opt(&o, "--series", ""), t.s, t.len, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
        printf("samples -> %s\n", opt(&o, "--series", ""));
        sannip_text_uninit(&t); free(series);
    }
    printf("observables -> %s\n", o.out);
    sannip_text_uninit(&all); sannip_dataset_uninit(&L); sannip_model_uninit(&m);
    return 0;
}

/* ---- sannip sld ---- */
/* The run's outputs: CSV rows, progress lines with an ETA, trajectory frames. */
typedef struct sld_out {
    sannip_sld *d; sannip_text csv; FILE *traj; const sannip_structure *s;
    long steps, traj_every; time_t t0; double kB;
} sld_out;
static void sld_frame(sld_out *o)
{
    const sannip_sld *d = o->d;
    const double *c = d->cell;
    int i;
    fprintf(o->traj, "%d\nLattice=\"%.10g %.10g %.10g %.10g %.10g %.10g %.10g %.10g %.10g\" Properties=species:S:1:pos:R:3:velo:R:3:momenta:R:3:magmoms:R:3 time=%.6f step=%ld pbc=\"%c %c %c\"\n",
            d->n, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], d->t, d->step, d->pbc[0] ? 'T' : 'F', d->pbc[1] ? 'T' : 'F', d->pbc[2] ? 'T' : 'F');
    for (i = 0; i < d->n; i++) {
        const double *p = d->pos + 3 * i, *v = d->vel + 3 * i, *S = d->spins + 3 * i;
        double k = d->mass[i] / 0.09822694788464063;   /* ASE momenta: amu A per ASE time (ase.units.fs fs) */
        fprintf(o->traj, "%-2s %.10f %.10f %.10f %.10e %.10e %.10e %.10e %.10e %.10e %.10f %.10f %.10f\n", sannip_element_symbol(o->s->Z[i]),
                p[0], p[1], p[2], v[0], v[1], v[2], k * v[0], k * v[1], k * v[2], S[0], S[1], S[2]);
    }
}
static int sld_sample(void *user, const sannip_sld_sample *s)
{
    sld_out *o = (sld_out *)user;
    double el = difftime(time(NULL), o->t0);
    sannip_text_printf(&o->csv, "%ld,%.4f,%.10f,%.10f,%.10f,%.3f,%.3f,%.8f,%.8f,%.8f,%.8f\n", s->step, s->t, s->E_pot, s->E_kin, s->E_total,
                       s->T_lattice, s->T_spin, s->M[0], s->M[1], s->M[2], s->m);
    if (o->traj && s->step % o->traj_every == 0) sld_frame(o);
    printf("  step %7ld/%ld  t %9.1f fs  E %.6f eV/atom  T_lat %7.1f K  T_spin %7.1f K  m %.4f  ETA %.0f s\n", s->step, o->steps, s->t,
           s->E_total / o->d->n, s->T_lattice, s->T_spin, s->m, s->step > 0 ? el * (double)(o->steps - s->step) / s->step : 0.0);
    fflush(stdout);
    return 0;
}
/* The run parameters of 'sannip sld' from the options; 0 on a bad option. */
static int sld_config(const opts *o, sannip_sld_config *cfg, double *steps, double *every, double *tv)
{
    double T, Ts, seed;
    *cfg = sannip_sld_config_init();
    if (!opt_num(o, "sld", "--dt", 1, 1e-6, 100, &cfg->dt) || !opt_num(o, "sld", "--steps", 1000, 0, 1e12, steps)
        || !opt_num(o, "sld", "--every", 10, 1, 1e12, every) || !opt_num(o, "sld", "--temperature", 0, 0, 1e6, &T)
        || !opt_num(o, "sld", "--spin-temperature", T, 0, 1e6, &Ts) || !opt_num(o, "sld", "--gamma", 0, 0, 100, &cfg->gamma)
        || !opt_num(o, "sld", "--lambda", 0, 0, 100, &cfg->lambda) || !opt_num(o, "sld", "--velocities", T, 0, 1e6, tv)
        || !opt_num(o, "sld", "--seed", 1, 0, 1.8e19, &seed))
        return 0;
    cfg->T_lattice = T; cfg->T_spin = Ts; cfg->seed = (uint64_t)seed;
    cfg->frozen_lattice = opt(o, "--frozen", NULL) != NULL;
    if (opt(o, "--field", NULL) && sscanf(opt(o, "--field", ""), "%lf,%lf,%lf", &cfg->zeeman[0], &cfg->zeeman[1], &cfg->zeeman[2]) != 3) {
        usage_error("sld", "--field Bx,By,Bz (eV/hbar)"); return 0;
    }
    cfg->sample_every = (int)*every;
    return 1;
}
/* Initial spins (--init data|fm|pm, --magnitude) as doubles. 0 on a bad option. */
static int sld_spins(const opts *o, const sannip_structure *s, double *S)
{
    const char *init = opt(o, "--init", "data");
    double mag, sum = 0;
    sannip_rng rng;
    int i;
    for (i = 0; s->spins && i < s->n; i++) sum += sqrt(pow(s->spins[3 * i], 2) + pow(s->spins[3 * i + 1], 2) + pow(s->spins[3 * i + 2], 2));
    if (!opt_num(o, "sld", "--magnitude", sum > 0 ? sum / s->n : 1.1, 0, 100, &mag)) return 0;
    sannip_rng_seed(&rng, 12345);
    for (i = 0; i < s->n; i++) {
        double *x = S + 3 * i;
        if (!strcmp(init, "data")) { int a; for (a = 0; a < 3; a++) x[a] = s->spins ? s->spins[3 * i + a] : 0; }
        else if (!strcmp(init, "fm")) { x[0] = x[1] = 0; x[2] = mag; }
        else if (!strcmp(init, "pm")) {
            double z = 2 * sannip_rng_uniform(&rng) - 1, ph = 6.283185307179586 * sannip_rng_uniform(&rng), r = sqrt(1 - z * z);
            x[0] = mag * r * cos(ph); x[1] = mag * r * sin(ph); x[2] = mag * z;
        } else { usage_error("sld", "--init: data, fm or pm"); return 0; }
    }
    if (!strcmp(init, "data") && !s->spins) { fprintf(stderr, "sannip sld: the structure has no spins: use --init fm or pm\n"); return 0; }
    return 1;
}
/* Runs d for the options' steps with outputs; 0 on success. */
static int sld_run(const opts *o, sannip_sld *d, const sannip_structure *s, double steps, double every)
{
    sld_out out;
    sannip_error err;
    sannip_result r;
    double te;
    memset(&out, 0, sizeof out);
    out.d = d; out.s = s; out.steps = (long)steps; out.t0 = time(NULL);
    if (!opt_num(o, "sld", "--traj-every", every, 1, 1e12, &te)) return 2;
    out.traj_every = (long)te;
    if (opt(o, "--traj", NULL) && !(out.traj = fopen(opt(o, "--traj", ""), "w"))) { fprintf(stderr, "sannip sld: cannot write %s\n", opt(o, "--traj", "")); return 1; }
    sannip_text_init(&out.csv, NULL);
    sannip_text_printf(&out.csv, "step,t_fs,E_pot,E_kin,E_total,T_lattice,T_spin,Mx,My,Mz,m\n");
    d->cfg.on_sample = sld_sample; d->cfg.sample_user = &out;
    r = sannip_sld_run(d, (long)steps, &err);
    if (out.traj) fclose(out.traj);
    if (r != SANNIP_SUCCESS) return fail(&err, r);
    if (out.csv.failed || (r = sannip_write_file_atomic(o->out, out.csv.s, out.csv.len, &err)) != SANNIP_SUCCESS) return fail(&err, r);
    printf("time series -> %s%s%s; %.1f model evaluations per step, %.1f s\n", o->out, out.traj ? ", trajectory -> " : "", out.traj ? opt(o, "--traj", "") : "",
           steps > 0 ? (double)(d->n_compute_calls + d->n_field_calls) / steps : 0.0, difftime(time(NULL), out.t0));
    sannip_text_uninit(&out.csv);
    return 0;
}
static int cmd_sld(int argc, char **argv)
{
    opts o;
    sannip_sld_config cfg;
    sannip_model m;
    sannip_sld_network net;
    toyiron_sld toy;
    sannip_sld_model model;
    sannip_sld d;
    sannip_dataset L;
    sannip_error err;
    double steps, every, tv, *pos, *S, *vel, *mass, cell[9];
    int r, i, n, toyiron_model;
    const sannip_structure *s;
    if ((r = parse_opts(argc, argv, &o, "sld")) != 0) return r;
    if (o.npos != 2 || !o.out) return usage_error("sld", "needs MODEL STRUCTURE -o OUT.csv");
    if (!sld_config(&o, &cfg, &steps, &every, &tv)) return 2;
    if ((r = read_structures(o.pos[1], &L, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    s = &L.s[0]; n = s->n;
    pos = (double *)calloc(3 * (size_t)n, sizeof(double)); S = (double *)calloc(3 * (size_t)n, sizeof(double));
    vel = (double *)calloc(3 * (size_t)n, sizeof(double)); mass = (double *)calloc((size_t)n, sizeof(double));
    if (!pos || !S || !vel || !mass) { fprintf(stderr, "sannip sld: out of memory\n"); return 1; }
    if (!sld_spins(&o, s, S)) return 2;
    for (i = 0; i < 3 * n; i++) pos[i] = s->pos[i];
    for (i = 0; i < 9; i++) cell[i] = s->cell[i];
    for (i = 0; i < n; i++) if (!((mass[i] = sannip_element_mass(s->Z[i])) > 0)) { fprintf(stderr, "sannip sld: no mass for element %d (atom %d)\n", s->Z[i], i + 1); return 1; }
    toyiron_model = strcmp(o.pos[0], "toyiron") == 0;
    if (toyiron_model) { toyiron_sld_init(&toy, NULL, n, cell, s->pbc); model = toyiron_sld_model(&toy); }
    else {
        if ((r = load_model(o.pos[0], &m, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
        if (!sannip_descriptors_need_spins(&m.desc)) fprintf(stderr, "sannip sld: warning: %s has no spin bases: the spins feel no field\n", o.pos[0]);
        if ((r = sannip_sld_network_init(&net, &m, n, s->Z, cell, s->pbc, NULL, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
        model = sannip_sld_network_model(&net);
    }
    if ((r = sannip_sld_init(&d, &model, &cfg, n, pos, NULL, S, mass, cell, s->pbc, NULL, &err)) != SANNIP_SUCCESS) return fail(&err, (sannip_result)r);
    if (tv > 0) { sannip_sld_maxwell(&d, tv, cfg.seed); sannip_sld_refresh(&d, &err); }
    printf("spin-lattice dynamics: %s on %s (%d atoms, %d spin sectors), dt %g fs, %.0f steps, lattice %s, spins %s\n", o.pos[0], o.pos[1], n, d.n_sectors, cfg.dt, steps,
           cfg.frozen_lattice ? "frozen" : cfg.gamma > 0 ? "Langevin" : "NVE", cfg.lambda > 0 ? "Langevin" : "precession (NVE)");
    r = sld_run(&o, &d, s, steps, every);
    sannip_sld_uninit(&d);
    if (toyiron_model) toyiron_sld_uninit(&toy); else { sannip_sld_network_uninit(&net); sannip_model_uninit(&m); }
    free(pos); free(S); free(vel); free(mass); sannip_dataset_uninit(&L);
    return r;
}

int main(int argc, char **argv)
{
    if (argc < 2) { list_commands(stderr); return 2; }   /* no command: a usage error */
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) return cmd_help(argc, argv);
    if (strcmp(argv[1], "import-n2p2") == 0) return cmd_import(argc, argv);
    if (strcmp(argv[1], "export-n2p2") == 0) return cmd_export(argc, argv);
    if (strcmp(argv[1], "predict") == 0) return cmd_predict(argc, argv);
    if (strcmp(argv[1], "train") == 0) return cmd_train(argc, argv);
    if (strcmp(argv[1], "evaluate") == 0) return cmd_evaluate(argc, argv);
    if (strcmp(argv[1], "info") == 0) return cmd_info(argc, argv);
    if (strcmp(argv[1], "features") == 0) return cmd_features(argc, argv);
    if (strcmp(argv[1], "descriptors") == 0) return cmd_descriptors(argc, argv);
    if (strcmp(argv[1], "mc") == 0) return cmd_mc(argc, argv);
    if (strcmp(argv[1], "sld") == 0) return cmd_sld(argc, argv);
    fprintf(stderr, "sannip: unknown command '%s' (try 'sannip help')\n", argv[1]);
    return 2;
}
