"""The hook: patches wandb when it is imported, and turns each call into rows for the reporter.

Rule: never raise into user code, never change what wandb records, and cost microseconds per
`wandb.log` (tracker.py and patch.py's `_log` wrapper are the hot path). Every wrapper calls
wandb first and records only what wandb accepted.

    import_hook.py  a sys.meta_path finder that runs activate.py right after wandb's own import
                    (installed by _boot.py at interpreter start; lookups alone start nothing)
    activate.py     once per process: read the config, patch wandb, start the reporter lazily
    patch.py        the wrappers on Run._log/log/_finish/finish/define_metric and wandb.init
    tracker.py      per-run bookkeeping: steps, step sync, rows to the reporter, run ends, exit
    runs.py         reading a wandb Run without side effects, across wandb 0.16 to 0.31
    detection.py    framework detection per run: the report at init, updates when it changes
"""
