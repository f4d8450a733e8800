// Writing a trace file from C++ (trace_format.h): what the tests and the
// fuzzer's seed corpus use to make traces of a known content. The recorder
// (recorder.cc) writes the same format from inside a program, without this
// class, which allocates.
#ifndef ALLOCMARK_RECORD_TRACE_WRITER_H_
#define ALLOCMARK_RECORD_TRACE_WRITER_H_

#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "record/trace_format.h"

namespace allocmark::trace {

class TraceWriter {
 public:
  // Creates `path` with `header` as the header's JSON; `version` other than
  // kTraceVersion makes a trace of another version (for tests).
  TraceWriter(const std::string& path, const nlohmann::json& header,
              std::uint32_t version = kTraceVersion);
  // Adds an event of `thread`; a thread's events go out in chunks of
  // kMaxChunkEvents (compressed unless `raw`).
  void Add(std::uint32_t thread, const Event& event);
  // Writes every thread's pending events; with `end`, the end chunk too.
  void Finish(bool end = true);
  void set_raw(bool raw) { raw_ = raw; }

 private:
  void FlushThread(std::uint32_t thread);

  std::ofstream out_;
  std::map<std::uint32_t, std::vector<Event>> pending_;
  std::uint64_t events_ = 0;
  bool raw_ = false;
};

}  // namespace allocmark::trace

#endif  // ALLOCMARK_RECORD_TRACE_WRITER_H_
