"""Benchmark (issue #16): JSON Schema validation of 100,000 generated records against one schema, the
``json.correctness_rate`` path vs plain ``jsonschema.validate(instance, schema)`` per record, in the same run.

    python benchmarks/bench_json_validation.py [--records 100000] [--plain-sample 5000] [--seed 0]

Data (seeded): SchemaStore's dependabot-2.0 schema (draft-07, 31 ``$ref``s into ``definitions``, if/then/else,
enums, ``additionalProperties: false``; ../shared/data/json/schemastore) and its 5 valid instances. Each record
is one of them (drawn at random) serialised as JSON text; 40 % are mutated first (one of: a type change, a
missing required field, an extra property where additionalProperties is false, an enum violation) and 1 % are
cut short (text that does not parse).

Rows, timed in this process (wall = time.perf_counter, CPU = time.process_time):
  * ``correctness_rate``: ``prepare_json`` (the texts as a table) + ``json.correctness_rate`` run on all records:
    parse under the catalog's fence policy, the validator compiled once (``synthaudit.verify.json_schema``),
    ``is_valid`` per record and ``iter_errors`` for the invalid ones, the per-path breakdown;
  * ``jsonschema.validate``: ``json.loads`` + ``jsonschema.validate(instance, schema)`` per record (which picks the
    draft, checks the schema and builds a validator on every call). It is timed on the first ``--plain-sample``
    records and its 100,000-record time extrapolated linearly (stated in the results);
  * ``compiled jsonschema``: ``json.loads`` + one ``Draft7Validator`` built once, ``is_valid`` per record, on all
    records (where the speed-up comes from).
The verdicts of the three are asserted equal on the records each saw. Writes benchmarks/results/json_validation.json
and .md.
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import jsonschema  # noqa: E402
import scale_common as sc  # noqa: E402

from synthaudit.data.json_prepare import prepare_json  # noqa: E402
from synthaudit.metrics.json import validity  # noqa: E402,F401  (registers json.correctness_rate)
from synthaudit.metrics.registry import get  # noqa: E402

STORE = sc.SHARED / "json" / "schemastore"
NAME = "dependabot-2.0"


def mutate(doc: dict, rng: random.Random) -> tuple[dict, str]:
    """One schema violation of a dependabot config (it stays JSON)."""
    m = copy.deepcopy(doc)
    kind = rng.choice(["type", "required", "extra", "enum"])
    upd = m["updates"][rng.randrange(len(m["updates"]))]
    if kind == "type":
        if rng.random() < 0.5:
            m["version"] = "2"
        else:
            upd["schedule"]["interval"] = rng.randint(1, 9)
    elif kind == "required":
        if rng.random() < 0.5:
            del upd["package-ecosystem"]
        else:
            del m["updates"]
    elif kind == "extra":
        upd[f"unknown-option-{rng.randint(0, 99)}"] = True
    else:
        upd["schedule"]["day"] = rng.choice(["funday", "Monday", "someday"])
    return m, kind


def records(n: int, seed: int) -> tuple[list[str], dict]:
    entry = next(e for e in json.loads((STORE / "manifest.json").read_text()) if e["name"] == NAME)
    bases = [json.loads((STORE / v["file"]).read_text()) for v in entry["valid"]]
    rng = random.Random(seed)
    out, kinds = [], {"valid": 0, "type": 0, "required": 0, "extra": 0, "enum": 0, "unparsable": 0}
    for _ in range(n):
        doc = rng.choice(bases)
        roll = rng.random()
        if roll < 0.01:
            text = json.dumps(doc)
            out.append(text[: rng.randint(1, len(text) - 1)])
            kinds["unparsable"] += 1
            continue
        if roll < 0.41:
            doc, kind = mutate(doc, rng)
            kinds[kind] += 1
        else:
            kinds["valid"] += 1
        out.append(json.dumps(doc, ensure_ascii=False))
    return out, kinds


def timed(fn, *args):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - w0, time.process_time() - c0


def ours(texts: list[str], schema: dict):
    inputs = prepare_json(synthetic=texts, schema=schema)
    return get("json.correctness_rate").run(inputs, None)


def plain(texts: list[str], schema: dict) -> list[float]:
    out = []
    for t in texts:
        try:
            jsonschema.validate(json.loads(t), schema)
            out.append(1.0)
        except (json.JSONDecodeError, jsonschema.ValidationError):
            out.append(0.0)
    return out


def compiled(texts: list[str], schema: dict) -> list[float]:
    v = jsonschema.validators.validator_for(schema)(schema)
    out = []
    for t in texts:
        try:
            out.append(float(v.is_valid(json.loads(t))))
        except json.JSONDecodeError:
            out.append(0.0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--plain-sample", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    command = "python benchmarks/bench_json_validation.py " + " ".join(sys.argv[1:])
    schema = json.loads((STORE / "schemas" / f"{NAME}.json").read_text())
    texts, kinds = records(args.records, args.seed)
    sample = texts[: args.plain_sample]
    load0 = sc.loadavg()
    busy0 = sc.machine_busy_s()
    t_all = time.perf_counter()

    res, w_ours, c_ours = timed(ours, texts, schema)
    scores = res.record_scores.tolist()
    ref_plain, w_plain, c_plain = timed(plain, sample, schema)
    ref_comp, w_comp, c_comp = timed(compiled, texts, schema)
    assert scores[: len(sample)] == ref_plain, "verdicts differ from jsonschema.validate"
    assert scores == ref_comp, "verdicts differ from the compiled jsonschema validator"
    wall_all = time.perf_counter() - t_all
    busy = sc.machine_busy_s() - busy0

    n, k = len(texts), len(sample)
    scale = n / k
    rows = {
        "correctness_rate": {"records": n, "wall_s": w_ours, "cpu_s": c_ours, "records_per_s": n / w_ours},
        "jsonschema.validate": {"records_timed": k, "wall_s_timed": w_plain, "cpu_s_timed": c_plain,
                                "wall_s_extrapolated": w_plain * scale, "cpu_s_extrapolated": c_plain * scale,
                                "records_per_s": k / w_plain},
        "compiled jsonschema": {"records": n, "wall_s": w_comp, "cpu_s": c_comp, "records_per_s": n / w_comp},
    }
    speedup = rows["correctness_rate"]["records_per_s"] / rows["jsonschema.validate"]["records_per_s"]
    speedup_cpu = (c_plain / k) / (c_ours / n)
    own_cpu = c_ours + c_plain + c_comp
    result = {
        "meta": {"command": command.strip(), "machine": sc.machine(), "schema": f"schemastore {NAME} (draft-07)",
                 "seed": args.seed, "records": n, "kinds": kinds, "jsonschema": version("jsonschema"),
                 "plain_extrapolation": f"jsonschema.validate timed on the first {k:,} records and scaled by "
                                        f"{scale:g} to {n:,}"},
        "rows": rows, "speedup_wall": speedup, "speedup_cpu": speedup_cpu,
        "value": res.value, "n_invalid": res.secondary["n_invalid"], "n_unparsable": res.secondary["n_unparsable"],
        "top_paths": res.breakdown[:5], "same_verdicts": True,
        "load_before_after": [load0, sc.loadavg()],
        "others_cores_avg": round(max(0.0, busy - own_cpu) / wall_all, 2),
    }
    r = rows
    lines = [
        "# JSON Schema validation: json.correctness_rate vs jsonschema.validate (issue #16)", "",
        f"Command: `{result['meta']['command']}`  ",
        f"Machine: {result['meta']['machine']['cpu_model']}, {result['meta']['machine']['nproc']} cores, Python "
        f"{result['meta']['machine']['python']}, jsonschema {version('jsonschema')}  ",
        f"Data: {n:,} records against SchemaStore's {NAME} schema (draft-07, $ref into definitions): "
        f"{kinds['valid']:,} valid instances, mutated: {kinds['type']:,} type change, {kinds['required']:,} "
        f"missing required, {kinds['extra']:,} extra property, {kinds['enum']:,} enum; {kinds['unparsable']:,} "
        "cut short (seed " + str(args.seed) + ").  ",
        f"Other processes used {result['others_cores_avg']} cores on average during the run (a shared machine: "
        "the paths ran one after another under different loads, so CPU s is the steadier figure).", "",
        "| path | records timed | wall s | CPU s | records/s (wall) | 100,000 records, wall s |",
        "|---|---|---|---|---|---|",
        f"| `json.correctness_rate` (prepare_json + metric, compiled once) | {n:,} | "
        f"{r['correctness_rate']['wall_s']:.2f} | {r['correctness_rate']['cpu_s']:.2f} | "
        f"{r['correctness_rate']['records_per_s']:,.0f} | {r['correctness_rate']['wall_s'] * 100_000 / n:.1f} |",
        f"| `json.loads` + `jsonschema.validate(instance, schema)` per record | {k:,} | "
        f"{r['jsonschema.validate']['wall_s_timed']:.2f} | {r['jsonschema.validate']['cpu_s_timed']:.2f} | "
        f"{r['jsonschema.validate']['records_per_s']:,.0f} | "
        f"{r['jsonschema.validate']['wall_s_extrapolated'] * 100_000 / n:.1f} (extrapolated) |",
        f"| `json.loads` + one compiled `Draft7Validator.is_valid` (context) | {n:,} | "
        f"{r['compiled jsonschema']['wall_s']:.2f} | {r['compiled jsonschema']['cpu_s']:.2f} | "
        f"{r['compiled jsonschema']['records_per_s']:,.0f} | {r['compiled jsonschema']['wall_s'] * 100_000 / n:.1f} |",
        "",
        f"Speed-up of json.correctness_rate over jsonschema.validate per record: **{speedup:.1f}x** (wall), "
        f"{speedup_cpu:.1f}x (CPU); goal >= 10x. jsonschema.validate was timed on the first {k:,} records and "
        f"extrapolated linearly to {n:,}. Same verdict on every record each path saw (asserted); "
        f"CorrectnessRate = {res.value:.4f} ({int(res.secondary['n_invalid']):,} invalid, "
        f"{int(res.secondary['n_unparsable']):,} unparsable).", "",
        "The metric's time includes building the table from the texts, parsing with duplicate-key counting, "
        "iter_errors on the invalid records and the per-path breakdown; the compiled-validator row is the floor "
        "of validation alone.", "",
        "Top failing paths: " + "; ".join(f"{p['path']} ({p['keywords']}, {p['records']:,} records)"
                                           for p in res.breakdown[:5]) + ".",
    ]
    sc.write_results("json_validation", result, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
