"""Presidio adapter (survey section 5.3): presidio-analyzer's pattern recognizers as a synthaudit detector, offline.

Presidio's default ``AnalyzerEngine()`` loads the spaCy model ``en_core_web_lg`` and fails offline. This adapter
builds the engine on presidio's ``NoOpNlpEngine`` (no model, no tokens) and registers its predefined recognizers
for English: the pattern and checksum recognizers (e-mail, phone via ``phonenumbers``, credit card, IBAN, IP, MAC,
URL, US SSN, dates, crypto wallets, UUIDs, ...) run; the NER recognizers (persons, locations) and context words
need an NLP pipeline and do not. Presidio has no recognizer for user names, tokens, paths or hostnames.

Its e-mail recognizer calls ``tldextract``, whose default extractor first tries to download the public suffix
list; the adapter points ``tldextract``'s module-level extractor at the suffix-list snapshot shipped with the
package (``suffix_list_urls=()``) so that nothing goes to the network.

Entity names map to synthaudit types (:data:`PRESIDIO_TYPES`; IP_ADDRESS is ipv4 or ipv6 by its text); other
entities keep presidio's name in lower case (``date_time``). Overlapping results are resolved like the built-in
detector's (longest first), so an URL fragment inside an e-mail address is dropped. No score threshold is
applied (presidio's own pattern scores, 0.4-1.0, are not comparable across recognizers).
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Sequence

from synthaudit.detect.sensitive import Detector, Span, resolve_overlaps
from synthaudit.errors import UsageError

PRESIDIO_TYPES: dict[str, str] = {
    "EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "IP_ADDRESS": "ip", "MAC_ADDRESS": "mac_address",
    "IBAN_CODE": "iban", "CREDIT_CARD": "credit_card", "US_SSN": "ssn", "URL": "url",
}
INSTALL = "pip install presidio-analyzer"


def _offline_tldextract() -> None:
    import tldextract
    from tldextract import tldextract as module

    if getattr(module.TLD_EXTRACTOR, "suffix_list_urls", ()):
        module.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())


@lru_cache(maxsize=1)
def analyzer() -> Any:
    """presidio's AnalyzerEngine on the no-op NLP engine with the predefined English recognizers (built once)."""
    try:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
    except ImportError as exc:
        raise UsageError(f"the presidio detector needs presidio-analyzer, which is not installed ({exc})",
                         field="--detector",
                         hint=f"{INSTALL} (its pattern recognizers run offline: no spaCy model is downloaded), "
                              "or use --detector builtin") from None
    _offline_tldextract()
    engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    engine.load()
    log = logging.getLogger("presidio-analyzer")
    level = log.level
    log.setLevel(logging.ERROR)  # loading warns about every recognizer of another language it skips
    try:
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.load_predefined_recognizers(nlp_engine=engine, languages=["en"])
        return AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])
    finally:
        log.setLevel(level)


def _type(entity: str, text: str) -> str:
    kind = PRESIDIO_TYPES.get(entity, entity.lower())
    if kind == "ip":
        return "ipv6" if ":" in text else "ipv4"
    return kind


def _entities(types: Sequence[str] | None, supported: Sequence[str]) -> list[str] | None:
    """The presidio entities serving ``types`` (None: all); types presidio cannot find map to nothing."""
    if types is None:
        return None
    wanted = set(types) | ({"ip"} if {"ipv4", "ipv6"} & set(types) else set())
    names = [e for e, t in PRESIDIO_TYPES.items() if t in wanted]
    names += [t.upper() for t in types if t.upper() not in PRESIDIO_TYPES]
    return [e for e in names if e in set(supported)]


def presidio_detector(types: Sequence[str] | None = None) -> Detector:
    """A detector running presidio's pattern recognizers (only the entities of ``types`` when given). Raises
    UsageError with the install command when presidio-analyzer is missing."""
    engine = analyzer()
    entities = _entities(types, engine.get_supported_entities("en"))
    wanted = None if types is None else set(types)

    def run(text: str) -> list[Span]:
        if not text or entities == []:
            return []
        found = []
        for r in engine.analyze(text=text, language="en", entities=entities):
            kind = _type(r.entity_type, text[r.start:r.end])
            if wanted is None or kind in wanted:
                found.append(Span(r.start, r.end, kind, text[r.start:r.end]))
        return resolve_overlaps(found)

    run.__name__ = "presidio"
    return run


def describe() -> str:
    try:
        import presidio_analyzer  # noqa: F401
        from importlib.metadata import version

        v = version("presidio-analyzer")
    except ImportError:
        return f"presidio (not installed: {INSTALL})"
    return (f"presidio-analyzer {v} pattern recognizers on the no-op NLP engine (offline; no NER): "
            "e-mail, phone, IP, MAC, IBAN, credit card, US SSN, URL and presidio's other pattern entities")
