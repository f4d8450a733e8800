// git: Debian's git packing a generated repository from scratch — `git
// pack-objects --all --no-reuse-delta --no-reuse-object`, what `git repack
// -a -d -f` (and an aggressive `git gc`) runs — with the cell's thread count
// as its delta-search threads.
//
// Models: a version-control tool's heaviest command: every object of the
// history is read and inflated (zlib streams allocated and freed per
// object), sorted by type, path and size, and each blob is delta-compressed
// against the previous 10 of its window (a delta index per candidate, freed
// when it leaves the window, delta buffers grown by realloc), then deflated
// into the pack. Threads split the object list and search it concurrently,
// each with its own window, and hand finished deltas to the writer.
// Does not model: network transfer (fetch and push pack the same way,
// without --no-reuse-delta), working-tree commands, very large files.
// The repository: `files` text files in 16 directories and `commits`
// commits, each of which inserts three lines into a tenth of the files at
// random places: one history from the seed, built by `git fast-import` (a
// helper, not measured) before the timed region.
// Parameters: files, commits; the cell's threads are --threads. Measures:
// pack-objects' wall time, CPU time over its threads, faults, peak RSS and
// RSS over time (from outside it); ops are objects packed.
// How long: smoke ~0.1 s, quick ~0.5 s, full ~20 s per cell.
// Checks itself: pack-objects must exit 0 and print the pack's name, and the
// pack's index must hold exactly as many objects as the repository
// fast-import wrote. The pack's size is a counter: the same under every
// allocator with one thread; with more, how the threads split the objects
// decides some deltas, so it varies by a few hundred bytes.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "base/file_text.h"
#include "base/temp_dir.h"
#include "workloads/support/external_program.h"
#include "workloads/support/program_input.h"
#include "workloads/support/rng.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

constexpr int kBaseLines = 60;  // lines of every file in the first commit
constexpr int kInsertions = 3;  // lines each change inserts
constexpr int kDirectories = 16;

// The object count of a pack index (version 2): the last entry of its
// fan-out table; -1 when the file is not one.
std::int64_t PackIndexObjects(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char header[8 + 256 * 4];
  if (!in.read(reinterpret_cast<char*>(header), sizeof(header))) return -1;
  const unsigned char magic[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
  if (!std::equal(magic, magic + 8, header)) return -1;
  const unsigned char* last = header + 8 + 255 * 4;
  return (std::int64_t{last[0]} << 24) | (std::int64_t{last[1]} << 16) |
         (std::int64_t{last[2]} << 8) | std::int64_t{last[3]};
}

// The objects in all the pack indexes of a bare repository; -1 when none.
std::int64_t RepositoryObjects(const std::string& repository) {
  std::int64_t objects = -1;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(repository + "/objects/pack", ec)) {
    if (entry.path().extension() != ".idx") continue;
    std::int64_t n = PackIndexObjects(entry.path().string());
    if (n < 0) return -1;
    objects = std::max<std::int64_t>(objects, 0) + n;
  }
  return objects;
}

// A git fast-import stream of the history the header describes.
std::string FastImportStream(std::int64_t files, std::int64_t commits,
                             std::uint64_t seed) {
  Rng rng(seed);
  auto line = [&](const char* prefix) {
    return prefix + std::to_string(rng.Next() % 100000) + " " +
           std::string(rng.Uniform(8, 60), 'x');
  };
  std::vector<std::vector<std::string>> contents(
      static_cast<std::size_t>(files));
  for (auto& lines : contents)
    for (int i = 0; i < kBaseLines; ++i) lines.push_back(line("base "));
  std::string out;
  auto data = [&](const std::string& text) {
    out += "data " + std::to_string(text.size()) + "\n" + text + "\n";
  };
  const auto changed =
      static_cast<std::size_t>(std::max<std::int64_t>(1, files / 10));
  std::vector<std::size_t> order(contents.size());
  for (std::size_t f = 0; f < order.size(); ++f) order[f] = f;
  for (std::int64_t c = 0; c < commits; ++c) {
    out += "commit refs/heads/main\n";
    out += "committer allocmark <allocmark@example.invalid> " +
           std::to_string(1700000000 + c) + " +0000\n";
    data("commit " + std::to_string(c) + "\n");
    // The first commit adds every file; each later one changes `changed`
    // distinct files (a file changed twice would leave a blob unreachable).
    const std::size_t count = c == 0 ? order.size() : changed;
    for (std::size_t k = 0; k < count; ++k) {
      if (c > 0) std::swap(order[k], order[k + rng.Below(order.size() - k)]);
      const std::size_t f = order[k];
      auto& lines = contents[f];
      if (c > 0)
        for (int i = 0; i < kInsertions; ++i)
          lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(
                                           rng.Below(lines.size() + 1)),
                       line("edit "));
      std::string text;
      for (const auto& l : lines) text += l + "\n";
      out += "M 100644 inline dir" + std::to_string(f % kDirectories) +
             "/file" + std::to_string(f) + ".txt\n";
      data(text);
    }
  }
  return out;
}

class ProgramGit {
 public:
  explicit ProgramGit(const WorkloadConfig& config)
      : files_(config.Get("files")),
        commits_(config.Get("commits")),
        threads_(config.threads),
        seed_(config.seed) {
    for (std::int64_t v : {files_, commits_, std::int64_t{threads_}})
      hash_.Add(static_cast<std::uint64_t>(v));
    hash_.Add(seed_);
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  // Builds the repository (untimed).
  void Prepare(RunContext& /*ctx*/) {
    if (std::string error = FindProgram("git", "git", git_); !error.empty()) {
      error_ = error;
      return;
    }
    dir_ = std::make_unique<TempDir>("allocmark-git");
    ProgramSpec init = Spec({git_, "init", "-q", "--bare", Repository()});
    ProgramSpec import =
        Spec({git_, "-C", Repository(), "fast-import", "--quiet"});
    import.stdin_path = dir_->File("history.fi");
    error_ = WriteTextFile(import.stdin_path,
                           FastImportStream(files_, commits_, seed_));
    if (error_.empty()) error_ = RunHelperProgram(init, 120);
    if (error_.empty()) error_ = RunHelperProgram(import, 600);
    std::filesystem::remove(import.stdin_path);
    objects_ = RepositoryObjects(Repository());
    if (error_.empty() && objects_ <= 0)
      error_ = "git fast-import wrote no pack in " + Repository();
  }

  template <Heap H>
  void Run(RunContext& ctx) {
    if (dir_ == nullptr || !error_.empty()) {
      ctx.Fail(error_.empty() ? "git: the repository was not built" : error_);
      return;
    }
    ProgramSpec spec = Spec(
        {git_, "-C", Repository(), "pack-objects", "-q", "--all", "--revs",
         "--no-reuse-delta", "--no-reuse-object", "--window=10", "--depth=50",
         "--threads=" + std::to_string(threads_), dir_->File("packed")});
    spec.output_path = dir_->File("pack-objects.out");
    if (!RunMeasuredProgram(spec, 0, ctx)) return;
    std::string name = ReadFileText(spec.output_path);
    name = name.substr(0, name.find('\n'));
    const std::int64_t packed =
        PackIndexObjects(dir_->File("packed-" + name + ".idx"));
    if (packed != objects_) {
      ctx.Fail("git pack-objects packed " + std::to_string(packed) +
               " objects, not the repository's " + std::to_string(objects_) +
               ": " + TailOfFile(spec.output_path));
      return;
    }
    ctx.SetCounter("pack_bytes", static_cast<double>(std::filesystem::file_size(
                                     dir_->File("packed-" + name + ".pack"))));
    ctx.AddOps(0, packed);
  }

 private:
  std::string Repository() const { return dir_->File("repository.git"); }

  // A git command that reads no configuration of the user or the system.
  ProgramSpec Spec(std::vector<std::string> argv) const {
    ProgramSpec spec;
    spec.argv = std::move(argv);
    spec.output_path = dir_->File("helper.out");
    spec.env = {{"GIT_CONFIG_NOSYSTEM", "1"},
                {"GIT_CONFIG_GLOBAL", "/dev/null"},
                {"HOME", dir_->path()}};
    return spec;
  }

  std::int64_t files_;
  std::int64_t commits_;
  int threads_;
  std::uint64_t seed_;
  RequestHash hash_;
  std::string git_;
  std::unique_ptr<TempDir> dir_;
  std::string error_;
  std::int64_t objects_ = 0;
};

const bool kRegistered = RegisterWorkload<ProgramGit>({
    .name = "program_git",
    .summary = "real program: git pack-objects recompressing a generated "
               "history from scratch",
    .params =
        {
            {"files", "text files in the repository", 40, 200, 1000, 1},
            {"commits", "commits, each changing a tenth of the files", 30, 100,
             500, 1},
        },
    .heaps = {HeapKind::kMalloc},
    .max_threads = 64,
    .ops_unit = "objects",
    .cost_weight = 1.0,
});

}  // namespace
}  // namespace allocmark
