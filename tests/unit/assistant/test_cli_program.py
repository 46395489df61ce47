"""A command that only reads ends the program at once, with its exit code and all its output."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PROGRAM = textwrap.dedent(
    """
    import atexit, sys
    import typer
    from rich.console import Console
    from assistant.cli_program import Program

    app = Program(add_completion=False)
    console = Console()
    atexit.register(lambda: print("torn down", flush=True))

    @app.command()
    def read(quick: bool = True, code: int = 0) -> None:
        app.quick_exit = quick
        console.print("answer " * 500)  # more than one buffer's worth
        print("unflushed tail", end="")
        raise typer.Exit(code)

    @app.command()
    def other() -> None:
        pass

    app()
    """
)


@pytest.mark.parametrize(
    ("arguments", "code", "torn_down"),
    [
        (["read"], 0, False),
        (["read", "--code", "3"], 3, False),
        (["read", "--no-quick"], 0, True),
    ],
)
def test_a_quick_exit_keeps_the_code_and_the_output(
    arguments: list[str], code: int, torn_down: bool
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, *arguments], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == code, done.stderr
    assert done.stdout.count("answer") == 500
    assert "unflushed tail" in done.stdout
    assert ("torn down" in done.stdout) == torn_down
