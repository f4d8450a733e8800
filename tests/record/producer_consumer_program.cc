// A small program for the recorder's tests: producers allocate messages with
// operator new and a queue hands them to a consumer that deletes them, so
// every message is freed by another thread than the one that made it. It
// also calls each other entry point a known number of times, which the tests
// find again in the profile.
//
//   allocmark-record-test-program [MESSAGES_PER_PRODUCER] [crash|fork]
//
// "crash" aborts after the messages (the trace keeps what came before);
// "fork" forks a child that allocates and exits (its own stream).
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Message {
  char payload[48];
};

struct alignas(64) Padded {
  long value[16];
};

// At most this many messages wait in the queue: a producer that finds it
// full waits for the consumer, so frees are spread among the allocations on
// a machine of any load (the replay's tests reuse the slots they free).
constexpr std::size_t kMaxQueued = 64;

std::mutex mutex;
std::condition_variable ready;
std::condition_variable room;
std::deque<Message*> queue;
int producers_left = 2;

void Produce(int messages) {
  for (int i = 0; i < messages; ++i) {
    auto* m = new Message;
    std::memset(m->payload, i & 0xff, sizeof(m->payload));
    std::unique_lock lock(mutex);
    room.wait(lock, [] { return queue.size() < kMaxQueued; });
    queue.push_back(m);
    ready.notify_one();
  }
  std::lock_guard lock(mutex);
  --producers_left;
  ready.notify_one();
}

long Consume() {
  long sum = 0;
  std::unique_lock lock(mutex);
  for (;;) {
    ready.wait(lock, [] { return !queue.empty() || producers_left == 0; });
    if (queue.empty()) return sum;
    Message* m = queue.front();
    queue.pop_front();
    room.notify_all();
    sum += m->payload[0];
    delete m;
  }
}

// Every other entry point, a fixed number of times each (7). Each block goes
// through `sink` so that the compiler cannot drop an allocation that is
// freed at once.
void* volatile sink;

template <class T>
T* Keep(T* p) {
  sink = p;
  return static_cast<T*>(sink);
}

void OtherEntryPoints() {
  for (int i = 0; i < 7; ++i) {
    void* p = Keep(std::malloc(100));
    p = Keep(std::realloc(p, 1000));
    std::free(p);
    std::free(Keep(std::calloc(10, 10)));
    void* q = nullptr;
    if (posix_memalign(&q, 64, 256) == 0) std::free(Keep(q));
    std::free(Keep(std::aligned_alloc(128, 256)));
    std::free(Keep(memalign(32, 64)));
    std::free(Keep(valloc(64)));
    auto* a = Keep(new Padded);
    delete a;  // sized and aligned
    auto* arr = Keep(new int[10]);
    delete[] arr;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int messages = argc > 1 ? std::atoi(argv[1]) : 10000;
  const std::string mode = argc > 2 ? argv[2] : "";
  OtherEntryPoints();
  long sum = 0;
  std::thread consumer([&] { sum = Consume(); });
  std::thread a(Produce, messages), b(Produce, messages);
  a.join();
  b.join();
  consumer.join();
  if (mode == "fork") {
    pid_t pid = fork();
    if (pid == 0) {
      for (int i = 0; i < 100; ++i) std::free(Keep(std::malloc(32)));
      std::exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
  }
  if (mode == "crash") {
    Keep(std::malloc(12345));
    std::abort();
  }
  return sum == -1 ? 1 : 0;
}
