"""Datasets and the square loss as a quadratic form in the end-to-end filter
(MATH.md §5, §9, §11).

A dataset holds ``X`` of shape ``(N, d_0)`` and ``Y`` of shape ``(N, d_L)`` with
``d_L = d_0 - k + 1`` (rows are samples); with strides
``d_i = ⌊(d_{i−1} − k_i)/s_i⌋ + 1``; for D-dimensional filters ``X`` has shape
``(N, h_0, w_0, …)`` and ``Y`` shape ``(N, h_L, w_L, …)``. The loss
``ℓ(w) = (1/N) Σ_n ‖W x_n − y_n‖²`` equals ``wᵀ Q w − 2 bᵀ w + c₀``.

The package ships a default dataset, ``critlcn/data/default.npz``, made by
``scripts/make_default_data.py``: ``synth(Architecture((3, 2, 2)), 50,
numpy.random.default_rng(20220101), d0=10, noise=0.1)`` with a Gaussian
teacher, i.e. ``N = 50`` samples of Gaussian inputs of size ``d_0 = 10`` and
outputs of size 6 from a random end-to-end filter of size 5 plus noise of
standard deviation 0.1. It fits every
architecture of degree 4 (filter size 5).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from critlcn.architecture import Architecture
from critlcn.errors import CritlcnError
from critlcn.convolution import toeplitz

__all__ = [
    "Dataset",
    "QuadraticLoss",
    "load",
    "default_dataset",
    "dataset_from_arrays",
    "quadratic_loss",
    "synth",
    "ar_windows",
    "save",
    "DEFAULT_DATA",
]

#: Name of the data file that ships with the package.
DEFAULT_DATA = "default.npz"

#: Condition number of ``Q`` above which it is treated as singular.
SINGULAR_CONDITION = 1e12


def _sha256(X: np.ndarray, Y: np.ndarray) -> str:
    # Hash the canonical float64 bytes and shapes, not the file, so the same
    # numbers give the same hash whatever container they came in.
    h = hashlib.sha256()
    for arr in (X, Y):
        a = np.ascontiguousarray(arr, dtype=np.float64)
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class Dataset:
    """Samples ``X`` (N, d_0) and ``Y`` (N, d_L), with provenance.

    Examples
    --------
    >>> ds = dataset_from_arrays(np.ones((3, 4)), np.ones((3, 2)))
    >>> ds.samples, ds.input_size, ds.output_size, ds.source
    (3, 4, 2, 'arrays')
    """

    X: np.ndarray
    Y: np.ndarray
    source: str = "arrays"
    sha256: str = field(default="")

    def __post_init__(self):
        X = np.array(self.X, dtype=np.float64)
        Y = np.array(self.Y, dtype=np.float64)
        X.flags.writeable = False
        Y.flags.writeable = False
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "Y", Y)
        if not self.sha256:
            object.__setattr__(self, "sha256", _sha256(X, Y))

    @property
    def samples(self) -> int:
        """Number of samples ``N``."""
        return self.X.shape[0]

    @property
    def input_size(self) -> int:
        """``d_0``."""
        return self.X.shape[1]

    @property
    def output_size(self) -> int:
        """``d_L``."""
        return self.Y.shape[1]

    def to_dict(self) -> dict:
        """``{"samples", "source", "sha256"}`` for reports."""
        return {"samples": self.samples, "source": self.source, "sha256": self.sha256}


@dataclass(frozen=True)
class QuadraticLoss:
    """``ℓ(w) = wᵀ Q w − 2 bᵀ w + c0`` on end-to-end filters.

    Examples
    --------
    >>> loss = QuadraticLoss(np.eye(2), np.array([1.0, 0.0]), 1.0)
    >>> loss.value(np.array([1.0, 0.0])), loss.gradient(np.array([0.0, 0.0]))
    (0.0, array([-2.,  0.]))
    """

    Q: np.ndarray
    b: np.ndarray
    c0: float

    def __post_init__(self):
        Q = np.array(self.Q, dtype=np.float64)
        b = np.array(self.b, dtype=np.float64)
        if Q.ndim != 2 or Q.shape[0] != Q.shape[1] or b.shape != (Q.shape[0],):
            raise CritlcnError(f"Q must be square and b match it: got Q {Q.shape}, b {b.shape}")
        Q = Q / 2 + Q.T / 2  # halves first: Q + Qᵀ could overflow where Q does not
        Q.flags.writeable = False
        b.flags.writeable = False
        object.__setattr__(self, "Q", Q)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "c0", float(self.c0))

    @property
    def size(self) -> int:
        """Filter size ``k = d + 1``."""
        return self.b.size

    def value(self, w) -> float:
        """``ℓ(w)``."""
        w = np.asarray(w, dtype=float)
        return float(w @ self.Q @ w - 2 * self.b @ w + self.c0)

    def gradient(self, w) -> np.ndarray:
        """``∇ℓ(w) = 2 (Q w − b)``."""
        w = np.asarray(w, dtype=float)
        return 2 * (self.Q @ w - self.b)

    def minimiser(self) -> np.ndarray:
        """The unconstrained minimiser ``Q⁻¹ b`` (the critical point for ``λ = (1^d)``)."""
        return np.linalg.solve(self.Q, self.b)


def _check_arrays(X, Y, arch: Architecture, where: str):
    D = arch.axes
    if X.ndim != 1 + D or Y.ndim != 1 + D:
        want = "2-D (samples in rows)" if D == 1 else f"of order {1 + D} (samples first, then {D} axes)"
        raise CritlcnError(
            f"{where}: X and Y must be {want} for {arch.label()}, got X {X.shape} and Y {Y.shape}; reshape them"
        )
    if X.shape[0] != Y.shape[0]:
        raise CritlcnError(f"{where}: X has {X.shape[0]} samples but Y has {Y.shape[0]}: give one row of each per sample")
    if X.shape[0] == 0:
        raise CritlcnError(f"{where}: no samples; give at least one row in X and Y")
    k = arch.size
    if arch.stride_one:
        if X.shape[1] < k:
            raise CritlcnError(
                f"{where}: inputs have size d_0 = {X.shape[1]}, smaller than the end-to-end filter size {k} "
                f"of {arch.label()}; use inputs of size >= {k}"
            )
        want = X.shape[1] - k + 1
        if Y.shape[1] != want:
            raise CritlcnError(
                f"{where}: Y has {Y.shape[1]} columns but {arch.label()} maps inputs of size {X.shape[1]} "
                f"to outputs of size {want} (d_L = d_0 - k + 1); regenerate the data for this architecture"
            )
    else:
        need = arch.min_input()
        shape = X.shape[1:]
        if any(a < b for a, b in zip(shape, need)):
            raise CritlcnError(
                f"{where}: inputs of shape {_fmt(shape)} are smaller than the smallest input {_fmt(need)} "
                f"of {arch.label()}; use larger inputs"
            )
        out = arch.layer_sizes(shape if D > 1 else shape[0])[-1]
        out = out if D > 1 else (out,)
        if Y.shape[1:] != out:
            rule = "d_i = ⌊(d_(i−1) − k_i)/s_i⌋ + 1" if D == 1 else "d_i = d_(i−1) − k_i + 1 per axis"
            raise CritlcnError(
                f"{where}: Y has shape {_fmt(Y.shape[1:])} per sample but {arch.label()} maps inputs of shape "
                f"{_fmt(shape)} to outputs of shape {_fmt(out)} ({rule}); regenerate the data for this architecture"
            )
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(Y))):
        raise CritlcnError(f"{where}: X or Y contains NaN or infinite values; clean the data first")


def _fmt(shape) -> str:
    return "x".join(str(int(v)) for v in shape)


def quadratic_loss(dataset: Dataset, arch: Architecture, allow_singular: bool = False) -> QuadraticLoss:
    """The quadratic form ``(Q, b, c0)`` of the square loss of ``dataset``
    (MATH.md §5; windows at the end-to-end stride, §9; D-dimensional windows, §11).

    ``Q`` and ``b`` act on the flattened (C order) end-to-end filter. Raises
    `CritlcnError` when the shapes do not fit ``arch`` or when ``Q`` is
    singular (too few or degenerate samples) unless ``allow_singular``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> arch = Architecture((2, 2))
    >>> ds = synth(arch, 20, rng, d0=5)
    >>> loss = quadratic_loss(ds, arch)
    >>> w = rng.normal(size=3)
    >>> W = toeplitz(w, 5)
    >>> direct = np.mean([np.sum((W @ x - y) ** 2) for x, y in zip(ds.X, ds.Y)])
    >>> bool(np.isclose(loss.value(w), direct))
    True
    """
    X, Y = dataset.X, dataset.Y
    _check_arrays(X, Y, arch, dataset.source)
    k = arch.size
    n = Y.shape[0]
    d_out = int(np.prod(Y.shape[1:]))
    # Sums of products of raw data overflow (X ~ 1e200) or underflow (Y ~ 1e-200)
    # long before the data do: form them from data scaled by powers of two
    # (exact) and scale back, so the only failures left are results outside
    # the range of doubles, which say so.
    ex, ey = _exponent(X), _exponent(Y)
    Xs, Ys = np.ldexp(X, -ex), np.ldexp(Y, -ey)
    if arch.stride_one:
        # windows[n, r, j] = x_n[r + j]: the rows of the Toeplitz product W x_n
        windows = np.stack([Xs[:, r : r + k] for r in range(d_out)], axis=1)
    else:
        from critlcn.convolution import windows as strided_windows

        windows = strided_windows(arch, Xs)
    Yf = Ys.reshape(n, d_out)
    Qs = np.einsum("nri,nrj->ij", windows, windows) / n
    bs = np.einsum("nri,nr->i", windows, Yf) / n
    cs = float(np.sum(Yf * Yf) / n)
    eig = np.linalg.eigvalsh(Qs)
    if eig[0] <= eig[-1] / SINGULAR_CONDITION and not allow_singular:
        raise CritlcnError(
            f"{dataset.source}: the data's quadratic form Q is singular (only {n} samples of {d_out} outputs "
            f"for a filter of size {k}), so critical sets may be non-isolated; use more samples or pass `allow_singular`",
            parameter="allow_singular",
        )
    with np.errstate(over="ignore", under="ignore"):
        Q, b, c0 = np.ldexp(Qs, 2 * ex), np.ldexp(bs, ex + ey), float(np.ldexp(cs, 2 * ey))
    _check_range(dataset.source, "X", ex, Qs, Q)
    _check_range(dataset.source, "Y", ey, cs, c0)
    _check_range(dataset.source, "X or Y", ex if abs(ex) >= abs(ey) else ey, bs, b)
    return QuadraticLoss(Q, b, c0)


def _exponent(A: np.ndarray) -> int:
    """A power of two near the largest entry of ``A`` (0 for a zero array)."""
    top = float(np.max(np.abs(A))) if A.size else 0.0
    return int(np.frexp(top)[1]) if top > 0 else 0


def _check_range(source: str, what: str, exponent: int, scaled, value) -> None:
    """Refuse a quadratic form that left the range of doubles: an entry
    overflowed, or the largest one fell below the normal numbers (``exponent``
    is the power of two of the data entries behind it)."""
    value = np.asarray(value)
    top = float(np.max(np.abs(scaled))) if np.size(scaled) else 0.0
    over = not np.all(np.isfinite(value))
    under = top > 0 and float(np.max(np.abs(value))) < np.finfo(float).tiny
    if not (over or under):
        return
    def size(e):
        return f"2^{e}" if abs(e) < 30 else f"1e{e * np.log10(2):+.0f}"
    problem, advice = ("overflows", f"divide {what} by about {size(exponent)}") if over else \
        ("underflows", f"multiply {what} by about {size(-exponent)}")
    raise CritlcnError(
        f"{source}: {what} has entries of order {size(exponent)}, so the square loss (sums of products of the data) "
        f"{problem} double precision; {advice} before solving (critical filters scale by β/α and losses by β² "
        "when X → αX, Y → βY)"
    )


def dataset_from_arrays(X, Y, source: str = "arrays") -> Dataset:
    """Wrap arrays as a `Dataset` (shape checks happen in `quadratic_loss`).

    Examples
    --------
    >>> dataset_from_arrays([[1.0, 2.0]], [[3.0]]).samples
    1
    """
    try:
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
    except (TypeError, ValueError):
        raise CritlcnError(f"{source}: X and Y must be numeric arrays") from None
    return Dataset(X, Y, source=source)


def load(path: str) -> Dataset:
    """Read a ``.npz`` file with arrays ``X`` (N, d_0) and ``Y`` (N, d_L).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "d.npz")
    >>> save(synth(Architecture((2,)), 4, np.random.default_rng(1), d0=3), p)
    >>> load(p).X.shape
    (4, 3)
    """
    if not os.path.exists(path):
        raise CritlcnError(f"data file {path} does not exist; check the path")
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = set(npz.files)
            missing = [n for n in ("X", "Y") if n not in names]
            if missing:
                raise CritlcnError(
                    f"data file {path} has no array {' or '.join(missing)} (found: {', '.join(sorted(names)) or 'none'}); "
                    "save inputs as X and outputs as Y, e.g. numpy.savez(path, X=X, Y=Y)"
                )
            X, Y = npz["X"], npz["Y"]
    except CritlcnError:
        raise
    except Exception as err:  # zipfile, pickle and OS errors all mean the same to a user
        raise CritlcnError(
            f"cannot read data file {path} ({type(err).__name__}): give a .npz written by numpy.savez with arrays X and Y"
        ) from None
    if X.dtype.kind not in "biuf" or Y.dtype.kind not in "biuf":
        raise CritlcnError(f"data file {path}: X and Y must hold real numbers, got {X.dtype} and {Y.dtype}")
    return dataset_from_arrays(X, Y, source=os.path.basename(path))


def default_dataset() -> Dataset:
    """The dataset that ships with critlcn (see the module docstring).

    Examples
    --------
    >>> default_dataset().X.shape
    (50, 10)
    """
    ref = resources.files("critlcn").joinpath("data", DEFAULT_DATA)
    with resources.as_file(ref) as p:
        ds = load(str(p))
    return Dataset(ds.X, ds.Y, source="default", sha256=ds.sha256)


def synth(
    arch: Architecture,
    samples: int,
    rng: np.random.Generator,
    teacher=None,
    noise: float = 0.0,
    d0=None,
) -> Dataset:
    """Synthetic data: Gaussian inputs, outputs of a teacher filter plus noise.

    Parameters
    ----------
    arch : Architecture
        Any architecture: strides and D-dimensional filters included.
    samples : int
        Number of samples ``N``.
    rng : numpy.random.Generator
        Source of every random number.
    teacher : array_like, optional
        End-to-end filter with ``arch.size`` entries (any shape, read in C
        order); Gaussian when omitted.
    noise : float
        Standard deviation of Gaussian noise added to the outputs.
    d0 : int or tuple of int, optional
        Input size (a tuple of ``D`` sizes for D-dimensional filters); by
        default twice the end-to-end filter size per axis (stride one 1-D),
        else the smallest input with ``2 × end-to-end size`` outputs' worth of windows.

    Examples
    --------
    >>> ds = synth(Architecture((3, 2, 2)), 50, np.random.default_rng(0))
    >>> ds.X.shape, ds.Y.shape
    ((50, 10), (50, 6))
    >>> ds = synth(Architecture((3, 2), (2, 1)), 5, np.random.default_rng(0), d0=11)
    >>> ds.X.shape, ds.Y.shape
    ((5, 11), (5, 4))
    >>> ds = synth(Architecture(((2, 2), (2, 1))), 5, np.random.default_rng(0))
    >>> ds.X.shape, ds.Y.shape
    ((5, 6, 4), (5, 4, 3))
    """
    if samples < 1:
        raise CritlcnError(f"`samples` must be at least 1, got {samples}", parameter="samples")
    if noise < 0 or not np.isfinite(noise):
        raise CritlcnError(f"`noise` must be a finite number >= 0, got {noise}", parameter="noise")
    k = arch.size
    if arch.stride_one:
        d0 = 2 * k if d0 is None else int(np.ravel(d0)[0]) if np.size(d0) == 1 else d0
        if not isinstance(d0, (int, np.integer)):
            raise CritlcnError(f"`d0` = {d0} must be one number for 1-D filters, e.g. 12", parameter="d0")
        if d0 < k:
            raise CritlcnError(f"input size {d0} is below the filter size {k}: choose d0 >= {k}")
        shape = (int(d0),)
    else:
        if d0 is None:
            shape = tuple(2 * K for K in arch.end_format)
            if arch.axes == 1:
                shape = arch.input_size_for(max(2, arch.size))
        else:
            shape = tuple(int(v) for v in np.atleast_1d(d0))
            if len(shape) != arch.axes:
                raise CritlcnError(
                    f"`d0` = {d0} has {len(shape)} axes but {arch.label()} has {arch.axes}-dimensional filters; "
                    f"give {arch.axes} sizes", parameter="d0"
                )
        need = arch.min_input()
        if any(a < b for a, b in zip(shape, need)):
            raise CritlcnError(f"input size {_fmt(shape)} is below the smallest input {_fmt(need)} of {arch.label()}")
    if teacher is None:
        teacher = rng.normal(size=k)
    teacher = np.asarray(teacher, dtype=float)
    if teacher.size != k:
        raise CritlcnError(
            f"teacher filter has shape {teacher.shape} but {arch.label()} has end-to-end filter size {k}; give {k} numbers"
        )
    teacher = teacher.ravel()
    if not np.all(np.isfinite(teacher)):
        raise CritlcnError("teacher filter contains NaN or infinite values")
    X = rng.normal(size=(samples,) + shape)
    if arch.stride_one:
        W = toeplitz(teacher, shape[0])
        Y = X @ W.T + noise * rng.normal(size=(samples, shape[0] - k + 1))
    else:
        from critlcn.convolution import windows

        out = arch.layer_sizes(shape if arch.axes > 1 else shape[0])[-1]
        out = out if arch.axes > 1 else (out,)
        Y = (windows(arch, X) @ teacher).reshape((samples,) + tuple(out))
        Y = Y + noise * rng.normal(size=Y.shape)
    return Dataset(X, Y, source="synthetic")


def save(dataset: Dataset, path: str) -> None:
    """Write ``X`` and ``Y`` to ``path`` (.npz) atomically.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "d.npz")
    >>> save(dataset_from_arrays([[1.0, 2.0]], [[3.0]]), p); sorted(np.load(p).files)
    ['X', 'Y']
    """
    import io

    from critlcn.files import atomic_write

    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CritlcnError(f"cannot write {path}: folder {directory} does not exist; create it or pick another path")
    buf = io.BytesIO()
    np.savez(buf, X=dataset.X, Y=dataset.Y)
    try:
        atomic_write(path, buf.getvalue())
    except OSError as err:
        raise CritlcnError(f"cannot write {path}: {err.strerror}; pick a writable path") from None


def ar_windows(
    arch: Architecture,
    samples: int,
    rng: np.random.Generator,
    coefficients=(1.34, -0.65),
    noise: float = 1.0,
    d0: int | None = None,
) -> Dataset:
    """Realistic data: overlapping windows of one simulated autoregressive
    series, the targets the series ``k`` steps ahead (one-step forecasting).

    Windows of one series are strongly correlated and the series is smooth,
    so ``Q`` is badly conditioned and far from a Gaussian sample — the kind of
    data a user brings (the default coefficients give a damped ~10-step cycle,
    like yearly sunspot numbers). The series is standardised.

    Parameters
    ----------
    arch : Architecture
    samples : int
        Number of windows ``N``.
    rng : numpy.random.Generator
        Source of the innovations.
    coefficients : sequence of float
        ``a`` in ``s_t = Σ_i a_i s_{t−i} + ε_t``.
    noise : float
        Standard deviation of the innovations (before standardising).
    d0 : int, optional
        Window length; ``2 * arch.size`` when omitted.

    Examples
    --------
    >>> ds = ar_windows(Architecture((3, 2, 2)), 40, np.random.default_rng(0))
    >>> ds.X.shape, ds.Y.shape, ds.source
    ((40, 10), (40, 6), 'AR(2) windows')
    >>> bool(np.allclose(ds.X[1, :-1], ds.X[0, 1:]))
    True
    """
    if samples < 1:
        raise CritlcnError(f"`samples` must be at least 1, got {samples}", parameter="samples")
    a = np.asarray(coefficients, dtype=float)
    k = arch.size
    d0 = 2 * k if d0 is None else int(d0)
    if d0 < k:
        raise CritlcnError(f"input size {d0} is below the filter size {k}: choose d0 >= {k}")
    d_out = d0 - k + 1
    burn = 200
    length = burn + samples + d0 + k
    s = np.zeros(length)
    eps = noise * rng.normal(size=length)
    for t in range(length):
        s[t] = eps[t] + sum(a[i] * s[t - 1 - i] for i in range(a.size) if t - 1 - i >= 0)
    s = s[burn:]
    s = (s - s.mean()) / s.std()
    X = np.stack([s[n : n + d0] for n in range(samples)])
    # y_r = s at k steps after the start of the r-th filter window: the value
    # right after the window, predicted from the window
    Y = np.stack([s[n + k : n + k + d_out] for n in range(samples)])
    return Dataset(X, Y, source=f"AR({a.size}) windows")
