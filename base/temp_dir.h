// A temporary directory that lives as long as its owner: the driver's
// per-cell scratch directory, the real-program workloads' working files.
#ifndef ALLOCMARK_BASE_TEMP_DIR_H_
#define ALLOCMARK_BASE_TEMP_DIR_H_

#include <string>

namespace allocmark {

// Where temporary files go: $TMPDIR when it is set and not empty, else /tmp.
std::string TempRoot();

// A fresh directory under $TMPDIR (or /tmp), named PREFIX-XXXXXX; the
// destructor removes it with its contents.
class TempDir {
 public:
  // path() is empty when it could not be created.
  explicit TempDir(const std::string& prefix = "allocmark-program");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // The path of `name` inside the directory (not created).
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace allocmark

#endif  // ALLOCMARK_BASE_TEMP_DIR_H_
