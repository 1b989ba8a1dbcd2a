"""The reference's test machinery, one pytest plugin (loaded by its `pytest11` entry point).

- `compare`: locked JSON against a run's, numbers with a tolerance against their group's scale.
- `claims`: where the snapshots are, which test claims each file (from the collection, the device
  left out), and the files no collected test claims; read by both of the next two.
- `extension`: the syrupy extension, one JSON file per snapshot, written atomically, never deleted.
- `plugin`: the hooks and the `snapshot_json` fixture, the orphan files named and pruned on purpose;
  idle unless `json_snapshots` is configured.
- `kinds`: the kinds of snapshot and their files' names.
- `locked`: what each kind locks, from an example.
- `tolerances`: each kind's measured tolerance, and per-example overrides.
- `devices`: the devices a case runs on, the `cuda` marker.
- `perturbations`: named changes to PyTorch or the machine (`REFERENCE_PERTURB`).

Nothing is imported here: the plugin is loaded in every pytest run, and torch is slow to import.
"""
