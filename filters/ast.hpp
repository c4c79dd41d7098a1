// The AST of the filter language, as the parser builds it. Names are not resolved here: the
// compiler (compile.cpp) resolves them against locals, the symbol table, the route attributes and
// the builtin constants, type-checks, and emits the flat program. Every node carries the location
// of its first token for `file:line:col` errors.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/diagnostic.hpp"
#include "filters/path_mask.hpp"
#include "filters/prefix_set.hpp"
#include "filters/value.hpp"

namespace rs::filters {

using SourceLocation = conf::Location;

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;
struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

enum class UnaryOp : uint8_t { Not, Neg };
enum class BinaryOp : uint8_t {
  Or,
  And,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Match,
  NotMatch,
  Add,
  Sub,
  Mul,
  Div,
};
std::string_view to_string(BinaryOp op);

// One component of a tuple in a set literal: an expression, a range `a..b`, or `*`.
struct TupleField {
  bool wildcard = false;
  ExprPtr lo, hi;  // hi set for a range
};

// A member of a set literal (also a `case` label): value, range `a..b`, tuple with wildcards
// `(65000, *)`, `(rt, 1, 10..20)`, or a prefix pattern `P`, `P+`, `P-`, `P{a,b}`.
struct SetItem {
  SourceLocation loc;
  enum class Kind : uint8_t { Value, Range, Tuple, Pattern } kind = Kind::Value;
  ExprPtr lo, hi;                  // Value (lo), Range (lo, hi)
  std::vector<TupleField> fields;  // Tuple
  std::optional<EcKind> ec_kind;   // Tuple that is an EC: (rt, ...)
  ExprPtr ec_unknown_type;         // (unknown T, ...)
  PrefixPattern pattern;           // Pattern
};

struct MaskElem {
  SourceLocation loc;
  MaskItem::Kind kind = MaskItem::Kind::Asn;
  bool plus = false;
  ExprPtr lo, hi;            // Asn (lo: an int expression, maybe a variable), Range
  std::vector<SetItem> set;  // Set
};

enum class ExprKind : uint8_t {
  Literal,    // value: a scalar or string literal (string owned by `text`)
  Set,        // set_items
  Mask,       // mask
  Name,       // name: a local, a define, an enum constant, a route or custom attribute
  Unary,      // uop, args[0]
  Binary,     // bop, args[0..1]
  Tuple,      // (a, b) pair, (a, b, c) lc, (rt, a, b) ec: args, ec_kind / ec_unknown_type
  Call,       // name(args): a function or a builtin (add, delete, filter, prepend, defined, ...)
  Member,     // args[0].name, or args[0].name(args[1..]) when has_parens
  EmptyList,  // -empty- (clist), --empty-- (eclist), ---empty--- (lclist), +empty+ (bgppath)
};

struct Expr {
  ExprKind kind = ExprKind::Literal;
  SourceLocation loc;
  Value value;       // Literal
  std::string text;  // Literal string payload
  std::string name;  // Name, Call, Member
  UnaryOp uop = UnaryOp::Not;
  BinaryOp bop = BinaryOp::Eq;
  bool has_parens = false;
  Type empty_type = Type::Clist;  // EmptyList
  std::optional<EcKind> ec_kind;
  ExprPtr ec_unknown_type;
  std::vector<ExprPtr> args;
  std::vector<SetItem> set_items;
  std::vector<MaskElem> mask;
};

enum class StmtKind : uint8_t {
  Block,   // body
  If,      // cond, body[0] then, body[1] else (optional)
  Case,    // cond, arms
  Assign,  // name = value
  Expr,    // value (a call or a mutating method like bgp_community.add(...))
  Accept,  // args: message parts
  Reject,
  Return,  // value (optional)
  Print,   // args; newline
  Local,   // 2.14 style declaration: var_type name [= value]
  For,     // for [var_type] name in value do body[0]
};

struct CaseArm {
  SourceLocation loc;
  std::vector<SetItem> labels;  // empty: else
  std::vector<StmtPtr> body;
};

struct Stmt {
  StmtKind kind = StmtKind::Block;
  SourceLocation loc;
  std::string name;
  ExprPtr cond;
  ExprPtr value;
  bool newline = true;
  Type var_type = Type::Void;
  std::vector<ExprPtr> args;
  std::vector<StmtPtr> body;
  std::vector<CaseArm> arms;
};

struct VarDecl {
  SourceLocation loc;
  Type type = Type::Void;
  std::string name;
};

// `function NAME(args) [-> type] [2.0 locals] { body }`
struct FunctionDecl {
  SourceLocation loc;
  std::string name;
  std::vector<VarDecl> params;
  std::optional<Type> return_type;  // declared with `->` (BIRD >= 2.14)
  std::vector<VarDecl> locals;      // BIRD 2.0 style, between the header and `{`
  std::vector<StmtPtr> body;
};

// `filter NAME [2.0 locals] { body }`, an anonymous `filter { ... }`, or `where EXPR`.
struct FilterDecl {
  SourceLocation loc;
  std::string name;  // empty: anonymous
  std::vector<VarDecl> locals;
  std::vector<StmtPtr> body;
};

}  // namespace rs::filters
