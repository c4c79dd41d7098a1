// SymbolTable: the global names the filter language sees: `define` constants, functions, named
// filters and custom route attributes (`attribute int foo;`). The config parser owns one per
// configuration and hands it to every filter parse. It also owns the ObjectPool that keeps the
// strings, sets and masks of constants alive; compiled filters share that pool.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>

#include "filters/ast.hpp"
#include "filters/path_mask.hpp"
#include "filters/prefix_set.hpp"
#include "filters/value.hpp"

namespace rs::filters {

// Owner of the objects constant Values point to. Deques: stable addresses.
struct ObjectPool {
  std::deque<std::string> strings;
  std::deque<ValueSet> sets;
  std::deque<PrefixSet> prefix_sets;
  std::deque<PathMask> masks;
  std::deque<rib::AsPath> paths;
  std::deque<rib::CommunityList> clists;
  std::deque<rib::ExtCommunityList> eclists;
  std::deque<rib::LargeCommunityList> lclists;
};

struct CustomAttribute {
  std::string name;
  Type type = Type::Int;
  uint16_t id = 0;
  SourceLocation loc;
};

class Filter;

enum class SymbolKind : uint8_t { None, Constant, Function, Filter, Attribute };

class SymbolTable {
 public:
  SymbolTable() : pool_(std::make_shared<ObjectPool>()) {}

  SymbolKind kind(const std::string& name) const;
  // Where `name` was first defined (for "already defined at" messages); null if undefined.
  const SourceLocation* defined_at(const std::string& name) const;

  // Each add_* returns false (and reports) when the name is already taken.
  bool add_constant(const std::string& name, const Value& v, const SourceLocation& loc,
                    conf::Diagnostics& diags);
  bool add_function(std::shared_ptr<const FunctionDecl> f, conf::Diagnostics& diags);
  bool add_filter(std::shared_ptr<const Filter> f, const SourceLocation& loc,
                  conf::Diagnostics& diags);
  bool add_attribute(const std::string& name, Type t, const SourceLocation& loc,
                     conf::Diagnostics& diags);

  const Value* constant(const std::string& name) const;
  const FunctionDecl* function(const std::string& name) const;
  std::shared_ptr<const Filter> filter(const std::string& name) const;
  const CustomAttribute* attribute(const std::string& name) const;
  const std::map<std::string, std::shared_ptr<const Filter>>& filters() const { return filters_; }
  const std::map<std::string, std::shared_ptr<const FunctionDecl>>& functions() const {
    return functions_;
  }

  const std::shared_ptr<ObjectPool>& pool() const { return pool_; }

 private:
  bool claim(const std::string& name, const SourceLocation& loc, conf::Diagnostics& diags);
  std::shared_ptr<ObjectPool> pool_;
  std::map<std::string, SourceLocation> where_;
  std::map<std::string, Value> constants_;
  std::map<std::string, std::shared_ptr<const FunctionDecl>> functions_;
  std::map<std::string, std::shared_ptr<const Filter>> filters_;
  std::map<std::string, CustomAttribute> attributes_;
};

}  // namespace rs::filters
