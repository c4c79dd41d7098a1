// The bridge between the config parser and the filter library (filters/parser.hpp). The config
// parser captured every piece of filter-language source as a token range; here they are parsed,
// type-checked and compiled in file order (BIRD's rule: a name is defined before it is used), so
// defines, attributes and functions are known to the filters and channel filters that follow.
// Also the filter-related lints BIRD lacks: a filter that only tests prefix sets of the other
// family than its channel's never matches.
#include <algorithm>

#include "conf/parser_impl.hpp"
#include "filters/lint.hpp"
#include "filters/parser.hpp"
#include "filters/symbols.hpp"
#include "filters/vm.hpp"

namespace rs::conf::detail {

namespace {

// Runs `parse` over `range` and reports any token it left unconsumed.
template <class F>
auto run_on(const TokenRange& range, Diagnostics& diags, F&& parse) {
  TokenStream ts(range);
  auto result = parse(ts);
  if (result && !ts.at_end()) {
    diags.error(ts.peek().loc, "unexpected " + ts.peek().describe());
  }
  return result;
}

// A `where` expression with the ';' that ends it, so that an expression cut short reports
// "got ';'" rather than "got end of file".
TokenRange with_semicolon(const TokenRange& r) {
  TokenRange out = r;
  if (r.tokens && r.end < r.tokens->size() && (*r.tokens)[r.end].kind == TokenKind::Semicolon)
    ++out.end;
  return out;
}

CompiledFilter compile_where(const FilterSource& src, filters::SymbolTable& symbols,
                             Diagnostics& diags) {
  return run_on(with_semicolon(src.tokens), diags, [&](TokenStream& ts) {
    auto f = filters::parse_where(ts, symbols, diags);
    ts.accept(TokenKind::Semicolon);
    return f;
  });
}

struct Item {
  std::size_t position;  // in the shared token vector: file order
  enum class Kind { Define, Attribute, Function, Filter } kind;
  std::size_t index;
};

CompiledFilter compile_spec(FilterSpec& spec, filters::SymbolTable& symbols, Diagnostics& diags) {
  switch (spec.kind) {
    case FilterSpec::Kind::All:
    case FilterSpec::Kind::None:
      return nullptr;
    case FilterSpec::Kind::Named:
      return symbols.filter(spec.name);
    case FilterSpec::Kind::Inline:
      return run_on(spec.source.tokens, diags, [&](TokenStream& ts) {
        return filters::parse_filter_body(ts, symbols, diags);
      });
    case FilterSpec::Kind::Where:
      return compile_where(spec.source, symbols, diags);
  }
  return nullptr;
}

void family_lint(const FilterSpec& spec, rib::Family family, const std::string& proto,
                 Diagnostics& diags) {
  if (!spec.compiled) return;
  filters::lint_channel_family(*spec.compiled, family, "protocol '" + proto + "'", diags);
}

}  // namespace

void validate_filter_sources(Config& config, Diagnostics& diags) {
  auto symbols = std::make_shared<filters::SymbolTable>();
  config.symbols = symbols;

  std::vector<Item> items;
  for (std::size_t i = 0; i < config.defines.size(); ++i)
    items.push_back({config.defines[i].statement.tokens.begin, Item::Kind::Define, i});
  for (std::size_t i = 0; i < config.attributes.size(); ++i)
    items.push_back({config.attributes[i].statement.tokens.begin, Item::Kind::Attribute, i});
  for (std::size_t i = 0; i < config.filters.size(); ++i) {
    items.push_back({config.filters[i].source.tokens.begin,
                     config.filters[i].kind == FilterDecl::Kind::Filter ? Item::Kind::Filter
                                                                        : Item::Kind::Function,
                     i});
  }
  std::sort(items.begin(), items.end(),
            [](const Item& a, const Item& b) { return a.position < b.position; });

  for (const Item& it : items) {
    switch (it.kind) {
      case Item::Kind::Define:
        (void)run_on(config.defines[it.index].statement.tokens, diags,
                     [&](TokenStream& ts) { return filters::parse_define(ts, *symbols, diags); });
        break;
      case Item::Kind::Attribute:
        (void)run_on(config.attributes[it.index].statement.tokens, diags, [&](TokenStream& ts) {
          return filters::parse_attribute(ts, *symbols, diags);
        });
        break;
      case Item::Kind::Function:
        (void)run_on(config.filters[it.index].source.tokens, diags, [&](TokenStream& ts) {
          return filters::parse_function_definition(ts, *symbols, diags);
        });
        break;
      case Item::Kind::Filter: {
        FilterDecl& f = config.filters[it.index];
        f.compiled = run_on(f.source.tokens, diags, [&](TokenStream& ts) {
          return filters::parse_filter_definition(ts, *symbols, diags);
        });
        break;
      }
    }
  }

  for (BgpProtocol& p : config.bgp) {
    for (BgpChannel& ch : p.channels) {
      ch.settings.import_filter.compiled = compile_spec(ch.settings.import_filter, *symbols, diags);
      ch.settings.export_filter.compiled = compile_spec(ch.settings.export_filter, *symbols, diags);
      family_lint(ch.settings.import_filter, ch.family, p.name, diags);
      family_lint(ch.settings.export_filter, ch.family, p.name, diags);
    }
  }
  for (StaticProtocol& sp : config.statics) {
    sp.channel.import_filter.compiled = compile_spec(sp.channel.import_filter, *symbols, diags);
    sp.channel.export_filter.compiled = compile_spec(sp.channel.export_filter, *symbols, diags);
    for (StaticRoute& r : sp.routes) {
      if (!r.attributes) continue;
      r.compiled_attributes = run_on(r.attributes->tokens, diags, [&](TokenStream& ts) {
        return filters::parse_filter_body(ts, *symbols, diags);
      });
    }
  }
  if (config.history && config.history->routes_where) {
    config.history->routes_filter = compile_where(*config.history->routes_where, *symbols, diags);
  }
}

}  // namespace rs::conf::detail
