#include "emulator/time_util.h"

#include <array>
#include <cctype>
#include <cstdio>

namespace zcrmsync::emulator {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[static_cast<size_t>(m - 1)];
}

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

Status Invalid(std::string_view text) {
  return InvalidArgumentError("not a date-time: '" + std::string(text) + "'");
}

Result<int64_t> ParseHttpDate(std::string_view s) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() < 29 || s[3] != ',') return Error(Invalid(s));
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  if (!Digits(s, 5, 2, day) || !Digits(s, 12, 4, year) || !Digits(s, 17, 2, hh) ||
      !Digits(s, 20, 2, mm) || !Digits(s, 23, 2, ss)) {
    return Error(Invalid(s));
  }
  std::string_view mon = s.substr(8, 3);
  int month = 0;
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == mon) month = static_cast<int>(i) + 1;
  }
  if (month == 0 || day < 1 || day > DaysInMonth(year, month) || hh > 23 || mm > 59 || ss > 60) {
    return Error(Invalid(s));
  }
  return DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         hh * 3600 + mm * 60 + ss;
}

}  // namespace

Result<int64_t> ParseDateDays(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !Digits(s, 0, 4, y) ||
      !Digits(s, 5, 2, m) || !Digits(s, 8, 2, d) || m < 1 || m > 12 || d < 1 ||
      d > DaysInMonth(y, m)) {
    return Error(InvalidArgumentError("not a date: '" + std::string(s) + "'"));
  }
  return DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

Result<int64_t> ParseDateTime(std::string_view s) {
  if (s.size() >= 4 && s[3] == ',') return ParseHttpDate(s);
  if (s.size() < 19) return Error(Invalid(s));
  auto days = ParseDateDays(s.substr(0, 10));
  int hh = 0, mm = 0, ss = 0;
  if (!days.has_value() || (s[10] != 'T' && s[10] != ' ') || !Digits(s, 11, 2, hh) ||
      s[13] != ':' || !Digits(s, 14, 2, mm) || s[16] != ':' || !Digits(s, 17, 2, ss) ||
      hh > 23 || mm > 59 || ss > 59) {
    return Error(Invalid(s));
  }
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
    if (pos == start) return Error(Invalid(s));
  }
  int offset_s = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z' && pos + 1 == s.size()) {
      // UTC
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh = 0, om = 0;
      std::string_view rest = s.substr(pos + 1);
      bool ok = false;
      if (rest.size() == 5 && rest[2] == ':') {
        ok = Digits(rest, 0, 2, oh) && Digits(rest, 3, 2, om);
      } else if (rest.size() == 4) {
        ok = Digits(rest, 0, 2, oh) && Digits(rest, 2, 2, om);
      }
      if (!ok || oh > 23 || om > 59) return Error(Invalid(s));
      offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    } else {
      return Error(Invalid(s));
    }
  }
  return *days * 86400 + hh * 3600 + mm * 60 + ss - offset_s;
}

std::string FormatOffset(int offset_minutes) {
  char sign = offset_minutes < 0 ? '-' : '+';
  int abs_min = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%c%02d:%02d", sign, abs_min / 60, abs_min % 60);
  return buf;
}

std::string FormatDateTime(int64_t epoch_s, int offset_minutes) {
  int64_t local = epoch_s + static_cast<int64_t>(offset_minutes) * 60;
  int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  int64_t secs = local - days * 86400;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, y, m, d);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d", static_cast<long long>(y), m,
                d, static_cast<int>(secs / 3600), static_cast<int>(secs % 3600 / 60),
                static_cast<int>(secs % 60));
  return std::string(buf) + FormatOffset(offset_minutes);
}

}  // namespace zcrmsync::emulator
