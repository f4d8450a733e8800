#include "workloads/support/resp_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace allocmark {

RespClient::~RespClient() {
  if (fd_ >= 0) close(fd_);
}

bool RespClient::Connect(int port, double timeout_s) {
  if (fd_ >= 0) close(fd_);
  out_.clear();
  in_.clear();
  in_pos_ = 0;
  pending_ = 0;
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  timeval tv{
      static_cast<time_t>(timeout_s),
      static_cast<suseconds_t>(
          (timeout_s - static_cast<double>(static_cast<time_t>(timeout_s))) *
          1e6)};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    error_ = "connect to 127.0.0.1:" + std::to_string(port) + ": " +
             std::strerror(errno);
    return false;
  }
  return true;
}

void RespClient::Append(const std::vector<std::string_view>& args) {
  out_.push_back('*');
  out_ += std::to_string(args.size());
  out_ += "\r\n";
  for (std::string_view a : args) {
    out_.push_back('$');
    out_ += std::to_string(a.size());
    out_ += "\r\n";
    out_.append(a);
    out_ += "\r\n";
  }
  ++pending_;
}

bool RespClient::Flush(std::vector<RespReply>& replies) {
  replies.clear();
  for (std::size_t sent = 0; sent < out_.size();) {
    ssize_t n = send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      error_ = std::string("send: ") + std::strerror(errno);
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  out_.clear();
  replies.resize(pending_);
  pending_ = 0;
  for (auto& reply : replies)
    if (!ReadReply(reply)) return false;
  return true;
}

bool RespClient::Call(const std::vector<std::string_view>& args,
                      RespReply& reply) {
  Append(args);
  std::vector<RespReply> replies;
  if (!Flush(replies)) return false;
  reply = std::move(replies[0]);
  return true;
}

bool RespClient::Fill() {
  if (in_pos_ > 0) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  char buf[1 << 16];
  ssize_t n = recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) {
    error_ = n == 0 ? "the server closed the connection"
                    : std::string("recv: ") + std::strerror(errno);
    return false;
  }
  in_.append(buf, static_cast<std::size_t>(n));
  return true;
}

bool RespClient::ReadLine(std::string& line) {
  for (;;) {
    std::size_t end = in_.find("\r\n", in_pos_);
    if (end != std::string::npos) {
      line.assign(in_, in_pos_, end - in_pos_);
      in_pos_ = end + 2;
      return true;
    }
    if (!Fill()) return false;
  }
}

bool RespClient::ReadReply(RespReply& reply) {
  std::string line;
  if (!ReadLine(line)) return false;
  if (line.empty()) {
    error_ = "malformed reply";
    return false;
  }
  reply.type = line[0];
  reply.text = line.substr(1);
  if (reply.type == '$') {
    long length = std::strtol(reply.text.c_str(), nullptr, 10);
    reply.text.clear();
    if (length < 0) return true;  // nil
    const std::size_t need = static_cast<std::size_t>(length) + 2;
    while (in_.size() - in_pos_ < need)
      if (!Fill()) return false;
    reply.text.assign(in_, in_pos_, static_cast<std::size_t>(length));
    in_pos_ += need;
  } else if (reply.type == '*') {
    long count = std::strtol(reply.text.c_str(), nullptr, 10);
    reply.elements.resize(count > 0 ? static_cast<std::size_t>(count) : 0);
    for (auto& element : reply.elements)
      if (!ReadReply(element)) return false;
  } else if (reply.type != '+' && reply.type != '-' && reply.type != ':') {
    error_ = "malformed reply type '" + std::string(1, reply.type) + "'";
    return false;
  }
  return true;
}

}  // namespace allocmark
