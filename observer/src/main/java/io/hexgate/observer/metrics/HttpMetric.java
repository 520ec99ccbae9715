package io.hexgate.observer.metrics;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.HTTP;
import io.hexgate.contract.hubble.flow.L7FlowType;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Labels;

/**
 * {@code httpV2}: {@code hubble_http_requests_total{method,protocol,status,reporter}} and
 * {@code hubble_http_request_duration_seconds{method,reporter}}, counted on responses, whose source and
 * destination context is the request's. Legacy {@code http}:
 * {@code hubble_http_requests_total{method,protocol,reporter}} on requests, {@code hubble_http_responses_total{method,protocol,status,reporter}} and the duration on
 * responses. With {@code exemplars=true} each observation carries the flow's trace id as exemplar
 * {@code traceID} (shown in the OpenMetrics exposition).
 */
final class HttpMetric extends FlowMetric {
  private static final String DURATION_HELP = "Quantiles of HTTP request duration in seconds";

  private final boolean v2;
  private final boolean exemplars;
  private final Series<CounterDataPoint> requests;
  private final Series<CounterDataPoint> responses;
  private final Series<DistributionDataPoint> duration;

  HttpMetric(MetricOptions options, PrometheusRegistry registry, boolean v2) {
    super(options, registry);
    this.v2 = v2;
    this.exemplars = exemplars(options);
    if (v2) {
      requests = counter("hubble_http_requests_total", "Count of HTTP requests", exemplars,
          context.names("method", "protocol", "status", "reporter"));
      responses = null;
    } else {
      requests = counter("hubble_http_requests_total", "Count of HTTP requests", exemplars,
          context.names("method", "protocol", "reporter"));
      responses = counter("hubble_http_responses_total", "Count of HTTP responses", exemplars,
          context.names("method", "protocol", "status", "reporter"));
    }
    duration = histogram("hubble_http_request_duration_seconds", DURATION_HELP, exemplars,
        context.names("method", "reporter"));
  }

  private static boolean exemplars(MetricOptions options) {
    String value = options.value("exemplars");
    if (value == null || value.equals("false")) {
      return false;
    }
    if (value.equals("true")) {
      return true;
    }
    throw options.invalid("exemplars", value, "expected true or false");
  }

  @Override
  public void onFlow(Flow flow) {
    if (!flow.getL7().hasHttp()) {
      return;
    }
    L7FlowType type = flow.getL7().getType();
    HTTP http = flow.getL7().getHttp();
    String reporter = FlowLabels.reporter(flow);
    Labels exemplar = exemplars && !flow.getTraceContext().getParent().getTraceId().isEmpty()
        ? Labels.of("traceID", flow.getTraceContext().getParent().getTraceId()) : null;
    if (type == L7FlowType.RESPONSE) {
      String status = Integer.toString(http.getCode());
      Series<CounterDataPoint> counted = v2 ? requests : responses;
      inc(counted.get(context.values(flow, v2, http.getMethod(), http.getProtocol(), status, reporter)), exemplar);
      DistributionDataPoint d = duration.get(context.values(flow, v2, http.getMethod(), reporter));
      double seconds = FlowLabels.seconds(flow.getL7().getLatencyNs());
      if (exemplar != null) {
        d.observeWithExemplar(seconds, exemplar);
      } else {
        d.observe(seconds);
      }
    } else if (type == L7FlowType.REQUEST && !v2) {
      inc(requests.get(context.values(flow, http.getMethod(), http.getProtocol(), reporter)), exemplar);
    }
  }

  private static void inc(CounterDataPoint counter, Labels exemplar) {
    if (exemplar != null) {
      counter.incWithExemplar(exemplar);
    } else {
      counter.inc();
    }
  }
}
