"""The ``persona-lab`` command.

A problem the user can fix (a bad file, an impossible k) is printed on one line and exits with
code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from ._version import __version__
from .data import load_dataset
from .data.dictionary import DataDictionary
from .data.dataset import Dataset
from .data.sample_data import APG_SAMPLE, CUSTOMER_SAMPLE, SAMPLE_DIR
from .assess.select import MAX_ROWS, select_k
from .assess.methods_at_k import compare_methods
from .errors import PersonaLabError
from .export import write_run
from .personas.edits import EditSet, read_edits
from .personas.privacy import MIN_SIZE, withhold, withheld_note
from .export.atomic import atomic_write
from .export.questionnaire import write_typing_tool
from .methods import METHODS, get_method, parse_value
from .data.load import read_table
from .export.tables import write_csv
from .model_file import PersonaModel, assignment_table, load_model, save_model
from .pipeline import run
from .prepare import SCALES, Preparation
from .typing_tool import require_per_respondent, typing_tool_for_model
from .workspace import JobRunner, WorkspaceStore, default_data_dir, export_workspace, import_workspace


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

    personas = commands.add_parser(
        "personas", help="segment DATA into personas and export them (PDF, PowerPoint, JSON, CSV, Markdown)")
    _add_data_arguments(personas, data_optional=True)
    personas.add_argument("--method", default=None, choices=sorted(METHODS), help="default nmf")
    personas.add_argument("--k", type=int, default=None, help="number of personas (ignored by hdbscan)")
    personas.add_argument("--out", required=True, type=Path, help="output folder")
    personas.add_argument("--seed", type=int, default=None, help="default 0")
    personas.add_argument("--min-size", type=int, default=MIN_SIZE, metavar="ROWS",
                          help=f"withhold personas of fewer rows from the exports, for privacy (default {MIN_SIZE})")
    personas.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="a method parameter, e.g. n_init=20"
    )
    personas.add_argument(
        "--edits", type=Path, metavar="FILE",
        help="apply saved edits (names, narratives, hidden traits, exclusions, order): an edit set's JSON "
             "or a personas.json edited in the app",
    )
    personas.add_argument("--jobs", type=int, default=None,
                          help="threads for the fit's starts, and the PDF laid out beside the deck (default: every CPU; "
                               "the result does not depend on it)")
    personas.add_argument(
        "--manifest", type=Path,
        help="repeat the run a personas.json or manifest.json records (DATA is optional: the manifest's path)",
    )
    personas.set_defaults(handler=_personas)

    select = commands.add_parser("select-k", help="how many personas, and how stable that number is")
    _add_data_arguments(select)
    select.add_argument("--method", default="kmeans", choices=sorted(METHODS))
    select.add_argument("--k-range", default="2:10", help="first:last k, e.g. 2:15")
    select.add_argument("--resamples", type=int, default=50, help="bootstrap and other resamples per k")
    select.add_argument("--null", type=int, default=20, help="structure-free reference sets (0: no null band)")
    select.add_argument("--null-resamples", type=int, default=10,
                        help="resamples of each reference set, and of the data's statistics compared with them")
    select.add_argument("--starts", type=int, default=None,
                        help="random starts of each resample fit (default: the method's own; 1 is fpc's and "
                        "ConsensusClusterPlus's scheme, about 2.5x faster with k-means, but adds the optimiser's variation)")
    select.add_argument("--max-rows", type=int, default=MAX_ROWS,
                        help=f"resample a seeded sample of this many rows when there are more (default {MAX_ROWS:,}; 0: all)")
    select.add_argument("--min-share", type=float, default=None, help="smallest segment share allowed, e.g. 0.05")
    select.add_argument("--seed", type=int, default=0)
    select.add_argument("--scale", choices=SCALES,
                        help="scaling of numeric columns (default: the method's); 'none' keeps columns in their unit")
    select.add_argument("--no-log", action="store_true", help="keep skewed non-negative columns as they are (no log1p)")
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

    typing = commands.add_parser("typing-tool", help="the few questions that tell the personas apart, as a questionnaire")
    _add_data_arguments(typing)
    typing.add_argument("--model", required=True, type=Path, help="model.json written by persona-lab personas")
    typing.add_argument("--out", required=True, type=Path, help="output folder")
    typing.add_argument("--questions", type=int, default=None,
                        help="number of questions (default: the fewest within one point of the best accuracy)")
    typing.add_argument("--seed", type=int, default=0)
    typing.set_defaults(handler=_typing_tool)

    assign = commands.add_parser("assign", help="score new rows against a saved persona model (model.json)")
    _add_read_arguments(assign)
    assign.add_argument("--model", required=True, type=Path, help="model.json written by persona-lab personas, or its folder")
    assign.add_argument("--out", required=True, type=Path, help="assignments CSV to write")
    assign.set_defaults(handler=_assign)

    workspace = commands.add_parser("workspace", help="the app's saved workspaces: list, export, import, delete")
    workspace.add_argument("--data-dir", type=Path, default=None,
                           help="the app's data directory (default: $PERSONA_LAB_DATA_DIR, else ~/.local/share/persona_lab)")
    actions = workspace.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="id, name and last change of every workspace")
    export = actions.add_parser("export", help="one workspace as one file (choices, persona edits, uploaded tables)")
    export.add_argument("id", help="the workspace's id (the ws= of the app's address)")
    export.add_argument("file", type=Path, help="the .zip file to write")
    imported = actions.add_parser("import", help="a new workspace from an exported file; prints its id")
    imported.add_argument("file", type=Path)
    imported.add_argument("--name", help="its name (default: the exported one)")
    delete = actions.add_parser("delete", help="a workspace and every table only it uses")
    delete.add_argument("id")
    workspace.set_defaults(handler=_workspace)
    return parser


def _add_data_arguments(parser: argparse.ArgumentParser, data_optional: bool = False) -> None:
    _add_read_arguments(parser, data_optional)
    parser.add_argument("--kind", choices=["interactions", "entities"], help="shape of the data (inferred)")
    parser.add_argument(
        "--role", action="append", default=[], metavar="COLUMN=ROLE",
        help="override a column's role (id, weight, demographic, item, value, feature, descriptor, text, date, ignore)",
    )
    parser.add_argument(
        "--type", action="append", default=[], metavar="COLUMN=TYPE",
        help="override a column's type (numeric, categorical, boolean, datetime, text, identifier): "
        "preparation follows it, e.g. --type Kidhome=categorical",
    )
    parser.add_argument("--labels", type=Path, metavar="CSV",
                        help="data dictionary: a CSV of column,label,unit,value_labels (e.g. Income,Yearly income,USD,) "
                        "shown on cards, questions, charts and exports")


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.rpartition("=")
        if not sep or not key:
            raise PersonaLabError(f"{what} {item!r} is not of the form NAME=VALUE", fix=f"Write e.g. {what.lower()} col=feature")
        out[key] = value
    return out


def _load(args) -> Dataset:
    dataset = load_dataset(args.data, kind=args.kind, roles=_pairs(args.role, "--role") or None,
                           types=_pairs(args.type, "--type") or None, dictionary=args.labels, **_read_options(args))
    for warning in dataset.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return dataset


def _read_options(args) -> dict:
    sheet = args.sheet
    if sheet is not None and sheet.isdigit():
        sheet = int(sheet)
    columns = [c.strip() for c in args.columns.split(",")] if args.columns else None
    return {"sep": args.sep, "sheet": sheet, "columns": columns, "encoding": args.encoding,
            "header_row": args.header_row, "skip_rows": args.skip_rows}


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


def _run_and_write(dataset, method: str, k, seed: int, params: dict, out: Path, source: dict | None,
                   preparation: Preparation | None = None, min_size: int = MIN_SIZE,
                   edits: EditSet | None = None, jobs: int | None = None) -> None:
    jobs = jobs or os.cpu_count() or 1
    bar = _ProgressBar()
    try:
        result = run(dataset, method, k, seed=seed, params=params, preparation=preparation, progress=bar, n_jobs=jobs)
    finally:
        bar.close()
    if source is not None:
        # Where the data was read from and how, so that --manifest can repeat the run.
        result.personas.manifest["source"] = source
    if edits is not None:
        result = replace(result, personas=edits.apply(result.personas))
    paths = write_run(result, out, min_size=min_size, n_jobs=jobs)
    paths["model"], paths["model_arrays"] = save_model(PersonaModel.from_run(result), out)
    for note in result.method.notes_:
        print(f"note: {note}", file=sys.stderr)
    shares = ", ".join(f"{p.name} {p.share:.0%}" for p in result.personas.personas)
    print(f"{len(result.personas.personas)} personas ({result.method.label}): {shares}")
    if result.personas.unassigned:
        print(f"unassigned: {result.personas.unassigned['share']:.0%}")
    note = withheld_note(withhold(result.personas, min_size))
    if note:
        print(f"note: {note}", file=sys.stderr)
    for path in paths.values():
        print(f"wrote {path}")


def _personas(args) -> int:
    if args.manifest is not None:
        return _rerun(args)
    if args.data is None:
        raise PersonaLabError("DATA is needed", fix="Give a data file, or --manifest personas.json to repeat a run")
    method = args.method or "nmf"
    params = {k: parse_value(v) for k, v in _pairs(args.param, "--param").items()}
    if args.k is None and not METHODS[method].k_is_output:
        raise PersonaLabError(f"--k is needed for method {method}", fix="Add e.g. --k 5")
    edits = read_edits(args.edits) if args.edits else None  # a bad file fails before the run
    _run_and_write(_load(args), method, args.k, args.seed or 0, params, args.out, _source(args.data, args),
                   min_size=args.min_size, edits=edits, jobs=_jobs(args.jobs))
    return 0


def _jobs(jobs: int | None) -> int | None:
    if jobs is not None and jobs < 1:
        raise PersonaLabError(f"--jobs must be at least 1, got {jobs}", fix="Leave it out to use every CPU")
    return jobs


def _source(path: Path, args=None) -> dict:
    options = {k: v for k, v in _read_options(args).items() if v is not None} if args else {}
    return {"path": str(Path(path).resolve()), **options}


def _rerun(args) -> int:
    """``personas --manifest FILE``: the run the manifest records, on the same data."""
    given = [flag for flag, value in (("--method", args.method), ("--k", args.k), ("--seed", args.seed),
                                      ("--param", args.param), ("--role", args.role), ("--kind", args.kind),
                                      ("--type", args.type), ("--labels", args.labels))
             if value not in (None, [])]
    if given:
        raise PersonaLabError(f"{given[0]} cannot be combined with --manifest: the manifest sets it",
                              fix="Leave it out, or run without --manifest")
    manifest = _read_manifest(args.manifest)
    edits = read_edits(args.edits) if args.edits else None
    source = manifest.get("source") or {}
    path = args.data or source.get("path")
    if not path:
        raise PersonaLabError("The manifest does not say where the data is", where=str(args.manifest),
                              fix="Give the data file: persona-lab personas DATA --manifest FILE --out DIR")
    options = {k: source.get(k) for k in ("sep", "sheet", "columns", "encoding", "header_row", "skip_rows")}
    options.update({k: v for k, v in _read_options(args).items() if v is not None})
    dataset = load_dataset(Path(path), kind=manifest.get("kind"), roles=manifest.get("roles"),
                           types=manifest.get("types"), dictionary=DataDictionary.from_json(manifest.get("dictionary")),
                           **options)
    if dataset.fingerprint() != manifest.get("data_fingerprint"):
        raise PersonaLabError("The data is not the data the manifest was made from (its fingerprint differs)",
                              where=str(path), fix="Give the original data file")
    try:
        preparation = Preparation(**(manifest.get("preparation") or {}).get("parameters", {}))
        method, k, seed = manifest["method"], manifest.get("k_requested"), int(manifest["seed"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PersonaLabError(f"The manifest is incomplete ({exc})", where=str(args.manifest),
                              fix="Use the manifest of a personas.json written by Persona Lab") from None
    if method not in METHODS:
        raise PersonaLabError(f"Unknown method {method!r} in the manifest", where=str(args.manifest),
                              fix=f"Choose from {', '.join(METHODS)}")
    # The manifest's own source, not the path given here: the rerun writes the same manifest.
    _run_and_write(dataset, method, k, seed, dict(manifest.get("parameters") or {}), args.out,
                   manifest.get("source"), preparation, min_size=args.min_size, edits=edits, jobs=_jobs(args.jobs))
    return 0


def _read_manifest(path: Path) -> dict:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PersonaLabError(f"Cannot read the manifest: {exc.strerror or exc}", where=str(path),
                              fix="Give the path of a personas.json or manifest.json") from None
    except ValueError as exc:
        raise PersonaLabError(f"The manifest is not valid JSON ({exc})", where=str(path),
                              fix="Give the path of a personas.json or manifest.json") from None
    manifest = document.get("manifest", document) if isinstance(document, dict) else None
    if not isinstance(manifest, dict) or "data_fingerprint" not in manifest:
        raise PersonaLabError("This file holds no run manifest", where=str(path),
                              fix="Give the path of a personas.json or manifest.json written by Persona Lab")
    return manifest


def _k_range(text: str) -> list[int]:
    first, sep, last = text.partition(":")
    try:
        low, high = int(first), int(last if sep else first)
    except ValueError:
        raise PersonaLabError(f"--k-range {text!r} is not of the form FIRST:LAST", fix="Write e.g. --k-range 2:15") from None
    if low < 2 or high < low:
        raise PersonaLabError(f"--k-range {text!r} must run from 2 or more upwards", fix="Write e.g. --k-range 2:15")
    return list(range(low, high + 1))


def _preparation(args, kind: str) -> Preparation | None:
    """The method's default preparation with the researcher's changes; None when unchanged."""
    if args.scale is None and not args.no_log:
        return None
    default = get_method(args.method).default_preparation(kind)
    return replace(default, scale=args.scale or default.scale, log_counts=default.log_counts and not args.no_log)


def _select_k(args) -> int:
    bar = _ProgressBar()
    try:
        dataset = _load(args)
        result = select_k(dataset, args.method, _k_range(args.k_range), resamples=args.resamples, seed=args.seed,
                          n_ref=args.null, null_resamples=args.null_resamples, min_share=args.min_share, n_jobs=args.jobs, dask=args.dask, progress=bar,
                          preparation=_preparation(args, dataset.kind), starts=args.starts,
                          max_rows=args.max_rows or None)
    finally:
        bar.close()
    print(result.statement)
    if result.curves is not None:
        rule = result.rule
        picks = ", ".join(f"{c} {k}" for c, k in rule["full_data_picks"].items() if k is not None)
        print(f"the rule on the full data (the most reproducible stable k): {rule['full_data_k']}; every "
              f"criterion's pick: {picks}; their vote among stable k: {rule['criteria_vote']}")
        if rule["full_data_only"]:
            print("shown on the full data only, not in the rule: " + ", ".join(
                f"{c} pick {result.curves.picks.get(c)} ({why})" for c, why in rule["full_data_only"].items()))
    print("P(k_hat = k) for the rule: " + ", ".join(f"{k}: {p:.0%}" for k, p in result.k_distribution.items()))
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


def _typing_tool(args) -> int:
    dataset = _load(args)
    require_per_respondent(dataset.kind, dataset.name)
    tool = typing_tool_for_model(load_model(args.model), dataset.frame, n_questions=args.questions, seed=args.seed,
                                 dictionary=dataset.dictionary)
    paths = write_typing_tool(tool, args.out)
    for note in tool.notes:
        print(f"note: {note}", file=sys.stderr)
    print(tool.statement())
    for path in paths.values():
        print(f"wrote {path}")
    return 0


def _workspace(args) -> int:
    store = WorkspaceStore(args.data_dir or default_data_dir())
    if args.action == "list":
        for found in store.workspaces():
            changed = time.strftime("%Y-%m-%d %H:%M", time.localtime(found.updated))
            print(f"{found.id}\t{changed}\t{found.name}")
    elif args.action == "export":
        print(export_workspace(store, args.id, args.file))
    elif args.action == "import":
        print(import_workspace(store, args.file, name=args.name))
    else:
        store.existing(args.id)
        JobRunner(store).stop_all(args.id)
        store.delete(args.id)
    return 0


def _demo(args) -> int:
    channel = load_dataset(SAMPLE_DIR / APG_SAMPLE)
    print("APG channel sample: NMF, 5 personas")
    _run_and_write(channel, "nmf", 5, args.seed, {}, args.out / "channel", _source(SAMPLE_DIR / APG_SAMPLE))
    customers = load_dataset(SAMPLE_DIR / CUSTOMER_SAMPLE)
    print("Customer sample: k-means, 5 personas")
    _run_and_write(customers, "kmeans", 5, args.seed, {}, args.out / "customers", _source(SAMPLE_DIR / CUSTOMER_SAMPLE))
    return 0



def _add_read_arguments(parser: argparse.ArgumentParser, data_optional: bool = False) -> None:
    parser.add_argument("data", type=Path, nargs="?" if data_optional else None,
                        help="CSV/TSV/Excel/Parquet/JSON/SPSS/Stata file")
    parser.add_argument("--sep", help="column separator of a text file (sniffed when omitted)")
    parser.add_argument("--sheet", help="Excel sheet name or 0-based index")
    parser.add_argument("--encoding", help="text encoding (detected when omitted)")
    parser.add_argument("--columns", help="comma-separated columns to keep")
    parser.add_argument("--header-row", type=int, metavar="N",
                        help="row holding the column names, counted from 1 (CSV and Excel; default: the first row, "
                        "or the row under an obvious title)")
    parser.add_argument("--skip-rows", type=int, metavar="N",
                        help="rows under the header to leave out, e.g. a row of units or question texts (CSV and Excel)")


def _assign(args) -> int:
    model = load_model(args.model)
    frame = read_table(args.data, **_read_options(args))
    scored = model.score(frame)
    for note in scored.notes:
        print(f"note: {note}", file=sys.stderr)
    path = write_csv(assignment_table(model, scored), args.out)
    names = {p.id: p.name for p in model.personas.personas}
    counts = ", ".join(f"{names.get(int(i), i)} {int((scored.labels == i).sum())}" for i in sorted(names))
    print(f"{len(scored.labels)} rows: {counts}; flagged {int(scored.flagged.sum())}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
