// Constant evaluation (see const_eval.hpp): literals, defines, builtin enum constants, integer
// arithmetic, tuples (pair / lc / ec with their range checks), set literals (BIRD's rules for
// ranges and wildcards in pair, ec and lc items) and constant path masks.
#include "filters/const_eval.hpp"

namespace rs::filters {

std::string tn(Type t) {
  return std::string(type_name(t));
}

Value default_value(Type t, ObjectPool& pool) {
  switch (t) {
    case Type::String:
      return Value::object(t, &pool.strings.emplace_back());
    case Type::Path:
      return Value::object(t, &pool.paths.emplace_back());
    case Type::Clist:
      return Value::object(t, &pool.clists.emplace_back());
    case Type::Eclist:
      return Value::object(t, &pool.eclists.emplace_back());
    case Type::Lclist:
      return Value::object(t, &pool.lclists.emplace_back());
    case Type::PathMask:
      return Value::object(t, &pool.masks.emplace_back());
    case Type::PrefixSet:
      return Value::object(t, &pool.prefix_sets.emplace_back());
    case Type::Ip:
      return Value::address(rib::IpAddress());
    case Type::Prefix:
      return Value::prefix(rib::Prefix());
    default:
      if (is_set(t)) return Value::object(t, &pool.sets.emplace_back(element_of(t)));
      Value v;
      v.type = t;
      v.u = 0;
      return v;
  }
}

std::optional<Value> ConstEval::eval(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Literal:
      if (e.value.type == Type::String)
        return Value::object(Type::String, &pool_.strings.emplace_back(e.text));
      return e.value;
    case ExprKind::Name: {
      if (const Value* v = syms_.constant(e.name)) return *v;
      if (auto b = builtin_constant(e.name)) return b;
      error(e.loc, "'" + e.name + "' is not a constant");
      return std::nullopt;
    }
    case ExprKind::Unary: {
      auto a = eval(*e.args[0]);
      if (!a) return std::nullopt;
      if (e.uop == UnaryOp::Neg && a->type == Type::Int) return Value::integer(0u - a->as_int());
      if (e.uop == UnaryOp::Not && a->type == Type::Bool) return Value::boolean(!a->as_bool());
      error(e.loc, "invalid operand of type " + tn(a->type) + " for unary operator");
      return std::nullopt;
    }
    case ExprKind::Binary: {
      auto a = eval(*e.args[0]);
      if (!a) return std::nullopt;
      auto b = eval(*e.args[1]);
      if (!b) return std::nullopt;
      if (a->type == Type::Int && b->type == Type::Int) {
        uint32_t x = a->as_int(), y = b->as_int();
        switch (e.bop) {
          case BinaryOp::Add:
            return Value::integer(x + y);
          case BinaryOp::Sub:
            return Value::integer(x - y);
          case BinaryOp::Mul:
            return Value::integer(x * y);
          case BinaryOp::Div:
            if (y == 0) {
              error(e.loc, "division by zero");
              return std::nullopt;
            }
            return Value::integer(x / y);
          default:
            break;
        }
      }
      error(e.loc, "operator " + std::string(to_string(e.bop)) +
                       " is not allowed in a constant expression");
      return std::nullopt;
    }
    case ExprKind::Tuple:
      return tuple(e);
    case ExprKind::Set:
      return set(e.set_items, e.loc);
    case ExprKind::Mask:
      return mask(e);
    case ExprKind::EmptyList:
      return default_value(e.empty_type, pool_);
    default:
      error(e.loc, "constant expression expected");
      return std::nullopt;
  }
}

std::optional<uint32_t> ConstEval::eval_int(const Expr& e, const char* what) {
  auto v = eval(e);
  if (!v) return std::nullopt;
  if (v->type != Type::Int) {
    error(e.loc, std::string(what) + " must be an int, got " + tn(v->type));
    return std::nullopt;
  }
  return v->as_int();
}

std::optional<Value> ConstEval::tuple(const Expr& e) {
  std::vector<uint32_t> f;
  std::optional<EcKind> kind = e.ec_kind;
  for (const auto& a : e.args) {
    // `(rt, 192.0.2.1, 5)`: an IPv4 address as the global administrator (as BIRD).
    if (f.empty() && (kind == EcKind::Rt || kind == EcKind::Ro)) {
      auto v = eval(*a);
      if (!v) return std::nullopt;
      if (v->type == Type::Ip && v->ip.is_v4()) {
        kind = kind == EcKind::Rt ? EcKind::RtIp : EcKind::RoIp;
        f.push_back(v->ip.v4_value());
        continue;
      }
    }
    auto v = eval_int(*a, "a tuple field");
    if (!v) return std::nullopt;
    f.push_back(*v);
  }
  if (kind) {
    uint32_t t = 0;
    if (e.ec_unknown_type) {
      auto v = eval_int(*e.ec_unknown_type, "an extended community type");
      if (!v) return std::nullopt;
      t = *v;
    }
    auto ec = make_ec(*kind, static_cast<uint16_t>(t), f[0], f[1]);
    if (!ec || t > 0xFFFF) {
      error(e.loc, "extended community value out of range");
      return std::nullopt;
    }
    return Value::ec(*ec);
  }
  if (f.size() == 2) {
    if (f[0] > 0xFFFF || f[1] > 0xFFFF) {
      error(e.loc, "pair field out of range (0..65535)");
      return std::nullopt;
    }
    return Value::pair(f[0], f[1]);
  }
  return Value::large({f[0], f[1], f[2]});
}

std::optional<Value> ConstEval::mask(const Expr& e) {
  PathMask& m = pool_.masks.emplace_back();
  for (const auto& el : e.mask) {
    MaskItem it;
    it.kind = el.kind;
    it.plus = el.plus;
    if (el.kind == MaskItem::Kind::Asn && !el.hi) {
      // A name standing for an int set (`define PRIV = [64512..65534]; [= * PRIV * =]`) is a
      // set element, as BIRD 2.0.12 builds it; any other type is refused.
      auto v = eval(*el.lo);
      if (!v) return std::nullopt;
      if (v->type == Type::IntSet) {
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
      auto lo = eval_int(*el.lo, "an AS number in a path mask");
      if (!lo) return std::nullopt;
      it.lo = it.hi = *lo;
      if (el.hi) {
        auto hi = eval_int(*el.hi, "an AS number in a path mask");
        if (!hi) return std::nullopt;
        it.hi = *hi;
      }
    } else if (el.kind == MaskItem::Kind::Set) {
      auto s = set(el.set, el.loc);
      if (!s) return std::nullopt;
      if (s->type != Type::IntSet && !s->set().ranges().empty()) {
        error(el.loc, "a set in a path mask must be an int set, got " + tn(s->type));
        return std::nullopt;
      }
      it.set = &s->set();
    }
    if (!m.add(it)) {
      error(el.loc,
            "path mask too long (at most " + std::to_string(PathMask::kMaxSteps) + " elements)");
      return std::nullopt;
    }
  }
  return Value::object(Type::PathMask, &m);
}

std::optional<Value> ConstEval::set(const std::vector<SetItem>& items, const SourceLocation& loc) {
  bool prefixes = false, others = false;
  for (const auto& it : items) (it.kind == SetItem::Kind::Pattern ? prefixes : others) = true;
  // `[ p ]` where p is a prefix constant is a prefix set too.
  if (!prefixes && !items.empty() && items[0].kind == SetItem::Kind::Value &&
      items[0].lo->kind == ExprKind::Name)
    if (const Value* v = syms_.constant(items[0].lo->name); v && v->type == Type::Prefix)
      prefixes = true;
  if (prefixes) {
    PrefixSet& ps = pool_.prefix_sets.emplace_back();
    std::optional<rib::Family> ps_family;
    for (const auto& it : items) {
      PrefixPattern p;
      if (it.kind == SetItem::Kind::Pattern) {
        p = it.pattern;
      } else if (it.kind == SetItem::Kind::Value) {
        // BIRD 2.0 takes prefix literals only ("set-incompatible type" for a prefix constant).
        auto v = eval(*it.lo);
        if (!v) return std::nullopt;
        error(it.loc, v->type == Type::Prefix
                          ? "a prefix set member must be a prefix literal, not a constant"
                          : "a prefix set cannot contain a value of type " + tn(v->type));
        return std::nullopt;
      } else {
        error(it.loc, "a prefix set cannot contain a range or a tuple");
        return std::nullopt;
      }
      // One family per set, as in BIRD (a set of both could never match a net of either).
      if (ps_family && *ps_family != p.prefix.family()) {
        error(it.loc, "a prefix set cannot mix IPv4 and IPv6 prefixes");
        return std::nullopt;
      }
      ps_family = p.prefix.family();
      if (!ps.add(p)) {
        error(it.loc, "invalid prefix pattern");
        return std::nullopt;
      }
    }
    return Value::object(Type::PrefixSet, &ps);
  }
  (void)others;
  Type elem = Type::Void;
  ValueSet tmp;
  std::vector<std::pair<SetKey, SetKey>> ranges;
  auto set_elem = [&](Type t, const SourceLocation& at) {
    if (elem == Type::Void) elem = t;
    if (t == elem || (elem == Type::Quad && t == Type::Ip) || (elem == Type::Ip && t == Type::Quad))
      return true;
    // BIRD 2.0.12 accepts such a set (and compares by type at run time); rsd types its sets.
    error(at, "a set mixing " + tn(elem) + " and " + tn(t) + " values is not supported by rsd");
    return false;
  };
  for (const auto& it : items) {
    switch (it.kind) {
      case SetItem::Kind::Value:
      case SetItem::Kind::Range: {
        auto lo = eval(*it.lo);
        if (!lo) return std::nullopt;
        if (lo->type == Type::Prefix) {
          error(it.loc, "a prefix set member must be a prefix literal, not a constant");
          return std::nullopt;
        }
        Value hi = *lo;
        if (it.kind == SetItem::Kind::Range) {
          auto h = eval(*it.hi);
          if (!h) return std::nullopt;
          if (h->type != lo->type) {
            error(it.loc,
                  "range ends have different types (" + tn(lo->type) + ", " + tn(h->type) + ")");
            return std::nullopt;
          }
          hi = *h;
        }
        if (set_of(lo->type) == Type::Void) {
          error(it.loc, "values of type " + tn(lo->type) + " cannot be members of a set");
          return std::nullopt;
        }
        if (!set_elem(lo->type, it.loc)) return std::nullopt;
        SetKey a = set_key(*lo), b = set_key(hi);
        if (b < a) {
          error(it.loc, "empty range: low end is greater than high end");
          return std::nullopt;
        }
        ranges.emplace_back(a, b);
        break;
      }
      case SetItem::Kind::Tuple:
        if (!tuple_item(it, ranges, set_elem)) return std::nullopt;
        break;
      case SetItem::Kind::Pattern:
        break;
    }
  }
  ValueSet& vs = pool_.sets.emplace_back(elem == Type::Void ? Type::Int : elem);
  for (const auto& [a, b] : ranges) vs.add_range(a, b);
  vs.finish();
  Type st = elem == Type::Void ? Type::IntSet : set_of(elem);
  (void)loc;
  return Value::object(st, &vs);
}

std::optional<std::pair<uint32_t, uint32_t>> ConstEval::field(const TupleField& f, uint32_t max) {
  if (f.wildcard) return std::make_pair(0u, max);
  auto lo = eval_int(*f.lo, "a tuple field");
  if (!lo) return std::nullopt;
  uint32_t hi = *lo;
  if (f.hi) {
    auto h = eval_int(*f.hi, "a tuple field");
    if (!h) return std::nullopt;
    hi = *h;
  }
  if (*lo > hi || hi > max) return std::make_pair(1u, 0u);  // caller reports
  return std::make_pair(*lo, hi);
}

template <class SetElem>
bool ConstEval::tuple_item(const SetItem& it, std::vector<std::pair<SetKey, SetKey>>& ranges,
                           SetElem&& set_elem) {
  auto bad = [&](const char* what) {
    error(it.loc, what);
    return false;
  };
  if (it.ec_kind) {
    if (!set_elem(Type::Ec, it.loc)) return false;
    uint32_t t = 0;
    if (it.ec_unknown_type) {
      auto v = eval_int(*it.ec_unknown_type, "an extended community type");
      if (!v) return false;
      t = *v;
    }
    if (it.fields[0].wildcard || it.fields[0].hi)
      return bad("the AS field of an extended community set item must be a single value");
    auto a = eval_int(*it.fields[0].lo, "a tuple field");
    if (!a) return false;
    const bool two = *it.ec_kind == EcKind::Rt || *it.ec_kind == EcKind::Ro ? *a <= 0xFFFF : true;
    auto b = field(it.fields[1], two ? 0xFFFFFFFFu : 0xFFFFu);
    if (!b) return false;
    if (b->first > b->second) return bad("extended community value out of range");
    auto lo = make_ec(*it.ec_kind, static_cast<uint16_t>(t), *a, b->first);
    auto hi = make_ec(*it.ec_kind, static_cast<uint16_t>(t), *a, b->second);
    if (!lo || !hi) return bad("extended community value out of range");
    ranges.emplace_back(SetKey{0, 0, *lo}, SetKey{0, 0, *hi});
    return true;
  }
  const auto& f = it.fields;
  auto is_full = [](const TupleField& x) { return x.wildcard; };
  if (f.size() == 2) {
    if (!set_elem(Type::Pair, it.loc)) return false;
    auto a = field(f[0], 0xFFFF);
    if (!a) return false;
    auto b = field(f[1], 0xFFFF);
    if (!b) return false;
    if (a->first > a->second || b->first > b->second)
      return bad("pair field out of range (0..65535)");
    if (a->first == a->second || (b->first == 0 && b->second == 0xFFFF)) {
      ranges.emplace_back(SetKey{0, 0, (uint64_t{a->first} << 16) | b->first},
                          SetKey{0, 0, (uint64_t{a->second} << 16) | b->second});
    } else {
      for (uint64_t x = a->first; x <= a->second; ++x)
        ranges.emplace_back(SetKey{0, 0, (x << 16) | b->first},
                            SetKey{0, 0, (x << 16) | b->second});
    }
    return true;
  }
  if (!set_elem(Type::Lc, it.loc)) return false;
  // BIRD: once a field is a range or a wildcard, the later fields must be wildcards.
  std::pair<uint32_t, uint32_t> r[3];
  bool open = false;
  for (int i = 0; i < 3; ++i) {
    auto x = field(f[i], 0xFFFFFFFFu);
    if (!x) return false;
    if (x->first > x->second) return bad("large community field out of range");
    if (open && !is_full(f[i]))
      return bad("in a large community set item, fields after a range or '*' must be '*'");
    if (x->first != x->second) open = true;
    r[i] = *x;
  }
  ranges.emplace_back(SetKey{0, r[0].first, (uint64_t{r[1].first} << 32) | r[2].first},
                      SetKey{0, r[0].second, (uint64_t{r[1].second} << 32) | r[2].second});
  return true;
}

}  // namespace rs::filters
