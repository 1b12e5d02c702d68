"""A plain-NumPy reference of the Gaussian-mixture kernels (ALGORITHM.md, step 3).

Deliberately simple and independent of gmmi's Rust code: log-densities through a Cholesky
factor and a triangular solve, responsibilities by log-sum-exp, and the M-step exactly as
written in ALGORITHM.md (two passes: means first, then covariances about the new means).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular

EPS10 = 10 * np.finfo(float).eps


def component_log_densities(X, weights, means, covs):
    """ln w_k + ln N(x_i | mu_k, S_k), shape (n, K)."""
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    out = np.empty((n, len(weights)))
    for k, (w, mu, cov) in enumerate(zip(weights, means, covs)):
        L = np.linalg.cholesky(cov)
        z = solve_triangular(L, (X - mu).T, lower=True)  # L z = x - mu
        maha = np.sum(z * z, axis=0)
        logdet = 2.0 * np.sum(np.log(np.diag(L)))
        out[:, k] = np.log(w) - 0.5 * (d * np.log(2.0 * np.pi) + logdet + maha)
    return out


def logsumexp_rows(a):
    """ln sum_k exp(a_ik), shape (n,)."""
    m = a.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=1, keepdims=True)))[:, 0]


def log_density(X, weights, means, covs):
    """ln p(x_i), shape (n,)."""
    return logsumexp_rows(component_log_densities(X, weights, means, covs))


def e_step(X, weights, means, covs):
    """Responsibilities r_ik (n, K) and the mean log-likelihood per sample."""
    lp = component_log_densities(X, weights, means, covs)
    ll = logsumexp_rows(lp)
    return np.exp(lp - ll[:, None]), float(ll.mean())


def m_step(X, resp, reg_covar):
    """n_k = sum_i r_ik + 10 eps; w_k = n_k / sum n; mu_k = sum_i r_ik x_i / n_k;
    S_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / n_k + reg_covar I."""
    X = np.asarray(X, dtype=float)
    d = X.shape[1]
    nk = resp.sum(axis=0) + EPS10
    weights = nk / nk.sum()
    means = resp.T @ X / nk[:, None]
    covs = np.empty((len(nk), d, d))
    for k in range(len(nk)):
        diff = X - means[k]
        covs[k] = (resp[:, k, None] * diff).T @ diff / nk[k] + reg_covar * np.eye(d)
    return weights, means, covs


def em_step(X, weights, means, covs, reg_covar):
    """One EM iteration: ((weights, means, covs) after the M-step, mean log-likelihood of
    the parameters passed in)."""
    resp, ll = e_step(X, weights, means, covs)
    return m_step(X, resp, reg_covar), ll
