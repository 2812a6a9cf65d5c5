"""The ``persona-lab`` command.

A problem the user can fix (a bad file, an impossible k) is printed on one line and exits with
code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .data import load_dataset
from .data.dataset import Dataset
from .data.samples import APG_SAMPLE, CUSTOMER_SAMPLE, SAMPLE_DIR
from .assess.select import select_k
from .comparison import compare_methods
from .errors import PersonaLabError
from .export import write_run
from .export.atomic import atomic_write
from .methods import METHODS, parse_value
from .pipeline import run


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except PersonaLabError as exc:
        print(f"persona-lab: error: {exc.one_line()}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="persona-lab", description="Data-driven personas.")
    parser.add_argument("--version", action="version", version=f"persona-lab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run the sample data through the whole pipeline")
    demo.add_argument("--out", required=True, type=Path, help="output folder")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(handler=_demo)

    personas = commands.add_parser("personas", help="segment DATA into personas and export them")
    _add_data_arguments(personas)
    personas.add_argument("--method", default="nmf", choices=sorted(METHODS))
    personas.add_argument("--k", type=int, default=None, help="number of personas (ignored by hdbscan)")
    personas.add_argument("--out", required=True, type=Path, help="output folder")
    personas.add_argument("--seed", type=int, default=0)
    personas.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="a method parameter, e.g. n_init=20"
    )
    personas.set_defaults(handler=_personas)

    select = commands.add_parser("select-k", help="how many personas, and how stable that number is")
    _add_data_arguments(select)
    select.add_argument("--method", default="kmeans", choices=sorted(METHODS))
    select.add_argument("--k-range", default="2:10", help="first:last k, e.g. 2:15")
    select.add_argument("--resamples", type=int, default=50, help="bootstrap and other resamples per k")
    select.add_argument("--null", type=int, default=20, help="structure-free reference sets (0: no null band)")
    select.add_argument("--min-share", type=float, default=None, help="smallest segment share allowed, e.g. 0.05")
    select.add_argument("--seed", type=int, default=0)
    select.add_argument("--jobs", type=int, default=1, help="worker processes (the result does not depend on it)")
    select.add_argument("--dask", help="a Dask scheduler address, or 'local' for a local cluster")
    select.add_argument("--json", type=Path, help="write every figure to this file")
    select.set_defaults(handler=_select_k)

    compare = commands.add_parser("compare", help="several methods on DATA at one k, and their agreement")
    _add_data_arguments(compare)
    compare.add_argument("--methods", required=True, help="comma-separated, e.g. nmf,kmeans,gmm")
    compare.add_argument("--k", type=int, default=None, help="number of segments (ignored by hdbscan)")
    compare.add_argument("--seed", type=int, default=0)
    compare.add_argument("--json", type=Path, help="write the comparison to this file")
    compare.add_argument("--timings", action="store_true", help="put run times into the JSON (reruns then differ)")
    compare.set_defaults(handler=_compare)
    return parser


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", type=Path, help="CSV/TSV/Excel/Parquet/JSON/SPSS/Stata file")
    parser.add_argument("--sep", help="column separator of a text file (sniffed when omitted)")
    parser.add_argument("--sheet", help="Excel sheet name or 0-based index")
    parser.add_argument("--encoding", help="text encoding (detected when omitted)")
    parser.add_argument("--columns", help="comma-separated columns to keep")
    parser.add_argument("--kind", choices=["interactions", "entities"], help="shape of the data (inferred)")
    parser.add_argument(
        "--role", action="append", default=[], metavar="COLUMN=ROLE",
        help="override a column's role (id, weight, demographic, item, value, feature, descriptor, text, date, ignore)",
    )


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.rpartition("=")
        if not sep or not key:
            raise PersonaLabError(f"{what} {item!r} is not of the form NAME=VALUE", fix=f"Write e.g. {what.lower()} col=feature")
        out[key] = value
    return out


def _load(args) -> Dataset:
    sheet = args.sheet
    if sheet is not None and sheet.isdigit():
        sheet = int(sheet)
    columns = [c.strip() for c in args.columns.split(",")] if args.columns else None
    return load_dataset(
        args.data, kind=args.kind, roles=_pairs(args.role, "--role") or None,
        sep=args.sep, sheet=sheet, columns=columns, encoding=args.encoding,
    )


class _ProgressBar:
    """A one-line bar on a terminal; silent when stderr is a file or a pipe (logs, tests)."""

    def __init__(self, stream=sys.stderr, width: int = 24):
        self.stream, self.width, self.open = stream, width, False

    def __call__(self, fraction: float, message: str) -> None:
        if not self.stream.isatty():
            return
        filled = int(round(fraction * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        print(f"\r[{bar}] {fraction:4.0%} {message:<32}", end="", file=self.stream, flush=True)
        self.open = fraction < 1
        if not self.open:
            print(file=self.stream)

    def close(self) -> None:
        if self.open:
            print(file=self.stream)
            self.open = False


def _run_and_write(dataset, method: str, k, seed: int, params: dict, out: Path) -> None:
    bar = _ProgressBar()
    try:
        result = run(dataset, method, k, seed=seed, params=params, progress=bar)
    finally:
        bar.close()
    paths = write_run(result, out)
    for note in result.method.notes_:
        print(f"note: {note}", file=sys.stderr)
    shares = ", ".join(f"{p.name} {p.share:.0%}" for p in result.personas.personas)
    print(f"{len(result.personas.personas)} personas ({result.method.label}): {shares}")
    if result.personas.unassigned:
        print(f"unassigned: {result.personas.unassigned['share']:.0%}")
    for path in paths.values():
        print(f"wrote {path}")


def _personas(args) -> int:
    params = {k: parse_value(v) for k, v in _pairs(args.param, "--param").items()}
    if args.k is None and not METHODS[args.method].k_is_output:
        raise PersonaLabError(f"--k is needed for method {args.method}", fix="Add e.g. --k 5")
    _run_and_write(_load(args), args.method, args.k, args.seed, params, args.out)
    return 0


def _k_range(text: str) -> list[int]:
    first, sep, last = text.partition(":")
    try:
        low, high = int(first), int(last if sep else first)
    except ValueError:
        raise PersonaLabError(f"--k-range {text!r} is not of the form FIRST:LAST", fix="Write e.g. --k-range 2:15") from None
    if low < 2 or high < low:
        raise PersonaLabError(f"--k-range {text!r} must run from 2 or more upwards", fix="Write e.g. --k-range 2:15")
    return list(range(low, high + 1))


def _select_k(args) -> int:
    bar = _ProgressBar()
    try:
        result = select_k(_load(args), args.method, _k_range(args.k_range), resamples=args.resamples, seed=args.seed,
                          n_ref=args.null, min_share=args.min_share, n_jobs=args.jobs, dask=args.dask, progress=bar)
    finally:
        bar.close()
    print(result.statement)
    if result.curves is not None:
        picks = ", ".join(f"{c} {k}" for c, k in result.curves.picks.items())
        print(f"full-data picks: {picks}; vote {result.curves.vote}")
    print("P(k_hat = k) for the vote: " + ", ".join(f"{k}: {p:.0%}" for k, p in result.k_distribution.items()))
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        atomic_write(args.json, json.dumps(result.to_dict(), indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


def _compare(args) -> int:
    methods = [m.strip().lower() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise PersonaLabError(f"Unknown method {unknown[0]!r}", fix=f"Choose from {', '.join(METHODS)}")
    if args.k is None and not all(METHODS[m].k_is_output for m in methods):
        raise PersonaLabError("--k is needed to compare methods whose k is an input", fix="Add e.g. --k 5")
    bar = _ProgressBar()
    try:
        result = compare_methods(_load(args), methods, args.k, seed=args.seed, progress=bar)
    finally:
        bar.close()
    for r in result.results:
        if r.error:
            print(f"{r.method:<12} could not run: {r.error}")
            continue
        quality = "  ".join(f"{c} {v:.3f}" for c, v in r.quality.items())
        print(f"{r.method:<12} {r.n_segments} segments  {r.runtime_s:6.2f} s  {quality}")
    for _, pair in result.agreement_table().iterrows():
        print(f"{pair.method_a} vs {pair.method_b}: ARI {pair.ari:.3f}, AMI {pair.ami:.3f}")
    if args.json:
        atomic_write(args.json, json.dumps(result.to_dict(args.timings), indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


def _demo(args) -> int:
    channel = load_dataset(SAMPLE_DIR / APG_SAMPLE)
    print("APG channel sample: NMF, 5 personas")
    _run_and_write(channel, "nmf", 5, args.seed, {}, args.out / "channel")
    customers = load_dataset(SAMPLE_DIR / CUSTOMER_SAMPLE)
    print("Customer sample: k-means, 5 personas")
    _run_and_write(customers, "kmeans", 5, args.seed, {}, args.out / "customers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
