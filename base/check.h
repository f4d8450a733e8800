// Invariant checks, for every layer of allocmark (base/ includes nothing
// else of it, so allocators/, workloads/ and harness/ all may use it).
//
//   ALLOCMARK_CHECK(cond) << "what was expected" << value;
//     Always on. When `cond` is false, prints
//       path/to/file.cc:42: check failed: cond: what was expected 7
//     on stderr and aborts. The streamed message is evaluated only then.
//   ALLOCMARK_DCHECK(cond) << ...;
//     The same in a build without NDEBUG; in a release build neither the
//     condition nor the message is evaluated (both are still compiled).
//
// A check states a programming error: something no input can cause. Bad
// input from a user is a usage error (one line, exit 2), and a failure inside
// a measurement is a failed cell; neither is a check.
#ifndef ALLOCMARK_BASE_CHECK_H_
#define ALLOCMARK_BASE_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace allocmark::check_internal {

// Collects the message of a failed check; its destructor prints the whole
// line and aborts.
class CheckFailure {
 public:
  CheckFailure(const char* condition, const char* file, int line) {
    header_ = std::string(file) + ":" + std::to_string(line) +
              ": check failed: " + condition;
  }
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  ~CheckFailure() {
    std::string message = message_.str();
    std::string line = header_ + (message.empty() ? "" : ": " + message);
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
    std::abort();
  }
  std::ostream& stream() { return message_; }

 private:
  std::string header_;
  std::ostringstream message_;
};

// Gives `stream << ...` the type void, so that both branches of the
// conditional in ALLOCMARK_CHECK have one type. `&` binds more loosely than
// `<<`, so the whole message is streamed first.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace allocmark::check_internal

#define ALLOCMARK_CHECK(cond)                                             \
  (cond) ? static_cast<void>(0)                                           \
         : ::allocmark::check_internal::Voidify() &                       \
               ::allocmark::check_internal::CheckFailure(#cond, __FILE__, \
                                                         __LINE__)        \
                   .stream()

#ifdef NDEBUG
#define ALLOCMARK_DCHECK(cond) \
  while (false) ALLOCMARK_CHECK(cond)
#else
#define ALLOCMARK_DCHECK(cond) ALLOCMARK_CHECK(cond)
#endif

#endif  // ALLOCMARK_BASE_CHECK_H_
