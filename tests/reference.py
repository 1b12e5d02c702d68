"""A plain-NumPy reference of the Gaussian-mixture kernels (ALGORITHM.md, step 3).

Deliberately simple and independent of gmmi's Rust code: log-densities through
``numpy.linalg.cholesky`` and a triangular solve, responsibilities by log-sum-exp, and the
M-step exactly as written in ALGORITHM.md.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

EPS10 = 10 * np.finfo(float).eps


def component_log_densities(X, weights, means, covs):
    """ln w_k + ln N(x_i | mu_k, S_k), shape (n, K)."""
    n, d = X.shape
    out = np.empty((n, len(weights)))
    for k, (w, mu, cov) in enumerate(zip(weights, means, covs)):
        L = np.linalg.cholesky(cov)
        z = solve_triangular(L, (X - mu).T, lower=True)
        maha = np.sum(z * z, axis=0)
        logdet = 2 * np.sum(np.log(np.diag(L)))
        out[:, k] = np.log(w) - 0.5 * (d * np.log(2 * np.pi) + logdet + maha)
    return out


def log_density(X, weights, means, covs):
    """ln p(x_i) by log-sum-exp, shape (n,)."""
    lp = component_log_densities(X, weights, means, covs)
    m = lp.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(lp - m).sum(axis=1, keepdims=True)))[:, 0]


def e_step(X, weights, means, covs):
    """Responsibilities (n, K) and the mean log-likelihood per sample."""
    lp = component_log_densities(X, weights, means, covs)
    ll = log_density(X, weights, means, covs)
    return np.exp(lp - ll[:, None]), ll.mean()


def m_step(X, resp, reg_covar):
    """n_k = sum r + 10 eps; w = n_k / sum n_k; mu = sum r x / n_k;
    S = sum r (x - mu)(x - mu)^T / n_k + reg_covar I."""
    nk = resp.sum(axis=0) + EPS10
    weights = nk / nk.sum()
    means = resp.T @ X / nk[:, None]
    d = X.shape[1]
    covs = np.empty((len(nk), d, d))
    for k in range(len(nk)):
        diff = X - means[k]
        covs[k] = (resp[:, k, None] * diff).T @ diff / nk[k] + reg_covar * np.eye(d)
    return weights, means, covs
