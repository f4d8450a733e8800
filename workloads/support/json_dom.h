// A small JSON DOM whose every block comes from a Heap, and its parser.
//
// Why not nlohmann::json with an allocator: its allocator parameter is
// stateless (one heap per document needs a global), its strings, its lexer's
// token buffer and its number conversions allocate through std::allocator
// whatever the DOM's allocator is, so on heap=arena part of the work would
// still go to malloc and the comparison would blur. Here every allocation of
// parsing is a Heap call, and nothing else allocates:
//   - one 24-byte JsonValue per value;
//   - a string's bytes, exactly its length (unescaped, no terminator);
//   - an array's item pointers and an object's members, grown by doubling
//     (allocate the new block, copy, free the old one), as a std::vector-based
//     DOM such as nlohmann's grows them; the new part is zeroed, so every
//     allocated byte is written, and checked by the walk.
// Numbers are stored as doubles (std::from_chars).
// The walk (JsonWalkHash) visits every value and every byte of every string
// and hashes them; a document whose hash differs from the hash of a
// reference parse was changed while live.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_JSON_DOM_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_JSON_DOM_H_

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "allocators/heap.h"
#include "workloads/support/run_context.h"

namespace allocmark {

enum class JsonType : std::uint8_t {
  kNull,
  kFalse,
  kTrue,
  kNumber,
  kString,
  kArray,
  kObject
};

struct JsonValue;

struct JsonMember {
  char* key;
  std::uint32_t key_size;
  JsonValue* value;
};

struct JsonValue {
  JsonType type;
  std::uint32_t size;      // bytes of a string; items of an array or object
  std::uint32_t capacity;  // allocated items of an array or object
  union {
    double number;
    char* chars;
    JsonValue** items;
    JsonMember* members;
  };
};

// Counts what documents asked of their heap: allocations, and the bytes held
// now, which also go to ctx's live bytes of `slot` when ctx is set.
struct JsonHeapUse {
  RunContext* ctx = nullptr;
  int slot = 0;
  std::int64_t allocations = 0;
  std::int64_t live_bytes = 0;

  void AddLive(std::int64_t delta_bytes) {
    live_bytes += delta_bytes;
    if (ctx != nullptr) ctx->AddLive(slot, delta_bytes);
  }
};

// Parses one document into a DOM on `heap`. Returns the root, or nullptr with
// `error` set (malformed text with its byte offset, or a NULL from the heap).
// `scratch` is a buffer for unescaping strings, reused across documents.
template <Heap H>
class JsonParser {
 public:
  JsonParser(H& heap, JsonHeapUse& use, std::string& scratch)
      : heap_(heap), use_(use), scratch_(scratch) {}

  JsonValue* Parse(std::string_view text, std::string& error) {
    p_ = text.data();
    begin_ = p_;
    end_ = p_ + text.size();
    error_ = &error;
    SkipSpace();
    JsonValue* root = ParseValue(0);
    if (root == nullptr) return nullptr;
    SkipSpace();
    if (p_ != end_) return Error("text after the document");
    return root;
  }

 private:
  static constexpr int kMaxDepth = 512;

  void* Allocate(std::size_t bytes, std::size_t align) {
    void* p = heap_.Allocate(bytes, align);
    if (p != nullptr) {
      ++use_.allocations;
      use_.AddLive(static_cast<std::int64_t>(bytes));
    }
    return p;
  }

  std::nullptr_t Error(const char* what) {
    if (error_->empty())
      *error_ = std::string(what) + " at byte " + std::to_string(p_ - begin_);
    return nullptr;
  }

  bool Failed(const char* what) {
    Error(what);
    return false;
  }

  void SkipSpace() {
    while (p_ != end_ &&
           (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
      ++p_;
  }

  JsonValue* NewValue(JsonType type) {
    auto* v = static_cast<JsonValue*>(
        Allocate(sizeof(JsonValue), alignof(JsonValue)));
    if (v == nullptr) return Error("the heap returned NULL");
    v->type = type;
    v->size = 0;
    v->capacity = 0;
    v->number = 0;
    return v;
  }

  bool Literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0)
      return false;
    p_ += word.size();
    return true;
  }

  JsonValue* ParseValue(int depth) {
    if (depth > kMaxDepth) return Error("nesting deeper than 512");
    if (p_ == end_) return Error("unexpected end of text");
    switch (*p_) {
      case '{':
        return ParseObject(depth);
      case '[':
        return ParseArray(depth);
      case '"': {
        JsonValue* v = NewValue(JsonType::kString);
        if (v != nullptr && !ParseString(v->chars, v->size)) return nullptr;
        return v;
      }
      case 't':
        return Literal("true") ? NewValue(JsonType::kTrue)
                               : Error("bad literal");
      case 'f':
        return Literal("false") ? NewValue(JsonType::kFalse)
                                : Error("bad literal");
      case 'n':
        return Literal("null") ? NewValue(JsonType::kNull)
                               : Error("bad literal");
      default:
        return ParseNumber();
    }
  }

  JsonValue* ParseNumber() {
    const char* start = p_;
    auto digits = [&] {
      const char* from = p_;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      return p_ != from;
    };
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ != end_ && *p_ == '0') {
      ++p_;
    } else if (!digits()) {
      return Error("bad value");
    }
    if (p_ != end_ && *p_ == '.' && (++p_, !digits()))
      return Error("bad number");
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digits()) return Error("bad number");
    }
    JsonValue* v = NewValue(JsonType::kNumber);
    if (v == nullptr) return nullptr;
    // A number beyond double's range stays 0: valid JSON, and the walk only
    // needs the same value on every run.
    auto result = std::from_chars(start, p_, v->number);
    if (result.ec != std::errc() && result.ec != std::errc::result_out_of_range)
      return Error("bad number");
    return v;
  }

  static int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool ParseHex4(unsigned& code) {
    if (end_ - p_ < 4) return false;
    code = 0;
    for (int i = 0; i < 4; ++i) {
      int d = HexDigit(*p_++);
      if (d < 0) return false;
      code = code * 16 + static_cast<unsigned>(d);
    }
    return true;
  }

  void AppendUtf8(unsigned code) {
    if (code < 0x80) {
      scratch_ += static_cast<char>(code);
    } else if (code < 0x800) {
      scratch_ += static_cast<char>(0xc0 | (code >> 6));
      scratch_ += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      scratch_ += static_cast<char>(0xe0 | (code >> 12));
      scratch_ += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      scratch_ += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      scratch_ += static_cast<char>(0xf0 | (code >> 18));
      scratch_ += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      scratch_ += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      scratch_ += static_cast<char>(0x80 | (code & 0x3f));
    }
  }

  // At an opening quote: parses the string into a block of its exact size.
  bool ParseString(char*& chars, std::uint32_t& size) {
    const char* start = ++p_;
    while (p_ != end_ && *p_ != '"' && *p_ != '\\') {
      if (static_cast<unsigned char>(*p_) < 0x20)
        return Failed("control character in string");
      ++p_;
    }
    if (p_ == end_) return Failed("unterminated string");
    std::string_view text(start, static_cast<std::size_t>(p_ - start));
    if (*p_ == '\\') {  // escapes: unescape into the scratch buffer
      scratch_.assign(start, p_);
      while (p_ != end_ && *p_ != '"') {
        char c = *p_++;
        if (static_cast<unsigned char>(c) < 0x20)
          return Failed("control character in string");
        if (c != '\\') {
          scratch_ += c;
          continue;
        }
        if (p_ == end_) return Failed("unterminated string");
        switch (char e = *p_++) {
          case '"':
          case '\\':
          case '/':
            scratch_ += e;
            break;
          case 'b':
            scratch_ += '\b';
            break;
          case 'f':
            scratch_ += '\f';
            break;
          case 'n':
            scratch_ += '\n';
            break;
          case 'r':
            scratch_ += '\r';
            break;
          case 't':
            scratch_ += '\t';
            break;
          case 'u': {
            unsigned code;
            if (!ParseHex4(code)) return Failed("bad \\u escape");
            if (code >= 0xd800 && code < 0xdc00 && end_ - p_ >= 6 &&
                p_[0] == '\\' && p_[1] == 'u') {
              p_ += 2;
              unsigned low;
              if (!ParseHex4(low) || low < 0xdc00 || low > 0xdfff)
                return Failed("bad surrogate pair");
              code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
            }
            AppendUtf8(code);
            break;
          }
          default:
            return Failed("bad escape");
        }
      }
      if (p_ == end_) return Failed("unterminated string");
      text = scratch_;
    }
    ++p_;  // the closing quote
    size = static_cast<std::uint32_t>(text.size());
    chars = nullptr;
    if (size == 0) return true;
    chars = static_cast<char*>(Allocate(size, 1));
    if (chars == nullptr) return Failed("the heap returned NULL");
    std::memcpy(chars, text.data(), size);
    return true;
  }

  // Makes room for one more item in `v`'s array of T, doubling it.
  template <class T>
  bool Grow(JsonValue* v, T*& items) {
    if (v->size < v->capacity) return true;
    std::uint32_t capacity = v->capacity == 0 ? 4 : v->capacity * 2;
    auto* grown = static_cast<T*>(Allocate(capacity * sizeof(T), alignof(T)));
    if (grown == nullptr) return Failed("the heap returned NULL");
    if (v->size > 0) std::memcpy(grown, items, v->size * sizeof(T));
    std::memset(grown + v->size, 0, (capacity - v->size) * sizeof(T));
    if (v->capacity > 0) {
      heap_.Deallocate(items, v->capacity * sizeof(T), alignof(T));
      use_.AddLive(-static_cast<std::int64_t>(v->capacity * sizeof(T)));
    }
    items = grown;
    v->capacity = capacity;
    return true;
  }

  JsonValue* ParseArray(int depth) {
    JsonValue* v = NewValue(JsonType::kArray);
    if (v == nullptr) return nullptr;
    v->items = nullptr;
    ++p_;
    SkipSpace();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return v;
    }
    for (;;) {
      SkipSpace();
      JsonValue* item = ParseValue(depth + 1);
      if (item == nullptr || !Grow(v, v->items)) return nullptr;
      v->items[v->size++] = item;
      SkipSpace();
      if (p_ == end_) return Error("unterminated array");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_++ == ']') return v;
      --p_;
      return Error("expected ',' or ']'");
    }
  }

  JsonValue* ParseObject(int depth) {
    JsonValue* v = NewValue(JsonType::kObject);
    if (v == nullptr) return nullptr;
    v->members = nullptr;
    ++p_;
    SkipSpace();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return v;
    }
    for (;;) {
      SkipSpace();
      if (p_ == end_ || *p_ != '"') return Error("expected a key");
      JsonMember m{};
      if (!ParseString(m.key, m.key_size)) return nullptr;
      SkipSpace();
      if (p_ == end_ || *p_ != ':') return Error("expected ':'");
      ++p_;
      SkipSpace();
      m.value = ParseValue(depth + 1);
      if (m.value == nullptr || !Grow(v, v->members)) return nullptr;
      v->members[v->size++] = m;
      SkipSpace();
      if (p_ == end_) return Error("unterminated object");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_++ == '}') return v;
      --p_;
      return Error("expected ',' or '}'");
    }
  }

  H& heap_;
  JsonHeapUse& use_;
  std::string& scratch_;
  const char* p_ = nullptr;
  const char* begin_ = nullptr;
  const char* end_ = nullptr;
  std::string* error_ = nullptr;
};

// Hashes every value of the DOM: types, sizes, numbers' bits and string
// bytes, in document order. Returns 0 (never a real hash: the seed is not 0
// and every step mixes) when an unused item slot is not zero, i.e. when the
// heap changed a block.
std::uint64_t JsonWalkHash(const JsonValue* root);

// Frees every block of the DOM to `heap`, children first, and subtracts them
// from the live bytes of `use`. For heaps that release in bulk a program would
// Reset instead; the workload decides.
template <Heap H>
void JsonDestroy(H& heap, JsonValue* v, JsonHeapUse& use) {
  auto give_back = [&](void* p, std::size_t bytes, std::size_t align) {
    heap.Deallocate(p, bytes, align);
    use.AddLive(-static_cast<std::int64_t>(bytes));
  };
  switch (v->type) {
    case JsonType::kString:
      if (v->size > 0) give_back(v->chars, v->size, 1);
      break;
    case JsonType::kArray:
      for (std::uint32_t i = 0; i < v->size; ++i)
        JsonDestroy(heap, v->items[i], use);
      if (v->capacity > 0)
        give_back(v->items, v->capacity * sizeof(JsonValue*),
                  alignof(JsonValue*));
      break;
    case JsonType::kObject:
      for (std::uint32_t i = 0; i < v->size; ++i) {
        if (v->members[i].key_size > 0)
          give_back(v->members[i].key, v->members[i].key_size, 1);
        JsonDestroy(heap, v->members[i].value, use);
      }
      if (v->capacity > 0)
        give_back(v->members, v->capacity * sizeof(JsonMember),
                  alignof(JsonMember));
      break;
    default:
      break;
  }
  give_back(v, sizeof(JsonValue), alignof(JsonValue));
}

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_JSON_DOM_H_
