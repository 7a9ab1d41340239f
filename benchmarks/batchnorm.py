"""BatchNorm2d forward + backward: cnnlib against PyTorch on the CPU.

    env -u OPENBLAS_CORETYPE .venv/bin/python benchmarks/batchnorm.py [--rounds N] [--shape N C H W]
        [--torch-threads T]

Training mode (batch statistics, running averages updated), float32, input
(64, 64, 28, 28) by default: ``nn.BatchNorm2d`` forward then backward
(input, weight and bias gradients), and the same through PyTorch's autograd.
Both run in this one process in interleaved rounds (``timing.py``: each
round runs each candidate, with a pause when switching libraries); each
round calls a candidate for about 50 ms in a row, so a round measures the
steady state rather than the first call after the pause. Reported are the
medians of the per-round times and the median of the per-round ratios
(PyTorch time / cnnlib time: above 1 means cnnlib is faster). Two threads
for both libraries, as in ``run.py``; ``--torch-threads 1`` compares with
PyTorch on one core.

On a shared machine the ratio depends on what else runs (PyTorch's OpenMP
threads meet after every operation, and lose most when a core is taken),
so run it several times and read the load average it prints.

Before timing, cnnlib's results are checked against the formulas evaluated
in float64, and against PyTorch when it is installed.
"""

from __future__ import annotations

import os
import sys

THREADS = 2
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(THREADS)  # must happen before NumPy loads its BLAS

import argparse
import platform
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from timing import Candidate, interleaved, paired_ratio

from cnnlib import nn

try:
    import torch

    torch.set_num_threads(THREADS)
except ImportError:
    torch = None

EPS = 1e-5


def float64_batch_norm(x, g, gamma, beta):
    """y, dx, dgamma, dbeta of training-mode batch norm, straight from the formulas, in float64."""
    x, g = x.astype(np.float64), g.astype(np.float64)
    axes = (0, 2, 3)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    xhat = (x - mean) / np.sqrt(var + EPS)
    gamma = gamma.astype(np.float64).reshape(1, -1, 1, 1)
    y = gamma * xhat + beta.astype(np.float64).reshape(1, -1, 1, 1)
    dbeta, dgamma = g.sum(axis=axes), (g * xhat).sum(axis=axes)
    dx = gamma / np.sqrt(var + EPS) * (g - g.mean(axis=axes, keepdims=True)
                                       - xhat * (g * xhat).mean(axis=axes, keepdims=True))
    return y, dx, dgamma, dbeta


def check(name, ours, want, rtol=1e-4, atol=1e-4) -> None:
    err = np.abs(ours - want).max() / max(1.0, np.abs(want).max())
    status = "ok" if np.allclose(ours, want, rtol=rtol, atol=atol) else "MISMATCH"
    print(f"  {name:<28} max error {err:.1e} (relative to the largest value)  {status}")
    if status != "ok":
        raise SystemExit(f"{name} does not agree: nothing timed")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--shape", type=int, nargs=4, default=(64, 64, 28, 28), metavar=("N", "C", "H", "W"))
    parser.add_argument("--torch-threads", type=int, default=THREADS,
                        help="PyTorch's intra-op threads (default %(default)s; on a busy machine 1 can be faster)")
    args = parser.parse_args(argv)
    if torch is not None:
        torch.set_num_threads(args.torch_threads)
    shape = tuple(args.shape)
    rng = np.random.default_rng(0)
    # an offset mean, so a variance computed as E[x^2] - E[x]^2 would show
    x = (rng.standard_normal(shape, dtype=np.float32) * 2 + 3).astype(np.float32)
    g = rng.standard_normal(shape, dtype=np.float32)
    layer = nn.BatchNorm2d(shape[1])
    layer.weight.data[:] = rng.uniform(0.5, 1.5, shape[1])
    layer.bias.data[:] = rng.normal(size=shape[1])

    threads = f"{THREADS} threads" + (f" (PyTorch {args.torch_threads})" if torch and args.torch_threads != THREADS else "")
    print(f"BatchNorm2d, training mode, input {shape} float32, {threads}; "
          f"NumPy {np.__version__}" + (f", PyTorch {torch.__version__}" if torch else "")
          + f", Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}")
    print("agreement:")
    y64, dx64, dgamma64, dbeta64 = float64_batch_norm(x, g, layer.weight.data, layer.bias.data)
    check("forward vs float64", layer(x), y64)
    check("input gradient vs float64", layer.backward(g), dx64)
    check("weight gradient vs float64", layer.weight.grad, dgamma64, rtol=1e-4, atol=1e-2)
    check("bias gradient vs float64", layer.bias.grad, dbeta64, rtol=1e-4, atol=1e-2)

    def cnnlib_fb():
        layer(x)
        layer.backward(g)

    cands = [Candidate("cnnlib nn.BatchNorm2d", cnnlib_fb)]
    if torch is not None:
        tlayer = torch.nn.BatchNorm2d(shape[1], eps=EPS)
        tlayer.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in layer.state_dict().items()})
        tx, tg = torch.from_numpy(x).requires_grad_(), torch.from_numpy(g)
        ty = tlayer(tx)
        ty.backward(tg)
        check("forward vs torch", ty.detach().numpy(), y64)
        check("input gradient vs torch", tx.grad.numpy(), dx64)

        def torch_fb():
            tlayer(tx).backward(tg)
            tx.grad = tlayer.weight.grad = tlayer.bias.grad = None

        cands.append(Candidate("torch nn.BatchNorm2d", torch_fb, library="torch"))
    else:
        print("PyTorch is not installed: timing cnnlib alone (pip install torch==2.13.0)")

    interleaved(cands, args.rounds, target=0.05)  # ~50 ms of calls per round
    print(f"forward + backward, median of {args.rounds} interleaved rounds:")
    for c in cands:
        print(f"  {c.name:<24} {c.median() * 1e3:7.2f} ms")
    if torch is not None:
        ratio = paired_ratio(cands[1], cands[0])
        print(f"ratio torch / cnnlib: {ratio:.2f}x ({'cnnlib faster' if ratio >= 1 else 'torch faster'})")


if __name__ == "__main__":
    main()
