// The compiler: resolves names, type-checks (errors at load time with file:line:col) and emits the
// flat Program the Vm runs. Functions called by a filter are compiled into the filter's program.
#pragma once

#include <optional>

#include "conf/diagnostic.hpp"
#include "filters/ast.hpp"
#include "filters/symbols.hpp"
#include "filters/vm.hpp"

namespace rs::filters {

FilterRef compile_filter(const FilterDecl& decl, const SymbolTable& symbols,
                         conf::Diagnostics& diags);
// Type-checks a function on its own (at definition time).
bool check_function(const FunctionDecl& decl, const SymbolTable& symbols, conf::Diagnostics& diags);
// Evaluates a constant expression (literals, defines, arithmetic, sets, tuples).
std::optional<Value> eval_constant(const Expr& e, const SymbolTable& symbols,
                                   conf::Diagnostics& diags);
// The type named by a type keyword (`int`, `prefix`, ... and `X set`), for parsers.
std::optional<Type> type_from_keyword(std::string_view kw, bool set);

}  // namespace rs::filters
