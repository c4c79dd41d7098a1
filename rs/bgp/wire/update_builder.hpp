// UpdateBuilder: packs NLRI into as few UPDATE messages as the negotiated size allows (4,096, or
// 65,535 with RFC 8654), withdrawals first, for the pull-based sender: the session asks for one
// message at a time, only when its socket can take more.
//
//   UpdateBuilder b(negotiated);
//   b.set_attributes(attrs);                 // encoded once for every message of this set
//   b.start({.withdraw_ipv4 = w4, .announce_ipv6 = a6});
//   while (b.next(buf) == UpdateBuilder::Next::Message) { ... send buf ... }
//
// IPv4 withdrawals go in the Withdrawn Routes field, IPv6 ones in MP_UNREACH_NLRI; IPv4
// announcements in the NLRI field with NEXT_HOP (or in MP_REACH_NLRI with an IPv6 next hop when
// RFC 8950 was negotiated), IPv6 ones in MP_REACH_NLRI. Path identifiers are written when ADD-PATH
// send was negotiated for the family (RFC 7911).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "rib/attrs.hpp"
#include "rs/bgp/wire/nlri.hpp"
#include "rs/bgp/wire/types.hpp"

namespace rs::bgp::wire {

struct UpdateBatch {
  std::span<const Nlri> withdraw_ipv4;
  std::span<const Nlri> withdraw_ipv6;
  std::span<const Nlri> announce_ipv4;  // all announcements share the current attribute set
  std::span<const Nlri> announce_ipv6;
};

class UpdateBuilder {
 public:
  explicit UpdateBuilder(const Negotiated& n) : n_(n) {}

  // The attribute set for the following announcements. The next hop is taken from
  // a.next_hop / a.next_hop_link_local (the RIB's convention) unless given here.
  void set_attributes(const rib::AttrBuilder& a);
  void set_attributes(const rib::PathAttributes& a);
  void set_attributes(const rib::AttrBuilder& a, rib::IpAddress next_hop,
                      rib::IpAddress link_local = {});
  void set_attributes(const rib::PathAttributes& a, rib::IpAddress next_hop,
                      rib::IpAddress link_local = {});

  // One message each: appends a complete UPDATE carrying a prefix of `v` and returns how many
  // entries it took; 0 when `v` is empty or not even one entry fits (attributes too large, or an
  // IPv4 announcement with an IPv6 next hop without RFC 8950), and then nothing is appended.
  std::size_t withdraw(rib::Family f, std::span<const Nlri> v, std::vector<uint8_t>& out);
  std::size_t announce(rib::Family f, std::span<const Nlri> v, std::vector<uint8_t>& out);

  // Pull interface over a batch: withdrawals (IPv4, IPv6), then announcements (IPv4, IPv6).
  enum class Next : uint8_t {
    Message,  // one UPDATE appended to `out`
    Done,     // nothing left
    TooBig,   // the rest of one family's announcements cannot be sent with these attributes
              // (RFC 4271 9.2); they are dropped from the batch and counted in unsendable()
  };
  void start(const UpdateBatch& b);
  [[nodiscard]] Next next(std::vector<uint8_t>& out);
  bool done() const;
  std::size_t unsendable() const { return unsendable_; }

  // Size of the pre-encoded attribute set (without next hop and MP_REACH).
  std::size_t attributes_size() const { return attrs_.size(); }

 private:
  template <class A>
  void prepare(const A& a, rib::IpAddress next_hop, rib::IpAddress link_local);
  std::size_t fit(std::span<const Nlri> v, bool add_path, std::size_t budget) const;

  Negotiated n_;
  // Attributes without NEXT_HOP; next_hop_at_ is where NEXT_HOP goes (after ORIGIN, AS_PATH).
  std::vector<uint8_t> attrs_;
  std::size_t next_hop_at_ = 0;
  rib::IpAddress next_hop_;
  rib::IpAddress link_local_;
  // AFI, SAFI, next hop length + next hop, reserved: the MP_REACH_NLRI value up to its NLRI,
  // one per family (index 0 IPv4 over RFC 8950, 1 IPv6).
  std::vector<uint8_t> mp_head_[2];

  UpdateBatch batch_;
  std::size_t unsendable_ = 0;
};

}  // namespace rs::bgp::wire
