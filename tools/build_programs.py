"""Build senox's gene-program catalogue from the gene sets in ``shared/data/genesets``.

Usage: ``python tools/build_programs.py [--genesets ../shared/data/genesets]``

Writes ``src/senox/programs/data/programs.tsv`` (program, gene, weight) and ``catalogue.tsv``
(one row per program: description, rationale, sources, licence). Every rule is written out below,
next to the reason for it. Input symbols are brought up to date with the HGNC table shipped
in senox (a previous symbol is replaced by its unique current symbol); anything else that does
not resolve is dropped and reported.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from senox.io import resolve_symbol

VERSION = "2026.11"
OUT = Path(__file__).resolve().parents[1] / "src" / "senox" / "programs" / "data"

MSIGDB = "MSigDB v7.5.1 gene set (CC BY 4.0; Broad Institute MSigDB licence terms for v6.0-v7.5.1)"
MSIGDB_2023 = "MSigDB v2023.1.Hs gene set (CC BY 4.0; MSigDB licence terms for v2022.1 and later)"
REACTOME = "Reactome pathway gene list (CC BY 4.0)"
WIKIPATHWAYS = "WikiPathways (CC0)"
SASP_ATLAS = "SASP Atlas core table (CC0, per the source README)"
SEED = "the seed review (shared/seed/000_923e3db2d7f368f8.txt)"

#: Replication-dependent (clustered) histone genes: poly-A-less, S-phase transcripts.
CLUSTERED_HISTONE = re.compile(r"^(H1-[1-6]|H2AC\d+|H2BC\d+|H3C\d+|H4C\d+)$")


@dataclass
class Spec:
    """How one program is assembled."""

    name: str
    description: str
    rationale: str
    publication: str
    licence: str
    sources: list[str]
    up: set[str] = field(default_factory=set)
    down: set[str] = field(default_factory=set)


#: What symbol updates and drops were made, printed at the end.
LOG: list[str] = []


def current(symbols: set[str], where: str) -> set[str]:
    """Bring symbols up to date with HGNC; drop and log what does not resolve uniquely."""
    out = set()
    for symbol in sorted(symbols):
        found = resolve_symbol(symbol)
        if len(found) == 1:
            out.add(found[0])
            if found[0] != symbol.upper():
                LOG.append(f"{where}: {symbol} -> {found[0]} (HGNC previous symbol)")
        else:
            LOG.append(f"{where}: {symbol} dropped ({'ambiguous' if found else 'not in HGNC'})")
    return out


def read_list(genesets: Path, name: str) -> set[str]:
    """A one-gene-per-line file, in current HGNC symbols.

    Entries naming several proteins ('A;B', ambiguous peptides) are skipped.
    """
    lines = (genesets / name).read_text(encoding="utf-8").splitlines()
    return current({line.strip() for line in lines if line.strip() and ";" not in line}, name)


OXIDANT = {
    # NADPH oxidases and their obligate subunits (seed §3.1: NOX4-p22phox; §4.1.1: NOX).
    "CYBB", "NOX1", "NOX3", "NOX4", "NOX5", "DUOX1", "DUOX2", "CYBA", "NCF1", "NCF2", "NCF4",
    "NOXA1", "NOXO1",
    # Nitric oxide synthases (seed §4.1.1: NOS in cancer-associated fibroblasts).
    "NOS1", "NOS2", "NOS3",
    # Other enzymes whose main product is superoxide, H2O2 or lipid hydroperoxides.
    "XDH", "MAOA", "MAOB", "ALOX5", "ALOX12", "ALOX15", "CYP2E1", "ERO1A", "POR",
}  # fmt: skip
#: Members of Reactome's ROS-detoxification list that make oxidants or are not antioxidants.
NOT_ANTIOXIDANT = {"CYBA", "CYBB", "NCF1", "NCF2", "NCF4", "NOX4", "NOX5", "ERO1A", "AQP8",
                   "ATP7A", "CYCS", "NUDT2", "P4HB"}  # fmt: skip
FERROPTOSIS_DEFENSE = {
    # glutathione axis: cystine import, GSH synthesis, GPX4
    "SLC7A11", "SLC3A2", "GCLC", "GCLM", "GSS", "GPX4",
    # FSP1 (AIFM2)-CoQ10 and GCH1-BH4 radical-trapping systems
    "AIFM2", "GCH1",
    # iron storage and export keep labile iron low
    "FTH1", "FTL", "FTMT", "SLC40A1",
    # HSPB1 and CISD1 limit iron uptake and mitochondrial lipid peroxidation;
    # AKR1C1-3 detoxify lipid-peroxidation products
    "HSPB1", "CISD1", "AKR1C1", "AKR1C2", "AKR1C3",
}  # fmt: skip
ANTI_APOPTOTIC = {"BCL2", "BCL2L1", "BCL2L2", "MCL1", "BCL2A1", "BCL2L10", "CFLAR"}
CELL_CYCLE_IN_DDR_LIST = {"CCNA1", "CCNA2", "CCNE1", "CCNE2", "CDK2", "LMNB1"}


def specs(g: Path) -> list[Spec]:
    """Every program: its sources and the rule that combines them."""
    senmayo = read_list(g, "senmayo.txt")
    atlas = read_list(g, "sasp_atlas_core_basisty2020.txt")
    nfkb = read_list(g, "HALLMARK_TNFA_SIGNALING_VIA_NFKB.txt")
    detox = read_list(g, "REACTOME_DETOXIFICATION_OF_REACTIVE_OXYGEN_SPECIES.txt")
    ddr = read_list(g, "REACTOME_DNA_DAMAGE_TELOMERE_STRESS_INDUCED_SENESCENCE.txt")
    return [
        Spec(
            "senescence",
            "Core senescence: SenMayo plus the CDK-inhibitor arrest, minus Lamin B1 and Ki-67.",
            "SenMayo (125 genes) was validated across human and mouse tissues. The seed (§2.1) "
            "names p16INK4a/p21 arrest (CDKN2A, CDKN1A) and Lamin B1 loss as core hallmarks, so "
            "CDKN2A and CDKN1A are added up and LMNB1 and MKI67 (no proliferation) form the down "
            "side. "
            "Signed methods use the down side; unsigned ones ignore it.",
            "Saul D et al., Nat Commun 2022;13:4827 (SenMayo); seed §2.1",
            MSIGDB_2023,
            ["senmayo.txt"],
            up=senmayo | {"CDKN1A", "CDKN2A"},
            down={"LMNB1", "MKI67"},
        ),
        Spec(
            "sasp",
            "The core SASP: proteins secreted by senescent cells across inducers and cell types.",
            "SASP Atlas core proteins (Basisty 2020), secreted after irradiation, oncogenic RAS "
            "and atazanavir in fibroblasts and epithelial cells. Entries naming several proteins "
            "(ambiguous peptides, e.g. ACTB;ACTG1) are left out.",
            "Basisty N et al., PLoS Biol 2020;18:e3000599",
            SASP_ATLAS,
            ["sasp_atlas_core_basisty2020.txt"],
            up=atlas,
        ),
        Spec(
            "sasp_inflammatory",
            "The NF-κB-driven, pro-inflammatory SASP (as after doxorubicin).",
            "NF-κB target genes (Hallmark TNFα signalling via NF-κB) that are SASP factors in "
            "SenMayo or the SASP Atlas, plus CXCL8 (IL-8), the canonical NF-κB SASP factor the "
            "seed names (§4.1.4, 'NF-κB/IL-8 pathway') and which the Hallmark set lacks. "
            "Seed §2.2 contrasts this SASP with the p53-driven one after CDK4/6 inhibition.",
            "Liberzon A et al., Cell Syst 2015 (Hallmarks); Saul 2022; Basisty 2020; seed §2.2",
            MSIGDB,
            [
                "HALLMARK_TNFA_SIGNALING_VIA_NFKB.txt",
                "senmayo.txt",
                "sasp_atlas_core_basisty2020.txt",
            ],
            up=(nfkb & (senmayo | atlas)) | {"CXCL8"},
        ),
        Spec(
            "p53_response",
            "The p53 transcriptional response (arrest, DNA-damage and p53-type senescence).",
            "Hallmark p53 pathway, as is: the seed (§2.1, §2.2) ties DNA-damage senescence and the "
            "less inflammatory, p53-driven SASP after CDK4/6 inhibition to p53 activity.",
            "Liberzon A et al., Cell Syst 2015",
            MSIGDB,
            ["HALLMARK_P53_PATHWAY.txt"],
            up=read_list(g, "HALLMARK_P53_PATHWAY.txt"),
        ),
        Spec(
            "proliferation",
            "Cycling cells: G1/S (E2F targets) and G2/M (checkpoint) genes together.",
            "Hallmark E2F targets (G1/S) and G2/M checkpoint, united: senescent and quiescent "
            "cells are low on both; escaped cells re-enter the cycle (seed §4.2.1, CDK1-high).",
            "Liberzon A et al., Cell Syst 2015",
            MSIGDB,
            ["HALLMARK_E2F_TARGETS.txt", "HALLMARK_G2M_CHECKPOINT.txt"],
            up=read_list(g, "HALLMARK_E2F_TARGETS.txt")
            | read_list(g, "HALLMARK_G2M_CHECKPOINT.txt"),
        ),
        Spec(
            "oxidant",
            "ROS- and RNS-generating machinery.",
            "Enzymes whose main product is superoxide, H2O2, NO or lipid hydroperoxides: NADPH "
            "oxidases with their subunits (seed §3.1, §4.1.1), NOS1-3 (seed §4.1.1), xanthine "
            "oxidoreductase, monoamine oxidases, lipoxygenases, CYP2E1, ERO1A and POR. Curated "
            "by senox; the oxidase members come from Reactome's ROS-detoxification list "
            "(R-HSA-3299685).",
            "seed §3.1, §4.1.1; Reactome R-HSA-3299685",
            f"senox curation of enzyme families; {REACTOME}",
            ["REACTOME_DETOXIFICATION_OF_REACTIVE_OXYGEN_SPECIES.txt"],
            up=set(OXIDANT),
        ),
        Spec(
            "antioxidant",
            "NRF2 targets and antioxidant defence (the low-ROS state of escaped cells).",
            "Classic NRF2 target genes (Singh 2006: NQO1, HMOX1, GCLC, GCLM, TXNRD1, G6PD ...) "
            "plus Reactome's ROS-detoxification enzymes (SOD1-3, CAT, GPX1-8, PRDX1-6, TXN, "
            "TXNRD1/2), without the members that make oxidants (NADPH oxidase subunits, ERO1A) or "
            "are not antioxidants (AQP8, ATP7A, CYCS, NUDT2, P4HB). The seed (§4.2.1) describes "
            "escaped cells as low-ROS with SOD1/2, GPX1/2 and NRF2 active.",
            "Singh A et al., PLoS Med 2006 (MSigDB SINGH_NFE2L2_TARGETS); Reactome R-HSA-3299685",
            f"{MSIGDB}; {REACTOME}",
            ["SINGH_NFE2L2_TARGETS.txt", "REACTOME_DETOXIFICATION_OF_REACTIVE_OXYGEN_SPECIES.txt"],
            up=read_list(g, "SINGH_NFE2L2_TARGETS.txt") | (detox - NOT_ANTIOXIDANT),
        ),
        Spec(
            "ferroptosis_defense",
            "Defences against ferroptosis: GSH-GPX4, FSP1, GCH1 and iron sequestration.",
            "The protective arms of the WikiPathways ferroptosis pathway (WP4313), which are the "
            "targets of the seed's Table 2 ferroptosis inducers (SLC7A11, GPX4, GCLC): the "
            "glutathione axis, AIFM2 (FSP1) and GCH1, iron storage and export (FTH1, FTL, FTMT, "
            "SLC40A1), HSPB1, CISD1 and AKR1C1-3. Drivers (ACSL4, LPCAT3, ALOX15, TFRC, NCOA4 ...) "
            "are left out.",
            "WikiPathways WP4313; seed Table 2",
            WIKIPATHWAYS,
            ["WP_FERROPTOSIS_WP4313.txt"],
            up=set(FERROPTOSIS_DEFENSE) & read_list(g, "WP_FERROPTOSIS_WP4313.txt"),
        ),
        Spec(
            "anti_apoptotic",
            "Anti-apoptotic BCL-2 family and c-FLIP: the senolytic targets.",
            "The anti-apoptotic BCL-2 family members (BCL2, BCL2L1/BCL-XL, BCL2L2/BCL-W, MCL1, "
            "BCL2A1, BCL2L10), which navitoclax and other BCL-2 inhibitors hit (seed §4.1.3), and "
            "CFLAR (c-FLIP), which the seed (§2.2) names for death-receptor resistance.",
            "seed §2.2, §4.1.3",
            "senox curation (gene names only)",
            [],
            up=set(ANTI_APOPTOTIC),
        ),
        Spec(
            "stemness",
            "Stem-cell and pluripotency markers (SOX2, OCT4/POU5F1, NANOG ...).",
            "Malta 2018's curated stemness markers. The seed (§2.2, §4.2.1) names SOX2, OCT4 and "
            "NANOG, Wnt/β-catenin and Notch in senescence-escaped, stem-like cells; all are in "
            "this set.",
            "Malta TM et al., Cell 2018 (MSigDB MALTA_CURATED_STEMNESS_MARKERS)",
            MSIGDB,
            ["MALTA_CURATED_STEMNESS_MARKERS.txt"],
            up=read_list(g, "MALTA_CURATED_STEMNESS_MARKERS.txt"),
        ),
        Spec(
            "dna_damage",
            "DNA-damage and telomere-stress signalling towards senescence (ATM, NBN, H2AX, ...).",
            "Reactome 'DNA damage/telomere stress induced senescence' (R-HSA-2559586), the "
            "ATM-NBN-γH2AX-p53-p21 route of seed §2.1, without the replication-dependent histone "
            "genes (poly-A-less S-phase transcripts), the cyclins and CDK2 (they would make this a "
            "proliferation score) and LMNB1 (the down side of `senescence`). Most of this "
            "signalling is post-translational, so expect a weak transcriptional readout.",
            "Reactome R-HSA-2559586; seed §2.1",
            REACTOME,
            ["REACTOME_DNA_DAMAGE_TELOMERE_STRESS_INDUCED_SENESCENCE.txt"],
            up={
                gene
                for gene in ddr
                if not CLUSTERED_HISTONE.match(gene) and gene not in CELL_CYCLE_IN_DDR_LIST
            },
        ),
    ]


def sha256(path: Path) -> str:
    """The file's SHA-256, to pin the exact source."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def write_tsv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write rows as a tab-separated file with a header."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    """Assemble every program and write the catalogue files."""
    parser = argparse.ArgumentParser(description=__doc__)
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "genesets"
    parser.add_argument("--genesets", type=Path, default=default)
    genesets = parser.parse_args().genesets
    genes: list[list[str]] = []
    catalogue: list[list[str]] = []
    for spec in specs(genesets):
        up = current(spec.up, spec.name)
        down = current(spec.down, spec.name) - up
        genes += [[spec.name, gene, "1"] for gene in sorted(up)]
        genes += [[spec.name, gene, "-1"] for gene in sorted(down)]
        pinned = "; ".join(
            f"shared/data/genesets/{s} (sha256 {sha256(genesets / s)})" for s in spec.sources
        )
        catalogue.append([spec.name, VERSION, spec.description, spec.rationale, spec.publication,
                          pinned, spec.licence, str(len(up)), str(len(down))])  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    write_tsv(OUT / "programs.tsv", ["program", "gene", "weight"], genes)
    header = ["program", "version", "description", "rationale", "publication", "source_files",
              "licence", "n_up", "n_down"]  # fmt: skip
    write_tsv(OUT / "catalogue.tsv", header, catalogue)
    for line in LOG:
        print(line)
    print(f"wrote {len(catalogue)} programs, {len(genes)} gene rows to {OUT}")


if __name__ == "__main__":
    main()
