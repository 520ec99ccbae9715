package io.hexgate.observer.metrics;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The options of one metric in Hubble's {@code --hubble-metrics} list ({@code name:key=value;flag;...}).
 * Keys compare case-insensitively as in Hubble; a metric reads the keys it knows, and whatever none read is
 * an error rather than silently ignored, since a typo would otherwise drop a label from dashboards unseen.
 */
final class MetricOptions {
  private final String metric;
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, String> spelled = new LinkedHashMap<>();
  private final Set<String> read = new HashSet<>();

  private MetricOptions(String metric) {
    this.metric = metric;
  }

  /** {@code text} is what follows the metric's {@code :}, or null when it has none. */
  static MetricOptions parse(String metric, String text) {
    MetricOptions options = new MetricOptions(metric);
    if (text == null) {
      return options;
    }
    for (String option : text.split(";")) {
      if (option.isEmpty()) {
        continue;
      }
      int eq = option.indexOf('=');
      String key = eq < 0 ? option : option.substring(0, eq);
      if (key.isEmpty()) {
        throw new IllegalArgumentException("metric '" + metric + "': option '" + option + "' has no name");
      }
      String lower = key.toLowerCase(Locale.ROOT);
      options.values.put(lower, eq < 0 ? "" : option.substring(eq + 1));
      options.spelled.put(lower, key);
    }
    return options;
  }

  String metric() {
    return metric;
  }

  /** The value of {@code key}, null when not given. */
  String value(String key) {
    String lower = key.toLowerCase(Locale.ROOT);
    read.add(lower);
    return values.get(lower);
  }

  /** Whether {@code key} is given, with or without a value ({@code dns:query}). */
  boolean flag(String key) {
    return value(key) != null;
  }

  /** After the metric has read its options: the first one it did not know is an error. */
  void rejectUnread() {
    for (String key : values.keySet()) {
      if (!read.contains(key)) {
        throw new IllegalArgumentException("metric '" + metric + "': unknown option '" + spelled.get(key) + "'");
      }
    }
  }

  IllegalArgumentException invalid(String key, String value, String why) {
    return new IllegalArgumentException("metric '" + metric + "': option " + key + "=" + value + ": " + why);
  }
}
