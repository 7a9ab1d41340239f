"""LeNet-5 on MNIST, one training epoch: cnnlib against the same network in PyTorch.

    python benchmarks/lenet.py [--rounds 3] [--fraction 1.0]      # time, one process
    python benchmarks/lenet.py --memory numpy|torch                # peak memory, own process

The network is LeNet-5 as the course trains it: conv 6@5x5 pad 2, ReLU, max
pool 2, conv 16@5x5, ReLU, max pool 2, flatten, 400-120-84-10 with ReLUs;
Adam (lr 1e-3), batch 128, float32, two threads.

Timing: both frameworks in this one process, epochs interleaved (cnnlib,
PyTorch, PyTorch, cnnlib, ...), each round from the same initial weights
(cnnlib's, copied into PyTorch) and the same batch order; the ratio is the
median of the per-round ratios (see ``timing.py`` for why). cnnlib trains
with :func:`cnnlib.train.fit` (what a reader calls); the PyTorch loop does
the same work, including the running loss and accuracy ``fit`` keeps.

Memory: ``--memory`` trains one epoch in a fresh process and prints the peak
resident set size, so the number belongs to one framework alone.
"""

from __future__ import annotations

import os
import sys

THREADS = os.environ.get("BENCH_THREADS", "2")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = THREADS  # read once, when the BLAS library loads

import argparse
import json
import subprocess
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from e2e import peak_rss_mib  # noqa: E402

import cnnlib  # noqa: E402
from cnnlib import nn, optim  # noqa: E402
from cnnlib.train import fit  # noqa: E402

LR, BATCH = 1e-3, 128


def cnnlib_lenet(seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120, rng=rng), nn.ReLU(), nn.Linear(120, 84, rng=rng), nn.ReLU(),
        nn.Linear(84, 10, rng=rng))


def torch_lenet(seed: int):
    import torch

    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(400, 120), torch.nn.ReLU(), torch.nn.Linear(120, 84), torch.nn.ReLU(),
        torch.nn.Linear(84, 10))
    # same starting point: cnnlib's keys ("0.weight", ...) are torch's
    model.load_state_dict({k: torch.from_numpy(v) for k, v in cnnlib_lenet(seed).state_dict().items()})
    return model


def epoch_cnnlib(X, y, seed: int) -> float:
    model = cnnlib_lenet(seed)
    opt = optim.Adam(model.parameters(), lr=LR)
    start = time.perf_counter()
    history = fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=1, batch_size=BATCH,
                  rng=np.random.default_rng(seed), progress="none")
    seconds = time.perf_counter() - start
    assert np.isfinite(history.loss[-1])
    return seconds


def epoch_torch(X, y, seed: int) -> float:
    import torch

    model = torch_lenet(seed)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    # the batches fit() draws: one permutation from the same seeded generator
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(X)))
    start = time.perf_counter()
    total_loss, correct = 0.0, 0
    for lo in range(0, len(X), BATCH):
        idx = order[lo:lo + BATCH]
        opt.zero_grad()
        out = model(X_t[idx])
        loss = loss_fn(out, y_t[idx])
        loss.backward()
        opt.step()
        total_loss += loss.item() * len(idx)
        correct += int((out.argmax(1) == y_t[idx]).sum())
    return time.perf_counter() - start


def load(fraction: float):
    (X, y), _ = cnnlib.datasets.load_mnist()
    n = int(round(fraction * len(X)))
    return np.ascontiguousarray(X[:n]), np.ascontiguousarray(y[:n])


def memory(framework: str, fraction: float) -> dict:
    if framework == "torch":
        import torch

        torch.set_num_threads(int(THREADS))
    X, y = load(fraction)
    before = peak_rss_mib()
    seconds = (epoch_cnnlib if framework == "numpy" else epoch_torch)(X, y, 0)
    return {"framework": framework, "seconds": seconds, "peak_rss_mib": peak_rss_mib(),
            "rss_before_training_mib": before}


def measure(rounds: int, fraction: float, settle: float = 0.2) -> dict:
    """Interleaved epochs in this process; returns times and the median ratio."""
    try:
        import torch

        torch.set_num_threads(int(THREADS))
    except ImportError:
        torch = None
    X, y = load(fraction)
    ours, theirs, ratios = [], [], []
    for r in range(rounds):
        first_ours = r % 2 == 0  # alternate who goes first
        pair = {}
        for who in (("ours", "torch") if first_ours else ("torch", "ours")):
            if who == "torch" and torch is None:
                continue
            time.sleep(settle)  # let the other library's spinning threads go to sleep
            pair[who] = (epoch_cnnlib if who == "ours" else epoch_torch)(X, y, r)
        ours.append(pair["ours"])
        if "torch" in pair:
            theirs.append(pair["torch"])
            ratios.append(pair["torch"] / pair["ours"])
    return {"images": len(X), "cnnlib_s": ours, "torch_s": theirs, "ratios": ratios,
            "ratio_median": float(np.median(ratios)) if ratios else float("nan")}


def run_memory(framework: str, fraction: float, timeout: float = 300) -> dict:
    """``--memory`` in a fresh process (so its peak RSS is its own)."""
    cmd = [sys.executable, __file__, "--memory", framework, "--fraction", str(fraction)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fraction", type=float, default=1.0,
                        help="train on this fraction of the 60,000 images (a quick look)")
    parser.add_argument("--memory", choices=["numpy", "torch"])
    args = parser.parse_args(argv)
    if args.memory:
        print(json.dumps(memory(args.memory, args.fraction)))
        return
    result = measure(args.rounds, args.fraction)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
