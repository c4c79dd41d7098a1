// Operator state that survives a restart of rsd (drain, maintenance, disabled checks), kept in the
// SQLite file named by `health { state file "PATH"; }` in the table
//   operator_state(name TEXT, kind TEXT, value TEXT, since INTEGER, PRIMARY KEY (name, kind)).
// A thin RAII wrapper over the sqlite3 C API; every failure is a returned error text, never a
// throw.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace rs::health {

struct OperatorRecord {
  std::string name;   // the healthcheck
  std::string kind;   // "drain", "maintenance", "disabled"
  std::string value;  // kind-specific ("on", "300000 10", ...)
  int64_t since = 0;  // unix seconds
  friend bool operator==(const OperatorRecord&, const OperatorRecord&) = default;
};

class OperatorStateStore {
 public:
  // Opens (creating if needed) the database; an error text on failure.
  [[nodiscard]] static std::unique_ptr<OperatorStateStore> open(const std::string& path,
                                                                std::string& error);
  ~OperatorStateStore();
  OperatorStateStore(const OperatorStateStore&) = delete;
  OperatorStateStore& operator=(const OperatorStateStore&) = delete;

  [[nodiscard]] std::string set(const std::string& name, const std::string& kind,
                                const std::string& value);
  [[nodiscard]] std::string clear(const std::string& name, const std::string& kind);
  [[nodiscard]] std::vector<OperatorRecord> load(std::string& error) const;

 private:
  explicit OperatorStateStore(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace rs::health
