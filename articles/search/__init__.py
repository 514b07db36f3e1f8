"""Chinese full-text search: one API over SQLite and PostgreSQL, a module per concern.

- tokens.py: the token rule (CJK bigrams, lower-cased ASCII words) shared by documents and
  queries; no Django import, so models and the import's parse workers use it freely.
- fields.py: TokenVectorField, the tsvector column PostgreSQL's GIN index covers.
- query.py: a reader's query parsed into terms and phrases, and its FTS5/tsquery forms.
- filters.py: which articles match, through each database's index (search_articles()).
- pages.py: one page of ranked results, fast whatever the size of the archive.
- highlight.py: terms marked in titles and excerpts.

The indexes themselves are built by migrations 0003, 0004 and 0008.
"""
