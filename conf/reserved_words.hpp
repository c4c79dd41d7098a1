// BIRD's keywords, which cannot name anything a configuration declares (symbols, local variables).
#pragma once

#include <string_view>

namespace rs::conf {

[[nodiscard]] bool is_reserved_word(std::string_view name);

}  // namespace rs::conf
