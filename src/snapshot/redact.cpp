// Keeping passwords out of every message about a snapshot.
#include <regex>

#include "migsafe/snapshot.hpp"

namespace migsafe {
namespace {

// libpq's own messages do not echo passwords, but a DSN given back in an error could: every
// occurrence of the password, and any URI userinfo, is masked.
std::string password_of(const std::string& dsn) {
  static const std::regex uri(R"(^[a-z]+://[^:/@]*:([^@/]*)@)");
  static const std::regex kv(R"((^|\s)password\s*=\s*('([^']*)'|(\S+)))");
  static const std::regex query(R"([?&]password=([^&\s]*))");
  std::smatch m;
  if (std::regex_search(dsn, m, query)) return m[1];
  if (std::regex_search(dsn, m, uri)) return m[1];
  if (std::regex_search(dsn, m, kv)) return m[3].matched ? m[3].str() : m[4].str();
  return {};
}

}  // namespace

std::string redact(std::string text, const std::string& dsn) {
  std::string pw = password_of(dsn);
  if (!pw.empty())
    for (size_t at = text.find(pw); at != std::string::npos; at = text.find(pw, at))
      text.replace(at, pw.size(), "***");
  static const std::regex userinfo(R"(([a-z]+://[^:/@\s]*):[^@/\s]*@)");
  return std::regex_replace(text, userinfo, "$1:***@");
}

}  // namespace migsafe
