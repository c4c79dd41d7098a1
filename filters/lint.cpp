// Family lint over the facts the compiler recorded (Program::net_set_tests); see lint.hpp.
#include "filters/lint.hpp"

namespace rs::filters {

void lint_channel_family(const Filter& f, rib::Family family, std::string_view channel,
                         conf::Diagnostics& diags) {
  const bool v4 = family == rib::Family::Ipv4;
  for (const auto& t : f.program().net_set_tests) {
    if (t.guard != 0 && (t.guard == 4) != v4) continue;  // unreachable in this channel
    if (v4 ? t.has_v4 : t.has_v6) continue;
    std::string name =
        f.name().empty() ? std::string("an inline filter") : "filter '" + f.name() + "'";
    diags.warning(t.loc, std::string("this prefix set has only ") + (v4 ? "IPv6" : "IPv4") +
                             " prefixes, but " + name + " runs in the " + (v4 ? "IPv4" : "IPv6") +
                             " channel of " + std::string(channel) + ": the test never matches");
  }
}

}  // namespace rs::filters
