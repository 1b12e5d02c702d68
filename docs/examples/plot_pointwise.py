"""
Where the information sits: pointwise mutual information
========================================================

The mutual information is an average: ``I(X;Y) = E[ln p(x, y) - ln p(x) - ln p(y)]``. The
quantity inside the expectation, the *pointwise* mutual information (PMI), says how much
more (positive) or less (negative) likely a pair of values is together than apart.
:func:`gmmi.pointwise_mutual_information` estimates the MI as
:func:`gmmi.mutual_information` does, keeps every bootstrap replicate's mixture, and
evaluates the PMI of every sample under the full-data mixture and under each replicate's;
their spread is the uncertainty of each sample's PMI. The *profile* is the distribution of
the PMI over the population the model describes; its mean is the MI.

Settings: a latent ``y`` that tracks a physical quantity ``x ~ N(0, 1)`` closely for
``x < 0`` and loosely for ``x > 0`` -- ``y = x + s(x) noise`` with ``s = 0.2`` below zero
and ``1.0`` above -- 3,000 rows, seed 0, so the information sits on the left half; gmmi's
defaults (50 bootstrap replicates), ``random_state=0``.
"""

# %%
# Estimate
# --------

import matplotlib.pyplot as plt
import numpy as np

import gmmi

rng = np.random.default_rng(0)
x = rng.normal(size=3000)
y = x + np.where(x < 0, 0.2, 1.0) * rng.normal(size=3000)

p = gmmi.pointwise_mutual_information(x, y, random_state=0)
print(p.result)
print(p)
print(f"mean PMI under the model {p.profile_mean:.4f} ± {p.profile_error:.4f}; "
      f"MI of the full-data model {p.result.full_value:.4f}")

# %%
# Which samples carry the information
# -----------------------------------
# Each sample coloured by its PMI under the full-data mixture: on the left, where ``y``
# pins ``x`` down, the PMI is high, and highest for the rare values far out; on the right
# it is low, and pairs far from the line ``y = x`` are less likely together than apart
# (negative PMI).

fig, axes = plt.subplots(1, 2, figsize=(10, 4))
p.plot("samples", ax=axes[0])
axes[0].set_title("samples coloured by pointwise MI")

# Binned along x: the mean PMI of the samples in each bin, with the spread over the
# bootstrap models of that bin mean (the uncertainty of where the information sits).
bins = np.linspace(-3, 3, 13)
idx = np.digitize(x, bins)
centres, means, lo, hi = [], [], [], []
for b in range(1, len(bins)):
    inside = idx == b
    if inside.sum() < 20:
        continue
    per_model = p.samples[:, inside].mean(axis=1)
    centres.append(0.5 * (bins[b - 1] + bins[b]))
    means.append(p.values[inside].mean())
    lo.append(np.quantile(per_model, 0.05))
    hi.append(np.quantile(per_model, 0.95))
axes[1].fill_between(centres, lo, hi, color="C0", alpha=0.3,
                     label=f"90% band, {p.n_models} bootstrap models")
axes[1].plot(centres, means, "o-", color="C0", label="full-data model")
axes[1].axhline(p.profile_mean, color="k", lw=1, label="MI (mean over the population)")
axes[1].set_xlabel("x")
axes[1].set_ylabel(f"mean pointwise MI ({p.unit})")
axes[1].legend(fontsize=8)
axes[1].set_title("pointwise MI along x")
fig.tight_layout()

# %%
# The profile
# -----------
# The distribution of the PMI of points drawn from the fitted mixture (as a cumulative
# curve), with the band of the bootstrap replicates' mixtures: two groups, the tightly
# coupled left half and the loosely coupled right half, and a tail of pairs below zero.

ax = p.plot()
ax.set_title("profile of the pointwise MI")
ax.figure.tight_layout()

# %%
# Other points
# ------------
# ``result.pointwise`` evaluates any points under the same models, e.g. a grid along the
# line ``y = x``.

grid = np.linspace(-2, 2, 5)
q = p.result.pointwise(grid, grid, n_draws=2000)
lo, hi = q.ci(0.9)
for g, v, a, b in zip(grid, q.values, lo, hi):
    print(f"x = {g:+.1f}: PMI {v:.3f} nat (90% interval {a:.3f} to {b:.3f})")
