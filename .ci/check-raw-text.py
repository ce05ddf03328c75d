#!/usr/bin/env python3
"""Fails when a raw-text element in a `view!` can hold data unescaped.

Leptos' server renderer writes the children of `textarea`, `script`, `style` and `noscript`
as they are. A child that is an expression (`{...}`) there must go through
`crate::ui::textarea_text` (the only helper that makes text safe inside such an element);
any other expression child is an injection waiting for data. `<title>` is set through
`leptos_meta::Title`, which writes its text into `<title>` as it is, too: its `text` must be a
string literal or go through `textarea_text` (a `<title>` decodes entities as a textarea does).
"""
import pathlib
import re
import sys

RAW = ("textarea", "script", "style", "noscript")
root = pathlib.Path(__file__).resolve().parent.parent / "src"
problems = []
for path in sorted(root.rglob("*.rs")):
    text = path.read_text()
    for tag in RAW:
        for match in re.finditer(rf"<{tag}\b[^>]*?(/?)>(.*?)(</{tag}>|$)", text, re.S):
            if match.group(1) == "/":
                continue
            body = match.group(2)
            for child in re.finditer(r"\{", body):
                rest = body[child.end():].lstrip()
                if not rest.startswith("textarea_text("):
                    line = text.count("\n", 0, match.start()) + 1
                    problems.append(f"{path.relative_to(root.parent)}:{line}: <{tag}> has a child that is not textarea_text(...)")
                    break
    for match in re.finditer(r"<Title\b[^>]*?\btext=([^\s/>]+)", text):
        if not match.group(1).startswith(('"', "textarea_text(")):
            line = text.count("\n", 0, match.start()) + 1
            problems.append(f"{path.relative_to(root.parent)}:{line}: <Title text=...> must be a string literal or textarea_text(...)")
if problems:
    print("raw-text check failed (see .ci/check-raw-text.py for why):", file=sys.stderr)
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print("raw-text check: every raw-text element's content is escaped")
