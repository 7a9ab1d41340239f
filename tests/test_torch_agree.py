"""cnnlib gives PyTorch's numbers (skipped cleanly when torch is not installed).

The course promises that what a learner builds here transfers to PyTorch:
same names, same layouts, same padding rules, same tie-breaking, same
optimiser updates. These tests run both with identical inputs and weights.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tF = torch.nn.functional

import cnnlib  # noqa: E402
from cnnlib import nn, optim  # noqa: E402

# torch notes that it pads a copy for "same" with an even kernel: expected here
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # the machine is shared; one thread is plenty for these sizes
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def T(a: np.ndarray, grad: bool = False):
    return torch.tensor(a, requires_grad=grad)


def tol(dtype) -> dict:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-12}


CONV = [
    dict(kernel=(3, 3), stride=1, padding=0),
    dict(kernel=(3, 3), stride=2, padding=1),
    dict(kernel=(2, 3), stride=(2, 1), padding=(1, 2)),
    dict(kernel=(3, 3), stride=1, padding="same"),
    dict(kernel=(2, 2), stride=1, padding="same"),   # even: extra zeros bottom/right
    dict(kernel=(4, 1), stride=1, padding="same"),
    dict(kernel=(3, 2), stride=(1, 1), padding="valid"),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV, ids=str)
def test_conv2d_forward_and_backward(case, dtype):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 7, 6)).astype(dtype)
    w = rng.normal(size=(4, 3) + case["kernel"]).astype(dtype)
    b = rng.normal(size=4).astype(dtype)
    tx, tw, tb = T(x, True), T(w, True), T(b, True)
    ty = tF.conv2d(tx, tw, tb, stride=case["stride"], padding=case["padding"])
    y = cnnlib.conv2d(x, w, b, stride=case["stride"], padding=case["padding"])
    np.testing.assert_allclose(y, ty.detach().numpy(), **tol(dtype))
    g = rng.normal(size=y.shape).astype(dtype)
    ty.backward(T(g))
    gx, gw, gb = cnnlib.conv2d_backward(g, x, w, stride=case["stride"], padding=case["padding"])
    for ours, theirs in ((gx, tx), (gw, tw), (gb, tb)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), **tol(dtype))


POOL = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1)),
    dict(kernel_size=(4, 2), stride=(3, 1), padding=(2, 0)),
]


@pytest.mark.parametrize("values", ["normal", "ties"])
@pytest.mark.parametrize("case", POOL, ids=str)
def test_max_pool2d_forward_and_backward(case, values):
    rng = np.random.default_rng(1)
    if values == "ties":  # whole numbers in a small range: most windows tie
        x = rng.integers(0, 3, size=(2, 3, 7, 8)).astype(np.float64)
    else:
        x = rng.normal(size=(2, 3, 7, 8))
    tx = T(x, True)
    ty = tF.max_pool2d(tx, **case)
    y = cnnlib.max_pool2d(x, **case)
    np.testing.assert_array_equal(y, ty.detach().numpy())
    g = rng.normal(size=y.shape)
    ty.backward(T(g))
    np.testing.assert_allclose(cnnlib.max_pool2d_backward(g, x, **case), tx.grad.numpy(),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", POOL, ids=str)
def test_avg_pool2d_forward_and_backward(case):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 7, 8))
    tx = T(x, True)
    ty = tF.avg_pool2d(tx, **case)  # count_include_pad=True by default, like cnnlib
    y = cnnlib.avg_pool2d(x, **case)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.normal(size=y.shape)
    ty.backward(T(g))
    np.testing.assert_allclose(cnnlib.avg_pool2d_backward(g, x, **case), tx.grad.numpy(),
                               rtol=1e-12, atol=1e-12)


def test_cross_entropy_and_its_gradient():
    rng = np.random.default_rng(3)
    logits, target = rng.normal(size=(7, 5)) * 4, rng.integers(0, 5, size=7)
    tz = T(logits, True)
    tloss = tF.cross_entropy(tz, torch.tensor(target))
    tloss.backward()
    loss_fn = nn.CrossEntropyLoss()
    assert loss_fn(logits, target) == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(loss_fn.backward(), tz.grad.numpy(), rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------
# a small network, layer by layer and whole


def build_pair(dtype):
    """The same network in cnnlib and in torch, with identical weights."""
    rng = np.random.default_rng(4)
    ours = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, rng=rng, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1, rng=rng, dtype=dtype), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(6 * 2 * 2, 10, rng=rng, dtype=dtype))
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3, padding=1), torch.nn.Tanh(), torch.nn.AvgPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(6 * 2 * 2, 10)).to(tdtype)
    # cnnlib's state_dict keys are PyTorch's, so this is a plain key-for-key copy
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_network_forward_and_backward(dtype):
    ours, theirs = build_pair(dtype)
    rng = np.random.default_rng(5)
    x, y = rng.uniform(size=(8, 1, 8, 8)).astype(dtype), rng.integers(0, 10, size=8)
    tx = T(x, True)
    tloss = tF.cross_entropy(theirs(tx), torch.tensor(y))
    tloss.backward()
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(ours(x), y)
    grad_x = ours.backward(loss_fn.backward())
    assert loss == pytest.approx(tloss.item(), **({"rel": 1e-5} if dtype == np.float32 else {"rel": 1e-12}))
    np.testing.assert_allclose(grad_x, tx.grad.numpy(), **tol(dtype))
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, theirs_params[name].grad.numpy(), **tol(dtype), err_msg=name)


@pytest.mark.parametrize("make_ours, make_theirs", [
    (lambda ps: optim.SGD(ps, lr=0.05), lambda ps: torch.optim.SGD(ps, lr=0.05)),
    (lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
     lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3)),
    (lambda ps: optim.Adam(ps, lr=3e-3), lambda ps: torch.optim.Adam(ps, lr=3e-3)),
    (lambda ps: optim.Adam(ps, lr=1e-2, betas=(0.8, 0.95), eps=1e-6, weight_decay=1e-2),
     lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.8, 0.95), eps=1e-6, weight_decay=1e-2)),
], ids=["sgd", "sgd-momentum-wd", "adam", "adam-options"])
def test_training_steps_match_torch_optim(make_ours, make_theirs):
    ours, theirs = build_pair(np.float64)
    opt, topt = make_ours(ours.parameters()), make_theirs(theirs.parameters())
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(6)
    for _ in range(6):
        x, y = rng.uniform(size=(8, 1, 8, 8)), rng.integers(0, 10, size=8)
        opt.zero_grad()
        loss_fn(ours(x), y)
        ours.backward(loss_fn.backward())
        opt.step()
        topt.zero_grad()
        tF.cross_entropy(theirs(T(x)), torch.tensor(y)).backward()
        topt.step()
    theirs_state = theirs.state_dict()
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value, theirs_state[name].numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=name)


def test_default_init_has_torch_bounds():
    # different random generators, so compare the ranges, not the numbers
    torch.manual_seed(0)
    for ours, theirs in ((nn.Conv2d(8, 16, 3, rng=np.random.default_rng(0)), torch.nn.Conv2d(8, 16, 3)),
                         (nn.Linear(300, 50, rng=np.random.default_rng(0)), torch.nn.Linear(300, 50))):
        for name, p in ours.named_parameters():
            t = getattr(theirs, name).detach().numpy()
            assert np.abs(p.data).max() <= np.float32(np.abs(t).max()) * 1.05
            assert np.abs(t).max() <= np.abs(p.data).max() * 1.05
