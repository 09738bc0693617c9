"""The ``workbench`` command: scan a table of predictions, export slices, verify claims.

    workbench scan DATA --label COL --prediction COL [--score COL] [--features A,B]
                   [--exclude A,B] [--metric NAME] [--db FILE] [--out slices.csv]
                   [--top-k 10] [--max-predicates 3] [--min-support N|FRACTION]
                   [--ranking excess|sliceline] [--distinct [false]] [--exact]
                   [--alpha A] [--fdr Q] [--confirm auto|true|false] [--seed N|none]
                   [--n-jobs N] [--engine auto|numpy|duckdb|spark] [--memory-limit 4GB]
                   [--json]
    workbench scan STORE.duckdb [--features A,B] [...]   (scan a saved workbench again)
    workbench export --db FILE --slice SLICE_ID --out members.csv
    workbench scans --db FILE
    workbench claim --db FILE --slice SLICE_ID --out claim.json [--note TEXT]
    workbench verify claim.json --data DATA
    workbench bounty create --db FILE --model f0.skops --holdout DATA --label COL --alpha A
    workbench bounty submit --db FILE --group group.json --model h.skops --submitter NAME
                            (exit 0 when accepted, 1 when rejected)
    workbench bounty ledger --db FILE [--leaderboard] [--out ledger.csv]
    workbench bounty predict DATA --db FILE --out preds.csv
    workbench compare BASELINE NEW --label COL --prediction COL [--prediction-new COL]
                   [--out changes.csv] [--ranking change|excess] [--paired auto|true|false]

Errors the tool raises on purpose are printed as one message, without a
traceback, and the command exits with status 2. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workbench._version import __version__
from workbench.exceptions import ParameterError, WorkbenchError

__all__ = ["main"]


def _scan_value(name: str) -> Any:
    """An argparse type that reads a scan parameter as the table does (checked in the scan)."""
    from workbench.search._parameters import parse_parameter

    def parse(text: str) -> Any:
        return parse_parameter(name, text)

    parse.__name__ = name  # argparse names the type in its messages
    return parse


def _metric(name: str | None, pos_label: str | None) -> Any:
    """The metric name, or the fairness rate bound to its positive class."""
    if pos_label is None:
        return name
    from workbench.metrics import get_metric

    if name is None:
        raise ParameterError(
            "--pos-label names the positive class of a fairness rate, but no --metric was "
            "given. Add e.g. --metric false_negative_rate."
        )
    return get_metric(name, pos_label=pos_label)


def _scan_parameters() -> list[Any]:
    """The table's front-end parameters that ``Workbench.scan`` takes."""
    import inspect

    from workbench._workbench import Workbench
    from workbench.search._parameters import SCAN_PARAMETERS

    accepted = inspect.signature(Workbench.scan).parameters
    return [p for p in SCAN_PARAMETERS.values() if p.front_end and p.name in accepted]


def _progress(done: int, total: int, message: str) -> None:
    sys.stderr.write(f"  {message} ({done}/{total})\n")
    sys.stderr.flush()


def _csv_options(parser: argparse.ArgumentParser) -> None:
    """How a CSV file is written; detected when not given."""
    group = parser.add_argument_group("CSV format (detected when not given)")
    group.add_argument(
        "--na-values",
        help="comma-separated cell texts read as missing besides empty cells (e.g. NA,null); "
        "by default NA, None, null, N/A and nan are values",
    )
    group.add_argument("--delimiter", help="field separator, e.g. ';' or tab (\\t)")
    group.add_argument("--decimal", choices=(".", ","), help="decimal mark of numbers")
    group.add_argument("--thousands", help="thousands separator, e.g. '.' or ','; '' for none")
    group.add_argument("--encoding", help="text encoding, e.g. utf-8, latin-1, cp1252")


def _read_options(args: argparse.Namespace) -> dict[str, Any]:
    delimiter = args.delimiter
    if delimiter in ("\\t", "tab", "TAB"):
        delimiter = "\t"
    return {
        "na_values": args.na_values.split(",") if args.na_values else None,
        "delimiter": delimiter,
        "decimal": args.decimal,
        "thousands": args.thousands,
        "encoding": args.encoding,
    }


def _check_writable(path: str, option: str) -> None:
    """Fail before the work, not after it, when an output file cannot be written."""
    folder = Path(path).expanduser().resolve().parent
    if not folder.is_dir():
        raise ParameterError(
            f"{option} {path!r}: the folder {str(folder)!r} does not exist. Create it first or "
            "choose another path (nothing was computed yet)."
        )
    if Path(path).is_dir():
        raise ParameterError(f"{option} {path!r} is a folder. Pass a file path, e.g. out.csv.")
    if not os.access(folder, os.W_OK) or (Path(path).exists() and not os.access(path, os.W_OK)):
        raise ParameterError(
            f"{option} {path!r} cannot be written (permission denied). Choose a writable "
            "folder (nothing was computed yet)."
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Slice Workbench: find the data slices where a model fails.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    scan = sub.add_parser("scan", help="load predictions, search for failing slices, write them")
    scan.add_argument(
        "data",
        help="CSV or parquet file with one row per example, or a DuckDB store a scan wrote "
        "before (its latest predictions are scanned again; the scan is stored in it)",
    )
    scan.add_argument("--label", help="column with the true outcome (needed for a file)")
    scan.add_argument("--prediction", help="column with the model's output (needed for a file)")
    scan.add_argument("--score", help="column with the predicted probability (optional)")
    scan.add_argument("--features", help="comma-separated columns to search (default: all others)")
    scan.add_argument("--exclude", help="comma-separated columns to leave out of the search")
    scan.add_argument(
        "--metric",
        help="error_rate, log_loss, absolute_error, squared_error, wer, cer, or a fairness "
        "rate: false_negative_rate, false_positive_rate, selection_rate, "
        "false_discovery_rate, class_error_rate",
    )
    scan.add_argument(
        "--pos-label",
        help="positive class of a fairness rate (e.g. '>50K'; default 1 for 0/1 labels)",
    )
    scan.add_argument(
        "--missing",
        choices=("error", "drop"),
        default="error",
        help="rows without label/prediction: stop with an error (default) or drop them",
    )
    scan.add_argument(
        "--db", default="workbench.duckdb", help="DuckDB store (default: %(default)s)"
    )
    scan.add_argument("--out", help="write the slices to this CSV")
    # The scan's own parameters come from the one table (same defaults, same checks).
    for param in _scan_parameters():
        boolean = param.choices == (True, False)
        scan.add_argument(
            param.cli,
            dest=param.name,
            type=_scan_value(param.name),
            default=param.default,
            nargs="?" if boolean else None,  # a bare --distinct means true
            const=True if boolean else None,
            metavar=param.name.upper(),
            help=f"{param.help} (default: {param.default})".replace("%", "%%"),
        )
    scan.add_argument(
        "--no-confirm",
        dest="confirm",
        action="store_const",
        const=False,
        help="same as --confirm false: statistics in-sample instead of on a held-out split",
    )
    scan.add_argument(
        "--exact",
        action="store_true",
        help="SliceLine's exact top-k: same as --ranking sliceline --distinct false",
    )
    scan.add_argument("--json", action="store_true", help="print the slices as JSON on stdout")
    _csv_options(scan)

    export = sub.add_parser("export", help="write the member rows (or all flagged slices) to CSV")
    export.add_argument("--db", required=True, help="DuckDB store written by 'workbench scan'")
    export.add_argument("--slice", dest="slice_id", help="slice id, e.g. scan1.s1")
    export.add_argument("--flagged", action="store_true", help="export the flagged slices instead")
    export.add_argument("--out", required=True, help="CSV file to write")

    scans = sub.add_parser("scans", help="list the scans stored in a DuckDB file")
    scans.add_argument("--db", required=True)

    show = sub.add_parser("show", help="print the slices of a stored scan")
    show.add_argument("--db", required=True)
    show.add_argument("--scan", help="scan id (default: the latest)")
    show.add_argument("--json", action="store_true")

    app = sub.add_parser("app", help="start the code-free audit app (Voila) on 127.0.0.1")
    app.add_argument("--port", type=int, default=8866)
    app.add_argument("--no-browser", action="store_true")
    app.add_argument(
        "--max-kernels",
        type=int,
        default=4,
        help="sessions (browser tabs) open at once at most (default: %(default)s)",
    )
    app.add_argument(
        "--idle-minutes",
        type=float,
        default=30,
        help="shut a session down after this long without activity (default: %(default)s)",
    )
    app.add_argument(
        "--closed-seconds",
        type=float,
        default=60,
        help="shut a session down this long after its browser tab closed, freeing its memory "
        "(default: %(default)s)",
    )

    verify = sub.add_parser("verify", help="re-check a claim file on data")
    verify.add_argument("claim", help="claim JSON written by the workbench")
    verify.add_argument("--data", required=True, help="CSV or parquet with the same columns")
    verify.add_argument("--label", help="label column, if named differently than in the claim")
    verify.add_argument(
        "--prediction", help="prediction column, if named differently than in the claim"
    )
    verify.add_argument("--json", action="store_true")
    _csv_options(verify)

    claim = sub.add_parser("claim", help="write the claim file of a stored slice")
    claim.add_argument("--db", required=True)
    claim.add_argument("--slice", dest="slice_id", required=True)
    claim.add_argument("--note", default="", help="your description of the finding")
    claim.add_argument("--out", required=True, help="JSON file to write")
    _add_bounty_parser(sub)
    _add_compare_parser(sub)
    return parser


def _print_table(findings: Any) -> None:
    from workbench.findings import format_p_value

    out = sys.stdout
    out.write(
        f"{len(findings)} slices (overall error {findings.overall_error:.4f}, "
        f"{findings.n_rows} rows, {findings.n_evaluated} slices evaluated)\n"
    )
    # Data too small for findings: say so before the table, not only in the notes below.
    for note in findings.notes:
        if note.startswith("The data cannot support findings"):
            out.write(f"{note}\n")
    on = sorted({s.statistics_on for s in findings})
    if on:
        out.write(f"size, error, interval and p-value on: {', '.join(on)}\n")
    header = (
        f"{'slice_id':<11} {'size':>7} {'in data':>8} {'error':>7} {'95% CI':>15} {'ratio':>6} "
        f"{'p_adj':>9} sig  description"
    )
    out.write(header + "\n")
    for s in findings:
        ci = f"[{s.error_ci_low:.3f}, {s.error_ci_high:.3f}]"
        out.write(
            f"{s.slice_id:<11} {s.slice_size:>7} {s.size_in_data:>8} {s.slice_error:>7.3f} "
            f"{ci:>15} {s.error_ratio:>6.2f} {format_p_value(s.p_value_adjusted):>9} "
            f"{'yes' if s.significant else 'no ':<4} {s.description}\n"
        )
        if s.also_described_as:
            out.write(f"{'':<11} also described as: {'; '.join(s.also_described_as)}\n")
    for note in findings.notes:
        out.write(f"note: {note}\n")


def _is_store(path: str) -> bool:
    """Whether ``path`` is a DuckDB database file (its header's magic bytes)."""
    try:
        with open(path, "rb") as file:
            return file.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


def _cmd_scan(args: argparse.Namespace) -> int:
    from workbench._workbench import Workbench

    t0 = time.perf_counter()
    from_store = _is_store(args.data)
    if from_store:
        # A saved workbench: nothing to load, the codes stay in the store (a store larger
        # than memory is streamed by the DuckDB engine).
        sys.stderr.write(f"opening the store {args.data} ...\n")
        bench = Workbench.open(args.data)
        args.db = args.data
    else:
        missing = [flag for flag in ("label", "prediction") if not getattr(args, flag)]
        if missing:
            raise ParameterError(
                f"workbench scan of a data file needs --label and --prediction. Got "
                f"{args.data!r} (not a DuckDB store) without "
                + " and ".join(f"--{flag}" for flag in missing)
                + ". Name the columns, e.g. --label y --prediction y_hat, or pass a store "
                "written by an earlier scan."
            )
        sys.stderr.write(f"loading {args.data} ...\n")
        bench = Workbench.from_predictions(
            args.data,
            label=args.label,
            prediction=args.prediction,
            score=args.score,
            features=args.features,
            exclude=args.exclude,
            metric=_metric(args.metric, args.pos_label),
            path=args.db,
            missing=args.missing,
            **_read_options(args),
        )
    with bench:
        for note in bench.notes:
            sys.stderr.write(f"  {note}\n")
        sys.stderr.write(
            f"  {bench.n_rows} rows, overall error {bench.overall_error:.4f}; scanning ...\n"
        )
        chosen = {p.name: getattr(args, p.name) for p in _scan_parameters()}
        if args.exact:
            chosen.update(ranking="sliceline", distinct=False)
        features = args.features.split(",") if from_store and args.features else None
        findings = bench.scan(**chosen, features=features, progress=_progress)
        sys.stderr.write(
            f"  scan {findings.scan_id} done in {time.perf_counter() - t0:.1f} s; stored in {args.db}\n"
        )
        if args.out:
            findings.to_csv(args.out)
            sys.stderr.write(f"  wrote {len(findings)} slices to {args.out}\n")
        if args.json:
            sys.stdout.write(findings.to_json() + "\n")
        else:
            _print_table(findings)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from workbench._workbench import Workbench

    if bool(args.slice_id) == bool(args.flagged):
        raise ParameterError("Pass exactly one of --slice SLICE_ID or --flagged.")
    # Export only reads: a store shared read-only (or open elsewhere for reading) works.
    with Workbench.open(args.db, read_only=True) as bench:
        if args.flagged:
            flagged = bench.flagged()
            flagged.to_csv(args.out)
            sys.stderr.write(f"wrote {len(flagged)} flagged slices to {args.out}\n")
            return 0
        found = bench.slice(args.slice_id)
        rows = bench.members(args.slice_id)
        rows.to_csv(args.out)
        sys.stderr.write(f"wrote {len(rows)} rows of {found.description} to {args.out}\n")
    return 0


def _cmd_scans(args: argparse.Namespace) -> int:
    from workbench._workbench import Workbench

    with Workbench.open(args.db, read_only=True) as bench:
        frame = bench.scans().drop(columns=["parameters"])
        sys.stdout.write(frame.to_string(index=False) + "\n")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from workbench._workbench import Workbench

    with Workbench.open(args.db, read_only=True) as bench:
        scan_ids = bench.scan_ids(all_models=True)
        findings = bench.findings(args.scan or (scan_ids[-1] if scan_ids else None))
        if args.json:
            sys.stdout.write(findings.to_json() + "\n")
        else:
            _print_table(findings)
    return 0


def _cmd_app(args: argparse.Namespace) -> int:
    from workbench.app import serve

    return serve(
        port=args.port,
        open_browser=not args.no_browser,
        max_kernels=args.max_kernels,
        idle_minutes=args.idle_minutes,
        closed_seconds=args.closed_seconds,
    )


def _cmd_verify(args: argparse.Namespace) -> int:
    from workbench._workbench import Workbench

    result = Workbench.verify_claim(
        args.claim, args.data, label=args.label, prediction=args.prediction, **_read_options(args)
    )
    if args.json:
        sys.stdout.write(json.dumps(result, indent=2, default=str) + "\n")
    else:
        for line in result["report"]:
            sys.stdout.write(line + "\n")
    return 0 if result["holds"] else 1


def _cmd_claim(args: argparse.Namespace) -> int:
    from workbench._workbench import Workbench

    with Workbench.open(args.db, read_only=True) as bench:
        path = bench.export_claim(args.slice_id, args.out, note=args.note)
    sys.stderr.write(f"wrote the claim for {args.slice_id} to {path}\n")
    return 0


# --- bias bounty: `workbench bounty create|submit|ledger|predict` -----------------------


def _add_bounty_parser(sub: Any) -> None:
    bounty = sub.add_parser("bounty", help="run a bias bounty: certify (group, model) submissions")
    actions = bounty.add_subparsers(dest="bounty_command", required=True)
    db_help = "the bounty's DuckDB file (default: bounty.duckdb)"

    create = actions.add_parser("create", help="start a bounty on a model and a holdout")
    create.add_argument("--db", default="bounty.duckdb", help=db_help)
    create.add_argument("--model", required=True, help="the base model: .skops or .onnx file")
    create.add_argument("--holdout", required=True, help="CSV or parquet: the owner's holdout")
    create.add_argument("--label", required=True, help="the label column of the holdout")
    create.add_argument("--alpha", type=float, required=True, help="least mu*Delta to accept")
    create.add_argument("--budget", type=int, help="updates per holdout (default floor(2/alpha))")
    create.add_argument(
        "--trusted-type",
        action="append",
        default=[],
        dest="trusted_types",
        help="a type (beyond scikit-learn's) skops files may hold; repeat for several",
    )
    create.add_argument("--overwrite", action="store_true")

    submit = actions.add_parser("submit", help="certify a submission on the holdout")
    submit.add_argument("--db", default="bounty.duckdb", help=db_help)
    submit.add_argument("--group", required=True, help="JSON group file or claim file")
    submit.add_argument("--model", required=True, help=".skops or .onnx model file")
    submit.add_argument("--submitter", required=True, help="team name")
    submit.add_argument("--note", default="")
    submit.add_argument("--json", action="store_true", help="print the full report as JSON")

    ledger = actions.add_parser("ledger", help="print every submission (or the leaderboard)")
    ledger.add_argument("--db", default="bounty.duckdb", help=db_help)
    ledger.add_argument("--leaderboard", action="store_true", help="per submitter instead")
    ledger.add_argument("--out", help="write CSV here instead of printing")

    predict = actions.add_parser("predict", help="predict with the current decision list")
    predict.add_argument("data", help="CSV or parquet with the holdout's feature columns")
    predict.add_argument("--db", default="bounty.duckdb", help=db_help)
    predict.add_argument("--out", required=True, help="CSV file to write (one prediction a row)")


def _cmd_bounty(args: argparse.Namespace) -> int:
    from pathlib import Path

    from workbench._io import read_table
    from workbench.bounty import Bounty

    if args.bounty_command == "create":
        holdout = read_table(args.holdout)
        with Bounty.create(
            args.db,
            model=Path(args.model),
            X=holdout,
            y=args.label,
            alpha=args.alpha,
            budget=args.budget,
            trusted_types=args.trusted_types,
            overwrite=args.overwrite,
        ) as bounty:
            sys.stdout.write(f"{bounty!r}\n")
        return 0
    with Bounty.open(args.db) as bounty:
        if args.bounty_command == "submit":
            result = bounty.submit(
                Path(args.group), Path(args.model), submitter=args.submitter, note=args.note
            )
            if args.json:
                sys.stdout.write(json.dumps(result.report, indent=2, default=str) + "\n")
            else:
                sys.stdout.write(str(result) + "\n")
            return 0 if result.accepted else 1
        if args.bounty_command == "ledger":
            table = bounty.leaderboard() if args.leaderboard else bounty.ledger()
            if args.out:
                table.to_csv(args.out, index=False)
                sys.stderr.write(f"wrote {len(table)} rows to {args.out}\n")
            else:
                sys.stdout.write(table.to_string(index=False) + "\n")
            return 0
        data = read_table(args.data)
        import pandas as pd

        predictions = bounty.model.predict(data)
        pd.DataFrame({"prediction": predictions}).to_csv(args.out, index=False)
        sys.stderr.write(f"wrote {len(predictions)} predictions to {args.out}\n")
        return 0


# --- end of the bias bounty block ---------------------------------------------------------


# --- workbench compare: the slices that got worse from a baseline to new data or model ---
_COMPARE_PARAMETERS = ("k", "max_predicates", "min_support", "alpha", "fdr")


def _add_compare_parser(sub: Any) -> None:
    compare = sub.add_parser(
        "compare",
        help="find the slices whose error rose from a baseline to new data or a new model",
        description=(
            "Differential scan: the baseline's bins applied to the new side, the slices "
            "ranked by how much more their error rose than the whole's, two-sample (or "
            "paired) tests corrected over every slice evaluated. Writes the overall change "
            "(first row) and each slice's statistics on both sides and their difference."
        ),
    )
    compare.add_argument(
        "baseline", help="CSV or parquet: the baseline (e.g. the vendor's test set)"
    )
    compare.add_argument(
        "new", help="CSV or parquet: the new data (may be the same file, with --prediction-new)"
    )
    compare.add_argument("--label", required=True, help="column with the true outcome")
    compare.add_argument("--prediction", required=True, help="the baseline's prediction column")
    compare.add_argument(
        "--prediction-new",
        help="the new side's prediction column (default: --prediction); with the same file "
        "on both sides this compares two models on the same rows (paired)",
    )
    compare.add_argument("--label-new", help="the new side's label column (default: --label)")
    compare.add_argument("--features", help="comma-separated columns to compare on")
    compare.add_argument("--exclude", help="comma-separated columns to leave out")
    compare.add_argument(
        "--metric", help="error_rate, log_loss, absolute_error, squared_error, wer, cer"
    )
    compare.add_argument(
        "--missing",
        choices=("error", "drop"),
        default="error",
        help="rows without label/prediction: stop with an error (default) or drop them",
    )
    from workbench.search._parameters import SCAN_PARAMETERS

    for name in _COMPARE_PARAMETERS:
        param = SCAN_PARAMETERS[name]
        compare.add_argument(
            param.cli,
            dest=name,
            type=_scan_value(name),
            default=param.default,
            metavar=name.upper(),
            help=f"{param.help} (default: {param.default})".replace("%", "%%"),
        )
    compare.add_argument(
        "--ranking",
        choices=("change", "excess"),
        default="change",
        help="change: SliceLine's score on the change beyond the whole's (default); excess: "
        "lower end of the change interval minus the whole's change (small groups rank high)",
    )
    compare.add_argument(
        "--paired",
        choices=("auto", "true", "false"),
        default="auto",
        help="paired tests (same rows on both sides); auto: when both sides are one dataset",
    )
    compare.add_argument("--out", help="write the overall change and the slices to this CSV")
    compare.add_argument("--json", action="store_true", help="print the result as JSON")


def _cmd_compare(args: argparse.Namespace) -> int:
    import pandas as pd

    from workbench._ingest import as_list
    from workbench._workbench import Workbench

    prediction_new = args.prediction_new or args.prediction
    label_new = args.label_new or args.label
    exclude = as_list(args.exclude) or []
    same_file = args.baseline == args.new and prediction_new != args.prediction
    sides = []
    for role, path, label, prediction, other in (
        ("baseline", args.baseline, args.label, args.prediction, prediction_new),
        ("new", args.new, label_new, prediction_new, args.prediction),
    ):
        sys.stderr.write(f"loading the {role} side from {path} ...\n")
        bench = Workbench.from_predictions(
            path,
            label=label,
            prediction=prediction,
            features=args.features,
            exclude=[*exclude, other] if same_file else (exclude or None),
            metric=args.metric,
            path=":memory:",
            name=role,
            model_name=prediction,
            missing=args.missing,
        )
        sides.append(bench)
        sys.stderr.write(f"  {bench.n_rows} rows, overall error {bench.overall_error:.4f}\n")
    baseline, new = sides
    try:
        paired: bool | str = "auto" if args.paired == "auto" else args.paired == "true"
        result = new.scan(
            baseline=baseline,
            paired=paired,
            ranking=args.ranking,
            k=args.k,
            max_predicates=args.max_predicates,
            min_support=args.min_support,
            alpha=args.alpha,
            fdr=args.fdr,
        )
    finally:
        baseline.close()
        new.close()
    table = pd.concat([result.overall_frame(), result.to_frame()], ignore_index=True)
    if args.out:
        table.to_csv(args.out, index=False)
        sys.stderr.write(f"  wrote the overall change and {len(result)} slices to {args.out}\n")
    if args.json:
        payload = {
            "overall": result.overall.to_dict(),
            "slices": json.loads(result.to_frame().to_json(orient="records")),
            "n_evaluated": result.n_evaluated,
            "notes": list(result.notes),
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return 0
    out = sys.stdout
    out.write(result.overall.describe() + "\n")
    out.write(
        f"{len(result)} slices changed more than the whole ({len(result.significant)} "
        f"significant, {result.n_evaluated} evaluated)\n"
    )
    out.write(f"{'before':>7} {'after':>7} {'change':>8} {'95% CI':>17} {'p_adj':>9} sig  slice\n")
    for s in result:
        ci = f"[{s.change_ci_low:+.3f}, {s.change_ci_high:+.3f}]"
        out.write(
            f"{s.error_baseline:>7.3f} {s.error_new:>7.3f} {s.change:>+8.3f} {ci:>17} "
            f"{s.p_value_adjusted:>9.2g} {'yes' if s.significant else 'no ':<4} {s.description}\n"
        )
    for note in result.notes[1:]:
        out.write(f"note: {note}\n")
    return 0


# --- end of the compare block -------------------------------------------------------------


COMMANDS = {
    "claim": _cmd_claim,
    "scan": _cmd_scan,
    "export": _cmd_export,
    "scans": _cmd_scans,
    "show": _cmd_show,
    "app": _cmd_app,
    "verify": _cmd_verify,
    "bounty": _cmd_bounty,
    "compare": _cmd_compare,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        for option in ("out",):
            if getattr(args, option, None):
                _check_writable(getattr(args, option), f"--{option}")
        return COMMANDS[args.command](args)
    except WorkbenchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. 'workbench show | head'): stop quietly, as Unix tools do.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
