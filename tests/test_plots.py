"""Plots render to PNG with the Agg backend."""

from __future__ import annotations

import numpy as np
import pytest

import gmmi

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")


def _saved(ax, path):
    ax.figure.savefig(path, dpi=60)
    import matplotlib.pyplot as plt

    plt.close(ax.figure)
    return path.stat().st_size


def test_model_selection_and_bootstrap_plots(tmp_path):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal([-2, 0], 0.5, (300, 2)), rng.normal([2, 1], 0.7, (300, 2))])
    r = gmmi.mutual_information(X[:, 0], X[:, 1], n_bootstrap=10, mc_samples=2000,
                                init="kmeans", random_state=0)
    ax = r.model.plot(X)
    # One ellipse per component, and a non-trivial PNG.
    assert len(ax.patches) == r.model.n_components
    assert _saved(ax, tmp_path / "model.png") > 2000
    ax = r.plot_selection()
    xs, _ = ax.lines[0].get_data()
    assert list(xs) == [s.k for s in r.selection]
    assert _saved(ax, tmp_path / "sel.png") > 2000
    ax = r.plot_bootstrap()
    assert sum(p.get_height() for p in ax.patches if hasattr(p, "get_height")) >= 10
    assert _saved(ax, tmp_path / "boot.png") > 2000


def test_plot_errors():
    rng = np.random.default_rng(1)
    r = gmmi.mutual_information(rng.normal(size=60), rng.normal(size=60), n_bootstrap=0,
                                mc_samples=500, random_state=0)
    with pytest.raises(ValueError, match="n_bootstrap"):
        r.plot_bootstrap()
    with pytest.raises(ValueError, match="dims"):
        r.model.plot(dims=(0,))


def test_plots_refuse_what_is_not_an_axes_naming_ax():
    X = np.random.default_rng(0).normal(size=(80, 2))
    m = gmmi.mi_matrix(X, n_bootstrap=2, mc_samples=1000, random_state=0)
    r = gmmi.mi_ranking(X[:, :1], X[:, 1], n_bootstrap=2, mc_samples=1000, random_state=0)
    for plot in (m.plot, r.plot):
        with pytest.raises(TypeError, match=r"^ax: expected a matplotlib Axes or None, got"):
            plot(ax=3)
    with pytest.raises(TypeError, match=r"^annotate: "):
        m.plot(annotate="no")
    import matplotlib.pyplot as plt

    plt.close("all")


def test_a_one_dimensional_model_is_drawn_as_a_density_and_corner_levels_are_checked():
    import matplotlib.pyplot as plt

    from gmmi.plots import plot_corner

    x = np.random.default_rng(1).normal(size=400)
    r = gmmi.entropy(x, n_bootstrap=2, random_state=0)
    # It failed with "dims: 1 is out of range for 1 dimensions" (dims defaults to (0, 1)).
    ax = r.plot_model(x)
    assert ax.get_ylabel() == "density" and len(ax.patches) == 50  # the histogram's bars
    assert r.model.plot().get_ylabel() == "density"
    g = gmmi.GaussianMixture.from_parameters([1.0], [[0.0, 0.0]], [np.eye(2)])
    with pytest.raises(ValueError, match=r"^levels: expected distinct probabilities"):
        plot_corner(g, levels=(0.5, 0.5))
    with pytest.raises(TypeError, match=r"^levels: expected a sequence"):
        plot_corner(g, levels=0.5)
    with pytest.raises(ValueError, match=r"^n_samples: .* at least 100 draws, got 1"):
        plot_corner(g, n_samples=1)
    plt.close("all")


def test_the_data_drawn_must_be_the_models():
    # X with other columns than the model was drawn anyway (a 1-D model pooled two columns
    # into one histogram; a 2-D one drew the first two of three) or failed deep inside.
    g = gmmi.GaussianMixture.from_parameters([1.0], [[0.0, 0.0]], [[[1.0, 0.2], [0.2, 1.0]]])
    for X in (np.zeros((5, 3)), np.zeros((5, 1))):
        with pytest.raises(ValueError, match=r"X: has \d column\(s\), but the model has 2"):
            g.plot(X)
    with pytest.raises(ValueError, match="X: contains inf at row 0, column 0"):
        g.plot([[np.inf, 0.0], [0.0, 0.0]])
    x = np.random.default_rng(0).normal(size=300)
    r = gmmi.entropy(x, n_bootstrap=2, random_state=0)
    with pytest.raises(ValueError, match="model has 1 dimension"):
        r.plot_model(np.column_stack([x, x]))
    assert r.plot_model(x) is not None
