"""What the record-per-item loaders share (graphs, JSON documents, log messages): choosing a field of a table,
the spec of where a table's fields are, and the per-batch memo of parsed items every metric of an audit reads."""
from __future__ import annotations

from dataclasses import fields as dc_fields
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from synthaudit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from synthaudit.data.inputs import AuditInputs


def pick_field(cols: Sequence[str], chosen: str | None, label: str, flag: str,
               defaults: Sequence[str] = (), hidden: Sequence[str] = ()) -> str | None:
    """The field ``chosen`` (an InputError naming the file and flag when the table lacks it), else the first of
    ``defaults`` present, else None. ``hidden``: columns the loader added, not listed in the error."""
    if chosen is not None:
        if chosen not in cols:
            shown = [c for c in cols if c not in hidden][:12]
            raise InputError(f"has no field {chosen!r}; fields: {', '.join(shown)}", file=label, field=flag)
        return chosen
    return next((c for c in defaults if c in cols), None)


class FieldSpec:
    """Mixin of a (dataclass) spec whose attributes are field names: the columns it reads and a description."""

    def columns(self) -> list[str]:
        return [v for v in (getattr(self, f.name) for f in dc_fields(self)) if isinstance(v, str) and v]

    def describe(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dc_fields(self) if getattr(self, f.name) not in (None, "")}


def batch_items(inputs: "AuditInputs", name: str, role: str, batch: "pd.DataFrame",
                parse: Callable[[], list]) -> list:
    """The items ``parse()`` gives for ``batch``, memoised per batch object under ``name`` (every metric of the
    modality reads the same batch; only the latest batch is kept)."""
    memo = inputs.features.get(name, dict)
    key = (role, id(batch), len(batch))
    hit = memo.get(key)
    if hit is not None and hit[0] is batch:
        return hit[1]
    out = parse()
    memo.clear()
    memo[key] = (batch, out)
    return out


def iter_parsed(inputs: "AuditInputs", role: str, batch_size: int | None,
                parse: Callable[["pd.DataFrame", int], list]) -> Iterator[list]:
    """Every batch of a role parsed by ``parse(batch, offset)``, the offset being the records before the batch, so
    that record numbers count over the whole table."""
    offset = 0
    for batch in inputs.batches(role, batch_size):
        yield parse(batch, offset)
        offset += len(batch)
