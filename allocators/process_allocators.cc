#include "allocators/process_allocators.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

namespace allocmark {
namespace {

template <class Fn>
Fn Lookup(const char* symbol) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, symbol));
}

std::string GlibcVersion() { return gnu_get_libc_version(); }

AllocatorStats GlibcStats() {
  struct mallinfo2 info = mallinfo2();
  return {{"glibc.arena_bytes", static_cast<double>(info.arena)},
          {"glibc.mmapped_bytes", static_cast<double>(info.hblkhd)},
          {"glibc.in_use_bytes", static_cast<double>(info.uordblks)},
          {"glibc.free_bytes", static_cast<double>(info.fordblks)},
          {"glibc.releasable_bytes", static_cast<double>(info.keepcost)}};
}

using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);

std::string JemallocVersion() {
  auto mallctl = Lookup<Mallctl>("mallctl");
  const char* version = nullptr;
  std::size_t size = sizeof(version);
  if (mallctl == nullptr ||
      mallctl("version", &version, &size, nullptr, 0) != 0)
    return "";
  return version;
}

AllocatorStats JemallocStats() {
  auto mallctl = Lookup<Mallctl>("mallctl");
  if (mallctl == nullptr) return {};
  // Statistics are cached until the epoch advances.
  std::uint64_t epoch = 1;
  std::size_t epoch_size = sizeof(epoch);
  mallctl("epoch", &epoch, &epoch_size, &epoch, epoch_size);
  AllocatorStats stats;
  for (const char* key : {"stats.allocated", "stats.active", "stats.resident",
                          "stats.mapped", "stats.retained", "stats.metadata"}) {
    std::size_t value = 0;
    std::size_t size = sizeof(value);
    if (mallctl(key, &value, &size, nullptr, 0) == 0)
      stats[std::string("jemalloc.") + (key + 6) + "_bytes"] =
          static_cast<double>(value);
  }
  return stats;
}

std::string TcmallocVersion() {
  using TcVersion = const char* (*)(int*, int*, const char**);
  auto tc_version = Lookup<TcVersion>("tc_version");
  if (tc_version == nullptr) return "";
  int major = 0;
  int minor = 0;
  const char* patch = nullptr;
  tc_version(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) +
         (patch != nullptr ? patch : "");
}

AllocatorStats TcmallocStats() {
  using GetProperty = int (*)(const char*, std::size_t*);
  auto get = Lookup<GetProperty>("MallocExtension_GetNumericProperty");
  if (get == nullptr) return {};
  AllocatorStats stats;
  for (const char* key :
       {"generic.current_allocated_bytes", "generic.heap_size",
        "tcmalloc.pageheap_free_bytes", "tcmalloc.pageheap_unmapped_bytes"}) {
    std::size_t value = 0;
    if (get(key, &value) != 0)
      stats[std::string("tcmalloc.") + key] = static_cast<double>(value);
  }
  return stats;
}

std::string MimallocVersion() {
  using MiVersion = int (*)();
  auto mi_version = Lookup<MiVersion>("mi_version");
  if (mi_version == nullptr) return "";
  // mi_version() encodes major*100 + minor*10 + patch.
  int v = mi_version();
  return std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." +
         std::to_string(v % 10);
}

AllocatorStats MimallocStats() {
  using ProcessInfo =
      void (*)(std::size_t*, std::size_t*, std::size_t*, std::size_t*,
               std::size_t*, std::size_t*, std::size_t*, std::size_t*);
  auto info = Lookup<ProcessInfo>("mi_process_info");
  if (info == nullptr) return {};
  std::size_t elapsed_ms, user_ms, system_ms, rss, peak_rss, commit,
      peak_commit, faults;
  info(&elapsed_ms, &user_ms, &system_ms, &rss, &peak_rss, &commit,
       &peak_commit, &faults);
  return {{"mimalloc.current_rss_bytes", static_cast<double>(rss)},
          {"mimalloc.peak_rss_bytes", static_cast<double>(peak_rss)},
          {"mimalloc.current_commit_bytes", static_cast<double>(commit)},
          {"mimalloc.peak_commit_bytes", static_cast<double>(peak_commit)},
          {"mimalloc.page_faults", static_cast<double>(faults)}};
}

constexpr std::array<ProcessAllocator, 4> kProcessAllocators = {{
    {"glibc", "", "libc6", "", GlibcVersion, GlibcStats},
    {"jemalloc", "libjemalloc.so.2", "libjemalloc2", "mallctl", JemallocVersion,
     JemallocStats},
    {"tcmalloc", "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4",
     "MallocExtension_GetNumericProperty", TcmallocVersion, TcmallocStats},
    {"mimalloc", "libmimalloc.so.2", "libmimalloc2.0", "mi_version",
     MimallocVersion, MimallocStats},
}};

// The shared object that defines `address`, as a real path; empty if none.
std::string ObjectOf(const void* address) {
  Dl_info info{};
  if (address == nullptr || dladdr(address, &info) == 0 ||
      info.dli_fname == nullptr)
    return "";
  std::error_code ec;
  auto path = std::filesystem::canonical(info.dli_fname, ec);
  return ec ? std::string(info.dli_fname) : path.string();
}

}  // namespace

std::span<const ProcessAllocator> ProcessAllocators() {
  return kProcessAllocators;
}

const ProcessAllocator* FindProcessAllocator(std::string_view name) {
  for (const auto& a : kProcessAllocators)
    if (a.name == name) return &a;
  return nullptr;
}

std::optional<std::string> FindLibrary(const ProcessAllocator& allocator) {
  if (allocator.soname.empty()) return std::string();
  // The multiarch directory is the one libc itself was loaded from.
  std::filesystem::path libc_dir =
      std::filesystem::path(
          ObjectOf(reinterpret_cast<const void*>(&gnu_get_libc_version)))
          .parent_path();
  std::string triplet = libc_dir.filename().string();
  for (const std::filesystem::path& dir :
       {std::filesystem::path("/usr/lib") / triplet,
        std::filesystem::path("/lib") / triplet,
        std::filesystem::path("/usr/local/lib"),
        std::filesystem::path("/usr/lib"),
        std::filesystem::path("/usr/lib64")}) {
    std::filesystem::path candidate = dir / allocator.soname;
    if (access(candidate.c_str(), R_OK) == 0) return candidate.string();
  }
  return std::nullopt;
}

MallocProof ProveMalloc() {
  MallocProof proof;
  proof.library = ObjectOf(dlsym(RTLD_DEFAULT, "malloc"));
  for (const auto& a : kProcessAllocators) {
    if (a.probe_symbol.empty()) continue;
    void* probe = dlsym(RTLD_DEFAULT, std::string(a.probe_symbol).c_str());
    if (probe != nullptr && ObjectOf(probe) == proof.library) {
      proof.allocator = std::string(a.name);
      proof.version = a.read_version();
      return proof;
    }
  }
  if (proof.library ==
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
