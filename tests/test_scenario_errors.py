"""One test per kind of malformed scenario: each error names the file, the field path, the TOML
line where it can be found, the offending value, and a hint (what is allowed, or a suggestion).

The documents are small edits of the minimal scenario in ``conftest.py``, whose lines are known;
expected line numbers are computed from the text, never typed in.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from factions.errors import ScenarioError, ScenarioValidationError
from factions.scenario import load_scenario


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} is not unique in the minimal scenario"
    return text.replace(old, new)


def _line(text: str, needle: str, after: str | None = None) -> int:
    """Number of the first line of ``text`` that contains ``needle`` (after the line ``after``)."""
    start = _line(text, after) if after else 0
    lines = enumerate(text.splitlines(), start=1)
    return next(i for i, line in lines if i > start and needle in line)


def _invalid(path: Path, overrides=None) -> ScenarioValidationError:
    with pytest.raises(ScenarioValidationError) as caught:
        load_scenario(path, overrides)
    return caught.value


def _only(error: ScenarioValidationError, path: str):
    """The problem at ``path`` (exactly one), after checking the rendered message shows it."""
    found = [p for p in error.problems if p.path == path]
    assert len(found) == 1, f"expected one problem at {path!r}, got {error.problems}"
    problem = found[0]
    rendered = str(error)
    where = f"{error.source}:{problem.line}" if problem.line is not None else error.source
    assert f"{where}: {path}: {problem.message}" in rendered
    assert problem.hint, f"no hint for {problem}"
    assert f"hint: {problem.hint}" in rendered
    if problem.value is not None:
        assert f"got: {problem.value!r}"[:60] in rendered
    return problem


def _check(write_toml, text: str, path: str, needle: str | None, value=None, hint: str = ""):
    """Load ``text``; expect a problem at ``path`` on the line containing ``needle``."""
    error = _invalid(write_toml(text))
    problem = _only(error, path)
    if needle is not None:
        assert problem.line == _line(text, needle)
    if value is not None:
        assert problem.value == value
    assert hint in problem.hint
    return problem


# --------------------------------------------------------------------------- misspelled keys


@pytest.mark.parametrize(
    ("old", "new", "path", "suggestion"),
    [
        ('title = "A', 'titel = "A', "titel", "title"),
        ("cadres = 15", "cadre = 15", "factions.blues.cadre", "cadres"),
        ('patron = "big"', 'patrn = "big"', "factions.blues.patrn", "patron"),
        ("presence = 0.5", "presense = 0.5", "patrons.big.presense", "presence"),
        ("seats = 12", "seats = 12\nseets = 3", "events.congress.seets", "seats"),
        ('end = "1953-07"', 'end = "1953-07"\npretxt = 0.2', "events.war.pretxt", "pretext"),
    ],
    ids=["top", "faction", "faction-patron", "patron", "event", "event-kind-key"],
)
def test_misspelled_key_suggests_the_right_one(
    write_toml, minimal_scenario, old, new, path, suggestion
):
    text = _edit(minimal_scenario, old, new)
    key = path.split(".")[-1]
    problem = _check(write_toml, text, path, f"{key} =")
    assert problem.message == "unknown key"
    assert problem.hint == f"did you mean '{suggestion}'?"


def test_misspelled_required_key_is_reported_missing_and_unknown(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "initial_seats = 10", "initial_seat = 10")
    error = _invalid(write_toml(text))
    missing = _only(error, "committee.initial_seats")
    assert missing.message == "required field is missing"
    assert missing.line == _line(text, "[committee]")
    unknown = _only(error, "committee.initial_seat")
    assert unknown.hint == "did you mean 'initial_seats'?"
    assert unknown.line == _line(text, "initial_seat =")


def test_misspelled_key_in_a_pattern(write_toml, minimal_scenario):
    text = minimal_scenario + "min_pas_rate = 0.2\n"
    problem = _check(write_toml, text, "patterns.0.min_pas_rate", "min_pas_rate")
    assert problem.hint == "did you mean 'min_pass_rate'?"


def test_misspelled_mechanism_section_and_parameter(write_toml, minimal_scenario):
    text = minimal_scenario.replace(
        "[committee]", "[mechanisms.purg]\nenabled = false\n\n[committee]"
    )
    problem = _check(write_toml, text, "mechanisms.purg", "[mechanisms.purg]")
    assert problem.hint == "did you mean 'purge'?"
    text = minimal_scenario.replace(
        "[committee]", "[mechanisms.purge]\nexecutoin = 0.1\n\n[committee]"
    )
    problem = _check(write_toml, text, "mechanisms.purge.executoin", "executoin")
    assert problem.hint == "did you mean 'execution'?"


def test_unknown_key_without_a_close_match_lists_the_allowed_keys(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "presence = 0.5", "presence = 0.5\nzzzz = 1")
    problem = _check(write_toml, text, "patrons.big.zzzz", "zzzz")
    assert problem.hint.startswith("allowed keys: ")
    assert "presence" in problem.hint and "willingness" in problem.hint


def test_misspelled_key_in_an_inline_table(write_toml, minimal_scenario):
    text = _edit(
        minimal_scenario, "loyalty = { mean = 0.4 }", "loyalty = { mean = 0.4, sprad = 0.1 }"
    )
    problem = _check(write_toml, text, "factions.blues.loyalty.sprad", "sprad")
    assert problem.hint == "did you mean 'spread'?"


def test_invalid_table_key(write_toml, minimal_scenario):
    text = minimal_scenario.replace("blues", "Blues")
    problem = _check(write_toml, text, "factions.Blues", "[factions.Blues]", value="Blues")
    assert "invalid key" in problem.message
    assert "lower-case" in problem.hint


# --------------------------------------------------------------------------- types and ranges


def test_wrong_type(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "cadres = 20", 'cadres = "twenty"')
    problem = _check(write_toml, text, "factions.reds.cadres", "cadres = ", value="twenty")
    assert "integer" in problem.message
    assert problem.hint.startswith("allowed: an integer >= 1 and <= ")


def test_fractional_integer(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "cadres = 20", "cadres = 20.5")
    _check(write_toml, text, "factions.reds.cadres", "cadres = ", value=20.5, hint="an integer")


def test_table_expected(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "loyalty = { mean = 0.8 }", "loyalty = 0.8")
    _check(write_toml, text, "factions.reds.loyalty", "loyalty = 0.8", value=0.8, hint="a table")


_COMMITTEE = "[committee]"


@pytest.mark.parametrize(
    ("old", "new", "path", "value", "needle"),
    [
        (
            "loyalty = { mean = 0.8 }",
            "loyalty = { mean = 1.5 }",
            "factions.reds.loyalty.mean",
            1.5,
            "mean = 1.5",
        ),
        ("presence = 0.5", "presence = -0.1", "patrons.big.presence", -0.1, "presence ="),
        (
            _COMMITTEE,
            "[mechanisms.purge]\nexecution = 1.01\n\n" + _COMMITTEE,
            "mechanisms.purge.execution",
            1.01,
            "execution =",
        ),
        (
            "military = 0.5",
            "military = 0.5\nlegitimacy = 7",
            "factions.blues.legitimacy",
            7,
            "legitimacy =",
        ),
    ],
    ids=["loyalty-mean", "presence", "purge-execution", "legitimacy"],
)
def test_probability_out_of_range(write_toml, minimal_scenario, old, new, path, value, needle):
    text = _edit(minimal_scenario, old, new)
    problem = _check(write_toml, text, path, needle, value=value)
    assert "than or equal to" in problem.message
    assert problem.hint == "allowed: a finite number >= 0 and <= 1"


def test_pattern_pass_rate_out_of_range(write_toml, minimal_scenario):
    text = minimal_scenario + "min_pass_rate = 2.0\n"
    problem = _check(write_toml, text, "patterns.0.min_pass_rate", "min_pass_rate", value=2.0)
    assert problem.hint == "allowed: a finite number >= 0 and <= 1"


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "+inf", "-nan"])
def test_nan_and_infinity_are_refused(write_toml, minimal_scenario, bad):
    text = _edit(minimal_scenario, "military = 0.5", f"military = {bad}")
    problem = _check(
        write_toml, text, "factions.blues.military", f"military = {bad}", hint="finite"
    )
    assert "finite" in problem.message


def test_nan_in_a_probability_and_a_mechanism(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "presence = 0.5", "presence = nan")
    _check(write_toml, text, "patrons.big.presence", "presence", hint="finite")
    text = minimal_scenario.replace(
        "[committee]", "[mechanisms.loyalty]\nnoise = inf\n\n[committee]"
    )
    _check(write_toml, text, "mechanisms.loyalty.noise", "noise", value=float("inf"))


def test_missing_required_field(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "military = 1.0\n", "")
    problem = _check(write_toml, text, "factions.reds.military", "[factions.reds]")
    assert problem.message == "required field is missing"


# --------------------------------------------------------------------------- dates


def test_end_before_start(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, 'end = "1955-12"', 'end = "1949-12"')
    problem = _check(write_toml, text, "end", 'end = "1949', value="1949-12")
    assert "after start (1950-01)" in problem.message


def test_end_equal_to_start(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, 'end = "1955-12"', 'end = "1950-01"')
    _check(write_toml, text, "end", 'end = "1950', value="1950-01")


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ('date = "1954-01"', 'date = "1956-01"', "events.congress.date"),
        ('date = "1951-06"', 'date = "1949-06"', "events.war.date"),
        ('end = "1953-07"', 'end = "1957-07"', "events.war.end"),
    ],
)
def test_event_outside_the_span(write_toml, minimal_scenario, old, new, path):
    text = _edit(minimal_scenario, old, new)
    problem = _check(write_toml, text, path, new, value=new.split('"')[1], hint="span")
    assert "within the scenario's span 1950-01..1955-12" in problem.message


def test_war_ending_before_it_starts(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, 'end = "1953-07"', 'end = "1951-01"')
    problem = _check(write_toml, text, "events.war.end", 'end = "1951-01"', value="1951-01")
    assert "before `date`" in problem.message


def test_pattern_window_outside_span_and_reversed(write_toml, minimal_scenario):
    pattern = (
        '\n[[patterns]]\nkind = "elimination_window"\nfaction = "blues"\n'
        'earliest = "1954-01"\nlatest = "1952-01"\n'
    )
    text = minimal_scenario + pattern
    problem = _check(write_toml, text, "patterns.1.latest", 'latest = "1952', value="1952-01")
    assert "below earliest" in problem.message
    text = minimal_scenario + pattern.replace("1952-01", "1960-01")
    _check(write_toml, text, "patterns.1.latest", 'latest = "1960', value="1960-01", hint="span")
    text = minimal_scenario + pattern.replace("1952-01", "1955-01") + 'historical = "1949-06"\n'
    _check(write_toml, text, "patterns.1.historical", "historical", value="1949-06", hint="span")


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ("1950-13", "month must be 01..12"),
        ("1950-00", "month must be 01..12"),
        ("1950/06", "expected a month as 'YYYY-MM'"),
        ("50-06", "expected a month as 'YYYY-MM'"),
        ("1950-6", "expected a month as 'YYYY-MM'"),
        ("June 1950", "expected a month as 'YYYY-MM'"),
        ("", "expected a month as 'YYYY-MM'"),
        ("0999-01", "year must be between"),
    ],
)
def test_bad_month_strings(write_toml, minimal_scenario, bad, expected):
    text = _edit(minimal_scenario, 'date = "1954-01"', f'date = "{bad}"')
    problem = _check(write_toml, text, "events.congress.date", f'date = "{bad}"', value=bad)
    assert expected in problem.message
    assert not problem.message.startswith("Value error")
    assert problem.hint == "allowed: a string like '1950-06'"


def test_bad_start_month(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, 'start = "1950-01"', 'start = "1950/01"')
    _check(write_toml, text, "start", "start =", value="1950/01", hint="1950-06")


def test_month_as_a_toml_date_is_refused(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, 'start = "1950-01"', "start = 1950-01-01")
    problem = _check(write_toml, text, "start", "start =", hint="a string")
    assert "string" in problem.message


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize(
    ("extra", "path", "value", "hint"),
    [
        (
            '[events.arms]\nkind = "arms_transfer"\ndate = "1950-06"\n'
            'faction = "bleus"\nfraction = 0.5\n',
            "events.arms.faction",
            "bleus",
            "did you mean 'blues'?",
        ),
        (
            '[events.arrive]\nkind = "patron_presence"\ndate = "1950-06"\n'
            'patron = "bgi"\nlevel = 1.0\n',
            "events.arrive.patron",
            "bgi",
            "did you mean 'big'?",
        ),
        (
            '[events.shock]\nkind = "ideological_shock"\ndate = "1950-06"\n'
            'origin = "bgi"\nmagnitude = 0.2\n',
            "events.shock.origin",
            "bgi",
            "did you mean 'big'?",
        ),
        (
            '[events.merge]\nkind = "merger"\ndate = "1950-06"\nfaction = "zzz"\ncadres = 3\n',
            "events.merge.faction",
            "zzz",
            "known factions: reds, blues",
        ),
    ],
    ids=["event-faction", "event-patron", "event-factions-list", "merger"],
)
def test_unknown_reference_in_an_event(write_toml, minimal_scenario, extra, path, value, hint):
    text = minimal_scenario.replace("[[patterns]]", extra + "\n[[patterns]]")
    problem = _check(write_toml, text, path, None, value=value)
    assert problem.message.startswith("unknown ")
    assert problem.hint == hint
    header = "[events." + path.split(".")[1] + "]"
    assert problem.line == _line(text, path.split(".")[2] + " = ", after=header)


def test_unknown_patron_of_a_faction(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, 'patron = "big"', 'patron = "small"')
    problem = _check(write_toml, text, "factions.blues.patron", 'patron = "small"', value="small")
    assert problem.message == "unknown patron"
    assert problem.hint == "known patrons: big"


def test_unknown_faction_of_the_leader(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, 'faction = "reds"\nname', 'faction = "rds"\nname')
    problem = _check(write_toml, text, "leader.faction", 'faction = "rds"', value="rds")
    assert problem.hint == "did you mean 'reds'?"


def test_unknown_faction_in_a_pattern(write_toml, minimal_scenario):
    text = minimal_scenario.replace('faction = "reds"\n', 'faction = "greens"\n')
    text = text.replace('[leader]\nfaction = "greens"', '[leader]\nfaction = "reds"')
    problem = _check(write_toml, text, "patterns.0.faction", None, value="greens")
    assert problem.line == len(text.splitlines())


def test_across_pairs_must_name_two_different_factions(write_toml, minimal_scenario):
    text = (
        minimal_scenario
        + '\n[network]\nacross_pairs = { "reds-greens" = 2.0, "reds-reds" = 2.0 }\n'
    )
    error = _invalid(write_toml(text))
    for pair in ("reds-greens", "reds-reds"):
        problem = _only(error, f"network.across_pairs.{pair}")
        assert problem.line == _line(text, "across_pairs")
        assert "reds, blues" in problem.hint


def test_across_pairs_accept_faction_ids_with_hyphens(write_toml, minimal_scenario):
    text = minimal_scenario.replace("blues", "north-blues")
    text += '\n[network]\nacross_pairs = { "reds-north-blues" = 2.0 }\n'
    assert load_scenario(write_toml(text)).network.across_pairs == {"reds-north-blues": 2.0}


def test_leader_not_a_notable(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, 'name = "Red One"\n', 'name = "Nobody"\n')
    problem = _check(write_toml, text, "leader.name", 'name = "Nobody"', value="Nobody")
    assert "notables of faction 'reds'" in problem.message
    assert "notables" in problem.hint


def test_leader_must_be_a_notable_of_the_leaders_own_faction(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, 'name = "Red One"\n', 'name = "Blue One"\n')
    _check(write_toml, text, "leader.name", 'name = "Blue One"', value="Blue One")


def test_more_notables_than_cadres(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "cadres = 15", "cadres = 1").replace(
        '[{ name = "Blue One" }]', '[{ name = "Blue One" }, { name = "Blue Two" }]'
    )
    problem = _check(write_toml, text, "factions.blues.notables", 'name = "Blue Two"')
    assert "2 notables but only 1 cadres" in problem.message


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("cadres = 20", "cadres = 1_000_000_000_000", "factions.reds.cadres"),
        ("capacity = 50000", "capacity = 1_000_000_000_000", "membership.capacity"),
        ("initial = 1000", "initial = 1_000_000_000_000", "membership.initial"),
        ("initial_seats = 10", "initial_seats = 1_000_000_000_000", "committee.initial_seats"),
        ("seats = 12", "seats = 1_000_000_000_000", "events.congress.seats"),
    ],
)
def test_huge_sizes_fail_fast_without_allocating(write_toml, minimal_scenario, old, new, path):
    text = _edit(minimal_scenario, old, new)
    scenario_file = write_toml(text)
    load_scenario(write_toml(minimal_scenario, "warm.toml"))  # imports and caches warmed up
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ScenarioValidationError) as caught:
            load_scenario(scenario_file)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 20 * 2**20  # far below what 10^12 of anything would need
    problem = _only(caught.value, path)
    assert problem.value == 10**12
    assert problem.line == _line(text, new)
    assert problem.hint.startswith("allowed: an integer") and "<=" in problem.hint


def test_membership_scale_too_small_for_capacity(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "capacity = 50000", "capacity = 50_000_000\nscale = 1")
    problem = _check(write_toml, text, "membership.scale", "scale = 1", value=1)
    assert "array entries exceeds" in problem.message
    assert "raise `scale`" in problem.hint


def test_initial_membership_above_capacity(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "initial = 1000", "initial = 60000")
    problem = _check(write_toml, text, "membership.initial", "initial = 60000", value=60000)
    assert "capacity" in problem.message


def test_more_seats_than_cadres(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "initial_seats = 10", "initial_seats = 100")
    problem = _check(write_toml, text, "committee.initial_seats", "initial_seats", value=100)
    assert "more seats than cadres (35)" in problem.message
    text = _edit(minimal_scenario, "seats = 12", "seats = 99")
    _check(write_toml, text, "events.congress.seats", "seats = 99", value=99, hint="seats")


def test_execution_and_exile_above_one(write_toml, minimal_scenario):
    text = minimal_scenario.replace(
        "[committee]", "[mechanisms.purge]\nexecution = 0.7\nexile = 0.6\n\n[committee]"
    )
    problem = _check(write_toml, text, "mechanisms.purge.exile", "exile = 0.6", value=0.6)
    assert "execution + exile" in problem.message
    assert "0.7" in problem.hint


def test_too_few_factions(write_toml, minimal_scenario):
    start = minimal_scenario.index("[factions.blues]")
    end = minimal_scenario.index("[patrons.big]")
    text = minimal_scenario[:start] + minimal_scenario[end:]
    problem = _check(write_toml, text, "factions", "[factions.reds]")
    assert "at least 2" in problem.message


# --------------------------------------------------------------------------- kinds


def test_unknown_event_kind(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, 'kind = "war"', 'kind = "wars"')
    problem = _check(write_toml, text, "events.war.kind", 'kind = "wars"', value="wars")
    assert problem.message == "unknown event kind"
    assert problem.hint == "did you mean 'war'?"


def test_unknown_event_kind_far_from_any(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, 'kind = "war"', 'kind = "zzzz"')
    problem = _check(write_toml, text, "events.war.kind", 'kind = "zzzz"', value="zzzz")
    assert problem.hint.startswith("known kinds: ")
    assert "leader_absence" in problem.hint and "congress" in problem.hint


def test_missing_event_kind(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, 'kind = "congress"\n', "")
    problem = _check(write_toml, text, "events.congress.kind", "[events.congress]")
    assert "missing" in problem.message
    assert "congress" in problem.hint and "war" in problem.hint


def test_unknown_pattern_kind(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, 'kind = "survives"', 'kind = "survive"')
    problem = _check(write_toml, text, "patterns.0.kind", 'kind = "survive"', value="survive")
    assert problem.message == "unknown pattern kind"
    assert problem.hint == "did you mean 'survives'?"


def test_event_parameter_of_another_kind(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "seats = 12", "seats = 12\nmagnitude = 0.5")
    problem = _check(write_toml, text, "events.congress.magnitude", "magnitude", value=0.5)
    assert problem.hint.startswith("allowed keys: ") or problem.hint.startswith("did you mean")


def test_keys_named_like_kinds_keep_their_place_in_the_path(write_toml, minimal_scenario):
    """An event keyed 'war' of kind 'war', a faction named 'membership': paths stay whole."""
    text = minimal_scenario.replace("blues", "membership")
    text = _edit(text, "cadres = 15", "cadres = 0")
    text = _edit(text, 'end = "1953-07"', 'end = "1953-13"')
    error = _invalid(write_toml(text))
    assert _only(error, "factions.membership.cadres").line == _line(text, "cadres = 0")
    assert _only(error, "events.war.end").line == _line(text, 'end = "1953-13"')


def test_unknown_keys_that_look_like_kind_tags(write_toml, minimal_scenario):
    """A stray top-level `kind`, and a key equal to its value, are reported as they are
    (found by the fuzz tests: the location-cleaning code once dropped the key)."""
    text = 'kind = "war"\nwar = 1\n' + minimal_scenario
    text = _edit(text, 'end = "1953-07"', 'end = "1953-07"\nwar = 2')
    error = _invalid(write_toml(text))
    assert _only(error, "kind").line == 1
    assert _only(error, "war").line == 2
    assert _only(error, "events.war.war").line == _line(text, "war = 2")


# --------------------------------------------------------------------------- files


def test_toml_syntax_error(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "cadres = 15", "cadres = = 15")
    path = write_toml(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    number = _line(text, "cadres = = 15")
    assert message.startswith(f"{path}:{number}: not valid TOML")
    assert "cadres = = 15" in message
    assert "hint:" in message
    assert not isinstance(caught.value, ScenarioValidationError)


@pytest.mark.parametrize(
    "text",
    [
        "[leader]\n[leader]\n",
        'name = "unterminated\n',
        "a = 1\na = 2\n",
        "x = " + "1" * 5000 + "\n",
        "x = " + "[" * 3000 + "]" * 3000 + "\n",
        "\x00",
    ],
    ids=["duplicate-table", "unterminated-string", "duplicate-key", "huge-int", "deep", "nul"],
)
def test_unreadable_toml_is_a_scenario_error(write_toml, text):
    path = write_toml(text)
    with pytest.raises(ScenarioError, match="not valid TOML") as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "Pyŏngyang"\n'.encode("latin-1", errors="replace") + b"\xff\xfe")
    with pytest.raises(ScenarioError, match="cannot read scenario file"):
        load_scenario(path)


@pytest.mark.parametrize(
    "name",
    ["missing.toml", "sub/missing.toml", "~no-such-user-xyz/a.toml", "x" * 5000 + ".toml"],
)
def test_missing_file(tmp_path, name):
    target = name if name.startswith("~") or len(name) > 300 else str(tmp_path / name)
    with pytest.raises(ScenarioError, match="not found") as caught:
        load_scenario(target)
    message = str(caught.value)
    assert repr(target)[:50] in message  # names what was asked for
    assert "bundled scenarios: " in message  # and what exists instead
    assert "korea-1945" in message.split("bundled scenarios: ", 1)[1]


def test_a_directory_is_not_a_scenario(tmp_path):
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(str(tmp_path) + "/")


def test_error_in_an_extending_file_points_at_the_child(write_toml, minimal_scenario):
    write_toml(minimal_scenario, "base.toml")
    child_text = 'extends = "base.toml"\nname = "child"\n\n[factions.blues]\ncohesion = 2.0\n'
    child = write_toml(child_text, "child.toml")
    error = _invalid(child)
    assert error.source == str(child)
    problem = _only(error, "factions.blues.cohesion")
    assert problem.line == _line(child_text, "cohesion")


def test_multiline_strings_do_not_confuse_line_numbers(write_toml, minimal_scenario):
    text = _edit(
        minimal_scenario,
        'title = "A minimal two-faction scenario"',
        'description = """\ncadres = 3\n[factions.reds]\nmilitary = 1\n"""',
    )
    text = _edit(text, "military = 1.0", "military = -1.0")
    problem = _check(write_toml, text, "factions.reds.military", "military = -1.0", value=-1.0)
    assert problem.hint == "allowed: a finite number >= 0 and <= 1e+06"


def test_all_problems_are_reported_at_once(write_toml, minimal_scenario):
    text = _edit(minimal_scenario, "cadres = 20", "cadres = 0")
    text = _edit(text, "presence = 0.5", "presense = 0.5")
    text = _edit(text, 'date = "1954-01"', 'date = "1954-13"')
    error = _invalid(write_toml(text))
    assert {p.path for p in error.problems} >= {
        "factions.reds.cadres",
        "patrons.big.presense",
        "events.congress.date",
    }
    assert str(error).startswith(f"invalid scenario ({len(error.problems)} problems)")
