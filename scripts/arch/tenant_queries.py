#!/usr/bin/env python3
"""Tenant-table queries stay per tenant (run by scripts/arch-check).

The tenant tables are derived from the code: every sea-orm entity in
crates/portico-core/src/entities/ whose `Model` has `pub tenant_id:`, except the directory
(reference) tables listed in tests/it/citus_ready.rs (`DIRECTORY_TABLES`), which the schema
test checks against the migrated database. Three rules:

1. entity (crates/, migrations/): no query started on a tenant entity, `patient::Entity::find`,
   `term::Entity::update_many` (a module alias), `Entity::insert` (an imported `Entity`), nor
   a generic `<A::Entity as EntityTrait>::insert_many`, outside
   crates/portico-core/src/tenancy.rs, where `TenantTx` adds the tenant filter.
2. sql (string literals of crates/, not tests: `crates/*/tests/`, `#[cfg(test)]` items): a
   statement that reads or writes a tenant table (FROM, JOIN, UPDATE, INSERT INTO, DELETE
   FROM, USING, TRUNCATE) names `tenant_id` for each such table: in a comparison
   (`t.tenant_id = $1`, `IN (...)`; `GROUP BY tenant_id` spans tenants) for a table read,
   changed or deleted from, in the column list for a table inserted into; qualified by the
   table's alias when the statement names several tables. A table given by a format
   placeholder (`FROM {}`) counts as a tenant table. Placeholders standing for text
   (`{columns}`) are not expanded and statements assembled from several literals are seen
   piece by piece: both may need an allow-list entry.
3. sql, sea-query: a statement built with `.from(x::Entity)` / `.table(...)` /
   `.into_table(...)` on a tenant entity names `x::Column::TenantId` before its `;`.

Exceptions live in scripts/arch/tenant-allow.txt, one per line:
    entity <path>:<text on the line> — why it is still per tenant
    sql <path>:<text in the statement> — why it is still per tenant (or why it may span tenants)
An entry that matches nothing fails, so the list cannot go stale. `--verbose` lists every
statement checked.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTITIES = ROOT / "crates/portico-core/src/entities"
DIRECTORY_SOURCE = ROOT / "tests/it/citus_ready.rs"
ALLOW = ROOT / "scripts/arch/tenant-allow.txt"
TENANCY = "crates/portico-core/src/tenancy.rs"


def fail(message):
    print(f"tenant_queries: {message}", file=sys.stderr)
    sys.exit(2)


# --- what is a tenant table -------------------------------------------------------------


def directory_tables():
    text = DIRECTORY_SOURCE.read_text()
    block = re.search(r"const DIRECTORY_TABLES: &\[\(&str, &str\)\] = &\[(.*?)\n\];", text, re.S)
    if not block:
        fail(f"no DIRECTORY_TABLES list in {DIRECTORY_SOURCE.relative_to(ROOT)}")
    names = re.findall(r'^\s*\(\s*"(\w+)",', block.group(1), re.M)
    if not names:
        fail("DIRECTORY_TABLES is empty")
    return set(names)


def tenant_entities():
    """{entity module: table name} of the tenant tables."""
    directory = directory_tables()
    found = {}
    for path in sorted(ENTITIES.glob("*.rs")):
        text = path.read_text()
        model = re.search(r"pub struct Model\s*\{(.*?)\n\}", text, re.S)
        table = re.search(r'#\[sea_orm\([^)]*table_name\s*=\s*"(\w+)"', text)
        if not model or not table:
            continue
        if re.search(r"^\s*pub tenant_id:", model.group(1), re.M) and table.group(1) not in directory:
            found[path.stem] = table.group(1)
    if len(found) < 40:
        fail(f"only {len(found)} tenant entities found in {ENTITIES.relative_to(ROOT)}: is the pattern stale?")
    return found


# --- Rust source: string literals outside comments and test code ------------------------


def scan(src):
    """(string literals as (offset, text), code mask ranges of comments and strings)."""
    literals, skip = [], []
    i, n = 0, len(src)
    word = lambda k: k > 0 and (src[k - 1].isalnum() or src[k - 1] == "_")
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            skip.append((i, j))
            i = j
            continue
        if src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            skip.append((i, j))
            i = j
            continue
        raw = re.match(r'(?:b|c)?r(#*)"', src[i : i + 80]) if c in "bcr" and not word(i) else None
        if raw:
            close = '"' + raw.group(1)
            start = i + raw.end()
            end = src.find(close, start)
            if end < 0:
                fail("unterminated raw string")
            literals.append((i, src[start:end]))
            skip.append((i, end + len(close)))
            i = end + len(close)
            continue
        prefixed = c in "bc" and src.startswith('"', i + 1) and not word(i)
        if c == '"' or prefixed:
            j = i + (2 if prefixed else 1)
            out = []
            while j < n and src[j] != '"':
                if src[j] == "\\":
                    nxt = src[j + 1]
                    if nxt == "\n":  # line continuation: the next line's indent is dropped
                        j += 2
                        while j < n and src[j] in " \t\r\n":
                            j += 1
                        continue
                    out.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(nxt, nxt))
                    j += 2
                    continue
                out.append(src[j])
                j += 1
            literals.append((i, "".join(out)))
            skip.append((i, j + 1))
            i = j + 1
            continue
        if c == "'":
            char = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'\n])'", src[i : i + 12])
            if char:
                skip.append((i, i + char.end()))
                i += char.end()
                continue
        i += 1
    return literals, skip


def test_regions(src, skip):
    """Byte ranges of `#[cfg(test)]` items (a module, a function, a `use`)."""
    in_skip = bytearray(len(src) + 1)
    for a, b in skip:
        in_skip[a:b] = b"\x01" * (b - a)
    regions = []
    for m in re.finditer(r"#\[cfg\((?:all\()?test\b[^\]]*\]", src):
        if in_skip[m.start()]:
            continue
        j, depth = m.end(), 0
        while j < len(src):
            if not in_skip[j]:
                ch = src[j]
                if ch == ";" and depth == 0:
                    break
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                    if depth == 0:
                        break
            j += 1
        regions.append((m.start(), j + 1))
    return regions


def source_files():
    for path in sorted((ROOT / "crates").rglob("*.rs")):
        rel = path.relative_to(ROOT).as_posix()
        parts = rel.split("/")
        if "tests" in parts[2:] or "benches" in parts[2:] or "target" in parts:
            continue
        yield rel, path.read_text()


# --- SQL ------------------------------------------------------------------------------------

SQL_WORDS = {
    "where", "set", "on", "using", "as", "values", "select", "left", "right", "inner", "outer",
    "full", "cross", "join", "natural", "lateral", "order", "group", "limit", "offset", "returning",
    "union", "default", "for", "having", "window", "only", "and", "or", "not", "into", "from",
    "with", "except", "intersect", "fetch", "do", "conflict", "table",
}
TABLE_CLAUSE = re.compile(
    r"\b(FROM|JOIN|UPDATE|INTO|USING|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?", re.I
)
TABLE_NAME = re.compile(r'(?:public\.)?(?:"(\w+)"|(\{\w*\})|(\w+))', re.I)
ALIAS = re.compile(r"\s+(?:AS\s+)?(\w+)", re.I)
# A statement is SQL only when it starts like one (a description that says "from users" is not).
SQL_START = re.compile(r"^\s*\(?\s*(SELECT|WITH|INSERT|UPDATE|DELETE|TRUNCATE)\b", re.I)


def statements(text):
    """Split on `;` outside single-quoted SQL strings; quoted contents blanked."""
    out, current, quoted = [], [], False
    for ch in text:
        if ch == "'":
            quoted = not quoted
            current.append(ch)
        elif quoted:
            current.append(" ")
        elif ch == ";":
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return [s for s in out if s.strip()]


def table_refs(statement):
    """[(table or '{placeholder}', alias or None)] of every table a statement names."""
    refs = []
    for clause in TABLE_CLAUSE.finditer(statement):
        pos = clause.end()
        while True:
            m = TABLE_NAME.match(statement, pos)
            if not m:
                break
            name = m.group(1) or m.group(2) or m.group(3)
            if m.group(3) and name.lower() in SQL_WORDS:
                break
            pos = m.end()
            alias = None
            a = ALIAS.match(statement, pos)
            if a and a.group(1).lower() not in SQL_WORDS:
                alias = a.group(1)
                pos = a.end()
            refs.append((name, alias, clause.group(1).upper()))
            comma = re.match(r"\s*,\s*", statement[pos:])
            if not comma or clause.group(1).upper() != "FROM":
                break
            pos += comma.end()
    return refs


def unscoped(statement, tables):
    """The tenant tables (or placeholders) a statement touches without a tenant_id for each.

    A table read, changed or deleted from needs `tenant_id` in a comparison (`= x`, `IN (...)`,
    `x =`), not merely named (`GROUP BY tenant_id` spans tenants); a table inserted into needs
    it among the statement's words (its column list).
    """
    refs = table_refs(statement)
    missing = []
    for table, alias, clause in refs:
        if table not in tables and not table.startswith("{"):
            continue
        qualifiers = [re.escape(x) + r"\." for x in (table, alias) if x and not x.startswith("{")]
        if alias is None or len(refs) == 1:
            qualifiers.append(r"(?<![.\w])")  # bare tenant_id
        column = "(?:" + "|".join(qualifiers) + r')"?tenant_id"?'
        if clause == "INTO":
            wanted = rf"{column}\b"
        else:
            wanted = rf"{column}\s*(?:=|IN\s*\(|IS\s+NOT\s+DISTINCT)|=\s*{column}\b"
        if not re.search(wanted, statement, re.I):
            missing.append(table)
    return missing


# --- sea-orm and sea-query in Rust -------------------------------------------------------


def imports(src, entities):
    """How this file names tenant entities: {module name or alias: module}, and
    {entity name: module} for `module::{Entity}` / `module::Entity as Name` imports."""
    modules, names = {m: m for m in entities}, {}
    for use in re.finditer(r"\buse\s[^;]*;", src):
        text = use.group(0)
        for m in re.finditer(r"\b(\w+) as (\w+)\b", text):
            if m.group(1) in entities:
                modules[m.group(2)] = m.group(1)
        for m in re.finditer(r"\b(\w+)::(?:\{([^{}]*)\}|Entity(?:\s+as\s+(\w+))?)", text):
            if m.group(1) not in entities:
                continue
            if m.group(2) is None:
                names[m.group(3) or "Entity"] = m.group(1)
            elif e := re.search(r"\bEntity(?:\s+as\s+(\w+))?", m.group(2)):
                names[e.group(1) or "Entity"] = m.group(1)
    return modules, names


def entity_target(modules, names):
    """A pattern for a tenant entity: `module::Entity` (group 1) or an imported name (group 2)."""
    target = rf"\b({'|'.join(sorted(modules))})::Entity\b"
    if names:
        target += rf"|(?<![\w:])({'|'.join(sorted(names))})\b"
    return f"(?:{target})"


def entity_calls(src, entities):
    """A pattern for a query started on a tenant entity other than through TenantTx; a
    generic one (`<A::Entity as EntityTrait>::insert_many`) may be on any entity."""
    generic = r"<[^<>]*(?:<[^<>]*>)?[^<>]* as (?:sea_orm::)?EntityTrait>"
    target = entity_target(*imports(src, entities))
    return re.compile(rf"(?:{target}|{generic})::(?:find|delete|update|insert)")


def builder_statements(src, skip, entities):
    """(offset, names of its module, statement text) of every sea-query statement built on a
    tenant entity (`.from(patient::Entity)`, `.table(...)`, `.into_table(...)`); the text
    runs to the statement's `;`, at most 40 lines."""
    modules, names = imports(src, entities)
    in_skip = bytearray(len(src) + 1)
    for a, b in skip:
        in_skip[a:b] = b"\x01" * (b - a)
    target = entity_target(modules, names)
    for m in re.finditer(rf"\.(?:from|table|into_table)\(\s*(?:crate::entities::)?{target}\s*\)", src):
        if in_skip[m.start()]:
            continue
        module = modules[m.group(1)] if m.group(1) else names[m.group(2)]
        limit = m.end()
        for _ in range(40):
            limit = src.find("\n", limit + 1)
            if limit < 0:
                limit = len(src)
                break
        end = m.end()
        while end < limit and (src[end] != ";" or in_skip[end]):
            end += 1
        spellings = {k for k, v in modules.items() if v == module}
        spellings |= {"Column"} if any(v == module for v in names.values()) else set()
        yield m.start(), module, spellings, src[m.start() : end]


# --- the rules ----------------------------------------------------------------------------


def load_allow():
    entries = []
    if not ALLOW.exists():
        return entries
    for number, line in enumerate(ALLOW.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^(entity|sql) ([^:\s]+):(.+?) — (\S.*)$", line)
        if not m:
            fail(f"{ALLOW.relative_to(ROOT)}:{number}: want `entity|sql <path>:<text> — <why>`")
        entries.append({"kind": m.group(1), "path": m.group(2), "text": m.group(3), "line": number, "used": 0})
    return entries


def allowed(entries, kind, path, text):
    squeezed = " ".join(text.split())
    for entry in entries:
        if entry["kind"] == kind and entry["path"] == path and " ".join(entry["text"].split()) in squeezed:
            entry["used"] += 1
            return True
    return False


VERBOSE = "--verbose" in sys.argv


def main():
    entities = tenant_entities()
    tables = set(entities.values())
    allow = load_allow()
    problems = []

    for folder in ("crates", "migrations"):
        for path in sorted((ROOT / folder).rglob("*.rs")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == TENANCY or "/target/" in rel:
                continue
            src = path.read_text()
            pattern = entity_calls(src, entities)
            for number, line in enumerate(src.splitlines(), 1):
                if pattern.search(line) and not allowed(allow, "entity", rel, line):
                    problems.append(("entity", f"{rel}:{number}: {line.strip()}"))

    for rel, src in source_files():
        literals, skip = scan(src)
        tests = test_regions(src, skip)
        for offset, module, spellings, statement in builder_statements(src, skip, entities):
            if any(a <= offset < b for a, b in tests):
                continue
            prefix = rf"(?:{'|'.join(sorted(spellings - {'Column'}))})::"
            # `Column::TenantId` alone only where this module's `Column` is imported.
            column = rf"(?<![\w:])(?:{prefix}){'?' if 'Column' in spellings else ''}Column::TenantId\b"
            if VERBOSE:
                print(f"checked {rel}:{src.count(chr(10), 0, offset) + 1}: builder on {module}")
            if not re.search(column, statement) and not allowed(allow, "sql", rel, statement):
                line = src.count("\n", 0, offset) + 1
                problems.append(("sql", f"{rel}:{line}: sea-query statement on {entities[module]} without {module}::Column::TenantId"))
        for offset, text in literals:
            if any(a <= offset < b for a, b in tests):
                continue
            for statement in statements(text):
                if not SQL_START.match(statement):
                    continue
                missing = unscoped(statement, tables)
                if VERBOSE and any(t in tables or t.startswith("{") for t, _, _ in table_refs(statement)):
                    print(f"checked {rel}:{src.count(chr(10), 0, offset) + 1}: {table_refs(statement)} missing={missing}")
                if missing and not allowed(allow, "sql", rel, statement):
                    line = src.count("\n", 0, offset) + 1
                    shown = " ".join(statement.split())
                    shown = shown if len(shown) <= 140 else shown[:137] + "..."
                    problems.append(("sql", f"{rel}:{line}: {', '.join(sorted(set(missing)))}: {shown}"))

    status = 0
    entity_hits = [p for k, p in problems if k == "entity"]
    sql_hits = [p for k, p in problems if k == "sql"]
    if entity_hits:
        print("bare queries on tenant tables (use TenantTx, or add a justified entry to scripts/arch/tenant-allow.txt):")
        print("\n".join(entity_hits))
        status = 1
    if sql_hits:
        print("SQL on tenant tables without tenant_id (filter by tenant_id, or add a justified entry to scripts/arch/tenant-allow.txt):")
        print("\n".join(sql_hits))
        status = 1
    stale = [e for e in allow if not e["used"]]
    if stale:
        print("stale entries in scripts/arch/tenant-allow.txt (they match nothing; remove them):")
        for e in stale:
            print(f"  line {e['line']}: {e['kind']} {e['path']}:{e['text']}")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
