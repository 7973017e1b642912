#include "api/json_duplicate_keys.h"

#include <boost/json/basic_parser_impl.hpp>
#include <set>
#include <vector>

namespace openeci::api {
namespace {

namespace json = boost::json;
using boost::system::error_code;

// A basic_parser handler that tracks the member names of every open object and stops at the
// first repeated one.
class DuplicateKeyFinder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::optional<std::string> duplicate;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return Open(true); }
  bool on_object_end(std::size_t, error_code&) { return Close(); }
  bool on_array_begin(error_code&) { return Open(false); }
  bool on_array_end(std::size_t, error_code&) { return Close(); }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code& ec) {
    key_.append(s.data(), s.size());
    Frame& top = frames_.back();
    top.member = top.path.empty() ? key_ : top.path + "." + key_;
    const bool fresh = top.keys.insert(key_).second;
    key_.clear();
    if (fresh) return true;
    duplicate = top.member;
    ec = json::error::syntax;  // stops the parser
    return false;
  }
  bool on_string_part(json::string_view, std::size_t, error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, error_code&) { return Scalar(); }
  bool on_number_part(json::string_view, error_code&) { return true; }
  bool on_int64(int64_t, json::string_view, error_code&) { return Scalar(); }
  bool on_uint64(uint64_t, json::string_view, error_code&) { return Scalar(); }
  bool on_double(double, json::string_view, error_code&) { return Scalar(); }
  bool on_bool(bool, error_code&) { return Scalar(); }
  bool on_null(error_code&) { return Scalar(); }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }

 private:
  struct Frame {
    bool object = false;
    std::string path;             // of this object or array
    std::set<std::string> keys;   // object: the member names so far
    std::string member;           // object: the path of the current member
    size_t next_index = 0;        // array: the index of the next element
  };

  // The path of the value starting now (and the next array index taken).
  std::string ChildPath() {
    if (frames_.empty()) return "";
    Frame& top = frames_.back();
    if (top.object) return top.member;
    return top.path + "[" + std::to_string(top.next_index++) + "]";
  }
  bool Open(bool object) {
    std::string path = ChildPath();
    frames_.push_back(Frame{object, std::move(path), {}, {}, 0});
    return true;
  }
  bool Close() {
    frames_.pop_back();
    return true;
  }
  bool Scalar() {
    ChildPath();
    return true;
  }

  std::vector<Frame> frames_;
  std::string key_;
};

}  // namespace

std::optional<std::string> FindDuplicateKey(std::string_view text, size_t max_depth) {
  json::parse_options options;
  options.max_depth = max_depth;
  json::basic_parser<DuplicateKeyFinder> parser(options);
  error_code ec;
  parser.write_some(false, text.data(), text.size(), ec);
  return parser.handler().duplicate;
}

}  // namespace openeci::api
