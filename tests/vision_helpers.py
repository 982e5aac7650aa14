"""Helpers shared by the vision-language tests (issue #18): a tiny random-weight CLIP saved where a user would
name it, PNG bytes, and JSON Lines manifests."""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Sequence

import numpy as np


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2 / CLIP byte-level alphabet (as in the CLIP repository)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def make_tiny_clip(path: Path, merges: Sequence[str] = ("c a", "ca t</w>", "d o", "do g</w>", "r e", "re d</w>"),
                   seed: int = 1) -> Path:
    """A random-weight CLIP (1 layer, 32-d, 32 px images) and its processor with a byte-level BPE tokenizer built
    from ``merges``, saved in ``path`` (loadable by path with CLIPModel / CLIPProcessor, offline)."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    chars = list(bytes_to_unicode().values())
    tokens = chars + [c + "</w>" for c in chars] + ["".join(m.split()) for m in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(tokens)}
    (path / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (path / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    tok = CLIPTokenizer(vocab=str(path / "vocab.json"), merges=str(path / "merges.txt"))
    bos, eos = vocab["<|startoftext|>"], vocab["<|endoftext|>"]
    torch.manual_seed(seed)
    cfg = CLIPConfig(text_config=dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=37, num_hidden_layers=1,
                                      num_attention_heads=2, max_position_embeddings=77, bos_token_id=bos,
                                      eos_token_id=eos, pad_token_id=eos),
                     vision_config=dict(image_size=32, patch_size=8, hidden_size=32, intermediate_size=37,
                                        num_hidden_layers=1, num_attention_heads=2), projection_dim=16)
    CLIPModel(cfg).eval().save_pretrained(path)
    CLIPProcessor(image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
                  tokenizer=tok).save_pretrained(path)
    return path


def png_bytes(arr: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path
