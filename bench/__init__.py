"""Benchmarks and evaluations; each prints a table and writes JSON under bench/results."""
