"""Check per-metric parameter overrides against the registered specs (names and value types)."""
from __future__ import annotations

from typing import Any

from synthaudit.errors import UsageError
from synthaudit.metrics.registry import all_metrics


def check_params(params: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Validated copy of ``{metric_id: {param: value}}``; integers where the default is an integer."""
    out: dict[str, dict[str, Any]] = {}
    registered = all_metrics()
    for metric, values in (params or {}).items():
        if metric not in registered:
            raise UsageError(f"parameters given for {metric!r}, which is not an implemented metric", field="--param")
        if not isinstance(values, dict):
            raise UsageError(f"parameters of {metric} must be a mapping of name to value", field="--param")
        defaults = registered[metric].spec.default_params()
        for name, value in values.items():
            key = f"{metric}.{name}"
            if name not in defaults:
                known = ", ".join(defaults) or "none"
                raise UsageError(f"{metric} has no parameter {name!r} (its parameters: {known})", field="--param")
            default = defaults[name]
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
                if not numeric or (isinstance(default, int) and not float(value).is_integer()):
                    kind = "an integer" if isinstance(default, int) else "a number"
                    raise UsageError(f"{key} expects {kind} (default {default!r}), got {value!r}", field="--param")
                value = int(value) if isinstance(default, int) else float(value)
            out.setdefault(metric, {})[name] = value
    return out
