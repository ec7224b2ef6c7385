// Timestamps: the Timestamp type, RFC 3339 parsing and formatting
// (records.hpp, rfc3339.hpp) and the clock that stamps new records.
#include "rfc3339.hpp"

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "record_errors.hpp"

namespace a3s::store {
namespace chr = std::chrono;

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;

// Seconds since the epoch of a day's midnight, UTC.
constexpr std::int64_t midnight_of(chr::year_month_day date) {
  return std::int64_t{chr::sys_days{date}.time_since_epoch().count()} * kSecondsPerDay;
}

// The first and the last whole second a Timestamp holds (a leap second
// after the last is held too).
constexpr std::int64_t kFirstSecond = midnight_of(chr::year{0} / 1 / 1);
constexpr std::int64_t kLastSecond = midnight_of(chr::year{9999} / 12 / 31) + kSecondsPerDay - 1;

// The :59 second of a minute, the only one a leap second may follow.
constexpr bool ends_a_minute(std::int64_t seconds) { return (seconds % 60 + 60) % 60 == 59; }

}  // namespace

Timestamp::Timestamp(std::int64_t seconds, std::uint32_t nanos) : seconds_(seconds), nanos_(nanos) {
  if (seconds < kFirstSecond || seconds > kLastSecond) {
    detail::invalid("timestamp " + std::to_string(seconds) +
                    " s since 1970-01-01T00:00:00Z is outside years 0000..9999 UTC");
  }
  if (nanos >= 2 * kNanosPerSecond || (nanos >= kNanosPerSecond && !ends_a_minute(seconds))) {
    detail::invalid("timestamp nanoseconds " + std::to_string(nanos) +
                    " must be below 1000000000, or below 2000000000 in a leap second (after a "
                    ":59 second)");
  }
}

Timestamp::Timestamp(SysTime time) noexcept {
  // Floor division, without computing anything outside int64.
  const std::int64_t count = time.time_since_epoch().count();
  std::int64_t seconds = count / kNanosPerSecond;
  std::int64_t nanos = count % kNanosPerSecond;
  if (nanos < 0) {
    seconds -= 1;
    nanos += kNanosPerSecond;
  }
  seconds_ = seconds;
  nanos_ = static_cast<std::uint32_t>(nanos);
}

Timestamp::SysTime Timestamp::to_sys_time() const {
  using Limits = std::numeric_limits<std::int64_t>;
  // The bounds of SysTime as Timestamps. Comparing with them is exact: no
  // leap second straddles either, as the second before each (-9223372038,
  // 9223372035), which such a leap second would follow, ends no minute.
  static const Timestamp kFirst{SysTime{chr::nanoseconds{Limits::min()}}};
  static const Timestamp kLast{SysTime{chr::nanoseconds{Limits::max()}}};
  if (*this < kFirst || *this > kLast) {
    detail::invalid(format_rfc3339(*this) +
                    " is outside what std::chrono::sys_time<std::chrono::nanoseconds> holds");
  }
  // A negative second counted from its end, so that the product stays in
  // int64 down to kFirst (whose second's start is below int64's minimum).
  const std::int64_t count =
      seconds_ < 0 ? (seconds_ + 1) * kNanosPerSecond + (std::int64_t{nanos_} - kNanosPerSecond)
                   : seconds_ * kNanosPerSecond + std::int64_t{nanos_};
  return SysTime{chr::nanoseconds{count}};
}

namespace detail {

const std::string_view kTimestampForm = "an RFC 3339 timestamp in years 0000..9999 UTC";

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

  // A leap second (":60") is the :59 second with a second's more nanoseconds,
  // as chrono reads it; offsets are whole minutes, so in UTC it still follows
  // a :59 second.
  if (second == 60) {
    second = 59;
    nanos += kNanosPerSecond;
  }
  const std::int64_t seconds =
      midnight_of(date) + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  if (seconds < kFirstSecond || seconds > kLastSecond) return std::nullopt;
  return Timestamp{seconds, static_cast<std::uint32_t>(nanos)};
}

}  // namespace detail

namespace {

// "YYYY-MM-DDThh:mm:ss.fffffffffZ" in UTC, a leap second as ":60"; without
// `fixed_width` the fraction as chrono's SecondsFormat::AutoSi writes it:
// none when zero, else 3, 6 or 9 digits, the fewest that hold it.
std::string format_utc(Timestamp t, bool fixed_width) {
  // Floor division: the day, then the second within it.
  const std::int64_t days = t.seconds() / kSecondsPerDay - (t.seconds() % kSecondsPerDay < 0);
  const std::int64_t in_day = t.seconds() - days * kSecondsPerDay;
  const chr::year_month_day date{chr::sys_days{chr::days{days}}};
  const bool leap = t.nanos() >= kNanosPerSecond;
  const std::int64_t nanos = t.nanos() % kNanosPerSecond;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%09lld",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(in_day / 3600),
                static_cast<int>(in_day / 60 % 60), static_cast<int>(in_day % 60 + leap),
                static_cast<long long>(nanos));
  std::string out(buf);
  if (!fixed_width) {
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
    detail::invalid("field '" + std::string(field) + "' must be " +
                    std::string(detail::kTimestampForm) + ", not " + detail::quote(text));
  }
  return *t;
}

std::string format_rfc3339(Timestamp t) { return format_utc(t, false); }

std::string format_rfc3339_sortable(Timestamp t) { return format_utc(t, true); }

Timestamp now() {
  return Timestamp{chr::time_point_cast<chr::nanoseconds>(chr::system_clock::now())};
}

}  // namespace a3s::store
