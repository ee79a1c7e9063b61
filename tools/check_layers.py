#!/usr/bin/env python3
"""Fails when a file under src/ includes a header of a layer above its own (docs/architecture.md).

Every folder under src/ is a layer. LAYERS below lists, per layer, the layers it may include directly;
a layer may also include whatever those may include (the closure). An include "x/..." of a folder
that is not a layer, or from a folder that is not in the table, is an error too, so a new layer is
declared here (and in docs/architecture.md) before it is used.

    tools/check_layers.py <src-dir> [--stamp FILE]

The build runs it (src/CMakeLists.txt) whenever a file under src/ changes; --stamp is touched on success.
"""
import argparse
import pathlib
import re
import sys

# layer -> the layers beneath it that it uses directly. Keep in step with docs/architecture.md.
LAYERS = {
    "app": {"server", "kafka", "groups", "cluster", "rpc", "storage", "net"},
    "server": {"kafka", "net"},
    "kafka": {"groups", "cluster", "protocol", "net"},
    "groups": {"cluster", "storage", "protocol", "net"},
    "cluster": {"raft", "rpc", "storage", "protocol", "net"},
    "raft": {"storage", "model"},
    "storage": {"protocol", "util", "net"},
    "rpc": {"protocol", "net"},
    "protocol": {"util", "model", "bytes"},
    "net": set(),
    "util": {"bytes"},
    "model": set(),
    "bytes": set(),
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/', re.MULTILINE)


def allowed(layer, memo={}):
    """The layers `layer` may include: itself and the closure of its direct dependencies."""
    if layer not in memo:
        out = {layer}
        for below in LAYERS[layer]:
            out |= allowed(below)
        memo[layer] = out
    return memo[layer]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("--stamp")
    args = ap.parse_args()
    src = pathlib.Path(args.src)
    errors = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".h", ".cc", ".cpp", ".hpp") or not path.is_file():
            continue
        rel = path.relative_to(src)
        if len(rel.parts) < 2:
            continue
        layer = rel.parts[0]
        if layer not in LAYERS:
            errors.append(f"{rel}: src/{layer}/ is not a layer in tools/check_layers.py")
            continue
        text = path.read_text(errors="replace")
        for m in INCLUDE.finditer(text):
            target = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            if target not in LAYERS:
                if (src / target).is_dir():
                    errors.append(f"{rel}:{line}: includes {target}/, which is not a layer in tools/check_layers.py")
                continue  # a library's header that happens to use quotes
            if target not in allowed(layer):
                errors.append(f"{rel}:{line}: {layer}/ includes {target}/, a layer above it "
                              f"({layer}/ may use {', '.join(sorted(allowed(layer) - {layer})) or 'nothing'})")
    if errors:
        print("upward includes between layers (docs/architecture.md):", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    if args.stamp:
        pathlib.Path(args.stamp).touch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
