// Walker: background walks over a snapshot of the Loc-RIB's prefixes, kChunk prefixes per
// event-loop turn, so that sessions keep their keepalives flowing during a peer's initial export,
// a peer's routes going away, a filter reload or a route refresh. Walks run one after another in
// the order they were started.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "rib/loc_rib.hpp"

namespace rs {

#ifdef NDEBUG
inline constexpr std::size_t kChunk = 256;
#else
inline constexpr std::size_t kChunk = 4;  // debug builds exercise the resume paths
#endif

class Walker {
 public:
  // `after_step` runs after every chunk (the exporter picks up what the chunk journalled).
  Walker(boost::asio::io_context& io, const rib::LocRib& rib, std::function<void()> after_step)
      : io_(io), rib_(rib), after_step_(std::move(after_step)) {}

  // Walks every prefix of `family` (all families when unset), then calls `done`.
  void walk(std::optional<rib::Family> family, std::function<void(const rib::Prefix&)> step,
            std::function<void()> done = {});
  bool idle() const { return walks_.empty(); }

 private:
  struct Walk {
    // The snapshot is taken when the walk starts, not when it is queued: ten feeders going down at
    // once queue ten walks, and ten copies of a million-prefix table were 32 MB.
    bool snapshot = true;
    std::optional<rib::Family> family;
    std::vector<rib::Prefix> prefixes;
    std::size_t pos = 0;
    std::function<void(const rib::Prefix&)> step;
    std::function<void()> done;
  };
  void step();
  void post();

  boost::asio::io_context& io_;
  const rib::LocRib& rib_;
  std::function<void()> after_step_;
  std::deque<Walk> walks_;
  bool posted_ = false;
};

}  // namespace rs
