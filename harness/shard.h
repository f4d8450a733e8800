// Splitting a matrix over machines: `allocmark run --shard I/N` runs a
// deterministic 1/N of the cells. Every cell is in exactly one shard, and all
// allocators and repetitions of one configuration (workload, parameters,
// threads, heap) stay in the same shard, so that every ratio between
// allocators compares measurements taken on one machine. Configurations are
// spread by expected cost (cells x the workload's cost weight), largest
// first onto the least loaded shard.
#ifndef ALLOCMARK_HARNESS_SHARD_H_
#define ALLOCMARK_HARNESS_SHARD_H_

#include <string>
#include <vector>

#include "harness/matrix.h"

namespace allocmark {

struct Shard {
  int index = 1;  // 1-based
  int count = 1;
};

// Parses "I/N" with 1 <= I <= N; throws UsageError.
Shard ParseShard(const std::string& text);

// The cells of `shard`, in their original order.
std::vector<Cell> SelectShard(const std::vector<Cell>& cells,
                              const Shard& shard);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_SHARD_H_
