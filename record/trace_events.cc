#include "record/trace_events.h"

#include <cstdio>

namespace allocmark::trace {
namespace {

std::string Hex(std::uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%llx",
                static_cast<unsigned long long>(v));
  return text;
}

}  // namespace

TraceCalls::TraceCalls(const TraceFile& file, bool strict)
    : file_(file),
      strict_(strict),
      merged_(file),
      pending_(file.threads()),
      pending_valid_(file.threads(), false) {}

void TraceCalls::Contradiction(const TimedEvent& e, const std::string& what) {
  if (!strict_) {
    if (first_problem_.empty())
      first_problem_ = "call " + std::to_string(number_) + " (thread " +
                       std::to_string(e.thread) + "): " + what;
    return;
  }
  throw TraceContradiction(file_.path() + ": call " + std::to_string(number_) +
                           " (thread " + std::to_string(e.thread) + ", " +
                           std::string(OpName(static_cast<Op>(e.event.op))) +
                           " at " + std::to_string(e.event.time_ns) +
                           " ns, chunk at offset " +
                           std::to_string(e.chunk_offset) + "): " + what);
}

bool TraceCalls::Release(const TimedEvent& e, std::uint64_t ptr,
                         BlockInfo& out) {
  auto it = live_.find(ptr);
  if (it == live_.end()) {
    Contradiction(e, "releases " + Hex(ptr) +
                         ", which is not live (never allocated, or "
                         "released already)");
    ++unknown_releases_;
    return false;
  }
  out = it->second;
  live_.erase(it);
  live_bytes_ -= static_cast<std::int64_t>(out.size);
  return true;
}

void TraceCalls::Acquire(const TimedEvent& e, std::uint64_t ptr,
                         std::uint64_t size, std::uint32_t depth,
                         BlockInfo& out) {
  out = {next_id_, size, e.thread, e.key_ns, next_id_, depth};
  auto [it, inserted] = live_.try_emplace(ptr, out);
  if (!inserted) {
    Contradiction(e, "returns " + Hex(ptr) + ", which is still live");
    live_bytes_ -= static_cast<std::int64_t>(it->second.size);
    it->second = out;
  }
  ++next_id_;
  live_bytes_ += static_cast<std::int64_t>(size);
}

bool TraceCalls::Next(Call& call) {
  TimedEvent e;
  for (;;) {
    if (!merged_.Next(e)) return false;
    if (e.part != Part::kReleaseHalf) break;
    // The old block of a realloc goes when the call begins.
    pending_valid_[e.thread] = Release(e, e.event.old_ptr, pending_[e.thread]);
  }
  const Event& ev = e.event;
  const auto op = static_cast<Op>(ev.op);
  call = Call{};
  call.number = number_;
  call.thread = e.thread;
  call.op = op;
  call.time_ns = e.key_ns;
  call.size = ev.size;
  call.align_log2 = ev.align_log2;
  if (e.part == Part::kAcquireHalf) {
    call.time_ns = ev.time_ns;
    call.releases = pending_valid_[e.thread];
    call.released = pending_[e.thread];
    pending_valid_[e.thread] = false;
    call.acquires = true;
    call.in_place = ev.ptr == ev.old_ptr;
    Acquire(e, ev.ptr, ev.size,
            call.releases ? call.released.realloc_depth + 1 : 1, call.acquired);
  } else if (IsRelease(op)) {
    call.releases = Release(e, ev.ptr, call.released);
  } else if (IsAcquire(op)) {
    call.failed = ev.ptr == 0;
    if (!call.failed) {
      call.acquires = true;
      Acquire(e, ev.ptr, ev.size, 0, call.acquired);
    }
  } else if (ev.old_ptr == 0) {  // realloc(NULL, n): an allocation
    call.failed = ev.ptr == 0;
    if (!call.failed) {
      call.acquires = true;
      Acquire(e, ev.ptr, ev.size, 0, call.acquired);
    }
  } else if (ev.size == 0) {  // realloc(p, 0): glibc frees p
    call.releases = Release(e, ev.old_ptr, call.released);
  } else {  // realloc failed: p stays
    call.failed = true;
  }
  call.live_bytes = live_bytes_;
  ++number_;
  return true;
}

}  // namespace allocmark::trace
