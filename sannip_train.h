/* sannip_train.h - v0.1.0 - training for sannip models (data sets, feature statistics,
   losses, optimisers, committees). MIT-0 or public domain (see the end of sannip.h).

   In exactly one C or C++ file:
       #define SANNIP_IMPLEMENTATION
       #include "sannip_train.h"      // includes sannip.h

   This release holds the feature statistics that fit a model's scalers; the training loop,
   optimisers and committees follow (SPEC sections 8-9).
*/
#ifndef SANNIP_TRAIN_H
#define SANNIP_TRAIN_H
#include "sannip.h"
#ifdef __cplusplus
extern "C" {
#endif

/* Fits every element's feature statistics (min, max, mean, sigma, max|G-mean|) over the
   atoms of n structures, then the scalers (sannip_model_finalize). Sums run in structure
   and atom order, so the result does not depend on threads. */
SANNIP_API sannip_result sannip_model_fit_scaling(sannip_model *m, const sannip_structure *s, int n,
                                                  sannip_error *err);

#ifdef __cplusplus
}
#endif
#endif /* SANNIP_TRAIN_H */

#if defined(SANNIP_IMPLEMENTATION) && !defined(SANNIP_TRAIN_IMPLEMENTATION_DONE)
#define SANNIP_TRAIN_IMPLEMENTATION_DONE
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __cplusplus
extern "C" {
#endif

SANNIP_API sannip_result sannip_model_fit_scaling(sannip_model *m, const sannip_structure *s, int n, sannip_error *err)
{
    sannip_workspace ws;
    sannip_result r = SANNIP_SUCCESS;
    int e, i, a, f, fm = 0, nmax = 0;
    double *sum, *sum2;
    long *count;
    sannip_real *G;
    if (!m || (n > 0 && !s)) return SANNIP_INVALID_ARGS;
    for (e = 0; e < m->n_elements; e++) if (m->el[e].n_features > fm) fm = m->el[e].n_features;
    for (i = 0; i < n; i++) if (s[i].n > nmax) nmax = s[i].n;
    sum = (double *)sannip__calloc(&m->alloc, (size_t)m->n_elements * (fm + 1) * 2, sizeof(double));
    count = (long *)sannip__calloc(&m->alloc, (size_t)m->n_elements + 1, sizeof(long));
    G = (sannip_real *)sannip__calloc(&m->alloc, (size_t)nmax * (fm + 1) + 1, sizeof(sannip_real));
    if (!sum || !count || !G) { sannip_free(&m->alloc, sum); sannip_free(&m->alloc, count); sannip_free(&m->alloc, G); return SANNIP_OUT_OF_MEMORY; }
    sum2 = sum + (size_t)m->n_elements * (fm + 1);
    sannip_workspace_init(&ws, &m->alloc);
    for (i = 0; i < n && r == SANNIP_SUCCESS; i++) {
        sannip_system sys = sannip_structure_view(&s[i]);
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
    if (r == SANNIP_SUCCESS)
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
    if (r == SANNIP_SUCCESS) r = sannip_model_finalize(m, err);
    return r;
}

#ifdef __cplusplus
}
#endif
#endif /* SANNIP_IMPLEMENTATION */
