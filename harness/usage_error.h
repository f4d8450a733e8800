// A usage or configuration error: the driver prints "allocmark: <what>" on one
// line and exits with status 2 before it measures anything.
#ifndef ALLOCMARK_HARNESS_USAGE_ERROR_H_
#define ALLOCMARK_HARNESS_USAGE_ERROR_H_

#include <stdexcept>
#include <string>

#include "harness/exit_status.h"

namespace allocmark {

class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_USAGE_ERROR_H_
