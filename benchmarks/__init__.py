"""Benchmarks: ``python -m benchmarks <name>``; figures are quoted in the README."""
