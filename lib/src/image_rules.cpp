#include "image_rules.hpp"

#include <system_error>

#include "a3s/store/records.hpp"

namespace a3s::store::detail {
namespace fs = std::filesystem;

std::string image_name(std::string_view reference) {
  return "image '" + std::string(reference) + "'";
}

std::string layout_name(std::string_view digest) {
  return std::string(digest.substr(std::string_view("sha256:").size()));
}

void validate_put(std::string_view reference, std::string_view digest, const fs::path& source_dir) {
  validate_identifier("image reference", reference);
  validate_digest(digest);
  // A reference spelled as a digest names that digest's dangling entry only
  // (SPEC §4); under another digest its record could never be found by name.
  if (reference.starts_with("sha256:") && reference != digest) {
    throw Error(ErrorCode::invalid_argument,
                image_name(reference) +
                    ": a reference written as a digest can only be put with "
                    "that digest, not " +
                    std::string(digest));
  }
  std::error_code ec;
  if (!fs::is_directory(source_dir, ec)) {
    throw Error(ErrorCode::invalid_argument, image_name(reference) + ": source '" +
                                                 source_dir.string() + "' is not a directory");
  }
}

bool validate_reference_or_digest(std::string_view reference_or_digest) {
  const bool by_digest = reference_or_digest.starts_with("sha256:");
  if (by_digest) {
    validate_digest(reference_or_digest);
  } else {
    validate_identifier("image reference", reference_or_digest);
  }
  return by_digest;
}

Error layout_kept_vanishing(std::string_view reference, std::string_view digest) {
  return Error(ErrorCode::busy, image_name(reference) + ": the layout of " + std::string(digest) +
                                    " was removed by another process " +
                                    std::to_string(kImagePutAttempts) + " times while storing it");
}

}  // namespace a3s::store::detail
