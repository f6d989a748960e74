"""The program catalogue (``data/programs.tsv``, ``data/catalogue.tsv``) and user gene sets.

The catalogue is built by ``tools/build_programs.py`` from ``shared/data/genesets``; the rationale
for every program's genes is in ``catalogue.tsv`` (``senox programs show NAME``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from senox._errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

_DATA = files("senox.programs") / "data"


@dataclass(frozen=True)
class Program:
    """A named gene program: genes that go up, genes that go down, and where they come from."""

    name: str
    up: tuple[str, ...]
    down: tuple[str, ...] = ()
    description: str = ""
    rationale: str = ""
    publication: str = ""
    source_files: str = ""
    licence: str = ""
    version: str = ""

    @property
    def genes(self) -> tuple[str, ...]:
        """All genes, up then down."""
        return self.up + self.down


def _read(name: str) -> pd.DataFrame:
    with (_DATA / name).open("rb") as fh:
        return pd.read_csv(fh, sep="\t", dtype=str, keep_default_na=False)


@cache
def _catalogue_table() -> pd.DataFrame:
    return _read("catalogue.tsv")


CATALOGUE_VERSION: str = str(_catalogue_table()["version"].iloc[0])


def _from_rows(name: str, genes: pd.DataFrame, meta: Mapping[str, str] | None = None) -> Program:
    weights = genes["weight"].astype(float)
    meta = dict(meta or {})
    return Program(
        name=name,
        up=tuple(genes.loc[weights > 0, "gene"]),
        down=tuple(genes.loc[weights < 0, "gene"]),
        description=meta.get("description", ""),
        rationale=meta.get("rationale", ""),
        publication=meta.get("publication", ""),
        source_files=meta.get("source_files", ""),
        licence=meta.get("licence", ""),
        version=meta.get("version", ""),
    )


@cache
def catalogue() -> dict[str, Program]:
    """Every built-in program, by name."""
    genes = _read("programs.tsv")
    meta = _catalogue_table().set_index("program")
    return {
        name: _from_rows(name, genes[genes["program"] == name], meta.loc[name].to_dict())
        for name in meta.index
    }


def describe() -> pd.DataFrame:
    """The catalogue as a table: name, sizes, description, publication, licence."""
    table = _catalogue_table()
    return table[["program", "n_up", "n_down", "description", "publication", "licence", "version"]]


def to_network(programs: Mapping[str, Program] | None = None) -> pd.DataFrame:
    """Programs as a decoupler-style network: ``source`` (program), ``target`` (gene), ``weight``.

    Up genes weigh +1 and down genes -1, the signs ``read_program_table`` reads back; the table
    can be passed as ``net`` to decoupler's enrichment methods (e.g. ``decoupler.mt.ulm``).
    ``programs`` defaults to the whole built-in catalogue.

    >>> net = to_network({"p": Program("p", up=("A", "B"), down=("C",))})
    >>> net.to_dict("list")
    {'source': ['p', 'p', 'p'], 'target': ['A', 'B', 'C'], 'weight': [1.0, 1.0, -1.0]}
    """
    chosen = catalogue() if programs is None else programs
    rows = [
        (name, gene, sign)
        for name, program in chosen.items()
        for genes, sign in ((program.up, 1.0), (program.down, -1.0))
        for gene in genes
    ]
    return pd.DataFrame(rows, columns=["source", "target", "weight"])


def select(
    names: Iterable[str] | None = None, extra: Mapping[str, Program] | None = None
) -> dict[str, Program]:
    """Built-in programs by name (all when ``names`` is None), plus user programs ``extra``.

    A user program may not take a built-in program's name: it would replace it unseen.
    """
    for name, program in (extra or {}).items():
        if name in catalogue():
            where = program.source_files or "your programs"
            msg = (
                f"{where}: program '{name}' has the name of a built-in program; rename it "
                f"(e.g. 'my_{name}') to score it beside the built-in one"
            )
            raise InputError(msg)
    available = {**catalogue(), **(extra or {})}
    if names is None:
        return available
    wanted = list(names)
    unknown = [n for n in wanted if n not in available]
    if unknown:
        msg = f"unknown program(s) {', '.join(unknown)}; available: {', '.join(available)}"
        raise InputError(msg)
    return {n: available[n] for n in wanted}


def read_gmt(path: Path) -> dict[str, Program]:
    """Read a GMT file (name, description, genes... per line). A gene ending in '-' goes down.

    A trailing '+' or '-' on a gene marks its sign (UCell's convention); no suffix means up.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{path}: cannot read the GMT file ({exc.__class__.__name__}); give a UTF-8 text file"
        raise InputError(msg) from None
    programs: dict[str, Program] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) < 3 or not fields[0] or not any(fields[2:]):
            msg = f"{path} line {number}: a GMT line is name, description, genes... (tab-separated)"
            raise InputError(msg)
        up = tuple(g.rstrip("+") for g in fields[2:] if g and not g.endswith("-"))
        down = tuple(g[:-1] for g in fields[2:] if g.endswith("-"))
        if "" in up + down:
            msg = f"{path} line {number}: a gene is only a sign (+ or -); write its name first"
            raise InputError(msg)
        if fields[0] in programs:
            msg = f"{path} line {number}: program '{fields[0]}' is defined twice; rename one"
            raise InputError(msg)
        programs[fields[0]] = Program(
            fields[0], up, down, description=fields[1], source_files=str(path)
        )
    if not programs:
        msg = f"{path}: no gene sets in the file; write one set per line"
        raise InputError(msg)
    return programs


def read_program_table(path: Path) -> dict[str, Program]:
    """Read a TSV with columns ``program``, ``gene`` and optional ``weight`` (its sign: up/down)."""
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"{path}: cannot read the program table ({exc.__class__.__name__}); give a TSV file"
        raise InputError(msg) from None
    missing = {"program", "gene"} - set(table.columns)
    if missing:
        need = ", ".join(sorted(missing))
        msg = f"{path}: missing column(s) {need}; the header needs program, gene[, weight]"
        raise InputError(msg)
    if "weight" not in table.columns:
        table["weight"] = "1"
    table["program"], table["gene"] = table["program"].str.strip(), table["gene"].str.strip()
    empty = (table["program"] == "") | (table["gene"] == "")
    if empty.any():
        line = int(empty.to_numpy().nonzero()[0][0]) + 2
        msg = f"{path} line {line}: the program or the gene is empty; fill it in or drop the line"
        raise InputError(msg)
    weights = pd.to_numeric(table["weight"], errors="coerce")
    bad = weights.isna() | (weights == 0)
    if bad.any():
        line = int(bad.to_numpy().nonzero()[0][0]) + 2
        msg = (
            f"{path} line {line}: weight '{table['weight'][bad].iloc[0]}' is not a non-zero "
            "number; give a positive weight (gene goes up) or a negative one (goes down)"
        )
        raise InputError(msg)
    table["weight"] = weights
    return {
        str(name): _from_rows(str(name), rows, {"source_files": str(path)})
        for name, rows in table.groupby("program", sort=False)
    }
