"""Offline fitting of the table reader's calibrator, and TAT-QA helpers for the benchmarks."""
