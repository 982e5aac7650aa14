"""Shared Hugging Face plumbing for the model backends: offline defaults, quiet loading, a cache dir."""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import logging
import os
from pathlib import Path
from typing import Any, Callable, Iterator


def cache_dir() -> Path:
    """Where converted models and the LLM response cache live (``SYNTHAUDIT_CACHE`` overrides)."""
    root = os.environ.get("SYNTHAUDIT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "synthaudit")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def package_dir(module: str) -> Path | None:
    """The folder of an installed package, found without importing it (None when absent)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence transformers' progress bars and advisory logs while a model loads."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    loggers = [logging.getLogger(n) for n in ("transformers", "sentence_transformers", "huggingface_hub")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        from transformers.utils import logging as tlog

        tlog.disable_progress_bar()
    except Exception:  # pragma: no cover - transformers missing: the caller fails with a clear error
        pass
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        for lg, lv in zip(loggers, levels):
            lg.setLevel(lv)


_THREADS_SET = False
_THREADS: int | None = None  # torch's CPU threads, chosen once per process by device()


def device() -> str:
    """'cuda' when a GPU is visible to torch, else 'cpu' (everything runs and is tested on CPU).

    On first use it also sets torch's CPU threads, once per process: ``SYNTHAUDIT_TORCH_THREADS`` when
    set, else half the cores (at least 1). Measured on 2 cores (SmolLM2 scoring): 1 thread ran a steady
    ~440 tokens/s; 2 threads reached ~840 on an idle machine but fell to 11-185 whenever anything else
    used the other core (busy-waiting OpenMP workers), so small machines default to one thread."""
    global _THREADS_SET, _THREADS
    import torch

    if not _THREADS_SET:
        _THREADS_SET = True
        wanted = os.environ.get("SYNTHAUDIT_TORCH_THREADS")
        n = int(wanted) if wanted and wanted.isdigit() and int(wanted) > 0 else max(1, (os.cpu_count() or 2) // 2)
        _THREADS = n
        torch.set_num_threads(n)
    return "cuda" if torch.cuda.is_available() else "cpu"


def pinned(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a model call with the thread count :func:`device` chose. numba's parallel kernels (graph descriptors,
    nearest neighbours) reset the process-wide OpenMP thread count that torch reads; a later forward pass would
    then run with another count, sum in another order and differ in the last bits from the same audit on a Ray
    worker (found by tests/test_ray_engine.py)."""
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        if _THREADS is not None:
            import torch

            if torch.get_num_threads() != _THREADS:
                torch.set_num_threads(_THREADS)
        return fn(*args, **kwargs)

    return call


def label_index(id2label: dict, wanted: tuple[str, ...], fallback: int | None, what: str, name: str) -> int:
    """The output index whose label contains one of ``wanted`` (case-insensitive); else ``fallback``."""
    for idx, label in sorted((int(k), str(v).lower()) for k, v in id2label.items()):
        if any(w in label for w in wanted) and not label.startswith(("non", "not", "un")):
            return idx
    if fallback is not None and fallback < len(id2label):
        return fallback
    raise ValueError(f"{name}: cannot tell which output label means {what!r} from its labels "
                     f"{dict(id2label)}; name it with the backend's 'label' option")
