// Global filter-language symbols: one namespace for defines, functions, filters and attributes
// (as BIRD: a name is one kind of symbol); redefinition is an error naming the first definition.
#include "filters/symbols.hpp"

#include "filters/vm.hpp"

namespace rs::filters {

SymbolKind SymbolTable::kind(const std::string& name) const {
  if (constants_.count(name)) return SymbolKind::Constant;
  if (functions_.count(name)) return SymbolKind::Function;
  if (filters_.count(name)) return SymbolKind::Filter;
  if (attributes_.count(name)) return SymbolKind::Attribute;
  return SymbolKind::None;
}

const SourceLocation* SymbolTable::defined_at(const std::string& name) const {
  auto it = where_.find(name);
  return it == where_.end() ? nullptr : &it->second;
}

bool SymbolTable::claim(const std::string& name, const SourceLocation& loc,
                        conf::Diagnostics& diags) {
  if (auto* at = defined_at(name)) {
    diags.error(loc, "'" + name + "' is already defined at " + at->to_string());
    return false;
  }
  where_[name] = loc;
  return true;
}

bool SymbolTable::add_constant(const std::string& name, const Value& v, const SourceLocation& loc,
                               conf::Diagnostics& diags) {
  if (!claim(name, loc, diags)) return false;
  constants_[name] = v;
  return true;
}

bool SymbolTable::add_function(std::shared_ptr<const FunctionDecl> f, conf::Diagnostics& diags) {
  if (!claim(f->name, f->loc, diags)) return false;
  functions_[f->name] = std::move(f);
  return true;
}

bool SymbolTable::add_filter(std::shared_ptr<const Filter> f, const SourceLocation& loc,
                             conf::Diagnostics& diags) {
  if (!claim(f->name(), loc, diags)) return false;
  filters_[f->name()] = std::move(f);
  return true;
}

bool SymbolTable::add_attribute(const std::string& name, Type t, const SourceLocation& loc,
                                conf::Diagnostics& diags) {
  if (!claim(name, loc, diags)) return false;
  attributes_[name] = CustomAttribute{name, t, static_cast<uint16_t>(attributes_.size()), loc};
  return true;
}

const Value* SymbolTable::constant(const std::string& name) const {
  auto it = constants_.find(name);
  return it == constants_.end() ? nullptr : &it->second;
}
const FunctionDecl* SymbolTable::function(const std::string& name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : it->second.get();
}
std::shared_ptr<const Filter> SymbolTable::filter(const std::string& name) const {
  auto it = filters_.find(name);
  return it == filters_.end() ? nullptr : it->second;
}
const CustomAttribute* SymbolTable::attribute(const std::string& name) const {
  auto it = attributes_.find(name);
  return it == attributes_.end() ? nullptr : &it->second;
}

}  // namespace rs::filters
