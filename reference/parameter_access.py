"""001_67e6fd569dcb38d2.txt: parameter access, nested blocks, and parameters tied by reusing a layer.

Corrections:
- Cell 28 says it makes sure the two layers are *the same object*, but repeats cell 23's value
  comparison (which an untied copy with equal values passes too) and never performs the write it
  describes. The reference checks identity (`is`); written through one name,
  `net[2].weight.data[0, 0] = 100` shows under the other (tests/test_claims_a.py).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .example import FALSE, HOLDS, HOLDS_ONLY_WHEN, Claim, Example, counter
from .inputs import four_features
from .seeding import SEED, seeded
from .tying import Untie, counting_one_use, shared_gradients, untie_registrations
from .why_share import why_share_claims

DOCUMENT = "001_67e6fd569dcb38d2.txt"
REVIEWED = "2026-12-07"  # the day the claims below were last read against the document


# --- parameter access -----------------------------------------------------------------------------


def param_access_mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))


# What the document prints for `net.state_dict()` keys and for `named_parameters()`.
DOCUMENTED_KEYS = ["0.weight", "0.bias", "2.weight", "2.bias"]
DOCUMENTED_NAMED_SHAPES = [
    ("0.weight", (8, 4)),
    ("0.bias", (8,)),
    ("2.weight", (1, 8)),
    ("2.bias", (1,)),
]


def keys_as_documented(device: torch.device, build=None) -> bool:
    """The model's state_dict keys, in order. (net[0].state_dict()'s are the first two without
    their prefix: a submodule's state_dict is its part of its parent's; tests/test_claims_a.py.)"""
    return list(PARAM_ACCESS_MLP.model(device, build=build).state_dict()) == DOCUMENTED_KEYS


def bias_is_a_parameter(device: torch.device, build=None) -> bool:
    return type(PARAM_ACCESS_MLP.model(device, build=build)[2].bias) is nn.Parameter


def no_grad_before_backward(device: torch.device, build=None) -> bool:
    net, x = PARAM_ACCESS_MLP.model(device, build=build), PARAM_ACCESS_MLP.input(device)
    before = net[2].weight.grad
    net(x).sum().backward()
    return before is None and net[2].weight.grad is not None


def named_shapes_as_documented(device: torch.device, build=None) -> bool:
    net = PARAM_ACCESS_MLP.model(device, build=build)
    return [(n, tuple(p.shape)) for n, p in net.named_parameters()] == DOCUMENTED_NAMED_SHAPES


def state_dict_values_share_storage(device: torch.device, read=nn.Module.state_dict) -> bool:
    """`net.state_dict()['2.bias']` is the bias's data: a tensor apart from autograd over the
    parameter's storage, so writing to it writes the model."""
    net = PARAM_ACCESS_MLP.model(device)
    entry = read(net)["2.bias"]
    with torch.no_grad():
        entry.fill_(0.5)
    return not entry.requires_grad and bool((net[2].bias == 0.5).all())


def state_dict_keeping_vars(net: nn.Module) -> dict:
    """A counter-case: the state_dict read with keep_vars=True, whose entries are the Parameters
    themselves (they require grad), not their data."""
    return net.state_dict(keep_vars=True)


# --- nested blocks --------------------------------------------------------------------------------


def block1():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())


def block2():
    net = nn.Sequential()
    for i in range(4):
        # nested here (在这里嵌套)
        net.add_module(f"block {i}", block1())
    return net


def rgnet() -> nn.Sequential:
    return nn.Sequential(block2(), nn.Linear(4, 1))


_BLOCK = """Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=4, bias=True)
      (3): ReLU()
    )"""
# `print(rgnet)` as the document prints it (cell 17); the four blocks are printed identically.
DOCUMENTED_RGNET_REPR = (
    "Sequential(\n  (0): Sequential(\n"
    + "".join(f"    (block {i}): {_BLOCK}\n" for i in range(4))
    + "  )\n  (1): Linear(in_features=4, out_features=1, bias=True)\n)"
)


def repr_as_documented(device: torch.device, build=None) -> bool:
    return repr(NESTED_BLOCKS.model(device, build=build)) == DOCUMENTED_RGNET_REPR


def nested_indexing_reaches_inner_layers(device: torch.device, build=None) -> bool:
    """rgnet[0][1][0] is the first layer of the second block added, 'block 1', and its bias has 8
    values."""
    net = NESTED_BLOCKS.model(device, build=build)
    inner = net[0][1][0]
    return inner is net[0].get_submodule("block 1")[0] and inner.bias.shape == (8,)


# Four blocks of 4-wide ReLU layers die easily: at seed 0 rgnet gives both samples one output.
NESTED_SEED = 1


def samples_told_apart_only_at_a_live_seed(
    device: torch.device, live_seed=NESTED_SEED, dead_seed=SEED
) -> bool:
    # One input for both models: only the seed the model is built at differs.
    x = NESTED_BLOCKS.input(device)
    dead, alive = (
        NESTED_BLOCKS.model(device, seed=dead_seed)(x),
        NESTED_BLOCKS.model(device, seed=live_seed)(x),
    )
    return torch.equal(dead[0], dead[1]) and not torch.equal(alive[0], alive[1])


def keys_name_the_blocks(device: torch.device, build=None) -> bool:
    """The first keys as cell [20] prints them: the block's name, then the layer's position."""
    keys = list(NESTED_BLOCKS.model(device, build=build).state_dict())
    return keys[:3] == ["0.block 0.0.weight", "0.block 0.0.bias", "0.block 0.2.weight"]


# --- tied parameters ------------------------------------------------------------------------------


def tied_sequential() -> nn.Sequential:
    # The shared layer needs a name so that its parameters can be referred to.
    shared = nn.Linear(8, 8)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(),
                         shared, nn.ReLU(),
                         shared, nn.ReLU(),
                         nn.Linear(8, 1))  # fmt: skip


# --- counter-cases: builds where a claim's statement comes out the other way ---------------------


def mlp_without_relu() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1))


def mlp_with_two_outputs() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def mlp_with_bias_as_buffer() -> nn.Sequential:
    net = param_access_mlp()
    del net[2].bias
    net[2].register_buffer("bias", torch.zeros(1))
    return net


def mlp_with_a_gradient_from_build() -> nn.Sequential:
    """The MLP after one backward pass at build time: net[2].weight.grad is already set."""
    net = param_access_mlp()
    net(torch.ones(1, 4)).sum().backward()
    return net


def mlp_with_frozen_output_layer() -> nn.Sequential:
    net = param_access_mlp()
    net[2].weight.requires_grad_(False)
    return net


def rgnet_of_blocks_added_by_position() -> nn.Sequential:
    """rgnet with its blocks named 0..3 by position, not 'block i'."""
    return nn.Sequential(nn.Sequential(*(block1() for _ in range(4))), nn.Linear(4, 1))


def rgnet_of_blocks_added_out_of_order() -> nn.Sequential:
    """rgnet with 'block 1' added first: rgnet[0][1] is then 'block 0', the second one added."""
    blocks = nn.Sequential()
    for i in (1, 0, 2, 3):
        blocks.add_module(f"block {i}", block1())
    return nn.Sequential(blocks, nn.Linear(4, 1))


def rgnet_of_wide_blocks() -> nn.Sequential:
    """rgnet with blocks 16 wide, not 8."""
    net = rgnet()
    for i in range(4):
        net[0][i] = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 4), nn.ReLU())
    return net


def rgnet_of_blocks_without_their_first_relu() -> nn.Sequential:
    """rgnet whose blocks lack their first ReLU: each block's second Linear sits at 1, not 2."""
    net = rgnet()
    for i in range(4):
        net[0][i] = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 4), nn.ReLU())
    return net


def untied_sequential() -> nn.Sequential:
    """The tied Sequential with two separate Linear(8,8), each initialised on its own."""
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(),
                         nn.Linear(8, 8), nn.ReLU(),
                         nn.Linear(8, 8), nn.ReLU(),
                         nn.Linear(8, 1))  # fmt: skip


def sequential_tied_by_storage() -> nn.Sequential:
    """Two Linear(8,8) whose parameters are two Parameter objects over one storage: a write through
    net[2] shows in net[4], yet they are not one object."""
    net = untied_sequential()
    net[4].weight = nn.Parameter(net[2].weight.data)
    net[4].bias = nn.Parameter(net[2].bias.data)
    return net


def deep_copy_keeping_the_tie(net: nn.Module) -> tuple[nn.Module, dict[str, list[str]]]:
    """A deep copy offered as the untied twin: copying keeps net[2] and net[4] one layer."""
    return copy.deepcopy(net), {}


def deep_copy_of_state_dict(net: nn.Module) -> dict:
    return copy.deepcopy(net.state_dict())


def values_compare_equal(device: torch.device, build=None) -> bool:
    net = TIED_SEQUENTIAL.model(device, build=build)
    return bool((net[2].weight.data[0] == net[4].weight.data[0]).all())


def untie_into_fresh_layers(net: nn.Module) -> tuple[nn.Module, dict[str, list[str]]]:
    """A twin offered as the untied one, its second use a Linear(8, 8) drawn afresh: separate, and
    with other values, so cell 28's comparison tells it apart (by its values, not by identity)."""
    twin, _ = untie_registrations(net)
    with seeded(SEED + 1):
        twin[4] = nn.Linear(8, 8).to(net[2].weight.device)
    return twin, {}


def value_check_is_not_an_identity_check(
    device: torch.device, build=None, untie: Untie = untie_registrations
) -> bool:
    """Cell 28's check also passes for two *separate* layers with equal values, so it cannot show
    that they are one object: `is` can, and a write through one name of the separate twin stays
    there. (`untie`: how the separate twin is made.)"""
    net = TIED_SEQUENTIAL.model(device, build=build)
    untied, _ = untie(net)
    document_check_passes_untied = bool(
        (untied[2].weight.data[0] == untied[4].weight.data[0]).all()
    )
    untied[2].weight.data[0, 0] = 100
    untied_write_stays = untied[4].weight.data[0, 0].item() != 100
    return document_check_passes_untied and net[2].weight is net[4].weight and untied_write_stays


def gradients_of_both_uses_add_up(device: torch.device, untie=None) -> bool:
    net, x = TIED_SEQUENTIAL.model(device), TIED_SEQUENTIAL.input(device)
    facts = shared_gradients(net, x, TIED_SEQUENTIAL.forward, untie)
    return [(f["names"][0], f["equals_sum_of_uses"]) for f in facts] == [
        ("2.weight", True),
        ("2.bias", True),
    ]


PARAM_ACCESS_MLP = Example(
    name="param_access_mlp",
    document=DOCUMENT,
    shows="parameter access: state_dict, named_parameters, .data and .grad of an MLP",
    build=param_access_mlp,
    make_input=four_features,
    claims=(
        Claim(
            "state_dict_keys",
            "net.state_dict() has keys 0.weight 0.bias 2.weight 2.bias; "
            "net[0].state_dict() has weight, bias",
            HOLDS,
            keys_as_documented,
            counters=(
                counter("the MLP without its ReLU: the second Linear is 1", build=mlp_without_relu),
            ),
            quote="OrderedDict([('0.weight',",
            place="cells [15] and [5], the printed state_dicts",
            reading=(
                "the printed state_dicts show these keys, in this order (their values are the "
                "document's unseeded draw)"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "bias_type",
            "type(net[2].bias) is torch.nn.parameter.Parameter",
            HOLDS,
            bias_is_a_parameter,
            counters=(
                counter("net[2].bias registered as a buffer", build=mlp_with_bias_as_buffer),
            ),
            quote="torch.nn.parameter.Parameter",
            place="cell [8], type(net[2].bias)",
            reading="the bias of the output layer is a Parameter, not a plain tensor",
            reviewed=REVIEWED,
        ),
        Claim(
            "grad_none",
            "net[2].weight.grad is None before any backward",
            HOLDS,
            no_grad_before_backward,
            counters=(
                counter(
                    "net[2].weight frozen: no gradient after backward either",
                    build=mlp_with_frozen_output_layer,
                ),
                counter("a backward run at build time", build=mlp_with_a_gradient_from_build),
            ),
            quote="NoneType",
            place="cell [11], type(net[2].weight.grad)",
            reading=("before any backward the weight's gradient is None, and a backward fills it"),
            reviewed=REVIEWED,
        ),
        Claim(
            "named_parameters",
            "named_parameters() gives 0.weight (8,4), 0.bias (8,), 2.weight (1,8), 2.bias (1,)",
            HOLDS,
            named_shapes_as_documented,
            counters=(counter("an output layer of two units", build=mlp_with_two_outputs),),
            quote=(
                "('0.weight', torch.Size([8, 4])) ('0.bias', torch.Size([8])) "
                "('2.weight', torch.Size([1, 8])) ('2.bias', torch.Size([1]))"
            ),
            place="cell [13], print(*[(name, param.shape) for name, param in net.named_parameters()])",
            reading="named_parameters() gives these names and shapes, in this order",
            reviewed=REVIEWED,
        ),
        Claim(
            "state_dict_data",
            "net.state_dict()['2.bias'].data is the bias's value",
            HOLDS,
            state_dict_values_share_storage,
            counters=(
                counter("a deep copy of the state_dict", read=deep_copy_of_state_dict),
                counter(
                    "the state_dict read with keep_vars=True: its entries are the Parameters",
                    read=state_dict_keeping_vars,
                ),
            ),
            quote="net.state_dict()['2.bias'].data",
            place="cell [14], printing tensor([0.0393]), the bias's value of cell [9]",
            reading=(
                "the state_dict's entry is the bias's data itself (a detached tensor on its "
                "storage: a write to it writes the model), so it shows the bias's value; the "
                "cell's .data adds nothing, the entry is already detached (with keep_vars=True "
                "it would not be: the check reads the entry without .data)"
            ),
            reviewed=REVIEWED,
        ),
    ),
)

NESTED_BLOCKS = Example(
    name="nested_blocks",
    document=DOCUMENT,
    shows="nested blocks: block2() adds four block1() by name; rgnet = Sequential(block2(), Linear(4,1))",
    build=rgnet,
    make_input=four_features,
    seed=NESTED_SEED,
    claims=(
        Claim(
            "printed_repr",
            "print(rgnet) prints the nested structure shown in cell 17",
            HOLDS,
            repr_as_documented,
            counters=(
                counter("blocks named by position", build=rgnet_of_blocks_added_by_position),
            ),
            quote="print(rgnet)",
            place="cell [17] and its printout",
            reading="print(rgnet) prints, character for character, the nested structure cell [17] shows",
            reviewed=REVIEWED,
        ),
        Claim(
            "nested_indexing",
            "nested blocks are indexed like nested lists: rgnet[0][1][0].bias has 8 values",
            HOLDS,
            nested_indexing_reaches_inner_layers,
            counters=(
                counter("blocks 16 wide", build=rgnet_of_wide_blocks),
                counter(
                    "'block 1' added first: rgnet[0][1] is 'block 0'",
                    build=rgnet_of_blocks_added_out_of_order,
                ),
            ),
            quote="可以像访问数组一样访问嵌套的网络模块",
            place="the sentence before cell [21], rgnet[0][1][0].bias.data",
            reading=(
                "nested blocks are reached by indexing like nested arrays: rgnet[0][1][0] is the "
                "first layer of the second block, and its bias has 8 values"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "block_keys",
            "state_dict keys name the blocks: '0.block 0.0.weight', ...",
            HOLDS,
            keys_name_the_blocks,
            counters=(
                counter("blocks named by position", build=rgnet_of_blocks_added_by_position),
                counter(
                    "blocks without their first ReLU",
                    build=rgnet_of_blocks_without_their_first_relu,
                ),
            ),
            quote="('0.block 0.0.weight',",
            place="cell [20], rgnet.state_dict()",
            reading="the state_dict's keys name each block by the name add_module gave it",
            reviewed=REVIEWED,
        ),
        Claim(
            "alive_at_seed",
            "rgnet(X) gives the two samples of X different outputs: at the reference's seed it "
            "does, at seed 0 both samples get one output, as in the document's printout",
            HOLDS_ONLY_WHEN,
            samples_told_apart_only_at_a_live_seed,
            counters=(
                counter("seed 0 taken for the live seed", live_seed=SEED),
                counter(f"seed {NESTED_SEED} taken for the dead seed", dead_seed=NESTED_SEED),
            ),
            condition=(
                "the seed leaves a path through the four blocks' ReLUs: at seed 0 both samples "
                f"get the same output (std 0); the reference uses seed {NESTED_SEED}"
            ),
            quote="tensor([[0.4933],\n        [0.4933]], grad_fn=<AddmmBackward0>)",
            place="cell [16], rgnet(X)'s printed output",
            reading=(
                "the project's finding, not a statement of the document: the document's rgnet "
                "gives both samples the same output, 0.4933, so its output does not depend on its "
                "input; four blocks of 4-wide ReLU layers often die so, and whether they do "
                "depends on the seed"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
    ),
)

TIED_SEQUENTIAL = Example(
    name="tied_sequential",
    shares=("2.weight", "2.bias"),
    document=DOCUMENT,
    shows="tied parameters: one Linear(8,8) used twice in a Sequential",
    build=tied_sequential,
    make_input=four_features,
    claims=(
        Claim(
            "values_equal",
            "cell 23: net[2].weight.data[0] == net[4].weight.data[0] is all True",
            HOLDS,
            values_compare_equal,
            counters=(counter("two separate Linear(8,8)", build=untied_sequential),),
            quote="print(net[2].weight.data[0] == net[4].weight.data[0])",
            place="cell [23], under the comment # 检查参数是否相同",
            reading="the first rows of the two layers' weights compare equal, element by element",
            reviewed=REVIEWED,
        ),
        Claim(
            "identity_check",
            "cell 28 'makes sure they are the same object, not just equal "
            "values' with the same value comparison",
            FALSE,
            value_check_is_not_an_identity_check,
            counters=(
                counter("two separate Linear(8,8)", build=untied_sequential),
                counter("two Parameter objects over one storage", build=sequential_tied_by_storage),
                counter("a deep copy taken for the untied twin", untie=deep_copy_keeping_the_tie),
                counter(
                    "a twin whose second layer is drawn afresh: the comparison tells it apart",
                    untie=untie_into_fresh_layers,
                ),
            ),
            quote="# 确保它们实际上是同一个对象，而不只是有相同的值",
            place="cell [28], its comment and the comparison under it",
            reading=(
                "cell [28] claims to make sure the two layers are one object, not merely equal in "
                "value, yet repeats cell [23]'s value comparison, which two separate layers with "
                "equal values pass too"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "gradients_add",
            "the gradients of the two layers are added together",
            HOLDS,
            gradients_of_both_uses_add_up,
            counters=(counter("an untied twin that counts one use", untie=counting_one_use()),),
            quote="这两层的梯度会相加在一起",
            place="the sentence after cell [28]",
            reading=(
                "the shared layer's gradient is the sum of the gradients its two uses (net[2] and "
                "net[4]) would get as separate layers"
            ),
            reviewed=REVIEWED,
        ),
        # The closing text's benefits of sharing, each shown by running code in why_share.py; the
        # memory claim is measured on this example (the lambda reads TIED_SEQUENTIAL when it runs).
        *why_share_claims(tied_model=lambda device: TIED_SEQUENTIAL.model(device)),
    ),
    corrections=(
        "cell 28 repeats the value comparison and skips the write it describes; the reference "
        "checks identity (`is`), and that a write through one name of an untied copy stays there",
    ),
)

EXAMPLES = (PARAM_ACCESS_MLP, NESTED_BLOCKS, TIED_SEQUENTIAL)
