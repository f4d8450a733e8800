// The process allocators allocmark swaps with LD_PRELOAD, in one table: each
// entry's name, where its library comes from (a Debian package, or an upstream
// repository pinned by tag and commit with the recipe that builds it), how to
// prove it serves malloc, and how to read its version and statistics.
//
// Adding an allocator is one row in kProcessAllocators (process_allocators.cc);
// `make allocators` (scripts/build_allocators.py) builds every upstream row
// from what `allocmark list --json` says of it. A library the table does not
// know can still be measured by path (`--allocator NAME=/path/lib.so`); it is
// then proven by the library that serves malloc, not by its symbols.
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

enum class AllocatorSource { kDebian, kUpstream };
std::string_view AllocatorSourceName(AllocatorSource source);  // "debian"...

// An upstream release, fetched with git and verified by its commit.
struct UpstreamRelease {
  std::string_view repo;    // "mimalloc": cloned from $ALLOCMARK_GIT_MIRROR/
                            // mimalloc.git when that variable is set
  std::string_view url;     // the upstream repository otherwise
  std::string_view tag;     // "v3.4.3"
  std::string_view commit;  // 40 hex digits the tag must resolve to
  // Shell commands run in the checked-out source tree with CFLAGS and
  // CXXFLAGS set to the one recorded optimisation level; `{jobs}` is the
  // parallelism. The builder takes the library from `output` afterwards.
  std::string_view recipe;
  std::string_view output;  // built library, relative to the source tree
};

struct ProcessAllocator {
  std::string_view name;  // upstream name, with the version for a pinned
                          // release: "jemalloc", "mimalloc-3.4.3"
  AllocatorSource source;
  // kDebian: a soname looked up in the system's library directories, or an
  // absolute path; empty for glibc. kUpstream: the file name under
  // UpstreamAllocatorsDir()/<name>/.
  std::string_view library;
  std::string_view debian_package;  // kDebian: provides `library`
  UpstreamRelease upstream;         // kUpstream only
  // A symbol only this allocator's family exports; found in the object that
  // serves malloc, it proves the allocator is active. Empty for glibc.
  std::string_view probe_symbol;
  // In the set a run measures when --allocators is not given.
  bool in_default_set;
  // Read inside a process where this allocator serves malloc.
  std::string (*read_version)();
  AllocatorStats (*read_stats)();
};

std::span<const ProcessAllocator> ProcessAllocators();
const ProcessAllocator* FindProcessAllocator(std::string_view name);

// Where `make allocators` puts the upstream builds: $ALLOCMARK_ALLOCATORS_DIR
// when set, else upstream-allocators/ beside the running executable (the
// build tree).
std::string UpstreamAllocatorsDir();

// Where `allocator`'s library is (or, for an upstream row not yet built,
// would be): glibc yields "".
std::string LibraryPath(const ProcessAllocator& allocator);

// The library for `allocator` when it is there to preload: LibraryPath()
// when readable, nullopt otherwise. glibc yields an empty string.
std::optional<std::string> FindLibrary(const ProcessAllocator& allocator);

// What to do to get a missing library: "apt-get install PKG" or
// "make allocators".
std::string HowToInstall(const ProcessAllocator& allocator);

// What serves malloc in this process, found from inside it: the shared object
// that dladdr names for dlsym(RTLD_DEFAULT, "malloc"), and the table row whose
// probe symbol lives in that same object. Rows of one family share a probe;
// among them the proof takes `expected` when it names one, else the row whose
// library is that object, else the first. "glibc" when malloc is libc's,
// "unknown" otherwise. Called by the child before it measures anything.
struct MallocProof {
  std::string allocator;  // table name, "glibc" or "unknown"
  std::string library;    // real path of the object serving malloc
  std::string version;    // as the allocator reports it; empty if unknown
};
MallocProof ProveMalloc(std::string_view expected = {});

// Statistics of the allocator named by the proof (empty when unknown).
AllocatorStats ReadAllocatorStats(const MallocProof& proof);

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_PROCESS_ALLOCATORS_H_
