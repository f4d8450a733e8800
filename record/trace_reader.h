// Reading a trace file (trace_format.h): the header, an index of its chunks
// made by one pass over their headers, and the events of every thread merged
// into time order while holding one decompressed chunk per thread, so that a
// trace of any length reads in memory bounded by its thread count.
//
// Anything that is not a whole trace of this format version — a truncated
// or corrupted file, another program's file, another version — throws a
// TraceError whose what() is one line: "FILE: offset N: what is wrong".
#ifndef ALLOCMARK_RECORD_TRACE_READER_H_
#define ALLOCMARK_RECORD_TRACE_READER_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <queue>
#include <stdexcept>
#include <string>
#include <vector>

#include "record/trace_format.h"

namespace allocmark::trace {

class TraceError : public std::runtime_error {
 public:
  TraceError(const std::string& path, std::uint64_t offset,
             const std::string& what);
  std::uint64_t offset() const { return offset_; }

 private:
  std::uint64_t offset_;
};

struct TraceHeader {
  std::uint32_t version = 0;
  nlohmann::json json;  // as written
  std::vector<std::string> command;
  std::string allocator;  // what `record --allocator` named; "" for glibc
  // The object that served the recorded calls (the recorder's next malloc,
  // as the recorded process's loader resolved it); "" in older traces.
  std::string malloc_object;
  std::string start_time;  // ISO 8601, UTC
  std::string origin;      // "start", "fork" or "child"
};

struct ChunkRef {
  std::uint64_t offset = 0;  // of the chunk's header in the file
  ChunkHeader header{};
};

class TraceFile {
 public:
  // Opens `path`, reads its header and indexes its chunks, checking every
  // chunk header and that the chunks end where the file does. Throws
  // TraceError.
  explicit TraceFile(const std::string& path);
  ~TraceFile();
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;

  const std::string& path() const { return path_; }
  const TraceHeader& header() const { return header_; }
  // The event chunks, in file order.
  const std::vector<ChunkRef>& chunks() const { return chunks_; }
  // Threads that recorded events: indices 0 .. threads() - 1 (an index with
  // no chunk is a thread whose events were lost).
  std::uint32_t threads() const { return threads_; }
  std::uint64_t events() const { return events_; }
  std::uint64_t file_bytes() const { return file_bytes_; }
  // What the recorder counted at exit(); nullopt when the program crashed,
  // was killed, or ended by exec or _exit without the end chunk.
  const std::optional<TraceEnd>& end() const { return end_; }

  // The events of chunk `i` into `out` (replacing its contents), their
  // checksum and op values checked. Throws TraceError.
  void ReadChunk(std::size_t i, std::vector<Event>& out) const;

 private:
  void ReadAt(std::uint64_t offset, void* data, std::size_t bytes) const;

  std::string path_;
  int fd_ = -1;
  std::uint64_t file_bytes_ = 0;
  TraceHeader header_;
  std::vector<ChunkRef> chunks_;
  std::uint32_t threads_ = 0;
  std::uint64_t events_ = 0;
  std::optional<TraceEnd> end_;
};

// Which half of a call an item is: a realloc that moves or keeps a block is
// two items, the release of the old block when the call began and the new
// block when it returned, so that other threads' calls in between order
// correctly against both.
enum class Part : std::uint8_t { kWhole, kReleaseHalf, kAcquireHalf };

struct TimedEvent {
  std::uint64_t key_ns = 0;  // the time this item is ordered by
  std::uint32_t thread = 0;
  Part part = Part::kWhole;
  std::uint64_t chunk_offset = 0;  // for messages
  Event event{};
};

// The events of every thread in time order (ties: by thread index, then by
// each thread's own order).
class MergedEvents {
 public:
  explicit MergedEvents(const TraceFile& file);
  // The next item; false after the last. Throws TraceError.
  bool Next(TimedEvent& out);

 private:
  struct Cursor {
    std::vector<std::size_t> chunks;  // indices into file.chunks()
    std::size_t next_chunk = 0;
    std::vector<Event> events;
    std::size_t next_event = 0;
    bool pending_acquire = false;  // the acquire half of events[next-1]
    std::uint64_t last_key = 0;
    std::uint64_t chunk_offset = 0;
  };
  bool Peek(std::uint32_t thread, TimedEvent& out);
  void Advance(std::uint32_t thread);

  const TraceFile& file_;
  std::vector<Cursor> cursors_;
  using Entry = std::pair<std::uint64_t, std::uint32_t>;  // key, thread
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heads_;
};

}  // namespace allocmark::trace

#endif  // ALLOCMARK_RECORD_TRACE_READER_H_
