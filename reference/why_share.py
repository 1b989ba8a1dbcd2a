"""Why share parameters: the closing text of 001_67e6fd569dcb38d2.txt, each benefit shown by code.

After the tied Sequential the document says: 共享参数通常可以节省内存 (sharing usually saves memory),
and names three benefits: a CNN can look for a feature anywhere in the image; an RNN shares
parameters across time steps, so it carries over to sequences of other lengths; an autoencoder's
encoder and decoder share parameters, and "in a single-layer autoencoder with linear activation,
sharing weights enforces orthogonality".

Two catalogue rows illustrate it, `tied_autoencoder` and `shared_rnn`; `why_share_claims` gives the
closing claims themselves (parameter_access attaches them to `tied_sequential`), the memory claim
measured on `tied_sequential` itself, which parameter_access passes in. Corrections, with the
document's words:
- "共享权重会……强制正交" (sharing weights enforces orthogonality): tying alone does not make the
  weight orthogonal; a tied linear autoencoder *trained to its minimum* has W·Wᵀ = I (its rows are
  an orthonormal basis of the data's principal subspace).
- "可以很好地推广到不同序列长度的示例" (generalises well to other lengths): what code shows is that
  one set of parameters serves every length; how well a trained RNN generalises is not judged here.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from .example import HOLDS, HOLDS_ONLY_WHEN, Claim, Example, counter
from .memory import memory_footprint
from .probes import calls_receiving
from .seeding import generator, seeded
from .tying import counting_one_use, parameter_count, shared_gradients, untie_registrations

DOCUMENT = "001_67e6fd569dcb38d2.txt"


# --- the autoencoder ------------------------------------------------------------------------------


class TiedAutoencoder(nn.Module):
    """A single-layer linear autoencoder whose decoder is the encoder's weight, transposed."""

    def __init__(self, in_features, hidden):
        super().__init__()
        self.encoder = nn.Linear(in_features, hidden)
        self.decoder_bias = nn.Parameter(torch.zeros(in_features))

    def forward(self, x):
        h = self.encoder(x)
        return F.linear(h, self.encoder.weight.t(), self.decoder_bias)


class UntiedAutoencoder(TiedAutoencoder):
    """The same autoencoder with a decoder weight of its own. It is stored in the encoder's
    (hidden, in) layout, so its gradient can be added to the encoder's.
    """

    def __init__(self, in_features, hidden):
        super().__init__(in_features, hidden)
        self.decoder_weight = nn.Parameter(torch.empty(hidden, in_features))

    def forward(self, x):
        h = self.encoder(x)
        return F.linear(h, self.decoder_weight.t(), self.decoder_bias)


def tied_autoencoder() -> TiedAutoencoder:
    return TiedAutoencoder(8, 3)


def untied_autoencoder() -> UntiedAutoencoder:
    """A counter-case: the autoencoder without tying, its decoder weight drawn like a Linear's."""
    model = UntiedAutoencoder(8, 3)
    nn.init.kaiming_uniform_(model.decoder_weight, a=math.sqrt(5))
    return model


class TiedAutoencoderKeepingItsDecoderWeight(UntiedAutoencoder):
    """A counter-case: the tied forward, but the untied decoder weight is still registered (unused)."""

    forward = TiedAutoencoder.forward


def tied_keeping_its_decoder_weight() -> TiedAutoencoderKeepingItsDecoderWeight:
    """The tied autoencoder that still carries a decoder weight of its own, drawn like a Linear's."""
    model = TiedAutoencoderKeepingItsDecoderWeight(8, 3)
    nn.init.kaiming_uniform_(model.decoder_weight, a=math.sqrt(5))
    return model


def tied_half_from_orthogonal() -> TiedAutoencoder:
    """A counter-case: the tied autoencoder started with ‖W·Wᵀ − I‖ exactly 0.5, the threshold of
    "far from orthogonal": rows e0 + e3/2, e1 + e3/2 and e2, so W·Wᵀ − I holds four entries of 1/4.
    """
    model = tied_autoencoder()
    with torch.no_grad():
        model.encoder.weight.copy_(torch.eye(3, 8))
        model.encoder.weight[:2, 3] = 0.5
    return model


def four_samples_eight_features(g: torch.Generator) -> torch.Tensor:
    return torch.rand(4, 8, generator=g)


def untie_autoencoder(model: TiedAutoencoder) -> tuple[nn.Module, dict[str, list[str]]]:
    """The twin has the same values, the decoder's use of the weight given a clone of its own."""
    with seeded():  # its random init is overwritten at once, but draws must stay inside seeded()
        twin = UntiedAutoencoder(model.encoder.in_features, model.encoder.out_features)
    values = dict(model.state_dict(), decoder_weight=model.encoder.weight.detach().clone())
    twin.load_state_dict(values)
    return twin.to(model.encoder.weight.device), {
        "encoder.weight": ["encoder.weight", "decoder_weight"]
    }


# --- the RNN --------------------------------------------------------------------------------------


def run_cells(cells, x: torch.Tensor, hidden_size: int) -> torch.Tensor:
    """Step t feeds x[:, t] and the last state to the t-th cell; returns every step's state."""
    h = x.new_zeros(x.shape[0], hidden_size)
    states = []
    for cell, x_t in zip(cells, x.unbind(dim=1), strict=True):
        h = cell(x_t, h)
        states.append(h)
    return torch.stack(states, dim=1)


class SharedRNN(nn.Module):
    """One RNNCell applied at every time step. Input (batch, steps, features), output
    (batch, steps, hidden): the state after each step.
    """

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.cell = nn.RNNCell(input_size, hidden_size)

    def forward(self, x):
        steps = x.shape[1]
        return run_cells([self.cell] * steps, x, self.cell.hidden_size)


class UnrolledRNN(nn.Module):
    """SharedRNN untied over a fixed number of steps: step t has a cell of its own."""

    def __init__(self, cells):
        super().__init__()
        self.cells = nn.ModuleList(cells)

    def forward(self, x):
        return run_cells(self.cells, x, self.cells[0].hidden_size)


class RNNWithACellPerStep(nn.Module):
    """A counter-case: an RNN that shares nothing across time. Step t has a cell of its own, for
    sequences of up to `max_steps` steps; `cell` is the first step's.
    """

    def __init__(self, input_size, hidden_size, max_steps):
        super().__init__()
        self.cells = nn.ModuleList(nn.RNNCell(input_size, hidden_size) for _ in range(max_steps))

    @property
    def cell(self) -> nn.RNNCell:
        return self.cells[0]

    def forward(self, x):
        return run_cells(self.cells[: x.shape[1]], x, self.cell.hidden_size)


def rnn_with_a_cell_per_step() -> RNNWithACellPerStep:
    return RNNWithACellPerStep(3, 4, max_steps=10)


class RNNWithABiasPerStep(SharedRNN):
    """A counter-case: the cell is shared, but step t adds a bias of its own to its state, for
    sequences of up to `max_steps` steps (a longer sequence needs more parameters).
    """

    def __init__(self, input_size, hidden_size, max_steps):
        super().__init__(input_size, hidden_size)
        self.step_bias = nn.Parameter(torch.randn(max_steps, hidden_size))

    def forward(self, x):
        return super().forward(x) + self.step_bias[: x.shape[1]]


def rnn_with_a_bias_per_step() -> RNNWithABiasPerStep:
    return RNNWithABiasPerStep(3, 4, max_steps=10)


STEPS = 5


def shared_rnn() -> SharedRNN:
    return SharedRNN(3, 4)


def sequences(g: torch.Generator, steps: int = STEPS) -> torch.Tensor:
    return torch.randn(2, steps, 3, generator=g)


def untie_over_steps(model: SharedRNN, steps: int) -> tuple[nn.Module, dict[str, list[str]]]:
    """A twin for inputs of `steps` steps: one clone of the cell per step (same values)."""
    twin = UnrolledRNN([copy.deepcopy(model.cell) for _ in range(steps)])
    clones_of = {
        f"cell.{name}": [f"cells.{t}.{name}" for t in range(steps)]
        for name, _ in model.cell.named_parameters()
    }
    return twin, clones_of


def untie_over_input_steps(model: SharedRNN) -> tuple[nn.Module, dict[str, list[str]]]:
    """The twin for the example's own input, which has STEPS steps."""
    return untie_over_steps(model, STEPS)


def untie_into_fresh_cells(model: SharedRNN) -> tuple[nn.Module, dict[str, list[str]]]:
    """A wrong twin (a counter-case): a cell per step, as many as the uses, but drawn afresh rather
    than copied, so the per-use gradients are taken at other values."""
    _, clones_of = untie_over_input_steps(model)
    with seeded(1):
        cells = [nn.RNNCell(model.cell.input_size, model.cell.hidden_size) for _ in range(STEPS)]
    return UnrolledRNN(cells).to(model.cell.weight_hh.device), clones_of


# --- memory ---------------------------------------------------------------------------------------


def untied_copy(model: nn.Module) -> nn.Module:
    """The model with every shared module or Parameter replaced by one clone per name."""
    return untie_registrations(model)[0]


def untied_model(
    tied_model: Callable[[torch.device], nn.Module],
) -> Callable[[torch.device], nn.Module]:
    """A counter-case for the memory claim: `tied_model`'s untied copy, which shares nothing."""
    return lambda device: untied_copy(tied_model(device))


def shared_layer_used_three_times(
    tied_model: Callable[[torch.device], nn.Module],
) -> Callable[[torch.device], nn.Module]:
    """A counter-case for the memory claim: `tied_model` (a Sequential sharing layer 2) with the
    shared layer used a third time, so untying adds two copies of it, not one."""

    def model(device: torch.device) -> nn.Module:
        tied = tied_model(device)
        return nn.Sequential(*tied[:4], tied[2], nn.ReLU(), *tied[4:])

    return model


def sharing_a_relu_instead(
    tied_model: Callable[[torch.device], nn.Module],
) -> Callable[[torch.device], nn.Module]:
    """A counter-case for the memory claim: `tied_model` with its shared layer (2 and 4) replaced by
    one shared ReLU, a layer without parameters: sharing it saves nothing."""

    def model(device: torch.device) -> nn.Module:
        tied = tied_model(device)
        tied[2] = tied[4] = nn.ReLU()
        return tied

    return model


def on_the_meta_device(
    tied_model: Callable[[torch.device], nn.Module],
) -> Callable[[torch.device], nn.Module]:
    """A counter-case for the memory claim: `tied_model` built on the meta device, whatever device
    is asked for: its parameters have shapes but no data, so no copy adds to the saved file."""
    return lambda device: tied_model(torch.device("meta"))


# --- the CNN --------------------------------------------------------------------------------------


class LocallyConnected2d(nn.Module):
    """A convolution without sharing: every output position has a kernel of its own."""

    def __init__(self, in_channels, out_channels, kernel_size, height, width):
        super().__init__()
        self.kernel_size, self.height, self.width = kernel_size, height, width
        fan_in = in_channels * kernel_size * kernel_size
        self.weight = nn.Parameter(torch.randn(height * width, out_channels, fan_in) / fan_in**0.5)

    def forward(self, x):
        pad = self.kernel_size // 2
        patches = F.unfold(F.pad(x, (pad,) * 4, mode="circular"), self.kernel_size)
        out = torch.einsum("loc,ncl->nol", self.weight, patches)
        return out.reshape(x.shape[0], -1, self.height, self.width)


def circular_conv() -> nn.Conv2d:
    """3×3 kernels shared by every position of an 8×8 image, wrapping around at the border."""
    return nn.Conv2d(1, 2, 3, padding=1, padding_mode="circular")


def locally_connected() -> LocallyConnected2d:
    """The same layer with a kernel per position (a counter-case: nothing shared)."""
    return LocallyConnected2d(1, 2, 3, 8, 8)


def nearly_shared_locally_connected() -> LocallyConnected2d:
    """A counter-case: a kernel per position, each one the first position's plus 1e-4 times its own
    difference from it (kernels ~1e-4 apart): on the example's image it misses a shift by 2e-4."""
    layer = locally_connected()
    with torch.no_grad():
        first = layer.weight[:1].clone()
        layer.weight.copy_(first + 1e-4 * (layer.weight - first))
    return layer


def shifted(x: torch.Tensor, pixels: tuple[int, int] = (2, 3)) -> torch.Tensor:
    """The image moved down and right, wrapping around (circular padding has no border)."""
    return torch.roll(x, shifts=pixels, dims=(2, 3))


# --- claims ---------------------------------------------------------------------------------------


def weight_count(model: nn.Module) -> int:
    return sum(p.numel() for name, p in model.named_parameters() if name.endswith("weight"))


def tying_halves_the_weights(device: torch.device, build=None) -> bool:
    model, x = TIED_AUTOENCODER.model(device, build=build), TIED_AUTOENCODER.input(device)
    untied, _ = untie_autoencoder(model)
    return (
        2 * weight_count(model) == weight_count(untied)
        and calls_receiving(model.encoder.weight, model, x) == 2  # the encoder, and its transpose
    )


def dominant_directions(g: torch.Generator, samples: int = 256) -> torch.Tensor:
    """8-feature data that varies mostly along 3 orthogonal directions (plus a little noise)."""
    spread = torch.tensor([3.0, 2.0, 1.5, 0.1, 0.1, 0.1, 0.1, 0.1])
    basis, _ = torch.linalg.qr(torch.randn(8, 8, generator=g))
    offset = torch.randn(8, generator=g)
    return (torch.randn(samples, 8, generator=g) * spread) @ basis.T + offset


def train_to_minimum(model: nn.Module, data: torch.Tensor, steps: int = 200) -> None:
    """Adam on the reconstruction error; 200 steps at lr 0.03 reach the minimum for this data."""
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(steps):
        optimizer.zero_grad()
        F.mse_loss(model(data), data).backward()
        optimizer.step()


def orthogonality_gap(model: TiedAutoencoder) -> float:
    """‖W·Wᵀ − I‖ (Frobenius): zero when the rows of the encoder weight are orthonormal."""
    w = model.encoder.weight.detach()
    return torch.linalg.matrix_norm(w @ w.T - torch.eye(w.shape[0], device=w.device)).item()


# At initialisation the gap is about 1.3 (W·Wᵀ is near 0, not I); trained, it falls below 1e-3.
FAR_FROM_ORTHOGONAL, ORTHOGONAL = 0.5, 0.05


@functools.cache
def orthogonality_gaps(device: torch.device, build=None) -> tuple[float, float]:
    """The gap at initialisation and at the trained minimum. Seeded, so every call on a device gets
    the same two numbers: training runs once per device and process (the claim is checked by the
    command, the claim test and the structure snapshot), whichever asks first. `build`: another
    autoencoder (the untied one, whose trained encoder stays about 0.5 from orthogonal).
    """
    model = TIED_AUTOENCODER.model(device, build=build)
    data = dominant_directions(generator()).to(device)
    before = orthogonality_gap(model)
    train_to_minimum(model, data)
    return before, orthogonality_gap(model)


def orthogonal_only_once_trained(device: torch.device, build=None) -> bool:
    before, trained = orthogonality_gaps(device, build)
    return before > FAR_FROM_ORTHOGONAL and trained < ORTHOGONAL


def one_cell_serves_every_length(device: torch.device, build=None) -> bool:
    """The same model runs on 3 and on 10 steps with its one cell (used once per step); untied, it
    would need a cell per step.
    """
    model = SHARED_RNN.model(device, build=build)
    cell_count = parameter_count(model.cell)["unique"]
    for steps in (3, 10):
        x = sequences(generator(), steps).to(device)
        twin, _ = untie_over_steps(model, steps)
        if not (
            model(x).shape[1] == steps
            and parameter_count(model)["unique"] == cell_count
            and calls_receiving(model.cell.weight_hh, model, x) == steps
            and parameter_count(twin)["unique"] == steps * cell_count
        ):
            return False
    return True


def rnn_gradient_is_sum_over_steps(device: torch.device, untie=untie_over_input_steps) -> bool:
    model, x = SHARED_RNN.model(device), SHARED_RNN.input(device)
    facts = shared_gradients(model, x, SHARED_RNN.forward, untie)
    return len(facts) == len(list(model.cell.parameters())) and all(
        f["uses"] == STEPS and f["equals_sum_of_uses"] for f in facts
    )


def sharing_saves_memory(
    device: torch.device, *, tied_model: Callable[[torch.device], nn.Module]
) -> bool:
    """Tied vs its untied copy: fewer unique parameter bytes by exactly the shared layer's, the same
    bytes counted per name, and a saved state_dict smaller by more than the shared layer's bytes
    (the untied file holds the copy's data and the records that name it; a layer without
    parameters saves nothing, and nothing more).
    """
    tied = tied_model(device)
    untied = untied_copy(tied)
    shared_bytes = memory_footprint(tied[2])["parameter_bytes_unique"]
    t, u = memory_footprint(tied), memory_footprint(untied)
    return (
        t["parameter_bytes_unique"] + shared_bytes == u["parameter_bytes_unique"]
        and t["parameter_bytes_total"] == u["parameter_bytes_total"]
        and u["state_dict_bytes_saved"] - t["state_dict_bytes_saved"] > shared_bytes
    )


def shared_kernel_finds_features_anywhere(
    device: torch.device, layer=circular_conv, unshared=locally_connected
) -> bool:
    """Shift the image, and a conv's output shifts with it: the same kernel looks everywhere. A
    layer with a kernel per position (`unshared`), given the same image, does not follow the shift.
    """
    with seeded():
        conv = layer().to(device)
        unshared = unshared().to(device)
    x = torch.rand(1, 1, 8, 8, generator=generator()).to(device)
    return torch.allclose(conv(shifted(x)), shifted(conv(x)), atol=1e-6) and not torch.allclose(
        unshared(shifted(x)), shifted(unshared(x)), atol=1e-3
    )


def encoder_and_decoder_share(device: torch.device, untie=untie_autoencoder) -> bool:
    """One Parameter, two uses (encoder, decoder), and its gradient is the sum of both uses'."""
    model, x = TIED_AUTOENCODER.model(device), TIED_AUTOENCODER.input(device)
    facts = shared_gradients(model, x, TIED_AUTOENCODER.forward, untie)
    return [(f["names"], f["uses"], f["equals_sum_of_uses"]) for f in facts] == [
        (["encoder.weight"], 2, True)
    ]


TIED_AUTOENCODER = Example(
    name="tied_autoencoder",
    shares=("encoder.weight",),
    document=DOCUMENT,
    shows="why_share: the autoencoder benefit — decoder uses the encoder's weight transposed",
    build=tied_autoencoder,
    make_input=four_samples_eight_features,
    untie=untie_autoencoder,
    claims=(
        Claim(
            "half_the_weights",
            "tying the decoder to the encoder's weight halves the autoencoder's weight parameters",
            HOLDS,
            tying_halves_the_weights,
            counters=(
                counter("the untied autoencoder", build=untied_autoencoder),
                counter(
                    "the tied forward, its unused decoder weight still registered",
                    build=tied_keeping_its_decoder_weight,
                ),
            ),
        ),
        Claim(
            "orthogonality",
            "in a single-layer autoencoder with linear activation, sharing weights enforces "
            "orthogonality (共享权重会……强制正交)",
            HOLDS_ONLY_WHEN,
            orthogonal_only_once_trained,
            counters=(
                counter(
                    "the untied autoencoder, trained the same: W·Wᵀ stays about 0.5 from I",
                    build=untied_autoencoder,
                ),
                counter(
                    "the tied autoencoder started exactly 0.5 from orthogonal: not beyond it",
                    build=tied_half_from_orthogonal,
                ),
            ),
            condition=(
                "the tied linear autoencoder is trained to its minimum (then W·Wᵀ ≈ I); tying "
                "alone does not make W orthogonal (at initialisation W·Wᵀ is far from I)"
            ),
        ),
    ),
    corrections=(
        "tying alone does not make the weight orthogonal: W·Wᵀ = I only at the trained minimum",
    ),
)

SHARED_RNN = Example(
    name="shared_rnn",
    shares=("cell.weight_ih", "cell.weight_hh", "cell.bias_ih", "cell.bias_hh"),
    document=DOCUMENT,
    shows="why_share: the RNN benefit — one cell applied at every time step",
    build=shared_rnn,
    make_input=sequences,
    untie=untie_over_input_steps,
    claims=(
        Claim(
            "length_independent_parameters",
            "the RNN shares its parameters across time steps: their number does not depend on "
            "the sequence length",
            HOLDS,
            one_cell_serves_every_length,
            counters=(
                counter("an RNN with a cell per step (10 cells)", build=rnn_with_a_cell_per_step),
                counter(
                    "one cell, plus a bias of its own for each step (10 biases)",
                    build=rnn_with_a_bias_per_step,
                ),
            ),
        ),
        Claim(
            "gradient_sum_over_steps",
            "the gradient of the shared cell is the sum of the gradients of its uses at every step",
            HOLDS,
            rnn_gradient_is_sum_over_steps,
            counters=(
                counter(
                    "an untied twin that counts the first step only",
                    untie=counting_one_use(untie_over_input_steps),
                ),
                counter(
                    "an untied twin with a cell per step drawn afresh, not copied",
                    untie=untie_into_fresh_cells,
                ),
            ),
        ),
    ),
)


def why_share_claims(tied_model: Callable[[torch.device], nn.Module]) -> tuple[Claim, ...]:
    """The document's closing claims, for parameter_access to attach to `tied_sequential`; the
    memory claim is measured on `tied_model(device)`, that example's model. It is passed in, not
    looked up in the registry: a topic module does not know the registry (no import circle).
    """
    return (
        Claim(
            "why_share",
            "sharing parameters saves memory (共享参数通常可以节省内存)",
            HOLDS,
            functools.partial(sharing_saves_memory, tied_model=tied_model),
            counters=(
                counter("the model's untied copy", tied_model=untied_model(tied_model)),
                counter(
                    "the shared layer used three times: untying adds two copies",
                    tied_model=shared_layer_used_three_times(tied_model),
                ),
                counter(
                    "a shared ReLU in place of the shared layer: no parameters to save",
                    tied_model=sharing_a_relu_instead(tied_model),
                ),
                counter(
                    "the model on the meta device: no data, the saved file does not grow",
                    tied_model=on_the_meta_device(tied_model),
                ),
            ),
        ),
        Claim(
            "why_share_cnn",
            "in a CNN, sharing lets the network look for a feature anywhere in the image, not only "
            "in one region",
            HOLDS,
            shared_kernel_finds_features_anywhere,
            counters=(
                counter("a kernel per position (nothing shared)", layer=locally_connected),
                counter(
                    "a kernel per position, the kernels ~1e-4 apart: the shift is missed by 2e-4",
                    layer=nearly_shared_locally_connected,
                ),
                counter(
                    "as the layer without sharing, kernels ~1e-4 apart: it follows the shift to "
                    "within 1e-3",
                    unshared=nearly_shared_locally_connected,
                ),
            ),
        ),
        Claim(
            "why_share_rnn",
            "an RNN shares its parameters across time steps, so one model serves sequences of "
            "different lengths",
            HOLDS,
            one_cell_serves_every_length,
            counters=(
                counter("an RNN with a cell per step (10 cells)", build=rnn_with_a_cell_per_step),
                counter(
                    "one cell, plus a bias of its own for each step (10 biases)",
                    build=rnn_with_a_bias_per_step,
                ),
            ),
        ),
        Claim(
            "why_share_autoencoder",
            "in an autoencoder, the encoder and the decoder share parameters",
            HOLDS,
            encoder_and_decoder_share,
            counters=(
                counter(
                    "an untied twin that counts the encoder's use only",
                    untie=counting_one_use(untie_autoencoder),
                ),
            ),
        ),
    )


EXAMPLES = (TIED_AUTOENCODER, SHARED_RNN)
