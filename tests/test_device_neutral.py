"""One snapshot for every device: the repr the snapshots lock carries no device, and hides nothing else."""

import pytest
import torch

import reference
from reference.probes import device_neutral_repr
from reference_testing.devices import NEEDS_CUDA

NAMES = reference.names()


@pytest.mark.parametrize("name", NAMES)
def test_the_cpu_repr_is_left_as_it_is(name):
    """On the CPU there is nothing to remove: the locked repr is PyTorch's own, letter for letter."""
    model = reference.get(name).model("cpu")
    assert device_neutral_repr(model) == repr(model)


# The two forms PyTorch's containers print for a CUDA tensor (torch/nn/modules/container.py,
# ParameterList.extra_repr and ParameterDict.extra_repr), and what must survive around them.
CUDA_FORMS = [
    (
        "(0): Parameter containing: [torch.float32 of size 10x10 (cuda:0)]",
        "(0): Parameter containing: [torch.float32 of size 10x10]",
    ),
    (
        "(weight1): Parameter containing: [torch.cuda.FloatTensor of size 10x10 (cuda:1)]",
        "(weight1): Parameter containing: [torch.FloatTensor of size 10x10]",
    ),
    # A module's own text that merely mentions a device is not an annotation: kept.
    ("Note(device=cuda:0)", "Note(device=cuda:0)"),
    # Nor is other text in brackets before a closing bracket.
    ("[torch.float32 of size 3 (pinned)]", "[torch.float32 of size 3 (pinned)]"),
]


@pytest.mark.parametrize(("printed", "neutral"), CUDA_FORMS)
def test_device_annotations_are_removed_and_nothing_else(printed, neutral, monkeypatch):
    model = torch.nn.Identity()
    monkeypatch.setattr(torch.nn.Identity, "extra_repr", lambda self: printed)
    assert device_neutral_repr(model) == f"Identity({neutral})"


@NEEDS_CUDA
@pytest.mark.parametrize("name", NAMES)
def test_the_cuda_repr_is_the_cpu_repr_once_devices_are_removed(name):
    example = reference.get(name)
    on_cpu, on_cuda = example.model("cpu"), example.model("cuda")
    assert device_neutral_repr(on_cuda) == repr(on_cpu)
    if name in ("parameter_list_chain", "parameter_dict_chain"):
        assert repr(on_cuda) != repr(on_cpu)  # the annotations were there, and were removed
