// RouteServer's history hooks (rs/events.hpp), kept out of the routing files: session up/down
// events, and best-path changes of the prefixes `history { routes where EXPR; }` selects. The
// best-path hook runs from export_step for every journalled prefix while a sink is set; a prefix
// is watched once its best path passed the filter and stays watched until it has no best, so a
// change to a path the filter would reject is still recorded (the failover away from it).
#include <spdlog/spdlog.h>

#include "rib/decision.hpp"
#include "rs/bgp/wire/messages.hpp"
#include "rs/route_server.hpp"

namespace rs {

void RouteServer::emit_session(const Protocol& p, const bgp::DownInfo* down) {
  events::SessionEvent e;
  e.kind = down ? events::SessionEvent::Kind::Down : events::SessionEvent::Kind::Up;
  e.protocol = p.name;
  for (const Channel& ch : p.channels)
    if (ch.source) {
      e.neighbor = ch.source->neighbor_address.to_string();
      break;
    }
  if (p.peer) e.establishments = p.peer->counters().establishments;
  if (down) {
    e.reason = down->reason;
    const auto& n =
        down->notification_received ? down->notification_received : down->notification_sent;
    if (n) {
      events::SessionEvent::Notification x;
      x.sent = !down->notification_received;
      x.code = static_cast<uint8_t>(n->code);
      x.subcode = n->subcode;
      x.text = bgp::wire::describe(*n);
      e.notification = std::move(x);
    }
  }
  events_->session(e);
}

void RouteServer::note_best(const rib::Prefix& prefix, const rib::Destination* d) {
  const bool selecting = config_->history && config_->history->routes_filter;
  if (!selecting && watched_.empty()) return;  // the default: no prefix selected
  const rib::Route* best = d ? d->best_route() : nullptr;
  auto it = watched_.find(prefix);
  if (it == watched_.end()) {
    // Not watched yet: only a best path the filter accepts starts watching.
    if (!best || !selecting) return;
    filters::RouteInfo info;
    info.net = prefix;
    info.from = best->source->neighbor_address;
    info.gw = best->attrs->next_hop;
    info.proto = best->source->name;
    info.source =
        best->source->kind == rib::SourceKind::Local ? filters::kRtsStatic : filters::kRtsBgp;
    info.preference = best->source->preference;
    filters::RunOutput out;
    if (history_vm_.run(*config_->history->routes_filter, info, *best->attrs, out) !=
        filters::Verdict::Accept)
      return;
  }
  std::string source, text;
  if (best) {
    source = best->source->name;
    text = source + " via " + best->attrs->next_hop.to_string();
    if (best->attrs->has(rib::AttrType::Med)) text += " med " + std::to_string(best->attrs->med);
  }
  events::BestPathEvent e;
  e.prefix = prefix.to_string();
  if (it != watched_.end()) {
    if (it->second.first == source && it->second.second == text)
      return;  // e.g. another path changed
    e.old_source = it->second.first;
    e.old_best = it->second.second;
  }
  e.new_source = source;
  e.new_best = text;
  if (best) e.reason = std::string(rib::to_string(rib_.reason(*d)));
  if (best)
    watched_[prefix] = {source, text};
  else
    watched_.erase(prefix);
  events_->best_path(e);
}

}  // namespace rs
