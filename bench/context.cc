// Records in the benchmark JSON's context which allocator serves malloc in
// this process, probed by its own symbols, so that a preload that silently
// failed cannot pass for the allocator it was meant to load.
#include <benchmark/benchmark.h>
#include <dlfcn.h>

namespace allocmark::bench {
namespace {

const char* ProcessAllocator() {
  if (dlsym(RTLD_DEFAULT, "mi_version") != nullptr) return "mimalloc";
  if (dlsym(RTLD_DEFAULT, "mallctl") != nullptr) return "jemalloc";
  if (dlsym(RTLD_DEFAULT, "MallocExtension_GetNumericProperty") != nullptr)
    return "tcmalloc";
  return "glibc";
}

const bool kRecorded = [] {
  benchmark::AddCustomContext("process_allocator", ProcessAllocator());
  return true;
}();

}  // namespace
}  // namespace allocmark::bench
