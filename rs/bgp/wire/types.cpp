// Names for the codec's enums, used in logs and test failure messages.
#include "rs/bgp/wire/types.hpp"

namespace rs::bgp::wire {

std::string to_string(AfiSafi f) {
  if (f == kIpv4Unicast) return "ipv4 unicast";
  if (f == kIpv6Unicast) return "ipv6 unicast";
  return "afi " + std::to_string(f.afi) + " safi " + std::to_string(f.safi);
}

std::string_view to_string(ErrorAction a) {
  switch (a) {
    case ErrorAction::SessionReset:
      return "session reset";
    case ErrorAction::AfiSafiDisable:
      return "afi/safi disable";
    case ErrorAction::TreatAsWithdraw:
      return "treat-as-withdraw";
    case ErrorAction::AttributeDiscard:
      return "attribute discard";
  }
  return "?";
}

}  // namespace rs::bgp::wire
