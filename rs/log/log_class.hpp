// BIRD's log message classes (debug, trace, info, remote, warning, error, auth, fatal, bug) on top
// of spdlog. spdlog knows only levels, so a message's class is its level's class (trace, debug,
// info, warning, error, critical = fatal) unless it was logged through one of the helpers below,
// which set a per-thread class override for the duration of the call. Sinks are synchronous, so
// the sinks see the override while they run (class_of()). The bits are conf::LogClass's.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <string_view>
#include <utility>

#include "conf/logging.hpp"

namespace rs::log {

// The class of a message being sunk (call from a sink's sink_it_).
uint32_t class_of(const spdlog::details::log_msg& msg);
// The class of a level when no override is set.
uint32_t class_of_level(spdlog::level::level_enum level);
// "info", "remote", ...: BIRD's names (one class bit).
std::string_view class_name(uint32_t cls);

namespace detail {
// Sets the override for the lifetime of the object (restores the previous one).
class ClassScope {
 public:
  explicit ClassScope(uint32_t cls);
  ~ClassScope();
  ClassScope(const ClassScope&) = delete;
  ClassScope& operator=(const ClassScope&) = delete;

 private:
  uint32_t saved_;
};

template <class... Args>
void emit(uint32_t cls, spdlog::level::level_enum level, spdlog::format_string_t<Args...> fmt,
          Args&&... args) {
  ClassScope scope(cls);
  spdlog::log(level, fmt, std::forward<Args>(args)...);
}
}  // namespace detail

// Protocol debugging (`debug NAME ...`): class trace, written at info level so that it does not
// need the logger's debug level; targets that do not list `trace` do not get it.
template <class... Args>
void trace(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  detail::emit(conf::kLogTrace, spdlog::level::info, fmt, std::forward<Args>(args)...);
}
// Something a remote side did wrong (a malformed UPDATE, a NOTIFICATION received).
template <class... Args>
void remote(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  detail::emit(conf::kLogRemote, spdlog::level::info, fmt, std::forward<Args>(args)...);
}
// Authentication and access (a denied control command, a bad TCP-MD5 peer).
template <class... Args>
void auth(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  detail::emit(conf::kLogAuth, spdlog::level::warn, fmt, std::forward<Args>(args)...);
}
// An internal error (a broken invariant that was survived).
template <class... Args>
void bug(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  detail::emit(conf::kLogBug, spdlog::level::critical, fmt, std::forward<Args>(args)...);
}

}  // namespace rs::log
