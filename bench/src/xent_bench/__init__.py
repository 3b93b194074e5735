"""Benchmarks of xent (issue 7): vector generation, harness throughput and adapter start-up, and the
speed of each implementation on a realistic loss workload against PyTorch and plain NumPy.

Figures are printed and written to reports/bench.{md,json}; nothing here asserts a timing.
"""
__version__ = "0.1.0"
