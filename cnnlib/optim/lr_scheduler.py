"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: :class:`StepLR`, :class:`CosineAnnealingLR`.

A scheduler wraps an optimiser and sets its ``lr`` once per epoch: call
``scheduler.step()`` after each epoch's optimiser steps. The epoch counter
``last_epoch`` starts at 0 (the constructor takes that first step, as PyTorch
does), and the rate for epoch ``e`` is a closed form in ``e`` and the
optimiser's ``lr`` when the scheduler was made (``base_lrs``). So a
scheduler restored from :meth:`~LRScheduler.state_dict` continues exactly,
and changing ``optimizer.lr`` by hand lasts only until the next ``step()``.

Examples
--------
>>> import numpy as np
>>> from cnnlib import nn, optim
>>> opt = optim.SGD([nn.Parameter(np.zeros(2))], lr=0.1)
>>> scheduler = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
>>> rates = []
>>> for epoch in range(5):
...     rates.append(opt.lr)          # ... train one epoch with opt ...
...     scheduler.step()
>>> rates
[0.1, 0.1, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .._validate import nonneg_float, nonneg_int, positive_float, positive_int
from .optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "CosineAnnealingLR"]


class LRScheduler:
    """Base class: sets ``optimizer.lr`` to the closed-form rate of ``last_epoch`` on every :meth:`step`.

    A subclass validates its settings in ``_check_settings`` (used by the
    constructor and by :meth:`load_state_dict`) and gives the closed form in
    ``_closed_form``.

    Parameters
    ----------
    optimizer : Optimizer
        The optimiser whose ``lr`` is scheduled; its current ``lr`` becomes
        the base rate.
    **settings
        Passed to the subclass's ``_check_settings``.

    Attributes
    ----------
    optimizer : Optimizer
    base_lrs : list of float
        The optimiser's ``lr`` at construction (a list, one entry per
        parameter group as in PyTorch; cnnlib optimisers have one group).
    last_epoch : int
        Epochs stepped so far; 0 right after construction.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn, optim
    >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    >>> scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    >>> scheduler.step(); scheduler.step()
    >>> scheduler.last_epoch, scheduler.get_last_lr(), opt.lr
    (2, [0.25], 0.25)
    """

    def __init__(self, optimizer: Optimizer, **settings: Any):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a cnnlib.optim.Optimizer (e.g. optim.SGD), "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        checked = self._check_settings(**settings)
        for name, value in checked.items():
            setattr(self, name, value)
        self._setting_names = tuple(checked)
        self.base_lrs = [optimizer.lr]
        self.last_epoch = -1
        self.step()  # epoch 0 gets the base rate, as torch's constructor does

    @staticmethod
    def _check_settings(**settings: Any) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _closed_form(self, base_lr: float, epoch: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set ``optimizer.lr`` to that epoch's rate.

        Call it once per epoch, after the epoch's ``optimizer.step()`` calls.
        """
        self.last_epoch += 1
        self._apply()

    def _apply(self) -> None:
        self._last_lr = [self._closed_form(base_lr, self.last_epoch) for base_lr in self.base_lrs]
        self.optimizer.lr = self._last_lr[0]

    def get_last_lr(self) -> list[float]:
        """The rate set by the last :meth:`step`: a list with one float (PyTorch's
        list has one entry per parameter group; cnnlib optimisers have one).

        Examples
        --------
        >>> import numpy as np
        >>> from cnnlib import nn, optim
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
        >>> optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10).get_last_lr()
        [0.1]
        """
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The settings, ``base_lrs`` and ``last_epoch``, as a plain dict (PyTorch's key names).

        Examples
        --------
        >>> import numpy as np
        >>> from cnnlib import nn, optim
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
        >>> scheduler = optim.lr_scheduler.StepLR(opt, step_size=3)
        >>> scheduler.step()
        >>> scheduler.state_dict()
        {'step_size': 3, 'gamma': 0.1, 'base_lrs': [0.1], 'last_epoch': 1, '_last_lr': [0.1]}
        """
        state = {name: getattr(self, name) for name in self._setting_names}
        state.update(base_lrs=list(self.base_lrs), last_epoch=self.last_epoch,
                     _last_lr=list(self._last_lr))
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a state from :meth:`state_dict`, and set ``optimizer.lr`` to match it.

        Setting the optimiser's rate too (PyTorch leaves it to the optimiser's
        own ``load_state_dict``) makes the order of the two loads irrelevant.
        Everything is checked before anything changes. ``_last_lr`` is
        recomputed from the closed form rather than read.

        Parameters
        ----------
        state_dict : dict
            As returned by :meth:`state_dict` of the same scheduler class.

        Examples
        --------
        >>> import numpy as np
        >>> from cnnlib import nn, optim
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
        >>> scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        >>> scheduler.step()
        >>> saved = scheduler.state_dict()
        >>> opt2 = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
        >>> resumed = optim.lr_scheduler.StepLR(opt2, step_size=1)
        >>> resumed.load_state_dict(saved)
        >>> resumed.last_epoch, resumed.gamma, opt2.lr
        (1, 0.5, 0.05)
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a dict (from scheduler.state_dict()), "
                            f"got {type(state_dict).__name__}")
        expected = {*self._setting_names, "base_lrs", "last_epoch", "_last_lr"}
        if set(state_dict) != expected:
            raise ValueError(f"state_dict must hold {sorted(expected)} for {type(self).__name__}, "
                             f"got {sorted(state_dict)}: was it saved by another scheduler?")
        settings = self._check_settings(**{name: state_dict[name] for name in self._setting_names})
        base_lrs = state_dict["base_lrs"]
        if not isinstance(base_lrs, (list, tuple)) or len(base_lrs) != 1:
            raise ValueError(f"state_dict['base_lrs'] must be a list of one rate (one parameter "
                             f"group), got {base_lrs!r}")
        base_lrs = [nonneg_float(base_lrs[0], "state_dict['base_lrs'][0]")]
        last_epoch = nonneg_int(state_dict["last_epoch"], "state_dict['last_epoch']")
        for name, value in settings.items():
            setattr(self, name, value)
        self.base_lrs, self.last_epoch = base_lrs, last_epoch
        self._apply()


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs, as ``torch.optim.lr_scheduler.StepLR``.

    ``lr(epoch) = base_lr * gamma ** (epoch // step_size)``: PyTorch's closed
    form. (PyTorch's ``step()`` multiplies the current rate by ``gamma``
    instead, which gives the same values up to rounding.)

    Parameters
    ----------
    optimizer : Optimizer
        The optimiser to schedule; its current ``lr`` is ``base_lr``.
    step_size : int
        Epochs between decays, >= 1.
    gamma : float, default 0.1
        Factor applied at each decay, > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn, optim
    >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    >>> scheduler = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    >>> rates = []
    >>> for epoch in range(7):
    ...     rates.append(scheduler.get_last_lr()[0])
    ...     scheduler.step()
    >>> rates
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer, step_size=step_size, gamma=gamma)

    @staticmethod
    def _check_settings(step_size: int, gamma: float) -> dict[str, Any]:
        return {"step_size": positive_int(step_size, "step_size"),
                "gamma": positive_float(gamma, "gamma")}

    def _closed_form(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Anneal the rate along a cosine from ``base_lr`` to ``eta_min`` over ``T_max`` epochs.

    ``lr(epoch) = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``,
    the closed form of ``torch.optim.lr_scheduler.CosineAnnealingLR``. After
    ``T_max`` epochs the rate climbs back along the same cosine (period
    ``2 * T_max``), as PyTorch's does. PyTorch's ``step()`` computes each rate
    recursively from the previous one; the values agree to rounding (within
    1e-13 of ``base_lr`` over ``4 * T_max`` epochs in cnnlib's tests), and the
    closed form does not accumulate rounding errors.

    Parameters
    ----------
    optimizer : Optimizer
        The optimiser to schedule; its current ``lr`` is ``base_lr``.
    T_max : int
        Epochs from ``base_lr`` down to ``eta_min``, >= 1.
    eta_min : float, default 0
        The lowest rate, >= 0. The rate reaches it (0 by default) at epoch
        ``T_max``.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn, optim
    >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    >>> scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    >>> rates = []
    >>> for epoch in range(5):
    ...     rates.append(opt.lr)
    ...     scheduler.step()
    >>> [round(r, 4) for r in rates]
    [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):
        super().__init__(optimizer, T_max=T_max, eta_min=eta_min)

    @staticmethod
    def _check_settings(T_max: int, eta_min: float) -> dict[str, Any]:
        return {"T_max": positive_int(T_max, "T_max"),
                "eta_min": nonneg_float(eta_min, "eta_min")}

    def _closed_form(self, base_lr: float, epoch: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
