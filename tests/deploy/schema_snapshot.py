"""What a migration leaves in a database: the objects of its public schema, comparable as sets."""

from __future__ import annotations

import psycopg

from servicekit.embedded import libpq_url

# Everything a migration may create in `public`, leaving out what extensions own (pgvector puts
# its functions and types there too).
QUERIES = {
    "relation": """
        SELECT c.relkind::text || ' ' || c.relname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'S', 'p')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    """,
    "column": """
        SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
               || ' ' || coalesce(column_default, '')
        FROM information_schema.columns WHERE table_schema = 'public'
    """,
    "index": "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "constraint": """
        SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = 'public'
    """,
    "type": """
        SELECT t.typname || ' '
               || coalesce(string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder), '')
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        LEFT JOIN pg_enum e ON e.enumtypid = t.oid
        WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
        GROUP BY t.typname
    """,
    "function": """
        SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    """,
    "trigger": """
        SELECT tgrelid::regclass::text || ' ' || tgname FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND NOT t.tgisinternal
    """,
}


def snapshot(url: str) -> dict[str, set[str]]:
    with psycopg.connect(libpq_url(url)) as connection:
        return {
            kind: {row[0] for row in connection.execute(query)} for kind, query in QUERIES.items()
        }


def leftovers(snap: dict[str, set[str]]) -> dict[str, set[str]]:
    """What is still there besides Alembic's own version table."""
    ignore = {"r alembic_version"}
    found = {
        kind: {item for item in items if "alembic_version" not in item}
        for kind, items in snap.items()
    }
    found["relation"] -= ignore
    return {kind: items for kind, items in found.items() if items}
