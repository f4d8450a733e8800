#include "workloads/support/json_corpus.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace allocmark {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string ReadFile(const std::string& path, std::vector<JsonDocument>& out,
                     const std::string& remedy) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "json corpus file " + path + " is missing (" + remedy + ")";
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return "cannot read json corpus file " + path;
  out.push_back({path, std::move(text).str()});
  return "";
}

constexpr const char* kWords[] = {
    "alpha",  "river",  "stone",   "cloud",  "maple",  "ember",
    "harbor", "quartz", "delta",   "orbit",  "cedar",  "lumen",
    "north",  "violet", "prairie", "signal", "tundra", "copper",
    "meadow", "falcon", "garnet",  "island", "jasper", "kernel",
    "lagoon", "mosaic", "nectar",  "opal",   "pixel",  "ridge",
};
constexpr const char* kEvents[] = {"created", "updated",  "viewed",
                                   "shared",  "archived", "restored"};

class Writer {
 public:
  explicit Writer(Rng& rng) : rng_(rng) {}

  void Record(std::uint64_t id) {
    out_ += "{\"id\":" + std::to_string(id) + ",\"name\":";
    String(1 + rng_.Below(3));
    out_ += ",\"email\":\"";
    out_ += Word();
    out_ += '.';
    out_ += Word();
    out_ += "@example.org\",\"active\":";
    out_ += rng_.Chance(700) ? "true" : "false";
    out_ += ",\"score\":" + std::to_string(rng_.Below(1000000)) + "." +
            std::to_string(rng_.Below(1000)) + "e-3";
    out_ += ",\"tags\":[";
    for (std::uint64_t i = 0, n = rng_.Below(8); i < n; ++i) {
      if (i > 0) out_ += ',';
      String(1);
    }
    out_ += "],\"address\":{\"street\":";
    String(2);
    out_ += ",\"city\":";
    String(1);
    out_ += ",\"zip\":\"" + std::to_string(10000 + rng_.Below(90000)) +
            "\",\"geo\":[" + std::to_string(rng_.Below(180)) + "." +
            std::to_string(rng_.Below(100000)) + ",-" +
            std::to_string(rng_.Below(90)) + "." +
            std::to_string(rng_.Below(100000)) + "]}";
    out_ += ",\"history\":[";
    for (std::uint64_t i = 0, n = rng_.Below(12); i < n; ++i) {
      if (i > 0) out_ += ',';
      out_ += "{\"t\":" + std::to_string(1600000000 + rng_.Below(100000000)) +
              ",\"event\":\"" + kEvents[rng_.Below(std::size(kEvents))] +
              "\",\"note\":";
      if (rng_.Chance(300)) {
        out_ += "null";
      } else {
        String(1 + rng_.Below(12));
      }
      out_ += '}';
    }
    out_ += "],\"parent\":null}";
  }

  std::string& text() { return out_; }

 private:
  const char* Word() { return kWords[rng_.Below(std::size(kWords))]; }

  // A string of `words` words, some with escapes or \u sequences.
  void String(std::uint64_t words) {
    out_ += '"';
    for (std::uint64_t i = 0; i < words; ++i) {
      if (i > 0) out_ += ' ';
      out_ += Word();
      if (rng_.Chance(20)) out_ += "\\\"quoted\\\"";
      if (rng_.Chance(20)) out_ += "\\u00e9\\n";
    }
    out_ += '"';
  }

  Rng& rng_;
  std::string out_;
};

// Where Debian's node-mdn-browser-compat-data package puts the whole data set
// as one document.
constexpr const char* kMdnDataJson =
    "/usr/share/nodejs/@mdn/browser-compat-data/data.json";

}  // namespace

std::vector<std::string> IsoCodesCorpusPaths() {
  const std::string dir =
      EnvOr("ALLOCMARK_ISO_CODES_DIR", "/usr/share/iso-codes/json");
  std::vector<std::string> paths;
  for (const char* name :
       {"iso_15924", "iso_3166-1", "iso_3166-2", "iso_3166-3", "iso_4217",
        "iso_639-2", "iso_639-3", "iso_639-5"})
    paths.push_back(dir + "/" + name + ".json");
  return paths;
}

std::string MdnCorpusPath() {
  return EnvOr("ALLOCMARK_MDN_BCD_JSON", kMdnDataJson);
}

std::string LoadIsoCodesCorpus(std::vector<JsonDocument>& out) {
  for (const std::string& path : IsoCodesCorpusPaths()) {
    std::string error =
        ReadFile(path, out, "install Debian's iso-codes package: make deps");
    if (!error.empty()) return error;
  }
  return "";
}

std::string LoadMdnCorpus(std::vector<JsonDocument>& out) {
  return ReadFile(MdnCorpusPath(), out,
                  "install Debian's node-mdn-browser-compat-data package: "
                  "make deps");
}

JsonCorpus LoadJsonCorpus(const WorkloadConfig& config) {
  JsonCorpus corpus;
  std::vector<std::size_t> iso, mdn;
  auto load = [&](auto loader, std::vector<std::size_t>& indices) {
    if (!corpus.error.empty()) return;
    std::size_t first = corpus.documents.size();
    corpus.error = loader(corpus.documents);
    for (std::size_t i = first; i < corpus.documents.size(); ++i)
      indices.push_back(i);
  };
  if (config.Get("iso_codes_passes") > 0) load(LoadIsoCodesCorpus, iso);
  if (config.Get("mdn_passes") > 0) load(LoadMdnCorpus, mdn);
  if (!corpus.error.empty()) return corpus;
  Rng rng(config.seed);
  for (std::int64_t i = 0; i < config.Get("generated_documents"); ++i) {
    corpus.schedule.push_back(corpus.documents.size());
    corpus.documents.push_back(
        {"generated-" + std::to_string(i),
         GenerateJsonDocument(rng,
                              config.GetSize("generated_document_bytes"))});
  }
  for (std::int64_t pass = 0; pass < config.Get("iso_codes_passes"); ++pass)
    corpus.schedule.insert(corpus.schedule.end(), iso.begin(), iso.end());
  for (std::int64_t pass = 0; pass < config.Get("mdn_passes"); ++pass)
    corpus.schedule.insert(corpus.schedule.end(), mdn.begin(), mdn.end());
  return corpus;
}

double JsonCorpus::ScheduledBytes() const {
  double bytes = 0;
  for (std::size_t index : schedule)
    bytes += static_cast<double>(documents[index].text.size());
  return bytes;
}

void JsonCorpus::AddTo(RequestHash& hash) const {
  for (const auto& doc : documents) {
    for (std::size_t i = 0; i + 8 <= doc.text.size(); i += 8) {
      std::uint64_t word;
      std::memcpy(&word, doc.text.data() + i, 8);
      hash.Add(word);
    }
    hash.Add(doc.text.size());
  }
  for (std::size_t index : schedule) hash.Add(index);
}

std::vector<ParamSpec> JsonCorpusParams() {
  return {
      {"iso_codes_passes",
       "times the iso-codes files are parsed (0: not loaded)", 1, 8, 40, 0},
      {"mdn_passes", "times @mdn/browser-compat-data is parsed (0: not loaded)",
       0, 1, 5, 0},
      {"generated_documents", "generated documents, each parsed once", 4, 40,
       400, 0},
      {"generated_document_bytes", "size of a generated document", 65536,
       262144, 262144, 1},
  };
}

std::string CheckJsonCorpusParams(const Params& p) {
  if (p.at("iso_codes_passes") + p.at("mdn_passes") +
          p.at("generated_documents") ==
      0)
    return "no documents: set iso_codes_passes, mdn_passes or "
           "generated_documents";
  return "";
}

std::string GenerateJsonDocument(Rng& rng, std::size_t target_bytes) {
  Writer writer(rng);
  std::string& text = writer.text();
  text.reserve(target_bytes + 4096);
  text += '[';
  for (std::uint64_t id = 0; id == 0 || text.size() < target_bytes; ++id) {
    if (id > 0) text += ",\n";
    writer.Record(id);
  }
  text += "]\n";
  return std::move(text);
}

}  // namespace allocmark
