"""tox's install command (tools/tox_install.py): on Linux, torch's CPU build where the user's pip
configuration names no index; never in a cuda env, never over the user's own index."""

import importlib.util
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "tox_install.py"
spec = importlib.util.spec_from_file_location("tox_install", TOOL)
tox_install = sys.modules["tox_install"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tox_install)

CPU = ["--extra-index-url", tox_install.CPU_INDEX]
NO_CONFIG = ""


def extra(
    platform="linux",
    env="torch213-cpu",
    packages=("torch==2.13.*",),
    environ=None,
    config=NO_CONFIG,
):
    return tox_install.extra_arguments(platform, env, list(packages), environ or {}, config)[0]


def test_a_plain_linux_machine_gets_the_cpu_build():
    assert extra() == CPU
    assert extra(env="portability") == CPU  # every env but a cuda one
    assert extra(packages=["torch==2.15.0"]) == CPU


@pytest.mark.parametrize(
    ("change", "why"),
    [({"platform": "darwin"}, "macOS and Windows: PyPI's wheels are CPU builds"),
     ({"platform": "win32"}, "macOS and Windows: PyPI's wheels are CPU builds"),
     ({"env": "torch215-cuda"}, "a cuda env needs the CUDA build"),
     ({"env": "py313-torch215-cuda"}, "a cuda env needs the CUDA build"),
     ({"packages": ["ruff==0.17.6", "import-linter==2.17"]}, "nothing installs torch (lint)"),
     ({"environ": {"PIP_EXTRA_INDEX_URL": "https://mirror.example/simple"}}, "the user's index"),
     ({"environ": {"PIP_INDEX_URL": "https://mirror.example/simple"}}, "the user's index"),
     ({"environ": {"PIP_FIND_LINKS": "/wheels"}}, "the user's wheels"),
     ({"config": "global.extra-index-url='file:///opt/pypi/simple'\n"}, "pip.conf names an index"),
     ({"config": "global.find-links='/opt/wheels'\n"}, "pip.conf names wheels"),
     ({"config": "global.index-url='https://mirror.example/simple'\n"}, "pip.conf names an index")],
)  # fmt: skip
def test_nothing_is_added_where_it_does_not_apply(change, why):
    assert extra(**change) == [], why


def test_the_project_itself_installs_torch(tmp_path):
    built = tmp_path / "torch_builders_reference-0.1.0-py3-none-any.whl"
    built.write_bytes(b"")
    assert extra(packages=[str(built)]) == CPU
    assert extra(packages=["--force-reinstall", "torchvision"]) == []  # not torch itself


def test_an_empty_variable_says_nothing_and_other_settings_are_not_an_index():
    assert extra(environ={"PIP_EXTRA_INDEX_URL": ""}) == CPU
    assert extra(config="global.cert='/etc/ssl/certs/ca-certificates.crt'\n") == CPU


def test_it_says_which_it_did():
    _, why = tox_install.extra_arguments("linux", "torch213-cpu", ["torch"], {}, NO_CONFIG)
    assert why.startswith(
        "torch213-cpu: torch's CPU build, from https://download.pytorch.org/whl/cpu"
    )
    _, why = tox_install.extra_arguments(
        "linux", "torch213-cpu", ["torch"], {"PIP_FIND_LINKS": "/w"}, NO_CONFIG
    )
    assert why == "torch213-cpu: torch from your own index (PIP_FIND_LINKS is set)"
