"""§6.7 GPUs: try_gpu / try_all_gpus with zero, one and several GPUs, and moving a tied model."""

import io

import pytest
import torch
from torch import nn

from reference.seeding import generator, seeded
from reference.tying import alias_groups
from reference.use_gpu import cpu, try_all_gpus, try_gpu
from reference_testing.devices import NEEDS_CUDA, skip_cuda_cases_without_cuda

from machinery.nested_pytest import write_project

CPU, CUDA0, CUDA1, CUDA2 = (torch.device(d) for d in ("cpu", "cuda:0", "cuda:1", "cuda:2"))

NEEDS_TWO_GPUS = [
    pytest.mark.cuda,
    pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two or more CUDA devices"),
]
DEVICES = ["cpu", pytest.param("cuda", marks=NEEDS_CUDA)]


# --- the helpers, for a machine with 0, 1 or 3 GPUs (no hardware needed) --------------------------


@pytest.mark.parametrize(
    ("count", "i", "expected"),
    [
        (0, 0, CPU),
        (0, 1, CPU),
        (1, 0, CUDA0),
        (1, 1, CPU),
        (3, 0, CUDA0),
        (3, 2, CUDA2),
        (3, 3, CPU),
        (3, 10, CPU),
    ],
)
def test_try_gpu_falls_back_to_the_cpu(count, i, expected):
    assert try_gpu(i, count=count) == expected


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, [CPU]), (1, [CUDA0]), (3, [CUDA0, CUDA1, CUDA2])],
)
def test_try_all_gpus_lists_every_gpu_or_the_cpu(count, expected):
    assert try_all_gpus(count=count) == expected


def test_a_negative_index_is_a_mistake():
    with pytest.raises(ValueError, match="0 or more"):
        try_gpu(-1, count=3)


def test_defaults_follow_the_hardware():
    count = torch.cuda.device_count()
    assert try_gpu() == (CUDA0 if count >= 1 else CPU)
    assert try_all_gpus() == ([torch.device(f"cuda:{i}") for i in range(count)] or [CPU])


# --- the skip rule of CUDA cases, on a machine with CUDA and on one without ----------------------

CASES = """
import pytest


@pytest.mark.cuda
def test_needs_cuda():
    pass


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_on_each_device(device):
    pass
"""


@pytest.mark.parametrize("present", [True, False], ids=["cuda_present", "cuda_absent"])
def test_the_skip_rule_skips_the_cuda_cases_only_where_cuda_is_absent(
    pytester, monkeypatch, present
):
    """torch.cuda.is_available patched: on a machine with CUDA no case is skipped (a rule that
    skipped them all would pass every CPU run), without it every `cuda` case is and no other."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: present)
    pytester.makepyfile(test_cases=CASES)
    items, _ = pytester.inline_genitems("-p", "no:syrupy", "-p", "no:cacheprovider")
    skip_cuda_cases_without_cuda(items)
    skipped = [item.name for item in items if item.get_closest_marker("skipif")]
    assert skipped == ([] if present else ["test_needs_cuda", "test_on_each_device[cuda]"])
    # The skip is unconditional where it is added, and says why (the report's one line).
    marks = [item.get_closest_marker("skipif") for item in items if item.name in skipped]
    assert all((m.args, m.kwargs) == ((True,), {"reason": "CUDA is not available"}) for m in marks)


def test_every_example_has_a_cpu_case_and_a_cuda_case_marked_and_one_that_cannot_move_must_fail():
    from reference_testing.devices import CANNOT_MOVE, example_device_cases

    cases = example_device_cases(["mlp", "list_sequential"])
    assert [(c.id, c.values) for c in cases] == [
        ("mlp-cpu", ("mlp", "cpu")),
        ("mlp-cuda", ("mlp", "cuda")),
        ("list_sequential-cpu", ("list_sequential", "cpu")),
        ("list_sequential-cuda", ("list_sequential", "cuda")),
    ]
    marks = [[(m.name, m.args, m.kwargs) for m in c.marks] for c in cases]
    cannot_move = (
        "xfail",
        (),
        {"raises": RuntimeError, "strict": True, "reason": CANNOT_MOVE["list_sequential"]},
    )
    assert marks == [[], [("cuda", (), {})], [], [("cuda", (), {}), cannot_move]]


PROJECT = {
    "pytest.ini": """
        [pytest]
        testpaths = tests
        addopts = -p no:cacheprovider -ra --strict-markers
        json_snapshots = snapshots
        markers =
            cuda: needs a CUDA device
        """,
    "tests/test_cases.py": CASES,
}


@pytest.mark.parametrize(
    ("present", "outcome"),
    [(True, "3 passed"), (False, "1 passed, 2 skipped")],
    ids=["cuda_present", "cuda_absent"],
)
def test_the_plugin_applies_the_rule_to_a_run(tmp_path, run_pytest, monkeypatch, present, outcome):
    """The same, through the installed plugin in a whole (nested) run."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: present)
    run = run_pytest(write_project(tmp_path, PROJECT), "-n", "0")
    assert run.returncode == 0, run
    assert outcome in run.stdout, run


@pytest.mark.parametrize("present", [True, False], ids=["cuda_present", "cuda_absent"])
def test_a_run_that_requires_cuda_stops_where_it_is_absent(monkeypatch, present):
    """REFERENCE_REQUIRE_CUDA=1 (a `cuda` tox env): conftest's check passes a machine with CUDA and
    stops a run without it, rather than letting every CUDA case be skipped."""
    from conftest import require_cuda

    monkeypatch.setattr(torch.cuda, "is_available", lambda: present)
    if present:
        require_cuda()
    else:
        with pytest.raises(pytest.UsageError, match="REFERENCE_REQUIRE_CUDA=1"):
            require_cuda()


# --- on real hardware -----------------------------------------------------------------------------


@pytest.mark.parametrize("_", [pytest.param(None, marks=NEEDS_CUDA, id="cuda")])
def test_one_gpu_holds_tensors_and_refuses_mixed_devices(_):
    x = torch.ones(2, 3, device=try_gpu())
    assert x.device == CUDA0
    assert torch.ones(2, 3).device == CPU  # tensors are made on the CPU unless told otherwise
    with pytest.raises(RuntimeError):
        x + torch.ones(2, 3)  # operands must be on one device: copy first
    assert torch.equal((x + torch.ones(2, 3).to(x.device)).cpu(), torch.full((2, 3), 2.0))


@pytest.mark.parametrize("_", [pytest.param(None, marks=NEEDS_TWO_GPUS, id="several_gpus")])
def test_several_gpus(_):
    count = torch.cuda.device_count()
    devices = try_all_gpus()
    assert devices == [torch.device(f"cuda:{i}") for i in range(count)]
    assert try_gpu(1) == CUDA1 and try_gpu(count) == CPU
    x = torch.ones(2, 3, device=try_gpu(0))
    y = torch.rand(2, 3, device=try_gpu(1))
    with pytest.raises(RuntimeError):
        x + y
    z = x.to(try_gpu(1))  # the book's `X.cuda(1)`: a copy on the other GPU
    assert z.device == CUDA1 and torch.equal((y + z).cpu(), y.cpu() + 1)


# --- a model with tied layers, moved to a device --------------------------------------------------


def tied_net() -> nn.Sequential:
    shared = nn.Linear(8, 8)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared)


def target(device_name: str) -> torch.device:
    return try_gpu() if device_name == "cuda" else cpu()


@pytest.mark.parametrize("device_name", DEVICES)
def test_moved_model_keeps_its_ties_and_its_outputs(device_name):
    device = target(device_name)
    with seeded():
        on_cpu = tied_net()
    with seeded():
        moved = tied_net().to(device)
    x = torch.rand(2, 4, generator=generator())

    assert moved[2] is moved[4] and moved[2].weight is moved[4].weight
    assert moved[2].weight.device.type == device.type
    assert (
        alias_groups(moved)
        == alias_groups(on_cpu)
        == [["2.weight", "4.weight"], ["2.bias", "4.bias"]]
    )
    assert len(list(moved.parameters())) == len(list(on_cpu.parameters())) == 4

    output = moved(x.to(device))
    torch.testing.assert_close(output.cpu(), on_cpu(x))
    output.sum().backward()
    assert moved[2].weight.grad is moved[4].weight.grad is not None


@pytest.mark.parametrize("device_name", DEVICES)
def test_parameters_saved_on_a_device_load_on_the_cpu(device_name):
    """Exercise: reading and writing parameters on the GPU. Save the state_dict where it lives,
    load it anywhere with `map_location`."""
    device = target(device_name)
    with seeded():
        moved = tied_net().to(device)
    buffer = io.BytesIO()
    torch.save(moved.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, map_location="cpu", weights_only=True)
    assert all(t.device == CPU for t in state.values())

    with seeded(1):
        on_cpu = tied_net()
    on_cpu.load_state_dict(state)
    x = torch.rand(2, 4, generator=generator())
    torch.testing.assert_close(on_cpu(x), moved(x.to(device)).cpu())
    assert on_cpu[2].weight is on_cpu[4].weight  # loading writes into the existing tied layer
