// The sinks behind rsd's logger (see logging.hpp for how they are put together):
//  - FileSink: a log file that can be reopened (logrotate renames it and sends SIGHUP or SIGUSR1;
//    the reopen creates the new file) and that rotates itself at a size (BIRD's
//    `log "FILE" SIZE "BACKUP" ...`).
//  - ClassFilterSink: passes on only the classes a `log` statement lists (BIRD's per-target
//    classes; a level threshold cannot express "auth and remote only").
//  - Dispatcher: the logger's only sink. It suppresses repeats (RepeatLimiter; classes debug and
//    trace, which an operator turns on on purpose, are never suppressed) and hands each message to
//    every target. Targets can be replaced while the logger is in use (a reload).
#pragma once

#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/sink.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rs/log/repeat_limiter.hpp"

namespace rs::log {

class FileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Opens at once; error() tells whether that worked.
  FileSink(std::string path, uint64_t max_size = 0, std::string backup = {});
  ~FileSink() override;
  // Closes and opens the path again (creating it when it was renamed away).
  void reopen();
  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  void open_locked();
  std::string path_, backup_;
  uint64_t max_size_ = 0;
  uint64_t size_ = 0;
  std::FILE* f_ = nullptr;
  std::string error_;
};

class ClassFilterSink final : public spdlog::sinks::sink {
 public:
  ClassFilterSink(spdlog::sink_ptr inner, uint32_t classes)
      : inner_(std::move(inner)), classes_(classes) {}
  void log(const spdlog::details::log_msg& msg) override;
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> f) override {
    inner_->set_formatter(std::move(f));
  }
  const spdlog::sink_ptr& inner() const { return inner_; }
  uint32_t classes() const { return classes_; }

 private:
  spdlog::sink_ptr inner_;
  uint32_t classes_;
};

class Dispatcher final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  using Clock = std::function<RepeatLimiter::TimePoint()>;
  explicit Dispatcher(std::chrono::milliseconds repeat_window, Clock clock = {});

  void set_targets(std::vector<spdlog::sink_ptr> targets);
  // Writes the summaries of repeat windows that have ended (called every second by the daemon).
  void tick();
  // Reopens every FileSink target (SIGUSR1, SIGHUP).
  void reopen();
  uint64_t suppressed();

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  void forward(const spdlog::details::log_msg& msg);
  void write_summaries(std::vector<RepeatLimiter::Summary>& due);
  RepeatLimiter limiter_;
  Clock clock_;
  std::vector<spdlog::sink_ptr> targets_;
};

}  // namespace rs::log
