#include "cli/template_file.h"

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <charconv>
#include <optional>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "cli/cli_error.h"

namespace openeci::cli {
namespace {

namespace json = boost::json;

bool IsNull(const std::string& s) { return s.empty() || s == "~" || s == "null" ||
                                           s == "Null" || s == "NULL"; }

std::optional<bool> AsBool(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

bool LooksLikeInt(const std::string& s) {
  static const std::regex kInt("[-+]?[0-9]+");
  return std::regex_match(s, kInt);
}

// The integer `s` spells, or nullopt when it does not fit in 64 bits.
std::optional<int64_t> AsInt(const std::string& s) {
  int64_t v = 0;
  const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;  // overflow: string
  return v;
}

std::optional<double> AsFloat(const std::string& s) {
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (!std::regex_match(s, kFloat)) return std::nullopt;
  return std::strtod(s.c_str(), nullptr);
}

json::value ScalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return json::string(s);  // quoted or a block literal: always text
  if (IsNull(s)) return nullptr;
  if (auto b = AsBool(s)) return *b;
  if (LooksLikeInt(s)) {
    if (auto i = AsInt(s)) return *i;
    return json::string(s);  // too large for a JSON integer: keep every digit
  }
  if (auto f = AsFloat(s)) return *f;
  return json::string(s);
}

json::value NodeToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return ScalarToJson(node);
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const YAML::Node& item : node) a.push_back(NodeToJson(item));
      return a;
    }
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          throw UsageError("a mapping key at line " + std::to_string(kv.first.Mark().line + 1) +
                           " is not a plain value");
        }
        o[kv.first.Scalar()] = NodeToJson(kv.second);
      }
      return o;
    }
  }
  return nullptr;
}

std::string ReadAll(const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read the template file " + path);
  text << in.rdbuf();
  return text.str();
}

}  // namespace

json::value YamlToJson(std::string_view text, const std::string& source) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    throw UsageError(source + " is not valid YAML: line " + std::to_string(e.mark.line + 1) +
                     ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (docs.size() > 1) {
    throw UsageError(source + " holds " + std::to_string(docs.size()) +
                     " YAML documents; give one template per file");
  }
  return docs.empty() ? json::value(nullptr) : NodeToJson(docs[0]);
}

std::string ReadTemplateFile(const std::string& path) {
  const std::string text = ReadAll(path);
  json::value doc;
  if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0) {
    boost::system::error_code ec;
    doc = json::parse(text, ec);
    if (ec) throw UsageError(path + " is not valid JSON: " + ec.message());
  } else {
    doc = YamlToJson(text, path);
  }
  if (!doc.is_object()) {
    throw UsageError(path + " is not a template: its top level must be an object (a mapping)",
                     "see CreateContainerGroupFromTemplate in the API reference, section 6.7");
  }
  return json::serialize(doc);
}

}  // namespace openeci::cli
