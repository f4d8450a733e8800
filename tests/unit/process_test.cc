#include "base/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "base/executable.h"
#include "base/file_text.h"
#include "base/temp_dir.h"

namespace allocmark {
namespace {

// `sh -c script`, its other fields as the test sets them.
SpawnSpec Shell(const std::string& script) {
  SpawnSpec spec;
  spec.argv = {FindExecutable("sh"), "-c", script};
  return spec;
}

SpawnSpec Command(const std::string& path) {
  SpawnSpec spec;
  spec.argv = {path};
  return spec;
}

// The state letter of /proc/PID/stat ('Z' for a zombie); '\0' when the
// process is gone.
char ProcessState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  std::size_t paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size()
             ? '\0'
             : text[paren + 2];
}

bool Ended(pid_t pid) {
  char state = ProcessState(pid);
  return state == '\0' || state == 'Z';
}

// True when `pid` is gone or a zombie within 5 s.
bool EndsSoon(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    if (Ended(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

ProcessExit RunToEnd(const SpawnSpec& spec) {
  Process process;
  EXPECT_EQ(process.Start(spec), "");
  EXPECT_TRUE(process.AwaitExit(10, [] { return false; }));
  return process.Reap();
}

TEST(Process, AMissingExecutableIsExecsError) {
  Process process;
  EXPECT_EQ(process.Start(Command("/nonexistent/allocmark-no-such")),
            "/nonexistent/allocmark-no-such: No such file or directory");
  EXPECT_FALSE(process.running());
}

TEST(Process, ANonExecutableFileIsExecsError) {
  TempDir dir("allocmark-process-test");
  std::ofstream(dir.File("data")) << "not a program\n";
  Process process;
  EXPECT_EQ(process.Start(Command(dir.File("data"))),
            dir.File("data") + ": Permission denied");
}

TEST(Process, AnUnwritableOutputIsNamed) {
  SpawnSpec spec = Shell("exit 0");
  spec.output_path = "/nonexistent/dir/out";
  Process process;
  EXPECT_EQ(process.Start(spec),
            "/nonexistent/dir/out: No such file or directory");
  EXPECT_FALSE(process.running());
}

TEST(Process, AMissingWorkingDirectoryIsNamed) {
  SpawnSpec spec = Shell("exit 0");
  spec.working_dir = "/nonexistent/allocmark-dir";
  Process process;
  EXPECT_EQ(process.Start(spec),
            "cannot enter /nonexistent/allocmark-dir: No such file or "
            "directory");
}

TEST(Process, ReportsTheExitStatus) {
  ProcessExit exit = RunToEnd(Shell("exit 3"));
  EXPECT_EQ(exit.exit_code, 3);
  EXPECT_EQ(exit.signal, 0);
  EXPECT_FALSE(exit.ok());
  EXPECT_GT(exit.usage.ru_maxrss, 0);
  EXPECT_EQ(DescribeExit(exit.exit_code, exit.signal), "exited with status 3");
}

TEST(Process, ReportsTheSignalThatEndedIt) {
  ProcessExit exit = RunToEnd(Shell("kill -SEGV $$"));
  EXPECT_EQ(exit.signal, SIGSEGV);
  EXPECT_EQ(exit.exit_code, -1);
  EXPECT_EQ(DescribeExit(exit.exit_code, exit.signal), "killed by SIGSEGV");
}

TEST(Process, SetsAndRemovesVariablesAndRedirects) {
  TempDir dir("allocmark-process-test");
  ASSERT_EQ(setenv("ALLOCMARK_TEST_REMOVED", "inherited", 1), 0);
  ASSERT_EQ(setenv("ALLOCMARK_TEST_KEPT", "kept", 1), 0);
  std::ofstream(dir.File("in")) << "from stdin\n";
  SpawnSpec spec = Shell(
      "cat; echo \"$ALLOCMARK_TEST_SET $ALLOCMARK_TEST_KEPT "
      "${ALLOCMARK_TEST_REMOVED-removed}\"; echo err >&2; pwd");
  spec.env = {{"ALLOCMARK_TEST_SET", "set"},
              {"ALLOCMARK_TEST_REMOVED", std::nullopt}};
  spec.stdin_path = dir.File("in");
  spec.output_path = dir.File("out");
  spec.working_dir = dir.path();
  ProcessExit exit = RunToEnd(spec);
  unsetenv("ALLOCMARK_TEST_REMOVED");
  unsetenv("ALLOCMARK_TEST_KEPT");
  EXPECT_TRUE(exit.ok());
  EXPECT_EQ(ReadFileText(dir.File("out")),
            "from stdin\nset kept removed\nerr\n" +
                std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(Process, StdinIsDevNullByDefault) {
  TempDir dir("allocmark-process-test");
  SpawnSpec spec = Shell("wc -c");
  spec.output_path = dir.File("out");
  ProcessExit exit = RunToEnd(spec);
  EXPECT_TRUE(exit.ok());
  EXPECT_EQ(ReadFileText(dir.File("out")), "0\n");
}

TEST(Process, RunsInAGroupOfItsOwn) {
  Process process;
  ASSERT_EQ(process.Start(Shell("sleep 30")), "");
  EXPECT_EQ(getpgid(process.pid()), process.pid());
  EXPECT_NE(getpgid(process.pid()), getpgrp());
  process.SignalGroup(SIGKILL);
  EXPECT_EQ(process.Reap().signal, SIGKILL);
  EXPECT_FALSE(process.running());
}

TEST(Process, AwaitExitReturnsFalseWhenGivenUp) {
  Process process;
  ASSERT_EQ(process.Start(Shell("sleep 30")), "");
  int asked = 0;
  EXPECT_FALSE(process.AwaitExit(1, [&] { return ++asked == 3; }));
  EXPECT_EQ(asked, 3);
  EXPECT_TRUE(process.running());
  EXPECT_FALSE(process.HasExited());
}

TEST(Process, AnExitedProcessStaysUnreapedUntilReap) {
  Process process;
  ASSERT_EQ(process.Start(Shell("exit 0")), "");
  EXPECT_TRUE(process.AwaitExit(10, [] { return false; }));
  EXPECT_TRUE(process.HasExited());
  EXPECT_EQ(ProcessState(process.pid()), 'Z');
  EXPECT_TRUE(process.Reap().ok());
}

TEST(Process, ReapKillsWhatIsLeftInTheGroup) {
  TempDir dir("allocmark-process-test");
  SpawnSpec spec = Shell("sleep 30 & echo $!");
  spec.output_path = dir.File("out");
  Process process;
  ASSERT_EQ(process.Start(spec), "");
  ASSERT_TRUE(process.AwaitExit(10, [] { return false; }));
  const pid_t left = std::stoi(ReadFileText(dir.File("out")));
  EXPECT_FALSE(Ended(left));
  EXPECT_TRUE(process.Reap().ok());
  EXPECT_TRUE(EndsSoon(left));
}

TEST(Process, DestroyingARunningProcessKillsAndReapsIt) {
  pid_t pid = 0;
  {
    Process process;
    ASSERT_EQ(process.Start(Shell("sleep 30")), "");
    pid = process.pid();
  }
  EXPECT_EQ(ProcessState(pid), '\0');
}

TEST(Process, MayStartAgainOnceReaped) {
  Process process;
  ASSERT_EQ(process.Start(Shell("exit 1")), "");
  process.AwaitExit(10, [] { return false; });
  EXPECT_EQ(process.Reap().exit_code, 1);
  ASSERT_EQ(process.Start(Shell("exit 2")), "");
  process.AwaitExit(10, [] { return false; });
  EXPECT_EQ(process.Reap().exit_code, 2);
}

TEST(ProcessDeathTest, StartingARunningProcessIsACheckFailure) {
  EXPECT_DEATH(
      {
        Process process;
        (void)process.Start(Shell("sleep 30"));
        (void)process.Start(Shell("sleep 30"));
      },
      "check failed: !running\\(\\)");
}

}  // namespace
}  // namespace allocmark
