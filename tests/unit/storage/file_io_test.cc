// The file layer: the fault-injecting memory file system's durability model, and the POSIX one.
#include "storage/file_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>

#include "storage/testing/memory_file_system.h"

namespace tributary::storage {
namespace {

bytes::bytes_view text(std::string_view s) {
    return bytes::as_bytes(s);
}

std::string contents_of(testing::memory_file_system& fs, const std::filesystem::path& p) {
    auto c = fs.contents(p);
    return c ? std::string(bytes::as_chars(*c)) : std::string("<missing>");
}

TEST(memory_file_system, CrashDropsOnlyUnsyncedData) {
    testing::memory_file_system fs;
    ASSERT_EQ(fs.create_directories("/d"), sys_errno::none);
    auto f = std::move(fs.open("/d/a", open_mode::read_write_create)).value();
    ASSERT_EQ(fs.sync_dir("/d"), sys_errno::none);
    ASSERT_EQ(f->pwrite(text("durable"), 0), sys_errno::none);
    ASSERT_EQ(f->datasync(), sys_errno::none);
    ASSERT_EQ(f->pwrite(text("-lost"), 7), sys_errno::none);
    EXPECT_EQ(contents_of(fs, "/d/a"), "durable-lost");
    fs.crash();
    EXPECT_EQ(contents_of(fs, "/d/a"), "durable");
}

TEST(memory_file_system, AFileWhoseNameWasNeverSyncedVanishesInACrash) {
    testing::memory_file_system fs;
    fs.create_directories("/d");
    auto f = std::move(fs.open("/d/new", open_mode::read_write_create)).value();
    f->pwrite(text("x"), 0);
    f->datasync();
    fs.crash();
    EXPECT_FALSE(fs.contents("/d/new").has_value());
}

TEST(memory_file_system, RenameIsDurableOnlyAfterTheDirectoryIsSynced) {
    testing::memory_file_system fs;
    fs.create_directories("/d");
    ASSERT_EQ(write_file_atomically(fs, "/d/meta", text("v1")), sys_errno::none);
    {
        auto f = std::move(fs.open("/d/meta.tmp", open_mode::create_truncate)).value();
        f->pwrite(text("v2"), 0);
        f->datasync();
    }
    ASSERT_EQ(fs.rename("/d/meta.tmp", "/d/meta"), sys_errno::none);
    EXPECT_EQ(contents_of(fs, "/d/meta"), "v2");
    fs.crash();
    EXPECT_EQ(contents_of(fs, "/d/meta"), "v1");
}

TEST(memory_file_system, HandlesOpenedBeforeACrashFailWithEio) {
    testing::memory_file_system fs;
    fs.create_directories("/d");
    auto f = std::move(fs.open("/d/a", open_mode::read_write_create)).value();
    fs.crash();
    EXPECT_EQ(f->pwrite(text("x"), 0), make_errno(EIO));
}

TEST(memory_file_system, TheNthWriteFails) {
    testing::memory_file_system fs;
    fs.create_directories("/d");
    auto f = std::move(fs.open("/d/a", open_mode::read_write_create)).value();
    fs.fail_nth_write(2, make_errno(EIO));
    EXPECT_EQ(f->pwrite(text("a"), 0), sys_errno::none);
    EXPECT_EQ(f->pwrite(text("b"), 1), make_errno(EIO));
    EXPECT_EQ(f->pwrite(text("c"), 1), sys_errno::none);
    EXPECT_EQ(contents_of(fs, "/d/a"), "ac");
}

TEST(memory_file_system, AFullDiskWritesWhatFitsThenFailsWithEnospc) {
    testing::memory_file_system fs;
    fs.create_directories("/d");
    fs.set_capacity(5);
    auto f = std::move(fs.open("/d/a", open_mode::read_write_create)).value();
    EXPECT_EQ(f->pwrite(text("abc"), 0), sys_errno::none);
    EXPECT_EQ(f->pwrite(text("defg"), 3), make_errno(ENOSPC));
    EXPECT_EQ(contents_of(fs, "/d/a"), "abcde");
}

TEST(memory_file_system, CountsSyncs) {
    testing::memory_file_system fs;
    fs.create_directories("/d");
    auto f = std::move(fs.open("/d/a", open_mode::read_write_create)).value();
    f->datasync();
    f->datasync();
    fs.sync_dir("/d");
    EXPECT_EQ(fs.datasync_count(), 2u);
    EXPECT_EQ(fs.dir_sync_count(), 1u);
}

TEST(posix_file_system, WritesReadsTruncatesAndRenames) {
    char tmpl[] = "/tmp/tributary-file-io-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::filesystem::path dir = tmpl;
    auto& fs = posix_file_system();
    {
        auto f = fs.open(dir / "a", open_mode::read_write_create);
        ASSERT_TRUE(f.ok());
        ASSERT_EQ((*f)->pwrite(text("hello world"), 0), sys_errno::none);
        ASSERT_EQ((*f)->datasync(), sys_errno::none);
        ASSERT_EQ((*f)->truncate(5), sys_errno::none);
        EXPECT_EQ(*(*f)->size(), 5u);
        bytes::byte_vector buf(10);
        auto n = (*f)->pread(buf, 0);
        ASSERT_TRUE(n.ok());
        EXPECT_EQ(*n, 5u);
    }
    ASSERT_EQ(write_file_atomically(fs, dir / "meta", text("m")), sys_errno::none);
    auto names = fs.list(dir);
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(names->size(), 2u);
    EXPECT_EQ(fs.open(dir / "missing", open_mode::read_only).error(), make_errno(ENOENT));
    EXPECT_EQ(describe(make_errno(ENOSPC)), "No space left on device (ENOSPC)");
    fs.remove_all(dir);
}

}  // namespace
}  // namespace tributary::storage
