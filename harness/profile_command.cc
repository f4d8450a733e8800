#include "harness/profile_command.h"

#include <iostream>

#include "harness/exit_status.h"
#include "harness/usage_error.h"
#include "record/trace_profile.h"

namespace allocmark {

int ProfileCommand(const std::string& path, bool json) {
  nlohmann::json profile;
  try {
    trace::TraceFile file(path);
    profile = trace::ProfileTrace(file);
  } catch (const trace::TraceError& e) {
    throw UsageError(e.what());
  }
  if (json)
    std::cout << profile.dump(2) << "\n";
  else
    std::cout << trace::ProfileText(profile);
  return kExitOk;
}

}  // namespace allocmark
