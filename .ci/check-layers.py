#!/usr/bin/env python3
"""Fails when a module of src/ imports one of a later layer (README, "Architecture").

Every module has a place in LAYERS below; a module may name (in a `use`, a path in its code,
or a `#[serde(with = "crate::...")]` string) only modules placed before it. What a module
names through a re-export (`pub use api::create_task;` in `tasks/mod.rs`) counts as the
module that defines it. A folder's own module map (`mod api;`, `pub use api::...`) is not an
import, and neither is anything in comments. A private child module (`mod files;`) is part
of its parent, split off for length: the two may use each other. A module missing from LAYERS is an error too,
so a new file takes a deliberate place.

Usage: .ci/check-layers.py [src-dir]   (exit status 1 on any violation)
"""

import re
import sys
from pathlib import Path

# Lowest first. Each line may only import from the lines above it.
LAYERS = [
    # Foundations: no knowledge of HTTP handlers, features or the database.
    "hex",
    "config",
    "config::files",
    "error::docs",  # the error answers as the API documentation shows them
    "error",
    "error::http",
    "dates",
    # Feature types (each feature's mod.rs: what its API speaks).
    "auth",
    "tasks",
    # The database and what builds on it alone.
    "db",
    "rate_limit",
    "auth::password",
    "auth::store",
    "auth::session",
    # The request's state and its user.
    "state",
    "auth::extract",
    # Features: inputs, SQL, server functions.
    "auth::input",
    "tasks::input",
    "tasks::store",
    "auth::api",
    "tasks::api",
    # Shared components, then each feature's pages.
    "ui",
    "auth::ui",  # the session context every page reads, before the account pages
    "auth::ui::fields",
    "auth::ui::credentials",
    "auth::ui::account",
    "tasks::ui::view",
    "tasks::ui::board",
    "tasks::ui::fields",
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
    "server::housekeeping",
    "server",  # the router; nothing imports it
    # The crate root only declares modules (and the WASM entry point).
    "",
]
RANK = {name: i for i, name in enumerate(LAYERS)}


def module_of(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib"):
        parts.pop()
    return "::".join(parts)


def strip_comments(text: str) -> str:
    """Removes // and /* */ comments, keeping string literals (and line numbers)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            chunk = text[i : n if j < 0 else j + 2]
            out.append("\n" * chunk.count("\n"))
            i += len(chunk)
        elif c == "r" and re.match(r'r#*"', text[i:]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            end = n if end < 0 else end + 1 + len(m.group(1))
            out.append(text[i:end])
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif c == "'":
            m = re.match(r"'(?:\\.|\\u\{[0-9a-fA-F]+\}|[^\\'\n])'", text[i:])
            if m:
                out.append("' '")
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def blank_strings(text: str) -> str:
    """Replaces the contents of string literals with spaces (so braces in them do not count)."""
    def blank(m):
        return m.group(0)[0] + re.sub(r"[^\n]", " ", m.group(0)[1:-1]) + m.group(0)[-1]
    text = re.sub(r'(?<![A-Za-z0-9_])r(#*)".*?"\1', lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    return re.sub(r'"(?:\\.|[^"\\])*"', blank, text, flags=re.S)


def expand_use_tree(tree: str):
    """`a::{b, c::{d, e as f}, self}` -> ['a::b', 'a::c::d', 'a::c::e', 'a']."""
    tree = re.sub(r"\s+as\s+[A-Za-z_][A-Za-z0-9_]*", "", tree)
    tree = re.sub(r"\s+", "", tree)

    def split_top(s):
        depth, start, parts = 0, 0, []
        for k, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(s[start:k])
                start = k + 1
        parts.append(s[start:])
        return [p for p in parts if p]

    def walk(prefix, s):
        brace = s.find("{")
        if brace < 0:
            full = prefix + s
            yield full[: -len("::self")] if full.endswith("::self") else full
            return
        for part in split_top(s[brace + 1 : s.rfind("}")]):
            yield from walk(prefix + s[:brace], part)

    yield from walk("", tree)


def inline_modules(code: str):
    """(start, end, name) of each `mod name { ... }` in code whose strings are blanked."""
    found = []
    for m in re.finditer(r"\bmod\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{", code):
        depth, k = 0, m.end() - 1
        while k < len(code):
            if code[k] == "{":
                depth += 1
            elif code[k] == "}":
                depth -= 1
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


def resolve(current: str, segments: list, modules: set, reexports: dict):
    """The module a path names, from `current` (the module the path is written in)."""
    base = current.split("::") if current else []
    if segments[0] == "crate":
        path = []
        segments = segments[1:]
    elif segments[0] in ("super", "self"):
        path = list(base)
        while segments and segments[0] in ("super", "self"):
            if segments[0] == "super":
                path = path[:-1]
            segments = segments[1:]
    else:
        return None
    # The longest prefix that is a module, then through re-exports to the defining module.
    module = "::".join(path)
    for seg in segments:
        candidate = f"{module}::{seg}" if module else seg
        if candidate in modules:
            module = candidate
            continue
        source = reexports.get((module, seg))
        if source is not None:
            module = source
        break
    return module


def main() -> int:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    files = {module_of(p, src): p for p in sorted(src.rglob("*.rs")) if p.name != "main.rs"}
    modules = set(files)
    errors = []
    for name in modules:
        if name not in RANK:
            errors.append(f"{files[name]}: module `{name or 'crate'}` has no place in .ci/check-layers.py's LAYERS")

    texts = {name: strip_comments(path.read_text()) for name, path in files.items()}
    use_re = re.compile(r"\b(pub(?:\([a-z]+\))?\s+)?use\s+((?:crate|super|self)\b[^;]*);", re.S)

    # Re-exports: (module, name) -> the module defining it.
    reexports = {}
    for _ in range(3):  # chains of re-exports settle in a few passes
        for name, text in texts.items():
            for m in use_re.finditer(blank_strings(text)):
                if not m.group(1):
                    continue
                for path in expand_use_tree(m.group(2)):
                    segs = path.split("::")
                    target = resolve(name, segs[:-1], modules, reexports) if len(segs) > 1 else None
                    if target is not None and segs[-1] != "*":
                        leaf = segs[-1]
                        reexports[(name, leaf)] = f"{target}::{leaf}" if f"{target}::{leaf}" in modules else target

    # Each module's child modules, and which of them are private (`mod x;`, not `pub mod x;`):
    # a private child is part of its parent, split off for length, so the two may use each
    # other; everything else keeps to the layer order.
    children, private = {}, set()
    for name, text in texts.items():
        for m in re.finditer(r"^\s*(pub(?:\([a-z]+\))?\s+)?mod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;", text, re.M):
            child = f"{name}::{m.group(2)}" if name else m.group(2)
            children.setdefault(name, set()).add(m.group(2))
            if not m.group(1):
                private.add(child)

    def one_unit(a, b):
        return (b in private and b.rsplit("::", 1)[0] == a) or (a in private and a.rsplit("::", 1)[0] == b)

    for name, text in texts.items():
        rank = RANK.get(name)
        if rank is None:
            continue
        code = blank_strings(text)
        mods = inline_modules(code)
        own = children.get(name, set())
        refs = []  # (line, path written, module it names)
        use_any = re.compile(r"\b(pub(?:\([a-z]+\))?\s+)?use\s+([A-Za-z_][A-Za-z0-9_]*\b[^;]*);", re.S)
        for m in use_any.finditer(code):
            root = m.group(2).split("::")[0].strip()
            if root not in ("crate", "super", "self") and root not in own:
                continue  # another crate
            line = code.count("\n", 0, m.start()) + 1
            scope = scope_at(name, mods, m.start())
            for path in expand_use_tree(m.group(2)):
                segs = path.split("::")
                if segs[0] in own:
                    segs = ["self"] + segs
                target = resolve(scope, segs, modules, reexports)
                # `pub use child::X` in a folder's module: its map, not an import.
                if m.group(1) and target is not None and (name == "" or target.startswith(f"{name}::")):
                    continue
                refs.append((line, path, target))
        # Paths in code and in attribute strings (`with = "crate::..."`), outside `use`s.
        rest = use_any.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
        roots = "|".join(["crate", r"super(?:::super)*"] + sorted(own))
        for m in re.finditer(rf"(?<![A-Za-z0-9_$:])((?:{roots})(?:::[A-Za-z_][A-Za-z0-9_]*)+)", rest):
            scope = scope_at(name, mods, m.start())
            line = rest.count("\n", 0, m.start()) + 1
            segs = m.group(1).split("::")
            if segs[0] in own:
                if scope != name:
                    continue  # a name of an inline module's own
                segs = ["self"] + segs
            refs.append((line, m.group(1), resolve(scope, segs, modules, reexports)))
        for line, path, target in refs:
            if target is None or target == name or one_unit(name, target):
                continue
            target_rank = RANK.get(target)
            if target_rank is not None and target_rank >= rank:
                errors.append(
                    f"{files[name]}:{line}: `{name}` uses `{path}` from `{target}`, a later layer"
                    " (see LAYERS in .ci/check-layers.py)"
                )
    for error in sorted(set(errors)):
        print(error, file=sys.stderr)
    if errors:
        print(f"check-layers: {len(set(errors))} imports go against the layer order", file=sys.stderr)
        return 1
    print(f"check-layers: {len(modules)} modules, every import from an earlier layer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
