// The filter compiler's internals, shared by compile.cpp (emission, scopes, expressions, the
// family lint) and compile_stmt.cpp (calls, methods, statements, functions). Only those include it.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "filters/compile.hpp"
#include "filters/const_eval.hpp"
#include "filters/route_attrs.hpp"

namespace rs::filters::detail {

inline bool assignable(Type to, Type from) {
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
  void emit_const(const Value& v, const SourceLocation& loc);

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
  std::optional<uint16_t> declare(const VarDecl& d, int init);
  uint16_t temp() { return frame_++; }

  // ---- expressions ----
  std::optional<Type> expr(const Expr& e);
  bool all_const(const Expr& e) const;

  std::optional<Type> mask(const Expr& e);
  std::optional<Type> name(const Expr& e);
  std::optional<Type> unsupported_roa(const SourceLocation& loc) {
    error(loc, "roa_check is not supported: rsd does not implement RPKI/ROA validation");
    return std::nullopt;
  }

  static bool matchable(Type a, Type b);
  static bool ordered(Type t) {
    return t == Type::Int || t == Type::Pair || t == Type::Quad || t == Type::Ip ||
           t == Type::Prefix || t == Type::String || t == Type::Ec || t == Type::Lc ||
           t == Type::Bool || is_enum(t) || t == Type::Any;
  }
  static bool comparable(Type a, Type b) {
    return a == b || a == Type::Any || b == Type::Any || (a == Type::Quad && b == Type::Ip) ||
           (a == Type::Ip && b == Type::Quad);
  }

  std::optional<Type> binary(const Expr& e);

  // ---- facts for the family lint ----
  uint8_t guard_ = 0;                                // 4 / 6 inside a net.type guard
  std::map<uint16_t, const PrefixSet*> local_sets_;  // prefix-set constants assigned to locals

  void note_net_test(const Expr& e);
  // `net.type = NET_IPx` (either side), possibly one conjunct of `&&`: x, else 0.
  static uint8_t family_test(const Expr& c);
  // `if !(net.type = NET_IPx) then reject/return ...;` leaves family x for what follows.
  static uint8_t exit_guard(const Stmt& s);
  bool check(Type got, Type want, const SourceLocation& loc, const std::string& what) {
    if (got == want || got == Type::Any) return true;
    error(loc, what + " must be " + tn(want) + ", got " + tn(got));
    return false;
  }

  std::optional<Type> tuple(const Expr& e);

  // An attribute or local that a statement may rewrite.
  struct Target {
    bool local = false;
    uint16_t slot = 0;
    uint8_t attr = 0;
    uint32_t custom = 0;
    Type type = Type::Void;
    uint16_t name_const = 0;  // custom attributes: see custom_name()
  };
  std::optional<Target> target(const std::string& n, const SourceLocation& loc);
  // The name of a custom attribute, for run-time messages: 1 + its constant index (0: none).
  uint16_t custom_name(const std::string& name);
  std::map<std::string, uint16_t> custom_names_;
  void load(const Target& t, const SourceLocation& loc);
  // `from` is the static type of the stored value: Any gets a run-time type check.
  void store(const Target& t, const SourceLocation& loc, Type from = Type::Void);
  static bool is_list(Type t) {
    return t == Type::Clist || t == Type::Eclist || t == Type::Lclist || t == Type::Path;
  }

  // Type check for add/delete/filter/prepend's second argument.
  bool list_arg_ok(const std::string& op, Type list, Type arg);
  std::optional<Type> list_op(const std::string& op, Type list, const Expr& arg,
                              const SourceLocation& loc);
  std::optional<Type> call(const Expr& e, bool statement);
  std::optional<Type> member(const Expr& e, bool statement);

  // ---- statements ----
  void stmts(const std::vector<StmtPtr>& body);
  void stmt(const Stmt& s);
  bool parts(const std::vector<ExprPtr>& args);

  // for [TYPE] NAME in LIST do STMT: the list is evaluated once into a hidden local, followed by
  // the index; Op::ForNext pushes each member in turn. A typed loop variable is scoped to the loop.
  void for_stmt(const Stmt& s);
  void case_stmt(const Stmt& s);

  // ---- functions ----
  std::optional<Type> return_type(const FunctionDecl& f);
  std::map<std::string, uint32_t> fn_index_;
  std::vector<const FunctionDecl*> pending_;
  uint32_t function_index(const FunctionDecl& f);
  bool in_function_ = false;
  std::optional<Type> ret_type_;
  std::optional<Type> seen_return_;

  // Compiles a function body into the current program (entry at here()); returns its frame size.
  uint16_t function_body(const FunctionDecl& f);
  void compile_pending();
  void filter_body(const FilterDecl& d);

 private:
  const SymbolTable& syms_;
  conf::Diagnostics& diags_;
  InferCache& cache_;
  ConstEval ce_;
  Program prog_;
  bool failed_ = false;
  bool quiet_ = false;
};

}  // namespace rs::filters::detail
