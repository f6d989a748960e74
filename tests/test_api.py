"""The scverse-shaped API: ``import senox as sx``; sx.pp, sx.tl, sx.datasets on in-memory data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

import senox as sx
from senox._errors import InputError
from senox._palette import STATE_COLORS
from senox.states import STATE_NAMES
from tests.states.test_states import GROUPS, make_groups


def _run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def test_import_senox_then_submodules_by_attribute():
    # The README's first example: `import senox; senox.io.read(...)`, in a fresh interpreter
    # (inside pytest other tests have imported the submodules already).
    names = ["io.read", "score.score_programs", "states.call_states", "kb.search", "model",
             "pp.to_human", "tl.simulate", "pl.states", "datasets.chan2024", "run"]  # fmt: skip
    code = "import senox\n" + "".join(f"senox.{name}\n" for name in names) + "print('ok')"
    assert _run_python(code) == "ok"


def test_import_senox_imports_no_subpackage_or_heavy_library():
    code = (
        "import sys, senox\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'senox', 'anndata', 'numpy', 'pandas', 'numba', 'matplotlib'}))"
    )
    assert _run_python(code) == "['senox', 'senox._defaults', 'senox._errors']"


def test_version_comes_from_the_installed_metadata():
    from importlib.metadata import version

    assert sx.__version__ == version("senox")
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = sx.nope


def test_tl_exposes_the_verb_functions():
    from senox.score import score_programs
    from senox.states import call_states
    from senox.vulnerabilities import find_vulnerabilities

    assert sx.tl.score_programs is score_programs
    assert sx.tl.call_states is call_states
    assert sx.tl.vulnerabilities is find_vulnerabilities


# --------------------------------------------------------------------------- sx.pp.to_human


def _matrix_pair(names: list[str], seed: int = 0) -> ad.AnnData:
    """Counts in ``layers["counts"]``, log-normalised ``X``, as scanpy leaves them."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(3.0, size=(6, len(names))).astype(np.float32)
    log = np.log1p(counts / counts.sum(1, keepdims=True) * 1e4).astype(np.float32)
    return ad.AnnData(
        sparse.csr_matrix(log),
        var=pd.DataFrame({"highly_variable": np.arange(len(names)) % 2 == 0}, index=names),
        layers={"counts": sparse.csr_matrix(counts)},
    )


def test_to_human_merges_counts_by_sum_and_log_values_by_mean():
    # IL8 is CXCL8's previous HGNC symbol: both columns become one CXCL8 column.
    adata = _matrix_pair(["CXCL8", "TP53", "IL8", "CDKN1A"])
    x, counts = adata.X.toarray(), adata.layers["counts"].toarray()
    mapped = sx.pp.to_human(adata, copy=True)
    assert mapped is not None
    assert mapped.var_names.tolist() == ["CXCL8", "TP53", "CDKN1A"]
    np.testing.assert_allclose(mapped.layers["counts"].toarray()[:, 0], counts[:, 0] + counts[:, 2])
    np.testing.assert_allclose(mapped.X.toarray()[:, 0], (x[:, 0] + x[:, 2]) / 2, rtol=1e-6)
    np.testing.assert_array_equal(mapped.X.toarray()[:, 1:], x[:, [1, 3]])
    assert mapped.var.loc["CXCL8", "original_id"] == "CXCL8|IL8"
    assert mapped.var.loc["CXCL8", "mapping"] == "approved|previous symbol"
    assert mapped.var["highly_variable"].tolist() == [True, False, False]
    assert mapped.uns["senox"]["to_human"]["n_aggregated"] == 1
    assert adata.n_vars == 4  # copy=True left the input alone


def test_to_human_in_place_on_mouse_symbols():
    adata = _matrix_pair(["Cdkn2a", "Cxcl1", "Trp53", "Gm12345"])
    assert sx.pp.to_human(adata) is None
    assert adata.var_names.tolist() == ["CDKN2A", "CXCL1", "TP53", "Gm12345"]
    assert adata.uns["senox"]["to_human"]["species"] == "mouse"
    assert adata.var["mapping"].tolist() == ["ortholog"] * 3 + ["unmapped"]


def test_to_human_through_a_users_ortholog_table():
    rat = ["ENSRNOG00000010001", "ENSRNOG00000010002", "ENSRNOG00000010003"]
    adata = _matrix_pair(rat)
    with pytest.raises(InputError, match=r"^adata\.var_names: .*rat Ensembl IDs.*orthologs"):
        sx.pp.to_human(adata)
    table = pd.DataFrame({"rat_gene": rat[:2], "human_symbol": ["CDKN1A", "TP53"]})
    sx.pp.to_human(adata, orthologs=table)
    assert adata.var_names.tolist() == ["CDKN1A", "TP53", rat[2]]


def test_to_human_refuses_names_that_are_no_genes():
    adata = _matrix_pair([f"XQZ{i}" for i in range(38)] + ["TP53", "CDKN1A"])
    with pytest.raises(
        InputError, match=r"^adata\.var_names: .* programs have under 20%.*species="
    ):
        sx.pp.to_human(adata)
    assert adata.var_names[0] == "XQZ0"  # nothing changed


def test_to_human_refuses_backed_data(tmp_path: Path):
    _matrix_pair(["TP53", "CDKN1A"]).write_h5ad(tmp_path / "x.h5ad")
    backed = ad.read_h5ad(tmp_path / "x.h5ad", backed="r")
    try:
        with pytest.raises(InputError, match="backed on disk"):
            sx.pp.to_human(backed)
    finally:
        backed.file.close()


# --------------------------------------------------------------------------- layer=, colours


def test_bad_layer_is_a_one_line_error_listing_the_layers():
    adata = _matrix_pair(["TP53", "CDKN1A", "MKI67"])
    for call in (sx.tl.score_programs, sx.tl.call_states):
        with pytest.raises(InputError, match=r"^layer='raw': .*\(layers: 'counts'\)") as error:
            call(adata, layer="raw")
        assert "\n" not in str(error.value)


@pytest.fixture(scope="module")
def planted() -> ad.AnnData:
    """Planted states (tests/states), log-normalised X and the counts behind it in a layer."""
    adata = make_groups(n_per_group=40)
    x = adata.X.toarray()
    adata.layers["counts"] = sparse.csr_matrix(np.round(np.expm1(x)).astype(np.float32))
    return adata


@pytest.mark.parametrize("layer", [None, "counts"])
def test_call_states_reads_the_layer_and_writes_colours(planted: ad.AnnData, layer: str | None):
    called = sx.tl.call_states(planted, layer=layer, copy=True)
    assert called is not None
    assert called.uns["senox"]["scores"]["params"]["layer"] == layer
    state = called.obs["senox_state"]
    assert list(state.cat.categories) == list(STATE_NAMES)
    assert called.uns["senox_state_colors"] == [STATE_COLORS[s] for s in STATE_NAMES]
    # Most of each planted group is called as what it is, from either matrix.
    for group in GROUPS:
        assert (state[called.obs["truth"] == group] == group).mean() > 0.5, (group, layer)


def test_layer_changes_what_is_read(planted: ad.AnnData):
    adata = planted.copy()
    adata.layers["shuffled"] = adata.X[np.random.default_rng(0).permutation(adata.n_obs)]
    sx.tl.score_programs(adata, layer="shuffled", key_added="shuffled")
    sx.tl.score_programs(adata, key_added="plain")
    shuffled, plain = adata.obsm["shuffled_scores"], adata.obsm["plain_scores"]
    assert not np.allclose(shuffled.to_numpy(), plain.to_numpy())


# --------------------------------------------------------------------------- datasets, workflow


@pytest.fixture(scope="module")
def mouse() -> ad.AnnData:
    return sx.datasets.chan2024(genes="mouse")


def test_chan2024_mouse_is_scanpy_shaped(mouse: ad.AnnData):
    assert mouse.shape == (500, 15766)
    assert mouse.var_names[:2].tolist() == ["Gm19938", "Sox17"]
    counts = mouse.layers["counts"]
    assert np.all(np.mod(counts.data, 1) == 0)
    expected = np.log1p(counts.multiply(1e4 / counts.sum(axis=1)).toarray())
    np.testing.assert_allclose(mouse.X.toarray(), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(InputError, match="genes='rat'"):
        sx.datasets.chan2024(genes="rat")


def test_to_human_gives_the_genes_and_counts_of_senox_io_read(mouse: ad.AnnData):
    mapped = sx.pp.to_human(mouse, copy=True)
    read = sx.datasets.chan2024()
    assert mapped is not None
    assert mapped.var_names.equals(read.var_names)
    assert (mapped.layers["counts"] != read.layers["counts"]).nnz == 0


def test_mouse_workflow_in_memory_writes_no_file(
    mouse: ad.AnnData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    adata = mouse.copy()
    sx.pp.to_human(adata)
    sx.tl.score_programs(adata)
    sx.tl.call_states(adata, reference="condition=mV")
    table = sx.tl.vulnerabilities(adata)
    sx.tl.simulate(adata, reference="condition=mV", strategies=["chemo"], cohort=3)
    assert set(adata.obs["senox_state"].astype(str)) <= set(STATE_NAMES)
    assert {"state", "target", "agent"} <= set(table.columns)
    record = adata.uns["senox"]["simulation"]
    assert record["summary"]["strategy"].unique().tolist() == ["chemo"]
    assert len(record["summary"]) == 3
    # Seeded from the treated (D12) cells only.
    d12 = adata.obs.loc[adata.obs["condition"] == "D12", "senox_state"].astype(str)
    seeded = sx.model.seed_fractions(adata, reference="condition=mV", key_added="senox")
    assert seeded == pytest.approx(d12.value_counts(normalize=True).to_dict())
    assert list(tmp_path.iterdir()) == []


def test_simulate_needs_states_and_treated_observations(mouse: ad.AnnData):
    with pytest.raises(InputError, match=r"obs\['senox_state'\] is missing.*call_states"):
        sx.tl.simulate(mouse)
    adata = mouse[:10].copy()
    adata.obs["senox_state"] = "quiescent"
    adata.obs["all"] = "x"
    with pytest.raises(InputError, match="holds every observation"):
        sx.tl.simulate(adata, reference="all=x")


def test_run_on_an_in_memory_anndata(tmp_path: Path) -> None:
    adata = sx.datasets.chan2024(genes="mouse")
    sx.pp.to_human(adata)
    record = sx.run(
        adata, out=tmp_path / "out", reference="condition=mV", groupby="condition", cohort=3
    )
    assert (tmp_path / "out" / "report.html").is_file()
    assert record["outputs"] == list(sx.pipeline.OUTPUTS)
    assert "senox_state" in adata.obs
    assert adata.uns["senox_state_colors"]
    assert record["inputs"]["context"] == "tumor"


def test_the_readme_tour_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    tour = readme.split("## A 60-second tour in Python", 1)[1].split("```python\n", 1)[1]
    code = tour.split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "tour.py"
    script.write_text("import matplotlib\nmatplotlib.use('Agg')\n" + code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "report" / "report.html").is_file()
