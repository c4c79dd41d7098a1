// The filter-language parser, expressions: precedence climbing from `||` down to postfix members
// (statements and the entry points are in parser.cpp).
#include "filters/parser_impl.hpp"

namespace rs::filters::detail {

void Parser::error(const Token& t, const std::string& msg) {
  if (failed_) return;
  failed_ = true;
  if (t.kind == TokenKind::Invalid) return;  // the lexer already reported it
  diags_.error(t.loc, msg);
}

std::optional<std::string> Parser::expect_name(const char* what) {
  const Token& t = ts_.peek();
  if (t.kind != TokenKind::Symbol) {
    expected(what);
    return std::nullopt;
  }
  ts_.next();
  return t.text;
}

std::optional<Type> Parser::peek_type(std::size_t n) const {
  const Token& t = ts_.peek(n);
  if (t.kind != TokenKind::Symbol || t.quoted) return std::nullopt;
  bool set = ts_.next_is_keyword("set", n + 1);
  return type_from_keyword(t.text, set);
}

std::optional<Type> Parser::parse_type() {
  auto t = peek_type();
  if (!t) {
    expected("a type");
    return std::nullopt;
  }
  ts_.next();
  if (is_set(*t) && *t != Type::Any) ts_.next();  // `set`
  return t;
}

ExprPtr Parser::make(ExprKind k, const Token& at) {
  auto e = std::make_unique<Expr>();
  e->kind = k;
  e->loc = at.loc;
  return e;
}

ExprPtr Parser::binary(BinaryOp op, ExprPtr l, ExprPtr r, const Token& at) {
  auto e = make(ExprKind::Binary, at);
  e->bop = op;
  e->args.push_back(std::move(l));
  e->args.push_back(std::move(r));
  return e;
}

ExprPtr Parser::or_expr() {
  auto l = and_expr();
  while (l && ts_.next_is(TokenKind::Or)) {
    if (++chain_ > kMaxChain) {
      error(ts_.peek(),
            "expression too long (more than " + std::to_string(kMaxChain) + " operators)");
      return nullptr;
    }
    const Token& t = ts_.next();
    auto r = and_expr();
    if (!r) return nullptr;
    l = binary(BinaryOp::Or, std::move(l), std::move(r), t);
  }
  return l;
}

ExprPtr Parser::and_expr() {
  auto l = cmp_expr();
  while (l && ts_.next_is(TokenKind::And)) {
    if (++chain_ > kMaxChain) {
      error(ts_.peek(),
            "expression too long (more than " + std::to_string(kMaxChain) + " operators)");
      return nullptr;
    }
    const Token& t = ts_.next();
    auto r = cmp_expr();
    if (!r) return nullptr;
    l = binary(BinaryOp::And, std::move(l), std::move(r), t);
  }
  return l;
}

ExprPtr Parser::cmp_expr() {
  auto l = add_expr();
  if (!l) return nullptr;
  std::optional<BinaryOp> op;
  switch (ts_.peek().kind) {
    case TokenKind::Assign:
    case TokenKind::Eq:
      op = BinaryOp::Eq;
      break;
    case TokenKind::Ne:
      op = BinaryOp::Ne;
      break;
    case TokenKind::Lt:
      op = BinaryOp::Lt;
      break;
    case TokenKind::Le:
      op = BinaryOp::Le;
      break;
    case TokenKind::Gt:
      op = BinaryOp::Gt;
      break;
    case TokenKind::Ge:
      op = BinaryOp::Ge;
      break;
    case TokenKind::Tilde:
      op = BinaryOp::Match;
      break;
    case TokenKind::NotTilde:
      op = BinaryOp::NotMatch;
      break;
    default:
      return l;
  }
  const Token& t = ts_.next();
  auto r = add_expr();
  if (!r) return nullptr;
  return binary(*op, std::move(l), std::move(r), t);
}

ExprPtr Parser::add_expr() {
  auto l = mul_expr();
  while (l && (ts_.next_is(TokenKind::Plus) || ts_.next_is(TokenKind::Minus))) {
    // `P+` / `P-` never reach here: patterns are only parsed inside set literals.
    if (++chain_ > kMaxChain) {
      error(ts_.peek(),
            "expression too long (more than " + std::to_string(kMaxChain) + " operators)");
      return nullptr;
    }
    const Token& t = ts_.next();
    auto r = mul_expr();
    if (!r) return nullptr;
    l = binary(t.kind == TokenKind::Plus ? BinaryOp::Add : BinaryOp::Sub, std::move(l),
               std::move(r), t);
  }
  return l;
}

ExprPtr Parser::mul_expr() {
  auto l = unary_expr();
  while (l && (ts_.next_is(TokenKind::Star) || ts_.next_is(TokenKind::Slash))) {
    if (++chain_ > kMaxChain) {
      error(ts_.peek(),
            "expression too long (more than " + std::to_string(kMaxChain) + " operators)");
      return nullptr;
    }
    const Token& t = ts_.next();
    auto r = unary_expr();
    if (!r) return nullptr;
    l = binary(t.kind == TokenKind::Star ? BinaryOp::Mul : BinaryOp::Div, std::move(l),
               std::move(r), t);
  }
  return l;
}

ExprPtr Parser::empty_literal() {
  const Token& t = ts_.peek();
  const TokenKind sign = t.kind;
  std::size_t n = 0;
  while (ts_.next_is(sign, n)) ++n;
  if (n == 0 || n > 3 || !ts_.next_is_keyword("empty", n)) return nullptr;
  for (std::size_t i = 0; i < n; ++i)
    if (!ts_.next_is(sign, n + 1 + i)) return nullptr;
  if (sign == TokenKind::Plus && n != 1) return nullptr;
  auto e = make(ExprKind::EmptyList, t);
  e->empty_type = sign == TokenKind::Plus ? Type::Path
                  : n == 1                ? Type::Clist
                  : n == 2                ? Type::Eclist
                                          : Type::Lclist;
  for (std::size_t i = 0; i < 2 * n + 1; ++i) ts_.next();
  return e;
}

ExprPtr Parser::unary_expr() {
  DepthGuard g(*this);
  if (too_deep()) return nullptr;
  const Token& t = ts_.peek();
  if (t.kind == TokenKind::Minus || t.kind == TokenKind::Plus) {
    if (auto e = empty_literal()) return postfix_expr(std::move(e));
  }
  // BIRD 2.0 has no unary minus: `-5` and `-x` are syntax errors there, so they are here too.
  if (t.kind == TokenKind::Not) {
    ts_.next();
    auto a = unary_expr();
    if (!a) return nullptr;
    auto e = make(ExprKind::Unary, t);
    e->uop = t.kind == TokenKind::Not ? UnaryOp::Not : UnaryOp::Neg;
    e->args.push_back(std::move(a));
    return e;
  }
  return postfix_expr();
}

ExprPtr Parser::postfix_expr(ExprPtr e) {
  if (!e) e = primary();
  while (e && ts_.next_is(TokenKind::Dot)) {
    const Token& dot = ts_.next();
    auto name = expect_name("a member name after '.'");
    if (!name) return nullptr;
    auto m = make(ExprKind::Member, dot);
    m->name = *name;
    m->args.push_back(std::move(e));
    if (ts_.accept(TokenKind::LParen)) {
      m->has_parens = true;
      if (!arguments(m->args)) return nullptr;
    }
    e = std::move(m);
  }
  return e;
}

bool Parser::arguments(std::vector<ExprPtr>& out) {
  if (ts_.accept(TokenKind::RParen)) return true;
  for (;;) {
    auto a = expression();
    if (!a) return false;
    out.push_back(std::move(a));
    if (ts_.accept(TokenKind::Comma)) continue;
    return expect(TokenKind::RParen, "',' or ')'");
  }
}

std::optional<EcKind> Parser::ec_keyword(const Token& t) {
  if (t.is_keyword("rt")) return EcKind::Rt;
  if (t.is_keyword("ro")) return EcKind::Ro;
  if (t.is_keyword("generic")) return EcKind::Generic;
  if (t.is_keyword("unknown")) return EcKind::Unknown;
  return std::nullopt;
}

bool Parser::at_ec_tuple() const {
  const Token& k = ts_.peek(1);
  if (!ec_keyword(k)) return false;
  if (k.is_keyword("unknown"))
    return !ts_.next_is(TokenKind::Comma, 2) && !ts_.next_is(TokenKind::RParen, 2);
  return ts_.next_is(TokenKind::Comma, 2);
}

ExprPtr Parser::primary() {
  const Token& t = ts_.peek();
  switch (t.kind) {
    case TokenKind::Number: {
      ts_.next();
      if (t.number > 0xFFFFFFFFull) {
        error(t, "number " + t.text + " out of range (0..4294967295)");
        return nullptr;
      }
      auto e = make(ExprKind::Literal, t);
      e->value = Value::integer(static_cast<uint32_t>(t.number));
      return e;
    }
    case TokenKind::String: {
      ts_.next();
      auto e = make(ExprKind::Literal, t);
      e->value.type = Type::String;
      e->text = t.text;
      return e;
    }
    case TokenKind::Ipv4:
    case TokenKind::Ipv6: {
      ts_.next();
      auto e = make(ExprKind::Literal, t);
      e->value = Value::address(t.ip);
      return e;
    }
    case TokenKind::Prefix: {
      ts_.next();
      auto e = make(ExprKind::Literal, t);
      e->value = Value::prefix(t.prefix());
      return e;
    }
    case TokenKind::LBracket: {
      ts_.next();
      auto e = make(ExprKind::Set, t);
      if (!set_items(e->set_items, TokenKind::RBracket)) return nullptr;
      return e;
    }
    case TokenKind::PathMaskOpen:
      return mask_literal();
    case TokenKind::LParen: {
      if (at_ec_tuple()) return ec_tuple();
      ts_.next();
      auto first = expression();
      if (!first) return nullptr;
      if (ts_.accept(TokenKind::RParen)) return first;
      auto e = make(ExprKind::Tuple, t);
      e->args.push_back(std::move(first));
      while (ts_.accept(TokenKind::Comma)) {
        auto a = expression();
        if (!a) return nullptr;
        e->args.push_back(std::move(a));
      }
      if (!expect(TokenKind::RParen, "',' or ')'")) return nullptr;
      if (e->args.size() > 3) {
        error(t, "a tuple has 2 (pair) or 3 (large community) fields, not " +
                     std::to_string(e->args.size()));
        return nullptr;
      }
      return e;
    }
    case TokenKind::Symbol: {
      ts_.next();
      if (t.is_keyword("true") || t.is_keyword("false")) {
        auto e = make(ExprKind::Literal, t);
        e->value = Value::boolean(t.text == "true");
        return e;
      }
      if (ts_.accept(TokenKind::LParen)) {
        auto e = make(ExprKind::Call, t);
        e->name = t.text;
        if (!arguments(e->args)) return nullptr;
        return e;
      }
      auto e = make(ExprKind::Name, t);
      e->name = t.text;
      return e;
    }
    default:
      expected("an expression");
      return nullptr;
  }
}

ExprPtr Parser::ec_tuple() {
  const Token& open = ts_.next();
  const Token& kw = ts_.next();
  auto e = make(ExprKind::Tuple, open);
  e->ec_kind = ec_keyword(kw);
  if (*e->ec_kind == EcKind::Unknown) {
    e->ec_unknown_type = unary_expr();
    if (!e->ec_unknown_type) return nullptr;
  }
  for (int i = 0; i < 2; ++i) {
    if (!expect(TokenKind::Comma, "','")) return nullptr;
    auto a = expression();
    if (!a) return nullptr;
    e->args.push_back(std::move(a));
  }
  if (!expect(TokenKind::RParen, "')'")) return nullptr;
  return e;
}

bool Parser::set_items(std::vector<SetItem>& out, TokenKind close) {
  if (ts_.accept(close)) return true;
  for (;;) {
    SetItem it;
    if (!set_item(it)) return false;
    out.push_back(std::move(it));
    if (ts_.accept(TokenKind::Comma)) continue;
    return expect(close, close == TokenKind::RBracket ? "',' or ']'" : "','");
  }
}

bool Parser::tuple_field(TupleField& f) {
  if (ts_.accept(TokenKind::Star)) {
    f.wildcard = true;
    return true;
  }
  f.lo = expression();
  if (!f.lo) return false;
  if (ts_.accept(TokenKind::DotDot)) {
    f.hi = expression();
    if (!f.hi) return false;
  }
  return true;
}

bool Parser::set_item(SetItem& it) {
  DepthGuard g(*this);
  if (too_deep()) return false;
  const Token& t = ts_.peek();
  it.loc = t.loc;
  if (t.kind == TokenKind::Prefix) {  // prefix pattern
    ts_.next();
    rib::Prefix p = t.prefix();
    const uint8_t len = p.length(), max = rib::max_length(p.family());
    it.kind = SetItem::Kind::Pattern;
    it.pattern = {p, len, len};
    if (ts_.accept(TokenKind::Plus)) {
      it.pattern.high = max;
    } else if (ts_.accept(TokenKind::Minus)) {
      it.pattern.low = 0;
    } else if (ts_.next_is(TokenKind::LBrace)) {
      ts_.next();
      const Token& a = ts_.peek();
      if (!expect(TokenKind::Number, "a prefix length")) return false;
      if (!expect(TokenKind::Comma, "','")) return false;
      const Token& b = ts_.peek();
      if (!expect(TokenKind::Number, "a prefix length")) return false;
      if (!expect(TokenKind::RBrace, "'}'")) return false;
      if (a.number > max || b.number > max) {
        error(a.number > max ? a : b,
              "prefix length out of range (0.." + std::to_string(max) + ")");
        return false;
      }
      if (a.number > b.number) {
        error(a, "invalid prefix pattern range {" + std::to_string(a.number) + "," +
                     std::to_string(b.number) + "}: low > high");
        return false;
      }
      it.pattern.low = static_cast<uint8_t>(a.number);
      it.pattern.high = static_cast<uint8_t>(b.number);
    }
    return true;
  }
  if (t.kind == TokenKind::LParen) {
    // A tuple, possibly with wildcards and ranges; or a parenthesised expression.
    if (at_ec_tuple()) {
      ts_.next();
      const Token& kw = ts_.next();
      it.kind = SetItem::Kind::Tuple;
      it.ec_kind = ec_keyword(kw);
      if (*it.ec_kind == EcKind::Unknown) {
        it.ec_unknown_type = unary_expr();
        if (!it.ec_unknown_type) return false;
      }
      for (int i = 0; i < 2; ++i) {
        if (!expect(TokenKind::Comma, "','")) return false;
        TupleField f;
        if (!tuple_field(f)) return false;
        it.fields.push_back(std::move(f));
      }
      return expect(TokenKind::RParen, "')'");
    }
    const std::size_t save = ts_.position();
    ts_.next();
    TupleField f;
    if (!tuple_field(f)) return false;
    if (ts_.next_is(TokenKind::Comma)) {
      it.kind = SetItem::Kind::Tuple;
      it.fields.push_back(std::move(f));
      while (ts_.accept(TokenKind::Comma)) {
        TupleField g;
        if (!tuple_field(g)) return false;
        it.fields.push_back(std::move(g));
      }
      if (!expect(TokenKind::RParen, "',' or ')'")) return false;
      if (it.fields.size() > 3) {
        error(t, "a tuple has 2 or 3 fields");
        return false;
      }
      if (ts_.accept(TokenKind::DotDot)) {  // (1,2)..(3,4): a range of tuples
        TupleField lo;
        // Re-parse the left side as a plain expression for the range form.
        ts_.reset(save);
        it = SetItem{};
        it.loc = t.loc;
        it.kind = SetItem::Kind::Range;
        it.lo = expression();
        if (!it.lo || !expect(TokenKind::DotDot, "'..'")) return false;
        it.hi = expression();
        return it.hi != nullptr;
      }
      return true;
    }
    // A parenthesised expression: fall back to the general path.
    ts_.reset(save);
  }
  // BIRD 2.0: a set member is a term (a literal, a constant, a parenthesised expression):
  // `[ base + 1 ]` is a syntax error there, `[ (base + 1) ]` is not.
  it.kind = SetItem::Kind::Value;
  it.lo = postfix_expr();
  if (!it.lo) return false;
  if (ts_.accept(TokenKind::DotDot)) {
    it.kind = SetItem::Kind::Range;
    it.hi = postfix_expr();
    if (!it.hi) return false;
  }
  return true;
}

ExprPtr Parser::mask_atom() {
  const Token& t = ts_.peek();
  if (t.kind == TokenKind::Symbol) {
    ts_.next();
    auto e = make(ExprKind::Name, t);
    e->name = t.text;
    return e;
  }
  if (t.kind != TokenKind::Number) {
    expected("an AS number");
    return nullptr;
  }
  return primary();
}

ExprPtr Parser::mask_literal() {
  const Token& open = ts_.next();
  auto e = make(ExprKind::Mask, open);
  while (!ts_.accept(TokenKind::PathMaskClose)) {
    const Token& t = ts_.peek();
    MaskElem m;
    m.loc = t.loc;
    if (ts_.accept(TokenKind::Star)) {
      m.kind = MaskItem::Kind::AnyStar;
    } else if (ts_.accept(TokenKind::Question)) {
      m.kind = MaskItem::Kind::AnyOne;
    } else if (ts_.accept(TokenKind::LBracket)) {
      m.kind = MaskItem::Kind::Set;
      if (!set_items(m.set, TokenKind::RBracket)) return nullptr;
    } else if (t.kind == TokenKind::Number || t.kind == TokenKind::Symbol ||
               t.kind == TokenKind::LParen) {
      m.kind = MaskItem::Kind::Asn;
      if (t.kind == TokenKind::LParen) {
        ts_.next();
        m.lo = expression();
        if (!m.lo || !expect(TokenKind::RParen, "')'")) return nullptr;
      } else {
        m.lo = mask_atom();
        if (!m.lo) return nullptr;
      }
      if (ts_.accept(TokenKind::DotDot)) {
        m.kind = MaskItem::Kind::Range;
        m.hi = mask_atom();
        if (!m.hi) return nullptr;
      }
    } else {
      expected("an AS number, '*', '?', a range, a set or '=]' in a path mask");
      return nullptr;
    }
    if (ts_.accept(TokenKind::Plus)) m.plus = true;
    e->mask.push_back(std::move(m));
  }
  return e;
}

}  // namespace rs::filters::detail
