"""The pytest plugin (entry point `pytest11`): the `snapshot_json` fixture, the snapshot files no
test claims (named, failing a run, removed only on purpose), and the `cuda` marker's skip.

syrupy's own "unused snapshots" are turned off: syrupy calls a snapshot unused when no assertion
of this run reached it, so the snapshot of a test that failed before its assertion was "unused",
and its `--snapshot-update` deleted it. Here a file is an orphan only when no test that pytest
collected claims it (`claims`): decided from the collection, whatever ran, on any device.

Installed, it is loaded in every pytest run, so it stays idle unless the run's configuration names
a snapshot folder (`json_snapshots`, relative to the configuration file). It imports neither torch
nor syrupy until a run of such a project needs them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .claims import (
    LAYOUT,
    SNAPSHOTS_INI,
    TESTS_INI,
    Collection,
    Layout,
    collection_asked,
    is_active,
    layout_of,
)

# Set to 1 to delete the snapshot files no collected test claims (listed before they go).
PRUNE_VARIABLE = "REFERENCE_SNAPSHOT_PRUNE"
PRUNE_COMMAND = f"{PRUNE_VARIABLE}=1 pytest"
# What an xdist worker sends its controller: the orphans its collection found.
WORKER_KEY = "reference_testing_orphans"
# syrupy's summary line where its unused-snapshot detection is off: replaced by this plugin's.
SYRUPY_DISABLED = "Unused snapshot detection is disabled"
SYRUPY_HEADING = "snapshot report summary"


@dataclass
class Verdict:
    """What a run found: how many snapshot files it could judge, the orphans among them (absolute
    paths), how many tests it deselected."""

    judged: int = 0
    orphans: list[str] = field(default_factory=list)
    deselected: int = 0
    complete: bool = True  # every xdist worker's collection came back
    deleted: bool = False


@dataclass
class RunState:
    collection: Collection
    deselected: int = 0
    worker_verdicts: list[dict] = field(default_factory=list)
    workers_down: int = 0
    verdict: Verdict | None = None


STATE = pytest.StashKey[RunState]()


def pytest_addoption(parser):
    parser.addini(
        SNAPSHOTS_INI,
        "JSON snapshots (reference_testing): their folder, relative to the configuration file; "
        "unset, the plugin does nothing",
        default="",
    )
    parser.addini(
        TESTS_INI,
        "JSON snapshots (reference_testing): the folder test files are named relative to",
        default="tests",
    )


def pruning() -> bool:
    return os.environ.get(PRUNE_VARIABLE) == "1"


def pytest_configure(config):
    folder = config.getini(SNAPSHOTS_INI)
    if not folder:
        return
    base = config.inipath.parent if config.inipath else config.rootpath
    tests = (base / config.getini(TESTS_INI)).resolve()
    config.stash[LAYOUT] = Layout(tests=tests, snapshots=(base / folder).resolve())
    asked, narrowed = collection_asked(config)
    config.stash[STATE] = RunState(Collection(asked=asked, narrowed=narrowed))
    # syrupy never judges nor deletes a snapshot here: it would from the assertions that ran. An
    # xdist worker still sends syrupy's report (it deletes nothing), so that the controller's
    # summary counts the snapshots that passed and failed.
    config.option.disable_unused_snapshots = not hasattr(config, "workerinput")
    config.option.no_cleanup = True


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    if is_active(collector.config) and collector.path is not None and collector.path.is_file():
        collection = collector.config.stash[STATE].collection
        if isinstance(collector, pytest.Module) and report.passed:
            collection.add_module(collector.path)
        elif not report.passed:  # a module or a class in it skipped or failed: not whole
            collection.drop_module(collector.path)
    return report


def pytest_itemcollected(item):
    if is_active(item.config):
        item.config.stash[STATE].collection.add_item(item)


def pytest_deselected(items):
    if items and is_active(items[0].config):
        items[0].config.stash[STATE].deselected += len(items)


def pytest_collection_modifyitems(config, items):
    if is_active(config) and any(item.get_closest_marker("cuda") for item in items):
        from .devices import skip_cuda_cases_without_cuda

        skip_cuda_cases_without_cuda(items)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist's controller, as each worker ends: the orphans that worker's collection found."""
    if is_active(node.config):
        state = node.config.stash[STATE]
        state.workers_down += 1
        found = getattr(node, "workeroutput", {}).get(WORKER_KEY)
        if found is not None:
            state.worker_verdicts.append(found)


def is_xdist_controller(config) -> bool:
    return config.pluginmanager.has_plugin("dsession")


def judged(config) -> Verdict:
    """This process's verdict, or on xdist's controller the workers' together: a file is an orphan
    only where every worker found it one (they collect the same tests)."""
    state = config.stash[STATE]
    if not is_xdist_controller(config):
        judged, orphans = state.collection.orphans(layout_of(config))
        return Verdict(judged, [str(path) for path in orphans], state.deselected)
    verdicts = state.worker_verdicts
    if not verdicts or len(verdicts) < state.workers_down:
        return Verdict(complete=False)
    common = set.intersection(*(set(v["orphans"]) for v in verdicts))
    return Verdict(
        min(v["judged"] for v in verdicts),
        sorted(common),
        max(v["deselected"] for v in verdicts),
    )


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if not is_active(config):
        return
    verdict = judged(config)
    if hasattr(config, "workerinput"):  # an xdist worker: its controller judges
        config.workeroutput[WORKER_KEY] = {
            "judged": verdict.judged,
            "orphans": verdict.orphans,
            "deselected": verdict.deselected,
        }
        return
    config.stash[STATE].verdict = verdict
    if not verdict.orphans or exitstatus in (
        pytest.ExitCode.INTERRUPTED,
        pytest.ExitCode.INTERNAL_ERROR,
        pytest.ExitCode.USAGE_ERROR,
    ):
        return
    updating = getattr(config.option, "update_snapshots", False)
    if pruning():
        prune(config, verdict)
    elif not verdict.deselected and not updating and session.exitstatus == pytest.ExitCode.OK:
        # A run that selected every test fails on a file none of them claims.
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def prune(config, verdict: Verdict) -> None:
    """Delete the orphans, each named before any goes."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.line("")  # xdist leaves the progress line open
        reporter.write_sep(
            "-",
            f"{PRUNE_VARIABLE}=1: deleting {len(verdict.orphans)} snapshot file(s) "
            "no collected test claims",
        )
        for path in verdict.orphans:
            reporter.write_line(f"  {shown(config, path)}")
    for path in verdict.orphans:
        Path(path).unlink(missing_ok=True)
    verdict.deleted = True


def shown(config, path: str) -> str:
    try:
        return Path(path).relative_to(config.rootpath).as_posix()
    except ValueError:
        return path


@pytest.hookimpl(wrapper=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not is_active(config) or hasattr(config, "workerinput"):
        return (yield)
    verdict = config.stash[STATE].verdict
    with verdict_in_syrupys_summary(terminalreporter, verdict):
        result = yield
    if verdict is not None and verdict.complete and verdict.orphans and not verdict.deleted:
        report_orphans(terminalreporter, config, verdict)
    return result


def verdict_line(verdict: Verdict | None) -> str | None:
    if verdict is None:
        return None
    if not verdict.complete:
        return "Snapshot files: an xdist worker's collection did not come back; none was judged."
    if not verdict.judged:
        return None
    if verdict.deleted:
        return f"{len(verdict.orphans)} snapshot file(s) no collected test claims: deleted."
    if verdict.orphans:
        return (
            f"{len(verdict.orphans)} of {verdict.judged} snapshot files claimed by no collected "
            "test (listed below)."
        )
    return f"{verdict.judged} snapshot files, each claimed by a collected test."


@contextlib.contextmanager
def verdict_in_syrupys_summary(terminalreporter, verdict: Verdict | None) -> Iterator[None]:
    """syrupy's summary says its unused-snapshot detection is off, "not recommended": the line is
    replaced by what this plugin found instead, and syrupy's heading is written only above a line.
    Through pytest's reporter, the lines as syrupy writes them: syrupy's report is not public."""
    shadowed = {name: vars(terminalreporter).get(name) for name in ("write_line", "write_sep")}
    write_line, write_sep = terminalreporter.write_line, terminalreporter.write_sep
    heading = []

    def line_written(line, **markup):
        if SYRUPY_DISABLED in str(line):
            line, markup = verdict_line(verdict), {}
        if line is None or (heading and not str(line).strip()):
            return  # nothing to say, or a blank line under a heading not written
        while heading:
            write_sep(*heading.pop(0))
        write_line(line, **markup)

    def sep_written(sep, title=None, **markup):
        heading.clear()  # another section begins: syrupy's, where it wrote no line, is dropped
        if title == SYRUPY_HEADING:
            heading.append((sep, title))
        else:
            write_sep(sep, title, **markup)

    terminalreporter.write_line, terminalreporter.write_sep = line_written, sep_written
    try:
        yield
    finally:
        for name, method in shadowed.items():
            if method is None:
                delattr(terminalreporter, name)
            else:
                setattr(terminalreporter, name, method)


def report_orphans(terminalreporter, config, verdict: Verdict) -> None:
    terminalreporter.section("snapshot files no collected test claims")
    for path in verdict.orphans:
        terminalreporter.write_line(shown(config, path))
    terminalreporter.write_line(
        "No test that pytest collected claims the files above (the device is no part of a name: "
        "a test skipped or failed here still claims its file)."
    )
    terminalreporter.write_line(
        "If their tests were removed on purpose, delete them: "
        f"{PRUNE_COMMAND}  (it lists them, then deletes them; review git status); "
        "otherwise restore the tests.",
        red=True,
    )


@pytest.fixture
def snapshot_json(snapshot):
    """syrupy's `snapshot`, writing and comparing with `JSONSnapshot`."""
    from .extension import JSONSnapshot

    return snapshot.use_extension(JSONSnapshot)
