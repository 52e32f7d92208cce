"""sannip_ase - an ASE calculator for sannip models, through ctypes on build/libsannip.so.

    make lib                                   # build/libsannip.so
    PYTHONPATH=bindings/python python3 -c '...'

    from sannip_ase import SannipCalculator
    atoms.calc = SannipCalculator('fe.sannip')  # a model or a committee file
    atoms.get_potential_energy(); atoms.get_forces(); atoms.get_stress()

Properties: energy, free_energy (the same), energies (per atom), forces, stress (periodic
cells only: -virial/volume, Voigt order xx yy zz yz xz xy, eV/A^3); a spin-aware model adds
magnetic_forces, the effective field -dE/dS (n x 3, eV per spin unit), with the spins from
atoms.arrays['spins'] (n x 3) or else the initial magnetic moments (collinear ones along z);
a committee file gives the members' mean plus energy_spread (eV) and forces_spread (eV/A,
n x 3, the standard deviation over members). Results are in eV and Angstrom, converted from
the model's units (the CODATA 2018 factors below; a model whose units are not named, e.g. an
n2p2 import labelled "n2p2", needs units=('bohr', 'Ha') or similar). Errors raise SannipError
carrying sannip's result code and message. The library is found through the lib argument,
$SANNIP_LIB, ../../build/libsannip.so next to this file, or the system's library path.
One calculator per thread (it owns a sannip workspace).
"""
import ctypes
import ctypes.util
import os
import weakref

import numpy as np
from ase.calculators.calculator import Calculator, PropertyNotImplementedError, all_changes
from ase.stress import full_3x3_to_voigt_6_stress

__all__ = ['SannipCalculator', 'SannipError', 'unit_factors']

# CODATA 2018 (SI 2019: e and N_A exact): unit name (lower case) -> Angstrom or eV.
_E_CHARGE, _N_A = 1.602176634e-19, 6.02214076e23
LENGTH_TO_ANGSTROM = {'a': 1.0, 'ang': 1.0, 'angstrom': 1.0, '\u00e5': 1.0,
                      'bohr': 0.529177210903, 'a0': 0.529177210903, 'nm': 10.0, 'pm': 0.01}
ENERGY_TO_EV = {'ev': 1.0, 'mev': 1e-3, 'ha': 27.211386245988, 'hartree': 27.211386245988,
                'ry': 13.605693122994, 'rydberg': 13.605693122994,
                'kcal/mol': 4184.0 / (_N_A * _E_CHARGE), 'kj/mol': 1000.0 / (_N_A * _E_CHARGE)}
_UNSUPPORTED = -14     # SANNIP_UNSUPPORTED
_NEEDS_SPIN = -15      # SANNIP_NEEDS_SPIN


class SannipError(RuntimeError):
    """A sannip failure: code (sannip_result, negative) and the message naming it."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def unit_factors(length, energy):
    """(Angstrom per length unit, eV per energy unit) of two unit names; SannipError if unknown."""
    a = LENGTH_TO_ANGSTROM.get(str(length).lower())
    e = ENERGY_TO_EV.get(str(energy).lower())
    if a is None or e is None:
        raise SannipError(_UNSUPPORTED, "SANNIP_UNSUPPORTED: model units length '%s', energy '%s': %s unknown; "
                          "pass units=(length, energy), e.g. units=('bohr', 'Ha') for an n2p2 potential "
                          "trained in atomic units (known: %s; %s)" % (
                              length, energy, 'length' if a is None else 'energy',
                              ', '.join(sorted(LENGTH_TO_ANGSTROM)), ', '.join(sorted(ENERGY_TO_EV))))
    return a, e


_libs = {}


def _library(path=None):
    """The ctypes library with its signatures (loaded once per path)."""
    here = os.path.dirname(os.path.abspath(__file__))
    found = [q for q in (path, os.environ.get('SANNIP_LIB'), os.path.join(here, '..', '..', 'build', 'libsannip.so'))
             if q and os.path.exists(q)]
    p = found[0] if found else ctypes.util.find_library('sannip')
    if not p:
        raise OSError('libsannip.so not found: run `make lib` in the sannip checkout, or set SANNIP_LIB')
    if p in _libs:
        return _libs[p]
    lib = ctypes.CDLL(p)
    dp, ip, vp = ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_int), ctypes.c_void_p
    for name, res, args in (
            ('sannip_py_new', vp, []), ('sannip_py_free', None, [vp]),
            ('sannip_py_load', ctypes.c_int, [vp, ctypes.c_char_p]),
            ('sannip_py_message', ctypes.c_char_p, [vp]), ('sannip_py_members', ctypes.c_int, [vp]),
            ('sannip_py_needs_spins', ctypes.c_int, [vp]), ('sannip_py_cutoff', ctypes.c_double, [vp]),
            ('sannip_py_units', ctypes.c_char_p, [vp, ctypes.c_int]),
            ('sannip_result_string', ctypes.c_char_p, [ctypes.c_int]),
            ('sannip_py_compute', ctypes.c_int, [vp, ctypes.c_int, dp, ip, dp, ip, dp, dp, dp, dp, dp, dp, dp, dp])):
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    _libs[p] = lib
    return lib


def _ptr(a, ctype=ctypes.c_double):
    return None if a is None else a.ctypes.data_as(ctypes.POINTER(ctype))


class SannipCalculator(Calculator):
    """ASE calculator for a sannip model or committee file (see the module's documentation).

    model_path: the file; units: optional (length, energy) names overriding the model's own;
    lib: optional path of libsannip.so. Attributes: members (1 for a single model),
    spin_aware, cutoff (Angstrom), units (the model's unit names as used)."""

    implemented_properties = ['energy', 'free_energy', 'energies', 'forces', 'stress']

    def __init__(self, model_path, units=None, lib=None, **kwargs):
        Calculator.__init__(self, **kwargs)
        self._lib = _library(lib)
        self._h = self._lib.sannip_py_new()
        if not self._h:
            raise MemoryError('sannip: out of memory')
        weakref.finalize(self, self._lib.sannip_py_free, self._h)
        r = self._lib.sannip_py_load(self._h, os.fsencode(str(model_path)))
        if r < 0:
            raise self._error(r)
        self.members = self._lib.sannip_py_members(self._h)
        self.spin_aware = bool(self._lib.sannip_py_needs_spins(self._h))
        self.units = tuple(units) if units else tuple(self._lib.sannip_py_units(self._h, k).decode() for k in (0, 1))
        self._to_A, self._to_eV = unit_factors(*self.units)
        self.cutoff = self._lib.sannip_py_cutoff(self._h) * self._to_A
        self.implemented_properties = (list(SannipCalculator.implemented_properties)
                                       + (['magnetic_forces'] if self.spin_aware else [])
                                       + (['energy_spread', 'forces_spread'] if self.members > 1 else []))

    def _error(self, code):
        msg = self._lib.sannip_py_message(self._h).decode(errors='replace')
        return SannipError(code, '%s: %s' % (self._lib.sannip_result_string(code).decode(), msg))

    def check_state(self, atoms, tol=1e-15):
        """ASE's changes plus 'spins' when atoms.arrays['spins'] changed (ASE does not watch it)."""
        changes = Calculator.check_state(self, atoms, tol)
        if self.atoms is not None:
            s0, s1 = self.atoms.arrays.get('spins'), atoms.arrays.get('spins')
            if (s0 is None) != (s1 is None) or (s0 is not None and (s0.shape != s1.shape or not np.array_equal(s0, s1))):
                changes.append('spins')
        return changes

    def _spins(self, atoms):
        """n x 3 spins of a spin-aware model: arrays['spins'], else initial moments (collinear -> z)."""
        n = len(atoms)
        if 'spins' in atoms.arrays:
            s = atoms.arrays['spins']
        elif atoms.has('initial_magmoms'):
            m = atoms.get_initial_magnetic_moments()
            s = m if m.ndim == 2 else np.column_stack((np.zeros(n), np.zeros(n), m))
        else:
            raise SannipError(_NEEDS_SPIN, "SANNIP_NEEDS_SPIN: the model evaluates spin bases: set atoms.arrays['spins'] "
                              "(n x 3) or initial magnetic moments")
        s = np.ascontiguousarray(s, dtype=np.float64)
        if s.shape != (n, 3):
            raise SannipError(-2, "SANNIP_INVALID_ARGS: spins of shape %s, expected (%d, 3)" % (s.shape, n))
        return s

    def calculate(self, atoms=None, properties=('energy',), system_changes=all_changes):
        Calculator.calculate(self, atoms, properties, system_changes)
        a, n = self.atoms, len(self.atoms)
        pos = np.ascontiguousarray(a.positions / self._to_A, dtype=np.float64)
        cell = np.ascontiguousarray(a.cell.array / self._to_A, dtype=np.float64)
        Z = np.ascontiguousarray(a.numbers, dtype=np.intc)
        pbc = np.ascontiguousarray(a.pbc, dtype=np.intc)
        spins = self._spins(a) if self.spin_aware else None
        periodic = bool(a.pbc.all())
        # one model gives everything in one pass; a committee's means of energies, virial and
        # field take a second pass over the members, so only when asked for
        extra = self.members == 1 or bool({'energies', 'stress', 'magnetic_forces'} & set(properties))
        E, Es = np.zeros(1), np.zeros(1)
        F, Fs = np.zeros((n, 3)), np.zeros((n, 3))
        ea = np.zeros(n) if extra else None
        W = np.zeros(9) if extra and periodic else None
        H = np.zeros((n, 3)) if extra and self.spin_aware else None
        r = self._lib.sannip_py_compute(self._h, n, _ptr(pos), _ptr(Z, ctypes.c_int), _ptr(cell), _ptr(pbc, ctypes.c_int),
                                        _ptr(spins), _ptr(E), _ptr(ea), _ptr(F), _ptr(W), _ptr(H), _ptr(Es), _ptr(Fs))
        if r < 0:
            raise self._error(r)
        eV, eV_A = self._to_eV, self._to_eV / self._to_A
        self.results['energy'] = self.results['free_energy'] = E[0] * eV
        self.results['forces'] = F * eV_A
        if ea is not None:
            self.results['energies'] = ea * eV
        if W is not None:
            self.results['stress'] = full_3x3_to_voigt_6_stress(-W.reshape(3, 3) * eV / a.get_volume())
        if H is not None:
            self.results['magnetic_forces'] = H * eV
        if self.members > 1:
            self.results['energy_spread'] = Es[0] * eV
            self.results['forces_spread'] = Fs * eV_A

    def get_magnetic_forces(self, atoms=None):
        """The effective field -dE/dS (n x 3, eV per spin unit) of a spin-aware model."""
        if not self.spin_aware:
            raise PropertyNotImplementedError('magnetic_forces: the model has no spin bases')
        return self.get_property('magnetic_forces', atoms)
