#include "harness/cell_result.h"

#include <utility>

namespace allocmark {

void CellResult::Fail(std::string reason) {
  status_ok = false;
  error = std::move(reason);
}

nlohmann::json CellRow(const CellResult& r) {
  const Cell& c = r.cell;
  nlohmann::json row = {{"cell_id", c.id},
                        {"workload", c.workload},
                        {"params", c.params},
                        {"threads", c.threads},
                        {"heap", c.heap},
                        {"allocator", c.allocator},
                        {"rep", c.rep},
                        {"seed", c.seed},
                        {"status", r.ok() ? "ok" : "failed"},
                        {"elapsed_s", r.elapsed_s}};
  if (!c.command.empty()) row["command"] = c.command;
  if (!r.log.empty()) row["log"] = r.log;
  if (!r.ok()) row["error"] = r.error;
  if (r.proof) {
    row["allocator_proven"] = r.proof->allocator;
    row["allocator_library"] = r.proof->library;
    row["allocator_version"] = r.proof->version;
    row["request_checksum"] = r.proof->request_checksum;
  }
  auto set_if = [&](const char* key, const std::string& value) {
    if (!value.empty()) row[key] = value;
  };
  set_if("callgrind_allocator", r.callgrind_allocator);
  set_if("callgrind_error", r.callgrind_error);
  set_if("perf_error", r.perf_error);
  if (!r.ok()) return row;
  for (Figure f : Figure::All())
    if (std::optional<double> value = r.figures.Get(f))
      row[std::string(f.name())] = *value;
  row["allocator_stats"] = r.allocator_stats;
  row["counters"] = r.counters;
  set_if("timeseries", r.timeseries);
  set_if("memory_method", r.memory_method);
  return row;
}

std::optional<double> FigureOf(const nlohmann::json& row, Figure f) {
  auto it = row.find(std::string(f.name()));
  if (it == row.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace allocmark
