// The compiled form of a filter and the stack machine that runs it.
//
// A Program is one flat instruction table (the filter body followed by the functions it calls),
// a constant table and per-instruction source locations. The Vm runs it against one route:
// attributes are read from a const PathAttributes (or AttrBuilder) and modifications go to an
// overlay inside the Vm; only when the filter accepts a modified route are they written into the
// caller's AttrBuilder (copy-on-write). A filter that only tests and decides allocates nothing.
// One `switch` per instruction; no virtual calls.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "filters/ast.hpp"
#include "filters/symbols.hpp"
#include "filters/value.hpp"
#include "rib/attrs.hpp"
#include "rib/prefix.hpp"

namespace rs::filters {

// Route attributes the language knows (custom attributes come after kCustomBase).
enum class Attr : uint8_t {
  Net,
  From,
  Gw,
  Proto,
  Source,
  Dest,
  Preference,
  Ifname,
  BgpOrigin,
  BgpPath,
  BgpNextHop,
  BgpMed,
  BgpLocalPref,
  BgpCommunity,
  BgpExtCommunity,
  BgpLargeCommunity,
  BgpOriginatorId,
  BgpClusterList,
  BgpAtomicAggr,
  BgpAggregator,
  BgpOtc,
  Custom,
};

enum class Op : uint8_t {
  Nop,
  Const,
  PushBool,
  PushInt,
  Load,
  Store,
  Pop,
  LoadAttr,
  StoreAttr,
  UnsetAttr,
  DefinedAttr,
  Not,
  Neg,
  Add,
  Sub,
  Mul,
  Div,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Match,
  NotMatch,
  Jump,
  JumpFalse,
  AndJump,
  OrJump,
  MakePair,
  MakeLc,
  MakeEc,
  MakeMask,
  EmptyList,
  NetType,
  NetLen,
  NetIp,
  IsV4,
  Mask,
  First,
  Last,
  LastNonAgg,
  Len,
  IsEmpty,
  ListAdd,
  ListDelete,
  ListFilter,
  Prepend,
  Field,    // a: 0 `.asn`, 1 `.data` / `.data1`, 2 `.data2` of a pair or lc
  MinMax,   // a: 0 `.min`, 1 `.max` of a clist, eclist or lclist
  Format,   // format(x): BIRD's text of the value
  ForNext,  // `for`: locals b (the list) and b+1 (the index); push the next member, or jump to arg
  Call,
  Return,
  Accept,
  Reject,
  Print,
  Assert,
  Fail,
  End,
  // Fused by the peephole pass; each replaces the first of 3 instructions and skips the other two
  // (which stay in place, unreachable except as jump targets, which the pass never fuses over).
  ConstMatchAttr,  // Const arg; LoadAttr a; Match (b=0) / NotMatch (b=1)
  AttrMatchConst,  // LoadAttr a; Const arg; Match (b=0) / NotMatch (b=1)
  LocalCmpInt,     // Load b; PushInt arg; Eq Ne Lt Le Gt Ge (a = 0..5)
};
std::string_view to_string(Op op);
// Op::Store's b: 0, or the expected type + 1 (a dynamically typed value), or this: any value,
// even void (the scrutinee of a `case`, which may be an undefined attribute).
inline constexpr uint16_t kStoreAnyValue = 0xFFFF;

struct Insn {
  Op op = Op::Nop;
  uint8_t a = 0;
  uint16_t b = 0;
  uint32_t arg = 0;
  friend bool operator==(const Insn&, const Insn&) = default;
};

struct FunctionInfo {
  std::string name;
  uint32_t entry = 0;
  uint16_t params = 0;
  uint16_t frame = 0;      // params + locals + temporaries
  uint32_t max_stack = 0;  // deepest expression stack of its body (checked at each call)
};

// A `net ~ SET` test whose set is known at load time (for the family lint, lint.hpp).
struct NetSetTest {
  SourceLocation loc;
  bool has_v4 = false, has_v6 = false;
  uint8_t guard = 0;  // 4 / 6: only reached when net.type = NET_IP4 / NET_IP6
};

struct Program {
  std::vector<NetSetTest> net_set_tests;
  std::vector<Insn> code;
  std::vector<SourceLocation> locs;  // one per instruction
  std::vector<Value> consts;
  std::vector<FunctionInfo> functions;
  uint16_t frame = 0;                // locals of the filter body
  uint32_t max_stack = 0;            // deepest expression stack of the filter body
  std::shared_ptr<ObjectPool> pool;  // owns the objects the constants point to
};

class Filter {
 public:
  Filter(std::string name, SourceLocation loc, Program p)
      : name_(std::move(name)), loc_(std::move(loc)), program_(std::move(p)) {}
  const std::string& name() const { return name_; }
  const SourceLocation& location() const { return loc_; }
  const Program& program() const { return program_; }
  // Summary of program().net_set_tests (ignoring guards): `net` is tested against a set with only
  // IPv4 / only IPv6 prefixes somewhere. lint_channel_family() (lint.hpp) is the precise check.
  bool tests_ipv4_only_sets = false;
  bool tests_ipv6_only_sets = false;

 private:
  std::string name_;
  SourceLocation loc_;
  Program program_;
};
using FilterRef = std::shared_ptr<const Filter>;

// Route data that is not a BGP path attribute.
struct RouteInfo {
  rib::Prefix net;
  rib::IpAddress from;         // address of the neighbour the route came from
  rib::IpAddress gw;           // next hop as resolved
  std::string_view proto;      // protocol instance name
  uint32_t source = kRtsBgp;   // RTS_*
  uint32_t dest = kRtdRouter;  // RTD_*
  uint32_t preference = 100;
  std::string_view ifname;
};

struct CustomValue {
  uint16_t id = 0;
  Value value;  // scalar types only
};

enum class [[nodiscard]] Verdict : uint8_t{Accept, Reject, Error};
std::string_view to_string(Verdict v);

// Filled by Vm::run. `attrs`, `custom` and the route fields are meaningful only after Accept;
// `log` is appended to (the caller clears it), `error` is set on Error.
struct RunOutput {
  bool modified = false;        // attrs below holds the modified attributes
  rib::AttrBuilder attrs;       // written only when modified
  bool route_modified = false;  // preference / gw / dest changed
  bool next_hop_set = false;    // bgp_next_hop was assigned (and not unset after)
  bool med_set = false;         // bgp_med was assigned (and not unset after)
  uint32_t preference = 0;
  rib::IpAddress gw;
  uint32_t dest = 0;
  std::vector<CustomValue> custom;  // custom attributes after the run (input ones included)
  std::string log;    // print / printn / accept "msg" / reject "msg" output, one line each
  std::string error;  // `file:line:col: message` when the verdict is Error
  void clear_text() { log.clear(), error.clear(); }
};

class Vm {
 public:
  // Recursion: BIRD 2.0.12 runs a recursive function 1,200 calls deep (measured; it crashes
  // somewhere below 1,500), so operators' recursive helpers must not hit a lower limit here.
  // The stack and the locals are sized for that depth and live on the heap.
  static constexpr std::size_t kStack = 16384;
  static constexpr std::size_t kLocals = 32768;
  static constexpr std::size_t kMaxDepth = 1024;
  // Runaway guard: function calls plus `for` iterations of one run. Nested loops multiply (five
  // over a 16-member clist are a million iterations), and a run holds the event loop.
  static constexpr uint64_t kMaxSteps = 10'000'000;

  Vm()
      : stack_(std::make_unique<Value[]>(kStack)),
        locals_(std::make_unique<Value[]>(kLocals)),
        frames_(std::make_unique<Frame[]>(kMaxDepth)) {}
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;

  Verdict run(const Filter& f, const RouteInfo& route, const rib::PathAttributes& attrs,
              RunOutput& out, const std::vector<CustomValue>* custom_in = nullptr);
  Verdict run(const Filter& f, const RouteInfo& route, const rib::AttrBuilder& attrs,
              RunOutput& out, const std::vector<CustomValue>* custom_in = nullptr);

 private:
  struct Frame {
    uint32_t ret = 0;
    uint32_t base = 0;
  };
  struct Input {
    const rib::AttrScalars* scalars;
    const rib::AsPath* path;
    const rib::CommunityList* clist;
    const rib::ExtCommunityList* eclist;
    const rib::LargeCommunityList* lclist;
    const rib::ClusterList* cluster;
  };
  Verdict exec(const Filter& f, const RouteInfo& route, const Input& in, RunOutput& out,
               const std::vector<CustomValue>* custom_in, const rib::AttrBuilder* in_builder,
               const rib::PathAttributes* in_attrs);
  bool load_attr(const Insn& i, Value& v, std::string& err);
  bool store_attr(const Insn& i, const Value& v, std::string& err);
  void finish(RunOutput& out, const rib::AttrBuilder* in_builder,
              const rib::PathAttributes* in_attrs);

  std::unique_ptr<Value[]> stack_;
  std::unique_ptr<Value[]> locals_;
  std::unique_ptr<Frame[]> frames_;
  Arena arena_;

  // Per-run state
  const Program* cur_ = nullptr;
  const RouteInfo* route_ = nullptr;
  rib::AttrScalars scalars_;
  const rib::AsPath* path_ = nullptr;
  const rib::CommunityList* clist_ = nullptr;
  const rib::ExtCommunityList* eclist_ = nullptr;
  const rib::LargeCommunityList* lclist_ = nullptr;
  const rib::ClusterList* cluster_ = nullptr;
  bool attrs_dirty_ = false;
  uint8_t lists_dirty_ = 0;  // bit per list
  RunOutput* out_ = nullptr;
  std::vector<CustomValue> custom_;
};

}  // namespace rs::filters
