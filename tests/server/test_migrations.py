"""Migrations build exactly the schema the models describe, and undo it to nothing."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import inspect

from store_server import migrate
from store_server.models import metadata


def test_upgrade_matches_the_models_and_downgrade_empties_the_database(app: Flask) -> None:
    engine = app.extensions["plaza"].engine
    metadata.drop_all(engine)
    migrate.upgrade(engine)
    assert migrate.current(engine) is not None
    assert migrate.drift(engine) == []
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT last_seq FROM event_counter WHERE id = 1").scalar() == 0
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)  # and back up again, for the next test on this database
    assert migrate.drift(engine) == []
