package io.hexgate.operator.install;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import io.hexgate.operator.install.api.HexgateConfig;
import io.hexgate.operator.install.api.HexgateConfigStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A HexgateConfig's status from its DaemonSet's status and what the agents report (enforcing or not), with
 * Available, Progressing and Degraded conditions whose transition times stay while their status does.
 */
final class AgentConditions {
  static final String AVAILABLE = "Available";
  static final String PROGRESSING = "Progressing";
  static final String DEGRADED = "Degraded";
  private static final int NODES_IN_MESSAGE = 5;

  private AgentConditions() {}

  /** What the agents of an acted-on HexgateConfig look like now. */
  record Agents(DaemonSet daemonSet, int enforcing, List<String> notEnforcing) {}

  static HexgateConfigStatus of(HexgateConfig cfg, Agents agents, String failure, Instant now) {
    HexgateConfigStatus s = new HexgateConfigStatus();
    s.observedGeneration = cfg.getMetadata().getGeneration();
    DaemonSet ds = agents.daemonSet();
    DaemonSetStatus dss = ds == null || ds.getStatus() == null ? new DaemonSetStatus() : ds.getStatus();
    int desired = orZero(dss.getDesiredNumberScheduled());
    int ready = orZero(dss.getNumberReady());
    int updated = orZero(dss.getUpdatedNumberScheduled());
    s.desiredAgents = desired;
    s.readyAgents = ready;
    s.updatedAgents = updated;
    s.enforcingAgents = agents.enforcing();
    String name = ds == null ? "hexgate-agent" : ds.getMetadata().getNamespace() + "/" + ds.getMetadata().getName();
    boolean observed = ds != null && dss.getObservedGeneration() != null
        && dss.getObservedGeneration() >= orZero(ds.getMetadata().getGeneration());
    List<Condition> c = new ArrayList<>();
    if (ds == null) {
      c.add(condition(AVAILABLE, false, "NotDeployed", "the agents' DaemonSet does not exist yet"));
      c.add(condition(PROGRESSING, true, "Deploying", "creating the agents' DaemonSet and its objects"));
    } else if (desired == 0) {
      c.add(condition(AVAILABLE, false, "NoNodes", "DaemonSet " + name + " runs on no node: check spec.agent.nodeSelector and spec.agent.tolerations"));
      c.add(condition(PROGRESSING, false, "RolledOut", "no node to roll out to"));
    } else {
      c.add(ready >= desired
          ? condition(AVAILABLE, true, "AgentsReady", ready + " of " + desired + " agents ready")
          : condition(AVAILABLE, false, "AgentsNotReady", ready + " of " + desired + " agents ready"));
      c.add(!observed || updated < desired
          ? condition(PROGRESSING, true, "RollingOut",
              "DaemonSet " + name + " update is rolling out (" + updated + " of " + desired + " updated)")
          : condition(PROGRESSING, false, "RolledOut", "all " + desired + " agents run the current spec"));
    }
    if (failure != null) {
      c.add(condition(DEGRADED, true, "ReconcileFailed", failure));
    } else if (!agents.notEnforcing().isEmpty()) {
      List<String> n = agents.notEnforcing();
      c.add(condition(DEGRADED, true, "KernelNotEnforcing",
          n.size() + " agent(s) say their kernel does not enforce: " + shown(n)));
    } else {
      c.add(condition(DEGRADED, false, "AsExpected", "agents run as asked"));
    }
    s.conditions = keepTransitionTimes(c, cfg.getStatus(), now);
    return s;
  }

  /** The status of a HexgateConfig that is not acted on because {@code active} is older. */
  static HexgateConfigStatus ignored(HexgateConfig cfg, String active, Instant now) {
    HexgateConfigStatus s = new HexgateConfigStatus();
    s.observedGeneration = cfg.getMetadata().getGeneration();
    String why = "HexgateConfig " + active + " is older and in effect; only one HexgateConfig is acted on";
    s.conditions = keepTransitionTimes(
        List.of(
            condition(AVAILABLE, false, "Ignored", why),
            condition(PROGRESSING, false, "Ignored", why),
            condition(DEGRADED, true, "Ignored", why)),
        cfg.getStatus(), now);
    return s;
  }

  /** The status of the acted-on HexgateConfig when nothing could be deployed yet. */
  static HexgateConfigStatus blocked(HexgateConfig cfg, String reason, String message, Instant now) {
    HexgateConfigStatus s = new HexgateConfigStatus();
    s.observedGeneration = cfg.getMetadata().getGeneration();
    s.conditions = keepTransitionTimes(
        List.of(
            condition(AVAILABLE, false, reason, message),
            condition(PROGRESSING, false, reason, message),
            condition(DEGRADED, true, reason, message)),
        cfg.getStatus(), now);
    return s;
  }

  private static String shown(List<String> nodes) {
    String s = String.join(", ", nodes.subList(0, Math.min(NODES_IN_MESSAGE, nodes.size())));
    return nodes.size() > NODES_IN_MESSAGE ? s + ", ..." : s;
  }

  private static Condition condition(String type, boolean status, String reason, String message) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status ? "True" : "False")
        .withReason(reason)
        .withMessage(message)
        .build();
  }

  private static List<Condition> keepTransitionTimes(List<Condition> next, HexgateConfigStatus before, Instant now) {
    List<Condition> out = new ArrayList<>();
    for (Condition c : next) {
      Condition old = before == null || before.conditions == null ? null
          : before.conditions.stream().filter(o -> c.getType().equals(o.getType())).findFirst().orElse(null);
      c.setLastTransitionTime(old != null && Objects.equals(old.getStatus(), c.getStatus()) && old.getLastTransitionTime() != null
          ? old.getLastTransitionTime()
          : now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
      out.add(c);
    }
    return out;
  }

  private static int orZero(Number n) {
    return n == null ? 0 : n.intValue();
  }
}
