"""Offline training of the shipped models and the data it is built from; never installed.

Reads the public evaluation sets, builds labelled examples, and writes the trained artefacts
under assistant/models. It may import assistant, ingest and indexes; they never import it.
"""
