import math
import os

import pytest

from critlcn.errors import CritlcnError
from critlcn.parallel import pmap


def square_root_table(x):
    return [math.sqrt(x + i) for i in range(3)]


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    yield cluster
    cluster.close()


def test_pool_and_serial_agree():
    items = list(range(17))
    assert pmap(square_root_table, items, jobs=2) == [square_root_table(x) for x in items]


def test_dask_agrees_with_serial(dask_cluster):
    items = list(range(23)) + [5, 5]  # repeated inputs must stay separate tasks
    seen = []
    out = pmap(square_root_table, items, scheduler=dask_cluster.scheduler_address, progress=seen.append)
    assert out == [square_root_table(x) for x in items]
    assert len(seen) == len(items)


def test_unreachable_scheduler_is_a_one_line_error():
    with pytest.raises(CritlcnError, match="cannot reach the Dask scheduler"):
        pmap(abs, [1, 2], scheduler="tcp://127.0.0.1:9")


def test_single_threaded_blas_sets_one_thread_and_restores():
    import numpy as np
    import pytest

    from critlcn.parallel import _openblas_threads, single_threaded_blas

    ctl = _openblas_threads()
    if ctl is None:
        pytest.skip("numpy is not linked to OpenBLAS here")
    get, _ = ctl
    before = get()

    @single_threaded_blas()
    def inside():
        return get(), float(np.ones((300, 300)) @ np.ones(300) @ np.ones(300))

    assert inside() == (1, 90000.0)
    assert get() == before


def _pid(_):
    return os.getpid()


def test_fresh_runs_every_item_in_a_new_process():
    """Builds use ``fresh`` so that memory PHCpack keeps is returned after
    each partition: no two items may share a process, nor run in the caller."""
    from critlcn.parallel import pmap

    pids = pmap(_pid, range(3), jobs=2, fresh=True)
    assert len(set(pids)) == 3 and os.getpid() not in pids
    assert pmap(abs, [-1, 2], jobs=1, fresh=True) == [1, 2]


def test_roomy_heap_keeps_freed_arrays_where_dask_workers_trim_them():
    # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536: every freed
    # array over 128 KiB goes back to the system and is page-faulted in again.
    # Counted in page faults (not time), in a process started the same way.
    import subprocess
    import sys

    code = """
import resource, numpy as np
from critlcn.parallel import roomy_heap
def faults(n=200):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        a = np.ones(1 << 17)  # 1 MiB
        del a
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
faults(5)
plain = faults()
with roomy_heap():
    faults(5)
    roomy = faults()
after = faults()
print(plain, roomy, after)
"""
    env = dict(os.environ, MALLOC_TRIM_THRESHOLD_="65536")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    plain, roomy, after = map(int, out.stdout.split())
    assert plain >= 200 * 200  # 256 pages per MiB, every time
    assert roomy < plain / 20
    assert after >= 200 * 200  # restored afterwards
