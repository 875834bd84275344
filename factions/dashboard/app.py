"""The dashboard page: Mesa's SolaraViz components around one run and an ensemble tab.

Served by ``factions dashboard`` (``solara run factions.dashboard.app``). The left column holds
Mesa's ``ModelController`` (Step, Play/Pause, Reset), a speed slider, the current month, and the
parameters: a scenario picker, a scenario file, the seed and Mesa's ``UserInputs`` sliders;
changing any of them rebuilds the model (the run resets). The "One run" tab shows the network
(laid out by Mesa's ``SpaceRenderer``), seat and power shares, the event log and patron presence,
each drawing redrawn at each step only where it changed;
the "Ensemble" tab runs replicates on local workers and draws their survival curves.

The scenario shown first comes from the environment variable ``FACTIONS_DASHBOARD_SCENARIO``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import solara
from mesa.visualization.solara_viz import ModelController, UserInputs
from mesa.visualization.utils import update_counter

from factions.dashboard import figures, frames, view
from factions.dashboard.ensemble import Ensemble, use_ensemble
from factions.dashboard.model import DashboardModel
from factions.dashboard.parameters import parameters, scenario_file, sources
from factions.dashboard.server import SCENARIO_VARIABLE
from factions.errors import FactionsError

DEFAULT_SCENARIO = "korea-1945"
SPEED = {"value": 200, "min": 10, "max": 1000, "step": 10}  # milliseconds between months
SEED_RANGE = (0, 999)
LOG_HEIGHT = "440px"
#: Each slider's label (with its value) above a full-width track: labels differ in length, and
#: beside the label a long one left a track too short to set a value with.
SLIDER_CSS = """
.factions-sliders .v-input--horizontal.v-slider {
    grid-template-areas: "prepend" "control" "messages";
    grid-template-columns: 100%;
}
.factions-sliders .v-slider .v-input__prepend { margin-inline-end: 0; margin-bottom: -6px; }
"""
TABS = ("One run", "Ensemble")


@dataclass(frozen=True)
class Settings:
    """What a run is built from: the keyword arguments of :class:`DashboardModel`."""

    source: str = DEFAULT_SCENARIO
    seed: int = 1
    values: dict[str, Any] = field(default_factory=dict)


def first_settings() -> Settings:
    """The scenario named on the command line (through the environment), default seed."""
    return Settings(source=os.environ.get(SCENARIO_VARIABLE, DEFAULT_SCENARIO))


# ----------------------------------------------------------------------------- one run


@solara.component
def MonthText(model: DashboardModel):
    """The current month as a date, and how far the run has come."""
    update_counter.get()
    done, total = view.months_done(model), model.spec.n_months
    state = "finished" if not model.running else f"month {done + 1} of {total}"
    solara.Text(f"Date: {view.date(model)}", classes=["factions-date"], style="font-size: 1.3em")
    solara.Text(f" ({state})")


@solara.component
def LivePanel(
    model: DashboardModel, counter: int, title: str, kind: type[figures.LivePicture], css: str
):
    """A drawing of the run so far: built once per run, redrawn where it changed at each step."""
    drawing = solara.use_memo(lambda: kind(model), [model])
    image = solara.use_memo(lambda: drawing.picture(model), [drawing, counter])
    with solara.Card(title, classes=[css]):
        solara.Image(image, format=frames.FORMAT)


@solara.component
def EventLog(model: DashboardModel, counter: int):
    """The run's notable events so far, newest first (``counter``: Mesa's step counter)."""
    rows = view.events(model)
    lines = [
        f"- **{r['date']}** {r['event']}"
        + (f" — {r['faction']}" if r["faction"] else "")
        + (f" ({r['who']})" if r["who"] else "")
        + (f": {r['detail']}" if r["detail"] else "")
        for r in reversed(rows)
    ]
    with (
        solara.Card(f"Event log ({len(rows)} events)", classes=["factions-events"]),
        solara.Column(style={"max-height": LOG_HEIGHT, "overflow-y": "auto"}),
    ):
        solara.Markdown("\n".join(lines) if lines else "_Nothing has happened yet._")


@solara.component
def RunTab(model: DashboardModel):
    """The panels of one run, redrawn at each step.

    Only this component follows Mesa's step counter and hands it to its panels: one render
    pass per step for all of them (a counter followed by each panel costs a pass each).
    """
    counter = update_counter.get()
    with solara.Columns([1, 1]):
        LivePanel(model, counter, "Patronage network", figures.NetworkChart, "factions-network")
        LivePanel(model, counter, "Seat and power shares", figures.SharesChart, "factions-shares")
    with solara.Columns([1, 1]):
        EventLog(model, counter)
        LivePanel(model, counter, "Patron presence", figures.PresenceChart, "factions-presence")


# ----------------------------------------------------------------------------- ensemble


@solara.component
def EnsembleResult(title: str, ensemble_result, css: str):
    with solara.Card(title, classes=[css]):
        solara.FigureMatplotlib(figures.survival_figure(ensemble_result.results), format="png")
        solara.Preformatted(ensemble_result.summary)


@solara.component
def EnsembleTab(settings: Settings, ensemble: Ensemble):
    replicates = solara.use_reactive(50)
    with solara.Card("Ensemble of the current parameters"):
        solara.InputInt("Replicates", value=replicates, continuous_update=True)
        solara.Text(f"Seed {settings.seed}, {ensemble.workers} local workers.")
        solara.Button(
            "Run ensemble",
            color="primary",
            on_click=lambda: ensemble.run(settings, max(1, replicates.value)),
            disabled=ensemble.pending,
        )
        if ensemble.pending:
            done, total = ensemble.progress
            solara.ProgressLinear(100 * done / max(total, 1))
            solara.Text(f"{done} of {total} runs", classes=["factions-progress"])
        if ensemble.error:
            solara.Error(ensemble.error)
    current, pinned = ensemble.current, ensemble.pinned
    if current is not None:
        solara.Button("Pin as baseline", on_click=ensemble.pin, disabled=current is pinned)
    if pinned is not None and current is not None and current is not pinned:
        with solara.Card("Baseline (pinned, solid) against current (dashed)"):
            solara.FigureMatplotlib(
                figures.comparison_figure(pinned.results, current.results), format="png"
            )
    with solara.Columns([1, 1]):
        if current is not None:
            EnsembleResult(f"Current: {current.label}", current, "factions-survival")
        if pinned is not None and current is not pinned:
            EnsembleResult(f"Pinned: {pinned.label}", pinned, "factions-pinned")


# ----------------------------------------------------------------------------- parameters


def _changed(model: DashboardModel) -> str:
    if not model.values:
        return "_All values as in the scenario file._"
    return "Changed: " + ", ".join(f"`{k}` = {v:g}" for k, v in sorted(model.values.items()))


@solara.component
def ParameterCard(model: DashboardModel, rebuild, error: str | None):
    with solara.Card("Parameters"):
        solara.Style(SLIDER_CSS)
        choices = sources()
        picked = model.source if model.source in choices else None
        solara.Select(
            "Scenario",
            values=choices,
            value=picked,
            on_value=lambda name: rebuild(source=name, values={}),
        )
        solara.InputText(
            "…or a scenario file (path, Enter to load)",
            value="" if picked else model.source,
            on_value=lambda path: path.strip() and rebuild(source=path.strip(), values={}),
        )
        with solara.Div(classes=["factions-sliders"]):
            solara.SliderInt(
                f"Seed = {model.seed}",
                value=model.seed,
                min=SEED_RANGE[0],
                max=SEED_RANGE[1],
                on_value=lambda seed: rebuild(seed=seed),
            )
            if error:
                solara.Error(error)
            sliders = {p.path: p.slider() for p in parameters(model.spec)}
            UserInputs(
                sliders, on_change=lambda path, value: rebuild(values={**model.values, path: value})
            )
        with solara.Div(classes=["factions-changed"]):
            solara.Markdown(_changed(model))
        solara.FileDownload(
            lambda: scenario_file(model.source, model.values, model.seed),
            filename=f"{model.spec.name}-dashboard.toml",
            label="Download as scenario file",
        )


# ----------------------------------------------------------------------------- page


@solara.component
def RunControls(
    model: solara.Reactive[DashboardModel], settings: Settings, speed: solara.Reactive[int]
):
    """Mesa's controller (Step, Play/Pause, Reset) over one run.

    The page keys it by run, so a parameter change mounts a fresh one: paused, Step enabled.
    It steps its own reactive holding the run, not the page's: the play loop of a replaced
    controller (a thread of Mesa's that outlives it) then steps only the retired run, which the
    page has marked finished, so the loop stops after one more month instead of playing the new
    run behind a paused controller. A Reset here hands the new run to the page.
    """
    run = solara.use_reactive(model.value, on_change=model.set)
    ModelController(
        run,
        model_parameters=asdict(settings),
        play_interval=speed,
        render_interval=solara.use_reactive(1),
        use_threads=solara.use_reactive(False),
    )


@solara.component
def Page():
    """The whole dashboard (one per browser session)."""
    settings = solara.use_reactive(solara.use_memo(first_settings, []))
    model = solara.use_reactive(
        solara.use_memo(lambda: DashboardModel(**asdict(settings.value)), [])
    )
    generation = solara.use_reactive(0)
    error = solara.use_reactive(None)
    speed = solara.use_reactive(SPEED["value"])
    ensemble = use_ensemble()

    def rebuild(**change: Any) -> None:
        """Apply a change of scenario, seed or slider value: a new model, the run reset."""
        wanted = replace(settings.value, **change)
        try:
            fresh = DashboardModel(**asdict(wanted))
        except FactionsError as exc:
            error.set(str(exc))
            return
        error.set(None)
        model.value.running = False  # stops a play loop still stepping it (see RunControls)
        settings.set(wanted)
        model.set(fresh)
        generation.set(generation.value + 1)

    solara.Title("factions dashboard")
    with solara.AppBar():
        solara.AppBarTitle(f"factions — {model.value.spec.title}")
    with solara.Columns([1, 3]):
        with solara.Column():
            with solara.Card("Run"):
                MonthText(model.value)
                RunControls(model, settings.value, speed).key(f"controls-{generation.value}")
                solara.SliderInt(
                    "Speed: ms between months",
                    value=speed,
                    **{k: SPEED[k] for k in ("min", "max", "step")},
                )
            ParameterCard(model.value, rebuild, error.value)
        with solara.Column():
            Main(model.value, settings.value, ensemble)


@solara.component
def Main(model: DashboardModel, settings: Settings, ensemble: Ensemble):
    """The tabs: one run, and the ensemble (only the open one is drawn)."""
    tab = solara.use_reactive(0)
    # Tabs as Mesa's ComponentsView draws them (vuetify's own), only the open one rendered.
    with solara.v.Tabs(v_model=tab.value, on_v_model=tab.set):
        for name in TABS:
            solara.v.Tab(children=[name])
    if tab.value == 0:
        RunTab(model)
    else:
        EnsembleTab(settings, ensemble)
