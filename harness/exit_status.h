// The exit statuses of every allocmark subcommand, in one place (README,
// "Exit status").
#ifndef ALLOCMARK_HARNESS_EXIT_STATUS_H_
#define ALLOCMARK_HARNESS_EXIT_STATUS_H_

namespace allocmark {

inline constexpr int kExitOk = 0;
// The run ended, and some cell failed (or compare found a failed ratio).
inline constexpr int kExitCellsFailed = 1;
// Bad input, said on one line before anything runs.
inline constexpr int kExitUsage = 2;
// allocmark itself could not go on after the run began (a results file could
// not be written, for example); the cells finished so far are kept.
inline constexpr int kExitError = 3;
// SIGINT or SIGTERM: the cells finished so far are kept; --resume continues.
inline constexpr int kExitInterrupted = 130;

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_EXIT_STATUS_H_
