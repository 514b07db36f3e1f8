"""Plain bulk inserts for the importer's hot path: COPY on PostgreSQL, multi-row INSERT on SQLite.

`bulk_create()` sends every value of every row through the ORM's compiler (`get_db_prep_save`,
placeholders, one statement of ~8,000 parameters per batch of new stories) and, on
PostgreSQL, psycopg then splits and quotes that statement in Python: together most of the
storing process's time. Here the rows go to the database as they are, in the format its
bulk path takes: psycopg's COPY (formatted in C) or SQLite's multi-row INSERT (as many rows a
statement as its parameter limit allows). Values that need the database's own form (dates,
JSON) still go through their field, exactly as `bulk_create()` would send them.

Primary keys, when the caller needs them, are taken from the table's sequence first
(PostgreSQL) or counted on from the highest id ever used (SQLite, inside the import's
write transaction, which keeps other writers out).

No signals, as with `bulk_create()`. Other databases fall back to `bulk_create()`.
"""

import itertools
import operator
import sqlite3
from collections.abc import Iterable, Sequence

from django.db import connection, connections, models

# Field types whose Python value is what the database driver takes as it is.
_PLAIN = {
    "AutoField", "BigAutoField", "SmallAutoField", "BigIntegerField", "BooleanField",
    "CharField", "EmailField", "ForeignKey", "IntegerField", "OneToOneField",
    "PositiveBigIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
    "SlugField", "SmallIntegerField", "TextField", "URLField",
}


def insert(model: type[models.Model], objs: Iterable[models.Model]) -> list[models.Model]:
    """Insert unsaved `objs` of `model`; return them.

    `objs` may be a generator: each row is sent as it is built, so on PostgreSQL the server
    stores the first rows while the caller is still building the next ones. Objects that
    carry a primary key (see allocate_ids) are written with it; otherwise the database
    numbers them (then all of them must come without one).
    """
    if connection.vendor not in ("postgresql", "sqlite"):
        objs = list(objs)
        model.objects.bulk_create(objs)
        return objs
    objs = iter(objs)
    first = next(objs, None)
    if first is None:
        return []
    pk = model._meta.pk
    with_ids = getattr(first, pk.attname) is not None
    fields = [f for f in model._meta.concrete_fields if with_ids or f is not pk]
    row = _row_maker(fields)
    done = []

    def rows():
        for obj in itertools.chain([first], objs):
            done.append(obj)
            yield row(obj)

    insert_values(model, [f.attname for f in fields], rows())
    for obj in done:
        obj._state.adding = False
        obj._state.db = connection.alias
    return done


def insert_values(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert `rows` of `model`, each the values of the fields `names` (attnames) in the form
    the database driver takes: plain values, or what the field's get_db_prep_save() returns.

    For rows with nothing to compute, such as a many-to-many table's pairs of ids, this
    spares building a model instance per row only to read its attributes back.
    """
    if isinstance(rows, (list, tuple)) and not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    if connection.vendor not in ("postgresql", "sqlite"):
        model.objects.bulk_create([model(**dict(zip(names, values, strict=True))) for values in rows])
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    # The raw COPY bypasses Django's cursor wrapper: errors are translated here, so that a row
    # the database refuses raises django.db.DataError/IntegrityError like any other write.
    with connection.wrap_database_errors, connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in rows:
                    copy.write_row(values)
        else:
            # Many rows a statement, not executemany(): each statement that fires a trigger
            # writing to an FTS5 index (articles_article's search) makes FTS5 flush its pending
            # terms as a new segment, so a row a statement cost three times the index's work.
            # sqlite3's own cursor: Django's would rewrite and, under DEBUG, quote every value.
            per_statement = max(1, cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(fields))
            row_marks = "(" + ", ".join(["?"] * len(fields)) + ")"
            rows = iter(rows)
            while chunk := list(itertools.islice(rows, per_statement)):
                # Identifiers from the model's metadata, quoted; values are parameters.
                sql = f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([row_marks] * len(chunk))  # noqa: S608
                cursor.cursor.execute(sql, [value for row in chunk for value in row])


def set_values(model: type[models.Model], name: str, pairs: Sequence[tuple[object, int]], *,
               where_null: Sequence[str] = (), where_false: Sequence[str] = ()) -> None:
    """Set the field `name` (an attname) of rows of `model`: each pair is (value, primary key),
    the value in the form the driver takes. Rows whose fields `where_null` are not NULL or
    `where_false` not false are left as they are. One prepared statement for every row (an
    UPDATE with a CASE of a hundred WHENs costs the ORM more to compile than to run)."""
    if not pairs:
        return
    quote, meta = connection.ops.quote_name, model._meta
    conditions = [f"{quote(meta.pk.column)} = %s"]
    conditions += [f"{quote(meta.get_field(f).column)} IS NULL" for f in where_null]
    conditions += [f"NOT {quote(meta.get_field(f).column)}" for f in where_false]
    # Identifiers from the model's metadata, quoted; values are parameters.
    column = quote(meta.get_field(name).column)
    sql = f"UPDATE {quote(meta.db_table)} SET {column} = %s WHERE " + " AND ".join(conditions)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, pairs)


def _row_maker(fields):
    """Return a function of an object giving its row: every plain attribute read at once (one
    C call), then the values that need their field's database form."""
    db = connections[connection.alias]  # the connection itself, not the per-access proxy
    names = [f.attname for f in fields]
    # attrgetter of one name returns the value itself, not a 1-tuple.
    read = operator.attrgetter(*names) if len(names) > 1 else lambda obj: (getattr(obj, names[0]),)
    special = []
    for i, f in enumerate(fields):
        if type(f).pre_save is not models.Field.pre_save:  # auto_now, a derived value
            special.append((i, lambda obj, value, f=f: f.get_db_prep_save(f.pre_save(obj, True), db)))
        elif f.get_internal_type() not in _PLAIN:
            special.append((i, lambda obj, value, f=f: f.get_db_prep_save(value, db)))
    if not special:
        return read

    def row(obj):
        values = list(read(obj))
        for i, prepare in special:
            values[i] = prepare(obj, values[i])
        return values

    return row


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Return `count` new primary keys for `model` (inside the caller's transaction)."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # AUTOINCREMENT never reuses an id, not even a deleted row's: start past both.
        highest = f"SELECT max({connection.ops.quote_name(column)}) FROM {connection.ops.quote_name(table)}"  # noqa: S608
        sequence = "SELECT seq FROM sqlite_sequence WHERE name = %s"
        cursor.execute(f"SELECT max(coalesce(({sequence}), 0), coalesce(({highest}), 0))", [table])
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))
