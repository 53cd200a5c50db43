// router.cpp — route table, segment matching and target parsing. Pure: no
// Beast, no I/O (see router.h for the invariants).
#include "http/router.h"

#include <algorithm>

namespace orderd::http {
namespace {

bool is_capture(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// "/a/b" → {"a","b"}; "/" → {""}. Raw (not decoded).
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      return out;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

std::string_view path_part(const Request& req) {
  std::string_view raw = req.target.empty() ? std::string_view(req.path) : std::string_view(req.target);
  return raw.substr(0, raw.find('?'));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool segments_match(const Router::Route& route, const std::vector<std::string>& decoded) {
  if (route.segments.size() != decoded.size()) return false;
  for (size_t i = 0; i < decoded.size(); ++i) {
    const std::string& pattern = route.segments[i];
    if (is_capture(pattern) ? decoded[i].empty() : pattern != decoded[i]) return false;
  }
  return true;
}

// True if a is more specific than b (invariant 3): a literal at the first
// position where one has a literal and the other a capture.
bool more_specific(const Router::Route& a, const Router::Route& b) {
  for (size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    bool a_cap = is_capture(a.segments[i]), b_cap = is_capture(b.segments[i]);
    if (a_cap != b_cap) return !a_cap;
  }
  return false;
}

}  // namespace

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) return Error::make(ErrorCode::kMalformed, "bad percent-encoding in the request target");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Status parse_target(Request& req) {
  std::string_view target = req.target;
  size_t question = target.find('?');
  auto path = percent_decode(target.substr(0, question), false);
  if (!path) return path.error();
  req.path = std::move(path.value());
  req.query.clear();
  if (question == std::string_view::npos) return ok_status();
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!name) return name.error();
    if (!value) return value.error();
    req.query.emplace(std::move(name.value()), std::move(value.value()));  // first occurrence wins
  }
  return ok_status();
}

void Router::add(std::string method, std::string pattern, Handler handler) {
  Route route;
  route.method = std::move(method);
  for (std::string_view segment : split_path(pattern)) route.segments.emplace_back(segment);
  route.pattern = std::move(pattern);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

const Handler* Router::match(Request& req, std::string* allow) const {
  const Route* route = match_route(req, allow);
  return route == nullptr ? nullptr : &route->handler;
}

const Router::Route* Router::match_route(Request& req, std::string* allow) const {
  if (allow != nullptr) allow->clear();
  std::vector<std::string> decoded;
  for (std::string_view raw : split_path(path_part(req))) {
    auto segment = percent_decode(raw, false);
    if (!segment) return nullptr;  // an undecodable path matches nothing
    decoded.push_back(std::move(segment.value()));
  }
  const Route* best = nullptr;
  std::vector<std::string> methods;
  for (const Route& route : routes_) {
    if (!segments_match(route, decoded)) continue;
    if (std::find(methods.begin(), methods.end(), route.method) == methods.end()) methods.push_back(route.method);
    if (route.method != req.method) continue;
    if (best == nullptr || more_specific(route, *best)) best = &route;
  }
  if (best == nullptr) {
    if (allow != nullptr) {
      for (const std::string& m : methods) *allow += (allow->empty() ? "" : ", ") + m;
    }
    return nullptr;
  }
  req.params.clear();
  for (size_t i = 0; i < decoded.size(); ++i) {
    const std::string& pattern = best->segments[i];
    if (is_capture(pattern)) req.params[pattern.substr(1, pattern.size() - 2)] = decoded[i];
  }
  return best;
}

std::vector<std::string> Router::routes() const {
  std::vector<std::string> out;
  out.reserve(routes_.size());
  for (const Route& route : routes_) out.push_back(route.method + " " + route.pattern);
  return out;
}

}  // namespace orderd::http
