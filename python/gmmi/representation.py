"""``Representation``: the per-variable maps a mixture was fitted in, and what was compared.

Mutual information is unchanged by any strictly increasing map of each variable, so gmmi may
fit its mixture in other coordinates than the data's own. With ``transform="auto"`` (gmmi's
default) the identity and the Gaussianising map are compared by the held-out likelihood of
the fitted mixture, counted as a density of the original data (the log-Jacobian of the map
included); the asinh map can be forced:

- ``"identity"``: the data as they are (the published method);
- ``"asinh"``: ``asinh((x - median) / s)``, ``s`` the normal-consistent median absolute
  deviation: linear in the bulk, logarithmic in the tails (only when forced);
- ``"gaussianize"``: an optional asinh pre-map (its scale chosen by BIC, or none; centred
  at the median, or at an end of the column where its rows pile up there, which makes it a
  logarithm of the distance to that end), then ``Phi^-1(F(.))`` with ``F`` the distribution
  function of a 1-D Gaussian mixture fitted to the column (K by BIC): smooth normal scores.

The estimate's :attr:`~gmmi.MIResult.model` is in the coordinates of the chosen map; map
data into them with :meth:`Representation.apply`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from ._compare import same_fields
from ._options import TRANSFORMS
from ._validation import as_block, check_bool, plain

__all__ = ["TRANSFORMS", "Representation"]



@dataclass(frozen=True, eq=False)
class Representation:
    """The representation a mixture was fitted in.

    Attributes
    ----------
    name : str
        The chosen family: ``"identity"``, ``"asinh"`` or ``"gaussianize"``.
    columns : list of dict
        One fitted map per column of the joint data (``x`` columns, then ``y``, then
        ``z``): ``{"map": name, ...parameters}``.
    candidates : list of dict
        Every family compared: ``{"name", "score", "n_components", "log_jacobian",
        "bulk_gain", "se", "affine"}``, the score being the held-out log-likelihood per row in the
        original units (nats; higher is better; ``-inf`` for a family that could not be
        fitted), ``n_components`` the K the search chose in that representation (candidates
        compared on a subset of the rows, and challengers of the identity, are screened
        with one start per K; the winner is searched again with every start; summed over
        the classes for categorical MI), ``bulk_gain`` the 20%-trimmed mean over the
        compared rows of the challenger's held-out log-density minus the identity's (the
        rows and folds are the same, so they pair) and ``se`` its standard error (both NaN
        for the identity). A challenger replaces the identity only when its score is higher
        and its ``bulk_gain`` exceeds two ``se``. A challenger whose map came out affine
        on every column (``affine`` True: the Gaussianising map of Gaussian columns) offers
        the same densities as the identity, since a Gaussian mixture of affinely mapped
        columns is a Gaussian mixture of the columns; it is not searched, and its
        ``score``, ``log_jacobian``, ``bulk_gain`` and ``se`` are NaN (``n_components`` 0).
        One entry when the transform was fixed. With a bootstrap each entry also has
        ``value``, the quantity of the fit on all the data in that representation (NaN
        where it was not computed), and ``bootstrap_share``, the fraction of the
        replicates fitted in it: the runner-up of the comparison is fitted on all the data
        too, and where its value falls outside the chosen one's 95% interval every
        replicate chooses between the two again by its out-of-bag rows (on a fair coin
        where the score and the bulk of those rows contradict each other: neither
        representation fits there), and the estimate weights the two values by these
        shares (a
        :class:`~gmmi.RepresentationWarning` says so when the replicates split). The
        runner-up's are NaN for categorical MI and for
        :func:`~gmmi.pointwise_mutual_information` (which keeps every replicate's model, in
        one representation): there the representation is chosen once.

    Examples
    --------
    >>> import numpy as np, gmmi
    >>> rng = np.random.default_rng(0)
    >>> g = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=2000)
    >>> x, y = np.exp(g[:, 0]), g[:, 1] ** 3   # skewed and heavy-tailed; MI unchanged
    >>> r = gmmi.mutual_information(x, y, n_bootstrap=0, random_state=0)
    >>> ident, gauss = r.transform.candidates
    >>> r.transform.name, gauss["score"] > ident["score"], gauss["bulk_gain"] > 2 * gauss["se"]
    ('gaussianize', True, True)
    >>> z = r.transform.apply(np.column_stack([x, y]))
    >>> z.shape
    (2000, 2)
    """

    name: str
    columns: list[dict[str, Any]] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A representation built by hand or read from an edited file is checked here, not
        # when apply(), check_fit() or pointwise() first meet a bad map.
        families = [t for t in TRANSFORMS if t != "auto"]
        if self.name not in families:
            raise ValueError(f"name: expected one of {families}, got {self.name!r}")
        if self.columns:
            try:
                _core.apply_transform([dict(c) for c in self.columns],
                                      np.zeros((1, len(self.columns))))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"columns: not a map of each column ({exc})") from None

    @property
    def chosen_score(self) -> float:
        """The chosen family's score (NaN when it was not recorded)."""
        for c in self.candidates:
            if c["name"] == self.name:
                return float(c["score"])
        return math.nan

    @property
    def is_identity(self) -> bool:
        """Whether every column is left as it is (the model is in the original units)."""
        return all(c["map"] == "identity" for c in self.columns)

    def apply(self, data: Any, return_log_jacobian: bool = False) -> Any:
        """Maps rows of the joint data (``n x d``, the columns of the estimate in order) into
        the coordinates the model was fitted in.

        Parameters
        ----------
        data : array-like of shape (n, d) or (n,) when d = 1
        return_log_jacobian : bool, default False
            Also return the log-Jacobian determinant of the map at every row (so that
            ``model.score_samples(z) + log_jacobian`` is the log-density of the original
            data, up to the model's standardisation, which is already undone).

        Returns
        -------
        numpy.ndarray of shape (n, d), and of shape (n,) with ``return_log_jacobian``
        """
        check_bool(return_log_jacobian, "return_log_jacobian")
        arr = as_block(data, "data", allow_constant=True, min_rows=1, check_spread=False)
        if arr.shape[1] != len(self.columns):
            raise ValueError(f"data: expected {len(self.columns)} columns (the estimate's), "
                             f"got {arr.shape[1]}")
        mapped, lj = _core.apply_transform([dict(c) for c in self.columns], arr)
        far = ~np.isfinite(mapped)
        if far.any():
            i, j = np.argwhere(far)[0]
            raise ValueError(f"data: the value {arr[i, j]:g} at row {i}, column {j} maps beyond "
                             f"double precision under the {self.columns[j]['map']} map "
                             "(a point that far from the data has no coordinates there)")
        return (mapped, lj) if return_log_jacobian else mapped

    #: The tag of a representation in a saved file (see :mod:`gmmi._codec`).
    _codec_tag = "__representation__"

    def _codec_state(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (JSON-friendly: None for NaN and infinities)."""
        return plain({"name": self.name, "columns": [dict(c) for c in self.columns],
                      "candidates": [dict(c) for c in self.candidates]})

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return same_fields(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        scores = ", ".join(f"{c['name']} affine, the identity's" if c.get("affine")
                           else f"{c['name']} {c['score']:.4f} (K={c['n_components']})"
                           for c in self.candidates)
        return f"Representation({self.name!r}; held-out log-lik per row: {scores})"

    @classmethod
    def _from_core(cls, raw: _core._TransformDict) -> Representation:
        return cls(name=str(raw["name"]), columns=[dict(c) for c in raw["columns"]],
                   candidates=[dict(c) for c in raw["candidates"]])
