// Compiler: AST -> flat Program. One pass over the AST per filter/function: names are resolved
// (locals, then defines, then builtin constants, then route/custom attributes), each expression's
// static type is computed and checked (errors with file:line:col at load time), and code for the
// stack Vm is emitted. Set literals, tuples of constants and masks without variables are folded
// into constants. Functions are compiled into the calling filter's program on first call (a
// worklist), so a Program is self-contained and two programs can be compared structurally.
// BIRD 2.0 functions without `-> type` get the type of their first typed `return`.
#include "filters/compile.hpp"

#include "filters/const_eval.hpp"
#include "filters/passes.hpp"
#include "filters/route_attrs.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace rs::filters {

std::string_view to_string(BinaryOp op) {
  switch (op) {
    case BinaryOp::Or:
      return "||";
    case BinaryOp::And:
      return "&&";
    case BinaryOp::Eq:
      return "=";
    case BinaryOp::Ne:
      return "!=";
    case BinaryOp::Lt:
      return "<";
    case BinaryOp::Le:
      return "<=";
    case BinaryOp::Gt:
      return ">";
    case BinaryOp::Ge:
      return ">=";
    case BinaryOp::Match:
      return "~";
    case BinaryOp::NotMatch:
      return "!~";
    case BinaryOp::Add:
      return "+";
    case BinaryOp::Sub:
      return "-";
    case BinaryOp::Mul:
      return "*";
    case BinaryOp::Div:
      return "/";
  }
  return "?";
}

std::optional<Type> type_from_keyword(std::string_view kw, bool set) {
  static const std::pair<std::string_view, Type> kTypes[] = {
      {"int", Type::Int},       {"bool", Type::Bool},     {"pair", Type::Pair},
      {"quad", Type::Quad},     {"ip", Type::Ip},         {"prefix", Type::Prefix},
      {"string", Type::String}, {"bgppath", Type::Path},  {"bgpmask", Type::PathMask},
      {"clist", Type::Clist},   {"eclist", Type::Eclist}, {"lclist", Type::Lclist},
      {"ec", Type::Ec},         {"lc", Type::Lc},
  };
  for (const auto& [name, t] : kTypes) {
    if (kw != name) continue;
    if (!set) return t;
    Type s = set_of(t);
    if (s == Type::Void) return std::nullopt;
    return s;
  }
  return std::nullopt;
}

namespace {

bool assignable(Type to, Type from) {
  return to == from || from == Type::Any || to == Type::Any ||
         (is_set(to) && from == Type::EnumSet && to == Type::EnumSet);
}

// Return types of BIRD 2.0 functions (no `->`), inferred on demand; shared by one compilation.
struct InferCache {
  std::map<std::string, Type> types;
  std::set<std::string> in_progress;
};

class Compiler {
 public:
  Compiler(const SymbolTable& s, conf::Diagnostics& d, InferCache& cache)
      : syms_(s), diags_(d), cache_(cache), ce_(s, d, *s.pool()) {
    prog_.pool = s.pool();
  }

  bool failed() const { return failed_ || ce_.failed; }
  Program take() { return std::move(prog_); }
  std::optional<Type> inferred_return() const { return seen_return_; }

  void error(const SourceLocation& loc, std::string msg) {
    if (!failed() && !quiet_) diags_.error(loc, std::move(msg));
    failed_ = true;
  }
  void set_quiet() { quiet_ = true, ce_.quiet = true; }

  // ---- emission ----
  uint32_t emit(Op op, const SourceLocation& loc, uint32_t arg = 0, uint8_t a = 0, uint16_t b = 0) {
    prog_.code.push_back(Insn{op, a, b, arg});
    prog_.locs.push_back(loc);
    return static_cast<uint32_t>(prog_.code.size() - 1);
  }
  uint32_t here() const { return static_cast<uint32_t>(prog_.code.size()); }
  void patch(uint32_t at) { prog_.code[at].arg = here(); }
  uint32_t add_const(const Value& v) {
    prog_.consts.push_back(v);
    return static_cast<uint32_t>(prog_.consts.size() - 1);
  }
  void emit_const(const Value& v, const SourceLocation& loc) {
    if (v.type == Type::Int)
      emit(Op::PushInt, loc, v.as_int());
    else if (v.type == Type::Bool)
      emit(Op::PushBool, loc, v.as_bool());
    else
      emit(Op::Const, loc, add_const(v));
  }

  // ---- scopes ----
  struct Local {
    std::string name;
    Type type;
    uint16_t slot;
  };
  std::vector<Local> locals_;
  uint16_t frame_ = 0;
  const Local* find_local(const std::string& n) const {
    for (auto it = locals_.rbegin(); it != locals_.rend(); ++it)
      if (it->name == n) return &*it;
    return nullptr;
  }
  // init: 0 none (parameters, loop variables), 1 void (BIRD 2.0 locals), 2 the type's zero value
  // (BIRD 2.14 style `TYPE NAME;` inside a body, an rsd extension).
  std::optional<uint16_t> declare(const VarDecl& d, int init) {
    for (const auto& l : locals_)
      if (l.name == d.name) {
        error(d.loc, "variable '" + d.name + "' is already declared in this function");
        return std::nullopt;
      }
    if (frame_ >= 1024) {
      error(d.loc, "too many local variables");
      return std::nullopt;
    }
    uint16_t slot = frame_++;
    locals_.push_back({d.name, d.type, slot});
    if (init == 1) {  // as BIRD 2.0.12: a local is void until assigned (`int x; x = 0` is false)
      emit(Op::Const, d.loc, add_const(Value{}));
      emit(Op::Store, d.loc, slot, 0, kStoreAnyValue);
    } else if (init == 2) {
      emit_const(default_value(d.type, *syms_.pool()), d.loc);
      emit(Op::Store, d.loc, slot);
    }
    return slot;
  }
  uint16_t temp() { return frame_++; }

  // ---- expressions ----
  std::optional<Type> expr(const Expr& e) {
    if (failed()) return std::nullopt;
    switch (e.kind) {
      case ExprKind::Literal:
      case ExprKind::Set:
      case ExprKind::EmptyList: {
        auto v = ce_.eval(e);
        if (!v) return std::nullopt;
        emit_const(*v, e.loc);
        if (e.kind == ExprKind::Set && is_set(v->type) && v->type != Type::PrefixSet &&
            v->set().ranges().empty())
          return Type::Any;  // `[]` fits any set type
        return v->type;
      }
      case ExprKind::Mask:
        return mask(e);
      case ExprKind::Name:
        return name(e);
      case ExprKind::Unary: {
        auto t = expr(*e.args[0]);
        if (!t) return std::nullopt;
        Type want = e.uop == UnaryOp::Not ? Type::Bool : Type::Int;
        if (*t != want && *t != Type::Any) {
          error(e.loc, std::string("operator ") + (e.uop == UnaryOp::Not ? "!" : "-") + " needs " +
                           tn(want) + ", got " + tn(*t));
          return std::nullopt;
        }
        emit(e.uop == UnaryOp::Not ? Op::Not : Op::Neg, e.loc);
        return want;
      }
      case ExprKind::Binary:
        return binary(e);
      case ExprKind::Tuple:
        return tuple(e);
      case ExprKind::Call:
        return call(e, false);
      case ExprKind::Member:
        return member(e, false);
    }
    return std::nullopt;
  }

  bool all_const(const Expr& e) const {
    if (e.kind == ExprKind::Literal) return true;
    if (e.kind == ExprKind::Name)
      return !find_local(e.name) && (syms_.constant(e.name) || builtin_constant(e.name));
    if (e.kind == ExprKind::Unary || e.kind == ExprKind::Binary || e.kind == ExprKind::Tuple) {
      if (e.ec_unknown_type && !all_const(*e.ec_unknown_type)) return false;
      for (const auto& a : e.args)
        if (!all_const(*a)) return false;
      return e.kind != ExprKind::Binary || (e.bop >= BinaryOp::Add);
    }
    return false;
  }

  std::optional<Type> mask(const Expr& e) {
    bool dynamic = false;
    for (const auto& el : e.mask)
      if ((el.lo && !all_const(*el.lo)) || (el.hi && !all_const(*el.hi))) dynamic = true;
    if (!dynamic) {
      auto v = ce_.eval(e);
      if (!v) return std::nullopt;
      emit_const(*v, e.loc);
      return Type::PathMask;
    }
    // A template with `dynamic` slots, filled from the stack by MakeMask.
    PathMask& m = syms_.pool()->masks.emplace_back();
    uint32_t n = 0;
    for (const auto& el : e.mask) {
      MaskItem it;
      it.kind = el.kind;
      it.plus = el.plus;
      if (el.kind == MaskItem::Kind::Range && !(all_const(*el.lo) && all_const(*el.hi))) {
        error(el.loc, "a range in a path mask must have constant ends");
        return std::nullopt;
      }
      if (el.kind == MaskItem::Kind::Asn && !all_const(*el.lo)) {
        auto t = expr(*el.lo);
        if (!t) return std::nullopt;
        if (*t != Type::Int && *t != Type::IntSet && *t != Type::Any) {
          error(el.loc, "an AS number in a path mask must be an int or an int set, got " + tn(*t));
          return std::nullopt;
        }
        it.dynamic = true;
        ++n;
      } else if (el.kind == MaskItem::Kind::Asn && !el.hi) {
        auto v = ce_.eval(*el.lo);
        if (!v) return std::nullopt;
        if (v->type == Type::IntSet) {  // a define naming an int set: a set element
          it.kind = MaskItem::Kind::Set;
          it.set = &v->set();
        } else if (v->type == Type::Int) {
          it.lo = it.hi = v->as_int();
        } else {
          error(el.loc,
                "an AS number in a path mask must be an int or an int set, got " + tn(v->type));
          return std::nullopt;
        }
      } else if (el.kind == MaskItem::Kind::Asn || el.kind == MaskItem::Kind::Range) {
        auto lo = ce_.eval_int(*el.lo, "an AS number in a path mask");
        if (!lo) return std::nullopt;
        it.lo = it.hi = *lo;
        if (el.hi) {
          auto hi = ce_.eval_int(*el.hi, "an AS number in a path mask");
          if (!hi) return std::nullopt;
          it.hi = *hi;
        }
      } else if (el.kind == MaskItem::Kind::Set) {
        auto s = ce_.set(el.set, el.loc);
        if (!s) return std::nullopt;
        it.set = &s->set();
      }
      if (!m.add(it)) {
        error(el.loc, "path mask too long");
        return std::nullopt;
      }
    }
    emit(Op::MakeMask, e.loc, add_const(Value::object(Type::PathMask, &m)),
         static_cast<uint8_t>(n));
    return Type::PathMask;
  }

  std::optional<Type> name(const Expr& e) {
    if (const Local* l = find_local(e.name)) {
      emit(Op::Load, e.loc, l->slot);
      return l->type;
    }
    if (const Value* v = syms_.constant(e.name)) {
      emit_const(*v, e.loc);
      return v->type;
    }
    if (auto b = builtin_constant(e.name)) {
      emit_const(*b, e.loc);
      return b->type;
    }
    if (const AttrInfo* a = find_attr(e.name)) {
      if (a->type == Type::Void) {
        error(e.loc, "attribute '" + e.name + "' can only be used with defined() and unset()");
        return std::nullopt;
      }
      emit(Op::LoadAttr, e.loc, 0, static_cast<uint8_t>(a->attr));
      return a->type;
    }
    if (const CustomAttribute* c = syms_.attribute(e.name)) {
      emit(Op::LoadAttr, e.loc, c->id, static_cast<uint8_t>(Attr::Custom), custom_name(c->name));
      return c->type;
    }
    if (e.name == "roa_check") return unsupported_roa(e.loc);
    if (syms_.function(e.name)) {
      error(e.loc, "function '" + e.name + "' must be called with ()");
      return std::nullopt;
    }
    error(e.loc, "unknown name '" + e.name + "'");
    return std::nullopt;
  }

  std::optional<Type> unsupported_roa(const SourceLocation& loc) {
    error(loc, "roa_check is not supported: rsd does not implement RPKI/ROA validation");
    return std::nullopt;
  }

  static bool matchable(Type a, Type b) {
    if (a == Type::Any || b == Type::Any) return true;
    if (is_set(b)) {
      if (b == Type::EnumSet) return is_enum(a);
      if (element_of(b) == a) return true;
      if (a == Type::Path && b == Type::IntSet) return true;
      if (a == Type::Clist && (b == Type::PairSet || b == Type::QuadSet)) return true;
      if (a == Type::Eclist && b == Type::EcSet) return true;
      if (a == Type::Lclist && b == Type::LcSet) return true;
      if (a == Type::Ip && b == Type::QuadSet) return true;
      if (a == Type::Quad && b == Type::IpSet) return true;  // `bgp_originator_id ~ [1.2.3.4]`
      return false;
    }
    switch (b) {
      case Type::Prefix:
        return a == Type::Prefix || a == Type::Ip;
      case Type::PathMask:
        return a == Type::Path;
      case Type::Path:
        return a == Type::Int;
      case Type::Clist:
        return a == Type::Pair || a == Type::Quad || a == Type::Ip;
      case Type::Eclist:
        return a == Type::Ec;
      case Type::Lclist:
        return a == Type::Lc;
      case Type::String:
        return a == Type::String;
      default:
        return false;
    }
  }
  static bool ordered(Type t) {
    return t == Type::Int || t == Type::Pair || t == Type::Quad || t == Type::Ip ||
           t == Type::Prefix || t == Type::String || t == Type::Ec || t == Type::Lc ||
           t == Type::Bool || is_enum(t) || t == Type::Any;
  }
  static bool comparable(Type a, Type b) {
    return a == b || a == Type::Any || b == Type::Any || (a == Type::Quad && b == Type::Ip) ||
           (a == Type::Ip && b == Type::Quad);
  }

  std::optional<Type> binary(const Expr& e) {
    if (e.bop == BinaryOp::And || e.bop == BinaryOp::Or) {
      auto l = expr(*e.args[0]);
      if (!l) return std::nullopt;
      if (!check(*l, Type::Bool, e.args[0]->loc,
                 "left operand of " + std::string(to_string(e.bop))))
        return std::nullopt;
      uint32_t j = emit(e.bop == BinaryOp::And ? Op::AndJump : Op::OrJump, e.loc);
      const uint8_t saved = guard_;
      if (e.bop == BinaryOp::And)
        if (uint8_t g = family_test(*e.args[0])) guard_ = g;
      auto r = expr(*e.args[1]);
      guard_ = saved;
      if (!r) return std::nullopt;
      if (!check(*r, Type::Bool, e.args[1]->loc,
                 "right operand of " + std::string(to_string(e.bop))))
        return std::nullopt;
      patch(j);
      return Type::Bool;
    }
    if (e.bop >= BinaryOp::Add && all_const(e)) {
      auto v = ce_.eval(e);
      if (!v) return std::nullopt;
      emit_const(*v, e.loc);
      return v->type;
    }
    auto l = expr(*e.args[0]);
    if (!l) return std::nullopt;
    auto r = expr(*e.args[1]);
    if (!r) return std::nullopt;
    const std::string opname(to_string(e.bop));
    auto mismatch = [&]() -> std::optional<Type> {
      error(e.loc, "operator " + opname + " cannot be applied to " + tn(*l) + " and " + tn(*r));
      return std::nullopt;
    };
    switch (e.bop) {
      case BinaryOp::Eq:
      case BinaryOp::Ne:
        if (!comparable(*l, *r)) return mismatch();
        emit(e.bop == BinaryOp::Eq ? Op::Eq : Op::Ne, e.loc);
        return Type::Bool;
      case BinaryOp::Lt:
      case BinaryOp::Le:
      case BinaryOp::Gt:
      case BinaryOp::Ge: {
        if (!comparable(*l, *r) || !ordered(*l) || !ordered(*r)) return mismatch();
        static constexpr Op ops[] = {Op::Lt, Op::Le, Op::Gt, Op::Ge};
        emit(ops[static_cast<int>(e.bop) - static_cast<int>(BinaryOp::Lt)], e.loc);
        return Type::Bool;
      }
      case BinaryOp::Match:
      case BinaryOp::NotMatch:
        if (!matchable(*l, *r)) return mismatch();
        if (*r == Type::PrefixSet) note_net_test(e);
        emit(e.bop == BinaryOp::Match ? Op::Match : Op::NotMatch, e.loc);
        return Type::Bool;
      default: {
        if ((*l != Type::Int && *l != Type::Any) || (*r != Type::Int && *r != Type::Any))
          return mismatch();
        static constexpr Op ops[] = {Op::Add, Op::Sub, Op::Mul, Op::Div};
        emit(ops[static_cast<int>(e.bop) - static_cast<int>(BinaryOp::Add)], e.loc);
        return Type::Int;
      }
    }
  }

  // ---- facts for the family lint ----
  uint8_t guard_ = 0;                                // 4 / 6 inside a net.type guard
  std::map<uint16_t, const PrefixSet*> local_sets_;  // prefix-set constants assigned to locals

  void note_net_test(const Expr& e) {
    const Expr& l = *e.args[0];
    if (l.kind != ExprKind::Name || l.name != "net" || find_local("net")) return;
    const PrefixSet* ps = nullptr;
    const Insn& last = prog_.code.back();
    if (last.op == Op::Const && prog_.consts[last.arg].type == Type::PrefixSet)
      ps = &prog_.consts[last.arg].prefix_set();
    else if (last.op == Op::Load && local_sets_.count(static_cast<uint16_t>(last.arg)))
      ps = local_sets_[static_cast<uint16_t>(last.arg)];
    if (!ps || ps->empty()) return;
    prog_.net_set_tests.push_back(
        {e.loc, ps->has_family(rib::Family::Ipv4), ps->has_family(rib::Family::Ipv6), guard_});
  }
  // `net.type = NET_IPx` (either side), possibly one conjunct of `&&`: x, else 0.
  static uint8_t family_test(const Expr& c) {
    if (c.kind == ExprKind::Binary && c.bop == BinaryOp::And)
      if (uint8_t g = family_test(*c.args[0])) return g;
    if (c.kind == ExprKind::Binary && c.bop == BinaryOp::And) return family_test(*c.args[1]);
    if (c.kind != ExprKind::Binary || c.bop != BinaryOp::Eq) return 0;
    for (int k = 0; k < 2; ++k) {
      const Expr& m = *c.args[k];
      const Expr& v = *c.args[1 - k];
      if (m.kind == ExprKind::Member && m.name == "type" && m.args[0]->kind == ExprKind::Name &&
          m.args[0]->name == "net" && v.kind == ExprKind::Name)
        return v.name == "NET_IP4" ? 4 : v.name == "NET_IP6" ? 6 : 0;
    }
    return 0;
  }
  // `if !(net.type = NET_IPx) then reject/return ...;` leaves family x for what follows.
  static uint8_t exit_guard(const Stmt& s) {
    if (s.kind != StmtKind::If || s.body.size() != 1) return 0;
    const Stmt* t = s.body[0].get();
    while (t->kind == StmtKind::Block && t->body.size() == 1) t = t->body[0].get();
    if (t->kind != StmtKind::Reject && t->kind != StmtKind::Return) return 0;
    const Expr& c = *s.cond;
    if (c.kind == ExprKind::Unary && c.uop == UnaryOp::Not) return family_test(*c.args[0]);
    return 0;
  }

  bool check(Type got, Type want, const SourceLocation& loc, const std::string& what) {
    if (got == want || got == Type::Any) return true;
    error(loc, what + " must be " + tn(want) + ", got " + tn(got));
    return false;
  }

  std::optional<Type> tuple(const Expr& e) {
    if (all_const(e)) {
      auto v = ce_.eval(e);
      if (!v) return std::nullopt;
      emit_const(*v, e.loc);
      return v->type;
    }
    uint32_t unknown_type = 0;
    if (e.ec_unknown_type) {
      auto t = ce_.eval_int(*e.ec_unknown_type, "an extended community type");
      if (!t) return std::nullopt;
      unknown_type = *t;
    }
    std::optional<EcKind> kind = e.ec_kind;
    for (const auto& a : e.args) {
      auto t = expr(*a);
      if (!t) return std::nullopt;
      if (*t == Type::Ip && a == e.args.front() && (kind == EcKind::Rt || kind == EcKind::Ro)) {
        kind = kind == EcKind::Rt ? EcKind::RtIp : EcKind::RoIp;  // `(rt, my_ip, 5)`
        continue;
      }
      if (!check(*t, Type::Int, a->loc, "a tuple field")) return std::nullopt;
    }
    if (kind) {
      emit(Op::MakeEc, e.loc, unknown_type, static_cast<uint8_t>(*kind));
      return Type::Ec;
    }
    if (e.args.size() == 2) {
      emit(Op::MakePair, e.loc);
      return Type::Pair;
    }
    emit(Op::MakeLc, e.loc);
    return Type::Lc;
  }

  // An attribute or local that a statement may rewrite.
  struct Target {
    bool local = false;
    uint16_t slot = 0;
    uint8_t attr = 0;
    uint32_t custom = 0;
    Type type = Type::Void;
    uint16_t name_const = 0;  // custom attributes: see custom_name()
  };
  std::optional<Target> target(const std::string& n, const SourceLocation& loc) {
    if (const Local* l = find_local(n)) return Target{true, l->slot, 0, 0, l->type};
    if (const AttrInfo* a = find_attr(n)) {
      if (!a->writable) {
        error(loc, "attribute '" + n + "' is read-only");
        return std::nullopt;
      }
      return Target{false, 0, static_cast<uint8_t>(a->attr), 0, a->type};
    }
    if (const CustomAttribute* c = syms_.attribute(n))
      return Target{false, 0,       static_cast<uint8_t>(Attr::Custom),
                    c->id, c->type, custom_name(c->name)};
    if (syms_.constant(n) || builtin_constant(n)) {
      error(loc, "'" + n + "' is a constant and cannot be assigned");
      return std::nullopt;
    }
    error(loc, "unknown variable or attribute '" + n + "'");
    return std::nullopt;
  }
  // The name of a custom attribute, for run-time messages: 1 + its constant index (0: none).
  uint16_t custom_name(const std::string& name) {
    auto it = custom_names_.find(name);
    if (it != custom_names_.end()) return it->second;
    if (prog_.consts.size() >= 0xFFFE) return 0;
    uint16_t k = static_cast<uint16_t>(
        add_const(Value::object(Type::String, &syms_.pool()->strings.emplace_back(name))) + 1);
    custom_names_[name] = k;
    return k;
  }
  std::map<std::string, uint16_t> custom_names_;
  void load(const Target& t, const SourceLocation& loc) {
    if (t.local)
      emit(Op::Load, loc, t.slot);
    else
      emit(Op::LoadAttr, loc, t.custom, t.attr, t.name_const);
  }
  // `from` is the static type of the stored value: Any gets a run-time type check.
  void store(const Target& t, const SourceLocation& loc, Type from = Type::Void) {
    const uint16_t check =
        from == Type::Any && t.type != Type::Any ? static_cast<uint16_t>(t.type) + 1 : 0;
    if (t.local)
      emit(Op::Store, loc, t.slot, 0, check);
    else
      emit(Op::StoreAttr, loc, t.custom, t.attr, check);
  }

  static bool is_list(Type t) {
    return t == Type::Clist || t == Type::Eclist || t == Type::Lclist || t == Type::Path;
  }

  // Type check for add/delete/filter/prepend's second argument.
  bool list_arg_ok(const std::string& op, Type list, Type arg) {
    if (arg == Type::Any) return true;
    switch (list) {
      case Type::Path:
        if (op == "prepend") return arg == Type::Int;
        if (op == "delete") return arg == Type::Int || arg == Type::IntSet;
        if (op == "filter") return arg == Type::IntSet;
        return false;
      case Type::Clist:
        if (op == "add")
          return arg == Type::Pair || arg == Type::Quad || arg == Type::Clist || arg == Type::Ip;
        return arg == Type::Pair || arg == Type::Quad || arg == Type::PairSet ||
               arg == Type::QuadSet || arg == Type::Clist || arg == Type::Ip;
      case Type::Eclist:
        if (op == "add") return arg == Type::Ec || arg == Type::Eclist;
        return arg == Type::Ec || arg == Type::EcSet || arg == Type::Eclist;
      case Type::Lclist:
        if (op == "add") return arg == Type::Lc || arg == Type::Lclist;
        return arg == Type::Lc || arg == Type::LcSet || arg == Type::Lclist;
      default:
        return false;
    }
  }
  std::optional<Type> list_op(const std::string& op, Type list, const Expr& arg,
                              const SourceLocation& loc) {
    if (!is_list(list) && list != Type::Any) {
      error(loc, op + " cannot be applied to " + tn(list));
      return std::nullopt;
    }
    if (op == "prepend" && list != Type::Path && list != Type::Any) {
      error(loc, "prepend needs a bgppath, got " + tn(list));
      return std::nullopt;
    }
    if (op == "add" && list == Type::Path) {
      error(loc, "add cannot be applied to bgppath (use prepend)");
      return std::nullopt;
    }
    auto at = expr(arg);
    if (!at) return std::nullopt;
    if (!list_arg_ok(op, list, *at)) {
      error(arg.loc, op + " on " + tn(list) + " cannot take " + tn(*at));
      return std::nullopt;
    }
    Op o = op == "add"      ? Op::ListAdd
           : op == "delete" ? Op::ListDelete
           : op == "filter" ? Op::ListFilter
                            : Op::Prepend;
    emit(o, loc);
    return list;
  }

  std::optional<Type> call(const Expr& e, bool statement) {
    const std::string& n = e.name;
    auto argc = [&](std::size_t k) {
      if (e.args.size() == k) return true;
      error(e.loc, n + "() takes " + std::to_string(k) + " argument" + (k == 1 ? "" : "s") +
                       ", got " + std::to_string(e.args.size()));
      return false;
    };
    if (n == "roa_check" || n == "aspa_check") return unsupported_roa(e.loc);
    if (n == "defined" || n == "unset") {
      if (!argc(1)) return std::nullopt;
      const Expr& a = *e.args[0];
      const AttrInfo* ai = a.kind == ExprKind::Name ? find_attr(a.name) : nullptr;
      const CustomAttribute* ca =
          a.kind == ExprKind::Name && !ai ? syms_.attribute(a.name) : nullptr;
      if (!ai && !ca && n == "defined") {  // of any value (BIRD): true unless it is void
        if (!expr(a)) return std::nullopt;
        emit(Op::Const, e.loc, add_const(Value{}));
        emit(Op::Ne, e.loc);
        return Type::Bool;
      }
      if (!ai && !ca) {
        error(a.loc, n + "() needs a route attribute");
        return std::nullopt;
      }
      if (ca && n == "unset") {  // not in BIRD 2.0's grammar
        error(a.loc, "unset() of custom attribute '" + a.name +
                         "' is not supported (BIRD 2.0 cannot unset it)");
        return std::nullopt;
      }
      uint8_t id = ai ? static_cast<uint8_t>(ai->attr) : static_cast<uint8_t>(Attr::Custom);
      uint32_t cid = ca ? ca->id : 0;
      if (n == "defined") {
        emit(Op::DefinedAttr, e.loc, cid, id);
        return Type::Bool;
      }
      if (ai && (ai->attr <= Attr::Ifname)) {
        error(a.loc, "attribute '" + a.name + "' cannot be unset");
        return std::nullopt;
      }
      emit(Op::UnsetAttr, e.loc, cid, id);
      emit(Op::PushBool, e.loc, 0);  // calls leave one value
      return Type::Void;
    }
    if (n == "format") {
      if (!argc(1) || !expr(*e.args[0])) return std::nullopt;
      emit(Op::Format, e.loc);
      return Type::String;
    }
    if (n == "bt_assert") {
      if (!argc(1)) return std::nullopt;
      auto t = expr(*e.args[0]);
      if (!t || !check(*t, Type::Bool, e.args[0]->loc, "bt_assert's argument")) return std::nullopt;
      emit(Op::Assert, e.loc);
      emit(Op::PushBool, e.loc, 0);
      return Type::Void;
    }
    if (n == "add" || n == "delete" || n == "filter" || n == "prepend") {
      if (!argc(2)) return std::nullopt;
      auto lt = expr(*e.args[0]);
      if (!lt) return std::nullopt;
      return list_op(n, *lt, *e.args[1], e.loc);
    }
    const FunctionDecl* f = syms_.function(n);
    if (!f) {
      if (find_attr(n) || syms_.constant(n) || find_local(n))
        error(e.loc, "'" + n + "' is not a function");
      else
        error(e.loc, "unknown function '" + n + "'");
      return std::nullopt;
    }
    if (e.args.size() != f->params.size()) {
      error(e.loc, "function '" + n + "' takes " + std::to_string(f->params.size()) + " argument" +
                       (f->params.size() == 1 ? "" : "s") + ", got " +
                       std::to_string(e.args.size()));
      return std::nullopt;
    }
    for (std::size_t i = 0; i < e.args.size(); ++i) {
      auto t = expr(*e.args[i]);
      if (!t) return std::nullopt;
      if (!assignable(f->params[i].type, *t)) {
        error(e.args[i]->loc, "argument " + std::to_string(i + 1) + " of '" + n + "' must be " +
                                  tn(f->params[i].type) + ", got " + tn(*t));
        return std::nullopt;
      }
    }
    emit(Op::Call, e.loc, function_index(*f));
    (void)statement;
    return return_type(*f);
  }

  std::optional<Type> member(const Expr& e, bool statement) {
    const std::string& m = e.name;
    const Expr& obj = *e.args[0];
    static const std::set<std::string> mutating = {"add", "delete", "filter", "prepend", "empty"};
    if (mutating.count(m) && (m != "empty" || statement)) {
      if (!statement) {
        error(e.loc, "'." + m + "(...)' changes its object and can only be used as a statement");
        return std::nullopt;
      }
      if (obj.kind != ExprKind::Name) {
        error(obj.loc, "'." + m + "' needs a variable or an attribute");
        return std::nullopt;
      }
      auto tg = target(obj.name, obj.loc);
      if (!tg) return std::nullopt;
      if (tg->local) {  // BIRD 2.0's grammar has these statements for route attributes only
        error(obj.loc, "'." + m + "' can only change a route attribute; for a variable write " +
                           (m == "empty" ? obj.name + " = <empty list>"
                                         : obj.name + " = " + m + "(" + obj.name + ", ...)"));
        return std::nullopt;
      }
      if (m == "empty") {
        if (!is_list(tg->type)) {
          error(e.loc, "'.empty' cannot be applied to " + tn(tg->type));
          return std::nullopt;
        }
        emit(Op::EmptyList, e.loc, 0, static_cast<uint8_t>(tg->type));
      } else {
        if (e.args.size() != 2) {
          error(e.loc, "'." + m + "()' takes 1 argument");
          return std::nullopt;
        }
        load(*tg, obj.loc);
        if (!list_op(m, tg->type, *e.args[1], e.loc)) return std::nullopt;
      }
      store(*tg, e.loc);
      emit(Op::PushBool, e.loc, 0);
      return Type::Void;
    }
    auto t = expr(obj);
    if (!t) return std::nullopt;
    auto no_args = [&]() {
      if (e.args.size() == 1) return true;
      error(e.loc, "'." + m + "' takes no arguments");
      return false;
    };
    auto bad = [&]() -> std::optional<Type> {
      error(e.loc, "type " + tn(*t) + " has no member '" + m + "'");
      return std::nullopt;
    };
    const Type ty = *t;
    if (m == "len") {
      if (!no_args()) return std::nullopt;
      if (ty == Type::Prefix)
        emit(Op::NetLen, e.loc);
      else if (is_list(ty) || ty == Type::Any)
        emit(Op::Len, e.loc);
      else
        return bad();
      return Type::Int;
    }
    if (m == "empty") {  // BIRD 2.0 has no `.empty` test: only the statement that empties
      error(e.loc, "'.empty' empties its object and can only be used as a statement");
      return std::nullopt;
    }
    if (m == "asn" || m == "data" || m == "data1" || m == "data2") {
      // pair: .asn .data; lc: .asn .data1 .data2. As BIRD, `.asn` of an ec or a prefix passes the
      // type check and fails when run.
      if (!no_args()) return std::nullopt;
      const bool ok = ty == Type::Any || (m == "asn" && (ty == Type::Ec || ty == Type::Prefix)) ||
                      (ty == Type::Pair && (m == "asn" || m == "data")) ||
                      (ty == Type::Lc && m != "data");
      if (!ok) return bad();
      emit(Op::Field, e.loc, 0, m == "asn" ? 0 : m == "data2" ? 2 : 1);
      return Type::Int;
    }
    if (m == "min" || m == "max") {  // of a bgppath: accepted, fails when run (as BIRD)
      if (!no_args()) return std::nullopt;
      if (!is_list(ty) && ty != Type::Any) return bad();
      emit(Op::MinMax, e.loc, 0, m == "max");
      return ty == Type::Clist    ? Type::Pair
             : ty == Type::Eclist ? Type::Ec
             : ty == Type::Lclist ? Type::Lc
                                  : Type::Any;
    }
    if (m == "type" || m == "ip") {
      if (!no_args()) return std::nullopt;
      if (ty != Type::Prefix && ty != Type::Any) return bad();
      emit(m == "type" ? Op::NetType : Op::NetIp, e.loc);
      return m == "type" ? Type::EnumNetType : Type::Ip;
    }
    if (m == "is_v4") {
      if (!no_args()) return std::nullopt;
      if (ty != Type::Ip && ty != Type::Any) return bad();
      emit(Op::IsV4, e.loc);
      return Type::Bool;
    }
    if (m == "first" || m == "last" || m == "last_nonaggregated") {
      if (!no_args()) return std::nullopt;
      if (ty != Type::Path && ty != Type::Any) return bad();
      emit(m == "first" ? Op::First : m == "last" ? Op::Last : Op::LastNonAgg, e.loc);
      return Type::Int;
    }
    if (m == "mask") {
      if (e.args.size() != 2) {
        error(e.loc, "'.mask()' takes 1 argument");
        return std::nullopt;
      }
      if (ty != Type::Ip && ty != Type::Any) return bad();  // BIRD 2.0: ip.mask() only
      auto a = expr(*e.args[1]);
      if (!a || !check(*a, Type::Int, e.args[1]->loc, "the argument of .mask()"))
        return std::nullopt;
      emit(Op::Mask, e.loc);
      return ty;
    }
    return bad();
  }

  // ---- statements ----
  void stmts(const std::vector<StmtPtr>& body) {
    const uint8_t saved = guard_;
    for (const auto& s : body) {
      if (failed()) break;
      stmt(*s);
      if (uint8_t g = exit_guard(*s)) guard_ = g;
    }
    guard_ = saved;
  }

  void stmt(const Stmt& s) {
    switch (s.kind) {
      case StmtKind::Block:
        stmts(s.body);
        return;
      case StmtKind::If: {
        auto t = expr(*s.cond);
        if (!t || !check(*t, Type::Bool, s.cond->loc, "the condition of if")) return;
        uint32_t jf = emit(Op::JumpFalse, s.loc);
        const uint8_t saved = guard_;
        if (uint8_t g = family_test(*s.cond)) guard_ = g;
        stmt(*s.body[0]);
        guard_ = saved;
        if (s.body.size() > 1) {
          uint32_t j = emit(Op::Jump, s.loc);
          patch(jf);
          stmt(*s.body[1]);
          patch(j);
        } else {
          patch(jf);
        }
        return;
      }
      case StmtKind::Case:
        return case_stmt(s);
      case StmtKind::Assign: {
        auto tg = target(s.name, s.loc);
        if (!tg) return;
        std::optional<Type> t;
        // A dotted-quad literal assigned to a quad is a quad.
        if (tg->type == Type::Quad && s.value->kind == ExprKind::Literal &&
            s.value->value.type == Type::Ip && s.value->value.ip.is_v4()) {
          emit_const(Value::quad(s.value->value.ip.v4_value()), s.value->loc);
          t = Type::Quad;
        } else {
          t = expr(*s.value);
        }
        if (!t) return;
        if (!assignable(tg->type, *t)) {
          error(s.value->loc,
                "cannot assign " + tn(*t) + " to '" + s.name + "' of type " + tn(tg->type));
          return;
        }
        store(*tg, s.loc, *t);
        if (tg->local && *t == Type::PrefixSet && prog_.code.size() >= 2) {
          const Insn& c = prog_.code[prog_.code.size() - 2];
          if (c.op == Op::Const) local_sets_[tg->slot] = &prog_.consts[c.arg].prefix_set();
        }
        return;
      }
      case StmtKind::Expr: {
        const Expr& e = *s.value;
        std::optional<Type> t;
        if (e.kind == ExprKind::Call)
          t = call(e, true);
        else if (e.kind == ExprKind::Member)
          t = member(e, true);
        else {
          error(e.loc,
                "expression statement has no effect (expected a call or a method like .add())");
          return;
        }
        if (!t) return;
        emit(Op::Pop, s.loc);
        return;
      }
      case StmtKind::Accept:
      case StmtKind::Reject: {
        if (!parts(s.args)) return;
        emit(s.kind == StmtKind::Accept ? Op::Accept : Op::Reject, s.loc, 0,
             static_cast<uint8_t>(s.args.size()));
        return;
      }
      case StmtKind::Print: {
        if (!parts(s.args)) return;
        emit(Op::Print, s.loc, 0, static_cast<uint8_t>(s.args.size()), s.newline);
        return;
      }
      case StmtKind::Return: {
        if (!in_function_) {
          error(s.loc, "return outside a function (use accept or reject in a filter)");
          return;
        }
        if (s.value) {
          auto t = expr(*s.value);
          if (!t) return;
          if (ret_type_ && !assignable(*ret_type_, *t)) {
            error(s.value->loc,
                  "function returns " + tn(*ret_type_) + ", but this returns " + tn(*t));
            return;
          }
          if (!seen_return_ && *t != Type::Any) seen_return_ = *t;
          emit(Op::Return, s.loc, 0, 1);
        } else {
          if (ret_type_ && *ret_type_ != Type::Void) {
            error(s.loc, "function returns " + tn(*ret_type_) + ": return needs a value");
            return;
          }
          emit(Op::Return, s.loc, 0, 0);
        }
        return;
      }
      case StmtKind::For:
        return for_stmt(s);
      case StmtKind::Local: {
        auto slot = declare(VarDecl{s.loc, s.var_type, s.name}, s.value == nullptr ? 2 : 0);
        if (!slot || !s.value) return;
        auto t = expr(*s.value);
        if (!t) return;
        if (!assignable(s.var_type, *t)) {
          error(s.value->loc,
                "cannot initialise '" + s.name + "' of type " + tn(s.var_type) + " with " + tn(*t));
          return;
        }
        emit(Op::Store, s.loc, *slot, 0,
             *t == Type::Any ? static_cast<uint16_t>(s.var_type) + 1 : 0);
        return;
      }
    }
  }

  bool parts(const std::vector<ExprPtr>& args) {
    if (args.size() > 255) {
      error(args[0]->loc, "too many message parts");
      return false;
    }
    for (const auto& a : args)
      if (!expr(*a)) return false;
    return true;
  }

  // for [TYPE] NAME in LIST do STMT: the list is evaluated once into a hidden local, followed by
  // the index; Op::ForNext pushes each member in turn. A typed loop variable is scoped to the loop.
  void for_stmt(const Stmt& s) {
    auto lt = expr(*s.value);
    if (!lt) return;
    const Type elem = *lt == Type::Path     ? Type::Int
                      : *lt == Type::Clist  ? Type::Pair
                      : *lt == Type::Eclist ? Type::Ec
                      : *lt == Type::Lclist ? Type::Lc
                      : *lt == Type::Any    ? Type::Any
                                            : Type::Void;
    if (elem == Type::Void) {
      error(s.value->loc, "a for loop needs a bgppath, clist, eclist or lclist, got " + tn(*lt));
      return;
    }
    const uint16_t list = temp();
    temp();  // list + 1: the index
    emit(Op::Store, s.loc, list);
    emit(Op::PushInt, s.loc, 0);
    emit(Op::Store, s.loc, list + 1u);
    const bool scoped = s.var_type != Type::Void;
    std::optional<uint16_t> slot;
    Type vt = s.var_type;
    if (scoped) {
      slot = declare(VarDecl{s.loc, s.var_type, s.name}, 0);
    } else if (const Local* l = find_local(s.name)) {
      slot = l->slot, vt = l->type;
    } else {
      error(s.loc, "unknown variable '" + s.name + "'");
    }
    if (!slot) return;
    if (elem != Type::Any && vt != elem && vt != Type::Any) {
      error(s.loc, "loop variable '" + s.name + "' must be " + tn(elem) + ", is " + tn(vt));
      return;
    }
    const uint32_t head = emit(Op::ForNext, s.loc, 0, 0, list);
    emit(Op::Store, s.loc, *slot, 0,
         elem == Type::Any && vt != Type::Any ? static_cast<uint16_t>(vt) + 1 : 0);
    stmt(*s.body[0]);
    emit(Op::Jump, s.loc, head);
    patch(head);
    if (scoped) std::erase_if(locals_, [&](const Local& l) { return l.slot == *slot; });
  }

  void case_stmt(const Stmt& s) {
    auto t = expr(*s.cond);
    if (!t) return;
    uint16_t tmp = temp();
    emit(Op::Store, s.loc, tmp, 0, kStoreAnyValue);  // an undefined attribute takes `else`
    std::vector<uint32_t> ends;
    const CaseArm* else_arm = nullptr;
    for (const auto& arm : s.arms) {
      if (arm.labels.empty()) {
        if (else_arm) {
          error(arm.loc, "case has two else branches");
          return;
        }
        else_arm = &arm;
        continue;
      }
      auto set = ce_.set(arm.labels, arm.loc);
      if (!set) return;
      if (!matchable(*t, set->type)) {
        error(arm.loc,
              "case label of type " +
                  tn(element_of(set->type) == Type::Any ? Type::EnumSet : element_of(set->type)) +
                  " cannot match a value of type " + tn(*t));
        return;
      }
      emit(Op::Load, arm.loc, tmp);
      emit_const(*set, arm.loc);
      emit(Op::Match, arm.loc, 0, 1);
      uint32_t jf = emit(Op::JumpFalse, arm.loc);
      stmts(arm.body);
      ends.push_back(emit(Op::Jump, arm.loc));
      patch(jf);
    }
    if (else_arm) stmts(else_arm->body);
    for (uint32_t j : ends) patch(j);
  }

  // ---- functions ----
  std::optional<Type> return_type(const FunctionDecl& f) {
    if (f.return_type) return *f.return_type;
    auto it = cache_.types.find(f.name);
    if (it != cache_.types.end()) return it->second;
    if (cache_.in_progress.count(f.name)) return Type::Any;  // recursion: checked at run time
    cache_.in_progress.insert(f.name);
    conf::Diagnostics scratch;
    Compiler c(syms_, scratch, cache_);
    c.function_body(f);
    cache_.in_progress.erase(f.name);
    Type t = c.inferred_return().value_or(Type::Void);
    if (c.failed()) t = Type::Any;
    cache_.types[f.name] = t;
    return t;
  }

  std::map<std::string, uint32_t> fn_index_;
  std::vector<const FunctionDecl*> pending_;
  uint32_t function_index(const FunctionDecl& f) {
    auto it = fn_index_.find(f.name);
    if (it != fn_index_.end()) return it->second;
    uint32_t idx = static_cast<uint32_t>(prog_.functions.size());
    prog_.functions.push_back(FunctionInfo{f.name, 0, static_cast<uint16_t>(f.params.size()), 0});
    fn_index_[f.name] = idx;
    pending_.push_back(&f);
    return idx;
  }

  bool in_function_ = false;
  std::optional<Type> ret_type_;
  std::optional<Type> seen_return_;

  // Compiles a function body into the current program (entry at here()); returns its frame size.
  uint16_t function_body(const FunctionDecl& f) {
    local_sets_.clear();
    guard_ = 0;
    locals_.clear();
    frame_ = 0;
    in_function_ = true;
    ret_type_ = f.return_type;
    seen_return_.reset();
    for (const auto& p : f.params) declare(p, 0);
    for (const auto& l : f.locals) declare(l, 1);
    stmts(f.body);
    emit(Op::Return, f.loc, 0, 0);
    return frame_;
  }

  void compile_pending() {
    while (!pending_.empty() && !failed()) {
      const FunctionDecl* f = pending_.back();
      pending_.pop_back();
      uint32_t idx = fn_index_[f->name];
      prog_.functions[idx].entry = here();
      prog_.functions[idx].frame = function_body(*f);
    }
  }

  void filter_body(const FilterDecl& d) {
    locals_.clear();
    frame_ = 0;
    in_function_ = false;
    for (const auto& l : d.locals) declare(l, 1);
    stmts(d.body);
    emit(Op::End, d.loc);
    prog_.frame = frame_;
  }

 private:
  const SymbolTable& syms_;
  conf::Diagnostics& diags_;
  InferCache& cache_;
  ConstEval ce_;
  Program prog_;
  bool failed_ = false;
  bool quiet_ = false;
};

}  // namespace

FilterRef compile_filter(const FilterDecl& decl, const SymbolTable& symbols,
                         conf::Diagnostics& diags) {
  InferCache cache;
  Compiler c(symbols, diags, cache);
  c.filter_body(decl);
  if (c.failed()) return nullptr;
  // Functions were checked (and their errors reported) when they were defined.
  c.set_quiet();
  c.compile_pending();
  if (c.failed()) {
    // A called function has errors (reported where it is defined). The filter itself is fine:
    // register a stub that fails when run, so that its users do not report "unknown filter".
    if (!diags.has_errors()) diags.error(decl.loc, "filter uses a function that has errors");
    Program stub;
    stub.pool = symbols.pool();
    stub.consts.push_back(Value::object(
        Type::String,
        &symbols.pool()->strings.emplace_back("filter uses a function that has errors")));
    stub.code.push_back(Insn{Op::Fail, 0, 0, 0});
    stub.locs.push_back(decl.loc);
    stub.max_stack = 1;
    return std::make_shared<Filter>(decl.name, decl.loc, std::move(stub));
  }
  Program prog = c.take();
  stack_bounds(prog);
  peephole(prog);
  auto f = std::make_shared<Filter>(decl.name, decl.loc, std::move(prog));
  for (const auto& t : f->program().net_set_tests) {
    if (t.has_v4 && !t.has_v6) f->tests_ipv4_only_sets = true;
    if (t.has_v6 && !t.has_v4) f->tests_ipv6_only_sets = true;
  }
  return f;
}

bool check_function(const FunctionDecl& decl, const SymbolTable& symbols,
                    conf::Diagnostics& diags) {
  InferCache cache;
  Compiler c(symbols, diags, cache);
  c.function_body(decl);
  return !c.failed();
}

std::optional<Value> eval_constant(const Expr& e, const SymbolTable& symbols,
                                   conf::Diagnostics& diags) {
  ConstEval ce(symbols, diags, *symbols.pool());
  return ce.eval(e);
}

}  // namespace rs::filters
