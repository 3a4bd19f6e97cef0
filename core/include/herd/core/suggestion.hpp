#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace herd::core {

// The candidate closest to `word` by edit distance, when it is close enough to be a likely typo
// (at most a third of the word's length, and at least 1, edits); empty otherwise.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// ` (did you mean "x"?)` for the closest candidate, or an empty string.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

} // namespace herd::core
