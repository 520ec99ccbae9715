package io.hexgate.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.contract.v1.Hello;
import io.hexgate.datapath.bpf.BpfSupport;
import io.hexgate.datapath.enforce.ScriptedOperator;
import io.hexgate.datapath.enforce.TwinDatapath;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent whose eBPF load fails falls back to the Java datapath (in auto mode) and tells the operator it
 * does not enforce, and why; root only, since the load must be tried for real.
 */
class NodeAgentFallbackTest {
  @TempDir Path notBpffs;

  @Test
  void aFailedLoadIsReportedAsNotEnforcingNamingThePreviousAgentsPrograms() throws Exception {
    BpfSupport.loadOrSkip().close();
    // maps cannot be pinned outside bpffs: the load fails as an upgrade's failed load would
    Files.createFile(notBpffs.resolve("prog_from_pod")); // where a previous agent pinned its program
    ScriptedOperator operator = new ScriptedOperator();
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).addService(operator).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    PrintStream err = System.err;
    System.setErr(new PrintStream(PrintStream.nullOutputStream()));
    NodeAgent agent;
    try {
      agent = NodeAgent.start(new NodeAgent.Config("node-f", null, notBpffs, List.of(), 0, NodeAgent.Mode.AUTO), channel);
    } finally {
      System.setErr(err);
    }
    try {
      assertThat(agent.datapath()).isInstanceOf(TwinDatapath.class);
      await().atMost(Duration.ofSeconds(10)).until(() -> !operator.hellos.isEmpty());
      Hello hello = operator.hellos.get(0);
      assertThat(hello.getEnforcing()).isFalse();
      assertThat(hello.getNotEnforcingReason())
          .contains("loading the eBPF datapath failed")
          .contains("a previous agent's programs may still judge traffic");
    } finally {
      agent.close();
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
