// The filter Vm: a loop over the instruction table with one switch. Values live on a fixed stack
// and in a fixed locals area (frames of called functions stack up in it); temporaries (new lists,
// masks built from variables, strings) come from the Arena, which keeps its objects between runs.
// Route attributes are read through an overlay: scalars are a copy of the input's AttrScalars and
// lists are pointers to the input's lists until a statement replaces one; the caller's AttrBuilder
// is written only when an accepted route was modified (copy-on-write).
#include "filters/vm.hpp"

#include <algorithm>

#include "filters/glob.hpp"
#include "filters/path_mask.hpp"
#include "filters/route_attrs.hpp"
#include "filters/vm_values.hpp"

namespace rs::filters {

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::Accept:
      return "accept";
    case Verdict::Reject:
      return "reject";
    case Verdict::Error:
      return "error";
  }
  return "?";
}

std::string_view to_string(Op op) {
  static constexpr const char* kNames[] = {"nop",
                                           "const",
                                           "push_bool",
                                           "push_int",
                                           "load",
                                           "store",
                                           "pop",
                                           "load_attr",
                                           "store_attr",
                                           "unset_attr",
                                           "defined_attr",
                                           "not",
                                           "neg",
                                           "add",
                                           "sub",
                                           "mul",
                                           "div",
                                           "eq",
                                           "ne",
                                           "lt",
                                           "le",
                                           "gt",
                                           "ge",
                                           "match",
                                           "not_match",
                                           "jump",
                                           "jump_false",
                                           "and_jump",
                                           "or_jump",
                                           "make_pair",
                                           "make_lc",
                                           "make_ec",
                                           "make_mask",
                                           "empty_list",
                                           "net_type",
                                           "net_len",
                                           "net_ip",
                                           "is_v4",
                                           "mask",
                                           "first",
                                           "last",
                                           "last_nonaggregated",
                                           "len",
                                           "is_empty",
                                           "list_add",
                                           "list_delete",
                                           "list_filter",
                                           "prepend",
                                           "field",
                                           "min_max",
                                           "format",
                                           "for_next",
                                           "call",
                                           "return",
                                           "accept",
                                           "reject",
                                           "print",
                                           "assert",
                                           "fail",
                                           "end",
                                           "const_match_attr",
                                           "attr_match_const",
                                           "local_cmp_int"};
  return kNames[static_cast<int>(op)];
}

using detail::first_asn;
using detail::last_nonaggregated;
using detail::list_edit;
using detail::list_member_at;
using detail::list_min_max;
using detail::match;
using detail::path_edit;

namespace {

const rib::AsPath kEmptyPath;
const rib::CommunityList kEmptyClist;
const rib::ExtCommunityList kEmptyEclist;
const rib::LargeCommunityList kEmptyLclist;

}  // namespace

Verdict Vm::run(const Filter& f, const RouteInfo& route, const rib::PathAttributes& a,
                RunOutput& out, const std::vector<CustomValue>* custom_in) {
  Input in{&a,
           a.as_path ? a.as_path.get() : &kEmptyPath,
           a.communities ? a.communities.get() : &kEmptyClist,
           a.ext_communities ? a.ext_communities.get() : &kEmptyEclist,
           a.large_communities ? a.large_communities.get() : &kEmptyLclist,
           a.cluster_list ? a.cluster_list.get() : &kEmptyClist};
  return exec(f, route, in, out, custom_in, nullptr, &a);
}

Verdict Vm::run(const Filter& f, const RouteInfo& route, const rib::AttrBuilder& b, RunOutput& out,
                const std::vector<CustomValue>* custom_in) {
  Input in{
      &b, &b.as_path, &b.communities, &b.ext_communities, &b.large_communities, &b.cluster_list};
  return exec(f, route, in, out, custom_in, &b, nullptr);
}

using enum detail::ListBit;

constexpr const char* kTooLong =
    "filter runs too long (more than 10000000 function calls and loop iterations)";
Verdict Vm::exec(const Filter& f, const RouteInfo& route, const Input& in, RunOutput& out,
                 const std::vector<CustomValue>* custom_in, const rib::AttrBuilder* in_builder,
                 const rib::PathAttributes* in_attrs) {
  const Program& p = f.program();
  cur_ = &p;
  const Insn* code = p.code.data();
  route_ = &route;
  out_ = &out;
  out.modified = false;
  out.route_modified = false;
  out.next_hop_set = false;
  out.med_set = false;
  scalars_ = *in.scalars;
  path_ = in.path;
  clist_ = in.clist;
  eclist_ = in.eclist;
  lclist_ = in.lclist;
  cluster_ = in.cluster;
  attrs_dirty_ = false;
  lists_dirty_ = 0;
  if (custom_in)
    custom_ = *custom_in;
  else
    custom_.clear();
  arena_.reset();

  std::size_t sp = 0;        // stack depth
  uint32_t base = 0;         // locals base of the running frame
  uint32_t frame = p.frame;  // its size
  std::size_t depth = 0;
  uint32_t pc = 0;
  uint64_t steps = 0;
  std::string err;
  Value* st = stack_.get();

  auto fail = [&](uint32_t at, const std::string& msg) {
    out.error = p.locs[at].to_string() + ": " + msg;
    return Verdict::Error;
  };
  auto not_bool = [&](const Value& v) {
    return fail(pc - 1, "condition needs a bool, got " + std::string(type_name(v.type)));
  };
  auto message = [&](unsigned n) {
    std::string line;
    for (unsigned k = 0; k < n; ++k) line += format(st[sp - n + k]);
    sp -= n;
    return line;
  };
  if (frame > kLocals) return fail(0, "too many local variables");
  // The compiler bounded every body's stack depth; calls check their callee's bound.
  if (p.max_stack + 1 >= kStack) return fail(0, "expression too deep for the filter stack");

  for (;;) {
    const uint32_t at = pc;
    const Insn& i = code[pc++];
    switch (i.op) {
      case Op::Nop:
        break;
      case Op::Const:
        st[sp++] = p.consts[i.arg];
        break;
      case Op::PushBool:
        st[sp++] = Value::boolean(i.arg != 0);
        break;
      case Op::PushInt:
        st[sp++] = Value::integer(i.arg);
        break;
      case Op::Load:
        st[sp++] = locals_[base + i.arg];
        break;
      case Op::Store:
        --sp;
        if (st[sp].type == Type::Void && i.b != kStoreAnyValue)
          return fail(at, "cannot assign an undefined value (void)");
        if (i.b && i.b != kStoreAnyValue && st[sp].type != static_cast<Type>(i.b - 1))
          return fail(at, "value of type " + std::string(type_name(st[sp].type)) + " where " +
                              std::string(type_name(static_cast<Type>(i.b - 1))) + " is expected");
        locals_[base + i.arg] = st[sp];
        break;
      case Op::Pop:
        --sp;
        break;
      case Op::LoadAttr:
        if (!load_attr(i, st[sp], err)) return fail(at, err);
        ++sp;
        break;
      case Op::StoreAttr:
        --sp;
        if (st[sp].type == Type::Void) return fail(at, "cannot assign an undefined value (void)");
        if (i.b && st[sp].type != static_cast<Type>(i.b - 1))
          return fail(at, "value of type " + std::string(type_name(st[sp].type)) + " where " +
                              std::string(type_name(static_cast<Type>(i.b - 1))) + " is expected");
        if (!store_attr(i, st[sp], err)) return fail(at, err);
        break;
      case Op::UnsetAttr: {
        const Attr a = static_cast<Attr>(i.a);
        switch (a) {
          case Attr::BgpOrigin:
            scalars_.clear(rib::AttrType::Origin);
            attrs_dirty_ = true;
            break;
          case Attr::BgpNextHop:
            scalars_.clear(rib::AttrType::NextHop);
            scalars_.next_hop = {};
            out_->next_hop_set = false;
            attrs_dirty_ = true;
            break;
          case Attr::BgpMed:
            scalars_.clear(rib::AttrType::Med);
            out_->med_set = false;
            attrs_dirty_ = true;
            break;
          case Attr::BgpLocalPref:
            scalars_.clear(rib::AttrType::LocalPref);
            attrs_dirty_ = true;
            break;
          case Attr::BgpOriginatorId:
            scalars_.clear(rib::AttrType::OriginatorId);
            attrs_dirty_ = true;
            break;
          case Attr::BgpAtomicAggr:
            scalars_.clear(rib::AttrType::AtomicAggregate);
            attrs_dirty_ = true;
            break;
          case Attr::BgpAggregator:
            scalars_.clear(rib::AttrType::Aggregator);
            attrs_dirty_ = true;
            break;
          case Attr::BgpOtc:
            scalars_.clear(rib::AttrType::Otc);
            attrs_dirty_ = true;
            break;
          case Attr::BgpPath:
            path_ = &kEmptyPath;
            lists_dirty_ |= kPath;
            break;
          case Attr::BgpCommunity:
            clist_ = &kEmptyClist;
            lists_dirty_ |= kClist;
            break;
          case Attr::BgpExtCommunity:
            eclist_ = &kEmptyEclist;
            lists_dirty_ |= kEclist;
            break;
          case Attr::BgpLargeCommunity:
            lclist_ = &kEmptyLclist;
            lists_dirty_ |= kLclist;
            break;
          case Attr::BgpClusterList:
            cluster_ = &kEmptyClist;
            lists_dirty_ |= kCluster;
            break;
          case Attr::Custom:
            std::erase_if(custom_, [&](const CustomValue& c) { return c.id == i.arg; });
            break;
          default:
            return fail(at, "attribute cannot be unset");
        }
        break;
      }
      case Op::DefinedAttr: {
        Value tmp;
        std::string e2;
        const Attr a = static_cast<Attr>(i.a);
        bool d;
        switch (a) {
          case Attr::BgpPath:
            d = scalars_.has(rib::AttrType::AsPath) || !path_->empty();
            break;
          case Attr::BgpCommunity:
            d = !clist_->empty();
            break;
          case Attr::BgpExtCommunity:
            d = !eclist_->empty();
            break;
          case Attr::BgpLargeCommunity:
            d = !lclist_->empty();
            break;
          case Attr::BgpClusterList:
            d = !cluster_->empty();
            break;
          case Attr::BgpAtomicAggr:
            d = scalars_.has(rib::AttrType::AtomicAggregate);
            break;
          case Attr::BgpAggregator:
            d = scalars_.has(rib::AttrType::Aggregator);
            break;
          default:
            d = load_attr(i, tmp, e2) && tmp.type != Type::Void;
            break;
        }
        st[sp++] = Value::boolean(d);
        break;
      }
      case Op::Not:
        if (st[sp - 1].type != Type::Bool)
          return fail(at,
                      "operator ! needs a bool, got " + std::string(type_name(st[sp - 1].type)));
        st[sp - 1].u = !st[sp - 1].u;
        break;
      case Op::Neg:
        st[sp - 1] = Value::integer(0u - st[sp - 1].as_int());
        break;
      case Op::Add:
      case Op::Sub:
      case Op::Mul:
      case Op::Div: {
        const Value& b = st[--sp];
        Value& a = st[sp - 1];
        if (a.type != Type::Int || b.type != Type::Int)
          return fail(at, "arithmetic needs int operands, got " + std::string(type_name(a.type)) +
                              " and " + std::string(type_name(b.type)));
        uint32_t x = a.as_int(), y = b.as_int();
        if (i.op == Op::Div && y == 0) return fail(at, "division by zero");
        uint32_t r = i.op == Op::Add   ? x + y
                     : i.op == Op::Sub ? x - y
                     : i.op == Op::Mul ? x * y
                                       : x / y;
        a = Value::integer(r);
        break;
      }
      case Op::Eq:
      case Op::Ne: {
        bool e = equal(st[sp - 2], st[sp - 1]);
        --sp;
        st[sp - 1] = Value::boolean(i.op == Op::Eq ? e : !e);
        break;
      }
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge: {
        auto c = compare(st[sp - 2], st[sp - 1]);
        if (!c)
          return fail(at, "cannot compare " + std::string(type_name(st[sp - 2].type)) + " and " +
                              std::string(type_name(st[sp - 1].type)));
        --sp;
        bool r = i.op == Op::Lt   ? *c < 0
                 : i.op == Op::Le ? *c <= 0
                 : i.op == Op::Gt ? *c > 0
                                  : *c >= 0;
        st[sp - 1] = Value::boolean(r);
        break;
      }
      case Op::Match:
      case Op::NotMatch: {
        // A `case` label test (a = 1): an undefined value matches no label (it takes `else`).
        auto m = i.a && st[sp - 2].type == Type::Void ? std::optional<bool>(false)
                                                      : match(st[sp - 2], st[sp - 1]);
        if (!m)
          return fail(at, "operator ~ cannot be applied to " +
                              std::string(type_name(st[sp - 2].type)) + " and " +
                              std::string(type_name(st[sp - 1].type)));
        --sp;
        st[sp - 1] = Value::boolean(i.op == Op::Match ? *m : !*m);
        break;
      }
      case Op::Jump:
        pc = i.arg;
        break;
      case Op::JumpFalse:
        if (st[sp - 1].type != Type::Bool) return not_bool(st[sp - 1]);
        if (!st[--sp].u) pc = i.arg;
        break;
      case Op::AndJump:
        if (st[sp - 1].type != Type::Bool) return not_bool(st[sp - 1]);
        if (!st[sp - 1].u)
          pc = i.arg;
        else
          --sp;
        break;
      case Op::OrJump:
        if (st[sp - 1].type != Type::Bool) return not_bool(st[sp - 1]);
        if (st[sp - 1].u)
          pc = i.arg;
        else
          --sp;
        break;
      case Op::MakePair: {
        uint32_t b = st[--sp].as_int(), a = st[sp - 1].as_int();
        if (a > 0xFFFF || b > 0xFFFF) return fail(at, "pair field out of range (0..65535)");
        st[sp - 1] = Value::pair(a, b);
        break;
      }
      case Op::MakeLc: {
        uint32_t c = st[--sp].as_int(), b = st[--sp].as_int(), a = st[sp - 1].as_int();
        st[sp - 1] = Value::large({a, b, c});
        break;
      }
      case Op::MakeEc: {
        uint32_t b = st[--sp].as_int(), a = st[sp - 1].as_int();
        if (st[sp - 1].type == Type::Ip) {
          if (!st[sp - 1].ip.is_v4())
            return fail(at, "an extended community needs an IPv4 address");
          a = st[sp - 1].ip.v4_value();
        }
        auto ec = make_ec(static_cast<EcKind>(i.a), static_cast<uint16_t>(i.arg), a, b);
        if (!ec) return fail(at, "extended community value out of range");
        st[sp - 1] = Value::ec(*ec);
        break;
      }
      case Op::MakeMask: {
        const PathMask& tmpl = p.consts[i.arg].mask();
        PathMask* m = arena_.mask();
        std::size_t k = sp - i.a;
        for (MaskItem it : tmpl.items()) {
          if (it.dynamic) {
            // A variable holding an int set is a set element (as BIRD 2.0.12).
            const Value& v = st[k++];
            if (v.type == Type::IntSet) {
              it.kind = MaskItem::Kind::Set;
              it.set = &v.set();
            } else if (v.type == Type::Int) {
              it.lo = it.hi = v.as_int();
            } else {
              return fail(at, "a path mask element must be an int or an int set");
            }
            it.dynamic = false;
          }
          (void)m->add(it);  // same size as the template, which fit
        }
        sp -= i.a;
        st[sp++] = Value::object(Type::PathMask, m);
        break;
      }
      case Op::EmptyList: {
        const Type t = static_cast<Type>(i.a);
        const void* e = t == Type::Path     ? static_cast<const void*>(&kEmptyPath)
                        : t == Type::Clist  ? static_cast<const void*>(&kEmptyClist)
                        : t == Type::Eclist ? static_cast<const void*>(&kEmptyEclist)
                                            : static_cast<const void*>(&kEmptyLclist);
        st[sp++] = Value::object(t, e);
        break;
      }
      case Op::NetType:
        if (st[sp - 1].type != Type::Prefix)
          return fail(at, "net type of a value that is not a prefix");
        st[sp - 1] =
            Value::enumeration(Type::EnumNetType, st[sp - 1].net.is_v4() ? kNetIp4 : kNetIp6);
        break;
      case Op::IsV4:
        if (st[sp - 1].type != Type::Ip) return fail(at, "is_v4 of a value that is not an ip");
        st[sp - 1] = Value::boolean(st[sp - 1].ip.is_v4());
        break;
      case Op::NetLen:
        if (st[sp - 1].type != Type::Prefix) return fail(at, "len of a value that is not a prefix");
        st[sp - 1] = Value::integer(st[sp - 1].net.length());
        break;
      case Op::NetIp:
        if (st[sp - 1].type != Type::Prefix) return fail(at, "ip of a value that is not a prefix");
        st[sp - 1] = Value::address(st[sp - 1].net.address());
        break;
      case Op::Mask: {
        uint32_t n = st[--sp].as_int();
        Value& v = st[sp - 1];
        if (v.type != Type::Prefix && v.type != Type::Ip)
          return fail(at, "mask of a value that is not an ip or prefix");
        const rib::Family fam = v.type == Type::Prefix ? v.net.family() : v.ip.family();
        if (n > rib::max_length(fam)) return fail(at, "mask length out of range");
        if (v.type == Type::Prefix) {
          uint8_t len = std::min<uint8_t>(v.net.length(), static_cast<uint8_t>(n));
          v = Value::prefix(rib::Prefix(v.net.address(), len));
        } else {
          v = Value::address(v.ip.masked(n));
        }
        break;
      }
      case Op::First:
      case Op::Last:
      case Op::LastNonAgg:
        if (st[sp - 1].type != Type::Path)
          return fail(at, "first/last of a value that is not a bgppath");
        if (i.op == Op::First)
          st[sp - 1] = Value::integer(first_asn(st[sp - 1].path()));
        else if (i.op == Op::Last)
          st[sp - 1] = Value::integer(st[sp - 1].path().origin_as());
        else
          st[sp - 1] = Value::integer(last_nonaggregated(st[sp - 1].path()));
        break;
      case Op::Len:
      case Op::IsEmpty: {
        const Value& v = st[sp - 1];
        std::size_t n = 0;
        switch (v.type) {
          case Type::Path:
            n = v.path().length();
            break;
          case Type::Clist:
            n = v.clist().size();
            break;
          case Type::Eclist:
            n = v.eclist().size();
            break;
          case Type::Lclist:
            n = v.lclist().size();
            break;
          default:
            return fail(at, "len of a value of type " + std::string(type_name(v.type)));
        }
        if (i.op == Op::IsEmpty) {
          bool empty = v.type == Type::Path ? v.path().empty() : n == 0;
          st[sp - 1] = Value::boolean(empty);
        } else {
          st[sp - 1] = Value::integer(static_cast<uint32_t>(n));
        }
        break;
      }
      case Op::ListAdd:
      case Op::ListDelete:
      case Op::ListFilter:
      case Op::Prepend: {
        const Value arg = st[--sp];
        if (arg.type == Type::PrefixSet || arg.type == Type::PathMask || arg.type == Type::String)
          return fail(
              at, "list operation with an argument of type " + std::string(type_name(arg.type)));
        Value& l = st[sp - 1];
        switch (l.type) {
          case Type::Path: {
            rib::AsPath* o = arena_.path();
            path_edit(l.path(), *o, i.op, arg);
            l = Value::object(Type::Path, o);
            break;
          }
          case Type::Clist: {
            auto* o = arena_.clist();
            list_edit(l.clist(), *o, i.op, arg);
            l = Value::object(Type::Clist, o);
            break;
          }
          case Type::Eclist: {
            auto* o = arena_.eclist();
            list_edit(l.eclist(), *o, i.op, arg);
            l = Value::object(Type::Eclist, o);
            break;
          }
          case Type::Lclist: {
            auto* o = arena_.lclist();
            list_edit(l.lclist(), *o, i.op, arg);
            l = Value::object(Type::Lclist, o);
            break;
          }
          default:
            return fail(at, "list operation on a value of type " + std::string(type_name(l.type)));
        }
        break;
      }
      case Op::Field: {
        Value& v = st[sp - 1];
        if (v.type == Type::Pair && i.a < 2)
          v = Value::integer(i.a == 0 ? static_cast<uint32_t>(v.u >> 16) : v.u & 0xFFFF);
        else if (v.type == Type::Lc)
          v = Value::integer(i.a == 0 ? v.lc.global : i.a == 1 ? v.lc.local1 : v.lc.local2);
        else
          return fail(at,
                      "this member needs a pair or an lc, got " + std::string(type_name(v.type)));
        break;
      }
      case Op::MinMax: {
        auto r = list_min_max(st[sp - 1], i.a != 0);
        if (!r)
          return fail(at, ".min and .max need a clist, eclist or lclist, got " +
                              std::string(type_name(st[sp - 1].type)));
        st[sp - 1] = *r;
        break;
      }
      case Op::Format: {
        std::string* s = arena_.string();
        *s = format(st[sp - 1]);
        st[sp - 1] = Value::object(Type::String, s);
        break;
      }
      case Op::ForNext: {
        const Value& l = locals_[base + i.b];
        Value& idx = locals_[base + i.b + 1];
        if (l.type != Type::Path && l.type != Type::Clist && l.type != Type::Eclist &&
            l.type != Type::Lclist)
          return fail(at, "a for loop needs a bgppath, clist, eclist or lclist, got " +
                              std::string(type_name(l.type)));
        if (!list_member_at(l, idx.as_int(), st[sp])) {
          pc = i.arg;
          break;
        }
        if (++steps > kMaxSteps) return fail(at, kTooLong);
        ++sp;
        idx = Value::integer(idx.as_int() + 1);
        break;
      }
      case Op::Call: {
        const FunctionInfo& fn = p.functions[i.arg];
        if (depth + 1 >= kMaxDepth) return fail(at, "function calls nested too deeply");
        if (sp + fn.max_stack + 1 >= kStack) return fail(at, "expression stack overflow");
        if (++steps > kMaxSteps) return fail(at, kTooLong);
        const uint32_t nb = base + frame;
        if (nb + fn.frame > kLocals) return fail(at, "out of local variable space");
        frames_[depth++] = Frame{pc, base};
        sp -= fn.params;
        for (uint16_t k = 0; k < fn.params; ++k) {
          if (st[sp + k].type == Type::Void)
            return fail(at, "argument " + std::to_string(k + 1) + " of " + fn.name +
                                " is undefined (void)");
          locals_[nb + k] = st[sp + k];
        }
        base = nb;
        frame = fn.frame;
        pc = fn.entry;
        break;
      }
      case Op::Return: {
        Value r = i.a ? st[--sp] : Value::boolean(false);
        if (!i.a) r.type = Type::Void;
        const Frame& fr = frames_[--depth];
        pc = fr.ret;
        const uint32_t caller_base = fr.base;
        // The caller's frame size: distance from its base to ours.
        frame = base - caller_base;
        base = caller_base;
        st[sp++] = r;
        break;
      }
      case Op::Accept:
      case Op::Reject: {
        if (i.a) {
          out.log += message(i.a);
          out.log += '\n';
        }
        if (i.op == Op::Reject) return Verdict::Reject;
        finish(out, in_builder, in_attrs);
        return Verdict::Accept;
      }
      case Op::Print:
        out.log += message(i.a);
        if (i.b) out.log += '\n';
        break;
      case Op::Assert:
        if (!st[--sp].u) return fail(at, "assertion failed");
        break;
      case Op::ConstMatchAttr:
      case Op::AttrMatchConst: {
        Insn li{Op::LoadAttr, i.a, 0, 0};
        Value attr;
        if (!load_attr(li, attr, err)) return fail(at, err);
        const Value& c = p.consts[i.arg];
        auto m = i.op == Op::ConstMatchAttr ? match(c, attr) : match(attr, c);
        if (!m) return fail(at, "operator ~ cannot be applied to these types");
        st[sp++] = Value::boolean(i.b ? !*m : *m);
        pc = at + 3;
        break;
      }
      case Op::LocalCmpInt: {
        const Value& v = locals_[base + i.b];
        bool r;
        if (v.type == Type::Int) {
          const uint32_t x = v.as_int(), y = i.arg;
          switch (i.a) {
            case 0:
              r = x == y;
              break;
            case 1:
              r = x != y;
              break;
            case 2:
              r = x < y;
              break;
            case 3:
              r = x <= y;
              break;
            case 4:
              r = x > y;
              break;
            default:
              r = x >= y;
              break;
          }
        } else {
          // Not an int (a dynamically typed local): the general comparison.
          const Value y = Value::integer(i.arg);
          if (i.a <= 1) {
            r = equal(v, y) == (i.a == 0);
          } else {
            auto c = compare(v, y);
            if (!c)
              return fail(at, "cannot compare " + std::string(type_name(v.type)) + " and int");
            r = i.a == 2 ? *c < 0 : i.a == 3 ? *c <= 0 : i.a == 4 ? *c > 0 : *c >= 0;
          }
        }
        st[sp++] = Value::boolean(r);
        pc = at + 3;
        break;
      }
      case Op::Fail:
        return fail(at, p.consts[i.arg].str());
      case Op::End:
        out.log += (f.name().empty() ? std::string("filter") : "filter " + f.name()) +
                   " reached its end without accept or reject\n";
        // The attributes as set so far: a static route's attribute block applies them whether
        // or not it ends in `accept` (filters proper drop a rejected route, attributes and all).
        finish(out, in_builder, in_attrs);
        return Verdict::Reject;
    }
  }
}

bool glob_match(std::string_view s, std::string_view p) {
  std::size_t si = 0, pi = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++si, ++pi;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++, mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1, si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace rs::filters
