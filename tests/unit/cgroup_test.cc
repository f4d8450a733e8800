#include "base/cgroup.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/executable.h"
#include "base/file_text.h"
#include "base/process.h"
#include "base/temp_dir.h"

// These tests need a machine where allocmark can create cgroups (root, with
// cgroup v2's memory controller or cgroup v1's memory and cpuacct); elsewhere
// they skip, saying why.

namespace allocmark {
namespace {

// `sh -c script` in `cgroup`.
SpawnSpec ShellIn(const Cgroup& cgroup, const std::string& script) {
  SpawnSpec spec;
  spec.argv = {FindExecutable("sh"), "-c", script};
  spec.cgroup_procs_fds = cgroup.procs_fds();
  return spec;
}

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// Whether `pid` is gone or a zombie.
bool Ended(pid_t pid) {
  std::string stat = ReadFileText("/proc/" + std::to_string(pid) + "/stat");
  std::size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ||
         stat[paren + 2] == 'Z';
}

// Whether `pid` is gone or a zombie within 5 s.
bool EndsSoon(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    if (Ended(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(Cgroup, AccountsForTheProgramsMemoryAndTime) {
  if (!CgroupUnavailable().empty()) GTEST_SKIP() << CgroupUnavailable();
  const std::string python = FindExecutable("python3");
  ASSERT_FALSE(python.empty()) << "python3 is needed to allocate 50 MB";
  std::string error;
  std::unique_ptr<Cgroup> cgroup = Cgroup::Create(&error);
  ASSERT_NE(cgroup, nullptr) << error;
  const std::vector<std::string> directories = cgroup->directories();
  EXPECT_EQ(cgroup->PeakBytes(), 0);
  // A child of the shell: the cgroup holds the whole tree. bytearray() zeroes
  // what it allocates, so every page is touched.
  Process process;
  ASSERT_EQ(process.Start(ShellIn(
                *cgroup, python + " -c 'x = bytearray(50_000_000)'; exit 0")),
            "");
  ASSERT_TRUE(process.AwaitExit(10, [] { return false; }));
  EXPECT_TRUE(process.Reap().ok());
  EXPECT_GE(cgroup->PeakBytes(), 40'000'000) << "cgroup v" << cgroup->version();
  EXPECT_GE(cgroup->CurrentBytes(), 0);
  Cgroup::Usage usage = cgroup->ReadUsage();
  EXPECT_GT(usage.user_s + usage.sys_s, 0);
  EXPECT_GT(usage.page_faults, 0);
  EXPECT_GE(usage.page_faults, usage.major_page_faults);
  cgroup.reset();
  for (const std::string& dir : directories) EXPECT_FALSE(Exists(dir)) << dir;
}

TEST(Cgroup, TheSamplerFindsTheCurrentMemoryOfAProcessInIt) {
  if (!CgroupUnavailable().empty()) GTEST_SKIP() << CgroupUnavailable();
  std::string error;
  std::unique_ptr<Cgroup> cgroup = Cgroup::Create(&error);
  ASSERT_NE(cgroup, nullptr) << error;
  Process process;
  ASSERT_EQ(process.Start(ShellIn(*cgroup, "sleep 60")), "");
  int fd = OpenCgroupMemoryCurrent(process.pid());
  ASSERT_GE(fd, 0);
  EXPECT_GT(ReadOpenBytes(fd), 0);
  close(fd);
  // This process's own cgroup is not one allocmark made.
  EXPECT_EQ(OpenCgroupMemoryCurrent(getpid()), -1);
}

TEST(Cgroup, DestroyingItKillsEveryProcessInIt) {
  if (!CgroupUnavailable().empty()) GTEST_SKIP() << CgroupUnavailable();
  TempDir dir("allocmark-cgroup-test");
  std::string error;
  std::unique_ptr<Cgroup> cgroup = Cgroup::Create(&error);
  ASSERT_NE(cgroup, nullptr) << error;
  const std::vector<std::string> directories = cgroup->directories();
  Process process;
  ASSERT_EQ(process.Start(ShellIn(
                *cgroup, "sleep 60 & echo $! > " + dir.File("pid") + "; wait")),
            "");
  pid_t sleep_pid = 0;
  for (int i = 0; i < 500 && sleep_pid == 0; ++i) {
    std::istringstream(ReadFileText(dir.File("pid"))) >> sleep_pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(sleep_pid, 0);
  ASSERT_FALSE(Ended(process.pid()) || Ended(sleep_pid));
  // Nothing else signals the two: the process is neither reaped nor its
  // group killed until the cgroup is gone.
  cgroup.reset();
  EXPECT_TRUE(EndsSoon(sleep_pid));
  ASSERT_TRUE(
      process.AwaitExit(10, [&process] { return process.ElapsedS() > 10; }));
  EXPECT_EQ(process.Reap().signal, SIGKILL);
  for (const std::string& d : directories) EXPECT_FALSE(Exists(d)) << d;
}

}  // namespace
}  // namespace allocmark
