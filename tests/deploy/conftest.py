"""A real Postgres database per test session, and Dagster instances built from the project's dagster.yaml."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PG_HOST = os.environ.get("REELQUANT_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("REELQUANT_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("REELQUANT_TEST_PG_USER", "postgres")


def _admin():
    try:
        conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=5)
    except psycopg2.OperationalError as exc:
        raise RuntimeError(
            f"Postgres is not reachable at {PG_HOST}:{PG_PORT} as {PG_USER} ({exc}); start it "
            "(pg_ctlcluster <version> main start) or set REELQUANT_TEST_PG_HOST/PORT/USER."
        ) from exc
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def temporary_database(prefix: str) -> Iterator[str]:
    """A new empty Postgres database, dropped (with any connections left to it) afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = _admin()
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    try:
        yield name
    finally:
        # A fresh connection: a test may have restarted the server since.
        conn = _admin()
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    with temporary_database("reelquant_test") as name:
        yield name


def production_config(run_launcher: dict | None = None) -> dict:
    """The project's dagster.yaml, with the Docker run launcher swapped (no Docker engine in tests) and the
    artifact storage left under DAGSTER_HOME (the containers' /data volume does not exist here)."""
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())
    config.pop("run_launcher", None)
    config.pop("local_artifact_storage", None)
    if run_launcher:
        config["run_launcher"] = run_launcher
    return config


@pytest.fixture
def pg_env(pg_database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DAGSTER_POSTGRES_HOST", PG_HOST)
    monkeypatch.setenv("DAGSTER_POSTGRES_PORT", str(PG_PORT))
    monkeypatch.setenv("DAGSTER_POSTGRES_USER", PG_USER)
    monkeypatch.setenv("DAGSTER_POSTGRES_PASSWORD", "")
    monkeypatch.setenv("DAGSTER_POSTGRES_DB", pg_database)
    return pg_database


@pytest.fixture
def pg_home(pg_env: str, tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(production_config()))
    return home
