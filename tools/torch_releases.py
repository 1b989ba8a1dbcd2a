"""The torch releases the project names, and the one a tox env installed.

    python tools/torch_releases.py check       in a tox env: the installed torch is the env's
                                               (EXPECTED_TORCH) and, with TORCH_BUILD=cpu, a CPU build
    python tools/torch_releases.py consistent  tox.ini, the workflows and docs/maintainers.md name one newest
    python tools/torch_releases.py newest [--github-output FILE]
                                               the matrix's newest against PyPI's newest torch

tox.ini is the one source: its `torchNNN: torch==X.Y.Z` deps line with the highest version is the
matrix's newest, and `update`'s default TORCH_SPEC must be the same release. Only the standard
library here: the lint env and the release-watch workflow run this without installing anything.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPI_TORCH = "https://pypi.org/pypi/torch/json"
FINAL_RELEASE = re.compile(r"^\d+\.\d+\.\d+$")
# `    torch215: torch==2.15.0` in [testenv] deps (an exact pin; the older factors may use `.*`).
EXACT_PIN = re.compile(r"^\s*torch(\d+):\s*torch==(\d+\.\d+\.\d+)\s*$", re.MULTILINE)
UPDATE_DEFAULT = re.compile(r"\{env:TORCH_SPEC:==(\d+\.\d+\.\d+)\}")


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def matrix_newest(tox_ini: str) -> tuple[str, str]:
    """(tox factor, version) of the newest exactly pinned release in tox.ini."""
    pins = EXACT_PIN.findall(tox_ini)
    if not pins:
        raise SystemExit("tox.ini: no `torchNNN: torch==X.Y.Z` line names the newest release")
    factor, version = max(pins, key=lambda pin: version_key(pin[1]))
    return f"torch{factor}", version


def check_installed() -> int:
    import torch

    version = torch.__version__.split("+")[0]
    cuda = torch.version.cuda
    print(f"torch {torch.__version__} | built for CUDA: {cuda} | cuda available: {torch.cuda.is_available()}")  # fmt: skip
    expected = os.environ.get("EXPECTED_TORCH", "")
    if expected and version != expected and not version.startswith(expected + "."):
        print(f"error: torch {version} is installed; this env is for torch {expected}")
        return 1
    if os.environ.get("TORCH_BUILD") == "cpu" and (cuda or torch.version.hip):
        print(
            f"error: a CPU build of torch was asked for (TORCH_BUILD=cpu); got {torch.__version__}"
        )
        return 1
    return 0


def check_consistent() -> int:
    """Every place that names the newest release names tox.ini's."""
    tox_ini = (ROOT / "tox.ini").read_text(encoding="utf-8")
    factor, version = matrix_newest(tox_ini)

    def text(path: str) -> str:
        return (ROOT / path).read_text(encoding="utf-8")

    places = {
        "tox.ini [testenv:update] default TORCH_SPEC": set(UPDATE_DEFAULT.findall(tox_ini))
        == {version},
        f".github/workflows/ci.yml (tox factor {factor})": f'"{factor[5:]}"'
        in text(".github/workflows/ci.yml"),
        ".github/workflows/snapshot-update.yml (default input)": f'default: "{version}"'
        in text(".github/workflows/snapshot-update.yml"),
        "docs/maintainers.md (the release routine)": f"torch {version}"
        in text("docs/maintainers.md"),
    }
    stale = [place for place, ok in places.items() if not ok]
    for place in stale:
        print(f"error: {place} does not name the newest release, torch {version} (tox.ini)")
    if not stale:
        print(
            f"the newest release is torch {version} ({factor}) in tox.ini, CI and docs/maintainers.md"
        )
    return 1 if stale else 0


def pypi_newest() -> str:
    """The highest final torch release on PyPI with at least one file that is not yanked."""
    with urllib.request.urlopen(PYPI_TORCH, timeout=60) as response:
        releases = json.load(response)["releases"]
    final = [
        version
        for version, files in releases.items()
        if FINAL_RELEASE.match(version) and any(not file.get("yanked") for file in files)
    ]
    return max(final, key=version_key)


def compare_newest(github_output: str | None) -> int:
    _, matrix = matrix_newest((ROOT / "tox.ini").read_text(encoding="utf-8"))
    pypi = pypi_newest()
    newer = version_key(pypi) > version_key(matrix)
    print(f"matrix newest: torch {matrix} | PyPI newest: torch {pypi} | newer on PyPI: {newer}")
    if github_output:
        with open(github_output, "a", encoding="utf-8") as output:
            output.write(f"matrix={matrix}\npypi={pypi}\nnewer={str(newer).lower()}\n")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python tools/torch_releases.py")
    parser.add_argument("command", choices=["check", "consistent", "newest"])
    parser.add_argument(
        "--github-output", metavar="FILE", help="newest: also write key=value lines"
    )
    args = parser.parse_args(argv)
    if args.command == "check":
        return check_installed()
    if args.command == "consistent":
        return check_consistent()
    return compare_newest(args.github_output)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
