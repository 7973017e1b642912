#include "runtime/image_ref.h"

namespace openeci::runtime {
namespace {

constexpr std::string_view kDockerHub = "docker.io";

struct SplitRef {
  std::string_view domain;     // empty when the reference names none
  std::string_view remainder;  // path[:tag][@digest]
};

// Docker's rule: the first path component is a registry host when it contains '.' or ':' or
// is exactly "localhost"; otherwise it is part of the repository path on Docker Hub.
SplitRef Split(std::string_view ref) {
  const size_t slash = ref.find('/');
  if (slash == std::string_view::npos) {
    return {{}, ref};
  }
  std::string_view first = ref.substr(0, slash);
  if (first.find_first_of(".:") != std::string_view::npos || first == "localhost") {
    return {first, ref.substr(slash + 1)};
  }
  return {{}, ref};
}

std::string_view CanonicalDomain(std::string_view domain) {
  if (domain.empty() || domain == "index.docker.io") {
    return kDockerHub;
  }
  return domain;
}

}  // namespace

std::string NormalizeImage(std::string_view ref) {
  SplitRef split = Split(ref);
  std::string_view domain = CanonicalDomain(split.domain);
  std::string_view remainder = split.remainder;

  const size_t at = remainder.find('@');
  std::string_view name_and_tag = remainder.substr(0, at);
  std::string_view digest = at == std::string_view::npos ? std::string_view() : remainder.substr(at);

  std::string out(domain);
  out += '/';
  if (domain == kDockerHub && name_and_tag.find('/') == std::string_view::npos) {
    out += "library/";
  }
  out += name_and_tag;
  // A tag is a ':' after the last '/' (the domain's port was split off above).
  const bool has_tag = name_and_tag.find(':') != std::string_view::npos;
  if (!has_tag && digest.empty()) {
    out += ":latest";
  }
  out += digest;
  return out;
}

std::string RegistryHost(std::string_view ref) {
  return std::string(CanonicalDomain(Split(ref).domain));
}

}  // namespace openeci::runtime
