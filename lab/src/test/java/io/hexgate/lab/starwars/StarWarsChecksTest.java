package io.hexgate.lab.starwars;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.lab.starwars.StarWarsChecks.Answer;
import io.hexgate.lab.starwars.StarWarsChecks.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StarWarsChecksTest {
  private static final String XWING_DROPPED = "Jan 01 00:00:00.000  default/xwing:41234 (ID:300) -> default/deathstar-5b69dfff75-t4l2c:80 (ID:259)"
      + "  TCP ingress  DROPPED (Policy denied, reason 133)  policy default/rule1  [node-1]";
  private static final String DEATHSTAR = "default/deathstar-5b69dfff75-t4l2c:80 (ID:259)";
  private static final String TIEFIGHTER = "default/tiefighter:5555 (ID:301)";
  private static final String TIEFIGHTER_REDIRECTED = "Jan 01 00:00:01.000  " + TIEFIGHTER + " -> " + DEATHSTAR
      + "  TCP ingress  REDIRECTED  policy default/rule1  [node-1]";
  private static final String TIEFIGHTER_LANDING = "Jan 01 00:00:01.001  " + TIEFIGHTER + " -> " + DEATHSTAR
      + "  http-request ingress  FORWARDED (HTTP/1.1 POST http://deathstar.default.svc.cluster.local/v1/request-landing)  policy default/rule1  [node-1]";
  private static final String TIEFIGHTER_LANDED = "Jan 01 00:00:01.004  " + TIEFIGHTER + " <- " + DEATHSTAR
      + "  http-response ingress  FORWARDED (HTTP/1.1 200 3ms (POST http://deathstar.default.svc.cluster.local/v1/request-landing))"
      + "  policy default/rule1  [node-1]";
  private static final String TIEFIGHTER_EXHAUST = "Jan 01 00:00:02.000  " + TIEFIGHTER + " -> " + DEATHSTAR
      + "  http-request ingress  DROPPED (HTTP/1.1 PUT http://deathstar.default.svc.cluster.local/v1/exhaust-port)  policy default/rule1  [node-1]";

  private final List<List<String>> commands = new ArrayList<>();

  /** Pods answering by ship, and a flow log holding {@code flows}. */
  private StarWarsChecks checks(Map<String, Reply> replies, List<String> flows) {
    return new StarWarsChecks((pod, command) -> {
      commands.add(command);
      return replies.get(pod);
    }, last -> flows);
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
    StarWarsChecks c = checks(Map.of(), List.of(XWING_DROPPED, TIEFIGHTER_REDIRECTED, TIEFIGHTER_LANDING, TIEFIGHTER_LANDED, TIEFIGHTER_EXHAUST));
    assertThat(c.redirectReported("tiefighter", "rule1").passed()).isTrue();
    StarWarsChecks.Flow landing = c.landingReported("tiefighter", "rule1");
    assertThat(landing.passed()).as(landing.describe()).isTrue();
    assertThat(landing.flow().orElseThrow().http().orElseThrow().method()).isEqualTo("POST");
    StarWarsChecks.Flow exhaust = c.exhaustPortDenialReported("tiefighter", "rule1");
    assertThat(exhaust.passed()).as(exhaust.describe()).isTrue();
    assertThat(exhaust.flow().orElseThrow().destination()).isEqualTo("default/deathstar-5b69dfff75-t4l2c");

    assertThat(c.landingReported("tiefighter", "other-policy").passed()).isFalse();
    assertThat(c.exhaustPortDenialReported("xwing", "rule1").passed()).isFalse();
  }

  @Test
  void aForwardedPutIsNoL7Denial() throws Exception {
    StarWarsChecks c = checks(Map.of(), List.of(TIEFIGHTER_EXHAUST.replace("DROPPED (HTTP", "FORWARDED (HTTP"),
        TIEFIGHTER_LANDING.replace("FORWARDED (HTTP", "DROPPED (HTTP")));
    StarWarsChecks.Flow exhaust = c.exhaustPortDenialReported("tiefighter", "rule1");
    assertThat(exhaust.passed()).isFalse();
    assertThat(exhaust.describe()).isEqualTo("an L7 flow shows tiefighter's PUT http://deathstar.default.svc.cluster.local/v1/exhaust-port"
        + " DROPPED by rule1; got no such flow within 5 s");
    assertThat(c.landingReported("tiefighter", "rule1").passed()).isFalse();
  }

  @Test
  void aDropIsReportedOnlyForTheShipAndTheReasonAsked() throws Exception {
    // the tiefighter's connection was dropped too, but for another reason
    String tiefighterNoProxy = "Jan 01 00:00:00.000  " + TIEFIGHTER + " -> " + DEATHSTAR
        + "  TCP ingress  DROPPED (Proxy lookup failed, reason 178)  policy default/rule1  [node-1]";
    StarWarsChecks c = checks(Map.of(), List.of("not a flow", XWING_DROPPED, tiefighterNoProxy));
    StarWarsChecks.Flow denied = c.denialReported("xwing");
    assertThat(denied.passed()).isTrue();
    assertThat(denied.flow().orElseThrow().destination()).isEqualTo("default/deathstar-5b69dfff75-t4l2c");
    StarWarsChecks.Flow tiefighter = c.denialReported("tiefighter");
    assertThat(tiefighter.passed()).isFalse();
    assertThat(tiefighter.describe()).contains("dropped (Policy denied, reason 133); got no such flow within 5 s");
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
