"""Reliability, round two (issue 14): missing labels, many-pair results that keep each
cell's warnings and columns apart, results that save and load, and the command line on
real-world files."""

from __future__ import annotations

import json
import math
import re
import warnings

import numpy as np
import pytest

import gmmi

pd = pytest.importorskip("pandas")

FAST = {"n_bootstrap": 2, "mc_samples": 1000, "random_state": 0}
#: FAST without the mixture's options, which two discrete variables ignore with a warning.
DD_FAST = {"n_bootstrap": 2, "random_state": 0}


# --- missing labels ------------------------------------------------------------------------
@pytest.mark.parametrize("labels", [
    pd.array(["a", "b", pd.NA, "a", "b", "a"], dtype="string"),
    pd.Series(["a", "b", pd.NA, "a", "b", "a"], dtype=object),
    pd.Series(pd.to_datetime(["2020-01-01", "2020-01-02", None, "2020-01-01", "2020-01-02",
                              "2020-01-01"])),
    np.array(["2020-01-01", "2020-01-02", "NaT", "2020-01-01", "2020-01-02", "2020-01-01"],
             dtype="datetime64[D]"),
])
def test_a_missing_label_is_named_with_its_row(labels):
    x = np.arange(6.0)
    with pytest.raises(ValueError, match=r"^y: label at row 2 is missing"):
        gmmi.mutual_information(x, labels, discrete_y=True, **FAST)
    with pytest.raises(ValueError, match=r"^x: label at row 2 is missing"):
        gmmi.mutual_information(labels, labels, discrete_x=True, discrete_y=True, **DD_FAST)


# --- many pairs: each cell keeps its warnings, columns never mix ----------------------------
def _degenerate_columns():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    return x, 2 * x + 1, rng.normal(size=300)  # the second is an exact function of the first


def test_matrix_cells_carry_and_raise_the_single_pair_warnings():
    x, y, z = _degenerate_columns()
    with pytest.warns(gmmi.DegenerateWarning) as single:
        gmmi.mutual_information(x, y, **FAST)
    expected = [str(w.message) for w in single if issubclass(w.category, gmmi.DegenerateWarning)]
    with pytest.warns(gmmi.DegenerateWarning) as caught:
        m = gmmi.mi_matrix(np.column_stack([x, y, z]), **FAST)
    raised = [str(w.message) for w in caught if issubclass(w.category, gmmi.DegenerateWarning)]
    # Raised once per pair, naming it, the same warnings as the single pair; stored on both
    # mirrored cells.
    assert raised == [f"pair ('A[0]', 'A[1]'): {e}" for e in expected]
    assert m.cell_warnings[("A[0]", "A[1]")] == m.cell_warnings[("A[1]", "A[0]")]
    assert any(expected[0] in w for w in m.cell_warnings[("A[0]", "A[1]")])
    assert ("A[0]", "A[2]") not in m.cell_warnings


def test_ranking_and_score_carry_the_warnings_of_each_feature():
    x, y, z = _degenerate_columns()
    with pytest.warns(gmmi.DegenerateWarning, match=r"^feature 'X\[0\]': "):
        r = gmmi.mi_ranking(np.column_stack([x, z]), y, **FAST)
    assert list(r.cell_warnings) == ["X[0]"]
    with pytest.warns(gmmi.DegenerateWarning, match=r"^feature 'X\[0\]': "):
        gmmi.mi_score(np.column_stack([x, z]), y, mc_samples=1000)


def test_mi_score_keeps_columns_whose_names_stringify_alike_apart():
    rng = np.random.default_rng(1)
    y = rng.normal(size=300)
    X = pd.DataFrame({1: y + 0.3 * rng.normal(size=300), "1": np.ones(300)})
    s = gmmi.mi_score(X, y, mc_samples=2000)
    # The informative column (name 1) keeps its score; the constant one (name "1") scores 0.
    alone = gmmi.mi_score(X[[1]], y, mc_samples=2000)
    assert s[0] == alone[0] > 0.5
    assert s[1] == 0.0
    # Duplicate names work too, by position.
    Xd = pd.DataFrame(np.column_stack([X[1], np.ones(300)]), columns=["a", "a"])
    np.testing.assert_array_equal(gmmi.mi_score(Xd, y, mc_samples=2000), s)


# --- saving and loading ----------------------------------------------------------------------
def _labels_of(kind, n, rng):
    codes = rng.integers(0, 3, n)
    if kind == "datetime64[D]":
        return np.array(["2020-01-01", "2020-03-01", "2021-01-01"], dtype="M8[D]")[codes]
    if kind == "datetime64[ns]":
        return np.array(["2020-01-01", "2020-03-01", "2021-01-01"], dtype="M8[ns]")[codes]
    if kind == "bytes":
        return np.array([b"a", b"b\xff", b"c"])[codes]
    return pd.Series(pd.to_datetime(["2020-01-01", "2020-03-01", "2021-01-01"])[codes])


@pytest.mark.parametrize("kind", ["datetime64[D]", "datetime64[ns]", "bytes", "timestamps"])
def test_categorical_and_discrete_results_with_any_labels_round_trip(tmp_path, kind):
    rng = np.random.default_rng(2)
    y = _labels_of(kind, 300, rng)
    x = rng.normal(size=300) + (np.asarray(y) == np.asarray(y)[0])
    for r in (gmmi.mutual_information(x, y, discrete_y=True, **FAST),
              gmmi.mutual_information(y, y, discrete_x=True, discrete_y=True, **DD_FAST)):
        path = tmp_path / "r.json"
        r.save(path)
        back = gmmi.load(path)
        assert back == r
        assert repr(back) == repr(r)


def test_equality_of_results_is_by_value(tmp_path):
    rng = np.random.default_rng(3)
    A = rng.normal(size=(200, 3))
    A[:, 1] += A[:, 0]
    r = gmmi.mutual_information(A[:, 0], A[:, 1], n_bootstrap=0, mc_samples=1000,
                                random_state=0)  # std is NaN: equal to itself anyway
    m = gmmi.mi_matrix(A, **FAST)
    k = gmmi.mi_ranking(A[:, 1:], A[:, 0], **FAST)
    for obj in (r, m, k, r.model):
        obj.save(tmp_path / "o.json")
        assert obj == gmmi.load(tmp_path / "o.json")
    other = gmmi.mutual_information(A[:, 0], A[:, 2], n_bootstrap=0, mc_samples=1000,
                                    random_state=0)
    assert r != other and r != m and r != 1.0


def _saved(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.normal(size=200)
    r = gmmi.mutual_information(x, x + rng.normal(size=200), **FAST)
    path = tmp_path / "r.json"
    r.save(path)
    return path, path.read_text()


def _load_text(tmp_path, text):
    path = tmp_path / "hostile.json"
    path.write_text(text)
    return gmmi.load(path)


HEAD = '{"format": "gmmi", "format_version": 1, "gmmi_version": "0", "type": "MIResult", '


@pytest.mark.parametrize("text, pattern", [
    (HEAD + '"data": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    (HEAD + '"data": {"details": ' + "[" * 900 + "]" * 900 + "}}", "nested deeper than 64"),
    (HEAD.replace('"format_version": 1', '"format_version": -7') + '"data": {}}',
     "format version -7"),
    (HEAD.replace('"format_version": 1', '"format_version": true') + '"data": {}}',
     "format version True"),
    (HEAD.rstrip(", ") + "}", "missing key 'data'"),
    (HEAD + '"data": {}, "extra": 1}', "unknown key 'extra'"),
    (HEAD + '"data": {"samples": {"__array__": [0], "dtype": "(16000,16000)f8", '
     '"shape": [1]}}}', "dtype: '\\(16000,16000\\)f8' is not a plain"),
    (HEAD + '"data": {"samples": {"__array__": ["a"], "dtype": "<U100000000", '
     '"shape": [1]}}}', "more than a file of this size can hold"),
    (HEAD + '"data": {"samples": {"__array__": [0], "dtype": "O", "shape": [1]}}}',
     "is not a plain"),
    (HEAD + '"data": {"samples": {"__array__": [1, 2], "dtype": "<f8", "shape": [3]}}}',
     "needs 3 values"),
])
def test_hostile_files_are_refused_with_a_value_error(tmp_path, text, pattern):
    with pytest.raises(ValueError, match=pattern):
        _load_text(tmp_path, text)


@pytest.mark.parametrize("edit, pattern", [
    (lambda t: t.replace('"full_value": ', '"full_value": NaN, "x": ', 1), "bare token NaN"),
    (lambda t: t.replace('"unit": "nat"', '"unit": 5'), r"data\.unit: expected 'nat', 'bit'"),
    (lambda t: t.replace('"random_state": 0', '"random_state": "0"'),
     r"data\.random_state: expected an integer"),
    (lambda t: t.replace('"warnings": []', '"warnings": [], "__class__": 1'),
     "unknown key '__class__'"),
    (lambda t: t.replace('"quantity": "mutual_information", ', ""), "missing key 'quantity'"),
    (lambda t: t.replace('"samples": {"__array__"', '"samples": {"__arrey__": 0, "__array__"'),
     "exactly the keys"),
])
def test_edited_files_are_refused_naming_the_field(tmp_path, edit, pattern):
    path, text = _saved(tmp_path)
    assert gmmi.load(path) is not None  # the unedited file loads
    edited = edit(text)
    assert edited != text
    with pytest.raises(ValueError, match=pattern):
        _load_text(tmp_path, edited)


# --- the command line on real-world files ----------------------------------------------------
def _csv_rows(n=120, seed=5):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    return a, a + rng.normal(size=n)


def _cli(capsys, *argv):
    from gmmi.cli import main

    code = main([str(v) for v in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


CLI_FAST = ("--n-bootstrap", "2", "--mc-samples", "1000", "--quiet")


def test_cli_reads_excel_csv_with_a_byte_order_mark_and_spaced_header(tmp_path, capsys):
    a, b = _csv_rows()
    body = "".join(f"{u}, {v}\n" for u, v in zip(a, b))
    plain = tmp_path / "plain.csv"
    plain.write_text("a,b\n" + body.replace(", ", ","), encoding="utf-8")
    excel = tmp_path / "excel.csv"
    excel.write_text("\ufeffa, b\n" + body, encoding="utf-8")
    results = []
    for f in (plain, excel):
        code, out, err = _cli(capsys, "estimate", f, "--x", "a", "--y", "b", "--json",
                              *CLI_FAST)
        assert code == 0, err
        results.append(out)
    assert results[0] == results[1]  # the same numbers as the clean file


def test_cli_lists_failed_pairs_once_without_the_library_warning(tmp_path, capsys):
    # The matrix and rank commands print every failed pair with its reason; the library's
    # FailedPairWarning (for callers who would otherwise see only NaN) would repeat it.
    a, b = _csv_rows()
    f = tmp_path / "d.csv"
    f.write_text("a,b,c\n" + "".join(f"{u},{v},1\n" for u, v in zip(a, b)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.FailedPairWarning)
        code, _, err = _cli(capsys, "matrix", f, "--a", "a,b,c", *CLI_FAST)
        assert code == 0, err
        # Each failed pair once (a symmetric matrix's mirrored cell is not repeated).
        assert err.count("failed: ") == 2 and "(a, c): 'c': is constant" in err
        assert "(b, c): 'c'" in err and "(c, a)" not in err
        code, _, err = _cli(capsys, "rank", f, "--features", "a,c", "--target", "b",
                            *CLI_FAST)
        assert code == 0, err
        assert err.count("failed: ") == 1 and "failed: c: is constant" in err


def test_cli_prints_warnings_as_its_own_lines(tmp_path, capsys):
    # A warning reaches the user as "gmmi: <class>: <message>", not as Python's source
    # location of the library line that raised it.
    a, b = _csv_rows(n=300)
    f = tmp_path / "d.csv"
    f.write_text("a,b\n" + "".join(f"{round(2 * u)},{v}\n" for u, v in zip(a, b)))
    code, _, err = _cli(capsys, "estimate", f, "--x", "a", "--y", "b", *CLI_FAST)
    assert code == 0, err
    # In the command line's terms: the option that named the columns, the flag to pass.
    assert err.startswith("gmmi: DiscreteDataWarning: --x:"), err
    assert "pass --discrete-x (" in err, err
    assert ".py:" not in err


def test_cli_names_the_real_columns_when_one_is_not_found(tmp_path, capsys):
    f = tmp_path / "d.csv"
    f.write_text("a, b \n1,2\n3,4\n")
    code, _, err = _cli(capsys, "estimate", f, "--x", "a", "--y", "c", *CLI_FAST)
    assert code == 1
    assert err.strip() == ("gmmi: error: --y: column 'c' not found; the file has 'a', 'b' "
                           "(or give a 0-based index from -2 to 1)")


@pytest.mark.parametrize("marker", ["NA", "nan", "NULL", "#N/A", " NA "])
def test_cli_reports_missing_markers_with_their_row(tmp_path, capsys, marker):
    a, b = _csv_rows()
    lines = [f"{u},{v}" for u, v in zip(a, b)]
    lines[7] = f"{a[7]},{marker}"
    f = tmp_path / "na.csv"
    f.write_text("a,b\n" + "\n".join(lines) + "\n")
    code, _, err = _cli(capsys, "estimate", f, "--x", "a", "--y", "b", *CLI_FAST)
    assert code == 1
    # Data row 7 is the file's line 9 (the header is line 1).
    assert err.startswith(f"gmmi: error: FILE: column 'b' has a missing value "
                          f"({marker.strip()!r}) at line 9"), err


def test_cli_accepts_a_huge_cell(tmp_path, capsys):
    a, b = _csv_rows()
    f = tmp_path / "wide.csv"
    f.write_text("a,b,note\n" + "".join(f"{u},{v},{'x' * (200_000 if i == 0 else 1)}\n"
                                        for i, (u, v) in enumerate(zip(a, b))))
    code, out, err = _cli(capsys, "estimate", f, "--x", "a", "--y", "b", *CLI_FAST)
    assert code == 0, err
    assert out.startswith("MI = ")


def test_cli_refuses_a_directory_as_out_before_computing(tmp_path, capsys):
    a, b = _csv_rows()
    f = tmp_path / "d.csv"
    f.write_text("a,b\n" + "".join(f"{u},{v}\n" for u, v in zip(a, b)))
    for option in ("--out", "--plot"):
        code, _, err = _cli(capsys, "matrix", f, "--a", "a,b", option, tmp_path, *CLI_FAST)
        assert code == 1
        assert err.startswith(f"gmmi: error: {option}: {tmp_path} is a directory"), err


def test_cli_reads_npy_and_npz_by_content(tmp_path, capsys):
    a, b = _csv_rows()
    arr = np.column_stack([a, b])
    np.save(tmp_path / "real.npy", arr)
    (tmp_path / "real.npy").rename(tmp_path / "plain.npz")  # a .npz that holds a .npy
    code, out_npz, err = _cli(capsys, "estimate", tmp_path / "plain.npz", "--x", "0", "--y",
                              "1", "--json", *CLI_FAST)
    assert code == 0, err
    np.save(tmp_path / "ok.npy", arr)
    code, out_npy, err = _cli(capsys, "estimate", tmp_path / "ok.npy", "--x", "0", "--y", "1",
                              "--json", *CLI_FAST)
    assert code == 0, err
    assert out_npz == out_npy
    np.savez(tmp_path / "z.npz", v=arr)
    (tmp_path / "z.npz").rename(tmp_path / "z.npy")  # and the reverse
    code, _, err = _cli(capsys, "estimate", tmp_path / "z.npy", "--x", "v[0]", "--y", "v[1]",
                        *CLI_FAST)
    assert code == 0, err


def test_cli_refuses_non_utf8_text(tmp_path, capsys):
    f = tmp_path / "latin.csv"
    f.write_bytes("a,b\n1,\xe9\n".encode("latin-1"))
    code, _, err = _cli(capsys, "estimate", f, "--x", "a", "--y", "b", *CLI_FAST)
    assert code == 1 and err.startswith("gmmi: error: FILE: ") and "UTF-8" in err, err


def test_known_details_are_checked_too(tmp_path):
    # repr reads details["n_components_per_class"]: a list there used to load and then
    # break repr with an AttributeError.
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, 200)
    r = gmmi.mutual_information(rng.normal(y, 1.0), y, discrete_y=True, **FAST)
    r.save(tmp_path / "c.json")
    doc = json.loads((tmp_path / "c.json").read_text())
    doc["data"]["details"]["n_components_per_class"] = [1, 2]
    (tmp_path / "c.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"data\.details\.n_components_per_class: expected"):
        gmmi.load(tmp_path / "c.json")


def test_matrix_cells_carry_the_column_warnings_of_the_single_pair_path():
    rng = np.random.default_rng(7)
    x = rng.normal(size=400)
    heavy = rng.standard_cauchy(400)  # HeavyTailWarning in the single-pair path
    # The warning concerns data fitted as they are (a learned map takes care of the tails).
    ident = dict(FAST, transform="identity")
    with pytest.warns(gmmi.HeavyTailWarning) as single:
        gmmi.mutual_information(x, heavy, **ident)
    assert single
    with pytest.warns(gmmi.HeavyTailWarning, match=r"^A column 'A\[1\]': heavy tails") as caught:
        m = gmmi.mi_matrix(np.column_stack([x, heavy, x + rng.normal(size=400)]), **ident)
    assert sum(issubclass(w.category, gmmi.HeavyTailWarning) for w in caught) == 1  # once
    for cell in [("A[0]", "A[1]"), ("A[1]", "A[2]"), ("A[2]", "A[1]")]:
        assert any("heavy tails" in w for w in m.cell_warnings[cell]), cell
    assert not any("heavy tails" in w for w in m.cell_warnings.get(("A[0]", "A[2]"), []))


def test_every_warning_kind_of_the_core_has_a_gmmi_warning_class():
    # The core reports warnings as typed kinds (gmmi._core.WarningKind); each must map to a
    # gmmi warning class, or a new kind would raise KeyError in the middle of an estimate.
    from gmmi import _core
    from gmmi._warnings import WARNING_CLASSES, warning_class

    kinds = {getattr(_core.WarningKind, name) for name in dir(_core.WarningKind)
             if not name.startswith("_")
             and isinstance(getattr(_core.WarningKind, name), _core.WarningKind)}
    assert len(kinds) == 7
    assert kinds == set(WARNING_CLASSES)
    for kind in kinds:
        assert issubclass(warning_class(kind), gmmi.GmmiWarning)


# --- inputs and files of many-pairs calls, found by a fuzzing pass (session 34) -------------
def test_a_series_is_one_column_of_a_matrix_ranking_and_score():
    rng = np.random.default_rng(2)
    a = rng.normal(size=200)
    b = a + rng.normal(size=200)
    s = pd.Series(a, name="s")
    m = gmmi.mi_matrix(s, pd.Series(b, name="t"), **FAST)
    assert (m.row_labels, m.col_labels) == (["s"], ["t"])
    # The same numbers as the arrays (a cell is its pair's estimate, whatever the container).
    np.testing.assert_array_equal(m.mean, gmmi.mi_matrix(a[:, None], b[:, None], **FAST).mean)
    assert gmmi.mi_ranking(s, b, **FAST).features == ["s"]
    assert gmmi.mi_score(s, b, mc_samples=1000)[0] > 0.2  # truth 0.35 nat (rho^2 = 1/2)


def test_repeated_column_labels_are_refused_by_matrix_and_ranking():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 3))
    frame = pd.DataFrame(X, columns=["a", "a", "b"])
    with pytest.raises(ValueError, match=r"^A: the column label 'a' appears 2 times"):
        gmmi.mi_matrix(frame, **FAST)
    with pytest.raises(ValueError, match=r"^B: the column label 'a' appears 2 times"):
        gmmi.mi_matrix(X[:, 2], frame, **FAST)
    # 1 and "1" are one label once the labels are strings.
    with pytest.raises(ValueError, match=r"^X: the column label '1' appears 2 times"):
        gmmi.mi_ranking(pd.DataFrame({1: X[:, 0], "1": X[:, 1]}), X[:, 2], **FAST)


def test_discrete_b_without_b_is_an_error():
    X = np.random.default_rng(4).normal(size=(100, 2))
    with pytest.raises(ValueError, match=r"^discrete_b: given without B"):
        gmmi.mi_matrix(X, discrete_b=True, **FAST)
    assert gmmi.mi_matrix(X, discrete_b=False, **FAST).shape == (2, 2)


def test_a_check_with_no_pair_to_check_gives_no_misfit():
    rng = np.random.default_rng(5)
    labels = pd.DataFrame({"L": rng.choice(["u", "v"], 200), "K": rng.integers(0, 3, 200)})
    m = gmmi.mi_matrix(labels, discrete_a=True, check=True, **FAST)
    # Discrete pairs have no mixture to check: checked, none failed (before: "computed
    # without checks").
    assert m.check_threshold is not None and m.check_threshold == pytest.approx(2.947, abs=0.01)
    assert not m.misfit.any()
    with pytest.warns(gmmi.FailedPairWarning):
        r = gmmi.mi_ranking(np.c_[np.ones(200), np.ones(200) * 2], rng.normal(size=200),
                            check=True, **FAST)
    assert r.check_threshold == m.check_threshold and not r.misfit.any()


def test_levels_of_any_real_type_are_accepted():
    X = np.random.default_rng(6).normal(size=(100, 2))
    m = gmmi.mi_matrix(X, **FAST)
    np.testing.assert_array_equal(m.ci(np.float32(0.5))[0], m.ci(0.5)[0])
    with pytest.raises(ValueError, match=r"^level: expected a number in \(0, 1\)"):
        m.ci(np.float32(1.5))
    with pytest.raises(ValueError, match=r"^level: "):
        m.ci(np.True_)


def test_a_string_column_names_the_options_of_the_call():
    y = np.random.default_rng(7).normal(size=50)
    words = np.array(["a", "b"] * 25, dtype=object)
    with pytest.raises(TypeError, match=r"for labels use discrete_a=True"):
        gmmi.mi_matrix(pd.DataFrame({"w": words, "y": y}), **FAST)
    with pytest.raises(TypeError, match=r"for labels use discrete_target=True"):
        gmmi.mi_ranking(y[:, None], words, **FAST)


@pytest.mark.parametrize("edit, pattern", [
    (lambda d: d.update(type=["MIMatrix"]), r"type must be a string, got list"),
    (lambda d: d["data"].update(row_labels=["A[0]"]),
     r"data\.col_labels: a symmetric matrix has the row labels"),
    (lambda d: d["data"].update(row_labels=["x", "y", "z"], col_labels=["x", "y", "z"]),
     r"data\.samples: has shape \(2, 2, 2\)"),
    (lambda d: d["data"]["std"].update(shape=[1, 1], __array__=[0.0]),
     r"data\.std: has shape \(1, 1\); expected \(2, 2\)"),
    (lambda d: d["data"]["mean"].update(shape=[2**70, 0], __array__=[]),
     r"data\.mean: shape \(1180591620717411303424, 0\)"),
])
def test_edited_matrix_files_are_refused_naming_the_field(tmp_path, edit, pattern):
    m = gmmi.mi_matrix(np.random.default_rng(8).normal(size=(60, 2)), **FAST)
    m.save(tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    edit(doc)
    (tmp_path / "e.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"^path: .*e\.json: " + pattern):
        gmmi.load(tmp_path / "e.json")


def test_edited_ranking_files_and_huge_integers_are_refused(tmp_path):
    rng = np.random.default_rng(9)
    r = gmmi.mi_ranking(rng.normal(size=(60, 2)), rng.normal(size=60), **FAST)
    r.save(tmp_path / "r.json")
    doc = json.loads((tmp_path / "r.json").read_text())
    doc["data"]["features"] = ["X[0]"]
    (tmp_path / "e.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"data\.mean: has shape \(2,\); expected \(1,\)"):
        gmmi.load(tmp_path / "e.json")
    # An integer of more digits than Python converts (4,300) is not JSON gmmi reads.
    gmmi.mi_matrix(rng.normal(size=(60, 2)), **FAST).save(tmp_path / "m.json")
    text = (tmp_path / "m.json").read_text()
    assert '"random_state": 0' in text
    (tmp_path / "big.json").write_text(text.replace('"random_state": 0',
                                                    '"random_state": ' + "9" * 5000))
    with pytest.raises(ValueError, match=r"^path: .*big\.json is not a gmmi JSON file"):
        gmmi.load(tmp_path / "big.json")


def test_cli_refuses_broken_npz_repeated_columns_and_bad_outputs_before_computing(
        tmp_path, capsys):
    a, b = _csv_rows()
    f = tmp_path / "dup.csv"
    f.write_text("a,a,b\n" + "".join(f"{u},{-u},{v}\n" for u, v in zip(a, b)))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04junk")  # a zip header and nothing else
    cases = [
        (("matrix", bad, "--a", "0,1"), "FILE: .*bad.npz is not an .npz file of numbers"),
        (("matrix", f, "--a", "a,b"), "FILE: the header has the column name 'a' 2 times"),
        (("matrix", f, "--a", "0,1"), "--a: the column 'a' is listed twice"),
        (("rank", f, "--features", "b,2", "--target", "0"),
         "--features: the column 'b' is listed twice"),
        (("matrix", f, "--a", "0,2", "--plot", tmp_path / "m.xyz"),
         r"--plot: matplotlib cannot write .*\('\.xyz' files\)"),
        (("matrix", f, "--a", "0,2", "--out", ""), "--out: expected a file name"),
    ]
    for argv, pattern in cases:
        code, out, err = _cli(capsys, *argv, *CLI_FAST)
        assert code == 1 and out == "", (argv, out)
        assert re.match("gmmi: error: " + pattern, err), (argv, err)


def test_cli_json_is_strict_json(tmp_path, capsys):
    # Python's json writes NaN as the bare token NaN, which strict parsers refuse; the
    # estimate's JSON has NaN fields (the identity candidate's spread, say): null instead.
    a, b = _csv_rows()
    f = tmp_path / "d.csv"
    f.write_text("a,b\n" + "".join(f"{u},{v}\n" for u, v in zip(a, b)))
    code, out, err = _cli(capsys, "estimate", f, "--x", "a", "--y", "b", "--json", *CLI_FAST)
    assert code == 0, err

    def refuse(token):
        raise ValueError(f"not JSON: {token}")

    doc = json.loads(out, parse_constant=refuse)
    assert math.isfinite(doc["mean"])


def test_cli_demo_without_bootstrap_and_check_of_two_labels(tmp_path, capsys):
    code, out, err = _cli(capsys, "demo", "--n-bootstrap", "0", "--quiet")
    assert code == 0, err
    assert "no bootstrap: no std" in out and "nan std" not in out
    f = tmp_path / "labels.csv"
    f.write_text("a,b\n" + "".join(f"{i % 2},{i % 3}\n" for i in range(60)))
    code, out, err = _cli(capsys, "estimate", f, "--x", "a", "--y", "b", "--discrete-x",
                          "--discrete-y", "--check", *CLI_FAST)
    assert code == 1 and out == ""  # refused before the estimate, naming the option
    assert err.startswith("gmmi: error: --check: two discrete variables"), err
