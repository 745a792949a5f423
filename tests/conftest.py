"""Shared fixtures: the real datasets from ../shared/data and real stores.

Stores are SQLite files by default.  ``--backend postgresql`` makes the store
fixtures (``store_url``, ``store``, ``seeded_store``, ``trained_store``,
``make_db``) hand out PostgreSQL databases instead: one fresh database per
test on the server named by ``HEA_TEST_PG_URL`` (an admin URL whose role may
CREATE DATABASE), seeded copies made with ``CREATE DATABASE ... TEMPLATE``,
every database dropped after its test.  Tests marked ``sqlite_only`` (file
copies, WAL and locking, SIGKILL, file paths) are skipped there.  Without a
server the PostgreSQL run is skipped with the reason, except under CI
(``CI`` set), where it fails.
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis profiles: "ci" (the default, what .ci/run uses) and "long" for local
# fuzzing runs: python -m pytest --hypothesis-profile=long
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile(
    "long", deadline=None, max_examples=2000, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = (REPO / ".." / "shared" / "data").resolve()
SEED_CSV = DATA_DIR / "HEA_top30_comps.csv"
PAPER_SPLIT = DATA_DIR / "paper_split.csv"
MPEA_CSV = DATA_DIR / "external" / "MPEA_dataset.csv"

# Tests never touch the network or the user's cache: named datasets come from ../shared/data.
os.environ["HEA_CAMPAIGN_DATA_DIR"] = str(DATA_DIR)
os.environ.pop("HEA_CAMPAIGN_DB", None)

BACKENDS = ("sqlite", "postgresql")
ENV_PG_URL = "HEA_TEST_PG_URL"


def pytest_addoption(parser):
    parser.addoption(
        "--backend",
        choices=BACKENDS,
        default="sqlite",
        help="database the store fixtures use: sqlite (default) or postgresql "
        f"(server from ${ENV_PG_URL}, e.g. postgresql+psycopg://user:pass@127.0.0.1/postgres)",
    )


def pytest_configure(config):
    if not SEED_CSV.exists():
        raise pytest.UsageError(f"the seed dataset is missing: {SEED_CSV} (tests read ../shared/data beside the repo)")
    if config.getoption("--backend") == "postgresql" and os.environ.get("CI"):
        problem = PgServer.problem()
        if problem:  # CI must never skip the PostgreSQL run quietly
            raise pytest.UsageError(f"--backend postgresql under CI: {problem}")


def pytest_collection_modifyitems(config, items):
    chosen = config.getoption("--backend")
    other = {"sqlite": ("postgresql_only", "PostgreSQL only"), "postgresql": ("sqlite_only", "SQLite only")}[chosen]
    for item in items:
        marker = item.get_closest_marker(other[0])
        if marker is not None:
            why = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            item.add_marker(pytest.mark.skip(reason=f"{other[1]}{': ' + why if why else ''} (--backend {chosen})"))


# --- PostgreSQL: one database per test ---------------------------------------


# What CREATE/DROP DATABASE say while a server worker is connected to the database
# (PostgreSQL 13-15 and 16+ word the second differently).
_HELD_BY_A_WORKER = (
    "being accessed by other users",
    "whose process is being terminated",
    "permission denied to terminate process",
)


class PgServer:
    """The test server: creates and drops databases through an autocommit admin connection."""

    _names = itertools.count()

    def __init__(self, admin_url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import NullPool

        self.base = make_url(admin_url)
        self.engine = create_engine(self.base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.token = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"

    @staticmethod
    def admin_url() -> str | None:
        raw = os.environ.get(ENV_PG_URL, "").strip()
        if not raw:
            return None
        for plain in ("postgresql://", "postgres://"):
            if raw.startswith(plain):  # the tool needs psycopg 3
                raw = "postgresql+psycopg://" + raw[len(plain):]
        return raw

    @classmethod
    def problem(cls) -> str | None:
        """Why the server cannot be used, or None."""
        url = cls.admin_url()
        if url is None:
            return f"set {ENV_PG_URL} to an admin URL of a PostgreSQL server (a role that may CREATE DATABASE)"
        try:
            from sqlalchemy import create_engine, text
            from sqlalchemy.pool import NullPool

            engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - any reason is reported
            from hea_campaign.db.engine import describe_db_error, safe_url

            return f"the server at {safe_url(url)} does not answer: {describe_db_error(exc)}"
        return None

    def url_for(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None, kind: str = "t") -> str:
        name = f"hea_{kind}_{self.token}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, sql: str, attempts: int = 40) -> None:
        """Run one CREATE/DROP DATABASE, retrying while a server worker holds the database.

        An autovacuum worker that has just connected to a database makes
        ``CREATE DATABASE ... TEMPLATE`` fail ("being accessed by other users")
        and ``DROP ... WITH (FORCE)`` fail for a role that may not end it.  The
        worker leaves within moments, so the statement is tried again; only a
        cause that lasts (about 20 s) reaches the test.
        """
        from sqlalchemy import exc, text

        for attempt in range(attempts):
            try:
                with self.engine.connect() as conn:
                    conn.execute(text(sql))
                return
            except exc.DBAPIError as error:
                held = any(why in str(error) for why in _HELD_BY_A_WORKER)
                if not held or attempt == attempts - 1:
                    raise
                time.sleep(0.5)

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture(scope="session")
def backend(request) -> str:
    """The database the store fixtures use: "sqlite" or "postgresql" (--backend)."""
    return request.config.getoption("--backend")


@pytest.fixture(scope="session")
def pg_server(backend):
    """The PostgreSQL test server (--backend postgresql), or a skip saying why not."""
    if backend != "postgresql":
        pytest.skip("needs --backend postgresql")
    problem = PgServer.problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"--backend postgresql under CI: {problem}", pytrace=False)
        pytest.skip(f"no PostgreSQL server for --backend postgresql: {problem}")
    server = PgServer(PgServer.admin_url())
    yield server
    server.close()


def _database_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).database


@pytest.fixture
def make_db(request, backend, tmp_path, monkeypatch):
    """Factory for empty stores on the chosen backend: ``make_db(template=None) -> url``.

    ``template`` is what a ``_*_template`` fixture returned (a SQLite file or a
    PostgreSQL database name); the new store is a copy of it.  On PostgreSQL
    the databases are dropped after the test and checkpoints go to a folder of
    the test's own (HEA_CAMPAIGN_MODELS), since there is no store file to put
    them beside.
    """
    from hea_campaign.db.engine import resolve_url

    made: list[str] = []
    server: PgServer | None = None
    if backend == "postgresql":
        server = request.getfixturevalue("pg_server")
        monkeypatch.setenv("HEA_CAMPAIGN_MODELS", str(tmp_path / "models"))
    names = itertools.count()

    def make(template=None, name: str = "store") -> str:
        if server is None:
            path = tmp_path / f"{name}.db"
            while path.exists():
                path = tmp_path / f"{name}-{next(names)}.db"
            if template is not None:
                shutil.copy(template, path)
            return resolve_url(path)
        db_name = server.create(template)
        made.append(db_name)
        return server.url_for(db_name)

    yield make
    for db_name in made:
        server.drop(db_name)


@pytest.fixture
def store_path(backend, tmp_path) -> Path:
    """The SQLite file of the ``store`` fixture (SQLite only: a file path means nothing on a server)."""
    if backend != "sqlite":
        pytest.skip("needs a SQLite store file")
    return tmp_path / "campaign.db"


@pytest.fixture
def store_url(request, backend, make_db) -> str:
    """An empty store's URL on the chosen backend (the ``store`` fixture opens it)."""
    if backend == "sqlite":
        from hea_campaign.db.engine import resolve_url

        return resolve_url(request.getfixturevalue("store_path"))
    return make_db()


@pytest.fixture
def store(store_url):
    from hea_campaign.campaign.store import CampaignStore

    s = CampaignStore.open(store_url, actor="tester")
    yield s
    s.close()


@pytest.fixture(scope="session")
def _seeded_template(request, backend, tmp_path_factory):
    """The seed dataset imported once: a SQLite file, or a PostgreSQL database to copy."""
    from hea_campaign.campaign.datasets import fetch
    from hea_campaign.campaign.importing import import_csv
    from hea_campaign.campaign.store import CampaignStore

    if backend == "sqlite":
        path = tmp_path_factory.mktemp("seeded") / "seed.db"
        s = CampaignStore.open(path, actor="tester")
        import_csv(s, fetch("yan2021"), source="yan2021", actor="tester")
        s.close()
        yield path
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create(kind="seeded")
    s = CampaignStore.open(server.url_for(name), actor="tester")
    import_csv(s, fetch("yan2021"), source="yan2021", actor="tester")
    s.close()  # a template must have no connections
    yield name
    server.drop(name)


@pytest.fixture
def seeded_store(_seeded_template, make_db):
    """A fresh copy of a store holding the imported seed dataset."""
    from hea_campaign.campaign.store import CampaignStore

    s = CampaignStore.open(make_db(_seeded_template, name="seeded"), actor="tester")
    yield s
    s.close()


@pytest.fixture(scope="session")
def _trained_template(request, backend, _seeded_template, tmp_path_factory):
    """The seeded store with one short training, active (checkpoints beside it, or in a session folder)."""
    from hea_campaign.campaign.model_versions import train_version
    from hea_campaign.campaign.store import CampaignStore

    folder = tmp_path_factory.mktemp("trained")
    if backend == "sqlite":
        path = folder / "trained.db"
        shutil.copy(_seeded_template, path)
        s = CampaignStore.open(path, actor="tester")
        train_version(s, seed=0, epochs=120, activate=True, by="tester")
        s.close()
        yield path
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create(_seeded_template, kind="trained")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HEA_CAMPAIGN_MODELS", str(folder / "models"))
        s = CampaignStore.open(server.url_for(name), actor="tester")
        train_version(s, seed=0, epochs=120, activate=True, by="tester")
        s.close()
    yield name
    server.drop(name)


@pytest.fixture
def trained_store(_trained_template, make_db):
    """A fresh copy of a seeded store with an active (briefly trained) model."""
    from hea_campaign.campaign.store import CampaignStore

    s = CampaignStore.open(make_db(_trained_template, name="trained"), actor="tester")
    yield s
    s.close()
