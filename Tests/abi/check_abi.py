#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compares the C ABI of a built libeventlog.so with the baseline in Tests/abi.

The ABI is described as lines "key value", in four files:
  symbols.txt    every exported symbol with its version (nm -D --defined-only)
  functions.txt  every function the header declares, parameter names dropped
  layout.txt     size and alignment of every public struct, offset and size of
                 each field (a C program built from the header prints them)
  constants.txt  the value of every EVENTLOG_* integer constant
A key that disappeared or whose value changed fails the check; new keys are
additions, allowed and listed. One exception: a versioned struct (its first
field is `version`) may grow, and its EVENTLOG_*_VERSION constant rise,
since callers tell the library which version they were compiled with and
the library still accepts the older ones.

  check_abi.py --library LIB --header HEADER --baseline DIR [--cc CC]
  check_abi.py ... --update     rewrite the baseline (an intended ABI change:
                                raise the SONAME and the symbol version too)
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile


def symbols(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    lines = {}
    for line in out.splitlines():
        parts = line.split()
        kind, name = parts[-2], parts[-1]
        base, _, version = name.partition("@")
        version = version.lstrip("@")  # @@: the default version
        if kind == "A" and base == name:
            continue  # the version node itself, e.g. EVENTLOG_0.1
        lines[base] = f"{kind} {version or '(unversioned)'}"
    return lines


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def structs(header_text):
    """{struct name: [field names]} for every `typedef struct X { ... } X;`."""
    found = {}
    for name, body, alias in re.findall(r"typedef\s+struct\s+(\w+)\s*\{(.*?)\}\s*(\w+)\s*;", header_text, re.S):
        fields = []
        for decl in body.split(";"):
            decl = " ".join(decl.split())
            if not decl:
                continue
            if "(" in decl:  # a function pointer field: type (*name)(...)
                fields.append(re.search(r"\(\s*\*\s*(\w+)\s*\)", decl).group(1))
                continue
            first, *rest = decl.split(",")
            fields.append(re.findall(r"\w+", re.sub(r"\[.*?\]", "", first))[-1])
            for more in rest:
                fields.append(re.findall(r"\w+", re.sub(r"\[.*?\]", "", more))[-1])
        found[alias] = fields
    return found


def constants(header_text):
    names = []
    for name, value in re.findall(r"^#define\s+(EVENTLOG_\w+)[ \t]+([^\n]+)$", header_text, re.M):
        value = value.strip()
        if name in ("EVENTLOG_API", "EVENTLOG_H") or name.startswith("EVENTLOG_VERSION_"):
            continue  # attributes, the include guard, the release number
        if value.startswith("{") or not value:
            continue  # _INIT initialisers
        names.append(name)
    return names


def functions(header_text):
    lines = {}
    for decl in re.findall(r"EVENTLOG_API\s+([^;{]*?\))\s*;", header_text, re.S):
        decl = " ".join(decl.split())
        match = re.match(r"(.*?)\b(eventlog_\w+)\s*\((.*)\)$", decl)
        result, name, params = match.groups()
        types = []
        for param in params.split(","):
            param = param.strip()
            tokens = re.findall(r"\w+|\*", param)
            if len(tokens) > 1 and re.match(r"\w+$", tokens[-1]) and tokens[-1] not in ("void",):
                tokens = tokens[:-1]  # the parameter's name
            types.append(" ".join(tokens).replace(" *", "*"))
        lines[name] = f"{' '.join(result.split()).replace(' *', '*')} ({', '.join(types)})"
    return lines


def layout(header, header_text, cc):
    """Runs a C program that prints the layout of the structs and the constants."""
    out = ["#include <stdalign.h>", "#include <stddef.h>", "#include <stdio.h>",
           f'#include "{os.path.abspath(header)}"',
           "#define FIELD(s, f) printf(\"layout %s.%s offset=%zu size=%zu\\n\", #s, #f, offsetof(s, f), sizeof(((s *)0)->f))",
           "#define STRUCT(s) printf(\"layout %s size=%zu align=%zu\\n\", #s, sizeof(s), alignof(s))",
           "#define CONSTANT(c) printf(\"constant %s %lld\\n\", #c, (long long)(c))",
           "int main(void) {"]
    for name, fields in structs(header_text).items():
        out.append(f"    STRUCT({name});")
        out.extend(f"    FIELD({name}, {field});" for field in fields)
    out.extend(f"    CONSTANT({name});" for name in constants(header_text))
    out += ["    return 0;", "}"]
    with tempfile.TemporaryDirectory() as tmp:
        source, program = os.path.join(tmp, "layout.c"), os.path.join(tmp, "layout")
        with open(source, "w") as f:
            f.write("\n".join(out) + "\n")
        subprocess.run([cc, "-std=c11", "-Wall", "-Werror", "-o", program, source], check=True)
        printed = subprocess.run([program], check=True, capture_output=True, text=True).stdout
    result = {"layout": {}, "constants": {}}
    for line in printed.splitlines():
        kind, key, value = line.split(" ", 2)
        result["layout" if kind == "layout" else "constants"][key] = value
    return result


def read(path):
    lines = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    key, _, value = line.rstrip("\n").partition(" ")
                    lines[key] = value
    return lines


def write(path, lines, what):
    with open(path, "w") as f:
        f.write(f"# {what} of libeventlog's C ABI; written by Tests/abi/check_abi.py --update\n")
        for key in sorted(lines):
            f.write(f"{key} {lines[key]}\n")


def versioned_growth(key, old, new, current_layout):
    """A versioned struct that grew: allowed."""
    if "." in key or f"{key}.version" not in current_layout:
        return False
    if current_layout[f"{key}.version"] != "offset=0 size=4":
        return False
    size = lambda v: int(re.search(r"size=(\d+)", v).group(1))
    return size(new) > size(old)


def version_raised(key, old, new):
    """A struct's version constant that rose: allowed beside its growth."""
    return key.endswith("_VERSION") and old.isdigit() and new.isdigit() and int(new) > int(old)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--library", required=True)
    parser.add_argument("--header", required=True)
    parser.add_argument("--baseline", required=True)
    parser.add_argument("--cc", default=os.environ.get("CC", "cc"))
    parser.add_argument("--update", action="store_true")
    args = parser.parse_args()

    with open(args.header) as f:
        header_text = strip_comments(f.read())
    computed = layout(args.header, header_text, args.cc)
    current = {
        "symbols.txt": ("exported symbols (name, nm type, version)", symbols(args.library)),
        "functions.txt": ("functions declared in eventlog.h (result, parameter types)", functions(header_text)),
        "layout.txt": ("struct sizes and field offsets", computed["layout"]),
        "constants.txt": ("values of the EVENTLOG_* constants", computed["constants"]),
    }
    if args.update:
        os.makedirs(args.baseline, exist_ok=True)
        for name, (what, lines) in current.items():
            write(os.path.join(args.baseline, name), lines, what[0].upper() + what[1:])
            print(f"wrote {name}: {len(lines)} entries")
        return 0

    failures = 0
    for name, (what, lines) in current.items():
        baseline = read(os.path.join(args.baseline, name))
        if not baseline:
            print(f"FAIL: no baseline {name} in {args.baseline}")
            failures += 1
            continue
        for key in sorted(baseline):
            if key not in lines:
                print(f"FAIL: {name}: {key} removed (was: {baseline[key]})")
                failures += 1
            elif lines[key] != baseline[key]:
                if name == "layout.txt" and versioned_growth(key, baseline[key], lines[key], lines):
                    print(f"note: {name}: versioned struct {key} grew: {baseline[key]} -> {lines[key]}")
                elif name == "constants.txt" and version_raised(key, baseline[key], lines[key]):
                    print(f"note: {name}: {key} rose: {baseline[key]} -> {lines[key]}")
                else:
                    print(f"FAIL: {name}: {key} changed: {baseline[key]} -> {lines[key]}")
                    failures += 1
        for key in sorted(set(lines) - set(baseline)):
            print(f"note: {name}: {key} added: {lines[key]} (an addition; record it with --update)")
        print(f"{name}: {len(lines)} entries checked against {len(baseline)} in the baseline")
    if failures:
        print(f"FAIL: {failures} ABI breaks. If intended (a new minor version before 1.0), raise the SONAME and")
        print("      the symbol version (CMakeLists.txt, cmake/exports.map) and run check_abi.py --update")
        return 1
    print("abi OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
