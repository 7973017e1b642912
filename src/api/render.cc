#include "api/render.h"

namespace openeci::api {
namespace {

void AppendEscaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
}

void AppendScalar(std::string& out, const boost::json::value& v) {
  if (v.is_string()) {
    AppendEscaped(out, v.get_string());
  } else if (v.is_bool()) {
    out += v.get_bool() ? "true" : "false";
  } else if (!v.is_null()) {
    out += boost::json::serialize(v);
  }
}

void AppendElement(std::string& out, std::string_view name, const boost::json::value& v);

void AppendObject(std::string& out, const boost::json::object& o) {
  for (const auto& [k, v] : o) {
    if (v.is_array()) {
      for (const auto& item : v.get_array()) AppendElement(out, k, item);
    } else {
      AppendElement(out, k, v);
    }
  }
}

void AppendElement(std::string& out, std::string_view name, const boost::json::value& v) {
  out += '<';
  out += name;
  out += '>';
  if (v.is_object()) {
    AppendObject(out, v.get_object());
  } else {
    AppendScalar(out, v);
  }
  out += "</";
  out += name;
  out += '>';
}

}  // namespace

HttpResponse RenderJson(const boost::json::object& body) {
  HttpResponse r;
  r.content_type = "application/json;charset=utf-8";
  r.body = boost::json::serialize(body);
  return r;
}

HttpResponse RenderXml(const std::string& root, const boost::json::object& body) {
  HttpResponse r;
  r.content_type = "text/xml;charset=utf-8";
  r.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
  AppendElement(r.body, root, body);
  return r;
}

std::string ApiTime(int64_t unix_millis) {
  return unix_millis == 0 ? std::string() : FormatRfc3339(FromUnixMillis(unix_millis));
}

boost::json::array RenderEvents(const std::vector<core::Event>& events) {
  boost::json::array out;
  for (const core::Event& e : events) {
    out.push_back(boost::json::object{{"Count", e.count},
                                      {"Type", e.type},
                                      {"Name", e.name},
                                      {"Reason", e.reason},
                                      {"Message", e.message},
                                      {"FirstTimestamp", ApiTime(e.first_timestamp)},
                                      {"LastTimestamp", ApiTime(e.last_timestamp)}});
  }
  return out;
}

}  // namespace openeci::api
