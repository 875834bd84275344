"""Starting the dashboard: check the scenario and the port, then run solara's server.

The page (:mod:`factions.dashboard.app`) is served by ``solara run`` in a child process, in
production mode, without its version check or telemetry (a local teaching tool should not
call out). The scenario to show first travels in an environment variable. Errors the user can
fix (unknown scenario, busy port, missing extra) raise :class:`DashboardError` before anything
starts.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable

from factions.errors import FactionsError

log = logging.getLogger(__name__)

APP = "factions.dashboard.app"
SCENARIO_VARIABLE = "FACTIONS_DASHBOARD_SCENARIO"  # read by app.first_settings
LOCAL = "127.0.0.1"
READY_TIMEOUT = 60.0  # seconds to wait for the first page before opening a browser
QUIET = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}


class DashboardError(FactionsError):
    """The dashboard cannot start: the message says why and what to do."""


def check_installed() -> None:
    """Raise if the ``dashboard`` extra (solara, Mesa's visualisation) is missing."""
    if importlib.util.find_spec("solara") is None:
        raise DashboardError(
            "the dashboard needs the 'dashboard' extra: pip install \"factions[dashboard]\""
        )


def check_port(host: str, port: int) -> None:
    """Raise :class:`DashboardError` if ``host:port`` cannot be bound (in use, or not ours)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise DashboardError(
                f"cannot serve on {host}:{port}: {exc.strerror or exc}; "
                "choose another port with --port (e.g. --port 8766)"
            ) from None


def free_port(host: str = LOCAL) -> int:
    """A port the system says is free now (for tests and ``--port 0``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def url(host: str, port: int) -> str:
    """The address to open in a browser."""
    shown = LOCAL if host in ("0.0.0.0", "") else host
    return f"http://{shown}:{port}"


def command(host: str, port: int) -> list[str]:
    """The ``solara run`` command line that serves the page."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
        "--log-level",
        "warning",
    ]


def wait_until_served(address: str, timeout: float = READY_TIMEOUT) -> bool:
    """Poll ``address`` until it answers (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(address, timeout=2):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def start(source: str, host: str, port: int) -> subprocess.Popen:
    """Start the server for scenario ``source`` (checked first) and return its process."""
    from factions.scenario import load_scenario

    check_installed()
    load_scenario(source)  # an unknown or invalid scenario fails here, not in the browser
    check_port(host, port)
    env = {**os.environ, **QUIET, SCENARIO_VARIABLE: source}
    log.info("starting %s", " ".join(command(host, port)))
    return subprocess.Popen(command(host, port), env=env)


def serve(process: subprocess.Popen, on_ready: Callable[[], None] | None = None) -> int:
    """Wait for the server to stop; call ``on_ready`` once the page answers.

    Ctrl-C (or SIGTERM) stops the server and raises ``KeyboardInterrupt`` once it has exited,
    so nothing is left running.
    """
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if on_ready is not None:
            address = process.args[process.args.index("--host") + 1]
            port = process.args[process.args.index("--port") + 1]
            if wait_until_served(url(address, int(port))):
                on_ready()
        return process.wait()
    except KeyboardInterrupt:
        stop(process)
        raise


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Ask the server to stop, and kill it if it has not after ``grace`` seconds."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
