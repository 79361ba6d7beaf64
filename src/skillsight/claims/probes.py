"""Linear probes for the mechanism measurements: ridge regression R² and a multinomial logistic probe.

Both standardise the inputs with the training rows' statistics, choose their L2 penalty on an inner
split of the training rows (never on the held-out rows they report), refit on all training rows and
score the held-out rows. The R² is out of sample: 1 - SSE / SST with SST around the *training* mean,
so a probe that predicts nothing scores about 0 (it can be negative), summed over every target column
(the variance-weighted R² of a multi-output target).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["ProbeResult", "logistic_probe", "ridge_r2"]

_ALPHAS = (1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)


@dataclass(frozen=True)
class ProbeResult:
    """A probe's held-out score, the penalty it chose and the row counts."""

    score: float
    penalty: float
    n_train: int
    n_test: int

    def to_dict(self) -> dict[str, float]:
        return {"score": self.score, "penalty": self.penalty, "n_train": self.n_train, "n_test": self.n_test}


def _standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, sd = train.mean(0), train.std(0)
    sd = np.where(sd > 1e-8, sd, 1.0)
    return (train - mean) / sd, (test - mean) / sd


def _inner_split(n: int, groups: np.ndarray | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training rows split 80/20 for choosing the penalty; by group (take) when given."""
    rng = np.random.default_rng(seed)
    if groups is None:
        order = rng.permutation(n)
        cut = int(0.8 * n)
        return order[:cut], order[cut:]
    unique = rng.permutation(np.unique(groups))
    held = set(unique[: max(1, len(unique) // 5)].tolist())
    mask = np.array([g in held for g in groups])
    return np.nonzero(~mask)[0], np.nonzero(mask)[0]


def _ridge_fit(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    x_mean, y_mean = x.mean(0), y.mean(0)
    xc, yc = x - x_mean, y - y_mean
    w = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ yc)
    return w, y_mean - x_mean @ w


def _r2(y_true: np.ndarray, y_pred: np.ndarray, baseline: np.ndarray) -> float:
    sst = float(((y_true - baseline) ** 2).sum())
    return 1.0 - float(((y_true - y_pred) ** 2).sum()) / sst if sst > 0 else float("nan")


def ridge_r2(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    groups: np.ndarray | None = None,
    seed: int = 0,
) -> ProbeResult:
    """Out-of-sample R² of a ridge regression x -> y (x: (N, P), y: (N, Q)).

    ``groups`` (N,) keeps the rows of one take together in the inner split that chooses the penalty.
    """
    xtr, xte = _standardise(np.asarray(x_train, np.float64), np.asarray(x_test, np.float64))
    ytr, yte = np.asarray(y_train, np.float64), np.asarray(y_test, np.float64)
    fit_idx, val_idx = _inner_split(len(xtr), groups, seed)
    scores = []
    for alpha in _ALPHAS:
        w, b = _ridge_fit(xtr[fit_idx], ytr[fit_idx], alpha)
        scores.append(_r2(ytr[val_idx], xtr[val_idx] @ w + b, ytr[fit_idx].mean(0)))
    alpha = _ALPHAS[int(np.nanargmax(scores))]
    w, b = _ridge_fit(xtr, ytr, alpha)
    return ProbeResult(_r2(yte, xte @ w + b, ytr.mean(0)), alpha, len(xtr), len(xte))


def _logistic_fit(x: np.ndarray, y: np.ndarray, n_classes: int, l2: float) -> torch.nn.Linear:
    torch.manual_seed(0)
    xt, yt = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.long)
    layer = torch.nn.Linear(x.shape[1], n_classes).double()
    opt = torch.optim.LBFGS(layer.parameters(), lr=0.5, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(layer(xt), yt) + l2 * layer.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return layer


def _accuracy(layer: torch.nn.Linear, x: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        pred = layer(torch.as_tensor(x, dtype=torch.float64)).argmax(-1).numpy()
    return float((pred == np.asarray(y)).mean())


def logistic_probe(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    n_classes: int,
    seed: int = 0,
) -> ProbeResult:
    """Held-out accuracy of an L2-penalised multinomial logistic regression x -> class."""
    xtr, xte = _standardise(np.asarray(x_train, np.float64), np.asarray(x_test, np.float64))
    ytr, yte = np.asarray(y_train), np.asarray(y_test)
    fit_idx, val_idx = _inner_split(len(xtr), None, seed)
    penalties = (1e-4, 1e-3, 1e-2, 1e-1)
    scores = [
        _accuracy(_logistic_fit(xtr[fit_idx], ytr[fit_idx], n_classes, p), xtr[val_idx], ytr[val_idx])
        for p in penalties
    ]
    penalty = penalties[int(np.argmax(scores))]
    layer = _logistic_fit(xtr, ytr, n_classes, penalty)
    return ProbeResult(_accuracy(layer, xte, yte), penalty, len(xtr), len(xte))
