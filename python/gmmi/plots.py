"""Plots (matplotlib, an optional extra: ``pip install 'gmmi[plot]'``).

Every function draws on ``ax`` (a new figure when ``None``) and returns the Axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .mixture import GaussianMixture
    from .result import MIResult

__all__ = ["plot_bootstrap", "plot_model", "plot_selection"]


def _axes(ax: Any, figsize: tuple[float, float] = (5.0, 4.0)) -> Any:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'gmmi[plot]'") from None
    _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_model(
    model: GaussianMixture,
    X: Any = None,
    *,
    dims: Sequence[int] = (0, 1),
    ax: Any = None,
    levels: int = 8,
    grid: int = 150,
    n_std: float = 2.0,
    transform: Any = None,
) -> Any:
    """Density contours of a fitted mixture over the data, with each component's ellipse.

    Parameters
    ----------
    model : GaussianMixture
        The mixture (its marginal over ``dims`` is drawn).
    X : array-like of shape (n, d), optional
        Data to scatter (the same columns as the model).
    dims : pair of int
        The two dimensions drawn.
    levels : int
        Number of contour levels of the log-density.
    grid : int
        Grid points per axis.
    n_std : float
        Ellipses at ``n_std`` standard deviations.
    transform : Representation, optional
        The representation the model was fitted in (``result.transform``): ``X`` (in the
        original units, every column of the model) is mapped into it before it is drawn, and
        the axes say which map they show.

    Examples
    --------
    >>> import numpy as np, gmmi, matplotlib
    >>> matplotlib.use("Agg")
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500); y = np.exp(x + rng.normal(size=500))
    >>> r = gmmi.mutual_information(x, y, n_bootstrap=0, random_state=0)
    >>> from gmmi.plots import plot_model
    >>> ax = plot_model(r.model, np.column_stack([x, y]), transform=r.transform)
    """
    from matplotlib.patches import Ellipse

    dims = list(dims)
    if len(dims) != 2:
        raise ValueError(f"dims: expected two dimensions, got {dims}")
    ax = _axes(ax)
    m = model.marginal(dims)
    pts = None
    if X is not None:
        pts = np.asarray(X, dtype=float)
        pts = pts[:, None] if pts.ndim == 1 else pts
        if transform is not None:
            pts = transform.apply(pts)
        pts = pts[:, dims]
        ax.scatter(pts[:, 0], pts[:, 1], s=3, alpha=0.3, color="0.4", label="data")
    means, covs = m.means_, m.covariances_
    sd = np.sqrt(np.array([np.diag(c) for c in covs]))
    lo = (means - 3 * sd).min(axis=0)
    hi = (means + 3 * sd).max(axis=0)
    if pts is not None:
        lo = np.minimum(lo, pts.min(axis=0))
        hi = np.maximum(hi, pts.max(axis=0))
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid))
    logp = m.score_samples(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    top = logp.max()
    ax.contour(gx, gy, logp, levels=np.linspace(top - 8, top, levels), cmap="viridis",
               linewidths=0.8)
    for k, (mu, c, w) in enumerate(zip(means, covs, m.weights_)):
        vals, vecs = np.linalg.eigh(c)
        angle = np.degrees(np.arctan2(vecs[1, -1], vecs[0, -1]))
        width, height = 2 * n_std * np.sqrt(vals[::-1])
        ax.add_patch(Ellipse(tuple(mu), width, height, angle=angle, fill=False,
                             color=f"C{k % 10}", lw=1.5, label=f"component {k} (w={w:.2f})"))
        ax.plot(*mu, "+", color=f"C{k % 10}")
    names = [f"dimension {d}" for d in dims]
    if transform is not None:
        names = [n if transform.columns[d]["map"] == "identity"
                 else f"{transform.columns[d]['map']}({n})" for n, d in zip(names, dims)]
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.legend(fontsize=7, loc="best")
    return ax


def plot_bootstrap(result: MIResult, *, ax: Any = None, level: float = 0.95,
                   bins: Optional[int] = None) -> Any:
    """Histogram of the bootstrap replicates with the estimate and its interval
    (:meth:`MIResult.ci` by the result's default method)."""
    if result.samples.size < 2:
        raise ValueError("result: the bootstrap distribution needs n_bootstrap >= 2")
    ax = _axes(ax)
    s = result.samples
    ax.hist(s, bins=bins or max(10, int(np.sqrt(s.size)) * 2), color="C0", alpha=0.7)
    lo, hi = result.ci(level)
    ax.axvline(result.mean, color="k", lw=1.5, label=f"mean {result.mean:.3f}")
    ax.axvspan(lo, hi, color="C1", alpha=0.2, label=f"{level:.0%} interval")
    ax.set_xlabel(f"{result.quantity.replace('_', ' ')} ({result.unit})")
    ax.set_ylabel("replicates")
    ax.legend(fontsize=8)
    return ax


def plot_selection(result: MIResult, *, ax: Any = None) -> Any:
    """The selection metric against the number of components, the chosen K marked."""
    if not result.selection:
        raise ValueError("result: has no component-selection table (categorical or "
                         "discrete estimators record it per class in result.details)")
    ax = _axes(ax)
    ks = [r.k for r in result.selection]
    metric = [r.metric for r in result.selection]
    ax.plot(ks, metric, "o-", color="C0")
    for r in result.selection:
        means = np.nanmean(np.where(np.isfinite(r.fold_scores), r.fold_scores, np.nan), axis=1)
        ax.plot([r.k] * len(means), means, ".", color="0.6")
    chosen = result.n_components
    if chosen in ks:
        ax.plot([chosen], [metric[ks.index(chosen)]], "*", ms=14, color="C3",
                label=f"selected K={chosen}")
        ax.legend(fontsize=8)
    ax.set_xlabel("number of components K")
    ax.set_ylabel(f"metric ({result.options.get('selection', 'valid')})")
    ax.set_xticks(ks)
    return ax
