"""The results as Markdown tables: printed, and written into ``benchmarks/README.md`` on request."""

from __future__ import annotations

import platform
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from benchmarks.common import BENCH_DIR, Row, cores

README = BENCH_DIR / "README.md"
START = "<!-- results:start -->"
END = "<!-- results:end -->"
HEADER = ("measurement", "median", "runs", "ratio", "target", "result", "notes")


@dataclass(frozen=True)
class Machine:
    date: str
    cores: int
    cpu: str
    python: str
    weasyprint: str
    pipeline: str
    tools: str
    rounds: str
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"- date: {self.date}; whole suite {self.seconds / 60:.1f} min; {self.rounds}",
            f"- machine: {self.cores} cores (`os.cpu_count()`), {self.cpu}",
            f"- Python {self.python}, WeasyPrint {self.weasyprint}, pipeline {self.pipeline}"
            + (f", {self.tools}" if self.tools else ""),
        ]


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or platform.machine()
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else platform.machine()


def machine(date: str, tools: str, rounds: str, seconds: float) -> Machine:
    return Machine(
        date,
        cores(),
        _cpu(),
        sys.version.split()[0],
        _version("weasyprint"),
        _version("pipeline"),
        tools,
        rounds,
        seconds,
    )


def _cells(row: Row) -> tuple[str, ...]:
    if row.seconds is not None:
        seconds = f"{row.seconds:.3f} s" if row.seconds < 1 else f"{row.seconds:.2f} s"
    else:
        seconds = row.value
    if row.ratio is None:
        ratio = ""
    elif row.percent:
        ratio = f"{row.ratio:.1%} {row.ratio_label}"
    else:
        ratio = f"{row.ratio:.2f} ({row.ratio_label})" if row.ratio_label else f"{row.ratio:.2f}"
    notes = "; ".join(
        part for part in (f"range {row.spread}" if row.spread else "", row.note) if part
    )
    target = ""
    if row.target is not None:
        target = f"{row.target.op} {row.target.value:.0%}" if row.percent else str(row.target)
    return (
        row.name.replace("|", "\\|"),
        seconds,
        str(row.runs) if row.runs else "",
        ratio,
        target,
        row.verdict,
        notes.replace("|", "\\|"),
    )


def tables(rows: list[Row]) -> str:
    """One Markdown table per section."""
    out: list[str] = []
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            if out:
                out.append("")
            out += [f"#### {section}", "", "| " + " | ".join(HEADER) + " |"]
            out.append("|" + "|".join(["---", "---:", "---:", "---:", "---", "---", "---"]) + "|")
        out.append("| " + " | ".join(_cells(row)) + " |")
    return "\n".join(out)


def summary(rows: list[Row]) -> str:
    judged = [row for row in rows if row.verdict]
    passed = sum(1 for row in judged if row.verdict == "PASS")
    failed = [row.name.strip() for row in judged if row.verdict == "FAIL"]
    text = f"{passed} of {len(judged)} targets met."
    if failed:
        text += " Missed: " + "; ".join(failed) + "."
    return text


def render(rows: list[Row], host: Machine) -> str:
    return "\n".join([*host.lines(), "", tables(rows), "", summary(rows)])


def write_readme(results: str, readme: Path = README) -> None:
    """Replace what stands between the results markers of the README."""
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    block = f"{START}\n{results}\n{END}"
    if START in text and END in text:
        before = text[: text.index(START)]
        after = text[text.index(END) + len(END) :]
        text = before + block + after
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + "## Results\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")
