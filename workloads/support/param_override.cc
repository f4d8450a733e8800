#include "workloads/support/param_override.h"

#include <algorithm>
#include <charconv>

namespace allocmark {

std::optional<ParamOverride> ParseParamOverride(std::string_view text,
                                                std::string* error) {
  const std::string quoted(text);
  auto eq = text.find('=');
  std::string_view key = text.substr(0, eq);
  auto dot = key.find('.');
  ParamOverride o;
  if (dot != std::string_view::npos) {
    o.workload = key.substr(0, dot);
    o.name = key.substr(dot + 1);
  } else {
    o.name = key;
  }
  if (eq == std::string_view::npos || o.name.empty() ||
      (dot != std::string_view::npos && o.workload.empty())) {
    *error =
        "--param takes NAME=VALUE or WORKLOAD.NAME=VALUE, got '" + quoted + "'";
    return std::nullopt;
  }
  std::string_view value = text.substr(eq + 1);
  const char* end = value.data() + value.size();
  auto [stop, ec] = std::from_chars(value.data(), end, o.value);
  if (ec != std::errc() || stop != end) {
    *error = "--param " + quoted + ": '" + std::string(value) +
             "' is not an integer";
    return std::nullopt;
  }
  return o;
}

const ParamSpec* FindParam(const WorkloadInfo& w, const ParamOverride& o) {
  if (!o.workload.empty() && o.workload != w.name) return nullptr;
  auto spec =
      std::find_if(w.params.begin(), w.params.end(),
                   [&](const ParamSpec& p) { return p.name == o.name; });
  return spec == w.params.end() ? nullptr : &*spec;
}

std::string ParamValueProblem(const WorkloadInfo& w, const ParamSpec& p,
                              std::int64_t value) {
  if (value < p.min_value)
    return w.name + "." + p.name + " must be at least " +
           std::to_string(p.min_value);
  return "";
}

}  // namespace allocmark
