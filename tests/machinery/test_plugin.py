"""The plugin's wiring: the suite's snapshot names match its tests, and an installed plugin leaves
other projects alone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reference_testing
from reference_testing import kinds

from machinery.nested_pytest import write_project

TESTS = Path(__file__).resolve().parents[1]


def test_each_kind_names_a_test_of_the_snapshot_suite():
    """A renamed test would leave its kind's snapshot files to the tools under the old name."""
    module = TESTS / f"{kinds.SUITE_MODULE}.py"
    tree = ast.parse(module.read_text(encoding="utf-8"))
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert set(kinds.TEST_OF_KIND.values()) <= functions


# A project that uses syrupy and a `cuda` marker of its own, and does not configure the plugin.
UNCONFIGURED = {
    "pytest.ini": """
        [pytest]
        testpaths = tests
        addopts = -p no:cacheprovider -ra --strict-markers
        markers =
            cuda: this project's own meaning
        """,
    "tests/test_other.py": """
        import pytest


        @pytest.mark.cuda
        def test_a_cuda_marker_means_nothing_here():
            pass


        def test_syrupy_keeps_its_own_settings(request):
            assert not request.config.option.no_cleanup
            assert not request.config.option.disable_unused_snapshots


        def test_the_json_fixture_writes_where_syrupy_would(snapshot_json):
            assert {"a": 1} == snapshot_json
        """,
}


def test_a_project_that_does_not_configure_it_is_left_alone(tmp_path, run_pytest):
    run = run_pytest(write_project(tmp_path, UNCONFIGURED), "-n", "0", "--snapshot-update")
    assert run.returncode == 0, run
    assert "3 passed" in run.stdout, run
    written = tmp_path / "tests" / "__snapshots__" / "test_other"
    assert [p.name for p in written.iterdir()] == [
        "test_the_json_fixture_writes_where_syrupy_would.json"
    ]


def imports_within(package) -> dict[str, set[str]]:
    """Each module of `package` and the modules of it that it imports, at any depth of its code
    (an import inside a function counts)."""
    folder = Path(package.__file__).parent
    graph = {}
    for path in sorted(folder.glob("*.py")):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1:
                    found |= {node.module} if node.module else {a.name for a in node.names}
                elif node.level == 0 and (node.module or "").startswith(package.__name__ + "."):
                    found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found |= {
                    a.name.split(".")[1]
                    for a in node.names
                    if a.name.startswith(package.__name__ + ".")
                }
        graph[path.stem] = found - {path.stem}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every module that can reach itself, with the way back."""
    found = []
    for start in graph:
        paths = [[start, after] for after in graph[start]]
        seen = set()
        while paths:
            path = paths.pop()
            if path[-1] == start:
                found.append(path)
                break
            if path[-1] in seen:
                continue
            seen.add(path[-1])
            paths += [[*path, after] for after in graph.get(path[-1], ())]
    return found


def test_the_test_machinery_has_no_import_cycle():
    """Each module of reference_testing on its own side: the plugin and the extension both read
    `claims`, and the plugin imports the extension only inside its fixture."""
    graph = imports_within(reference_testing)
    assert graph["extension"] >= {"claims"} and "plugin" not in graph["extension"]
    assert cycles(graph) == []
    assert cycles({**graph, "claims": graph["claims"] | {"plugin"}}) != []  # the check can fail


def controller_with(worker_verdicts: list[dict], workers_down: int):
    """An xdist controller's configuration, as `plugin.judged` reads it."""
    from types import SimpleNamespace

    from reference_testing import plugin

    state = plugin.RunState(collection=None, worker_verdicts=worker_verdicts)
    state.workers_down = workers_down
    return SimpleNamespace(
        stash={plugin.STATE: state},
        pluginmanager=SimpleNamespace(has_plugin=lambda name: name == "dsession"),
    )


def test_the_controller_judges_orphans_only_from_every_workers_collection():
    """A file is an orphan only where every worker found it one; a worker that went down without
    sending its collection leaves the verdict incomplete, not judged from the others."""
    from reference_testing import plugin

    first = {"judged": 3, "orphans": ["a", "b"], "deselected": 0}
    second = {"judged": 3, "orphans": ["a"], "deselected": 1}
    assert plugin.judged(controller_with([first, second], 2)) == plugin.Verdict(3, ["a"], 1)
    assert plugin.judged(controller_with([first], 2)) == plugin.Verdict(complete=False)


def test_a_snapshot_folder_names_its_test_file_and_the_top_folder_none():
    """The orphan judgement reads a folder back to the test file that claims it (run at the end of a
    session, so only a nested run reaches it otherwise)."""
    from reference_testing.claims import Layout

    layout = Layout(tests=Path("/p/tests"), snapshots=Path("/p/snapshots"))
    assert layout.module_of(Path("/p/snapshots/test_x")) == Path("/p/tests/test_x.py")
    assert layout.module_of(Path("/p/snapshots/machinery/test_y")) == Path(
        "/p/tests/machinery/test_y.py"
    )
    assert layout.module_of(Path("/p/snapshots")) is None
    assert layout.module_of(layout.folder_of("/p/tests/machinery/test_y.py")) == Path(
        "/p/tests/machinery/test_y.py"
    )


def test_a_single_process_judges_its_own_collection():
    """Without xdist the verdict is this process's: what its collection judged, the orphans as
    paths in text, and what it deselected."""
    from types import SimpleNamespace

    from reference_testing import claims, plugin

    layout = object()
    asked = []

    class Collection:
        def orphans(self, given):
            asked.append(given)
            return 5, [Path("/s/a.json"), Path("/s/b.json")]

    state = plugin.RunState(collection=Collection(), deselected=2)
    config = SimpleNamespace(
        stash={plugin.STATE: state, claims.LAYOUT: layout},
        pluginmanager=SimpleNamespace(has_plugin=lambda name: False),
    )
    assert plugin.judged(config) == plugin.Verdict(5, ["/s/a.json", "/s/b.json"], 2)
    assert asked == [layout]


def test_the_plugins_settings_are_off_by_default_and_say_so(pytester):
    """In `pytest --help`, as a user reads them: the folder setting, unset, leaves the plugin idle;
    test files are named relative to `tests` unless said otherwise."""
    config = pytester.parseconfig()
    assert (config.getini("json_snapshots"), config.getini("json_snapshot_tests")) == ("", "tests")
    shown = " ".join(pytester.runpytest_inprocess("--help").stdout.str().split())
    assert (
        "json_snapshots (string): JSON snapshots (reference_testing): their folder, relative to "
        "the configuration file; unset, the plugin does nothing json_snapshot_tests (string): "
        "JSON snapshots (reference_testing): the folder test files are named relative to"
    ) in shown


def test_the_run_s_arguments_name_files_and_the_files_narrowed_to_some_tests(tmp_path):
    """`a.py::TestX::test_y` names a.py, narrowed (its other tests' snapshots are not judged)."""
    from types import SimpleNamespace

    from reference_testing.claims import collection_asked

    config = SimpleNamespace(
        invocation_params=SimpleNamespace(dir=tmp_path),
        args=["tests/a.py::TestX::test_y", "tests/b.py", "tests"],
    )
    a, b = tmp_path / "tests" / "a.py", tmp_path / "tests" / "b.py"
    assert collection_asked(config) == ([a, b, tmp_path / "tests"], {a})


def test_orphans_are_the_unclaimed_snapshot_files_of_whole_or_gone_test_files(tmp_path):
    """Judged: the files of a test file collected whole (one claimed, one not), and those of a test
    file gone where the run would have collected it, and a snapshot at the folder's top. Not
    judged: a temporary file (a dotfile of an interrupted write), a folder named like a snapshot,
    the files of a test file not collected."""
    from reference_testing.claims import Collection, Layout

    tests, snapshots = tmp_path / "tests", tmp_path / "snapshots"
    (tests).mkdir()
    (tests / "test_kept.py").write_text("", encoding="utf-8")
    (tests / "test_other.py").write_text("", encoding="utf-8")
    files = [
        "test_kept/.test_a.json",  # before test_a.json: a `break` there would stop the walk
        "test_kept/test_a.json",
        "test_kept/test_gone.json",
        "test_kept/folder.json/inside.txt",
        "test_removed/test_b.json",
        "test_other/test_c.json",
        "top.json",
    ]
    for name in files:
        (snapshots / name).parent.mkdir(parents=True, exist_ok=True)
        (snapshots / name).write_text("{}", encoding="utf-8")
    collection = Collection(claimed={tests / "test_kept.py": {"test_a"}}, asked=[tests])
    judged, found = collection.orphans(Layout(tests=tests, snapshots=snapshots))
    orphans = [snapshots / n for n in ("test_kept/test_gone.json", "test_removed/test_b.json", "top.json")]  # fmt: skip
    assert (judged, found) == (4, orphans)
    # Asked for one file only: a gone file elsewhere, and the top, are no longer judged.
    narrow = Collection(claimed=collection.claimed, asked=[tests / "test_kept.py"])
    assert narrow.orphans(Layout(tests=tests, snapshots=snapshots)) == (2, orphans[:1])


def configured(root: Path, inipath: Path | None, **more):
    """A configuration as `plugin.pytest_configure` reads it, the snapshots set up, after it ran."""
    from types import SimpleNamespace

    from reference_testing import plugin

    settings = {"json_snapshots": "snapshots", "json_snapshot_tests": "tests"}
    config = SimpleNamespace(
        getini=settings.get,
        inipath=inipath,
        rootpath=root,
        stash={},
        invocation_params=SimpleNamespace(dir=root),
        args=[],
        option=SimpleNamespace(),
        **more,
    )
    plugin.pytest_configure(config)
    return config


@pytest.mark.parametrize("worker", [False, True], ids=["controller-or-alone", "xdist-worker"])
def test_syrupy_never_deletes_and_only_a_worker_sends_its_report(worker, tmp_path):
    config = configured(
        tmp_path, tmp_path / "pytest.ini", **({"workerinput": {}} if worker else {})
    )
    assert vars(config.option) == {"disable_unused_snapshots": not worker, "no_cleanup": True}


@pytest.mark.parametrize("ini", [True, False], ids=["ini-file", "no-ini-file"])
def test_the_folders_are_relative_to_the_ini_file_or_else_the_root(ini, tmp_path):
    from reference_testing import claims

    config = configured(tmp_path, tmp_path / "sub" / "pytest.ini" if ini else None)
    base = tmp_path / "sub" if ini else tmp_path
    assert config.stash[claims.LAYOUT] == claims.Layout(base / "tests", base / "snapshots")


def test_a_full_run_without_syrupy_s_update_option_fails_on_an_orphan(monkeypatch):
    """`update_snapshots` is syrupy's; where no such option was registered, the run is no update."""
    from types import SimpleNamespace

    from reference_testing import claims, plugin

    monkeypatch.delenv(plugin.PRUNE_VARIABLE, raising=False)
    state = plugin.RunState(collection=None)
    config = SimpleNamespace(
        stash={plugin.STATE: state, claims.LAYOUT: object()}, option=SimpleNamespace()
    )
    session = SimpleNamespace(config=config, exitstatus=pytest.ExitCode.OK)
    monkeypatch.setattr(plugin, "judged", lambda config: plugin.Verdict(3, ["/s/a.json"], 0))
    plugin.pytest_sessionfinish(session, pytest.ExitCode.OK)
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED


def test_an_incomplete_verdict_says_no_file_was_judged():
    from reference_testing import plugin

    assert plugin.verdict_line(plugin.Verdict(complete=False)) == (
        "Snapshot files: an xdist worker's collection did not come back; none was judged."
    )


def test_a_snapshot_is_named_by_its_test_and_a_second_one_by_its_index(monkeypatch):
    from reference_testing import extension

    monkeypatch.setattr(extension, "snapshot_name", lambda item: f"test_{item}")
    location = type("Location", (), {"item": "x"})()
    assert extension.JSONSnapshot.get_snapshot_name(test_location=location) == "test_x"
    assert extension.JSONSnapshot.get_snapshot_name(test_location=location, index=2) == "test_x.2"
    assert extension.JSONSnapshot.matches_test_location(
        test_location=location, snapshot_location="/s/test_x.json"
    )


@pytest.mark.parametrize(
    ("nodeid", "originalname", "params", "callspec_id", "expected"),
    [
        ("tests/t.py::TestX::test_y[mlp-cpu]", "test_y", {"device": "cpu"}, "mlp-cpu", "TestX.test_y[mlp]"),
        ("tests/t.py::test_x[cpu]", "test_x", {"device": "cpu"}, "cpu", "test_x"),
        ("tests/t.py::test_z[a::b[1]-cpu]", "test_z", {"device": "cpu"}, "a::b[1]-cpu", "test_z[a::b[1]]"),
    ],
    ids=["class-and-device", "device-only", "colons-in-the-id"],
)  # fmt: skip
def test_a_snapshot_file_is_named_by_class_test_and_parameters_but_the_device(
    nodeid, originalname, params, callspec_id, expected
):
    from types import SimpleNamespace

    from reference_testing.claims import snapshot_name

    item = SimpleNamespace(
        nodeid=nodeid,
        originalname=originalname,
        callspec=SimpleNamespace(params=params, id=callspec_id),
    )
    assert snapshot_name(item) == expected
