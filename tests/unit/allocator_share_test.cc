// The allocator's share of a cell: instructions from a callgrind file, time
// from perf script's samples.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness/callgrind_file.h"
#include "harness/perf_pass.h"
#include "tests/unit/scratch_dir.h"

namespace allocmark {
namespace {

// Writes `text` to `name` in `dir` (created) and returns its path.
std::string WriteFile(const ScratchDir& dir, const std::string& name,
                      const std::string& text) {
  std::filesystem::create_directories(dir.path());
  const auto path = dir.path() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(IsAllocatorFunctionName, KnowsTheEntryPointsAndNothingElse) {
  for (const char* name :
       {"malloc", "free", "calloc", "realloc", "posix_memalign", "free'2",
        "__libc_malloc", "tc_malloc", "mi_free", "je_calloc",
        "operator new(unsigned long)", "operator delete(void*, unsigned long)",
        "std::pmr::unsynchronized_pool_resource::do_allocate(unsigned long, "
        "unsigned long)"})
    EXPECT_TRUE(IsAllocatorFunctionName(name)) << name;
  for (const char* name : {"memcpy", "mallocx_helper", "freeze", "main",
                           "std::vector<int>::push_back(int const&)",
                           "_int_malloc", "__memset_avx2_unaligned"})
    EXPECT_FALSE(IsAllocatorFunctionName(name)) << name;
}

// A workload function that calls malloc (inclusive 300) and free (200) and
// runs 100 instructions of its own, 40 of them inlined from a heap source;
// malloc's own lines and calls are inside its inclusive cost. A second
// function in the allocator's library is reached from a thread-exit hook
// (inclusive 50). Total 650.
const char kCallgrind[] = R"(# callgrind format
version: 1
positions: line
events: Ir
summary: 0

ob=(1) /bin/child
fl=(1) /src/workloads/churn.cc
fn=(1) Churn::Run
10 60
fi=(2) /src/allocators/slab.h
+2 40
fe=(1)
cob=(2) /lib/libc.so.6
cfi=(3) malloc.c
cfn=(2) malloc
calls=1000 5
12 300
cob=(2)
cfi=(3)
cfn=(3) free
calls=1000 9
13 200
ob=(2)
fl=(3)
fn=(2)
5 250
cfn=(4) _int_malloc
calls=3 1
6 50
fn=(4)
1 50
ob=(3) /lib/liballoc.so
fl=(4) ???
fn=(5) 0x00001234
0 50
ob=(2)
fl=(5) tsd.c
fn=(6) __nptl_deallocate_tsd
0 0
cob=(3)
cfi=(4)
cfn=(5)
calls=1 0
0 50
totals: 650
)";

TEST(ReadAllocatorInstructions, CountsCallsIntoTheAllocatorAndInlinedHeapCode) {
  ScratchDir dir("cg-test");
  const std::string path = WriteFile(dir, "callgrind.out", kCallgrind);
  auto glibc = ReadAllocatorInstructions(path, {"", "/src/allocators/"});
  ASSERT_TRUE(glibc.has_value());
  EXPECT_EQ(glibc->total, 650);
  // malloc 300 + free 200 + inlined heap 40; the library's function is no
  // allocator's when glibc is measured.
  EXPECT_EQ(glibc->allocator, 540);
  auto preloaded =
      ReadAllocatorInstructions(path, {"/lib/liballoc.so", "/src/allocators/"});
  ASSERT_TRUE(preloaded.has_value());
  EXPECT_EQ(preloaded->allocator, 590);
  EXPECT_DOUBLE_EQ(preloaded->share(), 590.0 / 650.0);
}

TEST(ReadAllocatorInstructions, NoTotalIsNoResult) {
  ScratchDir dir("cg-empty-test");
  const std::string path =
      WriteFile(dir, "callgrind.out", "version: 1\nevents: Ir\n");
  EXPECT_FALSE(ReadAllocatorInstructions(path, {}).has_value());
  EXPECT_FALSE(ReadAllocatorInstructions("/nonexistent/cg.out", {}));
}

// Five samples: one before the timed region, one in malloc's internals, one
// in the preloaded library, one in the kernel entered from free, one in the
// workload; the kernel sample counts for the user frame that entered it.
const char kScript[] =
    " 10.000100: \n"
    "\t    1000 malloc (/usr/lib/x86_64-linux-gnu/libc.so.6)\n\n"
    " 11.000100: \n"
    "\t    2000 _int_free (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
    "\t    3000 Churn::Run (/bin/child)\n\n"
    " 11.000300: \n"
    "\t    4000 0x4000 (/lib/liballoc.so)\n\n"
    " 11.000500: \n"
    "\tffffffff81000000 clear_page_erms ([kernel.kallsyms])\n"
    "\tffffffff81000100 exc_page_fault ([kernel.kallsyms])\n"
    "\t    5000 free (/usr/lib/x86_64-linux-gnu/libc.so.6)\n\n"
    " 11.000700: \n"
    "\t    3000 Churn::Run (/bin/child)\n\n";

TEST(TimeShareOfSamples, CountsTheTimedRegionsSamplesByTheirFirstUserFrame) {
  TimeShare glibc = TimeShareOfSamples(kScript, 11.0, 12.0, {});
  EXPECT_EQ(glibc.samples, 4);
  EXPECT_EQ(glibc.allocator_samples, 2);  // _int_free, free under the kernel
  TimeShare preloaded =
      TimeShareOfSamples(kScript, 11.0, 12.0, {{"/lib/liballoc.so", ""}, ""});
  EXPECT_EQ(preloaded.allocator_samples, 3);
  EXPECT_EQ(TimeShareOfSamples(kScript, 20.0, 21.0, {}).samples, 0);
}

}  // namespace
}  // namespace allocmark
