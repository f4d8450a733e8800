#include "base/resident_set.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <fstream>

#include "base/executable.h"
#include "base/process.h"

namespace allocmark {
namespace {

// A pid no process can have: pids are below pid_max.
pid_t NoSuchPid() {
  std::ifstream in("/proc/sys/kernel/pid_max");
  long pid_max = 0;
  in >> pid_max;
  return static_cast<pid_t>(pid_max > 0 ? pid_max : 4194304);
}

TEST(ResidentSet, ThisProcessIsResident) {
  EXPECT_GT(ResidentBytes(), 0);
  EXPECT_GT(ResidentBytes(getpid()), 0);
  ResidentSetReader reader(0);
  EXPECT_TRUE(reader.is_open());
  EXPECT_GT(reader.ReadBytes(), 0);
}

TEST(ResidentSet, TheReaderSeesTouchedPages) {
  constexpr std::size_t kBytes = 64 << 20;
  ResidentSetReader reader(0);
  const std::int64_t before = reader.ReadBytes();
  void* p = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  std::memset(p, 1, kBytes);
  const std::int64_t after = reader.ReadBytes();
  munmap(p, kBytes);
  EXPECT_GE(after - before, static_cast<std::int64_t>(kBytes / 2));
}

TEST(ResidentSet, NoSuchProcessReadsMinusOne) {
  EXPECT_EQ(ResidentBytes(NoSuchPid()), -1);
  ResidentSetReader reader(NoSuchPid());
  EXPECT_FALSE(reader.is_open());
  EXPECT_EQ(reader.ReadBytes(), -1);
}

TEST(ResidentSet, ADefaultReaderReadsMinusOne) {
  ResidentSetReader reader;
  EXPECT_FALSE(reader.is_open());
  EXPECT_EQ(reader.ReadBytes(), -1);
}

TEST(ResidentSet, AZombieReadsZeroAndAReapedProcessMinusOne) {
  SpawnSpec spec;
  spec.argv = {FindExecutable("sh"), "-c", "exit 0"};
  Process process;
  ASSERT_EQ(process.Start(spec), "");
  ResidentSetReader reader(process.pid());
  ASSERT_TRUE(process.AwaitExit(10, [] { return false; }));
  EXPECT_EQ(ResidentBytes(process.pid()), 0);
  EXPECT_EQ(reader.ReadBytes(), 0);
  process.Reap();
  EXPECT_EQ(reader.ReadBytes(), -1);
}

TEST(ResidentSet, AMovedReaderKeepsItsFile) {
  ResidentSetReader from(0);
  ResidentSetReader to;
  to = std::move(from);
  EXPECT_FALSE(from.is_open());  // NOLINT(bugprone-use-after-move)
  EXPECT_GT(to.ReadBytes(), 0);
  ResidentSetReader constructed(std::move(to));
  EXPECT_GT(constructed.ReadBytes(), 0);
}

}  // namespace
}  // namespace allocmark
