"""The reference's test machinery, one pytest plugin (loaded by its `pytest11` entry point).

- `compare`: locked JSON against a run's, numbers with a tolerance against their group's scale.
- `extension`: the syrupy extension, one JSON file per snapshot, written atomically, never deleted.
- `plugin`: the hooks and the `snapshot_json` fixture; idle unless `json_snapshots` is configured.
- `kinds`: the kinds of snapshot and their files' names.
- `locked`: what each kind locks, from an example.
- `tolerances`: each kind's measured tolerance, and per-example overrides.
- `devices`: the devices a case runs on, the `cuda` marker.
- `perturbations`: named changes to PyTorch or the machine (`REFERENCE_PERTURB`).

Nothing is imported here: the plugin is loaded in every pytest run, and torch is slow to import.
"""
