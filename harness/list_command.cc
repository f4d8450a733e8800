#include "harness/list_command.h"

#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "harness/allocator_choice.h"
#include "harness/run_command.h"
#include "harness/usage_error.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

nlohmann::json WorkloadsJson() {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& w : Workloads()) {
    nlohmann::json heaps = nlohmann::json::array();
    for (HeapKind h : w.heaps) heaps.push_back(std::string(HeapName(h)));
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : w.params)
      params.push_back({{"name", p.name},
                        {"help", p.help},
                        {"smoke", p.smoke},
                        {"quick", p.quick},
                        {"full", p.full},
                        {"min_value", p.min_value}});
    list.push_back({{"name", w.name},
                    {"summary", w.summary},
                    {"heaps", heaps},
                    {"max_threads", w.max_threads},
                    {"params", params}});
  }
  return list;
}

// One allocator's entry: what the table (or the user) says of it, and what a
// probe child with its library preloaded proved.
nlohmann::json AllocatorJson(const std::string& child, AllocatorChoice choice,
                             const ProcessAllocator* row) {
  nlohmann::json j = {
      {"name", choice.name},
      {"source", row != nullptr ? AllocatorSourceName(row->source) : "user"},
      {"library", choice.library},
      {"default", row != nullptr && row->in_default_set},
      {"available", false},
      {"version", ""},
      {"proven", ""}};
  if (row != nullptr) {
    j["install"] = HowToInstall(*row);
    if (row->source == AllocatorSource::kUpstream) {
      const UpstreamRelease& u = row->upstream;
      j["upstream"] = {{"repo", u.repo},     {"url", u.url},
                       {"tag", u.tag},       {"commit", u.commit},
                       {"recipe", u.recipe}, {"output", u.output}};
    } else {
      j["package"] = row->debian_package;
    }
    if (!FindLibrary(*row)) {
      j["problem"] =
          "not " +
          std::string(row->source == AllocatorSource::kUpstream ? "built"
                                                                : "installed") +
          ": " + HowToInstall(*row);
      return j;
    }
  }
  try {
    ProbeAllocator(child, choice);
  } catch (const UsageError& e) {
    j["problem"] = e.what();
    return j;
  }
  j["proven"] = choice.probe.allocator;
  j["version"] = choice.probe.version;
  if (choice.library.empty()) j["library"] = choice.probe.library;
  // A table row is available when its probe proves that very row; a user
  // library when it serves malloc (ProbeAllocator checked that).
  j["available"] = row == nullptr || choice.probe.allocator == choice.name;
  if (!j["available"].get<bool>())
    j["problem"] = "probe found " + choice.probe.allocator + " instead";
  return j;
}

nlohmann::json ListedAllocators(
    const std::vector<std::string>& custom_allocators) {
  std::string child = ChildPath();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : ProcessAllocators()) {
    AllocatorChoice choice{std::string(a.name), LibraryPath(a), &a, false, {}};
    list.push_back(AllocatorJson(child, choice, &a));
  }
  for (const auto& c : ResolveAllocators({"all"}, custom_allocators))
    if (c.user_library) list.push_back(AllocatorJson(child, c, nullptr));
  return list;
}

void PrintConsole(const nlohmann::json& listing) {
  std::cout << "workloads (parameter: smoke / quick / full):\n";
  for (const auto& w : listing["workloads"]) {
    std::string heaps;
    for (const auto& h : w["heaps"])
      heaps += (heaps.empty() ? "" : ", ") + h.get<std::string>();
    std::cout << fmt::format("  {:<18} {}\n", w["name"].get<std::string>(),
                             w["summary"].get<std::string>());
    std::cout << fmt::format("  {:<18} heaps: {}; threads: {}\n", "", heaps,
                             w["max_threads"].get<int>() > 1 ? "any" : "1");
    for (const auto& p : w["params"])
      std::cout << fmt::format(
          "      {:<24} {:>10} / {:>10} / {:>10}  {}\n",
          p["name"].get<std::string>(), p["smoke"].get<std::int64_t>(),
          p["quick"].get<std::int64_t>(), p["full"].get<std::int64_t>(),
          p["help"].get<std::string>());
  }
  std::cout << "heaps:\n ";
  for (const auto& h : listing["heaps"])
    std::cout << " " << h.get<std::string>();
  std::cout << "\nprocess allocators (* in the default set; --allocators all "
               "runs every available one):\n";
  for (const auto& a : listing["allocators"]) {
    std::string status = a["available"].get<bool>()
                             ? a["version"].get<std::string>()
                             : a.value("problem", std::string("unavailable"));
    std::cout << fmt::format(
        "  {:<16} {:1} {:<8} {:<12} {}\n", a["name"].get<std::string>(),
        a["default"].get<bool>() ? "*" : "", a["source"].get<std::string>(),
        status, a["library"].get<std::string>());
  }
}

}  // namespace

int ListCommand(bool json, const std::vector<std::string>& custom_allocators) {
  nlohmann::json heaps = nlohmann::json::array();
  for (const auto& [kind, name] : kHeapNames) heaps.push_back(name);
  nlohmann::json listing = {
      {"workloads", WorkloadsJson()},
      {"heaps", heaps},
      {"allocators", ListedAllocators(custom_allocators)}};
  if (json)
    std::cout << listing.dump(2) << "\n";
  else
    PrintConsole(listing);
  return 0;
}

}  // namespace allocmark
