"""002_7dbee0fb0b47d5a0.txt: the blog post "PyTorch参数共享" — one Parameter used by several layers.

The models are written as the post writes them. Corrections, with the post's words:
- `return x` sits outside `forward` in all three nets (at class level Python rejects it:
  "'return' outside function"); the reference returns from `forward`.
- "(即[BS, C, H, W]中的[H, W]的转置)": `conv_weight.transpose(2, 3)` swaps the kernel's spatial dims
  (kh, kw) of the weight [out, in, kh, kw]; the activation [BS, C, H, W] is never transposed.
- "在gpu上运行时，transpose()后边必须加上.contiguous()…否则会报错": a test gives the verdict: conv2d
  takes the non-contiguous transposed weight and returns the same result.
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

from .example import FALSE, HOLDS, HOLDS_ONLY_WHEN, Claim, Example, counter
from .seeding import SEED, generator, seeded
from .tying import parameter_count, shared_gradients

DOCUMENT = "002_7dbee0fb0b47d5a0.txt"


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
    """A counter-case: ConvNet as the post's words describe it, the second conv reading the
    activation with its [H, W] transposed and the kernel as it is."""

    def forward(self, x):
        x = F.conv2d(x, self.conv_weight, padding=2)
        return F.conv2d(x.transpose(2, 3), self.conv_weight)


class ConvNetKernelNotTransposed(ConvNet):
    """A counter-case: ConvNet with the second conv reading the kernel as it is, not transposed."""

    def forward(self, x):
        x = F.conv2d(x, self.conv_weight, padding=2)
        return F.conv2d(x, self.conv_weight)


def conv_net_per_channel_kernel() -> ConvNet:
    """A counter-case: ConvNet with each output channel reading only its own input channel."""
    net = ConvNet()
    with torch.no_grad():
        net.conv_weight.mul_(torch.eye(3)[:, :, None, None])
    return net


def symmetric_images() -> torch.Tensor:
    """A counter-case: the example's input made symmetric in (H, W). With a per-channel kernel,
    transposing the activation or the kernel then gives the same output (the convolutions commute)."""
    x = two_images_three_channels(generator())
    return x + x.transpose(2, 3)


def transpose_swaps_kernel_dims_not_activation(
    device: torch.device, build=None, image=None
) -> bool:
    """`transpose(2, 3)` acts on the weight [out, in, kh, kw]; the activation is never transposed.
    `image` replaces the example's input."""
    model = CONV_SHARED_TRANSPOSE.model(device, build=build)
    x = CONV_SHARED_TRANSPOSE.input(device) if image is None else image.to(device)
    weight = model.conv_weight.detach()
    kernel_transposed = torch.equal(weight.transpose(2, 3), weight.permute(0, 1, 3, 2))
    h = F.conv2d(x, weight, padding=2)
    output = model(x).detach()
    activation_untouched = F.conv2d(h, weight.permute(0, 1, 3, 2).contiguous())
    activation_hw_transposed = F.conv2d(h.transpose(2, 3), weight)
    return (
        kernel_transposed
        and torch.allclose(output, activation_untouched)
        and not torch.allclose(output, activation_hw_transposed)
    )


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


# The std of n normal draws has a standard deviation of about σ/√(2n): 4.7% of σ for the 225 weights
# of the (3, 3, 5, 5) kernel (15% is 3.2 of those), 0.31% for a (32, 64, 5, 5) draw (2% is 6.4).
SMALL_DRAW_RTOL, LARGE_DRAW_RTOL = 0.15, 0.02
LARGE_DRAW_SHAPE = (32, 64, 5, 5)  # in ≠ out channels, so fan_in (1600) and fan_out (800) differ


def std_matches(weight: torch.Tensor, rtol: float) -> bool:
    fan_in = weight[0].numel()
    return math.isclose(weight.std().item(), math.sqrt(2 / fan_in), rel_tol=rtol)


def conv_net_without_relu_gain() -> HeInitConvNet:
    """A counter-case: HeInitConvNet's draw at std sqrt(1/fan_in), without the factor 2 that He
    gives ReLUs (LeCun's initialisation): the same numbers, divided by √2."""
    net = HeInitConvNet()
    with torch.no_grad():
        net.conv_weight.div_(math.sqrt(2))
    return net


def fan_out_scaled_randn(*shape: int) -> torch.Tensor:
    """A counter-case: `he_scaled_randn` with `num_features` taken to be fan_out, the number of
    outputs one input feeds: out_channels·kh·kw of a conv weight [out, in, kh, kw]."""
    num_features = shape[0] * math.prod(shape[2:])
    return torch.randn(shape) * torch.tensor(2 / num_features).sqrt_()


def he_std_of_the_kernel(device: torch.device, build=None) -> bool:
    weight = HE_INIT_CONV.model(device, build=build).conv_weight.detach()
    return std_matches(weight, SMALL_DRAW_RTOL)


def he_std_of_a_large_draw(device: torch.device, draw=he_scaled_randn) -> bool:
    with seeded():
        weight = draw(*LARGE_DRAW_SHAPE)
    return std_matches(weight.to(device), LARGE_DRAW_RTOL)


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


def output_projection_is_the_table(device: torch.device, build=None) -> bool:
    shared = TIED_EMBEDDINGS.model(device, build=build)
    untied = TIED_EMBEDDINGS.model(device, variant="untied")
    tokens = TIED_EMBEDDINGS.input(device)
    table = shared.embed_tokens.weight
    vocabulary_size, dim = table.shape
    vocabulary_sized = [p for p in shared.parameters() if p.shape == table.shape]
    saved = parameter_count(untied)["unique"] - parameter_count(shared)["unique"]
    # The logits read the table: with it zeroed (and nothing else changed) they vanish. "Vanish" is
    # relative to the logits' scale (float32's epsilon of it): another kernel's rounding of a zero
    # product is a few ulps of zero, a projection that does not read the table is of the logits' size.
    zeroed = {"embed_tokens.weight": torch.zeros_like(table)}
    logits = shared(tokens)
    logits_from_zero_table = functional_call(shared, zeroed, (tokens,))
    scale = logits.abs().max().item()
    return (
        len(vocabulary_sized) == 1
        and vocabulary_sized[0] is table
        and saved == vocabulary_size * dim
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
    model, tokens = TIED_EMBEDDINGS.model(device, build=build), TIED_EMBEDDINGS.input(device)
    facts = shared_gradients(model, tokens, TIED_EMBEDDINGS.forward, TIED_EMBEDDINGS.untie)
    return len(facts) == 1 and facts[0]["uses"] == 2 and facts[0]["equals_sum_of_uses"]


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
    at_padding = embedding(tokens)[tokens == padding]
    return (
        at_padding.numel() > 0
        and not weight[padding].any()
        and bool(others.ne(0).all())
        and not at_padding.any()
    )


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
    """After backward the padding row's gradient is zero, so an SGD step leaves the row at zero.
    `sentences` replace the example's input; the loss gives `ignored_token` the weight 0."""
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
    torch.optim.SGD(embedding.parameters(), lr=0.1).step()
    return (
        bool((used == padding).any())
        and not grad[padding].any()
        and bool(grad[used[used != padding]].ne(0).any(dim=1).all())
        and not embedding.weight[padding].any()
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
        ),
        Claim(
            "transpose_of_h_w",
            "conv_weight.transpose(2, 3) is the transpose of [H, W] in [BS, C, H, W] "
            "(即[BS, C, H, W]中的[H, W]的转置)",
            FALSE,
            transpose_swaps_kernel_dims_not_activation,
            counters=(
                counter(
                    "a second conv that transposes the activation's [H, W], not the kernel",
                    build=ConvNetTransposingActivation,
                ),
                counter("a second conv that transposes neither", build=ConvNetKernelNotTransposed),
                counter(
                    "an (H, W)-symmetric image and a per-channel kernel: transposing the activation "
                    "or the kernel gives the same output",
                    build=conv_net_per_channel_kernel,
                    image=symmetric_images(),
                ),
            ),
        ),
        Claim(
            "contiguous_required_on_gpu",
            "on the GPU, transpose() must be followed by .contiguous(), otherwise conv2d errors "
            "(checked on the device the claim is proven on: the CPU, and CUDA where present)",
            FALSE,
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
        ),
    ),
    corrections=(
        RETURN_OUTSIDE_FORWARD,
        "the text says transpose(2, 3) transposes [H, W] of [BS, C, H, W]: it swaps the kernel's "
        "spatial dims (kh, kw) of the weight [out, in, kh, kw]; the activation is not transposed",
        "the text says conv2d errors on the GPU without .contiguous() after transpose(): conv2d "
        "accepts the non-contiguous weight and gives the same result; .contiguous() is harmless",
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
            "std_of_the_kernel",
            "the weights' std is sqrt(2/fan_in) (fan_in = 3·5·5 = 75): the 225 weights of this "
            "kernel within 15% (about 3 standard deviations of the std of 225 draws)",
            HOLDS,
            he_std_of_the_kernel,
            counters=(
                counter(
                    "std sqrt(1/fan_in), without the ReLU gain 2", build=conv_net_without_relu_gain
                ),
            ),
        ),
        Claim(
            "std_of_a_large_draw",
            "the weights' std is sqrt(2/fan_in): a (32, 64, 5, 5) draw made the same way "
            "(fan_in = 1600) within 2%",
            HOLDS,
            he_std_of_a_large_draw,
            counters=(
                counter(
                    "num_features taken to be fan_out (800), not fan_in", draw=fan_out_scaled_randn
                ),
            ),
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
                    "in the post's place a W normal within 1e-6 whose nets differ by 1.2e-6",
                    document_w=NORMAL_WITHIN_TOLERANCE_W,
                ),
                counter(
                    "in the random W's place a non-normal W (scale 5e-4) whose nets agree within 1e-6",
                    other_w=SMALL_NON_NORMAL_W,
                ),
            ),
            condition="WᵀW = WWᵀ (W is normal), as for the post's diagonal W; false for a random W",
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
            ),
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
