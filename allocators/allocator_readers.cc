#include "allocators/allocator_readers.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <string_view>
#include <system_error>

namespace allocmark {
namespace {

template <class Fn>
Fn Lookup(const char* symbol) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, symbol));
}

// The shared object that serves malloc in this process.
std::string MallocObject() { return ObjectOf(dlsym(RTLD_DEFAULT, "malloc")); }

using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);

}  // namespace

std::string ObjectOf(const void* address) {
  Dl_info info{};
  if (address == nullptr || dladdr(address, &info) == 0 ||
      info.dli_fname == nullptr)
    return "";
  std::error_code ec;
  auto path = std::filesystem::canonical(info.dli_fname, ec);
  return ec ? std::string(info.dli_fname) : path.string();
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
  // mi_version() encodes major*100 + minor*10 + patch up to 2.0.x (209 is
  // 2.0.9), major*10000 + minor*100 + patch since (20401 is 2.4.1).
  int v = mi_version();
  int base = v >= 10000 ? 100 : 10;
  return std::to_string(v / (base * base)) + "." +
         std::to_string(v / base % base) + "." + std::to_string(v % base);
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

std::string TbbmallocVersion() {
  // The proxy serves malloc; the allocator proper is the object defining
  // scalable_malloc, which the proxy loaded.
  std::string object = ObjectOf(dlsym(RTLD_DEFAULT, "scalable_malloc"));
  if (object.empty()) return "";
  std::ifstream in(object, std::ios::binary);
  std::string image((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  constexpr std::string_view kLabel = "TBBmalloc: VERSION";
  std::size_t at = image.find(kLabel);
  if (at == std::string::npos) return "";
  at = image.find_first_not_of(" \t", at + kLabel.size());
  std::size_t end = image.find_first_not_of("0123456789.", at);
  return at == std::string::npos ? "" : image.substr(at, end - at);
}

std::string ScudoVersion() {
  static const std::regex kLlvm("/llvm-([0-9]+)/lib/clang/([0-9.]+)/");
  std::string object = MallocObject();
  std::smatch match;
  if (!std::regex_search(object, match, kLlvm)) return "";
  return "llvm " + match[2].str();
}

std::string BuildRecordVersion() {
  std::filesystem::path object = MallocObject();
  if (object.empty()) return "";
  std::ifstream in(object.parent_path() / "version");
  std::string version;
  std::getline(in, version);
  return version;
}

AllocatorStats NoStats() { return {}; }

}  // namespace allocmark
