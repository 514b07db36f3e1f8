"""A helper for migrations that run SQL on PostgreSQL only (Django's migration loader skips
modules whose names start with an underscore)."""


def on_postgresql(statements):
    """Return a RunPython function executing `statements` on PostgreSQL, nothing elsewhere."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run
