// Filter-language parser: one recursive-descent function per grammar rule, producing the AST of
// ast.hpp; names are resolved later by the compiler. Precedence, lowest first: `||`, `&&`,
// comparisons and `~` (non-associative), `+ -`, `* /`, unary `! -`, postfix `.member`.
// Locals may be declared BIRD 2.0 style (`TYPE NAME;` between the header and `{`) or 2.14 style
// (a statement `TYPE NAME [= EXPR];` anywhere in the body). Errors stop the construct at the first
// problem ("expected X, got Y" at the offending token).
#include "filters/parser.hpp"

#include "filters/parser_impl.hpp"

namespace rs::filters {

using conf::Token;
using conf::TokenKind;

namespace detail {

StmtPtr Parser::make_stmt(StmtKind k, const Token& at) {
  auto s = std::make_unique<Stmt>();
  s->kind = k;
  s->loc = at.loc;
  return s;
}

bool Parser::block_body(std::vector<StmtPtr>& out) {
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

bool Parser::parts(std::vector<ExprPtr>& out) {
  if (ts_.accept(TokenKind::Semicolon)) return true;
  for (;;) {
    auto e = expression();
    if (!e) return false;
    out.push_back(std::move(e));
    if (ts_.accept(TokenKind::Comma)) continue;
    return expect(TokenKind::Semicolon, "',' or ';'");
  }
}

bool Parser::is_case_label_start() const {
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

StmtPtr Parser::case_stmt(const Token& kw) {
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

StmtPtr Parser::statement() {
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

bool Parser::old_locals(std::vector<VarDecl>& out) {
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

std::shared_ptr<FunctionDecl> Parser::function_def() {
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

std::unique_ptr<FilterDecl> Parser::filter_def(bool named) {
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

}  // namespace detail

using detail::Parser;

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
