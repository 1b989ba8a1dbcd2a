"""The torch releases the project names, and the one a tox env installed.

    python tools/torch_releases.py check       in a tox env: the installed torch is the env's
                                               (EXPECTED_TORCH) and, with TORCH_BUILD=cpu, a CPU build
    python tools/torch_releases.py consistent  tox.ini, the workflows, the README and docs/maintainers.md
                                               name one newest release, and only factors tox.ini defines
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


# Every tox env named with a torch factor (`torch215-cpu`, `py313-torch215-cuda`, `torch25`).
FACTOR = re.compile(r"\btorch(\d{2,3})(?=-|\b)")
CUDA_ENV = re.compile(r"\btorch(\d{2,3})-cuda\b")
CI_TORCH_FACTORS = re.compile(r"^\s*torch:\s*\[([^\]]*)\]", re.MULTILINE)


def newest_places(root: Path = ROOT) -> dict[str, bool]:
    """Each place that names the newest release (or a torch factor), and whether it agrees with
    tox.ini's newest exactly pinned release."""

    def text(path: str) -> str:
        return (root / path).read_text(encoding="utf-8")

    tox_ini = text("tox.ini")
    factor, version = matrix_newest(tox_ini)
    number = factor.removeprefix("torch")
    known = set(re.findall(r"^\s*torch(\d+):", tox_ini, re.MULTILINE))  # the deps lines' factors
    ci = text(".github/workflows/ci.yml")
    ci_factors = [
        f.strip().strip("\"'") for f in (CI_TORCH_FACTORS.findall(ci) or [""])[0].split(",")
    ]
    places = {
        "tox.ini: [testenv:update]'s default TORCH_SPEC": set(UPDATE_DEFAULT.findall(tox_ini))
        == {version},
        f"tox.ini: {factor}'s EXPECTED_TORCH": re.search(
            rf"^\s*{factor}:\s*EXPECTED_TORCH\s*=\s*{re.escape(version)}\s*$", tox_ini, re.MULTILINE
        )
        is not None,
        f"tox.ini: the full label names {factor}-cpu": re.search(
            rf"^\s*full\s*=.*\b{factor}-cpu\b", tox_ini, re.MULTILINE
        )
        is not None,
        f'.github/workflows/ci.yml: the matrix\'s torch factors include "{number}"': number
        in ci_factors,
        ".github/workflows/snapshot-update.yml: the default input": f'default: "{version}"'
        in text(".github/workflows/snapshot-update.yml"),
        f"docs/maintainers.md: the release routine names torch {version}": f"torch {version}"
        in text("docs/maintainers.md"),
        f"README.md: the matrix table names {factor}-cpu as {version}, the newest": re.search(
            rf"\| `{factor}-cpu` \| {re.escape(version)}, the newest \|", text("README.md")
        )
        is not None,
    }
    # A factor named anywhere must be one tox.ini defines, and a CUDA env is the newest release's.
    for path in (".github/workflows/ci.yml", ".github/workflows/gpu.yml", "README.md", "docs/maintainers.md", "tox.ini"):  # fmt: skip
        found = text(path)
        for stale in sorted(set(FACTOR.findall(found)) - known, key=int):
            places[f"{path}: names torch{stale}, which tox.ini does not define"] = False
        for cuda in sorted(set(CUDA_ENV.findall(found)) - {number}, key=int):
            places[f"{path}: its CUDA env is torch{cuda}-cuda, not the newest {factor}-cuda"] = (
                False
            )
    places[f".github/workflows/gpu.yml: runs {factor}-cuda"] = f"{factor}-cuda" in text(
        ".github/workflows/gpu.yml"
    )
    for stale in sorted(set(ci_factors) - known, key=lambda f: (len(f), f)):
        places[f'.github/workflows/ci.yml: the matrix names "{stale}", not a factor of tox.ini'] = (
            False
        )
    return places


def check_consistent(root: Path = ROOT) -> int:
    """Every place that names the newest release names tox.ini's."""
    _, version = matrix_newest((root / "tox.ini").read_text(encoding="utf-8"))
    stale = [place for place, ok in newest_places(root).items() if not ok]
    for place in stale:
        print(f"error: {place} (the newest release in tox.ini is torch {version})")
    if not stale:
        print(
            f"the newest release is torch {version} in tox.ini, ci.yml, gpu.yml, "
            "snapshot-update.yml, the README and docs/maintainers.md"
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
