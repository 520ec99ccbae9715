package io.hexgate.operator.policy;

import java.util.List;

/** The verdict of one direction's policy for one new connection, with the terms that decided it. */
public sealed interface Verdict {
  List<Term> decidedBy();

  /** Passed at L3/L4; {@code enforcing} false means no policy selects the endpoint in this direction. */
  record Allowed(boolean enforcing, List<Term> decidedBy) implements Verdict {}

  record Denied(DropReason reason, List<Term> decidedBy) implements Verdict {}

  /** Passed at L3/L4 to the HTTP proxy, which allows a request when one of {@code rules} matches. */
  record Redirected(List<HttpMatch> rules, List<Term> decidedBy) implements Verdict {
    public boolean allows(HttpRequest request) {
      return rules.stream().anyMatch(r -> r.matches(request));
    }
  }

  default boolean passesL4() {
    return !(this instanceof Denied);
  }
}
