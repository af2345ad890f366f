"""Small PyTorch modules for the model tests and benchmarks (importable, so a stored module can be rebuilt)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn


class MLP(nn.Module):
    """``n_in -> hidden -> ... -> n_out`` with ReLU; constructor arguments kept as attributes of the same name."""

    def __init__(self, n_in: int, hidden: int, n_out: int, layers: int = 2) -> None:
        super().__init__()
        self.n_in, self.hidden, self.n_out, self.layers = n_in, hidden, n_out, layers
        dims = [n_in] + [hidden] * (layers - 1) + [n_out]
        mods: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(dims, dims[1:])):
            mods.append(nn.Linear(a, b))
            if i < len(dims) - 2:
                mods.append(nn.ReLU())
        self.net = nn.Sequential(*mods)

    def forward(self, x: Any) -> Any:
        return self.net(x)


def train_mlp(X: Any, y: Any, *, hidden: int = 16, epochs: int = 30, seed: int = 0) -> MLP:
    """A quickly fitted classifier (full-batch Adam) on float32 features and integer labels."""
    torch.manual_seed(seed)
    Xt = torch.tensor(np.asarray(X, dtype=np.float32))
    yt = torch.tensor(np.asarray(y, dtype=np.int64))
    model = MLP(Xt.shape[1], hidden, int(yt.max()) + 1)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(epochs):
        opt.zero_grad()
        nn.functional.cross_entropy(model(Xt), yt).backward()
        opt.step()
    return model.eval()
