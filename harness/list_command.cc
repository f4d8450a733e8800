#include "harness/list_command.h"

#include <fmt/format.h>

#include <iostream>

#include "harness/allocator_choice.h"
#include "harness/run_command.h"
#include "harness/usage_error.h"
#include "workloads/workload.h"

namespace allocmark {

int ListCommand() {
  std::cout << "workloads (parameter: smoke / quick / full):\n";
  for (const auto& w : Workloads()) {
    std::string heaps;
    for (HeapKind h : w.heaps)
      heaps += (heaps.empty() ? "" : ", ") + std::string(HeapName(h));
    std::cout << fmt::format("  {:<18} {}\n", w.name, w.summary);
    std::cout << fmt::format("  {:<18} heaps: {}; threads: {}\n", "", heaps,
                             w.max_threads > 1 ? "any" : "1");
    for (const auto& p : w.params)
      std::cout << fmt::format("      {:<24} {:>10} / {:>10} / {:>10}  {}\n",
                               p.name, p.smoke, p.quick, p.full, p.help);
  }
  std::cout << "heaps:\n ";
  for (const auto& [kind, name] : kHeapNames) std::cout << " " << name;
  std::cout << "\nprocess allocators:\n";
  std::string child = ChildPath();
  for (const auto& a : ProcessAllocators()) {
    auto library = FindLibrary(a);
    if (!library) {
      std::cout << fmt::format("  {:<10} not found (apt-get install {})\n",
                               a.name, a.debian_package);
      continue;
    }
    AllocatorChoice choice{std::string(a.name), *library, &a, false, {}};
    std::string version;
    try {
      ProbeAllocator(child, choice);
      version = choice.probe.allocator == a.name
                    ? choice.probe.version
                    : "probe found " + choice.probe.allocator + " instead";
    } catch (const UsageError& e) {
      version = e.what();
    }
    std::cout << fmt::format(
        "  {:<10} {:<12} {}\n", a.name, version,
        library->empty() ? choice.probe.library : *library);
  }
  return 0;
}

}  // namespace allocmark
