"""Typed exceptions. Library code raises these; only the CLI turns them into messages."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CalibrationError",
    "ExperimentError",
    "ExperimentValidationError",
    "FactionsError",
    "Problem",
    "ProblemList",
    "ScenarioError",
    "ScenarioValidationError",
]


class FactionsError(Exception):
    """Base class of every error the library raises on purpose."""


class ScenarioError(FactionsError):
    """A scenario file or override cannot be loaded (missing, unreadable, cyclic, malformed)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where, what, and how to fix it."""

    path: str
    message: str
    value: object = None
    line: int | None = None
    hint: str | None = None

    def render(self, source: str | None = None) -> str:
        where = source or "<scenario>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: {self.path or '(top level)'}: {self.message}"
        if self.value is not None:
            shown = repr(self.value)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            text += f"\n    got: {shown}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class ProblemList:
    """Mixin of the validation errors: every problem found, rendered on one screen."""

    subject = "input"

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = problems
        self.source = source
        super().__init__(self.render())

    def __reduce__(self):
        # Rebuild from the problems, not the rendered text (pickling to worker processes).
        return type(self), (self.problems, self.source)

    def render(self, limit: int = 12) -> str:
        """One screen: the first ``limit`` problems and a count of the rest."""
        count = len(self.problems)
        head = f"invalid {self.subject} ({count} problem{'s' if count != 1 else ''})"
        where = self.source or f"<{self.subject}>"
        shown = [p.render(where) for p in self.problems[:limit]]
        if count > limit:
            shown.append(f"... and {count - limit} more (fix these first)")
        return head + "\n" + "\n".join(shown)


class ScenarioValidationError(ProblemList, ScenarioError):
    """A scenario was read but breaks the schema; carries every problem found."""

    subject = "scenario"


class ExperimentError(FactionsError):
    """An experiment or results folder cannot be used as asked."""


class ExperimentValidationError(ProblemList, ExperimentError):
    """An experiment file was read but is not usable; carries every problem found."""

    subject = "experiment"


class CalibrationError(FactionsError):
    """A calibration cannot run as asked (a bad --param, a missing extra, an unusable folder)."""
