"""The column contract every dataset keeps (DESIGN.md §1).

Five columns every dataset has, with fixed Arrow types, so that a `polars` query or
a CI check written against one step's output works on every other step's output.
"""

from __future__ import annotations

import pyarrow as pa

from curate.errors import CurateError

TIMESTAMP = pa.timestamp("us", tz="UTC")

CORE_FIELDS: tuple[pa.Field, ...] = (
    pa.field("id", pa.string(), nullable=False),
    pa.field("text", pa.large_string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("created", TIMESTAMP),
)
CORE_COLUMNS: tuple[str, ...] = tuple(f.name for f in CORE_FIELDS)

# Columns ingest adds for web input, and for file input.
WEB_FIELDS: tuple[pa.Field, ...] = (
    pa.field("content_type", pa.string()),
    pa.field("http_status", pa.int64()),
    pa.field("html_lang", pa.string()),
    pa.field("license", pa.list_(pa.string())),
)
PATH_FIELD = pa.field("path", pa.string())
METADATA_FIELD = pa.field("metadata", pa.string())

# What a `--rejected DIR` dataset of ingest holds.
INGEST_REJECTED_SCHEMA = pa.schema(
    [
        pa.field("path", pa.string()),
        pa.field("offset", pa.int64()),
        pa.field("reason", pa.string()),
        pa.field("raw", pa.binary()),
    ]
)


def schema_to_json(schema: pa.Schema) -> list[dict[str, object]]:
    """A readable listing of a schema for `_curate.json` (the exact types travel too)."""
    return [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in schema]


def union_schemas(a: pa.Schema, b: pa.Schema, *, context: str) -> pa.Schema:
    """Union two schemas by column name; a clash of types is a user error (exit 2).

    `--append` of a second source must not silently coerce one source's column into
    another type: a `score` that is int in one dump and string in the other is a
    mistake the user should see before the data is mixed.
    """
    fields = {f.name: f for f in a}
    for f in b:
        old = fields.get(f.name)
        if old is None:
            fields[f.name] = f.with_nullable(True)
        elif old.type != f.type:
            if pa.types.is_null(old.type):
                fields[f.name] = f
            elif pa.types.is_null(f.type):
                continue
            else:
                raise CurateError(
                    f"{context}: column `{f.name}` is {f.type} in the new data but "
                    f"{old.type} in the dataset; rename or cast it before appending"
                )
    return pa.schema(list(fields.values()))


def check_core(schema: pa.Schema, *, where: str) -> None:
    """Fail with one line when a dataset lacks a core column or has it in another type."""
    for field in CORE_FIELDS:
        if field.name not in schema.names:
            if field.name in ("id", "text"):
                raise CurateError(
                    f"{where}: column `{field.name}` is missing; "
                    "ingest the data with `curate ingest` (or name it with --text-field/--id-field)"
                )
            continue
        actual = schema.field(field.name).type
        if field.name == "text" and actual in (pa.string(), pa.large_string()):
            continue
        if field.name == "created" and pa.types.is_timestamp(actual):
            continue
        if actual != field.type and not (
            pa.types.is_string(actual) or pa.types.is_large_string(actual)
        ):
            raise CurateError(
                f"{where}: column `{field.name}` is {actual}, expected {field.type}; "
                "re-run `curate ingest` on the source data"
            )
