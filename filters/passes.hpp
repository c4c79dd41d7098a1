// Passes over a compiled Program: the static bound of the expression stack (checked once per
// call instead of once per instruction) and the peephole fusion of common instruction triples.
#pragma once

#include "filters/vm.hpp"

namespace rs::filters {

// Sets Program::max_stack and FunctionInfo::max_stack (run before peephole()).
void stack_bounds(Program& p);
// Fuses Const/LoadAttr/Match, LoadAttr/Const/Match and Load/PushInt/compare triples.
void peephole(Program& p);

}  // namespace rs::filters
