"""``python -m benchmarks``: run every benchmark, print the table, optionally update the README."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.builds import freeze_project, peak_memory, run_builds
from benchmarks.common import BenchError, Row, log, use_pycache
from benchmarks.extraction import run_extraction
from benchmarks.report import machine, render, write_readme
from benchmarks.scale import curve_rows, dask_rows
from benchmarks.serve import run_serve

PARTS = ("builds", "extraction", "memory", "dask", "curve", "serve")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Wall-clock benchmarks of the pipeline, each in a fresh temporary copy "
        "of the project. Prints Markdown tables of medians; writes nothing into the "
        "repository unless --write-readme is given.",
    )
    parser.add_argument("--runs", type=int, default=5, metavar="N", help="rounds (default 5)")
    parser.add_argument(
        "--quick", action="store_true", help="2 rounds of builds, 1 of extraction, smaller samples"
    )
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only these parts (repeatable)"
    )
    parser.add_argument(
        "--articles", type=int, default=1000, metavar="N", help="generated articles (1000)"
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=100,
        metavar="N",
        help="files that one-process-per-file tools are timed on, then scaled (100)",
    )
    parser.add_argument(
        "--edits", type=int, default=10, metavar="N", help="catalog edits timed under serve (10)"
    )
    parser.add_argument(
        "--rebuilds",
        type=int,
        default=100,
        metavar="N",
        help="rebuilds of the serving process before its memory is read again (100)",
    )
    parser.add_argument(
        "--write-readme", action="store_true", help="rewrite the results of benchmarks/README.md"
    )
    parser.add_argument(
        "--curve",
        default="1,4,16,64",
        metavar="N,N...",
        help="copies of the article in the scaling curve, x 6 brochures each (1,4,16,64)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if min(args.runs, args.articles, args.sample, args.edits, args.rebuilds) < 1:
        raise SystemExit("--runs, --articles, --sample, --edits and --rebuilds must be positive")
    build_runs = 2 if args.quick else args.runs
    extract_runs = 1 if args.quick else args.runs
    memory_runs = 1 if args.quick else min(args.runs, 3)
    sample = min(args.sample, 50) if args.quick else args.sample
    edits = min(args.edits, 5) if args.quick else args.edits
    rebuilds = min(args.rebuilds, 20) if args.quick else args.rebuilds
    parts = set(args.only or PARTS)

    started = time.perf_counter()
    rows: list[Row] = []
    tools = ""
    work = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    log(f"working in {work}")
    try:
        use_pycache(work / "pycache")
        note = ""
        if parts & {"builds", "memory", "dask", "serve"}:
            frozen, note = freeze_project(work / "frozen")
            if note:
                log(f"note: {note}")
            if "builds" in parts:
                rows += run_builds(work, build_runs, frozen, note)
        if "extraction" in parts:
            extraction_rows, tools = run_extraction(work, extract_runs, args.articles, sample)
            rows += extraction_rows
        if "memory" in parts:
            rows += peak_memory(work, frozen, memory_runs)
        if "dask" in parts:
            rows += dask_rows(work, frozen, build_runs)
        if "curve" in parts:
            rows += curve_rows(work, tuple(int(n) for n in args.curve.split(",")))
        if "serve" in parts:
            rows += run_serve(work, frozen, build_runs, edits, rebuilds)
    except BenchError as exc:
        print(f"benchmarks: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    rows.sort(key=lambda row: row.section)
    rounds = ", ".join(
        f"{part} {count}"
        for part, count in (
            ("builds", build_runs),
            ("extraction", extract_runs),
            ("memory", memory_runs),
            ("dask", build_runs),
            ("curve", 1),
            ("serve", build_runs),
        )
        if part in parts
    )
    host = machine(
        dt.date.today().isoformat(),
        tools,
        f"rounds (the runs column): {rounds}",
        time.perf_counter() - started,
    )
    results = render(rows, host)
    print(results)
    if args.write_readme:
        write_readme(results)
        log("wrote the results into benchmarks/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
