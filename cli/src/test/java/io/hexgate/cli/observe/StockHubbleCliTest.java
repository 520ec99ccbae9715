package io.hexgate.cli.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.cli.CliRun;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.lab.hubble.HubbleBinary;
import io.hexgate.observer.json.HubbleJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The stock {@code hubble} CLI (scripts/ensure-hubble.sh) against the same loopback server as {@code hexgate
 * observe}: it reads the answers, and sends and prints what {@code hexgate observe} sends and prints.
 */
class StockHubbleCliTest {
  private static final Path ROOT = Path.of(System.getProperty("hexgate.root", "..")).toAbsolutePath().normalize();
  private static Path hubble;
  private static FakeHubbleServer server;

  record Run(int exitCode, String out, String err) {}

  @BeforeAll
  static void start() throws Exception {
    ByteArrayOutputStream why = new ByteArrayOutputStream();
    Optional<Path> built = HubbleBinary.built(ROOT, new PrintStream(why, true, StandardCharsets.UTF_8));
    Assumptions.assumeTrue(built.isPresent(), () -> "skipped: " + why.toString(StandardCharsets.UTF_8).trim());
    hubble = built.get();
    server = new FakeHubbleServer(ObserveEndToEndTest.answers(), StatusPrinterTest.RELAY);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void forget() {
    server.requests.clear();
  }

  private static Run hubble(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(hubble.toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--server", server.address()));
    Process p = new ProcessBuilder(cmd).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  @Test
  void hubbleObserveReadsTheAnswersAsJson() throws Exception {
    Run run = hubble("observe", "-o", "json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    List<GetFlowsResponse> printed = new ArrayList<>();
    for (String line : run.out().lines().toList()) {
      printed.add(HubbleJson.parse(line, GetFlowsResponse.newBuilder()).build());
    }
    assertThat(printed).isEqualTo(ObserveEndToEndTest.answers().subList(1, 11));
    assertThat(server.requests).singleElement().isEqualTo(GetFlowsRequest.newBuilder().setNumber(20).build());
  }

  @ParameterizedTest(name = "-o {0}")
  @ValueSource(strings = {"compact", "dict", "table"})
  void hubbleObservePrintsWhatHexgateObservePrints(String output) throws Exception {
    Run run = hubble("observe", "-o", output, "--print-node-name");
    assertThat(run.exitCode()).as(run.err()).isZero();
    CliRun ours = CliRun.of("observe", "-o", output, "--print-node-name", "--server", server.address());
    assertThat(ours.out()).isEqualTo(run.out());
    if (output.equals("compact")) {
      assertThat(CliRun.of("observe", "--server", server.address()).out()).isEqualTo(String.join("\n", HubbleFlows.COMPACT) + "\n");
    }
  }

  @Test
  void hubbleObserveWithDebugPrintsTheRelaysNodesAsHexgateObserveDoes() throws Exception {
    Run run = hubble("observe", "-D");
    CliRun ours = CliRun.of("observe", "-D", "--server", server.address());
    assertThat(run.err().lines().filter(l -> l.contains("Receiving flows"))).containsExactly(ours.err().strip());
  }

  /** The same flags put the same filters and selectors on the wire. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
    "--pod default/xwing",
    "--from-pod xwing --to-pod deathstar --verdict DROPPED --verdict FORWARDED",
    "-n default --pod xwing",
    "--not --namespace kube-system --from-namespace default --to-namespace a --to-namespace b",
    "-l app=foo --port 80 --protocol tcp",
    "--http-status 5+ --http-method GET --http-path /v1/.* -t l7",
    "-t trace:to-endpoint -t policy-verdict -t drop -t 4:7",
    "--from-identity world --to-identity 12345 --traffic-direction ingress --node-name kind-worker --ip-version v4",
    "--fqdn *.cilium.io --tcp-flags syn,ack --last 7",
    "--from-ip 10.0.0.0/8 --to-service default/deathstar --first 3",
    "--ip 10.0.0.1 -4 --all",
    "--workload Deployment/web --identity host --not --uuid u1",
    "--http-header x-a:b --http-url http://.* --drop-reason-desc POLICY_DENIED --snat-ip 1.2.3.4",
    "--allowlist {\"verdict\":[\"ERROR\"]} --denylist {\"uuid\":[\"u\"]} --label k8s:app=x",
  })
  void hubbleSendsTheRequestHexgateSends(String args) throws Exception {
    List<String> flags = new ArrayList<>(List.of(args.split(" ")));
    flags.addAll(List.of("-o", "json"));
    List<String> cmd = new ArrayList<>(List.of("observe"));
    cmd.addAll(flags);
    Run run = hubble(cmd.toArray(String[]::new));
    assertThat(run.exitCode()).as(run.err()).isZero();
    ObserveCommand ours = new ObserveCommand();
    new CommandLine(ours).parseArgs(flags.toArray(String[]::new));
    assertThat(server.requests).singleElement().isEqualTo(ours.request(Clock.systemUTC()));
  }

  @Test
  void hubbleStatusPrintsWhatHexgateStatusPrints() throws Exception {
    for (String output : List.of("compact", "dict", "table", "json")) {
      Run run = hubble("status", "-o", output);
      assertThat(run.exitCode()).as(run.err()).isZero();
      CliRun ours = CliRun.of("status", "-o", output, "--server", server.address());
      if (output.equals("json")) {
        assertThat(HubbleJson.parse(run.out(), io.hexgate.contract.hubble.observer.ServerStatusResponse.newBuilder()).build())
            .isEqualTo(StatusPrinterTest.RELAY);
      } else if (output.equals("compact")) {
        // then what hubble status does not tell: lost events and each node's revision and enforcement
        assertThat(ours.out()).as(output).startsWith(run.out()).contains("Lost Events: ");
      } else {
        assertThat(ours.out()).as(output).isEqualTo(run.out());
      }
    }
  }
}
