"""``senox run --scheduler``: state calls and cohorts on a dask cluster give the local outputs."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from distributed import LocalCluster
from typer.testing import CliRunner

import senox._dask
from senox.cli import app
from tests.test_backed_run import TABLES, generated_counts_h5ad

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()
LOCAL_CLUSTER = {
    "n_workers": 2,
    "threads_per_worker": 1,
    "processes": False,
    "dashboard_address": ":0",  # any free port: 8787 may be taken
}
OPTIONS = ("--reference", "condition=control", "--groupby", "condition", "--cohort", "4")


def run(path: Path, out: Path, *extra: str) -> None:
    result = runner.invoke(app, ["run", str(path), "--out", str(out), *OPTIONS, *extra])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("how", ["--backed", "--in-memory"])
def test_a_cluster_run_writes_the_local_tables(tmp_path: Path, how: str) -> None:
    path = generated_counts_h5ad(tmp_path / "generated.h5ad", n_obs=900, seed=2)
    run(path, tmp_path / "local", how)
    with LocalCluster(**LOCAL_CLUSTER) as cluster:
        run(path, tmp_path / "cluster", how, "--scheduler", cluster.scheduler_address)
        ran_on_cluster = set(cluster.scheduler.task_prefixes)
    assert "block_pass" in ran_on_cluster  # the state calls' passes (with scoring) ran there
    assert "solve" in ran_on_cluster  # and so did the virtual cohorts
    if how == "--backed":
        assert any(p.startswith("file_rows") for p in ran_on_cluster)  # workers read the file
    for name in TABLES:
        local = pd.read_csv(tmp_path / "local" / name, sep="\t")
        cluster_table = pd.read_csv(tmp_path / "cluster" / name, sep="\t")
        pd.testing.assert_frame_equal(local, cluster_table, check_exact=False, rtol=1e-9, obj=name)


def test_an_unreachable_scheduler_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(senox._dask, "CONNECT_TIMEOUT_S", 1)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    path = tmp_path / "never_read.h5ad"  # does not exist: the address is checked first
    path.write_bytes(b"")
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--scheduler", address])
    assert result.exit_code != 0
    assert f"--scheduler '{address}': no dask scheduler answered within 1 s" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_a_malformed_scheduler_address_is_refused_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--out", str(tmp_path / "out"), "--scheduler", "nohost"])
    assert result.exit_code != 0
    assert result.output.strip() == (
        "error: --scheduler 'nohost': not a dask scheduler address; give tcp://HOST:PORT, "
        "HOST:PORT, tls://HOST:PORT, ucx://HOST:PORT or inproc://IP/PID/N"
    )
    assert not (tmp_path / "out").exists()
