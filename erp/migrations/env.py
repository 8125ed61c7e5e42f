"""Alembic environment: the URL comes from the app's settings (or the caller's config)."""

from __future__ import annotations

from alembic import context

import erp.models  # noqa: F401  (registers every table on Base.metadata)
from erp.config import Settings
from erp.db import Base, create_db_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().effective_database_url


def run_offline() -> None:
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = create_db_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
