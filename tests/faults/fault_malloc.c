/* A malloc that misbehaves on purpose, for the fault tests (LD_PRELOAD).
 *
 * Built once per kind of fault (tests/faults/CMakeLists.txt defines
 * ALLOCMARK_FAULT_KIND), each library serves malloc, calloc, realloc, free
 * and the aligned allocations from glibc (__libc_malloc and friends). It is
 * armed when the process starts its first thread (allocmark-child starts its
 * RSS sampler just before the timed region, and `allocmark-child probe`
 * starts none, so the probe always passes), or at once with
 * ALLOCMARK_FAULT_ARM=start. Once armed and ALLOCMARK_FAULT_AFTER allocation
 * calls later (default 1000, fewer than any smoke-profile workload makes on
 * the malloc heap), it does the wrong thing ALLOCMARK_FAULT_TIMES times
 * (default 1):
 *
 *   segv     dereferences a null pointer (the child dies of SIGSEGV)
 *   abort    calls abort() (SIGABRT)
 *   null     returns NULL from malloc (an allocation that fails)
 *   overlap  returns the block it handed out last, which is still live: two
 *            live blocks share memory
 *   corrupt  flips a byte of the block it handed out last, which is still
 *            live: memory of another block changes under the program
 *            (these two only while the first thread runs, which in
 *            allocmark-child is the timed region: see FirstThread)
 *   hang     never returns (the driver's time-out must end it)
 *   balloon  touches and keeps ALLOCMARK_FAULT_BALLOON_MIB MiB (default 512)
 *            before serving the call (the driver's memory limit must end it)
 *
 * A workload that checks its blocks reports null, overlap and corrupt as a
 * failed cell ("returned NULL", "was changed while live"); the driver
 * reports the others from how the child ended. ALLOCMARK_FAULT_REPORT=1
 * prints the number of allocation calls counted at exit, for choosing AFTER;
 * ALLOCMARK_FAULT_LOG=PATH appends the process's command line (arguments
 * separated by spaces) to PATH each time a fault fires, so that a test knows
 * which cells met a fault and which never did.
 * The library is C so that it needs no C++ runtime of its own. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ALLOCMARK_FAULT_KIND
#error "define ALLOCMARK_FAULT_KIND (see the kinds above)"
#endif

enum { kSegv, kAbort, kNull, kOverlap, kCorrupt, kHang, kBalloon };

/* glibc's own allocator, exported for exactly this kind of wrapper. */
extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t count, size_t size);
extern void* __libc_realloc(void* p, size_t size);
extern void* __libc_memalign(size_t align, size_t size);
extern void __libc_free(void* p);

static long g_after = 1000;
static int g_armed = 0; /* counting calls (atomic) */
static long g_times = 1;
static long g_balloon_mib = 512;
static int g_report = 0;
static long g_calls = 0;  /* allocation calls so far (atomic) */
static long g_faults = 0; /* faults done so far (atomic) */
/* The last block handed out (by malloc, realloc or memalign) since the library
 * was armed, while it is still live; guarded by g_last_lock (the overlap and
 * corrupt faults read and clear it). Only blocks of the armed phase are
 * victims, so the damage lands on the workload's blocks, not the start-up's. */
static void* g_last = NULL;
static pthread_mutex_t g_last_lock = PTHREAD_MUTEX_INITIALIZER;
static int* volatile g_null_pointer = NULL;
static int g_armed_at_start = 0; /* ALLOCMARK_FAULT_ARM=start */
static int g_window_closed = 0;  /* the first thread has ended (atomic) */

static long EnvLong(const char* name, long fallback) {
  const char* text = getenv(name);
  if (text == NULL || *text == '\0') return fallback;
  char* end = NULL;
  long value = strtol(text, &end, 10);
  return *end == '\0' && value >= 0 ? value : fallback;
}

__attribute__((constructor)) static void ReadConfiguration(void) {
  g_after = EnvLong("ALLOCMARK_FAULT_AFTER", g_after);
  g_times = EnvLong("ALLOCMARK_FAULT_TIMES", g_times);
  g_balloon_mib = EnvLong("ALLOCMARK_FAULT_BALLOON_MIB", g_balloon_mib);
  g_report = EnvLong("ALLOCMARK_FAULT_REPORT", 0) != 0;
  const char* arm = getenv("ALLOCMARK_FAULT_ARM");
  g_armed_at_start = arm != NULL && strcmp(arm, "start") == 0;
  g_armed = g_armed_at_start;
}

typedef int (*PthreadCreate)(pthread_t*, const pthread_attr_t*,
                             void* (*)(void*), void*);

/* The first thread's start routine and argument, for FirstThread. */
struct Start {
  void* (*start)(void*);
  void* arg;
};

/* Runs the process's first thread (allocmark-child's sampler, which lives
 * exactly as long as the timed region) and closes the window of the overlap
 * and corrupt faults when it ends: a block they damage after the workload
 * has finished would be the harness's own (its report), which no workload
 * check can read. */
static void* FirstThread(void* p) {
  struct Start s = *(struct Start*)p;
  __libc_free(p);
  void* result = s.start(s.arg);
  __atomic_store_n(&g_window_closed, 1, __ATOMIC_RELAXED);
  return result;
}

int pthread_create(pthread_t* thread, const pthread_attr_t* attr,
                   void* (*start)(void*), void* arg) {
  static PthreadCreate real = NULL;
  if (real == NULL) *(void**)&real = dlsym(RTLD_NEXT, "pthread_create");
  int first = !__atomic_exchange_n(&g_armed, 1, __ATOMIC_RELAXED);
  if (first && !g_armed_at_start) {
    struct Start* s = __libc_malloc(sizeof(struct Start));
    if (s != NULL) {
      s->start = start;
      s->arg = arg;
      int rc = real(thread, attr, FirstThread, s);
      if (rc != 0) __libc_free(s);
      return rc;
    }
  }
  return real(thread, attr, start, arg);
}

__attribute__((destructor)) static void Report(void) {
  if (!g_report) return;
  char line[96];
  int n = snprintf(line, sizeof(line),
                   "fault_malloc: %ld allocation calls, %ld faults\n",
                   __atomic_load_n(&g_calls, __ATOMIC_RELAXED),
                   __atomic_load_n(&g_faults, __ATOMIC_RELAXED));
  if (n > 0) (void)!write(STDERR_FILENO, line, (size_t)n);
}

/* Appends this process's command line to $ALLOCMARK_FAULT_LOG; allocates
 * nothing (it runs inside malloc). */
static void LogFault(void) {
  const char* path = getenv("ALLOCMARK_FAULT_LOG");
  if (path == NULL || *path == '\0') return;
  static char line[4096];
  int in = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (in < 0) return;
  ssize_t n = read(in, line, sizeof(line) - 1);
  close(in);
  if (n <= 0) return;
  for (ssize_t i = 0; i < n; ++i)
    if (line[i] == '\0' || line[i] == '\n') line[i] = ' ';
  line[n] = '\n';
  int out = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (out < 0) return;
  (void)!write(out, line, (size_t)n + 1);
  close(out);
}

/* True when this allocation call is one that misbehaves. */
static int Armed(void) {
  if (!__atomic_load_n(&g_armed, __ATOMIC_RELAXED)) return 0;
  if ((ALLOCMARK_FAULT_KIND == kOverlap || ALLOCMARK_FAULT_KIND == kCorrupt) &&
      __atomic_load_n(&g_window_closed, __ATOMIC_RELAXED))
    return 0;
  long call = __atomic_add_fetch(&g_calls, 1, __ATOMIC_RELAXED);
  if (call <= g_after) return 0;
  return __atomic_add_fetch(&g_faults, 1, __ATOMIC_RELAXED) <= g_times;
}

static void Balloon(void) {
  size_t chunk = (size_t)1 << 20;
  for (long i = 0; i < g_balloon_mib; ++i) {
    char* p = __libc_malloc(chunk);
    if (p == NULL) return;
    memset(p, 0x5a, chunk); /* touched, so resident; never freed */
  }
}

/* Does the fault of this library, if this call is armed; returns the block
 * to hand out instead of a fresh one (overlap), or NULL. *fail is set when
 * the call must return NULL. */
static void* MaybeFault(size_t size, int* fail) {
  *fail = 0;
  if (!Armed()) return NULL;
  if (ALLOCMARK_FAULT_KIND != kOverlap && ALLOCMARK_FAULT_KIND != kCorrupt)
    LogFault();
  switch (ALLOCMARK_FAULT_KIND) {
    case kSegv:
      *g_null_pointer = 1;
      break;
    case kAbort:
      abort();
    case kNull:
      *fail = 1;
      break;
    case kHang:
      for (;;) pause();
    case kBalloon:
      Balloon();
      break;
    case kOverlap:
    case kCorrupt: {
      void* handed = NULL;
      pthread_mutex_lock(&g_last_lock);
      if (g_last == NULL) {
        /* Nothing live to misuse yet: try again on a later call. */
        __atomic_sub_fetch(&g_faults, 1, __ATOMIC_RELAXED);
      } else if (ALLOCMARK_FAULT_KIND == kCorrupt) {
        ((volatile unsigned char*)g_last)[0] ^= 0x01;
        LogFault();
      } else if (malloc_usable_size(g_last) >= size) {
        handed = g_last; /* the same live block, a second time */
        LogFault();
      } else {
        __atomic_sub_fetch(&g_faults, 1, __ATOMIC_RELAXED);
      }
      pthread_mutex_unlock(&g_last_lock);
      return handed;
    }
  }
  return NULL;
}

static void Remember(void* p) {
  if (ALLOCMARK_FAULT_KIND != kOverlap && ALLOCMARK_FAULT_KIND != kCorrupt)
    return;
  if (p == NULL || !__atomic_load_n(&g_armed, __ATOMIC_RELAXED)) return;
  pthread_mutex_lock(&g_last_lock);
  g_last = p;
  pthread_mutex_unlock(&g_last_lock);
}

static void Forget(void* p) {
  if (ALLOCMARK_FAULT_KIND != kOverlap && ALLOCMARK_FAULT_KIND != kCorrupt)
    return;
  pthread_mutex_lock(&g_last_lock);
  if (g_last == p) g_last = NULL;
  pthread_mutex_unlock(&g_last_lock);
}

void* malloc(size_t size) {
  int fail = 0;
  void* p = MaybeFault(size, &fail);
  if (fail) {
    errno = ENOMEM;
    return NULL;
  }
  if (p == NULL) p = __libc_malloc(size);
  Remember(p);
  return p;
}

void free(void* p) {
  if (p == NULL) return;
  Forget(p);
  __libc_free(p);
}

/* Counted like malloc, never faulty: a NULL here would only meet the C++
 * runtime's bad_alloc, not a workload's own check. */
static void Count(void) {
  if (__atomic_load_n(&g_armed, __ATOMIC_RELAXED))
    __atomic_add_fetch(&g_calls, 1, __ATOMIC_RELAXED);
}

void* calloc(size_t count, size_t size) {
  Count();
  /* Not remembered: no workload calls calloc, but the C library does for a
   * new thread's TLS vector, which the overlap and corrupt faults must not
   * pick as their victim. */
  return __libc_calloc(count, size);
}

void* realloc(void* p, size_t size) {
  Count();
  Forget(p);
  void* q = __libc_realloc(p, size);
  Remember(q);
  return q;
}

void* memalign(size_t align, size_t size) {
  Count();
  void* p = __libc_memalign(align, size);
  Remember(p);
  return p;
}

void* aligned_alloc(size_t align, size_t size) { return memalign(align, size); }

int posix_memalign(void** out, size_t align, size_t size) {
  if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
  void* p = memalign(align, size);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}

void* valloc(size_t size) {
  return memalign((size_t)sysconf(_SC_PAGESIZE), size);
}
