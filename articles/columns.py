"""Widths of the columns the importer fills, declared once without the ORM: the pure parser
makes values fit them (articles/ingest/parsing.py) and the models declare their columns
with them (taggit's tag name is its own; a test pins that it still agrees)."""

TITLE = 300
SLUG = 120
EXTERNAL_ID = 64
URL = 500
LEGACY_PATH = 300
SOURCE_NAME = 100
SOURCE_KEY = 200
TAG_NAME = 100
STOCK_CODE = 16
STOCK_NAME = 100
FILE_PATH = 1000  # a file's path in the ledger and the seen-files record
