#include "record/trace_writer.h"

#include <zstd.h>

#include <cstring>
#include <stdexcept>

namespace allocmark::trace {
namespace {

ChunkHeader MakeHeader(std::uint16_t type, std::uint32_t thread,
                       std::uint32_t events, std::uint32_t raw_bytes,
                       std::uint32_t stored_bytes, std::uint64_t checksum) {
  ChunkHeader h{};
  std::memcpy(h.magic, kChunkMagic, 4);
  h.type = type;
  h.thread = thread;
  h.events = events;
  h.raw_bytes = raw_bytes;
  h.stored_bytes = stored_bytes;
  h.checksum = checksum;
  return h;
}

}  // namespace

TraceWriter::TraceWriter(const std::string& path, const nlohmann::json& header,
                         std::uint32_t version)
    : out_(path, std::ios::binary | std::ios::trunc) {
  if (!out_) throw std::runtime_error("cannot write " + path);
  const std::string text = header.dump();
  const auto bytes = static_cast<std::uint32_t>(text.size());
  out_.write(kFileMagic, 8);
  out_.write(reinterpret_cast<const char*>(&version), 4);
  out_.write(reinterpret_cast<const char*>(&bytes), 4);
  out_.write(text.data(), static_cast<std::streamsize>(text.size()));
}

void TraceWriter::Add(std::uint32_t thread, const Event& event) {
  auto& events = pending_[thread];
  events.push_back(event);
  ++events_;
  if (events.size() == kMaxChunkEvents) FlushThread(thread);
}

void TraceWriter::FlushThread(std::uint32_t thread) {
  auto& events = pending_[thread];
  if (events.empty()) return;
  const auto n = static_cast<std::uint32_t>(events.size());
  const auto raw_bytes = static_cast<std::uint32_t>(n * sizeof(Event));
  if (raw_) {
    ChunkHeader h = MakeHeader(kChunkRaw, thread, n, raw_bytes, raw_bytes,
                               WordChecksum(events.data(), raw_bytes));
    out_.write(reinterpret_cast<const char*>(&h), sizeof(h));
    out_.write(reinterpret_cast<const char*>(events.data()), raw_bytes);
  } else {
    std::vector<char> stored(ZSTD_compressBound(raw_bytes));
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    std::size_t size = ZSTD_compress2(cctx, stored.data(), stored.size(),
                                      events.data(), raw_bytes);
    ZSTD_freeCCtx(cctx);
    if (ZSTD_isError(size)) throw std::runtime_error("zstd failed");
    ChunkHeader h = MakeHeader(kChunkZstd, thread, n, raw_bytes,
                               static_cast<std::uint32_t>(size), 0);
    out_.write(reinterpret_cast<const char*>(&h), sizeof(h));
    out_.write(stored.data(), static_cast<std::streamsize>(size));
  }
  events.clear();
}

void TraceWriter::Finish(bool end) {
  for (auto& [thread, events] : pending_) FlushThread(thread);
  if (end) {
    TraceEnd e{events_, pending_.size(), 0, 0};
    ChunkHeader h = MakeHeader(kChunkEnd, 0, 0, sizeof(e), sizeof(e),
                               WordChecksum(&e, sizeof(e)));
    out_.write(reinterpret_cast<const char*>(&h), sizeof(h));
    out_.write(reinterpret_cast<const char*>(&e), sizeof(e));
  }
  out_.flush();
}

}  // namespace allocmark::trace
