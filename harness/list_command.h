// `allocmark list`: the workloads with their parameters and per-profile
// defaults, the heaps, and the process allocators with availability, library
// and version as the library itself reports it (from a probe child).
#ifndef ALLOCMARK_HARNESS_LIST_COMMAND_H_
#define ALLOCMARK_HARNESS_LIST_COMMAND_H_

namespace allocmark {

int ListCommand();

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_LIST_COMMAND_H_
