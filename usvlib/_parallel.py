"""Run independent jobs (one per recording) in worker processes, results in order."""

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
) -> Iterator:
    """``map(func, jobs)`` over ``workers`` processes (in this process when 1), in order.

    Uses fork where the platform has it (works from any ``__main__``, stdin included; the jobs
    use numpy only), spawn elsewhere. ``one_thread_each``: each worker's BLAS runs one thread
    (the extraction keeps the library's default, with which its cached products were made).
    """
    jobs = list(jobs)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc=desc, unit=unit)
    try:
        if workers <= 1:
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
