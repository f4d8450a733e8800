// Fuzzes the json workload's own parser (workloads/support/json_dom.h) on the
// heap it uses most, malloc: any text must give a DOM or an error with its byte
// offset, never a crash; a DOM must walk and destroy to zero live bytes; and
// a failed parse must leave nothing behind that the heap cannot take back
// (the tracking heap below frees what a failed parse left, so that the leak
// checker speaks only of real leaks).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_map>

#include "allocators/heap.h"
#include "workloads/support/json_dom.h"

namespace {

// MallocHeap that remembers its live blocks.
class TrackingHeap {
 public:
  static constexpr const char* kName = "tracking";
  void* Allocate(std::size_t size_bytes, std::size_t align_bytes) {
    void* p = heap_.Allocate(size_bytes, align_bytes);
    if (p != nullptr) live_[p] = size_bytes;
    return p;
  }
  void Deallocate(void* p, std::size_t size_bytes, std::size_t align_bytes) {
    auto it = live_.find(p);
    if (it == live_.end() || it->second != size_bytes)
      std::abort();  // a foreign or resized free
    live_.erase(it);
    heap_.Deallocate(p, size_bytes, align_bytes);
  }
  void Reset() {
    for (const auto& [p, size] : live_) heap_.Deallocate(p, size, 0);
    live_.clear();
  }
  std::size_t live_blocks() const { return live_.size(); }

 private:
  allocmark::MallocHeap heap_;
  std::unordered_map<void*, std::size_t> live_;
};
static_assert(allocmark::Heap<TrackingHeap>);

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  TrackingHeap heap;
  allocmark::JsonHeapUse use;
  std::string scratch, error;
  allocmark::JsonValue* root =
      allocmark::JsonParser<TrackingHeap>(heap, use, scratch)
          .Parse(text, error);
  if (root == nullptr) {
    if (error.find(" at byte ") == std::string::npos)
      std::abort();  // an error names its offset
  } else {
    if (!error.empty()) std::abort();
    (void)allocmark::JsonWalkHash(root);
    allocmark::JsonDestroy(heap, root, use);
    if (heap.live_blocks() != 0 || use.live_bytes != 0)
      std::abort();  // the DOM freed all it took
  }
  heap.Reset();
  return 0;
}
