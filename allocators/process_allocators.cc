#include "allocators/process_allocators.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "allocators/allocator_readers.h"

namespace allocmark {
namespace {

constexpr AllocatorSource kDebian = AllocatorSource::kDebian;
constexpr AllocatorSource kUpstream = AllocatorSource::kUpstream;

// mimalloc 2 and 3 build alike.
constexpr std::string_view kMimallocUrl =
    "https://github.com/microsoft/mimalloc.git";
constexpr std::string_view kMimallocRecipe =
    "cmake -S . -B out -DCMAKE_BUILD_TYPE=Release -DMI_BUILD_TESTS=OFF "
    "-DMI_BUILD_STATIC=OFF -DMI_BUILD_OBJECT=OFF && "
    "cmake --build out -j {jobs}";

// The upstream recipes build with each project's own build system and its
// release configuration; the builder sets CFLAGS and CXXFLAGS to the one
// optimisation level every build shares (`{cflags}` where a project's own
// flags would override the environment's), and no -march or LTO.
constexpr std::array<ProcessAllocator, 15> kProcessAllocators = {{
    // The four the project is about, as Debian bookworm ships them.
    {"glibc", kDebian, "", "libc6", {}, "", true, GlibcVersion, GlibcStats},
    {"jemalloc",
     kDebian,
     "libjemalloc.so.2",
     "libjemalloc2",
     {},
     "mallctl",
     true,
     JemallocVersion,
     JemallocStats},
    {"tcmalloc",
     kDebian,
     "libtcmalloc_minimal.so.4",
     "libtcmalloc-minimal4",
     {},
     "MallocExtension_GetNumericProperty",
     true,
     TcmallocVersion,
     TcmallocStats},
    {"mimalloc",
     kDebian,
     "libmimalloc.so.2",
     "libmimalloc2.0",
     {},
     "mi_version",
     true,
     MimallocVersion,
     MimallocStats},
    // More from Debian packages.
    {"tcmalloc-full",
     kDebian,
     "libtcmalloc.so.4",
     "libgoogle-perftools4",
     {},
     "HeapProfilerStart",
     false,
     TcmallocVersion,
     TcmallocStats},
    {"tbbmalloc",
     kDebian,
     "libtbbmalloc_proxy.so.2",
     "libtbbmalloc2",
     {},
     "__TBB_malloc_proxy",
     false,
     TbbmallocVersion,
     NoStats},
    {"scudo-14",
     kDebian,
     "/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/"
     "libclang_rt.scudo_standalone-x86_64.so",
     "libclang-rt-14-dev",
     {},
     "__scudo_print_stats",
     false,
     ScudoVersion,
     NoStats},
    {"scudo-16",
     kDebian,
     "/usr/lib/llvm-16/lib/clang/16/lib/linux/"
     "libclang_rt.scudo_standalone-x86_64.so",
     "libclang-rt-16-dev",
     {},
     "__scudo_print_stats",
     false,
     ScudoVersion,
     NoStats},
    // Built by `make allocators` at pinned upstream commits.
    {"mimalloc-2.4.1",
     kUpstream,
     "libmimalloc.so",
     "",
     {"mimalloc", kMimallocUrl, "v2.4.1",
      "30ac9d56b8b9ea57ae84bc8ef17ef39000da08fe", kMimallocRecipe,
      "out/libmimalloc.so"},
     "mi_version",
     false,
     MimallocVersion,
     MimallocStats},
    {"mimalloc-3.4.3",
     kUpstream,
     "libmimalloc.so",
     "",
     {"mimalloc", kMimallocUrl, "v3.4.3",
      "152fbf2634aeafca3774df791b0a77683035f076", kMimallocRecipe,
      "out/libmimalloc.so"},
     "mi_version",
     false,
     MimallocVersion,
     MimallocStats},
    {"jemalloc-5.3.1",
     kUpstream,
     "libjemalloc.so.2",
     "",
     {"jemalloc", "https://github.com/jemalloc/jemalloc.git", "5.3.1",
      "81034ce1f1373e37dc865038e1bc8eeecf559ce8",
      "autoconf && ./configure --disable-static && "
      "make -j {jobs} build_lib_shared",
      "lib/libjemalloc.so.2"},
     "mallctl",
     false,
     JemallocVersion,
     JemallocStats},
    {"tcmalloc-2.18.1",
     kUpstream,
     "libtcmalloc_minimal.so",
     "",
     {"gperftools", "https://github.com/gperftools/gperftools.git",
      "gperftools-2.18.1", "d837a42788ba591d5d791c3b686f2738e7a93562",
      "autoreconf -fi && ./configure --enable-minimal --disable-static && "
      "make -j {jobs} libtcmalloc_minimal.la",
      ".libs/libtcmalloc_minimal.so"},
     "MallocExtension_GetNumericProperty",
     false,
     TcmallocVersion,
     TcmallocStats},
    {"snmalloc",
     kUpstream,
     "libsnmallocshim.so",
     "",
     {"snmalloc", "https://github.com/microsoft/snmalloc.git", "0.7.5",
      "526c55bdffa17aae20a9a3d24fe68a7a3b8d9894",
      "cmake -S . -B out -DCMAKE_BUILD_TYPE=Release "
      "-DSNMALLOC_BUILD_TESTING=OFF && "
      "cmake --build out -j {jobs} --target snmallocshim",
      "out/libsnmallocshim.so"},
     "__malloc_end_pointer",
     false,
     BuildRecordVersion,
     NoStats},
    {"rpmalloc",
     kUpstream,
     "librpmalloc.so",
     "",
     {"rpmalloc", "https://github.com/mjansson/rpmalloc.git", "2.0.1",
      "beef233c176b235587c0145f765e4316e5ca60d1",
      "python3 configure.py -c release && ninja -j {jobs} "
      "bin/linux/release/x86-64/librpmalloc.so",
      "bin/linux/release/x86-64/librpmalloc.so"},
     "rpmalloc_initialize",
     false,
     BuildRecordVersion,
     NoStats},
    {"hardened_malloc",
     kUpstream,
     "libhardened_malloc.so",
     "",
     {"hardened_malloc", "https://github.com/GrapheneOS/hardened_malloc.git",
      "2026050900", "9a44297103dc05a7ba8c68aff448f7062db5e4ba",
      "make -j {jobs} CONFIG_NATIVE=false 'SHARED_FLAGS=-pipe {cflags} -fPIC "
      "-fvisibility=hidden -fno-plt -fstack-clash-protection "
      "-fcf-protection -fstack-protector-strong -Wall -Wextra'",
      "out/libhardened_malloc.so"},
     "malloc_object_size",
     false,
     BuildRecordVersion,
     NoStats},
}};

bool Readable(const std::string& path) {
  return access(path.c_str(), R_OK) == 0;
}

}  // namespace

std::string_view AllocatorSourceName(AllocatorSource source) {
  return source == kDebian ? "debian" : "upstream";
}

std::span<const ProcessAllocator> ProcessAllocators() {
  return kProcessAllocators;
}

const ProcessAllocator* FindProcessAllocator(std::string_view name) {
  for (const auto& a : kProcessAllocators)
    if (a.name == name) return &a;
  return nullptr;
}

std::string UpstreamAllocatorsDir() {
  if (const char* dir = std::getenv("ALLOCMARK_ALLOCATORS_DIR");
      dir != nullptr && *dir != '\0')
    return dir;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "upstream-allocators").string();
}

std::string LibraryPath(const ProcessAllocator& allocator) {
  namespace fs = std::filesystem;
  if (allocator.library.empty()) return "";
  if (allocator.source == kUpstream)
    return (fs::path(UpstreamAllocatorsDir()) / allocator.name /
            allocator.library)
        .string();
  if (allocator.library.front() == '/') return std::string(allocator.library);
  // The multiarch directory is the one libc itself was loaded from.
  fs::path libc_dir =
      fs::path(ObjectOf(reinterpret_cast<const void*>(&gnu_get_libc_version)))
          .parent_path();
  std::string triplet = libc_dir.filename().string();
  const fs::path dirs[] = {fs::path("/usr/lib") / triplet,
                           fs::path("/lib") / triplet, "/usr/local/lib",
                           "/usr/lib", "/usr/lib64"};
  for (const fs::path& dir : dirs) {
    fs::path candidate = dir / allocator.library;
    if (Readable(candidate)) return candidate.string();
  }
  return (dirs[0] / allocator.library).string();
}

std::optional<std::string> FindLibrary(const ProcessAllocator& allocator) {
  std::string path = LibraryPath(allocator);
  if (!path.empty() && !Readable(path)) return std::nullopt;
  return path;
}

std::string HowToInstall(const ProcessAllocator& allocator) {
  if (allocator.source == kUpstream) return "make allocators";
  return "apt-get install " + std::string(allocator.debian_package);
}

MallocProof ProveMalloc(std::string_view expected) {
  MallocProof proof;
  proof.library = ObjectOf(dlsym(RTLD_DEFAULT, "malloc"));
  const ProcessAllocator* found = nullptr;  // the expected row
  const ProcessAllocator* own = nullptr;    // the row of this very library
  const ProcessAllocator* first = nullptr;  // the first of the family
  for (const auto& a : kProcessAllocators) {
    if (a.probe_symbol.empty()) continue;
    void* probe = dlsym(RTLD_DEFAULT, std::string(a.probe_symbol).c_str());
    if (probe == nullptr || ObjectOf(probe) != proof.library) continue;
    if (a.name == expected) found = &a;
    if (first == nullptr) first = &a;
    std::error_code ec;
    if (own == nullptr &&
        std::filesystem::canonical(LibraryPath(a), ec).string() ==
            proof.library)
      own = &a;
  }
  if (found == nullptr) found = own != nullptr ? own : first;
  if (found != nullptr) {
    proof.allocator = std::string(found->name);
    proof.version = found->read_version();
  } else if (proof.library ==
             ObjectOf(reinterpret_cast<const void*>(&gnu_get_libc_version))) {
    proof.allocator = "glibc";
    proof.version = GlibcVersion();
  } else {
    proof.allocator = "unknown";
  }
  return proof;
}

AllocatorStats ReadAllocatorStats(const MallocProof& proof) {
  const ProcessAllocator* a = FindProcessAllocator(proof.allocator);
  return a != nullptr ? a->read_stats() : AllocatorStats{};
}

}  // namespace allocmark
