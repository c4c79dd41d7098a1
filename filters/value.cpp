// Filter values: type names, builtin enum constants, set membership by binary search over merged
// ranges, structural equality and ordering, and BIRD's textual forms (pair "(a,b)", bool
// "TRUE"/"FALSE", ec "(rt, a, b)", lc "(a, b, c)", clist "(a,b) (c,d)", sets "[1, 5..7]").
#include "filters/value.hpp"

#include <algorithm>
#include <cstdio>

#include "filters/path_mask.hpp"

namespace rs::filters {

std::string_view type_name(Type t) {
  switch (t) {
    case Type::Void:
      return "void";
    case Type::Bool:
      return "bool";
    case Type::Int:
      return "int";
    case Type::Pair:
      return "pair";
    case Type::Quad:
      return "quad";
    case Type::Ip:
      return "ip";
    case Type::Prefix:
      return "prefix";
    case Type::String:
      return "string";
    case Type::Ec:
      return "ec";
    case Type::Lc:
      return "lc";
    case Type::Path:
      return "bgppath";
    case Type::PathMask:
      return "bgpmask";
    case Type::Clist:
      return "clist";
    case Type::Eclist:
      return "eclist";
    case Type::Lclist:
      return "lclist";
    case Type::EnumNetType:
      return "enum net_type";
    case Type::EnumRts:
      return "enum rts";
    case Type::EnumRtd:
      return "enum rtd";
    case Type::EnumOrigin:
      return "enum bgp_origin";
    case Type::EnumRoa:
      return "enum roa";
    case Type::EnumScope:
      return "enum scope";
    case Type::IntSet:
      return "int set";
    case Type::PairSet:
      return "pair set";
    case Type::QuadSet:
      return "quad set";
    case Type::EcSet:
      return "ec set";
    case Type::LcSet:
      return "lc set";
    case Type::IpSet:
      return "ip set";
    case Type::PrefixSet:
      return "prefix set";
    case Type::EnumSet:
      return "enum set";
    case Type::Any:
      return "any";
  }
  return "?";
}

Type set_of(Type e) {
  switch (e) {
    case Type::Int:
      return Type::IntSet;
    case Type::Pair:
      return Type::PairSet;
    case Type::Quad:
      return Type::QuadSet;
    case Type::Ec:
      return Type::EcSet;
    case Type::Lc:
      return Type::LcSet;
    case Type::Ip:
      return Type::IpSet;
    case Type::Prefix:
      return Type::PrefixSet;
    default:
      return is_enum(e) ? Type::EnumSet : Type::Void;
  }
}

Type element_of(Type s) {
  switch (s) {
    case Type::IntSet:
      return Type::Int;
    case Type::PairSet:
      return Type::Pair;
    case Type::QuadSet:
      return Type::Quad;
    case Type::EcSet:
      return Type::Ec;
    case Type::LcSet:
      return Type::Lc;
    case Type::IpSet:
      return Type::Ip;
    case Type::PrefixSet:
      return Type::Prefix;
    case Type::EnumSet:
      return Type::Any;
    default:
      return Type::Void;
  }
}

std::optional<uint64_t> make_ec(EcKind kind, uint16_t unknown_type, uint64_t a, uint64_t b) {
  uint64_t type = 0;
  switch (kind) {
    case EcKind::Rt:
      type = 0x0002;
      break;
    case EcKind::Ro:
      type = 0x0003;
      break;
    case EcKind::Generic:
      // BIRD 2.0.12: the two halves of the 8 octets, as they are (`(generic, 0x43000000, 2)` is
      // `(unknown 0x4300, 0, 2)`).
      if (a > 0xFFFFFFFFu || b > 0xFFFFFFFFu) return std::nullopt;
      return (a << 32) | b;
    case EcKind::Unknown:
      type = unknown_type;
      break;
    case EcKind::RtIp:
    case EcKind::RoIp:
      if (a > 0xFFFFFFFFu || b > 0xFFFF) return std::nullopt;
      return (uint64_t{kind == EcKind::RtIp ? 0x0102u : 0x0103u} << 48) | (a << 16) | b;
  }
  if (kind == EcKind::Rt || kind == EcKind::Ro) {
    if (a <= 0xFFFF) {
      if (b > 0xFFFFFFFFu) return std::nullopt;
      return (type << 48) | (a << 32) | b;  // RFC 4360 3.1: two-octet AS specific
    }
    if (a > 0xFFFFFFFFu || b > 0xFFFF) return std::nullopt;
    return ((type | 0x0200) << 48) | (a << 16) | b;  // RFC 5668: four-octet AS specific
  }
  if (a > 0xFFFF || b > 0xFFFFFFFFu) return std::nullopt;
  return (type << 48) | (a << 32) | b;
}

// As BIRD 2.0.12 prints them: the two-octet-AS (type 0x00..), IPv4 (0x01..) and four-octet-AS
// (0x02..) layouts by name (rt, ro) or as `(unknown 0xTYPE, A, B)`; any other type as
// `(generic, 0xHIGH, 0xLOW)`, the two 32-bit halves.
std::string format_ec(uint64_t ec) {
  const unsigned type = static_cast<unsigned>(ec >> 48);
  const unsigned layout = type >> 8, sub = type & 0xFF;
  char buf[80];
  if (layout > 0x02) {
    std::snprintf(buf, sizeof buf, "(generic, 0x%x, 0x%x)", unsigned(ec >> 32), unsigned(ec));
    return buf;
  }
  char kind[24];
  if (sub == 0x02 || sub == 0x03)
    std::snprintf(kind, sizeof kind, "%s", sub == 0x02 ? "rt" : "ro");
  else
    std::snprintf(kind, sizeof kind, "unknown 0x%x", type);
  if (layout == 0x00) {
    std::snprintf(buf, sizeof buf, "(%s, %u, %u)", kind, unsigned((ec >> 32) & 0xFFFF),
                  unsigned(ec));
  } else if (layout == 0x02) {
    std::snprintf(buf, sizeof buf, "(%s, %u, %u)", kind, unsigned(ec >> 16), unsigned(ec & 0xFFFF));
  } else {
    const unsigned ip = unsigned(ec >> 16);
    std::snprintf(buf, sizeof buf, "(%s, %u.%u.%u.%u, %u)", kind, ip >> 24, (ip >> 16) & 0xFF,
                  (ip >> 8) & 0xFF, ip & 0xFF, unsigned(ec & 0xFFFF));
  }
  return buf;
}

SetKey set_key(const Value& v) {
  switch (v.type) {
    case Type::Lc:
      return {0, v.lc.global, (uint64_t{v.lc.local1} << 32) | v.lc.local2};
    case Type::Ip:
      return {static_cast<uint64_t>(v.ip.family()), v.ip.hi(), v.ip.lo()};
    default:
      return {0, 0, v.u};
  }
}

namespace {
Value value_of(Type elem, const SetKey& k) {
  switch (elem) {
    case Type::Lc:
      return Value::large({static_cast<uint32_t>(k.b), static_cast<uint32_t>(k.c >> 32),
                           static_cast<uint32_t>(k.c)});
    case Type::Ip:
      return Value::address(k.a == 4 ? rib::IpAddress::v4(static_cast<uint32_t>(k.b >> 32))
                                     : rib::IpAddress::v6(k.b, k.c));
    default: {
      Value x;
      x.type = elem;
      x.u = k.c;
      return x;
    }
  }
}
}  // namespace

void ValueSet::add_range(SetKey lo, SetKey hi) {
  ranges_.emplace_back(lo, hi);
}

void ValueSet::finish() {
  std::sort(ranges_.begin(), ranges_.end());
  std::vector<std::pair<SetKey, SetKey>> out;
  for (const auto& r : ranges_) {
    if (!out.empty()) {
      auto& last = out.back();
      // Merge overlapping or touching ranges (touching only in the last word, no carries).
      SetKey next = last.second;
      bool touch =
          next.c != ~0ULL && r.first.a == next.a && r.first.b == next.b && r.first.c <= next.c + 1;
      if (r.first <= last.second || touch) {
        if (last.second < r.second) last.second = r.second;
        continue;
      }
    }
    out.push_back(r);
  }
  ranges_ = std::move(out);
}

bool ValueSet::contains(const SetKey& k) const {
  // First range whose low end is > k; the candidate is the one before it.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), k,
                             [](const SetKey& key, const auto& r) { return key < r.first; });
  if (it == ranges_.begin()) return false;
  --it;
  return !(it->second < k);
}

bool ValueSet::contains(const Value& v) const {
  return contains(set_key(v));
}

std::string ValueSet::to_string() const {
  std::string s = "[";
  bool first = true;
  for (const auto& [lo, hi] : ranges_) {
    if (!first) s += ", ";
    first = false;
    s += format(value_of(elem_, lo));
    if (lo != hi) s += ".." + format(value_of(elem_, hi));
  }
  return s + "]";
}

namespace {
struct EnumName {
  const char* name;
  Type type;
  uint32_t value;
};
// BIRD 2.0.12 formats an enum value as "(enum T)N": T its type code in hex, N its number
// (measured with `birdc eval`: ORIGIN_IGP is "(enum 31)0", RTS_BGP "(enum 30)11").
const char* bird_enum_code(Type t) {
  switch (t) {
    case Type::EnumRts:
      return "30";
    case Type::EnumOrigin:
      return "31";
    case Type::EnumScope:
      return "32";
    case Type::EnumRtd:
      return "34";
    case Type::EnumRoa:
      return "35";
    case Type::EnumNetType:
      return "36";
    default:
      return "?";
  }
}
constexpr EnumName kEnums[] = {
    {"NET_IP4", Type::EnumNetType, kNetIp4},
    {"NET_IP6", Type::EnumNetType, kNetIp6},
    // BIRD 2.0.12's names (RTD_UNICAST: a route with a next hop; no
    // RTD_ROUTER/RTD_DEVICE/RTS_DUMMY).
    {"RTS_STATIC", Type::EnumRts, kRtsStatic},
    {"RTS_INHERIT", Type::EnumRts, kRtsInherit},
    {"RTS_DEVICE", Type::EnumRts, kRtsDevice},
    {"RTS_STATIC_DEVICE", Type::EnumRts, kRtsStaticDevice},
    {"RTS_RIP", Type::EnumRts, kRtsRip},
    {"RTS_OSPF", Type::EnumRts, kRtsOspf},
    {"RTS_OSPF_IA", Type::EnumRts, kRtsOspfIa},
    {"RTS_OSPF_EXT1", Type::EnumRts, kRtsOspfExt1},
    {"RTS_OSPF_EXT2", Type::EnumRts, kRtsOspfExt2},
    {"RTS_BGP", Type::EnumRts, kRtsBgp},
    {"RTS_PIPE", Type::EnumRts, kRtsPipe},
    {"RTS_BABEL", Type::EnumRts, kRtsBabel},
    {"RTD_UNICAST", Type::EnumRtd, kRtdRouter},
    {"RTD_BLACKHOLE", Type::EnumRtd, kRtdBlackhole},
    {"RTD_UNREACHABLE", Type::EnumRtd, kRtdUnreachable},
    {"RTD_PROHIBIT", Type::EnumRtd, kRtdProhibit},
    {"ORIGIN_IGP", Type::EnumOrigin, 0},
    {"ORIGIN_EGP", Type::EnumOrigin, 1},
    {"ORIGIN_INCOMPLETE", Type::EnumOrigin, 2},
    {"ROA_UNKNOWN", Type::EnumRoa, kRoaUnknown},
    {"ROA_VALID", Type::EnumRoa, kRoaValid},
    {"ROA_INVALID", Type::EnumRoa, kRoaInvalid},
    {"SCOPE_HOST", Type::EnumScope, 0},
    {"SCOPE_LINK", Type::EnumScope, 1},
    {"SCOPE_SITE", Type::EnumScope, 2},
    {"SCOPE_ORGANIZATION", Type::EnumScope, 3},
    {"SCOPE_UNIVERSE", Type::EnumScope, 4},
};
}  // namespace

std::string enum_name(Type t, uint32_t v) {
  return "(enum " + std::string(bird_enum_code(t)) + ")" + std::to_string(v);
}

std::optional<Value> builtin_constant(std::string_view name) {
  for (const auto& e : kEnums)
    if (name == e.name) return Value::enumeration(e.type, e.value);
  return std::nullopt;
}

std::string format(const Value& v) {
  switch (v.type) {
    case Type::Void:
      return "(void)";
    case Type::Bool:
      return v.as_bool() ? "TRUE" : "FALSE";
    case Type::Int:
      return std::to_string(v.as_int());
    case Type::Pair:
      return "(" + std::to_string(v.u >> 16) + "," + std::to_string(v.u & 0xFFFF) + ")";
    case Type::Quad:
      return rib::IpAddress::v4(v.as_int()).to_string();
    case Type::Ip:
      return v.ip.to_string();
    case Type::Prefix:
      return v.net.to_string();
    case Type::String:
      return v.str();
    case Type::Ec:
      return format_ec(v.u);
    case Type::Lc:
      return "(" + std::to_string(v.lc.global) + ", " + std::to_string(v.lc.local1) + ", " +
             std::to_string(v.lc.local2) + ")";
    case Type::Path:
      return "(path " + v.path().to_string() + ")";
    case Type::PathMask:
      return v.mask().to_string();
    case Type::Clist: {
      std::string s = "(clist";
      for (uint32_t c : v.clist().values) s += " " + format(Value::pair(c >> 16, c & 0xFFFF));
      return s + (v.clist().values.empty() ? " )" : ")");  // BIRD prints "(clist )"
    }
    case Type::Eclist: {
      std::string s = "(eclist";
      for (uint64_t c : v.eclist().values) s += " " + format_ec(c);
      return s + (v.eclist().values.empty() ? " )" : ")");
    }
    case Type::Lclist: {
      std::string s = "(lclist";
      for (const auto& c : v.lclist().values) s += " " + format(Value::large(c));
      return s + (v.lclist().values.empty() ? " )" : ")");
    }
    case Type::PrefixSet:
      return v.prefix_set().to_string();
    case Type::Any:
      return "(any)";
    default:
      if (is_enum(v.type)) return enum_name(v.type, v.as_int());
      if (is_set(v.type)) return v.set().to_string();
      return "?";
  }
}

bool equal(const Value& a, const Value& b) {
  if (a.type != b.type) {
    // A dotted quad literal is an IPv4 address; it equals the quad with the same bits.
    if (a.type == Type::Quad && b.type == Type::Ip)
      return b.ip.is_v4() && b.ip.v4_value() == a.as_int();
    if (a.type == Type::Ip && b.type == Type::Quad) return equal(b, a);
    return false;
  }
  switch (a.type) {
    case Type::Void:
      return true;
    case Type::Lc:
      return a.lc == b.lc;
    case Type::Ip:
      return a.ip == b.ip;
    case Type::Prefix:
      return a.net == b.net;
    case Type::String:
      return a.str() == b.str();
    case Type::Path:
      return a.path() == b.path();
    case Type::PathMask:
      return a.mask() == b.mask();
    case Type::Clist:
      return a.clist() == b.clist();
    case Type::Eclist:
      return a.eclist() == b.eclist();
    case Type::Lclist:
      return a.lclist() == b.lclist();
    case Type::PrefixSet:
      return a.prefix_set() == b.prefix_set();
    default:
      if (is_set(a.type)) return a.set() == b.set();
      return a.u == b.u;
  }
}

std::optional<int> compare(const Value& a, const Value& b) {
  auto sign = [](auto c) { return c < 0 ? -1 : c > 0 ? 1 : 0; };
  // As BIRD 2: void (an undefined attribute) sorts before any value, and equals void.
  if (a.type == Type::Void || b.type == Type::Void)
    return sign(int{b.type == Type::Void} - int{a.type == Type::Void});
  if (a.type != b.type) {
    if (a.type == Type::Quad && b.type == Type::Ip && b.ip.is_v4())
      return sign(a.as_int() <=> b.ip.v4_value());
    if (a.type == Type::Ip && b.type == Type::Quad && a.ip.is_v4())
      return sign(a.ip.v4_value() <=> b.as_int());
    return std::nullopt;
  }
  switch (a.type) {
    case Type::Bool:
    case Type::Int:
    case Type::Pair:
    case Type::Quad:
    case Type::Ec:
      return sign(a.u <=> b.u);
    case Type::Lc:
      return sign(a.lc <=> b.lc);
    case Type::Ip:
      return sign(a.ip <=> b.ip);
    case Type::Prefix:
      return sign(a.net <=> b.net);
    case Type::String:
      return sign(a.str().compare(b.str()));
    default:
      if (is_enum(a.type)) return sign(a.u <=> b.u);
      return std::nullopt;
  }
}

PathMask* Arena::mask() {
  if (nmasks_ == masks_.size()) masks_.push_back(new PathMask());
  PathMask* m = masks_[nmasks_++];
  m->clear();
  return m;
}

Arena::~Arena() {
  for (auto* m : masks_) delete m;
}

}  // namespace rs::filters
