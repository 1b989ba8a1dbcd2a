"""The command line's user mistake, apart from the parser: both `cli` and `survival_command` raise it,
and `cli` imports `survival_command`, so it lives here (no import circle); and what a mistake that
is a missing package says to install. Nothing here imports torch.
"""

import re
from importlib import metadata


class UsageError(Exception):
    """A mistake in what the user asked for; printed as one line, exit status 2."""


# The project as pip knows it: what `--version` reports and the install hints name.
DISTRIBUTION = "torch-builders-reference"


def install_hint(module: str) -> str:
    """How to install a missing module that an extra of this project declares (transformers: hf),
    from the installed project's metadata: "pip install -e '.[hf]' in the project's folder (or: pip
    install 'transformers>=4.46')", the smallest such extra; '' where none declares it."""
    try:
        requirements = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return ""
    extras: dict[str, list[str]] = {}
    for requirement in requirements:
        spec, _, marker = (part.strip() for part in requirement.partition(";"))
        extra = re.search(r"extra == ['\"]([^'\"]+)['\"]", marker)
        if extra:
            extras.setdefault(extra[1], []).append(spec)
    top = module.partition(".")[0].lower().replace("_", "-")
    offers = {
        extra: spec
        for extra, specs in extras.items()
        for spec in specs
        if re.match(r"[A-Za-z0-9_.-]+", spec)[0].lower().replace("_", "-") == top
    }
    if not offers:
        return ""
    extra = min(offers, key=lambda e: len(extras[e]))
    return (
        f"pip install -e '.[{extra}]' in the project's folder (or: pip install '{offers[extra]}')"
    )
