"""Running independent pieces of work in processes or on a Dask cluster.

phcpy keeps global state in its C/Ada core and is not thread-safe, so work is
spread over processes: a local fork pool for ``--jobs N``, or the workers of
an existing Dask distributed cluster for ``--scheduler ADDRESS``. Results come
back in input order either way, so serial, pooled and Dask runs agree.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Sequence

from critlcn.errors import CritlcnError

__all__ = ["pmap", "Progress"]


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
         progress: Callable[[object], None] | None = None) -> list:
    """``[func(x) for x in items]``, in order, over ``jobs`` processes or on the
    Dask cluster at ``scheduler``; ``progress(result)`` is called as each
    result arrives.

    Examples
    --------
    >>> pmap(abs, [-1, 2, -3], jobs=2)
    [1, 2, 3]
    """
    items: Sequence = list(items)
    tick = progress or (lambda result: None)
    if scheduler:
        return _dask_map(func, items, scheduler, tick)
    if jobs <= 1 or len(items) <= 1:
        out = []
        for x in items:
            out.append(func(x))
            tick(out[-1])
        return out
    out = [None] * len(items)
    with ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=mp.get_context("fork")) as pool:
        futures = {pool.submit(func, x): i for i, x in enumerate(items)}
        from concurrent.futures import as_completed

        for fut in as_completed(futures):
            out[futures[fut]] = fut.result()
            tick(out[futures[fut]])
    return out


def _dask_map(func, items, scheduler: str, tick) -> list:
    try:
        from distributed import Client
    except ImportError:
        raise CritlcnError("`scheduler` needs Dask: pip install 'dask[distributed]'", parameter="scheduler") from None
    try:
        client = Client(scheduler, timeout=10, set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise CritlcnError(f"cannot reach the Dask scheduler at {scheduler}: {err}; start one with "
                           "`dask scheduler` or drop `scheduler`", exit_code=2, parameter="scheduler") from None
    try:
        # pure=False: equal inputs (e.g. two batches of one stratum) are separate tasks
        futures = client.map(func, items, pure=False)
        out = []
        for fut in futures:  # all run at once; collecting in order keeps results aligned
            out.append(fut.result())
            tick(out[-1])
        return out
    finally:
        client.close()
