"""The runner: chunking, backed files, Dask and a distributed scheduler, write-back and errors."""

from __future__ import annotations

import socket
import time

import anndata as ad
import dask.array as da
import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster
from scipy import sparse

import senox._dask
from senox._errors import InputError
from senox.score import score_matrix, score_programs
from tests.score.conftest import scored


@pytest.fixture(scope="module", params=["rank", "mean"])
def method(request):
    return request.param


@pytest.fixture(scope="module")
def reference(toy, signatures, method):
    return scored(toy, signatures, method=method).obsm["senox_scores"]


def test_chunk_size_does_not_change_scores(toy, signatures, method, reference):
    result = scored(toy, signatures, method=method, chunk_size=7)
    pd.testing.assert_frame_equal(result.obsm["senox_scores"], reference)


def test_backed_h5ad_scores_like_in_memory(toy, signatures, method, reference, tmp_path):
    path = tmp_path / "toy.h5ad"
    toy.write_h5ad(path)
    backed = ad.read_h5ad(path, backed="r")
    score_programs(backed, signatures, method=method, chunk_size=100)
    pd.testing.assert_frame_equal(backed.obsm["senox_scores"], reference)
    backed.file.close()


@pytest.mark.parametrize("dense", [False, True], ids=["dask-of-sparse", "dask-dense"])
def test_dask_arrays_score_like_in_memory(toy, signatures, method, reference, dense):
    matrix = toy.X.toarray() if dense else toy.X
    chunks = (128, 500) if dense else (128, -1)
    scores, _ = score_matrix(
        da.from_array(matrix, chunks=chunks, asarray=False), toy.var_names,
        _programs(signatures), method=method,
    )  # fmt: skip
    np.testing.assert_allclose(scores.to_numpy(), reference.to_numpy(), atol=1e-12)


#: A small cluster in this process.
LOCAL_CLUSTER = {
    "n_workers": 1,
    "threads_per_worker": 1,
    "processes": False,
    "dashboard_address": ":0",  # any free port: 8787 may be taken
}


def test_a_distributed_scheduler_runs_the_same_scores(toy, signatures, reference, method):
    with LocalCluster(**LOCAL_CLUSTER) as cluster:
        scores, _ = score_matrix(
            da.from_array(toy.X, chunks=(200, -1), asarray=False), toy.var_names,
            _programs(signatures), method=method, scheduler=cluster.scheduler_address,
        )  # fmt: skip
        ran_on_cluster = set(cluster.scheduler.task_prefixes)
    np.testing.assert_allclose(scores.to_numpy(), reference.to_numpy(), atol=1e-12)
    assert "block_partial" in ran_on_cluster


def test_a_scheduler_also_runs_data_in_memory(toy, signatures, reference, method):
    """Before, a scheduler was ignored unless X was a Dask array (so always from the CLI)."""
    with LocalCluster(**LOCAL_CLUSTER) as cluster:
        scores, _ = score_matrix(
            toy.X, toy.var_names, _programs(signatures), method=method,
            scheduler=cluster.scheduler_address, chunk_size=256,
        )  # fmt: skip
        ran_on_cluster = set(cluster.scheduler.task_prefixes)
    np.testing.assert_allclose(scores.to_numpy(), reference.to_numpy(), atol=1e-12)
    assert "block_partial" in ran_on_cluster


@pytest.mark.parametrize(
    "address", ["not a url", "tcp://host:port", "localhost", "http://localhost:8786", "tcp://:1",
                "tcp://localhost:99999", "inproc://nothing"],
)  # fmt: skip
def test_a_malformed_scheduler_address_is_refused(toy, signatures, address):
    with pytest.raises(InputError) as error:
        score_matrix(toy.X, toy.var_names, _programs(signatures), scheduler=address)
    assert str(error.value) == (
        f"--scheduler {address!r}: not a dask scheduler address; give tcp://HOST:PORT, "
        "HOST:PORT, tls://HOST:PORT, ucx://HOST:PORT or inproc://IP/PID/N"
    )


def test_an_unknown_scheduler_host_is_refused(toy, signatures):
    with pytest.raises(InputError, match=r"unknown host 'no-such-host.invalid'; check"):
        score_matrix(
            toy.X, toy.var_names, _programs(signatures), scheduler="no-such-host.invalid:8786"
        )


def test_a_scheduler_that_does_not_answer_is_refused_after_a_short_wait(
    toy, signatures, monkeypatch
):
    monkeypatch.setattr(senox._dask, "CONNECT_TIMEOUT_S", 1)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    started = time.monotonic()
    with pytest.raises(InputError) as error:
        score_matrix(toy.X, toy.var_names, _programs(signatures), scheduler=address)
    assert time.monotonic() - started < 10
    assert str(error.value) == (
        f"--scheduler '{address}': no dask scheduler answered within 1 s; start it, or check "
        "the address and port"
    )


def test_a_scheduler_cannot_take_backed_data(toy, signatures, tmp_path):
    path = tmp_path / "toy.h5ad"
    toy.write_h5ad(path)
    backed = ad.read_h5ad(path, backed="r")
    with LocalCluster(**LOCAL_CLUSTER) as cluster, pytest.raises(InputError, match="drop --backed"):
        score_programs(backed, signatures, scheduler=cluster.scheduler_address)
    backed.file.close()


@pytest.mark.parametrize(
    "kind",
    ["sparse", "sparse-no-entries", "dense", "dask"],
)
def test_an_all_zero_matrix_is_refused(toy, signatures, method, kind):
    zeros = sparse.csr_matrix(toy.X.shape, dtype=np.float32)
    matrix = {
        "sparse": sparse.csr_matrix((np.zeros(3), ([0, 1, 2], [0, 1, 2])), shape=toy.X.shape),
        "sparse-no-entries": zeros,
        "dense": zeros.toarray(),
        "dask": da.from_array(zeros, chunks=(128, -1), asarray=False),
    }[kind]
    with pytest.raises(InputError, match=r"no expression at all \(every value is 0\)"):
        score_matrix(matrix, toy.var_names, _programs(signatures), method=method)


def _programs(signatures):
    from senox.score._run import as_programs

    return as_programs(signatures)


def test_write_back_follows_scverse_conventions(toy, signatures):
    adata = toy.copy()
    assert score_programs(adata, signatures) is None
    assert list(adata.obsm["senox_scores"].columns) == list(signatures)
    np.testing.assert_array_equal(adata.obs["senox_planted"], adata.obsm["senox_scores"]["planted"])
    record = adata.uns["senox"]["scores"]
    assert record["params"]["method"] == "rank"
    assert record["coverage"]["missing"][1] == "NOT_IN_DATA"
    untouched = toy.copy()
    copy = scored(untouched, signatures, key_added="x")
    assert "x_scores" in copy.obsm
    assert "x_scores" not in untouched.obsm


def test_planted_program_tracks_activity(toy, signatures):
    result = scored(toy, signatures)
    assert np.corrcoef(result.obs["senox_planted"], toy.obs["activity"])[0, 1] > 0.6
    assert abs(np.corrcoef(result.obs["senox_random"], toy.obs["activity"])[0, 1]) < 0.3


def test_catalogue_programs_are_the_default(toy):
    adata = toy.copy()
    adata.var_names = ["CDKN1A", "MKI67", *adata.var_names[2:]]
    score_programs(adata)
    assert "senescence" in adata.obsm["senox_scores"].columns


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            lambda a: a.X.data.__setitem__(0, -1.0), "negative or non-finite", id="negative"
        ),
        pytest.param(lambda a: a.X.data.__setitem__(0, np.nan), "negative or non-finite", id="nan"),
    ],
)
def test_bad_values_are_refused(toy, signatures, change, message):
    adata = toy.copy()
    change(adata)
    with pytest.raises(InputError, match=message):
        score_programs(adata, signatures)


def test_no_overlap_is_refused(toy):
    with pytest.raises(InputError, match="no gene of any program"):
        score_programs(toy, {"p": ["CDKN1A", "MKI67"]})


def test_unknown_method_and_program_are_refused(toy, signatures):
    with pytest.raises(InputError, match="unknown scoring method"):
        score_programs(toy, signatures, method="aucell")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown program"):
        score_programs(toy, ["no_such_program"])


def test_empty_and_mismatched_matrices_are_refused(toy, signatures):
    from senox.score._run import as_programs

    with pytest.raises(InputError, match="empty"):
        score_matrix(toy.X[:0], toy.var_names, as_programs(signatures))
    with pytest.raises(InputError, match="columns but"):
        score_matrix(toy.X, toy.var_names[:-1], as_programs(signatures))
