// The calls of a trace resolved against each other: which block each release
// gives back, how long it lived, and the live bytes after every call, in
// time order. Blocks get ids in the order they are created, so that a replay
// can refer to them without the recorded addresses.
//
// A trace whose calls contradict each other (a release of an address that is
// not live; an address returned while it is still live) throws a
// TraceContradiction that says where: the call's number, thread, time and
// chunk. A trace of a forked or exec'd process (origin other than "start")
// may release blocks its parent made: such releases are counted, not
// refused, where the caller allows it.
#ifndef ALLOCMARK_RECORD_TRACE_EVENTS_H_
#define ALLOCMARK_RECORD_TRACE_EVENTS_H_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "record/trace_reader.h"

namespace allocmark::trace {

class TraceContradiction : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BlockInfo {
  std::uint64_t id = 0;
  std::uint64_t size = 0;
  std::uint32_t thread = 0;          // that created it
  std::uint64_t birth_ns = 0;        // when it was created
  std::uint64_t birth_acquires = 0;  // blocks created before it
  std::uint32_t realloc_depth = 0;   // reallocs that led to it
};

// One call of the program, resolved.
struct Call {
  std::uint64_t number = 0;  // from 0, in time order
  std::uint32_t thread = 0;
  Op op = Op::kMalloc;
  std::uint64_t time_ns = 0;  // when it returned (realloc: when it began)
  std::uint64_t size = 0;     // asked for
  std::uint8_t align_log2 = 0;
  bool failed = false;    // returned NULL: no block made or released
  bool releases = false;  // `released` holds the block given back
  bool acquires = false;  // `acquired` holds the block made
  bool in_place = false;  // a realloc that kept the address
  BlockInfo released;
  BlockInfo acquired;
  std::int64_t live_bytes = 0;  // requested bytes live after the call
};

class TraceCalls {
 public:
  // strict: contradictions throw. Otherwise releases of unknown addresses
  // are counted (unknown_releases) and skipped.
  TraceCalls(const TraceFile& file, bool strict);
  // The next call; false after the last. Throws TraceError or
  // TraceContradiction.
  bool Next(Call& call);

  std::uint64_t blocks() const { return next_id_; }
  std::uint64_t unknown_releases() const { return unknown_releases_; }
  std::uint64_t live_blocks() const { return live_.size(); }
  // Not strict: where the first contradiction was, or "".
  const std::string& first_problem() const { return first_problem_; }

 private:
  // Throws when strict; else remembers the first.
  void Contradiction(const TimedEvent& e, const std::string& what);
  bool Release(const TimedEvent& e, std::uint64_t ptr, BlockInfo& out);
  void Acquire(const TimedEvent& e, std::uint64_t ptr, std::uint64_t size,
               std::uint32_t depth, BlockInfo& out);

  const TraceFile& file_;
  bool strict_;
  MergedEvents merged_;
  std::unordered_map<std::uint64_t, BlockInfo> live_;
  // A realloc's release half, waiting for its acquire half, per thread.
  std::vector<BlockInfo> pending_;
  std::vector<bool> pending_valid_;
  std::uint64_t next_id_ = 0;
  std::uint64_t number_ = 0;
  std::int64_t live_bytes_ = 0;
  std::uint64_t unknown_releases_ = 0;
  std::string first_problem_;
};

}  // namespace allocmark::trace

#endif  // ALLOCMARK_RECORD_TRACE_EVENTS_H_
