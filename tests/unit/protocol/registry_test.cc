// The generated API registry: keys, version ranges and the header version rules.
#include <gtest/gtest.h>

#include <set>

#include "protocol/all_apis.h"

namespace tributary::protocol {
namespace {

TEST(Registry, ListsEveryApiOnceInKeyOrder) {
    std::set<std::int16_t> keys;
    std::int16_t previous = -1;
    for (const api_info& api : all_api_infos) {
        EXPECT_GT(static_cast<std::int16_t>(api.key), previous);
        previous = static_cast<std::int16_t>(api.key);
        EXPECT_TRUE(keys.insert(previous).second);
        EXPECT_EQ(find_api(previous), &api);
    }
    EXPECT_EQ(find_api(-1), nullptr);
    EXPECT_EQ(find_api(32000), nullptr);
}

TEST(Registry, KnowsVersionRangesFromTheSchemas) {
    const api_info& produce = info(api_key::produce);
    EXPECT_EQ(produce.name, "Produce");
    EXPECT_EQ(produce.min_version, 3);
    EXPECT_EQ(produce.max_version, 13);
    EXPECT_EQ(produce.first_flexible_version, 9);
    EXPECT_FALSE(produce.latest_version_unstable);
    EXPECT_EQ(to_string(api_key::api_versions), "ApiVersions");
    EXPECT_EQ(static_cast<int>(api_key::api_versions), 18);
    EXPECT_EQ(info(api_key::sasl_handshake).first_flexible_version, -1);
}

TEST(Registry, MarksInitProducerIdLatestVersionUnstable) {
    EXPECT_TRUE(info(api_key::init_producer_id).latest_version_unstable);
    EXPECT_TRUE(init_producer_id_request::latest_version_unstable);
}

TEST(Registry, MarksApisRemovedInKafka4AsUnsupported) {
    for (std::int16_t key = 4; key <= 7; ++key) {
        ASSERT_NE(find_api(key), nullptr);
        EXPECT_FALSE(find_api(key)->supported()) << key;
        EXPECT_FALSE(visit_api(key, [](auto) {})) << key;
    }
    bytes::byte_vector empty;
    bytes::reader r(empty);
    leader_and_isr_request request;
    request.decode(r, 0);
    EXPECT_EQ(r.error(), bytes::decode_error::unsupported_version);
}

TEST(Registry, AllApisMatchesTheInfoTable) {
    std::size_t count = 0;
    for_each_type(all_apis{}, [&](auto type) {
        using api = typename decltype(type)::type;
        const api_info& i = info(api::key);
        EXPECT_EQ(api::request::min_version, i.min_version);
        EXPECT_EQ(api::request::max_version, i.max_version);
        EXPECT_EQ(api::response::max_version, i.max_version);
        EXPECT_EQ(api::request::first_flexible_version, i.first_flexible_version);
        bool visited = false;
        EXPECT_TRUE(visit_api(static_cast<std::int16_t>(api::key), [&](auto other) {
            visited = std::is_same_v<decltype(other), api>;
        }));
        EXPECT_TRUE(visited);
        ++count;
    });
    std::size_t supported = 0;
    for (const api_info& api : all_api_infos) supported += api.supported();
    EXPECT_EQ(count, supported);
}

TEST(HeaderVersions, RequestHeaderIsV2ForFlexibleVersionsElseV1) {
    EXPECT_EQ(request_header_version(0, 8), 1);   // Produce v8
    EXPECT_EQ(request_header_version(0, 9), 2);   // Produce v9, first flexible
    EXPECT_EQ(request_header_version(18, 2), 1);  // ApiVersions v2
    EXPECT_EQ(request_header_version(18, 3), 2);  // ApiVersions v3
    EXPECT_EQ(request_header_version(18, 99), 2);  // a future ApiVersions: still parseable
    EXPECT_EQ(request_header_version(17, 1), 1);  // SaslHandshake: never flexible
    EXPECT_EQ(request_header_version(-5, 0), -1);
}

TEST(HeaderVersions, ResponseHeaderIsV1ForFlexibleVersionsExceptApiVersions) {
    EXPECT_EQ(response_header_version(3, 8), 0);   // Metadata v8
    EXPECT_EQ(response_header_version(3, 9), 1);   // Metadata v9
    EXPECT_EQ(response_header_version(18, 3), 0);  // ApiVersions v3: always v0
    EXPECT_EQ(response_header_version(18, 5), 0);
    EXPECT_EQ(response_header_version(1000, 0), -1);
}

TEST(HeaderVersions, HeaderSchemasCoverTheVersionsInUse) {
    EXPECT_EQ(request_header::min_version, 1);
    EXPECT_EQ(request_header::max_version, 2);
    EXPECT_EQ(response_header::min_version, 0);
    EXPECT_EQ(response_header::max_version, 1);
}

}  // namespace
}  // namespace tributary::protocol
