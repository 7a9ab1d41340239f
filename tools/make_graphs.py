"""Regenerate data/karate_club.npz and data/molecules.npz: the graphs of chapter 16.

Usage::

    .venv/bin/pip install networkx rdkit
    .venv/bin/python tools/make_graphs.py

**Karate club** (node classification): Zachary's network of 34 members of a
university karate club, as networkx ships it (``networkx.karate_club_graph``):
78 friendships, each with Zachary's count of the contexts in which the two
met (the edge weight), and the faction each member joined after the club
split ("Mr. Hi", the instructor, or "Officer", the administrator).

**Molecules** (graph-level prediction): the 4,999 molecules of RDKit's
``rdkit/Data/NCI/first_5k.tpsa.csv`` (SMILES from the NCI open database with
their topological polar surface area). Kept: molecules RDKit parses, in one
piece (no salts or mixtures), with 2..50 heavy atoms, without dative bonds
(one ferrocene), once per canonical SMILES; atoms are numbered as in the
stored canonical SMILES. Each molecule is stored as a graph of heavy atoms (hydrogens are a
per-atom count) with bonds in Kekulé form (orders 1, 2, 3; aromaticity is
*not* stored, so it has to be recognised from the structure). Targets
computed by RDKit: the number of rings (the smallest set of smallest rings)
and the number of aromatic rings; the file's TPSA is kept too, as the
example of an additive property (a sum of per-atom contributions) that a
count of atoms nearly predicts. A fixed random split by molecule: 70 % train,
15 % validation, 15 % test.

The script prints the SHA-256 of each stored array (what data/README.md
documents and tests/test_datasets_beyond_images.py checks), the counts, and the
count-only baselines reported in data/README.md.
"""

from __future__ import annotations

import hashlib
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent / "data"
SEED = 16                       # chapter 16
MAX_ATOMS = 50
FRACTIONS = (0.70, 0.15, 0.15)  # train, val, test
FACTIONS = ("Mr. Hi", "Officer")


def sha256(a: np.ndarray) -> str:
    if a.dtype.kind == "U":     # byte-order independent
        return hashlib.sha256("\n".join(map(str, a.ravel())).encode("utf-8")).hexdigest()
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def make_karate() -> dict[str, np.ndarray]:
    import networkx as nx

    g = nx.karate_club_graph()
    edges = np.array(sorted((min(u, v), max(u, v)) for u, v in g.edges()), dtype=np.uint8)
    weights = np.array([g.edges[int(u), int(v)]["weight"] for u, v in edges], dtype=np.uint8)
    club = np.array([FACTIONS.index(g.nodes[i]["club"]) for i in range(g.number_of_nodes())],
                    dtype=np.uint8)
    assert g.number_of_nodes() == 34 and len(edges) == 78
    return {"edges": edges, "weights": weights, "club": club, "factions": np.array(FACTIONS),
            "source": np.array(f"networkx {metadata.version('networkx')}")}


def csv_path() -> Path:
    import rdkit

    path = Path(rdkit.__file__).parent / "Data" / "NCI" / "first_5k.tpsa.csv"
    if not path.exists():
        raise SystemExit(f"{path} is missing: pip install rdkit")
    return path


def make_molecules() -> tuple[dict[str, np.ndarray], list]:
    from rdkit import Chem, RDLogger
    from rdkit.Chem import rdMolDescriptors

    RDLogger.DisableLog("rdApp.*")
    path = csv_path()
    print(f"  {path.name}: sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}")
    rows = [line.strip().rsplit(",", 1) for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    kept, seen = [], set()
    dropped = {"unparsable": 0, "several fragments": 0, f"more than {MAX_ATOMS} atoms": 0,
               "fewer than 2 atoms": 0, "dative bonds": 0, "duplicate": 0}
    for smiles, tpsa in rows:
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            dropped["unparsable"] += 1
            continue
        if len(Chem.GetMolFrags(mol)) > 1:
            dropped["several fragments"] += 1
            continue
        if mol.GetNumAtoms() > MAX_ATOMS:
            dropped[f"more than {MAX_ATOMS} atoms"] += 1
            continue
        if mol.GetNumAtoms() < 2:
            dropped["fewer than 2 atoms"] += 1
            continue
        if any(b.GetBondType() == Chem.BondType.DATIVE for b in mol.GetBonds()):
            # metal complexes (a ferrocene): not a graph of ordinary bonds
            dropped["dative bonds"] += 1
            continue
        canonical = Chem.MolToSmiles(mol)
        # re-read, so the stored atom order is the order of the stored SMILES
        mol = Chem.MolFromSmiles(canonical)
        if canonical in seen:
            dropped["duplicate"] += 1
            continue
        seen.add(canonical)
        kept.append((canonical, mol, float(tpsa)))
    print(f"  {len(rows)} molecules in the file, {len(kept)} kept; dropped {dropped}")

    atoms, hs, charges, bonds, orders = [], [], [], [], []
    atom_ptr, bond_ptr = [0], [0]
    rings, aromatic, tpsas, smiles_out = [], [], [], []
    for canonical, mol, tpsa in kept:
        # targets from the aromatic form RDKit perceives on parsing ...
        rings.append(rdMolDescriptors.CalcNumRings(mol))
        aromatic.append(rdMolDescriptors.CalcNumAromaticRings(mol))
        # ... then the stored graph in Kekulé form, so aromaticity is not an input
        kek = Chem.Mol(mol)
        Chem.Kekulize(kek, clearAromaticFlags=True)
        for a in kek.GetAtoms():
            atoms.append(a.GetAtomicNum())
            hs.append(a.GetTotalNumHs())
            charges.append(a.GetFormalCharge())
        for b in kek.GetBonds():
            i, j = sorted((b.GetBeginAtomIdx(), b.GetEndAtomIdx()))
            bonds.append((i, j))
            order = b.GetBondTypeAsDouble()
            if order not in (1.0, 2.0, 3.0):
                raise SystemExit(f"{canonical}: bond of order {order} after kekulisation")
            orders.append(int(order))
        atom_ptr.append(len(atoms))
        bond_ptr.append(len(bonds))
        tpsas.append(tpsa)
        smiles_out.append(canonical)
    m = len(kept)
    rng = np.random.default_rng(SEED)
    n_train, n_val = int(round(FRACTIONS[0] * m)), int(round(FRACTIONS[1] * m))
    split = np.empty(m, dtype=np.uint8)
    order = rng.permutation(m)
    split[order[:n_train]] = 0
    split[order[n_train:n_train + n_val]] = 1
    split[order[n_train + n_val:]] = 2
    arrays = {
        "smiles": np.array(smiles_out),
        "atom_ptr": np.array(atom_ptr, dtype=np.int32),
        "atomic_number": np.array(atoms, dtype=np.uint8),
        "num_hs": np.array(hs, dtype=np.uint8),
        "formal_charge": np.array(charges, dtype=np.int8),
        "bond_ptr": np.array(bond_ptr, dtype=np.int32),
        "bonds": np.array(bonds, dtype=np.uint8),
        "bond_order": np.array(orders, dtype=np.uint8),
        "num_rings": np.array(rings, dtype=np.uint8),
        "num_aromatic_rings": np.array(aromatic, dtype=np.uint8),
        "tpsa": np.array(tpsas, dtype=np.float32),
        "split": split,
        "source": np.array(f"rdkit {metadata.version('rdkit')}: Data/NCI/first_5k.tpsa.csv"),
    }
    return arrays, [k[1] for k in kept]


def baselines(arrays: dict[str, np.ndarray]) -> None:
    """What counting atoms (and, for contrast, bonds) predicts: least squares on the training part."""
    ptr, bptr = arrays["atom_ptr"], arrays["bond_ptr"]
    elements = (6, 7, 8, 9, 15, 16, 17, 35, 53)           # C N O F P S Cl Br I, then "other"
    z = arrays["atomic_number"]
    counts = np.zeros((len(ptr) - 1, len(elements) + 1))
    for k, (a, b) in enumerate(zip(ptr[:-1], ptr[1:])):
        for e in z[a:b]:
            counts[k, elements.index(e) if e in elements else len(elements)] += 1
    n_bonds = np.diff(bptr).astype(float)
    split = arrays["split"]
    tr, te = split == 0, split == 2
    for target in ("num_rings", "num_aromatic_rings", "tpsa"):
        y = arrays[target].astype(float)
        for name, X in (("atom counts", counts), ("atom counts + bonds", np.c_[counts, n_bonds])):
            X1 = np.c_[X, np.ones(len(X))]
            coef, *_ = np.linalg.lstsq(X1[tr], y[tr], rcond=None)
            pred = X1[te] @ coef
            mae = np.abs(pred - y[te]).mean()
            exact = (np.round(pred) == y[te]).mean() if target != "tpsa" else float("nan")
            r2 = 1 - np.sum((pred - y[te]) ** 2) / np.sum((y[te] - y[tr].mean()) ** 2)
            print(f"  baseline {target:18s} from {name:19s}: test MAE {mae:6.3f}  R^2 {r2:6.3f}"
                  + ("" if target == "tpsa" else f"  rounded prediction exact {exact:6.1%}"))
        if target != "tpsa":
            mean_guess = np.round(y[tr].mean())
            print(f"  baseline {target:18s} always {mean_guess:.0f}: exact "
                  f"{(y[te] == mean_guess).mean():6.1%}; most frequent value "
                  f"{np.bincount(y[tr].astype(int)).argmax()}: exact "
                  f"{(y[te] == np.bincount(y[tr].astype(int)).argmax()).mean():6.1%}")


def report(path: Path, arrays: dict[str, np.ndarray]) -> None:
    print(f"wrote {path} ({path.stat().st_size / 1e6:.3f} MB)")
    for key, value in arrays.items():
        print(f"  array {key:18s} {value.shape!s:10s} {value.dtype!s:6s} sha256 {sha256(value)}")


def main() -> None:
    karate = make_karate()
    out = DATA / "karate_club.npz"
    np.savez_compressed(out, **karate)
    report(out, karate)
    print(f"  members per faction {np.bincount(karate['club']).tolist()}")
    molecules, _ = make_molecules()
    out = DATA / "molecules.npz"
    np.savez_compressed(out, **molecules)
    report(out, molecules)
    split = molecules["split"]
    for s, name in enumerate(("train", "val", "test")):
        mask = split == s
        print(f"  {name:5s} {mask.sum():5d} molecules; rings {np.bincount(molecules['num_rings'][mask]).tolist()}; "
              f"aromatic rings {np.bincount(molecules['num_aromatic_rings'][mask]).tolist()}")
    baselines(molecules)


if __name__ == "__main__":
    sys.exit(main())
