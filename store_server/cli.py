"""The ``store-server`` command: database migrations, inventory checks, users, demo data, and
the background worker.

Flask's own commands (``run``, ``routes``, ``shell``) are there too.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from store_server import migrate as migrations


def _plaza() -> Any:
    return current_app.extensions["plaza"]


@click.group(cls=FlaskGroup, create_app=lambda: _create_app())
def main() -> None:
    """Plaza store server."""
    from store_server.config import Settings
    from store_server.monitoring.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)


def _create_app() -> Flask:
    from store_server import create_app

    return create_app()


def register_commands(app: Flask) -> None:
    from store_server.customers.commands import customers
    from store_server.recommendations.commands import recommendations

    for group in (db, inventory, orders, users, demo, webhooks, customers, recommendations, worker):
        app.cli.add_command(group)
    app.cli.add_command(settings_table)


@click.command("settings")
def settings_table() -> None:
    """Print every setting with its default and meaning (the README's table)."""
    from store_server.config import settings_table

    click.echo(settings_table(), nl=False)


@click.command("worker")
@click.option("--only", "only", multiple=True, metavar="KIND",
              help="run only this kind of job (repeat for several); default: every kind")
@click.option("--once", is_flag=True, help="run the jobs due now, then exit")
@click.option("--threads", type=int, default=None, help="jobs in hand at once (PLAZA_WORKER_THREADS)")
@click.option("--name", default=None, help="this worker's name in the job table (default host:pid)")
@with_appcontext
def worker(only: tuple[str, ...], once: bool, threads: int | None, name: str | None) -> None:
    """Run the background jobs: order expiry, webhook delivery, payment-code charges, closing
    abandoned QR payments, recommendation recomputes. Run one or more, on any machines."""
    run_worker([k for item in only for k in item.split(",") if k], once=once, name=name,
               threads=threads)


def run_worker(only: list[str], *, once: bool = False, name: str | None = None, **overrides: Any) -> None:
    """A worker for the job kinds ``only`` (all if empty) until SIGTERM or Ctrl-C: the first
    signal finishes the jobs in hand, a second one ends the process at once."""
    import logging
    import signal

    from store_server.jobs.kinds import kinds
    from store_server.jobs.worker import Services, Worker, WorkerSettings

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        chosen = kinds(only)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--only") from exc
    settings = WorkerSettings.from_config(current_app.config).with_overrides(**overrides)
    runner = Worker(Services(current_app.config, _plaza().session_factory), settings, chosen, name=name)

    def on_signal(signum: int, _frame: Any) -> None:
        signal.signal(signum, signal.SIG_DFL)  # a second one ends the process
        runner.stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    click.echo(f"worker {runner.name} runs {', '.join(sorted(runner.kinds))}", err=True)
    ran = runner.run(once=once)
    if once:
        click.echo(f"{ran} jobs run")


@click.group()
def orders() -> None:
    """Online orders."""


@orders.command("expire")
@click.option("--every", type=float, default=0,
              help="keep running, checking every N seconds (the worker's orders.expire job alone)")
@with_appcontext
def orders_expire(every: float) -> None:
    """Expire unpaid orders past their time and release their stock."""
    if every:
        # `store-server worker` runs this too; this alias runs only that job, every N seconds.
        run_worker(["orders.expire"], expiry_every_s=every)
        return
    from store_server.orders.service import expire_due

    with _plaza().session_factory() as session:
        if count := expire_due(session):
            click.echo(f"expired {count} orders")


@click.group()
def db() -> None:
    """Database schema (Alembic migrations in store_server/migrations/)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the latest)."""
    migrations.upgrade(_plaza().engine, revision)
    click.echo(f"database at {migrations.current(_plaza().engine)}")


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ('base' empties it)."""
    migrations.downgrade(_plaza().engine, revision)
    click.echo(f"database at {migrations.current(_plaza().engine) or 'base'}")


@db.command("check")
@with_appcontext
def db_check() -> None:
    """Fail if the models and the migrated database differ."""
    differences = migrations.drift(_plaza().engine)
    if differences:
        for diff in differences:
            click.echo(f"drift: {diff}", err=True)
        sys.exit(1)
    click.echo("models and migrations agree")


@click.group()
def inventory() -> None:
    """Stock ledger tools."""


@inventory.command("verify")
@click.option("--json", "as_json", is_flag=True, help="print the discrepancies as JSON")
@with_appcontext
def inventory_verify(as_json: bool) -> None:
    """Prove that every stock level equals the sum of its movements."""
    from store_server.inventory.service import verify

    with _plaza().session_factory() as session:
        problems = verify(session)
    if as_json:
        click.echo(json.dumps({"discrepancies": len(problems), "levels": problems}, indent=2))
    else:
        for p in problems:
            what = p.get("problem") or f"level {p['level']} ledger {p['ledger']}"
            click.echo(f"location {p['location_id']} sku {p['sku_id']}: {what}")
        click.echo(f"{len(problems)} discrepancies")
    sys.exit(1 if problems else 0)


@click.group()
def users() -> None:
    """Staff accounts."""


@users.command("create")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(["admin", "manager", "cashier"]), required=True)
@click.option("--store", default=None, help="store code (managers and cashiers)")
@click.option("--password", default=None, help="prompted for if neither it nor --pin is given")
@click.option("--pin", default=None)
@with_appcontext
def users_create(username: str, role: str, store: str | None, password: str | None,
                 pin: str | None) -> None:
    """Create a staff account."""
    from store_server.accounts.service import UserIn, create_user

    if not password and not pin:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _plaza().session_factory() as session:
        out = create_user(session, UserIn(username=username, role=role, store=store,  # type: ignore[arg-type]
                                          password=password, pin=pin), by=None)
    click.echo(f"created {out['role']} {out['username']}")


@click.group()
def demo() -> None:
    """The demo chain (README)."""


@demo.command("load")
@click.option("--quiet", is_flag=True)
@with_appcontext
def demo_load(quiet: bool) -> None:
    """Create the demo chain (idempotent: does nothing if it is there)."""
    from store_server.demo.load import load_demo

    with _plaza().session_factory() as session:
        summary = load_demo(session)
    if not quiet:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))


@demo.command("large-catalogue")
@click.option("--skus", default=100_000, show_default=True)
@click.option("--store", default="MAD-XANADU", show_default=True)
@with_appcontext
def demo_large(skus: int, store: str) -> None:
    """Add a large generated catalogue (for benchmarks) with prices and stock at STORE."""
    from store_server.demo.load import load_large_catalogue

    with _plaza().session_factory() as session:
        count = load_large_catalogue(session, skus, store)
    click.echo(f"added {count} SKUs")


@demo.command("run")
@click.option("--port", default=5000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def demo_run(port: int, host: str) -> None:
    """Migrate, load the demo chain, and start the server and its companions."""
    from store_server.demo.run import run_demo

    run_demo(host, port)


@click.group()
def webhooks() -> None:
    """Outbound webhooks (docs/WEBHOOKS.md)."""


@webhooks.command("seal-secrets")
@with_appcontext
def webhooks_seal_secrets() -> None:
    """Seal signing secrets stored in clear before sealing existed (run once after upgrading)."""
    from store_server.webhooks.service import seal_clear_secrets

    with _plaza().session_factory() as session:
        click.echo(f"sealed {seal_clear_secrets(session, current_app.config['SEALING_KEY'])} secrets")


@webhooks.command("worker")
@click.option("--once", is_flag=True, help="one pass: queue new events, send what is due, exit")
@click.option("--interval", default=1.0, show_default=True, help="seconds between passes")
@with_appcontext
def webhooks_worker(once: bool, interval: float) -> None:
    """Deliver webhooks: fan events out to subscriptions, send, retry with backoff (the worker's
    webhooks.deliver job alone; `store-server worker` runs it with the other jobs)."""
    if not once:
        run_worker(["webhooks.deliver"], webhooks_every_s=interval)
        return
    from store_server.webhooks.worker import WorkerSettings, run_once

    with _plaza().session_factory() as session:
        total = run_once(session, WorkerSettings.from_config(current_app.config))
    click.echo(f"{total.queued} queued, {total.attempted} attempted, {total.delivered} delivered")
