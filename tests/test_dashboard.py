"""The dashboard: its non-UI logic (default suite) and the page in headless Chromium (-m browser).

The browser tests start ``factions dashboard korea-1945 --port FREE`` as a user would and drive
Debian's Chromium with Playwright's Python API (no browser download); they skip, saying why,
when Chromium or Playwright is missing.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from factions.cli import main
from factions.dashboard import server, view
from factions.dashboard.model import DashboardModel
from factions.dashboard.parameters import Parameter, parameters, resolve, scenario_file
from factions.scenario import load_scenario

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVE_LIMIT = 30.0  # seconds from start to a served page (the bar)
UI_WAIT = 120_000  # ms: a step, a reset or a small ensemble on a busy 2-core machine


# ----------------------------------------------------------------------------- non-UI logic


def test_sliders_cover_factions_patrons_and_mechanisms():
    spec = load_scenario("korea-1945")
    paths = {p.path for p in parameters(spec)}
    for fid in spec.factions:
        assert {f"factions.{fid}.loyalty.mean", f"factions.{fid}.military"} <= paths
    for pid in spec.patrons:
        assert {f"patrons.{pid}.protection", f"patrons.{pid}.willingness"} <= paths
    assert {
        "mechanisms.purge.launch_rate",
        "mechanisms.purge.established_share",
        "mechanisms.challenge.rate",
    } <= paths
    for p in parameters(spec):
        assert p.low <= p.value <= p.high, p


def test_every_slider_position_is_a_valid_scenario_value():
    """A slider's ends pass the scenario schema, and its value lies on its grid (a browser
    slider snaps an off-grid value and reports it as a change, resetting the run unasked)."""
    for source in ("korea-1945", "ussr-1923", "ccp-1959"):
        for p in parameters(load_scenario(source)):
            for end in (p.low, p.high):
                resolve(source, {p.path: end})  # raises if the schema refuses it
            assert p.value / p.step == pytest.approx(round(p.value / p.step)), p
            slider = p.slider()
            assert slider.is_float_slider
            assert slider.label.endswith(f"= {p.value:g}"), slider.label


def test_slider_step_is_fine_enough_for_the_value():
    assert Parameter("x", "x", 0.55).step == pytest.approx(0.01)
    assert Parameter("x", "x", 0.125).step == pytest.approx(0.001)
    assert Parameter("x", "x", 1.0).step == pytest.approx(0.01)


def test_slider_values_are_applied_to_the_scenario():
    spec = resolve("korea-1945", {"factions.yanan.loyalty.mean": 0.8, "patrons.ussr.protection": 0})
    assert spec.factions["yanan"].loyalty.mean == 0.8
    assert spec.patrons["ussr"].protection == 0
    shown = {p.path: p.value for p in parameters(spec)}
    assert shown["factions.yanan.loyalty.mean"] == 0.8


def test_exported_scenario_extends_the_base_and_runs(tmp_path):
    values = {"factions.domestic.loyalty.mean": 0.41, "mechanisms.challenge.rate": 0.33}
    path = tmp_path / "mine.toml"
    path.write_text(scenario_file("korea-1945", values, seed=7), encoding="utf-8")
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    assert document["extends"] == "korea-1945"
    assert "--seed 7" in path.read_text(encoding="utf-8")
    spec = load_scenario(str(path))
    assert spec.factions["domestic"].loyalty.mean == 0.41
    assert spec.mechanisms.challenge.rate == 0.33
    assert spec.factions["yanan"].military == load_scenario("korea-1945").factions["yanan"].military
    out = tmp_path / "results"
    result = CliRunner().invoke(
        main, ["run", str(path), "-n", "2", "-j", "1", "--no-figures", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").exists()


def test_export_of_a_scenario_file_extends_it_by_absolute_path(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text('extends = "korea-1945"\nname = "my-base"\n', encoding="utf-8")
    text = scenario_file(str(base), {}, seed=1)
    assert tomllib.loads(text)["extends"] == str(base.resolve())
    (tmp_path / "elsewhere").mkdir()
    saved = tmp_path / "elsewhere" / "saved.toml"
    saved.write_text(text, encoding="utf-8")
    assert load_scenario(str(saved)).name == "my-base-dashboard"


def test_dashboard_model_is_replicate_zero_on_a_mesa_network():
    from mesa.discrete_space import Network

    from factions.model import FactionModel
    from factions.seeds import replicate_seed

    model = DashboardModel("korea-1945", seed=3)
    plain = FactionModel(load_scenario("korea-1945"), rng=replicate_seed(3, 0))
    assert isinstance(model.grid, Network)
    assert len(model.grid.agents) == len(model.cadre_agents)
    for _ in range(6):
        model.step()
        plain.step()
    assert (model.cadres.status == plain.cadres.status).all()
    assert len(model.presence_history) == 7


def test_view_reads_date_shares_events_and_marks():
    model = DashboardModel("korea-1945", seed=1)
    assert view.date(model) == "1945-09"
    for _ in range(40):
        model.step()
    assert view.date(model) == "1949-01"  # 40 months after 1945-09
    shares = view.shares(model)
    assert shares["seats"].shape == shares["power"].shape == (40, len(model.faction_ids))
    assert shares["power"][-1].sum() == pytest.approx(1.0)
    assert shares["seats"][-1].sum() == pytest.approx(1.0)
    assert set(view.cadres(model).mark) <= set(view.MARKS)
    rows = view.events(model)
    assert all(set(r) == {"date", "event", "faction", "who", "detail"} for r in rows)
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    assert set(view.presence(model)) == {p.label for p in model.spec.patrons.values()}


def test_busy_port_is_a_usage_error():
    with socket.socket() as busy:
        busy.bind((server.LOCAL, 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["dashboard", "korea-1945", "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot serve on 127.0.0.1:{port}" in result.output
    assert "--port" in result.output


def test_unknown_scenario_is_a_usage_error():
    result = CliRunner().invoke(main, ["dashboard", "korea-1954", "--port", "0"])
    assert result.exit_code == 2
    assert "did you mean 'korea-1945'" in result.output


def test_non_local_host_warns(monkeypatch):
    def refuse(*_):
        raise server.DashboardError("not started in this test")

    monkeypatch.setattr(server, "start", refuse)
    result = CliRunner().invoke(main, ["dashboard", "--host", "0.0.0.0", "--port", "0"])
    assert "warning: serving on 0.0.0.0" in result.output
    assert result.exit_code == 2


# ----------------------------------------------------------------------------- in a browser


def _served(address: str) -> bool:
    try:
        with urllib.request.urlopen(address, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def dashboard():
    """``factions dashboard korea-1945`` on a free port; (address, seconds until served)."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium`")
    pytest.importorskip("playwright.sync_api", reason="playwright is in the [test] extra")
    port = server.free_port()
    command = [sys.executable, "-m", "factions.cli", "dashboard", "korea-1945", "--port", str(port)]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    address = f"http://127.0.0.1:{port}"
    try:
        while not _served(address):
            if process.poll() is not None:
                pytest.fail(f"the dashboard exited: {process.stdout.read()}")
            if time.monotonic() - started > 4 * SERVE_LIMIT:
                pytest.fail("the dashboard did not answer")
            time.sleep(0.25)
        yield address, time.monotonic() - started
    finally:
        server.stop(process)


@pytest.fixture(scope="module")
def page(dashboard):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1600, "height": 1200})
        tab.set_default_timeout(UI_WAIT)
        tab.goto(dashboard[0])
        tab.locator(".factions-date").wait_for()
        yield tab
        browser.close()


def _date(page) -> str:
    return re.search(r"\d{4}-\d{2}", page.locator(".factions-date").inner_text()).group()


def _wait_for_date(page, wanted: str) -> None:
    page.wait_for_function(
        "wanted => document.querySelector('.factions-date')?.innerText.includes(wanted)",
        arg=wanted,
    )


@pytest.mark.browser
def test_page_is_served_in_time_and_renders(dashboard, page, tmp_path):
    _, seconds = dashboard
    page.wait_for_timeout(15_000)
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    size = shot.stat().st_size
    print(f"first page after {seconds:.1f} s; screenshot after 15 s: {size} bytes")
    assert size > 50_000, size
    assert seconds < SERVE_LIMIT, f"first page after {seconds:.1f} s"


@pytest.mark.browser
def test_step_advances_the_date_and_draws(page, tmp_path):
    assert _date(page) == "1945-09"
    for wanted in ("1945-10", "1945-11", "1945-12"):
        page.get_by_role("button", name="Step").click()
        _wait_for_date(page, wanted)
    for panel in ("network", "shares", "presence"):
        image = page.locator(f".factions-{panel} img").first
        image.wait_for()
        assert image.bounding_box()["height"] > 150, panel
    page.screenshot(path=str(tmp_path / "run.png"), full_page=True)
    page.get_by_role("button", name="Reset").click()
    _wait_for_date(page, "1945-09")
    _step_works(page)


@pytest.mark.browser
def test_moving_a_slider_resets_the_run_with_the_new_value(page, tmp_path):
    if _date(page) == "1945-09":
        page.get_by_role("button", name="Step").click()
        _wait_for_date(page, "1945-10")
    slider = page.locator(".v-input", has_text="Domestic: loyalty").locator("[role=slider]")
    slider.first.focus()
    page.keyboard.press("ArrowRight")
    page.locator(".factions-changed", has_text="factions.domestic.loyalty.mean").wait_for()
    _wait_for_date(page, "1945-09")
    assert "= 0.31" in page.locator(".factions-changed").inner_text()
    page.locator(".v-input", has_text="Domestic: loyalty = 0.31").wait_for()
    page.screenshot(path=str(tmp_path / "slider.png"), full_page=True)
    _step_works(page)


@pytest.mark.browser
def test_moving_a_slider_while_playing_pauses_the_new_run(page):
    before = _date(page)
    page.get_by_role("button", name="▶").click()
    page.wait_for_function(
        "before => !document.querySelector('.factions-date').innerText.includes(before)",
        arg=before,
    )
    slider = page.locator(".v-input", has_text="Challenge rate").locator("[role=slider]")
    slider.first.focus()
    page.keyboard.press("ArrowLeft")
    page.locator(".factions-changed", has_text="mechanisms.challenge.rate").wait_for()
    _wait_for_date(page, "1945-09")
    page.wait_for_timeout(3_000)  # a play loop left running would have moved the date by now
    assert _date(page) == "1945-09"
    assert page.get_by_role("button", name="▶").is_enabled()
    _step_works(page)


def _step_works(page) -> None:
    """Step is enabled at once after a reset, and advances the new run by a month."""
    step = page.get_by_role("button", name="Step")
    assert step.is_enabled()
    step.click()
    _wait_for_date(page, "1945-10")


@pytest.mark.browser
def test_small_ensemble_draws_survival_curves(page, tmp_path):
    page.get_by_role("tab", name="Ensemble").click()
    replicates = page.get_by_label("Replicates")
    replicates.fill("10")
    replicates.press("Enter")
    page.get_by_role("button", name="Run ensemble").click()
    image = page.locator(".factions-survival img").first
    image.wait_for(timeout=4 * UI_WAIT)
    assert image.bounding_box()["height"] > 200
    assert "10 runs" in page.locator(".factions-survival").inner_text()
    page.screenshot(path=str(tmp_path / "ensemble.png"), full_page=True)
