"""The REST API: the assistant over HTTP for programs, with per-user bearer tokens."""
