// `timeformat` as the control socket prints it (rs/control/commands.cpp). What a real BIRD 2.0.12
// prints for each form is compared in tests/cli/timeformat_test.py; this covers what a short run
// cannot reach: the short forms switch to the date alone once a time is 20 hours old (measured on
// bird 2.0.12 under an accelerated clock: the switch came between 68 700 s and 75 000 s), a custom
// format's limit, BIRD's %Nf second fractions, and `timeformat log` on log lines.
#include <doctest/doctest.h>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>

#include "conf/parser.hpp"
#include "rs/control/commands.hpp"
#include "rs/log/log_class.hpp"
#include "rs/log/logging.hpp"

using namespace std::chrono;
using rs::conf::TimeFormat;
using rs::control::format_time;
using rs::control::time_format;

namespace {

bool matches(const std::string& s, const char* re) {
  return std::regex_match(s, std::regex(re));
}

rs::conf::Config load(const char* text) {
  auto r = rs::conf::load_string(text, "t.conf");
  REQUIRE_MESSAGE(r.ok(), r.diagnostics.to_string());
  return std::move(r.config);
}

}  // namespace

TEST_CASE("defaults: protocol and route iso short ms, base iso long ms") {
  const auto now = system_clock::now();
  auto proto = time_format(nullptr, TimeFormat::Which::Protocol);
  CHECK(matches(format_time(now - hours(1), proto), R"(\d\d:\d\d:\d\d\.\d{3})"));
  CHECK(matches(format_time(now - hours(19) - minutes(59), proto), R"(\d\d:\d\d:\d\d\.\d{3})"));
  CHECK(matches(format_time(now - hours(20) - seconds(1), proto), R"(\d{4}-\d\d-\d\d)"));
  auto route = time_format(nullptr, TimeFormat::Which::Route);
  CHECK(matches(format_time(now - hours(30), route), R"(\d{4}-\d\d-\d\d)"));
  auto base = time_format(nullptr, TimeFormat::Which::Base);
  CHECK(matches(format_time(now - hours(30), base), R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})"));
}

TEST_CASE("configured forms, the last of a kind winning") {
  auto c = load(R"(
    timeformat protocol iso long;
    timeformat protocol iso short us;
    timeformat route iso long ms;
    timeformat base "%H h" 60 "%d/%m";
    protocol device {}
  )");
  const auto now = system_clock::now();
  auto proto = time_format(&c, TimeFormat::Which::Protocol);
  CHECK(matches(format_time(now, proto), R"(\d\d:\d\d:\d\d\.\d{6})"));
  CHECK(matches(format_time(now - hours(21), proto), R"(\d{4}-\d\d-\d\d)"));
  auto route = time_format(&c, TimeFormat::Which::Route);
  CHECK(matches(format_time(now - hours(48), route), R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})"));
  auto base = time_format(&c, TimeFormat::Which::Base);
  CHECK(matches(format_time(now - seconds(10), base), R"(\d\d h)"));
  CHECK(matches(format_time(now - seconds(61), base), R"(\d\d/\d\d)"));
}

TEST_CASE("second fractions: %1f .. %6f and %f") {
  setenv("TZ", "UTC", 1);
  tzset();
  const system_clock::time_point t =
      sys_days{year{2026} / 1 / 2} + hours(3) + minutes(4) + seconds(5) + microseconds(123456);
  rs::control::TimeFormatSpec spec{"%F %T.%3f|%1f|%6f|%f|%%f", "", 0};
  CHECK(format_time(t, spec) == "2026-01-02 03:04:05.123|1|123456|123456|%f");
}

TEST_CASE("timeformat log stamps each log line") {
  char dir[] = "/tmp/rsd-tflog-XXXXXX";
  REQUIRE(mkdtemp(dir));
  const std::string file = std::string(dir) + "/rsd.log";
  auto c = load(
      ("log \"" + file + "\" all;\ntimeformat log \"T=%Y|%3f\";\nprotocol device {}\n").c_str());
  CHECK(rs::log::configure(c, false).empty());
  spdlog::info("stamped");
  spdlog::default_logger()->flush();
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  CHECK(matches(line, R"(T=\d{4}\|\d{3} <INFO> stamped)"));
  rs::conf::Config plain;  // back to spdlog's stamp, BIRD's default iso long ms
  rs::log::configure(plain, false, {});
  std::filesystem::remove_all(dir);
}

TEST_CASE("log files get BIRD's lines: iso long ms, then the class tag") {
  char dir[] = "/tmp/rsd-birdlog-XXXXXX";
  REQUIRE(mkdtemp(dir));
  const std::string file = std::string(dir) + "/rsd.log";
  auto c = load(("log \"" + file + "\" all;\nprotocol device {}\n").c_str());
  CHECK(rs::log::configure(c, false).empty());
  spdlog::info("plain info");
  rs::log::remote("from a peer");
  spdlog::warn("careful");
  spdlog::default_logger()->flush();
  std::ifstream in(file);
  std::string l1, l2, l3;
  std::getline(in, l1), std::getline(in, l2), std::getline(in, l3);
  CHECK(matches(l1, R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} <INFO> plain info)"));
  CHECK(matches(l2, R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} <RMT> from a peer)"));
  CHECK(matches(l3, R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} <WARN> careful)"));
  rs::conf::Config plain;
  rs::log::configure(plain, false, {});
  std::filesystem::remove_all(dir);
}

TEST_CASE("BIRD's class tags and the journal priorities of the classes") {
  namespace c = rs::conf;
  CHECK(rs::log::bird_tag(c::kLogDebug) == "<DBG>");
  CHECK(rs::log::bird_tag(c::kLogTrace) == "<TRACE>");
  CHECK(rs::log::bird_tag(c::kLogInfo) == "<INFO>");
  CHECK(rs::log::bird_tag(c::kLogRemote) == "<RMT>");
  CHECK(rs::log::bird_tag(c::kLogWarning) == "<WARN>");
  CHECK(rs::log::bird_tag(c::kLogError) == "<ERR>");
  CHECK(rs::log::bird_tag(c::kLogAuth) == "<AUTH>");
  CHECK(rs::log::bird_tag(c::kLogFatal) == "<FATAL>");
  CHECK(rs::log::bird_tag(c::kLogBug) == "<BUG>");
  CHECK(rs::log::syslog_priority(c::kLogDebug) == 7);
  CHECK(rs::log::syslog_priority(c::kLogInfo) == 6);
  CHECK(rs::log::syslog_priority(c::kLogRemote) == 6);
  CHECK(rs::log::syslog_priority(c::kLogWarning) == 4);
  CHECK(rs::log::syslog_priority(c::kLogError) == 3);
  CHECK(rs::log::syslog_priority(c::kLogFatal) == 2);
}
