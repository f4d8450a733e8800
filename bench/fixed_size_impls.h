// The allocators the slab benchmarks compare, each reduced to Alloc()/Free(p)
// of one fixed size (kFixedBytes, 16-aligned), called inline.
#ifndef ALLOCMARK_BENCH_FIXED_SIZE_IMPLS_H_
#define ALLOCMARK_BENCH_FIXED_SIZE_IMPLS_H_

#include <cstddef>
#include <cstdlib>
#include <memory_resource>

#include "allocators/object_pool.h"
#include "allocators/slab.h"
#include "allocators/slab_mt.h"

namespace allocmark::bench {

template <std::size_t kBytes>
struct SlabFixed {
  SlabAllocator slab;
  void* Alloc() { return slab.Allocate(kBytes, 16); }
  void Free(void* p) { slab.Deallocate(p, kBytes, 16); }
};

template <std::size_t kBytes>
struct SlabMtFixed {
  ConcurrentSlabAllocator slab;
  void* Alloc() { return slab.Allocate(kBytes, 16); }
  void Free(void* p) { slab.Deallocate(p, kBytes, 16); }
};

template <std::size_t kBytes>
struct PoolFixed {
  struct alignas(16) Object {
    unsigned char bytes[kBytes];
  };
  ObjectPool<Object> pool;
  void* Alloc() { return pool.Allocate(); }
  void Free(void* p) { pool.Deallocate(p); }
};

template <std::size_t kBytes>
struct PmrPoolFixed {
  std::pmr::unsynchronized_pool_resource pool{std::pmr::new_delete_resource()};
  void* Alloc() { return pool.allocate(kBytes, 16); }
  void Free(void* p) { pool.deallocate(p, kBytes, 16); }
};

// The process allocator (glibc, or whichever is preloaded).
template <std::size_t kBytes>
struct MallocFixed {
  void* Alloc() { return std::malloc(kBytes); }
  void Free(void* p) { std::free(p); }
};

}  // namespace allocmark::bench

#endif  // ALLOCMARK_BENCH_FIXED_SIZE_IMPLS_H_
