// Route attribute access of the filter Vm: reads through the overlay of the input route
// (load_attr), writes into it (store_attr), and the copy-on-write of an accepted, modified route
// into the caller's AttrBuilder (finish).
#include "filters/vm.hpp"

#include "filters/route_attrs.hpp"
#include "filters/vm_values.hpp"

namespace rs::filters {

using enum detail::ListBit;

bool Vm::load_attr(const Insn& i, Value& v, std::string& err) {
  const Attr a = static_cast<Attr>(i.a);
  // BIRD 2: an attribute the route does not carry reads as void (lists read as empty lists).
  // Void equals only void, sorts before every other value, and is an error in arithmetic, `~`,
  // conditions and assignments (docs/filters.md, "Undefined attributes").
  auto undefined = [&]() {
    v = Value{};
    return true;
  };
  switch (a) {
    case Attr::Net:
      v = Value::prefix(route_->net);
      return true;
    case Attr::From:
      v = Value::address(route_->from);
      return true;
    case Attr::Gw:
      v = Value::address(out_->route_modified ? out_->gw : route_->gw);
      return true;
    case Attr::Proto:
    case Attr::Ifname: {
      std::string* s = arena_.string();
      s->assign(a == Attr::Proto ? route_->proto : route_->ifname);
      v = Value::object(Type::String, s);
      return true;
    }
    case Attr::Source:
      v = Value::enumeration(Type::EnumRts, route_->source);
      return true;
    case Attr::Dest:
      v = Value::enumeration(Type::EnumRtd, out_->route_modified ? out_->dest : route_->dest);
      return true;
    case Attr::Preference:
      v = Value::integer(out_->route_modified ? out_->preference : route_->preference);
      return true;
    case Attr::BgpOrigin:
      if (!scalars_.has(rib::AttrType::Origin)) return undefined();
      v = Value::enumeration(Type::EnumOrigin, static_cast<uint32_t>(scalars_.origin));
      return true;
    case Attr::BgpPath:
      v = Value::object(Type::Path, path_);
      return true;
    case Attr::BgpNextHop:
      if (!scalars_.has(rib::AttrType::NextHop) && scalars_.next_hop.is_zero()) return undefined();
      v = Value::address(scalars_.next_hop);
      return true;
    case Attr::BgpMed:
      if (!scalars_.has(rib::AttrType::Med)) return undefined();
      v = Value::integer(scalars_.med);
      return true;
    case Attr::BgpLocalPref:
      if (!scalars_.has(rib::AttrType::LocalPref)) return undefined();
      v = Value::integer(scalars_.local_pref);
      return true;
    case Attr::BgpCommunity:
      v = Value::object(Type::Clist, clist_);
      return true;
    case Attr::BgpExtCommunity:
      v = Value::object(Type::Eclist, eclist_);
      return true;
    case Attr::BgpLargeCommunity:
      v = Value::object(Type::Lclist, lclist_);
      return true;
    case Attr::BgpClusterList:
      v = Value::object(Type::Clist, cluster_);
      return true;
    case Attr::BgpOriginatorId:
      if (!scalars_.has(rib::AttrType::OriginatorId)) return undefined();
      v = Value::quad(scalars_.originator_id);
      return true;
    case Attr::BgpOtc:
      if (!scalars_.has(rib::AttrType::Otc)) return undefined();
      v = Value::integer(scalars_.otc);
      return true;
    case Attr::BgpAggregator:
    case Attr::BgpAtomicAggr:
      err = "attribute " + std::string(attr_name(a)) + " can only be tested with defined()";
      return false;
    case Attr::Custom:
      for (const auto& c : custom_)
        if (c.id == i.arg) {
          v = c.value;
          return true;
        }
      return undefined();
  }
  return undefined();
}

bool Vm::store_attr(const Insn& i, const Value& v, std::string& err) {
  const Attr a = static_cast<Attr>(i.a);
  auto route_field = [&]() {
    if (!out_->route_modified) {
      out_->route_modified = true;
      out_->preference = route_->preference;
      out_->gw = route_->gw;
      out_->dest = route_->dest;
    }
  };
  switch (a) {
    case Attr::Gw:
      route_field();
      out_->gw = v.ip;
      return true;
    case Attr::Dest:
      route_field();
      out_->dest = v.as_int();
      return true;
    case Attr::Preference:
      if (v.as_int() > 65535) {
        err = "preference out of range (0..65535)";
        return false;
      }
      route_field();
      out_->preference = v.as_int();
      return true;
    case Attr::From:
      err = "attribute from cannot be changed by rsd";
      return false;
    case Attr::BgpOrigin:
      scalars_.origin = static_cast<rib::Origin>(v.as_int());
      scalars_.set_present(rib::AttrType::Origin);
      break;
    case Attr::BgpNextHop:
      if (v.type != Type::Ip) {
        err = "bgp_next_hop needs an ip";
        return false;
      }
      scalars_.next_hop = v.ip;
      scalars_.set_present(rib::AttrType::NextHop);
      out_->next_hop_set = true;
      break;
    case Attr::BgpMed:
      scalars_.med = v.as_int();
      scalars_.set_present(rib::AttrType::Med);
      out_->med_set = true;
      break;
    case Attr::BgpLocalPref:
      scalars_.local_pref = v.as_int();
      scalars_.set_present(rib::AttrType::LocalPref);
      break;
    case Attr::BgpOriginatorId:
      scalars_.originator_id = v.type == Type::Ip ? v.ip.v4_value() : v.as_int();
      scalars_.set_present(rib::AttrType::OriginatorId);
      break;
    case Attr::BgpOtc:
      scalars_.otc = v.as_int();
      scalars_.set_present(rib::AttrType::Otc);
      break;
    case Attr::BgpAtomicAggr:
      if (v.as_bool())
        scalars_.set_present(rib::AttrType::AtomicAggregate);
      else
        scalars_.clear(rib::AttrType::AtomicAggregate);
      break;
    case Attr::BgpPath:
      path_ = &v.path();
      lists_dirty_ |= kPath;
      return true;
    case Attr::BgpCommunity:
      clist_ = &v.clist();
      lists_dirty_ |= kClist;
      return true;
    case Attr::BgpExtCommunity:
      eclist_ = &v.eclist();
      lists_dirty_ |= kEclist;
      return true;
    case Attr::BgpLargeCommunity:
      lclist_ = &v.lclist();
      lists_dirty_ |= kLclist;
      return true;
    case Attr::BgpClusterList:
      cluster_ = &v.clist();
      lists_dirty_ |= kCluster;
      return true;
    case Attr::Custom:
      for (auto& c : custom_)
        if (c.id == i.arg) {
          c.value = v;
          return true;
        }
      custom_.push_back({static_cast<uint16_t>(i.arg), v});
      return true;
    default:
      err = "attribute " + std::string(attr_name(a)) + " is read-only";
      return false;
  }
  attrs_dirty_ = true;
  return true;
}

void Vm::finish(RunOutput& out, const rib::AttrBuilder* in_builder,
                const rib::PathAttributes* in_attrs) {
  out.custom = custom_;
  if (!attrs_dirty_ && !lists_dirty_) return;
  // Copy-assign into the caller's builder: its vectors keep their capacity, so a caller that
  // reuses one RunOutput stops allocating once it has seen its largest route.
  if (in_builder) {
    out.attrs = *in_builder;
  } else {
    const rib::PathAttributes& a = *in_attrs;
    auto copy = [](auto& dst, const auto& ref) {
      if (ref)
        dst = *ref;
      else
        dst.values.clear();
    };
    if (a.as_path)
      out.attrs.as_path = *a.as_path;
    else
      out.attrs.as_path.segments.clear();
    copy(out.attrs.communities, a.communities);
    copy(out.attrs.ext_communities, a.ext_communities);
    copy(out.attrs.large_communities, a.large_communities);
    copy(out.attrs.cluster_list, a.cluster_list);
    copy(out.attrs.unknown, a.unknown);
  }
  static_cast<rib::AttrScalars&>(out.attrs) = scalars_;
  auto presence = [&](rib::AttrType t, bool nonempty) {
    if (nonempty)
      out.attrs.set_present(t);
    else
      out.attrs.clear(t);
  };
  if (lists_dirty_ & kPath) out.attrs.as_path = *path_, presence(rib::AttrType::AsPath, true);
  if (lists_dirty_ & kClist)
    out.attrs.communities = *clist_, presence(rib::AttrType::Communities, !clist_->empty());
  if (lists_dirty_ & kEclist)
    out.attrs.ext_communities = *eclist_,
    presence(rib::AttrType::ExtCommunities, !eclist_->empty());
  if (lists_dirty_ & kLclist)
    out.attrs.large_communities = *lclist_,
    presence(rib::AttrType::LargeCommunities, !lclist_->empty());
  if (lists_dirty_ & kCluster)
    out.attrs.cluster_list = *cluster_, presence(rib::AttrType::ClusterList, !cluster_->empty());
  out.modified = true;
}

}  // namespace rs::filters
