// Integers from run files (run.json, cells.jsonl, a stability file): a file
// may be edited or damaged, and nlohmann's get<int>() converts a
// floating-point or out-of-range number with undefined behaviour. These
// accept only a JSON integer that fits T, and otherwise throw nlohmann's
// type_error, which the readers already turn into their one-line errors.
#ifndef ALLOCMARK_HARNESS_JSON_INTEGER_H_
#define ALLOCMARK_HARNESS_JSON_INTEGER_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace allocmark {

template <class T>
T IntegerOf(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (std::in_range<T>(u)) return static_cast<T>(u);
  } else if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (std::in_range<T>(i)) return static_cast<T>(i);
  }
  throw nlohmann::json::type_error::create(
      302,
      std::string("expected an integer in range, got ") +
          (v.is_number() ? v.dump() : std::string(v.type_name())),
      nullptr);
}

// object[key], which must be there.
template <class T>
T IntegerAt(const nlohmann::json& object, const std::string& key) {
  return IntegerOf<T>(object.at(key));
}

// object[key], or `fallback` when it is not there.
template <class T>
T IntegerOr(const nlohmann::json& object, const std::string& key, T fallback) {
  if (!object.is_object() || !object.contains(key)) return fallback;
  return IntegerOf<T>(object.at(key));
}

// object[key], an array of integers.
template <class T>
std::vector<T> IntegersAt(const nlohmann::json& object,
                          const std::string& key) {
  const nlohmann::json& array = object.at(key);
  if (!array.is_array())
    throw nlohmann::json::type_error::create(
        302, std::string("expected an array, got ") + array.type_name(),
        nullptr);
  std::vector<T> values;
  for (const nlohmann::json& v : array) values.push_back(IntegerOf<T>(v));
  return values;
}

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_JSON_INTEGER_H_
