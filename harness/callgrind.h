// Instruction counts: a noise-free figure beside the timings. `allocmark run
// --callgrind` runs rep 0 of each cell once more under valgrind's callgrind
// with the allocator preloaded (LD_PRELOAD in valgrind's own environment,
// which valgrind passes on to the program it runs: the preload is set before
// valgrind, not inside it) and collects only the timed region, on every
// thread (the child starts and stops instrumentation around it with
// callgrind's client requests). The count
// includes the sampler thread's few instructions, run at a 1 s interval here.
#ifndef ALLOCMARK_HARNESS_CALLGRIND_H_
#define ALLOCMARK_HARNESS_CALLGRIND_H_

#include <cstdint>
#include <optional>
#include <string>

#include "harness/allocator_choice.h"
#include "harness/cell_result.h"
#include "harness/cell_runner.h"
#include "harness/matrix.h"
#include "harness/result_store.h"

namespace allocmark {

inline constexpr const char* kValgrind = "/usr/bin/valgrind";

// Runs `cell` under callgrind and adds to `result` the figures
// instructions (Ir of the timed region), instructions_per_op (Ir / ops) and
// allocator_instruction_share (the fraction of those inside the allocator or
// heap, callgrind_file.h), and callgrind_allocator (what served malloc
// there); or, when the count could not be taken, callgrind_error (why).
// Files: logs/<cell>.callgrind.*.
void CountInstructions(const Cell& cell, const AllocatorChoice& allocator,
                       const CellRunOptions& options, const RunStore& store,
                       CellResult& result);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_CALLGRIND_H_
