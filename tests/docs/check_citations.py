#!/usr/bin/env python3
"""check_citations.py - fails when a document quotes code that is no longer there.

A citation is an HTML comment on a line of its own, invisible when the Markdown
is rendered:

    <!-- cite: src/core/session.cpp serve_client dispatch_lines -->

It names a file (relative to the repository root) and one or more names that
must appear in that file as whole words (`session_registry::close_all` works
too). When the next non-blank line opens a fenced code block, that block is an
excerpt of the file: each of its lines must be found in the file, in the same
order. Blanks and line breaks are ignored in the comparison, so reformatting
the code (clang-format moving a line break) does not make an excerpt stale,
but changing a token does. A line that is just `...`, or that starts with
`// ...`, stands for code left out. Besides, every `src/...`, `tests/...` or `docs/...`
path written in backticks must exist.

usage: check_citations.py --root REPO DOC.md [DOC.md ...]
Prints one line per stale citation and exits 1 if there is any.
"""
import argparse
import pathlib
import re
import sys

CITE = re.compile(r"^\s*<!--\s*cite:\s*(\S+)((?:\s+[^\s>]+)*)\s*-->\s*$")
FENCE = re.compile(r"^\s*(```+|~~~+)")
PATH_IN_BACKTICKS = re.compile(r"`((?:src|tests|docs|tools|scripts)/[A-Za-z0-9_./-]*[A-Za-z0-9_])`")


def without_blanks(text):
    return "".join(text.split())


def has_word(text, name):
    return re.search(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])", text) is not None


def excerpt_after(lines, index):
    """The fenced block that follows line `index` (blank lines between allowed): [(line_number, text)]."""
    at = index + 1
    while at < len(lines) and not lines[at].strip():
        at += 1
    if at >= len(lines):
        return None
    opening = FENCE.match(lines[at])
    if not opening:
        return None
    fence = opening.group(1)
    block = []
    at += 1
    while at < len(lines) and not lines[at].strip().startswith(fence):
        block.append((at + 1, lines[at]))
        at += 1
    return block


def check_excerpt(doc, source_path, source_text, block):
    problems = []
    source = without_blanks(source_text)
    position = 0
    for line_number, raw in block:
        squeezed = " ".join(raw.split())
        if squeezed == "..." or squeezed.startswith("// ..."):
            continue
        wanted = without_blanks(raw)
        if not wanted:
            continue
        found = source.find(wanted, position)
        if found < 0:
            where = "not after the excerpt's previous line" if wanted in source else "not"
            problems.append(f"{doc}:{line_number}: quoted line {where} found in {source_path}: {raw.strip()}")
            continue
        position = found + len(wanted)
    return problems


def check_document(root, doc):
    problems = []
    count = 0
    doc_path = root / doc
    lines = doc_path.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        for path in PATH_IN_BACKTICKS.findall(line):
            if not (root / path).exists():
                problems.append(f"{doc}:{index + 1}: no such file or folder: {path}")
        match = CITE.match(line)
        if not match:
            continue
        count += 1
        source_path = match.group(1)
        names = match.group(2).split()
        source = root / source_path
        if not source.is_file():
            problems.append(f"{doc}:{index + 1}: cited file is missing: {source_path}")
            continue
        text = source.read_text(encoding="utf-8", errors="replace")
        for name in names:
            if not has_word(text, name):
                problems.append(f"{doc}:{index + 1}: {source_path} no longer has `{name}`")
        block = excerpt_after(lines, index)
        if block is not None:
            problems += check_excerpt(doc, source_path, text, block)
    return count, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, type=pathlib.Path, help="the repository's root")
    parser.add_argument("documents", nargs="+", help="Markdown files, relative to the root")
    args = parser.parse_args()

    total = 0
    problems = []
    for doc in args.documents:
        count, found = check_document(args.root, doc)
        total += count
        problems += found
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} stale citations in {', '.join(args.documents)}: update the document or the code")
        return 1
    if total == 0:
        print(f"no citations found in {', '.join(args.documents)}: nothing was checked")
        return 1
    print(f"{total} citations checked in {', '.join(args.documents)}: all found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
