// liballocmark-probe.so: preloaded into every program allocmark measures,
// after the allocator (LD_PRELOAD="<allocator> <probe>"), so that the program
// itself says which object serves its malloc. It defines no allocation
// function: dlsym(RTLD_DEFAULT, "malloc") from inside the program finds the
// definition every call binds to, in the order ld.so searches (the
// executable, then the preloaded objects, then the program's dependencies),
// so an allocator linked into the executable shows as the executable.
//
// It reports to the file named by ALLOCMARK_PROBE_OUT (does nothing when the
// variable is unset), one JSON object per line, appended with one write(2)
// each so that the processes of a tree can share the file:
//   {"event":"start","pid":P,"ppid":Q,"exe":"/usr/bin/python3.11",
//    "malloc":"/usr/lib/x86_64-linux-gnu/libc.so.6"}
// from its constructor, before main() (a program that lives a millisecond
// reports too; every image a process execs reports again under the same pid),
// and from its destructor, when the process exits through exit():
//   {"event":"exit","pid":P,"peak_rss_bytes":N,
//    "stats":{"glibc.arena_bytes":135168,...}}
// the image's peak resident set (VmHWM) and the allocator's own counts, read
// only through an API that lives in the object serving malloc (the readers of
// allocators/allocator_readers.cc, in C: the probe must not bring a C++ runtime
// into the program it measures). workloads/support/probe_report.h reads the
// file.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kLineBytes = 4 * PATH_MAX + 1024 };

// A line being written: text and its length, never past the buffer.
struct Line {
  char text[kLineBytes];
  size_t used;
};

static void Append(struct Line* line, const char* text) {
  size_t n = strlen(text);
  if (line->used + n >= sizeof(line->text))
    n = sizeof(line->text) - 1 - line->used;
  memcpy(line->text + line->used, text, n);
  line->used += n;
  line->text[line->used] = '\0';
}

static void AppendNumber(struct Line* line, const char* format,
                         unsigned long long value) {
  char number[32];
  snprintf(number, sizeof(number), format, value);
  Append(line, number);
}

// A JSON string: quotes, backslashes and control bytes escaped.
static void AppendString(struct Line* line, const char* text) {
  Append(line, "\"");
  for (const unsigned char* c = (const unsigned char*)text; *c != '\0'; ++c) {
    char escaped[8];
    if (*c == '"' || *c == '\\') {
      escaped[0] = '\\';
      escaped[1] = (char)*c;
      escaped[2] = '\0';
    } else if (*c < 0x20) {
      snprintf(escaped, sizeof(escaped), "\\u%04x", *c);
    } else {
      escaped[0] = (char)*c;
      escaped[1] = '\0';
    }
    Append(line, escaped);
  }
  Append(line, "\"");
}

static void Emit(struct Line* line) {
  const char* path = getenv("ALLOCMARK_PROBE_OUT");
  if (path == NULL || *path == '\0') return;
  Append(line, "\n");
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  ssize_t ignored = write(fd, line->text, line->used);
  (void)ignored;
  close(fd);
}

// Whether `address` lies in the main program: the first object
// dl_iterate_phdr visits, whose PT_LOAD segments are compared.
struct Lookup {
  uintptr_t address;
  int in_main;
};

static int InFirstObject(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  struct Lookup* lookup = (struct Lookup*)data;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)* segment = &info->dlpi_phdr[i];
    if (segment->p_type != PT_LOAD) continue;
    uintptr_t start = info->dlpi_addr + segment->p_vaddr;
    if (lookup->address >= start && lookup->address < start + segment->p_memsz)
      lookup->in_main = 1;
  }
  return 1;  // the first object only
}

// The real path of the object that defines `address`; "" when none does.
static void ObjectOf(const void* address, char* path, size_t size) {
  path[0] = '\0';
  Dl_info info;
  if (address == NULL || dladdr(address, &info) == 0) return;
  struct Lookup lookup = {(uintptr_t)address, 0};
  dl_iterate_phdr(InFirstObject, &lookup);
  // The executable's dli_fname is its argv[0] at best: /proc/self/exe names
  // it exactly.
  if (lookup.in_main || info.dli_fname == NULL) {
    ssize_t n = readlink("/proc/self/exe", path, size - 1);
    path[n > 0 ? n : 0] = '\0';
    return;
  }
  char resolved[PATH_MAX];
  const char* name =
      realpath(info.dli_fname, resolved) != NULL ? resolved : info.dli_fname;
  snprintf(path, size, "%s", name);
}

// Where `symbol` is defined for the program, in ld.so's global search order:
// what dlsym(RTLD_DEFAULT) finds, unless that is a canonical PLT entry of the
// executable (an executable that takes the function's address without
// defining it exports its PLT stub under the name), in which case the first
// object after the executable that defines it.
static void* Definition(const char* symbol) {
  void* found = dlsym(RTLD_DEFAULT, symbol);
  Dl_info info;
  const ElfW(Sym)* entry = NULL;
  if (found == NULL ||
      dladdr1(found, &info, (void**)&entry, RTLD_DL_SYMENT) == 0)
    return found;
  struct Lookup lookup = {(uintptr_t)found, 0};
  dl_iterate_phdr(InFirstObject, &lookup);
  if (!lookup.in_main ||
      (info.dli_sname != NULL && strcmp(info.dli_sname, symbol) == 0 &&
       entry != NULL && entry->st_shndx != SHN_UNDEF))
    return found;
  struct link_map* map = NULL;
  void* self = dlopen(NULL, RTLD_LAZY | RTLD_NOLOAD);
  if (self == NULL || dlinfo(self, RTLD_DI_LINKMAP, &map) != 0 || map == NULL)
    return found;
  for (map = map->l_next; map != NULL; map = map->l_next) {
    if (map->l_name == NULL || map->l_name[0] == '\0') continue;
    void* handle = dlopen(map->l_name, RTLD_LAZY | RTLD_NOLOAD);
    if (handle == NULL) continue;
    void* candidate = dlsym(handle, symbol);
    dlclose(handle);
    Dl_info where;
    if (candidate != NULL && dladdr(candidate, &where) != 0 &&
        where.dli_fname != NULL && strcmp(where.dli_fname, map->l_name) == 0)
      return candidate;
  }
  return found;
}

static int SameObject(const char* symbol, const char* malloc_object) {
  char object[PATH_MAX];
  ObjectOf(Definition(symbol), object, sizeof(object));
  return object[0] != '\0' && strcmp(object, malloc_object) == 0;
}

static void AppendStat(struct Line* line, int* first, const char* name,
                       unsigned long long value) {
  Append(line, *first ? "" : ",");
  *first = 0;
  AppendString(line, name);
  AppendNumber(line, ":%llu", value);
}

typedef int (*Mallctl)(const char*, void*, size_t*, void*, size_t);
typedef int (*GetNumericProperty)(const char*, size_t*);
typedef void (*ProcessInfo)(size_t*, size_t*, size_t*, size_t*, size_t*,
                            size_t*, size_t*, size_t*);

static void AppendStats(struct Line* line, const char* malloc_object) {
  int first = 1;
  if (SameObject("mallctl", malloc_object)) {
    Mallctl mallctl = (Mallctl)dlsym(RTLD_DEFAULT, "mallctl");
    uint64_t epoch = 1;
    size_t size = sizeof(epoch);
    mallctl("epoch", &epoch, &size, &epoch, size);
    size_t allocated = 0;
    size = sizeof(allocated);
    if (mallctl("stats.allocated", &allocated, &size, NULL, 0) == 0)
      AppendStat(line, &first, "jemalloc.allocated_bytes", allocated);
    // Calls served since start, every arena together (MALLCTL_ARENAS_ALL).
    uint64_t calls = 0;
    int have_calls = 0;
    const char* keys[] = {"stats.arenas.4096.small.nmalloc",
                          "stats.arenas.4096.large.nmalloc"};
    for (int i = 0; i < 2; ++i) {
      uint64_t n = 0;
      size = sizeof(n);
      if (mallctl(keys[i], &n, &size, NULL, 0) == 0) {
        calls += n;
        have_calls = 1;
      }
    }
    if (have_calls) AppendStat(line, &first, "jemalloc.malloc_calls", calls);
  } else if (SameObject("MallocExtension_GetNumericProperty", malloc_object)) {
    GetNumericProperty get = (GetNumericProperty)dlsym(
        RTLD_DEFAULT, "MallocExtension_GetNumericProperty");
    const char* keys[] = {"generic.current_allocated_bytes",
                          "generic.heap_size"};
    for (int i = 0; i < 2; ++i) {
      size_t value = 0;
      char name[96];
      snprintf(name, sizeof(name), "tcmalloc.%s", keys[i]);
      if (get(keys[i], &value) != 0) AppendStat(line, &first, name, value);
    }
  } else if (SameObject("mi_process_info", malloc_object)) {
    ProcessInfo info = (ProcessInfo)dlsym(RTLD_DEFAULT, "mi_process_info");
    size_t elapsed, user, sys, rss, peak_rss, commit, peak_commit, faults;
    info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit,
         &faults);
    AppendStat(line, &first, "mimalloc.peak_commit_bytes", peak_commit);
  } else if (SameObject("mallinfo2", malloc_object)) {
    // glibc's, or another allocator's that keeps glibc's interface (Scudo).
    const char* file = strrchr(malloc_object, '/');
    const int glibc = file != NULL && strncmp(file, "/libc.so", 8) == 0;
    struct mallinfo2 info = mallinfo2();
    AppendStat(line, &first,
               glibc ? "glibc.arena_bytes" : "mallinfo.arena_bytes",
               info.arena);
    AppendStat(line, &first,
               glibc ? "glibc.mmapped_bytes" : "mallinfo.mmapped_bytes",
               info.hblkhd);
    AppendStat(line, &first,
               glibc ? "glibc.in_use_bytes" : "mallinfo.in_use_bytes",
               info.uordblks);
  }
}

// VmHWM of /proc/self/status in bytes, 0 when unreadable: the peak resident
// set of this image alone. (wait4's ru_maxrss also counts the pages the
// process had between fork and exec, a copy of its parent's.)
static unsigned long long PeakResidentBytes(void) {
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char status[4096];
  ssize_t n = read(fd, status, sizeof(status) - 1);
  close(fd);
  if (n <= 0) return 0;
  status[n] = '\0';
  const char* hwm = strstr(status, "\nVmHWM:");
  return hwm != NULL ? strtoull(hwm + 8, NULL, 10) * 1024 : 0;
}

static char malloc_object[PATH_MAX];

__attribute__((constructor)) static void ReportStart(void) {
  if (getenv("ALLOCMARK_PROBE_OUT") == NULL) return;
  ObjectOf(Definition("malloc"), malloc_object, sizeof(malloc_object));
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  exe[n > 0 ? n : 0] = '\0';
  static struct Line line;
  line.used = 0;
  Append(&line, "{\"event\":\"start\"");
  AppendNumber(&line, ",\"pid\":%llu", (unsigned long long)getpid());
  AppendNumber(&line, ",\"ppid\":%llu", (unsigned long long)getppid());
  Append(&line, ",\"exe\":");
  AppendString(&line, exe);
  Append(&line, ",\"malloc\":");
  AppendString(&line, malloc_object);
  Append(&line, "}");
  Emit(&line);
}

__attribute__((destructor)) static void ReportExit(void) {
  if (getenv("ALLOCMARK_PROBE_OUT") == NULL || malloc_object[0] == '\0') return;
  static struct Line line;
  line.used = 0;
  Append(&line, "{\"event\":\"exit\"");
  AppendNumber(&line, ",\"pid\":%llu", (unsigned long long)getpid());
  AppendNumber(&line, ",\"peak_rss_bytes\":%llu", PeakResidentBytes());
  Append(&line, ",\"stats\":{");
  AppendStats(&line, malloc_object);
  Append(&line, "}}");
  Emit(&line);
}
