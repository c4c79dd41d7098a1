// The logger set-up (logging.hpp): Dispatcher -> ClassFilterSink -> file / syslog / stderr.
#include "rs/log/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include <cstdlib>

#include "conf/config.hpp"
#include "rs/control/commands.hpp"
#include "rs/log/log_class.hpp"

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

// BIRD's tag of a message class in its log files: `<INFO>`, `<RMT>`, ...
class ClassTag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view s = bird_tag(class_of(msg));
    dest.append(s.data(), s.data() + s.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<ClassTag>();
  }
};

// The syslog priority of a message class, as sd-daemon(3)'s `<N>` line prefix for journald.
class JournalPriority final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string p = "<" + std::to_string(syslog_priority(class_of(msg))) + ">";
    dest.append(p.data(), p.data() + p.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JournalPriority>();
  }
};

// A file or terminal line as BIRD writes it: `TIME <CLASS> message`, TIME by `timeformat log`.
std::unique_ptr<spdlog::formatter> bird_line(const control::TimeFormatSpec& spec) {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<LogTime>('*', spec).add_flag<ClassTag>('&').set_pattern("%* %& %v");
  return f;
}

// Under systemd (-f with stderr to the journal, which sets JOURNAL_STREAM): the priority prefix
// and the message; the journal stamps the time itself.
std::unique_ptr<spdlog::formatter> journal_line() {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<JournalPriority>('&').set_pattern("%&%v");
  return f;
}

}  // namespace

std::string_view bird_tag(uint32_t cls) {
  switch (cls) {
    case conf::kLogDebug:
      return "<DBG>";
    case conf::kLogTrace:
      return "<TRACE>";
    case conf::kLogInfo:
      return "<INFO>";
    case conf::kLogRemote:
      return "<RMT>";
    case conf::kLogWarning:
      return "<WARN>";
    case conf::kLogError:
      return "<ERR>";
    case conf::kLogAuth:
      return "<AUTH>";
    case conf::kLogFatal:
      return "<FATAL>";
    case conf::kLogBug:
      return "<BUG>";
    default:
      return "<\?\?\?>";
  }
}

int syslog_priority(uint32_t cls) {
  switch (cls) {
    case conf::kLogDebug:
    case conf::kLogTrace:
      return LOG_DEBUG;
    case conf::kLogInfo:
    case conf::kLogRemote:
      return LOG_INFO;
    case conf::kLogWarning:
      return LOG_WARNING;
    case conf::kLogError:
    case conf::kLogAuth:
      return LOG_ERR;
    case conf::kLogFatal:
      return LOG_CRIT;
    default:
      return LOG_ERR;
  }
}

std::shared_ptr<Dispatcher> dispatcher() {
  return current();
}

std::string configure(const conf::Config& cfg, bool foreground,
                      const std::vector<spdlog::sink_ptr>& extra) {
  std::string problems;
  std::vector<spdlog::sink_ptr> targets;
  bool has_stderr = false;
  const control::TimeFormatSpec spec = control::time_format(&cfg, conf::TimeFormat::Which::Log);
  // stderr goes to the journal when systemd started us with it there (systemd.exec(5)).
  const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  auto terminal = [&]() -> spdlog::sink_ptr {
    auto s = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    s->set_formatter(journal ? journal_line() : bird_line(spec));
    return s;
  };
  for (const auto& l : cfg.logs) {
    spdlog::sink_ptr s;
    switch (l.kind) {
      case conf::LogTarget::Kind::File: {
        auto f = std::make_shared<FileSink>(l.path, l.size, l.backup);
        if (!f->error().empty()) problems += l.loc.to_string() + ": " + f->error() + "\n";
        f->set_formatter(bird_line(spec));
        s = f;  // kept: a later reopen may succeed
        break;
      }
      case conf::LogTarget::Kind::Syslog:
        // syslog stamps the time and carries the priority itself: the message alone.
        s = std::make_shared<spdlog::sinks::syslog_sink_mt>(
            l.syslog_name.empty() ? "rsd" : l.syslog_name, LOG_PID, LOG_DAEMON, false);
        break;
      case conf::LogTarget::Kind::Stderr:
        s = terminal();
        has_stderr = true;
        break;
    }
    targets.push_back(std::make_shared<ClassFilterSink>(std::move(s), l.classes));
  }
  // No `log` statement: syslog as BIRD does (a daemon's stderr is /dev/null); `-f` adds stderr.
  if (cfg.logs.empty() && !foreground)
    targets.push_back(
        std::make_shared<spdlog::sinks::syslog_sink_mt>("rsd", LOG_PID, LOG_DAEMON, false));
  if (foreground && !has_stderr) targets.push_back(terminal());
  for (const auto& e : extra) targets.push_back(e);

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
