// Program passes (see passes.hpp). Both rely on the compiler's code shape: every jump goes
// forward except the back edge of a `for` loop (to its Op::ForNext, with the stack as it was
// there), the stack depth at a jump target is the same on every path, and functions are laid out
// one after the other after the filter body.
#include "filters/passes.hpp"

#include <algorithm>
#include <vector>

namespace rs::filters {

namespace {
// Stack effect of one instruction (pops and pushes), for the static stack-depth bound.
int stack_effect(const Insn& i) {
  switch (i.op) {
    case Op::Const:
    case Op::PushBool:
    case Op::PushInt:
    case Op::Load:
    case Op::LoadAttr:
    case Op::DefinedAttr:
    case Op::EmptyList:
    case Op::ConstMatchAttr:
    case Op::AttrMatchConst:
    case Op::LocalCmpInt:
    case Op::ForNext:
      return 1;
    case Op::Store:
    case Op::Pop:
    case Op::StoreAttr:
    case Op::JumpFalse:
    case Op::Assert:
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
    case Op::Eq:
    case Op::Ne:
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
    case Op::Match:
    case Op::NotMatch:
    case Op::MakePair:
    case Op::MakeEc:
    case Op::Mask:
    case Op::ListAdd:
    case Op::ListDelete:
    case Op::ListFilter:
    case Op::Prepend:
    case Op::AndJump:
    case Op::OrJump:
      return -1;
    case Op::MakeLc:
      return -2;
    case Op::MakeMask:
      return 1 - i.a;
    case Op::Print:
      return -static_cast<int>(i.a);
    default:
      return 0;
  }
}

// Deepest stack reached in [begin, end): a forward scan (all jumps go forward; the depth at a jump
// target is the one at the jump).
uint32_t max_stack(const Program& p, std::size_t begin, std::size_t end) {
  std::vector<int> at(end - begin + 1, -1);
  int d = 0, top = 0;
  bool live = true;
  for (std::size_t k = begin; k < end; ++k) {
    if (at[k - begin] >= 0) d = live ? std::max(d, at[k - begin]) : at[k - begin], live = true;
    if (!live) continue;
    const Insn& i = p.code[k];
    if (i.op == Op::Call) {
      d += 1 - static_cast<int>(p.functions[i.arg].params);
    } else {
      d += stack_effect(i);
    }
    top = std::max(top, d + 1);
    auto mark = [&](uint32_t t, int depth) {
      if (t >= begin && t <= end) at[t - begin] = std::max(at[t - begin], depth);
    };
    switch (i.op) {
      case Op::Jump:
        mark(i.arg, d);
        live = false;
        break;
      case Op::JumpFalse:
        mark(i.arg, d);
        break;
      case Op::AndJump:
      case Op::OrJump:
        mark(i.arg, d + 1);
        break;
      case Op::ForNext:
        mark(i.arg, d - 1);
        break;  // the loop's exit: nothing pushed
      case Op::Return:
      case Op::Accept:
      case Op::Reject:
      case Op::Fail:
      case Op::End:
        live = false;
        break;
      default:
        break;
    }
  }
  return static_cast<uint32_t>(top + 1);
}

}  // namespace

void stack_bounds(Program& p) {
  std::vector<std::size_t> starts;
  for (const auto& f : p.functions) starts.push_back(f.entry);
  starts.push_back(p.code.size());
  std::sort(starts.begin(), starts.end());
  auto region_end = [&](std::size_t b) {
    return *std::upper_bound(starts.begin(), starts.end(), b);
  };
  p.max_stack = max_stack(p, 0, starts.front());
  for (auto& f : p.functions) f.max_stack = max_stack(p, f.entry, region_end(f.entry));
}

// Peephole pass: fuses the commonest three-instruction sequences (see Op::ConstMatchAttr ...).
// The fused instruction replaces the first one and skips the next two, which stay in place, so no
// jump target moves; a sequence is fused only if its second and third instructions are not
// jump targets.
void peephole(Program& p) {
  std::vector<bool> target(p.code.size() + 1, false);
  for (const Insn& i : p.code)
    if (i.op == Op::Jump || i.op == Op::JumpFalse || i.op == Op::AndJump || i.op == Op::OrJump ||
        i.op == Op::ForNext)
      target[i.arg] = true;
  for (const auto& f : p.functions) target[f.entry] = true;
  for (std::size_t k = 0; k + 2 < p.code.size(); ++k) {
    Insn& a = p.code[k];
    const Insn& b = p.code[k + 1];
    const Insn& c = p.code[k + 2];
    if (target[k + 1] || target[k + 2]) continue;
    const bool match = c.op == Op::Match || c.op == Op::NotMatch;
    const uint16_t neg = c.op == Op::NotMatch;
    if (a.op == Op::Const && b.op == Op::LoadAttr && b.a != static_cast<uint8_t>(Attr::Custom) &&
        match) {
      a = Insn{Op::ConstMatchAttr, b.a, neg, a.arg};
    } else if (a.op == Op::LoadAttr && a.a != static_cast<uint8_t>(Attr::Custom) &&
               b.op == Op::Const && match) {
      a = Insn{Op::AttrMatchConst, a.a, neg, b.arg};
    } else if (a.op == Op::Load && a.arg <= 0xFFFF && b.op == Op::PushInt && c.op >= Op::Eq &&
               c.op <= Op::Ge) {
      a = Insn{Op::LocalCmpInt,
               static_cast<uint8_t>(static_cast<int>(c.op) - static_cast<int>(Op::Eq)),
               static_cast<uint16_t>(a.arg), b.arg};
    } else {
      continue;
    }
    k += 2;
  }
}

}  // namespace rs::filters
