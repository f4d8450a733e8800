// Version and statistics readers of the process allocators, called inside a
// process where the allocator serves malloc (the child's proof). Each finds
// the allocator's own API with dlsym(RTLD_DEFAULT, ...), so a reader of an
// allocator that is not loaded returns "" or no statistics.
#ifndef ALLOCMARK_ALLOCATORS_ALLOCATOR_READERS_H_
#define ALLOCMARK_ALLOCATORS_ALLOCATOR_READERS_H_

#include <string>

#include "allocators/process_allocators.h"

namespace allocmark {

// The shared object that defines `address`, as a real path; empty if none.
std::string ObjectOf(const void* address);

std::string GlibcVersion();  // gnu_get_libc_version()
AllocatorStats GlibcStats();

std::string JemallocVersion();  // mallctl("version")
AllocatorStats JemallocStats();

std::string TcmallocVersion();  // gperftools' tc_version()
AllocatorStats TcmallocStats();

std::string MimallocVersion();  // mi_version()
AllocatorStats MimallocStats();

// oneTBB's scalable allocator has no version call: its version is the
// "TBBmalloc: VERSION" line the library carries in its own image.
std::string TbbmallocVersion();

// Scudo has no version call either; it ships inside an LLVM release, whose
// number its install path names (/usr/lib/llvm-16/lib/clang/16/...).
std::string ScudoVersion();

// For upstream libraries without a version call (snmalloc, rpmalloc,
// hardened_malloc): the tag in the `version` file the build wrote beside the
// library after checking out the pinned commit.
std::string BuildRecordVersion();

AllocatorStats NoStats();

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_ALLOCATOR_READERS_H_
