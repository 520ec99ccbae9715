package io.hexgate.observer.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.StatefulMetric;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One metric's series by label values, remembered so that counting a flow costs a map lookup on values it
 * already has. The caller hands over the values array and does not change it afterwards.
 */
final class Series<D extends DataPoint> {
  /** Prometheus' default buckets, which Hubble's histograms keep. */
  private static final double[] DEFAULT_BUCKETS = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};

  private final StatefulMetric<D, ?> metric;
  private final List<String> labelNames;
  private final Map<List<String>, D> series = new ConcurrentHashMap<>();

  private Series(StatefulMetric<D, ?> metric, String... labelNames) {
    this.metric = metric;
    this.labelNames = List.of(labelNames);
  }

  /** A counter named with its {@code _total}. */
  static Series<CounterDataPoint> counter(PrometheusRegistry registry, String name, String help, boolean exemplars,
      String... labelNames) {
    Counter.Builder b = Counter.builder().name(name).help(help).labelNames(labelNames);
    return new Series<>((exemplars ? b.withExemplars() : b.withoutExemplars()).register(registry), labelNames);
  }

  /** A classic histogram with Prometheus' default buckets. */
  static Series<DistributionDataPoint> histogram(PrometheusRegistry registry, String name, String help,
      boolean exemplars, String... labelNames) {
    Histogram.Builder b = Histogram.builder().name(name).help(help).labelNames(labelNames)
        .classicOnly().classicUpperBounds(DEFAULT_BUCKETS);
    return new Series<>((exemplars ? b.withExemplars() : b.withoutExemplars()).register(registry), labelNames);
  }

  D get(String... labelValues) {
    List<String> key = Arrays.asList(labelValues);
    D d = series.get(key);
    return d != null ? d : series.computeIfAbsent(key, k -> metric.labelValues(labelValues));
  }

  /** Removes the series whose labels include all of {@code labels} (none when the metric lacks one of them). */
  void removeMatching(Map<String, String> labels) {
    int[] index = new int[labels.size()];
    String[] value = new String[labels.size()];
    int i = 0;
    for (Map.Entry<String, String> l : labels.entrySet()) {
      int at = labelNames.indexOf(l.getKey());
      if (at < 0) {
        return;
      }
      index[i] = at;
      value[i++] = l.getValue();
    }
    series.keySet().removeIf(values -> {
      for (int j = 0; j < index.length; j++) {
        if (!values.get(index[j]).equals(value[j])) {
          return false;
        }
      }
      metric.remove(values.toArray(new String[0]));
      return true;
    });
  }
}
