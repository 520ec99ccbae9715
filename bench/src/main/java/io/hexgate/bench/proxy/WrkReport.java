package io.hexgate.bench.proxy;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one wrk run printed: its rate, requests, latency percentiles (with {@code --latency}) and errors.
 *
 * @param percentileMicros latency percentile (50, 75, 90, 99) to microseconds; empty without {@code --latency}
 * @param socketErrors connect, read, write errors and timeouts together
 * @param non2xx responses other than 2xx or 3xx
 */
public record WrkReport(double requestsPerSecond, long requests, Map<Integer, Double> percentileMicros, long timeouts,
    long socketErrors, long non2xx) {
  private static final Pattern RATE = Pattern.compile("(?m)^Requests/sec:\\s+([0-9.]+)");
  private static final Pattern REQUESTS = Pattern.compile("(?m)^\\s*(\\d+) requests in ");
  private static final Pattern PERCENTILE = Pattern.compile("(?m)^\\s+(\\d+)%\\s+([0-9.]+)(us|ms|s|m|h)\\s*$");
  private static final Pattern SOCKET_ERRORS =
      Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
  private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

  public WrkReport {
    percentileMicros = Map.copyOf(percentileMicros);
  }

  /** Parses wrk's standard output; throws when it holds no rate (wrk failed, or this is not its output). */
  public static WrkReport parse(String out) {
    Matcher rate = RATE.matcher(out);
    Matcher requests = REQUESTS.matcher(out);
    if (!rate.find() || !requests.find()) {
      throw new IllegalArgumentException("not wrk's report: " + out.strip());
    }
    Map<Integer, Double> percentiles = new TreeMap<>();
    int distribution = out.indexOf("Latency Distribution");
    if (distribution >= 0) {
      Matcher p = PERCENTILE.matcher(out.substring(distribution));
      while (p.find()) {
        percentiles.put(Integer.parseInt(p.group(1)), micros(Double.parseDouble(p.group(2)), p.group(3)));
      }
    }
    long timeouts = 0;
    long errors = 0;
    Matcher e = SOCKET_ERRORS.matcher(out);
    if (e.find()) {
      for (int g = 1; g <= 4; g++) {
        errors += Long.parseLong(e.group(g));
      }
      timeouts = Long.parseLong(e.group(4));
    }
    Matcher n = NON_2XX.matcher(out);
    return new WrkReport(Double.parseDouble(rate.group(1)), Long.parseLong(requests.group(1)), percentiles, timeouts,
        errors, n.find() ? Long.parseLong(n.group(1)) : 0);
  }

  private static double micros(double value, String unit) {
    return value * switch (unit) {
      case "us" -> 1;
      case "ms" -> 1e3;
      case "s" -> 1e6;
      case "m" -> 60e6;
      default -> 3600e6;
    };
  }

  /** The latency at {@code percentile} in µs; throws when wrk did not print it. */
  public double micros(int percentile) {
    Double v = percentileMicros.get(percentile);
    if (v == null) {
      throw new IllegalStateException("wrk printed no " + percentile + "th percentile (no --latency, or no request answered)");
    }
    return v;
  }

  /** Why this run's numbers say nothing of the path, or null: no answer, errors, or refusals. */
  public String failure() {
    if (requests == 0) {
      return String.format(Locale.ROOT, "no request answered (%d socket errors, %d timeouts)", socketErrors, timeouts);
    }
    if (non2xx > 0) {
      return String.format(Locale.ROOT, "%d of %d responses were not 2xx/3xx", non2xx, requests);
    }
    if (socketErrors > 0) {
      return String.format(Locale.ROOT, "%d socket errors (%d timeouts) beside %d answered requests", socketErrors,
          timeouts, requests);
    }
    return null;
  }
}
