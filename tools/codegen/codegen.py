#!/usr/bin/env python3
"""Generates the C++ codecs of the Kafka protocol from Kafka's JSON message schemas.

    codegen.py --schemas src/protocol/schemas --out build/generated
    codegen.py --schemas src/protocol/schemas --list-outputs
    codegen.py --schemas src/protocol/metadata_schemas --messages-only --out build/generated_metadata

Writes, under --out:
    protocol/messages/<message>.{h,cc}    one struct per schema (library tributary_protocol)
    protocol/api_keys.h, protocol/all_apis.h    the API registry
    protocol/testing/random_messages.h, protocol/testing/<message>_random.cc
                                          random message filling for tests (tributary_protocol_testing)
--messages-only writes the message files alone (no registry, no testing files), for schema sets that
are not APIs, such as the KRaft metadata records (src/protocol/metadata_schemas).
A file is rewritten only when its content changes, so unchanged messages are not recompiled.
See docs/formats/protocol-codegen.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# The generator runs from the build; keep the source tree free of __pycache__ directories.
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

import emit_message  # noqa: E402
import emit_registry  # noqa: E402
import emit_testing  # noqa: E402
from schema import SchemaError, load_all  # noqa: E402


def outputs(messages, messages_only: bool = False) -> dict[str, dict[str, callable]]:
    """Every output file, relative to --out, grouped by library, with a function producing its text."""
    lib: dict[str, callable] = {}
    testing: dict[str, callable] = {}
    for m in messages:
        rendered = {}

        def render(m=m, rendered=rendered):
            if not rendered:
                rendered["h"], rendered["cc"] = emit_message.emit(m)
            return rendered

        lib[f"protocol/messages/{m.file_stem}.h"] = lambda r=render: r()["h"]
        lib[f"protocol/messages/{m.file_stem}.cc"] = lambda r=render: r()["cc"]
        if m.supported:
            testing[f"protocol/testing/{m.file_stem}_random.cc"] = lambda m=m: emit_testing.emit(m)
    if messages_only:
        return {"lib": lib}
    lib["protocol/api_keys.h"] = lambda: emit_registry.api_keys_header(messages)
    lib["protocol/all_apis.h"] = lambda: emit_registry.all_apis_header(messages)
    testing["protocol/testing/random_messages.h"] = lambda: emit_testing.random_header(messages)
    return {"lib": lib, "testing": testing}


def write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schemas", required=True, type=Path, help="directory of Kafka *.json schemas")
    ap.add_argument("--out", type=Path, help="output directory (the generated include root)")
    ap.add_argument("--list-outputs", action="store_true",
                    help="print '<group> <relative path>' for every output, write nothing")
    ap.add_argument("--messages-only", action="store_true",
                    help="generate the message files only (no API registry, no testing files)")
    args = ap.parse_args()

    try:
        messages = load_all(args.schemas)
        files = outputs(messages, args.messages_only)
        if args.list_outputs:
            for group, entries in files.items():
                for rel in entries:
                    print(f"{group} {rel}")
            return 0
        if args.out is None:
            ap.error("--out is required unless --list-outputs is given")
        changed = 0
        for entries in files.values():
            for rel, render in entries.items():
                changed += write_if_changed(args.out / rel, render())
        print(f"codegen: {len(messages)} schemas, {changed} file(s) updated", file=sys.stderr)
    except SchemaError as e:
        print(f"codegen: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
