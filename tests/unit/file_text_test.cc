#include "base/file_text.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/unit/scratch_dir.h"

namespace allocmark {
namespace {

class FileText : public testing::Test {
 protected:
  FileText() : scratch_("file-text-test") {
    std::filesystem::create_directories(scratch_.path());
  }
  std::string Write(const std::string& text) {
    std::string path = (scratch_.path() / "file").string();
    std::ofstream(path) << text;
    return path;
  }
  ScratchDir scratch_;
};

TEST_F(FileText, ReadsAWholeFile) {
  EXPECT_EQ(ReadFileText(Write("one\ntwo")), "one\ntwo");
}

TEST_F(FileText, PreadNumbersReadsTheLeadingIntegersOnly) {
  int fd = open(Write("12 345 6\n").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::int64_t v[3] = {-1, -1, -1};
  EXPECT_EQ(PreadNumbers(fd, v, 2), 2);
  EXPECT_EQ(v[0], 12);
  EXPECT_EQ(v[1], 345);
  EXPECT_EQ(v[2], -1);
  // Read again from the start: a fixed-rate reader reuses its descriptor.
  EXPECT_EQ(PreadNumbers(fd, v, 3), 3);
  EXPECT_EQ(v[2], 6);
  close(fd);
  fd = open(Write("max\n").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(PreadNumbers(fd, v, 1), 0);
  close(fd);
  EXPECT_EQ(PreadNumbers(-1, v, 1), 0);
}

TEST_F(FileText, AMissingFileReadsEmpty) {
  EXPECT_EQ(ReadFileText((scratch_.path() / "missing").string()), "");
  EXPECT_EQ(TailOfFile((scratch_.path() / "missing").string()), "");
  EXPECT_EQ(TailOfFile(""), "");
}

TEST_F(FileText, TheTailOfAShortFileIsAllOfItsNonEmptyLines) {
  EXPECT_EQ(TailOfFile(Write("first\n\nsecond\n")), "first | second");
  EXPECT_EQ(TailOfFile(Write("")), "");
}

TEST_F(FileText, TheTailIsTheLastLines) {
  const std::string path = Write("1\n2\n3\n4\n5\n\n");
  EXPECT_EQ(TailOfFile(path), "3 | 4 | 5");
  EXPECT_EQ(TailOfFile(path, 1), "5");
}

TEST_F(FileText, ALongTailKeepsItsLast400Characters) {
  const std::string tail =
      TailOfFile(Write(std::string(300, 'a') + "\n" + std::string(300, 'b')));
  EXPECT_EQ(tail, "..." + std::string(97, 'a') + " | " + std::string(300, 'b'));
}

}  // namespace
}  // namespace allocmark
