// The machine and build a run was measured on, for run.json, and the
// warnings about conditions that make numbers less trustworthy, each with
// its remedy (printed once by the driver and recorded in run.json).
#ifndef ALLOCMARK_HARNESS_ENVIRONMENT_H_
#define ALLOCMARK_HARNESS_ENVIRONMENT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace allocmark {

// CPU model, cores, memory, kernel, THP (enabled, defrag), CPU frequency
// governor, load average, virtualized (hypervisor flag), clocksource,
// compiler, flags, build type, git revision,
// container (when run in one).
nlohmann::json CollectEnvironment();

// The 1, 5 and 15-minute load averages, or null when unreadable. The run
// records them at its start (environment.load_average) and its end.
nlohmann::json LoadAverage();

// Warnings from an environment as CollectEnvironment returns it.
std::vector<std::string> EnvironmentWarnings(const nlohmann::json& env);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_ENVIRONMENT_H_
