"""Straight-line orthogonal distance regression with errors in both axes.

The paper fits [Fe/H] = a + b R in each age bin with scipy.odr (Boggs & Rogers 1990). scipy.odr is
deprecated in SciPy 1.17 and removed in 1.19; mwdisk calls its successor, the PyPI package ``odrpack``
(ODRPACK95 with the same algorithm), through :func:`odrpack.odr_fit` (tested with odrpack 0.7.0). Weights are
inverse variances (``weight_x = 1 / sx**2``, ``weight_y = 1 / sy**2``), as scipy.odr's ``RealData`` made them,
and the slope error is ODRPACK's ``sd_beta``: the parameter standard deviation scaled by the residual variance
(``res_var``, the reduced chi^2), exactly what scipy.odr reported as ``Output.sd_beta``.

Two error models for the y errors (METHOD.md section 6):

``"naive"`` (the paper, probably)
    sy_i = sigma_[Fe/H],i. The intrinsic [Fe/H] scatter about the line (~0.1 dex, much larger than the
    measurement errors) is then absorbed by the fit as if it were x error, and the slope comes out too steep.
``"scatter"`` (the default)
    sy_i = sqrt(sigma_[Fe/H],i^2 + s_int^2), with the intrinsic scatter estimated from the vertical residuals
    r = y - a - b x as s_int^2 = max(0, var(r) - b^2 <sx^2> - <sigma_[Fe/H]^2>) and iterated: a naive fit
    gives the first residuals, then each of ``n_pass`` passes updates s_int^2 from the current line and
    refits. Three passes converge to well below the statistical error.

Both models report ``scatter`` = sqrt(s_int^2) computed from the residuals of the returned line, so the
two can be compared.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> xt = rng.uniform(5.0, 13.0, 2000)
>>> x = xt + rng.normal(0.0, 0.2, 2000)
>>> y = 0.5 - 0.07 * xt + rng.normal(0.0, 0.1, 2000)
>>> fit = fit_line(x, y, np.full(2000, 0.2), np.full(2000, 0.03))
>>> bool(abs(fit.slope + 0.07) < 3 * fit.slope_err)
True
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from odrpack import odr_fit

__all__ = [
    "ERROR_MODELS",
    "MIN_POINTS",
    "LineFit",
    "fit_line",
    "fit_line_models",
    "intrinsic_scatter_sq",
    "weighted_line",
]

logger = logging.getLogger(__name__)

#: Error models understood by :func:`fit_line`: the scatter-aware default and the paper's naive one.
ERROR_MODELS = ("scatter", "naive")

#: Fewest points a line is fitted to (two parameters and one degree of freedom for ``res_var``).
MIN_POINTS = 3


@dataclass(frozen=True)
class LineFit:
    """Result of a straight-line fit y = intercept + slope * x.

    Attributes
    ----------
    slope, intercept : float
        The fitted line (units of y per unit of x, and of y).
    slope_err, intercept_err : float
        1-sigma errors: ODRPACK's ``sd_beta`` (scaled by the residual variance).
    scatter : float
        Intrinsic scatter of y about the line, sqrt(max(0, var(r) - b^2 <sx^2> - <sy_meas^2>)), from the
        vertical residuals r of the returned line (same definition for both error models).
    res_var : float
        ODRPACK's residual variance (reduced chi^2 of the weighted orthogonal residuals).
    n : int
        Number of points fitted.
    error_model : str
        ``"scatter"``, ``"naive"`` or ``"ols"``.
    n_pass : int
        Number of scatter-update passes made (0 for the naive model).
    info : int
        ODRPACK's stop code (last digit 1-3: converged; 4: iteration limit; >= 1000: warnings).
    converged : bool
        ``info % 10`` in (1, 2, 3).
    """

    slope: float
    slope_err: float
    intercept: float
    intercept_err: float
    scatter: float
    res_var: float
    n: int
    error_model: str
    n_pass: int
    info: int
    converged: bool


def _line(x, beta):
    return beta[0] + beta[1] * x


def _jac_beta(x, beta):
    return np.vstack([np.ones_like(x), x])


def _jac_x(x, beta):
    return np.full_like(x, beta[1])


def intrinsic_scatter_sq(
    x: np.ndarray, y: np.ndarray, x_err: np.ndarray, y_err: np.ndarray, intercept: float, slope: float
) -> float:
    """Intrinsic variance of y about a line: max(0, var(r) - slope^2 <x_err^2> - <y_err^2>).

    Parameters
    ----------
    x, y : array of float
        The points.
    x_err, y_err : array of float
        Their measurement errors (y_err without any intrinsic term).
    intercept, slope : float
        The line.

    Returns
    -------
    float
        s_int^2 in units of y squared (0 when the measurement errors explain the residuals).
    """
    r = y - (intercept + slope * x)
    s2 = float(np.var(r)) - slope * slope * float(np.mean(x_err * x_err)) - float(np.mean(y_err * y_err))
    return max(0.0, s2)


def _odr(x, y, x_err, sy, beta0, maxit):
    return odr_fit(
        _line,
        x,
        y,
        beta0,
        weight_x=1.0 / (x_err * x_err),
        weight_y=1.0 / (sy * sy),
        jac_beta=_jac_beta,
        jac_x=_jac_x,
        maxit=maxit,
    )


def _check(x, y, x_err, y_err):
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (x, y, x_err, y_err)]
    n = arrays[0].shape[0]
    for name, a in zip(("x", "y", "x_err", "y_err"), arrays, strict=True):
        if a.ndim != 1 or a.shape[0] != n:
            raise ValueError(f"{name} has shape {a.shape}; every input must be 1-D of the length of x ({n})")
        if not np.all(np.isfinite(a)):
            raise ValueError(
                f"{name} holds {int((~np.isfinite(a)).sum())} non-finite value(s); drop those points before "
                f"fitting (a bad star is flagged upstream, never fitted)"
            )
    for name, a in zip(("x_err", "y_err"), arrays[2:], strict=True):
        if np.any(a <= 0):
            raise ValueError(
                f"{name} has {int((a <= 0).sum())} value(s) <= 0 (smallest {a.min()!r}); ODR weights are "
                f"1/err^2, so give every point a positive error (e.g. a floor of 1e-3 of its unit)"
            )
    if n < MIN_POINTS:
        raise ValueError(f"{n} point(s) given; a line with errors needs at least {MIN_POINTS}")
    return arrays


def _nan_fit(n, error_model):
    return LineFit(np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, n, error_model, 0, -1, False)


def fit_line(
    x: np.ndarray,
    y: np.ndarray,
    x_err: np.ndarray,
    y_err: np.ndarray,
    *,
    error_model: str = "scatter",
    n_pass: int = 3,
    maxit: int = 50,
) -> LineFit:
    """Fit y = a + b x by orthogonal distance regression with errors in both axes.

    Parameters
    ----------
    x, y : array of float, shape (n,)
        The points (mwdisk: R_g or R_present in kpc, [Fe/H] in dex). The result depends on their order only
        through floating-point summation, so pass them in a canonical order (sorted by ``source_id``) when
        bit-identical results are required.
    x_err, y_err : array of float, shape (n,)
        Positive 1-sigma measurement errors (R MC std in kpc, sigma_[Fe/H] in dex).
    error_model : {"scatter", "naive"}
        ``"scatter"`` (default): sy = sqrt(y_err^2 + s_int^2) with s_int iterated; ``"naive"``: sy = y_err
        (the paper's model). See the module docstring.
    n_pass : int
        Scatter-update passes after the first naive fit (default 3, METHOD.md section 6). Ignored by the
        naive model.
    maxit : int
        ODRPACK iteration limit per fit (default 50, ODRPACK's own default).

    Returns
    -------
    LineFit
        Slope, intercept, their ``sd_beta`` errors and the intrinsic scatter. When ODRPACK does not converge
        the result is still returned, with ``converged=False`` and a warning logged.

    Raises
    ------
    ValueError
        For an unknown ``error_model``, fewer than 3 points, non-finite values or non-positive errors.
    """
    if error_model not in ERROR_MODELS:
        raise ValueError(f"error_model = {error_model!r}; use one of {ERROR_MODELS}")
    fits = fit_line_models(x, y, x_err, y_err, error_models=(error_model,), n_pass=n_pass, maxit=maxit)
    return fits[error_model]


def fit_line_models(
    x: np.ndarray,
    y: np.ndarray,
    x_err: np.ndarray,
    y_err: np.ndarray,
    *,
    error_models: tuple[str, ...] = ERROR_MODELS,
    n_pass: int = 3,
    maxit: int = 50,
) -> dict[str, LineFit]:
    """:func:`fit_line` for several error models at once, sharing the naive fit that starts the
    scatter-aware iteration (one ODR fit fewer than two separate calls; identical results).

    Returns
    -------
    dict
        error model -> :class:`LineFit`, in the order of ``error_models``.
    """
    for m in error_models:
        if m not in ERROR_MODELS:
            raise ValueError(f"error_model = {m!r}; use one of {ERROR_MODELS}")
    if int(n_pass) < 0:
        raise ValueError(f"n_pass = {n_pass}; use 0 or more scatter-update passes (default 3)")
    x, y, x_err, y_err = _check(x, y, x_err, y_err)
    n = x.shape[0]
    # start from ordinary least squares (x on y's axis): avoids ODR's second, perpendicular solution
    xm = x - x.mean()
    sxx = float(np.dot(xm, xm))
    if sxx == 0.0:
        logger.warning("fit_line: all %d x values are equal (%r); returning NaN", n, x[0])
        return {m: _nan_fit(n, m) for m in error_models}
    b0 = float(np.dot(xm, y - y.mean())) / sxx
    beta = np.array([float(y.mean()) - b0 * float(x.mean()), b0])

    results = {}
    res = _odr(x, y, x_err, y_err, beta, maxit)
    results["naive"] = (res, 0)
    if "scatter" in error_models:
        y_var = y_err * y_err
        passes = 0
        for passes in range(1, int(n_pass) + 1):  # noqa: B007 (the count is read after the loop)
            s2 = intrinsic_scatter_sq(x, y, x_err, y_err, res.beta[0], res.beta[1])
            res = _odr(x, y, x_err, np.sqrt(y_var + s2), res.beta.copy(), maxit)
        results["scatter"] = (res, passes)
    return {m: _line_fit(x, y, x_err, y_err, *results[m], m) for m in error_models}


def _line_fit(x, y, x_err, y_err, res, passes, error_model):
    n = x.shape[0]
    a, b = float(res.beta[0]), float(res.beta[1])
    info = int(res.info)
    converged = (info % 10) in (1, 2, 3)
    if not converged:
        logger.warning(
            "fit_line: ODRPACK did not converge on %d points (info %d: %s)", n, info, res.stopreason
        )
    return LineFit(
        slope=b,
        slope_err=float(res.sd_beta[1]),
        intercept=a,
        intercept_err=float(res.sd_beta[0]),
        scatter=float(np.sqrt(intrinsic_scatter_sq(x, y, x_err, y_err, a, b))),
        res_var=float(res.res_var),
        n=n,
        error_model=error_model,
        n_pass=passes,
        info=info,
        converged=converged,
    )


def weighted_line(x: np.ndarray, y: np.ndarray, y_err: np.ndarray) -> LineFit:
    """Weighted least-squares line y = a + b x (errors in y only), in closed form.

    Used for the trend of gradient against bin age. The errors follow the same convention as
    :func:`fit_line` (ODRPACK's ``sd_beta``) where the points scatter more than their error bars: the
    covariance of the weighted fit scaled by the residual variance (reduced chi^2). Unlike ``sd_beta`` it is
    never scaled *down*: a trend through a few bins that happen to line up keeps the error its error bars
    give. With exactly two points the line is exact and its errors and ``res_var`` are NaN.

    Parameters
    ----------
    x, y : array of float, shape (n,)
        Abscissae (bin ages, Gyr) and ordinates (gradients, dex/kpc).
    y_err : array of float, shape (n,)
        Positive 1-sigma errors of y (weights 1 / y_err^2).

    Returns
    -------
    LineFit
        ``error_model="ols"``, ``scatter`` NaN, ``info`` 0.

    Raises
    ------
    ValueError
        For fewer than 2 points, non-finite values or non-positive errors.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    y_err = np.ascontiguousarray(y_err, dtype=np.float64)
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"{n} point(s) given; a weighted line needs at least 2")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(np.isfinite(y_err))):
        raise ValueError("x, y and y_err must be finite; drop bins without a fit before the trend")
    if np.any(y_err <= 0):
        raise ValueError(f"y_err has value(s) <= 0 (smallest {y_err.min()!r}); weights are 1/y_err^2")
    w = 1.0 / (y_err * y_err)
    sw, sx, sy = w.sum(), (w * x).sum(), (w * y).sum()
    sxx = (w * x * x).sum()
    det = sw * sxx - sx * sx
    if not det > 0:
        logger.warning("weighted_line: all %d x values are equal; returning NaN", n)
        return _nan_fit(n, "ols")
    b = float((sw * (w * x * y).sum() - sx * sy) / det)
    a = float((sy - b * sx) / sw)
    if n > 2:
        res_var = float((w * (y - a - b * x) ** 2).sum()) / (n - 2)
        # [CHOICE] inflate by the reduced chi^2 when the bins scatter more than their error bars, never
        # shrink below the propagated error: with a handful of bins a small chi^2 is luck, not precision
        scale = max(1.0, res_var)
        b_err = float(np.sqrt(sw / det * scale))
        a_err = float(np.sqrt(sxx / det * scale))
    else:
        res_var, a_err, b_err = np.nan, np.nan, np.nan
    return LineFit(
        slope=b,
        slope_err=b_err,
        intercept=a,
        intercept_err=a_err,
        scatter=np.nan,
        res_var=res_var,
        n=n,
        error_model="ols",
        n_pass=0,
        info=0,
        converged=True,
    )
