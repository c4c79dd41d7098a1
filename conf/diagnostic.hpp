// Source locations and diagnostics of the configuration language.
//  - Location: file (name shared by every token of that file), line and column, both 1-based.
//    Columns count bytes; a tab is one column.
//  - Diagnostic: one error or warning; to_string() gives `file:line:col: message` for errors and
//    `file:line:col: warning: message` for warnings (the format every test asserts).
//  - Diagnostics: the collector the lexer and the parsers write to. It never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rs::conf {

struct Location {
  std::shared_ptr<const std::string> file;  // shared by all tokens of one file; may be null
  uint32_t line = 0;
  uint32_t col = 0;

  std::string_view file_name() const { return file ? std::string_view(*file) : std::string_view(); }
  // "file:line:col"
  std::string to_string() const;
  friend bool operator==(const Location& a, const Location& b) {
    return a.line == b.line && a.col == b.col && a.file_name() == b.file_name();
  }
};

enum class Severity : uint8_t { Error, Warning };

struct Diagnostic {
  Severity severity = Severity::Error;
  Location location;
  std::string message;

  // "file:line:col: message" or "file:line:col: warning: message"
  std::string to_string() const;
  // "line:col: message" (no file name), handy in tests.
  std::string short_string() const;
};

class Diagnostics {
 public:
  // After this many errors further errors are counted but not stored (keeps broken input cheap).
  static constexpr std::size_t kMaxStoredErrors = 100;

  void error(const Location& loc, std::string message);
  void warning(const Location& loc, std::string message);
  void add(Diagnostic d);
  void merge(const Diagnostics& other);

  bool has_errors() const { return errors_ > 0; }
  std::size_t error_count() const { return errors_; }
  std::size_t warning_count() const { return warnings_; }
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  // Stable sort by location: files in the order given by `file_rank` (unknown files last), then
  // line and column.
  void sort_by_location(const std::vector<std::string>& file_order);
  // First error, or nullptr.
  const Diagnostic* first_error() const;
  // Every diagnostic, one per line, in the order reported.
  std::string to_string() const;

 private:
  std::vector<Diagnostic> items_;
  std::size_t errors_ = 0;
  std::size_t warnings_ = 0;
};

}  // namespace rs::conf
