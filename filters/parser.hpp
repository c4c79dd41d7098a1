// Recursive-descent parser of the BIRD 2 filter language, on top of the config lexer.
// The config parser calls these with its TokenStream positioned at the construct; each consumes
// exactly the construct (including a trailing `;` where the grammar has one), reports errors as
// `file:line:col: message` into `diags`, and returns null / false / nullopt on error. Parsed
// filters and functions are type-checked and compiled at once (errors at load time).
#pragma once

#include <optional>

#include "conf/diagnostic.hpp"
#include "conf/lexer.hpp"
#include "filters/ast.hpp"
#include "filters/symbols.hpp"
#include "filters/vm.hpp"

namespace rs::filters {

// `filter NAME [locals] { ... }` (at `filter`); registers the compiled filter in `symbols`.
FilterRef parse_filter_definition(conf::TokenStream& ts, SymbolTable& symbols,
                                  conf::Diagnostics& diags);
// `function NAME(args) [-> type] [locals] { ... }` (at `function`); registers it.
bool parse_function_definition(conf::TokenStream& ts, SymbolTable& symbols,
                               conf::Diagnostics& diags);
// The `{ ... }` of `import filter { ... }` (at `{`): an anonymous compiled filter.
FilterRef parse_filter_body(conf::TokenStream& ts, SymbolTable& symbols, conf::Diagnostics& diags);
// `where EXPR` (at EXPR): a filter that accepts when EXPR is true.
FilterRef parse_where(conf::TokenStream& ts, SymbolTable& symbols, conf::Diagnostics& diags);
// `define NAME = EXPR;` (at `define`): evaluates the constant and registers it.
bool parse_define(conf::TokenStream& ts, SymbolTable& symbols, conf::Diagnostics& diags);
// `attribute TYPE NAME;` (at `attribute`): declares a custom route attribute.
bool parse_attribute(conf::TokenStream& ts, SymbolTable& symbols, conf::Diagnostics& diags);
// An expression, as an AST (not evaluated).
ExprPtr parse_expression(conf::TokenStream& ts, conf::Diagnostics& diags);
// A constant expression, evaluated (for `define` and option values that take one).
std::optional<Value> parse_constant(conf::TokenStream& ts, SymbolTable& symbols,
                                    conf::Diagnostics& diags);
// A file made only of define / function / filter / attribute statements (tests, tools).
bool parse_filter_file(conf::TokenStream& ts, SymbolTable& symbols, conf::Diagnostics& diags);

// Skips a balanced construct up to and including the `;` or `}` that ends it (error recovery).
void skip_construct(conf::TokenStream& ts);

}  // namespace rs::filters
