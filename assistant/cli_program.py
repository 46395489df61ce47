"""The `assistant` program, which ends at once after a command that only reads.

Once a model is loaded, tearing the interpreter down takes seconds: it frees the modules of
torch, transformers and sentence-transformers object by object. A command that wrote nothing
that a finaliser would still have to flush (`ask`, `search`) asks for a quick exit: the program
then flushes its output and the logging handlers and ends the process with the command's exit
code. Only the program does this; commands invoked in-process (the tests) exit as usual.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, NoReturn

import typer


class Program(typer.Typer):
    """A typer application whose commands may ask for a quick exit (``quick_exit``)."""

    quick_exit = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit as exc:
            if not self.quick_exit:
                raise
            leave(exc.code)


def leave(code: object) -> NoReturn:
    """End the process now with ``code`` as ``SystemExit`` reads it, its output flushed."""
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else int(code is not None))
