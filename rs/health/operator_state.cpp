// SQLite-backed operator state. Design: one connection, prepared statements finalized by a small
// RAII guard, WAL journal so a reader (the history issue's CLI) never blocks the daemon, a 1 s busy
// timeout. Writes are rare (operator commands), so each is its own implicit transaction.
#include "rs/health/operator_state.hpp"

#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <thread>

namespace rs::health {

namespace {
struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};
std::string errmsg(sqlite3* db) {
  return db ? sqlite3_errmsg(db) : "out of memory";
}
}  // namespace

std::unique_ptr<OperatorStateStore> OperatorStateStore::open(const std::string& path,
                                                             std::string& error) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    error = path + ": " + errmsg(db);
    sqlite3_close(db);
    return nullptr;
  }
  std::unique_ptr<OperatorStateStore> s(new OperatorStateStore(db));
  sqlite3_busy_timeout(db, 1000);
  char* msg = nullptr;
  const char* ddl =
      "PRAGMA journal_mode=WAL;"
      "CREATE TABLE IF NOT EXISTS operator_state(name TEXT NOT NULL, kind TEXT NOT NULL, value "
      "TEXT NOT NULL,"
      " since INTEGER NOT NULL, PRIMARY KEY (name, kind));";
  // The history writer may be setting up the same file (journal mode changes do not wait on the
  // busy handler): retry a locked database for up to a second.
  int rc = SQLITE_BUSY;
  for (int i = 0; i < 20; ++i) {
    sqlite3_free(msg);
    msg = nullptr;
    rc = sqlite3_exec(db, ddl, nullptr, nullptr, &msg);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (rc != SQLITE_OK) {
    error = path + ": " + (msg ? msg : "cannot create operator_state");
    sqlite3_free(msg);
    return nullptr;
  }
  return s;
}

OperatorStateStore::~OperatorStateStore() {
  sqlite3_close(db_);
}

std::string OperatorStateStore::set(const std::string& name, const std::string& kind,
                                    const std::string& value) {
  Stmt st;
  if (sqlite3_prepare_v2(
          db_,
          "INSERT INTO operator_state(name, kind, value, since) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT(name, kind) DO UPDATE SET value = excluded.value, since = excluded.since",
          -1, &st.s, nullptr) != SQLITE_OK)
    return errmsg(db_);
  sqlite3_bind_text(st.s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 2, kind.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 3, value.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 4, static_cast<sqlite3_int64>(std::time(nullptr)));
  if (sqlite3_step(st.s) != SQLITE_DONE) return errmsg(db_);
  return {};
}

std::string OperatorStateStore::clear(const std::string& name, const std::string& kind) {
  Stmt st;
  if (sqlite3_prepare_v2(db_, "DELETE FROM operator_state WHERE name = ?1 AND kind = ?2", -1, &st.s,
                         nullptr) != SQLITE_OK)
    return errmsg(db_);
  sqlite3_bind_text(st.s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 2, kind.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.s) != SQLITE_DONE) return errmsg(db_);
  return {};
}

std::vector<OperatorRecord> OperatorStateStore::load(std::string& error) const {
  std::vector<OperatorRecord> out;
  Stmt st;
  if (sqlite3_prepare_v2(db_,
                         "SELECT name, kind, value, since FROM operator_state ORDER BY name, kind",
                         -1, &st.s, nullptr) != SQLITE_OK) {
    error = errmsg(db_);
    return out;
  }
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    auto text = [&](int i) {
      const unsigned char* t = sqlite3_column_text(st.s, i);
      return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
    };
    out.push_back({text(0), text(1), text(2), sqlite3_column_int64(st.s, 3)});
  }
  if (rc != SQLITE_DONE) error = errmsg(db_);
  return out;
}

}  // namespace rs::health
