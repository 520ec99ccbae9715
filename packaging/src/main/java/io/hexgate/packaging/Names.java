package io.hexgate.packaging;

import java.util.LinkedHashMap;
import java.util.Map;

/** The names every install shares, fixed so that the bundle, deploy/, the chart and the images fit together. */
final class Names {
  private Names() {}

  static final String VERSION = "0.1.0";
  static final String PACKAGE = "hexgate-operator";
  static final String CSV_NAME = PACKAGE + ".v" + VERSION;
  static final String CHANNEL = "stable";
  static final String NAMESPACE = "hexgate";
  static final String OPERATOR = "hexgate-operator";
  static final String OPERATOR_IMAGE = "ghcr.io/hexgate-io/hexgate-operator:" + VERSION;
  static final String AGENT_IMAGE = "ghcr.io/hexgate-io/hexgate-agent:" + VERSION;
  static final String REPOSITORY = "https://github.com/hexgate-io/hexgate";
  /** Node agents connect here (the operator's default --agent-port). */
  static final int AGENT_PORT = 4250;
  /** The Hubble relay's port (the operator's default --relay-port, Hubble Relay's). */
  static final int RELAY_PORT = 4245;
  /** The Service in front of the relay, Cilium's name for it, and its port (Cilium's too). */
  static final String RELAY_SERVICE = "hubble-relay";
  static final int RELAY_SERVICE_PORT = 80;
  /**
   * The oldest Kubernetes the operator supports: the agents' bootstrap relies on bound ServiceAccount tokens
   * carrying the pod and node they were issued for, on by default since 1.30.
   */
  static final String MIN_KUBE_VERSION = "1.30.0";
  /** The label every object Hexgate ships carries, and by which an install recognises its own CRDs. */
  static final String PART_OF = "app.kubernetes.io/part-of";

  /** Labels on everything Hexgate creates; {@code component} is operator or agent. */
  static Map<String, String> labels(String component) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("app.kubernetes.io/name", "hexgate");
    labels.put(PART_OF, "hexgate");
    if (component != null) {
      labels.put("app.kubernetes.io/component", component);
    }
    return labels;
  }
}
