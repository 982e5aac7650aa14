"""Log templates (survey section 5.2): parsing messages into templates (Drain3 or the user's templates),
loghub-2.0's template correction, and the variables of a message under a template.

A template is the message with its variable parts replaced by ``<*>``. :func:`parse_logs` gives every message a
predicted template and a group (messages with the same template text form one group, as loghub-2.0's evaluation
groups messages by their ``EventTemplate`` text); :class:`LogParser` does the same batch by batch (a streamed
audit). :func:`normalise_template` is the correction loghub-2.0 applies
to ground-truth templates before comparing them (its ``-otc`` option); :func:`template_variables` reads the values
at the ``<*>`` of a template off a message.
"""
from __future__ import annotations

import operator
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from synthaudit.errors import InputError, UsageError

WILDCARD = "<*>"
METHODS = ("drain3", "templates")
CONFIG_KEYS = ("depth", "sim_th", "max_children", "max_clusters", "extra_delimiters", "masking",
               "parametrize_numeric_tokens")
MASK_NAME = re.compile(r"[A-Za-z0-9_.:-]+")
MEMO_MAX = 65536  # distinct messages the template matcher remembers


def drain3_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("drain3")
    except PackageNotFoundError:  # pragma: no cover - drain3 is a dependency of the logs extra
        return "?"


# -- the parser's settings -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParserConfig:
    """How messages are parsed: Drain3 with its settings, or matched against the user's templates."""

    method: str = "drain3"  # "drain3" | "templates"
    depth: int = 4
    sim_th: float = 0.4
    max_children: int = 100
    max_clusters: int | None = None
    extra_delimiters: tuple[str, ...] = ()
    masking: tuple[tuple[str, str], ...] = ()  # (regex, mask name)
    parametrize_numeric_tokens: bool = True
    templates: tuple[str, ...] = ()  # method "templates": the user's templates, <*> = a variable
    source: str | None = None  # the template file

    def describe(self) -> dict[str, Any]:
        if self.method == "templates":
            return {"method": "templates", "n_templates": len(self.templates), "source": self.source,
                    "matching": "a template is a regex where <*> is one or more tokens; the most specific match "
                                "(most static characters) wins; an unmatched message is its own template"}
        return {"method": "drain3", "drain3": drain3_version(), "depth": self.depth, "sim_th": self.sim_th,
                "max_children": self.max_children, "max_clusters": self.max_clusters,
                "extra_delimiters": list(self.extra_delimiters),
                "masking": [{"regex_pattern": r, "mask_with": m} for r, m in self.masking],
                "parametrize_numeric_tokens": self.parametrize_numeric_tokens}

    def label(self) -> str:
        """One line naming the parser and its settings (LogParse.method)."""
        if self.method == "templates":
            return f"templates ({len(self.templates)} user template(s){f' from {self.source}' if self.source else ''})"
        masks = ", ".join(m for _, m in self.masking) or "none"
        return (f"drain3 {drain3_version()} (depth {self.depth}, sim_th {self.sim_th:g}, max_children "
                f"{self.max_children}, max_clusters {self.max_clusters or 'unlimited'}, extra_delimiters "
                f"{list(self.extra_delimiters)}, masks {masks}, parametrize_numeric_tokens "
                f"{str(self.parametrize_numeric_tokens).lower()})")

    @classmethod
    def from_options(cls, parser: str, templates: Any, config: Any) -> "ParserConfig":
        """The config of ``--parser`` (drain3 | templates), ``--templates`` (a file: one template per line, or a
        CSV with an EventTemplate column; or a list) and ``--parser-config`` (a YAML file or a mapping of
        Drain3 settings). Anything wrong raises a UsageError/InputError naming the option."""
        parser = "drain3" if parser is None else str(parser).strip().lower()
        if parser not in METHODS:
            raise UsageError(f"unknown parser {parser!r}; expected one of {', '.join(METHODS)}", field="--parser")
        if parser == "templates":
            if templates is None:
                raise UsageError("--parser templates needs the templates", field="--templates",
                                 hint="pass --templates FILE (one template per line with <*> for variables, or "
                                      "a CSV with an EventTemplate column)")
            if config is not None:
                raise UsageError("the Drain3 settings apply to --parser drain3, not to --parser templates",
                                 field="--parser-config")
            found, source = _read_templates(templates)
            return cls(method="templates", templates=found, source=source)
        if templates is not None:
            raise UsageError("--templates is read only with --parser templates", field="--templates",
                             hint="add --parser templates, or drop --templates to parse with Drain3")
        settings, source = _read_config(config)
        return cls(method="drain3", source=source, **settings)


def _read_templates(value: Any) -> tuple[tuple[str, ...], str | None]:
    flag = "--templates"
    source = None
    if isinstance(value, (str, Path)):
        path = Path(value)
        source = str(path)
        if not path.is_file():
            raise InputError("template file not found" if not path.exists() else "is not a file", file=source,
                             field=flag)
        if path.suffix.lower() == ".csv":
            import pandas as pd

            try:
                frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            except Exception as exc:  # noqa: BLE001 - the reader's message is the reason
                raise InputError(f"cannot read the template CSV: {' '.join(str(exc).split())[:200]}", file=source,
                                 field=flag) from None
            if "EventTemplate" not in frame.columns:
                raise InputError(f"a template CSV needs an EventTemplate column; columns: "
                                 f"{', '.join(map(str, frame.columns[:12]))}", file=source, field=flag)
            raw = list(frame["EventTemplate"])
        else:
            try:
                raw = path.read_text(encoding="utf-8").splitlines()
            except UnicodeDecodeError:
                raise InputError("is not valid UTF-8 text", file=source, field=flag) from None
    elif isinstance(value, (list, tuple)):
        bad = next((i for i, t in enumerate(value) if not isinstance(t, str)), None)
        if bad is not None:
            raise UsageError(f"template {bad} is a {type(value[bad]).__name__}, expected a string", field=flag)
        raw = list(value)
    else:
        raise UsageError(f"expected a template file or a list of templates, got {type(value).__name__}", field=flag)
    out = tuple(dict.fromkeys(" ".join(t.split()) for t in raw if t and t.strip()))
    if not out:
        raise InputError("no templates found (expected one template per line, <*> marking a variable)",
                         file=source, field=flag)
    return out, source


def _read_config(config: Any) -> tuple[dict[str, Any], str | None]:
    flag = "--parser-config"
    if config is None:
        return {}, None
    source = None
    if isinstance(config, (str, Path)):
        from synthaudit.data.files import read_yaml_file

        source = str(config)
        config = read_yaml_file(Path(config), what="a YAML file of Drain3 settings")
        if config is None:
            config = {}
    if not isinstance(config, Mapping):
        raise UsageError(f"expected a mapping of Drain3 settings ({', '.join(CONFIG_KEYS)}), got "
                         f"{type(config).__name__}", file=source, field=flag)
    unknown = [k for k in config if k not in CONFIG_KEYS]
    if unknown:
        raise UsageError(f"unknown Drain3 setting(s) {', '.join(map(repr, unknown))}; known: {', '.join(CONFIG_KEYS)}",
                         file=source, field=flag)

    def bad(key: str, expected: str) -> UsageError:
        return UsageError(f"setting '{key}': expected {expected}, got {config[key]!r}", file=source, field=flag)

    def integer(key: str, low: int) -> int:
        v = config[key]
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise bad(key, f"an integer >= {low}")
        return int(v)

    out: dict[str, Any] = {}
    if config.get("depth") is not None:
        out["depth"] = integer("depth", 3)  # Drain3 refuses depth < 3
    if config.get("sim_th") is not None:
        v = config["sim_th"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= float(v) <= 1.0:
            raise bad("sim_th", "a number in [0, 1]")
        out["sim_th"] = float(v)
    if config.get("max_children") is not None:
        out["max_children"] = integer("max_children", 2)
    if config.get("max_clusters") is not None:
        out["max_clusters"] = integer("max_clusters", 1)
    if config.get("extra_delimiters") is not None:
        v = config["extra_delimiters"]
        if isinstance(v, str) or not isinstance(v, (list, tuple)) or not all(isinstance(d, str) and d for d in v):
            raise bad("extra_delimiters", "a list of non-empty strings")
        out["extra_delimiters"] = tuple(v)
    if config.get("masking") is not None:
        v = config["masking"]
        if not isinstance(v, (list, tuple)):
            raise bad("masking", "a list of {regex_pattern, mask_with}")
        masks = []
        for i, m in enumerate(v):
            if not isinstance(m, Mapping) or set(m) != {"regex_pattern", "mask_with"}:
                raise UsageError(f"masking[{i}]: expected {{regex_pattern, mask_with}}, got {m!r}", file=source,
                                 field=flag)
            pattern, name = m["regex_pattern"], m["mask_with"]
            if not isinstance(pattern, str) or not pattern:
                raise UsageError(f"masking[{i}].regex_pattern: expected a regular expression", file=source,
                                 field=flag)
            try:
                re.compile(pattern)
            except re.error as exc:
                raise UsageError(f"masking[{i}].regex_pattern {pattern!r} is not a valid regex: {exc}", file=source,
                                 field=flag) from None
            if not isinstance(name, str) or not MASK_NAME.fullmatch(name):
                raise UsageError(f"masking[{i}].mask_with: expected a name such as IP or NUM (letters, digits, "
                                 f"_ . : -), got {name!r}", file=source, field=flag)
            masks.append((pattern, name))
        out["masking"] = tuple(masks)
    if config.get("parametrize_numeric_tokens") is not None:
        if not isinstance(config["parametrize_numeric_tokens"], bool):
            raise bad("parametrize_numeric_tokens", "true or false")
        out["parametrize_numeric_tokens"] = config["parametrize_numeric_tokens"]
    return out, source


# -- the parse of a role --------------------------------------------------------------------------------
@dataclass
class LogParse:
    """The predicted template of every parsed message, as a group per message (same group = same template text)
    and the text of each group: one small integer per message, the texts once."""

    groups: np.ndarray  # group id per message (-1: no message)
    texts: list[str]  # the template of each group, '<*>' wildcards
    method: str  # e.g. "drain3 0.9.11 (depth 4, sim_th 0.4, ...)"
    seconds: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)
    #: the record number of each parsed message, when they are not 0, 1, 2, ... (a streamed audit's sample)
    records: np.ndarray | None = None

    @classmethod
    def given(cls, templates: Sequence[str | None], method: str) -> "LogParse":
        """Templates given with the data (a parser's output): groups are identical template texts."""
        parser = LogParser(None, method)
        parser.add(templates)
        return parser.finish()

    @property
    def templates(self) -> list[str | None]:
        """The predicted template of each parsed message (None: no message)."""
        return self._texts_of(self.groups)

    def templates_at(self, records: Sequence[int] | np.ndarray) -> list[str | None]:
        """The predicted templates of the given record numbers."""
        return self._texts_of(self.groups_at(records))

    def groups_at(self, records: Sequence[int] | np.ndarray) -> np.ndarray:
        """The groups of the given record numbers."""
        records = np.asarray(records, dtype=np.int64)
        if self.records is None:
            return self.groups[records]
        order = np.argsort(self.records, kind="stable")
        return self.groups[order[np.searchsorted(self.records, records, sorter=order)]]

    def _texts_of(self, groups: np.ndarray) -> list[str | None]:
        texts = self.texts
        return [None if g < 0 else texts[g] for g in groups.tolist()]


class LogParser:
    """Messages parsed batch by batch (:func:`parse_logs` is one batch): Drain3's clusters, the template matcher's
    memo and the groups carry from batch to batch, so the same messages in the same order get the same templates
    whatever the batch boundaries. Drain3 is online: a message's template is its cluster's template after the last
    message (loghub-2.0 reads a parser's structured output written at the end), so :meth:`finish` assigns them.
    Kept: one id per message, the clusters and the distinct templates; not the messages."""

    def __init__(self, config: ParserConfig | None, method: str | None = None) -> None:
        """``config`` None: the templates are given (``add`` receives templates, not messages); ``method`` names
        them."""
        self.config = config
        self.method = method if config is None else config.label()
        self._ids: list[np.ndarray] = []  # per batch: cluster ids (drain3) or group ids (templates, given)
        self._group: dict[str, int] = {}  # template text -> group id (templates, given)
        self._seconds = 0.0
        self._unmatched = 0
        self._miner = _miner(config) if config is not None and config.method == "drain3" else None
        self._final: dict[int, str] = {}  # drain3 cluster id -> its last template (changes only when it grows)
        self._memo: dict[str, tuple[str, bool]] = {}  # message -> (its template, whether a user template matched)
        self._ranked: list[str] = []
        if config is not None and config.method == "templates":
            order = sorted(range(len(config.templates)), key=lambda i: (-static_chars(config.templates[i]), i))
            self._ranked = [config.templates[i] for i in order]

    def add(self, contents: Sequence[str | None]) -> None:
        """Parse the next messages (None: no message), in order."""
        t0 = time.perf_counter()
        if self._miner is not None:
            ids = self._add_drain3(contents)
        else:
            group = self._group
            texts = contents if self.config is None else self._match(contents)
            ids = np.fromiter((-1 if t is None else group.setdefault(t if type(t) is str else str(t), len(group))
                               for t in texts), dtype=np.int32, count=len(texts))
        self._ids.append(ids)
        self._seconds += time.perf_counter() - t0

    def _add_drain3(self, contents: Sequence[str | None]) -> np.ndarray:
        add, final = self._miner.add_log_message, self._final
        ids = np.empty(len(contents), dtype=np.int32)
        for i, text in enumerate(contents):
            if text is None:
                ids[i] = -1
                continue
            r = add(str(text))
            ids[i] = cid = r["cluster_id"]
            final[cid] = r["template_mined"]
        return ids

    def _match(self, contents: Sequence[str | None]) -> list[str | None]:
        """The most specific user template matching each message (its own space-normalised text when none does);
        the memo of distinct messages is emptied when it holds MEMO_MAX of them."""
        memo, out = self._memo, []
        for text in contents:
            if text is None:
                out.append(None)
                continue
            text = str(text)
            hit = memo.get(text)
            if hit is None:
                if len(memo) >= MEMO_MAX:
                    memo.clear()
                found = next((t for t in self._ranked if template_variables(t, text) is not None), None)
                hit = memo[text] = (found, True) if found is not None else (" ".join(text.split()), False)
            self._unmatched += not hit[1]
            out.append(hit[0])
        return out

    def finish(self) -> LogParse:
        """The parse of every message added, groups numbered in order of first appearance."""
        t0 = time.perf_counter()
        ids = np.concatenate(self._ids) if self._ids else np.zeros(0, dtype=np.int32)
        if self._miner is None:
            texts = list(self._group)
            notes = {} if self.config is None else {"n_unmatched_messages": self._unmatched}
            groups = ids
        else:
            groups, texts = self._drain3_groups(ids)
            notes = {"n_clusters": len(self._final), "n_templates": len(texts)}
        return LogParse(groups=groups, texts=texts, method=self.method, notes=notes,
                        seconds=self._seconds + time.perf_counter() - t0)

    def _drain3_groups(self, ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
        final = self._final
        if self.config.masking:  # mask names in a template (<IP>) are written <*>
            names = sorted({name for _, name in self.config.masking}, key=len, reverse=True)
            pattern = re.compile("|".join(re.escape(f"<{n}>") for n in names))
            final = {cid: pattern.sub(WILDCARD, t) for cid, t in final.items()}
        present = ids[ids >= 0]
        clusters, first = np.unique(present, return_index=True)
        lookup = np.full(int(clusters.max()) + 2 if clusters.size else 1, -1, dtype=np.int32)  # [-1] stays -1
        group: dict[str, int] = {}
        for cid in clusters[np.argsort(first, kind="stable")].tolist():
            lookup[cid] = group.setdefault(final[cid], len(group))
        return lookup[ids], list(group)


def _miner(config: ParserConfig) -> Any:
    """A ``drain3.TemplateMiner`` (no persistence) with ``config``'s settings."""
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    cfg = TemplateMinerConfig()
    cfg.drain_depth = config.depth
    cfg.drain_sim_th = config.sim_th
    cfg.drain_max_children = config.max_children
    cfg.drain_max_clusters = config.max_clusters
    cfg.drain_extra_delimiters = list(config.extra_delimiters)
    cfg.masking_instructions = [MaskingInstruction(p, name) for p, name in config.masking]
    cfg.parametrize_numeric_tokens = config.parametrize_numeric_tokens
    cfg.profiling_enabled = False
    return TemplateMiner(persistence_handler=None, config=cfg)


def parse_logs(contents: Sequence[str | None], config: ParserConfig) -> LogParse:
    """Parse messages (None: no message) with Drain3 or the user's templates (section 5.2); batch by batch with
    :class:`LogParser`.

    Drain3: one ``drain3.TemplateMiner`` (no persistence) set from ``config``; the messages are added in order and
    the template of a message is the FINAL template of the cluster it was assigned to (as loghub-2.0's evaluation
    reads a parser's output: the structured file written after the last message). Drain is online, so the templates
    can depend on the order of the messages. Mask names in a template (``<IP>`` for a mask IP) are written ``<*>``
    (so is such a name written literally in a message).
    Templates: each message gets the most specific of the user's templates that matches it (most static
    characters; ties: the earlier template); a message no template matches is its own template."""
    parser = LogParser(config)
    parser.add(contents)
    return parser.finish()


@dataclass(frozen=True)
class _Compiled:
    regex: re.Pattern  # the whole template
    prefix: str  # the message starts with this (the static text before the first space or <*>)
    suffix: str  # the message ends with this (the static text after the last space or <*>)
    n_tokens: int  # the template's whitespace-separated tokens
    statics: Callable[[Sequence[str]], Any]  # the message's tokens at the template's static token positions
    static_tokens: Any  # ... and what they must be (itemgetter's shape: a tuple, one item alone, or ())
    variables: tuple[tuple[int, re.Pattern | None], ...]  # tokens holding <*>: position, regex (None: all <*>)
    whole: Callable[[Sequence[str]], Any] | None  # every token holding <*> is <*>: the tokens at those positions


def _wildcard_regex(text: str) -> re.Pattern:
    """``<*>``: a non-empty run starting and ending with a non-space (one or more tokens, or part of a token),
    the leftmost taking the fewest characters; whitespace: any whitespace run."""
    pattern = []
    for i, part in enumerate(text.split(WILDCARD)):
        if i:
            pattern.append(r"(\S(?:.*?\S)??)")
        pattern.append(r"\s+".join(re.escape(w) for w in part.split(" ")))
    return re.compile("".join(pattern), re.DOTALL)


_COMPILED: dict[str, _Compiled] = {}
_COMPILED_MAX = 65536


def _compiled(template: str) -> _Compiled:
    """The compiled form of a template, cached (the cache is emptied when it holds _COMPILED_MAX templates)."""
    c = _COMPILED.get(template)
    if c is None:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        c = _COMPILED[template] = _compile(template)
    return c


def _compile(template: str) -> _Compiled:
    text = " ".join(template.split())
    parts = text.split(WILDCARD)
    tokens = text.split()
    statics = [i for i, t in enumerate(tokens) if WILDCARD not in t]
    get_statics = _getter(statics)
    variables = tuple((i, None if t == WILDCARD else _wildcard_regex(t)) for i, t in enumerate(tokens)
                      if WILDCARD in t)
    whole = _getter([i for i, _ in variables]) if all(r is None for _, r in variables) else None
    return _Compiled(_wildcard_regex(text), parts[0].split(" ")[0], parts[-1].split(" ")[-1], len(tokens),
                     get_statics, get_statics(tokens), variables, whole)


def _getter(positions: list[int]) -> Callable[[Sequence[str]], Any]:
    """The items of a sequence at ``positions`` (a tuple; one item alone; () for none), in C via itemgetter."""
    return operator.itemgetter(*positions) if positions else (lambda _: ())


def template_variables(template: str, content: str) -> list[str] | None:
    """The values at the ``<*>`` of ``template`` in ``content``, left to right (None: the template does not match
    the message). A ``<*>`` is one or more tokens or part of a token; when a match is ambiguous the leftmost
    wildcards take the fewest characters. Whitespace runs match any whitespace run; both ends are stripped.
    (A message with as many tokens as the template can only match token by token, each token holding ``<*>``
    matched alone: that case skips the regex of the whole template.)"""
    if template is None or content is None:
        return None
    c = _COMPILED.get(template) or _compiled(str(template))
    text = str(content).strip()
    if not (text.startswith(c.prefix) and text.endswith(c.suffix)):
        return None
    words = text.split()
    if len(words) != c.n_tokens:
        m = c.regex.fullmatch(text)
        return None if m is None else list(m.groups())
    if c.statics(words) != c.static_tokens:
        return None
    if c.whole is not None:
        got = c.whole(words)
        return list(got) if type(got) is tuple else [got]
    out: list[str] = []
    for i, regex in c.variables:
        if regex is None:
            out.append(words[i])
            continue
        m = regex.fullmatch(words[i])
        if m is None:
            return None
        out.extend(m.groups())
    return out


def static_chars(template: str) -> int:
    """Number of static (non-wildcard, non-space) characters of a template: its specificity."""
    return sum(len(w) for w in template.replace(WILDCARD, " ").split())


# -- loghub-2.0's template correction ------------------------------------------------------------------------
_BOOLEAN = ("true", "false")
_DEFAULT_STRINGS = ("null", "root", "admin")
_PATH_DELIMITERS = r"\s,!;:=|\"'\[\](){}"
_PATH_SPLIT = re.compile(f"([{_PATH_DELIMITERS}])")
_TOKEN_SPLIT = re.compile(f"([{_PATH_DELIMITERS}.\\-+@#$%&])")
_PATH = re.compile(r"^(/[^/]+)+$")
_DIGITS = re.compile(r"^\d+$")
_WORD_VAR = re.compile(r"^[^\s/]*<\*>[^\s/]*$")
_SPACES = re.compile(r"\s+")


def _repeat(pattern: str, template: str) -> str:
    while True:
        new = re.sub(pattern, WILDCARD, template)
        if new == template:
            return new
        template = new


@lru_cache(maxsize=65536)
def normalise_template(template: str) -> str:
    """loghub-2.0's oracle template correction: ``correct_single_template`` of
    ``benchmark/evaluation/utils/common.py`` (from Khan et al.'s TA-Eval-Rep), which produced its
    ``*_structured_corrected.csv`` ground truth, with no user strings. In order:
    DS: strip, collapse whitespace runs to one space; PS: a path-like token (``/a/b``, tokens split at whitespace and
    ``, ! ; : = | " ' [ ] ( ) { }``) becomes ``<*>``; then, tokens split at those and ``. - + @ # $ % &``: BL/US:
    true, false, null, root, admin (any case) become ``<*>``; DG: an all-digit token becomes ``<*>``; WV: a token
    holding ``<*>`` (without space or ``/``, other than ``<*>/<*>``) becomes ``<*>``; DV: ``<*>.<*>`` becomes
    ``<*>`` (repeated); CV: ``<*><*>`` becomes ``<*>`` (repeated). loghub-2.0 applies it to the ground truth only
    (``-otc``); the parser's templates are compared as produced. Written anew with the stdlib ``re``; the tests
    check that it turns loghub-2.0's ``*_structured.csv`` ground truth into its ``*_structured_corrected.csv``
    (HDFS, BGL, OpenSSH, Apache)."""
    template = _SPACES.sub(" ", str(template).strip())  # DS
    template = "".join(WILDCARD if _PATH.match(p) else p for p in _PATH_SPLIT.split(template))  # PS
    words = set(_BOOLEAN + _DEFAULT_STRINGS)
    tokens = []
    for token in _TOKEN_SPLIT.split(template):
        if token.lower() in words or _DIGITS.match(token):  # BL, US, DG
            token = WILDCARD
        if _WORD_VAR.match(token) and token != "<*>/<*>":  # WV
            token = WILDCARD
        tokens.append(token)
    template = _repeat(r"<\*>\.<\*>", "".join(tokens))  # DV
    return _repeat(r"<\*><\*>", template)  # CV
