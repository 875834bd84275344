"""The documentation holds: its code runs, it names only files a user has, it lists every event."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def python_blocks(path: Path) -> list[str]:
    """The fenced ```python blocks of a Markdown file, in order."""
    return re.findall(r"^```python\n(.*?)^```", path.read_text(encoding="utf-8"), re.S | re.M)


def doc_pages() -> list[Path]:
    return [*sorted(DOCS.rglob("*.md")), DOCS / "tutorial.ipynb", ROOT / "README.md"]


def test_python_blocks_are_found():
    blocks = python_blocks(DOCS / "api.md")
    assert len(blocks) >= 10
    assert all(block.strip() for block in blocks)


@pytest.mark.slow
def test_every_python_block_of_api_md_runs(tmp_path, monkeypatch):
    """Run the blocks of docs/api.md top to bottom in one namespace, as a reader would."""
    pytest.importorskip("pyabc")
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__main__"}
    for i, block in enumerate(python_blocks(DOCS / "api.md")):
        try:
            exec(compile(block, f"docs/api.md block {i}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"docs/api.md block {i} failed:\n{block}") from exc
    assert namespace["model"].date() == "1962-01"


@pytest.mark.parametrize("path", doc_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_name_no_file_a_user_lacks(path):
    text = path.read_text(encoding="utf-8")
    assert "history.md" not in text
    assert "check_patterns" not in text
    assert "shared/" not in text


def test_scenario_comments_name_no_file_a_user_lacks():
    for path in (ROOT / "scenarios").glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        assert "history.md" not in text and "shared/" not in text, path


@pytest.mark.slow
def test_tutorial_notebook_runs_in_under_five_minutes(tmp_path):
    """Execute docs/tutorial.ipynb top to bottom in a scratch folder (it writes files there)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(DOCS / "tutorial.ipynb", as_version=4)
    env_backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        start = time.perf_counter()
        nbclient.NotebookClient(
            notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
        ).execute()
        elapsed = time.perf_counter() - start
    finally:
        if env_backend is None:
            os.environ.pop("MPLBACKEND")
        else:
            os.environ["MPLBACKEND"] = env_backend
    assert elapsed < 300, f"the tutorial took {elapsed:.0f} s"


def logged_kinds() -> set[str]:
    """Every event kind the code can log: literal ``model.log("kind", ...)`` calls, the verdicts
    of trials, and the scenario's event kinds (logged under their own kind)."""
    from factions.mechanisms.purge import VERDICTS
    from factions.scenario import EVENT_KINDS

    source = "\n".join(p.read_text() for p in (ROOT / "factions").rglob("*.py"))
    literal = set(re.findall(r"\.log\(\s*\"(\w+)\"", source))
    return literal | {kind for _, kind in VERDICTS} | set(EVENT_KINDS)


def test_every_event_kind_is_documented():
    text = (DOCS / "results.md").read_text(encoding="utf-8")
    kinds = logged_kinds()
    assert {"purge_campaign", "show_trial", "challenge_failed", "war"} <= kinds
    missing = sorted(k for k in kinds if f"`{k}`" not in text)
    assert not missing, f"event kinds missing from docs/results.md: {missing}"


def test_every_event_kind_of_a_korea_run_is_documented(results_folder):
    from factions import Results

    text = (DOCS / "results.md").read_text(encoding="utf-8")
    seen = set(Results.load(results_folder).events["kind"])
    assert not sorted(k for k in seen if f"`{k}`" not in text)
    assert seen <= logged_kinds()
