package io.hexgate.datapath.agent;

/**
 * Whether the kernel judges this node's packets by the state the agent applies, as the agent tells the
 * operator in its Hello and every Ack: the operator counts a node as enforcing a policy only when it is.
 *
 * @param reason why not, for {@code kubectl describe cnp}; empty when enforcing
 */
public record KernelEnforcement(boolean enforcing, String reason) {
  public static final KernelEnforcement ENFORCING = new KernelEnforcement(true, "");

  public KernelEnforcement {
    reason = reason == null ? "" : reason;
    if (!enforcing && reason.isBlank()) {
      throw new IllegalArgumentException("a node that does not enforce must say why");
    }
  }

  public static KernelEnforcement not(String reason) {
    return new KernelEnforcement(false, reason);
  }
}
