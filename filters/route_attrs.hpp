// The route attributes the filter language knows by name: their Attr code, type and whether
// filters may write them. Shared by the compiler (name resolution) and the Vm (messages).
#pragma once

#include <string_view>

#include "filters/value.hpp"
#include "filters/vm.hpp"

namespace rs::filters {

struct AttrInfo {
  const char* name;
  Attr attr;
  Type type;
  bool writable;
};
inline constexpr AttrInfo kAttrs[] = {
    {"net", Attr::Net, Type::Prefix, false},
    {"from", Attr::From, Type::Ip, false},
    {"gw", Attr::Gw, Type::Ip, true},
    {"proto", Attr::Proto, Type::String, false},
    {"source", Attr::Source, Type::EnumRts, false},
    {"dest", Attr::Dest, Type::EnumRtd, true},
    {"preference", Attr::Preference, Type::Int, true},
    {"ifname", Attr::Ifname, Type::String, false},
    {"bgp_origin", Attr::BgpOrigin, Type::EnumOrigin, true},
    {"bgp_path", Attr::BgpPath, Type::Path, true},
    {"bgp_next_hop", Attr::BgpNextHop, Type::Ip, true},
    {"bgp_med", Attr::BgpMed, Type::Int, true},
    {"bgp_local_pref", Attr::BgpLocalPref, Type::Int, true},
    {"bgp_community", Attr::BgpCommunity, Type::Clist, true},
    {"bgp_ext_community", Attr::BgpExtCommunity, Type::Eclist, true},
    {"bgp_large_community", Attr::BgpLargeCommunity, Type::Lclist, true},
    {"bgp_originator_id", Attr::BgpOriginatorId, Type::Quad, true},
    {"bgp_cluster_list", Attr::BgpClusterList, Type::Clist, true},
    {"bgp_atomic_aggr", Attr::BgpAtomicAggr, Type::Void, false},
    {"bgp_aggregator", Attr::BgpAggregator, Type::Void, false},
    {"bgp_otc", Attr::BgpOtc, Type::Int, true},
};
inline const AttrInfo* find_attr(std::string_view name) {
  for (const auto& a : kAttrs)
    if (name == a.name) return &a;
  return nullptr;
}

// "bgp_med", ...; "custom attribute" for Attr::Custom.
inline std::string_view attr_name(Attr a) {
  for (const auto& x : kAttrs)
    if (x.attr == a) return x.name;
  return "custom attribute";
}

}  // namespace rs::filters
