"""Bad input: a table of inputs, the exception each gives, and the argument its message
names; then a table of unusual but valid inputs that must work."""

from __future__ import annotations

import numpy as np
import pytest

import gmmi
from gmmi.cli import main as cli_main
from gmmi.compat import EstimateMI

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 2))
x, y = X[:, 0], X[:, 1]
Z = rng.normal(size=60)
LAB = rng.integers(0, 2, 60)
FAST = {"n_bootstrap": 2, "mc_samples": 500, "random_state": 0}
MI = gmmi.mutual_information
G = gmmi.GaussianMixture([1.0], [[0.0, 0.0]], [np.eye(2)])


def with_nan(a, i=3):
    b = np.array(a, dtype=float)
    b.flat[i] = np.nan
    return b


def with_inf(a, i=5):
    b = np.array(a, dtype=float)
    b.flat[i] = -np.inf
    return b


# (id, call, exception, regex naming the argument)
BAD = [
    ("3-D x", lambda: MI(np.zeros((5, 4, 3)), y), ValueError, r"^x: .*3 dimensions"),
    ("scalar x", lambda: MI(1.0, y), ValueError, r"^x: .*scalar"),
    ("mismatched y", lambda: MI(x, y[:50]), ValueError, r"^y: has 50 rows but x has 60"),
    ("mismatched z", lambda: MI(x, y, Z[:10]), ValueError, r"^z: has 10 rows"),
    ("empty x", lambda: MI(np.array([]), np.array([])), ValueError, r"^x: is empty"),
    ("one row", lambda: MI(x[:1], y[:1]), ValueError, r"^x: at least 2 rows"),
    ("too few rows per fold", lambda: MI(x[:4], y[:4]), ValueError, r"^x: .*training rows"),
    ("fewer rows than components", lambda: MI(x[:8], y[:8], n_components=6), ValueError,
     r"^x: .*6 component"),
    ("NaN in x", lambda: MI(with_nan(x), y), ValueError, r"^x: contains nan at row 3"),
    ("inf in y", lambda: MI(x, with_inf(y)), ValueError, r"^y: contains -inf at row 5"),
    ("NaN in z", lambda: MI(x, y, with_nan(Z)), ValueError, r"^z: contains nan"),
    ("string x", lambda: MI(np.array(["a"] * 60), y), TypeError, r"^x: expected numbers"),
    ("object x", lambda: MI(np.array([object()] * 60), y), TypeError, r"^x: expected numbers"),
    ("complex y", lambda: MI(x, y + 1j), TypeError, r"^y: complex"),
    ("boolean y", lambda: MI(x, y > 0), TypeError, r"^y: boolean data are discrete"),
    ("constant x", lambda: MI(np.ones(60), y), ValueError, r"^x: column 0 is constant"),
    ("None y", lambda: MI(x, None), TypeError, r"^y: expected an array-like"),
    ("n_bootstrap -1", lambda: MI(x, y, n_bootstrap=-1), ValueError, r"^n_bootstrap: .*least 0"),
    ("n_bootstrap 2.5", lambda: MI(x, y, n_bootstrap=2.5), TypeError, r"^n_bootstrap: .*integer"),
    ("n_bootstrap '3'", lambda: MI(x, y, n_bootstrap="3"), TypeError, r"^n_bootstrap"),
    ("mc_samples 0", lambda: MI(x, y, mc_samples=0), ValueError, r"^mc_samples"),
    ("n_inits 0", lambda: MI(x, y, n_inits=0), ValueError, r"^n_inits"),
    ("n_folds 1", lambda: MI(x, y, n_folds=1), ValueError, r"^n_folds"),
    ("n_folds > n", lambda: MI(x[:6], y[:6], n_folds=7), ValueError, r"^n_folds"),
    ("patience 0", lambda: MI(x, y, patience=0), ValueError, r"^patience"),
    ("max_components 0", lambda: MI(x, y, max_components=0), ValueError, r"^max_components"),
    ("threshold_fit 0", lambda: MI(x, y, threshold_fit=0), ValueError, r"^threshold_fit"),
    ("threshold_fit nan", lambda: MI(x, y, threshold_fit=float("nan")), ValueError,
     r"^threshold_fit: must be finite"),
    ("threshold_components -1", lambda: MI(x, y, threshold_components=-1.0), ValueError,
     r"^threshold_components"),
    ("reg_covar -1", lambda: MI(x, y, reg_covar=-1e-6), ValueError, r"^reg_covar"),
    ("max_iter 0", lambda: MI(x, y, max_iter=0), ValueError, r"^max_iter"),
    ("scale 0", lambda: MI(x, y, scale=0.0), ValueError, r"^scale"),
    ("n_components True", lambda: MI(x, y, n_components=True), TypeError, r"^n_components"),
    ("selection", lambda: MI(x, y, selection="waic"), ValueError, r"^selection: expected one"),
    ("integral", lambda: MI(x, y, integral="simpson"), ValueError, r"^integral: expected one"),
    ("init", lambda: MI(x, y, init="kmeans++"), ValueError, r"^init: expected one"),
    ("base 1", lambda: MI(x, y, base=1), ValueError, r"^base"),
    ("base str", lambda: MI(x, y, base="decibel"), ValueError, r"^base"),
    ("standardize 1", lambda: MI(x, y, standardize=1), TypeError, r"^standardize"),
    ("progress str", lambda: MI(x, y, progress="yes"), TypeError, r"^progress"),
    ("random_state -1", lambda: MI(x, y, random_state=-1), ValueError, r"^random_state"),
    ("random_state str", lambda: MI(x, y, random_state="0"), TypeError, r"^random_state"),
    ("n_jobs 0", lambda: MI(x, y, n_jobs=0), ValueError, r"^n_jobs"),
    ("unknown option", lambda: MI(x, y, n_boot=3), TypeError, r"n_boot"),
    ("quadrature d > 6", lambda: MI(rng.normal(size=(60, 4)), rng.normal(size=(60, 3)),
                                    integral="quadrature", **FAST), ValueError, r"^integral"),
    ("quadrature order huge", lambda: MI(x, y, integral="quadrature", quadrature_order=5000,
                                         **FAST), ValueError, r"^quadrature_order"),
    # discrete paths
    ("NaN label", lambda: MI(x, with_nan(LAB), discrete_y=True), ValueError, r"^y: label at row"),
    ("None label", lambda: MI(x, np.array([None] + ["a"] * 59, dtype=object), discrete_y=True),
     ValueError, r"^y: label at row 0 is missing"),
    ("2-D labels", lambda: MI(x, np.zeros((60, 2)), discrete_y=True), ValueError, r"^y: .*1-D"),
    ("small class", lambda: MI(x, np.r_[np.zeros(59), [1]], discrete_y=True), ValueError,
     r"^y: class 1.0 has only 1 rows"),
    ("too many classes", lambda: MI(x, np.arange(60), discrete_y=True), ValueError,
     r"^y: 60 classes for 60 rows"),
    ("discrete with z", lambda: MI(x, LAB, Z, discrete_y=True), ValueError, r"^z: "),
    ("discrete_x str", lambda: MI(x, y, discrete_x="yes"), TypeError, r"^discrete_x"),
    ("mixed labels", lambda: MI(LAB, np.array([1, "a"] * 30, dtype=object), discrete_x=True,
                                discrete_y=True), TypeError, r"^y: labels must be"),
    # other entry points
    ("cmi without z", lambda: gmmi.conditional_mutual_information(x, y, None), TypeError, r"^z"),
    ("entropy unknown", lambda: gmmi.entropy(x, bogus=1), TypeError, r"^bogus: unknown"),
    ("entropy NaN", lambda: gmmi.entropy(with_nan(x)), ValueError, r"^x: contains nan"),
    ("kl order", lambda: gmmi.kl_divergence_marginals(x, y, order="both"), ValueError,
     r"^order"),
    ("kl 2-D", lambda: gmmi.kl_divergence_marginals(X, y), ValueError, r"^x: KL"),
    ("matrix rows", lambda: gmmi.mi_matrix(X, X[:10]), ValueError, r"^B column .*rows"),
    ("matrix flags", lambda: gmmi.mi_matrix(X, discrete_a=[True]), ValueError, r"^discrete_a"),
    ("matrix errors", lambda: gmmi.mi_matrix(X, errors="skip"), ValueError, r"^errors"),
    ("matrix block", lambda: gmmi.mi_matrix(X, block_size=0), ValueError, r"^block_size"),
    ("matrix executor", lambda: gmmi.mi_matrix(X, executor=1), TypeError, r"^executor"),
    ("matrix None", lambda: gmmi.mi_matrix(None), TypeError, r"^A"),
    ("ranking target 2-D", lambda: gmmi.mi_ranking(X, X), ValueError, r"^target"),
    ("score NaN", lambda: gmmi.mi_score(with_nan(X), y), ValueError, r"^A column"),
    # GaussianMixture
    ("gm weights", lambda: gmmi.GaussianMixture([0.5], [[0.0]], [[[1.0]]]), ValueError,
     r"^weights"),
    ("gm covariance", lambda: gmmi.GaussianMixture([1.0], [[0.0, 0.0]], [[[1, 2], [2, 1]]]),
     ValueError, r"^covariances"),
    ("gm fit k", lambda: gmmi.GaussianMixture().fit(X[:3], 5), ValueError, r"^n_components"),
    ("gm fit NaN", lambda: gmmi.GaussianMixture().fit(with_nan(X)), ValueError, r"^X: contains"),
    ("gm score cols", lambda: G.score_samples(np.zeros((3, 3))), ValueError, r"^X: expected 2"),
    ("gm sample 0", lambda: G.sample(0), ValueError, r"^n_samples"),
    ("gm marginal", lambda: G.marginal([5]), ValueError, r"^dims"),
    ("gm marginal type", lambda: G.marginal(["a"]), TypeError, r"^dims"),
    ("gm load", lambda: gmmi.load(__file__), ValueError, r"^path"),
    # compat
    ("compat unknown", lambda: EstimateMI(n_bootstraps=3), TypeError, r"n_bootstraps"),
    ("compat X", lambda: EstimateMI().fit(np.zeros((5, 3))), ValueError, r"^X"),
]


@pytest.mark.parametrize(("call", "exc", "pattern"), [c[1:] for c in BAD],
                         ids=[c[0] for c in BAD])
def test_bad_input_raises_a_named_error(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


CLI_BAD = [
    ("missing file", ["estimate", "nope.csv", "--x", "a", "--y", "b"], 1, "FILE: nope.csv"),
    ("unknown column", ["estimate", "{csv}", "--x", "a", "--y", "zz"], 1, "column 'zz'"),
    ("non-numeric", ["estimate", "{csv}", "--x", "lab", "--y", "b"], 1, "not numeric"),
    ("bad type", ["estimate", "{txt}", "--x", "a", "--y", "b"], 1, "needs a header"),
    ("bad option", ["estimate", "{csv}", "--x", "a", "--y", "b", "--n-bootstrap", "-1"], 1,
     "n_bootstrap"),
    ("unknown command", ["frobnicate"], 2, "invalid choice"),
    ("missing --y", ["estimate", "{csv}", "--x", "a"], 2, "--y"),
    ("bad base", ["estimate", "{csv}", "--x", "a", "--y", "b", "--base", "dB"], 2, "--base"),
    ("no command", [], 2, "usage"),
]


@pytest.mark.parametrize(("argv", "code", "message"), [c[1:] for c in CLI_BAD],
                         ids=[c[0] for c in CLI_BAD])
def test_cli_exit_codes(tmp_path, capsys, argv, code, message):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,lab\n" + "\n".join(f"{u},{v},c{i % 2}" for i, (u, v) in
                                          enumerate(X)))
    txt = tmp_path / "e.csv"
    txt.write_text("a,b\n")
    argv = [a.format(csv=csv, txt=txt) for a in argv]
    try:
        rc = cli_main(argv)
    except SystemExit as e:  # argparse usage errors
        rc = e.code
    assert rc == code
    assert message in capsys.readouterr().err


def test_cli_success_and_json(tmp_path, capsys):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,lab\n" + "\n".join(f"{u},{v},c{i % 2}" for i, (u, v) in
                                          enumerate(X)))
    assert cli_main(["estimate", str(csv), "--x", "a", "--y", "b", "--n-bootstrap", "3",
                     "--mc-samples", "500", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("MI = ")
    assert cli_main(["estimate", str(csv), "--x", "a", "--y", "lab", "--discrete-y",
                     "--n-bootstrap", "3", "--mc-samples", "500", "--json", "--quiet"]) == 0
    import json

    assert json.loads(capsys.readouterr().out)["estimator"] == "gmm-categorical"
    np.save(tmp_path / "d.npy", X)
    assert cli_main(["estimate", str(tmp_path / "d.npy"), "--x", "0", "--y", "1",
                     "--n-bootstrap", "2", "--mc-samples", "500", "--quiet"]) == 0


def _readonly(a):
    b = np.array(a)
    b.setflags(write=False)
    return b


MUST_WORK = [
    ("strided", lambda: MI(X[::2, 0], X[::2, 1], **FAST)),
    ("fortran 2-D", lambda: MI(np.asfortranarray(rng.normal(size=(60, 2))), y, **FAST)),
    ("read-only", lambda: MI(_readonly(x), _readonly(y), **FAST)),
    ("int64", lambda: MI(np.arange(60, dtype=np.int64) * 7 % 61, y, **FAST)),
    ("float32", lambda: MI(x.astype(np.float32), y.astype(np.float32), **FAST)),
    ("lists", lambda: MI(x.tolist(), y.tolist(), **FAST)),
    ("column vectors", lambda: MI(x[:, None], y[:, None], **FAST)),
    ("numeric strings", lambda: MI(x.astype(str), y, **FAST)),
    ("numpy Generator seed", lambda: MI(x, y, n_bootstrap=2, mc_samples=500,
                                        random_state=np.random.default_rng(1))),
]


@pytest.mark.parametrize("call", [c[1] for c in MUST_WORK], ids=[c[0] for c in MUST_WORK])
def test_unusual_valid_input_works(call):
    r = call()
    assert np.isfinite(r.mean) and r.samples.size == 2


def test_pandas_inputs_work():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": x, "b": y, "c": pd.Categorical(np.where(LAB, "u", "v"))})
    assert np.isfinite(MI(df[["a"]], df["b"], **FAST).mean)
    assert np.isfinite(MI(df["a"], df["c"], discrete_y=True, **FAST).mean)


def test_cli_matrix(tmp_path, capsys):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,lab\n" + "\n".join(f"{u},{v},c{i % 2}" for i, (u, v) in
                                          enumerate(X)))
    out, png = tmp_path / "m.csv", tmp_path / "m.png"
    assert cli_main(["matrix", str(csv), "--a", "a,b", "--b", "lab", "--discrete-b",
                     "--n-bootstrap", "2", "--mc-samples", "500", "--out", str(out),
                     "--plot", str(png), "--quiet"]) == 0
    assert "lab" in capsys.readouterr().out
    assert out.read_text().splitlines()[0] == "row,col,mean,std,n_components,error"
    assert png.stat().st_size > 1000
    assert cli_main(["matrix", str(csv), "--a", "a,zz"]) == 1
    assert "column 'zz'" in capsys.readouterr().err


def test_core_binding_checks_the_column_count():
    # Regressions: the raw bindings used to reshape silently (a (3, 4) array scored as 6
    # rows of a 2-D model; em_step divided by the wrong row count).
    from gmmi import _core

    m = _core.Mixture(np.array([1.0]), np.zeros((1, 2)), np.eye(2)[None])
    for call in (lambda: m.score_samples(np.zeros((3, 4))),
                 lambda: m.responsibilities(np.zeros((3, 4))),
                 lambda: m.aic(np.zeros((3, 4))),
                 lambda: _core.em_step(m, np.zeros((5, 3)), 1e-6)):
        with pytest.raises(ValueError, match=r"^X: expected 2 columns"):
            call()


def test_affine_names_the_bad_argument():
    with pytest.raises(ValueError, match=r"^scale: expected a number or 2 values"):
        G.affine([1.0, 2.0, 3.0], 0.0)
    with pytest.raises(ValueError, match=r"^shift: must be finite"):
        G.affine(1.0, np.nan)
    with pytest.raises(ValueError, match=r"^scale: must be non-zero"):
        G.affine([1.0, 0.0], 0.0)
