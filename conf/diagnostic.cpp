// Diagnostics: formatting of `file:line:col: message` and the collector. Errors past
// kMaxStoredErrors are counted only, so a fuzzed or binary input cannot grow the list without
// bound.
#include "conf/diagnostic.hpp"

#include <algorithm>

namespace rs::conf {

std::string Location::to_string() const {
  std::string s(file_name());
  s += ':';
  s += std::to_string(line);
  s += ':';
  s += std::to_string(col);
  return s;
}

std::string Diagnostic::to_string() const {
  std::string s = location.to_string();
  s += severity == Severity::Warning ? ": warning: " : ": ";
  s += message;
  return s;
}

std::string Diagnostic::short_string() const {
  std::string s = std::to_string(location.line) + ":" + std::to_string(location.col);
  s += severity == Severity::Warning ? ": warning: " : ": ";
  s += message;
  return s;
}

void Diagnostics::error(const Location& loc, std::string message) {
  add(Diagnostic{Severity::Error, loc, std::move(message)});
}

void Diagnostics::warning(const Location& loc, std::string message) {
  add(Diagnostic{Severity::Warning, loc, std::move(message)});
}

void Diagnostics::add(Diagnostic d) {
  if (d.severity == Severity::Error) {
    ++errors_;
    if (errors_ > kMaxStoredErrors) return;
  } else {
    ++warnings_;
    if (warnings_ > kMaxStoredErrors) return;
  }
  items_.push_back(std::move(d));
}

void Diagnostics::merge(const Diagnostics& other) {
  for (const auto& d : other.items_) add(d);
  // Count what `other` dropped too.
  if (other.errors_ > other.kMaxStoredErrors) errors_ += other.errors_ - kMaxStoredErrors;
  if (other.warnings_ > other.kMaxStoredErrors) warnings_ += other.warnings_ - kMaxStoredErrors;
}

void Diagnostics::sort_by_location(const std::vector<std::string>& file_order) {
  auto rank = [&](const Location& l) {
    for (std::size_t i = 0; i < file_order.size(); ++i)
      if (file_order[i] == l.file_name()) return i;
    return file_order.size();
  };
  std::stable_sort(items_.begin(), items_.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    auto ra = rank(a.location), rb = rank(b.location);
    if (ra != rb) return ra < rb;
    if (a.location.line != b.location.line) return a.location.line < b.location.line;
    return a.location.col < b.location.col;
  });
}

const Diagnostic* Diagnostics::first_error() const {
  for (const auto& d : items_)
    if (d.severity == Severity::Error) return &d;
  return nullptr;
}

std::string Diagnostics::to_string() const {
  std::string s;
  for (const auto& d : items_) {
    s += d.to_string();
    s += '\n';
  }
  return s;
}

}  // namespace rs::conf
