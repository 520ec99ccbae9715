package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.Kafka;
import io.hexgate.contract.hubble.flow.L7FlowType;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * {@code kafka}: {@code hubble_kafka_requests_total{topic,api_key,error_code,reporter}} and
 * {@code hubble_kafka_request_duration_seconds{topic,api_key,reporter}}, counted on Kafka request records.
 */
final class KafkaMetric extends FlowMetric {
  private final Series<CounterDataPoint> requests;
  private final Series<DistributionDataPoint> duration;

  KafkaMetric(MetricOptions options, PrometheusRegistry registry) {
    super(options, registry);
    requests = counter("hubble_kafka_requests_total", "Count of Kafka requests", false,
        context.names("topic", "api_key", "error_code", "reporter"));
    duration = histogram("hubble_kafka_request_duration_seconds",
        "Quantiles of HTTP request duration in seconds", false, context.names("topic", "api_key", "reporter"));
  }

  @Override
  public void onFlow(Flow flow) {
    if (!flow.getL7().hasKafka() || flow.getL7().getType() != L7FlowType.REQUEST) {
      return;
    }
    Kafka kafka = flow.getL7().getKafka();
    String reporter = FlowLabels.reporter(flow);
    requests.get(context.values(flow, kafka.getTopic(), kafka.getApiKey(), Integer.toString(kafka.getErrorCode()),
        reporter)).inc();
    duration.get(context.values(flow, kafka.getTopic(), kafka.getApiKey(), reporter))
        .observe(FlowLabels.seconds(flow.getL7().getLatencyNs()));
  }
}
