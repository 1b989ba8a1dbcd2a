"""Shared gradients under DistributedDataParallel: two CPU processes on gloo against one process.

One test, so that one process group serves every check whichever xdist worker runs it (a module
fixture would start a group on every worker that gets a test of this file).
"""

import os
import sys
import threading
import time

import pytest
import torch
import torch.distributed as dist

from reference import distributed
from reference.registry import get
from reference.tying import alias_groups

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()),
    reason="this torch has no torch.distributed with gloo",
)


# pytest's limit for the test below: past the ranks' deadline, time to kill them (a join of 5 s each
# at most) and to compute the single-process gradients. Its own deadline fires first, so the ranks
# are killed even where pytest-timeout would end the process without running any `finally`.
KILL_AND_CHECK_S = 20


@pytest.mark.timeout(distributed.DEADLINE_S + KILL_AND_CHECK_S)
def test_every_rank_has_the_single_process_gradients_and_the_ranks_agree():
    ranks = distributed.gradients_on_two_processes()
    assert len(ranks) == distributed.WORLD_SIZE
    for name in distributed.MODELS:
        single = distributed.single_process_gradients(name)
        first = ranks[0][name]["gradients"]
        for rank, found in enumerate(ranks):
            gradients = found[name]["gradients"]
            # Named once per Parameter: the tie is still one parameter, on every rank.
            assert list(gradients) == list(single), (name, rank)
            assert found[name]["alias_groups"] == alias_groups(get(name).model()), (name, rank)
            for key, expected in single.items():
                # The ranks' all-reduced average of their halves vs one process on the whole
                # batch: the same sums in another order, equal within float32 rounding.
                torch.testing.assert_close(gradients[key], expected, msg=f"{name} {key} rank {rank}")  # fmt: skip
                # All-reduce leaves every rank the same bits.
                assert torch.equal(gradients[key], first[key]), (name, key, rank)


def test_one_rank_alone_differs_from_the_average():
    """The check above has teeth: one rank's own half-batch gradient is not the whole-batch one."""
    for name in distributed.MODELS:
        model = get(name).model()
        model(distributed.batch_of(name, rank=0)).mean().backward()
        alone = distributed.gradients_of(model)
        single = distributed.single_process_gradients(name)
        assert any(not torch.allclose(alone[k], single[k]) for k in single), name


def test_the_ranks_are_forked_only_from_a_process_of_one_thread(monkeypatch):
    """A fork copies one thread: a lock another thread holds stays locked in the child."""
    monkeypatch.delenv(distributed.START_METHOD_VARIABLE, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(distributed, "threads_of_this_process", lambda: 1)
    assert distributed.start_method() == ("forkserver" if torch.cuda.is_initialized() else "fork")
    for elsewhere in (2, None):  # another thread; no /proc to count them
        monkeypatch.setattr(distributed, "threads_of_this_process", lambda n=elsewhere: n)
        assert distributed.start_method() == "forkserver"
    monkeypatch.setattr(distributed, "threads_of_this_process", lambda: 1)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert distributed.start_method() == "spawn"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads in /proc")
def test_a_running_thread_is_counted():
    before = distributed.threads_of_this_process()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert distributed.threads_of_this_process() == before + 1
    finally:
        stop.set()
        thread.join()


def test_the_start_method_can_be_chosen_and_a_wrong_one_is_named(monkeypatch):
    monkeypatch.setenv(distributed.START_METHOD_VARIABLE, "spawn")
    assert distributed.start_method() == "spawn"
    monkeypatch.setenv(distributed.START_METHOD_VARIABLE, "threads")
    with pytest.raises(ValueError, match="REFERENCE_START_METHOD='threads': expected fork"):
        distributed.start_method()


def test_past_the_deadline_both_ranks_are_killed_and_it_says_so(monkeypatch):
    """Spawned ranks cannot import torch in 0.3 s: the deadline fires while they start, both are
    killed, and the error names the deadline."""
    import torch.multiprocessing as mp

    started = []

    def recorded(*args, **kwargs):
        started.append(start(*args, **kwargs))
        return started[-1]

    start = mp.start_processes
    monkeypatch.setattr(mp, "start_processes", recorded)
    monkeypatch.setenv(distributed.START_METHOD_VARIABLE, "spawn")
    begun = time.monotonic()
    with pytest.raises(TimeoutError, match=r"the 2 processes did not finish in 0\.3 s"):
        distributed.gradients_on_two_processes(timeout=0.3)
    assert time.monotonic() - begun < 0.3 + 2 * 5  # the deadline, then a kill and join each
    (context,) = started
    assert [process.is_alive() for process in context.processes] == [False, False]
    # Killed (a negative exit code: the signal), not finished.
    assert [process.exitcode < 0 for process in context.processes] == [True, True]


@pytest.mark.parametrize(
    ("interfaces", "chosen", "expected"),
    [
        pytest.param([(1, "lo"), (2, "eth0")], None, "lo", id="linux"),
        pytest.param([(1, "lo0"), (2, "en0")], None, "lo0", id="macos"),
        pytest.param([(1, "lo"), (2, "eth0")], "eth0", "eth0", id="the-callers-choice-kept"),
        pytest.param([(1, "eth0")], None, None, id="no-loopback-nothing-set"),
    ],
)
def test_gloo_binds_to_the_loopback_unless_the_caller_chose(
    interfaces, chosen, expected, monkeypatch
):
    """gloo resolves the host's name unless told an interface (slow or failing on some macOS CI
    runners): the loopback's name ('lo' on Linux, 'lo0' on macOS), never over the caller's."""
    monkeypatch.setattr(distributed.socket, "if_nameindex", lambda: interfaces)
    if chosen is None:
        monkeypatch.delenv("GLOO_SOCKET_IFNAME", raising=False)
    else:
        monkeypatch.setenv("GLOO_SOCKET_IFNAME", chosen)
    distributed.gloo_on_loopback()
    assert os.environ.get("GLOO_SOCKET_IFNAME") == expected
