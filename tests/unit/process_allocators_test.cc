#include "allocators/process_allocators.h"

#include <gtest/gtest.h>

#include <set>

#include "harness/allocator_choice.h"
#include "harness/usage_error.h"

namespace allocmark {
namespace {

TEST(ProcessAllocators, TableHasTheFourAllocatorsOnceEach) {
  std::set<std::string_view> names;
  for (const auto& a : ProcessAllocators()) {
    EXPECT_TRUE(names.insert(a.name).second) << a.name;
    EXPECT_FALSE(a.debian_package.empty()) << a.name;
    EXPECT_NE(a.read_version, nullptr) << a.name;
    EXPECT_NE(a.read_stats, nullptr) << a.name;
    EXPECT_EQ(a.soname.empty(), a.probe_symbol.empty()) << a.name;
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"glibc", "jemalloc", "tcmalloc",
                                               "mimalloc"}));
  EXPECT_EQ(FindProcessAllocator("je"), nullptr);
  ASSERT_NE(FindProcessAllocator("mimalloc"), nullptr);
}

TEST(ProcessAllocators, GlibcNeedsNoLibraryAndIsProvenInAPlainProcess) {
  auto library = FindLibrary(*FindProcessAllocator("glibc"));
  ASSERT_TRUE(library.has_value());
  EXPECT_EQ(*library, "");
  MallocProof proof = ProveMalloc();
  EXPECT_EQ(proof.allocator, "glibc");
  EXPECT_NE(proof.library.find("libc.so"), std::string::npos);
  EXPECT_FALSE(proof.version.empty());
  EXPECT_FALSE(ReadAllocatorStats(proof).empty());
}

TEST(ResolveAllocators, RejectsUnknownNamesAndMissingFiles) {
  try {
    ResolveAllocators({"hoard"}, {});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "unknown allocator 'hoard' (known: glibc, jemalloc"),
              std::string::npos);
  }
  EXPECT_THROW(ResolveAllocators({}, {"jemalloc=/nonexistent.so"}), UsageError);
  EXPECT_THROW(ResolveAllocators({}, {"noequals"}), UsageError);
  EXPECT_THROW(ResolveAllocators({}, {"bad/name=/lib/x.so"}), UsageError);
  EXPECT_THROW(ResolveAllocators({"glibc", "glibc"}, {}), UsageError);
}

TEST(ResolveAllocators, UserLibraryReplacesTheTableEntryOfItsName) {
  std::vector<AllocatorChoice> chosen =
      ResolveAllocators({"glibc", "mine"}, {"mine=/bin/true"});
  ASSERT_EQ(chosen.size(), 2u);
  EXPECT_EQ(chosen[0].library, "");
  EXPECT_TRUE(chosen[1].user_library);
  EXPECT_EQ(chosen[1].known, nullptr);
  EXPECT_EQ(chosen[1].library, "/bin/true");
}

}  // namespace
}  // namespace allocmark
