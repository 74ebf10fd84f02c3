"""Running independent pieces of work in processes or on a Dask cluster.

phcpy keeps global state in its C/Ada core and is not thread-safe, so work is
spread over processes: a local fork pool for ``--jobs N``, or the workers of
an existing Dask distributed cluster for ``--scheduler ADDRESS``. Results come
back in input order either way, so serial, pooled and Dask runs agree.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing as mp
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Sequence

from critlcn.errors import CritlcnError

__all__ = ["pmap", "Progress", "check_scheduler_address", "single_threaded_blas", "roomy_heap"]


@functools.lru_cache(maxsize=1)
def _openblas_threads():
    """``(get, set)`` for the thread count of the OpenBLAS numpy loaded, or
    None (another BLAS, or no ``/proc/self/maps``: nothing to limit)."""
    import ctypes

    import numpy  # noqa: F401  (loads its BLAS, so that it is in the maps below)

    try:
        with open("/proc/self/maps") as maps:
            # scipy-openblas wheels (libscipy_openblas64_…so) and Debian's
            # /usr/lib/…/openblas-pthread/libblas.so.3 alike
            paths = sorted({line.split()[-1] for line in maps
                            if "/" in line and "openblas" in line.split()[-1].lower()})
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"),
                               ("openblas", "")):
            get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and put is not None:
                get.restype, put.argtypes = ctypes.c_int, [ctypes.c_int]
                return get, put
    return None


def _libc():
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


# glibc's mallopt parameters
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_DEFAULT_MMAP_THRESHOLD = 128 * 1024


@contextlib.contextmanager
def roomy_heap():
    """Run the enclosed code with glibc keeping freed memory for reuse, when
    the process was started with a small ``MALLOC_TRIM_THRESHOLD_`` (as Dask's
    nanny starts every worker: 64 KiB); restored, and the heap trimmed, after.

    With that setting glibc returns every freed array of more than 128 KiB
    to the system, so numpy's temporaries are page-faulted in again at each
    operation: evaluating monomials at a stratum's end points took 0.64 s
    instead of 0.11 s, and finishing a stratum 1.38× as long, in a Dask
    worker as in the calling process (d = 8, λ = 3-2-1-1-1, realistic data).
    Without the variable (or without glibc) this does nothing.

    Examples
    --------
    >>> import numpy as np
    >>> with roomy_heap():
    ...     float(np.ones(10**6).sum())
    1000000.0
    """
    import os

    trim = os.environ.get("MALLOC_TRIM_THRESHOLD_", "")
    libc = _libc() if trim.isdigit() else None
    if libc is None:
        yield
        return
    libc.mallopt(_M_TRIM_THRESHOLD, 1 << 28)
    libc.mallopt(_M_MMAP_THRESHOLD, 1 << 24)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _DEFAULT_MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, int(trim))
        libc.malloc_trim(0)


@contextlib.contextmanager
def single_threaded_blas():
    """Run the enclosed numpy code with one OpenBLAS thread (restored after).

    The solver's linear algebra is many small products (a few hundred points
    times tens of monomials) where OpenBLAS's threads cost more to wake than
    they save, and far more when the cores are busy with tracking processes
    or other work (Newton refinement at d = 8: 36 s with two threads on a
    loaded machine, 4.6 s with one). critlcn parallelises over processes
    (``--jobs``) instead. Rounding in a threaded product may differ in the
    last bit from a one-threaded one, as it does between machines.

    Examples
    --------
    >>> import numpy as np
    >>> with single_threaded_blas():
    ...     float(np.ones((50, 50)) @ np.ones(50) @ np.ones(50))
    2500.0
    """
    ctl = _openblas_threads()
    if ctl is None:
        yield
        return
    get, put = ctl
    before = get()
    put(1)
    try:
        yield
    finally:
        put(before)


class Progress:
    """A one-line progress display on stderr, shown only on a terminal.

    Examples
    --------
    >>> p = Progress("solve", total=3, enabled=False)
    >>> p.advance(paths=10); p.advance(paths=5); p.done, p.paths
    (2, 15)
    """

    def __init__(self, label: str, total: int, enabled: bool | None = None, stream=None):
        self.label, self.total, self.done, self.paths = label, total, 0, 0
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled

    def advance(self, paths: int = 0) -> None:
        """One more piece finished, having tracked ``paths`` paths."""
        self.done += 1
        self.paths += paths
        if self.enabled:
            width = 24
            filled = int(width * self.done / max(self.total, 1))
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                              f"{self.done}/{self.total} pieces, {self.paths} paths tracked")
            if self.done >= self.total:
                self.stream.write("\n")
            self.stream.flush()


def pmap(func: Callable, items: Iterable, jobs: int = 1, scheduler: str | None = None,
         progress: Callable[[object], None] | None = None, fresh: bool = False) -> list:
    """``[func(x) for x in items]``, in order, over ``jobs`` processes or on the
    Dask cluster at ``scheduler``; ``progress(result)`` is called as each
    result arrives. With ``fresh``, every item runs in a new process (even
    with one job), so that memory PHCpack does not give back is returned
    after each item: a start-system build's workers grew to 9 GB at d = 10.

    Examples
    --------
    >>> pmap(abs, [-1, 2, -3], jobs=2)
    [1, 2, 3]
    """
    items: Sequence = list(items)
    tick = progress or (lambda result: None)
    if scheduler:
        return _dask_map(func, items, scheduler, tick)
    if fresh and items:
        pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(items))), mp_context=mp.get_context("spawn"),
                                   max_tasks_per_child=1)
    elif jobs <= 1 or len(items) <= 1:
        out = []
        for x in items:
            out.append(func(x))
            tick(out[-1])
        return out
    else:
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=mp.get_context("fork"))
    out = [None] * len(items)
    with pool:
        futures = {pool.submit(func, x): i for i, x in enumerate(items)}
        from concurrent.futures import as_completed

        for fut in as_completed(futures):
            out[futures[fut]] = fut.result()
            tick(out[futures[fut]])
    return out


#: Seconds to wait for a Dask scheduler to answer, and then for a worker to join.
CONNECT_TIMEOUT = 10
WORKER_TIMEOUT = 15

_ADDRESS = re.compile(r"^(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})$")
_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")


def check_scheduler_address(address: str) -> str:
    """``address`` if it looks like a Dask scheduler address
    (``[SCHEME://]HOST:PORT``), else a `CritlcnError` saying what to give.

    Examples
    --------
    >>> check_scheduler_address("tcp://127.0.0.1:8786")
    'tcp://127.0.0.1:8786'
    >>> check_scheduler_address("nonsense")
    Traceback (most recent call last):
    ...
    critlcn.errors.CritlcnError: scheduler address 'nonsense' is not of the form tcp://HOST:PORT; give the address `dask scheduler` prints, e.g. tcp://127.0.0.1:8786
    """
    m = _ADDRESS.match(str(address).strip())
    ok = m is not None and (m["scheme"] or "tcp") in _SCHEMES and 0 < int(m["port"]) < 65536
    if not ok:
        raise CritlcnError(f"scheduler address {address!r} is not of the form tcp://HOST:PORT; give the address "
                           "`dask scheduler` prints, e.g. tcp://127.0.0.1:8786")
    return str(address).strip()


def _dask_map(func, items, scheduler: str, tick) -> list:
    scheduler = check_scheduler_address(scheduler)
    try:
        from distributed import Client
    except ImportError:
        raise CritlcnError("`scheduler` needs Dask: pip install 'dask[distributed]'", parameter="scheduler") from None
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except Exception as err:  # OSError, TimeoutError, name resolution: all mean "not there"
        raise CritlcnError(f"cannot reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT} s "
                           f"({type(err).__name__}); start one with `dask scheduler` and workers with "
                           f"`dask worker {scheduler}`, or run without a scheduler", exit_code=2, parameter="scheduler") from None
    try:
        try:
            # a scheduler without workers accepts tasks and never runs them
            client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
        except Exception:
            raise CritlcnError(f"the Dask scheduler at {scheduler} has no workers (waited {WORKER_TIMEOUT} s); "
                               f"start some with `dask worker {scheduler}`, or run without a scheduler",
                               exit_code=2) from None
        # pure=False: equal inputs (e.g. two batches of one stratum) are separate tasks
        futures = client.map(func, items, pure=False)
        out = []
        for fut in futures:  # all run at once; collecting in order keeps results aligned
            out.append(fut.result())
            tick(out[-1])
        return out
    finally:
        client.close()
