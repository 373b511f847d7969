"""Primus Lens wandb exporter.

This module is imported by the `.pth` start-up line in every Python process, so it must stay
empty of imports: the version lives here (the one place; pyproject reads it) and nothing else.
"""

__version__ = "0.3.0"
