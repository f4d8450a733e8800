// json_nlohmann, json_rapidjson, json_rapidjson_pool: the json workload's
// documents parsed by the JSON libraries C++ programs use, into their own
// DOMs, walked and destroyed.
//
// Models: a service that parses JSON with a real library, as a user choosing
// an allocator for it would (json.cc parses into allocmark's own DOM, whose
// every block is a Heap call; these show what the libraries ask of malloc):
//   - json_nlohmann: nlohmann::json (Debian's nlohmann-json3-dev), as a
//     program declares it: objects are std::map nodes, arrays std::vectors,
//     strings std::string, all from operator new. heap=malloc only: its
//     allocator parameter is stateless and its strings and lexer allocate
//     through std::allocator whatever it names (json_dom.h).
//   - json_rapidjson: RapidJSON (rapidjson-dev) on heap=malloc with the
//     semantics of its CrtAllocator (every block a malloc, grown by realloc,
//     freed at destruction), and on heap=arena with allocmark's Arena as its
//     Allocator (grown by allocate-and-copy, nothing freed, the arena reset
//     after each document).
//   - json_rapidjson_pool: RapidJSON's default Document, whose
//     MemoryPoolAllocator is its own arena (64 KiB chunks from malloc, freed
//     when the document is destroyed): heap=malloc names where the chunks
//     come from.
// Side by side, json_rapidjson (malloc, arena) and json_rapidjson_pool
// (malloc) are the comparison a RapidJSON user makes between its allocators.
// In every variant RapidJSON's parse stack (one buffer per document, grown
// by doubling) comes from malloc, as in a program that keeps the default.
// Documents, parameters, ops and counters: as json (json_corpus.h); ops
// counts documents.
// Does not model: serialisation, queries, documents kept across requests.
// Threads: each of T threads parses the whole schedule (T workers).
// Latency: each document's parse + walk + destroy.
// Live bytes: what the document's allocator was asked for (RapidJSON: bytes
// requested, or the pool's used bytes), counted at the document's end, when
// all of it is live; nlohmann::json's are not counted (its blocks come from
// operator new directly), so its cells have no fragmentation figure.
// Checks itself: a reference parse before the timed region (RapidJSON: on
// memory from mmap that the process allocator never sees, untimed_heap.h)
// records each document's walk hash (every value, key and string byte); every
// timed parse must give the same hash, else the cell fails. A document the
// library refuses fails the cell with the library's reason.
#include <rapidjson/allocators.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "allocators/arena.h"
#include "workloads/support/clock.h"
#include "workloads/support/heap_traits.h"
#include "workloads/support/json_corpus.h"
#include "workloads/support/rng.h"
#include "workloads/support/thread_group.h"
#include "workloads/support/untimed_heap.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

// Hashes a string's bytes, a word at a time.
void HashBytes(RequestHash& hash, std::string_view s) {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    hash.Add(word);
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  hash.Add(tail ^ s.size());
}

void HashDouble(RequestHash& hash, double d) {
  std::uint64_t bits;
  std::memcpy(&bits, &d, 8);
  hash.Add(bits);
}

template <class Json>
void WalkNlohmann(const Json& v, RequestHash& hash) {
  hash.Add(static_cast<std::uint64_t>(v.type()));
  switch (v.type()) {
    case nlohmann::json::value_t::boolean:
      hash.Add(v.template get<bool>() ? 1 : 0);
      break;
    case nlohmann::json::value_t::number_integer:
      hash.Add(static_cast<std::uint64_t>(v.template get<std::int64_t>()));
      break;
    case nlohmann::json::value_t::number_unsigned:
      hash.Add(v.template get<std::uint64_t>());
      break;
    case nlohmann::json::value_t::number_float:
      HashDouble(hash, v.template get<double>());
      break;
    case nlohmann::json::value_t::string:
      HashBytes(hash,
                std::string_view(
                    v.template get_ref<const typename Json::string_t&>()));
      break;
    case nlohmann::json::value_t::array:
      hash.Add(v.size());
      for (const auto& item : v) WalkNlohmann(item, hash);
      break;
    case nlohmann::json::value_t::object:
      hash.Add(v.size());
      for (const auto& [key, item] : v.items()) {
        HashBytes(hash, std::string_view(key));
        WalkNlohmann(item, hash);
      }
      break;
    default:
      break;
  }
}

template <class Value>
void WalkRapidJson(const Value& v, RequestHash& hash) {
  hash.Add(static_cast<std::uint64_t>(v.GetType()));
  if (v.IsBool()) {
    hash.Add(v.GetBool() ? 1 : 0);
  } else if (v.IsNumber()) {
    if (v.IsInt64())
      hash.Add(static_cast<std::uint64_t>(v.GetInt64()));
    else if (v.IsUint64())
      hash.Add(v.GetUint64());
    else
      HashDouble(hash, v.GetDouble());
  } else if (v.IsString()) {
    HashBytes(hash, {v.GetString(), v.GetStringLength()});
  } else if (v.IsArray()) {
    hash.Add(v.Size());
    for (const auto& item : v.GetArray()) WalkRapidJson(item, hash);
  } else if (v.IsObject()) {
    hash.Add(v.MemberCount());
    for (const auto& m : v.GetObject()) {
      HashBytes(hash, {m.name.GetString(), m.name.GetStringLength()});
      WalkRapidJson(m.value, hash);
    }
  }
}

// RapidJSON's CrtAllocator (malloc, realloc, free), counting the bytes asked
// for: one addition per call, the same cost as the arena's count below.
class CountingCrtAllocator {
 public:
  static const bool kNeedFree = true;
  void* Malloc(std::size_t size) {
    if (size == 0) return nullptr;
    bytes_ += static_cast<std::int64_t>(size);
    return std::malloc(size);
  }
  void* Realloc(void* p, std::size_t old_size, std::size_t new_size) {
    if (new_size == 0) {
      std::free(p);
      bytes_ -= static_cast<std::int64_t>(old_size);
      return nullptr;
    }
    bytes_ += static_cast<std::int64_t>(new_size) -
              static_cast<std::int64_t>(old_size);
    return std::realloc(p, new_size);
  }
  static void Free(void* p) { std::free(p); }

  std::int64_t TakeBytes() { return std::exchange(bytes_, 0); }

 private:
  std::int64_t bytes_ = 0;
};

// allocmark's Arena as a RapidJSON Allocator: blocks bumped from the arena,
// grown by allocating anew and copying, never freed one by one (the arena is
// reset after the document).
class ArenaRapidJsonAllocator {
 public:
  static const bool kNeedFree = false;
  ArenaRapidJsonAllocator() = default;  // RapidJSON's concept requires it
  explicit ArenaRapidJsonAllocator(Arena* arena) : arena_(arena) {}
  void* Malloc(std::size_t size) {
    if (size == 0) return nullptr;
    bytes_ += static_cast<std::int64_t>(size);
    return arena_->Allocate(size, 8);
  }
  void* Realloc(void* p, std::size_t old_size, std::size_t new_size) {
    if (p == nullptr) return Malloc(new_size);
    if (new_size <= old_size) return p;
    void* grown = Malloc(new_size);
    if (grown != nullptr) std::memcpy(grown, p, old_size);
    return grown;
  }
  static void Free(void*) {}

  std::int64_t TakeBytes() { return std::exchange(bytes_, 0); }

 private:
  Arena* arena_ = nullptr;
  std::int64_t bytes_ = 0;
};

using CrtDocument =
    rapidjson::GenericDocument<rapidjson::UTF8<>, CountingCrtAllocator>;
using ArenaDocument =
    rapidjson::GenericDocument<rapidjson::UTF8<>, ArenaRapidJsonAllocator>;

// What the three workloads share: the corpus, the reference hashes, the
// timed loop over the schedule and the counters. `Library` parses one
// document: Parse(doc, hash, live_bytes) returns "" or the library's reason.
template <class Library>
class LibraryJson {
 public:
  explicit LibraryJson(const WorkloadConfig& config)
      : threads_(config.threads), corpus_(LoadJsonCorpus(config)) {
    expected_hash_ = ReferenceWalkHashes(
        corpus_, hash_, [](const JsonDocument& doc, std::string& error) {
          RequestHash walk;
          error = Library::ParseUntimed(doc.text, walk);
          return walk.value();
        });
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    RunJsonThreads(ctx, corpus_, threads_,
                   [&](int t) { RunThread<H>(ctx, t); });
  }

 private:
  template <Heap H>
  void RunThread(RunContext& ctx, int t) {
    Arena arena;
    Library library(Library::template kUsesArena<H> ? &arena : nullptr);
    auto& latencies = ctx.Latencies(t);
    latencies.reserve(corpus_.schedule.size());
    for (std::size_t index : corpus_.schedule) {
      if (ctx.failed()) return;
      const JsonDocument& doc = corpus_.documents[index];
      const std::int64_t begin = NowNs();
      RequestHash walk;
      std::int64_t live_bytes = 0;
      std::string error = library.Parse(doc.text, walk, live_bytes);
      if (!error.empty()) return ctx.Fail(doc.name + ": " + error);
      if (walk.value() != expected_hash_[index])
        return ctx.Fail(doc.name +
                        ": the DOM was changed while live (walk hash differs)");
      // Counted once, when the whole document was live.
      ctx.AddLive(t, live_bytes);
      ctx.AddLive(t, -live_bytes);
      arena.Reset();
      latencies.push_back(NowNs() - begin);
    }
    ctx.AddOps(t, static_cast<std::int64_t>(corpus_.schedule.size()));
  }

  int threads_;
  JsonCorpus corpus_;  // its error, if any, is reported by Run
  std::vector<std::uint64_t> expected_hash_;  // per document
  RequestHash hash_;
};

template <class Document>
std::string ParseRapidJson(Document& doc, const std::string& text,
                           RequestHash& walk) {
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError())
    return std::string(rapidjson::GetParseError_En(doc.GetParseError())) +
           " at byte " + std::to_string(doc.GetErrorOffset());
  WalkRapidJson(doc, walk);
  return "";
}

// nlohmann::json::parse into a json value, walked, destroyed.
struct Nlohmann {
  template <Heap H>
  static constexpr bool kUsesArena = false;
  explicit Nlohmann(Arena*) {}
  std::string Parse(const std::string& text, RequestHash& walk,
                    std::int64_t& /*live_bytes: not counted*/) {
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded()) return "nlohmann::json refused it";
    WalkNlohmann(doc, walk);
    return "";
  }
  // The reference parse: the same library with every container and string
  // (the lexer's token buffer included) on an arena over mmap.
  static std::string ParseUntimed(const std::string& text, RequestHash& walk);
};

// nlohmann::json's allocators are stateless: the reference parse's arena is
// reached through this (one parse at a time, before any timed region).
Arena* untimed_arena = nullptr;

template <class T>
struct UntimedStdAllocator {
  using value_type = T;
  UntimedStdAllocator() = default;
  template <class U>
  UntimedStdAllocator(const UntimedStdAllocator<U>&) {}
  T* allocate(std::size_t n) {
    void* p = untimed_arena->Allocate(n * sizeof(T), alignof(T));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T*, std::size_t) {}
  template <class U>
  bool operator==(const UntimedStdAllocator<U>&) const {
    return true;
  }
};

using UntimedJson = nlohmann::basic_json<
    std::map, std::vector,
    std::basic_string<char, std::char_traits<char>, UntimedStdAllocator<char>>,
    bool, std::int64_t, std::uint64_t, double, UntimedStdAllocator>;

std::string Nlohmann::ParseUntimed(const std::string& text, RequestHash& walk) {
  UntimedHeap heap;
  untimed_arena = &heap.arena();
  std::string error;
  {
    UntimedJson doc = UntimedJson::parse(text, nullptr, false);
    if (doc.is_discarded())
      error = "nlohmann::json refused it";
    else
      WalkNlohmann(doc, walk);
  }
  untimed_arena = nullptr;
  return error;
}

// The reference parse of the RapidJSON variants: DOM and parse stack on an
// arena over mmap (untimed_heap.h), which the process allocator never sees.
std::string ParseRapidJsonUntimed(const std::string& text, RequestHash& walk) {
  UntimedHeap heap;
  ArenaRapidJsonAllocator allocator(&heap.arena());
  ArenaRapidJsonAllocator stack_allocator(&heap.arena());
  rapidjson::GenericDocument<rapidjson::UTF8<>, ArenaRapidJsonAllocator,
                             ArenaRapidJsonAllocator>
      doc(&allocator, 1024, &stack_allocator);
  return ParseRapidJson(doc, text, walk);
}

// RapidJSON on the heap: malloc-per-block on heap=malloc, the arena on
// heap=arena (the only heaps it is registered for).
struct RapidJson {
  template <Heap H>
  static constexpr bool kUsesArena = kReleasesInBulk<H>;
  explicit RapidJson(Arena* arena) : arena_(arena) {}
  static std::string ParseUntimed(const std::string& text, RequestHash& walk) {
    return ParseRapidJsonUntimed(text, walk);
  }
  std::string Parse(const std::string& text, RequestHash& walk,
                    std::int64_t& live_bytes) {
    if (arena_ == nullptr) {
      CountingCrtAllocator allocator;
      std::string error;
      {
        CrtDocument doc(&allocator);
        error = ParseRapidJson(doc, text, walk);
        live_bytes = allocator.TakeBytes();
      }  // the DOM is freed block by block here
      return error;
    }
    ArenaRapidJsonAllocator allocator(arena_);
    ArenaDocument doc(&allocator);
    std::string error = ParseRapidJson(doc, text, walk);
    live_bytes = allocator.TakeBytes();
    return error;
  }
  Arena* arena_;
};

// RapidJSON's default Document: its MemoryPoolAllocator over malloc.
struct RapidJsonPool {
  template <Heap H>
  static constexpr bool kUsesArena = false;
  explicit RapidJsonPool(Arena*) {}
  static std::string ParseUntimed(const std::string& text, RequestHash& walk) {
    return ParseRapidJsonUntimed(text, walk);
  }
  std::string Parse(const std::string& text, RequestHash& walk,
                    std::int64_t& live_bytes) {
    rapidjson::Document doc;
    std::string error = ParseRapidJson(doc, text, walk);
    live_bytes = static_cast<std::int64_t>(doc.GetAllocator().Size());
    return error;
  }
};

const bool kNlohmann = RegisterWorkload<LibraryJson<Nlohmann>>({
    .name = "json_nlohmann",
    .summary = "the json documents parsed by nlohmann::json, walked, destroyed",
    .params = JsonCorpusParams(),
    .heaps = {HeapKind::kMalloc},
    .max_threads = 64,
    .ops_unit = "documents",
    .cost_weight = 1.0,
    .check = CheckJsonCorpusParams,
});

const bool kRapidJson = RegisterWorkload<LibraryJson<RapidJson>>({
    .name = "json_rapidjson",
    .summary = "the json documents parsed by RapidJSON: malloc per block, or "
               "allocmark's arena",
    .params = JsonCorpusParams(),
    .heaps = {HeapKind::kMalloc, HeapKind::kArena},
    .max_threads = 64,
    .ops_unit = "documents",
    .cost_weight = 0.6,
    .check = CheckJsonCorpusParams,
});

const bool kRapidJsonPool = RegisterWorkload<LibraryJson<RapidJsonPool>>({
    .name = "json_rapidjson_pool",
    .summary = "the json documents parsed by RapidJSON's default Document "
               "(its MemoryPoolAllocator over malloc)",
    .params = JsonCorpusParams(),
    .heaps = {HeapKind::kMalloc},
    .max_threads = 64,
    .ops_unit = "documents",
    .cost_weight = 0.5,
    .check = CheckJsonCorpusParams,
});

}  // namespace
}  // namespace allocmark
