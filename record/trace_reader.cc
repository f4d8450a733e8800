#include "record/trace_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <functional>

namespace allocmark::trace {

TraceError::TraceError(const std::string& path, std::uint64_t offset,
                       const std::string& what)
    : std::runtime_error(path + ": offset " + std::to_string(offset) + ": " +
                         what),
      offset_(offset) {}

TraceFile::TraceFile(const std::string& path) : path_(path) {
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0)
    throw TraceError(path, 0, std::string("cannot open: ") + strerror(errno));
  struct stat st {};
  if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd_);
    throw TraceError(path, 0, "not a regular file");
  }
  file_bytes_ = static_cast<std::uint64_t>(st.st_size);
  try {
    char preamble[kFilePreambleBytes] = {};
    const std::size_t got =
        file_bytes_ < sizeof(preamble) ? file_bytes_ : sizeof(preamble);
    ReadAt(0, preamble, got);
    if (got < 8 || std::memcmp(preamble, kFileMagic, 8) != 0)
      throw TraceError(path, 0,
                       "not an allocmark trace (it does not begin with "
                       "AMTRACE)");
    if (got < sizeof(preamble))
      throw TraceError(path, got, "truncated in the file header");
    std::uint32_t json_bytes = 0;
    std::memcpy(&header_.version, preamble + 8, 4);
    std::memcpy(&json_bytes, preamble + 12, 4);
    if (header_.version != kTraceVersion)
      throw TraceError(path, 8,
                       "trace format version " +
                           std::to_string(header_.version) +
                           ", this allocmark reads version " +
                           std::to_string(kTraceVersion));
    if (json_bytes > kMaxHeaderJsonBytes)
      throw TraceError(path, 12,
                       "header of " + std::to_string(json_bytes) +
                           " bytes, more than a trace header has");
    if (kFilePreambleBytes + json_bytes > file_bytes_)
      throw TraceError(path, file_bytes_, "truncated in the file header");
    std::string text(json_bytes, '\0');
    ReadAt(kFilePreambleBytes, text.data(), json_bytes);
    header_.json = nlohmann::json::parse(text, nullptr, false);
    if (header_.json.is_discarded() || !header_.json.is_object())
      throw TraceError(path, kFilePreambleBytes, "the header is not JSON");
    try {
      header_.command =
          header_.json.value("command", std::vector<std::string>{});
      header_.allocator = header_.json.value("allocator", "");
      header_.malloc_object = header_.json.value("malloc_object", "");
      header_.start_time = header_.json.value("start_time", "");
      header_.origin = header_.json.value("origin", "start");
    } catch (const nlohmann::json::exception&) {
      throw TraceError(path, kFilePreambleBytes,
                       "the header's fields have the wrong types");
    }

    std::uint64_t at = kFilePreambleBytes + json_bytes;
    while (at < file_bytes_) {
      ChunkRef ref;
      ref.offset = at;
      if (file_bytes_ - at < sizeof(ChunkHeader))
        throw TraceError(path, at,
                         "truncated chunk header (" +
                             std::to_string(file_bytes_ - at) + " of " +
                             std::to_string(sizeof(ChunkHeader)) + " bytes)");
      ReadAt(at, &ref.header, sizeof(ChunkHeader));
      const ChunkHeader& h = ref.header;
      if (std::memcmp(h.magic, kChunkMagic, 4) != 0)
        throw TraceError(path, at, "corrupted: no chunk begins here");
      const std::uint64_t payload = at + sizeof(ChunkHeader);
      if (h.stored_bytes > file_bytes_ - payload)
        throw TraceError(path, at,
                         "truncated chunk: " + std::to_string(h.stored_bytes) +
                             " bytes of payload, " +
                             std::to_string(file_bytes_ - payload) +
                             " left in the file");
      if (h.type == kChunkEnd) {
        if (h.raw_bytes != sizeof(TraceEnd) ||
            h.stored_bytes != sizeof(TraceEnd) || h.events != 0)
          throw TraceError(path, at, "corrupted end chunk");
        TraceEnd end{};
        ReadAt(payload, &end, sizeof(end));
        if (WordChecksum(&end, sizeof(end)) != h.checksum)
          throw TraceError(path, at, "corrupted end chunk (checksum)");
        end_ = end;
      } else if (h.type == kChunkZstd || h.type == kChunkRaw) {
        if (h.events == 0 || h.events > kMaxChunkEvents ||
            h.raw_bytes != h.events * sizeof(Event))
          throw TraceError(path, at, "corrupted chunk header (event count)");
        if (h.type == kChunkRaw
                ? h.stored_bytes != h.raw_bytes
                : h.stored_bytes > ZSTD_compressBound(h.raw_bytes))
          throw TraceError(path, at, "corrupted chunk header (sizes)");
        if (h.thread >= (1u << 16))
          throw TraceError(path, at, "corrupted chunk header (thread)");
        if (h.thread + 1 > threads_) threads_ = h.thread + 1;
        events_ += h.events;
        chunks_.push_back(ref);
      } else {
        throw TraceError(path, at,
                         "unknown chunk type " + std::to_string(h.type));
      }
      at = payload + h.stored_bytes;
    }
  } catch (...) {
    close(fd_);
    throw;
  }
}

TraceFile::~TraceFile() {
  if (fd_ >= 0) close(fd_);
}

void TraceFile::ReadAt(std::uint64_t offset, void* data,
                       std::size_t bytes) const {
  auto* p = static_cast<char*>(data);
  while (bytes > 0) {
    ssize_t n = pread(fd_, p, bytes, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw TraceError(path_, offset,
                       n == 0 ? "the file ended early (changed while read?)"
                              : std::string("read error: ") + strerror(errno));
    p += n;
    offset += static_cast<std::uint64_t>(n);
    bytes -= static_cast<std::size_t>(n);
  }
}

void TraceFile::ReadChunk(std::size_t i, std::vector<Event>& out) const {
  const ChunkRef& ref = chunks_.at(i);
  const ChunkHeader& h = ref.header;
  const std::uint64_t payload = ref.offset + sizeof(ChunkHeader);
  out.resize(h.events);
  if (h.type == kChunkRaw) {
    ReadAt(payload, out.data(), h.raw_bytes);
    if (WordChecksum(out.data(), h.raw_bytes) != h.checksum)
      throw TraceError(path_, ref.offset, "corrupted chunk (checksum)");
  } else {
    std::vector<char> stored(h.stored_bytes);
    ReadAt(payload, stored.data(), stored.size());
    const unsigned long long content =
        ZSTD_getFrameContentSize(stored.data(), stored.size());
    if (content != h.raw_bytes ||
        ZSTD_findFrameCompressedSize(stored.data(), stored.size()) !=
            stored.size())
      throw TraceError(path_, ref.offset, "corrupted chunk (zstd frame)");
    std::size_t n =
        ZSTD_decompress(out.data(), h.raw_bytes, stored.data(), stored.size());
    if (ZSTD_isError(n) || n != h.raw_bytes)
      throw TraceError(
          path_, payload,
          std::string("corrupted chunk (zstd: ") +
              (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short frame") + ")");
  }
  for (std::size_t k = 0; k < out.size(); ++k) {
    const Event& e = out[k];
    if (!IsKnownOp(e.op) || e.align_log2 >= 48)
      throw TraceError(
          path_, payload + k * sizeof(Event),
          "corrupted event (unknown call " + std::to_string(e.op) + ")");
    if (k > 0 && e.time_ns < out[k - 1].time_ns)
      throw TraceError(path_, payload + k * sizeof(Event),
                       "corrupted event (earlier than the one before)");
  }
}

namespace {

bool IsSplit(const Event& e) {
  auto op = static_cast<Op>(e.op);
  return (op == Op::kRealloc || op == Op::kReallocarray) && e.old_ptr != 0 &&
         e.ptr != 0;
}

}  // namespace

MergedEvents::MergedEvents(const TraceFile& file) : file_(file) {
  cursors_.resize(file.threads());
  for (std::size_t i = 0; i < file.chunks().size(); ++i)
    cursors_[file.chunks()[i].header.thread].chunks.push_back(i);
  for (std::uint32_t t = 0; t < cursors_.size(); ++t) {
    TimedEvent head;
    if (Peek(t, head)) heads_.emplace(head.key_ns, t);
  }
}

bool MergedEvents::Peek(std::uint32_t thread, TimedEvent& out) {
  Cursor& c = cursors_[thread];
  if (!c.pending_acquire && c.next_event == c.events.size()) {
    if (c.next_chunk == c.chunks.size()) return false;
    const std::size_t index = c.chunks[c.next_chunk++];
    file_.ReadChunk(index, c.events);
    c.chunk_offset = file_.chunks()[index].offset;
    c.next_event = 0;
  }
  out.thread = thread;
  out.chunk_offset = c.chunk_offset;
  if (c.pending_acquire) {
    out.event = c.events[c.next_event - 1];
    out.part = Part::kAcquireHalf;
    out.key_ns = out.event.time_ns + out.event.duration_ns;
  } else {
    out.event = c.events[c.next_event];
    out.part = IsSplit(out.event) ? Part::kReleaseHalf : Part::kWhole;
    out.key_ns = out.event.time_ns;
  }
  if (out.key_ns < c.last_key) out.key_ns = c.last_key;
  return true;
}

void MergedEvents::Advance(std::uint32_t thread) {
  Cursor& c = cursors_[thread];
  if (c.pending_acquire) {
    c.pending_acquire = false;
  } else {
    const Event& e = c.events[c.next_event++];
    c.pending_acquire = IsSplit(e);
  }
}

bool MergedEvents::Next(TimedEvent& out) {
  if (heads_.empty()) return false;
  const std::uint32_t thread = heads_.top().second;
  heads_.pop();
  Peek(thread, out);
  cursors_[thread].last_key = out.key_ns;
  Advance(thread);
  TimedEvent head;
  if (Peek(thread, head)) heads_.emplace(head.key_ns, thread);
  return true;
}

}  // namespace allocmark::trace
