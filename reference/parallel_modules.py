"""000_a6308e5ad6e05d30.txt: a parallel module, and an MLP whose first layer is shared by two branches.

The models are written as the document writes them. Corrections, with the document's words:
- "在 forward 中拼接" (concatenated in forward): the forward *averages* the two branches.
- "`net2`:`(input[5,3],output[3,2])`": net2 is Linear(5, 16) then Linear(16, 2).
- The demo cell after `SharedWeightNet` builds `ParallelModule` again; the reference builds
  `SharedWeightNet`.
- The training printout is unseeded; the reference seeds it, so its values are reproducible.

Both models end every branch in a ReLU and are tiny, so a seed can leave them dead. At seed 0 (the
reference's default) they are: `ParallelModule`'s net2 outputs zeros and both samples give one output;
`SharedWeightNet`'s net2 outputs zeros and its shared layer gets no gradient through either use. The
examples use seeds where the lesson is alive; a claim of each records the finding at seed 0.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import torch
from torch import nn

from .example import FALSE, HOLDS, HOLDS_ONLY_WHEN, Claim, Example, call_model, counter
from .seeding import SEED, generator
from .training import reproducible_only_when_seeded, rows
from .tying import alias_groups, shared_gradients

DOCUMENT = "000_a6308e5ad6e05d30.txt"
REVIEWED = "2026-12-07"  # the day the claims below were last read against the document

# The first seeds at which every branch is alive (outputs not all zero, samples told apart, the shared
# layer's gradient non-zero through both uses); see the claims `alive_at_seed`.
PARALLEL_SEED, SHARED_SEED = 4, 1


class ParallelModule(nn.Module):
    def __init__(self):
        super().__init__()
        self.net1 = nn.Sequential(nn.Linear(5, 3), nn.ReLU(),
                                  nn.Linear(3, 3), nn.ReLU(),
                                  nn.Linear(3, 2), nn.ReLU())  # fmt: skip
        self.net2 = nn.Sequential(nn.Linear(5, 16), nn.ReLU(),
                                  nn.Linear(16, 2), nn.ReLU())  # fmt: skip

    def forward(self, x):
        return (self.net1(x) + self.net2(x)) / 2


class SharedWeightNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.shared_linear = nn.Linear(5, 3)
        self.net1 = nn.Sequential(
            self.shared_linear, nn.ReLU(),
            nn.Linear(3, 3), nn.ReLU(),
            nn.Linear(3, 2), nn.ReLU(),
        )  # fmt: skip
        self.net2 = nn.Sequential(
            self.shared_linear,  # no ReLU after the shared layer in this branch, as in the document
            nn.Linear(3, 16), nn.ReLU(),
            nn.Linear(16, 2), nn.ReLU(),
        )  # fmt: skip

    def forward(self, x):
        return (self.net1(x) + self.net2(x)) / 2


def two_samples_five_features(g: torch.Generator) -> torch.Tensor:
    return torch.rand(2, 5, generator=g)


# --- claims ---------------------------------------------------------------------------------------


class ConcatenatingParallelModule(ParallelModule):
    """A counter-case: ParallelModule as the text describes it, forward concatenating (拼接) the two
    branches."""

    def forward(self, x):
        return torch.cat((self.net1(x), self.net2(x)), dim=-1)


class SummingParallelModule(ParallelModule):
    """A counter-case: forward sums the two branches instead of averaging them."""

    def forward(self, x):
        return self.net1(x) + self.net2(x)


class EmptyOutput(nn.Module):
    """Outputs an empty block per sample: one row of zero columns, shape (samples, 1, 0)."""

    def forward(self, x):
        return x.new_zeros(x.shape[0], 1, 0)


class EmptyBranchesParallelModule(ParallelModule):
    """A counter-case: ParallelModule whose branches output nothing (shape (samples, 1, 0)): their
    average and their concatenation, along any dimension but the first, are the same empty tensor."""

    def __init__(self):
        nn.Module.__init__(self)
        self.net1, self.net2 = EmptyOutput(), EmptyOutput()


def output_is_average_not_concatenation(device: torch.device, build=None) -> bool:
    model, x = PARALLEL_MODULE.model(device, build=build), PARALLEL_MODULE.input(device)
    a, b = model.net1(x), model.net2(x)
    output = model(x)
    concatenated = torch.cat((a, b), dim=-1)
    # Values (one model, one dtype): what forward computes from the branches.
    return torch.equal(output, (a + b) / 2) and output.shape != concatenated.shape


class SqueezingParallelModule(ParallelModule):
    """A counter-case: forward squeezes its output, so one sample gives shape [2], not [1, 2]."""

    def forward(self, x):
        return super().forward(x).squeeze()


def output_has_two_columns_for_any_batch(device: torch.device, build=None) -> bool:
    model = PARALLEL_MODULE.model(device, build=build)
    g = generator()
    shapes = [tuple(model(torch.rand(n, 5, generator=g).to(device)).shape) for n in (1, 2, 7)]
    return shapes == [(1, 2), (2, 2), (7, 2)]


def net2_with_its_own_first_layer() -> SharedWeightNet:
    """A counter-case: SharedWeightNet with net2's first layer a Linear(5, 3) of its own."""
    net = SharedWeightNet()
    net.net2[0] = nn.Linear(5, 3)
    return net


def net2_with_a_copy_holding_the_shared_parameters() -> SharedWeightNet:
    """A counter-case: net2's first layer another Linear(5, 3), given shared_linear's weight and
    bias: the parameters are shared, the layer is not."""
    net = SharedWeightNet()
    other = nn.Linear(5, 3)
    other.weight, other.bias = net.shared_linear.weight, net.shared_linear.bias
    net.net2[0] = other
    return net


def net1_with_a_copy_holding_the_shared_parameters() -> SharedWeightNet:
    """A counter-case: net1's first layer another Linear(5, 3), given shared_linear's weight and
    bias: the parameters are shared, the layer is not."""
    net = SharedWeightNet()
    other = nn.Linear(5, 3)
    other.weight, other.bias = net.shared_linear.weight, net.shared_linear.bias
    net.net1[0] = other
    return net


def one_layer_in_both_branches(device: torch.device, build=None) -> bool:
    """The module itself (`is`), not merely its parameters, is the first layer of each branch."""
    model = SHARED_WEIGHT_NET.model(device, build=build)
    return model.net1[0] is model.shared_linear and model.net2[0] is model.shared_linear


def demo_cell_shows_no_sharing(device: torch.device, demo_build=None) -> bool:
    """The document's cell runs ParallelModule (or `demo_build`), which shares nothing: it cannot
    demonstrate SharedWeightNet's shared layer."""
    return alias_groups(PARALLEL_MODULE.model(device, build=demo_build)) == []


def linear_shapes(branch: nn.Sequential) -> list[tuple[int, int]]:
    """(in_features, out_features) of each Linear of a branch, in order."""
    return [(m.in_features, m.out_features) for m in branch if isinstance(m, nn.Linear)]


# The text's description of the branches, as [in, out] of each layer: "`net1`: `(input[5,3],
# hidden[3,3],output[3,2])`，`net2`:`(input[5,3],output[3,2])`".
DESCRIBED_NET1, DESCRIBED_NET2 = [(5, 3), (3, 3), (3, 2)], [(5, 3), (3, 2)]


def net1_as_described(device: torch.device, build=None) -> bool:
    return linear_shapes(PARALLEL_MODULE.model(device, build=build).net1) == DESCRIBED_NET1


def net2_not_as_described(device: torch.device, build=None) -> bool:
    """net2's layers are Linear(5, 16) and Linear(16, 2): not the [5,3], [3,2] the text gives."""
    return linear_shapes(PARALLEL_MODULE.model(device, build=build).net2) != DESCRIBED_NET2


class ParallelModuleAsDescribed(ParallelModule):
    """A counter-case: net2 built as the text describes it, Linear(5, 3) then Linear(3, 2)."""

    def __init__(self):
        super().__init__()
        self.net2 = nn.Sequential(nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 2), nn.ReLU())


class ParallelModuleWithAWideNet1(ParallelModule):
    """A counter-case: net1's hidden layer 4 wide, not 3."""

    def __init__(self):
        super().__init__()
        self.net1 = nn.Sequential(nn.Linear(5, 4), nn.ReLU(),
                                  nn.Linear(4, 3), nn.ReLU(),
                                  nn.Linear(3, 2), nn.ReLU())  # fmt: skip


def dead_at_seed_0_alive_at(example: Example, dead: str):
    """A claim check: at seed 0 (or `dead_seed`) branch `dead` (or `dead_branch`) outputs zeros and
    the samples get one output; at the example's seed (or `live_seed`) every branch outputs
    something and the samples differ (`make_input`: another input, e.g. two equal samples, where
    they cannot)."""

    def check(
        device: torch.device,
        dead_seed: int = SEED,
        live_seed: int | None = None,
        make_input: Callable[[torch.Generator], torch.Tensor] | None = None,
        dead_branch: str = dead,
    ) -> bool:
        def outputs(seed):
            model = example.model(device, seed=seed)
            x = example.input(device, seed=seed, make_input=make_input)
            return model, x, model(x)

        model, x, output = outputs(dead_seed)
        dead_at_0 = not getattr(model, dead_branch)(x).any() and torch.equal(output[0], output[1])
        model, x, output = outputs(example.seed if live_seed is None else live_seed)
        alive = bool(model.net1(x).any()) and bool(model.net2(x).any())
        return dead_at_0 and alive and not torch.equal(output[0], output[1])

    return check


def shared_layer_learns_through_both_uses(
    device: torch.device, live_seed: int | None = None
) -> bool:
    """At the example's seed (or `live_seed`) both uses add to the shared layer's weight gradient
    (its two uses, net1's and net2's, each contribute)."""
    seed = SHARED_WEIGHT_NET.seed if live_seed is None else live_seed
    model = SHARED_WEIGHT_NET.model(device, seed=seed)
    x = SHARED_WEIGHT_NET.input(device, seed=seed)
    weight = next(
        f for f in shared_gradients(model, x, call_model) if "shared_linear.weight" in f["names"]
    )
    return weight["contributing_uses"] == 2


def net_alive_at_seed(
    device: torch.device,
    live_seed: int | None = None,
    make_input: Callable[[torch.Generator], torch.Tensor] | None = None,
) -> bool:
    """Dead at seed 0 and alive at the example's seed (or `live_seed`; `make_input`: another input
    for that), and the shared layer learning through both uses there."""
    alive = dead_at_seed_0_alive_at(SHARED_WEIGHT_NET, "net2")(
        device, live_seed=live_seed, make_input=make_input
    )
    return alive and shared_layer_learns_through_both_uses(device, live_seed)


def parallel_alive_at_seed(
    device: torch.device,
    dead_seed: int = SEED,
    live_seed: int | None = None,
    make_input=None,
    dead_branch: str = "net2",
) -> bool:
    check = dead_at_seed_0_alive_at(PARALLEL_MODULE, "net2")
    return check(
        device,
        dead_seed=dead_seed,
        live_seed=live_seed,
        make_input=make_input,
        dead_branch=dead_branch,
    )


def two_equal_samples(g: torch.Generator) -> torch.Tensor:
    """A counter-case's input: one sample drawn twice, which no model can tell apart."""
    return torch.rand(1, 5, generator=g).repeat(2, 1)


# Counter-cases found by running the models (`ParallelModule` at seed 8: net2 outputs zeros, net1
# tells the two samples apart; `SharedWeightNet` at seed 2: net1 outputs one value for both samples,
# so the shared layer learns through net2 alone, while both branches output something). At seed 0
# ParallelModule's net1 outputs one value for both samples, not zeros: [0, 0.4963] twice.
NET2_DEAD_SAMPLES_APART_SEED, NET1_CONSTANT_SEED = 8, 2
# ParallelModule at seed 3: net1 outputs zeros, net2 tells the two samples apart.
NET1_DEAD_SAMPLES_APART_SEED = 3


# --- training -------------------------------------------------------------------------------------


LR = 0.01


def document_sgd(parameters) -> torch.optim.Optimizer:
    """The document's optimizer: SGD at lr 0.01."""
    return torch.optim.SGD(parameters, lr=LR)


def sgd_one_percent_faster(parameters) -> torch.optim.Optimizer:
    """A counter-case: SGD at lr 0.0101, 1% above the document's."""
    return torch.optim.SGD(parameters, lr=1.01 * LR)


def train_shared_weight_net(
    device: torch.device | str = "cpu",
    seed: int = SHARED_SEED,
    make_optimizer=document_sgd,
    build=None,
) -> dict:
    """The document's loop: 3 epochs of SGD (lr 0.01) on MSE, recording the shared layer's first two
    weight rows and gradient rows after `backward` and before `step`. `make_optimizer` builds the
    optimizer from `model.parameters()`; the check of each step expects the document's SGD.
    `build`: another model (a counter-case's).
    """
    model = TRAIN_SHARED_WEIGHT_NET.model(device, seed=seed, build=build)
    # Not `input()`: the targets are drawn after the input, from the same generator.
    g = generator(seed)
    x = TRAIN_SHARED_WEIGHT_NET.make_input(g).to(device)
    y_true = torch.rand(2, 2, generator=g).to(device)
    criterion = nn.MSELoss()
    optimizer = make_optimizer(model.parameters())

    epochs, shared_grad_identical, updated_once = [], True, True
    for epoch in range(3):
        optimizer.zero_grad()
        loss = criterion(model(x), y_true)
        loss.backward()
        weight = model.shared_linear.weight
        shared_grad_identical &= (
            model.net1[0].weight.grad is weight.grad is model.net2[0].weight.grad
        )
        epochs.append(
            {"epoch": epoch + 1, "loss": loss.item(),
             "shared_weight_rows": rows(weight), "shared_grad_rows": rows(weight.grad)}
        )  # fmt: skip
        expected = weight.detach() - LR * weight.grad
        optimizer.step()
        # Reachable under three names, the layer is still stepped once: `parameters()` deduplicates.
        updated_once &= torch.allclose(weight.detach(), expected, rtol=0, atol=1e-7)

    return {
        "step_loss": [e["loss"] for e in epochs],
        "epoch_loss": [e["loss"] for e in epochs],
        "epochs": epochs,
        "final_weights": {"shared_linear.weight": rows(model.shared_linear.weight, 3),
                          "shared_linear.bias": model.shared_linear.bias.detach().cpu().tolist()},
        "shared_grad_identical_every_step": shared_grad_identical,
        "shared_layer_updated_once_every_step": updated_once,
    }  # fmt: skip


def shared_layer_stepped_once(
    device: torch.device, make_optimizer=document_sgd, build=None
) -> bool:
    """Every step, the three names of the shared layer (shared_linear, net1.0, net2.0) hold one
    gradient, and the layer moves once by lr·grad."""
    trace = train_shared_weight_net(device, make_optimizer=make_optimizer, build=build)
    return (
        trace["shared_grad_identical_every_step"] and trace["shared_layer_updated_once_every_step"]
    )


def net1_with_its_own_first_layer() -> SharedWeightNet:
    """A counter-case: SharedWeightNet with net1's first layer a Linear(5, 3) of its own."""
    net = SharedWeightNet()
    net.net1[0] = nn.Linear(5, 3)
    return net


def train_ignoring_its_seed(device: torch.device | str = "cpu", seed: int = SHARED_SEED) -> dict:
    """A counter-case: the training run at the reference's seed, whatever seed it is given."""
    return train_shared_weight_net(device)


# The seeds the unseeded runs take: a new one each run, the same sequence in every process.
_NEXT_UNSEEDED_SEED = itertools.count(SHARED_SEED + 1)


def train_unseeded(device: torch.device | str = "cpu", seed: int = SHARED_SEED) -> dict:
    """A counter-case: the run as the document makes it, unseeded: each run gets a seed of its own
    (`seed` is not used), so the printed values change from run to run."""
    return train_shared_weight_net(device, seed=next(_NEXT_UNSEEDED_SEED))


def printout_reproducible_only_when_seeded(
    device: torch.device, train=train_shared_weight_net
) -> bool:
    return reproducible_only_when_seeded(train, device)


# Cell [4]'s printout, epochs 1 to 3: the shared layer's first two weight rows, then its first two
# gradient rows, as torch prints them (four decimals).
DOCUMENTED_WEIGHT_ROWS = (
    ((0.1729, 0.3095, -0.2705, 0.3356, -0.1239), (-0.3827, -0.0933, -0.2389, -0.0820, -0.0832)),
    ((0.1729, 0.3095, -0.2705, 0.3356, -0.1239), (-0.3828, -0.0934, -0.2390, -0.0821, -0.0833)),
    ((0.1730, 0.3096, -0.2704, 0.3357, -0.1238), (-0.3828, -0.0936, -0.2390, -0.0822, -0.0834)),
)
DOCUMENTED_GRAD_ROWS = (
    ((-0.0042, -0.0070, -0.0058, -0.0051, -0.0054), (0.0049, 0.0135, 0.0078, 0.0106, 0.0082)),
    ((-0.0042, -0.0069, -0.0058, -0.0051, -0.0054), (0.0048, 0.0132, 0.0077, 0.0104, 0.0081)),
    ((-0.0042, -0.0069, -0.0058, -0.0051, -0.0054), (0.0048, 0.0130, 0.0076, 0.0103, 0.0080)),
)
# A printed number hides up to half a unit of its fourth decimal. A step read from the printout
# involves two printed weights and lr times a printed gradient, so it may miss by (2 + lr)·0.5e-4;
# float32's own rounding of the step (1.3e-8 in the reference's run) is far below it. Measured: the
# document's digits miss by 7.7e-5 at most; with no step they would miss by 2.0e-4, with a step up
# the gradient by 3.3e-4; they allow lr from 0.0076 to 0.013 only.
PRINTED_STEP_SLACK = (2 + LR) * 0.5e-4


def documented_printout(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Cell [4]'s printed weight rows and gradient rows, epoch by epoch (float64: as printed)."""
    return (
        torch.tensor(DOCUMENTED_WEIGHT_ROWS, dtype=torch.float64),
        torch.tensor(DOCUMENTED_GRAD_ROWS, dtype=torch.float64),
    )


def printed_steps_are_sgd_steps(
    device: torch.device, lr: float = LR, printout=documented_printout
) -> bool:
    """Each printed epoch's weights are the previous epoch's minus lr times its printed gradient,
    within what printing at four decimals hides (PRINTED_STEP_SLACK): on the document's own digits,
    by default."""
    weights, grads = printout(device)
    miss = (weights[1:] - (weights[:-1] - lr * grads[:-1])).abs().max().item()
    return miss <= PRINTED_STEP_SLACK


# Where the sentence that describes the module stands.
AFTER_CELL_2 = "1. 实现并行模块, the sentence after cell [2]'s output (可见，…)"

PARALLEL_MODULE = Example(
    name="parallel_module",
    document=DOCUMENT,
    shows="ParallelModule: two MLP branches over the same input, combined in forward",
    build=ParallelModule,
    make_input=two_samples_five_features,
    seed=PARALLEL_SEED,
    claims=(
        Claim(
            "concatenation",
            "forward concatenates (拼接) the outputs of net1 and net2",
            FALSE,
            output_is_average_not_concatenation,
            counters=(
                counter(
                    "a forward that concatenates the branches", build=ConcatenatingParallelModule
                ),
                counter("a forward that sums the branches", build=SummingParallelModule),
                counter(
                    "branches that output nothing: averaged or concatenated, the same empty tensor",
                    build=EmptyBranchesParallelModule,
                ),
            ),
            quote="在`forward` 中拼接",
            place=AFTER_CELL_2,
            reading=(
                "forward combines the two branches' outputs by concatenating them (拼接: joining "
                "them side by side)"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "output_shape",
            "the output has shape [x, 2] for x samples",
            HOLDS,
            output_has_two_columns_for_any_batch,
            counters=(
                counter(
                    "a forward that concatenates the branches: 4 columns",
                    build=ConcatenatingParallelModule,
                ),
                counter(
                    "a forward that squeezes its output: shape [2] for one sample",
                    build=SqueezingParallelModule,
                ),
            ),
            quote="输出为`[x,2]`",
            place=AFTER_CELL_2,
            reading="for x samples (of 5 features) the output has shape [x, 2]",
            reviewed=REVIEWED,
        ),
        Claim(
            "net1_layers",
            "net1 is (input[5,3], hidden[3,3], output[3,2]): Linear(5, 3), Linear(3, 3), "
            "Linear(3, 2)",
            HOLDS,
            net1_as_described,
            counters=(counter("net1's hidden layer 4 wide", build=ParallelModuleWithAWideNet1),),
            quote="`net1`: `(input[5,3], hidden[3,3],output[3,2])`",
            place=AFTER_CELL_2,
            reading="[in, out] of net1's three Linear layers, in order",
            reviewed=REVIEWED,
        ),
        Claim(
            "net2_layers",
            "net2 is (input[5,3], output[3,2]): Linear(5, 3), Linear(3, 2)",
            FALSE,
            net2_not_as_described,
            counters=(
                counter("net2 built as the text describes it", build=ParallelModuleAsDescribed),
            ),
            quote="`net2`:`(input[5,3],output[3,2])`",
            place=AFTER_CELL_2,
            reading="[in, out] of net2's two Linear layers, in order",
            reviewed=REVIEWED,
        ),
        Claim(
            "alive_at_seed",
            "at the reference's seed the cell's output shows both branches at work: each outputs "
            "something, and the two samples get different outputs",
            HOLDS_ONLY_WHEN,
            parallel_alive_at_seed,
            counters=(
                counter(
                    "seed 8 taken for the dead seed: net2 outputs zeros, net1 tells the samples apart",
                    dead_seed=NET2_DEAD_SAMPLES_APART_SEED,
                ),
                counter(
                    "net1 taken for the dead branch: at seed 0 it outputs one value, not zeros",
                    dead_branch="net1",
                ),
                counter(
                    "seed 8 taken for the live seed: net2 outputs zeros there",
                    live_seed=NET2_DEAD_SAMPLES_APART_SEED,
                ),
                counter(
                    "seed 3 taken for the live seed: net1 outputs zeros there",
                    live_seed=NET1_DEAD_SAMPLES_APART_SEED,
                ),
                counter(
                    "two equal samples: no seed tells them apart", make_input=two_equal_samples
                ),
            ),
            condition=(
                "the seed leaves both branches alive: at seed 0 net2 outputs zeros, net1 one value "
                f"for both samples, so the two samples get the same output; the reference uses seed {PARALLEL_SEED}"
            ),
            quote="tensor([[0.0000, 0.0290],\n        [0.0000, 0.0000]], grad_fn=<DivBackward0>)",
            place="1. 实现并行模块, cell [2]'s printed output",
            reading=(
                "the project's finding, not a statement of the document: branches that end in a "
                "ReLU can output nothing, as the zeros of the document's own printout show; "
                "whether the cell's output shows both branches at work depends on the seed"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
    ),
    corrections=(
        "the text calls the combination a concatenation; forward averages the branches",
        "the text describes net2 as (input[5,3], output[3,2]): it is Linear(5, 16) then "
        "Linear(16, 2)",
    ),
)

SHARED_WEIGHT_NET = Example(
    name="shared_weight_net",
    shares=("shared_linear.weight", "shared_linear.bias"),
    document=DOCUMENT,
    shows="SharedWeightNet: one Linear(5,3) is the first layer of both branches",
    build=SharedWeightNet,
    make_input=two_samples_five_features,
    seed=SHARED_SEED,
    claims=(
        Claim(
            "one_shared_layer",
            "shared_linear is one layer, used as the first layer of net1 and of net2",
            HOLDS,
            one_layer_in_both_branches,
            counters=(
                counter("net2 with a Linear(5, 3) of its own", build=net2_with_its_own_first_layer),
                counter(
                    "net2 with another Linear(5, 3) holding the shared weight and bias",
                    build=net2_with_a_copy_holding_the_shared_parameters,
                ),
                counter(
                    "net1 with another Linear(5, 3) holding the shared weight and bias",
                    build=net1_with_a_copy_holding_the_shared_parameters,
                ),
            ),
            quote="构建包含共享参数层的多层感知机",
            place="2. 构建包含共享参数层的多层感知机, the heading and cell [3]",
            reading=(
                "the MLP contains one layer with shared parameters: shared_linear, the first layer "
                "of both branches, one module under three names"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "demo_cell",
            "the cell after the class demonstrates SharedWeightNet",
            FALSE,
            demo_cell_shows_no_sharing,
            counters=(
                counter("a demo cell that builds SharedWeightNet", demo_build=SharedWeightNet),
            ),
            quote="ParallelModule_re = ParallelModule()",
            place="2. 构建包含共享参数层的多层感知机, cell [3], the lines after the class",
            reading=(
                "the lines after the class are there to demonstrate it (their place says so, "
                "though no sentence does); they build ParallelModule again, which shares nothing"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "alive_at_seed",
            "at the reference's seed the shared layer learns through both branches: its gradient "
            "sums net1's and net2's",
            HOLDS_ONLY_WHEN,
            net_alive_at_seed,
            counters=(
                counter(
                    "seed 2 taken for the live seed: net1 outputs a constant, so the shared layer "
                    "learns through net2 only",
                    live_seed=NET1_CONSTANT_SEED,
                ),
                counter(
                    "two equal samples: no seed tells them apart", make_input=two_equal_samples
                ),
            ),
            condition=(
                "the seed leaves the ReLUs alive: at seed 0 net2 outputs zeros and the shared layer "
                f"gets no gradient through either use (0 = 0 + 0); the reference uses seed {SHARED_SEED}"
            ),
            quote="Shared Layer Grad",
            place="2. 构建包含共享参数层的多层感知机, cell [4]'s printout",
            reading=(
                "the project's finding, not a statement of the document: the document prints the "
                "shared layer's gradient in training; whether both branches add to it depends on "
                "the seed, as ReLU-ended branches can output nothing"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
    ),
    corrections=("the demo cell builds ParallelModule again; the reference runs SharedWeightNet",),
)

PRINTED_SHARED_WEIGHT = (
    "Shared Layer Weight: tensor([[ 0.1729,  0.3095, -0.2705,  0.3356, -0.1239],"
)
PRINTOUT_PLACE = "2. 构建包含共享参数层的多层感知机, cell [4]'s printout (Epoch 1 to 3)"

TRAIN_SHARED_WEIGHT_NET = Example(
    name="train_shared_weight_net",
    shares=("shared_linear.weight", "shared_linear.bias"),
    document=DOCUMENT,
    shows="training SharedWeightNet for 3 epochs (SGD, MSE), watching the shared layer",
    build=SharedWeightNet,
    make_input=two_samples_five_features,
    seed=SHARED_SEED,
    train=train_shared_weight_net,
    claims=(
        Claim(
            "printed_values",
            "the printed weights and gradients of the shared layer are those of the cell's SGD "
            "run: each epoch's weights are the previous epoch's minus 0.01 times its printed "
            "gradient, within what printing at four decimals hides",
            HOLDS,
            printed_steps_are_sgd_steps,
            counters=(
                counter("no step taken (lr 0): the printed weights miss by 2.0e-4", lr=0.0),
                counter("a step up the gradient (w + lr·grad): they miss by 3.3e-4", lr=-LR),
            ),
            quote=PRINTED_SHARED_WEIGHT,
            place=PRINTOUT_PLACE,
            reading=(
                "the values the cell prints are what its run gives: judged on the document's own "
                "digits, each printed step is w - 0.01·grad to within (2 + 0.01)·0.5e-4, what "
                "three numbers printed at four decimals can hide (the largest miss is 7.7e-5; "
                "the digits allow lr from 0.0076 to 0.013 only)"
            ),
            literal=(
                "a reader who runs the cell again gets these values: false for this document, "
                "whose run is unseeded, so a rerun draws other weights; a run prints its own "
                "values again only when it is seeded (rerun_repeats_only_when_seeded)"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "rerun_repeats_only_when_seeded",
            "running the cell again prints the same weights and gradients only when the run is "
            "seeded",
            HOLDS_ONLY_WHEN,
            printout_reproducible_only_when_seeded,
            counters=(
                counter("a train function that ignores its seed", train=train_ignoring_its_seed),
                counter("the run unseeded, as the document's", train=train_unseeded),
            ),
            condition=(
                "the RNG is seeded: the document's run is not, so no rerun is known to print "
                "its values"
            ),
            quote=PRINTED_SHARED_WEIGHT,
            place=PRINTOUT_PLACE,
            reading=(
                "the project's finding, not a statement of the document: what a reader who runs "
                "the cell again gets; the reference's run, seeded, repeats to the bit, and "
                "another seed gives other values"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
        Claim(
            "one_update_per_step",
            "the shared layer, reachable under three names, gets one SGD "
            "update per step (w - lr·grad)",
            HOLDS,
            shared_layer_stepped_once,
            counters=(
                counter(
                    "SGD at lr 0.0101, 1% above the document's",
                    make_optimizer=sgd_one_percent_faster,
                ),
                counter("net1 with a Linear(5, 3) of its own", build=net1_with_its_own_first_layer),
                counter("net2 with a Linear(5, 3) of its own", build=net2_with_its_own_first_layer),
            ),
            quote="optimizer = torch.optim.SGD(model.parameters(), lr=0.01)",
            place="2. 构建包含共享参数层的多层感知机, cell [4]",
            reading=(
                "the project's finding, not a statement of the document: model.parameters() lists "
                "the shared layer once though three names reach it, so each step moves it once, "
                "by lr·grad, as the printed weights (moving 1e-4 a step) show"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
    ),
    corrections=("the document's run is unseeded; the reference seeds model, data and inputs",),
)

EXAMPLES = (PARALLEL_MODULE, SHARED_WEIGHT_NET, TRAIN_SHARED_WEIGHT_NET)
