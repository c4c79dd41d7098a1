// MetricsWriter: builds one scrape in the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). Collectors open a family, then
// add samples to it. A family's HELP and TYPE lines are written once and its samples are kept
// together even when several collectors (or several passes of one) open it; families come out in
// the order they were first opened. Names are checked against the data model's rules (assert: they
// are compile-time constants); label values are escaped (backslash, double quote, newline).
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rs/metrics/histogram.hpp"

namespace rs::metrics {

enum class MetricType : uint8_t { Counter, Gauge, Histogram, Untyped };
std::string_view to_string(MetricType t);

struct Label {
  std::string_view name;
  std::string_view value;
};
using Labels = std::initializer_list<Label>;

// [a-zA-Z_:][a-zA-Z0-9_:]* (metric names), [a-zA-Z_][a-zA-Z0-9_]* not starting with "__" (labels).
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);
// Label value escaping: \ -> \\, " -> \", newline -> \n. HELP escaping: \ and newline only.
void append_label_value(std::string& out, std::string_view value);
void append_help(std::string& out, std::string_view help);
// Sample values: integers exactly, others shortest round trip, "+Inf", "-Inf", "NaN".
void append_value(std::string& out, double v);
void append_value(std::string& out, uint64_t v);
void append_value(std::string& out, int64_t v);

class MetricsWriter {
 public:
  // Opens family `name` (a counter's name ends in _total). Re-opening an existing family appends
  // to it; the help and type of the first opening stay.
  MetricsWriter& family(std::string_view name, std::string_view help, MetricType type);

  // A sample of the open family (not for histograms).
  void sample(Labels labels, double v) { sample_impl({labels.begin(), labels.size()}, v); }
  template <std::integral T>
  void sample(Labels labels, T v) {
    if constexpr (std::is_signed_v<T>)
      sample_impl({labels.begin(), labels.size()}, static_cast<int64_t>(v));
    else
      sample_impl({labels.begin(), labels.size()}, static_cast<uint64_t>(v));
  }

  // One histogram series of the open histogram family: NAME_bucket{le=...} for every bound and
  // +Inf, NAME_sum, NAME_count.
  void histogram(Labels labels, const Histogram& h);
  void histogram(std::span<const Label> labels, std::span<const double> bounds,
                 std::span<const uint64_t> cumulative, uint64_t count, double sum);

  std::size_t families() const { return families_.size(); }
  std::size_t samples() const { return samples_; }
  // The scrape: every family, in order. The writer is empty afterwards.
  std::string finish();

 private:
  struct Family {
    std::string name;
    MetricType type;
    std::string text;        // HELP, TYPE, then the samples
    std::size_t header = 0;  // bytes of HELP and TYPE
  };
  template <class V>
  void sample_impl(std::span<const Label> labels, V v);
  void series(std::string_view suffix, std::span<const Label> labels, const Label* extra);

  std::vector<Family> families_;
  std::unordered_map<std::string, std::size_t> index_;
  Family* open_ = nullptr;
  std::size_t samples_ = 0;
};

}  // namespace rs::metrics
