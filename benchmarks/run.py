"""Performance comparison of cnnlib's fast ops: ``make bench``.

    python benchmarks/run.py [--quick] [--sections conv,pool,e2e] [--out FILE]

Prints markdown tables: convolution forward and forward+backward times on
four layer shapes, max pooling, and an end-to-end training run, each against
baselines (the reference loops, SciPy, a classic strided im2col and, when it
is installed, PyTorch on the CPU), then checks the targets listed in
``benchmarks/README.md``. Method: float32, two threads everywhere, every
implementation in this one process, interleaved rounds, medians (see
``timing.py``). Every implementation is checked against cnnlib's reference
before it is timed.
"""

from __future__ import annotations

import os
import sys

THREADS = 2
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(THREADS)  # must happen before NumPy loads its BLAS

import argparse
import json
import math
import platform
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

import baselines as B
from timing import Candidate, interleaved, paired_ratio

from cnnlib import _kernels
from cnnlib import functional as F
from cnnlib import nn
from cnnlib import reference as R

try:
    import torch
    import torch.nn.functional as tF

    torch.set_num_threads(THREADS)
except ImportError:  # the PyTorch columns are skipped
    torch = None

DTYPE = np.float32


@dataclass(frozen=True)
class ConvLayer:
    """A convolution shape: input (N, C, H, W) -> F filters of k x k."""

    name: str
    n: int
    c: int
    h: int
    w: int
    f: int
    k: int
    stride: int = 1
    padding: int = 0
    ref_batch: int = 1  # batch on which the slow loops are timed, then scaled to n

    def describe(self) -> str:
        pad = f" p{self.padding}" if self.padding else ""
        stride = f" s{self.stride}" if self.stride != 1 else ""
        return f"{self.name}: ({self.n},{self.c},{self.h},{self.w}) -> {self.f}@{self.k}x{self.k}{stride}{pad}"


LAYERS = [
    ConvLayer("a", 64, 1, 28, 28, 8, 5, ref_batch=4),
    ConvLayer("b", 64, 8, 12, 12, 16, 5, ref_batch=8),
    ConvLayer("c", 32, 3, 32, 32, 32, 3, padding=1, ref_batch=2),
    ConvLayer("d", 16, 64, 56, 56, 64, 3, padding=1, ref_batch=1),
]

# targets from the issue (see README.md)
TARGET_TORCH_GEOMEAN = 0.5
TARGET_VS_STRIDED = 1.3
TARGET_VS_REFERENCE = 300.0
TARGET_POOL_VS_TORCH = 1.0
TARGET_E2E_ACCURACY = 0.97
TARGET_E2E_MIB = 100.0


# --------------------------------------------------------------------------
# formatting


def fmt_ms(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "-"
    ms = seconds * 1e3
    if ms >= 1000:
        return f"{ms:,.0f}"
    return f"{ms:.3g}" if ms < 10 else f"{ms:.1f}"


def fmt_ratio(r: float) -> str:
    if not math.isfinite(r):
        return "-"
    return f"{r:,.0f}x" if r >= 100 else f"{r:.2f}x"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "--:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


class Report:
    """Collects markdown and prints it as it goes (a long run shows progress)."""

    def __init__(self):
        self.parts: list[str] = []

    def add(self, text: str = "") -> None:
        self.parts.append(text)
        print(text, flush=True)

    def text(self) -> str:
        return "\n".join(self.parts) + "\n"


def geomean(values) -> float:
    values = [v for v in values if math.isfinite(v) and v > 0]
    return float(np.exp(np.mean(np.log(values)))) if values else float("nan")


# --------------------------------------------------------------------------
# checks before timing: every competitor computes the same thing


def _close(a, b, name: str) -> None:
    a = a.detach().numpy() if torch is not None and isinstance(a, torch.Tensor) else np.asarray(a)
    scale = max(1.0, float(np.max(np.abs(b))))
    err = float(np.max(np.abs(a - b))) / scale if b.size else 0.0
    if not err < 1e-3:
        raise AssertionError(f"{name} disagrees with the reference (relative error {err:.2e})")


def check_conv_agreement(L: ConvLayer, x, w, b, g) -> None:
    """All implementations against the reference loops on the reduced batch."""
    m = L.ref_batch
    xs, gs = x[:m], g[:m]
    want = R.conv2d(xs, w, b, L.stride, L.padding)
    want_grads = R.conv2d_backward(gs, xs, w, L.stride, L.padding)
    layer = _layer_for(L, w, b)
    got = {
        "cnnlib": (F.conv2d(xs, w, b, L.stride, L.padding),
                   F.conv2d_backward(gs, xs, w, L.stride, L.padding)),
        "nn.Conv2d": (layer(xs), (layer.backward(gs), layer.weight.grad, layer.bias.grad)),
        "strided im2col": (B.strided_conv2d(xs, w, b, L.stride, L.padding),
                           B.strided_conv2d_backward(gs, xs, w, L.stride, L.padding)),
        "scipy": (B.scipy_conv2d(xs, w, b, L.padding), B.scipy_conv2d_backward(gs, xs, w, L.padding)),
    }
    if torch is not None:
        tx, tw, tb = (torch.from_numpy(a).requires_grad_() for a in (xs, w, b))
        out = tF.conv2d(tx, tw, tb, L.stride, L.padding)
        out.backward(torch.from_numpy(gs))
        got["torch"] = (out, (tx.grad, tw.grad, tb.grad))
    for name, (out, grads) in got.items():
        _close(out, want, f"{name} forward, layer {L.name}")
        for gname, a, e in zip(("grad_x", "grad_w", "grad_b"), grads, want_grads):
            _close(a, e, f"{name} {gname}, layer {L.name}")
    # full size too, where cnnlib may lay its columns out differently: against
    # the strided baseline in float64 (checked against the reference loops
    # by baselines.self_check())
    x64, w64, b64, g64 = (a.astype(np.float64) for a in (x, w, b, g))
    want, cache = B.strided_conv2d_forward(x64, w64, b64, L.stride, L.padding)
    want_grads = B.strided_conv2d_backward_cached(g64, cache)
    layer = _layer_for(L, w, b)
    got = {"nn.Conv2d": (layer(x), (layer.backward(g), layer.weight.grad, layer.bias.grad)),
           "cnnlib": (F.conv2d(x, w, b, L.stride, L.padding),
                      F.conv2d_backward(g, x, w, L.stride, L.padding))}
    for name, (out, grads) in got.items():
        _close(out, want, f"{name} forward, full batch, layer {L.name}")
        for gname, a, e in zip(("grad_x", "grad_w", "grad_b"), grads, want_grads):
            _close(a, e, f"{name} {gname}, full batch, layer {L.name}")


def _layer_for(L: ConvLayer, w, b) -> nn.Conv2d:
    layer = nn.Conv2d(L.c, L.f, L.k, stride=L.stride, padding=L.padding)
    layer.weight.data[...] = w
    layer.bias.data[...] = b
    return layer


# --------------------------------------------------------------------------
# convolution


CONV_COLUMNS = ["nn.Conv2d", "cnnlib", "strided im2col", "scipy", "reference", "torch"]


def conv_candidates(L: ConvLayer, x, w, b, g, slow_rounds: int):
    """(forward candidates, forward+backward candidates) for one layer."""
    layer = _layer_for(L, w, b)
    s, p = L.stride, L.padding
    m, scale = L.ref_batch, L.n / L.ref_batch
    xs, gs = x[:m], g[:m]

    def layer_fb():
        layer(x)
        layer.backward(g)

    def func_fb():
        F.conv2d(x, w, b, s, p)
        F.conv2d_backward(g, x, w, s, p)

    def strided_fb():
        _, cache = B.strided_conv2d_forward(x, w, b, s, p)
        B.strided_conv2d_backward_cached(g, cache)

    def scipy_fb():
        B.scipy_conv2d(xs, w, b, p)
        B.scipy_conv2d_backward(gs, xs, w, p)

    def ref_fb():
        R.conv2d(xs, w, b, s, p)
        R.conv2d_backward(gs, xs, w, s, p)

    fwd = [Candidate("nn.Conv2d", lambda: layer(x)),
           Candidate("cnnlib", lambda: F.conv2d(x, w, b, s, p)),
           Candidate("strided im2col", lambda: B.strided_conv2d(x, w, b, s, p)),
           Candidate("scipy", lambda: B.scipy_conv2d(xs, w, b, p), scale=scale, rounds=slow_rounds),
           Candidate("reference", lambda: R.conv2d(xs, w, b, s, p), scale=scale, rounds=slow_rounds)]
    fb = [Candidate("nn.Conv2d", layer_fb),
          Candidate("cnnlib", func_fb),
          Candidate("strided im2col", strided_fb),
          Candidate("scipy", scipy_fb, scale=scale, rounds=slow_rounds),
          Candidate("reference", ref_fb, scale=scale, rounds=slow_rounds)]
    if torch is not None:
        tx, tw, tb = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
        tg = torch.from_numpy(g)

        def torch_fwd():
            with torch.no_grad():
                tF.conv2d(tx, tw, tb, s, p)

        def torch_fb():
            tF.conv2d(tx, tw, tb, s, p).backward(tg)
            tx.grad = tw.grad = tb.grad = None

        fwd.append(Candidate("torch", torch_fwd, library="torch"))
        fb.append(Candidate("torch", torch_fb, library="torch"))
    return fwd, fb


def bench_conv(report: Report, rounds: int, slow_rounds: int, target: float) -> dict:
    rng = np.random.default_rng(0)
    results = {}
    for L in LAYERS:
        x = rng.standard_normal((L.n, L.c, L.h, L.w), dtype=DTYPE)
        bound = 1 / math.sqrt(L.c * L.k * L.k)
        w = rng.uniform(-bound, bound, (L.f, L.c, L.k, L.k)).astype(DTYPE)
        b = rng.uniform(-bound, bound, L.f).astype(DTYPE)
        ho = (L.h + 2 * L.padding - L.k) // L.stride + 1
        wo = (L.w + 2 * L.padding - L.k) // L.stride + 1
        g = rng.standard_normal((L.n, L.f, ho, wo), dtype=DTYPE)
        check_conv_agreement(L, x, w, b, g)
        start = time.perf_counter()
        fwd, fb = conv_candidates(L, x, w, b, g, slow_rounds)
        # a big layer gets fewer rounds: its calls are long enough on their own
        n_rounds = rounds if L.n * L.c * L.h * L.w < 1_000_000 else max(slow_rounds, rounds // 3)
        interleaved(fwd, n_rounds, target)
        interleaved(fb, n_rounds, target)
        ho_wo = (ho, wo)
        layout = _kernels._column_layout(L.n, L.f, L.c * L.k * L.k, ho_wo[0] * ho_wo[1], ho_wo[1])
        results[L.name] = {"layer": L, "fwd": {c.name: c for c in fwd}, "fb": {c.name: c for c in fb},
                           "rounds": n_rounds, "seconds": time.perf_counter() - start,
                           "column_layout": layout}
        print(f"  layer {L.name} timed in {results[L.name]['seconds']:.0f} s", file=sys.stderr, flush=True)

    def times_table(kind: str) -> str:
        cols = [c for c in CONV_COLUMNS if torch is not None or c != "torch"]
        rows = []
        for res in results.values():
            cands = res[kind]
            rows.append([res["layer"].describe()] + [fmt_ms(cands[c].median()) for c in cols])
        return table(["layer"] + [f"{c} (ms)" for c in cols], rows)

    report.add("### Convolution: forward (ms, median)\n")
    report.add(times_table("fwd"))
    report.add("")
    report.add("### Convolution: forward + backward (ms, median)\n")
    report.add(times_table("fb"))
    report.add("")
    slow_note = ", ".join(f"{r['layer'].name}: N={r['layer'].ref_batch}" for r in results.values())
    layouts = ", ".join(f"{r['layer'].name}: {r['column_layout']}" for r in results.values())
    report.add(f"`scipy` and `reference` are timed on a reduced batch ({slow_note}) in "
               f"{slow_rounds} rounds and scaled linearly to the full batch. Column layout "
               f"cnnlib picked ({layouts}); forward+backward of `cnnlib` is `conv2d` + "
               f"`conv2d_backward`, which recomputes the columns.\n")

    # speed ratios: how many times faster nn.Conv2d (what the layers run) is
    others = [c for c in ["cnnlib", "strided im2col", "scipy", "reference", "torch"]
              if torch is not None or c != "torch"]
    rows = []
    for kind, label in (("fwd", "forward"), ("fb", "forward+backward")):
        for res in results.values():
            ours = res[kind]["nn.Conv2d"]
            rows.append([f"{res['layer'].name} {label}"] +
                        [fmt_ratio(paired_ratio(res[kind][o], ours)) for o in others])
        rows.append([f"geometric mean, {label}"] +
                    [fmt_ratio(geomean([paired_ratio(res[kind][o], res[kind]["nn.Conv2d"])
                                        for res in results.values()])) for o in others])
    report.add("### Convolution: speed of nn.Conv2d relative to each (x > 1: cnnlib is faster)\n")
    report.add(table(["layer"] + [f"vs {o}" for o in others], rows))
    report.add("")
    return results


# --------------------------------------------------------------------------
# max pooling


POOL_SHAPE = (32, 32, 32, 32)
POOL_REF_BATCH = 1


def bench_pool(report: Report, rounds: int, slow_rounds: int, target: float) -> dict:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(POOL_SHAPE, dtype=DTYPE)
    g = rng.standard_normal(POOL_SHAPE[:2] + (POOL_SHAPE[2] // 2, POOL_SHAPE[3] // 2), dtype=DTYPE)
    m = POOL_REF_BATCH
    layer = nn.MaxPool2d(2)

    # agreement first
    want = R.max_pool2d(x[:m], 2)
    want_grad = R.max_pool2d_backward(g[:m], x[:m], 2)
    _close(layer(x[:m]), want, "nn.MaxPool2d forward")
    _close(layer.backward(g[:m]), want_grad, "nn.MaxPool2d backward")
    _close(B.reshape_max_pool2d(x[:m]), want, "reshape max pool forward")
    _close(B.reshape_max_pool2d_backward(g[:m], x[:m], want), want_grad, "reshape max pool backward")
    # full size against the reshape baseline (Gaussian data: no ties)
    full = B.reshape_max_pool2d(x)
    _close(layer(x), full, "nn.MaxPool2d forward, full batch")
    _close(layer.backward(g), B.reshape_max_pool2d_backward(g, x, full), "nn.MaxPool2d backward, full batch")

    def layer_fb():
        layer(x)
        layer.backward(g)

    def func_fb():
        F.max_pool2d(x, 2)
        F.max_pool2d_backward(g, x, 2)

    def reshape_fb():
        out = B.reshape_max_pool2d(x)
        B.reshape_max_pool2d_backward(g, x, out)

    def ref_fb():
        R.max_pool2d(x[:m], 2)
        R.max_pool2d_backward(g[:m], x[:m], 2)

    scale = POOL_SHAPE[0] / m
    fwd = [Candidate("nn.MaxPool2d", lambda: layer(x)),
           Candidate("cnnlib", lambda: F.max_pool2d(x, 2)),
           Candidate("reshape max", lambda: B.reshape_max_pool2d(x)),
           Candidate("reference", lambda: R.max_pool2d(x[:m], 2), scale=scale, rounds=slow_rounds)]
    fb = [Candidate("nn.MaxPool2d", layer_fb),
          Candidate("cnnlib", func_fb),
          Candidate("reshape max", reshape_fb),
          Candidate("reference", ref_fb, scale=scale, rounds=slow_rounds)]
    if torch is not None:
        tx, tg = torch.from_numpy(x).requires_grad_(), torch.from_numpy(g)
        _close(tF.max_pool2d(tx[:m], 2), want, "torch max pool forward")

        def torch_fwd():
            with torch.no_grad():
                tF.max_pool2d(tx, 2)

        def torch_fb():
            tF.max_pool2d(tx, 2).backward(tg)
            tx.grad = None

        fwd.append(Candidate("torch", torch_fwd, library="torch"))
        fb.append(Candidate("torch", torch_fb, library="torch"))
    interleaved(fwd, rounds, target)
    interleaved(fb, rounds, target)
    names = [c.name for c in fb]
    report.add(f"### Max pooling 2x2, stride 2, input {POOL_SHAPE} float32\n")
    rows = [[label] + [fmt_ms(c.median()) for c in cands] for label, cands in
            (("forward (ms)", fwd), ("forward+backward (ms)", fb))]
    for label, cands in (("forward", fwd), ("forward+backward", fb)):
        rows.append([f"nn.MaxPool2d speed-up, {label}"] +
                    [fmt_ratio(paired_ratio(c, cands[0])) for c in cands])
    report.add(table([""] + names, rows))
    report.add(f"\n`reference` timed on N={m} and scaled. `reshape max` gives a tied "
               f"maximum's gradient to every tied entry (cnnlib and PyTorch pick the first).\n")
    return {"fwd": {c.name: c for c in fwd}, "fb": {c.name: c for c in fb}}


# --------------------------------------------------------------------------
# end to end


def run_e2e(framework: str, epochs: int, timeout: float, extra=()) -> dict:
    cmd = [sys.executable, str(HERE / "e2e.py"), framework, "--epochs", str(epochs), *extra]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"framework": framework, "timeout": timeout}
    except subprocess.CalledProcessError as err:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err.stderr}") from err
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_e2e(report: Report, runs: int, epochs: int, timeout: float) -> dict:
    frameworks = ["numpy"] + (["torch"] if torch is not None else [])
    results = {f: [] for f in frameworks}
    for r in range(runs):  # alternate, so both see the same machine load
        for f in (frameworks if r % 2 == 0 else frameworks[::-1]):
            results[f].append(run_e2e(f, epochs, timeout))
    traced = run_e2e("numpy", epochs, timeout, ["--tracemalloc"])

    def med(f, key):
        vals = [r[key] for r in results[f] if key in r]
        return float(np.median(vals)) if vals else float("nan")

    rows = []
    for f in frameworks:
        timeouts = sum("timeout" in r for r in results[f])
        secs = med(f, "seconds")
        cell = f"{secs:.2f}" + (f" ({timeouts} run(s) > {timeout:.0f} s)" if timeouts else "")
        rows.append([{"numpy": "cnnlib (NumPy)", "torch": "PyTorch"}[f], cell,
                     f"{100 * med(f, 'test_acc'):.2f}%", f"{med(f, 'peak_rss_mib'):.0f}",
                     f"{med(f, 'rss_before_training_mib'):.0f}",
                     f"{traced.get('traced_peak_mib', float('nan')):.1f}" if f == "numpy" else "n/a"])
    report.add(f"### End to end: the small digits network, Adam lr 1e-3, batch 32, {epochs} epochs\n")
    report.add(table(["framework", "training (s, median)", "test accuracy", "peak RSS (MiB)",
                      "RSS before training (MiB)", "NumPy allocations peak (MiB)"], rows))
    torch_note = ("Same initial weights (cnnlib's, copied into PyTorch) and the same batch "
                  "order; both keep the running loss and accuracy of every batch, as "
                  "`cnnlib.train.fit` does, and score the test set once at the end." if torch is not None else
                  "PyTorch is not installed: no comparison.")
    report.add(f"\n{runs} run(s) of each, alternating, each in a fresh process. {torch_note} "
               f"Peak RSS is the whole process (interpreter, libraries, data); the last column "
               f"is tracemalloc's peak of memory allocated during training, from a separate run.\n")
    return {f: {"seconds": med(f, "seconds"), "test_acc": med(f, "test_acc"),
                "peak_rss_mib": med(f, "peak_rss_mib")} for f in frameworks}


# --------------------------------------------------------------------------
# targets


def summarize(report: Report, conv: dict | None, pool: dict | None, e2e: dict | None,
              quick: bool = False) -> None:
    rows = []

    def verdict(ok) -> str:
        if quick:
            return "not judged (--quick)"
        return "n/a" if ok is None else ("met" if ok else "MISSED")

    if conv:
        if torch is not None:
            ratios = [paired_ratio(r["fb"]["torch"], r["fb"]["nn.Conv2d"]) for r in conv.values()]
            geo = geomean(ratios)
            rows.append(["conv fwd+bwd vs PyTorch, geometric mean", f">= {TARGET_TORCH_GEOMEAN}x",
                         f"{fmt_ratio(geo)} (" + ", ".join(f"{k} {fmt_ratio(v)}" for k, v in zip(conv, ratios)) + ")",
                         verdict(geo >= TARGET_TORCH_GEOMEAN)])
        else:
            rows.append(["conv fwd+bwd vs PyTorch, geometric mean", f">= {TARGET_TORCH_GEOMEAN}x",
                         "PyTorch not installed", "n/a"])
        ratios = [paired_ratio(r["fb"]["strided im2col"], r["fb"]["nn.Conv2d"]) for r in conv.values()]
        rows.append(["conv fwd+bwd vs strided im2col, every layer", f">= {TARGET_VS_STRIDED}x",
                     ", ".join(f"{k} {fmt_ratio(v)}" for k, v in zip(conv, ratios)),
                     verdict(min(ratios) >= TARGET_VS_STRIDED)])
        ratios = [paired_ratio(r["fb"]["reference"], r["fb"]["nn.Conv2d"]) for r in conv.values()]
        rows.append(["conv fwd+bwd vs reference loops, every layer", f">= {TARGET_VS_REFERENCE:.0f}x",
                     ", ".join(f"{k} {fmt_ratio(v)}" for k, v in zip(conv, ratios)),
                     verdict(min(ratios) >= TARGET_VS_REFERENCE)])
    if pool:
        if torch is not None:
            r = paired_ratio(pool["fb"]["torch"], pool["fb"]["nn.MaxPool2d"])
            rows.append(["max pool fwd+bwd vs PyTorch", f">= {TARGET_POOL_VS_TORCH}x", fmt_ratio(r),
                         verdict(r >= TARGET_POOL_VS_TORCH)])
        else:
            rows.append(["max pool fwd+bwd vs PyTorch", f">= {TARGET_POOL_VS_TORCH}x", "PyTorch not installed", "n/a"])
    if e2e:
        ours = e2e["numpy"]
        rows.append(["end to end: test accuracy", f">= {100 * TARGET_E2E_ACCURACY:.0f}%",
                     f"{100 * ours['test_acc']:.2f}%", verdict(ours["test_acc"] >= TARGET_E2E_ACCURACY)])
        if "torch" in e2e:
            t = e2e["torch"]["seconds"]
            rows.append(["end to end: training time vs PyTorch", "<= PyTorch's",
                         f"{ours['seconds']:.2f} s vs {t:.2f} s ({fmt_ratio(t / ours['seconds'])})",
                         verdict(ours["seconds"] <= t if math.isfinite(t) else True)])
        rows.append(["end to end: peak memory (RSS)", f"< {TARGET_E2E_MIB:.0f} MiB",
                     f"{ours['peak_rss_mib']:.0f} MiB", verdict(ours["peak_rss_mib"] < TARGET_E2E_MIB)])
    report.add("### Targets\n")
    report.add(table(["target", "goal", "measured", "verdict"], rows))
    report.add("")


def environment() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    torch_v = torch.__version__ if torch is not None else "not installed"
    return (f"NumPy {np.__version__}, SciPy {scipy.__version__}, PyTorch {torch_v}, "
            f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
            f"{THREADS} threads, float32, load average {load:.1f} at start")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds: a smoke test, not a measurement")
    parser.add_argument("--sections", default="conv,pool,e2e", help="comma-separated subset of conv,pool,e2e")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds per table (default 25)")
    parser.add_argument("--e2e-runs", type=int, default=3)
    parser.add_argument("--e2e-timeout", type=float, default=60.0,
                        help="seconds after which one training run is abandoned")
    parser.add_argument("--out", type=Path, help="also write the markdown report to this file")
    args = parser.parse_args(argv)
    sections = set(args.sections.split(","))
    rounds = args.rounds or (3 if args.quick else 25)
    slow_rounds = 1 if args.quick else 3
    target = 0.005 if args.quick else 0.02

    B.self_check()
    report = Report()
    report.add(f"## cnnlib benchmarks\n\n{environment()}\n")
    started = time.perf_counter()
    conv = bench_conv(report, rounds, slow_rounds, target) if "conv" in sections else None
    pool = bench_pool(report, 2 * rounds, slow_rounds, target) if "pool" in sections else None
    e2e = (bench_e2e(report, 1 if args.quick else args.e2e_runs, 2 if args.quick else 30, args.e2e_timeout)
           if "e2e" in sections else None)
    summarize(report, conv, pool, e2e, quick=args.quick)
    report.add(f"Total benchmark time: {time.perf_counter() - started:.0f} s.")
    if args.out:
        args.out.write_text(report.text())


if __name__ == "__main__":
    main()
