// Offset and time indexes: lookup rules, encoding, validation of untrusted files.
#include <gtest/gtest.h>

#include "storage/format.h"
#include "storage/offset_index.h"
#include "storage/time_index.h"

namespace tributary::storage {
namespace {

TEST(offset_index, LookupReturnsTheLastEntryAtOrBeforeTheOffset) {
    offset_index idx(model::offset(100), 10);
    idx.append(model::offset(104), 400);
    idx.append(model::offset(110), 900);
    EXPECT_EQ(idx.lookup(model::offset(100)), (offset_position{model::offset(100), 0}));
    EXPECT_EQ(idx.lookup(model::offset(103)), (offset_position{model::offset(100), 0}));
    EXPECT_EQ(idx.lookup(model::offset(104)), (offset_position{model::offset(104), 400}));
    EXPECT_EQ(idx.lookup(model::offset(109)), (offset_position{model::offset(104), 400}));
    EXPECT_EQ(idx.lookup(model::offset(5000)), (offset_position{model::offset(110), 900}));
    EXPECT_EQ(idx.lookup(model::offset(7)), (offset_position{model::offset(100), 0}));
}

TEST(offset_index, EncodesRelativeOffsetAndPositionBigEndian) {
    offset_index idx(model::offset(1000), 10);
    idx.append(model::offset(1002), 0x01020304);
    const auto bytes = idx.encode();
    const bytes::byte_vector expected = {0, 0, 0, 2, 1, 2, 3, 4};
    EXPECT_EQ(bytes, expected);
    auto back = offset_index::decode(bytes, model::offset(1000), 0x02000000, 10);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->last_entry()->offset, model::offset(1002));
}

TEST(offset_index, TruncateRemovesEntriesAtOrAfterTheOffset) {
    offset_index idx(model::offset(0), 10);
    idx.append(model::offset(5), 100);
    idx.append(model::offset(9), 200);
    idx.truncate_to(model::offset(9));
    EXPECT_EQ(idx.size(), 1u);
    idx.truncate_to_position(100);
    EXPECT_EQ(idx.size(), 0u);
}

TEST(offset_index, AFileThatIsNotWholeEntriesIsRejected) {
    const bytes::byte_vector data(12, 0);
    EXPECT_EQ(offset_index::decode(data, model::offset(0), 100, 10).error(), index_error::bad_size);
}

TEST(offset_index, AFileWithDecreasingOffsetsIsRejected) {
    const bytes::byte_vector data = {0, 0, 0, 5, 0, 0, 0, 10, 0, 0, 0, 4, 0, 0, 0, 20};
    EXPECT_EQ(offset_index::decode(data, model::offset(0), 100, 10).error(), index_error::not_monotonic);
}

TEST(offset_index, AFilePointingPastTheLogIsRejected) {
    const bytes::byte_vector data = {0, 0, 0, 5, 0, 0, 0, 100};
    EXPECT_EQ(offset_index::decode(data, model::offset(0), 100, 10).error(), index_error::out_of_range);
}

TEST(time_index, AppendsOnlyWhenTheTimestampGrows) {
    time_index idx(model::offset(0), 10);
    idx.maybe_append(100, model::offset(3));
    idx.maybe_append(100, model::offset(5));
    idx.maybe_append(90, model::offset(6));
    idx.maybe_append(200, model::offset(9));
    EXPECT_EQ(idx.size(), 2u);
    EXPECT_EQ(idx.lookup(150), (timestamp_offset{100, model::offset(3)}));
    EXPECT_EQ(idx.lookup(200), (timestamp_offset{200, model::offset(9)}));
    EXPECT_EQ(idx.lookup(50), (timestamp_offset{-1, model::offset(0)}));
}

TEST(time_index, RoundTripsAndRejectsDecreasingTimestamps) {
    time_index idx(model::offset(10), 10);
    idx.maybe_append(1'700'000'000'000, model::offset(12));
    auto data = idx.encode();
    ASSERT_EQ(data.size(), format::time_index_entry_size);
    auto back = time_index::decode(data, model::offset(10), 10);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->last_entry(), (timestamp_offset{1'700'000'000'000, model::offset(12)}));
    idx.maybe_append(1'700'000'000'001, model::offset(13));
    data = idx.encode();
    std::swap_ranges(data.begin(), data.begin() + 12, data.begin() + 12);
    EXPECT_EQ(time_index::decode(data, model::offset(10), 10).error(), index_error::not_monotonic);
}

TEST(format, SegmentFileNamesAreTwentyDigitOffsets) {
    EXPECT_EQ(format::offset_file_name(model::offset(42), ".log"), "00000000000000000042.log");
    EXPECT_EQ(format::parse_offset_file_name("00000000000000000042.index", ".index"), model::offset(42));
    EXPECT_FALSE(format::parse_offset_file_name("0000000000000000042.index", ".index"));
    EXPECT_FALSE(format::parse_offset_file_name("0000000000000000004x.log", ".log"));
}

}  // namespace
}  // namespace tributary::storage
