// Rendering of API answers: JSON (the default; what every SDK asks for) and the XML of the API
// reference's samples (Format=XML): <Root><Field>..</Field></Root>, an array as one element per
// item named after the field. Thread-safe (pure functions).
#pragma once

#include <boost/json.hpp>
#include <string>

#include "api/http_server.h"
#include "common/clock.h"
#include "core/model.h"

namespace openeci::api {

HttpResponse RenderJson(const boost::json::object& body);
HttpResponse RenderXml(const std::string& root, const boost::json::object& body);

// An API timestamp: RFC 3339 UTC for a set time, "" for 0 (not set).
std::string ApiTime(int64_t unix_millis);

// Events as every Describe* answer shows them: [{Count, Type, Name, Reason, Message,
// FirstTimestamp, LastTimestamp}].
boost::json::array RenderEvents(const std::vector<core::Event>& events);

}  // namespace openeci::api
