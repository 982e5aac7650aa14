"""Hard inputs (issue 11): malformed files of every format through every command that reads data or reports.

Every registered modality inherits the suite (``synthaudit.modalities.modalities()``): its ``audit`` command, its
``filter`` and its ``track`` (when declared) run on every case, with command lines built from its options object
and ``FilterSpec``. Each run must end with exit 0, or exit 2 and exactly one ``error:`` line naming the file (never
a crash, never a traceback); no input file may change; nothing may be written outside ``--out``.

Cheap by construction: the commands run in this process (Typer's CliRunner), audits select metrics that need no
model (a modality whose every metric needs one is audited with a dimension it has no metric of: its inputs are
still read and checked in full), and ``filter`` uses model-free checks (or the offline scikit-learn profanity
classifier for dialogue, whose every check needs a scorer). Property tests (hypothesis) check the loaders.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import shutil
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from synthaudit.catalog import ALL_DIMENSIONS
from synthaudit.data import files
from synthaudit.errors import InputError
from synthaudit.modalities import modalities

MODS = modalities()
#: metrics known to be cheap, per built-in modality; another modality gets its model-free metrics
CHEAP_METRICS = {"tabular": ["tabular.kst", "tabular.tvd"], "text": ["text.ttr", "text.ext.empty_rate"],
                 "logs": ["logs.exposure"],  # its built-in detector is the "rules" input it needs
                 "timeseries": ["timeseries.marginal_ks", "timeseries.ext.length_similarity"],
                 "agent": ["agent.discounted_return", "agent.agent_diversity"]}
#: the vision audits read the records' text as media paths: every medium is unreadable, which is listed, never fatal
MEDIA_ARGS = {"image_text": ["--image-field", "text"], "video_text": ["--video-field", "text"]}
CHEAP_CHECKS = {"tabular": ["dcr"], "text": ["empty", "exact_duplicate"], "dialogue": ["tsg"], "graph": ["scr"],
                "json": ["valid"], "logs": ["exposure"]}
DEEP = 10_000


# -- the cases -------------------------------------------------------------------------------------------------

def good_records(n: int = 12) -> list[dict]:
    """Records every built-in modality can read: a number, a category, a text and a dialogue."""
    return [{"x": round(1.5 * i + 0.25, 3), "y": "ab"[i % 2], "text": f"Record {i} says something new.",
             "turns": [{"role": "user", "content": f"hello {i}"}, {"role": "assistant", "content": f"hi {i}!"}]}
            for i in range(n)]


def agent_episodes(n: int = 4) -> list[dict]:
    """Trajectories of the agent modality (episode layout): env actions with telemetry, and a tool call."""
    return [{"episode_id": f"ep{i}", "seed": i, "dt": 0.5,
             "steps": [{"action": k % 3, "reward": 0.5 * k,
                        "state": {"ego": {"x": 10.0 * k, "y": 4.0 * i, "speed": 20.0 + k}, "others": []}}
                       for k in range(3)] + [{"action": {"tool": "search", "arguments": {"q": f"q{i}"}}}]}
            for i in range(n)]


#: the files of a modality whose records are not the shared ``good`` records: its valid baselines (the first is its
#: reference file) and the cases it must refuse
BASELINES = {"agent": ("agent.jsonl", "agent_steps.parquet")}
REFUSED_BY = {"agent": ("good.csv", "good.tsv", "good.jsonl", "good.json", "good.parquet", "good.csv.gz",
                        "good.txt", "agent_bad.jsonl")}


def csv_text(records: list[dict], sep: str = ",") -> str:
    buf = io.StringIO()
    names = list(dict.fromkeys(k for r in records for k in r))
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    w.writerow(names)
    for r in records:
        w.writerow([json.dumps(r[k]) if isinstance(r.get(k), (list, dict)) else r.get(k, "") for k in names])
    return buf.getvalue()


def jsonl_text(records: list) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def deep(n: int = DEEP) -> str:
    return "[" * n + "]" * n


def _parquet(path: Path, frame: pd.DataFrame) -> None:
    frame.to_parquet(path, index=False)


def build_cases(root: Path) -> dict[str, Path]:
    """Every case file in ``root``: name -> path."""
    good = good_records()
    rng = np.random.default_rng(0)
    out: dict[str, Path] = {}

    def text(name: str, content: str, encoding: str = "utf-8") -> None:
        (root / name).write_text(content, encoding=encoding, newline="")
        out[name] = root / name

    def raw(name: str, content: bytes) -> None:
        (root / name).write_bytes(content)
        out[name] = root / name

    # valid baselines in every format
    text("good.csv", csv_text(good))
    text("good.tsv", csv_text(good, "\t"))
    text("good.jsonl", jsonl_text(good))
    text("good.json", json.dumps(good))
    _parquet(root / "good.parquet", pd.DataFrame(good))
    out["good.parquet"] = root / "good.parquet"
    raw("good.csv.gz", gzip.compress(csv_text(good).encode()))
    text("good.txt", "".join(r["text"] + "\n" for r in good))
    # agent trajectories: the episode layout, the step layout (rows out of order) and an invalid step
    episodes = agent_episodes()
    text("agent.jsonl", jsonl_text(episodes))
    steps = [{"episode_id": e["episode_id"], "seed": e["seed"], "step": k, **s}
             for e in episodes for k, s in enumerate(e["steps"]) if isinstance(s["action"], int)]  # one Arrow type
    _parquet(root / "agent_steps.parquet", pd.DataFrame(steps[::-1]))
    out["agent_steps.parquet"] = root / "agent_steps.parquet"
    text("agent_bad.jsonl", jsonl_text([*episodes[:2], {"episode_id": "bad", "steps": [{"action": 1, "reward": "x"}]}]))
    # empty, blank, header only, one row
    for ext in ("csv", "jsonl", "json", "parquet", "txt"):
        raw(f"empty.{ext}", b"")
    text("blank.csv", "\n\n   \n")
    text("blank.jsonl", "\n\n")
    text("header_only.csv", "x,y,text,turns\n")
    text("empty_array.json", "[]")
    _parquet(root / "header_only.parquet", pd.DataFrame(good).iloc[:0])
    out["header_only.parquet"] = root / "header_only.parquet"
    text("one_row.csv", csv_text(good[:1]))
    text("one_row.jsonl", jsonl_text(good[:1]))
    # degenerate values
    text("constant.csv", csv_text([{**r, "x": 1.0, "y": "a", "text": "same"} for r in good]))
    text("all_nan.csv", csv_text([{**r, "x": ""} for r in good]))
    text("inf.csv", csv_text([{**r, "x": ["inf", "-inf", r["x"]][i % 3]} for i, r in enumerate(good)]))
    text("inf.jsonl", "".join(json.dumps({**r, "x": float(["inf", "-inf", "nan", r["x"]][i % 4])}) + "\n"
                              for i, r in enumerate(good)))
    mixed = [1, "a", None, True, {"k": 1}, [1, 2], 2.5, "", "3"]
    text("mixed.jsonl", jsonl_text([{**r, "x": mixed[i % 9], "text": mixed[(i + 3) % 9] if i % 2 else r["text"]}
                                    for i, r in enumerate(good)]))
    text("mixed.csv", csv_text([{**r, "x": ["1", "a", "", "2.5"][i % 4]} for i, r in enumerate(good)]))
    # names
    text("unicode_names.csv", csv_text([{"名前": r["x"], "😀 emoji": r["y"], "text": r["text"], "turns": r["turns"]}
                                        for r in good]))
    text("duplicate_names.csv", "x,x,text\n" + "".join(f"{i},{i},t{i}\n" for i in range(6)))
    text("duplicate_keys.jsonl", "".join(f'{{"x": {i}, "x": {i + 1}, "text": "t{i}"}}\n' for i in range(6)))
    raw("bom.csv", b"\xef\xbb\xbf" + csv_text(good).encode())
    # structure
    text("ragged.csv", "x,y,text\n1,a,t\n2,b,t,extra,more\n3,a,t\n")
    text("unterminated_quote.csv", 'x,y,text\n1,a,"never closed\n2,b,t\n')
    raw("nul.csv", b"x,y,text\n1,a,t\x00x\n2,b,t\n")
    text("non_object.jsonl", '[1, 2]\n3\n"s"\n')
    text("invalid.jsonl", jsonl_text(good[:3]) + '{"x": 1, "text": \n')
    text("not_array.json", '{"x": 1}')
    text("scalar.json", "3")
    text("bad_turns.jsonl", jsonl_text([{**good[0], "turns": "not a list"}, {**good[1], "turns": [{"content": "x"}]}]))
    frame = pd.DataFrame(good)
    frame["nested"] = [{"a": {"b": [i, i + 1], "c": {"d": str(i)}}} for i in range(len(frame))]
    frame["lists"] = [[[i], [i, i + 1]] for i in range(len(frame))]
    _parquet(root / "nested.parquet", frame)
    out["nested.parquet"] = root / "nested.parquet"
    # garbage and damage
    garbage = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    for ext in ("csv", "jsonl", "json", "parquet", "txt"):
        raw(f"binary.{ext}", garbage)
    whole = gzip.compress(csv_text(good_records(400)).encode())
    raw("truncated.csv.gz", whole[: len(whole) // 2])
    whole = gzip.compress(jsonl_text(good_records(400)).encode())
    raw("truncated.jsonl.gz", whole[: len(whole) // 2])
    whole = gzip.compress("".join(f"line {i}\n" for i in range(3000)).encode())
    raw("truncated.txt.gz", whole[: len(whole) // 2])
    raw("not_gzip.csv.gz", csv_text(good).encode())
    # size and depth
    text("huge_cell.csv", csv_text([{**good[0], "text": "w" * (1 << 20)}, *good[1:]]))
    text("huge_line.jsonl", jsonl_text([{**good[0], "text": "w " * (1 << 19)}, *good[1:]]))
    text("deep.jsonl", jsonl_text(good[:2]) + '{"x": 1, "text": "t", "turns": ' + deep() + "}\n")
    text("deep.json", '[{"x": 1, "text": "t", "turns": ' + deep() + "}]")
    text("deep_cell.csv", "x,text,turns\n1,t,\"" + deep() + "\"\n")
    # encodings and lone surrogates
    text("surrogate.jsonl", jsonl_text(good[:2]) + '{"x": 1, "text": "bad \\ud800 text", "turns": []}\n')
    text("surrogate_cell.csv", 'x,text,turns\n1,t,"[{""role"": ""user"", ""content"": ""a \\udc00""}]"\n')
    raw("invalid_utf8.csv", csv_text(good[:3]).encode() + b"9,a,\xff bad,[]\n")
    raw("surrogate_bytes.csv", csv_text(good[:3]).encode() + b"9,a,\xed\xa0\x80 bad,[]\n")
    raw("invalid_utf8.txt", b"fine\n\xff\xfe bad\n")
    raw("invalid_utf8.jsonl", jsonl_text(good[:2]).encode() + b'{"text": "\xff"}\n')
    return out


def build_reports(root: Path, data: dict[str, Path]) -> dict[str, Path]:
    """report.json cases: a valid one (and its folder) and damaged copies."""
    import synthaudit

    valid_dir = root / "valid_run"
    synthaudit.audit("tabular", synthetic=data["good.csv"], real=data["good.csv"], metrics=["tabular.kst"],
                     out=valid_dir)
    valid = (valid_dir / "report.json").read_text(encoding="utf-8")
    doc = json.loads(valid)
    out = {"valid_run/report.json": valid_dir / "report.json", "valid_run": valid_dir}

    def write(name: str, content: str | bytes) -> None:
        path = root / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        out[name] = path

    write("r_truncated.json", valid[: len(valid) // 2])
    write("r_deep.json", deep())
    write("r_deep_inside.json", json.dumps({**doc, "warnings": "@"}).replace('"@"', deep(300)))
    write("r_modality.json", json.dumps({**doc, "modality": "text"}))
    write("r_unknown_key.json", json.dumps({**doc, "surprise": 1}))
    write("r_nan.json", json.dumps({**doc, "warnings": [float("nan")]}))
    write("r_surrogate.json", json.dumps({**doc, "warnings": ["\udfff"]}))
    write("r_array.json", "[]")
    write("r_empty.json", b"")
    write("r_binary.json", bytes(range(256)) * 4)
    write("r_invalid_utf8.json", valid.encode("utf-8").replace(b'"modality"', b'"modality\xff"', 1))
    write("r_script.json", json.dumps({**doc, "warnings": ["<script>alert(1)</script>"]}))
    return out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("fuzz")
    inputs = root / "inputs"
    inputs.mkdir()
    data = build_cases(inputs)
    reports = build_reports(inputs, data)
    return {"root": root, "data": data, "reports": reports}


# -- running a command and checking the rules ------------------------------------------------------------------

def _tree(root: Path, skip: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` except under ``skip``."""
    out = {}
    for dirpath, _, names in os.walk(root):
        if Path(dirpath) == skip or skip in Path(dirpath).parents:
            continue
        for n in names:
            p = Path(dirpath) / n
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


_APP = None


def run(ws: dict, args: list[str], out: Path, names_file: Path | None, keep: bool = False) -> tuple[int, str]:
    """Run one command in this process; check exit 0/2, one ``error:`` line naming the file on exit 2, no
    traceback, inputs unchanged and nothing written outside ``out``. Returns (exit code, stderr)."""
    global _APP
    from synthaudit.cli.application import build_app

    _APP = _APP or build_app()
    root = ws["root"]
    before = _tree(root, out)
    cwd = os.getcwd()
    os.chdir(root)  # a relative write would land in the checked tree
    try:
        result = CliRunner().invoke(_APP, [str(a) for a in args], env={"NO_COLOR": "1", "COLUMNS": "200"})
    finally:
        os.chdir(cwd)
    shown = f"synthaudit {' '.join(map(str, args))}\nstdout: {result.stdout[-2000:]}\nstderr: {result.stderr[-2000:]}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        tb = "".join(traceback.format_exception(result.exception))
        pytest.fail(f"crashed: {shown}\n{tb}")
    code = result.exit_code
    assert code in (0, 2), f"exit {code}: {shown}"
    assert "Traceback" not in result.stdout + result.stderr, shown
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    if code == 2:
        assert len(errors) == 1, shown
        if names_file is not None:
            assert names_file.name in errors[0], f"the error does not name {names_file.name}: {shown}"
    else:
        assert not errors, shown
    after = _tree(root, out)
    assert after == before, (f"files outside --out changed: "
                             f"{sorted(set(after.items()) ^ set(before.items()))[:6]}\n{shown}")
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return code, result.stderr


def _model_free(modality: str) -> list[str]:
    from synthaudit.metrics.registry import all_metrics

    return [i for i, m in all_metrics().items() if m.spec.modality == modality and tuple(m.spec.models) == ("none",)
            and set(m.spec.inputs) <= {"synthetic", "real_reference"}]


def selection(modality: str) -> list[str]:
    """Cheap metrics of the modality, or (every metric needs a model) a dimension it has no metric of: the inputs
    are read and checked all the same."""
    from synthaudit.metrics.registry import all_metrics

    media = MEDIA_ARGS.get(modality, [])
    chosen = CHEAP_METRICS.get(modality) or _model_free(modality)[:2]
    if chosen:
        return ["--metrics", ",".join(chosen), *media]
    dims = {m.spec.dimension for m in all_metrics().values() if m.spec.modality == modality}
    return ["--dimensions", next(d for d in ALL_DIMENSIONS if d not in dims), *media]


def needs_real(modality: str) -> bool:
    from synthaudit.metrics.registry import all_metrics

    sel = selection(modality)
    return sel[0] == "--metrics" and any("real_reference" in all_metrics()[i].spec.inputs for i in sel[1].split(","))


def reference(ws: dict, modality: str) -> Path:
    """A valid file of the modality (the real data, earlier generations)."""
    if modality in BASELINES:
        return ws["data"][BASELINES[modality][0]]
    return ws["data"]["good.csv" if modality == "tabular" else "good.jsonl"]


def _case_names() -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        return sorted(build_cases(Path(d)))


DATA_CASES = _case_names()


# -- every command on every case --------------------------------------------------------------------------------

def valid_for(modality: str, case: str) -> bool:
    """The baselines every modality reads (plain text, one record per line, is a text format only), or the
    modality's own."""
    if modality in BASELINES:
        return case in BASELINES[modality]
    return case.startswith("good.") and (case != "good.txt" or MODS[modality].text_lines)


#: files the JSON audit reads as documents where the other readers refuse them: invalid JSON, JSON nested too
#: deeply, lines that are not objects are records whose text is kept and counted (json.valid_json_rate)
KEPT_AS_DOCUMENTS = {"json": {"deep.json", "deep.jsonl", "invalid.jsonl", "non_object.jsonl", "not_array.json",
                              "scalar.json", "surrogate.jsonl"}}


def refused(modality: str, case: str) -> bool:
    """Cases every reader must refuse (exit 2); a JSON cell is parsed by the dialogue reader only."""
    if modality == "dialogue" and case in ("deep_cell.csv", "surrogate_cell.csv", "bad_turns.jsonl"):
        return True
    if case in REFUSED_BY.get(modality, ()):
        return True
    if case in KEPT_AS_DOCUMENTS.get(modality, ()):
        return False
    return case in ("deep.json", "deep.jsonl", "surrogate.jsonl", "ragged.csv", "non_object.jsonl",
                    "duplicate_names.csv", "invalid.jsonl", "not_array.json", "scalar.json", "not_gzip.csv.gz") \
        or case.startswith(("binary.", "truncated.", "empty.", "invalid_utf8", "surrogate_bytes"))


@pytest.mark.parametrize("modality", list(MODS))
@pytest.mark.parametrize("case", DATA_CASES)
def test_audit(workspace, modality, case):
    path = workspace["data"][case]
    out = workspace["root"] / "out"
    real = ["--real", reference(workspace, modality)] if needs_real(modality) else []
    code, err = run(workspace, ["audit", modality, "--synthetic", path, *real, "--out", out, "-q",
                                *selection(modality)], out, path)
    if valid_for(modality, case):
        assert code == 0, err
    if refused(modality, case) or case in ("header_only.csv", "header_only.parquet", "empty_array.json",
                                           "blank.jsonl"):
        assert code == 2, f"{case} was accepted by audit {modality}"


def _filter_args(ws: dict, modality: str) -> list[str] | None:
    m = MODS[modality]
    if m.filter is None:
        return None
    spec = m.filter
    checks = CHEAP_CHECKS.get(modality)
    if checks is None:
        from synthaudit.metrics.registry import all_metrics

        free = set(_model_free(modality))
        checks = [a for a, mid in spec.aliases.items() if mid in free and all_metrics()[mid].spec.computation
                  == "record"][:1] or list(spec.defaults)
    args = ["--checks", ",".join(checks)]
    if "real" in spec.options:
        args += ["--real", reference(ws, modality)]
    if modality == "tabular":  # DCR compares with rows the generator never saw
        args += ["--holdout", ws["data"]["good.tsv"]]
    return args


@pytest.mark.parametrize("modality", [n for n, m in MODS.items() if m.filter is not None])
@pytest.mark.parametrize("case", DATA_CASES)
def test_filter(workspace, modality, case):
    path = workspace["data"][case]
    out = workspace["root"] / "out"
    code, err = run(workspace, ["filter", "--modality", modality, "--synthetic", path, "--out", out, "-q",
                                *_filter_args(workspace, modality)], out, path)
    if valid_for(modality, case):
        assert code == 0, err
    if refused(modality, case):
        assert code == 2, f"{case} was accepted by filter --modality {modality}"


@pytest.mark.parametrize("modality", [n for n, m in MODS.items() if m.track is not None])
@pytest.mark.parametrize("case", DATA_CASES)
def test_track(workspace, modality, case):
    sel = selection(modality)
    if sel[0] != "--metrics":
        pytest.skip(f"every {modality} metric needs a model")
    path = workspace["data"][case]
    out = workspace["root"] / "out"
    ref = reference(workspace, modality)
    code, err = run(workspace, ["track", "--modality", modality, "--real", ref, ref, path, "--out", out,
                                "--metrics", sel[1]], out, path)
    if case == ref.name:
        assert code == 0, err
    if refused(modality, case) or case in ("header_only.csv", "header_only.parquet", "empty_array.json",
                                           "blank.jsonl"):
        assert code == 2, f"{case} was accepted as a generation by track --modality {modality}"


REPORT_COMMANDS = {"gaps": lambda p, out: ["gaps", p],
                   "pareto": lambda p, out: ["pareto", p, "--metrics", "tabular.kst"],
                   "report": lambda p, out: ["report", p, "--html", out / "report.html"]}
REPORT_CASES = ["valid_run/report.json", "valid_run", "r_truncated.json", "r_deep.json", "r_deep_inside.json",
                "r_modality.json", "r_unknown_key.json", "r_nan.json", "r_surrogate.json", "r_array.json",
                "r_empty.json", "r_binary.json", "r_invalid_utf8.json", "r_script.json"]


@pytest.mark.parametrize("command", list(REPORT_COMMANDS))
@pytest.mark.parametrize("case", REPORT_CASES + [c for c in DATA_CASES if ".json" in c])
def test_report_readers(workspace, command, case):
    path = workspace["reports"].get(case) or workspace["data"][case]
    out = workspace["root"] / "out"
    out.mkdir(exist_ok=True)
    code, err = run(workspace, REPORT_COMMANDS[command](path, out), out, path)
    if case in ("valid_run/report.json", "valid_run", "r_script.json"):
        assert code == 0, err
    else:
        assert code == 2, f"{case} was accepted by {command}"
    if case == "r_modality.json":
        assert "modality is 'text'" in err and "tabular.kst" in err
    if case in ("r_deep.json", "deep.json"):
        assert "nested too deeply" in err


CONFIG_FLAGS = {"--policy": "tabular", "--schema": "tabular", "--constraints": "tabular",
                "--generator-meta": "tabular", "--rules": "text", "--thresholds": "track"}
CONFIG_CASES = ["deep.json", "deep.jsonl", "binary.json", "empty.json", "scalar.json", "surrogate.jsonl",
                "invalid_utf8.jsonl", "huge_line.jsonl", "non_object.jsonl", "nested.parquet"]


@pytest.mark.parametrize("flag", list(CONFIG_FLAGS))
@pytest.mark.parametrize("case", CONFIG_CASES)
def test_config_files(workspace, flag, case):
    """Policy, spec, constraints, generator metadata, IFEval rules and track thresholds: one error naming the
    file (or accepted), never a crash."""
    path = workspace["data"][case]
    out = workspace["root"] / "out"
    target = CONFIG_FLAGS[flag]
    if target == "track":
        ref = reference(workspace, "tabular")
        args = ["track", "--real", ref, ref, ref, "--metrics", "tabular.kst", flag, path, "--out", out]
    else:
        real = ["--real", reference(workspace, target)] if needs_real(target) else []
        args = ["audit", target, "--synthetic", reference(workspace, target), *real, flag, path, "--out", out, "-q",
                *selection(target)]
    code, err = run(workspace, args, out, path)
    if case.startswith(("deep", "binary")):
        assert code == 2, f"{case} was accepted as {flag}"


def test_report_html_escapes_user_text(workspace):
    out = workspace["root"] / "out_escape"
    out.mkdir()
    code, err = run(workspace, ["report", workspace["reports"]["r_script.json"], "--html", out / "r.html"], out, None,
                    keep=True)
    html = (out / "r.html").read_text(encoding="utf-8")
    assert code == 0, err
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- the causes one by one --------------------------------------------------------------------------------------

def test_deep_json_is_one_error_in_every_reader(tmp_path):
    text = deep()
    assert files.json_depth(text) == DEEP
    assert files.json_depth('{"a": "[[[[", "b": ["\\"]]", [1]]}') == 3
    with pytest.raises(files.JSONTextError, match="nested too deeply"):
        files.loads_json(text)
    ok = "[" * files.MAX_JSON_DEPTH + "]" * files.MAX_JSON_DEPTH
    assert files.loads_json(ok) is not None
    with pytest.raises(files.JSONTextError, match=f"more than {files.MAX_JSON_DEPTH} levels"):
        files.loads_json("[" + ok + "]")
    (tmp_path / "d.json").write_text(text)
    with pytest.raises(InputError, match="d.json: is nested too deeply"):
        files.read_json_file(tmp_path / "d.json")
    from synthaudit.analysis import load_report
    from synthaudit.analysis.track import is_report

    with pytest.raises(InputError, match="not a synthaudit report: nested too deeply"):
        load_report(tmp_path / "d.json")
    assert is_report(tmp_path / "d.json") is False  # then read as data, which names the problem


def test_lone_surrogates_are_refused_like_invalid_bytes(tmp_path):
    assert files.loads_json('"\\ud83d\\ude00"') == "😀"  # a pair is one character
    with pytest.raises(files.JSONTextError, match="lone surrogate"):
        files.loads_json('{"a": ["\\ud800"]}')
    assert files.loads_json('"\\\\ud800"') == "\\ud800"  # an escaped backslash: text, not an escape
    (tmp_path / "s.jsonl").write_text('{"text": "ok"}\n{"text": "x \\udfff"}\n')
    with pytest.raises(InputError, match="line 2 holds a lone surrogate"):
        files.read_file(tmp_path / "s.jsonl")
    from synthaudit.generate.filter import read_records

    with pytest.raises(InputError, match="line 2 holds a lone surrogate"):
        read_records(tmp_path / "s.jsonl", "text")
    (tmp_path / "b.csv").write_bytes(b"text\nok\n\xed\xa0\x80\n")  # surrogate bytes: not UTF-8 either
    with pytest.raises(InputError, match="not valid utf-8 at line 3"):
        files.read_file(tmp_path / "b.csv")
    with pytest.raises(InputError, match="not valid utf-8 at line 3"):
        read_records(tmp_path / "b.csv", "text")


def test_surrogate_in_a_dialogue_cell_names_the_record(tmp_path):
    from synthaudit.data.dialogue import prepare_dialogue

    (tmp_path / "d.csv").write_text('turns\n"[{""role"": ""user"", ""content"": ""a""}, {""role"": ""assistant"", '
                                    '""content"": ""b \\ud800""}]"\n')
    with pytest.raises(InputError, match=r"record 1: the JSON text holds a lone surrogate"):
        prepare_dialogue(synthetic=tmp_path / "d.csv")


def test_huge_csv_cell(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("text,y\n" + "a" * (1 << 21) + ",1\nb,2\n")
    frame = files.read_file(path)
    assert frame.shape == (2, 2) and len(frame["text"][0]) == 1 << 21
    from synthaudit.generate.filter import read_records

    assert len(read_records(path, "text")) == 2


def test_inf_is_missing_with_a_warning_and_the_html_is_written(tmp_path):
    import synthaudit

    rows = [{"x": float(i), "y": "ab"[i % 2]} for i in range(40)]
    syn = pd.DataFrame(rows + [{"x": np.inf, "y": "a"}, {"x": -np.inf, "y": "b"}])
    report = synthaudit.audit("tabular", synthetic=syn, real=pd.DataFrame(rows), holdout=pd.DataFrame(rows),
                              out=tmp_path)
    assert (tmp_path / "report.html").exists()
    assert report.result("tabular.kst").status == "ok" and report.result("tabular.dcr").status == "ok"
    assert any("column 'x': 2 value(s) are not finite numbers (inf or -inf) and were treated as missing" in w
               for w in report.warnings), report.warnings
    from synthaudit.metrics.tabular.features import marginal_hist
    from synthaudit.report.plots import marginal_svg

    payload = marginal_hist("x", np.array([1.0, np.inf, 2.0]), np.array([-np.inf, 1.5, np.nan]))
    assert np.isfinite(payload["edges"]).all() and payload["non_finite"] == {"real": 1, "synthetic": 2}
    assert marginal_svg({"kind": "hist", "title": "x", "edges": [0.0, None], "real": [1.0], "synthetic": [1.0]})


def test_track_refuses_an_empty_generation_before_any_audit(tmp_path, monkeypatch):
    from synthaudit.analysis import track as tr
    from synthaudit.audit import api

    (tmp_path / "g0.csv").write_text("x,y\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(20)))
    (tmp_path / "g1.csv").write_text("x,y\n")
    calls = []
    monkeypatch.setattr(api, "audit", lambda *a, **k: calls.append(a))
    with pytest.raises(InputError, match="has a header but no data rows") as err:
        tr.track([tmp_path / "g0.csv", tmp_path / "g1.csv"], real=tmp_path / "g0.csv", metrics=["tabular.kst"])
    assert "g1.csv" in str(err.value) and not calls
    with pytest.raises(InputError, match="has no records"):
        tr.track([tmp_path / "g0.csv", tmp_path / "g1.csv"], real=tmp_path / "g0.csv", modality="text",
                 metrics=["text.ttr"], audit_kwargs={"field": "y"})


def test_filter_reads_through_the_audit_loaders(tmp_path):
    """The same file gives the same error to ``filter`` as to the audit (one reader)."""
    from synthaudit.data.text import load_corpus
    from synthaudit.generate.filter import read_records

    lines = "".join(f"line {i}\n" for i in range(5000)).encode()
    cases = {"r.csv": b"text,y\na,1\nb,2,3,4\n", "u.csv": b"text\n\xff\n", "bin.jsonl": bytes(range(256)),
             "t.csv.gz": gzip.compress(b"text\n" + lines)[:2000], "t.txt.gz": gzip.compress(lines)[:2000],
             "dup.csv": b"text,text\n1,2\n"}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(InputError) as audit_err:
            load_corpus(tmp_path / name, "synthetic").frame()
        with pytest.raises(InputError) as filter_err:
            read_records(tmp_path / name, "text")
        assert str(audit_err.value) == str(filter_err.value), name
    (tmp_path / "ok.csv").write_text("text,n\n" + "a,\n" + "b,007\n")
    records = read_records(tmp_path / "ok.csv", "text")
    assert records.items.to_dict("records") == [{"text": "a", "n": ""}, {"text": "b", "n": "007"}]  # cell text


def test_non_text_values_are_counted(tmp_path):
    from synthaudit.data.text import prepare_text, texts

    (tmp_path / "t.jsonl").write_text(jsonl_text([{"text": "a"}, {"text": 3}, {"text": None}, {"text": {"k": 1}},
                                                  {"text": [1]}, {"text": True}, {"text": "b"}]))
    inputs = prepare_text(synthetic=tmp_path / "t.jsonl")
    assert inputs.warnings == [f"{tmp_path / 't.jsonl'}: 5 record(s) have a non-text 'text' value (2 object or "
                               "array, 1 number, 1 null, 1 boolean); they are treated as missing"]
    assert texts(inputs.tables["synthetic"].frame(), "text") == ["a", None, None, None, None, None, "b"]


def test_a_report_whose_modality_contradicts_its_metrics_is_refused(workspace, tmp_path):
    from synthaudit.analysis import load_report

    doc = json.loads(workspace["reports"]["valid_run/report.json"].read_text(encoding="utf-8"))
    load_report(workspace["reports"]["valid_run"])
    (tmp_path / "r.json").write_text(json.dumps({**doc, "modality": "text"}))
    with pytest.raises(InputError, match="its modality is 'text' but it lists metrics of another modality"):
        load_report(tmp_path / "r.json")


def test_wide_tables_compare_a_seeded_sample_of_pairs():
    import synthaudit
    from synthaudit.metrics.tabular.features import MAX_PAIRS
    from synthaudit.modalities.tabular.report import MAX_HEATMAP_COLUMNS

    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(8, 260)), columns=[f"c{i}" for i in range(260)])
    report = synthaudit.audit("tabular", synthetic=wide, real=wide.iloc[::-1], metrics=["tabular.pearson_score"])
    m = report.result("tabular.pearson_score")
    assert m.status == "ok" and len(m.breakdown) <= MAX_PAIRS
    assert f"of {260 * 259 // 2} column pairs: a seeded sample of" in m.notes["sampled"]
    again = synthaudit.audit("tabular", synthetic=wide[wide.columns[::-1]], real=wide.iloc[::-1],
                             metrics=["tabular.pearson_score"])
    assert {(r["column_1"], r["column_2"]) for r in m.breakdown} == \
        {tuple(sorted((r["column_1"], r["column_2"]), key=lambda c: int(c[1:]))) for r in again.result(
            "tabular.pearson_score").breakdown}  # the sample does not depend on the column order
    heatmap = [f for f in report.figures if f["kind"] == "heatmap"][0]
    assert len(heatmap["labels"]) == MAX_HEATMAP_COLUMNS


# -- property tests of the loaders ------------------------------------------------------------------------------

NAMES = st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6),
                  st.sampled_from(["😀", "名前", "x", "x", "x.1", "", " ", "a,b", 'q"', "Unnamed: 0"]))
VALUES = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                   st.text(st.characters(blacklist_categories=("Cs",)), max_size=8), st.none(),
                   st.sampled_from(["inf", "-inf", "NaN", "😀", "1e999", ""]))
TABLES = st.tuples(st.lists(NAMES, min_size=1, max_size=5),
                   st.lists(st.lists(VALUES, min_size=5, max_size=5), min_size=0, max_size=6))
BOUNDED = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])


def _read_or_input_error(path: Path, **kw) -> pd.DataFrame | None:
    from synthaudit.data.tabular import Table

    try:
        return Table.from_any(path, "t", **kw).frame()
    except InputError:
        return None


@BOUNDED
@given(TABLES)
def test_csv_tables_read_back_or_input_error(tmp_path_factory, table):
    names, rows = table
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(names)
        w.writerows([r[: len(names)] for r in rows])
    frame = _read_or_input_error(path)
    if frame is not None:
        assert frame.shape == (len(rows), len(names))


@BOUNDED
@given(TABLES)
def test_jsonl_tables_read_back_or_input_error(tmp_path_factory, table):
    names, rows = table
    path = tmp_path_factory.mktemp("jsonl") / "t.jsonl"
    records = [dict(zip(names, r)) for r in rows]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    frame = _read_or_input_error(path)
    if frame is not None:
        assert frame.shape == (len(rows), len(dict.fromkeys(names)) if rows else 0)


@BOUNDED
@given(TABLES)
def test_parquet_tables_read_back_or_input_error(tmp_path_factory, table):
    import pyarrow as pa
    import pyarrow.parquet as pq

    names, rows = table
    columns = []
    for j in range(len(names)):
        col = [r[j] for r in rows]
        numeric = all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in col)
        columns.append(pa.array([None if v is None else float(v) for v in col], pa.float64()) if numeric
                       else pa.array([None if v is None else str(v) for v in col], pa.string()))
    path = tmp_path_factory.mktemp("pq") / "t.parquet"
    pq.write_table(pa.Table.from_arrays(columns, names=names), path)
    frame = _read_or_input_error(path)
    if frame is not None:
        assert frame.shape == (len(rows), len(names))
    else:
        assert len(set(names)) < len(names)  # the only refusal: repeated column names


TEXTS = st.lists(st.one_of(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                                   max_size=20), st.sampled_from(["😀 emoji", "", " ", "\\ud800", "{}", "[1]"])),
                 min_size=0, max_size=8)


@BOUNDED
@given(TEXTS, st.sampled_from(["txt", "jsonl", "csv", "json"]))
def test_text_corpora_read_back_or_input_error(tmp_path_factory, texts, fmt):
    from synthaudit.data.text import load_corpus

    path = tmp_path_factory.mktemp("corpus") / f"c.{fmt}"
    if fmt == "txt":
        path.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    elif fmt == "jsonl":
        path.write_text(jsonl_text([{"text": t} for t in texts]), encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps([{"text": t} for t in texts]), encoding="utf-8")
    else:
        path.write_text(csv_text([{"text": t} for t in texts]) if texts else "", encoding="utf-8")
    try:
        frame = load_corpus(path, "synthetic").frame()
    except InputError:
        return
    assert len(frame) <= len(texts)
    if fmt != "csv":  # a CSV line holding only an empty text is a blank line
        assert len(frame) == len(texts)
