"""Shared helpers for the Primus Lens benchmarks (standard library only)."""
