"""Clinical commands: timeline, problem-areas, focus, communication work and the report."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ipt_network.cli._common import client_argument, db_option, errors_as_messages, open_store
from ipt_network.io.inventory import Inventory
from ipt_network.names import (
    COMMUNICATION_KINDS,
    COMMUNICATION_OUTCOMES,
    DISPUTE_STAGES,
    GOAL_STATUSES,
    MAINTENANCE_DECISIONS,
    PROBLEM_AREAS,
    SKILLS,
)
from ipt_network.regions import Region
from ipt_network.words import STAGE_MEANINGS, focus_words, value_words

if TYPE_CHECKING:
    from ipt_network.clinical.problem_areas import ProblemAreaSettings

__all__ = [
    "timeline_cmd",
    "problem_areas_cmd",
    "report_cmd",
    "focus_cmd",
    "work_cmd",
    "stage_cmd",
    "contract_cmd",
    "ending_cmd",
    "goal_cmd",
    "area_work_cmd",
]


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
@click.argument("client_id", metavar="[CLIENT]", required=False)
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
    help="Read the inventory as it stood at this session. Default: the decision, that is "
    "the session at which the focus was chosen when it is recorded, else the last session "
    "of the initial phase, else the latest session.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Rank every client of the store, each at its default session, and print one row "
    "per client (ids, areas and numbers only) and how often the suggestion agrees with the "
    "chosen focus.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default=None,
    help="With --all: json (the default) or csv.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --all: write the rows to this file (readable by you only) instead of printing them.",
)
@click.option("--overwrite", is_flag=True, help="With --all --out: replace an existing file.")
@click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="With --all: show a progress bar.",
)
def problem_areas_cmd(
    client_id: str | None,
    db: str | None,
    before_days: int,
    after_days: int,
    scheme: str,
    session: int | None,
    as_json: bool,
    every: bool,
    fmt: str | None,
    out: Path | None,
    overwrite: bool,
    progress: bool,
) -> None:
    """Suggest which IPT problem area fits the client, with the evidence for each.

    The four areas (grief, role dispute, role transition, interpersonal
    deficits) are ranked by fixed, visible rules that read the inventory and
    the timeline: a death or a life change near the onset, a close person with
    high conflict and unmet expectations, a small network that was already
    small before the depression. Each line of evidence shows its points; an
    area scores its strongest line plus up to 2 for lines that corroborate it.
    The inventory is read as it stood at the decision (see --session). For a
    role dispute the stage you recorded (`ipt-network stage`) is shown, with
    the conflict trend and the tool's own guess. It is a suggestion to
    discuss; you and the client choose the focus (see `ipt-network focus`).

    With --all instead of CLIENT, every client is ranked at its default
    session. Each row has client_id, session, session_basis (focus,
    initial_phase or latest), suggestion (the areas ranked first, joined by
    ';' when tied; empty when no area has evidence), score, focus (the chosen
    focus), agree and each area's score. The suggestion agrees with the focus
    when the focus (one or two areas) contains every area ranked first; agree
    is empty for a client with no focus. A summary of agreement follows the
    rows (on standard error, or on standard output when --out is given).
    """
    if every and client_id is not None:
        raise click.UsageError("give a CLIENT id or --all, not both")
    if every:
        _problem_areas_all(db, (before_days, after_days, scheme), session, as_json, fmt, out,
                           overwrite, progress)  # fmt: skip
        return
    if client_id is None:
        raise click.UsageError("give a CLIENT id, or --all to rank every client")
    if fmt is not None or out is not None or overwrite:
        raise click.UsageError("--format, --out and --overwrite go with --all")
    from ipt_network.clinical.problem_areas import rank_problem_areas
    from ipt_network.clinical.safety import safety_flag, safety_json

    inventory, where = _client_inventory(db, client_id)
    with errors_as_messages():
        settings = _area_settings(before_days, after_days, scheme)
        result = rank_problem_areas(inventory, client_id, settings, session=session)
    if as_json:
        flag = safety_flag(inventory, client_id)  # every session, whatever --session says
        click.echo(json.dumps({**result.to_dict(), "safety": safety_json(flag, where)}, indent=2))
        return
    _echo_flag(inventory, client_id, where)
    for line in result.lines():
        click.echo(line)


def _area_settings(before_days: int, after_days: int, scheme: str) -> ProblemAreaSettings:
    """The problem-area settings from the command's options."""
    from ipt_network.clinical.problem_areas import ProblemAreaSettings

    return ProblemAreaSettings(before_days, after_days, "three" if scheme == "three" else "four")


def _problem_areas_all(
    db: str | None,
    window_and_scheme: tuple[int, int, str],
    session: int | None,
    as_json: bool,
    fmt: str | None,
    out: Path | None,
    overwrite: bool,
    progress: bool,
) -> None:
    """``problem-areas --all``: every client's row, then the agreement summary."""
    import io

    import pandas as pd

    from ipt_network.clinical.problem_areas import agreement_summary, rank_all
    from ipt_network.errors import OutputExists
    from ipt_network.io._cells import neutralise_frame
    from ipt_network.io._files import private_output

    if session is not None:
        raise click.UsageError(
            "--all ranks each client at its own default session; leave out --session"
        )
    if as_json:
        raise click.UsageError("with --all, choose the output with --format json or --format csv")
    if out is not None and out.exists() and not overwrite:
        with errors_as_messages():
            raise OutputExists(f"{out} already exists; choose another file or add --overwrite")
    from ipt_network.io.store import Event

    store = open_store(db)
    try:
        with errors_as_messages():
            settings = _area_settings(*window_and_scheme)
            inventory = store.inventory()
            if out is not None:  # a file of every client leaves the system: one audit row
                ids = inventory.client_ids()
                store.record(Event("export", ids, len(ids), f"problem-areas {fmt or 'json'}"))
    finally:
        store.close()
    with errors_as_messages():
        results = rank_all(inventory, settings, progress=progress)
    rows = [r.row() for r in results]
    if fmt == "csv":
        head = ["client_id", "session", "session_basis", "suggestion", "score", "focus", "agree"]
        table = neutralise_frame(pd.DataFrame(rows, columns=[*head, *settings.areas]))
        table["agree"] = table["agree"].map({True: "true", False: "false"})  # None: empty
        buffer = io.StringIO()
        table.to_csv(buffer, index=False, lineterminator="\n")
        text = buffer.getvalue()
    else:
        payload = {
            "scheme": settings.scheme,
            "window_before_days": settings.window_before_days,
            "window_after_days": settings.window_after_days,
            "clients": rows,
        }
        text = json.dumps(payload, indent=2) + "\n"
    summary = agreement_summary(results)
    if out is None:
        click.echo(text, nl=False)
        click.echo(summary, err=True)
        return
    with errors_as_messages(), private_output(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {len(rows)} clients to {out}.")
    click.echo(summary)


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
    from ipt_network.io.store import Event
    from ipt_network.views.report import write_report

    store = open_store(db)
    try:
        with errors_as_messages():
            inventory, where = store.inventory([client_id]), store.region
            # the report leaves the system: one audit row, before it is written
            rows = sum(len(frame) for _, frame in inventory.items())
            store.record(Event("report", [client_id], rows, f"for {audience}"))
            path = write_report(
                inventory,
                client_id,
                out,
                audience="clinician" if audience == "clinician" else "client",
                region=where,
            )
    finally:
        store.close()
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
@click.option(
    "--skill",
    type=click.Choice(SKILLS),
    help="The skill practiced: clear_request (making a request clearly), naming_feeling "
    "(naming a feeling without accusing), repair (repairing after a misunderstanding), other.",
)
@click.option("--said", default=None, help="Communication analysis: what was said.")
@click.option("--meant", default=None, help="Communication analysis: what was meant.")
@click.option(
    "--breakdown", default=None, help="Communication analysis: where the exchange broke down."
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
    skill: str | None,
    said: str | None,
    meant: str | None,
    breakdown: str | None,
) -> None:
    """Record communication work with one person: a role-play of a hard
    conversation, a communication analysis of a recent interaction, or a
    between-session task, with what was planned, what happened, how it went
    and the skill practiced.

    For a communication analysis, --said, --meant and --breakdown record what
    was said, what was meant and where it broke down; they go with
    --kind communication_analysis only. The session and the person must
    already be recorded for the client. `show` and the end-of-course report
    list the work by person.
    """
    if kind != "communication_analysis" and any(v is not None for v in (said, meant, breakdown)):
        raise click.UsageError(
            "--said, --meant and --breakdown go with --kind communication_analysis only"
        )
    fields = {"planned": planned, "happened": happened, "outcome": outcome, "skill": skill}
    analysis = {"said": said, "meant": meant, "breakdown": breakdown}
    row = {"client_id": client_id, "session": session, "person_id": person_id, "kind": kind}
    _append_row(db, client_id, "communication", {**row, **fields, **analysis})
    what = value_words("communication", "kind", kind)
    click.echo(f"Recorded {what} with {person_id} at session {session}.")


# ---------------------------------------------------------------- the middle phase and the ending


def _writing(db: str | None, write: Callable[[Any], object]) -> None:
    """Run ``write(store)`` on the store opened for writing; errors become sentences."""
    store = open_store(db, write=True)
    try:
        with errors_as_messages():
            write(store)
    finally:
        store.close()


def _append_row(db: str | None, client_id: str, table: str, row: dict[str, Any]) -> None:
    """Add one row to a table of a stored client, checked with the client's whole record."""
    import pandas as pd

    _writing(db, lambda store: store.append(client_id, {table: pd.DataFrame([row])}))


def _session_option(text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--session", type=click.IntRange(1), required=True, help=text)


_STAGE_HELP = "\n\n".join(
    [
        "Record the stage of a role dispute at a session: your call, not the tool's.",
        "STAGE is one of:",
        *(f"{stage}: {STAGE_MEANINGS[stage]}." for stage in DISPUTE_STAGES),
        "`problem-areas` shows the conflict trend as evidence and its own guess, "
        "labelled as a guess; the stage you record here is what the views show. "
        "--clear removes the stage recorded at that session.",
    ]
)


@click.command("stage", help=_STAGE_HELP)
@client_argument
@click.argument("stage", type=click.Choice(DISPUTE_STAGES), required=False, metavar="STAGE")
@_session_option("The session the stage belongs to.")
@click.option("--clear", is_flag=True, help="Remove the stage recorded at that session.")
@db_option
def stage_cmd(client_id: str, stage: str | None, session: int, clear: bool, db: str | None) -> None:
    if clear and stage is not None:
        raise click.UsageError("give a STAGE or --clear, not both")
    if not clear and stage is None:
        raise click.UsageError("give a STAGE to record, or --clear to remove the recorded one")
    from ipt_network.io.recording import focus_note, record_stage

    before: list[str | None] = []
    notes: list[str | None] = []

    def write(store: Any) -> None:
        notes.append(
            None if clear else focus_note(store.inventory([client_id]), client_id, "role_dispute")
        )
        before.append(record_stage(store, client_id, session, stage))

    _writing(db, write)
    if notes[0] is not None:
        click.echo(f"Note: {notes[0]}.", err=True)
    if clear and before[0] is None:
        click.echo(
            f"No dispute stage was recorded for {client_id} at session {session}; nothing to clear."
        )
        return
    done = "cleared" if clear else "recorded"
    click.echo(f"Dispute stage of {client_id} at session {session} {done}.")


def _record_client(db: str | None, client_id: str, values: dict[str, Any], what: str) -> None:
    """Set the given fields of the client's row; say which were recorded (never their text)."""
    given = {k: v for k, v in values.items() if v is not None}
    if not given:
        raise click.UsageError("give at least one option to record (see --help)")
    from ipt_network.io.recording import record_contract

    _writing(db, lambda store: record_contract(store, client_id, given))
    fields = ", ".join(k.replace("_", " ") for k in given)
    click.echo(f"{what} of {client_id} recorded: {fields}.")


def _text_option(flag: str, text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(flag, default=None, metavar="TEXT", help=text)


@click.command("contract")
@client_argument
@click.option(
    "--planned",
    type=click.IntRange(8, 24),
    default=None,
    help="The number of sessions agreed (8 to 24).",
)
@_text_option(
    "--formulation",
    "The interpersonal formulation, in the client's words (an empty text clears it).",
)
@click.option(
    "--date", "contract_date", default=None, metavar="YYYY-MM-DD", help="The date agreed."
)
@db_option
def contract_cmd(
    client_id: str,
    planned: int | None,
    formulation: str | None,
    contract_date: str | None,
    db: str | None,
) -> None:
    """Record the treatment contract: the planned sessions, the interpersonal
    formulation in the client's words, and the date it was agreed.

    The agreed focus is part of the contract too: record it with
    `ipt-network focus`. Options left out keep what is stored.
    """
    values = {"planned_sessions": planned, "formulation": formulation}
    _record_client(db, client_id, {**values, "contract_date": contract_date}, "Contract")


@click.command("ending")
@client_argument
@_text_option("--gains", "The gains credited to the client.")
@_text_option("--warning-signs", "The warning signs of a new episode.")
@_text_option("--who-to-turn-to", "Who the client can turn to.")
@click.option(
    "--maintenance",
    type=click.Choice(MAINTENANCE_DECISIONS),
    help="The decision about maintenance sessions (agreed, declined, undecided). Sessions "
    "past the plan count as maintenance only once 'agreed' is recorded; until then they "
    "are an extension.",
)
@db_option
def ending_cmd(
    client_id: str,
    gains: str | None,
    warning_signs: str | None,
    who_to_turn_to: str | None,
    maintenance: str | None,
    db: str | None,
) -> None:
    """Record the termination work: gains credited to the client, warning signs,
    who to turn to, and the decision about maintenance.

    Options left out keep what is stored; an empty text clears a field.
    """
    values = {"gains": gains, "warning_signs": warning_signs, "who_to_turn_to": who_to_turn_to}
    _record_client(db, client_id, {**values, "maintenance": maintenance}, "Ending")


@click.command("goal")
@client_argument
@_session_option("The session the status belongs to.")
@click.option("--goal-id", required=True, help="The goal's id, such as g1 (new or known).")
@click.option(
    "--area", type=click.Choice(PROBLEM_AREAS), default=None, help="A new goal's problem area."
)
@_text_option("--text", "A new goal in words.")
@click.option(
    "--status", type=click.Choice(GOAL_STATUSES), required=True, help="Where the goal stands."
)
@db_option
def goal_cmd(
    client_id: str,
    session: int,
    goal_id: str,
    area: str | None,
    text: str | None,
    status: str,
    db: str | None,
) -> None:
    """Record a goal of the middle phase and where it stands at a session.

    A new goal needs --area and --text. A later status of a known goal may
    leave them out: they are taken from the goal's last row. Each session's
    status is kept as its own row, so the course of a goal can be read back;
    a second status at the same session replaces the first.
    """
    from ipt_network.io.recording import record_goal

    entry = {"goal_id": goal_id, "area": area, "goal": text, "status": status}
    _writing(db, lambda store: record_goal(store, client_id, session, entry))
    click.echo(f"Goal {goal_id} of {client_id} recorded at session {session}.")


#: The area records of `area-work`: the record's table and the options it takes.
_AREA_KINDS = {"dispute": "dispute_work", "transition": "transition_work", "grief": "grief_work"}


@click.command("area-work")
@client_argument
@click.argument("kind", type=click.Choice(list(_AREA_KINDS)), metavar="dispute|transition|grief")
@_session_option("The session the record belongs to.")
@click.option("--person", "person_id", default=None, help="dispute, grief: the person's id.")
@_text_option("--client-expects", "dispute: what the client expects of the person.")
@_text_option("--person-expects", "dispute: what the person expects of the client.")
@_text_option("--old-role", "transition: the old role.")
@_text_option("--new-role", "transition: the new role.")
@_text_option("--losses", "transition: what was lost.")
@_text_option("--gains", "transition: what was gained.")
@_text_option("--memories", "grief: memories worked through.")
@_text_option("--new-connections", "grief: new people or activities.")
@db_option
def area_work_cmd(
    client_id: str, kind: str, session: int, person_id: str | None, db: str | None, **texts: Any
) -> None:
    """Record the middle-phase work of one problem area at a session.

    dispute: what the client expects of the person and what the person expects
    of the client (with --person). transition: the old and new roles, with
    their losses and gains. grief: memories worked through and new people or
    activities (with --person, the person who died: a death recorded on or
    before the session's date). Options of another kind, and a record with
    every text empty, are refused.
    """
    from ipt_network.io.recording import AREA_WORK, record_area_work

    table = _AREA_KINDS[kind]
    wrong = sorted(k for k, v in texts.items() if v is not None and k not in AREA_WORK[table])
    if wrong or (person_id is not None and kind == "transition"):
        flags = [f"--{k.replace('_', '-')}" for k in wrong] or ["--person"]
        raise click.UsageError(f"a {kind} record does not take {', '.join(flags)}")
    if kind != "transition" and person_id is None:
        raise click.UsageError(f"a {kind} record needs --person")
    entry = {k: texts[k] for k in AREA_WORK[table]}
    if person_id is not None:
        entry["person_id"] = person_id
    _writing(db, lambda store: record_area_work(store, client_id, session, table, entry))
    click.echo(f"The {kind} record of {client_id} at session {session} is stored.")
