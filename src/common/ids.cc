#include "common/ids.h"

#include <openssl/rand.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace openeci {
namespace {

std::string RandomFrom(const char* alphabet, int alphabet_size, int length) {
  std::vector<uint8_t> bytes(length);
  if (RAND_bytes(bytes.data(), length) != 1) std::abort();
  std::string out;
  out.reserve(length);
  for (uint8_t b : bytes) out.push_back(alphabet[b % alphabet_size]);
  return out;
}

}  // namespace

std::string NewResourceId(const std::string& prefix, int length) {
  static const char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  return prefix + "-" + RandomFrom(kAlphabet, 36, length);
}

std::string NewRequestId() {
  static const char kHex[] = "0123456789ABCDEF";
  std::string r = RandomFrom(kHex, 16, 32);
  return r.substr(0, 8) + "-" + r.substr(8, 4) + "-" + r.substr(12, 4) + "-" + r.substr(16, 4) +
         "-" + r.substr(20);
}

std::string RandomAlnum(int length) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return RandomFrom(kAlphabet, 62, length);
}

std::string RandomHex(int length) {
  static const char kHex[] = "0123456789abcdef";
  return RandomFrom(kHex, 16, length);
}

}  // namespace openeci
