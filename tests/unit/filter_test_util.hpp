// Helpers shared by the filter tests: load filter-language text or the filter parts of a whole BIRD
// config, a sample route and attribute set.
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "conf/lexer.hpp"
#include "filters/parser.hpp"
#include "filters/vm.hpp"

namespace rs::filters::test {

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Loaded {
  SymbolTable syms;
  conf::Diagnostics diags;
  bool ok = false;
};

// Loads the filter-language parts of a full BIRD config: define / function / filter; every other
// top-level statement is skipped.
inline std::unique_ptr<Loaded> load_bird_tokens(std::unique_ptr<Loaded> l, conf::TokenStream ts) {
  while (!ts.at_end() && !ts.next_is(conf::TokenKind::End)) {
    const auto& t = ts.peek();
    const std::size_t before = ts.position();
    bool r = true;
    if (t.is_keyword("function"))
      r = parse_function_definition(ts, l->syms, l->diags);
    else if (t.is_keyword("filter"))
      r = parse_filter_definition(ts, l->syms, l->diags) != nullptr;
    else if (t.is_keyword("define"))
      r = parse_define(ts, l->syms, l->diags);
    else
      skip_construct(ts);
    if (!r) {
      ts.reset(before);
      skip_construct(ts);
    }
    if (ts.position() == before) ts.next();
  }
  return l;
}

inline std::unique_ptr<Loaded> load_bird_config(const std::string& path) {
  auto l = std::make_unique<Loaded>();
  auto ts = conf::tokenize_file(path, l->diags);
  return load_bird_tokens(std::move(l), std::move(ts));
}

inline rib::AttrBuilder sample_attrs() {
  rib::AttrBuilder b;
  b.set_origin(rib::Origin::Igp);
  b.as_path.segments.push_back({rib::AsSegmentType::Sequence, {65001, 65002, 65003}});
  b.set_present(rib::AttrType::AsPath);
  b.set_next_hop(*rib::IpAddress::parse("192.0.2.1"));
  b.set_med(10);
  b.set_local_pref(100);
  b.communities.values = {(65000u << 16) | 1, (65000u << 16) | 2};
  b.set_present(rib::AttrType::Communities);
  b.large_communities.values = {{65000, 1, 2}};
  b.set_present(rib::AttrType::LargeCommunities);
  return b;
}

inline RouteInfo route(const char* net) {
  RouteInfo r;
  r.net = *rib::Prefix::parse(net);
  r.from = *rib::IpAddress::parse("192.0.2.1");
  r.proto = "peer1";
  return r;
}

}  // namespace rs::filters::test
