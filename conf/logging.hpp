// What the configuration says about logging: `log` targets with their message classes, and the
// `debug` flags of protocols. Kept apart from the routing configuration so that the logging code
// depends on this alone.
#pragma once

#include <cstdint>
#include <string>

#include "conf/diagnostic.hpp"

namespace rs::conf {

// `debug protocols` / per-protocol `debug` flags.
enum DebugFlag : uint32_t {
  kDebugStates = 1,
  kDebugRoutes = 2,
  kDebugFilters = 4,
  kDebugInterfaces = 8,
  kDebugEvents = 16,
  kDebugPackets = 32,
  kDebugAll = 63,
};

enum LogClass : uint32_t {
  kLogDebug = 1,
  kLogTrace = 2,
  kLogInfo = 4,
  kLogRemote = 8,
  kLogWarning = 16,
  kLogError = 32,
  kLogAuth = 64,
  kLogFatal = 128,
  kLogBug = 256,
  kLogAll = 511,
};

struct LogTarget {
  enum class Kind : uint8_t { File, Syslog, Stderr };
  Kind kind = Kind::Syslog;
  std::string path;         // File
  std::string syslog_name;  // Syslog [name NAME]
  uint64_t size = 0;        // File: rotate at this size (0 = never)
  std::string backup;       // File: rotated file name
  uint32_t classes = kLogAll;
  Location loc;
};

}  // namespace rs::conf
