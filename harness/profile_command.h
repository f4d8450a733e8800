// `allocmark profile FILE [--json]`: what a recorded program asks of an
// allocator (record/trace_profile.h), as text or as one JSON object.
#ifndef ALLOCMARK_HARNESS_PROFILE_COMMAND_H_
#define ALLOCMARK_HARNESS_PROFILE_COMMAND_H_

#include <string>

namespace allocmark {

// Returns kExitOk. Throws UsageError naming the file and the offset when the
// trace is damaged, foreign or of another version.
int ProfileCommand(const std::string& path, bool json);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_PROFILE_COMMAND_H_
