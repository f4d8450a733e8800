// BlockWriter (workloads/support/block_check.h): what each new block gets
// written, to the byte, and that the canary and full verification catch a
// change at either end.
#include "workloads/support/block_check.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace allocmark {
namespace {

constexpr unsigned char kUntouched = 0x00;
constexpr std::size_t kSlack = 128;  // bytes after the block, never written

// A buffer of size + kSlack untouched bytes, written as a block of `size`.
std::vector<unsigned char> Written(const BlockWriter& writer, std::size_t size,
                                   std::uint64_t tag) {
  std::vector<unsigned char> buffer(size + kSlack, kUntouched);
  writer.Write(buffer.data(), size, tag);
  return buffer;
}

TEST(BlockWriter, WritesExactlyTheCanaryAndTheFirstWriteBytes) {
  for (std::size_t write_bytes : {0, 8, 9, 16, 17, 32, 33, 64, 65, 100, 200})
    for (std::size_t size = 0; size <= 300; ++size) {
      SCOPED_TRACE("write_bytes " + std::to_string(write_bytes) + ", size " +
                   std::to_string(size));
      const BlockWriter writer(BlockVerify::kCanary, write_bytes);
      const std::uint64_t tag = 1000 + size;
      auto b = Written(writer, size, tag);
      const std::uint64_t head = CanaryHead(tag);
      const std::uint64_t tail = CanaryTail(tag);
      for (std::size_t i = 0; i < size + kSlack; ++i) {
        unsigned char expected = kUntouched;
        if (i < size && i < 8)
          expected = static_cast<unsigned char>(head >> (8 * i));
        else if (size >= 16 && i >= size - 8 && i < size)
          expected = static_cast<unsigned char>(tail >> (8 * (i - size + 8)));
        else if (i < std::min(size, write_bytes))
          expected = 0xa5;
        ASSERT_EQ(b[i], expected) << "byte " << i;
      }
      EXPECT_TRUE(writer.Check(b.data(), size, tag));
    }
}

TEST(BlockWriter, TheCanaryCatchesAChangeAtEitherEndOrAnotherTag) {
  const BlockWriter writer(BlockVerify::kCanary, 64);
  for (std::size_t size : {1, 7, 8, 15, 16, 64, 4096}) {
    SCOPED_TRACE("size " + std::to_string(size));
    auto b = Written(writer, size, 7);
    EXPECT_FALSE(writer.Check(b.data(), size, 8));  // another request's tag
    b[0] ^= 1;
    EXPECT_FALSE(writer.Check(b.data(), size, 7));
    b[0] ^= 1;
    b[size - 1] ^= 1;
    // The last byte is the head's up to 8 bytes, the tail's from 16: only
    // between them does the canary not cover it.
    EXPECT_EQ(writer.Check(b.data(), size, 7), size > 8 && size < 16);
  }
}

TEST(BlockWriter, FullVerificationCatchesAnyByte) {
  const BlockWriter writer(BlockVerify::kFull, 64);
  for (std::size_t size : {1, 13, 64, 300}) {
    auto b = Written(writer, size, 3);
    for (std::size_t i = size; i < size + kSlack; ++i)
      ASSERT_EQ(b[i], kUntouched);
    ASSERT_TRUE(writer.Check(b.data(), size, 3));
    for (std::size_t i = 0; i < size; ++i) {
      b[i] ^= 0x10;
      ASSERT_FALSE(writer.Check(b.data(), size, 3)) << size << " " << i;
      b[i] ^= 0x10;
    }
  }
}

TEST(BlockWriter, APageStrideTouchesOneByteAPage) {
  const std::size_t size = 5 * 4096 + 100;
  const BlockWriter writer(BlockVerify::kCanary, 64, 4096);
  auto b = Written(writer, size, 9);
  for (std::size_t page = 1; page * 4096 < size; ++page)
    EXPECT_EQ(b[page * 4096], static_cast<unsigned char>(9)) << page;
  EXPECT_EQ(b[4096 + 1], kUntouched);
  EXPECT_EQ(b[64], kUntouched);
  EXPECT_EQ(b[63], 0xa5);
  EXPECT_TRUE(writer.Check(b.data(), size, 9));
}

}  // namespace
}  // namespace allocmark
