// Filter-language parser: one recursive-descent function per grammar rule, producing the AST of
// ast.hpp; names are resolved later by the compiler. Precedence, lowest first: `||`, `&&`,
// comparisons and `~` (non-associative), `+ -`, `* /`, unary `! -`, postfix `.member`.
// Locals may be declared BIRD 2.0 style (`TYPE NAME;` between the header and `{`) or 2.14 style
// (a statement `TYPE NAME [= EXPR];` anywhere in the body). Errors stop the construct at the first
// problem ("expected X, got Y" at the offending token).
#include "filters/parser.hpp"

#include "filters/compile.hpp"

namespace rs::filters {

using conf::Token;
using conf::TokenKind;

namespace {

class Parser {
 public:
  Parser(conf::TokenStream& ts, conf::Diagnostics& d) : ts_(ts), diags_(d) {}

  bool failed() const { return failed_; }

  void error(const Token& t, const std::string& msg) {
    if (failed_) return;
    failed_ = true;
    if (t.kind == TokenKind::Invalid) return;  // the lexer already reported it
    diags_.error(t.loc, msg);
  }
  void expected(const std::string& what) {
    error(ts_.peek(), "expected " + what + ", got " + ts_.peek().describe());
  }
  bool expect(TokenKind k, const char* what) {
    if (ts_.accept(k)) return true;
    expected(what);
    return false;
  }
  bool expect_keyword(const char* kw) {
    if (ts_.accept_keyword(kw)) return true;
    expected(std::string("'") + kw + "'");
    return false;
  }
  std::optional<std::string> expect_name(const char* what) {
    const Token& t = ts_.peek();
    if (t.kind != TokenKind::Symbol) {
      expected(what);
      return std::nullopt;
    }
    ts_.next();
    return t.text;
  }

  // TYPE := int | bool | ... [set]
  std::optional<Type> peek_type(std::size_t n = 0) const {
    const Token& t = ts_.peek(n);
    if (t.kind != TokenKind::Symbol || t.quoted) return std::nullopt;
    bool set = ts_.next_is_keyword("set", n + 1);
    return type_from_keyword(t.text, set);
  }
  std::optional<Type> parse_type() {
    auto t = peek_type();
    if (!t) {
      expected("a type");
      return std::nullopt;
    }
    ts_.next();
    if (is_set(*t) && *t != Type::Any) ts_.next();  // `set`
    return t;
  }

  // ---- expressions ----
  ExprPtr make(ExprKind k, const Token& at) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->loc = at.loc;
    return e;
  }

  ExprPtr expression() { return or_expr(); }

  ExprPtr binary(BinaryOp op, ExprPtr l, ExprPtr r, const Token& at) {
    auto e = make(ExprKind::Binary, at);
    e->bop = op;
    e->args.push_back(std::move(l));
    e->args.push_back(std::move(r));
    return e;
  }

  ExprPtr or_expr() {
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
  ExprPtr and_expr() {
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
  ExprPtr cmp_expr() {
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
  ExprPtr add_expr() {
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
  ExprPtr mul_expr() {
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

  // -empty- --empty-- ---empty--- +empty+
  ExprPtr empty_literal() {
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

  // Bounds recursion on hostile input (deeply nested parentheses, blocks or sets).
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& q) : p(q) { ++p.depth_; }
    ~DepthGuard() { --p.depth_; }
  };
  bool too_deep() {
    if (depth_ <= kMaxDepth) return false;
    error(ts_.peek(), "nesting too deep (more than " + std::to_string(kMaxDepth) + " levels)");
    return true;
  }

  ExprPtr unary_expr() {
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

  ExprPtr postfix_expr(ExprPtr e = nullptr) {
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

  // After '(' : expr {, expr} ')'
  bool arguments(std::vector<ExprPtr>& out) {
    if (ts_.accept(TokenKind::RParen)) return true;
    for (;;) {
      auto a = expression();
      if (!a) return false;
      out.push_back(std::move(a));
      if (ts_.accept(TokenKind::Comma)) continue;
      return expect(TokenKind::RParen, "',' or ')'");
    }
  }

  static std::optional<EcKind> ec_keyword(const Token& t) {
    if (t.is_keyword("rt")) return EcKind::Rt;
    if (t.is_keyword("ro")) return EcKind::Ro;
    if (t.is_keyword("generic")) return EcKind::Generic;
    if (t.is_keyword("unknown")) return EcKind::Unknown;
    return std::nullopt;
  }
  // At '(' of a tuple whose first field is an EC kind: `(rt, ...` or `(unknown N, ...`.
  bool at_ec_tuple() const {
    const Token& k = ts_.peek(1);
    if (!ec_keyword(k)) return false;
    if (k.is_keyword("unknown"))
      return !ts_.next_is(TokenKind::Comma, 2) && !ts_.next_is(TokenKind::RParen, 2);
    return ts_.next_is(TokenKind::Comma, 2);
  }

  ExprPtr primary() {
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

  ExprPtr ec_tuple() {
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

  // Set items up to `close` (consumed).
  bool set_items(std::vector<SetItem>& out, TokenKind close) {
    if (ts_.accept(close)) return true;
    for (;;) {
      SetItem it;
      if (!set_item(it)) return false;
      out.push_back(std::move(it));
      if (ts_.accept(TokenKind::Comma)) continue;
      return expect(close, close == TokenKind::RBracket ? "',' or ']'" : "','");
    }
  }

  // A field of a tuple inside a set: `*`, EXPR or EXPR..EXPR.
  bool tuple_field(TupleField& f) {
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

  bool set_item(SetItem& it) {
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

  // A number or a bare name inside a path mask (`a (a+1)` is two elements, not a call).
  ExprPtr mask_atom() {
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

  ExprPtr mask_literal() {
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

  // ---- statements ----
  StmtPtr make_stmt(StmtKind k, const Token& at) {
    auto s = std::make_unique<Stmt>();
    s->kind = k;
    s->loc = at.loc;
    return s;
  }

  bool block_body(std::vector<StmtPtr>& out) {  // after '{', up to and including '}'
    while (!ts_.accept(TokenKind::RBrace)) {
      if (ts_.next_is(TokenKind::End)) {
        expected("'}'");
        return false;
      }
      auto s = statement();
      if (!s) return false;
      out.push_back(std::move(s));
    }
    return true;
  }

  // Message parts of accept/reject/print: [expr {, expr}] ';'
  bool parts(std::vector<ExprPtr>& out) {
    if (ts_.accept(TokenKind::Semicolon)) return true;
    for (;;) {
      auto e = expression();
      if (!e) return false;
      out.push_back(std::move(e));
      if (ts_.accept(TokenKind::Comma)) continue;
      return expect(TokenKind::Semicolon, "',' or ';'");
    }
  }

  bool is_case_label_start() const {
    const Token& t = ts_.peek();
    switch (t.kind) {
      case TokenKind::Number:
      case TokenKind::Ipv4:
      case TokenKind::Ipv6:
      case TokenKind::Prefix:
      case TokenKind::LParen:
      case TokenKind::Minus:
      case TokenKind::String:
        return true;
      case TokenKind::Symbol: {
        if (t.is_keyword("else")) return ts_.next_is(TokenKind::Colon, 1);
        TokenKind k = ts_.peek(1).kind;
        return k == TokenKind::Colon || k == TokenKind::DotDot || k == TokenKind::Comma;
      }
      default:
        return false;
    }
  }

  StmtPtr case_stmt(const Token& kw) {
    auto s = make_stmt(StmtKind::Case, kw);
    s->cond = expression();
    if (!s->cond || !expect(TokenKind::LBrace, "'{'")) return nullptr;
    while (!ts_.accept(TokenKind::RBrace)) {
      const Token& t = ts_.peek();
      CaseArm arm;
      arm.loc = t.loc;
      if (t.is_keyword("else") && ts_.next_is(TokenKind::Colon, 1)) {
        ts_.next();
        ts_.next();
      } else if (is_case_label_start()) {
        for (;;) {
          SetItem it;
          if (!set_item(it)) return nullptr;
          arm.labels.push_back(std::move(it));
          if (ts_.accept(TokenKind::Comma)) continue;
          if (!expect(TokenKind::Colon, "',' or ':' after a case label")) return nullptr;
          break;
        }
      } else {
        expected("a case label, 'else:' or '}'");
        return nullptr;
      }
      while (!ts_.next_is(TokenKind::RBrace) && !is_case_label_start()) {
        if (ts_.next_is(TokenKind::End)) {
          expected("'}'");
          return nullptr;
        }
        auto st = statement();
        if (!st) return nullptr;
        arm.body.push_back(std::move(st));
      }
      s->arms.push_back(std::move(arm));
    }
    return s;
  }

  StmtPtr statement() {
    chain_ = 0;
    DepthGuard g(*this);
    if (too_deep()) return nullptr;
    const Token& t = ts_.peek();
    if (t.kind == TokenKind::LBrace) {
      ts_.next();
      auto s = make_stmt(StmtKind::Block, t);
      if (!block_body(s->body)) return nullptr;
      return s;
    }
    if (t.kind == TokenKind::Semicolon) {
      ts_.next();
      return make_stmt(StmtKind::Block, t);
    }
    if (t.kind == TokenKind::Symbol && !t.quoted) {
      if (t.is_keyword("if")) {
        ts_.next();
        auto s = make_stmt(StmtKind::If, t);
        s->cond = expression();
        if (!s->cond || !expect_keyword("then")) return nullptr;
        auto then = statement();
        if (!then) return nullptr;
        s->body.push_back(std::move(then));
        if (ts_.accept_keyword("else")) {
          auto els = statement();
          if (!els) return nullptr;
          s->body.push_back(std::move(els));
        }
        return s;
      }
      if (t.is_keyword("case")) {
        ts_.next();
        return case_stmt(t);
      }
      if (t.is_keyword("for")) {  // for [TYPE] NAME in EXPR do STATEMENT
        ts_.next();
        auto s = make_stmt(StmtKind::For, t);
        if (auto ty = peek_type(); ty && ts_.next_is(TokenKind::Symbol, is_set(*ty) ? 2 : 1)) {
          ts_.next();
          if (is_set(*ty)) ts_.next();
          s->var_type = *ty;
        }
        auto name = expect_name("a variable name after 'for'");
        if (!name || !expect_keyword("in")) return nullptr;
        s->name = *name;
        s->value = expression();
        if (!s->value || !expect_keyword("do")) return nullptr;
        auto body = statement();
        if (!body) return nullptr;
        s->body.push_back(std::move(body));
        return s;
      }
      if (t.is_keyword("accept") || t.is_keyword("reject")) {
        ts_.next();
        auto s = make_stmt(t.text == "accept" ? StmtKind::Accept : StmtKind::Reject, t);
        if (!parts(s->args)) return nullptr;
        return s;
      }
      if (t.is_keyword("print") || t.is_keyword("printn")) {
        ts_.next();
        auto s = make_stmt(StmtKind::Print, t);
        s->newline = t.text == "print";
        if (!parts(s->args)) return nullptr;
        return s;
      }
      if (t.is_keyword("return")) {
        ts_.next();
        auto s = make_stmt(StmtKind::Return, t);
        if (!ts_.accept(TokenKind::Semicolon)) {
          s->value = expression();
          if (!s->value || !expect(TokenKind::Semicolon, "';'")) return nullptr;
        }
        return s;
      }
      // 2.14 local: TYPE NAME [= EXPR] ;
      if (auto ty = peek_type()) {
        std::size_t n = is_set(*ty) ? 2 : 1;
        if (ts_.next_is(TokenKind::Symbol, n)) {
          ts_.next();
          if (n == 2) ts_.next();
          auto s = make_stmt(StmtKind::Local, t);
          s->var_type = *ty;
          s->name = ts_.next().text;
          if (ts_.accept(TokenKind::Assign)) {
            s->value = expression();
            if (!s->value) return nullptr;
          }
          if (!expect(TokenKind::Semicolon, "';'")) return nullptr;
          return s;
        }
      }
      if (ts_.next_is(TokenKind::Assign, 1)) {
        ts_.next();
        ts_.next();
        auto s = make_stmt(StmtKind::Assign, t);
        s->name = t.text;
        s->value = expression();
        if (!s->value || !expect(TokenKind::Semicolon, "';'")) return nullptr;
        return s;
      }
    }
    if (t.kind != TokenKind::Symbol) {
      expected("a statement");
      return nullptr;
    }
    auto s = make_stmt(StmtKind::Expr, t);
    s->value = expression();
    if (!s->value || !expect(TokenKind::Semicolon, "';'")) return nullptr;
    return s;
  }

  // BIRD 2.0 locals: { TYPE NAME ; } before '{'
  bool old_locals(std::vector<VarDecl>& out) {
    while (!ts_.next_is(TokenKind::LBrace)) {
      const Token& t = ts_.peek();
      auto ty = parse_type();
      if (!ty) return false;
      auto name = expect_name("a variable name");
      if (!name || !expect(TokenKind::Semicolon, "';'")) return false;
      out.push_back({t.loc, *ty, *name});
    }
    return true;
  }

  std::shared_ptr<FunctionDecl> function_def() {
    const Token& kw = ts_.next();  // function
    auto f = std::make_shared<FunctionDecl>();
    f->loc = kw.loc;
    auto name = expect_name("a function name");
    if (!name) return nullptr;
    f->name = *name;
    if (!expect(TokenKind::LParen, "'('")) return nullptr;
    if (!ts_.accept(TokenKind::RParen)) {
      for (;;) {
        const Token& t = ts_.peek();
        auto ty = parse_type();
        if (!ty) return nullptr;
        auto pn = expect_name("a parameter name");
        if (!pn) return nullptr;
        f->params.push_back({t.loc, *ty, *pn});
        if (ts_.accept(TokenKind::Semicolon) || ts_.accept(TokenKind::Comma)) continue;
        if (!expect(TokenKind::RParen, "';', ',' or ')'")) return nullptr;
        break;
      }
    }
    if (ts_.accept(TokenKind::Arrow)) {
      auto ty = parse_type();
      if (!ty) return nullptr;
      f->return_type = *ty;
    }
    if (!old_locals(f->locals)) return nullptr;
    ts_.next();  // {
    if (!block_body(f->body)) return nullptr;
    return f;
  }

  std::unique_ptr<FilterDecl> filter_def(bool named) {
    auto f = std::make_unique<FilterDecl>();
    const Token& kw = ts_.peek();
    f->loc = kw.loc;
    if (named) {
      ts_.next();  // filter
      auto name = expect_name("a filter name");
      if (!name) return nullptr;
      f->name = *name;
      if (!old_locals(f->locals)) return nullptr;
    }
    if (!expect(TokenKind::LBrace, "'{'")) return nullptr;
    if (!block_body(f->body)) return nullptr;
    return f;
  }

 private:
  static constexpr int kMaxDepth = 200;
  static constexpr int kMaxChain = 1000;  // binary operators in one expression statement
  int chain_ = 0;
  conf::TokenStream& ts_;
  conf::Diagnostics& diags_;
  bool failed_ = false;
  int depth_ = 0;
};

}  // namespace

void skip_construct(conf::TokenStream& ts) {
  // function/filter: up to the `}` matching the first `{`; anything else: up to `;` or a block.
  const bool braced = ts.next_is_keyword("function") || ts.next_is_keyword("filter");
  int depth = 0;
  while (!ts.at_end() && !ts.next_is(TokenKind::End)) {
    const Token& t = ts.next();
    if (t.kind == TokenKind::LBrace)
      ++depth;
    else if (t.kind == TokenKind::RBrace) {
      if (--depth <= 0) return;
    } else if (t.kind == TokenKind::Semicolon && depth == 0 && !braced) {
      return;
    }
  }
}

FilterRef parse_filter_definition(conf::TokenStream& ts, SymbolTable& symbols,
                                  conf::Diagnostics& diags) {
  Parser p(ts, diags);
  auto decl = p.filter_def(true);
  if (!decl) return nullptr;
  auto f = compile_filter(*decl, symbols, diags);
  if (!f) return nullptr;
  if (!symbols.add_filter(f, decl->loc, diags)) return nullptr;
  return f;
}

bool parse_function_definition(conf::TokenStream& ts, SymbolTable& symbols,
                               conf::Diagnostics& diags) {
  Parser p(ts, diags);
  auto f = p.function_def();
  if (!f) return false;
  // Register first so that recursion resolves; a function that fails to check stays registered
  // (the configuration is rejected anyway) so later uses do not report a second error.
  if (!symbols.add_function(f, diags)) return false;
  return check_function(*f, symbols, diags);
}

FilterRef parse_filter_body(conf::TokenStream& ts, SymbolTable& symbols, conf::Diagnostics& diags) {
  Parser p(ts, diags);
  auto decl = p.filter_def(false);
  if (!decl) return nullptr;
  return compile_filter(*decl, symbols, diags);
}

FilterRef parse_where(conf::TokenStream& ts, SymbolTable& symbols, conf::Diagnostics& diags) {
  Parser p(ts, diags);
  const Token& t = ts.peek();
  auto e = p.expression();
  if (!e) return nullptr;
  // where EXPR  ==  filter { if EXPR then accept; reject; }
  FilterDecl decl;
  decl.loc = t.loc;
  auto s = std::make_unique<Stmt>();
  s->kind = StmtKind::If;
  s->loc = t.loc;
  s->cond = std::move(e);
  auto acc = std::make_unique<Stmt>();
  acc->kind = StmtKind::Accept;
  acc->loc = t.loc;
  s->body.push_back(std::move(acc));
  decl.body.push_back(std::move(s));
  auto rej = std::make_unique<Stmt>();
  rej->kind = StmtKind::Reject;
  rej->loc = t.loc;
  decl.body.push_back(std::move(rej));
  return compile_filter(decl, symbols, diags);
}

ExprPtr parse_expression(conf::TokenStream& ts, conf::Diagnostics& diags) {
  Parser p(ts, diags);
  return p.expression();
}

std::optional<Value> parse_constant(conf::TokenStream& ts, SymbolTable& symbols,
                                    conf::Diagnostics& diags) {
  auto e = parse_expression(ts, diags);
  if (!e) return std::nullopt;
  return eval_constant(*e, symbols, diags);
}

bool parse_define(conf::TokenStream& ts, SymbolTable& symbols, conf::Diagnostics& diags) {
  Parser p(ts, diags);
  ts.next();  // define
  auto name_tok = ts.peek();
  auto name = p.expect_name("a constant name");
  if (!name || !p.expect(TokenKind::Assign, "'='")) return false;
  auto v = parse_constant(ts, symbols, diags);
  if (!v || !p.expect(TokenKind::Semicolon, "';'")) return false;
  return symbols.add_constant(*name, *v, name_tok.loc, diags);
}

bool parse_attribute(conf::TokenStream& ts, SymbolTable& symbols, conf::Diagnostics& diags) {
  Parser p(ts, diags);
  ts.next();  // attribute
  auto ty = p.parse_type();
  if (!ty) return false;
  auto name_tok = ts.peek();
  auto name = p.expect_name("an attribute name");
  if (!name || !p.expect(TokenKind::Semicolon, "';'")) return false;
  switch (*ty) {
    case Type::Int:
    case Type::Bool:
    case Type::Ip:
    case Type::Pair:
    case Type::Quad:
    case Type::Ec:
    case Type::Lc:
    case Type::Prefix:
      break;
    default:
      diags.error(name_tok.loc,
                  "custom attributes of type " + std::string(type_name(*ty)) +
                      " are not supported (int, bool, ip, prefix, pair, quad, ec, lc)");
      return false;
  }
  return symbols.add_attribute(*name, *ty, name_tok.loc, diags);
}

bool parse_filter_file(conf::TokenStream& ts, SymbolTable& symbols, conf::Diagnostics& diags) {
  bool ok = true;
  while (!ts.at_end() && !ts.next_is(TokenKind::End)) {
    const Token& t = ts.peek();
    const std::size_t before = ts.position();
    bool r;
    if (t.is_keyword("function"))
      r = parse_function_definition(ts, symbols, diags);
    else if (t.is_keyword("filter"))
      r = parse_filter_definition(ts, symbols, diags) != nullptr;
    else if (t.is_keyword("define"))
      r = parse_define(ts, symbols, diags);
    else if (t.is_keyword("attribute"))
      r = parse_attribute(ts, symbols, diags);
    else {
      if (t.kind != TokenKind::Invalid)
        diags.error(t.loc,
                    "expected 'function', 'filter', 'define' or 'attribute', got " + t.describe());
      r = false;
    }
    if (!r) {
      ok = false;
      ts.reset(before);
      skip_construct(ts);
      if (ts.position() == before) ts.next();
    }
  }
  return ok;
}

}  // namespace rs::filters
