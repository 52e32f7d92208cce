"""tests/test_ase.py - the ASE calculator (bindings/python/sannip_ase.py) on build/libsannip.so,
run by tests/test_ase.sh with /usr/bin/python3: results equal `bin/sannip predict` (1e-12
relative), forces and stress equal ASE's finite differences (1e-6 relative to the largest
component), the effective field equals finite differences in the spins, a committee's means
are its members' means, unit conversion (an n2p2 potential in bohr and Hartree), energy
conservation in VelocityVerlet, and errors as SannipError with sannip's code and message.
Models: tests/golden (NiO: BP, spin-aware CNN, committee of 2) for the comparisons with
predict; for derivatives and MD a small spin-aware model trained here on toy iron (the golden
models saw 12 nearly identical NiO frames: features with spreads of 1e-5 get scale factors of
1e5, so their energy bends on a 1e-4 A scale and no finite difference step resolves it), and
the n2p2 water potential."""
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.join(ROOT, 'bindings', 'python'))
from ase import Atoms, units  # noqa: E402
from ase.calculators.calculator import PropertyNotImplementedError  # noqa: E402
from ase.calculators.test import numeric_force  # noqa: E402
from ase.io import read  # noqa: E402
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution  # noqa: E402
from ase.md.verlet import VelocityVerlet  # noqa: E402
from sannip_ase import SannipCalculator, SannipError  # noqa: E402

SHARED = os.environ.get('SANNIP_SHARED', os.path.join(ROOT, '..', 'shared'))
GOLDEN = os.path.join(ROOT, 'tests', 'golden')
TMP = tempfile.mkdtemp(prefix='test_ase.')
BOHR, HARTREE = 0.529177210903, 27.211386245988     # CODATA 2018, as in sannip_ase
passed = failed = 0


def check(name, ok, detail=''):
    global passed, failed
    if ok:
        passed += 1
        print('ok', name, detail)
    else:
        failed += 1
        print('FAIL', name, detail)


def rel(a, b):
    """max |a - b| relative to max |b|."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def sannip(*args):
    subprocess.run([os.path.join(ROOT, 'bin', 'sannip')] + list(args), check=True, stdout=subprocess.DEVNULL)


def field(atoms, name):
    """A per-atom column or key of a read extended-XYZ frame (arrays, info or calc results)."""
    for d in (atoms.arrays, atoms.info, atoms.calc.results if atoms.calc else {}):
        if name in d:
            return d[name]
    return None


def frames(path, k):
    """The first k frames of an extended-XYZ file, written to TMP."""
    out = os.path.join(TMP, 'frames%d.xyz' % k)
    with open(path) as f, open(out, 'w') as g:
        for _ in range(k):
            n = f.readline()
            g.write(n)
            for _ in range(int(n) + 1):
                g.write(f.readline())
    return out


def bare(a, spins=None):
    """A copy without calculator or stored results; spins set when given."""
    b = Atoms(a.numbers, positions=a.positions, cell=a.cell, pbc=a.pbc)
    if spins is not None:
        b.arrays['spins'] = np.array(spins, float)
    return b


def vs_predict(model, data, calc_kw=None, scale=(1.0, 1.0), label=''):
    """calc on every frame of `bin/sannip predict`'s output equals the prediction (1e-12)."""
    pred = os.path.join(TMP, os.path.basename(model) + '.pred.xyz')
    sannip('predict', model, data, '-o', pred, '--atom-energies')
    calc = SannipCalculator(model, **(calc_kw or {}))
    L, E = scale
    worst = 0.0
    for p in read(pred, ':'):
        mag = field(p, 'magmoms')
        a = bare(p, mag if calc.spin_aware else None)
        a.positions *= L
        a.cell *= L
        a.calc = calc
        e = [rel(a.get_potential_energy(), field(p, 'energy') * E),
             rel(a.get_forces(), field(p, 'forces') * E / L)]
        if calc.members == 1:
            e.append(rel(a.get_potential_energies(), field(p, 'energies') * E))
            if field(p, 'virial') is not None:
                W = np.asarray(field(p, 'virial')).reshape(3, 3) * E
                s = -W / a.get_volume()
                e.append(rel(a.get_stress(voigt=False), 0.5 * (s + s.T)))
            if calc.spin_aware:
                e.append(rel(calc.get_magnetic_forces(a), field(p, 'field') * E))
        else:
            e.append(rel(calc.results['energy_spread'], field(p, 'energy_spread') * E))
            e.append(rel(calc.results['forces_spread'], field(p, 'forces_spread') * E / L))
        worst = max(worst, max(e))
    check('%s equals bin/sannip predict' % (label or os.path.basename(model)), worst <= 1e-12, 'worst relative %.2e' % worst)


def vs_numerical(a, label, atoms_idx=None, d=1e-4, strain=1e-5):
    """Forces against ASE's central differences (step d, all atoms or a few) and stress
    against ASE's numerical stress (step strain), each to 1e-6 of the largest component."""
    F = a.get_forces()
    if atoms_idx is None:
        Fn = a.calc.calculate_numerical_forces(a, d=d)
    else:
        Fn = np.array([[numeric_force(a, i, k, d) for k in range(3)] for i in atoms_idx])
        F = F[atoms_idx]
    check('%s forces vs numerical' % label, rel(F, Fn) <= 1e-6, 'relative %.2e (max |F| %.3g eV/A)' % (rel(F, Fn), np.abs(Fn).max()))
    if a.pbc.all():
        S, Sn = a.get_stress(), a.calc.calculate_numerical_stress(a, d=strain)
        check('%s stress vs numerical' % label, rel(S, Sn) <= 1e-6, 'relative %.2e (max |s| %.3g eV/A^3)' % (rel(S, Sn), np.abs(Sn).max()))


def nio(k=0):
    return read(os.path.join(SHARED, 'data', 'nio_train.xyz'), k)


def toy_iron():
    """(model, data): a spin-aware model (bp+spin-scaled, r_c 4) trained for 10 epochs on 36
    toy-iron frames (16-atom bcc cells in FM, PM and AFM states)."""
    data, model = os.path.join(TMP, 'toyiron.xyz'), os.path.join(TMP, 'toyiron.sannip')
    subprocess.run([os.path.join(ROOT, 'bin', 'gen_toyiron'), '--subset', 'states', '--sizes', '2', '--geometries', '12',
                    '--seed', '2', '--out', data], check=True, stderr=subprocess.DEVNULL)
    sannip('train', data, '-o', model, '--descriptors', 'bp+spin-scaled', '--rc', '4', '--hidden', '8,8',
           '--epochs', '10', '--quiet')
    return model, data


def toy_frame(k):
    """Frame k of the toy-iron data with its spins, without stored results."""
    p = read(TOY[1], k)
    return bare(p, field(p, 'magmoms'))


def test_predict():
    data = frames(os.path.join(SHARED, 'data', 'nio_train.xyz'), 3)
    for m in ('bp', 'spin_cnn', 'committee'):
        vs_predict(os.path.join(GOLDEN, m + '.sannip'), data)


def test_derivatives():
    a = toy_frame(7)
    a.calc = SannipCalculator(TOY[0])
    vs_numerical(a, 'toy-iron spin model')


def test_field():
    """-dE/dS against central differences in atoms.arrays['spins'] (h = 1e-4)."""
    a = toy_frame(8)
    calc = a.calc = SannipCalculator(TOY[0])
    H = calc.get_magnetic_forces(a)
    Hn = np.zeros_like(H)
    h = 1e-4
    for i in range(len(a)):
        for k in range(3):
            s = a.arrays['spins']
            s[i, k] += h
            ep = a.get_potential_energy()
            s[i, k] -= 2 * h
            em = a.get_potential_energy()
            s[i, k] += h
            Hn[i, k] = -(ep - em) / (2 * h)
    check('toy-iron magnetic_forces vs finite differences in spins', rel(H, Hn) <= 1e-6,
          'relative %.2e (max |H| %.3g eV/spin unit)' % (rel(H, Hn), np.abs(Hn).max()))
    p = nio(2)
    # collinear initial moments mean spins along z; a changed 'spins' array is noticed
    calc = SannipCalculator(os.path.join(GOLDEN, 'spin_cnn.sannip'))
    a = bare(p, field(p, 'magmoms'))
    b = bare(p)
    b.set_initial_magnetic_moments(a.arrays['spins'][:, 2])
    b.calc = calc
    Eb = b.get_potential_energy()
    c = bare(p, np.column_stack((np.zeros(len(a)), np.zeros(len(a)), a.arrays['spins'][:, 2])))
    c.calc = calc
    check('collinear initial magnetic moments = spins along z', Eb == c.get_potential_energy())
    E0 = c.get_potential_energy()
    c.arrays['spins'][0, 2] *= -1
    check('a changed spins array is recomputed', c.get_potential_energy() != E0)


def test_committee_means():
    """The committee's energies, stress and field are the means of its members' (split from the file)."""
    text = open(os.path.join(GOLDEN, 'committee.sannip')).read()
    parts = text.split('sannip-model 1')[1:]
    paths = []
    for k, t in enumerate(parts):
        paths.append(os.path.join(TMP, 'member%d.sannip' % k))
        with open(paths[-1], 'w') as f:
            f.write('sannip-model 1' + t)
    p = nio(0)
    a = bare(p, field(p, 'magmoms'))
    calc = SannipCalculator(os.path.join(GOLDEN, 'committee.sannip'))
    a.calc = calc
    got = [a.get_potential_energy(), a.get_potential_energies(), a.get_stress(), calc.get_magnetic_forces(a), a.get_forces()]
    mem = []
    for path in paths:
        b = bare(p, field(p, 'magmoms'))
        b.calc = SannipCalculator(path)
        mem.append([b.get_potential_energy(), b.get_potential_energies(), b.get_stress(),
                    b.calc.get_magnetic_forces(b), b.get_forces()])
    worst = max(rel(g, np.mean([m[k] for m in mem], axis=0)) for k, g in enumerate(got))
    check('committee of %d: energy, energies, stress, field, forces are the members\' means' % len(paths),
          len(paths) == calc.members == 2 and worst <= 1e-12, 'worst relative %.2e' % worst)
    # sannip_committee_predict takes the spread from one pass of sums of E and E^2, so it
    # carries a rounding error of up to ~4 eps E^2 / spread (measured here: 1.6e-6 relative)
    Es, E = np.std([m[0] for m in mem]), got[0]
    bound = 4 * np.finfo(float).eps * E * E / Es
    Fs = np.std([m[4] for m in mem], axis=0)
    check('committee energy_spread and forces_spread are the members\' standard deviations',
          abs(calc.results['energy_spread'] - Es) <= bound and rel(calc.results['forces_spread'], Fs) <= 1e-9,
          'energy %.6g vs %.6g eV (bound %.1e); forces relative %.1e' % (calc.results['energy_spread'], Es, bound,
                                                                          rel(calc.results['forces_spread'], Fs)))


def test_units():
    """The n2p2 water potential (bohr, Hartree): eV and A out, the same physics."""
    w = os.path.join(TMP, 'water.sannip')
    sannip('import-n2p2', os.path.join(SHARED, 'peers', 'n2p2', 'H2O_RPBE-D3'), '-o', w)
    data = os.path.join(SHARED, 'peers', 'n2p2', 'H2O_RPBE-D3', 'input.data')
    vs_predict(w, data, {'units': ('bohr', 'Ha')}, (BOHR, HARTREE), 'water (bohr, Ha -> A, eV)')
    pred = read(os.path.join(TMP, 'water.sannip.pred.xyz'), 0)
    a = bare(pred)
    a.positions *= BOHR
    a.cell *= BOHR
    a.calc = SannipCalculator(w, units=('bohr', 'Ha'))
    # E = -1.3e5 eV: its rounding (3.7e-7 at strain 1e-5) and the truncation (7e-7 at 1e-4) balance near 3e-5
    vs_numerical(a, 'water (%d atoms, 4 of them)' % len(a), atoms_idx=[0, 1, 2, 50], strain=3e-5)
    # the units line of a model names them: unknown names are refused with the model's labels
    bad = os.path.join(TMP, 'units.sannip')
    with open(os.path.join(GOLDEN, 'bp.sannip')) as f, open(bad, 'w') as g:
        g.write(f.read().replace('units eV Angstrom', 'units furlong Angstrom', 1))
    try:
        SannipCalculator(bad)
        check('unknown model units refused', False, 'no exception')
    except SannipError as e:
        check('unknown model units refused', e.code == -14 and 'furlong' in str(e), str(e)[:90])


def test_md():
    """NVE with VelocityVerlet (1 fs, 1000 steps, 300 K, the spins fixed): total energy drift
    below 1e-4 eV/atom (the figure the issue asks of LAMMPS)."""
    a = toy_frame(0).repeat((2, 1, 1))
    a.calc = SannipCalculator(TOY[0])
    MaxwellBoltzmannDistribution(a, temperature_K=300, rng=np.random.RandomState(7))
    md = VelocityVerlet(a, 1.0 * units.fs)
    etot = []
    md.attach(lambda: etot.append(a.get_total_energy()), interval=10)
    md.run(1000)
    drift = (max(etot) - min(etot)) / len(a)
    T = a.get_temperature()
    check('VelocityVerlet conserves energy', drift < 1e-4 and T > 10,
          'spread of E_tot %.2e eV/atom over 1000 steps, %d atoms, final T %.0f K' % (drift, len(a), T))


def expect_error(name, fn, code, words):
    try:
        fn()
        check(name, False, 'no exception')
    except SannipError as e:
        check(name, e.code == code and all(w in str(e) for w in words), str(e)[:120])


def test_errors():
    bp = os.path.join(GOLDEN, 'bp.sannip')
    expect_error('missing model file', lambda: SannipCalculator(os.path.join(TMP, 'nope.sannip')), -17, ['nope.sannip'])
    a = bare(nio(0))
    a.numbers[3] = 2   # He
    a.calc = SannipCalculator(bp)
    expect_error('unknown element', a.get_potential_energy, -8, ['SANNIP_UNKNOWN_ELEMENT'])
    b = bare(nio(0))
    b.calc = SannipCalculator(os.path.join(GOLDEN, 'spin_cnn.sannip'))
    expect_error('spin model without spins', b.get_potential_energy, -15, ['spins'])
    c = bare(nio(0))
    c.positions[1] = c.positions[0]
    c.calc = SannipCalculator(bp)
    expect_error('overlapping atoms', c.get_forces, -11, ['SANNIP_ATOMS_OVERLAP'])
    # open boundaries: energy and forces, no stress; no field for a spin-agnostic model
    m = Atoms('NiO', positions=[[0, 0, 0], [2.1, 0, 0]])
    m.calc = SannipCalculator(bp)
    e = m.get_potential_energy()
    try:
        m.get_stress()
        ok = False
    except PropertyNotImplementedError:
        ok = True
    try:
        m.calc.get_magnetic_forces(m)
        ok = False
    except PropertyNotImplementedError:
        pass
    check('open cluster: energy, no stress, no field', ok and np.isfinite(e) and abs(m.get_forces().sum()) < 1e-12)


TOY = toy_iron()
def test_example_and_readme():
    """examples/ase_fe.py (relaxation and NVE) and README's Python block run on a quickly
    trained toy-iron BP model (the example's commands with fewer cells and epochs)."""
    data, model = os.path.join(TMP, 'fe.xyz'), os.path.join(TMP, 'fe_bp.sannip')
    subprocess.run([os.path.join(ROOT, 'bin', 'gen_toyiron'), '--subset', 'fm', '--lattice', 'bcc', '--sizes', '2',
                    '--geometries', '12', '--strain', '0.04', '--seed', '1', '--out', data], check=True, stderr=subprocess.DEVNULL)
    sannip('train', data, '-o', model, '--rc', '5', '--hidden', '10,10', '--lr', '3e-3', '--epochs', '20', '--quiet')
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'examples', 'ase_fe.py'), '--model', model, '--steps', '200',
                          '--size', '2'], capture_output=True, text=True)
    lines = [x for x in out.stdout.splitlines() if 'BFGS steps' in x or 'drift' in x]
    check('examples/ase_fe.py relaxes and runs NVE', out.returncode == 0 and len(lines) == 2,
          ' | '.join(x.strip() for x in lines) or out.stderr[-300:])
    text = open(os.path.join(ROOT, 'README.md')).read()
    sec = text[text.find('## Use it from Python/ASE'):]
    block = sec[sec.find('```python\n') + 10:sec.find('```', sec.find('```python\n') + 10)] if '```python\n' in sec else ''
    block = block.replace('build/ase_fe/fe_bp.sannip', model)
    out = subprocess.run([sys.executable, '-c', block], cwd=ROOT, capture_output=True, text=True)
    check('README Python/ASE block runs', block != '' and out.returncode == 0 and out.stdout.strip() != '',
          (out.stdout.strip() or out.stderr[-300:])[:160])


for t in (test_predict, test_derivatives, test_field, test_committee_means, test_units, test_md, test_errors,
          test_example_and_readme):
    try:
        t()
    except Exception as e:  # a crash counts as a failure and the other tests still run
        check(t.__name__, False, 'raised %s: %s' % (type(e).__name__, e))
print('test_ase: %d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
