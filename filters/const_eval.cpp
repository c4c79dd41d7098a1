// Constant evaluation (see const_eval.hpp): literals, defines, builtin enum constants, integer
// arithmetic, tuples (pair / lc / ec with their range checks), set literals (BIRD's rules for
// ranges and wildcards in pair, ec and lc items) and constant path masks.
#include "filters/const_eval.hpp"

namespace rs::filters {

std::string tn(Type t) { return std::string(type_name(t)); }

Value default_value(Type t, ObjectPool& pool) {
  switch (t) {
    case Type::String: return Value::object(t, &pool.strings.emplace_back());
    case Type::Path: return Value::object(t, &pool.paths.emplace_back());
    case Type::Clist: return Value::object(t, &pool.clists.emplace_back());
    case Type::Eclist: return Value::object(t, &pool.eclists.emplace_back());
    case Type::Lclist: return Value::object(t, &pool.lclists.emplace_back());
    case Type::PathMask: return Value::object(t, &pool.masks.emplace_back());
    case Type::PrefixSet: return Value::object(t, &pool.prefix_sets.emplace_back());
    case Type::Ip: return Value::address(rib::IpAddress());
    case Type::Prefix: return Value::prefix(rib::Prefix());
    default:
      if (is_set(t)) return Value::object(t, &pool.sets.emplace_back(element_of(t)));
      Value v;
      v.type = t;
      v.u = 0;
      return v;
  }
}

}  // namespace rs::filters
