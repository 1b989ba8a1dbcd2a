"""The code that decides verdicts, each of its conditions seen to decide: the gradient-sum proof, the
reproducibility check, and where a GPU claim says it was proven."""

import functools
import math

import pytest
import torch
from torch import nn

import reference
from reference import why_share
from reference.example import FALSE, HOLDS, HOLDS_ONLY_WHEN, Claim, Example
from reference.probes import NOT_DECIDED, claim_results
from reference.seeding import SEED, generator
from reference.summary_text import claims_cell, verdict_line
from reference.training import reproducible_only_when_seeded
from reference.tying import (
    SUM_RTOL,
    counting_one_use,
    equals_sum,
    shared_gradients,
)

SHARED = [name for name in reference.names() if reference.get(name).shares]
# The tolerance must sit this many times above the rounding the proof meets, and this many times
# below the smallest real change it must catch (a use lost from the sum).
MARGIN = 10


def proofs(name, untie_wrongly=False):
    example = reference.get(name)
    untie = counting_one_use(example.untie) if untie_wrongly else example.untie
    return shared_gradients(example.model(), example.input(), example.forward, untie)


@pytest.mark.parametrize("name", SHARED)
def test_the_sum_proof_rejects_a_twin_that_counts_one_use(name):
    """A proof that compares the tied gradient with itself, or with anything but the sum of its
    uses, passes this twin: every shared parameter here has two or more contributing uses."""
    wrong = proofs(name, untie_wrongly=True)
    assert [fact["equals_sum_of_uses"] for fact in wrong] == [False] * len(wrong)
    for fact in wrong:
        assert fact["deviation_from_sum"]["relative"] > MARGIN * SUM_RTOL, fact["names"]


def test_the_sum_tolerance_sits_between_rounding_and_a_lost_use():
    """Measured on every shared example: the rounding between the tied gradient and the untied sum
    (largest: shared_rnn's five steps, 9e-8 of scale) and the deviation a lost use makes (smallest:
    chimera, 0.34)."""
    rounding = [f["deviation_from_sum"]["relative"] for n in SHARED for f in proofs(n)]
    lost_use = [f["deviation_from_sum"]["relative"] for n in SHARED for f in proofs(n, True)]
    assert max(rounding) * MARGIN <= SUM_RTOL <= min(lost_use) / MARGIN, (rounding, lost_use)


def test_equals_sum_is_judged_against_the_scale_of_the_whole_tensor():
    summed = torch.tensor([100.0, 1e-3])
    assert equals_sum(summed + torch.tensor([0.0, 1e-4]), summed)  # 1e-6 of scale 100
    assert not equals_sum(summed + torch.tensor([0.0, 1e-2]), summed)  # 1e-4 of scale 100


def trace_of(seed_effect):
    def train(device, seed=SEED):
        return {"loss": [float(seed_effect(seed))]}

    return train


def test_reproducible_only_when_seeded_needs_both_conditions():
    cpu = torch.device("cpu")
    assert reproducible_only_when_seeded(trace_of(lambda seed: seed), cpu) is True
    # The same trace at every seed: "another seed gives another trace" fails.
    assert reproducible_only_when_seeded(trace_of(lambda seed: 1), cpu) is False
    # Another trace at every call: "the same seed gives the same trace" fails.
    draws = iter(range(10))
    assert reproducible_only_when_seeded(trace_of(lambda seed: next(draws)), cpu) is False


def example_with(check, about_cuda=True):
    claim = Claim("c", "text", HOLDS, check, about_cuda=about_cuda, no_counter="a test's own")
    return Example("e", "doc", "it", torch.nn.Identity, lambda g: torch.zeros(1), claims=(claim,))


@pytest.mark.parametrize("agrees", [True, False])
def test_a_gpu_claim_is_not_decided_on_the_cpu_though_its_check_runs(agrees):
    """Neither proven nor disproven (`proven` None), whatever its check says here; the verdict
    says so, the way to decide it is named, and what the check said here is kept."""
    ran = []

    def check(device):
        ran.append(device)
        return agrees

    (result,) = claim_results(example_with(check), "cpu")
    assert ran == [torch.device("cpu")]
    assert result == {
        "claim": "c",
        "text": "text",
        "verdict": NOT_DECIDED,
        "proven": None,
        "about": "cuda",
        "verdict_on_cuda": "holds",
        "decided_by": "a CUDA device: python -m reference run e --device cuda",
        "check_on_this_device": agrees,
    }


@pytest.mark.parametrize(("about_cuda", "device"), [(True, "cuda"), (False, "cpu")])
@pytest.mark.parametrize("agrees", [True, False])
def test_a_claim_is_decided_where_its_statement_runs(about_cuda, device, agrees):
    """A GPU claim on a CUDA device (the check here ignores the device: no GPU is needed), any
    other claim anywhere: its verdict, proven or not by its check."""
    (result,) = claim_results(example_with(lambda _: agrees, about_cuda), device)
    assert (result["verdict"], result["proven"]) == ("holds", agrees)
    assert "decided_by" not in result and "check_on_this_device" not in result


@pytest.mark.parametrize("agrees", [True, False])
def test_a_gpu_claim_not_decided_counts_neither_way_in_the_exit_status(monkeypatch, capsys, agrees):
    """`run NAME` on the CPU: a GPU claim whose check fails here still exits 0 and prints no
    verdict; the same claim not about the GPU exits 1 where its check fails."""
    from reference import cli, registry

    for about_cuda in (True, False):
        example = example_with(lambda _: agrees, about_cuda)
        monkeypatch.setitem(registry.EXAMPLES, "e", example)
        status = cli.main(["run", "e"])
        out = capsys.readouterr().out
        assert status == (0 if about_cuda or agrees else 1), out
        undecided = "-> not decided here (a statement about CUDA" in out
        assert undecided == about_cuda and ("-> holds" in out) != about_cuda, out


def test_the_text_of_a_claim_not_decided_says_so_and_how_to_decide_it():
    (agreeing,) = claim_results(example_with(lambda _: True), "cpu")
    (disagreeing,) = claim_results(example_with(lambda _: False), "cpu")
    assert verdict_line(agreeing) == (
        "not decided here (a statement about CUDA, decided by a CUDA device: python -m reference "
        "run e --device cuda; its check ran on this device too and agrees)"
    )
    assert verdict_line(disagreeing).endswith("and DISAGREES)")
    (decided,) = claim_results(example_with(lambda _: True), "cuda")
    assert verdict_line(decided) == "holds (proven by its check on cuda)"
    example = example_with(lambda _: True)
    assert claims_cell(example, [agreeing], []) == "not decided here (cuda)"
    assert claims_cell(example, [decided], []) == "holds"


def test_a_claim_is_proven_only_by_running_its_check():
    ran = []

    def check(device):
        ran.append(device)
        return False

    claim = Claim("c", "text", HOLDS, check, no_counter="a test's own")
    assert claim.proven("cpu") is False
    assert ran == [torch.device("cpu")]


def test_alive_at_seed_needs_the_samples_told_apart():
    """Two equal samples cannot get two outputs: the check's last condition must say so."""
    (claim,) = [c for c in reference.get("parallel_module").claims if c.name == "alive_at_seed"]

    def equal_samples(g):
        return torch.rand(1, 5, generator=g).repeat(2, 1)

    assert claim.proven("cpu") is True
    assert claim.check(torch.device("cpu"), make_input=equal_samples) is False


def test_a_counter_case_passes_its_arguments_to_the_claims_own_check():
    from reference.example import counter

    def check(device, flipped=False):
        return not flipped

    declared = counter("flipped", flipped=True)
    assert (declared.where, dict(declared.arguments)) == ("flipped", {"flipped": True})
    claim = Claim("c", "text", HOLDS, check, counters=(declared,))
    assert (claim.proven(), claim.proven_at(declared)) == (True, False)
    assert claim.proven_at(counter("same", flipped=False)) is True  # what the check says


def test_a_tuple_input_moves_item_by_item():
    from reference.example import to_device

    pair = (torch.zeros(2), torch.ones(3))
    moved = to_device(pair, "cpu")
    assert isinstance(moved, tuple) and [t.tolist() for t in moved] == [[0.0, 0.0], [1.0] * 3]


def test_determinism_is_configured_before_any_example_runs():
    import os

    assert torch.are_deterministic_algorithms_enabled()
    assert torch.get_num_threads() == 1
    assert not torch.backends.cuda.matmul.allow_tf32
    assert not torch.backends.cudnn.allow_tf32
    assert not torch.backends.cudnn.benchmark
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"


# --- claim checks at their edges: a threshold must say True at the smallest count it admits -------


def test_the_registered_side_of_empty_state_dict_may_hold_a_single_key():
    from reference.construction_exercises import MySequential, empty_state_dict

    one_key = lambda: MySequential(torch.nn.Linear(20, 256, bias=False))  # noqa: E731
    assert empty_state_dict(torch.device("cpu"), registered_build=one_key) is True


def one_parameter_in_all():
    """net1 holds its blocks in a plain list (nothing registered), net2 has no bias."""
    from reference.chapter_models import NestMLP
    from reference.construction_exercises import ListSequential, combine_net

    return combine_net(ListSequential(NestMLP()), torch.nn.Linear(20, 16, bias=False))


def a_bias_gradient_of_exactly_one():
    """One output unit, concatenated by features: its bias's gradient sums to 1."""
    from reference.chapter_models import NestMLP
    from reference.construction_exercises import combine_net

    return combine_net(NestMLP(), torch.nn.Linear(20, 1), dim=1)


@pytest.mark.parametrize("build", [one_parameter_in_all, a_bias_gradient_of_exactly_one])
def test_sub_networks_are_trained_at_the_smallest_counts(build):
    from reference.construction_exercises import sub_networks_are_trained

    assert sub_networks_are_trained(torch.device("cpu"), build=build) is True


def test_output_mean_is_zero_holds_for_two_distinct_column_means():
    from reference.custom_layer import CenteredLayer, output_mean_is_zero

    def two_units():
        return torch.nn.Sequential(torch.nn.Linear(8, 2), CenteredLayer())

    assert output_mean_is_zero(torch.device("cpu"), build=two_units) is True


def test_output_mean_is_zero_holds_just_past_the_size_threshold_and_at_the_tolerance():
    from reference import custom_layer

    def just_past():
        return custom_layer.centered_output_peaking_at(1.0005e3 * custom_layer.MEAN_TOLERANCE)

    def mean_of_exactly_the_tolerance():
        """float64: A - m and -A - m round back to +-A, so the centred mean stays at 1e-6."""
        hidden = torch.tensor([[2.0**40, -(2.0**40)], [4e-6, 4e-6]], dtype=torch.float64)
        return torch.nn.Sequential(custom_layer.FixedHidden(hidden), custom_layer.CenteredLayer())

    for build in (just_past, mean_of_exactly_the_tolerance):
        assert custom_layer.output_mean_is_zero(torch.device("cpu"), build=build) is True


def test_my_init_check_holds_for_weights_at_5_and_10():
    from reference.parameters import zero_or_between_5_and_10

    assert zero_or_between_5_and_10(torch.tensor([0.0, 5.0, -10.0])) is True


def test_xavier_check_holds_at_the_bound_itself():
    from reference.parameters import first_layer_scaled_to, xavier_uniform_within_its_bound

    at_bound = xavier_uniform_within_its_bound(
        torch.device("cpu"), build=lambda: first_layer_scaled_to(1.0)
    )
    assert at_bound is True


def test_the_normal_check_holds_with_the_mean_at_its_bound():
    """Both bounds are inclusive, as the xavier check's. Four values, σ = 1: the mean's bound is
    4·1/√4 = 2.0 exactly; 2 ± 7/8 are exact in float64, so the mean is exactly 2.0, and the standard
    deviation (1.01) is well within its bound."""
    from reference.parameters import close_to_normal

    assert close_to_normal(torch.tensor([2.875, 1.125, 2.875, 1.125], dtype=torch.float64), 1.0)
    assert not close_to_normal(torch.tensor([2.875, 1.25, 2.875, 1.125], dtype=torch.float64), 1.0)


def test_the_normal_check_holds_with_the_spread_at_its_bound():
    """Eight zeros, σ = 1: the standard deviation's bound is 4·1/√(2·8) = 1.0 exactly, and eight
    zeros miss σ by exactly that (their mean, 0, is within its bound); nine zeros, whose bound is
    4/√18 = 0.94, are past it."""
    from reference.parameters import close_to_normal

    assert close_to_normal(torch.zeros(8, dtype=torch.float64), 1.0)
    assert not close_to_normal(torch.zeros(9, dtype=torch.float64), 1.0)


def test_the_he_std_check_takes_fan_in_from_a_single_output_row():
    """A conv weight with one output channel (shape 1×4): fan_in is the one row's 4 values. Its
    standard deviation is made √(2/4) exactly by values ±a, a = √(2/4)·√3/2 (Bessel's n - 1 = 3)."""
    from reference.sharing_blog import std_matches

    a = math.sqrt(2 / 4) * math.sqrt(3) / 2
    weight = torch.tensor([[a, -a, a, -a]], dtype=torch.float64)
    assert std_matches(weight, 1e-9)
    assert not std_matches(weight * 1.01, 1e-9)


# --- the file I/O checks load with weights_only=True, even where the default is False -----------


class Tagged(torch.Tensor):
    """A tensor subclass: the safe loader (weights_only=True) refuses it."""


def tagged(obj):
    if isinstance(obj, torch.Tensor):
        return obj.as_subclass(Tagged)
    if isinstance(obj, list):
        return [tagged(item) for item in obj]
    return {key: tagged(value) for key, value in obj.items()}


@pytest.mark.parametrize("kind", [torch.Tensor, list, dict])
def test_each_round_trip_loads_with_weights_only(kind, monkeypatch):
    """Where the default is the unsafe loader (before torch 2.6, or this variable set), a load that
    dropped weights_only=True would read the subclass; the check must refuse it."""
    import pickle

    from reference import read_write
    from reference.memory import saved_to_memory

    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")

    def save(obj):
        return saved_to_memory(tagged(obj) if isinstance(obj, kind) else obj)

    with pytest.raises(pickle.UnpicklingError):
        read_write.tensors_lists_and_dicts_round_trip(torch.device("cpu"), save=save)


def test_reusing_saved_layers_refuses_a_checkpoint_the_safe_loader_refuses(monkeypatch):
    from reference import read_write

    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    refused = read_write.reuse_first_two_layers(
        torch.device("cpu"), checkpoint=read_write.state_dict_with_training_arguments
    )
    assert refused is False


# --- why share and 004: the checks hold at the edge of what they allow ---------------------------


class ConvWithRoundingNoise(nn.Module):
    """circular_conv, its output moved by up to 4e-7 per position (a fixed pattern): what a kernel
    that rounds differently at each position (a GPU's) may do."""

    def __init__(self):
        super().__init__()
        self.conv = why_share.circular_conv()

    def forward(self, x):
        out = self.conv(x)
        return out + 4e-7 * torch.rand(out.shape, generator=torch.Generator().manual_seed(7))


def test_the_cnn_check_allows_rounding_noise_where_outputs_are_near_zero():
    """A shared kernel whose output carries rounding-sized noise (4e-7) still follows the shift."""
    assert why_share.shared_kernel_finds_features_anywhere("cpu", layer=ConvWithRoundingNoise)


def locally_connected_kernels_apart(spread):
    def build():
        layer = why_share.locally_connected()
        with torch.no_grad():
            first = layer.weight[:1].clone()
            layer.weight.copy_(first + spread * (layer.weight - first))
        return layer

    return build


def test_the_cnn_check_sees_a_control_that_misses_the_shift_by_a_few_hundredths():
    """Kernels per position 1e-2 apart miss the shift by ~2e-2: not 'following' it."""
    assert why_share.shared_kernel_finds_features_anywhere(
        "cpu", unshared=locally_connected_kernels_apart(1e-2)
    )


def test_configure_determinism_sets_every_setting_it_names():
    """From the opposite of each setting (restored after): deterministic kernels, one thread, no
    TF32, no cuDNN benchmark (the CUDA ones are flags, set here too)."""
    from reference.seeding import configure_determinism

    backends = torch.backends
    saved = (
        torch.are_deterministic_algorithms_enabled(),
        torch.get_num_threads(),
        backends.cuda.matmul.allow_tf32,
        backends.cudnn.allow_tf32,
        backends.cudnn.benchmark,
    )
    try:
        torch.use_deterministic_algorithms(False)
        torch.set_num_threads(2)
        backends.cuda.matmul.allow_tf32 = backends.cudnn.allow_tf32 = backends.cudnn.benchmark = (
            True
        )
        configure_determinism()
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.get_num_threads() == 1
        assert not (backends.cuda.matmul.allow_tf32 or backends.cudnn.allow_tf32)
        assert not backends.cudnn.benchmark
    finally:
        torch.use_deterministic_algorithms(saved[0])
        torch.set_num_threads(saved[1])
        backends.cuda.matmul.allow_tf32, backends.cudnn.allow_tf32, backends.cudnn.benchmark = (
            saved[2:]
        )


# --- 002: its tolerances hold at the deviation they allow -----------------------------------------


def conv2d_off_by_the_tolerance(x, weight, padding=0):
    """conv2d whose result, for a non-contiguous weight, is off by half of what the check allows at
    every entry (5e-4 + 5e-4·|out|): a GPU kernel's rounding, which must still pass."""
    out = torch.nn.functional.conv2d(x, weight, padding=padding)
    return out if weight.is_contiguous() else out + (5e-4 + 5e-4 * out.detach().abs())


def conv2d_gradient_off_by_the_tolerance(x, weight, padding=0):
    """conv2d whose weight gradient, for a non-contiguous weight, is off by about half of what the
    check allows (its result is right)."""
    if not weight.is_contiguous():
        weight = weight + 5e-4 * (weight - weight.detach())
    out = torch.nn.functional.conv2d(x, weight, padding=padding)
    return out


@pytest.mark.parametrize(
    "conv2d", [conv2d_off_by_the_tolerance, conv2d_gradient_off_by_the_tolerance]
)
def test_the_contiguity_check_allows_a_kernels_rounding(conv2d):
    from reference.sharing_blog import conv2d_accepts_non_contiguous_weight

    assert conv2d_accepts_non_contiguous_weight(torch.device("cpu"), conv2d=conv2d) is True


def test_the_projection_check_holds_for_logits_below_one():
    from reference.sharing_blog import TIED_EMBEDDINGS, output_projection_is_the_table

    def table_a_tenth():
        model = TIED_EMBEDDINGS.build()
        with torch.no_grad():
            model.embed_tokens.weight.mul_(0.1)
        return model

    assert output_projection_is_the_table(torch.device("cpu"), build=table_a_tenth) is True


def test_the_padding_check_holds_for_a_single_padding_entry():
    from reference.sharing_blog import padding_row_is_zero

    one_wide = lambda: torch.nn.Embedding(11, 1, padding_idx=0)  # noqa: E731
    sentence = torch.tensor([[3, 0]])
    assert padding_row_is_zero(torch.device("cpu"), build=one_wide, sentences=sentence) is True


def conv2d_gradient_off_by_an_absolute_amount(x, weight, padding=0):
    """conv2d whose result is right but whose weight gradient, for a non-contiguous weight, is off
    by 9e-4 at every entry, small ones included (the check's `atol` is 1e-3): a kernel's rounding
    scales with the accumulated sum, not with the entry, so at small entries `atol` must absorb it."""
    out = torch.nn.functional.conv2d(x, weight, padding=padding)
    if weight.is_contiguous():
        return out
    gradient_only = 9e-4 * weight.sum()  # adds 9e-4 to each entry's gradient, nothing to the value
    return out + (gradient_only - gradient_only.detach()) / out.numel()


def test_the_contiguity_check_allows_an_absolute_gradient_error_at_small_entries():
    from reference.sharing_blog import CONV_SHARED_TRANSPOSE, conv2d_accepts_non_contiguous_weight

    cpu = torch.device("cpu")
    model = CONV_SHARED_TRANSPOSE.model(cpu)
    h = torch.nn.functional.conv2d(CONV_SHARED_TRANSPOSE.input(cpu), model.conv_weight, padding=2)
    (grad,) = torch.autograd.grad(
        torch.nn.functional.conv2d(h.detach(), model.conv_weight.transpose(2, 3)).sum(),
        model.conv_weight,
    )
    assert grad.abs().min() < 0.9  # entries where 9e-4 is more than the relative 1e-3 allows
    assert conv2d_accepts_non_contiguous_weight(
        cpu, conv2d=conv2d_gradient_off_by_an_absolute_amount
    )


class LanguageModelWithResidue(nn.Module):
    """tied_embeddings' model with a constant added to every logit: with the table zeroed, the
    logits are exactly `residue`."""

    def __init__(self, residue: float):
        super().__init__()
        from reference.sharing_blog import TIED_EMBEDDINGS

        self.model = TIED_EMBEDDINGS.build()
        self.embed_tokens = self.model.embed_tokens
        self.register_buffer("residue", torch.tensor(residue))

    def forward(self, tokens):
        return self.model(tokens) + self.residue


def test_the_projection_check_allows_a_residue_of_exactly_one_epsilon_of_the_scale():
    """The bound is inclusive: a residue of eps·scale still "vanishes", one ulp more does not."""
    from reference.sharing_blog import TIED_EMBEDDINGS, output_projection_is_the_table

    cpu, eps = torch.device("cpu"), torch.finfo(torch.float32).eps
    tokens = TIED_EMBEDDINGS.input(cpu)
    residue = 0.0
    for _ in range(10):  # the scale moves with the residue: iterate to the fixed point
        with torch.no_grad():
            model = TIED_EMBEDDINGS.model(
                cpu, build=functools.partial(LanguageModelWithResidue, residue)
            )
            scale = model(tokens).abs().max().item()
        if residue == eps * scale:
            break
        residue = eps * scale
    assert residue == eps * scale
    at_the_bound = torch.tensor(residue).item()
    above = torch.nextafter(torch.tensor(residue), torch.tensor(1.0)).item()
    at = functools.partial(LanguageModelWithResidue, at_the_bound)
    past = functools.partial(LanguageModelWithResidue, above)
    assert output_projection_is_the_table(cpu, build=at)
    assert not output_projection_is_the_table(cpu, build=past)


def test_the_padding_check_holds_when_the_loss_ignores_the_padding_token_too():
    """Giving the padding token the loss weight 0 changes nothing: its row got no gradient anyway,
    and every other used row still does."""
    from reference.sharing_blog import PADDING_IDX, padding_row_gets_no_gradient

    assert padding_row_gets_no_gradient(torch.device("cpu"), ignored_token=PADDING_IDX) is True


class LinearNetOffByRounding(nn.Module):
    """LinearNet with its output moved by 1e-6 of itself (about 8 float32 ulps): another kernel's
    rounding of the two products."""

    def __init__(self):
        super().__init__()
        from reference.sharing_blog import LinearNet

        self.net = LinearNet()
        self.linear_weight = self.net.linear_weight

    def forward(self, x):
        out = self.net(x)
        return out + 1e-6 * out.detach()


def test_the_transpose_check_allows_rounding_and_sees_a_thousandth():
    from reference.sharing_blog import LinearNetOffByAThousandth, computes_x_wt_w

    cpu = torch.device("cpu")
    assert computes_x_wt_w(cpu, build=LinearNetOffByRounding) is True
    assert computes_x_wt_w(cpu, build=LinearNetOffByAThousandth) is False


def test_a_condition_goes_with_holds_only_when_and_only_with_it():
    def check(device):
        return True

    conditional = Claim("c", "text", HOLDS_ONLY_WHEN, check, no_counter="-", condition="x > 0")
    assert conditional.verdict_text == "holds only when x > 0"
    assert Claim("c", "text", "false", check, no_counter="-").verdict is FALSE
    with pytest.raises(ValueError, match="a condition goes with the verdict 'holds only when'"):
        Claim("c", "text", HOLDS_ONLY_WHEN, check, no_counter="-")
    with pytest.raises(ValueError, match="a condition goes with the verdict 'holds only when'"):
        Claim("c", "text", HOLDS, check, no_counter="-", condition="x > 0")
    with pytest.raises(ValueError, match="'hold' is not a valid Verdict"):
        Claim("c", "text", "hold", check, no_counter="-")


def test_an_input_is_the_examples_or_a_counter_cases_at_the_examples_seed_or_another():
    example = reference.get("parallel_module")  # drawn at a seed of its own, not SEED

    def three_rows(g):
        return torch.rand(3, 5, generator=g)

    assert example.seed != SEED
    assert torch.equal(example.input(), example.make_input(generator(example.seed)))
    assert torch.equal(example.input(make_input=three_rows), three_rows(generator(example.seed)))
    assert torch.equal(example.input(seed=SEED, make_input=three_rows), three_rows(generator(SEED)))


class LossFlipsSign(nn.Module):
    """A model whose output is its one weight, 3: the loss w² has gradient 2w, so one SGD step at
    lr 1 moves w to -3 exactly and the loss comes back bit-equal."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([3.0]))

    def forward(self, x):
        return self.w


def test_a_step_that_moves_every_weight_but_leaves_the_loss_equal_does_not_lower_it():
    """The loss must drop, not merely not rise: `<=` in place of `<` (recorded once as equivalent,
    true only of the example's own build) passes this step."""
    from reference.construction_exercises import one_sgd_step_lowers_the_loss

    assert not one_sgd_step_lowers_the_loss(torch.device("cpu"), lr=1.0, build=LossFlipsSign)
    assert one_sgd_step_lowers_the_loss(torch.device("cpu"), lr=0.1, build=LossFlipsSign)


def test_add_module_check_compares_the_outputs_dtype_not_only_their_values():
    """A variant whose output is the same numbers in float64: torch.equal says equal (it ignores
    the dtype); the check, comparing the same data, must not."""
    from reference.construction_exercises import (
        add_module_registers_the_same,
        muti_module_add_module,
    )

    class OutputInFloat64(muti_module_add_module):
        def forward(self, X):
            return super().forward(X).double()

    cpu = torch.device("cpu")
    assert add_module_registers_the_same(cpu)
    assert not add_module_registers_the_same(cpu, variants=[("add_module", OutputInFloat64)])


def test_close_to_normal_refuses_a_mean_shifted_either_way():
    """The mean is judged in both directions: 10,000 draws of sigma 0.01 shifted by 1e-3 (10
    standard errors of the mean; the bound is 4, 4e-4) fail below zero as above it."""
    from reference.parameters import close_to_normal

    draws = torch.randn(10_000, generator=generator(SEED), dtype=torch.float64) * 0.01
    draws = draws - draws.mean()  # mean 0 exactly, std about 0.01
    assert close_to_normal(draws, 0.01)
    assert not close_to_normal(draws + 1e-3, 0.01)
    assert not close_to_normal(draws - 1e-3, 0.01)


def test_only_the_documented_runtime_error_counts_as_raised():
    """The deferred-initialisation checks count the RuntimeError a size mismatch raises; another
    error (a TypeError from a typo in a build) is no evidence, and is left to fail loudly."""
    from reference.deferred_init import raises_runtime_error

    def mismatch():
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    def typo():
        raise TypeError("forward() takes 2 positional arguments but 3 were given")

    assert raises_runtime_error(mismatch)
    assert not raises_runtime_error(lambda: None)
    with pytest.raises(TypeError):
        raises_runtime_error(typo)


def test_calling_the_module_must_give_forwards_output_in_its_dtype_too():
    """A hook that hands back forward's output in float64 (the same numbers): `net(X)` no longer
    gives what `net.forward(X)` gives, though torch.equal, blind to the dtype, says it does."""
    from reference.model_construction import MLP, calling_the_module_runs_forward

    class MLPWithAFloat64Hook(MLP):
        def __init__(self):
            super().__init__()
            self.register_forward_hook(lambda module, inputs, output: output.double())

    cpu = torch.device("cpu")
    assert calling_the_module_runs_forward(cpu)
    assert not calling_the_module_runs_forward(cpu, build=MLPWithAFloat64Hook)


def test_close_to_normal_holds_the_std_to_its_own_standard_error():
    """The standard deviation of n normal draws has a standard error of sigma/sqrt(2n), not the
    mean's sigma/sqrt(n): 10,000 draws whose std is 3.4e-4 above sigma = 0.01 are 4.8 of the
    former (refused) and 3.4 of the latter."""
    from reference.parameters import close_to_normal

    draws = torch.randn(10_000, generator=generator(SEED), dtype=torch.float64)
    draws = (draws - draws.mean()) / draws.std()  # mean 0, std 1 exactly (to rounding)
    assert close_to_normal(draws * 0.01, 0.01)
    assert not close_to_normal(draws * (0.01 + 3.4e-4), 0.01)


def test_the_model_that_forgets_super_init_fails_at_its_first_assignment():
    """The `article_call` counter-case says "another AttributeError": the one of a Module whose
    `__init__` never ran, at its first assignment, not the article's (weight_norm on a bare
    Parameter) nor any later one."""
    from reference.sharing_article import ForgetsModuleInitModel

    with pytest.raises(AttributeError, match=r"before Module\.__init__\(\) call"):
        ForgetsModuleInitModel()
