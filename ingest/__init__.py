"""Turning files into searchable chunks: format detection, parsing, chunking and the pipeline."""
