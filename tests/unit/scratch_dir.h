// A directory of its own for one test: empty when the test starts, removed
// when it ends (the process id keeps parallel test processes apart).
#ifndef ALLOCMARK_TESTS_UNIT_SCRATCH_DIR_H_
#define ALLOCMARK_TESTS_UNIT_SCRATCH_DIR_H_

#include <unistd.h>

#include <filesystem>
#include <string>

namespace allocmark {

class ScratchDir {
 public:
  // `name` tells the tests that use it apart; the directory is not created
  // (tests of what creates it need it absent).
  explicit ScratchDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              ("allocmark-" + name + "-" + std::to_string(getpid()))) {
    std::filesystem::remove_all(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace allocmark

#endif  // ALLOCMARK_TESTS_UNIT_SCRATCH_DIR_H_
