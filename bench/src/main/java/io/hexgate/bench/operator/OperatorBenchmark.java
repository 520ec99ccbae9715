package io.hexgate.bench.operator;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.contract.testing.TestingAgent;
import io.hexgate.operator.AgentEndpoint;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.OperatorConfig;
import io.hexgate.operator.endpoint.PrunedPods;
import io.hexgate.operator.feed.EngineWriter;
import io.hexgate.operator.feed.PodEndpoints;
import io.hexgate.operator.node.NodeStateHub;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.hexgate.operator.status.PolicyStatusWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Operator benchmark: CNP create → every agent ACKed, heap after GC, status writes at steady
 * state, and what the Pod informer's cache costs with and without {@link PrunedPods}. Runs the operator as
 * {@link HexgateOperator#create} wires it, except that nothing watches the API: the benchmark feeds the
 * engine (behind its real EngineWriter) directly, with one in-process {@link TestingAgent} per node on the
 * real gRPC contract; pods go through the operator's own pruning store and Pod-to-endpoint conversion; the
 * status writer writes to the Kubernetes API it is given.
 * Run it with {@code ./hexgate bench operator}.
 */
public final class OperatorBenchmark {
  private static final int APPS = 50;

  /** The operator's performance targets (the p99 create-to-ACK latency for 10 and 200 nodes, the heap). */
  public static final double TARGET_P99_10_NODES_MS = 50;
  public static final double TARGET_P99_200_NODES_MS = 250;
  public static final long TARGET_HEAP_MB = 300;

  /**
   * @param creates measured CNP creates (after 5 unmeasured ones)
   * @param steady how long status writes are counted at steady state
   */
  public record Config(int pods, int nodes, int creates, Duration steady) {
    public Config {
      if (pods < 1 || nodes < 1 || creates < 1 || steady.isNegative() || steady.isZero()) {
        throw new IllegalArgumentException("pods, nodes and creates must be at least 1 and steady positive");
      }
    }
  }

  /**
   * @param wholePodsBytes heap the pods take held whole, as an informer without pruning caches them
   * @param prunedPodsBytes heap the same pods take in the operator's {@link PrunedPods} cache
   * @param nodesRenderedPerCreate node states the hub rendered per measured CNP create (of all nodes)
   * @param heapMb used heap after GC at the end: engine, node states, status, pruned pod cache and the
   *     in-process agents' state
   */
  public record Result(
      Config config,
      double medianMs,
      double p99Ms,
      double maxMs,
      double applyMedianMs,
      double applyP99Ms,
      long wholePodsBytes,
      long prunedPodsBytes,
      long heapMb,
      long statusWritesPerMinute,
      double nodesRenderedPerCreate) {
    /** The p99 target for this many nodes: 50 ms up to 10 nodes, else 250 ms. */
    public double p99TargetMs() {
      return config.nodes() <= 10 ? TARGET_P99_10_NODES_MS : TARGET_P99_200_NODES_MS;
    }

    public boolean targetsMet() {
      return p99Ms <= p99TargetMs() && heapMb <= TARGET_HEAP_MB && statusWritesPerMinute == 0;
    }

    @Override
    public String toString() {
      return String.format(
          "pods=%d nodes=%d creates=%d: create->all ACKed median %.1f ms, p99 %.1f ms (target %.0f), max %.1f ms;"
              + " engine + render (EngineWriter.apply) median %.1f ms, p99 %.1f ms;"
              + " pod cache %.1f MB pruned, %.1f MB whole (%.2f / %.2f KB per pod);"
              + " heap after GC %d MB (target %d, incl. %d in-process agents);"
              + " status writes at steady state %d/min (target 0); nodes rendered per create %.1f of %d",
          config.pods(), config.nodes(), config.creates(), medianMs, p99Ms, p99TargetMs(), maxMs,
          applyMedianMs, applyP99Ms, prunedPodsBytes / 1048576.0, wholePodsBytes / 1048576.0,
          prunedPodsBytes / 1024.0 / config.pods(), wholePodsBytes / 1024.0 / config.pods(),
          heapMb, TARGET_HEAP_MB, config.nodes(),
          statusWritesPerMinute, nodesRenderedPerCreate, config.nodes());
    }
  }

  private OperatorBenchmark() {}

  /**
   * Runs one scenario. {@code statusApi} must serve CiliumNetworkPolicies with their status subresource;
   * the benchmark creates its policies there.
   */
  public static Result run(Config config, KubernetesClient statusApi, PrintStream progress)
      throws IOException, InterruptedException {
    int pods = config.pods();
    int nodes = config.nodes();

    progress.printf("%d pods: measuring the pod cache%n", pods);
    List<Pod> whole = new ArrayList<>(pods);
    long base = usedAfterGc();
    for (int i = 0; i < pods; i++) {
      whole.add(SyntheticPods.pod(i, "app-" + (i % APPS), "node-" + (i % nodes)));
    }
    long wholeBytes = usedAfterGc() - base;
    whole.clear(); // not "whole = null": an interpreted frame would keep the list alive
    base = usedAfterGc();
    PrunedPods cache = new PrunedPods();
    for (int i = 0; i < pods; i++) {
      Pod p = SyntheticPods.pod(i, "app-" + (i % APPS), "node-" + (i % nodes));
      cache.put(cache.getKey(p), p);
    }
    long prunedBytes = usedAfterGc() - base;

    // the benchmark feeds the engine itself: pods and policies go in without a round trip through the API
    String name = InProcessServerBuilder.generateName();
    HexgateOperator operator =
        HexgateOperator.create(
            OperatorConfig.builder(statusApi)
                .withoutLeaderElection()
                .withoutWatchingApi()
                .agents(new AgentEndpoint.InProcess(name))
                .withoutMetrics()
                .withoutRelay()
                .build());
    EngineWriter writer = operator.engine();
    NodeStateHub hub = operator.nodes();
    Map<String, Long> acked = new ConcurrentHashMap<>();
    Object ackLock = new Object();
    operator.addReportListener(
        r -> {
          acked.merge(r.node(), r.revision(), Math::max);
          synchronized (ackLock) {
            ackLock.notifyAll();
          }
        });
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    List<TestingAgent> agents = new ArrayList<>();
    PolicyStatusWriter statusWriter = operator.statusWriter();
    try {
      operator.start();
      for (int n = 0; n < nodes; n++) {
        agents.add(TestingAgent.simulated("node-" + n).connect(channel));
      }
      progress.printf("%d pods on %d nodes: feeding the engine%n", pods, nodes);
      writer.apply(
          e -> e.batch(
              () -> {
                e.upsertNamespace("default", Map.of());
                cache.values().forEach(p -> e.upsertEndpoint(PodEndpoints.toEndpoint(p)));
              }));
      awaitAcks(hub, acked, ackLock, Duration.ofMinutes(2));

      progress.printf("%d CNP creates (+5 warm-up)%n", config.creates());
      List<Double> millis = new ArrayList<>();
      List<Double> applyMillis = new ArrayList<>();
      long rendersBefore = 0;
      for (int c = 0; c < config.creates() + 5; c++) {
        String policy = "bench-" + nodes + "-" + c;
        CiliumNetworkPolicy cnp =
            statusApi.getKubernetesSerialization()
                .unmarshal(
                    """
                    apiVersion: cilium.io/v2
                    kind: CiliumNetworkPolicy
                    metadata: {name: %s, namespace: default}
                    spec:
                      endpointSelector: {matchLabels: {app: app-%d}}
                      ingress:
                      - fromEndpoints: [{matchLabels: {app: app-%d}}]
                        toPorts: [{ports: [{port: "%d", protocol: TCP}]}]
                    """
                        .formatted(policy, c % APPS, (c + 1) % APPS, 1000 + c),
                    CiliumNetworkPolicy.class);
        statusApi.resource(cnp).create();
        PolicyRef ref = PolicyRef.cnp("default", policy);
        long start = System.nanoTime();
        writer.apply(e -> e.upsertPolicy(ref, List.of(cnp.getSpec()), List.of("spec")));
        double applied = (System.nanoTime() - start) / 1e6;
        operator.validity().record(ref, 1L, List.of());
        awaitAcks(hub, acked, ackLock, Duration.ofSeconds(30));
        double ms = (System.nanoTime() - start) / 1e6;
        if (c == 4) {
          rendersBefore = hub.renders();
        }
        if (c >= 5) {
          millis.add(ms); // the first five warm the JIT
          applyMillis.add(applied);
        }
      }
      Collections.sort(millis);
      Collections.sort(applyMillis);
      progress.println("status writes at steady state");
      // the status writer catches up: wait for three quiet seconds (at most 60 s), then count
      long quietSince = System.nanoTime();
      long last = statusWriter.writes();
      for (long end = System.nanoTime() + 60_000_000_000L;
          System.nanoTime() - quietSince < 3_000_000_000L && System.nanoTime() < end; ) {
        Thread.sleep(250);
        if (statusWriter.writes() != last) {
          last = statusWriter.writes();
          quietSince = System.nanoTime();
        }
      }
      long before = statusWriter.writes();
      Thread.sleep(config.steady().toMillis());
      long perMinute = Math.round((statusWriter.writes() - before) * 60_000.0 / config.steady().toMillis());
      long heapMb = usedAfterGc() >> 20;
      Reference.reachabilityFence(cache);
      Reference.reachabilityFence(agents);
      return new Result(
          config, pct(millis, 50), pct(millis, 99), millis.get(millis.size() - 1), pct(applyMillis, 50),
          pct(applyMillis, 99), wholeBytes, prunedBytes, heapMb, perMinute,
          (hub.renders() - rendersBefore) / (double) config.creates());
    } finally {
      channel.shutdownNow();
      operator.close();
    }
  }

  private static long usedAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Waits until every node's agent ACKed the node's current revision. */
  private static void awaitAcks(NodeStateHub hub, Map<String, Long> acked, Object lock, Duration max)
      throws InterruptedException {
    Map<String, Long> target = new HashMap<>();
    for (String n : hub.nodes()) {
      target.put(n, hub.find(n).current().revision());
    }
    long deadline = System.nanoTime() + max.toNanos();
    synchronized (lock) {
      while (true) {
        boolean all = true;
        for (Map.Entry<String, Long> t : target.entrySet()) {
          if (acked.getOrDefault(t.getKey(), 0L) < t.getValue()) {
            all = false;
            break;
          }
        }
        if (all) {
          return;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("agents did not ACK within " + max);
        }
        lock.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  private static double pct(List<Double> sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }
}
