"""Loading and validating Kafka's JSON message schemas.

The schemas are JSON with `//` comments. Everything the generator does not understand is an error, so a
new key or type in a future schema is noticed when the schemas are updated, not on the wire.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from naming import cpp_identifier, snake_case

MAX_VERSION = 0x7FFF

PRIMITIVES = {"bool", "int8", "int16", "uint16", "int32", "int64", "float64", "uuid", "string", "bytes",
              "records"}
# "metadata": KRaft metadata log records (their apiKey is the record type, not an API).
MESSAGE_KINDS = {"request", "response", "header", "data", "metadata"}
MESSAGE_KEYS = {"apiKey", "type", "listeners", "name", "validVersions", "flexibleVersions", "fields",
                "commonStructs", "latestVersionUnstable"}
COMMON_STRUCT_KEYS = {"name", "versions", "fields"}
FIELD_KEYS = {"name", "type", "versions", "about", "fields", "default", "entityType", "nullableVersions",
              "ignorable", "mapKey", "tag", "taggedVersions", "zeroCopy", "flexibleVersions"}
# entityType values that change the C++ type; every other entityType keeps the plain type.
ENTITY_TYPES = {"brokerId": ("int32", "::tributary::model::node_id"),
                "producerId": ("int64", "::tributary::model::producer_id")}


class SchemaError(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class Versions:
    """An inclusive range of versions; empty when lo > hi."""
    lo: int
    hi: int

    @staticmethod
    def parse(text: str | None, where: str) -> "Versions":
        if text is None:
            raise SchemaError(f"{where}: missing version range")
        text = text.strip()
        if text == "none":
            return NONE
        m = re.fullmatch(r"(\d+)\+", text)
        if m:
            return Versions(int(m.group(1)), MAX_VERSION)
        m = re.fullmatch(r"(\d+)-(\d+)", text)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo > hi:
                raise SchemaError(f"{where}: empty version range {text!r}")
            return Versions(lo, hi)
        m = re.fullmatch(r"\d+", text)
        if m:
            return Versions(int(text), int(text))
        raise SchemaError(f"{where}: cannot parse version range {text!r}")

    @property
    def empty(self) -> bool:
        return self.lo > self.hi

    def intersect(self, other: "Versions") -> "Versions":
        r = Versions(max(self.lo, other.lo), min(self.hi, other.hi))
        return NONE if r.empty else r

    def contains(self, v: int) -> bool:
        return self.lo <= v <= self.hi

    def contains_range(self, other: "Versions") -> bool:
        return other.empty or (self.lo <= other.lo and other.hi <= self.hi)

    def minus_open_ended(self, other: "Versions") -> "Versions":
        """self without `other`, where `other` is empty or open-ended (N+)."""
        if other.empty:
            return self
        assert other.hi == MAX_VERSION
        r = Versions(self.lo, min(self.hi, other.lo - 1))
        return NONE if r.empty else r

    def __iter__(self):
        return iter(range(self.lo, self.hi + 1)) if not self.empty else iter(())

    def __str__(self) -> str:
        if self.empty:
            return "none"
        if self.hi == MAX_VERSION:
            return f"{self.lo}+"
        return f"{self.lo}" if self.lo == self.hi else f"{self.lo}-{self.hi}"


NONE = Versions(1, 0)
ALL = Versions(0, MAX_VERSION)


@dataclasses.dataclass
class Field:
    name: str               # the schema's PascalCase name
    cpp_name: str           # the C++ member name
    type: str               # as written in the schema ("int32", "[]string", "[]TopicData", "Cursor")
    versions: Versions
    nullable_versions: Versions
    tagged_versions: Versions
    tag: int | None
    flexible_versions: Versions | None   # per-field override of the message's flexible versions
    default: object         # the raw "default" value, or None when absent
    entity_type: str | None
    about: str
    struct: "Struct | None" = None        # for struct and struct-array fields

    @property
    def is_array(self) -> bool:
        return self.type.startswith("[]")

    @property
    def element_type(self) -> str:
        return self.type[2:] if self.is_array else self.type

    @property
    def is_struct(self) -> bool:
        """A single struct (not an array of them)."""
        return not self.is_array and self.struct is not None

    @property
    def is_struct_array(self) -> bool:
        return self.is_array and self.struct is not None

    @property
    def nullable(self) -> bool:
        """Whether the C++ member must be able to hold null (nullable in some version it exists in)."""
        return not self.nullable_versions.intersect(self.versions).empty

    @property
    def untagged_versions(self) -> Versions:
        return self.versions.minus_open_ended(self.tagged_versions.intersect(self.versions))

    @property
    def present_tagged_versions(self) -> Versions:
        return self.tagged_versions.intersect(self.versions)

    @property
    def default_is_null(self) -> bool:
        return isinstance(self.default, str) and self.default.strip() == "null"


@dataclasses.dataclass
class Struct:
    name: str               # the schema's type name ("TopicProduceData")
    cpp_name: str           # the nested C++ type name
    fields: list[Field]
    versions: Versions      # the versions in which the struct can be encoded (context for conditions)
    is_common: bool = False

    def tagged_fields(self) -> list[Field]:
        return sorted((f for f in self.fields if f.tag is not None), key=lambda f: f.tag)


@dataclasses.dataclass
class Message:
    source: str             # the schema file, relative to src/protocol ("schemas/ProduceRequest.json")
    name: str               # "ProduceRequest"
    cpp_name: str           # "produce_request"
    kind: str               # request, response, header, data
    api_key: int | None
    valid_versions: Versions
    flexible_versions: Versions
    latest_version_unstable: bool
    listeners: list[str]
    root: Struct            # the message's own fields
    structs: list[Struct]   # every nested struct, common ones first, each after the structs it uses

    @property
    def file_stem(self) -> str:
        return self.cpp_name

    @property
    def first_flexible_version(self) -> int:
        return -1 if self.flexible_versions.empty else self.flexible_versions.lo

    @property
    def supported(self) -> bool:
        return not self.valid_versions.empty


def strip_comments(text: str) -> str:
    """Drops `//` comment lines and trailing `//` comments outside JSON strings."""
    out = []
    for line in text.splitlines():
        if line.strip().startswith("//"):
            continue
        in_string = False
        escaped = False
        cut = len(line)
        for i, ch in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch == "/" and line.startswith("//", i):
                cut = i
                break
        out.append(line[:cut])
    return "\n".join(out)


def _check_keys(obj: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise SchemaError(f"{where}: unknown key(s) {unknown}; teach tools/codegen about them")


class _Loader:
    def __init__(self, path: Path, doc: dict):
        self.path = path
        self.doc = doc
        self.where = path.name
        self.common_docs: dict[str, dict] = {}
        self.structs: dict[str, Struct] = {}      # by schema type name
        self.order: list[Struct] = []

    def load(self) -> Message:
        doc = self.doc
        _check_keys(doc, MESSAGE_KEYS, self.where)
        kind = doc.get("type")
        if kind not in MESSAGE_KINDS:
            raise SchemaError(f"{self.where}: unknown message type {kind!r}")
        name = doc["name"]
        if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", name):
            raise SchemaError(f"{self.where}: bad message name {name!r}")
        api_key = doc.get("apiKey")
        if (api_key is None) != (kind in ("header", "data")):
            raise SchemaError(f"{self.where}: apiKey must be given exactly for requests, responses and metadata records")
        valid = Versions.parse(doc.get("validVersions"), f"{self.where} validVersions")
        flexible = Versions.parse(doc.get("flexibleVersions", "none"), f"{self.where} flexibleVersions")
        if not flexible.empty and flexible.hi != MAX_VERSION:
            raise SchemaError(f"{self.where}: flexibleVersions must be open-ended")
        unstable = doc.get("latestVersionUnstable", False)
        if not isinstance(unstable, bool):
            raise SchemaError(f"{self.where}: latestVersionUnstable must be a boolean")
        listeners = doc.get("listeners", [])
        self.flexible = flexible
        self.valid = valid

        for cs in doc.get("commonStructs", []):
            _check_keys(cs, COMMON_STRUCT_KEYS, f"{self.where} commonStructs")
            if cs["name"] in self.common_docs:
                raise SchemaError(f"{self.where}: common struct {cs['name']} declared twice")
            self.common_docs[cs["name"]] = cs

        if not valid.empty and "fields" not in doc:
            raise SchemaError(f"{self.where}: no fields")
        root = Struct(name=name, cpp_name=snake_case(name), fields=[], versions=valid)
        root.fields = self.fields(doc.get("fields", []), root, valid, name)
        for cs_name in self.common_docs:
            if cs_name not in self.structs:
                raise SchemaError(f"{self.where}: common struct {cs_name} is never used")

        msg = Message(source=f"{self.path.parent.name}/{self.path.name}", name=name, cpp_name=snake_case(name), kind=kind,
                      api_key=api_key, valid_versions=valid, flexible_versions=flexible,
                      latest_version_unstable=unstable, listeners=listeners, root=root,
                      structs=self.order)
        _assign_type_names(msg)
        return msg

    def struct_for(self, field_doc: dict, type_name: str, context: Versions, where: str) -> Struct:
        if "fields" in field_doc:
            if type_name in self.structs or type_name in self.common_docs:
                raise SchemaError(f"{where}: struct type {type_name} declared twice")
            s = Struct(name=type_name, cpp_name="", fields=[], versions=context)
            self.structs[type_name] = s
            s.fields = self.fields(field_doc["fields"], s, context, where)
            self.order.append(s)
            return s
        if type_name in self.structs:
            s = self.structs[type_name]
            if not s.is_common:
                raise SchemaError(f"{where}: struct type {type_name} is declared inline elsewhere; "
                                  "only commonStructs may be shared")
            return s
        cs = self.common_docs.get(type_name)
        if cs is None:
            raise SchemaError(f"{where}: unknown type {type_name!r}")
        declared = Versions.parse(cs.get("versions"), f"{where} common struct {type_name}")
        s = Struct(name=type_name, cpp_name="", fields=[], versions=declared.intersect(self.valid),
                   is_common=True)
        self.structs[type_name] = s
        s.fields = self.fields(cs["fields"], s, s.versions, f"{self.where} {type_name}")
        self.order.append(s)
        return s

    def fields(self, docs: list, owner: Struct, context: Versions, where: str) -> list[Field]:
        result = []
        names = set()
        tags = set()
        for fd in docs:
            _check_keys(fd, FIELD_KEYS, f"{where}.{fd.get('name', '?')}")
            fname = fd.get("name")
            if not isinstance(fname, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", fname):
                raise SchemaError(f"{where}: bad field name {fname!r}")
            fwhere = f"{where}.{fname}"
            if fname in names:
                raise SchemaError(f"{fwhere}: duplicate field name")
            names.add(fname)
            ftype = fd.get("type")
            if not isinstance(ftype, str) or not re.fullmatch(r"(\[\])?[A-Za-z][A-Za-z0-9]*", ftype):
                raise SchemaError(f"{fwhere}: bad type {ftype!r}")
            versions = Versions.parse(fd.get("versions"), f"{fwhere} versions")
            nullable = Versions.parse(fd.get("nullableVersions", "none"), f"{fwhere} nullableVersions")
            tagged = Versions.parse(fd.get("taggedVersions", "none"), f"{fwhere} taggedVersions")
            tag = fd.get("tag")
            flex_override = None
            if "flexibleVersions" in fd:
                flex_override = Versions.parse(fd["flexibleVersions"], f"{fwhere} flexibleVersions")
            for key in ("ignorable", "mapKey", "zeroCopy"):
                if key in fd and not isinstance(fd[key], bool):
                    raise SchemaError(f"{fwhere}: {key} must be a boolean")
            entity = fd.get("entityType")
            about = fd.get("about", "")
            if not isinstance(about, str):
                raise SchemaError(f"{fwhere}: about must be a string")

            if (tag is None) != tagged.empty:
                raise SchemaError(f"{fwhere}: tag and taggedVersions must be given together")
            if tag is not None:
                if not isinstance(tag, int) or tag < 0 or tag > 0xFFFFFFFF:
                    raise SchemaError(f"{fwhere}: bad tag {tag!r}")
                if tag in tags:
                    raise SchemaError(f"{fwhere}: tag {tag} used twice")
                tags.add(tag)
                if tagged.hi != MAX_VERSION:
                    raise SchemaError(f"{fwhere}: taggedVersions must be open-ended")
                if not self.flexible.contains_range(tagged):
                    raise SchemaError(f"{fwhere}: taggedVersions {tagged} are not all flexible")
                if not versions.contains_range(tagged):
                    raise SchemaError(f"{fwhere}: taggedVersions {tagged} outside versions {versions}")

            elem = ftype[2:] if ftype.startswith("[]") else ftype
            is_array = ftype.startswith("[]")
            struct = None
            if elem not in PRIMITIVES:
                if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", elem):
                    raise SchemaError(f"{fwhere}: unknown type {ftype!r}")
                struct = self.struct_for(fd, elem, context.intersect(versions), fwhere)
            elif "fields" in fd:
                raise SchemaError(f"{fwhere}: a {ftype} field cannot have fields")
            if is_array and elem == "records":
                raise SchemaError(f"{fwhere}: arrays of records are not supported")
            if elem == "records" and tag is not None:
                raise SchemaError(f"{fwhere}: records cannot be tagged")
            if not nullable.empty and elem in PRIMITIVES - {"string", "bytes", "records"} and not is_array:
                raise SchemaError(f"{fwhere}: a {ftype} field cannot be nullable")
            if entity is not None:
                if not isinstance(entity, str):
                    raise SchemaError(f"{fwhere}: entityType must be a string")
                mapped = ENTITY_TYPES.get(entity)
                if mapped and mapped[0] != elem:
                    raise SchemaError(f"{fwhere}: entityType {entity} on a {ftype} field")
            if flex_override is not None and not (elem in ("string", "bytes") or is_array):
                raise SchemaError(f"{fwhere}: flexibleVersions only makes sense on variable-length fields")

            f = Field(name=fname, cpp_name=cpp_identifier(snake_case(fname)), type=ftype,
                      versions=versions, nullable_versions=nullable, tagged_versions=tagged, tag=tag,
                      flexible_versions=flex_override, default=fd.get("default"), entity_type=entity,
                      about=about, struct=struct)
            if f.default_is_null and not f.nullable:
                raise SchemaError(f"{fwhere}: default null on a field that is never nullable")
            if f.default is not None and struct is not None and not f.default_is_null:
                raise SchemaError(f"{fwhere}: a struct default can only be null")
            result.append(f)
        return result


def _walk_fields(struct: Struct, seen: set):
    for f in struct.fields:
        yield f
        if f.struct is not None and id(f.struct) not in seen:
            seen.add(id(f.struct))
            yield from _walk_fields(f.struct, seen)


# Members of a top-level message struct besides its fields; nested type names must avoid them too.
RESERVED_MEMBERS = {"decode", "encode", "unknown_tagged_fields", "api_key", "min_version", "max_version",
                    "first_flexible_version", "latest_version_unstable", "message_name"}
# Members of nested structs (which have no static metadata).
NESTED_RESERVED_MEMBERS = {"decode", "encode", "unknown_tagged_fields"}


def _assign_type_names(msg: Message) -> None:
    """Names nested types snake_case; a type whose name equals a member name anywhere in the message gets
    a `_type` suffix, because C++ forbids a class member from changing the meaning of a name already
    used in the class (`std::vector<assignment> assignment;`)."""
    member_names = {f.cpp_name for f in _walk_fields(msg.root, set())} | RESERVED_MEMBERS
    taken = set()
    for s in msg.structs:
        base = cpp_identifier(snake_case(s.name))
        name = base + "_type" if base in member_names else base
        if name in taken or name in member_names or name == msg.cpp_name:
            raise SchemaError(f"{msg.source}: nested type name {name} is ambiguous")
        taken.add(name)
        s.cpp_name = name
    for f in msg.root.fields:
        if f.cpp_name in RESERVED_MEMBERS:
            raise SchemaError(f"{msg.source}: field {f.name} collides with a generated member")
    for f in _walk_fields(msg.root, set()):
        if f.cpp_name in NESTED_RESERVED_MEMBERS:
            raise SchemaError(f"{msg.source}: field {f.name} collides with a generated member")


def load_message(path: Path) -> Message:
    try:
        doc = json.loads(strip_comments(path.read_text()))
    except json.JSONDecodeError as e:
        raise SchemaError(f"{path.name}: invalid JSON: {e}") from e
    return _Loader(path, doc).load()


def load_all(schema_dir: Path) -> list[Message]:
    messages = [load_message(p) for p in sorted(schema_dir.glob("*.json"))]
    by_name = {}
    for m in messages:
        if m.cpp_name in by_name:
            raise SchemaError(f"{m.source}: name {m.cpp_name} also used by {by_name[m.cpp_name]}")
        by_name[m.cpp_name] = m.source
    keys: dict[tuple[int, str], str] = {}
    for m in messages:
        if m.api_key is not None:
            k = (m.api_key, m.kind)
            if k in keys:
                raise SchemaError(f"{m.source}: api key {m.api_key} {m.kind} also in {keys[k]}")
            keys[k] = m.source
    return messages
