"""The model field that carries an article's search tokens to PostgreSQL's GIN index."""

from django.db import connections, router
from django.db.models import TextField

from articles.search.tokens import vector_literal


class TokenVectorField(TextField):
    """A tsvector column on PostgreSQL (the GIN-indexed search tokens); unused text elsewhere.

    Its value is derived, never set: on every write (save, bulk_create, the importer's bulk
    insert) it is vector_literal() of the model's `tokens_from` field, computed only when the
    row goes to PostgreSQL and cast on the way in. Other databases are sent NULL: SQLite's
    FTS5 table reads the tokens themselves.
    """

    def __init__(self, *args, tokens_from: str = "search_text", **kwargs):
        self.tokens_from = tokens_from
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.tokens_from != "search_text":
            kwargs["tokens_from"] = self.tokens_from
        return name, path, args, kwargs

    def get_internal_type(self):
        return "TokenVectorField"  # not a plain text value (see articles/ingest/bulk.py)

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else connection.data_types["TextField"]

    def pre_save(self, model_instance, add):
        alias = router.db_for_write(type(model_instance), instance=model_instance)
        if connections[alias].vendor != "postgresql":
            return None
        value = vector_literal(getattr(model_instance, self.tokens_from) or "")
        setattr(model_instance, self.attname, value)
        return value

    def get_db_prep_value(self, value, connection, prepared=False):
        if connection.vendor != "postgresql":
            return None
        return super().get_db_prep_value(value, connection, prepared)

    def get_placeholder(self, value, compiler, connection):
        return "%s::tsvector" if connection.vendor == "postgresql" else "%s"
