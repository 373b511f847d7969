"""The framework-detection matrix: real jobs through the installed exporter (see README.md)."""
