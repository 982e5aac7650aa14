"""Model backends behind small Protocols, loaded lazily (DESIGN.md, 'Inputs and models').

``Models`` maps the catalog's model kinds (``sentence_embedder``, ``causal_lm``, ``llm_judge``,
``downstream_learner``, ...) to factories. Nothing heavy is imported until a metric asks for it.
A kind whose backend cannot be loaded is reported by the planner as a gap with the reason.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class ModelBackend:
    kind: str
    name: str
    factory: Callable[[], Any]
    requires: tuple[str, ...] = ()  # importable modules the backend needs
    flag: str = ""  # CLI flag that selects another backend

    def missing(self) -> list[str]:
        return [m for m in self.requires if importlib.util.find_spec(m) is None]


def _sklearn_learner() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression


@dataclass
class Models:
    """Lazily loaded model backends for one audit; ``get(kind)`` loads on first use and caches."""

    backends: dict[str, ModelBackend] = field(default_factory=dict)
    _loaded: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def default(cls) -> "Models":
        m = cls()
        m.add(ModelBackend("downstream_learner", "scikit-learn", _sklearn_learner, requires=("sklearn",)))
        return m

    def add(self, backend: ModelBackend) -> None:
        self.backends[backend.kind] = backend
        self._loaded.pop(backend.kind, None)

    def availability(self, kind: str) -> str | None:
        """None when the kind can be loaded, otherwise the reason it cannot."""
        if kind == "none":
            return None
        backend = self.backends.get(kind)
        if backend is None:
            return f"no '{kind}' backend is configured"
        missing = backend.missing()
        if missing:
            return f"the '{kind}' backend {backend.name} needs {', '.join(missing)}, which is not installed"
        return None

    def get(self, kind: str) -> Any:
        if kind not in self._loaded:
            reason = self.availability(kind)
            if reason:
                raise RuntimeError(reason)
            self._loaded[kind] = self.backends[kind].factory()
        return self._loaded[kind]

    def describe(self) -> dict[str, str]:
        return {k: b.name for k, b in self.backends.items()}
