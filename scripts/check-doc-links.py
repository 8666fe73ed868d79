#!/usr/bin/env python3
"""Check that every relative link in the repository's Markdown resolves: the file exists and, for a
`#fragment` into a Markdown file, a heading with that GitHub anchor exists. External links are not fetched.

Usage: scripts/check-doc-links.py [--ignore PATH ...] [FILE.md ...]   (default: README.md and docs/**/*.md)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")  # [text](target) and ![alt](image)
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def strip_code(text: str) -> list[str]:
    """The lines outside fenced code blocks, with inline code removed (links there are examples)."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append(re.sub(r"`[^`]*`", "", line))
    return out


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, duplicates numbered."""
    seen: dict[str, int] = {}
    result = set()
    for line in strip_code(path.read_text(encoding="utf-8")):
        m = HEADING.match(line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        result.add(slug if n == 0 else f"{slug}-{n}")
    return result


def check(md: Path, ignore: set[Path]) -> list[str]:
    errors = []
    for target in (t for line in strip_code(md.read_text(encoding="utf-8")) for t in LINK.findall(line)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue
        path_part, _, fragment = target.partition("#")
        dest = (md.parent / path_part).resolve() if path_part else md.resolve()
        rel = md.relative_to(ROOT)
        if dest in ignore:
            continue
        if not dest.exists():
            errors.append(f"{rel}: {target}: no such file")
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            errors.append(f"{rel}: {target}: no heading #{fragment} in {dest.relative_to(ROOT)}")
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ignore", action="append", default=[], help="a link target to accept unchecked")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    files = args.files or [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    ignore = {(ROOT / p).resolve() for p in args.ignore}
    errors = [e for f in files for e in check(f.resolve(), ignore)]
    print("\n".join(errors) or f"{len(files)} files: every relative link resolves")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
