"""C++ types, defaults and wire sizes of schema fields."""

from __future__ import annotations

from schema import ENTITY_TYPES, Field, Message, SchemaError, Struct, Versions

INT_TYPES = {
    "int8": ("std::int8_t", -(1 << 7), (1 << 7) - 1, 1),
    "int16": ("std::int16_t", -(1 << 15), (1 << 15) - 1, 2),
    "uint16": ("std::uint16_t", 0, (1 << 16) - 1, 2),
    "int32": ("std::int32_t", -(1 << 31), (1 << 31) - 1, 4),
    "int64": ("std::int64_t", -(1 << 63), (1 << 63) - 1, 8),
}
FIXED_SIZES = {"bool": 1, "float64": 8, "uuid": 16, **{k: v[3] for k, v in INT_TYPES.items()}}

UUID = "::tributary::model::uuid"
BYTE_VECTOR = "::tributary::bytes::byte_vector"
RECORDS = "::tributary::protocol::records"
TAGGED_FIELD = "::tributary::protocol::tagged_field"


def entity_type(field: Field) -> str | None:
    mapped = ENTITY_TYPES.get(field.entity_type or "")
    return mapped[1] if mapped else None


def element_cpp_type(field: Field) -> str:
    t = field.element_type
    if field.struct is not None:
        return field.struct.cpp_name
    if t in INT_TYPES:
        return entity_type(field) or INT_TYPES[t][0]
    return {"bool": "bool", "float64": "double", "uuid": UUID, "string": "std::string",
            "bytes": BYTE_VECTOR, "records": RECORDS}[t]


def member_cpp_type(field: Field) -> str:
    elem = element_cpp_type(field)
    if field.is_array:
        t = f"std::vector<{elem}>"
        return f"std::optional<{t}>" if field.nullable else t
    if field.element_type == "records":
        return RECORDS  # null is part of the records type
    if field.nullable:
        return f"std::optional<{elem}>"
    return elem


def cpp_string_literal(s: str) -> str:
    out = []
    for ch in s.encode("utf-8"):
        c = chr(ch)
        if c in '"\\':
            out.append("\\" + c)
        elif 0x20 <= ch < 0x7F:
            out.append(c)
        else:
            out.append(f"\\x{ch:02x}\"\"")
    return '"' + "".join(out) + '"'


def _int_default(field: Field) -> int:
    raw = field.default
    if raw is None:
        return 0
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = raw if isinstance(raw, int) else int(str(raw).strip(), 0)
    except ValueError:
        raise SchemaError(f"{field.name}: bad default {raw!r} for {field.type}") from None
    _, lo, hi, _ = INT_TYPES[field.element_type]
    if not lo <= value <= hi:
        raise SchemaError(f"{field.name}: default {raw!r} out of range for {field.type}")
    return value


def _int_literal(type_name: str, value: int) -> str:
    cpp, lo, _, _ = INT_TYPES[type_name]
    if value == lo and lo < 0:
        return f"std::numeric_limits<{cpp}>::min()"
    if type_name == "int64" and abs(value) > (1 << 31):
        return f"INT64_C({value})"
    return str(value)


def _bool_default(field: Field) -> bool:
    raw = field.default
    if raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip() in ("true", "false"):
        return raw.strip() == "true"
    raise SchemaError(f"{field.name}: bad default {raw!r} for bool")


def _float_default(field: Field) -> str:
    raw = field.default
    if raw is None:
        return "0.0"
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise SchemaError(f"{field.name}: bad default {raw!r} for float64") from None
    return repr(value)


def _string_default(field: Field) -> str | None:
    """The default string, or None for null."""
    raw = field.default
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise SchemaError(f"{field.name}: bad default {raw!r} for string")
    return None if field.default_is_null else raw


def _check_empty_default(field: Field) -> None:
    """Arrays, bytes, records, uuids and structs take no default other than null (or empty)."""
    raw = field.default
    if raw is None or field.default_is_null or raw == "":
        return
    raise SchemaError(f"{field.name}: unsupported default {raw!r} for {field.type}")


def default_initializer(field: Field) -> str:
    """The member initializer (including ` = ` or braces), empty for a value-initialized member."""
    t = field.element_type
    if field.is_array or t in ("bytes", "records", "uuid") or field.struct is not None:
        _check_empty_default(field)
        if t == "records" or field.default_is_null or not field.nullable:
            return "{}"
        return f" = {member_cpp_type(field)}::value_type{{}}"
    if t in INT_TYPES:
        value = _int_default(field)
        ent = entity_type(field)
        if ent:
            return f"{{{_int_literal(t, value)}}}"
        return f" = {_int_literal(t, value)}"
    if t == "bool":
        return " = true" if _bool_default(field) else " = false"
    if t == "float64":
        return f" = {_float_default(field)}"
    if t == "string":
        value = _string_default(field)
        if value is None:
            return "{}"
        if field.nullable:
            return f" = std::string({cpp_string_literal(value)})" if value else " = std::string()"
        return f" = {cpp_string_literal(value)}" if value else "{}"
    raise SchemaError(f"{field.name}: no default for {field.type}")


def differs_from_default(field: Field, expr: str) -> str:
    """A C++ condition that is true iff `expr` differs from the field's default (Kafka writes a tagged
    field only then)."""
    t = field.element_type
    if field.is_array or t == "bytes" or field.struct is not None:
        if field.struct is not None and not field.is_array:
            empty = f"(*{expr} != {field.struct.cpp_name}{{}})" if field.nullable else \
                f"{expr} != {field.struct.cpp_name}{{}}"
        else:
            empty = f"!{expr}->empty()" if field.nullable else f"!{expr}.empty()"
        if not field.nullable:
            return empty
        if field.default_is_null:
            return f"{expr}.has_value()"
        return f"(!{expr} || {empty})"
    if t == "uuid":
        _check_empty_default(field)
        return f"!{expr}.is_zero()"
    if t in INT_TYPES:
        value = _int_literal(t, _int_default(field))
        ent = entity_type(field)
        return f"{expr} != {ent}{{{value}}}" if ent else f"{expr} != {value}"
    if t == "bool":
        return f"!{expr}" if _bool_default(field) else expr
    if t == "float64":
        return f"{expr} != {_float_default(field)}"
    if t == "string":
        value = _string_default(field)
        if not field.nullable:
            return f"{expr} != {cpp_string_literal(value)}" if value else f"!{expr}.empty()"
        if value is None:
            return f"{expr}.has_value()"
        return f"(!{expr} || *{expr} != {cpp_string_literal(value)})" if value else \
            f"(!{expr} || !{expr}->empty())"
    raise SchemaError(f"{field.name}: cannot compare {field.type} with its default")


def about_comment(text: str, indent: str, width: int = 110) -> list[str]:
    words = " ".join(text.split()).split(" ")
    lines, cur = [], ""
    for w in words:
        if not w:
            continue
        if cur and len(indent) + 3 + len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(cur)
    return [f"{indent}// {line}" for line in lines]


def min_encoded_size(msg: Message, struct: Struct, context: Versions, _stack=()) -> int:
    """The fewest bytes one encoding of `struct` can take in any version of `context`: guards array
    allocations against hostile counts."""
    best = None
    for v in context:
        flexible = msg.flexible_versions.contains(v)
        size = 1 if flexible else 0
        for f in struct.fields:
            if not f.untagged_versions.contains(v):
                continue
            compact = (f.flexible_versions or msg.flexible_versions).contains(v)
            size += min_field_size(msg, f, v, compact, _stack + (id(struct),))
        best = size if best is None else min(best, size)
    return best or 0


def min_field_size(msg: Message, f: Field, v: int, compact: bool, stack=()) -> int:
    t = f.element_type
    if f.is_array:
        return 1 if compact else 4
    if t in FIXED_SIZES:
        return FIXED_SIZES[t]
    if t == "string":
        return 1 if compact else 2
    if t in ("bytes", "records"):
        return 1 if compact else 4
    assert f.struct is not None
    if f.nullable_versions.contains(v):
        return 1
    if id(f.struct) in stack:
        return 0
    return min_encoded_size(msg, f.struct, Versions(v, v), stack)


def element_min_size(msg: Message, f: Field, context: Versions) -> str:
    """A C++ expression for the minimum size of one array element."""
    t = f.element_type
    if f.struct is not None:
        return str(min_encoded_size(msg, f.struct, context.intersect(f.struct.versions)))
    if t in FIXED_SIZES:
        return str(FIXED_SIZES[t])
    raise AssertionError("variable-size primitive elements are handled by the caller")
