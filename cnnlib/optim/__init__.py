"""Optimisers and learning-rate schedules, with PyTorch's names and update rules.

- :class:`SGD` (momentum, Nesterov, weight decay), :class:`Adam` and
  :class:`AdamW` (defined in ``cnnlib.optim.optimizer``): each updates a list
  of :class:`cnnlib.nn.Parameter` in place on ``step()`` and saves its state
  with ``state_dict()`` / ``load_state_dict()``;
- :mod:`cnnlib.optim.lr_scheduler`: :class:`~cnnlib.optim.lr_scheduler.StepLR`
  and :class:`~cnnlib.optim.lr_scheduler.CosineAnnealingLR`, stepped once per
  epoch.

Examples
--------
>>> import numpy as np
>>> from cnnlib import nn, optim
>>> w = nn.Parameter(np.array([4.0]))
>>> opt = optim.SGD([w], lr=0.25)
>>> scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
>>> for epoch in range(3):
...     opt.zero_grad()
...     w.grad += 2 * w.data          # gradient of w^2
...     opt.step()
...     scheduler.step()
>>> w.data, opt.lr                    # w halves, then shrinks by 3/4, then by 7/8
(array([1.3125]), 0.03125)
"""

from . import lr_scheduler
from .optimizer import SGD, Adam, AdamW, Optimizer

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]
