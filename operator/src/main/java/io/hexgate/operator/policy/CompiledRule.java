package io.hexgate.operator.policy;

import io.hexgate.operator.identity.CidrPrefix;
import java.util.List;
import java.util.Set;

/**
 * A rule after namespace scoping and expansion into terms. {@code defaultDeny} holds, per direction,
 * whether this rule puts the endpoints it selects into default-deny.
 */
public record CompiledRule(
    PolicyRef origin,
    String path,
    LabelSelector subject,
    boolean ingressDefaultDeny,
    boolean egressDefaultDeny,
    List<Term> ingress,
    List<Term> egress,
    List<String> notEnforced,
    Set<CidrPrefix> cidrs) {

  public List<Term> terms(Direction d) {
    return d == Direction.INGRESS ? ingress : egress;
  }

  public boolean defaultDeny(Direction d) {
    return d == Direction.INGRESS ? ingressDefaultDeny : egressDefaultDeny;
  }

  /**
   * From origin and path only, which equal rules share: the engine keeps rules in hash sets, and the
   * record's default hash walked every term, selector and port on each lookup.
   */
  @Override
  public int hashCode() {
    return origin.hashCode() * 31 + path.hashCode();
  }
}
