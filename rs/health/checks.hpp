// One probe of a built-in check: `command` (a child process, exit 0 = up, its whole process group
// killed at the timeout), `http` (GET over TCP or TLS, net_probe.cpp: the status must be `expect`,
// the body hold `body`) and `tcp` (a connect). Every probe ends exactly once with a CheckResult, on
// the event loop.
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
#include "rs/health/http_response.hpp"

namespace rs::health {

struct CheckResult {
  bool ok = false;
  std::string output;  // the command's output (capped), the HTTP status line, or the error
  uint64_t duration_ms = 0;
  bool timed_out = false;
};

using conf::HttpUrl;
using conf::parse_http_url;

class Probe {
 public:
  virtual ~Probe() = default;
  using Done = std::function<void(CheckResult)>;
  // Starts one probe; `done` runs once. Destroying the probe cancels it (done is not called).
  virtual void run(uint64_t timeout_ms, Done done) = 0;
  virtual std::string describe() const = 0;
};

// `error` is set when the check cannot be built (bad URL, empty argv: nullptr; a TLS file that
// cannot be loaded any more: a probe that fails every run with that reason, so the service is
// seen down with the cause in `show health` instead of being checked by fewer probes). A command
// runs as `run_as` says (run_as.hpp: nobody when rsd is root and no user is named).
[[nodiscard]] std::unique_ptr<Probe> make_probe(boost::asio::io_context& io,
                                                const conf::HealthCheckConfig::Check& c,
                                                std::string& error, const conf::RunAs& run_as = {});

}  // namespace rs::health
