// Node overrides (rs/node_override.hpp). The per-path decision is cheap when nothing is overridden
// (one empty-map test on the import path); with overrides it compares each path's source name and
// received next hop against the few overridden nodes.
#include "rs/node_override.hpp"

#include <algorithm>
#include <sstream>

namespace rs {

std::string NodeDrain::to_string() const {
  return std::to_string(over_ms) + " " + std::to_string(steps) + " " + std::to_string(ceiling) +
         (withdraw ? " withdraw" : " keep");
}

std::optional<NodeDrain> NodeDrain::parse(std::string_view text) {
  std::istringstream in{std::string(text)};
  NodeDrain d;
  std::string end;
  if (!(in >> d.over_ms >> d.steps >> d.ceiling >> end) || d.steps == 0) return std::nullopt;
  if (end != "withdraw" && end != "keep") return std::nullopt;
  d.withdraw = end == "withdraw";
  return d;
}

bool NodeOverrides::matches(std::string_view node, std::string_view source,
                            const rib::IpAddress& next_hop) {
  if (node == source) return true;
  // A `process` or `healthcheck` block by its own name.
  for (std::string_view kind : {std::string_view("process "), std::string_view("health ")})
    if (source.size() == kind.size() + node.size() && source.substr(0, kind.size()) == kind &&
        source.substr(kind.size()) == node)
      return true;
  if (auto ip = rib::IpAddress::parse(node)) return *ip == next_hop;
  return false;
}

uint32_t NodeOverrides::drain_med(const NodeDrain& d, uint32_t step, uint32_t med) {
  if (d.ceiling <= med || d.steps == 0) return med;
  const uint64_t k = std::min(step, d.steps);
  return static_cast<uint32_t>(med + (uint64_t{d.ceiling} - med) * k / d.steps);
}

NodeOverrides::Effect NodeOverrides::effect(std::string_view source, const rib::IpAddress& next_hop,
                                            uint32_t med) const {
  Effect e;
  for (const auto& [node, o] : nodes_) {
    if (!matches(node, source, next_hop)) continue;
    if (o.maintenance || (o.drained && o.drain.withdraw)) {
      e.withdraw = true;
      e.med.reset();
      return e;
    }
    uint32_t m = med;
    if (o.drained)
      m = drain_med(o.drain, o.drain.steps, med);
    else if (o.draining)
      m = drain_med(o.drain, o.step, med);
    if (m != med && (!e.med || m > *e.med)) e.med = m;
  }
  return e;
}

rib::AttrRef NodeOverrides::apply(rib::AttrTable& table, std::string_view source,
                                  const rib::AttrRef& received, rib::AttrRef imported) const {
  if (nodes_.empty() || !imported) return imported;
  const rib::IpAddress& nh = received ? received->next_hop : imported->next_hop;
  const uint32_t med = imported->has(rib::AttrType::Med) ? imported->med : 0;
  const Effect e = effect(source, nh, med);
  if (e.withdraw) return {};
  if (!e.med) return imported;
  rib::AttrBuilder b(*imported);
  b.set_med(*e.med);
  return table.intern(b);
}

void NodeOverrides::set_maintenance(const std::string& node, bool on) {
  nodes_[node].node = node;
  nodes_[node].maintenance = on;
  forget_if_idle(node);
}

void NodeOverrides::start_drain(const std::string& node, const NodeDrain& d) {
  NodeOverride& o = nodes_[node];
  o.node = node;
  o.drain = d;
  o.drain.steps = std::max<uint32_t>(d.steps, 1);
  if (d.over_ms == 0) {
    o.draining = false;
    o.drained = true;
    o.step = o.drain.steps;
    return;
  }
  o.draining = true;
  o.drained = false;
  o.step = 1;
}

bool NodeOverrides::advance(const std::string& node) {
  auto it = nodes_.find(node);
  if (it == nodes_.end() || !it->second.draining) return false;
  NodeOverride& o = it->second;
  if (o.step >= o.drain.steps) {  // the last step held its MED for one step
    o.draining = false;
    o.drained = true;
    return false;
  }
  ++o.step;
  return true;
}

bool NodeOverrides::undrain(const std::string& node) {
  auto it = nodes_.find(node);
  if (it == nodes_.end() || !(it->second.draining || it->second.drained)) return false;
  it->second.draining = it->second.drained = false;
  it->second.step = 0;
  forget_if_idle(node);
  return true;
}

const NodeOverride* NodeOverrides::find(const std::string& node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? nullptr : &it->second;
}

std::vector<NodeOverride> NodeOverrides::list() const {
  std::vector<NodeOverride> out;
  for (const auto& [node, o] : nodes_) out.push_back(o);
  return out;
}

void NodeOverrides::forget_if_idle(const std::string& node) {
  auto it = nodes_.find(node);
  if (it != nodes_.end() && !it->second.active()) nodes_.erase(it);
}

// ---- NodeControl: the drain's timer ------------------------------------------------------------

void NodeControl::drain(const std::string& node, const NodeDrain& d) {
  ++generation_[node];
  timers_.erase(node);
  overrides_.start_drain(node, d);
  changed_(node);
  if (d.over_ms) schedule(node);
}

void NodeControl::schedule(const std::string& node) {
  const NodeOverride* o = overrides_.find(node);
  if (!o || !o->draining) return;
  auto& t = timers_[node];
  if (!t) t = std::make_unique<boost::asio::steady_timer>(io_);
  t->expires_after(std::chrono::milliseconds(o->drain.over_ms / o->drain.steps));
  auto alive = alive_;
  // A step already queued when the drain was restarted or cancelled must not act on the new one.
  const uint64_t gen = generation_[node];
  t->async_wait([this, alive, node, gen](const boost::system::error_code& ec) {
    if (ec || !*alive || gen != generation_[node]) return;
    const bool more = overrides_.advance(node);
    changed_(node);
    if (more) schedule(node);
  });
}

bool NodeControl::undrain(const std::string& node) {
  ++generation_[node];
  timers_.erase(node);  // cancels the pending step
  if (!overrides_.undrain(node)) return false;
  changed_(node);
  return true;
}

void NodeControl::maintenance(const std::string& node, bool on) {
  const NodeOverride* o = overrides_.find(node);
  if ((o && o->maintenance) == on) return;
  overrides_.set_maintenance(node, on);
  changed_(node);
}

}  // namespace rs
