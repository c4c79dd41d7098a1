// rsc's connection to the control socket: connect (with a clear reason on failure), read the
// welcome, send one command line and read its reply line by line (cli/reply.hpp).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/reply.hpp"

namespace rs::cli {

struct Reply {
  std::vector<ReplyLine> lines;
  int final_code = 0;  // code of the last line
  bool ok() const { return final_code < 8000; }
};

class Client {
 public:
  Client() = default;
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects and reads the welcome line. On failure returns false and sets error() to a message
  // for the operator (daemon not running, permission denied, ...).
  bool connect(const std::string& path);
  const std::string& error() const { return error_; }
  const std::string& welcome() const { return welcome_; }

  // Sends `command` and reads the whole reply; `on_line` (optional) sees each line as it comes,
  // raw text included. nullopt when the connection broke.
  // `keep` false: lines are only passed to on_line, not stored (long outputs in constant memory).
  std::optional<Reply> run(
      const std::string& command,
      const std::function<void(const ReplyLine&, const std::string& raw)>& on_line = {},
      bool keep = true);

 private:
  bool read_line(ReplyLine& out, std::string& raw);
  int fd_ = -1;
  std::string error_;
  std::string welcome_;
  std::string buf_;
  int last_code_ = 0;
};

}  // namespace rs::cli
