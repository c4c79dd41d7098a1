// rsd's log sinks (sinks.hpp). Everything here runs under the owning sink's mutex; the class of a
// message comes from log_class.hpp (level, or the helper's override), and a summary is written
// with the class and level of the message it summarises.
#include "rs/log/sinks.hpp"

#include <cerrno>
#include <cstring>

#include "rs/log/log_class.hpp"

namespace rs::log {

FileSink::FileSink(std::string path, uint64_t max_size, std::string backup)
    : path_(std::move(path)), backup_(std::move(backup)), max_size_(max_size) {
  open_locked();
}

FileSink::~FileSink() {
  if (f_) std::fclose(f_);
}

void FileSink::open_locked() {
  if (f_) std::fclose(f_);
  f_ = std::fopen(path_.c_str(), "a");
  if (!f_) {
    error_ = "cannot open " + path_ + ": " + std::strerror(errno);
    size_ = 0;
    return;
  }
  error_.clear();
  std::fseek(f_, 0, SEEK_END);
  long pos = std::ftell(f_);
  size_ = pos > 0 ? static_cast<uint64_t>(pos) : 0;
}

void FileSink::reopen() {
  std::lock_guard lock(mutex_);
  open_locked();
}

void FileSink::sink_it_(const spdlog::details::log_msg& msg) {
  if (!f_) return;  // could not open: dropped until the next reopen
  spdlog::memory_buf_t buf;
  formatter_->format(msg, buf);
  std::fwrite(buf.data(), 1, buf.size(), f_);
  size_ += buf.size();
  if (max_size_ && size_ >= max_size_ && !backup_.empty()) {
    // BIRD's size limit: the full file becomes BACKUP (replacing the older one), a new one starts.
    std::fclose(f_);
    f_ = nullptr;
    std::rename(path_.c_str(), backup_.c_str());
    open_locked();
  }
}

void FileSink::flush_() {
  if (f_) std::fflush(f_);
}

void ClassFilterSink::log(const spdlog::details::log_msg& msg) {
  if (class_of(msg) & classes_) inner_->log(msg);
}

Dispatcher::Dispatcher(std::chrono::milliseconds repeat_window, Clock clock)
    : limiter_(repeat_window),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {}

void Dispatcher::set_targets(std::vector<spdlog::sink_ptr> targets) {
  std::lock_guard lock(mutex_);
  targets_ = std::move(targets);
}

void Dispatcher::forward(const spdlog::details::log_msg& msg) {
  for (const auto& t : targets_) t->log(msg);
}

void Dispatcher::write_summaries(std::vector<RepeatLimiter::Summary>& due) {
  for (const auto& s : due) {
    const auto level = static_cast<spdlog::level::level_enum>(s.tag >> 32);
    const uint32_t cls = static_cast<uint32_t>(s.tag);
    std::string text = RepeatLimiter::summary_text(s);
    spdlog::details::log_msg m("rsd", level, text);
    detail::ClassScope scope(cls);
    forward(m);
  }
  due.clear();
}

void Dispatcher::sink_it_(const spdlog::details::log_msg& msg) {
  const uint32_t cls = class_of(msg);
  if (cls & (conf::kLogDebug | conf::kLogTrace)) return forward(msg);
  // Same source (logger, class, call site when known) and same text.
  std::string key;
  key.reserve(msg.payload.size() + 48);
  key.append(msg.logger_name.data(), msg.logger_name.size());
  key += '|';
  key += std::to_string(cls);
  if (!msg.source.empty()) {
    key += '|';
    key += msg.source.filename;
    key += ':';
    key += std::to_string(msg.source.line);
  }
  key += '|';
  key.append(msg.payload.data(), msg.payload.size());
  std::vector<RepeatLimiter::Summary> due;
  const uint64_t tag = (static_cast<uint64_t>(msg.level) << 32) | cls;
  bool write = limiter_.admit(key, std::string_view(msg.payload.data(), msg.payload.size()), tag,
                              clock_(), due);
  write_summaries(due);
  if (write) forward(msg);
}

void Dispatcher::tick() {
  std::lock_guard lock(mutex_);
  std::vector<RepeatLimiter::Summary> due;
  limiter_.expire(clock_(), due);
  if (due.empty()) return;
  write_summaries(due);
  for (const auto& t : targets_) t->flush();
}

void Dispatcher::reopen() {
  std::lock_guard lock(mutex_);
  for (const auto& t : targets_) {
    spdlog::sink_ptr s = t;
    if (auto* c = dynamic_cast<ClassFilterSink*>(s.get())) s = c->inner();
    if (auto* f = dynamic_cast<FileSink*>(s.get())) f->reopen();
  }
}

uint64_t Dispatcher::suppressed() {
  std::lock_guard lock(mutex_);
  return limiter_.suppressed();
}

void Dispatcher::flush_() {
  for (const auto& t : targets_) t->flush();
}

}  // namespace rs::log
