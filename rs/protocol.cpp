// A protocol's export source (rs/protocol.hpp): what its session pulls when its socket can write.
#include "rs/protocol.hpp"

#include <spdlog/spdlog.h>

#include <span>

#include "rs/bgp/wire/messages.hpp"

namespace rs {

namespace wire = bgp::wire;

void ProtocolExport::log_unsendable(void* ctx, const ExportMember&, const rib::Prefix& prefix) {
  const auto* p = static_cast<const Protocol*>(ctx);
  spdlog::warn(
      "{}: {} cannot be encoded for this peer (too large, or a next hop of another "
      "family without extended next hop): withdrawn instead",
      p->name, prefix.to_string());
}

bool ProtocolExport::fill(std::vector<uint8_t>& out, std::size_t budget) {
  Protocol& p = p_;
  if (!p.established || p.export_deferred || gate_.held || !p.peer) return false;
  const auto* n = p.peer->negotiated();
  if (!n) return false;
  ExportMember* members[2];
  std::size_t count = 0;
  for (Channel& ch : p.channels)
    if (ch.active() && ch.group) members[count++] = &ch.member;
  const std::size_t before = out.size();
  markers_before(out);
  bool more = pack_updates(std::span<ExportMember* const>(members, count), n->negotiated, out,
                           budget, p.packed, &ProtocolExport::log_unsendable, &p);
  more = markers_after(out) || more;
  if (gate_.observer && out.size() != before) gate_.observer(p.name);
  return more;
}

void ProtocolExport::markers_before(std::vector<uint8_t>& out) {
  for (Channel& ch : p_.channels) {
    if (!ch.refresh.borr_due) continue;
    wire::encode_route_refresh({wire::unicast(ch.family), wire::route_refresh::kBeginOfRefresh},
                               out);
    ch.refresh.borr_due = false;
    ch.refresh.eorr_due = true;
  }
}

bool ProtocolExport::markers_after(std::vector<uint8_t>& out) {
  bool waiting = false;
  for (Channel& ch : p_.channels) {
    if (!ch.refresh.eorr_due) continue;
    // After the last UPDATE of the re-advertisement: nothing of the family left to send.
    if (ch.member.walking || ch.member.out.queued(ch.family)) {
      waiting = true;
      continue;
    }
    wire::encode_route_refresh({wire::unicast(ch.family), wire::route_refresh::kEndOfRefresh}, out);
    ch.refresh.eorr_due = false;
  }
  return waiting;
}

}  // namespace rs
