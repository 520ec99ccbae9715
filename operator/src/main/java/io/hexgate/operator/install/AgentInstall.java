package io.hexgate.operator.install;

import io.hexgate.operator.install.api.AgentSpec;
import java.util.Optional;
import java.util.function.Function;

/**
 * What the operator deploys agents with besides their {@code HexgateConfig}: the agent image it was
 * released with and the address of its own agent port.
 *
 * @param defaultImage the agent image when the HexgateConfig names none; null when the operator knows none
 * @param podIp this operator pod's IP (the host's: the operator runs with the host's network); null outside a pod
 * @param agentPort the agent port this operator listens on
 */
public record AgentInstall(String defaultImage, String podIp, int agentPort) {
  public static final String IMAGE_ENV = "RELATED_IMAGE_AGENT";
  public static final String POD_IP_ENV = "POD_IP";

  /** From the operator pod's environment ({@value #IMAGE_ENV}, {@value #POD_IP_ENV}, set in its Deployment). */
  public static AgentInstall fromEnvironment(Function<String, String> env, int agentPort) {
    return new AgentInstall(blankToNull(env.apply(IMAGE_ENV)), blankToNull(env.apply(POD_IP_ENV)), agentPort);
  }

  /** The image the agents run: the HexgateConfig's, else the operator's default. */
  public Optional<String> image(AgentSpec spec) {
    return Optional.ofNullable(spec.image != null ? spec.image : defaultImage);
  }

  /**
   * Where agents reach the operator. Agents use the host's network and a cluster may have no kube-proxy
   * (Hexgate translates ClusterIPs for pods only), so the default is the leader's own pod IP, which is
   * its node's address; without one (outside a pod) the operator's Service name.
   */
  public String operatorAddress(AgentSpec spec, String namespace) {
    if (spec.operatorAddress != null) {
      return spec.operatorAddress;
    }
    String host = podIp != null ? (podIp.contains(":") ? "[" + podIp + "]" : podIp) : "hexgate-operator." + namespace + ".svc";
    return host + ":" + agentPort;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
