/* xyz2lammps - one structure of an extended-XYZ or n2p2 file as a LAMMPS data file, and the
   structure's reference energy, virial and forces in LAMMPS's frame.
     bin/xyz2lammps IN FRAME OUT.data OUT.ref EL1 [EL2 ...]
   FRAME counts from 1; atom type k is element ELk (masses from a small table). Positions are
   taken as Angstrom (the XYZ that `sannip predict` writes is in Angstrom and eV). LAMMPS
   wants a cell with a along x and b in the xy plane and small tilts: the cell is reduced
   (b -= round(b_x/a_x) a, ...: the same lattice) and rotated; atoms are wrapped into it. The
   reference (energy, virial W = sum r (x) F, forces; rotated like the positions) is written
   as "energy E", "virial 9 numbers", then one "fx fy fz" line per atom in id order (%.17g).
   Open boundaries are not supported (every direction must be periodic). */
#define _POSIX_C_SOURCE 200809L
#define SANNIP_IMPLEMENTATION
#include "../../sannip.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

static double mass_of(int Z)
{
    static const struct { int Z; double m; } T[] = { { 1, 1.008 }, { 6, 12.011 }, { 7, 14.007 }, { 8, 15.999 },
        { 13, 26.982 }, { 14, 28.085 }, { 26, 55.845 }, { 27, 58.933 }, { 28, 58.693 }, { 29, 63.546 } };
    size_t i;
    for (i = 0; i < sizeof T / sizeof T[0]; i++) if (T[i].Z == Z) return T[i].m;
    return 0;
}
static double dot(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
static void axpy(double *y, double s, const double *x) { y[0] += s * x[0]; y[1] += s * x[1]; y[2] += s * x[2]; }
static void inv3(const double *m, double *r)
{
    double d = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
    r[0] = (m[4] * m[8] - m[5] * m[7]) / d; r[1] = (m[2] * m[7] - m[1] * m[8]) / d; r[2] = (m[1] * m[5] - m[2] * m[4]) / d;
    r[3] = (m[5] * m[6] - m[3] * m[8]) / d; r[4] = (m[0] * m[8] - m[2] * m[6]) / d; r[5] = (m[2] * m[3] - m[0] * m[5]) / d;
    r[6] = (m[3] * m[7] - m[4] * m[6]) / d; r[7] = (m[1] * m[6] - m[0] * m[7]) / d; r[8] = (m[0] * m[4] - m[1] * m[3]) / d;
}
/* reduces the cell (rows a, b, c) and gives LAMMPS's form L (rows) and the map R = inv(cell) L */
static void lammps_cell(double *h, double *L, double *R)
{
    double la, bx, by, cx, cy, hi[9];
    int k;
    la = sqrt(dot(h, h));
    axpy(h + 3, -floor(dot(h + 3, h) / (la * la) + 0.5), h);
    memset(L, 0, 9 * sizeof(double));
    L[0] = la; bx = dot(h + 3, h) / la; by = sqrt(dot(h + 3, h + 3) - bx * bx);
    cx = dot(h + 6, h) / la; cy = (dot(h + 3, h + 6) - bx * cx) / by;
    /* reduce c against b, then a (in LAMMPS's coordinates) */
    k = (int)floor(cy / by + 0.5); cy -= k * by; cx -= k * bx; axpy(h + 6, -k, h + 3);
    k = (int)floor(cx / la + 0.5); cx -= k * la; axpy(h + 6, -k, h);
    L[3] = bx; L[4] = by; L[6] = cx; L[7] = cy; L[8] = sqrt(dot(h + 6, h + 6) - cx * cx - cy * cy);
    inv3(h, hi);
    for (k = 0; k < 9; k++) R[k] = hi[3 * (k / 3)] * L[k % 3] + hi[3 * (k / 3) + 1] * L[3 + k % 3] + hi[3 * (k / 3) + 2] * L[6 + k % 3];
}
static void rot(const double *v, const double *R, double *o)   /* row vector v R */
{
    int b;
    for (b = 0; b < 3; b++) o[b] = v[0] * R[b] + v[1] * R[3 + b] + v[2] * R[6 + b];
}

int main(int argc, char **argv)
{
    sannip_dataset d; sannip_error err; sannip_structure *s;
    double h[9], L[9], R[9], Li[9], p[3], q[3], W[9];
    int frame, i, a, b, t, *type;
    FILE *fd, *fr;
    if (argc < 6) { fprintf(stderr, "usage: %s IN FRAME OUT.data OUT.ref EL1 [EL2 ...]\n", argv[0]); return 2; }
    sannip_dataset_init(&d, NULL);
    if (sannip_dataset_read_file(&d, argv[1], &err)) { fprintf(stderr, "%s: %s\n", argv[1], err.message); return 1; }
    frame = atoi(argv[2]);
    if (frame < 1 || frame > d.n) { fprintf(stderr, "%s: frame %d of %d\n", argv[1], frame, d.n); return 1; }
    s = &d.s[frame - 1];
    if (!(s->pbc[0] && s->pbc[1] && s->pbc[2])) { fprintf(stderr, "%s: frame %d is not periodic in 3-D\n", argv[1], frame); return 1; }
    type = (int *)malloc(sizeof(int) * (size_t)s->n);
    for (i = 0; i < s->n; i++) {
        for (type[i] = 0, t = 5; t < argc; t++) if (sannip_element_z(argv[t]) == s->Z[i]) type[i] = t - 4;
        if (!type[i]) { fprintf(stderr, "atom %d: element %s not among the types\n", i + 1, sannip_element_symbol(s->Z[i])); return 1; }
    }
    for (a = 0; a < 9; a++) h[a] = s->cell[a];
    lammps_cell(h, L, R);
    inv3(L, Li);
    if (!(fd = fopen(argv[3], "w")) || !(fr = fopen(argv[4], "w"))) { perror("output"); return 1; }
    fprintf(fd, "LAMMPS data: frame %d of %s (xyz2lammps)\n\n%d atoms\n%d atom types\n\n", frame, argv[1], s->n, argc - 5);
    fprintf(fd, "0 %.17g xlo xhi\n0 %.17g ylo yhi\n0 %.17g zlo zhi\n%.17g %.17g %.17g xy xz yz\n\nMasses\n\n",
            L[0], L[4], L[8], L[3], L[6], L[7]);
    for (t = 5; t < argc; t++) fprintf(fd, "%d %g\n", t - 4, mass_of(sannip_element_z(argv[t])));
    fprintf(fd, "\nAtoms # atomic\n\n");
    for (i = 0; i < s->n; i++) {
        double f[3];
        for (a = 0; a < 3; a++) p[a] = s->pos[3 * i + a];
        rot(p, R, q);
        rot(q, Li, f);   /* fractional coordinates in the new cell: wrap */
        for (a = 0; a < 3; a++) f[a] -= floor(f[a]);
        for (a = 0; a < 3; a++) q[a] = f[0] * L[a] + f[1] * L[3 + a] + f[2] * L[6 + a];
        fprintf(fd, "%d %d %.17g %.17g %.17g\n", i + 1, type[i], q[0], q[1], q[2]);
    }
    /* W' = R^T W R */
    for (a = 0; a < 9; a++) {
        W[a] = 0;
        for (b = 0; b < 9; b++) W[a] += R[3 * (b / 3) + a / 3] * (double)s->virial[b] * R[3 * (b % 3) + a % 3];
    }
    fprintf(fr, "energy %.17g\nvirial", (double)s->energy);
    for (a = 0; a < 9; a++) fprintf(fr, " %.17g", W[a]);
    fprintf(fr, "\n");
    for (i = 0; i < s->n && s->forces; i++) {
        for (a = 0; a < 3; a++) p[a] = s->forces[3 * i + a];
        rot(p, R, q);
        fprintf(fr, "%.17g %.17g %.17g\n", q[0], q[1], q[2]);
    }
    fclose(fd); fclose(fr); free(type); sannip_dataset_uninit(&d);
    return 0;
}
