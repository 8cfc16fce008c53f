"""Make django-tasks-db's PostgreSQL database ready; exit 3 saying why when there is none.

usage: BENCH_TASKS_PEER=db python -m bench.taskpeers.prepare   (in bench/.work/venv-tasks)

Connects to the server of BENCH_PG_* (default 127.0.0.1:5432, user postgres, trust auth)
through its existing database BENCH_PG_ADMIN_DB (default `test`), creates BENCH_PG_NAME
(default `bench_tasks`, the benchmark's own) unless it exists, then runs the migrations.
"""

from __future__ import annotations

import os
import sys

import psycopg
from psycopg import sql

NO_SERVER = 3


def ensure_database() -> str | None:
    """Create the benchmark's database if needed; the reason when the server cannot be used."""
    name = os.environ.get("BENCH_PG_NAME", "bench_tasks")
    params = {
        "host": os.environ.get("BENCH_PG_HOST", "127.0.0.1"),
        "port": os.environ.get("BENCH_PG_PORT", "5432"),
        "user": os.environ.get("BENCH_PG_USER", "postgres"),
        "password": os.environ.get("BENCH_PG_PASSWORD", ""),
        "dbname": os.environ.get("BENCH_PG_ADMIN_DB", "test"),
        "connect_timeout": 5,
    }
    try:
        with psycopg.connect(**params, autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not found:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        where = f"{params['user']}@{params['host']}:{params['port']}/{params['dbname']}"
        return f"no usable PostgreSQL at {where}: {str(exc).strip()[:300]}"
    return None


def main() -> int:
    reason = ensure_database()
    if reason:
        print(reason, file=sys.stderr)
        return NO_SERVER
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
