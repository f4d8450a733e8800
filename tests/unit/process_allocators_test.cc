#include "allocators/process_allocators.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "harness/allocator_choice.h"
#include "harness/usage_error.h"

namespace allocmark {
namespace {

TEST(ProcessAllocators, EveryRowIsCompleteAndNamedOnce) {
  std::set<std::string_view> names;
  std::set<std::string_view> default_set;
  for (const auto& a : ProcessAllocators()) {
    EXPECT_TRUE(names.insert(a.name).second) << a.name;
    EXPECT_NE(a.read_version, nullptr) << a.name;
    EXPECT_NE(a.read_stats, nullptr) << a.name;
    EXPECT_EQ(a.library.empty(), a.probe_symbol.empty()) << a.name;
    if (a.in_default_set) default_set.insert(a.name);
    if (a.source == AllocatorSource::kDebian) {
      EXPECT_FALSE(a.debian_package.empty()) << a.name;
      EXPECT_TRUE(a.upstream.repo.empty()) << a.name;
      EXPECT_EQ(HowToInstall(a),
                "apt-get install " + std::string(a.debian_package));
    } else {
      const UpstreamRelease& u = a.upstream;
      EXPECT_FALSE(u.repo.empty() || u.url.empty() || u.tag.empty() ||
                   u.recipe.empty() || u.output.empty())
          << a.name;
      EXPECT_EQ(u.commit.size(), 40u) << a.name;
      EXPECT_EQ(u.commit.find_first_not_of("0123456789abcdef"),
                std::string_view::npos)
          << a.name;
      EXPECT_EQ(HowToInstall(a), "make allocators");
      EXPECT_EQ(LibraryPath(a), UpstreamAllocatorsDir() + "/" +
                                    std::string(a.name) + "/" +
                                    std::string(a.library));
    }
  }
  EXPECT_EQ(default_set, (std::set<std::string_view>{"glibc", "jemalloc",
                                                     "tcmalloc", "mimalloc"}));
  EXPECT_GE(names.size(), 15u);
  EXPECT_EQ(FindProcessAllocator("je"), nullptr);
  ASSERT_NE(FindProcessAllocator("mimalloc-3.4.3"), nullptr);
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

TEST(ResolveAllocators,
     AnUpstreamAllocatorNotBuiltNamesTheCommandThatBuildsIt) {
  ASSERT_EQ(setenv("ALLOCMARK_ALLOCATORS_DIR", "/nonexistent", 1), 0);
  try {
    ResolveAllocators({"snmalloc"}, {});
    ADD_FAILURE() << "snmalloc resolved without a library";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("not built"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("make allocators"), std::string::npos);
  }
  // A set takes only the members that are there: none of the upstream ones.
  EXPECT_TRUE(ResolveAllocators({"upstream"}, {}).empty());
  unsetenv("ALLOCMARK_ALLOCATORS_DIR");
}

TEST(ResolveAllocators, TheDefaultSetIsTheFourAndAllIncludesTheUsersLibrary) {
  for (const auto& c : ResolveAllocators({}, {}))
    EXPECT_TRUE(c.known != nullptr && c.known->in_default_set) << c.name;
  std::vector<AllocatorChoice> all =
      ResolveAllocators({"all"}, {"mine=/bin/true"});
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().name, "glibc");
  EXPECT_EQ(all.back().name, "mine");
  EXPECT_THROW(ResolveAllocators({"all", "glibc"}, {}), UsageError);
}

TEST(ResolveAllocators,
     AUserLibraryIsMeasuredWhateverTheAllocatorsOptionNames) {
  for (const std::vector<std::string>& names :
       {std::vector<std::string>{"glibc"}, {"default"}, {"debian"}}) {
    std::vector<AllocatorChoice> chosen =
        ResolveAllocators(names, {"mine=/bin/true"});
    ASSERT_FALSE(chosen.empty());
    EXPECT_EQ(chosen.back().name, "mine") << names[0];
    EXPECT_TRUE(chosen.back().user_library) << names[0];
  }
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
