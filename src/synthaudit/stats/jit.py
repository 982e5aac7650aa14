"""numba's ``njit`` and ``prange`` when numba is installed, else plain-Python stand-ins (exact, slow), with the
compile cache in synthaudit's cache folder (``neighbors.numba_cache_dir``). Modules with compiled kernels import
them from here so that every kernel has the same fallback."""
from __future__ import annotations

import functools
from typing import Any, Callable

try:  # pragma: no cover - import guard
    from synthaudit.stats.neighbors import numba_cache_dir

    numba_cache_dir()
    from numba import njit, prange

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - the kernels then run as plain Python
    HAVE_NUMBA = False
    prange = range

    def njit(*args: Any, **kwargs: Any) -> Callable:
        def plain(f: Callable) -> Callable:
            return functools.wraps(f)(lambda *a, **k: f(*a, **k))

        return plain(args[0]) if args and callable(args[0]) else plain

__all__ = ["HAVE_NUMBA", "njit", "prange"]
