package io.hexgate.operator.policy;

import java.util.List;

/** The selecting rules (in rule order) and both directions of one identity's policy. */
public record IdentityPolicy(long identity, List<CompiledRule> rules, DirectionPolicy ingress, DirectionPolicy egress) {
  public DirectionPolicy direction(Direction d) {
    return d == Direction.INGRESS ? ingress : egress;
  }

  /** A copy whose directions later changes to this one do not reach. */
  IdentityPolicy frozen() {
    return new IdentityPolicy(identity, rules, ingress.copy(), egress.copy());
  }
}
