// What a program asks of an allocator, from its trace: calls and bytes per
// entry point, sizes by class, lifetimes (in time and in allocations in
// between), live bytes over time and their peak, threads, cross-thread
// frees, realloc chains and frees in bursts, and a plain reading of what
// they suggest, each sentence tied to its numbers. `allocmark profile`
// prints it; the replay checks its peak against it.
#ifndef ALLOCMARK_RECORD_TRACE_PROFILE_H_
#define ALLOCMARK_RECORD_TRACE_PROFILE_H_

#include <nlohmann/json.hpp>

#include "record/trace_reader.h"

namespace allocmark::trace {

// A run of at least this many releases on one thread with no allocation of
// that thread in between is a burst.
inline constexpr std::uint64_t kBurstMinReleases = 16;

// Reads the whole trace once, streaming. Throws TraceError on a damaged
// file; contradictory calls are counted (calls that release a block that is
// not live: "unknown_releases"), with the first one's place.
nlohmann::json ProfileTrace(const TraceFile& file);

// The profile as text: tables and the reading.
std::string ProfileText(const nlohmann::json& profile);

}  // namespace allocmark::trace

#endif  // ALLOCMARK_RECORD_TRACE_PROFILE_H_
