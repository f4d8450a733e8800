// The clock of latency samples: steady, in nanoseconds.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_CLOCK_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace allocmark {

inline std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_CLOCK_H_
