"""C++ names for schema names: snake_case, with a trailing `_` where the name would be a keyword."""

import re

CPP_KEYWORDS = {
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case",
    "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval",
    "constexpr", "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype",
    "default", "delete", "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern",
    "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace",
    "new", "noexcept", "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected",
    "public", "register", "reinterpret_cast", "requires", "return", "short", "signed", "sizeof",
    "static", "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local",
    "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual",
    "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
}
# Names the generated code relies on inside member functions (namespaces it refers to unqualified), and
# common macros: a member with one of these names would break or hide them.
RESERVED = {"std", "tributary", "wire", "assert", "errno", "NULL", "EOF", "major", "minor"}


def snake_case(name: str) -> str:
    """ProduceRequest -> produce_request, KRaftVersionFeature -> k_raft_version_feature,
    ZkMigrationReady -> zk_migration_ready."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


def cpp_identifier(name: str) -> str:
    return name + "_" if name in CPP_KEYWORDS or name in RESERVED else name
