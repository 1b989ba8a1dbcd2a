"""Placeholder."""

EXAMPLES = ()
