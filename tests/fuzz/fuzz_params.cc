// Fuzzes the parameters a user types: --shard (ParseShard), --param through
// ExpandMatrix (CheckOverridesAreKnown, ResolveParams, each workload's
// check), --threads and --reps values, --profile (ParseProfile) and
// --max-rss (ParseBytes, file-static in run_command.cc, reached by including
// the file). The input is newline-separated: the first line goes to every
// single-value parser, the rest are --param arguments, and the first bytes
// pick threads and reps. Any input must end in success or a UsageError.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/run_command.cc"  // NOLINT(build/include): reaches ParseBytes

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  for (std::size_t start = 0; start <= input.size() && lines.size() < 16;) {
    std::size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    lines.emplace_back(input.substr(start, end - start));
    start = end + 1;
  }
  const std::string& first = lines.front();
  auto quietly = [](auto&& parse) {
    try {
      parse();
    } catch (const allocmark::UsageError&) {
    }
  };
  quietly([&] { (void)allocmark::ParseShard(first); });
  quietly([&] { (void)allocmark::ParseBytes(first); });
  quietly([&] { (void)allocmark::ParseProfile(first); });
  quietly([&] {
    allocmark::MatrixOptions m;
    m.allocators = {"glibc"};
    m.profile = allocmark::Profile::kSmoke;
    m.param_overrides.assign(lines.begin() + 1, lines.end());
    m.threads = {size > 0 ? static_cast<int>(static_cast<std::int8_t>(data[0]))
                          : 1};
    m.reps = size > 1 ? static_cast<std::int8_t>(data[1]) % 4 : 1;
    std::vector<allocmark::Cell> cells = allocmark::ExpandMatrix(m);
    (void)allocmark::SelectShard(cells, allocmark::ParseShard(first));
  });
  return 0;
}
