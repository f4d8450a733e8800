// The trace reader on traces of a known content written by TraceWriter: the
// calls come back in time order across threads with their blocks resolved,
// and a damaged, foreign or other-version file is refused with its offset.
#include "record/trace_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "record/trace_events.h"
#include "record/trace_profile.h"
#include "record/trace_writer.h"

namespace allocmark::trace {
namespace {

class TraceReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("allocmark-trace-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "t.trace").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static Event Ev(std::uint64_t t, Op op, std::uint64_t ptr, std::uint64_t size,
                  std::uint64_t old = 0, std::uint32_t duration = 0) {
    Event e{};
    e.time_ns = t;
    e.op = static_cast<std::uint8_t>(op);
    e.ptr = ptr;
    e.size = size;
    e.old_ptr = old;
    e.duration_ns = duration;
    return e;
  }

  // Thread 0 allocates A and B, thread 1 frees A, thread 0 reallocs B in
  // two steps, thread 1 gets A's address again.
  void WriteSmall(bool raw = false) {
    TraceWriter w(path_, {{"command", {"prog", "x"}}, {"allocator", "glibc"}});
    w.set_raw(raw);
    w.Add(0, Ev(10, Op::kMalloc, 0xA0, 100));
    w.Add(0, Ev(20, Op::kNew, 0xB0, 50));
    w.Add(1, Ev(30, Op::kFree, 0xA0, 0));
    w.Add(0, Ev(40, Op::kRealloc, 0xC0, 500, 0xB0, 5));
    w.Add(1, Ev(50, Op::kMalloc, 0xA0, 8));
    w.Finish();
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(TraceReaderTest, CallsComeBackInTimeOrderWithTheirBlocks) {
  WriteSmall();
  TraceFile file(path_);
  EXPECT_EQ(file.threads(), 2u);
  EXPECT_EQ(file.events(), 5u);
  ASSERT_TRUE(file.end().has_value());
  EXPECT_EQ(file.header().command, (std::vector<std::string>{"prog", "x"}));
  TraceCalls calls(file, true);
  std::vector<Call> all;
  for (Call c; calls.Next(c);) all.push_back(c);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[2].op, Op::kFree);
  EXPECT_TRUE(all[2].releases);
  EXPECT_EQ(all[2].released.id, 0u);
  EXPECT_EQ(all[2].released.thread, 0u);  // freed by thread 1: cross-thread
  EXPECT_EQ(all[3].op, Op::kRealloc);
  EXPECT_EQ(all[3].released.id, 1u);
  EXPECT_EQ(all[3].acquired.id, 2u);
  EXPECT_EQ(all[3].acquired.realloc_depth, 1u);
  EXPECT_EQ(all[3].live_bytes, 500);
  EXPECT_EQ(all[4].acquired.id, 3u);
  EXPECT_EQ(all[4].live_bytes, 508);
}

TEST_F(TraceReaderTest, RawChunksReadAsCompressedOnes) {
  WriteSmall(true);
  TraceFile file(path_);
  nlohmann::json p = ProfileTrace(file);
  EXPECT_EQ(p["calls"], 5);
  EXPECT_EQ(p["live_bytes"]["peak_bytes"], 508);
  EXPECT_EQ(p["cross_thread"]["cross_thread_frees"], 1);
}

TEST_F(TraceReaderTest, ProfileCountsEntryPointsAndPeak) {
  WriteSmall();
  TraceFile file(path_);
  nlohmann::json p = ProfileTrace(file);
  std::map<std::string, int> calls;
  for (const auto& e : p["entry_points"]) calls[e["name"]] = e["calls"];
  EXPECT_EQ(calls["malloc"], 2);
  EXPECT_EQ(calls["operator new"], 1);
  EXPECT_EQ(calls["realloc"], 1);
  EXPECT_EQ(calls["free"], 1);
  EXPECT_EQ(p["live_bytes"]["peak_bytes"], 508);
  EXPECT_EQ(p["realloc"]["longest_chain"], 1);
  EXPECT_FALSE(p["reading"].empty());
}

TEST_F(TraceReaderTest, ContradictionsSayWhere) {
  {
    TraceWriter w(path_, {{"command", {"p"}}});
    w.Add(0, Ev(10, Op::kMalloc, 0xA0, 100));
    w.Add(0, Ev(20, Op::kFree, 0xA0, 0));
    w.Add(0, Ev(30, Op::kFree, 0xA0, 0));  // double free
    w.Finish();
  }
  TraceFile file(path_);
  TraceCalls calls(file, true);
  Call c;
  ASSERT_TRUE(calls.Next(c));
  ASSERT_TRUE(calls.Next(c));
  try {
    calls.Next(c);
    FAIL() << "a double free was accepted";
  } catch (const TraceContradiction& e) {
    EXPECT_NE(std::string(e.what()).find("call 2 (thread 0"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("0xa0"), std::string::npos);
  }
  TraceCalls lenient(file, false);
  while (lenient.Next(c)) {
  }
  EXPECT_EQ(lenient.unknown_releases(), 1u);
}

// Reads every chunk; returns the error's text, or "" when the file reads.
std::string ReadAll(const std::string& path) {
  try {
    TraceFile file(path);
    TraceCalls calls(file, false);
    for (Call c; calls.Next(c);) {
    }
    return "";
  } catch (const TraceError& e) {
    return e.what();
  }
}

TEST_F(TraceReaderTest, EveryTruncationIsRefusedWithItsOffset) {
  WriteSmall();
  std::ifstream in(path_, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const std::string cut = (dir_ / "cut").string();
  // A cut at a chunk boundary leaves a whole trace without its end; every
  // other cut is refused.
  int refused = 0;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::ofstream(cut, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(n));
    std::string error = ReadAll(cut);
    if (error.empty()) {
      TraceFile file(cut);
      EXPECT_FALSE(file.end().has_value()) << n;
      continue;
    }
    ++refused;
    EXPECT_EQ(error.rfind(cut + ": offset ", 0), 0u) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos);
  }
  EXPECT_GT(refused, static_cast<int>(bytes.size()) - 5);
}

TEST_F(TraceReaderTest, EveryFlippedByteIsRefusedOrHarmless) {
  WriteSmall(true);
  std::ifstream in(path_, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const std::string bad = (dir_ / "bad").string();
  int refused = 0;
  // The preamble and every chunk: a changed byte there is refused (the
  // header's JSON may still parse, so it is left out).
  const std::size_t json_end = 16 + static_cast<unsigned char>(bytes[12]) +
                               256 * static_cast<unsigned char>(bytes[13]);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i >= 16 && i < json_end) continue;
    std::string copy = bytes;
    copy[i] = static_cast<char>(copy[i] ^ 0x40);
    std::ofstream(bad, std::ios::binary | std::ios::trunc) << copy;
    std::string error = ReadAll(bad);
    if (!error.empty()) {
      ++refused;
      EXPECT_EQ(error.rfind(bad + ": offset ", 0), 0u) << error;
    }
  }
  // Reserved header bytes and padding may change unnoticed; nothing else.
  EXPECT_GT(refused, static_cast<int>(bytes.size() - json_end) * 3 / 4);
}

TEST_F(TraceReaderTest, ForeignAndOtherVersionFilesAreRefused) {
  std::ofstream(path_) << "#!/bin/sh\necho this is no trace\n";
  EXPECT_NE(ReadAll(path_).find(": offset 0: not an allocmark trace"),
            std::string::npos);
  {
    TraceWriter w(path_, {{"command", {"p"}}}, kTraceVersion + 1);
    w.Finish();
  }
  EXPECT_NE(ReadAll(path_).find(": offset 8: trace format version 2"),
            std::string::npos)
      << ReadAll(path_);
}

}  // namespace
}  // namespace allocmark::trace
