"""What bench_site reports of PostgreSQL beside the pages: the database's size, the articles
table's with its indexes, and the slowest statements of the run (pg_stat_statements, where the
server loads it: `ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`, restart)."""

from django.db import DatabaseError, connection, transaction

SHOWN = 10


def start() -> bool:
    """Start counting statements afresh; whether pg_stat_statements is there to count them."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            cursor.execute("SELECT pg_stat_statements_reset()")
        return True
    except DatabaseError:  # not in shared_preload_libraries
        return False


def report(*, counted: bool) -> dict:
    """Sizes, and the statements that took the most time since start()."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database()), pg_total_relation_size('articles_article'), "
                       "pg_indexes_size('articles_article')")
        database, articles, indexes = cursor.fetchone()
        slowest = []
        if counted:
            cursor.execute(
                "SELECT calls, total_exec_time, mean_exec_time, max_exec_time, query FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND query NOT ILIKE '%%pg_stat_statements%%' ORDER BY total_exec_time DESC LIMIT %s", [SHOWN])
            slowest = cursor.fetchall()
    return {"database": database, "articles": articles, "indexes": indexes, "slowest": slowest, "counted": counted}


def markdown(found: dict) -> str:
    mib = 1024 * 1024
    lines = [f"- Database {found['database'] / mib:,.0f} MiB; articles table {found['articles'] / mib:,.0f} MiB "
             f"with its indexes ({found['indexes'] / mib:,.0f} MiB of indexes)"]
    if not found["counted"]:
        lines.append("- Slowest statements: pg_stat_statements is not loaded (shared_preload_libraries)")
        return "\n".join(lines)
    lines += ["", "Statements that took the most time during the run (pg_stat_statements):", "",
              "| calls | total ms | mean ms | max ms | statement |", "|---:|---:|---:|---:|---|"]
    for calls, total, mean, most, query in found["slowest"]:
        text = " ".join(query.split())
        text = (text[:240] + " …") if len(text) > 240 else text
        lines.append(f"| {calls:,} | {total:,.0f} | {mean:.2f} | {most:.2f} | `{text.replace('|', '¦')}` |")
    return "\n".join(lines)
