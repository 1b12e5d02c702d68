"""Saving and loading as JSON."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

import gmmi


def test_mixture_round_trip(tmp_path):
    X = np.random.default_rng(0).normal(size=(300, 2))
    g = gmmi.GaussianMixture(n_components=2, random_state=0, record_curves=True).fit(X)
    path = tmp_path / "g.json"
    g.save(path)
    h = gmmi.load(path)
    assert h == g and h.n_iter_ == g.n_iter_ and h.converged_ == g.converged_
    np.testing.assert_array_equal(h.train_curve_, g.train_curve_)
    np.testing.assert_array_equal(h.score_samples(X), g.score_samples(X))


def test_a_saved_mixture_keeps_the_names_of_its_columns(tmp_path):
    # Without them a loaded model scored a frame's columns in any order without a word.
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"u": rng.normal(0, 1, 300), "v": rng.normal(5, 0.1, 300)})
    g = gmmi.GaussianMixture(random_state=0).fit(df)
    g.save(tmp_path / "g.json")
    h = gmmi.load(tmp_path / "g.json")
    assert list(h.feature_names_in_) == ["u", "v"] and h.score(df) == g.score(df)
    with pytest.raises(ValueError, match="feature names should match"):
        h.score(df[["v", "u"]])
    # A file whose names do not fit the model is refused, naming the field.
    text = (tmp_path / "g.json").read_text().replace('["u", "v"]', '["u"]')
    (tmp_path / "bad.json").write_text(text)
    with pytest.raises(ValueError, match="feature_names: 1 names for a model of 2 features"):
        gmmi.load(tmp_path / "bad.json")


def test_result_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=300)
    r = gmmi.mutual_information(X[:, 0], X[:, 1], n_bootstrap=5, mc_samples=2000,
                                random_state=0)
    path = tmp_path / "r.json"
    r.save(path)
    s = gmmi.load(path)
    assert s.mean == r.mean and s.std == r.std and s.unit == r.unit
    np.testing.assert_array_equal(s.samples, r.samples)
    assert s.model == r.model
    assert s.selection[0].k == 1
    np.testing.assert_array_equal(s.selection[0].fold_scores, r.selection[0].fold_scores)
    assert repr(s) == repr(r)
    # Plain JSON, no NaN tokens: readable by any JSON parser.
    doc = json.loads(path.read_text())
    # A file edited to hold a replicate that is not a number is refused, naming it.
    doc["data"]["samples"]["__array__"][1] = "nan"
    (tmp_path / "edited.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError,
                       match=r"^path: .*edited\.json: data: samples: replicate 1 is nan"):
        gmmi.load(tmp_path / "edited.json")


def test_categorical_and_no_bootstrap_round_trip(tmp_path):
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 400)
    x = rng.normal(y, 1.0)
    r = gmmi.mutual_information(x, y, discrete_y=True, n_bootstrap=0, mc_samples=2000,
                                random_state=0)
    r.save(tmp_path / "c.json")
    s = gmmi.load(tmp_path / "c.json")
    assert math.isnan(s.std) and s.mean == r.mean
    assert s.details["class_models"][1] == r.details["class_models"][1]


def test_matrix_round_trip_with_nan_and_errors(tmp_path):
    rng = np.random.default_rng(3)
    A = rng.normal(size=(200, 3))
    A[:, 2] = 1.0
    with pytest.warns(gmmi.FailedPairWarning):
        m = gmmi.mi_matrix(A, n_bootstrap=3, mc_samples=1000, random_state=0)
    m.save(tmp_path / "m.json")
    k = gmmi.load(tmp_path / "m.json")
    np.testing.assert_array_equal(k.mean, m.mean)  # NaN positions included
    assert k.errors == m.errors and k.row_labels == m.row_labels
    assert k == m  # every field, the full-data values and correction flags included
    np.testing.assert_array_equal(np.array(k.ci(0.9)), np.array(m.ci(0.9)))
    # A file written before the matrix kept full-data values still loads; its intervals
    # cannot be rebuilt and ci() says why.
    doc = json.loads((tmp_path / "m.json").read_text())
    del doc["data"]["full_value"], doc["data"]["bias_corrected"]
    (tmp_path / "old.json").write_text(json.dumps(doc))
    old = gmmi.load(tmp_path / "old.json")
    np.testing.assert_array_equal(old.mean, m.mean)
    assert old.full_value is None
    with pytest.raises(ValueError, match="full-data value"):
        old.ci()


def test_ranking_round_trip_and_a_file_without_its_level(tmp_path):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 3))
    y = X[:, 0] + rng.normal(size=300)
    r = gmmi.mi_ranking(X, y, n_bootstrap=4, mc_samples=2000, random_state=0, level=0.9)
    r.save(tmp_path / "r.json")
    k = gmmi.load(tmp_path / "r.json")
    assert k == r and k.level == 0.9
    # A file written before the ranking kept its level loads with level None: its flags
    # are the overlap of mean -/+ std, the criterion then, and its display says so.
    doc = json.loads((tmp_path / "r.json").read_text())
    del doc["data"]["level"]
    (tmp_path / "old.json").write_text(json.dumps(doc))
    old = gmmi.load(tmp_path / "old.json")
    assert old.level is None and old.features == r.features
    assert "mean ± std intervals overlap" in repr(old)
    doc["data"]["level"] = 1.5
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="level"):
        gmmi.load(tmp_path / "bad.json")


def test_an_unseeded_ranking_keeps_its_seed(tmp_path):
    # random_state=None draws a seed; the ranking keeps it (as a matrix does), so passing
    # it back repeats the ranking to the last bit, and a saved ranking carries it.
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 3))
    y = X[:, 0] + rng.normal(size=300)
    r = gmmi.mi_ranking(X, y, n_bootstrap=4, mc_samples=2000, random_state=None)
    assert isinstance(r.random_state, int)
    again = gmmi.mi_ranking(X, y, n_bootstrap=4, mc_samples=2000,
                            random_state=r.random_state)
    assert again == r
    r.save(tmp_path / "r.json")
    assert gmmi.load(tmp_path / "r.json").random_state == r.random_state
    doc = json.loads((tmp_path / "r.json").read_text())
    del doc["data"]["random_state"]  # a file written before the ranking kept its seed
    (tmp_path / "old.json").write_text(json.dumps(doc))
    assert gmmi.load(tmp_path / "old.json").random_state is None


def test_newer_format_and_foreign_files_are_refused(tmp_path):
    g = gmmi.GaussianMixture.from_parameters([1.0], [[0.0]], [[[1.0]]])
    path = tmp_path / "g.json"
    g.save(path)
    doc = json.loads(path.read_text())
    doc["format_version"] = 99
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="newer"):
        gmmi.load(path)
    other = tmp_path / "x.json"
    other.write_text('{"a": 1}')
    with pytest.raises(ValueError, match="not a gmmi file"):
        gmmi.load(other)
    with pytest.raises(TypeError, match="cannot save"):
        gmmi.io.save(object(), tmp_path / "o.json")


def test_rich_displays_show_the_numbers_escaped():
    # Notebooks render _repr_html_: each display holds the object's numbers, and text from
    # the data (labels) is escaped, so a label cannot inject markup.
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    y = x + rng.normal(size=400)
    r = gmmi.mutual_information(x, y, n_bootstrap=4, random_state=0)
    h = r._repr_html_()
    assert h.startswith("<table") and f"{r.mean:.4f}" in h and "95% interval" in h
    z = np.column_stack([x, y])
    m = gmmi.mi_matrix(z, np.column_stack([y]), n_bootstrap=3, random_state=0)
    hm = m._repr_html_()
    assert f"{m.mean[0, 0]:.3f} ± {m.std[0, 0]:.3f}" in hm
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"<b>x</b>": x, "y": y})
    rk = gmmi.mi_ranking(df, y, n_bootstrap=3, random_state=0)
    hr = rk._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in hr and "<b>x</b>" not in hr
    g = gmmi.GaussianMixture(n_components=2, random_state=0).fit(z)
    hg = g._repr_html_()
    assert f"{g.weights_[0]:.4f}" in hg and "standard deviations" in hg
    assert "n_components" in gmmi.GaussianMixture(n_components=2)._repr_html_()


@pytest.mark.parametrize(("edit", "field"), [
    (lambda d: d["details"].__setitem__("fit_check", {"foo": 1}), "details.fit_check"),
    (lambda d: d["details"]["fit_check"].__setitem__("statistic", "abc"),
     "details.fit_check"),
    (lambda d: d["details"].__setitem__("integration_error", "big"),
     "details.integration_error"),
    (lambda d: d.__setitem__("full_value", {"__float__": "nan"}), "full_value"),
    (lambda d: d.__setitem__("std", -1.0), "std"),
    (lambda d: d.__setitem__("n_components", -3), "n_components"),
    (lambda d: d.__setitem__("random_state", -5), "random_state"),
    # Found by a review: these loaded and printed "MI = nan" or "0.286 x", or failed only
    # when check_fit() or pointwise() met the map.
    (lambda d: d.__setitem__("mean", {"__float__": "nan"}), "mean"),
    (lambda d: d.__setitem__("mean", {"__float__": "inf"}), "mean"),
    (lambda d: d.__setitem__("mean", -5.0), "mean"),
    (lambda d: d.__setitem__("quantity", "x"), "quantity"),
    (lambda d: d.__setitem__("estimator", "x"), "estimator"),
    (lambda d: d.__setitem__("unit", "x"), "unit"),
    (lambda d: d["transform"]["__representation__"]["columns"][0].__setitem__("map", None),
     "columns"),
    (lambda d: d["transform"]["__representation__"]["columns"][0].__setitem__("map", "x"),
     "columns"),
    (lambda d: d["transform"]["__representation__"].__setitem__("name", "x"), "name"),
    (lambda d: d["details"].__setitem__("block_columns", [-1, 4]), "details.block_columns"),
    # Found by a second review: these loaded, then repr() or pointwise() failed.
    (lambda d: d["transform"]["__representation__"].__setitem__("candidates", [{}]),
     "candidates"),
    (lambda d: d["transform"]["__representation__"]["candidates"][0].__setitem__(
        "score", "high"), "candidates"),
    (lambda d: d.__setitem__("model", {"__gmm__": {}}), "model"),
    (lambda d: d.__setitem__("bootstrap_models", [{"__gmm__": {
        "weights": [1.0], "means": [[0.0]], "covariances": [[[1.0]]]}}]),
     "bootstrap_models[0]"),
    (lambda d: d["transform"]["__representation__"]["columns"].pop(), "transform.columns"),
])
def test_an_edited_result_is_refused_on_load_not_when_shown(tmp_path, edit, field):
    # Each of these loaded before and then failed in repr, ci() returned (0, 0), or a
    # later call blamed an argument the user never passed.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 2))
    y = x[:, 0] + rng.normal(size=600)
    r = gmmi.mutual_information(x, y, n_bootstrap=4, random_state=0)  # checked: 3 columns
    assert r.fit_check is not None
    r.save(tmp_path / "r.json")
    doc = json.loads((tmp_path / "r.json").read_text())
    edit(doc["data"])
    (tmp_path / "ed.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=re.escape(field.split(".")[-1])):
        gmmi.load(tmp_path / "ed.json")


def test_a_matrix_file_without_its_options_loads(tmp_path):
    # "options" has a default; the loader's consistency check read it as required (KeyError).
    m = gmmi.mi_matrix(np.random.default_rng(0).normal(size=(300, 3)), n_bootstrap=3,
                       mc_samples=1000, random_state=0)
    path = _edited(tmp_path, m, lambda d: d.pop("options"))
    back = gmmi.load(path)
    assert back.options == {} and np.array_equal(back.mean, m.mean, equal_nan=True)


def test_a_key_written_twice_is_refused(tmp_path):
    # json keeps the last of two equal keys without a word: an edited file then held a
    # value nobody sees (found by a review: "mean" twice loaded with the second).
    g = gmmi.GaussianMixture.from_parameters([1.0], [[0.0, 1.0]], [[[1.0, 0.2], [0.2, 1.0]]])
    g.save(tmp_path / "g.json")
    text = (tmp_path / "g.json").read_text()
    assert text.count('"type": ') == 1
    (tmp_path / "twice.json").write_text(text.replace('"type": ', '"type": "x", "type": ', 1))
    with pytest.raises(ValueError, match=r"the key 'type' appears twice in one object"):
        gmmi.load(tmp_path / "twice.json")
    # Nested objects too.
    doc = json.loads(text)
    inner = json.dumps(doc["data"])
    key = next(iter(doc["data"]))
    nested = text.replace(inner, inner.replace(f'"{key}": ', f'"{key}": 0, "{key}": ', 1), 1)
    assert nested != text
    (tmp_path / "nested.json").write_text(nested)
    with pytest.raises(ValueError, match=rf"the key '{key}' appears twice"):
        gmmi.load(tmp_path / "nested.json")
    assert gmmi.load(tmp_path / "g.json") == g


def _edited(tmp_path, obj, edit):
    """``obj`` saved, its JSON edited by ``edit(data)``, written back; the path."""
    import json

    path = tmp_path / "obj.json"
    obj.save(path)
    doc = json.loads(path.read_text())
    edit(doc["data"] if "data" in doc else doc)
    path.write_text(json.dumps(doc))
    return path


def test_matrices_and_rankings_whose_values_contradict_each_other_are_refused(tmp_path):
    # Each edit leaves a well-formed file whose values no estimator writes; loading it
    # must fail naming the field, not mislead later.
    rng = np.random.default_rng(3)
    A = rng.normal(size=(300, 3))
    A[:, 1] += A[:, 0]
    m = gmmi.mi_matrix(A, n_bootstrap=3, mc_samples=1000, random_state=0)
    r = gmmi.mi_ranking(A[:, [0, 2]], A[:, 1], n_bootstrap=3, mc_samples=1000,
                        random_state=0)

    def neg(a):
        return [v if isinstance(v, str) else -v - 1.0 for v in a]

    def one_cell(d):
        d["mean"]["__array__"][1] = 0.5  # (0, 1) but not (1, 0)

    def repeat_label(d):
        d["row_labels"][1] = d["col_labels"][1] = "A[0]"

    def more_replicates(d):
        d["options"]["n_bootstrap"] = 10

    cases = [
        (m, lambda d: d["std"].update(__array__=neg(d["std"]["__array__"])),
         r"\.std: holds a negative value"),
        (m, one_cell, r"\.mean: a symmetric matrix equals its transpose"),
        (m, repeat_label, r"\.row_labels: the label 'A\[0\]' appears twice"),
        (m, more_replicates, r"\.samples: holds 3 replicates per pair; the options say "
                             r"n_bootstrap=10"),
        (r, lambda d: d["mean"].update(__array__=d["mean"]["__array__"][::-1]),
         r"\.mean: a ranking lists its features by decreasing MI"),
        (r, lambda d: d["features"].__setitem__(1, d["features"][0]),
         r"\.features: the label .* appears twice"),
    ]
    for obj, edit, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            gmmi.load(_edited(tmp_path, obj, edit))
    # Unedited, both load.
    assert gmmi.load(_edited(tmp_path, m, lambda d: None)) == m
    assert gmmi.load(_edited(tmp_path, r, lambda d: None)) == r
