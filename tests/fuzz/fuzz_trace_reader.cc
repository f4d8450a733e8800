// Fuzzes the trace reader (record/trace_reader.h, trace_events.h,
// trace_profile.h): the input is written to a memory file and read as a
// trace, every chunk decompressed, every call resolved, once strictly (as a
// replay does) and once for the profile. Any input must end in success, a
// TraceError or a TraceContradiction: no crash, no other exception, no
// sanitizer report.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "record/trace_events.h"
#include "record/trace_profile.h"
#include "record/trace_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace allocmark::trace;
  int fd = memfd_create("trace", MFD_CLOEXEC);
  if (fd < 0) return 0;
  for (std::size_t done = 0; done < size;) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    TraceFile file(path);
    try {
      TraceCalls calls(file, /*strict=*/true);
      for (Call c; calls.Next(c);) {
      }
    } catch (const TraceContradiction&) {
    }
    ProfileText(ProfileTrace(file));
  } catch (const TraceError&) {
  }
  close(fd);
  return 0;
}
