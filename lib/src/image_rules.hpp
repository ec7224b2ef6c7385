// The rules of the image store that do not depend on where its records are
// kept (SPEC §4 "Images"): argument checks, names, the layout's entry name.
// Internal.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "a3s/store/error.hpp"

namespace a3s::store::detail {

// How many times put copies a layout that another process keeps retiring
// (removing) while put waits to record it, before it gives up with busy.
inline constexpr int kImagePutAttempts = 3;

// "image '<reference>'": how messages name an image.
std::string image_name(std::string_view reference);

// The 64 hex digits of a valid digest: its layout's entry name in the
// images catalog.
std::string layout_name(std::string_view digest);

// put's checks, before any path is built or anything written: a valid
// reference and digest, a reference written as a digest only with that
// digest (it names that digest's dangling entry alone), a source that is a
// directory. Throws invalid_argument naming the image.
void validate_put(std::string_view reference, std::string_view digest,
                  const std::filesystem::path& source_dir);

// remove's argument: a digest ("sha256:…", validated as one) or a reference.
// Returns whether it is a digest. Throws invalid_argument.
bool validate_reference_or_digest(std::string_view reference_or_digest);

// The busy error of a put whose layout was retired kImagePutAttempts times.
Error layout_kept_vanishing(std::string_view reference, std::string_view digest);

}  // namespace a3s::store::detail
