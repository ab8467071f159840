"""``store-server recommendations compute``: mine the order history and store the results."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group()
def recommendations() -> None:
    """Bought together, for you, best sellers (docs/CUSTOMERS.md)."""


@recommendations.command("compute")
@click.option("--every", type=float, default=0,
              help="keep running, recomputing every N seconds (the worker's recommendations.compute "
              "job alone; `store-server worker` runs it every PLAZA_WORKER_RECOMMENDATIONS_EVERY_S)")
@click.option("--min-support", type=int, default=None, help="baskets a pair needs (default 3)")
@click.option("--history-days", type=int, default=None, help="how far back to look (default 365)")
@with_appcontext
def recommendations_compute(every: float, min_support: int | None, history_days: int | None) -> None:
    """Recompute and store every recommendation; readers switch to the new set at once."""
    from dataclasses import replace

    if every:
        if min_support is not None or history_days is not None:
            raise click.UsageError("--every runs the worker's job, with the default mining settings")
        from store_server.cli import run_worker

        run_worker(["recommendations.compute"], recommendations_every_s=every)
        return
    from store_server.recommendations.service import MiningSettings, compute_recommendations

    settings = MiningSettings()
    if min_support is not None:
        settings = replace(settings, min_support=min_support)
    if history_days is not None:
        settings = replace(settings, history_days=history_days)
    with current_app.extensions["plaza"].session_factory() as session:
        stats = compute_recommendations(session, settings)
    stats.pop("settings")
    click.echo(json.dumps(stats))
