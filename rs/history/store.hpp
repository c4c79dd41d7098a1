// The history store: one SQLite database in WAL mode, written only by the store's own thread.
// The event loop calls enqueue(), which moves a row into a bounded ring under a short mutex and
// never touches the disk; the writer thread takes up to `batch_max` rows at a time, waiting at most
// `batch_window` after the first one arrived, and commits each batch as one transaction. A full
// queue drops the row and counts it; when space returns a "gap" row with the count is queued
// first, so the history says where it has a hole. Retention (age and size) runs in the writer
// thread between batches. Any database failure (cannot open, read-only, locked, disk full)
// degrades history only: the batch is counted as lost, the error is reported through `log`, and
// the writer tries to open the database again later.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

struct sqlite3;

namespace rs::history {

// One row of the `events` table. Times are unix microseconds.
struct Row {
  int64_t ts_us = 0;
  std::string kind;      // session, health, operator, route, failover, gap
  std::string protocol;  // session / route / failover: the protocol concerned (may be empty)
  std::string health;    // health: the check
  std::string prefix;    // route / failover
  std::string message;   // human text (what `show history` prints)
  // Failover only.
  std::string old_best, new_best, cause;
  int64_t latency_us = -1;
};

// What the metrics helper reads (plain numbers; safe to call from any thread).
struct HistoryStats {
  uint64_t queue_depth = 0;
  uint64_t queue_capacity = 0;
  uint64_t enqueued = 0;      // rows accepted into the queue
  uint64_t written = 0;       // rows committed to the database
  uint64_t dropped = 0;       // rows lost: queue full, or their batch failed to commit
  uint64_t gaps = 0;          // gap rows queued
  uint64_t write_errors = 0;  // failed opens, statements and commits
  uint64_t batches = 0;       // committed transactions
  uint64_t pruned = 0;        // rows deleted by retention
  uint64_t db_bytes = 0;      // database file plus its WAL
  uint64_t queue_bytes =
      0;              // heap held by the queue: its preallocated slots and the queued rows' text
  bool open = false;  // the writer holds an open, writable database
};

struct StoreOptions {
  std::string path;
  std::chrono::microseconds keep = std::chrono::hours(24 * 30);
  uint64_t max_size = 1ull << 30;  // bytes of pages in use (events table and indexes)
  std::size_t capacity = 65536;    // queue rows
  std::size_t batch_max = 1000;
  std::chrono::milliseconds batch_window{100};
  std::chrono::milliseconds retention_interval{60000};
  std::chrono::milliseconds reopen_interval{5000};
  int busy_timeout_ms = 1000;
  // Where errors go (called on the writer thread): the daemon posts them to the event loop.
  std::function<void(const std::string&)> log;
};

class Store {
 public:
  explicit Store(StoreOptions o);
  ~Store();  // flushes what is queued (one last batch attempt), then stops the thread
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Starts the writer thread (which opens the database).
  void start();
  // O(1), never blocks on the disk. False when the row was dropped (queue full).
  bool enqueue(Row&& r);
  HistoryStats stats() const;
  // Blocks until every row queued before the call is committed or lost (tests, `show history`
  // right after an event). Gives up after `timeout`; true when flushed.
  bool flush(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Runs retention now (on the writer thread) and waits for it (tests).
  bool prune_now(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  const StoreOptions& options() const { return o_; }

  static int64_t now_us();
  // The table and indexes (also used by readers to check a file).
  static const char* schema();

 private:
  void run();
  bool open_db();
  void close_db();
  void write_batch(std::vector<Row>& batch);
  void retention();
  void report(const std::string& what);
  uint64_t file_bytes() const;

  StoreOptions o_;
  // Queue (guarded by mu_).
  mutable std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::deque<Row> queue_;        // bounded by o_.capacity; grows and shrinks with what is waiting
  std::size_t queued_heap_ = 0;  // heap bytes of the queued rows' strings (beyond the slots)
  uint64_t pending_gap_ = 0;
  std::chrono::steady_clock::time_point first_at_{};
  bool stop_ = false;
  bool prune_requested_ = false;
  bool flush_req_ = false;
  uint64_t seq_in_ = 0;    // rows taken into the queue (incl. gap rows)
  uint64_t seq_done_ = 0;  // rows finished (committed or lost)
  uint64_t prune_gen_ = 0, prune_done_ = 0;
  // Counters.
  std::atomic<uint64_t> enqueued_{0}, written_{0}, dropped_{0}, gaps_{0}, write_errors_{0},
      batches_{0}, pruned_{0}, db_bytes_{0};
  std::atomic<bool> open_{false};
  // Writer thread only.
  sqlite3* db_ = nullptr;
  uint64_t lost_since_ok_ = 0;  // rows lost by failed batches, reported as a gap row later
  std::string last_error_;
  std::chrono::steady_clock::time_point next_open_{}, next_retention_{}, last_report_{};
  uint64_t reports_suppressed_ = 0;
  std::thread thread_;
};

}  // namespace rs::history
