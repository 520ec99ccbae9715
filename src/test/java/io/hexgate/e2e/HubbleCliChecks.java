package io.hexgate.e2e;

import static io.hexgate.e2e.LabStarWarsTest.DEATHSTAR;
import static io.hexgate.e2e.LabStarWarsTest.TIEFIGHTER;
import static io.hexgate.e2e.LabStarWarsTest.XWING;
import static io.hexgate.e2e.LabStarWarsTest.url;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.Timestamps;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.Workload;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.e2e.LabSession.Run;
import io.hexgate.lab.hubble.HubbleBinary;
import io.hexgate.lab.starwars.StarWarsChecks;
import io.hexgate.observer.json.HubbleJson;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * What a Hubble user does after the Star Wars demo, asked of the lab's relay with {@code hexgate observe}
 * and with the stock {@code hubble} CLI (built from github.com/cilium/hubble by scripts/ensure-hubble.sh):
 * the xwing's drops, the exhaust-port denial at L7, JSON lines, the deathstar's workload, a followed flow
 * within a second, the nodes and the relay's status. Expects the demo's L7 step to have run.
 */
final class HubbleCliChecks {
  private static final Duration FOLLOW_LATENCY = Duration.ofSeconds(1);

  private HubbleCliChecks() {}

  static void sameAnswers(LabSession lab) throws Exception {
    String drop = XWING + " <> " + DEATHSTAR + " Policy denied DROPPED \\(TCP Flags: SYN\\)";
    String exhaust = TIEFIGHTER + " -> " + DEATHSTAR + " http-request DROPPED \\(HTTP/1\\.1 PUT " + url(StarWarsChecks.EXHAUST_PORT) + "\\)";
    assertThat(lab.observe("--verdict", "DROPPED").out()).containsPattern(drop);
    assertThat(lab.observe("--http-path", "/v1/exhaust-port").out()).containsPattern(exhaust).doesNotContain("request-landing");
    assertJsonLines(lab.observe("--last", "5", "-o", "json").out());
    assertDeathstarDeployment(lab.observe("--to-workload", "Deployment/deathstar", "--last", "3", "-o", "json").out());
    assertFollowed(lab, List.of("observe", "--server", lab.relay(), "--follow", "--from-pod", "xwing", "-o", "json"), true);
    assertThat(lab.hexgate("status", "--server", lab.relay()).out())
        .contains("Healthcheck (via " + lab.relay() + "): Ok", "Connected Nodes: 2/2").containsPattern("Current/Max Flows: [\\d,]+/8,190");

    Optional<Path> hubble = HubbleBinary.built(LabSession.ROOT, System.out);
    if (hubble.isEmpty()) {
      // HubbleBinary said why; the rest of the test still holds
      System.out.println("HubbleCliChecks: the stock hubble CLI checks are skipped: it is not built here (" + HubbleBinary.SCRIPT + ")");
      return;
    }
    String bin = hubble.get().toString();
    assertThat(hubble(lab, bin, "observe", "--server", lab.relay(), "--verdict", "DROPPED").out()).containsPattern(drop);
    assertThat(hubble(lab, bin, "observe", "--server", lab.relay(), "--http-path", "/v1/exhaust-port").out())
        .containsPattern(exhaust).doesNotContain("request-landing");
    assertJsonLines(hubble(lab, bin, "observe", "--server", lab.relay(), "--last", "5", "-o", "json").out());
    assertDeathstarDeployment(
        hubble(lab, bin, "observe", "--server", lab.relay(), "--to-workload", "Deployment/deathstar", "--last", "3", "-o", "json").out());
    assertFollowed(lab, List.of(bin, "observe", "--server", lab.relay(), "--follow", "--from-pod", "xwing", "-o", "json"), false);
    Run nodes = hubble(lab, bin, "list", "nodes", "--server", lab.relay());
    assertThat(nodes.out().lines().filter(l -> l.matches("node-\\d+\\s+Connected\\s+.*"))).hasSize(2);
    assertThat(hubble(lab, bin, "status", "--server", lab.relay()).out())
        .contains("Healthcheck (via " + lab.relay() + "): Ok", "Connected Nodes: 2/2").containsPattern("Current/Max Flows: [\\d,]+/8,190");
  }

  private static Run hubble(LabSession lab, String bin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(bin));
    cmd.addAll(List.of(args));
    Run r = lab.run(cmd, 60);
    assertThat(r.code()).as("hubble %s: %s", String.join(" ", args), r.err()).isZero();
    return r;
  }

  /** One GetFlowsResponse per line, each a flow with its node. */
  private static void assertJsonLines(String out) throws Exception {
    List<String> lines = out.lines().toList();
    assertThat(lines).hasSizeBetween(1, 10);
    for (String line : lines) {
      GetFlowsResponse r = HubbleJson.parse(line, GetFlowsResponse.newBuilder()).build();
      assertThat(r.hasFlow()).as(line).isTrue();
      assertThat(r.getNodeName()).as(line).matches("node-\\d+");
    }
  }

  /** The deathstar's pods are a Deployment's: the flows to that workload name it. */
  private static void assertDeathstarDeployment(String out) throws Exception {
    List<String> lines = out.lines().toList();
    assertThat(lines).as("flows to the deathstar Deployment").isNotEmpty();
    for (String line : lines) {
      Flow f = HubbleJson.parse(line, GetFlowsResponse.newBuilder()).build().getFlow();
      assertThat(f.getDestination().getWorkloadsList()).as(line)
          .containsExactly(Workload.newBuilder().setName("deathstar").setKind("Deployment").build());
    }
  }

  /**
   * Follows the xwing's flows with {@code command} while the xwing tries to land again: its drop arrives
   * within a second of the time the datapath stamped on it.
   */
  private static void assertFollowed(LabSession lab, List<String> command, boolean hexgate) throws Exception {
    Process p = hexgate ? lab.start(command) : new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    BlockingQueue<long[]> arrivals = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          long arrived = System.currentTimeMillis();
          GetFlowsResponse r = HubbleJson.parse(line, GetFlowsResponse.newBuilder()).build();
          if (r.hasFlow()) {
            arrivals.add(new long[] {Timestamps.toMillis(r.getFlow().getTime()), arrived});
          }
        }
      } catch (Exception e) {
        arrivals.add(new long[0]);
      }
    }, "hubble-follow-reader");
    reader.setDaemon(true);
    reader.start();
    try {
      // the follower is connected to the relay, and the relay to both agents (a JVM takes longer to start)
      Thread.sleep(hexgate ? 5000 : 1500);
      long sent = System.currentTimeMillis();
      lab.exec("xwing", "curl", "-s", "--max-time", "1", "-XPOST", StarWarsChecks.LANDING);
      long[] first = arrivals.poll(10, TimeUnit.SECONDS);
      assertThat(first).as("%s: no flow followed", command).isNotNull().hasSize(2);
      assertThat(first[0]).as("the flow is the new one").isGreaterThanOrEqualTo(sent - 100);
      assertThat(first[1] - first[0]).as("%s: followed within a second", command).isLessThanOrEqualTo(FOLLOW_LATENCY.toMillis());
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
