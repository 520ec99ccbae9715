package io.hexgate.lab.starwars;

import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.FlowType;
import io.hexgate.contract.hubble.flow.L7FlowType;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.datapath.abi.DropReasons;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The questions Cilium's Star Wars demo asks of a running cluster, each answered with an {@link Outcome}:
 * can a ship land, is it denied, does the exhaust port explode or is the PUT denied at L7, did the node
 * agents report a connection dropped and why, did the L7 proxy report each request with its verdict and
 * policy, is a policy enforced everywhere. {@code hexgate demo} tells
 * the story with them and the end-to-end tests assert on them, so both mean the same by "denied". How a
 * command reaches a pod and where flows come from is the caller's: the demo runs them in its own process
 * and prints them, the tests run {@code hexgate lab exec} and {@code hexgate observe} as a user would.
 */
public final class StarWarsChecks {
  public static final String LANDING = "deathstar.default.svc.cluster.local/v1/request-landing";
  public static final String EXHAUST_PORT = "deathstar.default.svc.cluster.local/v1/exhaust-port";
  /** How long a connection the policy may block is given before curl gives up (its exit code 28). */
  public static final int BLOCKED_SECONDS = 3;
  private static final int ALLOWED_SECONDS = 5;
  private static final int CURL_TIMED_OUT = 28;
  /** A drop shows up in the relay's answer within a few seconds. */
  private static final Duration FLOW_WAIT = Duration.ofSeconds(5);
  private static final int FLOWS_SEARCHED = 2000;

  /** What a command in a pod printed and returned. */
  public record Reply(int code, String out, String err) {}

  /** Runs a command in a pod of the default namespace, inside its network namespace. */
  @FunctionalInterface
  public interface Pods {
    Reply exec(String pod, List<String> command) throws Exception;
  }

  /** The newest flows of every node, as {@code hexgate observe --last N -o json} or {@code hubble observe} give them. */
  @FunctionalInterface
  public interface Flows {
    List<io.hexgate.contract.hubble.flow.Flow> last(int count) throws Exception;
  }

  /** How the deathstar answered a request. */
  public enum Answer {
    LANDED, EXPLODED, ACCESS_DENIED, TIMED_OUT, UNEXPECTED;

    static Answer of(Reply r) {
      if (r.code() == 0 && r.out().equals("Ship landed\n")) {
        return LANDED;
      }
      if (r.out().startsWith("Panic: deathstar exploded")) {
        return EXPLODED;
      }
      if (r.out().startsWith("Access denied")) {
        return ACCESS_DENIED;
      }
      // a dropped SYN: nothing comes back until curl's --max-time
      return r.code() == CURL_TIMED_OUT && r.out().isEmpty() ? TIMED_OUT : UNEXPECTED;
    }
  }

  /** One check: what it expects, whether that happened, and (when not) what did. */
  public sealed interface Outcome permits Request, Flow, Policy {
    String expectation();

    boolean passed();

    String observed();

    default String describe() {
      return passed() ? expectation() : expectation() + "; got " + observed();
    }
  }

  /** A ship's request and the deathstar's answer. */
  public record Request(String expectation, boolean passed, Answer answer, Reply reply) implements Outcome {
    @Override
    public String observed() {
      return "exit code " + reply.code() + " and '" + reply.out().trim() + "'";
    }
  }

  /** A flow the node agents or their L7 proxies reported, if they did. */
  public record Flow(String expectation, Optional<io.hexgate.contract.hubble.flow.Flow> flow, Duration waited) implements Outcome {
    @Override
    public boolean passed() {
      return flow.isPresent();
    }

    @Override
    public String observed() {
      return "no such flow within " + (waited.toMillis() % 1000 == 0 ? waited.toSeconds() + " s" : waited.toMillis() + " ms");
    }
  }

  /** What {@code kubectl describe cnp} says of a policy. */
  public record Policy(String expectation, boolean valid, long enforcing, long nodes) implements Outcome {
    @Override
    public boolean passed() {
      return valid && enforcing == nodes;
    }

    @Override
    public String observed() {
      return (valid ? "valid" : "not shown as valid") + ", " + enforcing + " of " + nodes + " nodes enforcing";
    }
  }

  private final Pods pods;
  private final Flows flows;
  private final Duration flowWait;

  public StarWarsChecks(Pods pods, Flows flows) {
    this(pods, flows, FLOW_WAIT);
  }

  /** @param flowWait how long a flow may take to show up in {@code flows} */
  StarWarsChecks(Pods pods, Flows flows, Duration flowWait) {
    this.pods = pods;
    this.flows = flows;
    this.flowWait = flowWait;
  }

  /** POST /v1/request-landing answers "Ship landed". */
  public Request canLand(String ship) throws Exception {
    Reply r = post(ship, ALLOWED_SECONDS);
    return request(ship + " can land", r, Answer.of(r) == Answer.LANDED);
  }

  /** The ship's connection is dropped: curl hears nothing and gives up (exit code 28). */
  public Request isDenied(String ship) throws Exception {
    Reply r = post(ship, BLOCKED_SECONDS);
    return request(ship + " is denied (curl time-out, exit code 28)", r, Answer.of(r) == Answer.TIMED_OUT);
  }

  /** PUT /v1/exhaust-port reaches the deathstar: what an L3/L4 policy alone lets an allowed ship do. */
  public Request exhaustPortExplodes(String ship) throws Exception {
    Reply r = put(ship, ALLOWED_SECONDS);
    return request(ship + "'s PUT /v1/exhaust-port reaches the deathstar", r, Answer.of(r) == Answer.EXPLODED);
  }

  /**
   * PUT /v1/exhaust-port is denied at L7: the L7 proxy answers the request itself, Access denied (HTTP
   * 403), and the deathstar never sees it.
   */
  public Request exhaustPortDeniedAtL7(String ship) throws Exception {
    Reply r = put(ship, ALLOWED_SECONDS);
    return request(ship + "'s PUT /v1/exhaust-port is denied at L7 (Access denied)", r, Answer.of(r) == Answer.ACCESS_DENIED);
  }

  /** The agents reported the ship's connection dropped by policy (reason 133). */
  public Flow denialReported(String ship) throws Exception {
    return dropReported(ship, DropReasons.DROP_POLICY);
  }

  /** The agents reported the ship's connection to the deathstar sent to the L7 proxy under {@code policy}. */
  public Flow redirectReported(String ship, String policy) throws Exception {
    return reported("a flow shows " + ship + "'s connection REDIRECTED to the L7 proxy by " + policy,
        f -> from(f, ship) && f.getVerdict() == Verdict.REDIRECTED && decidedBy(f, policy));
  }

  /** The L7 proxy reported the ship's POST /v1/request-landing forwarded under {@code policy}. */
  public Flow landingReported(String ship, String policy) throws Exception {
    return httpRequestReported(ship, "POST", LANDING, "FORWARDED", policy);
  }

  /** The L7 proxy reported the ship's PUT /v1/exhaust-port dropped under {@code policy}. */
  public Flow exhaustPortDenialReported(String ship, String policy) throws Exception {
    return httpRequestReported(ship, "PUT", EXHAUST_PORT, "DROPPED", policy);
  }

  /** {@code kubectl describe cnp} shows the policy valid and enforced by every one of {@code nodes}. */
  public static Policy enforcedEverywhere(String policy, String describe, int nodes) {
    boolean valid = describe.contains("Valid") && describe.contains("Policy validation succeeded");
    long enforcing = describe.lines().filter(l -> l.trim().matches("Enforcing:\\s+true")).count();
    return new Policy(policy + " is valid and enforced by all " + nodes + " nodes", valid, enforcing, nodes);
  }

  private Flow dropReported(String ship, int reason) throws Exception {
    return reported("a flow shows " + ship + "'s connection dropped (" + DropReasons.text(reason) + ", reason " + reason + ")",
        f -> from(f, ship) && f.getVerdict() == Verdict.DROPPED && f.getDropReasonDescValue() == reason);
  }

  private Flow httpRequestReported(String ship, String method, String url, String verdict, String policy) throws Exception {
    String full = "http://" + url;
    return reported("an L7 flow shows " + ship + "'s " + method + " " + full + " " + verdict + " by " + policy,
        f -> from(f, ship) && f.getType() == FlowType.L7 && f.getL7().getType() == L7FlowType.REQUEST
            && f.getVerdict().name().equals(verdict) && f.getL7().getHttp().getMethod().equals(method)
            && f.getL7().getHttp().getUrl().equals(full) && decidedBy(f, policy));
  }

  private static boolean from(io.hexgate.contract.hubble.flow.Flow f, String ship) {
    Endpoint source = f.getSource();
    return source.getNamespace().equals("default") && source.getPodName().equals(ship);
  }

  private static boolean decidedBy(io.hexgate.contract.hubble.flow.Flow f, String policy) {
    return Stream.of(f.getIngressAllowedByList(), f.getEgressAllowedByList(), f.getIngressDeniedByList(), f.getEgressDeniedByList())
        .flatMap(List::stream)
        .anyMatch(p -> p.getNamespace().equals("default") && p.getName().equals(policy));
  }

  private Flow reported(String expectation, Predicate<io.hexgate.contract.hubble.flow.Flow> wanted) throws Exception {
    long deadline = System.nanoTime() + flowWait.toNanos();
    while (true) {
      Optional<io.hexgate.contract.hubble.flow.Flow> seen = flows.last(FLOWS_SEARCHED).stream().filter(wanted).findFirst();
      if (seen.isPresent() || System.nanoTime() > deadline) {
        return new Flow(expectation, seen, flowWait);
      }
      Thread.sleep(250);
    }
  }

  private Reply post(String ship, int seconds) throws Exception {
    return pods.exec(ship, List.of("curl", "-s", "--max-time", Integer.toString(seconds), "-XPOST", LANDING));
  }

  private Reply put(String ship, int seconds) throws Exception {
    return pods.exec(ship, List.of("curl", "-s", "--max-time", Integer.toString(seconds), "-XPUT", EXHAUST_PORT));
  }

  private static Request request(String expectation, Reply r, boolean passed) {
    return new Request(expectation, passed, Answer.of(r), r);
  }
}
