// The write loop of Hoard's false-sharing tests (cache_scratch, cache_thrash):
// a thread reads and writes every byte of its small object many times, the
// work that makes two threads' objects on one cache line ping-pong between
// cores.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_FALSE_SHARING_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_FALSE_SHARING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "allocators/heap.h"
#include "workloads/support/checked_block.h"
#include "workloads/support/rng.h"
#include "workloads/support/run_context.h"
#include "workloads/support/workload.h"

namespace allocmark {

// The parameters both tests take, and the request checksum they make.
struct FalseSharingConfig {
  explicit FalseSharingConfig(const WorkloadConfig& config)
      : threads(config.threads),
        iterations(config.GetSize("iterations")),
        writes(config.GetSize("writes_per_object")),
        size(config.GetSize("object_size_bytes")),
        writer(config.verify, size) {
    for (std::uint64_t word :
         {static_cast<std::uint64_t>(threads), std::uint64_t{iterations},
          std::uint64_t{writes}, std::uint64_t{size}})
      hash.Add(word);
  }

  int threads;
  std::size_t iterations;  // objects per thread
  std::size_t writes;      // passes over each object
  std::size_t size;        // bytes of every object
  // Hoard's loop writes every byte; the canary ties the object to its tag.
  BlockWriter writer;
  RequestHash hash;
};

// What both tests are built on: their parameters and request checksum.
class FalseSharingWorkload {
 public:
  explicit FalseSharingWorkload(const WorkloadConfig& config) : c_(config) {}

  std::uint64_t RequestChecksum() const { return c_.hash.value(); }

 protected:
  FalseSharingConfig c_;
};

// Adds 1 to each byte of p[0, size_bytes) `writes` times (each pass a load
// and a store the compiler may not merge with the next pass; Hoard's loop
// also reads each byte back), then subtracts `writes` from each byte. The
// block holds what it held before (what BlockWriter wrote, for its check
// before the free) only if nothing else changed it meanwhile:
// every step is invertible, so damage done by another thread or by the
// allocator at any moment of the passes is still there at the check, where
// plain stores would write over it.
inline void WriteRepeatedly(void* p, std::size_t size_bytes,
                            std::size_t writes) {
  auto* bytes = static_cast<unsigned char*>(p);
  for (std::size_t w = 0; w < writes; ++w) {
    for (std::size_t i = 0; i < size_bytes; ++i)
      bytes[i] = static_cast<unsigned char>(bytes[i] + 1);
    asm volatile("" : : "r"(bytes) : "memory");
  }
  const auto undo = static_cast<unsigned char>(writes);
  for (std::size_t i = 0; i < size_bytes; ++i)
    bytes[i] = static_cast<unsigned char>(bytes[i] - undo);
}

// The loop both tests run per thread: `c.iterations` times allocate an
// object of `c.size` bytes from `heap` (tags from first_tag on), read and
// write it `c.writes` times, check and free it; then count the objects as
// thread t's operations. Returns early when a check fails (ctx says why).
template <Heap H>
void AllocateWriteFree(H& heap, RunContext& ctx, int t,
                       const FalseSharingConfig& c, std::uint64_t first_tag) {
  std::uint64_t tag = first_tag;
  for (std::size_t i = 0; i < c.iterations; ++i, ++tag) {
    CheckedBlock b;
    if (!AllocateChecked(heap, ctx, c.writer, t, b, c.size, tag)) return;
    WriteRepeatedly(b.p, c.size, c.writes);
    if (!FreeChecked(heap, ctx, c.writer, t, b)) return;
  }
  ctx.AddOps(t, static_cast<std::int64_t>(c.iterations));
}

// The parameters both tests take; `per` names what runs the loop ("worker",
// "thread"). The shape is the one the allocator suites run (cache-thrash T
// 1000 1 2000000 T: 1000 objects per thread, each written 2,000,000 times),
// so that the writes, not the allocations, take the time and false sharing
// shows in it; quick runs half the objects and a tenth of the writes. The
// suites' 1-byte objects take the same 8- or 16-byte slot as 8-byte ones in
// every allocator measured here.
inline std::vector<ParamSpec> FalseSharingParams(const std::string& per) {
  return {
      {"iterations", "objects per " + per, 20, 500, 1000, 1},
      {"writes_per_object", "times each byte is read and written", 10000,
       200000, 2000000, 1},
      {"object_size_bytes", "size of every object", 8, 8, 8, 1},
  };
}

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_FALSE_SHARING_H_
