#include "harness/environment.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace allocmark {
namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// "always [madvise] never" -> "madvise"
std::string Bracketed(const std::string& line) {
  auto open = line.find('[');
  auto close = line.find(']');
  if (open == std::string::npos || close == std::string::npos) return line;
  return line.substr(open + 1, close - open - 1);
}

std::string ProcField(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "";
}

std::string Command(const std::string& cmd) {
  std::FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  char buf[256];
  std::string out;
  while (std::fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

// The memory limit of this process's cgroup in bytes (docker run --memory,
// a Slurm or Kubernetes limit), or null when there is none. cgroup v2 names
// it memory.max, v1 memory.limit_in_bytes; in a container the own cgroup is
// mounted at the root, on a host it sits at the path /proc/self/cgroup gives.
nlohmann::json CgroupMemoryLimit() {
  std::ifstream cgroup("/proc/self/cgroup");
  for (std::string line; std::getline(cgroup, line);) {
    bool v2 = line.rfind("0::", 0) == 0;
    auto colon = line.find(':', line.find(':') + 1);
    if (!v2 && line.find(":memory:") == std::string::npos) continue;
    std::string dir = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
    std::string file = v2 ? "/memory.max" : "/memory.limit_in_bytes";
    for (const std::string& path :
         {dir + line.substr(colon + 1) + file, dir + file}) {
      std::string value = ReadFirstLine(path);
      if (value.empty()) continue;
      if (value == "max") return nullptr;
      long long bytes = std::atoll(value.c_str());
      // v1 writes "no limit" as the largest page-aligned long.
      return bytes <= 0 || bytes >= (1LL << 62) ? nlohmann::json(nullptr)
                                                : nlohmann::json(bytes);
    }
  }
  return nullptr;
}

}  // namespace

nlohmann::json LoadAverage() {
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) != 3) return nullptr;
  return {load[0], load[1], load[2]};
}

nlohmann::json CollectEnvironment() {
  nlohmann::json env;
  utsname u{};
  uname(&u);
  env["kernel"] = std::string(u.sysname) + " " + u.release;
  env["machine"] = u.machine;
  env["hostname"] = u.nodename;
  env["cpu_model"] = ProcField("/proc/cpuinfo", "model name");
  env["cores"] = std::thread::hardware_concurrency();
  std::string mem = ProcField("/proc/meminfo", "MemTotal");
  env["memory_bytes"] = std::stoll(mem.empty() ? "0" : mem) * 1024;
  env["thp_enabled"] =
      Bracketed(ReadFirstLine("/sys/kernel/mm/transparent_hugepage/enabled"));
  env["thp_defrag"] =
      Bracketed(ReadFirstLine("/sys/kernel/mm/transparent_hugepage/defrag"));
  std::string governor =
      ReadFirstLine("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  env["cpu_governor"] =
      governor.empty() ? nlohmann::json(nullptr) : nlohmann::json(governor);
  // A virtual CPU shares its core with other guests: steal time is noise.
  env["virtualized"] = ProcField("/proc/cpuinfo", "flags").find("hypervisor") !=
                       std::string::npos;
  // What steady_clock reads: tsc is cheap, kvm-clock/hpet/acpi_pm cost more
  // per latency sample.
  env["clocksource"] = ReadFirstLine(
      "/sys/devices/system/clocksource/clocksource0/current_clocksource");
  env["load_average"] = LoadAverage();
  env["compiler"] = ALLOCMARK_COMPILER;
  env["cxx_flags"] = ALLOCMARK_CXX_FLAGS;
  env["build_type"] = ALLOCMARK_BUILD_TYPE;
  env["sanitizers"] = ALLOCMARK_SANITIZERS;
  std::string git =
      Command("git -C '" ALLOCMARK_SOURCE_DIR "' rev-parse HEAD 2>/dev/null");
  if (!git.empty() &&
      !Command("git -C '" ALLOCMARK_SOURCE_DIR
               "' status --porcelain --untracked-files=no 2>/dev/null")
           .empty())
    git += "-dirty";
  // A container image holds the sources without .git: its build passes the
  // revision in.
  if (git.empty() && std::getenv("ALLOCMARK_GIT_REVISION") != nullptr)
    git = std::getenv("ALLOCMARK_GIT_REVISION");
  env["git_revision"] =
      git.empty() ? nlohmann::json(nullptr) : nlohmann::json(git);
  bool in_container = access("/.dockerenv", F_OK) == 0 ||
                      std::getenv("ALLOCMARK_CONTAINER_IMAGE") != nullptr;
  env["container"] = in_container;
  if (const char* image = std::getenv("ALLOCMARK_CONTAINER_IMAGE"))
    env["container_image"] = image;
  env["cpu_set"] = ProcField("/proc/self/status", "Cpus_allowed_list");
  env["memory_limit_bytes"] = CgroupMemoryLimit();
  return env;
}

std::vector<std::string> EnvironmentWarnings(const nlohmann::json& env) {
  std::vector<std::string> warnings;
  if (env.value("build_type", "") != "Release")
    warnings.push_back("this is a " +
                       env.value("build_type", std::string("non-Release")) +
                       " build: configure with -DCMAKE_BUILD_TYPE=Release for "
                       "numbers worth reporting");
  if (!env.value("sanitizers", std::string()).empty())
    warnings.push_back("built with sanitizers (" +
                       env.value("sanitizers", std::string()) +
                       "): timings are not comparable with a plain build");
  if (env.value("thp_enabled", "") == "always")
    warnings.push_back(
        "transparent huge pages are 'always': RSS depends on huge-page luck; "
        "echo madvise > /sys/kernel/mm/transparent_hugepage/enabled for "
        "steadier numbers");
  auto governor = env.value("cpu_governor", nlohmann::json(nullptr));
  if (governor.is_string() && governor != "performance")
    warnings.push_back(
        "CPU frequency governor is '" + governor.get<std::string>() +
        "': cpupower frequency-set -g performance for steadier timings");
  if (env.contains("load_average") && env["load_average"].is_array() &&
      env["load_average"][0].get<double>() > 0.5 * env.value("cores", 1))
    warnings.push_back(
        "the machine is loaded (1-minute load average " +
        std::to_string(env["load_average"][0].get<double>()).substr(0, 4) +
        "): stop other work, or expect wider spreads");
  return warnings;
}

}  // namespace allocmark
