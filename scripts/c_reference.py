#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Renders include/eventlog.h as an HTML reference.

The header stays the specification: its plain C comments are the text, its
`/* ---- name */` rules are the sections, and each comment is shown with the
declarations that follow it. Names of the API in the text link to where they
are declared.

    c_reference.py HEADER OUTPUT.html [--strict]

Warnings (each names the header line; --strict makes any of them fatal):
  - a function declared with EVENTLOG_API and no comment before it;
  - a name eventlog_* / EVENTLOG_* in a comment that the header does not
    declare (a broken link; `EVENTLOG_OPEN_*` counts if any name has that
    prefix).
"""
import html
import os
import re
import sys

SECTION = re.compile(r"^/\* -+ (.+?) \*/$")
NAME = re.compile(r"\b(?:eventlog|EVENTLOG)_[A-Za-z0-9_]*\*?")
DECLARED = [
    re.compile(r"^#define\s+(EVENTLOG_\w+)"),
    re.compile(r"^#\s*ifn?def\s+(EVENTLOG_\w+)"),  # macros a program may define
    re.compile(r"\b(eventlog_\w+)\s*\("),  # functions
    re.compile(r"\(\*\s*(eventlog_\w+)\)"),  # function pointer types
    re.compile(r"\}\s*(eventlog_\w+)\s*;"),  # typedef struct {...} name;
    re.compile(r"^typedef\s+struct\s+(eventlog\w*)\s+(eventlog\w*)\s*;"),
    re.compile(r"^typedef\s+struct\s+(eventlog_\w+)\s*\{"),
]


def read_items(lines):
    """Yields (line number, section, comment text, code lines) per item: a
    comment and the declarations up to the next blank line."""
    section, i = "Overview", 0
    while i < len(lines):
        line = lines[i]
        match = SECTION.match(line)
        if match:
            section, i = match.group(1), i + 1
            continue
        if not line.strip() or line.startswith("/* SPDX"):
            i += 1
            continue
        start, comment = i, []
        if line.startswith("/*"):
            while True:
                comment.append(lines[i])
                i += 1
                if comment[-1].rstrip().endswith("*/"):
                    break
        code = []
        while i < len(lines) and lines[i].strip() and not lines[i].startswith("/*"):
            code.append(lines[i])
            i += 1
        yield start + 1, section, clean(comment), code


def clean(comment):
    text = []
    for line in comment:
        line = re.sub(r"^\s*/\*+ ?|\s*\*+/\s*$|^\s*\* ?", "", line)
        text.append(line.rstrip())
    return "\n".join(text).strip()


def declared_names(lines):
    names = set()
    for line in lines:
        for pattern in DECLARED:
            for match in pattern.finditer(line):
                names.update(g for g in match.groups() if g)
    return names


def is_declared(name, names):
    name = name.rstrip("_")
    if name.endswith("*"):
        return any(n.startswith(name[:-1]) for n in names)
    return name in names


def linked(text, names):
    def link(match):
        name = match.group(0)
        if name in names:
            return f'<a href="#{name}">{name}</a>'
        return name

    return NAME.sub(link, html.escape(text))


def render(header, lines, items, names):
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(header)}: C API reference</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
        "pre{background:#f4f4f4;padding:.6em;overflow-x:auto}"
        "p.doc{white-space:pre-wrap}nav a{margin-right:.8em}</style></head><body>",
        f"<h1>{html.escape(header)}</h1>",
    ]
    sections = []
    for _, section, _, _ in items:
        if section not in sections:
            sections.append(section)
    out.append("<nav>" + "".join(f'<a href="#s-{i}">{html.escape(s)}</a>' for i, s in enumerate(sections)) + "</nav>")
    current = None
    for _, section, comment, code in items:
        if section != current:
            current = section
            out.append(f'<h2 id="s-{sections.index(section)}">{html.escape(section)}</h2>')
        anchors = sorted(declared_names(code))
        out.extend(f'<a id="{name}"></a>' for name in anchors)
        if code:
            out.append("<pre>" + linked("\n".join(code), names) + "</pre>")
        if comment:
            out.append('<p class="doc">' + linked(comment, names) + "</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def main(argv):
    args = [a for a in argv[1:] if a != "--strict"]
    if len(args) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    header, output = args
    with open(header, encoding="utf-8") as f:
        lines = f.read().splitlines()
    items = list(read_items(lines))
    names = declared_names(lines)
    warnings = []
    for number, _, comment, code in items:
        for offset, line in enumerate(code):
            match = re.search(r"EVENTLOG_API .*?\b(eventlog_\w+)\s*\(", line)
            if match and not comment:
                warnings.append(f"{header}:{number + offset}: {match.group(1)} has no comment")
        for name in NAME.findall(comment + "\n" + "\n".join(code)):
            if not is_declared(name, names):
                warnings.append(f"{header}:{number}: {name} is mentioned but not declared")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w", encoding="utf-8") as f:
        f.write(render(header.split("/")[-1], lines, items, names))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    functions = sum(1 for n in names if re.search(rf"\b{n}\s*\(", "\n".join(lines)) and n.islower())
    print(f"{output}: {len(items)} items, {functions} functions, {len(warnings)} warnings")
    return 1 if warnings and "--strict" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
