"""Durable storage of collections, documents, chunks and ingestion runs (SQLAlchemy 2.0)."""
