// liballocmark-record.so: preloaded by `allocmark record` in front of the
// process allocator, it records every allocation entry point of the program
// into the trace file named by $ALLOCMARK_RECORD_OUT (record/trace_format.h)
// and forwards each call to the next definition (the allocator, or glibc).
//
// - Fast path: one thread-local buffer per thread, one timestamp and one
//   40-byte store per call; no lock and no shared write. A full buffer is
//   compressed and appended by its own thread with one writev(2) to a file
//   opened O_APPEND.
// - Bootstrap: until dlsym has found the next definitions, allocations come
//   from a static buffer (dlsym itself calls calloc); frees of those blocks
//   are dropped. The recorder starts on the first call, not in a constructor,
//   so no block the program frees was allocated before recording began.
//   What the recorder itself allocates (zstd's state) runs with the thread's
//   depth raised, unrecorded, as do the calls an operator new makes to malloc.
// - Thread exit: a pthread key's destructor flushes the thread's buffer.
// - exit(): a destructor flushes the calling thread and writes the end chunk;
//   later events are flushed one by one. _exit and _Exit do the same first.
// - exec: execve, execv, execvp and execvpe flush the calling thread first,
//   and hand FILE's name to the program that replaces this one.
// - fork: the child drops the buffers it inherited and records to
//   FILE.PID, with origin "fork" in its header; so does an exec'd program
//   (the trace file exists already: origin "child").
// - Crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTERM, SIGINT, SIGHUP,
//   SIGQUIT with the default action): every buffer not being flushed at that
//   moment is written raw, then the signal is raised again.
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "record/trace_format.h"

namespace {

using allocmark::trace::ChunkHeader;
using allocmark::trace::Event;
using allocmark::trace::kMaxChunkEvents;
using allocmark::trace::Op;

// The next definitions of what the recorder wraps.
struct Next {
  void* (*malloc)(std::size_t);
  void (*free)(void*);
  void* (*calloc)(std::size_t, std::size_t);
  void* (*realloc)(void*, std::size_t);
  void* (*reallocarray)(void*, std::size_t, std::size_t);
  int (*posix_memalign)(void**, std::size_t, std::size_t);
  void* (*aligned_alloc)(std::size_t, std::size_t);
  void* (*memalign)(std::size_t, std::size_t);
  void* (*valloc)(std::size_t);
  void* (*pvalloc)(std::size_t);
  void* (*new_)(std::size_t);
  void* (*new_array)(std::size_t);
  void* (*new_nothrow)(std::size_t, const std::nothrow_t&);
  void* (*new_array_nothrow)(std::size_t, const std::nothrow_t&);
  void* (*new_aligned)(std::size_t, std::align_val_t);
  void* (*new_array_aligned)(std::size_t, std::align_val_t);
  void* (*new_aligned_nothrow)(std::size_t, std::align_val_t,
                               const std::nothrow_t&);
  void* (*new_array_aligned_nothrow)(std::size_t, std::align_val_t,
                                     const std::nothrow_t&);
  int (*execve)(const char*, char* const[], char* const[]);
  int (*execv)(const char*, char* const[]);
  int (*execvp)(const char*, char* const[]);
  int (*execvpe)(const char*, char* const[], char* const[]);
  void (*exit_)(int);
  void (*exit_upper)(int);
};
Next next;

// 0: not resolved, 1: resolving (the bootstrap buffer serves), 2: resolved.
std::atomic<int> resolve_state{0};
// 0: not started, 1: starting, 2: recording, 3: disabled (no output).
std::atomic<int> record_state{0};

alignas(64) char boot_buffer[1 << 16];
std::atomic<std::size_t> boot_used{0};

bool IsBoot(const void* p) {
  return p >= boot_buffer && p < boot_buffer + sizeof(boot_buffer);
}

void* BootAlloc(std::size_t size) {
  std::size_t rounded = (size + 15) & ~std::size_t{15};
  std::size_t at = boot_used.fetch_add(rounded);
  if (at + rounded > sizeof(boot_buffer)) return nullptr;
  return boot_buffer + at;
}

template <class F>
void Find(F& slot, const char* name) {
  slot = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

void Resolve() {
  // A call while resolving (dlsym's own calloc, on this thread or another)
  // is served from the bootstrap buffer: no waiting.
  int expected = 0;
  if (!resolve_state.compare_exchange_strong(expected, 1)) return;
  Find(next.malloc, "malloc");
  Find(next.free, "free");
  Find(next.calloc, "calloc");
  Find(next.realloc, "realloc");
  Find(next.reallocarray, "reallocarray");
  Find(next.posix_memalign, "posix_memalign");
  Find(next.aligned_alloc, "aligned_alloc");
  Find(next.memalign, "memalign");
  Find(next.valloc, "valloc");
  Find(next.pvalloc, "pvalloc");
  Find(next.new_, "_Znwm");
  Find(next.new_array, "_Znam");
  Find(next.new_nothrow, "_ZnwmRKSt9nothrow_t");
  Find(next.new_array_nothrow, "_ZnamRKSt9nothrow_t");
  Find(next.new_aligned, "_ZnwmSt11align_val_t");
  Find(next.new_array_aligned, "_ZnamSt11align_val_t");
  Find(next.new_aligned_nothrow, "_ZnwmSt11align_val_tRKSt9nothrow_t");
  Find(next.new_array_aligned_nothrow, "_ZnamSt11align_val_tRKSt9nothrow_t");
  Find(next.execve, "execve");
  Find(next.execv, "execv");
  Find(next.execvp, "execvp");
  Find(next.execvpe, "execvpe");
  Find(next.exit_, "_exit");
  Find(next.exit_upper, "_Exit");
  resolve_state.store(2);
}

inline bool Resolved() {
  if (resolve_state.load(std::memory_order_acquire) == 2) [[likely]]
    return true;
  Resolve();
  return resolve_state.load() == 2;
}

// One thread's buffer, in memory of its own (mmap), never freed: a thread
// that exits hands it back for the next thread to start.
struct ThreadBuffer {
  Event events[kMaxChunkEvents];
  std::atomic<std::uint32_t> count{0};
  std::atomic<bool> flushing{false};
  std::uint32_t thread = 0;
  bool in_use = false;
  ZSTD_CCtx* cctx = nullptr;
  char* out = nullptr;
  std::size_t out_capacity = 0;
  ThreadBuffer* next_buffer = nullptr;
};

// Raised while the recorder works or a wrapper forwards: nested calls are
// forwarded unrecorded.
thread_local int depth __attribute__((tls_model("initial-exec"))) = 0;
thread_local ThreadBuffer* buffer __attribute__((tls_model("initial-exec"))) =
    nullptr;

struct DepthGuard {
  DepthGuard() { ++depth; }
  ~DepthGuard() { --depth; }
};

int trace_fd = -1;
char trace_path[4096];
std::uint64_t clock_base_ns = 0;
std::atomic<std::uint32_t> next_thread{0};
std::atomic<std::uint64_t> events_written{0};
std::atomic<std::uint64_t> events_dropped{0};
std::atomic<std::uint64_t> forks{0};
std::atomic<bool> ended{false};  // exit(): flush every event at once
pthread_key_t exit_key;
// Guards the list of buffers (thread start and exit only).
std::atomic_flag buffers_lock = ATOMIC_FLAG_INIT;
ThreadBuffer* buffers = nullptr;

void LockBuffers() {
  while (buffers_lock.test_and_set(std::memory_order_acquire)) {
  }
}
void UnlockBuffers() { buffers_lock.clear(std::memory_order_release); }

std::uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

bool WriteAll(const iovec* parts, int count) {
  std::size_t total = 0;
  for (int i = 0; i < count; ++i) total += parts[i].iov_len;
  ssize_t n;
  do {
    n = writev(trace_fd, parts, count);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(total);
}

// Appends one chunk. Async-signal-safe for raw and end chunks.
bool WriteChunk(std::uint16_t type, std::uint32_t thread, std::uint32_t events,
                const void* raw, std::uint32_t raw_bytes, const void* stored,
                std::uint32_t stored_bytes) {
  ChunkHeader h{};
  std::memcpy(h.magic, allocmark::trace::kChunkMagic, 4);
  h.type = type;
  h.thread = thread;
  h.events = events;
  h.raw_bytes = raw_bytes;
  h.stored_bytes = stored_bytes;
  h.checksum = type == allocmark::trace::kChunkZstd
                   ? 0
                   : allocmark::trace::WordChecksum(raw, raw_bytes);
  iovec parts[2] = {{&h, sizeof(h)}, {const_cast<void*>(stored), stored_bytes}};
  return WriteAll(parts, 2);
}

// Writes the buffer's events (compressed unless `raw`) and empties it. Runs
// on the buffer's own thread, or in a handler that skips a flushing buffer.
void Flush(ThreadBuffer* b, bool raw) {
  std::uint32_t n = b->count.load(std::memory_order_acquire);
  if (n == 0 || trace_fd < 0) return;
  b->flushing.store(true, std::memory_order_release);
  const auto raw_bytes = static_cast<std::uint32_t>(n * sizeof(Event));
  bool ok = false;
  if (!raw) {
    if (b->cctx == nullptr) {
      b->cctx = ZSTD_createCCtx();
      if (b->cctx != nullptr) {
        ZSTD_CCtx_setParameter(b->cctx, ZSTD_c_compressionLevel, 1);
        ZSTD_CCtx_setParameter(b->cctx, ZSTD_c_checksumFlag, 1);
      }
    }
    if (b->out == nullptr) {
      b->out_capacity = ZSTD_compressBound(sizeof(b->events));
      void* m = mmap(nullptr, b->out_capacity, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      b->out = m == MAP_FAILED ? nullptr : static_cast<char*>(m);
    }
    if (b->cctx != nullptr && b->out != nullptr) {
      std::size_t stored = ZSTD_compress2(b->cctx, b->out, b->out_capacity,
                                          b->events, raw_bytes);
      if (!ZSTD_isError(stored))
        ok = WriteChunk(allocmark::trace::kChunkZstd, b->thread, n, b->events,
                        raw_bytes, b->out, static_cast<std::uint32_t>(stored));
      raw = ZSTD_isError(stored);
    } else {
      raw = true;
    }
  }
  if (raw)
    ok = WriteChunk(allocmark::trace::kChunkRaw, b->thread, n, b->events,
                    raw_bytes, b->events, raw_bytes);
  (ok ? events_written : events_dropped).fetch_add(n);
  b->count.store(0, std::memory_order_release);
  b->flushing.store(false, std::memory_order_release);
}

void ReleaseBuffer(void* arg) {
  auto* b = static_cast<ThreadBuffer*>(arg);
  DepthGuard guard;
  Flush(b, false);
  buffer = nullptr;
  LockBuffers();
  b->in_use = false;
  UnlockBuffers();
}

ThreadBuffer* AcquireBuffer() {
  LockBuffers();
  ThreadBuffer* b = buffers;
  while (b != nullptr && b->in_use) b = b->next_buffer;
  if (b == nullptr) {
    void* m = mmap(nullptr, sizeof(ThreadBuffer), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      UnlockBuffers();
      return nullptr;
    }
    b = new (m) ThreadBuffer;
    b->next_buffer = buffers;
    buffers = b;
  }
  b->in_use = true;
  UnlockBuffers();
  b->thread = next_thread.fetch_add(1);
  buffer = b;
  pthread_setspecific(exit_key, b);
  return b;
}

// Appends `s` to the JSON text at out[*at], escaped, within `capacity`.
void JsonString(char* out, std::size_t capacity, std::size_t* at, const char* s,
                std::size_t length) {
  auto put = [&](char c) {
    if (*at + 1 < capacity) out[(*at)++] = c;
  };
  put('"');
  for (std::size_t i = 0; i < length; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      put('\\');
      put(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\u%04x", c);
      for (int k = 0; hex[k] != '\0'; ++k) put(hex[k]);
    } else {
      put(static_cast<char>(c));
    }
  }
  put('"');
}

void JsonRaw(char* out, std::size_t capacity, std::size_t* at, const char* s) {
  for (; *s != '\0' && *at + 1 < capacity; ++s) out[(*at)++] = *s;
}

// `seconds` since the epoch as "YYYY-MM-DDTHH:MM:SSZ", by arithmetic (days
// to the civil date): gmtime_r would initialise the C library's time zone,
// whose strdup'ed name the program frees when it calls tzset(), and the
// trace would show a free of a block it never saw allocated.
void FormatUtc(time_t seconds, char* out, std::size_t capacity) {
  const std::int64_t t = seconds;
  std::int64_t days = t / 86400;
  std::int64_t rest = t % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;  // day of the 400-year era
  const std::int64_t yoe =
      (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;  // month from March
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  std::snprintf(out, capacity, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day),
                static_cast<long long>(rest / 3600),
                static_cast<long long>(rest / 60 % 60),
                static_cast<long long>(rest % 60));
}

// Opens FILE, or FILE.PID[.N] when FILE exists (a forked or exec'd process),
// and writes the header.
bool OpenTrace(const char* base, const char* origin) {
  static char header[1 << 16];
  std::snprintf(trace_path, sizeof(trace_path), "%s", base);
  trace_fd = open(trace_path,
                  O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  for (int i = 0; trace_fd < 0 && errno == EEXIST && i < 100; ++i) {
    if (i == 0)
      std::snprintf(trace_path, sizeof(trace_path), "%s.%d", base, getpid());
    else
      std::snprintf(trace_path, sizeof(trace_path), "%s.%d.%d", base, getpid(),
                    i);
    if (std::strcmp(origin, "start") == 0) origin = "child";
    trace_fd = open(trace_path,
                    O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  }
  if (trace_fd < 0) return false;
  std::size_t at = 0;
  const std::size_t cap = sizeof(header);
  JsonRaw(header, cap, &at, "{\"command\":[");
  static char cmdline[1 << 15];
  int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? 0 : read(fd, cmdline, sizeof(cmdline) - 1);
  if (fd >= 0) close(fd);
  if (n < 0) n = 0;
  bool first = true;
  for (ssize_t i = 0; i < n;) {
    std::size_t len = std::strlen(cmdline + i);
    if (!first) JsonRaw(header, cap, &at, ",");
    JsonString(header, cap, &at, cmdline + i, len);
    first = false;
    i += static_cast<ssize_t>(len) + 1;
  }
  JsonRaw(header, cap, &at, "],\"allocator\":");
  const char* allocator = getenv("ALLOCMARK_RECORD_ALLOCATOR");
  if (allocator == nullptr) allocator = "";
  JsonString(header, cap, &at, allocator, std::strlen(allocator));
  // The object whose malloc the recorder forwards to: the allocator that
  // served the recorded calls, seen from inside the recorded process.
  Dl_info served{};
  const char* object = "";
  if (next.malloc != nullptr &&
      dladdr(reinterpret_cast<void*>(next.malloc), &served) != 0 &&
      served.dli_fname != nullptr)
    object = served.dli_fname;
  JsonRaw(header, cap, &at, ",\"malloc_object\":");
  JsonString(header, cap, &at, object, std::strlen(object));
  char field[256];
  char when[128];
  FormatUtc(time(nullptr), when, sizeof(when));
  std::snprintf(field, sizeof(field),
                ",\"start_time\":\"%s\",\"pid\":%d,\"parent_pid\":%d,"
                "\"origin\":\"%s\",\"clock\":\"monotonic\"}",
                when, getpid(), getppid(), origin);
  JsonRaw(header, cap, &at, field);
  char preamble[allocmark::trace::kFilePreambleBytes];
  std::memcpy(preamble, allocmark::trace::kFileMagic, 8);
  const std::uint32_t version = allocmark::trace::kTraceVersion;
  const auto json_bytes = static_cast<std::uint32_t>(at);
  std::memcpy(preamble + 8, &version, 4);
  std::memcpy(preamble + 12, &json_bytes, 4);
  iovec parts[2] = {{preamble, sizeof(preamble)}, {header, at}};
  return WriteAll(parts, 2);
}

void WriteEnd() {
  allocmark::trace::TraceEnd end{};
  end.events = events_written.load();
  end.threads = next_thread.load();
  end.dropped = events_dropped.load();
  end.forks = forks.load();
  WriteChunk(allocmark::trace::kChunkEnd, 0, 0, &end, sizeof(end), &end,
             sizeof(end));
}

// Every buffer not being flushed, written raw: for a handler, where the
// threads are stopped or about to be.
void FlushAllRaw() {
  for (ThreadBuffer* b = buffers; b != nullptr; b = b->next_buffer)
    if (b->in_use && !b->flushing.load(std::memory_order_acquire))
      Flush(b, true);
}

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT,
                                 SIGTERM, SIGINT, SIGHUP, SIGQUIT};

void OnFatalSignal(int signal) {
  ++depth;
  FlushAllRaw();
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(signal, &dfl, nullptr);
  raise(signal);
}

void AtForkPrepare() { LockBuffers(); }
void AtForkParent() {
  UnlockBuffers();
  forks.fetch_add(1);
}
void AtForkChild() {
  // The inherited buffers hold the parent's events: the parent writes them.
  for (ThreadBuffer* b = buffers; b != nullptr; b = b->next_buffer) {
    b->count.store(0);
    b->flushing.store(false);
    b->in_use = b == buffer;
  }
  UnlockBuffers();
  next_thread.store(1);
  if (buffer != nullptr) buffer->thread = 0;
  events_written.store(0);
  events_dropped.store(0);
  forks.store(0);
  if (trace_fd >= 0) close(trace_fd);
  trace_fd = -1;
  DepthGuard guard;
  const char* base = getenv("ALLOCMARK_RECORD_OUT");
  if (base == nullptr || !OpenTrace(base, "fork")) record_state.store(3);
}

void Start() {
  int expected = 0;
  if (!record_state.compare_exchange_strong(expected, 1)) {
    while (record_state.load() == 1) {
    }
    return;
  }
  DepthGuard guard;
  clock_base_ns = MonotonicNs();
  const char* base = getenv("ALLOCMARK_RECORD_OUT");
  if (base == nullptr || base[0] == '\0' || !OpenTrace(base, "start") ||
      pthread_key_create(&exit_key, ReleaseBuffer) != 0) {
    record_state.store(3);
    return;
  }
  pthread_atfork(AtForkPrepare, AtForkParent, AtForkChild);
  for (int signal : kFatalSignals) {
    struct sigaction old {};
    sigaction(signal, nullptr, &old);
    if (old.sa_handler != SIG_DFL) continue;  // the program's own stays
    struct sigaction sa {};
    sa.sa_handler = OnFatalSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(signal, &sa, nullptr);
  }
  record_state.store(2);
}

// True when this call is to be recorded: not nested, recorder running.
inline bool Recording() {
  if (depth != 0) return false;
  int state = record_state.load(std::memory_order_acquire);
  if (state == 2) [[likely]]
    return true;
  if (state == 0 || state == 1) Start();
  return record_state.load() == 2;
}

inline std::uint8_t Log2(std::size_t align) {
  return align == 0 ? 0 : static_cast<std::uint8_t>(__builtin_ctzll(align));
}

void Record(Op op, const void* p, const void* old, std::size_t size,
            std::size_t align, std::uint64_t start_ns, std::uint64_t end_ns) {
  ThreadBuffer* b = buffer;
  if (b == nullptr) [[unlikely]] {
    b = AcquireBuffer();
    if (b == nullptr) {
      events_dropped.fetch_add(1);
      return;
    }
  }
  std::uint32_t n = b->count.load(std::memory_order_relaxed);
  Event& e = b->events[n];
  e.time_ns = start_ns - clock_base_ns;
  e.ptr = reinterpret_cast<std::uintptr_t>(p);
  e.old_ptr = reinterpret_cast<std::uintptr_t>(old);
  e.size = size;
  e.op = static_cast<std::uint8_t>(op);
  e.align_log2 = Log2(align);
  e.reserved = 0;
  std::uint64_t d = end_ns > start_ns ? end_ns - start_ns : 0;
  e.duration_ns =
      d > 0xffffffffULL ? 0xffffffffU : static_cast<std::uint32_t>(d);
  b->count.store(n + 1, std::memory_order_release);
  if (n + 1 == kMaxChunkEvents || ended.load(std::memory_order_relaxed))
      [[unlikely]] {
    Flush(b, ended.load());
    if (ended.load()) WriteEnd();
  }
}

// Records an event that returns a block: stamped after the call.
inline void* Acquired(Op op, void* p, std::size_t size, std::size_t align) {
  std::uint64_t now = MonotonicNs();
  Record(op, p, nullptr, size, align, now, now);
  return p;
}

// Records an event that releases a block: stamped before the call.
inline void Releasing(Op op, void* p, std::size_t size, std::size_t align) {
  std::uint64_t now = MonotonicNs();
  Record(op, p, nullptr, size, align, now, now);
}

__attribute__((destructor)) void AtExit() {
  if (record_state.load() != 2) return;
  DepthGuard guard;
  if (buffer != nullptr) Flush(buffer, false);
  WriteEnd();
  ended.store(true);
}

void BeforeProcessEnds() {
  if (record_state.load() != 2 || ended.load()) return;
  DepthGuard guard;
  if (buffer != nullptr) Flush(buffer, false);
  WriteEnd();
  ended.store(true);
}

// The program about to replace this one takes over the trace's name: a
// process that owns FILE (the one `record` started) renames its stream to
// FILE.PID.N, so that a wrapper that execs the real program (env, a shell's
// exec, a version manager's shim) leaves FILE to the program.
void BeforeExec() {
  if (record_state.load() != 2) return;
  DepthGuard guard;
  if (buffer != nullptr) Flush(buffer, false);
  const char* base = getenv("ALLOCMARK_RECORD_OUT");
  if (base == nullptr || std::strcmp(base, trace_path) != 0) return;
  char aside[sizeof(trace_path)];
  for (int i = 1; i < 1000; ++i) {
    std::snprintf(aside, sizeof(aside), "%s.%d.%d", base, getpid(), i);
    if (link(trace_path, aside) == 0) {
      unlink(trace_path);
      std::memcpy(trace_path, aside, sizeof(aside));
      return;
    }
    if (errno != EEXIST) return;
  }
}

}  // namespace

extern "C" {

void* malloc(std::size_t size) {
  if (!Resolved()) return BootAlloc(size);
  if (!Recording()) return next.malloc(size);
  DepthGuard guard;
  return Acquired(Op::kMalloc, next.malloc(size), size, 0);
}

void free(void* p) {
  if (IsBoot(p)) return;
  if (!Resolved()) return;
  if (p == nullptr || !Recording()) return next.free(p);
  DepthGuard guard;
  Releasing(Op::kFree, p, 0, 0);
  next.free(p);
}

void* calloc(std::size_t count, std::size_t size) {
  if (resolve_state.load(std::memory_order_acquire) != 2) {
    if (!Resolved()) {
      std::size_t total;
      if (__builtin_mul_overflow(count, size, &total)) return nullptr;
      return BootAlloc(total);  // static memory: already zero
    }
  }
  if (!Recording()) return next.calloc(count, size);
  DepthGuard guard;
  std::size_t total = 0;
  __builtin_mul_overflow(count, size, &total);
  return Acquired(Op::kCalloc, next.calloc(count, size), total, 0);
}

void* realloc(void* p, std::size_t size) {
  if (IsBoot(p)) {
    void* q = malloc(size);
    if (q != nullptr) {
      std::size_t room = static_cast<std::size_t>(
          boot_buffer + sizeof(boot_buffer) - static_cast<char*>(p));
      std::memcpy(q, p, size < room ? size : room);
    }
    return q;
  }
  if (!Resolved()) return BootAlloc(size);
  if (!Recording()) return next.realloc(p, size);
  DepthGuard guard;
  std::uint64_t start = MonotonicNs();
  void* q = next.realloc(p, size);
  Record(Op::kRealloc, q, p, size, 0, start, MonotonicNs());
  return q;
}

void* reallocarray(void* p, std::size_t count, std::size_t size) {
  if (!Resolved() || IsBoot(p)) {
    std::size_t total;
    if (__builtin_mul_overflow(count, size, &total)) return nullptr;
    return realloc(p, total);
  }
  if (!Recording()) return next.reallocarray(p, count, size);
  DepthGuard guard;
  std::size_t total = 0;
  __builtin_mul_overflow(count, size, &total);
  std::uint64_t start = MonotonicNs();
  void* q = next.reallocarray(p, count, size);
  Record(Op::kReallocarray, q, p, total, 0, start, MonotonicNs());
  return q;
}

int posix_memalign(void** out, std::size_t align, std::size_t size) {
  if (!Resolved()) return ENOMEM;
  if (!Recording()) return next.posix_memalign(out, align, size);
  DepthGuard guard;
  int rc = next.posix_memalign(out, align, size);
  Acquired(Op::kPosixMemalign, rc == 0 ? *out : nullptr, size, align);
  return rc;
}

void* aligned_alloc(std::size_t align, std::size_t size) {
  if (!Resolved()) return nullptr;
  if (!Recording()) return next.aligned_alloc(align, size);
  DepthGuard guard;
  return Acquired(Op::kAlignedAlloc, next.aligned_alloc(align, size), size,
                  align);
}

void* memalign(std::size_t align, std::size_t size) {
  if (!Resolved()) return nullptr;
  if (!Recording()) return next.memalign(align, size);
  DepthGuard guard;
  return Acquired(Op::kMemalign, next.memalign(align, size), size, align);
}

void* valloc(std::size_t size) {
  if (!Resolved()) return nullptr;
  if (!Recording()) return next.valloc(size);
  DepthGuard guard;
  return Acquired(Op::kValloc, next.valloc(size), size, 0);
}

void* pvalloc(std::size_t size) {
  if (!Resolved()) return nullptr;
  if (!Recording()) return next.pvalloc(size);
  DepthGuard guard;
  return Acquired(Op::kPvalloc, next.pvalloc(size), size, 0);
}

int execve(const char* path, char* const argv[], char* const envp[]) {
  BeforeExec();
  if (!Resolved() || next.execve == nullptr) return ENOSYS;
  return next.execve(path, argv, envp);
}
int execv(const char* path, char* const argv[]) {
  BeforeExec();
  if (!Resolved() || next.execv == nullptr) return ENOSYS;
  return next.execv(path, argv);
}
int execvp(const char* file, char* const argv[]) {
  BeforeExec();
  if (!Resolved() || next.execvp == nullptr) return ENOSYS;
  return next.execvp(file, argv);
}
int execvpe(const char* file, char* const argv[], char* const envp[]) {
  BeforeExec();
  if (!Resolved() || next.execvpe == nullptr) return ENOSYS;
  return next.execvpe(file, argv, envp);
}

[[noreturn]] void _exit(int status) {
  BeforeProcessEnds();
  if (Resolved() && next.exit_ != nullptr) next.exit_(status);
  for (;;) syscall(SYS_exit_group, status);
}

[[noreturn]] void _Exit(int status) {
  BeforeProcessEnds();
  if (Resolved() && next.exit_upper != nullptr) next.exit_upper(status);
  for (;;) syscall(SYS_exit_group, status);
}

}  // extern "C"

// C++'s operators: each forwards to the next definition (libstdc++'s, or an
// allocator's own), whose call to malloc runs unrecorded at raised depth.
namespace {

template <class F, class... A>
void* NewVia(F f, std::size_t size, A... args) {
  if (f != nullptr) return f(size, args...);
  void* p = next.malloc(size == 0 ? 1 : size);
  if (p == nullptr) std::abort();
  return p;
}

template <class F, class... A>
void* New(Op op, F Next::*member, std::size_t size, std::size_t align,
          A... args) {
  if (!Resolved()) return BootAlloc(size);
  if (!Recording()) return NewVia(next.*member, size, args...);
  // Built without exceptions: a bad_alloc from the next operator passes
  // through this frame and leaves the depth raised, so the thread records
  // no more (a program out of memory).
  ++depth;
  void* p = NewVia(next.*member, size, args...);
  Acquired(op, p, size, align);
  --depth;
  return p;
}

void Delete(Op op, void* p, std::size_t size, std::size_t align) {
  if (p == nullptr || IsBoot(p) || !Resolved()) return;
  // Every definition of operator delete that glibc-compatible allocators
  // ship releases through free: the recorder calls free itself, so that a
  // library without the sized or aligned forms still works.
  if (!Recording()) return next.free(p);
  DepthGuard guard;
  Releasing(op, p, size, align);
  next.free(p);
}

auto Align(std::align_val_t a) { return static_cast<std::size_t>(a); }

}  // namespace

void* operator new(std::size_t n) { return New(Op::kNew, &Next::new_, n, 0); }
void* operator new[](std::size_t n) {
  return New(Op::kNewArray, &Next::new_array, n, 0);
}
void* operator new(std::size_t n, const std::nothrow_t& t) noexcept {
  return New(Op::kNew, &Next::new_nothrow, n, 0, t);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return New(Op::kNewArray, &Next::new_array_nothrow, n, 0, t);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return New(Op::kNewAligned, &Next::new_aligned, n, Align(a), a);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return New(Op::kNewArrayAligned, &Next::new_array_aligned, n, Align(a), a);
}
void* operator new(std::size_t n, std::align_val_t a,
                   const std::nothrow_t& t) noexcept {
  return New(Op::kNewAligned, &Next::new_aligned_nothrow, n, Align(a), a, t);
}
void* operator new[](std::size_t n, std::align_val_t a,
                     const std::nothrow_t& t) noexcept {
  return New(Op::kNewArrayAligned, &Next::new_array_aligned_nothrow, n,
             Align(a), a, t);
}

void operator delete(void* p) noexcept { Delete(Op::kDelete, p, 0, 0); }
void operator delete[](void* p) noexcept { Delete(Op::kDeleteArray, p, 0, 0); }
void operator delete(void* p, const std::nothrow_t&) noexcept {
  Delete(Op::kDelete, p, 0, 0);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  Delete(Op::kDeleteArray, p, 0, 0);
}
void operator delete(void* p, std::size_t n) noexcept {
  Delete(Op::kDeleteSized, p, n, 0);
}
void operator delete[](void* p, std::size_t n) noexcept {
  Delete(Op::kDeleteArraySized, p, n, 0);
}
void operator delete(void* p, std::align_val_t a) noexcept {
  Delete(Op::kDeleteAligned, p, 0, Align(a));
}
void operator delete[](void* p, std::align_val_t a) noexcept {
  Delete(Op::kDeleteArrayAligned, p, 0, Align(a));
}
void operator delete(void* p, std::align_val_t a,
                     const std::nothrow_t&) noexcept {
  Delete(Op::kDeleteAligned, p, 0, Align(a));
}
void operator delete[](void* p, std::align_val_t a,
                       const std::nothrow_t&) noexcept {
  Delete(Op::kDeleteArrayAligned, p, 0, Align(a));
}
void operator delete(void* p, std::size_t n, std::align_val_t a) noexcept {
  Delete(Op::kDeleteSizedAligned, p, n, Align(a));
}
void operator delete[](void* p, std::size_t n, std::align_val_t a) noexcept {
  Delete(Op::kDeleteArraySizedAligned, p, n, Align(a));
}
