"""Placeholder: filled in by its topic author."""

EXAMPLES = ()
