// ConstEval: evaluation of constant expressions at load time (defines, set literals, tuples of
// constants, path masks without variables), shared by `define` and the compiler. Objects (strings,
// sets, masks) are allocated in the symbol table's ObjectPool. Errors are reported once, at the
// first problem, as `file:line:col: message`.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "conf/diagnostic.hpp"
#include "filters/ast.hpp"
#include "filters/symbols.hpp"
#include "filters/value.hpp"

namespace rs::filters {

std::string tn(Type t);  // type name as a std::string, for messages
// The zero value of a fresh local of type t (BIRD leaves locals undefined; rsd starts them at
// their type's zero: 0, FALSE, empty list or set, 0.0.0.0, "").
Value default_value(Type t, ObjectPool& pool);

class ConstEval {
 public:
  ConstEval(const SymbolTable& s, conf::Diagnostics& d, ObjectPool& pool)
      : syms_(s), diags_(d), pool_(pool) {}

  bool failed = false;
  bool quiet = false;  // count errors but do not report them (already reported elsewhere)
  void error(const SourceLocation& loc, std::string msg) {
    if (!failed && !quiet) diags_.error(loc, std::move(msg));
    failed = true;
  }

  std::optional<Value> eval(const Expr& e);

  std::optional<uint32_t> eval_int(const Expr& e, const char* what);

  std::optional<Value> tuple(const Expr& e);

  std::optional<Value> mask(const Expr& e);

  // Set literal (or case labels) -> ValueSet / PrefixSet constant.
  std::optional<Value> set(const std::vector<SetItem>& items, const SourceLocation& loc);

  // Field bounds: value, range or wildcard [0, max].
  std::optional<std::pair<uint32_t, uint32_t>> field(const TupleField& f, uint32_t max);

  template <class SetElem>
  bool tuple_item(const SetItem& it, std::vector<std::pair<SetKey, SetKey>>& ranges,
                  SetElem&& set_elem);

 private:
  const SymbolTable& syms_;
  conf::Diagnostics& diags_;
  ObjectPool& pool_;
};

}  // namespace rs::filters
