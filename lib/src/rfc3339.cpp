// Timestamps: RFC 3339 parsing and formatting (records.hpp, rfc3339.hpp) and
// the clock that stamps new records.
#include "rfc3339.hpp"

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "record_errors.hpp"

namespace a3s::store {
namespace chr = std::chrono;

namespace detail {

std::optional<Timestamp> try_parse_rfc3339(std::string_view s) {
  std::size_t i = 0;
  const auto digits = [&](std::size_t count, int& out) {
    if (s.size() - i < count) return false;
    out = 0;
    for (std::size_t end = i + count; i < end; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  const auto accept = [&](std::string_view chars) {
    return i < s.size() && chars.find(s[i]) != std::string_view::npos ? s[i++] : '\0';
  };

  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!(digits(4, year) && accept("-") && digits(2, month) && accept("-") && digits(2, day) &&
        accept("Tt ") && digits(2, hour) && accept(":") && digits(2, minute) && accept(":") &&
        digits(2, second))) {
    return std::nullopt;
  }
  std::int64_t nanos = 0;
  if (accept(".")) {
    int count = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++count) {
      if (count < 9) nanos = nanos * 10 + (s[i] - '0');
    }
    if (count == 0) return std::nullopt;
    for (; count < 9; ++count) nanos *= 10;
  }
  int offset_minutes = 0;
  if (!accept("Zz")) {
    const char sign = accept("+-");
    int hours = 0, minutes = 0;
    if (!sign || !digits(2, hours)) return std::nullopt;
    accept(":");  // "+hh:mm", or "+hhmm" as chrono's relaxed reading also takes
    if (!digits(2, minutes) || hours > 23 || minutes > 59) return std::nullopt;
    offset_minutes = (sign == '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const chr::year_month_day date{chr::year{year}, chr::month{static_cast<unsigned>(month)},
                                 chr::day{static_cast<unsigned>(day)}};
  if (i != s.size() || !date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;

  // A leap second (":60") counts as the first second of the next minute, so
  // 23:59:60.5 sorts after 23:59:59.9 and before 00:00:01 of the next day.
  const std::int64_t seconds =
      std::int64_t{chr::sys_days{date}.time_since_epoch().count()} * 86400 + hour * 3600 +
      minute * 60 + second - offset_minutes * 60;
  constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / 1'000'000'000;
  if (seconds <= -limit || seconds >= limit) return std::nullopt;
  return Timestamp{chr::nanoseconds{seconds * 1'000'000'000 + nanos}};
}

}  // namespace detail

namespace {

// "YYYY-MM-DDThh:mm:ss.fffffffffZ" in UTC; without `fixed_width` the
// fraction as chrono's SecondsFormat::AutoSi writes it: none when zero, else
// 3, 6 or 9 digits, the fewest that hold it.
std::string format_utc(Timestamp t, bool fixed_width) {
  const auto midnight = chr::floor<chr::days>(t);
  const chr::year_month_day date{midnight};
  const chr::hh_mm_ss<chr::nanoseconds> time{t - midnight};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%09lld",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                static_cast<long long>(time.subseconds().count()));
  std::string out(buf);
  if (!fixed_width) {
    const auto nanos = time.subseconds().count();
    const std::size_t digits = nanos == 0               ? 0
                               : nanos % 1'000'000 == 0 ? 3
                               : nanos % 1'000 == 0     ? 6
                                                        : 9;
    out.resize(out.size() - 9 + digits - (digits == 0 ? 1 : 0));  // and the '.' with none
  }
  return out + "Z";
}

}  // namespace

Timestamp parse_rfc3339(std::string_view text, std::string_view field) {
  const auto t = detail::try_parse_rfc3339(text);
  if (!t) {
    detail::invalid("field '" + std::string(field) + "' must be an RFC 3339 timestamp, not " +
                    detail::quote(text));
  }
  return *t;
}

std::string format_rfc3339(Timestamp t) { return format_utc(t, false); }

std::string format_rfc3339_sortable(Timestamp t) { return format_utc(t, true); }

Timestamp now() { return chr::time_point_cast<chr::nanoseconds>(chr::system_clock::now()); }

}  // namespace a3s::store
