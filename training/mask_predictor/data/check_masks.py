#!/usr/bin/env python3
"""Validate masks.tsv against the labelling scheme in shared/mask-labels.md.

Stdlib only. Exits non-zero with a message naming the offending line on:
wrong header, wrong column count, empty name, token/label count mismatch,
unknown label, unknown source key, duplicate name. On success prints counts.

Usage: python check_masks.py [path/to/masks.tsv]
"""

import collections
import os
import re
import sys

HEADER = "name\tlabels\tsource"
LABELS = ["brand", "model", "filter_type", "size", "color", "style", "strap", "valved", "misc"]
SOURCES = ["niosh-cel", "maker-catalog", "retail-listing", "kf94-mfds", "en149"]
TOKEN_RE = re.compile(r"[^\s(),]+")


def tokenize(name):
    return TOKEN_RE.findall(name)


def fail(path, lineno, msg):
    print(f"{path}:{lineno}: {msg}", file=sys.stderr)
    sys.exit(1)


def main(argv):
    path = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "masks.tsv")
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != HEADER:
        fail(path, 1, f"wrong header: expected {HEADER!r}, got {lines[0] if lines else ''!r}")

    seen = {}
    n_tokens = 0
    per_label = collections.Counter()
    names_per_label = collections.Counter()
    per_source = collections.Counter()
    per_brand = collections.Counter()
    for lineno, line in enumerate(lines[1:], start=2):
        if line.startswith("#") or not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) != 3:
            fail(path, lineno, f"expected 3 tab-separated columns, got {len(cols)}")
        name, labels, source = cols
        if not name.strip():
            fail(path, lineno, "empty name")
        tokens = tokenize(name)
        if not tokens:
            fail(path, lineno, f"name has no tokens: {name!r}")
        labs = labels.split(" ")
        if len(labs) != len(tokens):
            fail(path, lineno, f"{len(tokens)} tokens but {len(labs)} labels: {name!r} -> {tokens}")
        for tok, lab in zip(tokens, labs, strict=False):
            if lab not in LABELS:
                fail(path, lineno, f"unknown label {lab!r} on token {tok!r} in {name!r}")
        if source not in SOURCES:
            fail(path, lineno, f"unknown source {source!r} (allowed: {', '.join(SOURCES)})")
        if name in seen:
            fail(path, lineno, f"duplicate name {name!r} (first on line {seen[name]})")
        seen[name] = lineno
        n_tokens += len(tokens)
        per_label.update(labs)
        names_per_label.update(set(labs))
        per_source[source] += 1
        per_brand[" ".join(t for t, label in zip(tokens, labs, strict=False) if label == "brand") or "(no brand)"] += 1

    print(f"OK: {path}")
    print(f"names: {len(seen)}")
    print(f"tokens: {n_tokens}")
    print("per label (tokens / names containing it):")
    for lab in LABELS:
        print(f"  {lab:<12} {per_label[lab]:>5} / {names_per_label[lab]:>4}")
    print("per source:")
    for src in SOURCES:
        print(f"  {src:<15} {per_source[src]:>4}")
    print("per brand string (brand tokens as written):")
    for brand, n in sorted(per_brand.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {brand:<28} {n:>4}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
