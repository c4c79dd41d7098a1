// A route's BGP attributes as the JSON object of `show route all` (docs/cli.md, "JSON output"):
// the same attribute set the text form's `BGP.*` lines print, with typed values.
#pragma once

#include "rib/attrs.hpp"
#include "rs/control/json.hpp"

namespace rs::control {

Json attributes_json(const rib::PathAttributes& a);

}  // namespace rs::control
