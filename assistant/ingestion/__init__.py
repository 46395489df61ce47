"""Ingestion into an installation: files parsed and chunked by the ``ingest`` library, stored
one transaction per document, then indexed; on one machine or spread over a Ray cluster."""
