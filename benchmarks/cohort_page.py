"""Benchmark: the cohort page (``/cohort``) against the client list (``/``) on a large store.

A store of ``--clients`` synthetic clients (``synth``, seed 1; 10,000 by
default) is built in a temporary folder for the run. The dashboard
(:func:`dashboards.app.create_app`) is called through Flask's test client, as
the browser calls it: a POST to ``/_dash-update-component`` with the body
Dash's renderer sends, timed from the request to the JSON response.

* the client list: its data callback (the table, no search);
* the cohort page: its callback with every filter ticked, on a cold read
  model each time (:func:`ipt_network.research.cohort.forget_bases`), so
  each run reads the store and builds the page's tables from it, as the
  first showing after a write does.

Both read the store's columnar copy at its revision (the store's bulk read).
The two are timed in turn, ``--repeats`` times; the script prints the
medians and their ratio, and exits with status 1 unless the cohort page
takes under 3x the client list. A filter change on the warm read model
(the base kept for the revision) is printed too, not gated.

Run it with ``python benchmarks/cohort_page.py [--clients N] [--repeats N]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import median_seconds, verdict
from flask.testing import FlaskClient

from dashboards import ids
from dashboards.app import create_app
from dashboards.pages.cohort import DEFAULT_MEASURE
from ipt_network.io.store import Store
from ipt_network.io.synth import synthesize
from ipt_network.research.cohort import AREAS, COURSE_LENGTHS, EPISODES, forget_bases

TARGET = 3.0
CALLBACK = "/_dash-update-component"


def request_body(callback_map: dict[str, Any], first_output: str, values: list[Any]) -> str:
    """The body Dash's renderer posts for the callback whose outputs start with ``first_output``."""
    output = next(k for k in callback_map if k.lstrip(".").startswith(first_output))
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    outputs = [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]
    inputs = [
        {**dep, "value": value}
        for dep, value in zip(callback_map[output]["inputs"], values, strict=True)
    ]
    return json.dumps(
        {
            "output": output,
            "outputs": outputs if output.startswith("..") else outputs[0],
            "inputs": inputs,
            "changedPropIds": [],
        }
    )


def post(client: FlaskClient, body: str) -> int:
    """POST one callback request; the size of its JSON response."""
    response = client.post(CALLBACK, data=body, content_type="application/json")
    if response.status_code != 200:
        raise RuntimeError(f"the callback answered {response.status_code}")
    return len(response.get_data())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--db", type=Path, help="an existing store to use instead of building one")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.repeats < 1:
        parser.error("clients and repeats must be at least 1")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            store = Store.open(args.db)
            args.clients = len(store.client_ids())
        else:
            print(f"building a {args.clients:,}-client store (synth, seed 1) ...", flush=True)
            store = Store.create(Path(tmp) / "cohort.db")
            store.import_inventory(synthesize(args.clients, 1), progress=False)
        app = create_app(store)
        client = app.server.test_client()
        callbacks = app.callback_map
        listing = request_body(callbacks, f"{ids.CLIENT_TABLE}.", [None])
        everyone = [list(AREAS), list(EPISODES), list(COURSE_LENGTHS), DEFAULT_MEASURE]
        cohort = request_body(callbacks, f"{ids.COHORT_COUNT}.", everyone)
        some = [["grief"], list(EPISODES), ["13_to_16"], "added"]
        filtered = request_body(callbacks, f"{ids.COHORT_COUNT}.", some)
        sizes = {"list": post(client, listing), "cohort": post(client, cohort)}  # warm copies

        def cold_cohort() -> None:
            forget_bases()
            post(client, cohort)

        pairs = [
            (median_seconds(lambda: post(client, listing), 1), median_seconds(cold_cohort, 1))
            for _ in range(args.repeats)
        ]
        t_list = statistics.median(p[0] for p in pairs)
        t_cohort = statistics.median(p[1] for p in pairs)
        post(client, cohort)
        start = time.perf_counter()
        post(client, filtered)
        t_filter = time.perf_counter() - start
        store.close()
    ratio = t_cohort / t_list
    print(f"\nstore to JSON response, {args.clients:,} clients (median of {args.repeats}, in turn)")
    print(f"  client list (/), table callback        {t_list:8.3f} s  {sizes['list']:>10,} bytes")
    print(
        f"  cohort page (/cohort), cold read model {t_cohort:8.3f} s  {sizes['cohort']:>10,} bytes"
    )
    print(f"  cohort page, one filter change (warm)  {t_filter:8.3f} s")
    print(f"  cohort / client list = {ratio:.2f} (target < {TARGET:g})")
    failures = (
        [] if ratio < TARGET else [f"cohort / client list = {ratio:.2f}, target < {TARGET:g}"]
    )
    return verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
