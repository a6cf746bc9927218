"""Scale benchmarks: a Dask cluster against the process pool, and cold builds as projects grow.

The Dask rows start one real ``distributed.LocalCluster`` (two worker
processes, one thread each) in this process and time ``pipeline build
--executor dask`` (a subprocess, as every other build here) against
``--jobs 2`` on the same 24-brochure project, alternating which goes first.
The cluster's workers are started once, before timing, as a cluster's are:
they have imported WeasyPrint already, while the pool starts its processes
in every build.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    BENCH_DIR,
    PYTHON,
    BenchError,
    Row,
    Series,
    Target,
    log,
    ratio_row,
    run,
    run_pipeline,
    time_row,
)
from benchmarks.projects import make_multi_article_project, parse_build

S_DASK = "7. Dask cluster against the process pool"
S_CURVE = "8. Scaling: cold build as the project grows"
DASK_OVERHEAD = Target("<=", 1.15)
CURVE = (1, 4, 16, 64)
"""Copies of the article: x 6 languages = 6, 24, 96 and 384 brochures."""


def _cold(project: Path, brochures: int, *args: str) -> float:
    result = run_pipeline(project, "build", "--force", *args)
    outcome = parse_build(result.stdout, result.stderr)
    if outcome.built != 2 * brochures:
        raise BenchError(
            f"build {' '.join(args)} built {outcome.built} files, expected {2 * brochures}:\n"
            f"{result.stdout}\n{result.stderr[-2000:]}"
        )
    return result.seconds


def _brochures(project: Path) -> int:
    languages = 1 + sum(1 for p in (project / "locale").iterdir() if (p / "LC_MESSAGES").is_dir())
    return languages * len(list((project / "source").glob("*.md")))


def _worker_peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def dask_rows(work: Path, frozen: Path, runs: int) -> list[Row]:
    """The 24-brochure build through a 2-worker LocalCluster against ``--jobs 2``."""
    from distributed import Client, LocalCluster

    template = make_multi_article_project(work / "dask-template", 4)
    brochures = _brochures(template)
    pool, dask = Series(), Series()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        address = cluster.scheduler_address
        log(f"dask: {brochures} brochures, cluster at {address}, {runs} round(s)")
        warm = Path(shutil.copytree(template, work / "dask-warm"))
        _cold(warm, brochures, "--executor", "dask", "--scheduler", address)
        for index in range(runs):
            here = work / f"dask-{index}"
            steps = [
                lambda here=here: pool.add(
                    _cold(Path(shutil.copytree(template, here / "pool")), brochures, "--jobs", "2")
                ),
                lambda here=here: dask.add(
                    _cold(
                        Path(shutil.copytree(template, here / "dask")),
                        brochures,
                        "--executor",
                        "dask",
                        "--scheduler",
                        address,
                    )
                ),
            ]
            for step in steps if index % 2 == 0 else reversed(steps):
                step()
            shutil.rmtree(here)
        coordinator = _coordinator_peak(work, template, address)
        workers: dict[str, int] = client.run(_worker_peak_kib)
    worker_mb = max(workers.values()) / 1024
    return [
        time_row(S_DASK, f"cold build --jobs 2 (process pool), {brochures} brochures", pool),
        ratio_row(S_DASK, f"cold build --executor dask, 2-worker LocalCluster, {brochures} "
                  "brochures", dask, pool, "dask / pool", DASK_OVERHEAD,
                  note="workers started before timing (as a cluster's are); same machine"),
        Row(S_DASK, "max RSS of the coordinator (pipeline build --executor dask)", None, 1,
            value=f"{coordinator:.0f} MB"),
        Row(S_DASK, "max RSS of the largest Dask worker, after every build above", None, 1,
            value=f"{worker_mb:.0f} MB"),
    ]  # fmt: skip


def _coordinator_peak(work: Path, template: Path, address: str) -> float:
    project = Path(shutil.copytree(template, work / "dask-memory"))
    result_file = project / "rss.json"
    run(
        [PYTHON, "-P", str(BENCH_DIR / "_rss_wrapper.py"), result_file, "build", "--force",
         "--executor", "dask", "--scheduler", address],
        project,
    )  # fmt: skip
    data: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    shutil.rmtree(project)
    return float(data["main_kib"]) / 1024


def curve_rows(work: Path, copies: tuple[int, ...] = CURVE) -> list[Row]:
    """One cold ``--jobs 2`` build per size: is the time per brochure flat?"""
    rows: list[Row] = []
    for count in copies:
        template = make_multi_article_project(work / f"curve-{count}", count)
        brochures = _brochures(template)
        started = time.perf_counter()
        seconds = _cold(template, brochures, "--jobs", "2")
        log(f"curve: {brochures} brochures in {seconds:.1f} s "
            f"({time.perf_counter() - started:.0f} s with the copy)")  # fmt: skip
        name = f"cold build --jobs 2, {brochures} brochures"
        note = f"{seconds / brochures:.3f} s per brochure"
        rows.append(time_row(S_CURVE, name, Series([seconds]), note=note))
        shutil.rmtree(template)
    return rows
