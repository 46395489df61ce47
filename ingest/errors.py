"""Errors for one input file. Each carries a message fit to show the user as is."""


class IngestError(Exception):
    """A single file could not be ingested; the rest of the batch goes on."""

    code = "ingest_error"


class UnsupportedFormatError(IngestError):
    code = "unsupported_format"


class CorruptFileError(IngestError):
    code = "corrupt_file"


class EncryptedFileError(IngestError):
    code = "encrypted_file"


class FileTooLargeError(IngestError):
    code = "file_too_large"


class EmptyDocumentError(IngestError):
    code = "empty_document"


class UnsafeArchiveError(IngestError):
    """A container (DOCX is a zip) that would expand to far more than its size: a zip bomb."""

    code = "unsafe_archive"


class ParseTimeoutError(IngestError):
    code = "parse_timeout"
