// One probe of a built-in check: `command` (a child process, exit 0 = up, its whole process group
// killed at the timeout), `http` (GET over asio TCP, the status line must carry `expect`) and
// `tcp` (a connect). Every probe ends exactly once with a CheckResult, on the event loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "conf/config.hpp"
#include "conf/http_url.hpp"
#include "rib/prefix.hpp"

namespace rs::health {

struct CheckResult {
  bool ok = false;
  std::string output;  // the command's output (capped), the HTTP status line, or the error
  uint64_t duration_ms = 0;
  bool timed_out = false;
};

using conf::HttpUrl;
using conf::parse_http_url;

// Reading an `http` check's answer: only the status line counts. More is read until a line feed,
// the end of the stream or kMaxHttpStatusRead bytes, whichever comes first.
inline constexpr std::size_t kMaxHttpStatusRead = 1024;
[[nodiscard]] bool http_status_line_complete(std::string_view received);
struct HttpStatus {
  unsigned code = 0;  // 100..599; 0: not "HTTP/x.y NNN[ reason]" (RFC 9112 4, RFC 9110 15)
  std::string line;   // the status line without its CR LF, control bytes as \xNN (show health)
};
[[nodiscard]] HttpStatus parse_http_status(std::string_view received);

class Probe {
 public:
  virtual ~Probe() = default;
  using Done = std::function<void(CheckResult)>;
  // Starts one probe; `done` runs once. Destroying the probe cancels it (done is not called).
  virtual void run(uint64_t timeout_ms, Done done) = 0;
  virtual std::string describe() const = 0;
};

// nullptr with `error` set when the check cannot be built (bad URL, empty argv). A command runs
// as `run_as` says (run_as.hpp: nobody when rsd is root and no user is named).
[[nodiscard]] std::unique_ptr<Probe> make_probe(boost::asio::io_context& io,
                                                const conf::HealthCheckConfig::Check& c,
                                                std::string& error, const conf::RunAs& run_as = {});

}  // namespace rs::health
