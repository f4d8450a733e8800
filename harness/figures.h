// The figures of a measured cell: name, unit, kind and meaning, one line each
// in harness/figures.json, the one table that allocmark-child (the counters
// it writes), the driver (the row it writes, the summary it prints) and the
// scripts (scripts/allocmark_results.py) read. CMake turns the table into
// kFigureTable (harness/figure_table.cmake).
//
// Code names a figure with a string literal that converts to a Figure at
// compile time: a name that is not in the table does not compile, so no
// figure is written under a name the reader does not know, nor dropped on
// the way.
#ifndef ALLOCMARK_HARNESS_FIGURES_H_
#define ALLOCMARK_HARNESS_FIGURES_H_

#include <array>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string_view>

namespace allocmark {

enum class FigureKind {
  kHigherBetter,
  kLowerBetter,
  kCount,     // how much was measured or asked for; no better direction
  kFraction,  // between 0 and 1; no better direction
};

struct FigureInfo {
  std::string_view name;  // the row's key: snake_case, the unit in the name
  std::string_view unit;
  FigureKind kind;
  std::string_view meaning;  // short enough for a chart's label
};

inline constexpr FigureInfo kFigureTable[] = {
#include "harness/figure_table.inc"
};
inline constexpr std::size_t kFigureCount = std::size(kFigureTable);

// One figure of the table.
class Figure {
 public:
  // Compiles only for a name in the table.
  consteval Figure(const char* name) : index_(IndexOf(name)) {}  // NOLINT

  // The figure called `name`, or none: for names read at run time.
  static constexpr std::optional<Figure> Find(std::string_view name) {
    for (std::size_t i = 0; i < kFigureCount; ++i)
      if (kFigureTable[i].name == name) return Figure(i);
    return std::nullopt;
  }
  // Every figure, in the table's order.
  static constexpr std::array<Figure, kFigureCount> All() {
    std::array<Figure, kFigureCount> all{};
    for (std::size_t i = 0; i < kFigureCount; ++i) all[i] = Figure(i);
    return all;
  }

  constexpr const FigureInfo& info() const { return kFigureTable[index_]; }
  constexpr std::string_view name() const { return info().name; }
  constexpr std::size_t index() const { return index_; }
  friend constexpr bool operator==(Figure, Figure) = default;

 private:
  constexpr Figure() = default;
  constexpr explicit Figure(std::size_t index) : index_(index) {}
  static consteval std::size_t IndexOf(std::string_view name) {
    for (std::size_t i = 0; i < kFigureCount; ++i)
      if (kFigureTable[i].name == name) return i;
    // Reached while compiling: the name is not in harness/figures.json.
    throw "not a figure of harness/figures.json";
  }
  std::size_t index_ = 0;
};

// The figures a cell measured: each one set or absent.
class FigureValues {
 public:
  void Set(Figure f, double value) { values_[f.index()] = value; }
  std::optional<double> Get(Figure f) const { return values_[f.index()]; }
  bool empty() const {
    for (const auto& v : values_)
      if (v) return false;
    return true;
  }

 private:
  std::array<std::optional<double>, kFigureCount> values_{};
};

namespace figures_internal {
constexpr bool NamesAreUnique() {
  for (std::size_t i = 0; i < kFigureCount; ++i)
    for (std::size_t j = i + 1; j < kFigureCount; ++j)
      if (kFigureTable[i].name == kFigureTable[j].name) return false;
  return true;
}
}  // namespace figures_internal
static_assert(figures_internal::NamesAreUnique(),
              "harness/figures.json names a figure twice");

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_FIGURES_H_
