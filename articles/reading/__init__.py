"""Readers' reads of stories: the beacon that counts them, their hourly counts in the database, and
the hot lists built from those (24小时热读, 本周热读) with the editors' pins and hides."""
