"""Alembic environment: runs on a connection handed over by db.migrate, an engine
(pytest-alembic hands one over the same way), or a URL."""

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from hea_campaign.db import tables  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if isinstance(connection, Engine):
        with connection.connect() as conn:
            _configure(conn)
        return
    if connection is not None:
        _configure(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as conn:
        _configure(conn)


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run()
