"""Primus Lens wandb exporter.

This module is imported by the `.pth` start-up line in every Python process, so it must stay
empty of imports: the version lives here (the one place; pyproject reads it) and nothing else.

Data flows one way: _boot -> hook -> collect -> report.

    _boot.py      what the `.pth` line runs at interpreter start: registers the import hook
    hook/         patches wandb when it is imported; turns its calls into rows
    collect/      the rows, their values, the identity, the detection evidence
    report/       hands rows and detection off the training thread and delivers them
    model.py      the value types that cross from hook/collect into report
    config.py     every environment variable, with its default, in one table
    output.py     everything the exporter prints, with its prefixes and say-once
    cli.py        `python -m primus_lens_wandb_exporter check`: the diagnosis
    __main__.py   runs cli.py
"""

__version__ = "0.3.0"
