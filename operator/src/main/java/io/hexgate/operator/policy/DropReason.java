package io.hexgate.operator.policy;

/**
 * Cilium's drop reasons for policy verdicts, with Cilium's numbers and texts: those of the datapath's
 * lib/abi.h, which the e2e module's DropReasonAgreementTest holds this enum to.
 */
public enum DropReason {
  POLICY_DENIED(133, "Policy denied"),
  POLICY_DENY(181, "Policy denied by denylist");

  private final int code;
  private final String text;

  DropReason(int code, String text) {
    this.code = code;
    this.text = text;
  }

  public int code() {
    return code;
  }

  public String text() {
    return text;
  }
}
