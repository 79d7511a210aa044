"""Run independent jobs (one per recording, one per fold) in worker processes, results in order.

Locally: a pool of forked processes. On a Dask distributed cluster when a scheduler's address is
given (``scheduler=`` or the environment variable ``USVLIB_SCHEDULER``): the same jobs as tasks
(``pip install 'usvlib[cluster]'``); the workers must see the same files (a shared filesystem).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator


def default_workers() -> int:
    """Worker processes: the CPUs this process may use, at most 8."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, min(8, n))


SCHEDULER_ENV = "USVLIB_SCHEDULER"
"""Environment variable naming a Dask scheduler (``tcp://host:8786``) for every command."""


LOCAL = "local"
"""A ``scheduler`` meaning this machine's processes, whatever ``$USVLIB_SCHEDULER`` says (work that
shares one file, which a cluster's workers may not see)."""


def scheduler_address(scheduler: str | None = None) -> str | None:
    """The Dask scheduler to use: ``scheduler``, else ``$USVLIB_SCHEDULER``, else None (local; also
    for :data:`LOCAL`)."""
    if scheduler == LOCAL:
        return None
    return scheduler or os.environ.get(SCHEDULER_ENV) or None


def dask_client(address: str):
    """A ``distributed.Client`` connected to ``address``, or a one-line error saying what to install."""
    from usvlib.errors import UsvlibError

    try:
        from distributed import Client
    except ImportError:
        raise UsvlibError(
            f"a Dask scheduler was given ({address}) but dask.distributed is not installed - "
            "pip install 'usvlib[cluster]'"
        ) from None
    try:
        _reachable(address)
        return Client(address, timeout=30)
    except OSError as exc:
        raise UsvlibError(f"cannot reach the Dask scheduler at {address} ({exc}) - is it running?") from None


def _reachable(address: str) -> None:
    """Raise OSError at once where nothing listens at a tcp:// address (Client would wait 30 s)."""
    import socket
    from urllib.parse import urlparse

    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    if parsed.scheme == "tcp" and parsed.hostname and parsed.port:
        socket.create_connection((parsed.hostname, parsed.port), timeout=5).close()


def in_order(client, futures: list, bar=None) -> Iterator:
    """The results of Dask ``futures`` in their order (the cluster works on all of them meanwhile);
    those not yet collected are cancelled when the caller stops early or fails."""
    try:
        for future in futures:
            yield future.result()
            if bar is not None:
                bar.update()
    finally:
        client.cancel(futures)


def _dask_map(func: Callable, jobs: list, address: str, bar) -> Iterator:
    with dask_client(address) as client:
        yield from in_order(client, client.map(func, jobs, pure=False), bar)


def _one_thread_each() -> None:
    # every worker is one process on one core: a multi-threaded BLAS inside it would only
    # fight the other workers for the cores (small matrices, many calls)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass


def process_map(
    func: Callable,
    jobs: Iterable,
    *,
    workers: int,
    progress: bool = False,
    desc: str = "",
    unit: str = "it",
    one_thread_each: bool = True,
    scheduler: str | None = None,
) -> Iterator:
    """``map(func, jobs)`` over ``workers`` processes (in this process when 1), in order.

    With ``scheduler`` (a Dask scheduler's address; default ``$USVLIB_SCHEDULER``), the jobs run
    on that cluster instead and ``workers`` is ignored; ``func`` and the jobs are sent to the
    workers (cloudpickle).

    Uses fork where the platform has it (works from any ``__main__``, stdin included; the jobs
    use numpy only), spawn elsewhere. ``one_thread_each``: each worker's BLAS runs one thread
    (the extraction keeps the library's default, with which its cached products were made).
    """
    jobs = list(jobs)
    scheduler = scheduler_address(scheduler)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc=desc, unit=unit)
    try:
        if scheduler:
            yield from _dask_map(func, jobs, scheduler, bar)
        elif workers <= 1:
            for job in jobs:
                yield func(job)
                if bar is not None:
                    bar.update()
        else:
            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            initializer = _one_thread_each if one_thread_each else None
            with cf.ProcessPoolExecutor(workers, mp_context=mp.get_context(method), initializer=initializer) as pool:
                for result in pool.map(func, jobs):
                    yield result
                    if bar is not None:
                        bar.update()
    finally:
        if bar is not None:
            bar.close()
