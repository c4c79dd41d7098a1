// libFuzzer target for the UPDATE codec and the export path's message builder. Input: one options
// byte (2- or 4-octet AS, ADD-PATH per family, eBGP, extended messages, RFC 8950 next hops), then
// one UPDATE body (what follows the 19-byte header). A body that decodes cleanly (no
// treat-as-withdraw, no discarded attribute, no skipped family) is checked twice:
//   1. encode_update (the codec's re-encoder) -> decode_update gives the same message;
//   2. UpdateBuilder (what the export path sends, one attribute set per call) packs the same
//      withdrawals and announcements into messages which, decoded, carry the same withdrawn NLRI
//      per family, the same announced NLRI per group (IPv4 NLRI field with NEXT_HOP; MP_REACH with
//      its next hops), and the same attributes. NEXT_HOP is compared as part of its group, not as
//      an attribute (the builder writes it only where the NLRI needs it), and the Partial bit of
//      unknown attributes is ignored (RFC 4271 5 sets it when passing them on).
// Any difference aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "rs/bgp/wire/header.hpp"
#include "rs/bgp/wire/update.hpp"
#include "rs/bgp/wire/update_builder.hpp"

namespace wire = rs::bgp::wire;
namespace rib = rs::rib;

namespace {

wire::Negotiated from_options(uint8_t o) {
  wire::Negotiated n;
  n.four_octet_as = !(o & 0x01);
  n.add_path_rx_ipv4 = n.add_path_tx_ipv4 = o & 0x02;
  n.add_path_rx_ipv6 = n.add_path_tx_ipv6 = o & 0x04;
  n.ebgp = o & 0x08;
  n.local_as = 65000;
  n.peer_as = n.ebgp ? 65001 : 65000;
  n.extended_message = o & 0x10;
  n.extended_next_hop_ipv4 = o & 0x20;
  n.forward_unknown_attributes = o & 0x40;
  if (o & 0x80) n.peer_role = wire::Role::RouteServerClient;
  n.ipv6_unicast = true;
  return n;
}

bool clean(const wire::UpdateMessage& u) {
  return !u.treat_as_withdraw && u.attr_errors.empty() && u.skipped_families.empty();
}

void clear_partial(rib::AttrBuilder& a) {
  for (auto& r : a.unknown.values) r.flags &= static_cast<uint8_t>(~wire::attr_flag::kPartial);
}

// The attributes without the next hops (compared with their NLRI instead).
rib::AttrBuilder without_next_hop(const rib::AttrBuilder& a) {
  rib::AttrBuilder b = a;
  b.clear(rib::AttrType::NextHop);
  b.next_hop = {};
  b.next_hop_link_local = {};
  clear_partial(b);
  return b;
}

void check_encode_update(const wire::UpdateMessage& u, const wire::Negotiated& n) {
  std::vector<uint8_t> buf;
  if (wire::encode_update(u, n, buf) != wire::EncodeResult::Ok) return;
  wire::UpdateMessage again;
  if (!wire::decode_update(wire::Bytes(buf).subspan(wire::kHeaderSize), n, again).ok())
    std::abort();
  wire::UpdateMessage a = u;
  clear_partial(a.attrs);
  clear_partial(again.attrs);
  if (!(a == again)) std::abort();
}

// One announcement group as the builder is given it, and as it comes back.
struct Group {
  rib::Family family = rib::Family::Ipv4;
  rib::IpAddress next_hop, link_local;
  std::vector<wire::Nlri> nlri;
  friend bool operator==(const Group&, const Group&) = default;
};

// Decodes every message of `stream` (the builder's output) into withdrawals and groups; aborts
// when one does not decode cleanly or its attributes differ from `attrs`.
void collect(const std::vector<uint8_t>& stream, const wire::Negotiated& n,
             const rib::AttrBuilder* attrs, std::vector<wire::Nlri> withdrawn[2],
             std::vector<Group>& groups) {
  wire::Framer framer(wire::Bytes(stream), wire::HeaderLimits::from(n));
  wire::UpdateMessage m;
  for (auto f = framer.next(); f.status != wire::FrameStatus::NeedMore; f = framer.next()) {
    if (f.status != wire::FrameStatus::Message || f.header.type != wire::MessageType::Update)
      std::abort();
    if (!wire::decode_update(f.body, n, m).ok() || !clean(m)) std::abort();
    withdrawn[0].insert(withdrawn[0].end(), m.withdrawn.begin(), m.withdrawn.end());
    if (m.mp_unreach) {
      auto& w = withdrawn[m.mp_unreach->family == wire::kIpv4Unicast ? 0 : 1];
      w.insert(w.end(), m.mp_unreach->nlri.begin(), m.mp_unreach->nlri.end());
    }
    if (!m.has_reach()) continue;
    if (!attrs || !(without_next_hop(m.attrs) == without_next_hop(*attrs))) std::abort();
    if (!m.nlri.empty()) groups.push_back({rib::Family::Ipv4, m.attrs.next_hop, {}, m.nlri});
    if (m.mp_reach && !m.mp_reach->nlri.empty())
      groups.push_back(
          {m.mp_reach->family == wire::kIpv4Unicast ? rib::Family::Ipv4 : rib::Family::Ipv6,
           m.mp_reach->next_hop, m.mp_reach->link_local, m.mp_reach->nlri});
  }
  if (!framer.remaining().empty()) std::abort();
}

// Merges consecutive groups with the same family and next hops (the builder splits a long list
// over several messages).
std::vector<Group> merged(const std::vector<Group>& in) {
  std::vector<Group> out;
  for (const auto& g : in) {
    if (!out.empty() && out.back().family == g.family && out.back().next_hop == g.next_hop &&
        out.back().link_local == g.link_local)
      out.back().nlri.insert(out.back().nlri.end(), g.nlri.begin(), g.nlri.end());
    else
      out.push_back(g);
  }
  return out;
}

void check_builder(const wire::UpdateMessage& u, const wire::Negotiated& n) {
  std::vector<wire::Nlri> withdraw[2] = {u.withdrawn, {}};
  if (u.mp_unreach) {
    auto& w = withdraw[u.mp_unreach->family == wire::kIpv4Unicast ? 0 : 1];
    w.insert(w.end(), u.mp_unreach->nlri.begin(), u.mp_unreach->nlri.end());
  }
  std::vector<Group> groups;
  if (!u.nlri.empty()) groups.push_back({rib::Family::Ipv4, u.attrs.next_hop, {}, u.nlri});
  if (u.mp_reach && !u.mp_reach->nlri.empty())
    groups.push_back(
        {u.mp_reach->family == wire::kIpv4Unicast ? rib::Family::Ipv4 : rib::Family::Ipv6,
         u.mp_reach->next_hop, u.mp_reach->link_local, u.mp_reach->nlri});

  wire::UpdateBuilder b(n);
  std::vector<uint8_t> out;
  for (int f = 0; f < 2; ++f) {
    std::span<const wire::Nlri> v(withdraw[f]);
    while (!v.empty()) {
      const std::size_t k = b.withdraw(f == 0 ? rib::Family::Ipv4 : rib::Family::Ipv6, v, out);
      if (k == 0) std::abort();  // a withdrawal always fits
      v = v.subspan(k);
    }
  }
  for (const auto& g : groups) {
    b.set_attributes(u.attrs, g.next_hop, g.link_local);
    std::span<const wire::Nlri> v(g.nlri);
    while (!v.empty()) {
      const std::size_t k = b.announce(g.family, v, out);
      // Not sendable as the export path would pack it (the canonical attributes grew past the
      // message size): nothing to compare.
      if (k == 0) return;
      v = v.subspan(k);
    }
  }
  std::vector<wire::Nlri> got_withdrawn[2];
  std::vector<Group> got;
  collect(out, n, &u.attrs, got_withdrawn, got);
  if (got_withdrawn[0] != withdraw[0] || got_withdrawn[1] != withdraw[1]) std::abort();
  if (merged(got) != merged(groups)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const wire::Negotiated n = from_options(data[0]);
  const wire::Bytes body(data + 1, size - 1);
  if (body.size() + wire::kHeaderSize > n.max_message_size()) return 0;
  wire::UpdateMessage u;
  if (!wire::decode_update(body, n, u).ok() || !clean(u)) return 0;
  check_encode_update(u, n);
  check_builder(u, n);
  return 0;
}
