// The filter compiler, second half: calls of functions and methods, statements, and the bodies of
// functions and filters (the first half, with expressions, is compile.cpp).
#include "filters/compiler.hpp"

namespace rs::filters::detail {

std::optional<Type> Compiler::call(const Expr& e, bool statement) {
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
    const CustomAttribute* ca = a.kind == ExprKind::Name && !ai ? syms_.attribute(a.name) : nullptr;
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
                     (f->params.size() == 1 ? "" : "s") + ", got " + std::to_string(e.args.size()));
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

std::optional<Type> Compiler::member(const Expr& e, bool statement) {
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
    if (!a || !check(*a, Type::Int, e.args[1]->loc, "the argument of .mask()")) return std::nullopt;
    emit(Op::Mask, e.loc);
    return ty;
  }
  return bad();
}

void Compiler::stmts(const std::vector<StmtPtr>& body) {
  const uint8_t saved = guard_;
  for (const auto& s : body) {
    if (failed()) break;
    stmt(*s);
    if (uint8_t g = exit_guard(*s)) guard_ = g;
  }
  guard_ = saved;
}

void Compiler::stmt(const Stmt& s) {
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
      emit(Op::Store, s.loc, *slot, 0, *t == Type::Any ? static_cast<uint16_t>(s.var_type) + 1 : 0);
      return;
    }
  }
}

bool Compiler::parts(const std::vector<ExprPtr>& args) {
  if (args.size() > 255) {
    error(args[0]->loc, "too many message parts");
    return false;
  }
  for (const auto& a : args)
    if (!expr(*a)) return false;
  return true;
}

void Compiler::for_stmt(const Stmt& s) {
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

void Compiler::case_stmt(const Stmt& s) {
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

std::optional<Type> Compiler::return_type(const FunctionDecl& f) {
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

uint32_t Compiler::function_index(const FunctionDecl& f) {
  auto it = fn_index_.find(f.name);
  if (it != fn_index_.end()) return it->second;
  uint32_t idx = static_cast<uint32_t>(prog_.functions.size());
  prog_.functions.push_back(FunctionInfo{f.name, 0, static_cast<uint16_t>(f.params.size()), 0});
  fn_index_[f.name] = idx;
  pending_.push_back(&f);
  return idx;
}

uint16_t Compiler::function_body(const FunctionDecl& f) {
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

void Compiler::compile_pending() {
  while (!pending_.empty() && !failed()) {
    const FunctionDecl* f = pending_.back();
    pending_.pop_back();
    uint32_t idx = fn_index_[f->name];
    prog_.functions[idx].entry = here();
    prog_.functions[idx].frame = function_body(*f);
  }
}

void Compiler::filter_body(const FilterDecl& d) {
  locals_.clear();
  frame_ = 0;
  in_function_ = false;
  for (const auto& l : d.locals) declare(l, 1);
  stmts(d.body);
  emit(Op::End, d.loc);
  prog_.frame = frame_;
}

}  // namespace rs::filters::detail
