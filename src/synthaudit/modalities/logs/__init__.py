"""Log data (survey sections 5.2-5.3): the options of ``synthaudit audit logs`` and the hooks.

A record is one log message (see ``synthaudit.data.logs``); templates come from the data, from the user's
template file, or from Drain3 (``synthaudit.data.log_templates``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthaudit.modalities.base import FilterSpec, Modality, ModalityInputs, TrackSpec, option
from synthaudit.modalities.registry import register_modality

_HERE = "synthaudit.modalities.logs"

#: option name -> LogSpec attribute (per-record fields beside the message)
FIELD_OPTIONS = {"template_field": "template", "reference_field": "reference", "level_field": "level",
                 "reference_level_field": "reference_level", "variables_field": "variables",
                 "reference_variables_field": "reference_variables", "reference_text_field": "reference_text",
                 "session_field": "session", "label_field": "label", "original_field": "original",
                 "spans_field": "spans", "human_field": "human"}


@dataclass(kw_only=True)
class LogsInputs(ModalityInputs):
    """Inputs of a logs audit: one record per log message."""

    modality = "logs"

    synthetic: Any = option(None, "Generated (or parsed, or anonymised) logs: a .log file (one message per line; "
                            "see --log-format), loghub's structured CSV, JSON Lines, Parquet or a table.",
                            kind="data", short="-s", role="synthetic")
    real: Any = option(None, "Real logs to compare with.", kind="data", short="-r", role="real_reference")
    train: Any = option(None, "Real training logs with anomaly labels (logs.delta_downstream, "
                        "logs.anonymization_delta).", kind="data", role="train")
    holdout: Any = option(None, "Real test logs with anomaly labels (the fixed test set of the downstream task).",
                          kind="data", role="real_holdout")
    log_format: str | None = option(None, "Header format of raw log lines, loghub style: '<Date> <Time> <Pid> "
                                    "<Level> <Component>: <Content>' (the message is <Content>).")
    content_field: str | None = option(None, "Field holding the message (default: the first of Content, content, "
                                       "message, msg, line, log, text).")
    template_field: str | None = option(None, "Field holding a parser's predicted template (an LLM parser's "
                                        "output); without it synthaudit parses the messages (--parser).")
    reference_field: str | None = option(None, "Field holding the ground-truth template (default: EventTemplate, "
                                         "event_template or template).", role="references")
    level_field: str | None = option(None, "Field holding the generated level (default: Level, level, severity).")
    reference_level_field: str | None = option(None, "Field holding the reference level (logs.level_accuracy, "
                                               "logs.aod).")
    variables_field: str | None = option(None, "Field holding predicted variables (default: read off the predicted "
                                         "template).")
    reference_variables_field: str | None = option(None, "Field holding the true variables (default: read off the "
                                                   "ground-truth template).")
    reference_text_field: str | None = option(None, "Field holding a reference message for BLEU, ROUGE and semantic "
                                              "similarity (default: the predicted template against the ground-truth "
                                              "template).")
    session_field: str | None = option(None, "Field holding the session id (default for the downstream task: the "
                                       "HDFS block id, blk_..., found in the message).")
    label_field: str | None = option(None, "Field holding the anomaly label (1/0, true/false, Anomaly/Normal) of a "
                                     "message or its session.", role="labels")
    original_field: str | None = option(None, "Field holding the line before anonymisation "
                                        "(logs.sensitive_span_prf).")
    spans_field: str | None = option(None, "Field holding gold sensitive spans [{type, start, end}] of the original "
                                     "line.")
    human_field: str | None = option(None, "Field holding human Likert scores: a number, a list (raters) or a "
                                     "mapping question -> number or list.", role="human_scores")
    parser: str = option("drain3", "How messages are parsed when no --template-field is given: drain3 or "
                         "templates (--templates).")
    templates: Any = option(None, "The user's templates (one per line with <*> for variables, or a CSV with an "
                            "EventTemplate column).", kind="file")
    parser_config: Any = option(None, "Drain3 settings (YAML file or mapping): depth, sim_th, max_children, "
                                "max_clusters, extra_delimiters, masking [{regex_pattern, mask_with}].",
                                kind="config")
    detector: str = option("builtin", "Sensitive-span detector: builtin (regex + checksums), presidio (pattern "
                           "recognizers, offline), or module:function returning [{type, start, end}].", role="rules")


MODALITY = register_modality(Modality(
    name="logs", title="Logs", section="5.2-5.3", inputs=LogsInputs,
    summary="Audit generated and parsed logs (survey sections 5.2-5.3): loghub-2.0 parsing metrics (PA, GA, FTA, "
            "FGA) with Drain3, variables, BLEU/ROUGE/semantic similarity, levels, downstream anomaly detection, "
            "sensitive-data exposure and anonymisation, human ratings.",
    prepare=f"{_HERE}.prepare:prepare", metrics="synthaudit.metrics.logs", model_options=("embedder",),
    filter=FilterSpec(aliases={"exposure": "logs.exposure", "parsed": "logs.parsing_accuracy"},
                      defaults=("exposure",), thresholds={"logs.exposure": ("max", 0.0)},
                      record_scored=frozenset({"logs.exposure"}),
                      options=("log_format", "content_field", "template_field", "reference_field", "detector")),
    track=TrackSpec(metrics=("logs.grouping_accuracy", "logs.exposure")),
    report_figures=f"{_HERE}.report:figures",
    reference=f"{_HERE}.reference:reference", reference_dimensions=("validity", "fidelity", "privacy"),
    generate_command=f"{_HERE}.cli:generate_logs",
    demo=f"{_HERE}.demo:section",
    docs="docs/logs.md",
    raw_lines="synthaudit.data.logs:raw_lines",
))
