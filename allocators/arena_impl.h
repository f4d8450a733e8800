// Arena's slow paths (included by arena.h; not a header of its own).
#ifndef ALLOCMARK_ALLOCATORS_ARENA_IMPL_H_
#define ALLOCMARK_ALLOCATORS_ARENA_IMPL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory_resource>
#include <new>

#include "allocators/arena.h"

namespace allocmark {

struct Arena::Chunk {
  Chunk* next;
  std::size_t bytes;       // whole chunk, header included
  std::size_t used_bytes;  // consumed, recorded when the bump pointer left it
};

struct Arena::LargeBlock {
  LargeBlock* next;
  std::size_t total_bytes;  // asked of the upstream
  std::size_t align_bytes;  // asked of the upstream
  std::size_t size_bytes;   // requested by the caller
};

namespace arena_internal {
inline constexpr std::size_t kPageBytes = 4096;
inline constexpr std::size_t kChunkAlign = 64;
inline constexpr std::size_t kChunkHeaderBytes = 64;  // >= sizeof(Chunk)

inline std::size_t RoundUpToPage(std::size_t n) {
  return std::max(kPageBytes, (n + kPageBytes - 1) & ~(kPageBytes - 1));
}
}  // namespace arena_internal

inline Arena::Arena(std::pmr::memory_resource* upstream,
                    std::size_t initial_chunk_bytes,
                    std::size_t max_chunk_bytes)
    : upstream_(upstream),
      next_chunk_bytes_(arena_internal::RoundUpToPage(initial_chunk_bytes)),
      max_chunk_bytes_(std::max(
          next_chunk_bytes_, arena_internal::RoundUpToPage(max_chunk_bytes))) {
  static_assert(sizeof(Chunk) <= arena_internal::kChunkHeaderBytes);
}

inline void Arena::EnterChunk(Chunk* chunk) {
  const auto base = reinterpret_cast<std::uintptr_t>(chunk);
  current_ = chunk;
  begin_ = base + arena_internal::kChunkHeaderBytes;
  cur_ = base + chunk->bytes;
  chunk->used_bytes = 0;
}

inline Arena::Chunk* Arena::NewChunk(std::size_t min_usable_bytes) {
  std::size_t bytes = next_chunk_bytes_;
  while (bytes - arena_internal::kChunkHeaderBytes < min_usable_bytes) {
    if (bytes > std::numeric_limits<std::size_t>::max() / 2) return nullptr;
    bytes *= 2;
  }
  void* memory;
  try {
    memory = upstream_->allocate(bytes, arena_internal::kChunkAlign);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
  next_chunk_bytes_ = std::min(max_chunk_bytes_, next_chunk_bytes_ * 2);
  ++chunk_count_;
  chunk_bytes_ += bytes;
  auto* chunk = ::new (memory) Chunk{nullptr, bytes, 0};
  (last_ != nullptr ? last_->next : first_) = chunk;
  last_ = chunk;
  return chunk;
}

void* Arena::AllocateSlow(std::size_t size_bytes, std::size_t align_bytes) {
  if (align_bytes == 0 || (align_bytes & (align_bytes - 1)) != 0)
    return nullptr;
  const std::size_t large_threshold = next_chunk_bytes_ / 4;
  if (size_bytes > large_threshold || align_bytes > large_threshold)
    return AllocateLarge(size_bytes, align_bytes);
  const auto try_bump = [&]() -> void* {
    std::uintptr_t p;
    if (__builtin_sub_overflow(cur_, size_bytes, &p)) return nullptr;
    p &= ~(static_cast<std::uintptr_t>(align_bytes) - 1);
    if (p < begin_) return nullptr;
    cur_ = p;
    return reinterpret_cast<void*>(p);
  };
  const auto leave_current = [&] {
    if (current_ != nullptr)
      current_->used_bytes =
          reinterpret_cast<std::uintptr_t>(current_) + current_->bytes - cur_;
  };
  // Chunks kept from before the last Reset/Rewind come first.
  for (Chunk* c = current_ != nullptr ? current_->next : first_; c != nullptr;
       c = c->next) {
    leave_current();
    EnterChunk(c);
    if (void* p = try_bump()) return p;
  }
  Chunk* chunk = NewChunk(size_bytes + align_bytes);
  if (chunk == nullptr) return nullptr;
  leave_current();
  EnterChunk(chunk);
  return try_bump();
}

inline void* Arena::AllocateLarge(std::size_t size_bytes,
                                  std::size_t align_bytes) {
  const std::size_t align = std::max(align_bytes, alignof(LargeBlock));
  const std::size_t offset = (sizeof(LargeBlock) + align - 1) & ~(align - 1);
  // No object may exceed PTRDIFF_MAX bytes; upstreams that round the size
  // up to the alignment would wrap around near SIZE_MAX.
  if (size_bytes > std::numeric_limits<std::ptrdiff_t>::max() - offset)
    return nullptr;
  const std::size_t total = offset + size_bytes;
  void* base;
  try {
    base = upstream_->allocate(total, align);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
  large_ = ::new (base) LargeBlock{large_, total, align, size_bytes};
  return static_cast<char*>(base) + offset;
}

inline void Arena::Rewind(const Marker& marker) {
  while (large_ != nullptr && large_ != marker.large) {
    LargeBlock* block = large_;
    large_ = block->next;
    upstream_->deallocate(block, block->total_bytes, block->align_bytes);
  }
  if (marker.chunk == nullptr) {
    current_ = nullptr;
    cur_ = 0;
    begin_ = 1;
  } else {
    current_ = static_cast<Chunk*>(marker.chunk);
    begin_ = reinterpret_cast<std::uintptr_t>(current_) +
             arena_internal::kChunkHeaderBytes;
    cur_ = marker.cur;
  }
}

inline void Arena::Release() {
  Reset();
  while (first_ != nullptr) {
    Chunk* chunk = first_;
    first_ = chunk->next;
    upstream_->deallocate(chunk, chunk->bytes, arena_internal::kChunkAlign);
  }
  last_ = nullptr;
  chunk_count_ = 0;
  chunk_bytes_ = 0;
}

inline ArenaStats Arena::Stats() const {
  ArenaStats stats;
  stats.chunks = chunk_count_;
  stats.reserved_bytes = chunk_bytes_;
  if (current_ != nullptr) {
    for (const Chunk* c = first_; c != current_; c = c->next)
      stats.used_bytes += c->used_bytes;
    stats.used_bytes +=
        reinterpret_cast<std::uintptr_t>(current_) + current_->bytes - cur_;
  }
  for (const LargeBlock* b = large_; b != nullptr; b = b->next) {
    stats.used_bytes += b->size_bytes;
    stats.reserved_bytes += b->total_bytes;
    ++stats.large_blocks;
  }
  return stats;
}

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_ARENA_IMPL_H_
