package io.hexgate.cli.bench;

import ch.qos.logback.classic.Level;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.hexgate.bench.operator.OperatorBenchmark;
import io.hexgate.cli.logging.LogSettings;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description = {
      "Measure the operator: time from a CiliumNetworkPolicy create until every node's agent ACKed",
      "its revision (median, p99), heap after GC, the pod cache with and without pruning, and status writes",
      "per minute at steady state. Agents run in-process on the real gRPC contract; policy status goes to an",
      "in-process Kubernetes API (fabric8's mock server in CRUD mode). By default two scenarios: 1,000 pods",
      "on 10 nodes and 10,000 pods on 200 nodes. Exit code 0 when every target is met, 1 when one is missed."
    })
public final class OperatorBenchCommand implements Callable<Integer> {
  // The mock server logs every request through java.util.logging; held so the setting is not collected.
  private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  @Option(names = "--pods", paramLabel = "N", description = "Pods of a single scenario (with --nodes).")
  Integer pods;

  @Option(names = "--nodes", paramLabel = "N", description = "Nodes of a single scenario (with --pods).")
  Integer nodes;

  @Option(names = "--creates", paramLabel = "N", description = "Measured CNP creates per scenario (default: ${DEFAULT-VALUE}).")
  int creates = 50;

  @Option(names = "--steady-seconds", paramLabel = "S", description = "Seconds status writes are counted at steady state (default: ${DEFAULT-VALUE}).")
  int steadySeconds = 20;

  @Override
  public Integer call() throws Exception {
    // Before any operator class makes its logger: per-agent connect lines would drown the report.
    LogSettings.current(System::getenv, Level.WARN).apply();
    List<OperatorBenchmark.Config> scenarios = new ArrayList<>();
    try {
      if ((pods == null) != (nodes == null)) {
        throw new IllegalArgumentException("--pods and --nodes go together");
      }
      Duration steady = Duration.ofSeconds(steadySeconds);
      if (pods != null) {
        scenarios.add(new OperatorBenchmark.Config(pods, nodes, creates, steady));
      } else {
        scenarios.add(new OperatorBenchmark.Config(1_000, 10, creates, steady));
        scenarios.add(new OperatorBenchmark.Config(10_000, 200, creates, steady));
      }
    } catch (IllegalArgumentException e) {
      System.err.println("hexgate bench operator: " + e.getMessage());
      return 2;
    }
    System.out.printf("JVM: %s %s, max heap %d MB, %d CPUs%n", System.getProperty("java.vm.name"),
        System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());
    boolean met = true;
    PrintStream progress = System.err;
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    for (OperatorBenchmark.Config c : scenarios) {
      KubernetesMockServer server =
          new KubernetesMockServer(
              new Context(Serialization.jsonMapper()), new MockWebServer(), new HashMap<>(),
              new KubernetesMixedDispatcher(new HashMap<>()), false);
      server.init();
      try (KubernetesClient api = server.createClient()) {
        api.resource(policyCrd()).create();
        OperatorBenchmark.Result r = OperatorBenchmark.run(c, api, progress);
        System.out.println(r);
        met &= r.targetsMet();
      } finally {
        server.destroy();
      }
    }
    return met ? 0 : 1;
  }

  /** The CiliumNetworkPolicy CRD with its status subresource, which the status writer patches. */
  private static CustomResourceDefinition policyCrd() {
    CustomResourceDefinition crd =
        CustomResourceDefinitionContext.v1CRDFromCustomResourceType(CiliumNetworkPolicy.class).build();
    for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
      v.setSubresources(new io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceSubresourcesBuilder()
          .withNewStatus().endStatus().build());
    }
    return crd;
  }
}
