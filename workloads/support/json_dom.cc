#include "workloads/support/json_dom.h"

namespace allocmark {
namespace {

class Walker {
 public:
  bool Visit(const JsonValue* v) {
    Mix(static_cast<std::uint64_t>(v->type) << 32 | v->size);
    switch (v->type) {
      case JsonType::kNumber: {
        std::uint64_t bits;
        std::memcpy(&bits, &v->number, sizeof(bits));
        Mix(bits);
        return true;
      }
      case JsonType::kString:
        Bytes(v->chars, v->size);
        return true;
      case JsonType::kArray:
        for (std::uint32_t i = 0; i < v->size; ++i)
          if (!Visit(v->items[i])) return false;
        for (std::uint32_t i = v->size; i < v->capacity; ++i)
          if (v->items[i] != nullptr) return false;
        return true;
      case JsonType::kObject:
        for (std::uint32_t i = 0; i < v->size; ++i) {
          Mix(v->members[i].key_size);
          Bytes(v->members[i].key, v->members[i].key_size);
          if (!Visit(v->members[i].value)) return false;
        }
        for (std::uint32_t i = v->size; i < v->capacity; ++i) {
          const JsonMember& m = v->members[i];
          if (m.key != nullptr || m.key_size != 0 || m.value != nullptr)
            return false;
        }
        return true;
      default:
        return true;
    }
  }
  std::uint64_t hash() const { return hash_ == 0 ? 1 : hash_; }

 private:
  void Mix(std::uint64_t word) {
    hash_ = (hash_ ^ word) * 0x100000001b3ULL;
    hash_ ^= hash_ >> 29;
  }
  void Bytes(const char* p, std::uint32_t size) {
    std::uint32_t i = 0;
    for (; i + 8 <= size; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      Mix(w);
    }
    std::uint64_t tail = 0;
    if (i < size) std::memcpy(&tail, p + i, size - i);
    Mix(tail);
  }
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace

std::uint64_t JsonWalkHash(const JsonValue* root) {
  Walker walker;
  return walker.Visit(root) ? walker.hash() : 0;
}

}  // namespace allocmark
