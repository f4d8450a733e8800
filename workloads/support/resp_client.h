// A minimal, blocking Redis client (RESP2) on a loopback TCP socket, for the
// redis workload's fragmentation phase: pipelined commands in batches, each
// reply read and checked. Not a general client: no reconnects, no pub/sub.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_RESP_CLIENT_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_RESP_CLIENT_H_

#include <string>
#include <string_view>
#include <vector>

namespace allocmark {

// One reply: its type byte ('+', '-', ':', '$', '*') and its text (a bulk
// string's bytes, an integer's digits; for an array, its elements).
struct RespReply {
  char type = 0;
  std::string text;
  std::vector<RespReply> elements;
  bool error() const { return type == '-'; }
};

class RespClient {
 public:
  RespClient() = default;
  ~RespClient();
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;

  // Connects to 127.0.0.1:port, closing any earlier connection; false (and
  // error()) when it cannot.
  // timeout_s bounds each later read and write.
  bool Connect(int port, double timeout_s);
  // Queues one command (its arguments) for the next Flush.
  void Append(const std::vector<std::string_view>& args);
  // Sends the queued commands and reads one reply for each into `replies`
  // (cleared first); false on a socket error, a time-out or a malformed
  // reply (error() says which). Error replies are returned, not failures.
  bool Flush(std::vector<RespReply>& replies);
  // One command, one reply.
  bool Call(const std::vector<std::string_view>& args, RespReply& reply);
  const std::string& error() const { return error_; }

 private:
  bool Fill();  // reads more bytes into in_
  bool ReadLine(std::string& line);
  bool ReadReply(RespReply& reply);

  int fd_ = -1;
  std::string out_;
  std::string in_;
  std::size_t in_pos_ = 0;
  std::size_t pending_ = 0;
  std::string error_;
};

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_RESP_CLIENT_H_
