// Path attribute values: AS path helpers (RFC 4271 9.1.2.2, RFC 5065 confederations), hashing of
// every interned type, and AttrTable::intern, which interns the lists first and then the set.
#include "rib/attrs.hpp"

#include <cstring>

namespace rs::rib {

std::string_view to_string(Origin o) {
  switch (o) {
    case Origin::Igp:
      return "IGP";
    case Origin::Egp:
      return "EGP";
    case Origin::Incomplete:
      return "Incomplete";
  }
  return "?";
}

uint32_t AsPath::length() const {
  uint32_t n = 0;
  for (const auto& s : segments) {
    if (s.type == AsSegmentType::Sequence)
      n += static_cast<uint32_t>(s.asns.size());
    else if (s.type == AsSegmentType::Set)
      n += 1;
  }
  return n;
}

uint32_t AsPath::first_as() const {
  for (const auto& s : segments) {
    if (s.type == AsSegmentType::ConfedSequence || s.type == AsSegmentType::ConfedSet) continue;
    if (s.type == AsSegmentType::Sequence && !s.asns.empty()) return s.asns.front();
    return 0;
  }
  return 0;
}

uint32_t AsPath::origin_as() const {
  if (segments.empty()) return 0;
  const auto& last = segments.back();
  if (last.type != AsSegmentType::Sequence || last.asns.empty()) return 0;
  return last.asns.back();
}

bool AsPath::contains(uint32_t asn) const {
  for (const auto& s : segments)
    for (uint32_t a : s.asns)
      if (a == asn) return true;
  return false;
}

bool AsPath::has_confed() const {
  for (const auto& s : segments)
    if (s.type == AsSegmentType::ConfedSequence || s.type == AsSegmentType::ConfedSet) return true;
  return false;
}

void AsPath::prepend(uint32_t asn, unsigned times) {
  if (times == 0) return;
  // RFC 4271 5.1.2: prepend to a leading AS_SEQUENCE if it has room, else open a new one.
  if (segments.empty() || segments.front().type != AsSegmentType::Sequence ||
      segments.front().asns.size() + times > 255) {
    segments.insert(segments.begin(), AsPathSegment{AsSegmentType::Sequence, {}});
  }
  auto& a = segments.front().asns;
  a.insert(a.begin(), times, asn);
}

std::string AsPath::to_string() const {
  std::string out;
  for (const auto& s : segments) {
    const char* open = "";
    const char* close = "";
    switch (s.type) {
      case AsSegmentType::Set:
        open = "{", close = "}";
        break;
      case AsSegmentType::ConfedSequence:
        open = "(", close = ")";
        break;
      case AsSegmentType::ConfedSet:
        open = "[", close = "]";
        break;
      case AsSegmentType::Sequence:
        break;
    }
    if (!out.empty()) out += ' ';
    out += open;
    for (std::size_t i = 0; i < s.asns.size(); ++i) {
      if (i) out += ' ';
      out += std::to_string(s.asns[i]);
    }
    out += close;
  }
  return out;
}

uint64_t AsPath::hash() const {
  uint64_t h = 0x517cc1b727220a95ULL;
  for (const auto& s : segments) {
    h = hash_combine(h, static_cast<uint64_t>(s.type) << 32 | s.asns.size());
    for (uint32_t a : s.asns) h = hash_combine(h, a);
  }
  return h;
}

namespace {
uint64_t value_hash(uint32_t v) {
  return v;
}
uint64_t value_hash(uint64_t v) {
  return v;
}
uint64_t value_hash(const LargeCommunity& c) {
  return hash_combine(hash_combine(c.global, c.local1), c.local2);
}
uint64_t value_hash(const RawAttribute& a) {
  uint64_t h = hash_combine(a.flags, a.type);
  for (uint8_t b : a.value) h = h * 131 + b;
  return mix64(h);
}
}  // namespace

template <class V>
uint64_t ValueList<V>::hash() const {
  uint64_t h = values.size();
  for (const auto& v : values) h = hash_combine(h, value_hash(v));
  return h;
}
template struct ValueList<uint32_t>;
template struct ValueList<uint64_t>;
template struct ValueList<LargeCommunity>;
template struct ValueList<RawAttribute>;

AttrBuilder::AttrBuilder(const PathAttributes& a) : AttrScalars(a) {
  if (a.as_path) as_path = *a.as_path;
  if (a.communities) communities = *a.communities;
  if (a.ext_communities) ext_communities = *a.ext_communities;
  if (a.large_communities) large_communities = *a.large_communities;
  if (a.cluster_list) cluster_list = *a.cluster_list;
  if (a.unknown) unknown = *a.unknown;
}

void AttrBuilder::reset() {
  static_cast<AttrScalars&>(*this) = AttrScalars{};
  as_path.segments.clear();
  communities.values.clear();
  ext_communities.values.clear();
  large_communities.values.clear();
  cluster_list.values.clear();
  unknown.values.clear();
}

uint64_t PathAttributes::hash() const {
  uint64_t h = present ^ (uint64_t{partial} << 56);  // present uses bits below 36
  h = hash_combine(h, static_cast<uint64_t>(origin) << 32 | med);
  h = hash_combine(h, uint64_t{local_pref} << 32 | originator_id);
  h = hash_combine(h, uint64_t{otc} << 32 | aggregator.asn);
  h = hash_combine(h, aggregator.address);
  h = hash_combine(h, next_hop.hash());
  h = hash_combine(h, next_hop_link_local.hash());
  h = hash_combine(
      h, uint64_t{next_hop_from_filter} << 32 | uint64_t{has_preference} << 16 | preference);
  // Sub-lists are interned: their node hashes identify them.
  h = hash_combine(h, as_path.hash());
  h = hash_combine(h, communities.hash());
  h = hash_combine(h, ext_communities.hash());
  h = hash_combine(h, large_communities.hash());
  h = hash_combine(h, cluster_list.hash());
  h = hash_combine(h, unknown.hash());
  return h;
}

AttrRef AttrTable::intern(const AttrBuilder& b) {
  PathAttributes a;
  static_cast<AttrScalars&>(a) = b;
  a.as_path = intern_list(as_paths_, b.as_path);
  if (a.as_path) {
    a.as_path_length = a.as_path->length();
    a.first_as = a.as_path->first_as();
  }
  a.communities = intern_list(communities_, b.communities);
  a.ext_communities = intern_list(ext_communities_, b.ext_communities);
  a.large_communities = intern_list(large_communities_, b.large_communities);
  a.cluster_list = intern_list(cluster_lists_, b.cluster_list);
  a.unknown = intern_list(unknown_, b.unknown);
  return attrs_.intern(std::move(a));
}

AttrTable::Counters AttrTable::counters() const {
  return {attrs_.counters(),           as_paths_.counters(),          communities_.counters(),
          ext_communities_.counters(), large_communities_.counters(), cluster_lists_.counters(),
          unknown_.counters()};
}

namespace {
template <class V>
std::size_t list_heap(const ValueList<V>& l) {
  return heap_block(l.values.capacity() * sizeof(V));
}
std::size_t raw_heap(const RawAttributeList& l) {
  std::size_t b = list_heap(l);
  for (const auto& a : l.values) b += heap_block(a.value.capacity());
  return b;
}
std::size_t as_path_heap(const AsPath& p) {
  std::size_t b = heap_block(p.segments.capacity() * sizeof(AsPathSegment));
  for (const auto& s : p.segments) b += heap_block(s.asns.capacity() * sizeof(uint32_t));
  return b;
}
}  // namespace

AttrTable::Memory AttrTable::memory() const {
  Memory m;
  m.attrs = attrs_.memory_bytes([](const PathAttributes&) { return std::size_t{0}; });
  m.as_paths = as_paths_.memory_bytes(as_path_heap);
  m.communities = communities_.memory_bytes(list_heap<Community>);
  m.ext_communities = ext_communities_.memory_bytes(list_heap<ExtCommunity>);
  m.large_communities = large_communities_.memory_bytes(list_heap<LargeCommunity>);
  m.cluster_lists = cluster_lists_.memory_bytes(list_heap<uint32_t>);
  m.unknown = unknown_.memory_bytes(raw_heap);
  return m;
}

}  // namespace rs::rib
