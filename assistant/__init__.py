"""The assistant service: settings, storage, ingestion and search behind one facade."""
