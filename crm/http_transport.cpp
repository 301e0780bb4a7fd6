#include "crm/http_transport.h"

#include <algorithm>
#include <cctype>

namespace zcrmsync::crm {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// 127.0.0.0/8 written as a dotted quad.
bool IsIpv4Loopback(std::string_view host) {
  int parts = 0;
  size_t start = 0;
  int first = -1;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view part = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty() || part.size() > 3 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    int value = std::stoi(std::string(part));
    if (value > 255) return false;
    if (parts == 0) first = value;
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 4 && first == 127;
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return std::nullopt;
}

Result<HttpResponse> HttpTransport::Send(HttpRequest request) {
  std::vector<HttpRequest> one;
  one.push_back(std::move(request));
  std::vector<Result<HttpResponse>> results = SendAll(std::move(one), 1);
  return std::move(results.front());
}

Status CheckUrlAllowed(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return InvalidArgumentError("not an absolute URL (scheme://host/...)");
  }
  std::string_view scheme = url.substr(0, scheme_end);
  if (IEquals(scheme, "https")) return Status::Ok();
  if (!IEquals(scheme, "http")) {
    return InvalidArgumentError("URL scheme '" + std::string(scheme) +
                                "' refused: only https:// (and http:// to loopback)");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view host;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    host = close == std::string_view::npos ? authority : authority.substr(0, close + 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  if (IEquals(host, "localhost") || host == "[::1]" || IsIpv4Loopback(host)) {
    return Status::Ok();
  }
  return InvalidArgumentError("plain http:// refused for host '" + std::string(host) +
                              "': TLS is required except to a loopback address "
                              "(127.0.0.0/8, localhost, [::1])");
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace zcrmsync::crm
