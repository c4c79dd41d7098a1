// UpdateBuilder: message packing for the sender (RFC 4271 4.3, 9.2; RFC 4760 3, 4; RFC 7911 3;
// RFC 8654). Each message is assembled from byte blocks prepared once per attribute set: the
// attributes without NEXT_HOP, and the MP_REACH_NLRI head (AFI, SAFI, next hop, reserved). Packing
// counts wire sizes first, then writes the message in one pass; nothing is encoded twice.
#include "rs/bgp/wire/update_builder.hpp"

#include <cassert>
#include <cstring>

#include "rs/bgp/wire/update.hpp"
#include "rs/bgp/wire/update_encode.hpp"

namespace rs::bgp::wire {

namespace {

constexpr std::size_t kFieldLengths = 4;  // withdrawn routes length + total attribute length
constexpr uint8_t kMpFlags = attr_flag::kOptional;

void put16_at(std::vector<uint8_t>& out, std::size_t at, std::size_t v) {
  out[at] = static_cast<uint8_t>(v >> 8);
  out[at + 1] = static_cast<uint8_t>(v);
}

void put_entries(std::span<const Nlri> v, bool add_path, std::vector<uint8_t>& out,
                 std::size_t bytes) {
  const std::size_t at = out.size();
  out.resize(at + bytes);
  uint8_t* p = out.data() + at;
  for (const auto& x : v) p = encode_nlri_to(x, add_path, p);
  assert(p == out.data() + out.size());
}

// Writes an MP attribute header for a value of `len` bytes.
void put_mp_header(uint8_t type, std::size_t len, std::vector<uint8_t>& out) {
  if (len > 255) {
    out.push_back(kMpFlags | attr_flag::kExtendedLength);
    out.push_back(type);
    out.push_back(static_cast<uint8_t>(len >> 8));
    out.push_back(static_cast<uint8_t>(len));
  } else {
    out.push_back(kMpFlags);
    out.push_back(type);
    out.push_back(static_cast<uint8_t>(len));
  }
}

std::size_t nlri_bytes(std::span<const Nlri> v, bool add_path) {
  std::size_t n = 0;
  for (const auto& x : v) n += nlri_wire_size(x, add_path);
  return n;
}

}  // namespace

template <class A>
void UpdateBuilder::prepare(const A& a, rib::IpAddress next_hop, rib::IpAddress link_local) {
  attrs_.clear();
  next_hop_at_ = encode_attributes(a, n_, attrs_, /*with_next_hop=*/false);
  next_hop_ = next_hop;
  link_local_ = link_local;
  for (int i = 0; i < 2; ++i) {
    auto& h = mp_head_[i];
    h.clear();
    const AfiSafi fam = i == 0 ? kIpv4Unicast : kIpv6Unicast;
    h.push_back(static_cast<uint8_t>(fam.afi >> 8));
    h.push_back(static_cast<uint8_t>(fam.afi));
    h.push_back(fam.safi);
    rib::IpAddress nh = next_hop;
    if (i == 1 && nh.is_v4() && !n_.extended_next_hop_ipv6) {
      // IPv4-mapped IPv6 address (RFC 4291 2.5.5.2), the classic way to give an IPv6 route an
      // IPv4 next hop.
      nh = rib::IpAddress::v6(0, 0x0000FFFF00000000ULL | nh.v4_value());
    }
    detail::put_mp_next_hop(nh, link_local, h);
    h.push_back(0);  // reserved
  }
}

void UpdateBuilder::set_attributes(const rib::AttrBuilder& a) {
  prepare(a, a.next_hop, a.next_hop_link_local);
}
void UpdateBuilder::set_attributes(const rib::PathAttributes& a) {
  prepare(a, a.next_hop, a.next_hop_link_local);
}
void UpdateBuilder::set_attributes(const rib::AttrBuilder& a, rib::IpAddress nh,
                                   rib::IpAddress ll) {
  prepare(a, nh, ll);
}
void UpdateBuilder::set_attributes(const rib::PathAttributes& a, rib::IpAddress nh,
                                   rib::IpAddress ll) {
  prepare(a, nh, ll);
}

std::size_t UpdateBuilder::fit(std::span<const Nlri> v, bool add_path, std::size_t budget) const {
  std::size_t used = 0;
  std::size_t i = 0;
  for (; i < v.size(); ++i) {
    const std::size_t s = nlri_wire_size(v[i], add_path);
    if (used + s > budget) break;
    used += s;
  }
  return i;
}

std::size_t UpdateBuilder::withdraw(rib::Family f, std::span<const Nlri> v,
                                    std::vector<uint8_t>& out) {
  if (v.empty()) return 0;
  const bool add_path = n_.add_path_tx(f);
  const std::size_t max = n_.max_message_size();
  if (f == rib::Family::Ipv4) {
    const std::size_t count = fit(v, add_path, max - kHeaderSize - kFieldLengths);
    if (count == 0) return 0;
    const auto part = v.first(count);
    const std::size_t bytes = nlri_bytes(part, add_path);
    const std::size_t start = detail::begin_update(out);
    out.push_back(static_cast<uint8_t>(bytes >> 8));
    out.push_back(static_cast<uint8_t>(bytes));
    put_entries(part, add_path, out, bytes);
    out.push_back(0);
    out.push_back(0);
    detail::finish_message(out, start);
    return count;
  }
  // MP_UNREACH_NLRI: header (up to 4) + AFI/SAFI (3) + entries.
  const std::size_t count = fit(v, add_path, max - kHeaderSize - kFieldLengths - 4 - 3);
  if (count == 0) return 0;
  const auto part = v.first(count);
  const std::size_t bytes = nlri_bytes(part, add_path);
  const std::size_t start = detail::begin_update(out);
  out.push_back(0);
  out.push_back(0);
  const std::size_t al_at = out.size();
  out.resize(al_at + 2);
  put_mp_header(15, 3 + bytes, out);
  out.push_back(static_cast<uint8_t>(kAfiIpv6 >> 8));
  out.push_back(static_cast<uint8_t>(kAfiIpv6));
  out.push_back(kSafiUnicast);
  put_entries(part, add_path, out, bytes);
  put16_at(out, al_at, out.size() - al_at - 2);
  detail::finish_message(out, start);
  return count;
}

std::size_t UpdateBuilder::announce(rib::Family f, std::span<const Nlri> v,
                                    std::vector<uint8_t>& out) {
  if (v.empty()) return 0;
  if (next_hop_.is_zero() && link_local_.is_zero()) return 0;  // no next hop: not announceable
  const bool add_path = n_.add_path_tx(f);
  const std::size_t max = n_.max_message_size();
  const std::size_t fixed = kHeaderSize + kFieldLengths + attrs_.size();
  if (f == rib::Family::Ipv4 && next_hop_.is_v4()) {
    // NLRI field, NEXT_HOP spliced in after ORIGIN and AS_PATH (RFC 4271 5 type order).
    constexpr std::size_t kNextHopSize = 7;
    if (fixed + kNextHopSize >= max) return 0;
    const std::size_t count = fit(v, add_path, max - fixed - kNextHopSize);
    if (count == 0) return 0;
    const auto part = v.first(count);
    const std::size_t bytes = nlri_bytes(part, add_path);
    const std::size_t start = detail::begin_update(out);
    const std::size_t al = attrs_.size() + kNextHopSize;
    const uint8_t lengths[4] = {0, 0, static_cast<uint8_t>(al >> 8), static_cast<uint8_t>(al)};
    out.insert(out.end(), lengths, lengths + 4);
    out.insert(out.end(), attrs_.begin(),
               attrs_.begin() + static_cast<std::ptrdiff_t>(next_hop_at_));
    const uint32_t nh = next_hop_.v4_value();
    const uint8_t nh_attr[kNextHopSize] = {attr_flag::kTransitive,
                                           3,
                                           4,
                                           static_cast<uint8_t>(nh >> 24),
                                           static_cast<uint8_t>(nh >> 16),
                                           static_cast<uint8_t>(nh >> 8),
                                           static_cast<uint8_t>(nh)};
    out.insert(out.end(), nh_attr, nh_attr + kNextHopSize);
    out.insert(out.end(), attrs_.begin() + static_cast<std::ptrdiff_t>(next_hop_at_), attrs_.end());
    put_entries(part, add_path, out, bytes);
    detail::finish_message(out, start);
    return count;
  }
  if (f == rib::Family::Ipv4 && !n_.extended_next_hop_ipv4) return 0;  // RFC 8950 not negotiated
  // MP_REACH_NLRI first (RFC 7606 5.1), then the attributes; the NLRI field stays empty.
  const auto& head = mp_head_[f == rib::Family::Ipv4 ? 0 : 1];
  if (fixed + 4 + head.size() >= max) return 0;
  const std::size_t count = fit(v, add_path, max - fixed - 4 - head.size());
  if (count == 0) return 0;
  const auto part = v.first(count);
  const std::size_t bytes = nlri_bytes(part, add_path);
  const std::size_t start = detail::begin_update(out);
  out.push_back(0);
  out.push_back(0);
  const std::size_t al_at = out.size();
  out.resize(al_at + 2);
  put_mp_header(14, head.size() + bytes, out);
  out.insert(out.end(), head.begin(), head.end());
  put_entries(part, add_path, out, bytes);
  out.insert(out.end(), attrs_.begin(), attrs_.end());
  put16_at(out, al_at, out.size() - al_at - 2);
  detail::finish_message(out, start);
  return count;
}

void UpdateBuilder::start(const UpdateBatch& b) {
  batch_ = b;
  unsendable_ = 0;
}

bool UpdateBuilder::done() const {
  return batch_.withdraw_ipv4.empty() && batch_.withdraw_ipv6.empty() &&
         batch_.announce_ipv4.empty() && batch_.announce_ipv6.empty();
}

UpdateBuilder::Next UpdateBuilder::next(std::vector<uint8_t>& out) {
  struct Step {
    std::span<const Nlri>* v;
    rib::Family f;
    bool withdraw;
  };
  const Step steps[] = {{&batch_.withdraw_ipv4, rib::Family::Ipv4, true},
                        {&batch_.withdraw_ipv6, rib::Family::Ipv6, true},
                        {&batch_.announce_ipv4, rib::Family::Ipv4, false},
                        {&batch_.announce_ipv6, rib::Family::Ipv6, false}};
  for (const auto& s : steps) {
    if (s.v->empty()) continue;
    const std::size_t n = s.withdraw ? withdraw(s.f, *s.v, out) : announce(s.f, *s.v, out);
    if (n == 0) {  // a withdrawal always fits; only announcements can be unsendable
      unsendable_ += s.v->size();
      *s.v = {};
      return Next::TooBig;
    }
    *s.v = s.v->subspan(n);
    return Next::Message;
  }
  return Next::Done;
}

}  // namespace rs::bgp::wire
