"""Train LeNet-5 on MNIST for longer than a chapter can, and ship the weights.

Writes ``data/weights/lenet5_mnist.npz`` (:func:`cnnlib.save` of the state
dict), loaded as ``cnnlib.models.load_pretrained("lenet5-mnist")``, and a log
next to it (``lenet5_mnist.log``: settings, one line per epoch, the result),
and the per-epoch history as JSON (``lenet5_mnist_history.json``: the
learning curves chapter 08 plots).

What it does, and which choices are made on what:

1. Holds out a stratified validation split of the 60,000 training images
   (``cnnlib.data.train_val_split``, 10%, seed 0): 54,000 to train on, 6,000
   to choose with. The test set is not looked at until step 4.
2. Trains :func:`cnnlib.models.lenet5` with Adam (learning rate 1e-3,
   batch 128), the learning rate annealed to zero along a cosine over all
   epochs (``CosineAnnealingLR``), each training batch augmented by random
   shifts of up to 2 pixels (``RandomCrop(28, padding=2)``).
3. Scores the validation split after every epoch and keeps the weights of
   the epoch with the best validation accuracy (ties: the later epoch).
   That is the only choice made here, and it is made on validation data.
   The network is *not* retrained on all 60,000 images afterwards: that would
   double the time for the 10% more data, and the retrained weights would
   have no held-out score of their own.
4. Evaluates the kept weights once on the 10,000 test images and writes the
   weights and the log.

The settings (optimiser, learning rate, batch size, schedule, shift of 2
pixels) were fixed before the run from common practice for this network,
not tuned; chapter 08 measures on validation data what augmentation and the
schedule do.

Run from the repository root (one BLAS thread: on a shared 2-core machine
OpenBLAS's threads wait for each other and run several times slower)::

    OPENBLAS_NUM_THREADS=1 nohup .venv/bin/python tools/train_lenet5.py > /tmp/lenet5.out 2>&1 &

Options: ``--epochs`` (default 20), ``--out`` (default
``data/weights/lenet5_mnist.npz``; the log and the history go next to it,
with the suffixes ``.log`` and ``_history.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cnnlib  # noqa: E402
from cnnlib import nn, optim  # noqa: E402
from cnnlib.data import train_val_split  # noqa: E402
from cnnlib.data.transforms import RandomCrop  # noqa: E402
from cnnlib.datasets import load_mnist  # noqa: E402
from cnnlib.models import lenet5  # noqa: E402
from cnnlib.train import accuracy, fit  # noqa: E402

LR = 1e-3
BATCH_SIZE = 128
VAL_FRACTION = 0.1
SPLIT_SEED = 0
INIT_SEED = 0
SHUFFLE_SEED = 1
SHIFT = 2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "weights" / "lenet5_mnist.npz")
    args = parser.parse_args(argv)
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    log_path = out.with_suffix(".log")
    log_file = open(log_path, "w")

    def log(line: str = "") -> None:
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    start = time.perf_counter()
    log(f"tools/train_lenet5.py --epochs {args.epochs}")
    log(f"cnnlib {cnnlib.__version__}, numpy {np.__version__}, python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    log(f"started {time.strftime('%Y-%m-%d %H:%M:%S')}")

    (X_full, y_full), (X_test, y_test) = load_mnist()
    (X_train, y_train), (X_val, y_val) = train_val_split(
        X_full, y_full, val_fraction=VAL_FRACTION, seed=SPLIT_SEED)
    log(f"data: {len(X_train)} training, {len(X_val)} validation (split seed {SPLIT_SEED}), "
        f"{len(X_test)} test images (used once, at the end)")

    model = lenet5(rng=np.random.default_rng(INIT_SEED))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=LR)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    augment = RandomCrop(28, padding=SHIFT)
    rng = np.random.default_rng(SHUFFLE_SEED)
    log(f"model: lenet5 (init seed {INIT_SEED}), {sum(p.data.size for p in model.parameters())} "
        f"parameters; Adam lr {LR}, batch {BATCH_SIZE}, CosineAnnealingLR T_max={args.epochs}; "
        f"augmentation {augment!r}; shuffle seed {SHUFFLE_SEED}")

    curves = {key: [] for key in ("epoch", "lr", "loss", "train_acc", "val_loss", "val_acc")}
    best_acc, best_epoch, best_state = -1.0, 0, None
    for epoch in range(1, args.epochs + 1):
        # one epoch per call: fit steps the scheduler once at its end, and the
        # same generator keeps drawing, so this is one run of args.epochs epochs
        h = fit(model, loss_fn, optimizer, (X_train, y_train), val_data=(X_val, y_val),
                epochs=1, batch_size=BATCH_SIZE, scheduler=scheduler, transform=augment,
                rng=rng, progress="none")
        val_acc = h.val_acc[-1]
        for key in curves:
            curves[key].append(epoch if key == "epoch" else round(float(getattr(h, key)[-1]), 6))
        if val_acc >= best_acc:
            best_acc, best_epoch, best_state = val_acc, epoch, model.state_dict()
        log(f"epoch {epoch:2d}/{args.epochs}  lr {h.lr[-1]:.2e}  loss {h.loss[-1]:.4f}  "
            f"train {100 * h.train_acc[-1]:.2f}%  val_loss {h.val_loss[-1]:.4f}  "
            f"val {100 * val_acc:.2f}%  ({h.seconds[-1]:.0f} s)")

    model.load_state_dict(best_state)
    model.eval()
    log(f"kept the weights of epoch {best_epoch}: best validation accuracy {100 * best_acc:.2f}%")
    test_acc = accuracy(model, X_test, y_test)
    n_wrong = int(round((1 - test_acc) * len(y_test)))
    log(f"test accuracy {100 * test_acc:.2f}% ({n_wrong} of {len(y_test)} wrong, "
        f"test error {100 * (1 - test_acc):.2f}%)")
    cnnlib.save(model.state_dict(), out)
    history = {"description": "tools/train_lenet5.py: one entry per epoch; loss and train_acc "
                              "are running averages over the epoch's augmented batches, val_* "
                              "scored after the epoch",
               "best_epoch": best_epoch, "test_acc": round(test_acc, 6), **curves}
    out.with_name(out.stem + "_history.json").write_text(json.dumps(history, indent=1) + "\n")
    minutes = (time.perf_counter() - start) / 60
    log(f"wrote {out.name}; wall time {minutes:.1f} min")
    log_file.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
