"""
Choosing the number of components
=================================

gmmi chooses the number of mixture components K by cross-validation: for K = 1, 2, ... it
fits the mixture from several starts on part of the data and scores it by the
log-likelihood of the held-out part, and stops when the score stops improving. This
example draws the search for a sample of the paper's five-component mixture D5.

Settings: the bundled D5 sample (``gmmi.datasets.load_d5``, 5,000 rows) and a random
subset of 1,000 of its rows; gmmi's defaults (3 starts per K, 2 folds, ``patience="auto"``),
``random_state=0``.
"""

# %%
# The search on 5,000 rows
# ------------------------
# ``result.selection`` holds one :class:`~gmmi.SelectionRecord` per K tried: the metric
# (the mean held-out log-likelihood per row, ``selection="valid"``), the held-out score of
# every (start, fold) fit, their EM iterations and convergence flags.

import matplotlib.pyplot as plt
import numpy as np

import gmmi
from gmmi.datasets import D5_MI, load_d5

x, y = load_d5()
r = gmmi.mutual_information(x, y, random_state=0)
print(r, f"(truth {D5_MI} nat)")
for rec in r.selection:
    print(f"K = {rec.k}: metric {rec.metric:.4f}, held-out scores per start "
          f"{np.round(rec.fold_scores.mean(axis=1), 4)}")

# %%
# :meth:`MIResult.plot_selection <gmmi.MIResult.plot_selection>` draws the metric against K
# (blue), the mean held-out score of each start (grey dots) and the selected K (star). The
# search stops after ``max(2, ceil(K_best / 2))`` K in a row fail to improve on the best
# (``patience="auto"``; 3 here) by more than ``threshold_components``.

ax = r.plot_selection()
ax.set_title(f"D5, n = {x.size}: selected K = {r.n_components}")
ax.figure.tight_layout()

# %%
# Fewer rows, flatter curve
# -------------------------
# With fewer rows the held-out likelihood cannot separate neighbouring K as well; the
# search may stop earlier. gmmi's bootstrap re-chooses K in every replicate among the
# selected K and the searched K near it (within ``max(1, ceil(K / 3))``) whose held-out
# score is close, so ``std`` includes this
# uncertainty; ``details["boot_n_components"]`` records the K each replicate kept.

rng = np.random.default_rng(1)
rows = rng.choice(x.size, size=1000, replace=False)
small = gmmi.mutual_information(x[rows], y[rows], random_state=0)
print(small)
ks, counts = np.unique(small.details["boot_n_components"], return_counts=True)
print("K kept by the 50 bootstrap replicates:", dict(zip(ks.tolist(), counts.tolist())))

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
small.plot_selection(ax=axes[0])
axes[0].set_title(f"D5, n = 1,000: selected K = {small.n_components}")
axes[1].bar(ks, counts, color="C0")
axes[1].set_xticks(ks)
axes[1].set_xlabel("K kept by a bootstrap replicate")
axes[1].set_ylabel("replicates")
axes[1].set_title("the choice of K inside the bootstrap")
fig.tight_layout()
plt.show()
