// `allocmark merge --out DIR SHARD_DIR...`: joins the shards of one matrix,
// run on several machines, into one run. Refuses shards of different
// matrices, schema versions or allocator versions, a shard given twice, and
// a cell found in two shards.
#ifndef ALLOCMARK_HARNESS_MERGE_COMMAND_H_
#define ALLOCMARK_HARNESS_MERGE_COMMAND_H_

#include <string>
#include <vector>

namespace allocmark {

// Returns the exit status (0, or 1 when a shard is incomplete or has failed
// cells); throws UsageError for shards that cannot be merged. A merge that
// throws leaves no trace under `out`: it removes what it created there.
int MergeCommand(const std::string& out,
                 const std::vector<std::string>& shard_dirs);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_MERGE_COMMAND_H_
