// BGP path attributes as the RIB sees them: no bytes, only values.
//  - AttrBuilder: mutable, owns its lists; the codec decodes into it, filters rewrite it.
//  - PathAttributes: immutable and interned; its lists (AS path, communities, ...) are interned on
//    their own, so equal attribute sets share one node and compare by pointer (AttrRef).
//  - AttrTable: the intern tables; one per daemon, owned by the event-loop thread.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "rib/intern.hpp"
#include "rib/prefix.hpp"

namespace rs::rib {

// Attribute type codes (IANA "BGP Path Attributes").
enum class AttrType : uint8_t {
  Origin = 1,
  AsPath = 2,
  NextHop = 3,
  Med = 4,
  LocalPref = 5,
  AtomicAggregate = 6,
  Aggregator = 7,
  Communities = 8,
  OriginatorId = 9,
  ClusterList = 10,
  MpReachNlri = 14,
  MpUnreachNlri = 15,
  ExtCommunities = 16,
  As4Path = 17,
  As4Aggregator = 18,
  Ipv6ExtCommunities = 25,
  LargeCommunities = 32,
  Otc = 35,
};

enum class Origin : uint8_t { Igp = 0, Egp = 1, Incomplete = 2 };
std::string_view to_string(Origin o);

enum class AsSegmentType : uint8_t { Set = 1, Sequence = 2, ConfedSequence = 3, ConfedSet = 4 };

struct AsPathSegment {
  AsSegmentType type = AsSegmentType::Sequence;
  std::vector<uint32_t> asns;
  friend bool operator==(const AsPathSegment&, const AsPathSegment&) = default;
};

struct AsPath {
  std::vector<AsPathSegment> segments;

  // RFC 4271 9.1.2.2 a): a SET counts as one, confederation segments count as zero.
  uint32_t length() const;
  bool empty() const { return segments.empty(); }
  // Leftmost AS of the first AS_SEQUENCE (the neighbour's AS), 0 when none.
  uint32_t first_as() const;
  // Rightmost AS of the last AS_SEQUENCE (the originating AS), 0 when none (RFC 6907 style).
  uint32_t origin_as() const;
  bool contains(uint32_t asn) const;
  bool has_confed() const;
  void prepend(uint32_t asn, unsigned times = 1);
  // BIRD style: "65001 65002 {65003 65004}".
  std::string to_string() const;
  uint64_t hash() const;
  friend bool operator==(const AsPath&, const AsPath&) = default;
};

struct LargeCommunity {
  uint32_t global = 0;
  uint32_t local1 = 0;
  uint32_t local2 = 0;
  friend auto operator<=>(const LargeCommunity&, const LargeCommunity&) = default;
};

// A list attribute kept in wire order (duplicates kept as received).
template <class V>
struct ValueList {
  std::vector<V> values;
  bool empty() const { return values.empty(); }
  std::size_t size() const { return values.size(); }
  bool contains(const V& v) const {
    for (const auto& x : values)
      if (x == v) return true;
    return false;
  }
  uint64_t hash() const;
  friend bool operator==(const ValueList&, const ValueList&) = default;
};
using Community = uint32_t;     // RFC 1997: ASN << 16 | value
using ExtCommunity = uint64_t;  // RFC 4360: 8 octets, big-endian
using CommunityList = ValueList<Community>;
using ExtCommunityList = ValueList<ExtCommunity>;
using LargeCommunityList = ValueList<LargeCommunity>;
using ClusterList = ValueList<uint32_t>;

// An attribute rsd does not interpret, kept byte-exact (optional transitive ones are forwarded).
struct RawAttribute {
  uint8_t flags = 0;
  uint8_t type = 0;
  std::vector<uint8_t> value;
  friend bool operator==(const RawAttribute&, const RawAttribute&) = default;
};
using RawAttributeList = ValueList<RawAttribute>;

struct Aggregator {
  uint32_t asn = 0;
  uint32_t address = 0;  // IPv4, host order
  friend bool operator==(const Aggregator&, const Aggregator&) = default;
};

// Scalars shared by the builder and the interned form; presence is a bit per attribute type.
struct AttrScalars {
  uint64_t present = 0;  // bit (1 << AttrType)
  Origin origin = Origin::Igp;
  // RFC 4271 5: the Partial bit received on a recognised optional transitive attribute is passed
  // on (it is never cleared); one bit per partial_index().
  uint8_t partial = 0;
  uint32_t med = 0;
  uint32_t local_pref = 0;
  uint32_t originator_id = 0;
  uint32_t otc = 0;
  Aggregator aggregator;
  IpAddress next_hop;             // NEXT_HOP, or the MP_REACH global next hop
  IpAddress next_hop_link_local;  // MP_REACH IPv6 link-local next hop, if any (else zero)
  // Not an attribute: the export filter assigned bgp_next_hop, so the value goes out as set even
  // where the default next hop self would apply (BIRD 2 keeps a next hop its export filter set).
  bool next_hop_from_filter = false;
  // Not an attribute: BIRD's route preference when the import filter assigned one (`preference =
  // N;`); otherwise the route's source (its channel) gives it. Kept here, with the route's
  // attributes, so that the decision and later filters see it, as in BIRD.
  bool has_preference = false;
  uint16_t preference = 0;

  bool has(AttrType t) const { return (present >> static_cast<unsigned>(t)) & 1; }
  void set_present(AttrType t) { present |= uint64_t{1} << static_cast<unsigned>(t); }
  void clear(AttrType t) { present &= ~(uint64_t{1} << static_cast<unsigned>(t)); }
  static constexpr int partial_index(AttrType t) {
    switch (t) {
      case AttrType::Aggregator:
        return 0;
      case AttrType::Communities:
        return 1;
      case AttrType::ExtCommunities:
        return 2;
      case AttrType::LargeCommunities:
        return 3;
      case AttrType::Otc:
        return 4;
      default:
        return -1;
    }
  }
  bool is_partial(AttrType t) const {
    const int i = partial_index(t);
    return i >= 0 && ((partial >> i) & 1);
  }
  void set_partial(AttrType t) {
    if (const int i = partial_index(t); i >= 0) partial |= static_cast<uint8_t>(1u << i);
  }
  friend bool operator==(const AttrScalars&, const AttrScalars&) = default;
};

struct PathAttributes;

struct AttrBuilder : AttrScalars {
  AsPath as_path;
  CommunityList communities;
  ExtCommunityList ext_communities;
  LargeCommunityList large_communities;
  ClusterList cluster_list;
  RawAttributeList unknown;  // sorted by type

  AttrBuilder() = default;
  explicit AttrBuilder(const PathAttributes& a);
  // Empties every field but keeps the lists' capacity (the codec reuses one builder).
  void reset();
  void set_origin(Origin o) { origin = o, set_present(AttrType::Origin); }
  void set_med(uint32_t v) { med = v, set_present(AttrType::Med); }
  void set_local_pref(uint32_t v) { local_pref = v, set_present(AttrType::LocalPref); }
  void set_next_hop(IpAddress a) { next_hop = a, set_present(AttrType::NextHop); }
  friend bool operator==(const AttrBuilder&, const AttrBuilder&) = default;
};

struct PathAttributes : AttrScalars {
  Ref<AsPath> as_path;
  Ref<CommunityList> communities;
  Ref<ExtCommunityList> ext_communities;
  Ref<LargeCommunityList> large_communities;
  Ref<ClusterList> cluster_list;
  Ref<RawAttributeList> unknown;
  // Derived from as_path when interned (the decision process reads them for every comparison):
  // RFC 4271 9.1.2.2 a) length, and the neighbour AS (first AS of the first AS_SEQUENCE).
  uint32_t as_path_length = 0;
  uint32_t first_as = 0;

  uint64_t hash() const;
  friend bool operator==(const PathAttributes&, const PathAttributes&) = default;
};
using AttrRef = Ref<PathAttributes>;

class AttrTable {
 public:
  AttrRef intern(const AttrBuilder& b);
  Ref<AsPath> intern(const AsPath& p) { return as_paths_.intern(p); }

  struct Counters {
    InternCounters attrs, as_paths, communities, ext_communities, large_communities, cluster_lists,
        unknown;
  };
  Counters counters() const;
  // Heap bytes per intern table (from capacities, see InternTable::memory_bytes).
  struct Memory {
    std::size_t attrs = 0, as_paths = 0, communities = 0, ext_communities = 0,
                large_communities = 0, cluster_lists = 0, unknown = 0;
    std::size_t total() const {
      return attrs + as_paths + communities + ext_communities + large_communities + cluster_lists +
             unknown;
    }
  };
  Memory memory() const;

 private:
  template <class V>
  static Ref<V> intern_list(InternTable<V>& t, const V& v) {
    return v.empty() ? Ref<V>() : t.intern(v);
  }
  InternTable<AsPath> as_paths_;
  InternTable<CommunityList> communities_;
  InternTable<ExtCommunityList> ext_communities_;
  InternTable<LargeCommunityList> large_communities_;
  InternTable<ClusterList> cluster_lists_;
  InternTable<RawAttributeList> unknown_;
  // Declared last so it is destroyed first: its nodes hold Refs into the tables above.
  InternTable<PathAttributes> attrs_;
};

}  // namespace rs::rib
