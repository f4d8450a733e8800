// Arena: bump allocation in chunks, released all at once.
//
// An Arena hands out blocks by moving a pointer down through the current
// chunk; Deallocate is not offered: blocks die together at Reset() (end of a
// frame, document or request) or at Rewind(marker). Chunks come from an
// upstream std::pmr::memory_resource, grow geometrically (initial_chunk_bytes,
// doubling up to max_chunk_bytes) and are kept across Reset(), so a program in
// steady state stops calling the upstream after its first frame. A request
// over a quarter of the current chunk size gets a block of its own from the
// upstream ("large block"), returned to the upstream at Reset()/Rewind().
//
// Cost: Allocate's fast path is a subtraction, a mask and a compare (inlined,
// no atomics, no counters); Reset() and Rewind() are O(chunks + large blocks),
// never O(objects). Stats() is O(chunks).
//
// Not thread-safe: one arena belongs to one thread at a time.
#ifndef ALLOCMARK_ALLOCATORS_ARENA_H_
#define ALLOCMARK_ALLOCATORS_ARENA_H_

#include <cstddef>
#include <cstdint>
#include <memory_resource>

namespace allocmark {

struct ArenaStats {
  // Bytes consumed from chunks since the last Reset (requests plus alignment
  // padding), plus the requested bytes of live large blocks.
  std::size_t used_bytes = 0;
  // Bytes held from the upstream now: every chunk plus every large block.
  std::size_t reserved_bytes = 0;
  std::size_t chunks = 0;        // chunks held (in use or kept for reuse)
  std::size_t large_blocks = 0;  // live large blocks
};

class Arena {
 public:
  static constexpr std::size_t kDefaultInitialChunkBytes = 64 * 1024;
  static constexpr std::size_t kDefaultMaxChunkBytes = 64 * 1024 * 1024;

  // A saved allocation point; see Mark() and Rewind().
  struct Marker {
    void* chunk = nullptr;
    std::uintptr_t cur = 0;
    void* large = nullptr;
  };

  // upstream must outlive the arena. Chunk sizes start at initial_chunk_bytes
  // and double up to max_chunk_bytes (both rounded up to 4 KiB).
  explicit Arena(
      std::pmr::memory_resource* upstream = std::pmr::new_delete_resource(),
      std::size_t initial_chunk_bytes = kDefaultInitialChunkBytes,
      std::size_t max_chunk_bytes = kDefaultMaxChunkBytes);
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() { Release(); }

  // Returns a block of size_bytes aligned to align_bytes, or nullptr when the
  // upstream cannot serve the request (it threw) or size_bytes is too large
  // to represent with its alignment (over PTRDIFF_MAX). align_bytes must be
  // a power of two (any, including above 4 KiB); the fast path does not
  // check it. Size 0 returns a non-null pointer that may equal
  // another size-0 block. The block lives until Reset() or a Rewind() to a
  // marker taken before it.
  void* Allocate(std::size_t size_bytes, std::size_t align_bytes) {
    std::uintptr_t p;
    if (__builtin_sub_overflow(cur_, size_bytes, &p)) [[unlikely]]
      return AllocateSlow(size_bytes, align_bytes);
    p &= ~(static_cast<std::uintptr_t>(align_bytes) - 1);
    if (p < begin_) [[unlikely]]
      return AllocateSlow(size_bytes, align_bytes);
    cur_ = p;
    return reinterpret_cast<void*>(p);
  }

  // Ends every block: keeps the chunks for reuse, returns large blocks.
  void Reset() { Rewind(Marker{}); }

  // The current allocation point; Rewind(marker) ends every block allocated
  // after it and keeps the ones before. Markers are stack-like: rewinding to
  // a marker invalidates markers taken after it. Rewinding to a marker from
  // before the last Reset() is a precondition violation.
  Marker Mark() const { return Marker{current_, cur_, large_}; }
  void Rewind(const Marker& marker);

  // Returns every chunk and large block to the upstream.
  void Release();

  ArenaStats Stats() const;
  std::pmr::memory_resource* upstream() const { return upstream_; }

 private:
  struct Chunk;
  struct LargeBlock;

  [[gnu::noinline]] inline void* AllocateSlow(std::size_t size_bytes,
                                              std::size_t align_bytes);
  void* AllocateLarge(std::size_t size_bytes, std::size_t align_bytes);
  void EnterChunk(Chunk* chunk);
  Chunk* NewChunk(std::size_t min_usable_bytes);

  // The fast path reads only these two: the bump pointer moves down from the
  // end of the current chunk and may not go below begin_. Empty state:
  // cur_ = 0, begin_ = 1, so every request takes the slow path.
  std::uintptr_t cur_ = 0;
  std::uintptr_t begin_ = 1;

  Chunk* current_ = nullptr;  // chunk that cur_ points into
  Chunk* first_ = nullptr;    // chunks in order of creation
  Chunk* last_ = nullptr;
  LargeBlock* large_ = nullptr;  // newest first
  std::pmr::memory_resource* upstream_;
  std::size_t next_chunk_bytes_;
  std::size_t max_chunk_bytes_;
  std::size_t chunk_count_ = 0;
  std::size_t chunk_bytes_ = 0;
};

}  // namespace allocmark

#include "allocators/arena_impl.h"  // IWYU pragma: export

#endif  // ALLOCMARK_ALLOCATORS_ARENA_H_
