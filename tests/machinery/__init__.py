"""The test machinery's own tests: the `reference_testing` plugin (comparison, extension, safety,
prune advice, tolerances), the suite's conftest, and the maintainers' snapshot and mutation tools.
The reference's own tests are the files beside this folder."""
