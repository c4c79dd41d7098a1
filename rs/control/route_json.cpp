// Attributes of `show route all` in JSON (see route_json.hpp). Which attributes appear follows the
// text form (show_route.cpp): present when the text prints a `BGP.*` line for them.
#include "rs/control/route_json.hpp"

#include "filters/value.hpp"

namespace rs::control {

namespace {

const char* origin_name(rib::Origin o) {
  switch (o) {
    case rib::Origin::Igp:
      return "IGP";
    case rib::Origin::Egp:
      return "EGP";
    case rib::Origin::Incomplete:
      return "Incomplete";
  }
  return "?";
}

const char* segment_name(rib::AsSegmentType t) {
  switch (t) {
    case rib::AsSegmentType::Set:
      return "set";
    case rib::AsSegmentType::Sequence:
      return "sequence";
    case rib::AsSegmentType::ConfedSequence:
      return "confed_sequence";
    case rib::AsSegmentType::ConfedSet:
      return "confed_set";
  }
  return "?";
}

}  // namespace

Json attributes_json(const rib::PathAttributes& a) {
  using rib::AttrType;
  Json j = Json::object();
  if (a.has(AttrType::Origin)) j["origin"] = origin_name(a.origin);
  Json path = Json::array();
  if (a.as_path)
    for (const auto& seg : a.as_path->segments)
      path.push_back({{"type", segment_name(seg.type)}, {"asns", seg.asns}});
  j["as_path"] = std::move(path);
  if (a.has(AttrType::NextHop) || !a.next_hop.is_zero()) {
    j["next_hop"] = a.next_hop.to_string();
    if (!a.next_hop_link_local.is_zero())
      j["next_hop_link_local"] = a.next_hop_link_local.to_string();
  }
  if (a.has(AttrType::Med)) j["med"] = a.med;
  if (a.has(AttrType::LocalPref)) j["local_pref"] = a.local_pref;
  if (a.has(AttrType::AtomicAggregate)) j["atomic_aggregate"] = true;
  if (a.has(AttrType::Aggregator))
    j["aggregator"] = {{"address", rib::IpAddress::v4(a.aggregator.address).to_string()},
                       {"asn", a.aggregator.asn}};
  if (a.communities && !a.communities->empty()) {
    Json c = Json::array();
    for (uint32_t v : a.communities->values) c.push_back({v >> 16, v & 0xffff});
    j["communities"] = std::move(c);
  }
  if (a.has(AttrType::OriginatorId))
    j["originator_id"] = rib::IpAddress::v4(a.originator_id).to_string();
  if (a.cluster_list && !a.cluster_list->empty()) {
    Json c = Json::array();
    for (uint32_t v : a.cluster_list->values) c.push_back(rib::IpAddress::v4(v).to_string());
    j["cluster_list"] = std::move(c);
  }
  if (a.ext_communities && !a.ext_communities->empty()) {
    Json c = Json::array();
    for (uint64_t v : a.ext_communities->values) c.push_back(filters::format_ec(v));
    j["ext_communities"] = std::move(c);
  }
  if (a.large_communities && !a.large_communities->empty()) {
    Json c = Json::array();
    for (const auto& v : a.large_communities->values) c.push_back({v.global, v.local1, v.local2});
    j["large_communities"] = std::move(c);
  }
  if (a.has(AttrType::Otc)) j["otc"] = a.otc;
  return j;
}

}  // namespace rs::control
