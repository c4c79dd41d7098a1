// Compiler: AST -> flat Program. One pass over the AST per filter/function: names are resolved
// (locals, then defines, then builtin constants, then route/custom attributes), each expression's
// static type is computed and checked (errors with file:line:col at load time), and code for the
// stack Vm is emitted. Set literals, tuples of constants and masks without variables are folded
// into constants. Functions are compiled into the calling filter's program on first call (a
// worklist), so a Program is self-contained and two programs can be compared structurally.
// BIRD 2.0 functions without `-> type` get the type of their first typed `return`.
#include "filters/compile.hpp"

#include "conf/reserved_words.hpp"

#include "filters/compiler.hpp"
#include "filters/passes.hpp"

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

namespace detail {

void Compiler::emit_const(const Value& v, const SourceLocation& loc) {
  if (v.type == Type::Int)
    emit(Op::PushInt, loc, v.as_int());
  else if (v.type == Type::Bool)
    emit(Op::PushBool, loc, v.as_bool());
  else
    emit(Op::Const, loc, add_const(v));
}

std::optional<uint16_t> Compiler::declare(const VarDecl& d, int init) {
  // BIRD's grammar takes these words as keywords wherever a name is expected: `bird -p` refuses
  // such a variable, and a configuration must get the same verdict from both.
  if (conf::is_reserved_word(d.name)) {
    error(d.loc, "'" + d.name + "' is a keyword and cannot name a variable");
    return std::nullopt;
  }
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

std::optional<Type> Compiler::expr(const Expr& e) {
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

bool Compiler::all_const(const Expr& e) const {
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

std::optional<Type> Compiler::mask(const Expr& e) {
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
  emit(Op::MakeMask, e.loc, add_const(Value::object(Type::PathMask, &m)), static_cast<uint8_t>(n));
  return Type::PathMask;
}

std::optional<Type> Compiler::name(const Expr& e) {
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

bool Compiler::matchable(Type a, Type b) {
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

std::optional<Type> Compiler::binary(const Expr& e) {
  if (e.bop == BinaryOp::And || e.bop == BinaryOp::Or) {
    auto l = expr(*e.args[0]);
    if (!l) return std::nullopt;
    if (!check(*l, Type::Bool, e.args[0]->loc, "left operand of " + std::string(to_string(e.bop))))
      return std::nullopt;
    uint32_t j = emit(e.bop == BinaryOp::And ? Op::AndJump : Op::OrJump, e.loc);
    const uint8_t saved = guard_;
    if (e.bop == BinaryOp::And)
      if (uint8_t g = family_test(*e.args[0])) guard_ = g;
    auto r = expr(*e.args[1]);
    guard_ = saved;
    if (!r) return std::nullopt;
    if (!check(*r, Type::Bool, e.args[1]->loc, "right operand of " + std::string(to_string(e.bop))))
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

void Compiler::note_net_test(const Expr& e) {
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

uint8_t Compiler::family_test(const Expr& c) {
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

uint8_t Compiler::exit_guard(const Stmt& s) {
  if (s.kind != StmtKind::If || s.body.size() != 1) return 0;
  const Stmt* t = s.body[0].get();
  while (t->kind == StmtKind::Block && t->body.size() == 1) t = t->body[0].get();
  if (t->kind != StmtKind::Reject && t->kind != StmtKind::Return) return 0;
  const Expr& c = *s.cond;
  if (c.kind == ExprKind::Unary && c.uop == UnaryOp::Not) return family_test(*c.args[0]);
  return 0;
}

std::optional<Type> Compiler::tuple(const Expr& e) {
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

std::optional<Compiler::Target> Compiler::target(const std::string& n, const SourceLocation& loc) {
  if (const Local* l = find_local(n)) return Target{true, l->slot, 0, 0, l->type};
  if (const AttrInfo* a = find_attr(n)) {
    if (!a->writable) {
      error(loc, "attribute '" + n + "' is read-only");
      return std::nullopt;
    }
    // BIRD keeps a written gw / dest with the route (the gateway it resolves, a blackhole route
    // that loses the resolvability test) and a BGP export may take its next hop from gw. rsd
    // resolves no next hops and has no route destinations apart from BGP's, so it could only
    // accept these writes and ignore them: refused instead.
    if (a->attr == Attr::Gw || a->attr == Attr::Dest) {
      error(loc, "assigning '" + n +
                     "' is not supported (rsd resolves no next hops; set bgp_next_hop instead)");
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

uint16_t Compiler::custom_name(const std::string& name) {
  auto it = custom_names_.find(name);
  if (it != custom_names_.end()) return it->second;
  if (prog_.consts.size() >= 0xFFFE) return 0;
  uint16_t k = static_cast<uint16_t>(
      add_const(Value::object(Type::String, &syms_.pool()->strings.emplace_back(name))) + 1);
  custom_names_[name] = k;
  return k;
}

void Compiler::load(const Target& t, const SourceLocation& loc) {
  if (t.local)
    emit(Op::Load, loc, t.slot);
  else
    emit(Op::LoadAttr, loc, t.custom, t.attr, t.name_const);
}

void Compiler::store(const Target& t, const SourceLocation& loc, Type from) {
  const uint16_t check =
      from == Type::Any && t.type != Type::Any ? static_cast<uint16_t>(t.type) + 1 : 0;
  if (t.local)
    emit(Op::Store, loc, t.slot, 0, check);
  else
    emit(Op::StoreAttr, loc, t.custom, t.attr, check);
}

bool Compiler::list_arg_ok(const std::string& op, Type list, Type arg) {
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

std::optional<Type> Compiler::list_op(const std::string& op, Type list, const Expr& arg,
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

}  // namespace detail

using detail::Compiler;
using detail::InferCache;

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
