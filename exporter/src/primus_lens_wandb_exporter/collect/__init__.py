"""What is collected: the rows wandb stores, the values in them, who sends them, and the
evidence for framework detection. Pure data work: no threads, no I/O except where a file says so.

Rule: mirror wandb's own rules exactly (a row here is a row in wandb's history), and keep what
runs on the training thread cheap; anything that costs goes to the reporter's worker thread.

    steps.py        wandb's step/commit rules: which row, at which `_step`, each log call makes
    step_sync.py    wandb's step sync: the step metric's last value added to rows that lack it
    values.py       the call-time snapshot of a `wandb.log` dict (numbers, numpy, tensors)
    identity.py     who is reporting: workload, pod, ranks (from the environment); the rank filter
    evidence.py     detection evidence: the cheap snapshot at init, the full body on the worker
    in_use.py       whether a loaded framework is in use, read from modules already loaded
    hints.py        advisory framework hints and a confidence, scored from the cheap evidence
    software.py     installed package versions and CI build information
    hardware.py     GPU evidence: torch when it is up, else the vendor tools with a timeout
"""
