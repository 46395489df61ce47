"""Help pages that read like prose: values named by placeholders, never by Python types.

typer labels every parameter with its annotation (``<bool>`` on a flag, ``<list[str]>`` on a
repeatable option, even on ``--help``). The command classes here show nothing for a flag or an
argument (the argument's name already says what it is) and a placeholder for an option's value:
its metavar, or else its name in capitals. Help texts are meant to be rendered as Markdown
(``rich_markup_mode="markdown"``), which joins the lines of a paragraph, so a docstring wrapped
at the source's line length is not broken mid-sentence on the screen.
"""

from __future__ import annotations

from collections.abc import Sequence

import typer._click as click
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


class PlaceholderOption(TyperOption):
    """An option whose value is named by a placeholder; a flag takes no value, so none."""

    def display_type_rich(self, ctx: click.Context) -> str | None:
        if self.is_flag or self.count:
            return None
        return self.metavar or (self.name or "value").upper()


class NamedArgument(TyperArgument):
    """An argument shown by its name alone."""

    def display_type_rich(self, ctx: click.Context) -> str | None:
        return None


def _relabel(params: Sequence[click.Parameter]) -> list[click.Parameter]:
    """``params``, each given the placeholder label of its kind (the same objects: parsing
    does not change)."""
    for param in params:
        if isinstance(param, TyperOption) and not isinstance(param, PlaceholderOption):
            param.__class__ = PlaceholderOption
        elif isinstance(param, TyperArgument) and not isinstance(param, NamedArgument):
            param.__class__ = NamedArgument
    return list(params)


class ProseCommand(TyperCommand):
    """A command whose help names values by placeholders."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return _relabel(super().get_params(ctx))


class ProseGroup(TyperGroup):
    """A group of commands whose own help names values by placeholders."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return _relabel(super().get_params(ctx))
