"""End-to-end training run, one framework per process (called by run.py).

    python benchmarks/e2e.py numpy|torch [--epochs 30] [--seed 0] [--tracemalloc]

Trains the course's small digits network on ``cnnlib.datasets.load_digits()``
(Adam, lr 1e-3, batch 32) and prints one JSON line: training seconds, final
test accuracy and peak memory. It runs in a fresh process so that the peak
resident set size (``ru_maxrss``) belongs to this framework alone.

Both versions start from the same weights (cnnlib's initialisation, copied
into the PyTorch model) and see the same batches in the same order: the
PyTorch loop draws each epoch's permutation from the same seeded generator
that :func:`cnnlib.train.fit` uses, and, like ``fit``, keeps the running
loss and accuracy of every batch. The test set is scored once, at the end.
"""

from __future__ import annotations

import os
import sys

THREADS = os.environ.get("E2E_THREADS", "2")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = THREADS  # read once, when the BLAS library loads

import argparse
import json
import resource
import time

import numpy as np

import cnnlib
from cnnlib import nn, optim
from cnnlib.train import accuracy, fit

LR, BATCH = 1e-3, 32


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB.

    On Linux this is ``VmHWM`` from /proc: ``ru_maxrss`` survives ``exec``,
    so in a child of a big process it would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 2**20  # macOS: bytes


def build_model(seed: int) -> nn.Sequential:
    """The course's small digits network, initialised from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.Flatten(),
        nn.Linear(256, 10, rng=rng))


def train_numpy(data, epochs: int, seed: int) -> float:
    (X, y), (Xt, yt) = data
    model = build_model(seed)
    start = time.perf_counter()
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=LR),
        (X, y), epochs=epochs, batch_size=BATCH, rng=np.random.default_rng(seed), progress="none")
    seconds = time.perf_counter() - start
    return seconds, accuracy(model, Xt, yt)


def train_torch(data, epochs: int, seed: int):
    import torch

    torch.set_num_threads(int(THREADS))
    (X, y), (Xt, yt) = data
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(256, 10))
    # same starting point: cnnlib's keys ("0.weight", ...) match torch's
    model.load_state_dict({k: torch.from_numpy(v) for k, v in build_model(seed).state_dict().items()})
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    X_t, y_t, Xt_t, yt_t = (torch.from_numpy(a) for a in (X, y, Xt, yt))

    def accuracy(Xa, ya):
        with torch.no_grad():
            pred = torch.cat([model(Xa[i:i + 512]) for i in range(0, len(Xa), 512)])
        return float((pred.argmax(1) == ya).float().mean())

    rng = np.random.default_rng(seed)  # the generator fit() would use
    n_batches = -(-len(X) // BATCH)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(X)))
        total_loss, correct = 0.0, 0
        for b in range(n_batches):
            idx = order[b * BATCH:(b + 1) * BATCH]
            opt.zero_grad()
            out = model(X_t[idx])
            loss = loss_fn(out, y_t[idx])
            loss.backward()
            opt.step()
            # fit() keeps the running loss and accuracy of every batch
            total_loss += loss.item() * len(idx)
            correct += int((out.argmax(1) == y_t[idx]).sum())
    seconds = time.perf_counter() - start
    return seconds, accuracy(Xt_t, yt_t)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("framework", choices=["numpy", "torch"])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also report the peak of memory allocated through Python/NumPy "
                             "(slows allocation down; use a separate run for timing)")
    args = parser.parse_args(argv)

    if args.framework == "torch":
        import torch  # noqa: F401  (its import is part of its memory footprint)
    data = cnnlib.datasets.load_digits()
    ready = peak_rss_mib()
    if args.tracemalloc:
        import tracemalloc
        tracemalloc.start()
    train = train_numpy if args.framework == "numpy" else train_torch
    seconds, test_acc = train(data, args.epochs, args.seed)
    result = {"framework": args.framework, "seconds": seconds, "test_acc": test_acc,
              "peak_rss_mib": peak_rss_mib(), "rss_before_training_mib": ready}
    if args.tracemalloc:
        result["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
    print(json.dumps(result))


if __name__ == "__main__":
    main()
