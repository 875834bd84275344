"""A griffe extension for the API reference: Sphinx roles in docstrings read as code.

The docstrings cross-reference with Sphinx roles (``:func:`~factions.survival.logrank```), which
Markdown would print literally. This rewrites each role to inline code, the short name when the
target starts with ``~`` (as Sphinx shows it), before mkdocstrings renders the docstring.
"""

from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|meth|class|mod|attr|data|obj|exc|const):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    short, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


class SphinxRoles(griffe.Extension):
    """Replace Sphinx cross-reference roles by inline code in every docstring."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: object) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_code, obj.docstring.value)
