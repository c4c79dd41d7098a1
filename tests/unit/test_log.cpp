// rs/log: repeat suppression with a fake clock, per-class targets, file reopen and size rotation.
#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rs/log/log_class.hpp"
#include "rs/log/repeat_limiter.hpp"
#include "rs/log/sinks.hpp"

using rs::log::RepeatLimiter;
using namespace std::chrono_literals;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int count_of(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (std::size_t pos = hay.find(needle); pos != std::string::npos;
       pos = hay.find(needle, pos + 1))
    ++n;
  return n;
}

struct FakeClock {
  RepeatLimiter::TimePoint now{};
  rs::log::Dispatcher::Clock fn() {
    return [this] { return now; };
  }
};

// A logger whose dispatcher writes to an ostream (every class) and whose clock the test moves.
struct Fixture {
  FakeClock clock;
  std::ostringstream out;
  std::shared_ptr<rs::log::Dispatcher> d = std::make_shared<rs::log::Dispatcher>(10s, clock.fn());
  std::shared_ptr<spdlog::logger> logger = std::make_shared<spdlog::logger>("rsd", d);
  Fixture() {
    auto os = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    os->set_pattern("%v");
    d->set_targets({os});
    logger->set_level(spdlog::level::trace);
  }
};

}  // namespace

TEST_CASE("repeat limiter: one window, repeats counted and summarised when it ends") {
  RepeatLimiter rl(10s);
  std::vector<RepeatLimiter::Summary> due;
  RepeatLimiter::TimePoint t{};
  CHECK(rl.admit("k", "peer1: session down", 7, t, due));
  for (int i = 1; i <= 5; ++i)
    CHECK_FALSE(rl.admit("k", "peer1: session down", 7, t + i * 1s, due));
  CHECK(rl.admit("other", "peer2: up", 1, t + 5s, due));  // another key is independent
  CHECK(due.empty());
  rl.expire(t + 9999ms, due);
  CHECK(due.empty());
  rl.expire(t + 10s, due);
  REQUIRE(due.size() == 1);
  CHECK(due[0].repeats == 5);
  CHECK(due[0].tag == 7);
  CHECK(RepeatLimiter::summary_text(due[0]) ==
        "last message repeated 5 times: peer1: session down");
  CHECK(rl.suppressed() == 5);
  // The key was forgotten: the next occurrence is written and opens a new window.
  due.clear();
  CHECK(rl.admit("k", "peer1: session down", 7, t + 11s, due));
  CHECK_FALSE(rl.admit("k", "peer1: session down", 7, t + 12s, due));
}

TEST_CASE(
    "repeat limiter: a window that ended between ticks is summarised by the next occurrence") {
  RepeatLimiter rl(10s);
  std::vector<RepeatLimiter::Summary> due;
  RepeatLimiter::TimePoint t{};
  CHECK(rl.admit("k", "x", 0, t, due));
  CHECK_FALSE(rl.admit("k", "x", 0, t + 1s, due));
  CHECK(rl.admit("k", "x", 0, t + 30s, due));  // written again
  REQUIRE(due.size() == 1);
  CHECK(due[0].repeats == 1);
  CHECK(RepeatLimiter::summary_text(due[0]) == "last message repeated 1 time: x");
  // No repeats: the window ends silently.
  RepeatLimiter quiet(10s);
  std::vector<RepeatLimiter::Summary> none;
  CHECK(quiet.admit("a", "a", 0, t, none));
  quiet.expire(t + 1h, none);
  CHECK(none.empty());
  CHECK(quiet.tracked() == 0);
}

TEST_CASE("repeat limiter: tracks at most max_keys, the rest pass unlimited") {
  RepeatLimiter rl(10s, 2);
  std::vector<RepeatLimiter::Summary> due;
  RepeatLimiter::TimePoint t{};
  CHECK(rl.admit("a", "a", 0, t, due));
  CHECK(rl.admit("b", "b", 0, t, due));
  CHECK(rl.admit("c", "c", 0, t, due));
  CHECK(rl.admit("c", "c", 0, t, due));  // untracked
  CHECK_FALSE(rl.admit("a", "a", 0, t, due));
  CHECK(rl.tracked() == 2);
}

TEST_CASE("dispatcher: a flapping peer's messages are suppressed and summarised (fake clock)") {
  Fixture f;
  for (int i = 0; i < 50; ++i) {
    f.logger->warn("peer1: session down: hold timer expired");
    f.logger->info("peer1: session up");
    f.clock.now += 100ms;  // 5 s of flapping
  }
  f.logger->info("something else");
  std::string text = f.out.str();
  CHECK(count_of(text, "peer1: session down: hold timer expired") == 1);
  CHECK(count_of(text, "peer1: session up") == 1);
  CHECK(count_of(text, "something else") == 1);
  CHECK(f.d->suppressed() == 98);
  f.d->tick();  // the window has not ended: nothing yet
  CHECK(count_of(f.out.str(), "repeated") == 0);
  f.clock.now += 6s;
  f.d->tick();
  text = f.out.str();
  CHECK(count_of(text,
                 "last message repeated 49 times: peer1: session down: hold timer expired\n") == 1);
  CHECK(count_of(text, "last message repeated 49 times: peer1: session up\n") == 1);
  CHECK(count_of(text, "repeated") == 2);
  // Summaries keep the class of what they summarise: a target for warnings only gets that one.
  std::ostringstream warn_only;
  auto os = std::make_shared<spdlog::sinks::ostream_sink_mt>(warn_only);
  os->set_pattern("%v");
  f.d->set_targets({std::make_shared<rs::log::ClassFilterSink>(os, rs::conf::kLogWarning)});
  for (int i = 0; i < 3; ++i) f.logger->warn("w"), f.logger->info("i");
  f.clock.now += 11s;
  f.d->tick();
  CHECK(warn_only.str() == "w\nlast message repeated 2 times: w\n");
}

TEST_CASE("dispatcher: debug and trace classes are never suppressed") {
  Fixture f;
  for (int i = 0; i < 5; ++i) {
    f.logger->debug("dbg");
    rs::log::detail::ClassScope scope(rs::conf::kLogTrace);
    f.logger->info("peer1 < KEEPALIVE length 19");
  }
  CHECK(count_of(f.out.str(), "dbg\n") == 5);
  CHECK(count_of(f.out.str(), "peer1 < KEEPALIVE length 19\n") == 5);
}

TEST_CASE("class filter: each target gets exactly the classes it lists") {
  Fixture f;
  std::ostringstream a, b;
  auto sa = std::make_shared<spdlog::sinks::ostream_sink_mt>(a);
  auto sb = std::make_shared<spdlog::sinks::ostream_sink_mt>(b);
  sa->set_pattern("%v");
  sb->set_pattern("%v");
  f.d->set_targets(
      {std::make_shared<rs::log::ClassFilterSink>(sa, rs::conf::kLogAuth | rs::conf::kLogRemote),
       std::make_shared<rs::log::ClassFilterSink>(sb, rs::conf::kLogInfo | rs::conf::kLogError)});
  auto prev = spdlog::default_logger();
  spdlog::set_default_logger(f.logger);
  spdlog::info("plain info");
  spdlog::error("an error");
  rs::log::remote("peer1: malformed UPDATE");
  rs::log::auth("control: access denied");
  rs::log::trace("peer1 > added 10.0.0.0/24");
  rs::log::bug("broken invariant");
  spdlog::set_default_logger(prev);
  CHECK(a.str() == "peer1: malformed UPDATE\ncontrol: access denied\n");
  CHECK(b.str() == "plain info\nan error\n");
  CHECK(rs::log::class_name(rs::conf::kLogRemote) == "remote");
}

TEST_CASE("file sink: reopen after a rename (logrotate) and rotation at a size") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("rsd-log-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "rsd.log").string();
  {
    Fixture f;
    auto file = std::make_shared<rs::log::FileSink>(path);
    REQUIRE(file->error().empty());
    file->set_pattern("%v");
    f.d->set_targets({std::make_shared<rs::log::ClassFilterSink>(file, rs::conf::kLogAll)});
    f.logger->info("before rotation");
    f.logger->flush();
    fs::rename(path, path + ".1");  // logrotate's rename
    f.logger->info("still into the renamed file");
    f.logger->flush();
    f.d->reopen();  // what SIGUSR1 / SIGHUP do
    f.logger->info("after reopen");
    f.logger->flush();
    CHECK(slurp(path + ".1") == "before rotation\nstill into the renamed file\n");
    CHECK(slurp(path) == "after reopen\n");
  }
  {
    const std::string sized = (dir / "sized.log").string();
    Fixture f;
    auto file = std::make_shared<rs::log::FileSink>(sized, 40, sized + ".old");
    file->set_pattern("%v");
    f.d->set_targets({file});
    for (int i = 0; i < 5; ++i) f.logger->info("line number {:02d} ....", i);  // 20 bytes each
    f.logger->flush();
    CHECK(slurp(sized + ".old") == "line number 02 ....\nline number 03 ....\n");
    CHECK(slurp(sized) == "line number 04 ....\n");
  }
  {
    rs::log::FileSink bad((dir / "no" / "such" / "dir.log").string());
    CHECK_FALSE(bad.error().empty());
  }
  fs::remove_all(dir);
}
