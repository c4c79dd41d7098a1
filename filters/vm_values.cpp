// See vm_values.hpp.
#include "filters/vm_values.hpp"

#include <algorithm>
#include <type_traits>

#include "filters/glob.hpp"
#include "filters/path_mask.hpp"

namespace rs::filters::detail {

namespace {

bool set_has(const ValueSet& s, uint64_t v) {
  return s.contains(SetKey{0, 0, v});
}
bool set_has(const ValueSet& s, const rib::LargeCommunity& c) {
  return s.contains(SetKey{0, c.global, (uint64_t{c.local1} << 32) | c.local2});
}

}  // namespace

std::optional<bool> match(const Value& a, const Value& b) {
  if (a.type == Type::Void || b.type == Type::Void) return std::nullopt;
  if (is_set(b.type) && b.type != Type::PrefixSet) {
    const ValueSet& s = b.set();
    if (s.ranges().empty()) return false;
    switch (a.type) {
      case Type::Path:
        for (const auto& seg : a.path().segments)
          for (uint32_t asn : seg.asns)
            if (set_has(s, asn)) return true;
        return false;
      case Type::Clist:
        for (uint32_t c : a.clist().values)
          if (set_has(s, c)) return true;
        return false;
      case Type::Eclist:
        for (uint64_t c : a.eclist().values)
          if (set_has(s, c)) return true;
        return false;
      case Type::Lclist:
        for (const auto& c : a.lclist().values)
          if (set_has(s, c)) return true;
        return false;
      case Type::Ip:
        if (b.type == Type::QuadSet) return a.ip.is_v4() && set_has(s, a.ip.v4_value());
        return s.contains(set_key(a));
      case Type::Prefix:
        return std::nullopt;
      case Type::Quad:
        if (b.type == Type::IpSet)
          return s.contains(set_key(Value::address(rib::IpAddress::v4(a.as_int()))));
        return s.contains(set_key(a));
      default:
        return s.contains(set_key(a));
    }
  }
  switch (b.type) {
    case Type::PrefixSet:
      if (a.type == Type::Prefix) return b.prefix_set().contains(a.net);
      return std::nullopt;
    case Type::Prefix:
      if (a.type == Type::Prefix) return b.net.contains(a.net);
      if (a.type == Type::Ip) return b.net.contains(a.ip);
      return std::nullopt;
    case Type::PathMask:
      if (a.type == Type::Path) return b.mask().matches(a.path());
      return std::nullopt;
    case Type::Path:
      if (a.type == Type::Int) return b.path().contains(a.as_int());
      return std::nullopt;
    case Type::Clist:
      if (a.type == Type::Pair || a.type == Type::Quad || a.type == Type::Int)
        return b.clist().contains(a.as_int());
      if (a.type == Type::Ip && a.ip.is_v4()) return b.clist().contains(a.ip.v4_value());
      return std::nullopt;
    case Type::Eclist:
      if (a.type == Type::Ec) return b.eclist().contains(a.u);
      return std::nullopt;
    case Type::Lclist:
      if (a.type == Type::Lc) return b.lclist().contains(a.lc);
      return std::nullopt;
    case Type::String:
      if (a.type == Type::String) return glob_match(a.str(), b.str());
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// Element tests for delete/filter against a scalar, a set or another list.
template <class V>
bool list_member(const V& x, const Value& arg) {
  if (is_set(arg.type)) {
    if constexpr (std::is_same_v<V, rib::LargeCommunity>)
      return set_has(arg.set(), x);
    else
      return set_has(arg.set(), static_cast<uint64_t>(x));
  }
  if constexpr (std::is_same_v<V, uint32_t>) {
    if (arg.type == Type::Clist) return arg.clist().contains(x);
    if (arg.type == Type::Ip) return arg.ip.is_v4() && arg.ip.v4_value() == x;
    return arg.as_int() == x;
  } else if constexpr (std::is_same_v<V, uint64_t>) {
    if (arg.type == Type::Eclist) return arg.eclist().contains(x);
    return arg.u == x;
  } else {
    if (arg.type == Type::Lclist) return arg.lclist().contains(x);
    return arg.lc == x;
  }
}

template <class V>
void edit_values(const rib::ValueList<V>& in, rib::ValueList<V>& out, Op op, const Value& arg) {
  if (op == Op::ListAdd) {
    out.values = in.values;
    auto add_one = [&](const V& v) {
      if (!out.contains(v)) out.values.push_back(v);
    };
    if constexpr (std::is_same_v<V, uint32_t>) {
      if (arg.type == Type::Clist)
        for (auto v : arg.clist().values) add_one(v);
      else if (arg.type == Type::Ip)
        add_one(arg.ip.v4_value());
      else
        add_one(arg.as_int());
    } else if constexpr (std::is_same_v<V, uint64_t>) {
      if (arg.type == Type::Eclist)
        for (auto v : arg.eclist().values) add_one(v);
      else
        add_one(arg.u);
    } else {
      if (arg.type == Type::Lclist)
        for (const auto& v : arg.lclist().values) add_one(v);
      else
        add_one(arg.lc);
    }
    return;
  }
  const bool keep_members = op == Op::ListFilter;
  for (const auto& v : in.values)
    if (list_member(v, arg) == keep_members) out.values.push_back(v);
}

void path_edit(const rib::AsPath& in, rib::AsPath& out, Op op, const Value& arg) {
  if (op == Op::Prepend) {
    out = in;
    out.prepend(arg.as_int());
    return;
  }
  const bool keep_members = op == Op::ListFilter;
  for (const auto& seg : in.segments) {
    rib::AsPathSegment s{seg.type, {}};
    for (uint32_t asn : seg.asns) {
      bool member = is_set(arg.type) ? set_has(arg.set(), asn) : asn == arg.as_int();
      if (member == keep_members) s.asns.push_back(asn);
    }
    if (!s.asns.empty()) out.segments.push_back(std::move(s));
  }
}

// Member `idx` of a list for a `for` loop (a bgppath: every ASN, AS_SET members included, in
// order, as BIRD); false past the end.
bool list_member_at(const Value& l, uint32_t idx, Value& out) {
  switch (l.type) {
    case Type::Path:
      for (const auto& seg : l.path().segments) {
        if (idx < seg.asns.size()) return out = Value::integer(seg.asns[idx]), true;
        idx -= static_cast<uint32_t>(seg.asns.size());
      }
      return false;
    case Type::Clist:
      if (idx >= l.clist().values.size()) return false;
      return out = Value::pair(l.clist().values[idx] >> 16, l.clist().values[idx] & 0xFFFF), true;
    case Type::Eclist:
      if (idx >= l.eclist().values.size()) return false;
      return out = Value::ec(l.eclist().values[idx]), true;
    case Type::Lclist:
      if (idx >= l.lclist().values.size()) return false;
      return out = Value::large(l.lclist().values[idx]), true;
    default:
      return false;
  }
}

// `.min` / `.max` of a list; an empty list gives the zero member, as BIRD.
std::optional<Value> list_min_max(const Value& l, bool max) {
  auto pick = [&](const auto& vals) {
    auto it = max ? std::max_element(vals.begin(), vals.end())
                  : std::min_element(vals.begin(), vals.end());
    return it == vals.end() ? std::decay_t<decltype(*it)>{} : *it;
  };
  switch (l.type) {
    case Type::Clist: {
      const uint32_t c = pick(l.clist().values);
      return Value::pair(c >> 16, c & 0xFFFF);
    }
    case Type::Eclist:
      return Value::ec(pick(l.eclist().values));
    case Type::Lclist:
      return Value::large(pick(l.lclist().values));
    default:
      return std::nullopt;
  }
}

// As BIRD 2.0.12 (measured with confederation paths): the last ASN before the first AS_SET or
// AS_CONFED_SET, AS_CONFED_SEQUENCE members included.
uint32_t last_nonaggregated(const rib::AsPath& p) {
  uint32_t last = 0;
  for (const auto& s : p.segments) {
    if (s.type != rib::AsSegmentType::Sequence && s.type != rib::AsSegmentType::ConfedSequence)
      break;
    if (!s.asns.empty()) last = s.asns.back();
  }
  return last;
}

// `.first` (BIRD): the first ASN when the path starts with an AS_SEQUENCE, else 0 (a leading
// AS_SET or confederation segment gives 0, unlike the first-AS check, which skips confederations).
uint32_t first_asn(const rib::AsPath& p) {
  if (p.segments.empty() || p.segments.front().type != rib::AsSegmentType::Sequence ||
      p.segments.front().asns.empty())
    return 0;
  return p.segments.front().asns.front();
}

void list_edit(const rib::CommunityList& in, rib::CommunityList& out, Op op, const Value& arg) {
  edit_values(in, out, op, arg);
}
void list_edit(const rib::ExtCommunityList& in, rib::ExtCommunityList& out, Op op,
               const Value& arg) {
  edit_values(in, out, op, arg);
}
void list_edit(const rib::LargeCommunityList& in, rib::LargeCommunityList& out, Op op,
               const Value& arg) {
  edit_values(in, out, op, arg);
}

}  // namespace rs::filters::detail
