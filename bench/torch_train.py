#!/usr/bin/env python3
"""PyTorch side of bench/bench_train.c: the same energy+force training step as sannip_train.

Reads the tensors bench_train exports (build/bench_train_data.bin): per structure the scaled
features x = a (G - c) + d of every atom, their derivatives dx/dr (a dG/dr: per atom
nf x (n_i + 1) x 3, neighbour slots then the atom itself) with the neighbour indices, the
element of every atom, the reference energy and forces; per element the network sizes,
activations and energy map E_i = energy_scale NN(x_i) + energy_offset.

Builds the same model (per element nf -> 25 -> 25 -> 1, tanh, tanh, linear, float64) and the
same loss: per structure w_E ((E - E_ref)/N)^2 + w_F mean over the 3N components of
(F - F_ref)^2, the mean over the structures of a batch; forces
F_k = -sum_i sum_f dE_i/dx_if dx_if/dr_k, with dE/dx from autograd (create_graph=True) and
the contraction with dx/dr as a batched matrix product over zero-padded neighbour slots
plus an index_add into the atoms. Adam with the same learning rate and batch size, one
thread.

1. Checks, at sannip's trained parameters, that the loss and its gradient over the batch of
   structures bench_train used equal sannip_structure_gradient's, and that the training-set
   RMSEs equal sannip's (the two codes compute the same thing).
2. From a fresh Glorot initialisation, runs one warm-up epoch and then --epochs timed epochs
   (shuffled batches); each epoch is also followed by the training-set errors (energies and
   forces of every structure, no graph), timed apart, as sannip_train computes them.

Prints 'TORCH <figure> <value>' lines that bench_train parses. Needs numpy and torch only.
"""
import argparse
import sys
import time

import numpy as np
import torch


def load(path):
    """The records of bench_train's export: name, dtype, shape, data."""
    raw = open(path, "rb").read()
    out, pos = {}, 0
    while pos < len(raw):
        name = raw[pos:pos + 48].split(b"\0", 1)[0].decode()
        pos += 48
        is_int, ndim = np.frombuffer(raw, dtype="<i8", count=2, offset=pos)
        pos += 16
        shape = tuple(int(v) for v in np.frombuffer(raw, dtype="<i8", count=int(ndim), offset=pos))
        pos += 8 * int(ndim)
        count = int(np.prod(shape)) if shape else 1
        arr = np.frombuffer(raw, dtype="<i8" if is_int else "<f8", count=count, offset=pos).reshape(shape)
        pos += 8 * count
        out[name] = arr
    return out


ACTS = {0: None, 1: torch.nn.Tanh, 2: torch.nn.Sigmoid, 3: torch.nn.Softplus}


def make_net(sizes, acts):
    layers = []
    for l in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(int(sizes[l]), int(sizes[l + 1])))
        if int(acts[l]) not in ACTS:
            raise SystemExit("torch_train.py: activation %d not supported" % int(acts[l]))
        if ACTS[int(acts[l])] is not None:
            layers.append(ACTS[int(acts[l])]())
    return torch.nn.Sequential(*layers).double()


def glorot(nets, gen):
    """sannip_model_init_weights: weights uniform in +-sqrt(6/(fan_in + fan_out)), zero biases."""
    with torch.no_grad():
        for net in nets:
            for mod in net:
                if isinstance(mod, torch.nn.Linear):
                    lim = (6.0 / (mod.in_features + mod.out_features)) ** 0.5
                    mod.weight.uniform_(-lim, lim, generator=gen)
                    mod.bias.zero_()


def set_params(nets, flat):
    """sannip's parameter order: per element [W_0, b_0, W_1, b_1, ...], W row-major out x in."""
    k = 0
    with torch.no_grad():
        for net in nets:
            for mod in net:
                if isinstance(mod, torch.nn.Linear):
                    for p in (mod.weight, mod.bias):
                        n = p.numel()
                        p.copy_(torch.from_numpy(np.array(flat[k:k + n])).view_as(p))
                        k += n
    return k


def flat_grads(nets):
    return torch.cat([p.grad.reshape(-1) for net in nets for mod in net if isinstance(mod, torch.nn.Linear)
                      for p in (mod.weight, mod.bias)])


class Structure:
    """Per element: features X (n_e x nf), dx/dr padded to the element's largest neighbour
    count, D (n_e x nf x 3 S), and the atom of every slot J (n_e x S; padding -> atom n)."""

    def __init__(self, d, i, nfs):
        elem = d["s%d.elem" % i]
        self.n = len(elem)
        self.E = float(d["s%d.E" % i][0])
        self.F = torch.from_numpy(np.array(d["s%d.F" % i]))
        X, dX = d["s%d.X" % i], d["s%d.dX" % i]
        off, nbs, nb = d["s%d.dg_off" % i], d["s%d.nb_start" % i], d["s%d.nb" % i]
        self.X, self.D, self.J, self.count = [], [], [], []
        self.slots = self.padded = 0
        for e, nf in enumerate(nfs):
            atoms = np.nonzero(elem == e)[0]
            self.count.append(len(atoms))
            if len(atoms) == 0:
                self.X.append(torch.zeros(0, nf, dtype=torch.float64))
                self.D.append(None)
                self.J.append(None)
                continue
            nsl = nbs[atoms + 1] - nbs[atoms] + 1
            S = int(nsl.max())
            D = np.zeros((len(atoms), nf, S, 3))
            J = np.full((len(atoms), S), self.n, dtype=np.int64)
            for r, a in enumerate(atoms):
                s = int(nsl[r])
                D[r, :, :s, :] = dX[off[a]:off[a + 1]].reshape(nf, s, 3)
                J[r, :s - 1] = nb[nbs[a]:nbs[a + 1]]
                J[r, s - 1] = a
            self.slots += int(nsl.sum())
            self.padded += len(atoms) * S
            self.X.append(torch.from_numpy(np.ascontiguousarray(X[atoms, :nf])))
            self.D.append(torch.from_numpy(D.reshape(len(atoms), nf, 3 * S)))
            self.J.append(torch.from_numpy(J.reshape(-1)))


class Model:
    def __init__(self, d):
        self.ne = int(d["n_elements"][0])
        self.sizes = [d["e%d.sizes" % e] for e in range(self.ne)]
        self.nfs = [int(s[0]) for s in self.sizes]
        self.nets = [make_net(self.sizes[e], d["e%d.act" % e]) for e in range(self.ne)]
        self.escale = [float(d["e%d.energy_scale" % e][0]) for e in range(self.ne)]
        self.eoff = [float(d["e%d.energy_offset" % e][0]) for e in range(self.ne)]

    def parameters(self):
        return [p for net in self.nets for p in net.parameters()]

    def energies_forces(self, batch, create_graph):
        """Total energies (B) and forces (list of n x 3) of the structures of a batch: one
        network pass per element over the batch's atoms, dE/dx by autograd, then the
        contraction with dx/dr per structure and element."""
        B = len(batch)
        Xs, Eat, sid = [], [], []
        for e in range(self.ne):
            x = torch.cat([s.X[e] for s in batch]).requires_grad_(True)
            Xs.append(x)
            Eat.append(self.escale[e] * self.nets[e](x).squeeze(-1) + self.eoff[e])
            sid.append(torch.cat([torch.full((s.count[e],), b, dtype=torch.int64) for b, s in enumerate(batch)]))
        E = torch.zeros(B, dtype=torch.float64)
        for e in range(self.ne):
            E = E.index_add(0, sid[e], Eat[e])
        g = torch.autograd.grad(E.sum(), Xs, create_graph=create_graph)
        gs = [torch.split(g[e], [s.count[e] for s in batch]) for e in range(self.ne)]
        F = []
        for b, s in enumerate(batch):
            Fx = torch.zeros(s.n + 1, 3, dtype=torch.float64)
            for e in range(self.ne):
                if s.D[e] is None:
                    continue
                c = torch.bmm(gs[e][b].unsqueeze(1), s.D[e]).view(-1, 3)   # dE_i/dx_i . dx_i/dr_slot
                Fx = Fx.index_add(0, s.J[e], c)
            F.append(-Fx[:s.n])
        return E, F

    def loss(self, batch, ew, fw):
        E, F = self.energies_forces(batch, True)
        L = 0
        for b, s in enumerate(batch):
            L = L + ew * ((E[b] - s.E) / s.n) ** 2 + fw * ((F[b] - s.F) ** 2).mean()
        return L / len(batch)

    def errors(self, structs):
        """Training-set RMSE: energy per atom, force per component."""
        se = sf = nf = 0.0
        for s in structs:
            E, F = self.energies_forces([s], False)
            se += ((float(E[0]) - s.E) / s.n) ** 2
            sf += float(((F[0].detach() - s.F) ** 2).sum())
            nf += 3 * s.n
        return (se / len(structs)) ** 0.5, (sf / nf) ** 0.5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--epochs", type=int, default=10, help="timed epochs after the warm-up one")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.set_default_dtype(torch.float64)
    print("TORCH version %s (numpy %s), %d thread(s)" % (torch.__version__, np.__version__, torch.get_num_threads()))

    t0 = time.perf_counter()
    d = load(args.data)
    model = Model(d)
    ns = int(d["n_structures"][0])
    structs = [Structure(d, i, model.nfs) for i in range(ns)]
    ew, fw = float(d["energy_weight"][0]), float(d["force_weight"][0])
    lr, bs = float(d["learning_rate"][0]), int(d["batch_size"][0])
    slots = sum(s.slots for s in structs)
    padded = sum(s.padded for s in structs)
    print("TORCH load_seconds %.2f" % (time.perf_counter() - t0))
    print("    %d structures, %d atoms, networks %s; dx/dr padded to the largest neighbour count per structure"
          " and element: %.1f%% padding" % (ns, sum(s.n for s in structs),
                                             ", ".join("-".join(str(int(v)) for v in sz) for sz in model.sizes),
                                             100.0 * (padded - slots) / padded))

    # 1. same computation as sannip: loss, gradient and errors at sannip's trained parameters
    np_ = set_params(model.nets, d["params"])
    if np_ != len(d["params"]):
        raise SystemExit("torch_train.py: parameter count %d != %d" % (np_, len(d["params"])))
    idx = [int(i) for i in d["grad_check.structures"]]
    for p in model.parameters():
        p.grad = None
    L = model.loss([structs[i] for i in idx], ew, fw)
    L.backward()
    gt = flat_grads(model.nets).detach().numpy()
    gs = np.array(d["grad_check.grad"])
    ls = float(d["grad_check.loss"][0])
    grel = float(np.abs(gt - gs).max() / max(np.abs(gs).max(), 1e-300))
    print("TORCH loss_check rel_diff %.3g" % (abs(float(L) - ls) / abs(ls)))
    print("TORCH grad_check max_rel_diff %.3g" % grel)
    re, rf = model.errors(structs)
    se, sf = float(d["sannip.train_rmse_e"][0]), float(d["sannip.train_rmse_f"][0])
    print("TORCH rmse_check rel_diff %.3g %.3g" % (abs(re - se) / se, abs(rf - sf) / sf))

    # 2. timed training from a fresh initialisation
    gen = torch.Generator().manual_seed(args.seed)
    glorot(model.nets, gen)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    t_steps, t_eval = [], []
    c0 = w0 = 0.0
    for epoch in range(args.epochs + 1):
        t = time.perf_counter()
        if epoch == 1:
            c0, w0 = time.process_time(), t
        perm = torch.randperm(ns, generator=gen).tolist()
        eloss = 0.0
        for b0 in range(0, ns, bs):
            batch = [structs[i] for i in perm[b0:b0 + bs]]
            opt.zero_grad()
            L = model.loss(batch, ew, fw)
            L.backward()
            opt.step()
            eloss += float(L) * len(batch)
        t1 = time.perf_counter()
        re, rf = model.errors(structs)
        t2 = time.perf_counter()
        print("    epoch %d%s: %.3f s steps + %.3f s errors, loss %.4g, train RMSE E %.4g Ha/atom, F %.4g Ha/bohr"
              % (epoch, " (warm-up)" if epoch == 0 else "", t1 - t, t2 - t1, eloss / ns, re, rf))
        sys.stdout.flush()
        if epoch > 0:
            t_steps.append(t1 - t)
            t_eval.append(t2 - t)
    print("TORCH cpu_share %.3f" % ((time.process_time() - c0) / (time.perf_counter() - w0)))
    print("TORCH seconds_per_epoch %.6f" % (sum(t_steps) / len(t_steps)))
    print("TORCH seconds_per_epoch_with_eval %.6f" % (sum(t_eval) / len(t_eval)))
    print("TORCH best_seconds_per_epoch %.6f" % min(t_steps))
    print("TORCH best_seconds_per_epoch_with_eval %.6f" % min(t_eval))


if __name__ == "__main__":
    main()
