#include "base/temp_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "tests/unit/scratch_dir.h"

namespace allocmark {
namespace {

// Sets TMPDIR for one test and puts back what was there.
class TmpdirOverride {
 public:
  explicit TmpdirOverride(const std::string& value) {
    if (const char* old = std::getenv("TMPDIR")) old_ = old;
    setenv("TMPDIR", value.c_str(), 1);
  }
  ~TmpdirOverride() {
    if (old_)
      setenv("TMPDIR", old_->c_str(), 1);
    else
      unsetenv("TMPDIR");
  }

 private:
  std::optional<std::string> old_;
};

TEST(TempDir, IsCreatedUnderTmpdirAndRemovedWithItsContents) {
  ScratchDir scratch("temp-dir-test");
  std::filesystem::create_directories(scratch.path());
  TmpdirOverride tmpdir(scratch.path().string());
  std::string path;
  {
    TempDir dir("allocmark-unit");
    path = dir.path();
    ASSERT_FALSE(path.empty());
    EXPECT_EQ(std::filesystem::path(path).parent_path(), scratch.path());
    EXPECT_EQ(std::filesystem::path(path).filename().string().rfind(
                  "allocmark-unit-", 0),
              0u);
    EXPECT_TRUE(std::filesystem::is_directory(path));
    std::filesystem::create_directory(dir.File("sub"));
    std::ofstream(dir.File("sub/file")) << "x";
    EXPECT_EQ(dir.File("sub"), path + "/sub");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TempDir, TwoAreTwoDirectories) {
  TempDir a, b;
  ASSERT_FALSE(a.path().empty());
  EXPECT_NE(a.path(), b.path());
}

TEST(TempDir, HasNoPathWhenItCannotBeCreated) {
  TmpdirOverride tmpdir("/nonexistent/allocmark-tmp");
  TempDir dir;
  EXPECT_EQ(dir.path(), "");
}

}  // namespace
}  // namespace allocmark
