#include <algorithm>

#include "base/check.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

std::vector<WorkloadInfo>& Registry() {
  static std::vector<WorkloadInfo> registry;
  return registry;
}

}  // namespace

std::int64_t WorkloadConfig::Get(std::string_view name) const {
  auto it = params.find(name);
  ALLOCMARK_CHECK(it != params.end())
      << "workload reads undeclared parameter '" << name << "'";
  return it->second;
}

std::int64_t WorkloadInfo::Default(const ParamSpec& p, Profile profile) const {
  switch (profile) {
    case Profile::kSmoke:
      return p.smoke;
    case Profile::kQuick:
      return p.quick;
    case Profile::kFull:
      return p.full;
  }
  return p.quick;
}

bool RegisterWorkloadInfo(WorkloadInfo info) {
  auto& registry = Registry();
  registry.push_back(std::move(info));
  std::sort(registry.begin(), registry.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return true;
}

std::span<const WorkloadInfo> Workloads() { return Registry(); }

const WorkloadInfo* FindWorkload(std::string_view name) {
  for (const auto& w : Registry())
    if (w.name == name) return &w;
  return nullptr;
}

}  // namespace allocmark
