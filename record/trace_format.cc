#include "record/trace_format.h"

namespace allocmark::trace {

const char* OpName(Op op) {
  switch (op) {
    case Op::kMalloc:
      return "malloc";
    case Op::kCalloc:
      return "calloc";
    case Op::kRealloc:
      return "realloc";
    case Op::kFree:
      return "free";
    case Op::kPosixMemalign:
      return "posix_memalign";
    case Op::kAlignedAlloc:
      return "aligned_alloc";
    case Op::kMemalign:
      return "memalign";
    case Op::kValloc:
      return "valloc";
    case Op::kPvalloc:
      return "pvalloc";
    case Op::kReallocarray:
      return "reallocarray";
    case Op::kNew:
      return "operator new";
    case Op::kNewArray:
      return "operator new[]";
    case Op::kNewAligned:
      return "operator new (aligned)";
    case Op::kNewArrayAligned:
      return "operator new[] (aligned)";
    case Op::kDelete:
      return "operator delete";
    case Op::kDeleteArray:
      return "operator delete[]";
    case Op::kDeleteSized:
      return "operator delete (sized)";
    case Op::kDeleteArraySized:
      return "operator delete[] (sized)";
    case Op::kDeleteAligned:
      return "operator delete (aligned)";
    case Op::kDeleteArrayAligned:
      return "operator delete[] (aligned)";
    case Op::kDeleteSizedAligned:
      return "operator delete (sized, aligned)";
    case Op::kDeleteArraySizedAligned:
      return "operator delete[] (sized, aligned)";
  }
  return "?";
}

bool IsKnownOp(std::uint8_t op) { return op >= 1 && op < kOpCount; }

}  // namespace allocmark::trace
