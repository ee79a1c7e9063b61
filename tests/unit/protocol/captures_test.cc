// Byte-exact round trips of frames captured between real clients and Apache Kafka
// ($TRIBUTARY_TEST_DATA/captures/<client>/<seq>-<ApiName>-v<version>-{request,response}.bin, one frame
// without its size prefix; see docs/formats/captures.md). Each frame is decoded (header at the version
// the API version implies, then body), must be consumed exactly, and must encode back to the same bytes.
// This is the oracle the generated codecs answer to: bytes an independent implementation produced.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "protocol/all_apis.h"

namespace tributary::protocol {
namespace {

namespace fs = std::filesystem;

struct capture {
    fs::path path;
    std::string api_name;
    std::int16_t version = 0;
    bool is_request = false;
};

// "<seq>-<ApiName>-v<version>-<request|response>.bin". (No std::regex: under ASan, g++ 12 warns about
// its internals with -Wmaybe-uninitialized.)
std::optional<capture> parse_name(const fs::path& path) {
    const std::string name = path.filename().string();
    const std::size_t api_start = name.find('-');
    const std::size_t version_start = name.find("-v", api_start + 1);
    const std::size_t kind_start = name.find('-', version_start + 2);
    if (api_start == std::string::npos || version_start == std::string::npos || kind_start == std::string::npos) {
        return std::nullopt;
    }
    const std::string kind = name.substr(kind_start + 1);
    const std::string version = name.substr(version_start + 2, kind_start - version_start - 2);
    if ((kind != "request.bin" && kind != "response.bin") || version.empty() ||
        version.find_first_not_of("0123456789") != std::string::npos || version.size() > 4) {
        return std::nullopt;
    }
    return capture{path, name.substr(api_start + 1, version_start - api_start - 1),
                   static_cast<std::int16_t>(std::stoi(version)), kind == "request.bin"};
}

bytes::byte_vector read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return bytes::byte_vector(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const api_info* find_api_by_name(std::string_view name) {
    for (const api_info& api : all_api_infos) {
        if (api.name == name) return &api;
    }
    return nullptr;
}

// The directory of <client>/ capture directories: $TRIBUTARY_TEST_DATA/captures (ctest sets it), else
// the source tree's tests/fixtures/captures, so running the binary by hand checks them too.
fs::path captures_root() {
    const char* data = std::getenv("TRIBUTARY_TEST_DATA");
    return fs::path(data != nullptr ? data : TRIBUTARY_DEFAULT_TEST_DATA) / "captures";
}

std::vector<capture> captures_under(const fs::path& root) {
    std::vector<capture> out;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".bin") continue;
        auto c = parse_name(entry.path());
        EXPECT_TRUE(c.has_value()) << "capture with an unexpected name: " << entry.path();
        if (c) out.push_back(*c);
    }
    std::sort(out.begin(), out.end(), [](const capture& a, const capture& b) { return a.path < b.path; });
    return out;
}

// Decodes a T at `version` from `r` and encodes it into `out`.
template <typename T>
void decode_and_reencode(bytes::reader& r, std::int16_t version, bytes::writer& out) {
    T message;
    message.decode(r, version);
    ASSERT_TRUE(r.ok()) << T::message_name << " v" << version << ": " << bytes::to_string(r.error())
                        << " at byte " << r.position();
    message.encode(out, version);
}

void check_capture(const capture& c) {
    SCOPED_TRACE(c.path.string());
    const bytes::byte_vector frame = read_file(c.path);
    const api_info* api = find_api_by_name(c.api_name);
    ASSERT_NE(api, nullptr) << "unknown API " << c.api_name;
    const auto key = static_cast<std::int16_t>(api->key);
    ASSERT_TRUE(api->supports(c.version)) << c.api_name << " v" << c.version << " is outside our schemas";

    bytes::reader r(frame);
    bytes::writer out;
    if (c.is_request) {
        request_header header;
        header.decode(r, request_header_version(key, c.version));
        ASSERT_TRUE(r.ok()) << "request header: " << bytes::to_string(r.error());
        EXPECT_EQ(header.request_api_key, key);
        EXPECT_EQ(header.request_api_version, c.version);
        header.encode(out, request_header_version(key, c.version));
    } else {
        response_header header;
        header.decode(r, response_header_version(key, c.version));
        ASSERT_TRUE(r.ok()) << "response header: " << bytes::to_string(r.error());
        header.encode(out, response_header_version(key, c.version));
    }
    visit_api(key, [&](auto pair) {
        using pair_t = decltype(pair);
        if (c.is_request) {
            decode_and_reencode<typename pair_t::request>(r, c.version, out);
        } else {
            decode_and_reencode<typename pair_t::response>(r, c.version, out);
        }
    });
    if (!r.ok()) return;

    // Kafka ignores bytes after a request body, and a real client relies on it: librdkafka 2.16 writes
    // Metadata v13 with IncludeClusterAuthorizedOperations (a v8-10 field) still in it. So a request may
    // end early; what was decoded must still re-encode exactly. Responses must be consumed completely.
    const std::size_t consumed = r.position();
    if (c.is_request && consumed < frame.size()) {
        std::cout << "note: " << c.path.filename().string() << ": " << frame.size() - consumed
                  << " byte(s) after the request body, ignored as Kafka does\n";
    } else {
        EXPECT_EQ(consumed, frame.size()) << "bytes left after the response body";
    }
    const bytes::byte_vector decoded_part(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(consumed));
    EXPECT_TRUE(out.to_vector() == decoded_part) << "re-encoded frame differs from the capture";
}

TEST(Captures, EveryCapturedFrameDecodesAndReencodesByteForByte) {
    const fs::path root = captures_root();
    if (!fs::exists(root)) GTEST_SKIP() << "no captures at " << root;
    const std::vector<capture> captures = captures_under(root);
    EXPECT_FALSE(captures.empty()) << root << " exists but holds no captures";
    std::size_t checked = 0;
    for (const capture& c : captures) {
        check_capture(c);
        ++checked;
    }
    RecordProperty("frames", static_cast<int>(checked));
    std::cout << "checked " << checked << " captured frames\n";
}

}  // namespace
}  // namespace tributary::protocol
