"""Inputs from the ecosystem: polars frames and series, xarray DataArrays, and any object
that speaks ``__array__`` or only DLPack (PyTorch, JAX or CuPy arrays on the host, here
stand-ins so that the suite needs no deep-learning framework). Each gives the numbers of the
equivalent NumPy array, bit for bit: the data are the same doubles."""

from __future__ import annotations

import numpy as np
import pytest

import gmmi

FAST = {"n_bootstrap": 4, "random_state": 2}


def _data(n=400, seed=5):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return x, 0.8 * x + rng.normal(size=n), rng.normal(size=n)


class OnlyArray:
    """Exposes only ``__array__`` (what many array libraries implement)."""

    def __init__(self, a):
        self._a = np.asarray(a)

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)

    def __len__(self):
        return len(self._a)


class OnlyDLPack:
    """Exposes only the DLPack protocol, as a framework tensor on the CPU does."""

    def __init__(self, a):
        self._a = np.ascontiguousarray(a)

    def __dlpack__(self, **kwargs):
        return self._a.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._a.__dlpack_device__()


def test_array_protocols_give_the_numpy_numbers():
    x, y, _ = _data()
    base = gmmi.mutual_information(x, y, **FAST)
    for wrap in (OnlyArray, OnlyDLPack):
        r = gmmi.mutual_information(wrap(x), wrap(y), **FAST)
        assert (r.mean, r.std) == (base.mean, base.std), wrap.__name__
    r = gmmi.mutual_information(OnlyDLPack(np.column_stack([x, y])[:, :1]), y, **FAST)
    assert r.mean == base.mean


def test_dlpack_errors_name_the_argument():
    class Broken:
        def __dlpack__(self, **kwargs):
            raise BufferError("device memory")

        def __dlpack_device__(self):
            return (2, 0)

    _, y, _ = _data()
    with pytest.raises(TypeError, match=r"^x: .*DLPack.*device memory"):
        gmmi.mutual_information(Broken(), y, **FAST)


def test_polars_inputs_give_the_numpy_numbers():
    pl = pytest.importorskip("polars")
    x, y, z = _data()
    base = gmmi.mutual_information(x, y, **FAST)
    r = gmmi.mutual_information(pl.Series("a", x), pl.Series("b", y), **FAST)
    assert (r.mean, r.std) == (base.mean, base.std)
    df = pl.DataFrame({"a": x, "b": y, "c": z})
    r2 = gmmi.mutual_information(df.select("a"), df.select("b"), **FAST)
    assert r2.mean == base.mean
    # A matrix of a polars frame: labelled by its column names, cells equal to NumPy's.
    m = gmmi.mi_matrix(df, **FAST)
    mn = gmmi.mi_matrix(np.column_stack([x, y, z]), **FAST)
    assert m.row_labels == ["a", "b", "c"]
    np.testing.assert_array_equal(m.mean, mn.mean)
    # Labels of a discrete variable from a polars Series of strings.
    lab = pl.Series("lab", np.where(x > 0, "pos", "neg"))
    rc = gmmi.mutual_information(y, lab, discrete_y=True, **FAST)
    rn = gmmi.mutual_information(y, np.where(x > 0, "pos", "neg"), discrete_y=True, **FAST)
    assert rc.mean == rn.mean


def test_xarray_inputs_give_the_numpy_numbers():
    xr = pytest.importorskip("xarray")
    x, y, z = _data()
    base = gmmi.mutual_information(x, y, **FAST)
    r = gmmi.mutual_information(xr.DataArray(x, dims="sample"),
                                xr.DataArray(y, dims="sample"), **FAST)
    assert (r.mean, r.std) == (base.mean, base.std)
    da = xr.DataArray(np.column_stack([x, y, z]), dims=("sample", "latent"),
                      coords={"latent": ["z0", "z1", "z2"]})
    m = gmmi.mi_matrix(da, **FAST)
    mn = gmmi.mi_matrix(np.column_stack([x, y, z]), **FAST)
    assert m.row_labels == ["z0", "z1", "z2"]
    np.testing.assert_array_equal(m.mean, mn.mean)
