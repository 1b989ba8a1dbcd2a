"""The command line's user mistake, apart from the parser: both `cli` and `survival_command` raise it,
and `cli` imports `survival_command`, so it lives here (no import circle).
"""


class UsageError(Exception):
    """A mistake in what the user asked for; printed as one line, exit status 2."""


# The project as pip knows it: what `--version` reports and the install hints name.
DISTRIBUTION = "torch-builders-reference"
