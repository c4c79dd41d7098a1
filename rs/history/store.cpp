// History store (see store.hpp). Design:
// - The ring is a fixed vector of rows; enqueue moves into a slot (no allocation beyond the row's
//   own strings) and wakes the writer only when the queue goes from empty to non-empty or reaches
//   a full batch, so a burst costs one notify.
// - The writer commits each batch in one transaction with one prepared INSERT. WAL mode with
//   synchronous=NORMAL: a killed process loses at most the transaction in flight (the WAL is
//   replayed or ignored on the next open; committed frames are never torn).
// - Failures never reach the event loop: a failed batch is rolled back, counted (dropped,
//   write_errors) and remembered as a gap row written with the next good batch. A database that
//   cannot be opened (read-only file or directory, bad path) is retried every reopen_interval.
// - Retention: rows older than `keep` go; then, while the pages in use exceed `max size`, the
//   oldest tenth goes; free pages are returned with incremental vacuum (auto_vacuum=INCREMENTAL is
//   set before the table is first created).
#include "rs/history/store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>

namespace rs::history {

namespace {
struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};
std::string errmsg(sqlite3* db) {
  return db ? sqlite3_errmsg(db) : "out of memory";
}
void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  if (v.empty())
    sqlite3_bind_null(s, i);
  else
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
}  // namespace

const char* Store::schema() {
  return "CREATE TABLE IF NOT EXISTS events("
         " id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL,"
         " protocol TEXT, health TEXT, prefix TEXT, message TEXT NOT NULL,"
         " old_best TEXT, new_best TEXT, cause TEXT, latency_us INTEGER);"
         "CREATE INDEX IF NOT EXISTS events_ts ON events(ts);"
         "CREATE INDEX IF NOT EXISTS events_kind ON events(kind, ts);"
         "CREATE INDEX IF NOT EXISTS events_protocol ON events(protocol, ts) WHERE protocol IS NOT "
         "NULL;"
         "CREATE INDEX IF NOT EXISTS events_health ON events(health, ts) WHERE health IS NOT NULL;"
         "CREATE INDEX IF NOT EXISTS events_prefix ON events(prefix, ts) WHERE prefix IS NOT NULL;";
}

int64_t Store::now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Store::Store(StoreOptions o) : o_(std::move(o)) {
  if (o_.capacity < 2) o_.capacity = 2;
  if (o_.batch_max < 1) o_.batch_max = 1;
}

Store::~Store() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  close_db();
}

void Store::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

namespace {

// Heap bytes a row's strings hold beyond the Row itself (short strings live inside it).
std::size_t row_heap(const Row& r) {
  std::size_t n = 0;
  for (const std::string* x :
       {&r.kind, &r.protocol, &r.health, &r.prefix, &r.message, &r.old_best, &r.new_best, &r.cause})
    if (x->capacity() > std::string().capacity()) n += x->capacity() + 1;
  return n;
}

}  // namespace

bool Store::enqueue(Row&& r) {
  bool wake = false;
  {
    std::lock_guard lk(mu_);
    const std::size_t need = pending_gap_ ? 2 : 1;
    if (queue_.size() + need > o_.capacity) {
      ++pending_gap_;
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    auto push = [&](Row&& x) {
      queued_heap_ += row_heap(x);
      queue_.push_back(std::move(x));
      ++seq_in_;
    };
    if (queue_.empty()) first_at_ = std::chrono::steady_clock::now(), wake = true;
    if (pending_gap_) {
      Row g;
      g.ts_us = r.ts_us;
      g.kind = "gap";
      g.message = std::to_string(pending_gap_) + " events dropped: history queue full";
      pending_gap_ = 0;
      gaps_.fetch_add(1, std::memory_order_relaxed);
      push(std::move(g));
    }
    push(std::move(r));
    enqueued_.fetch_add(1, std::memory_order_relaxed);
    if (queue_.size() == o_.batch_max) wake = true;
  }
  if (wake) cv_.notify_one();
  return true;
}

HistoryStats Store::stats() const {
  HistoryStats s;
  {
    std::lock_guard lk(mu_);
    s.queue_depth = queue_.size();
    // std::deque keeps rows this large one per node: the node, its malloc header, the rows' text.
    s.queue_bytes = queue_.size() * (sizeof(Row) + 16) + queued_heap_;
  }
  s.queue_capacity = o_.capacity;
  s.enqueued = enqueued_.load(std::memory_order_relaxed);
  s.written = written_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.gaps = gaps_.load(std::memory_order_relaxed);
  s.write_errors = write_errors_.load(std::memory_order_relaxed);
  s.batches = batches_.load(std::memory_order_relaxed);
  s.pruned = pruned_.load(std::memory_order_relaxed);
  s.db_bytes = db_bytes_.load(std::memory_order_relaxed);
  s.open = open_.load(std::memory_order_relaxed);
  return s;
}

bool Store::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  const uint64_t target = seq_in_;
  flush_req_ = true;
  lk.unlock();
  cv_.notify_one();
  lk.lock();
  return done_cv_.wait_for(lk, timeout, [&] { return seq_done_ >= target; });
}

bool Store::prune_now(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  const uint64_t gen = ++prune_gen_;
  prune_requested_ = true;
  lk.unlock();
  cv_.notify_one();
  lk.lock();
  return done_cv_.wait_for(lk, timeout, [&] { return prune_done_ >= gen; });
}

void Store::report(const std::string& what) {
  // At most one message per 10 s; the count of the ones held back goes with the next.
  const auto now = std::chrono::steady_clock::now();
  if (last_report_ != std::chrono::steady_clock::time_point{} &&
      now - last_report_ < std::chrono::seconds(10)) {
    ++reports_suppressed_;
    return;
  }
  last_report_ = now;
  std::string msg = "history " + o_.path + ": " + what;
  if (reports_suppressed_)
    msg += " (" + std::to_string(reports_suppressed_) + " similar messages suppressed)";
  reports_suppressed_ = 0;
  if (o_.log) o_.log(msg);
}

uint64_t Store::file_bytes() const {
  uint64_t total = 0;
  struct stat st {};
  if (::stat(o_.path.c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
  if (::stat((o_.path + "-wal").c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
  return total;
}

bool Store::open_db() {
  close_db();
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(o_.path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    report("cannot open: " + errmsg(db));
    sqlite3_close(db);
    return false;
  }
  sqlite3_busy_timeout(db, o_.busy_timeout_ms);
  char* msg = nullptr;
  std::string ddl =
      "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
  ddl += schema();
  if (sqlite3_exec(db, ddl.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    report(std::string("cannot set up the database: ") + (msg ? msg : errmsg(db).c_str()));
    sqlite3_free(msg);
    sqlite3_close(db);
    return false;
  }
  // journal_mode=WAL silently stays "delete" when it cannot create the WAL: check.
  {
    Stmt st;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st.s, nullptr) == SQLITE_OK &&
        sqlite3_step(st.s) == SQLITE_ROW) {
      const unsigned char* m = sqlite3_column_text(st.s, 0);
      if (!m || std::string(reinterpret_cast<const char*>(m)) != "wal")
        report("not in WAL mode (" + std::string(m ? reinterpret_cast<const char*>(m) : "?") + ")");
    }
  }
  if (sqlite3_db_readonly(db, "main") == 1) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    report("the database is read-only");
    sqlite3_close(db);
    return false;
  }
  db_ = db;
  open_.store(true, std::memory_order_relaxed);
  db_bytes_.store(file_bytes(), std::memory_order_relaxed);
  if (!last_error_.empty()) {
    if (o_.log) o_.log("history " + o_.path + ": writing again");
    last_error_.clear();
  }
  return true;
}

void Store::close_db() {
  if (!db_) return;
  sqlite3_close_v2(db_);
  db_ = nullptr;
  open_.store(false, std::memory_order_relaxed);
}

void Store::write_batch(std::vector<Row>& batch) {
  auto fail = [&](const std::string& what) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
    lost_since_ok_ += batch.size();
    last_error_ = what;
    report(what + "; " + std::to_string(batch.size()) + " events lost");
  };
  if (!db_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_open_) {
      next_open_ = now + o_.reopen_interval;
      open_db();
    }
    if (!db_) {
      fail(last_error_.empty() ? std::string("database not open") : last_error_);
      if (last_error_.empty()) last_error_ = "database not open";
      return;
    }
  }
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    fail("cannot begin a transaction: " + errmsg(db_));
    return;
  }
  Stmt ins;
  if (sqlite3_prepare_v2(db_,
                         "INSERT INTO events(ts, kind, protocol, health, prefix, message, "
                         "old_best, new_best, cause,"
                         " latency_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                         -1, &ins.s, nullptr) != SQLITE_OK) {
    const std::string e = errmsg(db_);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    fail("cannot prepare: " + e);
    return;
  }
  auto insert = [&](const Row& r) {
    sqlite3_reset(ins.s);
    sqlite3_bind_int64(ins.s, 1, r.ts_us);
    sqlite3_bind_text(ins.s, 2, r.kind.data(), static_cast<int>(r.kind.size()), SQLITE_STATIC);
    bind_text(ins.s, 3, r.protocol);
    bind_text(ins.s, 4, r.health);
    bind_text(ins.s, 5, r.prefix);
    sqlite3_bind_text(ins.s, 6, r.message.data(), static_cast<int>(r.message.size()),
                      SQLITE_STATIC);
    bind_text(ins.s, 7, r.old_best);
    bind_text(ins.s, 8, r.new_best);
    bind_text(ins.s, 9, r.cause);
    if (r.latency_us >= 0)
      sqlite3_bind_int64(ins.s, 10, r.latency_us);
    else
      sqlite3_bind_null(ins.s, 10);
    return sqlite3_step(ins.s) == SQLITE_DONE;
  };
  bool ok = true;
  if (lost_since_ok_) {
    Row g;
    g.ts_us = batch.empty() ? now_us() : batch.front().ts_us;
    g.kind = "gap";
    g.message = std::to_string(lost_since_ok_) + " events lost: " + last_error_;
    ok = insert(g);
  }
  for (const Row& r : batch) {
    if (!ok) break;
    ok = insert(r);
  }
  if (ok) ok = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
  if (!ok) {
    const std::string e = errmsg(db_);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    fail("write failed: " + e);
    // A read-only or vanished file will not heal on this connection: reopen later.
    close_db();
    next_open_ = std::chrono::steady_clock::now() + o_.reopen_interval;
    return;
  }
  if (lost_since_ok_) gaps_.fetch_add(1, std::memory_order_relaxed);
  lost_since_ok_ = 0;
  written_.fetch_add(batch.size(), std::memory_order_relaxed);
  batches_.fetch_add(1, std::memory_order_relaxed);
  db_bytes_.store(file_bytes(), std::memory_order_relaxed);
  if (!last_error_.empty()) {
    if (o_.log) o_.log("history " + o_.path + ": writing again");
    last_error_.clear();
  }
}

void Store::retention() {
  if (!db_) return;
  auto exec_count = [&](const char* sql, int64_t arg) -> int64_t {
    Stmt st;
    if (sqlite3_prepare_v2(db_, sql, -1, &st.s, nullptr) != SQLITE_OK) return -1;
    sqlite3_bind_int64(st.s, 1, arg);
    if (sqlite3_step(st.s) != SQLITE_DONE) return -1;
    return sqlite3_changes(db_);
  };
  auto scalar = [&](const char* sql) -> int64_t {
    Stmt st;
    if (sqlite3_prepare_v2(db_, sql, -1, &st.s, nullptr) != SQLITE_OK) return -1;
    if (sqlite3_step(st.s) != SQLITE_ROW) return -1;
    return sqlite3_column_int64(st.s, 0);
  };
  int64_t n = exec_count("DELETE FROM events WHERE ts < ?1",
                         now_us() - static_cast<int64_t>(o_.keep.count()));
  if (n < 0) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    report("retention by age failed: " + errmsg(db_));
    return;
  }
  pruned_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
  for (int round = 0; round < 64; ++round) {
    const int64_t pages = scalar("PRAGMA page_count"), freel = scalar("PRAGMA freelist_count"),
                  psize = scalar("PRAGMA page_size");
    if (pages < 0 || freel < 0 || psize <= 0) break;
    if (static_cast<uint64_t>((pages - freel) * psize) <= o_.max_size) break;
    const int64_t rows = scalar("SELECT count(*) FROM events");
    if (rows <= 0) break;
    const int64_t cut = std::max<int64_t>(rows / 10, 1);
    n = exec_count("DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?1)",
                   cut);
    if (n <= 0) {
      write_errors_.fetch_add(1, std::memory_order_relaxed);
      report("retention by size failed: " + errmsg(db_));
      break;
    }
    pruned_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
  }
  sqlite3_exec(db_, "PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);", nullptr, nullptr,
               nullptr);
  db_bytes_.store(file_bytes(), std::memory_order_relaxed);
}

void Store::run() {
  next_open_ = std::chrono::steady_clock::now();
  open_db();
  next_open_ = std::chrono::steady_clock::now() + o_.reopen_interval;
  next_retention_ = std::chrono::steady_clock::now();  // once at start
  std::vector<Row> batch;
  batch.reserve(o_.batch_max);
  for (;;) {
    bool prune = false;
    uint64_t prune_gen = 0;
    {
      std::unique_lock lk(mu_);
      const auto wake_at = std::min(
          next_retention_, db_ ? std::chrono::steady_clock::time_point::max() : next_open_);
      cv_.wait_until(lk, wake_at, [&] { return stop_ || !queue_.empty() || prune_requested_; });
      // Batch window: until batch_max rows or batch_window after the first one.
      if (!stop_ && !queue_.empty() && queue_.size() < o_.batch_max) {
        const auto deadline = first_at_ + o_.batch_window;
        cv_.wait_until(lk, deadline,
                       [&] { return stop_ || flush_req_ || queue_.size() >= o_.batch_max; });
      }
      const std::size_t n = std::min(queue_.size(), o_.batch_max);
      for (std::size_t i = 0; i < n; ++i) {
        queued_heap_ -= std::min(queued_heap_, row_heap(queue_.front()));
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (!queue_.empty())
        first_at_ = std::chrono::steady_clock::now() - o_.batch_window;  // the rest is due now
      flush_req_ = false;
      prune = prune_requested_;
      prune_gen = prune_gen_;
      prune_requested_ = false;
      if (stop_ && n == 0 && !prune) break;
    }
    uint64_t failed_before = write_errors_.load(std::memory_order_relaxed);
    if (!batch.empty()) write_batch(batch);
    std::size_t done = batch.size();
    if (write_errors_.load(std::memory_order_relaxed) != failed_before) {
      // Stopping with a failing database: do not wait a busy timeout per remaining batch.
      std::lock_guard lk(mu_);
      if (stop_ && !queue_.empty()) {
        dropped_.fetch_add(queue_.size(), std::memory_order_relaxed);
        done += queue_.size();
        queue_.clear();
        queued_heap_ = 0;
      }
    }
    batch.clear();
    const auto now = std::chrono::steady_clock::now();
    if (!db_ && now >= next_open_) {
      next_open_ = now + o_.reopen_interval;
      open_db();
    }
    if (prune || now >= next_retention_) {
      retention();
      next_retention_ = now + o_.retention_interval;
    }
    {
      std::lock_guard lk(mu_);
      seq_done_ += done;
      if (prune) prune_done_ = std::max(prune_done_, prune_gen);
    }
    done_cv_.notify_all();
  }
  // Anything still queued at stop was written above (the loop only ends on an empty queue).
  close_db();
}

}  // namespace rs::history
