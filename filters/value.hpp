// Typed values of the filter language and their formatting as BIRD prints them.
// A Value is a small tagged union (40 bytes, trivially copyable): scalars inline, and for the list,
// string, mask and set types a const pointer to an object owned by the program (constants), the
// route (attribute lists) or the run's Arena (temporaries). Nothing here allocates on its own.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/prefix_set.hpp"
#include "rib/attrs.hpp"
#include "rib/prefix.hpp"

namespace rs::filters {

enum class Type : uint8_t {
  Void,
  Bool,
  Int,
  Pair,
  Quad,
  Ip,
  Prefix,
  String,
  Ec,
  Lc,
  Path,
  PathMask,
  Clist,
  Eclist,
  Lclist,
  // enums: each kind is its own type (BIRD: "enumeration types are incompatible with each other")
  EnumNetType,
  EnumRts,
  EnumRtd,
  EnumOrigin,
  EnumRoa,
  EnumScope,
  IntSet,
  PairSet,
  QuadSet,
  EcSet,
  LcSet,
  IpSet,
  PrefixSet,
  EnumSet,
  Any,  // statically unknown (a BIRD 2.0 function without `-> type`); checked when run
};
std::string_view type_name(Type t);
constexpr bool is_enum(Type t) {
  return t >= Type::EnumNetType && t <= Type::EnumScope;
}
constexpr bool is_set(Type t) {
  return t >= Type::IntSet && t <= Type::EnumSet;
}
// The set type whose members are `elem` (Void if none), and back.
Type set_of(Type elem);
Type element_of(Type set);

// Values of the enum types: BIRD 2.0.12's numbers (measured with `birdc eval`), which format(),
// print, ordering and ranges in sets (`[RTS_STATIC..RTS_BGP]`) expose.
enum NetType : uint32_t { kNetIp4 = 1, kNetIp6 = 2 };
enum Rts : uint32_t {
  kRtsDummy = 0,
  kRtsStatic = 1,
  kRtsInherit = 2,
  kRtsDevice = 3,
  kRtsStaticDevice = 4,
  kRtsRip = 6,
  kRtsOspf = 7,
  kRtsOspfIa = 8,
  kRtsOspfExt1 = 9,
  kRtsOspfExt2 = 10,
  kRtsBgp = 11,
  kRtsPipe = 12,
  kRtsBabel = 13,
};
enum Rtd : uint32_t {
  kRtdRouter = 1,  // RTD_UNICAST
  kRtdBlackhole = 2,
  kRtdUnreachable = 3,
  kRtdProhibit = 4,
};
enum Roa : uint32_t { kRoaUnknown = 0, kRoaValid = 1, kRoaInvalid = 2 };

// Extended communities (RFC 4360): `(rt, A, B)`, `(ro, A, B)`, `(generic, A, B)`, `(unknown T, A,
// B)`. RtIp / RoIp: `(rt, 192.0.2.1, 5)`, the IPv4-address-specific layout (RFC 4360 3.2).
enum class EcKind : uint8_t { Rt, Ro, Generic, Unknown, RtIp, RoIp };
// Builds the 8-octet value; nullopt when A or B do not fit the chosen layout. For rt/ro, A <= 65535
// selects the two-octet-AS form (B: 32 bits), else the four-octet-AS form (B: 16 bits).
std::optional<uint64_t> make_ec(EcKind kind, uint16_t unknown_type, uint64_t a, uint64_t b);
std::string format_ec(uint64_t ec);

// Key of a set member: three words compared lexicographically.
struct SetKey {
  uint64_t a = 0, b = 0, c = 0;
  friend auto operator<=>(const SetKey&, const SetKey&) = default;
};

struct Value;

// Set of int, pair, quad, ec, lc, ip or enum values: sorted, merged ranges.
class ValueSet {
 public:
  explicit ValueSet(Type elem = Type::Void) : elem_(elem) {}
  Type element() const { return elem_; }
  void add_range(SetKey lo, SetKey hi);  // lo <= hi
  void finish();                         // sorts and merges; call once after the adds
  bool contains(const SetKey& k) const;
  bool contains(const Value& v) const;
  const std::vector<std::pair<SetKey, SetKey>>& ranges() const { return ranges_; }
  std::string to_string() const;
  friend bool operator==(const ValueSet& a, const ValueSet& b) {
    return a.elem_ == b.elem_ && a.ranges_ == b.ranges_;
  }

 private:
  Type elem_;
  std::vector<std::pair<SetKey, SetKey>> ranges_;
};

class PathMask;

struct Value {
  Type type = Type::Void;
  union {
    uint64_t u = 0;  // Bool, Int, Pair (a<<16|b), Quad, Ec, enums
    rib::LargeCommunity lc;
    rib::IpAddress ip;
    rib::Prefix net;
    const void* ptr;  // String, Path, PathMask, lists, sets
  };

  Value() : u(0) {}
  static Value boolean(bool v) {
    Value x;
    x.type = Type::Bool;
    x.u = v;
    return x;
  }
  static Value integer(uint32_t v) {
    Value x;
    x.type = Type::Int;
    x.u = v;
    return x;
  }
  static Value pair(uint32_t a, uint32_t b) {
    Value x;
    x.type = Type::Pair;
    x.u = (a << 16) | b;
    return x;
  }
  static Value quad(uint32_t v) {
    Value x;
    x.type = Type::Quad;
    x.u = v;
    return x;
  }
  static Value ec(uint64_t v) {
    Value x;
    x.type = Type::Ec;
    x.u = v;
    return x;
  }
  static Value large(rib::LargeCommunity v) {
    Value x;
    x.type = Type::Lc;
    x.lc = v;
    return x;
  }
  static Value address(const rib::IpAddress& a) {
    Value x;
    x.type = Type::Ip;
    x.ip = a;
    return x;
  }
  static Value prefix(const rib::Prefix& p) {
    Value x;
    x.type = Type::Prefix;
    x.net = p;
    return x;
  }
  static Value enumeration(Type t, uint32_t v) {
    Value x;
    x.type = t;
    x.u = v;
    return x;
  }
  static Value object(Type t, const void* p) {
    Value x;
    x.type = t;
    x.ptr = p;
    return x;
  }

  bool as_bool() const { return u != 0; }
  uint32_t as_int() const { return static_cast<uint32_t>(u); }
  const std::string& str() const { return *static_cast<const std::string*>(ptr); }
  const rib::AsPath& path() const { return *static_cast<const rib::AsPath*>(ptr); }
  const PathMask& mask() const { return *static_cast<const PathMask*>(ptr); }
  const rib::CommunityList& clist() const { return *static_cast<const rib::CommunityList*>(ptr); }
  const rib::ExtCommunityList& eclist() const {
    return *static_cast<const rib::ExtCommunityList*>(ptr);
  }
  const rib::LargeCommunityList& lclist() const {
    return *static_cast<const rib::LargeCommunityList*>(ptr);
  }
  const ValueSet& set() const { return *static_cast<const ValueSet*>(ptr); }
  const PrefixSet& prefix_set() const { return *static_cast<const PrefixSet*>(ptr); }
};

// Member key of a scalar value (int, pair, quad, ec, lc, ip, enum).
SetKey set_key(const Value& v);
// An enum value as BIRD 2.0.12 formats and prints it: "(enum 30)11" for RTS_BGP (its type code
// in hex, then its number); the builtin constants by name.
std::string enum_name(Type t, uint32_t v);
std::optional<Value> builtin_constant(std::string_view name);

// BIRD's text for a value: "(65000,1)", "TRUE", "1.2.3.0/24", "65001 65002", "(rt, 1, 2)", ...
std::string format(const Value& v);
// Structural equality (lists and sets by content); values of different types are unequal.
bool equal(const Value& a, const Value& b);
// -1 / 0 / 1 for ordered types (int, pair, quad, ip, prefix, string, enums, ec, lc, bool);
// nullopt when they cannot be ordered.
std::optional<int> compare(const Value& a, const Value& b);

// Temporaries of one filter run. Objects are reused across runs (reset() keeps them and their
// capacity), so a filter that builds lists allocates only until it reaches its working size.
class Arena {
 public:
  rib::AsPath* path() { return take(paths_, npaths_); }
  rib::CommunityList* clist() { return take(clists_, nclists_); }
  rib::ExtCommunityList* eclist() { return take(eclists_, neclists_); }
  rib::LargeCommunityList* lclist() { return take(lclists_, nlclists_); }
  std::string* string() { return take(strings_, nstrings_); }
  PathMask* mask();
  void reset() { npaths_ = nclists_ = neclists_ = nlclists_ = nstrings_ = nmasks_ = 0; }
  ~Arena();

 private:
  template <class T>
  static T* take(std::deque<T>& d, std::size_t& n) {
    if (n == d.size()) d.emplace_back();
    T* p = &d[n++];
    clear(*p);
    return p;
  }
  static void clear(rib::AsPath& p) { p.segments.clear(); }
  template <class V>
  static void clear(rib::ValueList<V>& l) {
    l.values.clear();
  }
  static void clear(std::string& s) { s.clear(); }
  std::deque<rib::AsPath> paths_;
  std::deque<rib::CommunityList> clists_;
  std::deque<rib::ExtCommunityList> eclists_;
  std::deque<rib::LargeCommunityList> lclists_;
  std::deque<std::string> strings_;
  std::vector<PathMask*> masks_;
  std::size_t npaths_ = 0, nclists_ = 0, neclists_ = 0, nlclists_ = 0, nstrings_ = 0, nmasks_ = 0;
};

}  // namespace rs::filters
