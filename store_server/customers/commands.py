"""``store-server customers ...``: loyalty maintenance."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group()
def customers() -> None:
    """Members and their points."""


@customers.command("recompute-points")
@with_appcontext
def customers_recompute_points() -> None:
    """Award points for completed member orders that have none, then set every balance to the
    sum of its ledger."""
    from store_server.customers.service import LoyaltyRules, recompute_points

    with current_app.extensions["plaza"].session_factory() as session:
        result = recompute_points(session, LoyaltyRules.from_config(current_app.config))
    click.echo(json.dumps(result))
