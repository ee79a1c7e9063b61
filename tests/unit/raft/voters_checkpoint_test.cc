#include "raft/voters_checkpoint.h"

#include <gtest/gtest.h>

#include "storage/testing/memory_file_system.h"

namespace tributary::raft {
namespace {

std::vector<model::node_id> ids(std::initializer_list<int> l) {
    std::vector<model::node_id> out;
    for (int i : l) out.push_back(model::node_id(i));
    return out;
}

TEST(VotersCheckpoint, SetsSurviveTheFile) {
    std::vector<voter_set> sets{{model::offset(-1), ids({1, 2, 3})}, {model::offset(40), ids({1, 2, 3, 4})}};
    const auto text = encode_voters_checkpoint(sets);
    EXPECT_EQ(text, "0\n2\n-1 1,2,3\n40 1,2,3,4\n");
    auto back = decode_voters_checkpoint(text);
    ASSERT_TRUE(back);
    ASSERT_EQ(back->size(), 2u);
    EXPECT_EQ((*back)[1].offset, model::offset(40));
    EXPECT_EQ((*back)[1].voters, ids({1, 2, 3, 4}));

    storage::testing::memory_file_system fs;
    fs.create_directories("/data/p-0");
    EXPECT_EQ(read_voters_checkpoint(fs, "/data/p-0")->size(), 0u) << "no file: no sets";
    ASSERT_TRUE(write_voters_checkpoint(fs, "/data/p-0", sets));
    EXPECT_EQ(read_voters_checkpoint(fs, "/data/p-0")->size(), 2u);
}

TEST(VotersCheckpoint, ATextThatIsNotAValidFileIsRefused) {
    EXPECT_FALSE(decode_voters_checkpoint("1\n0\n"));                // unknown version
    EXPECT_FALSE(decode_voters_checkpoint("0\n2\n5 1,2\n"));         // fewer sets than counted
    EXPECT_FALSE(decode_voters_checkpoint("0\n2\n5 1,2\n5 1,2,3\n"));  // offsets not ascending
    EXPECT_FALSE(decode_voters_checkpoint("0\n1\n5 \n"));            // an empty set
    EXPECT_FALSE(decode_voters_checkpoint("0\n1\n5 1,x\n"));         // not a number
}

TEST(VotersCheckpoint, OnlyTheSetsOfTheLogThatIsThereApply) {
    std::vector<voter_set> sets{{model::offset(-1), ids({1, 2, 3})},
                                {model::offset(10), ids({1, 2})},
                                {model::offset(20), ids({1, 2, 4})},
                                {model::offset(30), ids({2, 4})}};
    // The log starts at 15 and ends at 30: the set at 30 ran ahead of it, and of those below 15 only
    // the one in force there (offset 10) stays.
    auto applied = voter_sets_for(sets, model::offset(15), model::offset(30));
    ASSERT_EQ(applied.size(), 2u);
    EXPECT_EQ(applied[0].offset, model::offset(10));
    EXPECT_EQ(applied[1].offset, model::offset(20));
}

}  // namespace
}  // namespace tributary::raft
