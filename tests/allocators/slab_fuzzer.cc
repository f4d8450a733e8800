// libFuzzer target over operation sequences on the slab allocators (and the
// arena): each input byte pair is one operation (allocate a size, free the
// k-th live block, trim, reset). Built by clang with ASan+UBSan and
// -fsanitize=fuzzer; ctest runs it for a bounded time (allocators.slab_fuzzer).
// Every live block carries a pattern checked before it is freed; overlap,
// misalignment or a changed byte aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "allocators/arena.h"
#include "allocators/object_pool.h"
#include "allocators/slab.h"
#include "allocators/slab_mt.h"

namespace {

struct Live {
  void* p;
  std::size_t size;
  std::size_t align;
  std::uint8_t tag;
};

void Check(bool ok) {
  if (!ok) std::abort();
}

void Fill(const Live& b) { std::memset(b.p, b.tag, b.size); }
void Verify(const Live& b) {
  const auto* bytes = static_cast<const std::uint8_t*>(b.p);
  for (std::size_t i = 0; i < b.size; ++i) Check(bytes[i] == b.tag);
}

std::size_t SizeFrom(std::uint8_t op, std::uint8_t arg) {
  switch (op % 4) {
    case 0:
      return arg;  // 0..255
    case 1:
      return arg * 16u + (op >> 4);  // to ~4 KiB
    case 2:
      return 4000u + arg * 64u;  // around and over the largest class
    default:
      return arg % 64;
  }
}

template <class Slab>
void RunSlab(const std::uint8_t* data, std::size_t n) {
  Slab slab;
  std::vector<Live> live;
  for (std::size_t i = 0; i + 1 < n; i += 2) {
    const std::uint8_t op = data[i], arg = data[i + 1];
    if (op < 150) {
      const std::size_t align = std::size_t{1} << (op % 13 < 9 ? 4 : op % 13);
      Live b{nullptr, SizeFrom(op, arg), align, arg};
      b.p = slab.Allocate(b.size, b.align);
      Check(b.p != nullptr);
      Check(reinterpret_cast<std::uintptr_t>(b.p) % b.align == 0);
      Fill(b);
      live.push_back(b);
    } else if (op < 250) {
      if (live.empty()) continue;
      const std::size_t k = arg % live.size();
      Verify(live[k]);
      slab.Deallocate(live[k].p, live[k].size, live[k].align);
      live[k] = live.back();
      live.pop_back();
    } else {
      slab.Trim();
    }
  }
  for (const Live& b : live) {
    Verify(b);
    slab.Deallocate(b.p, b.size, b.align);
  }
  slab.Trim();
}

void RunArena(const std::uint8_t* data, std::size_t n) {
  allocmark::Arena arena(std::pmr::new_delete_resource(), 4096, 1 << 16);
  std::vector<Live> live;
  for (std::size_t i = 0; i + 1 < n; i += 2) {
    const std::uint8_t op = data[i], arg = data[i + 1];
    if (op < 250) {
      Live b{nullptr, SizeFrom(op, arg), std::size_t{1} << (op % 13), arg};
      b.p = arena.Allocate(b.size, b.align);
      Check(b.p != nullptr);
      Check(reinterpret_cast<std::uintptr_t>(b.p) % b.align == 0);
      Fill(b);
      live.push_back(b);
    } else {
      for (const Live& b : live) Verify(b);
      live.clear();
      arena.Reset();
    }
  }
  for (const Live& b : live) Verify(b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t n) {
  if (n == 0) return 0;
  switch (data[0] % 3) {
    case 0:
      RunSlab<allocmark::SlabAllocator>(data + 1, n - 1);
      break;
    case 1:
      RunSlab<allocmark::ConcurrentSlabAllocator>(data + 1, n - 1);
      break;
    default:
      RunArena(data + 1, n - 1);
      break;
  }
  return 0;
}
