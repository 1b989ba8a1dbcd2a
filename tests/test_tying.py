"""reference/tying.py on small hand-built models: untying by registration (a module registered twice,
with children or an empty slot beside it; unshared parameters left as they were), the backward pass
the gradient-sum proof runs (old gradients dropped, not zeroed), and the proof's edge cases (all-zero
gradients, a tolerance met exactly, a shared parameter whose uses list is empty).

The proof's tolerance measured against every shared example, and the one-use twin it must reject,
are in test_checking_code.py.
"""

import pytest
import torch
from torch import nn

from reference.tying import (
    SUM_RTOL,
    alias_groups,
    backward_of,
    deviation_from_sum,
    equals_sum,
    identical_tensors,
    shared_gradients,
    untie_registrations,
    within_sum_tolerance,
)


def total(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return model(x)


def test_a_module_registered_twice_with_children_is_cloned_whole():
    """The clone of a shared block replaces the parameters of the block's children too."""
    block = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
    model = nn.Sequential(block, block)
    untied, clones_of = untie_registrations(model)
    assert clones_of == {
        "0.0.weight": ["0.0.weight", "1.0.weight"],
        "0.0.bias": ["0.0.bias", "1.0.bias"],
    }
    assert alias_groups(untied) == []
    assert untied[0][0].weight is not untied[1][0].weight
    assert torch.equal(untied[0][0].weight, untied[1][0].weight)


def test_an_empty_registration_does_not_stop_the_untying():
    """A child slot holding None (register_module(name, None)) before the second registration."""
    shared = nn.Linear(2, 2)
    model = nn.Module()
    model.first = shared
    model.register_module("gap", None)
    model.second = shared
    untied, _ = untie_registrations(model)
    assert alias_groups(model) != [] and alias_groups(untied) == []
    assert untied.gap is None


def test_an_unshared_frozen_parameter_is_left_as_it_is():
    """Only the second registration of a shared module is rebuilt: an unshared parameter keeps what
    the deep copy gave it (a rebuilt Parameter would be trainable)."""
    frozen = nn.Linear(2, 2)
    frozen.requires_grad_(False)
    shared = nn.Linear(2, 2)
    untied, _ = untie_registrations(nn.Sequential(frozen, shared, shared))
    assert [p.requires_grad for p in untied[0].parameters()] == [False, False]
    assert alias_groups(untied) == []


def test_nested_sharing_is_untied_at_every_depth():
    """A block that shares a layer inside, itself registered twice: every name gets its own."""
    layer = nn.Linear(2, 2)
    block = nn.Sequential(layer, layer)
    untied, clones_of = untie_registrations(nn.Sequential(block, block))
    assert clones_of == {
        "0.0.weight": ["0.0.weight", "0.1.weight", "1.0.weight", "1.1.weight"],
        "0.0.bias": ["0.0.bias", "0.1.bias", "1.0.bias", "1.1.bias"],
    }
    assert alias_groups(untied) == []
    weights = [untied.get_parameter(name) for name in clones_of["0.0.weight"]]
    assert len({id(w) for w in weights}) == 4
    assert all(torch.equal(w, weights[0]) for w in weights)


def test_one_parameter_held_by_three_modules_gets_three_objects():
    """A Parameter assigned to three modules (not one module registered three times): only its
    later meetings are cloned. Cloning the first meeting instead looks the same with two holders
    (each name its own object) but leaves the second and third tied with three (an equivalence
    tools/mutation_equivalents.toml once recorded, true only for the two-holder models of then)."""
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2))
    model[1].weight = model[2].weight = model[0].weight
    untied, clones_of = untie_registrations(model)
    assert clones_of == {"0.weight": ["0.weight", "1.weight", "2.weight"]}
    assert alias_groups(untied) == []
    weights = [untied[i].weight for i in range(3)]
    assert len({id(w) for w in weights}) == 3
    assert all(torch.equal(w, weights[0]) for w in weights)


def test_alias_groups_are_one_parameter_object_not_one_memory():
    """Two Parameters over one memory (the same data, wrapped twice) are two objects: no tie."""
    model = nn.Module()
    data = torch.ones(3)
    model.a, model.b = nn.Parameter(data), nn.Parameter(data)
    assert model.a.data_ptr() == model.b.data_ptr()
    assert alias_groups(model) == []


def test_the_names_of_a_shared_parameter_are_found_by_identity_not_by_equal_values():
    """A third layer holding a copy of the shared weight's values is no name of it."""
    shared = nn.Linear(2, 2, bias=False)
    copy_of_it = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        copy_of_it.weight.copy_(shared.weight)
    model = nn.Sequential(shared, shared, copy_of_it)
    [fact] = shared_gradients(model, torch.ones(1, 2), total)
    assert fact["names"] == ["0.weight", "1.weight"]


def test_a_frozen_shared_parameter_stays_frozen_in_every_clone():
    shared = nn.Linear(2, 2)
    shared.weight.requires_grad_(False)
    untied, _ = untie_registrations(nn.Sequential(shared, shared))
    assert [untied[i].weight.requires_grad for i in (0, 1)] == [False, False]
    assert [untied[i].bias.requires_grad for i in (0, 1)] == [True, True]


def test_backward_of_drops_the_gradients_it_finds():
    """Gradients are set to None first, not zeroed: a parameter the pass does not reach ends with
    no gradient, and a reached one gets a new gradient object."""
    model = nn.Linear(2, 2)
    model.weight.grad = torch.ones(2, 2)
    old_bias_grad = model.bias.grad = torch.ones(2)
    backward_of(model, torch.ones(2), lambda m, x: m.bias * x)
    assert model.weight.grad is None
    assert model.bias.grad is not old_bias_grad and model.bias.grad.tolist() == [1.0, 1.0]


def test_all_zero_gradients_equal_their_sum_with_no_relative_deviation():
    zeros = torch.zeros(3)
    assert deviation_from_sum(zeros, zeros) == {
        "max_abs": 0.0,
        "largest_difference": 0.0,
        "relative": 0.0,
        "tolerance": SUM_RTOL,
    }
    assert equals_sum(zeros, zeros)


def test_a_deviation_exactly_at_the_tolerance_passes():
    at_tolerance = {"max_abs": 1.0, "largest_difference": SUM_RTOL, "tolerance": SUM_RTOL}
    assert within_sum_tolerance(at_tolerance)
    assert not within_sum_tolerance({**at_tolerance, "largest_difference": 2 * SUM_RTOL})


def test_a_shared_parameter_with_no_use_listed_sums_to_zero():
    """An untie that lists no clone for a name: the sum of no uses is a zero tensor, which a
    non-zero tied gradient does not equal."""
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, shared)

    def untie_listing_no_use(m):
        return untie_registrations(m)[0], {"0.weight": []}

    (fact,) = shared_gradients(model, torch.ones(1, 2), total, untie_listing_no_use)
    assert (fact["uses"], fact["contributing_uses"]) == (0, 0)
    assert torch.equal(fact["sum_of_uses"], torch.zeros(2, 2))
    assert fact["equals_sum_of_uses"] is False


def test_a_parameter_shared_by_attribute_is_untied_past_an_empty_slot():
    """One Parameter set on a module under two names, an empty (None) parameter between them."""
    holder = nn.Module()
    shared = nn.Parameter(torch.ones(2))
    holder.first = shared
    holder.register_parameter("gap", None)
    holder.second = shared
    untied, _ = untie_registrations(holder)
    assert alias_groups(holder) != [] and alias_groups(untied) == []


def test_a_frozen_parameter_shared_by_two_modules_stays_frozen_in_its_clone():
    """The Parameter itself (not its module) given to two modules: its clone keeps requires_grad."""
    frozen = nn.Parameter(torch.ones(2, 2), requires_grad=False)
    first, second = nn.Linear(2, 2), nn.Linear(2, 2)
    first.weight = second.weight = frozen
    untied, _ = untie_registrations(nn.Sequential(first, second))
    assert untied[0].weight is not untied[1].weight
    assert [untied[i].weight.requires_grad for i in (0, 1)] == [False, False]


def test_identical_tensors_tells_each_property_apart_alone():
    """Each of values, dtype, shape and device differing alone makes two tensors not identical
    (`torch.equal` alone misses the dtype, and raises across devices)."""
    a = torch.arange(4.0)
    assert identical_tensors(a, a.clone())
    assert torch.equal(a, a.half()) and not identical_tensors(a, a.half())  # dtype alone
    assert not identical_tensors(a, a.view(1, 4))  # shape alone
    assert not identical_tensors(a, torch.empty(4, device="meta"))  # device alone, no raise
    assert not identical_tensors(a, a + torch.tensor([0.0, 0.0, 0.0, 1.0]))  # values alone


@pytest.mark.parametrize(
    "summed",
    [torch.ones(1, 3), torch.ones(3, dtype=torch.float64), torch.ones(3, device="meta")],
    ids=["shape", "dtype", "device"],
)
def test_a_sum_of_uses_unlike_the_gradient_is_refused(summed):
    """A per-use sum that broadcasts against the gradient (shape), or was promoted (dtype), or
    lives elsewhere, is not compared value by value: the twin mirrors another model."""
    # Anchored: a search for the phrase inside a longer message would pass a garbled one.
    with pytest.raises(ValueError, match=r"differ: the untied twin does not mirror the model$"):
        deviation_from_sum(torch.ones(3), summed)
