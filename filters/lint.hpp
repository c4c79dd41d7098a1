// Lints BIRD lacks: a prefix set of one family tested against `net` in a channel of the
// other family never matches. The compiler records every `net ~ SET` whose set is known at load
// time, with the family guard around it (`if net.type = NET_IP4 then ...`, or an earlier
// `if !(net.type = NET_IP6) then reject;`); the config parser calls this for each channel filter.
#pragma once

#include "conf/diagnostic.hpp"
#include "filters/vm.hpp"
#include "rib/prefix.hpp"

namespace rs::filters {

// Adds one warning per `net ~ SET` of `f` that can never match in a channel of `family`.
// `channel` names the channel for the message (e.g. "protocol AS10745_1, ipv6").
void lint_channel_family(const Filter& f, rib::Family family, std::string_view channel,
                         conf::Diagnostics& diags);

}  // namespace rs::filters
