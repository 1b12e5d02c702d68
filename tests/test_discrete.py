"""Discrete variables: continuous-categorical MI and discrete-discrete MI."""

from __future__ import annotations

import decimal
import math
import re
import warnings

import numpy as np
import pytest
from scipy import integrate, stats

import gmmi

from conftest import FAST

MEANS = np.array([-2.0, 0.0, 1.5])
SDS = np.array([1.0, 0.5, 1.0])


def class_conditional_truth(pi, means=MEANS, sds=SDS) -> float:
    """I(X;C) = sum_c pi_c E_{p(x|c)}[ln p(x|c) - ln sum_c' pi_c' p(x|c')], 1-D Gaussians,
    by adaptive quadrature (scipy), independent of gmmi's integrators."""
    pi = np.asarray(pi, float)

    def mix(x):
        return sum(p * stats.norm.pdf(x, m, s) for p, m, s in zip(pi, means, sds))

    total = 0.0
    for p, m, s in zip(pi, means, sds):
        def f(x, m=m, s=s):
            pc = stats.norm.pdf(x, m, s)
            return pc * (math.log(pc) - math.log(mix(x))) if pc > 0 else 0.0
        total += p * integrate.quad(f, m - 12 * s, m + 12 * s, limit=200)[0]
    return total


def sample_classes(pi, n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.choice(len(pi), size=n, p=pi)
    x = rng.normal(MEANS[labels], SDS[labels])
    return x, labels


def test_three_imbalanced_classes_against_truth():
    pi = [0.6, 0.3, 0.1]
    x, labels = sample_classes(pi, 3000, seed=1)
    truth = class_conditional_truth(np.bincount(labels) / labels.size)
    r = gmmi.mutual_information(x, labels, discrete_y=True, random_state=1, **FAST)
    assert r.estimator == "gmm-categorical"
    # Stratified bootstrap std ~0.012 at n=3000; 4 std (see test_estimators.py).
    assert abs(r.mean - truth) < 4 * r.std, (r, truth)
    assert r.details["class_counts"] == np.bincount(labels).tolist()
    assert len(r.details["class_models"]) == 3


def test_frequency_weighting_differs_from_balanced_assumption():
    # gmm-mi weights classes by 1/C; gmmi by their frequency. With pi = (0.8, 0.15, 0.05)
    # the two truths differ by far more than the estimator's std, and gmmi must match the
    # frequency-weighted one.
    pi = [0.8, 0.15, 0.05]
    x, labels = sample_classes(pi, 4000, seed=2)
    freq = np.bincount(labels) / labels.size
    truth = class_conditional_truth(freq)
    balanced = class_conditional_truth([1 / 3] * 3)
    r = gmmi.mutual_information(x, labels, discrete_y=True, random_state=2, **FAST)
    assert abs(truth - balanced) > 10 * r.std
    assert abs(r.mean - truth) < 4 * r.std
    assert abs(r.mean - balanced) > 6 * r.std


def test_labels_of_any_type_and_relabelling():
    x, labels = sample_classes([0.5, 0.3, 0.2], 1500, seed=3)
    ints = gmmi.mutual_information(x, labels, discrete_y=True, random_state=3, **FAST)
    # An order-preserving relabelling (ints -> strings, categoricals) is the same problem.
    names = np.array(["a", "b", "c"])[labels]
    strs = gmmi.mutual_information(x, names, discrete_y=True, random_state=3, **FAST)
    assert strs.mean == ints.mean
    pd = pytest.importorskip("pandas")
    cat = pd.Series(pd.Categorical(names))
    by_cat = gmmi.mutual_information(x, cat, discrete_y=True, random_state=3, **FAST)
    assert by_cat.mean == ints.mean
    # A permutation of the labels changes which random stream each class gets, not the
    # problem: equal within the bootstrap noise (3 std of the difference of two estimates).
    perm = np.array([2, 0, 1])[labels]
    p = gmmi.mutual_information(x, perm, discrete_y=True, random_state=3, **FAST)
    assert abs(p.mean - ints.mean) < 3 * math.hypot(p.std, ints.std)
    # discrete_x is the same estimator with the roles swapped.
    swapped = gmmi.mutual_information(labels, x, discrete_x=True, random_state=3, **FAST)
    assert swapped.mean == ints.mean


def test_boolean_labels_and_two_columns():
    rng = np.random.default_rng(4)
    flag = rng.random(2000) < 0.4
    x = np.column_stack([rng.normal(flag * 1.0, 1.0), rng.normal(size=2000)])
    r = gmmi.mutual_information(x, flag, discrete_y=True, random_state=4, **FAST)
    # Only the first column carries information: truth is the 1-D two-class value.
    pi = [1 - flag.mean(), flag.mean()]
    truth = class_conditional_truth(pi, means=[0.0, 1.0], sds=[1.0, 1.0])
    assert abs(r.mean - truth) < 4 * r.std, (r, truth)


def test_independence_gives_zero():
    rng = np.random.default_rng(5)
    x = rng.normal(size=2000)
    labels = rng.integers(0, 3, 2000)
    r = gmmi.mutual_information(x, labels, discrete_y=True, random_state=5, **FAST)
    # MI estimates are biased upwards by fitting noise; truth 0 within 4 std + 0.005 nat.
    assert r.mean < 4 * r.std + 0.005
    assert r.mean > -0.01


def test_quadrature_and_mc_agree():
    x, labels = sample_classes([0.5, 0.3, 0.2], 2000, seed=6)
    mc = gmmi.mutual_information(x, labels, discrete_y=True, random_state=6, n_bootstrap=5)
    q = gmmi.mutual_information(x, labels, discrete_y=True, integral="quadrature",
                                random_state=6, n_bootstrap=5)
    # Same fits; MC error with 1e5 draws per class is ~0.003.
    assert abs(mc.mean - q.mean) < 0.01


def test_categorical_agrees_with_continuous_on_separated_classes():
    # Three classes far apart in x; y = class + tiny noise is a continuous variable that
    # carries the same information: both estimators should give H(C) = ln 3.
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 3, 3000)
    x = rng.normal(10.0 * labels, 1.0)
    y = labels + rng.normal(0, 0.01, 3000)
    cat = gmmi.mutual_information(x, labels, discrete_y=True, random_state=7, **FAST)
    # init="kmeans": from the published default init (random responsibilities) every
    # component starts at the global mean, and on clusters this far apart EM leaves that
    # saddle too slowly for threshold_fit=1e-5, so K=1 wins (scikit-learn's EM with the same
    # init and tolerance stops there too). k-means starts at the clusters.
    cont = gmmi.mutual_information(x, y, init="kmeans", random_state=7, **FAST)
    h = -sum(p * math.log(p) for p in np.bincount(labels) / 3000)
    assert abs(cat.mean - h) < 0.01
    # The continuous estimator must find the three clusters; MC noise with 2e4 draws.
    assert abs(cont.mean - h) < 0.03, cont


def test_discrete_discrete_plugin():
    x = np.array([0, 0, 0, 1, 1, 1] * 50)
    y = np.array([0, 0, 1, 0, 1, 1] * 50)
    r = gmmi.mutual_information(x, y, discrete_x=True, discrete_y=True, random_state=0)
    truth = 2 / 3 * math.log(4 / 3) + 1 / 3 * math.log(2 / 3)  # hand-computed table
    assert r.estimator == "plugin"
    assert r.full_value == pytest.approx(truth, abs=1e-14)
    np.testing.assert_array_equal(r.details["table"], [[100, 50], [50, 100]])
    mm = gmmi.mutual_information(x, y, discrete_x=True, discrete_y=True, miller_madow=True,
                                 random_state=0)
    # Miller-Madow adds ((2-1) + (2-1) - (4-1)) / (2n) = -1/600 to the plug-in value.
    assert mm.full_value == pytest.approx(truth - 1 / 600, abs=1e-14)
    bits = gmmi.mutual_information(x, y, discrete_x=True, discrete_y=True, base=2,
                                   random_state=0)
    assert bits.full_value == pytest.approx(truth / math.log(2), rel=1e-12)
    assert r.samples.size == 50 and r.std > 0


def test_discrete_discrete_interval_removes_the_plugin_bias():
    # Independent 5 x 5 tables of n = 2,000 rows: the plug-in MI is biased upwards by about
    # (5 - 1)(5 - 1) / (2n) = 0.004 nat, and every bootstrap replicate's plug-in value by as
    # much again, so the replicates' mean lies about 0.008 above the truth, 0, and their
    # percentile interval misses it (0 of 10 data sets before this was mended). gmmi's
    # preset removes the bootstrap's estimate of the bias, as for mixtures: the estimate is
    # 2 * full_value - mean(replicates), clipped at 0.
    est, published = [], []
    for seed in range(8):
        rng = np.random.default_rng(4800 + seed)
        a, b = rng.integers(0, 5, 2000), rng.integers(0, 5, 2000)
        r = gmmi.mutual_information(a, b, discrete_x=True, discrete_y=True, random_state=seed)
        assert r.bias_corrected
        assert r.mean == pytest.approx(max(2 * r.full_value - r.samples.mean(), 0.0), abs=1e-15)
        # The interval holds the truth in every data set: with the correction it reaches
        # t(49) std (std >= the replicates' sd, about 0.0045 nat here) below an estimate
        # whose error has a standard deviation of about 0.001 nat (simulated).
        assert r.ci(0.95)[0] == 0.0
        est.append(r.mean)
        p = gmmi.mutual_information(a, b, discrete_x=True, discrete_y=True, random_state=seed,
                                    preset="published")
        # The published preset keeps the replicates' mean and percentile interval.
        assert not p.bias_corrected and p.mean == pytest.approx(p.samples.mean(), abs=1e-15)
        published.append(p.mean)
    # The corrected estimates average near 0 (about 0.0005 +- 0.0004 for 8 data sets), the
    # replicates' means near twice the plug-in bias.
    assert np.mean(est) < 0.002 < 0.006 < np.mean(published)


def test_discrete_variables_of_mostly_single_levels_warn():
    # Continuous values declared discrete: 300 levels for 300 rows. The plug-in MI is then
    # ln(300) = 5.7 nat for independent variables, which no interval of resamples holds; the
    # continuous-categorical estimator refuses such a label, the discrete one warns (ID-like
    # columns stay computable, in memory linear in the rows).
    rng = np.random.default_rng(48)
    a, b = rng.normal(size=(2, 300))
    with pytest.warns(gmmi.DiscreteDataWarning, match=r"^x: 300 levels for 300 rows"):
        r = gmmi.mutual_information(a, b, discrete_x=True, discrete_y=True, n_bootstrap=5,
                                    random_state=0)
    assert r.full_value == pytest.approx(math.log(300), rel=1e-12)
    assert len(r.warnings) == 2 and r.warnings[1].startswith("y: 300 levels")
    labels = rng.integers(0, 3, 300)
    with pytest.warns(gmmi.DiscreteDataWarning, match=r"A column 'A\[0\]': 300 levels"):
        m = gmmi.mi_matrix(np.column_stack([a, labels]), discrete_a=True, n_bootstrap=5,
                           random_state=0)
    assert any("300 levels" in w for w in m.cell_warnings[("A[0]", "A[1]")])
    # Half the rows or fewer as levels: no warning (a 150-level variable of 300 rows).
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.DiscreteDataWarning)
        gmmi.mutual_information(np.arange(300) // 2, labels, discrete_x=True, discrete_y=True,
                                n_bootstrap=5, random_state=0)


def test_single_class_is_zero_with_a_warning():
    x = np.random.default_rng(8).normal(size=100)
    with pytest.warns(gmmi.ZeroInformationWarning, match="single class"):
        r = gmmi.mutual_information(x, np.zeros(100, int), discrete_y=True)
    assert r.mean == 0.0
    # No class mixture is fitted, and the summary says why instead of an empty K list.
    assert "a single class" in repr(r) and "K per class" not in repr(r)


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (np.r_[np.zeros(98), [1, 1]], "class 1.0 has only 2 rows"),
        (np.r_[np.zeros(99), [np.nan]], "row 99"),
        (np.arange(100), "100 classes for 100 rows"),
        (np.zeros(99), "has 99 rows but x has 100"),
        (np.zeros((100, 2)), "1-D"),
    ],
)
def test_bad_labels(labels, match):
    x = np.random.default_rng(9).normal(size=100)
    with pytest.raises(ValueError, match=match):
        gmmi.mutual_information(x, labels, discrete_y=True)


def test_discrete_looking_data_warns():
    rng = np.random.default_rng(10)
    y = rng.integers(0, 3, 500)
    x = y + rng.normal(size=500)
    with pytest.warns(gmmi.DiscreteDataWarning, match="discrete_y=True"):
        gmmi.mutual_information(x, y, n_bootstrap=2, mc_samples=1000, random_state=0)


def test_a_few_level_variable_beside_labels_warns_as_beside_a_continuous_one():
    # Two levels that are a function of the labels: the truth is H(C) (0.69 nat); the
    # mixtures per class fit spikes, so the estimate falls short of it, and the estimate
    # says why, as a continuous-continuous one does (and mi_ranking did already).
    rng = np.random.default_rng(11)
    c = rng.normal(size=500) > 0
    levels = np.where(c, 1.0, 2.0)
    with pytest.warns(gmmi.DiscreteDataWarning, match=r"^x: has few distinct values.*"
                                                      r"pass discrete_x=True"):
        gmmi.mutual_information(levels, c, discrete_y=True, n_bootstrap=2, mc_samples=1000,
                                random_state=0)
    with pytest.warns(gmmi.DiscreteDataWarning, match=r"^y: .*pass discrete_y=True"):
        gmmi.mutual_information(c, levels, discrete_x=True, n_bootstrap=2, mc_samples=1000,
                                random_state=0)
    # A continuous variable beside labels does not warn.
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmi.DiscreteDataWarning)
        gmmi.mutual_information(rng.normal(size=500) + c, c, discrete_y=True, n_bootstrap=2,
                                mc_samples=1000, random_state=0)


def test_classes_too_small_to_bootstrap_are_an_error_naming_the_labels():
    # Four rows a class pass the search's minimum, but a resample of all 20 rows leaves some
    # class fewer than 3 distinct rows on nearly every draw (each row is drawn with
    # probability 0.64): every replicate fails. The data are the problem, not reg_covar.
    x = np.random.default_rng(0).normal(size=20)
    labels = np.repeat(np.array(["a", "b", "c", "d", "e"]), 4)
    with pytest.raises(ValueError, match=r"^y: class 'a' has 4 rows: too few to bootstrap"):
        gmmi.mutual_information(x, labels, discrete_y=True, n_bootstrap=10, random_state=0)
    with pytest.raises(ValueError, match=r"^x: class 'a' has 4 rows: too few .*\(class '[a-e]': "
                                         r"2 distinct rows"):
        gmmi.mutual_information(labels, x, discrete_x=True, n_bootstrap=10, random_state=0)
    # Without the bootstrap the value is there.
    r = gmmi.mutual_information(x, labels, discrete_y=True, n_bootstrap=0, random_state=0)
    assert math.isfinite(r.mean)


def test_categorical_warnings_name_the_class_labels_and_the_callers_variables():
    # The core numbers classes by rank among the sorted labels ("10" sorts before "2") and
    # calls the continuous variable x. Sixty classes of ten rows: with two folds (five
    # training rows) some classes' searches collapse a component onto a few rows (a
    # DegenerateWarning naming the class).
    rng = np.random.default_rng(0)
    codes = np.repeat(np.arange(60), 10)
    cont = rng.normal(size=codes.size) + 0.3 * codes
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gmmi.mutual_information(codes.astype(str), cont, discrete_x=True, n_bootstrap=5,
                                n_folds=2, random_state=0)
    degenerate = [str(w.message) for w in caught if w.category is gmmi.DegenerateWarning]
    singular = [m for m in degenerate if "a fitted component is singular" in m]
    assert singular
    for m in singular:
        # "class '30': ... within y" (the label and the continuous variable), not the
        # core's "class 24: ... within x".
        assert re.match(r"class '\d+': a fitted component is singular within y ", m), m
    # Classes of ten rows: a resample holds about six distinct ones, and the replicates
    # whose refits those cannot support are counted per class, named by its label.
    for m in set(degenerate) - set(singular):
        assert re.match(r"class '\d+': \d+ of 5 bootstrap replicates fitted a component", m), m
        assert "a resample of 10 rows holds about 6 distinct ones" in m


@pytest.mark.parametrize("make, pattern", [
    # A NumPy NaN held as an object is a missing label, not a class of its own per row.
    (lambda: np.where(np.arange(300) < 10, np.float32("nan"), np.arange(300) % 2 + 1.0)
     .astype(object), r"^y: label at row 0 is missing"),
    (lambda: np.array([decimal.Decimal(k % 2) if k != 3 else decimal.Decimal("NaN")
                       for k in range(300)], dtype=object), r"^y: label at row 3 is missing"),
    (lambda: np.array([[k % 2] for k in range(300)] + [None], dtype=object)[:300],
     r"^y: label at row 0 is a list"),
])
def test_labels_that_are_missing_or_unhashable_are_named(make, pattern):
    x = np.random.default_rng(0).normal(size=300)
    with pytest.raises((ValueError, TypeError), match=pattern):
        gmmi.mutual_information(x, make(), discrete_y=True, n_bootstrap=2)


def test_a_number_beyond_double_precision_is_named():
    with pytest.raises(ValueError, match=r"^x: holds a number too large for double precision"):
        gmmi.mutual_information([10**400, 1, 2, 3, 4, 5, 6, 7], [1.0, 2, 3, 4, 5, 7, 6, 9])


def test_labels_without_a_total_order_are_classes_in_order_of_appearance():
    # Enum members cannot be sorted; frozensets sort by inclusion, a partial order under
    # which equal sets need not end up adjacent (np.unique then split one label into many
    # classes). Either is a class per distinct label, in the order first seen, and gives
    # the estimate of the same classes coded as integers in that order.
    import enum

    class Colour(enum.Enum):
        RED = 1
        GREEN = 2
        BLUE = 3

    rng = np.random.default_rng(12)
    c = rng.integers(0, 3, 600)
    x = rng.normal(size=600) + 3 * c
    first = list(dict.fromkeys(c.tolist()))  # the integer classes in order of appearance
    as_ints = np.array([first.index(v) for v in c])
    want = gmmi.mutual_information(x, as_ints, discrete_y=True, n_bootstrap=3,
                                   mc_samples=1000, random_state=0)
    for kinds in ([Colour.RED, Colour.GREEN, Colour.BLUE],
                  [frozenset({1}), frozenset({2}), frozenset({1, 2})]):
        labels = np.empty(600, dtype=object)
        labels[:] = [kinds[v] for v in c]
        r = gmmi.mutual_information(x, labels, discrete_y=True, n_bootstrap=3,
                                    mc_samples=1000, random_state=0)
        assert r.details["classes"] == [kinds[v] for v in first]
        assert r.mean == want.mean and r.std == want.std
    # Labels of several types that cannot be ordered are still refused.
    with pytest.raises(TypeError, match="mutually comparable"):
        gmmi.mutual_information(x, np.array([1, "a"] * 300, dtype=object), discrete_y=True)


def test_an_estimate_is_never_above_the_information_a_discrete_variable_can_hold():
    # The bootstrap's bias correction 2 full - mean pushes a nearly deterministic relation
    # past ln C, a value no variable of C classes can share: x = y with three equally
    # frequent labels read 1.1020 for ln 3 = 1.0986, two continuous classes 50 sd apart
    # 0.6936 for ln 2. Every fitted model (and replicate) is at most ln C, so the clip only
    # removes the correction's overshoot.
    lab = np.arange(300) % 3
    r = gmmi.mutual_information(lab, lab, discrete_x=True, discrete_y=True, random_state=0)
    assert r.full_value <= math.log(3) + 1e-12
    assert r.mean == pytest.approx(math.log(3), abs=1e-12)
    bits = gmmi.mutual_information(lab, lab, discrete_x=True, discrete_y=True,
                                   random_state=0, base=2)
    assert bits.mean == pytest.approx(math.log2(3), abs=1e-12)
    two = np.arange(1000) % 2
    xs = 50.0 * two + np.random.default_rng(1).normal(size=1000)
    r = gmmi.mutual_information(xs, two, discrete_y=True, random_state=0, n_bootstrap=20,
                                mc_samples=2000)
    assert r.mean <= math.log(2) and r.samples.max() <= math.log(2) + 1e-12
    assert r.mean == pytest.approx(math.log(2), abs=1e-3)
    # The same cells of a matrix (the core's pairs): continuous-discrete and discrete-discrete.
    m = gmmi.mi_matrix(np.column_stack([xs, two, two]), discrete_a=[False, True, True],
                       n_bootstrap=20, mc_samples=2000, random_state=0)
    assert np.nanmax(m.mean) <= math.log(2)
    assert m.mean[1, 2] == pytest.approx(math.log(2), abs=1e-12)
    # Far from the bound nothing changes: the correction may move the estimate either way.
    weak = gmmi.mutual_information(LAB3, (LAB3 + (RNG3.random(600) < 0.5)) % 3,
                                   discrete_x=True, discrete_y=True, random_state=0)
    assert weak.mean == pytest.approx(2 * weak.full_value - weak.samples.mean(), abs=1e-12)


RNG3 = np.random.default_rng(3)
LAB3 = RNG3.integers(0, 3, 600)


def test_tuples_in_a_list_are_labels():
    # np.asarray reads a list of tuples as a 2-D array (refused as "must be 1-D") and a list
    # of 1-tuples as their values.
    r = np.random.default_rng(2)
    xs = r.normal(size=300)
    pairs = [(1, "a") if v > 0 else (2, "b") for v in xs]
    res = gmmi.mutual_information(xs, pairs, discrete_y=True, random_state=0, **FAST)
    assert res.details["classes"] == [(1, "a"), (2, "b")]
    ones = gmmi.mutual_information(xs, [(int(v <= 0),) for v in xs], discrete_y=True,
                                   random_state=0, **FAST)
    assert ones.details["classes"] == [(0,), (1,)]
    assert ones.mean == res.mean  # the same classes in the same order
