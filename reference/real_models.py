"""Tiny Hugging Face language models with tied embeddings, built from configs (nothing downloaded),
for the survival table: `python -m reference survival --model reference.real_models:gpt2`.

Needs the `hf` extra (`pip install -e '.[hf]'`). `tests/test_real_models.py` runs the table on each
and compares it, row by row, with the `registered_lm_head` column it predicts them by.
"""

from __future__ import annotations

import torch
from torch import nn

# use_cache=False: no key/value cache in the output, which torch.export cannot flatten (a
# DynamicCache); the table is about the tie, and the logits carry it.
TINY = {"vocab_size": 32, "tie_word_embeddings": True, "use_cache": False}


def gpt2() -> nn.Module:
    """GPT-2: `lm_head.weight` is `transformer.wte.weight`; dropout 0.1 in train mode."""
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(n_positions=16, n_embd=8, n_layer=1, n_head=2, bos_token_id=0, eos_token_id=0, **TINY)  # fmt: skip
    return GPT2LMHeadModel(config)


def llama() -> nn.Module:
    """Llama: `lm_head.weight` is `model.embed_tokens.weight`."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        hidden_size=8,
        intermediate_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=16,
        bos_token_id=0,
        eos_token_id=0,
        **TINY,
    )
    return LlamaForCausalLM(config)


class EncoderDecoderOnTokens(nn.Module):
    """An encoder-decoder called with token ids alone (the table's operations pass one input):
    the decoder reads the same ids."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, decoder_input_ids=input_ids).logits


def t5() -> nn.Module:
    """T5 ties four names to one table: `shared`, both stacks' `embed_tokens`, and `lm_head`."""
    from transformers import T5Config, T5ForConditionalGeneration

    config = T5Config(
        d_model=8,
        d_kv=4,
        d_ff=16,
        num_layers=1,
        num_heads=2,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
        **TINY,
    )
    return EncoderDecoderOnTokens(T5ForConditionalGeneration(config))
