"""Optimisers with PyTorch's update rules: :class:`SGD`, :class:`Adam`, :class:`AdamW`.

Each holds a list of :class:`cnnlib.nn.Parameter` and, on ``step()``, updates
every ``.data`` in place from its ``.grad``. The arithmetic follows the
single-tensor code path of ``torch.optim`` operation by operation, in the
parameter's own dtype (float32 stays float32), so a trajectory can be compared
with PyTorch's step by step.

``state_dict()`` / ``load_state_dict()`` save and restore everything a step
depends on, in PyTorch's layout::

    {"state": {0: {"momentum_buffer": array}, ...},        # per parameter index
     "param_groups": [{"lr": 0.1, "momentum": 0.9, ..., "params": [0, 1, ...]}]}

so training resumed from a saved state follows exactly the trajectory of an
uninterrupted run. cnnlib optimisers have one parameter group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from .._validate import (
    float_array,
    integer,
    nonneg_float,
    positive_float,
    positive_int,
    probability,
)
from ..nn import Parameter

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]

StateEntry = dict[str, np.ndarray | int]


def _check_params(params: Iterable[Parameter]) -> list[Parameter]:
    """``params`` as a list of distinct Parameters (at least one)."""
    if isinstance(params, Parameter):
        raise TypeError("params must be an iterable of cnnlib.nn.Parameter, got a single "
                        "Parameter: wrap it in a list, [param]")
    try:
        params = list(params)  # a generator (model.parameters()) can be read only once
    except TypeError:
        raise TypeError(f"params must be an iterable of cnnlib.nn.Parameter (e.g. "
                        f"model.parameters()), got {type(params).__name__}") from None
    if not params:
        raise ValueError("optimizer got an empty parameter list")
    seen: dict[int, int] = {}
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"params[{i}] must be a cnnlib.nn.Parameter, got {type(p).__name__}")
        if id(p) in seen:
            raise ValueError(f"params[{i}] is the same Parameter as params[{seen[id(p)]}]: "
                             f"it would be updated twice per step")
        seen[id(p)] = i
    return params


class Optimizer:
    """Base class: holds the parameters and their state, clears gradients, saves state.

    A subclass validates its hyper-parameters in ``_check_hyperparameters``
    (used both by the constructor and by :meth:`load_state_dict`), names its
    per-parameter state in ``_state_keys``, and implements :meth:`step`.

    Parameters
    ----------
    params : iterable of Parameter
        The parameters to train, e.g. ``model.parameters()``; at least one.
    lr : float
        Learning rate, > 0. A plain attribute (``opt.lr``): set it to change
        the rate between steps, or let a scheduler from
        :mod:`cnnlib.optim.lr_scheduler` do it.
    **hyperparameters
        Passed to the subclass's ``_check_hyperparameters``.

    Attributes
    ----------
    params : list of Parameter
    lr : float
    state : list of dict
        One dict per parameter, in ``params`` order, with PyTorch's key names
        (``"momentum_buffer"``; ``"step"``, ``"exp_avg"``, ``"exp_avg_sq"``);
        empty until the first step that needs it.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn, optim
    >>> p = nn.Parameter(np.array([1.0, 2.0]))
    >>> opt = optim.SGD([p], lr=0.5)
    >>> p.grad[...] = [1.0, -1.0]
    >>> opt.step(); p.data
    array([0.5, 2.5])
    >>> opt.zero_grad(); p.grad
    array([0., 0.])
    """

    # per-parameter state, key -> "array" (shaped like the parameter) or "count" (int >= 1)
    _state_keys: ClassVar[dict[str, str]] = {}
    # class-level flags saved with the hyper-parameters, so that a state saved
    # by one optimiser cannot be loaded silently into a different one
    _fixed: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Iterable[Parameter], lr: float, **hyperparameters: Any):
        self.params = _check_params(params)
        self.lr = positive_float(lr, "lr")
        checked = self._check_hyperparameters(**hyperparameters)
        for name, value in checked.items():
            setattr(self, name, value)
        self._hyperparameter_names = ("lr", *checked)
        self.state: list[StateEntry] = [{} for _ in self.params]

    @staticmethod
    def _check_hyperparameters(**hyperparameters: Any) -> dict[str, Any]:
        """The subclass's hyper-parameters besides ``lr``, validated; the base class has none."""
        if hyperparameters:
            raise TypeError(f"unexpected hyper-parameters {sorted(hyperparameters)}")
        return {}

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to zero (layers add to it)."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:  # pragma: no cover - abstract
        """Update every parameter once from its ``.grad``."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    # -- saving and restoring ----------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything a step depends on, as plain dicts of numbers and arrays.

        The arrays are copies: training on does not change a state taken
        earlier (``torch.optim`` returns references instead).

        Returns
        -------
        dict
            ``{"state": {index: {name: array or int}}, "param_groups": [{...}]}``:
            ``state`` holds an entry per parameter index that has state (each
            array shaped like its parameter); the one group holds the
            hyper-parameters and ``"params"``, the indices ``0 .. n - 1``.

        Examples
        --------
        >>> import numpy as np
        >>> from cnnlib import nn, optim
        >>> p = nn.Parameter(np.zeros(2))
        >>> opt = optim.SGD([p], lr=0.1, momentum=0.9)
        >>> p.grad[...] = [1.0, 2.0]
        >>> opt.step()
        >>> state = opt.state_dict()
        >>> state["state"][0]["momentum_buffer"]
        array([1., 2.])
        >>> state["param_groups"][0]["momentum"], state["param_groups"][0]["params"]
        (0.9, [0])
        """
        group = {name: getattr(self, name) for name in (*self._hyperparameter_names, *self._fixed)}
        group["params"] = list(range(len(self.params)))
        state = {
            i: {key: value.copy() if isinstance(value, np.ndarray) else value
                for key, value in entry.items()}
            for i, entry in enumerate(self.state) if entry
        }
        return {"state": state, "param_groups": [group]}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyper-parameters and per-parameter state from :meth:`state_dict`.

        Everything is checked before anything is changed, so a failed load
        leaves the optimiser as it was. Arrays are copied and cast to their
        parameter's dtype.

        Parameters
        ----------
        state_dict : dict
            As returned by :meth:`state_dict` of the same optimiser class, for
            the same number of parameters with the same shapes, in the same order.

        Raises
        ------
        TypeError, ValueError
            For a malformed state, another optimiser's state, a different
            number of parameters, or state arrays of the wrong shape.

        Examples
        --------
        >>> import numpy as np
        >>> from cnnlib import nn, optim
        >>> p = nn.Parameter(np.zeros(3))
        >>> opt = optim.Adam([p], lr=0.01)
        >>> p.grad[...] = 1.0
        >>> opt.step()
        >>> saved = opt.state_dict()
        >>> resumed = optim.Adam([nn.Parameter(p.data.copy())])   # lr comes from the state
        >>> resumed.load_state_dict(saved)
        >>> resumed.lr, resumed.t
        (0.01, 1)
        """
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            got = sorted(state_dict) if isinstance(state_dict, Mapping) else type(state_dict).__name__
            raise TypeError(f"state_dict must be a dict with keys 'param_groups' and 'state' "
                            f"(from optimizer.state_dict()), got {got}")
        hyper = self._checked_group(state_dict["param_groups"])
        entries = state_dict["state"]
        if not isinstance(entries, Mapping):
            raise TypeError(f"state_dict['state'] must be a dict from parameter index to state, "
                            f"got {type(entries).__name__}")
        state: list[StateEntry] = [{} for _ in self.params]
        for index, entry in entries.items():
            i = integer(index, "a key of state_dict['state']")
            if not 0 <= i < len(self.params):
                raise ValueError(f"state_dict['state'] has an entry for parameter {i}, but this "
                                 f"optimizer has {len(self.params)} parameters (0 .. {len(self.params) - 1})")
            state[i] = self._checked_entry(i, entry)
        for name, value in hyper.items():
            setattr(self, name, value)
        self.state = state

    def _checked_group(self, groups: Any) -> dict[str, Any]:
        """The hyper-parameters of ``param_groups``, validated as the constructor does."""
        if not isinstance(groups, (list, tuple)) or len(groups) != 1 or not isinstance(groups[0], Mapping):
            raise ValueError(f"state_dict['param_groups'] must be a list of one dict (cnnlib "
                             f"optimizers have one parameter group), got {groups!r}")
        group = dict(groups[0])
        expected = {*self._hyperparameter_names, *self._fixed, "params"}
        if set(group) != expected:
            raise ValueError(
                f"param_groups[0] must hold {sorted(expected)} for {type(self).__name__}, got "
                f"{sorted(group)}: was this state saved by another optimizer?")
        ids = group.pop("params")
        if not isinstance(ids, (list, tuple)) or len(ids) != len(self.params):
            n = len(ids) if isinstance(ids, (list, tuple)) else ids
            raise ValueError(f"the state is for {n} parameters, but this optimizer has "
                             f"{len(self.params)}")
        for name in self._fixed:
            value = group.pop(name)
            if value != getattr(self, name):
                raise ValueError(f"the state has {name}={value!r}, but {type(self).__name__} has "
                                 f"{name}={getattr(self, name)!r}: it was saved by another optimizer")
        # >= 0, not > 0 as in the constructor: a schedule such as cosine
        # annealing to eta_min=0 legitimately reaches lr = 0 at a checkpoint
        hyper = {"lr": nonneg_float(group.pop("lr"), "lr")}
        hyper.update(self._check_hyperparameters(**group))
        return hyper

    def _checked_entry(self, i: int, entry: Any) -> StateEntry:
        """One parameter's saved state: the expected keys, ints, arrays of its shape (copied)."""
        p = self.params[i]
        if not isinstance(entry, Mapping):
            raise TypeError(f"state_dict['state'][{i}] must be a dict, got {type(entry).__name__}")
        if set(entry) != set(self._state_keys):
            raise ValueError(f"state_dict['state'][{i}] must hold {sorted(self._state_keys)} for "
                             f"{type(self).__name__}, got {sorted(entry)}")
        checked: StateEntry = {}
        for key, kind in self._state_keys.items():
            where = f"state_dict['state'][{i}][{key!r}]"
            if kind == "count":
                checked[key] = positive_int(entry[key], where)
                continue
            value = float_array(entry[key], where)
            if value.shape != p.data.shape:
                raise ValueError(f"{where} has shape {value.shape}, but parameter {i} has shape "
                                 f"{p.data.shape}")
            checked[key] = value.astype(p.data.dtype, copy=True)
        return checked


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and weight decay.

    As ``torch.optim.SGD`` (without dampening), for each parameter ``w``::

        g = grad + weight_decay * w
        b = g                       on the first step (momentum > 0)
        b = momentum * b + g        afterwards
        g = g + momentum * b        with nesterov, else g = b
        w = w - lr * g

    Parameters
    ----------
    params : iterable of Parameter
        The parameters to train; each is updated in place, any shape.
    lr : float
        Learning rate, > 0.
    momentum : float, default 0
        Momentum factor, >= 0; 0 turns momentum off.
    weight_decay : float, default 0
        L2 penalty, >= 0, added to the gradient as ``weight_decay * w``.
    nesterov : bool, default False
        Nesterov momentum; needs ``momentum > 0`` (PyTorch's rule).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn, optim
    >>> p = nn.Parameter(np.array([0.0]))
    >>> opt = optim.SGD([p], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     p.grad[...] = 1.0
    ...     opt.step()
    >>> p.data  # steps of 0.1 * 1 and 0.1 * (0.9 + 1)
    array([-0.29])
    """

    _state_keys: ClassVar[dict[str, str]] = {"momentum_buffer": "array"}

    def __init__(self, params: Iterable[Parameter], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, lr, momentum=momentum, weight_decay=weight_decay,
                         nesterov=nesterov)

    @staticmethod
    def _check_hyperparameters(momentum: float, weight_decay: float,
                               nesterov: bool) -> dict[str, Any]:
        momentum = nonneg_float(momentum, "momentum")
        weight_decay = nonneg_float(weight_decay, "weight_decay")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0 (Nesterov's method is a kind of "
                             "momentum), got momentum=0.0")
        return {"momentum": momentum, "weight_decay": weight_decay, "nesterov": bool(nesterov)}

    def step(self) -> None:
        """Update every parameter once from its ``.grad``."""
        for p, state in zip(self.params, self.state):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                buf = state.get("momentum_buffer")
                if buf is None:
                    # a copy in the parameter's dtype: the buffer must not
                    # alias .grad, which layers add into
                    buf = state["momentum_buffer"] = np.array(g, dtype=p.data.dtype)
                else:
                    buf *= self.momentum
                    buf += g
                g = g + self.momentum * buf if self.nesterov else buf
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) as ``torch.optim.Adam``, with L2 weight decay.

    For each parameter ``w``, at its step ``t = 1, 2, ...``::

        g = grad + weight_decay * w
        m = b1 m + (1 - b1) g               (computed as m + (1 - b1)(g - m), torch's lerp)
        v = b2 v + (1 - b2) g^2
        w = w - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

    Parameters
    ----------
    params : iterable of Parameter
        The parameters to train; each is updated in place, any shape.
    lr : float, default 1e-3
        Learning rate, > 0.
    betas : (float, float), default (0.9, 0.999)
        Decay rates ``(b1, b2)`` of the moment averages, each in [0, 1).
    eps : float, default 1e-8
        Added to the denominator, > 0.
    weight_decay : float, default 0
        L2 penalty, >= 0, added to the gradient (see :class:`AdamW` for the
        decoupled form).

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn, optim
    >>> p = nn.Parameter(np.array([1.0, 1.0]))
    >>> opt = optim.Adam([p], lr=0.1)
    >>> p.grad[...] = [5.0, -0.01]
    >>> opt.step()        # the first step moves each weight by about lr, whatever |grad|
    >>> np.round(p.data, 6), opt.t
    (array([0.9, 1.1]), 1)
    """

    _state_keys: ClassVar[dict[str, str]] = {"step": "count", "exp_avg": "array", "exp_avg_sq": "array"}
    _fixed = ("decoupled_weight_decay",)
    decoupled_weight_decay = False

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay)

    @staticmethod
    def _check_hyperparameters(betas: tuple[float, float], eps: float,
                               weight_decay: float) -> dict[str, Any]:
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        betas = (probability(betas[0], "betas[0]", open_right=True),
                 probability(betas[1], "betas[1]", open_right=True))
        return {"betas": betas, "eps": positive_float(eps, "eps"),
                "weight_decay": nonneg_float(weight_decay, "weight_decay")}

    @property
    def t(self) -> int:
        """Steps taken so far: ``t`` in the bias corrections (0 before the first step)."""
        # every parameter steps together, so the first one's count is everyone's
        return int(self.state[0].get("step", 0))

    def step(self) -> None:
        """Update every parameter once from its ``.grad``."""
        b1, b2 = self.betas
        for p, state in zip(self.params, self.state):
            if not state:
                state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
            state["step"] += 1
            t = state["step"]
            g = p.grad
            if self.weight_decay:
                if self.decoupled_weight_decay:
                    p.data *= 1 - self.lr * self.weight_decay
                else:
                    g = g + self.weight_decay * p.data
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m += (1 - b1) * (g - m)
            v *= b2
            v += (1 - b2) * g * g
            # Python floats (not NumPy float64 scalars) keep float32 arrays float32
            step_size = self.lr / (1 - b1 ** t)
            bias_correction2_sqrt = (1 - b2 ** t) ** 0.5
            denom = np.sqrt(v) / bias_correction2_sqrt + self.eps
            p.data -= step_size * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    Before each Adam step (without L2 term) the weights shrink directly::

        w = w * (1 - lr * weight_decay)      (i.e. w -= lr * weight_decay * w)

    so the decay is not rescaled by Adam's per-weight step sizes.

    Parameters
    ----------
    params : iterable of Parameter
        The parameters to train; each is updated in place, any shape.
    lr : float, default 1e-3
        Learning rate, > 0.
    betas : (float, float), default (0.9, 0.999)
        Decay rates of the moment averages, each in [0, 1).
    eps : float, default 1e-8
        Added to the denominator, > 0.
    weight_decay : float, default 1e-2
        Decoupled decay rate, >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn, optim
    >>> p = nn.Parameter(np.array([2.0]))
    >>> opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    >>> opt.step()        # zero gradient: only the decay acts, 2 * (1 - 0.05)
    >>> p.data
    array([1.9])
    """

    decoupled_weight_decay = True

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2):
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay)
