"""``pipeline`` command line: parse arguments, call the library, print. No logic lives here."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, TextIO

from pipeline import __version__
from pipeline.errors import PipelineError
from pipeline.project import Config, load_config

if TYPE_CHECKING:
    from pipeline.checks import Finding
    from pipeline.workspace import FileChange


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipeline",
        description="Translate Markdown articles with gettext catalogs and publish them "
        "as localized web pages and PDF brochures.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    extract = verbs.add_parser(
        "extract", help="write locale/<domain>.pot from the articles and templates"
    )
    extract.add_argument(
        "--jobs", "-j", type=int, default=0, metavar="N", help="worker processes (default: cores)"
    )
    init = verbs.add_parser("init", help="start the catalogs of a new language")
    init.add_argument("lang", metavar="LANG", help="language tag, e.g. fr, pt-BR")
    update = verbs.add_parser(
        "update", help="extract, then merge the templates into every language's catalogs"
    )
    update.add_argument("--lang", action="append", metavar="LANG", help="only these languages")
    update.add_argument(
        "--jobs", "-j", type=int, default=0, metavar="N", help="worker processes (default: cores)"
    )
    update.add_argument(
        "--no-memory",
        dest="memory",
        action="store_false",
        help="do not fill new entries from translations the language already has",
    )
    review = verbs.add_parser(
        "review", help="record that a second linguist revised a language's current translations"
    )
    review.add_argument("lang", metavar="LANG", help="language tag, e.g. fr")
    review.add_argument("--reviewer", required=True, metavar="NAME", help="who revised them")
    review.add_argument("--article", metavar="SLUG", help="only this article's catalog")
    review.add_argument(
        "--date", type=_iso_date, metavar="YYYY-MM-DD", help="day of the revision (default today)"
    )
    stats = verbs.add_parser("stats", help="translation progress per language and domain")
    stats.add_argument("--lang", action="append", metavar="LANG", help="only these languages")
    stats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    check = verbs.add_parser(
        "check", help="run the translation checks (exit 0 clean, 1 errors, 2 unusable input)"
    )
    check.add_argument("--lang", action="append", metavar="LANG", help="only these languages")
    check.add_argument("--json", action="store_true", help="print findings as a JSON array")
    merge_po = verbs.add_parser(
        "merge-po",
        help="git merge driver: merge two versions of a PO file message by message",
        description="Three-way merge of PO files for git (see .gitattributes): writes the "
        "result into OURS; exit 0 when merged cleanly, 1 when both sides changed one "
        "message differently (kept fuzzy with both texts).",
    )
    merge_po.add_argument("base", metavar="BASE", help="the common ancestor (git's %%O)")
    merge_po.add_argument("ours", metavar="OURS", help="our version, overwritten (git's %%A)")
    merge_po.add_argument("theirs", metavar="THEIRS", help="their version (git's %%B)")
    merge_po.add_argument("path", metavar="PATH", nargs="?", help="the file's name (git's %%P)")
    build = verbs.add_parser("build", help="build pages and PDF brochures into output/")
    build.add_argument("--lang", action="append", metavar="LANG", help="only these languages")
    build.add_argument(
        "--pseudo", action="store_true", help="also render the en-XA and ar-XB pseudo-locales"
    )
    build.add_argument("--force", action="store_true", help="rebuild everything")
    build.add_argument(
        "--no-wait",
        dest="wait",
        action="store_false",
        help="stop (exit 2) when another build of the project is running, instead of waiting",
    )
    build.add_argument(
        "--jobs", "-j", type=int, default=0, metavar="N", help="worker processes (default: cores)"
    )
    build.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="where to render: this machine's processes (default) or a Dask cluster",
    )
    build.add_argument(
        "--scheduler",
        default="",
        metavar="ADDRESS",
        help="the Dask scheduler, tcp://HOST:PORT (default: $DASK_SCHEDULER_ADDRESS)",
    )
    build.add_argument(
        "--shard",
        metavar="I/N",
        help="build only the I-th of N parts, into <output>-shard-I-of-N/ (for CI matrices)",
    )
    build.add_argument(
        "--merge",
        nargs="+",
        metavar="DIR",
        help="combine these shard folders into the output, then write the index and sitemap",
    )
    serve = verbs.add_parser(
        "serve", help="build, then rebuild on every change and serve output/ for preview"
    )
    serve.add_argument("--lang", action="append", metavar="LANG", help="only these languages")
    serve.add_argument("--port", type=int, default=8000, metavar="N", help="port (default 8000)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    return parser


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _print_changes(changes: list[FileChange], out: TextIO) -> None:
    for change in changes:
        if change.action != "unchanged":
            print(f"{change.action:>9}  {change.path}", file=out)
    unchanged = sum(1 for change in changes if change.action == "unchanged")
    if unchanged:
        print(f"{unchanged} file(s) already up to date", file=out)
    filled: dict[str, list[int]] = {}
    for change in changes:
        if any(change.memory):
            counts = filled.setdefault(change.lang, [0, 0])
            counts[0] += change.memory[0]
            counts[1] += change.memory[1]
    for lang, (exact, close) in sorted(filled.items()):
        print(
            f"translation memory, {lang}: {exact} entr{'y' if exact == 1 else 'ies'} filled, "
            f"{close} offered as fuzzy",
            file=out,
        )


def _stats_table(rows: list[dict[str, object]], out: TextIO) -> None:
    header = (
        "lang", "domain", "translated", "fuzzy", "untranslated", "reviewed", "words",
        "reviewed words", "percent",
    )  # fmt: skip
    cells = [
        (
            str(r["lang"]),
            str(r["domain"]),
            str(r["translated"]),
            str(r["fuzzy"]),
            str(r["untranslated"]),
            str(r["reviewed"]),
            f"{r['translated_words']}/{r['words']}",
            f"{r['reviewed_words']}/{r['words']}",
            f"{r['percent']:.1f}%",
        )
        for r in rows
    ]
    widths = [
        max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(header)
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.ljust(w) if i < 2 else v.rjust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        )

    print(line(header), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        print(line(row), file=out)


def _print_findings(findings: list[Finding], out: TextIO) -> None:
    current: tuple[str, str] | None = None
    for finding in sorted(findings, key=lambda f: (f.lang, f.path, f.line, f.check)):
        if (finding.lang, finding.path) != current:
            current = (finding.lang, finding.path)
            print(f"\n{finding.lang}: {finding.path}", file=out)
        msgid = " ".join(finding.msgid.split())
        msgid = msgid if len(msgid) <= 60 else msgid[:59] + "…"
        print(
            f"  {finding.location}: {finding.severity}: [{finding.check}] {finding.message}",
            file=out,
        )
        print(f"      msgid: {msgid}", file=out)
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    print(f"\n{errors} error(s), {warnings} warning(s)", file=out)


def _check(config: Config, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pipeline import workspace

    findings = workspace.check(config, args.lang)
    for finding in findings:
        if finding.check == "unreadable":
            print(f"pipeline: error: {finding.location}: {finding.message}", file=err)
    if args.json:
        json.dump([f.as_dict() for f in findings], out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        _print_findings(findings, out)
    if any(f.check == "unreadable" for f in findings):
        return 2
    return 1 if any(f.severity == "error" for f in findings) else 0


def _build(config: Config, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pathlib import Path

    from pipeline.collector import space_out_collections
    from pipeline.engine import import_ahead, renders_here

    space_out_collections()  # before the build imports and parses anything
    if renders_here(args.jobs, args.executor) and (args.force or not config.cache_path.exists()):
        import_ahead()  # everything will be rendered here: WeasyPrint is needed, start now
    from pipeline.build import BuildOptions, build
    from pipeline.build.shards import parse_shard

    languages = tuple(dict.fromkeys(_build_language(lang) for lang in args.lang or ()))
    options = BuildOptions(
        languages,
        args.pseudo,
        args.force,
        args.jobs,
        args.wait,
        executor=args.executor,
        scheduler=args.scheduler,
        shard=parse_shard(args.shard) if args.shard else None,
        merge=tuple(Path(folder) for folder in args.merge or ()),
    )
    report = build(config, options, progress=lambda line: print(line, file=err, flush=True))
    for warning in report.warnings:
        print(f"pipeline: warning: {warning}", file=err)
    for error in report.unreadable:
        print(f"pipeline: error: {error} (its published output is left as it was)", file=err)
    for _, error in report.failed:
        print(f"pipeline: error: {error}", file=err)
    for decision in report.refused:
        print(
            f"not published: {decision.lang}/{decision.domain}: " + "; ".join(decision.reasons),
            file=out,
        )
    for removed in report.removed:
        print(f"removed stale {removed}", file=out)
    built = len(report.built)
    skipped = len(report.skipped)
    print(
        f"built {built} file(s), {skipped} up to date, {len(report.refused)} not published, "
        f"{len(report.failed)} failed in {report.seconds:.1f} s",
        file=out,
    )
    return report.exit_code


def _serve(config: Config, args: argparse.Namespace, err: TextIO) -> int:
    from pipeline.serve import serve

    languages = tuple(dict.fromkeys(_build_language(lang) for lang in args.lang or ()))

    def say(line: str) -> None:
        print(line, file=err, flush=True)

    return serve(config, languages, host=args.host, port=args.port, say=say)


def _build_language(lang: str) -> str:
    from pipeline.project import PSEUDO_TAGS, language_tag, to_bcp47

    tag = to_bcp47(lang)
    return tag if tag in PSEUDO_TAGS else language_tag(lang)


def _merge_po(args: argparse.Namespace, err: TextIO) -> int:
    from pathlib import Path

    from pipeline.pomerge import merge_po

    name = args.path or args.ours
    paths = [Path(args.base), Path(args.ours), Path(args.theirs)]
    base, ours, theirs = (path.read_bytes() for path in paths)
    result = merge_po(base, ours, theirs, name=name)
    paths[1].write_bytes(result.data)
    for conflict in result.conflicts:
        print(f"pipeline: conflict: {name}: both sides changed {conflict!r}", file=err)
    return 1 if result.conflicts else 0


def main(
    argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = _parser().parse_args(argv)
    try:
        if args.verb == "merge-po":
            return _merge_po(args, err)
        config = load_config()
        if args.verb == "build":
            return _build(config, args, out, err)
        if args.verb == "serve":
            return _serve(config, args, err)
        from pipeline import workspace

        if args.verb == "extract":
            _print_changes(workspace.extract(config, jobs=args.jobs), out)
        elif args.verb == "init":
            _print_changes(workspace.init(config, args.lang), out)
        elif args.verb == "update":
            changes = workspace.update(config, args.lang, jobs=args.jobs, memory=args.memory)
            _print_changes(changes, out)
        elif args.verb == "review":
            for change in workspace.review(
                config, args.lang, args.reviewer, article=args.article, day=args.date
            ):
                print(
                    f"{change.path}: {change.signed} newly signed off; {change.reviewed} of "
                    f"{change.translated} translated entries reviewed",
                    file=out,
                )
        elif args.verb == "stats":
            rows = [s.as_dict() for s in workspace.stats(config, args.lang)]
            if args.json:
                json.dump(rows, out, ensure_ascii=False, indent=2)
                out.write("\n")
            else:
                _stats_table(rows, out)
        elif args.verb == "check":
            return _check(config, args, out, err)
    except PipelineError as exc:
        print(f"pipeline: error: {exc}", file=err)
        return exc.exit_code
    except OSError as exc:  # a file the pipeline could not read or write, named
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"pipeline: error: {where}{exc.strerror or exc}", file=err)
        return 2
    except KeyboardInterrupt:
        print("pipeline: interrupted", file=err)
        return 130
    return 0
