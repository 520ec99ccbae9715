package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.Flow;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One of Hubble's metric plugins: counts what it is about in each flow it is shown, in series labelled by
 * its own labels and then by the context options it was given.
 */
abstract class FlowMetric {
  protected final ContextLabels context;
  private final PrometheusRegistry registry;
  private final List<Series<?>> series = new CopyOnWriteArrayList<>();

  FlowMetric(MetricOptions options, PrometheusRegistry registry) {
    this.context = ContextLabels.parse(options);
    this.registry = registry;
  }

  /** A counter of this metric (see {@link Series#counter}). */
  protected final Series<CounterDataPoint> counter(String name, String help, boolean exemplars,
      String... labelNames) {
    return kept(Series.counter(registry, name, help, exemplars, labelNames));
  }

  /** A histogram of this metric (see {@link Series#histogram}). */
  protected final Series<DistributionDataPoint> histogram(String name, String help, boolean exemplars,
      String... labelNames) {
    return kept(Series.histogram(registry, name, help, exemplars, labelNames));
  }

  private <S extends Series<?>> S kept(S s) {
    series.add(s);
    return s;
  }

  abstract void onFlow(Flow flow);

  /** Forgets the series that name this deleted pod (see {@link ContextLabels#forgetPod}). */
  final void forgetPod(String namespace, String pod) {
    context.forgetPod(namespace, pod, series);
  }
}
