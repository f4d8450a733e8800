#include "harness/allocator_choice.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/child_process.h"
#include "harness/usage_error.h"

namespace allocmark {
namespace {

std::string KnownNames() {
  std::string known;
  for (const auto& a : ProcessAllocators())
    known += (known.empty() ? "" : ", ") + std::string(a.name);
  return known;
}

bool ValidName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
           c == '_' || c == '.';
  });
}

AllocatorChoice FromTable(const ProcessAllocator& a) {
  auto library = FindLibrary(a);
  if (!library)
    throw UsageError(
        "allocator '" + std::string(a.name) + "' is not " +
        (a.source == AllocatorSource::kUpstream ? "built" : "installed") +
        " (" + LibraryPath(a) + " not found): " + HowToInstall(a));
  return {std::string(a.name), *library, &a, false, {}};
}

// The names that stand for a set of table rows: "default" (the four the
// project is about), "all", "debian", "upstream".
bool IsSetName(std::string_view name) {
  return name == "default" || name == "all" || name == "debian" ||
         name == "upstream";
}

bool InSet(std::string_view set, const ProcessAllocator& a) {
  if (set == "default") return a.in_default_set;
  if (set == "debian") return a.source == AllocatorSource::kDebian;
  if (set == "upstream") return a.source == AllocatorSource::kUpstream;
  return set == "all";
}

}  // namespace

std::vector<AllocatorChoice> ResolveAllocators(
    const std::vector<std::string>& names,
    const std::vector<std::string>& custom) {
  std::vector<AllocatorChoice> user;
  for (const auto& arg : custom) {
    auto eq = arg.find('=');
    if (eq == std::string::npos)
      throw UsageError("--allocator takes NAME=/path/lib.so, got '" + arg +
                       "'");
    AllocatorChoice c;
    c.name = arg.substr(0, eq);
    c.library = arg.substr(eq + 1);
    c.known = FindProcessAllocator(c.name);
    c.user_library = true;
    if (!ValidName(c.name))
      throw UsageError("--allocator " + arg +
                       ": NAME may use letters, digits, '-', '_' and '.'");
    if (c.name == "glibc")
      throw UsageError("--allocator glibc=...: glibc is never preloaded");
    if (c.library.empty() || access(c.library.c_str(), R_OK) != 0)
      throw UsageError("--allocator " + arg + ": no such file '" + c.library +
                       "'");
    c.library = std::filesystem::absolute(c.library).string();
    user.push_back(std::move(c));
  }
  auto find_user = [&](const std::string& name) -> const AllocatorChoice* {
    for (const auto& c : user)
      if (c.name == name) return &c;
    return nullptr;
  };

  std::vector<AllocatorChoice> chosen;
  auto has = [&](const std::string& name) {
    return std::any_of(chosen.begin(), chosen.end(),
                       [&](const auto& c) { return c.name == name; });
  };
  auto add = [&](const AllocatorChoice& c) {
    if (has(c.name))
      throw UsageError("allocator '" + c.name + "' is named twice");
    chosen.push_back(c);
  };
  const std::vector<std::string> default_set = {"default"};
  for (const auto& name : names.empty() ? default_set : names) {
    if (IsSetName(name)) {
      // A set takes its members that are there to preload.
      for (const auto& a : ProcessAllocators()) {
        if (!InSet(name, a)) continue;
        if (const AllocatorChoice* u = find_user(std::string(a.name)))
          add(*u);
        else if (FindLibrary(a))
          add(FromTable(a));
      }
    } else if (const AllocatorChoice* u = find_user(name)) {
      add(*u);
    } else if (const ProcessAllocator* a = FindProcessAllocator(name)) {
      add(FromTable(*a));
    } else {
      throw UsageError(
          "unknown allocator '" + name + "' (known: " + KnownNames() +
          "; sets: default, all, debian, upstream; or name a library with "
          "--allocator NAME=/path/lib.so)");
    }
  }
  // Every library the user names with --allocator is measured: after the
  // chosen ones when --allocators does not name it.
  for (const auto& u : user)
    if (!has(u.name)) chosen.push_back(u);
  return chosen;
}

std::map<std::string, std::optional<std::string>> PreloadEnvironment(
    const AllocatorChoice& choice) {
  // glibc runs with no preload at all: an LD_PRELOAD inherited from the
  // user's shell would otherwise measure something else under its name.
  if (choice.library.empty()) return {{"LD_PRELOAD", std::nullopt}};
  return {{"LD_PRELOAD", choice.library}};
}

void ProbeAllocator(const std::string& child_path, AllocatorChoice& choice) {
  char path[] = "/tmp/allocmark-probe-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) throw UsageError("cannot create a temporary file in /tmp");
  close(fd);
  ChildSpec spec;
  spec.argv = {child_path, "probe"};
  spec.env = PreloadEnvironment(choice);
  spec.output_path = path;
  spec.timeout_s = 30;
  ChildOutcome outcome = RunChild(spec);
  if (outcome.interrupted) {  // the caller sees StopRequested() and ends
    std::remove(path);
    return;
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path);
  nlohmann::json j;
  // ld.so prints its own complaints before the JSON line: read the last line.
  std::string last;
  for (std::string line; std::getline(text, line);)
    if (!line.empty() && line[0] == '{') last = line;
  j = nlohmann::json::parse(last, nullptr, false);
  if (!outcome.ok() || j.is_discarded()) {
    std::string what =
        outcome.ok() ? "printed no proof" : outcome.Describe(spec);
    throw UsageError("probing allocator '" + choice.name +
                     "' failed: the probe " + what);
  }
  choice.probe = {j.value("allocator", ""), j.value("library", ""),
                  j.value("version", "")};
  if (choice.user_library) {
    std::error_code ec;
    auto wanted = std::filesystem::canonical(choice.library, ec).string();
    if (choice.probe.library != wanted)
      throw UsageError("--allocator " + choice.name + "=" + choice.library +
                       ": the library does not serve malloc when preloaded "
                       "(malloc came from " +
                       choice.probe.library + ")");
  }
}

nlohmann::json AllocatorsJson(const std::vector<AllocatorChoice>& allocators) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : allocators)
    list.push_back({{"name", a.name},
                    {"library", a.library},
                    {"user_library", a.user_library},
                    {"proven", a.probe.allocator},
                    {"version", a.probe.version}});
  return list;
}

void AllocatorsFromJson(const nlohmann::json& allocators,
                        std::vector<std::string>& names,
                        std::vector<std::string>& custom) {
  for (const auto& a : allocators) {
    const auto name = a.at("name").get<std::string>();
    if (a.value("user_library", false))
      custom.push_back(name + "=" + a.at("library").get<std::string>());
    else
      names.push_back(name);
  }
}

}  // namespace allocmark
