// History store, queries and recorder: batching (size and time window), the bounded queue's drops
// and gap rows, failures that degrade history only (unopenable path, immutable file and directory,
// a locked database), retention by age and size, the query filters and time parsing, failover
// derivation, the operator state sharing the database; and the figures the report quotes
// (enqueue cost, rows per second the writer sustains).
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "rs/health/operator_state.hpp"
#include "rs/history/query.hpp"
#include "rs/history/recorder.hpp"
#include "rs/history/store.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using rs::history::Query;
using rs::history::Row;
using rs::history::Store;
using rs::history::StoreOptions;

namespace {

std::string temp_dir() {
  static int n = 0;
  fs::path d = fs::temp_directory_path() /
               ("rsd_history_" + std::to_string(getpid()) + "_" + std::to_string(n++));
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

Row row(std::string kind, std::string msg, int64_t ts = 0) {
  Row r;
  r.ts_us = ts ? ts : Store::now_us();
  r.kind = std::move(kind);
  r.message = std::move(msg);
  return r;
}

StoreOptions opts(const std::string& path) {
  StoreOptions o;
  o.path = path;
  o.batch_window = 20ms;
  o.reopen_interval = 50ms;
  o.busy_timeout_ms = 50;
  return o;
}

std::vector<rs::history::EventView> all(const std::string& path, Query q = {}) {
  q.limit = 100000;
  std::string err;
  auto v = rs::history::run_query(path, q, err);
  INFO(err);
  CHECK(err.empty());
  return v;
}

bool chattr(const std::string& flag, const std::string& path) {
  return std::system(("chattr " + flag + " '" + path + "' 2>/dev/null").c_str()) == 0;
}

}  // namespace

TEST_CASE("rows are committed in batches of at most batch_max, oldest first") {
  const std::string db = temp_dir() + "/h.db";
  auto o = opts(db);
  o.batch_max = 100;
  Store s(o);
  const int64_t t = Store::now_us();
  for (int i = 0; i < 250; ++i) CHECK(s.enqueue(row("session", "m" + std::to_string(i), t + i)));
  s.start();
  REQUIRE(s.flush());
  auto st = s.stats();
  CHECK(st.written == 250);
  CHECK(st.batches == 3);  // 100 + 100 + 50: the queue was full before the thread started
  CHECK(st.dropped == 0);
  CHECK(st.open);
  CHECK(st.db_bytes > 0);
  auto v = all(db);
  REQUIRE(v.size() == 250);
  CHECK(v.front().message == "m0");
  CHECK(v.back().message == "m249");
  Query q;
  q.limit = 10;
  std::string err;
  auto last = rs::history::run_query(db, q, err);
  REQUIRE(last.size() == 10);
  CHECK(last.front().message == "m240");  // the newest ten, in order
}

TEST_CASE("a lone row waits for the batch window, not longer") {
  const std::string db = temp_dir() + "/h.db";
  auto o = opts(db);
  o.batch_window = 300ms;
  Store s(o);
  s.start();
  std::this_thread::sleep_for(100ms);  // the thread opened the database
  const auto t0 = std::chrono::steady_clock::now();
  s.enqueue(row("health", "x"));
  std::this_thread::sleep_for(100ms);
  CHECK(s.stats().written == 0);
  while (s.stats().written == 0 && std::chrono::steady_clock::now() - t0 < 5s)
    std::this_thread::sleep_for(5ms);
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(s.stats().written == 1);
  CHECK(waited >= 290ms);
  CHECK(waited < 3s);
}

TEST_CASE("a full queue drops and counts; a gap row marks the hole when space returns") {
  const std::string db = temp_dir() + "/h.db";
  auto o = opts(db);
  o.capacity = 4;
  Store s(o);  // not started: nothing drains
  for (int i = 0; i < 4; ++i) CHECK(s.enqueue(row("session", "ok" + std::to_string(i))));
  CHECK_FALSE(s.enqueue(row("session", "lost1")));
  CHECK_FALSE(s.enqueue(row("session", "lost2")));
  auto st = s.stats();
  CHECK(st.queue_depth == 4);
  CHECK(st.queue_capacity == 4);
  CHECK(st.dropped == 2);
  s.start();
  REQUIRE(s.flush());
  CHECK(s.enqueue(row("session", "after")));
  REQUIRE(s.flush());
  st = s.stats();
  CHECK(st.gaps == 1);
  CHECK(st.written == 6);  // 4 + gap + after
  auto v = all(db);
  REQUIRE(v.size() == 6);
  CHECK(v[4].kind == "gap");
  CHECK(v[4].message == "2 events dropped: history queue full");
  CHECK(v[5].message == "after");
}

TEST_CASE("a database that cannot be opened degrades history only, and is retried") {
  const std::string dir = temp_dir();
  const std::string db = dir + "/missing/h.db";  // the directory does not exist yet
  Store s(opts(db));
  s.start();
  CHECK(s.enqueue(row("session", "a")));
  REQUIRE(s.flush());
  auto st = s.stats();
  CHECK_FALSE(st.open);
  CHECK(st.write_errors >= 1);
  CHECK(st.dropped == 1);
  fs::create_directories(dir + "/missing");
  std::this_thread::sleep_for(100ms);  // past the reopen interval
  CHECK(s.enqueue(row("session", "b")));
  REQUIRE(s.flush());
  st = s.stats();
  CHECK(st.open);
  auto v = all(db);
  REQUIRE(v.size() == 2);
  CHECK(v[0].kind == "gap");
  CHECK(v[0].message.find("1 events lost") == 0);
  CHECK(v[1].message == "b");
}

TEST_CASE("an immutable database file or directory degrades history only") {
  const std::string dir = temp_dir();
  const std::string db = dir + "/h.db";
  {
    Store s(opts(db));
    s.start();
    s.enqueue(row("session", "before"));
    REQUIRE(s.flush());
  }
  if (!chattr("+i", db)) {
    MESSAGE("chattr not available: skipped");
    return;
  }
  {
    Store s(opts(db));
    s.start();
    for (int i = 0; i < 10; ++i) CHECK(s.enqueue(row("session", "x")));
    REQUIRE(s.flush());
    auto st = s.stats();
    CHECK_FALSE(st.open);
    CHECK(st.write_errors >= 1);
    CHECK(st.dropped == 10);
  }
  CHECK(chattr("-i", db));
  const std::string dir2 = temp_dir();
  REQUIRE(chattr("+i", dir2));
  {
    Store s(opts(dir2 + "/h.db"));
    s.start();
    CHECK(s.enqueue(row("session", "x")));
    REQUIRE(s.flush());
    CHECK(s.stats().write_errors >= 1);
    CHECK(s.stats().dropped == 1);
  }
  CHECK(chattr("-i", dir2));
}

TEST_CASE("a locked database loses the batch, counts it, and writes a gap row later") {
  const std::string db = temp_dir() + "/h.db";
  Store s(opts(db));
  s.start();
  s.enqueue(row("session", "first"));
  REQUIRE(s.flush());
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) CHECK(s.enqueue(row("session", "locked")));
  CHECK(std::chrono::steady_clock::now() - t0 < 20ms);  // enqueue never waits for the lock
  REQUIRE(s.flush());
  CHECK(s.stats().dropped == 3);
  CHECK(s.stats().write_errors >= 1);
  REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  std::this_thread::sleep_for(100ms);
  s.enqueue(row("session", "again"));
  REQUIRE(s.flush());
  auto v = all(db);
  REQUIRE(v.size() == 3);
  CHECK(v[1].kind == "gap");
  CHECK(v[1].message.find("3 events lost") == 0);
  CHECK(v[2].message == "again");
}

TEST_CASE("retention by age and by size") {
  const std::string db = temp_dir() + "/h.db";
  auto o = opts(db);
  o.keep = std::chrono::hours(24);
  o.max_size = 256 * 1024;
  Store s(o);
  s.start();
  const int64_t now = Store::now_us();
  for (int i = 0; i < 10; ++i) s.enqueue(row("session", "old", now - 48ll * 3600 * 1000000));
  s.enqueue(row("session", "new", now));
  REQUIRE(s.flush());
  REQUIRE(s.prune_now());
  auto v = all(db);
  REQUIRE(v.size() == 1);
  CHECK(v[0].message == "new");
  CHECK(s.stats().pruned == 10);
  const std::string big(400, 'x');
  for (int i = 0; i < 5000; ++i) {
    while (!s.enqueue(row("route", big + std::to_string(i), now + i)))
      std::this_thread::sleep_for(1ms);
  }
  REQUIRE(s.flush(20s));
  REQUIRE(s.prune_now(20s));
  v = all(db);
  CHECK(v.size() < 1000);
  REQUIRE(!v.empty());
  CHECK(v.back().message == big + "4999");  // the newest stay
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  auto scalar = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(h, sql, -1, &st, nullptr);
    sqlite3_step(st);
    int64_t x = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return x;
  };
  CHECK((scalar("PRAGMA page_count") - scalar("PRAGMA freelist_count")) *
            scalar("PRAGMA page_size") <=
        256 * 1024);
  sqlite3_close(h);
}

TEST_CASE("queries select by prefix, protocol, health, time and kind") {
  const std::string db = temp_dir() + "/h.db";
  Store s(opts(db));
  s.start();
  const int64_t t = Store::now_us() - 10'000'000;
  Row a = row("session", "down", t + 1000);
  a.protocol = "peer1";
  Row b = row("health", "up -> down", t + 2000);
  b.health = "web";
  Row c = row("route", "best x -> y", t + 3000);
  c.prefix = "192.0.2.1/32";
  c.protocol = "peer2";
  Row d = row("failover", "f", t + 4000);
  d.prefix = "192.0.2.1/32";
  d.old_best = "x", d.new_best = "y", d.cause = "health web down", d.latency_us = 1234;
  for (Row* r : {&a, &b, &c, &d}) s.enqueue(std::move(*r));
  REQUIRE(s.flush());
  Query q;
  q.protocol = "peer1";
  CHECK(all(db, q).size() == 1);
  q = {};
  q.health = "web";
  REQUIRE(all(db, q).size() == 1);
  CHECK(all(db, q)[0].message == "up -> down");
  q = {};
  q.prefix = "192.0.2.1/32";
  CHECK(all(db, q).size() == 2);
  q.failovers_only = true;
  auto f = all(db, q);
  REQUIRE(f.size() == 1);
  CHECK(f[0].cause == "health web down");
  CHECK(f[0].latency_us == 1234);
  q = {};
  q.since_us = t + 2000;
  q.until_us = t + 3000;
  CHECK(all(db, q).size() == 2);
  std::string err;
  CHECK(rs::history::run_query(temp_dir() + "/none.db", Query{}, err).empty());
  CHECK_FALSE(err.empty());
}

TEST_CASE("time parsing: ISO-8601 local and UTC, relative, errors") {
  std::string err;
  const int64_t now = 1'800'000'000'000'000;
  CHECK(rs::history::parse_time("now", now, err) == now);
  CHECK(rs::history::parse_time("10 min ago", now, err) == now - 600'000'000);
  CHECK(rs::history::parse_time("-10m", now, err) == now - 600'000'000);
  CHECK(rs::history::parse_time("-2h", now, err) == now - 7200'000'000);
  CHECK(rs::history::parse_time("1 day ago", now, err) == now - 86400'000'000);
  CHECK(rs::history::parse_time("-30 s", now, err) == now - 30'000'000);
  CHECK(rs::history::parse_time("2026-11-25T03:12:00Z", now, err) == 1795576320ll * 1000000);
  CHECK(rs::history::parse_time("2026-11-25 03:12Z", now, err) == 1795576320ll * 1000000);
  CHECK(rs::history::parse_time("2026-11-25T03:12:00.250Z", now, err) ==
        1795576320ll * 1000000 + 250000);
  CHECK(rs::history::parse_time("2026-11-25Z", now, err) == 1795564800ll * 1000000);
  // Far back: the largest number the reader takes times a week overflowed int64 microseconds.
  CHECK(rs::history::parse_time("-3000 weeks", now, err) == now - 3000ll * 604800 * 1000000);
  CHECK_FALSE(rs::history::parse_time("-999999999w", now, err));
  CHECK(err.find("too far back") != std::string::npos);
  CHECK_FALSE(rs::history::parse_time("999999999 weeks ago", now, err));
  // Local time: the same wall clock as mktime gives.
  std::tm tm{};
  tm.tm_year = 126, tm.tm_mon = 10, tm.tm_mday = 25, tm.tm_hour = 3, tm.tm_min = 12,
  tm.tm_isdst = -1;
  CHECK(rs::history::parse_time("2026-11-25 03:12", now, err) ==
        static_cast<int64_t>(std::mktime(&tm)) * 1000000);
  CHECK(rs::history::parse_time("2026-11-25T03:12:00", now, err) ==
        static_cast<int64_t>(std::mktime(&tm)) * 1000000);
  int64_t span = -1;
  CHECK(rs::history::parse_time("2026-11-25 03:12", now, err, &span));
  CHECK(span == 59'999'999);
  CHECK(rs::history::parse_time("2026-11-25 03:12:07.5", now, err, &span));
  CHECK(span == 99'999);
  CHECK(rs::history::parse_time("2026-11-25 03:12:07.123", now, err, &span));
  CHECK(span == 999);
  CHECK(rs::history::parse_time("2026-11-25", now, err, &span));
  CHECK(span == 86'399'999'999);
  CHECK(rs::history::parse_time("-5m", now, err, &span));
  CHECK(span == 0);
  for (const char* bad : {"", "yesterday", "10 parsecs ago", "-m", "2026-13-01", "2026-11-25 3:12",
                          "2026-11-25 03:12:xx", "2026/11/25"}) {
    err.clear();
    CHECK_FALSE(rs::history::parse_time(bad, now, err));
    CHECK_FALSE(err.empty());
  }
}

TEST_CASE(
    "recorder: sessions with NOTIFICATION and flaps, operator, failover with cause and latency") {
  const std::string db = temp_dir() + "/h.db";
  Store s(opts(db));
  s.start();
  rs::history::Recorder rec(s);
  rs::events::SessionEvent up;
  up.protocol = "peer1";
  up.neighbor = "192.0.2.1";
  rec.session(up);
  rs::events::SessionEvent down;
  down.kind = rs::events::SessionEvent::Kind::Down;
  down.protocol = "peer1";
  down.reason = "received NOTIFICATION";
  down.notification =
      rs::events::SessionEvent::Notification{false, 6, 2, "Cease / Administrative Shutdown"};
  rec.session(down);
  rec.session(down);
  CHECK(rec.flaps("peer1") == 2);
  rs::events::OperatorEvent op;
  op.command = "disable peer1";
  op.result = "peer1: disabled";
  op.user = "alice", op.uid = 1000, op.pid = 42, op.socket = "/run/rsd.ctl";
  rec.operator_command(op);
  rs::events::BestPathEvent bp;
  bp.prefix = "203.0.113.1/32";
  bp.old_source = "peer1", bp.old_best = "peer1 via 192.0.2.1";
  bp.new_source = "peer2", bp.new_best = "peer2 via 192.0.2.2";
  bp.reason = "lowest MED";
  rec.best_path(bp);
  CHECK(rec.pending_failovers() == 1);
  std::this_thread::sleep_for(5ms);
  rec.on_export("edge");
  CHECK(rec.pending_failovers() == 0);
  REQUIRE(s.flush());
  auto v = all(db);
  REQUIRE(v.size() == 6);
  CHECK(v[0].message == "up (192.0.2.1)");
  CHECK(v[1].message ==
        "down: received NOTIFICATION 6/2 (Cease / Administrative Shutdown); flaps 1");
  CHECK(v[3].kind == "operator");
  CHECK(v[3].message ==
        "disable peer1 -> peer1: disabled (by alice uid 1000 pid 42 on /run/rsd.ctl)");
  CHECK(v[4].kind == "route");
  CHECK(v[4].message == "best peer1 via 192.0.2.1 -> peer2 via 192.0.2.2 (lowest MED)");
  CHECK(v[5].kind == "failover");
  CHECK(v[5].cause == "session peer1 down: received NOTIFICATION");
  CHECK(v[5].latency_us >= 5000);
  CHECK(v[5].new_best == "peer2 via 192.0.2.2");
}

TEST_CASE("recorder: a health transition is the cause of the failover away from its route") {
  const std::string db = temp_dir() + "/h.db";
  Store s(opts(db));
  s.start();
  rs::history::Recorder rec(s);
  rs::events::HealthEvent h;
  h.check = "web";
  h.from = "up", h.to = "down", h.output = "http failed (connection refused)";
  rec.health(h);
  rs::events::BestPathEvent bp;
  bp.prefix = "203.0.113.1/32";
  bp.old_source = "health web", bp.old_best = "health web via 10.0.0.1 med 100";
  rec.best_path(bp);  // withdrawn: no new best
  rec.on_export("edge");
  // A change that keeps the source is no failover.
  bp.old_source = bp.new_source = "peer3";
  rec.best_path(bp);
  CHECK(rec.pending_failovers() == 0);
  REQUIRE(s.flush());
  Query q;
  q.failovers_only = true;
  auto v = all(db, q);
  REQUIRE(v.size() == 1);
  CHECK(v[0].cause == "health web down");
  CHECK(v[0].new_best.empty());
  q = {};
  q.health = "web";
  REQUIRE(all(db, q).size() == 1);
  CHECK(all(db, q)[0].message == "up -> down: http failed (connection refused)");
}

TEST_CASE("the operator state shares the history database (own table)") {
  const std::string db = temp_dir() + "/h.db";
  Store s(opts(db));
  s.start();
  std::string err;
  auto ops = rs::health::OperatorStateStore::open(db, err);
  INFO(err);
  REQUIRE(ops);
  CHECK(ops->set("web", "maintenance", "on").empty());
  s.enqueue(row("operator", "maintenance web on"));
  REQUIRE(s.flush());
  CHECK(all(db).size() == 1);
  auto recs = ops->load(err);
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].kind == "maintenance");
}

TEST_CASE("figures: enqueue cost and rows per second the writer sustains") {
  const std::string db = temp_dir() + "/h.db";
  auto o = opts(db);
  o.capacity = 1 << 20;
  o.batch_window = 100ms;
  Store s(o);
  constexpr int kRows = 200000;
  std::vector<Row> rows;
  rows.reserve(kRows);
  for (int i = 0; i < kRows; ++i) {
    Row r = row("route", "best peer1 via 192.0.2.1 -> peer2 via 192.0.2.2 (lowest MED)");
    r.prefix = "203.0.113." + std::to_string(i % 256) + "/32";
    r.protocol = "peer2";
    rows.push_back(std::move(r));
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& r : rows) s.enqueue(std::move(r));
  const auto t1 = std::chrono::steady_clock::now();
  s.start();
  REQUIRE(s.flush(120s));
  const auto t2 = std::chrono::steady_clock::now();
  CHECK(s.stats().written == kRows);
  const double enq_ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / kRows;
  const double per_s = kRows / std::chrono::duration<double>(t2 - t1).count();
  MESSAGE("enqueue: " << enq_ns << " ns/row; writer: " << per_s << " rows/s in batches of 1000");
  CHECK(enq_ns < 20000);
  // The event loop's whole cost per event: formatting in the recorder plus the enqueue.
  Store s2(o);
  rs::history::Recorder rec(s2);
  rs::events::BestPathEvent bp;
  bp.prefix = "203.0.113.1/32";
  bp.new_source = "peer2", bp.new_best = "peer2 via 192.0.2.2 med 10";
  bp.old_best = "peer1 via 192.0.2.1 med 5";
  bp.reason = "MED";
  const auto t3 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100000; ++i) rec.best_path(bp);
  const double ev_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t3).count() /
      100000;
  MESSAGE("recorder best_path event (format + enqueue): " << ev_ns << " ns");
  CHECK(s2.stats().enqueued == 100000);
}
