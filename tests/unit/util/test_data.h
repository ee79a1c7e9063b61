// Reads reference files from tests/fixtures: ctest sets TRIBUTARY_TEST_DATA to that folder, and the build
// compiles its path in as TRIBUTARY_TEST_DATA_DIR for running a test binary by hand.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "bytes/bytes.h"

namespace tributary::test {

inline bytes::byte_vector read_test_file(const std::string& relative) {
    const char* root = std::getenv("TRIBUTARY_TEST_DATA");
    std::string path = std::string(root != nullptr ? root : TRIBUTARY_TEST_DATA_DIR) + "/" + relative;
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << "cannot open " << path;
    return bytes::byte_vector(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace tributary::test
