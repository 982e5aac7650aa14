"""Metric states between processes and on disk (issue #13: Ray workers, resumable audits).

A state may refer to the audit's inputs, models or feature cache (a record metric keeps them to score
batches); those are written as references and bound again to the receiving process's own objects, so a
state never carries the data or a model. Files are checked before they are read: an HMAC-SHA256 under a
per-user key (created 0600 in the synthaudit cache) must match, and the unpickler accepts only the types
metric states are made of (numpy, pandas, collections, synthaudit, datasketches) -- never arbitrary classes.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import os
import pickle
from pathlib import Path
from typing import Any

from synthaudit.errors import InputError

#: modules whose globals a state file may name (prefix match on the dotted module path)
_ALLOWED_MODULES = ("numpy", "pandas", "collections", "synthaudit", "datasketches", "copyreg", "_codecs",
                    "datetime", "decimal", "fractions", "scipy.sparse", "pyarrow")
_ALLOWED_BUILTINS = {"dict", "list", "set", "frozenset", "tuple", "bytes", "bytearray", "complex", "slice",
                     "range", "int", "float", "str", "bool", "object", "getattr"}
_REFS = ("inputs", "models", "features")


class _Pickler(pickle.Pickler):
    def __init__(self, buffer: io.BytesIO, bound: dict[int, str]) -> None:
        super().__init__(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        self._bound = bound

    def persistent_id(self, obj: Any) -> str | None:  # noqa: D401 - pickle hook
        return self._bound.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, buffer: io.BytesIO, bound: dict[str, Any], restricted: bool) -> None:
        super().__init__(buffer)
        self._bound, self._restricted = bound, restricted

    def persistent_load(self, pid: str) -> Any:
        if pid.startswith("model:") and self._bound.get("models") is not None:
            return self._bound["models"].get(pid[len("model:"):])  # this process's copy, loaded once
        if pid not in self._bound:
            raise pickle.UnpicklingError(f"unknown reference {pid!r}")
        return self._bound[pid]

    def find_class(self, module: str, name: str) -> Any:
        if self._restricted:
            top_ok = any(module == m or module.startswith(m + ".") for m in _ALLOWED_MODULES)
            if not (top_ok or (module == "builtins" and name in _ALLOWED_BUILTINS)):
                raise pickle.UnpicklingError(f"a state file may not name {module}.{name}")
        return super().find_class(module, name)


def _bindings(inputs: Any, models: Any) -> dict[str, Any]:
    return {"inputs": inputs, "models": models, "features": getattr(inputs, "features", None)}


def dumps(obj: Any, inputs: Any, models: Any) -> bytes:
    """Serialise ``obj`` with references in place of the audit's inputs, models, feature cache and every loaded
    model (a state that holds a model gets the receiving process's own copy, never the weights)."""
    bound = {id(v): k for k, v in _bindings(inputs, models).items() if v is not None}
    for kind, loaded in (getattr(models, "_loaded", None) or {}).items():
        bound[id(loaded)] = f"model:{kind}"
    buffer = io.BytesIO()
    _Pickler(buffer, bound).dump(obj)
    return buffer.getvalue()


def loads(data: bytes, inputs: Any, models: Any, *, restricted: bool = False) -> Any:
    """The object :func:`dumps` wrote, its references bound to this process's inputs and models."""
    return _Unpickler(io.BytesIO(data), _bindings(inputs, models), restricted).load()


# -- files ------------------------------------------------------------------------------------------------------
def _key() -> bytes:
    from synthaudit.models._hf import cache_dir

    path = cache_dir() / "checkpoint.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(32))
    return path.read_bytes()


def write_state_file(path: Path, obj: Any, inputs: Any, models: Any) -> None:
    """Write atomically (temporary file then rename): a killed process leaves no half-written state."""
    payload = dumps(obj, inputs, models)
    mac = hmac.new(_key(), payload, hashlib.sha256).digest()
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_bytes(mac + payload)
    os.replace(tmp, path)


def read_state_file(path: Path, inputs: Any, models: Any) -> Any:
    data = path.read_bytes()
    mac, payload = data[:32], data[32:]
    if not hmac.compare_digest(mac, hmac.new(_key(), payload, hashlib.sha256).digest()):
        raise InputError("was not written by synthaudit under this user's key (or is corrupt); delete the "
                         "checkpoint folder to start the audit afresh", file=str(path))
    return loads(payload, inputs, models, restricted=True)
