#include "bytes/reader.h"

namespace tributary::bytes {

std::string_view to_string(decode_error e) {
    switch (e) {
    case decode_error::none: return "none";
    case decode_error::short_buffer: return "short buffer";
    case decode_error::bad_varint: return "malformed varint";
    case decode_error::negative_length: return "negative length";
    case decode_error::length_too_large: return "length or count larger than the remaining bytes";
    case decode_error::unsupported_version: return "unsupported version";
    case decode_error::invalid_value: return "invalid value";
    case decode_error::trailing_bytes: return "trailing bytes after the message";
    }
    return "unknown decode error";
}

}  // namespace tributary::bytes
