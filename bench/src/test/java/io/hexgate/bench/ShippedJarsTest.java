package io.hexgate.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.NodeAgent;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The operator and agent jars carry only what runs in production: benchmarks live in this module, echo
 * servers, probes and fake agents or operators in test jars. In a reactor build up to {@code verify} this
 * module's classpath holds the operator's and the agent's packaged jars, so their real entries are checked;
 * in a build that stops at {@code test} it holds their class directories, which those jars are made from.
 */
class ShippedJarsTest {
  /** A {@code bench} package, or a class named for benchmarking, test traffic or faking the other side. */
  private static final Pattern NOT_SHIPPED =
      Pattern.compile(
          "(^|.*/)bench/.*|.*/[^/]*(Benchmark|Synthetic|BenchAgent|AgentMaps|EchoServer|TcpProbe|Fake|Mock|Testing"
              + "|Scripted)[^/]*\\.class");

  @Test
  void operatorJarHoldsNoBenchmarkOrTestScaffolding() throws Exception {
    List<String> entries = entries(CiliumNetworkPolicy.class);
    assertThat(entries).contains("io/hexgate/operator/policy/api/CiliumNetworkPolicy.class");
    assertThat(entries).filteredOn(e -> NOT_SHIPPED.matcher(e).matches()).isEmpty();
  }

  @Test
  void agentJarHoldsNoBenchmarkOrTestScaffolding() throws Exception {
    List<String> entries = entries(NodeAgent.class);
    assertThat(entries).contains("io/hexgate/datapath/NodeAgent.class");
    assertThat(entries).filteredOn(e -> NOT_SHIPPED.matcher(e).matches()).isEmpty();
  }

  @Test
  void theCheckCatchesWhatItLooksFor() {
    assertThat(List.of(
            "io/hexgate/operator/node/bench/",
            "io/hexgate/operator/node/bench/OperatorBenchmark.class",
            "io/hexgate/datapath/bench/NetworkBenchmark$Setup.class",
            "io/hexgate/datapath/netns/EchoServer.class",
            "io/hexgate/datapath/netns/TcpProbe$Outcome.class",
            "io/hexgate/contract/testing/TestingAgent.class",
            "io/hexgate/datapath/agent/ScriptedOperator$1.class",
            "io/hexgate/operator/FakeOperator.class",
            "io/hexgate/operator/MockApi.class"))
        .allMatch(e -> NOT_SHIPPED.matcher(e).matches());
    assertThat(List.of(
            "io/hexgate/operator/node/NodeAgentService.class",
            "io/hexgate/datapath/bpf/BpfProgram$TestRun.class",
            "io/hexgate/datapath/netns/ClusterNetwork.class",
            "hexgate.bpf.o"))
        .noneMatch(e -> NOT_SHIPPED.matcher(e).matches());
  }

  /** The entries of the jar (or class directory) {@code type} was loaded from, with '/' separators. */
  private static List<String> entries(Class<?> type) throws IOException, URISyntaxException {
    Path where = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (Files.isDirectory(where)) {
      try (Stream<Path> files = Files.walk(where)) {
        return files.filter(f -> !f.equals(where))
            .map(f -> where.relativize(f).toString().replace('\\', '/') + (Files.isDirectory(f) ? "/" : ""))
            .toList();
      }
    }
    assertThat(where.getFileName().toString()).endsWith(".jar").doesNotContain("-tests");
    try (ZipFile jar = new ZipFile(where.toFile())) {
      return jar.stream().map(e -> e.getName()).toList();
    }
  }
}
