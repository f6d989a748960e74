"""How well each program separates the labelled groups of the two real data sets in ../shared.

- Marthandan 2016: bulk RNA-seq of 5 fibroblast strains, replicatively senescent (18) vs
  proliferating (21) samples; human symbols, linear CPM-like values.
- Chan 2024: mouse hepatocytes, KRAS oncogene-induced senescence (D12, 332 cells) vs control
  (mV, 168 cells); raw counts, mouse symbols (mapped to human through the shipped orthologs).

For each data set, program and method it reports the AUROC of the score for "senescent vs not"
(1.0: every senescent observation scores above every control; 0.5: chance). Usage:

    python validation/score_real_data.py [--shared ../shared] [--out validation/results/scores.md]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from _report import auroc, markdown_table
from senox import io
from senox.score import score_programs

HERE = Path(__file__).resolve().parent


def marthandan(shared: Path) -> tuple[object, np.ndarray]:
    """The bulk data set and its senescent flag."""
    folder = shared / "data" / "marthandan2016"
    adata = io.read(folder / "marthandan2016_expression.csv.gz")
    samples = pd.read_csv(folder / "marthandan2016_samples.csv").set_index("sampleID")
    labels = samples.loc[adata.obs_names, "Condition"]
    return adata, (labels == "Senescent").to_numpy()


def chan(shared: Path) -> tuple[object, np.ndarray]:
    """The single-cell data set and its KRAS-induced flag."""
    adata = io.read(shared / "data" / "chan2024_kras_ois" / "counts.mtx.gz")
    return adata, (adata.obs["condition"] == "D12").to_numpy()


def evaluate(shared: Path) -> pd.DataFrame:
    """AUROC per data set, method and program."""
    rows = []
    for name, loader in (("marthandan2016 (bulk)", marthandan), ("chan2024 (single-cell)", chan)):
        adata, senescent = loader(shared)
        for method in ("rank", "mean"):
            score_programs(adata, method=method, key_added=method)
            for program, values in adata.obsm[f"{method}_scores"].items():
                rows.append({"data": name, "method": method, "program": program,
                             "auroc": auroc(values.to_numpy(), senescent)})  # fmt: skip
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """A pivot table as a Markdown table (columns: data set / method)."""
    header = ["program", *(f"{data} {method}" for data, method in table.columns)]
    rows = [[str(program), *(f"{v:.3f}" for v in row)] for program, row in table.iterrows()]
    return markdown_table(header, rows)


def main() -> None:
    """Compute the AUROC table and write it as Markdown."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=HERE.parents[1] / "shared")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "scores.md")
    args = parser.parse_args()
    table = evaluate(args.shared).pivot_table(
        index="program", columns=["data", "method"], values="auroc"
    )
    text = markdown(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
