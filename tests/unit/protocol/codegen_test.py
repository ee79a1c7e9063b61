"""Tests of tools/codegen itself: the generator must refuse what it does not understand, so that a schema
change upstream is noticed when the schemas are updated rather than on the wire.

    python3 tests/unit/protocol/codegen_test.py      (also run by ctest as protocol_codegen_test)
"""

import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.dont_write_bytecode = True
ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools/codegen"))

import emit_message  # noqa: E402
from naming import cpp_identifier, snake_case  # noqa: E402
from schema import SchemaError, Versions, load_all, load_message, strip_comments  # noqa: E402


def message(**overrides):
    doc = {
        "apiKey": 99, "type": "request", "name": "ExampleRequest", "validVersions": "0-3",
        "flexibleVersions": "2+",
        "fields": [{"name": "TopicName", "type": "string", "versions": "0+", "about": "A topic."}],
    }
    doc.update(overrides)
    return doc


class SchemaFile:
    def __init__(self, doc, text=None):
        self.dir = tempfile.TemporaryDirectory()
        self.path = Path(self.dir.name) / "ExampleRequest.json"
        self.path.write_text(text if text is not None else json.dumps(doc))

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        self.dir.cleanup()


def load(doc):
    with SchemaFile(doc) as path:
        return load_message(path)


class RejectsWhatItDoesNotUnderstand(unittest.TestCase):
    def assert_rejected(self, doc, words):
        with self.assertRaises(SchemaError) as ctx:
            load(doc)
        self.assertIn(words, str(ctx.exception))

    def test_unknown_message_key(self):
        self.assert_rejected(message(deprecatedVersions="0"), "unknown key")

    def test_unknown_field_key(self):
        field = {"name": "X", "type": "int32", "versions": "0+", "sensitive": True}
        self.assert_rejected(message(fields=[field]), "unknown key")

    def test_unknown_type(self):
        self.assert_rejected(message(fields=[{"name": "X", "type": "int128", "versions": "0+"}]), "unknown type")

    def test_unknown_struct_reference(self):
        self.assert_rejected(message(fields=[{"name": "X", "type": "[]Missing", "versions": "0+"}]), "Missing")

    def test_tag_without_tagged_versions(self):
        field = {"name": "X", "type": "int32", "versions": "2+", "tag": 0}
        self.assert_rejected(message(fields=[field]), "tag and taggedVersions")

    def test_tagged_versions_outside_flexible_versions(self):
        field = {"name": "X", "type": "int32", "versions": "0+", "tag": 0, "taggedVersions": "1+"}
        self.assert_rejected(message(fields=[field]), "not all flexible")

    def test_nullable_int(self):
        field = {"name": "X", "type": "int32", "versions": "0+", "nullableVersions": "0+"}
        self.assert_rejected(message(fields=[field]), "cannot be nullable")

    def test_unparseable_default(self):
        field = {"name": "X", "type": "int16", "versions": "0+", "default": "lots"}
        with self.assertRaises(SchemaError):
            emit_message.emit(load(message(fields=[field])))

    def test_default_out_of_range(self):
        field = {"name": "X", "type": "int8", "versions": "0+", "default": "300"}
        with self.assertRaises(SchemaError):
            emit_message.emit(load(message(fields=[field])))

    def test_bad_version_range(self):
        self.assert_rejected(message(validVersions="3-1"), "empty version range")

    def test_field_colliding_with_generated_member(self):
        self.assert_rejected(message(fields=[{"name": "MinVersion", "type": "int16", "versions": "0+"}]),
                             "collides")


class Names(unittest.TestCase):
    def test_snake_case(self):
        self.assertEqual(snake_case("ProduceRequest"), "produce_request")
        self.assertEqual(snake_case("ConsumerProtocolSubscription"), "consumer_protocol_subscription")
        self.assertEqual(snake_case("KRaftVersionFeature"), "k_raft_version_feature")
        self.assertEqual(snake_case("timeoutMs"), "timeout_ms")

    def test_keywords_get_an_underscore(self):
        self.assertEqual(cpp_identifier("default"), "default_")
        self.assertEqual(cpp_identifier("operator"), "operator_")
        self.assertEqual(cpp_identifier("topic"), "topic")

    def test_type_named_like_a_field_gets_a_suffix(self):
        field = {"name": "Assignment", "type": "Assignment", "versions": "0+",
                 "fields": [{"name": "Partitions", "type": "[]int32", "versions": "0+"}]}
        msg = load(message(fields=[field]))
        self.assertEqual(msg.structs[0].cpp_name, "assignment_type")


class Parsing(unittest.TestCase):
    def test_comments_are_stripped_outside_strings(self):
        text = '// header\n{ "a": "x//y", // trailing\n  "b": 1 }\n'
        self.assertEqual(json.loads(strip_comments(text)), {"a": "x//y", "b": 1})

    def test_versions(self):
        self.assertEqual(Versions.parse("3+", "t"), Versions(3, 0x7FFF))
        self.assertEqual(Versions.parse("1-4", "t"), Versions(1, 4))
        self.assertEqual(Versions.parse("5", "t"), Versions(5, 5))
        self.assertTrue(Versions.parse("none", "t").empty)

    def test_version_conditions_are_simplified_against_the_context(self):
        self.assertEqual(emit_message.cond(Versions(0, 0x7FFF), Versions(3, 13)), "true")
        self.assertEqual(emit_message.cond(Versions(9, 0x7FFF), Versions(3, 13)), "_version >= 9")
        self.assertEqual(emit_message.cond(Versions(0, 12), Versions(3, 13)), "_version <= 12")
        self.assertEqual(emit_message.cond(Versions(14, 0x7FFF), Versions(3, 13)), "false")


class VendoredSchemas(unittest.TestCase):
    def test_every_vendored_schema_loads_and_emits(self):
        messages = load_all(ROOT / "src/protocol/schemas")
        self.assertEqual(len(messages), 203)
        for m in messages:
            emit_message.emit(m)


if __name__ == "__main__":
    unittest.main()
