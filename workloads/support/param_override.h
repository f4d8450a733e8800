// One `--param` override of a workload parameter, parsed in one place for the
// driver (the command line and a resumed run's run.json) and the child (its
// own command line, one override per parameter of its cell).
//
//   NAME=VALUE            every workload that declares NAME
//   WORKLOAD.NAME=VALUE   that workload only
//
// VALUE is a decimal integer in the range of int64.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_PARAM_OVERRIDE_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_PARAM_OVERRIDE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "workloads/support/workload.h"

namespace allocmark {

struct ParamOverride {
  std::string workload;  // empty: every workload that declares `name`
  std::string name;
  std::int64_t value = 0;
};

// Parses one override. On a malformed one returns nullopt and sets *error to
// one line that quotes `text`, such as
//   --param takes NAME=VALUE or WORKLOAD.NAME=VALUE, got 'ops'
//   --param ops=1e3: '1e3' is not an integer
std::optional<ParamOverride> ParseParamOverride(std::string_view text,
                                                std::string* error);

// The parameter of `w` that `o` sets, or nullptr when `o` names another
// workload or a parameter `w` does not declare.
const ParamSpec* FindParam(const WorkloadInfo& w, const ParamOverride& o);

// Why `value` is not valid for the parameter `p` of `w`
// ("churn.ops must be at least 1"), or "" when it is.
std::string ParamValueProblem(const WorkloadInfo& w, const ParamSpec& p,
                              std::int64_t value);

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_PARAM_OVERRIDE_H_
