"""Text search behind every list's filter: "the name contains what was typed", served by an index.

SQLite keeps an FTS5 table with the trigram tokenizer per searched column (external content: the rows stay
in their table; triggers keep the index in step); PostgreSQL keeps a `pg_trgm` GIN index on the column.
Both answer `LIKE '%text%'` (case-insensitive) from the index once the text has three characters; shorter
text is matched by a scan that stops at a page. Migration 0008 creates them; this module names them for
the queries, the schema test and the bulk loader.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection


@dataclass(frozen=True)
class SearchedColumn:
    table: str
    column: str

    @property
    def fts_table(self) -> str:
        """SQLite: the FTS5 table indexing the column (rowid = the row's id)."""
        return f"{self.table}_{self.column}_fts"

    @property
    def trigram_index(self) -> str:
        """PostgreSQL: the GIN index (gin_trgm_ops) on the column."""
        return f"ix_{self.table}_{self.column}_trgm"

    def sqlite_triggers(self) -> list[str]:
        t, c, f = self.table, self.column, self.fts_table
        return [
            f"CREATE TRIGGER {f}_insert AFTER INSERT ON {t} BEGIN "
            f"INSERT INTO {f}(rowid, {c}) VALUES (new.id, new.{c}); END",
            f"CREATE TRIGGER {f}_delete AFTER DELETE ON {t} BEGIN "
            f"INSERT INTO {f}({f}, rowid, {c}) VALUES ('delete', old.id, old.{c}); END",
            f"CREATE TRIGGER {f}_update AFTER UPDATE OF {c} ON {t} BEGIN "
            f"INSERT INTO {f}({f}, rowid, {c}) VALUES ('delete', old.id, old.{c}); "
            f"INSERT INTO {f}(rowid, {c}) VALUES (new.id, new.{c}); END",
        ]

    def sqlite_trigger_names(self) -> list[str]:
        return [f"{self.fts_table}_{event}" for event in ("insert", "delete", "update")]

    def sqlite_create(self) -> list[str]:
        """The FTS5 table, filled from the rows there are, and its triggers."""
        f = self.fts_table
        return [
            f"CREATE VIRTUAL TABLE {f} USING fts5({self.column}, content='{self.table}', content_rowid='id', "
            "tokenize='trigram')",
            f"INSERT INTO {f}({f}) VALUES ('rebuild')",
            *self.sqlite_triggers(),
        ]

    def sqlite_drop(self) -> list[str]:
        return [f"DROP TRIGGER IF EXISTS {name}" for name in self.sqlite_trigger_names()] + [
            f"DROP TABLE IF EXISTS {self.fts_table}"]

    def postgresql_create(self) -> list[str]:
        return [f"CREATE INDEX IF NOT EXISTS {self.trigram_index} ON {self.table} "
                f"USING gin ({self.column} gin_trgm_ops)"]

    def postgresql_drop(self) -> list[str]:
        return [f"DROP INDEX IF EXISTS {self.trigram_index}"]


#: The columns the lists filter on, each with its text-search index (migration 0008).
SEARCHED_COLUMNS: dict[tuple[str, str], SearchedColumn] = {
    (c.table, c.column): c for c in (
        SearchedColumn("service", "name"),
        SearchedColumn("tariff", "name"),
        SearchedColumn("processing_module", "name"),
        SearchedColumn("notification", "description"),
        SearchedColumn("background_task", "name"),
    )
}

#: How many characters the trigram indexes need to answer from the index.
TRIGRAM = 3


def is_text_search_object(name: str | None, type_: str) -> bool:
    """Objects the migrations create outside the models (FTS5 tables and their shadow tables, trigram
    indexes): the schema comparison leaves them out."""
    if not name:
        return False
    for searched in SEARCHED_COLUMNS.values():
        if type_ == "table" and name.startswith(searched.fts_table):
            return True
        if type_ == "index" and name == searched.trigram_index:
            return True
    return False


def rebuild_sqlite(connection: Connection, table: str) -> None:
    """After a bulk load with the triggers dropped (`suspend_sqlite_triggers`): index every row again."""
    for searched in SEARCHED_COLUMNS.values():
        if searched.table == table:
            f = searched.fts_table
            connection.exec_driver_sql(f"INSERT INTO {f}({f}) VALUES ('rebuild')")
            for statement in searched.sqlite_triggers():
                connection.exec_driver_sql(statement)


def suspend_sqlite_triggers(connection: Connection, table: str) -> bool:
    """Drop the table's text-search triggers before a bulk load (one FTS insert per row is most of its cost);
    `rebuild_sqlite` builds the index in one pass afterwards. Whether the table has any."""
    found = False
    for searched in SEARCHED_COLUMNS.values():
        if searched.table == table:
            for name in searched.sqlite_trigger_names():
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            found = True
    return found
