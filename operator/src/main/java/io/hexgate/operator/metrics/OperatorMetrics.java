package io.hexgate.operator.metrics;

import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.node.DesiredStateListener;
import io.hexgate.operator.policy.PolicySnapshot;
import io.hexgate.operator.policy.PolicyValidity;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The operator's Prometheus metrics, with Cilium's names where Cilium has one: {@code cilium_identity}
 * (gauge by {@code type}: cluster_local, node_local for CIDR identities, reserved), {@code cilium_policy},
 * {@code cilium_endpoint}, {@code cilium_policy_regeneration_total}, {@code
 * cilium_policy_change_total{outcome}}; and Hexgate's own {@code hexgate_operator_reconcile_duration_seconds}
 * (by controller and outcome) and {@code hexgate_connected_agents}.
 *
 * <p>Engine figures are copied on the engine's thread after every change (the engine is not
 * thread-safe); scrapes read the copies.
 */
public final class OperatorMetrics implements DesiredStateListener {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicLong clusterLocal = new AtomicLong();
  private final AtomicLong nodeLocal = new AtomicLong();
  private final AtomicLong reserved = new AtomicLong();
  private final AtomicLong policies = new AtomicLong();
  private final AtomicLong endpoints = new AtomicLong();
  private final AtomicLong regenerations = new AtomicLong();
  private final Counter changeSuccess;
  private final Counter changeFailure;
  private volatile Supplier<Set<String>> connectedAgents = Set::of;

  public OperatorMetrics() {
    identityGauge("cluster_local", clusterLocal);
    identityGauge("node_local", nodeLocal);
    identityGauge("reserved", reserved);
    Gauge.builder("cilium_policy", policies, AtomicLong::get)
        .description("Number of policies currently loaded")
        .register(registry);
    Gauge.builder("cilium_endpoint", endpoints, AtomicLong::get)
        .description("Number of endpoints managed by this operator")
        .register(registry);
    FunctionCounter.builder("cilium_policy_regeneration", regenerations, AtomicLong::get)
        .description("Number of times an identity's policy was computed in full")
        .register(registry);
    changeSuccess = changeCounter("success");
    changeFailure = changeCounter("failure");
    Gauge.builder("hexgate_connected_agents", this, m -> m.connectedAgents.get().size())
        .description("Node agents connected to this operator")
        .register(registry);
  }

  private void identityGauge(String type, AtomicLong value) {
    Gauge.builder("cilium_identity", value, AtomicLong::get)
        .description("Number of identities currently allocated")
        .tag("type", type)
        .register(registry);
  }

  private Counter changeCounter(String outcome) {
    return Counter.builder("cilium_policy_change")
        .description("Number of policy changes by outcome")
        .tag("outcome", outcome)
        .register(registry);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition of every metric. */
  public String scrape() {
    return registry.scrape();
  }

  /** Where {@code hexgate_connected_agents} comes from, e.g. {@code NodeAgentService::connectedNodes}. */
  public void connectedAgents(Supplier<Set<String>> nodes) {
    this.connectedAgents = nodes;
  }

  /** Counts every validation of a policy object as a change that succeeded or failed. */
  public void watch(PolicyValidity validity) {
    validity.addListener(
        ref -> validity.get(ref).ifPresent(r -> (r.valid() ? changeSuccess : changeFailure).increment()));
  }

  @Override
  public void changed(PolicySnapshot engine, Set<String> nodes) {
    long cluster = 0;
    long local = 0;
    long res = 0;
    for (Identity i : engine.identities()) {
      if (i.isReserved()) {
        res++;
      } else if (i.isCidr()) {
        local++;
      } else {
        cluster++;
      }
    }
    clusterLocal.set(cluster);
    nodeLocal.set(local);
    reserved.set(res);
    policies.set(engine.policyRefs().size());
    endpoints.set(engine.endpoints().size());
    regenerations.set(engine.regenerations());
  }

  /** JOSDK's hook: times every reconcile as {@code hexgate_operator_reconcile_duration_seconds}. */
  public Metrics reconciles() {
    return new Metrics() {
      @Override
      public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
        Timer.Sample sample = Timer.start(registry);
        String outcome = "failure";
        try {
          T result = execution.execute();
          outcome = "success";
          return result;
        } finally {
          sample.stop(
              Timer.builder("hexgate_operator_reconcile_duration")
                  .description("Time to reconcile one resource")
                  .tag("controller", execution.controllerName())
                  .tag("outcome", outcome)
                  .register(registry));
        }
      }
    };
  }
}
