"""Plots (matplotlib, an optional extra: ``pip install 'gmmi[plot]'``).

Every function draws on ``ax`` (a new figure when ``None``) and returns the Axes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ._validation import as_block, percent

if TYPE_CHECKING:  # pragma: no cover
    from .mixture import GaussianMixture
    from .pointwise import PointwiseMI
    from .result import MIResult

__all__ = ["plot_bootstrap", "plot_components", "plot_corner", "plot_model", "plot_pointwise",
           "plot_selection"]


def _axes(ax: Any, figsize: tuple[float, float] = (5.0, 4.0)) -> Any:
    """``ax`` if it is a matplotlib Axes (a ``TypeError`` naming ``ax`` otherwise), or a
    new figure's of size ``figsize``."""
    try:
        import matplotlib.pyplot as plt
        from matplotlib.axes import Axes
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'gmmi[plot]'") from None
    if ax is not None:
        if not isinstance(ax, Axes):
            raise TypeError(f"ax: expected a matplotlib Axes or None, got "
                            f"{type(ax).__name__}")
        return ax
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
    """Density contours of a fitted mixture over the data, with each component's ellipse; a
    1-D mixture (the model of an entropy, say) as its density over a histogram of the data,
    with each component's weighted density (``dims`` is then not used).

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

    if model.n_features == 1:
        return _plot_density(model, X, _axes(ax), grid=max(grid, 200), transform=transform)
    dims = list(dims)
    if len(dims) != 2:
        raise ValueError(f"dims: expected two dimensions, got {dims}")
    ax = _axes(ax)
    m = model.marginal(dims)
    pts = None
    if X is not None:
        pts = _points(X, model, transform)[:, dims]
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


def _points(X: Any, model: GaussianMixture, transform: Any) -> np.ndarray:
    """``X`` as the rows of the model's dimensions, finite, mapped by ``transform``
    (``result.transform``) when given: the data the plot draws."""
    pts = as_block(X, "X", allow_constant=True, min_rows=1, check_spread=False)
    if pts.shape[1] != model.n_features:
        raise ValueError(f"X: has {pts.shape[1]} column(s), but the model has "
                         f"{model.n_features} dimension(s); pass the data it was fitted to")
    return pts if transform is None else transform.apply(pts)


def _plot_density(model: GaussianMixture, X: Any, ax: Any, *, grid: int,
                  transform: Any) -> Any:
    """A 1-D mixture's density (and each component's weighted density) over a histogram of
    ``X`` (mapped by ``transform`` first, as in :func:`plot_model`)."""
    pts = _points(X, model, transform) if X is not None else None
    mu, sd = model.means_[:, 0], np.sqrt(model.covariances_[:, 0, 0])
    lo, hi = float((mu - 4 * sd).min()), float((mu + 4 * sd).max())
    if pts is not None:
        lo, hi = min(lo, float(pts.min())), max(hi, float(pts.max()))
        ax.hist(pts[:, 0], bins=50, range=(lo, hi), density=True, color="0.8", label="data")
    t = np.linspace(lo, hi, grid)
    ax.plot(t, np.exp(model.score_samples(t[:, None])), color="k", lw=1.5, label="mixture")
    for k, (m, s, w) in enumerate(zip(mu, sd, model.weights_)):
        ax.plot(t, w * np.exp(-0.5 * ((t - m) / s) ** 2) / (s * math.sqrt(2 * math.pi)),
                color=f"C{k % 10}", lw=1, label=f"component {k} (w={w:.2f})")
    name = "dimension 0"
    if transform is not None and transform.columns[0]["map"] != "identity":
        name = f"{transform.columns[0]['map']}({name})"
    ax.set_xlabel(name)
    ax.set_ylabel("density")
    ax.legend(fontsize=7, loc="best")
    return ax


def plot_components(model: GaussianMixture, *, dims: Sequence[int] = (0, 1), ax: Any = None,
                    n_std: Sequence[float] = (1.0, 2.0), label: str = "Fitted model",
                    **kwargs: Any) -> Any:
    """Each component's ellipses at ``n_std`` standard deviations (no density contours).

    Parameters
    ----------
    model : GaussianMixture
        The mixture (its marginal over ``dims`` is drawn).
    dims : pair of int
        The two dimensions drawn.
    n_std : sequence of float
        Radii of the ellipses, in standard deviations of each component.
    label : str
        Legend label (given to the first ellipse only).
    **kwargs
        Passed to :class:`matplotlib.patches.Ellipse` (``color``, ``alpha``,
        ``linewidth``, ``fill``, ...); without ``color`` component k takes colour ``Ck``.

    Examples
    --------
    >>> import gmmi, matplotlib
    >>> matplotlib.use("Agg")
    >>> g = gmmi.GaussianMixture.from_parameters([0.5, 0.5], [[0, 0], [3, 1]],
    ...                                          [[[1, 0.3], [0.3, 1]], [[0.5, 0], [0, 2]]])
    >>> from gmmi.plots import plot_components
    >>> ax = plot_components(g, color="salmon", linewidth=2)
    >>> len(ax.patches)
    4
    """
    from matplotlib.patches import Ellipse

    if model.n_features == 1:
        raise ValueError("model: a 1-D mixture has no ellipses; plot_model draws its density")
    dims = list(dims)
    if len(dims) != 2:
        raise ValueError(f"dims: expected two dimensions, got {dims}")
    radii = [float(r) for r in n_std]
    if not radii or not all(np.isfinite(r) and r > 0 for r in radii):
        raise ValueError(f"n_std: expected positive radii, got {list(n_std)}")
    ax = _axes(ax)
    m = model.marginal(dims)
    kwargs.setdefault("fill", False)
    first = True
    for k, (mu, c) in enumerate(zip(m.means_, m.covariances_)):
        vals, vecs = np.linalg.eigh(c)
        angle = np.degrees(np.arctan2(vecs[1, -1], vecs[0, -1]))
        for r in radii:
            kw = dict(kwargs)
            if "color" not in kw and "edgecolor" not in kw:
                kw["color"] = f"C{k % 10}"
            patch = Ellipse(tuple(mu), 2 * r * np.sqrt(vals[-1]), 2 * r * np.sqrt(vals[0]),
                            angle=angle, label=label if first else None, **kw)
            ax.add_patch(patch)
            first = False
    ax.autoscale_view()
    return ax


def plot_corner(model: GaussianMixture, X: Any = None, *, names: Optional[Sequence[str]] = None,
                extents: Any = None, n_samples: Optional[int] = None,
                levels: Sequence[float] = (0.68, 0.95), random_state: Any = 0,
                **kwargs: Any) -> Any:
    """A corner plot: every pair of dimensions of the mixture over the data.

    The diagonal shows each dimension's histogram of ``X`` and the model's marginal
    density; below it, each pair's data and the model's contours enclosing ``levels`` of
    its probability (highest-density regions, their density thresholds set from
    ``n_samples`` points drawn from the model).

    Parameters
    ----------
    model : GaussianMixture
    X : array-like of shape (n, d), optional
        Data in the model's coordinates.
    names : sequence of str, optional
        Axis labels (default ``x0, x1, ...``).
    extents : dict or sequence of (low, high), optional
        Axis ranges, by name (with ``names``) or by dimension.
    n_samples : int, optional
        Draws from the model that set the contour levels (default: the rows of ``X``, at
        least 10,000).
    levels : sequence of float
        Probabilities enclosed by the contours.
    random_state : int, default 0
        Seed of the draws.
    **kwargs
        Passed to the contour calls (``colors``, ``linewidths``, ...).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, gmmi, matplotlib
    >>> matplotlib.use("Agg")
    >>> g = gmmi.GaussianMixture.from_parameters([1.0], [[0, 0, 0]], [np.eye(3)])
    >>> from gmmi.plots import plot_corner
    >>> fig = plot_corner(g, g.sample(500, random_state=1)[0], names=["a", "b", "c"])
    >>> len(fig.axes)
    9
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'gmmi[plot]'") from None
    d = model.n_features
    labels = list(names) if names is not None else [f"x{i}" for i in range(d)]
    if len(labels) != d:
        raise ValueError(f"names: expected {d} names, got {len(labels)}")
    try:
        probs = sorted(float(p) for p in levels)
    except TypeError:
        raise TypeError(f"levels: expected a sequence of probabilities, got {levels!r}") from None
    if not probs or not all(0 < p < 1 for p in probs) or len(set(probs)) < len(probs):
        raise ValueError(f"levels: expected distinct probabilities in (0, 1), got "
                         f"{list(levels)}")
    if n_samples is not None and n_samples < 100:
        raise ValueError(f"n_samples: the contour levels are quantiles of the draws' "
                         f"densities: at least 100 draws, got {n_samples}")
    pts = None
    if X is not None:
        pts = np.asarray(X, dtype=float)
        pts = pts[:, None] if pts.ndim == 1 else pts
        if pts.ndim != 2 or pts.shape[1] != d:
            raise ValueError(f"X: expected {d} columns, got shape {np.shape(X)}")
    n_draw = n_samples if n_samples is not None else max(10_000, 0 if pts is None else len(pts))
    draws, _ = model.sample(n_draw, random_state=random_state)
    ranges = []
    for i in range(d):
        lo, hi = np.quantile(draws[:, i], [0.001, 0.999])
        if pts is not None:
            lo, hi = min(lo, pts[:, i].min()), max(hi, pts[:, i].max())
        ranges.append((float(lo), float(hi)))
    if extents is not None:
        items = extents.items() if isinstance(extents, dict) else enumerate(extents)
        for key, rng in items:
            i = labels.index(key) if isinstance(key, str) and key in labels else key
            if not isinstance(i, (int, np.integer)) or not 0 <= int(i) < d:
                raise ValueError(f"extents: unknown dimension {key!r}")
            try:
                lo, hi = (float(v) for v in rng)
            except (TypeError, ValueError):
                raise ValueError(f"extents: {key!r}: expected (low, high), got {rng!r}") from None
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise ValueError(f"extents: {key!r}: expected finite numbers low < high, got "
                                 f"{rng!r}")
            ranges[int(i)] = (lo, hi)
    kwargs.setdefault("colors", "C1")
    kwargs.setdefault("linestyles", "solid")  # (matplotlib dashes negative levels)
    fig, axes = plt.subplots(d, d, figsize=(2.6 * d, 2.6 * d), squeeze=False)
    for i in range(d):
        for j in range(d):
            ax = axes[i, j]
            if j > i:
                ax.set_axis_off()
                continue
            if i == j:
                grid = np.linspace(*ranges[i], 200)
                dens = np.exp(model.marginal([i]).score_samples(grid[:, None]))
                if pts is not None:
                    ax.hist(pts[:, i], bins=40, range=ranges[i], density=True, color="0.75")
                ax.plot(grid, dens, color=kwargs["colors"] if isinstance(kwargs["colors"], str)
                        else "C1")
                ax.set_xlim(*ranges[i])
                ax.set_yticks([])
            else:
                m = model.marginal([j, i])
                gx, gy = np.meshgrid(np.linspace(*ranges[j], 120), np.linspace(*ranges[i], 120))
                logp = m.score_samples(np.column_stack([gx.ravel(), gy.ravel()]))
                thresholds = np.quantile(m.score_samples(draws[:, [j, i]]),
                                         [1 - p for p in reversed(probs)])
                if pts is not None:
                    ax.scatter(pts[:, j], pts[:, i], s=2, alpha=0.3, color="0.4")
                ax.contour(gx, gy, logp.reshape(gx.shape), levels=np.sort(thresholds), **kwargs)
                ax.set_xlim(*ranges[j])
                ax.set_ylim(*ranges[i])
            if i == d - 1:
                ax.set_xlabel(labels[j])
            if j == 0 and i > 0:
                ax.set_ylabel(labels[i])
    fig.tight_layout()
    return fig


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
    what = "estimate (bias-corrected)" if result.bias_corrected else "mean"
    ax.axvline(result.mean, color="k", lw=1.5, label=f"{what} {result.mean:.3f}")
    ax.axvspan(lo, hi, color="C1", alpha=0.2, label=f"{percent(level)} interval")
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


def plot_pointwise(pmi: PointwiseMI, *, kind: str = "profile", ax: Any = None,
                   level: float = 0.9, dims: Optional[Sequence[int]] = None) -> Any:
    """Pointwise mutual information: its profile, or the samples coloured by it.

    Parameters
    ----------
    pmi : PointwiseMI
        From :meth:`MIResult.pointwise` or :func:`gmmi.pointwise_mutual_information`.
    kind : {"profile", "samples"}, default "profile"
        ``"profile"``: the distribution (cumulative) of the pointwise MI of points drawn
        from the full-data mixture, with the band of the bootstrap replicates' mixtures at
        ``level`` and the mean (the model's MI) marked. ``"samples"``: the samples as a
        scatter of two of their columns (``dims``, indices into the columns of x, y and z
        in that order; default the first column of x against the first of y), coloured by their
        pointwise MI under the full-data mixture (diverging at 0: red where ``x`` and
        ``y`` occur together more often than apart).
    level : float, default 0.9
        Coverage of the band (``"profile"`` with at least two replicate models).

    Examples
    --------
    >>> import numpy as np, gmmi, matplotlib
    >>> matplotlib.use("Agg")
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500); y = x + rng.normal(size=500)
    >>> p = gmmi.pointwise_mutual_information(x, y, n_bootstrap=5, random_state=0,
    ...                                       n_draws=2000)
    >>> from gmmi.plots import plot_pointwise
    >>> ax = plot_pointwise(p)
    >>> ax = plot_pointwise(p, kind="samples")
    """
    if kind not in ("profile", "samples"):
        raise ValueError(f"kind: expected 'profile' or 'samples', got {kind!r}")
    ax = _axes(ax)
    label = f"pointwise MI ({pmi.unit})"
    if kind == "profile":
        ax.plot(pmi.profile, pmi.profile_levels, color="C0", lw=1.8, label="full-data model")
        if pmi.n_models >= 2:
            lo, hi = pmi.profile_ci(level)
            ax.fill_betweenx(pmi.profile_levels, lo, hi, color="C0", alpha=0.25,
                             label=f"{percent(level)} band, {pmi.n_models} bootstrap models")
        ax.axvline(pmi.profile_mean, color="k", lw=1.2,
                   label=f"mean {pmi.profile_mean:.3f} (the MI)")
        ax.axvline(0.0, color="0.6", lw=0.8, ls=":")
        ax.set_xlabel(label)
        ax.set_ylabel("fraction of the population below")
        ax.legend(fontsize=8, loc="lower right")
        return ax
    d = pmi.points.shape[1]
    if dims is None:
        dims = (0, pmi.n_columns[0])
    idx = [int(i) % d if -d <= int(i) < d else int(i) for i in dims]
    if len(idx) != 2 or not all(0 <= i < d for i in idx):
        raise ValueError(f"dims: expected two column indices in [-{d}, {d}), got {list(dims)}")
    lim = float(np.quantile(np.abs(pmi.values), 0.99)) or 1.0
    sc = ax.scatter(pmi.points[:, idx[0]], pmi.points[:, idx[1]], c=pmi.values, s=5,
                    cmap="RdBu_r", vmin=-lim, vmax=lim)
    bounds = np.cumsum(pmi.n_columns)
    names = []
    for i in idx:
        block = int(np.searchsorted(bounds, i, side="right"))
        first = 0 if block == 0 else int(bounds[block - 1])
        var = "xyz"[block]
        names.append(var if pmi.n_columns[block] == 1 else f"{var}[{i - first}]")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.figure.colorbar(sc, ax=ax, label=label)
    return ax
