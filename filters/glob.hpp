// Shell-like patterns (`*` any run, `?` one character) as in BIRD's `string ~ string` and the
// CLI's quoted protocol names.
#pragma once

#include <string_view>

namespace rs::filters {

[[nodiscard]] bool glob_match(std::string_view text, std::string_view pattern);

}  // namespace rs::filters
