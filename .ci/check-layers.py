#!/usr/bin/env python3
"""Fails when a module of src/ uses one of a later layer (README, "Architecture").

Every module has a place in LAYERS below; a module may name only modules placed before it:
in a `use`, in a path in its code (`crate::state::state()`, `store::create(..)` after
`use super::store`, `$crate::db::Pool`), in a macro call (`crate::with_pool!`, found where it
is defined), or in a `#[serde(with = "crate::...")]` string. A name counts as the module that
defines it, however many `use`s and re-exports it went through (`crate::tasks::create_task` is
`tasks::api`'s, re-exported by `tasks/mod.rs`).

A folder's module map is not an import: its `mod x;` lines and its `pub use x::Item;` of its
own children (though using such a re-exported name in the folder's module itself is). A
private child module (`mod files;`, not `pub mod`) is part of its parent, split off for
length: the two may use each other, and the child must sit next to its parent in LAYERS.
Glob re-exports (`pub use x::*;`) are refused: they hide where a name comes from. A module
missing from LAYERS is an error too, so that a new file takes a deliberate place.

What text cannot see is not checked: a method call on a value of a later module's type
(`task.later()`, through an `impl` block elsewhere), or code a macro of another crate writes.

Usage: .ci/check-layers.py [src-dir]   (exit status 1 on any violation)
"""

import re
import sys
from pathlib import Path

# Lowest first. Each line may only use the lines above it.
LAYERS = [
    # Foundations: no knowledge of requests, features or the database.
    "hex",
    "config",
    "config::files",
    "error::docs",  # the error answers as the API documentation shows them
    "error",
    "error::http",
    "dates",
    "zone",  # each account's time zone: today and the moments pages show
    "repeat",  # recurrence rules (RRULE) and the dates they give
    "repeat::tests",
    "reminders",  # a task's reminders as the forms and the API write them
    # Feature types (each feature's mod.rs: what its API speaks).
    "auth",
    "lists",
    "jobs",  # a bulk change's answer carries its job
    "tasks",
    "trash",
    "history",
    "notifications",  # what a person is told: reminders, in the app and by email
    "tokens",  # API tokens: what the API speaks of them
    "tokens::input",
    "calendar",  # the calendar feed's address, as the API speaks of it
    # The database and what builds on it alone.
    "db",
    "db::writer",
    "db::writer::tests",
    "db::lock",
    "db::backup",  # snapshots and restores (the host's commands, the scheduled snapshots)
    "reminders::schedule",  # the queue of reminders to send (task, account and list stores)
    "rate_limit",
    "auth::password",
    "auth::store",
    "tokens::store",  # a request's API token is found beside its session (auth::session)
    "auth::session",
    # The request's state and its user.
    "state",
    "auth::extract",
    # Features: inputs, SQL, server functions.
    "auth::input",
    "lists::input",
    "tasks::cursor",  # keyset cursors, read by the query input and written by the store
    "tasks::input",
    "tasks::input::tests",
    "tasks::quick",  # quick add: what a line like `Pay rent every month #home` means
    "tasks::quick::rules",
    "tasks::quick::line",  # what the quick-add endpoints speak
    "tasks::quick::tests",
    "history::input",
    "notifications::input",
    "history::record",  # every change writes its events (lists, tasks and trash stores)
    "jobs::step",  # a bulk change's batch records its progress (tasks and trash stores)
    "lists::store",
    "lists::store::members",
    "tasks::store",
    "tasks::store::bulk",
    "tasks::store::recurring",
    "tasks::store::listing",
    "tasks::store::listing::segment",
    "trash::input",
    "trash::store",
    "history::store",
    "notifications::store",
    "notifications::mail",
    "notifications::sweep",
    "jobs::store",
    "calendar::store",  # the calendar feed: its secret and its tasks, then the feed itself
    "calendar::feed",
    "export",  # the export's document, its SQL, its CSV and its download
    "export::store",
    "export::csv",
    "import",  # the import's report, then its readers (one per format) and its SQL
    "import::plan",
    "import::table",
    "import::doable",
    "import::todoist",
    "import::store",
    "live",  # live sync: the change feed's SQL, each server's reader of it, the stream
    "live::feed",
    "live::hub",
    "jobs::api",  # starts the bulk changes of the tasks and trash server functions
    "auth::api",  # deleting an account hands its shared lists over (lists::store)
    "lists::api",
    "tasks::api",
    "trash::api",
    "history::api",
    "notifications::api",
    "tokens::api",
    "export::api",
    "import::api",
    "import::upload",  # the import's handler, after the server functions it is beside
    "live::stream",
    "calendar::api",
    # Shared components, then each feature's pages.
    "ui",
    "jobs::ui",
    "tokens::ui",  # the tokens card of the account page
    "calendar::ui",  # the calendar card of the account page
    "import::ui",  # the import card of the account page
    "auth::ui",  # the session context every page reads, before the account pages
    "auth::ui::fields",
    "auth::ui::credentials",
    "auth::ui::account",
    "lists::ui",
    "lists::ui::settings",
    "history::ui",
    "trash::ui",
    "notifications::ui",
    "tasks::ui::view",
    "tasks::ui::board",
    "tasks::ui::fields",
    "tasks::ui::preview",  # the quick-add line's preview, under the "New task" field
    "tasks::ui::new_task",
    "tasks::ui::toolbar",
    "tasks::ui::edit",
    "tasks::ui::footer",
    "tasks::ui::list",
    "tasks::ui",  # the page and its island, made of the parts above
    # The app around the pages, its API description, and the server that serves it all.
    "app::layout",
    "app",
    "api_docs",
    "server::middleware",
    "server::connection",
    "server::metrics",
    "server::housekeeping",
    "server",  # the router; nothing in the crate uses it
    # The host's commands beside serving (`doable backup`, `doable user ...`).
    "admin::common",
    "admin::database",
    "admin::user",
    "admin",
    # The crate root only declares modules (and the WASM entry point).
    "",
]
RANK = {name: i for i, name in enumerate(LAYERS)}
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
RAW_STRING = re.compile(r'b?r(#*)"')


def module_of(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib"):
        parts.pop()
    return "::".join(parts)


def is_ident_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def strip_comments(text: str) -> str:
    """Removes // and /* */ comments (keeping line numbers), and leaves string literals be."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        raw = RAW_STRING.match(text, i) if c in "br" and (i == 0 or not is_ident_char(text[i - 1])) else None
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            chunk = text[i : n if j < 0 else j + 2]
            out.append("\n" * chunk.count("\n"))
            i += len(chunk)
        elif raw:
            end = text.find('"' + raw.group(1), raw.end())
            end = n if end < 0 else end + 1 + len(raw.group(1))
            out.append(text[i:end])
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif c == "'":
            m = re.compile(r"'(?:\\.|\\u\{[0-9a-fA-F]+\}|[^\\'\n])'").match(text, i)
            out.append("' '" if m else c)
            i += len(m.group(0)) if m else 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def blank_strings(text: str) -> str:
    """The text with every string literal's contents replaced by spaces (newlines kept)."""
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))  # noqa: E731
    text = re.sub(r'(?<![A-Za-z0-9_])b?r(#*)".*?"\1', blank, text, flags=re.S)
    return re.sub(r'"(?:\\.|[^"\\])*"', lambda m: '"' + blank(m)[1:-1] + '"', text, flags=re.S)


def expand_use_tree(tree: str):
    """`a::{b, c::{d, e as f}, self}` -> [(['a','b'], 'b'), (['a','c','d'], 'd'), (['a','c','e'], 'f'), (['a'], 'a')]."""
    tree = re.sub(r"\s+", " ", tree).strip()

    def split_top(s):
        depth, start, parts = 0, 0, []
        for k, ch in enumerate(s):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            if ch == "," and depth == 0:
                parts.append(s[start:k])
                start = k + 1
        return [p.strip() for p in parts + [s[start:]] if p.strip()]

    def walk(prefix, s):
        brace = s.find("{")
        if brace < 0:
            alias = None
            m = re.match(rf"^(.*?)\s+as\s+({IDENT})$", s)
            if m:
                s, alias = m.group(1), m.group(2)
            segs = prefix + [p.strip() for p in s.split("::") if p.strip()]
            if segs and segs[-1] == "self":
                segs = segs[:-1]
            if segs:
                yield segs, alias or segs[-1]
            return
        head = [p.strip() for p in s[:brace].split("::") if p.strip()]
        for part in split_top(s[brace + 1 : s.rfind("}")]):
            yield from walk(prefix + head, part)

    yield from walk([], tree)


def inline_modules(code: str):
    """(start, end, name) of each `mod name { ... }` in code whose strings are blanked."""
    found = []
    for m in re.finditer(rf"\bmod\s+({IDENT})\s*\{{", code):
        depth, k = 0, m.end() - 1
        while k < len(code):
            depth += {"{": 1, "}": -1}.get(code[k], 0)
            if depth == 0:
                break
            k += 1
        found.append((m.end(), k, m.group(1)))
    return found


def scope_at(name: str, mods, position: int) -> str:
    """The module a position of file module `name` is in (inline modules included)."""
    scope = name
    for start, end, inner in sorted(mods):
        if start <= position <= end:
            scope = f"{scope}::{inner}" if scope else inner
    return scope


def parent_of(module: str) -> str:
    return module.rsplit("::", 1)[0] if "::" in module else ""


class Crate:
    def __init__(self, src: Path):
        self.files = {module_of(p, src): p for p in sorted(src.rglob("*.rs")) if p.name != "main.rs"}
        self.modules = set(self.files)
        self.texts = {name: strip_comments(path.read_text()) for name, path in self.files.items()}
        self.codes = {name: re.sub(r"[ \t]*::[ \t]*", "::", blank_strings(t)) for name, t in self.texts.items()}
        self.private = set()  # child modules declared `mod x;`
        self.macros = {}  # #[macro_export] macro name -> the module defining it
        self.imports = {}  # (scope, name) -> (scope it was written in, path segments)
        self.uses = []  # (file module, scope, line, segments, alias, is `pub use`)
        use_re = re.compile(rf"\b(pub(?:\([a-z]+\))?\s+)?use\s+(\$?{IDENT}\b[^;]*);", re.S)
        for name, code in self.codes.items():
            for m in re.finditer(rf"^\s*(pub(?:\([a-z ]+\))?\s+)?mod\s+({IDENT})\s*;", code, re.M):
                if not m.group(1):
                    self.private.add(f"{name}::{m.group(2)}" if name else m.group(2))
            for m in re.finditer(rf"#\[macro_export\]\s*macro_rules!\s*({IDENT})", code):
                self.macros[m.group(1)] = name
            mods = inline_modules(code)
            for m in use_re.finditer(code):
                scope = scope_at(name, mods, m.start())
                line = code.count("\n", 0, m.start()) + 1
                for segs, alias in expand_use_tree(m.group(2)):
                    self.uses.append((name, scope, line, segs, alias, bool(m.group(1))))
                    if segs[-1] != "*":
                        self.imports[(scope, alias)] = (scope, segs)
        self.use_spans = {
            name: [(m.start(), m.end()) for m in use_re.finditer(code)] for name, code in self.codes.items()
        }

    def child(self, module: str, seg: str) -> str:
        return f"{module}::{seg}" if module else seg

    def resolve(self, scope: str, segs: list, depth: int = 0):
        """The module that defines what `segs` names from `scope`, or None (another crate's)."""
        if depth > 20 or not segs:
            return None
        first, rest = segs[0], segs[1:]
        if first in ("crate", "$crate"):
            module = ""
        elif first in ("super", "self"):
            module = scope
            while segs and segs[0] in ("super", "self"):
                module = parent_of(module) if segs[0] == "super" else module
                segs = segs[1:]
            rest = segs
        else:
            # A name of the scope (an inline module's, then its file's), a child, or an import.
            wheres = [scope]
            while wheres[-1] not in self.modules:  # an inline module sees its file's (`use super::*`)
                wheres.append(parent_of(wheres[-1]))
            for where in wheres:
                if self.child(where, first) in self.modules:
                    module = self.child(where, first)
                    break
                if (where, first) in self.imports:
                    ctx, path = self.imports[(where, first)]
                    return self.resolve(ctx, path + rest, depth + 1)
            else:
                return None
        for k, seg in enumerate(rest):
            if self.child(module, seg) in self.modules:
                module = self.child(module, seg)
                continue
            if (module, seg) in self.imports:  # a `use` of that module's: the name is from elsewhere
                ctx, path = self.imports[(module, seg)]
                return self.resolve(ctx, path + rest[k + 1 :], depth + 1)
            if seg in self.macros and module == "":
                return self.macros[seg]
            break
        return module

    def file_of(self, scope: str) -> str:
        """The file module a scope (a module, or an inline module in one) is in."""
        while scope not in self.modules:
            scope = parent_of(scope)
        return scope

    def one_unit(self, a: str, b: str) -> bool:
        return (b in self.private and parent_of(b) == a) or (a in self.private and parent_of(a) == b)


def main() -> int:
    crate = Crate(Path(sys.argv[1] if len(sys.argv) > 1 else "src"))
    errors = []
    for name in sorted(crate.modules - set(RANK)):
        errors.append(f"{crate.files[name]}: module `{name or 'crate'}` has no place in LAYERS (.ci/check-layers.py)")
    for name in sorted(set(RANK) - crate.modules):
        errors.append(f".ci/check-layers.py: LAYERS names `{name}`, which is not a module of src/")
    for child in sorted(crate.private & set(RANK)):
        parent = parent_of(child)
        low, high = sorted((RANK.get(parent, 0), RANK[child]))
        strangers = [m for m in LAYERS[low + 1 : high] if not m.startswith(f"{parent}::")]
        if strangers:
            errors.append(
                f"{crate.files[child]}: the private module `{child}` must sit next to `{parent or 'crate'}` in"
                f" LAYERS (between them: {', '.join(strangers)})"
            )

    refs = []  # (file module, line, path written, module named)
    mapped = {}  # file module -> {name: module} of its module map's re-exports
    for name, scope, line, segs, alias, public in crate.uses:
        target = crate.resolve(scope, segs[:-1] if segs[-1] == "*" else segs)
        if target is None:
            continue
        path = "::".join(segs)
        if public and segs[-1] == "*":
            errors.append(f"{crate.files[name]}:{line}: `pub use {path}` hides where its names come from: name them")
        if public and name != target and target.startswith(f"{name}::" if name else ""):
            mapped.setdefault(name, {})[alias] = target
            continue
        refs.append((name, line, path, target))

    for name, code in crate.codes.items():
        text = crate.texts[name]
        mods = inline_modules(code)
        spans = crate.use_spans[name]
        outside = lambda pos: not any(a <= pos < b for a, b in spans)  # noqa: E731
        roots = {"crate", r"\$crate", "super", "self"}
        roots |= {re.escape(n) for (scope, n) in crate.imports if crate.file_of(scope) == name}
        roots |= {m.rsplit("::", 1)[-1] for m in crate.modules if parent_of(m) == name and m != name}
        pattern = rf"(?<![A-Za-z0-9_$:.])((?:{'|'.join(sorted(roots))})(?:::{IDENT})+)(\s*!)?"
        for m in re.finditer(pattern, code):
            if not outside(m.start()):
                continue
            segs = m.group(1).split("::")
            if m.group(2) and segs[-1] in crate.macros:
                target = crate.macros[segs[-1]]
            else:
                target = crate.resolve(scope_at(name, mods, m.start()), segs)
            if target is not None:
                refs.append((name, code.count("\n", 0, m.start()) + 1, m.group(1), target))
        for m in re.finditer(rf'"((?:crate|super)(?:::{IDENT})+)"', text):
            target = crate.resolve(scope_at(name, mods, m.start()), m.group(1).split("::"))
            refs.append((name, text.count("\n", 0, m.start()) + 1, m.group(1), target))
        for alias, target in mapped.get(name, {}).items():
            for m in re.finditer(rf"(?<![A-Za-z0-9_$:.]){re.escape(alias)}\b", code):
                if outside(m.start()):
                    refs.append((name, code.count("\n", 0, m.start()) + 1, alias, target))

    for name, line, path, target in refs:
        if target is None or target == name or crate.one_unit(name, target) or name not in RANK:
            continue
        if RANK.get(target, -1) >= RANK[name]:
            errors.append(
                f"{crate.files[name]}:{line}: `{name or 'crate'}` uses `{path}` from `{target}`, a later layer"
                " (see LAYERS in .ci/check-layers.py)"
            )
    for error in sorted(set(errors)):
        print(error, file=sys.stderr)
    if errors:
        print(f"check-layers: {len(set(errors))} problems with the layer order", file=sys.stderr)
        return 1
    print(f"check-layers: {len(crate.modules)} modules, each using only earlier layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
