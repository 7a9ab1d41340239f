"""StepLR and CosineAnnealingLR against their closed forms and torch.optim.lr_scheduler.

Expected rates come from the formulas (worked by hand for small cases), and
from PyTorch's schedulers when it is installed. A scheduler must set the
optimiser's lr (the next optimiser step uses it), and a run resumed from the
optimiser's and scheduler's state_dicts must match an uninterrupted one bit
for bit.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

from cnnlib import nn, optim
from cnnlib.optim.lr_scheduler import CosineAnnealingLR, StepLR


def sgd(lr: float = 1.0, **kwargs) -> optim.SGD:
    return optim.SGD([nn.Parameter(np.zeros(2))], lr=lr, **kwargs)


def rates(scheduler, epochs: int) -> list[float]:
    """The rate of each epoch 0 .. epochs - 1, stepping once per epoch."""
    out = []
    for _ in range(epochs):
        out.append(scheduler.optimizer.lr)
        assert scheduler.get_last_lr() == [scheduler.optimizer.lr]
        scheduler.step()
    return out


# --------------------------------------------------------------------------
# closed forms, by hand


def test_step_lr_by_hand():
    # base 0.8, halved every 3 epochs: 0.8 x3, 0.4 x3, 0.2 x3, 0.1
    assert rates(StepLR(sgd(0.8), step_size=3, gamma=0.5), 10) == [0.8] * 3 + [0.4] * 3 + [0.2] * 3 + [0.1]


def test_step_lr_default_gamma_is_a_tenth():
    got = rates(StepLR(sgd(1.0), step_size=2), 6)
    np.testing.assert_allclose(got, [1, 1, 0.1, 0.1, 0.01, 0.01], rtol=1e-15)


def test_cosine_by_hand():
    # T_max = 4: (1 + cos(pi e / 4)) / 2 = 1, (2 + sqrt 2) / 4, 1/2, (2 - sqrt 2) / 4, 0,
    # then back up along the same cosine to 1 at e = 8
    r2 = math.sqrt(2)
    quarter = [1, (2 + r2) / 4, 0.5, (2 - r2) / 4]
    expected = quarter + [0] + quarter[::-1][:-1] + [1]
    got = rates(CosineAnnealingLR(sgd(1.0), T_max=4), 9)
    np.testing.assert_allclose(got, expected, rtol=1e-15, atol=1e-16)


def test_cosine_with_eta_min_by_hand():
    # eta_min + (base - eta_min)(1 + cos(pi e / 2)) / 2 with base 0.5, eta_min 0.1, T_max 2:
    # 0.5, 0.1 + 0.4 / 2 = 0.3, 0.1, 0.3, 0.5
    np.testing.assert_allclose(rates(CosineAnnealingLR(sgd(0.5), T_max=2, eta_min=0.1), 5),
                               [0.5, 0.3, 0.1, 0.3, 0.5], rtol=1e-15)


def test_cosine_reaches_eta_min_exactly_at_t_max():
    scheduler = CosineAnnealingLR(sgd(0.3), T_max=7, eta_min=0.0)
    for _ in range(7):
        scheduler.step()
    assert scheduler.last_epoch == 7 and scheduler.optimizer.lr == 0.0


def test_scheduler_sets_the_rate_the_optimizer_uses():
    p = nn.Parameter(np.array([0.0]))
    opt = optim.SGD([p], lr=1.0)
    scheduler = StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        opt.zero_grad()
        p.grad += 1.0
        opt.step()
        scheduler.step()
    # steps of 1, 0.5 and 0.25
    assert p.data[0] == -1.75


def test_epoch_counter_and_last_lr():
    scheduler = StepLR(sgd(1.0), step_size=1, gamma=0.5)
    assert scheduler.last_epoch == 0 and scheduler.base_lrs == [1.0]
    scheduler.step()
    assert scheduler.last_epoch == 1 and scheduler.get_last_lr() == [0.5]
    scheduler.get_last_lr().append(99.0)  # a copy: the caller cannot corrupt it
    assert scheduler.get_last_lr() == [0.5]


def test_a_hand_set_rate_lasts_until_the_next_step():
    opt = sgd(1.0)
    scheduler = StepLR(opt, step_size=10)
    opt.lr = 0.123
    scheduler.step()
    assert opt.lr == 1.0  # closed form in the epoch and base_lrs


# --------------------------------------------------------------------------
# against torch


def torch_rates(torch, make, lr: float, epochs: int) -> list[float]:
    t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([t], lr=lr)
    scheduler = make(opt)
    out = []
    for _ in range(epochs):
        out.append(scheduler.get_last_lr()[0])
        opt.step()  # torch warns when the scheduler steps before any optimiser step
        scheduler.step()
    return out


@pytest.mark.parametrize("T_max, eta_min, lr", [
    (10, 0.0, 0.1), (7, 1e-3, 0.5), (1, 0.0, 1.0), (3, 0.01, 0.3)])
def test_cosine_matches_torch(T_max, eta_min, lr):
    torch = pytest.importorskip("torch")
    epochs = 4 * T_max + 1  # down, up, and down again
    schedulers = torch.optim.lr_scheduler
    theirs = torch_rates(torch, lambda o: schedulers.CosineAnnealingLR(o, T_max=T_max, eta_min=eta_min),
                         lr, epochs)
    ours = rates(CosineAnnealingLR(sgd(lr), T_max=T_max, eta_min=eta_min), epochs)
    # torch's recursive form vs our closed form: observed <= 9e-15 of base lr
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-13 * lr)


@pytest.mark.parametrize("step_size, gamma, lr", [(3, 0.1, 0.1), (1, 0.5, 1.0), (2, 0.9, 0.3)])
def test_step_lr_matches_torch(step_size, gamma, lr):
    torch = pytest.importorskip("torch")
    schedulers = torch.optim.lr_scheduler
    theirs = torch_rates(torch, lambda o: schedulers.StepLR(o, step_size=step_size, gamma=gamma), lr, 30)
    ours = rates(StepLR(sgd(lr), step_size=step_size, gamma=gamma), 30)
    # torch multiplies the previous rate; we raise gamma to a power: observed <= 2e-16 relative
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_state_dict_names_are_torchs():
    torch = pytest.importorskip("torch")
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.optim.lr_scheduler.CosineAnnealingLR(t_opt, T_max=5).state_dict()
    ours = CosineAnnealingLR(sgd(0.1), T_max=5).state_dict()
    assert set(ours) <= set(theirs)


# --------------------------------------------------------------------------
# state_dict: resume


def quadratic_step(p, opt):
    opt.zero_grad()
    p.grad += 2 * p.data - 1  # gradient of (w - 1/2)^2
    opt.step()


@pytest.mark.parametrize("make_scheduler", [
    lambda opt: StepLR(opt, step_size=2, gamma=0.7),
    lambda opt: CosineAnnealingLR(opt, T_max=5, eta_min=0.0),  # resumes from lr = 0 at epoch 5
], ids=["step", "cosine"])
def test_resume_with_scheduler_is_bit_identical(make_scheduler):
    def run(p, opt, scheduler, epochs):
        for _ in range(epochs):
            for _ in range(3):  # batches
                quadratic_step(p, opt)
            scheduler.step()

    p = nn.Parameter(np.array([3.0, -2.0], dtype=np.float32))
    opt = optim.SGD([p], lr=0.2, momentum=0.9)
    scheduler = make_scheduler(opt)
    run(p, opt, scheduler, 9)

    q = nn.Parameter(np.array([3.0, -2.0], dtype=np.float32))
    opt_q = optim.SGD([q], lr=0.2, momentum=0.9)
    scheduler_q = make_scheduler(opt_q)
    run(q, opt_q, scheduler_q, 5)
    saved_opt, saved_scheduler = opt_q.state_dict(), scheduler_q.state_dict()

    r = nn.Parameter(q.data.copy())
    opt_r = optim.SGD([r], lr=0.9)
    scheduler_r = make_scheduler(opt_r)
    scheduler_r.load_state_dict(saved_scheduler)  # either order works
    opt_r.load_state_dict(saved_opt)
    assert opt_r.lr == opt_q.lr and scheduler_r.last_epoch == 5
    run(r, opt_r, scheduler_r, 4)
    np.testing.assert_array_equal(r.data, p.data)
    assert scheduler_r.get_last_lr() == scheduler.get_last_lr()


def test_load_state_dict_sets_the_optimizer_rate():
    scheduler = StepLR(sgd(1.0), step_size=1, gamma=0.5)
    for _ in range(3):
        scheduler.step()
    other = StepLR(sgd(1.0), step_size=4, gamma=0.9)
    other.load_state_dict(scheduler.state_dict())
    assert (other.step_size, other.gamma, other.last_epoch) == (1, 0.5, 3)
    assert other.optimizer.lr == 0.125 and other.get_last_lr() == [0.125]


def test_state_dict_layout():
    scheduler = CosineAnnealingLR(sgd(0.5), T_max=4, eta_min=0.1)
    scheduler.step()
    scheduler.step()
    assert scheduler.state_dict() == {"T_max": 4, "eta_min": 0.1, "base_lrs": [0.5], "last_epoch": 2,
                                      "_last_lr": [pytest.approx(0.3)]}


def test_load_state_dict_errors():
    step_state = StepLR(sgd(), step_size=2).state_dict()
    cosine = CosineAnnealingLR(sgd(), T_max=3)
    with pytest.raises(ValueError, match=r"for CosineAnnealingLR, got .* saved by another scheduler\?"):
        cosine.load_state_dict(step_state)
    with pytest.raises(TypeError, match=r"state_dict must be a dict .* got list"):
        cosine.load_state_dict([])
    bad = cosine.state_dict()
    bad["T_max"] = 0
    with pytest.raises(ValueError, match=r"T_max must be >= 1, got 0"):
        cosine.load_state_dict(bad)
    bad = cosine.state_dict()
    bad["last_epoch"] = -3
    with pytest.raises(ValueError, match=re.escape("state_dict['last_epoch'] must be >= 0, got -3")):
        cosine.load_state_dict(bad)
    bad = cosine.state_dict()
    bad["base_lrs"] = [0.1, 0.2]
    with pytest.raises(ValueError, match=r"must be a list of one rate"):
        cosine.load_state_dict(bad)
    # nothing changed by the failed loads
    assert (cosine.T_max, cosine.last_epoch, cosine.base_lrs) == (3, 0, [1.0])


# --------------------------------------------------------------------------
# bad arguments


def test_step_lr_bad_arguments():
    for step_size in (0, -2):
        with pytest.raises(ValueError, match=rf"step_size must be >= 1, got {step_size}"):
            StepLR(sgd(), step_size=step_size)
    with pytest.raises(TypeError, match=r"step_size must be an int, got 1\.5"):
        StepLR(sgd(), step_size=1.5)
    for gamma in (0, -0.5):
        with pytest.raises(ValueError, match=r"gamma must be > 0, got -?0"):
            StepLR(sgd(), step_size=1, gamma=gamma)


def test_cosine_bad_arguments():
    for T_max in (0, -1):
        with pytest.raises(ValueError, match=rf"T_max must be >= 1, got {T_max}"):
            CosineAnnealingLR(sgd(), T_max=T_max)
    with pytest.raises(TypeError, match=r"T_max must be an int, got 10\.0"):
        CosineAnnealingLR(sgd(), T_max=10.0)
    with pytest.raises(ValueError, match=r"eta_min must be >= 0, got -0\.1"):
        CosineAnnealingLR(sgd(), T_max=3, eta_min=-0.1)


@pytest.mark.parametrize("scheduler", [
    lambda o: StepLR(o, step_size=1), lambda o: CosineAnnealingLR(o, T_max=2)])
def test_scheduler_needs_a_cnnlib_optimizer(scheduler):
    with pytest.raises(TypeError, match=r"optimizer must be a cnnlib\.optim\.Optimizer "
                                        r"\(e\.g\. optim\.SGD\), got list"):
        scheduler([nn.Parameter(np.zeros(1))])
