"""Image-text and video-text records (survey section 6): manifests, image folders, frame folders and videos.

A record is one sample: a medium (an image, or a video / a folder of frames) with its text fields. Sources read:

* a **manifest**: JSON Lines, CSV, Parquet, JSON, a DataFrame, an Arrow table or a Hugging Face dataset with a
  media field (default ``image`` / ``video``) holding a path (relative to the manifest's folder), raw bytes,
  ``{"bytes": ..., "path": ...}`` (HF ``Image`` features), a ``data:`` URI, a PIL image or a numpy array;
* a **folder of images** (``.png``, ``.jpg``, ...; a caption in ``<name>.txt`` beside an image becomes its text),
  or a **folder of videos** (files, or sub-folders of frames ``000000.png, ...``).

Fields read by name (a manifest may hold any subset; nested values arrive as JSON text and are parsed):
``text`` (the generated caption / response), ``prompt``, ``reference`` (reference text), ``reference_image``,
``subject_image``, ``objects`` (ground-truth object names, for CHAIR), ``question``, ``answer`` (gold),
``prediction``, ``sequence`` (interleaved steps ``[{"text": ...} | {"image": ...}]``), ``safety`` (``unsafe`` or
``benign`` query), ``flagged`` (a safety detector's or reviewer's verdict), ``outcome`` (``win``/``tie``/``loss``
against a baseline), ``diversity_score``; videos also ``reference_video``, ``fps``, ``segments``
(``[{"start", "end", "text"}]``, seconds), ``tracks`` (``{object: [[frame, x0, y0, x1, y1], ...]}``), ``plan``,
``query``, ``interval`` ``[start, end]`` and ``predictions`` ``[[start, end, score], ...]``.

**Unreadable or corrupt media** are counted and listed (row, field, source, reason) and never fatal: the record
stays, its medium is None, and media metrics skip it and say how many they skipped.

**Streamed** (``load_media(..., stream=True)``, issue #13) a source is read batch by batch: each batch becomes audit
rows (:func:`audit_rows`: paths resolved, media checked, rows numbered in the source) and no decoded medium outlives
the metrics' use of its batch (``synthaudit.data.vision_prepare.MediaStream``).
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from synthaudit.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from synthaudit.data.inputs import AuditInputs
    from synthaudit.data.tabular import Table
    from synthaudit.data.vision_prepare import MediaStream

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
VIDEO_EXTENSIONS = (".mp4", ".webm", ".avi", ".mov", ".mkv", ".m4v", ".mpg", ".mpeg", ".gif")
MEDIA_COL = "__media__"  # the resolved source of each record's medium (path text, bytes, array or None)
KEY_COL = "__media_key__"  # a content key of the medium (features are cached by it)
ROW_COL = "__row__"  # the record's 1-based row in its source
ERROR_COL = "__media_error__"  # why the record's medium cannot be read (None when readable or absent)
UNREADABLE_LISTED = 200  # unreadable media listed per role in report.json (all are counted)
#: field name -> other names accepted for it (first match wins)
ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "caption", "response", "output", "generated_text", "description"),
    "prompt": ("prompt", "instruction"),
    "reference": ("reference", "reference_text", "ref_text", "gt_caption"),
    "reference_image": ("reference_image", "ref_image", "original_image", "target_image"),
    "reference_video": ("reference_video", "original_video"),
    "subject_image": ("subject_image", "subject_images", "subject"),
    "objects": ("objects", "gt_objects", "object_labels"),
    "question": ("question",),
    "answer": ("answer", "gold", "gold_answer", "answers"),
    "prediction": ("prediction", "pred", "model_answer", "predicted_answer"),
    "sequence": ("sequence", "interleaved", "steps"),
    "safety": ("safety", "query_type"),
    "flagged": ("flagged", "unsafe_verdict"),
    "outcome": ("outcome", "preference", "judgement"),
    "diversity_score": ("diversity_score",),
    "fps": ("fps",),
    "segments": ("segments",),
    "tracks": ("tracks",),
    "plan": ("plan",),
    "query": ("query",),
    "interval": ("interval", "gt_interval"),
    "predictions": ("predictions", "predicted_intervals"),
}
STRUCTURED = ("objects", "sequence", "segments", "tracks", "plan", "interval", "predictions", "subject_image",
              "answer")


class MediaError(ValueError):
    """A medium that cannot be read (the reason is the message)."""


@dataclass(frozen=True)
class VisionOptions:
    """Where the fields are: ``kind`` is ``image`` or ``video``; ``media_field`` / ``text_field`` override the
    default names."""

    kind: str = "image"
    media_field: str | None = None
    text_field: str | None = None


@dataclass
class MediaSet:
    """The records of one role: ``frame`` (canonical field names, structured values parsed), ``sources`` (one
    medium source per record, None when absent or unreadable), ``base`` (relative paths resolve against it),
    ``unreadable`` (row, field, source, reason).

    A streamed set (``stream`` set, issue #13) holds only its first rows in ``frame`` / ``sources`` (unchecked): the
    fields present and the roles are told from them; its records are read batch by batch through ``stream``."""

    label: str
    kind: str
    frame: "pd.DataFrame"
    sources: list[Any]
    base: Path | None = None
    unreadable: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stream: "MediaStream | None" = None

    def __len__(self) -> int:
        return len(self.sources)

    def __getstate__(self) -> dict[str, Any]:  # a worker gets the set without its stream (it sees only its batch)
        return {**self.__dict__, "stream": None}

    def has(self, name: str) -> bool:
        return name in self.frame.columns and bool(self.frame[name].map(_present).any())

    def column(self, name: str) -> list[Any]:
        return self.frame[name].tolist() if name in self.frame.columns else [None] * len(self)

    def describe(self) -> dict[str, Any]:
        return {"records": len(self), f"with_{self.kind}": int(sum(s is not None for s in self.sources)),
                "unreadable": len(self.unreadable),
                "fields": [c for c in self.frame.columns if self.has(c)]}

    def summary(self) -> dict[str, Any]:
        """What report.json lists under data_summary (of a streamed set: filled in when its stream is read through)."""
        if self.stream is not None:
            return self.stream.summary
        return {**self.describe(), "unreadable_media": self.unreadable[:UNREADABLE_LISTED]}

    def any_readable(self) -> bool:
        """Whether some record has a readable medium (a streamed set: among its first rows, opened until one is)."""
        check = check_image if self.kind == "image" else check_video
        for src in self.sources:
            if src is None:
                continue
            if self.stream is None:  # checked when loaded: unreadable ones are None already
                return True
            try:
                check(src)
                return True
            except MediaError:
                continue
        return False

    def table(self) -> "Table":
        """The audit table of the set (streamed batch by batch when the set is)."""
        return self.stream.table if self.stream is not None else as_table(self)

    def resolve(self, value: Any) -> Any:
        """A source value with a relative path made absolute against the set's folder."""
        return resolve_source(value, self.base)


def _present(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, float) and np.isnan(v):
        return False
    return not (isinstance(v, str) and not v.strip())


def parse_structured(v: Any) -> Any:
    """A nested value that arrived as JSON text (manifests flattened by the table readers) as Python data."""
    if isinstance(v, str) and v[:1] in "[{":
        try:
            return json.loads(v)
        except ValueError:
            return v
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def resolve_source(value: Any, base: Path | None) -> Any:
    if isinstance(value, str) and not value.startswith("data:") and base is not None and not os.path.isabs(value):
        return str(base / value)
    return value


# -- decoding -------------------------------------------------------------------------------------------------------
def _pil_rgb(im: Any) -> np.ndarray:
    if im.mode in ("RGBA", "LA", "P"):  # composite transparency on white (PIL's convert drops alpha to black)
        from PIL import Image

        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, rgba)
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def image_bytes(src: Any) -> bytes | None:
    """The encoded bytes of a source held in memory (bytes, HF dict, data URI); None for a path or an array."""
    if isinstance(src, dict):
        data = src.get("bytes")
        if data is None:
            return None
        if isinstance(data, str) and data[:2] in ("b'", 'b"'):  # Arrow inputs (HF Image, Parquet) reach here as
            import ast  # JSON text with the bytes' Python repr (data.files._nested_text): exact, so read it back

            try:
                data = ast.literal_eval(data)
            except (ValueError, SyntaxError):
                raise MediaError("the 'bytes' of an image value cannot be read back from text") from None
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise MediaError(f"the 'bytes' of an image value is a {type(data).__name__}; expected raw bytes")
        return bytes(data)
    if isinstance(src, (bytes, bytearray, memoryview)):
        return bytes(src)
    if isinstance(src, str) and src.startswith("data:"):
        head, _, data = src.partition(",")
        if ";base64" not in head:
            raise MediaError("a data: URI that is not base64")
        try:
            return base64.b64decode(data, validate=True)
        except ValueError as exc:
            raise MediaError(f"bad base64 in a data: URI ({exc})") from None
    return None


def _array_rgb(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise MediaError(f"an array of shape {arr.shape}; expected H x W x 3")
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating) and np.nanmax(arr) <= 1.0:
            arr = np.round(np.nan_to_num(arr) * 255)
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr[:, :, :3])


def _with_pil(src: Any, use: Any) -> Any:
    """``use(image)`` on the PIL image of an encoded source (bytes, HF dict, data URI or a file path); every failure
    is a MediaError with the reason."""
    from PIL import Image

    if isinstance(src, dict) and src.get("bytes") is None and src.get("path"):
        src = src["path"]
    data = image_bytes(src)
    try:
        if data is not None:
            with Image.open(io.BytesIO(data)) as im:
                return use(im)
        if isinstance(src, (str, os.PathLike)):
            path = Path(src)
            if not path.is_file():
                raise MediaError(f"file not found: {path}" if not path.exists() else
                                 f"is a folder, expected an image file: {path}")
            with Image.open(path) as im:
                return use(im)
    except MediaError:
        raise
    except Image.UnidentifiedImageError:  # PIL's message names the buffer's address: the same data, another text
        raise MediaError("cannot decode the image (not a recognised image format)" if data is not None else
                         f"cannot decode the image (not a recognised image format: {str(src)[:80]})") from None
    except OSError as exc:
        if exc.errno is not None:  # a name too long for the file system, a permission error
            raise MediaError(f"cannot open {str(src)[:80]} ({exc.strerror or exc})") from None
        raise MediaError(f"cannot decode the image ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # PIL raises many kinds on corrupt data
        raise MediaError(f"cannot decode the image ({type(exc).__name__}: {exc})") from None
    raise MediaError(f"unsupported image value of type {type(src).__name__}")


def decode_image(src: Any) -> np.ndarray:
    """An RGB uint8 array (H, W, 3) from any source; MediaError with the reason when it cannot be read."""
    from PIL import Image

    if src is None:
        raise MediaError("no image")
    if isinstance(src, np.ndarray):
        return _array_rgb(src)
    if isinstance(src, Image.Image):
        return _pil_rgb(src)
    return _with_pil(src, _pil_rgb)


def check_image(src: Any) -> None:
    """Fail fast on an unreadable image without decoding its pixels (header and, for PNG, chunk CRCs)."""
    from PIL import Image

    if isinstance(src, (np.ndarray, Image.Image)):
        decode_image(src)
        return
    _with_pil(src, lambda im: im.verify())


def frame_files(folder: Path) -> list[Path]:
    """The image files of a frame folder, in name order (``000000.png, 000001.png, ...``)."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())


def check_video(src: Any) -> None:
    """Fail fast on an unreadable video: a frame folder must hold images, a file must open with a video stream."""
    if isinstance(src, np.ndarray):
        if src.ndim != 4 or src.shape[-1] != 3:
            raise MediaError(f"an array of shape {src.shape}; expected frames x H x W x 3")
        return
    if not isinstance(src, (str, os.PathLike)):
        raise MediaError(f"unsupported video value of type {type(src).__name__}; expected a file or frame folder")
    path = Path(src)
    try:
        if path.is_dir():
            if not frame_files(path):
                raise MediaError(f"the frame folder {path} holds no image files")
            return
        if not path.exists():
            raise MediaError(f"file not found: {path}")
    except OSError as exc:  # a name too long for the file system, a permission error
        raise MediaError(f"cannot open {str(path)[:80]} ({exc.strerror or exc})") from None
    import av

    try:
        with av.open(str(path)) as box:
            if not box.streams.video:
                raise MediaError(f"{path} has no video stream")
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError(f"cannot open the video ({type(exc).__name__}: {exc})") from None


def read_video(src: Any, max_frames: int = 1024) -> tuple[np.ndarray, float | None]:
    """The frames (T, H, W, 3) uint8 and the frame rate (None for a frame folder or an array) of a video file
    (decoded with PyAV, which bundles FFmpeg), a frame folder or an array. At most ``max_frames`` are decoded."""
    if isinstance(src, np.ndarray):
        check_video(src)
        return np.asarray(src, dtype=np.uint8), None
    check_video(src)
    path = Path(src)
    if path.is_dir():
        frames = [decode_image(p) for p in frame_files(path)[:max_frames]]
        if len({f.shape for f in frames}) > 1:
            raise MediaError(f"the frames of {path} differ in size")
        return np.stack(frames), None
    import av

    frames = []
    try:
        with av.open(str(path)) as box:
            stream = box.streams.video[0]
            rate = float(stream.average_rate) if stream.average_rate else None
            for frame in box.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
                if len(frames) >= max_frames:
                    break
    except Exception as exc:
        if not frames:
            raise MediaError(f"cannot decode the video ({type(exc).__name__}: {exc})") from None
        rate = None  # a truncated file: the frames decoded so far are kept
    if not frames:
        raise MediaError(f"{path} has no decodable frame")
    return np.stack(frames), rate


def sample_indices(n: int, k: int) -> np.ndarray:
    """``k`` frame indices spread uniformly over ``n`` frames (all of them when n <= k)."""
    if n <= k:
        return np.arange(n)
    return np.round(np.linspace(0, n - 1, k)).astype(int)


# -- loading --------------------------------------------------------------------------------------------------------
def media_key(src: Any) -> str:
    """A content key of a medium: for a file its path, size and modification time; in memory, a hash."""
    h = hashlib.sha256()
    if src is None:
        return ""
    if isinstance(src, np.ndarray):
        h.update(str(src.shape).encode())
        h.update(np.ascontiguousarray(src).tobytes())
        return h.hexdigest()
    try:
        data = image_bytes(src)
    except MediaError:
        data = None
    if data is not None:
        h.update(data)
        return h.hexdigest()
    if isinstance(src, dict):
        src = src.get("path")
    if isinstance(src, (str, os.PathLike)):
        path = Path(src)
        try:
            st = path.stat()
            h.update(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode("utf-8", "surrogatepass"))
        except OSError:
            h.update(str(path).encode("utf-8", "surrogatepass"))
        return h.hexdigest()
    h.update(repr(src).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _pick(cols: Sequence[str], chosen: str | None, names: Sequence[str], label: str, flag: str) -> str | None:
    if chosen is not None:
        if chosen not in cols:
            raise InputError(f"has no field {chosen!r} (fields: {', '.join(map(str, cols))})", file=label, field=flag)
        return chosen
    lower = {str(c).lower(): c for c in cols}
    return next((lower[n] for n in names if n in lower), None)


@dataclass(frozen=True)
class Layout:
    """Where a source keeps the fields of a record: its media column, the column of each canonical field, and
    whether it has an ``id`` column. Chosen once from the source's columns (of its first rows when streamed)."""

    media: str | None
    fields: tuple[tuple[str, str], ...]  # (canonical name, source column)
    has_id: bool

    @classmethod
    def of(cls, cols: Sequence[str], opts: VisionOptions, name: str) -> "Layout":
        media_names = (opts.kind, f"{opts.kind}_path", f"{opts.kind}s", "file_name", "filepath", "path") + \
            (("img", "image_file") if opts.kind == "image" else ("video_file", "frames"))
        media_col = _pick(cols, opts.media_field, media_names, name, f"--{opts.kind}-field")
        seq_col = _pick(cols, None, ALIASES["sequence"], name, "")
        if media_col is None and seq_col is None:
            raise InputError(f"has no {opts.kind} field (looked for {', '.join(media_names[:5])}; name it with "
                             f"--{opts.kind}-field)", file=name, field=f"--{opts.kind}-field")
        used, fields = {media_col}, []
        for canon, names in ALIASES.items():
            chosen = opts.text_field if canon == "text" else None
            col = _pick(cols, chosen, names, name, "--text-field" if canon == "text" else "")
            if col is not None and col not in used:
                used.add(col)
                fields.append((canon, col))
        return cls(media=media_col, fields=tuple(fields), has_id="id" in cols)

    def records(self, frame: "pd.DataFrame", base: Path | None, offset: int = 0) -> tuple["pd.DataFrame", list[Any]]:
        """The canonical records of rows ``offset + 1 ...`` of a source (structured values parsed; without an id
        field a record's id is its 1-based row) and their media sources, relative paths resolved against ``base``.
        A batch that lacks a column (no record of a JSON Lines batch has the key) gets missing values."""
        import pandas as pd

        n = len(frame)
        out = pd.DataFrame(index=range(offset, offset + n))

        def values(col: str | None) -> list[Any]:
            return frame[col].tolist() if col is not None and col in frame.columns else [None] * n

        if self.has_id:
            ids = [str(v) if _present(v) else "" for v in values("id")]
        else:
            ids = [str(offset + i + 1) for i in range(n)]
        out["id"] = pd.Series(ids, dtype=object, index=out.index)
        for canon, col in self.fields:
            vals = values(col)
            if canon in STRUCTURED:
                vals = [parse_structured(v) for v in vals]
            out[canon] = pd.Series(vals, dtype=object, index=out.index)
        return out, [resolve_source(_media_value(v), base) for v in values(self.media)]


def _folder_entries(path: Path, kind: str) -> list[Path]:
    exts = IMAGE_EXTENSIONS if kind == "image" else VIDEO_EXTENSIONS
    entries = sorted(p for p in path.iterdir() if (p.is_file() and p.suffix.lower() in exts)
                     or (kind == "video" and p.is_dir() and frame_files(p)))
    if not entries:
        more = " or frame folders" if kind == "video" else ""
        raise InputError(f"holds no {kind} files ({', '.join(exts)}){more}", file=str(path))
    return entries


def _folder_rows(entries: Sequence[Path], kind: str) -> "pd.DataFrame":
    """The rows of folder entries: id (the name without extension), the medium's name, the caption beside it."""
    import pandas as pd

    rows = []
    for p in entries:
        row: dict[str, Any] = {"id": p.stem, kind: p.name}
        side = p.with_suffix(".txt") if p.is_file() else p / "caption.txt"
        if side.is_file():
            row["text"] = side.read_text(encoding="utf-8", errors="replace").strip()
        rows.append(row)
    return pd.DataFrame(rows)


def _folder_table(path: Path, kind: str, stream: bool) -> "Table":
    """A folder of media as a table of rows (streamed: captions read batch by batch; fingerprinted by the entries'
    names, sizes and modification times)."""
    from synthaudit.data.tabular import Table

    entries = _folder_entries(path, kind)
    if not stream:
        return Table(str(path), frame=_folder_rows(entries, kind), path=str(path))
    h = hashlib.sha256()
    for p in entries:
        st = p.stat()
        h.update(f"{p.name}|{st.st_size}|{st.st_mtime_ns}\n".encode("utf-8", "surrogatepass"))

    def factory(n: int | None) -> Iterator["pd.DataFrame"]:
        size = n or len(entries)
        for start in range(0, len(entries), size):
            yield _folder_rows(entries[start:start + size], kind)

    return Table(str(path), batch_factory=factory, path=str(path), fingerprint=h.hexdigest(), n_rows=len(entries))


def load_media(obj: Any, label: str, options: VisionOptions | None = None, *, fmt: str | None = None,
               encoding: str = "utf-8", check: bool = True, stream: bool = False) -> MediaSet:
    """Any supported source (module docstring) as a :class:`MediaSet`; ``check`` opens every medium once so
    unreadable ones are listed up front. ``stream``: the source is read batch by batch (each batch's media checked
    as it is read), never whole; the set holds its first rows (issue #13)."""
    from synthaudit.data.tabular import Table

    opts = options or VisionOptions()
    if isinstance(obj, MediaSet):
        return obj
    base: Path | None = None
    if isinstance(obj, (str, os.PathLike)) and Path(obj).is_dir() and not _is_dataset_dir(Path(obj)):
        base = Path(obj)
        table = _folder_table(base, opts.kind, stream)
    else:
        table = Table.from_any(obj, label, fmt=fmt, encoding=encoding, stream=stream)
        if table.path:
            base = Path(table.path).resolve().parent
    name = table.path or label
    first = table.head() if stream else table.frame()
    if len(first) == 0:
        raise InputError("has no records", file=name)
    layout = Layout.of([str(c) for c in first.columns], opts, name)
    frame, sources = layout.records(first, base)
    mset = MediaSet(label=name, kind=opts.kind, frame=frame.reset_index(drop=True), sources=sources, base=base)
    if stream:
        from synthaudit.data.vision_prepare import MediaStream

        mset.stream = MediaStream(table, layout, mset, check=check, tag=label)
    elif check:
        check_sources(mset, layout.media or "")
    return mset


def _is_dataset_dir(path: Path) -> bool:
    from synthaudit.data import arrow_inputs

    return bool(arrow_inputs.disk_kind(path))


def _media_value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, str):
        v = parse_structured(v) if v.startswith("{") else v
        return v if (not isinstance(v, str) or v.strip()) else None
    return v


def check_media(kind: str, ids: Sequence[str], sources: list[Any], fld: str, offset: int = 0) -> list[dict]:
    """Open every medium of rows ``offset + 1 ...`` once; each unreadable one is listed (its 1-based row, id, field,
    source and reason) and its source set to None (never fatal)."""
    check = check_image if kind == "image" else check_video
    bad = []
    for i, src in enumerate(sources):
        if src is None:
            continue
        try:
            check(src)
        except MediaError as exc:
            bad.append({"row": offset + i + 1, "id": ids[i], "field": fld, "source": _describe_source(src),
                        "reason": str(exc)})
            sources[i] = None
    return bad


def unreadable_note(n: int, total: int, kind: str) -> str:
    return (f"{n} of {total} {kind}s cannot be read (listed in report.json under data_summary); media metrics skip "
            "them")


def check_sources(mset: MediaSet, fld: str) -> None:
    """Open every medium once; unreadable ones are listed and their source set to None (never fatal)."""
    mset.unreadable.extend(check_media(mset.kind, mset.frame["id"].tolist(), mset.sources, fld))
    if mset.unreadable:
        mset.notes.append(unreadable_note(len(mset.unreadable), len(mset), mset.kind))


def _describe_source(src: Any) -> str:
    if isinstance(src, (str, os.PathLike)):
        text = str(src)
        return text if not text.startswith("data:") else text[:40] + "..."
    if isinstance(src, dict):
        return str(src.get("path") or "<bytes>")
    return f"<{type(src).__name__}>"


def audit_rows(frame: "pd.DataFrame", sources: list[Any], unreadable: Sequence[dict], offset: int = 0
               ) -> "pd.DataFrame":
    """Rows ``offset + 1 ...`` of the audit table: the records' fields (structured ones as JSON text) and the hidden
    columns: medium source, content key, why the medium cannot be read, 1-based row."""
    import pandas as pd

    out = frame.copy()
    for c in out.columns:
        if c in STRUCTURED:
            out[c] = out[c].map(lambda v: v if isinstance(v, str) else json.dumps(v) if _present(v) else None)
    reasons: list[str | None] = [None] * len(out)
    for u in unreadable:
        reasons[u["row"] - offset - 1] = u["reason"]
    out[MEDIA_COL] = pd.Series(sources, dtype=object, index=out.index)
    out[KEY_COL] = [media_key(s) for s in sources]
    out[ERROR_COL] = pd.Series(reasons, dtype=object, index=out.index)
    out[ROW_COL] = np.arange(offset + 1, offset + len(out) + 1)
    return out


def as_table(mset: MediaSet) -> "Table":
    """The audit table of a set held in memory: one row per record (see :func:`audit_rows`)."""
    import pandas as pd

    from synthaudit.data.tabular import Table

    frame = audit_rows(mset.frame, list(mset.sources), mset.unreadable)
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(mset.frame.astype(str), index=False).to_numpy().tobytes())
    h.update("|".join(frame[KEY_COL]).encode())
    path = mset.label if mset.base is not None and os.path.exists(mset.label) else None
    return Table(mset.label, frame=frame, fingerprint=h.hexdigest(), path=path)


def media_of(inputs: "AuditInputs", role: str = "synthetic") -> MediaSet:
    """The media set of a role (prepared once per audit)."""
    return inputs.extra["media"][role]


#: rows per batch when a report figure reads a few records back
READ_BATCH = 512


def record_batches(inputs: "AuditInputs", role: str = "synthetic") -> Iterator["pd.DataFrame"]:
    """The audit rows of a role, batch by batch, to read a few records back (report figures): a streamed set's
    source without opening every medium again, else the role's table (a seeded sample of it once the global
    metrics of a streamed audit have run)."""
    mset = (inputs.extra.get("media") or {}).get(role)
    stream = mset.stream if mset is not None else None
    if stream is not None and inputs.tables.get(role) is stream.table:
        return stream.batches(READ_BATCH, check=False)
    return inputs.batches(role, READ_BATCH)


def find_records(inputs: "AuditInputs", keep: Any, limit: int, role: str = "synthetic"
                 ) -> list[tuple[int, "pd.Series"]]:
    """The first ``limit`` records of a role (0-based position, row) where ``keep(batch, offset)`` (a boolean mask
    of the batch whose first row is at ``offset``) holds; only those are kept while the role is read."""
    out: list[tuple[int, Any]] = []
    if role not in inputs.tables or limit <= 0:
        return out
    offset = 0
    for batch in record_batches(inputs, role):
        for i in np.flatnonzero(np.asarray(keep(batch, offset), dtype=bool)):
            out.append((offset + int(i), batch.iloc[int(i)]))
            if len(out) >= limit:
                return out
        offset += len(batch)
    return out


def records_at(inputs: "AuditInputs", positions: Sequence[int], role: str = "synthetic") -> dict[int, "pd.Series"]:
    """The records of a role at 0-based ``positions`` (a record metric's record indices); none when the role's
    table is a seeded sample (its positions are not the records')."""
    want = np.unique(np.asarray(positions, dtype=np.int64))
    if not len(want) or role in (inputs.extra.get("sampled") or {}):
        return {}
    found = find_records(inputs, lambda b, o: np.isin(np.arange(o, o + len(b)), want), len(want), role)
    return dict(found)


def batch_field(batch: "pd.DataFrame", name: str) -> list[Any]:
    """A field of a batch of the audit table, structured values parsed (None where absent)."""
    if name not in batch.columns:
        return [None] * len(batch)
    values = batch[name].tolist()
    if name in STRUCTURED:
        values = [parse_structured(v) for v in values]
    return [v if _present(v) else None for v in values]


def iter_images(sources: Sequence[Any], errors: list[dict[str, Any]] | None = None) -> Iterator[np.ndarray | None]:
    """Decoded images in order (None for an unreadable one, whose reason is appended to ``errors``)."""
    for i, src in enumerate(sources):
        if src is None:
            yield None
            continue
        try:
            yield decode_image(src)
        except MediaError as exc:
            if errors is not None:
                errors.append({"index": i, "source": _describe_source(src), "reason": str(exc)})
            yield None
