// `allocmark list`: the workloads with their parameters and per-profile
// defaults, the heaps, and the process allocators with where each comes from,
// whether it is there, its library and its version as the library itself
// reports it (from a probe child). `--json` prints the same as one JSON
// object, the listing scripts and tests read:
//   {"workloads": [{"name", "summary", "heaps", "max_threads", "params":
//      [{"name", "help", "smoke", "quick", "full", "min_value"}]}],
//    "heaps": [...],
//    "allocators": [{"name", "source" (debian|upstream|user), "available",
//      "version", "library", "proven", "default", "install", "problem",
//      "upstream": {"repo", "url", "tag", "commit", "recipe", "output"}}]}
// User libraries (`--allocator NAME=/path/lib.so`) are listed with source
// "user".
#ifndef ALLOCMARK_HARNESS_LIST_COMMAND_H_
#define ALLOCMARK_HARNESS_LIST_COMMAND_H_

#include <string>
#include <vector>

namespace allocmark {

int ListCommand(bool json, const std::vector<std::string>& custom_allocators);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_LIST_COMMAND_H_
