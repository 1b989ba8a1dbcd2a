"""tox's install command (tox.ini: `install_command`): `pip install`, and on Linux the CPU build of
torch where the user's pip configuration names no index of its own.

    python tools/tox_install.py ENV_NAME [pip install arguments ...]

PyPI's torch for Linux is the CUDA build: `torch==2.13.*` downloads 2.8 GB there (the wheel,
527 MB, and 2.2 GB of CUDA libraries), and each env holds about 5.5 GB; the CPU build is 192 MB.
So on Linux, for an env that installs torch (a `torch` requirement, or the project, which depends
on it) and is not a `cuda` env, PyTorch's CPU index is added as an extra index: pip takes
`2.13.0+cpu` over PyPI's `2.13.0`. Nothing is added where the user said where packages come from:
PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS or PIP_NO_INDEX in the environment, or
index-url, extra-index-url, find-links or no-index in pip's configuration files. The line it prints
says which (tox shows it with -vv; the env's first command, tools/torch_releases.py check, prints
the build it got). Only the standard library: it runs before anything is installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# What says where packages come from, in the environment and in pip's configuration files.
INDEX_VARIABLES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX")
INDEX_KEYS = re.compile(
    r"^[\w:.-]*\.(index-url|extra-index-url|find-links|no-index)=", re.MULTILINE
)
TORCH_REQUIREMENT = re.compile(r"^torch(?![\w.-])")


def installs_torch(packages: list[str]) -> bool:
    """A `torch` requirement, or a local path (the project tox built, which depends on torch)."""
    return any(TORCH_REQUIREMENT.match(p) or (p[:1] != "-" and Path(p).exists()) for p in packages)


def own_index(environ: dict[str, str], pip_config: str) -> str | None:
    """What names the user's own index, or None."""
    for name in INDEX_VARIABLES:
        if environ.get(name, "") != "":
            return f"{name} is set"
    found = INDEX_KEYS.search(pip_config)
    return f"pip's configuration sets {found.group(1)}" if found else None


def extra_arguments(
    platform: str, env_name: str, packages: list[str], environ: dict[str, str], pip_config: str
) -> tuple[list[str], str | None]:
    """(arguments to add to pip's, the line that says why) for one install."""
    if platform != "linux" or "cuda" in env_name.split("-") or not installs_torch(packages):
        return [], None
    if reason := own_index(environ, pip_config):
        return [], f"{env_name}: torch from your own index ({reason})"
    return ["--extra-index-url", CPU_INDEX], (
        f"{env_name}: torch's CPU build, from {CPU_INDEX} (your pip configuration names no index; "
        "set PIP_EXTRA_INDEX_URL or PIP_INDEX_URL to choose another)"
    )


def pip_configuration() -> str:
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, encoding="utf-8"
    )
    return listed.stdout


def main(argv: list[str]) -> int:
    env_name, arguments = argv[0], argv[1:]
    extra, why = extra_arguments(
        sys.platform, env_name, arguments, dict(os.environ), pip_configuration()
    )
    if why:
        print(why, flush=True)
    return subprocess.run([sys.executable, "-m", "pip", "install", *extra, *arguments]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
