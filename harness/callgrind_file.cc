#include "harness/callgrind_file.h"

#include <array>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

namespace allocmark {
namespace {

// The C allocation interface and the names glibc and allocators give it.
constexpr std::array<std::string_view, 16> kCEntryPoints = {
    "malloc",
    "free",
    "calloc",
    "realloc",
    "reallocarray",
    "posix_memalign",
    "aligned_alloc",
    "memalign",
    "valloc",
    "pvalloc",
    "cfree",
    "free_sized",
    "free_aligned_sized",
    "malloc_usable_size",
    "sdallocx",
    "mallocx"};
constexpr std::array<std::string_view, 6> kPrefixes = {
    "__libc_", "__GI___libc_", "__", "tc_", "mi_", "je_"};

std::string_view StripSuffixes(std::string_view name) {
  // "malloc'2": a recursion level; "free [libc.so.6]" does not occur in
  // files, but a cycle marker might.
  if (auto q = name.rfind('\''); q != std::string_view::npos) {
    bool digits = q + 1 < name.size();
    for (std::size_t i = q + 1; i < name.size(); ++i)
      digits = digits && name[i] >= '0' && name[i] <= '9';
    if (digits) name = name.substr(0, q);
  }
  return name;
}

bool IsCEntryPoint(std::string_view name) {
  for (std::string_view entry : kCEntryPoints)
    if (name == entry) return true;
  return false;
}

// "fn=(12) name" -> id 12 and name; "fn=(12)" -> id 12, no name; "fn=name"
// (uncompressed) -> id -1 and name.
struct NameRef {
  long id = -1;
  std::string_view name;
};
NameRef ParseNameRef(std::string_view value) {
  NameRef ref;
  if (!value.empty() && value.front() == '(') {
    auto close = value.find(')');
    if (close == std::string_view::npos) return ref;
    std::from_chars(value.data() + 1, value.data() + close, ref.id);
    value.remove_prefix(close + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  ref.name = value;
  return ref;
}

// A table of compressed names ("(id) name" defines, "(id)" refers).
class Names {
 public:
  std::string Resolve(std::string_view value) {
    NameRef ref = ParseNameRef(value);
    if (ref.id < 0) return std::string(ref.name);
    if (!ref.name.empty()) names_[ref.id] = std::string(ref.name);
    auto it = names_.find(ref.id);
    return it == names_.end() ? std::string() : it->second;
  }

 private:
  std::map<long, std::string> names_;
};

// The first event's cost on a cost line: `positions` position columns, then
// the costs ("+3 120", "* 5", "0x4a 12 7"); 0 when the line has none.
std::int64_t FirstCost(std::string_view line, int positions) {
  std::size_t i = 0;
  auto next_token = [&]() -> std::string_view {
    while (i < line.size() && line[i] == ' ') ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    return line.substr(start, i - start);
  };
  for (int p = 0; p < positions; ++p) next_token();
  std::string_view token = next_token();
  std::int64_t cost = 0;
  std::from_chars(token.data(), token.data() + token.size(), cost);
  return cost;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string CanonicalPath(const std::string& path) {
  if (path.empty() || path == "???") return path;
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

AllocatorCode AllocatorCodeOf(const std::string& library) {
  return {library, std::string(ALLOCMARK_SOURCE_DIR) + "/allocators/"};
}

bool AllocatorCode::IsHeapSource(std::string_view file) const {
  return (!heap_source_prefix.empty() &&
          StartsWith(file, heap_source_prefix)) ||
         file.ends_with("/memory_resource");
}

bool IsAllocatorFunctionName(std::string_view name) {
  name = StripSuffixes(name);
  if (IsCEntryPoint(name)) return true;
  for (std::string_view prefix : kPrefixes)
    if (StartsWith(name, prefix) && IsCEntryPoint(name.substr(prefix.size())))
      return true;
  if (StartsWith(name, "operator new") || StartsWith(name, "operator delete"))
    return true;
  return StartsWith(name, "std::pmr::") &&
         name.find("_resource::") != std::string_view::npos;
}

std::optional<AllocatorInstructions> ReadAllocatorInstructions(
    const std::string& path, const AllocatorCode& code) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  const std::string library = CanonicalPath(code.library);
  Names objects, files, functions;
  std::map<std::string, bool> object_is_allocator;
  auto in_library = [&](const std::string& object) {
    if (library.empty()) return false;
    auto [it, added] = object_is_allocator.try_emplace(object, false);
    if (added) it->second = CanonicalPath(object) == library;
    return it->second;
  };

  AllocatorInstructions out;
  std::optional<std::int64_t> totals, summary;
  int positions = 1;
  std::string object, callee_object;
  bool fn_is_allocator = false;
  bool file_in_heap = false;  // the function's file (fl=)
  bool line_in_heap = false;  // the current line's file (fl=, fi=, fe=)
  bool in_call = false, callee_is_allocator = false;
  bool callee_object_given = false;
  std::string callee_name;
  for (std::string text; std::getline(in, text);) {
    std::string_view line = text;
    if (line.empty() || line.front() == '#') continue;
    const char c = line.front();
    const bool cost_line =
        (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '*';
    if (cost_line) {
      const std::int64_t cost = FirstCost(line, positions);
      if (in_call) {
        in_call = false;
        if (!fn_is_allocator && callee_is_allocator) out.allocator += cost;
      } else if (!fn_is_allocator && line_in_heap) {
        out.allocator += cost;
      }
      continue;
    }
    auto eq = line.find('=');
    auto colon = line.find(':');
    if (eq != std::string_view::npos &&
        (colon == std::string_view::npos || eq < colon)) {
      std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
      if (key == "ob") {
        object = objects.Resolve(value);
      } else if (key == "fl") {
        file_in_heap = line_in_heap = code.IsHeapSource(files.Resolve(value));
      } else if (key == "fi" || key == "fe") {
        line_in_heap = code.IsHeapSource(files.Resolve(value));
      } else if (key == "fn") {
        std::string name = functions.Resolve(value);
        fn_is_allocator = IsAllocatorFunctionName(name) || in_library(object);
        line_in_heap = file_in_heap;
        callee_object_given = false;
      } else if (key == "cob") {
        callee_object = objects.Resolve(value);
        callee_object_given = true;
      } else if (key == "cfi" || key == "cfl") {
        files.Resolve(value);
      } else if (key == "cfn") {
        callee_name = functions.Resolve(value);
      } else if (key == "calls") {
        in_call = true;
        const std::string& callee_ob =
            callee_object_given ? callee_object : object;
        callee_is_allocator =
            IsAllocatorFunctionName(callee_name) || in_library(callee_ob);
        callee_object_given = false;
      }
      continue;
    }
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (key == "positions") {
      std::istringstream words{std::string(value)};
      positions = 0;
      for (std::string w; words >> w;) ++positions;
    } else if (key == "totals" || key == "summary") {
      std::int64_t v = 0;
      std::from_chars(value.data(), value.data() + value.size(), v);
      (key == "totals" ? totals : summary) = v;
    }
  }
  std::optional<std::int64_t> total = totals ? totals : summary;
  if (!total || *total <= 0) return std::nullopt;
  out.total = *total;
  return out;
}

}  // namespace allocmark
