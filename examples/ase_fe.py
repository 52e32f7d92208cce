"""examples/ase_fe.py - bcc iron in ASE with a sannip model trained on toy iron: relax the
cell and the positions, then run NVE molecular dynamics (bindings/python/sannip_ase.py).

    make lib all
    /usr/bin/python3 examples/ase_fe.py [--model FILE] [--steps N] [--size L] [--out DIR]

Without --model it uses DIR/fe_bp.sannip (DIR: build/ase_fe), training it first when it is
absent (a minute or two on 2 cores): a Behler-Parrinello model (the bp preset at r_c = 5 A,
2 x 10 tanh) on 160 ferromagnetic bcc toy-iron cells of 16 atoms (strains up to 4 %,
rattled), which bin/gen_toyiron computes with the toy Hamiltonian of examples/toyiron.h.
The model sees no spins: it is iron in its ferromagnetic state. Prints the relaxation
(lattice constant against the toy Hamiltonian's 2.8765 A, energy, largest force and stress)
and the MD (temperature, energies per atom, and the total energy's drift).
"""
import argparse
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.join(ROOT, 'bindings', 'python'))
from ase import units  # noqa: E402
from ase.build import bulk  # noqa: E402
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary  # noqa: E402
from ase.md.verlet import VelocityVerlet  # noqa: E402
from ase.optimize import BFGS  # noqa: E402
from sannip_ase import SannipCalculator  # noqa: E402

try:                                     # ASE >= 3.23
    from ase.filters import FrechetCellFilter as CellFilter
except ImportError:                      # Debian 12's ASE 3.22
    from ase.constraints import UnitCellFilter as CellFilter

A_TOY = 2.8765                           # bcc FM optimum of the toy Hamiltonian (gen_toyiron)


def train(out):
    """Generates the toy-iron data and trains the BP model (the commands are printed)."""
    os.makedirs(out, exist_ok=True)
    data, model = os.path.join(out, 'fe_fm.xyz'), os.path.join(out, 'fe_bp.sannip')
    for cmd in ([os.path.join(ROOT, 'bin', 'gen_toyiron'), '--subset', 'fm', '--lattice', 'bcc', '--sizes', '2',
                 '--geometries', '40', '--strain', '0.04', '--seed', '1', '--out', data],
                [os.path.join(ROOT, 'bin', 'sannip'), 'train', data, '-o', model, '--rc', '5', '--hidden', '10,10',
                 '--lr', '3e-3', '--epochs', '100', '--seed', '1', '--quiet']):
        print('$', ' '.join(os.path.relpath(c) if os.path.isabs(c) else c for c in cmd), flush=True)
        subprocess.run(cmd, check=True)
    return model


def relax(atoms, fmax):
    """Cell and positions together (a cell filter), BFGS to fmax eV/A."""
    opt = BFGS(CellFilter(atoms), logfile=None)
    opt.run(fmax=fmax, steps=500)
    return opt.get_number_of_steps()


def nve(atoms, steps, T, seed):
    """VelocityVerlet at 1 fs from a Maxwell-Boltzmann draw at T; returns the total energies."""
    MaxwellBoltzmannDistribution(atoms, temperature_K=T, rng=np.random.RandomState(seed))
    Stationary(atoms)
    md = VelocityVerlet(atoms, 1.0 * units.fs)
    n, etot = len(atoms), []

    def report():
        ep, ek = atoms.get_potential_energy() / n, atoms.get_kinetic_energy() / n
        etot.append(ep + ek)
        if len(etot) % 10 == 1:
            print('  %6d fs  T %6.1f K  E_pot %.6f  E_kin %.6f  E_tot %.6f eV/atom'
                  % (md.get_number_of_steps(), atoms.get_temperature(), ep, ek, ep + ek))
    md.attach(report, interval=10)
    md.run(steps)
    return np.array(etot)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--model', help='a sannip model of Fe (default: OUT/fe_bp.sannip, trained when absent)')
    ap.add_argument('--out', default=os.path.join(ROOT, 'build', 'ase_fe'), help='directory of the trained model')
    ap.add_argument('--steps', type=int, default=1000, help='MD steps of 1 fs (default 1000)')
    ap.add_argument('--size', type=int, default=3, help='L x L x L conventional cells (default 3: 54 atoms)')
    ap.add_argument('--temperature', type=float, default=300, help='initial temperature in K (default 300)')
    args = ap.parse_args()
    model = args.model or os.path.join(args.out, 'fe_bp.sannip')
    if not args.model and not os.path.exists(model):
        model = train(args.out)
    calc = SannipCalculator(model)
    print('model %s: %s, %s, cutoff %.2f A' % (os.path.relpath(model), calc.units[0], calc.units[1], calc.cutoff))

    atoms = bulk('Fe', 'bcc', a=2.95, cubic=True).repeat((args.size,) * 3)
    atoms.rattle(0.03, seed=1)
    atoms.calc = calc
    n = len(atoms)
    e0, s0 = atoms.get_potential_energy() / n, atoms.get_stress()
    print('1. relax %d atoms from a = 2.95 A (rattled 0.03 A): E %.6f eV/atom, max |stress| %.4f eV/A^3'
          % (n, e0, np.abs(s0).max()))
    steps = relax(atoms, fmax=1e-3)
    a = atoms.cell.lengths().mean() / args.size
    print('   %d BFGS steps: a = %.4f A (toy Hamiltonian %.4f, %+.2f %%), E %.6f eV/atom, max |F| %.1e eV/A, '
          'max |stress| %.1e eV/A^3' % (steps, a, A_TOY, 100 * (a / A_TOY - 1), atoms.get_potential_energy() / n,
                                        np.abs(atoms.get_forces()).max(), np.abs(atoms.get_stress()).max()))

    print('2. NVE, VelocityVerlet, 1 fs, %d steps from %g K' % (args.steps, args.temperature))
    etot = nve(atoms, args.steps, args.temperature, seed=1)
    print('   total energy: drift %.2e eV/atom (last - first), spread %.2e eV/atom over %d fs'
          % (etot[-1] - etot[0], etot.max() - etot.min(), args.steps))


if __name__ == '__main__':
    main()
