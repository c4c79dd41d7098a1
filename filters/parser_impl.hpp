// The filter-language parser's internals, shared by parser.cpp (statements, declarations and
// the entry points) and parser_expr.cpp (expressions). Only those include it.
#pragma once

#include <optional>
#include <string>

#include "conf/lexer.hpp"
#include "filters/ast.hpp"
#include "filters/compile.hpp"

namespace rs::filters::detail {

using conf::Token;
using conf::TokenKind;

class Parser {
 public:
  Parser(conf::TokenStream& ts, conf::Diagnostics& d) : ts_(ts), diags_(d) {}

  bool failed() const { return failed_; }

  void error(const Token& t, const std::string& msg);
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
  std::optional<std::string> expect_name(const char* what);

  // TYPE := int | bool | ... [set]
  std::optional<Type> peek_type(std::size_t n = 0) const;
  std::optional<Type> parse_type();

  // ---- expressions ----
  ExprPtr make(ExprKind k, const Token& at);
  ExprPtr expression() { return or_expr(); }

  ExprPtr binary(BinaryOp op, ExprPtr l, ExprPtr r, const Token& at);
  ExprPtr or_expr();
  ExprPtr and_expr();
  ExprPtr cmp_expr();
  ExprPtr add_expr();
  ExprPtr mul_expr();

  // -empty- --empty-- ---empty--- +empty+
  ExprPtr empty_literal();

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

  ExprPtr unary_expr();
  ExprPtr postfix_expr(ExprPtr e = nullptr);

  // After '(' : expr {, expr} ')'
  bool arguments(std::vector<ExprPtr>& out);
  static std::optional<EcKind> ec_keyword(const Token& t);
  // At '(' of a tuple whose first field is an EC kind: `(rt, ...` or `(unknown N, ...`.
  bool at_ec_tuple() const;

  ExprPtr primary();
  ExprPtr ec_tuple();

  // Set items up to `close` (consumed).
  bool set_items(std::vector<SetItem>& out, TokenKind close);

  // A field of a tuple inside a set: `*`, EXPR or EXPR..EXPR.
  bool tuple_field(TupleField& f);
  bool set_item(SetItem& it);

  // A number or a bare name inside a path mask (`a (a+1)` is two elements, not a call).
  ExprPtr mask_atom();
  ExprPtr mask_literal();

  // ---- statements ----
  StmtPtr make_stmt(StmtKind k, const Token& at);

  // After '{', up to and including '}'.
  bool block_body(std::vector<StmtPtr>& out);

  // Message parts of accept/reject/print: [expr {, expr}] ';'
  bool parts(std::vector<ExprPtr>& out);
  bool is_case_label_start() const;

  StmtPtr case_stmt(const Token& kw);
  StmtPtr statement();

  // BIRD 2.0 locals: { TYPE NAME ; } before '{'
  bool old_locals(std::vector<VarDecl>& out);
  std::shared_ptr<FunctionDecl> function_def();
  std::unique_ptr<FilterDecl> filter_def(bool named);

 private:
  static constexpr int kMaxDepth = 200;
  static constexpr int kMaxChain = 1000;  // binary operators in one expression statement
  int chain_ = 0;
  conf::TokenStream& ts_;
  conf::Diagnostics& diags_;
  bool failed_ = false;
  int depth_ = 0;
};

}  // namespace rs::filters::detail
