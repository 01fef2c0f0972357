"""Work spread over the machine's cores with threads, for NumPy and Arrow kernels that release the
GIL (sorts, gathers): at a million customers the feature gather and the dimension scores' ranks
take about half the time on two cores. Pure-Python work gains nothing from it."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 4  # beyond this a dashboard's sessions would only compete for the same cores


def workers() -> int:
    """Threads to use: the cores this process may run on, at most ``MAX_WORKERS``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


def map_threads(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[fn(x) for x in items]`` over :func:`workers` threads, in order; one thread runs it inline."""
    items = list(items)
    n = min(workers(), len(items))
    if n <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(fn, items))
