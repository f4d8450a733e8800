// The fast paths, each in a function of its own, for counting instructions
// with callgrind (scripts/count_instructions.py). Every probe_* function is
// called kCalls times on its fast path (warm-up goes through the inline
// paths, not the probes); noipa keeps the compiler from specialising a
// probe for its argument values, so the size is a run-time value as in a
// real caller. A probe's self instruction count / kCalls is the fast path
// plus the probe's own `ret` (1 instruction).
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "allocators/arena.h"
#include "allocators/object_pool.h"
#include "allocators/slab.h"
#include "allocators/slab_mt.h"

namespace {
constexpr int kCalls = 1 << 16;
struct alignas(16) Object64 {
  unsigned char bytes[64];
};
}  // namespace

extern "C" {
[[gnu::noipa]] void* probe_arena_allocate(allocmark::Arena* arena,
                                          std::size_t size) {
  return arena->Allocate(size, 8);
}
[[gnu::noipa]] void* probe_slab_allocate(allocmark::SlabAllocator* slab,
                                         std::size_t size) {
  return slab->Allocate(size, 16);
}
[[gnu::noipa]] void probe_slab_free(allocmark::SlabAllocator* slab, void* p,
                                    std::size_t size) {
  slab->Deallocate(p, size, 16);
}
[[gnu::noipa]] void* probe_pool_allocate(
    allocmark::ObjectPool<Object64>* pool) {
  return pool->Allocate();
}
[[gnu::noipa]] void probe_pool_free(allocmark::ObjectPool<Object64>* pool,
                                    void* p) {
  pool->Deallocate(p);
}
[[gnu::noipa]] void* probe_slab_mt_allocate(
    allocmark::ConcurrentSlabAllocator* slab, std::size_t size) {
  return slab->Allocate(size, 16);
}
[[gnu::noipa]] void probe_slab_mt_free(allocmark::ConcurrentSlabAllocator* slab,
                                       void* p, std::size_t size) {
  slab->Deallocate(p, size, 16);
}
}

int main(int argc, char** argv) {
  // The size comes from outside so that no call site sees a constant.
  const std::size_t size = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 48;
  std::vector<void*> blocks(kCalls);

  allocmark::Arena arena(std::pmr::new_delete_resource(), 64 << 20);
  arena.Allocate(size, 8);  // the first chunk, outside the probe
  for (auto& p : blocks) p = probe_arena_allocate(&arena, size);

  allocmark::SlabAllocator slab;
  for (auto& p : blocks) p = slab.Allocate(size, 16);  // carve, inline
  for (void* p : blocks) slab.Deallocate(p, size, 16);
  for (auto& p : blocks) p = probe_slab_allocate(&slab, size);
  for (void* p : blocks) probe_slab_free(&slab, p, size);

  allocmark::ObjectPool<Object64> pool;
  for (auto& p : blocks) p = pool.Allocate();
  for (void* p : blocks) pool.Deallocate(p);
  for (auto& p : blocks) p = probe_pool_allocate(&pool);
  for (void* p : blocks) probe_pool_free(&pool, p);

  allocmark::ConcurrentSlabAllocator slab_mt;
  for (auto& p : blocks) p = slab_mt.Allocate(size, 16);
  for (void* p : blocks) slab_mt.Deallocate(p, size, 16);
  for (auto& p : blocks) p = probe_slab_mt_allocate(&slab_mt, size);
  for (void* p : blocks) probe_slab_mt_free(&slab_mt, p, size);

  std::printf("calls_per_probe %d size_bytes %zu\n", kCalls, size);
  return 0;
}
