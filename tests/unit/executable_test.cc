#include "base/executable.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/unit/scratch_dir.h"

namespace allocmark {
namespace {

TEST(FindExecutable, FindsShInPath) {
  std::string sh = FindExecutable("sh");
  ASSERT_FALSE(sh.empty());
  EXPECT_TRUE(std::filesystem::path(sh).is_absolute());
  EXPECT_EQ(std::filesystem::path(sh).filename(), "sh");
}

TEST(FindExecutable, FindsNoNameThatIsNotThere) {
  EXPECT_EQ(FindExecutable("allocmark-no-such-program"), "");
  EXPECT_EQ(FindExecutable(""), "");
}

TEST(FindExecutable, TakesAPathAsItIs) {
  std::string sh = FindExecutable("sh");
  EXPECT_EQ(FindExecutable(sh), sh);
  EXPECT_EQ(FindExecutable("/nonexistent/sh"), "");
  EXPECT_EQ(FindExecutable("/"), "");  // a directory
}

TEST(FindExecutable, SearchesPathInOrderAndSkipsWhatIsNotExecutable) {
  ScratchDir scratch("executable-test");
  const auto first = scratch.path() / "first";
  const auto second = scratch.path() / "second";
  std::filesystem::create_directories(first);
  std::filesystem::create_directories(second);
  std::ofstream(first / "tool") << "#!/bin/sh\n";  // not executable
  std::ofstream(second / "tool") << "#!/bin/sh\n";
  std::filesystem::permissions(second / "tool",
                               std::filesystem::perms::owner_all);
  const std::string old_path = std::getenv("PATH");
  setenv("PATH", (first.string() + ":" + second.string()).c_str(), 1);
  const std::string found = FindExecutable("tool");
  setenv("PATH", old_path.c_str(), 1);
  EXPECT_EQ(found, (second / "tool").string());
}

}  // namespace
}  // namespace allocmark
