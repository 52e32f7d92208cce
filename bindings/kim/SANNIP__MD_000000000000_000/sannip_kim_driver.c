/* sannip_kim_driver.c - OpenKIM portable-model driver for sannip models (KIM API 2).

   A portable model built on this driver has one parameter file: a sannip model file
   ("sannip-model 1", from `sannip train` or `sannip import-n2p2 --units ...`). The driver
   uses sannip.h's public API only:
     - units: the model must state its length and energy units (sannip_model_units); the
       model is converted to the simulator's requested units when sannip knows them (A, Bohr,
       nm; eV, Hartree, kcal_mol, kJ_mol: sannip_model_convert_units, CODATA 2018), else the
       model's own units are reported to KIM and the simulator converts;
     - species: the model's elements, species code e = the model's element index e;
     - influence distance and neighbour-list cutoff: the model cutoff. The driver does not
       read KIM's neighbour list: it evaluates the particles KIM passes (contributing and
       ghosts, which reach out to the influence distance) as one open-boundary system with
       sannip's own neighbour list, contributing particles as the only centres
       (sannip_model_compute_domain), so forces land on ghosts too and ghost energies are
       not counted;
     - computes partialEnergy, partialParticleEnergy, partialForces, partialVirial and
       partialParticleVirial (all optional). KIM's virial is -W in sannip's convention
       (W = sum_i r_i (x) F_i), Voigt order xx yy zz yz xz xy.
   Spin-aware models (spin bases) are refused when the model is created: the KIM API has no
   spin argument, and a spin configuration frozen into a parameter file would silently give
   the energy of one magnetic state.
   Built double precision and without OpenMP (parallelism is the simulator's MPI). */
#define _POSIX_C_SOURCE 200809L   /* sannip_write_file_atomic under -std=c99 */
#define SANNIP_IMPLEMENTATION
#define SANNIP_STATIC
#include "sannip.h"
#include "KIM_ModelDriverHeaders.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SANNIP_FLOAT
#error "the KIM driver passes the simulator's double arrays to sannip: build it without SANNIP_FLOAT"
#endif

typedef struct kim_sannip {
    sannip_model m;
    sannip_workspace ws;
    double influence, cutoff;
    int no_ghost_neighbors;      /* KIM: we never ask for neighbours of ghosts */
    int *Z; size_t capZ;         /* atomic numbers of the particles of a call */
    double *av; size_t capav;    /* n x 9 per-atom virials of a call */
} kim_sannip;

int model_driver_create(KIM_ModelDriverCreate *mdc, KIM_LengthUnit rl, KIM_EnergyUnit re, KIM_ChargeUnit rc,
                        KIM_TemperatureUnit rt, KIM_TimeUnit rtime);

/* sannip's canonical unit names and KIM's */
static const char *const kim_names[][2] = { { "Angstrom", "A" }, { "bohr", "Bohr" }, { "nm", "nm" }, { "eV", "eV" },
    { "Ha", "Hartree" }, { "kcal/mol", "kcal_mol" }, { "kJ/mol", "kJ_mol" } };
static const char *kim_unit_name(const char *sannip_name)
{
    size_t i;
    for (i = 0; i < sizeof kim_names / sizeof kim_names[0]; i++) if (strcmp(kim_names[i][0], sannip_name) == 0) return kim_names[i][1];
    return NULL;
}

static void create_log(KIM_ModelDriverCreate *mdc, const char *what, const char *detail)
{
    char msg[512];
    snprintf(msg, sizeof msg, "sannip KIM driver: %s%s%s", what, detail ? ": " : "", detail ? detail : "");
    KIM_ModelDriverCreate_LogEntry(mdc, KIM_LOG_VERBOSITY_error, msg, __LINE__, __FILE__);
}

static void kim_sannip_free(kim_sannip *k)
{
    if (!k) return;
    sannip_workspace_uninit(&k->ws); sannip_model_uninit(&k->m);
    free(k->Z); free(k->av); free(k);
}

/* Loads the parameter file, refuses what KIM cannot drive, converts to the requested units. */
static int load_model(KIM_ModelDriverCreate *mdc, kim_sannip *k, KIM_LengthUnit rl, KIM_EnergyUnit re)
{
    const char *dir, *base, *l, *e, *kl, *ke;
    char path[4096];
    int nfiles = 0;
    sannip_error err;
    KIM_ModelDriverCreate_GetNumberOfParameterFiles(mdc, &nfiles);
    if (nfiles != 1) { create_log(mdc, "expected one parameter file (a sannip model)", NULL); return 1; }
    KIM_ModelDriverCreate_GetParameterFileDirectoryName(mdc, &dir);
    if (KIM_ModelDriverCreate_GetParameterFileBasename(mdc, 0, &base)) { create_log(mdc, "no parameter file name", NULL); return 1; }
    snprintf(path, sizeof path, "%s/%s", dir, base);
    if (sannip_model_load_file(&k->m, path, &err)) { create_log(mdc, path, err.message); return 1; }
    if (sannip_descriptors_need_spins(&k->m.desc)) {
        create_log(mdc, "spin-aware model (it has spin bases)", "the KIM API has no spin argument; use a spin-agnostic model");
        return 1;
    }
    if (!sannip_model_units(&k->m, &l, &e)) {
        create_log(mdc, "the model does not state its units", "import it with sannip import-n2p2 --units L,E");
        return 1;
    }
    /* the requested units where sannip knows them, else the model's own */
    l = sannip_unit_find(KIM_LengthUnit_ToString(rl), SANNIP_UNIT_LENGTH, NULL);
    e = sannip_unit_find(KIM_EnergyUnit_ToString(re), SANNIP_UNIT_ENERGY, NULL);
    if ((l || e) && sannip_model_convert_units(&k->m, l, e, &err)) { create_log(mdc, "unit conversion", err.message); return 1; }
    sannip_model_units(&k->m, &l, &e);
    kl = kim_unit_name(l); ke = kim_unit_name(e);
    if (!kl || !ke) { create_log(mdc, "the model's units have no KIM name", l); return 1; }
    if (KIM_ModelDriverCreate_SetUnits(mdc, KIM_LengthUnit_FromString(kl), KIM_EnergyUnit_FromString(ke), KIM_CHARGE_UNIT_unused,
                                       KIM_TEMPERATURE_UNIT_unused, KIM_TIME_UNIT_unused)) { create_log(mdc, "SetUnits failed", NULL); return 1; }
    return 0;
}

static int compute_arguments_create(const KIM_ModelCompute *mc, KIM_ModelComputeArgumentsCreate *cac)
{
    const KIM_ComputeArgumentName names[5] = { KIM_COMPUTE_ARGUMENT_NAME_partialEnergy, KIM_COMPUTE_ARGUMENT_NAME_partialParticleEnergy,
        KIM_COMPUTE_ARGUMENT_NAME_partialForces, KIM_COMPUTE_ARGUMENT_NAME_partialVirial, KIM_COMPUTE_ARGUMENT_NAME_partialParticleVirial };
    int i;
    (void)mc;
    for (i = 0; i < 5; i++)
        if (KIM_ModelComputeArgumentsCreate_SetArgumentSupportStatus(cac, names[i], KIM_SUPPORT_STATUS_optional)) return 1;
    return 0;
}
static int compute_arguments_destroy(const KIM_ModelCompute *mc, KIM_ModelComputeArgumentsDestroy *cad)
{
    (void)mc; (void)cad;
    return 0;
}
static int destroy(KIM_ModelDestroy *md)
{
    kim_sannip *k;
    KIM_ModelDestroy_GetModelBufferPointer(md, (void **)&k);
    kim_sannip_free(k);
    return 0;
}

/* grows a buffer of n elements of size sz; 0 on success */
static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
    void *q;
    if (n <= *cap) return 0;
    if (!(q = realloc(*p, n * sz))) return 1;
    *p = q; *cap = n;
    return 0;
}
/* sannip's 3 x 3 W -> KIM's Voigt -W (xx yy zz yz xz xy; off-diagonals averaged) */
static void kim_voigt(const double *W, double *v)
{
    v[0] = -W[0]; v[1] = -W[4]; v[2] = -W[8];
    v[3] = -0.5 * (W[5] + W[7]); v[4] = -0.5 * (W[2] + W[6]); v[5] = -0.5 * (W[1] + W[3]);
}

static int compute(const KIM_ModelCompute *mc, const KIM_ModelComputeArguments *ca)
{
    kim_sannip *k;
    int *n, *codes, *contributing, i;
    double *x, *E = NULL, *eat = NULL, *F = NULL, *vir = NULL, *pvir = NULL, W[9];
    sannip_system sys;
    sannip_error err;
    KIM_ModelCompute_GetModelBufferPointer(mc, (void **)&k);
    if (KIM_ModelComputeArguments_GetArgumentPointerInteger(ca, KIM_COMPUTE_ARGUMENT_NAME_numberOfParticles, &n)
        || KIM_ModelComputeArguments_GetArgumentPointerInteger(ca, KIM_COMPUTE_ARGUMENT_NAME_particleSpeciesCodes, &codes)
        || KIM_ModelComputeArguments_GetArgumentPointerInteger(ca, KIM_COMPUTE_ARGUMENT_NAME_particleContributing, &contributing)
        || KIM_ModelComputeArguments_GetArgumentPointerDouble(ca, KIM_COMPUTE_ARGUMENT_NAME_coordinates, &x)
        || KIM_ModelComputeArguments_GetArgumentPointerDouble(ca, KIM_COMPUTE_ARGUMENT_NAME_partialEnergy, &E)
        || KIM_ModelComputeArguments_GetArgumentPointerDouble(ca, KIM_COMPUTE_ARGUMENT_NAME_partialParticleEnergy, &eat)
        || KIM_ModelComputeArguments_GetArgumentPointerDouble(ca, KIM_COMPUTE_ARGUMENT_NAME_partialForces, &F)
        || KIM_ModelComputeArguments_GetArgumentPointerDouble(ca, KIM_COMPUTE_ARGUMENT_NAME_partialVirial, &vir)
        || KIM_ModelComputeArguments_GetArgumentPointerDouble(ca, KIM_COMPUTE_ARGUMENT_NAME_partialParticleVirial, &pvir)) {
        KIM_ModelCompute_LogEntry(mc, KIM_LOG_VERBOSITY_error, "sannip KIM driver: GetArgumentPointer failed", __LINE__, __FILE__);
        return 1;
    }
    if (*n == 0) {   /* an empty domain */
        if (E) *E = 0;
        if (vir) memset(vir, 0, 6 * sizeof(double));
        return 0;
    }
    if (grow((void **)&k->Z, &k->capZ, (size_t)*n, sizeof(int)) || (pvir && grow((void **)&k->av, &k->capav, 9 * (size_t)*n, sizeof(double)))) {
        KIM_ModelCompute_LogEntry(mc, KIM_LOG_VERBOSITY_error, "sannip KIM driver: out of memory", __LINE__, __FILE__);
        return 1;
    }
    for (i = 0; i < *n; i++) {
        if (codes[i] < 0 || codes[i] >= k->m.n_elements) {
            KIM_ModelCompute_LogEntry(mc, KIM_LOG_VERBOSITY_error, "sannip KIM driver: unknown species code", __LINE__, __FILE__);
            return 1;
        }
        k->Z[i] = k->m.el[codes[i]].Z;
    }
    memset(&sys, 0, sizeof sys);   /* open boundaries: KIM passes the ghosts */
    sys.n = *n; sys.pos = x; sys.Z = k->Z;
    if (sannip_model_compute_domain(&k->m, &k->ws, &sys, contributing, E, eat, F, vir ? W : NULL, pvir ? k->av : NULL, &err)) {
        char msg[400];
        snprintf(msg, sizeof msg, "sannip KIM driver: %s", err.message);
        KIM_ModelCompute_LogEntry(mc, KIM_LOG_VERBOSITY_error, msg, __LINE__, __FILE__);
        return 1;
    }
    if (vir) kim_voigt(W, vir);
    if (pvir) for (i = 0; i < *n; i++) kim_voigt(k->av + 9 * (size_t)i, pvir + 6 * (size_t)i);
    return 0;
}

static int set_routines(KIM_ModelDriverCreate *mdc)
{
    KIM_ModelComputeArgumentsCreateFunction *cac = compute_arguments_create;
    KIM_ModelComputeArgumentsDestroyFunction *cad = compute_arguments_destroy;
    KIM_ModelComputeFunction *cf = compute;
    KIM_ModelDestroyFunction *df = destroy;
    return KIM_ModelDriverCreate_SetRoutinePointer(mdc, KIM_MODEL_ROUTINE_NAME_ComputeArgumentsCreate, KIM_LANGUAGE_NAME_c, 1, (KIM_Function *)cac)
        || KIM_ModelDriverCreate_SetRoutinePointer(mdc, KIM_MODEL_ROUTINE_NAME_ComputeArgumentsDestroy, KIM_LANGUAGE_NAME_c, 1, (KIM_Function *)cad)
        || KIM_ModelDriverCreate_SetRoutinePointer(mdc, KIM_MODEL_ROUTINE_NAME_Compute, KIM_LANGUAGE_NAME_c, 1, (KIM_Function *)cf)
        || KIM_ModelDriverCreate_SetRoutinePointer(mdc, KIM_MODEL_ROUTINE_NAME_Destroy, KIM_LANGUAGE_NAME_c, 1, (KIM_Function *)df);
}

int model_driver_create(KIM_ModelDriverCreate *mdc, KIM_LengthUnit rl, KIM_EnergyUnit re, KIM_ChargeUnit rc,
                        KIM_TemperatureUnit rt, KIM_TimeUnit rtime)
{
    kim_sannip *k = (kim_sannip *)calloc(1, sizeof *k);
    int e;
    (void)rc; (void)rt; (void)rtime;
    if (!k) { create_log(mdc, "out of memory", NULL); return 1; }
    sannip_model_init(&k->m, NULL);
    sannip_workspace_init(&k->ws, NULL);
    if (load_model(mdc, k, rl, re)) { kim_sannip_free(k); return 1; }
    if (KIM_ModelDriverCreate_SetModelNumbering(mdc, KIM_NUMBERING_zeroBased) || set_routines(mdc)) {
        create_log(mdc, "numbering or routines refused", NULL); kim_sannip_free(k); return 1;
    }
    for (e = 0; e < k->m.n_elements; e++)
        if (KIM_ModelDriverCreate_SetSpeciesCode(mdc, KIM_SpeciesName_FromString(sannip_element_symbol(k->m.el[e].Z)), e)) {
            create_log(mdc, "species refused", sannip_element_symbol(k->m.el[e].Z)); kim_sannip_free(k); return 1;
        }
    k->influence = k->cutoff = (double)k->m.cutoff;
    k->no_ghost_neighbors = 1;
    KIM_ModelDriverCreate_SetModelBufferPointer(mdc, k);
    KIM_ModelDriverCreate_SetInfluenceDistancePointer(mdc, &k->influence);
    KIM_ModelDriverCreate_SetNeighborListPointers(mdc, 1, &k->cutoff, &k->no_ghost_neighbors);
    return 0;
}
