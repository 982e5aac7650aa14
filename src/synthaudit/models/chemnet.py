"""ChemNet (``chemnet``; survey section 5.2, graph.fcd): the penultimate-layer activations FCD compares.

The network and weights are the ones fcd_torch ships (``ChemNet_v0.13_pretrained.pt``, converted from the
Keras model of Preuer et al., 2018; the ``fcd`` package ships the same tensors), loaded offline. Inputs are
prepared as fcd_torch does: each SMILES is canonicalised with RDKit (``Chem.MolToSmiles(Chem.MolFromSmiles(s))``),
one-hot encoded over ChemNet's 35-symbol vocabulary (two-letter symbols Cl, Br, Si; unknown symbols -> 'X'; an
end token '.'), padded to 350 positions and divided by 35. The output is the 512-d state of the last LSTM, one
row per molecule. CPU only, in batches, on one intra-op thread by default: on the 2-core reference machine
torch's default of 2 threads was 4x slower (about 100 vs 420 molecules/s, docs/molecules.md), the LSTM steps
being too small to share.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

PAD_LEN = 350  # the fixed input length of fcd / fcd_torch (the LSTM state depends on the padding)
DIM = 512
WEIGHTS = "ChemNet_v0.13_pretrained.pt"


def canonical_smiles(smiles: str) -> str | None:
    """RDKit's canonical SMILES, None when RDKit cannot parse it (an empty string is invalid, as in MOSES)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles else None
    return None if mol is None else Chem.MolToSmiles(mol)


class ChemNet:
    """ChemNet embeddings: ``embed(smiles) -> (n, 512) float32`` (penultimate layer, as fcd_torch's FCD)."""

    variant = "chemnet"
    dim = DIM

    def __init__(self, batch_size: int = 256, model_path: str | Path | None = None, threads: int | None = 1) -> None:
        import torch
        from fcd_torch.utils import load_imported_model

        if model_path is None:
            import fcd_torch

            model_path = Path(fcd_torch.__file__).parent / WEIGHTS
        if not Path(model_path).is_file():
            raise FileNotFoundError(f"ChemNet weights not found at {model_path} (they ship with fcd_torch)")
        config = torch.load(str(model_path), map_location="cpu", weights_only=True)
        self._model = load_imported_model(config).eval()
        self.batch_size = int(batch_size)
        self.threads = threads  # torch intra-op threads while embedding (None: leave torch's setting)
        self.name = f"ChemNet v0.13 (fcd_torch weights, {Path(model_path).name})"

    def encode(self, smiles: Sequence[str]) -> np.ndarray:
        """The (n, 350, 35) float32 input of a batch of (already canonical) SMILES."""
        from fcd_torch.utils import get_one_hot

        out = np.empty((len(smiles), PAD_LEN, 35), dtype=np.float32)
        for i, s in enumerate(smiles):
            if not s:
                raise ValueError(f"SMILES {i} is empty: ChemNet needs at least one symbol")
            hot = get_one_hot(s, PAD_LEN)
            out[i] = hot / hot.shape[1]
        return out

    def embed(self, smiles: Sequence[str], canonicalize: bool = True, batch_size: int | None = None) -> np.ndarray:
        """Penultimate-layer activations, one 512-d row per SMILES. With ``canonicalize`` (the default, as
        fcd_torch) each SMILES is first canonicalised with RDKit and an invalid one raises ValueError naming it;
        pass ``canonicalize=False`` for SMILES that are already RDKit-canonical."""
        import torch

        smiles = list(smiles)
        if canonicalize:
            canon = []
            for i, s in enumerate(smiles):
                c = canonical_smiles(s)
                if c is None:
                    raise ValueError(f"SMILES {i} ({str(s)[:60]!r}) is not a valid molecule (RDKit cannot parse it); "
                                     "remove invalid SMILES before embedding")
                canon.append(c)
            smiles = canon
        size = int(batch_size or self.batch_size)
        if not smiles:
            return np.zeros((0, DIM), dtype=np.float32)
        parts = []
        with torch.inference_mode(), _threads(self.threads):
            for start in range(0, len(smiles), size):
                x = torch.from_numpy(self.encode(smiles[start:start + size])).transpose(1, 2)
                parts.append(self._model(x).numpy().astype(np.float32, copy=False))
        return np.concatenate(parts, axis=0)


@contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """torch's intra-op thread count set to ``n`` for the block, then restored."""
    import torch

    before = torch.get_num_threads()
    if n is not None and n != before:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
