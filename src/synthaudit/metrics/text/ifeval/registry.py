"""Every IFEval instruction id mapped to its checker and the kwargs it takes (survey section 2.2; Zhou et al.
2023). ``normalize`` validates one instruction's kwargs (None-valued kwargs are ignored, as IFEval does);
``follows`` applies a checker in strict mode (the raw response) or loose mode (IFEval's eight variants:
the response, without its first line, last line or both, each also with ``*`` removed -- any may pass).

Unlike IFEval, a missing required kwarg is an error here rather than a randomly drawn value: an audit must
be deterministic.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from synthaudit.metrics.text.ifeval import checkers as c

#: kinds of kwarg values: a non-negative integer, a relation, a non-empty string, a non-empty list of strings
COUNT, RELATION, TEXT, WORDS = "count", "relation", "text", "words"


class RuleError(ValueError):
    """An unknown instruction id or malformed kwargs (the data layer adds the file and record)."""


class UnknownInstructionError(RuleError):
    """An instruction id IFEval does not define."""


@dataclass(frozen=True)
class Instruction:
    """One verifiable instruction type: its checker and the kwargs (name -> kind) it needs."""

    id: str
    check: Callable[..., bool]
    kwargs: Mapping[str, str] = field(default_factory=dict)


def _spec(iid: str, check: Callable[..., bool], **kwargs: str) -> tuple[str, Instruction]:
    return iid, Instruction(iid, check, kwargs)


INSTRUCTIONS: dict[str, Instruction] = dict([
    _spec("keywords:existence", c.keywords_existence, keywords=WORDS),
    _spec("keywords:frequency", c.keywords_frequency, keyword=TEXT, frequency=COUNT, relation=RELATION),
    _spec("keywords:forbidden_words", c.keywords_forbidden_words, forbidden_words=WORDS),
    _spec("keywords:letter_frequency", c.keywords_letter_frequency, letter=TEXT, let_frequency=COUNT,
          let_relation=RELATION),
    _spec("language:response_language", c.language_response_language, language=TEXT),
    _spec("length_constraints:number_sentences", c.length_number_sentences, num_sentences=COUNT,
          relation=RELATION),
    _spec("length_constraints:number_paragraphs", c.length_number_paragraphs, num_paragraphs=COUNT),
    _spec("length_constraints:number_words", c.length_number_words, num_words=COUNT, relation=RELATION),
    _spec("length_constraints:nth_paragraph_first_word", c.length_nth_paragraph_first_word,
          num_paragraphs=COUNT, nth_paragraph=COUNT, first_word=TEXT),
    _spec("detectable_content:number_placeholders", c.content_number_placeholders, num_placeholders=COUNT),
    _spec("detectable_content:postscript", c.content_postscript, postscript_marker=TEXT),
    _spec("detectable_format:number_bullet_lists", c.format_number_bullet_lists, num_bullets=COUNT),
    _spec("detectable_format:constrained_response", c.format_constrained_response),
    _spec("detectable_format:number_highlighted_sections", c.format_number_highlighted_sections,
          num_highlights=COUNT),
    _spec("detectable_format:multiple_sections", c.format_multiple_sections, section_spliter=TEXT,
          num_sections=COUNT),
    _spec("detectable_format:json_format", c.format_json_format),
    _spec("detectable_format:title", c.format_title),
    _spec("combination:two_responses", c.combination_two_responses),
    _spec("combination:repeat_prompt", c.combination_repeat_prompt, prompt_to_repeat=TEXT),
    _spec("startend:end_checker", c.startend_end_checker, end_phrase=TEXT),
    _spec("startend:quotation", c.startend_quotation),
    _spec("change_case:capital_word_frequency", c.case_capital_word_frequency, capital_frequency=COUNT,
          capital_relation=RELATION),
    _spec("change_case:english_capital", c.case_english_capital),
    _spec("change_case:english_lowercase", c.case_english_lowercase),
    _spec("punctuation:no_comma", c.punctuation_no_comma),
])


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _value(name: str, kind: str, value: Any) -> Any:
    if kind == COUNT:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer() \
                or value < 0:
            raise RuleError(f"kwarg {name!r} must be a non-negative integer, got {value!r}")
        return int(value)
    if kind == RELATION:
        if value not in c.RELATIONS:
            raise RuleError(f"kwarg {name!r} must be one of {', '.join(map(repr, c.RELATIONS))}, got {value!r}")
        return value
    if kind == TEXT:
        if not isinstance(value, str) or not value.strip():
            raise RuleError(f"kwarg {name!r} must be a non-empty string, got {value!r}")
        return value
    words = list(value) if isinstance(value, (list, tuple)) or hasattr(value, "tolist") else None
    if not words or not all(isinstance(w, str) and w for w in words):
        raise RuleError(f"kwarg {name!r} must be a non-empty list of non-empty strings, got {value!r}")
    return words


def normalize(instruction_id: str, kwargs: Any) -> dict[str, Any]:
    """The validated kwargs of one instruction (None values dropped); raises :class:`RuleError`."""
    spec = INSTRUCTIONS.get(instruction_id)
    if spec is None:
        raise UnknownInstructionError(f"unknown instruction id {instruction_id!r} "
                                      f"(IFEval ids: {', '.join(INSTRUCTIONS)})")
    if kwargs is None:
        kwargs = {}
    if not isinstance(kwargs, Mapping):
        raise RuleError(f"kwargs of {instruction_id} must be an object, got {type(kwargs).__name__}")
    given = {str(k): v for k, v in kwargs.items() if not _is_missing(v)}
    unknown = sorted(set(given) - set(spec.kwargs))
    if unknown:
        allowed = ", ".join(spec.kwargs) or "none"
        raise RuleError(f"{instruction_id} takes no kwarg {', '.join(map(repr, unknown))} (its kwargs: {allowed})")
    missing = [k for k in spec.kwargs if k not in given]
    if missing:
        raise RuleError(f"{instruction_id} needs kwarg(s) {', '.join(map(repr, missing))}")
    out = {k: _value(k, spec.kwargs[k], given[k]) for k in spec.kwargs}
    if instruction_id == "keywords:letter_frequency" and len(out["letter"].strip()) != 1:
        raise RuleError(f"kwarg 'letter' must be a single character, got {out['letter']!r}")
    if instruction_id == "length_constraints:nth_paragraph_first_word" \
            and not 1 <= out["nth_paragraph"] <= out["num_paragraphs"]:
        raise RuleError(f"nth_paragraph must be between 1 and num_paragraphs ({out['num_paragraphs']}), "
                        f"got {out['nth_paragraph']}")
    return out


def normalize_all(ids: list[str], kwargs: list[Any]) -> list[dict[str, Any]]:
    """Validated kwargs of a whole instruction list (kwargs parallel to ids)."""
    if len(ids) != len(kwargs):
        raise RuleError(f"{len(ids)} instruction id(s) but {len(kwargs)} kwargs object(s); they must be parallel")
    return [normalize(i, k) for i, k in zip(ids, kwargs)]


def loose_variants(response: str) -> list[str]:
    """IFEval's loose variants of a response (distinct, in IFEval's order)."""
    lines = response.split("\n")
    trimmed = [response, "\n".join(lines[1:]).strip(), "\n".join(lines[:-1]).strip(), "\n".join(lines[1:-1]).strip()]
    variants = trimmed[:1] + [response.replace("*", "")] + trimmed[1:] + [t.replace("*", "") for t in trimmed[1:]]
    return list(dict.fromkeys(variants))


def follows(instruction_id: str, kwargs: Mapping[str, Any], response: str | None, mode: str = "strict") -> bool:
    """Whether ``response`` follows one (validated) instruction. A missing or blank response follows none."""
    if response is None:
        return False
    check = INSTRUCTIONS[instruction_id].check
    candidates = [response] if mode == "strict" else loose_variants(response)
    return any(r.strip() and check(r, **kwargs) for r in candidates)
