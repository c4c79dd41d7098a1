// A cumulative histogram for the Prometheus exposition (rs/metrics/exposition.hpp): fixed upper
// bounds, each bucket counts the observations <= its bound, so a scrape copies the numbers as they
// are. No locks, no allocation after construction: recorded on the event-loop thread.
#pragma once

#include <cassert>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace rs::metrics {

class Histogram {
 public:
  // `bounds`: strictly ascending upper bounds, in the family's base unit (seconds, bytes); the
  // implicit +Inf bucket is count().
  explicit Histogram(std::initializer_list<double> bounds)
      : bounds_(bounds), cumulative_(bounds.size(), 0) {
    for (std::size_t i = 1; i < bounds_.size(); ++i) assert(bounds_[i - 1] < bounds_[i]);
  }
  explicit Histogram(std::vector<double> bounds)
      : bounds_(std::move(bounds)), cumulative_(bounds_.size(), 0) {
    for (std::size_t i = 1; i < bounds_.size(); ++i) assert(bounds_[i - 1] < bounds_[i]);
  }

  void observe(double v) {
    // Buckets are cumulative (le = "less or equal"): every bucket from the first bound >= v.
    for (std::size_t i = bounds_.size(); i-- > 0 && v <= bounds_[i];) ++cumulative_[i];
    ++count_;
    sum_ += v;
  }

  const std::vector<double>& bounds() const { return bounds_; }
  // cumulative()[i]: observations <= bounds()[i].
  const std::vector<uint64_t>& cumulative() const { return cumulative_; }
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> cumulative_;
  uint64_t count_ = 0;
  double sum_ = 0;
};

// Failover latency (health verdict -> UPDATE handed to a peer's socket), in seconds: 0.5 ms .. 5 s.
inline Histogram failover_histogram() {
  return Histogram{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0};
}

}  // namespace rs::metrics
