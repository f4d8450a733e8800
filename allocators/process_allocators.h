// The process allocators allocmark swaps with LD_PRELOAD, in one table: each
// entry's name, library, the Debian package that provides it, how to prove it
// serves malloc, and how to read its version and statistics.
//
// Adding an allocator is one row in kProcessAllocators (process_allocators.cc).
// A library the table does not know can still be measured by path
// (`--allocator NAME=/path/lib.so`); it is then proven by the library that
// serves malloc, not by its symbols.
#ifndef ALLOCMARK_ALLOCATORS_PROCESS_ALLOCATORS_H_
#define ALLOCMARK_ALLOCATORS_PROCESS_ALLOCATORS_H_

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace allocmark {

// Allocator statistics by name (bytes unless the name says otherwise).
using AllocatorStats = std::map<std::string, double>;

struct ProcessAllocator {
  std::string_view name;            // upstream name: "jemalloc"
  std::string_view soname;          // "libjemalloc.so.2"; empty for glibc
  std::string_view debian_package;  // provides soname on Debian bookworm
  // A symbol only this allocator exports; found in the object that serves
  // malloc, it proves the allocator is active. Empty for glibc, the default.
  std::string_view probe_symbol;
  // Read inside a process where this allocator serves malloc.
  std::string (*read_version)();
  AllocatorStats (*read_stats)();
};

std::span<const ProcessAllocator> ProcessAllocators();
const ProcessAllocator* FindProcessAllocator(std::string_view name);

// The installed library for `allocator`: the first directory of the system's
// library path that holds its soname. nullopt when it is not installed.
// glibc, which needs no preload, yields an empty string.
std::optional<std::string> FindLibrary(const ProcessAllocator& allocator);

// What serves malloc in this process, found from inside it: the shared object
// that dladdr names for dlsym(RTLD_DEFAULT, "malloc"), and the allocator whose
// probe symbol lives in that same object ("glibc" when malloc is libc's,
// "unknown" otherwise). Called by the child before it measures anything.
struct MallocProof {
  std::string allocator;  // table name, "glibc" or "unknown"
  std::string library;    // real path of the object serving malloc
  std::string version;    // as the allocator reports it; empty if unknown
};
MallocProof ProveMalloc();

// Statistics of the allocator named by the proof (empty when unknown).
AllocatorStats ReadAllocatorStats(const MallocProof& proof);

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_PROCESS_ALLOCATORS_H_
