"""The one lock around every call into PDFium, which is not thread-safe: the parser and the page
renderer share it, so a page can be drawn while another file is being parsed."""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.Lock()
