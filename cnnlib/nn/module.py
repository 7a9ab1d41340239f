"""The building blocks every layer shares: ``Parameter``, ``Module``, containers.

A :class:`Module` finds what it holds by itself, as ``torch.nn.Module`` does:
every :class:`Parameter` and every sub-``Module`` assigned as an attribute is
found recursively, in assignment order, and named with dots
(``"features.1.bias"``). Arrays registered with :meth:`Module.register_buffer`
(batch norm's running statistics) travel with the parameters in
:meth:`Module.state_dict` but are not trained.

A plain ``list``, ``tuple`` or ``dict`` of Modules as an attribute would hide
its layers from that search (their parameters would never be trained or
saved), so assigning one raises ``TypeError`` pointing to :class:`ModuleList`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import NamedTuple, Optional

import numpy as np

__all__ = ["Parameter", "Module", "ModuleList", "Sequential", "IncompatibleKeys",
           "accepts_input_grad"]


class Parameter:
    """A trainable array: ``.data`` holds the values, ``.grad`` their gradient.

    Parameters
    ----------
    data : ndarray
        Initial values (kept as given, not copied).

    Examples
    --------
    >>> import numpy as np
    >>> p = Parameter(np.ones((2, 3), dtype=np.float32))
    >>> p.shape, float(p.grad.sum())
    ((2, 3), 0.0)
    """

    def __init__(self, data: np.ndarray):
        self.data = data
        self.grad = np.zeros_like(data)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    def zero_grad(self) -> None:
        self.grad[...] = 0

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` did not match (as PyTorch returns)."""

    missing_keys: list
    unexpected_keys: list


@lru_cache(maxsize=None)
def _backward_has_input_grad(cls: type) -> bool:
    return "input_grad" in inspect.signature(cls.backward).parameters


def accepts_input_grad(module: "Module") -> bool:
    """True when ``module.backward`` takes ``input_grad=False`` (and then skips that work).

    Layers whose input gradient is costly to compute (the convolutions) and
    containers (``Sequential``) accept it; a training loop passes it because
    the gradient with respect to the data is never used.
    """
    return _backward_has_input_grad(type(module))


def _holds_module(value) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return any(isinstance(v, Module) for v in items)


class Module:
    """Base class of every layer and model.

    ``__call__`` runs ``forward``; ``backward(grad_out)`` returns the gradient
    with respect to the input and *adds* the parameters' gradients to their
    ``.grad`` (call ``optimizer.zero_grad()`` before each step, as in PyTorch).
    A Module that holds other Modules as attributes writes its own
    ``forward`` and ``backward`` (the residual block ``cnnlib.models.BasicBlock`` does);
    everything else (parameters, buffers, ``state_dict``, ``train``/``eval``)
    comes from here.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> class TwoLayers(nn.Module):
    ...     def __init__(self, rng):
    ...         self.first = nn.Linear(4, 3, rng=rng)
    ...         self.act = nn.ReLU()
    ...         self.second = nn.Linear(3, 2, rng=rng)
    ...     def forward(self, x):
    ...         return self.second(self.act(self.first(x)))
    ...     def backward(self, grad_out):
    ...         return self.first.backward(self.act.backward(self.second.backward(grad_out)))
    >>> model = TwoLayers(np.random.default_rng(0))
    >>> [name for name, _ in model.named_parameters()]
    ['first.weight', 'first.bias', 'second.weight', 'second.bias']
    >>> model.eval().training, model.act.training
    (False, False)
    """

    # class-level default, so subclasses need not call super().__init__()
    training: bool = True

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, (list, tuple, dict, set)) and _holds_module(value):
            raise TypeError(
                f"{type(self).__name__}.{name} is a {type(value).__name__} holding Modules; "
                f"their parameters would not be found (not trained, not saved). "
                f"Wrap them: self.{name} = nn.ModuleList([...])"
            )
        object.__setattr__(self, name, value)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError(
            f"{type(self).__name__} must define backward(): cnnlib has no autograd, "
            f"each Module passes the gradient back through its own layers"
        )

    # -- what the module holds ---------------------------------------------

    def register_buffer(self, name: str, value: np.ndarray) -> None:
        """Keep ``value`` as attribute ``name``, saved in ``state_dict`` but not trained."""
        names = self.__dict__.setdefault("_buffer_names", [])
        if name not in names:
            names.append(name)
        object.__setattr__(self, name, value)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules, in assignment order."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named ``prefix``) and every sub-module, depth first."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """``(name, Parameter)`` pairs with PyTorch's dotted keys, e.g. ``"0.weight"``.

        A module's own parameters come first, then each child's, in
        assignment order (PyTorch's order).
        """
        for prefix, module in self.named_modules():
            for name, value in vars(module).items():
                if isinstance(value, Parameter):
                    yield (f"{prefix}.{name}" if prefix else name), value

    def parameters(self) -> list[Parameter]:
        """All trainable parameters, in a fixed order."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        """``(name, array)`` pairs of the registered buffers, dotted like parameters."""
        for prefix, module in self.named_modules():
            for name in module.__dict__.get("_buffer_names", []):
                value = getattr(module, name)
                if value is not None:
                    yield (f"{prefix}.{name}" if prefix else name), value

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    # -- modes ---------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Training mode for this module and every sub-module (returns ``self``).

        Dropout and batch norm behave differently in training and evaluation.
        """
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"mode must be True or False, got {mode!r}")
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    # -- saving and loading --------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of all parameters and buffers, with PyTorch's keys and order."""
        state: dict[str, np.ndarray] = {}
        for prefix, module in self.named_modules():
            dot = f"{prefix}." if prefix else ""
            for name, value in vars(module).items():
                if isinstance(value, Parameter):
                    state[dot + name] = value.data.copy()
            for name in module.__dict__.get("_buffer_names", []):
                value = getattr(module, name)
                if value is not None:
                    state[dot + name] = np.array(value, copy=True)
        return state

    def load_state_dict(self, state: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values from a :meth:`state_dict` into this module's arrays, in place.

        Parameters
        ----------
        state : dict of str -> ndarray
        strict : bool, default True
            Every key must match. With ``strict=False`` (transfer learning)
            only the matching keys are loaded; the others are reported.

        Returns
        -------
        IncompatibleKeys
            ``(missing_keys, unexpected_keys)``, both empty when strict.
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict of arrays, got {type(state).__name__}")
        targets = self._state_targets()
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        if strict and (missing or unexpected):
            raise ValueError(
                f"state_dict keys {sorted(state)} do not match the model's {sorted(targets)}: "
                f"missing {missing}, unexpected {unexpected} "
                f"(load_state_dict(..., strict=False) loads only the matching keys)"
            )
        for key, (holder, attr) in targets.items():
            if key not in state:
                continue
            value = np.asarray(state[key])
            current = getattr(holder, attr)
            target = current.data if isinstance(current, Parameter) else current
            if value.shape != target.shape:
                raise ValueError(f"state_dict[{key!r}] has shape {value.shape}, expected {target.shape}")
            # write into the existing arrays: optimisers hold the Parameter objects
            target[...] = value
        return IncompatibleKeys(missing, unexpected)

    def _state_targets(self) -> dict[str, tuple[Module, str]]:
        targets = {}
        for prefix, module in self.named_modules():
            dot = f"{prefix}." if prefix else ""
            for name, value in vars(module).items():
                if isinstance(value, Parameter):
                    targets[dot + name] = (module, name)
            for name in module.__dict__.get("_buffer_names", []):
                if getattr(module, name) is not None:
                    targets[dot + name] = (module, name)
        return targets

    # -- helpers for layers ------------------------------------------------

    def _cached(self, attr: str):
        value = getattr(self, attr, None)
        if value is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() called before forward(): "
                f"run the layer on an input first"
            )
        return value

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        extra = self.extra_repr()
        return f"{type(self).__name__}(" + (f"{extra}" if extra else "") + "\n" + "\n".join(lines) + "\n)"


class ModuleList(Module):
    """A list of Modules whose parameters are found (keys ``"0.weight"``, ``"1.bias"``...).

    Holds layers; does not run them: the owning Module's ``forward`` and
    ``backward`` decide the order.

    Parameters
    ----------
    modules : iterable of Module, optional

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> rng = np.random.default_rng(0)
    >>> heads = nn.ModuleList([nn.Linear(4, 2, rng=rng) for _ in range(3)])
    >>> len(heads), [name for name, _ in heads.named_parameters()][:2]
    (3, ['0.weight', '0.bias'])
    """

    def __init__(self, modules: Optional[Iterable[Module]] = None):
        object.__setattr__(self, "_length", 0)
        for module in modules or ():
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise TypeError(f"layer {self._length} must be a cnnlib.nn.Module, got {type(module).__name__}")
        object.__setattr__(self, str(self._length), module)
        object.__setattr__(self, "_length", self._length + 1)
        return self

    def _index(self, i: int) -> int:
        if not isinstance(i, (int, np.integer)):
            raise TypeError(f"index must be an int, got {i!r}")
        j = i + self._length if i < 0 else i
        if not 0 <= j < self._length:
            raise IndexError(f"index {i} is out of range for {type(self).__name__} of length {self._length}")
        return int(j)

    def __getitem__(self, i: int) -> Module:
        return getattr(self, str(self._index(i)))

    def __setitem__(self, i: int, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"layer {i} must be a cnnlib.nn.Module, got {type(module).__name__}")
        object.__setattr__(self, str(self._index(i)), module)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Module]:
        return (getattr(self, str(i)) for i in range(self._length))

    def forward(self, x):  # pragma: no cover - a list does not run its layers
        raise TypeError(f"{type(self).__name__} holds layers but does not run them; "
                        f"use nn.Sequential to chain them")


class Sequential(ModuleList):
    """Layers run in order; ``backward`` runs them in reverse.

    Parameter keys are the layer's index, as in PyTorch: ``"0.weight"``.

    Parameters
    ----------
    *layers : Module

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib import nn
    >>> rng = np.random.default_rng(0)
    >>> model = nn.Sequential(nn.Linear(4, 8, rng=rng), nn.ReLU(), nn.Linear(8, 2, rng=rng))
    >>> model(np.ones((5, 4), dtype=np.float32)).shape
    (5, 2)
    >>> list(model.state_dict())
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, *layers: Module):
        super().__init__(layers)

    @property
    def layers(self) -> tuple[Module, ...]:
        """The layers, in order (a tuple: replace one with ``model[i] = layer``)."""
        return tuple(self)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self:
            x = layer(x)
        return x

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Run every layer's backward in reverse; return the gradient of the input.

        ``input_grad=False`` returns ``None`` and lets the first layer skip
        computing that gradient when it can (when its ``backward`` takes
        ``input_grad``, as the convolutions' do).
        """
        for i in range(len(self) - 1, 0, -1):
            grad_out = self[i].backward(grad_out)
        if not len(self):
            return grad_out if input_grad else None
        if input_grad:
            return self[0].backward(grad_out)
        if accepts_input_grad(self[0]):
            return self[0].backward(grad_out, input_grad=False)
        self[0].backward(grad_out)  # its parameters still need their gradients
        return None
