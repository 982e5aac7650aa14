"""Load and check the dialogue corpora of an audit (one record per dialogue)."""
from __future__ import annotations

from typing import Any

from synthaudit.data.dialogue import prepare_dialogue
from synthaudit.data.inputs import AuditInputs
from synthaudit.modalities.base import LoadOptions
from synthaudit.modalities.dialogue import DialogueInputs


def prepare(opts: DialogueInputs, load: LoadOptions, seed: int, params: dict[str, Any]) -> AuditInputs:
    return prepare_dialogue(**opts.as_dict(), seed=seed, params=params, stream=load.stream, fmt=load.fmt,
                            encoding=load.encoding)
