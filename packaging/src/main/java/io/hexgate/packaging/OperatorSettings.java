package io.hexgate.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hexgate.contract.metrics.MetricsServer;

/**
 * What an install may change about the operator: the values the Helm chart exposes. deploy/ and the bundle
 * use {@link #shipped()}; the chart fills each with a template expression that renders these same values
 * by default.
 *
 * @param namespace the operator's namespace
 * @param image the operator's image
 * @param agentImage the node agents' image, which the operator puts in the DaemonSet it makes
 * @param pullPolicy of both images
 * @param resources the operator container's requests and limits
 * @param metricsPort where /metrics and /readyz are served (host network: a port of the node)
 * @param relayPort where the Hubble relay serves every node's flows (a port of the node too)
 */
record OperatorSettings(
    String namespace, String image, String agentImage, String pullPolicy, JsonNode resources, JsonNode metricsPort,
    JsonNode relayPort) {

  static OperatorSettings shipped() {
    return new OperatorSettings(
        Names.NAMESPACE, Names.OPERATOR_IMAGE, Names.AGENT_IMAGE, "IfNotPresent", shippedResources(),
        IntNode.valueOf(MetricsServer.OPERATOR_PORT), IntNode.valueOf(Names.RELAY_PORT));
  }

  /**
   * A JVM holding the policy engine and the informers' caches: requests sized for a small cluster, a memory
   * limit against a leak taking the node down, no CPU limit (throttling would delay every node's policy).
   */
  private static ObjectNode shippedResources() {
    ObjectNode r = Yaml.object();
    r.putObject("requests").put("cpu", "100m").put("memory", "256Mi");
    r.putObject("limits").put("memory", "512Mi");
    return r;
  }
}
