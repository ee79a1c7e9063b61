#pragma once
// The framing shared by every __consumer_offsets key and value: an int16 version, then the message
// encoded at that version (docs/formats/consumer-offsets.md).

#include <cstdint>
#include <string>

#include "bytes/bytes.h"
#include "bytes/reader.h"
#include "bytes/writer.h"

namespace tributary::groups::record_codec {

template <typename M>
bytes::byte_vector encode_versioned(const M& message, std::int16_t version) {
    bytes::writer w;
    w.write_int16(version);
    message.encode(w, version);
    return w.to_vector();
}

// Decodes a whole message of type M at `version`; trailing bytes are an error.
template <typename M>
bool decode_whole(bytes::reader& r, std::int16_t version, M& out, std::string& error) {
    if (version < M::min_version || version > M::max_version) {
        error = std::string(M::message_name) + ": unknown version " + std::to_string(version);
        return false;
    }
    out.decode(r, version);
    if (!r.ok()) {
        error = std::string(M::message_name) + " v" + std::to_string(version) + ": " +
                std::string(bytes::to_string(r.error()));
        return false;
    }
    if (r.remaining() != 0) {
        error = std::to_string(r.remaining()) + " byte(s) after " + std::string(M::message_name);
        return false;
    }
    return true;
}

}  // namespace tributary::groups::record_codec
