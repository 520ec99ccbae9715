package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.NodeAgent;
import io.hexgate.e2e.LabSession.Run;
import io.hexgate.lab.starwars.StarWarsChecks;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab as a user drives it: {@code hexgate lab up}, the real {@code kubectl apply} of Cilium's Star Wars
 * manifests, connections through {@code hexgate lab exec} (real TCP from pod namespaces to the deathstar's
 * ClusterIP, by its DNS name), rule1 at L3/L4 and then with its HTTP rule (the L7 proxy answering the
 * forbidden PUT, its flows naming each request, verdict and policy), {@code kubectl describe cnp}, the
 * flows through {@code hexgate observe} and the stock {@code hubble} CLI, {@code hexgate lab down}. Needs root;
 * the policy steps also need eBPF. Each skips with the reason otherwise.
 */
class LabStarWarsTest {
  private static final String PREFIX = "hgl-e";
  private static final Path EXAMPLES = LabSession.ROOT.resolve("examples/starwars");

  @TempDir static Path state;
  private static LabSession lab;

  @BeforeAll
  static void up() throws Exception {
    lab = LabSession.up(PREFIX, state);
  }

  @AfterAll
  static void down() throws Exception {
    if (lab != null) {
      lab.down();
    }
  }

  @Test
  void starWarsThroughKubectlAndLabExec() throws Exception {
    Run created = lab.kubectl("apply", "-f", EXAMPLES.resolve("http-sw-app.yaml").toString());
    assertThat(created.code()).as(created.err()).isZero();
    assertThat(created.out()).contains("service/deathstar created", "deployment.apps/deathstar created", "pod/tiefighter created",
        "pod/xwing created");
    lab.awaitRunning(4);
    Run resolved = lab.exec("xwing", "getent", "hosts", "deathstar.default.svc.cluster.local");
    String clusterIp = lab.kubectl("get", "svc", "deathstar", "-o", "jsonpath={.spec.clusterIP}").out().trim();
    assertThat(resolved.out()).as(resolved.err()).startsWith(clusterIp + " ");
    // a short name through the pod's search list
    assertThat(lab.exec("tiefighter", "getent", "hosts", "deathstar").out()).startsWith(clusterIp + " ");

    String bpf = NodeAgent.bpfUnavailable().orElse(null);
    Assumptions.assumeTrue(bpf == null, () -> "policy steps skipped: the eBPF datapath is unavailable (" + bpf + ")");
    StarWarsChecks ships = lab.starWars();
    StarWarsChecks.Request blocked = lab.rule1LetsOnlyTheEmpireLand(ships, 30);
    assertThat(blocked.reply().err()).contains("command terminated with exit code 28");
    StarWarsChecks.Flow reported = ships.denialReported("xwing");
    assertPassed(reported);
    assertThat(reported.flow().orElseThrow().getDestination().getPodName()).startsWith("deathstar-");
    assertThat(reported.flow().orElseThrow().getL4().getTCP().getDestinationPort()).isEqualTo(80);
    // rule1 is L3/L4 only: the allowed ship reaches every path, which is why the guide goes on to L7
    assertPassed(ships.exhaustPortExplodes("tiefighter"));

    // rule1 with an HTTP rule: connections to the deathstar go to the node's L7 proxy, which judges each request
    Run l7 = lab.kubectl("apply", "-f", EXAMPLES.resolve("sw_l3_l4_l7_policy.yaml").toString());
    assertThat(l7.out()).as(l7.err()).contains("ciliumnetworkpolicy.cilium.io/rule1 configured");
    assertPassed(StarWarsChecks.enforcedEverywhere("rule1", lab.awaitGenerationEnforced("rule1", 30), 2));
    assertPassed(ships.canLand("tiefighter"));
    StarWarsChecks.Request exhaust = ships.exhaustPortDeniedAtL7("tiefighter");
    assertPassed(exhaust);
    // the proxy's own 403 body: the deathstar never saw the PUT
    assertThat(exhaust.reply().out()).isEqualTo("Access denied\r\n");
    assertPassed(ships.isDenied("xwing"));

    assertPassed(ships.redirectReported("tiefighter", "rule1"));
    StarWarsChecks.Flow landing = ships.landingReported("tiefighter", "rule1");
    assertPassed(landing);
    assertThat(landing.flow().orElseThrow().getDestination().getPodName()).startsWith("deathstar-");
    assertThat(landing.flow().orElseThrow().getL4().getTCP().getDestinationPort()).isEqualTo(80);
    StarWarsChecks.Flow denied = ships.exhaustPortDenialReported("tiefighter", "rule1");
    assertPassed(denied);
    assertThat(denied.flow().orElseThrow().getL7().getHttp().getProtocol()).isEqualTo("HTTP/1.1");

    // hexgate observe and the stock hubble CLI give the same answers, from both nodes through the relay
    Run l7Flows = lab.observe("--type", "l7", "--pod", "tiefighter", "--last", "100");
    assertThat(l7Flows.out().lines()).isNotEmpty().allMatch(l -> l.contains(" http-request ") || l.contains(" http-response "));
    assertThat(l7Flows.out())
        .containsPattern(TIEFIGHTER + " -> " + DEATHSTAR + " http-request FORWARDED \\(HTTP/1\\.1 POST " + url(StarWarsChecks.LANDING) + "\\)")
        .containsPattern(TIEFIGHTER + " -> " + DEATHSTAR + " http-request DROPPED \\(HTTP/1\\.1 PUT " + url(StarWarsChecks.EXHAUST_PORT) + "\\)")
        .containsPattern(TIEFIGHTER + " <- " + DEATHSTAR + " http-response FORWARDED \\(HTTP/1\\.1 200 \\d+ms \\(POST "
            + url(StarWarsChecks.LANDING) + "\\)\\)");
    HubbleCliChecks.sameAnswers(lab);

    Run listed = lab.kubectl("get", "cnp,cep");
    assertThat(listed.out()).contains("rule1", "xwing", "tiefighter", "deathstar-");
  }

  static final String XWING = "default/xwing:\\d+ \\(ID:\\d+\\)";
  static final String TIEFIGHTER = "default/tiefighter:\\d+ \\(ID:\\d+\\)";
  static final String DEATHSTAR = "default/deathstar-\\S+:80 \\(ID:\\d+\\)";

  static String url(String hostAndPath) {
    return java.util.regex.Pattern.quote("http://" + hostAndPath);
  }

  private static void assertPassed(StarWarsChecks.Outcome outcome) {
    assertThat(outcome.passed()).as(outcome.describe()).isTrue();
  }
}
