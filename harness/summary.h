// The table a run ends with: per workload configuration, each allocator's
// median throughput relative to the baseline (`baseline` on heap malloc, same
// workload and threads: the one rule of every ratio, docs/methodology.md) and
// its median peak RSS, from the rows of cells.jsonl; and the list of failed
// cells with their reasons.
#ifndef ALLOCMARK_HARNESS_SUMMARY_H_
#define ALLOCMARK_HARNESS_SUMMARY_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace allocmark {

// Median of the values; 0 for none.
double Median(std::vector<double> values);

std::string FormatSummary(const std::vector<nlohmann::json>& rows,
                          const std::string& baseline = "glibc");

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_SUMMARY_H_
