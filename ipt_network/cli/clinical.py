"""Clinical commands: timeline, problem-areas, focus, communication work and the report."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ipt_network.cli._common import client_argument, db_option, errors_as_messages, open_store
from ipt_network.io.inventory import Inventory
from ipt_network.names import COMMUNICATION_KINDS, COMMUNICATION_OUTCOMES, PROBLEM_AREAS
from ipt_network.regions import Region
from ipt_network.words import focus_words, value_words

__all__ = ["timeline_cmd", "problem_areas_cmd", "report_cmd", "focus_cmd", "work_cmd"]


def _client_inventory(db: str | None, client_id: str) -> tuple[Inventory, Region]:
    """One client's tables and the store's region (for the crisis lines)."""
    store = open_store(db)
    try:
        with errors_as_messages():
            return store.inventory([client_id]), store.region
    finally:
        store.close()


def _echo_flag(inventory: Inventory, client_id: str, region: Region | None = None) -> None:
    """Print the safety flag, with the crisis lines of ``region``, when there is one."""
    from ipt_network.clinical.safety import safety_flag

    flag = safety_flag(inventory, client_id)
    if flag is not None:
        click.echo(flag.banner(region))
        click.echo()


@click.command("timeline")
@client_argument
@db_option
def timeline_cmd(client_id: str, db: str | None) -> None:
    """Show a client's timeline: life events, the onset of the depression, every
    session's PHQ-9 score, and the people who moved on the map, in date order.

    Use it in the initial sessions to link the depression to what was going on
    in the client's relationships, and later to see the course at a glance.
    """
    from ipt_network.views.timeline import format_timeline, timeline

    inventory, where = _client_inventory(db, client_id)
    _echo_flag(inventory, client_id, where)
    with errors_as_messages():
        lines = format_timeline(timeline(inventory, client_id))
    click.echo(f"Timeline of {client_id}")
    for line in lines:
        click.echo(line)


def _near_onset(side: str, days: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The option ``--before`` or ``--after``: days on that side of the onset that count."""
    return click.option(
        f"--{side}",
        f"{side}_days",
        type=click.IntRange(min=0),
        default=days,
        show_default=True,
        help=f"Days {side} the onset that count as 'near onset'.",
    )


def _choice(
    flag: str, name: str, choices: list[str], text: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An option taking one of ``choices``, the first by default."""
    return click.option(
        flag, name, type=click.Choice(choices), default=choices[0], show_default=True, help=text
    )


@click.command("problem-areas")
@client_argument
@db_option
@_near_onset("before", 183)
@_near_onset("after", 31)
@_choice(
    "--scheme",
    "scheme",
    ["four", "three"],
    "'four': grief, role dispute, role transition, interpersonal deficits. "
    "'three': the first three, with social isolation or interpersonal sensitivity "
    "reported as a complicating factor instead of an area.",
)
@click.option(
    "--session",
    type=click.IntRange(min=1),
    default=None,
    help="Read the inventory as it stood at this session (default: the latest), for "
    "example the session at which the focus was chosen.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def problem_areas_cmd(
    client_id: str,
    db: str | None,
    before_days: int,
    after_days: int,
    scheme: str,
    session: int | None,
    as_json: bool,
) -> None:
    """Suggest which IPT problem area fits the client, with the evidence for each.

    The four areas (grief, role dispute, role transition, interpersonal
    deficits) are ranked by fixed, visible rules that read the inventory and
    the timeline: a death or a life change near the onset, a close person with
    high conflict and unmet expectations, a small network that was already
    small before the depression. For a role dispute the likely stage
    (renegotiation, impasse, dissolution) is named. It is a suggestion to
    discuss; you and the client choose the focus (see `ipt-network focus`).
    """
    from ipt_network.clinical.problem_areas import ProblemAreaSettings, rank_problem_areas
    from ipt_network.clinical.safety import safety_flag, safety_json

    inventory, where = _client_inventory(db, client_id)
    with errors_as_messages():
        settings = ProblemAreaSettings(
            before_days, after_days, "three" if scheme == "three" else "four"
        )
        result = rank_problem_areas(inventory, client_id, settings, session=session)
    if as_json:
        flag = safety_flag(inventory, client_id)  # every session, whatever --session says
        click.echo(json.dumps({**result.to_dict(), "safety": safety_json(flag, where)}, indent=2))
        return
    _echo_flag(inventory, client_id, where)
    for line in result.lines():
        click.echo(line)


@click.command("focus")
@client_argument
@click.argument(
    "areas", nargs=-1, required=True, type=click.Choice(PROBLEM_AREAS), metavar="AREA [AREA]"
)
@click.option(
    "--session",
    type=click.IntRange(min=1),
    required=True,
    help="The session at which you and the client chose the focus.",
)
@db_option
def focus_cmd(client_id: str, areas: tuple[str, ...], session: int, db: str | None) -> None:
    """Record the focus you and the client chose: one problem area, at most two.

    AREA is one of grief, role_dispute, role_transition, interpersonal_deficits.
    The session is stored with it, so the report can say when it was chosen.
    Recording a new focus replaces the old one.
    """
    if len(areas) > 2:
        raise click.UsageError("choose one problem area, or at most two")
    if len(set(areas)) != len(areas):
        raise click.UsageError("the same area was given twice")
    store = open_store(db, write=True)
    try:
        with errors_as_messages():
            store.set_focus(client_id, list(areas), session)
    finally:
        store.close()
    click.echo(f"Focus of {client_id} set to {focus_words(areas, session)}.")


@click.command("report")
@client_argument
@db_option
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="The HTML file to write, such as report.html.",
)
@_choice(
    "--for",
    "audience",
    ["client", "clinician"],
    "'client': the report to give the client. 'clinician': the same report with a "
    "clinical appendix (measures with their bands, the safety flag, the problem-area "
    "evidence) for your record; do not give it to the client.",
)
def report_cmd(client_id: str, db: str | None, out: Path, audience: str) -> None:
    """Write the end-of-course report as one HTML file, to print or read together at
    termination.

    The client report is written for the client: the relationship map at the
    first and the latest session side by side, who moved closer and who
    further away, how the mood scores changed in plain words, the focus in
    everyday words and the work done on it, and a "Looking ahead" block with
    warning signs, people to turn to and the crisis line of the store's region
    (every client gets the same line). It names no flag and no score band.
    `--for clinician` adds the clinical appendix. The file needs nothing else
    to open: no internet, no other files. It prints well in black and white.
    The safety flag, when there is one, is printed here in the terminal.
    """
    from ipt_network.views.report import write_report

    inventory, where = _client_inventory(db, client_id)
    with errors_as_messages():
        path = write_report(
            inventory,
            client_id,
            out,
            audience="clinician" if audience == "clinician" else "client",
            region=where,
        )
    _echo_flag(inventory, client_id, where)
    whose = (
        "Clinician report (with the clinical appendix)"
        if audience == "clinician"
        else "Client report"
    )
    click.echo(f"{whose} for {client_id} written to {path}.")


@click.command("work")
@client_argument
@db_option
@click.option("--session", type=click.IntRange(1), required=True, help="The session it belongs to.")
@click.option("--person", "person_id", required=True, help="The person's id (see `show`).")
@click.option(
    "--kind",
    type=click.Choice(COMMUNICATION_KINDS),
    required=True,
    help="role_play, communication_analysis or task (a between-session task).",
)
@click.option("--planned", default=None, help="What was planned or rehearsed.")
@click.option("--happened", default=None, help="What happened when the client tried it.")
@click.option(
    "--outcome",
    type=click.Choice(COMMUNICATION_OUTCOMES),
    default=None,
    help="How it went; leave out until the client reports back.",
)
def work_cmd(
    client_id: str,
    db: str | None,
    session: int,
    person_id: str,
    kind: str,
    planned: str | None,
    happened: str | None,
    outcome: str | None,
) -> None:
    """Record communication work with one person: a role-play of a hard
    conversation, a communication analysis of a recent interaction, or a
    between-session task, with what was planned, what happened and how it went.

    The session and the person must already be recorded for the client.
    `show` and the end-of-course report list the work by person.
    """
    import pandas as pd

    row = pd.DataFrame(
        [
            {
                "client_id": client_id,
                "session": session,
                "person_id": person_id,
                "kind": kind,
                "planned": planned,
                "happened": happened,
                "outcome": outcome,
            }
        ]
    )
    store = open_store(db, write=True)
    try:
        with errors_as_messages():
            store.append(client_id, {"communication": row})
    finally:
        store.close()
    what = value_words("communication", "kind", kind)
    click.echo(f"Recorded {what} with {person_id} at session {session}.")
