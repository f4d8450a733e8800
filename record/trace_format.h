// The allocation trace file that `allocmark record` writes and the profile and
// the replay read: its layout, in one place.
//
//   file    := header chunk*
//   header  := "AMTRACE\0" (8 bytes), u32 version (kTraceVersion),
//              u32 json_bytes (at most kMaxHeaderJsonBytes), then that many
//              bytes of JSON: {"command": [...], "allocator": "...",
//              "malloc_object": "the object that served the calls",
//              "start_time": "ISO 8601 UTC", "pid": N, "parent_pid": N,
//              "origin": "start" | "fork" | "exec", "clock": "monotonic"}
//   chunk   := ChunkHeader, then stored_bytes bytes of payload
//
// One chunk is one flush of one thread's buffer: events of that thread only,
// in the order they happened, compressed as one zstd frame (kChunkZstd) or
// stored raw (kChunkRaw: what a crash handler writes, where compression is
// not async-signal-safe). The last chunk of a process that ended through
// exit() is kChunkEnd, whose payload is a TraceEnd. Integers are
// little-endian, as on every machine allocmark runs on.
//
// Threads append whole chunks with one write(2) to a file opened O_APPEND, so
// no lock orders them. Events of different threads are ordered by their
// timestamps: an allocation is stamped after the allocator returned and a
// free before it is called, so a block's free never carries an earlier time
// than its allocation, nor a new block at a reused address an earlier time
// than the free before it.
#ifndef ALLOCMARK_RECORD_TRACE_FORMAT_H_
#define ALLOCMARK_RECORD_TRACE_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace allocmark::trace {

inline constexpr char kFileMagic[8] = {'A', 'M', 'T', 'R', 'A', 'C', 'E', '\0'};
inline constexpr std::uint32_t kTraceVersion = 1;
inline constexpr std::uint32_t kMaxHeaderJsonBytes = 1 << 20;
inline constexpr std::size_t kFilePreambleBytes = 16;  // magic, version, size

// The entry point of one event. Values are part of the format.
enum class Op : std::uint8_t {
  kMalloc = 1,
  kCalloc = 2,
  kRealloc = 3,  // ptr: result (0: failed, or freed by size 0); old_ptr: arg
  kFree = 4,
  kPosixMemalign = 5,
  kAlignedAlloc = 6,
  kMemalign = 7,
  kValloc = 8,
  kPvalloc = 9,
  kReallocarray = 10,
  kNew = 11,  // operator new(size) and its nothrow form
  kNewArray = 12,
  kNewAligned = 13,  // operator new(size, align_val_t) (and nothrow)
  kNewArrayAligned = 14,
  kDelete = 15,  // operator delete(ptr) (and nothrow)
  kDeleteArray = 16,
  kDeleteSized = 17,  // operator delete(ptr, size)
  kDeleteArraySized = 18,
  kDeleteAligned = 19,  // operator delete(ptr, align_val_t)
  kDeleteArrayAligned = 20,
  kDeleteSizedAligned = 21,  // operator delete(ptr, size, align_val_t)
  kDeleteArraySizedAligned = 22,
};
inline constexpr int kOpCount = 23;  // one past the largest value

// The name of `op` as the profile prints it ("malloc", "operator new[]").
const char* OpName(Op op);
// True when `op` is one of the values above.
bool IsKnownOp(std::uint8_t op);
// True for the ops that release a block and create none (free, delete...).
constexpr bool IsRelease(Op op) {
  return op == Op::kFree ||
         (op >= Op::kDelete && op <= Op::kDeleteArraySizedAligned);
}
// True for the ops that create a block and release none (all but realloc).
constexpr bool IsAcquire(Op op) {
  return !IsRelease(op) && op != Op::kRealloc && op != Op::kReallocarray;
}

// One event as stored, 40 bytes.
struct Event {
  std::uint64_t time_ns;    // CLOCK_MONOTONIC, since the trace began
  std::uint64_t ptr;        // the block returned, or the block released
  std::uint64_t old_ptr;    // realloc: the block passed in; else 0
  std::uint64_t size;       // bytes asked for (calloc: count * size); 0: none
  std::uint8_t op;          // Op
  std::uint8_t align_log2;  // alignment asked for, log2; 0: the default
  std::uint16_t reserved;
  // realloc: nanoseconds from the call (time_ns, when the old block is
  // released) to its return (when the new one exists); else 0.
  std::uint32_t duration_ns;
};
static_assert(sizeof(Event) == 40);

enum ChunkType : std::uint16_t {
  kChunkZstd = 1,
  kChunkRaw = 2,
  kChunkEnd = 3,
};

inline constexpr char kChunkMagic[4] = {'A', 'M', 'C', 'K'};
// Events per flush; also the most a chunk may hold.
inline constexpr std::uint32_t kMaxChunkEvents = 16384;

struct ChunkHeader {
  char magic[4];
  std::uint16_t type;  // ChunkType
  std::uint16_t reserved;
  std::uint32_t thread;        // the thread's index in this process, from 0
  std::uint32_t events;        // kChunkEnd: 0
  std::uint32_t raw_bytes;     // payload once decompressed
  std::uint32_t stored_bytes;  // payload as stored
  // kChunkRaw and kChunkEnd: WordChecksum of the payload; kChunkZstd: 0 (the
  // frame carries zstd's own content checksum).
  std::uint64_t checksum;
};
static_assert(sizeof(ChunkHeader) == 32);

// What the recorder counted by the time the process called exit().
struct TraceEnd {
  std::uint64_t events;   // written to this file
  std::uint64_t threads;  // that recorded at least one event
  std::uint64_t dropped;  // events lost: a write failed, or after the end
  std::uint64_t forks;    // children forked (each recorded to FILE.PID)
};
static_assert(sizeof(TraceEnd) == 32);

// FNV-1a over 64-bit words; `bytes` is a multiple of 8. Async-signal-safe.
inline std::uint64_t WordChecksum(const void* data, std::size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i + 8 <= bytes; i += 8) {
    std::uint64_t w;
    __builtin_memcpy(&w, p + i, 8);
    h ^= w;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace allocmark::trace

#endif  // ALLOCMARK_RECORD_TRACE_FORMAT_H_
