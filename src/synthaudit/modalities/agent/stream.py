"""Agent episodes read in batches (issue #13, ``--stream``; survey section 7): a JSON Lines or Parquet file of
episodes (one record each) or of steps (one record per step, joined into episodes by
:mod:`synthaudit.data.grouped`: the steps of an episode must be together in the file), one batch of whole episodes
at a time, each validated as the whole file would be. The audit table's rows are the episodes; the file's
description is added up as it is read. A JSON file is one document and is read whole.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from synthaudit.data import files
from synthaudit.data.agent import (Episode, EpisodeSummary, _plain, check_unique, episode_frame, group_steps,
                                   parse_episode, records_layout, step_episode_id, step_fields)
from synthaudit.data.grouped import group_batches
from synthaudit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from synthaudit.data.tabular import Table

#: episodes read before the audit starts: the layout, and which metrics apply, are decided from them
HEAD_EPISODES = 1000


def _raw_batches(path: Path, kind: str, encoding: str, n: int) -> Iterator[list[dict]]:
    """The file's records as parsed (as ``files.read_raw_records`` reads them whole), ``n`` at a time."""
    try:
        if kind == "jsonl":
            yield from files.iter_jsonl_records(path, encoding, n)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            for rb in pq.ParquetFile(path).iter_batches(batch_size=n):
                yield [{k: _plain(v, arrow=True) for k, v in r.items()} for r in rb.to_pandas().to_dict("records")]
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"not a readable Parquet file ({exc})", file=str(path)) from None
    except InputError:
        raise
    except files._READ_ERRORS as exc:  # a corrupt or truncated compressed file
        raise files._read_error(path, exc) from None


@dataclass
class EpisodeStream:
    """A streamed agent file (``label``: its role's name in the report). ``resolve`` fixes each batch's episodes
    (relative frame paths); at the end of every pass the file's description goes to ``summaries`` and its notes to
    ``warnings``."""

    path: Path
    kind: str
    encoding: str
    label: str
    layout: str
    fields: tuple[str, str | None] | None
    resolve: Callable[[list[Episode]], None]
    warnings: list[str]
    summaries: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.path)

    @classmethod
    def open(cls, obj: Any, label: str, *, fmt: str | None, encoding: str, resolve: Callable[[list[Episode]], None],
             warnings: list[str], summaries: dict[str, Any]) -> "EpisodeStream | None":
        """The stream of a JSON Lines or Parquet file; None for other inputs (read whole)."""
        if not isinstance(obj, (str, Path)) or Path(obj).is_dir():
            return None
        path = Path(obj)
        files.check_readable(path)
        files.check_encoding(encoding)
        kind = files.detect_format(path, fmt)
        if kind not in ("jsonl", "parquet"):
            if kind == "json":
                warnings.append(f"{path}: a JSON file is one document: read whole, not streamed")
            return None
        first = next(_raw_batches(path, kind, encoding, HEAD_EPISODES), [])
        if not first:
            raise InputError("has no episodes", file=str(path))
        layout = records_layout(first)
        fields = step_fields(first, str(path)) if layout == "steps" else None
        return cls(path, kind, encoding, label, layout, fields, resolve, warnings, summaries)

    def episode_batches(self, n: int) -> Iterator[tuple[int, list[Episode]]]:
        """(number of the first episode, ``n`` validated episodes), batch by batch."""
        import pandas as pd

        count, seen = 0, {}
        raw = _raw_batches(self.path, self.kind, self.encoding, n)
        if self.layout == "episodes":
            for records in raw:
                eps = [parse_episode(r, count + i, self.name) for i, r in enumerate(records)]
                check_unique(eps, self.name, seen, count)
                yield count, eps
                count += len(eps)
            return
        id_name = self.fields[0]

        def keys(frame: "pd.DataFrame", first_row: int) -> list[str]:
            return [step_episode_id(r, id_name, self.name, first_row + i + 1) for i, r in enumerate(frame["record"])]

        frames = (pd.DataFrame({"record": pd.Series(records, dtype=object)}) for records in raw)
        for part in group_batches(frames, keys, size=n, label=self.name, field=id_name, what="episode"):
            eps = group_steps(part.rows["record"].tolist(), self.name, self.fields, part.first_row)
            yield count, eps
            count += len(eps)

    def head(self) -> tuple[list[Episode], bool]:
        """The first episodes (:data:`HEAD_EPISODES`) and whether the file holds more."""
        batches = self.episode_batches(HEAD_EPISODES)
        _, eps = next(batches, (0, []))
        more = next(batches, None) is not None
        batches.close()
        self.resolve(eps)
        return eps, more

    def frames(self, n: int | None) -> Iterator["pd.DataFrame"]:
        """The audit table's rows (one per episode), ``n`` episodes at a time."""
        summary = EpisodeSummary(self.layout)
        for start, eps in self.episode_batches(n or 50_000):
            self.resolve(eps)
            summary.add(eps)
            yield episode_frame(eps, start)
        self.warnings.extend(f"{self.label}: {note}" for note in summary.notes())
        self.summaries[self.label] = {**summary.describe(), "streamed": "read in batches"}

    def table(self) -> "Table":
        from synthaudit.data.tabular import Table

        return Table(self.name, batch_factory=self.frames, path=self.name, fmt=self.kind,
                     fingerprint=files.file_sha256(self.path))
