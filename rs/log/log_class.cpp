// Log classes (log_class.hpp): the per-thread override and the level -> class map.
#include "rs/log/log_class.hpp"

namespace rs::log {

namespace {
thread_local uint32_t g_override = 0;
}

detail::ClassScope::ClassScope(uint32_t cls) : saved_(g_override) {
  g_override = cls;
}
detail::ClassScope::~ClassScope() {
  g_override = saved_;
}

uint32_t class_of_level(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return conf::kLogTrace;
    case spdlog::level::debug:
      return conf::kLogDebug;
    case spdlog::level::info:
      return conf::kLogInfo;
    case spdlog::level::warn:
      return conf::kLogWarning;
    case spdlog::level::err:
      return conf::kLogError;
    default:
      return conf::kLogFatal;
  }
}

uint32_t class_of(const spdlog::details::log_msg& msg) {
  return g_override ? g_override : class_of_level(msg.level);
}

std::string_view class_name(uint32_t cls) {
  switch (cls) {
    case conf::kLogDebug:
      return "debug";
    case conf::kLogTrace:
      return "trace";
    case conf::kLogInfo:
      return "info";
    case conf::kLogRemote:
      return "remote";
    case conf::kLogWarning:
      return "warning";
    case conf::kLogError:
      return "error";
    case conf::kLogAuth:
      return "auth";
    case conf::kLogFatal:
      return "fatal";
    case conf::kLogBug:
      return "bug";
    default:
      return "?";
  }
}

}  // namespace rs::log
