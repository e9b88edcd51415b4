#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the man pages and shell completions of the eventlog tool from its own help.

The tool's argument parser describes every command and option; its
`--experimental-dump-help` prints that as JSON, and this script turns it into
eventlog(1) and one page per subcommand, eventlog-<command>(1). The parser
also writes the bash, zsh and fish completion scripts. Run at build time on
the tool just built, so neither drifts from it.

  tooldocs.py TOOL VERSION MAN1_DIR COMPLETIONS_DIR
writes MAN1_DIR/*.1 and COMPLETIONS_DIR/{eventlog,_eventlog,eventlog.fish}
(bash, zsh, fish).
"""
import json
import os
import re
import subprocess
import sys

EXIT_STATUS = [("0", "success"), ("1", "failure; the message on standard error names the file, "
                                  "offset or argument concerned"),
               ("2", "usage error"), ("3", "verify found damage")]


def roff(text):
    """Escapes running text for roff."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + line if line[:1] in (".", "'") else line for line in text.split("\n"))


def paragraphs(text):
    """Running text as .PP paragraphs; indented blocks (examples) as no-fill displays."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.split("\n")
        head, rest = [], lines
        while rest and not rest[0].startswith(" "):
            head.append(rest.pop(0))
        if head:
            out += [".PP", roff(" ".join(line.strip() for line in head))]
        if rest:
            out += [".PP" if not head else ".sp 0.5", ".RS 4", ".nf"]
            out += [roff(line[2:] if line.startswith("  ") else line) for line in rest]
            out += [".fi", ".RE"]
    return out


def name_of(name):
    return ("-" if name["kind"] == "short" else "--") + name["name"]


def synopsis_of(arg):
    if arg["kind"] == "positional":
        text = f"\\fI{arg['valueName']}\\fR"
    else:
        text = f"\\fB{roff(name_of(arg['preferredName']))}\\fR"
        if arg["kind"] == "option":
            text += f" \\fI{arg['valueName']}\\fR"
    if arg.get("isRepeating"):
        text += " ..."
    return f"[{text}]" if arg.get("isOptional") else text


def options(arguments):
    out = []
    for arg in arguments:
        if not arg.get("shouldDisplay", True):
            continue
        if arg["kind"] == "positional":
            tag = f"\\fI{arg['valueName']}\\fR"
        else:
            names = ", ".join(f"\\fB{roff(name_of(n))}\\fR" for n in arg["names"])
            tag = names + (f" \\fI{arg['valueName']}\\fR" if arg["kind"] == "option" else "")
        out += [".TP", tag, roff(arg.get("abstract", "")) or "\\&"]
        if arg.get("discussion"):
            out.append(roff(arg["discussion"] if isinstance(arg["discussion"], str) else ""))
        if arg.get("defaultValue"):
            out.append(f"(default: {roff(arg['defaultValue'])})")
    return out


def header(title, version, summary):
    return [f'.TH "{title.upper()}" "1" "" "eventlog {version}" "libeventlog"',
            ".SH NAME", f"{roff(title)} \\- {roff(summary)}"]


def page_for_command(root, command, version):
    title = f"eventlog-{command['commandName']}"
    args = [a for a in command.get("arguments", []) if a.get("shouldDisplay", True)]
    lines = header(title, version, command.get("abstract", "").rstrip("."))
    lines += [".SH SYNOPSIS", ".B eventlog " + command["commandName"]]
    lines += [" ".join(synopsis_of(a) for a in args)] if args else []
    lines += [".SH DESCRIPTION"] + paragraphs(command.get("abstract", "") + "\n\n" + command.get("discussion", ""))
    if args:
        lines += [".SH OPTIONS"] + options(args)
    lines += exit_status()
    lines += [".SH SEE ALSO", "\\fBeventlog\\fR(1), \\fBlibeventlog\\fR(3)"]
    return title, lines


def exit_status():
    out = [".SH EXIT STATUS"]
    for code, meaning in EXIT_STATUS:
        out += [".TP", f"\\fB{code}\\fR", roff(meaning)]
    return out


def main():
    tool, version, outdir, completions = sys.argv[1:5]
    dump = json.loads(subprocess.run([tool, "--experimental-dump-help"], check=True,
                                     capture_output=True, text=True).stdout)
    root = dump["command"]
    subcommands = [c for c in root.get("subcommands", [])
                   if c.get("shouldDisplay", True) and c["commandName"] != "help"]
    pages = {}
    lines = header("eventlog", version, root.get("abstract", "").rstrip("."))
    lines += [".SH SYNOPSIS", ".B eventlog", "\\fIcommand\\fR \\fIdirectory\\fR [\\fIoptions\\fR]",
              ".br", ".B eventlog help", "\\fIcommand\\fR"]
    lines += [".SH DESCRIPTION"] + paragraphs(root.get("abstract", "") + "\n\n" + root.get("discussion", ""))
    lines += [".SH COMMANDS"]
    for command in subcommands:
        lines += [".TP", f"\\fBeventlog-{command['commandName']}\\fR(1)", roff(command.get("abstract", ""))]
    top_options = [a for a in root.get("arguments", []) if a.get("shouldDisplay", True)]
    if top_options:
        lines += [".SH OPTIONS"] + options(top_options)
    lines += exit_status()
    lines += [".SH SEE ALSO", ", ".join([f"\\fBeventlog-{c['commandName']}\\fR(1)" for c in subcommands]
                                        + ["\\fBlibeventlog\\fR(3)"])]
    pages["eventlog"] = lines
    for command in subcommands:
        title, page = page_for_command(root, command, version)
        pages[title] = page

    os.makedirs(outdir, exist_ok=True)
    for old in os.listdir(outdir):
        if old.endswith(".1") and old[:-2] not in pages:
            os.remove(os.path.join(outdir, old))
    for title, page in pages.items():
        write_if_changed(os.path.join(outdir, f"{title}.1"), "\n".join(page) + "\n")

    os.makedirs(completions, exist_ok=True)
    for shell, name in (("bash", "eventlog"), ("zsh", "_eventlog"), ("fish", "eventlog.fish")):
        script = subprocess.run([tool, "--generate-completion-script", shell], check=True,
                                capture_output=True, text=True).stdout
        write_if_changed(os.path.join(completions, name), script)
    return 0


def write_if_changed(path, text):
    if not os.path.exists(path) or open(path).read() != text:
        with open(path, "w") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
