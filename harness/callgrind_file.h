// Reading a callgrind output file (valgrind's callgrind format, version 1:
// https://valgrind.org/docs/manual/cl-format.html) for the share of a cell's
// instructions spent inside the allocator.
#ifndef ALLOCMARK_HARNESS_CALLGRIND_FILE_H_
#define ALLOCMARK_HARNESS_CALLGRIND_FILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace allocmark {

// Where the allocator's code is, for AllocatorInstructions (and the perf
// pass's samples, perf_pass.h).
struct AllocatorCode {
  // The preloaded allocator's shared library (any path to it; compared after
  // resolving links): every function in it is the allocator's. Empty for
  // glibc, whose allocator functions are told by name.
  std::string library;
  // Source files whose instructions, inlined into the workload, are the
  // in-process heaps' own (allocmark's allocators/ folder): a path prefix.
  std::string heap_source_prefix;

  // True for a source file of the in-process heaps: under
  // heap_source_prefix, or libstdc++'s <memory_resource> (the pmr resources'
  // inline members).
  bool IsHeapSource(std::string_view file) const;
};

// The allocator code of a run: `library` (the preloaded allocator's; "" for
// glibc) and allocmark's own heaps, its allocators/ sources.
AllocatorCode AllocatorCodeOf(const std::string& library);

// `path` with its links resolved, for comparing a library's path as
// LD_PRELOAD names it with the path a tool reports; `path` itself when it
// cannot be resolved (or is empty, or "???").
std::string CanonicalPath(const std::string& path);

struct AllocatorInstructions {
  std::int64_t total = 0;      // instructions collected (the timed region)
  std::int64_t allocator = 0;  // of which inside the allocator or the heap
  double share() const {
    return total > 0
               ? static_cast<double>(allocator) / static_cast<double>(total)
               : 0;
  }
};

// True for a function that is an allocator's entry point or part of one by
// its name alone: the malloc family and its glibc and allocator-prefixed
// names (__libc_malloc, tc_malloc, mi_free, je_calloc, ...), C++ operator
// new and delete in every form, and the std::pmr memory resources' members.
// `name` is as callgrind writes it (demangled, maybe with a "'2" suffix).
bool IsAllocatorFunctionName(std::string_view name);

// The instructions of the file at `path` and how many of them were spent
// inside the allocator: the inclusive cost of every call from outside the
// allocator into an allocator function (by name, or in code.library), plus
// the instructions of lines from code.heap_source_prefix outside such
// functions (the in-process heaps, inlined into the workload). Empty when the
// file cannot be read or has no total.
std::optional<AllocatorInstructions> ReadAllocatorInstructions(
    const std::string& path, const AllocatorCode& code);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_CALLGRIND_FILE_H_
