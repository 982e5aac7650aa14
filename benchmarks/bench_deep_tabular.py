"""Benchmark (issue #20): fit + sample the deep tabular generators on UCI Adult, in one run: this package's
CTGAN-style GAN (synthaudit.generate.deep.gan.CTGAN), its TabDDPM-style diffusion model
(synthaudit.generate.deep.diffusion.TabDDPM, skipped when absent) and, when it is installed, the ``ctgan``
package's CTGAN with the same architecture, batch size, pac and epochs.

    python benchmarks/bench_deep_tabular.py [--rows 30000] [--epochs 10] [--batch-size 500] [--sample-rows N]
                                            [--threads T] [--models ours tabddpm ctgan] [--wait-quiet 0]

Data: adult_train.csv.gz ('?' = missing), shuffled (seed 0), the first --rows rows (drawn with replacement
beyond its 32,561). Per model, timed in this process (wall = time.perf_counter, CPU = time.process_time, all
torch threads included):

  * each model first fits one untimed epoch on a few rows (imports, first allocations);
  * fit: everything ``fit`` does; prep: the encoding before the first epoch (mode-specific normalisation: one
    variational Gaussian mixture per numeric column); per epoch = (fit - prep) / epochs. For ``ctgan`` prep is its
    DataTransformer's fit + transform, timed by a subclass, run in-process (its joblib worker processes would
    hide their CPU time); TabDDPM's prep is its ``timing`` when it reports one, else 0 (per epoch then includes
    its preprocessing);
  * sample: ``sample(--sample-rows)``, as rows/s;
  * fidelity of those rows against the training rows (lower is better): tabular.contingency_score,
    tabular.pearson_score, tabular.kst, tabular.tvd; and of independent-column sampling (each column drawn from
    its own marginal) for reference. After a few epochs these describe an unfinished model.

ctgan: ``pip install -c constraints.txt ctgan "pandas==<installed>"`` installs ctgan, rdt and Faker and keeps
torch 2.13 (CPU); without the pandas pin pip downgrades pandas 3 to 2.3. The script never installs anything:
a missing package (or a torch other than the constraints' pin) is reported as skipped.
Writes benchmarks/results/deep_tabular.json and .md.
"""
from __future__ import annotations

import argparse
import inspect
import sys
import time
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scale_common as sc  # noqa: E402

ADULT = HERE.parents[1] / "shared" / "data" / "tabular" / "adult" / "adult_train.csv.gz"
FIDELITY = ["tabular.contingency_score", "tabular.pearson_score", "tabular.kst", "tabular.tvd"]
MODELS = ("ours", "tabddpm", "ctgan")
ORIGINAL: dict[str, Any] = {}  # ctgan's own DataTransformer, before the timed subclass replaces it


def adult(rows: int) -> pd.DataFrame:
    full = pd.read_csv(ADULT, na_values=["?"])
    full = full.iloc[np.random.default_rng(0).permutation(len(full))].reset_index(drop=True)
    if rows <= len(full):
        return full.iloc[:rows].reset_index(drop=True)
    return full.sample(rows, replace=True, random_state=0).reset_index(drop=True)


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def fidelity(synthetic: pd.DataFrame, real: pd.DataFrame) -> dict[str, float]:
    import synthaudit

    report = synthaudit.audit("tabular", synthetic=synthetic, real=real, metrics=FIDELITY)
    return {m.id: (round(m.value, 4) if m.value is not None else None) for m in report.metrics}


# -- the models: each returns (fit, sample) callables and a prep-time reader --------------------------------
def ours(args: argparse.Namespace, real: pd.DataFrame) -> dict[str, Any]:
    from synthaudit.generate.deep.gan import CTGAN

    model = CTGAN(epochs=args.epochs, batch_size=args.batch_size, pac=args.pac, seed=0, progress=False)
    return {"name": "synthaudit CTGAN", "fit": lambda: model.fit(real), "sample": lambda n: model.sample(n),
            "prep": lambda: (model.timing["prep_wall_s"], model.timing["prep_cpu_s"])}


def tabddpm(args: argparse.Namespace, real: pd.DataFrame) -> dict[str, Any]:
    from synthaudit.generate.deep.diffusion import TabDDPM  # written beside the GAN; skipped when absent

    accepted = inspect.signature(TabDDPM).parameters
    wanted = {"epochs": args.epochs, "batch_size": args.batch_size, "seed": 0, "progress": False}
    model = TabDDPM(**{k: v for k, v in wanted.items() if k in accepted})

    def prep() -> tuple[float, float]:
        timing = getattr(model, "timing", None) or {}
        return float(timing.get("prep_wall_s", 0.0)), float(timing.get("prep_cpu_s", 0.0))

    return {"name": "synthaudit TabDDPM", "fit": lambda: model.fit(real), "sample": lambda n: model.sample(n),
            "prep": prep, "params": {k: v for k, v in wanted.items() if k in accepted}}


def ctgan_package(args: argparse.Namespace, real: pd.DataFrame) -> dict[str, Any]:
    import ctgan.synthesizers.ctgan as ref
    import torch

    pin = next((line.split("==", 1)[1].strip() for line in (HERE.parent / "constraints.txt").read_text()
                .splitlines() if line.startswith("torch==")), None)
    if pin and torch.__version__.split("+")[0] != pin:
        raise ImportError(f"torch is {torch.__version__}, the constraints pin {pin}: not comparable")
    discrete = [c for c in real.columns if real[c].dtype.kind not in "iufM"]
    frame = real.copy()
    for c in discrete:  # ctgan takes no missing values in the table itself: missing is a category of its own
        frame[c] = frame[c].astype(object).where(frame[c].notna(), "(missing)")
    prep = {"wall": 0.0, "cpu": 0.0}

    base = ORIGINAL.setdefault("DataTransformer", ref.DataTransformer)

    class TimedTransformer(base):
        _parallel_transform = base._synchronous_transform  # in-process: its CPU time is counted

        def fit(self, *a, **k):
            _, w, c = timed(lambda: super(TimedTransformer, self).fit(*a, **k))
            prep["wall"] += w
            prep["cpu"] += c

        def transform(self, *a, **k):
            out, w, c = timed(lambda: super(TimedTransformer, self).transform(*a, **k))
            prep["wall"] += w
            prep["cpu"] += c
            return out

    ref.DataTransformer = TimedTransformer
    model = ref.CTGAN(embedding_dim=128, generator_dim=(256, 256), discriminator_dim=(256, 256),
                      batch_size=args.batch_size, epochs=args.epochs, pac=args.pac, enable_gpu=False)

    def fit() -> None:
        torch.manual_seed(0)
        np.random.seed(0)
        model.fit(frame, discrete)

    def sample(n: int) -> pd.DataFrame:
        out = model.sample(n)
        for c in discrete:
            out[c] = out[c].where(out[c] != "(missing)", np.nan)
        return out

    return {"name": f"ctgan {version('ctgan')} (rdt {version('rdt')})", "fit": fit, "sample": sample,
            "prep": lambda: (prep["wall"], prep["cpu"])}


BUILDERS = {"ours": ours, "tabddpm": tabddpm, "ctgan": ctgan_package}


def warm_up(key: str, args: argparse.Namespace, real: pd.DataFrame) -> None:
    """One untimed epoch on a few rows: first-use imports and allocations are not charged to the timed run."""
    small = argparse.Namespace(**{**vars(args), "epochs": 1})
    spec = BUILDERS[key](small, real.iloc[:max(2 * args.batch_size, 200)].reset_index(drop=True))
    spec["fit"]()
    spec["sample"](100)


def run_one(key: str, args: argparse.Namespace, real: pd.DataFrame) -> dict[str, Any]:
    warm_up(key, args, real)
    spec = BUILDERS[key](args, real)
    busy0, t0 = sc.machine_busy_s(), time.time()
    _, fit_wall, fit_cpu = timed(spec["fit"])
    prep_wall, prep_cpu = spec["prep"]()
    rows, sample_wall, sample_cpu = timed(lambda: spec["sample"](args.sample_rows))
    elapsed = time.time() - t0
    others = max(0.0, (sc.machine_busy_s() - busy0 - fit_cpu - sample_cpu) / elapsed)
    out = {"model": key, "name": spec["name"], "epochs": args.epochs, "batch_size": args.batch_size,
           "pac": args.pac, "fit_wall_s": round(fit_wall, 3), "fit_cpu_s": round(fit_cpu, 3),
           "prep_wall_s": round(prep_wall, 3), "prep_cpu_s": round(prep_cpu, 3),
           "epoch_wall_s": round((fit_wall - prep_wall) / args.epochs, 4),
           "epoch_cpu_s": round((fit_cpu - prep_cpu) / args.epochs, 4),
           "sample_rows": args.sample_rows, "sample_wall_s": round(sample_wall, 3),
           "sample_cpu_s": round(sample_cpu, 3), "sample_rows_per_s": round(args.sample_rows / sample_wall, 1),
           "others_cores_avg": round(others, 2)}
    if "params" in spec:
        out["params"] = spec["params"]
    if not args.no_fidelity:
        out["fidelity"] = fidelity(rows, real)
    print(f"{spec['name']:>32}: fit {fit_wall:8.2f} s wall / {fit_cpu:8.2f} s CPU (prep {prep_wall:.2f} s), "
          f"{out['epoch_wall_s']:.3f} s/epoch wall, {out['epoch_cpu_s']:.3f} CPU; sample "
          f"{out['sample_rows_per_s']:,.0f} rows/s; {out.get('fidelity', '')}", flush=True)
    return out


def markdown(payload: dict[str, Any]) -> str:
    a, m = payload["args"], payload["machine"]
    lines = ["# Deep tabular generators: fit and sample on UCI Adult (issue #20)", "",
             f"Command: `python benchmarks/bench_deep_tabular.py {payload['command']}`  ",
             f"Machine: {m['cpu_model']}, {m['nproc']} cores, Python {m['python']}, torch {payload['torch']} "
             f"({payload['torch_threads']} threads)  ",
             f"Data: {a['rows']:,} rows of adult_train (shuffled, seed 0); {a['epochs']} epochs, batch "
             f"{a['batch_size']}, pac {a['pac']}; GANs: embedding 128, generator and critic (256, 256); "
             f"{a['sample_rows']:,} rows sampled.", "",
             "| model | fit wall s | fit CPU s | prep wall s | s/epoch wall | s/epoch CPU | rows/s sampled | "
             "contingency | pearson | kst | tvd | others' cores |", "|---|" + "---|" * 11]
    for r in payload["results"]:
        f = r.get("fidelity", {})
        lines.append(f"| {r['name']} | {r['fit_wall_s']:.2f} | {r['fit_cpu_s']:.2f} | {r['prep_wall_s']:.2f} | "
                     f"{r['epoch_wall_s']:.3f} | {r['epoch_cpu_s']:.3f} | {r['sample_rows_per_s']:,.0f} | "
                     + " | ".join(str(f.get(k, "—")) for k in FIDELITY) + f" | {r['others_cores_avg']:.2f} |")
    if payload.get("baseline"):
        f = payload["baseline"]
        lines.append("| independent columns (reference) | — | — | — | — | — | — | "
                     + " | ".join(str(f.get(k, "—")) for k in FIDELITY) + " | — |")
    for key, why in payload["skipped"].items():
        lines.append(f"\nSkipped {key}: {why}")
    lines += ["", "Per epoch = (fit - prep) / epochs. Fidelity: against the training rows, lower is better; after "
              "a few epochs it describes an unfinished model. ctgan's DataTransformer ran in-process (its CPU "
              "counted) and its prep is timed by a subclass."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=30_000)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--pac", type=int, default=10)
    ap.add_argument("--sample-rows", type=int, default=None, help="default: --rows")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    ap.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    ap.add_argument("--no-fidelity", action="store_true")
    ap.add_argument("--wait-quiet", type=float, default=0.0, help="wait up to this many s for < 0.5 busy cores")
    args = ap.parse_args()
    args.sample_rows = args.sample_rows or args.rows

    import torch

    warnings.filterwarnings("ignore")
    if args.threads:
        torch.set_num_threads(args.threads)
    quiet = sc.wait_quiet(0.5, args.wait_quiet) if args.wait_quiet > 0 else None
    real = adult(args.rows)
    results, skipped = [], {}
    for key in args.models:
        try:
            results.append(run_one(key, args, real))
        except ImportError as exc:
            skipped[key] = f"not available ({exc})"
            print(f"skipped {key}: {skipped[key]}", flush=True)
    baseline = None
    if not args.no_fidelity:
        rng = np.random.default_rng(0)
        base = pd.DataFrame({c: real[c].to_numpy()[rng.integers(0, len(real), args.sample_rows)]
                             for c in real.columns})
        baseline = fidelity(base, real)
    versions = {}
    for pkg in ("torch", "numpy", "pandas", "scikit-learn", "ctgan", "rdt"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    payload = {"command": " ".join(sys.argv[1:]), "args": vars(args), "machine": sc.machine(),
               "torch": torch.__version__, "torch_threads": torch.get_num_threads(), "versions": versions,
               "quiet": quiet, "results": results, "baseline": baseline, "skipped": skipped}
    j, m = sc.write_results("deep_tabular", payload, markdown(payload))
    print(f"wrote {j} and {m}")


if __name__ == "__main__":
    main()
