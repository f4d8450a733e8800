// Which process allocators a run measures: names from the table in
// allocators/process_allocators.h, and libraries the user names
// (`--allocator NAME=/path/lib.so`). Every choice is probed once, in a child
// with the library preloaded, for its version and for the proof that it
// serves malloc at all.
#ifndef ALLOCMARK_HARNESS_ALLOCATOR_CHOICE_H_
#define ALLOCMARK_HARNESS_ALLOCATOR_CHOICE_H_

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "allocators/process_allocators.h"

namespace allocmark {

struct AllocatorChoice {
  std::string name;     // "jemalloc", or the user's NAME
  std::string library;  // what LD_PRELOAD names; empty for glibc
  const ProcessAllocator* known = nullptr;  // table entry for a table name
  bool user_library = false;                // given as NAME=/path
  MallocProof probe;                        // what a probe child reported
};

// `names`: --allocators, table names or set names ("default": the four the
// project is about, "all", "debian", "upstream": each set's members that are
// installed or built); empty means "default". `custom`: the NAME=/path
// arguments; every one is measured, after the others when `names` does not
// name it. Throws
// UsageError for an unknown name, a named allocator that is not installed or
// built (naming the command that gets it), a path that does not exist.
std::vector<AllocatorChoice> ResolveAllocators(
    const std::vector<std::string>& names,
    const std::vector<std::string>& custom);

// Runs `child probe` with the choice preloaded and fills choice.probe.
// Throws UsageError when a user-named library does not serve malloc; returns
// with choice.probe unfilled when a stop signal ended the probe.
void ProbeAllocator(const std::string& child_path, AllocatorChoice& choice);

// The environment changes that preload the choice into a child.
std::map<std::string, std::optional<std::string>> PreloadEnvironment(
    const AllocatorChoice& choice);

// run.json's "allocators" list: each allocator's name, library, whether the
// user named the library, and what its probe proved (allocator, version).
nlohmann::json AllocatorsJson(const std::vector<AllocatorChoice>& allocators);

// The reverse, for --resume: the table names of run.json's "allocators" into
// `names`, a user's libraries as NAME=/path into `custom`. Throws
// nlohmann::json::exception when the list is malformed.
void AllocatorsFromJson(const nlohmann::json& allocators,
                        std::vector<std::string>& names,
                        std::vector<std::string>& custom);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_ALLOCATOR_CHOICE_H_
