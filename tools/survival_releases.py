"""The survival table on every release it is kept for: one venv at a time, from PyPI.

    python tools/survival_releases.py [RELEASE ...] [--venv DIR] [--pytest ARGS]

For each release (default: every `docs/survival/*.json` there is), it makes a fresh venv, installs
that torch with safetensors, numpy and the test tools, writes `python -m reference survival --json`
to `docs/survival/RELEASE.json` and, with `--pytest`, runs pytest there too (e.g. `--pytest
"tests/test_survival.py -q -n 2"`); then it removes the venv: on Linux a PyPI torch is a CUDA build
of several GB. Regenerate the matrix afterwards (`python -m reference survival --matrix ...`).
"""

from __future__ import annotations

import argparse
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


def measure(release: str, venv: Path, pytest_args: str | None) -> bool:
    shutil.rmtree(venv, ignore_errors=True)
    started = time.monotonic()
    run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    installed = run([python, "-m", "pip", "install", "-q", f"torch=={release}", *PACKAGES])
    if installed.returncode != 0:
        print(f"{release}: the install failed", file=sys.stderr)
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
    shutil.rmtree(venv, ignore_errors=True)
    print(
        f"{release}: {'ok' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s", flush=True
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("releases", nargs="*", help="default: every docs/survival/*.json")
    parser.add_argument("--venv", type=Path, default=Path("/tmp/survival-release-venv"))
    parser.add_argument("--pytest", metavar="ARGS", help="also run pytest with these arguments")
    args = parser.parse_args(argv)
    failed = [r for r in args.releases or kept_releases() if not measure(r, args.venv, args.pytest)]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
