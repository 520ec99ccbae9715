package io.hexgate.lab.starwars;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.contract.hubble.flow.DropReason;
import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.FlowType;
import io.hexgate.contract.hubble.flow.HTTP;
import io.hexgate.contract.hubble.flow.L7FlowType;
import io.hexgate.contract.hubble.flow.Layer4;
import io.hexgate.contract.hubble.flow.Layer7;
import io.hexgate.contract.hubble.flow.Policy;
import io.hexgate.contract.hubble.flow.TCP;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.lab.starwars.StarWarsChecks.Answer;
import io.hexgate.lab.starwars.StarWarsChecks.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StarWarsChecksTest {
  private static final java.time.Duration NO_NEW_FLOWS = java.time.Duration.ofMillis(300);
  private static final Policy RULE1 = Policy.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default").setName("rule1").build();
  private static final Flow XWING_DROPPED = tcp("xwing", Verdict.DROPPED).setDropReasonDesc(DropReason.POLICY_DENIED)
      .addIngressDeniedBy(RULE1).build();
  private static final Flow TIEFIGHTER_REDIRECTED = tcp("tiefighter", Verdict.REDIRECTED).addIngressAllowedBy(RULE1).build();
  private static final Flow TIEFIGHTER_LANDING = http("POST", "request-landing", Verdict.FORWARDED);
  private static final Flow TIEFIGHTER_EXHAUST = http("PUT", "exhaust-port", Verdict.DROPPED);

  private static Flow.Builder tcp(String ship, Verdict verdict) {
    return Flow.newBuilder()
        .setVerdict(verdict)
        .setSource(Endpoint.newBuilder().setNamespace("default").setPodName(ship).setIdentity(300))
        .setDestination(Endpoint.newBuilder().setNamespace("default").setPodName("deathstar-5b69dfff75-t4l2c").setIdentity(259))
        .setL4(Layer4.newBuilder().setTCP(TCP.newBuilder().setSourcePort(41234).setDestinationPort(80)));
  }

  private static Flow http(String method, String path, Verdict verdict) {
    Flow.Builder f = tcp("tiefighter", verdict).setType(FlowType.L7)
        .setL7(Layer7.newBuilder().setType(L7FlowType.REQUEST).setHttp(HTTP.newBuilder().setMethod(method).setProtocol("HTTP/1.1")
            .setUrl("http://deathstar.default.svc.cluster.local/v1/" + path)));
    return (verdict == Verdict.DROPPED ? f.addIngressDeniedBy(RULE1) : f.addIngressAllowedBy(RULE1)).build();
  }

  private final List<List<String>> commands = new ArrayList<>();

  /**
   * Pods answering by ship, and a flow log holding {@code flows} and nothing else ever: a flow that is not there
   * never comes, so the checks wait for one only briefly.
   */
  private StarWarsChecks checks(Map<String, Reply> replies, List<Flow> flows) {
    return new StarWarsChecks((pod, command) -> {
      commands.add(command);
      return replies.get(pod);
    }, last -> flows, NO_NEW_FLOWS);
  }

  @Test
  void aShipLandsOnlyWhenTheDeathstarSaysSo() throws Exception {
    StarWarsChecks c = checks(Map.of("tiefighter", new Reply(0, "Ship landed\n", ""), "xwing", new Reply(7, "", "")), List.of());
    assertThat(c.canLand("tiefighter").passed()).isTrue();
    StarWarsChecks.Request xwing = c.canLand("xwing");
    assertThat(xwing.passed()).isFalse();
    assertThat(xwing.answer()).isEqualTo(Answer.UNEXPECTED);
    assertThat(xwing.describe()).isEqualTo("xwing can land; got exit code 7 and ''");
    assertThat(commands.get(0)).containsExactly("curl", "-s", "--max-time", "5", "-XPOST", StarWarsChecks.LANDING);
  }

  @Test
  void deniedMeansCurlTimedOutWithNothingBack() throws Exception {
    StarWarsChecks c = checks(Map.of("xwing", new Reply(28, "", ""), "tiefighter", new Reply(0, "Ship landed\n", "")), List.of());
    assertThat(c.isDenied("xwing").passed()).isTrue();
    assertThat(commands.get(0)).containsSequence("--max-time", "3");
    assertThat(c.isDenied("tiefighter").passed()).isFalse();
  }

  @Test
  void theExhaustPortIsDeniedAtL7OnlyWhenTheProxyAnswersAccessDenied() throws Exception {
    Reply denied = new Reply(0, "Access denied\r\n", "");
    Reply exploded = new Reply(0, "Panic: deathstar exploded\n", "");
    assertThat(checks(Map.of("tiefighter", denied), List.of()).exhaustPortDeniedAtL7("tiefighter"))
        .extracting(StarWarsChecks.Request::passed, StarWarsChecks.Request::answer).containsExactly(true, Answer.ACCESS_DENIED);
    // a dropped connection is no L7 denial: the proxy must answer
    StarWarsChecks.Request timedOut = checks(Map.of("tiefighter", new Reply(28, "", "")), List.of()).exhaustPortDeniedAtL7("tiefighter");
    assertThat(timedOut).extracting(StarWarsChecks.Request::passed, StarWarsChecks.Request::answer).containsExactly(false, Answer.TIMED_OUT);
    assertThat(timedOut.describe()).isEqualTo("tiefighter's PUT /v1/exhaust-port is denied at L7 (Access denied); got exit code 28 and ''");
    StarWarsChecks c = checks(Map.of("tiefighter", exploded), List.of());
    assertThat(c.exhaustPortDeniedAtL7("tiefighter").passed()).isFalse();
    assertThat(c.exhaustPortExplodes("tiefighter").passed()).isTrue();
    assertThat(commands.get(2)).containsExactly("curl", "-s", "--max-time", "5", "-XPUT", StarWarsChecks.EXHAUST_PORT);
  }

  @Test
  void eachL7RequestIsReportedWithItsVerdictAndPolicy() throws Exception {
    StarWarsChecks c = checks(Map.of(), List.of(XWING_DROPPED, TIEFIGHTER_REDIRECTED, TIEFIGHTER_LANDING, TIEFIGHTER_EXHAUST));
    assertThat(c.redirectReported("tiefighter", "rule1").passed()).isTrue();
    StarWarsChecks.Flow landing = c.landingReported("tiefighter", "rule1");
    assertThat(landing.passed()).as(landing.describe()).isTrue();
    assertThat(landing.flow().orElseThrow().getL7().getHttp().getMethod()).isEqualTo("POST");
    StarWarsChecks.Flow exhaust = c.exhaustPortDenialReported("tiefighter", "rule1");
    assertThat(exhaust.passed()).as(exhaust.describe()).isTrue();
    assertThat(exhaust.flow().orElseThrow().getDestination().getPodName()).isEqualTo("deathstar-5b69dfff75-t4l2c");

    assertThat(c.landingReported("tiefighter", "other-policy").passed()).isFalse();
    assertThat(c.exhaustPortDenialReported("xwing", "rule1").passed()).isFalse();
  }

  @Test
  void aForwardedPutIsNoL7Denial() throws Exception {
    StarWarsChecks c = checks(Map.of(), List.of(http("PUT", "exhaust-port", Verdict.FORWARDED), http("POST", "request-landing", Verdict.DROPPED)));
    StarWarsChecks.Flow exhaust = c.exhaustPortDenialReported("tiefighter", "rule1");
    assertThat(exhaust.passed()).isFalse();
    assertThat(exhaust.describe()).isEqualTo("an L7 flow shows tiefighter's PUT http://deathstar.default.svc.cluster.local/v1/exhaust-port"
        + " DROPPED by rule1; got no such flow within 300 ms");
    assertThat(c.landingReported("tiefighter", "rule1").passed()).isFalse();
  }

  @Test
  void aDropIsReportedOnlyForTheShipAndTheReasonAsked() throws Exception {
    // the tiefighter's connection was dropped too, but for another reason
    Flow tiefighterNoProxy = tcp("tiefighter", Verdict.DROPPED).setDropReasonDesc(DropReason.SOCKET_LOOKUP_FAILED).build();
    StarWarsChecks c = checks(Map.of(), List.of(Flow.getDefaultInstance(), XWING_DROPPED, tiefighterNoProxy));
    StarWarsChecks.Flow denied = c.denialReported("xwing");
    assertThat(denied.passed()).isTrue();
    assertThat(denied.flow().orElseThrow().getDestination().getPodName()).isEqualTo("deathstar-5b69dfff75-t4l2c");
    StarWarsChecks.Flow tiefighter = c.denialReported("tiefighter");
    assertThat(tiefighter.passed()).isFalse();
    assertThat(tiefighter.describe()).contains("dropped (Policy denied, reason 133); got no such flow within 300 ms");
  }

  @Test
  void aPolicyIsEnforcedEverywhereWhenValidAndEveryNodeEnforces() {
    String describe = "Status:\n  Conditions:\n    Message: Policy validation succeeded\n    Type: Valid\n"
        + "  Nodes:\n    node-1:\n      Enforcing:  true\n    node-2:\n      Enforcing:  true\n";
    assertThat(StarWarsChecks.enforcedEverywhere("rule1", describe, 2).passed()).isTrue();
    StarWarsChecks.Policy partly = StarWarsChecks.enforcedEverywhere("rule1", describe.replaceFirst("true", "false"), 2);
    assertThat(partly.passed()).isFalse();
    assertThat(partly.describe()).isEqualTo("rule1 is valid and enforced by all 2 nodes; got valid, 1 of 2 nodes enforcing");
  }
}
