// Prometheus text exposition 0.0.4. Design: each family accumulates its own text, so samples of
// one family stay contiguous whatever order collectors run in (the format requires one group per
// family), and HELP/TYPE appear once. Values use std::to_chars: integers exact, doubles in the
// shortest form that reads back to the same value.
#include "rs/metrics/exposition.hpp"

#include <cassert>
#include <charconv>
#include <cmath>

namespace rs::metrics {

std::string_view to_string(MetricType t) {
  switch (t) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Untyped:
      return "untyped";
  }
  return "untyped";
}

namespace {
bool name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}
}  // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, true)) return false;
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, false)) return false;
  return true;
}

void append_label_value(std::string& out, std::string_view value) {
  if (value.find_first_of("\\\"\n") == std::string_view::npos) {  // the usual case: copied as is
    out.append(value);
    return;
  }
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  // Plain decimals where they read well ("0.0005", not "5e-04", as bucket bounds are usually
  // written), the shortest form otherwise; both read back to the same double.
  char buf[64];
  const double a = std::fabs(v);
  const bool plain = a == 0 || (a >= 1e-6 && a < 1e15);
  auto r = plain ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                 : std::to_chars(buf, buf + sizeof buf, v);
  assert(r.ec == std::errc());
  out.append(buf, r.ptr);
}

void append_value(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_value(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

MetricsWriter& MetricsWriter::family(std::string_view name, std::string_view help,
                                     MetricType type) {
  assert(valid_metric_name(name));
  assert(type != MetricType::Counter || name.ends_with("_total"));
  auto [it, added] = index_.try_emplace(std::string(name), families_.size());
  if (added) {
    Family f{std::string(name), type, {}, 0};
    f.text.reserve(256);
    f.text += "# HELP ";
    f.text += name;
    f.text += ' ';
    append_help(f.text, help);
    f.text += "\n# TYPE ";
    f.text += name;
    f.text += ' ';
    f.text += to_string(type);
    f.text += '\n';
    f.header = f.text.size();
    families_.push_back(std::move(f));
  }
  open_ = &families_[it->second];
  return *this;
}

void MetricsWriter::series(std::string_view suffix, std::span<const Label> labels,
                           const Label* extra) {
  assert(open_);
  std::string& t = open_->text;
  t += open_->name;
  t += suffix;
  if (!labels.empty() || extra) {
    t += '{';
    bool first = true;
    auto put = [&](const Label& l) {
      assert(valid_label_name(l.name));
      if (!first) t += ',';
      first = false;
      t += l.name;
      t += "=\"";
      append_label_value(t, l.value);
      t += '"';
    };
    for (const Label& l : labels) put(l);
    if (extra) put(*extra);
    t += '}';
  }
  t += ' ';
  ++samples_;
}

template <class V>
void MetricsWriter::sample_impl(std::span<const Label> labels, V v) {
  assert(open_ && open_->type != MetricType::Histogram);
  series("", labels, nullptr);
  append_value(open_->text, v);
  open_->text += '\n';
}

template void MetricsWriter::sample_impl(std::span<const Label>, double);
template void MetricsWriter::sample_impl(std::span<const Label>, uint64_t);
template void MetricsWriter::sample_impl(std::span<const Label>, int64_t);

void MetricsWriter::histogram(Labels labels, const Histogram& h) {
  histogram({labels.begin(), labels.size()}, h.bounds(), h.cumulative(), h.count(), h.sum());
}

void MetricsWriter::histogram(std::span<const Label> labels, std::span<const double> bounds,
                              std::span<const uint64_t> cumulative, uint64_t count, double sum) {
  assert(open_ && open_->type == MetricType::Histogram);
  assert(bounds.size() == cumulative.size());
  std::string le;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    le.clear();
    append_value(le, bounds[i]);
    const Label l{"le", le};
    series("_bucket", labels, &l);
    append_value(open_->text, cumulative[i]);
    open_->text += '\n';
  }
  const Label inf{"le", "+Inf"};
  series("_bucket", labels, &inf);
  append_value(open_->text, count);
  open_->text += '\n';
  series("_sum", labels, nullptr);
  append_value(open_->text, sum);
  open_->text += '\n';
  series("_count", labels, nullptr);
  append_value(open_->text, count);
  open_->text += '\n';
}

std::string MetricsWriter::finish() {
  std::size_t total = 0;
  for (const auto& f : families_) total += f.text.size();
  std::string out;
  out.reserve(total);
  // A family nobody added a sample to is left out.
  for (const auto& f : families_)
    if (f.text.size() > f.header) out += f.text;
  families_.clear();
  index_.clear();
  open_ = nullptr;
  samples_ = 0;
  return out;
}

}  // namespace rs::metrics
