package io.hexgate.cli.observe;

import com.google.protobuf.Timestamp;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Times as {@code hubble observe} reads and prints them: {@code --since}/{@code --until} take a Go duration
 * back from now ({@code 5m}, {@code 1h43m}, {@code 1.5h}) or a date in one of its layouts (RFC 3339 with or
 * without fractions, {@code 2006-01-02}, {@code 2006-01-02T15Z07:00}, {@code 2006-01-02T15:04Z07:00}, RFC 1123
 * with a numeric zone); flows print in UTC as Go's {@code StampMilli} ({@code Jan _2 15:04:05.000}).
 */
final class HubbleTime {
  private static final DateTimeFormatter STAMP_MILLI = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss.SSS", Locale.ROOT);
  private static final Pattern DURATION_PART = Pattern.compile("([0-9]*(?:\\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)");
  private static final List<DateTimeFormatter> LAYOUTS = List.of(
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HHXXXXX", Locale.ROOT),
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mmXXXXX", Locale.ROOT),
      DateTimeFormatter.ISO_OFFSET_DATE_TIME,
      DateTimeFormatter.ofPattern("EEE, dd MMM uuuu HH:mm:ss xx", Locale.ROOT));

  private HubbleTime() {}

  /** A time as the compact, dict and table lines show it; {@code N/A} for a missing ({@code null}) or invalid one. */
  static String format(Timestamp ts) {
    if (ts == null || !valid(ts)) {
      return "N/A";
    }
    return STAMP_MILLI.format(Instant.ofEpochSecond(ts.getSeconds(), ts.getNanos()).atOffset(ZoneOffset.UTC));
  }

  /** protobuf's Timestamp.IsValid: 0001-01-01 to 9999-12-31, nanos within a second (a missing time is 1970 and valid). */
  private static boolean valid(Timestamp ts) {
    return ts.getSeconds() >= -62135596800L && ts.getSeconds() <= 253402300799L && ts.getNanos() >= 0 && ts.getNanos() < 1_000_000_000;
  }

  /** {@code --since}/{@code --until}: a duration back from now, or a date. */
  static Instant parse(String input, Clock clock) {
    Optional<Duration> d = goDuration(input);
    if (d.isPresent()) {
      return clock.instant().minus(d.get());
    }
    try {
      return LocalDate.parse(input, DateTimeFormatter.ISO_LOCAL_DATE).atStartOfDay(ZoneOffset.UTC).toInstant();
    } catch (DateTimeParseException e) {
      // the next layout
    }
    for (DateTimeFormatter layout : LAYOUTS) {
      try {
        return OffsetDateTime.parse(input, layout).toInstant();
      } catch (DateTimeParseException e) {
        // the next layout
      }
    }
    throw new IllegalArgumentException("failed to convert " + input + " to time");
  }

  /** Go's time.ParseDuration: an optional sign, then decimal numbers each with a unit (ns, us, ms, s, m, h). */
  static Optional<Duration> goDuration(String input) {
    String s = input;
    boolean negative = false;
    if (s.startsWith("-") || s.startsWith("+")) {
      negative = s.startsWith("-");
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return Optional.of(Duration.ZERO);
    }
    if (s.isEmpty()) {
      return Optional.empty();
    }
    Matcher m = DURATION_PART.matcher(s);
    BigDecimal nanos = BigDecimal.ZERO;
    int end = 0;
    while (end < s.length() && m.find(end) && m.start() == end) {
      String number = m.group(1);
      if (number.isEmpty() || number.equals(".")) {
        return Optional.empty();
      }
      long unit = switch (m.group(2)) {
        case "ns" -> 1L;
        case "us", "µs", "μs" -> 1_000L;
        case "ms" -> 1_000_000L;
        case "s" -> 1_000_000_000L;
        case "m" -> 60_000_000_000L;
        default -> 3_600_000_000_000L;
      };
      nanos = nanos.add(new BigDecimal(number.endsWith(".") ? number + "0" : number).multiply(BigDecimal.valueOf(unit)));
      end = m.end();
    }
    if (end != s.length()) {
      return Optional.empty();
    }
    Duration d = Duration.ofNanos(nanos.longValue());
    return Optional.of(negative ? d.negated() : d);
  }

  static Timestamp timestamp(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }
}
