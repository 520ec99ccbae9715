package io.hexgate.operator.node;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.feed.EngineWriter;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.PolicyValidity;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.hexgate.operator.status.PolicyStatusTracker;
import io.hexgate.operator.status.PolicyStatusWriter;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Operator benchmark (issue 4): CNP create → every agent ACKed, heap after GC, status writes at steady
 * state. Drives the engine (behind its real EngineWriter), NodeStateHub, PolicyStatusTracker and
 * NodeAgentService directly, with one in-process TestingAgent per node on the real gRPC contract; the
 * Kubernetes API (mock) is used only for the status writer. Run: see docs/benchmarks.md.
 *
 * <p>Arguments: pods nodes creates (default: both scenarios, 50 creates each).
 */
public final class OperatorBench {
  private static final int APPS = 50;

  public static void main(String[] args) throws Exception {
    int creates = args.length > 2 ? Integer.parseInt(args[2]) : 50;
    if (args.length >= 2) {
      run(Integer.parseInt(args[0]), Integer.parseInt(args[1]), creates);
    } else {
      run(1_000, 10, creates);
      run(10_000, 200, creates);
    }
    System.exit(0);
  }

  static void run(int pods, int nodes, int creates) throws Exception {
    PolicyEngine engine = new PolicyEngine();
    EngineWriter writer = new EngineWriter(engine);
    NodeStateHub hub = new NodeStateHub();
    PolicyValidity validity = new PolicyValidity();
    PolicyStatusTracker tracker = new PolicyStatusTracker(hub, validity, Clock.systemUTC(), 100);
    writer.addListener(hub);
    writer.addListener(tracker);
    Map<String, Long> acked = new ConcurrentHashMap<>();
    Object ackLock = new Object();
    AgentReportListener reports =
        new AgentReportListener() {
          @Override
          public void reported(AgentReport r) {
            tracker.reported(r);
            acked.merge(r.node(), r.revision(), Math::max);
            synchronized (ackLock) {
              ackLock.notifyAll();
            }
          }
        };
    ExecutorService sender = Executors.newFixedThreadPool(2);
    NodeAgentService service =
        new NodeAgentService(hub, reports, tracker, sender, NodeAgentService.Authentication.TRUST_CLAIM);
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).addService(service).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    List<TestingAgent> agents = new ArrayList<>();
    for (int n = 0; n < nodes; n++) {
      agents.add(new TestingAgent("node-" + n).connect(channel));
    }
    writer.apply(
        e -> e.batch(
            () -> {
              e.upsertNamespace("default", Map.of());
              for (int i = 0; i < pods; i++) {
                e.upsertEndpoint(
                    new Endpoint(
                        "default",
                        "pod-" + i,
                        "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255),
                        Map.of("app", "app-" + (i % APPS)),
                        "default",
                        "node-" + (i % nodes),
                        List.of()));
              }
            }));
    awaitAcks(hub, acked, ackLock, Duration.ofMinutes(2));

    MockApi api = new MockApi();
    KubernetesClient kube = api.client();
    PolicyStatusWriter statusWriter =
        new PolicyStatusWriter(kube, tracker, Clock.systemUTC(), Duration.ofSeconds(1), () -> true);
    statusWriter.start();

    List<Double> millis = new ArrayList<>();
    List<Double> applyMillis = new ArrayList<>();
    for (int c = 0; c < creates + 5; c++) {
      String policy = "p-" + c;
      CiliumNetworkPolicy cnp =
          kube.getKubernetesSerialization()
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
      kube.resource(cnp).create();
      PolicyRef ref = PolicyRef.cnp("default", policy);
      long start = System.nanoTime();
      writer.apply(e -> e.upsertPolicy(ref, List.of(cnp.getSpec()), List.of("spec")));
      double applied = (System.nanoTime() - start) / 1e6;
      validity.record(ref, 1L, List.of());
      awaitAcks(hub, acked, ackLock, Duration.ofSeconds(30));
      double ms = (System.nanoTime() - start) / 1e6;
      if (c >= 5) {
        millis.add(ms); // the first five warm the JIT
        applyMillis.add(applied);
      }
    }
    Collections.sort(millis);
    Collections.sort(applyMillis);
    // the status writer catches up: wait for three quiet seconds (at most 60 s), then count for 20 s
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
    Thread.sleep(20_000);
    long steady = (statusWriter.writes() - before) * 3;

    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    System.out.printf(
        "pods=%d nodes=%d creates=%d: create->all ACKed median %.1f ms, p99 %.1f ms, max %.1f ms;"
            + " of which engine + render (EngineWriter.apply) median %.1f ms, p99 %.1f ms;"
            + " heap after GC %d MB (operator + %d in-process agents); status writes at steady state %d/min%n",
        pods, nodes, millis.size(), pct(millis, 50), pct(millis, 99), millis.get(millis.size() - 1),
        pct(applyMillis, 50), pct(applyMillis, 99),
        heap >> 20, nodes, steady);

    statusWriter.close();
    channel.shutdownNow();
    server.shutdownNow();
    sender.shutdownNow();
    sender.awaitTermination(5, TimeUnit.SECONDS);
    writer.close();
    api.close();
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
