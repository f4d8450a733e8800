// Running a workload's threads: fn(i) on `count` new threads, joined before
// returning. One thread runs on the caller, with no thread created, so a
// single-threaded cell measures no thread start-up.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_THREAD_GROUP_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_THREAD_GROUP_H_

#include <thread>
#include <vector>

namespace allocmark {

template <class F>
void RunThreads(int count, F&& fn) {
  if (count == 1) {
    fn(0);
    return;
  }
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) threads.emplace_back([&fn, i] { fn(i); });
  for (auto& t : threads) t.join();
}

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_THREAD_GROUP_H_
