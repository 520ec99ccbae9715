package io.hexgate.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.hexgate.operator.policy.FieldError;
import io.hexgate.operator.policy.PolicyValidity;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** The conditions of a CNP/CCNP's status: Valid, FieldsNotEnforced while there are such fields, Enforced. */
final class PolicyConditions {
  private static final int NODES_IN_MESSAGE = 5;
  private static final int NOTES_IN_MESSAGE = 20;

  private PolicyConditions() {}

  static List<Condition> of(PolicyValidity.Result v, NodeTally nodes) {
    List<Condition> conditions = new ArrayList<>();
    conditions.add(
        v.valid()
            ? condition("Valid", true, "Valid", "Policy validation succeeded", v.observedGeneration())
            : condition("Valid", false, "InvalidPolicy", errors(v.errors()), v.observedGeneration()));
    if (!v.notEnforced().isEmpty()) {
      conditions.add(
          condition(
              PolicyStatusTracker.FIELDS_NOT_ENFORCED, true, "UnsupportedFields", notEnforced(v.notEnforced()),
              v.observedGeneration()));
    }
    conditions.add(enforced(v, nodes));
    return conditions;
  }

  private static Condition enforced(PolicyValidity.Result v, NodeTally nodes) {
    Long enforced = v.enforcedGeneration();
    int selected = nodes.selected;
    if (enforced == null) {
      return condition("Enforced", false, "NeverValid", "no generation of the policy was ever valid", v.observedGeneration());
    } else if (!v.valid()) {
      return condition(
          "Enforced",
          false,
          "LatestGenerationInvalid",
          "generation " + v.observedGeneration() + " is invalid; generation " + enforced + " stays in force",
          v.observedGeneration());
    } else if (nodes.allEnforcing()) {
      return condition(
          "Enforced",
          true,
          selected == 0 ? "NoSelectedEndpoints" : "Enforced",
          selected == 0 ? "no node has endpoints the policy selects" : "enforced on all " + selected + " nodes with selected endpoints",
          v.observedGeneration());
    }
    // a node that failed, then one whose kernel does not enforce, then one not there yet: the reason
    // names the first kind present, the message every kind
    List<String> parts = new ArrayList<>();
    String reason = null;
    if (!nodes.failing.isEmpty()) {
      reason = "AgentError";
      parts.add(nodes.failing.size() + " of " + selected + " nodes failed: " + names(nodes.failing));
    }
    if (!nodes.unenforced.isEmpty()) {
      reason = reason == null ? "KernelNotEnforcing" : reason;
      parts.add(nodes.unenforced.size() + " of " + selected + " nodes do not enforce in the kernel: " + names(nodes.unenforced));
    }
    if (!nodes.pending.isEmpty()) {
      reason = reason == null ? "Pending" : reason;
      parts.add(nodes.pending.size() + " of " + selected + " nodes have not acknowledged it yet: " + names(nodes.pending));
    }
    return condition("Enforced", false, reason == null ? "Pending" : reason, String.join("; ", parts), v.observedGeneration());
  }

  private static String names(List<String> nodes) {
    String shown = String.join(", ", nodes.subList(0, Math.min(NODES_IN_MESSAGE, nodes.size())));
    return nodes.size() > NODES_IN_MESSAGE ? shown + ", ..." : shown;
  }

  /** The enforced rules' fields Hexgate does not enforce, each with what happens instead. */
  private static String notEnforced(List<String> notes) {
    List<String> shown = notes.subList(0, Math.min(NOTES_IN_MESSAGE, notes.size()));
    return notes.size() + (notes.size() == 1 ? " field is" : " fields are") + " not enforced: " + String.join("; ", shown)
        + (notes.size() > NOTES_IN_MESSAGE ? "; and " + (notes.size() - NOTES_IN_MESSAGE) + " more" : "");
  }

  private static String errors(List<FieldError> errors) {
    return errors.stream().map(FieldError::toString).collect(Collectors.joining("; "));
  }

  private static Condition condition(String type, boolean status, String reason, String message, Long generation) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status ? "True" : "False")
        .withReason(reason)
        .withMessage(message)
        .withObservedGeneration(generation)
        .build();
  }
}
