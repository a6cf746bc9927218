"""Builds past one process: a Dask cluster, shards merged, each byte for byte a local build.

One real ``distributed.LocalCluster`` (two worker processes) serves the module;
the local build every other build is compared with is made once.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, LocalCluster
from helpers import SLUG, cli, copy_project

from pipeline.build import BuildOptions, BuildReport, build
from pipeline.build.shards import SHARD_MANIFEST, split
from pipeline.errors import ConfigError, OutputError
from pipeline.project import load_config

TARGETS = 12
"""Six languages of the sample article, a page and a brochure each."""


def run_build(root: Path, progress: Any = None, **options: Any) -> BuildReport:
    config = load_config(root)
    if progress is None:
        return build(config, BuildOptions(**options))
    return build(config, BuildOptions(**options), progress)


def published(folder: Path) -> dict[str, bytes]:
    """Every file of a published folder, by its path in it."""
    return {
        file.relative_to(folder).as_posix(): file.read_bytes()
        for file in sorted(folder.rglob("*"))
        if file.is_file()
    }


def recorded(root: Path) -> dict[str, tuple[str, str, int, list[str]]]:
    """The manifest's record of each file, without the times of day it was written."""
    data = json.loads((root / ".pipeline-cache" / "manifest.json").read_text("utf-8"))
    return {
        path: (entry["key"], entry["sha"], entry["size"], entry.get("uses", []))
        for path, entry in data["files"].items()
    }


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built by the local process pool: what every other build must equal."""
    root = copy_project(tmp_path_factory.mktemp("local") / "project")
    report = run_build(root, jobs=2)
    assert report.ok and len(report.built) == TARGETS
    return root


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as running:
        yield running


@pytest.fixture(scope="module")
def client(cluster: LocalCluster) -> Iterator[Client]:
    with Client(cluster) as connected:
        yield connected


def test_a_dask_build_publishes_what_a_local_build_does(
    local: Path, cluster: LocalCluster, tmp_path: Path
) -> None:
    root = copy_project(tmp_path / "project")
    report = run_build(root, executor="dask", scheduler=cluster.scheduler_address)
    assert report.ok and len(report.built) == TARGETS
    assert published(root / "output") == published(local / "output")
    assert recorded(root) == recorded(local)


def test_the_scheduler_address_may_come_from_the_environment(
    local: Path, cluster: LocalCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_project(tmp_path / "project")
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.scheduler_address)
    report = run_build(root, executor="dask", languages=("fr",))
    assert report.ok
    built = sorted(target.path for target, _ in report.built)
    assert built == [f"fr/{SLUG}.html", f"fr/{SLUG}.pdf"]
    # The page lists only the languages published so far; the brochure is the same.
    name = f"fr/{SLUG}.pdf"
    assert (root / "output" / name).read_bytes() == (local / "output" / name).read_bytes()


def test_a_worker_killed_mid_job_costs_time_not_output(
    local: Path, cluster: LocalCluster, client: Client, tmp_path: Path
) -> None:
    """SIGKILL a worker while it renders: its job runs again elsewhere, nothing partial."""
    root = copy_project(tmp_path / "project")
    pids: dict[str, int] = client.run(os.getpid)
    killed: list[tuple[int, list[str]]] = []

    def progress(line: str) -> None:
        if killed or not line.startswith("[1/"):
            return
        busy = {worker: keys for worker, keys in client.processing().items() if keys}
        worker = sorted(busy)[0]
        os.kill(pids[worker], signal.SIGKILL)
        killed.append((pids[worker], [str(key) for key in busy[worker]]))

    report = run_build(root, progress, executor="dask", scheduler=cluster.scheduler_address)
    assert killed, "no worker was killed"
    pid, jobs = killed[0]
    assert jobs, "the killed worker was rendering nothing"
    assert report.ok and len(report.built) == TARGETS and not report.failed
    assert published(root / "output") == published(local / "output")
    assert recorded(root) == recorded(local)
    client.wait_for_workers(2, timeout=60)  # the nanny starts a new one
    assert pid not in client.run(os.getpid).values()


def test_a_worker_with_other_fonts_is_refused_by_name(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".fonts").mkdir(parents=True)
    (home / ".fonts" / "Extra.ttf").write_bytes(b"a font this machine's builds never saw")
    root = copy_project(tmp_path / "project")
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
        env={"HOME": str(home)},
    ) as other:  # fmt: skip
        worker = next(iter(other.scheduler_info["workers"]))
        with pytest.raises(ConfigError) as refused:
            run_build(root, executor="dask", scheduler=other.scheduler_address)
    assert f"Dask worker {worker} has other fonts than this machine" in str(refused.value)
    assert not list((root / "output").rglob("*.pdf"))


def test_dask_without_a_scheduler_says_how_to_give_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_project(tmp_path / "project")
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    monkeypatch.chdir(root)
    status, _, err = cli("build", "--executor", "dask")
    assert status == 2
    assert err.strip() == (
        "pipeline: error: --executor dask needs the scheduler's address: "
        "--scheduler tcp://HOST:PORT or DASK_SCHEDULER_ADDRESS"
    )


# --- shards ---------------------------------------------------------------------------------


def test_the_split_is_balanced_and_covers_every_edition_once() -> None:
    costs = {(f"a{i}", lang): 100 * (i + 1) for i in range(4) for lang in ("en", "fr", "ar")}
    parts = split(costs, 3)
    assert sorted(e for part in parts for e in part) == sorted(costs)
    loads = [sum(costs[e] for e in part) for part in parts]
    assert max(loads) - min(loads) <= 100
    assert split(dict(reversed(list(costs.items()))), 3) == parts  # the order does not matter


def build_shards(root: Path, count: int) -> list[Path]:
    folders = []
    for index in range(1, count + 1):
        status, _, err = cli("build", "--jobs", "1", "--shard", f"{index}/{count}")
        assert status == 0, err
        folders.append(root / f"output-shard-{index}-of-{count}")
    return folders


def test_three_shards_merged_publish_what_one_build_does(
    local: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    folders = build_shards(root, 3)
    parts = [published(folder) for folder in folders]
    targets = [{p for p in part if p.endswith((".pdf", ".html"))} for part in parts]
    assert all(len(t) == 4 for t in targets)  # two editions, a page and a brochure each
    assert not targets[0] & targets[1] and not targets[1] & targets[2]
    assert not any("index.html" in part for part in parts)
    status, out, err = cli("build", "--merge", *(str(f) for f in folders))
    assert status == 0, err
    assert "merged 14 file(s) from 3 shard(s)" in err
    assert f"built 0 file(s), {TARGETS} up to date" in out
    assert published(root / "output") == published(local / "output")
    assert recorded(root) == recorded(local)


def test_a_merge_refuses_a_file_changed_after_its_shard_built_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_project(tmp_path / "project")
    monkeypatch.chdir(root)
    folders = build_shards(root, 2)
    shard = json.loads((folders[1] / SHARD_MANIFEST).read_text("utf-8"))
    name = next(path for path in shard["files"] if path.endswith(".pdf"))
    (folders[1] / name).write_bytes((folders[1] / name).read_bytes() + b"%")
    status, _, err = cli("build", "--merge", str(folders[0]))
    assert status == 2
    assert "shards 2/2 are missing" in err
    with pytest.raises(OutputError) as refused:
        run_build(root, merge=tuple(folders))
    assert str(refused.value) == (
        f"{folders[1].relative_to(root) / name}: not the file its shard published "
        "(its hash differs)"
    )
    assert not (root / "output" / "index.html").exists()
