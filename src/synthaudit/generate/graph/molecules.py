"""A classic molecule generator (survey section 5.2.1 lists molecules among graph data): seeded local mutations
of real molecules, each kept only when RDKit sanitises the result.

It is a baseline, not a model: one mutation per molecule (an atom's element changed among C, N, O, S; a methyl
added to an atom with a free valence; a terminal atom removed), so the generated set stays close to the real one
(low FCD) while its molecules are new. Used by ``synthaudit demo`` on the NCI molecules RDKit ships
(``rdkit/Data/NCI/first_5K.smi``).
"""
from __future__ import annotations

import random
from pathlib import Path

ELEMENTS = ("C", "N", "O", "S")
MUTATIONS = ("element", "add_methyl", "remove_terminal")


def nci_smiles(n: int | None = None) -> list[str]:
    """SMILES of the NCI molecules that ship with RDKit (5,000 rows; the first ``n``)."""
    from rdkit import RDConfig

    path = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
    rows = [line.split()[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[:n] if n else rows


def mutate(smiles: str, rng: random.Random, tries: int = 10) -> str | None:
    """One seeded mutation of a molecule that RDKit accepts (canonical SMILES), or None after ``tries``."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None or mol.GetNumAtoms() < 2:
        return None
    for _ in range(tries):
        rw = Chem.RWMol(mol)
        kind = rng.choice(MUTATIONS)
        idx = rng.randrange(rw.GetNumAtoms())
        atom = rw.GetAtomWithIdx(idx)
        if kind == "element":
            atom.SetAtomicNum(Chem.GetPeriodicTable().GetAtomicNumber(rng.choice(ELEMENTS)))
            atom.SetNoImplicit(False)
            atom.SetNumExplicitHs(0)
        elif kind == "add_methyl":
            if atom.GetTotalNumHs() == 0:
                continue
            new = rw.AddAtom(Chem.Atom(6))
            rw.AddBond(idx, new, Chem.BondType.SINGLE)
        else:
            if atom.GetDegree() != 1:
                continue
            rw.RemoveAtom(idx)
        try:
            out = rw.GetMol()
            Chem.SanitizeMol(out)
        except Exception:  # noqa: BLE001 - RDKit raises several kinds for an impossible valence
            continue
        text = Chem.MolToSmiles(out)
        if "." not in text and Chem.MolFromSmiles(text) is not None and text != Chem.MolToSmiles(mol):
            return text
    return None


def mutated_set(source: list[str], n: int, seed: int = 0) -> list[str]:
    """``n`` mutated molecules drawn from ``source`` (seeded; a molecule that cannot be mutated is skipped)."""
    rng = random.Random(seed)
    out: list[str] = []
    attempts = 0
    while len(out) < n and attempts < 20 * n:
        attempts += 1
        m = mutate(source[rng.randrange(len(source))], rng)
        if m is not None:
            out.append(m)
    return out
