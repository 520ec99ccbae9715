package io.hexgate.operator.policy.trace;

import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.policy.CompiledRule;
import io.hexgate.operator.policy.Direction;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.HttpRequest;
import io.hexgate.operator.policy.IdentityPolicy;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.Protocol;
import io.hexgate.operator.policy.Term;
import io.hexgate.operator.policy.Verdict;
import java.io.PrintStream;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Explains the verdict for one new connection the way the datapath decides it: the source's egress
 * policy, then the destination's ingress policy, then the L7 rules of whichever side redirects to the
 * proxy. Ends with exactly one {@code Final verdict:} line.
 */
public final class PolicyTrace {
  /** One side of the connection: a pod, or an address outside the cluster's pods. */
  public record Peer(String display, Endpoint endpoint, Identity identity) {}

  /** The outcome, for callers that want more than the printed explanation. */
  public record Result(boolean allowed, Verdict egress, Verdict ingress, Boolean l7Allowed) {}

  private final OfflineCluster cluster;
  private final PolicyEngine engine;

  public PolicyTrace(OfflineCluster cluster) {
    this.cluster = cluster;
    this.engine = cluster.engine();
  }

  /** Resolves {@code NAMESPACE/POD}, a bare pod name in {@code defaultNamespace}, or {@code ip:A.B.C.D}. */
  public Peer peer(String spec, String defaultNamespace, String option) {
    if (spec.startsWith("ip:")) {
      String ip = spec.substring(3);
      try {
        io.hexgate.operator.identity.CidrPrefix.parseAddress(ip, ip);
      } catch (IllegalArgumentException e) {
        throw new InputException(option + " " + spec + ": \"" + ip + "\" is not an IP address");
      }
      Endpoint e = engine.endpointByIp(ip);
      if (e != null) {
        return new Peer(e.namespace() + "/" + e.name() + " (" + ip + ")", e, engine.identityOf(e.key()));
      }
      return new Peer(ip, null, engine.identityForAddress(ip));
    }
    int slash = spec.indexOf('/');
    String ns = slash < 0 ? defaultNamespace : spec.substring(0, slash);
    String name = slash < 0 ? spec : spec.substring(slash + 1);
    Endpoint e = engine.endpoint(new Endpoint.Key(ns, name));
    if (e == null) {
      throw new InputException(
          option + " " + spec + ": unknown pod: no Pod (or workload) named \"" + name + "\" in namespace \"" + ns + "\" in the input files");
    }
    return new Peer(ns + "/" + name, e, engine.identityOf(e.key()));
  }

  public Result trace(Peer src, Peer dst, Protocol proto, int port, HttpRequest request, PrintStream out) {
    String ports = port + "/" + proto.name();
    out.println("----------------------------------------------------------------");
    out.println("Tracing From: " + describe(src) + " => To: " + describe(dst) + " Ports: [" + ports + "]");
    if (src.endpoint() != null && dst.endpoint() != null && src.endpoint().key().equals(dst.endpoint().key())) {
      // A pod reaching its own address never leaves its network namespace (the kernel delivers it on
      // loopback), so no datapath sees it: policy cannot block a pod from itself.
      out.println();
      out.println("Source and destination are the same pod: the connection stays on the pod's loopback and no policy applies");
      out.println();
      out.println("Final verdict: ALLOWED");
      return new Result(true, null, null, null);
    }
    Verdict egress = null;
    Verdict ingress = null;
    if (src.endpoint() != null) {
      egress = side(Direction.EGRESS, src, dst, proto, port, out);
    } else {
      out.println();
      out.println("Egress: " + src.display() + " is outside the cluster's pods and has no egress policy");
    }
    if (dst.endpoint() != null) {
      ingress = side(Direction.INGRESS, dst, src, proto, port, out);
    } else {
      out.println();
      out.println("Ingress: " + dst.display() + " is outside the cluster's pods and has no ingress policy");
    }
    boolean l4 = (egress == null || egress.passesL4()) && (ingress == null || ingress.passesL4());
    Boolean l7 = null;
    if (l4) {
      l7 = l7(egress, ingress, request, out);
    }
    boolean allowed = l4 && (l7 == null || l7);
    out.println();
    out.println("Final verdict: " + (allowed ? "ALLOWED" : "DENIED"));
    return new Result(allowed, egress, ingress, l7);
  }

  private Verdict side(Direction d, Peer self, Peer remote, Protocol proto, int port, PrintStream out) {
    out.println();
    out.println("Resolving " + d.lower() + " policy for " + self.display());
    IdentityPolicy ip = engine.policy(self.identity().id());
    List<CompiledRule> rules = ip == null ? List.of() : ip.rules();
    int selecting = 0;
    for (CompiledRule r : rules) {
      boolean dd = r.defaultDeny(d);
      boolean has = !r.terms(d).isEmpty();
      if (!dd && !has) {
        continue;
      }
      selecting++;
      out.println("* Rule " + r.origin() + " " + r.path() + ": selected"
          + (dd ? " (puts " + d.lower() + " in default-deny)" : " (enableDefaultDeny." + d.lower() + ": false)")
          + from(r));
      for (String note : r.notEnforced()) {
        out.println("    Note: " + note);
      }
    }
    out.println(selecting + "/" + engine.policyRefs().stream().mapToInt(ref -> engine.rules(ref).size()).sum()
        + " rules selected");
    Verdict v = engine.decide(self.endpoint(), d, remote.identity(), proto, port);
    String peerWord = d == Direction.INGRESS ? "from" : "to";
    // if/else rather than a pattern switch: the build targets Java 17, where those are a preview.
    if (v instanceof Verdict.Denied den) {
      if (den.reason() == io.hexgate.operator.policy.DropReason.POLICY_DENY) {
        out.println("    Found deny rule " + peerWord + " identity " + remote.identity().id() + ": " + terms(den.decidedBy()));
      } else {
        out.println("    Found no allow rule " + peerWord + " identity " + remote.identity().id() + " on " + port + "/" + proto);
      }
      out.println(cap(d) + " verdict: denied (drop reason " + den.reason().code() + ": " + den.reason().text() + ")");
    } else if (v instanceof Verdict.Allowed a && !a.enforcing()) {
      out.println(cap(d) + " verdict: allowed (no rule puts " + self.display() + " in " + d.lower() + " default-deny)");
    } else if (v instanceof Verdict.Allowed a) {
      out.println("    Found allow rule: " + terms(a.decidedBy()));
      out.println(cap(d) + " verdict: allowed");
    } else if (v instanceof Verdict.Redirected r) {
      out.println("    Found allow rule with L7 rules: " + terms(r.decidedBy()));
      out.println(cap(d) + " verdict: allowed at L3/L4, redirected to the HTTP proxy");
    }
    return v;
  }

  private static Boolean l7(Verdict egress, Verdict ingress, HttpRequest request, PrintStream out) {
    Boolean result = null;
    for (Verdict v : new Verdict[] {egress, ingress}) {
      if (!(v instanceof Verdict.Redirected r)) {
        continue;
      }
      out.println();
      out.println("L7 (HTTP) rules: " + r.rules());
      if (request == null) {
        out.println("  No HTTP request given (--http-method, --http-path, --http-header): the connection is allowed and each request is checked against these rules");
        continue;
      }
      boolean ok = r.allows(request);
      out.println("  Request " + request + ": " + (ok ? "matches a rule, forwarded" : "matches no rule, answered 403 Access denied"));
      result = (result == null || result) && ok;
    }
    return result;
  }

  /** Where a rule's policy was read from, so a user can find the file to change. */
  private String from(CompiledRule r) {
    Manifest m = cluster.policySource(r.origin());
    return m == null ? "" : " [" + m.file() + "]";
  }

  private static String terms(List<Term> ts) {
    return ts.stream().map(t -> t.origin() + " " + t.path()).distinct().collect(Collectors.joining(", "));
  }

  private static String cap(Direction d) {
    return d == Direction.INGRESS ? "Ingress" : "Egress";
  }

  private static String describe(Peer p) {
    Identity i = p.identity();
    return p.display() + " [identity " + i.id() + ": "
        + i.labels().asList().stream().map(Object::toString).collect(Collectors.joining(" ")) + "]";
  }
}
