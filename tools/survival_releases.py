"""The survival table on every release it is kept for, and what is said of it.

    python tools/survival_releases.py --render
    python tools/survival_releases.py [RELEASE ...] [--venv DIR] [--pytest ARGS] [--keep]

`--render` installs nothing: it describes every `docs/survival/*.json` again from what it measured
(the rows, the kinds of tie, the release: `survival_render.with_described`), so that its legend,
models, errors and notes are what this code says of those rows, then regenerates the matrix
(docs/survival-matrix.md and its heat map). Run it after changing a reason, a note or a citation.

With releases (default: every `docs/survival/*.json` there is), it measures again: for each, a fresh
venv with that torch (safetensors, numpy, accelerate and the test tools beside it, torch pinned so
that nothing moves it), `python -m reference
survival --json` written to `docs/survival/RELEASE.json` and, with `--pytest`, pytest there too
(e.g. `--pytest "tests/test_survival.py -q -n 2"`); then the venv is removed: on Linux a PyPI torch
is a CUDA build of several GB. The matrix is regenerated at the end. Only a change to what an
operation does, or a new operation, needs this.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SURVIVAL = ROOT / "docs" / "survival"
PACKAGES = (
    "safetensors",
    "numpy",
    "accelerate",  # the init_empty_weights rows (the hf extra); constrained not to move torch
    "pytest",
    "pytest-xdist",
    "syrupy",
    "pytest-timeout",
    "matplotlib",
)


def release_key(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in release.split("."))


def kept_releases() -> list[str]:
    return sorted((path.stem for path in SURVIVAL.glob("*.json")), key=release_key)


def run(command: list[str], **options) -> subprocess.CompletedProcess:
    print("$", shlex.join(command), flush=True)
    return subprocess.run(command, **{"check": False, **options})


def measure(release: str, venv: Path, pytest_args: str | None, keep: bool = False) -> bool:
    shutil.rmtree(venv, ignore_errors=True)
    started = time.monotonic()
    run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    # The release stays the release: accelerate's newest asks for a newer torch and pip would
    # upgrade it (measured: 2.5.1 became 2.15.0); pinned, pip picks an accelerate that fits. Any
    # constraint file of the caller's would pin torch elsewhere: it is set aside.
    constraints = venv / "constraints.txt"
    constraints.write_text(f"torch=={release}\n", encoding="utf-8")
    installed = run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            f"torch=={release}",
            *PACKAGES,
            "-c",
            str(constraints),
        ],
        env={**os.environ, "PIP_CONSTRAINT": ""},
    )
    if installed.returncode != 0:
        print(f"{release}: the install failed", file=sys.stderr)
        shutil.rmtree(venv, ignore_errors=True)
        return False
    version = run([python, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True, encoding="utf-8")  # fmt: skip
    if version.stdout.strip().split("+")[0] != release:
        print(f"{release}: the venv has torch {version.stdout.strip()}", file=sys.stderr)
        shutil.rmtree(venv, ignore_errors=True)
        return False
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    target = SURVIVAL / f"{release}.json"
    with open(target.with_suffix(".json.new"), "w", encoding="utf-8") as out:
        table = run(
            [python, "-m", "reference", "survival", "--json"], cwd=ROOT, env=environment, stdout=out
        )
    ok = table.returncode == 0
    if ok:
        target.with_suffix(".json.new").replace(target)  # a failed run leaves the old file alone
    if pytest_args:
        tests = run(
            # The venv has neither package installed: the plugin is named, as PYTHONPATH finds it.
            [
                python,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-p",
                "reference_testing.plugin",
                *shlex.split(pytest_args),
            ],
            cwd=ROOT,
            env=environment,
        )
        ok = ok and tests.returncode == 0
    if not keep:
        shutil.rmtree(venv, ignore_errors=True)
    print(
        f"{release}: {'ok' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s", flush=True
    )
    return ok


def table_text(table: dict) -> str:
    """A table as `survival --json` prints it."""
    return json.dumps(table, indent=2, ensure_ascii=False) + "\n"


def render() -> list[str]:
    """Describe every kept table again from what it measured; the files whose text changed."""
    from reference.survival_render import with_described

    changed = []
    for path in sorted(SURVIVAL.glob("*.json")):
        before = path.read_text(encoding="utf-8")
        after = table_text(with_described(json.loads(before)))
        if after != before:
            path.write_text(after, encoding="utf-8")
            changed.append(path.name)
    return changed


def regenerate_matrix() -> int:
    """docs/survival-matrix.md and its heat map, from docs/survival, by the command they name."""
    from reference.cli import main as reference_main
    from reference.survival_render import REGENERATE

    os.chdir(ROOT)  # the command names its files from the repository's root
    return reference_main(shlex.split(REGENERATE)[3:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("releases", nargs="*", help="default: every docs/survival/*.json")
    parser.add_argument(
        "--render",
        action="store_true",
        help="install nothing: describe every kept table again and regenerate the matrix",
    )
    parser.add_argument("--venv", type=Path, default=Path("/tmp/survival-release-venv"))
    parser.add_argument("--pytest", metavar="ARGS", help="also run pytest with these arguments")
    parser.add_argument(
        "--keep", action="store_true", help="keep the venv of the last release (to run more there)"
    )
    args = parser.parse_args(argv)
    if args.render:
        if args.releases or args.pytest:
            parser.error("--render measures nothing: give it no release and no --pytest")
        changed = render()
        print(f"described again: {', '.join(changed) or 'nothing changed'}", flush=True)
        return regenerate_matrix()
    failed = [r for r in args.releases or kept_releases() if not measure(r, args.venv, args.pytest, args.keep)]  # fmt: skip
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return regenerate_matrix() or (1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main())
