"""Benchmarks: realistic generated directories and the measurements behind docs/benchmarks.md."""
