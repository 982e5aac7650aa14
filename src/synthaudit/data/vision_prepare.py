"""Preparing an image-text or video-text audit (survey section 6): the records of every role, the roles the
catalog's metrics ask for, and the audit tables (one row per record), streamed batch by batch when the audit
streams (issue #13)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.tabular import Table
from synthaudit.data.vision import (UNREADABLE_LISTED, Layout, MediaSet, VisionOptions, _present, audit_rows,
                                    check_media, load_media, unreadable_note)
from synthaudit.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

ROLE_LABELS = {"synthetic": "synthetic", "real_reference": "real"}
#: catalog input role -> the field(s) of the synthetic records that provide it
FIELD_ROLES = {"prompts": ("prompt",), "references": ("reference", "reference_image", "reference_video", "interval"),
               "labels": ("objects",), "gold_answers": ("answer",), "human_scores": ("outcome",),
               "rules": ("plan",)}


def read_schema(schema: Any) -> tuple[dict | None, str | None]:
    """A JSON Schema given as a mapping or a .json/.yaml file (None: the built-in record schema)."""
    if schema is None:
        return None, None
    if isinstance(schema, dict):
        return schema, "<schema object>"
    path = Path(schema)
    if not path.is_file():
        raise InputError("schema file not found", file=str(path), field="--schema")
    from synthaudit.data.files import read_json_file, read_yaml_file

    doc = read_yaml_file(path) if path.suffix.lower() in (".yaml", ".yml") else read_json_file(path)
    if not isinstance(doc, dict):
        raise InputError("a JSON Schema must be an object", file=str(path), field="--schema")
    return doc, str(path)


def read_bits(key: Any) -> list[int] | None:
    """A watermark key: a string of 0/1, ``hex:...``, a list of 0/1, or a file holding one of them."""
    if key is None:
        return None
    if isinstance(key, (list, tuple)):
        bits = [int(b) for b in key]
    else:
        text = str(key).strip()
        if Path(text).is_file():
            text = Path(text).read_text(encoding="utf-8").strip()
        if text.lower().startswith("hex:"):
            try:
                value = bytes.fromhex(text[4:])
            except ValueError:
                raise InputError(f"watermark key {text!r} is not valid hex", field="--watermark-key") from None
            bits = [(byte >> (7 - i)) & 1 for byte in value for i in range(8)]
        else:
            if not text or set(text) - {"0", "1"}:
                raise InputError(f"watermark key {text[:40]!r}: expected bits (0/1), hex:..., or a file holding one",
                                 field="--watermark-key")
            bits = [int(c) for c in text]
    if not bits or set(bits) - {0, 1}:
        raise InputError("watermark key: expected a non-empty list of 0/1 bits", field="--watermark-key")
    return bits


def prepare_vision(*, modality: str, kind: str, synthetic: Any, real: Any = None, media_field: str | None = None,
                   text_field: str | None = None, schema: Any = None, seed: int = 0, params: dict | None = None,
                   fmt: str | None = None, encoding: str = "utf-8", stream: bool = False,
                   extra: dict[str, Any] | None = None) -> AuditInputs:
    """Load the records of an image-text (``kind="image"``) or video-text (``kind="video"``) audit. ``stream``: the
    manifests are read batch by batch by the metrics (the fields present and the roles are told from their first
    rows; the data summary is counted as they are read)."""
    if synthetic is None:
        raise InputError("no synthetic data given", field="--synthetic")
    opts = VisionOptions(kind=kind, media_field=media_field, text_field=text_field)
    given = {"synthetic": synthetic, "real_reference": real}
    sets: dict[str, MediaSet] = {r: load_media(obj, ROLE_LABELS[r], opts, fmt=fmt, encoding=encoding, stream=stream)
                                 for r, obj in given.items() if obj is not None}
    syn = sets["synthetic"]
    warnings = [f"{ROLE_LABELS[r]}: {n}" for r, s in sets.items() for n in s.notes]
    doc, source = read_schema(schema)
    roles: dict[str, Any] = {f"{kind}s": True if syn.any_readable() else None}
    for role, names in FIELD_ROLES.items():
        roles[role] = True if any(syn.has(n) for n in names) else None
    summary = {ROLE_LABELS[r]: s.summary() for r, s in sets.items()}
    out: dict[str, Any] = {"media": sets, "media_kind": kind, "schema": doc or "builtin", "schema_source": source,
                           "data_summary": summary,
                           **roles, **(extra or {})}
    tables = {role: s.table() for role, s in sets.items()}
    inputs = AuditInputs(modality=modality, tables=tables, seed=seed, params=dict(params or {}), extra=out,
                         warnings=warnings)
    for s in sets.values():
        if s.stream is not None:
            s.stream.warnings = inputs.warnings
    return inputs


class MediaStream:
    """The records of a streamed set (issue #13): the source read batch by batch, each batch turned into audit rows
    (its media checked; nothing decoded beyond a header), so memory is bounded by the batch size. The first
    complete checked pass fills ``summary`` (report.json's data_summary: counts, the first unreadable media) and
    adds the unreadable-media note to ``warnings`` (the audit's, once prepared)."""

    def __init__(self, source: "Table", layout: Layout, mset: MediaSet, *, check: bool = True, tag: str = "") -> None:
        self.source, self.layout, self.base, self.kind, self.check = source, layout, mset.base, mset.kind, check
        self.tag = tag
        self.warnings: list[str] | None = None
        self.summary: dict[str, Any] = {"records": None, f"with_{self.kind}": None, "unreadable": None,
                                        "fields": [], "unreadable_media": [],
                                        "streamed": "counted as the stream is read"}
        self.counted = False
        self.table = MediaTable(mset.label, self, path=source.path)

    def batches(self, batch_size: int | None = None, *, check: bool | None = None) -> Iterator["pd.DataFrame"]:
        """The audit rows, batch by batch; ``check=False`` reads the records without opening their media (a report
        figure that decodes a few of them)."""
        check = self.check if check is None else check
        count = check and not self.counted
        rows = readable = unreadable = 0
        listed: list[dict] = []
        present: set[str] = set()
        for part in self.source.batches(batch_size):
            frame, sources = self.layout.records(part, self.base, rows)
            bad = check_media(self.kind, frame["id"].tolist(), sources, self.layout.media or "", rows) if check \
                else []
            if count:
                readable += sum(s is not None for s in sources)
                unreadable += len(bad)
                listed.extend(bad[:UNREADABLE_LISTED - len(listed)])
                present.update(c for c in frame.columns if c not in present and frame[c].map(_present).any())
            yield audit_rows(frame, sources, bad, rows)
            rows += len(part)
        if count and not self.counted:
            self.counted = True
            order = ["id", *(c for c, _ in self.layout.fields)]
            self.summary.pop("streamed", None)
            self.summary.update({"records": rows, f"with_{self.kind}": readable, "unreadable": unreadable,
                                 "fields": [c for c in order if c in present], "unreadable_media": listed})
            if unreadable and self.warnings is not None:
                self.warnings.append(f"{self.tag}: {unreadable_note(unreadable, rows, self.kind)}")


class MediaTable(Table):
    """The audit table of a :class:`MediaStream`: never loaded whole unless ``frame()`` is asked for; its
    fingerprint is the source's (a file's sha256; None for a one-shot stream not yet read through)."""

    def __init__(self, label: str, stream: MediaStream, path: str | None) -> None:
        super().__init__(label, batch_factory=stream.batches, path=path, fmt=stream.source.format,
                         n_rows=stream.source.n_rows)
        self._stream = stream

    def batches(self, batch_size: int | None = None) -> Iterator["pd.DataFrame"]:
        if self._frame is not None:
            yield from super().batches(batch_size)
            return
        count = 0
        for part in self._iter_raw(batch_size):
            count += len(part)
            yield part
        self._n_rows = count

    def fingerprint(self) -> str | None:
        try:
            return self._stream.source.fingerprint()
        except TypeError:  # a DataFrame whose cells pandas cannot hash (images, arrays)
            return None
