// Fuzzes the result files a run directory holds, as --resume and merge read
// them: RunStore::ReadRunJson and ReadCells, the options --resume rebuilds
// from run.json (OptionsFromJson), the summary of the rows, and the whole of
// `allocmark merge`. The input is run.json, a NUL byte, then cells.jsonl.
// Any input must end in success or a UsageError; anything else (another
// exception, a crash, a sanitizer report) is a bug.
//
// OptionsFromJson is file-static in run_command.cc: the file is included
// here so that the fuzzer reaches it without widening the harness's API.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "harness/merge_command.cc"  // NOLINT(build/include): reaches Identity
#include "harness/run_command.cc"  // NOLINT(build/include): reaches OptionsFromJson

namespace {

namespace fs = std::filesystem;

const fs::path& WorkDir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() /
                 ("allocmark-fuzz-run-files-" + std::to_string(getpid()));
    fs::create_directories(d / "run");
    // MergeCommand prints its summary; the fuzzer's output is enough.
    if (std::freopen("/dev/null", "w", stdout) == nullptr) std::abort();
    return d;
  }();
  return dir;
}

void Write(const fs::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t nul = input.find('\0');
  std::string_view run_json = input.substr(0, nul);
  std::string_view cells = nul == std::string_view::npos
                               ? std::string_view()
                               : input.substr(nul + 1);
  const fs::path& work = WorkDir();
  Write(work / "run" / "run.json", run_json);
  Write(work / "run" / "cells.jsonl", cells);
  try {
    allocmark::RunStore store = allocmark::RunStore::Open(work / "run");
    nlohmann::json run = store.ReadRunJson();
    std::vector<nlohmann::json> rows = store.ReadCells();
    (void)allocmark::FormatSummary(rows);
    (void)allocmark::Identity(run);
    try {
      (void)allocmark::OptionsFromJson(run, "run");
    } catch (const allocmark::UsageError&) {
    }
    std::error_code ec;
    fs::remove_all(work / "merged", ec);
    (void)allocmark::MergeCommand((work / "merged").string(),
                                  {(work / "run").string()});
  } catch (const allocmark::UsageError&) {
  }
  return 0;
}
