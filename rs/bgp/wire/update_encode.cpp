// UPDATE encoder. Attributes are written in one canonical form so that equal attribute sets give
// equal bytes: MP_UNREACH_NLRI and MP_REACH_NLRI first (RFC 7606 5.1), then ascending type codes
// (RFC 4271 5), known attributes with their defined flags, the Extended Length bit only when a
// value exceeds 255 bytes (RFC 4271 4.3). The encoder writes what it is given: dropping LOCAL_PREF
// towards eBGP and similar policy belong to the export path. One template serves the mutable
// AttrBuilder and the interned PathAttributes (whose lists are Refs, possibly null).
#include <array>
#include <cstring>

#include "rs/bgp/wire/as_path.hpp"
#include "rs/bgp/wire/update.hpp"
#include "rs/bgp/wire/update_encode.hpp"

namespace rs::bgp::wire {

namespace {

using rib::AttrType;
constexpr uint8_t kWellKnown = attr_flag::kTransitive;
constexpr uint8_t kOptTransitive = attr_flag::kOptional | attr_flag::kTransitive;
constexpr uint8_t kOptNonTransitive = attr_flag::kOptional;

template <class T>
const T* get(const T& v) {
  return &v;
}
template <class T>
const T* get(const rib::Ref<T>& r) {
  return r.get();
}

void put16(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, v >> 16);
  put16(out, v);
}

// Types this encoder writes from the structured fields; RawAttributes of these types are never
// emitted (the decoder does not produce them; a hand-made one would duplicate an attribute).
constexpr bool is_native(uint8_t t) {
  return (t >= 1 && t <= 10) || (t >= 14 && t <= 18) || t == 32 || t == 35;
}

template <class A>
class AttrWriter {
 public:
  AttrWriter(const A& a, const Negotiated& n, std::vector<uint8_t>& out) : a_(a), n_(n), out_(out) {
    if (const auto* u = get(a.unknown)) unknown_ = u;
  }

  std::size_t write(bool with_next_hop) {
    if (a_.has(AttrType::Origin)) {
      flush_unknown(1);
      const std::size_t at = detail::begin_attribute(out_);
      out_.push_back(static_cast<uint8_t>(a_.origin));
      detail::end_attribute(out_, at, kWellKnown, 1);
    }
    if (a_.has(AttrType::AsPath)) {
      flush_unknown(2);
      const std::size_t at = detail::begin_attribute(out_);
      if (const auto* p = get(a_.as_path)) encode_as_path(*p, n_.four_octet_as, out_);
      detail::end_attribute(out_, at, kWellKnown, 2);
    }
    flush_unknown(3);
    const std::size_t next_hop_at = out_.size();
    if (with_next_hop && a_.has(AttrType::NextHop) && a_.next_hop.is_v4())
      scalar(kWellKnown, 3, a_.next_hop.v4_value());
    if (a_.has(AttrType::Med)) scalar(kOptNonTransitive, 4, a_.med);
    if (a_.has(AttrType::LocalPref)) scalar(kWellKnown, 5, a_.local_pref);
    if (a_.has(AttrType::AtomicAggregate)) {
      flush_unknown(6);
      const std::size_t at = detail::begin_attribute(out_);
      detail::end_attribute(out_, at, kWellKnown, 6);
    }
    const bool agg4 =
        a_.has(AttrType::Aggregator) && !n_.four_octet_as && a_.aggregator.asn > 0xFFFF;
    if (a_.has(AttrType::Aggregator)) {
      flush_unknown(7);
      const std::size_t at = detail::begin_attribute(out_);
      if (n_.four_octet_as)
        put32(out_, a_.aggregator.asn);
      else
        put16(out_, agg4 ? kAsTrans : a_.aggregator.asn);
      put32(out_, a_.aggregator.address);
      detail::end_attribute(out_, at, opt_transitive(AttrType::Aggregator), 7);
    }
    if (a_.has(AttrType::Communities))
      list(opt_transitive(AttrType::Communities), 8, get(a_.communities));
    if (a_.has(AttrType::OriginatorId)) scalar(kOptNonTransitive, 9, a_.originator_id);
    if (a_.has(AttrType::ClusterList)) list(kOptNonTransitive, 10, get(a_.cluster_list));
    if (a_.has(AttrType::ExtCommunities))
      list(opt_transitive(AttrType::ExtCommunities), 16, get(a_.ext_communities));
    // RFC 6793 4.2.2: a 2-octet peer gets the real path in AS4_PATH (no confederation segments).
    if (!n_.four_octet_as && a_.has(AttrType::AsPath)) {
      const auto* p = get(a_.as_path);
      if (p && needs_as4_path(*p)) {
        flush_unknown(17);
        const std::size_t at = detail::begin_attribute(out_);
        encode_as_path(*p, true, out_, /*skip_confed=*/true);
        detail::end_attribute(out_, at, kOptTransitive, 17);
      }
    }
    if (agg4) {
      flush_unknown(18);
      const std::size_t at = detail::begin_attribute(out_);
      put32(out_, a_.aggregator.asn);
      put32(out_, a_.aggregator.address);
      detail::end_attribute(out_, at, kOptTransitive, 18);
    }
    if (a_.has(AttrType::LargeCommunities))
      list(opt_transitive(AttrType::LargeCommunities), 32, get(a_.large_communities));
    if (a_.has(AttrType::Otc)) scalar(opt_transitive(AttrType::Otc), 35, a_.otc);
    flush_unknown(256);
    return next_hop_at;
  }

 private:
  void scalar(uint8_t flags, uint8_t type, uint32_t v) {
    flush_unknown(type);
    out_.push_back(flags);
    out_.push_back(type);
    out_.push_back(4);
    put32(out_, v);
  }
  template <class L>
  void list(uint8_t flags, uint8_t type, const L* l) {
    flush_unknown(type);
    const std::size_t at = detail::begin_attribute(out_);
    if (l) {
      for (const auto& v : l->values) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, rib::LargeCommunity>) {
          put32(out_, v.global);
          put32(out_, v.local1);
          put32(out_, v.local2);
        } else if constexpr (sizeof(v) == 8) {
          put32(out_, static_cast<uint32_t>(v >> 32));
          put32(out_, static_cast<uint32_t>(v));
        } else {
          put32(out_, v);
        }
      }
    }
    detail::end_attribute(out_, at, flags, type);
  }
  // Optional transitive flags, with the Partial bit the attribute arrived with (RFC 4271 5).
  uint8_t opt_transitive(AttrType t) const {
    return a_.is_partial(t) ? uint8_t{kOptTransitive | attr_flag::kPartial} : kOptTransitive;
  }
  // Unknown attributes with a type below `type` (they are sorted by type).
  void flush_unknown(unsigned type) {
    if (!unknown_) return;
    const auto& v = unknown_->values;
    while (next_unknown_ < v.size() && v[next_unknown_].type < type) {
      const auto& r = v[next_unknown_++];
      if (is_native(r.type)) continue;
      uint8_t flags =
          r.flags & (attr_flag::kOptional | attr_flag::kTransitive | attr_flag::kPartial);
      // RFC 4271 5: an unrecognised optional transitive attribute is passed on with Partial set.
      // IPv6 extended communities are recognised (RFC 5701), so they keep their flags.
      if ((flags & attr_flag::kOptional) && (flags & attr_flag::kTransitive) && r.type != 25)
        flags |= attr_flag::kPartial;
      encode_attribute(flags, r.type, Bytes(r.value.data(), r.value.size()), out_);
    }
  }

  const A& a_;
  const Negotiated& n_;
  std::vector<uint8_t>& out_;
  const rib::RawAttributeList* unknown_ = nullptr;
  std::size_t next_unknown_ = 0;
};

void put_nlri_list(const std::vector<Nlri>& v, bool add_path, std::vector<uint8_t>& out) {
  std::size_t bytes = 0;
  for (const auto& x : v) bytes += nlri_wire_size(x, add_path);
  const std::size_t at = out.size();
  out.resize(at + bytes);
  uint8_t* p = out.data() + at;
  for (const auto& x : v) p = encode_nlri_to(x, add_path, p);
}

}  // namespace

namespace detail {

std::size_t begin_attribute(std::vector<uint8_t>& out) {
  const std::size_t at = out.size();
  out.resize(at + 4);  // flags, type, 2-byte length; shrunk to 1-byte length if it fits
  return at;
}

void end_attribute(std::vector<uint8_t>& out, std::size_t at, uint8_t flags, uint8_t type) {
  const std::size_t len = out.size() - at - 4;
  if (len <= 255) {
    out[at] = flags & ~attr_flag::kExtendedLength;
    out[at + 1] = type;
    out[at + 2] = static_cast<uint8_t>(len);
    std::memmove(out.data() + at + 3, out.data() + at + 4, len);
    out.pop_back();
  } else {
    out[at] = flags | attr_flag::kExtendedLength;
    out[at + 1] = type;
    out[at + 2] = static_cast<uint8_t>(len >> 8);
    out[at + 3] = static_cast<uint8_t>(len);
  }
}

std::size_t begin_update(std::vector<uint8_t>& out) {
  const std::size_t at = out.size();
  out.resize(at + kHeaderSize, 0xFF);
  out[at + 16] = 0;
  out[at + 17] = 0;
  out[at + 18] = static_cast<uint8_t>(MessageType::Update);
  return at;
}

void finish_message(std::vector<uint8_t>& out, std::size_t at) {
  const std::size_t len = out.size() - at;
  out[at + 16] = static_cast<uint8_t>(len >> 8);
  out[at + 17] = static_cast<uint8_t>(len);
}

void put_mp_next_hop(const rib::IpAddress& nh, const rib::IpAddress& link_local,
                     std::vector<uint8_t>& out) {
  uint8_t buf[32];
  std::size_t len = nh.to_bytes(buf);
  if (nh.is_v6() && link_local.is_v6() && !link_local.is_zero())
    len += link_local.to_bytes(buf + 16);
  out.push_back(static_cast<uint8_t>(len));
  out.insert(out.end(), buf, buf + len);
}

}  // namespace detail

void encode_attribute(uint8_t flags, uint8_t type, Bytes value, std::vector<uint8_t>& out) {
  if (value.size() > 255) {
    out.push_back(flags | attr_flag::kExtendedLength);
    out.push_back(type);
    put16(out, static_cast<uint32_t>(value.size()));
  } else {
    out.push_back(flags & ~attr_flag::kExtendedLength);
    out.push_back(type);
    out.push_back(static_cast<uint8_t>(value.size()));
  }
  out.insert(out.end(), value.begin(), value.end());
}

std::size_t encode_attributes(const rib::AttrBuilder& a, const Negotiated& n,
                              std::vector<uint8_t>& out, bool with_next_hop) {
  return AttrWriter<rib::AttrBuilder>(a, n, out).write(with_next_hop);
}

std::size_t encode_attributes(const rib::PathAttributes& a, const Negotiated& n,
                              std::vector<uint8_t>& out, bool with_next_hop) {
  return AttrWriter<rib::PathAttributes>(a, n, out).write(with_next_hop);
}

EncodeResult encode_update(const UpdateMessage& m, const Negotiated& n, std::vector<uint8_t>& out) {
  const std::size_t start = detail::begin_update(out);
  auto too_big = [&] {
    out.resize(start);
    return EncodeResult::TooBig;
  };
  const std::size_t wl_at = out.size();
  out.resize(wl_at + 2);
  put_nlri_list(m.withdrawn, n.add_path_tx_ipv4, out);
  const std::size_t wl = out.size() - wl_at - 2;
  if (wl > 0xFFFF) return too_big();
  out[wl_at] = static_cast<uint8_t>(wl >> 8);
  out[wl_at + 1] = static_cast<uint8_t>(wl);

  const std::size_t al_at = out.size();
  out.resize(al_at + 2);
  if (m.mp_unreach) {
    const std::size_t at = detail::begin_attribute(out);
    put16(out, m.mp_unreach->family.afi);
    out.push_back(m.mp_unreach->family.safi);
    put_nlri_list(m.mp_unreach->nlri, n.add_path_tx(m.mp_unreach->family.family()), out);
    if (out.size() - at - 4 > 0xFFFF) return too_big();
    detail::end_attribute(out, at, kOptNonTransitive, 15);
  }
  if (m.mp_reach) {
    const std::size_t at = detail::begin_attribute(out);
    put16(out, m.mp_reach->family.afi);
    out.push_back(m.mp_reach->family.safi);
    detail::put_mp_next_hop(m.mp_reach->next_hop, m.mp_reach->link_local, out);
    out.push_back(0);  // reserved (RFC 4760 3)
    put_nlri_list(m.mp_reach->nlri, n.add_path_tx(m.mp_reach->family.family()), out);
    if (out.size() - at - 4 > 0xFFFF) return too_big();
    detail::end_attribute(out, at, kOptNonTransitive, 14);
  }
  encode_attributes(m.attrs, n, out);
  const std::size_t al = out.size() - al_at - 2;
  if (al > 0xFFFF) return too_big();
  out[al_at] = static_cast<uint8_t>(al >> 8);
  out[al_at + 1] = static_cast<uint8_t>(al);
  put_nlri_list(m.nlri, n.add_path_tx_ipv4, out);
  if (out.size() - start > n.max_message_size()) return too_big();
  detail::finish_message(out, start);
  return EncodeResult::Ok;
}

void encode_end_of_rib(AfiSafi family, std::vector<uint8_t>& out) {
  const std::size_t start = detail::begin_update(out);
  if (family == kIpv4Unicast) {
    const uint8_t body[4] = {0, 0, 0, 0};
    out.insert(out.end(), body, body + 4);
  } else {
    const uint8_t body[10] = {0,
                              0,
                              0,
                              6,
                              kOptNonTransitive,
                              15,
                              3,
                              static_cast<uint8_t>(family.afi >> 8),
                              static_cast<uint8_t>(family.afi),
                              family.safi};
    out.insert(out.end(), body, body + 10);
  }
  detail::finish_message(out, start);
}

}  // namespace rs::bgp::wire
