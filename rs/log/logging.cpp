// The logger set-up (logging.hpp): Dispatcher -> ClassFilterSink -> file / syslog / stderr.
#include "rs/log/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include "conf/config.hpp"
#include "rs/control/commands.hpp"

namespace rs::log {

namespace {
std::shared_ptr<Dispatcher>& current() {
  static std::shared_ptr<Dispatcher> d;
  return d;
}
// `timeformat log`: the time of each line as `show` commands print times (BIRD's forms).
class LogTime final : public spdlog::custom_flag_formatter {
 public:
  explicit LogTime(control::TimeFormatSpec spec) : spec_(std::move(spec)) {}
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string s = control::format_time(
        std::chrono::time_point_cast<std::chrono::system_clock::duration>(msg.time), spec_);
    dest.append(s.data(), s.data() + s.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LogTime>(spec_);
  }

 private:
  control::TimeFormatSpec spec_;
};

}  // namespace

std::shared_ptr<Dispatcher> dispatcher() {
  return current();
}

std::string configure(const conf::Config& cfg, bool foreground,
                      const std::vector<spdlog::sink_ptr>& extra) {
  std::string problems;
  std::vector<spdlog::sink_ptr> targets;
  bool has_stderr = false;
  for (const auto& l : cfg.logs) {
    spdlog::sink_ptr s;
    switch (l.kind) {
      case conf::LogTarget::Kind::File: {
        auto f = std::make_shared<FileSink>(l.path, l.size, l.backup);
        if (!f->error().empty()) problems += l.loc.to_string() + ": " + f->error() + "\n";
        s = f;  // kept: a later reopen may succeed
        break;
      }
      case conf::LogTarget::Kind::Syslog:
        s = std::make_shared<spdlog::sinks::syslog_sink_mt>(
            l.syslog_name.empty() ? "rsd" : l.syslog_name, LOG_PID, LOG_DAEMON, false);
        break;
      case conf::LogTarget::Kind::Stderr:
        s = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        has_stderr = true;
        break;
    }
    targets.push_back(std::make_shared<ClassFilterSink>(std::move(s), l.classes));
  }
  // No `log` statement: syslog as BIRD does (a daemon's stderr is /dev/null); `-f` adds stderr.
  if (cfg.logs.empty() && !foreground)
    targets.push_back(
        std::make_shared<spdlog::sinks::syslog_sink_mt>("rsd", LOG_PID, LOG_DAEMON, false));
  if (foreground && !has_stderr)
    targets.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  for (const auto& e : extra) targets.push_back(e);
  // Without `timeformat log` spdlog's own stamp stays: it is BIRD's default, iso long ms.
  bool custom_time = false;
  for (const auto& tf : cfg.timeformats) custom_time |= tf.which == conf::TimeFormat::Which::Log;
  if (custom_time) {
    const control::TimeFormatSpec spec = control::time_format(&cfg, conf::TimeFormat::Which::Log);
    for (const auto& t : targets) {
      auto f = std::make_unique<spdlog::pattern_formatter>();
      f->add_flag<LogTime>('*', spec).set_pattern("[%*] [%n] [%l] %v");
      t->set_formatter(std::move(f));
    }
  }

  auto& d = current();
  if (!d) {
    d = std::make_shared<Dispatcher>(kRepeatWindow);
    auto logger = std::make_shared<spdlog::logger>("rsd", d);
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  d->set_targets(std::move(targets));
  spdlog::default_logger()->set_level(cfg.debug_protocols ? spdlog::level::debug
                                                          : spdlog::level::info);
  return problems;
}

void reopen() {
  if (auto d = current()) d->reopen();
}

Ticker::Ticker(boost::asio::io_context& io) : timer_(io) {
  arm();
}
Ticker::~Ticker() {
  timer_.cancel();
}

void Ticker::arm() {
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto d = current()) d->tick();
    arm();
  });
}

}  // namespace rs::log
