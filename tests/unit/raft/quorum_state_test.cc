// The quorum-state file (raft/quorum_state.h, docs/formats/quorum-state.md): round trips, what the
// reader does with a missing, leftover, corrupt or newer file, failed writes, and Kafka's bytes.
#include "raft/quorum_state.h"

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "storage/testing/memory_file_system.h"

namespace tributary::raft {
namespace {

const std::filesystem::path dir = "/data/__cluster_metadata-0";

quorum_state make_state(std::int32_t epoch, std::optional<std::int32_t> voted,
                        std::optional<std::int32_t> leader) {
    quorum_state s;
    s.state.epoch = model::leader_epoch(epoch);
    if (voted) s.state.voted_for = model::node_id(*voted);
    if (leader) s.leader = model::node_id(*leader);
    return s;
}

class quorum_state_file : public ::testing::Test {
protected:
    quorum_state_file() { fs.create_directories(dir); }

    void put(std::string_view text) { fs.set_contents(dir / "quorum-state", bytes::as_bytes(text)); }
    util::result<quorum_state, quorum_state_error> read() { return read_quorum_state(fs, dir); }

    storage::testing::memory_file_system fs;
};

TEST_F(quorum_state_file, AWrittenStateReadsBack) {
    for (const auto& s : {make_state(0, std::nullopt, std::nullopt), make_state(3, 2, std::nullopt),
                          make_state(3, 2, 2), make_state(7, std::nullopt, 5),
                          make_state(0x7fffffff, 0, 0)}) {
        ASSERT_EQ(write_quorum_state(fs, dir, s), quorum_state_error::none);
        auto r = read();
        ASSERT_TRUE(r.ok()) << to_string(r.error());
        EXPECT_EQ(*r, s);
    }
}

TEST_F(quorum_state_file, AWrittenStateSurvivesACrash) {
    ASSERT_EQ(write_quorum_state(fs, dir, make_state(4, 1, std::nullopt)), quorum_state_error::none);
    fs.crash();
    auto r = read();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, make_state(4, 1, std::nullopt));
    EXPECT_FALSE(fs.contents(dir / "quorum-state.tmp"));
}

TEST_F(quorum_state_file, AMissingFileIsTheInitialState) {
    auto r = read();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, quorum_state{});
    EXPECT_EQ(r->state.epoch, model::leader_epoch(0));
    EXPECT_FALSE(r->state.voted_for);
    EXPECT_FALSE(r->leader);
}

TEST_F(quorum_state_file, AMissingDirectoryIsTheInitialState) {
    auto r = read_quorum_state(fs, "/data/not-created-yet");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, quorum_state{});
}

TEST_F(quorum_state_file, ALeftoverTemporaryFileIsIgnoredAndRemoved) {
    ASSERT_EQ(write_quorum_state(fs, dir, make_state(2, 1, 1)), quorum_state_error::none);
    // A newer write that died before its rename.
    fs.set_contents(dir / "quorum-state.tmp",
                    bytes::as_bytes(encode_quorum_state(make_state(3, 3, std::nullopt))));
    auto r = read();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, make_state(2, 1, 1));
    EXPECT_FALSE(fs.contents(dir / "quorum-state.tmp"));
}

TEST_F(quorum_state_file, ALeftoverTemporaryFileAloneIsTheInitialState) {
    fs.set_contents(dir / "quorum-state.tmp", bytes::as_bytes(std::string_view("{\"leaderId\":")));
    auto r = read();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, quorum_state{});
}

TEST_F(quorum_state_file, TextThatIsNotJsonIsCorrupt) {
    for (std::string_view text : {"", "\n", "{\"leaderId\":1,\"leaderEpoch\":2,\"votedId\":-1,\"voted",
                                  "not json", "{\"data_version\":1} trailing"}) {
        put(text);
        auto r = read();
        ASSERT_FALSE(r.ok()) << text;
        EXPECT_EQ(r.error(), quorum_state_error::corrupt) << text;
    }
}

TEST_F(quorum_state_file, JsonThatIsNotAnObjectIsCorrupt) {
    put("[1,2,3]");
    EXPECT_EQ(read().error(), quorum_state_error::corrupt);
}

TEST_F(quorum_state_file, AMissingFieldIsCorrupt) {
    for (std::string_view text :
         {R"({"leaderId":-1,"leaderEpoch":2,"votedId":1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA"})",
          R"({"leaderEpoch":2,"votedId":1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1})",
          R"({"leaderId":-1,"votedId":1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1})",
          R"({"leaderId":-1,"leaderEpoch":2,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1})",
          R"({"leaderId":-1,"leaderEpoch":2,"votedId":1,"data_version":1})"}) {
        put(text);
        auto r = read();
        ASSERT_FALSE(r.ok()) << text;
        EXPECT_EQ(r.error(), quorum_state_error::corrupt) << text;
    }
}

TEST_F(quorum_state_file, AValueOfTheWrongTypeOrOutOfRangeIsCorrupt) {
    for (std::string_view text :
         {R"({"leaderId":"1","leaderEpoch":2,"votedId":1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1})",
          R"({"leaderId":-1,"leaderEpoch":2.5,"votedId":1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1})",
          R"({"leaderId":-1,"leaderEpoch":-1,"votedId":1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1})",
          R"({"leaderId":-2,"leaderEpoch":2,"votedId":1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1})",
          R"({"leaderId":-1,"leaderEpoch":2,"votedId":2147483648,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1})",
          R"({"leaderId":-1,"leaderEpoch":2,"votedId":1,"votedDirectoryId":"not a uuid","data_version":1})",
          R"({"leaderId":-1,"leaderEpoch":2,"votedId":1,"votedDirectoryId":null,"data_version":1})",
          R"({"leaderId":-1,"leaderEpoch":2,"votedId":1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":"1"})"}) {
        put(text);
        auto r = read();
        ASSERT_FALSE(r.ok()) << text;
        EXPECT_EQ(r.error(), quorum_state_error::corrupt) << text;
    }
}

TEST_F(quorum_state_file, AnUnknownDataVersionIsAnError) {
    // Kafka's FileQuorumStateStoreTest.testCantReadVersionQuorumState writes this data_version 2 file.
    put(R"({"leaderId":9990,"leaderEpoch":3012,"votedId":-1,"appliedOffset":0,)"
        R"("currentVoters":[{"voterId":9990},{"voterId":9991},{"voterId":9992}],"data_version":2})");
    EXPECT_EQ(read().error(), quorum_state_error::unsupported_version);
    put(R"({"leaderId":1,"leaderEpoch":1,"votedId":-1,"data_version":-1})");
    EXPECT_EQ(read().error(), quorum_state_error::unsupported_version);
}

TEST_F(quorum_state_file, AFailedWriteLeavesThePreviousStateReadable) {
    const auto before = make_state(5, 2, std::nullopt);
    ASSERT_EQ(write_quorum_state(fs, dir, before), quorum_state_error::none);

    fs.fail_nth_write(1, storage::make_errno(EIO));
    EXPECT_EQ(write_quorum_state(fs, dir, make_state(6, 3, std::nullopt)), quorum_state_error::io_error);
    EXPECT_EQ(*read(), before);

    fs.set_capacity(fs.used_bytes() + 4);  // the temporary file is cut short by ENOSPC
    EXPECT_EQ(write_quorum_state(fs, dir, make_state(6, 3, std::nullopt)), quorum_state_error::io_error);
    fs.set_capacity(std::nullopt);
    EXPECT_EQ(*read(), before);
    EXPECT_FALSE(fs.contents(dir / "quorum-state.tmp"));

    fs.fail_syncs(storage::make_errno(EIO));  // the temporary file's fsync, before the rename
    EXPECT_EQ(write_quorum_state(fs, dir, make_state(6, 3, std::nullopt)), quorum_state_error::io_error);
    fs.fail_syncs(storage::sys_errno::none);
    EXPECT_EQ(*read(), before);
    fs.crash();
    EXPECT_EQ(*read(), before);
}

// The bytes Kafka's FileQuorumStateStore writes at data_version 1 (KRaft version 1): the fields of
// QuorumStateData v1 in schema order, then data_version, compact, no newline; the vote's directory id
// is Uuid.ZERO_UUID when the voter has none.
TEST_F(quorum_state_file, TheFileIsByteForByteWhatKafkaWrites) {
    const std::string voted =
        R"({"leaderId":-1,"leaderEpoch":2,"votedId":1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1})";
    const std::string leader =
        R"({"leaderId":3,"leaderEpoch":17,"votedId":-1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1})";
    const std::string both =
        R"({"leaderId":1,"leaderEpoch":5,"votedId":1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1})";
    const std::string fresh =
        R"({"leaderId":-1,"leaderEpoch":0,"votedId":-1,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1})";
    const std::pair<std::string, quorum_state> cases[] = {
        {voted, make_state(2, 1, std::nullopt)},
        {leader, make_state(17, std::nullopt, 3)},
        {both, make_state(5, 1, 1)},
        {fresh, quorum_state{}},
    };
    for (const auto& [text, state] : cases) {
        EXPECT_EQ(encode_quorum_state(state), text);
        ASSERT_EQ(write_quorum_state(fs, dir, state), quorum_state_error::none);
        const auto on_disk = fs.contents(dir / "quorum-state");
        ASSERT_TRUE(on_disk);
        EXPECT_EQ(std::string(bytes::as_chars(*on_disk)), text);
        put(text);
        auto r = read();
        ASSERT_TRUE(r.ok()) << text;
        EXPECT_EQ(*r, state);
    }
}

// Version 0 as Kafka wrote it before KIP-853 (FileQuorumStateStore's class comment): read, and the
// fields that version 1 dropped are not kept.
TEST_F(quorum_state_file, AFileKafkaWroteAtDataVersion0Reads) {
    put(R"({"clusterId":"","leaderId":1,"leaderEpoch":2,"votedId":-1,"appliedOffset":0,)"
        R"("currentVoters":[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0})");
    auto r = read();
    ASSERT_TRUE(r.ok()) << to_string(r.error());
    EXPECT_EQ(*r, make_state(2, std::nullopt, 1));
}

TEST_F(quorum_state_file, AVoteForADirectoryReadsAsAVoteForTheReplica) {
    put(R"({"leaderId":-1,"leaderEpoch":9,"votedId":2,"votedDirectoryId":"J8aAPcfLQt2bqs1JT_rMgQ","data_version":1})");
    auto r = read();
    ASSERT_TRUE(r.ok()) << to_string(r.error());
    EXPECT_EQ(*r, make_state(9, 2, std::nullopt));
}

TEST_F(quorum_state_file, TrailingWhitespaceIsAccepted) {
    put(R"({"leaderId":-1,"leaderEpoch":9,"votedId":2,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1})"
        "\n");
    auto r = read();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, make_state(9, 2, std::nullopt));
}

}  // namespace
}  // namespace tributary::raft
