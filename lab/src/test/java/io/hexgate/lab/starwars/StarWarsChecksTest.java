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
  void theExhaustPortIsDeniedAtL7ByTheProxyOrByFailingClosed() throws Exception {
    Reply denied = new Reply(0, "Access denied\n", "");
    Reply exploded = new Reply(0, "Panic: deathstar exploded\n", "");
    assertThat(checks(Map.of("tiefighter", denied), List.of()).exhaustPortDeniedAtL7("tiefighter"))
        .extracting(StarWarsChecks.Request::passed, StarWarsChecks.Request::answer).containsExactly(true, Answer.ACCESS_DENIED);
    assertThat(checks(Map.of("tiefighter", new Reply(28, "", "")), List.of()).exhaustPortDeniedAtL7("tiefighter"))
        .extracting(StarWarsChecks.Request::passed, StarWarsChecks.Request::answer).containsExactly(true, Answer.TIMED_OUT);
    StarWarsChecks c = checks(Map.of("tiefighter", exploded), List.of());
    assertThat(c.exhaustPortDeniedAtL7("tiefighter").passed()).isFalse();
    assertThat(c.exhaustPortExplodes("tiefighter").passed()).isTrue();
    assertThat(commands.get(0)).containsExactly("curl", "-s", "--max-time", "3", "-XPUT", StarWarsChecks.EXHAUST_PORT);
  }

  @Test
  void aDropIsReportedOnlyForTheShipAndTheReasonAsked() throws Exception {
    StarWarsChecks c = checks(Map.of(), List.of("not a flow", XWING_DROPPED));
    StarWarsChecks.Flow denied = c.denialReported("xwing");
    assertThat(denied.passed()).isTrue();
    assertThat(denied.flow().orElseThrow().destination()).isEqualTo("default/deathstar-5b69dfff75-t4l2c");
    assertThat(c.missingProxyReported("xwing").passed()).isFalse();
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
