// Operator overrides of a service node's paths at the route server: drain (MED raised step by step,
// then withdrawn) and maintenance (withdrawn), whatever feeds the node: a BGP session (an ExaBGP
// node), a `process` block or a `healthcheck` block. The node's session is never touched: the
// override acts after the import filter on what the Adj-RIB-In keeps, so lifting it brings the
// paths back without a route refresh.
//
// A node is named by its BGP protocol name, a `process` block's name, or an IP address: the next
// hop its paths were received with (so one name covers a node that feeds rsd in several ways).
//
// NodeOverrides is the state and the per-path decision (no I/O, unit-tested); NodeControl adds the
// drain's step timer and tells the route server which node changed, so it re-runs the import of
// the node's paths.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rib/attrs.hpp"
#include "rib/prefix.hpp"

namespace rs {

// The healthcheck drain's semantics (docs/health.md): the MED rises from the node's own MED to
// `ceiling` in `steps` equal steps, one every over_ms / steps; the last step is held for one step,
// then the paths are withdrawn (or stay at the ceiling when `withdraw` is off).
struct NodeDrain {
  uint64_t over_ms = 300000;
  uint32_t steps = 10;
  uint32_t ceiling = 1000;  // the healthcheck's default `down med`
  bool withdraw = true;
  friend bool operator==(const NodeDrain&, const NodeDrain&) = default;
  // Stored form in the operator state table: "OVER_MS STEPS CEILING withdraw|keep".
  std::string to_string() const;
  static std::optional<NodeDrain> parse(std::string_view text);
};

struct NodeOverride {
  std::string node;
  bool maintenance = false;
  bool draining = false;  // stepping
  bool drained = false;   // past the last step: withdrawn, or held at the ceiling
  uint32_t step = 0;      // 1..steps while draining
  NodeDrain drain;
  bool active() const { return maintenance || draining || drained; }
};

class NodeOverrides {
 public:
  // What the overrides do to one path.
  struct Effect {
    bool withdraw = false;
    std::optional<uint32_t> med;  // the raised MED, when raised
    friend bool operator==(const Effect&, const Effect&) = default;
  };

  // Whether `node` names the path of route source `source` (a BGP protocol name, "process NAME",
  // "health NAME") received with next hop `next_hop`.
  static bool matches(std::string_view node, std::string_view source,
                      const rib::IpAddress& next_hop);
  // The MED at drain step `step` of `d` for a path whose own MED is `med`.
  static uint32_t drain_med(const NodeDrain& d, uint32_t step, uint32_t med);

  // Every override naming the path, combined: any maintenance or finished withdrawing drain
  // withdraws; otherwise the highest raised MED wins.
  Effect effect(std::string_view source, const rib::IpAddress& next_hop, uint32_t med) const;
  // `imported`: the path after the import filter (null: filtered, stays so). `received` gives the
  // next hop the node sent. Returns the attributes to install (null: treated as filtered).
  rib::AttrRef apply(rib::AttrTable& table, std::string_view source, const rib::AttrRef& received,
                     rib::AttrRef imported) const;
  bool empty() const { return nodes_.empty(); }

  void set_maintenance(const std::string& node, bool on);
  // Starts a drain at its first step (over_ms 0: finished at once, as after a restart).
  void start_drain(const std::string& node, const NodeDrain& d);
  // The next step of a drain; false when there is nothing more to time (finished or no drain).
  bool advance(const std::string& node);
  // Cancels a drain in progress or lifts a finished one; false when there was none.
  bool undrain(const std::string& node);
  const NodeOverride* find(const std::string& node) const;
  std::vector<NodeOverride> list() const;

 private:
  void forget_if_idle(const std::string& node);
  std::map<std::string, NodeOverride> nodes_;
};

class NodeControl {
 public:
  // `changed(node)`: the paths `node` names must be imported again.
  NodeControl(boost::asio::io_context& io, std::function<void(const std::string&)> changed)
      : io_(io), changed_(std::move(changed)) {}
  ~NodeControl() { *alive_ = false; }
  NodeControl(const NodeControl&) = delete;
  NodeControl& operator=(const NodeControl&) = delete;

  void drain(const std::string& node, const NodeDrain& d);
  bool undrain(const std::string& node);
  void maintenance(const std::string& node, bool on);
  const NodeOverrides& overrides() const { return overrides_; }

 private:
  void schedule(const std::string& node);
  boost::asio::io_context& io_;
  std::function<void(const std::string&)> changed_;
  NodeOverrides overrides_;
  std::map<std::string, std::unique_ptr<boost::asio::steady_timer>> timers_;
  std::map<std::string, uint64_t> generation_;  // per node: bumped by every drain and undrain
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace rs
