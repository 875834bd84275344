"""The ``factions`` command. Only this module prints; the library raises and logs.

Errors the user can fix (bad scenario, bad override, unknown name, unusable folder) exit with
status 2 and a message naming what is wrong and how to fix it, without a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import click

from factions import __version__
from factions.errors import FactionsError, ScenarioValidationError
from factions.seeds import MAX_REPLICATES

__all__ = ["main"]  # the commands are reached through it

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

EPILOG = """\b
Examples:
  factions run korea-1945                      # the flagship scenario, figures and summary
  factions run korea-1945 --replicates 500 --seed 1 --workers 2
  factions run korea-1945 --set factions.yanan.military=0.6 --out results/yanan-armed
  factions scenarios list
  factions scenarios show korea-no-war         # fully resolved after `extends`
  factions scenarios check scenarios/*.toml
  factions validate korea-1945 --replicates 200
  factions sweep korea-grid-yanan --workers 2    # a sweep from experiments/; resumable
  factions status results/korea-grid-yanan
  factions discover results/korea-discover-yanan --where "survival_yanan_1958-12 >= 0.375"
  factions dashboard korea-1945 --open         # watch a run, move sliders (needs [dashboard])
"""


def friendly_errors(command: Callable) -> Callable:
    """Turn library errors, and files that cannot be written (a read-only folder, a full
    disk), into a message on stderr and exit status 2; Ctrl-C into exit status 130."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except FactionsError as exc:
            click.echo(f"error: {exc}", err=True)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"error: {where}{exc.strerror or exc}", err=True)
        except KeyboardInterrupt:  # commands that store something say what themselves
            click.echo("\ninterrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(EXIT_USAGE)

    return wrapper


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="factions")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
def main(verbose: int) -> None:
    """Agent-based simulation of factional politics inside a ruling party."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("mesa").setLevel(logging.WARNING)  # Mesa logs every step at INFO


# ----------------------------------------------------------------------------------- run

_set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a scenario value by dotted path (repeatable).",
)


class _Bar:
    """A progress bar on stderr, called as ``progress(done)`` or ``progress(done, total)``.

    The bar appears at the first call and starts there (a resumed sweep's stored runs are not
    counted in its rate); leaving the ``with`` block closes it.
    """

    def __init__(self, label: str, unit: str = "run", total: int | None = None):
        self.label, self.unit, self.total = label, unit, total
        self.bar = None

    def __call__(self, done: int, total: int | None = None) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total or self.total,
                initial=done,
                desc=self.label,
                unit=self.unit,
                file=sys.stderr,
                disable=None,
            )
        self.bar.update(done - self.bar.n)

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *_exc) -> None:
        if self.bar is not None:
            self.bar.close()


def _simulate(scenario, replicates: int, seed: int, workers: int, then: tuple[str, ...] = ()):
    """Run the ensemble; with workers, import the modules ``then`` needs meanwhile."""
    from factions.ensemble import run_ensemble

    if workers > 1:
        _import_in_background(*then)
    with _Bar(scenario.name) as progress:
        return run_ensemble(scenario, replicates, seed, workers=workers, progress=progress)


_replicates = click.option(
    "-n",
    "--replicates",
    default=200,
    show_default=True,
    type=click.IntRange(1, MAX_REPLICATES),
    help=f"Replicates (at most {MAX_REPLICATES:,}).",
)


@main.command()
@click.argument("scenario")
@_replicates
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0), help="Root seed.")
@click.option(
    "-j", "--workers", default=2, show_default=True, type=click.IntRange(1), help="Processes."
)
@_set_option
@click.option(
    "-o", "--out", type=click.Path(file_okay=False), help="Results folder [results/SCENARIO]."
)
@click.option("--figures/--no-figures", default=True, show_default=True)
@friendly_errors
def run(scenario, replicates, seed, workers, overrides, out, figures):
    """Run REPLICATES replicates of SCENARIO (a bundled name or a .toml path)."""
    import signal

    from factions.results import check_run_folder
    from factions.scenario import load_scenario

    signal.signal(signal.SIGTERM, _raise_interrupt)
    workers = _start_workers(replicates, workers)
    loaded = load_scenario(scenario, list(overrides))
    folder = check_run_folder(Path(out or Path("results") / loaded.name))  # before simulating
    try:
        written = _run_and_save(loaded, replicates, seed, workers, overrides, folder, figures)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: {folder}/ left as it was", err=True)
        sys.exit(EXIT_INTERRUPTED)
    for path in written:
        click.echo(f"figure: {path}")


def _start_workers(replicates: int, workers: int) -> int:
    """The worker processes to use (one, this process, for a handful of runs); when more,
    start their forkserver now, so that it loads the model while this process loads the rest."""
    from factions.executors import start_forkserver, useful_workers

    workers = useful_workers(replicates, workers)
    if workers > 1:
        start_forkserver()
    return workers


def _import_in_background(*modules: str) -> None:
    """Import ``modules`` in a thread: while workers simulate, this process only waits, so the
    summary and the figures need not wait for their imports afterwards."""
    import importlib
    import threading

    def load() -> None:
        for module in modules:
            importlib.import_module(module)

    threading.Thread(target=load, name="imports", daemon=True).start()


def _run_and_save(scenario, replicates, seed, workers, overrides, folder: Path, figures: bool):
    """Simulate, write the results folder (atomically, figures drawn while the tables are
    written), print the summary; return the figures' paths."""
    then = ("factions.summary", "factions.plots") if figures else ("factions.summary",)
    results = _simulate(scenario, replicates, seed, workers, then)
    from factions.summary import render, summarise

    results.manifest["command"] = sys.argv
    results.manifest["overrides"] = list(overrides)
    summary = summarise(results)
    drawn: list[Path] = []

    def draw(staging: Path) -> None:
        from factions.plots import write_default_figures

        drawn.extend(write_default_figures(results, staging / "figures"))

    results.save(folder, summary, also=draw if figures else None)
    click.echo(render(summary))
    click.echo(f"\nresults: {folder}/ (Parquet tables, summary.json, manifest.json)")
    return [folder / "figures" / path.name for path in drawn]


@main.command()
@click.argument("target")
@_replicates
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0))
@click.option("-j", "--workers", default=2, show_default=True, type=click.IntRange(1))
@_set_option
@click.option("--strict", is_flag=True, help="Exit with status 1 when any declared pattern misses.")
@friendly_errors
def validate(target, replicates, seed, workers, overrides, strict):
    """Score a scenario (simulated now) or a results folder against its declared patterns."""
    from factions.results import Results
    from factions.summary import render, summarise

    path = Path(target)
    if path.is_dir():
        if overrides:
            raise click.UsageError("--set applies to a scenario, not to a results folder")
        results = Results.load(path)
    else:
        from factions.scenario import load_scenario

        workers = _start_workers(replicates, workers)
        scenario = load_scenario(target, list(overrides))
        results = _simulate(scenario, replicates, seed, workers, ("factions.summary",))
    summary = summarise(results)
    click.echo(render(summary))
    held = sum(p["holds"] for p in summary["patterns"])
    click.echo(f"\n{held}/{len(summary['patterns'])} patterns hold")
    if strict and held < len(summary["patterns"]):
        sys.exit(1)


# ----------------------------------------------------------------------------------- sweeps


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _resume_command(store) -> str:
    """The command that continues the sweep in ``store``, quoted for a POSIX shell.

    It names the experiment file and the replicates the store was made with, so that its
    identity matches whatever ``-n`` the sweep was started with.
    """
    import shlex

    m = store.manifest
    source = m["experiment"].get("source") or m["experiment"]["name"]
    words = ["factions", "sweep", source, "--out", str(store.folder)]
    words += ["--replicates", str(m["replicates"]), "--resume"]
    return shlex.join(words)


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _show(frame, title: str, rows: int = 40) -> None:
    import pandas as pd

    with pd.option_context("display.width", 120, "display.max_columns", 12):
        click.echo(f"\n{title}:")
        click.echo(
            frame.to_string(
                index=False, max_rows=rows, line_width=100, float_format=lambda x: f"{x:.3f}"
            )
        )


def _show_outputs(results, table) -> None:
    """The outputs per design point, with their intervals, in 80 columns."""
    from factions.experiment.text import outputs_text

    click.echo("\noutputs per design point:")
    click.echo(outputs_text(results.experiment, table))


def _report(results) -> None:
    """Print what a finished sweep stored, and its analysis (also written to DIR/analysis/)."""
    runs = results.runs
    failed = runs[runs["status"] != "ok"]
    click.echo(
        f"stored {len(runs)} of {results.experiment.n_runs} runs ({len(failed)} failed) "
        f"in {results.folder}/"
    )
    if len(failed):
        last = str(failed["error"].iloc[0]).strip().splitlines()[-1]
        click.echo(f"failed runs are listed in runs (status, error); first error: {last}")
    if not results.complete:
        return
    try:
        analysis = results.analyse()
    except FactionsError as exc:
        click.echo(f"no analysis: {exc}", err=True)
        return
    _show_outputs(results, analysis["outputs"])
    for name, frame in analysis.items():
        if name != "outputs":
            _show(frame, f"{name} indices")
    for path in results.save_analysis(analysis):
        click.echo(f"analysis: {path}")


@main.command()
@click.argument("experiment")
@click.option(
    "-j", "--workers", type=click.IntRange(1), help="Local worker processes [one per CPU]."
)
@click.option(
    "--scheduler", metavar="ADDRESS", help="Run on a Dask cluster (e.g. tcp://10.0.0.5:8786)."
)
@click.option(
    "-o", "--out", type=click.Path(file_okay=False), help="Results folder [results/EXPERIMENT]."
)
@click.option(
    "-n",
    "--replicates",
    type=click.IntRange(1, MAX_REPLICATES),
    help="Replicates per point [the file's].",
)
@click.option("--resume", is_flag=True, help="Continue the sweep stored in the results folder.")
@click.option("--new", is_flag=True, help="Discard what the results folder holds; start over.")
@click.option("--batch-size", type=click.IntRange(1), help="Runs per task [automatic].")
@click.option(
    "--retries",
    default=2,
    show_default=True,
    type=click.IntRange(0),
    help="Retries of a failed run.",
)
@click.option(
    "--compact",
    is_flag=True,
    help="Only join the stored part files into one per table (done when a sweep completes).",
)
@friendly_errors
def sweep(
    experiment, workers, scheduler, out, replicates, resume, new, batch_size, retries, compact
):
    """Run EXPERIMENT (a name in experiments/ or a .toml path): every point, every replicate.

    Results are stored as they come; Ctrl-C (or SIGTERM) stops cleanly and --resume continues.
    """
    if compact:
        if resume or new or workers or scheduler:
            raise click.UsageError("--compact runs nothing: give it with --out only")
        _compact(Path(out) if out else _default_folder(experiment, replicates))
        return
    if workers and scheduler:
        raise click.UsageError("give --workers or --scheduler, not both")
    if resume and new:
        raise click.UsageError("give --resume or --new, not both")
    import signal

    signal.signal(signal.SIGTERM, _raise_interrupt)
    from factions.experiment import SweepOptions, load_experiment

    options = SweepOptions(
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        new=new,
        batch_size=batch_size,
        retries=retries,
    )
    folder = Path(out) if out else None
    try:
        exp = load_experiment(experiment, replicates)
        folder = folder or _default_folder(exp)
        results = _run_sweep(exp, folder, options)
    except KeyboardInterrupt:
        _interrupted(folder)
        sys.exit(EXIT_INTERRUPTED)
    _report(results)


def _default_folder(experiment, replicates: int | None = None) -> Path:
    """``results/NAME`` for an experiment, loaded or named (a name in experiments/, a path)."""
    if isinstance(experiment, str):
        from factions.experiment import load_experiment

        experiment = load_experiment(experiment, replicates)
    return Path("results") / experiment.name


def _compact(folder: Path) -> None:
    """Join the part files of the sweep store in ``folder`` (under its lock)."""
    from factions.experiment.store import SweepStore, hold_lock

    store = SweepStore.read(folder)
    with hold_lock(folder):
        chunks = store.compact()
    click.echo(f"{folder}/: {chunks} chunk{'s' if chunks != 1 else ''} joined into one")


def _run_sweep(exp, folder: Path, options):
    """Run the sweep with a progress bar on stderr."""
    from factions.experiment import run_sweep

    click.echo(
        f"{exp.name}: {exp.n_points} points x {exp.replicates} replicates = {exp.n_runs} runs "
        f"({exp.design.kind} design over {exp.base.name}) -> {folder}/",
        err=True,
    )
    with _Bar(exp.name) as progress:
        return run_sweep(exp, folder, options, progress=progress)


def _interrupted(folder: Path | None) -> None:
    """Say what an interrupted sweep stored and how to resume it."""
    from factions.experiment.store import SweepStore

    if folder is None or not (folder / "manifest.json").is_file():
        click.echo("\ninterrupted before any run was stored", err=True)
        return
    store = SweepStore.read(folder)
    stored, total = len(store.runs()), store.manifest["runs"]
    click.echo(f"\ninterrupted: {stored} of {total} runs stored in {folder}/", err=True)
    click.echo(f"resume with: {_resume_command(store)}", err=True)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False))
@friendly_errors
def status(folder):
    """Progress of the sweep in FOLDER: points and runs done, remaining, rate, ETA, and the
    outputs of the runs stored so far."""
    from factions.experiment.store import SweepStore

    store = SweepStore.read(folder)
    s = store.status()
    rate = f"{s['rate']:.2f} runs/s (latest chunks)" if s["rate"] else "-"
    if s["remaining"] == 0:
        state = "complete"
    elif s["running"]:
        state = "running"
    else:
        state = f"stopped; resume with: {_resume_command(store)}"
    eta = _duration(s["eta_seconds"]) if s["eta_seconds"] is not None else "-"
    lines = [
        ("experiment", f"{s['experiment']} ({s['design']} design over {s['scenario']})"),
        ("points", f"{s['points_done']} of {s['points']} complete ({s['replicates']} replicates)"),
        (
            "runs",
            f"{s['stored']} of {s['runs']} stored ({s['failed']} failed), "
            f"{s['remaining']} remaining",
        ),
        ("state", state),
        ("rate", rate),
        ("eta", eta),
        ("updated", s["updated"] or "-"),
    ]
    for key, value in lines:
        click.echo(f"{key:<11}{value}")
    if s["stored"] > s["failed"]:
        from factions.experiment import SweepResults

        results = SweepResults.load(folder)
        _show_outputs(results, results.outputs())


# ----------------------------------------------------------------------------------- calibrate


def _quiet_pyabc() -> None:
    """Route pyabc's log lines through ours: shown with -v, else hidden (a bar shows progress)."""
    abc_log = logging.getLogger("ABC")
    abc_log.handlers.clear()
    abc_log.setLevel(logging.getLogger().getEffectiveLevel())


@main.command()
@click.argument("scenario")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    required=True,
    metavar="PATH=LOW:HIGH",
    help="A numeric scenario value to calibrate, with a uniform prior (repeatable).",
)
@click.option("--populations", default=4, show_default=True, type=click.IntRange(1))
@click.option(
    "--particles", default=40, show_default=True, type=click.IntRange(2), help="Per population."
)
@click.option(
    "-n",
    "--replicates",
    default=20,
    show_default=True,
    type=click.IntRange(1),
    help="Replicates simulated per particle.",
)
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0), help="Root seed.")
@click.option(
    "-j",
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1),
    help="Processes running a particle's replicates.",
)
@click.option(
    "--max-simulations",
    type=click.IntRange(1),
    help="Stop after the population in which this many particles have been simulated.",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False),
    help="Calibration folder [results/SCENARIO-calibration].",
)
@click.option(
    "--write-scenario",
    "scenario_file",
    type=click.Path(dir_okay=False),
    help="Also write the posterior-mean scenario (it extends SCENARIO) to this .toml file.",
)
@click.option("--force", is_flag=True, help="Replace an existing calibration folder and file.")
@friendly_errors
def calibrate(
    scenario,
    params,
    populations,
    particles,
    replicates,
    seed,
    workers,
    max_simulations,
    out,
    scenario_file,
    force,
):
    """Calibrate values of SCENARIO against its declared patterns by ABC-SMC (pyabc).

    Each particle runs REPLICATES replicates; its distance is the root mean square failure rate
    of the patterns. Needs the optional extra: pip install "factions[calibrate]".
    """
    import signal

    from factions.calibrate import files, smc

    signal.signal(signal.SIGTERM, _raise_interrupt)  # clean up the staging folder, as on Ctrl-C
    base, checked = smc.prepare(scenario, params)
    folder = Path(out) if out else Path("results") / f"{base.name}-calibration"
    files.check_folder(folder, force)
    if scenario_file:
        files.check_scenario_file(scenario_file, force)
    smc.require_pyabc()
    _quiet_pyabc()
    click.echo(
        f"{base.name}: {len(checked)} parameter{'s' if len(checked) != 1 else ''}, "
        f"{populations} populations x {particles} "
        f"particles x {replicates} replicates -> {folder}/",
        err=True,
    )
    settings = {
        "populations": populations,
        "particles": particles,
        "replicates": replicates,
        "seed": seed,
        "workers": workers,
        "max_simulations": max_simulations,
    }
    try:
        with files.calibration_folder(folder, force) as staging:  # renamed into place when complete
            with _Bar(base.name, "particle", max_simulations) as progress:
                progress(0)
                result = smc.calibrate(
                    scenario, checked, db=staging / "abc.db", progress=progress, **settings
                )
            result.settings["command"] = sys.argv
            written = [folder / p.relative_to(staging) for p in result.save(staging)]
            if scenario_file:  # inside the block: if it fails, no folder is left either
                written.append(files.write_scenario(result, scenario_file, force))
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: nothing written to {folder}/", err=True)
        sys.exit(EXIT_INTERRUPTED)
    _calibration_report(result, folder, written)


def _calibration_report(result, folder: Path, written: list[Path]) -> None:
    """Print the posterior, the populations and the pattern fit, then the files written."""
    table = result.posterior_table().rename(
        columns={"prior_low": "low", "prior_high": "high", "scenario_value": "scenario"}
    )
    _show(table.drop(columns="median"), "posterior (last population; 95% interval q025-q975)")
    _show(result.generations, "populations")
    _show(
        result.patterns[["description", "required", "first_population", "last_population"]],
        "pattern pass rates (weighted mean over accepted particles)",
    )
    click.echo(f"\ncalibration: {folder}/ (abc.db)")
    for path in written:
        click.echo(f"wrote: {path}")


# ----------------------------------------------------------------------------------- scenarios


@main.group()
def scenarios() -> None:
    """List, show, check, create scenario files, and print their JSON Schema."""


@scenarios.command("list")
@friendly_errors
def scenarios_list():
    """The bundled scenarios."""
    from factions.scenario import list_bundled, load_scenario

    for name in list_bundled():
        loaded = load_scenario(name)
        click.echo(f"{name:<28}{loaded.title}")


@scenarios.command("show")
@click.argument("scenario")
@_set_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of TOML.")
@friendly_errors
def scenarios_show(scenario, overrides, as_json):
    """Print SCENARIO fully resolved (after `extends` and overrides): itself a valid scenario."""
    from factions.scenario import load_scenario
    from factions.scenario.render import to_toml

    resolved = load_scenario(scenario, list(overrides))
    data = resolved.model_dump(mode="json", exclude_none=True, exclude={"extends"})
    click.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else to_toml(data))
    click.echo(f"# hash: {resolved.hash}" if not as_json else "", nl=not as_json)


@scenarios.command("check")
@click.argument("files", nargs=-1, required=True)
def scenarios_check(files):
    """Validate scenario FILES; exit 2 if any is invalid."""
    from factions.scenario import load_scenario

    failed = 0
    for name in files:
        try:
            loaded = load_scenario(name)
        except ScenarioValidationError as exc:
            failed += 1
            click.echo(exc.render(), err=True)
        except FactionsError as exc:
            failed += 1
            click.echo(f"error: {exc}", err=True)
        else:
            click.echo(f"ok   {name} ({loaded.name}, {loaded.hash[:12]})")
    if failed:
        click.echo(f"{failed} of {len(files)} scenario files invalid", err=True)
        sys.exit(EXIT_USAGE)


@scenarios.command("new")
@click.argument("name")
@click.option(
    "--factions",
    "faction_ids",
    default="leaders,rivals,outsiders",
    show_default=True,
    help="Comma-separated faction ids; the first is the leader's.",
)
@friendly_errors
def scenarios_new(name, faction_ids):
    """Write NAME.toml: a commented skeleton scenario that checks as written (never overwrites)."""
    from factions.scenario.skeleton import write_skeleton

    path = write_skeleton(name, [f.strip() for f in faction_ids.split(",")])
    click.echo(f"wrote {path}; fill it in, then: factions scenarios check {path}")


@scenarios.command("schema")
def scenarios_schema():
    """Print the JSON Schema of scenario files (for editors)."""
    from factions.scenario import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


_WHERE_HELP = 'Points of interest: "OUTPUT OP NUMBER", OP one of >= > <= < ==.'
_where = click.option("--where", metavar="CONDITION", help="discovery: " + _WHERE_HELP)
_where_required = click.option("--where", metavar="CONDITION", required=True, help=_WHERE_HELP)

PLOT_KINDS = [
    "survival",
    "shares",
    "timeline",
    "network",  # plots.RERUN_FIGURES
    "counterfactual",  # plots.COMPARISON_FIGURES
    "heatmap",  # plots.SWEEP_FIGURES
    "sensitivity",
    "discovery",
]


@main.command()
@click.argument("kind", type=click.Choice(PLOT_KINDS))
@click.argument("results", type=click.Path(file_okay=False))
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False),
    help="Figure file; the format follows the suffix (.png, .svg, .pdf) "
    "[RESULTS/figures/KIND.png].",
)
@click.option(
    "--against",
    type=click.Path(file_okay=False),
    help="counterfactual: the results folder to compare with RESULTS (same root seed).",
)
@click.option("--x", "x", help="heatmap: parameter on the x axis [the sweep's first].")
@click.option("--y", "y", help="heatmap: parameter on the y axis [the sweep's second].")
@click.option(
    "--output",
    help="heatmap, sensitivity: the output to show [the first; sensitivity: first that varies].",
)
@_where
@friendly_errors
def plot(kind, results, out, against, x, y, output, where):
    """Draw figure KIND from a RESULTS folder (of `factions run`, or of `factions sweep`).

    \b
    survival, shares, timeline  from a run's tables
    network                     re-runs the run's first replicate; its network once a year
    counterfactual              RESULTS beside --against FOLDER, survival curves; paired
                                tests on shared seeds (McNemar, paired t), else log-rank
    heatmap, sensitivity        from a sweep folder: an output over two parameters (grid), or
                                the Sobol / Morris indices
    discovery                   from a sweep folder and --where: PRIM's peeling trajectory
                                and box limits (needs [discover])
    """
    path = Path(out) if out else Path(results) / "figures" / f"{kind}.png"
    if (kind == "discovery") != bool(where):
        raise click.UsageError("--where goes with discovery, and discovery needs --where")
    try:
        written = _draw(kind, results, path, against, x, y, output, where)
    except ValueError as exc:  # the data cannot make this figure (e.g. a constant output)
        raise click.UsageError(str(exc)) from None
    click.echo(f"figure: {written}")


def _draw(kind, results, path, against, x, y, output, where) -> Path:
    from factions import plots

    if kind == "discovery":
        written = _plot_discovery(results, path, where)
    elif kind in plots.SWEEP_FIGURES:
        written = _plot_sweep(kind, results, path, x, y, output)
    else:
        from factions.results import Results

        loaded = Results.load(results)
        if kind == "network":
            from factions.snapshots import network_snapshots

            seed = int(loaded.manifest.get("root_seed", 0))
            written = plots.save_network_figure(network_snapshots(loaded.scenario, seed), path)
        elif kind == "counterfactual":
            if not against:
                raise click.UsageError("counterfactual needs --against RESULTS_FOLDER")
            other = Results.load(against)
            written = plots.save_drawing(
                lambda ax: plots.plot_counterfactual(loaded, other, ax=ax), path
            )
        else:
            written = plots.save_figure(loaded, kind, path)
    return written


def _plot_sweep(kind: str, folder: str, path: Path, x, y, output) -> Path:
    from factions import plots
    from factions.errors import ExperimentError
    from factions.experiment import SweepResults

    sweep = SweepResults.load(folder)
    if kind == "heatmap":
        names = list(sweep.experiment.design.parameters)
        if (x is None or y is None) and len(names) < 2:
            raise ExperimentError("a heatmap needs a sweep over at least two parameters")
        x, y = x or names[0], y or names[1]
        if x == y:
            raise click.UsageError(f"--x and --y must name two different parameters, got {x!r}")
        table = sweep.outputs()
        output = output or next(c for c in table.columns if c.startswith("survival_"))
        base = sweep.experiment.base
        return plots.save_drawing(
            lambda ax: plots.plot_sweep_heatmap(
                table, x, y, output, ax, start_month=base.start_month, horizon=base.n_months
            ),
            path,
        )
    found = sweep.analyse()
    indices = found.get("sobol", found.get("morris"))
    if indices is None:
        raise ExperimentError(f"{folder} holds no Sobol or Morris design to analyse")
    return plots.save_drawing(
        lambda ax: plots.plot_sensitivity(indices, ax=ax, output=output), path
    )


def _plot_discovery(folder: str, path: Path, where: str) -> Path:
    from factions.discover import discover_sweep
    from factions.experiment import SweepResults
    from factions.plots import discovery_figure
    from factions.plots.files import check_format, write

    check_format(path)
    sweep = SweepResults.load(folder)
    found = discover_sweep(sweep, where)
    title = f"{sweep.experiment.name}: where {found.condition}"
    axes = discovery_figure(found.trajectory, found.limits, title)
    return write(axes[0].figure, path)


# ----------------------------------------------------------------------------------- discover


@main.command()
@click.argument("sweep", type=click.Path(file_okay=False))
@_where_required
@click.option(
    "--threshold",
    default=0.8,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Density a box should reach (the box of highest coverage that does is chosen).",
)
@click.option("--boxes", default=2, show_default=True, type=click.IntRange(1, 20))
@friendly_errors
def discover(sweep, where, threshold, boxes):
    """Scenario discovery (PRIM): boxes of the parameters of SWEEP where --where holds.

    \b
    factions discover results/korea-discover-yanan --where "survival_yanan_1958-12 >= 0.375"
    Needs EMA Workbench: pip install 'factions[discover]'.
    """
    from factions.discover import discover_sweep
    from factions.experiment import SweepResults

    results = SweepResults.load(sweep)
    found = discover_sweep(results, where, threshold=threshold, boxes=boxes)
    import textwrap

    heading = (
        f"{results.experiment.name}: {found.of_interest} of {found.points} design points have "
        f"{found.condition} (PRIM, density threshold {threshold:g})"
    )
    click.echo(textwrap.fill(heading, 80))
    for box in found.boxes.itertuples():
        click.echo(
            f"\nbox {box.box}: coverage {box.coverage:.2f}, density {box.density:.2f}, "
            f"mass {box.mass:.2f} ({box.points} points, {box.of_interest} of interest)"
        )
        click.echo(_box_text(found.limits[found.limits["box"] == box.box]))


def _box_text(limits) -> str:
    """One line per parameter: the box's limits and the swept range; '*' marks a restriction."""
    from factions.experiment.text import short_parameter

    lines = [f"  {'parameter':<28}{'low':>10}{'high':>10}   swept range"]
    for row in limits.itertuples():
        name = f"{'*' if row.restricted else ' '} {short_parameter(row.parameter)}"
        if row.high is None:  # a parameter of levels: the levels kept
            lines.append(f"{name:<30}{row.low:>20}   {row.range_low}")
            continue
        swept = f"{row.range_low:.3g}–{row.range_high:.3g}"
        lines.append(f"{name:<30}{row.low:>10.3g}{row.high:>10.3g}   {swept}")
    return "\n".join([*lines, "  (* restricted by the box)"])


# ----------------------------------------------------------------------------------- dashboard


@main.command()
@click.argument("scenario", default="korea-1945")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (see warning)."
)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a web browser.")
@friendly_errors
def dashboard(scenario, port, host, open_browser):
    """Serve the interactive dashboard of SCENARIO; print its address; Ctrl-C stops it.

    A busy port exits with status 2; --port 0 takes any free port.
    """
    import webbrowser

    from factions.dashboard import server

    if host != server.LOCAL:
        click.echo(f"warning: serving on {host}: anyone who can reach it can use it", err=True)
    port = port or server.free_port(host)
    process = server.start(scenario, host, port)
    address = server.url(host, port)
    click.echo(f"factions dashboard: {address}  (Ctrl-C to stop)")
    try:
        status = server.serve(process, (lambda: webbrowser.open(address)) if open_browser else None)
    except KeyboardInterrupt:
        click.echo("dashboard stopped", err=True)
        sys.exit(130)
    if status:
        click.echo(f"error: the dashboard server exited with status {status}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
