"""002_7dbee0fb0b47d5a0.txt: the blog post "PyTorch参数共享" — one Parameter used by several layers.

The models are written as the post writes them. Corrections, with the post's words:
- `return x` sits outside `forward` in all three nets (at class level Python rejects it:
  "'return' outside function"); the reference returns from `forward`.
- "(即[BS, C, H, W]中的[H, W]的转置)": the dims of the weight are [out, in, kh, kw], not
  [BS, C, H, W]; `conv_weight.transpose(2, 3)` does swap the kernel's height and width, which does
  what transposing the image's [H, W], convolving and transposing back does.
- "在gpu上运行时，transpose()后边必须加上.contiguous()…否则会报错": true of PyTorch's cuDNN binding
  until 2018 (cited); the releases run here take the non-contiguous weight (the CPU checked here,
  CUDA where present).
- `num_features` in the suggested initialisation is never defined: the reference takes it to be
  fan_in = in_channels·kh·kw (75 here) and says so.
- "与上边的网络效果相同" (LinearNet2 has the same effect as LinearNet): x·W·Wᵀ equals x·Wᵀ·W only
  when WᵀW = WWᵀ, true for the post's diagonal W, false for a random one.
- Example 4 is a fragment that mixes construction and forward; the reference makes it a small
  complete language-model head, in both modes.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn
from torch.func import functional_call
from torch.nn import functional as F

from .example import HOLDS, HOLDS_ONLY_WHEN, Claim, Example, counter
from .seeding import SEED, generator, seeded
from .tying import parameter_count, shared_gradients

DOCUMENT = "002_7dbee0fb0b47d5a0.txt"
REVIEWED = "2026-12-07"  # the day the claims below were last read against the post


# --- 例子1: two convolutions, one weight, the second use transposed -----------------------------


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_weight = nn.Parameter(torch.randn(3, 3, 5, 5))

    def forward(self, x):
        x = nn.functional.conv2d(x, self.conv_weight, bias=None, stride=1, padding=2, dilation=1, groups=1)  # fmt: skip
        x = nn.functional.conv2d(x, self.conv_weight.transpose(2, 3).contiguous(), bias=None, stride=1, padding=0, dilation=1, groups=1)  # fmt: skip
        return x


class UntiedConvNet(nn.Module):
    """ConvNet with one clone of the weight per use, same values: its two gradients add up to the
    shared weight's gradient.
    """

    def __init__(self, conv_weight: torch.Tensor):
        super().__init__()
        self.first_use = nn.Parameter(conv_weight.detach().clone())
        self.second_use = nn.Parameter(conv_weight.detach().clone())

    def forward(self, x):
        x = F.conv2d(x, self.first_use, padding=2)
        x = F.conv2d(x, self.second_use.transpose(2, 3).contiguous(), padding=0)
        return x


def untie_conv_weight(model: nn.Module) -> tuple[nn.Module, dict[str, list[str]]]:
    return UntiedConvNet(model.conv_weight), {"conv_weight": ["first_use", "second_use"]}


def two_images_three_channels(g: torch.Generator) -> torch.Tensor:
    return torch.randn(2, 3, 8, 8, generator=g)


# --- 注意: the suggested He initialisation --------------------------------------------------------


def he_scaled_randn(*shape: int) -> torch.Tensor:
    """The post's `torch.randn(shape) * torch.tensor(2/num_features).sqrt_()`.

    The post never defines `num_features`; it is taken to be fan_in, the number of inputs one output
    sums over: in_channels·kh·kw of a conv weight [out, in, kh, kw] (3·5·5 = 75 here), the n^[l-1]
    of the formula it quotes. This draws what `nn.init.kaiming_normal_(w, nonlinearity="relu")` draws.
    """
    num_features = math.prod(shape[1:])
    return torch.randn(shape) * torch.tensor(2 / num_features).sqrt_()


class HeInitConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_weight = nn.Parameter(he_scaled_randn(3, 3, 5, 5))

    def forward(self, x):  # ConvNet's forward
        x = nn.functional.conv2d(x, self.conv_weight, bias=None, stride=1, padding=2, dilation=1, groups=1)  # fmt: skip
        x = nn.functional.conv2d(x, self.conv_weight.transpose(2, 3).contiguous(), bias=None, stride=1, padding=0, dilation=1, groups=1)  # fmt: skip
        return x


# --- 例子2 and 例子3: two linear maps, one weight ---------------------------------------------------


class LinearNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear_weight = nn.Parameter(torch.randn(3, 3))

    def forward(self, x):
        x = nn.functional.linear(x, self.linear_weight)  # x·Wᵀ
        x = nn.functional.linear(x, self.linear_weight.t())  # ·W
        return x


class LinearNet2(nn.Module):
    def __init__(self):
        super().__init__()
        # The post's `torch.FloatTensor([...])` is the legacy constructor; `torch.tensor` makes the
        # same float32 values.
        self.w = nn.Parameter(torch.tensor([[1.1, 0, 0], [0, 1, 0], [0, 0, 1]]))

    def forward(self, x):
        x = x.mm(self.w)  # x·W
        x = x.mm(self.w.t())  # ·Wᵀ
        return x


class UntiedLinearNet(nn.Module):
    """LinearNet with one clone of the weight per use (same values)."""

    def __init__(self, linear_weight: torch.Tensor):
        super().__init__()
        self.first_use = nn.Parameter(linear_weight.detach().clone())
        self.second_use = nn.Parameter(linear_weight.detach().clone())

    def forward(self, x):
        return F.linear(F.linear(x, self.first_use), self.second_use.t())


class UntiedLinearNet2(nn.Module):
    """LinearNet2 with one clone of the weight per use (same values)."""

    def __init__(self, w: torch.Tensor):
        super().__init__()
        self.first_use = nn.Parameter(w.detach().clone())
        self.second_use = nn.Parameter(w.detach().clone())

    def forward(self, x):
        return x.mm(self.first_use).mm(self.second_use.t())


def untie_linear_weight(model: nn.Module) -> tuple[nn.Module, dict[str, list[str]]]:
    return UntiedLinearNet(model.linear_weight), {"linear_weight": ["first_use", "second_use"]}


def untie_w(model: nn.Module) -> tuple[nn.Module, dict[str, list[str]]]:
    return UntiedLinearNet2(model.w), {"w": ["first_use", "second_use"]}


def two_rows_three_features(g: torch.Generator) -> torch.Tensor:
    return torch.randn(2, 3, generator=g)


# --- 例子4: the token embedding reused as the output projection ------------------------------------

VOCABULARY_SIZE, EMBEDDING_DIM = 11, 6


class TiedLanguageModel(nn.Module):
    """tokens -> embeddings -> hidden (Linear, tanh) -> logits over the vocabulary.

    With `share_input_output_embed` the logits are `F.linear(x, embed_tokens.weight)`: the embedding
    table is the output projection. Sharing needs the hidden size (the post's `output_embed_dim`) to
    equal the embedding size.
    """

    def __init__(self, num_embeddings, embedding_dim, share_input_output_embed=True):
        super().__init__()
        self.share_input_output_embed = share_input_output_embed
        self.embed_tokens = nn.Embedding(num_embeddings, embedding_dim)
        self.hidden = nn.Linear(embedding_dim, embedding_dim)
        if not self.share_input_output_embed:
            # The post's `torch.Tensor(len(dictionary), output_embed_dim)` is the legacy constructor;
            # `torch.empty` is its current spelling (uninitialised memory, filled on the next line).
            self.embed_out = nn.Parameter(torch.empty(num_embeddings, embedding_dim))
            nn.init.normal_(self.embed_out, mean=0, std=embedding_dim**-0.5)

    def forward(self, tokens):
        x = torch.tanh(self.hidden(self.embed_tokens(tokens)))
        if self.share_input_output_embed:
            x = F.linear(x, self.embed_tokens.weight)
        else:
            x = F.linear(x, self.embed_out)
        return x


def shared_language_model() -> TiedLanguageModel:
    return TiedLanguageModel(VOCABULARY_SIZE, EMBEDDING_DIM, share_input_output_embed=True)


def untied_language_model() -> TiedLanguageModel:
    return TiedLanguageModel(VOCABULARY_SIZE, EMBEDDING_DIM, share_input_output_embed=False)


def untie_output_projection(model: nn.Module) -> tuple[nn.Module, dict[str, list[str]]]:
    """The untied mode with `embed_out` a clone of the embedding table: same logits, two tensors."""
    twin = copy.deepcopy(model)
    twin.share_input_output_embed = False
    twin.embed_out = nn.Parameter(model.embed_tokens.weight.detach().clone())
    return twin, {"embed_tokens.weight": ["embed_tokens.weight", "embed_out"]}


def two_sentences_of_five_tokens(g: torch.Generator) -> torch.Tensor:
    return torch.randint(VOCABULARY_SIZE, (2, 5), generator=g)


# --- 初始化的时候还可以让padding的部分为0 ------------------------------------------------------------

PADDING_IDX = 0


def Embedding(num_embeddings, embedding_dim, padding_idx):  # the post's name, capitalised
    m = nn.Embedding(num_embeddings, embedding_dim, padding_idx=padding_idx)
    nn.init.normal_(m.weight, mean=0, std=embedding_dim**-0.5)
    # nn.Embedding zeroes the padding row itself, but normal_ just overwrote it.
    nn.init.constant_(m.weight[padding_idx], 0)
    return m


def padded_embedding() -> nn.Embedding:
    return Embedding(VOCABULARY_SIZE, EMBEDDING_DIM, padding_idx=PADDING_IDX)


def two_padded_sentences(g: torch.Generator) -> torch.Tensor:
    tokens = torch.randint(1, VOCABULARY_SIZE, (2, 5), generator=g)
    tokens[0, 3:] = PADDING_IDX  # the first sentence is two tokens shorter
    return tokens


# --- claims ---------------------------------------------------------------------------------------


class ConvNetPaddedTwice(ConvNet):
    """A counter-case: ConvNet with its second conv padded by 2 too, so the output keeps (H, W)."""

    def forward(self, x):
        x = F.conv2d(x, self.conv_weight, padding=2)
        return F.conv2d(x, self.conv_weight.transpose(2, 3), padding=2)


class ConvNetWrongAtOneSize(ConvNet):
    """A counter-case: ConvNet with one output column too many for inputs of shape `wrong_at` only,
    so that each size the check tries decides on its own."""

    def __init__(self, wrong_at: tuple[int, ...]):
        super().__init__()
        self.wrong_at = wrong_at

    def forward(self, x):
        out = super().forward(x)
        return F.pad(out, (0, 1)) if tuple(x.shape) == self.wrong_at else out


def conv_net_wrong_at_1_3_8_8() -> ConvNet:
    """ConvNetWrongAtOneSize at the first size the check tries."""
    return ConvNetWrongAtOneSize((1, 3, 8, 8))


def conv_net_wrong_at_2_3_9_12() -> ConvNet:
    """ConvNetWrongAtOneSize at the second size the check tries."""
    return ConvNetWrongAtOneSize((2, 3, 9, 12))


def conv_net_wrong_at_3_3_5_7() -> ConvNet:
    """ConvNetWrongAtOneSize at the third size the check tries."""
    return ConvNetWrongAtOneSize((3, 3, 5, 7))


def output_loses_four_rows_and_columns(device: torch.device, build=None) -> bool:
    model = CONV_SHARED_TRANSPOSE.model(device, build=build)
    g = generator()
    sizes = [(1, 3, 8, 8), (2, 3, 9, 12), (3, 3, 5, 7)]
    return all(
        model(torch.randn(n, c, h, w, generator=g).to(device)).shape == (n, 3, h - 4, w - 4)
        for n, c, h, w in sizes
    )


class ConvNetTransposingActivation(ConvNet):
    """A counter-case: ConvNet as the post's words read literally, the second conv transposing the
    activation's [H, W] (and not back) and reading the kernel as it is."""

    def forward(self, x):
        x = F.conv2d(x, self.conv_weight, padding=2)
        return F.conv2d(x.transpose(2, 3), self.conv_weight)


class ConvNetKernelNotTransposed(ConvNet):
    """A counter-case: ConvNet with the second conv reading the kernel as it is, not transposed."""

    def forward(self, x):
        x = F.conv2d(x, self.conv_weight, padding=2)
        return F.conv2d(x, self.conv_weight)


class ConvNetSwappingChannels(ConvNet):
    """A counter-case: ConvNet with the second conv's weight transposed at (0, 1), the dims the post
    labels [BS, C] (a weight's out and in channels), not at (2, 3)."""

    def forward(self, x):
        x = F.conv2d(x, self.conv_weight, padding=2)
        return F.conv2d(x, self.conv_weight.transpose(0, 1).contiguous())


# The second conv against "transpose the activation's [H, W], convolve with the kernel as it is,
# transpose back": the same products summed in another order. Measured on the example (torch 2.13,
# CPU): 4.6e-5 apart at a scale of 156, 3e-7 of it; a kernel not transposed, the activation not
# transposed back, or the channels swapped: 1.0 to 1.6 of it. 1e-5 sits 30x above the one and 1e5x
# below the other.
TRANSPOSE_RTOL = 1e-5


def close_at_scale(a: torch.Tensor, b: torch.Tensor, rtol: float) -> bool:
    """`a` equals `b` in value up to `rtol` of `b`'s largest magnitude, judged on the whole tensor."""
    if a.shape != b.shape:
        raise ValueError(
            f"close_at_scale compares tensors of one shape, not {a.shape} and {b.shape}"
        )
    return (a - b).abs().max().item() <= rtol * b.abs().max().item()


def kernel_transpose_is_the_hw_transpose(device: torch.device, build=None) -> bool:
    """The second conv (weight `conv_weight.transpose(2, 3)`) does what transposing the first conv's
    output in [H, W], convolving with `conv_weight` as it is and transposing back does: dims 2 and 3
    of the weight [out, in, kh, kw] are the kernel's height and width."""
    model = CONV_SHARED_TRANSPOSE.model(device, build=build)
    x = CONV_SHARED_TRANSPOSE.input(device)
    weight = model.conv_weight.detach()
    h = F.conv2d(x, weight, padding=2)
    hw_transposed_and_back = F.conv2d(h.transpose(2, 3), weight).transpose(2, 3)
    return close_at_scale(model(x).detach(), hw_transposed_and_back, TRANSPOSE_RTOL)


def conv2d_by_unfold(x: torch.Tensor, weight: torch.Tensor, padding: int = 0) -> torch.Tensor:
    """A counter-case: conv2d (stride 1, no bias) written by hand as a matrix product over unfolded
    patches. Its `weight.view` needs a contiguous weight: for this conv the post's warning is true."""
    n, _, h, w = x.shape
    out_channels, _, kh, kw = weight.shape
    patches = F.unfold(x, (kh, kw), padding=padding)  # [N, in·kh·kw, L]
    product = weight.view(out_channels, -1) @ patches  # [N, out, L]
    return product.view(n, out_channels, h + 2 * padding - kh + 1, w + 2 * padding - kw + 1)


def conv2d_by_unfold_on_small_maps(x: torch.Tensor, weight: torch.Tensor, padding: int = 0):
    """A counter-case: a conv2d that picks its kernel by size, as libraries do: the unfold path
    (needs a contiguous weight) for maps up to 8×8, F.conv2d for larger ones."""
    if max(x.shape[-2:]) <= 8:
        return conv2d_by_unfold(x, weight, padding)
    return F.conv2d(x, weight, padding=padding)


def conv2d_off_for_strided_weight(x: torch.Tensor, weight: torch.Tensor, padding: int = 0):
    """A counter-case: a conv2d whose result is 0.5% too large for a non-contiguous weight (its
    gradient is right)."""
    out = F.conv2d(x, weight, padding=padding)
    return out if weight.is_contiguous() else out + 0.005 * out.detach()


def conv2d_gradient_off_for_strided_weight(x: torch.Tensor, weight: torch.Tensor, padding: int = 0):
    """A counter-case: a conv2d whose weight gradient is 0.5% too large for a non-contiguous weight
    (its result is right)."""
    if not weight.is_contiguous():
        weight = weight + 0.005 * (weight - weight.detach())  # same values, gradient × 1.005
    return F.conv2d(x, weight, padding=padding)


def conv_net_weight_stored_transposed() -> ConvNet:
    """A counter-case: ConvNet with its weight's memory laid out (kh, kw)-swapped (same values), so
    that `transpose(2, 3)` of it is contiguous."""
    net = ConvNet()
    weight = net.conv_weight.detach()
    net.conv_weight = nn.Parameter(weight.transpose(2, 3).contiguous().transpose(2, 3))
    return net


def conv2d_accepts_non_contiguous_weight(device: torch.device, conv2d=F.conv2d, build=None) -> bool:
    """On `device`, conv2d runs with the transposed weight left non-contiguous, forward and backward,
    and gives what the `.contiguous()` copy gives.
    """
    model = CONV_SHARED_TRANSPOSE.model(device, build=build)
    x = CONV_SHARED_TRANSPOSE.input(device)
    h = conv2d(x, model.conv_weight, padding=2).detach()
    transposed = model.conv_weight.transpose(2, 3)
    if transposed.is_contiguous():
        return False  # nothing tested
    try:
        without = conv2d(h, transposed)
        (grad_without,) = torch.autograd.grad(without.sum(), model.conv_weight)
    except RuntimeError:
        return False
    with_copy = conv2d(h, transposed.contiguous())
    (grad_with_copy,) = torch.autograd.grad(with_copy.sum(), model.conv_weight)
    # Loose enough for TF32 convolutions where they are enabled; a wrong layout is off by O(1).
    return torch.allclose(without, with_copy, rtol=1e-3, atol=1e-3) and torch.allclose(
        grad_without, grad_with_copy, rtol=1e-3, atol=1e-3
    )


# The std of n normal draws has a standard deviation of about σ/√(2n): 0.31% of σ for a
# (32, 64, 5, 5) draw, so 2% is 6.4 of those; fan_out's std is √2 away (41%).
LARGE_DRAW_RTOL = 0.02
LARGE_DRAW_SHAPE = (32, 64, 5, 5)  # in ≠ out channels, so fan_in (1600) and fan_out (800) differ


def std_matches(weight: torch.Tensor, rtol: float) -> bool:
    fan_in = weight[0].numel()
    return math.isclose(weight.std().item(), math.sqrt(2 / fan_in), rel_tol=rtol)


def fan_out_scaled_randn(*shape: int) -> torch.Tensor:
    """A counter-case: `he_scaled_randn` with `num_features` taken to be fan_out, the number of
    outputs one input feeds: out_channels·kh·kw of a conv weight [out, in, kh, kw]."""
    num_features = shape[0] * math.prod(shape[2:])
    return torch.randn(shape) * torch.tensor(2 / num_features).sqrt_()


def he_std_of_a_large_draw(device: torch.device, draw=he_scaled_randn) -> bool:
    with seeded():
        weight = draw(*LARGE_DRAW_SHAPE)
    return std_matches(weight.to(device), LARGE_DRAW_RTOL)


# --- 注意's advice: with ReLU, 2/n rather than 1/n ------------------------------------------------

# A deep plain network, as the advice is about: 50 layers of 256 units, a batch of 256.
DEPTH, WIDTH, BATCH = 50, 256, 256


def identity(x: torch.Tensor) -> torch.Tensor:
    """A counter-case's activation: none (a linear network)."""
    return x


def rms(t: torch.Tensor) -> float:
    return t.pow(2).mean().sqrt().item()


def orders_moved(variance_times_n: float, activation, device: torch.device) -> dict[str, float]:
    """Through DEPTH layers of WIDTH units, weights drawn as the post draws them (randn · sqrt(c/n),
    c = `variance_times_n`), each followed by `activation`: how many orders of magnitude the rms of
    the activations moves from the input to the output (forward), and the rms of the gradient from
    the output back to the input (backward, a random gradient sent in)."""
    g = generator()
    x = torch.randn(BATCH, WIDTH, generator=g).to(device).requires_grad_()
    weights = [
        (torch.randn(WIDTH, WIDTH, generator=g) * math.sqrt(variance_times_n / WIDTH)).to(device)
        for _ in range(DEPTH)
    ]
    a = x
    for w in weights:
        a = activation(a @ w.T)
    upstream = torch.randn(a.shape, generator=g).to(device)
    a.backward(upstream)
    return {
        "forward": math.log10(rms(a) / rms(x)),
        "backward": math.log10(rms(x.grad) / rms(upstream)),
    }


def farthest_moved(variance_times_n: float, activation, device: torch.device) -> float:
    """How far (orders of magnitude) the activations or the gradients move, whichever moves more."""
    return max(abs(v) for v in orders_moved(variance_times_n, activation, device).values())


def two_over_n_better_with_relu(device: torch.device, activation=torch.relu) -> bool:
    """With ReLU (or `activation`), drawing at variance 2/n moves the activations and gradients of a
    deep network less than 1/n does: 1/n halves their square at every layer (ReLU zeroes half)."""
    return farthest_moved(2, activation, device) < farthest_moved(1, activation, device)


class LinearNetTransposeFirst(LinearNet):
    """A counter-case: LinearNet with the transpose on the first use: x·W·Wᵀ, LinearNet2's product."""

    def forward(self, x):
        return F.linear(F.linear(x, self.linear_weight.t()), self.linear_weight)


class LinearNetOffByAThousandth(LinearNet):
    """A counter-case: LinearNet with 1e-3 added to its output, beyond rounding."""

    def forward(self, x):
        return super().forward(x) + 1e-3


def computes_x_wt_w(device: torch.device, build=None) -> bool:
    model = LINEAR_NET_TRANSPOSE.model(device, build=build)
    x = LINEAR_NET_TRANSPOSE.input(device)
    w = model.linear_weight.detach()
    # allclose's relative 1e-5 (about 80 float32 ulps) decides: the outputs are 4.7 to 23 in size.
    return torch.allclose(model(x), x @ w.T @ w)


def is_normal(w: torch.Tensor) -> bool:
    return torch.allclose(w.T @ w, w @ w.T, atol=1e-6)


# A counter-case: the post's diagonal W with one entry off the diagonal (a shear): WᵀW ≠ WWᵀ.
SHEARED_W = torch.tensor([[1.1, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


# A counter-case: WᵀW − WWᵀ = 8e-7 (normal within is_normal's 1e-6), nets 1.2e-6 apart.
NORMAL_WITHIN_TOLERANCE_W = torch.tensor([[1.0, 0.0, 8e-7], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
# A counter-case: WᵀW − WWᵀ up to 1.25e-6 (not normal), yet the nets' outputs (about 1e-6) agree
# within the check's 1e-6.
SMALL_NON_NORMAL_W = 5e-4 * torch.tensor([[1.0, 2.0, -1.0], [0.0, 2.0, 0.0], [0.0, 1.0, 1.0]])


def same_as_linear_net_only_for_normal_w(
    device: torch.device, document_w=None, other_w=None
) -> bool:
    """Both nets loaded with the same W: they agree for the post's diagonal W (or `document_w`), not
    for a random W (or `other_w`)."""
    mm_net, transpose_net = LINEAR_NET_MM.model(device), LINEAR_NET_TRANSPOSE.model(device)
    x = LINEAR_NET_MM.input(device)

    def agree_with(w: torch.Tensor) -> bool:
        with torch.no_grad():
            mm_net.w.copy_(w)
            transpose_net.linear_weight.copy_(w)
        return torch.allclose(mm_net(x), transpose_net(x), atol=1e-6)

    if document_w is None:
        document_w = mm_net.w.detach().clone()
    document_w = document_w.to(device)
    random_w = torch.randn(3, 3, generator=generator(SEED + 1)).to(device)
    if other_w is not None:
        random_w = other_w.to(device)
    return (
        is_normal(document_w)
        and agree_with(document_w)
        and not is_normal(random_w)
        and not agree_with(random_w)
    )


class FrozenCopyProjectionLanguageModel(TiedLanguageModel):
    """A counter-case: the shared mode with the projection reading a frozen copy of the table (a
    buffer, not a Parameter): one vocabulary-sized Parameter, but the logits do not read it."""

    def __init__(self, num_embeddings, embedding_dim):
        super().__init__(num_embeddings, embedding_dim)
        self.register_buffer("projection", self.embed_tokens.weight.detach().clone())

    def forward(self, tokens):
        return F.linear(torch.tanh(self.hidden(self.embed_tokens(tokens))), self.projection)


def frozen_copy_projection_language_model() -> TiedLanguageModel:
    """FrozenCopyProjectionLanguageModel at the example's sizes."""
    return FrozenCopyProjectionLanguageModel(VOCABULARY_SIZE, EMBEDDING_DIM)


def zero_table_language_model() -> TiedLanguageModel:
    """A counter-case: the shared mode with the table initialised to zeros: every logit is zero."""
    model = shared_language_model()
    with torch.no_grad():
        model.embed_tokens.weight.zero_()
    return model


class OffsetLogitsLanguageModel(TiedLanguageModel):
    """A counter-case: the shared mode with 1e-7 added to every logit, a part that does not come
    from the table."""

    def forward(self, tokens):
        return super().forward(tokens) + 1e-7


def small_table_offset_logits_language_model() -> TiedLanguageModel:
    """A counter-case: OffsetLogitsLanguageModel with the table scaled by 0.01 (logits about 0.01)."""
    model = OffsetLogitsLanguageModel(VOCABULARY_SIZE, EMBEDDING_DIM)
    with torch.no_grad():
        model.embed_tokens.weight.mul_(0.01)
    return model


def tied_language_model_keeping_embed_out() -> TiedLanguageModel:
    """A counter-case: the shared mode that still registers a separate embed_out, unused: the logits
    read the table, but nothing is saved."""
    model = shared_language_model()
    model.embed_out = nn.Parameter(torch.empty(VOCABULARY_SIZE, EMBEDDING_DIM))
    nn.init.normal_(model.embed_out, mean=0, std=EMBEDDING_DIM**-0.5)
    return model


def output_projection_is_the_table(device: torch.device, build=None) -> bool:
    """The logits read the table itself (zeroed, they vanish), and the model holds V·D parameters
    fewer than the mode with a separate embed_out."""
    shared = TIED_EMBEDDINGS.model(device, build=build)
    untied = TIED_EMBEDDINGS.model(device, variant="untied")
    tokens = TIED_EMBEDDINGS.input(device)
    table = shared.embed_tokens.weight
    vocabulary_size, dim = table.shape
    saved = parameter_count(untied)["unique"] - parameter_count(shared)["unique"]
    # The logits read the table: with it zeroed (and nothing else changed) they vanish. "Vanish" is
    # relative to the logits' scale (float32's epsilon of it): another kernel's rounding of a zero
    # product is a few ulps of zero, a projection that does not read the table is of the logits' size.
    zeroed = {"embed_tokens.weight": torch.zeros_like(table)}
    logits = shared(tokens)
    logits_from_zero_table = functional_call(shared, zeroed, (tokens,))
    scale = logits.abs().max().item()
    return (
        saved == vocabulary_size * dim
        and scale > 0
        and logits_from_zero_table.abs().max().item() <= torch.finfo(logits.dtype).eps * scale
    )


class DetachedProjectionLanguageModel(TiedLanguageModel):
    """A counter-case: the shared mode with the projection reading `embed_tokens.weight.detach()`.
    The table is used twice but learns through the lookup only."""

    def forward(self, tokens):
        if not self.share_input_output_embed:
            return super().forward(tokens)
        x = torch.tanh(self.hidden(self.embed_tokens(tokens)))
        return F.linear(x, self.embed_tokens.weight.detach())


def detached_projection_language_model() -> TiedLanguageModel:
    return DetachedProjectionLanguageModel(VOCABULARY_SIZE, EMBEDDING_DIM)


def table_gradient_is_lookup_plus_projection(device: torch.device, build=None) -> bool:
    """One shared Parameter, the table, used twice, its gradient the sum of both uses'."""
    model, tokens = TIED_EMBEDDINGS.model(device, build=build), TIED_EMBEDDINGS.input(device)
    facts = shared_gradients(model, tokens, TIED_EMBEDDINGS.forward, TIED_EMBEDDINGS.untie)
    return [(f["names"][0], f["uses"], f["equals_sum_of_uses"]) for f in facts] == [
        ("embed_tokens.weight", 2, True)
    ]


def embedding_padding_row_overwritten() -> nn.Embedding:
    """A counter-case: the post's Embedding without its last line, so normal_ overwrites the zero
    padding row that nn.Embedding wrote."""
    m = nn.Embedding(VOCABULARY_SIZE, EMBEDDING_DIM, padding_idx=PADDING_IDX)
    nn.init.normal_(m.weight, mean=0, std=EMBEDDING_DIM**-0.5)
    return m


def embedding_padding_row_and_next_zeroed() -> nn.Embedding:
    """A counter-case: the post's Embedding with an off-by-one slice that zeroes the padding row
    and the next one."""
    m = padded_embedding()
    nn.init.constant_(m.weight[PADDING_IDX : PADDING_IDX + 2], 0)
    return m


def two_unpadded_sentences() -> torch.Tensor:
    """A counter-case: the example's sentences drawn without the padding token."""
    return torch.randint(1, VOCABULARY_SIZE, (2, 5), generator=generator())


def padding_row_is_zero(device: torch.device, build=None, sentences=None) -> bool:
    """`sentences` replace the example's input."""
    embedding = EMBEDDING_PADDING.model(device, build=build)
    tokens = EMBEDDING_PADDING.input(device) if sentences is None else sentences.to(device)
    padding = embedding.padding_idx
    weight = embedding.weight.detach()
    others = torch.cat((weight[:padding], weight[padding + 1 :]))
    # A padding token's embedding is its row: zero when the row is, so the row alone is checked.
    at_padding = embedding(tokens)[tokens == padding]
    return at_padding.numel() > 0 and not weight[padding].any() and bool(others.ne(0).all())


def embedding_without_padding_idx() -> nn.Embedding:
    """A counter-case: the post's Embedding with the padding row zeroed but no padding_idx given to
    nn.Embedding. The row starts at zero and nothing keeps it there."""
    m = nn.Embedding(VOCABULARY_SIZE, EMBEDDING_DIM)
    nn.init.normal_(m.weight, mean=0, std=EMBEDDING_DIM**-0.5)
    nn.init.constant_(m.weight[PADDING_IDX], 0)
    return m


def padding_row_gets_no_gradient(
    device: torch.device, build=None, sentences=None, ignored_token=None
) -> bool:
    """After backward the padding row's gradient is zero (so an optimizer step leaves the row where
    it is: tests/test_claims_a.py), while every other row used gets one. `sentences` replace the
    example's input; the loss gives `ignored_token` the weight 0."""
    embedding = EMBEDDING_PADDING.model(device, build=build)
    tokens = EMBEDDING_PADDING.input(device) if sentences is None else sentences.to(device)
    padding = PADDING_IDX  # the token the sentences are padded with
    used = tokens.unique()
    outputs = embedding(tokens)
    weights = torch.randn(outputs.shape, generator=generator(SEED + 1)).to(device)  # a generic loss
    if ignored_token is not None:
        weights[tokens == ignored_token] = 0
    (outputs * weights).sum().backward()
    grad = embedding.weight.grad
    return (
        bool((used == padding).any())
        and not grad[padding].any()
        and bool(grad[used[used != padding]].ne(0).any(dim=1).all())
    )


# --- the examples ---------------------------------------------------------------------------------

RETURN_OUTSIDE_FORWARD = (
    "`return x` is indented at class level, outside `forward` (Python rejects it: 'return' "
    "outside function); the reference returns from `forward`"
)

CONV_SHARED_TRANSPOSE = Example(
    name="conv_shared_transpose",
    shares=("conv_weight",),
    document=DOCUMENT,
    shows="例子1: ConvNet, one conv weight used by two conv2d calls, the second transposed",
    build=ConvNet,
    make_input=two_images_three_channels,
    untie=untie_conv_weight,
    claims=(
        Claim(
            "output_shape",
            "for an input (N, 3, H, W) the output is (N, 3, H-4, W-4): padding 2 keeps the size, "
            "the second 5×5 conv without padding removes 4 (checked for several sizes)",
            HOLDS,
            output_loses_four_rows_and_columns,
            counters=(
                counter("the second conv padded by 2 too: (N, 3, H, W)", build=ConvNetPaddedTwice),
                counter(
                    "one column too many at (1, 3, 8, 8) only", build=conv_net_wrong_at_1_3_8_8
                ),
                counter(
                    "one column too many at (2, 3, 9, 12) only", build=conv_net_wrong_at_2_3_9_12
                ),
                counter(
                    "one column too many at (3, 3, 5, 7) only", build=conv_net_wrong_at_3_3_5_7
                ),
            ),
            quote="上边这段程序定义了两个卷积层，这两个卷积层共享一个权重conv_weight",
            place="例子1, the paragraph after the ConvNet code",
            reading=(
                "the project's finding, not a statement of the post: the post says the code "
                "defines two conv layers sharing one weight and prints no output; the shapes "
                "follow from its padding (2, then 0) and the 5×5 kernel"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
        Claim(
            "transpose_of_h_w",
            "the second conv's weight is conv_weight transposed at (2, 3), the transpose of [H, W] "
            "(即[BS, C, H, W]中的[H, W]的转置): it does what transposing the image's [H, W], "
            "convolving and transposing back does",
            HOLDS,
            kernel_transpose_is_the_hw_transpose,
            counters=(
                counter(
                    "the post's words read literally: the activation's [H, W] transposed (not "
                    "back), the kernel as it is",
                    build=ConvNetTransposingActivation,
                ),
                counter("a second conv that transposes nothing", build=ConvNetKernelNotTransposed),
                counter(
                    "the weight transposed at (0, 1), the dims the post labels [BS, C]",
                    build=ConvNetSwappingChannels,
                ),
            ),
            quote="第二个卷积层是conv_weight的**(2, 3)位置上的转置**（即[BS, C, H, W]中的[H, W]的转置）",
            place="例子1, the paragraph after the ConvNet code",
            reading=(
                "the subject is conv_weight: transpose(2, 3) swaps its last two dims, which the "
                "post calls H and W, the kernel's height and width; so the second conv does what "
                "transposing the image's [H, W] around a conv with the kernel as it is (transpose, "
                "convolve, transpose back) does. The dims of a conv weight are [out, in, kh, kw]: "
                "the labels BS and C are wrong, the transpose is right"
            ),
            literal=(
                "the activation [BS, C, H, W] is transposed: false, the code transposes the weight; "
                "transposing the activation alone (not back) gives the output transposed"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "contiguous_required_on_gpu",
            "on the GPU, transpose() must be followed by .contiguous(), otherwise conv2d errors "
            "(注意在gpu上运行时，transpose()后边必须加上.contiguous()…否则会报错)",
            HOLDS_ONLY_WHEN,
            conv2d_accepts_non_contiguous_weight,
            about_cuda=True,
            counters=(
                counter(
                    "a hand-written conv (unfold, weight.view) that needs a contiguous weight",
                    conv2d=conv2d_by_unfold,
                ),
                counter(
                    "a conv that needs a contiguous weight on maps up to 8×8 (this example's)",
                    conv2d=conv2d_by_unfold_on_small_maps,
                ),
                counter(
                    "a conv 0.5% off for a non-contiguous weight",
                    conv2d=conv2d_off_for_strided_weight,
                ),
                counter(
                    "a conv whose weight gradient is 0.5% off for a non-contiguous weight",
                    conv2d=conv2d_gradient_off_for_strided_weight,
                ),
                counter(
                    "the weight stored (kh, kw)-swapped: its transpose is contiguous, nothing tested",
                    build=conv_net_weight_stored_transposed,
                ),
            ),
            condition=(
                "the PyTorch is 0.3 or older, a release before 0.4.0 (April 2018) (cited, not run "
                "here): its cuDNN binding refused a non-contiguous weight, 'cuDNN requires "
                "contiguous weight tensor' (the check of pytorch/pytorch#548, January 2017; still "
                "met on 0.3 in #5044, February 2018); #4543 (merged January 2018, first released "
                "in 0.4.0) makes conv2d copy the weight to contiguous itself, "
                "#13556 (November 2018) likewise on the GPU's path without cuDNN. On the releases "
                "run here the check decides it on CUDA only"
            ),
            quote="注意在gpu上运行时，transpose()后边必须加上.contiguous()，可使被用于转置操作的内存块连续化，否则会报错。",
            place="例子1, the bold note at the end of the paragraph after the ConvNet code",
            reading=(
                "on the GPU, F.conv2d given the transposed (non-contiguous) weight raises an error: "
                "a statement about the GPU and the PyTorch of its day; a CPU run does not decide it"
            ),
            reviewed=REVIEWED,
        ),
    ),
    corrections=(
        RETURN_OUTSIDE_FORWARD,
        "the text labels the weight's dims [BS, C, H, W]: a conv weight's are [out, in, kh, kw]; "
        "transpose(2, 3) swaps the kernel's height and width, which does what transposing the "
        "image's [H, W], convolving and transposing back does",
        "the text says conv2d errors on the GPU without .contiguous() after transpose(): PyTorch "
        "0.3 and earlier did (pytorch/pytorch#5044); since pytorch/pytorch#4543 conv2d makes the "
        "weight contiguous itself, and the releases run here accept it on the CPU (checked) and on "
        "CUDA where present",
    ),
)

HE_INIT_CONV = Example(
    name="he_init_conv",
    shares=("conv_weight",),
    document=DOCUMENT,
    shows="注意: ConvNet's weight scaled by sqrt(2/num_features) for ReLU (He init)",
    build=HeInitConvNet,
    make_input=two_images_three_channels,
    untie=untie_conv_weight,
    claims=(
        Claim(
            "relu_two_over_n",
            "with ReLU, drawing the weights at variance 2/n instead of 1/n works better against "
            "vanishing and exploding gradients (如果使用的是ReLU激活函数…2/n…效果会更好): in a "
            f"{DEPTH}-layer ReLU network of {WIDTH} units, 2/n keeps the activations and the "
            "gradients within an order of magnitude, 1/n shrinks both by about 2^-25",
            HOLDS,
            two_over_n_better_with_relu,
            counters=(
                counter(
                    "a linear network (no activation): 1/n keeps the scale, 2/n explodes it",
                    activation=identity,
                ),
            ),
            quote=(
                "如果使用的是ReLU激活函数，可以将$\\frac{1}{n^{[l-1]}}$更改成$\\frac{2}{n^{[l-1]}}$，"
                "效果会更好"
            ),
            place="注意, the quoted note under the two formulas",
            reading=(
                "the note's aim, 'to reduce vanishing and exploding gradients': with ReLU, weights "
                "drawn at variance 2/n^[l-1] keep a deep network's activations and gradients at "
                "their scale better than 1/n^[l-1] (He et al. 2015); judged on a deep plain network, "
                "where the difference shows, by how many orders of magnitude each moves them"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "std_of_a_large_draw",
            "the suggested code draws at std sqrt(2/num_features), num_features being fan_in (the "
            "n^[l-1] of the formula): a (32, 64, 5, 5) draw made the same way (fan_in 1600, "
            "fan_out 800) within 2%",
            HOLDS,
            he_std_of_a_large_draw,
            counters=(
                counter(
                    "num_features taken to be fan_out (800), not fan_in", draw=fan_out_scaled_randn
                ),
            ),
            quote="torch.tensor(2/num_features).sqrt_()",
            place="注意, the suggested initialisation code",
            reading=(
                "num_features, never defined, is the n^[l-1] of the formula above it, the number of "
                "inputs one output sums over: fan_in = in·kh·kw of a conv weight. The post's own "
                "kernel (3, 3, 5, 5) has fan_in = fan_out = 75 and cannot tell the two apart, so "
                "the draw is checked on a kernel whose fan_in and fan_out differ"
            ),
            reviewed=REVIEWED,
        ),
    ),
    corrections=(
        "`num_features` is never defined: the reference takes it to be fan_in = in_channels·kh·kw "
        "(3·5·5 = 75), the n^[l-1] of the formula the post quotes",
    ),
)

LINEAR_NET_TRANSPOSE = Example(
    name="linear_net_transpose",
    shares=("linear_weight",),
    document=DOCUMENT,
    shows="例子2: LinearNet, F.linear with a weight and then with its transpose",
    build=LinearNet,
    make_input=two_rows_three_features,
    untie=untie_linear_weight,
    claims=(
        Claim(
            "computes_x_wt_w",
            "the two layers, a parameter and its transpose, compute x·Wᵀ·W",
            HOLDS,
            computes_x_wt_w,
            counters=(
                counter("the transpose on the first use: x·W·Wᵀ", build=LinearNetTransposeFirst),
                counter("x·Wᵀ·W + 1e-3", build=LinearNetOffByAThousandth),
            ),
            quote="这个网络实现了一个双层感知器，权重同样是一个parameter的本身及其转置。",
            place="例子2, the sentence after the LinearNet code",
            reading=(
                "two linear layers, the first with the parameter W (F.linear(x, W) = x·Wᵀ), the "
                "second with its transpose (·W): together x·Wᵀ·W"
            ),
            literal=(
                "a two-layer perceptron (双层感知器) has an activation between its layers; this one "
                "has none, so the two layers are one linear map, x·(WᵀW)"
            ),
            reviewed=REVIEWED,
        ),
    ),
    corrections=(RETURN_OUTSIDE_FORWARD,),
)

LINEAR_NET_MM = Example(
    name="linear_net_mm",
    shares=("w",),
    document=DOCUMENT,
    shows="例子3: LinearNet2, x.mm(w).mm(w.t()) with a fixed diagonal w",
    build=LinearNet2,
    make_input=two_rows_three_features,
    untie=untie_w,
    claims=(
        Claim(
            "same_effect_as_linear_net",
            "x.mm(w).mm(w.t()) has the same effect as LinearNet (与上边的网络效果相同)",
            HOLDS_ONLY_WHEN,
            same_as_linear_net_only_for_normal_w,
            counters=(
                counter("a sheared W (WᵀW ≠ WWᵀ) in the post's place", document_w=SHEARED_W),
                counter(
                    "in the post's place a non-normal W (scale 5e-4) whose nets agree within 1e-6",
                    document_w=SMALL_NON_NORMAL_W,
                ),
                counter(
                    "in the post's place a W normal within 1e-6 whose nets differ by 1.2e-6",
                    document_w=NORMAL_WITHIN_TOLERANCE_W,
                ),
                counter(
                    "in the random W's place a non-normal W (scale 5e-4) whose nets agree within 1e-6",
                    other_w=SMALL_NON_NORMAL_W,
                ),
                counter(
                    "in the random W's place a W normal within 1e-6 whose nets differ by 1.2e-6",
                    other_w=NORMAL_WITHIN_TOLERANCE_W,
                ),
            ),
            condition="WᵀW = WWᵀ (W is normal), as for the post's diagonal W; false for a random W",
            quote="这个方法直接用mm函数将x与w相乘，与上边的网络效果相同。",
            place="例子3, the sentence after the LinearNet2 code",
            reading=(
                "LinearNet2 computes what LinearNet computes, given the same W: x·W·Wᵀ against "
                "x·Wᵀ·W"
            ),
            reviewed=REVIEWED,
        ),
    ),
    corrections=(
        RETURN_OUTSIDE_FORWARD,
        "the text says LinearNet2 has the same effect as LinearNet: it computes x·W·Wᵀ, LinearNet "
        "x·Wᵀ·W; they agree only when WᵀW = WWᵀ, as for the post's diagonal W",
    ),
)

TIED_EMBEDDINGS = Example(
    name="tied_embeddings",
    shares=("embed_tokens.weight",),
    document=DOCUMENT,
    shows="例子4: the token embedding table reused as the output projection",
    build=shared_language_model,
    make_input=two_sentences_of_five_tokens,
    untie=untie_output_projection,
    variants=(("untied", untied_language_model),),
    claims=(
        Claim(
            "output_projection_is_the_table",
            "with share_input_output_embed the output projection is embed_tokens.weight: one "
            "Parameter, V·D fewer parameters than with a separate embed_out",
            HOLDS,
            output_projection_is_the_table,
            counters=(
                counter("the untied variant (a separate embed_out)", build=untied_language_model),
                counter(
                    "the projection a frozen copy of the table (a buffer)",
                    build=frozen_copy_projection_language_model,
                ),
                counter(
                    "the table initialised to zeros: every logit zero",
                    build=zero_table_language_model,
                ),
                counter(
                    "the table ×0.01 (logits about 0.01) and 1e-7 added to every logit",
                    build=small_table_offset_logits_language_model,
                ),
                counter(
                    "the shared mode still registering a separate embed_out, unused",
                    build=tied_language_model_keeping_embed_out,
                ),
            ),
            quote="与`embed_tokens.weight`使用同样的参数",
            place="例子4, its first line, before the code",
            reading=(
                "with share_input_output_embed the output projection uses the same parameter as "
                "the token embedding: the logits read embed_tokens.weight itself, and no separate "
                "embed_out (V·D more parameters) is made"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "gradient_is_sum_of_uses",
            "the shared table's gradient is the sum of the embedding lookup's gradient and the "
            "output projection's",
            HOLDS,
            table_gradient_is_lookup_plus_projection,
            counters=(
                counter(
                    "the projection reads the table detached: it learns through the lookup only",
                    build=detached_projection_language_model,
                ),
            ),
            quote="与`embed_tokens.weight`使用同样的参数",
            place="例子4, its first line, before the code",
            reading=(
                "the project's finding, not a statement of the post: what using the same parameter "
                "twice means for its gradient, shown on the post's 例子4"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
    ),
    corrections=(
        "the snippet is a fragment that mixes construction (embed_out) with forward (the "
        "projection); the reference makes it a small complete language-model head, in both modes",
    ),
)

EMBEDDING_PADDING = Example(
    name="embedding_padding",
    document=DOCUMENT,
    shows="Embedding(num, dim, padding_idx): normal(0, dim^-0.5), padding row zeroed",
    build=padded_embedding,
    make_input=two_padded_sentences,
    claims=(
        Claim(
            "padding_row_zero",
            "the padding row is initialised to zero (初始化的时候还可以让padding的部分为0)",
            HOLDS,
            padding_row_is_zero,
            counters=(
                counter(
                    "normal_ overwrites the padding row, not zeroed again",
                    build=embedding_padding_row_overwritten,
                ),
                counter(
                    "an off-by-one slice zeroes the next row too",
                    build=embedding_padding_row_and_next_zeroed,
                ),
                counter("sentences without padding", sentences=two_unpadded_sentences()),
            ),
            quote="初始化的时候还可以让`padding`的部分为`0`",
            place="例子4, the sentence before the Embedding function",
            reading=(
                "the post's Embedding initialises the padding row to zero (and only that row), and "
                "a padded sentence's padding tokens embed to zero"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "padding_row_no_gradient",
            "the padding row's gradient is zero after backward, so training leaves it at zero",
            HOLDS,
            padding_row_gets_no_gradient,
            counters=(
                counter(
                    "the row zeroed at init, but no padding_idx given to nn.Embedding",
                    build=embedding_without_padding_idx,
                ),
                counter("sentences without padding", sentences=two_unpadded_sentences()),
                counter("a loss that ignores token 4: its row gets no gradient", ignored_token=4),
            ),
            quote="初始化的时候还可以让`padding`的部分为`0`",
            place="例子4, the sentence before the Embedding function",
            reading=(
                "the project's finding, not a statement of the post: the post zeroes the padding "
                "row at initialisation; nn.Embedding's padding_idx then keeps it at zero in training"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
    ),
)

EXAMPLES = (
    CONV_SHARED_TRANSPOSE,
    HE_INIT_CONV,
    LINEAR_NET_TRANSPOSE,
    LINEAR_NET_MM,
    TIED_EMBEDDINGS,
    EMBEDDING_PADDING,
)
